"""bfloat16 leftovers (session 37): resampling (F.interpolate) of bfloat16 tensors, smooth_l1_loss / huber_loss /
dist of bfloat16 accepted, mse_loss / huber_loss / smooth_l1_loss computing as their bfloat16 kernels (each step
rounded, or in float32 rounded once, the losses rounded before reduced), and their gradients in their kernels' order
(norm * derivative * grad) at every precision; log_softmax of bfloat16 computed as its kernel does (as float16's);
binary_cross_entropy_with_logits of bfloat16 rounding its steps as PyTorch's tensor ops.

Each part checks against torch at run time when it is installed, and against an independent reference (float32
bits rounded to bfloat16 by hand, float64 arithmetic) otherwise."""
import numpy as np
import pytest

import torchless
from helpers import as_bf16, bfloat16_rne

pytest.importorskip("ml_dtypes")


def bf16_values(shape, seed, scale=3.0):
    return bfloat16_rne(np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * np.float32(scale))


def floats(t):
    return t.detach().float().numpy()


# ---------------------------------------------------------------------------- independent references
def test_linear_upsample_of_bfloat16_against_float64_reference():
    # scale 2, align_corners=False: out[2i+1] = 0.75 x[i] + 0.25 x[i+1] (clamped at the ends), weights exact in
    # bfloat16, so PyTorch's float32 kernel rounds once what float64 computes exactly
    x = bf16_values((2, 3, 9), 0)
    y = torchless.nn.functional.interpolate(as_bf16(torchless, x), scale_factor=2, mode="linear")
    src = (np.arange(18) + 0.5) / 2 - 0.5
    src = np.clip(src, 0, None)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, 8)
    lam = src - lo
    expected = x[..., lo].astype(np.float64) * (1 - lam) + x[..., hi].astype(np.float64) * lam
    assert y.dtype == torchless.bfloat16
    np.testing.assert_array_equal(floats(y), bfloat16_rne(expected.astype(np.float32)))


def test_nearest_upsample_of_bfloat16_copies_and_sums_back():
    x = bf16_values((1, 2, 3, 4), 1)
    xt = as_bf16(torchless, x, True)
    y = torchless.nn.functional.interpolate(xt, scale_factor=2)
    np.testing.assert_array_equal(floats(y), x.repeat(2, 2).repeat(2, 3))
    g = bf16_values(tuple(y.shape), 2, 0.5)
    y.backward(as_bf16(torchless, g))
    expected = g.reshape(1, 2, 3, 2, 4, 2).astype(np.float64).sum((3, 5))
    assert xt.grad.dtype == torchless.bfloat16
    np.testing.assert_array_equal(floats(xt.grad), bfloat16_rne(expected.astype(np.float32)))


def test_antialiased_resampling_still_refuses_bfloat16():
    x = as_bf16(torchless, bf16_values((1, 2, 8, 8), 3))
    with pytest.raises(NotImplementedError, match="\"compute_index_ranges_weights\" not implemented for 'BFloat16'"):
        torchless.nn.functional.interpolate(x, scale_factor=0.5, mode="bilinear", antialias=True)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bfloat16_mse_rounds_each_step_against_reference(reduction):
    x, t = bf16_values((64, 10), 4), bf16_values((64, 10), 5, 1.0)
    xt, tt = as_bf16(torchless, x, True), as_bf16(torchless, t, True)
    y = torchless.nn.functional.mse_loss(xt, tt, reduction=reduction)
    squares = bfloat16_rne(bfloat16_rne(x - t) ** 2)  # each elementwise step rounded to bfloat16, as the kernel's
    g = np.full(squares.shape if reduction == "none" else (), 1.375, np.float32)
    y.backward(as_bf16(torchless, g))
    if reduction == "none":
        expected = squares
    else:
        total = squares.astype(np.float64).sum()  # (accumulated in float32: exact here, few bits per square)
        expected = bfloat16_rne(np.float32(total / squares.size if reduction == "mean" else total))
    assert y.dtype == torchless.bfloat16
    np.testing.assert_array_equal(floats(y), expected)
    norm = bfloat16_rne(np.float32(2 / x.size if reduction == "mean" else 2))
    grad = bfloat16_rne(bfloat16_rne(norm * bfloat16_rne(x - t)) * g)
    np.testing.assert_array_equal(floats(xt.grad), grad)
    np.testing.assert_array_equal(floats(tt.grad), -grad)


