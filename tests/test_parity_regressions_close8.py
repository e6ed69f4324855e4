"""Differences from PyTorch in float32 numbers, found by the audit of tests/close8_audit.py (every CNN op in
torchless and torch on the same inputs, forward values and gradients compared by ``torch.testing.assert_close``
at its default tolerances), where torchless was farther from the exact result than PyTorch:

* cumsum (and its backward, a running sum from the end) of float32 accumulates in float64 and rounds each
  running sum once, as PyTorch's CPU kernel does: NumPy's float32 running sums drifted (100000 terms of about
  10: 5.4 off; 1000: 0.02);
* sum and mean of float32 over an outer dim (dim 0 of a matrix, (0, 2, 3) of an image batch) are accumulated
  in float64: NumPy adds those rows one after another in float32 (1000 rows of about 10: 0.015 off, where
  PyTorch's cascade sum is 0.002 off);
* batch_norm in training computes a float32 batch's mean and variance accumulated in float64 (PyTorch's
  accumulation type) and sums the gradients of weight and bias per channel in float64 (float16 in float32):
  the mean's float32 error of a few ulp shifted every normalised value, the weight's gradient ending 5-10x
  farther from the exact one than PyTorch's, and the bias's gradient was added row after row in float32;
* the gradients of linear's bias and of every broadcast operand (unbroadcast: the sum over the dims that
  broadcasting added or stretched) sum more than 16 float32 rows in float64, as tensor.sum now does: over
  512 rows and more, linear's bias gradient was 5-10x farther from the exact one than PyTorch's;
* layer_norm's, rms_norm's, group_norm's and instance_norm's weight and bias gradients (sums over the rows
  or the batch) likewise: layer_norm's over 4096 rows were 2-3x farther from the exact ones than PyTorch's;
* which sums NumPy adds sequentially follows the memory layout, not the dims' order: sum and mean along dim 1
  of a transposed (or permuted) float32 tensor accumulate in float64 too;
* softmax / log_softmax of a non-contiguous input compute on a contiguous copy, as PyTorch's kernels do, so
  that their sums run in PyTorch's order (vectorised along the last dim, one term after another along the
  others): log_softmax's gradient of a transposed 2000-row input was 0.00013 off, PyTorch's 5e-5;
* var / std (and var_mean, std_mean) and nansum / nanmean of float32 sum through sum_of_rows too (over 100000
  rows of about 100, var was 7e-5 off and nansum 70 off, PyTorch's 2e-7 and 0.26);
* logcumsumexp of float32 carries its running value in float64, as PyTorch's kernel (its accumulation type),
  in forward and in backward (20000 terms: 7e-5 off, PyTorch's correctly rounded);
* cumprod of float32 carries its running product in float64 (PyTorch's accumulation type), and its backward
  takes the running sums from the end in float64 (cumsum's), as PyTorch's cumprod_backward does through
  cumsum: over 5000 terms the gradient was 0.00035 off, PyTorch's 2e-5.
"""
import numpy as np
import pytest

import torchless
from close8_audit import compare, randn

torch = pytest.importorskip("torch")


def _values(fn, array):
    """fn(torchless tensor of array) and fn(torch tensor of array), as numpy arrays."""
    ours = fn(torchless.tensor(array)).numpy()
    theirs = fn(torch.tensor(array)).numpy()
    return ours, theirs


@pytest.mark.parametrize("shape,dim", [((100_000,), 0), ((1000, 1003), 1), ((1000, 1003), 0), ((7, 300, 5), 1)])
def test_float32_cumsum_is_accumulated_in_float64(shape, dim):
    x = (randn(*shape, scale=3) + 10).astype(np.float32)
    ours, theirs = _values(lambda t: t.cumsum(dim), x)
    torch.testing.assert_close(torch.from_numpy(ours), torch.from_numpy(theirs))
    exact = np.cumsum(x.astype(np.float64), axis=dim)
    np.testing.assert_array_equal(ours, exact.astype(np.float32))  # correctly rounded running sums


def test_float32_cumsum_backward_matches_torch():
    assert compare("cumsum", lambda lib, x: x.cumsum(0), [randn(20_000, 3, scale=3) + 10], dtypes=(np.float32,)) == []


@pytest.mark.parametrize("fn", [lambda t: t.sum(0), lambda t: t.mean(0), lambda t: t.sum((0, 2)),
                                lambda t: t.mean((0, 2)), lambda t: t.sum(1, keepdim=True)])
