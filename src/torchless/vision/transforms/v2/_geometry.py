"""The functionals where torchvision's v2 differs from v1 outside colour: ``pad`` (v2's argument errors, and a
per-channel fill for tensors too), ``erase`` (PIL images too, through a tensor), and ``rotate``, ``affine`` and
``perspective`` (interpolation as a string too; the bilinear fill of tensors blended in v2's own rounding)."""
import math

import numpy as np

from ...._tensor import Tensor
from ..._pillow import is_pil_image
from .. import _warp
from .. import functional as _v1
from .._conversion import pil_through_tensor
from .._interpolation import InterpolationMode
from ._v1_based import _check_interpolation, _parse_pad_padding

_PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


def pad(inpt, padding, fill=None, padding_mode="constant"):
    """v1's ``pad`` with v2's checks; a tensor takes a sequence ``fill`` (one value per channel) for constant
    padding, cast to its dtype as v2 does (``torch.tensor(fill).to(dtype)``), and any number of batch dimensions
    (v2 pads it flattened to (N, C, H, W))."""
    if not isinstance(inpt, Tensor):
        return _v1.pad(inpt, padding, 0 if fill is None else fill, padding_mode)
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError(f"`padding` should be an integer or tuple or list of integers, but got {padding}")
    left, right, top, bottom = _parse_pad_padding(padding)
    if padding_mode not in _PADDING_MODES:
        raise ValueError(f"`padding_mode` should be either `'constant'`, `'edge'`, `'reflect'` or `'symmetric'`, "
                         f"but got `'{padding_mode}'`.")
    if fill is None:
        fill = 0
    if not isinstance(fill, (int, float)):
        if len(fill) != 1:
            return _pad_with_vector_fill(inpt, (left, right, top, bottom), fill, padding_mode)
        fill = fill[0]
    if inpt.ndim < 3:  # v2 unpacks (C, H, W) from the last three dimensions
        raise ValueError(f"not enough values to unpack (expected 3, got {inpt.ndim})")
    if padding_mode == "constant":
        fill = float(fill)  # as v2 hands it to torch's pad (a string fails here)
    # v2 pads a batch of images reshaped as torch reshapes (a size-1 batch's stride rewritten, so a single
    # channels-last image comes out contiguous) and reshapes the result back
    channels, height, width = inpt.shape[-3:]
    batched = inpt.reshape(math.prod(inpt.shape[:-3]), channels, height, width)
    out = _v1.pad(batched, [left, top, right, bottom], fill, padding_mode)
    return out.reshape(inpt.shape[:-3] + out.shape[-3:])


def _pad_with_vector_fill(inpt, padding, fill, padding_mode):
    if padding_mode != "constant":
        raise ValueError(f"Padding mode '{padding_mode}' is not supported if fill is not scalar")
    left, right, top, bottom = padding
    out = pad(inpt, [left, top, right, bottom], 0, "constant")
    # torch.tensor(fill) is int64 or float32, then converted (truncated) to the image's dtype
    values = np.asarray(fill, np.float32 if any(isinstance(v, float) for v in fill) else np.int64)
    values = values.astype(out._data.dtype).reshape(-1, 1, 1)
    data = out._data
    for amount, region in ((top, (..., slice(None, top), slice(None))), (left, (..., slice(None), slice(None, left))),
                           (bottom, (..., slice(-bottom, None), slice(None))),
                           (right, (..., slice(None), slice(-right, None)))):
        if amount > 0:
            _v1._check_expandable(values.shape, data[region].shape)
            data[region] = values
    return out


def erase(inpt, i, j, h, w, v, inplace=False):
    """v1's ``erase``, without its refusal of a tensor of fewer than 2 dimensions (v2 indexes it, and fails there);
    a PIL image is erased as its ``pil_to_tensor`` and converted back to its mode (v2)."""
    if is_pil_image(inpt):
        return pil_through_tensor(inpt, lambda pixels: _v1.erase(pixels, i, j, h, w, v, inplace), inpt.mode)
    if isinstance(inpt, Tensor):
        return _v1._erase(inpt, i, j, h, w, v, inplace)
    return _v1.erase(inpt, i, j, h, w, v, inplace)


def rotate(inpt, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    """v1's ``rotate`` with v2's interpolation strings and bilinear fill arithmetic; a tensor turned by a multiple
    of 90 degrees about its centre is transposed exactly, whatever the interpolation and fill, as v2 does (by 90
    or 270 degrees only when ``expand`` or the image is square, the output otherwise keeping its size). A tensor is
    turned by the angle brought into [0, 360), whose sines and cosines round differently (-90 is turned as 270)."""
    if isinstance(inpt, Tensor):
        angle = float(angle % 360)  # v2 takes any number (NumPy's, a tensor's) without checking its type
    if isinstance(inpt, Tensor) and center is None:
        quarter = {0: 0, 90: 1, 180: 2, 270: 3}.get(angle)
        if quarter == 0:
            return inpt.clone()
        if quarter == 2 or (quarter is not None and (expand or inpt.shape[-1] == inpt.shape[-2])):
            return Tensor._wrap(np.rot90(inpt._data, quarter, axes=(-2, -1)).copy())
    return _warp._rotate(inpt, angle, _check_interpolation(interpolation), expand, center, fill, v2_fill=True)


def affine(inpt, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    """v1's ``affine`` with v2's interpolation strings and bilinear fill arithmetic."""
    return _warp._affine(inpt, angle, translate, scale, shear, _check_interpolation(interpolation), fill, center,
                         v2_fill=True)


def perspective(inpt, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR, fill=None, coefficients=None):
    """v1's ``perspective`` with v2's interpolation strings and bilinear fill arithmetic; or, instead of the
    points, the eight ``coefficients`` of the homography (output pixel to input pixel) themselves."""
    if coefficients is not None:
        if startpoints is not None and endpoints is not None:
            raise ValueError("The startpoints/endpoints and the coefficients shouldn't be defined concurrently.")
        if len(coefficients) != 8:
            raise ValueError("Argument coefficients should have 8 float values")
    elif startpoints is None or endpoints is None:
        raise ValueError("Either the startpoints/endpoints or the coefficients must have non `None` values.")
    return _warp._perspective(inpt, startpoints, endpoints, _check_interpolation(interpolation), fill, v2_fill=True,
                              coefficients=coefficients)


def elastic(inpt, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """v2's ``elastic``: v1's ``elastic_transform`` with interpolation strings, sampled in the image's float dtype
    (float32 for integer and float16 images, the displacement cast to it) and v2's fill blending."""
    return _warp._elastic(inpt, displacement, _check_interpolation(interpolation), fill,
                          v2=True)


elastic_transform = elastic


def five_crop(inpt, size):
    """v1's ``five_crop``, naming a too-large ``size`` as given."""
    return _v1._five_crop(inpt, size, v2=True)


def ten_crop(inpt, size, vertical_flip=False):
    """v1's ``ten_crop``, naming a too-large ``size`` as given."""
    return _v1._ten_crop(inpt, size, vertical_flip, v2=True)


def crop(inpt, top, left, height, width):
    """v1's ``crop``; a tensor image that must be padded (the box reaching outside it) is padded as (C, H, W), which
    a 2-D one cannot be unpacked as."""
    if isinstance(inpt, Tensor) and inpt.ndim < 3:
        image_height, image_width = inpt.shape[-2:]
        if left < 0 or top < 0 or left + width > image_width or top + height > image_height:
            raise ValueError(f"not enough values to unpack (expected 3, got {inpt.ndim})")
    return _v1.crop(inpt, top, left, height, width)
