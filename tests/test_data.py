"""Tests of torchless.utils.data: DataLoader, samplers, datasets, random_split and default_collate.

Coverage and ordering are checked against plain index bookkeeping; collation, argument errors and
split sizes against PyTorch's torch.utils.data when it is installed.
"""
import collections
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import torchless
from torchless.utils.data import (
    BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler, SequentialSampler, Subset,
    SubsetRandomSampler, TensorDataset, WeightedRandomSampler, default_collate, default_convert, random_split,
)
from helpers import examples

FAST = examples(40)


class Indices(Dataset):
    """Sample i is the int i."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, index):
        if not 0 <= index < self.n:
            raise IndexError(index)
        return index

    def __len__(self):
        return self.n


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def epoch(loader):
    return [batch.tolist() for batch in loader]


# ------------------------------------------------------------------------------------------ imports
def test_import_torchless_loads_neither_utils_nor_vision():
    code = ("import sys, torchless; assert not any(m.startswith(('torchless.utils', 'torchless.vision')) "
            "for m in sys.modules); import torchless.utils.data; "
            "assert not any(m.startswith('torchless.vision') for m in sys.modules); "
            "assert torchless.utils.data.DataLoader is not None")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_utils_data_reachable_as_attributes():
    assert torchless.utils.data.DataLoader is DataLoader


# ------------------------------------------------------------------------------------- coverage
@FAST
@given(n=st.integers(1, 40), batch_size=st.integers(1, 9), shuffle=st.booleans(), drop_last=st.booleans())
def test_every_index_once_per_epoch(n, batch_size, shuffle, drop_last):
    loader = DataLoader(Indices(n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last)
    batches = epoch(loader)
    full, rest = divmod(n, batch_size)
    expected_sizes = [batch_size] * full + ([rest] if rest and not drop_last else [])
    assert [len(b) for b in batches] == expected_sizes
    assert len(loader) == len(expected_sizes)
    seen = [i for b in batches for i in b]
    assert len(set(seen)) == len(seen)
    if drop_last:
        assert set(seen) <= set(range(n)) and len(seen) == full * batch_size
    else:
        assert sorted(seen) == list(range(n))
    if not shuffle:
        assert seen == list(range(len(seen)))


def test_batches_are_int64_tensors_of_the_batch_shape():
    batches = list(DataLoader(Indices(10), batch_size=4))
    assert all(isinstance(b, torchless.Tensor) and b.dtype == torchless.int64 for b in batches)
    assert [tuple(b.shape) for b in batches] == [(4,), (4,), (2,)]


def test_shuffle_reproducible_with_manual_seed_and_varies_between_epochs():
    loader = DataLoader(Indices(50), batch_size=7, shuffle=True)
    torchless.manual_seed(3)
    first, second = epoch(loader), epoch(loader)
    torchless.manual_seed(3)
    assert epoch(loader) == first and epoch(loader) == second
    assert first != second
    torchless.manual_seed(4)
    assert epoch(loader) != first


def test_shuffle_reproducible_with_generator():
    def run(seed):
        loader = DataLoader(Indices(50), batch_size=8, shuffle=True, generator=torchless.Generator().manual_seed(seed))
        return epoch(loader) + epoch(loader)

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_num_workers_give_the_same_batches():
    gen = lambda: torchless.Generator().manual_seed(5)  # noqa: E731
    plain = epoch(DataLoader(Indices(30), batch_size=4, shuffle=True, generator=gen()))
    workers = epoch(DataLoader(Indices(30), batch_size=4, shuffle=True, generator=gen(), num_workers=2))
    assert workers == plain


def test_explicit_sampler_and_batch_sampler():
    loader = DataLoader(Indices(10), batch_size=3, sampler=[9, 7, 5, 3, 1])
    assert epoch(loader) == [[9, 7, 5], [3, 1]]
    loader = DataLoader(Indices(10), batch_sampler=[[1, 2], [0], [9, 8, 7]])
    assert epoch(loader) == [[1, 2], [0], [9, 8, 7]] and len(loader) == 3
    assert loader.batch_size is None and loader.drop_last is False


def test_batch_size_none_converts_items_without_batching():
    class Arrays(Indices):
        def __getitem__(self, index):
            return np.full(2, index, np.int32), index

    items = list(DataLoader(Arrays(3), batch_size=None))
    assert len(items) == 3
    array, number = items[2]
    assert isinstance(array, torchless.Tensor) and array.dtype == torchless.int32 and array.tolist() == [2, 2]
    assert number == 2 and isinstance(number, int)


def test_custom_collate_fn_receives_the_samples():
    loader = DataLoader(Indices(5), batch_size=2, collate_fn=lambda samples: tuple(samples))
    assert list(loader) == [(0, 1), (2, 3), (4,)]


def test_getitems_is_used_for_batches():
    class Batched(Indices):
        def __getitems__(self, indices):
            return [10 * i for i in indices]

    assert epoch(DataLoader(Batched(4), batch_size=3)) == [[0, 10, 20], [30]]


def test_iterable_dataset_batches_and_length():
    assert epoch(DataLoader(Stream(7), batch_size=3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert epoch(DataLoader(Stream(7), batch_size=3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(DataLoader(Stream(7), batch_size=3)) == 3 and len(DataLoader(Stream(7), batch_size=3, drop_last=True)) == 2
    assert list(DataLoader(Stream(3), batch_size=None)) == [0, 1, 2]


# ------------------------------------------------------------------------------ fast batch path
class IndexingSpy(TensorDataset):
    """A TensorDataset whose __getitem__ is overridden: the batched path must not bypass it."""

    def __getitem__(self, index):
        return tuple(t[index] * 0 for t in self.tensors)


def test_tensor_dataset_fast_path_equals_per_item_path():
    x = torchless.randn(23, 3, 2)
    y = torchless.arange(23)
    dataset = TensorDataset(x, y)
    gen = lambda: torchless.Generator().manual_seed(9)  # noqa: E731
    fast = list(DataLoader(dataset, batch_size=5, shuffle=True, generator=gen()))
    slow = list(DataLoader(dataset, batch_size=5, shuffle=True, generator=gen(),
                           collate_fn=lambda b: default_collate(b)))
    assert len(fast) == len(slow) == 5
    for (fx, fy), (sx, sy) in zip(fast, slow):
        assert isinstance(fx, torchless.Tensor) and fx.dtype == sx.dtype and fy.dtype == sy.dtype == torchless.int64
        np.testing.assert_array_equal(fx.numpy(), sx.numpy())
        np.testing.assert_array_equal(fy.numpy(), sy.numpy())
        np.testing.assert_array_equal(fx.numpy(), x.numpy()[fy.numpy()])


def test_subset_fast_path_equals_per_item_path():
    data = torchless.arange(40).reshape(20, 2)
    subset = Subset(TensorDataset(data), [19, 3, 7, 11, 0, 5])
    fast = [b[0].tolist() for b in DataLoader(subset, batch_size=4)]
    assert fast == [[[38, 39], [6, 7], [14, 15], [22, 23]], [[0, 1], [10, 11]]]


def test_fast_path_not_used_when_getitem_is_overridden():
    dataset = IndexingSpy(torchless.arange(1, 7))
    (batch,) = next(iter(DataLoader(dataset, batch_size=6)))
    assert batch.tolist() == [0] * 6
    (batch,) = next(iter(DataLoader(Subset(dataset, [0, 1]), batch_size=2)))
    assert batch.tolist() == [0, 0]


# ----------------------------------------------------------------------------- default_collate
Point = collections.namedtuple("Point", "x y")


def test_default_collate_numbers_independently():
    ints = default_collate([1, 2, 3])
    assert ints.dtype == torchless.int64 and ints.tolist() == [1, 2, 3]
    floats = default_collate([0.5, 1.0])
    assert floats.dtype == torchless.float64 and floats.tolist() == [0.5, 1.0]
    bools = default_collate([True, False])
    assert bools.dtype == torchless.bool and bools.tolist() == [True, False]
    assert default_collate(["a", "b"]) == ["a", "b"]
    pair = default_collate([(1, "a"), (2, "b")])
    assert isinstance(pair, list) and pair[0].tolist() == [1, 2] and pair[1] == ("a", "b")


def _samples():
    """Name -> (numpy-level description, builder(tensor_fn) producing a batch) for the oracle comparison."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(3)]
    return {
        "ints": lambda T: [1, 2, 3],
        "floats": lambda T: [1.5, -2.0],
        "bools": lambda T: [True, False, True],
        "int_then_float": lambda T: [1, 2.5],
        "np_float64": lambda T: [np.float64(1.5), np.float64(2)],
        "np_float32": lambda T: [np.float32(1.5), np.float32(2)],
        "np_int32": lambda T: [np.int32(1), np.int32(-4)],
        "np_bool": lambda T: [np.bool_(True), np.bool_(False)],
        "arrays": lambda T: arrays,
        "uint8_arrays": lambda T: [np.arange(4, dtype=np.uint8).reshape(2, 2)] * 2,
        "zero_d_arrays": lambda T: [np.array(1.0), np.array(2.0)],
        "tensors": lambda T: [T(a) for a in arrays],
        "tuples": lambda T: [(T(arrays[0]), 1, "x"), (T(arrays[1]), 2, "y")],
        "lists": lambda T: [[1, 2.0], [3, 4.0]],
        "dicts": lambda T: [{"a": 1, "b": [np.float32(1), 2.5]}, {"a": 2, "b": [np.float32(3), 4.5]}],
        "namedtuples": lambda T: [Point(1, np.ones(2)), Point(2, np.zeros(2))],
        "strings": lambda T: ["a", "bc"],
        "bytes": lambda T: [b"a", b"b"],
    }


