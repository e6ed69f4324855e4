"""Regressions of the thirty-ninth session's MNIST-step work (perfmnist39): fewer hand-offs to the helper thread.

* ``parallel.run_shards(..., meanwhile=f)``: the caller's own independent work ``f`` runs on the calling thread right
  after the hand-off (while an idle helper wakes), or first when the call runs whole; its exception is raised after
  every shard has finished.
* A convolution whose batch is split computes each shard's weight AND input gradients in one split call
  (``conv._backward_both_whole``), the bias's gradient summed meanwhile: the same shards and code as the two
  separate split calls, so the same bits.
* A linear layer whose products are split computes its input and weight gradients in one split call
  (``blas.matmuls``), the bias's gradient meanwhile: the same products.
* Adam runs a group's updates after its loop, the small parameters' while the helper wakes for the first large one's
  split: each update computes what it did alone.
* Max pooling of a ReLU of such a convolution hands it its input gradient to compute (the ReLU's mask at the pooled
  resolution, then the pooling's backward), each shard its own images' part right before their gradients, where
  nothing else sees that gradient (no hooks, retain_grad, other uses, roots, anomaly detection): the same bits.

Each check has an independent reference (a float64 direct computation, or the separate calls' own bits from before
the change), and those with torch compare with it at run time.
"""

import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

import torchless
from torchless._kernels import blas, conv, parallel


@pytest.fixture
def two_threads():
    previous = torchless.get_num_threads()
    torchless.set_num_threads(2)
    yield
    torchless.set_num_threads(previous)


@pytest.fixture
def small_splits(monkeypatch, two_threads):
    """Small convolutions split over the batch too (many shapes checked quickly)."""
    monkeypatch.setattr(conv, "CONV_SPLIT_MIN_FLOP", 1)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_FLOP", 1)


needs_threadpoolctl = pytest.mark.skipif(not blas.thread_controls(), reason="splits need threadpoolctl")


# ------------------------------------------------------------------------------------------- run_shards' meanwhile
@needs_threadpoolctl
def test_meanwhile_runs_once_on_the_calling_thread(two_threads):
    events, caller = [], threading.get_ident()

    def shard(i):
        events.append(("shard", i))
        return i * i

    def meanwhile():
        events.append(("meanwhile", threading.get_ident() == caller, parallel.inside_shard()))

    assert parallel.run_shards(shard, [(i,) for i in range(4)], meanwhile=meanwhile) == [0, 1, 4, 9]
    assert events.count(("meanwhile", True, True)) == 1 and len(events) == 5
    assert sorted(e for e in events if e[0] == "shard") == [("shard", i) for i in range(4)]


def test_meanwhile_first_when_run_whole(monkeypatch):
    events = []
    previous = torchless.get_num_threads()
    torchless.set_num_threads(1)
    try:
        assert parallel.run_shards(lambda i: events.append(i) or i, [(1,), (2,)],
                                   meanwhile=lambda: events.append("m")) == [1, 2]
        assert events == ["m", 1, 2]
        events.clear()
        assert parallel.run_shards(lambda i: events.append(i) or i, [(3,)], meanwhile=lambda: events.append("m")) \
            == [3]
        assert events == ["m", 3]
    finally:
        torchless.set_num_threads(previous)


@needs_threadpoolctl
def test_meanwhile_error_raised_after_every_shard(two_threads):
    finished = []

    def shard(i):
        threading.Event().wait(0.02)  # (still writing when meanwhile fails)
        finished.append(i)

    def meanwhile():
        raise KeyError("meanwhile")

    with pytest.raises(KeyError, match="meanwhile"):
        parallel.run_shards(shard, [(0,), (1,)], meanwhile=meanwhile)
    assert sorted(finished) == [0, 1]
    # the split machinery is free again
    assert parallel.run_shards(lambda i: i + 1, [(0,), (1,)]) == [1, 2]


@needs_threadpoolctl
def test_meanwhile_error_comes_before_a_shard_error(two_threads):
    def shard(i):
        raise ValueError(f"shard {i}")

    def meanwhile():
        raise KeyError("meanwhile")

    with pytest.raises(KeyError):
        parallel.run_shards(shard, [(0,), (1,)], meanwhile=meanwhile)
    with pytest.raises(ValueError, match="shard 0"):
        parallel.run_shards(shard, [(0,), (1,)], meanwhile=lambda: None)


