"""Float sums of a row added in the order PyTorch's x86 CPU kernels add them, for the few places where a sum's
last bits decide a later rounding PyTorch users compare exactly (a normalised Gaussian kernel blurring uint8
pixels, a softmax).

Both follow ATen's code: ``torch.sum`` of a contiguous row is ``cascade_sum`` (ReduceOpsKernel.cpp: four
interleaved accumulators, each a cascade of partial sums, over 32-byte vectors: 8 floats or 4 doubles -- the
width measured against torch 2.13 on an AVX-512 machine, bit for bit up to 2,500 elements), and the sums inside softmax are
``vec::reduce_all`` (functional_base.h: one vector accumulator of 16 lanes folded by halves).
"""
import numpy as np

from . import parallel
from .fma import fused_multiply_add64

_SUM_VECTOR_BYTES = 32  # torch.sum's inner reduction's vector width
VECTOR_LANES = 16  # floats per AVX-512 vector (vec::reduce_all's, the reduced-float softmax's)
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


# A row of fewer groups than this (of four vectors: 8192 floats, 4096 doubles) reaches only the first two cascade
# levels: level 1 collects, in order, the sums of 16 groups each, and nothing is passed on beyond it.
SHORT_CASCADE_GROUPS = 256


def short_cascade_sum(values):
    """``cascade_sum`` of a 1-D float32 or float64 array of fewer than SHORT_CASCADE_GROUPS groups of four vectors,
    without a Python loop over its groups: NumPy adds the rows of an outer axis one after the other, which is the
    order ATen's levels add them in there. None for a longer array."""
    width = _SUM_VECTOR_BYTES // values.itemsize
    size = len(values)
    if size < width:  # the first four into the accumulators, the rest into the first, then the four in order
        ordered = values if size <= _ACCUMULATORS else np.concatenate(
            [values[:1], values[_ACCUMULATORS:], values[1:_ACCUMULATORS]])
        return np.add.accumulate(np.concatenate([_ZERO[values.dtype.char], ordered]))[-1]
    groups = size // (_ACCUMULATORS * width)
    if groups >= SHORT_CASCADE_GROUPS:
        return None
    rows = size // width
    whole = groups * _ACCUMULATORS * width
    if groups:
        grouped = values[:whole].reshape(groups, _ACCUMULATORS, width)
        chunks = groups // 16 * 16
        # level 1: the sums of 16 groups, in order; the leftover groups' sum (level 0) added to it at the end
        partial = np.add.reduce(np.add.reduce(grouped[:chunks].reshape(-1, 16, _ACCUMULATORS, width), axis=1),
                                axis=0) if chunks else None
        if chunks < groups:
            leftover = grouped[chunks] if chunks + 1 == groups else np.add.reduce(grouped[chunks:], axis=0)
            partial = leftover if partial is None else leftover + partial
        # the leftover vectors into the first accumulator, then the other accumulators into it
        vectors = partial if rows * width == whole else np.concatenate(
            [partial[:1], values[whole:rows * width].reshape(-1, width), partial[1:]])
    else:
        vectors = values[:rows * width].reshape(-1, width)
    lanes = np.add.reduce(vectors, axis=0)
    # the leftover floats, then the lanes, one by one (ATen starts from 0, which only makes a zero sum +0.0)
    tail = values[rows * width:]
    total = np.add.accumulate(np.concatenate([tail, lanes]) if len(tail) else lanes)[-1]
    return total if total else _ZERO_SCALAR[values.dtype.char]


