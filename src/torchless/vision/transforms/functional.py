"""Functional image transforms with torchvision's interface (``torchvision.transforms.functional``).

Images are tensors of shape (..., C, H, W), PIL images, or, standing in for PIL images, NumPy arrays of
shape H x W or H x W x C (what ``torchless.vision.datasets.MNIST`` returns).

* PIL images (``ImageFolder`` returns them) are transformed by Pillow itself, exactly as torchvision does
  (``_functional_pil``), and come back as PIL images: ``resize(img, 32)`` gives a PIL image with
  Pillow's pixels. Pillow is imported only when a PIL image is seen.
* Array images keep their layout and dtype through Resize/CenterCrop/Pad/Grayscale, as PIL images keep
  theirs, and go through the tensor formulas of resize, rotate/affine/perspective and the colour
  adjustments on their C x H x W view, so they can differ from a PIL image's result by interpolation
  details and rounding.
* ``to_tensor``/``pil_to_tensor`` turn PIL or array images into C x H x W tensors, ``to_pil_image`` turns
  tensors and arrays into PIL images, and ``convert_image_dtype`` rescales tensor dtypes.

Only ``normalize`` is recorded by autograd; the geometric transforms act on the tensor's data.
"""
import math
import numbers
import operator
import warnings

import numpy as np

from ... import _dtype, _memory_format
from ..._creation import as_tensor
from ..._tensor import Tensor
from .._pillow import is_pil_image as _is_pil_image
from ._color import (adjust_brightness, adjust_contrast, adjust_gamma, adjust_hue, adjust_saturation,
                     adjust_sharpness, autocontrast, equalize, invert, posterize, rgb_to_grayscale, solarize,
                     to_grayscale)
from . import _blur
from ._conversion import convert_image_dtype, pil_through_tensor, pil_to_tensor, to_pil_image, to_tensor
from ._image import PIL_EXPECTED as _PIL_EXPECTED
from ._image import as_image as _as_image
from ._image import assert_image_tensor as _assert_image_tensor
from ._image import compute_dtype as _compute_dtype
from ._image import get_dimensions
from ._image import in_layout_of as _in_layout_of
from ._image import in_memory_format as _in_memory_format
from ._image import is_channels_last as _is_channels_last
from ._image import on_hw_axes as _on_hw_axes
from ._image import pil_functional as _pil
from ._interpolation import InterpolationMode, pil_modes_mapping
from ._interpolation import check_interpolation as _check_interpolation
from ._interpolation import interpolation_modes_from_int as _interpolation_modes_from_int  # noqa: F401
from ._resample import resample, resample_uint8
from . import _warp
from ._warp import affine, elastic_transform, perspective, rotate

__all__ = ["InterpolationMode", "adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue",
           "adjust_saturation", "adjust_sharpness", "affine", "autocontrast", "center_crop", "convert_image_dtype",
           "crop", "elastic_transform", "equalize", "erase", "five_crop", "gaussian_blur", "get_dimensions",
           "get_image_num_channels", "get_image_size", "hflip", "invert", "normalize", "pad", "perspective", "pil_modes_mapping", "pil_to_tensor", "posterize", "resize",
           "resized_crop", "rgb_to_grayscale", "rotate", "solarize", "ten_crop", "to_grayscale", "to_pil_image",
           "to_tensor", "vflip"]

