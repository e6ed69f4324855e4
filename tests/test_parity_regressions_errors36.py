"""Differences from PyTorch found by a thirty-sixth differential error-input fuzz of the CNN course's surface (layer
constructors, layer calls, losses, nn.functional, Tensor methods, optimizers, lr schedulers, DataLoader), each
compared with torch at run time and, where the expected text is PyTorch's or Python's own words, also without it.

* the Tensor products and binary methods left unwrapped for speed (matmul, mm, bmm, dot, pow, floor_divide, and the
  in-place add_, sub_, mul_, div_, pow_, floor_divide_) refuse arguments past their operand and keywords they have
  no parameter for with PyTorch's parser's TypeError ("matmul() takes 1 positional argument but 2 were given",
  'mm() missing 1 required positional arguments: "mat2"', pow's overloads listed), not Python's binding words that
  count self; NumPy's ``x2=`` for ``other``, which PyTorch's parser reads, is taken (add, sub, mul, div raised an
  AssertionError for it);
* Tensor.copy_ names its operand ``other`` as PyTorch (``copy_(src=t)`` is refused, ``copy_(other=t)`` taken),
  refuses a ``non_blocking`` that is no bool, and lists its overload when called with none or too many arguments;
* nn.functional's natively bound functions (gelu, softplus, softshrink, hardshrink, logsigmoid, relu_, elu_,
  hardtanh_, leaky_relu_, selu_, celu_, rrelu_, threshold_) take NumPy's ``x=``, ``a=``, ``x1=`` for ``input``, and
  name an argument given by keyword without a position when refusing it; F.avg_pool2d / F.avg_pool3d take ``out=``
  as torch._C._nn's do (an out of another dtype refused with its words);
* Tensor.float() and its kin (double, half, long, int, short, char, byte, bool, cfloat, cdouble, bfloat16) refuse
  ``memory_format`` given by position (None too, which was taken) and extra arguments in the parser's words;
* keyword-only arguments given by position are refused even as None (cumsum(0, None), cumsum_ / cumprod_ and
  torch.cumsum likewise, new_tensor(data, None)), as the parser refuses them; requires_grad_ counts its extra
  arguments as the parser does (self not counted);
* the METH_NOARGS methods kept unwrapped for speed (dim, numel, detach, t, relu, relu_) refuse keywords in
  CPython's words ("TensorBase.dim() takes no keyword arguments"); storage, share_memory_ and is_shared, Python
  code in PyTorch, fail in Python's words naming ``Tensor.storage()``;
* F.max_pool3d with return_indices (nn.MaxPool3d's) reads a non-tensor input's ``is_cuda`` first, as PyTorch's
  max_pool3d_with_indices does: an AttributeError.
"""
import math

import numpy as np
import pytest

import torchless
from helpers import run_python


def _outcome(lib, source):
    """(exception type name, message with the library's name as torch's) of ``source`` evaluated with ``lib``
    (``F`` its nn.functional, ``nn`` its nn), or ("OK", the result as a list)."""
    names = {"lib": lib, "F": lib.nn.functional, "nn": lib.nn, "np": np}
    try:
        result = eval(source, names)
    except Exception as error:  # (compared as the user sees it)
        return type(error).__name__, str(error).replace("torchless", "torch")
    return "OK", result.tolist() if hasattr(result, "tolist") else result


def _assert_as_torch(source):
    """The same exception (type and words) as torch's, or the same values to float32 precision."""
    torch = pytest.importorskip("torch")
    actual, expected = _outcome(torchless, source), _outcome(torch, source)
    if actual[0] == expected[0] == "OK" and isinstance(expected[1], list):
        np.testing.assert_allclose(actual[1], expected[1], rtol=1e-6, atol=0)
    else:
        assert actual == expected


