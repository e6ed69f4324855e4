"""Convolutions: conv1d, conv2d, conv3d and their transposes, their checks and their gradients.

The argument checks follow the path a call takes through PyTorch (``conv2d`` -> ``_convolution`` ->
``check_shape_forward`` -> a CPU backend), in the same order, so a bad call fails with the message
PyTorch gives. The array work is done by ``torchless._kernels.conv`` on NCHW arrays and by
``torchless._kernels.conv3d`` on NCDHW ones; 1-D convolutions run as 2-D ones over a height of 1, as
in PyTorch.
"""
import functools
import math
import warnings
from typing import Callable, NamedTuple

import numpy as np

from ... import _cpu_features as cpu_features
from ... import _memory_format
from ..._kernels import conv as kernels
from ..._kernels import conv3d as kernels3d
from ..._ops.shape import ConstantPad
from ..._tensor import Tensor, _category, _promote, result_dtype
from ...autograd.graph import Node, records
from ...autograd.saved_values import SavedInput
from ._args import CheckedCalls, Param, _numpy_name, call_key, native
from .padding import ConstantPadNd

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]


# ---------------------------------------------------------------------------- autograd
class _Kernels(NamedTuple):
    """The array kernels of one spatial rank, with the signatures of ``torchless._kernels.conv``'s."""

    forward: Callable
    backward: Callable
    backward_input: Callable
    backward_weight: Callable


_KERNELS = {  # by the rank of the (batched) arrays
    4: _Kernels(kernels.conv2d_forward, kernels.conv2d_backward, kernels.conv2d_backward_input,
                kernels.conv2d_backward_weight),
    5: _Kernels(kernels3d.conv3d_forward, kernels3d.conv3d_backward, kernels3d.conv3d_backward_input,
                kernels3d.conv3d_backward_weight),
}


def _as_4d(array):
    """View an (N, C, L) array as (N, C, 1, L); 4-D and 5-D arrays pass through."""
    return array[:, :, None, :] if array.ndim == 3 else array


def _like(array4d, ndim):
    return array4d[:, :, 0, :] if ndim == 3 else array4d


def _spatial(node, values):
    """A convolution's per-axis arguments (given for 2-D or 3-D) for its input's own spatial axes."""
    return tuple(values[2 - node.ndim:])


def _per_channel(values, ndim):
    """A (C,) array shaped to broadcast over the channels of an (N, C, ...) array of rank ndim."""
    return values.reshape((1, -1) + (1,) * (ndim - 2))


def _output_format(x, w, groups, transposed=False, stride=(), output_padding=()):
    """The channels-last format PyTorch gives a convolution's output (and gradients) for these input and weight
    arrays, else None (C order): the one they suggest, except for the volumes PyTorch convolves with its slow 3-D
    kernels, whose outputs are contiguous: those its backend selection keeps from oneDNN (see _uses_mkldnn: float64
    ones, float32 ones of a batch of one with one group and a small kernel and input)."""
    if x.ndim == 5 and not _uses_mkldnn(x.shape, w.shape, x.dtype, stride, transposed, output_padding, groups):
        return None
    return _memory_format.output_format(x, w)


def _in_output_format(y, x, w, *args):
    """``y``, a new convolution result, laid out as PyTorch's (see _output_format, which takes ``args``)."""
    format_ = _output_format(x, w, *args)
    return np.ascontiguousarray(y) if format_ is None else _memory_format.in_format(y, format_)


def _layout(x, w, *args):
    """_output_format of a convolution's own input and weight arrays. PyTorch runs a 1-D convolution by its 2-D
    kernel on the ``unsqueeze(2)`` of its weight and of its input made contiguous (a no-op on a contiguous input,
    whose size-1 dims keep their strides): channels-last then for a weight whose channels are its innermost dim
    (a transposed one), or such a single-channel input; the 4-D output and gradients are laid out so before the
    height is dropped."""
    if x.ndim == 3:
        seen = (w,) if not x.flags.c_contiguous else (x, w)
        return _memory_format.output_format(*(_memory_format.unsqueezed_view(a, 2) for a in seen))
    return _output_format(x, w, *args)


def _in_layout(array4d, layout, ndim):
    """A gradient or output of the kernels (4-D for a 1-D convolution) in ``layout`` (see _layout), at rank ndim."""
    if array4d is None:
        return None
    return _like(array4d if layout is None else _memory_format.in_format(array4d, layout), ndim)


