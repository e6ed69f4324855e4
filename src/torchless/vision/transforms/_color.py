"""Colour transforms with torchvision's interface: grayscale, the adjustments of brightness, contrast,
saturation, hue, gamma and sharpness, invert, posterize, solarize, autocontrast and equalize.

Tensors (..., C, H, W) go through torchvision's tensor formulas, and so do array images (the PIL stand-in)
on their C x H x W view (except grayscale, which follows Pillow for uint8 arrays); PIL images go to Pillow
as in torchvision and come back as PIL images.
"""
import warnings

import numpy as np

from ... import _dtype, _memory_format
from ..._ops.arithmetic import plus_scaled
from ..._ops.shape import expanded_view
from ..._kernels.fma import fused_multiply_add32
from ..._tensor import Tensor
from .._pillow import is_pil_image
from ._conversion import convert_array_dtype, max_value
from ._image import (PIL_EXPECTED, as_image, assert_image_tensor, compute_dtype, in_layout_of, on_hw_axes,
                     pil_functional)


# --------------------------------------------------------------------------------------------- Grayscale
_PIL_LUMA = (19595, 38470, 7471)  # ITU-R 601-2 weights 0.299, 0.587, 0.114 in Pillow's 16-bit fixed point


def rgb_to_grayscale(img, num_output_channels=1):
    """Luma of an RGB image with ITU-R 601-2 weights, in 1 or 3 (repeated) channels.

    Tensors (..., 3, H, W) use torchvision's tensor formula ``0.2989 r + 0.587 g + 0.114 b`` in float32 (or
    the float dtype) and truncate back to integer dtypes; uint8 array images use Pillow's fixed-point
    ``convert("L")`` (rounded), so they match what a PIL image would give; PIL images are converted by
    Pillow (an ``L`` image, or ``RGB`` with three equal channels).
    """
    img = as_image(img, PIL_EXPECTED)
    if is_pil_image(img):
        return pil_functional().to_grayscale(img, num_output_channels)
    if isinstance(img, Tensor):
        return Tensor._wrap(_tensor_grayscale(img, num_output_channels))
    return _array_grayscale(img, num_output_channels)


def _tensor_grayscale(img, num_output_channels):
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    channels = img.shape[-3]
    if channels not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are {[1, 3]}, but found {channels}")
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    data = img._data
    if channels == 3 and data.dtype == np.float16:
        # PyTorch computes each float16 op in float32 (the weights too) and rounds its result to float16
        r, g, b = (data[..., c, :, :].astype(np.float32) for c in range(3))
        half = lambda x: x.astype(np.float16).astype(np.float32)  # noqa: E731
        luma = half(half(half(np.float32(0.2989) * r) + half(np.float32(0.587) * g)) + half(np.float32(0.114) * b))
        luma = unsqueezed_luma(luma.astype(np.float16), data)
    elif channels == 3:
        compute = data.dtype.type if data.dtype.kind == "f" else _dtype.get_default_dtype().numpy.type
        r, g, b = (data[..., c, :, :].astype(compute) for c in range(3))
        luma = unsqueezed_luma((compute(0.2989) * r + compute(0.587) * g + compute(0.114) * b).astype(data.dtype), data)
    else:  # torchvision's ``img.clone()``, laid out as the image
        luma = _memory_format.preserving(data.copy(order="K"), data)
    if num_output_channels == 3 and channels == 3:
        return expanded_view(luma, data.shape)  # torchvision's expand: a view of the luma, not a copy
    return luma  # (v1 expands a one-channel image to its own shape: it stays one channel)


def unsqueezed_luma(luma, data):
    """The luma (..., H, W) of the image ``data`` (..., C, H, W) laid out as torchvision's: as TensorIterator lays
    out an elementwise op on the image's channel planes, then ``unsqueeze(dim=-3)`` (whose stride NumPy's ``None``
    index would leave 0)."""
    luma = _memory_format.iterator_layout(luma, [data[..., 0, :, :]])
    return _memory_format.unsqueezed_view(luma, -3, writeable=True)


