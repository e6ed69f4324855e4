"""2-D convolution kernels (cross-correlation, like PyTorch) on NumPy arrays.

Public entry points, called by the autograd layer with validated, normalised
arguments:

* ``conv2d_forward(x, w, stride, padding, dilation, groups)``
* ``conv2d_backward_input(gy, w, input_hw, stride, padding, dilation, groups)``
* ``conv2d_backward_weight(gy, x, kernel_hw, stride, padding, dilation, groups)``

Shapes: x (N, C, H, W), w (O, C // groups, kH, kW), y / gy (N, O, Ho, Wo);
``stride`` and ``dilation`` are (h, w) pairs, ``padding`` is
((top, bottom), (left, right)).  Every function keeps the input dtype and is
deterministic.

Each entry point picks an algorithm with a ``choose_*`` rule; every algorithm
is also reachable on its own through the ``FORWARD``, ``BACKWARD_INPUT`` and
``BACKWARD_WEIGHT`` tables (name -> Algorithm), or by passing
``algorithm=<name>`` to the entry points.  The entry points also handle empty
arrays (e.g. an empty batch) and keep integer inputs exact (no Winograd); the
algorithms themselves assume non-empty floating-point inputs.
"""

import contextlib
import functools
from typing import Callable, NamedTuple

import numpy as np

from . import blas, conv_nonfinite, gather, im2col, parallel, winograd
from .blas import matmul
from .im2col import (
    conv_output_hw,
    conv2d_backward_input_im2col,
    conv2d_backward_input_rowstack_rows,
    conv2d_backward_weight_im2col,
    conv2d_backward_weight_rowstack,
    conv2d_forward_im2col,
    conv2d_forward_rowstack,
    conv2d_forward_rowstack_blocked,
    conv2d_forward_unfused,
    rowstack_rows_image_bytes,
)


class Algorithm(NamedTuple):
    """A forward's run also takes ``out=`` (a C-contiguous result of x's dtype, e.g. a split call's part
    of the whole result, written in place of a copy) and ``bias=`` (added on the way, in no pass of its
    own where the algorithm allows)."""

    applies: Callable   # same arguments as run, but array shapes instead of arrays -> bool
    run: Callable       # same signature as the matching public entry point


def _always(*shapes_and_arguments):
    return True


def _forward_stride_one(x_shape, w_shape, stride, padding, dilation, groups):
    return tuple(stride) == (1, 1)


def _backward_weight_stride_one(gy_shape, x_shape, kernel_hw, stride, padding, dilation, groups):
    return tuple(stride) == (1, 1)


# --------------------------------------------------------------------------- 1x1 convolution as a GEMM


def _is_pointwise(kernel_hw, stride, padding):
    """1x1 kernel, stride 1, no padding: the convolution is a plain matrix product per image."""
    return tuple(kernel_hw) == (1, 1) and tuple(stride) == (1, 1) and not any(p for side in padding for p in side)


