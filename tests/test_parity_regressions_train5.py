"""Differences from PyTorch found by a fifth differential fuzz of the training surface, each compared with torch.

* nn.Linear / F.linear with no elements to multiply (in_features or out_features 0, an empty batch of any rank):
  forward, backward and create_graph backward;
* nn.Unflatten: its size checks whatever ``dim`` is, Python ints only;
* utils.data: ``torch.utils.data._utils.collate`` (collate with a custom map), Sampler without ``data_source``,
  the warning when an IterableDataset yields more than ``len(loader)`` reported, ConcatDataset's deprecated
  ``cummulative_sizes``, DataLoader.check_worker_number_rationality.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import Raised, outcome

torch = pytest.importorskip("torch")


def _both(fn):
    """``fn(torch)`` and ``fn(torchless)``, warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return outcome(lambda: fn(torch)), outcome(lambda: fn(torchless))


def assert_same_outcome(fn, compare=lambda theirs, ours: theirs == ours):
    """``fn(lib)`` raises the same error in both libraries (``torch.`` read as ``torchless.``), or returns
    results for which ``compare(torch's, torchless's)`` holds."""
    expected, actual = _both(fn)
    if isinstance(expected, Raised):
        assert actual == (expected.type, expected.message.replace("torch.", "torchless.")), actual
        return
    assert not isinstance(actual, Raised), actual
    assert compare(expected, actual), (expected, actual)


def _arrays(value):
    """Tensors (nested in tuples/lists) as NumPy arrays, other values as they are."""
    if isinstance(value, (tuple, list)):
        return type(value)(_arrays(v) for v in value)
    if hasattr(value, "detach"):
        return value.detach().numpy()
    return value


def _close(theirs, ours, rtol=1e-5, atol=1e-6):
    theirs, ours = _arrays(theirs), _arrays(ours)
    if isinstance(theirs, (tuple, list)):
        return len(theirs) == len(ours) and all(_close(t, o, rtol, atol) for t, o in zip(theirs, ours))
    if isinstance(theirs, np.ndarray):
        return (isinstance(ours, np.ndarray) and theirs.shape == ours.shape and theirs.dtype == ours.dtype
                and np.allclose(theirs, ours, rtol=rtol, atol=atol, equal_nan=True))
    return theirs == ours


# ---------------------------------------------------------------------------- Linear with no elements
@pytest.mark.parametrize("input_shape, features", [((2, 0), (0, 4)), ((2, 5, 0), (0, 4)), ((2, 3), (3, 0)),
                                                   ((2, 5, 3), (3, 0)), ((0, 3), (3, 2)), ((0,), (0, 2))])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_with_no_elements_to_multiply(input_shape, features, bias):
    def run(lib):
        layer = lib.nn.Linear(*features, bias=bias)
        with lib.no_grad():
            for p in layer.parameters():
                p.fill_(0.5)
        x = lib.ones(input_shape, requires_grad=True)
        y = layer(x)
        y.sum().backward()
        (gx,) = lib.autograd.grad(layer(x).sum(), x, create_graph=True)
        return y, x.grad, layer.weight.grad, gx

    assert_same_outcome(run, _close)


# ---------------------------------------------------------------------------- Unflatten
@pytest.mark.parametrize("dim, sizes", [(1, (2, 3)), ("a", (("x", 2),)), (1, (np.int64(2), 3)), (1, (True, 3)),
                                        (1, 6), ("a", (2, 3)), (1, [2, 3])])
def test_unflatten_checks_its_sizes(dim, sizes):
    assert_same_outcome(lambda lib: repr(lib.nn.Unflatten(dim, sizes)))


# ---------------------------------------------------------------------------- utils.data
def test_collate_module_at_torchs_path():
    import importlib

    def run(lib):
        module = importlib.import_module(f"{lib.__name__}.utils.data._utils.collate")
        handlers = dict(module.default_collate_fn_map)
        handlers[str] = lambda batch, *, collate_fn_map=None: "+".join(batch)
        batch = module.collate([("a", 1.0, np.ones(2)), ("b", 2.0, np.zeros(2))], collate_fn_map=handlers)
        names = sorted(n for n in dir(module) if n.startswith("collate_"))
        return batch, names, module.default_collate_err_msg_format, lib.utils.data._utils.collate is module

    assert_same_outcome(run, _close)


class _Ordered:
    def __init__(self, data):
        self.data = data

    def __iter__(self):
        return iter(range(len(self.data)))


@pytest.mark.parametrize("make", [lambda lib: lib.utils.data.Sampler([1, 2]),
                                  lambda lib: type("S", (lib.utils.data.Sampler,), {
                                      "__init__": lambda self, data: super(type(self), self).__init__(data)})([1]),
                                  lambda lib: list(type("S", (lib.utils.data.Sampler, _Ordered), {})([1, 2]))])
def test_sampler_takes_no_data_source(make):
    assert_same_outcome(lambda lib: repr(make(lib)) if not isinstance(make(lib), list) else make(lib))


def _messages(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [str(w.message).split(" object at ")[0] + "|" + str(w.message).split(">")[-1] for w in caught]


@pytest.mark.parametrize("reported, batch_size, call_len", [(3, None, True), (3, None, False), (5, 2, True),
                                                             (2, 2, True), (7, None, True)])
def test_iterable_dataset_longer_than_its_len_warns(reported, batch_size, call_len):
    def run(lib):
        class Stream(lib.utils.data.IterableDataset):
            def __iter__(self):
                return iter(range(7))

            def __len__(self):
                return reported

        loader = lib.utils.data.DataLoader(Stream(), batch_size=batch_size)
        if call_len:
            len(loader)
        return _messages(lambda: [b.tolist() if hasattr(b, "tolist") else b for b in loader])

    theirs, ours = _both(run)
    assert ours[0] == theirs[0]
    assert [m.replace("torchless", "torch") for m in ours[1]] == theirs[1]
    assert len(theirs[1]) == max(0, (7 if batch_size is None else 4) - reported) * call_len


def test_concat_dataset_misspelt_cumulative_sizes():
    def run(lib):
        data = lib.utils.data.ConcatDataset([range(3), range(2)])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sizes = data.cummulative_sizes
        return sizes, [(w.category.__name__, str(w.message)) for w in caught]

    assert_same_outcome(run)


def test_check_worker_number_rationality_exists():
    assert_same_outcome(lambda lib: lib.utils.data.DataLoader(range(4)).check_worker_number_rationality())
