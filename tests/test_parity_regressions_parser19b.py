"""torch.rsub, and the parser's TypeErrors of Tensor methods not in a signature table before, compared with
PyTorch (session 19).

* ``torch.rsub(input, other, *, alpha=1)`` is ``other - alpha * input``, its Tensor overload's node RsubBackward0
  (input listed first), its Scalar one's RsubBackward1 (the number no input); its parse failures list both
  overloads.
"""
import itertools
import warnings

import pytest

import torchless
from helpers import outcome

torch = pytest.importorskip("torch")


def _same_error(source):
    """``source`` (an expression of ``lib`` and ``x``, a 2x2 tensor) raises the same error in torch and
    torchless."""
    code = compile(source, f"<{source}>", "eval")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, actual = (outcome(lambda lib=lib: eval(code, {"lib": lib, "x": lib.ones(2, 2)}))
                            for lib in (torch, torchless))
    assert hasattr(expected, "message"), f"torch did not raise: {expected}"
    assert actual == (expected.type, expected.message.replace("torch.", "torchless.")), actual


# ---------------------------------------------------------------------------- torch.rsub
_RSUB_OPERANDS = {
    "float": lambda lib: lib.tensor([[1.5, -2.25], [3.0, 0.5]], requires_grad=True),
    "row": lambda lib: lib.tensor([2.0, 4.0], requires_grad=True),
    "int": lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    "bool": lambda lib: lib.tensor([True, False]),
    "half": lambda lib: lib.tensor([1.5, 2.0], dtype=lib.float16),
    "0-d": lambda lib: lib.tensor(3),
    "int number": lambda lib: 2, "float number": lambda lib: 2.5, "bool number": lambda lib: True,
}


def _rsub_result(lib, input_kind, other_kind, alpha):
    input, other = _RSUB_OPERANDS[input_kind](lib), _RSUB_OPERANDS[other_kind](lib)
    result = lib.rsub(input, other) if alpha is None else lib.rsub(input, other, alpha=alpha)
    node = result.grad_fn
    described = (str(result.dtype).split(".")[-1], result.tolist(), node and node.name(),
                 node and [edge is not None and edge[0] is not None for edge in node.next_functions],
                 node and node._saved_alpha)
    if result.requires_grad:
        result.sum().backward()
        described += tuple(t.grad.tolist() for t in (input, other) if isinstance(t, lib.Tensor) and t.requires_grad)
    return described


@pytest.mark.parametrize("input_kind", ["float", "row", "int", "bool", "half"])
@pytest.mark.parametrize("other_kind", list(_RSUB_OPERANDS))
@pytest.mark.parametrize("alpha", [None, 2, 0.5, True, -1])
def test_rsub_is_other_minus_alpha_input_with_pytorchs_nodes_and_errors(input_kind, other_kind, alpha):
    expected = outcome(lambda: _rsub_result(torch, input_kind, other_kind, alpha))
    actual = outcome(lambda: _rsub_result(torchless, input_kind, other_kind, alpha))
    if hasattr(expected, "message"):
        expected = (expected.type, expected.message)
    assert actual == expected


def test_rsub_lists_input_first_in_its_graph():
    a, b = torchless.ones(2, requires_grad=True), torchless.ones(2, requires_grad=True)
    node = torchless.rsub(a, b * 1).grad_fn
    assert node.name() == "RsubBackward0"
    assert node.next_functions[0][0].variable is a and node.next_functions[1][0].name() == "MulBackward0"


@pytest.mark.parametrize("arguments", ["", "x", "3, x", "x, 'a'", "x, 2, foo=1", "x, 2, alpha='a'", "x, x, x",
                                       "x, 2.5, out=x", "x, [1]", "x, None", "x, x, 2", "other=x", "x, 2, 3, 4",
                                       "x, other=2, alpha=None", "input=x", "x, x, alpha=x"])
def test_rsub_fails_as_pytorchs_parser(arguments):
    _same_error(f"lib.rsub({arguments})")


@pytest.mark.parametrize("source", ["lib.rsub(x, 2, 3)", "lib.rsub(x, other=2)", "lib.rsub(input=x, other=x, alpha=3)",
                                    "lib.rsub(x, lib.tensor(2.0), 2)", "lib.rsub(x.int(), 2.5)"])
def test_rsub_takes_pytorchs_positions_and_keywords(source):
    code = compile(source, source, "eval")
    expected = eval(code, {"lib": torch, "x": torch.full((2, 2), 3.0)})
    actual = eval(code, {"lib": torchless, "x": torchless.full((2, 2), 3.0)})
    assert (str(actual.dtype), actual.tolist()) == (str(expected.dtype).replace("torch.", "torchless."),
                                                    expected.tolist())
