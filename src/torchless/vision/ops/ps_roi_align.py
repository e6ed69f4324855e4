"""Position-sensitive RoI Align (Light-Head R-CNN): roi_align where each bin of the output reads its own group of
input channels, with torchvision's CPU kernel's arithmetic in the input's dtype and its gradient."""
import numpy as np

from ._utils import RoiPoolerNode, _RoIModule, checked_kernel_arguments, checked_output, roi_pooler_docstring, rois_of
from .roi_align import RoiGeometry, aligned_backward, bilinear_samples, bin_sums, sample_taps

__all__ = ["ps_roi_align", "PSRoIAlign"]

_DECLARATION = ("torchvision::ps_roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
                "SymInt pooled_width, int sampling_ratio) -> (Tensor, Tensor)")


def _bin_channels(pooled):
    # bin (ph, pw) of output channel c reads input channel (c * ph_count + ph) * pw_count + pw
    return np.arange(pooled[0])[:, None, None, None], np.arange(pooled[1])[None, None, :, None]


@np.errstate(invalid="ignore", over="ignore")  # (inf and NaN features propagate silently)
def _ps_roi_align_forward(planes, rois, scale, pooled, sampling_ratio, dtype, height, width):
    t = dtype.type
    groups = planes.shape[1] // (pooled[0] * pooled[1])
    out = np.zeros((len(rois), groups) + pooled, dtype)
    rows, columns = _bin_channels(pooled)
    for k, roi in enumerate(rois):
        geometry = RoiGeometry(roi, t(scale), pooled, sampling_ratio, True, dtype)
        count = t(geometry.samples())
        if not geometry.has_samples():  # nothing is added: 0 / count (NaN for an empty grid)
            out[k] = t(0) / count
            continue
        taps, inside = sample_taps(geometry, height, width, t)
        plane = planes[geometry.batch].reshape(groups, pooled[0], pooled[1], -1)
        samples = bilinear_samples(lambda positions: plane[:, rows, columns, positions], taps, inside,
                                   zero_outside=True)
        out[k] = bin_sums(samples, pooled, dtype) / count
    return out


def _ps_roi_align_backward(grad, rois, scale, pooled, sampling_ratio, shape, dtype):
    channels, height, width = shape[1:]
    groups = channels // (pooled[0] * pooled[1])
    plane_offsets = np.arange(groups * pooled[0] * pooled[1]).reshape((groups,) + pooled) * (height * width)
    return aligned_backward(grad, rois, scale, pooled, sampling_ratio, True, shape, dtype, plane_offsets)


class PSRoIAlignFunction(RoiPoolerNode):
    op_name = "ps_roi_align"

    def pool(self, planes, rois, height, width, spatial_scale, pooled, sampling_ratio):
        return _ps_roi_align_forward(planes, rois, spatial_scale, pooled, sampling_ratio, self.dtype, height, width)

    def input_gradient(self, grad, shape, spatial_scale, pooled, sampling_ratio):
        return _ps_roi_align_backward(grad, self.rois, spatial_scale, pooled, sampling_ratio, shape, self.dtype)


@roi_pooler_docstring
def ps_roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1):
    """Position-sensitive RoI Align (Light-Head R-CNN): as :func:`roi_align` with ``aligned=True``, but bin (i, j)
    of output channel c averages its samples of input channel (c * output_size[0] + i) * output_size[1] + j.

    Args:
        input (Tensor[N, C, H, W]): the feature maps (float32, float64 or float16), C a multiple of the bins.
        {roi_args}
        {sampling_ratio}

    Returns:
        Tensor[K, C / (output_size[0] * output_size[1]), output_size[0], output_size[1]]
    """
    rois, output_size = rois_of(boxes, output_size)
    scale, (pooled_height, pooled_width, sampling_ratio) = checked_kernel_arguments(
        _DECLARATION, input, rois, spatial_scale, output_size[0], output_size[1], sampling_ratio)
    geometry, empty = checked_output(input, rois, pooled_height, pooled_width, "ps_roi_align_forward_kernel",
                                     position_sensitive=True)
    if empty is not None:
        return empty
    return PSRoIAlignFunction.apply(input, rois, spatial_scale=scale, pooled=(pooled_height, pooled_width),
                                    sampling_ratio=sampling_ratio, geometry=geometry)


class PSRoIAlign(_RoIModule):
    """:func:`ps_roi_align` as a module."""

    _repr_names = ("output_size", "spatial_scale", "sampling_ratio")

    def __init__(self, output_size, spatial_scale, sampling_ratio):
        super().__init__(output_size, spatial_scale)
        self.sampling_ratio = sampling_ratio

    def forward(self, input, rois):
        return ps_roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio)
