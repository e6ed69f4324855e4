"""Deformable convolution (`Deformable ConvNets <https://arxiv.org/abs/1703.06211>`_, and with a mask `v2
<https://arxiv.org/abs/1811.11168>`_): a convolution whose kernel taps read the input at learned fractional offsets
from their usual places, by bilinear sampling, each tap's sample scaled by a learned mask in v2.

It follows torchvision's CPU kernel: its sampling rules (a point on or beyond the row or column -1 or the map's size
reads 0; a pixel outside the map reads 0), its arithmetic in the input's dtype in the kernel's order, its gradients for
the input, offsets, mask, weight and bias (each with the kernel's own border rules), and its argument checks. The
kernel's check messages are given without the "function, source file:line, " they start with (as roi_align's)."""
import math

import numpy as np

from ... import empty, nn, zeros
from ..._tensor import Tensor
from ..._type_promotion import promote
from ...autograd._graph_backward import gradients_without_derivative
from ...autograd.graph import Node
from ...nn import init
from ...nn.modules.utils import _pair
from ..io._file import check_op_arguments
from ._utils import _STABLE_HEADERS, _item, check_kernel_dtype

__all__ = ["deform_conv2d", "DeformConv2d"]

_DECLARATION = ("torchvision::deform_conv2d(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, "
                "SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, SymInt dilation_w, "
                "SymInt groups, SymInt offset_groups, bool use_mask) -> Tensor")
_INT_MIN, _INT_MAX = -2 ** 31, 2 ** 31 - 1
_SCALAR_TYPES = {"float16": "Half", "float32": "Float", "float64": "Double"}


class Geometry:
    """The convolution's integer arguments: ``kernel``, ``stride``, ``padding``, ``dilation`` as (h, w) pairs,
    the ``groups`` of the weight, the ``offset_groups`` (channels sharing one set of offsets and mask), whether a
    ``mask`` is used, and the ``out_size``."""

    def __init__(self, kernel, stride, padding, dilation, groups, offset_groups, use_mask, out_size):
        self.kernel, self.stride, self.padding, self.dilation = kernel, stride, padding, dilation
        self.groups, self.offset_groups, self.use_mask, self.out_size = groups, offset_groups, use_mask, out_size

    @property
    def taps(self):
        return self.kernel[0] * self.kernel[1]

    @property
    def positions(self):
        return self.out_size[0] * self.out_size[1]

    def sampling_points(self, offset):
        """Where each tap k = i * kw + j of each output position p = oy * ow + ox of one image reads its input,
        (offset groups, K, P) ys and xs in the offsets' dtype: ``(o * stride - pad) + i * dilation + offset``, the
        integer part converted to the dtype and then added, as the kernel does."""
        pairs = offset.reshape(self.offset_groups, self.taps, 2, self.positions)
        t = offset.dtype.type
        ys, xs = (self._grid(axis).astype(t) + pairs[:, :, axis] for axis in (0, 1))
        return ys, xs

    def _grid(self, axis):
        # the undeformed tap positions (K, P) along one axis
        starts = np.arange(self.out_size[axis]) * self.stride[axis] - self.padding[axis]
        grid = starts[None, :] + (np.arange(self.kernel[axis]) * self.dilation[axis])[:, None]  # (k along, o along)
        kh, kw = self.kernel
        oh, ow = self.out_size
        shaped = grid[:, None, :, None] if axis == 0 else grid[None, :, None, :]
        return np.broadcast_to(shaped, (kh, kw, oh, ow)).reshape(kh * kw, oh * ow)


