"""Warps: ``rotate``, ``affine`` and ``perspective``, which sample the input where an output-to-input map
sends each output pixel.

Tensors and array images use torchvision's tensor path (its grid, normalised to ``grid_sample``'s [-1, 1]
and back, nearest or bilinear sampling, zeros or ``fill`` outside); PIL images use Pillow's ``rotate`` and
``transform``, as torchvision does.
"""
import math
import warnings
import numbers

import numpy as np

from ... import _cpu_features
from ..._creation.from_data import tensor
from ..._kernels import fma, gels
from ..._tensor import Tensor
from ...linalg import LinAlgError
from .._pillow import is_pil_image
from ._image import (PIL_EXPECTED, as_image, assert_image_tensor, compute_dtype, get_dimensions, on_hw_axes,
                     pil_functional)
from ._interpolation import InterpolationMode, check_interpolation, interpolation_modes_from_int, pil_modes_mapping


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


def _affine_matrix(center, angle, translate, scale, shear, inverted):
    """torchvision's v2 ``_get_inverse_affine_matrix`` (its arithmetic; ``inverted=False`` the forward map)."""
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    cos_sy, tan_sx = math.cos(sy), math.tan(sx)
    a = math.cos(rot - sy) / cos_sy
    b = -(a * tan_sx + math.sin(rot))
    c = math.sin(rot - sy) / cos_sy
    d = math.cos(rot) - c * tan_sx
    if inverted:
        matrix = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
        matrix[2] += cx - matrix[0] * (cx + tx) - matrix[1] * (cy + ty)
        matrix[5] += cy - matrix[3] * (cx + tx) - matrix[4] * (cy + ty)
    else:
        matrix = [a * scale, b * scale, 0.0, c * scale, d * scale, 0.0]
        matrix[2] += cx + tx - matrix[0] * cx - matrix[1] * cy
        matrix[5] += cy + ty - matrix[3] * cx - matrix[4] * cy
    return matrix


def _inverse_affine_matrix(center, angle, translate, scale, shear, v2):
    """The output-to-input map of an image warp: v2's arithmetic (``v2``) or v1's, which round differently (a
    last bit that moves a pixel of a PIL image across a boundary now and then)."""
    if v2:
        return _affine_matrix(center, angle, translate, scale, shear, inverted=True)
    return _get_inverse_affine_matrix(center, angle, translate, scale, shear)


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
    if mode == "bicubic":
        return _sample_bicubic(array, ix, iy)
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
            out = _fma(weight, array[..., np.clip(ys, 0, height - 1), np.clip(xs, 0, width - 1)], out)
    return out


def _cubic_weights(t):
    """grid_sample's cubic convolution weights (A = -0.75) of the four taps around a point ``t`` past the second."""
    a = -0.75
    near = lambda x: ((a + 2) * x - (a + 3)) * x * x + 1  # noqa: E731
    far = lambda x: ((a * x - 5 * a) * x + 8 * a) * x - 4 * a  # noqa: E731
    return far(t + 1), near(t), near(1 - t), far(2 - t)


def _sample_bicubic(array, ix, iy):
    """``array`` (..., H, W) sampled bicubically at (ix, iy), taps outside the image counting as zero."""
    height, width = array.shape[-2:]
    kind = array.dtype.type
    x0, y0 = np.floor(ix), np.floor(iy)
    wx, wy = _cubic_weights(ix - x0), _cubic_weights(iy - y0)
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    out = np.zeros(array.shape[:-2] + ix.shape, array.dtype)
    for j in range(4):
        ys = y0 - 1 + j
        row = np.zeros_like(out)
        for i in range(4):
            xs = x0 - 1 + i
            inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
            tap = np.where(inside, array[..., np.clip(ys, 0, height - 1), np.clip(xs, 0, width - 1)], kind(0))
            row = row + wx[i].astype(array.dtype) * tap
        out = out + wy[j].astype(array.dtype) * row
    return out


def _fma(a, b, c):
    """``a * b + c`` rounded once, as PyTorch's vectorised CPU kernels compute it (fused multiply-add); other dtypes
    than float32 and float64 as two roundings."""
    if a.dtype == np.float32:
        return fma.fused_multiply_add32(a, b, c)
    if a.dtype == np.float64:
        return fma.fused_multiply_add64(a, b, c)
    return a * b + c



