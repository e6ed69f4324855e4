"""Fractional max pooling kernels on NumPy arrays (Graham, https://arxiv.org/abs/1412.6071), with PyTorch's
exact window placement and tie-breaking; no autograd here.

Each plane (one channel of one sample) has windows of a fixed size placed at pseudo-random, increasing
starts along every axis, drawn from one sample in [0, 1) per plane and axis. The gradient is a scatter-add
of the output gradient at the returned flat indices (``pool.max_pool2d_backward`` over flat planes).
"""
import itertools
import math

import numpy as np


def interval_starts(samples, input_size, output_size, pool_size):
    """Window starts (P, output_size) along one axis, from one sample per plane (``samples``, shape (P,)).

    PyTorch's generate_intervals, in the samples' floating dtype as its kernel computes in the input's:
    with alpha = (input_size - pool_size) / (output_size - 1), window i < output_size - 1 starts at
    int((i + sample) * alpha) - int(sample * alpha), and the last one at input_size - pool_size.
    """
    starts = np.empty((samples.shape[0], output_size), np.int64)
    if output_size > 1:
        scalar = samples.dtype.type
        alpha = scalar(input_size - pool_size) / scalar(output_size - 1)
        steps = np.arange(output_size - 1).astype(samples.dtype)
        # float to int truncates toward zero, as C++'s static_cast<int>
        starts[:, :-1] = ((steps[None, :] + samples[:, None]) * alpha).astype(np.int64)
        starts[:, :-1] -= (samples * alpha).astype(np.int64)[:, None]
    if output_size > 0:
        starts[:, -1] = input_size - pool_size
    return starts


def fractional_max_pool_forward(planes, starts, kernel):
    """Maxima and their flat indices over windows of size ``kernel`` starting at ``starts``.

    planes: (P, *input_sizes), floating; starts: per axis, the (P, out) starts of :func:`interval_starts`.
    Returns (values, indices), both (P, *output_sizes); an index is the flat position of the maximum in its
    plane (d * H * W + h * W + w in 3-D). Taps are scanned in row-major window order, each replacing the
    maximum when strictly greater (the first maximum wins ties) or NaN (the last NaN wins); a window
    without taps (kernel size <= 0) holds -inf at its start, as PyTorch's loop leaves it.
    """
    count, input_sizes = planes.shape[0], planes.shape[1:]
    spatial = len(input_sizes)
    axis_strides = [math.prod(input_sizes[axis + 1:]) for axis in range(spatial)]
    output_sizes = tuple(s.shape[1] for s in starts)
    origin = np.zeros((count,) + output_sizes, np.int64)
    for axis, (axis_starts, stride) in enumerate(zip(starts, axis_strides)):
        shape = [count] + [output_sizes[axis] if k == axis else 1 for k in range(spatial)]
        origin += axis_starts.reshape(shape) * stride
    flat = planes.reshape(count, math.prod(input_sizes))
    rows = np.arange(count).reshape((count,) + (1,) * spatial)
    values = np.full(origin.shape, -np.inf, planes.dtype)
    indices = origin.copy()
    better = np.empty(origin.shape, bool)
    for offsets in itertools.product(*(range(k) for k in kernel)):
        tap = origin + sum(o * s for o, s in zip(offsets, axis_strides))
        candidate = flat[rows, tap]
        np.greater(candidate, values, out=better)
        better |= np.isnan(candidate)
        np.copyto(values, candidate, where=better)
        np.copyto(indices, tap, where=better)
    return values, indices
