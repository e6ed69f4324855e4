"""Tests of the NumPy pooling kernels in torchless._kernels.pool.

Each kernel is compared with a slow per-window float64 reference written below
(one explicit loop iteration per output element, following PyTorch's CPU kernels)
and with PyTorch itself when it is installed.
"""

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

try:
    import torchless._kernels.pool  # noqa: F401
except ImportError:  # running from a checkout without an install
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from torchless._kernels import pool

TOLERANCE = {np.float32: 1e-4, np.float64: 1e-10}
FAST = settings(max_examples=50, deadline=None)
dtypes = pytest.mark.parametrize("dtype", [np.float32, np.float64])


def assert_close(actual, expected, dtype):
    assert actual.dtype == dtype, f"dtype {actual.dtype} != {np.dtype(dtype)}"
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-30)
    error = float(np.max(np.abs(actual.astype(np.float64) - expected), initial=0.0))
    assert error <= TOLERANCE[dtype] * scale, f"max abs error {error:.3g} > {TOLERANCE[dtype]:g} * {scale:.3g}"


# --------------------------------------------------------------------------- references


def reference_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's pooling_output_shape, with float arithmetic instead of integer tricks."""
    exact = (size + 2 * padding - dilation * (kernel - 1) - 1) / stride
    out = int(np.ceil(exact) if ceil_mode else np.floor(exact)) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def windows(out_hw, kernel, stride, padding):
    """Yield (oh, ow, row_start, col_start) for every pooling window (start may be negative)."""
    for oh in range(out_hw[0]):
        for ow in range(out_hw[1]):
            yield oh, ow, oh * stride[0] - padding[0], ow * stride[1] - padding[1]


def reference_max_pool(x, kernel, stride, padding, dilation, ceil_mode):
    """Per window, scan in-bounds taps in order; move on a strict improvement or a NaN (PyTorch CPU rule)."""
    N, C, H, W = x.shape
    out_hw = tuple(reference_output_size(s, k, st_, p, d, ceil_mode)
                   for s, k, st_, p, d in zip((H, W), kernel, stride, padding, dilation))
    y = np.zeros((N, C, *out_hw), dtype=np.float64)
    indices = np.zeros((N, C, *out_hw), dtype=np.int64)
    for n in range(N):
        for c in range(C):
            for oh, ow, h0, w0 in windows(out_hw, kernel, stride, padding):
                taps = [(h0 + i * dilation[0], w0 + j * dilation[1])
                        for i in range(kernel[0]) for j in range(kernel[1])]
                taps = [(h, w) for h, w in taps if 0 <= h < H and 0 <= w < W]
                best, best_index = -np.inf, taps[0][0] * W + taps[0][1]
                for h, w in taps:
                    value = x[n, c, h, w]
                    if value > best or np.isnan(value):
                        best, best_index = value, h * W + w
                y[n, c, oh, ow], indices[n, c, oh, ow] = best, best_index
    return y, indices


def avg_window_bounds(h0, size, kernel, padding):
    """(clamped start, clamped end, window size counting padding) along one axis, as PyTorch computes them."""
    end = min(h0 + kernel, size + padding)
    return max(h0, 0), min(end, size), end - h0


