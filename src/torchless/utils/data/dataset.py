"""Map-style and iterable datasets: Dataset, IterableDataset, TensorDataset, ConcatDataset, Subset, StackDataset,
random_split.

Datasets that can serve a whole batch at once implement the private ``_get_batch(indices)``: it returns
exactly what ``default_collate([self[i] for i in indices])`` would, or ``NotImplemented`` when it cannot
(the DataLoader then falls back to fetching item by item). ``batch_fetcher`` decides whether a dataset's
``_get_batch`` may be trusted.
"""
import bisect
import itertools
import math
import warnings
from typing import Generic, Iterable, TypeVar

import numpy as np

from ..._creation import randperm
from ..._tensor import Tensor
from ...random import default_generator

# PyTorch's type parameters: which classes are generic, and over what, shows at run time (``Dataset[int]``
# works, ``TensorDataset[int]`` is refused, ``Generic`` is in the MRO)
_T_co = TypeVar("_T_co", covariant=True)
_T_stack = TypeVar("_T_stack", tuple[_T_co, ...], dict[str, _T_co])


class Dataset(Generic[_T_co]):
    """An abstract map-style dataset: subclasses implement ``__getitem__`` (and usually ``__len__``).

    ``dataset_a + dataset_b`` is their :class:`ConcatDataset`. ``Dataset[T]`` works in annotations and
    base-class lists, as PyTorch's generic Dataset does.
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset[_T_co], Iterable[_T_co]):
    """An abstract dataset that is a stream of samples: subclasses implement ``__iter__``.

    As PyTorch's, it is a ``collections.abc.Iterable`` whose ``__iter__`` is abstract: a subclass without one
    cannot be instantiated (nor can IterableDataset itself).
    """

    def __add__(self, other):
        return ChainDataset([self, other])


def _defining_class(cls, attribute):
    return next((klass for klass in cls.__mro__ if attribute in vars(klass)), None)


def batch_fetcher(dataset):
    """``dataset._get_batch`` if it is consistent with ``dataset.__getitem__``, else None.

    A subclass that overrides ``__getitem__`` (or ``__getitems__``, which ``DataLoader`` calls instead when
    present) but inherits ``_get_batch`` would have its override bypassed, so the fast path is trusted only
    when these methods come from the same class.
    """
    get_batch = getattr(dataset, "_get_batch", None)
    if get_batch is None:
        return None
    owner = _defining_class(type(dataset), "_get_batch")
    if owner is not _defining_class(type(dataset), "__getitem__"):
        return None
    getitems_owner = _defining_class(type(dataset), "__getitems__")
    if getattr(dataset, "__getitems__", None) is not None and owner is not getitems_owner:
        return None
    return get_batch


def _index_array(indices):
    """``indices`` as an int64 array, or None if they are not plain integers."""
    array = np.asarray(indices)
    if array.ndim != 1 or array.dtype.kind not in "iu":
        return None
    return array.astype(np.int64, copy=False)


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """A dataset of tensors indexed together along their first dimension.

    Sample ``i`` is ``tuple(tensor[i] for tensor in tensors)`` and the length is the common size of the first
    dimension, so inputs and targets stay paired, e.g. for a :class:`DataLoader`.

    Args:
        *tensors (Tensor): tensors whose first dimensions have the same size N

    Shape:
        - Each tensor: (N, *), its own trailing dimensions
        - Sample i: a tuple of (*)-shaped tensors, one per input tensor

    Examples::

        >>> data = torch.utils.data
        >>> ds = data.TensorDataset(torch.zeros(5, 3), torch.arange(5))
        >>> len(ds), ds[2][0].shape, ds[2][1]
        (5, torchless.Size([3]), tensor(2))
    """

    def __init__(self, *tensors):
        if any(tensors[0].size(0) != t.size(0) for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)

    def _get_batch(self, indices):
        index = _index_array(indices)
        # a tensor requiring grad is batched item by item, for default_collate's StackBackward0 graph
        if index is None or any(t.requires_grad for t in self.tensors):
            return NotImplemented
        return [t[index] for t in self.tensors]


class ConcatDataset(Dataset[_T_co]):
    """A map-style dataset that is several datasets one after the other.

    Index ``i`` falls in the first dataset whose cumulative length exceeds it, so ``len`` is the sum of the lengths
    and negative indices count from the end of the whole. Iterable datasets are refused.

    Args:
        datasets (iterable): the map-style datasets to concatenate, in order; there must be at least one

    Examples::

        >>> data = torch.utils.data
        >>> ds = data.ConcatDataset([data.TensorDataset(torch.arange(3)), data.TensorDataset(torch.arange(10, 12))])
        >>> len(ds), ds[3], ds[-1]
        (5, (tensor(10),), (tensor(11),))
    """

    @staticmethod
    def cumsum(sequence):
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    @property
    def cummulative_sizes(self):
        """The old, misspelt name of :attr:`cumulative_sizes`, with PyTorch's deprecation warning."""
        warnings.warn("`cummulative_sizes` attribute is renamed to `cumulative_sizes`", FutureWarning,
                      stacklevel=2)
        return self.cumulative_sizes

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx if dataset_idx == 0 else idx - self.cumulative_sizes[dataset_idx - 1]
        return self.datasets[dataset_idx][sample_idx]


