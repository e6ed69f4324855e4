"""The orders C++'s std::sort, std::partial_sort and std::nth_element (GCC's libstdc++) leave equal keys in.

PyTorch's CPU sort (unless ``stable=True``), topk and mode sort (key, index) pairs with these unstable algorithms, so
where keys tie, their indices come out in an order that only these algorithms give. Rows without ties take NumPy's
sorts (any correct sort gives the one answer there); rows with ties are replayed here step for step: introsort
(median-of-three quicksort, heapsort past 2 log2(n) levels, insertion sort below 16 elements) and introselect;
long rows' sorts with NumPy, a recursion level of partitions at a time (sort_order_by_levels).

Each function takes ``keys`` (a list compared with ``<`` only) and ``items`` (a list moved along with them) and
reorders both in place over [first, last).
"""

import math

import numpy as np

_THRESHOLD = 16  # libstdc++'s _S_threshold: shorter ranges are left to the final insertion sort
# Longer rows keep NumPy's stable order: a replayed sort of a million values takes about a second (see LEVELS_FROM)
# and a topk with ties a Python pass over the row, where PyTorch's order among ties is rarely what matters
MAX_REPLAYED_LENGTH = 2 ** 20


# --------------------------------------------------------------------------- PyTorch's uses, on one row
def numpy_sort_kind(length, topk=False):
    """The kind of NumPy sort to give unstable_sort_order (``topk``: topk_order) for rows of ``length``: where every
    row with ties is replayed, any correct order will do, and NumPy's default sort is the fastest (a vectorised
    quicksort, several times its stable sort); elsewhere the stable order is the answer."""
    replayed = (topk or length > _THRESHOLD) and length <= MAX_REPLAYED_LENGTH
    return "quicksort" if replayed else "stable"


def unstable_sort_order(values, axis, descending, stable_order):
    """PyTorch's unstable sort's indices along ``axis``, from NumPy's stable ``stable_order`` of ``values`` (any
    correct order where numpy_sort_kind says so): the same but in rows longer than insertion sort's 16 where
    values tie, which are replayed."""
    if values.shape[axis] <= _THRESHOLD:
        return stable_order
    return _replayed(values, axis, stable_order, lambda row: sort_order(row, descending), everywhere=False)


def topk_order(values, axis, k, largest, sorted, stable_order):
    """PyTorch's topk indices along ``axis`` (k of them), from NumPy's stable ``stable_order`` of ``values``
    (descending when ``largest``; any correct order where numpy_sort_kind says so; its first k + 1 of
    leading_order unless topk_needs_whole_order): the stable order's first k, but replayed in rows where values
    tie among the first k + 1, and in every row when unsorted and not a partial sort (nth_element's own order,
    past its insertion sort of up to 3)."""
    n = values.shape[axis]
    everywhere = not sorted and k * 64 > n and n > 3
    return _replayed(values, axis, stable_order, lambda row: row_topk_order(row, k, largest, sorted), everywhere, k)


# From this row length topk partitions rather than sorts (us, 64 rows, k = 5: length 100: 34 sorted vs 53
# partitioned; 300: 213 vs 165; 1000: 1151 vs 507)
LEADING_ORDER_FROM = 256


def topk_needs_whole_order(length, k, sorted):
    """Whether topk_order needs a whole row's sort order (else ``leading_order(..., k + 1, ...)`` will do): where
    every row is replayed or none is (rows too long), where nearly all of the row is taken, and in short rows."""
    everywhere = not sorted and k * 64 > length and length > 3
    return everywhere or not LEADING_ORDER_FROM <= length <= MAX_REPLAYED_LENGTH or k + 1 >= length


def leading_order(values, axis, count, descending):
    """The first ``count`` (< the length) indices along ``axis`` of a correct sort order of ``values`` (descending:
    NaN first, as PyTorch's), from a partition, whose selection costs a pass where a sort costs log n of them. Only
    where a tie in them is replayed (topk_order): ties are in no particular order."""
    length = values.shape[axis]
    if descending:  # (NaN, which NumPy takes for the largest, included first)
        candidates = np.argpartition(values, length - count, axis=axis)
        candidates = np.take(candidates, np.arange(length - count, length), axis=axis)
    else:
        candidates = np.take(np.argpartition(values, count - 1, axis=axis), np.arange(count), axis=axis)
    ascending = np.argsort(np.take_along_axis(values, candidates, axis=axis), axis=axis)
    if descending:
        ascending = np.flip(ascending, axis)
    return np.take_along_axis(candidates, ascending, axis=axis)