def reference_avg_pool(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    N, C, H, W = x.shape
    out_hw = tuple(reference_output_size(s, k, st_, p, 1, ceil_mode)
                   for s, k, st_, p in zip((H, W), kernel, stride, padding))
    y = np.zeros((N, C, *out_hw))
    for oh, ow, h0, w0 in windows(out_hw, kernel, stride, padding):
        hs, he, pool_h = avg_window_bounds(h0, H, kernel[0], padding[0])
        ws, we, pool_w = avg_window_bounds(w0, W, kernel[1], padding[1])
        if divisor_override is not None:
            divisor = divisor_override
        elif count_include_pad:
            divisor = pool_h * pool_w
        else:
            divisor = (he - hs) * (we - ws)
        y[:, :, oh, ow] = x[:, :, hs:he, ws:we].astype(np.float64).sum(axis=(2, 3)) / divisor
    return y


def reference_adaptive_avg_pool(x, out_hw):
    N, C, H, W = x.shape
    y = np.zeros((N, C, *out_hw))
    for oh in range(out_hw[0]):
        hs, he = (oh * H) // out_hw[0], -((-(oh + 1) * H) // out_hw[0])
        for ow in range(out_hw[1]):
            ws, we = (ow * W) // out_hw[1], -((-(ow + 1) * W) // out_hw[1])
            y[:, :, oh, ow] = x[:, :, hs:he, ws:we].astype(np.float64).mean(axis=(2, 3))
    return y


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class PoolProblem:
    N: int
    C: int
    H: int
    W: int
    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    ceil_mode: bool
    seed: int


def has_tap_in_every_window(size, kernel, stride, padding, dilation, ceil_mode):
    out = reference_output_size(size, kernel, stride, padding, dilation, ceil_mode)
    return all(any(0 <= o * stride - padding + i * dilation < size for i in range(kernel)) for o in range(out))


@st.composite
def pool_problems(draw, max_dilation=3):
    kernel = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    dilation = (draw(st.integers(1, max_dilation)), draw(st.integers(1, max_dilation)))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)  # PyTorch's limit
    sizes = [draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), d * (k - 1) + 10))
             for k, d, p in zip(kernel, dilation, padding)]
    # A dilated window can straddle a tiny input without touching it; PyTorch then returns an
    # index outside the plane (and its backward writes into the neighbouring plane), so skip those.
    ceil_mode = draw(st.booleans())
    assume(all(has_tap_in_every_window(*axis, ceil_mode)
               for axis in zip(sizes, kernel, stride, padding, dilation)))
    return PoolProblem(draw(st.integers(1, 2)), draw(st.integers(1, 3)), sizes[0], sizes[1], kernel, stride,
                       padding, dilation, ceil_mode, draw(st.integers(0, 2**31 - 1)))


def pool_input(problem, dtype, with_ties_and_nans=False):
    rng = np.random.default_rng(problem.seed)
    shape = (problem.N, problem.C, problem.H, problem.W)
    if not with_ties_and_nans:
        return rng.standard_normal(shape).astype(dtype)
    x = rng.integers(-2, 3, size=shape).astype(dtype)  # small integers: many ties
    specials = rng.random(shape)
    x[specials < 0.05] = np.nan
    x[(specials >= 0.05) & (specials < 0.1)] = -np.inf
    return x


# --------------------------------------------------------------------------- output size


@given(size=st.integers(1, 40), kernel=st.integers(1, 6), stride=st.integers(1, 5), dilation=st.integers(1, 3),
       padding=st.integers(0, 3), ceil_mode=st.booleans())
@FAST
def test_pool_output_size_matches_reference(size, kernel, stride, dilation, padding, ceil_mode):
    if size + 2 * padding < dilation * (kernel - 1) + 1:
        return
    assert (pool.pool_output_size(size, kernel, stride, padding, dilation, ceil_mode)
            == reference_output_size(size, kernel, stride, padding, dilation, ceil_mode))


def test_pool_output_size_ceil_mode_drops_window_starting_in_right_padding():
    # 5 + 2*1 - 2 = 5, ceil(5/2) + 1 = 4, but window 3 would start at 6 >= 5 + 1, so 3.
    assert pool.pool_output_size(5, 2, 2, 1, 1, True) == 3
    assert pool.pool_output_size(5, 2, 2, 0, 1, True) == 3
    assert pool.pool_output_size(5, 2, 2, 0, 1, False) == 2


# --------------------------------------------------------------------------- max pooling


@dtypes
@FAST
@given(problem=pool_problems(), with_ties_and_nans=st.booleans())
def test_max_pool_forward_matches_reference(dtype, problem, with_ties_and_nans):
    x = pool_input(problem, dtype, with_ties_and_nans)
    args = (problem.kernel, problem.stride, problem.padding, problem.dilation, problem.ceil_mode)
    y, indices = pool.max_pool2d_forward(x, *args)
    expected_y, expected_indices = reference_max_pool(x, *args)
    assert y.dtype == dtype and indices.dtype == np.int64
    np.testing.assert_array_equal(y, expected_y.astype(dtype))  # max is exact, NaN == NaN here
    np.testing.assert_array_equal(indices, expected_indices)


