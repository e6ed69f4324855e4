"""3-D convolution kernels (cross-correlation, like PyTorch) on NumPy arrays, built on the 2-D ones.

Entry points, with the signatures of their 2-D counterparts in :mod:`.conv`:

* ``conv3d_forward(x, w, stride, padding, dilation, groups, bias=None)``
* ``conv3d_backward(gy, x, w, stride, padding, dilation, groups, input_grad=True, weight_grad=True)``
* ``conv3d_backward_input(gy, w, input_dhw, stride, padding, dilation, groups)``
* ``conv3d_backward_weight(gy, x, kernel_dhw, stride, padding, dilation, groups)``

Shapes: x (N, C, D, H, W), w (O, C // groups, kD, kH, kW), y / gy (N, O, Do, Ho, Wo); ``stride``
and ``dilation`` are (d, h, w) triples, ``padding`` is ((front, back), (top, bottom), (left, right)).
Every function keeps the input dtype.

Output plane ``do`` sees the input planes ``do * sd - front + kd * dd`` for ``kd < kD`` (zero where
that falls in the padding). Stacked as channels, group by group (channel (g, kd, c)), with the output
planes as images, those planes make the 3-D convolution one 2-D convolution of the "depth columns"
(N * Do, groups * kD * C // groups, H, W) with the kernel (O, kD * C // groups, kH, kW). So the 2-D
kernels' choice of algorithm (Winograd, pointwise, gathered GEMMs) and their split over the batch
serve 3-D unchanged, with one GEMM whose inner dimension is the whole kD * C * kH * kW and one write
of the output, where a sum of kD 2-D convolutions (one per kd) would run kD GEMMs kD times smaller
and add kD partial outputs (forward of 4x16x16x32x32 -> 32, 3x3x3, padding 1, 2 threads: 33 ms,
depth columns included, against 54 ms). The depth columns are kD / sd times the input's size; the
input gradient is folded back from the columns' gradient, plane by plane.
"""

import numpy as np

from . import conv as conv2d
from . import conv_nonfinite
from .im2col import conv_output_hw


# --------------------------------------------------------------------------- depth columns


