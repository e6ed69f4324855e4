"""Differences from PyTorch found by a differential fuzz of the convolution, pooling, padding and resampling
family, each compared with torch.

* memory layouts: a transposed convolution's input and weight gradients are channels-last when its output is
  (a channels-last input or weight), as a convolution's; a 1-D convolution is PyTorch's 2-D one on the
  ``unsqueeze(2)`` of its weight and of its input made contiguous, so a transposed weight (or a single-channel
  input with odd strides) makes its output and gradients channels-last in that view;
* F.pad's gradients: reflection and replication ones are laid out as the input suggests (C-contiguous, or
  channels-last), circular ones C-contiguous, and a constant one is PyTorch's constant_pad_nd of the gradient
  with the widths negated (a clone of the narrowed gradient, or a new tensor in the format the gradient suggests).
"""
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _layout(lib, array, layout):
    """A float64 tensor of ``array`` laid out as ``layout``: "c" (C order), "t" (last two dims transposed in
    memory) or "cl" (channels-last)."""
    if layout == "t":
        return lib.tensor(np.array(np.swapaxes(array, -1, -2), order="C")).transpose(-1, -2)
    if layout == "cl":
        return lib.tensor(array).contiguous(memory_format=lib.channels_last if array.ndim == 4 else
                                            lib.channels_last_3d)
    return lib.tensor(array)


def _strides(tensor):
    """The strides of the dims of size above 1, those a layout decides (autograd.grad's copies of the gradients
    give the others their own)."""
    return [stride for stride, size in zip(tensor.stride(), tensor.shape) if size > 1]


def _outputs_and_gradients(lib, fn, arrays, layouts, grad_layout="c"):
    inputs = [_layout(lib, a, lay).requires_grad_(True) for a, lay in zip(arrays, layouts)]
    y = fn(lib, *inputs)
    g = _layout(lib, np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)), grad_layout)
    return (y,) + lib.autograd.grad(y, inputs, g)


def _assert_same_layouts_and_values(fn, arrays, layouts, grad_layout="c"):
    expected = _outputs_and_gradients(torch, fn, arrays, layouts, grad_layout)
    actual = _outputs_and_gradients(torchless, fn, arrays, layouts, grad_layout)
    for theirs, ours in zip(expected, actual, strict=True):
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert _strides(ours) == _strides(theirs)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


RNG = np.random.default_rng(16)


# ---------------------------------------------------------------------------- convolution layouts
@pytest.mark.parametrize("layouts", [("cl", "c"), ("c", "cl"), ("cl", "cl")])
@pytest.mark.parametrize("groups", [1, 2])
def test_transposed_convolution_gradients_are_channels_last_with_its_output(layouts, groups):
    x, w = RNG.standard_normal((2, 4, 5, 6)), RNG.standard_normal((4, 3, 3, 2))
    _assert_same_layouts_and_values(
        lambda lib, x, w: lib.nn.functional.conv_transpose2d(x, w, stride=2, padding=1, groups=groups),
        [x, w], layouts)


@pytest.mark.parametrize("fn", ["conv1d", "conv_transpose1d"])
@pytest.mark.parametrize("x_shape, layouts", [
    ((2, 4, 7), ("c", "t")),  # a transposed weight: channels-last for the 2-D kernel
    ((2, 4, 7), ("t", "c")),  # a transposed input: made contiguous first, so C order
    ((2, 4, 7), ("t", "t")),
    ((1, 1, 7), ("t", "c")),  # a single-channel input is contiguous already: its odd strides kept
])
def test_1d_convolution_layouts_are_those_of_its_unsqueezed_weight(fn, x_shape, layouts):
    channels = x_shape[1]
    w_shape = (channels, 2, 3) if fn == "conv_transpose1d" else (2, channels, 3)
    _assert_same_layouts_and_values(lambda lib, x, w: getattr(lib.nn.functional, fn)(x, w, stride=2, padding=1),
                                    [RNG.standard_normal(x_shape), RNG.standard_normal(w_shape)], layouts)


def test_1d_convolution_without_grad_keeps_the_layout():
    x, w = RNG.standard_normal((3, 6, 4)), RNG.standard_normal((6, 2, 2))
    for lib in (torch, torchless):
        y = lib.nn.functional.conv1d(lib.tensor(x), _layout(lib, w, "t"), groups=3)
        assert y.stride() == (18, 1, 6)