class ChainDataset(IterableDataset):
    """An iterable dataset that streams several iterable datasets one after the other.

    Iterating it iterates each dataset in turn (lazily: chaining happens as one iterates, which suits large
    streams); ``len`` is the sum of their lengths, when they all have one.

    Args:
        datasets (iterable of IterableDataset): the datasets to chain, in order

    Examples::

        >>> data = torch.utils.data
        >>> class Count(data.IterableDataset):
        ...     def __init__(self, n):
        ...         self.n = n
        ...     def __iter__(self):
        ...         return iter(range(self.n))
        >>> list(data.ChainDataset([Count(2), Count(3)]))
        [0, 1, 0, 1, 2]
    """

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self):
        total = 0
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            total += len(d)
        return total


class Subset(Dataset[_T_co]):
    """The samples of ``dataset`` at ``indices``, in that order.

    As in PyTorch, a subclass that overrides ``__getitem__`` must also override ``__getitems__`` (which
    ``DataLoader`` calls to fetch a batch), else constructing it raises ``NotImplementedError``.

    Args:
        dataset (Dataset): the whole dataset.
        indices (sequence): indices into ``dataset``.
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices
        if type(self).__getitem__ is not Subset.__getitem__ and type(self).__getitems__ is Subset.__getitems__:
            raise NotImplementedError(
                f"{type(self).__name__} overrides __getitem__ but not __getitems__. "
                "When subclassing Subset and overriding __getitem__, you must also override "
                "__getitems__ to ensure DataLoader works correctly with your custom logic. "
                "A simple implementation:\n\n"
                "def __getitems__(self, indices):\n"
                "    return [self.__getitem__(idx) for idx in indices]"
            )

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        """The samples at ``indices`` as a list: the dataset's own ``__getitems__`` when it has one."""
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[idx] for idx in indices])
        return [self.dataset[self.indices[idx]] for idx in indices]

    def __len__(self):
        return len(self.indices)

    def _get_batch(self, indices):
        fetch = batch_fetcher(self.dataset)
        if fetch is None:
            return NotImplemented
        return fetch([self.indices[i] for i in indices])


class StackDataset(Dataset[_T_stack]):
    """Datasets of one length side by side: sample i is the tuple of their samples i (``StackDataset(a, b)``),
    or a dict of them by name (``StackDataset(image=a, label=b)``).

    Args:
        *args (Dataset): datasets whose samples form tuples.
        **kwargs (Dataset): datasets whose samples form dicts.
    """

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                             "input/output, but both types are given.")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        datasets = list(args or kwargs.values())
        self._length = len(datasets[0])
        if any(self._length != len(dataset) for dataset in datasets):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args or kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: dataset[index] for k, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)

    def __getitems__(self, indices):
        """The samples at ``indices`` as a list, each dataset's part fetched by its own ``__getitems__`` if any."""
        named = self.datasets.items() if isinstance(self.datasets, dict) else enumerate(self.datasets)
        columns = {}
        for key, dataset in named:
            if callable(getattr(dataset, "__getitems__", None)):
                items = dataset.__getitems__(indices)
                if len(items) != len(indices):
                    raise ValueError(f"Nested dataset's output size mismatch. Expected {len(indices)}, got "
                                     f"{len(items)}")
                columns[key] = items
            else:
                columns[key] = [dataset[i] for i in indices]
        if isinstance(self.datasets, dict):
            return [{k: column[j] for k, column in columns.items()} for j in range(len(indices))]
        return [tuple(column[j] for column in columns.values()) for j in range(len(indices))]

    def __len__(self):
        return self._length


def _fraction_lengths(total, fractions):
    lengths = []
    for i, frac in enumerate(fractions):
        if frac < 0 or frac > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        lengths.append(math.floor(total * frac))
    for i in range(total - sum(lengths)):  # hand out the remainder round-robin, as PyTorch does
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.", stacklevel=3)
    return lengths


def random_split(dataset, lengths, generator=default_generator):
    """Randomly split ``dataset`` into non-overlapping :class:`Subset` s of the given lengths.

    Args:
        dataset (Dataset): dataset to split.
        lengths (sequence): lengths of the splits, or fractions summing to 1 (each split then gets
            ``floor(frac * len(dataset))`` items, the remainder handed out one by one from the first split).
        generator (Generator): source of the random permutation.

    Raises:
        ValueError: if the lengths do not add up to ``len(dataset)`` or a fraction is outside [0, 1].
    """
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _fraction_lengths(len(dataset), lengths)
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = randperm(sum(lengths), generator=generator).tolist()
    return [Subset(dataset, indices[offset - length:offset])
            for offset, length in zip(itertools.accumulate(lengths), lengths)]
