"""Functional image transforms with torchvision's interface (``torchvision.transforms.functional``).

Images are either tensors of shape (..., C, H, W) or, standing in for PIL images, NumPy arrays of shape
H x W or H x W x C (what ``torchless.vision.datasets.MNIST`` returns). Array images keep their layout and
dtype through Resize/CenterCrop/Pad/Grayscale, as PIL images keep theirs; ToTensor turns either into a
C x H x W tensor. PIL images are accepted too when Pillow is installed (ToTensor converts them exactly
as torchvision; the other functions work on ``numpy.asarray(image)`` and return arrays). Only
``normalize`` is recorded by autograd; the geometric transforms act on the tensor's data. Array images go
through the tensor formulas of rotate/affine and the colour adjustments (on their C x H x W view), not
Pillow's, so they can differ from a PIL image's result by interpolation details and rounding.
"""
import enum
import math
import numbers
import sys

import numpy as np

from ... import _dtype
from ..._creation import as_tensor
from ..._tensor import Tensor
from ._resample import resample


class InterpolationMode(enum.Enum):
    """Interpolation modes; ``NEAREST``, ``NEAREST_EXACT`` and ``BILINEAR`` are implemented."""

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


def _interpolation_modes_from_int(i):
    return _PIL_INTERPOLATION_CODES[i]


def _is_pil_image(img):
    return type(img).__module__.startswith("PIL.") and hasattr(img, "getbands")


def _as_image(img):
    """A tensor or array image; PIL images become arrays, other objects are rejected as torchvision does."""
    if isinstance(img, (Tensor, np.ndarray)):
        return img
    if _is_pil_image(img):
        return np.asarray(img)
    raise TypeError(f"Unexpected type {type(img)}")


def _assert_image_tensor(img):
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img):
    """[channels, height, width] of a tensor (..., C, H, W) or array (H, W[, C]) image."""
    img = _as_image(img)
    if isinstance(img, Tensor):
        _assert_image_tensor(img)
        return [1 if img.ndim == 2 else img.shape[-3], img.shape[-2], img.shape[-1]]
    return [img.shape[2] if img.ndim == 3 else 1, img.shape[0], img.shape[1]]


# ---------------------------------------------------------------------------------------------- ToTensor
def to_tensor(pic):
    """A PIL image or H x W[ x C] array as a C x H x W tensor.

    uint8 data (and 8-bit PIL modes) are scaled to [0, 1] in the default float dtype; other dtypes are
    returned unscaled, as torchvision does.
    """
    if _is_pil_image(pic):
        return _pil_to_tensor_scaled(pic)
    if not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if pic.ndim not in (2, 3):
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    return _hwc_batch_to_tensor(pic[None])[0]


def _hwc_batch_to_tensor(batch):
    """(N, H, W[, C]) arrays as the (N, C, H, W) stack of their ``to_tensor`` results."""
    if batch.ndim == 3:
        batch = batch[..., None]
    chw = np.ascontiguousarray(batch.transpose(0, 3, 1, 2))
    if chw.dtype == np.uint8:
        float_type = _dtype.get_default_dtype().numpy.type
        chw = chw.astype(float_type) / float_type(255)
    return as_tensor(chw)


def _pil_to_tensor_scaled(pic):
    wide_modes = {"I": np.int32, "I;16" if sys.byteorder == "little" else "I;16B": np.int16, "F": np.float32}
    array = np.array(pic, wide_modes.get(pic.mode, np.uint8), copy=True)
    if pic.mode == "1":
        array = 255 * array
    array = array.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    return _hwc_batch_to_tensor(array[None])[0]


