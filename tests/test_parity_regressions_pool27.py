"""Pooling, resampling and normalization layers on cases earlier sessions missed (session 27), each run on torch and
on torchless from the same arrays: shapes, strides, values (float32 precision, NaN and inf where they fall), or
the exception's type and message (torchless's names read as torch's)."""
import numpy as np
import pytest

import torchless
from helpers import recorded_tensors

torch = pytest.importorskip("torch")


def same_in_both(make):
    expected, got = recorded_tensors(torch, make), recorded_tensors(torchless, make)
    assert got == expected
    return expected


# ---------------------------------------------------------------- antialiased resampling of infinite pixels
# PyTorch's antialiasing kernel reads, for each output, only the pixels of its filter's footprint: a pixel past it
# is never weighed, so an infinite one there leaves the output finite (weighed 0, it would make it NaN).


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("row", [[1, 2, np.inf, 3, 4, 5], [1, 2, 3, 4, 5, np.inf], [-np.inf] * 6,
                                 [np.nan, 1, 2, 3, 4, 5], [1, -np.inf, 2, 3, np.inf, 4]])
@pytest.mark.parametrize("size", [(1, 3), (1, 4), (1, 5), (3, 2)])
def test_antialiased_interpolation_never_reads_pixels_outside_the_footprint(mode, row, size):
    values = np.tile(np.array(row, np.float32), (3, 1)).reshape(1, 1, 3, 6)
    same_in_both(lambda lib: lib.nn.functional.interpolate(lib.tensor(values), size=size, mode=mode,
                                                           antialias=True))


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels_last", [False, True])
def test_antialiased_interpolation_of_images_with_infinite_pixels(mode, dtype, channels_last):
    rng = np.random.default_rng(3)
    values = rng.standard_normal((2, 3, 11, 13)).astype(dtype)
    mask = rng.random(values.shape)
    values[mask < 0.05], values[mask > 0.95] = np.inf, -np.inf

    def make(lib):
        x = lib.tensor(values)
        if channels_last:
            x = x.contiguous(memory_format=lib.channels_last)
        return lib.nn.functional.interpolate(x, size=(5, 4), mode=mode, antialias=True)
    same_in_both(make)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_antialiased_interpolation_gradient_skips_pixels_outside_the_footprint(mode):
    # an infinite output gradient reaches only the pixels its output reads
    gradient = np.ones((1, 1, 3, 4), np.float32)
    gradient[0, 0, :, 0] = np.inf

    def make(lib):
        x = lib.zeros(1, 1, 3, 6, requires_grad=True)
        lib.nn.functional.interpolate(x, size=(3, 4), mode=mode, antialias=True).backward(lib.tensor(gradient))
        return x.grad
    same_in_both(make)


# ---------------------------------------------------------------- grid_sample's gradient in the graph


@pytest.mark.parametrize("spatial, mode", [(2, "bilinear"), (2, "bicubic"), (2, "nearest"), (3, "bilinear"),
                                           (3, "nearest")])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_input_gradient_with_create_graph_is_contiguous(spatial, mode, padding_mode):
    # (its scatter-add into one extra zero pixel left the gradient a view that skips it)
    rng = np.random.default_rng(0)
    values = rng.standard_normal((2, 3) + (4, 5, 3)[:spatial])
    points = rng.uniform(-1.2, 1.2, (2,) + (3, 2, 2)[:spatial] + (spatial,))
    weights = rng.standard_normal((2, 3) + (3, 2, 2)[:spatial])

    def make(lib):
        x = lib.tensor(values, requires_grad=True)
        out = lib.nn.functional.grid_sample(x, lib.tensor(points), mode=mode, padding_mode=padding_mode,
                                            align_corners=False)
        (grad,) = lib.autograd.grad((out * lib.tensor(weights)).sum(), x, create_graph=True)
        return grad
    same_in_both(make)


# ---------------------------------------------------------------- normalising constant rows
# PyTorch's Welford moments make a constant row's mean its value exactly and its variance 0: layer and group norm
# give exactly 0 (or the bias), where a rounded sum over the count left 1e-4 and more magnified by 1 / sqrt(eps).


