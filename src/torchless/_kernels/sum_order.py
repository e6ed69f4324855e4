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

What aten_sum models: the leading dims of a C-contiguous array (a bias gradient's sum) with at most two cascade
levels of full runs, added directly (down whole rows, as NumPy's reductions along an outer axis add). Other sums
are left to NumPy's order: modelled in NumPy they measured two to six times its own sum's time (rows' 8-float lanes
added in runs of a few floats; the iterator's general loops, strided layouts and thread splits, in Python). But for
one user-facing case, where that time is paid for PyTorch's bits: ``x.sum(dims)`` and ``x.mean(dims)`` over the
trailing dims of a C-contiguous tensor (``_ops._util.tensor_sum``: reduce_order.short_cascade_row_sums).
"""
import math

import numpy as np

from . import parallel

_VECTOR_BYTES = 32
_GRAIN_SIZE = 32768  # at::internal::GRAIN_SIZE
_ILP = 4
_SHORT_LEVEL = 16  # the terms of the first cascade level, below 2**20


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
    into one reduced dim down the columns of the rest (a bias gradient's sum), which _short_columns_sum adds
    directly (over 32768 elements, per range of columns that parallel_dim_reduction gives each thread)."""
    shape = a.shape
    rows = shape[0] if count == 1 else math.prod(shape[:count])
    if rows < 2 or a.size == rows:
        return None
    columns = a.size // rows
    x = a.reshape(rows, columns)
    if a.size < _GRAIN_SIZE or parallel.get_num_threads() < 2:
        total = _short_columns_sum(x)
    else:
        ranges = _column_ranges(columns, parallel.get_num_threads(), a.itemsize)
        parts = [_short_columns_sum(x[:, begin:end]) for begin, end in ranges]
        total = None if any(part is None for part in parts) else np.concatenate(parts)
    if total is None:
        return None
    shape = (1,) * count + shape[count:] if keepdims else shape[count:]
    return total if len(shape) == 1 else total.reshape(shape).copy()


def _short_columns_sum(x):
    """The loop's sums down the columns of the 2-D ``x`` (rows evenly apart, each contiguous), from 0 (as into
    ATen's zero-filled output, which only makes a sum of -0.0s 0.0), where each cascade has at most two levels of
    full runs of 16 terms (else None): blocks of four vectors of columns with multi_row_sum, the other columns with
    row_sum (four accumulators, each taking every fourth row)."""
    rows, columns = x.shape
    width = _VECTOR_BYTES // x.itemsize
    blocked = columns // (_ILP * width) * (_ILP * width) if columns >= width else columns // _ILP * _ILP
    if blocked == columns:
        return _short_levels_sum(x, rows)
    if rows % _ILP:
        return None
    rest = _short_levels_sum(x[:, blocked:].reshape(rows // _ILP, _ILP, columns - blocked), rows // _ILP)
    if not blocked or rest is None:
        return rest
    first = _short_levels_sum(x[:, :blocked], rows)
    return None if first is None else np.concatenate([first, rest])


def _short_levels_sum(x, terms):
    """multi_row_sum down the first axis of ``x`` (``terms`` long), then (``x`` 3-D: four accumulators) the
    accumulators in order; None past two levels of full runs. NumPy adds the slices of an axis other than the last
    one after the other where they are two or more elements wide."""
    if x.shape[-1] < 2 or (terms > _SHORT_LEVEL and (terms > _SHORT_LEVEL ** 2 or terms % _SHORT_LEVEL)):
        return None
    if terms > _SHORT_LEVEL:
        x = np.add.reduce(x.reshape((terms // _SHORT_LEVEL, _SHORT_LEVEL) + x.shape[1:]), axis=1)
    if x.ndim == 3:
        x = np.add.reduce(x, axis=0)
    return np.add.reduce(x, axis=0, initial=0.0)


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