# torchvision's private helper, which user code imports from this module too
_get_perspective_coeffs = _warp._get_perspective_coeffs


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
def _compute_resized_output_size(image_size, size, max_size=None, allow_size_none=False):
    """[h, w] of the resized image. ``allow_size_none`` (v2 only): ``size=None`` fits the longer edge to ``max_size``."""
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if size is None:
        if not allow_size_none:  # v1 always has a size
            raise ValueError("This should never happen!!")
        if not isinstance(max_size, int):
            raise ValueError(f"max_size must be an integer when size is None, but got {max_size} instead.")
        new_short, new_long = int(max_size * short / long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    elif len(size) == 1:  # only the smaller edge is given: keep the aspect ratio
        requested_short = size[0]
        new_short, new_long = requested_short, int(requested_short * long / short)
        if max_size is not None:
            if max_size <= requested_short:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for "
                                 f"the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:  # (v2 lets a longer size through: its first two are read, an empty one's first is missing)
        new_w, new_h = size[1], size[0]
    return [new_h, new_w]



def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize an image to ``size`` ((h, w), or the smaller edge for an int / 1-element sequence).

    Bilinear and bicubic resizing match ``torch.nn.functional.interpolate(..., align_corners=False,
    antialias=...)`` as torchvision uses it: integer tensors are resized in float32 and rounded back (uint8
    bicubic results clamped to [0, 255] first). Tensors cannot be resized with BOX, HAMMING or LANCZOS. Array images
    (the PIL stand-in) are resized the same way and keep their H x W[ x C] layout and dtype; Pillow's own
    fixed-point arithmetic can differ from this by one grey level. PIL images are resized by Pillow
    (``Image.resize`` with the mode's filter, always antialiased) and take every InterpolationMode.
    """
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element "
                             "tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, "
                             "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
    return _resize(img, size, interpolation, max_size, antialias)


def _resize(img, size, interpolation, max_size, antialias, v2=False):
    """resize once its size is checked; ``v2``: v2's ``size=None`` (the longer edge to max_size), and v2's tensor
    kernel (``_resample_chw_v2``)."""
    interpolation = _check_interpolation(interpolation)
    img = _as_image(img)
    _, height, width = get_dimensions(img)
    output_size = _compute_resized_output_size((height, width), [size] if isinstance(size, int) else size, max_size,
                                               v2)
    if [height, width] == output_size:
        return img
    if _is_pil_image(img):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument antialias is ignored.")
        return _pil().resize(img, output_size, pil_modes_mapping[interpolation])
    if v2 and isinstance(img, Tensor) and img.numel() == 0:
        # v2 hands an empty image back reshaped to the new size, which only fits when it has no images at all
        new_shape = list(img.shape[:-2]) + list(output_size)
        if np.prod(new_shape) != 0:
            raise RuntimeError(f"shape '{new_shape}' is invalid for input of size 0")
        return Tensor._wrap(np.zeros(new_shape, img._data.dtype))
    if isinstance(img, Tensor) and any(type(length) is not int for length in output_size):
        _interpolate_refusal(img, output_size, interpolation, antialias)
    _check_spatial_dimensions(img, (height, width), output_size, v2)
    if isinstance(img, Tensor):
        # interpolate refuses the mode before its kernel looks at the sizes
        _check_tensor_interpolation(interpolation, v2)
    _check_positive_sizes(img, (height, width), output_size)
    if v2 and isinstance(img, Tensor):
        # v2 resizes the image reshaped to (N, C, H, W), which keeps a channels-last image so
        return _on_hw_axes(img, lambda chw: _in_memory_format(
            _resample_chw_v2(chw, output_size, interpolation.value, antialias), _is_channels_last(chw, v2=True)))
    _check_tensor_interpolation(interpolation)
    return _on_hw_axes(img, lambda chw: _in_memory_format(
        _resample_chw(chw, output_size, interpolation.value, antialias), _is_channels_last(chw)))


def _interpolate_refusal(img, output_size, interpolation, antialias):
    """What ``torch.nn.functional.interpolate`` says of a size that is not ints (None, floats, bools), torchvision
    handing it the image batched to 4-D in float and the size as a list."""
    from ...nn.functional import interpolate

    batch = img.reshape(-1, *img.shape[-3:]) if img.ndim >= 3 else img[None]
    mode = interpolation.value
    smooth = mode in ("bilinear", "bicubic")  # the modes torchvision antialiases and aligns
    interpolate(batch[:1].float(), size=list(output_size), mode=mode, align_corners=False if smooth else None,
                antialias=bool(antialias) and smooth)


def _check_tensor_interpolation(interpolation, v2=False):
    """The errors ``torch.nn.functional.interpolate`` (2.14) raises for the modes tensors cannot be resized with:
    v1 hands them on with ``antialias=False``, which Lanczos refuses first (v2 antialiases Lanczos, and refused
    Lanczos without antialias before this)."""
    if interpolation == InterpolationMode.LANCZOS and not v2:
        raise ValueError("Lanczos mode requires antialias=True")
    if interpolation in (InterpolationMode.BOX, InterpolationMode.HAMMING):
        raise NotImplementedError("Input Error: Only 3D, 4D and 5D input Tensors supported (got 4D) for the modes: "
                                  "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact "
                                  f"(got {interpolation.value})")


def _check_spatial_dimensions(img, input_size, output_size, v2=False):
    """The error ``interpolate`` raises first for a 2-D tensor (read as one row of channels) or for more than one
    batch dimension (v1 hands the tensor over as it is, v2 flattens the batch dimensions first)."""
    if isinstance(img, Tensor) and (img.ndim == 2 or (img.ndim > 4 and not v2)):
        spatial = [input_size[1]] if img.ndim == 2 else list(img.shape[2:])
        raise ValueError("Input and output must have the same number of spatial dimensions, but got input with "
                         f"spatial dimensions of {spatial} and output size of {list(output_size)}. Please "
                         "provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                         "format.")


def _check_positive_sizes(img, input_size, output_size):
    """The error ``interpolate``'s kernel raises for an empty input or output size."""
    if min(output_size) <= 0 or (isinstance(img, Tensor) and min(input_size) <= 0):
        raise RuntimeError("Input and output sizes should be greater than 0, but got input (H: {}, W: {}) output "
                           "(H: {}, W: {})".format(*input_size, *output_size))


def _resample_chw_v2(array, output_size, mode, antialias):
    """v2's tensor kernel: uint8 images go through torch's own integer kernel where torchvision uses it (bilinear,
    bicubic and, always antialiased, Lanczos; torchvision's bilinear takes that path on AVX2 / AVX-512 / ARM64
    CPUs, which torchless follows everywhere); other images as v1 (Lanczos in float too)."""
    if array.dtype == np.uint8 and mode in ("bilinear", "bicubic", "lanczos"):
        return resample_uint8(array, *output_size, mode, bool(antialias))
    if mode in ("nearest", "nearest-exact"):  # v2 ignores antialias there
        antialias = False
    return _resample_chw(array, output_size, mode, antialias)


def _resample_chw(array, output_size, mode, antialias):
    if mode in ("nearest", "nearest-exact") or array.dtype in (np.float32, np.float64):
        return resample(array, *output_size, mode, bool(antialias))
    resized = resample(array.astype(np.float32), *output_size, mode, bool(antialias))
    if mode in ("bicubic", "lanczos") and array.dtype == np.uint8:
        resized = np.clip(resized, 0, 255)  # the cubic overshoots; torchvision clamps uint8 images only
    # integer images are rounded back, bool ones cast unrounded (any nonzero value is True), by v1 and v2 alike
    return np.round(resized).astype(array.dtype) if array.dtype.kind in "iu" else resized.astype(array.dtype)


# ------------------------------------------------------------------------------------------ Crop and Pad
def crop(img, top, left, height, width):
    """The ``height`` x ``width`` region at (``top``, ``left``); parts outside the image are zero-filled."""
    img = _as_image(img, _PIL_EXPECTED)
    if _is_pil_image(img):
        return _pil().crop(img, top, left, height, width)
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
    if isinstance(padding, numbers.Number):
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
        fill (number or tuple): constant fill value (a per-channel tuple for array and PIL images).
        padding_mode (str): "constant", "edge", "reflect" or "symmetric".

    PIL images are padded as torchvision pads them: ``ImageOps.expand`` for ``constant``, ``numpy.pad`` of
    their pixels otherwise, palettes kept.
    """
    img = _as_image(img, _PIL_EXPECTED)
    if fill is None:
        fill = 0
    # torchvision's Pillow padding takes any number (NumPy's too) where its tensor padding takes ints and floats
    numbers_taken = (numbers.Number, numbers.Number) if _is_pil_image(img) else (int, (int, float))
    if not isinstance(padding, (numbers_taken[0], tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    per_channel_fill = isinstance(img, np.ndarray) or _is_pil_image(img)
    if not isinstance(fill, numbers_taken[1]) and not (per_channel_fill and isinstance(fill, (tuple, list))):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if padding_mode not in _NUMPY_PAD_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _parse_padding(padding)
    if _is_pil_image(img):
        return _pil().pad(img, (left, top, right, bottom), fill, padding_mode)
    if isinstance(img, Tensor):
        _assert_image_tensor(img)
        _check_tensor_padding(img, left, top, right, bottom, fill, padding_mode)
        left, top, right, bottom = (int(amount) for amount in (left, top, right, bottom))
        if padding_mode != "symmetric":
            return _pad_with_torch(img, [left, right, top, bottom], fill, padding_mode)
        # torchvision gathers the mirrored rows and columns by indexing, which allocates in C order (empty too)
        return Tensor._wrap(_memory_format.c_ordered(_pad_chw(img._data, left, top, right, bottom, fill, padding_mode)))
    elif padding_mode == "reflect":
        _check_reflect_padding((1,) + img.shape[:2], left, top, right, bottom)
    return _on_hw_axes(img, lambda a: _pad_chw(a, left, top, right, bottom, fill, padding_mode))


def _pad_with_torch(img, pad, fill, padding_mode):
    """torchvision's constant, edge and reflect padding of a tensor: ``torch.nn.functional.pad`` (constant with
    ``float(fill)``, replicate, reflect) of it batched to 4-D, edge and reflect in float32 unless it is float32 or
    float64. Negative amounts are that pad's: the output pixels index the input as if every border were padded at
    once (not a crop followed by padding), and its errors; the result is laid out as that pad lays it out (a
    channels-last batch stays so)."""
    from ...nn.functional import pad as torch_pad

    batched = img.ndim < 4
    out = img.unsqueeze(0) if batched else img
    cast = padding_mode != "constant" and out.dtype not in (_dtype.float32, _dtype.float64)
    if cast:
        out = out.to(_dtype.float32)
    if padding_mode == "constant":
        value = float(fill)
        if out._data.dtype.kind in "iu" and math.isfinite(value):
            # (torchvision's PyTorch wrote a fill up to one past an integer type's largest value truncated, where
            # today's pad refuses it: _check_tensor_padding keeps the former's check, the value goes in truncated)
            value = float(math.trunc(value))
        out = torch_pad(out, pad, value=value)
    else:
        out = torch_pad(out, pad, mode="replicate" if padding_mode == "edge" else padding_mode)
    if batched:
        out = out.squeeze(0)
    return out.to(img.dtype) if cast else out


_UNSUPPORTED_PAD = ("Padding size 4 is not supported for {ndim}D input tensor.\n"
                    "Supported combinations for non-constant padding:\n"
                    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _check_tensor_padding(img, left, top, right, bottom, fill, padding_mode):
    """The errors torchvision's tensor padding meets: ``symmetric`` is done by indexing (3-D and 4-D tensors
    only, each border at most the image's size), ``edge`` and ``reflect`` by ``torch.nn.functional.pad`` on the
    tensor batched to at least 4-D, ``constant`` by that pad with ``float(fill)`` written into the tensor's
    dtype (negative amounts crop, and may not crop more than there is)."""
    from ...nn._functional._args import _is_index, _tp_name  # torch's integers, and the type names it prints

    if padding_mode == "symmetric":
        any(amount < 0 for amount in (left, right, top, bottom))  # torchvision compares each with 0 first
    for position, amount in enumerate((left, right, top, bottom)):  # torch's order
        if padding_mode == "symmetric":  # a Python range of each amount
            if not hasattr(type(amount), "__index__"):
                raise TypeError(f"'{_tp_name(amount)}' object cannot be interpreted as an integer")
            operator.index(amount)  # a tensor's own error for a float one
        elif not _is_index(amount) and not (position and type(amount) is bool):
            # torch's argument parser takes integers (NumPy's and 0-d tensors too), names a bad first element (bools
            # too), and counts later ones from 1
            if position == 0:
                raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                                f"{_tp_name(amount)} at pos 0")
            raise TypeError(f"pad(): argument 'pad' failed to unpack the object at pos {position + 1} with error "
                            f"\"type must be tuple of ints,but got {_tp_name(amount)}\"")
    if padding_mode == "symmetric":
        if img.ndim not in (3, 4):
            raise RuntimeError("Symmetric padding of N-D tensors are not supported yet")
        _check_symmetric_indices(img.shape, left, top, right, bottom)
    elif padding_mode == "constant":
        height, width = img.shape[-2:]
        if height + min(top, 0) + min(bottom, 0) < 0 or width + min(left, 0) + min(right, 0) < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        if any(amount > 0 for amount in (left, top, right, bottom)):
            _check_fill_fits(float(fill), img._data.dtype)


def _check_symmetric_indices(shape, left, top, right, bottom):
    """torchvision pads symmetrically by cropping with Python slices (for negative amounts), then indexing the rows
    and columns with lists of mirrored indices (counted from the end on the right and bottom), made tensors:

    * an empty list is ``torch.tensor([])``, a float tensor, which cannot index;
    * any index into an empty dimension is out of its bounds;
    * past the (cropped) image, an index is out of bounds once there is something to gather: the first bad one in
      row-major order of the output is reported (as one thread finds it): top, left, right, then bottom.
    """
    height = len(range(shape[-2])[max(-top, 0):shape[-2] - max(-bottom, 0)])
    width = len(range(shape[-1])[max(-left, 0):shape[-1] - max(-right, 0)])
    left, top, right, bottom = (max(amount, 0) for amount in (left, top, right, bottom))
    if top + height + bottom == 0 or left + width + right == 0:
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if height == 0 or width == 0:
        raise IndexError("index is out of bounds for dimension with size 0")
    if 0 in shape[:-2]:
        return
    for amount, index, dim, extent in ((top, top - 1, 0, height), (left, left - 1, 1, width),
                                       (right, -(width + 1), 1, width), (bottom, -(height + 1), 0, height)):
        if amount > extent:
            raise IndexError(f"index {index} is out of bounds for dimension {dim} with size {extent}")


def _check_fill_fits(value, np_dtype):
    """PyTorch's check when a float fill value is written into a tensor of NumPy dtype ``np_dtype``: integers take
    values from their lowest up to (not including) one past their largest (then truncated), floats any value that
    is not finite or within their range."""
    if np_dtype.kind in "iu":
        info = np.iinfo(np_dtype)
        if not info.min <= value < info.max + 1:  # False for NaN too
            raise RuntimeError(f"value cannot be converted to type {_C_INT_TYPES[np_dtype.name]} without overflow")
    elif np_dtype.kind == "f" and np.isfinite(value) and abs(value) > np.finfo(np_dtype).max:
        name = {"float16": "c10::Half", "float32": "float", "float64": "double"}[np_dtype.name]
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")


_C_INT_TYPES = {"int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t", "uint8": "uint8_t"}


def _check_reflect_padding(shape, left, top, right, bottom):
    """``torch.nn.functional.pad``'s error for reflecting past the far border, on the image as torchvision
    hands it over (batched to 4-D when it has fewer dimensions), the width checked before the height."""
    shape = [1] + list(shape) if len(shape) < 4 else list(shape)
    for argument, (first, second), dim in ((4, (left, right), len(shape) - 1), (6, (top, bottom), len(shape) - 2)):
        if max(first, second) >= shape[dim]:
            raise RuntimeError(f"Argument #{argument}: Padding size should be less than the corresponding input "
                               f"dimension, but got: padding ({first}, {second}) at dimension {dim} of input {shape}")


def _pad_chw(array, left, top, right, bottom, fill, padding_mode):
    height, width = array.shape[-2:]
    array = array[..., max(-top, 0):height - max(-bottom, 0), max(-left, 0):width - max(-right, 0)]
    widths = [(0, 0)] * (array.ndim - 2) + [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
    if padding_mode != "constant":
        return np.pad(array, widths, mode=_NUMPY_PAD_MODES[padding_mode])
    if isinstance(fill, (tuple, list)):  # per-channel fill of a C x H x W array
        out = np.empty(array.shape[:-2] + (array.shape[-2] + sum(widths[-2]), array.shape[-1] + sum(widths[-1])),
                       array.dtype)
        out[...] = np.asarray(fill, array.dtype).reshape(-1, 1, 1)
        out[..., widths[-2][0]:widths[-2][0] + array.shape[-2], widths[-1][0]:widths[-1][0] + array.shape[-1]] = array
        return out
    return np.pad(array, widths, mode="constant", constant_values=fill)


# ------------------------------------------------------------------------------------------- Flips, erase
def get_image_size(img):
    """``[width, height]`` of an image (tensor (..., C, H, W), H x W[ x C] array or PIL image): torchvision's
    older size helper, in PIL's order (``get_dimensions`` gives ``[channels, height, width]``)."""
    _, height, width = get_dimensions(img)
    return [width, height]


def get_image_num_channels(img):
    """The number of channels of an image (tensor (..., C, H, W), H x W[ x C] array or PIL image)."""
    return get_dimensions(img)[0]


def hflip(img):
    """Flip an image left to right (tensor (..., C, H, W), H x W[ x C] array or PIL image)."""
    img = _as_image(img, _PIL_EXPECTED)
    if _is_pil_image(img):
        return _pil().hflip(img)
    return _on_hw_axes(img, lambda a: _in_layout_of(a, a[..., ::-1]))  # (torch.flip keeps the image's layout)


def vflip(img):
    """Flip an image top to bottom (tensor (..., C, H, W), H x W[ x C] array or PIL image)."""
    img = _as_image(img, _PIL_EXPECTED)
    if _is_pil_image(img):
        return _pil().vflip(img)
    return _on_hw_axes(img, lambda a: _in_layout_of(a, a[..., ::-1, :]))  # (torch.flip keeps the image's layout)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    """Crop the ``height`` x ``width`` region at (``top``, ``left``) and resize it to ``size``."""
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def five_crop(img, size):
    """The four corner crops and the central crop of ``size`` ((h, w), or an int for a square).

    Returns:
        tuple: (top-left, top-right, bottom-left, bottom-right, centre), of the input's kind.

    Raises:
        ValueError: if ``size`` has more than two values or is larger than the image.
    """
    return _five_crop(img, size)


def _five_crop(img, size, v2=False):
    """``five_crop``; ``v2``: a too-large size is named as given (v1 names its (h, w) pair)."""
    given = size
    if isinstance(size, numbers.Number):
        size = (int(size), int(size))
    elif isinstance(size, (tuple, list)) and len(size) == 1:
        size = (size[0], size[0])
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = size
    if crop_width > image_width or crop_height > image_height:
        raise ValueError(f"Requested crop size {given if v2 else size} is bigger than input size "
                         f"{(image_height, image_width)}")
    tl = crop(img, 0, 0, crop_height, crop_width)
    tr = crop(img, 0, image_width - crop_width, crop_height, crop_width)
    bl = crop(img, image_height - crop_height, 0, crop_height, crop_width)
    br = crop(img, image_height - crop_height, image_width - crop_width, crop_height, crop_width)
    center = center_crop(img, [crop_height, crop_width])
    return tl, tr, bl, br, center


def ten_crop(img, size, vertical_flip=False):
    """``five_crop`` of the image, then ``five_crop`` of its mirror image (flipped left to right, or top to
    bottom with ``vertical_flip``): ten crops in that order. ``five_crop`` checks ``size``."""
    return _ten_crop(img, size, vertical_flip)


def _ten_crop(img, size, vertical_flip=False, v2=False):
    first_five = _five_crop(img, size, v2)
    flipped = vflip(img) if vertical_flip else hflip(img)
    return first_five + _five_crop(flipped, size, v2)


def erase(img, i, j, h, w, v, inplace=False):
    """Set the ``h`` x ``w`` region at (``i``, ``j``) of a tensor image to ``v`` (a tensor or number).

    Raises:
        TypeError: for a non-tensor input.
    """
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    _assert_image_tensor(img)
    return _erase(img, i, j, h, w, v, inplace)


def _erase(img, i, j, h, w, v, inplace):
    """``erase`` of a tensor without v1's image check: v2 indexes whatever tensor it is handed."""
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v  # torch's assignment: its broadcasting, and its refusal of sequences
    return img


def _check_expandable(shape, target):
    """torch's error when a tensor of ``shape`` is written into a region of shape ``target`` it does not expand to."""
    offset = len(target) - len(shape)
    for dim in range(len(shape) - 1, -1, -1):
        if dim + offset >= 0 and shape[dim] != 1 and shape[dim] != target[dim + offset]:
            raise RuntimeError(f"The expanded size of the tensor ({target[dim + offset]}) must match the existing size "
                               f"({shape[dim]}) at non-singleton dimension {dim + offset}.  Target sizes: "
                               f"{list(target)}.  Tensor sizes: {list(shape)}")


# ------------------------------------------------------------------------------------------ Gaussian blur
def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a Gaussian kernel, image borders reflected.

    Args:
        img (PIL Image, Tensor or array): image (..., C, H, W), H x W[ x C] array, or PIL image (blurred with
            the tensor formula on its pixels and made a PIL image of the same mode again, as torchvision does).
        kernel_size (sequence of ints or int): odd, positive (kx, ky); an int for both.
        sigma (sequence of floats or float, optional): (sigma_x, sigma_y); default ``0.3 * ((k - 1) * 0.5 - 1) + 0.8``.

    Raises:
        NotImplementedError: for a tensor of more than 4 dimensions, with PyTorch's reflection-padding message
            (as torchvision's v1; ``transforms.v2.functional.gaussian_blur`` takes any number of batch dimensions).
    """
    return _gaussian_blur(img, kernel_size, sigma)


def _gaussian_blur(img, kernel_size, sigma=None, v2=False):
    """``gaussian_blur``; ``v2``: as torchvision.transforms.v2's, with its softmax kernel, and rounding the blur of a
    bool image before casting it back, which v1 casts unrounded (any positive value True)."""
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
    img = _as_image(img, f"{_PIL_EXPECTED} or Tensor")
    if _is_pil_image(img):
        return pil_through_tensor(img, lambda pixels: as_tensor(_blur_hw(pixels.numpy(), kernel_size, sigma, v2)),
                                  img.mode)
    if isinstance(img, Tensor):
        _assert_image_tensor(img)
        if img.ndim == 2:  # torchvision expands its kernel to img.shape[-3] channels
            raise IndexError("tuple index out of range")
        if img.ndim < 5 and 0 in img.shape[-3:]:  # reflection padding refuses an empty image (or no channels)
            batched = ([1] if img.ndim == 3 else []) + list(img.shape)
            raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                               f"dimensions for input, but got: {batched}")
        if img.ndim > 4:  # torchvision v1 pads with reflection, which PyTorch does on 3-D and 4-D input only
            from ...nn.functional import pad
            pad(img, [kernel_size[0] // 2, kernel_size[0] // 2, kernel_size[1] // 2, kernel_size[1] // 2],
                mode="reflect")
    # (torch's padding and conv2d keep a batch that is channels last so; v1 and v2 alike)
    return _on_hw_axes(img, lambda a: _in_memory_format(_blur_hw(a, kernel_size, sigma, v2), _is_channels_last(a)))


def _blur_hw(array, kernel_size, sigma, v2=False):
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    height, width = array.shape[-2:]
    if px >= width or py >= height:
        # torch.nn.functional.pad's reflection check on the image as torchvision pads it (batched to 4-D)
        shape = list(array.shape)
        if len(shape) > 4:
            shape = [int(np.prod(shape[:-3]))] + shape[-3:]
        _check_reflect_padding(shape, px, py, px, py)
    rounded = array.dtype.kind in "iu" or (array.dtype.kind == "b" and v2)
    out = _blur.blur_hw(array, kernel_size, sigma, _compute_dtype(array.dtype), v2, rounded)
    if rounded:
        return np.round(out).astype(array.dtype)
    return out.astype(array.dtype)


