"""Activation functions and layers: relu family, sigmoid/tanh, GELU, ELU, SiLU, hardtanh, softmax, log_softmax.

Checked against closed-form references computed here, float64 finite differences, and PyTorch
(values, gradients, node names, in-place behaviour, errors, warnings and reprs).
"""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import (assert_matches_torch, assert_same_error, examples, finite_difference_check, modules_with_same_repr,
                     outcome, tensor)

FAST = examples(30)
# float32 atol: tails such as gelu's tanh form round to 0 in one library and to one ulp of 1 in the other.
TOL = {np.float32: dict(rtol=1e-5, atol=5e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def away_from_kinks(x, kinks=(0.0,), margin=1e-3):
    """Shift values lying within margin of a kink (where finite differences are meaningless)."""
    x = x.copy()
    for k in kinks:
        x[np.abs(x - k) < margin] += 2 * margin
    return x


# --------------------------------------------------------------------------- closed-form references
_phi = np.vectorize(lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2))))

REFERENCES = {
    "relu": (lambda x: F.relu(x), lambda x: np.maximum(x, 0)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    "sigmoid": (lambda x: F.sigmoid(x), lambda x: 1 / (1 + np.exp(-x))),
    "tanh": (lambda x: F.tanh(x), np.tanh),
    "gelu": (lambda x: F.gelu(x), lambda x: x * _phi(x)),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    "elu": (lambda x: F.elu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * (np.exp(x) - 1))),
    "silu": (lambda x: F.silu(x), lambda x: x / (1 + np.exp(-x))),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: np.clip(x, -0.5, 2.0)),
    "relu6": (lambda x: F.relu6(x), lambda x: np.clip(x, 0, 6)),
    "softmax": (lambda x: F.softmax(x, 1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    "log_softmax": (lambda x: F.log_softmax(x, 1), lambda x: x - np.log(np.exp(x).sum(1, keepdims=True))),
}
KINKS = {"relu": (0.0,), "leaky_relu": (0.0,), "elu": (0.0,), "hardtanh": (-0.5, 2.0), "relu6": (0.0, 6.0)}


@pytest.mark.parametrize("name", REFERENCES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_match_closed_form(name, dtype):
    fn, reference = REFERENCES[name]
    x = np.random.default_rng(1).standard_normal((4, 7)) * 4
    out = fn(tensor(x.astype(dtype)))
    assert out.dtype.numpy == dtype
    np.testing.assert_allclose(out.numpy(), reference(x), rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


@pytest.mark.parametrize("name", REFERENCES)
def test_gradients_match_finite_differences(name):
    x = away_from_kinks(np.random.default_rng(2).standard_normal((3, 5)) * 3, KINKS.get(name, ()))
    finite_difference_check(REFERENCES[name][0], [x])


def test_gelu_erf_is_accurate_over_the_whole_line():
    x = np.concatenate([np.linspace(-10, 10, 4001), [0.0, 2.9999999, 3.0, 3.0000001]])
    # Both sides compute 1 + erf(x / sqrt(2)), which cancels for x << 0: compare to 1e-15 absolute there.
    np.testing.assert_allclose(F.gelu(tensor(x)).numpy(), x * _phi(x), rtol=1e-13, atol=1e-14)


def test_softmax_is_stable_for_huge_logits():
    x = tensor(np.array([[1000.0, 1001.0, -1000.0]], np.float32))
    np.testing.assert_allclose(F.softmax(x, 1).numpy(), [[1 / (1 + math.e), math.e / (1 + math.e), 0.0]], rtol=1e-6)
    np.testing.assert_allclose(F.log_softmax(x, 1).numpy()[0, :2], [-math.log1p(math.e), -math.log1p(1 / math.e)],
                               rtol=1e-6)
    assert np.isfinite(F.log_softmax(x, 1).numpy()[0, 2])


def test_softmax_rows_sum_to_one_along_each_dim():
    x = tensor(np.random.default_rng(3).standard_normal((2, 3, 4)))
    for dim in range(-3, 3):
        np.testing.assert_allclose(F.softmax(x, dim).numpy().sum(axis=dim), 1.0, rtol=1e-12)


def test_tensor_softmax_methods_use_the_functionals():
    x = tensor(np.random.default_rng(4).standard_normal((2, 3)))
    np.testing.assert_array_equal(x.softmax(1).numpy(), F.softmax(x, 1).numpy())
    np.testing.assert_array_equal(x.log_softmax(dim=0).numpy(), F.log_softmax(x, 0).numpy())
    assert x.softmax(1, dtype=torchless.float32).dtype == torchless.float32


def test_relu_keeps_integers_and_inplace_overwrites():
    assert F.relu(tensor([1, -2, 3])).tolist() == [1, 0, 3]
    x = tensor([-1.0, 2.0])
    assert F.relu(x, inplace=True) is x and x.tolist() == [0.0, 2.0]
    y = tensor([-1.0, 2.0])
    nn.ReLU(inplace=True)(y)
    assert y.tolist() == [0.0, 2.0]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_relu_gradient_is_threshold_backward_with_nan_and_inf(dtype):
    """PyTorch's ReLU gradient: grad where the output is not <= 0 (a NaN output passes it), exactly
    0 elsewhere, even for an inf or NaN grad (a product grad * (out > 0) would give NaN there)."""
    x = np.array([np.nan, -np.nan, -1.0, -0.0, 0.0, 2.0, np.inf, -np.inf, 1e-30, -5.0], dtype)
    grad = np.array([5.0, 6.0, np.inf, np.nan, -np.inf, 3.0, 4.0, np.nan, 7.0, np.nan], dtype)
    keep = ~(np.maximum(x.astype(np.float64), 0) <= 0)  # NaN compares False: kept
    expected = np.where(keep, grad, 0).astype(dtype)
    xl = tensor(x, requires_grad=True)
    F.relu(xl).backward(tensor(grad))
    np.testing.assert_array_equal(xl.grad.numpy(), expected)
    assert not np.signbit(xl.grad.numpy()[~keep]).any()
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, requires_grad=True)
    torch.relu(xt).backward(torch.tensor(grad))
    np.testing.assert_array_equal(xl.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("size", [0, 1, 131071, 131072, 300_001])
def test_relu_of_inputs_spanning_several_zero_blocks(size):
    """The forward works block by block (see unary.Relu): sizes around and past one block."""
    x = np.random.default_rng(size).standard_normal(size).astype(np.float32)
    x[::97] = np.nan
    out = F.relu(tensor(x)).numpy()
    np.testing.assert_array_equal(out, np.maximum(x, 0))
    base = np.random.default_rng(1).standard_normal((30, 40))
    transposed = tensor(base).t()  # a view, not contiguous
    assert not transposed._data.flags.c_contiguous
    np.testing.assert_array_equal(F.relu(transposed).numpy(), np.maximum(base.T, 0))


INPLACE = [("relu", ()), ("leaky_relu", (0.1,)), ("elu", (1.0,)), ("elu", (0.5,)), ("hardtanh", (-1.0, 1.0)),
           ("silu", ()), ("relu6", ()), ("hardswish", ()), ("hardsigmoid", ()), ("mish", ()), ("selu", ()),
           ("celu", (1.3,)), ("threshold", (0.2, -1.0)), ("rrelu", (0.1, 0.3))]


@pytest.mark.parametrize("name, args", INPLACE)
def test_inplace_on_intermediate_matches_out_of_place(name, args):
    x = np.random.default_rng(5).standard_normal((3, 4)) * 4
    a = tensor(x, requires_grad=True)
    intermediate = a * 1.0
    out = getattr(F, name)(intermediate, *args, inplace=True)
    assert out is intermediate
    out.sum().backward()
    b = tensor(x, requires_grad=True)
    expected = getattr(F, name)(b, *args)
    expected.sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-15)
    # (the elu family's in-place gradient is PyTorch's, from the result: input_scale * (out + alpha * scale)
    # rounds otherwise than the out-of-place alpha * scale * input_scale * exp(input_scale * x); celu's
    # input_scale is 1 / alpha rounded through float32 there, and 1 / alpha in the result)
    rtol = {"elu": 1e-13, "selu": 1e-13, "celu": 1e-6}.get(name, 1e-15)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol)


# --------------------------------------------------------------------------- against PyTorch
CASES = [
    ("relu", (), {}), ("leaky_relu", (0.2,), {}), ("sigmoid", (), {}), ("tanh", (), {}), ("gelu", (), {}),
    ("gelu", (), dict(approximate="tanh")), ("elu", (0.7,), {}), ("silu", (), {}), ("hardtanh", (-2.0, 0.5), {}),
    ("relu6", (), {}), ("softmax", (1,), {}), ("log_softmax", (1,), {}), ("softmax", (-1,), {}),
    ("log_softmax", (0,), {}), ("softmax", (1,), dict(dtype="float64")), ("log_softmax", (-1,), dict(dtype="float64")),
]


def _kwargs(kwargs, lib):
    return {k: getattr(lib, v) if k == "dtype" else v for k, v in kwargs.items()}


@pytest.mark.parametrize("name, args, kwargs", CASES)
@FAST
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=4, max_side=5),
                    elements=st.floats(-20, 20, width=32)),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_functionals_match_torch(name, args, kwargs, x, dtype):
    torch = pytest.importorskip("torch")
    x = x.astype(dtype)
    xt, xl = torch.tensor(x, requires_grad=True), tensor(x, requires_grad=True)
    expected = getattr(torch.nn.functional, name)(xt, *args, **_kwargs(kwargs, torch))
    actual = getattr(F, name)(xl, *args, **_kwargs(kwargs, torchless))
    assert_matches_torch(actual, expected, [xl], [xt], TOL[np.float64 if "dtype" in kwargs else dtype],
                         np.random.default_rng(6))


