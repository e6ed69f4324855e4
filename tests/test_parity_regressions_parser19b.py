"""torch.rsub, and the parser's TypeErrors of Tensor methods not in a signature table before, compared with
PyTorch (session 19).

* ``torch.rsub(input, other, *, alpha=1)`` is ``other - alpha * input``, its Tensor overload's node RsubBackward0
  (input listed first), its Scalar one's RsubBackward1 (the number no input); its parse failures list both
  overloads.
* a failing call of a common method not parsed before (addmm's family, addcmul, bitwise ops, lerp, masked_fill,
  cumulative ops, softmax, type_as, nan_to_num, ...) fails with PyTorch's parser's TypeError where its parser
  refuses the call: the parse runs only once the call has failed.
"""
import warnings

import pytest

import torchless
from helpers import assert_same_error_as_written, outcome

torch = pytest.importorskip("torch")


_same_error = assert_same_error_as_written


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


# ---------------------------------------------------------------------------- methods parsed on their failure path
# A failing call the user wrote of one of these methods is parsed as PyTorch's parser does first (only once it has
# failed): a wrong type, a missing argument, an unknown keyword or too many arguments give the parser's TypeError
_PARSED_ON_FAILURE = sorted(name for name in torchless._parser_errors.PARSED_ON_FAILURE
                            if hasattr(torchless.Tensor, name) and hasattr(torch.Tensor, name))
_WRONG_CALLS = ["()", "('a')", "(None)", "(1)", "(x)", "(x, 'a')", "(x, x, 'a')", "(x, x, x)", "(x, x, x, x)",
                "(x, x, x, x, x)", "(foo=1)", "(x, foo=1)", "(x, x, foo=1)", "(x, value='a')", "(x, x, value='a')",
                "(x, x, beta='a')", "(x, x, alpha=None)", "(x, weight='a')", "(0, foo=1)", "(dim='a')", "([1])",
                "(x, [1])", "(1.5)", "(x, 0.5, 2)", "(x, x, value=x)", "(1, x, x)", "(x, x, beta=1, alpha='a')"]


def test_the_methods_parsed_on_failure_are_the_common_ones():
    assert {"addmm", "addcmul", "addcdiv", "bitwise_and", "bitwise_or_", "copysign", "cummax", "cummin", "lerp",
            "lerp_", "masked_fill", "clamp_min", "softmax", "type_as", "view_as", "maximum", "cumsum",
            "nan_to_num", "polygamma", "mvlgamma_"} <= set(_PARSED_ON_FAILURE)


@pytest.mark.parametrize("name", _PARSED_ON_FAILURE)
def test_a_wrong_call_fails_as_pytorchs_parser(name):
    checked = 0
    for call in _WRONG_CALLS:
        source = f"x.{name}{call}"
        code = compile(source, f"<{source}>", "eval")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected, actual = (outcome(lambda lib=lib: eval(code, {"lib": lib, "x": lib.ones(2, 2)}))
                                for lib in (torch, torchless))
        if getattr(expected, "type", None) == "TypeError":  # (the parser's: what this is about)
            checked += 1
            assert actual == (expected.type, expected.message.replace("torch.", "torchless.")), source
    assert checked >= 10


@pytest.mark.parametrize("source", ["x.nan_to_num(x)", "x.nan_to_num(posinf=x)", "x.nan_to_num(0.0, 1.0, 'a')",
                                    "x.nan_to_num_(1, [1])", "lib.nan_to_num(x, 0.0, 1.0, 'a')",
                                    "x.nan_to_num(lib.ones(1, requires_grad=True).sum())"])
def test_nan_to_num_refuses_what_is_no_float(source):
    _same_error(source)  # (a tensor of more than one element was taken)


@pytest.mark.parametrize("source", ["x.nan_to_num(lib.tensor(2.0), posinf=lib.tensor(3), neginf=True)",
                                    "x.nan_to_num(None)", "x.nan_to_num_(nan=None, posinf=None, neginf=-1)",
                                    "lib.nan_to_num(x, None, 5)"])
def test_nan_to_num_reads_a_0_d_tensor_as_its_float_and_none_as_zero(source):
    code = compile(source, source, "eval")
    expected, actual = (eval(code, {"lib": lib, "x": lib.tensor([float("nan"), float("inf"), -float("inf")])}).tolist()
                        for lib in (torch, torchless))
    assert actual == expected


@pytest.mark.parametrize("source", ["x.addcmul(x, x, value=2)", "x.lerp(x, 0.25)", "x.addmm(x, x, beta=2, alpha=3)",
                                    "x.masked_fill(x > 0, 2.0)", "x.cumsum(1)", "x.cummax(0)[1]",
                                    "x.addcdiv(x, x + 1)"])
def test_the_calls_pytorch_takes_still_compute(source):
    code = compile(source, source, "eval")
    expected = eval(code, {"lib": torch, "x": torch.arange(4.0).reshape(2, 2)})
    actual = eval(code, {"lib": torchless, "x": torchless.arange(4.0).reshape(2, 2)})
    assert actual.tolist() == expected.tolist()


def test_a_failing_call_pytorch_parses_keeps_its_own_error():
    _same_error("x.addmm(lib.ones(3, 3), x)")  # (the shapes: a RuntimeError after parsing)
    _same_error("x.cummax(5)")


# PyTorch's deprecated overloads, hidden from its messages, still take a call: beta (and alpha) or value first (an
# in-place product into one of its own factors is left out: BLAS then reads what it writes, in an order of its own)
@pytest.mark.parametrize("source", ["x.addmm(2, x, x)", "x.addmm(2, 3, x, x)", "x.clone().addmm_(2, x, x)",
                                    "x.addcmul(2, x, x)", "x.addcdiv_(0.5, x, x + 1)", "x.addr(2, x[0], x[1])",
                                    "x[0].addmv(2, x, x[1])", "x.baddbmm(2, 3, x[None], x[None])",
                                    "x.addbmm(2, x[None], x[None])"])
def test_a_deprecated_overload_still_computes(source):
    code = compile(source, source, "eval")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = eval(code, {"lib": torch, "x": torch.arange(4.0).reshape(2, 2)})
        actual = eval(code, {"lib": torchless, "x": torchless.arange(4.0).reshape(2, 2)})
    assert actual.tolist() == expected.tolist()


def test_a_deprecated_overload_warns_once_as_pytorch(monkeypatch):
    monkeypatch.setattr(torchless._user_warnings, "_spent_once", set())
    x = torchless.ones(2, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x.addmm_(1, x, x)
        x.addcmul(2, x, x)
    # (PyTorch 2.13's, recorded: its TORCH_WARN_ONCE gives it once a process)
    assert [(str(w.message), w.category, w.filename) for w in caught] == [(
        "This overload of addmm_ is deprecated:\n\taddmm_(Number beta, Tensor mat1, Tensor mat2)\nConsider using one "
        "of the following signatures instead:\n\taddmm_(Tensor mat1, Tensor mat2, *, Number beta = 1, Number alpha = "
        "1) (Triggered internally at /__w/pytorch/pytorch/torch/csrc/utils/python_arg_parser.cpp:1841.)",
        UserWarning, __file__)]