def _warp_chw(array, grid_fn, mode, fill, v2_fill=False, compute=None):
    """``array`` (..., C, H, W) sampled at ``grid_fn(compute_dtype)``, torchvision's normalised (gx, gy) grid.

    grid_sample (align_corners=False) turns the grid back into pixel coordinates; taking the same steps
    keeps nearest-neighbour ties rounding the same way. With ``fill``, pixels from outside the image take
    it: all or nothing when nearest, in proportion to their outside part when bilinear.
    """
    if array.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {array.ndim}")
    channels, height, width = array.shape[-3:]
    if fill is not None and isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != channels:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number of channels of "
                         f"the image ({len(fill)} != {channels})")
    compute = compute_dtype(array.dtype) if compute is None else compute
    gx, gy = grid_fn(compute)
    if compute == np.float16:
        # grid_sample's scalar kernel for half: ((g + 1) * size - 1) / 2, each step rounded to half
        one, two = np.float16(1), np.float16(2)
        ix = ((gx + one) * np.float16(width) - one) / two
        iy = ((gy + one) * np.float16(height) - one) / two
    else:
        # grid_sample's vectorised CPU kernel: (g + 1) * (size / 2) - 0.5, the last two steps fused
        ix = _fma(gx + 1, np.asarray(width / 2, compute), np.asarray(-0.5, compute))
        iy = _fma(gy + 1, np.asarray(height / 2, compute), np.asarray(-0.5, compute))
    out = _sample_grid(array.astype(compute), ix, iy, mode)
    if fill is not None:
        mask = _sample_grid(np.ones((height, width), compute), ix, iy, mode)
        fill_list = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = np.asarray(fill_list, compute).reshape(len(fill_list), 1, 1)
        if mode == "nearest":
            out = np.where(mask < 0.5, fill_img, out)
        else:
            # the same blend in two roundings: v1's ``img * mask + (1 - mask) * fill``, v2's ``(img - fill) * mask
            # + fill``; they differ by one grey level now and then
            out = (out - fill_img) * mask + fill_img if v2_fill else out * mask + (1 - mask) * fill_img
    # integer images are rounded back; bool ones only by v2 (v1 casts them unrounded: any nonzero value is True)
    if array.dtype.kind in "iu" or (array.dtype.kind == "b" and v2_fill):
        out = np.round(out)
    return np.ascontiguousarray(out, dtype=array.dtype)  # (grid_sample's output is contiguous, whatever its input)


def _affine_grid(matrix, width, height, out_w, out_h):
    """The grid of ``matrix`` (pixel coordinates centred on the image) over an out_w x out_h output."""
    def grid(compute):
        m = np.asarray(matrix, compute)
        xb = np.linspace(-out_w * 0.5 + 0.5, out_w * 0.5 - 0.5, out_w, dtype=compute)[None, :]
        yb = np.linspace(-out_h * 0.5 + 0.5, out_h * 0.5 - 0.5, out_h, dtype=compute)[:, None]
        # torchvision divides the matrix by the half sizes before applying it: the same rounding steps keep
        # nearest-neighbour ties (a rotation by 30 degrees has many) going the same way.
        mx = m[:3] / compute(0.5 * width)
        my = m[3:] / compute(0.5 * height)
        return _bmm_sum(xb, yb, mx), _bmm_sum(xb, yb, my)

    return grid


def _bmm_sum(x, y, weights):
    """``x * w0 + y * w1 + w2`` as torchvision computes it, a column of ``[x, y, 1].bmm(weights)`` (2 columns).

    PyTorch's bmm sums the 3 products in order: half in float32, rounded to half once; below 400 multiply-adds
    (3 x rows x 2) in its own loop, rounding each step; above, in the BLAS kernel, whose float32 and float64
    products after the first are fused multiply-adds where PyTorch's MKL fuses them (on Intel's CPUs).
    """
    if x.dtype == np.float16:
        w = [np.float32(weight) for weight in weights]
        return (x.astype(np.float32) * w[0] + y.astype(np.float32) * w[1] + w[2]).astype(np.float16)
    if 3 * x.size * y.size * 2 < 400 or not _cpu_features.mkl_fuses_multiply_adds():
        return x * weights[0] + y * weights[1] + weights[2]
    return _fma(y, weights[1], x * weights[0]) + weights[2]  # (1 * w2 is exact: the last fused add rounds once)