class Convolution(Node):
    """y = x ⋆ w + b (cross-correlation, as PyTorch) for NCL, NCHW or NCDHW arrays; padding is one
    (before, after) pair per spatial dimension (top and bottom, then left and right, depth first in 3-D)."""
    backward_is_one_op = True
    backward_inputs = (0, 1)  # convolution_backward's input and weight (not the bias)

    saved = ("x", "w")
    layout = None  # the channels-last format of the output and gradients, when the input or weight has it
    kernel_table = _KERNELS  # by the rank of the (batched) arrays
    torch_saved = {
        "input": SavedInput(0, lambda node: _like(node.x, node.ndim)),
        "weight": SavedInput(1, lambda node: _like(node.w, node.ndim)),
        "bias_sym_sizes_opt": lambda node: (node.w.shape[0] if node.bias_dtype is not None else 0,),
        "stride": lambda node: _spatial(node, node.args[0]),
        # PyTorch pads the input itself where padding='same' needs more after than before
        "padding": lambda node: tuple(min(pair) for pair in _spatial(node, node.args[1])),
        "dilation": lambda node: _spatial(node, node.args[2]),
        "groups": lambda node: node.args[3],
        "transposed": lambda node: False,
        "output_padding": lambda node: (0,) * (node.ndim - 2),
    }

    def forward(self, x, w, b, stride=None, padding=None, dilation=None, groups=1):
        self.ndim, self.bias_dtype = x.ndim, None if b is None else b.dtype
        self.x, self.w = _as_4d(x), _as_4d(w)
        self.kernels = self.kernel_table[self.x.ndim]
        self.args = stride, padding, dilation, groups
        y = self.kernels.forward(self.x, self.w, *self.args, bias=b).astype(x.dtype, copy=False)
        if not (x.flags.c_contiguous and x.strides[1] != x.itemsize and w.flags.c_contiguous
                and w.strides[1] != w.itemsize):  # (inline: _memory_format.may_suggest_...)
            # PyTorch's: channels-last output and gradients when the input or weight is
            self.layout = _layout(x, w, groups)
            if self.layout is not None:
                y = _memory_format.in_format(y, self.layout)
        return _like(y, self.ndim)

    def backward(self, grad):
        gy = _as_4d(grad)
        gx = gw = gb = None
        if self.needs_input_grad[0] or self.needs_input_grad[1]:
            gx, gw = self.kernels.backward(gy, self.x, self.w, *self.args, input_grad=self.needs_input_grad[0],
                                           weight_grad=self.needs_input_grad[1])
            gx, gw = _in_layout(gx, self.layout, self.ndim), _in_layout(gw, self.layout, self.ndim)
        if self.needs_input_grad[2]:
            # Over the batch first, then each channel's contiguous plane: twice as fast as one
            # reduction over (0, 2, 3) (64x10x14x14: 26 vs 60 us).
            gb = gy.sum(axis=0).sum(axis=tuple(range(1, gy.ndim - 1))).astype(self.bias_dtype, copy=False)
        return gx, gw, gb

    def backward_graph(self, grad):
        stride, padding, dilation, groups = self.args
        gy = grad.unsqueeze(2) if self.ndim == 3 else grad
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            # The input's gradient is the transposed convolution of the output's, cut to the input's size.
            w = self.graph_input(1, _like(self.w, self.ndim))
            in_hw, out_hw, kernel = self.x.shape[2:], gy._data.shape[2:], self.w.shape[2:]
            output_padding = tuple(n - ((m - 1) * s - 2 * p + d * (k - 1) + 1)
                                   for n, m, s, (p, _), d, k in zip(in_hw, out_hw, stride, padding, dilation, kernel))
            gx = TransposedConvolution.apply(gy, w.unsqueeze(2) if self.ndim == 3 else w, None, stride=stride,
                                             padding=padding, dilation=dilation, groups=groups,
                                             output_padding=output_padding)
            gx = _graph_gradient_in_layout(gx, self.layout)
            gx = gx.squeeze(2) if self.ndim == 3 else gx
        if self.needs_input_grad[1]:
            gw = self._weight_gradient(gy, stride, padding, dilation, groups)
        if self.needs_input_grad[2]:
            gb = gy.sum(dim=(0, *range(2, gy._data.ndim)))._cast(self.bias_dtype)
        return gx, gw, gb

    def _weight_gradient(self, gy, stride, padding, dilation, groups):
        x = self.graph_input(0, _like(self.x, self.ndim))
        x = x.unsqueeze(2) if self.ndim == 3 else x
        gw = _weight_gradient_tensor(x, gy, self.w.shape[2:], stride, padding, dilation, groups)
        gw = _graph_gradient_in_layout(gw, self.layout)
        return gw.squeeze(2) if self.ndim == 3 else gw


def _graph_gradient_in_layout(gradient, layout):
    """A 4-D or 5-D gradient of backward_graph laid out as backward's (see _in_layout), as PyTorch's
    convolution_backward writes it also when it records a graph: the transposes of _weight_gradient_tensor
    leave the weight's permuted, the convolutions giving the input's follow the output gradient's layout."""
    return gradient.contiguous(memory_format=layout or _memory_format.contiguous_format)