def _plain(value, tensor_type):
    """A comparable structure: tensors become ('tensor', dtype name, shape, values)."""
    if isinstance(value, tensor_type):
        array = value.numpy()
        return ("tensor", str(value.dtype).split(".")[-1], array.shape, array.tolist())
    if isinstance(value, dict):
        return ("dict", {k: _plain(v, tensor_type) for k, v in value.items()})
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, [_plain(v, tensor_type) for v in value])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_plain(v, tensor_type) for v in value])
    return (type(value).__name__, value)


@pytest.mark.parametrize("function", [default_collate, default_convert], ids=lambda f: f.__name__)
@pytest.mark.parametrize("name", list(_samples()))
def test_collate_and_convert_match_torch(function, name):
    torch = pytest.importorskip("torch")
    from torch.utils import data as torch_data

    build = _samples()[name]
    ours = _plain(function(build(lambda a: torchless.tensor(a))), torchless.Tensor)
    theirs = _plain(getattr(torch_data, function.__name__)(build(lambda a: torch.tensor(a))), torch.Tensor)
    assert ours == theirs


@pytest.mark.parametrize("batch", [
    [[1, 2], [1]],
    [np.array(["a"]), np.array(["b"])],
    [object(), object()],
    [None, None],
])
def test_default_collate_errors_match_torch(batch):
    pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    with pytest.raises(Exception) as theirs:
        torch_collate(batch)
    with pytest.raises(type(theirs.value)) as ours:
        default_collate(batch)
    assert str(ours.value) == str(theirs.value)


