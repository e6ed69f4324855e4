"""Differences from PyTorch found by a differential fuzz of the convolution, pooling and normalisation layers
(functional and modules; float32 and float64; batched, unbatched, channels-last, permuted and sliced inputs; NaN,
infinite and huge values), each compared with torch.

* layer_norm and group_norm of a finite row whose squares overflow (1e30 in float32, 1e200 in float64): PyTorch's
  Welford moments merge the kernel's empty vector lanes with weight 0 times the overflowing square of the mean's
  change, a NaN variance and NaN outputs and gradients; torchless's two-pass variance overflowed to inf, 1 / std 0,
  and its outputs were 0 (the bias). Likewise a finite row whose float sum overflows (16 values of +-1e38): the
  Welford mean stays finite, 1 / std 0 and the outputs 0, where torchless's infinite mean gave NaNs. The
  channels-last group norm kernel sums x and x^2: where the squares' sum overflows, its variance is NaN or inf.
  instance_norm (ATen's batch-norm kernel, float64 sums) of such an instance: a finite mean, 1 / std 0 and outputs
  the bias, where torchless's float32 mean overflowed (NaN outputs and gradients).
* batch_norm in training of an input in no contiguous layout (sliced, permuted): ATen's kernel takes the squared
  deviations from the mean, and updates the running statistics, in float64; torchless squared float32 deviations
  (1e30: an infinite variance, outputs 0) and updated the running statistics in float32 (a last bit off).
* second-order gradients through pooling (max, average, adaptive, area interpolation) and reflection / replication
  padding of a channels-last input: their backward ops' ``self: zeros_like(self)`` is generated as
  ``self_info.zeros()``, C-contiguous; torchless laid those zeros out as the incoming gradient (channels-last).
* batch_norm in training on one value per channel (torch.batch_norm, which F.batch_norm's batch-size check does
  not guard): the unbiased variance is 0 / 0, a NaN running_var; torchless divided by max(count - 1, 1).
"""
import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome

torch = pytest.importorskip("torch")


# ---------------------------------------------------------------------------- layer_norm / group_norm: overflow
_OVERFLOWING_ROWS = {
    "float32": [[1e30, 0.5, -0.3], [1e30, 1e30, 0.5], [1e20, 0.5, 0.2, 3.0]],
    "float64": [[1e200, 0.5, -0.3], [1e160, 1e160, 0.5], [1e155, 0.5, 0.2, 3.0]],
}


def _rows(lib, row, dtype):
    """``row`` beside an ordinary one, as a leaf requiring grad."""
    ordinary = np.linspace(-1, 2, len(row))
    return lib.tensor(np.array([row, ordinary]), dtype=getattr(lib, dtype), requires_grad=True)


def _affine(lib, size, dtype):
    weight = lib.tensor(np.linspace(0.5, 1.5, size), dtype=getattr(lib, dtype), requires_grad=True)
    bias = lib.tensor(np.linspace(-0.25, 0.25, size), dtype=getattr(lib, dtype), requires_grad=True)
    return weight, bias


@pytest.mark.parametrize("dtype, row", [(dtype, row) for dtype, rows in _OVERFLOWING_ROWS.items() for row in rows])
@pytest.mark.parametrize("affine", [False, True])
def test_layer_norm_of_a_row_whose_squares_overflow(dtype, row, affine):
    def call(lib):
        x = _rows(lib, row, dtype)
        weight, bias = _affine(lib, len(row), dtype) if affine else (None, None)
        y = lib.nn.functional.layer_norm(x, (len(row),), weight, bias)
        y.backward(lib.ones_like(y))
        grads = (weight.grad, bias.grad) if affine else ()
        return (y, x.grad) + grads

    assert_same_outcome(call)


@pytest.mark.parametrize("dtype, row", [(dtype, row) for dtype, rows in _OVERFLOWING_ROWS.items() for row in rows])
@pytest.mark.parametrize("affine", [False, True])
def test_group_norm_of_a_group_whose_squares_overflow(dtype, row, affine):
    def call(lib):
        x = _rows(lib, row, dtype)
        weight, bias = _affine(lib, 2, dtype) if affine else (None, None)
        # (1, 2, len): one group per channel, the overflowing row the first
        y = lib.nn.functional.group_norm(x.reshape(1, 2, -1), 2, weight, bias)
        y.backward(lib.ones_like(y))
        grads = (weight.grad, bias.grad) if affine else ()
        return (y, x.grad) + grads

    assert_same_outcome(call)


def test_layer_norm_module_of_an_image_with_an_overflowing_pixel():
    def call(lib):
        x = lib.tensor(np.linspace(-1, 1, 2 * 3 * 2 * 2).reshape(2, 3, 2, 2), dtype=lib.float32)
        x[0, 1, 1, 0] = 1e30
        return lib.nn.LayerNorm([2, 2])(x)

    assert_same_outcome(call)