def test_1d_convolution_numerics_with_a_transposed_weight_without_torch():
    """The output of a transposed weight is laid out channels-last: its values are still the correlation."""
    x, w = RNG.standard_normal((2, 3, 6)), RNG.standard_normal((4, 3, 2))
    y = torchless.nn.functional.conv1d(torchless.tensor(x), _layout(torchless, w, "t")).numpy()
    expected = np.stack([np.einsum("nck,ock->no", x[:, :, i:i + 2], w) for i in range(5)], axis=-1)
    np.testing.assert_allclose(y, expected, rtol=1e-12)


# ---------------------------------------------------------------------------- padding gradients' layouts
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "constant"])
@pytest.mark.parametrize("shape, pad, layout", [
    ((3, 2, 6), (1, 2), "c"), ((2, 6), (2, 1), "t"), ((3, 5, 4), (1, 1, 2, 0), "t"),
    ((2, 3, 5, 4), (1, 1, 1, 2), "cl"), ((2, 3, 5, 4), (1, 1, 1, 2), "t"), ((2, 3, 4, 5), (1, 1, 1, 1, 1, 1), "cl"),
])
def test_pad_gradient_layout(mode, shape, pad, layout):
    _assert_same_layouts_and_values(lambda lib, x: lib.nn.functional.pad(x, pad, mode=mode),
                                    [RNG.standard_normal(shape)], [layout])


@pytest.mark.parametrize("pad", [(1, 1, 1, 1), (1, -1, 1, 1), (-1, -1, 0, -1)])
@pytest.mark.parametrize("grad_layout", ["c", "t", "cl"])
def test_constant_pad_gradient_is_the_negated_padding_of_the_gradient(pad, grad_layout):
    _assert_same_layouts_and_values(lambda lib, x: lib.nn.functional.pad(x, pad), [RNG.standard_normal((2, 3, 4, 5))],
                                    ["cl"], grad_layout)


def test_pad_gradient_values_without_torch():
    """A replication pad's gradient sums each output cell's gradient into the edge it copies."""
    x = torchless.zeros(1, 4, dtype=torchless.float64, requires_grad=True)
    y = torchless.nn.functional.pad(x, (2, 1), mode="replicate")
    (g,) = torchless.autograd.grad(y, x, torchless.arange(7, dtype=torchless.float64).reshape(1, 7))
    assert g.tolist() == [[0.0 + 1 + 2, 3.0, 4.0, 5.0 + 6]] and g.is_contiguous()


# ---------------------------------------------------------------------------- pooling gradients' layouts
POOLINGS = {
    "max_pool2d": ((2, 3, 6, 5), lambda F, x: F.max_pool2d(x, 2)),
    "max_pool2d_ceil": ((2, 3, 5, 5), lambda F, x: F.max_pool2d(x, 1, ceil_mode=True)),
    "avg_pool2d": ((2, 3, 6, 5), lambda F, x: F.avg_pool2d(x, (3, 1), divisor_override=2)),
    "lp_pool2d": ((2, 3, 6, 5), lambda F, x: F.lp_pool2d(x, 2, 2)),
    "max_pool1d": ((2, 3, 6), lambda F, x: F.max_pool1d(x, 2)),
    "avg_pool1d": ((2, 3, 6), lambda F, x: F.avg_pool1d(x, 2)),
    "adaptive_avg_pool2d": ((2, 3, 6, 5), lambda F, x: F.adaptive_avg_pool2d(x, (2, 3))),
    "adaptive_avg_pool1d": ((2, 3, 6), lambda F, x: F.adaptive_avg_pool1d(x, 4)),
    "adaptive_max_pool2d": ((2, 3, 6, 5), lambda F, x: F.adaptive_max_pool2d(x, (2, 3))),
    "adaptive_max_pool1d": ((2, 3, 6), lambda F, x: F.adaptive_max_pool1d(x, 4)),
    "max_pool3d": ((2, 3, 4, 6, 5), lambda F, x: F.max_pool3d(x, 2)),
    "area": ((2, 3, 4, 5), lambda F, x: F.interpolate(x, size=(3, 2), mode="area")),
}