def test_collated_tensors_keep_autograd():
    x = torchless.ones(2, requires_grad=True)
    batch = default_collate([x * 2, x * 3])
    batch.sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]


# ------------------------------------------------------------------------------- argument errors
BAD_LOADER_ARGS = [
    dict(batch_size=0),
    dict(batch_size=-1),
    dict(batch_size=2.5),
    dict(drop_last=1),
    dict(shuffle=True, sampler=[0, 1]),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(num_workers=-1),
    dict(timeout=-1),
    dict(prefetch_factor=2),
    dict(num_workers=1, prefetch_factor=-1),
    dict(persistent_workers=True),
    dict(multiprocessing_context="spawn"),
]


@pytest.mark.parametrize("kwargs", BAD_LOADER_ARGS, ids=[str(k) for k in BAD_LOADER_ARGS])
def test_loader_argument_errors_match_torch(kwargs):
    torch = pytest.importorskip("torch")

    class TorchIndices(torch.utils.data.Dataset):
        def __getitem__(self, i):
            return i

        def __len__(self):
            return 4

    with pytest.raises(Exception) as theirs:
        torch.utils.data.DataLoader(TorchIndices(), **kwargs)
    with pytest.raises(type(theirs.value)) as ours:
        DataLoader(Indices(4), **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_loader_errors_without_torch():
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        DataLoader(Indices(3), batch_size=0)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(Indices(3), shuffle=True, sampler=[0])


def test_loader_attributes_fixed_after_init():
    loader = DataLoader(Indices(3))
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 2
    loader.num_workers = 0  # not protected


def test_iterable_dataset_rejects_shuffle_and_samplers():
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle=True"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Stream(3), sampler=[0])


@pytest.mark.parametrize("make", [
    lambda m: m.RandomSampler(range(3), num_samples=0),
    lambda m: m.RandomSampler(range(3), replacement=1),
    lambda m: m.RandomSampler([]),
    lambda m: m.WeightedRandomSampler([1.0, 2.0], 0),
    lambda m: m.WeightedRandomSampler([[1.0]], 1),
    lambda m: m.BatchSampler(range(3), 2, "no"),
])
def test_sampler_argument_errors_match_torch(make):
    torch = pytest.importorskip("torch")
    import torchless.utils.data as ours_module

    with pytest.raises(Exception) as theirs:
        make(torch.utils.data)
    with pytest.raises(type(theirs.value)) as ours:
        make(ours_module)
    assert str(ours.value) == str(theirs.value)


# ------------------------------------------------------------------------------------- samplers
def test_sequential_and_batch_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert list(BatchSampler(SequentialSampler(range(10)), 3, False)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert list(BatchSampler(SequentialSampler(range(10)), 3, True)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert len(BatchSampler(range(10), 3, False)) == 4 and len(BatchSampler(range(10), 3, True)) == 3


def test_random_sampler_permutations_and_replacement():
    generator = torchless.Generator().manual_seed(0)
    assert sorted(RandomSampler(range(9), generator=generator)) == list(range(9))
    drawn = list(RandomSampler(range(3), num_samples=7))
    assert len(drawn) == 7 and sorted(set(drawn)) == [0, 1, 2]  # 7 > 3: two full permutations plus one
    with_replacement = list(RandomSampler(range(5), replacement=True, num_samples=100))
    assert len(with_replacement) == 100 and set(with_replacement) <= set(range(5))


def test_subset_random_and_weighted_samplers():
    assert sorted(SubsetRandomSampler([4, 8, 15])) == [4, 8, 15]
    assert set(WeightedRandomSampler([0.0, 1.0, 0.0], 20)) == {1}
    drawn = list(WeightedRandomSampler([1.0, 1.0, 1.0, 1.0], 4, replacement=False))
    assert sorted(drawn) == [0, 1, 2, 3]


# ------------------------------------------------------------------------------------- datasets
def test_tensor_dataset_items_and_size_check():
    dataset = TensorDataset(torchless.arange(3), torchless.arange(3) * 10)
    assert len(dataset) == 3
    item = dataset[2]
    assert isinstance(item, tuple) and [t.item() for t in item] == [2, 20]
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(torchless.arange(3), torchless.arange(4))


def test_concat_dataset_and_add():
    joined = Indices(3) + Indices(2)
    assert isinstance(joined, ConcatDataset) and len(joined) == 5
    assert [joined[i] for i in range(5)] == [0, 1, 2, 0, 1]
    assert joined[-1] == 1 and joined.cumulative_sizes == [3, 5]
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        joined[-6]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([Stream(2)])


def test_subset_indexing():
    subset = Subset(Indices(10), [7, 2, 5])
    assert len(subset) == 3 and [subset[i] for i in range(3)] == [7, 2, 5] and subset[-1] == 5


def _subset_family(data_module, base):
    """A plain dataset, one with ``__getitems__`` that records its calls, and Subset subclasses, all built on
    ``data_module`` (torchless's or torch's ``utils.data``) so the two libraries can be compared."""

    class Squares(base):
        def __init__(self, n):
            self.n = n

        def __getitem__(self, i):
            return i * i

        def __len__(self):
            return self.n

    class Batched(Squares):
        def __init__(self, n):
            super().__init__(n)
            self.calls = []

        def __getitems__(self, indices):
            self.calls.append(list(indices))
            return [-i for i in indices]

    class OnlyGetitem(data_module.Subset):
        def __getitem__(self, idx):
            return 0

    class BothOverridden(data_module.Subset):
        def __getitem__(self, idx):
            return 1

        def __getitems__(self, indices):
            return [100 + i for i in indices]

    class OnlyGetitems(data_module.Subset):
        def __getitems__(self, indices):
            return [[7, i] for i in indices]

    return Squares, Batched, OnlyGetitem, BothOverridden, OnlyGetitems


def test_subset_getitems_matches_torch():
    pytest.importorskip("torch")
    import torch.utils.data as torch_data
    from torchless.utils import data as our_data
    ours = _subset_family(our_data, Dataset)
    theirs = _subset_family(torch_data, torch_data.Dataset)
    indices = [9, 4, 0, 7, 2]
    plain_ours, batched_ours = ours[0](10), ours[1](10)
    plain_theirs, batched_theirs = theirs[0](10), theirs[1](10)
    # without the dataset's __getitems__: a list of the items
    got = Subset(plain_ours, indices).__getitems__([4, 0, 2])
    want = torch_data.Subset(plain_theirs, indices).__getitems__([4, 0, 2])
    assert type(got) is type(want) is list and got == want
    assert Subset(plain_ours, indices).__getitems__([]) == torch_data.Subset(plain_theirs, indices).__getitems__([])
    # with it: one call, with the mapped indices
    got = Subset(batched_ours, indices).__getitems__([1, 3, 1])
    want = torch_data.Subset(batched_theirs, indices).__getitems__([1, 3, 1])
    assert got == want and batched_ours.calls == batched_theirs.calls and len(batched_theirs.calls) == 1
    # a subclass overriding __getitem__ alone is refused at construction, with torch's message
    with pytest.raises(NotImplementedError) as expected:
        theirs[2](plain_theirs, indices)
    with pytest.raises(NotImplementedError) as info:
        ours[2](plain_ours, indices)
    assert str(info.value) == str(expected.value)
    assert ours[3](plain_ours, indices).__getitems__([0]) == theirs[3](plain_theirs, indices).__getitems__([0])


def test_dataloader_over_subset_batches_match_torch():
    torch = pytest.importorskip("torch")
    import torch.utils.data as torch_data
    from torchless.utils import data as our_data
    ours = _subset_family(our_data, Dataset)
    theirs = _subset_family(torch_data, torch_data.Dataset)
    indices = [11, 3, 7, 0, 19, 5, 8]
    values = np.arange(40).reshape(20, 2)

    def batches(loader, tensor_type):
        return [[b.tolist() if isinstance(b, tensor_type) else b for b in
                 (batch if isinstance(batch, list) else [batch])] for batch in loader]

    cases = [
        (lambda: Subset(TensorDataset(torchless.tensor(values)), indices),
         lambda: torch_data.Subset(torch_data.TensorDataset(torch.tensor(values)), indices)),
        (lambda: Subset(ours[0](20), indices), lambda: torch_data.Subset(theirs[0](20), indices)),
        (lambda: Subset(ours[1](20), indices), lambda: torch_data.Subset(theirs[1](20), indices)),
        (lambda: ours[3](ours[0](20), indices), lambda: theirs[3](theirs[0](20), indices)),
        (lambda: ours[4](TensorDataset(torchless.tensor(values)), indices),
         lambda: theirs[4](torch_data.TensorDataset(torch.tensor(values)), indices)),
        (lambda: Subset(Subset(ours[1](20), list(range(19, -1, -1))), indices),
         lambda: torch_data.Subset(torch_data.Subset(theirs[1](20), list(range(19, -1, -1))), indices)),
    ]
    for make_ours, make_theirs in cases:
        for batch_size, drop_last in ((3, False), (3, True), (7, False)):
            got = batches(DataLoader(make_ours(), batch_size=batch_size, drop_last=drop_last), torchless.Tensor)
            want = batches(torch_data.DataLoader(make_theirs(), batch_size=batch_size, drop_last=drop_last),
                           torch.Tensor)
            assert got == want
        # without batching, items come from __getitem__
        got = batches(DataLoader(make_ours(), batch_size=None), torchless.Tensor)
        want = batches(torch_data.DataLoader(make_theirs(), batch_size=None), torch.Tensor)
        assert got == want


def test_dataloader_over_subset_is_unchanged_by_getitems():
    data = torchless.arange(40).reshape(20, 2)
    subset = Subset(TensorDataset(data), [19, 3, 7, 11, 0, 5])
    per_item = [[subset[i] for i in range(j, min(j + 4, 6))] for j in range(0, 6, 4)]
    for batch, items in zip(DataLoader(subset, batch_size=4), per_item):
        np.testing.assert_array_equal(batch[0].numpy(), np.stack([item[0].numpy() for item in items]))
    indices = [7, 2, 5, 1]
    batched = [b.tolist() for b in DataLoader(Subset(Indices(10), indices), batch_size=3)]
    assert batched == [indices[:3], indices[3:]]


def test_dataset_base_requires_getitem():
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__."):
        Dataset()[0]


# ---------------------------------------------------------------------------------- random_split
@FAST
@given(n=st.integers(0, 60), cuts=st.lists(st.integers(0, 60), min_size=0, max_size=4))
def test_random_split_lengths_partition_the_dataset(n, cuts):
    bounds = sorted({min(c, n) for c in cuts} | {0, n})
    lengths = [b - a for a, b in zip(bounds, bounds[1:])] or [0]
    parts = random_split(Indices(n), lengths, generator=torchless.Generator().manual_seed(n))
    assert [len(p) for p in parts] == lengths
    items = [p[i] for p in parts for i in range(len(p))]
    assert sorted(items) == list(range(n))


@pytest.mark.parametrize("n, fractions", [(10, [0.3, 0.3, 0.4]), (7, [0.5, 0.5]), (11, [0.1] * 10),
                                          (3, [0.2, 0.8]), (100, [1 / 3, 1 / 3, 1 / 3])])
def test_random_split_fraction_sizes_match_torch(n, fractions):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # empty splits warn in both
        expected = [len(s) for s in torch.utils.data.random_split(range(n), fractions)]
        parts = random_split(Indices(n), fractions)
    assert [len(p) for p in parts] == expected
    assert sorted(p[i] for p in parts for i in range(len(p))) == list(range(n))


def test_random_split_fraction_sizes_by_hand():
    assert [len(p) for p in random_split(Indices(10), [0.25, 0.75])] == [3, 7]  # floor 2, 7; remainder to first
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0. This might result in an empty dataset."):
        random_split(Indices(1), [0.9, 0.1])  # floors 0, 0; the remainder goes to index 0


def test_random_split_reproducible_with_generator():
    def split(seed):
        parts = random_split(Indices(20), [5, 15], generator=torchless.Generator().manual_seed(seed))
        return [p.indices for p in parts]

    assert split(0) == split(0) and split(0) != split(1)
    torchless.manual_seed(2)
    first = [p.indices for p in random_split(Indices(20), [10, 10])]
    torchless.manual_seed(2)
    assert [p.indices for p in random_split(Indices(20), [10, 10])] == first


@pytest.mark.parametrize("lengths", [[3, 3], [0.5, 0.6], [1.2, -0.2], [11]])
def test_random_split_errors_match_torch(lengths):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as theirs:
        torch.utils.data.random_split(range(10), lengths)
    with pytest.raises(type(theirs.value)) as ours:
        random_split(Indices(10), lengths)
    assert str(ours.value) == str(theirs.value)