@pytest.mark.parametrize("name, args", INPLACE)
def test_inplace_node_names_and_leaf_error_match_torch(name, args):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(7).standard_normal((2, 3)).astype(np.float32)
    expected = getattr(torch.nn.functional, name)(torch.tensor(x, requires_grad=True) * 1, *args, inplace=True)
    actual = getattr(F, name)(tensor(x, requires_grad=True) * 1, *args, inplace=True)
    assert actual.grad_fn.name() == expected.grad_fn.name()
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    expected_error = outcome(lambda: getattr(torch.nn.functional, name)(torch.tensor(x, requires_grad=True), *args,
                                                                         inplace=True))
    assert outcome(lambda: getattr(F, name)(tensor(x, requires_grad=True), *args, inplace=True)) == expected_error


@pytest.mark.parametrize("dim", [None, 0, 1, 2, -1])
def test_softmax_implicit_dim_and_warning_match_torch(dim):
    torch = pytest.importorskip("torch")
    for shape in [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        if dim is not None and dim >= len(shape):
            continue
        x = np.random.default_rng(8).standard_normal(shape)
        for name in ("softmax", "log_softmax"):
            with warnings.catch_warnings(record=True) as caught_torch:
                warnings.simplefilter("always")
                expected = getattr(torch.nn.functional, name)(torch.tensor(x), dim)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                actual = getattr(F, name)(tensor(x), dim)
            np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-12)
            assert [str(w.message) for w in caught] == [str(w.message) for w in caught_torch]
            assert all(w.filename == __file__ for w in caught)


