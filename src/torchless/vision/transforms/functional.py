"""Functional image transforms with torchvision's interface (``torchvision.transforms.functional``).

Images are either tensors of shape (..., C, H, W) or, standing in for PIL images, NumPy arrays of shape
H x W or H x W x C (what ``torchless.vision.datasets.MNIST`` returns). Array images keep their layout and
dtype through Resize/CenterCrop/Pad/Grayscale, as PIL images keep theirs; ToTensor turns either into a
C x H x W tensor. PIL images are accepted too when Pillow is installed (ToTensor converts them exactly
as torchvision; the other functions work on ``numpy.asarray(image)`` and return arrays). Only
``normalize`` is recorded by autograd; the geometric transforms act on the tensor's data.
"""
import enum
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