@dtypes
@FAST
@given(problem=pool_problems(), with_ties_and_nans=st.booleans())
def test_max_pool_matches_torch(dtype, problem, with_ties_and_nans):
    torch = pytest.importorskip("torch")
    x = pool_input(problem, dtype, with_ties_and_nans)
    args = (problem.kernel, problem.stride, problem.padding, problem.dilation, problem.ceil_mode)
    xt = torch.tensor(x, requires_grad=True)
    yt, it = torch.nn.functional.max_pool2d(xt, *args, return_indices=True)
    y, indices = pool.max_pool2d_forward(x, *args)
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_array_equal(indices, it.numpy())
    gy = np.random.default_rng(problem.seed + 1).standard_normal(y.shape).astype(dtype)
    (gxt,) = torch.autograd.grad(yt, xt, torch.tensor(gy))
    assert_close(pool.max_pool2d_backward(gy, indices, x.shape), gxt.double().numpy(), dtype)
    _, winners = pool.max_pool2d_forward_winners(x, *args)
    assert_close(pool.max_pool2d_backward_winners(gy, winners), gxt.double().numpy(), dtype)


@dtypes
@FAST
@given(problem=pool_problems())
def test_max_pool_backward_accumulates_overlapping_windows(dtype, problem):
    x = pool_input(problem, dtype, with_ties_and_nans=True)
    args = (problem.kernel, problem.stride, problem.padding, problem.dilation, problem.ceil_mode)
    _, indices = reference_max_pool(x, *args)
    gy = np.random.default_rng(problem.seed).standard_normal(indices.shape).astype(dtype)
    expected = np.zeros(x.shape)
    for n, c, oh, ow in np.ndindex(*indices.shape):  # the obvious scatter-add, one window at a time
        h, w = divmod(indices[n, c, oh, ow], problem.W)
        expected[n, c, h, w] += gy[n, c, oh, ow]
    assert_close(pool.max_pool2d_backward(gy, indices, x.shape), expected, dtype)


# --------------------------------------------------------------------------- scatter-free backward (winners)


def reference_max_pool_backward(gy, indices, W, input_shape):
    """The obvious float64 scatter-add of gy into each window's argmax, one window at a time."""
    expected = np.zeros(input_shape)
    for n, c, oh, ow in np.ndindex(*indices.shape):
        h, w = divmod(int(indices[n, c, oh, ow]), W)
        if 0 <= h < input_shape[2]:
            expected[n, c, h, w] += gy[n, c, oh, ow]
    return expected


@dtypes
@FAST
@given(problem=pool_problems(), with_ties_and_nans=st.booleans())
def test_max_pool_winners_match_reference(dtype, problem, with_ties_and_nans):
    """Forward values, PyTorch-style indices and the tap-by-tap backward against the per-window
    reference: overlapping and disjoint windows, padding, dilation, ceil mode, ties, NaN and -inf."""
    x = pool_input(problem, dtype, with_ties_and_nans)
    args = (problem.kernel, problem.stride, problem.padding, problem.dilation, problem.ceil_mode)
    y, winners = pool.max_pool2d_forward_winners(x, *args)
    expected_y, expected_indices = reference_max_pool(x, *args)
    np.testing.assert_array_equal(y, expected_y.astype(dtype))
    np.testing.assert_array_equal(winners.flat_indices(), expected_indices)
    gy = np.random.default_rng(problem.seed + 2).standard_normal(y.shape).astype(dtype)
    gx = pool.max_pool2d_backward_winners(gy, winners)
    assert gx.flags.c_contiguous
    assert_close(gx, reference_max_pool_backward(gy, expected_indices, problem.W, x.shape), dtype)