def _weight_gradient_tensor(x, gy, kernel, stride, padding, dilation, groups):
    """The gradient of a convolution's weight as a tensor of the graph, from its input ``x`` and its output's
    gradient ``gy`` (4-D or 5-D tensors): a convolution of the input, its channels of each group taken as a
    batch, by the output's gradient, its batch taken as channels (the forward's stride becomes the dilation and
    its dilation the stride), cut to the kernel's size."""
    (n, c), hw = x._data.shape[:2], x._data.shape[2:]
    spatial = tuple(range(3, 3 + len(hw)))
    batch = x.reshape(n, groups, c // groups, *hw).permute(2, 1, 0, *spatial).reshape(c // groups, groups * n, *hw)
    full = Convolution.apply(batch, gy.transpose(0, 1), None, stride=dilation, padding=padding, dilation=stride,
                             groups=groups)
    return full.transpose(0, 1)[(Ellipsis, *(slice(0, k) for k in kernel))]


class TransposedConvolution(Node):
    """y = conv_transpose(x, w) + b: the adjoint of Convolution with respect to its input.

    The kernels describe a convolution by its input size; an output_padding of at least the stride
    (allowed below the dilation), or a negative one (oneDNN's output for a zero dilation, see
    _onednn_deconvolution), gives an output no convolution of x's size maps back to. Such outputs
    are computed uncropped and unpadded, then cropped and padded with zeros.
    """
    backward_is_one_op = True
    backward_inputs = (0, 1)

    saved = ("x", "w")
    layout = None  # as Convolution's
    kernel_table = _KERNELS
    torch_saved = {
        **Convolution.torch_saved,
        "bias_sym_sizes_opt": lambda node: (node.w.shape[1] * node.groups if node.bias_dtype is not None else 0,),
        "stride": lambda node: _spatial(node, node.stride),
        "padding": lambda node: tuple(min(pair) for pair in _spatial(node, node.padding)),
        "dilation": lambda node: _spatial(node, node.dilation),
        "groups": lambda node: node.groups,
        "transposed": lambda node: True,
        "output_padding": lambda node: _spatial(node, node.output_padding()),
    }

    def output_padding(self):
        """The output_padding of the call, read back from the output's size."""
        return tuple(out - ((n - 1) * s - 2 * p + d * (k - 1) + 1) for out, n, s, (p, _), d, k in
                     zip(self.out_hw, self.x.shape[2:], self.stride, self.padding, self.dilation, self.w.shape[2:]))

    def forward(self, x, w, b, stride=None, padding=None, dilation=None, groups=1, output_padding=None):
        self.ndim, self.bias_dtype = x.ndim, None if b is None else b.dtype
        self.x, self.w = _as_4d(x), _as_4d(w)
        self.kernels = self.kernel_table[self.x.ndim]
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        in_hw, kernel = self.x.shape[2:], self.w.shape[2:]
        self.out_hw = tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1
                            for n, s, (p, _), d, k, op in zip(in_hw, stride, padding, dilation, kernel, output_padding))
        self.full_hw = None
        if any(op >= s or op < 0 for op, s in zip(output_padding, stride)):
            self.full_hw = tuple((n - 1) * s + d * (k - 1) + 1 for n, s, d, k in zip(in_hw, stride, dilation, kernel))
        if self.full_hw is None:
            y = self.kernels.backward_input(self.x, self.w, self.out_hw, stride, padding, dilation, groups)
        else:
            full = self.kernels.backward_input(self.x, self.w, self.full_hw, stride, ((0, 0),) * len(padding),
                                               dilation, groups)
            y = np.zeros(full.shape[:2] + self.out_hw, full.dtype)
            region = self._region()
            y[(slice(None), slice(None)) + region[1]] = full[(slice(None), slice(None)) + region[0]]
        if b is not None:  # (at the kernels' precision: a half convolution's float32, rounded once after)
            y += _per_channel(b.astype(y.dtype, copy=False), y.ndim)
        y = y.astype(x.dtype, copy=False)
        if not (x.flags.c_contiguous and x.strides[1] != x.itemsize and w.flags.c_contiguous
                and w.strides[1] != w.itemsize):  # (inline: _memory_format.may_suggest_...)
            # PyTorch's: channels-last output and gradients when the input or weight is
            self.layout = _layout(x, w, groups, True, stride, output_padding)
        return _in_layout(np.ascontiguousarray(y) if self.layout is None else y, self.layout, self.ndim)

    def _region(self):
        """(slices of the uncropped output, slices of the output) that hold the same cells."""
        sizes = [min(out, full - p) for out, full, (p, _) in zip(self.out_hw, self.full_hw, self.padding)]
        return (tuple(slice(p, p + n) for (p, _), n in zip(self.padding, sizes)), tuple(slice(0, n) for n in sizes))

    def backward(self, grad):
        gy = _as_4d(grad)
        padding = self.padding
        if self.full_hw is not None:
            full, out = self._region()
            embedded = np.zeros(gy.shape[:2] + self.full_hw, gy.dtype)
            embedded[(slice(None), slice(None)) + full] = gy[(slice(None), slice(None)) + out]
            gy, padding = embedded, ((0, 0),) * len(padding)
        args = self.stride, padding, self.dilation, self.groups
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = _in_layout(self.kernels.forward(gy, self.w, *args), self.layout, self.ndim)
        if self.needs_input_grad[1]:
            # The input plays the forward convolution's output gradient, the output gradient its input.
            gw = _in_layout(self.kernels.backward_weight(self.x, gy, self.w.shape[2:], *args), self.layout,
                            self.ndim)
        if self.needs_input_grad[2]:
            gb = grad.sum(axis=tuple(i for i in range(grad.ndim) if i != 1)).astype(self.bias_dtype, copy=False)
        return gx, gw, gb

    def backward_graph(self, grad):
        # The transposed convolution is the adjoint of the convolution (same weight) of its output to its input:
        # its input's gradient is that convolution of the output's gradient, its weight's that convolution's.
        gy = grad.unsqueeze(2) if self.ndim == 3 else grad
        padding = self.padding
        if self.full_hw is not None:
            # The output was cut from (and padded beyond) the uncropped one: the gradient goes back into that
            # uncropped output's shape, a constant pad whose negative widths crop, then as without padding.
            widths = ((0, 0), (0, 0)) + tuple((p, full - p - out) for (p, _), full, out in
                                               zip(padding, self.full_hw, self.out_hw))
            gy = ConstantPad.apply(gy, widths=widths)
            padding = ((0, 0),) * len(padding)
        args = dict(stride=self.stride, padding=padding, dilation=self.dilation, groups=self.groups)
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            w = self.graph_input(1, _like(self.w, self.ndim))
            gx = _graph_gradient_in_layout(Convolution.apply(gy, w.unsqueeze(2) if self.ndim == 3 else w, None, **args),
                                           self.layout)
            gx = gx.squeeze(2) if self.ndim == 3 else gx
        if self.needs_input_grad[1]:
            x = self.graph_input(0, _like(self.x, self.ndim))
            x = x.unsqueeze(2) if self.ndim == 3 else x
            gw = _graph_gradient_in_layout(_weight_gradient_tensor(gy, x, self.w.shape[2:], **args), self.layout)
            gw = gw.squeeze(2) if self.ndim == 3 else gw
        if self.needs_input_grad[2]:
            gb = grad.sum(dim=tuple(i for i in range(grad._data.ndim) if i != 1))._cast(self.bias_dtype)
        return gx, gw, gb

    def name(self):
        return "ConvolutionBackward0"


def _in_float32(kernel):
    """``kernel`` computing in float32 from float16 arrays (its result left in float32, for one rounding)."""
    @functools.wraps(kernel)
    def run(*args, **kwargs):
        args = [a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float16 else a for a in args]
        kwargs = {k: v.astype(np.float32) if isinstance(v, np.ndarray) and v.dtype == np.float16 else v
                  for k, v in kwargs.items()}
        return kernel(*args, **kwargs)
    return run


_HALF_KERNELS = {rank: _Kernels(*map(_in_float32, table)) for rank, table in _KERNELS.items()}


class _InFloat32:
    """A float16 convolution as PyTorch's CPU kernels compute one: in float32, its output and gradients (the
    bias's too) each rounded once to half (the kernels' half arithmetic rounded partial sums)."""

    kernel_table = _HALF_KERNELS

    def backward(self, grad):
        return tuple(None if g is None else g.astype(np.float16) for g in super().backward(grad.astype(np.float32)))

    def backward_graph(self, grad):  # (the convolution's, as tensor ops in half, next to the backward above)
        return super().backward_graph(grad)

    def name(self):
        return "ConvolutionBackward0"


class HalfConvolution(_InFloat32, Convolution):
    pass


class HalfTransposedConvolution(_InFloat32, TransposedConvolution):
    pass


_HALF_NODES = {Convolution: HalfConvolution, TransposedConvolution: HalfTransposedConvolution}


class EmptyConvolution(Node):
    """PyTorch's "Empty" backend, for an input without batch or channels: an empty output, zero gradients.

    The output's shape and dtype are those of the element-wise ops PyTorch runs instead of a
    convolution (see _empty_backend); every gradient is zero, in its tensor's dtype.
    """

    saved = ("x", "w", "b")

    def forward(self, x, w, b, shape=None, dtype=None):
        self.x, self.w, self.b = x, w, b
        return np.zeros(shape, dtype)

    def backward(self, grad):
        return tuple(np.zeros_like(a) if need else None for a, need in zip((self.x, self.w, self.b),
                                                                            self.needs_input_grad))

    def backward_graph(self, grad):
        # zeros, recorded as PyTorch's (they require grad), whose own gradients are zero
        from ..._ops.shape import Where

        total = grad.sum()
        return tuple(None if g is None else
                     Where.apply(grad._wrap(g), total._cast(g.dtype), condition=np.ones(g.shape, bool))
                     for g in self.backward(grad._data))

    def name(self):
        return "ConvolutionBackward0"


