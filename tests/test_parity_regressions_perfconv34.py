"""Stride-1 gathered columns built from shifted copies of the input (perfconv34).

The gathered-columns convolution takes, from 32768 column entries on, its stride-1 columns from kW copies of
the input each shifted by one tap column (gather.column_layout "shifted"): the exact output grid, so the GEMM
writes y itself. These tests hold that layout to a float64 direct convolution written here (any padding,
asymmetric too, dilation, groups, chunked batches, bias or not) and to PyTorch at run time.
"""

import numpy as np
import pytest

import torchless
from torchless._kernels import conv, gather


def reference_conv(x, w, padding, dilation, groups, bias=None):
    """float64 direct cross-correlation, stride 1: a sum over the kernel's taps of shifted windows."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    (top, bottom), (left, right) = padding
    dH, dW = dilation
    N, C, H, W = x.shape
    O, Cg, kH, kW = w.shape
    xp = np.zeros((N, C, H + top + bottom, W + left + right))
    xp[:, :, top:top + H, left:left + W] = x
    Ho, Wo = xp.shape[2] - dH * (kH - 1), xp.shape[3] - dW * (kW - 1)
    Og = O // groups
    y = np.zeros((N, O, Ho, Wo))
    for g in range(groups):
        xg = xp[:, g * Cg:(g + 1) * Cg]
        for i in range(kH):
            for j in range(kW):
                window = xg[:, :, i * dH:i * dH + Ho, j * dW:j * dW + Wo]
                y[:, g * Og:(g + 1) * Og] += np.einsum("nchw,oc->nohw", window, w[g * Og:(g + 1) * Og, :, i, j])
    if bias is not None:
        y += np.asarray(bias, np.float64).reshape(1, -1, 1, 1)
    return y


def reference_weight_gradient(gy, x, kernel_hw, padding, dilation, groups):
    """float64 weight gradient of the stride-1 cross-correlation: each tap's window against gy."""
    gy, x = np.asarray(gy, np.float64), np.asarray(x, np.float64)
    (top, bottom), (left, right) = padding
    dH, dW = dilation
    N, C, H, W = x.shape
    O, Ho, Wo = gy.shape[1:]
    kH, kW = kernel_hw
    Cg, Og = C // groups, O // groups
    xp = np.zeros((N, C, H + top + bottom, W + left + right))
    xp[:, :, top:top + H, left:left + W] = x
    gw = np.zeros((O, Cg, kH, kW))
    for g in range(groups):
        for i in range(kH):
            for j in range(kW):
                window = xp[:, g * Cg:(g + 1) * Cg, i * dH:i * dH + Ho, j * dW:j * dW + Wo]
                gw[g * Og:(g + 1) * Og, :, i, j] = np.einsum("nohw,nchw->oc", gy[:, g * Og:(g + 1) * Og], window)
    return gw


def assert_float32_close(actual, expected, scale_of=None):
    """Within float32 rounding of a sum of products: relative to the largest reference value."""
    expected = np.asarray(expected, np.float64)
    scale = np.abs(expected if scale_of is None else scale_of).max(initial=1.0)
    assert actual.dtype == np.float32
    assert actual.shape == expected.shape
    error = np.abs(actual.astype(np.float64) - expected).max(initial=0.0)
    assert error <= 2e-6 * max(scale, 1.0), error


# (N, C, H, W, O, kernel_hw, padding, dilation, groups): all stride 1 with at least 32768 column entries, so
# the shifted columns are taken; asymmetric, one-sided, zero and wider-than-kernel paddings, dilations, groups.
SHIFTED_PROBLEMS = [
    (64, 5, 14, 14, 10, (3, 3), ((1, 1), (1, 1)), (1, 1), 1),      # the course CNN's second layer
    (64, 1, 28, 28, 5, (3, 3), ((1, 1), (1, 1)), (1, 1), 1),       # its first
    (10, 1, 28, 28, 6, (3, 3), ((1, 1), (1, 1)), (1, 1), 1),
    (16, 1, 28, 28, 32, (3, 3), ((0, 0), (0, 0)), (1, 1), 1),      # classic MNIST conv1, unpadded
    (4, 32, 26, 26, 64, (3, 3), ((0, 0), (0, 0)), (1, 1), 1),      # classic MNIST conv2
    (8, 4, 20, 17, 8, (3, 5), ((2, 0), (0, 3)), (1, 1), 1),        # asymmetric padding
    (6, 6, 19, 23, 12, (3, 3), ((1, 1), (2, 2)), (2, 3), 2),       # dilation and groups
    (8, 3, 16, 16, 9, (5, 5), ((2, 2), (2, 2)), (1, 1), 3),        # one channel per group, 5x5
    (8, 2, 30, 12, 64, (2, 4), ((0, 1), (4, 0)), (1, 2), 1),       # padding wider than a kernel side
    (67, 5, 14, 14, 10, (3, 3), ((1, 1), (1, 1)), (1, 1), 1),      # chunks of images, the last shorter
    (4, 7, 40, 9, 30, (1, 3), ((0, 0), (3, 3)), (1, 1), 1),        # one-row kernel, columns past x's width
]


