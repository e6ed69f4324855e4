"""Convolution, padding and fold layers on cases earlier sessions missed (session 27), each checked against torch
run on the same arrays, or against an independent reference where torch is not needed."""
import numpy as np
import pytest

import torchless


# ---------------------------------------------------------------- the layers' overridable hooks
# PyTorch's circular padding layers check the input's rank in _check_input_dim, and its lazy convolutions ask
# _get_num_spatial_dims how many spatial dims the first input has: subclasses override both.

@pytest.mark.parametrize("spatial", [1, 2, 3])
def test_circular_pad_checks_the_rank_in_its_hook(spatial):
    layer = getattr(torchless.nn, f"CircularPad{spatial}d")(1)
    with pytest.raises(ValueError, match=rf"^expected {spatial + 1}D or {spatial + 2}D input \(got 6D input\)$"):
        layer._check_input_dim(torchless.zeros([2] * 6))
    assert layer._check_input_dim(torchless.zeros([2] * (spatial + 1))) is None

    class AnyRank(type(layer)):
        def _check_input_dim(self, input):
            pass

    # the hook overridden: F.pad's own check speaks instead
    with pytest.raises(NotImplementedError, match=f"^Padding size {2 * spatial} is not supported for 6D input tensor"):
        AnyRank(1)(torchless.zeros([2] * 6))


@pytest.mark.parametrize("name, spatial", [("LazyConv1d", 1), ("LazyConv2d", 2), ("LazyConv3d", 3),
                                           ("LazyConvTranspose1d", 1), ("LazyConvTranspose2d", 2),
                                           ("LazyConvTranspose3d", 3)])
def test_lazy_convolution_asks_its_hook_for_the_spatial_dims(name, spatial):
    cls = getattr(torchless.nn, name)
    assert cls(3, 1)._get_num_spatial_dims() == spatial

    class OneLess(cls):  # a subclass taking inputs of one spatial dim fewer, as a PyTorch subclass would
        def _get_num_spatial_dims(self):
            return spatial - 1

    with pytest.raises(RuntimeError, match=rf"^Expected {spatial}D \(unbatched\) or {spatial + 1}D \(batched\) input "
                                           rf"to OneLess, but got input of size: "):
        OneLess(3, 1)(torchless.zeros([2] * (spatial + 2)))


# ---------------------------------------------------------------- groups concatenated in C order
# Without oneDNN (float64, half on this CPU, ...), PyTorch convolves a grouped channels-last call group by group and
# concatenates the results in the layout they all suggest: a result of one channel and one cell per image
# (N x 1 x 1 x 1) suggests none, so the output (or a transposed convolution's input gradient) is C-ordered.

GROUPED_CASES = [
    ("conv2d", (2, 2, 3, 3), "input", (2, 1, 3, 3), {"groups": 2}),
    ("conv2d", (1, 6, 2, 2), "input", (3, 2, 1, 1), {"groups": 3, "stride": 2}),
    ("conv2d", (2, 2, 5, 5), "input", (2, 1, 3, 3), {"groups": 2, "dilation": 2}),
    ("conv2d", (2, 2, 3, 3), "input", (4, 1, 3, 3), {"groups": 2}),  # two channels a group: channels-last kept
    ("conv2d", (2, 4, 3, 3), "input", (2, 2, 3, 3), {"groups": 2}),
    ("conv_transpose2d", (2, 2, 3, 3), "input", (2, 1, 3, 3), {"groups": 2, "padding": 2}),
    ("conv_transpose2d", (2, 2, 3, 3), "input", (2, 1, 1, 1), {"groups": 2, "padding": 1}),
    ("conv_transpose2d", (1, 3, 1, 1), "weight", (3, 2, 2, 3), {"groups": 3}),
    ("conv_transpose2d", (2, 3, 1, 1), "weight", (3, 2, 2, 3), {"groups": 3, "stride": 2, "output_padding": 1}),
    ("conv3d", (2, 2, 3, 3, 3), "input", (2, 1, 3, 3, 3), {"groups": 2}),
]


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("fn, x_shape, channels_last, w_shape, kwargs", GROUPED_CASES)
@pytest.mark.parametrize("requires_grad", [False, True])
def test_grouped_channels_last_layouts(fn, x_shape, channels_last, w_shape, kwargs, dtype, requires_grad):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x_data, w_data = (rng.standard_normal(shape).astype(dtype) for shape in (x_shape, w_shape))
    results = []
    for lib in (torch, torchless):
        fmt = lib.channels_last if len(x_shape) == 4 else lib.channels_last_3d
        x, w = lib.tensor(x_data), lib.tensor(w_data)
        if channels_last == "input":
            x = x.contiguous(memory_format=fmt)
        else:
            w = w.contiguous(memory_format=fmt)
        x.requires_grad_(requires_grad)
        w.requires_grad_(requires_grad)
        out = getattr(lib.nn.functional, fn)(x, w, **kwargs)
        record = [tuple(out.shape), out.stride()]
        if requires_grad:
            grads = lib.autograd.grad(out, (x, w), lib.ones_like(out))
            record += [g.stride() for g in grads]
            grads = lib.autograd.grad(getattr(lib.nn.functional, fn)(x, w, **kwargs), (x, w), lib.ones_like(out),
                                      create_graph=True)
            record += [g.stride() for g in grads]
        results.append(record)
    assert results[1] == results[0]