# ---------------------------------------------------------------------------- PyTorch's checks, in its order
# How PyTorch names a dtype in its three kinds of message (c10 type name, scalar type, tensor type).
_C10_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double", "uint8": "unsigned char",
              "int8": "signed char", "int16": "short int", "int32": "int", "int64": "long int", "bool": "bool",
              "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}
_SCALAR_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "uint8": "Byte", "int8": "Char",
                 "int16": "Short", "int32": "Int", "int64": "Long", "bool": "Bool", "complex64": "ComplexFloat",
                 "complex128": "ComplexDouble"}


def _tensor_type(dtype):
    # PyTorch's type string knows the legacy names of the classic numeric types only; for bool and the complex
    # dtypes it falls back to the backend's type name.
    if dtype.name not in _SCALAR_NAMES or dtype.name == "bool" or dtype.name.startswith("complex"):
        return f"CPU{dtype.scalar_name}Type"
    return f"torchless.{_SCALAR_NAMES[dtype.name]}Tensor"


def _batchify(input, spatial, fn):
    if input.dim() not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {fn}, but got "
                           f"input of size: {list(input.shape)}")
    return (input, True) if input.dim() == spatial + 2 else (input.unsqueeze(0), False)


def _expand(values, name, dim):
    if len(values) == 1:
        return values * dim
    if len(values) != dim:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {dim} values to match the "
                           f"convolution dimensions, but got {name}={values}")
    return values


def _check_shape_forward(in_shape, w_shape, bias, stride, padding, dilation, transposed, output_padding, groups):
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if len(w_shape) != len(in_shape):
        raise RuntimeError(f"Expected {len(w_shape)}-dimensional input for {len(w_shape)}-dimensional weight {w_shape}, "
                           f"but got {len(in_shape)}-dimensional input of size {in_shape} instead")
    if w_shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {w_shape} instead")
    if w_shape[0] % groups:
        # The doubled brackets are PyTorch's.
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got "
                           f"weight of size [{w_shape}] instead")
    bias_shape = None if bias is None else list(bias.shape)
    if transposed:
        if in_shape[1] != w_shape[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {w_shape}, expected input{in_shape} to have "
                               f"{w_shape[0]} channels, but got {in_shape[1]} channels instead")
        if bias_shape is not None and bias_shape != [w_shape[1] * groups]:
            raise RuntimeError(f"Given transposed=1, weight of size {w_shape}, expected bias to be 1-dimensional with "
                               f"{w_shape[1] * groups} elements, but got bias of size {bias_shape} instead")
        return
    if in_shape[1] != w_shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {w_shape}, expected input{in_shape} to have "
                           f"{w_shape[1] * groups} channels, but got {in_shape[1]} channels instead")
    if bias_shape is not None and bias_shape != [w_shape[0]]:
        raise RuntimeError(f"Given weight of size {w_shape}, expected bias to be 1-dimensional with {w_shape[0]} "
                           f"elements, but got bias of size {bias_shape} instead")
    padded = [n + 2 * p for n, p in zip(in_shape[2:], padding)]
    spans = [d * (k - 1) + 1 for k, d in zip(w_shape[2:], dilation)]
    if any(p < s for p, s in zip(padded, spans)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, spans))}). Kernel size can't be greater than actual input size")


def _uses_mkldnn(in_shape, w_shape, dtype, stride, transposed, output_padding, groups):
    """Whether PyTorch's CPU backend selection picks oneDNN: its own dtype-mismatch message, and its own
    checks and errors (for a transposed convolution, none of the reference backend's).

    Half precision goes to oneDNN whenever the CPU has half-precision arithmetic (AVX-512 FP16), so
    PyTorch's messages for a half-precision call depend on the machine, and so do torchless's. For
    float32, PyTorch also requires a strided or dilated convolution, a batch of 16, a kernel other than
    1x1 or more than one thread; with its default thread pool on a multi-core machine that always holds.
    """
    if transposed and any(p >= s for p, s in zip(output_padding, stride)):
        return False
    if dtype.name == "float16":  # oneDNN computes in half precision where the CPU can (ideep's fp16 check)
        return cpu_features.has("AVX512FP16")
    # The last two kernel sizes and the first four input sizes, in 3-D too (N * C * D * H).
    kh, kw = w_shape[-2:]
    return dtype.name == "float32" and (groups > 1 or (kh > 3 and kw > 3) or in_shape[0] > 1
                                        or math.prod(in_shape[:4]) > 20480)


def _not_implemented(kernel_name, dtype, supported):
    if dtype.name not in supported:
        raise NotImplementedError(f'"{kernel_name}" not implemented for \'{_SCALAR_NAMES[dtype.name]}\'')


# oneDNN's own errors, which PyTorch passes on as they are.
_ONEDNN_MEMORY = "could not construct a memory descriptor using a format tag"
_ONEDNN_PRIMITIVE = ("could not create a primitive descriptor for the {} forward propagation primitive. Run workload "
                     "with environment variable ONEDNN_VERBOSE=all to get additional diagnostic information.")


