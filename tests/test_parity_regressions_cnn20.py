"""Differences from PyTorch 2.13 found by the session-20 differential hunt of the CNN surface, each against torch.

* affine_grid's theta gradient: PyTorch's affine_grid_generator_backward returns (base^T bmm grad).transpose(1, 2),
  a transposed view (strides (k * (k + 1), 1, k)); torchless returned it C-contiguous, and recorded its
  create_graph gradient under other nodes than PyTorch's TransposeBackward0 <- BmmBackward0;
* the strides of empty results (an empty batch, an empty output size): NumPy gives the empty arrays its routines
  make all-zero strides, which torchless kept for the outputs of convolutions (and their empty-input gradients),
  interpolation, reflection/replication/circular padding, fold, pooling of one channel, fractional max pooling,
  half grid_sample;
  where PyTorch allocates them contiguous, returns an empty input itself (pixel_unshuffle, channel_shuffle: its
  strides) or clones a narrowed view (a crop by F.pad of an empty input: the view's strides); autograd.grad
  re-laid out an empty gradient, where PyTorch returns its node's;
* circular padding's gradient summed each dim's copies in another order than PyTorch's copies of slices undone in
  reverse (last bits of float32, visible differences in float16 where a dim is padded by its own size).
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import Raised, outcome

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(20)


def _graph(fn, depth=4):
    """The names of a grad_fn's nodes, depth first, ``depth`` levels down."""
    if fn is None or depth == 0:
        return None
    return fn.name(), [_graph(next_fn, depth - 1) for next_fn, _ in fn.next_functions]


# ---------------------------------------------------------------------------- affine_grid's theta gradient
@pytest.mark.parametrize("theta_shape, size", [((2, 2, 3), (2, 1, 3, 4)), ((1, 2, 3), (1, 5, 1, 4)),
                                               ((2, 3, 4), (2, 1, 3, 4, 2))])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("theta_transposed", [False, True])
def test_affine_grid_theta_gradient_is_a_transposed_product(theta_shape, size, dtype, theta_transposed):
    theta = RNG.standard_normal(theta_shape).astype(dtype)
    grad = RNG.standard_normal((size[0], *size[2:], theta_shape[1])).astype(dtype)

    def gradients(lib):
        t = lib.tensor(np.swapaxes(theta, 1, 2).copy()).transpose(1, 2) if theta_transposed else lib.tensor(theta)
        t.requires_grad_(True)
        g = lib.tensor(grad, requires_grad=True)
        first, = lib.autograd.grad(lib.nn.functional.affine_grid(t, size, align_corners=False), t, g,
                                   create_graph=True)
        second, = lib.autograd.grad((first * first).sum(), g)
        return first, second

    (first, second), (ours, ours_second) = gradients(torch), gradients(torchless)
    assert ours.stride() == first.stride()
    assert _graph(ours.grad_fn) == _graph(first.grad_fn)
    np.testing.assert_allclose(ours.detach().numpy(), first.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert ours_second.stride() == second.stride()
    np.testing.assert_allclose(ours_second.numpy(), second.numpy(), rtol=1e-5, atol=1e-6)


def test_affine_grid_theta_gradient_without_create_graph():
    theta = RNG.standard_normal((2, 2, 3))
    grad = RNG.standard_normal((2, 3, 4, 2))
    expected, actual = (lib.autograd.grad(lib.nn.functional.affine_grid(t, (2, 1, 3, 4), align_corners=True), t,
                                          lib.tensor(grad))[0]
                        for lib in (torch, torchless) for t in [lib.tensor(theta, requires_grad=True)])
    assert actual.stride() == expected.stride() == (6, 1, 2)
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-12)


def test_affine_grid_theta_gradient_without_torch():
    """grad_theta[n] = grad[n]^T @ base: for one point at the centre (a 1x1 grid), the last column is the sum."""
    theta = torchless.zeros(1, 2, 3, requires_grad=True)
    grid = torchless.nn.functional.affine_grid(theta, (1, 1, 1, 1), align_corners=False)
    grid.backward(torchless.tensor([[[[2.0, 3.0]]]]))
    np.testing.assert_array_equal(theta.grad.numpy(), [[[0, 0, 2], [0, 0, 3]]])


