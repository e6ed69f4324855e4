"""Resizing, padding and sampling on the cases earlier sessions missed, each run on torch and on torchless and
compared: what is returned (shapes, dtypes, values to float32 precision), the warnings raised, or the exception's
type and message (torchless's names read as torch's)."""

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

from test_parity_regressions_layers24 import outcome  # noqa: E402  (after the skip)


def same_in_both(make):
    expected, got = outcome(torch, make), outcome(torchless, make)
    assert got == expected
    return expected


# ---------------------------------------------------------------- resampling non-finite or overflowing pixels


def _extreme_pixels(kind):
    """A (1, 2, 5, 6) float32 image with infinities of both signs among ordinary values (or values up to near
    float32's largest): resampling them makes NaNs (an infinity weighed 0, inf - inf) or overflows."""
    pixels = np.random.default_rng(0).standard_normal((1, 2, 5, 6)).astype(np.float32)
    if kind == "infinite":
        return np.where(pixels > 1, np.inf, np.where(pixels < -1, -np.inf, pixels)).astype(np.float32)
    return np.clip(pixels, -1, 1) * np.float32(3e38)


@pytest.mark.parametrize("kind", ["infinite", "huge"])
@pytest.mark.parametrize("mode, antialias", [("bilinear", True), ("bicubic", False), ("bicubic", True)])
@pytest.mark.parametrize("scale_factor", [0.4, 1.5, 3])
@pytest.mark.parametrize("channels_last", [False, True])
def test_interpolate_makes_nans_and_infinities_silently(kind, mode, antialias, scale_factor, channels_last):
    pixels = _extreme_pixels(kind)

    def make(lib):
        x = lib.tensor(pixels)
        if channels_last:
            x = x.contiguous(memory_format=lib.channels_last)
        return lib.nn.functional.interpolate(x, scale_factor=scale_factor, mode=mode, antialias=antialias)

    _, warned = same_in_both(make)
    assert warned == []


@pytest.mark.parametrize("kind", ["infinite", "huge"])
@pytest.mark.parametrize("mode, rank", [("linear", 3), ("trilinear", 5)])
def test_linear_and_trilinear_interpolation_make_nans_silently(kind, mode, rank):
    pixels = _extreme_pixels(kind)
    pixels = pixels[0] if rank == 3 else np.stack([pixels, pixels], axis=2)

    _, warned = same_in_both(
        lambda lib: lib.nn.functional.interpolate(lib.tensor(pixels), scale_factor=1.5, mode=mode))
    assert warned == []


# ---------------------------------------------------------------- affine_grid's size argument


@pytest.mark.parametrize("size", [
    pytest.param(lambda lib: lib.tensor([1, 1, 2, 2]), id="tensor"),
    pytest.param(lambda lib: lib.tensor([1, 1, 2, 2], dtype=lib.int32), id="int32-tensor"),
    pytest.param(lambda lib: np.array([1, 1, 2, 2]), id="ndarray"),
    pytest.param(lambda lib: range(1, 5), id="range"),
    pytest.param(lambda lib: [1, 1, 2, 2.0], id="list-ending-in-a-float"),
    pytest.param(lambda lib: (1, lib.tensor(1), 2, 2), id="tuple-with-a-tensor"),
    pytest.param(lambda lib: lib.Size([1, 1, 2, 2]), id="Size"),
])
def test_affine_grid_takes_its_size_as_a_tuple_or_list_only(size):
    same_in_both(lambda lib: lib.nn.functional.affine_grid(lib.ones(1, 2, 3), size(lib), align_corners=False))


# ---------------------------------------------------------------- uint8 images resized to a single pixel