def test_grouped_channels_last_layout_without_torch():
    x = torchless.randn(2, 2, 3, 3, dtype=torchless.float64).contiguous(memory_format=torchless.channels_last)
    out = torchless.nn.functional.conv2d(x, torchless.randn(2, 1, 3, 3, dtype=torchless.float64), groups=2)
    assert out.stride() == (2, 1, 1, 1)  # C order (channels-last would be (2, 1, 2, 2))
    out = torchless.nn.functional.conv2d(x, torchless.randn(4, 1, 3, 3, dtype=torchless.float64), groups=2)
    assert out.stride() == (4, 1, 4, 4)  # two channels a group: channels-last
    w = torchless.randn(3, 2, 2, 3, dtype=torchless.float64).contiguous(memory_format=torchless.channels_last)
    x = torchless.randn(1, 3, 1, 1, dtype=torchless.float64, requires_grad=True)
    out = torchless.nn.functional.conv_transpose2d(x, w, groups=3)
    assert out.stride() == (36, 1, 18, 6)
    (grad,) = torchless.autograd.grad(out, x, torchless.ones_like(out))
    assert grad.stride() == (3, 1, 1, 1)


# ---------------------------------------------------------------- ConvTranspose's output_size read by position
@pytest.mark.parametrize("output_size", [{11: 1, 12: 2}, range(11, 13), (11, 12), {0: 11, 1: 12}])
def test_conv_transpose_output_size_read_by_position(output_size):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 5)).astype(np.float32)

    def call(lib):
        layer = lib.nn.ConvTranspose2d(4, 6, 3, stride=2)
        try:
            return tuple(layer(lib.tensor(x), output_size=output_size).shape), \
                layer._output_padding(lib.tensor(x), output_size, [2, 2], [0, 0], [3, 3], 2)
        except KeyError as error:
            return "KeyError", str(error)

    assert call(torchless) == call(torch)


def test_conv_transpose_output_size_mapping_without_torch():
    layer = torchless.nn.ConvTranspose2d(4, 6, 3, stride=2)
    x = torchless.zeros(2, 4, 5, 5)
    assert tuple(layer(x, output_size={0: 11, 1: 12}).shape) == (2, 6, 11, 12)  # its values at 0 and 1
    with pytest.raises(KeyError):
        layer(x, output_size={11: 1, 12: 2})


# ---------------------------------------------------------------- infs and NaNs in the gradients
# The fast kernels compute extra cells (the flat layout's columns past a row's last block, the flipped kernel's zero
# padding) whose products with zeros are NaN for an inf or NaN operand: an input's NaN on the image's border spread
# to weight taps that never read it, an inf weight made NaN input gradients (and transposed outputs).

def _non_finite_pattern(array):
    return np.isnan(array), np.isposinf(array), np.isneginf(array)


