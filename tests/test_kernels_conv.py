"""Tests of the NumPy convolution kernels in torchless._kernels.

Every kernel is checked against
  (a) a slow, direct float64 reference written below (explicit loops over kernel
      offsets and groups), plus the adjoint identities that tie forward and
      backward together, and
  (b) PyTorch, when it is installed.
"""

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

try:
    import torchless._kernels.conv  # noqa: F401
except ImportError:  # running from a checkout without an install
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from torchless._kernels import blas, conv, winograd
from torchless._kernels.im2col import GRAM_CHUNK, gram

TOLERANCE = {np.float32: 1e-4, np.float64: 1e-10}
FAST = settings(max_examples=40, deadline=None)


# --------------------------------------------------------------------------- reference


def reference_forward(x, w, stride, padding, dilation, groups):
    """Direct float64 convolution: for each group and kernel offset, add w[:, :, i, j] times the shifted input."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    N, C, H, W = x.shape
    O, Cg, kH, kW = w.shape
    (sH, sW), ((top, bottom), (left, right)), (dH, dW) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    Ho = (H + top + bottom - dH * (kH - 1) - 1) // sH + 1
    Wo = (W + left + right - dW * (kW - 1) - 1) // sW + 1
    Og = O // groups
    y = np.zeros((N, O, Ho, Wo))
    for g in range(groups):
        in_ch, out_ch = slice(g * Cg, (g + 1) * Cg), slice(g * Og, (g + 1) * Og)
        for i in range(kH):
            for j in range(kW):
                taps = xp[:, in_ch, i * dH: i * dH + sH * (Ho - 1) + 1: sH, j * dW: j * dW + sW * (Wo - 1) + 1: sW]
                y[:, out_ch] += np.einsum("nchw,oc->nohw", taps, w[out_ch, :, i, j])
    return y


def reference_backward_input(gy, w, input_hw, stride, padding, dilation, groups):
    """Transpose of reference_forward's loop: each output gradient flows back to the taps that produced it."""
    gy, w = gy.astype(np.float64), w.astype(np.float64)
    N, O, Ho, Wo = gy.shape
    _, Cg, kH, kW = w.shape
    H, W = input_hw
    (sH, sW), ((top, bottom), (left, right)), (dH, dW) = stride, padding, dilation
    Og = O // groups
    gxp = np.zeros((N, Cg * groups, H + top + bottom, W + left + right))
    for g in range(groups):
        in_ch, out_ch = slice(g * Cg, (g + 1) * Cg), slice(g * Og, (g + 1) * Og)
        for i in range(kH):
            for j in range(kW):
                gxp[:, in_ch, i * dH: i * dH + sH * (Ho - 1) + 1: sH, j * dW: j * dW + sW * (Wo - 1) + 1: sW] += (
                    np.einsum("nohw,oc->nchw", gy[:, out_ch], w[out_ch, :, i, j])
                )
    return gxp[:, :, top:top + H, left:left + W]