def _perspective_grid(coeffs, width, height):
    """The grid of the homography ``coeffs`` (pixel coordinates from the top-left corner)."""
    def grid(compute):
        c = np.asarray(coeffs, compute)
        x = np.linspace(0.5, width - 0.5, width, dtype=compute)[None, :]
        y = np.linspace(0.5, height - 0.5, height, dtype=compute)[:, None]
        half_w, half_h = compute(0.5 * width), compute(0.5 * height)
        one = compute(1)
        denominator = _bmm_sum(x, y, [c[6], c[7], one])
        gx = _bmm_sum(x, y, c[:3] / half_w) / denominator - one
        gy = _bmm_sum(x, y, c[3:6] / half_h) / denominator - one
        return gx, gy

    return grid


def _grid_transform(img, grid_fn_of_size, interpolation, fill, v2_fill=False, compute=None,
                    modes=("nearest", "bilinear")):
    """Warp a tensor or array image; ``grid_fn_of_size(width, height)`` gives the grid function. ``v2_fill``: v2's
    kernel (its fill blending, any number of batch dimensions, empty images reshaped)."""
    elastic = modes == _ELASTIC_MODES  # (_elastic checks its own mode, in torchvision's order)
    if isinstance(img, Tensor):
        assert_image_tensor(img)
        if not elastic:  # torchvision's _assert_grid_transform_inputs: the fill, then the mode
            _check_fill_channels(img.shape, fill, v2_fill)
            _check_grid_mode(interpolation, modes)
        with np.errstate(all="ignore"):  # an empty image's grid divides by zero; only its shape is wanted
            out_h, out_w = grid_fn_of_size(img.shape[-1], img.shape[-2])(np.float32)[0].shape
        if v2_fill:
            if img.ndim < 3:  # v2 unpacks (C, H, W) next
                raise ValueError(f"not enough values to unpack (expected 3, got {img.ndim})")
            if img.numel() == 0:  # v2 hands an empty image back reshaped to the output size
                new_shape = list(img.shape[:-2]) + [out_h, out_w]
                if np.prod(new_shape) != 0:
                    raise RuntimeError(f"shape '{new_shape}' is invalid for input of size 0")
                return Tensor._wrap(np.zeros(new_shape, img._data.dtype))
        else:
            _check_v1_grid_sample(img.shape, (out_h, out_w), fill)
        if not elastic:
            _refuse_fill_length(tuple(img.shape), fill, interpolation.value, v2_fill)
    elif not elastic:
        _check_grid_mode(interpolation, modes)

    def fn(array):
        return _warp_chw(array, grid_fn_of_size(array.shape[-1], array.shape[-2]), interpolation.value, fill, v2_fill,
                         compute)

    return on_hw_axes(img, fn)


_ELASTIC_MODES = ("nearest", "bilinear", "bicubic")  # grid_sample's: elastic_transform checks none itself


def _check_grid_mode(interpolation, modes):
    if interpolation.value not in modes:
        if len(modes) == 3:
            raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                             f"but got: '{interpolation.value}'")
        raise ValueError(f"Interpolation mode '{interpolation.value}' is unsupported with Tensor input")


def _check_fill_channels(shape, fill, v2):
    """torchvision's refusal of a sequence ``fill`` longer than one whose length is not the channel count (v1 reads
    a 2-D image as one channel; v2 indexes ``shape[-3]``, an IndexError for it), and v2's of a fill that is no
    number or sequence (v1 only warns)."""
    if fill is not None and not isinstance(fill, (int, float, tuple, list)) and not v2:
        warnings.warn("Argument fill should be either int, float, tuple or list")
    if isinstance(fill, (tuple, list)):
        if v2 and len(shape) < 3:
            raise IndexError("tuple index out of range")
        channels = shape[-3] if len(shape) > 2 else 1
        if len(fill) > 1 and len(fill) != channels:
            raise ValueError("The number of elements in 'fill' cannot broadcast to match the number of channels of "
                             f"the image ({len(fill)} != {channels})")
    elif v2 and fill is not None and not isinstance(fill, (int, float)):
        raise ValueError("Argument fill should be either int, float, tuple or list")


def _check_v1_grid_sample(shape, out_size, fill):
    """The errors v1's tensor warps meet where torchvision's code or ``grid_sample`` refuse the image: v1 batches a
    3-D image to 4-D and passes any other as it is, with a [1, H', W', 2] grid (expanded to the batch), and, with
    a ``fill``, one more channel (a mask) made and concatenated for a 4-D tensor."""
    ndim = len(shape)
    batched = [1] + list(shape) if ndim < 4 else list(shape)
    if fill is not None:
        if ndim == 2:  # the mask takes the 3-D tensor's shape[3]
            raise IndexError("tuple index out of range")
        if ndim > 4:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ndim} and 4")
        batched[1] += 1
    grid = [batched[0] if batched[0] > 1 else 1, *out_size, 2]
    if len(batched) != 4:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {len(batched) - 2} in last dimension, but got "
                           f"grid with sizes {grid}")
    if batched[0] == 0:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with sizes "
                           f"{batched} and grid with sizes {grid}")
    for dim in (2, 3):
        if batched[dim] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {batched} with dimension {dim} being empty")