def test_float32_sum_over_outer_dims_matches_torch(fn):
    x = (randn(1000, 40, 31, scale=3) + 10).astype(np.float32)
    ours, theirs = _values(fn, x)
    torch.testing.assert_close(torch.from_numpy(ours), torch.from_numpy(theirs))
    exact = fn(torch.tensor(x.astype(np.float64))).numpy()
    assert np.abs(ours - exact).max() <= np.abs(theirs - exact).max()


def _batch_norm_steps(lib, x, weight, bias):
    """Three training steps of batch_norm (its output and the running statistics after them)."""
    running_mean = lib.zeros(x.shape[1], dtype=x.dtype)
    running_var = lib.ones(x.shape[1], dtype=x.dtype)
    for _ in range(3):
        out = lib.nn.functional.batch_norm(x, running_mean, running_var, weight, bias, training=True, momentum=0.3)
    return out, running_mean, running_var


@pytest.mark.parametrize("shape", [(64, 8, 5, 5), (256, 4, 3, 3), (128, 3, 8, 8), (16, 8, 12, 12)])
def test_batch_norm_in_float32_matches_torch(shape):
    # An input of mean 50: the float32 rounding of the batch mean shifted every normalised value, and so the
    # weight's gradient (0.0003 off, PyTorch's error 3e-5)
    x = randn(*shape, scale=3) + 50
    assert compare("batch_norm", _batch_norm_steps, [x, randn(shape[1]), randn(shape[1])], dtypes=(np.float32,)) == []


@pytest.mark.parametrize("shape", [(4096, 8), (1024, 6), (32, 16, 28, 28)])
def test_batch_norm_in_float32_is_not_less_exact_than_torch(shape):
    # Over many rows PyTorch's own gradients of the parameters fail assert_close against the exact ones (its
    # backward sums in float32): ours must not be farther from them than PyTorch's (1.5x slack for rounding)
    x = randn(*shape, scale=3) + 50
    failures = compare("batch_norm", _batch_norm_steps, [x, randn(shape[1]), randn(shape[1])], dtypes=(np.float32,))
    assert not any("OURS WORSE" in f for f in failures), failures


def test_batch_norm_bias_gradient_against_float64():
    x = (randn(4096, 8, scale=3) + 50).astype(np.float32)
    g = randn(4096, 8, seed=1).astype(np.float32)
    t = torchless.tensor(x, requires_grad=True)
    bias = torchless.zeros(8, requires_grad=True)
    torchless.nn.functional.batch_norm(t, None, None, None, bias, training=True).backward(torchless.tensor(g))
    np.testing.assert_allclose(bias.grad.numpy(), g.astype(np.float64).sum(0), rtol=1e-7, atol=1e-6)


@pytest.mark.parametrize("rows", [512, 2048, 4096])
def test_linear_bias_gradient_over_many_rows(rows):
    def linear(lib, x, weight, bias):
        return lib.nn.functional.linear(x, weight, bias)

    failures = compare("linear", linear, [randn(rows, 16), randn(8, 16, scale=0.25), randn(8)], dtypes=(np.float32,))
    assert [f for f in failures if "grad2" in f] == []  # the bias's (grad1, the weight's, see the report)


def test_broadcast_gradient_sums_over_many_rows_in_float64():
    x = torchless.tensor((randn(3000, 5) + 10).astype(np.float32))
    bias = torchless.zeros(5, requires_grad=True)
    (x + bias).backward(x)  # the bias's gradient sums the 3000 rows of x
    exact = x.numpy().astype(np.float64).sum(0)
    # (added in PyTorch's order, see sum_order: its cascade keeps the float32 sum of 3000 rows near the exact one)
    np.testing.assert_allclose(bias.grad.numpy(), exact, rtol=1e-6)
    theirs = torch.tensor(x.numpy()).sum(0)
    np.testing.assert_array_equal(bias.grad.numpy(), theirs.numpy())


@pytest.mark.parametrize("name,fn,shape", [
    ("layer_norm", lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (64,), w, b), (4096, 64)),
    ("layer_norm 3d", lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (32,), w, b), (64, 50, 32)),
    ("group_norm", lambda lib, x, w, b: lib.nn.functional.group_norm(x, 4, w, b), (128, 8, 6, 6)),
    ("instance_norm", lambda lib, x, w, b: lib.nn.functional.instance_norm(x, weight=w, bias=b), (128, 8, 6, 6)),
])
def test_norm_parameter_gradients_over_many_rows_not_less_exact_than_torch(name, fn, shape):
    channels = shape[-1] if name.startswith("layer") else shape[1]
    x = randn(*shape, scale=2) + 5
    failures = compare(name, fn, [x, randn(channels), randn(channels)], dtypes=(np.float32,))
    assert not any("OURS WORSE" in f for f in failures), failures


