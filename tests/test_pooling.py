"""Pooling layers and functionals: max/avg/adaptive pooling in 1-D and 2-D.

Checked against PyTorch (outputs, indices, gradients, errors, reprs), against hand-computed values,
and by float64 finite differences independent of PyTorch.
"""
import re

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import (Raised, assert_matches_torch, assert_same_error, examples, finite_difference_check,
                     modules_with_same_repr, outcome, tensor)

FAST = examples(40)
TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


# --------------------------------------------------------------------------- helpers
def distinct_values(shape, seed=0):
    """Values with well separated entries, so no window has a near tie (max pooling is then smooth)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(np.prod(shape)).reshape(shape).astype(np.float64) * 0.1 + rng.uniform(0, 0.01, shape)


# --------------------------------------------------------------------------- hand-computed references
def test_max_pool2d_hand_example():
    x = tensor(np.arange(16.0, dtype=np.float32).reshape(1, 1, 4, 4), requires_grad=True)
    y, indices = F.max_pool2d(x, 2, return_indices=True)
    assert y.tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]
    assert indices.tolist() == [[[[5, 7], [13, 15]]]]
    y.sum().backward()
    expected = np.zeros((4, 4), np.float32)
    expected[[1, 1, 3, 3], [1, 3, 1, 3]] = 1
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)


def test_avg_pool2d_hand_example_with_padding():
    x = tensor(np.ones((1, 1, 2, 2), np.float32))
    # Corner windows cover one input cell and three padding cells.
    assert F.avg_pool2d(x, 2, stride=1, padding=1).numpy()[0, 0, 0, 0] == pytest.approx(0.25)
    assert F.avg_pool2d(x, 2, stride=1, padding=1, count_include_pad=False).numpy()[0, 0, 0, 0] == 1.0
    assert F.avg_pool2d(x, 2, stride=1, padding=1, divisor_override=2).numpy()[0, 0, 0, 0] == 0.5


def test_adaptive_avg_pool2d_hand_example():
    x = tensor(np.arange(5.0).reshape(1, 1, 1, 5))
    # Windows [0, 3) and [2, 5): PyTorch's floor/ceil boundaries overlap at 2.
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, (1, 2)).numpy().ravel(), [1.0, 3.0])
    np.testing.assert_allclose(F.adaptive_max_pool2d(x, (1, 2)).numpy().ravel(), [2.0, 4.0])


def test_max_pool1d_hand_example():
    x = tensor([[1.0, 3.0, 2.0, 5.0, 4.0]])
    y, indices = F.max_pool1d(x, 2, stride=1, return_indices=True)
    assert y.tolist() == [[3.0, 3.0, 5.0, 5.0]]
    assert indices.tolist() == [[1, 1, 3, 3]]


# --------------------------------------------------------------------------- finite differences (no torch)
def test_max_pool2d_gradient_finite_differences():
    x = distinct_values((2, 2, 5, 6))
    finite_difference_check(lambda t: F.max_pool2d(t, (2, 3), stride=(2, 1), padding=1, ceil_mode=True), [x])


def test_max_pool2d_dilated_gradient_finite_differences():
    finite_difference_check(lambda t: F.max_pool2d(t, 2, stride=1, dilation=2), [distinct_values((1, 2, 5, 5))])


@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_gradient_finite_differences(count_include_pad):
    x = np.random.default_rng(1).standard_normal((2, 2, 5, 4))
    finite_difference_check(lambda t: F.avg_pool2d(t, 3, stride=2, padding=1, ceil_mode=True,
                                                   count_include_pad=count_include_pad), [x])


def test_avg_pool2d_divisor_override_gradient_finite_differences():
    x = np.random.default_rng(2).standard_normal((1, 2, 4, 4))
    finite_difference_check(lambda t: F.avg_pool2d(t, 2, stride=1, divisor_override=3), [x])


def test_adaptive_pools_gradient_finite_differences():
    x = distinct_values((2, 2, 5, 7), seed=3)
    finite_difference_check(lambda t: F.adaptive_avg_pool2d(t, (3, 4)), [x])
    finite_difference_check(lambda t: F.adaptive_max_pool2d(t, (3, 4)), [x])


def test_one_dimensional_pools_gradient_finite_differences():
    x = distinct_values((2, 3, 7), seed=4)
    finite_difference_check(lambda t: F.max_pool1d(t, 3, stride=2, padding=1), [x])
    finite_difference_check(lambda t: F.avg_pool1d(t, 3, stride=2, padding=1, count_include_pad=False), [x])
    finite_difference_check(lambda t: F.adaptive_avg_pool1d(t, 3), [x])
    finite_difference_check(lambda t: F.adaptive_max_pool1d(t, 3), [x])


def test_unbatched_input_gradient_finite_differences():
    x = distinct_values((2, 4, 4), seed=5)
    finite_difference_check(lambda t: F.max_pool2d(t, 2), [x])
    finite_difference_check(lambda t: F.avg_pool2d(t, 2, stride=1), [x])


# --------------------------------------------------------------------------- against PyTorch
def compare_with_torch(fn_name, x, args, kwargs, dtype, with_indices=False):
    """Run F.<fn_name> in both libraries on x; compare outputs, indices and input gradients."""
    torch = pytest.importorskip("torch")
    x = x.astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    expected = outcome(lambda: getattr(torch.nn.functional, fn_name)(xt, *args, **kwargs))
    xl = tensor(x, requires_grad=True)
    actual = outcome(lambda: getattr(F, fn_name)(xl, *args, **kwargs))
    if isinstance(expected, Raised):
        assert actual == expected
        return
    if with_indices:
        (expected, expected_indices), (actual, actual_indices) = expected, actual
        np.testing.assert_array_equal(actual_indices.numpy(), expected_indices.numpy())
        assert actual_indices.dtype == torchless.int64
    assert_matches_torch(actual, expected, [xl], [xt], TOL[dtype], np.random.default_rng(0))


def every_window_touches_the_input(length, kernel, stride, padding, dilation, ceil_mode):
    """Whether each max-pooling window along one axis covers at least one input element.

    A window lying wholly in the padding has no element to send its gradient to: PyTorch writes it out of
    bounds (into the next plane, or past the tensor, which can abort the process); torchless drops it.
    """
    span = dilation * (kernel - 1) + 1
    out = (length + 2 * padding - span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= length + padding:
        out -= 1
    return all(any(0 <= i * stride - padding + j * dilation < length for j in range(kernel)) for i in range(out))


dtypes = st.sampled_from([np.float32, np.float64])


@st.composite
def pool2d_case(draw):
    batched = draw(st.booleans())
    shape = ((draw(st.integers(1, 3)),) if batched else ()) + (draw(st.integers(1, 3)), draw(st.integers(1, 9)),
                                                                draw(st.integers(1, 9)))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    return shape, kernel, stride, padding, draw(st.booleans())


@FAST
@given(pool2d_case(), st.tuples(st.integers(1, 2), st.integers(1, 2)), dtypes)
def test_max_pool2d_matches_torch(case, dilation, dtype):
    shape, kernel, stride, padding, ceil_mode = case
    assume(all(every_window_touches_the_input(*axis, ceil_mode)
               for axis in zip(shape[-2:], kernel, stride or kernel, padding, dilation)))
    x = np.random.default_rng(0).standard_normal(shape)
    compare_with_torch("max_pool2d", x, (kernel, stride, padding, dilation, ceil_mode, True), {}, dtype,
                       with_indices=True)


@FAST
@given(pool2d_case(), st.booleans(), st.sampled_from([None, 1, 3]), dtypes)
def test_avg_pool2d_matches_torch(case, count_include_pad, divisor_override, dtype):
    shape, kernel, stride, padding, ceil_mode = case
    x = np.random.default_rng(0).standard_normal(shape)
    compare_with_torch("avg_pool2d", x, (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override), {},
                       dtype)


@FAST
@given(st.booleans(), st.integers(1, 9), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2), st.integers(1, 2),
       st.booleans(), dtypes)
def test_pool1d_matches_torch(batched, length, kernel, stride, padding, dilation, ceil_mode, dtype):
    assume(padding <= kernel // 2)
    assume(every_window_touches_the_input(length, kernel, stride, padding, dilation, ceil_mode))
    shape = ((2,) if batched else ()) + (3, length)
    x = np.random.default_rng(1).standard_normal(shape)
    compare_with_torch("max_pool1d", x, (kernel, stride, padding, dilation, ceil_mode, True), {}, dtype,
                       with_indices=True)
    compare_with_torch("avg_pool1d", x, (kernel, stride, padding, ceil_mode, dilation == 1), {}, dtype)


@FAST
@given(st.booleans(), st.integers(1, 9), st.integers(1, 9),
       st.one_of(st.integers(1, 5), st.tuples(st.one_of(st.none(), st.integers(1, 5)),
                                              st.one_of(st.none(), st.integers(1, 5)))),
       dtypes)
def test_adaptive_pool2d_matches_torch(batched, height, width, output_size, dtype):
    shape = ((2,) if batched else ()) + (2, height, width)
    x = np.random.default_rng(2).standard_normal(shape)
    compare_with_torch("adaptive_avg_pool2d", x, (output_size,), {}, dtype)
    compare_with_torch("adaptive_max_pool2d", x, (output_size, True), {}, dtype, with_indices=True)


@FAST
@given(st.booleans(), st.integers(1, 9), st.integers(1, 6), dtypes)
def test_adaptive_pool1d_matches_torch(batched, length, output_size, dtype):
    x = np.random.default_rng(3).standard_normal(((2,) if batched else ()) + (3, length))
    compare_with_torch("adaptive_avg_pool1d", x, (output_size,), {}, dtype)
    compare_with_torch("adaptive_max_pool1d", x, (output_size, True), {}, dtype, with_indices=True)


def test_max_pool_ties_and_nans_match_torch():
    x = np.array([[[[1.0, 1.0, np.nan, 2.0], [1.0, 0.0, 3.0, np.nan], [-np.inf, -np.inf, 5.0, 5.0],
                    [-np.inf, -np.inf, 5.0, 5.0]]]], np.float32)
    torch = pytest.importorskip("torch")
    for fn in ("max_pool2d", "adaptive_max_pool2d"):
        expected_values, expected_indices = getattr(torch.nn.functional, fn)(torch.tensor(x), 2, return_indices=True)
        values, indices = getattr(F, fn)(tensor(x), 2, return_indices=True)
        np.testing.assert_array_equal(values.numpy(), expected_values.numpy())
        np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())


def test_integer_inputs_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).integers(-50, 50, (2, 3, 5, 5))
    np.testing.assert_array_equal(F.max_pool2d(tensor(x), 2, padding=1).numpy(),
                                  torch.nn.functional.max_pool2d(torch.tensor(x), 2, padding=1).numpy())
    np.testing.assert_array_equal(F.avg_pool2d(tensor(x), 3, stride=1, padding=1).numpy(),
                                  torch.nn.functional.avg_pool2d(torch.tensor(x), 3, stride=1, padding=1).numpy())


def test_empty_batch_matches_torch():
    torch = pytest.importorskip("torch")
    for fn in ("max_pool2d", "avg_pool2d"):
        expected = getattr(torch.nn.functional, fn)(torch.zeros(0, 2, 4, 4), 2)
        assert getattr(F, fn)(torchless.zeros(0, 2, 4, 4), 2).shape == tuple(expected.shape)
    assert F.adaptive_avg_pool2d(torchless.zeros(1, 2, 4, 4), 0).shape == (1, 2, 0, 0)


BAD_CALLS = [
    ("max_pool2d", (2, 3, 8, 8), (3,), dict(padding=2)),
    ("max_pool2d", (2, 3, 8, 8), (20,), {}),
    ("max_pool2d", (2, 3, 8, 8), (0,), {}),
    ("max_pool2d", (2, 3, 8, 8), (0, 1), {}),
    ("max_pool2d", (2, 3, 8, 8), (-1, 1), {}),
    ("max_pool2d", (2, 3, 8, 8), (2, -1), {}),
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(dilation=0)),
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(padding=-1)),
    ("max_pool2d", (2, 3, 8, 8), ((2, 2, 2),), {}),
    ("max_pool2d", (2, 3, 8, 8), ([],), {}),
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(stride=(1, 2, 3))),
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(padding=(1, 2, 3))),
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(dilation=(1, 2, 3))),
    ("max_pool2d", (2, 3, 8, 8), (2.5,), {}),
    ("max_pool2d", (2, 3, 8, 8), (2,), dict(padding=1.0)),
    ("max_pool2d", (2, 3, 8, 8), (3,), dict(padding=2, dilation=2)),
    ("max_pool2d", (2, 3, 8, 8), ((5, 3),), dict(padding=(1, 2))),
    ("max_pool2d", (8, 8), (2,), {}),
    ("max_pool2d", (1, 1, 1, 8, 8), (2,), {}),
    ("max_pool2d", (2, 0, 4, 4), (2,), {}),
    ("max_pool2d", (2, 2, 0, 4), (2,), {}),
    ("avg_pool2d", (2, 3, 8, 8), (3,), dict(padding=2)),
    ("avg_pool2d", (2, 3, 8, 8), (20,), {}),
    ("avg_pool2d", (2, 3, 8, 8), (0,), {}),
    ("avg_pool2d", (2, 3, 8, 8), (0, 1), {}),
    ("avg_pool2d", (2, 3, 8, 8), (2, -1), {}),
    ("avg_pool2d", (2, 3, 8, 8), (2,), dict(divisor_override=0)),
    ("avg_pool2d", (2, 3, 8, 8), (2,), dict(padding=-1)),
    ("avg_pool2d", (2, 3, 8, 8), ([],), {}),
    ("avg_pool2d", (2, 3, 8, 8), (2,), dict(stride=(1, 2, 3))),
    ("avg_pool2d", (2, 3, 8, 8), (2,), dict(padding=(1, 2, 3))),
    ("avg_pool2d", (2, 3, 8, 8), (2,), dict(padding=1.0)),
    ("avg_pool2d", (8, 8), (2,), {}),
    ("avg_pool2d", (1, 1, 1, 8, 8), (2,), {}),
    ("max_pool1d", (2, 3, 8, 8), (2,), {}),
    ("max_pool1d", (3, 8), (0, 1), {}),
    ("max_pool1d", (3, 8), (2, 0), {}),
    ("max_pool1d", (3, 8), (2,), dict(dilation=0)),
    ("max_pool1d", (3, 8), (2,), dict(padding=-1)),
    ("max_pool1d", (3, 8), (3,), dict(padding=2)),
    ("max_pool1d", (3, 8), (20,), {}),
    ("max_pool1d", (3, 8), ((2, 2),), {}),
    ("max_pool1d", (3, 8), (2,), dict(stride=(1, 1))),
    ("max_pool1d", (3, 8), (2,), dict(padding=(1, 1))),
    ("max_pool1d", (3, 8), (2,), dict(dilation=(1, 1))),
    ("max_pool1d", (3, 0), (2,), {}),
    ("max_pool1d", (2,), (2,), {}),
    ("avg_pool1d", (2, 3, 8, 8), (2,), {}),
    ("avg_pool1d", (2,), (2,), {}),
    ("avg_pool1d", (3, 8), (0,), {}),
    ("avg_pool1d", (3, 8), (2, -1), {}),
    ("avg_pool1d", (3, 8), (-1, 1), {}),
    ("avg_pool1d", (3, 8), (2,), dict(padding=-1)),
    ("avg_pool1d", (3, 8), (3,), dict(padding=2)),
    ("avg_pool1d", (3, 8), (20,), {}),
    ("avg_pool1d", (3, 8), ((2, 2),), {}),
    ("avg_pool1d", (3, 8), (2,), dict(stride=(1, 1))),
    ("avg_pool1d", (3, 8), (2,), dict(padding=(1, 1))),
    ("adaptive_avg_pool2d", (2, 3, 8, 8), ((2, 2, 2),), {}),
    ("adaptive_avg_pool2d", (2, 3, 8, 8), ([3],), {}),
    ("adaptive_avg_pool2d", (2, 3, 8, 8), (-1,), {}),
    ("adaptive_avg_pool2d", (8, 8), (2,), {}),
    ("adaptive_avg_pool2d", (8, 8), ((2, 2),), {}),
    ("adaptive_avg_pool2d", (2, 3, 0, 4), (2,), {}),
    ("adaptive_avg_pool2d", (2, 3, 8, 8), (3.0,), {}),
    ("adaptive_max_pool2d", (8, 8), (2,), {}),
    ("adaptive_max_pool2d", (2, 3, 0, 4), (2,), {}),
    ("adaptive_avg_pool1d", (2, 3, 8, 8), (3,), {}),
    ("adaptive_avg_pool1d", (3, 8), ((3, 3),), {}),
]


@pytest.mark.parametrize("fn, shape, args, kwargs", BAD_CALLS)
def test_errors_match_torch(fn, shape, args, kwargs):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: getattr(torch.nn.functional, fn)(torch.zeros(shape), *args, **kwargs),
                      lambda: getattr(F, fn)(torchless.zeros(shape), *args, **kwargs))


@pytest.mark.parametrize("fn, dtype", [("max_pool2d", None), ("avg_pool2d", "int32"), ("adaptive_avg_pool2d", "int64"),
                                       ("adaptive_max_pool2d", "int64")])
def test_non_tensor_and_dtype_errors_match_torch(fn, dtype):
    torch = pytest.importorskip("torch")
    if dtype is None:
        assert_same_error(lambda: getattr(torch.nn.functional, fn)(None, 2), lambda: getattr(F, fn)(None, 2))
        return
    assert_same_error(lambda: getattr(torch.nn.functional, fn)(torch.zeros(1, 2, 4, 4, dtype=getattr(torch, dtype)), 2),
                      lambda: getattr(F, fn)(torchless.zeros(1, 2, 4, 4, dtype=getattr(torchless, dtype)), 2))


# --------------------------------------------------------------------------- modules
MODULES = [
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", ((2, 3),), dict(stride=1, padding=1, dilation=2, return_indices=True, ceil_mode=True)),
    ("MaxPool1d", (3,), dict(stride=2)),
    ("AvgPool2d", (2,), {}),
    ("AvgPool2d", ((2, 3), 1, 1, True, False, 3), {}),
    ("AvgPool1d", (2,), {}),
    ("AvgPool1d", (3, 2, 1), {}),
    ("AdaptiveAvgPool2d", ((None, 3),), {}),
    ("AdaptiveAvgPool2d", (3,), {}),
    ("AdaptiveMaxPool2d", (2,), {}),
    ("AdaptiveMaxPool2d", ((2, 3), True), {}),
    ("AdaptiveAvgPool1d", (2,), {}),
    ("AdaptiveMaxPool1d", (2,), {}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES)
def test_module_repr_and_forward_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    expected_module, module = modules_with_same_repr(name, *args, **kwargs)
    shape = (2, 3, 7) if "1d" in name else (2, 3, 7, 6)
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    expected, actual = expected_module(torch.tensor(x)), module(tensor(x))
    if isinstance(expected, tuple):
        np.testing.assert_array_equal(actual[1].numpy(), expected[1].numpy())
        expected, actual = expected[0], actual[0]
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


def test_module_attributes_match_torch():
    torch = pytest.importorskip("torch")
    for name, args in [("MaxPool2d", (2,)), ("MaxPool2d", (2, 1)), ("AvgPool2d", (2,)), ("AvgPool1d", (2,)),
                       ("AvgPool1d", (2, 1, 1))]:
        expected, actual = getattr(torch.nn, name)(*args), getattr(nn, name)(*args)
        assert (actual.kernel_size, actual.stride, actual.padding) == \
               (expected.kernel_size, expected.stride, expected.padding)


# --------------------------------------------------------------------------- remembered checks and skipped indices
def test_max_pool2d_without_grad_still_matches_and_records_nothing():
    x = np.random.default_rng(5).integers(-3, 4, (2, 3, 6, 6)).astype(np.float32)  # many ties
    x[0, 0, 0, 0] = np.nan
    expected = F.max_pool2d(tensor(x), 2, return_indices=True)[0].numpy()  # indices computed
    leaf = tensor(x, requires_grad=True)
    with torchless.no_grad():
        y = F.max_pool2d(leaf, 2)
    assert y.grad_fn is None and not y.requires_grad
    np.testing.assert_array_equal(y.numpy(), expected)
    np.testing.assert_array_equal(F.max_pool2d(tensor(x), 2).numpy(), expected)


def test_max_pool2d_gradient_after_a_call_without_grad():
    x = tensor(np.arange(16.0).reshape(1, 1, 4, 4)[:, :, ::-1].copy(), requires_grad=True)
    with torchless.no_grad():
        F.max_pool2d(x, 2)
    F.max_pool2d(x, 2).sum().backward()
    expected = np.zeros((4, 4))
    expected[[0, 0, 2, 2], [1, 3, 1, 3]] = 1  # rows reversed: each window's maximum is its top-right cell
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)


@pytest.mark.parametrize("fn", ["max_pool2d", "conv2d"])
def test_a_remembered_valid_call_does_not_excuse_a_lookalike_bad_one(fn):
    torch = pytest.importorskip("torch")
    weight = np.ones((2, 3, 2, 2), np.float32)

    def call(lib, shape, *args):
        functional, x = lib.nn.functional, lib.zeros(shape)
        if fn == "conv2d":
            return functional.conv2d(x, lib.tensor(weight), None, *args)
        return functional.max_pool2d(x, 2, *args)

    def summary(result):
        return result if isinstance(result, Raised) else tuple(result.shape)

    calls = [((1, 3, 4, 4), (1,)), ((1, 3, 4, 4), (True,)), ((1, 3, 1, 1), (1,)), ((1, 3, 4, 4), (1.0,)),
             ((1, 3, 4, 4), (2,)), ((1, 3, 4, 4), (0,))]
    if fn == "conv2d":  # max_pool2d does not take tensors for ints yet
        calls += [((1, 3, 4, 4), ("tensor", 2)), ((1, 3, 4, 4), ("tensor", 0))]
    errors = 0
    for _ in range(2):  # the second round runs with the valid calls remembered
        for shape, args in calls:
            if args[0] == "tensor":  # an integral 0-d tensor stands for an int
                ours, theirs = (torchless.tensor(args[1]),), (torch.tensor(args[1]),)
            else:
                ours = theirs = args
            expected = outcome(lambda: call(torch, shape, *theirs))
            actual = outcome(lambda: call(torchless, shape, *ours))
            if isinstance(expected, Raised):
                errors += 1
                expected = expected._replace(message=expected.message.replace("torch.", "torchless."))
            assert summary(actual) == summary(expected)
    assert 0 < errors < 2 * len(calls)


def test_integral_zero_dim_tensors_count_as_ints():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal((1, 2, 6, 6)).astype(np.float32)
    ours = F.max_pool2d(torchless.tensor(x), torchless.tensor(3), (2, torchless.tensor(2)))
    theirs = torch.nn.functional.max_pool2d(torch.tensor(x), torch.tensor(3), (2, torch.tensor(2)))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# --------------------------------------------------------------------------- adaptive pooling edge cases
def _window_means(x, out_hw):
    """Float64 per-window means of x (N, C, H, W), one window at a time (PyTorch's windows)."""
    (H, W), (oH, oW) = x.shape[2:], out_hw
    y = np.empty(x.shape[:2] + tuple(out_hw))
    for i in range(oH):
        for j in range(oW):
            rows = slice(i * H // oH, -(-(i + 1) * H // oH))
            cols = slice(j * W // oW, -(-(j + 1) * W // oW))
            y[:, :, i, j] = x[:, :, rows, cols].mean(axis=(2, 3))
    return y


@pytest.mark.parametrize("in_hw, out_hw", [((4, 4), (3, 3)), ((7, 5), (3, 4)), ((2, 3), (5, 7)), ((5, 1), (2, 3))])
def test_adaptive_avg_pool_keeps_inf_and_nan_in_their_own_windows(in_hw, out_hw):
    """An inf or NaN input makes only the windows holding it inf or NaN (as PyTorch, which sums each
    window); a gradient's inf reaches only the cells of its own window."""
    import warnings
    x = np.arange(float(np.prod(in_hw))).reshape(1, 1, *in_hw)
    x[0, 0, 0, 0], x[0, 0, -1, -1] = np.inf, np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # inf - inf in the reference's means
        expected = _window_means(x, out_hw)
    t = tensor(x, requires_grad=True)
    y = F.adaptive_avg_pool2d(t, out_hw)
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-12)
    upstream = np.zeros(out_hw)
    upstream[-1, -1] = np.inf
    y.backward(tensor(upstream[None, None]))
    in_last_window = np.zeros(in_hw, bool)
    in_last_window[(out_hw[0] - 1) * in_hw[0] // out_hw[0]:, (out_hw[1] - 1) * in_hw[1] // out_hw[1]:] = True
    np.testing.assert_array_equal(t.grad.numpy()[0, 0], np.where(in_last_window, np.inf, 0.0))


ADAPTIVE_EDGE_CALLS = [
    # output 1x1 is a mean over the last two axes in PyTorch: any rank from 2, the mean's dtype error
    ("adaptive_avg_pool2d", (6, 3), "float32", 1),
    ("adaptive_avg_pool2d", (6,), "float32", 1),
    ("adaptive_avg_pool2d", (2, 6, 3), "int64", 1),
    ("adaptive_avg_pool2d", (1, 2, 0, 3), "float32", 1),
    ("adaptive_avg_pool1d", (6, 3), "float32", 1),
    ("adaptive_avg_pool1d", (2, 6, 3), "int64", 1),
    ("adaptive_avg_pool1d", (2, 3, 0), "float32", 1),
    # an empty output skips the kernel's dtype check
    ("adaptive_avg_pool2d", (0, 2, 6, 3), "int64", 2),
    ("adaptive_avg_pool2d", (2, 6, 3), "int64", 0),
    ("adaptive_avg_pool2d", (0, 3, 3), "int64", 2),
    ("adaptive_avg_pool1d", (0, 6, 3), "int64", 2),
    ("adaptive_avg_pool2d", (2, 0, 3, 3), "float32", 2),
    ("adaptive_avg_pool2d", (2, 0, 3), "float32", 2),
    ("adaptive_max_pool2d", (0, 2, 6, 3), "int64", 2),
]


@pytest.mark.parametrize("fn, shape, dtype, output_size", ADAPTIVE_EDGE_CALLS)
def test_adaptive_pooling_edge_cases_match_torch(fn, shape, dtype, output_size):
    torch = pytest.importorskip("torch")

    def call(lib, module):
        result = outcome(lambda: getattr(module, fn)(lib.ones(shape, dtype=getattr(lib, dtype)), output_size))
        if isinstance(result, Raised):
            return result.type, result.message.replace("torch.", "torchless.")
        return tuple(result.shape), str(result.dtype).split(".")[1], np.asarray(result.tolist()).ravel().tolist()

    expected, actual = call(torch, torch.nn.functional), call(torchless, F)
    assert str(actual) == str(expected)  # str: NaN == NaN


@pytest.mark.parametrize("fn", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
@pytest.mark.parametrize("shape, output_size", [((2, 1, 3, 5), 0), ((1, 3, 5), (0, 2)), ((0, 1, 3, 5), 0),
                                                ((2, 0, 3, 3), 2), ((0, 2, 6, 3), 2)])
def test_adaptive_pooling_backward_of_an_empty_output_plane_fails_as_in_torch(fn, shape, output_size):
    torch = pytest.importorskip("torch")

    def backward(lib, module):
        x = lib.ones(shape, requires_grad=True)
        pooled = getattr(module, fn)(x, output_size)
        pooled.backward(lib.ones(pooled.shape))
        return tuple(x.grad.shape)

    expected = outcome(lambda: backward(torch, torch.nn.functional))
    actual = outcome(lambda: backward(torchless, F))
    assert str(actual) == str(expected)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
@pytest.mark.parametrize("shape", [(1, 1, 8), (1, 8), (0, 1, 8)])
def test_max_pool1d_of_integers_fails_as_in_torch_unless_indices_are_kept(dtype, shape):
    """PyTorch's index-free 1-D kernel has floating types only; returning indices takes the other one."""
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: torch.nn.functional.max_pool1d(torch.zeros(shape, dtype=getattr(torch, dtype)), 2),
                      lambda: F.max_pool1d(torchless.zeros(shape, dtype=getattr(torchless, dtype)), 2))
    x = np.arange(np.prod(shape)).reshape(shape).astype(dtype)
    expected, _ = torch.nn.functional.max_pool1d(torch.tensor(x), 2, return_indices=True)
    actual, _ = F.max_pool1d(torchless.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())


@pytest.mark.parametrize("name", ["max_pool1d", "max_pool2d", "max_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
                                  "adaptive_max_pool3d", "fractional_max_pool2d", "fractional_max_pool3d"])
def test_max_pooling_argument_errors_name_pytorchs_private_function(name):
    """PyTorch reports a max pooling called without its size (or without anything) under its private function's
    name (F._max_pool2d, ...), which exists as an attribute too; both functions pickle by reference."""
    import pickle
    torch = pytest.importorskip("torch")
    for args in ((torch.rand(1, 1, 8, 8, 8),), ()):
        with pytest.raises(TypeError) as expected:
            getattr(torch.nn.functional, name)(*args)
        ours = (torchless.rand(1, 1, 8, 8, 8),) if args else ()
        with pytest.raises(TypeError, match=f"^{re.escape(str(expected.value))}$"):
            getattr(F, name)(*ours)
    for function in (getattr(F, name), getattr(F, f"_{name}")):
        assert pickle.loads(pickle.dumps(function)) is function
