"""3-D pooling (max, average, adaptive, power-average, max unpooling) and the 1-D max unpooling and Lp pooling.

Checked against slow direct float64 loops written here from PyTorch's documented algorithms (output
sizes, windows, scan order, divisors), by float64 finite differences, and against PyTorch (outputs,
indices, gradients, grad_fn names, errors, reprs).
"""
import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import (assert_matches_torch, assert_same_error, examples, finite_difference_check,
                     modules_with_same_repr, tensor)

FAST = examples(30)
TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


# --------------------------------------------------------------------------- direct references
def output_length(size, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's pooling_output_shape: floor (or ceil) of the span over the stride, plus one; in ceil mode a
    last window starting past the input and its left padding is dropped."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def triple(value):
    return tuple(value) if isinstance(value, tuple) else (value,) * 3


def reference_max_pool3d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """(values, flat indices) by PyTorch's CPU loop: each window scanned d, h, w from its first tap past the
    padding; a value wins when greater than the best so far (first maximum wins ties) or NaN."""
    kernel, padding, dilation = triple(kernel_size), triple(padding), triple(dilation)
    stride = kernel if stride is None else triple(stride)
    size = x.shape[-3:]
    out = [output_length(*axis, ceil_mode) for axis in zip(size, kernel, stride, padding, dilation)]
    lead = x.shape[:-3]
    values = np.empty(lead + tuple(out))
    indices = np.empty(lead + tuple(out), np.int64)
    D, H, W = size
    for position in np.ndindex(*lead, *out):
        plane, window = position[:len(lead)], position[len(lead):]
        starts = [o * s - p for o, s, p in zip(window, stride, padding)]
        ends = [min(start + (k - 1) * d + 1, n) for start, k, d, n in zip(starts, kernel, dilation, size)]
        for axis in range(3):
            while starts[axis] < 0:
                starts[axis] += dilation[axis]
        best, best_index = -math.inf, starts[0] * H * W + starts[1] * W + starts[2]
        for z in range(starts[0], ends[0], dilation[0]):
            for y in range(starts[1], ends[1], dilation[1]):
                for w in range(starts[2], ends[2], dilation[2]):
                    value = x[plane + (z, y, w)]
                    if value > best or np.isnan(value):
                        best, best_index = value, z * H * W + y * W + w
        values[position], indices[position] = best, best_index
    return values, indices


def reference_avg_pool3d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                         divisor_override=None):
    """PyTorch's CPU loop: a window [start, min(start + k, size + pad)) per axis, summed over its part inside
    the input, divided by its padded size, its size inside the input, or the override."""
    kernel, padding = triple(kernel_size), triple(padding)
    stride = kernel if stride is None else triple(stride)
    size = x.shape[-3:]
    out = [output_length(n, k, s, p, 1, ceil_mode) for n, k, s, p in zip(size, kernel, stride, padding)]
    lead = x.shape[:-3]
    y = np.empty(lead + tuple(out))
    for position in np.ndindex(*lead, *out):
        plane, window = position[:len(lead)], position[len(lead):]
        starts = [o * s - p for o, s, p in zip(window, stride, padding)]
        ends = [min(start + k, n + p) for start, k, n, p in zip(starts, kernel, size, padding)]
        padded_cells = math.prod(e - s for s, e in zip(starts, ends))
        starts = [max(s, 0) for s in starts]
        ends = [min(e, n) for e, n in zip(ends, size)]
        region = x[plane + tuple(slice(s, e) for s, e in zip(starts, ends))]
        if divisor_override is not None:
            divisor = divisor_override
        elif count_include_pad:
            divisor = padded_cells
        else:
            divisor = region.size
        y[position] = region.sum() / divisor
    return y


def adaptive_window(i, size, out):
    return (i * size) // out, -(-(i + 1) * size // out)


def reference_adaptive_pool3d(x, output_size, kind):
    """Adaptive windows [floor(i * n / out), ceil((i + 1) * n / out)) per axis; mean, or (max, index) scanned
    in d, h, w order with the first maximum (last NaN) winning."""
    size = x.shape[-3:]
    lead = x.shape[:-3]
    values = np.empty(lead + tuple(output_size))
    indices = np.empty(lead + tuple(output_size), np.int64)
    for position in np.ndindex(*lead, *output_size):
        plane, window = position[:len(lead)], position[len(lead):]
        bounds = [adaptive_window(i, n, o) for i, n, o in zip(window, size, output_size)]
        if kind == "avg":
            values[position] = x[plane + tuple(slice(s, e) for s, e in bounds)].mean()
            continue
        best, best_index = -math.inf, None
        for cell in itertools.product(*(range(s, e) for s, e in bounds)):
            value = x[plane + cell]
            if best_index is None or value > best or np.isnan(value):
                best, best_index = value, np.ravel_multi_index(cell, size)
        values[position], indices[position] = best, best_index
    return values, indices


def reference_unpool(x, indices, output_size):
    """Each value written at its flat index of its output plane, in order (a repeated index keeps the last)."""
    spatial = len(output_size)
    lead = x.shape[:-spatial]
    out = np.zeros(lead + tuple(output_size))
    for position in np.ndindex(*x.shape):
        plane = position[:len(lead)]
        out[plane + np.unravel_index(indices[position], output_size)] = x[position]
    return out


def routed_gradient(gy, indices, input_shape):
    """Each output gradient added at its argmax: what max pooling's backward must produce."""
    lead = input_shape[:-3]
    gx = np.zeros(input_shape)
    for position in np.ndindex(*gy.shape):
        gx[position[:len(lead)] + np.unravel_index(indices[position], input_shape[-3:])] += gy[position]
    return gx