@dtypes
@FAST
@given(problem=pool_problems())
def test_max_pool_winners_backward_puts_inf_and_nan_on_the_winner_only(dtype, problem):
    """An inf or NaN upstream gradient reaches its window's argmax and nothing else, as PyTorch's
    scatter has it (a product with a 0/1 mask would spread NaN over the window)."""
    x = pool_input(problem, dtype)
    args = (problem.kernel, problem.stride, problem.padding, problem.dilation, problem.ceil_mode)
    y, winners = pool.max_pool2d_forward_winners(x, *args)
    rng = np.random.default_rng(problem.seed + 3)
    gy = rng.integers(-3, 4, size=y.shape).astype(dtype)  # small integers: every sum is exact
    specials = rng.random(y.shape)
    gy[specials < 0.2] = np.inf
    gy[specials > 0.9] = np.nan
    expected = reference_max_pool_backward(gy.astype(np.float64), reference_max_pool(x, *args)[1], problem.W,
                                           x.shape)
    np.testing.assert_array_equal(pool.max_pool2d_backward_winners(gy, winners), expected.astype(dtype))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape, kernel", [
    ((2, 3, 8, 6), (2, 2)),  # windows tile the input: rows of kernel cells are written whole
    ((2, 3, 9, 6), (2, 2)),  # the last input row is in no window
    ((2, 3, 9, 6), (3, 2)),
    ((2, 2, 10, 4), (5, 2)),  # too many kernel rows for the packed rows: the general path
    ((2, 2, 4, 8), (2, 4)),
    ((2, 2, 7, 7), (2, 2)),  # odd width: the last column is in no window
    ((0, 3, 6, 6), (2, 2)),
])
def test_max_pool_winners_backward_on_tiling_windows(dtype, shape, kernel):
    problem = PoolProblem(*shape, kernel, kernel, (0, 0), (1, 1), False, seed=sum(shape))
    x = pool_input(problem, dtype, with_ties_and_nans=True)
    args = (kernel, kernel, (0, 0), (1, 1), False)
    y, winners = pool.max_pool2d_forward_winners(x, *args)
    gy = np.random.default_rng(problem.seed).standard_normal(y.shape).astype(dtype)
    gy.flat[::5] = -np.inf
    expected = reference_max_pool_backward(gy.astype(np.float64), reference_max_pool(x, *args)[1], shape[3], shape)
    gx = pool.max_pool2d_backward_winners(gy, winners)
    assert gx.dtype == dtype and gx.shape == x.shape
    np.testing.assert_array_equal(gx, expected.astype(dtype))  # each cell gets one gradient or 0: exact


@dtypes
@pytest.mark.parametrize("shape, kernel, ceil_mode", [
    ((2, 3, 8, 6), (2, 2), False), ((1, 5, 28, 28), (2, 2), False), ((2, 3, 9, 7), (3, 2), False),
    ((2, 2, 7, 7), (2, 2), True),  # ceil mode: a window hangs past the input, no strided views
])
def test_small_tiling_scan_gives_the_phase_scan_s_winners(monkeypatch, dtype, shape, kernel, ceil_mode):
    """Small tiling problems scan strided views of the taps instead of the phase layout: same maxima,
    same winners (ties to the first tap, a NaN's window handed back to the phase scan's rule)."""
    problem = PoolProblem(*shape, kernel, kernel, (0, 0), (1, 1), ceil_mode, seed=sum(shape))
    x = pool_input(problem, dtype, with_ties_and_nans=True)
    args = (kernel, kernel, (0, 0), (1, 1), ceil_mode)
    results = []
    for limit in (0, 1 << 40):
        monkeypatch.setattr(pool, "SMALL_TILED_SCAN", limit)
        y, winners = pool.max_pool2d_forward_winners(x, *args)
        results.append((y, winners.ids))
        expected_y, expected_indices = reference_max_pool(x, *args)
        np.testing.assert_array_equal(y, expected_y.astype(dtype))
        np.testing.assert_array_equal(winners.flat_indices(), expected_indices)
    (phase_y, phase_ids), (view_y, view_ids) = results
    np.testing.assert_array_equal(view_y, phase_y)
    np.testing.assert_array_equal(view_ids, phase_ids)
    x_without_nan = np.nan_to_num(x, nan=0.5)  # and one the views keep to the end
    monkeypatch.setattr(pool, "SMALL_TILED_SCAN", 1 << 40)
    y, winners = pool.max_pool2d_forward_winners(x_without_nan, *args)
    expected_y, expected_indices = reference_max_pool(x_without_nan, *args)
    np.testing.assert_array_equal(winners.flat_indices(), expected_indices)


@pytest.mark.parametrize("args", [
    ((2, 2), (2, 2), (0, 0), (1, 1), False),
    ((3, 3), (2, 2), (1, 1), (1, 1), True),
    ((3, 3), (1, 1), (1, 1), (1, 1), False),
])
def test_max_pool_winners_backward_takes_any_gradient_layout(args):
    """Upstream gradients may be broadcast (a sum's backward) or transposed views."""
    x = np.random.default_rng(7).standard_normal((2, 3, 8, 8)).astype(np.float32)
    y, winners = pool.max_pool2d_forward_winners(x, *args)
    _, indices = reference_max_pool(x, *args)
    gy = np.random.default_rng(8).standard_normal(y.shape[::-1]).astype(np.float32).T
    for upstream in (np.broadcast_to(np.float32(1.5), y.shape), gy):
        expected = reference_max_pool_backward(np.asarray(upstream, np.float64), indices, 8, x.shape)
        assert_close(pool.max_pool2d_backward_winners(upstream, winners), expected, np.float32)


