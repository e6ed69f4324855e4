"""What torchvision's RoI operators share (``torchvision.ops._utils`` and their CPU kernels' checks): the boxes'
shape check, boxes per image made into (batch index, x1, y1, x2, y2) rows, and the checks and messages of the C++
kernels of torchvision 0.29's CPU build. Their messages are given without the "function, source file:line, " that
torchvision's checks start with (it names the build machine's paths), as nms's are; the stable ABI's own errors keep
the paths of its headers, which they end with."""
import math

import numpy as np

from ... import _dtype, nn, zeros_like
from ... import max as maximum_of
from ... import min as minimum_of
from ..._creation import full_like
from ..._doc_templates import filled_docstring
from ..._functions import cat
from ..._tensor import Tensor
from ...autograd.graph import Node
from ...nn.modules.utils import _pair
from ..io._file import check_op_arguments

_STABLE_HEADERS = ("/__w/_temp/conda_environment_36502101335/lib/python3.11/site-packages/torch/include/torch/csrc/"
                   "stable")
_KERNEL_DTYPES = (_dtype.float32, _dtype.float64, _dtype.float16)


def check_roi_boxes_shape(boxes):
    """torchvision's assertion that ``boxes`` is a Tensor[K, 5] or a list of Tensor[L, 4]."""
    if isinstance(boxes, (list, tuple)):
        for tensor in boxes:
            if tensor.size(1) != 4:
                raise AssertionError("The shape of the tensor in the boxes list is not correct as List[Tensor[L, 4]]")
    elif isinstance(boxes, Tensor):
        if boxes.size(1) != 5:
            raise AssertionError("The boxes tensor shape is not correct as Tensor[K, 5]")
    else:
        raise AssertionError("boxes is expected to be a Tensor[L, 5] or a List[Tensor[K, 4]]")


def convert_boxes_to_roi_format(boxes):
    """Boxes per image (a list of Tensor[L, 4]) as one Tensor[K, 5] whose first column is the image's index."""
    concat_boxes = boxes[0] if len(boxes) == 1 else cat(list(boxes), dim=0)
    ids = [full_like(b[:, :1], i) for i, b in enumerate(boxes)]
    return cat([ids[0] if len(ids) == 1 else cat(ids, dim=0), concat_boxes], dim=1)


def rois_of(boxes, output_size):
    """The checked boxes as rois (Tensor[K, 5]) and ``output_size`` as a pair, as torchvision's wrappers make them."""
    check_roi_boxes_shape(boxes)
    output_size = _pair(output_size)
    return (boxes if isinstance(boxes, Tensor) else convert_boxes_to_roi_format(boxes)), output_size


# The Args entries of the RoI poolers (roi_align, roi_pool and their position-sensitive forms), filled into their
# docstrings
roi_pooler_docstring = filled_docstring(
    roi_args="""
        boxes (Tensor[K, 5] or List[Tensor[L, 4]]): (batch index, x1, y1, x2, y2) rows, or (x1, y1, x2, y2) boxes
            per image of the batch; the input's dtype.
        output_size (int or Tuple[int, int]): the bins (height, width).
        spatial_scale (float): the scale from the boxes' coordinates to the input's. Default: 1.0
    """.strip(),
    sampling_ratio="""
        sampling_ratio (int): samples per bin along each axis; <= 0: ``ceil`` of the bin's size. Default: -1
    """.strip(),
)


def checked_kernel_arguments(declaration, input, rois, spatial_scale, *ints_and_flags):
    """The operator's arguments as its C++ kernel receives them: the schema's type check, then the number ones
    converted (a one-element tensor read as its item)."""
    check_op_arguments(declaration, input, rois, spatial_scale, *ints_and_flags)
    kinds = [parameter.split()[0] for parameter in declaration.split("(", 1)[1].split(")")[0].split(", ")][3:]
    converted = [bool(value) if kind == "bool" else int(_item(value)) for kind, value in zip(kinds, ints_and_flags)]
    return float(_item(spatial_scale)), converted


def _item(value):
    return value.item() if isinstance(value, Tensor) else value


def check_kernel_inputs(input, rois):
    """The CPU kernel's checks before it allocates its output: the same dtype, then the sizes of dimensions 1-3.

    Returns (channels, height, width).
    """
    if input.dtype != rois.dtype:
        raise RuntimeError("input should have the same type as rois")
    ndim = input.dim()
    if ndim < 4:
        wording = (f"Dimension specified as {ndim + 1} but tensor has no dimensions" if ndim == 0 else
                   f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {ndim})")
        raise RuntimeError(f"{wording} (originally from aoti_torch_get_size(ath_.get(), dim, &size) API call failed "
                           f"at {_STABLE_HEADERS}/tensor_struct.h, line 371)")
    return tuple(input.shape[1:4])


def position_sensitive_channels(channels, pooled_height, pooled_width):
    """The output channels of the position-sensitive poolers: one group of input channels per bin."""
    bins = pooled_height * pooled_width
    if channels % bins:  # (C++'s remainder is 0 where Python's is; 0 bins: the kernel divides by zero)
        raise RuntimeError("input channels must be a multiple of pooling height * pooling width")
    quotient = abs(channels) // abs(bins)
    return quotient if bins > 0 else -quotient  # C++'s division truncates towards zero


def check_output_size(shape):
    if min(shape) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: {list(shape)} (originally "
                           f"from torch_call_dispatcher( \"aten::new_zeros\", \"\", stack.data(), TORCH_ABI_VERSION) "
                           f"API call failed at {_STABLE_HEADERS}/ops.h, line 997)")