def _check_angle(angle):
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")


# ------------------------------------------------------------------------------------------------- rotate
def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    """Rotate an image by ``angle`` degrees counter-clockwise.

    Args:
        img (PIL Image, Tensor or array): image (..., C, H, W), H x W[ x C] array (rotated like a tensor),
            or PIL image (rotated by Pillow's ``Image.rotate``).
        angle (number): degrees, counter-clockwise.
        interpolation (InterpolationMode): ``NEAREST`` (default) or ``BILINEAR`` (PIL images: also ``BICUBIC``).
        expand (bool): enlarge the output to hold the whole rotated image (about the centre).
        center (sequence, optional): (x, y) pixel centre of rotation; default the image centre.
        fill (sequence or number, optional): value of the pixels outside the image; default 0.
    """
    return _rotate(img, angle, interpolation, expand, center, fill)


def _rotate(img, angle, interpolation, expand, center, fill, v2_fill=False):
    """``rotate``; ``v2_fill``: v2's, which blends the bilinear fill its way, computes the matrix with its own
    arithmetic and does not check the angle's type."""
    interpolation = check_interpolation(interpolation)
    if not v2_fill:
        _check_angle(angle)
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    img = as_image(img, PIL_EXPECTED)
    if is_pil_image(img):
        return pil_functional().rotate(img, angle, pil_modes_mapping[interpolation], expand, center, fill)
    center_f = [0.0, 0.0]
    if center is not None:
        _, height, width = get_dimensions(img)
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    # affine turns clockwise for positive angles in these y-down coordinates, rotate counter-clockwise
    matrix = _inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0], v2_fill)

    def grid_of_size(width, height):
        out_w, out_h = _compute_affine_output_size(matrix, width, height) if expand else (width, height)
        return _affine_grid(matrix, width, height, out_w, out_h)

    return _grid_transform(img, grid_of_size, interpolation, fill, v2_fill)


# ------------------------------------------------------------------------------------------------- affine
def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    """Rotate (clockwise by ``angle`` degrees), scale, shear and translate an image, keeping its centre.

    Args:
        img (PIL Image, Tensor or array): image (..., C, H, W), H x W[ x C] array (transformed like a
            tensor), or PIL image (Pillow's ``Image.transform`` with the inverse matrix, as torchvision).
        angle (number): rotation in degrees, clockwise in image coordinates.
        translate (sequence of ints): (horizontal, vertical) shift in pixels.
        scale (float): overall scale.
        shear (float or sequence): shear angles in degrees, (x, y) or one for x.
        interpolation (InterpolationMode): ``NEAREST`` (default) or ``BILINEAR`` (PIL images: also ``BICUBIC``).
        fill (sequence or number, optional): value of the pixels outside the image; default 0.
        center (sequence, optional): (x, y) pixel centre of the transform; default the image centre.
    """
    return _affine(img, angle, translate, scale, shear, interpolation, fill, center)


def _affine(img, angle, translate, scale, shear, interpolation, fill, center, v2_fill=False):
    """``affine``; ``v2_fill``: v2's, which blends the bilinear fill its way and computes the matrix with its own
    arithmetic."""
    interpolation = check_interpolation(interpolation)
    _check_angle(angle)
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
    img = as_image(img)
    _, height, width = get_dimensions(img)
    if is_pil_image(img):
        # Pillow's pixel coordinates start at the top-left corner, so the centre is (w / 2, h / 2) there
        center = [width * 0.5, height * 0.5] if center is None else center
        matrix = _inverse_affine_matrix(center, float(angle), list(translate), scale, shear, v2_fill)
        return pil_functional().affine(img, matrix, pil_modes_mapping[interpolation], fill)
    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = _inverse_affine_matrix(center_f, float(angle), [1.0 * t for t in translate], scale, shear, v2_fill)
    return _grid_transform(img, lambda w, h: _affine_grid(matrix, w, h, w, h), interpolation, fill, v2_fill)


