"""Regressions of the thirty-seventh session's convolution gradient work (perfgrad37).

* The gathered weight gradient keeps each chunk's sum in its product's orientation and lays the total out as gw
  once (the same sums in the same order as before).
* The stacked rows' forward in cache-sized blocks of positions (im2col.conv2d_forward_rowstack_blocked), which an
  input gradient by the flipped convolution now runs: kernel row i's partial sums of a block are added into y at
  their place, earlier blocks' positions too, so the bits are those of the whole-batch stacked rows.
* On the Xeon with AVX512-FP16, an input gradient whose flipped convolution takes stacked rows flips at any size.
* The stacked rows' weight gradient zeroes only around gy's shifted copies in its reused scratch buffer.

Each check has an independent reference (a float64 direct convolution, or the whole-batch kernel's own bits), and
those with torch compare with it at run time.
"""

import numpy as np
import pytest

import torchless
from torchless._kernels import conv, gather, im2col, release_scratch
from helpers import direct_conv2d


def direct_gradients(gy, x, w, stride, padding, dilation, groups):
    """float64 (gx, gw) of the direct convolution, by the adjoint of each tap's slice (independent of torchless)."""
    gy, x, w = (np.asarray(a, np.float64) for a in (gy, x, w))
    N, C, H, W = x.shape
    O, Cg, kH, kW = w.shape
    (sH, sW), ((top, bottom), (left, right)), (dH, dW) = stride, padding, dilation
    xp = np.zeros((N, C, H + top + bottom, W + left + right))
    xp[:, :, top:top + H, left:left + W] = x
    gxp = np.zeros_like(xp)
    gw = np.zeros_like(w)
    Ho, Wo = gy.shape[2:]
    Og = O // groups
    for g in range(groups):
        channels, outputs = slice(g * Cg, (g + 1) * Cg), slice(g * Og, (g + 1) * Og)
        for i in range(kH):
            for j in range(kW):
                rows = slice(i * dH, i * dH + sH * (Ho - 1) + 1, sH)
                cols = slice(j * dW, j * dW + sW * (Wo - 1) + 1, sW)
                gw[outputs, :, i, j] = np.einsum("nohw,nchw->oc", gy[:, outputs], xp[:, channels, rows, cols])
                gxp[:, channels, rows, cols] += np.einsum("nohw,oc->nchw", gy[:, outputs], w[outputs, :, i, j])
    return gxp[:, :, top:top + H, left:left + W], gw


def assert_close_to_reference(actual, reference):
    """float32 results within float32 rounding of the float64 reference (relative to the result's size)."""
    scale = max(1.0, float(np.abs(reference).max()))
    np.testing.assert_allclose(actual, reference, rtol=0, atol=3e-6 * scale * 8)


