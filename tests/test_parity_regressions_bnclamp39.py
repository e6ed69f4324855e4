"""batch_norm out of training and clamp when nothing records (no graph, tangent or transform): batch_norm computes
ATen's per-channel alpha / beta and x * alpha + beta, keeping nothing for backward; clamp builds no gradient mask.
The results stay those of PyTorch, whether or not a graph records, and backward / forward AD / torch.func still work.

The first section checks against float64 references built here from first principles (no torch); the second
compares with torch at run time."""
import numpy as np
import pytest

import torchless
import torchless.nn.functional as F


def _ulp32(a):
    return np.spacing(np.abs(a).astype(np.float32)).astype(np.float64)


def _aten_eval_reference32(x, mean, var, weight, bias, eps):
    """ATen's eval-mode float32 output from first principles, in float64: invstd = 1 / sqrt(var + eps) and
    alpha = invstd * weight each rounded to float32, beta = bias - mean * alpha rounded once (a fused multiply-add),
    then x * alpha + beta rounded once; returns it and x * alpha (exact) for the tolerance of an unfused product."""
    f = np.float32
    invstd = f(1) / np.sqrt(var + f(eps))
    alpha = invstd if weight is None else invstd * weight
    shift = np.zeros_like(alpha) if bias is None else bias
    beta = (shift.astype(np.float64) - mean.astype(np.float64) * alpha.astype(np.float64)).astype(np.float32)
    channel = (1, -1) + (1,) * (x.ndim - 2)
    product = x.astype(np.float64) * alpha.astype(np.float64).reshape(channel)
    return (product + beta.astype(np.float64).reshape(channel)).astype(np.float32), product


def _inputs(rng, shape, dtype, affine=True, shift=0.0):
    channels = shape[1]
    x = (rng.standard_normal(shape) * 2 + shift).astype(dtype)
    mean = (rng.standard_normal(channels) + shift).astype(dtype)
    var = (rng.random(channels) + 0.1).astype(dtype)
    weight = rng.standard_normal(channels).astype(dtype) if affine else None
    bias = rng.standard_normal(channels).astype(dtype) if affine else None
    return x, mean, var, weight, bias


def _tl(*arrays):
    return [None if a is None else torchless.from_numpy(a.copy()) for a in arrays]


_SHAPES = [(5, 3), (4, 6, 7), (3, 4, 5, 6), (2, 3, 4, 3, 5), (1, 1, 1, 1), (7, 2, 1, 9)]


@pytest.mark.parametrize("shape", _SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("grad", [False, True])
def test_eval_batch_norm_matches_a_float64_reference(shape, dtype, affine, grad):
    rng = np.random.default_rng(hash((shape, dtype.__name__, affine)) % 2 ** 32)
    x, mean, var, weight, bias = _inputs(rng, shape, dtype, affine)
    tx, tm, tv, tw, tb = _tl(x, mean, var, weight, bias)
    tx.requires_grad_(grad)
    y = F.batch_norm(tx, tm, tv, tw, tb, training=False, eps=1e-5)
    channel = (1, -1) + (1,) * (len(shape) - 2)
    w = 1.0 if weight is None else weight.astype(np.float64).reshape(channel)
    b = 0.0 if bias is None else bias.astype(np.float64).reshape(channel)
    expected = (x - mean.astype(np.float64).reshape(channel)) / np.sqrt(var.astype(np.float64).reshape(channel)
                                                                       + 1e-5) * w + b
    tol = 2e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=tol, atol=tol * 8)
    assert y.dtype == tx.dtype and y.requires_grad == grad
    # the running statistics are read, never written, out of training
    np.testing.assert_array_equal(tm.numpy(), mean)
    np.testing.assert_array_equal(tv.numpy(), var)


@pytest.mark.parametrize("shape", [(3, 5, 4, 6), (2, 4, 3, 5, 2), (2, 33, 7, 7)])
def test_eval_batch_norm_float32_is_atens_fused_formula(shape):
    """Within one rounding of the product x * alpha of ATen's x * alpha + beta (most elements exactly it)."""
    rng = np.random.default_rng(len(shape) + shape[1])
    x, mean, var, weight, bias = _inputs(rng, shape, np.float32)
    expected, product = _aten_eval_reference32(x, mean, var, weight, bias, 1e-5)
    got = F.batch_norm(*_tl(x, mean, var, weight, bias), training=False).numpy()
    err = np.abs(got.astype(np.float64) - expected)
    assert np.all(err <= _ulp32(product) + _ulp32(expected))
    assert np.mean(got == expected) > 0.6  # (main's (x - mean) * invstd * weight + bias: under one half)