# -------------------------------------------------------------------------------------------- perspective
def _get_perspective_coeffs(startpoints, endpoints):
    """The eight coefficients (a, b, c, d, e, f, g, h) of the homography taking ``endpoints`` to ``startpoints``:
    output pixel (x, y) samples the input at ((ax + by + c) / (gx + hy + 1), (dx + ey + f) / (gx + hy + 1)).

    Solved in float64 and rounded to float32, as torchvision does, down to the rounding: the coefficients that
    should be zero keep the residue of the solver's rounding (1e-16 or so), which still moves Pillow's bilinear
    samples of an RGBA image (premultiplied, then divided by a small alpha again) by whole levels.
    """
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"Please provide exactly four corners, got {len(startpoints)} startpoints and "
                         f"{len(endpoints)} endpoints.")
    rows = []
    for (x, y), (u, v) in zip(endpoints, startpoints):
        # torchvision builds each row with torch.tensor(list): a row holding a float is rounded to float32
        rows.append(tensor([x, y, 1, 0, 0, 0, -u * x, -u * y]).double().numpy().tolist())
        rows.append(tensor([0, 0, 0, x, y, 1, -v * x, -v * y]).double().numpy().tolist())
    b = np.asarray(startpoints, np.float64).reshape(8).tolist()
    try:
        solution = gels.solve_as_mkl_gels(rows, b)
    except gels.RankDeficient as error:  # (degenerate corners, such as all four of a 1-pixel image)
        raise LinAlgError("torchless.linalg.lstsq: The least squares solution could not be computed because the "
                          f"input matrix does not have full rank (error code: {error.column}).") from None
    return np.array(solution).astype(np.float32).tolist()