class AxisTaps:
    """The two pixels a sampling coordinate falls between along one axis: ``low`` (C++'s ``int(floor(c))``, INT_MIN
    where that conversion fails, as x86's does), ``frac`` (c - low in the dtype), whether each is a pixel of the map
    and whether the coordinate is inside (-1, size), where the forward's sample is not 0."""

    @np.errstate(invalid="ignore", over="ignore")
    def __init__(self, coords, size):
        t = coords.dtype.type
        floored = np.floor(coords.astype(np.float64))
        self.coords, self.t = coords, t
        self.low = np.where((floored >= _INT_MIN) & (floored <= _INT_MAX), floored, _INT_MIN).astype(np.int64)
        self.frac = coords - self.low.astype(t)
        self.low_valid = (self.low >= 0) & (self.low < size)
        self.high_valid = (self.low >= -1) & (self.low < size - 1)
        self.inside = (coords > -1) & (coords < size)

    def ends(self):
        """(pixel, valid) of the low and the high end."""
        return (self.low, self.low_valid), (self.low + 1, self.high_valid)

    @np.errstate(invalid="ignore", over="ignore")
    def spread_weights(self):
        """The input gradient's weights of the low and high pixel, ``1 - |c - pixel|`` where ``|c - pixel| < 1``
        (else 0), as the kernel's col2im computes them (not quite the forward's ``1 - frac`` and ``frac``)."""
        one, zero = self.t(1), self.t(0)
        weights = []
        for pixel, valid in self.ends():
            distance = np.abs(self.coords - pixel.astype(self.t))
            weights.append(np.where(valid & (distance < one), one - distance, zero))
        return weights