@pytest.mark.parametrize("grad", [False, True])
def test_eval_batch_norm_channels_of_large_mean_are_fused_exactly(grad):
    """A channel whose mean is large against its spread (1e4 + 1e-2 noise): ATen's x * alpha and beta cancel,
    leaving their rounding in the output, which only the fused formula reproduces."""
    rng = np.random.default_rng(7)
    x = (1e4 + rng.standard_normal((4, 3, 5, 5)) * 1e-2).astype(np.float32)
    x[:, 1] = rng.standard_normal((4, 5, 5)).astype(np.float32)  # an ordinary channel beside them
    mean = np.array([1e4, 0.1, 1e4 + 0.003], np.float32)
    var = np.array([1e-4, 1.0, 2e-4], np.float32)
    weight = np.array([1.5, -0.7, 0.3], np.float32)
    bias = np.array([0.25, 0.1, -2.0], np.float32)
    expected, product = _aten_eval_reference32(x, mean, var, weight, bias, 1e-5)
    tx = torchless.from_numpy(x.copy()).requires_grad_(grad)
    got = F.batch_norm(tx, *_tl(mean, var), *_tl(weight, bias), training=False).detach().numpy()
    np.testing.assert_array_equal(got[:, [0, 2]], expected[:, [0, 2]])
    assert np.all(np.abs(got[:, 1] - expected[:, 1]) <= _ulp32(product[:, 1]) + _ulp32(expected[:, 1]))


@pytest.mark.parametrize("fmt", ["channels_last", "channels_last_3d"])
@pytest.mark.parametrize("large_mean", [False, True])
def test_eval_batch_norm_keeps_the_channels_last_layout(fmt, large_mean):
    rng = np.random.default_rng(3)
    shape = (2, 3, 4, 5) if fmt == "channels_last" else (2, 3, 4, 2, 3)
    x, mean, var, weight, bias = _inputs(rng, shape, np.float32, shift=1e4 if large_mean else 0.0)
    tx = torchless.from_numpy(x.copy()).contiguous(memory_format=getattr(torchless, fmt))
    y = F.batch_norm(tx, *_tl(mean, var, weight, bias), training=False)
    assert y.is_contiguous(memory_format=getattr(torchless, fmt)) and not y.is_contiguous()
    plain = F.batch_norm(*_tl(x, mean, var, weight, bias), training=False)
    np.testing.assert_array_equal(y.numpy(), plain.numpy())  # the same kernel, whatever the layout


def test_eval_batch_norm_is_the_same_with_or_without_a_graph():
    rng = np.random.default_rng(11)
    x, mean, var, weight, bias = _inputs(rng, (4, 5, 6, 6), np.float32, shift=3.0)
    with torchless.no_grad():
        quiet = F.batch_norm(*_tl(x, mean, var, weight, bias), training=False).numpy()
    tx, tm, tv, tw, tb = _tl(x, mean, var, weight, bias)
    tx.requires_grad_()
    recorded = F.batch_norm(tx, tm, tv, tw, tb, training=False)
    assert recorded.grad_fn is not None
    np.testing.assert_array_equal(recorded.detach().numpy(), quiet)