def reference_backward_weight(gy, x, kernel_hw, stride, padding, dilation, groups):
    """dL/dw[o, c, i, j] = sum over batch and output pixels of gy times the tap x[.., c, i, j] it saw."""
    gy, x = gy.astype(np.float64), x.astype(np.float64)
    N, O, Ho, Wo = gy.shape
    C = x.shape[1]
    kH, kW = kernel_hw
    (sH, sW), ((top, bottom), (left, right)), (dH, dW) = stride, padding, dilation
    Cg, Og = C // groups, O // groups
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    gw = np.zeros((O, Cg, kH, kW))
    for g in range(groups):
        in_ch, out_ch = slice(g * Cg, (g + 1) * Cg), slice(g * Og, (g + 1) * Og)
        for i in range(kH):
            for j in range(kW):
                taps = xp[:, in_ch, i * dH: i * dH + sH * (Ho - 1) + 1: sH, j * dW: j * dW + sW * (Wo - 1) + 1: sW]
                gw[out_ch, :, i, j] = np.einsum("nohw,nchw->oc", gy[:, out_ch], taps)
    return gw


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class ConvProblem:
    N: int
    C: int
    H: int
    W: int
    O: int
    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    groups: int
    seed: int

    @property
    def args(self):
        return self.stride, self.padding, self.dilation, self.groups

    @property
    def out_hw(self):
        (kH, kW), (sH, sW), ((t, b), (l, r)), (dH, dW) = self.kernel, self.stride, self.padding, self.dilation
        return (self.H + t + b - dH * (kH - 1) - 1) // sH + 1, (self.W + l + r - dW * (kW - 1) - 1) // sW + 1

    def arrays(self, dtype):
        """x, w and an upstream gradient gy, all of ``dtype``."""
        rng = np.random.default_rng(self.seed)
        x = rng.standard_normal((self.N, self.C, self.H, self.W)).astype(dtype)
        w = rng.standard_normal((self.O, self.C // self.groups, *self.kernel)).astype(dtype)
        gy = rng.standard_normal((self.N, self.O, *self.out_hw)).astype(dtype)
        return x, w, gy


@st.composite
def conv_problems(draw, kernels=(1, 2, 3, 5, 7), max_stride=3, max_dilation=3, max_padding=3,
                  group_kinds=("one", "few", "depthwise")):
    kind = draw(st.sampled_from(group_kinds))
    if kind == "one":
        groups, c_per_group = 1, draw(st.integers(1, 6))
    elif kind == "few":
        groups, c_per_group = draw(st.integers(2, 3)), draw(st.integers(1, 3))
    else:  # depthwise, possibly with a channel multiplier
        groups, c_per_group = draw(st.integers(1, 5)), 1
    out_per_group = draw(st.integers(1, 3 if kind == "depthwise" else 5))
    kernel = (draw(st.sampled_from(kernels)), draw(st.sampled_from(kernels)))
    stride = (draw(st.integers(1, max_stride)), draw(st.integers(1, max_stride)))
    dilation = (draw(st.integers(1, max_dilation)), draw(st.integers(1, max_dilation)))
    padding = tuple((draw(st.integers(0, max_padding)), draw(st.integers(0, max_padding))) for _ in range(2))
    sizes = []
    for k, d, (before, after) in zip(kernel, dilation, padding):
        span = d * (k - 1) + 1
        sizes.append(draw(st.integers(max(1, span - before - after), span + 9)))
    return ConvProblem(
        N=draw(st.integers(1, 3)), C=groups * c_per_group, H=sizes[0], W=sizes[1], O=groups * out_per_group,
        kernel=kernel, stride=stride, padding=padding, dilation=dilation, groups=groups,
        seed=draw(st.integers(0, 2**31 - 1)),
    )


def assert_close(actual, expected, dtype, terms=None):
    """Same shape, dtype ``dtype`` and max abs error within the dtype's tolerance relative to max |expected|, or,
    given ``terms`` (the reference computed on the operands' absolute values: the size of the products each
    result sums), to max ``terms``. A sum's rounding error scales with its terms, not with its value: on a draw
    whose outputs cancel to a small value, max |expected| alone would ask a Winograd transform (which multiplies
    the terms by up to 8 first) for more than float32 can give, while a wrong tap still misses by a whole term."""
    assert actual.dtype == dtype, f"dtype {actual.dtype} != {np.dtype(dtype)}"
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    scale = max(float(np.max(np.abs(expected if terms is None else terms), initial=0.0)), 1e-30)
    error = float(np.max(np.abs(actual.astype(np.float64) - expected), initial=0.0))
    assert error <= TOLERANCE[dtype] * scale, f"max abs error {error:.3g} > {TOLERANCE[dtype]:g} * {scale:.3g}"


dtypes = pytest.mark.parametrize("dtype", [np.float32, np.float64])


# --------------------------------------------------------------------------- public dispatcher vs reference


@dtypes
@FAST
@given(problem=conv_problems())
def test_forward_matches_reference(dtype, problem):
    x, w, _ = problem.arrays(dtype)
    assert_close(conv.conv2d_forward(x, w, *problem.args), reference_forward(x, w, *problem.args), dtype,
                 terms=reference_forward(abs(x), abs(w), *problem.args))


@dtypes
@FAST
@given(problem=conv_problems())
def test_backward_input_matches_reference(dtype, problem):
    x, w, gy = problem.arrays(dtype)
    hw = (problem.H, problem.W)
    got = conv.conv2d_backward_input(gy, w, hw, *problem.args)
    assert_close(got, reference_backward_input(gy, w, hw, *problem.args), dtype,
                 terms=reference_backward_input(abs(gy), abs(w), hw, *problem.args))


@dtypes
@FAST
@given(problem=conv_problems())
def test_backward_weight_matches_reference(dtype, problem):
    x, w, gy = problem.arrays(dtype)
    got = conv.conv2d_backward_weight(gy, x, problem.kernel, *problem.args)
    assert_close(got, reference_backward_weight(gy, x, problem.kernel, *problem.args), dtype,
                 terms=reference_backward_weight(abs(gy), abs(x), problem.kernel, *problem.args))


@FAST
@given(problem=conv_problems())
def test_backward_kernels_are_adjoints_of_reference_forward(problem):
    """<conv(x, w), gy> == <x, backward_input(gy)> == <w, backward_weight(gy, x)> (conv is bilinear)."""
    x, w, gy = problem.arrays(np.float64)
    forward_pairing = np.vdot(reference_forward(x, w, *problem.args), gy)
    gx = conv.conv2d_backward_input(gy, w, (problem.H, problem.W), *problem.args)
    gw = conv.conv2d_backward_weight(gy, x, problem.kernel, *problem.args)
    scale = np.sum(np.abs(reference_forward(np.abs(x), np.abs(w), *problem.args)) * np.abs(gy)) + 1e-30
    assert abs(np.vdot(x, gx) - forward_pairing) <= 1e-12 * scale
    assert abs(np.vdot(w, gw) - forward_pairing) <= 1e-12 * scale


def test_reference_forward_agrees_with_hand_computed_example():
    """Pins the reference itself: 2x2 ones kernel over a 3x3 ramp, stride 1, no padding."""
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.ones((1, 1, 2, 2))
    y = reference_forward(x, w, (1, 1), ((0, 0), (0, 0)), (1, 1), 1)
    np.testing.assert_array_equal(y, [[[[8.0, 12.0], [20.0, 24.0]]]])


# --------------------------------------------------------------------------- against PyTorch


def _torch_conv(torch, x, w, problem):
    """PyTorch conv2d with our asymmetric padding applied explicitly (PyTorch pads symmetrically)."""
    import torch.nn.functional as F

    (top, bottom), (left, right) = problem.padding
    return F.conv2d(F.pad(x, (left, right, top, bottom)), w, stride=problem.stride,
                    dilation=problem.dilation, groups=problem.groups)


@dtypes
@FAST
@given(problem=conv_problems())
def test_forward_and_gradients_match_torch(dtype, problem):
    torch = pytest.importorskip("torch")
    x, w, gy = problem.arrays(dtype)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    yt = _torch_conv(torch, xt, wt, problem)
    gxt, gwt = torch.autograd.grad(yt, (xt, wt), torch.tensor(gy))
    assert_close(conv.conv2d_forward(x, w, *problem.args), yt.detach().double().numpy(), dtype)
    assert_close(conv.conv2d_backward_input(gy, w, (problem.H, problem.W), *problem.args),
                 gxt.double().numpy(), dtype)
    assert_close(conv.conv2d_backward_weight(gy, x, problem.kernel, *problem.args), gwt.double().numpy(), dtype)


# Shapes from the benchmark (shrunk in batch and plane) so that every fast path the
# dispatcher picks for realistic channel counts is exercised against PyTorch.
REALISTIC = [
    # N, C, H, W, O, k, stride, pad, groups
    (2, 1, 28, 28, 6, 3, 1, 1, 1),
    (2, 5, 14, 14, 10, 3, 1, 1, 1),
    (2, 32, 14, 14, 64, 3, 1, 1, 1),
    (1, 64, 20, 18, 64, 3, 1, 1, 1),
    (1, 64, 22, 22, 128, 3, 2, 1, 1),
    (2, 256, 9, 9, 64, 1, 1, 0, 1),
    (1, 128, 15, 13, 128, 3, 1, 1, 1),
    (1, 32, 16, 16, 32, 7, 1, 3, 1),
    (1, 256, 14, 14, 256, 3, 1, 1, 1),
    (2, 32, 14, 14, 32, 3, 1, 1, 32),
    (2, 48, 12, 12, 96, 3, 2, 1, 4),
    (1, 512, 7, 7, 512, 3, 1, 1, 1),
    # few channels, many pixels: the weight gradient's long contraction is split into chunks
    (16, 3, 32, 32, 4, 3, 1, 1, 1),
    (4, 2, 40, 40, 3, 5, 1, 2, 1),
    (8, 4, 30, 30, 4, 3, 2, 1, 2),
]


@dtypes
@pytest.mark.parametrize("N, C, H, W, O, k, stride, pad, groups", REALISTIC)
def test_realistic_shapes_match_torch(dtype, N, C, H, W, O, k, stride, pad, groups):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    rng = np.random.default_rng(C * 1000 + H)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = (rng.standard_normal((O, C // groups, k, k)) / np.sqrt(C // groups * k * k)).astype(dtype)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    yt = F.conv2d(xt, wt, stride=stride, padding=pad, groups=groups)
    gy = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    gxt, gwt = torch.autograd.grad(yt, (xt, wt), torch.tensor(gy))
    args = ((stride, stride), ((pad, pad), (pad, pad)), (1, 1), groups)
    # Compare with a float64 PyTorch run, so that only our rounding counts against the tolerance.
    x64, w64, gy64 = (torch.tensor(a.astype(np.float64)) for a in (x, w, gy))
    x64.requires_grad_(), w64.requires_grad_()
    y64 = F.conv2d(x64, w64, stride=stride, padding=pad, groups=groups)
    gx64, gw64 = torch.autograd.grad(y64, (x64, w64), gy64)
    assert_close(conv.conv2d_forward(x, w, *args), y64.detach().numpy(), dtype)
    assert_close(conv.conv2d_backward_input(gy, w, (H, W), *args), gx64.numpy(), dtype)
    assert_close(conv.conv2d_backward_weight(gy, x, (k, k), *args), gw64.numpy(), dtype)
    # and PyTorch's own float32/64 answer is within the same tolerance of the float64 truth
    assert_close(yt.detach().numpy(), y64.detach().numpy(), dtype)


# --------------------------------------------------------------------------- special situations


def test_backward_input_leaves_unused_trailing_rows_and_columns_zero():
    """With stride 2, a 3x3 kernel and H = W = 8 the last input row/column is never read."""
    rng = np.random.default_rng(1)
    w = rng.standard_normal((4, 3, 3, 3))
    gy = rng.standard_normal((2, 4, 3, 3))  # (8 - 3) // 2 + 1 = 3
    args = ((2, 2), ((0, 0), (0, 0)), (1, 1), 1)
    gx = conv.conv2d_backward_input(gy, w, (8, 8), *args)
    assert gx.shape == (2, 3, 8, 8)
    assert np.all(gx[:, :, 7, :] == 0) and np.all(gx[:, :, :, 7] == 0)
    assert_close(gx, reference_backward_input(gy, w, (8, 8), *args), np.float64)


@pytest.mark.parametrize("output_padding", [0, 1, 2])
def test_backward_input_as_transposed_convolution(output_padding):
    """conv_transpose2d(z, w) == backward_input(z, w) at the enlarged size output_padding asks for."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(output_padding)
    z = rng.standard_normal((2, 6, 5, 4))
    w = rng.standard_normal((6, 2, 3, 3))  # conv_transpose weight (in, out // groups, kH, kW), groups=2
    stride, pad, dilation = 3, 1, 2
    expected = torch.nn.functional.conv_transpose2d(
        torch.tensor(z), torch.tensor(w), stride=stride, padding=pad, output_padding=output_padding,
        dilation=dilation, groups=2).numpy()
    hw = expected.shape[2:]
    got = conv.conv2d_backward_input(z, w, hw, (stride, stride), ((pad, pad), (pad, pad)), (dilation, dilation), 2)
    assert_close(got, expected, np.float64)


def test_conv1d_as_conv2d_with_unit_height():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4, 1, 17)).astype(np.float32)
    w = rng.standard_normal((5, 4, 1, 3)).astype(np.float32)
    args = ((1, 2), ((0, 0), (2, 1)), (1, 1), 1)
    assert_close(conv.conv2d_forward(x, w, *args), reference_forward(x, w, *args), np.float32)


@pytest.mark.parametrize("function", ["forward", "backward_input", "backward_weight"])
def test_float32_stays_float32_and_results_are_deterministic(function):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 32, 12, 12)).astype(np.float32)
    w = rng.standard_normal((32, 32, 3, 3)).astype(np.float32)
    gy = rng.standard_normal((4, 32, 12, 12)).astype(np.float32)
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    call = {
        "forward": lambda: conv.conv2d_forward(x, w, *args),
        "backward_input": lambda: conv.conv2d_backward_input(gy, w, (12, 12), *args),
        "backward_weight": lambda: conv.conv2d_backward_weight(gy, x, (3, 3), *args),
    }[function]
    first, second = call(), call()
    assert first.dtype == np.float32
    assert first.flags.c_contiguous
    np.testing.assert_array_equal(first, second)


# --------------------------------------------------------------------------- each algorithm on its own

# Problems each algorithm accepts (the dispatcher only uses an algorithm where it applies).
PROBLEMS_FOR = {
    "im2col": conv_problems(),
    "gather": conv_problems(),
    "col2im": conv_problems(),
    "rowstack": conv_problems(max_stride=1),
    "rowstack_blocked": conv_problems(max_stride=1),
    "flipped": conv_problems(max_stride=1),
    "pointwise": conv_problems(kernels=(1,), max_stride=1, max_padding=0),
    "winograd2": conv_problems(kernels=(3,), max_stride=1, max_dilation=1, group_kinds=("one",)),
    "winograd4": conv_problems(kernels=(3,), max_stride=1, max_dilation=1, group_kinds=("one",)),
    "unfused": conv_problems(),
}


def test_every_algorithm_has_a_problem_strategy():
    assert set(conv.FORWARD) | set(conv.BACKWARD_INPUT) | set(conv.BACKWARD_WEIGHT) <= set(PROBLEMS_FOR)


@pytest.mark.parametrize("name", sorted(conv.FORWARD))
@dtypes
@FAST
@given(data=st.data())
def test_each_forward_algorithm(name, dtype, data):
    """Alone, with a bias, and into a part of a larger result (as a split call hands them): the bias
    added, nothing else touched."""
    problem = data.draw(PROBLEMS_FOR[name])
    x, w, _ = problem.arrays(dtype)
    algorithm = conv.FORWARD[name]
    assert algorithm.applies(x.shape, w.shape, *problem.args)
    expected = reference_forward(x, w, *problem.args)
    terms = reference_forward(abs(x), abs(w), *problem.args)
    assert_close(algorithm.run(x, w, *problem.args), expected, dtype, terms)
    bias = np.random.default_rng(problem.N).standard_normal(w.shape[0]).astype(dtype)
    expected = expected + bias.reshape(1, -1, 1, 1)
    terms = terms + abs(bias).reshape(1, -1, 1, 1)
    assert_close(algorithm.run(x, w, *problem.args, bias=bias), expected, dtype, terms)
    whole = np.full((problem.N + 2, *expected.shape[1:]), 7, dtype)
    part = whole[1:-1]
    assert algorithm.run(x, w, *problem.args, out=part, bias=bias) is part
    assert_close(part, expected, dtype, terms)
    assert (whole[0] == 7).all() and (whole[-1] == 7).all()


@pytest.mark.parametrize("name", sorted(conv.BACKWARD_INPUT))
@dtypes
@FAST
@given(data=st.data())
def test_each_backward_input_algorithm(name, dtype, data):
    problem = data.draw(PROBLEMS_FOR[name])
    x, w, gy = problem.arrays(dtype)
    hw = (problem.H, problem.W)
    algorithm = conv.BACKWARD_INPUT[name]
    assume(algorithm.applies(gy.shape, w.shape, hw, *problem.args))
    assert_close(algorithm.run(gy, w, hw, *problem.args), reference_backward_input(gy, w, hw, *problem.args), dtype,
                 terms=reference_backward_input(abs(gy), abs(w), hw, *problem.args))


@pytest.mark.parametrize("name", sorted(conv.BACKWARD_WEIGHT))
@dtypes
@FAST
@given(data=st.data())
def test_each_backward_weight_algorithm(name, dtype, data):
    problem = data.draw(PROBLEMS_FOR[name])
    x, w, gy = problem.arrays(dtype)
    algorithm = conv.BACKWARD_WEIGHT[name]
    assert algorithm.applies(gy.shape, x.shape, problem.kernel, *problem.args)
    assert_close(algorithm.run(gy, x, problem.kernel, *problem.args),
                 reference_backward_weight(gy, x, problem.kernel, *problem.args), dtype,
                 terms=reference_backward_weight(abs(gy), abs(x), problem.kernel, *problem.args))


@pytest.mark.parametrize("forward_name", ["im2col", "rowstack", "winograd2", "winograd4"])
@FAST
@given(data=st.data())
def test_input_gradient_through_each_forward_algorithm(forward_name, data):
    """The flipped-kernel input gradient must work whichever forward algorithm runs it."""
    problem = data.draw(PROBLEMS_FOR[forward_name if forward_name != "im2col" else "flipped"])
    x, w, gy = problem.arrays(np.float64)
    hw = (problem.H, problem.W)
    assume(conv.BACKWARD_INPUT["flipped"].applies(gy.shape, w.shape, hw, *problem.args))
    got = conv.conv2d_backward_input_flipped(gy, w, hw, *problem.args, forward_algorithm=forward_name)
    assert_close(got, reference_backward_input(gy, w, hw, *problem.args), np.float64)


@pytest.mark.parametrize("name", ["winograd2", "winograd4"])
@pytest.mark.parametrize("channels", [256, 1024])
def test_winograd_float32_error_stays_small_with_many_channels(name, channels):
    """Winograd rounding grows with the number of summed channels; F(4x4) is the riskier one."""
    rng = np.random.default_rng(channels + len(name))
    x = rng.standard_normal((1, channels, 12, 12)).astype(np.float32)
    w = (rng.standard_normal((8, channels, 3, 3)) / np.sqrt(9 * channels)).astype(np.float32)
    gy = rng.standard_normal((1, 8, 12, 12)).astype(np.float32)
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    assert_close(conv.FORWARD[name].run(x, w, *args), reference_forward(x, w, *args), np.float32)
    assert_close(conv.BACKWARD_WEIGHT[name].run(gy, x, (3, 3), *args),
                 reference_backward_weight(gy, x, (3, 3), *args), np.float32)
    flipped = conv.conv2d_backward_input_flipped(gy, w, (12, 12), *args, forward_algorithm=name)
    assert_close(flipped, reference_backward_input(gy, w, (12, 12), *args), np.float32)


# Winograd edge cases: tiles that overhang the output (odd sizes), no padding (the MNIST CNN),
# asymmetric padding, batch 1, a single tile, and N*C = N*O = 64 (the padded-stride output copy).
WINOGRAD_CASES = [
    # N, C, H, W, O, padding
    (1, 4, 5, 7, 3, ((1, 1), (1, 1))),
    (2, 3, 9, 6, 5, ((0, 0), (0, 0))),
    (3, 8, 11, 13, 4, ((2, 0), (1, 3))),
    (4, 16, 6, 6, 16, ((1, 1), (1, 1))),
    (2, 5, 3, 3, 2, ((1, 1), (1, 1))),
    (1, 2, 1, 1, 3, ((1, 1), (1, 1))),
    (2, 6, 10, 10, 7, ((0, 0), (0, 0))),
    # wide enough that the output transform runs in column blocks, with a remainder
    (16, 4, 13, 11, 16, ((1, 1), (1, 1))),
    # a plane large enough for the blocked copy back to NCHW (rows in blocks, with a remainder)
    (1, 3, 33, 34, 2, ((1, 1), (0, 2))),
]


@pytest.mark.parametrize("tile", [2, 4])
@dtypes
@pytest.mark.parametrize("N, C, H, W, O, padding", WINOGRAD_CASES)
def test_winograd_forward_and_gradients_on_edge_cases(tile, dtype, N, C, H, W, O, padding):
    problem = ConvProblem(N, C, H, W, O, (3, 3), (1, 1), padding, (1, 1), 1, seed=N * 100 + H * 10 + W)
    x, w, gy = problem.arrays(dtype)
    name = f"winograd{tile}"
    expected = reference_forward(x, w, *problem.args)
    assert_close(conv.FORWARD[name].run(x, w, *problem.args), expected, dtype)
    bias = np.linspace(-3, 5, O).astype(dtype)  # added in the transformed domain: every output gets it once
    assert_close(conv.FORWARD[name].run(x, w, *problem.args, bias=bias), expected + bias.reshape(1, -1, 1, 1), dtype)
    assert_close(conv.BACKWARD_WEIGHT[name].run(gy, x, (3, 3), *problem.args),
                 reference_backward_weight(gy, x, (3, 3), *problem.args), dtype)
    if conv.BACKWARD_INPUT["flipped"].applies(gy.shape, w.shape, (H, W), *problem.args):
        got = conv.conv2d_backward_input_flipped(gy, w, (H, W), *problem.args, forward_algorithm=name)
        assert_close(got, reference_backward_input(gy, w, (H, W), *problem.args), dtype)


@pytest.mark.parametrize("columns", [100, 2 * winograd._TRANSFORM_BLOCK, 3 * winograd._TRANSFORM_BLOCK + 5])
def test_winograd_blocked_transform_matches_matmul(columns):
    """The column-blocked small-matrix product, on strided operands and outputs as the kernels use it."""
    rng = np.random.default_rng(columns)
    matrix = rng.standard_normal((4, 6))
    operand = rng.standard_normal((3, 6, columns + 7))[:, :, 7:]          # row stride != width
    out = np.zeros((4, 3, columns))
    winograd._transform(matrix, operand, out.transpose(1, 0, 2))
    expected = np.einsum("pq,bqr->pbr", matrix, operand)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_input_gradient_into_one_or_two_channels_is_not_taken_by_stacked_rows(monkeypatch):
    """The flipped convolution by stacked rows has a GEMM of kH rows per input channel: with one or two
    input channels col2im was measured faster (see ROWSTACK_FLIPPED_MIN_CHANNELS); from three on, not
    (but on a Xeon with AVX512-FP16: see conv._stacked_rows_flip_pays)."""
    monkeypatch.setattr(blas, "XEON_AVX512_FP16", False)
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    for channels, expected in ((1, "col2im"), (2, "col2im"), (3, "flipped"), (7, "flipped")):
        w_shape = (16, channels, 3, 3)
        assert conv.choose_forward((64, 16, 28, 28), (channels, 16, 3, 3), *args) == "rowstack"  # the flipped one
        assert conv.choose_backward_input((64, 16, 28, 28), w_shape, (28, 28), *args) == expected


def test_input_gradient_into_eight_or_more_channels_is_a_gathered_flipped_convolution(monkeypatch):
    """Where the flipped convolution runs on gathered columns, it beats col2im from 8 channels per group
    on (see GATHER_FLIPPED_MIN_CHANNELS), small problems included; below, col2im or stacked rows keep it."""
    monkeypatch.setattr(blas, "WIDE_VECTORS", False)  # the 256-bit rules: up to 144 taps gathered
    monkeypatch.setattr(blas, "XEON_AVX512_FP16", False)  # (which gathers into 4 channels on: XEON_GATHER_FLIPPED_...)
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    for gy_shape, channels, expected in (((64, 16, 28, 28), 8, "flipped"), ((64, 4, 28, 28), 16, "flipped"),
                                         ((1, 16, 28, 28), 16, "flipped"), ((64, 10, 14, 14), 5, "col2im"),
                                         ((64, 16, 14, 14), 4, "col2im")):
        flipped_forward = conv.choose_forward(gy_shape, (channels, gy_shape[1], 3, 3), *args)
        chosen = conv.choose_backward_input(gy_shape, (gy_shape[1], channels, 3, 3), gy_shape[2:], *args)
        assert chosen == expected
        if expected == "flipped":
            assert flipped_forward == "gather"


def test_input_gradient_of_a_wide_kernel_over_few_pixels_is_col2im():
    """The gathered flipped convolution stops at GATHER_FLIPPED_MAX_TAPS taps of the flipped kernel: past them
    (many output channels over few pixels) col2im's one GEMM wins."""
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    for gy_shape, channels, expected in (((1, 64, 14, 14), 64, "flipped"), ((1, 256, 14, 14), 256, "col2im"),
                                         ((1, 512, 7, 7), 512, "col2im")):
        assert conv.choose_forward(gy_shape, (channels, gy_shape[1], 3, 3), *args) == "gather"
        assert conv.choose_backward_input(gy_shape, (gy_shape[1], channels, 3, 3), gy_shape[2:], *args) == expected


@pytest.mark.parametrize("wide_vectors", [False, True])
@pytest.mark.parametrize("precision", ["highest", "high"])
def test_dispatcher_takes_winograd_for_the_mid_size_benchmark_shapes(monkeypatch, wide_vectors, precision):
    """The rules must keep routing the shapes Winograd was measured to win on to it (and not
    the few-tile, many-channel ones where the kernel transform dominates); F(4x4) only below float32's
    "highest" precision (see conv.set_float32_precision), F(2x2) in its place otherwise. The rules of a Xeon
    with AVX512-FP16 have tests of their own."""
    monkeypatch.setattr(blas, "WIDE_VECTORS", wide_vectors)
    monkeypatch.setattr(blas, "XEON_AVX512_FP16", False)
    many_tiles = "winograd4" if precision == "high" else "winograd2"
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1, np.float32, precision)
    assert conv.choose_forward((16, 128, 28, 28), (128, 128, 3, 3), *args) == many_tiles
    assert conv.choose_forward((8, 64, 56, 56), (64, 64, 3, 3), *args) == many_tiles
    # Up to 32 channels into 40 or more, gathered columns were measured faster with 256-bit BLAS
    # kernels, Winograd F(4x4) with AVX-512 ones (see gather.py); up to 8 channels gathering wins on both.
    expected = "winograd4" if wide_vectors and precision == "high" else "gather"
    assert conv.choose_forward((64, 32, 14, 14), (64, 32, 3, 3), *args) == expected
    assert conv.choose_backward_weight((64, 64, 14, 14), (64, 32, 14, 14), (3, 3), *args) == expected
    assert conv.choose_forward((64, 8, 28, 28), (16, 8, 3, 3), *args) == "gather"
    assert conv.choose_forward((1, 128, 16, 16), (128, 128, 3, 3), *args) == "winograd2"   # 16 F(4x4), 64 F(2x2) tiles
    # One 14x14 image has 49 F(2x2) tiles: too few to pay for the kernel transform; one large
    # per-image GEMM over gathered columns is faster (measured, see gather.py).
    assert conv.choose_forward((1, 256, 14, 14), (256, 256, 3, 3), *args) == "gather"
    assert not conv.choose_forward((1, 512, 7, 7), (512, 512, 3, 3), *args).startswith("winograd")
    assert conv.choose_backward_weight((64, 64, 24, 24), (64, 64, 26, 26), (3, 3), (1, 1), ((0, 0), (0, 0)),
                                       (1, 1), 1, np.float32, precision) == many_tiles
    # Float64 rounds F(4x4)'s transforms harmlessly: it takes it at any precision.
    assert conv.choose_forward((16, 128, 28, 28), (128, 128, 3, 3), *args[:4], np.float64, precision) == "winograd4"


@pytest.mark.parametrize("xeon", [False, True])
def test_winograd_2x2_needs_64_channels_on_a_xeon_with_avx512_fp16(monkeypatch, xeon):
    """Where F(2x2) was measured slow with few channels (conv.XEON_WINOGRAD2_MIN_CHANNELS), 3x3 layers of
    32 or 48 channels take another algorithm, forward and as the flipped input gradient; 64 keep it."""
    monkeypatch.setattr(blas, "XEON_AVX512_FP16", xeon)
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1, np.float32, "highest")
    for x_shape, w_shape in [((8, 32, 56, 56), (32, 32, 3, 3)), ((32, 48, 28, 28), (48, 48, 3, 3))]:
        assert (conv.choose_forward(x_shape, w_shape, *args) == "winograd2") is not xeon
    mnist = ((64, 64, 24, 24), (64, 32, 3, 3), (26, 26), (1, 1), ((0, 0), (0, 0)), (1, 1), 1, np.float32)
    flipped = conv.choose_backward_input(*mnist) == "flipped"
    assert flipped if not xeon else conv.choose_forward((64, 64, 24, 24), (32, 64, 3, 3), (1, 1), ((2, 2), (2, 2)),
                                                        (1, 1), 1, np.float32) != "winograd2"
    assert conv.choose_forward((16, 64, 28, 28), (64, 64, 3, 3), *args) == "winograd2"
    # F(4x4), below the highest precision, keeps the general rule
    assert conv.choose_forward((8, 32, 56, 56), (32, 32, 3, 3), *args[:5], "high") == "winograd4"


@pytest.mark.parametrize("xeon", [False, True])
def test_winograd_2x2_on_large_planes_needs_128_channels_on_a_xeon_with_avx512_fp16(monkeypatch, xeon):
    """There F(2x2) was measured slow on planes of 40x40 and more in calls of many tiles with fewer than 128
    channels (conv.XEON_WINOGRAD2_LARGE_PLANE): such a call (one shard of a split 8x64x56x56 batch) takes
    another algorithm in the forward and both gradients; few tiles, small planes or 128 channels keep F(2x2)."""
    monkeypatch.setattr(blas, "XEON_AVX512_FP16", xeon)
    same, one = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1, np.float32, "highest"), (1, 1)

    def picks(batch, channels, size):
        x_shape, w_shape, gy_shape = (batch, channels, size, size), (channels, channels, 3, 3), (batch, channels, size, size)
        flipped_padding = conv.flipped_padding((size, size), (size, size), (3, 3), ((1, 1), (1, 1)), one)
        return {conv.choose_forward(x_shape, w_shape, *same),
                conv.choose_backward_weight(gy_shape, x_shape, (3, 3), *same),
                conv.choose_forward(gy_shape, w_shape, one, flipped_padding, one, 1, np.float32)}  # input gradient

    for large in [(4, 64, 56), (2, 64, 112), (4, 96, 64)]:
        assert ("winograd2" in picks(*large)) is not xeon, large
    for kept in [(2, 64, 56), (8, 64, 28), (4, 128, 56)]:
        assert picks(*kept) == {"winograd2"}, kept
    assert conv.choose_forward((4, 64, 56, 56), (64, 64, 3, 3), *same[:5], "high") == "winograd4"


def test_input_gradient_with_many_tiles_is_a_flipped_winograd_convolution():
    """At "highest" float32 precision the flipped convolution by F(2x2) beats col2im from
    FLIPPED_WINOGRAD2_MIN_TILES tiles on (measured, see conv.py); with fewer, col2im keeps it."""
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1, np.float32, "highest")
    assert conv.choose_backward_input((8, 64, 56, 56), (64, 64, 3, 3), (56, 56), *args) == "flipped"
    assert conv.choose_backward_input((4, 256, 14, 14), (256, 256, 3, 3), (14, 14), *args) == "flipped"
    assert conv.choose_backward_input((2, 128, 16, 16), (128, 128, 3, 3), (16, 16), *args) == "col2im"


@pytest.mark.parametrize("shape", [(8, 32, 28, 28, 64), (8, 64, 30, 30, 64), (64, 16, 14, 14, 32)])
def test_default_float32_convolutions_pass_assert_close_against_pytorch(shape):
    """At the default precision every algorithm the dispatcher picks for float32 is as exact as a direct
    convolution: forward and both gradients agree with PyTorch within torch.testing.assert_close's
    float32 tolerances (Winograd F(4x4) failed this: ~1e-5 of max |y| off)."""
    torch = pytest.importorskip("torch")
    N, C, H, W, O = shape
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal((N, C, H, W), dtype=np.float32)
    w = (rng.standard_normal((O, C, 3, 3)) / np.sqrt(9 * C)).astype(np.float32)
    gy = rng.standard_normal((N, O, H, W), dtype=np.float32)
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    assert conv.choose_forward(x.shape, w.shape, *args, np.float32, "high") == "winograd4"  # the rule under test
    xt, wt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
    yt = torch.nn.functional.conv2d(xt, wt, padding=1)
    yt.backward(torch.from_numpy(gy))
    torch.testing.assert_close(torch.from_numpy(conv.conv2d_forward(x, w, *args)), yt.detach())
    torch.testing.assert_close(torch.from_numpy(conv.conv2d_backward_input(gy, w, (H, W), *args)), xt.grad)
    # The weight gradient sums N*H*W products: PyTorch's own float32 result is off by ~3e-6 of its
    # largest value; both must be that close to the float64 truth.
    truth = conv.conv2d_backward_weight(gy.astype(np.float64), x.astype(np.float64), (3, 3), *args,
                                        algorithm="im2col")
    scale = np.abs(truth).max()
    assert np.abs(conv.conv2d_backward_weight(gy, x, (3, 3), *args) - truth).max() <= 4e-6 * scale
    assert np.abs(wt.grad.numpy() - truth).max() <= 8e-6 * scale


def test_high_precision_allows_winograd_4x4_and_is_less_exact():
    """torchless.set_float32_matmul_precision("high") lets float32 take F(4x4); its result is then
    farther from the float64 truth than the default's (the reason for the default)."""
    import torchless
    rng = np.random.default_rng(7)
    x = rng.standard_normal((16, 32, 28, 28), dtype=np.float32)
    w = (rng.standard_normal((64, 32, 3, 3)) / np.sqrt(9 * 32)).astype(np.float32)
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    for images in (16, 8):  # whole, or each half when split over two threads
        assert conv.choose_forward((images, 32, 28, 28), w.shape, *args, np.float32, "high") == "winograd4"
    truth = reference_forward(x.astype(np.float64), w.astype(np.float64), *args)
    default = conv.conv2d_forward(x, w, *args)
    torchless.set_float32_matmul_precision("high")
    try:
        assert conv._float32_precision[0] == "high"
        fast = conv.conv2d_forward(x, w, *args)
    finally:
        torchless.set_float32_matmul_precision("highest")
    assert conv._float32_precision[0] == "highest"
    scale = np.abs(truth).max()
    default_error, fast_error = np.abs(default - truth).max() / scale, np.abs(fast - truth).max() / scale
    assert default_error < 1e-6 < fast_error < 1e-4


@FAST
@given(problem=conv_problems(), big_channels=st.booleans())
def test_dispatcher_only_picks_applicable_algorithms(problem, big_channels):
    C, O = (problem.C * 64, problem.O * 64) if big_channels else (problem.C, problem.O)
    x_shape, w_shape = (problem.N, C, problem.H, problem.W), (O, C // problem.groups, *problem.kernel)
    gy_shape = (problem.N, O, *problem.out_hw)
    hw = (problem.H, problem.W)
    name = conv.choose_forward(x_shape, w_shape, *problem.args)
    assert conv.FORWARD[name].applies(x_shape, w_shape, *problem.args)
    name = conv.choose_backward_input(gy_shape, w_shape, hw, *problem.args)
    assert conv.BACKWARD_INPUT[name].applies(gy_shape, w_shape, hw, *problem.args)
    name = conv.choose_backward_weight(gy_shape, x_shape, problem.kernel, *problem.args)
    assert conv.BACKWARD_WEIGHT[name].applies(gy_shape, x_shape, problem.kernel, *problem.args)


@pytest.mark.parametrize("lead, M, N, K", [((), 10, 45, 3 * GRAM_CHUNK + 17), ((2, 3), 5, 7, 2 * GRAM_CHUNK),
                                          ((16,), 64, 64, 5 * GRAM_CHUNK), ((), 3, 4, 100)])
def test_gram_matches_matmul_whether_or_not_it_splits_the_contraction(lead, M, N, K):
    rng = np.random.default_rng(K)
    a, b = rng.standard_normal((*lead, M, K)), rng.standard_normal((*lead, N, K))
    assert_close(gram(a, b), np.matmul(a, np.swapaxes(b, -1, -2)), np.float64)


@pytest.mark.parametrize("table, name", [(t, n) for t in ("FORWARD", "BACKWARD_INPUT", "BACKWARD_WEIGHT")
                                         for n in sorted(getattr(conv, t))])
def test_results_are_fresh_arrays_not_reused_scratch(table, name):
    """Kernels reuse internal buffers between calls; what they return must never be one of them."""
    algorithm = getattr(conv, table)[name]
    k = 1 if name == "pointwise" else 3
    pad = (k - 1) // 2
    args = ((1, 1), ((pad, pad), (pad, pad)), (1, 1), 1)

    def call(seed):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((2, 4, 9, 9)).astype(np.float32)
        w = rng.standard_normal((5, 4, k, k)).astype(np.float32)
        gy = rng.standard_normal((2, 5, 9, 9)).astype(np.float32)
        if table == "FORWARD":
            return algorithm.run(x, w, *args)
        if table == "BACKWARD_INPUT":
            return algorithm.run(gy, w, (9, 9), *args)
        return algorithm.run(gy, x, (k, k), *args)

    first = call(1)
    kept = first.copy()
    call(2)
    np.testing.assert_array_equal(first, kept)
    assert first.flags.c_contiguous and first.flags.writeable


@pytest.mark.parametrize("kernel, padding", [(3, 1), (1, 0)])
def test_empty_batch_gives_empty_output_and_zero_weight_gradient(kernel, padding):
    x = np.ones((0, 3, 5, 5), np.float32)
    w = np.ones((2, 3, kernel, kernel), np.float32)
    args = ((1, 1), ((padding, padding), (padding, padding)), (1, 1), 1)
    y = conv.conv2d_forward(x, w, *args)
    assert y.shape == (0, 2, 5, 5) and y.dtype == np.float32
    assert conv.conv2d_backward_input(y, w, (5, 5), *args).shape == (0, 3, 5, 5)
    gw = conv.conv2d_backward_weight(y, x, (kernel, kernel), *args)
    np.testing.assert_array_equal(gw, np.zeros((2, 3, kernel, kernel), np.float32))


def test_integer_inputs_stay_exact_even_where_floats_would_take_winograd():
    rng = np.random.default_rng(4)
    x = rng.integers(-3, 4, size=(11, 128, 20, 20))
    w = rng.integers(-3, 4, size=(128, 128, 3, 3))
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    assert conv.choose_forward(x.shape, w.shape, *args).startswith("winograd")  # for floats
    y = conv.conv2d_forward(x, w, *args)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, np.rint(reference_forward(x, w, *args)).astype(np.int64))
    gw = conv.conv2d_backward_weight(y[:, :, :, :] % 5, x, (3, 3), *args)
    np.testing.assert_array_equal(gw, np.rint(reference_backward_weight(y % 5, x, (3, 3), *args)).astype(np.int64))


def test_winograd_4x4_points_keep_float32_error_low():
    """F(4x4) interpolates at 0, +-1, 1/2, -2 (see winograd.py): in float32 its forward and weight gradient stay
    within 5e-6 of max |y| of a float64 reference on a 128-channel layer (Lavin & Gray's 0, +-1, +-2 gave
    8e-6 - 1.1e-5 there)."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((4, 128, 28, 28), dtype=np.float32)
    w = (rng.standard_normal((128, 128, 3, 3)) / np.sqrt(9 * 128)).astype(np.float32)
    gy = rng.standard_normal((4, 128, 28, 28), dtype=np.float32)
    padding = ((1, 1), (1, 1))
    args = ((1, 1), padding, (1, 1), 1)
    truth = reference_forward(x.astype(np.float64), w.astype(np.float64), *args)
    y = winograd.conv2d_forward_winograd(x, w, padding, 4)
    assert np.abs(y - truth).max() <= 5e-6 * np.abs(truth).max()
    weight_truth = conv.conv2d_backward_weight(gy.astype(np.float64), x.astype(np.float64), (3, 3), *args,
                                               algorithm="im2col")
    gw = winograd.conv2d_backward_weight_winograd(gy, x, padding, 4)
    assert np.abs(gw - weight_truth).max() <= 5e-6 * np.abs(weight_truth).max()
