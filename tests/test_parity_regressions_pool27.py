"""Pooling, resampling and normalization layers on cases earlier sessions missed (session 27), each run on torch and
on torchless from the same arrays: shapes, strides, values (float32 precision, NaN and inf where they fall), or
the exception's type and message (torchless's names read as torch's)."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def record(lib, make):
    """``make(lib)``'s tensors as (shape, strides, values rounded to float32 precision), or the exception."""
    try:
        result = make(lib)
    except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    results = result if isinstance(result, tuple) else (result,)
    return [(tuple(t.shape), t.stride(), comparable(t.detach().numpy())) for t in results]


def comparable(values):
    """``values`` rounded to float32 precision, as nested lists whose NaNs compare equal (as the string "nan")."""
    rounded = np.round(values.astype(np.float64), 5)
    listed = rounded.astype(object)
    listed[np.isnan(rounded)] = "nan"
    return listed.tolist()


def same_in_both(make):
    expected, got = record(torch, make), record(torchless, make)
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
