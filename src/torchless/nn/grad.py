"""``torch.nn.grad``: a convolution's gradients with respect to its input and to its weight, from the gradient of
its output, without running it forward: what ``loss.backward()`` computes for each ``F.conv2d``, as functions.

The input's gradient is the transposed convolution of the output's gradient by the same weight; the weight's is
the convolution of the input by the output's gradient (each input channel taken as a batch, the batch as
channels). Both are recorded as PyTorch records its convolution_backward (one ConvolutionBackwardBackward0 node),
so they can be differentiated in turn. The checks are convolution_backward's, then those of the CPU backend it picks
(oneDNN's or a reference kernel's), with their messages.
"""
import operator

import numpy as np

from .. import _dtype, _memory_format
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd._graph_backward import BackwardOfBackward
from ..autograd.graph import listed_edge
from ._functional import conv as _conv
from ._functional._conv_backends import _NUMERIC_DTYPES, _check_shape_forward, _not_implemented
from ._functional._conv_nodes import _graph_gradient_in_layout, _layout, _uses_mkldnn, _weight_gradient_tensor
from .modules.utils import _ntuple

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input", "conv3d_weight"]

# What PyTorch's oneDNN kernel says when the sizes given do not make a convolution giving grad_output
_NO_PRIMITIVE = ("could not create a primitive descriptor for the convolution forward propagation primitive. Run "
                 "workload with environment variable ONEDNN_VERBOSE=all to get additional diagnostic information.")
# convolution_backward's overloads, as its dispatcher shows them
_SCHEMA = ("(Tensor grad_output, Tensor input, Tensor weight, SymInt[]? bias_sizes, SymInt[] stride, SymInt[] padding, "
           "SymInt[] dilation, bool transposed, SymInt[] output_padding, SymInt groups, bool[3] output_mask")
_DECLARATIONS = (f"aten::convolution_backward{_SCHEMA}) -> (Tensor, Tensor, Tensor)",
                 f"aten::convolution_backward.out{_SCHEMA}, *, Tensor(a!) out0, Tensor(b!) out1, Tensor(c!) out2) -> "
                 "(Tensor(a!), Tensor(b!), Tensor(c!))")
_NONE = object()  # (no bad element found)
# The dtypes of the reference kernels' gradients (slow_conv2d's and slow_conv3d's), as torchless has them
_FLOATING = frozenset(("float16", "float32", "float64"))
_DILATED = _FLOATING | {"int64"}  # (the dilated kernels', which take int64 too)
_TRANSPOSED = {1: _conv.conv_transpose1d, 2: _conv.conv_transpose2d, 3: _conv.conv_transpose3d}


def _check_schema(stride, padding, dilation, groups):
    """The refusal by PyTorch's dispatcher (nn.grad calls the op itself) of a value that is no int64, or a list of
    them, for the first such argument of convolution_backward's schema."""
    for position, name, value in ((4, "stride", stride), (5, "padding", padding), (6, "dilation", dilation),
                                  (9, "groups", groups)):
        bad = next((item for item in (value if name != "groups" else (value,)) if not _is_int64(item)), _NONE)
        if bad is _NONE:
            continue
        expected = "int" if name == "groups" else "List[int]"
        raise RuntimeError("Overloaded torch operator invoked from Python failed to match any schema:\n" + "".join(
            f"aten::convolution_backward() Expected a value of type '{expected}' for argument '{name}' but instead "
            f"found type '{type(value).__name__}'.\nPosition: {position}\nValue: {value!r}\nDeclaration: {declaration}"
            f"\nCast error details: Unable to cast Python instance of type {type(bad)} to C++ type '?' (#define "
            "PYBIND11_DETAILED_ERROR_MESSAGES or compile in debug mode for details)\n\n"
            for declaration in _DECLARATIONS))


def _is_int64(value):
    """Whether pybind's cast takes ``value`` for a SymInt: an int64 (a bool, a NumPy integer) or a tensor."""
    if isinstance(value, Tensor):
        return True
    try:
        return -2 ** 63 <= operator.index(value) < 2 ** 63
    except TypeError:
        return False


