"""torchless.utils.data and torchless.optim.lr_scheduler against torch 2.13, as CNN training code uses them.

Differences fixed:

- ``RandomSampler(replacement=True)`` draws its indices in chunks of 32 as PyTorch does, not all at once: an
  epoch consumed part way leaves an explicit generator where PyTorch's would, and ``num_samples=True`` (which
  PyTorch takes as the int 1) draws one index instead of failing in ``randint``.
- warnings are attributed to the line PyTorch attributes them to, which decides how often the default filter
  shows them: a scheduler's "use get_last_lr()" to the library's get_lr (it named the caller), the DataLoader's
  pin_memory and too-many-workers warnings to the library (they named the caller, so were repeated per call
  site), and an iterable dataset's "Length of IterableDataset" to the loop's line with workers too (it named a
  line of the library there); with workers, that warning ends with PyTorch's hint about configuring each worker's
  replica of the dataset.
- a tensor list's item that is not a tensor is named as CPython names its type (``numpy.ndarray``, not
  ``ndarray``) by stack / cat / einsum / index_put_, and a non-list ``tensors`` by stack / cat as PyTorch's parser
  does (without the position when passed by keyword): ``default_collate`` of a batch mixing tensors and arrays
  showed the difference.
- the data classes are ``typing.Generic`` where PyTorch's are, over the same parameters: ``DataLoader[T]`` (an
  annotation evaluated at definition time) raised TypeError, while ``RandomSampler[int]`` or
  ``TensorDataset[int]``, which PyTorch refuses, were accepted; ``Generic`` is in their MRO as in PyTorch.
"""
import re
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _data(module):
    return module.utils.data


@pytest.mark.parametrize("num_samples", [5, 31, 32, 33, 70, True])
def test_random_sampler_with_replacement_draws_in_chunks_of_32(num_samples):
    def consume_part_then_draw(module):
        generator = module.Generator().manual_seed(1)
        sampler = _data(module).RandomSampler(range(9), replacement=True, num_samples=num_samples,
                                              generator=generator)
        indices = iter(sampler)
        first = [next(indices) for _ in range(min(4, len(sampler)))]
        return first, module.randint(0, 100, (3,), generator=generator).tolist(), list(sampler)

    assert consume_part_then_draw(torchless) == consume_part_then_draw(torch)


@pytest.mark.parametrize("num_samples", [1, 40, 100])
def test_random_sampler_with_replacement_follows_manual_seed(num_samples):
    def epochs(module):
        module.manual_seed(7)
        sampler = _data(module).RandomSampler(range(6), replacement=True, num_samples=num_samples)
        return list(sampler), list(sampler), module.rand(2).tolist()

    assert epochs(torchless) == epochs(torch)


def _warning_sources(action):
    """(message, raised on this file's line?) of each warning ``action`` gives: whether the warning points at the
    caller or inside the library."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    return [(re.sub("0x[0-9a-f]+", "ADDRESS", str(w.message)).replace("torchless", "torch"), w.filename == __file__)
            for w in caught]


def _plain_optimizer(module):
    return module.optim.SGD([module.nn.Parameter(module.ones(2))], lr=0.1)


@pytest.mark.parametrize("scheduler", ["StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "OneCycleLR"])
def test_get_lr_outside_step_warns_from_inside_the_scheduler(scheduler):
    args = {"StepLR": (2,), "ExponentialLR": (0.5,), "CosineAnnealingLR": (5,), "LinearLR": (), "OneCycleLR": (1., 10)}

    def sources(module):
        lr_scheduler = getattr(module.optim.lr_scheduler, scheduler)(_plain_optimizer(module), *args[scheduler])
        return _warning_sources(lr_scheduler.get_lr)

    assert sources(torchless) == sources(torch)


@pytest.mark.parametrize("options", [dict(pin_memory=True), dict(pin_memory=True, pin_memory_device="cpu")])
def test_pin_memory_warnings_come_from_inside_the_loader(options):
    def sources(module):
        return _warning_sources(lambda: list(module.utils.data.DataLoader(range(2), **options)))

    assert sources(torchless) == sources(torch)


def test_too_many_workers_warning_comes_from_inside_the_loader():
    def sources(module):
        return _warning_sources(lambda: module.utils.data.DataLoader(range(2), num_workers=1000))

    assert sources(torchless) == sources(torch)


class _OverlongStreamTorch(torch.utils.data.IterableDataset):
    def __iter__(self):
        return iter(range(4))

    def __len__(self):
        return 2


class _OverlongStreamTorchless(torchless.utils.data.IterableDataset):
    def __iter__(self):
        return iter(range(4))

    def __len__(self):
        return 2


@pytest.mark.parametrize("num_workers", [0, 2])
def test_overlong_iterable_dataset_warning_names_the_loop(num_workers):
    def sources(module, dataset):
        loader = module.utils.data.DataLoader(dataset, batch_size=None, num_workers=num_workers)
        len(loader)
        return _warning_sources(lambda: [batch for batch in loader])

    torch_sources = sources(torch, _OverlongStreamTorch())
    assert torch_sources and all(caller for _, caller in torch_sources)
    assert sources(torchless, _OverlongStreamTorchless()) == [
        (message.replace("_OverlongStreamTorch object", "_OverlongStreamTorchless object"), caller)
        for message, caller in torch_sources]


@pytest.mark.parametrize("call", ["stack", "cat", "concat", "einsum", "index_put_"])
@pytest.mark.parametrize("item", ["ndarray", "numpy scalar", "float", "Size"])
def test_a_tensor_lists_non_tensor_item_is_named_as_pytorch_names_it(call, item):
    # default_collate stacks a batch mixing tensors and NumPy arrays: torch.stack names the ndarray's type
    def error(module):
        value = {"ndarray": np.ones(1), "numpy scalar": np.float64(1), "float": 1.5, "Size": module.Size([1])}[item]
        calls = {"stack": lambda: module.stack([module.ones(1), value]),
                 "cat": lambda: module.cat([module.ones(1), value]),
                 "concat": lambda: module.concat(value),
                 "einsum": lambda: module.einsum("i,i", module.ones(1), value),
                 "index_put_": lambda: module.ones(2).index_put_((value,), module.ones(1))}
        with pytest.raises(TypeError) as caught:
            calls[call]()
        return str(caught.value).replace("torchless", "torch")

    assert error(torchless) == error(torch)


def test_default_collate_of_tensor_and_ndarray_fails_as_pytorch_does():
    def error(module):
        with pytest.raises(TypeError) as caught:
            module.utils.data.default_collate([module.ones(1), np.ones(1)])
        return str(caught.value)

    assert error(torchless) == error(torch)


_DATA_CLASSES = ["DataLoader", "Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset", "Subset",
                 "StackDataset", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
                 "WeightedRandomSampler", "BatchSampler", "DistributedSampler"]


@pytest.mark.parametrize("name", _DATA_CLASSES)
def test_data_classes_are_generic_where_pytorchs_are(name):
    # an annotation such as ``loader: DataLoader[Tensor]`` is evaluated when its function is defined
    def subscripted(module):
        cls = getattr(module.utils.data, name)
        try:
            return repr(cls[int]).replace("torchless", "torch")
        except TypeError as error:
            return type(error), str(error).replace("torchless", "torch")

    def bases(module):
        return [klass.__name__ for klass in getattr(module.utils.data, name).__mro__]

    assert subscripted(torchless) == subscripted(torch)
    assert bases(torchless) == bases(torch)
