"""libstdc++'s unstable sorts replayed (_kernels/std_sort.py): correct sorts and selections on their own, and the very
orders PyTorch's CPU sort, topk and mode leave tied values in."""
import numpy as np
import pytest

from torchless._kernels import std_sort


def tied_rows(seed, count=150, longest=400):
    """Rows of few distinct values (so many ties), some with NaNs and signed zeros, of assorted dtypes."""
    rng = np.random.default_rng(seed)
    for trial in range(count):
        n = int(rng.integers(1, longest))
        row = rng.integers(-2, int(rng.integers(-1, 4)), n).astype(rng.choice([np.float32, np.float64, np.int64]))
        if row.dtype.kind == "f" and trial % 3 == 0:
            row[rng.random(n) < 0.1] = np.nan
        if row.dtype.kind == "f" and trial % 5 == 0:
            row[row == 0] = -0.0
        yield row


def sort_keys(row):
    """The values with NaN as +inf: PyTorch's comparators put NaN above every number (first when descending)."""
    return np.where(np.isnan(row), np.inf, row) if row.dtype.kind == "f" else row


@pytest.mark.parametrize("descending", [False, True])
def test_sort_order_sorts(descending):
    for row in tied_rows(0):
        order = std_sort.sort_order(row, descending)
        assert sorted(order.tolist()) == list(range(row.size))
        keys = sort_keys(row[order])
        assert np.all(keys[1:] <= keys[:-1]) if descending else np.all(keys[1:] >= keys[:-1])


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("sorted_", [True, False])
def test_topk_order_selects_the_k_extremes(largest, sorted_):
    for row in tied_rows(1, count=60):
        for k in {0, 1, min(3, row.size), row.size // 2, row.size}:
            chosen = std_sort.row_topk_order(row, k, largest, sorted_)
            assert len(set(chosen.tolist())) == k
            keys = sort_keys(row)
            expected = np.sort(keys)[::-1][:k] if largest else np.sort(keys)[:k]
            np.testing.assert_array_equal(np.sort(keys[chosen]), np.sort(expected))
            if sorted_:
                picked = keys[chosen]
                assert np.all(picked[1:] <= picked[:-1]) if largest else np.all(picked[1:] >= picked[:-1])


def test_mode_index_points_at_the_smallest_most_frequent_value():
    for row in tied_rows(2, count=60):
        if row.dtype.kind == "f" and np.isnan(row).any():
            continue  # (NaN breaks the comparator's ordering; PyTorch's answer is checked below)
        values, counts = np.unique(row, return_counts=True)
        assert row[std_sort.mode_index(row)] == values[np.argmax(counts)]


def test_heapsort_sorts():
    """Introsort's fallback past its depth limit: partial_sort over the whole range."""
    keys = [(i * 7919) % 61 for i in range(1024)]
    items = list(range(1024))
    expected = sorted(zip(keys, items))
    std_sort.partial_sort(keys, items, len(keys))
    assert keys == sorted(keys)
    assert sorted(zip(keys, items)) == expected  # the pairs moved together


def test_orders_are_pytorchs():
    torch = pytest.importorskip("torch")
    for row in tied_rows(3, count=120):
        tensor = torch.from_numpy(row)
        for descending in (False, True):
            np.testing.assert_array_equal(std_sort.sort_order(row, descending),
                                          torch.sort(tensor, descending=descending)[1].numpy())
        for k in {1, min(2, row.size), row.size // 3, row.size}:
            for largest in (True, False):
                for sorted_ in (True, False):
                    np.testing.assert_array_equal(std_sort.row_topk_order(row, k, largest, sorted_),
                                                  torch.topk(tensor, k, largest=largest, sorted=sorted_)[1].numpy())
        assert std_sort.mode_index(row) == int(torch.mode(tensor)[1])


def test_rows_past_the_replayed_length_keep_the_stable_order(monkeypatch):
    monkeypatch.setattr(std_sort, "MAX_REPLAYED_LENGTH", 20)
    row = np.zeros((1, 40))
    stable = np.argsort(row, axis=1, kind="stable")
    np.testing.assert_array_equal(std_sort.unstable_sort_order(row, 1, False, stable), stable)
    np.testing.assert_array_equal(std_sort.topk_order(row, 1, 3, True, False, stable), stable[:, :3])
    monkeypatch.setattr(std_sort, "MAX_REPLAYED_LENGTH", 2 ** 20)
    assert not np.array_equal(std_sort.unstable_sort_order(row, 1, False, stable), stable)  # (ties replayed)


def long_rows_tied_at_chosen_places(seed):
    """(row, k) pairs of rows long enough for topk's partition (LEADING_ORDER_FROM and up): distinct values with ties
    placed inside the top k, at its edge (the k-th and the k+1-th largest or smallest), only further down, or none;
    some with NaNs (largest)."""
    rng = np.random.default_rng(seed)
    for trial in range(120):
        n = int(rng.integers(std_sort.LEADING_ORDER_FROM, 3000))
        row = rng.permutation(n).astype(rng.choice([np.float32, np.float64, np.int64]))
        k = int(rng.integers(1, 12))
        where = trial % 5
        ranked = np.argsort(row)
        for top in (ranked[::-1], ranked):  # (a tie for each direction: largest and smallest)
            if where == 0:  # inside the top k
                row[top[k // 2]] = row[top[0]]
            elif where == 1:  # at its edge
                row[top[k]] = row[top[k - 1]]
            elif where == 2:  # below it only
                row[top[k + 3:k + 30]] = row[top[k + 2]]
        if where == 4 and row.dtype.kind == "f":
            row[rng.integers(0, n, int(rng.integers(1, 4)))] = np.nan
        yield row, k


@pytest.mark.parametrize("largest", [True, False])
def test_topk_of_long_rows_is_the_replay(largest):
    """Tensor.topk's partition (ties looked for among the first k + 1 only) against the whole replay."""
    import torchless

    assert not std_sort.topk_needs_whole_order(std_sort.LEADING_ORDER_FROM, 11, True)
    for row, k in long_rows_tied_at_chosen_places(5):
        for sorted_ in (True, False):
            indices = torchless.from_numpy(row).topk(k, largest=largest, sorted=sorted_).indices.numpy()
            np.testing.assert_array_equal(indices, std_sort.row_topk_order(row, k, largest, sorted_))


def test_topk_of_long_rows_is_pytorchs():
    torch = pytest.importorskip("torch")
    import torchless

    for row, k in long_rows_tied_at_chosen_places(6):
        rows = np.stack([row, np.roll(row, 7)])
        for dim in (1, 0):
            data = rows if dim == 1 else np.ascontiguousarray(rows.T)
            for largest in (True, False):
                ours = torchless.from_numpy(data).topk(k, dim=dim, largest=largest)
                theirs = torch.from_numpy(data).topk(k, dim=dim, largest=largest)
                np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
                np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())


def keys_with_ties(seed, count=60, longest=5000):
    """int64 sort keys of assorted lengths: few values (all tied), distinct ones with a few ties, sorted runs."""
    rng = np.random.default_rng(seed)
    for trial in range(count):
        n = int(rng.integers(17, longest))
        if trial % 4 == 0:
            yield rng.integers(0, max(2, n // int(rng.integers(1, 60))), n)
        elif trial % 4 == 1:
            keys = rng.permutation(n)
            keys[rng.integers(0, n, 6)] = keys[0]
            yield keys
        elif trial % 4 == 2:
            yield rng.integers(-1, 2, n)
        else:
            yield np.sort(rng.integers(0, n, n))[::1 if trial % 8 == 3 else -1].copy()


@pytest.mark.parametrize("down_to", [17, 100, 512])
def test_sort_by_levels_is_the_replay(monkeypatch, down_to):
    monkeypatch.setattr(std_sort, "LEVELS_DOWN_TO", down_to)
    for keys in keys_with_ties(7):
        replayed_keys, items = keys.tolist(), list(range(keys.size))
        std_sort.sort(replayed_keys, items)
        np.testing.assert_array_equal(std_sort.sort_order_by_levels(keys), items)


@pytest.mark.parametrize("log2", [0, 1, 3])
def test_sort_by_levels_meets_the_depth_limit_as_the_replay(monkeypatch, log2):
    """Ranges at introsort's depth limit (2 log2(n), made tiny here) go to heapsort, in both."""
    monkeypatch.setattr(std_sort, "_log2", lambda n: log2)
    monkeypatch.setattr(std_sort, "LEVELS_DOWN_TO", 17)
    for keys in keys_with_ties(8, count=24, longest=3000):
        replayed_keys, items = keys.tolist(), list(range(keys.size))
        std_sort.sort(replayed_keys, items)
        np.testing.assert_array_equal(std_sort.sort_order_by_levels(keys), items)


def test_long_rows_sort_as_pytorchs():
    torch = pytest.importorskip("torch")
    import torchless

    rng = np.random.default_rng(9)
    rows = [rng.standard_normal(std_sort.LEVELS_FROM + 3000).astype(np.float32).round(3),
            rng.integers(0, 40, 2 * std_sort.LEVELS_FROM), np.repeat(np.arange(3.0), 3000)]
    rows[0][rng.integers(0, rows[0].size, 20)] = np.nan
    for row in rows:
        for descending in (False, True):
            ours = torchless.from_numpy(row).sort(descending=descending)
            theirs = torch.from_numpy(row).sort(descending=descending)
            np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


def test_mode_of_long_rows_is_the_replays_and_pytorchs():
    """mode_index of rows from LEVELS_FROM on (sorted by levels, runs found with NumPy) against the Python replay of
    the values' sort, and torch."""
    rng = np.random.default_rng(10)
    torch = None
    try:
        import torch
    except ImportError:
        pass
    for trial in range(12):
        n = int(rng.integers(std_sort.LEVELS_FROM, 3 * std_sort.LEVELS_FROM))
        row = rng.integers(0, int(rng.integers(2, 300)), n).astype([np.float32, np.int64, np.float64][trial % 3])
        if trial % 4 == 0:
            row[row == 0] = -0.0
        keys, items = row.tolist(), list(range(n))
        std_sort.sort(keys, items)
        ends = [i for i in range(n) if i == n - 1 or keys[i] != keys[i + 1]]
        runs = [end - start for start, end in zip([-1] + ends[:-1], ends)]
        expected = items[ends[runs.index(max(runs))]]
        assert std_sort.mode_index(row) == expected
        if torch is not None:
            assert int(torch.mode(torch.from_numpy(row))[1]) == expected
