"""Max pooling's forward and backward split over the cores (session 36, poolsplit36).

Split (forced here for small shapes) or whole, the input gradient is bit for bit PyTorch's and a float64
first-principles reference's, over shapes, kernels, strides, paddings, dilations, ceil_mode, channels-last, the
ReLU-masked backward, dtypes, ties and non-finite gradients; also at the classic MNIST CNN's pool size.
"""

import itertools

import numpy as np
import pytest

import torchless
import torchless.nn.functional as F
from helpers import pool_output_size
from torchless._kernels import blas, parallel

needs_threadpoolctl = pytest.mark.skipif(not blas.thread_controls(), reason="splitting needs threadpoolctl")


@pytest.fixture
def split_everything(monkeypatch):
    """Split every max-pool call, however small, over two threads."""
    monkeypatch.setattr(parallel, "MIN_PARALLEL_FLOP", 0)
    previous = parallel.get_num_threads()
    parallel.set_num_threads(2)
    yield
    parallel.set_num_threads(previous)


def reference_max_pool_backward(x, gy, kernel, stride, padding, dilation, ceil_mode):
    """float64 gradient of max pooling from its definition: each window's gradient goes to the first of its
    in-bounds taps holding the window's maximum (a NaN wins, the last one, as PyTorch's CPU kernel)."""
    N, C, H, W = x.shape
    (kH, kW), (sH, sW), (pH, pW), (dH, dW) = kernel, stride, padding, dilation
    Ho, Wo = pool_output_size(H, kH, sH, pH, dH, ceil_mode), pool_output_size(W, kW, sW, pW, dW, ceil_mode)
    assert gy.shape == (N, C, Ho, Wo)
    gx = np.zeros(x.shape, np.float64)
    for n, c, i, j in itertools.product(range(N), range(C), range(Ho), range(Wo)):
        best, where = None, None
        for a, b in itertools.product(range(kH), range(kW)):
            r, q = i * sH - pH + a * dH, j * sW - pW + b * dW
            if not (0 <= r < H and 0 <= q < W):
                continue
            v = x[n, c, r, q]
            if best is None or v > best or np.isnan(v):
                best, where = v, (r, q)
        if where is not None:
            gx[n, c, where[0], where[1]] += np.float64(gy[n, c, i, j])
    return gx


# (input shape, kernel, stride, padding, dilation, ceil_mode)
CASES = [
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), (1, 1), False),     # tiling 2x2: the pairs kernel
    ((2, 3, 9, 7), (2, 2), (2, 2), (0, 0), (1, 1), True),      # ceil mode past the edge
    ((3, 2, 9, 9), (3, 3), (2, 2), (1, 1), (1, 1), False),     # overlapping windows: accumulated
    ((2, 2, 10, 11), (3, 2), (1, 2), (1, 0), (1, 1), True),
    ((2, 3, 11, 9), (2, 3), (2, 1), (1, 1), (2, 2), False),    # dilation
    ((1, 5, 7, 7), (3, 3), (3, 3), (0, 0), (1, 1), True),      # tiling 3x3, ceil mode
    ((3, 1, 6, 12), (1, 4), (1, 4), (0, 0), (1, 1), False),
    ((2, 2, 12, 12), (4, 4), (2, 3), (2, 1), (1, 1), True),
]


def _inputs(shape, Ho_Wo, seed, ties):
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, shape).astype(np.float32) if ties else rng.standard_normal(shape, dtype=np.float32)
    gy = rng.standard_normal(shape[:2] + Ho_Wo, dtype=np.float32)
    return x, gy


def _out_hw(shape, kernel, stride, padding, dilation, ceil_mode):
    return tuple(pool_output_size(shape[2 + a], kernel[a], stride[a], padding[a], dilation[a], ceil_mode)
                 for a in (0, 1))


def _torchless_grad(x, gy, kernel, stride, padding, dilation, ceil_mode, channels_last=False, after_relu=False):
    xt = torchless.tensor(x)
    if channels_last:
        xt = xt.contiguous(memory_format=torchless.channels_last)
    xt.requires_grad_(True)
    y = F.max_pool2d(F.relu(xt) if after_relu else xt, kernel, stride, padding, dilation, ceil_mode)
    y.backward(torchless.tensor(gy))
    return xt.grad.numpy()


def _torch_grad(torch, x, gy, kernel, stride, padding, dilation, ceil_mode, channels_last=False, after_relu=False):
    xt = torch.tensor(x)
    if channels_last:
        xt = xt.contiguous(memory_format=torch.channels_last)
    xt.requires_grad_(True)
    y = torch.nn.functional.max_pool2d(torch.relu(xt) if after_relu else xt, kernel, stride, padding, dilation,
                                       ceil_mode)
    y.backward(torch.tensor(gy))
    return xt.grad.numpy()