# --------------------------------------------------------------------------------------------- Normalize
def normalize(tensor, mean, std, inplace=False):
    """``(tensor - mean) / std`` per channel of a float tensor image (..., C, H, W).

    Raises:
        TypeError: for a non-tensor or non-float input.
        ValueError: for fewer than 3 dimensions, or a std that is zero in the tensor's dtype.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    mean, std = _channel_stats(mean, std, tensor.dtype)
    if not inplace:
        tensor = tensor.clone()
    return tensor.sub_(mean).div_(std)


def _channel_stats(mean, std, dtype):
    """``mean`` and ``std`` as tensors of ``dtype`` shaped to broadcast over (C, H, W)."""
    mean = as_tensor(mean, dtype=dtype)
    std = as_tensor(std, dtype=dtype)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return mean, std


# ------------------------------------------------------------------------------------------------ Resize
def _compute_resized_output_size(image_size, size, max_size=None):
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if len(size) == 1:  # only the smaller edge is given: keep the aspect ratio
        requested_short = size[0]
        new_short, new_long = requested_short, int(requested_short * long / short)
        if max_size is not None:
            if max_size <= requested_short:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for "
                                 f"the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_h, new_w = size
    return [new_h, new_w]


def _check_interpolation(interpolation):
    if isinstance(interpolation, InterpolationMode):
        return interpolation
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer constant")


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize an image to ``size`` ((h, w), or the smaller edge for an int / 1-element sequence).

    Bilinear resizing matches ``torch.nn.functional.interpolate(..., align_corners=False, antialias=...)``
    as torchvision uses it: integer tensors are resized in float32 and rounded back. Array images
    (the PIL stand-in) are resized the same way and keep their H x W[ x C] layout and dtype; Pillow's own
    fixed-point arithmetic can differ from this by one grey level.
    """
    interpolation = _check_interpolation(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element "
                             "tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, "
                             "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
    img = _as_image(img)
    _, height, width = get_dimensions(img)
    output_size = _compute_resized_output_size((height, width), [size] if isinstance(size, int) else list(size),
                                               max_size)
    if [height, width] == output_size:
        return img
    if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT, InterpolationMode.BILINEAR):
        raise NotImplementedError(f"torchless resize supports nearest and bilinear interpolation, not "
                                  f"{interpolation.value}")
    return _on_hw_axes(img, lambda chw: _resample_chw(chw, output_size, interpolation.value, antialias))


def _resample_chw(array, output_size, mode, antialias):
    if mode != "bilinear" or array.dtype in (np.float32, np.float64):
        return resample(array, *output_size, mode, bool(antialias))
    resized = resample(array.astype(np.float32), *output_size, mode, bool(antialias))
    return np.round(resized).astype(array.dtype) if array.dtype.kind in "iub" else resized.astype(array.dtype)


def _on_hw_axes(img, fn):
    """Apply ``fn`` (an array function over the last two axes) to a tensor or H x W[ x C] array image."""
    if isinstance(img, Tensor):
        _assert_image_tensor(img)
        return Tensor._wrap(fn(img._data))
    chw = img[None] if img.ndim == 2 else np.moveaxis(img, 2, 0)
    out = fn(chw)
    return out[0] if img.ndim == 2 else np.moveaxis(out, 0, 2)


# ------------------------------------------------------------------------------------------ Crop and Pad
def crop(img, top, left, height, width):
    """The ``height`` x ``width`` region at (``top``, ``left``); parts outside the image are zero-filled."""
    img = _as_image(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        inside = _on_hw_axes(img, lambda a: a[..., max(top, 0):bottom, max(left, 0):right])
        return pad(inside, padding_ltrb, fill=0)
    return _on_hw_axes(img, lambda a: a[..., top:bottom, left:right])


def center_crop(img, output_size):
    """The central ``output_size`` region ((h, w) or an int for a square), zero-padded if the image is smaller."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    img = _as_image(img)
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = output_size
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [
            (crop_width - image_width) // 2 if crop_width > image_width else 0,
            (crop_height - image_height) // 2 if crop_height > image_height else 0,
            (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
            (crop_height - image_height + 1) // 2 if crop_height > image_height else 0,
        ]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


_NUMPY_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


def _parse_padding(padding):
    """(left, top, right, bottom) from an int or a 1-, 2- (left/right, top/bottom) or 4-element sequence."""
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    return list(padding)


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad (negative amounts crop) the borders of an image.

    Args:
        padding (int or sequence): all borders; (left/right, top/bottom); or (left, top, right, bottom).
        fill (number or tuple): constant fill value (a per-channel tuple for array images).
        padding_mode (str): "constant", "edge", "reflect" or "symmetric".
    """
    img = _as_image(img)
    if fill is None:
        fill = 0
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)) and not (isinstance(img, np.ndarray) and isinstance(fill, (tuple, list))):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if padding_mode not in _NUMPY_PAD_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _parse_padding(padding)
    return _on_hw_axes(img, lambda a: _pad_chw(a, left, top, right, bottom, fill, padding_mode))