def problem_arrays(problem, seed, bias=True):
    N, C, H, W, O, (kH, kW), padding, dilation, groups = problem
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    w = rng.standard_normal((O, C // groups, kH, kW)).astype(np.float32)
    b = rng.standard_normal(O).astype(np.float32) if bias else None
    return x, w, b


@pytest.mark.parametrize("problem", SHIFTED_PROBLEMS)
def test_shifted_layout_is_taken(problem):
    N, C, H, W, O, kernel_hw, padding, dilation, groups = problem
    w_shape = (O, C // groups, *kernel_hw)
    assert gather.column_layout((N, C, H, W), w_shape, (1, 1), padding, dilation, groups) == "shifted"
    plan = gather.GatherPlan((N, C, H, W), np.dtype(np.float32), kernel_hw, (1, 1), padding, dilation, groups,
                             "shifted")
    assert plan.shifted and not plan.pitched
    # the exact output grid: no positions past a row's end
    assert plan.row_length == plan.out_hw[1]


def test_small_outputs_and_strides_keep_their_layouts():
    # batch-1 inference of small layers keeps pitched columns or the exact grid (see gather.SHIFTED_MIN_COLUMNS)
    assert gather.column_layout((1, 1, 28, 28), (5, 1, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1) == "pitched"
    assert gather.column_layout((1, 5, 14, 14), (10, 5, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1) == "pitched"
    assert gather.column_layout((1, 1, 14, 14), (32, 1, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1) == "grid"
    assert gather.column_layout((1, 1, 28, 28), (32, 1, 3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), 1) == "grid"
    assert gather.column_layout((1, 32, 26, 26), (64, 32, 3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), 1) == "shifted"
    # strided convolutions read the exact grid
    assert gather.column_layout((64, 5, 28, 28), (10, 5, 3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), 1) == "grid"
    assert gather.column_layout((64, 5, 28, 28), (10, 5, 3, 3), (1, 2), ((1, 1), (1, 1)), (1, 1), 1) == "grid"


@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("index", range(len(SHIFTED_PROBLEMS)))
def test_shifted_forward_and_weight_gradient_match_float64(index, with_bias):
    problem = SHIFTED_PROBLEMS[index]
    N, C, H, W, O, kernel_hw, padding, dilation, groups = problem
    x, w, b = problem_arrays(problem, index, with_bias)
    expected = reference_conv(x, w, padding, dilation, groups, b)
    y = gather.conv2d_forward_gather(x, w, (1, 1), padding, dilation, groups, bias=b)
    assert_float32_close(y, expected)
    gy = np.random.default_rng(100 + index).standard_normal(y.shape).astype(np.float32)
    # right after the forward (its columns reused), then from a fresh copy of x (gathered again)
    for source in (x, x.copy()):
        gw = gather.conv2d_backward_weight_gather(gy, source, kernel_hw, (1, 1), padding, dilation, groups)
        assert_float32_close(gw, reference_weight_gradient(gy, x, kernel_hw, padding, dilation, groups))
    gather.release_plans()


def test_shifted_columns_follow_a_changed_input():
    """A plan's shifted planes keep their zero borders: a second input, and a third with other values at
    the borders, give their own results (nothing of the earlier input stays in the columns)."""
    problem = SHIFTED_PROBLEMS[5]
    N, C, H, W, O, kernel_hw, padding, dilation, groups = problem
    x1, w, b = problem_arrays(problem, 1)
    x2 = np.full_like(x1, 1e3)
    x3 = -x1
    for x in (x1, x2, x3, x1):
        y = gather.conv2d_forward_gather(x, w, (1, 1), padding, dilation, groups, bias=b)
        expected = reference_conv(x, w, padding, dilation, groups, b)
        assert_float32_close(y, expected)
    gather.release_plans()


def test_non_contiguous_input_through_shifted_columns():
    """An input viewed from channels-last memory (not C-contiguous) is copied into the shifted planes as is."""
    rng = np.random.default_rng(4)
    x = np.ascontiguousarray(rng.standard_normal((16, 12, 12, 8)).astype(np.float32)).transpose(0, 3, 1, 2)
    w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
    padding = ((1, 1), (1, 1))
    assert not x.flags.c_contiguous
    assert gather.column_layout(x.shape, w.shape, (1, 1), padding, (1, 1), 1) == "shifted"
    y = gather.conv2d_forward_gather(x, w, (1, 1), padding, (1, 1), 1)
    assert_float32_close(y, reference_conv(x, w, padding, (1, 1), 1))
    gather.release_plans()


def test_batch_sizes_across_the_layout_threshold():
    """Batches of 2 to 40 images of one layer: pitched below SHIFTED_MIN_COLUMNS column entries, shifted from
    there, and in chunks of images from 35 on; every one against the float64 reference."""
    rng = np.random.default_rng(9)
    w = rng.standard_normal((8, 4, 3, 3)).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    padding = ((1, 1), (1, 1))
    layouts = set()
    for N in range(2, 41, 3):
        x = rng.standard_normal((N, 4, 12, 12)).astype(np.float32)
        layouts.add(gather.column_layout(x.shape, w.shape, (1, 1), padding, (1, 1), 1))
        y = gather.conv2d_forward_gather(x, w, (1, 1), padding, (1, 1), 1, bias=b)
        assert_float32_close(y, reference_conv(x, w, padding, (1, 1), 1, b))
        gy = rng.standard_normal(y.shape).astype(np.float32)
        gw = gather.conv2d_backward_weight_gather(gy, x, (3, 3), (1, 1), padding, (1, 1), 1)
        assert_float32_close(gw, reference_weight_gradient(gy, x, (3, 3), padding, (1, 1), 1))
    assert layouts == {"pitched", "shifted"}
    gather.release_plans()


def test_shifted_input_gradient_through_the_flipped_convolution():
    """The input gradient of a stride-1 layer into 8+ channels runs as the flipped forward convolution by
    gathered columns (shifted here too): against the float64 adjoint."""
    N, C, H, W, O = 16, 8, 14, 14, 16
    rng = np.random.default_rng(7)
    w = rng.standard_normal((O, C, 3, 3)).astype(np.float32)
    gy = rng.standard_normal((N, O, H, W)).astype(np.float32)
    padding = ((1, 1), (1, 1))
    assert conv.choose_backward_input(gy.shape, w.shape, (H, W), (1, 1), padding, (1, 1), 1, np.float32) == "flipped"
    gx = conv.conv2d_backward_input(gy, w, (H, W), (1, 1), padding, (1, 1), 1)
    flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    assert_float32_close(gx, reference_conv(gy, flipped, padding, (1, 1), 1))


# --------------------------------------------------------------------------- against PyTorch at run time


@pytest.mark.parametrize("index", range(len(SHIFTED_PROBLEMS)))
def test_shifted_conv2d_matches_torch(index):
    torch = pytest.importorskip("torch")
    problem = SHIFTED_PROBLEMS[index]
    N, C, H, W, O, kernel_hw, ((top, bottom), (left, right)), dilation, groups = problem
    x, w, b = problem_arrays(problem, 50 + index)
    gy = np.random.default_rng(index).standard_normal(
        reference_conv(x[:1], w, ((top, bottom), (left, right)), dilation, groups).shape[1:]).astype(np.float32)

    def run(lib):
        xt = lib.tensor(x, requires_grad=True)
        wt = lib.tensor(w, requires_grad=True)
        bt = lib.tensor(b, requires_grad=True)
        padded = lib.nn.functional.pad(xt, (left, right, top, bottom))
        y = lib.nn.functional.conv2d(padded, wt, bt, dilation=dilation, groups=groups)
        (y * lib.tensor(gy)).sum().backward()
        return [t.detach().numpy() for t in (y, xt.grad, wt.grad, bt.grad)]

    for ours, theirs in zip(run(torchless), run(torch)):
        # float32 sums of up to 1000s of products (the weight and bias gradients): within 1e-5 of the largest
        torch.testing.assert_close(torch.from_numpy(ours), torch.from_numpy(theirs), rtol=1e-5,
                                   atol=1e-5 * float(np.abs(theirs).max()))


def test_course_cnn_layers_match_torch_module_path():
    """nn.Conv2d with padding=1 (the course CNN's layers) through the module, forward and both gradients."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for (N, C, O) in [(64, 1, 5), (64, 5, 10)]:
        size = 28 if C == 1 else 14
        x = rng.random((N, C, size, size), dtype=np.float32)
        torch.manual_seed(0)
        theirs = torch.nn.Conv2d(C, O, 3, padding=1)
        ours = torchless.nn.Conv2d(C, O, 3, padding=1)
        ours.load_state_dict({k: torchless.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
        results = []
        for lib, module in ((torchless, ours), (torch, theirs)):
            xt = lib.tensor(x, requires_grad=True)
            y = module(xt)
            (y.square().sum() / 2).backward()
            results.append([y.detach().numpy(), xt.grad.numpy(), module.weight.grad.numpy(),
                            module.bias.grad.numpy()])
        for a, e in zip(*results):
            torch.testing.assert_close(torch.from_numpy(a), torch.from_numpy(e), rtol=1e-5, atol=1e-4)


def test_non_finite_input_through_shifted_columns_matches_torch():
    """An inf and a NaN in the input spread to exactly the outputs whose windows hold them (the shifted planes'
    zero borders are not multiplied with them)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    x = rng.standard_normal((64, 5, 14, 14)).astype(np.float32)
    x[3, 2, 0, 13] = np.inf
    x[40, 4, 7, 0] = np.nan
    w = rng.standard_normal((10, 5, 3, 3)).astype(np.float32)
    b = rng.standard_normal(10).astype(np.float32)
    ours = torchless.nn.functional.conv2d(torchless.tensor(x), torchless.tensor(w), torchless.tensor(b),
                                          padding=1).numpy()
    theirs = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), padding=1).numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(theirs))
    finite = np.isfinite(theirs)
    torch.testing.assert_close(torch.from_numpy(ours[finite]), torch.from_numpy(theirs[finite]))