@needs_threadpoolctl
def test_elementwise_meanwhile(two_threads):
    a = np.arange(2 ** 22, dtype=np.float32)
    assert parallel.splits(a.size, parallel.ELEMENTWISE_PASS_FLOP)
    assert not parallel.splits(1000, parallel.ELEMENTWISE_PASS_FLOP)
    ran = []
    parallel.elementwise(lambda x, out: np.negative(x, out=out), (a, a), parallel.ELEMENTWISE_PASS_FLOP,
                         lambda: ran.append(1))
    assert ran == [1]
    np.testing.assert_array_equal(a, -np.arange(2 ** 22, dtype=np.float32))
    small = np.ones(10, np.float32)
    parallel.elementwise(lambda x, out: np.negative(x, out=out), (small, small), 1, lambda: ran.append(2))
    assert ran == [1, 2] and (small == -1).all()


# ------------------------------------------------------------------------------ convolution: both gradients at once
def direct_gradients(gy, x, w, stride, padding, dilation, groups):
    """float64 (gx, gw) of the convolution, tap by tap over the zero-padded input (independent of the kernels)."""
    gy, x, w = (np.asarray(a, np.float64) for a in (gy, x, w))
    N, O, Ho, Wo = gy.shape
    _, Cg, kH, kW = w.shape
    Og = O // groups
    (top, bottom), (left, right) = padding
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    gxp = np.zeros_like(xp)
    gw = np.zeros(w.shape)
    for g in range(groups):
        ch, out = slice(g * Cg, (g + 1) * Cg), slice(g * Og, (g + 1) * Og)
        for i in range(kH):
            for j in range(kW):
                r0, c0 = i * dilation[0], j * dilation[1]
                rows = slice(r0, r0 + stride[0] * (Ho - 1) + 1, stride[0])
                cols = slice(c0, c0 + stride[1] * (Wo - 1) + 1, stride[1])
                gw[out, :, i, j] = np.einsum("nohw,nchw->oc", gy[:, out], xp[:, ch, rows, cols])
                gxp[:, ch, rows, cols] += np.einsum("nohw,oc->nchw", gy[:, out], w[out, :, i, j])
    H, W = x.shape[2:]
    return gxp[:, :, top:top + H, left:left + W], gw


def close_to(actual, reference, depth):
    scale = max(float(np.abs(reference).max()), 1e-30)
    np.testing.assert_allclose(actual, reference, rtol=0, atol=3e-7 * np.sqrt(depth) * 8 * scale)


