"""Differences from PyTorch 2.13 found by the session-22 differential hunt of the convolution surface, each against
torch.

* circular padding with a negative width: PyTorch crops by slicing, copies what is left into the output's centre,
  then fills the padding by copies within the output; its gradient is those copies' (CopySlices) undone in
  reverse. torchless summed, for each input cell, the gradients of every output cell repeating it, which differs
  where a padding is wider than the cells kept (PyTorch's copy then reads cells it has just written, and its
  gradient moves only the last copy's); under create_graph=True too, where torchless's graph summed the
  repeats.
* strides of size-1 dims: PyTorch allocates the results of conv3d and conv_transpose3d (output, input and weight
  gradients) and of F.fold with C order's strides on every dim; torchless's 3-D kernels (reshapes and transposes)
  and fold's crop of its padding left NumPy's arbitrary ones on size-1 dims, which ``stride()`` showed; so did
  the gradients of every convolution under ``create_graph=True`` (torchless's transposes and slices of its
  graph, which ``contiguous()`` leaves as they are);
* torch.nn.grad.conv*d_weight: PyTorch's convolution_backward lays the weight's gradient out as the input
  suggests (its weight, an expanded scalar, suggests nothing): conv1d_weight returned a transposed view
  (strides (3, 9, 1) for (3, 2, 2)), conv2d_weight and conv3d_weight a C-contiguous gradient for a channels-last
  input.
"""
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(22)


