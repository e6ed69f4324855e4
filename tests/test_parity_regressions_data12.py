"""torchless.utils.data and torchless.vision against torch 2.13 (and torchvision 0.28) on the data pipeline.

Differences fixed:

- ``IterableDataset`` is a ``collections.abc.Iterable`` whose ``__iter__`` is abstract, as PyTorch's: neither it
  nor a subclass without ``__iter__`` can be instantiated (TypeError), and ``ConcatDataset([..., IterableDataset()])``
  fails there.
- ``DataLoader.multiprocessing_context`` is checked on every assignment as PyTorch's property is: a start method
  that does not exist (ValueError) or a value that is no context (TypeError) is refused, a start method's name
  becomes its context; the worker-count warning is given at construction too; the iterators are named
  ``_SingleProcessDataLoaderIter`` / ``_MultiProcessingDataLoaderIter``.
"""
import collections.abc
import multiprocessing
import warnings

import pytest

import torchless
from helpers import assert_same_error

torch = pytest.importorskip("torch")


class _Range:
    """A map-style dataset of its indices, for both libraries' loaders."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return index


# ---------------------------------------------------------------------------- IterableDataset
def test_iterable_dataset_is_an_abstract_iterable():
    assert_same_error(lambda: torch.utils.data.IterableDataset(), lambda: torchless.utils.data.IterableDataset())
    assert_same_error(lambda: type("Stream", (torch.utils.data.IterableDataset,), {})(),
                      lambda: type("Stream", (torchless.utils.data.IterableDataset,), {})())
    assert_same_error(lambda: torch.utils.data.ConcatDataset([_Range(2), torch.utils.data.IterableDataset()]),
                      lambda: torchless.utils.data.ConcatDataset([_Range(2), torchless.utils.data.IterableDataset()]))

    class Stream(torchless.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    assert isinstance(Stream(), collections.abc.Iterable)
    assert isinstance(torchless.utils.data.ChainDataset([]), collections.abc.Iterable)
    assert list(Stream() + Stream()) == [0, 1, 2, 0, 1, 2]


# ---------------------------------------------------------------------------- DataLoader
@pytest.mark.parametrize("workers, context", [(1, "nope"), (1, 3), (0, "fork"), (0, "nope")])
def test_dataloader_checks_its_multiprocessing_context(workers, context):
    assert_same_error(
        lambda: torch.utils.data.DataLoader(_Range(4), num_workers=workers, multiprocessing_context=context),
        lambda: torchless.utils.data.DataLoader(_Range(4), num_workers=workers, multiprocessing_context=context))
    # PyTorch's property checks assignments after construction too
    assert_same_error(
        lambda: setattr(torch.utils.data.DataLoader(_Range(4), num_workers=workers), "multiprocessing_context",
                        context),
        lambda: setattr(torchless.utils.data.DataLoader(_Range(4), num_workers=workers), "multiprocessing_context",
                        context))


def test_dataloader_start_method_becomes_its_context():
    for lib in (torch, torchless):
        loader = lib.utils.data.DataLoader(_Range(4), num_workers=1, multiprocessing_context="spawn")
        assert isinstance(loader.multiprocessing_context, multiprocessing.context.SpawnContext)
        assert lib.utils.data.DataLoader(_Range(4), num_workers=1).multiprocessing_context is None
    loader = torchless.utils.data.DataLoader(_Range(6), num_workers=1, batch_size=4, multiprocessing_context="spawn")
    assert [batch.tolist() for batch in loader] == [[0, 1, 2, 3], [4, 5]]


def test_dataloader_iterator_classes_have_pytorchs_names():
    for workers in (0, 1):
        expected = type(iter(torch.utils.data.DataLoader(_Range(3), num_workers=workers))).__name__
        assert type(iter(torchless.utils.data.DataLoader(_Range(3), num_workers=workers))).__name__ == expected


def test_dataloader_warns_about_too_many_workers_when_built():
    def warned(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.utils.data.DataLoader(_Range(3), num_workers=1000)
        return [str(w.message) for w in caught]

    assert warned(torchless) == warned(torch)
    assert len(warned(torch)) == 1
