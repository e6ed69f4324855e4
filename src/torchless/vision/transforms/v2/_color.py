"""The colour functionals where torchvision's v2 differs from v1 on tensors: ``posterize`` and ``equalize`` take
float images too, ``invert``/``solarize`` refuse bool images with v2's message (while v2's ``autocontrast`` takes
them), ``solarize`` words its threshold error differently, ``adjust_sharpness`` and ``gaussian_blur`` take any
number of leading batch dimensions, and ``rgb_to_grayscale`` repeats a 1-channel image to 3 channels when asked.
Anything but a tensor goes to v1's function, as v2 sends PIL images to the same Pillow code."""
import warnings

import numpy as np

from .... import _dtype, _memory_format
from ...._ops.arithmetic import plus_scaled
from ...._ops.shape import expanded_view
from ...._kernels.fma import fused_multiply_add32
from ...._tensor import Tensor
from ..._pillow import is_pil_image as _is_pil_image
from .. import _color
from .._image import in_layout_of
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
    """``max - image`` (v2): any number of channels; bool tensors raise TypeError, as torchvision v2's ``invert``."""
    if isinstance(inpt, Tensor):
        if not inpt.is_floating_point():
            _num_value_bits(inpt)
        return Tensor._wrap(_color._inverted(inpt._data))
    return _v1.invert(inpt)


def solarize(inpt, threshold):
    """Invert the pixels at or above ``threshold`` (v2: any number of channels; a threshold above the dtype's
    maximum and bool tensors are TypeErrors)."""
    if isinstance(inpt, Tensor):
        # v1's _max_value: the int 1 for floats (the comparison's TypeError names it) and for bool (whose error for
        # inverting comes after)
        if threshold > (1 if inpt.dtype == _dtype.bool else int(_max_value(inpt))):
            raise TypeError(f"Threshold should be less or equal the maximum value of the dtype, but got {threshold}")
        if inpt.dtype == _dtype.bool:  # v2 inverts through its invert, which refuses bool images
            _num_value_bits(inpt)
        return Tensor._wrap(_color._solarized(inpt._data, _color.scalar(threshold)))
    return _v1.solarize(inpt, threshold)


def posterize(inpt, bits):
    """Keep the ``bits`` highest bits of each value; float images are quantised to ``2 ** bits`` levels
    (``floor(image * levels).clamp(0, levels - 1) / levels``), as torchvision v2 does.

    Raises:
        TypeError: for ``bits`` that is not an int in [0, 8] (tensors), or a bool tensor.
    """
    if _is_pil_image(inpt):  # v2 hands PIL images to Pillow with no check of its own
        from .._image import pil_functional

        return pil_functional().posterize(inpt, bits)
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
    # (contiguous whatever the image's layout, as v2's gather leaves it; NumPy's stack keeps the planes' layout)
    equalized = np.ascontiguousarray(np.stack([_color._equalized(plane) for plane in planes]))
    equalized = Tensor._wrap(equalized.reshape(data.shape))
    return to_dtype(equalized, inpt.dtype, scale=True)


def adjust_sharpness(inpt, sharpness_factor):
    """v1's ``adjust_sharpness`` with any number of leading batch dimensions."""
    if isinstance(inpt, Tensor):
        if inpt.ndim < 3:  # v2 unpacks (C, H, W) first
            raise ValueError(f"not enough values to unpack (expected 3, got {inpt.ndim})")
        _check_channels(inpt, "can have 1 or 3 channels")
        return _color._adjust_sharpness(inpt, sharpness_factor, batch_dims=None, v2=True)
    return _v1.adjust_sharpness(inpt, sharpness_factor)


def gaussian_blur(inpt, kernel_size, sigma=None):
    """v1's ``gaussian_blur`` with any number of leading batch dimensions; an empty image is returned as it is."""
    if isinstance(inpt, Tensor) and not isinstance(kernel_size, int):
        len(kernel_size)  # v2 takes the length of anything but an int (a TypeError for a float, as there)
    if isinstance(inpt, Tensor) and inpt.numel() == 0:
        _v1.gaussian_blur(Tensor._wrap(np.zeros((1, 3, 3), np.float32)), kernel_size, sigma)  # the argument checks
        return inpt
    if isinstance(inpt, Tensor) and inpt.ndim > 4:
        shape = tuple(inpt.shape)
        out = _v1._gaussian_blur(inpt.reshape(-1, *shape[-3:]), kernel_size, sigma, v2=True)
        return out.reshape(shape)
    return _v1._gaussian_blur(inpt, kernel_size, sigma, v2=True)


