"""ParameterList and ParameterDict: registration (parameters, names, state_dict, dtype conversion), the list and
dict behaviour, reprs and errors, checked directly and against PyTorch."""
from collections import OrderedDict

import numpy as np
import pytest

import torchless
import torchless.nn as nn
from helpers import Raised, assert_same_error, outcome, state_dict_from_torch


# --------------------------------------------------------------------------- ParameterList
def test_parameter_list_registers_tensors_as_parameters():
    a, b = torchless.zeros(2, 3), nn.Parameter(torchless.ones(4))
    plist = nn.ParameterList([a, b, 7])
    assert len(plist) == 3
    assert isinstance(plist[0], nn.Parameter) and plist[0].requires_grad and plist[0].shape == (2, 3)
    assert plist[1] is b and plist[2] == 7 and plist[-1] == 7
    assert [name for name, _ in plist.named_parameters()] == ["0", "1"]
    assert list(plist.state_dict()) == ["0", "1"]
    a._data[0, 0] = 5.0  # the parameter shares the tensor's memory
    assert plist[0][0, 0].item() == 5.0


def test_parameter_list_as_a_submodule():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = nn.ParameterList(nn.Parameter(torchless.ones(2) * i) for i in range(3))

        def forward(self, x):
            for w in self.weights:
                x = x * w
            return x.sum()

    model = Model()
    assert [name for name, _ in model.named_parameters()] == ["weights.0", "weights.1", "weights.2"]
    model(torchless.ones(2)).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.double()
    assert all(p.dtype == torchless.float64 for p in model.parameters())
    model.to(torchless.float32)
    assert all(p.dtype == torchless.float32 for p in model.parameters())


def test_parameter_list_indexing_slicing_and_growth():
    params = [nn.Parameter(torchless.ones(i + 1)) for i in range(4)]
    plist = nn.ParameterList(params[:2])
    plist.append(params[2])
    plist += [params[3]]
    assert list(plist) == params
    tail = plist[1::2]
    assert isinstance(tail, nn.ParameterList) and list(tail) == [params[1], params[3]]
    assert list(tail.state_dict()) == ["0", "1"]  # a slice is renumbered
    plist[0] = torchless.zeros(5)
    assert isinstance(plist[0], nn.Parameter) and plist[0].shape == (5,)
    with pytest.raises(IndexError, match="index 4 is out of range"):
        plist[4]
    with pytest.raises(IndexError, match="index -5 is out of range"):
        plist[-5] = torchless.zeros(1)
    assert [d for d in dir(plist) if d.isdigit()] == []


def test_parameter_list_repr():
    plist = nn.ParameterList([torchless.zeros(2, 3), torchless.zeros(4, dtype=torchless.float64), "x",
                              torchless.zeros(())])
    assert repr(plist) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [torchless.float32 of size 2x3]\n"
        "    (1): Parameter containing: [torchless.float64 of size 4]\n"
        "    (2): Object of type: str\n"
        "    (3): Parameter containing: [torchless.float32 of size ]\n"
        ")")
    assert repr(nn.ParameterList()) == "ParameterList()"


def test_parameter_list_errors():
    plist = nn.ParameterList([torchless.zeros(1)])
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an iterable, but got Tensor"):
        plist.extend(torchless.zeros(3))
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        plist(1)
    with pytest.raises(TypeError, match="cannot assign 'int' as parameter '0'"):
        plist[0] = 3


# --------------------------------------------------------------------------- ParameterDict
def test_parameter_dict_registers_tensors_as_parameters():
    pdict = nn.ParameterDict({"b": torchless.zeros(2), "a": torchless.ones(3), "n": None, "k": 4})
    assert list(pdict) == ["a", "b", "k", "n"]  # a plain dict is added in sorted order
    assert all(isinstance(pdict[k], nn.Parameter) for k in "ab")
    assert pdict["k"] == 4 and pdict["n"] is None
    assert [name for name, _ in pdict.named_parameters()] == ["a", "b"]
    assert list(pdict.state_dict()) == ["a", "b"]
    ordered = nn.ParameterDict(OrderedDict(z=torchless.zeros(1), y=torchless.zeros(1)))
    assert list(ordered.keys()) == ["z", "y"]
    pairs = nn.ParameterDict([("z", torchless.zeros(1)), ("y", torchless.zeros(1))])
    assert list(pairs.keys()) == ["z", "y"]


def test_parameter_dict_mapping_methods():
    x, y = nn.Parameter(torchless.zeros(1)), nn.Parameter(torchless.ones(2))
    pdict = nn.ParameterDict(OrderedDict(x=x, y=y))
    assert "x" in pdict and "q" not in pdict and len(pdict) == 2
    assert list(pdict.values()) == [x, y] and list(pdict.items()) == [("x", x), ("y", y)]
    assert list(reversed(pdict)) == ["y", "x"]
    assert pdict.get("q", 5) == 5 and pdict.get("x") is x
    copy = pdict.copy()
    assert copy is not pdict and copy["x"] is x and list(copy) == ["x", "y"]
    assert pdict.setdefault("z", torchless.zeros(3)).shape == (3,)
    assert pdict.popitem()[0] == "z"
    assert pdict.pop("x") is x and list(pdict) == ["y"] and list(pdict.state_dict()) == ["y"]
    merged = pdict | nn.ParameterDict(OrderedDict(w=x))
    assert list(merged) == ["y", "w"] and list(pdict) == ["y"]
    pdict |= OrderedDict(v=x)
    assert list(pdict) == ["y", "v"]
    assert list(pdict.fromkeys(["a", "b"], None)) == ["a", "b"]
    pdict.clear()
    assert len(pdict) == 0 and list(pdict.parameters()) == []