def _spatial(value, name, weight_dims):
    """The tuple ``value`` (as _single, _pair or _triple made it) fitted to the ``weight_dims`` spatial dimensions of
    the weight, as PyTorch's convolution_backward fits it."""
    values = list(value)
    if len(values) == 1:
        return values * weight_dims
    if len(values) != weight_dims:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {weight_dims} values to match "
                           f"the convolution dimensions, but got {name}={values}")
    return [int(v) for v in values]


def _checked(dims, input_size, input_dtype, weight_size, weight_dtype, grad_output, stride, padding, dilation,
             groups, gradient):
    """PyTorch's convolution_backward checks for the ``gradient`` ('input' or 'weight') of a convolution of an input
    of ``input_size`` by a weight of ``weight_size``, in the order it makes them: the convolution's own checks, then
    those of the CPU backend it picks (see _check_backend_shapes).

    Returns (stride, padding, dilation) as lists of ints, one per spatial dimension of the weight, groups as an int,
    and the part of grad_output that backend reads, or None for the "Empty" backend's zeros (an input without batch
    or channels).
    """
    input_size, weight_size = list(input_size), list(weight_size)
    stride, padding, dilation = (_ntuple(dims)(v) for v in (stride, padding, dilation))
    _check_schema(stride, padding, dilation, groups)
    groups = int(groups)  # (True, a NumPy integer or a one-element tensor, as the dispatcher casts them)
    stride, padding, dilation = (_spatial(v, name, len(weight_size) - 2) for v, name in
                                 ((stride, "stride"), (padding, "padding"), (dilation, "dilation")))
    _check_shape_forward(input_size, weight_size, None, stride, padding, dilation, False, [0] * len(stride), groups)
    if grad_output.dim() != len(input_size):
        raise RuntimeError("Expected input and grad_output to have the same number of dimensions, but got: "
                           f"{len(input_size)} and {grad_output.dim()}")
    output_size = [input_size[0], weight_size[0]] + [
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, s, p, d in zip(input_size[2:], weight_size[2:], stride, padding, dilation)]
    if input_size[0] == 0 or input_size[1] == 0:  # (the "Empty" backend: zeros, whatever grad_output's size)
        return stride, padding, dilation, groups, None
    shapes = [input_size, weight_size, list(grad_output.shape), output_size]
    geometry = [list(stride), list(padding), list(dilation)]
    if dims == 1:  # viewed as a 2-D convolution of height 1, as PyTorch's backends see it
        shapes = [shape[:2] + [1] + shape[2:] for shape in shapes]
        geometry = [[first] + values for first, values in zip((1, 0, 1), geometry)]
    read = _check_backend_shapes(*shapes, *geometry, groups, input_dtype, weight_dtype, gradient)
    if dims == 1:
        del read[2]
    if read != list(grad_output.shape):
        grad_output = grad_output[tuple(slice(0, n) for n in read)]
    return stride, padding, dilation, groups, grad_output


