"""linear / Linear / Identity: values, gradients, initialisation, node names, errors and reprs.

Checked against NumPy matrix products, float64 finite differences and PyTorch.
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import (assert_matches_torch, assert_same_error, examples, finite_difference_check, outcome,
                     state_dict_from_torch, tensor)

FAST = examples(30)


# --------------------------------------------------------------------------- independent of torch
@pytest.mark.parametrize("leading", [(), (4,), (2, 3)])
def test_linear_is_x_wt_plus_b(leading):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal(leading + (3,)), rng.standard_normal((5, 3)), rng.standard_normal(5)
    np.testing.assert_allclose(F.linear(tensor(x), tensor(w), tensor(b)).numpy(), x @ w.T + b, rtol=1e-12)
    np.testing.assert_allclose(F.linear(tensor(x), tensor(w)).numpy(), x @ w.T, rtol=1e-12)


@pytest.mark.parametrize("leading", [(), (4,), (2, 3)])
def test_linear_gradients_finite_differences(leading):
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal(leading + (3,)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    finite_difference_check(F.linear, [x, w, b], rtol=1e-7, atol=1e-7)
    finite_difference_check(F.linear, [x, w], rtol=1e-7, atol=1e-7)


def test_linear_keeps_float32():
    x = torchless.randn(4, 3, requires_grad=True)
    layer = nn.Linear(3, 2)
    out = layer(x)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == layer.weight.grad.dtype == layer.bias.grad.dtype == torchless.float32


def test_linear_init_bounds_and_seed():
    torchless.manual_seed(3)
    layer = nn.Linear(16, 300)
    bound = 1 / math.sqrt(16)  # kaiming_uniform(a=sqrt(5)) gives the same bound as the bias
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert w.shape == (300, 16) and b.shape == (300,)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01  # uniform(-a, a) has std a / sqrt(3)
    torchless.manual_seed(3)
    np.testing.assert_array_equal(nn.Linear(16, 300).weight.detach().numpy(), w)


def test_linear_module_options():
    layer = nn.Linear(3, 2, bias=False, dtype=torchless.float64)
    assert layer.bias is None and layer.weight.dtype == torchless.float64
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert [name for name, _ in nn.Linear(3, 2).named_parameters()] == ["weight", "bias"]


def test_identity_passes_input_through():
    x = torchless.randn(2, 3)
    assert nn.Identity(54, unused="argument")(x) is x


# --------------------------------------------------------------------------- against PyTorch
@FAST
@given(st.lists(st.integers(1, 4), max_size=3), st.integers(1, 6), st.integers(1, 6), st.booleans(),
       st.sampled_from([np.float32, np.float64]))
def test_linear_matches_torch(leading, in_features, out_features, with_bias, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(tuple(leading) + (in_features,)), rng.standard_normal((out_features, in_features))]
    if with_bias:
        arrays.append(rng.standard_normal(out_features))
    arrays = [a.astype(dtype) for a in arrays]
    expected_inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    inputs = [tensor(a, requires_grad=True) for a in arrays]
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    assert_matches_torch(F.linear(*inputs), torch.nn.functional.linear(*expected_inputs), inputs, expected_inputs,
                         tol, rng)


def test_linear_with_vector_weight_matches_torch():
    torch = pytest.importorskip("torch")
    x, w = np.random.default_rng(5).standard_normal((4, 3)), np.random.default_rng(6).standard_normal(3)
    expected = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w, requires_grad=True))
    actual = F.linear(tensor(x), tensor(w, requires_grad=True))
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    assert actual.grad_fn.name() == expected.grad_fn.name()


ERRORS = [
    ((4, 3), (3, 5), (5,)),
    ((3,), (3, 5), (5,)),
    ((2, 4, 3), (3, 5), (5,)),
    ((2, 4, 3), (3, 5), None),
    ((4, 3), (5, 3), (4,)),
    ((4, 3), (5, 3), (5, 1)),
    ((4, 3), (5, 3), (2, 4, 5)),
    ((4, 3), (3,), (1,)),
    ((), (5, 3), None),
    ((4, 3), (2, 3, 3), None),
]


@pytest.mark.parametrize("x_shape, w_shape, b_shape", ERRORS)
def test_shape_errors_match_torch(x_shape, w_shape, b_shape):
    torch = pytest.importorskip("torch")

    def call(lib, functional):
        bias = None if b_shape is None else lib.zeros(b_shape)
        return functional.linear(lib.zeros(x_shape), lib.zeros(w_shape), bias)

    assert_same_error(lambda: call(torch, torch.nn.functional), lambda: call(torchless, F))


@pytest.mark.parametrize("dtypes", [("float64", "float32", "float32"), ("float32", "float64", "float32"),
                                    ("float32", "float32", "float64"), ("int64", "float32", None),
                                    ("float64", "float32", None)])
def test_dtype_errors_match_torch(dtypes):
    torch = pytest.importorskip("torch")

    def call(lib, functional):
        x, w, b = dtypes
        return functional.linear(lib.zeros(4, 3, dtype=getattr(lib, x)), lib.zeros(5, 3, dtype=getattr(lib, w)),
                                 None if b is None else lib.zeros(5, dtype=getattr(lib, b)))

    assert_same_error(lambda: call(torch, torch.nn.functional), lambda: call(torchless, F))


def test_non_tensor_errors_match_torch():
    torch = pytest.importorskip("torch")
    assert outcome(lambda: F.linear(None, torchless.zeros(2, 3))) == \
           outcome(lambda: torch.nn.functional.linear(None, torch.zeros(2, 3)))
    assert outcome(lambda: F.linear(torchless.zeros(2, 3), None)) == \
           outcome(lambda: torch.nn.functional.linear(torch.zeros(2, 3), None))


def test_module_repr_and_forward_match_torch():
    torch = pytest.importorskip("torch")
    for args, kwargs in [((3, 5), {}), ((3, 5), dict(bias=False))]:
        expected_layer, layer = torch.nn.Linear(*args, **kwargs), nn.Linear(*args, **kwargs)
        assert repr(layer) == repr(expected_layer)
        layer.load_state_dict(state_dict_from_torch(expected_layer))
        x = np.random.default_rng(7).standard_normal((2, 3)).astype(np.float32)
        np.testing.assert_allclose(layer(tensor(x)).detach().numpy(), expected_layer(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-5, atol=1e-6)
    assert repr(nn.Identity(3)) == repr(torch.nn.Identity(3))


def test_bad_calls_still_fail_after_valid_ones():
    """Valid calls are remembered so their checks are skipped next time; a bad call never is."""
    torch = pytest.importorskip("torch")

    def call(lib, x_shape, w_shape, b_shape, dtype="float32"):
        bias = None if b_shape is None else lib.zeros(b_shape)
        return lib.nn.functional.linear(lib.zeros(x_shape, dtype=getattr(lib, dtype)), lib.zeros(w_shape), bias)

    calls = [((4, 3), (5, 3), (5,)), ((4, 2), (5, 3), (5,)), ((4, 3), (5, 3), (4,)), ((4, 3), (5, 3), None),
             ((4, 3), (5, 3), (5,), "float64"), ((4, 3), (5, 3), None, "float64")]
    for _ in range(2):
        for args in calls:
            expected, actual = outcome(lambda: call(torch, *args)), outcome(lambda: call(torchless, *args))
            if hasattr(expected, "message"):
                assert actual == (expected.type, expected.message.replace("torch.", "torchless."))
            else:
                assert actual.shape == tuple(expected.shape)


@pytest.mark.parametrize("x_shape, x_dtype, w_shape, w_dtype", [
    ((3, 6), "float32", (3,), "float32"),       # matrix-vector product: its size message
    ((2, 3, 6), "float32", (3,), "float32"),
    ((0, 4), "float32", (5,), "float32"),
    ((3, 4), "float32", (4,), "float64"),       # ... and its dtype message
    ((3, 4), "int64", (4,), "float32"),
    ((3, 4), "float32", (6,), "float64"),       # size first
    ((4,), "float32", (6,), "float32"),         # dot product
    ((4,), "float32", (6,), "float64"),         # dtype first
    ((4,), "int64", (4,), "float32"),
    ((1, 6), "float32", (5, 5), "float64"),     # matrix product: shapes first, then dtypes
    ((6,), "float32", (5, 5), "float64"),
    ((2, 3, 4), "float32", (5, 5), "float64"),
    ((3, 6), "int64", (5, 5), "float32"),
    ((1, 6), "float32", (5, 6), "float64"),
])
def test_linear_without_bias_checks_as_the_product_torch_computes(x_shape, x_dtype, w_shape, w_dtype):
    torch = pytest.importorskip("torch")
    assert_same_error(
        lambda: torch.nn.functional.linear(torch.zeros(x_shape, dtype=getattr(torch, x_dtype)),
                                           torch.zeros(w_shape, dtype=getattr(torch, w_dtype))),
        lambda: F.linear(torchless.zeros(x_shape, dtype=getattr(torchless, x_dtype)),
                         torchless.zeros(w_shape, dtype=getattr(torchless, w_dtype))))