def test_eval_batch_norm_backward_after_the_fast_forward():
    """Gradients of the eval forward against float64 first principles: dx = g * w * invstd, dw = sum(g * xhat),
    db = sum(g)."""
    rng = np.random.default_rng(5)
    x, mean, var, weight, bias = _inputs(rng, (3, 4, 5, 2), np.float64)
    g = rng.standard_normal(x.shape)
    with torchless.no_grad():  # a forward without a graph first leaves nothing behind for the next
        F.batch_norm(*_tl(x, mean, var, weight, bias), training=False)
    tx, tm, tv, tw, tb = _tl(x, mean, var, weight, bias)
    for t in (tx, tw, tb):
        t.requires_grad_()
    F.batch_norm(tx, tm, tv, tw, tb, training=False).backward(torchless.from_numpy(g))
    channel = (1, -1, 1, 1)
    invstd = 1 / np.sqrt(var + 1e-5)
    xhat = (x - mean.reshape(channel)) * invstd.reshape(channel)
    np.testing.assert_allclose(tx.grad.numpy(), g * (weight * invstd).reshape(channel), rtol=1e-13)
    np.testing.assert_allclose(tw.grad.numpy(), (g * xhat).sum(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(tb.grad.numpy(), g.sum(axis=(0, 2, 3)), rtol=1e-12)


def test_eval_batch_norm_forward_ad_tangent():
    rng = np.random.default_rng(9)
    x, mean, var, weight, bias = _inputs(rng, (3, 2, 4), np.float64)
    tangent = rng.standard_normal(x.shape)
    fwad = torchless.autograd.forward_ad
    with fwad.dual_level():
        dual = fwad.make_dual(torchless.from_numpy(x), torchless.from_numpy(tangent))
        out = fwad.unpack_dual(F.batch_norm(dual, *_tl(mean, var, weight, bias), training=False)).tangent
    expected = tangent * (weight / np.sqrt(var + 1e-5)).reshape(1, -1, 1)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13)


def test_eval_batch_norm_module_under_no_grad_leaves_the_running_statistics():
    rng = np.random.default_rng(2)
    module = torchless.nn.BatchNorm2d(3)
    module.running_mean.copy_(torchless.from_numpy(rng.standard_normal(3).astype(np.float32)))
    module.running_var.copy_(torchless.from_numpy((rng.random(3) + 0.5).astype(np.float32)))
    before = module.running_mean.numpy().copy(), module.running_var.numpy().copy()
    module.eval()
    x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    with torchless.no_grad():
        y = module(torchless.from_numpy(x))
    expected = (x - before[0].reshape(1, -1, 1, 1)) / np.sqrt(before[1].reshape(1, -1, 1, 1).astype(np.float64)
                                                             + 1e-5)
    np.testing.assert_allclose(y.numpy(), expected, rtol=2e-6, atol=2e-6)
    np.testing.assert_array_equal(module.running_mean.numpy(), before[0])
    np.testing.assert_array_equal(module.running_var.numpy(), before[1])


# clamp without a graph: no mask, the same values; its gradient when a graph records

def _clip_reference(a, low, high):
    """np.clip's values, a tie keeping the input itself (-0.0 clamped at 0.0 stays -0.0), NaN kept."""
    out = a.copy()
    if low is not None:
        out = np.where(a < low, a.dtype.type(low), out)
    if high is not None:
        out = np.where(out > high, a.dtype.type(high), out)
    return out


@pytest.mark.parametrize("bounds", [(-0.5, 0.5), (0.0, None), (None, 0.25), (-0.0, 0.0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clamp_under_no_grad_values(bounds, dtype):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 5, 6)).astype(dtype)
    a.flat[:4] = [0.0, -0.0, np.nan, 0.5]
    low, high = bounds
    with torchless.no_grad():
        got = torchless.from_numpy(a.copy()).clamp(low, high).numpy()
        inplace = torchless.from_numpy(a.copy())
        inplace.clamp_(low, high)
    expected = _clip_reference(a, low, high)
    for result in (got, inplace.numpy()):
        np.testing.assert_array_equal(result, expected)
        np.testing.assert_array_equal(np.signbit(result), np.signbit(expected))


def test_clamp_min_max_and_clip_without_a_graph():
    a = np.array([-2.0, -0.5, 0.0, 0.7, 3.0], np.float32)
    t = torchless.from_numpy(a.copy())
    np.testing.assert_array_equal(t.clamp_min(0.1).numpy(), np.array([0.1, 0.1, 0.1, 0.7, 3.0], np.float32))
    np.testing.assert_array_equal(t.clamp_max(0.1).numpy(), np.array([-2.0, -0.5, 0.0, 0.1, 0.1], np.float32))
    np.testing.assert_array_equal(t.clip(-1, 1).numpy(), np.array([-1.0, -0.5, 0.0, 0.7, 1.0], np.float32))


def test_clamp_inplace_on_a_view_without_a_graph():
    base = torchless.arange(12.0).reshape(3, 4)
    with torchless.no_grad():
        base[:, 1].clamp_(2.0, 6.0)
    expected = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    expected[:, 1] = [2.0, 5.0, 6.0]
    np.testing.assert_array_equal(base.numpy(), expected)


def test_clamp_gradient_after_no_grad_calls():
    a = np.array([-1.0, -0.5, 0.0, 0.5, 0.75, 2.0], np.float64)
    with torchless.no_grad():
        torchless.from_numpy(a).clamp(-0.5, 0.5)
    x = torchless.from_numpy(a.copy()).requires_grad_()
    (x.clamp(-0.5, 0.5) * torchless.arange(1.0, 7.0, dtype=torchless.float64)).sum().backward()
    # 1 inside the closed interval (its ends included, as PyTorch's mask), 0 outside
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, 3.0, 4.0, 0.0, 0.0])
    y = torchless.from_numpy(a.copy()).requires_grad_()
    z = y * 1.0
    z.clamp_(min=0.0)
    z.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [0.0, 0.0, 1.0, 1.0, 1.0, 1.0])


def test_clamp_forward_ad_tangent():
    fwad = torchless.autograd.forward_ad
    a = np.array([-1.0, 0.2, 0.4, 3.0])
    with fwad.dual_level():
        dual = fwad.make_dual(torchless.from_numpy(a), torchless.from_numpy(np.array([1.0, 2.0, 3.0, 4.0])))
        tangent = fwad.unpack_dual(dual.clamp(-0.5, 0.5)).tangent
    np.testing.assert_array_equal(tangent.numpy(), [0.0, 2.0, 3.0, 0.0])