def _check_backend_shapes(in_shape, w_shape, grad_shape, out_shape, stride, padding, dilation, groups, input_dtype,
                          weight_dtype, gradient):
    """The checks of convolution_backward's CPU backend (2-D or 3-D shapes): oneDNN's, which refuses any grad_output
    of another size than the output's, or the reference kernels', which check grad_output group by group but for
    slow_conv3d, the non-dilated ones not its batch (they read as many samples as the input has). The dtypes come
    last: the kernels dispatch on the input's, then find the weight's other (grad_output's, for the weight's
    gradient). Returns the sizes of grad_output that backend reads."""
    if _uses_mkldnn(in_shape, w_shape, input_dtype, stride, False, (), groups, dilation):
        if weight_dtype not in (input_dtype, _dtype.float16):
            raise RuntimeError("itensor_view_from_dense expects float/bfloat16/half/int8/fp8 tensor input"
                               f"{weight_dtype.scalar_name}")
        if grad_shape != out_shape:
            raise RuntimeError(_NO_PRIMITIVE)
        return list(grad_shape)
    ndim, spatial = len(in_shape), len(in_shape) - 2
    grouped = any(d != 1 for d in dilation) or spatial == 2  # (slow_conv3d convolves all groups at once)
    channels = grad_shape[1] // groups if grouped else grad_shape[1]
    out_channels = w_shape[0] // groups if grouped else w_shape[0]
    if any(d != 1 for d in dilation):  # slow_conv_dilated2d / 3d
        if grad_shape[0] != in_shape[0]:
            raise RuntimeError(f"grad_output.size(0)={grad_shape[0]} must be input.size(0)={in_shape[0]}")
        if channels != out_channels:
            raise RuntimeError(f"grad_output.size(1)={channels} must be weight.size(0)={out_channels}")
        if grad_shape[2:] != out_shape[2:]:
            raise RuntimeError(f"grad_output[2:] shape[{', '.join(map(str, grad_shape[2:]))}] must be equal to output "
                               f"size {' '.join(map(str, out_shape[2:]))}")
        _not_implemented("slow_conv_dilated<>", input_dtype, _DILATED)
    else:
        for axis, (size, expected) in enumerate(zip([channels] + grad_shape[2:], [out_channels] + out_shape[2:]),
                                                start=1):
            if size != expected:
                raise RuntimeError(f"Expected a tensor of dimension {ndim} and tensor.size[{axis}] == {expected} but "
                                   f"got: dimension {ndim} and tensor.size[{axis}] = {size}")
        if grad_shape[0] < in_shape[0]:  # (PyTorch's kernels would read past grad_output's end: no result to match)
            raise RuntimeError(_NO_PRIMITIVE)
        # the weight's gradient unfolds the input into columns first (as the forward: its dispatch, its name), but for
        # a 1x1 kernel without stride or padding (in 3-D, of one group)
        if gradient == "weight" and (any(k != 1 for k in w_shape[2:]) or any(s != 1 for s in stride) or any(padding)
                                     or (spatial == 3 and groups != 1)):
            _not_implemented("slow_conv2d_cpu" if spatial == 2 else "compute_columns3d", input_dtype, _NUMERIC_DTYPES)
        _not_implemented(f"slow_conv{spatial}d_cpu_grad_{gradient}", input_dtype, _FLOATING)
    if weight_dtype != input_dtype:
        raise RuntimeError(f"expected scalar type {input_dtype.scalar_name} but found {weight_dtype.scalar_name}")
    return [in_shape[0], w_shape[0]] + out_shape[2:]


def _recorded(gradient, grad_output, input, weight):
    """``gradient`` recorded as PyTorch records convolution_backward's result: by one ConvolutionBackwardBackward0
    node listing grad_output, the input and the weight (None for the expanded stand-in of the one not given)."""
    read = [t for t in (grad_output, input, weight) if t is not None and t.requires_grad]
    if not read or not grad_mode.is_grad_enabled():
        return gradient
    listed = tuple(listed_edge(t) if t is not None else (None, 0) for t in (grad_output, input, weight))
    return BackwardOfBackward.apply(gradient, *read, node_name="ConvolutionBackwardBackward0", listed=listed)


def _zeros(size, dtype):
    """The "Empty" backend's gradient: zeros_like of PyTorch's expanded tensor, strides 0 where it is empty."""
    zeros = np.zeros([int(n) for n in size], dtype.numpy)
    return Tensor._wrap(_memory_format.with_strides(zeros, (0,) * zeros.ndim) if zeros.size == 0 else zeros)


def _unlaid(size, like):
    """PyTorch's stand-in for the tensor nn.grad is not given: a scalar expanded to ``size`` (no layout)."""
    return np.broadcast_to(np.zeros((), like._data.dtype), tuple(size))


def _expanded_size(grad_output, size):
    """``size`` as PyTorch's nn.grad reads it, expanding a tensor to it (with expand's errors)."""
    return grad_output.new_empty(1).expand(size).shape


def _input_gradient(dims, input_size, weight, grad_output, stride, padding, dilation, groups):
    given, input_size = grad_output, _expanded_size(grad_output, input_size)
    stride, padding, dilation, groups, grad_output = _checked(dims, input_size, grad_output.dtype, weight.shape,
                                                              weight.dtype, grad_output, stride, padding, dilation,
                                                              groups, "input")
    if grad_output is None:
        return _recorded(_zeros(input_size, given.dtype), given, None, weight)
    # the output padding that makes the transposed convolution's output the input's size (below the stride)
    output_padding = [n - ((m - 1) * s - 2 * p + d * (k - 1) + 1) for n, m, k, s, p, d in
                      zip(input_size[2:], grad_output.shape[2:], weight.shape[2:], stride, padding, dilation)]
    gradient = _TRANSPOSED[dims](grad_output, weight.to(grad_output.dtype),  # (oneDNN's takes a half-precision one)
                                 None, stride, padding, output_padding, groups, dilation)
    # laid out as the weight and PyTorch's input (an expanded scalar, suggesting no layout) suggest, not grad_output
    layout = _layout(_unlaid(input_size, weight), weight._data, groups, False, tuple(stride), (), tuple(dilation))
    if dims == 1:
        gradient = _graph_gradient_in_layout(gradient.unsqueeze(2), layout).squeeze(2)
    else:
        gradient = _graph_gradient_in_layout(gradient, layout)
    return _recorded(gradient, given, None, weight)