def _c_div(a, b):
    """C++ integer division, which truncates toward zero (Python's // floors)."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _onednn_deconvolution(in_shape, w_shape, stride, padding, dilation, output_padding, groups, input, weight):
    """What oneDNN makes of a transposed convolution: the dilation and output padding it computes with.

    PyTorch sizes the output itself and checks nothing (no kernel or dilation checks, no "Output
    size is too small"); an empty output is fine. A negative size fails oneDNN's memory descriptor,
    or, when the input or weight suggests a channels-last format, PyTorch's own allocation of the
    channels-last output (its element count overflows), else oneDNN's descriptor of its strides.
    ideep hands oneDNN a dilation of 1 everywhere if any dilation is 0, so with a 0 dilation
    PyTorch's output size (d * (k - 1) = 0 in that dimension) and oneDNN's kernel extent disagree:
    oneDNN accepts the problem only if its own size check still holds, and then crops or zero-pads
    its result to PyTorch's size, which is an output padding outside [0, stride) here. In 3-D, ideep
    passes a 0 dilation on, and oneDNN rejects its dimensions. oneDNN has no implementation for an
    empty kernel, nor for a kernel without output channels.
    """
    out_hw = _transposed_size(in_shape[2:], w_shape[2:], stride, padding, dilation, output_padding)
    if any(n < 0 for n in out_hw):
        if _memory_format.output_format(input._data, weight._data) is None:
            raise RuntimeError(_ONEDNN_MEMORY)
        # c10's element count: a product of the sizes as uint64, whose overflow sticks even if a 0 follows
        count, overflowed = 1, False
        for n in (in_shape[0], w_shape[1] * groups, *out_hw):
            count *= n % 2 ** 64
            overflowed |= count >= 2 ** 64
            count %= 2 ** 64
        if overflowed or count >= 2 ** 63:
            raise RuntimeError("numel: integer multiplication overflow")
        raise RuntimeError("could not construct a memory descriptor using strides")
    if len(dilation) == 3 and 0 in dilation:
        raise RuntimeError("dimensions are invalid")
    if 0 in w_shape[1:]:
        raise RuntimeError(_ONEDNN_PRIMITIVE.format("deconvolution"))
    if all(d > 0 for d in dilation):
        return dilation, output_padding
    dilation = [1] * len(dilation)
    natural = _transposed_size(in_shape[2:], w_shape[2:], stride, padding, dilation, [0] * len(dilation))
    for n, k, s, p, op, out in zip(in_shape[2:], w_shape[2:], stride, padding, output_padding, out_hw):
        # oneDNN's check: src == (dst - kernel extent + padding_l + padding_r) / stride + 1, padding_r = p - op
        if _c_div(out - k + p + (p - op), s) + 1 != n:
            raise RuntimeError(_ONEDNN_PRIMITIVE.format("deconvolution"))
    return dilation, [out - n for out, n in zip(out_hw, natural)]


def _check_backend(in_shape, w_shape, input, weight, bias, stride, padding, dilation, transposed, output_padding,
                   groups):
    """The checks of the CPU backend PyTorch picks for a non-empty input (2-D or 3-D shapes and parameters here).

    Returns the dilation and output padding that backend computes with (changed only by oneDNN's
    transposed convolution with a zero dilation).
    """
    if math.prod(in_shape) == 0:
        raise RuntimeError(f"Only zero batch or zero channel inputs are supported, but got input shape: {in_shape}")
    if _uses_mkldnn(in_shape, w_shape, input.dtype, stride, transposed, output_padding, groups):
        for name, param in (("weight", weight), ("bias", bias)):
            if param is not None and param.dtype != input.dtype:
                raise RuntimeError(f"Input type ({_tensor_type(input.dtype)}) and {name} type "
                                   f"({_tensor_type(param.dtype)}) should be the same or input should be a MKLDNN "
                                   f"tensor and {name} is a dense tensor")
        if transposed:
            return _onednn_deconvolution(in_shape, w_shape, stride, padding, dilation, output_padding, groups,
                                         input, weight)
        # mkldnn_convolution repeats check_shape_forward, adding this check; oneDNN then has no
        # implementation for an empty kernel.
        if any(d <= 0 for d in dilation):
            raise RuntimeError("non-positive dilation is not supported")
        if 0 in w_shape[2:]:
            raise RuntimeError(_ONEDNN_PRIMITIVE.format("convolution"))
        return dilation, output_padding
    if transposed:
        _check_slow_transposed(in_shape, w_shape, input.dtype, stride, padding, dilation, output_padding, groups)
    elif any(d != 1 for d in dilation):
        _check_slow_dilated(w_shape, input.dtype, dilation)
    elif len(in_shape) == 5:
        _check_slow_conv3d(w_shape, input.dtype)
    else:
        _check_slow_conv2d(w_shape, input.dtype)
    if weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found {weight.dtype.scalar_name}")
    if transposed and len(in_shape) == 5:
        # slow_conv_transpose3d adds the bias by a GEMM on the input's type: no promotion, no cast.
        if bias is not None and bias.dtype != input.dtype:
            raise RuntimeError(f"expected scalar type {_SCALAR_NAMES[input.dtype.name]} but found "
                               f"{_SCALAR_NAMES[bias.dtype.name]}")
    elif transposed:
        _check_bias_added_in_place(input._data.dtype, bias)
    return dilation, output_padding


_AXES = {2: ("height", "width"), 3: ("depth", "height", "width")}


def _named(name, values, separator=" "):
    """PyTorch's "dilation_height: 1, dilation_width: 2" (separator ", ") or "kernel_height: 1 kernel_width: 2"
    (in 3-D, "..._depth: ..." first)."""
    return separator.join(f"{name}_{axis}: {v}" for axis, v in zip(_AXES[len(values)], values))


def _check_slow_conv2d(w_shape, dtype):
    """slow_conv2d (thnn_conv2d): a 2-D convolution neither dilated nor on oneDNN."""
    if any(k <= 0 for k in w_shape[2:]):
        raise RuntimeError(f"kernel size should be greater than zero, but got {_named('kernel', w_shape[2:])}")
    _not_implemented("slow_conv2d_cpu", dtype, set(_SCALAR_NAMES) - {"bool"})


def _check_slow_conv3d(w_shape, dtype):
    """slow_conv3d: a 3-D convolution neither dilated nor on oneDNN (all groups at once)."""
    if any(k <= 0 for k in w_shape[2:]):
        raise RuntimeError(f"kernel size should be greater than zero, but got: {' x '.join(map(str, w_shape[2:]))} "
                           "(TxHxW)")
    _not_implemented("compute_columns3d", dtype, set(_SCALAR_NAMES) - {"bool"})


def _check_slow_dilated(w_shape, dtype, dilation):
    """slow_conv_dilated2d / slow_conv_dilated3d, run group by group."""
    if any(k <= 0 for k in w_shape[2:]):
        raise RuntimeError(f"kernel size should be greater than zero, but got {w_shape[2:]}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {dilation}")
    _not_implemented("slow_conv_dilated<>", dtype, ("float16", "float32", "float64", "int64"))


def _check_slow_transposed(in_shape, w_shape, dtype, stride, padding, dilation, output_padding, groups):
    """slow_conv_transpose2d / slow_conv_transpose3d, run group by group: their own checks, in their order."""
    spatial = len(in_shape) - 2
    if spatial == 2 and any(k <= 0 for k in w_shape[2:]):
        raise RuntimeError(f"kernel size should be greater than zero, but got {_named('kernel', w_shape[2:])}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {_named('dilation', dilation, ', ')}")
    if any(p >= s and p >= d for p, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           + " ".join(_named(name, values) for name, values in (
                               ("output_padding", output_padding), ("stride", stride), ("dilation", dilation))))
    if 0 in w_shape[1:]:
        group_shape = [w_shape[0] // groups] + w_shape[1:]  # the weight of one group
        if spatial == 2:
            raise RuntimeError(f"non-empty 2D or 4D weight tensor expected, but got: {group_shape}")
        raise RuntimeError("non-empty 5D (n_output_plane x n_input_plane x kernel_depth x kernel_height x "
                           f"kernel_width) tensor expected for weight, but got: {group_shape}")
    out_size = _transposed_size(in_shape[2:], w_shape[2:], stride, padding, dilation, output_padding)
    if any(n < 1 for n in out_size):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, in_shape[2:]))}). Calculated output "
                           f"size per channel: ({' x '.join(map(str, out_size))}). Output size is too small")
    _not_implemented(f"slow_conv_transpose{spatial}d_out_cpu", dtype, ("float16", "float32", "float64", "int64"))


def _check_bias_added_in_place(out_dtype, bias):
    """``output.add_(bias)``: the sum takes the bias's dtype only if of a higher category (a float bias on
    an integer output), and then cannot be written back. (conv1d and conv2d with a numeric padding
    have already required the input's dtype.)"""
    if bias is not None and _category(bias._data.dtype) > _category(out_dtype):
        result = _promote(out_dtype, bias._data.dtype)  # (a complex64 bias on a double output: complex128)
        raise RuntimeError(f"result type {_SCALAR_NAMES[result.name]} can't be cast to the desired output "
                           f"type {_SCALAR_NAMES[out_dtype.name]}")


def _transposed_size(in_hw, kernel, stride, padding, dilation, output_padding):
    return [(n - 1) * s - 2 * p + d * (k - 1) + op + 1
            for n, k, s, p, d, op in zip(in_hw, kernel, stride, padding, dilation, output_padding)]


def _empty_backend(in_shape, w_shape, input, weight, bias, stride, padding, dilation, transposed, output_padding,
                   groups):
    """PyTorch's "Empty" backend, for an input without batch or channels: (EmptyConvolution, params).

    It checks nothing more, and convolves nothing: it computes ``input.view(-1) * weight.view(-1)``
    (no channels) or ``input * weight.view(-1)[0]``, adds ``bias[0]`` in place, and views the result
    as the output size, unchecked. Those ops give the output's dtype (a promotion with the weight's)
    and the errors: an empty weight has no element 0, an integer output cannot take a float bias in
    place, and the view refuses negative sizes (a -1 even asks it to infer a size from 0 elements).
    """
    in_dtype, w_dtype = input._data.dtype, weight._data.dtype
    if in_shape[1] == 0:
        dtype = _promote(in_dtype, w_dtype)  # no channels means an empty weight: [0] * [0]
    elif math.prod(w_shape) == 0:
        raise IndexError("select(): index 0 out of range for tensor of size [0] at dimension 0")
    else:
        dtype = result_dtype(in_dtype, True, w_dtype, False)  # input * weight.view(-1)[0]
    _check_bias_added_in_place(dtype, bias)
    if transposed:
        shape = [in_shape[0], w_shape[1] * groups] + _transposed_size(in_shape[2:], w_shape[2:], stride, padding,
                                                                      dilation, output_padding)
    else:
        shape = [in_shape[0], w_shape[0]] + [_c_div(n + 2 * p - (d * (k - 1) + 1), s) + 1 for n, k, s, p, d in
                                             zip(in_shape[2:], w_shape[2:], stride, padding, dilation)]
    if in_shape[1] == 0:
        shape[1] = 0
    inferred = None
    for i, n in enumerate(shape):
        if n == -1:
            if inferred is not None:
                raise RuntimeError("only one dimension can be inferred")
            inferred = i
        elif n < 0:
            raise RuntimeError(f"invalid shape dimension {n} at index {i} of shape {shape}")
    if inferred is not None:  # the other sizes multiply to 0, like the elements
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {shape} because the unspecified "
                           "dimension size -1 can be any value and is ambiguous")
    if input.dim() == 3:
        del shape[2]  # the height of 1 of a 1-D convolution
    return EmptyConvolution, {"shape": tuple(shape), "dtype": dtype}