def test_clamp_inside_func_grad_and_vmap():
    a = np.array([[-1.0, 0.2], [0.4, 3.0]])
    grad = torchless.func.grad(lambda t: t.clamp(-0.5, 0.5).square().sum())(torchless.from_numpy(a))
    np.testing.assert_array_equal(grad.numpy(), [[0.0, 0.4], [0.8, 0.0]])
    mapped = torchless.func.vmap(lambda t: t.clamp(0.0, 1.0))(torchless.from_numpy(a))
    np.testing.assert_array_equal(mapped.numpy(), [[0.0, 0.2], [0.4, 1.0]])


# against torch at run time

def _cases(count, seed):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        dtype = [np.float32, np.float64][rng.integers(2)]
        ndim = int(rng.integers(2, 6))
        channels = int(rng.integers(1, 10))
        shape = (int(rng.integers(1, 5)), channels) + tuple(int(rng.integers(1, 7)) for _ in range(ndim - 2))
        x, mean, var, weight, bias = _inputs(rng, shape, dtype, bool(rng.integers(2)), rng.choice([0.0, 1.0, 1e3]))
        layout = None
        if ndim in (4, 5) and rng.integers(2):
            layout = "channels_last" if ndim == 4 else "channels_last_3d"
        yield x, mean, var, weight, bias, layout, bool(rng.integers(2))


def _run(module, x, mean, var, weight, bias, layout, grad):
    tensors = [None if a is None else module.from_numpy(a.copy()) for a in (x, mean, var, weight, bias)]
    if layout:
        tensors[0] = tensors[0].contiguous(memory_format=getattr(module, layout))
    tensors[0].requires_grad_(grad)
    y = module.nn.functional.batch_norm(*tensors, training=False)
    return y.detach().numpy(), y.stride(), tensors


def test_eval_batch_norm_against_torch_fuzz():
    torch = pytest.importorskip("torch")
    equal = total = 0
    for case in _cases(150, 39):
        ref, ref_strides, _ = _run(torch, *case)
        got, strides, _ = _run(torchless, *case)
        assert strides == ref_strides
        tol = 1e-5 if case[0].dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, ref, rtol=tol, atol=tol * 10)
        equal += int(np.count_nonzero(got == ref))
        total += got.size
    # ATen's fused multiply-add taken as a product then a sum: about four in five elements bit-identical (main's
    # (x - mean) * invstd * weight + bias: two in three)
    assert equal / total > 0.75


def test_eval_batch_norm_gradients_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, mean, var, weight, bias = _inputs(rng, (3, 4, 5, 5), np.float32, shift=2.0)
    g = rng.standard_normal(x.shape).astype(np.float32)
    grads = []
    for module in (torch, torchless):
        tx, tm, tv, tw, tb = [module.from_numpy(a.copy()) for a in (x, mean, var, weight, bias)]
        for t in (tx, tw, tb):
            t.requires_grad_()
        module.nn.functional.batch_norm(tx, tm, tv, tw, tb, training=False).backward(module.from_numpy(g))
        grads.append([t.grad.numpy() for t in (tx, tw, tb)])
    for got, ref in zip(grads[1], grads[0]):
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


def test_eval_batch_norm_vmap_and_func_grad_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x, mean, var, weight, bias = _inputs(rng, (4, 3, 3, 5), np.float32)  # (a sample: (3, 3, 5))
    results = []
    for module in (torch, torchless):
        stats = [module.from_numpy(a.copy()) for a in (mean, var, weight, bias)]
        mapped = module.func.vmap(lambda xi: module.nn.functional.batch_norm(xi, *stats))(module.from_numpy(x))
        grad = module.func.grad(lambda xi: module.nn.functional.batch_norm(xi, *stats).square().sum())(
            module.from_numpy(x))
        results.append((mapped.numpy(), grad.numpy()))
    for got, ref in zip(results[1], results[0]):
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("grad", [False, True])
def test_clamp_against_torch(grad):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    a = rng.standard_normal((3, 4, 5)).astype(np.float32)
    a.flat[:3] = [np.nan, -0.0, 0.5]
    outs = []
    for module in (torch, torchless):
        t = module.from_numpy(a.copy()).requires_grad_(grad)
        y = t.clamp(-0.5, 0.5)
        row = [y.detach().numpy(), y.requires_grad]
        if grad:
            y.backward(module.ones_like(y))
            row.append(t.grad.numpy())
        with module.no_grad():
            inplace = module.from_numpy(a.copy())
            inplace.clamp_(0.0)
            row.append(inplace.numpy())
        outs.append(row)
    for got, ref in zip(outs[1], outs[0]):
        np.testing.assert_array_equal(got, ref)
        if isinstance(got, np.ndarray):
            np.testing.assert_array_equal(np.signbit(got), np.signbit(ref))
