"""Parity regressions (session 28): convolutions holding infinities and NaNs, on every algorithm and backend.

PyTorch's oneDNN kernels never multiply the padding (but fall back to a GEMM kernel that does for some
channels-first problems), its reference kernels (float64, a small float32 batch of one) do: an inf weight
times a padding zero is NaN there only. torchless's fast algorithms compute extra cells and Winograd mixes
neighbouring values, so these compare the pattern of finite, infinite and NaN values with torch's.
"""
import numpy as np
import pytest

import torchless
import torchless.nn.functional as F
from torchless._kernels import conv as kernels

torch = pytest.importorskip("torch")


def assert_same_pattern(actual, expected, rtol):
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_array_equal(np.isposinf(actual), np.isposinf(expected))
    np.testing.assert_array_equal(np.isneginf(actual), np.isneginf(expected))
    finite = np.isfinite(expected)
    scale = 1 + np.abs(expected[finite]).max(initial=0)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=rtol, atol=rtol * scale)


def _run(lib, dim, transposed, x, w, b, gy, kwargs, channels_last):
    X = lib.tensor(x, requires_grad=True)
    W = lib.tensor(w, requires_grad=True)
    B = lib.tensor(b, requires_grad=True)
    x_in, w_in = X, W
    if channels_last:
        layout = lib.channels_last if dim == 2 else lib.channels_last_3d
        x_in, w_in = X.contiguous(memory_format=layout), W.contiguous(memory_format=layout)
    function = getattr(lib.nn.functional, f"conv_transpose{dim}d" if transposed else f"conv{dim}d")
    y = function(x_in, w_in, B, **kwargs)
    y.backward(lib.tensor(gy))
    return [y.detach().numpy(), X.grad.numpy(), W.grad.numpy(), B.grad.numpy()]


# (dim, transposed, N, C, O, size, kernel, stride, padding, dilation, groups)
CONFIGS = [
    (2, False, 2, 3, 4, 6, 3, 1, 1, 1, 1),
    (2, False, 1, 3, 4, 6, 3, 1, 1, 1, 1),     # float32 on the reference kernels (a batch of one)
    (2, False, 2, 16, 32, 12, 3, 1, 1, 1, 1),
    (2, False, 2, 8, 8, 6, 1, 1, 1, 1, 1),     # 1x1 padded (oneDNN's GEMM kernel: padding multiplied)
    (2, False, 2, 4, 4, 9, 3, 2, 2, 2, 1),     # strided and dilated
    (2, False, 2, 4, 4, 9, 3, 1, 1, 1, 4),     # depthwise
    (2, False, 2, 4, 8, 9, 3, 1, 1, 1, 2),     # grouped, few channels per group
    (2, False, 2, 16, 16, 9, 3, 1, 1, 1, 2),   # grouped, 8 per group
    (2, False, 2, 3, 4, 12, 7, 1, 3, 1, 1),    # large kernel
    (2, False, 40, 8, 16, 32, 3, 1, 1, 1, 1),  # stacked rows, split over the batch
    (1, False, 2, 3, 4, 8, 3, 2, 2, 1, 1),
    (3, False, 2, 3, 4, 5, 3, 1, 1, 1, 1),
    (3, False, 2, 4, 4, 5, 3, 2, 1, 2, 2),
    (2, True, 2, 3, 4, 5, 3, 1, 1, 1, 1),
    (2, True, 2, 4, 4, 5, 3, 2, 1, 1, 2),
    (1, True, 2, 3, 4, 5, 3, 2, 1, 1, 1),
    (3, True, 2, 3, 4, 4, 3, 2, 1, 1, 1),
]


