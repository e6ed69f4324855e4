"""Containers (Sequential, ModuleList, ModuleDict) and the reshaping layers Flatten / Unflatten."""
from collections import OrderedDict

import numpy as np
import pytest

import torchless
import torchless.nn as nn
from helpers import assert_same_error, state_dict_from_torch


def build(lib, kind):
    """The same container built with torch.nn or torchless.nn."""
    m = lib.nn
    if kind == "positional":
        return m.Sequential(m.Linear(2, 3), m.ReLU(), m.Linear(3, 1))
    if kind == "ordered":
        return m.Sequential(OrderedDict(fc=m.Linear(2, 3), act=m.Tanh(), out=m.Linear(3, 1)))
    if kind == "nested":
        return m.Sequential(m.Sequential(m.Linear(2, 2), m.ReLU()), m.Flatten(), m.Dropout(0.1))
    if kind == "list":
        return m.ModuleList([m.ReLU(), m.ReLU(), m.ReLU(), m.Linear(2, 2), m.Linear(2, 2), m.Tanh()])
    if kind == "dict":
        return m.ModuleDict({"a": m.ReLU(), "b": m.Linear(2, 3)})
    raise ValueError(kind)


# --------------------------------------------------------------------------- Sequential
def test_sequential_applies_modules_in_order():
    calls = []

    class Record(nn.Module):
        def __init__(self, tag):
            super().__init__()
            self.tag = tag

        def forward(self, x):
            calls.append(self.tag)
            return x * 2 + self.tag

    out = nn.Sequential(Record(1), Record(2), Record(3))(torchless.tensor(1.0))
    assert calls == [1, 2, 3]
    assert out.item() == ((1 * 2 + 1) * 2 + 2) * 2 + 3


def test_sequential_indexing_slicing_and_iteration():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and list(seq) == layers
    assert seq[0] is layers[0] and seq[-1] is layers[2]
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == layers[1:]
    assert list(tail._modules) == ["1", "2"]  # slices keep their names, as in PyTorch
    assert [name for name, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]


def test_sequential_from_ordered_dict_keeps_names():
    seq = nn.Sequential(OrderedDict(conv=nn.Conv2d(1, 2, 3), act=nn.ReLU()))
    assert isinstance(seq.conv, nn.Conv2d) and seq[1] is seq.act
    assert list(seq.state_dict()) == ["conv.weight", "conv.bias"]


def test_sequential_mutation():
    seq = nn.Sequential(nn.ReLU(), nn.Tanh())
    extra = nn.Sigmoid()
    assert seq.append(extra) is seq and seq[2] is extra
    replacement = nn.Identity()
    seq[0] = replacement
    assert list(seq._modules) == ["0", "1", "2"] and seq[0] is replacement
    del seq[0]
    assert list(seq._modules) == ["0", "1"] and isinstance(seq[0], nn.Tanh)
    assert seq.pop(0).__class__ is nn.Tanh and len(seq) == 1
    seq.insert(0, nn.ReLU())
    assert [type(m) for m in seq] == [nn.ReLU, nn.Sigmoid]
    combined = seq + nn.Sequential(nn.Tanh())
    assert [type(m) for m in combined] == [nn.ReLU, nn.Sigmoid, nn.Tanh]


def test_empty_sequential_is_identity():
    x = torchless.ones(2)
    assert nn.Sequential()(x) is x


def test_sequential_train_eval_reaches_children():
    seq = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.BatchNorm1d(2)))
    seq.eval()
    assert not any(m.training for m in seq.modules())
    seq.train()
    assert all(m.training for m in seq.modules())


# --------------------------------------------------------------------------- ModuleList / ModuleDict
def test_module_list_registers_and_indexes():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(list(layers.parameters())) == 6
    assert layers[-1] is list(layers)[2]
    sliced = layers[1:]
    assert isinstance(sliced, nn.ModuleList) and list(sliced._modules) == ["0", "1"]
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers += [nn.Sigmoid()]
    assert [type(m).__name__ for m in layers][3:] == ["ReLU", "Tanh", "Sigmoid"]
    del layers[0]
    assert list(layers._modules) == [str(i) for i in range(5)]
    layers.insert(1, nn.Identity())
    assert isinstance(layers[1], nn.Identity) and len(layers) == 6


def test_module_dict_behaves_like_a_dict():
    d = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Linear(2, 3)})
    assert list(d) == ["a", "b"] and list(d.keys()) == ["a", "b"] and "b" in d and len(d) == 2
    d["c"] = nn.Tanh()
    d.update([("e", nn.Sigmoid())])
    assert list(d) == ["a", "b", "c", "e"]
    assert isinstance(d.pop("a"), nn.ReLU) and "a" not in d
    assert [name for name, _ in d.named_parameters()] == ["b.weight", "b.bias"]
    d.clear()
    assert len(d) == 0


# --------------------------------------------------------------------------- against PyTorch
@pytest.mark.parametrize("kind", ["positional", "ordered", "nested", "list", "dict"])
def test_reprs_and_state_dict_keys_match_torch(kind):
    torch = pytest.importorskip("torch")
    expected, actual = build(torch, kind), build(torchless, kind)
    assert repr(actual) == repr(expected)
    assert list(actual.state_dict()) == list(expected.state_dict())


def test_sliced_and_extended_reprs_match_torch():
    torch = pytest.importorskip("torch")
    expected, actual = build(torch, "positional"), build(torchless, "positional")
    assert repr(actual[1:]) == repr(expected[1:])
    assert repr(actual + actual) == repr(expected + expected)
    expected.append(torch.nn.Tanh())
    actual.append(nn.Tanh())
    assert repr(actual) == repr(expected)
    del expected[1]
    del actual[1]
    assert repr(actual) == repr(expected)
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())
    assert repr(nn.Sequential()) == repr(torch.nn.Sequential())


