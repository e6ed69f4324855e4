"""Argument lists PyTorch's binding refuses, compared with PyTorch (session 19): exception type and message.

* a Tensor method of no arguments is CPython's METH_NOARGS in PyTorch: ``x.exp(1)`` raises "TensorBase.exp() takes
  no arguments (1 given)", ``x.exp(foo=1)`` "TensorBase.exp() takes no keyword arguments" (keywords checked first);
* its function form counts the arguments given by position before it looks at the input or the keywords
  (``torch.exp(1, 2)``: "exp() takes 1 positional argument but 2 were given"), under the function's own name
  (aliases, in-place forms, torch.special's ``special_i0``).

The calls are written out as source: CPython names a method by its defining class (TensorBase) only for a call
written ``x.exp(1)``, not for ``getattr(x, "exp")(1)``.
"""
import pickle

import pytest

import torchless
from helpers import assert_same_error_as_written
from torchless import _parser_errors
from torchless._tensor import _UNWRAPPED_NO_ARGUMENT_METHODS

torch = pytest.importorskip("torch")


_same_error = assert_same_error_as_written


# every method of no arguments of torchless's, but those left unwrapped to keep the hot paths and torchless's own
# frequent calls free of the wrapper
_NO_ARGUMENT_METHODS = sorted(
    name for name, value in vars(torchless.Tensor).items()
    if not name.startswith("_") and name not in _UNWRAPPED_NO_ARGUMENT_METHODS and callable(value)
    and _parser_errors.takes_no_arguments(value) and hasattr(torch.Tensor, name))
_EXTRA_ARGUMENTS = ["1", "1, 2", "None", "x", "foo=1", "inplace=True", "0, foo=1", "x, dim=0"]


def test_the_methods_of_no_arguments_are_the_pointwise_and_query_methods():
    assert {"exp", "sigmoid", "tanh", "abs", "neg", "sqrt", "floor", "exp_", "abs_", "arcsin", "fix", "is_conj",
            "resolve_conj", "isnan", "trace"} <= set(_NO_ARGUMENT_METHODS)


@pytest.mark.parametrize("name", _NO_ARGUMENT_METHODS)
@pytest.mark.parametrize("extra", _EXTRA_ARGUMENTS)
def test_a_method_of_no_arguments_refuses_any_as_cpythons_meth_noargs(name, extra):
    _same_error(f"x.{name}({extra})")


def test_an_in_place_method_of_no_arguments_names_itself():
    for source in ["x.acos_(1)", "x.abs_(foo=1)", "x.exp_(1, 2)", "x.arcsin_(None)", "x.arccosh_(inplace=True)",
                   "x.arctan2_('a')", "x.arctan2_(x, foo=1)"]:
        _same_error(source)


# the function forms of the methods of no arguments, in-place ones too (torch.exp_), as PyTorch has them (but
# torch.i0, torch.special's function, whose Python signature still looks at the keywords first)
_NO_ARGUMENT_FUNCTIONS = sorted(name for name in _NO_ARGUMENT_METHODS
                                if callable(getattr(torchless, name, None)) and callable(getattr(torch, name, None))
                                and name not in ("bfloat16", "i0"))


@pytest.mark.parametrize("name", _NO_ARGUMENT_FUNCTIONS)
@pytest.mark.parametrize("arguments", ["x, 1", "1, 2", "None, 1, 2", "x, 0, foo=1", "1, 2, foo=3", "x, input=x",
                                       "x, foo=1", "foo=1", "1"])
def test_the_function_form_of_a_method_of_no_arguments_counts_positions_first(name, arguments):
    _same_error(f"lib.{name}({arguments})")


@pytest.mark.parametrize("source", ["lib.acos_(x, 1)", "lib.sigmoid_(x, foo=1)", "lib.arcsin(x, 1)", "lib.fix(x, 1)",
                                    "lib.is_conj(x, 1)", "lib.resolve_conj(x, None)", "lib.i0(x, 1)",
                                    "lib.special.i0(x, 1)", "lib.special.entr(x, foo=1)",
                                    "lib.special.ndtri(x, input=x)", "lib.special.erfcx(1, 2)"])
def test_aliases_in_place_and_special_forms_name_the_function_called(source):
    _same_error(source)


@pytest.mark.parametrize("arguments", ["", "1", "x, 1", "1, 2", "foo=1", "x, foo=1", "x, input=x"])
def test_numel_parses_as_pytorchs_one_overload(arguments):
    _same_error(f"lib.numel({arguments})")


def test_numel_takes_its_input_by_keyword():
    assert torchless.numel(input=torchless.ones(2, 3)) == torch.numel(input=torch.ones(2, 3)) == 6