# ----------------------------------------------------------------------------- compared with torch at run time
_OPERAND_CALLS = [
    "lib.ones(2, 3).matmul(lib.ones(3, 2), None)", "lib.ones(2, 3).matmul(bogus=1)",
    "lib.ones(2, 3).matmul(1, 2, 3, 4)", "lib.ones(2, 3).matmul(other=lib.ones(3, 2), bogus=1)",
    "lib.ones(2, 3).matmul(lib.ones(3, 2), other=lib.ones(3, 2))", "lib.ones(2, 3).matmul(None, bogus=1)",
    "lib.ones(2, 3).matmul(x2=lib.ones(3, 2))", "lib.ones(2, 3).mm(lib.ones(3, 2), lib.float32)",
    "lib.ones(2, 3).mm(out=None)", "lib.ones(2, 3).mm(lib.ones(3, 2), out=None)",
    "lib.ones(1, 2, 3).bmm(lib.ones(1, 3, 2), 1.5)", "lib.ones(1, 2, 3).bmm(x=1)", "lib.ones(3).dot(lib.ones(3), 'a')",
    "lib.ones(3).dot(bogus=1)", "lib.ones(3).dot(tensor=lib.ones(3))", "lib.ones(2, 3).pow(2, bogus=1)",
    "lib.ones(2, 3).pow(2, None)", "lib.ones(2, 3).pow(dim=None)", "lib.ones(2, 3).pow(exponent=2, bogus=1)",
    "lib.ones(2, 3).pow(x2=lib.ones(2, 3))", "lib.ones(2, 3).floor_divide(2, None)",
    "lib.ones(2, 3).floor_divide(2, bogus=1)", "lib.ones(2).add(x2=lib.ones(2) * 3)",
    "lib.ones(2).sub(x2=lib.ones(2) * 3, alpha=2)", "lib.ones(2).mul(x2=lib.ones(2) * 3)",
    "lib.ones(2).div(x2=lib.ones(2) * 4, rounding_mode='floor')", "lib.ones(2).floor_divide(x2=lib.ones(2) * 3)",
]
_IN_PLACE_CALLS = [f"lib.ones(2).{name}({arguments})" for name in ("add_", "sub_", "mul_", "div_", "pow_")
                   for arguments in ("bogus=1", "lib.ones(2), None", "lib.ones(2), bogus=1", "x2=lib.ones(2) * 3",
                                     "")] + [
    "lib.ones(2).add_(x2=lib.ones(2) * 3, alpha=2)", "lib.ones(2).div_(x2=lib.ones(2) * 4, rounding_mode='floor')",
    "lib.ones(2).div_(lib.ones(2), None, rounding_mode='floor')", "lib.ones(2).add_(2, lib.ones(2))",
    "lib.ones(2).add_(lib.ones(2), alpha=None, bogus=1)", "lib.ones(2).floor_divide_(2, None)",
    "lib.ones(2, requires_grad=True).add_(x2=lib.ones(2))",
]
_COPY_CALLS = [
    "lib.ones(2).copy_(src=lib.ones(2))", "lib.ones(2).copy_(other=lib.ones(2) * 3)",
    "lib.ones(2).copy_(lib.ones(2), 1)",
    "lib.ones(2).copy_(lib.ones(2), non_blocking=1)", "lib.ones(2).copy_(lib.ones(2), non_blocking=np.bool_(True))",
    "lib.ones(2).copy_(lib.ones(2) * 3, True)", "lib.ones(2).copy_(2.5)", "lib.ones(2).copy_(lib.ones(2), False, 3)",
    "lib.ones(2).copy_()", "lib.ones(2).copy_(bogus=1)", "lib.ones(2).copy_(lib.ones(2), None)",
    "lib.ones(2).copy_(None, bogus=1)", "lib.ones(2).copy_(x2=lib.ones(2) * 3)",
    "lib.ones(2).copy_(other=lib.ones(2), non_blocking=None)",
]


@pytest.mark.parametrize("source", _OPERAND_CALLS + _IN_PLACE_CALLS + _COPY_CALLS)
def test_binary_methods_parse_their_extra_arguments_as_torch(source):
    _assert_as_torch(source)


_NATIVE_FUNCTIONALS = ["gelu", "softplus", "softshrink", "hardshrink", "logsigmoid", "relu_", "elu_", "hardtanh_",
                       "leaky_relu_", "selu_", "celu_", "rrelu_"]