def _pad_chw(array, left, top, right, bottom, fill, padding_mode):
    height, width = array.shape[-2:]
    array = array[..., max(-top, 0):height - max(-bottom, 0), max(-left, 0):width - max(-right, 0)]
    widths = [(0, 0)] * (array.ndim - 2) + [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
    if padding_mode == "reflect" and (max(widths[-2]) >= array.shape[-2] or max(widths[-1]) >= array.shape[-1]):
        raise RuntimeError(f"Padding size should be less than the corresponding input dimension, but got: "
                           f"padding ({left}, {right}) and ({top}, {bottom}) for an image of size "
                           f"{array.shape[-2]} x {array.shape[-1]}")
    if padding_mode != "constant":
        return np.pad(array, widths, mode=_NUMPY_PAD_MODES[padding_mode])
    if isinstance(fill, (tuple, list)):  # per-channel fill of a C x H x W array
        out = np.empty(array.shape[:-2] + (array.shape[-2] + sum(widths[-2]), array.shape[-1] + sum(widths[-1])),
                       array.dtype)
        out[...] = np.asarray(fill, array.dtype).reshape(-1, 1, 1)
        out[..., widths[-2][0]:widths[-2][0] + array.shape[-2], widths[-1][0]:widths[-1][0] + array.shape[-1]] = array
        return out
    return np.pad(array, widths, mode="constant", constant_values=fill)


# --------------------------------------------------------------------------------------------- Grayscale
_PIL_LUMA = (19595, 38470, 7471)  # ITU-R 601-2 weights 0.299, 0.587, 0.114 in Pillow's 16-bit fixed point


def rgb_to_grayscale(img, num_output_channels=1):
    """Luma of an RGB image with ITU-R 601-2 weights, in 1 or 3 (repeated) channels.

    Tensors (..., 3, H, W) use torchvision's tensor formula ``0.2989 r + 0.587 g + 0.114 b`` in float32 (or
    the float dtype) and truncate back to integer dtypes; uint8 array images use Pillow's fixed-point
    ``convert("L")`` (rounded), so they match what a PIL image would give.
    """
    img = _as_image(img)
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
    if channels == 3:
        compute = data.dtype.type if data.dtype.kind == "f" else _dtype.get_default_dtype().numpy.type
        r, g, b = (data[..., c, :, :].astype(compute) for c in range(3))
        luma = (compute(0.2989) * r + compute(0.587) * g + compute(0.114) * b).astype(data.dtype)[..., None, :, :]
    else:
        luma = data.copy()
    if num_output_channels == 3:
        return np.broadcast_to(luma, data.shape).copy()
    return luma


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



# ------------------------------------------------------------------------------------------- Flips, erase
def hflip(img):
    """Flip an image left to right (tensor (..., C, H, W) or H x W[ x C] array)."""
    img = _as_image(img)
    return _on_hw_axes(img, lambda a: a[..., ::-1].copy())


def vflip(img):
    """Flip an image top to bottom (tensor (..., C, H, W) or H x W[ x C] array)."""
    img = _as_image(img)
    return _on_hw_axes(img, lambda a: a[..., ::-1, :].copy())


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    """Crop the ``height`` x ``width`` region at (``top``, ``left``) and resize it to ``size``."""
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def erase(img, i, j, h, w, v, inplace=False):
    """Set the ``h`` x ``w`` region at (``i``, ``j``) of a tensor image to ``v`` (a tensor or number).

    Raises:
        TypeError: for a non-tensor input.
    """
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    if not inplace:
        img = img.clone()
    value = v._data if isinstance(v, Tensor) else np.asarray(v)
    img._data[..., i:i + h, j:j + w] = value
    return img


# ------------------------------------------------------------------------------------ Colour adjustments
def _max_value(dtype):
    if dtype.kind == "f":
        return 1.0
    if dtype.kind == "b":
        return 1
    return int(np.iinfo(dtype).max)


def _assert_channels(data, permitted):
    channels = 1 if data.ndim == 2 else data.shape[-3]
    if channels not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {channels}")


def _compute_dtype(dtype):
    return dtype.type if dtype.kind == "f" else np.float32


def _blend(img1, img2, ratio):
    """``ratio * img1 + (1 - ratio) * img2`` clamped to the dtype's range and cast back (truncating ints)."""
    compute = _compute_dtype(img1.dtype)
    ratio = compute(ratio)
    mixed = ratio * img1.astype(compute) + (compute(1) - ratio) * np.asarray(img2, compute)
    return np.clip(mixed, 0, _max_value(img1.dtype)).astype(img1.dtype)


def _colour_op(img, fn):
    """Apply ``fn`` to the (..., C, H, W) data of a tensor, or the C x H x W view of an array image."""
    img = _as_image(img)
    if isinstance(img, Tensor):
        _assert_image_tensor(img)
    return _on_hw_axes(img, fn)


def adjust_brightness(img, brightness_factor):
    """Multiply the image by ``brightness_factor`` (0 gives black, 1 the original), clamped to the valid range.

    Array images (the PIL stand-in) use the tensor formula on their C x H x W view.
    """
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")

    def fn(a):
        _assert_channels(a, [1, 3])
        return _blend(a, np.zeros_like(a), brightness_factor)

    return _colour_op(img, fn)


def adjust_contrast(img, contrast_factor):
    """Blend the image with the mean of its grayscale version (0 gives a solid grey, 1 the original)."""
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")

    def fn(a):
        _assert_channels(a, [3, 1])
        compute = _compute_dtype(a.dtype)
        grey = _tensor_grayscale(Tensor._wrap(a), 1) if a.shape[-3] == 3 else a
        mean = np.mean(grey.astype(compute), axis=(-3, -2, -1), keepdims=True, dtype=compute)
        return _blend(a, mean, contrast_factor)

    return _colour_op(img, fn)


def adjust_saturation(img, saturation_factor):
    """Blend the image with its grayscale version (0 gives grey, 1 the original); 1-channel images are unchanged."""
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")

    def fn(a):
        _assert_channels(a, [1, 3])
        if a.shape[-3] == 1:  # as PIL: nothing to desaturate
            return a
        return _blend(a, _tensor_grayscale(Tensor._wrap(a), 1), saturation_factor)

    return _colour_op(img, fn)


def adjust_hue(img, hue_factor):
    """Shift the hue channel by ``hue_factor`` (in [-0.5, 0.5], a fraction of the colour wheel).

    The image goes to HSV and back; uint8 images are scaled to [0, 1] for this and truncated back, as
    torchvision does. 1-channel images are returned unchanged.
    """
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    img = _as_image(img)

    def fn(a):
        _assert_channels(a, [1, 3])
        if a.shape[-3] == 1:
            return a
        work = a.astype(np.float32) / np.float32(255) if a.dtype == np.uint8 else a
        hsv = _rgb2hsv(work)
        hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + hsv.dtype.type(hue_factor), 1.0)
        rgb = _hsv2rgb(hsv)
        return (rgb * np.float32(255)).astype(np.uint8) if a.dtype == np.uint8 else rgb

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
    return np.stack(channels, axis=-3).astype(img.dtype)