def test_parameter_dict_repr():
    pdict = nn.ParameterDict(OrderedDict(w=torchless.zeros(2, 2), v=torchless.zeros(3, dtype=torchless.float64),
                                         n=3))
    assert repr(pdict) == (
        "ParameterDict(\n"
        "    (w): Parameter containing: [torchless.FloatTensor of size 2x2]\n"
        "    (v): Parameter containing: [torchless.DoubleTensor of size 3]\n"
        "    (n): Object of type: int\n"
        ")")


def test_parameter_dict_errors():
    pdict = nn.ParameterDict()
    with pytest.raises(TypeError, match="not a string .type is 'int'"):
        pdict[1] = torchless.zeros(1)
    with pytest.raises(TypeError, match="ParametersDict.update should be called with an iterable"):
        pdict.update(3)
    with pytest.raises(TypeError, match="element #0 should be Iterable; isint"):
        pdict.update([1])
    with pytest.raises(ValueError, match="element #0 has length 3; 2 is required"):
        pdict.update([("a", 1, 2)])
    with pytest.raises(KeyError, match="parameter name can"):
        pdict["a.b"] = torchless.zeros(1)
    with pytest.raises(RuntimeError, match="ParameterDict should not be called."):
        pdict(1)


# --------------------------------------------------------------------------- against PyTorch
def build(lib):
    m = lib.nn
    model = m.Module()
    model.plist = m.ParameterList([m.Parameter(lib.zeros(2, 3)), lib.ones(4, dtype=lib.float64), 5, "s",
                                   lib.zeros(())])
    model.pdict = m.ParameterDict({"b": lib.zeros(2), "a": m.Parameter(lib.ones(1, dtype=lib.float64)), "c": 3})
    model.pairs = m.ParameterDict([("z", lib.ones(2)), ("y", lib.ones(3))])
    model.inner = m.Sequential(m.Linear(2, 2), m.ParameterList([lib.ones(1)]))
    return model


def test_structure_and_repr_match_torch():
    torch = pytest.importorskip("torch")
    theirs, ours = build(torch), build(torchless)
    assert repr(ours) == repr(theirs).replace("torch.", "torchless.")
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours.plist[1:]) == repr(theirs.plist[1:]).replace("torch.", "torchless.")
    assert repr(ours.pdict | ours.pairs) == repr(theirs.pdict | theirs.pairs).replace("torch.", "torchless.")
    result = ours.load_state_dict(state_dict_from_torch(theirs))
    assert repr(result) == "<All keys matched successfully>"
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=name)
        assert p.requires_grad == q.requires_grad


@pytest.mark.parametrize("action", [
    lambda m: m.plist[5], lambda m: m.plist[-6], lambda m: m.plist["0"], lambda m: m.plist.extend(m.plist[0]),
    lambda m: m.plist.extend(3), lambda m: m.plist(), lambda m: m.pdict(1), lambda m: m.pdict[1],
    lambda m: m.pdict["zz"], lambda m: m.pdict.update(3), lambda m: m.pdict.update([1]),
    lambda m: m.pdict.update([(1, 2, 3)]), lambda m: m.plist.__setitem__(0, 5),
    lambda m: m.pdict.__setitem__("a.b", m.pdict["a"]), lambda m: m.pdict.__setitem__("", m.pdict["a"]),
    lambda m: m.plist.append(m.plist[0].long()), lambda m: m.pdict.__delitem__("q"),
])
def test_errors_match_torch(action):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: action(build(torch)), lambda: action(build(torchless)))


@pytest.mark.parametrize("action", [
    lambda m: m.pdict.popitem()[0], lambda m: list(m.pdict.keys()), lambda m: list(reversed(m.pdict)),
    lambda m: list((m.pdict | m.pairs).keys()), lambda m: list(m.pdict.fromkeys(["x", "y"]).keys()),
    lambda m: (m.pdict.pop("c"), len(m.pdict), list(m.state_dict())),
    lambda m: (m.pdict.clear(), repr(m.pdict))[1], lambda m: (m.pairs.update({"b": 1, "a": 2}), list(m.pairs))[1],
    lambda m: (m.double(), [str(p.dtype).split(".")[1] for p in m.parameters()])[1],
    lambda m: (m.plist.__iadd__([m.pairs["z"]]), [n for n, _ in m.named_parameters()])[1],
    lambda m: outcome(lambda: m.plist.append(m.plist[0].long())) and (len(m.plist), outcome(lambda: m.plist[5])),
])
def test_behaviour_matches_torch(action):
    torch = pytest.importorskip("torch")

    def normal(value):  # errors compared by type and message, torch. read as torchless.
        if isinstance(value, Raised):
            return Raised(value.type, value.message.replace("torch.", "torchless."))
        if isinstance(value, tuple):
            return tuple(normal(v) for v in value)
        return value

    assert normal(action(build(torchless))) == normal(action(build(torch)))
