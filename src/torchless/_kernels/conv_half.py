"""Half-precision convolution kernels rounding where PyTorch's reference CPU kernels round.

Without half-precision arithmetic in the CPU (AVX-512 FP16), PyTorch convolves float16 tensors with its
reference kernels (slow_conv2d, slow_conv3d, slow_conv_dilated, slow_conv_transpose), which keep their
intermediate arrays in half: each GEMM sums in float32 and rounds what it stores. That rounds

- the adjoint of a convolution (the input's gradient, a transposed convolution's output) once per kernel
  tap: the column matrix is rounded, then col2im adds the taps one after another into the half image;
- a weight's gradient (and a dilated convolution's bias gradient) once per batch element, which the
  kernels accumulate in the half result one sample at a time.

A convolution's output and the other gradients come from one GEMM or sum, rounded once as by the float32
kernels. Shapes follow PyTorch: x (N, C, *spatial), w (O, C // groups, *kernel), y (N, O, *out).
"""
import itertools

import numpy as np


def col2im(y, w, in_spatial, stride, padding, dilation, groups, taps_reversed=False):
    """The adjoint of the convolution by ``w`` applied to ``y`` (N, O, *out): a (N, C, *in_spatial) half array
    (C = w.shape[1] * groups), each tap's column (its products summed in float32) rounded to half, then added
    into the image tap after tap and rounded again. ``padding`` holds (before, after) pairs.

    The taps come in (d, h, w) order, reversed for a channels-last image: that col2im walks the output's pixels
    in order, each adding its taps, so an image pixel gets those of the later output pixels (lower taps) last."""
    n, out_channels = y.shape[:2]
    out_spatial, kernel, group_channels = y.shape[2:], w.shape[2:], w.shape[1]
    y = y.reshape(n, groups, out_channels // groups, *out_spatial).astype(np.float32, copy=False)
    w = w.reshape(groups, out_channels // groups, group_channels, *kernel).astype(np.float32, copy=False)
    padded = tuple(size + before + after for size, (before, after) in zip(in_spatial, padding))
    image = np.zeros((n, groups, group_channels) + padded, np.float16)
    taps = list(itertools.product(*map(range, kernel)))
    for tap in reversed(taps) if taps_reversed else taps:
        column = np.einsum("ngo...,goc->ngc...", y, w[(Ellipsis,) + tap]).astype(np.float16)
        cells = tuple(slice(t * d, t * d + s * (m - 1) + 1, s)
                      for t, d, s, m in zip(tap, dilation, stride, out_spatial))
        target = image[(Ellipsis,) + cells]  # (cut short where the padded image ends: those taps land nowhere)
        column = column[(Ellipsis,) + tuple(slice(0, size) for size in target.shape[3:])]
        target[...] = target.astype(np.float32) + column
    inside = tuple(slice(before, before + size) for size, (before, _) in zip(in_spatial, padding))
    return np.ascontiguousarray(image[(Ellipsis,) + inside]).reshape((n, groups * group_channels) + tuple(in_spatial))


def summed_per_sample(per_sample, batch):
    """sum(per_sample(i) for i in range(batch)) accumulated in half: each float32 term added to the half sum,
    the result rounded, sample after sample."""
    total = None
    for index in range(batch):
        term = per_sample(index)
        total = term.astype(np.float16) if total is None else (total.astype(np.float32) + term).astype(np.float16)
    return total
