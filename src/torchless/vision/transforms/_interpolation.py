"""InterpolationMode and its correspondence with Pillow's resampling filter codes."""
import enum


class InterpolationMode(enum.Enum):
    """Interpolation modes. PIL images take all of them (Pillow resamples); tensors and arrays take
    ``NEAREST``, ``NEAREST_EXACT``, ``BILINEAR`` and ``BICUBIC`` (and tensors, in v2's ``resize``, ``LANCZOS``)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_INTERPOLATION_CODES = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
                            3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING,
                            1: InterpolationMode.LANCZOS}

# Pillow's filter for each mode (``PIL.Image.Resampling``); Pillow's nearest is already the "exact" one.
pil_modes_mapping = {InterpolationMode.NEAREST: 0, InterpolationMode.BILINEAR: 2, InterpolationMode.BICUBIC: 3,
                     InterpolationMode.NEAREST_EXACT: 0, InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5,
                     InterpolationMode.LANCZOS: 1}


def interpolation_modes_from_int(i):
    return _PIL_INTERPOLATION_CODES[i]


def check_interpolation(interpolation):
    """``interpolation`` as an InterpolationMode (Pillow's integer codes are accepted), or TypeError."""
    if isinstance(interpolation, InterpolationMode):
        return interpolation
    if isinstance(interpolation, int):
        return interpolation_modes_from_int(interpolation)
    raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer constant")