@pytest.mark.parametrize("name", ["exp", "add", "eq", "max", "sum", "atan2", "acos_", "clamp", "is_nonzero"])
def test_function_forms_pickle_by_name_as_pytorchs(name):
    function = getattr(torchless, name)
    assert pickle.loads(pickle.dumps(function)) is function
    assert pickle.loads(pickle.dumps(getattr(torch, name))) is getattr(torch, name)  # (what the user expects)


# ---------------------------------------------------------------------------- an operand left out
# The hot binary methods take a default standing for "not given", so that a call leaving their operand out fails on
# their slow path with the parser's TypeError: "missing", or the listing of the overloads where PyTorch's hidden
# (deprecated) ones make the call fit none, inline for one printed overload
@pytest.mark.parametrize("source", [
    "x.add()", "x.sub()", "x.mul()", "x.div()", "x.pow()", "x.matmul()", "x.mm()", "x.bmm()", "x.dot()",
    "x.add(alpha=2)", "x.sub(alpha=1)", "x.div(rounding_mode='floor')", "x.div(rounding_mode=None)",
    "x.add_()", "x.sub_(alpha=2)", "x.mul_()", "x.div_()", "x.div_(rounding_mode='trunc')", "x.pow_()",
    "lib.add(x)", "lib.sub(x)", "lib.div(x)", "lib.mm(x)", "lib.bmm(x)", "lib.dot(x)", "lib.matmul(x)",
    "lib.add(x, alpha=2)", "lib.div(x, rounding_mode='floor')",
    "x.mm(1)", "x.bmm(None)", "x.dot('a')", "x.matmul([1])",
    # the function forms count the operand as required still
    "lib.matmul()", "lib.matmul(foo=1)", "lib.mul(x, 1, 2)", "lib.dot(x, x, x)", "lib.matmul(x, 0, 1, 0, 1)",
])
def test_a_binary_method_without_its_operand_fails_as_the_parser(source):
    _same_error(source)


@pytest.mark.parametrize("source", ["lib.ones(2, 3).mm(mat2=lib.ones(3, 2))",
                                    "lib.mm(lib.ones(2, 3), mat2=lib.ones(3, 2))",
                                    "lib.ones(1, 2, 3).bmm(mat2=lib.ones(1, 3, 2))",
                                    "lib.ones(3).dot(tensor=lib.ones(3))", "lib.dot(lib.ones(3), tensor=lib.ones(3))",
                                    "x.add(x, alpha=2)", "x.div(x, rounding_mode='floor')", "x.add_(x)"])
def test_the_operands_take_pytorchs_keyword_names(source):
    code = compile(source, source, "eval")
    expected = eval(code, {"lib": torch, "x": torch.full((2, 2), 3.0)})
    actual = eval(code, {"lib": torchless, "x": torchless.full((2, 2), 3.0)})
    assert actual.tolist() == expected.tolist()


# ---------------------------------------------------------------------------- the arithmetic functions' overloads
# torch.add/sub/mul/div (and their aliases) are parsed as PyTorch's functions on their failure path: their own
# overloads listed (the aliases have more), a Python number passing for a tensor as in PyTorch's parser
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "multiply", "subtract", "divide", "true_divide",
                                  "floor_divide"])
@pytest.mark.parametrize("arguments", ["", "1", "None", "x", "x, foo=1", "1, foo=1", "x, x, x", "x, x, x, x",
                                       "x, 'a'", "1, 'a'", "x, [1]", "foo=1", "x, other=x, foo=1"])
def test_the_arithmetic_functions_fail_as_pytorchs_parser(name, arguments):
    _same_error(f"lib.{name}({arguments})")


@pytest.mark.parametrize("source", ["lib.mm(1)", "lib.bmm(None)", "lib.mm(x)", "lib.bmm(x, foo=1)"])
def test_the_matrix_products_list_their_out_dtype_overload(source):
    _same_error(source)


@pytest.mark.parametrize("source", ["x.floor_divide('a')", "x.floor_divide(None)", "x.floor_divide()",
                                    "x.floor_divide_('a')", "x.floor_divide_()", "x.remainder_('a')", "x.fmod_(None)",
                                    "x.pow_('a')"])
def test_floor_divide_and_in_place_binary_methods_refuse_a_non_operand_under_their_name(source):
    _same_error(source)  # (x.floor_divide('a') returned NotImplemented)


@pytest.mark.parametrize("name", ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack",
                                  "column_stack"])
@pytest.mark.parametrize("arguments", ["", "dim=0"])
def test_a_tensor_list_function_without_its_tensors_words_missing_as_the_parser(name, arguments):
    if arguments and name not in ("cat", "concat", "concatenate", "stack"):
        arguments = ""  # (no dim there)
    _same_error(f"lib.{name}({arguments})")