def _convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups, extra=None):
    """PyTorch's ``_convolution`` checks on a batched input: (Node, params) to run it with.

    ``extra`` is the odd right/bottom padding of padding='same'.
    """
    in_shape, w_shape = list(input.shape), list(weight.shape)
    if extra:
        # PyTorch pads the input explicitly for an odd 'same' padding: its messages show the padded size.
        in_shape[2:] = [n + e for n, e in zip(in_shape[2:], extra)]
    dim = weight.dim() - 2
    if dim <= 0:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    stride, padding, dilation, output_padding = (_expand(values, name, dim) for values, name in (
        (stride, "stride"), (padding, "padding"), (dilation, "dilation"), (output_padding, "output_padding")))
    _check_shape_forward(in_shape, w_shape, bias, stride, padding, dilation, transposed, output_padding, groups)
    extra = extra or [0] * dim
    if dim == 1:
        in_shape, w_shape = in_shape[:2] + [1] + in_shape[2:], w_shape[:2] + [1] + w_shape[2:]
        stride, padding, dilation, output_padding = [1] + stride, [0] + padding, [1] + dilation, [0] + output_padding
        extra = [0] + extra
    if in_shape[0] == 0 or in_shape[1] == 0:
        return _empty_backend(in_shape, w_shape, input, weight, bias, stride, padding, dilation, transposed,
                              output_padding, groups)
    dilation, output_padding = _check_backend(in_shape, w_shape, input, weight, bias, stride, padding, dilation,
                                              transposed, output_padding, groups)
    pads = tuple((p, p + e) for p, e in zip(padding, extra))
    params = {"stride": tuple(stride), "padding": pads, "dilation": tuple(dilation), "groups": groups}
    function = TransposedConvolution if transposed else Convolution
    if input._data.dtype == np.float16:
        function = _HALF_NODES[function]
    return function, dict(params, output_padding=tuple(output_padding)) if transposed else params