def _place(array, which, where, value):
    index = [0] * array.ndim
    if which == "b":
        index = [len(array) // 2]
    else:
        for axis in range(2, array.ndim):
            n = array.shape[axis]
            index[axis] = {"corner": 0, "border": n - 1 if axis == array.ndim - 1 else 0, "centre": n // 2}[where]
    array[tuple(index)] = value


@pytest.mark.parametrize("config", CONFIGS, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("which,where,value", [
    ("w", "corner", np.inf), ("w", "border", -np.inf), ("w", "centre", np.nan),
    ("x", "corner", np.nan), ("x", "centre", np.inf), ("b", "centre", -np.inf)])
def test_non_finite_values_match_torch(config, dtype, which, where, value):
    dim, transposed, N, C, O, size, k, stride, padding, dilation, groups = config
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C) + (size,) * dim).astype(dtype)
    w_shape = (C, O // groups) if transposed else (O, C // groups)
    w = rng.standard_normal(w_shape + (k,) * dim).astype(dtype)
    b = rng.standard_normal(O).astype(dtype)
    _place({"x": x, "w": w, "b": b}[which], which, where, value)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    name = f"conv_transpose{dim}d" if transposed else f"conv{dim}d"
    with torch.no_grad():
        out_shape = getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(w), None, **kwargs).shape
    gy = rng.standard_normal(tuple(out_shape)).astype(dtype)
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    for channels_last in (False, True) if dim > 1 else (False,):
        expected = _run(torch, dim, transposed, x, w, b, gy, kwargs, channels_last)
        actual = _run(torchless, dim, transposed, x, w, b, gy, kwargs, channels_last)
        for a, e in zip(actual, expected):
            assert_same_pattern(a, e, rtol)


@pytest.mark.parametrize("channels,groups,out_channels", [
    (4, 2, 4), (16, 2, 16), (8, 2, 8), (12, 2, 8), (6, 3, 24), (8, 8, 16), (16, 16, 16), (17, 17, 34)])
@pytest.mark.parametrize("channels_last", [False, True])
def test_grouped_padding_products_as_onednn(channels, groups, out_channels, channels_last):
    # oneDNN multiplies the padding (its GEMM fallback) only for some channels-first group sizes
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, channels, 7, 7)).astype(np.float32)
    w = rng.standard_normal((out_channels, channels // groups, 3, 3)).astype(np.float32)
    w[0, 0, 0, 0] = np.inf
    results = []
    for lib in (torch, torchless):
        X = lib.tensor(x)
        if channels_last:
            X = X.contiguous(memory_format=lib.channels_last)
        results.append(lib.nn.functional.conv2d(X, lib.tensor(w), padding=1, groups=groups).numpy())
    assert_same_pattern(results[1], results[0], 1e-4)


@pytest.mark.parametrize("kernel,dilation,padding", [(1, 1, 1), (2, 1, 1), (2, 1, 2), (3, 1, 2), (3, 1, 3),
                                                     (2, 2, 2), (2, 2, 3), (3, 2, 5)])
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_padding_past_the_kernel_extent_multiplied(kernel, dilation, padding, dim):
    # oneDNN's direct kernels take padding below the dilated kernel's extent; past it, its GEMM kernel multiplies it
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3) + (5,) * dim).astype(np.float32)
    w = rng.standard_normal((4, 3) + (kernel,) * dim).astype(np.float32)
    w[1, 2][(0,) * dim] = np.nan
    w[2, 0][(kernel - 1,) * dim] = -np.inf
    expected = getattr(torch.nn.functional, f"conv{dim}d")(torch.tensor(x), torch.tensor(w), None, 1, padding,
                                                            dilation).numpy()
    actual = getattr(F, f"conv{dim}d")(torchless.tensor(x), torchless.tensor(w), None, 1, padding, dilation).numpy()
    assert_same_pattern(actual, expected, 1e-4)


def test_same_padding_with_even_kernel_multiplies_the_extra_cell():
    # padding='same' of an even kernel pads the input itself by the odd cell: those zeros are the input's
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 4, 4)).astype(np.float32)
    w[0, 0, 3, 3] = np.inf
    w[1, 1, 0, 0] = np.inf
    expected = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding="same").numpy()
    actual = F.conv2d(torchless.tensor(x), torchless.tensor(w), padding="same").numpy()
    assert_same_pattern(actual, expected, 1e-4)