@pytest.mark.parametrize("source", [f"F.{name}({keyword}=lib.tensor([1.5, -0.5]))" for name in _NATIVE_FUNCTIONALS
                                    for keyword in ("x", "a", "x1", "self")]
                         + [f"F.{name}(input=None)" for name in _NATIVE_FUNCTIONALS + ["threshold_"]]
                         + ["F.threshold_(x=lib.ones(2))", "F.gelu(lib.ones(2), x=lib.ones(2))",
                            "F.softplus(x=lib.ones(2), beta=2)", "F.bilinear(input1=None, input2=None, weight=None)"])
def test_native_functionals_read_numpy_names_and_keywords_as_torch(source):
    _assert_as_torch(source)


@pytest.mark.parametrize("source", [
    f"{call}, out={out})" for call in ("F.avg_pool2d(lib.arange(16.).view(1, 1, 4, 4), 2",
                                       "F.avg_pool3d(lib.arange(64.).view(1, 1, 4, 4, 4), 2")
    for out in ("lib.zeros(3)", "lib.zeros(2, dtype=lib.long)", "lib.zeros(2, dtype=lib.float64)", "3")
] + ["(lambda o: (F.avg_pool2d(lib.arange(16.).view(1, 1, 4, 4), 2, out=o), o)[1])(lib.zeros(1, 1, 2, 2))",
     "F.avg_pool2d(lib.ones(1, 1, 4, 4, requires_grad=True), 2, out=lib.ones(2))",
     "F.avg_pool2d(lib.ones(1, 1, 4, 4), 5, out=lib.ones(2))",
     "lib._C._nn.avg_pool2d(lib.ones(1, 1, 4, 4), 2, out=None)"])
def test_avg_pool_takes_out_as_torch(source):
    _assert_as_torch(source)


_CASTS = ["float", "double", "half", "long", "int", "short", "char", "byte", "bool", "cfloat", "cdouble"]


@pytest.mark.parametrize("source", [f"lib.ones(2, 3).{name}({arguments})" for name in _CASTS
                                    for arguments in ("None", "1, 2, 3", "memory_format=None", "lib.preserve_format",
                                                      "memory_format=lib.channels_last", "bogus=1", "")]
                         + ["lib.ones(2).bfloat16(1)", "lib.ones(2).bfloat16(bogus=1)", "lib.ones(2).bfloat16(None)"])
def test_dtype_casts_refuse_positional_arguments_as_torch(source):
    _assert_as_torch(source)


@pytest.mark.parametrize("source", [f"lib.ones(2, 3).{name}({arguments})"
                                    for name in ("dim", "numel", "detach", "t", "relu", "relu_", "storage",
                                                 "share_memory_", "is_shared")
                                    for arguments in ("bogus=1", "1", "1, bogus=2", "axis=0")]
                         + ["lib.ones(2, 3).dim()", "lib.ones(2, 3).numel()", "lib.ones(2, 3).t()",
                            "lib.ones(2, 3).detach()", "lib.ones(2, 3).relu_()"])
def test_no_argument_methods_refuse_keywords_as_torch(source):
    _assert_as_torch(source)


@pytest.mark.parametrize("source", ["nn.MaxPool3d(2, return_indices=True)(None)",
                                    "F.max_pool3d([1.0], 2, return_indices=True)",
                                    "F.max_pool3d_with_indices(np.ones((1, 2, 2, 2)), 2)", "F.max_pool3d(None, 2)",
                                    "F.max_pool3d(lib.arange(8.).view(1, 2, 2, 2), 2, return_indices=True)[1]"])
def test_max_pool3d_with_indices_reads_is_cuda_first_as_torch(source):
    _assert_as_torch(source)


@pytest.mark.parametrize("source", [
    "lib.ones(2).cumsum(0, None)", "lib.ones(2).cumsum(0, lib.float64)", "lib.ones(2).cumsum(0, dtype=None)",
    "lib.ones(2).cumsum(0, dtype=lib.float64)", "lib.ones(2).cumsum_(0, None)", "lib.ones(2).cumprod_(0, None)",
    "lib.ones(2).cumsum_(0, dtype=lib.float64)", "lib.cumsum(lib.ones(2), 0, None)", "lib.ones(2).cumsum(0, None, 1)",
    "lib.ones(2).requires_grad_(True, None)", "lib.ones(2).requires_grad_(True, 1, 2)",
    "lib.ones(2).new_tensor([1], None)",
    "lib.ones(2).new_tensor([1], lib.float64)", "lib.ones(2).new_tensor([1], dtype=lib.float64)",
    "lib.ones(2).new_tensor([1], 1, 2, 3)",
])
def test_keyword_only_arguments_by_position_refused_as_torch(source):
    _assert_as_torch(source)