def _array_grayscale(img, num_output_channels):
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.ndim == 2 or img.shape[2] in (1, 2):  # L or LA: the luma is already there
        luma = img if img.ndim == 2 else img[..., 0]
    elif img.shape[2] in (3, 4):  # RGB or RGBA
        luma = _array_luma(img[..., :3])
    else:
        raise TypeError(f"Input image array permitted channel counts are [1, 2, 3, 4], but found {img.shape[2]}")
    luma = np.array(luma, copy=True)
    return np.dstack([luma] * 3) if num_output_channels == 3 else luma


def _array_luma(rgb):
    if rgb.dtype == np.uint8:
        fixed = rgb.astype(np.uint32) @ np.array(_PIL_LUMA, np.uint32)
        return ((fixed + 0x8000) >> 16).astype(np.uint8)
    luma = rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    return (np.round(luma) if rgb.dtype.kind in "iu" else luma).astype(rgb.dtype)


def to_grayscale(img, num_output_channels=1):
    """Grayscale version of a PIL image of any mode (or of an array image), in 1 or 3 channels.

    Raises:
        TypeError: for a tensor or another non-PIL input, as torchvision (use ``rgb_to_grayscale`` for tensors).
    """
    if is_pil_image(img):
        return pil_functional().to_grayscale(img, num_output_channels)
    if isinstance(img, np.ndarray):
        return _array_grayscale(img, num_output_channels)
    raise TypeError("Input should be PIL Image")


# ------------------------------------------------------------------------------------ Colour adjustments
def _assert_channels(data, permitted):
    channels = 1 if data.ndim == 2 else data.shape[-3]
    if channels not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {channels}")


def _blend(img1, img2, ratio):
    """``ratio * img1 + (1 - ratio) * img2`` clamped to the dtype's range and cast back (truncating ints)."""
    compute = compute_dtype(img1.dtype)
    ratio = float(ratio)  # 1 - ratio in double precision, as Python computes it in torchvision, then rounded
    if compute is np.float16:
        mixed = half_scaled(img1, ratio) + half_scaled(np.asarray(img2, np.float16), 1.0 - ratio)
    else:
        mixed = compute(ratio) * img1.astype(compute) + compute(1.0 - ratio) * np.asarray(img2, compute)
    return in_layout_of(img1, np.clip(mixed, 0, max_value(img1.dtype)).astype(img1.dtype))


def half_scaled(half, scalar):
    """A float16 array times a Python number as PyTorch computes it: in float32 with the number in float32 (not
    first rounded to half), the product rounded to half."""
    return (half.astype(np.float32) * np.float32(scalar)).astype(np.float16)


def _colour_op(img, fn):
    """Apply ``fn`` to the (..., C, H, W) data of a tensor, or the C x H x W view of an array image."""
    img = as_image(img, PIL_EXPECTED)
    if isinstance(img, Tensor):
        assert_image_tensor(img)
    return on_hw_axes(img, fn)


def adjust_brightness(img, brightness_factor):
    """Multiply the image by ``brightness_factor`` (0 gives black, 1 the original), clamped to the valid range.

    Array images (the PIL stand-in) use the tensor formula on their C x H x W view; PIL images Pillow's
    ``ImageEnhance.Brightness``.
    """
    if is_pil_image(img):
        return pil_functional().adjust_brightness(img, brightness_factor)
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")

    def fn(a):
        _assert_channels(a, [1, 3])
        return _blend(a, np.zeros_like(a), brightness_factor)

    return _colour_op(img, fn)


