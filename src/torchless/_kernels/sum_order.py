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

Where the iterator's innermost dim is a reduced run contiguous in memory (rows, whole sums of dense tensors,
BatchNorm's and global pooling's planes) ATen adds 8-float lanes, which NumPy can only add in runs of a few floats:
two to six times the cost of NumPy's own pairwise sum, so aten_sum leaves those to NumPy's order (None). Column
sums (reduced dims outside the innermost one) run down whole rows, as NumPy's reductions along an outer axis do;
the leading dims of a C-contiguous array (a bias gradient) are added directly, without modelling the iterator.
"""
import math

import numpy as np

from . import parallel

_VECTOR_BYTES = 32
_GRAIN_SIZE = 32768  # at::internal::GRAIN_SIZE
_LEVELS = 4
_ILP = 4
_LOOPED_TERMS, _LOOPED_SIZE = 64, 16384  # (see _in_order)
_SHORT_LEVEL = 16  # the terms of the first cascade level, below 2**20


def _in_order(x, axis):
    """The sum along ``axis`` of ``x``, term after term. NumPy's add.reduce adds the rows of an axis one after the
    other unless it loops over that axis innermost (then it adds pairwise): it does where the axis has the
    smallest stride of those longer than 1."""
    size = x.shape[axis]
    if size <= 1:
        return x[(slice(None),) * axis + (0,)] if size else np.zeros(x.shape[:axis] + x.shape[axis + 1:], x.dtype)
    stride = abs(x.strides[axis])
    for n, other in zip(x.shape, x.strides):
        if n > 1 and abs(other) < stride:
            break
    else:
        return np.add.accumulate(x, axis=axis).take(-1, axis)
    if 0 < axis < x.ndim - 1 and size <= _LOOPED_TERMS and x.size >= _LOOPED_SIZE and _contiguous_after(x, axis):
        # (NumPy's reduce along a middle axis runs at a third of the speed of adding its slices in turn, where
        # these are runs of contiguous rows)
        before = (slice(None),) * axis
        total = x[before + (0,)].copy()
        for k in range(1, size):
            np.add(total, x[before + (k,)], out=total)
        return total
    return np.add.reduce(x, axis=axis)


def _contiguous_after(x, axis):
    """Whether the axes of ``x`` after ``axis`` are one C-contiguous block."""
    expected = x.itemsize
    for k in range(x.ndim - 1, axis, -1):
        if x.shape[k] > 1 and x.strides[k] != expected:
            return False
        expected *= x.shape[k]
    return True


def _split(x, axis, step):
    """``x`` with ``axis`` cut into runs of ``step`` (its length a multiple of it): shape (..., runs, step, ...)."""
    return x.reshape(x.shape[:axis] + (x.shape[axis] // step, step) + x.shape[axis + 1:])


def _levels_sum(x, axis):
    """ATen's ``multi_row_sum`` along ``axis`` (non-negative) of ``x``: the terms added in order into the first of
    four cascade levels, each level passing its sum on to the next and starting again from 0 after every
    2**power terms it takes; the levels then added in order. (The last level takes all.)"""
    n = x.shape[axis]
    power = max(4, ((n - 1).bit_length() if n > 2 else 1) // _LEVELS)
    step = 1 << power
    if n <= step:  # (all in the first level, or passed on whole to the second)
        return _in_order(x, axis)
    total = None
    items = x
    for _ in range(_LEVELS - 1):
        whole = items.shape[axis] // step * step
        if whole < items.shape[axis]:
            rest = _in_order(items[(slice(None),) * axis + (slice(whole, None),)], axis)
            total = rest if total is None else total + rest
        if not whole:
            return np.zeros(x.shape[:axis] + x.shape[axis + 1:], x.dtype) if total is None else total
        items = _in_order(_split(items[(slice(None),) * axis + (slice(None, whole),)], axis, step), axis + 1)
    top = _in_order(items, axis)
    return top if total is None else total + top


def _ilp_sum(x, axis):
    """ATen's scalar ``row_sum`` along ``axis`` (non-negative) of ``x``: four accumulators taking every fourth term,
    each a multi_row_sum, the leftover terms added into the first, then the four added in order."""
    n = x.shape[axis]
    groups = n // _ILP
    before = (slice(None),) * axis
    if not groups:
        first = np.zeros(x.shape[:axis] + x.shape[axis + 1:], x.dtype)
        for k in range(n):
            first = first + x[before + (k,)]
        return first
    acc = _levels_sum(_split(x[before + (slice(None, groups * _ILP),)], axis, _ILP), axis)
    if groups * _ILP < n:  # (the leftover terms into the first accumulator, ahead of the other three)
        acc = np.concatenate([acc[before + (slice(None, 1),)], x[before + (slice(groups * _ILP, None),)],
                              acc[before + (slice(1, None),)]], axis=axis)
    return _in_order(acc, axis)


def _coalesced_dims(a, axes):
    """TensorIterator's dims of the sum of ``a`` over ``axes``, innermost first, as (size, input stride, reduced,
    axes of ``a`` merged into it, innermost first) after ordering and merging; None where its order is not
    modelled here (a dim of stride 0 or negative stride, two reduced dims at the same stride)."""
    reduced, kept = [], []
    for axis, (size, stride) in enumerate(zip(a.shape, a.strides)):
        if size == 1:
            continue
        if stride <= 0:
            return None
        (reduced if axis in axes else kept).append((size, stride, axis))
    if len({stride for _, stride, _ in reduced}) < len(reduced):
        return None
    reduced.sort(key=lambda dim: dim[1])
    kept.reverse()  # (the output's C order, its last dim innermost: neighbours there always merge in the output)
    dims = []
    for size, stride, axis in reduced + kept:
        is_reduced = axis in axes
        if dims and dims[-1][2] == is_reduced and stride == dims[-1][0] * dims[-1][1]:
            previous = dims.pop()
            dims.append((previous[0] * size, previous[1], is_reduced, previous[3] + (axis,)))
        else:
            dims.append((size, stride, is_reduced, (axis,)))
    return dims


def _iterator_view(a, dims):
    """``a`` viewed as the iterator's ``dims``, outermost first."""
    order = [axis for dim in dims for axis in dim[3]]
    ones = [axis for axis in range(a.ndim) if axis not in order]
    return a.transpose(ones + order[::-1]).reshape([dim[0] for dim in dims[::-1]])


