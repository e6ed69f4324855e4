"""bfloat16 leftovers (session 38): nll_loss of bfloat16 adding its losses in bfloat16 arithmetic (cascaded, each
sum rounded) and dividing the mean in bfloat16; cross_entropy of bfloat16 composed of log_softmax and nll_loss as
PyTorch's (out of autocast); training batch_norm of a bfloat16 input with bfloat16 parameters keeping the batch's
statistics as bfloat16 (mean, sum of squares, variance, 1 / std) and updating bfloat16 running statistics as
PyTorch's kernel; a small CNN's training step after ``model.to(torch.bfloat16)`` bit for bit.

Each part checks against torch at run time when it is installed, and against an independent reference (float32
bits rounded to bfloat16 by hand, float64 arithmetic) otherwise."""
import numpy as np
import pytest

import torchless
from helpers import as_bf16, bfloat16_rne

pytest.importorskip("ml_dtypes")


def bf16_values(shape, seed, scale=3.0, shift=0.0):
    values = np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * np.float32(scale)
    return bfloat16_rne(values + np.float32(shift))


def floats(t):
    return t.detach().float().numpy()


# ---------------------------------------------------------------------------- independent references
def _nll_mean_reference(terms):
    """nll_loss's 'mean' of fewer than 17 bfloat16 losses: the first moves to the top cascade level, the others add
    up in level 0 one by one (each sum rounded to bfloat16); the levels add from 0, then / count in bfloat16."""
    level0 = np.float32(0)
    for term in terms[1:]:
        level0 = bfloat16_rne(np.float32(level0 + term))
    total = bfloat16_rne(np.float32(bfloat16_rne(np.float32(0) + level0) + terms[0]))
    return bfloat16_rne(np.float32(total / np.float32(len(terms))))


def test_nll_loss_mean_of_bfloat16_rounds_every_sum():
    differs = 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(3, 16))
        x = bf16_values((n, 7), seed)
        target = rng.integers(0, 7, n)
        loss = torchless.nn.functional.nll_loss(as_bf16(torchless, x), torchless.tensor(target))
        assert loss.dtype == torchless.bfloat16
        expected = _nll_mean_reference(-x[np.arange(n), target])
        assert floats(loss) == expected
        once = bfloat16_rne(np.float32(-x[np.arange(n), target].astype(np.float64).mean()))
        differs += once != expected
    assert differs  # (rounding once would not give these)


def _bn_reference(x, w, b, eps=1e-5):
    """PyTorch's training batch_norm of bfloat16 x (N, C, L) with bfloat16 parameters: the mean and the sum of
    squares about it in float32, each stored as bfloat16; var = sum / count in bfloat16; 1 / sqrt(var + eps) in
    double stored as bfloat16; the output (x - mean) * invstd * w + b in float32, rounded."""
    x64 = x.astype(np.float64)
    count = x.shape[0] * x.shape[2]
    mean32 = x64.mean(axis=(0, 2)).astype(np.float32)
    var_sum = bfloat16_rne(((x64 - mean32[:, None]) ** 2).sum(axis=(0, 2)).astype(np.float32))
    var = bfloat16_rne(var_sum / np.float32(count))
    invstd = bfloat16_rne((1 / np.sqrt(var.astype(np.float64) + eps)).astype(np.float32))
    mean = bfloat16_rne(mean32)
    out = (x - mean[:, None]) * invstd[:, None] * w[:, None] + b[:, None]
    return bfloat16_rne(out), mean, var_sum


def test_batch_norm_training_of_bfloat16_keeps_bfloat16_statistics():
    differs = 0
    for seed in range(6):
        x = bf16_values((6, 4, 20), seed, 2.0, 1.0)
        w, b = bf16_values((4,), seed + 50), bf16_values((4,), seed + 60)
        y = torchless.nn.functional.batch_norm(as_bf16(torchless, x), None, None, as_bf16(torchless, w),
                                               as_bf16(torchless, b), training=True)
        expected, _, _ = _bn_reference(x, w, b)
        assert y.dtype == torchless.bfloat16
        np.testing.assert_array_equal(floats(y), expected)
        x64 = x.astype(np.float64)
        exact = (x64 - x64.mean(axis=(0, 2), keepdims=True)) / np.sqrt(x64.var(axis=(0, 2), keepdims=True) + 1e-5)
        differs += not np.array_equal(bfloat16_rne((exact * w[:, None] + b[:, None]).astype(np.float32)), expected)
    assert differs


