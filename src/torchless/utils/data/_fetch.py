"""Turning one index (or one batch of indices) into loaded data: the part of an epoch that runs wherever the
data is loaded, in the main process or in a worker process."""
import itertools

from ._collate import default_collate
from .dataset import batch_fetcher


class MapFetcher:
    """Samples of a map-style dataset, collated into a batch under automatic batching.

    A dataset with a vectorised ``_get_batch`` (MNIST, TensorDataset, Subset of those) is asked for the whole
    batch at once when the default collate function is in use; it returns exactly what fetching item by item
    and collating would, or ``NotImplemented`` to fall back to that.
    """

    def __init__(self, dataset, auto_collation, collate_fn):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn
        self._get_batch = batch_fetcher(dataset) if auto_collation and collate_fn is default_collate else None
        self._getitems = getattr(dataset, "__getitems__", None)

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self._get_batch is not None:
            batch = self._get_batch(index)
            if batch is not NotImplemented:
                return batch
        samples = self._getitems(index) if self._getitems else [self.dataset[i] for i in index]
        return self.collate_fn(samples)


class IterableFetcher:
    """The next sample, or the next ``len(index)`` samples collated, of one pass over an iterable dataset;
    StopIteration once it is exhausted (or when ``drop_last`` meets a short last batch)."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self._samples = iter(dataset)

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(next(self._samples))
        samples = list(itertools.islice(self._samples, len(index)))
        if not samples or (self.drop_last and len(samples) < len(index)):
            raise StopIteration
        return self.collate_fn(samples)


def make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last):
    if iterable:
        return IterableFetcher(dataset, auto_collation, collate_fn, drop_last)
    return MapFetcher(dataset, auto_collation, collate_fn)