NON_FINITE_CASES = [
    ("conv2d", (1, 3, 8, 8), (4, 3, 3, 3), "x", (0, 0, 0, 7), {}),
    ("conv2d", (1, 3, 8, 8), (4, 3, 3, 3), "x", (0, 1, 7, 0), {"padding": 1}),
    ("conv2d", (2, 2, 7, 9), (4, 1, 3, 2), "x", (1, 1, 6, 8), {"groups": 2, "stride": 2, "dilation": (2, 1)}),
    ("conv2d", (2, 3, 6, 6), (4, 3, 3, 3), "w", (1, 1, 0, 0), {}),
    ("conv2d", (2, 4, 9, 7), (6, 2, 3, 3), "w", (3, 0, 2, 1), {"groups": 2, "stride": 2, "padding": 1}),
    ("conv1d", (2, 3, 9), (4, 3, 3), "x", (0, 2, 8), {}),
    ("conv1d", (2, 3, 9), (4, 3, 3), "w", (2, 1, 0), {"dilation": 2}),
    ("conv3d", (1, 2, 5, 5, 5), (3, 2, 2, 2, 2), "x", (0, 1, 4, 0, 4), {}),
    ("conv3d", (1, 2, 5, 5, 5), (3, 2, 2, 2, 2), "w", (2, 0, 1, 1, 0), {"padding": 1}),
    ("conv_transpose2d", (2, 3, 5, 4), (3, 2, 3, 3), "w", (1, 1, 2, 0), {"stride": 2, "padding": 1}),
    ("conv_transpose1d", (2, 3, 6), (3, 2, 3), "w", (0, 1, 2), {}),
    ("conv_transpose3d", (1, 2, 3, 4, 3), (2, 2, 2, 2, 2), "x", (0, 1, 2, 3, 0), {"stride": 2}),
]


# (NumPy's warning of its products with inf; torchless's own warning filters silence it, which pytest resets)
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("fn, x_shape, w_shape, where, index, kwargs", NON_FINITE_CASES)
def test_non_finite_values_in_gradients(fn, x_shape, w_shape, where, index, kwargs, value):
    # float64: PyTorch's reference kernels (oneDNN's float32 ones skip or insert cells of their own)
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x_data, w_data = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    (x_data if where == "x" else w_data)[index] = value
    results = []
    for lib in (torch, torchless):
        x, w = lib.tensor(x_data, requires_grad=True), lib.tensor(w_data, requires_grad=True)
        out = getattr(lib.nn.functional, fn)(x, w, **kwargs)
        grad = lib.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape)))
        results.append([t.detach().numpy() for t in (out, *lib.autograd.grad(out, (x, w), grad))])
    for theirs, ours in zip(*results):
        for mask_theirs, mask_ours in zip(_non_finite_pattern(theirs), _non_finite_pattern(ours)):
            np.testing.assert_array_equal(mask_ours, mask_theirs)
        finite = np.isfinite(theirs)
        np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-10, atol=1e-10)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_non_finite_values_in_gradients_without_torch():
    # A NaN in the input's last column, no padding: only the kernel's last column of taps ever reads it
    x = np.random.default_rng(0).standard_normal((1, 1, 5, 5))
    x[0, 0, 2, 4] = np.nan
    x = torchless.tensor(x, requires_grad=True)
    w = torchless.tensor(np.random.default_rng(1).standard_normal((2, 1, 3, 3)), requires_grad=True)
    out = torchless.nn.functional.conv2d(x, w)
    (grad_w,) = torchless.autograd.grad(out.sum(), w)
    np.testing.assert_array_equal(np.isnan(grad_w.numpy()), np.broadcast_to([[False, False, True]] * 3, (2, 1, 3, 3)))
    # An inf weight: the input's gradient is inf where the tap reads the input (the gradient all ones), never NaN
    w = np.ones((1, 1, 3, 3))
    w[0, 0, 0, 0] = np.inf
    x = torchless.zeros(1, 1, 5, 5, dtype=torchless.float64, requires_grad=True)
    out = torchless.nn.functional.conv2d(x, torchless.tensor(w))
    (grad_x,) = torchless.autograd.grad(out.sum(), x)
    expected = np.full((5, 5), 0.0)
    expected[:3, :3] = np.inf  # the cells tap (0, 0) reads: the first three rows and columns
    assert not np.isnan(grad_x.numpy()).any()
    np.testing.assert_array_equal(np.isinf(grad_x.numpy()[0, 0]), np.isinf(expected))