def values(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def distinct_values(shape, seed=0):
    """Well separated values: no window has a near tie, so max pooling is smooth for finite differences."""
    rng = np.random.default_rng(seed)
    return rng.permutation(math.prod(shape)).reshape(shape).astype(np.float64) * 0.1 + rng.uniform(0, 0.01, shape)


def every_window_touches_the_input(size, kernel, stride, padding, dilation, ceil_mode):
    """Whether each window along one axis has a tap inside the input (PyTorch's backward writes out of bounds
    for one that has none, so gradients are compared with it only when this holds)."""
    out = output_length(size, kernel, stride, padding, dilation, ceil_mode)
    return all(any(0 <= i * stride - padding + j * dilation < size for j in range(kernel)) for i in range(out))


# --------------------------------------------------------------------------- hand-computed values
def test_max_pool3d_hand_example():
    x = tensor(np.arange(8.0).reshape(1, 1, 2, 2, 2), requires_grad=True)
    y, indices = F.max_pool3d(x, 2, return_indices=True)
    assert y.tolist() == [[[[[7.0]]]]]
    assert indices.tolist() == [[[[[7]]]]]
    y.sum().backward()
    assert x.grad.numpy().ravel().tolist() == [0, 0, 0, 0, 0, 0, 0, 1]


def test_avg_pool3d_hand_example_with_padding():
    x = tensor(np.ones((1, 1, 2, 2, 2)))
    # The corner window holds one input cell and seven padding cells.
    assert F.avg_pool3d(x, 2, stride=1, padding=1)[0, 0, 0, 0, 0].item() == 1 / 8
    assert F.avg_pool3d(x, 2, stride=1, padding=1, count_include_pad=False)[0, 0, 0, 0, 0].item() == 1.0
    assert F.avg_pool3d(x, 2, stride=1, padding=1, divisor_override=2)[0, 0, 0, 0, 0].item() == 0.5


def test_max_pool3d_ties_pick_the_first_index_and_nan_wins():
    x = np.zeros((1, 1, 2, 2, 2))
    _, indices = F.max_pool3d(tensor(x), 2, return_indices=True)
    assert indices.item() == 0
    x.ravel()[[2, 5]] = np.nan
    y, indices = F.max_pool3d(tensor(x), 2, return_indices=True)
    assert np.isnan(y.item()) and indices.item() == 5  # the last NaN in scan order


def test_max_pool3d_ties_are_resolved_depth_first():
    # Equal maxima at (d=0, h=1, w=1) and (d=1, h=0, w=0): PyTorch's scan meets depth 0 first.
    x = np.zeros((1, 1, 2, 2, 2))
    x[0, 0, 0, 1, 1] = x[0, 0, 1, 0, 0] = 5
    _, indices = F.max_pool3d(tensor(x), 2, return_indices=True)
    assert indices.item() == 3


def test_adaptive_pool3d_hand_example():
    x = tensor(np.arange(5.0).reshape(1, 1, 1, 1, 5))
    # Windows [0, 3) and [2, 5) overlap at 2.
    np.testing.assert_allclose(F.adaptive_avg_pool3d(x, (1, 1, 2)).numpy().ravel(), [1.0, 3.0])
    np.testing.assert_allclose(F.adaptive_max_pool3d(x, (1, 1, 2)).numpy().ravel(), [2.0, 4.0])


def test_max_unpool1d_hand_example():
    y, indices = F.max_pool1d(tensor([[1.0, 3.0, 2.0, 5.0, 4.0, 0.0]]), 2, return_indices=True)
    assert F.max_unpool1d(y, indices, 2).tolist() == [[0.0, 3.0, 0.0, 5.0, 4.0, 0.0]]


# --------------------------------------------------------------------------- against the direct references
MAX_CASES = [
    ((2, 3, 4, 5, 6), dict(kernel_size=2)),
    ((1, 2, 5, 6, 7), dict(kernel_size=(3, 2, 1), stride=(2, 1, 3))),
    ((2, 1, 5, 5, 5), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 2, 6, 5, 7), dict(kernel_size=(2, 3, 3), stride=(1, 2, 2), padding=(1, 1, 0), ceil_mode=True)),
    ((1, 1, 7, 7, 7), dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
    ((2, 2, 6, 4, 8), dict(kernel_size=(2, 1, 3), stride=1, dilation=(3, 1, 2))),
    ((3, 4, 5, 6), dict(kernel_size=(2, 3, 2), stride=(2, 1, 2), padding=(1, 1, 0))),  # unbatched
    ((1, 1, 1, 1, 1), dict(kernel_size=1)),
    ((2, 2, 5, 5, 5), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)),
]


@pytest.mark.parametrize("shape, kwargs", MAX_CASES)
def test_max_pool3d_matches_reference(shape, kwargs):
    x = values(shape)
    expected, expected_indices = reference_max_pool3d(x, **kwargs)
    y, indices = F.max_pool3d(tensor(x), **kwargs, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), expected)
    np.testing.assert_array_equal(indices.numpy(), expected_indices)
    assert indices.dtype == torchless.int64
    np.testing.assert_array_equal(F.max_pool3d(tensor(x), **kwargs).numpy(), expected)  # the index-free path


@pytest.mark.parametrize("shape, kwargs", MAX_CASES)
def test_max_pool3d_gradient_goes_to_the_argmax(shape, kwargs):
    x = values(shape, seed=1)
    _, expected_indices = reference_max_pool3d(x, **kwargs)
    xl = tensor(x, requires_grad=True)
    y = F.max_pool3d(xl, **kwargs)
    gy = values(y.shape, seed=2)
    y.backward(tensor(gy))
    np.testing.assert_allclose(xl.grad.numpy(), routed_gradient(gy, expected_indices, shape), rtol=1e-12, atol=0)


def test_max_pool3d_nan_and_infinite_values_match_reference():
    x = values((2, 2, 5, 6, 5), seed=3)
    x.ravel()[[3, 17, 18, 40, 41, 42, 99, 150]] = np.nan
    x.ravel()[[5, 60, 61]] = -np.inf
    x[1, 1] = -np.inf  # whole windows of -inf: the first tap inside the input is reported
    for kwargs in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}):
        expected, expected_indices = reference_max_pool3d(x, **kwargs)
        y, indices = F.max_pool3d(tensor(x), **kwargs, return_indices=True)
        np.testing.assert_array_equal(y.numpy(), expected)
        np.testing.assert_array_equal(indices.numpy(), expected_indices)
        np.testing.assert_array_equal(F.max_pool3d(tensor(x), **kwargs).numpy(), expected)


def test_max_pool3d_gradient_of_nan_and_inf_reaches_its_winner_only():
    x = distinct_values((1, 2, 4, 4, 4), seed=4)
    xl = tensor(x, requires_grad=True)
    y, indices = F.max_pool3d(xl, (3, 2, 2), stride=(1, 2, 2), return_indices=True)  # overlapping depth windows
    gy = values(y.shape, seed=5)
    gy.ravel()[[0, 3]] = [np.nan, np.inf]
    y.backward(tensor(gy))
    np.testing.assert_array_equal(xl.grad.numpy(), routed_gradient(gy, indices.numpy(), x.shape))


def test_max_pool3d_window_without_input_tap_reports_its_first_valid_position():
    # Depth kernel 2, dilation 2, padding 1 over one slice: taps at -1 and 1, neither inside.
    y, indices = F.max_pool3d(tensor(values((1, 1, 1, 1, 1))), (2, 1, 1), 1, (1, 0, 0), (2, 1, 1),
                              return_indices=True)
    assert y.item() == -math.inf and indices.item() == 1