def _arrays(N, C, H, W, O, kernel_hw, groups, seed, dtype=np.float32):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((O, C // groups, *kernel_hw)).astype(dtype)
    return x, w


# (N, C, H, W, O, (kH, kW), padding ((top, bottom), (left, right)), dilation, groups), stride 1
STRIDE_ONE = [
    (4, 3, 11, 9, 4, (3, 3), ((1, 1), (1, 1)), (1, 1), 1),
    (2, 4, 13, 10, 6, (7, 7), ((3, 3), (3, 3)), (1, 1), 1),      # 7x7: kernel rows spanning several blocks
    (3, 4, 12, 14, 4, (3, 3), ((2, 2), (2, 2)), (2, 2), 1),      # dilated
    (2, 6, 9, 11, 4, (3, 3), ((1, 1), (1, 1)), (1, 1), 2),       # groups
    (2, 4, 10, 9, 8, (3, 5), ((0, 2), (1, 3)), (1, 1), 4),       # uneven padding, 4 groups
    (3, 5, 8, 12, 3, (4, 2), ((0, 0), (0, 0)), (1, 2), 1),       # unpadded, uneven kernel and dilation
    (1, 3, 15, 7, 5, (5, 3), ((2, 2), (1, 1)), (1, 1), 1),       # one image
    (2, 3, 6, 5, 2, (3, 3), ((3, 2), (2, 3)), (1, 1), 1),        # padding past the kernel's span
]


def _shape_id(spec):
    N, C, H, W, O, (kH, kW), padding, dilation, groups = spec
    return f"{N}x{C}x{H}x{W}->{O}_k{kH}x{kW}_p{padding}_d{dilation}_g{groups}"


@pytest.mark.parametrize("block_bytes", [1, 2 ** 14, im2col.ROWSTACK_BLOCK_BYTES])
@pytest.mark.parametrize("spec", STRIDE_ONE, ids=_shape_id)
def test_blocked_stacked_rows_are_the_whole_stacked_rows(spec, block_bytes, monkeypatch):
    """In blocks of 256 positions up to one block for all (a budget of one byte gives the smallest, 256, fewer
    than 7x7's kernel rows span): the bits of the whole-batch stacked rows, with and without a bias, in float32
    and float64, and the float64 direct convolution's values."""
    monkeypatch.setattr(im2col, "ROWSTACK_BLOCK_BYTES", block_bytes)
    N, C, H, W, O, kernel_hw, padding, dilation, groups = spec
    for dtype in (np.float32, np.float64):
        x, w = _arrays(N, C, H, W, O, kernel_hw, groups, 1, dtype)
        bias = np.random.default_rng(2).standard_normal(O).astype(dtype)
        args = ((1, 1), padding, dilation, groups)
        for b in (None, bias):
            whole = im2col.conv2d_forward_rowstack(x, w, *args, bias=b)
            blocked = im2col.conv2d_forward_rowstack_blocked(x, w, *args, bias=b)
            assert blocked.dtype == whole.dtype == dtype and blocked.shape == whole.shape
            np.testing.assert_array_equal(blocked, whole)
            reference = direct_conv2d(x, w, *args) + (0 if b is None else b.astype(np.float64).reshape(1, -1, 1, 1))
            assert_close_to_reference(blocked, reference)


def test_blocked_stacked_rows_into_out_and_after_other_shapes():
    """Into a part of a larger result (as a split call hands it), nothing else touched; and a call after a larger
    problem left its data in the shared scratch buffers gives the same values."""
    big = _arrays(3, 8, 20, 20, 8, (5, 5), 1, 3)
    im2col.conv2d_forward_rowstack_blocked(*big, (1, 1), ((2, 2), (2, 2)), (1, 1), 1)
    x, w = _arrays(4, 3, 9, 8, 5, (3, 3), 1, 4)
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    whole = np.full((6, 5, 9, 8), 7.0, np.float32)
    result = im2col.conv2d_forward_rowstack_blocked(x, w, *args, out=whole[1:5])
    assert result.base is whole or np.shares_memory(result, whole)
    np.testing.assert_array_equal(whole[1:5], im2col.conv2d_forward_rowstack(x, w, *args))
    assert (whole[0] == 7).all() and (whole[5] == 7).all()
    assert_close_to_reference(whole[1:5], direct_conv2d(x, w, *args))


# Input gradients whose flipped convolution runs on stacked rows (gy (N, O, Ho, Wo) -> gx (N, C, H, W)): the
# classic MNIST CNN's conv2 shard, and shards of the benchmark's 8x64x56x56->64 and 64x32x14x14->64 (made smaller
# in H and W here where the dispatch allows, to keep the test short)
FLIPPED = [
    (32, 32, 26, 26, 64, (3, 3), ((0, 0), (0, 0)), (1, 1), 1),
    (4, 64, 40, 40, 64, (3, 3), ((1, 1), (1, 1)), (1, 1), 1),
    (32, 32, 14, 14, 64, (3, 3), ((1, 1), (1, 1)), (1, 1), 1),
    (2, 16, 40, 36, 32, (7, 7), ((3, 3), (3, 3)), (1, 1), 1),
    (8, 16, 30, 30, 32, (3, 3), ((2, 2), (2, 2)), (2, 2), 1),
    (8, 32, 24, 24, 32, (3, 3), ((1, 1), (1, 1)), (1, 1), 2),
]


@pytest.mark.parametrize("spec", FLIPPED, ids=_shape_id)
def test_flipped_input_gradient_against_direct_reference(spec):
    """The input gradient as dispatched, and through the flipped convolution's stacked rows in blocks, within float32
    rounding of the float64 direct convolution's adjoint; the blocks give the whole stacked rows' bits."""
    N, C, H, W, O, kernel_hw, padding, dilation, groups = spec
    x, w = _arrays(N, C, H, W, O, kernel_hw, groups, 5)
    args = ((1, 1), padding, dilation, groups)
    y_shape = (N, O) + im2col.conv_output_hw((H, W), kernel_hw, *args[:3])
    gy = np.random.default_rng(6).standard_normal(y_shape).astype(np.float32)
    reference, _ = direct_gradients(gy, x, w, *args)
    dispatched = conv.conv2d_backward_input(gy, w, (H, W), *args)
    assert dispatched.shape == x.shape and dispatched.dtype == np.float32
    assert_close_to_reference(dispatched, reference)
    blocked = conv.conv2d_backward_input_flipped(gy, w, (H, W), *args, forward_algorithm="rowstack_blocked")
    whole = conv.conv2d_backward_input_flipped(gy, w, (H, W), *args, forward_algorithm="rowstack")
    np.testing.assert_array_equal(blocked, whole)
    assert_close_to_reference(blocked, reference)


@pytest.mark.parametrize("gy_shape, w_shape, input_hw, padding", [
    ((4, 64, 56, 56), (64, 64, 3, 3), (56, 56), ((1, 1), (1, 1))),     # a shard of 8x64x56x56->64
    ((32, 64, 14, 14), (64, 32, 3, 3), (14, 14), ((1, 1), (1, 1))),    # a shard of 64x32x14x14->64
    ((16, 64, 28, 28), (64, 32, 3, 3), (28, 28), ((1, 1), (1, 1))),
    ((4, 32, 56, 56), (32, 32, 3, 3), (56, 56), ((1, 1), (1, 1))),
])
def test_xeon_flips_stacked_rows_at_any_size(gy_shape, w_shape, input_hw, padding, conv_rules):
    """Under the rules of the Xeon with AVX512-FP16 (pinned on any host), where the flipped convolution takes stacked
    rows and they pay (_stacked_rows_flip_pays), the input gradient flips below FLIPPED_MIN_PIXELS too (col2im
    before)."""
    conv_rules(xeon=True)
    args = ((1, 1), padding, (1, 1), 1)
    flipped_padding = conv.flipped_padding(gy_shape[2:], input_hw, w_shape[2:], padding, (1, 1))
    flipped_w_shape = (w_shape[1], w_shape[0], *w_shape[2:])
    forward = conv.choose_forward(gy_shape, flipped_w_shape, (1, 1), flipped_padding, (1, 1), 1, np.float32)
    assert forward in ("rowstack", "rowstack_blocked")
    assert gy_shape[0] * input_hw[0] * input_hw[1] < conv.FLIPPED_MIN_PIXELS
    assert conv.choose_backward_input(gy_shape, w_shape, input_hw, *args, np.float32) == "flipped"


# Weight gradients by gathered columns (chunked over the images, each chunk's product in either orientation)
GATHERED_WEIGHT = [
    (32, 32, 26, 26, 64, (3, 3), ((0, 0), (0, 0)), (1, 1), 1, (1, 1)),   # the MNIST conv2 shard: 16 chunks
    (32, 32, 14, 14, 64, (3, 3), ((1, 1), (1, 1)), (1, 1), 1, (1, 1)),
    (16, 5, 14, 14, 10, (3, 3), ((1, 1), (1, 1)), (1, 1), 1, (1, 1)),    # few rows: gy @ columns^T
    (8, 16, 20, 18, 32, (3, 3), ((1, 1), (1, 1)), (1, 1), 2, (2, 2)),    # stride 2, groups
    (6, 8, 17, 15, 24, (3, 3), ((2, 1), (0, 2)), (2, 1), 1, (1, 1)),     # dilated, uneven padding
]


@pytest.mark.parametrize("spec", GATHERED_WEIGHT, ids=lambda s: _shape_id(s[:9]) + f"_s{s[9]}")
def test_gathered_weight_gradient_against_direct_reference(spec, monkeypatch):
    """Within float32 rounding of the float64 direct convolution's weight gradient, in chunks of 1 MiB and of 64
    KiB (many more chunks); the same bits on a second call (deterministic, the forward's columns reused or not)."""
    N, C, H, W, O, kernel_hw, padding, dilation, groups, stride = spec
    x, w = _arrays(N, C, H, W, O, kernel_hw, groups, 7)
    args = (stride, padding, dilation, groups)
    y_shape = (N, O) + im2col.conv_output_hw((H, W), kernel_hw, stride, padding, dilation)
    gy = np.random.default_rng(8).standard_normal(y_shape).astype(np.float32)
    _, reference = direct_gradients(gy, x, w, *args)
    for chunk_bytes in (gather.CHUNK_BYTES, 2 ** 16):
        monkeypatch.setattr(gather, "CHUNK_BYTES", chunk_bytes)
        gather.conv2d_forward_gather(x, w, *args)
        first = gather.conv2d_backward_weight_gather(gy, x, kernel_hw, *args)
        again = gather.conv2d_backward_weight_gather(gy, x, kernel_hw, *args)
        assert first.shape == w.shape and first.dtype == np.float32 and first.flags.c_contiguous
        np.testing.assert_array_equal(first, again)
        assert_close_to_reference(first, reference)


@pytest.mark.parametrize("spec", [
    (4, 32, 20, 20, 32, (7, 7), ((3, 3), (3, 3)), (1, 1), 1),
    (3, 8, 16, 12, 16, (5, 5), ((2, 2), (1, 3)), (1, 1), 2),
    (2, 6, 14, 13, 4, (3, 3), ((1, 1), (1, 1)), (2, 2), 1),
], ids=_shape_id)
def test_stacked_rows_weight_gradient_after_a_larger_problem(spec):
    """The shifted gy's scratch buffer holds a larger problem's values (no zero fill any more): the weight gradient
    still within float32 rounding of the float64 direct reference, and the same as from fresh buffers."""
    N, C, H, W, O, kernel_hw, padding, dilation, groups = spec
    x, w = _arrays(N, C, H, W, O, kernel_hw, groups, 9)
    args = ((1, 1), padding, dilation, groups)
    y_shape = (N, O) + im2col.conv_output_hw((H, W), kernel_hw, (1, 1), padding, dilation)
    gy = np.random.default_rng(10).standard_normal(y_shape).astype(np.float32)
    release_scratch()
    fresh = im2col.conv2d_backward_weight_rowstack(gy, x, kernel_hw, *args)
    bx, bw = _arrays(4, 40, 24, 24, 40, (7, 7), 1, 11)
    big_gy = np.random.default_rng(12).standard_normal((4, 40, 24, 24)).astype(np.float32) + 5
    im2col.conv2d_backward_weight_rowstack(big_gy, bx, (7, 7), (1, 1), ((3, 3), (3, 3)), (1, 1), 1)
    after = im2col.conv2d_backward_weight_rowstack(gy, x, kernel_hw, *args)
    np.testing.assert_array_equal(after, fresh)
    _, reference = direct_gradients(gy, x, w, *args)
    assert_close_to_reference(after, reference)


# --------------------------------------------------------------------------- against PyTorch

TORCH_CASES = [
    # (N, C, H, W, O, k, stride, padding, dilation, groups)
    (64, 32, 26, 26, 64, 3, 1, 0, 1, 1),     # the classic MNIST CNN's conv2 (split in two shards)
    (64, 32, 14, 14, 64, 3, 1, 1, 1, 1),     # a benchmark case
    (8, 64, 28, 28, 64, 3, 1, 1, 1, 1),
    (4, 16, 32, 32, 16, 7, 1, 3, 1, 1),
    (8, 16, 30, 30, 32, 3, 1, 2, 2, 1),
    (8, 32, 24, 24, 32, 3, 1, 1, 1, 2),
    (8, 16, 21, 19, 32, 3, 2, 1, 1, 1),
    (2, 8, 17, 23, 12, (5, 3), 1, (2, 1), 1, 1),
]


@pytest.mark.parametrize("case", TORCH_CASES, ids=str)
def test_convolution_gradients_against_torch(case):
    """F.conv2d with a bias, input and weight requiring grad: output and the three gradients as PyTorch's."""
    torch = pytest.importorskip("torch")
    N, C, H, W, O, k, stride, padding, dilation, groups = case
    kernel_hw = k if isinstance(k, tuple) else (k, k)
    x, w = _arrays(N, C, H, W, O, kernel_hw, groups, 13)
    rng = np.random.default_rng(14)
    b = rng.standard_normal(O).astype(np.float32)
    results = []
    for lib in (torchless, torch):
        xt, wt, bt = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        y = lib.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=padding, dilation=dilation, groups=groups)
        gy = lib.tensor(np.random.default_rng(15).standard_normal(tuple(y.shape)).astype(np.float32))
        y.backward(gy)
        results.append([t.detach().numpy() for t in (y, xt.grad, wt.grad, bt.grad)])
    for ours, theirs in zip(*results):
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        scale = max(1.0, float(np.abs(theirs).max()))
        torch.testing.assert_close(torch.from_numpy(ours), torch.from_numpy(theirs), rtol=2e-5, atol=2e-5 * scale)


def test_mnist_cnn_gradients_against_torch():
    """The classic MNIST CNN (conv 1->32, conv 32->64, max-pool, linear layers; no dropout) on a batch of 64 from the
    same weights: the loss and every parameter's gradient as PyTorch's."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(16)
    images = rng.random((64, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 64)
    shapes = {"conv1.weight": (32, 1, 3, 3), "conv1.bias": (32,), "conv2.weight": (64, 32, 3, 3), "conv2.bias": (64,),
              "fc1.weight": (128, 9216), "fc1.bias": (128,), "fc2.weight": (10, 128), "fc2.bias": (10,)}
    weights = {name: (rng.standard_normal(shape) * 0.05).astype(np.float32) for name, shape in shapes.items()}
    results = []
    for lib in (torchless, torch):
        F = lib.nn.functional
        p = {name: lib.tensor(value, requires_grad=True) for name, value in weights.items()}
        x = F.relu(F.conv2d(lib.tensor(images), p["conv1.weight"], p["conv1.bias"]))
        x = F.max_pool2d(F.relu(F.conv2d(x, p["conv2.weight"], p["conv2.bias"])), 2).flatten(1)
        x = F.linear(F.relu(F.linear(x, p["fc1.weight"], p["fc1.bias"])), p["fc2.weight"], p["fc2.bias"])
        loss = F.cross_entropy(x, lib.tensor(labels))
        loss.backward()
        results.append([loss.detach().numpy()] + [p[name].grad.numpy() for name in shapes])
    for ours, theirs in zip(*results):
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        scale = max(1e-3, float(np.abs(theirs).max()))
        torch.testing.assert_close(torch.from_numpy(ours), torch.from_numpy(theirs), rtol=1e-4, atol=1e-4 * scale)