def _direct_conv2d(x, w, padding, skip_padding):
    """Independent float64 reference: each output cell's sum of products, the padding's skipped or multiplied."""
    N, C, H, W = x.shape
    O, _, kH, kW = w.shape
    y = np.zeros((N, O, H + 2 * padding - kH + 1, W + 2 * padding - kW + 1))
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            for a in range(kH):
                for b in range(kW):
                    r, c = i + a - padding, j + b - padding
                    inside = 0 <= r < H and 0 <= c < W
                    if inside:
                        y[:, :, i, j] += x[:, :, r, c].astype(np.float64) @ w[:, :, a, b].T.astype(np.float64)
                    elif not skip_padding:
                        y[:, :, i, j] += np.zeros((N, C)) @ w[:, :, a, b].T.astype(np.float64)
    return y


@pytest.mark.parametrize("algorithm", sorted(kernels.FORWARD))
@pytest.mark.parametrize("which", ["x", "w"])
@pytest.mark.parametrize("skip_padding", [False, True])
def test_every_forward_algorithm_keeps_the_pattern(algorithm, which, skip_padding):
    rng = np.random.default_rng(4)
    kernel, padding = (1, 0) if algorithm == "pointwise" else (3, 1)
    x = rng.standard_normal((2, 8, 10, 10))
    w = rng.standard_normal((8, 8, kernel, kernel))
    for channel, (value, place) in enumerate(zip((np.inf, -np.inf, np.nan), ((0, 0), (5, 5), (0, 9)))):
        if which == "x":
            x[1, channel, place[0], place[1]] = value
        else:
            w[2, 3, min(place[0], kernel - 1), min(place[1], kernel - 1)] = value
    pads = ((padding, padding),) * 2
    expected = _direct_conv2d(x, w, padding, skip_padding)
    for dtype, rtol in ((np.float32, 1e-4), (np.float64, 1e-10)):
        actual = kernels.conv2d_forward(x.astype(dtype), w.astype(dtype), (1, 1), pads, (1, 1), 1,
                                        algorithm=algorithm, skipped_padding=pads if skip_padding else None)
        assert_same_pattern(actual, expected, rtol)


def test_winograd_keeps_an_input_inf_from_its_neighbours():
    # Winograd's transforms add each input cell into its tile's outputs with both signs: inf - inf = NaN
    x = np.random.default_rng(5).standard_normal((2, 16, 12, 12))
    w = np.random.default_rng(6).standard_normal((16, 16, 3, 3))
    x[0, 4, 6, 6] = np.inf
    expected = _direct_conv2d(x, w, 1, skip_padding=True)
    for name in ("winograd2", "winograd4"):
        actual = kernels.conv2d_forward(x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, algorithm=name)
        assert_same_pattern(actual, expected, 1e-10)
        assert np.isinf(actual).sum() == 16 * 9 and not np.isnan(actual).any()


DOUBLE_BACKWARD_CASES = [
    ("conv1d", (2, 4, 7), (6, 2, 3), dict(stride=2, padding=1, groups=2)),
    ("conv2d", (2, 3, 6, 5), (4, 3, 2, 3), dict(padding="same", dilation=2)),
    ("conv2d", (0, 3, 6, 5), (4, 3, 3, 3), dict(padding=1)),
    ("conv2d", (5, 5, 5), (5, 1, 5, 5), dict(groups=5, stride=3, dilation=1)),
    ("conv3d", (1, 2, 4, 4, 3), (2, 1, 2, 2, 2), dict(stride=(1, 2, 1), groups=2, padding=1)),
    ("conv_transpose2d", (2, 4, 3, 4), (4, 3, 3, 2), dict(stride=2, output_padding=1, padding=1)),
    ("conv_transpose1d", (2, 2, 5), (2, 4, 3), dict(groups=2, dilation=2)),
    ("conv_transpose3d", (1, 2, 3, 2, 3), (2, 2, 2, 2, 2), dict(stride=2)),
]


