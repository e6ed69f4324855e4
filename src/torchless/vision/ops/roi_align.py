"""RoI Align (Mask R-CNN): each region of interest of a feature map pooled into a fixed grid of bins, each bin the
average of bilinear samples, with torchvision's CPU kernel's arithmetic in the input's dtype (and so its last bits)
and its gradient with respect to the input."""
import math

import numpy as np

from ..._tensor import Tensor
from ...nn._functional._args import _tp_name
from ._utils import (RoiPoolerNode, _RoIModule, batch_index, checked_kernel_arguments, checked_output,
                     roi_pooler_docstring, rois_of)

__all__ = ["roi_align", "RoIAlign"]

_DECLARATION = ("torchvision::roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt "
                "pooled_width, int sampling_ratio, bool aligned) -> Tensor")


class RoiGeometry:
    """One roi's sampling grid, as the kernels of roi_align and ps_roi_align lay it out: for each output row ph and
    sample iy a y coordinate (and for each column pw and sample ix an x), computed in the input's dtype in the
    kernels' order; ``aligned``: the roi shifted by -0.5 pixel (always so in ps_roi_align), else made at least 1 x 1."""

    def __init__(self, roi, scale, pooled, sampling_ratio, aligned, dtype):
        t = dtype.type
        offset = t(0.5 if aligned else 0.0)
        start_w, start_h, end_w, end_h = (t(roi[i] * scale) - offset for i in range(1, 5))
        roi_width, roi_height = end_w - start_w, end_h - start_h
        if not aligned:  # malformed rois are forced to 1 x 1
            roi_width, roi_height = max(roi_width, t(1.0)), max(roi_height, t(1.0))
        self.batch = batch_index(float(roi[0]))
        self.grid = [sampling_ratio if sampling_ratio > 0 else _ceil(extent / t(bins))
                     for extent, bins in ((roi_height, pooled[0]), (roi_width, pooled[1]))]
        self.ys = _coordinates(start_h, roi_height / t(pooled[0]), pooled[0], self.grid[0], t)
        self.xs = _coordinates(start_w, roi_width / t(pooled[1]), pooled[1], self.grid[1], t)

    def has_samples(self):
        return self.grid[0] > 0 and self.grid[1] > 0

    def samples(self):
        return self.grid[0] * self.grid[1]


def _ceil(value):
    return int(math.ceil(value)) if math.isfinite(value) else 0


def _coordinates(start, bin_size, bins, grid, t):
    """(bins, grid) sample coordinates: start + p * bin_size + (i + 0.5) * bin_size / grid, left to right."""
    p = np.arange(bins).astype(t)[:, None]
    i = (np.arange(grid) + 0.5).astype(t)[None, :]
    return (start + p * bin_size) + (i * bin_size) / t(grid)


def _axis_taps(coords, size, t):
    """The kernel's bilinear taps along one axis: the low and high pixel, the weights of each (hi, lo) and whether the
    coordinate is inside [-1, size]."""
    inside = (coords >= -1.0) & (coords <= size)
    coords = np.where(coords <= 0, t(0), coords)
    low = np.trunc(np.nan_to_num(coords, nan=0.0, posinf=size, neginf=0.0)).astype(np.int64)
    at_end = low >= size - 1
    low = np.where(at_end, size - 1, low)
    high = np.where(at_end, low, low + 1)
    coords = np.where(at_end, low.astype(t), coords)
    frac = (coords - low.astype(t)).astype(t)
    rest = (1.0 - frac.astype(np.float64)).astype(t)  # (1. - l is computed in double, then stored)
    return low, high, rest, frac, inside


def sample_taps(geometry, height, width, t):
    """The four taps of every sample, shaped (ph, gh, pw, gw): [(flat position, weight)] and where it is inside."""
    y_low, y_high, hy, ly, y_in = _axis_taps(geometry.ys, height, t)
    x_low, x_high, hx, lx, x_in = _axis_taps(geometry.xs, width, t)

    def outer(a, b):
        return a[:, :, None, None] * b[None, None, :, :]

    inside = outer(y_in, x_in)
    taps = [((y * width)[:, :, None, None] + x[None, None, :, :], outer(wy, wx))
            for y, wy in ((y_low, hy), (y_high, ly)) for x, wx in ((x_low, hx), (x_high, lx))]
    return taps, inside


def bilinear_samples(read, taps, inside, zero_outside=False):
    """Each sample's bilinear value (..., ph, gh, pw, gw), w1 * v1 + w2 * v2 + w3 * v3 + w4 * v4 in the kernels' order,
    ``read(positions)`` giving the pixels at flat positions (ph, gh, pw, gw). Outside the map roi_align reads
    position 0 with weight 0 (NaN for a NaN or infinite pixel there); ``zero_outside``: the sample is 0 instead."""
    total = None
    for position, weight in taps:
        value = np.where(inside, weight, weight.dtype.type(0)) * read(np.where(inside, position, 0))
        total = value if total is None else total + value
    return np.where(inside, total, total.dtype.type(0)) if zero_outside else total


def bin_sums(samples, pooled, dtype):
    """Each bin's samples (..., ph, gh, pw, gw) added one after the other (iy, then ix) from +0: (..., ph, pw)."""
    in_order = np.moveaxis(samples, -2, -3).reshape(samples.shape[:-4] + tuple(pooled) + (-1,))
    return np.cumsum(in_order, axis=-1, dtype=dtype)[..., -1] + dtype.type(0)