def conv2d_forward_pointwise(x, w, stride, padding, dilation, groups, out=None, bias=None):
    """1x1 stride-1 unpadded convolution: y[n] = w (O, C) @ x[n] (C, H*W) [+ bias], with no copy of x."""
    N, C, H, W = x.shape
    O = w.shape[0]
    w_groups = w.reshape(groups, O // groups, C // groups)
    y = np.empty((N, O, H, W), np.result_type(x, w)) if out is None else out
    matmul(w_groups, x.reshape(N, groups, C // groups, H * W), out=y.reshape(N, groups, O // groups, H * W))
    return y if bias is None else _add_bias(y, bias)


def conv2d_backward_input_pointwise(gy, w, input_hw, stride, padding, dilation, groups):
    """Input gradient (N, C, H, W) of the 1x1 convolution: w^T @ gy[n]."""
    N, O, H, W = gy.shape
    Cg = w.shape[1]
    w_groups = w.reshape(groups, O // groups, Cg).transpose(0, 2, 1)
    gx = matmul(w_groups, gy.reshape(N, groups, O // groups, H * W))
    return gx.reshape(N, groups * Cg, H, W)


def conv2d_backward_weight_pointwise(gy, x, kernel_hw, stride, padding, dilation, groups):
    """Weight gradient (O, C // groups, 1, 1) of the 1x1 convolution: sum over n of gy[n] @ x[n]^T."""
    N, O, H, W = gy.shape
    C = x.shape[1]
    per_image = matmul(gy.reshape(N, groups, O // groups, H * W),
                       x.reshape(N, groups, C // groups, H * W).transpose(0, 1, 3, 2))
    return per_image.sum(axis=0).reshape(O, C // groups, 1, 1)


# --------------------------------------------------------------------------- Winograd adapters


def _winograd_forward(tile):
    def run(x, w, stride, padding, dilation, groups, out=None, bias=None):
        return winograd.conv2d_forward_winograd(x, w, padding, tile, out, bias)
    return run


def _winograd_backward_weight(tile):
    def run(gy, x, kernel_hw, stride, padding, dilation, groups):
        return winograd.conv2d_backward_weight_winograd(gy, x, padding, tile)
    return run


def _winograd_forward_applies(x_shape, w_shape, stride, padding, dilation, groups):
    return winograd.supports(w_shape[2:], stride, dilation, groups)


def _winograd_backward_weight_applies(gy_shape, x_shape, kernel_hw, stride, padding, dilation, groups):
    return winograd.supports(kernel_hw, stride, dilation, groups)


# --------------------------------------------------------------------------- input gradient as a forward convolution


def flipped_padding(out_hw, input_hw, kernel_hw, padding, dilation):
    """Padding of gy with which the flipped-kernel convolution yields exactly input_hw, or None if
    some side would need negative padding (padding > span - 1)."""
    result = []
    for out, size, k, (before, _), d in zip(out_hw, input_hw, kernel_hw, padding, dilation):
        span = d * (k - 1) + 1
        lead = span - 1 - before
        trail = size + span - 1 - out - lead
        if lead < 0 or trail < 0:
            return None
        result.append((lead, trail))
    return tuple(result)


def flip_kernel(w, groups):
    """(C, O // groups, kH, kW) kernel of the adjoint convolution: spatially flipped, channels transposed."""
    O, Cg, kH, kW = w.shape
    Og = O // groups
    flipped = w[:, :, ::-1, ::-1].reshape(groups, Og, Cg, kH, kW).transpose(0, 2, 1, 3, 4)
    return np.ascontiguousarray(flipped).reshape(groups * Cg, Og, kH, kW)


# An input gradient by the flipped convolution's stacked rows runs them in cache-sized blocks of positions
# (im2col.conv2d_forward_rowstack_blocked: the same bits). One thread, thread CPU time, blocks of 3-4 MiB, paired
# medians, blocked / whole, gy -> gx: the classic MNIST CNN's 32x64x24x24 -> 32x26x26 0.89-0.93, 32x32x28x28 -> 16
# 0.81-0.85, 32x32x28x28 -> 24 0.83-0.90, 8x16x32x32 -> 10 5x5 0.93-1.02, 4x32x64x64 -> 16 7x7 0.87-0.94,
# 32x64x26x26 -> 32 0.86-0.92, 4x32x64x64 -> 32 7x7 0.97-1.00; the MNIST CNN's convolution backward (both
# gradients, 64 images on 2 threads, process CPU time) 0.94.
FLIPPED_ROWSTACK_IN_BLOCKS = True
# On an Intel Xeon with AVX512-FP16 (blas.XEON_AVX512_FP16) the forward gains from the blocks too where the whole
# kernel's columns and partial sums ((Cg*kW + kH*Og) * groups rows of N*Hp*Wp positions) outgrow the cache and the
# rows are few: blocked / whole, 10 fresh processes alternating, paired medians of thread CPU time on one thread
# (whole batch) | process CPU time on 2 threads (split over the batch: the rule sees a shard); rows, MiB of a
# shard: 8x64x56x56->64 (384, 19.7) 0.905 | 0.956, 8x32x64x64->32 7x7 (448, 33.5) 0.935 | 0.980, 8x16x64x64->16
# 7x7 (224, 16.7) 0.815 | 0.828, 16x16x32x32->32 5x5 (240, 9.5) 0.896 | 0.911, 8x24x64x64->24 5x5 (240, 16.9)
# 0.892 | 0.865, 8x32x56x56->32 (192, 9.9) 0.922 | 0.948, 32x32x28x28->32 (192, 10.5) 0.886 | 0.920,
# 4x32x80x80->32 (192, 9.8) 0.907 | 0.935, 16x24x32x32->24 7x7 (336, 14.8) 0.898 | 0.952. Smaller shards gain on
# one thread (where the whole batch is one call) but hardly split: 8x48x40x40->48 (288, 7.8) 0.953 | 0.981,
# 16x32x32x32->32 (192, 6.8) 0.951 | 0.970, 16x32x28x28->32 (192, 5.3) 0.901 | 0.994, 4x48x40x40->48 (288, 3.9)
# 1.002 | 0.973, 8x64x28x28->64 dilation 2 (384, 6.0) 1.006 | 1.029, 2x64x56x56->32 groups 2 dilation 2 (288, 4.0)
# 0.934 | 1.010. More rows lose: 2x32x56x56->64 5x5 (480) 1.045 | 1.012, 8x96x28x28->96 5x5 (960) 1.082 | 1.065,
# 4x128x28x28->64 (576) 1.008 | 0.990. One image runs whole with BLAS on both cores, where the blocks' thinner
# products lose: 1x64x112x112->64 0.957 | 1.029, 1x32x112x112->32 7x7 0.971 | 1.018.
XEON_ROWSTACK_BLOCKED_MAX_ROWS = 448
XEON_ROWSTACK_BLOCKED_MIN_BYTES = 8 * 2**20


def _flipped_applies(gy_shape, w_shape, input_hw, stride, padding, dilation, groups):
    if tuple(stride) != (1, 1):
        return False
    return flipped_padding(gy_shape[2:], input_hw, w_shape[2:], padding, dilation) is not None


def conv2d_backward_input_flipped(gy, w, input_hw, stride, padding, dilation, groups, forward_algorithm=None,
                                  out=None):
    """Input gradient (N, C, H, W) of a stride-1 convolution, computed as a forward convolution.

    The adjoint of a stride-1 correlation is the correlation of gy with the
    flipped, channel-transposed kernel (padding span - 1 - padding), so every
    forward algorithm, Winograd included, serves the backward pass too. Chosen
    by itself, a float32 one whose flipped forward takes stacked rows skips the
    padding around gy (see _rows_only_apply).

    ``out``, a C-contiguous (N, C, H, W) array of the result's dtype, receives gx when given (a split
    call's part of the whole gradient, written by the forward's last pass instead of copied there);
    the forward then runs whole, as it does inside a shard anyway.
    """
    full_padding = flipped_padding(gy.shape[2:], input_hw, w.shape[2:], padding, dilation)
    flipped = flip_kernel(w, groups)
    if forward_algorithm is None:
        forward_algorithm = _forward_algorithm(gy.shape, flipped.shape, (1, 1), full_padding, dilation, groups,
                                               gy.dtype, _float32_precision[0])
        if forward_algorithm.startswith("rowstack") and _rows_only_apply(gy, w, input_hw, groups):
            return conv2d_backward_input_rowstack_rows(gy, w, input_hw, padding, dilation, groups, out)
        if forward_algorithm == "rowstack" and FLIPPED_ROWSTACK_IN_BLOCKS:
            forward_algorithm = "rowstack_blocked"
    if out is not None:
        return _forward_whole(gy, flipped, (1, 1), full_padding, dilation, groups, forward_algorithm, out=out)
    return conv2d_forward(gy, flipped, (1, 1), full_padding, dilation, groups, algorithm=forward_algorithm)


def _rows_only_apply(gy, w, input_hw, groups):
    """Whether a flipped input gradient by stacked rows skips the padding around gy (im2col.conv2d_backward_input_
    rowstack_rows): float32, one group (several were not timed), a finite weight (an inf or NaN one meets the
    padding's zeros in PyTorch's products: see conv_nonfinite), one image's block not too large for it
    (im2col.ROWSTACK_ROWS_MAX_IMAGE_BYTES)."""
    return (gy.dtype == np.float32 and w.dtype == np.float32 and groups == 1
            and rowstack_rows_image_bytes(gy.shape, w.shape, input_hw[1], groups, 4)
            <= im2col.ROWSTACK_ROWS_MAX_IMAGE_BYTES and _all_finite(w))


# --------------------------------------------------------------------------- algorithm tables

FORWARD = {
    "im2col": Algorithm(_always, conv2d_forward_im2col),
    "gather": Algorithm(_always, gather.conv2d_forward_gather),
    "rowstack": Algorithm(_forward_stride_one, conv2d_forward_rowstack),
    "rowstack_blocked": Algorithm(_forward_stride_one, conv2d_forward_rowstack_blocked),
    "pointwise": Algorithm(lambda x_shape, w_shape, stride, padding, dilation, groups:
                           _is_pointwise(w_shape[2:], stride, padding), conv2d_forward_pointwise),
    "winograd2": Algorithm(_winograd_forward_applies, _winograd_forward(2)),
    "winograd4": Algorithm(_winograd_forward_applies, _winograd_forward(4)),
    # never chosen by the rules: asked for where PyTorch's result has its roundings (see im2col)
    "unfused": Algorithm(_always, conv2d_forward_unfused),
}

BACKWARD_INPUT = {
    "col2im": Algorithm(_always, conv2d_backward_input_im2col),
    "flipped": Algorithm(_flipped_applies, conv2d_backward_input_flipped),
    "pointwise": Algorithm(lambda gy_shape, w_shape, input_hw, stride, padding, dilation, groups:
                           _is_pointwise(w_shape[2:], stride, padding) and tuple(gy_shape[2:]) == tuple(input_hw),
                           conv2d_backward_input_pointwise),
}

BACKWARD_WEIGHT = {
    "im2col": Algorithm(_always, conv2d_backward_weight_im2col),
    "gather": Algorithm(_always, gather.conv2d_backward_weight_gather),
    "rowstack": Algorithm(_backward_weight_stride_one, conv2d_backward_weight_rowstack),
    "pointwise": Algorithm(lambda gy_shape, x_shape, kernel_hw, stride, padding, dilation, groups:
                           _is_pointwise(kernel_hw, stride, padding), conv2d_backward_weight_pointwise),
    "winograd2": Algorithm(_winograd_backward_weight_applies, _winograd_backward_weight(2)),
    "winograd4": Algorithm(_winograd_backward_weight_applies, _winograd_backward_weight(4)),
}


# --------------------------------------------------------------------------- dispatch rules
# Thresholds measured with benchmarks/conv_kernels.py --algorithms (2 threads, wall clock).
# BLAS runs on both cores but NumPy's elementwise passes on one, so GEMM-heavy algorithms
# scale better than their single-thread timings suggest.

# Winograd (rows-columns-(N*C) layout, transforms in BLAS) beats rowstack and im2col once the
# per-pixel GEMM has a few hundred channel pairs and there are enough tiles to amortise the kernel
# transform, which costs about as much as the GEMM over ~20 tiles.  Measured with 1 thread, CPU
# time (benchmarks/conv_kernels.py --threads 1 --clock cpu, and per-shape sweeps), forward / weight
# gradient in ms:  64x16x14x14->16  rowstack 1.18 / 1.56, F4 1.01 / 0.96;
# 64x8x28x28->16  rowstack 2.76 / 4.57, F4 3.40 / 2.59 (hence the lower weight-gradient bound);
# 4x64x14x14->64 (64 F4 tiles)  im2col 0.85 / 1.03, F4 0.45 / 0.47;
# 2x128x7x7->128 (8 F4 / 32 F2 tiles)  im2col 0.46 / 0.51, F2 0.48 / 0.52, F4 0.65 / 0.73;
# 1x256x14x14->256 (16 F4 / 49 F2 tiles)  im2col 2.81 / 2.91, F2 2.49 / 3.11, F4 3.70 / 3.94.
WINOGRAD_MIN_CHANNEL_PRODUCT = 16 * 32
WINOGRAD_WEIGHT_MIN_CHANNEL_PRODUCT = 8 * 16
WINOGRAD_MIN_CHANNELS = 4
# An Intel Xeon with AVX512-FP16 (Sapphire Rapids and later; blas.XEON_AVX512_FP16) runs F(2x2)'s
# per-position products of few channels slowly: there its forward (and with it the input gradient as a
# flipped forward) loses until both channel counts reach 64. Time / the fastest algorithm's, interleaved,
# 2 cores, F(2x2) against gathered columns, stacked rows and col2im: forward 8x32x56x56->32 1.12-1.22,
# 32x48x28x28->48 1.08-1.11, 16x32x32x32->64 1.79-1.83, 64x32x26x26->64 1.28-1.44; input gradient
# 64x32x26x26->64 1.35, 16x32x32x32->64 1.51. From 64 channels on it is the fastest or close:
# 16x64x28x28->64, 32x64x14x14->64, 8x128x28x28->128, 16x128x28x28->128, 4x256x14x14->256 1.00,
# 8x64x56x56->64 1.17. Its weight gradient measured mixed there (with 32 channels 1.00 against gathered
# columns' 1.12-1.36 on 14x14 to 28x28 planes, but 1.08-1.22 on 64x32x26x26->64, 16x32x32x32->64 and
# 8x32x56x56->32), so it keeps the general rule, as does F(4x4) (below the highest float32 precision),
# which was the fastest forward there (64x32x26x26->64 9.3 ms, gathered columns 11.0, F(2x2) 14.5).
XEON_WINOGRAD2_MIN_CHANNELS = 64
# There, too, F(2x2) loses on large planes in large batches with fewer than 128 channels, in the forward and
# both gradients (its transposition to the tile layout runs out of cache): interleaved medians, ms, 2 cores, F(2x2) /
# stacked rows / gathered columns, forward; weight gradient F(2x2) / gathered columns: 8x64x40x40->64 6.2 /
# 5.9 / 6.1; 8x64x48x48->64 9.5 / 8.8 / 9.0; 8x64x56x56->64 13.1-13.8 / 11.5-12.0 / 10.6-10.9, 12.4 / 11.5;
# ->128 21.7 / 20.5 / 17.2, 23.2 / 18.9; 16x64x56x56->64 27.5 / 24.8 / 21.1, 29.4 / 23.3; 8x64x64x64->64
# 21.7-23.2 / 15.4 / 15.3-16.5, 18.0 / 14.9; 4x64x80x80->64 13.8 / 11.7 / 12.4; 2x64x112x112->64 12.4 /
# 11.5 / 14.6, 11.9 / 10.5; 8x96x56x56->96 22.8 / 21.9 / 20.5, 22.8 / 21.9; 4x96x64x64->96 15.3 / 13.8 /
# 14.5, 15.9 / 14.3 (but 4x64x56x56->64's weight gradient 5.6 / 5.8). From 128 channels it wins or ties
# there: 4x128x56x56->128 16.6 / 18.6 / 18.7, 15.8 / 18.4; 2x128x112x112->128 31.7 / 35.3 / 42.5, 32.5 /
# 32.9; 8x128x56x56->128 33.1 / 35.8 / 33.8, 36.1 / 34.4. Below 40x40 planes the rule above holds
# (16x64x28x28->64 5.7 / 5.9 / 6.5, 5.6 / 7.7; 16x64x36x36->64 9.2 / 9.7 / 10.4, 9.1 / 11.6), and so it
# does with fewer tiles: on 4x64x56x56->64 (3136 tiles) the stacked rows' forward gains 5% but the gradients
# lose 11% (gathered columns) and 15% (col2im). Forward, input gradient and weight gradient, F(2x2)
# against the algorithms chosen without it, ms: 8x64x56x56->64 13.8 / 13.6 / 14.4 vs 12.7 / 12.5 / 12.3;
# 8x64x64x64->64 25.9 / 27.3 / 21.6 vs 15.8 / 15.9 / 15.7; 2x64x112x112->64 12.7 / 12.6 / 11.4 vs
# 11.6 / 11.8 / 10.6; 8x96x56x56->96 23.3 / 24.1 / 24.1 vs 23.0 / 23.4 / 23.3.
XEON_WINOGRAD2_LARGE_PLANE = 40 * 40
# Tiles of one call: a split call's shard (half the batch on 2 cores; see conv2d_forward) counts its own.
XEON_WINOGRAD2_MANY_TILES = 4 * 28 * 28
XEON_WINOGRAD2_LARGE_PLANE_MIN_CHANNELS = 128
# Tiles = N * ceil(Ho / m) * ceil(Wo / m).  F(4x4) needs fewer multiplications; F(2x2) has a
# 2.25x smaller kernel transform, which is what counts when there are few tiles.
WINOGRAD_4X4_MIN_TILES = 32
WINOGRAD_2X2_MIN_TILES = 64
# Stacking kernel rows in the GEMM beats full im2col once there are enough output pixels
# to amortise its shifted additions (forward) or enough channels (weight gradient).
ROWSTACK_MIN_PIXELS = 1024
ROWSTACK_WEIGHT_MIN_CHANNEL_PRODUCT = 32 * 32
LARGE_KERNEL_AREA = 25
# The input gradient as a forward convolution (instead of GEMM + col2im scatter) pays off
# for the fast forward paths and for large problems.
FLIPPED_MIN_PIXELS = 16384
# On an Intel Xeon with AVX512-FP16 (blas.XEON_AVX512_FP16), where the flipped stacked rows run in blocks (see
# FLIPPED_ROWSTACK_IN_BLOCKS), they beat col2im below that too, wherever the forward would take them and
# _stacked_rows_flip_pays: one thread, thread CPU time, interleaved medians, ms, col2im / flipped, gy -> gx:
# 4x64x56x56 -> 64 (a shard of the benchmark's 8x64x56x56->64) 14.81-17.05 / 11.59-13.55, 32x64x14x14 -> 32
# (of 64x32x14x14->64) 3.68-5.10 / 3.61-4.54, 16x64x28x28 -> 32 7.33-9.43 / 6.73-7.99, 4x32x56x56 -> 32 6.35-7.18 /
# 4.51-5.28, 8x64x32x32 -> 32 5.50-6.33 / 5.17-5.64, 64x32x14x14 -> 16 3.85-3.92 / 3.45-3.57, 2x64x56x56 -> 32
# 3.88-4.33 / 3.84-4.02, 16x32x28x28 -> 16 3.75-3.96 / 3.37-3.78; a tie: 32x64x12x12 -> 32 3.80-3.92 / 3.64-4.04.
XEON_FLIPPED_ANY_PIXELS = True
# ... but not by stacked rows into one or two input channels, whose GEMM then has only kH or 2 kH
# rows. Input gradient, us, col2im / flipped by stacked rows (interleaved medians, 2 cores):
# 1 channel: 64x1x28x28->5 806 / 1393, ->8 605 / 1149, ->32 4240 / 5351, 8x1x64x64->32 7x7 3231 /
# 6622, 16x1x32x32->16 5x5 640 / 814; 2 channels: 64x2x28x28->5 900 / 820, ->16 1988 / 2227,
# 16x2x56x56->32 3700 / 4367, 8x2x64x64->32 7x7 5830 / 7024; 3 and more: 64x3x28x28->16
# 4396 / 3320, 64x8x28x28->16 5468 / 3981, 8x32x56x56->32 10789 / 6454.
ROWSTACK_FLIPPED_MIN_CHANNELS = 3
# On an Intel Xeon with AVX512-FP16 (blas.XEON_AVX512_FP16) col2im measured faster well past that (one thread,
# thread CPU time, interleaved medians, ms, col2im / flipped by stacked rows, gy -> gx, 3x3: 64x3x28x28->16 2.21 /
# 3.86, 8x3x64x64->32 2.15 / 3.97, 64x8x28x28->32 6.88 / 10.14, 64x12x28x28->32 11.10 / 11.81, 32x16x28x28->64
# 8.84 / 11.38, 32x20x28x28->64 12.52 / 13.98; a tie: 16x24x56x56->64 28.54 / 28.14). The flipped convolution's
# extra passes (gy's kW shifted copies and the kH stacked rows' additions, Og*kW + Cg*kH rows of pixels) against
# col2im's (its Cg*kH*kW product rows scattered) predict all of them, and where the flipped one wins, equal counts
# included: 64x16x28x28->32 15.65 / 14.73, the classic MNIST CNN's 32x32x26x26->64 unpadded (a shard of its batch
# of 64) 15.8-15.9 / 14.4-14.5, 64x20x28x28->32 19.50 / 16.39, 64x24x28x28->32 22.69 / 17.63, 8x32x56x56->32
# 13.41 / 9.56, 5x5: 16x10x32x32->16 4.62 / 3.54, 64x12x28x28->32 31.01 / 23.23 (but 16x6x32x32->16 2.46 / 2.62),
# 7x7: 8x8x64x64->32 20.57 / 16.76, 8x16x64x64->32 42.13 / 24.78 (but 8x4x64x64->32 10.41 / 13.63, 16x8x32x32->32
# 8.71 / 8.95).
# Gathered columns serve the flipped convolution of an input gradient into at least this many channels per
# group (the flipped GEMM's rows) better than col2im's scatter, at any size: harness A/B, flipped / col2im,
# gy -> gx: 64x16x28x28 -> 8 0.64, 64x4x28x28 -> 16 0.30, 64x8x28x28 -> 8 0.56, 16x6x56x56 -> 12 0.35,
# 8x16x64x64 -> 16 0.47, 8x16x14x14 -> 8 0.88, 1x16x28x28 -> 16 0.68; into fewer it loses: -> 3 2.61,
# -> 4 1.34, -> 6 1.04, -> 7 1.07.
GATHER_FLIPPED_MIN_CHANNELS = 8
# On an Intel Xeon with AVX512-FP16 (blas.XEON_AVX512_FP16), where the flipped convolution of a 'same'-padded layer
# gathers its columns from one copy of gy (see gather.GatherPlan), from 4 channels on: one thread, thread CPU time,
# interleaved medians, ms, flipped by gathered columns / col2im, gy -> gx: 64x10x14x14 -> 5 (the course CNN's)
# 0.49-0.53 / 0.57-0.60, 64x8x14x14 -> 4 0.33 / 0.39, 64x12x14x14 -> 6 0.58 / 0.81, 64x16x14x14 -> 5 0.67 / 0.81,
# 64x10x28x28 -> 5 1.87 / 2.34, 16x10x28x28 -> 5 0.46 / 0.51, 64x5x14x14 -> 5 0.24 / 0.43 (32x10x14x14 -> 5 0.295 /
# 0.294); into 3 or 2 it loses: 64x10x14x14 -> 3 0.46 / 0.37, 64x16x28x28 -> 3 2.52 / 1.62, 64x10x14x14 -> 2 0.41 /
# 0.29.
XEON_GATHER_FLIPPED_MIN_CHANNELS = 4
# ... and up to this many taps of the flipped kernel (C_out/groups * kH * kW, the flipped columns' rows): past
# them its per-image products are long and thin (few pixels) and col2im's one GEMM wins (interleaved medians,
# ms, flipped by gathered columns / col2im, gy -> gx, taps: 1x64x14x14 -> 64 (576) 0.23 / 0.27,
# 1x64x28x28 -> 64 (576) 0.85 / 0.88, 1x128x28x28 -> 64 (576) 1.13 / 1.16; 1x128x14x14 -> 128 (1152) 0.85 / 0.83,
# 1x256x7x7 -> 256 (2304) 1.27 / 0.77, 1x256x14x14 -> 256 (2304) 2.75 / 2.19, 1x512x14x14 -> 512 (4608)
# 8.72 / 6.94, 1x512x7x7 -> 512 (4608) 6.41 / 2.95).
GATHER_FLIPPED_MAX_TAPS = 576
# With many tiles the flipped convolution by Winograd F(2x2) beats col2im too (interleaved, ms, flipped
# F(2x2) / col2im, gy -> gx: 64x64x14x14->32 3.6 / 4.0, 8x64x56x56->64 11.0 / 14.8, 16x128x28x28->128
# 15.5 / 24.8, 4x256x14x14->256 (196 tiles) 5.6 / 6.4, 32x64x8x8->64 1.1 / 1.7; but 2x128x16x16->128
# (128 tiles) 1.56 / 1.32).
FLIPPED_WINOGRAD2_MIN_TILES = 192


# Winograd F(4x4) multiplies by entries up to 8 (and 1/24) on the way in and out, and in float32 this
# amplifies rounding past what a direct convolution has: the largest error of y against a float64
# reference, over max |y|, measured on 64x32x14x14->64, 8x64x56x56->64, 16x128x28x28->128 and
# 4x256x14x14->256 (unit inputs, fan-in scaled weights): F(4x4) 5.0e-6 - 1.1e-5 (2e-6 - 4.4e-6 with the
# interpolation points it has now, see winograd.py), F(2x2) 2.6e-7 - 6.5e-7,
# gathered columns 5.7e-7 - 7.4e-7, PyTorch 2.9e-7 - 3.9e-7; weight gradients F(4x4) 6.9e-6 - 2.1e-5,
# F(2x2) 7e-7 - 8e-7, PyTorch 2.1e-6 - 4.1e-6. So F(4x4) fails torch.testing.assert_close against
# PyTorch's float32 results, and float32 takes it only at a float32 matmul precision below "highest"
# (torchless.set_float32_matmul_precision("high"), PyTorch's switch for faster, less exact products).
# In float64 its error is ~1e-15 of max |y|, and it is always allowed.
FLOAT32_PRECISIONS = ("highest", "high", "medium")
_float32_precision = ["highest"]


def set_float32_precision(precision):
    """Which algorithms float32 convolutions may take: "highest" (the default) keeps to those as exact as a
    direct convolution; "high" and "medium" also allow Winograd F(4x4)."""
    if precision not in FLOAT32_PRECISIONS:
        raise ValueError(f"precision must be one of {FLOAT32_PRECISIONS}, got {precision!r}")
    _float32_precision[0] = precision


def float32_precision():
    """The float32 precision set by :func:`set_float32_precision` ("highest" by default)."""
    return _float32_precision[0]


def _winograd_tiles(dtype, precision):
    """The Winograd tiles (largest first) whose rounding error is acceptable for ``dtype`` at ``precision``."""
    if precision == "highest" and (dtype is None or np.dtype(dtype).itemsize < 8):
        return (2,)
    return (4, 2)


def _winograd_tile(in_channels, out_channels, batch, out_hw, min_channel_product=WINOGRAD_MIN_CHANNEL_PRODUCT,
                   tiles=(4, 2), min_2x2_channels=0):
    """Winograd tile size (one of ``tiles``) worth using for a 3x3 stride-1 problem, or None."""
    channels = min(in_channels, out_channels)
    if channels < WINOGRAD_MIN_CHANNELS or in_channels * out_channels < min_channel_product:
        return None
    for tile in tiles:
        if tile == 2 and channels < min_2x2_channels:
            continue
        min_tiles = WINOGRAD_4X4_MIN_TILES if tile == 4 else WINOGRAD_2X2_MIN_TILES
        if _winograd_tile_count(batch, out_hw, tile) >= min_tiles:
            return tile
    return None


def _xeon_winograd2_min_channels(batch, out_hw, small_problem_minimum):
    """Fewest channels with which F(2x2) pays for ``batch`` output planes of ``out_hw``: on a Xeon with
    AVX512-FP16 XEON_WINOGRAD2_LARGE_PLANE_MIN_CHANNELS for planes of at least XEON_WINOGRAD2_LARGE_PLANE
    positions making at least XEON_WINOGRAD2_MANY_TILES tiles, else ``small_problem_minimum``; elsewhere
    any number."""
    if not blas.XEON_AVX512_FP16:
        return 0
    if (out_hw[0] * out_hw[1] >= XEON_WINOGRAD2_LARGE_PLANE
            and _winograd_tile_count(batch, out_hw, 2) >= XEON_WINOGRAD2_MANY_TILES):
        return XEON_WINOGRAD2_LARGE_PLANE_MIN_CHANNELS
    return small_problem_minimum


def _winograd_tile_count(batch, out_hw, tile):
    return batch * -(-out_hw[0] // tile) * -(-out_hw[1] // tile)


def _exact_only(dtype):
    """Integer inputs must not take Winograd, whose transforms have fractional coefficients."""
    return dtype is not None and not np.issubdtype(dtype, np.floating)


def choose_forward(x_shape, w_shape, stride, padding, dilation, groups, dtype=None, precision="highest"):
    """Name of the forward algorithm for these shapes (deterministic rules, set by measurement);
    ``precision`` is the float32 precision allowed (see set_float32_precision)."""
    if _is_pointwise(w_shape[2:], stride, padding):
        return "pointwise"
    N, C, H, W = x_shape
    out_hw = conv_output_hw((H, W), w_shape[2:], stride, padding, dilation)
    tile = None
    if not _exact_only(dtype) and _winograd_forward_applies(x_shape, w_shape, stride, padding, dilation, groups):
        tile = _winograd_tile(C, w_shape[0], N, out_hw, tiles=_winograd_tiles(dtype, precision),
                              min_2x2_channels=_xeon_winograd2_min_channels(N, out_hw, XEON_WINOGRAD2_MIN_CHANNELS))
    if gather.suits(x_shape, w_shape, stride, padding, dilation, groups, tile):
        return "gather"
    if tile:
        return f"winograd{tile}"
    if tuple(stride) == (1, 1) and N * out_hw[0] * out_hw[1] >= ROWSTACK_MIN_PIXELS:
        blocked = _stacked_rows_in_blocks_pay(x_shape, w_shape, padding, groups, dtype)
        return "rowstack_blocked" if blocked else "rowstack"
    if gather.per_image_gemm_is_large(w_shape, out_hw, groups):
        return "gather"
    return "im2col"


def _stacked_rows_in_blocks_pay(x_shape, w_shape, padding, groups, dtype):
    """Whether a stride-1 forward by stacked rows runs faster in blocks of positions (see
    XEON_ROWSTACK_BLOCKED_MIN_BYTES)."""
    N, C, H, W = x_shape
    O, Cg, kH, kW = w_shape
    # (float64 products of a block's width may round otherwise than the whole width's: float32 only, as measured)
    if not (blas.XEON_AVX512_FP16 and N >= 2 and (dtype is None or np.dtype(dtype) == np.float32)):
        return False
    rows = (Cg * kW + kH * (O // groups)) * groups
    plane = (H + padding[0][0] + padding[0][1]) * (W + padding[1][0] + padding[1][1])
    return rows <= XEON_ROWSTACK_BLOCKED_MAX_ROWS and rows * N * plane * 4 >= XEON_ROWSTACK_BLOCKED_MIN_BYTES


def _stacked_rows_flip_pays(w_shape, groups):
    """Whether an input gradient by the flipped convolution's stacked rows beats col2im (see
    ROWSTACK_FLIPPED_MIN_CHANNELS), for a problem large enough to flip at all."""
    O, Cg, kH, kW = w_shape
    if blas.XEON_AVX512_FP16:
        return Cg * kH * kW >= (O // groups) * kW + Cg * kH
    return Cg >= ROWSTACK_FLIPPED_MIN_CHANNELS


def choose_backward_input(gy_shape, w_shape, input_hw, stride, padding, dilation, groups, dtype=None,
                          precision="highest"):
    """As a forward convolution when that one is fast (Winograd, 1x1, large kernels or many
    pixels); otherwise as a GEMM plus col2im scatter."""
    if BACKWARD_INPUT["pointwise"].applies(gy_shape, w_shape, input_hw, stride, padding, dilation, groups):
        return "pointwise"
    if _flipped_applies(gy_shape, w_shape, input_hw, stride, padding, dilation, groups):
        flipped_w_shape = (w_shape[1] * groups, w_shape[0] // groups, *w_shape[2:])
        full_padding = flipped_padding(gy_shape[2:], input_hw, w_shape[2:], padding, dilation)
        forward = choose_forward(gy_shape, flipped_w_shape, (1, 1), full_padding, dilation, groups, dtype, precision)
        large = ((blas.XEON_AVX512_FP16 and XEON_FLIPPED_ANY_PIXELS) or w_shape[2] * w_shape[3] >= LARGE_KERNEL_AREA
                 or gy_shape[0] * input_hw[0] * input_hw[1] >= FLIPPED_MIN_PIXELS)
        # With few tiles, flipping the kernel and transforming it costs more than col2im saves
        # (1x256x14x14 -> 256: col2im 1.6 ms, flipped F(2x2) 2.0 ms; 64x32x14x14 -> 64: col2im 8.2 ms,
        # flipped F(4x4) 6.1 ms); F(2x2) pays from FLIPPED_WINOGRAD2_MIN_TILES tiles on.
        stacked_rows = forward in ("rowstack", "rowstack_blocked")
        if forward == "winograd4" or (stacked_rows and large and _stacked_rows_flip_pays(w_shape, groups)):
            return "flipped"
        if forward == "winograd2" and _winograd_tile_count(gy_shape[0], input_hw, 2) >= FLIPPED_WINOGRAD2_MIN_TILES:
            return "flipped"
        min_channels = XEON_GATHER_FLIPPED_MIN_CHANNELS if blas.XEON_AVX512_FP16 else GATHER_FLIPPED_MIN_CHANNELS
        if (forward == "gather" and w_shape[1] >= min_channels
                and flipped_w_shape[1] * flipped_w_shape[2] * flipped_w_shape[3] <= GATHER_FLIPPED_MAX_TAPS):
            return "flipped"
    return "col2im"


def choose_backward_weight(gy_shape, x_shape, kernel_hw, stride, padding, dilation, groups, dtype=None,
                           precision="highest"):
    if _is_pointwise(kernel_hw, stride, padding):
        return "pointwise"
    w_shape = (gy_shape[1], x_shape[1] // groups, *kernel_hw)
    tile = None
    if not _exact_only(dtype) and winograd.supports(kernel_hw, stride, dilation, groups):
        tile = _winograd_tile(x_shape[1], gy_shape[1], gy_shape[0], gy_shape[2:],
                              WINOGRAD_WEIGHT_MIN_CHANNEL_PRODUCT, _winograd_tiles(dtype, precision),
                              min_2x2_channels=_xeon_winograd2_min_channels(gy_shape[0], gy_shape[2:], 0))
    if gather.suits(x_shape, w_shape, stride, padding, dilation, groups, tile):
        return "gather"
    if tile:
        return f"winograd{tile}"
    # Measured with every product on one BLAS thread (split when large), ms, gather / im2col /
    # stacked rows: 1x256x14x14->256 3.9 / 4.2 / 6.3; 8x64x56x56->128 stride 2 16.4 / 17.5 / -.
    if gather.per_image_gemm_is_large(w_shape, gy_shape[2:], groups):
        return "gather"
    channel_product = (x_shape[1] // groups) * (gy_shape[1] // groups)
    if tuple(stride) == (1, 1) and (kernel_hw[0] * kernel_hw[1] >= LARGE_KERNEL_AREA
                                    or channel_product >= ROWSTACK_WEIGHT_MIN_CHANNEL_PRODUCT):
        return "rowstack"
    return "im2col"


# --------------------------------------------------------------------------- entry points
# Each entry point splits a large call over its batch into independent shards run at once on all
# cores (see parallel.py).  A single image runs whole: splitting its channels instead would repeat
# the input's (or the gradient's) layout change in every shard, and measured no faster than one
# call with BLAS on both cores (1x256x14x14->256 forward 4.64 vs 4.49 ms, weight gradient 6.12
# vs 4.90; 1x32x26x26->64 forward 0.63 vs 0.29 ms).


def _memoised(function):
    """``function`` remembered per arguments, which depend only on shapes and settings (a model has a
    few of each): a batch-1 call otherwise spends a few microseconds re-deriving them.
    Unhashable arguments (lists) are computed afresh."""
    remembered = functools.lru_cache(maxsize=1024)(function)

    @functools.wraps(function)
    def lookup(*args):
        try:
            return remembered(*args)
        except TypeError:
            return function(*args)
    lookup.cache_clear = remembered.cache_clear
    return lookup


_output_hw = _memoised(conv_output_hw)
_forward_algorithm = _memoised(choose_forward)
_backward_input_algorithm = _memoised(choose_backward_input)
_backward_weight_algorithm = _memoised(choose_backward_weight)


# A convolution's gradients are split over its batch from this many floating-point operations (at
# least parallel.MIN_PARALLEL_FLOP); below, they run whole, one after the other (conv2d_backward).
# Measured (harness A/B, shards held on separate cores, see parallel._cores_apart), splitting both
# gradients from 2**22 instead: 64x1x28x28->5 (4.5 MFLOP) fwd+bwd 1.19, 64x5x14x14->10 (11 MFLOP)
# 1.10, course-CNN training step 1.05. The forward paid from 2**23 on an
# AVX2 machine (64x5x14x14->10 (11 MFLOP) forward 0.90 and fwd+bwd 0.92 when split) but lost on an
# AVX-512 one, whose hand-off to a helper took ~90 us (the same forward split / whole: 1.2-1.4,
# 470 vs 380 us); so it too is split from 2**24.
CONV_SPLIT_MIN_FLOP = 2 ** 24


def _flop(batch, out_channels, out_hw, w_shape):
    """Floating-point operations of the convolution (and of each of its two gradients)."""
    return 2 * batch * out_channels * out_hw[0] * out_hw[1] * w_shape[1] * w_shape[2] * w_shape[3]


def _batch_shards(batch, out_channels, out_hw, w_shape):
    """Slices of the batch to run at once, or None to run the call whole."""
    if batch < 2:
        return None
    flop = _flop(batch, out_channels, out_hw, w_shape)
    if flop < CONV_SPLIT_MIN_FLOP:
        return None
    count = parallel.shard_count(batch, flop)
    return None if count == 1 else parallel.split(batch, count)


def conv2d_forward(x, w, stride, padding, dilation, groups, algorithm=None, bias=None, skipped_padding=None):
    """y (N, O, Ho, Wo) = conv(x (N, C, H, W), w (O, C // groups, kH, kW)) [+ bias (O,)].

    ``skipped_padding``: the padding cells whose products the backend imitated never forms, which
    matters only to infinite or NaN values (see conv_nonfinite)."""
    if x.shape[0] == 1 and x.size and w.size:  # one image (inference): never split
        return _forward_whole(x, w, stride, padding, dilation, groups, algorithm, bias, skipped_padding=skipped_padding)
    out_hw = _output_hw(x.shape[2:], w.shape[2:], stride, padding, dilation)
    if x.size == 0 or w.size == 0:
        y = np.zeros((x.shape[0], w.shape[0], *out_hw), dtype=np.result_type(x, w))
        return y if bias is None else _add_bias(y, bias)
    slices = _batch_shards(x.shape[0], w.shape[0], out_hw, w.shape)
    if slices is None:
        return _forward_whole(x, w, stride, padding, dilation, groups, algorithm, bias, skipped_padding=skipped_padding)
    y = np.empty((x.shape[0], w.shape[0], *out_hw), np.result_type(x, w))
    parallel.run_shards(_forward_whole, [(x[part], w, stride, padding, dilation, groups, algorithm, bias, y[part],
                                          skipped_padding) for part in slices])
    return y


def single_image_algorithm(x_shape, w_shape, stride, padding, dilation, groups, dtype):
    """(float32 precision, name of the forward algorithm): what conv2d_forward runs one image of these shapes with,
    whole, at the precision set now; None where it would not run it whole (several images, or an empty input or
    weight). A caller that remembers a problem's plan passes the name on as ``algorithm`` while the precision is
    unchanged: the memo's hashing of the shapes and dtype cost a batch-1 convolution ~3% of its time."""
    if x_shape[0] != 1 or 0 in x_shape or 0 in w_shape:
        return None
    precision = _float32_precision[0]
    return precision, _forward_algorithm(x_shape, w_shape, stride, padding, dilation, groups, dtype, precision)


def _forward_whole(x, w, stride, padding, dilation, groups, algorithm, bias=None, out=None, skipped_padding=None):
    """The forward of the whole of x [+ bias], into ``out`` when given (see Algorithm)."""
    name = algorithm or _forward_algorithm(x.shape, w.shape, stride, padding, dilation, groups, x.dtype,
                                             _float32_precision[0])
    run = FORWARD[name].run
    if w.size >= OUTPUT_CHECKS_WEIGHT_MIN_SIZE and w.size > _output_size(x.shape, w.shape, stride, padding, dilation):
        return _forward_checked_by_output(x, w, stride, padding, dilation, groups, name, run, bias, out,
                                          skipped_padding)
    finite_weight = _all_finite(w)
    # (an inf or NaN weight's products are NaN where PyTorch's are too, but NumPy would also warn of them)
    with _NO_CONTEXT if finite_weight else np.errstate(invalid="ignore", over="ignore"):
        if out is None or out.dtype == x.dtype == w.dtype:
            y = run(x, w, stride, padding, dilation, groups, out=out, bias=bias)
        else:
            y = out
            np.copyto(y, run(x, w, stride, padding, dilation, groups, bias=bias))  # mixed dtypes: cast on the way
    # An inf or NaN weight meets the zeros of extra cells; Winograd's transforms spread an input's into its
    # neighbours (a check of the output, not of the larger input, on the path that needs it)
    if not finite_weight or (name.startswith("winograd") and not _all_finite(y)):
        _exact_where_not_finite(y, x, w, stride, padding, dilation, groups, bias, skipped_padding)
    return y


def _forward_checked_by_output(x, w, stride, padding, dilation, groups, name, run, bias, out, skipped_padding):
    """_forward_whole for a weight checked for infs and NaNs through the output (see
    OUTPUT_CHECKS_WEIGHT_MIN_SIZE)."""
    with np.errstate(invalid="ignore", over="ignore"):  # (the weight not yet known finite: see _forward_whole)
        if out is None or out.dtype == x.dtype == w.dtype:
            y = run(x, w, stride, padding, dilation, groups, out=out, bias=bias)
        else:
            y = out
            np.copyto(y, run(x, w, stride, padding, dilation, groups, bias=bias))
    if not _all_finite(y) and (not _all_finite(w) or name.startswith("winograd")):
        _exact_where_not_finite(y, x, w, stride, padding, dilation, groups, bias, skipped_padding)
    return y


def _exact_where_not_finite(y, x, w, stride, padding, dilation, groups, bias, skipped_padding):
    """y's infs and NaNs replaced, in place, by the values of the convolution PyTorch's backend computes (see
    conv_nonfinite): where an inf or NaN weight meets the zeros of padding or of a Winograd tile's extra cells."""
    # (an input's inf meeting a weight's -inf sums to NaN there, as in PyTorch, which warns nothing: nor may NumPy,
    # also where the no-grad call has no retry under a user's warnings.simplefilter("error"))
    with np.errstate(invalid="ignore", over="ignore"):
        exact = conv_nonfinite.forward(x, w, stride, padding, dilation, groups, skipped_padding)
        if bias is not None:
            exact = _add_bias(exact, bias)
        y[...] = conv_nonfinite.where_not_finite(y, exact)


_NO_CONTEXT = contextlib.nullcontext()

# A weight of at least this many values that outnumber the output's (one image of a layer of many channels:
# 1x256x14x14->256 reads 590,000 weights for 50,000 outputs) is checked for infs and NaNs through the output,
# which every weight reaches: each one's products meet every position of its output channel (a Winograd tile's
# at least one), and an inf or NaN never sums to a finite value, so a finite output proves the weight finite.
# The weight's own check, a pass over memory, follows only a non-finite output (1x256x14x14->256 forward, one
# thread, thread CPU time: the weight's check 97-105 us of 2.2 ms, the output's 4-5 us).
OUTPUT_CHECKS_WEIGHT_MIN_SIZE = 2 ** 16


def _output_size(x_shape, w_shape, stride, padding, dilation):
    Ho, Wo = _output_hw(x_shape[2:], w_shape[2:], stride, padding, dilation)
    return x_shape[0] * w_shape[0] * Ho * Wo


def _all_finite(a):
    """``np.isfinite(a).all()``: counting the finite values skips the reduction machinery of ``all``, which cost a
    batch-1 convolution's check of its small weight twice as much as ``isfinite`` itself."""
    return np.count_nonzero(np.isfinite(a)) == a.size


def _add_bias(y, bias):
    y += bias.astype(y.dtype, copy=False).reshape(1, -1, 1, 1)
    return y


def conv2d_backward(gy, x, w, stride, padding, dilation, groups, input_grad=True, weight_grad=True,
                    skipped_padding=None, meanwhile=None, fill=None):
    """(gx or None, gw or None): the gradients of a convolution w.r.t. its input and its weight.

    Each split over the batch when large, both in one split call: each shard computes its images' weight
    gradient, then their input gradient. A problem too small for that once ran its two gradients at once
    on two threads: alone that measured 0.92 of the time one after the other (64x5x14x14->10), but inside
    the course CNN's training step, where its operands sit in the calling core's cache, 0.90-0.96 of the
    step's time *without* it on a quiet machine, and 0.67-0.72 with another process busy on the second
    core (the helper's shard then waits for that core). ``meanwhile``: the caller's independent work, run
    while a helper wakes (see parallel.run_shards), or first. ``fill``: gy is yet to be computed, by
    ``fill(images)`` for a slice of the batch (each shard its own images', else all at first).
    """
    if input_grad and weight_grad and gy.size and x.size and w.size:
        slices = _batch_shards(gy.shape[0], gy.shape[1], gy.shape[2:], w.shape)
        if slices is not None:
            # One hand-off rather than one per gradient (the helper's idle core wakes once); the same shards
            # and the same code per shard as the two split calls, so the same bits
            gx = np.empty((gy.shape[0], w.shape[1] * groups, *x.shape[2:]), np.result_type(gy, w))
            partial_sums = parallel.run_shards(_backward_both_whole, [
                (gy[part], x[part], w, stride, padding, dilation, groups, skipped_padding, gx[part],
                 None if fill is None else functools.partial(fill, part)) for part in slices], meanwhile=meanwhile)
            return gx, _sum_in_shard_order(partial_sums)
    if fill is not None:
        fill(slice(0, gy.shape[0]))
    # The weight gradient goes first, where the forward left its gathered columns.
    gw = (conv2d_backward_weight(gy, x, w.shape[2:], stride, padding, dilation, groups,
                                 skipped_padding=skipped_padding, meanwhile=meanwhile) if weight_grad else None)
    if not weight_grad and meanwhile is not None:
        meanwhile()
    gx = conv2d_backward_input(gy, w, x.shape[2:], stride, padding, dilation, groups) if input_grad else None
    return gx, gw


def splits_both_gradients(x_shape, w_shape, gy_shape):
    """Whether conv2d_backward computes both gradients of these shapes in one split call."""
    return (0 not in x_shape and 0 not in w_shape and 0 not in gy_shape
            and _batch_shards(gy_shape[0], gy_shape[1], gy_shape[2:], w_shape) is not None)


def _backward_both_whole(gy, x, w, stride, padding, dilation, groups, skipped_padding, gx, fill=None):
    """A shard of conv2d_backward's split call: its images' gy computed by ``fill()`` when given, then their weight
    gradient (returned), then their input gradient (written into ``gx``), each as the gradient's own split call
    computes a shard."""
    if fill is not None:
        fill()
    gw = _backward_weight_whole(gy, x, w.shape[2:], stride, padding, dilation, groups, None, skipped_padding)
    _backward_input_whole(gy, w, x.shape[2:], stride, padding, dilation, groups, None, gx)
    return gw


def _sum_in_shard_order(partial_sums):
    total = partial_sums[0]
    for partial in partial_sums[1:]:   # in shard order: deterministic
        total += partial
    return total


def conv2d_backward_input(gy, w, input_hw, stride, padding, dilation, groups, algorithm=None):
    """Gradient gx (N, C, H, W) w.r.t. the input, given gy (N, O, Ho, Wo) and input_hw = (H, W)."""
    if gy.size == 0 or w.size == 0:
        return np.zeros((gy.shape[0], w.shape[1] * groups, *input_hw), dtype=np.result_type(gy, w))
    slices = _batch_shards(gy.shape[0], gy.shape[1], gy.shape[2:], w.shape)
    if slices is None:
        return _backward_input_whole(gy, w, input_hw, stride, padding, dilation, groups, algorithm)
    gx = np.empty((gy.shape[0], w.shape[1] * groups, *input_hw), np.result_type(gy, w))
    parallel.run_shards(_backward_input_whole, [(gy[part], w, input_hw, stride, padding, dilation, groups, algorithm,
                                                 gx[part]) for part in slices])
    return gx


# Where the dispatcher picks gathered columns for the flipped convolution, or col2im, the rows-only stacked rows
# (im2col.conv2d_backward_input_rowstack_rows) win too, for one group, float32, a batch, and a GEMM of Og*kW
# (gy's channels times the kernel's width) from ROWS_ONLY_MIN_DEPTH to ROWS_ONLY_MAX_DEPTH by Cg*kH rows up to
# ROWS_ONLY_MAX_ROWS. One thread, thread CPU time, 31 interleaved calls, median ms, gy -> gx, rows-only / before:
# flipped by gathered columns: 64x10x14x14 -> 5 (the course CNN's) 0.387 / 0.494, 32x16x14x14 -> 8 0.346 / 0.418,
# 16x12x32x32 -> 6 0.587 / 0.748, 16x16x56x56 -> 16 4.25 / 6.49, 64x16x14x14 -> 16 1.06 / 1.11, 16x64x7x7 -> 64
# 0.914 / 0.933, 64x8x28x28 -> 4 1.10 / 1.09; col2im: 64x5x28x28 -> 1 0.443 / 0.496, 32x16x28x28 -> 3 0.891 /
# 1.074, 64x16x28x28 -> 3 1.84 / 2.64, 64x10x14x14 -> 2 0.254 / 0.284, 32x32x26x26 -> 1 (unpadded) 1.12 / 1.31,
# 8x6x32x32 -> 3 5x5 0.326 / 0.594. Into a thin GEMM it loses: 64x3x14x14 -> 10 (depth 9) 0.291 / 0.185,
# 64x3x28x28 -> 16 1.66 / 0.96; and to col2im with many channels: 2x256x14x14 -> 256 6.45 / 4.96. Below
# ROWS_ONLY_MIN_MULTIPLY_ADDS its few products do not pay for its set-up: F.conv2d forward and both gradients on 2
# threads, process CPU time, fresh processes alternating, 10x1x28x28->6 (423,000 multiply-adds) 0.32-0.37 ms vs
# 0.29 (64x1x28x28->5, 2.3 million, 1.17-1.22 vs 1.17-1.37).
ROWS_ONLY_MIN_DEPTH, ROWS_ONLY_MAX_DEPTH, ROWS_ONLY_MAX_ROWS = 15, 192, 192
ROWS_ONLY_MIN_MULTIPLY_ADDS = 2 ** 20


def _rows_only_suits(gy_shape, w_shape, input_hw, stride, padding, dilation, groups, dtype, name):
    """Whether the rows-only stacked rows replace ``name`` (the dispatcher's choice) for these shapes (see above);
    the weight's finiteness is _rows_only_apply's to check."""
    O, Cg, kH, kW = w_shape
    if (name not in ("col2im", "flipped") or groups != 1 or dtype != np.float32 or gy_shape[0] < 2
            or tuple(stride) != (1, 1) or not ROWS_ONLY_MIN_DEPTH <= O * kW <= ROWS_ONLY_MAX_DEPTH
            or Cg * kH > ROWS_ONLY_MAX_ROWS
            or gy_shape[0] * gy_shape[2] * input_hw[1] * O * kW * Cg * kH < ROWS_ONLY_MIN_MULTIPLY_ADDS
            or not _flipped_applies(gy_shape, w_shape, input_hw, stride, padding, dilation, groups)):
        return False
    if name == "flipped":  # (Winograd stays)
        full_padding = flipped_padding(gy_shape[2:], input_hw, w_shape[2:], padding, dilation)
        forward = _forward_algorithm(gy_shape, (Cg, O, kH, kW), (1, 1), full_padding, dilation, groups, dtype,
                                     _float32_precision[0])
        if forward.startswith("winograd"):
            return False
    return True


_rows_only_suit = _memoised(_rows_only_suits)


def forget_choices():
    """Clear the memoised algorithm choices, which hold for the rules' settings they were made under: a change of
    those (a test pinning one machine's rules, blas.XEON_AVX512_FP16) must not meet choices of the others."""
    for chooser in (_forward_algorithm, _backward_input_algorithm, _backward_weight_algorithm, _rows_only_suit):
        chooser.cache_clear()


def _backward_input_whole(gy, w, input_hw, stride, padding, dilation, groups, algorithm, out=None):
    """The input gradient of the whole of gy, into ``out`` when given (a split call's part of gx: the flipped
    forward writes it there itself, other algorithms' results are copied)."""
    name = algorithm or _backward_input_algorithm(gy.shape, w.shape, input_hw, stride, padding, dilation, groups,
                                                  gy.dtype, _float32_precision[0])
    if (algorithm is None and _rows_only_suit(gy.shape, w.shape, input_hw, stride, padding, dilation, groups,
                                              gy.dtype, name) and _rows_only_apply(gy, w, input_hw, groups)):
        return conv2d_backward_input_rowstack_rows(gy, w, input_hw, padding, dilation, groups, out)
    if out is not None and name == "flipped":
        gx = conv2d_backward_input_flipped(gy, w, input_hw, stride, padding, dilation, groups, out=out)
    else:
        gx = BACKWARD_INPUT[name].run(gy, w, input_hw, stride, padding, dilation, groups)
    if not _all_finite(w):  # (an inf or NaN weight times extra cells' zeros: see conv_nonfinite)
        exact = conv_nonfinite.backward_input(gy, w, input_hw, stride, padding, dilation, groups)
        gx = conv_nonfinite.where_not_finite(gx, exact)
    if out is not None and gx is not out:
        out[...] = gx
    return out if out is not None else gx


def conv2d_backward_weight(gy, x, kernel_hw, stride, padding, dilation, groups, algorithm=None, skipped_padding=None,
                           meanwhile=None):
    """Gradient gw (O, C // groups, kH, kW) w.r.t. the weight, given gy (N, O, Ho, Wo) and x (N, C, H, W);
    ``skipped_padding`` as conv2d_forward's, ``meanwhile`` as conv2d_backward's."""
    slices = None
    if gy.size and x.size:
        slices = _batch_shards(gy.shape[0], gy.shape[1], gy.shape[2:],
                               (gy.shape[1], x.shape[1] // groups, *kernel_hw))
    if slices is not None:
        return _sum_in_shard_order(parallel.run_shards(_backward_weight_whole, [
            (gy[part], x[part], kernel_hw, stride, padding, dilation, groups, algorithm, skipped_padding)
            for part in slices], meanwhile=meanwhile))
    if meanwhile is not None:
        meanwhile()
    if gy.size == 0 or x.size == 0:  # e.g. an empty batch: nothing to sum
        return np.zeros((gy.shape[1], x.shape[1] // groups, *kernel_hw), dtype=np.result_type(gy, x))
    return _backward_weight_whole(gy, x, kernel_hw, stride, padding, dilation, groups, algorithm, skipped_padding)


def _backward_weight_whole(gy, x, kernel_hw, stride, padding, dilation, groups, algorithm, skipped_padding=None):
    name = algorithm or _backward_weight_algorithm(gy.shape, x.shape, kernel_hw, stride, padding, dilation, groups,
                                                   x.dtype, _float32_precision[0])
    gw = BACKWARD_WEIGHT[name].run(gy, x, kernel_hw, stride, padding, dilation, groups)
    if not _all_finite(gw):  # (an input's inf or NaN, maybe in extra cells: see conv_nonfinite)
        exact = conv_nonfinite.backward_weight(gy, x, kernel_hw, stride, padding, dilation, groups, skipped_padding)
        gw = conv_nonfinite.where_not_finite(gw, exact)
    return gw