def perspective(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Warp an image so that its four corners ``startpoints`` move to ``endpoints``.

    Args:
        img (PIL Image, Tensor or array): image (..., C, H, W), H x W[ x C] array (warped like a tensor),
            or PIL image (Pillow's ``Image.transform`` with ``PERSPECTIVE``).
        startpoints (list of four [x, y]): top-left, top-right, bottom-right, bottom-left corners of the input.
        endpoints (list of four [x, y]): where they go in the output, in the same order.
        interpolation (InterpolationMode): ``BILINEAR`` (default) or ``NEAREST`` (PIL images: also ``BICUBIC``).
        fill (sequence or number, optional): value of the pixels outside the image; default 0.
    """
    return _perspective(img, startpoints, endpoints, interpolation, fill)


def _perspective(img, startpoints, endpoints, interpolation, fill, v2_fill=False, coefficients=None):
    """``perspective``; ``v2_fill``: blend the bilinear fill as v2 does; ``coefficients`` (v2): the homography
    given instead of the points."""
    coeffs = _get_perspective_coeffs(startpoints, endpoints) if coefficients is None else list(coefficients)
    interpolation = check_interpolation(interpolation)
    img = as_image(img, PIL_EXPECTED)
    if is_pil_image(img):
        return pil_functional().perspective(img, coeffs, pil_modes_mapping[interpolation], fill)
    return _grid_transform(img, lambda w, h: _perspective_grid(coeffs, w, h), interpolation, fill, v2_fill)


# --------------------------------------------------------------------------------------------- elastic
def elastic_transform(img, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Move each pixel by ``displacement`` (1 x H x W x 2, in grid_sample's normalised [-1, 1] units, x then y)
    and sample the image there (torchvision v1's ``elastic_transform``).

    Tensors are sampled in the dtype of the grid (the float32 identity grid plus ``displacement``: float64 for a
    float64 displacement), like v1; a PIL image goes through its ``pil_to_tensor`` and comes back in its mode.
    ``interpolation``: ``NEAREST``, ``BILINEAR`` (default) or ``BICUBIC``.
    """
    if isinstance(interpolation, int) and not isinstance(interpolation, InterpolationMode):
        warnings.warn("Argument interpolation should be of type InterpolationMode instead of int. "
                      "Please, use InterpolationMode enum.")
        interpolation = interpolation_modes_from_int(interpolation)
    return _elastic(img, displacement, interpolation, fill, v2=False)


def _refuse_elastic_shape(shape, fill, v2):
    """The errors torchvision's elastic meets before grid_sample checks the mode: v2 unpacks (C, H, W) from a
    non-empty image; v1 makes a fill's mask from the batched 3-D or 4-D image and concatenates it."""
    if 0 in shape:
        return  # (empty images meet grid_sample's errors, or v2's early return, first)
    if v2 and len(shape) < 3:
        raise ValueError(f"not enough values to unpack (expected 3, got {len(shape)})")
    if not v2 and fill is not None and len(shape) == 2:  # v1's mask takes the batched 3-D tensor's shape[3]
        raise IndexError("tuple index out of range")
    if not v2 and fill is not None and len(shape) > 4:  # v1 concatenates its 4-D mask to the image
        raise RuntimeError(f"Tensors must have same number of dimensions: got {len(shape)} and 4")


def _refuse_fill_length(shape, fill, mode, v2):
    """The errors torchvision's warps meet for a sequence ``fill`` whose length is not the image's channel count
    (any length for elastic, which checks no fill itself; an empty one for the others): those of the tensor ops of
    its grid transform (v1: the fill expanded to the [N, C, H, W] batch; v2: the same for nearest, an in-place
    broadcast subtraction otherwise), after grid_sample's own refusals of the mode and the image's shape."""
    if not isinstance(fill, (tuple, list)) or len(fill) == 1 or 0 in shape or len(shape) < 3:
        return
    channels, height, width = shape[-3:]
    if len(fill) == channels:
        return
    batch = int(np.prod(shape[:-3], dtype=np.int64)) if v2 or len(shape) == 4 else 1
    if v2 and mode != "nearest":
        if channels == 1:
            raise RuntimeError(f"output with shape [{batch}, 1, {height}, {width}] doesn't match the broadcast shape "
                               f"[{batch}, {len(fill)}, {height}, {width}]")
        raise RuntimeError(f"The size of tensor a ({channels}) must match the size of tensor b ({len(fill)}) at "
                           "non-singleton dimension 1")
    raise RuntimeError(f"The expanded size of the tensor ({channels}) must match the existing size ({len(fill)}) at "
                       f"non-singleton dimension 1.  Target sizes: [{batch}, {channels}, {height}, {width}].  Tensor "
                       f"sizes: [1, {len(fill)}, 1, 1]")


def _elastic(img, displacement, interpolation, fill, v2):
    from ..._creation.ranges import _float_linspace
    from ..._size import Size
    from ._conversion import pil_through_tensor

    if not isinstance(displacement, Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    if not isinstance(img, Tensor):
        if not is_pil_image(img):
            raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
        return pil_through_tensor(img, lambda pixels: _elastic(pixels, displacement, interpolation, fill, v2),
                                  img.mode)
    height, width = img.shape[-2:]
    expected = (1, height, width, 2)
    if tuple(displacement.shape) != expected:
        shown = expected if v2 else Size(expected)
        raise ValueError(f"Argument displacement shape should be {shown}, but given {displacement.shape}")
    if not v2:  # v1 checks no mode: it reads the value of whatever it was given ('bilinear' has none)
        interpolation.value  # noqa: B018
    image_dtype = img._data.dtype
    if v2:  # the image's float dtype (float16 as float32), float32 for integers; the displacement cast to it
        compute = np.float32 if image_dtype.kind != "f" or image_dtype == np.float16 else image_dtype.type
    else:  # v1: the float32 identity grid promoted with the displacement's dtype
        compute = np.promote_types(np.float32, displacement._data.dtype).type
    moved = displacement._data[0].astype(compute)
    if 0 in (height, width):  # torchvision's identity grid divides by the sizes in Python before anything else
        raise ZeroDivisionError("division by zero")
    _refuse_elastic_shape(tuple(img.shape), fill, v2)
    if not (v2 and img.numel() == 0):  # v2 hands an empty image back before grid_sample sees the mode
        _check_grid_mode(interpolation, _ELASTIC_MODES)
    _refuse_fill_length(tuple(img.shape), fill, interpolation.value, v2)

    def grid_of_size(w, h):
        def grid(_):
            # torch.linspace's values (its step and halves), not NumPy's: the identity grid's last bits; v1's is
            # float32 (linspace's default dtype) whatever the displacement's
            spaced = np.dtype(compute if v2 else np.float32)
            xs = _float_linspace((-w + 1) / w, (w - 1) / w, w, spaced).astype(compute)[None, :]
            ys = _float_linspace((-h + 1) / h, (h - 1) / h, h, spaced).astype(compute)[:, None]
            return xs + moved[..., 0], ys + moved[..., 1]

        return grid

    return _grid_transform(img, grid_of_size, interpolation, fill, v2_fill=v2, compute=compute, modes=_ELASTIC_MODES)
