"""DataLoader: iterate over a dataset in (shuffled) mini-batches.

Loading runs in the calling process whatever ``num_workers`` says (NumPy work is vectorised and there is
no GPU to overlap with). A map-style dataset that implements the private ``_get_batch(indices)`` fast
path (MNIST, TensorDataset, Subset of those) is asked for each whole batch at once when the default
collate function is in use; it returns exactly what fetching item by item and collating would, or
``NotImplemented`` to fall back to that.
"""
import itertools
import math
import warnings

from ._collate import default_collate, default_convert
from .dataset import IterableDataset, batch_fetcher
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


def get_worker_info():
    """Information about the current loader worker: always None, as loading happens in the main process."""
    return None


class _InfiniteConstantSampler(Sampler):
    """The placeholder index stream of an iterable dataset: ``None`` forever."""

    def __iter__(self):
        return itertools.repeat(None)


_FIXED_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class DataLoader:
    """Combines a dataset and a sampler, and iterates over the dataset in batches.

    Args:
        dataset (Dataset): dataset to load from (map-style or iterable).
        batch_size (int, optional): samples per batch; ``None`` disables automatic batching. Default: 1.
        shuffle (bool, optional): reshuffle the indices every epoch. Default: ``False``.
        sampler (Sampler or Iterable, optional): the index order; mutually exclusive with ``shuffle``.
        batch_sampler (Sampler or Iterable, optional): yields lists of indices; mutually exclusive with
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers (int, optional): accepted for compatibility; loading always runs in-process.
        collate_fn (Callable, optional): merges a list of samples into a batch. Default:
            :func:`default_collate` (or :func:`default_convert` without automatic batching).
        pin_memory (bool, optional): accepted, no effect but PyTorch's warning that there is no accelerator.
        drop_last (bool, optional): drop the last incomplete batch. Default: ``False``.
        timeout (numeric, optional): accepted (must be non-negative), no effect.
        worker_init_fn (Callable, optional): accepted, never called (there are no workers).
        generator (Generator, optional): randomness of the default ``RandomSampler``.

    ``len(loader)`` is the number of batches per epoch.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context)
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = 2 if num_workers > 0 and prefetch_factor is None else prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            _check_iterable_options(shuffle, sampler, batch_sampler)
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        # len(self.dataset) as last asked by len(loader) over an iterable dataset: its iterators warn when they
        # yield more than that
        self._IterableDataset_len_called = None
        self._initialized = True

    def __setattr__(self, attr, value):
        if getattr(self, "_initialized", False) and attr in _FIXED_AFTER_INIT:
            raise ValueError(f"{attr} attribute should not be set after {self.__class__.__name__} is initialized")
        super().__setattr__(attr, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self._iterable:
            return _IterableDatasetIter(self)
        return _MapDatasetIter(self)

    def check_worker_number_rationality(self):
        """PyTorch warns here when ``num_workers`` exceeds the CPUs; torchless starts no workers, so there is
        nothing to warn about."""
        return None

    def __len__(self):
        if self._iterable:
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context):
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                         "to enable multiprocessing, otherwise set prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    if multiprocessing_context is not None and num_workers == 0:
        raise ValueError("multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                         f"but got num_workers={num_workers}")


def _check_iterable_options(shuffle, sampler, batch_sampler):
    if shuffle not in {False, None}:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                         f"shuffle={shuffle}")
    if sampler is not None:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                         f"sampler={sampler}")
    if batch_sampler is not None:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, but got "
                         f"batch_sampler={batch_sampler}")


class _LoaderIter:
    """One epoch over a DataLoader: the sampler is iterated afresh (and reshuffled) for each one."""

    def __init__(self, loader):
        if loader.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", stacklevel=3)
        self._loader = loader
        self._dataset = loader.dataset
        self._auto_collation = loader._auto_collation
        self._collate_fn = loader.collate_fn
        self._index_iter = iter(loader._index_sampler)
        self._reported_len = loader._IterableDataset_len_called
        self._num_yielded = 0

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)

    def __next__(self):
        data = self._fetch(next(self._index_iter))
        self._num_yielded += 1
        if self._reported_len is not None and self._num_yielded > self._reported_len:
            # PyTorch compares the batches yielded with the dataset's length (not the loader's), and says samples
            warnings.warn(f"Length of IterableDataset {self._dataset} was reported to be {self._reported_len}"
                          f"(when accessing len(dataloader)), but {self._num_yielded} samples have been fetched. ",
                          stacklevel=2)
        return data


class _MapDatasetIter(_LoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        fast = self._auto_collation and self._collate_fn is default_collate
        self._get_batch = batch_fetcher(self._dataset) if fast else None
        self._getitems = getattr(self._dataset, "__getitems__", None)

    def _fetch(self, index):
        if not self._auto_collation:
            return self._collate_fn(self._dataset[index])
        if self._get_batch is not None:
            batch = self._get_batch(index)
            if batch is not NotImplemented:
                return batch
        if self._getitems:
            samples = self._getitems(index)
        else:
            samples = [self._dataset[i] for i in index]
        return self._collate_fn(samples)


class _IterableDatasetIter(_LoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._drop_last = loader.drop_last
        self._samples = iter(self._dataset)

    def _fetch(self, index):
        if not self._auto_collation:
            return self._collate_fn(next(self._samples))
        samples = list(itertools.islice(self._samples, len(index)))
        if not samples or (self._drop_last and len(samples) < len(index)):
            raise StopIteration
        return self._collate_fn(samples)