_SUM_OVERFLOWING = np.array([-0.89, -1.98e38, -0.35, 0.16, 1.23e38, 1.2, -0.39, -3.02e37, -1.05, -1.42, -1.71e38,
                             1.95, -0.51, -4.38e37, -1.25, 0.78])


@pytest.mark.parametrize("norm", ["layer_norm", "group_norm"])
@pytest.mark.parametrize("affine", [False, True])
def test_normalization_of_a_row_whose_sum_overflows(norm, affine):
    def call(lib):
        x = lib.tensor(np.stack([_SUM_OVERFLOWING, np.linspace(-1, 1, 16)]), dtype=lib.float32, requires_grad=True)
        if norm == "layer_norm":
            weight, bias = _affine(lib, 16, "float32") if affine else (None, None)
            y = lib.nn.functional.layer_norm(x.reshape(2, 4, 4), (4, 4), *((weight.reshape(4, 4), bias.reshape(4, 4))
                                                                            if affine else ()))
        else:
            weight, bias = _affine(lib, 2, "float32") if affine else (None, None)
            y = lib.nn.functional.group_norm(x.reshape(1, 2, 4, 4), 2, weight, bias)
        y.backward(lib.ones_like(y))
        return (y, x.grad) + ((weight.grad, bias.grad) if affine else ())

    assert_same_outcome(call)


@pytest.mark.parametrize("dtype, scale", [("float32", 1e20), ("float32", 5e18), ("float64", 1e300)])
@pytest.mark.parametrize("affine", [False, True])
def test_channels_last_group_norm_whose_squares_overflow(dtype, scale, affine):
    def call(lib):
        values = np.random.RandomState(0).randn(2, 4, 4, 4)
        values.flat[::3] *= scale
        x = lib.tensor(values, dtype=getattr(lib, dtype)).contiguous(memory_format=lib.channels_last)
        weight, bias = _affine(lib, 4, dtype) if affine else (None, None)
        return lib.nn.functional.group_norm(x, 2, weight, bias)

    assert_same_outcome(call)


@pytest.mark.parametrize("layout", ["contiguous", "channels_last", "transposed"])
@pytest.mark.parametrize("affine", [False, True])
def test_instance_norm_of_an_instance_whose_sum_overflows(layout, affine):
    def call(lib):
        values = np.stack([_SUM_OVERFLOWING, np.linspace(-1, 1, 16), _SUM_OVERFLOWING[::-1] * 1e-20,
                           _SUM_OVERFLOWING * 1.5e-18]).reshape(2, 2, 4, 4)
        x = lib.tensor(values, dtype=lib.float32)
        if layout == "channels_last":
            x = x.contiguous(memory_format=lib.channels_last)
        elif layout == "transposed":
            x = x.transpose(2, 3).contiguous().transpose(2, 3)
        x.requires_grad_()
        weight, bias = _affine(lib, 2, "float32") if affine else (None, None)
        y = lib.nn.functional.instance_norm(x, weight=weight, bias=bias)
        y.backward(lib.ones_like(y))
        return (y, x.grad) + ((weight.grad, bias.grad) if affine else ())

    assert_same_outcome(call)


def test_overflow_leaves_finite_rows_exact():
    """Without torch: the float64 row of a float32 overflow normalises exactly, and the overflowing float32 row is
    all NaN, the rows beside it untouched."""
    row = np.array([1e30, 0.5, -0.3])
    expected = (row - row.mean()) / np.sqrt(row.var() + 1e-5)
    ours64 = torchless.nn.functional.layer_norm(torchless.tensor(row), (3,)).numpy()
    np.testing.assert_allclose(ours64, expected, rtol=1e-12)
    x = torchless.tensor(np.array([row, [1.0, 2.0, 3.0]]), dtype=torchless.float32)
    ours32 = torchless.nn.functional.layer_norm(x, (3,)).numpy()
    assert np.isnan(ours32[0]).all()
    np.testing.assert_allclose(ours32[1], [-1.2247357, 0.0, 1.2247357], rtol=1e-6)


# ---------------------------------------------------------------------------- batch_norm: no contiguous layout
def _sliced(lib, array, dtype):
    """``array`` as a view taking every other element of the last dim of a wider tensor (no contiguous layout)."""
    x = lib.tensor(array, dtype=getattr(lib, dtype))
    wide = lib.zeros(*x.shape[:-1], 2 * x.shape[-1], dtype=x.dtype)
    wide[..., ::2] = x
    return wide[..., ::2].detach().requires_grad_()


_HUGE_BATCH = np.array([[[[0.936, -1.273, 1e30]], [[1.0, 2.0, 3.0]]],
                        [[[0.468, -0.6365, 5e29]], [[0.5, 1.0, 4.0]]]])