def adjust_contrast(img, contrast_factor):
    """Blend the image with the mean of its grayscale version (0 gives a solid grey, 1 the original).

    PIL images use Pillow's ``ImageEnhance.Contrast`` (which blends with the rounded mean grey level).
    """
    if is_pil_image(img):
        return pil_functional().adjust_contrast(img, contrast_factor)
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")

    def fn(a):
        _assert_channels(a, [3, 1])
        if a.ndim == 2:  # torchvision takes the mean over dims (-3, -2, -1), which a 2-D tensor has not
            raise IndexError("Dimension out of range (expected to be in range of [-2, 1], but got -3)")
        compute = compute_dtype(a.dtype)
        grey = _tensor_grayscale(Tensor._wrap(a), 1) if a.shape[-3] == 3 else a
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the mean of an empty image is nan, silently
            # float16 means are accumulated in float32, as PyTorch's
            accumulate = np.float32 if compute is np.float16 else compute
            mean = np.mean(grey.astype(compute), axis=(-3, -2, -1), keepdims=True, dtype=accumulate).astype(compute)
        return _blend(a, mean, contrast_factor)

    return _colour_op(img, fn)


def adjust_saturation(img, saturation_factor):
    """Blend the image with its grayscale version (0 gives grey, 1 the original); 1-channel images are unchanged.

    PIL images use Pillow's ``ImageEnhance.Color``.
    """
    if is_pil_image(img):
        return pil_functional().adjust_saturation(img, saturation_factor)
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")

    def fn(a):
        _assert_channels(a, [1, 3])
        if a.ndim == 2 or a.shape[-3] == 1:  # as PIL: nothing to desaturate (a 2-D tensor has one channel)
            return a
        return _blend(a, _tensor_grayscale(Tensor._wrap(a), 1), saturation_factor)

    return _colour_op(img, fn)


def adjust_hue(img, hue_factor):
    """Shift the hue channel by ``hue_factor`` (in [-0.5, 0.5], a fraction of the colour wheel).

    The image goes to HSV and back in float32; integer images are converted as by ``convert_image_dtype``
    (uint8: scaled to [0, 1], then ``255.999 * value`` truncated back).
    1-channel images are returned unchanged. PIL images shift Pillow's 8-bit hue channel instead, as
    torchvision does; ``L``, ``1``, ``I`` and ``F`` images are returned unchanged.
    """
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    img = as_image(img, PIL_EXPECTED)
    if is_pil_image(img):
        return pil_functional().adjust_hue(img, hue_factor)

    def fn(a):
        _assert_channels(a, [1, 3])
        if a.ndim == 2 or a.shape[-3] == 1:
            return a
        # convert_image_dtype both ways, as torchvision: back to uint8 is a truncation of 255.999 * value, and
        # any other dtype (float64 too) goes through float32.
        hsv = _rgb2hsv(convert_array_dtype(a, np.dtype(np.float32)))
        hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + hsv.dtype.type(hue_factor), 1.0)
        return convert_array_dtype(_hsv2rgb(hsv), a.dtype)

    return _colour_op(img, fn)


def _rgb2hsv(img):
    r, g, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    maxc = img.max(axis=-3)
    minc = img.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    ones = np.ones_like(maxc)
    s = cr / np.where(eqc, ones, maxc)
    cr_divisor = np.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0).astype(img.dtype)
    return np.stack((h, s, maxc), axis=-3)


def _hsv2rgb(img):
    h, s, v = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    channels = [np.choose(i, [c[k] for c in choices]) for k in range(3)]
    # channels last in memory, as torchvision's einsum over the channel masks leaves its result
    return np.moveaxis(np.stack(channels, axis=-1).astype(img.dtype), -1, -3)


_BOOL_SUBTRACTION = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert "
                     "a mask, use the `~` or `logical_not()` operator instead.")


def _refuse_bool(a):
    """torchvision's v1 tensor functions compute ``max - img``, which PyTorch refuses for bool tensors."""
    if a.dtype == np.bool_:
        raise RuntimeError(_BOOL_SUBTRACTION)


def invert(img):
    """Invert the colours: ``max - img``, with max 1.0 for floats and the dtype's maximum for integers.

    PIL images use Pillow's ``ImageOps.invert``.

    Raises:
        NotImplementedError: for a bool image, with PyTorch's message (as torchvision).
    """
    if is_pil_image(img):
        return pil_functional().invert(img)
    return _invert(img, refuse_bool=True)


