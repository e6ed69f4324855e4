"""Samplers: the order in which a DataLoader visits dataset indices, and how they are grouped into batches."""
import itertools
from typing import Generic, TypeVar

import numpy as np

from ..._creation import as_tensor, randint, randperm
from ..._dtype import float64
from ...random import Generator, multinomial, stream


_T_co = TypeVar("_T_co", covariant=True)


class Sampler(Generic[_T_co]):
    """Base class of samplers: ``__iter__`` yields indices (or lists of indices), ``__len__`` is optional.

    Generic as PyTorch's (``Sampler[int]``); its concrete samplers are not (``RandomSampler[int]`` is refused).
    """

    # No __init__ of its own, as in PyTorch 2.13 (the ``data_source`` argument is gone): Sampler(data) and a
    # subclass's super().__init__(data) raise object's TypeError.

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """Samples the indices of a dataset in order: ``0, 1, ..., len(data_source) - 1``.

    It is the sampler a :class:`DataLoader` uses when ``shuffle=False``.

    Args:
        data_source (Sized): the dataset (only its length is used)

    Examples::

        >>> data = torch.utils.data
        >>> list(data.SequentialSampler(range(4)))
        [0, 1, 2, 3]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


def _fresh_generator():
    """A generator seeded from the default one, as PyTorch's RandomSampler seeds it (a random_() int64): each
    epoch differs, yet all follow ``manual_seed``."""
    return Generator().manual_seed(int(stream().integers(0, 2 ** 63, ())))


_REPLACEMENT_CHUNK = 32


class RandomSampler(Sampler[int]):
    """Yields the indices of ``data_source`` in random order.

    Args:
        data_source (Sized): dataset to sample from.
        replacement (bool): draw with replacement. Default: ``False``.
        num_samples (int): how many indices to yield. Default: ``len(data_source)``.
        generator (Generator): source of randomness; by default a new stream per epoch seeded from the
            default generator (so ``torchless.manual_seed`` makes the order reproducible).
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        generator = self.generator if self.generator is not None else _fresh_generator()
        if self.replacement:
            # drawn in chunks of 32, as PyTorch does: a lazily consumed epoch then leaves the generator where
            # PyTorch's would (and num_samples=True, an int to Python, draws one)
            for _ in range(self.num_samples // _REPLACEMENT_CHUNK):
                yield from randint(high=n, size=(_REPLACEMENT_CHUNK,), generator=generator).tolist()
            yield from randint(high=n, size=(self.num_samples % _REPLACEMENT_CHUNK,), generator=generator).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from randperm(n, generator=generator).tolist()
        yield from randperm(n, generator=generator).tolist()[:self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """Samples the given indices in a random order, each once (without replacement).

    Used to draw a random subset of a dataset, e.g. a train / validation split over one dataset.

    Args:
        indices (sequence): the indices to sample from
        generator (Generator, optional): the source of randomness. Default: ``None`` (the global one)

    Examples::

        >>> data = torch.utils.data
        >>> sorted(data.SubsetRandomSampler([3, 5, 7]))
        [3, 5, 7]
    """

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


def _check_multinomial(weights, num_samples, replacement):
    """PyTorch's checks of torch.multinomial(weights, num_samples, replacement), in its order and with its
    messages: the path without replacement (or drawing a single sample) checks the whole distribution at once;
    the kernel drawing with replacement reports the first bad entry, then the sum."""
    if not replacement and num_samples > len(weights):
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if not replacement or num_samples == 1:
        if not len(weights):  # PyTorch takes the max and min of the weights together, which an empty tensor lacks
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                               "identity.")
        if not (weights.max() < np.inf and weights.min() >= 0):  # NaN fails both comparisons
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if not np.any(weights > 0):  # a zero sum, tested without summing (huge weights would overflow)
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        return
    bad = ~(weights >= 0) | ~np.isfinite(weights)
    if bad.any():
        if not weights[bad.argmax()] >= 0:
            raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
        raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
    if not np.any(weights > 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


class WeightedRandomSampler(Sampler[int]):
    """Samples indices in ``[0, len(weights) - 1]`` with probabilities proportional to ``weights``.

    Index i is drawn with probability weights[i] / sum(weights) (the weights need not sum to 1), e.g. to rebalance
    classes. ``num_samples`` indices are drawn, with replacement by default.

    Args:
        weights (sequence): non-negative weights, one per index
        num_samples (int): the number of indices to draw
        replacement (bool, optional): draw with replacement; without it, num_samples must not exceed the number
            of non-zero weights. Default: ``True``
        generator (Generator, optional): the source of randomness. Default: ``None`` (the global one)

    Examples::

        >>> data = torch.utils.data
        >>> list(data.WeightedRandomSampler([0.0, 0.0, 1.0], 3))
        [2, 2, 2]
        >>> len(data.WeightedRandomSampler([1.0, 2.0], 5))
        5
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights = as_tensor(weights, dtype=float64)
        if len(weights.shape) != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(weights.shape)}")
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        weights = self.weights._data
        _check_multinomial(weights, self.num_samples, self.replacement)
        drawn = multinomial(self.weights, self.num_samples, self.replacement, generator=self.generator)
        yield from drawn.tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Wraps a sampler so that it yields lists of ``batch_size`` consecutive indices instead of single ones.

    Args:
        sampler (Sampler or Iterable): where the indices come from, in the order they are grouped.
        batch_size (int): how many indices each list holds (a positive int).
        drop_last (bool): with ``True``, a last list shorter than ``batch_size`` is not yielded; with ``False``,
            it is.

    ``len()`` is the number of lists: ``len(sampler) / batch_size`` rounded down with ``drop_last``, up without.

    Example:
        >>> list(BatchSampler(range(7), batch_size=2, drop_last=True))
        [[0, 1], [2, 3], [4, 5]]
        >>> len(BatchSampler(range(7), batch_size=2, drop_last=False))
        4
    """

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        indices = iter(self.sampler)
        while batch := list(itertools.islice(indices, self.batch_size)):
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