def long_cascade_sum(values):
    """``cascade_sum`` of the contiguous 1-D float32 or float64 array ``values`` of any length (short_cascade_sum's
    order, with the cascade's every level): each level's partial sums are the sums, in order, of runs of 2**power
    of the level below (NumPy adds the slices of an outer axis one after the other), whatever is left of a level
    since its last hand-on kept apart, and the four levels then added from the first."""
    width = _SUM_VECTOR_BYTES // values.itemsize
    size = len(values)
    vector_count = size // width
    groups = vector_count // _ACCUMULATORS
    if size < width or groups < SHORT_CASCADE_GROUPS:
        return short_cascade_sum(values)
    whole = groups * _ACCUMULATORS * width
    power = max(4, (groups - 1).bit_length() // _CASCADE_LEVELS)  # (ATen's CeilLog2(groups) / 4)
    step = 1 << power
    items = values[:whole].reshape(groups, _ACCUMULATORS, width)  # level 0's rows: the groups of four vectors
    kept = []
    for _ in range(_CASCADE_LEVELS - 1):  # each level: its items' runs of `step` handed on, the rest kept
        runs = len(items) // step
        kept.append(np.add.reduce(items[runs * step:], axis=0))
        items = np.add.reduce(items[:runs * step].reshape(runs, step, _ACCUMULATORS, width), axis=1)
    kept.append(np.add.reduce(items, axis=0))  # the last level is never handed on
    partial = kept[0]
    for level in kept[1:]:
        partial = partial + level
    # the leftover vectors into the first accumulator, then the other accumulators into it
    vectors = np.concatenate([partial[:1], values[whole:vector_count * width].reshape(-1, width), partial[1:]])
    lanes = np.add.reduce(vectors, axis=0)
    # the leftover floats, then the lanes, one by one (ATen starts from 0, which only makes a zero sum +0.0)
    total = np.add.accumulate(np.concatenate([values[vector_count * width:], lanes]))[-1]
    return total if total else _ZERO_SCALAR[values.dtype.char]


def threads_cascade_sum(values, threads):
    """``torch.sum`` of the contiguous 1-D float32 or float64 ``values`` on ``threads`` threads: past GRAIN_SIZE
    elements ATen hands each thread one contiguous range (``at::parallel_for``: as many ranges as threads, at most
    one per GRAIN_SIZE elements), sums each into its own slot of a zeroed buffer of ``threads`` values, then sums
    that buffer with the same kernel. The ranges' sums are computed at once on the cores (parallel.run_shards)."""
    size = len(values)
    used = min(threads, -(-size // GRAIN_SIZE)) if size >= GRAIN_SIZE else 1
    if used < 2:
        return long_cascade_sum(values)
    chunk = -(-size // used)
    pieces = [(values[start:start + chunk],) for start in range(0, size, chunk)]
    if parallel.shard_count(len(pieces), 2 * size) > 1:
        sums = parallel.run_shards(long_cascade_sum, pieces)
    else:
        sums = [long_cascade_sum(*piece) for piece in pieces]
    buffer = np.zeros(threads, values.dtype)
    buffer[:len(sums)] = sums
    return long_cascade_sum(buffer)


GRAIN_SIZE = 32768  # at::internal::GRAIN_SIZE


def short_cascade_row_sums(rows):
    """``cascade_sum`` of each row of the C-contiguous 2-D float32 or float64 array ``rows`` (at least two rows:
    PyTorch's ``x.sum(-1)``, its ``vectorized_inner_sum``, or ``scalar_inner_sum`` for rows shorter than a vector),
    as short_cascade_sum adds one row, for all rows at once; None for rows of SHORT_CASCADE_GROUPS groups or more.

    NumPy adds the slices of an axis other than the innermost one after the other, each element in turn (the order
    of one accumulator), where it adds a contiguous run pairwise; so each row's terms are laid along axis 1 of a
    (lead, terms, trail) array with a contiguous block inside every term: short rows transposed, (1, size, rows),
    each term the rows' elements at one position (a copy, but every NumPy pass over all rows at once); long ones in
    place, (rows, size, 1), their vectors' lanes the block (measured, float32: (1000, 100) 155 us transposed, 368
    in place; (64, 1000) 150 vs 57; NumPy's own pairwise sums 3-5 times faster still)."""
    count, size = rows.shape
    width = _SUM_VECTOR_BYTES // rows.itemsize
    terms = np.ascontiguousarray(rows.T)[None] if size < ROW_SUMS_IN_PLACE_FROM else rows[..., None]
    lead, _, trail = terms.shape
    zero = np.zeros((lead, 1, trail), rows.dtype)
    if size < width:  # the first four into the accumulators, the rest into the first, then the four in order
        ordered = terms if size <= _ACCUMULATORS else terms[:, [0, *range(_ACCUMULATORS, size), 1, 2, 3]]
        return _one_by_one(np.concatenate([zero, ordered], axis=1))
    groups = size // (_ACCUMULATORS * width)
    if groups >= SHORT_CASCADE_GROUPS:
        return None
    vector_count = size // width
    whole = groups * _ACCUMULATORS * width
    if groups:
        grouped = terms[:, :whole].reshape(lead, groups, _ACCUMULATORS, width, trail)
        chunks = groups // 16 * 16
        # level 1: the sums of 16 groups, in order; the leftover groups' sum (level 0) added to it at the end
        partial = np.add.reduce(np.add.reduce(
            grouped[:, :chunks].reshape(lead, -1, 16, _ACCUMULATORS, width, trail), axis=2), axis=1) if chunks else None
        if chunks < groups:
            leftover = grouped[:, chunks] if chunks + 1 == groups else np.add.reduce(grouped[:, chunks:], axis=1)
            partial = leftover if partial is None else leftover + partial
        # the leftover vectors into the first accumulator, then the other accumulators into it
        vectors = partial if vector_count * width == whole else np.concatenate(
            [partial[:, :1], terms[:, whole:vector_count * width].reshape(lead, -1, width, trail), partial[:, 1:]],
            axis=1)
    else:
        vectors = terms[:, :vector_count * width].reshape(lead, -1, width, trail)
    lanes = np.add.reduce(vectors, axis=1)
    # from 0 (ATen's zero-filled output: a zero sum is +0.0), the leftover elements, then the lanes, one by one
    return _one_by_one(np.concatenate([zero, terms[:, vector_count * width:], lanes], axis=1))


# Rows of at least this many elements are summed in place rather than transposed (see short_cascade_row_sums)
ROW_SUMS_IN_PLACE_FROM = 512


def _one_by_one(terms):
    """The sums along axis 1 of the (lead, terms, trail) ``terms`` (lead * trail >= 2), each added left to right,
    flattened."""
    # (transpose: np.moveaxis's Python code cost a sixth of a small x.sum(-1))
    return np.add.reduce(np.ascontiguousarray(terms.transpose(1, 0, 2)), axis=0).reshape(-1)


_ZERO = {"e": np.zeros(1, np.float16), "f": np.zeros(1, np.float32), "d": np.zeros(1, np.float64)}
_ZERO_SCALAR = {char: zero[0] for char, zero in _ZERO.items()}


def norm_two_squares(values):
    """The sums of squares along the last axis of the C-contiguous float32 or float64 array ``values``, as ATen's
    2-norm kernel of a contiguous last-dim reduction adds them before its square root (ReduceOpsKernel.cpp,
    ``binary_kernel_reduce_lastdim``): each square rounded, then added into the lanes of one 32-byte vector, the
    lanes folded left to right; the leftover elements then added one by one, a block of four with their squares
    rounded and the last ones as fused multiply-adds (the compiled tail loop's rounding, measured against torch 2.13
    on an AVX-512 machine: bit for bit for rows of every length up to 40 and at random lengths beyond)."""
    width = _SUM_VECTOR_BYTES // values.itemsize
    size = values.shape[-1]
    whole = size - size % width
    total = values.dtype.type(0) if values.ndim == 1 else np.zeros(values.shape[:-1], values.dtype)
    if whole:
        vectors = values[..., :whole].reshape(values.shape[:-1] + (-1, width))
        lanes = np.add.reduce(vectors * vectors, axis=-2)  # (down the rows of vectors: in order, lane by lane)
        total = lanes[..., 0]
        for lane in range(1, width):
            total = total + lanes[..., lane]
    tail = values[..., whole:]
    blocked = tail.shape[-1] // 4 * 4
    for k in range(blocked):
        total = total + tail[..., k] * tail[..., k]
    for k in range(blocked, tail.shape[-1]):
        x = tail[..., k]
        if values.dtype == np.float32:
            # the square is exact in float64 and the sum rounded twice, wrong only where it lands on a float32
            # midpoint (one in 2**28): fused_multiply_add32's tie check costs more than the rest of a short norm
            total = np.float32(np.float64(x) * x + total)
        else:
            total = fused_multiply_add64(x, x, total)
    return total


def reduce_all(values, op=np.add, lanes=VECTOR_LANES, simd_fold=True):
    """ATen's ``vec::reduce_all(op, values)`` over the last axis of the float array ``values`` (``op``: np.add or
    np.maximum): a scalar for a 1-D array, one result per row otherwise. ``lanes``: the vector's (8 floats or 4
    doubles in the kernels ATen runs at its AVX2 level); ``simd_fold``: the vector's lanes folded by halves (its
    float specialisation), else added in order (its generic one, which doubles take)."""
    values = np.ascontiguousarray(values)
    size = values.shape[-1]
    if size < lanes:  # one partial vector, its elements folded in in order
        return _in_order(values, op)
    whole = size // lanes * lanes
    acc = values[..., :lanes].copy()
    for start in range(lanes, whole, lanes):
        acc = op(acc, values[..., start:start + lanes])
    tail = values[..., whole:]
    acc[..., :tail.shape[-1]] = op(acc[..., :tail.shape[-1]], tail)
    return _folded(acc, op) if simd_fold else _in_order(acc, op)


def _in_order(values, op):
    """``op`` of the elements along the last axis, one after the other (ATen's vec_reduce_all of a partial
    vector); of none, op's identity."""
    if not values.shape[-1]:
        return np.full(values.shape[:-1], 0 if op is np.add else -np.inf, values.dtype)
    total = values[..., 0]
    for k in range(1, values.shape[-1]):
        total = op(total, values[..., k])
    return total


def _folded(acc, op):
    """ATen's vec_reduce_all of one vector (the last axis, 16 lanes at AVX-512, 8 or 4 at AVX2): halves, quarters,
    ..., pairs."""
    lane = np.arange(acc.shape[-1])
    distance = acc.shape[-1] // 2
    while distance:
        acc = op(acc, acc[..., lane ^ distance])
        distance //= 2
    return acc[..., 0]


def lanes_then_rest_sum(values):
    """The float32 sum along the last axis of ``values`` as ATen's reduced-float softmax kernel adds its
    exponentials: the whole vectors of 16 into 16 lanes, folded (see _folded), then the rest one by one."""
    size = values.shape[-1]
    whole = size - size % VECTOR_LANES
    total = np.zeros(values.shape[:-1], np.float32)
    if whole:
        lanes = values[..., :whole].reshape(values.shape[:-1] + (-1, VECTOR_LANES))
        total = _folded(_in_order(np.moveaxis(lanes, -2, -1), np.add), np.add)
    for k in range(whole, size):
        total = total + values[..., k]
    return total


def reduce_all_half(values, op=np.add):
    """``vec::reduce_all(op, values)`` over the last axis of a float16 array, as ATen's reduced-float overload runs
    it: in float32, two vectors of 16 lanes taking 32 elements at a time (the last ones partly filled), then added
    together and folded."""
    values = np.ascontiguousarray(values, np.float32)
    lanes, size = VECTOR_LANES, values.shape[-1]
    if size < 2 * lanes:
        first, second = values[..., :lanes], values[..., lanes:]
        if size <= lanes:
            return _in_order(first, op)
        first = first.copy()
        first[..., :second.shape[-1]] = op(first[..., :second.shape[-1]], second)
        return _in_order(first, op)  # (its whole vector, added in order: vec_reduce_all given a size)
    whole = size // (2 * lanes) * (2 * lanes)
    acc = values[..., :2 * lanes].copy()
    for start in range(2 * lanes, whole, 2 * lanes):
        acc = op(acc, values[..., start:start + 2 * lanes])
    tail = values[..., whole:]
    acc[..., :tail.shape[-1]] = op(acc[..., :tail.shape[-1]], tail)
    return _folded(op(acc[..., :lanes], acc[..., lanes:]), op)


_NLL_LEVELS = 8  # nll_loss's cascade_sum_num_levels


def _sequential_sums(items, starts, lengths):
    """The sums of the runs ``items[start:start + length]``, each added term by term from 0 in the items' dtype
    (the runs one after the other, from ``starts[0]`` on)."""
    width = int(lengths.max(initial=0))
    sums = np.zeros((len(starts), width + 1), items.dtype)  # (column 0: the 0 every run starts from)
    if width:
        rows = np.repeat(np.arange(len(starts)), lengths)
        columns = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        sums[rows, columns + 1] = items[starts[0]:starts[0] + len(rows)]
    # (accumulate: one after the other; the zeros after a shorter run's end leave its sum as it is)
    return np.add.accumulate(sums, axis=1)[:, -1]


def _nll_cascade_sum_all(terms, step):
    """nll_cascade_sum of every one of the (one or more) ``terms``, a level's runs summed together: the first term
    moves straight up to the last level; after it, every ``step`` items arriving at a level close a run, whose sum
    is the next level's item, and what is left in each level is added up at the end."""
    # (levels are added from 0: a sum of -0.0s is +0.0, as ATen's; scalar adds, in the terms' dtype, cost less than
    # gathering the levels' sums into one array to accumulate)
    total, items = _ZERO_SCALAR.get(terms.dtype.char), terms[1:]
    if total is None:  # (bfloat16, ml_dtypes': its adds round as ATen's c10::BFloat16 ones)
        total = terms.dtype.type(0)
    for _ in range(_NLL_LEVELS - 1):
        size = len(items)
        if not size:
            break
        whole = size - size % step
        if whole != size:  # this level's leftover, added up in level order
            total = total + np.add.accumulate(items[whole:])[-1]
        # (accumulate: one after the other, where NumPy's sum of a row would add pairwise)
        items = np.add.accumulate(items[:whole].reshape(-1, step), axis=1)[:, -1]
    top = np.add.accumulate(np.concatenate([terms[:1], items]))[-1] if len(items) else terms[0]
    return total + top


def nll_cascade_sum(terms, kept=None):
    """The sum of the 1-D ``terms`` as ATen's nll_loss and nll_loss2d kernels add their targets' losses (and
    weights): in the terms' own dtype (a float16 one rounds every partial sum), into eight cascade levels.

    Term ``b`` is added to level 0; then, for as long as ``b``'s next 4 bits (counted from the lowest) are all
    zero, each level is added into the next and emptied, up to the last level; the levels are added up in order
    at the end. Terms not ``kept`` (targets equal to ignore_index) are skipped, moving no level either.
    """
    size = len(terms)
    power = max(4, (int(size - 1).bit_length() if size > 1 else 1) // _NLL_LEVELS)  # (utils::CeilLog2)
    if kept is None and size:
        return _nll_cascade_sum_all(terms, 1 << power)
    positions = np.arange(size) if kept is None else np.flatnonzero(kept)
    items = terms[positions]
    # how many levels each term's addition moves up: one per all-zero group of ``power`` bits from the lowest
    moves, moving = np.zeros(len(positions), np.int64), np.ones(len(positions), bool)
    for level in range(_NLL_LEVELS - 1):
        moving &= (positions >> (level * power)) & ((1 << power) - 1) == 0
        moves += moving
    total = terms.dtype.type(0)
    for _ in range(_NLL_LEVELS - 1):
        # a level's items run into it until one moves it up: each run's sum is an item of the next level
        closing = np.flatnonzero(moves > 0)
        starts = np.concatenate(([0], closing[:-1] + 1))
        rest = closing[-1] + 1 if len(closing) else 0
        total = total + _sequential_sums(items, np.array([rest]), np.array([len(items) - rest]))[0]
        items, moves = _sequential_sums(items, starts, closing + 1 - starts), moves[closing] - 1
    return total + _sequential_sums(items, np.array([0]), np.array([len(items)]))[0]
