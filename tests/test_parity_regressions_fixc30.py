"""fixc30: layer_norm, group_norm and instance_norm where a row's mean is large against its spread (1e4 + 1e-2
noise in float32), whose outputs carry the rounding of PyTorch's statistics (0.1 and more off the exact values):
its Welford moments (layer and group norm) and batch-norm kernel (instance norm) are now computed as it computes
them there, bit for bit."""
import numpy as np
import pytest

import torchless
import torchless.nn.functional as F

torch = pytest.importorskip("torch")

# sizes around the kernels' 8-float / 4-double vectors and their chunks of 16 vectors
ROW_SIZES = [1, 3, 7, 9, 17, 37, 100, 129, 257, 515, 2053]
DTYPES = [np.float32, np.float64]


def _large_mean(shape, dtype, seed, loc=1e4, spread=1e-2):
    return (loc + spread * np.random.default_rng(seed).standard_normal(shape)).astype(dtype)


def _params(size, dtype, seed, which):
    rng = np.random.default_rng(seed + 1)
    weight = rng.standard_normal(size).astype(dtype) if "w" in which else None
    bias = rng.standard_normal(size).astype(dtype) if "b" in which else None
    return weight, bias


def _both(*arrays):
    """Each array (or None) as a torch tensor and a torchless one."""
    return ([None if a is None else torch.from_numpy(a.copy()) for a in arrays],
            [None if a is None else torchless.from_numpy(a.copy()) for a in arrays])


def _assert_same(ours, theirs):
    ours, theirs = np.asarray(ours.detach().numpy()), theirs.detach().numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", ROW_SIZES)
