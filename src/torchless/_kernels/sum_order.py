"""Float sums over any dims added in the order ATen's CPU ``sum`` kernel adds them (SumKernel.cpp's cascade_sum,
driven by TensorIterator), so that ``x.sum(dims)`` and ``x.mean(dims)`` of float32 and float64 tensors give
PyTorch's bits.

How ATen adds (torch 2.13 on x86, its kernels compiled for 32-byte vectors: 8 floats, 4 doubles):

- TensorIterator orders the dims innermost first: the reduced dims (by input stride), then the kept ones (as the
  C-contiguous output lays them out), and merges neighbours that are one run in memory. The kernel's 2-D loop
  takes the first two of those dims; every further index calls it again, each call adding its results into the
  output (zero-filled first), one call after the other.
- Within a call, dim 0 is reduced: as rows contiguous in memory, each row in vectors (``row_sum`` over vectors,
  the leftover elements then the lanes added from 0); else down columns contiguous in memory, blocks of four
  vectors of columns with ``multi_row_sum``, then single vectors and single columns with ``row_sum``; else
  element by element (``row_sum``, or ``multi_row_sum`` over blocks of four columns).
- ``multi_row_sum`` adds rows into four cascade levels (a level passed on to the next every 2**power rows);
  ``row_sum`` splits its rows among four accumulators (every fourth row each), each a ``multi_row_sum``.
- Above 32768 elements with two or more threads, a reduction to one element is split into one contiguous range
  per thread, their sums then added in thread order; otherwise the split runs along a kept dim, which leaves the
  order of every output's terms as it is.

What aten_sum models: the leading dims of a C-contiguous array (a bias gradient's sum, ``x.sum(0)``), added
directly (down whole rows, as NumPy's reductions along an outer axis add; its cascade levels as sums of runs).
Other sums are left to NumPy's order: modelled in NumPy they measured two to six times its own sum's time (rows'
8-float lanes added in runs of a few floats; the iterator's general loops, strided layouts and thread splits, in
Python). But for user-facing cases, where that time is paid for PyTorch's bits: ``x.sum(dims)`` and
``x.mean(dims)`` over the trailing dims of a C-contiguous tensor, and over leading and trailing dims around kept
ones (``_ops._util.tensor_sum``: reduce_order.short_cascade_row_sums).
"""
import math

import numpy as np

from . import parallel

_VECTOR_BYTES = 32
_GRAIN_SIZE = 32768  # at::internal::GRAIN_SIZE
_ILP = 4


