"""Differences from PyTorch found by running classic CNN teaching scripts (d2l's LeNet ... DenseNet chapters, conv
from scratch, hooks, saliency, data pipelines) under torchless; each test compares against PyTorch itself."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(lib, fn):
    """fn(lib)'s value as NumPy (or a tuple/shape of them), or its exception type and message."""
    try:
        out = fn(lib)
    except Exception as error:  # noqa: BLE001 - the exception itself is compared
        return ("error", type(error).__name__, str(error))
    return _plain(out)


def _plain(out):
    if isinstance(out, (tuple, list)):
        return tuple(_plain(o) for o in out)
    if hasattr(out, "detach"):
        return ("tensor", str(out.dtype).split(".")[-1], tuple(out.shape), out.detach().numpy())
    if type(out).__name__ == "Size":
        return ("size", tuple(out))
    return out


def _assert_same(actual, expected):
    if isinstance(expected, np.ndarray):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
    elif isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected), (actual, expected)
        for a, e in zip(actual, expected):
            _assert_same(a, e)
    else:
        assert actual == expected


def _same(fn):
    _assert_same(_outcome(torchless, fn), _outcome(torch, fn))


# ---------------------------------------------------------------------------- NumPy's keyword names
_X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize("call", [
    lambda lib, x: x.sum(axis=1),
    lambda lib, x: x.sum(axis=(0, 2), keepdims=True),
    lambda lib, x: x.sum(1, keepdims=True),
    lambda lib, x: lib.sum(x, axis=2),
    lambda lib, x: x.mean(axis=0, keepdims=True),
    lambda lib, x: lib.mean(x, axis=1, keepdims=True),
    lambda lib, x: x.argmax(axis=1),
    lambda lib, x: lib.argmax(x, axis=-1, keepdims=True),
    lambda lib, x: x.max(axis=1),
    lambda lib, x: lib.max(x, axis=1, keepdims=True),
    lambda lib, x: x.min(axis=2, keepdims=True),
    lambda lib, x: lib.cat((x, x), axis=1),
    lambda lib, x: lib.stack([x, x], axis=-1),
    lambda lib, x: lib.concat((x, x), axis=0),
    lambda lib, x: x.softmax(axis=1),
    lambda lib, x: lib.softmax(x, axis=-1),
    lambda lib, x: x.log_softmax(axis=2),
    lambda lib, x: x.std(axis=1),
    lambda lib, x: x.var(axis=0, keepdims=True),
    lambda lib, x: x.cumsum(axis=1),
    lambda lib, x: x.squeeze(axis=0),
    lambda lib, x: x.unsqueeze(axis=1),
    lambda lib, x: x.sort(axis=1, descending=True),
    lambda lib, x: x.topk(2, axis=1),
    lambda lib, x: x.gather(axis=1, index=lib.zeros(2, 1, 4, dtype=lib.long)),
    lambda lib, x: x.size(axis=1),
    lambda lib, x: lib.var_mean(x, axis=1),
    lambda lib, x: lib.unflatten(x, axis=2, sizes=(2, 2)),
    lambda lib, x: lib.abs(x=x),
    lambda lib, x: lib.exp(a=x * 0.1),
    lambda lib, x: lib.add(x, x2=x),
    lambda lib, x: lib.ones_like(x=x),
    # given twice, or where PyTorch's function is written in Python: the NumPy name is unexpected
    lambda lib, x: x.sum(dim=1, axis=1),
    lambda lib, x: x.sum(1, axis=1),
    lambda lib, x: x.sum(0, keepdim=True, keepdims=True),
    lambda lib, x: lib.zeros(2, axis=0),
    lambda lib, x: x.split(1, axis=1),
    lambda lib, x: x.norm(axis=1),
    lambda lib, x: x.unflatten(axis=2, sizes=(2, 2)),
])
def test_numpy_keyword_names(call):
    _same(lambda lib: call(lib, lib.tensor(_X)))


# ---------------------------------------------------------------------------- Module internals tutorials print
def test_module_registries_are_plain_dicts():
    def build(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.BatchNorm2d(2))

    expected, actual = build(torch), build(torchless)
    for name in ("_modules", "_parameters", "_buffers", "_non_persistent_buffers_set"):
        assert type(getattr(actual, name)) is type(getattr(expected, name)), name
        assert type(getattr(actual[1], name)) is type(getattr(expected[1], name)), name
    assert repr(actual._modules.keys()) == repr(expected._modules.keys())
    assert list(actual[1]._buffers) == list(expected[1]._buffers)


def test_non_persistent_buffer_set_and_pickle_round_trip():
    import pickle

    def build(lib):
        m = lib.nn.Module()
        m.register_buffer("kept", lib.zeros(2))
        m.register_buffer("scratch", lib.ones(2), persistent=False)
        return m

    expected, actual = build(torch), build(torchless)
    assert actual._non_persistent_buffers_set == expected._non_persistent_buffers_set == {"scratch"}
    again = pickle.loads(pickle.dumps(actual))
    assert again._non_persistent_buffers_set == {"scratch"}
    assert list(again.state_dict()) == list(expected.state_dict()) == ["kept"]
    # a module pickled under the set's former name still loads
    state = dict(actual.__dict__)
    state["_non_persistent_buffers"] = state.pop("_non_persistent_buffers_set")
    old = torchless.nn.Module.__new__(torchless.nn.Module)
    old.__setstate__(state)
    assert list(old.state_dict()) == ["kept"]