def test_layer_norm_statistics_and_output_at_large_means(dtype, size):
    x = _large_mean((5, size), dtype, size)
    (tx,), (lx,) = _both(x)
    expected, mean, rstd = torch.native_layer_norm(tx, (size,), None, None, 1e-5)
    out = F.layer_norm(lx.requires_grad_(), (size,))
    _assert_same(out, expected)
    np.testing.assert_array_equal(out.grad_fn._saved_result2.detach().numpy(), rstd.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", ["wb", "w", "b"])
@pytest.mark.parametrize("shape", [(4, 2, 2), (3, 5, 9), (2, 3, 37), (2, 260)])
def test_layer_norm_affine_at_large_means(dtype, which, shape):
    x = _large_mean(shape, dtype, len(which), loc=-3e3, spread=5e-3)
    normalized = shape[-1:] if shape[-1] % 2 else shape[1:]
    weight, bias = _params(normalized, dtype, 3, which)
    (tx, tw, tb), (lx, lw, lb) = _both(x, weight, bias)
    _assert_same(F.layer_norm(lx, normalized, lw, lb), torch.nn.functional.layer_norm(tx, normalized, tw, tb))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", ["", "wb", "w", "b"])
@pytest.mark.parametrize("shape,groups", [((2, 4, 3, 5), 1), ((2, 4, 3, 5), 2), ((3, 6, 7), 3), ((2, 3, 11, 13), 1),
                                          ((1, 8, 40), 4)])
def test_group_norm_at_large_means(dtype, which, shape, groups):
    x = _large_mean(shape, dtype, groups)
    weight, bias = _params(shape[1], dtype, 5, which)
    (tx, tw, tb), (lx, lw, lb) = _both(x, weight, bias)
    expected, _, rstd = torch.native_group_norm(tx, tw, tb, shape[0], shape[1], int(np.prod(shape[2:])), groups, 1e-5)
    out = F.group_norm(lx.requires_grad_(), groups, lw, lb)
    _assert_same(out, expected)
    np.testing.assert_array_equal(out.grad_fn._saved_result2.detach().numpy(), rstd.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_group_norm_mixes_constant_and_large_mean_groups(dtype):
    x = _large_mean((2, 4, 9), dtype, 9, loc=1e3)
    x[0, :2] = 7.77
    x[1, 2:] = np.random.default_rng(2).standard_normal((2, 9))  # an ordinary group
    weight, bias = _params(4, dtype, 11, "wb")
    (tx, tw, tb), (lx, lw, lb) = _both(x, weight, bias)
    ours, theirs = F.group_norm(lx, 2, lw, lb).numpy(), torch.nn.functional.group_norm(tx, 2, tw, tb).numpy()
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[1, :2], theirs[1, :2])
    tolerance = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(ours[1, 2:], theirs[1, 2:], rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("which", ["", "wb", "w"])
@pytest.mark.parametrize("shape", [(2, 4, 3, 5), (3, 5, 7), (2, 3, 17, 9)])
def test_instance_norm_at_large_means_float32(which, shape):
    x = _large_mean(shape, np.float32, shape[-1])
    weight, bias = _params(shape[1], np.float32, 7, which)
    (tx, tw, tb), (lx, lw, lb) = _both(x, weight, bias)
    _assert_same(F.instance_norm(lx, weight=lw, bias=lb), torch.nn.functional.instance_norm(tx, weight=tw, bias=tb))


@pytest.mark.parametrize("dtype", DTYPES)
def test_ordinary_rows_keep_close_values_and_gradients(dtype):
    rng = np.random.default_rng(13)
    x = rng.standard_normal((4, 6, 5)).astype(dtype)
    weight, bias = _params(6, dtype, 17, "wb")
    grad = rng.standard_normal(x.shape).astype(dtype)
    results = []
    for lib, (xs, ws, bs) in zip((torch, torchless), _both(x, weight, bias)):
        for t in (xs, ws, bs):
            t.requires_grad_()
        out = lib.nn.functional.group_norm(xs, 3, ws, bs) + lib.nn.functional.layer_norm(xs, (5,))
        out.backward(lib.from_numpy(grad.copy()))
        results.append([out.detach().numpy(), xs.grad.numpy(), ws.grad.numpy(), bs.grad.numpy()])
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)


def test_large_mean_gradients_match_finite_differences():
    """The recomputed rows keep a consistent backward: their input gradient against central differences of an
    independent float64 layer norm (float32 differences at 1e4 would be rounding noise)."""
    x = _large_mean((2, 12), np.float64, 21, loc=1e4, spread=1e-2)
    lx = torchless.from_numpy(x.copy()).requires_grad_()
    weights = np.random.default_rng(4).standard_normal(x.shape)
    (F.layer_norm(lx, (12,)) * torchless.from_numpy(weights)).sum().backward()
    step = 1e-7
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        for sign in (1, -1):
            shifted = x.copy()
            shifted[index] += sign * step
            centred = shifted - shifted.mean(-1, keepdims=True)
            normalised = centred / np.sqrt((centred ** 2).mean(-1, keepdims=True) + 1e-5)
            numeric[index] += sign * (normalised * weights).sum() / (2 * step)
    np.testing.assert_allclose(lx.grad.numpy(), numeric, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("norm", ["instance", "group", "layer"])
def test_large_means_of_a_permuted_input(norm):
    x = _large_mean((3, 5, 2, 4), np.float32, 31).transpose(0, 1, 3, 2)
    weight, bias = _params(5, np.float32, 33, "wb")
    (tx, tw, tb), (lx, lw, lb) = _both(x, weight, bias)
    tx, lx = tx.transpose(2, 3), lx.transpose(2, 3)
    if norm == "instance":
        _assert_same(F.instance_norm(lx, weight=lw, bias=lb), torch.nn.functional.instance_norm(tx, weight=tw, bias=tb))
    elif norm == "group":
        _assert_same(F.group_norm(lx, 5, lw, lb), torch.nn.functional.group_norm(tx, 5, tw, tb))
    else:
        _assert_same(F.layer_norm(lx, (2, 4)), torch.nn.functional.layer_norm(tx, (2, 4)))


def test_float16_layer_and_group_norm_unchanged_at_large_means():
    """float16 inputs take PyTorch's float32 kernels (not the Welford emulation): still within float16 rounding."""
    x = _large_mean((2, 4, 6), np.float16, 41, loc=100, spread=1)
    (tx,), (lx,) = _both(x)
    for ours, theirs in ((F.layer_norm(lx, (6,)), torch.nn.functional.layer_norm(tx, (6,))),
                         (F.group_norm(lx, 2), torch.nn.functional.group_norm(tx, 2))):
        np.testing.assert_allclose(ours.numpy().astype(np.float32), theirs.numpy().astype(np.float32), atol=2e-2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_native_statistics_at_large_means(dtype):
    x = _large_mean((3, 4, 37), dtype, 51)
    (tx,), (lx,) = _both(x)
    for ours, theirs in zip(torchless.native_layer_norm(lx, (4, 37), None, None, 1e-5),
                            torch.native_layer_norm(tx, (4, 37), None, None, 1e-5)):
        _assert_same(ours, theirs)
    for ours, theirs in zip(torchless.native_group_norm(lx, None, None, 3, 4, 37, 2, 1e-5),
                            torch.native_group_norm(tx, None, None, 3, 4, 37, 2, 1e-5)):
        _assert_same(ours, theirs)