def _replayed(values, axis, stable_order, replay, everywhere, width=None):
    """``stable_order`` with the rows along ``axis`` that need it (all, or those with ties) replaced by ``replay``
    of the row (``width`` indices each: the first ``width`` of the stable order elsewhere, which may hold only its
    first ``width + 1``)."""
    moved = _axis_last(values, axis)
    rows = moved.reshape(math.prod(moved.shape[:-1]), moved.shape[-1])  # (-1 is ambiguous with 0 per row)
    order = _axis_last(stable_order, axis).reshape(rows.shape[0], stable_order.shape[axis])
    if rows.shape[1] > MAX_REPLAYED_LENGTH:
        chosen = ()
    elif everywhere:
        chosen = range(rows.shape[0])
    else:
        # (a sorted top k is the one answer unless values tie within it or at its edge: only the first width + 1
        # can matter)
        chosen = _tied_rows(rows, order if width is None else order[:, :width + 1])
    if width is not None:
        order = order[:, :width]
    if not len(chosen):
        if width is None:
            return stable_order
        return np.ascontiguousarray(stable_order[(slice(None),) * (axis % values.ndim) + (slice(width),)])
    order = order.copy()
    for i in chosen:
        order[i] = replay(rows[i])
    shape = _axis_last(stable_order, axis).shape[:-1] + (order.shape[1],)
    order = order.reshape(shape)
    return order if axis == order.ndim - 1 or axis == -1 else np.moveaxis(order, -1, axis)


def _axis_last(array, axis):
    """``array`` with ``axis`` moved last (np.moveaxis, whose argument checks cost more than the move, only when
    it is not last already)."""
    return array if axis == array.ndim - 1 or axis == -1 else np.moveaxis(array, axis, -1)


def _tied_rows(rows, order):
    """The indices of the ``rows`` (2-D) in which values tie, ``order`` sorting each (ascending or descending), or
    its first columns: the values those select."""
    ordered = rows[np.arange(rows.shape[0])[:, None], order]
    # (the ufuncs' reduce: ndarray.any/all go through Python wrappers, a large part of a small sort's time)
    tied = np.logical_or.reduce(ordered[:, 1:] == ordered[:, :-1], axis=1)
    if rows.dtype.kind in "fc" and ordered.shape[1] > 1:  # NaNs tie too: NumPy's sorts put them together at one end
        nan = ordered != ordered
        if np.count_nonzero(nan) > 1:
            for end in (nan[:, :2], nan[:, -2:]):
                tied |= np.logical_and.reduce(end, axis=1)
    return np.flatnonzero(tied)


def _ranks(row, descending):
    """Keys whose ``<`` is PyTorch's sort comparator on ``row``: NaN above everything (first when descending), as an
    int64 array."""
    ranks = np.unique(row, return_inverse=True)[1].reshape(-1)
    return -ranks if descending else ranks


def sort_order(row, descending=False):
    """The indices PyTorch's unstable CPU sort orders the 1-D ``row`` by."""
    if row.size >= LEVELS_FROM:
        return sort_order_by_levels(_ranks(row, descending))
    keys, items = _ranks(row, descending).tolist(), list(range(row.size))
    sort(keys, items)
    return np.array(items, np.int64)


def row_topk_order(row, k, largest=True, sorted=True):
    """The indices of PyTorch's CPU topk on the 1-D ``row``: a partial sort when k is at most 1/64 of the row,
    else nth_element then a sort of the k - 1 in front of the k-th (unsorted: in nth_element's order)."""
    keys, items = _ranks(row, largest).tolist(), list(range(row.size))
    if k == 0:
        return np.zeros(0, np.int64)
    if k * 64 <= row.size:
        partial_sort(keys, items, k)
    else:
        nth_element(keys, items, k - 1)
        if sorted:
            sort(keys, items, 0, k - 1)
    return np.array(items[:k], np.int64)