@pytest.mark.parametrize("name", POOLINGS)
def test_pooling_gradient_is_laid_out_as_the_input_suggests(name):
    """PyTorch's pooling backward kernels write the input's gradient channels-last for such an input (a 1-D
    pooling's, seen unsqueezed by the 2-D kernel: a transposed (N, C, L) input)."""
    shape, fn = POOLINGS[name]
    x = RNG.standard_normal(shape)
    _assert_same_layouts_and_values(lambda lib, x: fn(lib.nn.functional, x), [x], ["t" if len(shape) == 3 else "cl"])
    _assert_same_layouts_and_values(lambda lib, x: fn(lib.nn.functional, x), [x], ["c"])


def test_pooling_gradient_values_in_channels_last_without_torch():
    """The gradient laid out channels-last holds the same values: each window's gradient at its maximum."""
    x0 = np.arange(16.0).reshape(1, 1, 4, 4)
    x = torchless.tensor(x0).contiguous(memory_format=torchless.channels_last).requires_grad_(True)
    (g,) = torchless.autograd.grad(torchless.nn.functional.max_pool2d(x, 2), x, torchless.ones(1, 1, 2, 2,
                                                                                               dtype=torchless.float64))
    assert g.numpy()[0, 0].tolist() == [[0, 0, 0, 0], [0, 1, 0, 1], [0, 0, 0, 0], [0, 1, 0, 1]]


@pytest.mark.parametrize("shape, pool, unpool", [((1, 3, 4, 3, 4), "max_pool3d", "max_unpool3d"),
                                                 ((1, 3, 4, 6), "max_pool2d", "max_unpool2d")])
def test_max_unpool_gradient_is_c_contiguous_for_channels_last_indices_of_a_batch_of_one(shape, pool, unpool):
    """PyTorch's max_unpool backward is a gather, allocated C-contiguous whatever the indices' layout."""
    x0 = RNG.standard_normal(shape)
    for lib in (torch, torchless):
        x = _layout(lib, x0, "cl")
        y, indices = getattr(lib.nn.functional, pool)(x, 2, 1, return_indices=True)
        y = y.detach().requires_grad_(True)
        out = getattr(lib.nn.functional, unpool)(y, indices, 2, 1)
        (g,) = lib.autograd.grad(out, y, lib.ones(tuple(out.shape), dtype=out.dtype))
        assert g.is_contiguous() and bool((g == 1).all())


# ---------------------------------------------------------------------------- gradients laid out as the output's
REARRANGINGS = {
    "nearest": ((2, 3, 4, 5), lambda F, x: F.interpolate(x, size=(5, 7))),
    "nearest-exact": ((2, 3, 4, 5), lambda F, x: F.interpolate(x, size=(5, 7), mode="nearest-exact")),
    "bilinear": ((2, 3, 4, 5), lambda F, x: F.interpolate(x, size=(5, 7), mode="bilinear")),
    "bilinear_antialias": ((2, 3, 4, 5), lambda F, x: F.interpolate(x, size=(3, 7), mode="bilinear", antialias=True)),
    "bicubic": ((2, 3, 4, 5), lambda F, x: F.interpolate(x, size=(5, 7), mode="bicubic")),  # C-contiguous
    "trilinear": ((2, 3, 4, 5, 3), lambda F, x: F.interpolate(x, size=(5, 7, 2), mode="trilinear")),
    "nearest3d": ((2, 3, 4, 5, 3), lambda F, x: F.interpolate(x, size=(5, 7, 2))),  # C-contiguous
    "pixel_shuffle": ((2, 4, 3, 5), lambda F, x: F.pixel_shuffle(x, 2)),
    "pixel_unshuffle": ((2, 2, 4, 6), lambda F, x: F.pixel_unshuffle(x, 2)),
    "channel_shuffle": ((2, 4, 3, 5), lambda F, x: F.channel_shuffle(x, 2)),
    "channel_shuffle_5d": ((2, 9, 3, 3, 2), lambda F, x: F.channel_shuffle(x, 3)),
}


@pytest.mark.parametrize("name", REARRANGINGS)
@pytest.mark.parametrize("x_layout", ["c", "cl"])
def test_gradient_follows_the_output_gradients_layout(name, x_layout):
    """PyTorch's nearest, bilinear and trilinear upsampling backward kernels allocate the input's gradient in the
    format the output's gradient suggests, as pixel and channel shuffling's backward (the inverse kernel, on the
    gradient) do."""
    shape, fn = REARRANGINGS[name]
    _assert_same_layouts_and_values(lambda lib, x: fn(lib.nn.functional, x), [RNG.standard_normal(shape)],
                                    [x_layout], grad_layout="cl")