def test_max_pool_winners_backward_matches_torch_on_the_course_cnn_shapes():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    for shape in [(64, 5, 28, 28), (64, 10, 14, 14)]:
        x = np.maximum(rng.standard_normal(shape), 0).astype(np.float32)  # after a ReLU: many tied zeros
        xt = torch.tensor(x, requires_grad=True)
        yt = torch.nn.functional.max_pool2d(xt, 2)
        gy = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
        (gxt,) = torch.autograd.grad(yt, xt, torch.tensor(gy))
        y, winners = pool.max_pool2d_forward_winners(x, (2, 2), (2, 2), (0, 0), (1, 1), False)
        np.testing.assert_array_equal(y, yt.detach().numpy())
        np.testing.assert_array_equal(pool.max_pool2d_backward_winners(gy, winners), gxt.numpy())


def test_max_pool_nan_and_ties_follow_torch_cpu_rule():
    x = np.array([[[[1.0, np.nan, 3.0, np.nan], [2.0, 2.0, 2.0, 1.0]]]], dtype=np.float32)
    y, indices = pool.max_pool2d_forward(x, (1, 4), (1, 4), (0, 0), (1, 1), False)
    assert np.isnan(y[0, 0, 0, 0]) and indices[0, 0, 0, 0] == 3  # the last NaN
    assert y[0, 0, 1, 0] == 2.0 and indices[0, 0, 1, 0] == 4  # the first of the tied maxima


def test_max_pool_all_minus_inf_window_never_points_into_padding():
    x = np.full((1, 1, 3, 3), -np.inf)
    _, indices = pool.max_pool2d_forward(x, (3, 3), (2, 2), (1, 1), (1, 1), False)
    np.testing.assert_array_equal(indices, [[[[0, 1], [3, 4]]]])


# --------------------------------------------------------------------------- average pooling


@st.composite
def avg_args(draw):
    problem = draw(pool_problems(max_dilation=1))
    count_include_pad = draw(st.booleans())
    divisor_override = draw(st.sampled_from([None, None, 1, 3, 7]))
    return problem, count_include_pad, divisor_override


def avg_call_args(problem, count_include_pad, divisor_override):
    return problem.kernel, problem.stride, problem.padding, problem.ceil_mode, count_include_pad, divisor_override


@dtypes
@FAST
@given(case=avg_args())
def test_avg_pool_forward_matches_reference(dtype, case):
    problem = case[0]
    x = pool_input(problem, dtype)
    args = avg_call_args(*case)
    assert_close(pool.avg_pool2d_forward(x, *args), reference_avg_pool(x, *args), dtype)


@FAST
@given(case=avg_args())
def test_avg_pool_backward_is_adjoint_of_reference_forward(case):
    """<avg_pool(x), gy> == <x, avg_pool_backward(gy)>: the reference is linear in x."""
    problem = case[0]
    x = pool_input(problem, np.float64)
    args = avg_call_args(*case)
    y = reference_avg_pool(x, *args)
    gy = np.random.default_rng(problem.seed + 7).standard_normal(y.shape)
    gx = pool.avg_pool2d_backward(gy, x.shape, *args)
    assert gx.shape == x.shape
    scale = np.sum(reference_avg_pool(np.abs(x), *args) * np.abs(gy)) + 1e-30
    assert abs(np.vdot(x, gx) - np.vdot(y, gy)) <= 1e-12 * scale


@dtypes
@FAST
@given(case=avg_args())
def test_avg_pool_matches_torch(dtype, case):
    torch = pytest.importorskip("torch")
    problem = case[0]
    x = pool_input(problem, dtype)
    args = avg_call_args(*case)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.avg_pool2d(xt, *args)
    gy = np.random.default_rng(problem.seed + 3).standard_normal(tuple(yt.shape)).astype(dtype)
    (gxt,) = torch.autograd.grad(yt, xt, torch.tensor(gy))
    assert_close(pool.avg_pool2d_forward(x, *args), yt.detach().double().numpy(), dtype)
    assert_close(pool.avg_pool2d_backward(gy, x.shape, *args), gxt.double().numpy(), dtype)