@pytest.mark.parametrize("shape, layout", [
    ((1, 3, 5, 5), "contiguous"), ((2, 3, 5, 1), "contiguous"), ((1, 3, 1, 5), "contiguous"),
    ((1, 3, 1, 5), "transposed"), ((1, 3, 5, 5), "transposed"), ((1, 3, 5, 5), "channels_last"),
    ((1, 3, 5, 1), "sliced"), ((0, 3, 5, 5), "contiguous"), ((1, 4, 5, 5), "contiguous"),
    ((1, 2, 5, 5), "contiguous"), ((1, 3, 1, 1), "contiguous"),
])
@pytest.mark.parametrize("mode, antialias", [("bilinear", False), ("bicubic", True), ("lanczos", True)])
def test_uint8_three_channel_image_resized_to_one_pixel(shape, layout, mode, antialias):
    """PyTorch's AVX2 uint8 kernel fails an internal assert for a 3-channel image laid out contiguously (not
    channels-last) that it resizes to 1x1 through a height pass; other layouts, channel counts and passes work."""
    pixels = np.random.default_rng(0).integers(0, 256, shape).astype(np.uint8)

    def make(lib):
        x = lib.tensor(pixels)
        if layout == "transposed":
            x = x.transpose(2, 3)
        elif layout == "channels_last":
            x = x.contiguous(memory_format=lib.channels_last)
        elif layout == "sliced":
            x = lib.tensor(np.repeat(pixels, 2, axis=1))[:, ::2]
        return lib.nn.functional.interpolate(x, size=(1, 1), mode=mode, antialias=antialias)

    same_in_both(make)


# ---------------------------------------------------------------- antialiasing to a width of 1


@pytest.mark.parametrize("channels", [1, 2, 5])
@pytest.mark.parametrize("layout", ["contiguous", "to_channels_last", "permuted_channels_last"])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
@pytest.mark.parametrize("width", [1, 9])
def test_antialiasing_to_width_one_follows_the_output_rows_stride(channels, layout, mode, width):
    """PyTorch's antialiased height pass into an output of width 1 whose rows have stride 1 (C order, or
    channels-last with a single channel) gives every row the weights of row 0; its gradient does not."""
    pixels = np.random.default_rng(0).standard_normal((2, channels, 11, width))

    def make(lib):
        if layout == "permuted_channels_last":
            x = lib.tensor(np.ascontiguousarray(pixels.transpose(0, 2, 3, 1))).permute(0, 3, 1, 2)
        else:
            x = lib.tensor(pixels)
            if layout == "to_channels_last":
                x = x.to(memory_format=lib.channels_last)
        x.requires_grad_()
        out = lib.nn.functional.interpolate(x, size=(3, 1), mode=mode, antialias=True)
        out.backward(lib.arange(out.numel(), dtype=lib.float64).reshape(out.shape))
        return out, out.stride(), x.grad

    same_in_both(make)


# ---------------------------------------------------------------- padding that crops a dim away


@pytest.mark.parametrize("shape, pad", [((1, 2, 4, 3, 4), (-3, -1, 1, 1, 1, 1)), ((2, 3, 4, 5), (-5, 0, 1, 1)),
                                        ((2, 3, 4, 5), (0, 0, -4, 0)), ((1, 1, 4, 2, 4), (-3, -1, 2, 2, 2, 3))])
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("channels_last", [False, True])
def test_padding_to_an_empty_output_gives_pytorchs_strides(shape, pad, mode, channels_last):
    values = np.random.default_rng(0).standard_normal(shape)

    def make(lib):
        x = lib.tensor(values)
        if channels_last:
            x = x.contiguous(memory_format=lib.channels_last if x.dim() == 4 else lib.channels_last_3d)
        out = lib.nn.functional.pad(x, pad, mode=mode)
        return out, out.stride()

    same_in_both(make)


# ---------------------------------------------------------------- half-precision resampling, bit for bit


@pytest.mark.parametrize("mode, shape, size", [
    ("trilinear", (3, 3, 2, 5, 4), (10, 11, 2)), ("trilinear", (2, 3, 3, 1, 5), (12, 6, 14)),
    ("trilinear", (3, 2, 3, 5, 1), (12, 12, 12)), ("bicubic", (2, 2, 7, 8), (13, 14)),
    ("bicubic", (2, 2, 3, 8), (14, 11)), ("linear", (2, 3, 7), (13,)),
])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("channels_last", [False, True])
def test_half_interpolation_rounds_as_pytorchs_float_kernels(mode, shape, size, align_corners, channels_last):
    """A half input's linear, trilinear and bicubic kernels compute in float, as the float32 ones, fused
    multiply-adds included: the same half results, bit for bit."""
    values = np.random.default_rng(0).standard_normal(shape).astype(np.float16)

    def make(lib):
        x = lib.tensor(values)
        if channels_last and x.dim() > 3:
            x = x.contiguous(memory_format=lib.channels_last if x.dim() == 4 else lib.channels_last_3d)
        out = lib.nn.functional.interpolate(x, size=size, mode=mode, align_corners=align_corners)
        return out.float().numpy().tobytes().hex()

    same_in_both(make)