@pytest.mark.parametrize("name,x_shape,w_shape,kwargs", DOUBLE_BACKWARD_CASES, ids=lambda v: str(v))
def test_double_backward_matches_torch_and_gradcheck(name, x_shape, w_shape, kwargs):
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    out_channels = w_shape[1] * kwargs.get("groups", 1) if "transpose" in name else w_shape[0]
    b = rng.standard_normal(out_channels)
    results = []
    for lib in (torch, torchless):
        X, W, B = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        y = getattr(lib.nn.functional, name)(X, W, B, **kwargs)
        G = lib.tensor(np.random.default_rng(8).standard_normal(tuple(y.shape)), requires_grad=True)
        grads = lib.autograd.grad(y, (X, W, B), G, create_graph=True)
        total = sum((g * g).sum() for g in grads)
        second = lib.autograd.grad(total, (X, W, G), allow_unused=True)
        results.append([None if g is None else g.detach().numpy() for g in grads + second])
    for actual, expected in zip(*reversed(results)):
        assert (actual is None) == (expected is None)
        if expected is not None:
            np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-10)
    if x.size:
        X, W, B = (torchless.tensor(a, requires_grad=True) for a in (x, w, b))
        function = getattr(F, name)
        assert torchless.autograd.gradcheck(lambda *args: function(*args, **kwargs), (X, W, B))


@pytest.mark.parametrize("kernel,padding", [(3, 3), (2, 2), (3, 1)])
def test_transposed_of_one_output_channel_channels_last_multiplies_as_channels_first(kernel, padding):
    # the input gradient convolves the one-channel output gradient, channels-first to oneDNN whatever its strides
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 4, 7, 7)).astype(np.float32)
    w = rng.standard_normal((4, 1, kernel, kernel)).astype(np.float32)
    w[0, 0, 0, 0] = np.inf
    gradients = []
    for lib in (torch, torchless):
        leaf = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.conv_transpose2d(leaf.contiguous(memory_format=lib.channels_last), lib.tensor(w),
                                               padding=padding)
        y.backward(lib.ones_like(y))
        gradients.append(leaf.grad.numpy())
    assert_same_pattern(gradients[1], gradients[0], 1e-4)


@pytest.mark.parametrize("channels,out_channels,groups", [(4, 4, 4), (3, 4, 1), (16, 16, 2)])
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("dim", [2, 3])
def test_weight_gradient_of_an_infinite_output_gradient(channels, out_channels, groups, channels_last, dim):
    # oneDNN's weight gradient of a channels-first grouped 3-D convolution multiplies the padding, others skip it
    rng = np.random.default_rng(10)
    x = rng.standard_normal((2, channels) + (5,) * dim).astype(np.float32)
    w = rng.standard_normal((out_channels, channels // groups) + (3,) * dim).astype(np.float32)
    gy = rng.standard_normal((2, out_channels) + (5,) * dim).astype(np.float32)
    gy.flat[0] = np.inf
    gradients = []
    for lib in (torch, torchless):
        leaf, W = lib.tensor(x), lib.tensor(w, requires_grad=True)
        if channels_last:
            leaf = leaf.contiguous(memory_format=lib.channels_last if dim == 2 else lib.channels_last_3d)
        y = getattr(lib.nn.functional, f"conv{dim}d")(leaf, W, padding=1, groups=groups)
        y.backward(lib.tensor(gy))
        gradients.append(W.grad.numpy())
    assert_same_pattern(gradients[1], gradients[0], 1e-4)


@pytest.mark.parametrize("transposed", [False, True])
def test_expanded_infinite_input_sums_each_product(transposed):
    # a stride-0 input repeats its inf: inf * a + inf * b with a, b of either sign is NaN, not inf * (a + b)
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 2, 1)).astype(np.float64)
    x[1, 0, 0] = -np.inf
    w = rng.standard_normal((2, 2, 4))
    name = "conv_transpose1d" if transposed else "conv1d"
    gradients = []
    for lib in (torch, torchless):
        X, W = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = getattr(lib.nn.functional, name)(X.expand(2, 2, 6), W, dilation=2, padding=1)
        y.backward(lib.tensor(np.random.default_rng(12).standard_normal(tuple(y.shape))))
        gradients.append((y.detach().numpy(), X.grad.numpy(), W.grad.numpy()))
    for actual, expected in zip(*reversed(gradients)):
        assert_same_pattern(actual, expected, 1e-10)