@pytest.mark.parametrize("kernel, shape", [((2, 2), (2, 3, 8, 6)), ((3, 1), (1, 2, 9, 4)), ((1, 1), (1, 1, 3, 3))])
def test_avg_pool_backward_when_windows_tile_the_input(kernel, shape):
    """stride == kernel, no padding, sizes divisible: the backward takes a broadcasting shortcut."""
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape)
    args = (kernel, kernel, (0, 0), False, True, None)
    y = reference_avg_pool(x, *args)
    gy = rng.standard_normal(y.shape)
    gx = pool.avg_pool2d_backward(gy, x.shape, *args)
    expected = np.repeat(np.repeat(gy, kernel[0], axis=2), kernel[1], axis=3) / (kernel[0] * kernel[1])
    assert_close(gx, expected, np.float64)


def test_avg_pool_ceil_mode_window_past_padding_is_not_counted():
    """count_include_pad counts padded cells, but not the part of a ceil-mode window past the padded edge."""
    # H = 6, k = 3, s = 2, no padding: windows [0, 3), [2, 5), [4, 7) -> the last one has 2 cells.
    y = pool.avg_pool2d_forward(np.ones((1, 1, 6, 1)), (3, 1), (2, 1), (0, 0), True, True, None)
    np.testing.assert_allclose(y[0, 0, :, 0], [1.0, 1.0, 1.0])
    # H = 4, k = 3, s = 2, p = 1: windows [-1, 2), [1, 4), [3, 6) -> the last has one real and one padded cell.
    y = pool.avg_pool2d_forward(np.ones((1, 1, 4, 1)), (3, 1), (2, 1), (1, 0), True, True, None)
    np.testing.assert_allclose(y[0, 0, :, 0], [2 / 3, 1.0, 0.5])


# --------------------------------------------------------------------------- adaptive average pooling


@st.composite
def adaptive_problems(draw):
    H, W = draw(st.integers(1, 13)), draw(st.integers(1, 13))
    return (draw(st.integers(1, 2)), draw(st.integers(1, 3)), H, W,
            (draw(st.integers(1, H + 2)), draw(st.integers(1, W + 2))), draw(st.integers(0, 2**31 - 1)))


@dtypes
@FAST
@given(case=adaptive_problems())
def test_adaptive_avg_pool_matches_reference_and_torch(dtype, case):
    N, C, H, W, out_hw, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    y = pool.adaptive_avg_pool_forward(x, out_hw)
    assert_close(y, reference_adaptive_avg_pool(x, out_hw), dtype)
    gy = rng.standard_normal(y.shape).astype(dtype)
    gx = pool.adaptive_avg_pool_backward(gy, x.shape)
    # adjoint identity against the reference, in float64
    x64, gy64 = x.astype(np.float64), gy.astype(np.float64)
    pairing = np.vdot(reference_adaptive_avg_pool(x64, out_hw), gy64)
    assert abs(np.vdot(x64, pool.adaptive_avg_pool_backward(gy64, x.shape)) - pairing) <= 1e-12 * (
        np.sum(reference_adaptive_avg_pool(np.abs(x64), out_hw) * np.abs(gy64)) + 1e-30)
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.adaptive_avg_pool2d(xt, out_hw)
    (gxt,) = torch.autograd.grad(yt, xt, torch.tensor(gy))
    assert_close(y, yt.detach().double().numpy(), dtype)
    assert_close(gx, gxt.double().numpy(), dtype)


# --------------------------------------------------------------------------- dtype and determinism


@pytest.mark.parametrize("name", ["max", "avg", "adaptive"])
def test_pool_float32_stays_float32_and_is_deterministic(name):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 8, 14, 14)).astype(np.float32)
    if name == "max":
        y, winners = pool.max_pool2d_forward_winners(x, (3, 3), (2, 2), (1, 1), (1, 1), True)
        gx = pool.max_pool2d_backward_winners(y, winners)
        gx2 = pool.max_pool2d_backward_winners(y, winners)
    elif name == "avg":
        y = pool.avg_pool2d_forward(x, (3, 3), (2, 2), (1, 1), True, False, None)
        gx = pool.avg_pool2d_backward(y, x.shape, (3, 3), (2, 2), (1, 1), True, False, None)
        gx2 = pool.avg_pool2d_backward(y, x.shape, (3, 3), (2, 2), (1, 1), True, False, None)
    else:
        y = pool.adaptive_avg_pool_forward(x, (5, 3))
        gx = pool.adaptive_avg_pool_backward(y, x.shape)
        gx2 = pool.adaptive_avg_pool_backward(y, x.shape)
    assert y.dtype == np.float32 and gx.dtype == np.float32
    assert gx.shape == x.shape and gx.flags.c_contiguous
    np.testing.assert_array_equal(gx, gx2)