def test_max_pool3d_integer_input_matches_reference():
    x = np.random.default_rng(6).integers(-50, 50, (2, 2, 4, 5, 6))
    y, indices = F.max_pool3d(tensor(x), 3, stride=2, padding=1, return_indices=True)
    expected, expected_indices = reference_max_pool3d(x, 3, 2, 1)
    assert y.dtype == torchless.int64
    np.testing.assert_array_equal(y.numpy(), expected)
    np.testing.assert_array_equal(indices.numpy(), expected_indices)


AVG_CASES = [
    ((2, 3, 4, 6, 6), dict(kernel_size=2)),
    ((1, 2, 5, 6, 7), dict(kernel_size=(3, 2, 1), stride=(2, 1, 3))),
    ((2, 1, 5, 5, 5), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 1, 5, 5, 5), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((1, 2, 6, 5, 7), dict(kernel_size=(2, 3, 3), stride=(1, 2, 2), padding=(1, 1, 0), ceil_mode=True)),
    ((1, 2, 6, 5, 7), dict(kernel_size=(2, 3, 3), stride=(1, 2, 2), padding=(1, 1, 0), ceil_mode=True,
                           count_include_pad=False)),
    ((2, 2, 5, 4, 6), dict(kernel_size=(2, 2, 3), stride=1, divisor_override=5)),
    ((3, 4, 5, 6), dict(kernel_size=(2, 3, 2), stride=(2, 1, 2), padding=(1, 1, 0), ceil_mode=True)),  # unbatched
    ((2, 2, 5, 5, 5), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)),
    ((1, 1, 3, 3, 3), dict(kernel_size=3, divisor_override=-2)),
]