def test_softmax_of_scalar_matches_torch():
    torch = pytest.importorskip("torch")
    for name in ("softmax", "log_softmax"):
        expected = getattr(torch.nn.functional, name)(torch.tensor(2.0), 0)
        assert getattr(F, name)(tensor(2.0), 0).item() == expected.item()


ERRORS = [
    ("gelu", [1.0], (), dict(approximate="foo")),
    ("gelu", [1], (), {}),
    ("leaky_relu", [1], (), {}),
    ("elu", [1], (), {}),
    ("silu", [1], (), {}),
    ("softmax", [[1]], (0,), {}),
    ("log_softmax", [[1, 2]], (1,), {}),
    ("softmax", [[1.0, 2.0]], (5,), {}),
    ("softmax", [[1.0, 2.0]], ((1,),), {}),
    ("softmax", [[1.0, 2.0]], (1.0,), {}),
    ("hardtanh", [1.0], (2.0, 1.0), {}),
    ("relu", [True], (), {}),
]


@pytest.mark.parametrize("name, data, args, kwargs", ERRORS)
def test_errors_match_torch(name, data, args, kwargs):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: getattr(torch.nn.functional, name)(torch.tensor(data), *args, **kwargs),
                      lambda: getattr(F, name)(tensor(data), *args, **kwargs))


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "gelu"])
def test_non_tensor_input_errors_match_torch(name):
    torch = pytest.importorskip("torch")
    assert outcome(lambda: getattr(F, name)(None)) == outcome(lambda: getattr(torch.nn.functional, name)(None))


def test_integer_inputs_match_torch():
    torch = pytest.importorskip("torch")
    data = [1, -2, 7]
    for name in ("relu", "relu6", "hardtanh", "sigmoid", "tanh"):
        expected = getattr(torch.nn.functional, name)(torch.tensor(data))
        actual = getattr(F, name)(tensor(data))
        assert actual.dtype.name == str(expected.dtype).replace("torch.", "")
        np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape, dim", [((0, 3), 1), ((2, 0), 1), ((2, 0), 0), ((2, 3), 1), ((2, 3), 0)])
def test_softmax_of_integers_fails_unless_empty_as_in_torch(name, shape, dim):
    """PyTorch's softmax kernels have floating types only, but an empty input returns before them."""
    torch = pytest.importorskip("torch")

    def call(lib, module):
        result = outcome(lambda: getattr(module, name)(lib.zeros(shape, dtype=lib.int64), dim))
        return result if isinstance(result, tuple) else (tuple(result.shape), str(result.dtype).split(".")[1])

    assert call(torchless, F) == call(torch, torch.nn.functional)


# --------------------------------------------------------------------------- modules
MODULES = [
    ("ReLU", (), {}), ("ReLU", (True,), {}), ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}), ("Sigmoid", (), {}),
    ("Tanh", (), {}), ("GELU", (), {}), ("GELU", ("tanh",), {}), ("Softmax", (), {}), ("Softmax", (1,), {}),
    ("LogSoftmax", (), dict(dim=1)), ("ELU", (), {}), ("ELU", (2.0, True), {}), ("SiLU", (), {}), ("SiLU", (True,), {}),
    ("Hardtanh", (), {}), ("Hardtanh", (-2, 3, True), {}), ("ReLU6", (), {}), ("ReLU6", (True,), {}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES)
def test_module_repr_and_forward_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    expected_module, module = modules_with_same_repr(name, *args, **kwargs)
    x = np.random.default_rng(9).standard_normal((3, 4)).astype(np.float32) * 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = expected_module(torch.tensor(x))
        actual = module(tensor(x))
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


def test_hardtanh_module_rejects_inverted_range_like_torch():
    torch = pytest.importorskip("torch")
    assert outcome(lambda: nn.Hardtanh(2, 1)) == outcome(lambda: torch.nn.Hardtanh(2, 1))
