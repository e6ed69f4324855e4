"""Position-sensitive RoI Pool (R-FCN): each bin of a region averaged over its own group of input channels, with
torchvision's CPU kernel's rounding of the regions and its gradient (whose bins, unlike the forward's, may reach the
map's last row and column, as torchvision's do)."""
import math

import numpy as np

from ...nn.modules._owned import owns
from ._utils import (RoiPoolerNode, _RoIModule, batch_index, checked_kernel_arguments, checked_output,
                     roi_pooler_docstring, rois_of)
from .roi_pool import rounded

__all__ = ["ps_roi_pool", "PSRoIPool"]

_DECLARATION = ("torchvision::ps_roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt "
                "pooled_width) -> (Tensor, Tensor)")


def _bins(corners, pooled, limits, t):
    """Each bin's [start, end) rows and columns: ((ph, 2), (pw, 2)) arrays, clipped to [0, limit]."""
    start_w, start_h, end_w, end_h = corners
    edges = []
    for start, extent, bins, limit in ((start_h, end_h - start_h, pooled[0], limits[0]),
                                       (start_w, end_w - start_w, pooled[1], limits[1])):
        bin_size = t(max(extent, 1)) / t(bins)  # (malformed rois are made 1 x 1)
        spans = [(int(math.floor(t(p) * bin_size)), int(math.ceil(t(p + 1) * bin_size))) for p in range(bins)]
        edges.append(np.clip(np.array(spans, np.int64).reshape(bins, 2) + start, 0, limit))
    return edges


@np.errstate(invalid="ignore", over="ignore")
def _ps_roi_pool_forward(planes, rois, scale, pooled, dtype, height, width):
    t = dtype.type
    groups = planes.shape[1] // (pooled[0] * pooled[1])
    out = np.zeros((len(rois), groups) + pooled, dtype)
    for k, roi in enumerate(rois):
        corners = [rounded(roi[i] * t(scale)) for i in range(1, 5)]
        rows, columns = _bins(corners, pooled, (height - 1, width - 1), t)  # (the forward stops a pixel short)
        plane = planes[batch_index(float(roi[0]))].reshape(groups, pooled[0], pooled[1], height, width)
        for p, (top, bottom) in enumerate(rows):
            for q, (left, right) in enumerate(columns):
                if bottom <= top or right <= left:
                    continue
                region = plane[:, p, q, top:bottom, left:right].reshape(groups, -1)
                total = np.cumsum(region, axis=-1, dtype=dtype)[:, -1] + t(0)  # added pixel after pixel, from +0
                out[k, :, p, q] = total / t((bottom - top) * (right - left))
    return out


@np.errstate(invalid="ignore", over="ignore")
def _ps_roi_pool_backward(grad, rois, scale, pooled, shape, dtype):
    batch_size, channels, height, width = shape
    t = dtype.type
    groups = channels // (pooled[0] * pooled[1])
    grad_input = np.zeros((batch_size, groups, pooled[0], pooled[1], height, width), dtype)
    for k, roi in enumerate(rois):
        # (the backward rounds the corners as float32 numbers, roundf, whatever the dtype)
        corners = [rounded(np.float32(roi[i] * t(scale))) for i in range(1, 5)]
        rows, columns = _bins(corners, pooled, (height, width), t)
        planes = grad_input[batch_index(float(roi[0]))]
        for p, (top, bottom) in enumerate(rows):
            for q, (left, right) in enumerate(columns):
                if bottom > top and right > left:
                    share = grad[k, :, p, q] / t((bottom - top) * (right - left))
                    planes[:, p, q, top:bottom, left:right] += share[:, None, None]
    return grad_input.reshape(shape)


class PSRoIPoolFunction(RoiPoolerNode):
    op_name = "ps_roi_pool"

    def pool(self, planes, rois, height, width, spatial_scale, pooled):
        return _ps_roi_pool_forward(planes, rois, spatial_scale, pooled, self.dtype, height, width)

    def input_gradient(self, grad, shape, spatial_scale, pooled):
        return _ps_roi_pool_backward(grad, self.rois, spatial_scale, pooled, shape, self.dtype)


@roi_pooler_docstring
def ps_roi_pool(input, boxes, output_size, spatial_scale=1.0):
    """Position-sensitive RoI Pool (R-FCN): each box's region (its corners rounded to pixels) divided into
    ``output_size`` bins, bin (i, j) of output channel c the average of input channel
    (c * output_size[0] + i) * output_size[1] + j over it.

    Args:
        input (Tensor[N, C, H, W]): the feature maps (float32, float64 or float16), C a multiple of the bins.
        {roi_args}

    Returns:
        Tensor[K, C / (output_size[0] * output_size[1]), output_size[0], output_size[1]]
    """
    rois, output_size = rois_of(boxes, output_size)
    scale, (pooled_height, pooled_width) = checked_kernel_arguments(_DECLARATION, input, rois, spatial_scale,
                                                                    output_size[0], output_size[1])
    geometry, empty = checked_output(input, rois, pooled_height, pooled_width, "ps_roi_pool_forward_kernel",
                                     position_sensitive=True)
    if empty is not None:
        return empty
    return PSRoIPoolFunction.apply(input, rois, spatial_scale=scale, pooled=(pooled_height, pooled_width),
                                   geometry=geometry)


@owns("__init__")
class PSRoIPool(_RoIModule):
    """:func:`ps_roi_pool` as a module."""

    def forward(self, input, rois):
        return ps_roi_pool(input, rois, self.output_size, self.spatial_scale)