def test_sequential_forward_matches_torch():
    torch = pytest.importorskip("torch")
    expected, actual = build(torch, "ordered"), build(torchless, "ordered")
    actual.load_state_dict(state_dict_from_torch(expected))
    x = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    np.testing.assert_allclose(actual(torchless.tensor(x)).detach().numpy(),
                               expected(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


ERRORS = [
    lambda lib: lib.nn.Sequential(3),
    lambda lib: lib.nn.Sequential(lib.nn.ReLU())[1],
    lambda lib: lib.nn.Sequential(lib.nn.ReLU())["0"],
    lambda lib: lib.nn.Sequential(lib.nn.ReLU())[1.0],
    lambda lib: lib.nn.ModuleList([3]),
    lambda lib: lib.nn.ModuleList([lib.nn.ReLU()])[2],
    lambda lib: lib.nn.ModuleList([lib.nn.ReLU()])(1),
    lambda lib: lib.nn.ModuleDict({"a": lib.nn.ReLU()})["b"],
    lambda lib: lib.nn.ModuleDict({"a": lib.nn.ReLU()})(1),
    lambda lib: lib.nn.Unflatten(1, 2),
    lambda lib: lib.nn.Unflatten(1, (2, 2.5)),
    lambda lib: lib.nn.Unflatten(1, (4, 4))(lib.zeros(4, 6)),
    lambda lib: lib.nn.Unflatten(-1, (4, -1))(lib.zeros(4, 6)),  # the message gives the dim as 1
    lambda lib: lib.nn.Sequential(OrderedDict(a=lib.nn.ReLU()), lib.nn.ReLU()),  # collections.OrderedDict
    lambda lib: lib.nn.ModuleDict(5),
    lambda lib: lib.nn.ModuleDict().update(5),
    lambda lib: lib.nn.ModuleDict().update([5]),
    lambda lib: lib.nn.Flatten()(lib.zeros(3)),
    lambda lib: lib.nn.Flatten(2, 1)(lib.zeros(2, 3, 4)),
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_match_torch(call):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: call(torch), lambda: call(torchless))


# --------------------------------------------------------------------------- Flatten / Unflatten


@pytest.mark.parametrize("start, end", [(1, -1), (0, -1), (0, 2), (1, 2), (-2, -1), (2, 2)])
def test_flatten_matches_numpy_and_torch(start, end):
    x = np.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5)
    shape = x.shape[:start % 4] + (-1,) + x.shape[end % 4 + 1:]
    out = nn.Flatten(start, end)(torchless.tensor(x, requires_grad=True))
    np.testing.assert_array_equal(out.detach().numpy(), x.reshape(shape))
    torch = pytest.importorskip("torch")
    expected = torch.nn.Flatten(start, end)(torch.tensor(x, requires_grad=True))
    assert out.shape == tuple(expected.shape)
    assert (out.grad_fn and out.grad_fn.name()) == (expected.grad_fn and expected.grad_fn.name())
    assert repr(nn.Flatten(start, end)) == repr(torch.nn.Flatten(start, end))


def test_flatten_gradient_is_reshaped_back():
    x = torchless.randn(2, 3, 4, requires_grad=True)
    out = nn.Flatten()(x)
    out.backward(torchless.tensor(np.arange(24.0, dtype=np.float32).reshape(2, 12)))
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(24.0).reshape(2, 3, 4))


@pytest.mark.parametrize("dim, sizes", [(1, (2, 3)), (1, [2, 3]), (-1, (3, -1)), (0, (1, 4))])
def test_unflatten_matches_torch(dim, sizes):
    torch = pytest.importorskip("torch")
    x = np.arange(24.0).reshape(4, 6)
    expected = torch.nn.Unflatten(dim, sizes)
    actual = nn.Unflatten(dim, sizes)
    assert repr(actual) == repr(expected)
    np.testing.assert_array_equal(actual(torchless.tensor(x)).numpy(), expected(torch.tensor(x)).numpy())


@pytest.mark.parametrize("call", [
    "L.nn.Sequential(L.nn.ReLU(), L.nn.Linear(2, 3)) * 2", "3 * L.nn.Sequential(L.nn.ReLU())",
    "L.nn.Sequential(L.nn.ReLU()) * True", "L.nn.Sequential(L.nn.ReLU()) * 0", "L.nn.Sequential(L.nn.ReLU()) * 1.5",
    "'x' * L.nn.Sequential(L.nn.ReLU())", "_imul(L.nn.Sequential(L.nn.ReLU(), L.nn.Tanh()), 3)",
    "_imul(L.nn.Sequential(L.nn.ReLU()), -1)", "L.nn.ModuleList([L.nn.ReLU()]) * 2",
])
def test_sequential_repetition_matches_torch(call):
    """seq * n repeats the same module objects under new positions; n * seq and seq *= n too."""
    torch = pytest.importorskip("torch")

    def _imul(sequential, times):
        sequential *= times
        return sequential

    def outcome(lib):
        try:
            result = eval(call, {"L": lib, "_imul": _imul})
        except Exception as error:  # noqa: BLE001 - the exception is what is compared
            return type(error).__name__, str(error).replace("torchless", "torch")
        modules = list(result)
        return repr(result).replace("torchless", "torch"), [modules.index(m) for m in modules]

    assert outcome(torchless) == outcome(torch)