def invert(img):
    """Invert the colours: ``max - img``, with max 1.0 for floats and the dtype's maximum for integers."""
    def fn(a):
        if a.ndim < 3:
            raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {a.ndim}")
        _assert_channels(a, [1, 3])
        if a.dtype == np.bool_:
            return ~a
        return (np.asarray(_max_value(a.dtype), a.dtype) - a).astype(a.dtype)

    return _colour_op(img, fn)


def autocontrast(img):
    """Stretch each channel linearly so that its darkest pixel becomes 0 and its brightest the maximum value."""
    def fn(a):
        if a.ndim < 3:
            raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {a.ndim}")
        _assert_channels(a, [1, 3])
        bound = _max_value(a.dtype)
        compute = _compute_dtype(a.dtype)
        minimum = a.min(axis=(-2, -1), keepdims=True).astype(compute)
        maximum = a.max(axis=(-2, -1), keepdims=True).astype(compute)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = compute(bound) / (maximum - minimum)
        flat = ~np.isfinite(scale)  # a constant channel is left as it is
        minimum[flat] = 0
        scale[flat] = 1
        return np.clip((a.astype(compute) - minimum) * scale, 0, bound).astype(a.dtype)

    return _colour_op(img, fn)


# ------------------------------------------------------------------------------------------ Gaussian blur
def _gaussian_kernel1d(kernel_size, sigma):
    half = (kernel_size - 1) * 0.5
    x = np.linspace(-half, half, kernel_size, dtype=np.float32)
    pdf = np.exp(np.float32(-0.5) * (x / np.float32(sigma)) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a Gaussian kernel, image borders reflected.

    Args:
        img (Tensor or array): image (..., C, H, W), or H x W[ x C] array.
        kernel_size (sequence of ints or int): odd, positive (kx, ky); an int for both.
        sigma (sequence of floats or float, optional): (sigma_x, sigma_y); default ``0.3 * ((k - 1) * 0.5 - 1) + 0.8``.
    """
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}")
    for ksize in kernel_size:
        if ksize % 2 == 0 or ksize < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if isinstance(sigma, (list, tuple)) and len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    img = _as_image(img)
    if isinstance(img, Tensor):
        _assert_image_tensor(img)
    return _on_hw_axes(img, lambda a: _blur_hw(a, kernel_size, sigma))


def _blur_hw(array, kernel_size, sigma):
    compute = _compute_dtype(array.dtype)
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0]).astype(compute)
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1]).astype(compute)
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    height, width = array.shape[-2:]
    if px >= width or py >= height:
        raise RuntimeError(f"Padding size should be less than the corresponding input dimension, but got: "
                           f"padding ({px}, {px}) and ({py}, {py}) at dimension of input {list(array.shape)}")
    lead = [(0, 0)] * (array.ndim - 2)
    padded = np.pad(array.astype(compute), lead + [(py, py), (px, px)], mode="reflect")
    # The 2-D Gaussian is the outer product of two 1-D ones: two passes of k taps instead of one of k * k.
    rows = sum(ky[k] * padded[..., k:k + height, :] for k in range(len(ky)))
    out = sum(kx[k] * rows[..., :, k:k + width] for k in range(len(kx)))
    if array.dtype.kind in "iub":
        return np.round(out).astype(array.dtype)
    return out.astype(array.dtype)


# --------------------------------------------------------------------------------------- Rotate and affine
def _get_inverse_affine_matrix(center, angle, translate, scale, shear):
    """The output-to-input map of rotation about ``center``, then scale, shear and translation, as 2 x 3."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    # det([[a, b], [c, d]]) == 1 (rotation and shear), so the inverse is the adjugate, divided by the scale.
    matrix = [x / scale for x in [d, -b, 0.0, -c, a, 0.0]]
    matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
    matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
    matrix[2] += cx
    matrix[5] += cy
    return matrix


def _compute_affine_output_size(matrix, w, h):
    corners = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0],
                        [0.5 * w, -0.5 * h, 1.0]], np.float32)
    moved = corners @ np.asarray(matrix, np.float32).reshape(2, 3).T
    lo = moved.min(axis=0) + np.array([w * 0.5, h * 0.5], np.float32)
    hi = moved.max(axis=0) + np.array([w * 0.5, h * 0.5], np.float32)
    tol = np.float32(1e-4)  # so that a corner at 1e-15 past an edge does not add a whole pixel
    size = np.ceil(np.trunc(hi / tol) * tol) - np.floor(np.trunc(lo / tol) * tol)
    return int(size[0]), int(size[1])