def _invert(img, refuse_bool):
    def fn(a):
        _assert_at_least_3d(a)
        _assert_channels(a, [1, 3])
        if refuse_bool:
            _refuse_bool(a)
        return _inverted(a)

    return _colour_op(img, fn)


def _inverted(a):
    if a.dtype == np.bool_:
        return ~a
    return (np.asarray(max_value(a.dtype), a.dtype) - a).astype(a.dtype)


def _assert_at_least_3d(a):
    if a.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {a.ndim}")


def autocontrast(img):
    """Stretch each channel linearly so that its darkest pixel becomes 0 and its brightest the maximum value.

    PIL images use Pillow's ``ImageOps.autocontrast``.

    Raises:
        NotImplementedError: for a bool image, with PyTorch's message (as torchvision).
    """
    if is_pil_image(img):
        return pil_functional().autocontrast(img)
    return _autocontrast(img, refuse_bool=True)


def _autocontrast(img, refuse_bool):
    def fn(a):
        _assert_at_least_3d(a)
        _assert_channels(a, [1, 3])
        if refuse_bool:
            _refuse_bool(a)
        bound = max_value(a.dtype)
        compute = compute_dtype(a.dtype)
        for dim in (-2, -1):
            if a.shape[dim] == 0:  # torch's amin refuses to reduce an empty dimension
                raise IndexError(f"amin(): Expected reduction dim {dim} to have non-zero size.")
        minimum = a.min(axis=(-2, -1), keepdims=True).astype(compute)
        maximum = a.max(axis=(-2, -1), keepdims=True).astype(compute)
        with np.errstate(divide="ignore", invalid="ignore"):
            # torchvision's ``bound / (maximum - minimum)``: PyTorch's __rdiv__ is reciprocal() * bound
            scale = np.reciprocal(maximum - minimum) * compute(bound)
        flat = ~np.isfinite(scale)  # a constant channel is left as it is
        minimum[flat] = 0
        scale[flat] = 1
        with np.errstate(invalid="ignore"):  # float32 cannot hold int32's / int64's bound: PyTorch casts silently
            return np.clip((a.astype(compute) - minimum) * scale, 0, bound).astype(a.dtype)

    return _colour_op(img, fn)



# ------------------------------------------------------------------------------- Gamma and sharpness
def adjust_gamma(img, gamma, gain=1):
    """Gamma correction ``gain * I ** gamma`` on intensities in [0, 1], clamped to [0, 1].

    Integer images are converted to float32 and back with ``convert_image_dtype``'s scaling. PIL images
    go through torchvision's lookup table ``int(255.999 * gain * (v / 255) ** gamma)`` on their RGB version.

    Raises:
        ValueError: for a negative ``gamma``.
    """
    if is_pil_image(img):
        if gamma < 0:
            raise ValueError("Gamma should be a non-negative real number")
        return pil_functional().adjust_gamma(img, gamma, gain)
    gamma, gain = scalar(gamma), scalar(gain)

    def fn(a):
        _assert_channels(a, [1, 3])
        if gamma < 0:
            raise ValueError("Gamma should be a non-negative real number")
        if a.dtype == np.float16:
            # PyTorch's half pow: the exponent rounded to half, the power taken in float32 and rounded to half
            powered = (a.astype(np.float32) ** np.float32(np.float16(gamma))).astype(np.float16)
            return in_layout_of(a, np.clip(half_scaled(powered, gain), 0, 1))
        result = a if a.dtype.kind == "f" else convert_array_dtype(a, np.dtype(np.float32))
        result = np.clip(gain * result ** gamma, 0, 1)
        return in_layout_of(a, convert_array_dtype(result, a.dtype))

    return _colour_op(img, fn)


def adjust_sharpness(img, sharpness_factor):
    """Blend the image with a smoothed copy of it (0 gives the smoothed image, 1 the original, 2 a sharper one).

    The smoothing is torchvision's 3 x 3 kernel [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13 on the interior pixels,
    the one-pixel border staying as it is; images with a side of 2 pixels or fewer are returned unchanged.
    PIL images use Pillow's ``ImageEnhance.Sharpness``.

    Raises:
        ValueError: for a negative ``sharpness_factor`` (tensor and array images).
        RuntimeError: for a tensor of more than 4 dimensions (torchvision's conv2d refuses it).
    """
    if is_pil_image(img):
        return pil_functional().adjust_sharpness(img, sharpness_factor)
    return _adjust_sharpness(img, sharpness_factor, batch_dims=1)