def rgb_to_grayscale(inpt, num_output_channels=1):
    """v2's ``rgb_to_grayscale``: a 1-channel tensor is copied (or repeated to 3 channels); other channel counts
    fail where v2 unpacks ``r, g, b`` (its ValueError); the luma is v2's fused float32 sum, cast back."""
    if num_output_channels not in (1, 3) and (isinstance(inpt, Tensor) or _is_pil_image(inpt)):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}.")
    if not isinstance(inpt, Tensor):
        return _v1.rgb_to_grayscale(inpt, num_output_channels)
    data = inpt._data
    channels = data.shape[-3]
    if channels == 1 and num_output_channels == 1:  # v2's ``image.clone()``, laid out as the image
        return Tensor._wrap(_memory_format.preserving(data.copy(order="K"), data))
    if channels == 1:  # v2's ``image.repeat``
        repeats = [1] * data.ndim
        repeats[-3] = num_output_channels
        return Tensor._wrap(np.tile(data, repeats))
    _r, _g, _b = np.moveaxis(data, -3, 0)  # v2's ``image.unbind(dim=-3)``: the same ValueError for 2 or 4 channels
    # v2's ``l_img.unsqueeze(dim=-3)``, then ``expand``ed to 3 channels: a view of the luma, as there
    luma = _color.unsqueezed_luma(_float_luma(data)[..., 0, :, :].astype(data.dtype), data)
    return Tensor._wrap(expanded_view(luma, data.shape) if num_output_channels == 3 else luma)


# ------------------------------------------------------------------ v2's tensor kernels for the colour adjustments
# v2 checks the channels after the factor, with its own wording, and lets invert / solarize take any channels.
def _check_channels(inpt, wording="permitted channel values are 1 or 3"):
    channels = inpt.shape[-3]
    if channels not in (1, 3):
        raise TypeError(f"Input image tensor {wording}, but found {channels}")


def _check_factor(name, factor):
    if factor < 0:
        raise ValueError(f"{name} ({factor}) is not non-negative.")


def _fma(a, alpha, b):
    """``a.add_(b, alpha=alpha)`` in float32: PyTorch's vectorised CPU kernel computes it as one fused multiply-add."""
    return fused_multiply_add32(np.float32(alpha), np.asarray(b, np.float32), np.asarray(a, np.float32))


def _float_luma(data):
    """v2's ``r.mul(0.2989).add_(g, alpha=0.587).add_(b, alpha=0.114)``, kept as float (float32 for integer dtypes)."""
    compute = data.dtype.type if data.dtype.kind == "f" else np.float32
    if compute is np.float16:
        # mul computes in float32 with its scalar in float32, rounded to float16; add_ as PyTorch's add kernel
        r, g, b = (data[..., c, :, :] for c in range(3))
        luma = plus_scaled(plus_scaled(_color.half_scaled(r, 0.2989), g, 0.587), b, 0.114)
        return luma[..., None, :, :]
    r, g, b = (data[..., c, :, :].astype(compute) for c in range(3))
    if compute is not np.float32:
        return (r * compute(0.2989) + g * compute(0.587) + b * compute(0.114))[..., None, :, :]
    return _fma(_fma(r * np.float32(0.2989), 0.587, g), 0.114, b)[..., None, :, :]


def _v2_blend(image, other, ratio):
    """v2's ``image.mul(ratio).add_(other, alpha=1 - ratio).clamp_(0, bound)``, truncated back to integer dtypes."""
    ratio = float(ratio)
    if image.dtype == np.float16:
        # mul's scalar stays float32, its product rounded to half; add_ as PyTorch's add kernel
        other = np.broadcast_to(np.asarray(other, np.float16), image.shape)
        mixed = plus_scaled(_color.half_scaled(image, ratio), other, 1.0 - ratio)
    elif image.dtype.kind == "f":
        kind = image.dtype.type
        mixed = image * kind(ratio) + np.asarray(other, image.dtype) * kind(1.0 - ratio)
    else:
        mixed = _fma(image.astype(np.float32) * np.float32(ratio), 1.0 - ratio, np.asarray(other, np.float32))
    return in_layout_of(image, np.clip(mixed, 0, _color.max_value(image.dtype)).astype(image.dtype))


