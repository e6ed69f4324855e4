"""RoI Pool (Fast R-CNN): each region of interest of a feature map max-pooled into a fixed grid of bins, with
torchvision's CPU kernel's rounding of the regions and its gradient (to the maximum of each bin)."""
import math

import numpy as np

from ...nn.modules._owned import owns
from ._utils import (RoiPoolerNode, _RoIModule, batch_index, checked_kernel_arguments, checked_output,
                     roi_pooler_docstring, rois_of)

__all__ = ["roi_pool", "RoIPool"]

_DECLARATION = ("torchvision::roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt "
                "pooled_width) -> (Tensor, Tensor)")
_FLT_MAX = float(np.finfo(np.float32).max)


def rounded(value):
    # std::round: halves away from zero
    value = float(value)
    return int(math.copysign(math.floor(abs(value) + 0.5), value)) if math.isfinite(value) else 0


def _bin_edges(start, extent, bins, size, t):
    """The [start, end) pixel range of each of ``bins`` bins along an axis, clipped to the map."""
    bin_size = t(extent) / t(bins)
    edges = []
    for p in range(bins):
        low = int(math.floor(t(p) * bin_size)) + start
        high = int(math.ceil(t(p + 1) * bin_size)) + start
        edges.append((min(max(low, 0), size), min(max(high, 0), size)))
    return edges


@np.errstate(invalid="ignore")  # (NaN features are compared silently)
def _roi_pool_forward(planes, rois, scale, pooled, dtype, height, width):
    t = dtype.type
    scale = t(scale)
    channels = planes.shape[1]
    out = np.zeros((len(rois), channels) + pooled, dtype)
    argmax = np.full((len(rois), channels) + pooled, -1, np.int32)
    lowest = t(-_FLT_MAX) if dtype != np.float16 else t(-np.inf)  # (-FLT_MAX is -inf in half precision)
    for k, roi in enumerate(rois):
        start_w, start_h, end_w, end_h = (rounded(roi[i] * scale) for i in range(1, 5))
        rows = _bin_edges(start_h, max(end_h - start_h + 1, 1), pooled[0], height, t)
        columns = _bin_edges(start_w, max(end_w - start_w + 1, 1), pooled[1], width, t)
        plane = planes[batch_index(float(roi[0]))].reshape(channels, height, width)
        for p, (top, bottom) in enumerate(rows):
            for q, (left, right) in enumerate(columns):
                if bottom <= top or right <= left:  # an empty bin is 0, and passes no gradient
                    continue
                region = plane[:, top:bottom, left:right].reshape(channels, -1)
                # the first strictly greater value wins, NaN never does
                first = np.argmax(np.where(np.isnan(region), -np.inf, region), axis=1)
                best = region[np.arange(channels), first]
                found = best > lowest
                out[k, :, p, q] = np.where(found, best, lowest)
                span = right - left
                argmax[k, :, p, q] = np.where(found, (top + first // span) * width + left + first % span, -1)
    return out, argmax


class RoIPoolFunction(RoiPoolerNode):
    saved = ("rois", "argmax")
    op_name = "roi_pool"

    def pool(self, planes, rois, height, width, spatial_scale, pooled):
        out, self.argmax = _roi_pool_forward(planes, rois, spatial_scale, pooled, self.dtype, height, width)
        return out

    def input_gradient(self, grad, shape, spatial_scale, pooled):
        # the gradient of each bin goes to its maximum, added roi after roi, channel after channel, bin after bin
        batch_size, channels, height, width = shape
        grad_input = np.zeros((batch_size * channels * height * width,), self.dtype)
        images = np.array([batch_index(float(b)) for b in self.rois[:, 0]], np.int64)
        planes = (images[:, None] * channels + np.arange(channels)[None, :]) * (height * width)
        pooled_somewhere = self.argmax != -1
        np.add.at(grad_input, (planes[:, :, None, None] + self.argmax)[pooled_somewhere], grad[pooled_somewhere])
        return grad_input.reshape(shape)


@roi_pooler_docstring
def roi_pool(input, boxes, output_size, spatial_scale=1.0):
    """RoI Pool (Fast R-CNN): each box's region of ``input`` (its corners rounded to pixels) max-pooled into
    ``output_size`` bins.

    Args:
        input (Tensor[N, C, H, W]): the feature maps (float32, float64 or float16).
        {roi_args}

    Returns:
        Tensor[K, C, output_size[0], output_size[1]]
    """
    rois, output_size = rois_of(boxes, output_size)
    scale, (pooled_height, pooled_width) = checked_kernel_arguments(_DECLARATION, input, rois, spatial_scale,
                                                                    output_size[0], output_size[1])
    geometry, empty = checked_output(input, rois, pooled_height, pooled_width, "roi_pool_forward_kernel")
    if empty is not None:
        return empty
    return RoIPoolFunction.apply(input, rois, spatial_scale=scale, pooled=(pooled_height, pooled_width),
                                 geometry=geometry)


@owns("__init__")
class RoIPool(_RoIModule):
    """:func:`roi_pool` as a module."""

    def forward(self, input, rois):
        return roi_pool(input, rois, self.output_size, self.spatial_scale)