@pytest.mark.parametrize("shape, kwargs", AVG_CASES)
def test_avg_pool3d_matches_reference(shape, kwargs):
    x = values(shape)
    np.testing.assert_allclose(F.avg_pool3d(tensor(x), **kwargs).numpy(), reference_avg_pool3d(x, **kwargs),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape, kwargs", AVG_CASES[:8])
def test_avg_pool3d_gradient_finite_differences(shape, kwargs):
    finite_difference_check(lambda t: F.avg_pool3d(t, **kwargs), [values(shape, seed=7)])


def test_avg_pool3d_integer_input_truncates_like_pytorch():
    x = np.arange(-40, 40).reshape(1, 2, 2, 4, 5)
    y = F.avg_pool3d(tensor(x), 2, ceil_mode=True)
    assert y.dtype == torchless.int64
    np.testing.assert_array_equal(y.numpy(), np.trunc(reference_avg_pool3d(x.astype(float), 2, ceil_mode=True)))


@st.composite
def pool3d_case(draw):
    batched = draw(st.booleans())
    shape = ((draw(st.integers(1, 2)),) if batched else ()) + (draw(st.integers(1, 2)),) + tuple(
        draw(st.integers(1, 6)) for _ in range(3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(3))
    stride = draw(st.one_of(st.none(), st.tuples(*[st.integers(1, 3)] * 3)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    return shape, kernel, stride, padding, draw(st.booleans())


def output_exists(shape, kernel, stride, padding, dilation, ceil_mode):
    return all(output_length(*axis, ceil_mode) >= 1
               for axis in zip(shape[-3:], kernel, stride or kernel, padding, dilation))


@FAST
@given(pool3d_case(), st.tuples(*[st.integers(1, 2)] * 3))
def test_max_pool3d_random_cases_match_reference(case, dilation):
    shape, kernel, stride, padding, ceil_mode = case
    assume(output_exists(shape, kernel, stride, padding, dilation, ceil_mode))
    x = values(shape, seed=8)
    expected, expected_indices = reference_max_pool3d(x, kernel, stride, padding, dilation, ceil_mode)
    y, indices = F.max_pool3d(tensor(x), kernel, stride, padding, dilation, ceil_mode, True)
    np.testing.assert_array_equal(y.numpy(), expected)
    np.testing.assert_array_equal(indices.numpy(), expected_indices)


@FAST
@given(pool3d_case(), st.booleans(), st.sampled_from([None, 1, 4]))
def test_avg_pool3d_random_cases_match_reference(case, count_include_pad, divisor_override):
    shape, kernel, stride, padding, ceil_mode = case
    assume(all(n >= k for n, k in zip(shape[-3:], kernel)))
    assume(output_exists(shape, kernel, stride, padding, (1, 1, 1), ceil_mode))
    x = values(shape, seed=9)
    args = (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    np.testing.assert_allclose(F.avg_pool3d(tensor(x), *args).numpy(), reference_avg_pool3d(x, *args),
                               rtol=1e-12, atol=1e-12)


ADAPTIVE_CASES = [((2, 2, 5, 6, 7), 2), ((2, 2, 5, 6, 7), (3, 4, 5)), ((1, 3, 7, 5, 4), (2, 5, 3)),
                  ((3, 4, 6, 8), (2, 2, 4)), ((1, 1, 3, 4, 5), (3, 4, 5)), ((2, 1, 4, 4, 4), (1, 1, 1)),
                  ((1, 2, 5, 1, 3), (4, 1, 2))]


@pytest.mark.parametrize("shape, output_size", ADAPTIVE_CASES)
def test_adaptive_pool3d_matches_reference(shape, output_size):
    x = values(shape, seed=10)
    size = triple(output_size)
    expected_avg, _ = reference_adaptive_pool3d(x, size, "avg")
    expected_max, expected_indices = reference_adaptive_pool3d(x, size, "max")
    np.testing.assert_allclose(F.adaptive_avg_pool3d(tensor(x), output_size).numpy(), expected_avg, rtol=1e-12)
    y, indices = F.adaptive_max_pool3d(tensor(x), output_size, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), expected_max)
    np.testing.assert_array_equal(indices.numpy(), expected_indices)


def test_adaptive_pool3d_none_keeps_the_input_size():
    x = values((2, 3, 5, 6, 7), seed=11)
    assert F.adaptive_avg_pool3d(tensor(x), (None, 2, None)).shape == (2, 3, 5, 2, 7)
    expected, _ = reference_adaptive_pool3d(x, (5, 2, 7), "avg")
    np.testing.assert_allclose(F.adaptive_avg_pool3d(tensor(x), (None, 2, None)).numpy(), expected, rtol=1e-12)
    assert F.adaptive_max_pool3d(tensor(x), (3, None, None)).shape == (2, 3, 3, 6, 7)


def test_adaptive_max_pool3d_nan_matches_reference():
    x = values((1, 2, 5, 4, 6), seed=12)
    x.ravel()[[0, 7, 8, 30, 100]] = np.nan
    expected, expected_indices = reference_adaptive_pool3d(x, (2, 3, 4), "max")
    y, indices = F.adaptive_max_pool3d(tensor(x), (2, 3, 4), return_indices=True)
    np.testing.assert_array_equal(y.numpy(), expected)
    np.testing.assert_array_equal(indices.numpy(), expected_indices)


@pytest.mark.parametrize("shape, output_size", ADAPTIVE_CASES[:5])
def test_adaptive_pool3d_gradient_finite_differences(shape, output_size):
    x = distinct_values(shape, seed=13)
    finite_difference_check(lambda t: F.adaptive_avg_pool3d(t, output_size), [x])
    finite_difference_check(lambda t: F.adaptive_max_pool3d(t, output_size), [x])


@pytest.mark.parametrize("shape, kwargs", [((2, 3, 4, 6, 6), dict(kernel_size=2)),
                                           ((1, 2, 5, 5, 5), dict(kernel_size=3, stride=2, padding=1)),
                                           ((3, 4, 5, 6), dict(kernel_size=(2, 1, 3), stride=(1, 1, 2)))])
def test_max_unpool3d_inverts_max_pool3d(shape, kwargs):
    x = distinct_values(shape, seed=14)
    y, indices = F.max_pool3d(tensor(x), **kwargs, return_indices=True)
    out = F.max_unpool3d(y, indices, **kwargs, output_size=shape[-3:])
    np.testing.assert_array_equal(out.numpy(), reference_unpool(y.numpy(), indices.numpy(), shape[-3:]))
    # Each maximum is back where it came from.
    np.testing.assert_array_equal(out.numpy()[out.numpy() != 0], x[out.numpy() != 0])


def test_max_unpool3d_repeated_index_keeps_the_last_value_and_gradient_reads_back():
    y = values((2, 2, 2, 2, 2), seed=15)
    indices = np.zeros(y.shape, np.int64)
    indices[..., 1, 1, 1] = 5
    out = F.max_unpool3d(tensor(y), tensor(indices), 2)
    np.testing.assert_array_equal(out.numpy(), reference_unpool(y, indices, (4, 4, 4)))
    yl = tensor(y, requires_grad=True)
    out = F.max_unpool3d(yl, tensor(indices), 2)
    gout = values(out.shape, seed=16)
    out.backward(tensor(gout))
    flat = gout.reshape(2, 2, -1)
    np.testing.assert_array_equal(yl.grad.numpy(), np.take_along_axis(flat, indices.reshape(2, 2, -1), 2).reshape(
        y.shape))


@pytest.mark.parametrize("batched", [True, False])
def test_max_unpool1d_matches_reference(batched):
    x = distinct_values(((2,) if batched else ()) + (3, 9), seed=17)
    y, indices = F.max_pool1d(tensor(x), 3, stride=2, padding=1, return_indices=True)
    out = F.max_unpool1d(y, indices, 3, stride=2, padding=1, output_size=(9,))
    np.testing.assert_array_equal(out.numpy(), reference_unpool(y.numpy(), indices.numpy(), (9,)))
    # Without repeated indices (disjoint windows) the unpooling is linear and each value has one place.
    y, indices = F.max_pool1d(tensor(x), 2, return_indices=True)
    finite_difference_check(lambda t: F.max_unpool1d(t, indices, 2, output_size=(9,)), [y.numpy()])


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.5])
def test_lp_pool3d_and_lp_pool1d_match_reference(norm_type):
    x = np.abs(values((2, 2, 4, 5, 6), seed=18)) + 0.1
    y = F.lp_pool3d(tensor(x), norm_type, (2, 3, 2), stride=(1, 2, 2))
    sums = reference_avg_pool3d(x ** norm_type, (2, 3, 2), (1, 2, 2), divisor_override=1)
    np.testing.assert_allclose(y.numpy(), sums ** (1 / norm_type), rtol=1e-12)
    x1 = x[0, 0, 0]  # (5, 6)
    y1 = F.lp_pool1d(tensor(x1), norm_type, 3, 2)
    windows = [x1[:, s:s + 3] for s in (0, 2)]
    np.testing.assert_allclose(y1.numpy(), np.stack([(w ** norm_type).sum(1) ** (1 / norm_type) for w in windows], 1),
                               rtol=1e-12)


def test_lp_pool_ceil_mode_scales_the_average_of_a_partial_window():
    # As in PyTorch: kernel cells times the average pooling, whose last (ceil-mode) window here holds 2 cells.
    x1 = np.abs(values((2, 6), seed=31)) + 0.1
    y1 = F.lp_pool1d(tensor(x1), 2.0, 3, 2, ceil_mode=True)
    averages = reference_avg_pool3d(x1[:, None, None, :] ** 2, (1, 1, 3), (1, 1, 2), ceil_mode=True)[:, 0, 0]
    np.testing.assert_allclose(y1.numpy(), np.sqrt(3 * averages), rtol=1e-12)
    assert y1.shape == (2, 3)


def test_lp_pool_infinite_norms_are_max_and_min_of_magnitudes():
    x = values((1, 2, 4, 4, 4), seed=19)
    np.testing.assert_array_equal(F.lp_pool3d(tensor(x), math.inf, 2).numpy(),
                                  reference_max_pool3d(np.abs(x), 2)[0])
    np.testing.assert_array_equal(F.lp_pool3d(tensor(x), -math.inf, 2).numpy(),
                                  -reference_max_pool3d(-np.abs(x), 2)[0])


def test_lp_pool_gradient_finite_differences():
    x = np.abs(values((1, 2, 4, 4, 5), seed=20)) + 0.5
    finite_difference_check(lambda t: F.lp_pool3d(t, 2.5, (2, 2, 3), stride=(2, 1, 2)), [x])
    finite_difference_check(lambda t: F.lp_pool1d(t, 3, 2), [x[0, :, 0]])


# --------------------------------------------------------------------------- against PyTorch
def compare_with_torch(fn_name, arrays, args, kwargs, dtype, with_indices=False):
    """Run F.<fn_name> in both libraries on the same arrays (the first requiring a gradient); compare outputs,
    indices, grad_fn names and input gradients."""
    torch = pytest.importorskip("torch")
    x = arrays[0].astype(dtype)
    rest_t = [torch.tensor(a) for a in arrays[1:]]
    rest_l = [tensor(a) for a in arrays[1:]]
    xt, xl = torch.tensor(x, requires_grad=True), tensor(x, requires_grad=True)
    expected = getattr(torch.nn.functional, fn_name)(xt, *rest_t, *args, **kwargs)
    actual = getattr(F, fn_name)(xl, *rest_l, *args, **kwargs)
    if with_indices:
        (expected, expected_indices), (actual, actual_indices) = expected, actual
        np.testing.assert_array_equal(actual_indices.numpy(), expected_indices.numpy())
        assert actual_indices.dtype == torchless.int64
    assert_matches_torch(actual, expected, [xl], [xt], TOL[dtype], np.random.default_rng(0))


dtypes = st.sampled_from([np.float32, np.float64])


@FAST
@given(pool3d_case(), st.tuples(*[st.integers(1, 2)] * 3), dtypes)
def test_max_pool3d_matches_torch(case, dilation, dtype):
    shape, kernel, stride, padding, ceil_mode = case
    assume(output_exists(shape, kernel, stride, padding, dilation, ceil_mode))
    assume(all(every_window_touches_the_input(*axis, ceil_mode)
               for axis in zip(shape[-3:], kernel, stride or kernel, padding, dilation)))
    compare_with_torch("max_pool3d", [values(shape, seed=21)], (kernel, stride, padding, dilation, ceil_mode, True),
                       {}, dtype, with_indices=True)


@FAST
@given(pool3d_case(), st.booleans(), st.sampled_from([None, 1, 3]), dtypes)
def test_avg_pool3d_matches_torch(case, count_include_pad, divisor_override, dtype):
    shape, kernel, stride, padding, ceil_mode = case
    assume(all(n >= k for n, k in zip(shape[-3:], kernel)))
    assume(output_exists(shape, kernel, stride, padding, (1, 1, 1), ceil_mode))
    compare_with_torch("avg_pool3d", [values(shape, seed=22)],
                       (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override), {}, dtype)


@FAST
@given(st.booleans(), st.tuples(*[st.integers(1, 6)] * 3),
       st.one_of(st.integers(1, 4), st.tuples(*[st.one_of(st.none(), st.integers(1, 5))] * 3)), dtypes)
def test_adaptive_pool3d_matches_torch(batched, size, output_size, dtype):
    shape = ((2,) if batched else ()) + (2,) + size
    compare_with_torch("adaptive_avg_pool3d", [values(shape, seed=23)], (output_size,), {}, dtype)
    compare_with_torch("adaptive_max_pool3d", [values(shape, seed=23)], (output_size, True), {}, dtype,
                       with_indices=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, kwargs", [((2, 3, 4, 6, 6), dict(kernel_size=2)),
                                           ((2, 2, 5, 5, 6), dict(kernel_size=3, stride=2, padding=1)),
                                           ((3, 4, 5, 6), dict(kernel_size=(2, 1, 3), stride=(1, 1, 2)))])
def test_max_unpool3d_matches_torch(shape, kwargs, dtype):
    torch = pytest.importorskip("torch")
    y, indices = torch.nn.functional.max_pool3d(torch.tensor(values(shape, seed=24)), **kwargs, return_indices=True)
    compare_with_torch("max_unpool3d", [y.numpy(), indices.numpy()], (), dict(kwargs, output_size=shape[-3:]), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_unpool3d_default_size_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    y, indices = torch.nn.functional.max_pool3d(torch.tensor(values((2, 3, 4, 6, 8), seed=30)), (2, 3, 2),
                                                return_indices=True)
    compare_with_torch("max_unpool3d", [y.numpy(), indices.numpy()], ((2, 3, 2),), {}, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 3, 9), (3, 8)])