def _column_ranges(columns, threads, itemsize):
    """The ranges of adjacent columns that parallel_dim_reduction hands its threads (each then summed by the loop
    alone): even chunks, their bounds rounded down to 128 bytes."""
    chunk = -(-columns // min(threads, columns))
    multiple = 128 // itemsize
    ranges = []
    for begin in range(0, columns, chunk):
        end = min(columns, begin + chunk)
        begin -= begin % multiple
        if end != columns:
            end -= end % multiple
        if begin != end:
            ranges.append((begin, end))
    return ranges


def _leading_sum(a, count, keepdims):
    """aten_sum of the C-contiguous ``a`` over its first ``count`` dims, sooner, or None: the iterator merges them
    into one reduced dim down the columns of the rest (a bias gradient's sum): columns_sum."""
    shape = a.shape
    rows = shape[0] if count == 1 else math.prod(shape[:count])
    if rows < 2 or a.size == rows:
        return None
    columns = a.size // rows
    total = columns_sum(a.reshape(rows, columns))
    shape = (1,) * count + shape[count:] if keepdims else shape[count:]
    return total if len(shape) == 1 else total.reshape(shape).copy()


def columns_sum(x):
    """The sums down the columns of the C-contiguous (rows, columns) ``x``, or down axis 1 of the C-contiguous
    (count, rows, columns) ``x``, (count, columns) of them, as ATen adds them (a sum over a middle dim: count calls of
    the kernel's loop; its threads, past 32768 elements, each take whole ranges of the larger of the kept dims,
    which are ranges of columns only where there are more columns than calls)."""
    if x.ndim == 3:
        count, columns = x.shape[0], x.shape[2]
        down = np.ascontiguousarray(x.transpose(1, 0, 2))  # (the rows outermost in memory: see _in_turn)
        if x.size < _GRAIN_SIZE or parallel.get_num_threads() < 2 or columns <= count:
            return _columns_sum(down)
        ranges = _column_ranges(columns, parallel.get_num_threads(), x.itemsize)
        return np.concatenate([_columns_sum(down[..., begin:end]) for begin, end in ranges], axis=-1)
    if x.size < _GRAIN_SIZE or parallel.get_num_threads() < 2:
        return _columns_sum(x)
    ranges = _column_ranges(x.shape[1], parallel.get_num_threads(), x.itemsize)
    return np.concatenate([_columns_sum(x[:, begin:end]) for begin, end in ranges])


def _columns_sum(x):
    """The loop's sums down the columns of ``x`` (rows, [calls,] columns), the rows evenly apart and outermost, from
    0 (as into ATen's zero-filled output, which only makes a sum of -0.0s 0.0): blocks of four vectors of columns
    (of four columns, when fewer than a vector) with multi_row_sum, the other columns with row_sum_down."""
    columns = x.shape[-1]
    width = _VECTOR_BYTES // x.itemsize
    blocked = columns // (_ILP * width) * (_ILP * width) if columns >= width else columns // _ILP * _ILP
    if blocked == columns:
        return _cascade_down(x)
    total = row_sum_down(x[..., blocked:])
    return total if not blocked else np.concatenate([_cascade_down(x[..., :blocked]), total], axis=-1)


def row_sum_down(x):
    """The kernel's row_sum down axis 0 of ``x`` (rows outermost in memory), for every element of the others: four
    accumulators, the k-th a multi_row_sum of rows k, k + 4, k + 8 ...; the rows left over added to the first, then
    the other three to it."""
    rows = x.shape[0]
    interleaved = rows // _ILP * _ILP
    accumulators = _cascade_down(x[:interleaved].reshape((rows // _ILP, _ILP) + x.shape[1:]))
    if interleaved < rows:
        accumulators = np.concatenate([accumulators[:1], x[interleaved:], accumulators[1:]])
    return _in_turn(accumulators, start=False)


def _cascade_down(x):
    """multi_row_sum down each column of ``x`` (rows, ...): runs of 2**power rows (power = max(4, ceil(log2 rows) //
    4)) added in turn from 0 into the first of four levels, each run's sum passed on to the second level, whose
    sum every 2**power runs passes on to the third, and so on to the fourth; the rows left over in turn into the
    first level, then the three others added to it. (A level's sum started from 0 is never -0.0, so the levels
    left at 0 add nothing and are skipped.)"""
    rows = x.shape[0]
    power = max(4, (max(rows - 1, 1).bit_length() if rows > 2 else 1) // 4)
    step = 1 << power
    total, level = None, x
    for depth in range(4):
        runs = level.shape[0] // step if depth < 3 else 0
        if level.shape[0] > runs * step:  # what the level keeps at the end (0 + one run's sum: that sum)
            kept = level[-1] if depth and level.shape[0] == 1 else _in_turn(level[runs * step:])
            total = kept if total is None else total + kept
        if not runs:
            break
        level = level[:runs * step]
        level = np.add.reduce(level.reshape((runs, step) + x.shape[1:]), axis=1, initial=x.dtype.type(0)) \
            if math.prod(x.shape[1:]) > 1 else _in_turn(level.reshape(runs, step).T).reshape((runs,) + x.shape[1:])
    return np.zeros(x.shape[1:], x.dtype) if total is None else total


def _in_turn(x, start=True):
    """The sums down the columns of ``x``, one term after the other (from 0 if ``start``). NumPy adds the slices of
    an axis other than the last one in turn where they are two or more elements wide; a single column's running
    sum ends in its sum."""
    zero = x.dtype.type(0)
    if x.ndim > 1 and math.prod(x.shape[1:]) > 1:
        return np.add.reduce(x, axis=0, initial=zero) if start else np.add.reduce(x, axis=0)
    column = x.reshape(x.shape[0], -1)[:, 0] if x.ndim > 1 else x
    if start:
        column = np.concatenate([np.zeros(1, x.dtype), column])
    total = np.add.accumulate(column)[-1] if column.size else zero
    return np.full(x.shape[1:], total, x.dtype)


def aten_sum(a, axes, keepdims=False):
    """The sum of the float32 or float64 array ``a`` over ``axes`` (a tuple of normalised axes; every axis for
    None), added as PyTorch's CPU kernel adds it, a new C-ordered array (owning its memory, as NumPy's reductions
    give theirs), where that costs about what NumPy's own sum does: over the leading dims of a C-contiguous array
    (a bias gradient's sum). Else None (then any order): modelled in NumPy, the other orders measured two to six
    times NumPy's time (rows' 8-float lanes added in runs of a few floats; the iterator's general loops in Python)."""
    if axes is None or not a.flags.c_contiguous:
        return None
    last = a.ndim - 1
    while last and a.shape[last] == 1:
        last -= 1
    if last in axes or max(axes) != len(axes) - 1:
        return None
    return _leading_sum(a, len(axes), keepdims)


def running_sum_by_threads(values):
    """The sum of the float64 array ``values`` (dense) in memory order as ATen's ``parallel_reduce`` of a running sum
    adds it (std_var_all_cpu's sum of squared deviations): over 32768 elements with two or more threads, one
    contiguous range per thread, each summed term after term from 0, then the ranges' sums in order; else one
    running sum."""
    flat = values.ravel(order="K")
    size = flat.size
    threads = parallel.get_num_threads()
    tasks = 1 if size < _GRAIN_SIZE or threads < 2 else min(threads, -(-size // _GRAIN_SIZE))
    chunk = -(-size // tasks) if size else 1
    total = values.dtype.type(0)
    for start in range(0, size, chunk):
        total = total + np.add.accumulate(flat[start:start + chunk])[-1]
    return total + values.dtype.type(0)