def test_batch_norm_bfloat16_running_statistics_reference():
    x = bf16_values((5, 3, 12), 3, 2.0, 1.5)
    bn = torchless.nn.BatchNorm1d(3, momentum=0.3).to(torchless.bfloat16)
    bn.running_mean.fill_(0.3)
    bn.running_var.fill_(1.7)
    bn(as_bf16(torchless, x))
    _, mean, var_sum = _bn_reference(x, np.ones(3, np.float32), np.zeros(3, np.float32))
    rate = bfloat16_rne(np.float32(0.3))
    keep = bfloat16_rne(np.float32(1) - rate)
    # momentum and 1 - momentum bfloat16 numbers: the mean's terms each rounded; the variance's new share a float32
    # product of the bfloat16 quotient
    expected_mean = bfloat16_rne(bfloat16_rne(rate * mean) + bfloat16_rne(keep * bfloat16_rne(np.float32(0.3))))
    unbiased = bfloat16_rne(var_sum / np.float32(59))
    expected_var = bfloat16_rne(rate * unbiased + bfloat16_rne(keep * bfloat16_rne(np.float32(1.7))))
    np.testing.assert_array_equal(floats(bn.running_mean), expected_mean)
    np.testing.assert_array_equal(floats(bn.running_var), expected_var)


# ---------------------------------------------------------------------------- against torch
def _both(torch, fn, arrays, grad_seed=None):
    """fn's result and the inputs' gradients (of a random bfloat16 output gradient) for torch and torchless."""
    out = []
    for mod in (torch, torchless):
        xs = [as_bf16(mod, a, requires_grad=True) for a in arrays]
        y = fn(mod, *xs)
        g = as_bf16(mod, bf16_values(tuple(y.shape), 99 if grad_seed is None else grad_seed, 1.0))
        y.backward(g)
        out.append((y, [x.grad for x in xs]))
    return out


def _assert_same(a, b):
    (ty, tg), (ly, lg) = a, b
    assert str(ly.dtype) == str(ty.dtype).replace("torch", "torchless")
    np.testing.assert_array_equal(floats(ly), floats(ty))
    for t, g in zip(tg, lg):
        assert str(g.dtype) == str(t.dtype).replace("torch", "torchless")
        np.testing.assert_array_equal(floats(g), floats(t))


@pytest.mark.parametrize("case", [
    dict(shape=(9, 7)), dict(shape=(40, 5)), dict(shape=(7,)), dict(shape=(3, 5, 4, 2)), dict(shape=(4, 6, 3)),
    dict(shape=(9, 7), reduction="sum"), dict(shape=(9, 7), reduction="none"), dict(shape=(9, 7), weight=True),
    dict(shape=(9, 7), ignore_index=2), dict(shape=(9, 7), label_smoothing=0.2),
    dict(shape=(9, 7), label_smoothing=0.1, weight=True),
])
def test_cross_entropy_of_bfloat16_against_torch(case):
    torch = pytest.importorskip("torch")
    shape = case["shape"]
    classes = shape[0] if len(shape) == 1 else shape[1]
    rng = np.random.default_rng(len(shape) * 10 + shape[-1])
    target = rng.integers(0, classes, () if len(shape) == 1 else (shape[0],) + shape[2:])
    weight = bf16_values((classes,), 5, 0.5) + np.float32(1) if case.get("weight") else None
    kwargs = {k: case[k] for k in ("reduction", "ignore_index", "label_smoothing") if k in case}

    def fn(mod, x):
        w = None if weight is None else as_bf16(mod, weight)
        return mod.nn.functional.cross_entropy(x, mod.tensor(target), weight=w, **kwargs)

    t, lt = _both(torch, fn, [bf16_values(shape, 1)])
    _assert_same(t, lt)
    assert lt[0].grad_fn.name() == t[0].grad_fn.name()