# PyTorch's TORCH_WARN_ONCE text, with the C++ source location every warning from ATen carries.
_ASYMMETRIC_SAME_WARNING = ("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded "
                            "copy of the input be created (Triggered internally at "
                            "/__w/pytorch/pytorch/aten/src/ATen/native/Convolution.cpp:1101.)")
_asymmetric_same_warned = False


def _warn_asymmetric_same_once():
    """PyTorch's warning that an odd total 'same' padding needs a padded copy of the input.

    TORCH_WARN_ONCE: once per process, whatever the warning filters say (even "always"). The warning is
    attributed to the frame calling the functional (through convolve, native's parser, conv*d, _conv and
    _convolution_same), as PyTorch attributes its C++ warnings to the Python caller.
    """
    global _asymmetric_same_warned
    if not _asymmetric_same_warned:
        _asymmetric_same_warned = True
        warnings.warn(_ASYMMETRIC_SAME_WARNING, UserWarning, stacklevel=7)


def _convolution_same(input, weight, bias, stride, dilation, groups):
    """padding='same': PyTorch's ``convolution_same``, an odd total padding going to the right/bottom."""
    k = weight.dim()
    if k <= 2:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    dim = k - 2
    if k != input.dim():
        raise RuntimeError(f"Expected {k}-dimensional input for {k}-dimensional weight{list(weight.shape)}, but got "
                           f"{input.dim()}-dimensional input of size {list(input.shape)} instead")
    for values, name in ((stride, "stride"), (dilation, "dilation")):
        if len(values) not in (dim, 1):
            raise RuntimeError(f"{name} cannot broadcast to {dim} dimensions")
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    totals = [(dilation[0] if len(dilation) == 1 else dilation[i]) * (weight.shape[i + 2] - 1) for i in range(dim)]
    # C++ division truncates; a negative total (an empty kernel) crops the input by one instead of padding it
    left = [int(t / 2) for t in totals]
    extra = [t - 2 * half for t, half in zip(totals, left)]
    if any(extra):
        _warn_asymmetric_same_once()
        # PyTorch crops (or pads) the input by constant_pad_nd before any convolution check: an empty
        # dimension cannot be cropped.
        if any(n + e < 0 for n, e in zip(input.shape[2:], extra)):
            raise RuntimeError("narrow(): length must be non-negative.")
    function, params = _convolution(input, weight, bias, stride, left, dilation, False, [0] * dim, groups, extra)
    if not any(extra) or function not in (Convolution, HalfConvolution):
        return function, params
    # PyTorch's graph: constant_pad_nd of the input by the difference (after; a crop before, if negative), then
    # the convolution with the padding left symmetric
    widths = ((0, 0),) * 2 + tuple((0, e) if e > 0 else (e, 0) for e in extra)
    pads = tuple((min(lo, hi), min(lo, hi)) for lo, hi in params["padding"])
    return _PaddedSame(function, widths), dict(params, padding=pads)


class _PaddedSame(NamedTuple):
    """padding='same' needing more after than before, run as PyTorch's convolution_same runs it: the input padded
    by ``widths`` (a ConstantPadNd node of the graph), then convolved by ``real`` (a Node's class)."""

    real: type
    widths: tuple

    def apply(self, x, w, b, **params):
        pad = tuple(width for pair in reversed(self.widths[2:]) for width in pair)  # (as F.pad's, all dims)
        padded = ConstantPadNd.apply(x, widths=self.widths, value=0, pad=pad)
        if _memory_format.may_suggest_channels_last(x._data):  # (constant_pad_nd keeps a channels-last layout)
            padded = _memory_format.keep_channels_last(padded, x._data)
        return self.real.apply(padded, w, b, **params)


def _check_bias_dtype(input, bias):
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_C10_NAMES[input.dtype.name]}) and bias type ({_C10_NAMES[bias.dtype.name]}) "
                           "should be the same")


class _ComplexConvolution(NamedTuple):
    """PyTorch's convolution of complex tensors (its complex_convolution): three real convolutions (``real``, a
    Node's class, with the same parameters) of the parts, by Gauss's trick:
    a = conv(xr, wr, br), b = conv(xi, wi), c = conv(xr + xi, wr + wi, br + bi); the result a - b + i (c - a - b)."""

    real: type

    def apply(self, x, w, b, **params):
        from ..._ops.complex_ops import complex as make_complex

        xr, xi, wr, wi = x.real, x.imag, w.real, w.imag
        a = self.real.apply(xr, wr, None if b is None else b.real, **params)
        b_ = self.real.apply(xi, wi, None, **params)
        c = self.real.apply(xr + xi, wr + wi, None if b is None else b.real + b.imag, **params)
        return make_complex(a - b_, c - a - b_)


def _complex_conv(checks, input, weight, bias, *args):
    """The checks (``checks``: _conv or _conv_transpose, given ``args`` after the tensors) of a complex input or
    weight: PyTorch's check of the three dtypes, then the real convolution's checks on the parts' shapes
    (batched, _ComplexConvolution, params)."""
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and param.dtype != input.dtype:
            raise RuntimeError(f"Input type ({_tensor_type(input.dtype)}) and {name} type "
                               f"({_tensor_type(param.dtype)}) should be the same")
    real = [None if t is None else Tensor._wrap(t._data.real) for t in (input, weight, bias)]
    batched, function, params = checks(*real, *args)
    return batched, _ComplexConvolution(function), params


def _conv(input, weight, bias, stride, padding, dilation, groups, spatial, fn):
    """conv1d / conv2d / conv3d checks: (batched, Node, params)."""
    if input._data.dtype.kind == "c":  # (a real input with a complex weight: the real path's error)
        if not isinstance(padding, str):
            _check_bias_dtype(input, bias)
        return _complex_conv(_conv, input, weight, bias, stride, padding, dilation, groups, spatial, fn)
    if isinstance(padding, str):
        x, batched = _batchify(input, spatial, fn)
        if padding == "same":
            return (batched,) + _convolution_same(x, weight, bias, stride, dilation, groups)
        if padding == "valid":
            return (batched,) + _convolution(x, weight, bias, stride, [0], dilation, False, [0], groups)
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    _check_bias_dtype(input, bias)
    x, batched = _batchify(input, spatial, fn)
    return (batched,) + _convolution(x, weight, bias, stride, padding, dilation, False, [0] * spatial, groups)


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, spatial, fn):
    """conv_transpose1d / conv_transpose2d / conv_transpose3d checks: (batched, Node, params)."""
    if input._data.dtype.kind == "c":
        return _complex_conv(_conv_transpose, input, weight, bias, stride, padding, output_padding, groups, dilation,
                             spatial, fn)
    x, batched = _batchify(input, spatial, fn)
    return (batched,) + _convolution(x, weight, bias, stride, padding, dilation, True, output_padding, groups)