# ---------------------------------------------------------------------------- circular padding's negative widths
@pytest.mark.parametrize("shape, pad", [
    ((2, 5), (-3, 4)),  # the right padding (4) wider than the 2 cells kept
    ((3, 4), (-2, 1)),
    ((1, 3, 4), (-2, 2)),
    ((3, 1, 4), (-3, 4)),
    ((2, 5, 5, 5, 2), (-1, 2, -1, 0, 2, 0)),
    ((2, 2, 3, 4), (1, -2, 3, -1)),  # a left padding beside a right crop
    ((1, 2, 3, 4, 5), (-2, 3, 2, -1, 1, 1)),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_circular_pad_gradient_of_a_crop_undoes_pytorchs_copies(shape, pad, dtype):
    x = RNG.standard_normal(shape).astype(dtype)

    def gradient(lib):
        t = lib.tensor(x, requires_grad=True)
        out = lib.nn.functional.pad(t, pad, mode="circular")
        grad = np.linspace(-9, 9, out.numel()).reshape(tuple(out.shape)).astype(dtype)
        return lib.autograd.grad(out, t, lib.tensor(grad))[0]

    np.testing.assert_allclose(gradient(torchless).numpy(), gradient(torch).numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape, pad", [((2, 1, 3, 4), (-2, 3, 0, 0)), ((2, 1, 3, 4), (-1, 2, 2, -1)),
                                        ((2, 1, 3, 4), (1, 1, 1, 1)), ((2, 2, 5), (-3, 4))])
def test_circular_pad_create_graph_gradient_undoes_pytorchs_copies(shape, pad):
    """The gradient as a graph, and the gradient of a function of it with respect to the output's gradient."""
    x = RNG.standard_normal(shape)

    def gradients(lib):
        t = lib.tensor(x, requires_grad=True)
        out = lib.nn.functional.pad(t, pad, mode="circular")
        grad = lib.tensor(np.linspace(-3, 5, out.numel()).reshape(tuple(out.shape)), requires_grad=True)
        (gx,) = lib.autograd.grad(out, t, grad, create_graph=True)
        (ggrad,) = lib.autograd.grad((gx * gx).sum(), grad)
        return gx.detach().numpy(), ggrad.numpy()

    for actual, expected in zip(gradients(torchless), gradients(torch), strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)


def test_circular_pad_gradient_of_a_crop_without_torch():
    """(-2, 3) on 4 cells keeps cells 2 and 3 and pads them to [2 3 | 2 3 2]. Undone in reverse: the right copy
    (out[2:5] = out[0:3]) moves out[2:5]'s gradient onto out[0:3], zeroing it first, so out[4]'s lands on out[2],
    outside the centre copied from the input, and is lost: cell 2 gets 1 + 4, cell 3 gets 2 + 8 (16 is dropped;
    a sum over the repeats would give 21 and 10)."""
    x = torchless.zeros(2, 1, 4, requires_grad=True)  # (one row only would be a copy_ PyTorch refuses)
    torchless.nn.functional.pad(x, (-2, 3), mode="circular").backward(torchless.tensor([[[1.0, 2, 4, 8, 16]]] * 2))
    assert x.grad.tolist() == [[[0.0, 0.0, 5.0, 10.0]]] * 2


# ---------------------------------------------------------------------------- strides of size-1 dims
def _strides_of_results(lib, name, x_shape, w_shape, kwargs):
    x = lib.tensor(np.linspace(-1, 1, int(np.prod(x_shape))).reshape(x_shape), requires_grad=True)
    w = lib.tensor(np.linspace(-1, 2, int(np.prod(w_shape))).reshape(w_shape), requires_grad=True)
    with lib.no_grad():
        strides = [getattr(lib.nn.functional, name)(x, w, **kwargs).stride()]  # (torchless: a path of its own)
    y = getattr(lib.nn.functional, name)(x, w, **kwargs)
    gx, gw = lib.autograd.grad(y, (x, w), lib.ones_like(y))
    return strides + [t.stride() for t in (y, gx, gw)]


@pytest.mark.parametrize("name, x_shape, w_shape, kwargs", [
    ("conv3d", (3, 1, 4, 3, 5), (1, 1, 3, 3, 3), {"stride": 3, "dilation": (1, 1, 2)}),
    ("conv3d", (1, 3, 4, 3, 3), (1, 3, 2, 3, 3), {"padding": 1}),
    ("conv3d", (2, 2, 2, 2, 2), (2, 2, 1, 2, 1), {}),
    ("conv3d", (1, 2, 5, 2, 1), (2, 1, 2, 2, 2), {"padding": "same", "groups": 2}),
    ("conv3d", (2, 4, 3, 1, 3), (4, 1, 2, 1, 2), {"stride": (2, 1, 3), "padding": (2, 3, 2), "groups": 4}),
    ("conv_transpose3d", (1, 3, 3, 5, 1), (3, 2, 1, 1, 1), {"stride": (2, 2, 1)}),
    ("conv_transpose3d", (1, 1, 5, 3, 2), (1, 1, 2, 2, 2), {}),
])
def test_3d_convolution_results_have_c_strides_on_size_one_dims(name, x_shape, w_shape, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (padding='same' with an even kernel warns)
        assert _strides_of_results(torchless, name, x_shape, w_shape, kwargs) == \
            _strides_of_results(torch, name, x_shape, w_shape, kwargs)


def test_3d_convolution_strides_without_torch():
    """(3, 1, 2, 1, 2): C order counts each dim's stride as the product of the sizes after it, 1s included."""
    y = torchless.nn.functional.conv3d(torchless.ones(3, 1, 4, 3, 5), torchless.ones(1, 1, 3, 3, 3), stride=3,
                                       dilation=(1, 1, 2))
    assert tuple(y.shape) == (3, 1, 1, 1, 1) and y.stride() == (1, 1, 1, 1, 1)
    y = torchless.nn.functional.conv3d(torchless.ones(1, 3, 4, 3, 3), torchless.ones(1, 3, 2, 3, 3), padding=1)
    assert tuple(y.shape) == (1, 1, 5, 3, 3) and y.stride() == (45, 45, 9, 3, 1)


@pytest.mark.parametrize("shape, output_size, kernel, kwargs", [
    ((9, 6), (1, 2), 3, {"padding": 2, "stride": (1, 2)}),
    ((1, 6), (3, 3), (1, 1), {"padding": (1, 0), "stride": (2, 2)}),
    ((1, 1, 2), (1, 2), 1, {"padding": (0, 1), "stride": 2}),
    ((2, 4, 4), (3, 3), 2, {"padding": 1, "stride": 2}),
])
def test_fold_result_has_c_strides_on_size_one_dims(shape, output_size, kernel, kwargs):
    def strides(lib):
        x = lib.tensor(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape))
        return lib.nn.functional.fold(x, output_size, kernel, **kwargs).stride()

    assert strides(torchless) == strides(torch)


@pytest.mark.parametrize("name, x_shape, w_shape, kwargs", [
    ("conv_transpose1d", (2, 2, 5), (2, 1, 3), {"dilation": 2, "groups": 2}),
    ("conv1d", (1, 2, 2), (2, 1, 1), {"groups": 2}),
    ("conv2d", (2, 2, 5, 5), (2, 1, 3, 3), {"groups": 2}),
    ("conv_transpose2d", (1, 2, 4, 3), (2, 1, 2, 1), {"groups": 2}),
    ("conv3d", (2, 2, 3, 2, 2), (4, 1, 1, 2, 1), {"groups": 2}),
    ("conv_transpose3d", (1, 1, 4, 2, 3), (1, 2, 2, 3, 1), {}),
])
def test_create_graph_gradients_have_c_strides_on_size_one_dims(name, x_shape, w_shape, kwargs):
    def strides(lib):
        x = lib.tensor(np.linspace(-1, 1, int(np.prod(x_shape))).reshape(x_shape), requires_grad=True)
        w = lib.tensor(np.linspace(-1, 2, int(np.prod(w_shape))).reshape(w_shape), requires_grad=True)
        y = getattr(lib.nn.functional, name)(x, w, **kwargs)
        return [g.stride() for g in lib.autograd.grad(y, (x, w), lib.ones_like(y), create_graph=True)]

    assert strides(torchless) == strides(torch)


# ---------------------------------------------------------------------------- torch.nn.grad's weight gradients
@pytest.mark.parametrize("dims, x_shape, weight_size, kwargs, channels_last", [
    (1, (2, 2, 7), (3, 2, 2), {"stride": 2, "padding": 1}, False),
    (1, (1, 4, 6), (4, 2, 3), {"groups": 2, "dilation": 2}, False),
    (2, (2, 3, 6, 6), (4, 3, 3, 3), {}, True),
    (2, (2, 4, 6, 5), (2, 2, 3, 2), {"groups": 2, "padding": 1}, False),
    (3, (2, 2, 4, 4, 4), (2, 2, 2, 2, 2), {"stride": 2}, True),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nn_grad_weight_gradient_is_laid_out_as_pytorchs(dims, x_shape, weight_size, kwargs, channels_last, dtype):
    x = RNG.standard_normal(x_shape).astype(dtype)

    def result(lib):
        t = lib.tensor(x)
        if channels_last:
            t = t.contiguous(memory_format=lib.channels_last if dims == 2 else lib.channels_last_3d)
        conv = getattr(lib.nn.functional, f"conv{dims}d")
        w = lib.tensor(np.linspace(-1, 1, int(np.prod(weight_size))).reshape(weight_size).astype(dtype))
        grad_output = lib.ones_like(conv(t, w, **kwargs))
        return getattr(lib.nn.grad, f"conv{dims}d_weight")(t, weight_size, grad_output, **kwargs)

    expected, actual = result(torch), result(torchless)
    assert actual.stride() == expected.stride()
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)


def test_nn_grad_conv1d_weight_is_contiguous_without_torch():
    gradient = torchless.nn.grad.conv1d_weight(torchless.ones(2, 2, 7), (3, 2, 2), torchless.ones(2, 3, 4), stride=2,
                                               padding=1)
    assert gradient.is_contiguous() and gradient.stride() == (4, 2, 1)