def _sample_grid(array, ix, iy, mode):
    """``array`` (..., H, W) sampled at pixel coordinates (ix, iy) of shape (oh, ow), zero outside."""
    height, width = array.shape[-2:]
    if mode == "nearest":
        xs, ys = np.rint(ix).astype(np.int64), np.rint(iy).astype(np.int64)  # round half to even, as grid_sample
        inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
        picked = array[..., np.clip(ys, 0, height - 1), np.clip(xs, 0, width - 1)]
        return np.where(inside, picked, array.dtype.type(0))
    x0, y0 = np.floor(ix), np.floor(iy)
    fx, fy = ix - x0, iy - y0
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    out = np.zeros(array.shape[:-2] + ix.shape, array.dtype)
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            xs, ys = x0 + dx, y0 + dy
            inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
            weight = np.where(inside, wx * wy, 0).astype(array.dtype)
            out += weight * array[..., np.clip(ys, 0, height - 1), np.clip(xs, 0, width - 1)]
    return out


def _affine_chw(array, matrix, mode, fill, expand):
    """Inverse-map the output grid through ``matrix`` (pixel coordinates centred on the image) and sample."""
    if array.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {array.ndim}")
    channels, height, width = array.shape[-3:]
    if fill is not None and isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != channels:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number of channels of "
                         f"the image ({len(fill)} != {channels})")
    out_w, out_h = _compute_affine_output_size(matrix, width, height) if expand else (width, height)
    compute = _compute_dtype(array.dtype)
    m = np.asarray(matrix, compute)
    xb = np.linspace(-out_w * 0.5 + 0.5, out_w * 0.5 - 0.5, out_w, dtype=compute)[None, :]
    yb = np.linspace(-out_h * 0.5 + 0.5, out_h * 0.5 - 0.5, out_h, dtype=compute)[:, None]
    half_w, half_h = compute(0.5 * width), compute(0.5 * height)
    # torchvision normalises to grid_sample's [-1, 1] and grid_sample maps back to pixels
    # (align_corners=False); the same steps keep nearest-neighbour ties rounding the same way.
    gx = (m[0] * xb + m[1] * yb + m[2]) / half_w
    gy = (m[3] * xb + m[4] * yb + m[5]) / half_h
    ix = ((gx + 1) * width - 1) / 2
    iy = ((gy + 1) * height - 1) / 2
    data = array.astype(compute)
    out = _sample_grid(data, ix, iy, mode)
    if fill is not None:
        mask = _sample_grid(np.ones((height, width), compute), ix, iy, mode)
        fill_list = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = np.asarray(fill_list, compute).reshape(len(fill_list), 1, 1)
        if mode == "nearest":
            out = np.where(mask < 0.5, fill_img, out)
        else:
            out = out * mask + (1 - mask) * fill_img
    if array.dtype.kind in "iub":
        return np.round(out).astype(array.dtype)
    return out.astype(array.dtype)