def _depth_taps(size, out, kernel, stride, front, dilation):
    """Per kernel depth offset: (kd, first, end, plane), the output planes first <= do < end whose
    input plane lies inside the input (the others see zero padding), and the input plane of ``first``."""
    taps = []
    for kd in range(kernel):
        offset = kd * dilation - front  # the input plane of output plane 0
        first = max(0, -(offset // stride))  # ceil(-offset / stride)
        end = min(out, (size - 1 - offset) // stride + 1)
        taps.append((kd, first, max(first, end), offset + first * stride))
    return taps


def depth_columns(x, kernel_depth, out_depth, stride, front, dilation, groups):
    """(N * Do, groups * kD * Cg, H, W): image n * Do + do, channel (g, kd, c) is the input plane
    do * stride - front + kd * dilation of channel g * Cg + c (zero outside the input)."""
    N, C, D, H, W = x.shape
    Cg = C // groups
    columns = np.empty((N, out_depth, groups, kernel_depth, Cg, H * W), x.dtype)
    planes = x.reshape(N, groups, Cg, D, H * W)
    for kd, first, end, plane in _depth_taps(D, out_depth, kernel_depth, stride, front, dilation):
        columns[:, :first, :, kd] = 0
        columns[:, end:, :, kd] = 0
        if end > first:
            source = planes[:, :, :, plane:plane + stride * (end - first - 1) + 1:stride]
            columns[:, first:end, :, kd] = source.transpose(0, 3, 1, 2, 4)
    return columns.reshape(N * out_depth, groups * kernel_depth * Cg, H, W)


def fold_depth_columns(columns, batch, input_depth, kernel_depth, stride, front, dilation, groups):
    """The adjoint of depth_columns: (N, C, D, H, W), every column plane added to its input plane."""
    images, channels, H, W = columns.shape
    out_depth, Cg = images // batch if batch else 0, channels // (groups * kernel_depth)  # (an empty batch)
    columns = columns.reshape(batch, out_depth, groups, kernel_depth, Cg, H * W)
    x = np.zeros((batch, groups, Cg, input_depth, H * W), columns.dtype)
    for kd, first, end, plane in _depth_taps(input_depth, out_depth, kernel_depth, stride, front, dilation):
        if end > first:
            target = x[:, :, :, plane:plane + stride * (end - first - 1) + 1:stride]
            target += columns[:, first:end, :, kd].transpose(0, 2, 3, 1, 4)
    return x.reshape(batch, groups * Cg, input_depth, H, W)


def stack_kernel_depth(w):
    """(O, kD * Cg, kH, kW): the kernel of the depth columns, channel (kd, c) within each group."""
    O, Cg, kD, kH, kW = w.shape
    return np.ascontiguousarray(w.transpose(0, 2, 1, 3, 4)).reshape(O, kD * Cg, kH, kW)


def unstack_kernel_depth(w2d, kernel_depth):
    """The inverse of stack_kernel_depth: (O, Cg, kD, kH, kW)."""
    O, channels, kH, kW = w2d.shape
    w = w2d.reshape(O, kernel_depth, channels // kernel_depth, kH, kW).transpose(0, 2, 1, 3, 4)
    return np.ascontiguousarray(w)


def depth_into_batch(y):
    """(N * D, C, H, W) from (N, C, D, H, W): every depth plane an image, as in the depth columns."""
    N, C, D, H, W = y.shape
    return np.ascontiguousarray(y.transpose(0, 2, 1, 3, 4)).reshape(N * D, C, H, W)


def batch_into_depth(y2d, batch):
    """(N, C, D, H, W) from the (N * D, C, H, W) of depth_into_batch."""
    images, C, H, W = y2d.shape
    return np.ascontiguousarray(y2d.reshape(batch, images // batch, C, H, W).transpose(0, 2, 1, 3, 4))


# --------------------------------------------------------------------------- depth-free convolutions


def _is_depth_free(kernel_dhw, stride, padding):
    """Neither depth nor height is convolved (kernel 1, stride 1, no padding in both, e.g. a 1x1x1
    kernel): the convolution is a 2-D one over a height of D * H, with no copy of anything."""
    return (tuple(kernel_dhw[:2]) == (1, 1) and tuple(stride[:2]) == (1, 1)
            and not any(padding[0]) and not any(padding[1]))


def _planar(array):
    """(N, C, D * H, W): an (N, C, D, H, W) array's depth and height as one height."""
    N, C, D, H, W = array.shape
    return array.reshape(N, C, D * H, W)


def _planar_args(stride, padding, dilation):
    """The 2-D (stride, padding, dilation) of a depth-free convolution."""
    return (1, stride[2]), ((0, 0), tuple(padding[2])), (1, dilation[2])


def _planar_kernel(w):
    O, Cg, kD, kH, kW = w.shape
    return w.reshape(O, Cg, 1, kW)


# --------------------------------------------------------------------------- entry points


def conv3d_forward(x, w, stride, padding, dilation, groups, bias=None, skipped_padding=None):
    """y (N, O, Do, Ho, Wo) = conv(x (N, C, D, H, W), w (O, C // groups, kD, kH, kW)) [+ bias (O,)];
    ``skipped_padding`` as conv2d_forward's."""
    N, _, D, H, W = x.shape
    kernel = w.shape[2:]
    out = conv_output_hw((D, H, W), kernel, stride, padding, dilation)  # any number of dimensions: (Do, Ho, Wo)
    if _is_depth_free(kernel, stride, padding):
        y = conv2d.conv2d_forward(_planar(x), _planar_kernel(w), *_planar_args(stride, padding, dilation), groups,
                                  bias=bias)
        y = y.reshape(N, w.shape[0], *out)
    else:
        columns = depth_columns(x, kernel[0], out[0], stride[0], padding[0][0], dilation[0], groups)
        y = batch_into_depth(conv2d.conv2d_forward(columns, stack_kernel_depth(w), stride[1:], padding[1:],
                                                   dilation[1:], groups, bias=bias), N)
    if not np.isfinite(w).all():  # (the depth columns' zero planes are multiplied: see conv_nonfinite)
        exact = conv_nonfinite.forward(x, w, stride, padding, dilation, groups, skipped_padding)
        if bias is not None:
            exact += bias.astype(exact.dtype, copy=False).reshape(1, -1, 1, 1, 1)
        y = conv_nonfinite.where_not_finite(y, exact)
    return y


def conv3d_backward(gy, x, w, stride, padding, dilation, groups, input_grad=True, weight_grad=True,
                    skipped_padding=None, meanwhile=None):
    """(gx or None, gw or None): the gradients of a convolution w.r.t. its input and its weight; ``meanwhile``,
    the caller's independent work, runs first."""
    if meanwhile is not None:
        meanwhile()
    N, _, D, H, W = x.shape
    kernel = w.shape[2:]
    if _is_depth_free(kernel, stride, padding):
        gx, gw = conv2d.conv2d_backward(_planar(gy), _planar(x), _planar_kernel(w),
                                        *_planar_args(stride, padding, dilation), groups, input_grad=input_grad,
                                        weight_grad=weight_grad)
        gw = None if gw is None else _exact_where_not_finite(gw.reshape(w.shape), gy, x, stride, padding, dilation,
                                                             groups, skipped_padding)
        return (None if gx is None else gx.reshape(x.shape)), gw
    args = stride[1:], padding[1:], dilation[1:], groups
    depth = kernel[0], stride[0], padding[0][0], dilation[0], groups
    gy2d, w2d = depth_into_batch(gy), stack_kernel_depth(w)
    if weight_grad:
        columns = depth_columns(x, kernel[0], gy.shape[2], *depth[1:])
        gcolumns, gw2d = conv2d.conv2d_backward(gy2d, columns, w2d, *args, input_grad=input_grad, weight_grad=True)
    else:
        gcolumns, gw2d = conv2d.conv2d_backward_input(gy2d, w2d, (H, W), *args), None
    gx = None if gcolumns is None else fold_depth_columns(gcolumns, N, D, *depth)
    gw = None if gw2d is None else _exact_where_not_finite(unstack_kernel_depth(gw2d, kernel[0]), gy, x, stride,
                                                           padding, dilation, groups, skipped_padding)
    return gx, gw


def conv3d_backward_input(gy, w, input_dhw, stride, padding, dilation, groups):
    """Gradient gx (N, C, D, H, W) w.r.t. the input, given gy (N, O, Do, Ho, Wo) and input_dhw = (D, H, W)."""
    N = gy.shape[0]
    kernel = w.shape[2:]
    if _is_depth_free(kernel, stride, padding):
        D, H, W = input_dhw
        gx = conv2d.conv2d_backward_input(_planar(gy), _planar_kernel(w), (D * H, W),
                                          *_planar_args(stride, padding, dilation), groups)
        return gx.reshape(N, w.shape[1] * groups, D, H, W)  # (not -1: an empty batch has nothing to infer from)
    gcolumns = conv2d.conv2d_backward_input(depth_into_batch(gy), stack_kernel_depth(w), input_dhw[1:], stride[1:],
                                            padding[1:], dilation[1:], groups)
    return fold_depth_columns(gcolumns, N, input_dhw[0], kernel[0], stride[0], padding[0][0], dilation[0], groups)


def conv3d_backward_weight(gy, x, kernel_dhw, stride, padding, dilation, groups, skipped_padding=None):
    """Gradient gw (O, C // groups, kD, kH, kW) w.r.t. the weight, given gy (N, O, Do, Ho, Wo) and x (N, C, D, H, W);
    ``skipped_padding`` as conv2d_forward's."""
    O = gy.shape[1]
    if _is_depth_free(kernel_dhw, stride, padding):
        gw = conv2d.conv2d_backward_weight(_planar(gy), _planar(x), (1, kernel_dhw[2]),
                                           *_planar_args(stride, padding, dilation), groups)
        gw = gw.reshape(O, -1, *kernel_dhw)
    else:
        columns = depth_columns(x, kernel_dhw[0], gy.shape[2], stride[0], padding[0][0], dilation[0], groups)
        gw2d = conv2d.conv2d_backward_weight(depth_into_batch(gy), columns, kernel_dhw[1:], stride[1:], padding[1:],
                                             dilation[1:], groups)
        gw = unstack_kernel_depth(gw2d, kernel_dhw[0])
    return _exact_where_not_finite(gw, gy, x, stride, padding, dilation, groups, skipped_padding)


def _exact_where_not_finite(gw, gy, x, stride, padding, dilation, groups, skipped_padding):
    """A weight gradient ``gw`` with its infinite or NaN cells as PyTorch's (the depth columns' zero planes and
    the 2-D kernels' padding are multiplied, the backend may skip them: see conv_nonfinite)."""
    if np.isfinite(gw).all():
        return gw
    exact = conv_nonfinite.backward_weight(gy, x, gw.shape[2:], stride, padding, dilation, groups, skipped_padding)
    return conv_nonfinite.where_not_finite(gw, exact)