# ----------------------------------------------------------------------------- PyTorch's words, without torch
def _raised(source):
    kind, message = _outcome(torchless, source)
    assert kind != "OK", f"{source} did not raise"
    return kind, message


@pytest.mark.parametrize("source, expected", [
    ("lib.ones(2, 3).matmul(lib.ones(3, 2), None)", "matmul() takes 1 positional argument but 2 were given"),
    ("lib.ones(2, 3).mm(bogus=1)", 'mm() missing 1 required positional arguments: "mat2"'),
    ("lib.ones(1, 2, 3).bmm(lib.ones(1, 3, 2), lib.ones(1))", "bmm() takes 1 positional argument but 2 were given"),
    ("lib.ones(3).dot(lib.ones(3), bogus=1)", "dot() got an unexpected keyword argument 'bogus'"),
    ("lib.ones(2).add_(lib.ones(2), None)", "add_() takes 1 positional argument but 2 were given"),
    ("lib.ones(2).mul_(bogus=1)", 'mul_() missing 1 required positional arguments: "other"'),
    ("lib.ones(2).copy_(src=lib.ones(2))", 'copy_() missing 1 required positional arguments: "other"'),
    ("lib.ones(2).copy_(lib.ones(2), 1)", "copy_(): argument 'non_blocking' (position 2) must be bool, not int"),
    ("lib.ones(2).copy_()", "copy_() received an invalid combination of arguments - got (), but expected "
                            "(Tensor other, bool non_blocking = False)"),
    ("F.gelu(input=None)", "gelu(): argument 'input' must be Tensor, not NoneType"),
    ("F.softplus(None)", "softplus(): argument 'input' (position 1) must be Tensor, not NoneType"),
    ("lib.ones(2).float(None)", "float() takes 0 positional arguments but 1 was given"),
    ("lib.ones(2).long(1, 2, 3)", "long() takes 0 positional arguments but 3 were given"),
    ("lib.ones(2).dim(bogus=1)", "TensorBase.dim() takes no keyword arguments"),
    ("lib.ones(2).relu(1)", "TensorBase.relu() takes no arguments (1 given)"),
    ("lib.ones(2).storage(1)", "Tensor.storage() takes 1 positional argument but 2 were given"),
    ("lib.ones(2).cumsum(0, None)", "cumsum() takes 1 positional argument but 2 were given"),
    ("lib.ones(2).new_tensor([1], None)", "new_tensor() takes 1 positional argument but 2 were given"),
    ("lib.ones(2).requires_grad_(True, None)", "requires_grad_() takes from 0 to 1 positional arguments but 2 were "
                                               "given"),
])
def test_type_errors_in_pytorchs_words(source, expected):
    assert _raised(source) == ("TypeError", expected)


def test_pow_with_extra_arguments_lists_both_overloads():
    kind, message = _raised("lib.ones(2).pow(2, None)")
    assert kind == "TypeError"
    assert message.startswith("pow() received an invalid combination of arguments - got (int, NoneType)")
    assert " * (Tensor exponent)\n" in message and " * (Number exponent)\n" in message


def test_max_pool3d_with_indices_of_a_non_tensor_is_an_attribute_error():
    assert _raised("F.max_pool3d(None, 2, return_indices=True)") == \
        ("AttributeError", "'NoneType' object has no attribute 'is_cuda'")
    assert _raised("F.max_pool3d(None, 2)")[0] == "TypeError"  # (no indices: the parser's refusal)