def test_layer_norm_bias_gradient_against_float64():
    x = torchless.tensor((randn(4096, 64, scale=2) + 5).astype(np.float32))
    g = randn(4096, 64, seed=1).astype(np.float32)
    bias = torchless.zeros(64, requires_grad=True)
    torchless.nn.functional.layer_norm(x, (64,), None, bias).backward(torchless.tensor(g))
    # PyTorch's kernel adds the rows in float32, each thread its share in order (normgrad33): as close as that
    np.testing.assert_allclose(bias.grad.numpy(), g.astype(np.float64).sum(0), rtol=0, atol=5e-4)
    expected = torch.zeros(64, requires_grad=True)
    torch.nn.functional.layer_norm(torch.tensor(x.numpy()), (64,), None, expected).backward(torch.tensor(g))
    np.testing.assert_array_equal(bias.grad.numpy(), expected.grad.numpy())


def test_rms_norm_weight_gradient_over_many_rows():
    def rms_norm(lib, x, w):
        return lib.nn.functional.rms_norm(x, (64,), w)

    failures = compare("rms_norm", rms_norm, [randn(4096, 64, scale=2) + 5, randn(64)], dtypes=(np.float32,))
    assert not any("OURS WORSE" in f for f in failures), failures


@pytest.mark.parametrize("name,fn", [
    ("sum of a transposed matrix", lambda lib, x: x.t().sum(1)),
    ("mean of a transposed matrix", lambda lib, x: x.t().mean(1)),
    ("sum over a permuted batch", lambda lib, x: x.reshape(20, 100, 503).permute(0, 2, 1).sum((0, 2))),
    ("log_softmax of a transposed matrix", lambda lib, x: x.t().log_softmax(1)),
    ("softmax of a transposed matrix", lambda lib, x: x.t().softmax(1)),
    ("log_softmax along dim 0", lambda lib, x: x.log_softmax(0)),
    ("softmax along dim 1 of a permuted batch", lambda lib, x: x.reshape(20, 100, 503).permute(0, 2, 1).softmax(1)),
])
def test_float32_sums_along_an_outer_axis_in_memory(name, fn):
    # sum_of_rows reads the layout: along dim 1 of a transposed matrix NumPy adds sequentially too
    failures = compare(name, fn, [randn(2000, 503, scale=3) + 10], dtypes=(np.float32,))
    assert failures == []


@pytest.mark.parametrize("name,fn", [
    ("var", lambda lib, x: x.var(0)),
    ("std", lambda lib, x: x.std(0, correction=0)),
    ("var_mean", lambda lib, x: lib.var_mean(x, 0)),
    ("nansum", lambda lib, x: x.nansum(0)),
    ("nanmean", lambda lib, x: x.nanmean(0)),
])
def test_float32_statistics_over_many_rows(name, fn):
    # 100000 rows of about 100: var 7e-5 off, nansum 70 off (PyTorch's: 2e-7 and 0.26)
    assert compare(name, fn, [randn(100_000, 3, scale=2) + 100], dtypes=(np.float32,)) == []


def test_float32_logcumsumexp_is_accumulated_in_float64():
    x = randn(20_000, 3, scale=2).astype(np.float32)
    failures = compare("logcumsumexp", lambda lib, t: t.logcumsumexp(0), [x], dtypes=(np.float32,))
    assert not any("out0" in f or "OURS WORSE" in f for f in failures), failures
    exact = np.logaddexp.accumulate(x.astype(np.float64), axis=0).astype(np.float32)
    np.testing.assert_array_equal(torchless.tensor(x).logcumsumexp(0).numpy(), exact)


@pytest.mark.parametrize("with_zeros", [False, True])
def test_float32_cumprod_and_its_gradient_over_long_rows(with_zeros):
    x = 1 + randn(3, 5000, scale=0.01)
    if with_zeros:
        x[1, 100] = x[2, 4000] = 0
    # the gradient's running sums from the end (5000 terms) were float32: 0.00035 off, PyTorch's 2e-5
    assert compare("cumprod", lambda lib, t: t.cumprod(1), [x], dtypes=(np.float32,)) == []
    exact = np.cumprod(x.astype(np.float32).astype(np.float64), axis=1).astype(np.float32)
    np.testing.assert_array_equal(torchless.tensor(x.astype(np.float32)).cumprod(1).numpy(), exact)
