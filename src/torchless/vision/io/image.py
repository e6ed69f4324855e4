"""Decoding image files into uint8 C x H x W tensors and encoding such tensors as PNG or JPEG, by Pillow."""
import io

import numpy as np

from ..._creation import as_tensor
from ..._tensor import Tensor
from ... import _dtype
from .._pillow import require_pil_image
from ._file import check_byte_tensor, read_file, write_file
from ._read_mode import ImageReadMode, as_read_mode

# The Pillow mode each read mode converts to; UNCHANGED keeps the file's own channels.
_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
              ImageReadMode.RGB_ALPHA: "RGBA"}
_UNSUPPORTED_FILE = "Unsupported image file. Only jpeg, png and gif are currently supported."


def read_image(path, mode=ImageReadMode.UNCHANGED):
    """Read a PNG, JPEG or other image file Pillow can decode into a uint8 tensor (C, H, W).

    Args:
        path (str or ``pathlib.Path``): path of the image.
        mode (ImageReadMode or str): the channels to convert to. Default: ``ImageReadMode.UNCHANGED``.

    Returns:
        Tensor[image_channels, image_height, image_width]
    """
    return decode_image(read_file(path), mode)


def decode_image(input, mode=ImageReadMode.UNCHANGED):
    """Decode the bytes of an image file into a uint8 tensor (C, H, W).

    Args:
        input (Tensor or str or ``pathlib.Path``): a one-dimensional uint8 tensor of the file's bytes, or the
            file's path.
        mode (ImageReadMode or str): the channels to convert to. Default: ``ImageReadMode.UNCHANGED``, which
            keeps grayscale (1), grayscale + alpha (2), RGB (3) or RGBA (4); palette images become RGB (RGBA
            when they have transparency), as libpng expands them for torchvision.

    Raises:
        RuntimeError: for a tensor that is not uint8 or not one-dimensional and non-empty, or bytes that are
            not an image.
    """
    if not isinstance(input, Tensor):
        input = read_file(input)
    mode = as_read_mode(mode)
    check_byte_tensor(input)
    Image = require_pil_image()
    try:
        with Image.open(io.BytesIO(input.numpy().tobytes())) as image:
            image.load()
            image = image.convert(_PIL_MODES.get(mode) or _unchanged_mode(image))
    except (OSError, ValueError, SyntaxError):  # Pillow's "cannot identify image file" and decoder errors
        raise RuntimeError(_UNSUPPORTED_FILE) from None
    array = np.asarray(image, dtype=np.uint8).reshape(image.size[1], image.size[0], len(image.getbands()))
    return as_tensor(np.ascontiguousarray(array.transpose(2, 0, 1)))


def _unchanged_mode(image):
    """The 8-bit Pillow mode that keeps ``image``'s channels."""
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return image.mode
    if image.mode == "P":
        return "RGBA" if "transparency" in image.info else "RGB"
    if image.mode in ("1", "I", "I;16", "I;16B", "I;16L", "F"):
        return "L"
    if image.mode in ("PA", "RGBa"):
        return "RGBA"
    return "RGB"


def encode_png(input, compression_level=6):
    """Encode a uint8 tensor (C, H, W) with 1 or 3 channels as the bytes of a PNG file.

    Args:
        input (Tensor[channels, image_height, image_width]): uint8 image with 1 or 3 channels.
        compression_level (int): zlib compression, from 0 to 9. Default: 6.

    Returns:
        Tensor[1]: the bytes of the PNG file, uint8.

    Raises:
        RuntimeError: for a compression level outside [0, 9], or an input that is not a uint8 tensor of
            3 dimensions with 1 or 3 channels.
    """
    if not 0 <= compression_level <= 9:
        raise RuntimeError("Compression level should be between 0 and 9")
    return _encode(input, "PNG", compress_level=compression_level)


def write_png(input, filename, compression_level=6):
    """Save a uint8 tensor (C, H, W) with 1 or 3 channels as a PNG file (see ``encode_png``)."""
    write_file(filename, encode_png(input, compression_level))


def encode_jpeg(input, quality=75):
    """Encode a uint8 tensor (C, H, W) with 1 or 3 channels as the bytes of a JPEG file.

    Args:
        input (Tensor[channels, image_height, image_width]): uint8 image with 1 or 3 channels.
        quality (int): JPEG quality, from 1 to 100. Default: 75.

    Returns:
        Tensor[1]: the bytes of the JPEG file, uint8.

    Raises:
        ValueError: for a quality outside [1, 100].
        RuntimeError: for an input that is not a uint8 tensor of 3 dimensions with 1 or 3 channels.
    """
    if quality < 1 or quality > 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    return _encode(input, "JPEG", quality=quality)


def write_jpeg(input, filename, quality=75):
    """Save a uint8 tensor (C, H, W) with 1 or 3 channels as a JPEG file (see ``encode_jpeg``)."""
    write_file(filename, encode_jpeg(input, quality))


def _encode(input, file_format, **options):
    if not isinstance(input, Tensor) or input.dtype != _dtype.uint8:
        raise RuntimeError("Input tensor dtype should be uint8")
    if input.ndim != 3:
        raise RuntimeError("Input data should be a 3-dimensional tensor")
    channels = input.shape[0]
    if channels not in (1, 3):
        raise RuntimeError(f"The number of channels should be 1 or 3, got: {channels}")
    hwc = np.ascontiguousarray(input.numpy(force=True).transpose(1, 2, 0))
    image = require_pil_image().fromarray(hwc[:, :, 0] if channels == 1 else hwc, "L" if channels == 1 else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format=file_format, **options)
    return as_tensor(np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy())