def adjust_brightness(inpt, brightness_factor):
    """v2's ``image.mul(factor).clamp_(0, bound)``: v1's blend for a float factor, but an integer (or bool) factor
    multiplies an integer image in its own dtype, wrapping around as PyTorch's integer product does (before the
    clamp; int64 pixels beyond float's precision kept)."""
    if isinstance(inpt, Tensor):
        _check_factor("brightness_factor", brightness_factor)
        _check_channels(inpt)
        data = inpt._data
        if data.dtype.kind in "iu" and isinstance(brightness_factor, (int, np.integer)):
            return Tensor._wrap(_wrapped_product(data, brightness_factor))
        if data.dtype.kind == "b" and isinstance(brightness_factor, bool):  # a bool product, clamped by ints
            raise RuntimeError("result type Long can't be cast to the desired output type bool")
    return _v1.adjust_brightness(inpt, brightness_factor)


def _wrapped_product(data, factor):
    """``data * factor`` in ``data``'s integer dtype (modulo its range, the factor too), clamped at 0."""
    with np.errstate(over="ignore"):
        product = np.multiply(data, np.array(int(factor) % (1 << 64), np.uint64).astype(data.dtype), dtype=data.dtype)
    return np.maximum(product, 0, dtype=data.dtype) if data.dtype.kind == "i" else product


def adjust_contrast(inpt, contrast_factor):
    """Blend with the mean of the grayscale image, v2's arithmetic: the luma in float (floored for integer and
    bool images, where v1 casts it back to their dtype), its mean kept as float."""
    if not isinstance(inpt, Tensor):
        return _v1.adjust_contrast(inpt, contrast_factor)
    _check_factor("contrast_factor", contrast_factor)
    _check_channels(inpt)
    data = inpt._data
    if data.shape[-3] == 3:
        grey = _float_luma(data)
        if data.dtype.kind != "f":
            grey = np.floor(grey)
    else:
        grey = data if data.dtype.kind == "f" else data.astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the mean of an empty image is nan, silently
        # float16 means are accumulated in float32, as PyTorch's
        accumulate = np.float32 if grey.dtype == np.float16 else grey.dtype
        mean = np.mean(grey, axis=(-3, -2, -1), keepdims=True, dtype=accumulate).astype(grey.dtype)
    return Tensor._wrap(_v2_blend(data, mean, contrast_factor))


def adjust_hue(inpt, hue_factor):
    if isinstance(inpt, Tensor):
        if not -0.5 <= hue_factor <= 0.5:
            raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
        _check_channels(inpt)
        if inpt.shape[-3] == 1 or inpt.numel() == 0:  # nothing to turn (as Pillow), or nothing at all
            return inpt
        if inpt._data.dtype in (np.int32, np.int64):
            # v2 converts back from float32 with to_dtype, which refuses these
            raise RuntimeError(f"The conversion from {_dtype.float32} to {inpt.dtype} cannot be performed safely.")
        hsv = _v2_rgb_to_hsv(to_dtype(inpt, _dtype.float32, scale=True)._data)
        hsv[..., 0, :, :] = hsv[..., 0, :, :] + np.float32(hue_factor)
        hsv[..., 0, :, :] -= np.floor(hsv[..., 0, :, :])  # torch.remainder(h, 1.0)
        return to_dtype(Tensor._wrap(_v2_hsv_to_rgb(hsv)), inpt.dtype, scale=True)
    return _v1.adjust_hue(inpt, hue_factor)


def _v2_rgb_to_hsv(image):
    """v2's RGB -> HSV of a float32 image (..., 3, H, W), in its order of operations (Pillow's algorithm)."""
    r, g, b = (image[..., c, :, :] for c in range(3))
    maxc, minc = image.max(axis=-3), image.min(axis=-3)
    equal = maxc == minc
    spread = maxc - minc
    ones = np.ones_like(maxc)
    saturation = spread / np.where(equal, ones, maxc)
    divisor = np.where(equal, ones, spread)
    rc, gc, bc = ((maxc - channel) / divisor for channel in (r, g, b))
    not_r, is_g = maxc != r, maxc == g
    hue_g = ((rc + np.float32(2.0)) - bc) * (is_g & not_r)
    hue_r = (bc - gc) * ~not_r
    hue_b = ((gc + np.float32(4.0)) - rc) * (not_r & ~is_g)
    hue = np.fmod(((hue_r + hue_g) + hue_b) * np.float32(1.0 / 6.0) + np.float32(1.0), np.float32(1.0))
    return np.stack((hue, saturation, maxc), axis=-3).astype(np.float32)