def test_float32_mse_gradient_in_kernel_order():
    rng = np.random.default_rng(6)
    x, t = (rng.standard_normal((64, 10)).astype(np.float32) for _ in range(2))
    xt, tt = torchless.tensor(x, requires_grad=True), torchless.tensor(t, requires_grad=True)
    torchless.nn.functional.mse_loss(xt, tt).backward(torchless.tensor(np.float32(-0.731)))
    expected = np.float32(2 / 640) * (x - t) * np.float32(-0.731)  # (norm * diff) * grad, float32 each step
    np.testing.assert_array_equal(xt.grad.numpy(), expected)
    np.testing.assert_array_equal(tt.grad.numpy(), -expected)


@pytest.mark.parametrize("name", ["smooth_l1_loss", "huber_loss"])
def test_float32_piecewise_gradient_in_kernel_order(name):
    # 640 contiguous elements: all in the kernel's vector loop, norm * derivative * grad, float32 each step
    rng = np.random.default_rng(19)
    x, t = (rng.standard_normal((64, 10)).astype(np.float32) * 2 for _ in range(2))
    xt, tt = torchless.tensor(x, requires_grad=True), torchless.tensor(t, requires_grad=True)
    param = np.float32(0.7)
    keyword = {"beta": 0.7} if name == "smooth_l1_loss" else {"delta": 0.7}
    getattr(torchless.nn.functional, name)(xt, tt, **keyword).backward(torchless.tensor(np.float32(-0.731)))
    d = x - t
    sign = np.where(d > 0, np.float32(1), np.float32(-1))
    if name == "smooth_l1_loss":
        derivative = np.where(np.abs(d) >= param, sign, d / param)
    else:
        derivative = np.where(np.abs(d) >= param, sign * param, d)
    expected = np.float32(1 / 640) * derivative * np.float32(-0.731)
    np.testing.assert_array_equal(xt.grad.numpy(), expected)
    np.testing.assert_array_equal(tt.grad.numpy(), -expected)


@pytest.mark.parametrize("name", ["smooth_l1_loss", "huber_loss"])
def test_piecewise_losses_accept_bfloat16(name):
    x, t = bf16_values((4, 9), 7), bf16_values((4, 9), 8)
    y = getattr(torchless.nn.functional, name)(as_bf16(torchless, x), as_bf16(torchless, t), reduction="none")
    assert y.dtype == torchless.bfloat16
    d = np.abs(x.astype(np.float64) - t)
    expected = np.where(d < 1, 0.5 * d * d, d - 0.5)  # (beta = delta = 1: the same losses)
    np.testing.assert_allclose(floats(y), expected, rtol=2 ** -7)


def test_dist_accepts_bfloat16():
    x, t = bf16_values((4, 9), 9), bf16_values((4, 9), 10)
    y = torchless.dist(as_bf16(torchless, x), as_bf16(torchless, t))
    assert y.dtype == torchless.bfloat16
    np.testing.assert_allclose(float(y), np.linalg.norm(bfloat16_rne(x - t).astype(np.float64)), rtol=2 ** -8)


def test_bfloat16_log_softmax_rounds_its_sum_and_log_against_reference():
    # along the last dim the kernel rounds the sum of the exponentials to bfloat16, and its log, before the
    # difference (the rows' exact float64 values rounded so: an ulp apart from the once-rounded result in places)
    x = bf16_values((40, 9), 20)
    y = torchless.log_softmax(as_bf16(torchless, x), -1)
    shifted = x.astype(np.float64) - x.max(-1, keepdims=True)
    total = bfloat16_rne(np.exp(shifted).sum(-1, keepdims=True).astype(np.float32))
    log_total = bfloat16_rne(np.log(total.astype(np.float64)).astype(np.float32))
    expected = bfloat16_rne((shifted - log_total).astype(np.float32))
    once = bfloat16_rne(np.float32(shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))))
    assert not np.array_equal(expected, once)  # (the case tells the two apart)
    assert y.dtype == torchless.bfloat16
    np.testing.assert_array_equal(floats(y), expected)