def test_max_unpool1d_matches_torch(shape, dtype):
    torch = pytest.importorskip("torch")
    y, indices = torch.nn.functional.max_pool1d(torch.tensor(values(shape, seed=25)), 3, 2, 1, return_indices=True)
    compare_with_torch("max_unpool1d", [y.numpy(), indices.numpy()], (3, 2, 1), dict(output_size=shape[-1:]), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [1, 2.0, 3.0, math.inf, -math.inf])
def test_lp_pools_match_torch(norm_type, dtype):
    x = values((2, 2, 5, 4, 6), seed=26)
    compare_with_torch("lp_pool3d", [x], (norm_type, (2, 2, 3)), dict(stride=(1, 2, 1), ceil_mode=True), dtype)
    compare_with_torch("lp_pool3d", [x[0]], (norm_type, 2), {}, dtype)
    compare_with_torch("lp_pool1d", [x[0, 0]], (norm_type, 3), dict(stride=2), dtype)


@pytest.mark.parametrize("fn, args", [("max_pool3d", (3, 2, 1)), ("avg_pool3d", (3, 2, 1, True))])
def test_integer_input_matches_torch(fn, args):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(27).integers(-100, 100, (2, 2, 5, 4, 6))
    expected = getattr(torch.nn.functional, fn)(torch.tensor(x), *args)
    actual = getattr(F, fn)(tensor(x), *args)
    assert actual.dtype == torchless.int64
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())


def test_nan_and_ties_match_torch():
    torch = pytest.importorskip("torch")
    x = np.round(values((2, 2, 5, 6, 5), seed=28))  # many ties
    x.ravel()[[3, 17, 18, 40, 99]] = np.nan
    for kwargs in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}):
        expected = torch.nn.functional.max_pool3d(torch.tensor(x), **kwargs, return_indices=True)
        actual = F.max_pool3d(tensor(x), **kwargs, return_indices=True)
        for ours, theirs in zip(actual, expected):
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    expected = torch.nn.functional.adaptive_max_pool3d(torch.tensor(x), (2, 4, 3), True)
    actual = F.adaptive_max_pool3d(tensor(x), (2, 4, 3), True)
    for ours, theirs in zip(actual, expected):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_empty_batch_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.zeros((0, 2, 4, 5, 6))
    for fn, args in [("max_pool3d", (2,)), ("avg_pool3d", (2,)), ("adaptive_avg_pool3d", (3,)),
                     ("adaptive_max_pool3d", (3,))]:
        assert getattr(F, fn)(tensor(x), *args).shape == tuple(getattr(torch.nn.functional, fn)(torch.tensor(x),
                                                                                                *args).shape)


# --------------------------------------------------------------------------- errors, against PyTorch
def zeros(lib, shape, dtype="float32"):
    return lib.tensor(np.zeros(shape, dtype))


def pool_indices(lib, shape, value=0):
    return lib.tensor(np.full(shape, value, np.int64))