def mode_index(row):
    """The index PyTorch's CPU mode gives for the 1-D ``row``: its (value, index) pairs sorted by value with
    std::sort, the last pair of the first longest run of equal values."""
    if row.size >= LEVELS_FROM and not (row.dtype.kind == "f" and np.isnan(row).any()):
        # (NaN, unordered by the kernel's <, left to the replay of the values themselves)
        ranks = _ranks(row, False)
        order = sort_order_by_levels(ranks)
        ends = np.append(np.flatnonzero(np.diff(ranks[order])), row.size - 1)  # each run's last place
        lengths = np.diff(ends, prepend=-1)
        return int(order[ends[np.argmax(lengths)]])
    keys, items = row.tolist(), list(range(row.size))
    sort(keys, items)
    best_index, best_count, count = 0, 0, 0
    for i in range(len(keys)):
        count += 1
        if i == len(keys) - 1 or keys[i] != keys[i + 1]:
            if count > best_count:
                best_index, best_count = items[i], count
            count = 0
    return best_index


# --------------------------------------------------------------------------- std::sort, a level at a time
# From this row length sort_order partitions with NumPy (sort_order_by_levels) rather than in Python, down to
# ranges of LEVELS_DOWN_TO (ms of CPU, the replay in Python / by levels down to 128, 512, 2048: random float32
# values, whose ties are few, 2,000: 1.5 / 0.2, 0.1, 0.1; 20,000: 19 / 6.8, 5.4, 5.6; 100,000: 153 / 49, 45, 59;
# 1,000,000: ~3,600 / 870, 880, 1,020; integers of 50 values, all tied: 2,000: 1.3 / 1.9, 1.5, 1.1; 100,000:
# 118 / 76, 78, 80)
LEVELS_FROM = 2048
LEVELS_DOWN_TO = 512


def sort_order_by_levels(keys):
    """The order std::sort leaves the int64 ``keys`` (1-D, compared with ``<``) in: sort()'s, computed with NumPy.

    Introsort's partitions touch disjoint ranges, so every range of one recursion level is partitioned at once
    (_partition_level). A range of distinct keys needs no more of them: the final insertion sort, stable, orders
    it as any sort would, and it leaves equal keys of different ranges in the order of their ranges. So only ranges
    holding two keys tied with others are partitioned further, down to LEVELS_DOWN_TO, then replayed in Python;
    the final insertion sort is NumPy's stable sort of what the partitions left.
    """
    n = keys.size
    keys, items = keys.astype(np.int64), np.arange(n)
    counts = np.bincount(keys - keys.min())
    tied = counts[keys - keys.min()] > 1
    first, last, depth = np.zeros(1, np.intp), np.full(1, n, np.intp), np.full(1, 2 * _log2(n), np.intp)
    replayed = []  # (first, last, depth) of the ranges left to the Python replay
    while first.size:
        # ranges of distinct keys (or too short for a partition) are done; at their depth limit or short, replayed
        tied_before = np.concatenate(([0], np.cumsum(tied)))
        active = (last - first > _THRESHOLD) & (tied_before[last] - tied_before[first] > 1)
        first, last, depth = first[active], last[active], depth[active]
        by_python = (depth == 0) | (last - first <= LEVELS_DOWN_TO)
        replayed += zip(first[by_python].tolist(), last[by_python].tolist(), depth[by_python].tolist())
        first, last, depth = first[~by_python], last[~by_python], depth[~by_python] - 1
        if first.size:
            cut = _partition_level(keys, (items, tied), first, last)
            first, last, depth = np.concatenate((first, cut)), np.concatenate((cut, last)), np.tile(depth, 2)
    if replayed:
        key_list, item_list = keys.tolist(), items.tolist()
        for start, stop, levels in replayed:
            _introsort_loop(key_list, item_list, start, stop, levels)
        keys, items = np.array(key_list, np.int64), np.array(item_list, np.intp)
    return items[np.argsort(keys, kind="stable")].astype(np.int64)