def _check_grid_args(interpolation, angle):
    if isinstance(interpolation, int):
        interpolation = _interpolation_modes_from_int(interpolation)
    elif not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer "
                        "constant")
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    return interpolation


def _grid_transform(img, matrix, interpolation, fill, expand):
    if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
        raise ValueError(f"Interpolation mode '{interpolation.value}' is unsupported with Tensor input")
    if isinstance(img, Tensor):
        _assert_image_tensor(img)
    return _on_hw_axes(img, lambda a: _affine_chw(a, matrix, interpolation.value, fill, expand))


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    """Rotate an image by ``angle`` degrees counter-clockwise.

    Args:
        img (Tensor or array): image (..., C, H, W), or H x W[ x C] array (rotated like a tensor).
        angle (number): degrees, counter-clockwise.
        interpolation (InterpolationMode): ``NEAREST`` (default) or ``BILINEAR``.
        expand (bool): enlarge the output to hold the whole rotated image (about the centre).
        center (sequence, optional): (x, y) pixel centre of rotation; default the image centre.
        fill (sequence or number, optional): value of the pixels outside the image; default 0.
    """
    interpolation = _check_grid_args(interpolation, angle)
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    img = _as_image(img)
    center_f = [0.0, 0.0]
    if center is not None:
        _, height, width = get_dimensions(img)
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    # affine turns clockwise for positive angles in these y-down coordinates, rotate counter-clockwise
    matrix = _get_inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    return _grid_transform(img, matrix, interpolation, fill, expand)


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    """Rotate (clockwise by ``angle`` degrees), scale, shear and translate an image, keeping its centre.

    Args:
        img (Tensor or array): image (..., C, H, W), or H x W[ x C] array (transformed like a tensor).
        angle (number): rotation in degrees, clockwise in image coordinates.
        translate (sequence of ints): (horizontal, vertical) shift in pixels.
        scale (float): overall scale.
        shear (float or sequence): shear angles in degrees, (x, y) or one for x.
        interpolation (InterpolationMode): ``NEAREST`` (default) or ``BILINEAR``.
        fill (sequence or number, optional): value of the pixels outside the image; default 0.
        center (sequence, optional): (x, y) pixel centre of the transform; default the image centre.
    """
    interpolation = _check_grid_args(interpolation, angle)
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, (list, tuple))):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    img = _as_image(img)
    center_f = [0.0, 0.0]
    if center is not None:
        _, height, width = get_dimensions(img)
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = _get_inverse_affine_matrix(center_f, float(angle), [1.0 * t for t in translate], scale, shear)
    return _grid_transform(img, matrix, interpolation, fill, False)
