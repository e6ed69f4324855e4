"""``ImageReadMode``: the channels an image is converted to while it is decoded."""
from enum import Enum


class ImageReadMode(Enum):
    """The channels to decode an image into.

    ``UNCHANGED`` keeps the file's channels, ``GRAY`` converts to 1 channel, ``GRAY_ALPHA`` to grayscale with
    transparency, ``RGB`` to 3 channels and ``RGB_ALPHA`` (alias ``RGBA``) to RGB with transparency. As in
    torchvision, the name can also be given as a string (``mode="RGB"``).
    """

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA


def as_read_mode(mode):
    """``mode`` as an ``ImageReadMode``, accepting its name in any case.

    Raises, as torchvision does: KeyError for an unknown name, AttributeError for anything else.
    """
    if isinstance(mode, ImageReadMode):
        return mode
    if isinstance(mode, str):
        return ImageReadMode[mode.upper()]
    raise AttributeError(f"'{type(mode).__name__}' object has no attribute 'value'")