@pytest.mark.parametrize("value", [-7.77, 5.3, 1000.1, 0.1, 3.14159])
@pytest.mark.parametrize("length", [1, 9, 17, 63, 300])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_of_constant_rows_is_its_bias(value, length, dtype):
    values = np.full((2, 3, length), value, dtype)
    bias = np.linspace(-1, 1, length).astype(dtype)

    def make(lib):
        plain = lib.nn.functional.layer_norm(lib.tensor(values), (length,))
        shifted = lib.nn.functional.layer_norm(lib.tensor(values), (length,), lib.full((length,), 0.7, dtype=plain.dtype),
                                               lib.tensor(bias))
        return plain, shifted
    plain, shifted = same_in_both(make)
    assert np.all(np.array(plain[2]) == 0)
    assert np.array_equal(np.array(shifted[2]), np.broadcast_to(np.round(bias.astype(np.float64), 5), values.shape))


@pytest.mark.parametrize("value", [-7.77, 5.3, 1000.1])
@pytest.mark.parametrize("shape, groups", [((2, 8, 9), 2), ((3, 4, 5, 7), 2), ((1, 4, 64, 64), 4), ((2, 6), 3)])
def test_group_norm_of_constant_groups_is_zero(value, shape, groups):
    values = np.full(shape, value, np.float32)
    result = same_in_both(lambda lib: lib.nn.functional.group_norm(lib.tensor(values), groups))
    assert np.all(np.array(result[0][2]) == 0)


@pytest.mark.parametrize("value", [-7.77, 1000.1])
def test_native_layer_norm_mean_of_a_constant_row_is_its_value(value):
    values = np.full((4, 37), value, np.float32)
    same_in_both(lambda lib: lib.native_layer_norm(lib.tensor(values), [37], None, None, 1e-5))


@pytest.mark.parametrize("normalize", ["layer_norm", "group_norm"])
def test_constant_rows_beside_ordinary_ones(normalize):
    rng = np.random.default_rng(1)
    values = rng.standard_normal((6, 2, 20)).astype(np.float32) * 4 + 123.456
    values[1], values[4, 0] = np.float32(123.456), np.float32(-0.3)

    def make(lib):
        x = lib.tensor(values)
        if normalize == "layer_norm":
            return lib.nn.functional.layer_norm(x, (20,))
        return lib.nn.functional.group_norm(x, 2)
    expected, got = (make(lib).numpy() for lib in (torch, torchless))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert np.all(got[1] == 0) and np.all(got[4, 0] == 0)


@pytest.mark.parametrize("shape, normalized_shape", [((2, 3, 0), [0]), ((2, 0, 4), [0, 4]), ((2, 3, 0), [3, 0])])
def test_native_layer_norm_mean_of_empty_rows_is_zero(shape, normalized_shape):
    # (PyTorch's Welford mean of no values is its starting 0; the 1 / std of 0 / 0, NaN)
    same_in_both(lambda lib: lib.native_layer_norm(lib.zeros(shape), normalized_shape, None, None, 1e-5))


@pytest.mark.parametrize("shape", [(0, 6, 4), (2, 6, 0)])
def test_native_group_norm_of_empty_inputs(shape):
    same_in_both(lambda lib: lib.native_group_norm(lib.zeros(shape), None, None, shape[0], shape[1], shape[2], 3,
                                                   1e-5))


# ---------------------------------------------------------------- linear interpolation and infinities
# Along an axis whose size does not change PyTorch's linear kernels still weigh each pixel 1 and itself again 0, in
# their backward too: an infinite gradient there becomes NaN. In float64 their source index is a fused multiply-add:
# an output just past a pixel weighs the next one by 1e-17, not 0 (inf, not NaN, next to an infinite pixel).


@pytest.mark.parametrize("shape, size, mode", [((1, 1, 5), 5, "linear"), ((2, 3, 4, 7), (9, 7), "bilinear"),
                                               ((1, 1, 4, 7), (9, 7), "bilinear"), ((2, 2, 3, 4), (3, 4), "bilinear"),
                                               ((1, 2, 4, 3, 5), (4, 6, 5), "trilinear")])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("channels_last", [False, True])
def test_linear_interpolation_gradient_of_infinities_along_an_unchanged_axis(shape, size, mode, align_corners,
                                                                             channels_last):
    rng = np.random.default_rng(2)
    out_shape = shape[:2] + ((size,) if isinstance(size, int) else size)
    gradient = rng.standard_normal(out_shape).astype(np.float32)
    mask = rng.random(out_shape)
    gradient[mask < 0.1], gradient[mask > 0.95] = np.inf, -np.inf

    def make(lib):
        x = lib.zeros(shape, requires_grad=True)
        source = x
        if channels_last and len(shape) > 3:
            source = x.contiguous(memory_format=lib.channels_last if len(shape) == 4 else lib.channels_last_3d)
        lib.nn.functional.interpolate(source, size=size, mode=mode, align_corners=align_corners).backward(
            lib.tensor(gradient))
        return x.grad
    same_in_both(make)