def empty_result(input, shape, kernel):
    """Zeros of ``shape`` for a pooler with nothing to pool, else None once ``input``'s dtype passed ``kernel``'s
    check: torchvision checks the output size, returns an empty result without its kernel, and only then
    dispatches on the dtype."""
    check_output_size(shape)
    if not math.prod(shape):
        return Tensor._wrap(np.zeros(shape, input._data.dtype))
    check_kernel_dtype(kernel, input)
    return None


def checked_output(input, rois, pooled_height, pooled_width, kernel, position_sensitive=False):
    """What a RoI pooler's CPU kernel checks before it pools, in its order (see :func:`check_kernel_inputs` and
    :func:`empty_result`): (the input's (C, H, W), the empty result when there is nothing to pool, else None).
    A ``position_sensitive`` pooler's output has a group of channels per bin."""
    channels, height, width = check_kernel_inputs(input, rois)
    if position_sensitive:
        channels_out = position_sensitive_channels(channels, pooled_height, pooled_width)
    else:
        channels_out = channels
    empty = empty_result(input, (rois.shape[0], channels_out, pooled_height, pooled_width), kernel)
    return (channels, height, width), empty


def check_kernel_dtype(kernel, input):
    if input.dtype not in _KERNEL_DTYPES:
        raise RuntimeError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")


class RoiPoolerNode(Node):
    """The node of a RoI pooler, named as torchvision's (``GeneratedBackwardFor_torchvision_<op>_defaultBackward``):
    a gradient for the input only, from the rois saved; torchvision's backward op has no derivative, so under
    ``create_graph`` the gradient is a constant of the new graph. Subclasses define ``pool(planes, rois, height,
    width, **params)`` (the output; planes are the input's (N, C, H * W)) and ``input_gradient(grad, shape,
    **params)``."""

    saved = ("rois",)
    op_name = None

    def forward(self, input, rois, geometry, **params):
        channels, height, width = geometry
        self.rois, self.params, self.shape, self.dtype = rois, params, input.shape, input.dtype
        return self.pool(feature_planes(input, channels, height, width), np.ascontiguousarray(rois), height, width,
                         **params)

    def backward(self, grad):
        batch_size, channels, height, width = self.shape  # (torchvision unpacks the input's shape so)
        if not grad.size:
            return np.zeros(self.shape, self.dtype), None
        return self.input_gradient(grad, (batch_size, channels, height, width), **self.params), None

    def backward_graph(self, grad):
        gradient, _ = self.backward(grad._data)
        return Tensor._wrap(gradient), None

    def name(self):
        return f"GeneratedBackwardFor_torchvision_{self.op_name}_defaultBackward"


def feature_planes(input, channels, height, width):
    """The input's memory (an array) as the kernel reads it: contiguous (N, C, H * W) planes, whatever dimensions
    follow."""
    data = np.ascontiguousarray(input)
    plane = channels * height * width
    return data.reshape(data.size // plane if plane else 0, channels, height * width)


def batch_index(value):
    # the kernel's int conversion of the roi's first column (truncation towards zero)
    return int(math.trunc(value)) if math.isfinite(value) else 0


def upcast_non_float(t):
    """``t`` as float32 unless it is float32 or float64: the box losses' guard against overflowing products."""
    return t if t.dtype in (_dtype.float32, _dtype.float64) else t.float()


def loss_inter_union(boxes1, boxes2):
    """The intersections and unions of paired (x1, y1, x2, y2) boxes (the same number in both), as the box losses
    compute them: 0 where the boxes do not overlap."""
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    left, top = maximum_of(x1, x1g), maximum_of(y1, y1g)
    right, bottom = minimum_of(x2, x2g), minimum_of(y2, y2g)
    intersection = zeros_like(x1)
    overlapping = (bottom > top) & (right > left)
    intersection[overlapping] = (right[overlapping] - left[overlapping]) * (bottom[overlapping] - top[overlapping])
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intersection
    return intersection, union


# The Args and Returns entries of the box IoU losses (generalized, distance, complete), filled into their docstrings
box_loss_docstring = filled_docstring(
    args="""
        boxes1, boxes2 (Tensor[N, 4] or Tensor[4]): (x1, y1, x2, y2) boxes, ``0 <= x1 < x2``, ``0 <= y1 < y2``.
        reduction (str): ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'none'``
        eps (float): keeps the divisions finite. Default: 1e-7
    """.strip(),
    returns="Tensor: the loss, reduced.",
)


def reduced_loss(loss, reduction, empty_mean_is_zero=True):
    """``loss`` reduced as torchvision's losses reduce: "none", "mean" (of an empty loss 0, kept in the graph, unless
    ``empty_mean_is_zero`` is False: focal loss's mean is NaN then) or "sum"."""
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 or not empty_mean_is_zero else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction modes: 'none', 'mean', "
                     "'sum'")


class _RoIModule(nn.Module):
    """What the modules RoIPool, PSRoIPool, RoIAlign and PSRoIAlign share: ``output_size`` and ``spatial_scale``
    kept as given (the align modules add their own arguments after them), and a repr of the arguments named in
    ``_repr_names``."""

    _repr_names = ("output_size", "spatial_scale")

    def __init__(self, output_size, spatial_scale):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def __repr__(self):
        settings = ", ".join(f"{name}={getattr(self, name)}" for name in self._repr_names)
        return f"{self.__class__.__name__}({settings})"