# ---------------------------------------------------------------------------- against torch
_RESAMPLINGS = [("nearest", (1, 2, 5, 5), 2), ("nearest-exact", (1, 2, 5, 5), 1.7), ("bilinear", (1, 2, 5, 5), 2),
                ("bilinear", (1, 2, 9, 7), 0.7), ("bicubic", (1, 2, 5, 6), 1.6), ("linear", (1, 2, 7), 2.5),
                ("linear", (2, 3, 9), 0.6), ("trilinear", (1, 2, 3, 4, 4), 2), ("nearest", (1, 2, 7), 3),
                ("nearest", (1, 2, 3, 4, 4), 2), ("bilinear-cl", (2, 5, 9, 7), 1.4), ("nearest-cl", (2, 5, 4, 4), 2),
                ("bilinear-ac", (1, 2, 5, 5), 2), ("linear-ac", (2, 3, 9), 1.7), ("bilinear", (1, 3, 40, 40), 2)]


@pytest.mark.parametrize("mode,shape,scale", _RESAMPLINGS)
def test_bfloat16_resampling_matches_torch(mode, shape, scale):
    torch = pytest.importorskip("torch")
    results = []
    for mod in (torch, torchless):
        x = as_bf16(mod, bf16_values(shape, 11))
        if mode.endswith("-cl"):
            x = x.contiguous(memory_format=mod.channels_last)
        x.requires_grad_()
        kind = mode.removesuffix("-cl").removesuffix("-ac")
        kw = {"align_corners": True} if mode.endswith("-ac") else {}
        y = mod.nn.functional.interpolate(x, scale_factor=scale, mode=kind, **kw)
        y.backward(as_bf16(mod, bf16_values(tuple(y.shape), 12, 0.5)))
        results.append((floats(y), floats(x.grad), str(y.dtype).split(".")[1], y.grad_fn.name()))
    (ty, tg, tdtype, tname), (ly, lg, ldtype, lname) = results
    assert (ldtype, lname) == (tdtype, tname)
    np.testing.assert_array_equal(ly, ty)
    np.testing.assert_array_equal(lg, tg)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_bfloat16_antialiasing_refused_as_torch(mode):
    torch = pytest.importorskip("torch")
    messages = []
    for mod in (torch, torchless):
        x = as_bf16(mod, bf16_values((1, 2, 8, 8), 13))
        with pytest.raises(NotImplementedError) as info:
            mod.nn.functional.interpolate(x, scale_factor=0.5, mode=mode, antialias=True)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("target_dtype", ["bfloat16", "float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(64, 10), (3, 7, 33), (5000,)])
@pytest.mark.parametrize("name", ["mse_loss", "huber_loss", "smooth_l1_loss"])
def test_bfloat16_regression_losses_match_torch(name, shape, reduction, target_dtype):
    torch = pytest.importorskip("torch")
    x, t = bf16_values(shape, 14), bf16_values(shape, 15, 1.0)
    results = []
    for mod in (torch, torchless):
        xt, tt = as_bf16(mod, x, True), mod.tensor(t).to(getattr(mod, target_dtype)).requires_grad_()
        y = getattr(mod.nn.functional, name)(xt, tt, reduction=reduction)
        try:  # (huber_loss's backward refuses mixed dtypes)
            y.backward(mod.tensor(np.full(tuple(y.shape), 1.37, np.float32)).to(y.dtype))
        except RuntimeError as error:
            results.append(str(error))
            continue
        results.append((y.detach().double().numpy(), xt.grad.double().numpy(), tt.grad.double().numpy(),
                        str(y.dtype).split(".")[1], y.grad_fn.name()))
    if isinstance(results[0], str) or isinstance(results[1], str):
        assert results[1] == results[0]
        return
    for theirs, ours in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", [(3, 5, 9), (64, 10)])
@pytest.mark.parametrize("name", ["mse_loss", "huber_loss", "smooth_l1_loss"])
def test_regression_loss_gradients_match_torch(name, shape, dtype, reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(16)
    x, t = (rng.standard_normal(shape).astype(np.float32) * 2 for _ in range(2))
    keyword = {"smooth_l1_loss": {"beta": 0.7}, "huber_loss": {"delta": 0.7}}.get(name, {})
    grads = []
    for mod in (torch, torchless):
        xt, tt = (mod.tensor(a).to(getattr(mod, dtype)).requires_grad_() for a in (x, t))
        y = getattr(mod.nn.functional, name)(xt, tt, reduction=reduction, **keyword)
        y.backward(mod.tensor(-0.731).to(y.dtype))
        grads.append((xt.grad.numpy(), tt.grad.numpy()))
    np.testing.assert_array_equal(grads[1][0], grads[0][0])
    np.testing.assert_array_equal(grads[1][1], grads[0][1])


@pytest.mark.parametrize("case", ["mean", "sum", "none", "dist"])
def test_bfloat16_smooth_l1_and_dist_match_torch(case):
    torch = pytest.importorskip("torch")
    x, t = bf16_values((6, 9), 17), bf16_values((6, 9), 18)
    results = []
    for mod in (torch, torchless):
        xt, tt = as_bf16(mod, x, True), as_bf16(mod, t, True)
        if case == "dist":
            y = mod.dist(xt, tt)
        else:
            y = mod.nn.functional.smooth_l1_loss(xt, tt, reduction=case, beta=0.8)
        y.backward(as_bf16(mod, np.full(tuple(y.shape), 0.75, np.float32)))
        results.append((floats(y), floats(xt.grad), floats(tt.grad), str(y.dtype).split(".")[1], y.grad_fn.name(),
                        str(xt.grad.dtype).split(".")[1]))
    if case == "dist":  # (its gradient, computed in float32 and rounded once, may differ by an ulp: not compared)
        results = [r[:1] + r[3:] for r in results]
    for theirs, ours in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("shape,dim", [((4, 9), -1), ((3, 40), 1), ((2, 5, 17), -1), ((8, 100), 1), ((6, 7, 5), 1),
                                       ((6, 7, 5), 0), ((64, 10), 1), ((33,), 0)])
def test_bfloat16_log_softmax_matches_torch(shape, dim):
    torch = pytest.importorskip("torch")
    x, g = bf16_values(shape, 21), bf16_values(shape, 22, 1.0)
    results = []
    for mod in (torch, torchless):
        xt = as_bf16(mod, x, True)
        y = mod.log_softmax(xt, dim)
        y.backward(as_bf16(mod, g))
        results.append((floats(y), floats(xt.grad), str(y.dtype).split(".")[1], y.grad_fn.name()))
    for theirs, ours in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_bfloat16_log_softmax_create_graph_matches_torch():
    torch = pytest.importorskip("torch")
    x, g = bf16_values((4, 9), 23), bf16_values((4, 9), 24, 1.0)
    results = []
    for mod in (torch, torchless):
        xt = as_bf16(mod, x, True)
        y = mod.log_softmax(xt, -1)
        (gx,) = mod.autograd.grad(y, xt, as_bf16(mod, g), create_graph=True)
        gx.sum().backward()
        results.append((floats(gx), floats(xt.grad), gx.grad_fn.name(), str(gx.dtype).split(".")[1]))
    for theirs, ours in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("option", ["plain", "weight", "pos_weight", "float32 target"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(4, 9), (64, 10), (3, 7, 33)])
def test_bfloat16_bce_with_logits_forward_matches_torch(shape, reduction, option):
    # (its steps round as PyTorch's bfloat16 tensor ops, log_sigmoid in float32 rounded once)
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(25)
    x, t, w = bf16_values(shape, 26), rng.random(shape).astype(np.float32), rng.random(shape[-1]).astype(np.float32)
    results = []
    for mod in (torch, torchless):
        keyword = {"weight": as_bf16(mod, w)} if option == "weight" else {}
        if option == "pos_weight":
            keyword = {"pos_weight": as_bf16(mod, 2 * w)}
        target = mod.tensor(t) if option == "float32 target" else as_bf16(mod, t)
        y = mod.nn.functional.binary_cross_entropy_with_logits(as_bf16(mod, x, True), target, reduction=reduction,
                                                               **keyword)
        results.append((y.detach().double().numpy(), str(y.dtype).split(".")[1], y.grad_fn.name()))
    for theirs, ours in zip(*results):
        np.testing.assert_array_equal(ours, theirs)