@pytest.mark.parametrize("row", [[1.0, np.inf], [1.0, np.inf, 2.0, 3.0], [-np.inf, 2.0, np.inf]])
@pytest.mark.parametrize("size", [7, 10, 13])
def test_float64_linear_interpolation_next_to_an_infinite_pixel(row, size):
    values = np.array(row, np.float64).reshape(1, 1, -1)
    same_in_both(lambda lib: lib.nn.functional.interpolate(lib.tensor(values), size=size, mode="linear"))
    planes = np.tile(values[..., None], (1, 1, 1, 3))
    same_in_both(lambda lib: lib.nn.functional.interpolate(lib.tensor(planes), size=(size, 5), mode="bilinear"))


# ---------------------------------------------------------------- batch, instance and group norm of constant rows
# PyTorch's batch-norm kernel (instance norm's too, and group norm's given a weight or bias) computes x * alpha +
# beta with beta = bias - mean * alpha, both fused: a constant row comes out as the bias plus the rounding error of
# x * alpha (1 / sqrt(eps) taken in float64), not as the bias.


def normalized_constant_rows(lib, normalize, values, eps):
    x = lib.tensor(values)
    channels = values.shape[1]
    weight = lib.tensor(np.linspace(-1.3, 2.0, channels).astype(values.dtype))
    bias = lib.tensor(np.linspace(0.1, -2.0, channels).astype(values.dtype))
    functional = lib.nn.functional
    if normalize == "batch_norm":
        return (functional.batch_norm(x, None, None, training=True, eps=eps),
                functional.batch_norm(x, lib.zeros(channels, dtype=x.dtype), lib.ones(channels, dtype=x.dtype),
                                      weight, bias, training=True, eps=eps))
    if normalize == "instance_norm":
        return functional.instance_norm(x, eps=eps), functional.instance_norm(x, weight=weight, bias=bias, eps=eps)
    return (functional.group_norm(x, 2, weight, None, eps), functional.group_norm(x, 2, None, bias, eps),
            functional.group_norm(x, 2, weight, bias, eps))


@pytest.mark.parametrize("normalize", ["batch_norm", "instance_norm", "group_norm"])
@pytest.mark.parametrize("value", [1000.1, -7.77, 5.3, 0.1])
@pytest.mark.parametrize("length", [2, 17, 64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_constant_rows_through_batch_instance_and_group_norm_are_bit_exact(normalize, value, length, dtype):
    # (in float64 a long batch-norm sum leaves PyTorch's mean a rounding off: that noise is 1e-9, within precision)
    values = np.full((2, 4, length), value, dtype)
    expected, got = ([t.numpy() for t in normalized_constant_rows(lib, normalize, values, 1e-5)]
                     for lib in (torch, torchless))
    for want, have in zip(expected, got):
        if dtype == np.float32:
            np.testing.assert_array_equal(have, want)
        else:
            np.testing.assert_allclose(have, want, rtol=1e-10, atol=1e-8)


@pytest.mark.parametrize("normalize", ["instance_norm", "group_norm"])
def test_constant_rows_without_eps(normalize):
    values = np.full((2, 4, 5), 7.77, np.float32)
    expected, got = ([t.numpy() for t in normalized_constant_rows(lib, normalize, values, 0.0)]
                     for lib in (torch, torchless))
    for want, have in zip(expected, got):
        np.testing.assert_array_equal(have, want)


@pytest.mark.parametrize("module", ["BatchNorm2d", "InstanceNorm2d", "GroupNorm"])
def test_constant_channels_beside_ordinary_ones_through_modules(module):
    rng = np.random.default_rng(4)
    values = rng.standard_normal((3, 4, 5, 5)).astype(np.float32)
    values[:, 1] = 123.456  # a constant channel (and instance, and with channel 0 no constant group)
    values[:, 2:] = -0.77  # a constant group

    def make(lib):
        layer = lib.nn.GroupNorm(2, 4) if module == "GroupNorm" else getattr(lib.nn, module)(4, affine=True)
        with lib.no_grad():
            layer.weight.copy_(lib.tensor([0.5, -1.5, 2.0, 0.3]))
            layer.bias.copy_(lib.tensor([0.1, 0.2, -0.3, 1.0]))
        return layer(lib.tensor(values)).detach().numpy()
    expected, got = make(torch), make(torchless)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got[:, 2:], expected[:, 2:])