@pytest.mark.parametrize("affine", [False, True])
def test_batch_norm_of_a_sliced_input_whose_squares_overflow(affine):
    def call(lib):
        x = _sliced(lib, _HUGE_BATCH, "float32")
        assert not x.is_contiguous()
        weight, bias = _affine(lib, 2, "float32") if affine else (None, None)
        running_mean, running_var = lib.zeros(2), lib.ones(2)
        y = lib.nn.functional.batch_norm(x, running_mean, running_var, weight, bias, True, 0.5)
        y.backward(lib.ones_like(y) + lib.arange(y.numel(), dtype=y.dtype).reshape(y.shape) / 10)
        grads = (weight.grad, bias.grad) if affine else ()
        return (y, x.grad, running_mean, running_var) + grads

    assert_same_outcome(call)


def test_batch_norm_module_of_a_transposed_input_with_a_huge_value():
    def call(lib):
        lib.manual_seed(0)
        m = lib.nn.BatchNorm2d(3, momentum=0.3)
        values = np.random.RandomState(1).randn(4, 3, 5, 6)
        values[2, 1, 3, 4] = -3e29
        x = lib.tensor(values, dtype=lib.float32).transpose(2, 3).requires_grad_()
        y = m(x)
        y.backward(lib.ones_like(y) + lib.arange(y.numel(), dtype=y.dtype).reshape(y.shape) / 100)
        return y, x.grad, m.weight.grad, m.running_mean, m.running_var

    assert_same_outcome(call)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sliced", [False, True])
def test_batch_norm_on_one_value_per_channel_gives_a_nan_running_var(dtype, sliced):
    def call(lib):
        x = lib.arange(1.0, 5.0, dtype=getattr(lib, dtype)).reshape(1, 4, 1, 1)
        x = x[:, ::2] if sliced else x[:, :2]
        running_mean, running_var = lib.zeros(2, dtype=x.dtype), lib.ones(2, dtype=x.dtype)
        y = lib.batch_norm(x, None, None, running_mean, running_var, True, 0.5, 1e-5, False)
        return y, running_mean, running_var

    assert_same_outcome(call)


def test_sliced_batch_norm_against_float64():
    """Without torch: a float32 batch in no contiguous layout normalises as its float64 values do, huge ones too."""
    x = _sliced(torchless, _HUGE_BATCH, "float32")
    y = torchless.nn.functional.batch_norm(x, None, None, training=True).detach().numpy()
    values = _HUGE_BATCH.astype(np.float32).astype(np.float64)
    mean = values.mean(axis=(0, 2, 3), keepdims=True)
    expected = (values - mean) / np.sqrt(values.var(axis=(0, 2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- second-order gradients' layout
_SECOND_ORDER = {
    "max_pool2d": lambda lib, x: lib.nn.functional.max_pool2d(x, 2),
    "max_pool1d": lambda lib, x: lib.nn.functional.max_pool1d(x.flatten(2).transpose(1, 2).contiguous()
                                                                .transpose(1, 2), 2),
    "avg_pool2d": lambda lib, x: lib.nn.functional.avg_pool2d(x, 2, 1, 1),
    "adaptive_avg_pool2d": lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, (2, 3)),
    "adaptive_max_pool2d": lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, 2),
    "area": lambda lib, x: lib.nn.functional.interpolate(x, size=(3, 2), mode="area"),
    "reflect": lambda lib, x: lib.nn.functional.pad(x, (1, 1, 2, 0), mode="reflect"),
    "replicate": lambda lib, x: lib.nn.functional.pad(x, (1, 1, 2, 0), mode="replicate"),
}


@pytest.mark.parametrize("op", list(_SECOND_ORDER))
def test_second_order_gradient_of_a_channels_last_input_is_contiguous(op):
    def call(lib):
        values = np.random.RandomState(0).randn(2, 3, 4, 5)
        x = lib.tensor(values).contiguous(memory_format=lib.channels_last).requires_grad_()
        y = _SECOND_ORDER[op](lib, x)
        (gx,) = lib.autograd.grad((y * lib.ones_like(y).cumsum(-1)).sum(), x, create_graph=True)
        (second,) = lib.autograd.grad((gx * gx).sum(), x)
        return gx, second

    (gx, second), (our_gx, ours) = (call(lib) for lib in (torch, torchless))
    assert our_gx.stride() == gx.stride() and ours.stride() == second.stride() == (60, 20, 5, 1)
    np.testing.assert_array_equal(ours.numpy(), second.numpy())


def test_second_order_gradient_of_max_pooling_is_contiguous_zeros():
    """Without torch: max pooling's input gradient scatters the output gradient, its derivative in the input is 0."""
    x = torchless.tensor(np.linspace(-1, 1, 48).reshape(2, 2, 3, 4)).contiguous(
        memory_format=torchless.channels_last).requires_grad_()
    (gx,) = torchless.autograd.grad(3 * torchless.nn.functional.max_pool2d(x, 2).sum(), x, create_graph=True)
    (second,) = torchless.autograd.grad((gx * gx).sum(), x)
    assert second.is_contiguous() and not second.is_contiguous(memory_format=torchless.channels_last)
    np.testing.assert_array_equal(second.numpy(), np.zeros((2, 2, 3, 4)))