@pytest.mark.parametrize("fn", ["pixel_shuffle", "pixel_unshuffle"])
def test_pixel_shuffle_backward_refuses_a_channels_last_3d_gradient(fn):
    """The inverse kernel, PyTorch's backward, checks the gradient's strides as the forward checks the input's."""
    x0 = RNG.standard_normal((2, 2, 8, 2, 4))
    outcomes = []
    for lib in (torch, torchless):
        x = lib.tensor(x0, requires_grad=True)
        y = getattr(lib.nn.functional, fn)(x, 2)
        g = lib.ones(tuple(y.shape), dtype=y.dtype).contiguous(memory_format=lib.channels_last_3d)
        with pytest.raises(RuntimeError) as error:
            lib.autograd.grad(y, x, g)
        outcomes.append(str(error.value))
    assert outcomes[1] == outcomes[0] == "Unsupported memory format. Supports only ChannelsLast, Contiguous"


def test_max_pool3d_backward_refuses_a_2d_channels_last_gradient():
    """Of an unbatched volume: PyTorch's max_pool3d backward kernel checks the gradient's strides (its other 3-D
    poolings take it)."""
    for lib in (torch, torchless):
        x = lib.ones(2, 4, 4, 4, dtype=lib.float64, requires_grad=True)
        y = lib.nn.functional.max_pool3d(x, 2)
        g = lib.ones(tuple(y.shape), dtype=y.dtype).contiguous(memory_format=lib.channels_last)
        with pytest.raises(RuntimeError, match="^Unsupported memory format. Supports only ChannelsLast3d, Contiguous$"):
            lib.autograd.grad(y, x, g)
        (gx,) = lib.autograd.grad(lib.nn.functional.avg_pool3d(x, 2), x, g)
        assert gx.is_contiguous()


# ---------------------------------------------------------------------------- float16 average pooling
HALF_POOLINGS = {
    "avg_pool2d": lambda F, x: F.avg_pool2d(x, 3, 1, 1),
    "avg_pool2d_ceil": lambda F, x: F.avg_pool2d(x, (3, 2), 2, 1, ceil_mode=True, count_include_pad=False),
    "avg_pool2d_divisor": lambda F, x: F.avg_pool2d(x, 2, 1, divisor_override=3),
    "avg_pool1d": lambda F, x: F.avg_pool1d(x.flatten(2), 4, 2, 1),
    "adaptive_avg_pool2d": lambda F, x: F.adaptive_avg_pool2d(x, (4, 6)),
    "adaptive_avg_pool1d": lambda F, x: F.adaptive_avg_pool1d(x.flatten(2), 13),
    "adaptive_avg_pool3d": lambda F, x: F.adaptive_avg_pool3d(x[None], (2, 4, 3)),
    "area": lambda F, x: F.interpolate(x, size=(3, 5), mode="area"),
}


@pytest.mark.parametrize("name", HALF_POOLINGS)
def test_float16_average_pooling_rounds_as_pytorch(name):
    """PyTorch's kernels average a half tensor in float32, rounded once (its 3-D adaptive one sums in half, then
    divides by each extent), and add the gradient's half shares into a half gradient window after window: the
    same bits here, forward and backward."""
    x0 = (RNG.standard_normal((2, 3, 9, 11)) * 4).astype(np.float16)
    g0 = None
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(x0).requires_grad_(True)
        y = HALF_POOLINGS[name](lib.nn.functional, x)
        if g0 is None:
            g0 = RNG.standard_normal(tuple(y.shape)).astype(np.float16)
        (g,) = lib.autograd.grad(y, x, lib.tensor(g0))
        results.append((y.detach().numpy(), g.numpy()))
    for theirs, ours in zip(*results):
        assert ours.dtype == theirs.dtype == np.float16
        np.testing.assert_array_equal(ours, theirs)


