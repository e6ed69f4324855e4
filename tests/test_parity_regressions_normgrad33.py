"""Layer normalisation's gradients rounded as PyTorch's float kernel rounds them (normgrad33): where a row's mean is
large against its spread, the gradients of x and of the weight are mostly rounding error (b x + c cancel, and
rstd x - rstd mean is xhat to a few bits), so only the kernel's own arithmetic matches torch's; the bias's gradient
is added up per thread as the kernel adds it."""
import numpy as np
import pytest

import torchless

F = torchless.nn.functional


def _pair(x, dy, weight, bias, lib):
    """(x.grad, weight.grad, bias.grad, y) of layer_norm over the last dim, backward of ``dy``, in ``lib``."""
    xt = lib.tensor(x, requires_grad=True)
    wt = None if weight is None else lib.tensor(weight, requires_grad=True)
    bt = None if bias is None else lib.tensor(bias, requires_grad=True)
    y = lib.nn.functional.layer_norm(xt, (x.shape[-1],), wt, bt)
    y.backward(lib.tensor(dy))
    return [None if t is None else t.grad.detach().numpy() for t in (xt, wt, bt)] + [y.detach().numpy()]


def _rows(kind, rows, size, dtype, seed):
    rng = np.random.default_rng(seed)
    if kind == "large mean":
        x = 1e4 + rng.normal(0, 1e-2, (rows, size))
    elif kind == "near constant":
        x = 7.77 + rng.normal(0, 1e-5, (rows, size))
    else:
        x = 300 + rng.normal(0, 1, (rows, size))  # |mean| / std = 300: past the emulation's threshold
    return x.astype(dtype), rng.normal(size=(rows, size)).astype(dtype), rng.normal(size=(2, size)).astype(dtype)


def test_the_reported_row_of_large_mean():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(33)
    x = (1e4 + rng.normal(0, 1e-2, (1, 10))).astype(np.float32)
    dy = rng.normal(size=(1, 10)).astype(np.float32)
    expected = _pair(x, dy, None, None, torch)[0]
    got = _pair(x, dy, None, None, torchless)[0]
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["large mean", "near constant", "mean of 300 spreads"])
@pytest.mark.parametrize("size", [1, 3, 8, 10, 17, 64, 257])
def test_gradients_of_cancelling_rows_as_torch(dtype, kind, size):
    torch = pytest.importorskip("torch")
    x, dy, (weight, bias) = _rows(kind, 9, size, dtype, size)
    for w, b in ((None, None), (weight, bias), (weight, None), (None, bias)):
        expected = _pair(x, dy, w, b, torch)
        got = _pair(x, dy, w, b, torchless)
        for name, g, e in zip(("x", "weight", "bias", "output"), got, expected):
            assert (g is None) == (e is None), name
            if e is not None:
                np.testing.assert_array_equal(g, e, err_msg=f"{name}, weight {w is not None}, bias {b is not None}")


def test_rows_of_both_kinds_in_one_batch():
    """Cancelling rows beside ordinary ones: the former's input gradients exact, the others' and the weight's close
    (the ordinary rows' statistics are NumPy's, an ulp off PyTorch's Welford ones at times)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 33)).astype(np.float32)
    x[::3] += np.float32(2e4)
    dy, weight, bias = (rng.normal(size=s).astype(np.float32) for s in ((40, 33), 33, 33))
    expected = _pair(x, dy, weight, bias, torch)
    got = _pair(x, dy, weight, bias, torchless)
    np.testing.assert_array_equal(got[0][::3], expected[0][::3])
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got[2], expected[2])


@pytest.mark.parametrize("rows", [1, 2, 7, 64, 301])
@pytest.mark.parametrize("size", [1, 10])
def test_bias_gradient_added_per_thread_in_order(rows, size):
    """The bias's gradient: each thread's share of rows added one after another in float32, then the shares' sums
    (a plain Python loop here), whatever the inputs' magnitudes."""
    rng = np.random.default_rng(rows * size)
    x = rng.normal(size=(rows, size)).astype(np.float32)
    dy = (rng.normal(size=(rows, size)) * 10.0 ** rng.integers(-3, 4, (rows, size))).astype(np.float32)
    threads = torchless.get_num_threads()
    share = -(-rows // min(threads, rows))
    expected = np.zeros(size, np.float32)
    for begin in range(0, rows, share):
        buffer = np.zeros(size, np.float32)
        for row in dy[begin:begin + share]:
            buffer = buffer + row
        expected = expected + buffer
    got = _pair(x, dy, None, np.zeros(size, np.float32), torchless)[2]
    np.testing.assert_array_equal(got, expected)
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(got, _pair(x, dy, None, np.zeros(size, np.float32), torch)[2])


def test_cancelling_gradients_stay_near_the_exact_ones():
    """Rounding error, but PyTorch's: within a few percent of the float64 gradient, not a different formula."""
    x, dy, _ = _rows("large mean", 4, 10, np.float32, 7)
    got = _pair(x, dy, None, None, torchless)[0]
    x64, dy64 = x.astype(np.float64), dy.astype(np.float64)
    centred = x64 - x64.mean(1, keepdims=True)
    rstd = 1 / np.sqrt((centred ** 2).mean(1, keepdims=True) + 1e-5)
    xhat = centred * rstd
    exact = rstd * (dy64 - dy64.mean(1, keepdims=True) - xhat * (dy64 * xhat).mean(1, keepdims=True))
    assert np.max(np.abs(got - exact)) < 0.05 * np.max(np.abs(exact))


@pytest.mark.parametrize("shape", [(4, 3, 10), (2, 5, 6, 7), (1, 2, 33)])
@pytest.mark.parametrize("affine", [False, True])
def test_instance_norm_gradients_from_pytorchs_saved_statistics(shape, affine):
    """instance_norm of instances of a large mean: PyTorch's batch-norm kernel centres on its float32 mean (rounded
    from a float64 sum), whose rounding moves every x - mean by up to an ulp of 1e4 against a spread of 1e-2: the
    gradients were 5% off; now within float rounding of torch's."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(sum(shape))
    x = (1e4 + rng.normal(0, 1e-2, shape)).astype(np.float32)
    x[0, 0] = np.float32(0.5) + rng.normal(size=shape[2:]).astype(np.float32)  # an ordinary instance beside them
    dy = rng.normal(size=shape).astype(np.float32)
    weight, bias = rng.normal(size=(2, shape[1])).astype(np.float32)
    results = []
    for lib in (torch, torchless):
        xt = lib.tensor(x, requires_grad=True)
        params = [lib.tensor(p, requires_grad=True) for p in (weight, bias)] if affine else [None, None]
        lib.nn.functional.instance_norm(xt, weight=params[0], bias=params[1]).backward(lib.tensor(dy))
        results.append([t.grad.numpy() for t in [xt] + params if t is not None])
    for expected, got in zip(*results):
        scale = np.max(np.abs(expected))
        np.testing.assert_allclose(got, expected, rtol=0, atol=2e-6 * scale)