# ---------------------------------------------------------------------------- strides of empty results
def _ones(lib, *shape):
    return lib.ones(*shape, dtype=lib.float64)


def _fractional(lib, x, **kwargs):
    samples = lib.full((max(x.shape[0], 1) if x.dim() == 4 else 1, x.shape[-3], 2), 0.5, dtype=x.dtype)
    return lib.nn.functional.fractional_max_pool2d(x, 2, _random_samples=samples, **kwargs)


_EMPTY_CASES = {  # name: (fn(lib, x), input shapes)
    "conv1d": (lambda lib, x: lib.nn.functional.conv1d(x, _ones(lib, 2, 3, 2)), [(0, 3, 4)]),
    "conv2d": (lambda lib, x: lib.nn.functional.conv2d(x, _ones(lib, 2, 3, 2, 2), _ones(lib, 2)), [(0, 3, 4, 4)]),
    "conv3d": (lambda lib, x: lib.nn.functional.conv3d(x, _ones(lib, 2, 3, 2, 2, 2)), [(0, 3, 4, 4, 4)]),
    "conv_transpose2d": (lambda lib, x: lib.nn.functional.conv_transpose2d(x, _ones(lib, 3, 2, 2, 2), stride=2),
                         [(0, 3, 4, 4)]),
    "conv_transpose1d": (lambda lib, x: lib.nn.functional.conv_transpose1d(x, _ones(lib, 3, 2, 2)), [(0, 3, 4)]),
    "nearest": (lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2), [(0, 3, 4), (0, 3, 4, 4)]),
    "linear": (lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="linear"), [(0, 3, 4)]),
    "bicubic": (lambda lib, x: lib.nn.functional.interpolate(x, size=(5, 3), mode="bicubic"), [(0, 3, 4, 4)]),
    "antialiased": (lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=0.5, mode="bilinear",
                                                                  antialias=True), [(0, 3, 4, 4)]),
    "trilinear": (lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=2, mode="trilinear"),
                  [(0, 3, 2, 2, 2)]),
    "reflect": (lambda lib, x: lib.nn.functional.pad(x, [1, 1] * (x.dim() - 2), mode="reflect"),
                [(0, 3, 4), (0, 3, 4, 4)]),
    "replicate": (lambda lib, x: lib.nn.functional.pad(x, [1, 1, 1, 1], mode="replicate"), [(0, 3, 4, 4)]),
    "circular": (lambda lib, x: lib.nn.functional.pad(x, [1, 1, 1, 1], mode="circular"), [(0, 3, 4, 4)]),
    "crop": (lambda lib, x: lib.nn.functional.pad(x, [-1, 0]), [(0, 3, 4, 4), (2, 3, 0, 4)]),
    "fold": (lambda lib, x: lib.nn.functional.fold(lib.nn.functional.unfold(x, 2), (4, 4), 2), [(0, 3, 4, 4)]),
    "pixel_unshuffle": (lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 2), [(0, 4, 4, 4), (2, 4, 0, 4)]),
    "channel_shuffle": (lambda lib, x: lib.nn.functional.channel_shuffle(x, 3), [(0, 3, 4), (0, 3, 4, 4)]),
    "avg_pool2d_one_channel": (lambda lib, x: lib.nn.functional.avg_pool2d(x, 2, divisor_override=2),
                               [(0, 1, 4, 7)]),
    "adaptive_max_pool2d_one_channel": (lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, (3, None), True),
                                        [(0, 1, 4, 7)]),
    "adaptive_avg_pool2d_one_channel": (lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, 3),
                                        [(0, 1, 4, 7)]),
    "fractional_max_pool2d_to_nothing": (lambda lib, x: _fractional(lib, x, output_size=0), [(3, 6, 6)]),
}