def _adjust_sharpness(img, sharpness_factor, batch_dims, v2=False):
    """``adjust_sharpness`` on tensors with at most ``batch_dims`` leading dimensions (None: any number);
    ``v2``: v2's blend of the interior, ``image + (1 - factor) * (smoothed - image)`` in place."""
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")

    def fn(a):
        _assert_channels(a, [1, 3])
        if a.shape[-1] <= 2 or a.shape[-2] <= 2:
            return a
        if a.ndim == 2:  # torchvision's smoothing kernel is expanded to img.shape[-3] channels
            raise IndexError("tuple index out of range")
        if batch_dims is not None and a.ndim > 3 + batch_dims:
            # torchvision v1 smooths with conv2d, which takes 3-D and 4-D input only
            raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: "
                               f"{list(a.shape)}")
        if v2:
            sharpened = _v2_sharpened(a, _smoothed_interior(a), sharpness_factor)
        else:
            sharpened = _blend(a, _smoothed_interior(a, round_bool=False), sharpness_factor)
        # laid out as the image: torchvision's conv2d, clone and blend all keep its memory format
        return in_layout_of(a, sharpened)

    return _colour_op(img, fn)


def _v2_sharpened(a, smoothed, sharpness_factor):
    """v2's ``view.add_(smoothed.sub_(view), alpha=1 - factor)`` on the interior (a fused multiply-add in
    float32 for integer and float32 images), clamped and truncated back to the dtype."""
    compute = compute_dtype(a.dtype)
    out = a.astype(compute)
    view = out[..., 1:-1, 1:-1]
    difference = smoothed[..., 1:-1, 1:-1].astype(compute) - view
    alpha = 1.0 - sharpness_factor
    if compute == np.float32:
        view[...] = (view.astype(np.float64) + np.float64(np.float32(alpha)) * difference).astype(np.float32)
    else:
        view[...] = plus_scaled(view, difference, alpha)
    return np.clip(out, 0, max_value(a.dtype)).astype(a.dtype)


def _depthwise_conv(data, kernel, out_hw):
    """Each channel of ``data`` (..., H, W) convolved with ``kernel`` (valid positions only). float32 as PyTorch's
    depthwise conv2d (oneDNN's) sums: one fused multiply-add per tap, row after row, from 0 (the products summed
    unfused differed in the last bit for a third of the pixels, and so a rounded uint8 pixel now and then); float16
    the same way in float32, rounded to half once at the end (summed in half, a third of the pixels were a half
    step off)."""
    height, width = out_hw
    if data.dtype == np.float16:
        return _depthwise_conv(data.astype(np.float32), kernel.astype(np.float32), out_hw).astype(np.float16)
    taps = [(kernel[i, j], data[..., i:i + height, j:j + width]) for i in range(kernel.shape[0])
            for j in range(kernel.shape[1])]
    if data.dtype != np.float32:
        return sum(weight * window for weight, window in taps)
    total = np.zeros(data.shape[:-2] + (height, width), np.float32)
    for weight, window in taps:
        total = fused_multiply_add32(window, weight, total)
    return total


def _smoothed_interior(a, round_bool=True):
    """The image with its interior smoothed by torchvision's kernel; integer images rounded back (bool ones too
    unless ``round_bool`` is False: v1 casts them back unrounded, any positive value being True)."""
    compute = compute_dtype(a.dtype)
    kernel = np.ones((3, 3), compute)
    kernel[1, 1] = 5
    kernel /= kernel.sum()
    data = a.astype(compute)
    height, width = a.shape[-2:]
    smoothed = _depthwise_conv(data, kernel, (height - 2, width - 2))
    if a.dtype.kind in "iu" or (a.dtype.kind == "b" and round_bool):
        smoothed = np.round(smoothed)
    result = a.copy()
    result[..., 1:-1, 1:-1] = smoothed.astype(a.dtype)
    return result