@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_of_bfloat16_against_torch(weighted):
    torch = pytest.importorskip("torch")
    for n in (5, 17, 70):
        target = np.random.default_rng(n).integers(0, 6, n)
        weight = bf16_values((6,), 7, 0.5) + np.float32(1) if weighted else None

        def fn(mod, x):
            w = None if weight is None else as_bf16(mod, weight)
            return mod.nn.functional.nll_loss(x, mod.tensor(target), weight=w)

        t, lt = _both(torch, fn, [bf16_values((n, 6), n)])
        _assert_same(t, lt)


@pytest.mark.parametrize("shape", [(6, 4, 8, 8), (5, 3), (4, 3, 10), (2, 3, 17, 3)])
def test_batch_norm_module_in_bfloat16_against_torch(shape):
    torch = pytest.importorskip("torch")
    x = bf16_values(shape, sum(shape), 2.0, 1.0)
    dy = bf16_values(shape, 7, 1.0)
    results = []
    for mod in (torch, torchless):
        cls = mod.nn.BatchNorm2d if len(shape) == 4 else mod.nn.BatchNorm1d
        bn = cls(shape[1], momentum=0.3).to(mod.bfloat16)
        with mod.no_grad():
            bn.weight.copy_(mod.tensor(bf16_values((shape[1],), 1, 1.0)))
            bn.bias.copy_(mod.tensor(bf16_values((shape[1],), 2, 1.0)))
        xs = as_bf16(mod, x, requires_grad=True)
        y = bn(xs)
        y.backward(as_bf16(mod, dy))
        y2 = bn(as_bf16(mod, x * np.float32(2)))  # (a second step reads the updated running statistics)
        results.append([y, y2, bn.running_mean, bn.running_var, xs.grad, bn.weight.grad, bn.bias.grad])
    for t, lt in zip(*results):
        assert str(lt.dtype) == str(t.dtype).replace("torch", "torchless")
        np.testing.assert_array_equal(floats(lt), floats(t))


def _cnn(mod, batch_norm):
    nn = mod.nn
    layers = [nn.Conv2d(1, 4, 3, padding=1)] + ([nn.BatchNorm2d(4)] if batch_norm else [])
    return nn.Sequential(*layers, nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.ReLU(), nn.AvgPool2d(2),
                         nn.Flatten(), nn.Linear(6, 5))


def _cnn_step(torch, batch_norm, autocast):
    """The loss, logits and parameter gradients of one training step of a small CNN, in torch and torchless, the
    model made bfloat16 (model.to) or run under autocast("cpu", dtype=bfloat16)."""
    torch.manual_seed(0)
    state = {k: v.detach().numpy().copy() for k, v in _cnn(torch, batch_norm).state_dict().items()}
    rng = np.random.default_rng(3)
    x = bfloat16_rne(rng.standard_normal((8, 1, 8, 8)).astype(np.float32))
    y = rng.integers(0, 5, 8)
    results = []
    for mod in (torch, torchless):
        net = _cnn(mod, batch_norm)
        net.load_state_dict({k: mod.tensor(v) for k, v in state.items()})
        inputs, targets = mod.tensor(x), mod.tensor(y)
        if autocast:
            with mod.autocast("cpu", dtype=mod.bfloat16):
                out = net(inputs)
                loss = mod.nn.functional.cross_entropy(out, targets)
        else:
            net = net.to(mod.bfloat16)
            out = net(inputs.to(mod.bfloat16))
            loss = mod.nn.functional.cross_entropy(out, targets)
        loss.backward()
        results.append([loss, out] + [p.grad for p in net.parameters()])
    return results


@pytest.mark.parametrize("batch_norm", [False, True])
def test_cnn_step_of_bfloat16_model_against_torch(batch_norm):
    torch = pytest.importorskip("torch")
    expected, got = _cnn_step(torch, batch_norm, autocast=False)
    for t, lt in zip(expected, got):
        assert str(lt.dtype) == str(t.dtype).replace("torch", "torchless")
        np.testing.assert_array_equal(floats(lt), floats(t))