def _weight_gradient(dims, input, weight_size, grad_output, stride, padding, dilation, groups):
    given, weight_size = grad_output, _expanded_size(grad_output, weight_size)
    stride, padding, dilation, groups, grad_output = _checked(dims, input.shape, input.dtype, weight_size,
                                                              grad_output.dtype, grad_output, stride, padding,
                                                              dilation, groups, "weight")
    if grad_output is None:
        return _recorded(_zeros(weight_size, given.dtype), given, input, None)
    grad_output = grad_output.to(input.dtype)  # (oneDNN's takes a half-precision grad_output)
    # PyTorch's weight is an expanded scalar (all-zero strides, suggesting no layout): the input's layout decides
    layout = _layout(input._data, _unlaid(weight_size, input), groups, False, tuple(stride), (), tuple(dilation))
    planes = input
    if dims == 1:  # as a 2-D convolution of height 1
        planes, grad_output = input.unsqueeze(2), grad_output.unsqueeze(2)
        stride, padding, dilation = [1] + stride, [0] + padding, [1] + dilation
    kernel = tuple(weight_size[2:]) if dims != 1 else (1, weight_size[2])
    gradient = _weight_gradient_tensor(planes, grad_output, kernel, tuple(stride), tuple((p, p) for p in padding),
                                       tuple(dilation), groups)
    gradient = _graph_gradient_in_layout(gradient, layout)
    return _recorded(gradient.squeeze(2) if dims == 1 else gradient, given, input, None)


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of ``F.conv1d`` with respect to its input, of size ``input_size`` (N, C_in, L_in), given the
    ``weight`` (C_out, C_in / groups, kL) and the output's gradient ``grad_output`` (N, C_out, L_out)."""
    return _input_gradient(1, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of ``F.conv1d`` with respect to its weight, of size ``weight_size`` (C_out, C_in / groups, kL),
    given the ``input`` (N, C_in, L_in) and the output's gradient ``grad_output`` (N, C_out, L_out)."""
    return _weight_gradient(1, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of ``F.conv2d`` with respect to its input, of size ``input_size`` (N, C_in, H_in, W_in), given
    the ``weight`` (C_out, C_in / groups, kH, kW) and the output's gradient ``grad_output`` (N, C_out, H_out, W_out).

        >>> input = torchless.randn(1, 1, 3, 3, requires_grad=True)
        >>> weight = torchless.randn(1, 1, 1, 2, requires_grad=True)
        >>> output = F.conv2d(input, weight)
        >>> grad_output = torchless.randn(output.shape)
        >>> grad_input = torchless.autograd.grad(output, input, grad_output)
        >>> F.grad.conv2d_input(input.shape, weight, grad_output)
    """
    return _input_gradient(2, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of ``F.conv2d`` with respect to its weight, of size ``weight_size`` (C_out, C_in / groups, kH,
    kW), given the ``input`` (N, C_in, H_in, W_in) and the output's gradient ``grad_output`` (N, C_out, H_out,
    W_out)."""
    return _weight_gradient(2, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of ``F.conv3d`` with respect to its input, of size ``input_size`` (N, C_in, D, H, W), given the
    ``weight`` (C_out, C_in / groups, kD, kH, kW) and the output's gradient ``grad_output``."""
    return _input_gradient(3, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of ``F.conv3d`` with respect to its weight, of size ``weight_size`` (C_out, C_in / groups, kD,
    kH, kW), given the ``input`` (N, C_in, D, H, W) and the output's gradient ``grad_output``."""
    return _weight_gradient(3, input, weight_size, grad_output, stride, padding, dilation, groups)
