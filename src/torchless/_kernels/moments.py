"""The mean and biased variance of rows as ATen's ``RowwiseMoments`` (native/cpu/moments_utils.h) computes them, for
layer and group normalisation's float32 and float64 kernels, whose rounding shows where a row's mean is large
against its spread (1e4 + 1e-2 noise in float32: a mean off by an ulp of 1e4 moves every output by 0.1).

Its Welford algorithm runs on 32-byte vectors (8 floats, 4 doubles: the width of the kernel PyTorch dispatches to
on an AVX2 or AVX-512 CPU, measured bit for bit against torch 2.13): each lane takes every 8th (4th) element, in
chunks of 16 vectors whose moments are merged by a binary cascade; the elements beyond the last whole vector go
through a scalar Welford loop, into which the lanes' moments are then merged one by one. The fused multiply-adds
are those of its code (``fmadd``) and those its compiler contracts in the scalar merges.
"""
import numpy as np

from .fma import fused_multiply_add

_VECTOR_BYTES = 32
_CHUNK = 16


def _ceil_log2(count):
    """ATen's ``utils::CeilLog2``: 1 for up to 2, else the bits of count - 1."""
    return 1 if count <= 2 else int(count - 1).bit_length()


def _merge_vectors(added, into):
    """``AddMomentsVec``: the moments ``added`` (count, mean, m2) merged into ``into``, returned."""
    count_add, mean_add, m2_add = added
    count, mean, m2 = into
    total = count + count_add
    dtype = mean.dtype.type
    weight = dtype(dtype(count_add) / dtype(total)) if total else dtype(0)
    delta = mean_add - mean
    weighted_delta = weight * delta
    return total, mean + weighted_delta, fused_multiply_add(delta * dtype(count), weighted_delta, m2 + m2_add)


def _merge_scalars(added, into):
    """``AddMoments`` (one value per row), its compiler's contractions: fma(c, delta, m1), fma(delta^2 c, m0, m2_add)."""
    count_add, mean_add, m2_add = added
    count, mean, m2 = into
    total = count + count_add
    dtype = mean.dtype.type
    weight = dtype(dtype(count_add) / dtype(total)) if total else dtype(0)
    delta = mean_add - mean
    return (total, fused_multiply_add(weight, delta, mean),
            m2 + fused_multiply_add(delta * delta * weight, dtype(count), m2_add))


def _chunk_moments(vectors):
    """Each chunk's Welford moments per lane: ``vectors`` (M, n, K) in chunks of 16 along axis 1; (M, chunks, K)
    means and m2s, the updates fused multiply-adds with the reciprocals 1 / (j + 1) rounded to the dtype."""
    rows, count, lanes = vectors.shape
    dtype = vectors.dtype.type
    chunks = -(-count // _CHUNK)
    mean = np.zeros((rows, chunks, lanes), vectors.dtype)
    m2 = np.zeros_like(mean)
    for j in range(min(_CHUNK, count)):
        x = vectors[:, j::_CHUNK]  # the j-th vector of every chunk that has one (all but a short last chunk's)
        taken = x.shape[1]
        delta = x - mean[:, :taken]
        mean[:, :taken] = fused_multiply_add(dtype(dtype(1) / dtype(j + 1)), delta, mean[:, :taken])
        m2[:, :taken] = fused_multiply_add(delta, x - mean[:, :taken], m2[:, :taken])
    return mean, m2


def rowwise_moments(rows):
    """(mean, biased variance) of each row of the float32 or float64 matrix ``rows`` (M, N), 1-D arrays of M values
    rounded as ATen's ``RowwiseMoments`` rounds them."""
    dtype = rows.dtype.type
    size = rows.shape[1]
    lanes = _VECTOR_BYTES // rows.itemsize
    count = size // lanes
    chunk_means, chunk_m2s = _chunk_moments(rows[:, :count * lanes].reshape(len(rows), count, lanes))
    chunks = chunk_means.shape[1]
    depth = _ceil_log2(chunks)
    zeros = np.zeros((len(rows), lanes), rows.dtype)
    empty = (0, zeros, zeros)
    stack = [empty] * depth
    for i in range(chunks):
        chunk = (min(_CHUNK, count - i * _CHUNK), chunk_means[:, i], chunk_m2s[:, i])
        stack[0] = _merge_vectors(chunk, stack[0])
        # a binary counter: the level below is merged up (and emptied) at each carry
        level, mask = 1, i + 1
        while level < depth and not mask & 1:
            stack[level] = _merge_vectors(stack[level - 1], stack[level])
            stack[level - 1] = empty
            level, mask = level + 1, mask >> 1
    for level in range(1, depth):
        stack[0] = _merge_vectors(stack[level], stack[0])
    _, lane_means, lane_m2s = stack[0]
    moments = (0, np.zeros(len(rows), rows.dtype), np.zeros(len(rows), rows.dtype))
    for k in range(count * lanes, size):  # the scalar tail: plain Welford, no fused operations
        x = rows[:, k]
        seen, mean, m2 = moments
        delta = x - mean
        mean = mean + delta / dtype(seen + 1)
        moments = (seen + 1, mean, m2 + delta * (x - mean))
    for lane in range(lanes):
        moments = _merge_scalars((count, lane_means[:, lane], lane_m2s[:, lane]), moments)
    _, mean, m2 = moments
    return mean, m2 / dtype(size)
