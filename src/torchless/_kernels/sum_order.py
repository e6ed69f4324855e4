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

What aten_sum models, for a C-contiguous array: its leading dims or a run of dims before kept ones (a bias
gradient's sum, ``x.mean(1)``), down the columns; its last dim and any others (``x.sum(-1)``, a channel's statistics
``x.mean((0, 2, 3))``), along the rows; and (full_sum) all of a dense one, per thread. Each cascade level is one
NumPy call over all the rows or columns at once: about NumPy's own time for per-channel sums, two to three times it
for short rows and whole tensors, whose last bits printed sums and means show. Other sums (reduced dims apart from
one another before a kept last dim, strided layouts) are left to NumPy's order.
"""
import math

import numpy as np

from . import parallel
from .reduce_order import cascade_levels, cascade_row_sums

_VECTOR_BYTES = 32
_GRAIN_SIZE = 32768  # at::internal::GRAIN_SIZE
_ILP = 4
_MAX_CASCADE_TERMS = 1 << 19  # multi_row_sum's levels pass on every 16 terms up to this many (then every 32)


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
    total = np.array(total, order="C")  # (a new array owning its memory, as NumPy's sums give)
    total.shape = (1,) * count + shape[count:] if keepdims else shape[count:]
    return total


def _short_columns_sum(x):
    """The loop's sums down the columns of the 2-D ``x`` (rows evenly apart, each contiguous), or of each matrix of
    the 3-D ``x``, from 0 (as into ATen's zero-filled output, which only makes a sum of -0.0s 0.0), for up to 2**19
    rows (else None): blocks of four vectors of columns with multi_row_sum, the other columns with row_sum (four
    accumulators, each taking every fourth row, the rows left over added to the first)."""
    if x.ndim == 2:
        total = _short_columns_sum(x[None])
        return None if total is None else total[0]
    count, rows, columns = x.shape
    if rows > _MAX_CASCADE_TERMS:
        return None
    width = _VECTOR_BYTES // x.itemsize
    blocked = columns // (_ILP * width) * (_ILP * width) if columns >= width else columns // _ILP * _ILP
    if blocked == columns:
        return _levels_sum(x)
    rest = x[:, :, blocked:]
    whole = rows // _ILP * _ILP
    accumulators = _levels_sum(rest[:, :whole].reshape(count, rows // _ILP, _ILP * (columns - blocked)),
                               initial=False)
    if accumulators is None:
        return None
    accumulators = accumulators.reshape(count, _ILP, columns - blocked)
    total = np.zeros((count, columns - blocked), x.dtype) + accumulators[:, 0]
    for row in range(whole, rows):
        total += rest[:, row]
    for k in range(1, _ILP):
        total += accumulators[:, k]
    if not blocked:
        return total
    first = _levels_sum(x[:, :, :blocked])
    return None if first is None else np.concatenate([first, total], axis=1)


def _levels_sum(x, initial=True):
    """multi_row_sum down axis 1 of the 3-D ``x`` (None where it is one column wide: NumPy's reduction would then be
    pairwise), added to 0 if ``initial``."""
    if x.shape[-1] < 2:
        return None
    if not x.shape[1]:
        return np.zeros((len(x), x.shape[2]), x.dtype)
    total = cascade_levels(x)
    return total + x.dtype.type(0) if initial else total


def aten_sum(a, axes, keepdims=False):
    """The sum of the float32 or float64 array ``a`` over ``axes`` (a tuple of normalised axes; every axis for
    None), added as PyTorch's CPU kernel adds it, a new C-ordered array (owning its memory, as NumPy's reductions
    give theirs), for a C-contiguous array: over its leading dims (a bias gradient's sum), a run of dims before
    kept ones (_block_sum), or its last dim and any others (_inner_rows_sum). Else None (then any order)."""
    if axes is None or not a.flags.c_contiguous:
        return None
    last = a.ndim - 1
    while last and a.shape[last] == 1:
        last -= 1
    if last in axes:
        return _inner_rows_sum(a, axes, last, keepdims)
    if max(axes) != len(axes) - 1:
        return _block_sum(a, axes, keepdims)
    return _leading_sum(a, len(axes), keepdims)


def _block_sum(a, axes, keepdims):
    """aten_sum of the C-contiguous ``a`` over ``axes``, a run of dims (dims of one element aside) with kept ones
    after it (a channel mean ``x.mean(1)``), or None: per index of the kept dims before the run, its columns' sums
    (see _leading_sum)."""
    real = [axis for axis in range(a.ndim) if a.shape[axis] > 1]
    reduced = [axis for axis in real if axis in axes]
    if not reduced:
        return None
    first, last = real.index(reduced[0]), real.index(reduced[-1])
    if last - first + 1 != len(reduced):
        return None
    outer = math.prod(a.shape[:reduced[0]])
    rows = math.prod(a.shape[axis] for axis in reduced)
    columns = a.size // (outer * rows)
    x = a.reshape(outer, rows, columns)
    if a.size >= _GRAIN_SIZE and parallel.get_num_threads() >= 2 and columns > outer:
        ranges = _column_ranges(columns, parallel.get_num_threads(), a.itemsize)
    else:  # (split along the outer dim, if at all: each output's terms as they are)
        ranges = [(0, columns)]
    parts = [_short_columns_sum(x[:, :, begin:end]) for begin, end in ranges]
    if any(part is None for part in parts):
        return None
    return _owned(np.concatenate(parts, axis=1), a.shape, axes, keepdims)


def _owned(sums, shape, axes, keepdims):
    """``sums`` as a new C-ordered array owning its memory, shaped as a sum of an array of ``shape`` over ``axes``."""
    total = np.array(sums, order="C")
    total.shape = [1 if axis in axes else n for axis, n in enumerate(shape)] if keepdims else [
        n for axis, n in enumerate(shape) if axis not in axes]
    return total


def _inner_rows_sum(a, axes, last, keepdims):
    """aten_sum of the C-contiguous ``a`` over ``axes``, which hold its last dim of more than one element (``last``),
    or None: the iterator merges the reduced dims ending there into one row in memory (a channel's pixels of
    ``x.mean((0, 2, 3))``), which the loop sums as cascade_sum does (cascade_row_sums); every output then adds its
    rows from 0 one after the other, the other reduced dims in C order; a sum to a single element is full_sum's. Not
    modelled (None): rows of more than 2**19 groups of four vectors."""
    shape = a.shape
    out_shape = [1 if axis in axes else n for axis, n in enumerate(shape)]
    outputs = math.prod(out_shape)
    if outputs == 1:  # (the dims left are ones: a sum of all)
        total = full_sum(a)
        return None if total is None else _owned(total, shape, axes, keepdims)
    first = last
    while first and (first - 1 in axes or shape[first - 1] == 1):
        first -= 1
    outer = [axis for axis in range(first) if axis in axes and shape[axis] > 1]
    if not outer:  # (a row's sum is its output's)
        sums = cascade_row_sums(a.reshape(outputs, -1))
    else:  # the rows, those of one output together, in the C order of the reduced dims outside the row
        rows = np.transpose(a.reshape(shape[:first] + (-1,)),
                            outer + [axis for axis in range(first + 1) if axis not in outer])
        sums = cascade_row_sums(rows.reshape(-1, rows.shape[-1]))
        if sums is not None:  # each output's rows from 0, one after the other
            sums = np.add.accumulate(np.concatenate([np.zeros(outputs, sums.dtype), sums]).reshape(-1, outputs),
                                     axis=0)[-1]
    if sums is None:
        return None
    return _owned(sums, shape, axes, keepdims)


def full_sum(values):
    """The sum of all of the dense float32 or float64 array ``values`` as ATen's ``torch.sum`` adds it, or None (over
    2**19 groups of four vectors per thread): its iterator coalesces the dims into one row in memory order; above
    32768 elements with two or more threads, one contiguous range per thread, each a cascade_sum into its own slot
    (0 for threads given none), the slots then summed from 0."""
    flat = values.ravel(order="K")
    size = flat.size
    threads = parallel.get_num_threads()
    tasks = 1 if size < _GRAIN_SIZE or threads < 2 else min(threads, -(-size // _GRAIN_SIZE))
    chunk = -(-size // tasks)
    sums = [cascade_row_sums(flat[start:start + chunk].reshape(1, -1)) for start in range(0, size, chunk)]
    if any(part is None for part in sums):
        return None
    total = values.dtype.type(0)
    for part in sums:
        total = total + part[0]
    return total


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