# ----------------------------------------------------------------------- Posterize, solarize, equalize
def _assert_uint8(a):
    if a.dtype != np.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {_dtype.from_numpy_dtype(a.dtype)}")


def posterize(img, bits):
    """Keep the ``bits`` (0 to 8) highest bits of each channel of a uint8 image (PIL: ``ImageOps.posterize``).

    Raises:
        ValueError: for ``bits`` outside [0, 8].
        TypeError: for a tensor or array image that is not uint8.
    """
    if not (0 <= bits <= 8):
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    if is_pil_image(img):
        return pil_functional().posterize(img, bits)

    def fn(a):
        _assert_at_least_3d(a)
        _assert_uint8(a)
        _assert_channels(a, [1, 3])
        return a & np.uint8(-int(2 ** (8 - bits)) & 0xFF)  # a float bits truncates the mask, as torchvision

    return _colour_op(img, fn)


def solarize(img, threshold):
    """Invert the pixels at or above ``threshold`` (PIL: ``ImageOps.solarize``).

    Raises:
        TypeError: if ``threshold`` exceeds the image's maximum value (1.0 for floats).
        NotImplementedError: for a bool image, with PyTorch's message (as torchvision).
    """
    if is_pil_image(img):
        return pil_functional().solarize(img, threshold)
    threshold = scalar(threshold)

    def fn(a):
        _assert_at_least_3d(a)
        _assert_channels(a, [1, 3])
        if threshold > int(max_value(a.dtype)):  # torchvision's bound is the int 1 for floats (in its TypeErrors)
            raise TypeError("Threshold should be less than bound of img.")
        _refuse_bool(a)
        return _solarized(a, threshold)

    return _colour_op(img, fn)


def scalar(value):
    """A one-element tensor argument (a threshold, a gamma) as the Python number it stands for: torch compares and
    computes with it as with that number, which NumPy would not."""
    return value.item() if isinstance(value, Tensor) and value.numel() == 1 else value


def _solarized(a, threshold):
    # ``image >= threshold`` as torch compares a tensor with a number: an int is cast to an integer image's dtype
    # (wrapping: -1 is 255 for uint8), a float compared in the default float dtype (170 >= 170.000005 in float32)
    at_or_above = (Tensor._wrap(a) >= threshold)._data
    return np.where(at_or_above, _inverted(a), a)


def equalize(img):
    """Equalize the histogram of each channel of a uint8 image, as Pillow's ``ImageOps.equalize`` does
    (which PIL images go through).

    Raises:
        TypeError: for a tensor of other than 3 or 4 dimensions, or one that is not uint8.
    """
    if is_pil_image(img):
        return pil_functional().equalize(img)

    def fn(a):
        if not (3 <= a.ndim <= 4):
            raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found {a.ndim}")
        _assert_uint8(a)
        _assert_channels(a, [1, 3])
        if a.ndim == 4 and len(a) == 0:  # torchvision stacks the equalized images of a batch
            raise RuntimeError("stack expects a non-empty TensorList")
        if a.size == 0:
            return a
        planes = a.reshape(-1, *a.shape[-2:])
        # (contiguous, as torch.stack leaves it: NumPy's would follow the planes' layout)
        return np.ascontiguousarray(np.stack([_equalized(plane) for plane in planes])).reshape(a.shape)

    return _colour_op(img, fn)


def _equalized(plane):
    """One uint8 channel through the lookup table that spreads its histogram evenly over [0, 255]."""
    hist = np.bincount(plane.ravel(), minlength=256)
    nonzero = hist[hist != 0]
    step = int(nonzero[:-1].sum()) // 255  # the last occupied level does not count: it maps to the top
    if step == 0:
        return plane
    lut = (np.cumsum(hist) + step // 2) // step
    lut = np.clip(np.concatenate([[0], lut[:-1]]), 0, 255)
    return lut[plane].astype(np.uint8)
