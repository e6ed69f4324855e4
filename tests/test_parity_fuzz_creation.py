"""Differences from PyTorch found by a differential fuzz audit of argument parsing, creation functions and in-place
writes, each compared with torch.

* a float, None or a tuple with a float where an int or int list is expected (squeeze, unsqueeze, narrow, view,
  reshape, permute, transpose, swapaxes, swapdims, flatten, unflatten, expand, expand_as, repeat, split, chunk,
  unbind, movedim, moveaxis, sum, mean): torchless raised "dim must be an int, got float", Python's own TypeErrors
  or none at all (``squeeze(None)``, ``narrow(0, 1.5, 2)``); PyTorch's parser gives "argument 'dim' (position 1)
  must be int, not float", "received an invalid combination of arguments", "takes 1 positional argument but 2
  were given" or "failed to unpack the object at pos 2";
* factories: ``zeros(size=...)`` (and ones, empty, rand, randn) was refused; a non-number fill_value of full, a
  float ``high`` of randint, float or None sizes of eye and steps of linspace, and randint's size named at the
  wrong position gave other errors than PyTorch's parser;
* in-place ops on expanded tensors raised NumPy's ValueError "assignment destination is read-only" (and, when
  recorded, NotImplementedError): PyTorch refuses writes where elements share memory ("unsupported operation:
  more than one element of the written-to tensor refers to a single memory location...") but fills them
  (zero_, fill_) and writes through non-overlapping parts of them (``e[:, 0].add_``, ``e[:, 0] = 5``).
"""
import pytest

import torchless
from helpers import assert_same_outcome

torch = pytest.importorskip("torch")

_CALLS = [
    "t.squeeze(1.0)", "t.squeeze(None)", "u.squeeze((0, 1.0))", "t.unsqueeze(None)", "t.unsqueeze(1.0)",
    "t.narrow(0, 1.5, 2)", "t.narrow(0.0, 1, 1)", "t.narrow(0, 1, 2.0)", "t.narrow(0, lib.tensor(1), 1)",
    "t.view(2.0, 3)", "t.view((2.0, 3))", "t.view()", "t.view(3, None)",
    "t.reshape(None)", "t.reshape(2.0, 3)", "t.reshape((2, 3.0))", "t.reshape(2, 3.0)",
    "t.permute(0, 1.0)", "t.permute(None)", "t.transpose(0, 1.5)", "t.transpose(0.0, 1)",
    "t.swapaxes(0, 1.0)", "t.swapdims(None, 1)", "t.swapaxes(0, 1)",
    "t.flatten(0.0)", "t.flatten(None)", "t.unflatten(1.0, (3,))", "t.unflatten(1, 3)", "t.unflatten(1, (3.0,))",
    "t.expand(2.0, 3)", "t.expand((2, 3.0))", "t.expand_as(2)", "t.repeat(1.5)", "t.repeat(2.0, 1)",
    "t.split(1.5)", "t.split(None)", "t.split([1.0, 1])", "t.split(1, 1.0)", "t.chunk(2.0)", "t.chunk(None)",
    "t.chunk(2, 1.0)", "t.unbind(1.0)", "t.movedim(0, 1.0)", "t.moveaxis((0, 1), (1, 0.0))", "t.moveaxis(0, 1)",
    "t.sum(1.0)", "t.sum((0, 1.0))", "t.sum(1.0, True)", "t.mean(1.0)", "t.mean((1.0,))", "t.sum(None)",
]


@pytest.mark.parametrize("call", _CALLS)
def test_arguments_of_the_wrong_type(call):
    def run(lib):
        return eval(call, {"lib": lib, "t": lib.arange(6.).reshape(2, 3), "u": lib.arange(6.).reshape(1, 2, 3)})
    assert_same_outcome(run)


_FACTORY_CALLS = [
    "lib.zeros(2.0)", "lib.zeros((2.0, 3))", "lib.ones((2, None))", "lib.ones(2, None)", "lib.randn(2.5)",
    "lib.rand(2.0, 3)", "lib.empty(2, 3.0)",
    "lib.zeros(size=(2, 3))", "lib.ones(size=[2])", "lib.empty(size=(0, 2))", "lib.zeros(size=2)",
    "lib.ones(size=(2, 3.0))", "lib.zeros(2, size=(2,))", "lib.rand(size=(2, 3)).shape", "lib.randn(size=2.0)",
    "lib.full((2,), None)", "lib.full((2,), 'a')", "lib.full((2,), True)", "lib.full((2,), 3)",
    "lib.randint(5.0, (2,))", "lib.randint(0, 5.0, (2,))", "lib.randint(5, (2.0,))", "lib.randint(5, 2)",
"lib.randint(3, 5, (2,)).shape",
    "lib.eye(2.0)", "lib.eye(2, 3.0)", "lib.eye(None)", "lib.eye(lib.tensor(2))",
    "lib.linspace(0, 1, 5.0)", "lib.linspace(0, 1, None)",
]


@pytest.mark.parametrize("call", _FACTORY_CALLS)
def test_factory_arguments(call):
    def run(lib):
        out = eval(call, {"lib": lib})
        return out if isinstance(out, lib.Tensor) else lib.tensor(list(out))
    assert_same_outcome(run)


# ---------------------------------------------------------------------------- in-place writes into expanded memory
_EXPANDED_WRITES = ["add_(1)", "mul_(2)", "neg_()", "exp_()", "relu_()", "clamp_(0, 1)", "pow_(2)", "copy_(o)",
                    "uniform_()", "normal_()", "addcmul_(o, o)", "lerp_(o, 0.5)", "mul_(o)", "zero_()",
                    "fill_(2)", "__setitem__(0, 5)", "__setitem__((slice(None), 0), 5)",
                    "__setitem__((slice(None), 0), o[:, 0])"]


@pytest.mark.parametrize("write", _EXPANDED_WRITES)
@pytest.mark.parametrize("grad", [False, True])
def test_in_place_writes_into_an_expanded_tensor(write, grad):
    def run(lib):
        base = lib.arange(3.).reshape(3, 1)
        expanded = (base.requires_grad_() if grad else base).detach().expand(3, 4)
        result = eval(f"expanded.{write}", {"expanded": expanded, "o": lib.ones(3, 4)})
        assert result is None or result is expanded
        return expanded, base  # a fill reaches the base through the shared memory
    assert_same_outcome(run)


def test_recorded_in_place_op_on_an_expanded_view():
    def run(lib):
        leaf = lib.ones(3, 1, requires_grad=True)
        return leaf.clone().expand(3, 4).add_(1)
    assert_same_outcome(run)


def test_writes_through_a_non_overlapping_view_of_an_expanded_tensor():
    def run(lib):
        base = lib.arange(3.).reshape(3, 1)
        column = base.expand(3, 4)[:, 0]
        column.add_(1)
        return column, base
    assert_same_outcome(run)


def test_an_expanded_tensor_stays_unwritable_after_a_fill():
    def run(lib):
        expanded = lib.zeros(3, 1).expand(3, 4)
        expanded.fill_(1)
        return expanded.add_(1)
    assert_same_outcome(run)


def test_torchless_import():  # the module under test, not torch, answers the calls above
    assert torchless.zeros(size=(1,)).shape == (1,)