def _loop_sums(view, dims, width, itemsize):
    """The results of the kernel's 2-D loop over ``view`` (the input as the iterator's dims, outermost first), one
    per index of dim 1 and of every outer dim: its shape is ``view``'s without the last axis."""
    stride0 = dims[0][1]
    size1, stride1 = (dims[1][0], dims[1][1]) if len(dims) > 1 else (1, 0)
    axis = view.ndim - 1  # (the reduced rows: the view's last axis)
    if stride1 == itemsize and size1 >= width:
        blocked = size1 // (_ILP * width) * (_ILP * width)
    elif stride0 < stride1:
        blocked = 0
    else:
        blocked = size1 // _ILP * _ILP
    if blocked == size1:
        return _levels_sum(view, axis)
    if not blocked:
        return _ilp_sum(view, axis)
    return np.concatenate([_levels_sum(view[..., :blocked, :], axis), _ilp_sum(view[..., blocked:, :], axis)],
                          axis=-1)


def _serial_sum(view, dims):
    """The sum as one thread adds it, of ``view`` (the input as the iterator's ``dims``, outermost first): per
    output, the loop's results added from 0 in the order of the calls. Its shape: the kept dims' (merged),
    outermost first, which is the output's C order."""
    itemsize = view.itemsize
    sums = _loop_sums(view, dims, _VECTOR_BYTES // itemsize, itemsize)  # (outer dims..., dim 1)
    rest = dims[:0:-1]
    calls = [k for k, d in enumerate(rest) if d[2]]
    if not calls:
        return sums
    # the reduced dims among the rest in the order of the calls (the last one fastest), ahead of the kept ones
    sums = np.transpose(sums, calls + [k for k, d in enumerate(rest) if not d[2]])
    count = 1
    for k in calls:
        count *= rest[k][0]
    return _in_order(sums.reshape((count,) + sums.shape[len(calls):]), 0)


def _split_dim(dims, threads):
    """TensorIterator's find_split_dim: the outermost kept dim of at least ``threads`` elements, else the largest
    of the kept dims outside every reduced one."""
    best = len(dims) - 1
    for k in range(len(dims) - 1, -1, -1):
        if dims[k][2]:
            break
        if dims[k][0] >= threads:
            return k
        if dims[k][0] > dims[best][0]:
            best = k
    return best


def _column_ranges(dims, threads, itemsize):
    """The ranges of dim 1 that parallel_dim_reduction hands its threads (each then summed by the loop alone):
    even chunks, their bounds rounded down to 128 bytes where the dim's elements are adjacent in memory."""
    columns = dims[1][0]
    tasks = min(threads, columns)
    chunk = -(-columns // tasks)
    multiple = 128 // itemsize if dims[1][1] == itemsize else 1
    ranges = []
    for begin in range(0, columns, chunk):
        end = min(columns, begin + chunk)
        begin -= begin % multiple
        if end != columns:
            end -= end % multiple
        if begin != end:
            ranges.append((begin, end))
    return ranges


def _two_pass_sum(view, dims, threads):
    """ATen's two_pass_reduction of the whole ``view`` (every dim reduced): the elements in the iterator's order cut
    into one range per thread, each range's pieces of rows (a row cut by a range's bounds is two pieces) summed by
    the loop and added from 0 into the thread's own buffer, the buffers then summed by the loop."""
    size0 = dims[0][0]
    rows = view.reshape(-1, size0)
    numel = rows.size
    tasks = min(threads, -(-numel // _GRAIN_SIZE))
    chunk = -(-numel // tasks)

    def row_sums(block):  # (rows strided in memory, added element by element: see aten_sum)
        return _ilp_sum(block, block.ndim - 1)

    parts = []
    for start in range(0, numel, chunk):
        end = min(numel, start + chunk)
        first, skip = divmod(start, size0)
        last, keep = divmod(end, size0)
        if first == last:
            pieces = [row_sums(rows[first:first + 1, skip:keep])]
        else:
            pieces = []
            if skip:
                pieces.append(row_sums(rows[first:first + 1, skip:]))
                first += 1
            pieces.append(row_sums(rows[first:last]))
            if keep:
                pieces.append(row_sums(rows[last:last + 1, :keep]))
        parts.append(_in_order(np.concatenate(pieces), 0))
    return _ilp_sum(np.array(parts, view.dtype), 0)


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
        ranges = _column_ranges([None, (columns, a.itemsize)], parallel.get_num_threads(), a.itemsize)
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
    give theirs); None where that order is not modelled here (then any order)."""
    if a.flags.c_contiguous:
        if axes is None:
            return None  # (see below: the dims merge into one contiguous row)
        last = a.ndim - 1
        while last and a.shape[last] == 1:
            last -= 1
        if last in axes:
            return None  # (the iterator's innermost dim a reduced contiguous run: see below)
        if max(axes) == len(axes) - 1:
            total = _leading_sum(a, len(axes), keepdims)
            if total is not None:
                return total
    if axes is None:
        axes = range(a.ndim)
    axes = frozenset(axes)
    dims = _coalesced_dims(a, axes)
    if not dims or not dims[0][2] or dims[0][1] == a.itemsize:
        # (ATen sums rows contiguous in memory in vectors, or short ones element by element, whose lanes NumPy can
        # only add in runs of a few elements, at several times the cost of its own pairwise sum: those sums, whole
        # sums of dense tensors among them, are left to NumPy's order)
        return None
    shape = tuple(1 if axis in axes else n for axis, n in enumerate(a.shape)) if keepdims else \
        tuple(n for axis, n in enumerate(a.shape) if axis not in axes)
    view = _iterator_view(a, dims)
    threads = parallel.get_num_threads()
    if a.size < _GRAIN_SIZE or threads < 2:
        total = _serial_sum(view, dims)
    elif all(d[2] for d in dims):
        total = _two_pass_sum(view, dims, threads)
    elif _split_dim(dims, threads) == 1:
        # the columns of the loop split among the threads: scalar_outer_sum's blocks of four start at each range
        total = np.concatenate([
            _serial_sum(view[..., begin:end, :], dims[:1] + [(end - begin,) + dims[1][1:]] + dims[2:])
            for begin, end in _column_ranges(dims, threads, a.itemsize)], axis=-1)
    else:  # (split along an outer dim: each output's terms in the serial order)
        total = _serial_sum(view, dims)
    # (+ 0: ATen adds into a zero-filled output, so that no sum is -0.0)
    return np.add(np.reshape(total, shape), a.dtype.type(0), out=np.empty(shape, a.dtype))


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