# ------------------------------------------------------------------ independent reference (no torch)
@needs_threadpoolctl
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("ties", [False, True])
def test_split_backward_matches_float64_reference(split_everything, case, ties):
    shape, kernel, stride, padding, dilation, ceil_mode = case
    x, gy = _inputs(shape, _out_hw(*case), 1, ties)
    got = _torchless_grad(x, gy, kernel, stride, padding, dilation, ceil_mode)
    want = reference_max_pool_backward(x, gy, kernel, stride, padding, dilation, ceil_mode)
    # float32 sums of at most a few window gradients: the reference rounded to float32 agrees to a few ulps
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert got.dtype == np.float32


@needs_threadpoolctl
@pytest.mark.parametrize("case", CASES)
def test_split_and_whole_backward_are_bit_identical(case, monkeypatch):
    shape, kernel, stride, padding, dilation, ceil_mode = case
    x, gy = _inputs(shape, _out_hw(*case), 2, ties=True)
    gy.reshape(-1)[::7] = np.inf
    gy.reshape(-1)[3::11] = np.nan
    gy.reshape(-1)[5::13] = -0.0
    previous = parallel.get_num_threads()
    try:
        parallel.set_num_threads(1)
        whole = _torchless_grad(x, gy, kernel, stride, padding, dilation, ceil_mode)
        parallel.set_num_threads(2)
        monkeypatch.setattr(parallel, "MIN_PARALLEL_FLOP", 0)
        calls = []
        run_shards = parallel.run_shards
        monkeypatch.setattr(parallel, "run_shards", lambda f, args: calls.append(len(args)) or run_shards(f, args))
        split = _torchless_grad(x, gy, kernel, stride, padding, dilation, ceil_mode)
    finally:
        parallel.set_num_threads(previous)
    assert calls == [2, 2]  # forward and backward both split
    np.testing.assert_array_equal(split.view(np.uint32), whole.view(np.uint32))


# ------------------------------------------------------------------ against PyTorch
@needs_threadpoolctl
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("after_relu", [False, True])
def test_split_backward_bit_identical_to_torch(split_everything, case, channels_last, after_relu):
    torch = pytest.importorskip("torch")
    shape, kernel, stride, padding, dilation, ceil_mode = case
    x, gy = _inputs(shape, _out_hw(*case), 3, ties=True)
    gy.reshape(-1)[::9] = -np.inf
    gy.reshape(-1)[4::17] = np.nan
    args = (x, gy, kernel, stride, padding, dilation, ceil_mode, channels_last, after_relu)
    got, want = _torchless_grad(*args), _torch_grad(torch, *args)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
    assert got.strides == want.strides


@needs_threadpoolctl
@pytest.mark.parametrize("dtype", ["float64", "float16"])
@pytest.mark.parametrize("case", [CASES[0], CASES[2], CASES[5]])
def test_split_backward_other_dtypes_bit_identical_to_torch(split_everything, case, dtype):
    torch = pytest.importorskip("torch")
    shape, kernel, stride, padding, dilation, ceil_mode = case
    x, gy = _inputs(shape, _out_hw(*case), 4, ties=True)
    xt, gt = torchless.tensor(x.astype(dtype), requires_grad=True), torchless.tensor(gy.astype(dtype))
    F.max_pool2d(xt, kernel, stride, padding, dilation, ceil_mode).backward(gt)
    xr = torch.tensor(x.astype(dtype), requires_grad=True)
    torch.nn.functional.max_pool2d(xr, kernel, stride, padding, dilation, ceil_mode).backward(torch.tensor(
        gy.astype(dtype)))
    bits = np.dtype(f"u{np.dtype(dtype).itemsize}")
    np.testing.assert_array_equal(xt.grad.numpy().view(bits), xr.grad.numpy().view(bits))


def test_mnist_sized_backward_bit_identical_to_torch_and_whole():
    """At the real size the split happens with the default threshold (when splitting is possible at all)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = np.maximum(rng.standard_normal((64, 64, 24, 24), dtype=np.float32), 0)  # a ReLU's output: many ties at 0
    gy = rng.standard_normal((64, 64, 12, 12), dtype=np.float32)
    got = _torchless_grad(x, gy, (2, 2), (2, 2), (0, 0), (1, 1), False, after_relu=True)
    want = _torch_grad(torch, x, gy, (2, 2), (2, 2), (0, 0), (1, 1), False, after_relu=True)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
    previous = parallel.get_num_threads()
    try:
        parallel.set_num_threads(1)
        whole = _torchless_grad(x, gy, (2, 2), (2, 2), (0, 0), (1, 1), False, after_relu=True)
    finally:
        parallel.set_num_threads(previous)
    np.testing.assert_array_equal(got.view(np.uint32), whole.view(np.uint32))