ERRORS = {
    # max_pool3d: argument lengths, rank, output sizes, then pool3d_shape_check in PyTorch's order
    "max kernel 0": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 0),
    "max kernel negative": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (2, 3, 5, 6, 7)), (2, -1, 2)),
    "max kernel length": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (2, 3, 5, 6, 7)), (2, 2)),
    "max kernel empty": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (2, 3, 5, 6, 7)), ()),
    "max stride 0": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 2, 0),
    "max stride negative": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 2, (1, -1, 1)),
    "max stride length": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 2, (1, 1)),
    "max padding length": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 2, 2, (1, 1)),
    "max dilation length": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 2, 2, 0, (1, 1)),
    "max dilation 0": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 2, 2, 0, 0),
    "max padding too big": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 2, 2, 2),
    "max padding negative": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 2, 2, -1),
    "max padding over half kernel": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (1, 2, 4, 4, 4)), 3, 2, 2, 2),
    "max padding dilated": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (1, 2, 4, 4, 4)), 3, 1, (0, 0, 2),
                                                                     (1, 1, 2)),
    "max 3-D input": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (3, 4, 5)), 2),
    "max 6-D input": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (1, 1, 3, 4, 5, 6)), 2),
    "max empty channels": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (2, 0, 4, 5, 6)), 2),
    "max empty depth": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (2, 2, 0, 5, 6)), 2),
    "max unbatched empty": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (0, 4, 5, 6)), 2),
    "max output too small": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 6),
    "max with indices too small": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 6,
                                                                            return_indices=True),
    "max bool": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (1, 2, 4, 4, 4), "bool"), 2),
    "max float kernel": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (1, 2, 4, 4, 4)), 2.0),
    "max float kernel with indices": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (1, 2, 4, 4, 4)), 2.0,
                                                                               return_indices=True),
    "max float stride": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (1, 2, 4, 4, 4)), 2, stride=2.0),
    "max mixed kernel": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (1, 2, 4, 4, 4)), (2, 2.0, 2)),
    "max float dilation": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (1, 2, 4, 4, 4)), 2, 2, 0, 1.0),
    "max int ceil_mode": lambda lib: lib.nn.functional.max_pool3d(zeros(lib, (1, 2, 4, 4, 4)), 2, ceil_mode=1),
    "max not a tensor": lambda lib: lib.nn.functional.max_pool3d(np.zeros((1, 2, 4, 4, 4)), 2),
    # avg_pool3d
    "avg kernel 0": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 0),
    "avg kernel negative": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (2, 3, 5, 6, 7)), (2, -2, 2), 1),
    "avg kernel length": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (2, 3, 5, 6, 7)), (2, 2)),
    "avg stride 0": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 2, 0),
    "avg stride negative": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 2, (2, -1, 2)),
    "avg stride length": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 2, (1, 1)),
    "avg padding length": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 2, 2, (1, 1)),
    "avg padding too big": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 2, 2, 2),
    "avg padding negative": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 2, 2, -1),
    "avg 3-D input": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (3, 4, 5)), 2),
    "avg 2-D input": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (4, 5)), 2),
    "avg 6-D input": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (1, 1, 3, 4, 5, 6)), 2),
    "avg empty channels": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (2, 0, 4, 5, 6)), 2),
    "avg kernel larger than input": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 6),
    "avg kernel larger, padded": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (1, 2, 1, 4, 4)), (2, 2, 2),
                                                                           padding=(1, 0, 0)),
    "avg divisor 0": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (2, 3, 5, 6, 7)), 2, divisor_override=0),
    "avg divisor 0 before rank": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (2, 4, 4)), 2,
                                                                          divisor_override=0),
    "avg divisor 0 before padding": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (1, 2, 4, 4, 4)), 2,
                                                                             padding=3, divisor_override=0),
    "avg int32": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (1, 1, 4, 4, 4), "int32"), 2),
    "avg float16": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (1, 1, 4, 4, 4), "float16"), 2),
    "avg float kernel": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (1, 2, 4, 4, 4)), 2.0),
    "avg float stride keyword": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (1, 2, 4, 4, 4)), 2, stride=2.0),
    "avg float stride": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (1, 2, 4, 4, 4)), 2, 2.0),
    "avg mixed kernel": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (1, 2, 4, 4, 4)), (2, 2.0, 2)),
    "avg ceil_mode str": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (1, 2, 4, 4, 4)), 2, ceil_mode="a"),
    "avg float divisor": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (1, 2, 4, 4, 4)), 2,
                                                                   divisor_override=2.0),
    "avg too many arguments": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (1, 2, 4, 4, 4)), 2, 2, 0, False,
                                                                        True, None, 5),
    "avg missing kernel": lambda lib: lib.nn.functional.avg_pool3d(zeros(lib, (1, 2, 4, 4, 4))),
    "avg not a tensor": lambda lib: lib.nn.functional.avg_pool3d(np.zeros((1, 2, 4, 4, 4)), 2),
    # adaptive poolings
    "adaptive avg negative": lambda lib: lib.nn.functional.adaptive_avg_pool3d(zeros(lib, (2, 3, 5, 6, 7)),
                                                                               (2, -1, 3)),
    "adaptive avg length": lambda lib: lib.nn.functional.adaptive_avg_pool3d(zeros(lib, (2, 3, 5, 6, 7)), (2, 2)),
    "adaptive avg 3-D": lambda lib: lib.nn.functional.adaptive_avg_pool3d(zeros(lib, (3, 4, 5)), 2),
    "adaptive avg 3-D empty": lambda lib: lib.nn.functional.adaptive_avg_pool3d(zeros(lib, (3, 0, 5)), 2),
    "adaptive avg 6-D": lambda lib: lib.nn.functional.adaptive_avg_pool3d(zeros(lib, (1, 1, 3, 4, 5, 6)), 2),
    "adaptive avg empty": lambda lib: lib.nn.functional.adaptive_avg_pool3d(zeros(lib, (2, 3, 4, 0, 6)), 2),
    "adaptive avg int64": lambda lib: lib.nn.functional.adaptive_avg_pool3d(zeros(lib, (1, 1, 4, 4, 4), "int64"), 2),
    "adaptive avg int64 empty": lambda lib: lib.nn.functional.adaptive_avg_pool3d(zeros(lib, (0, 1, 4, 4, 4),
                                                                                        "int64"), 2),
    "adaptive avg mean of int64": lambda lib: lib.nn.functional.adaptive_avg_pool3d(zeros(lib, (1, 1, 4, 4, 4),
                                                                                          "int64"), 1),
    "adaptive avg mean of 1-D": lambda lib: lib.nn.functional.adaptive_avg_pool3d(zeros(lib, (5,)), 1),
    "adaptive avg too long": lambda lib: lib.nn.functional.adaptive_avg_pool3d(zeros(lib, (4, 5)), (1, 2, 3)),
    "adaptive avg float": lambda lib: lib.nn.functional.adaptive_avg_pool3d(zeros(lib, (1, 2, 4, 4, 4)), (2, 2.0, 2)),
    "adaptive avg float first": lambda lib: lib.nn.functional.adaptive_avg_pool3d(zeros(lib, (1, 2, 4, 4, 4)),
                                                                                  (2.0, 2, 2)),
    "adaptive max negative": lambda lib: lib.nn.functional.adaptive_max_pool3d(zeros(lib, (2, 3, 5, 6, 7)),
                                                                               (-1, 2, 2)),
    "adaptive max negative unbatched": lambda lib: lib.nn.functional.adaptive_max_pool3d(zeros(lib, (3, 5, 6, 7)),
                                                                                         (None, -3, 1)),
    "adaptive max length": lambda lib: lib.nn.functional.adaptive_max_pool3d(zeros(lib, (2, 3, 5, 6, 7)), (2, 2)),
    "adaptive max 3-D": lambda lib: lib.nn.functional.adaptive_max_pool3d(zeros(lib, (3, 0, 5)), 2),
    "adaptive max 6-D": lambda lib: lib.nn.functional.adaptive_max_pool3d(zeros(lib, (1, 1, 3, 4, 5, 6)), 2),
    "adaptive max empty before length": lambda lib: lib.nn.functional.adaptive_max_pool3d(
        zeros(lib, (1, 0, 5, 4, 4)), (2, 2)),
    "adaptive max int64": lambda lib: lib.nn.functional.adaptive_max_pool3d(zeros(lib, (1, 1, 4, 4, 4), "int64"), 2),
    "adaptive max int64 after negative": lambda lib: lib.nn.functional.adaptive_max_pool3d(
        zeros(lib, (1, 2, 5, 4, 4), "int64"), (2, -2, 2)),
    "adaptive max str": lambda lib: lib.nn.functional.adaptive_max_pool3d(zeros(lib, (1, 2, 4, 4, 4)), "abc"),
    # max_unpool3d
    "unpool3d int32 indices": lambda lib: lib.nn.functional.max_unpool3d(
        zeros(lib, (2, 3, 2, 3, 3)), zeros(lib, (2, 3, 2, 3, 3), "int32"), 2),
    "unpool3d 3-D": lambda lib: lib.nn.functional.max_unpool3d(zeros(lib, (2, 3, 3)), pool_indices(lib, (2, 3, 3)),
                                                               2),
    "unpool3d 6-D": lambda lib: lib.nn.functional.max_unpool3d(zeros(lib, (1, 2, 3, 2, 3, 3)),
                                                               pool_indices(lib, (1, 2, 3, 2, 3, 3)), 2),
    "unpool3d shapes": lambda lib: lib.nn.functional.max_unpool3d(zeros(lib, (2, 3, 2, 3, 3)),
                                                                  pool_indices(lib, (2, 2, 2, 3, 3)), 2),
    "unpool3d empty": lambda lib: lib.nn.functional.max_unpool3d(zeros(lib, (2, 0, 2, 3, 3)),
                                                                 pool_indices(lib, (2, 0, 2, 3, 3)), 2),
    "unpool3d invalid index": lambda lib: lib.nn.functional.max_unpool3d(zeros(lib, (1, 1, 2, 2, 2)),
                                                                         pool_indices(lib, (1, 1, 2, 2, 2), 64), 2),
    "unpool3d negative index": lambda lib: lib.nn.functional.max_unpool3d(zeros(lib, (1, 1, 2, 2, 2)),
                                                                          pool_indices(lib, (1, 1, 2, 2, 2), -3), 2),
    "unpool3d bad output_size": lambda lib: lib.nn.functional.max_unpool3d(
        zeros(lib, (2, 3, 2, 3, 3)), pool_indices(lib, (2, 3, 2, 3, 3)), 2, output_size=(4, 6, 9)),
    "unpool3d output_size length": lambda lib: lib.nn.functional.max_unpool3d(
        zeros(lib, (2, 3, 2, 3, 3)), pool_indices(lib, (2, 3, 2, 3, 3)), 2, output_size=(4, 6)),
    "unpool3d stride 0": lambda lib: lib.nn.functional.max_unpool3d(zeros(lib, (2, 3, 2, 3, 3)),
                                                                    pool_indices(lib, (2, 3, 2, 3, 3)), 2, stride=0),
    "unpool3d stride negative": lambda lib: lib.nn.functional.max_unpool3d(
        zeros(lib, (2, 3, 2, 3, 3)), pool_indices(lib, (2, 3, 2, 3, 3)), 2, stride=(1, -1, 1)),
    "unpool3d kernel pair": lambda lib: lib.nn.functional.max_unpool3d(zeros(lib, (2, 3, 2, 3, 3)),
                                                                       pool_indices(lib, (2, 3, 2, 3, 3)), (2, 2)),
    "unpool3d kernel of four": lambda lib: lib.nn.functional.max_unpool3d(
        zeros(lib, (2, 3, 2, 3, 3)), pool_indices(lib, (2, 3, 2, 3, 3)), (2, 2, 2, 2)),
    "unpool3d padding of four": lambda lib: lib.nn.functional.max_unpool3d(
        zeros(lib, (2, 3, 2, 3, 3)), pool_indices(lib, (2, 3, 2, 3, 3)), 2, 2, (0, 0, 0, 0)),
    "unpool3d negative size": lambda lib: lib.nn.functional.max_unpool3d(zeros(lib, (2, 3, 2, 3, 3)),
                                                                         pool_indices(lib, (2, 3, 2, 3, 3)), 2,
                                                                         padding=3),
    "unpool3d int64 values": lambda lib: lib.nn.functional.max_unpool3d(
        zeros(lib, (2, 3, 2, 3, 3), "int64"), pool_indices(lib, (2, 3, 2, 3, 3)), 2),
    "unpool3d float kernel": lambda lib: lib.nn.functional.max_unpool3d(zeros(lib, (2, 3, 2, 3, 3)),
                                                                        pool_indices(lib, (2, 3, 2, 3, 3)), 2.0),
    # max_unpool1d runs as max_unpool2d
    "unpool1d 1-D": lambda lib: lib.nn.functional.max_unpool1d(zeros(lib, (4,)), pool_indices(lib, (4,)), 2),
    "unpool1d 4-D": lambda lib: lib.nn.functional.max_unpool1d(zeros(lib, (1, 2, 3, 4)),
                                                               pool_indices(lib, (1, 2, 3, 4)), 2),
    "unpool1d invalid index": lambda lib: lib.nn.functional.max_unpool1d(zeros(lib, (2, 3, 4)),
                                                                         pool_indices(lib, (2, 3, 4), 8), 2),
    "unpool1d bad output_size": lambda lib: lib.nn.functional.max_unpool1d(
        zeros(lib, (2, 3, 4)), pool_indices(lib, (2, 3, 4)), 2, output_size=(12,)),
    "unpool1d int output_size": lambda lib: lib.nn.functional.max_unpool1d(zeros(lib, (2, 3, 4)),
                                                                           pool_indices(lib, (2, 3, 4)), 2,
                                                                           output_size=9),
    "unpool1d kernel pair": lambda lib: lib.nn.functional.max_unpool1d(zeros(lib, (2, 3, 4)),
                                                                       pool_indices(lib, (2, 3, 4)), (2, 2)),
    "unpool1d int32 indices": lambda lib: lib.nn.functional.max_unpool1d(zeros(lib, (2, 3, 4)),
                                                                         zeros(lib, (2, 3, 4), "int32"), 2),
    "unpool2d float kernel": lambda lib: lib.nn.functional.max_unpool2d(zeros(lib, (2, 3, 2, 2)),
                                                                        pool_indices(lib, (2, 3, 2, 2)), 2.0),
    # Lp poolings
    "lp3d 3-D": lambda lib: lib.nn.functional.lp_pool3d(zeros(lib, (3, 4, 5)), 2, 2),
    "lp3d kernel pair": lambda lib: lib.nn.functional.lp_pool3d(zeros(lib, (1, 2, 4, 4, 4)), 2, (2, 2)),
    "lp1d 4-D": lambda lib: lib.nn.functional.lp_pool1d(zeros(lib, (1, 2, 4, 4)), 2, 2),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_match_torch(name):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: ERRORS[name](torch), lambda: ERRORS[name](torchless))