def test_numpy_operand_names_compute_the_operation():
    """x2= stands for other (products, arithmetic, in place too), x= for a native functional's input: the values are
    those of the operation, hand-computed."""
    a = torchless.tensor([[1.0, 2.0], [3.0, 4.0]])
    b = torchless.tensor([[0.5, -1.0], [2.0, 0.25]])
    expected = np.array([[1.0, 2.0], [3.0, 4.0]]) @ np.array([[0.5, -1.0], [2.0, 0.25]])
    np.testing.assert_array_equal(a.matmul(x2=b).numpy(), expected)
    with pytest.raises(TypeError, match='mm\\(\\) missing 1 required positional arguments: "mat2"'):
        a.mm(x2=b)  # (mm's operand is mat2: no NumPy name for it)
    np.testing.assert_array_equal(a.add(x2=b, alpha=2).numpy(), [[2.0, 0.0], [7.0, 4.5]])
    np.testing.assert_array_equal(a.sub(x2=b).numpy(), [[0.5, 3.0], [1.0, 3.75]])
    np.testing.assert_array_equal(a.div(x2=b, rounding_mode="floor").numpy(), [[2.0, -2.0], [1.0, 16.0]])
    c = a.clone()
    assert c.mul_(x2=b) is c
    np.testing.assert_array_equal(c.numpy(), [[0.5, -2.0], [6.0, 1.0]])
    d = torchless.zeros(2)
    d.copy_(x2=torchless.tensor([3.0, -1.0]))
    np.testing.assert_array_equal(d.numpy(), [3.0, -1.0])
    x = [1.5, -0.5]
    gelu = [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x]
    np.testing.assert_allclose(torchless.nn.functional.gelu(x=torchless.tensor(x, dtype=torchless.float64)).numpy(),
                               gelu, rtol=1e-12)
    softplus = [math.log1p(math.exp(2 * v)) / 2 for v in x]
    np.testing.assert_allclose(torchless.nn.functional.softplus(a=torchless.tensor(x, dtype=torchless.float64),
                                                                beta=2).numpy(), softplus, rtol=1e-12)


def test_avg_pool2d_writes_out_the_window_means():
    out = torchless.zeros(1, 1, 2, 2)
    returned = torchless.nn.functional.avg_pool2d(torchless.arange(16.0).view(1, 1, 4, 4), 2, out=out)
    # the means of 2x2 windows of 0..15 laid out row by row: (0+1+4+5)/4 = 2.5, then +2 across, +8 down
    np.testing.assert_array_equal(out.numpy(), [[[[2.5, 4.5], [10.5, 12.5]]]])
    assert returned is out
    assert _raised("F.avg_pool2d(lib.ones(1, 1, 4, 4), 2, out=lib.ones(2, dtype=lib.long))") == \
        ("RuntimeError", "Expected out tensor to have dtype float, but got long int instead")


def test_casts_still_take_memory_format_by_keyword():
    x = torchless.ones(1, 2, 3, 3)
    assert x.double(memory_format=torchless.channels_last).stride() == (18, 1, 6, 2)
    assert x.half(memory_format=None).dtype is torchless.float16
    assert x.long().dtype is torchless.int64


def test_refused_arguments_leave_the_tensor_unchanged():
    """A refused in-place call writes nothing (the parser refuses it before the kernel)."""
    x = torchless.ones(3)
    for call in (lambda: x.add_(x, None), lambda: x.mul_(2, bogus=1), lambda: x.copy_(x * 5, 1),
                 lambda: x.pow_(2, None)):
        with pytest.raises(TypeError):
            call()
    np.testing.assert_array_equal(x.numpy(), [1.0, 1.0, 1.0])


def test_refusals_hold_under_optimised_python():
    """The messages are built from code, not from docstrings: the same under ``python -OO``."""
    code = ("import torchless\nx = torchless.ones(2)\n"
            "for call in (lambda: x.matmul(x, None), lambda: x.float(None), lambda: x.dim(k=1),\n"
            "             lambda: torchless.nn.functional.gelu(input=None)):\n"
            "    try:\n        call()\n    except TypeError as error:\n        print(error)\n"
            "print(torchless.nn.functional.gelu(x=x).tolist())\n")
    stdout, _ = run_python(["-OO", "-c", code])
    assert stdout.splitlines()[:4] == [
        "matmul() takes 1 positional argument but 2 were given",
        "float() takes 0 positional arguments but 1 was given",
        "TensorBase.dim() takes no keyword arguments",
        "gelu(): argument 'input' must be Tensor, not NoneType"]