def _partition_level(keys, carried, first, last):
    """_unguarded_partition_pivot on each range [first, last) (disjoint, each longer than 3) at once, moving the
    ``carried`` arrays along with ``keys``; returns the cuts.

    A range's scan from the left stops at the keys >= the pivot, L_0 < L_1 < ..., the one from the right at the
    keys <= it, R_0 > R_1 > ... (the pivot's own place last); both are read off the keys as they were, since each
    swap is behind both scans. Pairs swap while L_k < R_k; at the first k* where not, the left scan stops at
    L_k* or, sooner, at R_(k*-1), which the last swap gave a key >= the pivot: the cut.
    """
    a, b, c = first + 1, first + (last - first) // 2, last - 1
    key_a, key_b, key_c = keys[a], keys[b], keys[c]
    median = np.where(key_a < key_b, np.where(key_b < key_c, b, np.where(key_a < key_c, c, a)),
                      np.where(key_a < key_c, a, np.where(key_b < key_c, c, b)))
    _swap_at(keys, carried, first, median)
    count = first.size
    lengths = last - first
    segment = np.repeat(np.arange(count), lengths)
    position = np.arange(segment.size) + np.repeat(first - (np.cumsum(lengths) - lengths), lengths)
    values, pivots = keys[position], keys[first][segment]
    left_mask = values >= pivots
    left_mask[np.cumsum(lengths) - lengths] = False  # (the pivot's own place)
    left_stops, left_segment = position[left_mask], segment[left_mask]
    right_mask = values <= pivots
    right_stops, right_segment = position[right_mask], segment[right_mask]
    left_count = np.bincount(left_segment, minlength=count)
    right_count = np.bincount(right_segment, minlength=count)
    pairs = np.minimum(left_count, right_count)
    left_start = np.cumsum(left_count) - left_count
    k_left = np.arange(left_stops.size) - np.repeat(left_start, left_count)
    paired_left = left_stops[k_left < pairs[left_segment]]
    # the right stops in scan order (descending positions): k from the range's end
    k_right = np.repeat(np.cumsum(right_count) - 1, right_count) - np.arange(right_stops.size)
    kept = k_right < pairs[right_segment]
    pair_start = np.cumsum(pairs) - pairs
    paired_right = np.empty(paired_left.size, np.intp)
    paired_right[pair_start[right_segment[kept]] + k_right[kept]] = right_stops[kept]
    crossing = paired_left < paired_right
    swaps = np.bincount(np.repeat(np.arange(count), pairs)[crossing], minlength=count)  # k*
    _swap_at(keys, carried, paired_left[crossing], paired_right[crossing])
    no_stop = np.iinfo(np.intp).max
    left_cut = np.where(swaps < left_count, left_stops[np.minimum(left_start + swaps, left_stops.size - 1)], no_stop)
    right_cut = no_stop if not paired_right.size else \
        np.where(swaps > 0, paired_right[np.maximum(pair_start + swaps - 1, 0)], no_stop)
    return np.minimum(left_cut, right_cut)


def _swap_at(keys, carried, i, j):
    """keys[i], keys[j] = keys[j], keys[i] (and the same in each of ``carried``), for distinct places."""
    for array in (keys, *carried):
        array[i], array[j] = array[j], array[i].copy()


# --------------------------------------------------------------------------- the algorithms


def sort(keys, items, first=0, last=None):
    """std::sort."""
    last = len(keys) if last is None else last
    if last - first > 1:
        _introsort_loop(keys, items, first, last, 2 * _log2(last - first))
        _final_insertion_sort(keys, items, first, last)


def partial_sort(keys, items, middle, first=0, last=None):
    """std::partial_sort: the ``middle - first`` smallest, sorted, in front (by heap selection)."""
    last = len(keys) if last is None else last
    _heap_select(keys, items, first, middle, last)
    _sort_heap(keys, items, first, middle)