def test_adaptive_pool3d_empty_output_gradient_errors_match_torch():
    torch = pytest.importorskip("torch")
    x = values((2, 3, 4, 5, 6))
    for fn in ("adaptive_avg_pool3d", "adaptive_max_pool3d"):
        xt, xl = torch.tensor(x, requires_grad=True), tensor(x, requires_grad=True)
        yt, yl = getattr(torch.nn.functional, fn)(xt, (0, 2, 2)), getattr(F, fn)(xl, (0, 2, 2))
        assert yl.shape == tuple(yt.shape)
        assert_same_error(lambda: yt.sum().backward(), lambda: yl.sum().backward())


def test_max_unpool3d_empty_output_gradient_error_matches_torch():
    torch = pytest.importorskip("torch")
    y = values((2, 3, 2, 3, 3))
    indices = np.ones(y.shape, np.int64)
    outputs = []
    for lib in (torch, torchless):
        # Depth (2 - 1) * 1 + 1 - 2 * 1 = 0: an empty output, which the forward allows.
        out = lib.nn.functional.max_unpool3d(lib.tensor(y, requires_grad=True), lib.tensor(indices), (1, 2, 2),
                                             padding=(1, 0, 0))
        assert tuple(out.shape) == (2, 3, 0, 6, 6)
        outputs.append(out)
    assert_same_error(lambda: outputs[0].sum().backward(), lambda: outputs[1].sum().backward())