CONV_SPECS = [  # (N, C, H, W, O, kernel, stride, padding, dilation, groups)
    (4, 3, 12, 12, 8, (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
    (5, 8, 11, 9, 16, (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
    (3, 6, 13, 13, 6, (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), 2),
    (4, 4, 14, 10, 8, (2, 3), (1, 2), ((0, 1), (2, 0)), (2, 1), 1),
    (6, 8, 10, 10, 8, (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), 8),
    (2, 1, 28, 28, 32, (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
    (4, 32, 12, 12, 64, (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
    (3, 5, 9, 16, 10, (5, 5), (1, 1), ((2, 2), (2, 2)), (1, 1), 5),
    (7, 2, 8, 8, 4, (3, 3), (3, 3), ((0, 0), (0, 0)), (1, 1), 1),
]


def conv_arrays(spec, seed):
    N, C, H, W, O, kernel, stride, padding, dilation, groups = spec
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    w = rng.standard_normal((O, C // groups, *kernel)).astype(np.float32)
    Ho, Wo = conv.conv_output_hw((H, W), kernel, stride, padding, dilation)
    gy = rng.standard_normal((N, O, Ho, Wo)).astype(np.float32)
    gy[gy < -0.5] = 0  # (a ReLU's zeros)
    return gy, x, w, (stride, padding, dilation, groups)


@needs_threadpoolctl
@pytest.mark.parametrize("spec", CONV_SPECS)
def test_both_gradients_in_one_split_call(spec, small_splits, monkeypatch):
    gy, x, w, args = conv_arrays(spec, seed=len(spec) + spec[0] * 7 + spec[4])
    calls = []
    run_shards = parallel.run_shards
    monkeypatch.setattr(parallel, "run_shards", lambda f, shards, meanwhile=None: (
        calls.append((f.__name__, len(shards))), run_shards(f, shards, meanwhile))[1])
    meanwhile = []
    gx, gw = conv.conv2d_backward(gy, x, w, *args, meanwhile=lambda: meanwhile.append(1))
    assert calls == [("_backward_both_whole", 2)] and meanwhile == [1]
    # the bits of the two separate split calls (the previous kernel's)
    calls.clear()
    gw_alone = conv.conv2d_backward_weight(gy, x, w.shape[2:], *args)
    gx_alone = conv.conv2d_backward_input(gy, w, x.shape[2:], *args)
    assert [name for name, _ in calls] == ["_backward_weight_whole", "_backward_input_whole"]
    np.testing.assert_array_equal(gw, gw_alone)
    np.testing.assert_array_equal(gx, gx_alone)
    assert gx.dtype == gw.dtype == np.float32 and gx.flags.c_contiguous
    gx64, gw64 = direct_gradients(gy, x, w, *args)
    close_to(gx, gx64, w.shape[0] * w.shape[2] * w.shape[3])
    close_to(gw, gw64, gy.shape[0] * gy.shape[2] * gy.shape[3])


@needs_threadpoolctl
@pytest.mark.parametrize("input_grad, weight_grad", [(True, False), (False, True)])
def test_one_gradient_keeps_its_split_call(input_grad, weight_grad, small_splits, monkeypatch):
    gy, x, w, args = conv_arrays(CONV_SPECS[1], seed=3)
    calls, meanwhile = [], []
    run_shards = parallel.run_shards
    monkeypatch.setattr(parallel, "run_shards", lambda f, shards, meanwhile=None: (
        calls.append(f.__name__), run_shards(f, shards, meanwhile))[1])
    gx, gw = conv.conv2d_backward(gy, x, w, *args, input_grad=input_grad, weight_grad=weight_grad,
                                  meanwhile=lambda: meanwhile.append(1))
    assert meanwhile == [1] and (gx is None) != input_grad and (gw is None) != weight_grad
    assert calls == (["_backward_input_whole"] if input_grad else ["_backward_weight_whole"])
    gx64, gw64 = direct_gradients(gy, x, w, *args)
    close_to(gx if input_grad else gw, gx64 if input_grad else gw64, 200)


def test_empty_batch_and_unsplit_calls_run_meanwhile():
    gy, x, w, args = conv_arrays(CONV_SPECS[0], seed=4)
    ran = []
    gx, gw = conv.conv2d_backward(gy[:0], x[:0], w, *args, meanwhile=lambda: ran.append(1))
    assert ran == [1] and gx.shape == (0, 3, 12, 12) and (gw == 0).all() and gw.shape == w.shape
    gx, gw = conv.conv2d_backward(gy, x, w, *args, meanwhile=lambda: ran.append(2))  # (too small to split)
    assert ran == [1, 2]
    gx64, gw64 = direct_gradients(gy, x, w, *args)
    close_to(gx, gx64, 72)
    close_to(gw, gw64, 400)


@needs_threadpoolctl
def test_nonfinite_input_in_a_shard_matches_the_separate_calls(small_splits):
    gy, x, w, args = conv_arrays(CONV_SPECS[1], seed=5)
    x[3, 2, 4, 4] = np.inf
    w[1, 0, 1, 1] = np.nan
    with np.errstate(all="ignore"):
        gx, gw = conv.conv2d_backward(gy, x, w, *args)
        gw_alone = conv.conv2d_backward_weight(gy, x, w.shape[2:], *args)
        gx_alone = conv.conv2d_backward_input(gy, w, x.shape[2:], *args)
    np.testing.assert_array_equal(gw, gw_alone)
    np.testing.assert_array_equal(gx, gx_alone)


@pytest.mark.parametrize("spec", [s for s in CONV_SPECS if all(low == high for low, high in s[7])])
def test_conv2d_layer_gradients_against_reference_and_torch(spec, small_splits):
    gy, x, w, (stride, padding, dilation, groups) = conv_arrays(spec, seed=6)
    b = np.linspace(-1, 1, w.shape[0]).astype(np.float32)
    pad = (padding[0][0], padding[1][0])  # (F.conv2d's padding is symmetric)
    tx, tw, tb = (torchless.tensor(a, requires_grad=True) for a in (x, w, b))
    torchless.nn.functional.conv2d(tx, tw, tb, stride, pad, dilation, groups).backward(torchless.tensor(gy))
    gx64, gw64 = direct_gradients(gy, x, w, stride, padding, dilation, groups)
    close_to(tx.grad.numpy(), gx64, 500)
    close_to(tw.grad.numpy(), gw64, 2000)
    close_to(tb.grad.numpy(), gy.astype(np.float64).sum((0, 2, 3)), 2000)
    torch = pytest.importorskip("torch")
    px, pw, pb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    torch.nn.functional.conv2d(px, pw, pb, stride, pad, dilation, groups).backward(torch.tensor(gy))
    for ours, theirs in ((tx, px), (tw, pw), (tb, pb)):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_bias_gradient_only_and_no_bias(small_splits):
    gy, x, w, (stride, padding, dilation, groups) = conv_arrays(CONV_SPECS[6], seed=7)
    b = torchless.zeros(w.shape[0], requires_grad=True)
    tx, tw = torchless.tensor(x), torchless.tensor(w)
    torchless.nn.functional.conv2d(tx, tw, b).backward(torchless.tensor(gy))  # (the bias's gradient alone)
    close_to(b.grad.numpy(), gy.astype(np.float64).sum((0, 2, 3)), 1000)
    tw.requires_grad_()
    torchless.nn.functional.conv2d(tx, tw).backward(torchless.tensor(gy))  # (no bias)
    close_to(tw.grad.numpy(), direct_gradients(gy, x, w, stride, padding, dilation, groups)[1], 1000)


def test_half_and_3d_convolutions_take_meanwhile():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    for shape, w_shape, function in (((2, 3, 6, 6, 6), (4, 3, 3, 3, 3), "conv3d"),
                                     ((2, 3, 8, 8), (4, 3, 3, 3), "conv2d")):
        x = rng.standard_normal(shape).astype(np.float32)
        w = rng.standard_normal(w_shape).astype(np.float32)
        b = rng.standard_normal(w_shape[0]).astype(np.float32)
        dtype_ours, dtype_theirs = (torchless.float16, torch.float16) if function == "conv2d" else (None, None)
        grads = []
        for lib, dtype in ((torchless, dtype_ours), (torch, dtype_theirs)):
            tensors = [lib.tensor(a) for a in (x, w, b)]
            if dtype is not None:
                tensors = [t.to(dtype) for t in tensors]
            for t in tensors:
                t.requires_grad_()
            getattr(lib.nn.functional, function)(*tensors, padding=1).sum().backward()
            grads.append([t.grad.float().numpy() for t in tensors])
        for ours, theirs in zip(*grads):
            np.testing.assert_allclose(ours, theirs, rtol=2e-2 if dtype_ours else 1e-4, atol=2e-2 if dtype_ours
                                       else 1e-4)


# ---------------------------------------------------------------------------------------- linear: one split call
@needs_threadpoolctl
def test_matmuls_is_each_matmul(two_threads, monkeypatch):
    rng = np.random.default_rng(9)
    g = rng.standard_normal((64, 128)).astype(np.float32)
    w = rng.standard_normal((128, 9216)).astype(np.float32)
    x = rng.standard_normal((64, 9216)).astype(np.float32)
    small = rng.standard_normal((8, 8)).astype(np.float32)
    products = [(g, w), (x.T, g), (small, small), (g.T, x)]
    singles = [blas.matmul(a, b) for a, b in products]
    calls, meanwhile = [], []
    run_shards = parallel.run_shards
    monkeypatch.setattr(parallel, "run_shards", lambda f, shards, meanwhile=None: (
        calls.append(len(shards)), run_shards(f, shards, meanwhile))[1])
    together = blas.matmuls(products, lambda: meanwhile.append(1))
    assert calls == [6] and meanwhile == [1]  # (three products split in two, in one call)
    for ours, single, (a, b) in zip(together, singles, products):
        np.testing.assert_array_equal(ours, single)
        close_to(ours, a.astype(np.float64) @ b.astype(np.float64), a.shape[1])
    calls.clear()
    assert [r.shape for r in blas.matmuls([(small, small)], lambda: meanwhile.append(2))] == [(8, 8)]
    assert calls == [] and meanwhile == [1, 2]


LINEAR_CASES = [  # (input shape, out features, column-major input, bias)
    ((64, 9216), 128, False, True),
    ((64, 9216), 128, True, True),
    ((4, 16, 2048), 64, False, True),
    ((64, 9216), 128, False, False),
    ((300, 800), 300, False, True),
]


@pytest.mark.parametrize("shape, out_features, column_major, bias", LINEAR_CASES)
def test_large_linear_backward(shape, out_features, column_major, bias, two_threads):
    rng = np.random.default_rng(10)
    x = rng.standard_normal(shape).astype(np.float32)
    if column_major:
        x = np.asfortranarray(x)
    w = (rng.standard_normal((out_features, shape[-1])) / 50).astype(np.float32)
    b = rng.standard_normal(out_features).astype(np.float32)
    gy = rng.standard_normal(shape[:-1] + (out_features,)).astype(np.float32)
    tx, tw = torchless.tensor(x, requires_grad=True), torchless.tensor(w, requires_grad=True)
    tb = torchless.tensor(b, requires_grad=True) if bias else None
    torchless.nn.functional.linear(tx, tw, tb).backward(torchless.tensor(gy))
    x64, w64, g64 = (a.astype(np.float64).reshape(-1, a.shape[-1]) for a in (x, w, gy))
    close_to(tx.grad.numpy().reshape(x64.shape), g64 @ w64, out_features)
    close_to(tw.grad.numpy(), g64.T @ x64, x64.shape[0])
    if bias:
        close_to(tb.grad.numpy(), g64.sum(0), x64.shape[0])
    torch = pytest.importorskip("torch")
    px, pw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    pb = torch.tensor(b, requires_grad=True) if bias else None
    torch.nn.functional.linear(px, pw, pb).backward(torch.tensor(gy))
    pairs = [(tx, px), (tw, pw)] + ([(tb, pb)] if bias else [])
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-4, atol=1e-4)
        assert ours.grad.stride() == tuple(theirs.grad.stride())


def test_large_linear_backward_one_gradient(two_threads):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((64, 9216)).astype(np.float32)
    w = (rng.standard_normal((128, 9216)) / 50).astype(np.float32)
    gy = rng.standard_normal((64, 128)).astype(np.float32)
    for needs in ("x", "w"):
        tx = torchless.tensor(x, requires_grad=needs == "x")
        tw = torchless.tensor(w, requires_grad=needs == "w")
        torchless.nn.functional.linear(tx, tw).backward(torchless.tensor(gy))
        if needs == "x":
            assert tw.grad is None
            close_to(tx.grad.numpy(), gy.astype(np.float64) @ w, 128)
        else:
            assert tx.grad is None
            close_to(tw.grad.numpy(), gy.T.astype(np.float64) @ x, 64)


# ------------------------------------------------------------------------------------------ Adam: updates at once
def reference_adam(params, grads, steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                   maximize=False):
    """float64 Adam (PyTorch's documented algorithm), ``steps`` updates with the same gradients each time."""
    params = [p.astype(np.float64) for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    vmax = [np.zeros_like(p) for p in params]
    for t in range(1, steps + 1):
        for i, (p, g) in enumerate(zip(params, grads)):
            g = -g.astype(np.float64) if maximize else g.astype(np.float64)
            if weight_decay:
                g = g + weight_decay * p
            m[i] = betas[0] * m[i] + (1 - betas[0]) * g
            v[i] = betas[1] * v[i] + (1 - betas[1]) * g * g
            denom_v = v[i]
            if amsgrad:
                vmax[i] = np.maximum(vmax[i], v[i])
                denom_v = vmax[i]
            m_hat = m[i] / (1 - betas[0] ** t)
            p -= lr * m_hat / (np.sqrt(denom_v / (1 - betas[1] ** t)) + eps)
    return params


ADAM_SHAPES = [(32, 1, 3, 3), (32,), (128, 9216), (128,), (10, 128), (300, 3000), (10,)]


@pytest.mark.parametrize("options", [{}, {"amsgrad": True, "weight_decay": 0.01}, {"maximize": True}])
def test_adam_with_large_and_small_parameters(options, two_threads):
    rng = np.random.default_rng(12)
    values = [rng.standard_normal(s).astype(np.float32) for s in ADAM_SHAPES]
    grads = [rng.standard_normal(s).astype(np.float32) for s in ADAM_SHAPES]
    params = [torchless.tensor(v, requires_grad=True) for v in values]
    opt = torchless.optim.Adam(params, lr=1e-2, **options)
    # the same updates one parameter at a time, through the functional form (a loop of each parameter's update)
    alone = [torchless.tensor(v) for v in values]
    states = [(torchless.zeros_like(a), torchless.zeros_like(a), torchless.zeros_like(a), torchless.tensor(0.0))
              for a in alone]
    for _ in range(3):
        for p, g in zip(params, grads):
            p.grad = torchless.tensor(g)
        opt.step()
        torchless.optim._functional.adam(alone, [torchless.tensor(g) for g in grads], [s[0] for s in states],
                                  [s[1] for s in states], [s[2] for s in states], [s[3] for s in states],
                                  amsgrad=options.get("amsgrad", False), beta1=0.9, beta2=0.999, lr=1e-2,
                                  weight_decay=options.get("weight_decay", 0.0), eps=1e-8,
                                  maximize=options.get("maximize", False))
    for p, a in zip(params, alone):
        np.testing.assert_array_equal(p.detach().numpy(), a.numpy())
        assert p._version == 3
    reference = reference_adam(values, grads, 3, lr=1e-2, **options)
    for p, r in zip(params, reference):
        np.testing.assert_allclose(p.detach().numpy(), r, rtol=1e-5, atol=1e-6)
    torch = pytest.importorskip("torch")
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    their_opt = torch.optim.Adam(theirs, lr=1e-2, **options)
    for _ in range(3):
        for p, g in zip(theirs, grads):
            p.grad = torch.tensor(g)
        their_opt.step()
    for p, t in zip(params, theirs):
        np.testing.assert_allclose(p.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_adam_tensor_lr_and_groups(two_threads):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    shapes = [(300, 3000), (5,), (200, 3000)]
    values = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    results = []
    for lib in (torchless, torch):
        params = [lib.tensor(v, requires_grad=True) for v in values]
        opt = lib.optim.Adam([{"params": params[:2], "lr": lib.tensor(0.01)},
                              {"params": params[2:], "lr": 0.02, "betas": (0.8, 0.99)}])
        for _ in range(2):
            for p, g in zip(params, grads):
                p.grad = lib.tensor(g)
            opt.step()
        results.append([p.detach().numpy() for p in params])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_adam_small_parameters_only_and_missing_grads():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(14)
    values = [rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (4,), (2, 2))]
    results = []
    for lib in (torchless, torch):
        params = [lib.tensor(v, requires_grad=True) for v in values]
        opt = lib.optim.Adam(params, lr=0.1)
        for step in range(3):
            for i, p in enumerate(params):
                p.grad = None if (i == 1 and step == 1) else lib.tensor(values[i] * (step + 1))
            opt.step()
        results.append([p.detach().numpy() for p in params])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


# -------------------------------------------------------------------------------------------- the whole MNIST step
def test_mnist_step_against_torch():
    """Two Adam steps of the classic MNIST CNN (its split convolutions, linear layer and Adam) against torch."""
    torch = pytest.importorskip("torch")

    def build(lib):
        nn = lib.nn
        lib.manual_seed(0)
        return nn.Sequential(nn.Conv2d(1, 32, 3, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Linear(128, 10))

    theirs = build(torch)
    ours = build(torchless)
    ours.load_state_dict({k: torchless.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(15)
    images = rng.random((64, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 64)
    for lib, model in ((torchless, ours), (torch, theirs)):
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        for _ in range(2):
            opt.zero_grad()
            lib.nn.functional.cross_entropy(model(lib.tensor(images)), lib.tensor(labels)).backward()
            opt.step()
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-3, atol=2e-5, err_msg=name)
        # (Adam moves each value by about lr a step whatever its gradient's size: where a gradient is ~0, its
        # float32 rounding decides the step's sign)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=0, atol=1e-4, err_msg=name)


def test_split_step_runs_under_python_OO():
    code = ("import numpy as np, torchless as t; t.set_num_threads(2); m = t.nn.Linear(9216, 128); "
            "o = t.optim.Adam(m.parameters()); x = t.randn(64, 9216); m(x).sum().backward(); o.step(); "
            "c = t.nn.Conv2d(32, 64, 3); c(t.randn(16, 32, 26, 26)).sum().backward(); print('ok')")
    result = subprocess.run([sys.executable, "-OO", "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# ----------------------------------------------------- max pooling's gradient computed by the convolution's shards
def _spy_fill(monkeypatch):
    from torchless._kernels import pool

    calls = []
    fill = pool.max_pool2d_backward_images_into

    def recorded(gx, gy, winners, images):
        calls.append((images.start, images.stop))
        return fill(gx, gy, winners, images)

    monkeypatch.setattr(pool, "max_pool2d_backward_images_into", recorded)
    return calls


def block_gradients(lib, x, w, b, variant, conv_args=(1, 0, 1, 1), dtype=None, hook=False):
    """Gradients of conv -> relu -> max_pool2d(2) -> a weighted sum (and of the variants' extra uses), in ``lib``."""
    F = lib.nn.functional
    tensors = [lib.tensor(a) for a in (x, w, b)]
    if dtype is not None:
        tensors = [t.to(dtype) for t in tensors]
    tx, tw, tb = tensors
    for t, needed in zip((tx, tw, tb), variant.get("requires", (True, True, True))):
        t.requires_grad_(needed)
    y = F.conv2d(tx, tw, tb, *conv_args)
    if hook:
        y.register_hook(lambda g: g)
    if variant.get("retain"):
        y.retain_grad()
    r = F.relu(y)
    p = F.max_pool2d(r, 2)
    weights = lib.tensor(np.cos(np.arange(p.numel(), dtype=np.float32)).reshape(p.shape))
    if dtype is not None:
        weights = weights.to(dtype)
    loss = (p * weights).sum()
    if variant.get("twice"):
        loss = loss + (y * 0.5).sum()
    roots = [loss] + ([(y * 0.25).sum()] if variant.get("root") else [])
    lib.autograd.backward(roots)
    grads = [t.grad.numpy().astype(np.float64) if t.grad is not None else None for t in (tx, tw, tb)]
    return grads + ([y.grad.numpy()] if variant.get("retain") else [])


BLOCKS = [  # (x shape, w shape, conv args (stride, padding, dilation, groups))
    ((16, 8, 14, 14), (16, 8, 3, 3), (1, 0, 1, 1)),
    ((10, 6, 12, 12), (12, 3, 3, 3), (1, 1, 1, 2)),
    ((8, 4, 17, 17), (8, 4, 3, 3), (1, 1, 2, 1)),
    ((12, 3, 16, 16), (6, 3, 5, 5), (1, 2, 1, 1)),
]


@pytest.mark.parametrize("shapes", BLOCKS)
@pytest.mark.parametrize("threads", [1, 2])
def test_pool_gradient_computed_by_the_convolution(shapes, threads, small_splits, monkeypatch):
    x_shape, w_shape, conv_args = shapes
    rng = np.random.default_rng(16)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    b = rng.standard_normal(w_shape[0]).astype(np.float32)
    torchless.set_num_threads(threads)
    calls = _spy_fill(monkeypatch)
    deferred = block_gradients(torchless, x, w, b, {}, conv_args)
    half = x_shape[0] // 2 + x_shape[0] % 2
    # (only where the convolution's gradients are split: run whole, the pooling's backward gains nothing there;
    # the shards in whichever order the threads claimed them)
    assert sorted(calls) == ([(0, half), (half, x_shape[0])] if threads == 2 and blas.thread_controls() else [])
    calls.clear()
    watched = block_gradients(torchless, x, w, b, {}, conv_args, hook=True)  # (a hook: the pool computes it)
    assert calls == []
    for ours, before in zip(deferred, watched):
        np.testing.assert_array_equal(ours, before)
    torch = pytest.importorskip("torch")
    theirs = block_gradients(torch, x, w, b, {}, conv_args)
    for ours, their in zip(deferred, theirs):
        np.testing.assert_allclose(ours, their, rtol=1e-4, atol=1e-4)


def direct_block_gradients(x, w, b, variant):
    """float64 gradients of the first block of BLOCKS with ``variant``'s extra uses (independent of the kernels)."""
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    N, C, H, W = x.shape
    O = w.shape[0]
    Ho, Wo = H - 2, W - 2
    y = np.zeros((N, O, Ho, Wo))
    for i in range(3):
        for j in range(3):
            y += np.einsum("nchw,oc->nohw", x64[:, :, i:i + Ho, j:j + Wo], w64[:, :, i, j])
    y += b.astype(np.float64)[None, :, None, None]
    weights = np.cos(np.arange(N * O * (Ho // 2) * (Wo // 2), dtype=np.float32)).astype(np.float64)
    weights = weights.reshape(N, O, Ho // 2, Wo // 2)
    r = np.maximum(y, 0)
    windows = r[:, :, :Ho // 2 * 2, :Wo // 2 * 2].reshape(N, O, Ho // 2, 2, Wo // 2, 2).transpose(0, 1, 2, 4, 3, 5)
    flat = windows.reshape(N, O, Ho // 2, Wo // 2, 4)
    winner = flat.argmax(-1)
    g_flat = np.zeros_like(flat)
    np.put_along_axis(g_flat, winner[..., None], weights[..., None], -1)
    gr = np.zeros_like(r)
    gr[:, :, :Ho // 2 * 2, :Wo // 2 * 2] = g_flat.reshape(N, O, Ho // 2, Wo // 2, 2, 2).transpose(
        0, 1, 2, 4, 3, 5).reshape(N, O, Ho // 2 * 2, Wo // 2 * 2)
    gy = gr * (y > 0)
    if variant.get("twice"):
        gy = gy + 0.5
    if variant.get("root"):
        gy = gy + 0.25
    gx, gw = direct_gradients(gy, x, w, (1, 1), ((0, 0), (0, 0)), (1, 1), 1)
    return [gx, gw, gy.sum((0, 2, 3))] + ([gy] if variant.get("retain") else [])


VARIANTS = [
    ({}, True),
    ({"twice": True}, False),        # the convolution's output also used elsewhere
    ({"root": True}, False),         # ... and a root of backward
    ({"retain": True}, False),       # its gradient retained
    ({"requires": (False, True, True)}, False),   # the weight's gradient only (not split in one call)
    ({"requires": (False, False, True)}, False),  # the bias's only
    ({"requires": (True, False, False)}, False),  # the input's only
]


@pytest.mark.parametrize("variant, taken", VARIANTS)
def test_pool_gradient_deferred_only_where_nothing_else_sees_it(variant, taken, small_splits, monkeypatch):
    x_shape, w_shape, _ = BLOCKS[0]
    rng = np.random.default_rng(17)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    b = rng.standard_normal(w_shape[0]).astype(np.float32)
    calls = _spy_fill(monkeypatch)
    ours = block_gradients(torchless, x, w, b, variant)
    assert bool(calls) == (taken and bool(blas.thread_controls()))
    reference = direct_block_gradients(x, w, b, variant)
    requires = variant.get("requires", (True, True, True))
    for index, (grad, expected) in enumerate(zip(ours, reference)):
        if index < 3 and not requires[index]:
            assert grad is None
            continue
        close_to(grad, expected, 400)
    torch = pytest.importorskip("torch")
    theirs = block_gradients(torch, x, w, b, variant)
    for grad, their in zip(ours, theirs):
        if grad is not None:
            np.testing.assert_allclose(grad, their, rtol=1e-4, atol=1e-4)


def test_pool_gradient_not_deferred_under_anomaly_detection_nor_in_float64(small_splits, monkeypatch):
    x_shape, w_shape, _ = BLOCKS[0]
    rng = np.random.default_rng(18)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in (x_shape, w_shape, w_shape[:1]))
    calls = _spy_fill(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (its notice that anomaly detection slows things down)
        with torchless.autograd.detect_anomaly():
            anomalous = block_gradients(torchless, x, w, b, {})
    wide = block_gradients(torchless, x, w, b, {}, dtype=torchless.float64)
    assert calls == []
    reference = direct_block_gradients(x, w, b, {})
    for grads in (anomalous, wide):
        for grad, expected in zip(grads, reference):
            close_to(grad, expected, 400)


@needs_threadpoolctl
def test_pool_gradient_deferred_again_with_retain_graph(small_splits, monkeypatch):
    x_shape, w_shape, _ = BLOCKS[0]
    rng = np.random.default_rng(19)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in (x_shape, w_shape, w_shape[:1]))
    calls = _spy_fill(monkeypatch)
    F = torchless.nn.functional
    tx, tw = torchless.tensor(x, requires_grad=True), torchless.tensor(w, requires_grad=True)
    loss = (F.max_pool2d(F.relu(F.conv2d(tx, tw, torchless.tensor(b))), 2) *
            torchless.tensor(np.cos(np.arange(16 * 16 * 36, dtype=np.float32)).reshape(16, 16, 6, 6))).sum()
    loss.backward(retain_graph=True)
    first = tw.grad.numpy().copy()
    loss.backward()
    assert sorted(calls[:2]) == sorted(calls[2:]) == [(0, 8), (8, 16)]  # (in the order the threads claimed them)
    np.testing.assert_allclose(tw.grad.numpy(), 2 * first, rtol=1e-6, atol=1e-6)
    close_to(first, direct_block_gradients(x, w, b, {})[1], 400)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("input_grad, weight_grad", [(True, True), (False, True), (True, False)])
def test_kernel_fills_its_output_gradient_first(threads, input_grad, weight_grad, small_splits):
    gy, x, w, args = conv_arrays(CONV_SPECS[6], seed=20)
    torchless.set_num_threads(threads)
    later = np.full_like(gy, np.nan)
    filled = []

    def fill(images):
        filled.append((images.start, images.stop))
        later[images] = gy[images]

    gx, gw = conv.conv2d_backward(later, x, w, *args, input_grad=input_grad, weight_grad=weight_grad, fill=fill)
    split = threads == 2 and input_grad and weight_grad and blas.thread_controls()
    assert filled == ([(0, 2), (2, 4)] if split else [(0, 4)])
    np.testing.assert_array_equal(later, gy)
    gx_before, gw_before = conv.conv2d_backward(gy, x, w, *args, input_grad=input_grad, weight_grad=weight_grad)
    for ours, before in ((gx, gx_before), (gw, gw_before)):
        assert (ours is None) == (before is None)
        if ours is not None:
            np.testing.assert_array_equal(ours, before)
    gx64, gw64 = direct_gradients(gy, x, w, *args)
    if input_grad:
        close_to(gx, gx64, 600)
    if weight_grad:
        close_to(gw, gw64, 600)