def nth_element(keys, items, nth, first=0, last=None):
    """std::nth_element: the element a sort would put at ``nth`` there, none greater before it, none less after."""
    last = len(keys) if last is None else last
    if first == last or nth == last:
        return
    depth = 2 * _log2(last - first)
    while last - first > 3:
        if depth == 0:
            _heap_select(keys, items, first, nth + 1, last)
            _swap(keys, items, first, nth)
            return
        depth -= 1
        cut = _unguarded_partition_pivot(keys, items, first, last)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(keys, items, first, last)


def _log2(n):
    return n.bit_length() - 1


def _swap(keys, items, i, j):
    keys[i], keys[j] = keys[j], keys[i]
    items[i], items[j] = items[j], items[i]


def _introsort_loop(keys, items, first, last, depth):
    while last - first > _THRESHOLD:
        if depth == 0:
            partial_sort(keys, items, last, first, last)  # heapsort
            return
        depth -= 1
        cut = _unguarded_partition_pivot(keys, items, first, last)
        _introsort_loop(keys, items, cut, last, depth)
        last = cut


def _unguarded_partition_pivot(keys, items, first, last):
    """Moves the median of the second, middle and last keys to ``first`` and partitions the rest around it."""
    a, b, c = first + 1, first + (last - first) // 2, last - 1
    if keys[a] < keys[b]:
        median = b if keys[b] < keys[c] else c if keys[a] < keys[c] else a
    else:
        median = a if keys[a] < keys[c] else c if keys[b] < keys[c] else b
    _swap(keys, items, first, median)
    pivot = keys[first]
    low, high = first + 1, last
    while True:
        while keys[low] < pivot:
            low += 1
        high -= 1
        while pivot < keys[high]:
            high -= 1
        if not low < high:
            return low
        _swap(keys, items, low, high)
        low += 1


def _final_insertion_sort(keys, items, first, last):
    if last - first > _THRESHOLD:
        _insertion_sort(keys, items, first, first + _THRESHOLD)
        for i in range(first + _THRESHOLD, last):
            _unguarded_linear_insert(keys, items, i)
    else:
        _insertion_sort(keys, items, first, last)


def _insertion_sort(keys, items, first, last):
    for i in range(first + 1, last):
        if keys[i] < keys[first]:  # to the front, everything before it shifted up by one
            key, item = keys[i], items[i]
            keys[first + 1:i + 1], items[first + 1:i + 1] = keys[first:i], items[first:i]
            keys[first], items[first] = key, item
        else:
            _unguarded_linear_insert(keys, items, i)


def _unguarded_linear_insert(keys, items, last):
    key, item = keys[last], items[last]
    previous = last - 1
    while key < keys[previous]:
        keys[last], items[last] = keys[previous], items[previous]
        last = previous
        previous -= 1
    keys[last], items[last] = key, item


# --------------------------------------------------------------------------- heaps (a max-heap under <)
def _heap_select(keys, items, first, middle, last):
    _make_heap(keys, items, first, middle)
    for i in range(middle, last):
        if keys[i] < keys[first]:
            _pop_heap(keys, items, first, middle, i)


def _sort_heap(keys, items, first, last):
    while last - first > 1:
        last -= 1
        _pop_heap(keys, items, first, last, last)


def _make_heap(keys, items, first, last):
    length = last - first
    if length < 2:
        return
    parent = (length - 2) // 2
    while True:
        _adjust_heap(keys, items, first, parent, length, keys[first + parent], items[first + parent])
        if parent == 0:
            return
        parent -= 1


def _pop_heap(keys, items, first, last, result):
    """The heap's top to ``result``; what was at ``result`` sifted into the heap [first, last)."""
    key, item = keys[result], items[result]
    keys[result], items[result] = keys[first], items[first]
    _adjust_heap(keys, items, first, 0, last - first, key, item)


def _adjust_heap(keys, items, first, hole, length, key, item):
    """Moves the hole at ``hole`` down to a leaf along the larger children, then pushes (key, item) up into it."""
    top, child = hole, hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if keys[first + child] < keys[first + child - 1]:
            child -= 1
        keys[first + hole], items[first + hole] = keys[first + child], items[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        keys[first + hole], items[first + hole] = keys[first + child - 1], items[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and keys[first + parent] < key:
        keys[first + hole], items[first + hole] = keys[first + parent], items[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    keys[first + hole], items[first + hole] = key, item