def test_max_pool_window_without_in_bounds_taps_gets_no_gradient():
    """Kernel 2 with dilation 3 and padding 1 on a width-2 row: taps at -1 and 2 both miss the input.
    PyTorch reports -inf and index 2 (past the plane); its gradient must not leak into the next plane."""
    x = np.arange(4.0).reshape(1, 2, 1, 2)
    y, indices = pool.max_pool2d_forward(x, (1, 2), (1, 1), (0, 1), (1, 3), False)
    assert y.shape == (1, 2, 1, 1) and np.all(y == -np.inf) and np.all(indices == 2)
    gx = pool.max_pool2d_backward(np.ones_like(y), indices, x.shape)
    np.testing.assert_array_equal(gx, np.zeros_like(x))
    _, winners = pool.max_pool2d_forward_winners(x, (1, 2), (1, 1), (0, 1), (1, 3), False)
    np.testing.assert_array_equal(winners.flat_indices(), indices)
    np.testing.assert_array_equal(pool.max_pool2d_backward_winners(np.ones_like(y), winners), np.zeros_like(x))


def test_pooling_an_empty_batch():
    x = np.ones((0, 3, 6, 6), np.float32)
    y, indices = pool.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), False)
    assert y.shape == indices.shape == (0, 3, 3, 3)
    assert pool.max_pool2d_backward(y, indices, x.shape).shape == x.shape
    for args in [((2, 2), (2, 2), (0, 0), (1, 1), False), ((3, 3), (1, 1), (1, 1), (1, 1), False)]:
        y, winners = pool.max_pool2d_forward_winners(x, *args)
        assert winners.flat_indices().shape == y.shape
        assert pool.max_pool2d_backward_winners(y, winners).shape == x.shape
    y = pool.avg_pool2d_forward(x, (2, 2), (2, 2), (1, 1), True, True, None)
    assert pool.avg_pool2d_backward(y, x.shape, (2, 2), (2, 2), (1, 1), True, True, None).shape == x.shape
    y = pool.adaptive_avg_pool_forward(x, (4, 4))
    assert pool.adaptive_avg_pool_backward(y, x.shape).shape == x.shape


@dtypes
@FAST
@given(problem=pool_problems(), with_ties_and_nans=st.booleans())
def test_max_pool_without_indices_gives_the_same_values(dtype, problem, with_ties_and_nans):
    x = pool_input(problem, dtype, with_ties_and_nans)
    args = (problem.kernel, problem.stride, problem.padding, problem.dilation, problem.ceil_mode)
    y, indices = pool.max_pool2d_forward(x, *args, with_indices=False)
    expected_y, _ = reference_max_pool(x, *args)
    assert indices is None and y.dtype == dtype
    np.testing.assert_array_equal(y, expected_y.astype(dtype))


@dtypes
@pytest.mark.parametrize("shape, kernel, ceil_mode", [
    ((2, 3, 8, 6), (2, 2), False),  # windows tile the input exactly
    ((2, 3, 7, 9), (2, 3), False),  # the last row is left over
    ((2, 3, 7, 9), (2, 2), True),  # ceil mode: the last windows hang over, so not a tiling
    ((1, 2, 5, 4), (1, 1), False),
    ((0, 2, 4, 4), (2, 2), False),
])
def test_max_pool_without_indices_on_tiling_windows(dtype, shape, kernel, ceil_mode):
    problem = PoolProblem(*shape, kernel, kernel, (0, 0), (1, 1), ceil_mode, seed=sum(shape))
    x = pool_input(problem, dtype, with_ties_and_nans=True)
    args = (kernel, kernel, (0, 0), (1, 1), ceil_mode)
    y, indices = pool.max_pool2d_forward(x, *args, with_indices=False)
    assert indices is None and y.dtype == dtype and not np.shares_memory(y, x)
    np.testing.assert_array_equal(y, reference_max_pool(x, *args)[0].astype(dtype))