# ---------------------------------------------------------------- which kernel runs, bit for bit


@pytest.mark.parametrize("mode, shape, size", [
    ("bilinear", (2, 3, 37, 41), (90, 80)), ("linear", (2, 3, 37), (90,)), ("trilinear", (1, 2, 5, 6, 7), (9, 11, 13)),
])
@pytest.mark.parametrize("align_corners", [False, True])
def test_double_interpolation_rounds_as_pytorchs_generic_kernel(mode, shape, size, align_corners):
    """PyTorch's generic linear kernels compile their sums of taps with fused multiply-adds in double too."""
    values = np.random.default_rng(0).standard_normal(shape)

    def make(lib):
        out = lib.nn.functional.interpolate(lib.tensor(values), size=size, mode=mode, align_corners=align_corners)
        return out.numpy().tobytes().hex()

    same_in_both(make)


@pytest.fixture
def one_thread():
    before = torch.get_num_threads(), torchless.get_num_threads()
    torch.set_num_threads(1)
    torchless.set_num_threads(1)
    yield
    torch.set_num_threads(before[0])
    torchless.set_num_threads(before[1])


@pytest.mark.parametrize("channels", [2, 3, 4])
def test_bilinear_on_one_thread_runs_the_channels_last_kernel_for_three_channels(one_thread, channels):
    """On one thread PyTorch resamples a 3-channel image (bilinear, 2-D) with its channels-last kernel whatever the
    output size: its rounding, and its name in a dtype error."""
    values = np.random.default_rng(0).standard_normal((2, channels, 37, 41)).astype(np.float32)

    def make(lib):
        out = lib.nn.functional.interpolate(lib.tensor(values), size=(90, 80), mode="bilinear")
        try:
            lib.nn.functional.interpolate(lib.tensor(values).int(), size=(90, 80), mode="bilinear")
        except NotImplementedError as error:
            refused = str(error)
        return out.numpy().tobytes().hex(), out.stride(), refused

    same_in_both(make)


@pytest.mark.parametrize("shape, size", [((2, 3, 7, 9), (20, 30)), ((2, 3, 37, 41), (90, 80)), ((1, 2, 9, 9), (4, 5))])
@pytest.mark.parametrize("align_corners", [False, True])
def test_double_bicubic_weights_fuse_as_pytorchs_avx2_build(shape, size, align_corners):
    """The cubic convolution weights are computed with the same fused multiply-adds in double as in float32."""
    values = np.random.default_rng(0).standard_normal(shape)

    def make(lib):
        x = lib.tensor(values, requires_grad=True)
        out = lib.nn.functional.interpolate(x, size=size, mode="bicubic", align_corners=align_corners)
        out.backward(lib.ones_like(out))
        return out.detach().numpy().tobytes().hex(), x.grad

    same_in_both(make)


@pytest.mark.parametrize("channels", [3, 5, 9, 16])
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("align_corners", [False, True])
def test_double_bilinear_channels_last_kernel_sums_corners_as_pytorch(channels, channels_last, align_corners):
    """PyTorch's channels-last bilinear kernel (any output of H + W <= 128) weighs the four corners jointly in
    double too, its vectors holding 4 channels."""
    values = np.random.default_rng(0).standard_normal((2, channels, 7, 9))

    def make(lib):
        x = lib.tensor(values)
        if channels_last:
            x = x.contiguous(memory_format=lib.channels_last)
        out = lib.nn.functional.interpolate(x, size=(20, 30), mode="bilinear", align_corners=align_corners)
        return out.numpy().tobytes().hex(), out.stride()

    same_in_both(make)