class Samples:
    """The bilinear samples of one image at its sampling points: the four corner pixels of each point, for every
    channel (offset groups, channels per group, K, P), 0 where the pixel is outside the map, as the kernel reads
    them."""

    @np.errstate(invalid="ignore", over="ignore")
    def __init__(self, image, ys, xs, height, width):
        groups = ys.shape[0]
        planes = image.reshape(groups, image.shape[0] // groups, 1, height * width)
        self.y, self.x = AxisTaps(ys, height), AxisTaps(xs, width)
        self.t = image.dtype.type
        self.corners = []
        shape = (groups, planes.shape[1]) + ys.shape[1:]
        for y_pixel, y_valid in self.y.ends():
            for x_pixel, x_valid in self.x.ends():
                valid = (y_valid & x_valid)[:, None]
                if not planes.size:  # (an empty map: every pixel is outside)
                    self.corners.append(np.zeros(shape, image.dtype))
                    continue
                flat = np.where(valid, y_pixel[:, None] * width + x_pixel[:, None], 0).reshape(groups, 1, 1, -1)
                values = np.take_along_axis(planes, flat, axis=3).reshape(shape)
                self.corners.append(np.where(valid, values, self.t(0)))

    @np.errstate(invalid="ignore", over="ignore")
    def bilinear(self):
        """The forward's samples (G, C / G, K, P): w1 * v1 + w2 * v2 + w3 * v3 + w4 * v4 in the dtype, 0 for a point
        outside (-1, size) on either axis."""
        one = self.t(1)
        ly, lx = self.y.frac[:, None], self.x.frac[:, None]
        hy, hx = one - ly, one - lx
        v1, v2, v3, v4 = self.corners
        value = (hy * hx) * v1 + (hy * lx) * v2 + (ly * hx) * v3 + (ly * lx) * v4
        return np.where((self.y.inside & self.x.inside)[:, None], value, self.t(0))

    @np.errstate(invalid="ignore", over="ignore")
    def coordinate_weights(self):
        """The derivatives of the samples with respect to the y and the x coordinate (G, C / G, K, P), as the
        kernel's get_coordinate_weight computes them: from the corners alone, without the forward's cut at -1 and
        the map's size."""
        one = self.t(1)
        dy, dx = self.y.frac[:, None], self.x.frac[:, None]
        v_yx, v_yX, v_Yx, v_YX = self.corners
        along_y = dx * (v_YX - v_yX) + (one - dx) * (v_Yx - v_yx)
        along_x = dy * (v_YX - v_Yx) + (one - dy) * (v_yX - v_yx)
        return along_y, along_x


def _groups_of(array, groups):
    # (C, ...) as (groups, C / groups, ...)
    return array.reshape((groups, array.shape[0] // groups) + array.shape[1:])


def _weight_groups(weight, groups):
    # (groups, out channels per group, in channels per group * K)
    out_channels, group_channels, kh, kw = weight.shape
    return weight.reshape(groups, out_channels // groups, group_channels * kh * kw)


def _matmul(a, b, dtype):
    """a @ b in ``dtype``; float16 through float32, as PyTorch's CPU GEMM accumulates half precision."""
    if dtype == np.float16:
        return np.matmul(a.astype(np.float32), b.astype(np.float32)).astype(dtype)
    return np.matmul(a, b)


def _image_masks(mask, n, geometry):
    # one image's masks (offset groups, K, P), or None without a mask
    return mask[n].reshape(geometry.offset_groups, geometry.taps, geometry.positions) if geometry.use_mask else None


def deform_conv2d_forward(input, weight, offset, mask, bias, geometry):
    """The deformable convolution of arrays: each image's columns (its samples, times the mask) multiplied by the
    weight of each group, then the bias added (PyTorch's promotion of the two dtypes)."""
    batch, channels, height, width = input.shape
    out_channels = weight.shape[0]
    if not batch:
        return np.zeros((0, out_channels) + geometry.out_size, input.dtype)
    weights = _weight_groups(weight, geometry.groups)
    out = np.empty((batch, geometry.groups, out_channels // geometry.groups, geometry.positions), input.dtype)
    for n in range(batch):
        ys, xs = geometry.sampling_points(offset[n])
        columns = Samples(input[n], ys, xs, height, width).bilinear()
        masks = _image_masks(mask, n, geometry)
        if masks is not None:
            with np.errstate(invalid="ignore", over="ignore"):
                columns = masks[:, None] * columns
        out[n] = _matmul(weights, columns.reshape(geometry.groups, -1, geometry.positions), input.dtype)
    # (the kernel adds the bias as a tensor op: PyTorch's promotion, int bias and float maps giving floats)
    result = promote(input.dtype, bias.dtype)
    return out.reshape((batch, out_channels) + geometry.out_size).astype(result, copy=False) + \
        bias.reshape(1, -1, 1, 1).astype(result, copy=False)


@np.errstate(invalid="ignore", over="ignore")
def deform_conv2d_backward(grad, input, weight, offset, mask, bias_dtype, geometry, needs):
    """The gradients (input, weight, offset, mask, bias) of the kernel for ``grad``: each image's column gradients
    (the weight's transpose times grad) spread to the input's pixels, to the offsets through the coordinate
    weights and to the mask through the samples; the weight's from the columns, the bias's the sum of ``grad``.
    ``needs``: which gradients to compute (the others are None)."""
    batch, channels, height, width = input.shape
    groups, offset_groups = geometry.groups, geometry.offset_groups
    weights = _weight_groups(weight, groups)
    grad_groups = grad.reshape(batch, groups, weight.shape[0] // groups, geometry.positions)
    grad_input = np.zeros(input.shape, np.float64) if needs[0] else None
    grad_weight = np.zeros(weights.shape, np.float64) if needs[1] else None
    grad_offset = np.zeros(offset.shape, input.dtype) if needs[2] else None
    grad_mask = np.zeros(mask.shape, input.dtype) if needs[3] else None
    for n in range(batch):
        ys, xs = geometry.sampling_points(offset[n])
        samples = Samples(input[n], ys, xs, height, width)
        masks = _image_masks(mask, n, geometry)
        if any(needs[:4]):
            column_grads = _matmul(weights.transpose(0, 2, 1), grad_groups[n], input.dtype)
            column_grads = _groups_of(column_grads.reshape(channels, geometry.taps, geometry.positions),
                                      offset_groups)
        if needs[0]:
            grad_input[n] = _spread_to_pixels(column_grads, samples, masks, height, width)
        if needs[2]:
            along = samples.coordinate_weights()
            masked = along if masks is None else [masks[:, None] * weights_ for weights_ in along]
            pairs = np.stack([(w * column_grads).sum(axis=1, dtype=input.dtype) for w in masked], axis=2)
            grad_offset[n] = pairs.reshape(offset.shape[1:])
        if needs[1] or needs[3]:
            values = samples.bilinear()
        if needs[3] and geometry.use_mask:
            grad_mask[n] = (column_grads * values).sum(axis=1, dtype=input.dtype).reshape(mask.shape[1:])
        if needs[1]:
            columns = values if masks is None else masks[:, None] * values
            columns = columns.reshape(groups, -1, geometry.positions)
            grad_weight += _matmul(grad_groups[n], columns.transpose(0, 2, 1), input.dtype)
    return (None if grad_input is None else grad_input.astype(input.dtype),
            None if grad_weight is None else grad_weight.astype(input.dtype).reshape(weight.shape),
            grad_offset, grad_mask,
            grad.sum(axis=(0, 2, 3)).astype(bias_dtype) if needs[4] else None)


def _spread_to_pixels(column_grads, samples, masks, height, width):
    """One image's input gradient (C, H, W): each sample's column gradient times the mask and the col2im weight of
    each of its (up to) four pixels, added up per pixel."""
    groups, per_group = column_grads.shape[:2]
    plane_starts = (np.arange(groups * per_group) * (height * width)).reshape(groups, per_group, 1, 1)
    total = np.zeros(groups * per_group * height * width, np.float64)
    for (y_pixel, _), y_weight in zip(samples.y.ends(), samples.y.spread_weights()):
        for (x_pixel, _), x_weight in zip(samples.x.ends(), samples.x.spread_weights()):
            weight = y_weight * x_weight
            contributes = (y_weight != 0) & (x_weight != 0)  # (a weight is 0 only outside its pixel's reach)
            if masks is not None:
                weight = masks * weight
            position = np.where(contributes, y_pixel * width + x_pixel, 0)[:, None]
            values = weight[:, None] * column_grads
            keep = np.broadcast_to(contributes[:, None], values.shape)
            indices = np.broadcast_to(plane_starts + position, values.shape)
            total += np.bincount(indices[keep], weights=values[keep].astype(np.float64), minlength=total.size)
    return total.reshape(groups * per_group, height, width)


class DeformConv2dFunction(Node):
    """The node of deform_conv2d, named as torchvision's; its backward op has no derivative: gradients computed
    under ``create_graph`` are recorded, and differentiating them raises torchvision's error."""

    saved = ("input", "weight", "offset", "mask", "bias")

    def forward(self, input, weight, offset, mask, bias, geometry=None):
        self.input, self.weight, self.offset, self.mask, self.bias = input, weight, offset, mask, bias
        self.geometry = geometry
        return deform_conv2d_forward(input, weight, offset, mask, bias, geometry)

    def backward(self, grad):
        grads = deform_conv2d_backward(grad, self.input, self.weight, self.offset, self.mask, self.bias.dtype,
                                       self.geometry, self.needs_input_grad)
        return tuple(g if need else None for g, need in zip(grads, self.needs_input_grad))

    def backward_graph(self, grad):
        return gradients_without_derivative(
            self, grad, (RuntimeError, "double backwards on deform_conv2d not supported"),
            name="GeneratedBackwardFor_torchvision__deform_conv2d_backward_defaultBackward")

    def name(self):
        return "GeneratedBackwardFor_torchvision_deform_conv2d_defaultBackward"


def deform_conv2d(input, offset, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), mask=None):
    """Deformable convolution v2 (`Deformable ConvNets v2 <https://arxiv.org/abs/1811.11168>`_) with a ``mask``,
    v1 (`Deformable Convolutional Networks <https://arxiv.org/abs/1703.06211>`_) without: each kernel tap reads
    the input by bilinear sampling at its place shifted by its ``offset`` (and scaled by its ``mask``).

    Args:
        input (Tensor[batch_size, in_channels, in_height, in_width]): the input (float32, float64 or float16).
        offset (Tensor[batch_size, 2 * offset_groups * kernel_height * kernel_width, out_height, out_width]): the
            (y, x) shift of each tap of each output position; ``offset_groups`` groups of input channels share one.
        weight (Tensor[out_channels, in_channels // groups, kernel_height, kernel_width]): the convolution's
            weights, in groups of ``in_channels // groups`` input channels.
        bias (Tensor[out_channels], optional): Default: None
        stride (int or Tuple[int, int]): Default: 1
        padding (int or Tuple[int, int]): zeros around each image. Default: 0
        dilation (int or Tuple[int, int]): the spacing of the kernel's taps. Default: 1
        mask (Tensor[batch_size, offset_groups * kernel_height * kernel_width, out_height, out_width], optional):
            the factor of each tap of each output position. Default: None

    Returns:
        Tensor[batch_size, out_channels, out_height, out_width]
    """
    out_channels = weight.shape[0]
    use_mask = mask is not None
    if mask is None:
        mask = zeros((input.shape[0], 1), device=input.device, dtype=input.dtype)
    if bias is None:
        bias = zeros(out_channels, device=input.device, dtype=input.dtype)
    stride_h, stride_w = _pair(stride)
    pad_h, pad_w = _pair(padding)
    dil_h, dil_w = _pair(dilation)
    weights_h, weights_w = weight.shape[-2:]
    _, n_in_channels, _, _ = input.shape
    n_offset_grps = offset.shape[1] // (2 * weights_h * weights_w)
    n_weight_grps = n_in_channels // weight.shape[1]
    if n_offset_grps == 0:
        raise RuntimeError("the shape of the offset tensor at dimension 1 is not valid. It should be a multiple of 2 * "
                           f"weight.size[2] * weight.size[3].\nGot offset.shape[1]={offset.shape[1]}, while 2 * "
                           f"weight.size[2] * weight.size[3]={2 * weights_h * weights_w}")
    arguments = (stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, n_weight_grps, n_offset_grps)
    check_op_arguments(_DECLARATION, input, weight, offset, mask, bias, *arguments, use_mask)
    stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, n_weight_grps, n_offset_grps = (int(_item(a)) for a in arguments)
    geometry = Geometry(tuple(weight.shape[2:4]) if weight.dim() == 4 else None, (stride_h, stride_w),
                        (pad_h, pad_w), (dil_h, dil_w), n_weight_grps, n_offset_grps, use_mask, None)
    _check_shapes(input, weight, offset, mask, geometry)
    if input.shape[0]:  # (an empty batch is not read: zeros of the input's dtype, without the bias)
        _check_dtypes(input, weight, offset, mask, bias)
    return DeformConv2dFunction.apply(input, weight, offset, mask, bias, geometry=geometry)


def _check_shapes(input, weight, offset, mask, geometry):
    """The kernel's checks of the shapes and the integer arguments, in its order; sets ``geometry.out_size``."""
    if offset.dim() != 4 or (geometry.use_mask and mask.dim() != 4) or weight.dim() != 4:
        raise RuntimeError("")
    (in_h, in_w), (kernel_h, kernel_w) = input.shape[2:], geometry.kernel
    out_h, out_w = (_output_length(length, pad, dilation, kernel, stride) for length, pad, dilation, kernel, stride
                    in zip((in_h, in_w), geometry.padding, geometry.dilation, geometry.kernel, geometry.stride))
    for name, (h, w), valid in (("stride", geometry.stride, min(geometry.stride) > 0),
                                ("pad", geometry.padding, min(geometry.padding) >= 0),
                                ("dilation", geometry.dilation, min(geometry.dilation) > 0)):
        if not valid:
            raise RuntimeError(f"{name}_h: {h} {name}_w: {w}")
    groups, offset_groups, taps = geometry.groups, geometry.offset_groups, kernel_h * kernel_w
    if weight.shape[1] * groups != input.shape[1] or not groups or weight.shape[0] % groups:
        raise RuntimeError("")  # (0 groups: the kernel divides by zero)
    _check_channels("offset", offset, offset_groups * 2 * taps)
    if geometry.use_mask:
        _check_channels("mask", mask, offset_groups * taps)
    if input.shape[1] % offset_groups:
        raise RuntimeError("")
    _check_batch_and_size("offset", offset, input, out_h, out_w, True)
    _check_batch_and_size("mask", mask, input, out_h, out_w, geometry.use_mask)
    if out_h <= 0 or out_w <= 0:
        raise RuntimeError(f"Calculated output size too small - out_h: {out_h} out_w: {out_w}")
    geometry.out_size = (out_h, out_w)


def _output_length(length, pad, dilation, kernel, stride):
    # C++'s int division (truncating towards zero); a zero stride, which crashes the kernel, is refused after
    numerator = length + 2 * pad - (dilation * (kernel - 1) + 1)
    return int(numerator / stride) + 1 if stride else 0


def _check_channels(name, tensor, expected):
    if tensor.shape[1] != expected:
        raise RuntimeError(f"{name}.shape[1] is not valid: got: {tensor.shape[1]} expected: {expected}")


def _check_batch_and_size(name, tensor, input, out_h, out_w, check_size):
    if tensor.shape[0] != input.shape[0]:
        raise RuntimeError(f"invalid batch size of {name}")
    if check_size and (tensor.shape[2] != out_h or tensor.shape[3] != out_w):
        raise RuntimeError(f"{name} output dims: ({tensor.shape[2]}, {tensor.shape[3]}) - computed output dims: "
                           f"({out_h}, {out_w})")


def _check_dtypes(input, weight, offset, mask, bias):
    """The kernel's dtype checks, as it meets them: the input's dtype dispatched on, the offsets and mask read as
    it, the weight multiplied with the columns, the bias viewed as (1, out_channels, 1, 1)."""
    check_kernel_dtype("deformable_im2col", input)
    for tensor in (offset, mask):
        if tensor.dtype != input.dtype:
            raise RuntimeError(f"expected scalar type torch::headeronly::ScalarType::{_scalar_type(input)} but found "
                               f"{_scalar_type(tensor)}")
    if weight.dtype != input.dtype:
        raise RuntimeError("torch_call_dispatcher( \"aten::mm\", \"out\", stack.data(), TORCH_ABI_VERSION) API call "
                           "failed at /__w/vision/vision/pytorch/vision/torchvision/csrc/ops/cpu/../StableABICompat.h, line 88")
    if bias.numel() != weight.shape[0]:
        raise RuntimeError(f"shape '[1, {weight.shape[0]}, 1, 1]' is invalid for input of size {bias.numel()} "
                           f"(originally from torch_call_dispatcher(\"aten::view\", \"\", stack.data(), "
                           f"TORCH_ABI_VERSION) API call failed at {_STABLE_HEADERS}/ops.h, line 675)")


def _scalar_type(tensor):
    return tensor.dtype.scalar_name


class DeformConv2d(nn.Module):
    """:func:`deform_conv2d` as a module, holding the weight (and bias); the offsets (and mask) are arguments of
    ``forward``, usually computed from the input by a plain convolution.

    Args:
        in_channels (int), out_channels (int): both divisible by ``groups``.
        kernel_size (int or Tuple[int, int]).
        stride, padding, dilation (int or Tuple[int, int]): Default: 1, 0, 1
        groups (int): Default: 1
        bias (bool): Default: True
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True):
        super().__init__()
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        self.dilation = _pair(dilation)
        self.groups = groups
        self.weight = nn.Parameter(empty(out_channels, in_channels // groups, *self.kernel_size))
        if bias:
            self.bias = nn.Parameter(empty(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Conv2d's initialisation: Kaiming-uniform weights, the bias uniform in +-1 / sqrt(fan_in)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input, offset, mask=None):
        return deform_conv2d(input, offset, self.weight, self.bias, stride=self.stride, padding=self.padding,
                             dilation=self.dilation, mask=mask)

    def __repr__(self):
        text = (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        text += f", padding={self.padding}" if self.padding != (0, 0) else ""
        text += f", dilation={self.dilation}" if self.dilation != (1, 1) else ""
        text += f", groups={self.groups}" if self.groups != 1 else ""
        text += ", bias=False" if self.bias is None else ""
        return text + ")"
