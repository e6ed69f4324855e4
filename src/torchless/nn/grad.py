"""``torch.nn.grad``: a convolution's gradients with respect to its input and to its weight, from the gradient of
its output, without running it forward: what ``loss.backward()`` computes for each ``F.conv2d``, as functions.

The input's gradient is the transposed convolution of the output's gradient by the same weight; the weight's is
the convolution of the input by the output's gradient (each input channel taken as a batch, the batch as
channels). Both are recorded by autograd like any convolution, so they can be differentiated in turn.
"""
import numpy as np

from ._functional import conv as _conv
from ._functional._conv_backends import _check_shape_forward
from ._functional._conv_nodes import _graph_gradient_in_layout, _layout, _weight_gradient_tensor

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input", "conv3d_weight"]

# What PyTorch's oneDNN kernel says when the sizes given do not make a convolution giving grad_output
_NO_PRIMITIVE = ("could not create a primitive descriptor for the convolution forward propagation primitive. Run "
                 "workload with environment variable ONEDNN_VERBOSE=all to get additional diagnostic information.")
_TRANSPOSED = {1: _conv.conv_transpose1d, 2: _conv.conv_transpose2d, 3: _conv.conv_transpose3d}


def _spatial(value, name, dims, weight_dims):
    """``value`` made a tuple for ``dims`` dimensions (_single, _pair, _triple), then fitted to the ``weight_dims``
    spatial dimensions of the weight, as PyTorch's convolution_backward fits it."""
    values = list(value) if isinstance(value, (tuple, list)) else [value] * dims
    if len(values) == 1:
        return values * weight_dims
    if len(values) != weight_dims:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {weight_dims} values to match "
                           f"the convolution dimensions, but got {name}={values}")
    return [int(v) for v in values]


def _checked(dims, input_size, weight_size, grad_output, stride, padding, dilation, groups):
    """(stride, padding, dilation) as lists of ints, one per spatial dimension of the weight, after PyTorch's checks
    that a convolution of an input of ``input_size`` by a weight of ``weight_size`` is valid and gives an output of
    grad_output's size."""
    input_size, weight_size = [int(n) for n in input_size], [int(n) for n in weight_size]
    stride, padding, dilation = (_spatial(v, name, dims, len(weight_size) - 2) for v, name in
                                 ((stride, "stride"), (padding, "padding"), (dilation, "dilation")))
    _check_shape_forward(input_size, weight_size, None, stride, padding, dilation, False, [0] * len(stride), groups)
    output_size = [input_size[0], weight_size[0]] + [
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, s, p, d in zip(input_size[2:], weight_size[2:], stride, padding, dilation)]
    if output_size != list(grad_output.shape):
        raise RuntimeError(_NO_PRIMITIVE)
    return stride, padding, dilation


def _input_gradient(dims, input_size, weight, grad_output, stride, padding, dilation, groups):
    stride, padding, dilation = _checked(dims, input_size, weight.shape, grad_output, stride, padding, dilation,
                                         groups)
    # the output padding that makes the transposed convolution's output the input's size (below the stride)
    output_padding = [n - ((m - 1) * s - 2 * p + d * (k - 1) + 1) for n, m, k, s, p, d in
                      zip(input_size[2:], grad_output.shape[2:], weight.shape[2:], stride, padding, dilation)]
    return _TRANSPOSED[dims](grad_output, weight, None, stride, padding, output_padding, groups, dilation)


def _weight_gradient(dims, input, weight_size, grad_output, stride, padding, dilation, groups):
    stride, padding, dilation = _checked(dims, input.shape, weight_size, grad_output, stride, padding, dilation,
                                         groups)
    # PyTorch's weight is an expanded scalar (all-zero strides, suggesting no layout): the input's layout decides
    layout = _layout(input._data, np.broadcast_to(np.zeros((), input._data.dtype), weight_size), groups)
    if dims == 1:  # as a 2-D convolution of height 1
        input, grad_output = input.unsqueeze(2), grad_output.unsqueeze(2)
        stride, padding, dilation = [1] + stride, [0] + padding, [1] + dilation
    kernel = tuple(weight_size[2:]) if dims != 1 else (1, weight_size[2])
    gradient = _weight_gradient_tensor(input, grad_output, kernel, tuple(stride), tuple((p, p) for p in padding),
                                       tuple(dilation), groups)
    gradient = _graph_gradient_in_layout(gradient, layout)
    return gradient.squeeze(2) if dims == 1 else gradient


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