def _empty_input(lib, shape, layout):
    if layout == "channels_last" and len(shape) == 4:
        return lib.zeros(shape, dtype=lib.float64).contiguous(memory_format=lib.channels_last)
    if layout == "transposed":
        return lib.zeros(*shape[:-2], shape[-1], shape[-2], dtype=lib.float64).transpose(-1, -2)
    return lib.zeros(shape, dtype=lib.float64)


@pytest.mark.parametrize("name, shape", [(name, shape) for name, (_, shapes) in _EMPTY_CASES.items()
                                         for shape in shapes])
@pytest.mark.parametrize("layout", ["contiguous", "channels_last", "transposed"])
def test_empty_results_are_laid_out_as_pytorchs(name, shape, layout):
    fn = _EMPTY_CASES[name][0]

    def results(lib):
        x = _empty_input(lib, shape, layout).requires_grad_(True)
        out = fn(lib, x)
        first = out[0] if isinstance(out, tuple) else out
        # (pixel_unshuffle's backward, pixel_shuffle, gives an empty input a gradient of another shape: an error)
        grad = outcome(lambda: lib.autograd.grad(first, x, lib.zeros(tuple(first.shape), dtype=first.dtype))[0])
        return [*(out if isinstance(out, tuple) else (out,)), grad]

    for theirs, ours in zip(results(torch), results(torchless), strict=True):
        if isinstance(theirs, Raised):
            assert isinstance(ours, Raised) and ours.type == theirs.type
            continue
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.stride() == theirs.stride()


def test_empty_convolution_gradients_keep_each_tensors_layout():
    """PyTorch's "Empty" backend multiplies the input by the weight's first element: every gradient in its tensor's
    layout."""
    def gradients(lib):
        x = _empty_input(lib, (0, 3, 4, 4), "transposed").requires_grad_(True)
        w = _ones(lib, 2, 3, 2, 2).contiguous(memory_format=lib.channels_last).requires_grad_(True)
        out = lib.nn.functional.conv2d(x, w)
        return out, *lib.autograd.grad(out, (x, w), lib.zeros(tuple(out.shape), dtype=out.dtype))

    for theirs, ours in zip(gradients(torch), gradients(torchless), strict=True):
        assert ours.stride() == theirs.stride()


def test_empty_results_are_c_contiguous_without_torch():
    x = torchless.zeros(0, 3, 4, 4)
    F = torchless.nn.functional
    assert F.conv2d(x, torchless.ones(2, 3, 2, 2)).stride() == (18, 9, 3, 1)
    assert F.interpolate(x, scale_factor=2).stride() == (192, 64, 8, 1)
    assert F.pad(x, [1, 1, 1, 1], mode="reflect").stride() == (108, 36, 6, 1)
    assert F.channel_shuffle(x.transpose(2, 3), 3).stride() == (48, 16, 1, 4)  # the input's own


@pytest.mark.parametrize("fn", [
    lambda lib: lib.nn.functional.interpolate(lib.ones(4, 1, 1, 2), scale_factor=0, mode="area"),
    lambda lib: lib.nn.functional.adaptive_max_pool2d(lib.ones(3, 1, 2, 2), (1, 0)),
    lambda lib: lib.nn.functional.adaptive_avg_pool2d(lib.ones(3, 1, 2, 2), (0, 1)),
    lambda lib: lib.nn.functional.adaptive_max_pool1d(lib.ones(1, 2), 0),
])
def test_empty_outputs_of_one_channel_pooling_are_c_contiguous(fn):
    expected, actual = fn(torch), fn(torchless)
    assert tuple(actual.shape) == tuple(expected.shape)
    assert actual.stride() == expected.stride()


# ---------------------------------------------------------------------------- circular padding's gradient
@pytest.mark.parametrize("shape, pad", [((2, 1, 2, 3), (2, 2, 2, 2)), ((2, 1, 5, 2, 3), (2, 2, 2, 2, 2, 2)),
                                        ((1, 3, 4), (4, 1)), ((3, 2, 3), (1, 3, 2, 0))])
