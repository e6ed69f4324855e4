"""The colour functionals where torchvision's v2 differs from v1 on tensors: ``posterize`` and ``equalize`` take
float images too, ``invert``/``solarize`` refuse bool images with v2's message (while v2's ``autocontrast`` takes
them), ``solarize`` words its threshold error differently, ``adjust_sharpness`` and ``gaussian_blur`` take any
number of leading batch dimensions, and ``rgb_to_grayscale`` repeats a 1-channel image to 3 channels when asked.
Anything but a tensor goes to v1's function, as v2 sends PIL images to the same Pillow code."""
import numpy as np

from .... import _dtype
from ...._tensor import Tensor
from .. import _color
from .. import functional as _v1
from ._type_conversion import to_dtype

_VALUE_BITS = {np.dtype(np.uint8): 8, np.dtype(np.int8): 7, np.dtype(np.int16): 15, np.dtype(np.int32): 31,
               np.dtype(np.int64): 63}


def _num_value_bits(tensor):
    try:
        return _VALUE_BITS[tensor._data.dtype]
    except KeyError:
        raise TypeError(f"Number of value bits is only defined for integer dtypes, but got {tensor.dtype}.") from None


def _max_value(tensor):
    if tensor.is_floating_point():
        return 1.0
    return (1 << _num_value_bits(tensor)) - 1


def invert(inpt):
    """``max - image`` (v2): bool tensors raise TypeError, as torchvision v2's ``invert``."""
    if isinstance(inpt, Tensor):
        if not inpt.is_floating_point():
            _num_value_bits(inpt)
        return _color._invert(inpt, refuse_bool=False)
    return _v1.invert(inpt)


def solarize(inpt, threshold):
    """Invert the pixels at or above ``threshold`` (v2's errors: a threshold above the dtype's maximum and bool
    tensors are TypeErrors)."""
    if isinstance(inpt, Tensor):
        if threshold > _max_value(inpt):
            raise TypeError(f"Threshold should be less or equal the maximum value of the dtype, but got {threshold}")
        return _v1.solarize(inpt, threshold)
    return _v1.solarize(inpt, threshold)


def autocontrast(inpt):
    """v1's ``autocontrast``, bool tensors included (v2 computes them through float32)."""
    if isinstance(inpt, Tensor):
        return _color._autocontrast(inpt, refuse_bool=False)
    return _v1.autocontrast(inpt)


def posterize(inpt, bits):
    """Keep the ``bits`` highest bits of each value; float images are quantised to ``2 ** bits`` levels
    (``floor(image * levels).clamp(0, levels - 1) / levels``), as torchvision v2 does.

    Raises:
        TypeError: for ``bits`` that is not an int in [0, 8] (tensors), or a bool tensor.
    """
    if not isinstance(inpt, Tensor):
        return _v1.posterize(inpt, bits)
    if not isinstance(bits, int) or not 0 <= bits <= 8:
        raise TypeError(f"bits must be a positive integer in the range [0, 8], got {bits} instead.")
    data = inpt._data
    if inpt.is_floating_point():
        levels = 1 << bits
        kind = data.dtype.type
        return Tensor._wrap((np.clip(np.floor(data * kind(levels)), 0, levels - 1) * kind(1.0 / levels)).astype(
            data.dtype, copy=False))
    value_bits = _num_value_bits(inpt)
    if bits >= value_bits:
        return inpt
    mask = ((1 << bits) - 1) << (value_bits - bits)
    return Tensor._wrap(data & data.dtype.type(mask))


def equalize(inpt):
    """Histogram equalisation of each channel; float images are equalised on their uint8 conversion
    (``to_dtype(..., scale=True)`` there and back), as torchvision v2 does."""
    if not isinstance(inpt, Tensor):
        return _v1.equalize(inpt)
    if inpt.numel() == 0:
        return inpt
    image = to_dtype(inpt, _dtype.uint8, scale=True)
    data = image._data
    planes = data.reshape(-1, *data.shape[-2:])
    equalized = Tensor._wrap(np.stack([_color._equalized(plane) for plane in planes]).reshape(data.shape))
    return to_dtype(equalized, inpt.dtype, scale=True)


def adjust_sharpness(inpt, sharpness_factor):
    """v1's ``adjust_sharpness`` with any number of leading batch dimensions."""
    if isinstance(inpt, Tensor):
        return _color._adjust_sharpness(inpt, sharpness_factor, batch_dims=None)
    return _v1.adjust_sharpness(inpt, sharpness_factor)


def gaussian_blur(inpt, kernel_size, sigma=None):
    """v1's ``gaussian_blur`` with any number of leading batch dimensions."""
    if isinstance(inpt, Tensor) and inpt.ndim > 4:
        shape = tuple(inpt.shape)
        out = _v1.gaussian_blur(inpt.reshape(-1, *shape[-3:]), kernel_size, sigma)
        return out.reshape(shape)
    return _v1.gaussian_blur(inpt, kernel_size, sigma)


def rgb_to_grayscale(inpt, num_output_channels=1):
    """v1's ``rgb_to_grayscale``, except that a 1-channel tensor asked for 3 channels is repeated to 3."""
    if isinstance(inpt, Tensor) and inpt.ndim >= 3 and inpt.shape[-3] == 1 and num_output_channels == 3:
        repeats = [1] * inpt.ndim
        repeats[-3] = 3
        return inpt.repeat(*repeats)
    return _v1.rgb_to_grayscale(inpt, num_output_channels)