# which of (v, p, q, t) each of r, g, b takes, for each sixth of the hue circle
_V2_HSV_SELECT = np.array([[0, 2, 1, 1, 3, 0], [3, 0, 0, 2, 1, 1], [1, 1, 3, 0, 0, 2]])


def _v2_hsv_to_rgb(image):
    """v2's HSV -> RGB of a float32 image (..., 3, H, W)."""
    h, s, v = (image[..., c, :, :] for c in range(3))
    h6 = h * np.float32(6)
    sector = np.floor(h6)
    fraction = h6 - sector
    sector = sector.astype(np.int32) % 6
    s_times_f = s * fraction
    one_minus_s = np.float32(1.0) - s
    q = np.clip((np.float32(1.0) - s_times_f) * v, 0.0, 1.0)
    t = np.clip((s_times_f + one_minus_s) * v, 0.0, 1.0)
    p = np.clip(one_minus_s * v, 0.0, 1.0)
    choices = np.stack((v, p, q, t))
    channels = [np.take_along_axis(choices, _V2_HSV_SELECT[c][sector][None], axis=0)[0] for c in range(3)]
    # contiguous as torch.stack's result (NumPy's keeps a transposed image's layout)
    return np.ascontiguousarray(np.stack(channels, axis=-3), np.float32)


def adjust_saturation(inpt, saturation_factor):
    """Blend with the grayscale image (floored for integer images), v2's arithmetic."""
    if not isinstance(inpt, Tensor):
        return _v1.adjust_saturation(inpt, saturation_factor)
    _check_factor("saturation_factor", saturation_factor)
    _check_channels(inpt)
    if inpt.shape[-3] == 1:  # as Pillow
        return inpt
    data = inpt._data
    luma = _float_luma(data)
    if data.dtype.kind != "f":
        luma = np.floor(luma)
    return Tensor._wrap(_v2_blend(data, luma, saturation_factor))


def autocontrast(inpt):
    """Stretch each channel to the dtype's range: v2's ``(image - min) / ((max - min) * (1 / bound))`` in float32
    (bool tensors: v1's formula through float32, which v2 accepts)."""
    if not isinstance(inpt, Tensor):
        return _v1.autocontrast(inpt)
    _check_channels(inpt)
    if inpt.dtype == _dtype.bool:
        return _color._autocontrast(inpt, refuse_bool=False)
    data = inpt._data
    if data.size == 0:
        return inpt
    bound = _max_value(inpt)
    values = data if data.dtype.kind == "f" else data.astype(np.float32)
    kind = values.dtype.type
    minimum = values.min(axis=(-2, -1), keepdims=True)
    maximum = values.max(axis=(-2, -1), keepdims=True)
    flat = maximum == minimum
    inv_scale = np.where(flat, kind(1), (maximum - minimum) * kind(1.0 / bound))
    minimum = np.where(flat, kind(0), minimum)
    with np.errstate(invalid="ignore"):  # float32 cannot hold int32's / int64's bound: PyTorch casts silently
        return Tensor._wrap(in_layout_of(data, np.clip((values - minimum) / inv_scale, 0, bound).astype(data.dtype)))


def adjust_gamma(inpt, gamma, gain=1):
    """v2's gamma correction of tensors: any number of channels, ``to_dtype(..., scale=True)`` there and back for
    integer images, and clamped to [0, 1] only when ``gain`` is not 1."""
    if not isinstance(inpt, Tensor):
        return _v1.adjust_gamma(inpt, gamma, gain)
    gamma, gain = _color.scalar(gamma), _color.scalar(gain)
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    if inpt.is_floating_point():
        data = inpt._data
        output = data ** data.dtype.type(gamma)
    else:
        output = to_dtype(inpt, _dtype.float32, scale=True)._data ** np.float32(gamma)
    if gain != 1.0:
        # (a half image times the Python number as PyTorch computes it: in float32, rounded once)
        scaled = _color.half_scaled(output, gain) if output.dtype == np.float16 else output * output.dtype.type(gain)
        output = np.clip(scaled, 0.0, 1.0)
    return to_dtype(Tensor._wrap(output.astype(output.dtype, copy=False)), inpt.dtype, scale=True)