@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_circular_pad_gradient_sums_as_pytorchs_copies(shape, pad, dtype):
    """PyTorch pads circularly by copies of slices: its gradient undoes them in reverse, in the gradient's dtype (a
    half gradient rounds after each addition, so the order shows)."""
    x = RNG.standard_normal(shape).astype(dtype)

    def gradient(lib):
        t = lib.tensor(x, requires_grad=True)
        out = lib.nn.functional.pad(t, pad, mode="circular")
        grad = np.linspace(-9, 9, out.numel()).reshape(tuple(out.shape)).astype(dtype)
        return lib.autograd.grad(out, t, lib.tensor(grad))[0]

    np.testing.assert_array_equal(gradient(torchless).numpy(), gradient(torch).numpy())


def test_circular_pad_gradient_without_torch():
    """A width-1 padding of a width-1 dim on both sides: the cell's gradient is the sum of the three copies."""
    x = torchless.zeros(1, 1, 1, requires_grad=True)
    torchless.nn.functional.pad(x, (1, 1), mode="circular").backward(torchless.tensor([[[1.0, 2.0, 4.0]]]))
    assert x.grad.item() == 7.0


# ---------------------------------------------------------------------------- convolutions of an empty input
@pytest.mark.parametrize("w_shape, kwargs", [((1, 2, 2), {"padding": "same"}), ((2, 2, 3), {"padding": "same",
                                                                                             "dilation": 2})])
def test_same_padding_of_an_empty_input_pads_it_first(w_shape, kwargs):
    """PyTorch's convolution_same pads an odd total by constant_pad_nd before its "Empty" backend too: a
    ConstantPadNdBackward0 in the graph, the input's gradient a crop of the padded one's."""
    def run(lib):
        x = lib.zeros(0, 2, 5, dtype=lib.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = lib.nn.functional.conv1d(x, lib.ones(w_shape, dtype=lib.float64), **kwargs)
        return y, lib.autograd.grad(y, x, lib.zeros(tuple(y.shape), dtype=lib.float64))[0]

    (y, grad), (ours, ours_grad) = run(torch), run(torchless)
    assert ours.grad_fn.next_functions[0][0].name() == y.grad_fn.next_functions[0][0].name()
    assert (ours.stride(), ours_grad.stride()) == (y.stride(), grad.stride())


@pytest.mark.parametrize("fn, w_shape, kwargs", [("conv1d", (4, 2, 1), {"groups": 2}), ("conv1d", (4, 4, 1), {}),
                                                  ("conv2d", (3, 3, 1, 1), {}), ("conv1d", (2, 4, 1), {})])
def test_empty_convolution_to_the_inputs_shape_is_laid_out_as_the_input(fn, w_shape, kwargs):
    """The "Empty" backend's input * weight.view(-1)[0] follows the input's layout, which a view to the same shape
    keeps (to another shape, the view is C-contiguous)."""
    shape = (0, 3, 4) if fn == "conv1d" else (0, 2, 3, 4)  # (transposed: 4 or 3 channels, not innermost)
    expected, actual = (getattr(lib.nn.functional, fn)(lib.zeros(shape).transpose(1, 2), lib.ones(w_shape), **kwargs)
                        for lib in (torch, torchless))
    assert actual.stride() == expected.stride()


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_empty_half_grid_sample_is_c_contiguous(mode):
    """(Its float32 result cast to half left NumPy's all-zero strides.)"""
    expected, actual = (lib.nn.functional.grid_sample(lib.zeros(0, 3, 1, 5, dtype=lib.float16),
                                                      lib.zeros(0, 1, 4, 2, dtype=lib.float16), mode=mode,
                                                      align_corners=False) for lib in (torch, torchless))
    assert actual.stride() == expected.stride() == (12, 4, 4, 1)