def test_float16_average_pooling_without_torch():
    """A window's average is its float32 mean rounded once to half."""
    x0 = (np.random.default_rng(3).standard_normal((1, 2, 6, 6)) * 4).astype(np.float16)
    y = torchless.nn.functional.avg_pool2d(torchless.tensor(x0), 3).numpy()
    expected = x0.astype(np.float32).reshape(1, 2, 2, 3, 2, 3).sum(axis=(3, 5)) / np.float32(9)
    np.testing.assert_array_equal(y, expected.astype(np.float16))


@pytest.mark.parametrize("mode, shape", [("linear", (2, 3, 11)), ("trilinear", (2, 3, 5, 6, 7)),
                                         ("bicubic", (2, 3, 9, 11))])
@pytest.mark.parametrize("kwargs", [{"scale_factor": 1.7}, {"scale_factor": 0.6}, {"size": 4},
                                    {"scale_factor": 1.7, "align_corners": True}])
def test_float16_interpolation_weights_are_half(mode, shape, kwargs):
    """PyTorch's generic upsampling kernel stores a half input's weights in half (a linear pair as lambda and
    1 - lambda, taken in half), then interpolates in float32: the same bits here in 1-D (its 2-D bilinear kernel
    keeps float32 weights). Over 2 or 3 axes a rare cell still rounds the other way (float32 weights: half
    the cells)."""
    x0 = (np.random.default_rng(0).standard_normal(shape) * 4).astype(np.float16)
    expected, actual = (lib.nn.functional.interpolate(lib.tensor(x0), mode=mode, **kwargs).numpy()
                        for lib in (torch, torchless))
    if mode == "linear":
        np.testing.assert_array_equal(actual, expected)
    differ = actual != expected
    assert differ.mean() < 0.002
    np.testing.assert_array_equal(np.abs(actual[differ].view(np.int16) - expected[differ].view(np.int16)), 1)


def test_float16_linear_interpolation_without_torch():
    """3 -> 7 samples: each output is w0 * x[i0] + w1 * x[i1] in float32, rounded once, its weights the half
    lambda = source - i0 and 1 - lambda taken in half (float32 weights round the last bit otherwise)."""
    x = np.array([0.0, 3.3, 0.0], np.float16)
    y = torchless.nn.functional.interpolate(torchless.tensor(x[None, None]), size=7, mode="linear").numpy()[0, 0]
    source = np.maximum((np.arange(7) + 0.5) * np.float64(np.float32(3) / np.float32(7)) - 0.5, 0).astype(np.float32)
    first = np.minimum(np.floor(source).astype(int), 2)
    second = np.minimum(first + 1, 2)
    lam = source - first.astype(np.float32)
    half_lam = lam.astype(np.float16)
    w0, w1 = (np.float16(1) - half_lam).astype(np.float32), half_lam.astype(np.float32)
    expected = (w0 * x[first].astype(np.float32) + w1 * x[second].astype(np.float32)).astype(np.float16)
    with_float_weights = ((1 - lam) * x[first].astype(np.float32) + lam * x[second].astype(np.float32)).astype(np.float16)
    assert (expected != with_float_weights).any()
    np.testing.assert_array_equal(y, expected)


# ---------------------------------------------------------------------------- float16 convolutions
HALF_CONVOLUTIONS = [
    ("conv2d", (2, 4, 6, 5), (3, 4, 3, 3), {"padding": 1}),
    ("conv2d", (2, 4, 6, 5), (4, 2, 3, 3), {"padding": 1, "groups": 2, "stride": 2}),
    ("conv2d", (2, 4, 6, 5), (3, 4, 2, 3), {"padding": "same", "dilation": 2}),
    ("conv_transpose2d", (2, 4, 6, 5), (4, 3, 3, 3), {"padding": 1}),
    ("conv_transpose2d", (2, 4, 6, 5), (4, 2, 3, 2), {"stride": 2, "groups": 2}),
    ("conv1d", (2, 4, 9), (3, 4, 3), {"padding": 1}),
    ("conv_transpose1d", (2, 4, 9), (4, 3, 3), {"stride": 2}),
    ("conv3d", (1, 2, 4, 5, 4), (3, 2, 2, 2, 2), {}),
    ("conv_transpose3d", (1, 2, 4, 5, 4), (2, 3, 2, 2, 2), {}),
]