# --------------------------------------------------------------------------- modules
REPRS = [
    ("MaxPool3d", (2,), {}),
    ("MaxPool3d", ((1, 2, 3), (1, 1, 1), 1, 2, True, True), {}),
    ("AvgPool3d", (2,), {}),
    ("AvgPool3d", ((1, 2, 3), (1, 1, 1), 0, True, False, 3), {}),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}),
    ("AdaptiveMaxPool3d", (2, True), {}),
    ("MaxUnpool1d", (2,), {}),
    ("MaxUnpool1d", (3, (2,), 1), {}),
    ("MaxUnpool3d", (2,), {}),
    ("MaxUnpool3d", ((1, 2, 3), 1, (0, 1, 1)), {}),
    ("LPPool1d", (2, 3, 2, True), {}),
    ("LPPool3d", (2, 3), {}),
    ("LPPool3d", (2.5, (1, 2, 3), (1, 1, 1)), {}),
]


@pytest.mark.parametrize("name, args, kwargs", REPRS)
def test_module_reprs_match_torch(name, args, kwargs):
    pytest.importorskip("torch")
    modules_with_same_repr(name, *args, **kwargs)


def test_modules_match_torch():
    torch = pytest.importorskip("torch")
    x = values((2, 3, 5, 6, 7), seed=29)
    xt, xl = torch.tensor(x), tensor(x)
    for name, args in [("MaxPool3d", (3, 2, 1)), ("AvgPool3d", (3, 2, 1, True, False)), ("AdaptiveAvgPool3d", (2,)),
                       ("AdaptiveMaxPool3d", ((2, None, 3),)), ("LPPool3d", (2, 2))]:
        theirs, ours = modules_with_same_repr(name, *args)
        np.testing.assert_allclose(ours(xl).numpy(), theirs(xt).numpy(), rtol=1e-12)
    theirs, ours = modules_with_same_repr("MaxPool3d", 2, return_indices=True)
    (yt, it), (yl, il) = theirs(xt), ours(xl)
    np.testing.assert_array_equal(il.numpy(), it.numpy())
    unpool_t, unpool_l = modules_with_same_repr("MaxUnpool3d", 2)
    np.testing.assert_array_equal(unpool_l(yl, il, output_size=x.shape).numpy(),
                                  unpool_t(yt, it, output_size=x.shape).numpy())
    theirs, ours = modules_with_same_repr("LPPool1d", 3, 2)
    np.testing.assert_allclose(ours(xl[0, 0]).numpy(), theirs(xt[0, 0]).numpy(), rtol=1e-12)
    pool_t, pool_l = torch.nn.MaxPool1d(2, return_indices=True), nn.MaxPool1d(2, return_indices=True)
    (yt, it), (yl, il) = pool_t(xt[0, 0]), pool_l(xl[0, 0])
    unpool_t, unpool_l = modules_with_same_repr("MaxUnpool1d", 2)
    np.testing.assert_array_equal(unpool_l(yl, il).numpy(), unpool_t(yt, it).numpy())


@pytest.mark.parametrize("return_indices", [False, True])
def test_max_pool3d_of_an_empty_batch_with_gradient(return_indices):
    x = torchless.ones(0, 1, 6, 3, 6, requires_grad=True)
    out = torchless.nn.functional.max_pool3d(x, (3, 2, 4), return_indices=return_indices)
    y = out[0] if return_indices else out
    y.sum().backward()
    assert tuple(y.shape) == (0, 1, 2, 1, 1) and tuple(x.grad.shape) == (0, 1, 6, 3, 6)