def scatter_bin_gradients(grad_input, grad_bins, plane_offsets, taps, inside, count):
    """Add each bin's gradient (C', ph, pw) to the four taps of its samples, in the kernels' order (bin after bin,
    sample after sample, tap after tap; the samples outside the map left out): ``grad_input`` is the image's flat
    planes, ``plane_offsets`` (C', ph, pw) where each bin's plane starts in it."""
    # the (ph, gh, pw, gw, tap) arrays are put in (ph, pw, gh, gw, tap) order
    positions = np.stack([p for p, _ in taps], axis=-1).transpose(0, 2, 1, 3, 4)
    bins = grad_bins[:, :, None, :, None]  # (C', ph, 1, pw, 1) against the samples' (ph, gh, pw, gw)
    values = np.stack([(bins * w) / count for _, w in taps], axis=-1).transpose(0, 1, 3, 2, 4, 5)
    keep = np.broadcast_to(inside.transpose(0, 2, 1, 3)[..., None], positions.shape)
    flat = plane_offsets[:, :, :, None, None, None] + positions[None]
    np.add.at(grad_input, flat[:, keep].reshape(-1), values[:, keep].reshape(-1))


@np.errstate(invalid="ignore", over="ignore")  # (inf and NaN features propagate silently)
def _roi_align_forward(planes, rois, scale, pooled, sampling_ratio, aligned, dtype, height, width):
    t = dtype.type
    out = np.zeros((len(rois), planes.shape[1]) + pooled, dtype)
    for k, roi in enumerate(rois):
        geometry = RoiGeometry(roi, t(scale), pooled, sampling_ratio, aligned, dtype)
        if geometry.samples() * pooled[0] * pooled[1] < 0:
            # (an aligned roi of negative size, sampled adaptively: the kernel's vector of weights has a size < 0)
            raise ValueError("cannot create std::vector larger than max_size()")
        if not geometry.has_samples():
            continue
        taps, inside = sample_taps(geometry, height, width, t)
        plane = planes[geometry.batch]
        samples = bilinear_samples(lambda positions: plane[:, positions], taps, inside)
        out[k] = bin_sums(samples, pooled, dtype) / t(max(geometry.samples(), 1))
    return out


def _roi_align_backward(grad, rois, scale, pooled, sampling_ratio, aligned, shape, dtype):
    channels, height, width = shape[1:]
    plane_offsets = np.broadcast_to((np.arange(channels) * (height * width))[:, None, None], (channels,) + pooled)
    return aligned_backward(grad, rois, scale, pooled, sampling_ratio, aligned, shape, dtype, plane_offsets)


@np.errstate(invalid="ignore", over="ignore")
def aligned_backward(grad, rois, scale, pooled, sampling_ratio, aligned, shape, dtype, plane_offsets):
    """The input gradient of an aligned pooler: each RoI's bin gradients spread over its bilinear samples' taps,
    bin (c, i, j) reading the plane at ``plane_offsets[c, i, j]`` (flat, in a batch element's C*H*W)."""
    batch_size, channels, height, width = shape
    t = dtype.type
    grad_input = np.zeros((batch_size, channels * height * width), dtype)
    for k, roi in enumerate(rois):
        geometry = RoiGeometry(roi, t(scale), pooled, sampling_ratio, aligned, dtype)
        if geometry.has_samples():
            taps, inside = sample_taps(geometry, height, width, t)
            scatter_bin_gradients(grad_input[geometry.batch], grad[k], plane_offsets, taps, inside,
                                  t(geometry.samples()))
    return grad_input.reshape(shape)


class RoIAlignFunction(RoiPoolerNode):
    op_name = "roi_align"

    def pool(self, planes, rois, height, width, spatial_scale, pooled, sampling_ratio, aligned):
        return _roi_align_forward(planes, rois, spatial_scale, pooled, sampling_ratio, aligned, self.dtype, height,
                                  width)

    def input_gradient(self, grad, shape, spatial_scale, pooled, sampling_ratio, aligned):
        return _roi_align_backward(grad, self.rois, spatial_scale, pooled, sampling_ratio, aligned, shape, self.dtype)


@roi_pooler_docstring
def roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    """RoI Align (Mask R-CNN): each box's region of ``input`` pooled into ``output_size`` bins, each bin the
    average of a grid of bilinear samples.

    Args:
        input (Tensor[N, C, H, W]): the feature maps (float32, float64 or float16).
        {roi_args}
        {sampling_ratio}
        aligned (bool): shift the boxes by -0.5 pixel (Detectron2); False keeps the legacy behaviour, where
            boxes smaller than a pixel are made 1 x 1. Default: False

    Returns:
        Tensor[K, C, output_size[0], output_size[1]]
    """
    rois, output_size = rois_of(boxes, output_size)
    if not isinstance(input, Tensor):
        raise AttributeError(f"'{_tp_name(input)}' object has no attribute 'is_quantized'")
    scale, (pooled_height, pooled_width, sampling_ratio, aligned) = checked_kernel_arguments(
        _DECLARATION, input, rois, spatial_scale, output_size[0], output_size[1], sampling_ratio, aligned)
    geometry, empty = checked_output(input, rois, pooled_height, pooled_width, "roi_align_forward_kernel")
    if empty is not None:
        return empty
    return RoIAlignFunction.apply(input, rois, spatial_scale=scale, pooled=(pooled_height, pooled_width),
                                  sampling_ratio=sampling_ratio, aligned=aligned, geometry=geometry)


class RoIAlign(_RoIModule):
    """:func:`roi_align` as a module."""

    _repr_names = ("output_size", "spatial_scale", "sampling_ratio", "aligned")

    def __init__(self, output_size, spatial_scale, sampling_ratio, aligned=False):
        super().__init__(output_size, spatial_scale)
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input, rois):
        return roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio, self.aligned)