@pytest.mark.parametrize("batch_norm", [False, True])
def test_cnn_step_under_autocast_against_torch(batch_norm):
    # dtypes exactly; values to float32 precision (the float32 loss and batch_norm's float32 parameter gradients
    # differ from PyTorch's in their last bits, see the report)
    torch = pytest.importorskip("torch")
    expected, got = _cnn_step(torch, batch_norm, autocast=True)
    for t, lt in zip(expected, got):
        assert str(lt.dtype) == str(t.dtype).replace("torch", "torchless")
        np.testing.assert_allclose(floats(lt), floats(t), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("shape", [(6, 4, 8, 8), (5, 3), (4, 3, 10), (2, 3, 17, 3), (3, 2, 40)])
def test_mixed_batch_norm_of_bfloat16_input_against_torch(shape):
    # a bfloat16 input with float32 parameters (autocast's case) computes as ATen's reduced-float kernel (float16's)
    torch = pytest.importorskip("torch")
    outs = []
    for seed in range(4):
        x = bf16_values(shape, seed, 2.0, 1.0)
        dy = bf16_values(shape, seed + 10, 1.0)
        pair = []
        for mod in (torch, torchless):
            bn = (mod.nn.BatchNorm2d if len(shape) == 4 else mod.nn.BatchNorm1d)(shape[1])
            xs = as_bf16(mod, x, requires_grad=True)
            y = bn(xs)
            y.backward(as_bf16(mod, dy))
            pair.append([y, xs.grad, bn.bias.grad, bn.running_mean])
        outs.append(pair)
    for expected, got in outs:
        for t, lt in zip(expected, got):
            assert str(lt.dtype) == str(t.dtype).replace("torch", "torchless")
            np.testing.assert_array_equal(floats(lt), floats(t))


def test_avg_pool2d_backward_of_bfloat16_adds_rounded_shares():
    # 3x3 windows, stride 1, padding 1: each input cell gets g / 9 of each window holding it, rounded to bfloat16,
    # and adds them in bfloat16 (each sum rounded) in the windows' order
    x = bf16_values((1, 1, 4, 4), 0)
    g = bf16_values((1, 1, 4, 4), 1, 1.0)
    xs = as_bf16(torchless, x, requires_grad=True)
    torchless.nn.functional.avg_pool2d(xs, 3, 1, 1).backward(as_bf16(torchless, g))
    shares = bfloat16_rne(g[0, 0] / np.float32(9))
    expected = np.zeros((4, 4), np.float32)
    for oh in range(4):
        for ow in range(4):
            for ih in range(max(oh - 1, 0), min(oh + 2, 4)):
                for iw in range(max(ow - 1, 0), min(ow + 2, 4)):
                    expected[ih, iw] = bfloat16_rne(np.float32(expected[ih, iw] + shares[oh, ow]))
    assert xs.grad.dtype == torchless.bfloat16
    np.testing.assert_array_equal(floats(xs.grad)[0, 0], expected)


@pytest.mark.parametrize("case", [
    (2, (2, 3, 7, 7), dict(kernel_size=3, stride=1, padding=1)),
    (2, (2, 3, 7, 7), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    (2, (2, 3, 7, 8), dict(kernel_size=3, stride=2, ceil_mode=True)),
    (2, (2, 3, 7, 7), dict(kernel_size=3, stride=1, divisor_override=5)),
    (1, (2, 3, 9), dict(kernel_size=3, stride=1, padding=1)),
    ("channels_last", (2, 3, 7, 7), dict(kernel_size=3, stride=1, padding=1)),
])
def test_avg_pool_of_bfloat16_against_torch(case):
    torch = pytest.importorskip("torch")
    dim, shape, kwargs = case
    x = bf16_values(shape, 2)
    results = []
    for mod in (torch, torchless):
        xs = as_bf16(mod, x)
        if dim == "channels_last":
            xs = xs.contiguous(memory_format=mod.channels_last)
        xs.requires_grad_()
        pool = mod.nn.functional.avg_pool1d if dim == 1 else mod.nn.functional.avg_pool2d
        y = pool(xs, **kwargs)
        y.backward(as_bf16(mod, bf16_values(tuple(y.shape), 9, 1.0)))
        results.append((y, xs.grad))
    for t, lt in zip(*results):
        assert str(lt.dtype) == str(t.dtype).replace("torch", "torchless")
        assert lt.stride() == t.stride()
        np.testing.assert_array_equal(floats(lt), floats(t))