@pytest.mark.parametrize("fn, x_shape, w_shape, kwargs", HALF_CONVOLUTIONS)
def test_float16_convolution_rounds_once_as_pytorch(fn, x_shape, w_shape, kwargs):
    """PyTorch's CPU kernels convolve half tensors in float32, and round the output, and each gradient, once
    (oneDNN, on a CPU with AVX-512 FP16) or where their GEMMs store half results (the reference kernels): the
    same bits here (torchless's half arithmetic rounded partial sums, in up to half the cells), but for the
    rare float32 sum that its order of additions puts on the other side of a half rounding boundary."""
    rng = np.random.default_rng(7)
    x0, w0 = (rng.standard_normal(x_shape) * 3).astype(np.float16), rng.standard_normal(w_shape).astype(np.float16)
    b0 = rng.standard_normal(w_shape[1] * kwargs.get("groups", 1) if "transpose" in fn else w_shape[0])
    b0 = b0.astype(np.float16)
    results = []
    for lib in (torch, torchless):
        x, w, b = (lib.tensor(a).requires_grad_(True) for a in (x0, w0, b0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = getattr(lib.nn.functional, fn)(x, w, b, **kwargs)
        g = lib.tensor(np.random.default_rng(8).standard_normal(tuple(y.shape)).astype(np.float16))
        results.append([y.detach().numpy()] + [t.numpy() for t in lib.autograd.grad(y, [x, w, b], g)])
        assert y.grad_fn.name() == "ConvolutionBackward0"
    for theirs, ours in zip(*results):
        assert ours.dtype == np.float16
        differ = ours != theirs
        assert differ.mean() < 0.02
        np.testing.assert_array_equal(np.abs(ours[differ].view(np.int16) - theirs[differ].view(np.int16)), 1)


def test_float16_convolution_without_torch():
    """A half convolution's output is its float32 (or float64) convolution, rounded once to half."""
    rng = np.random.default_rng(9)
    x0, w0 = (rng.standard_normal((2, 3, 7, 7)) * 3).astype(np.float16), rng.standard_normal((4, 3, 3, 3))
    w0 = w0.astype(np.float16)
    y = torchless.nn.functional.conv2d(torchless.tensor(x0), torchless.tensor(w0)).numpy()
    exact = torchless.nn.functional.conv2d(torchless.tensor(x0.astype(np.float64)),
                                           torchless.tensor(w0.astype(np.float64))).numpy()
    np.testing.assert_array_equal(y, exact.astype(np.float16))


@pytest.mark.parametrize("shape, output_size", [((1, 3, 1, 5, 5), (-1, -1, -1)), ((1, 3, 5, 5, 1), (3, 3, -1)),
                                                ((1, 3, 5, 1, 5), (-2, 3, 3)), ((1, 3, 5, 2, 5), (-1, -1, -1)),
                                                ((1, 3, 5, 1, 5), (0, 0, 0))])
def test_fractional_max_pool3d_checks_a_negative_output_size_as_0(shape, output_size):
    """Its kernel-size check before the negative dimension's (a 2-D pooling checks the negative size itself)."""
    messages = []
    for lib in (torch, torchless):
        with pytest.raises(RuntimeError) as error:
            lib.nn.functional.fractional_max_pool3d(lib.ones(*shape), 2, output_size=output_size)
        messages.append(str(error.value))
    assert messages[1] == messages[0]


@pytest.mark.parametrize("return_indices", [False, True])
def test_max_pool3d_of_an_unbatched_channels_innermost_volume_keeps_that_layout(return_indices):
    """PyTorch pools an unbatched (C, D, H, W) volume as a batch of one (a view): channels-last-3d strides there
    give a channels-last-3d output (and indices), squeezed; any other layout a C-contiguous one."""
    for perm, expected in [((1, 2, 3, 0), (1, 72, 12, 4)), ((0, 1, 3, 2), (36, 18, 3, 1))]:
        x0 = np.transpose(np.arange(360.0).reshape(4, 5, 6, 3), perm).copy()
        outputs = []
        for lib in (torch, torchless):
            x = lib.tensor(x0).permute(*[perm.index(i) for i in range(4)])
            y = lib.nn.functional.max_pool3d(x, (2, 1, 1), return_indices=return_indices)
            outputs.append(y if return_indices else (y,))
        for theirs, ours in zip(*outputs):
            assert ours.stride() == theirs.stride() == expected
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
