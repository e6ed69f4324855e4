"""Float sums of a row added in the order PyTorch's x86 CPU kernels add them, for the few places where a sum's
last bits decide a later rounding PyTorch users compare exactly (a normalised Gaussian kernel blurring uint8
pixels, a softmax).

Both follow ATen's code: ``torch.sum`` of a contiguous row is ``cascade_sum`` (ReduceOpsKernel.cpp: four
interleaved accumulators, each a cascade of partial sums, over 32-byte vectors: 8 floats or 4 doubles -- the
width measured against torch 2.13 on an AVX-512 machine, bit for bit up to 2,500 elements), and the sums inside softmax are
``vec::reduce_all`` (functional_base.h: one vector accumulator of 16 lanes folded by halves).
"""
import numpy as np

_SUM_VECTOR_BYTES = 32  # torch.sum's inner reduction's vector width
_REDUCE_ALL_LANES = 16  # floats per AVX-512 vector in vec::reduce_all
_ACCUMULATORS = 4  # row_sum's instruction-level parallelism
_CASCADE_LEVELS = 4


def _multi_row_sum(rows):
    """ATen's ``multi_row_sum``: the sum down axis 0 of ``rows`` (each row added in turn into the first of four
    cascade levels, a level passed on to the next after every 2**power rows so that no partial sum grows long)."""
    size = len(rows)
    power = max(4, (int(size - 1).bit_length() if size > 1 else 0) // _CASCADE_LEVELS)
    step, mask = 1 << power, (1 << power) - 1
    levels = np.zeros((_CASCADE_LEVELS,) + rows.shape[1:], rows.dtype)
    i = 0
    while i + step <= size:
        for row in rows[i:i + step]:
            levels[0] += row
        i += step
        for level in range(1, _CASCADE_LEVELS):
            levels[level] += levels[level - 1]
            levels[level - 1] = 0
            if i & (mask << (power * level)):
                break
    for row in rows[i:]:
        levels[0] += row
    for level in range(1, _CASCADE_LEVELS):
        levels[0] += levels[level]
    return levels[0]


def _row_sum(items):
    """ATen's ``row_sum`` of ``items`` (scalars, or vectors as rows of a 2-D array): four accumulators taking
    every fourth item, the leftover items added to the first, then the four added in order."""
    whole = len(items) // _ACCUMULATORS * _ACCUMULATORS
    grouped = items[:whole].reshape((-1, _ACCUMULATORS) + items.shape[1:])
    partial = _multi_row_sum(grouped)
    for item in items[whole:]:
        partial[0] += item
    for k in range(1, _ACCUMULATORS):
        partial[0] += partial[k]
    return partial[0]


def cascade_sum(values):
    """``torch.sum`` of the 1-D float array ``values``, with PyTorch's rounding of every partial sum."""
    values = np.ascontiguousarray(values)
    width = _SUM_VECTOR_BYTES // values.itemsize
    if len(values) < width:
        return _row_sum(values)
    whole = len(values) // width * width
    lanes = _row_sum(values[:whole].reshape(-1, width))
    total = values.dtype.type(0)
    for value in values[whole:]:
        total = total + value
    for lane in lanes:
        total = total + lane
    return total


def reduce_all(values, op=np.add):
    """ATen's ``vec::reduce_all(op, values)`` over the 1-D float array ``values`` (``op``: np.add or np.maximum)."""
    values = np.ascontiguousarray(values)
    lanes = _REDUCE_ALL_LANES
    if len(values) < lanes:  # one partial vector, its elements folded in in order
        total = values[0]
        for value in values[1:]:
            total = op(total, value)
        return total
    whole = len(values) // lanes * lanes
    acc = values[:lanes].copy()
    for start in range(lanes, whole, lanes):
        acc = op(acc, values[start:start + lanes])
    tail = values[whole:]
    acc[:len(tail)] = op(acc[:len(tail)], tail)
    lane = np.arange(lanes)
    for distance in (8, 4, 2, 1):  # the AVX-512 fold: halves, quarters, pairs of pairs, pairs
        acc = op(acc, acc[lane ^ distance])
    return acc[0]