def _checked_once(checks):
    """The convolution functional whose argument parsing and checks are ``checks``.

    ``checks`` returns (batched, Node, params) or raises PyTorch's error. Those depend only on
    the arguments' call_key, so valid calls are remembered and a repeated call (every training or
    inference step) skips straight to the arithmetic.
    """
    plans = CheckedCalls()

    @functools.wraps(checks)
    def convolve(*args, **kwargs):
        key = call_key(args, kwargs)
        plan = plans.get(key)
        if plan is None:
            plan = plans.remember(key, checks(*args, **kwargs))
        batched, function, params = plan
        if len(args) >= 3:
            input, weight, bias = args[:3]
        else:
            input, weight, bias = (args[i] if i < len(args) else kwargs.get(name)
                                   for i, name in enumerate(("input", "weight", "bias")))
            if input is None:  # given under a NumPy name (x=), which the parser took
                input = kwargs[_numpy_name("input", kwargs)]
        if batched and function is Convolution and not records(input, weight, bias):
            x = input._data
            if x.ndim != 3:  # no graph node to record: Node.apply would only wrap the result
                w = weight._data
                y = _KERNELS[x.ndim].forward(x, w, **params, bias=None if bias is None else bias._data)
                if not (x.flags.c_contiguous and x.strides[1] != x.itemsize and w.flags.c_contiguous
                        and w.strides[1] != w.itemsize):  # (inline: _memory_format.may_suggest_...)
                    # PyTorch's: channels-last for such an input or weight
                    y = _in_output_format(y, x, w, params["groups"])
                return Tensor._wrap(y.astype(x.dtype, copy=False))
        y = function.apply(input if batched else input.unsqueeze(0), weight, bias, **params)
        if y.grad_fn is not None and not (y.dtype.is_floating_point or y.dtype.is_complex):
            # PyTorch records the node after the forward, refusing an integer output (from integer
            # input and weight, and a float bias requiring grad, which only a padding string lets by).
            raise RuntimeError(f"Autograd not support dtype: {y.dtype.scalar_name}")
        return y if batched else y.squeeze(0)

    return convolve


# ---------------------------------------------------------------------------- public functions
def _conv_signatures():
    head = [Param("input", "Tensor"), Param("weight", "Tensor"), Param("bias", "Tensor?", "None"),
            Param("stride", "int[]", "1", 1)]
    tail = [Param("dilation", "int[]", "1", 1), Param("groups", "SymInt", "1", 1)]
    return (head + [Param("padding", "int[]", "0", 0)] + tail,
            head + [Param("padding", "str", '"valid"', "valid")] + tail)


def _conv_transpose_signature():
    return [Param("input", "Tensor"), Param("weight", "Tensor"), Param("bias", "Tensor?", "None"),
            Param("stride", "int[]", "1", 1), Param("padding", "int[]", "0", 0),
            Param("output_padding", "int[]", "0", 0), Param("groups", "SymInt", "1", 1),
            Param("dilation", "int[]", "1", 1)]


@_checked_once
@native("conv1d", *_conv_signatures(), list_size=1)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) over an input of shape (N, C_in, L) or (C_in, L).

    weight: (C_out, C_in / groups, kL); bias: (C_out,) or None. stride, padding and dilation are
    ints or 1-tuples; padding may also be 'valid' (none) or 'same' (L_out = L, stride 1 only).
    Output (N, C_out, L_out), L_out = floor((L + 2 * padding - dilation * (kL - 1) - 1) / stride) + 1.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


@_checked_once
@native("conv2d", *_conv_signatures(), list_size=2)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) over an input of shape (N, C_in, H, W) or (C_in, H, W).

    weight: (C_out, C_in / groups, kH, kW); bias: (C_out,) or None. stride, padding and dilation are
    ints or (h, w) pairs; padding may also be 'valid' (none) or 'same' (output size = input size,
    stride 1 only; an odd total padding puts the extra cell at the bottom/right, as PyTorch).
    Output: (N, C_out, H_out, W_out) with
    H_out = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0]) + 1, likewise W_out.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


@_checked_once
@native("conv3d", *_conv_signatures(), list_size=3)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation) over an input of shape (N, C_in, D, H, W) or (C_in, D, H, W).

    weight: (C_out, C_in / groups, kD, kH, kW); bias: (C_out,) or None. stride, padding and dilation
    are ints or (d, h, w) triples; padding may also be 'valid' (none) or 'same' (output size = input
    size, stride 1 only; an odd total padding puts the extra cell at the back/bottom/right, as PyTorch).
    Output: (N, C_out, D_out, H_out, W_out) with
    D_out = floor((D + 2 * padding[0] - dilation[0] * (kD - 1) - 1) / stride[0]) + 1, likewise H_out
    and W_out.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


@_checked_once
@native("conv_transpose1d", _conv_transpose_signature(), list_size=1)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution over (N, C_in, L) or (C_in, L); weight (C_in, C_out / groups, kL).

    L_out = (L - 1) * stride - 2 * padding + dilation * (kL - 1) + output_padding + 1.
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


@_checked_once
@native("conv_transpose2d", _conv_transpose_signature(), list_size=2)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution ("deconvolution"), the gradient of conv2d with respect to its input.

    input: (N, C_in, H, W) or (C_in, H, W); weight: (C_in, C_out / groups, kH, kW); bias: (C_out,).
    H_out = (H - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kH - 1) + output_padding[0] + 1,
    likewise W_out.
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


@_checked_once
@native("conv_transpose3d", _conv_transpose_signature(), list_size=3)
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution ("deconvolution"), the gradient of conv3d with respect to its input.

    input: (N, C_in, D, H, W) or (C_in, D, H, W); weight: (C_in, C_out / groups, kD, kH, kW);
    bias: (C_out,). Output (N, C_out, D_out, H_out, W_out) with
    D_out = (D - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kD - 1) + output_padding[0] + 1,
    likewise H_out and W_out.
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                           "conv_transpose3d")
