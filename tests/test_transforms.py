"""Tests of torchless.vision.transforms against hand-computed values, with PyTorch's interpolate and
Pillow as extra oracles where they are installed (torchvision itself cannot be installed here)."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import torchless
from torchless.vision import transforms
from torchless.vision.transforms import functional as F
from helpers import examples

FAST = examples(30)


def grid(*shape, dtype=np.float32):
    return np.arange(np.prod(shape), dtype=dtype).reshape(shape)


# -------------------------------------------------------------------------------------- ToTensor
def test_to_tensor_scales_uint8_grey_image():
    image = np.array([[0, 51], [255, 128]], np.uint8)
    out = transforms.ToTensor()(image)
    assert isinstance(out, torchless.Tensor) and out.dtype == torchless.float32 and tuple(out.shape) == (1, 2, 2)
    expected = np.array([[[0.0, 0.2], [1.0, 128 / 255]]], np.float32)
    np.testing.assert_array_equal(out.numpy(), expected)


def test_to_tensor_moves_channels_first():
    image = grid(2, 3, 4, dtype=np.uint8)
    out = F.to_tensor(image).numpy()
    assert out.shape == (4, 2, 3)
    assert out[3, 1, 2] == np.float32(image[1, 2, 3]) / np.float32(255)


def test_to_tensor_leaves_other_dtypes_unscaled():
    image = grid(2, 2, dtype=np.float64) * 7
    out = F.to_tensor(image)
    assert out.dtype == torchless.float64 and out.numpy().tolist() == [[[0.0, 7.0], [14.0, 21.0]]]
    assert F.to_tensor(grid(2, 2, dtype=np.int32)).dtype == torchless.int32


def test_to_tensor_uses_default_dtype():
    torchless.set_default_dtype(torchless.float64)
    try:
        out = F.to_tensor(np.full((1, 1), 255, np.uint8))
    finally:
        torchless.set_default_dtype(torchless.float32)
    assert out.dtype == torchless.float64 and out.item() == 1.0


def test_to_tensor_errors():
    with pytest.raises(TypeError, match=r"pic should be PIL Image or ndarray. Got <class 'list'>"):
        F.to_tensor([[1]])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions."):
        F.to_tensor(np.zeros((1, 1, 1, 1), np.uint8))


@pytest.mark.parametrize("mode, dtype", [("L", np.uint8), ("RGB", np.uint8), ("F", np.float32), ("I", np.int32)])
def test_to_tensor_of_pil_images(mode, dtype):
    Image = pytest.importorskip("PIL.Image")
    channels = 3 if mode == "RGB" else 1
    array = (grid(3, 4, channels) * 20).astype(dtype)
    image = Image.fromarray(array[..., 0] if channels == 1 else array, mode=mode)
    out = F.to_tensor(image).numpy()
    chw = array.transpose(2, 0, 1)
    expected = chw.astype(np.float32) / np.float32(255) if dtype == np.uint8 else chw
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)


def test_to_tensor_of_binary_pil_image():
    Image = pytest.importorskip("PIL.Image")
    image = Image.fromarray(np.array([[0, 255]], np.uint8)).convert("1")
    assert F.to_tensor(image).numpy().tolist() == [[[0.0, 1.0]]]


# ------------------------------------------------------------------------------------- Normalize
def test_normalize_per_channel_by_hand():
    x = torchless.tensor(grid(2, 2, 2))
    out = transforms.Normalize((1.0, 2.0), (2.0, 4.0))(x)
    expected = np.array([[[-0.5, 0.0], [0.5, 1.0]], [[0.5, 0.75], [1.0, 1.25]]], np.float32)
    np.testing.assert_array_equal(out.numpy(), expected)
    assert x.numpy()[0, 0, 0] == 0.0  # not in place by default


def test_normalize_inplace_returns_the_input():
    x = torchless.ones(1, 2, 2)
    out = transforms.Normalize([0.5], [0.25], inplace=True)(x)
    assert out is x and x.numpy().tolist() == [[[2.0, 2.0], [2.0, 2.0]]]


def test_normalize_matches_torch_float32_arithmetic():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).random((3, 5, 4), dtype=np.float32)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    expected = (torch.from_numpy(x) - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)
    out = F.normalize(torchless.tensor(x), mean, std)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_normalize_keeps_float64_and_batches():
    x = torchless.tensor(grid(2, 1, 2, 2, dtype=np.float64))
    out = F.normalize(x, [1.0], [3.0])
    assert out.dtype == torchless.float64
    np.testing.assert_allclose(out.numpy(), (grid(2, 1, 2, 2, dtype=np.float64) - 1) / 3, rtol=0, atol=1e-15)


def test_normalize_errors():
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to torchless.float32, leading to "
                                         "division by zero."):
        F.normalize(torchless.ones(1, 2, 2), [0.0], [0.0])
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got torchless.int64."):
        F.normalize(torchless.ones(1, 2, 2, dtype=torchless.int64), [0.0], [1.0])
    with pytest.raises(ValueError, match=r"Expected tensor to be a tensor image of size \(..., C, H, W\). Got "
                                         r"tensor.size\(\) = torchless.Size\(\[2, 2\]\)"):
        F.normalize(torchless.ones(2, 2), [0.0], [1.0])
    with pytest.raises(TypeError, match="img should be Tensor Image. Got <class 'numpy.ndarray'>"):
        F.normalize(np.ones((1, 2, 2)), [0.0], [1.0])
    with pytest.raises(TypeError, match="Tensor is not a torch image."):
        F.normalize(torchless.ones(2), [0.0], [1.0])


def test_normalize_repr():
    assert repr(transforms.Normalize((0.1307,), (0.3081,))) == "Normalize(mean=(0.1307,), std=(0.3081,))"


# ------------------------------------------------------------------------- Compose, batched path
def test_compose_applies_in_order_and_reprs_like_torchvision():
    compose = transforms.Compose([transforms.Lambda(lambda v: v + 1), transforms.Lambda(lambda v: v * 10)])
    assert compose(1) == 20
    mnist = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    assert repr(mnist) == "Compose(\n    ToTensor()\n    Normalize(mean=(0.1307,), std=(0.3081,))\n)"


@FAST
@given(n=st.integers(1, 5), h=st.integers(1, 6), w=st.integers(1, 6), channels=st.sampled_from([None, 1, 3]),
       seed=st.integers(0, 2 ** 16))
def test_batched_transform_equals_stacked_per_item_results(n, h, w, channels, seed):
    shape = (n, h, w) if channels is None else (n, h, w, channels)
    images = np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)
    c = 1 if channels is None else channels
    pipeline = transforms.Compose([transforms.ToTensor(),
                                   transforms.Normalize([0.1 * (i + 1) for i in range(c)], [0.3] * c)])
    batched = pipeline._apply_to_batch(images)
    per_item = np.stack([pipeline(image).numpy() for image in images])
    assert batched.dtype == torchless.float32
    np.testing.assert_array_equal(batched.numpy(), per_item)


@pytest.mark.parametrize("pipeline", [
    transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda t: t)]),
    transforms.Compose([transforms.Normalize((0.5,), (0.5,))]),
    transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.0,))]),
    transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (1.0, 1.0, 1.0))]),
])
def test_batched_transform_declines_what_it_cannot_reproduce(pipeline):
    assert pipeline._apply_to_batch(np.zeros((2, 3, 3), np.uint8)) is NotImplemented


# ---------------------------------------------------------------------------------------- Resize
def test_resize_halving_without_antialias_averages_pixel_pairs():
    image = torchless.tensor(grid(1, 4, 4))
    out = F.resize(image, [2, 2], antialias=False).numpy()
    expected = grid(4, 4).reshape(2, 2, 2, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(out[0], expected, rtol=0, atol=1e-6)


def test_resize_halving_with_antialias_uses_the_stretched_triangle():
    # Output pixel 0 of a 4 -> 2 resize is centred at 1.0 with a triangle of half-width 2: input pixels
    # 0, 1, 2 (centres 0.5, 1.5, 2.5) get weights 0.75, 0.75, 0.25, normalised by 1.75.
    row = np.array([[[[1.0, 2.0, 4.0, 8.0]]]], np.float32)
    out = F.resize(torchless.tensor(row), [1, 2], antialias=True).numpy()
    first = (0.75 * 1 + 0.75 * 2 + 0.25 * 4) / 1.75
    last = (0.25 * 2 + 0.75 * 4 + 0.75 * 8) / 1.75
    np.testing.assert_allclose(out[0, 0, 0], [first, last], rtol=1e-6)


def test_resize_nearest_doubling_repeats_pixels():
    image = torchless.tensor(grid(1, 2, 2, dtype=np.int64))
    out = F.resize(image, [4, 4], interpolation=transforms.InterpolationMode.NEAREST)
    assert out.dtype == torchless.int64
    np.testing.assert_array_equal(out.numpy()[0], grid(2, 2, dtype=np.int64).repeat(2, 0).repeat(2, 1))


@FAST
@given(h=st.integers(1, 12), w=st.integers(1, 12), oh=st.integers(1, 12), ow=st.integers(1, 12),
       antialias=st.booleans(), double=st.booleans(),
       mode=st.sampled_from(["bilinear", "nearest", "nearest-exact"]))
def test_resize_matches_torch_interpolate(h, w, oh, ow, antialias, double, mode):
    torch = pytest.importorskip("torch")
    # PyTorch 2.13's antialiased CPU kernel copies the first output row everywhere when the output is one
    # pixel wide and the height changes (e.g. a 3x4 -> 5x1 resize gives 5 equal rows): not reproduced.
    assume(not (mode == "bilinear" and antialias and ow == 1 and oh != h))
    dtype = np.float64 if double else np.float32
    x = np.random.default_rng(h * 100 + w).random((2, 3, h, w)).astype(dtype)
    options = dict(align_corners=False, antialias=antialias) if mode == "bilinear" else {}
    expected = torch.nn.functional.interpolate(torch.from_numpy(x), size=(oh, ow), mode=mode, **options).numpy()
    out = F.resize(torchless.tensor(x), [oh, ow], transforms.InterpolationMode(mode), antialias=antialias).numpy()
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-6 if dtype == np.float32 else 1e-12)


def test_resize_to_one_pixel_wide_is_torchs():
    torch = pytest.importorskip("torch")
    column = np.array([[[1.0], [2.0]]], np.float32)  # 2x1 -> 3x1
    for antialias in (True, False):
        # PyTorch's antialiased kernel repeats its first output row when the output is one pixel wide
        expected = torch.nn.functional.interpolate(torch.from_numpy(column)[None], size=(3, 1), mode="bilinear",
                                                   align_corners=False, antialias=antialias)[0].numpy()
        out = F.resize(torchless.tensor(column), [3, 1], antialias=antialias).numpy()
        np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_resize_uint8_tensor_rounds_like_torchvision():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).integers(0, 256, (1, 9, 7), dtype=np.uint8)
    resized = torch.nn.functional.interpolate(torch.from_numpy(x)[None].float(), size=(4, 5), mode="bilinear",
                                              align_corners=False, antialias=True)
    expected = resized.round().to(torch.uint8)[0].numpy()
    out = transforms.Resize((4, 5))(torchless.tensor(x))
    assert out.dtype == torchless.uint8
    assert np.abs(out.numpy().astype(int) - expected.astype(int)).max() <= 1  # float32 ties may round apart
    assert np.mean(out.numpy() == expected) > 0.9


def test_resize_int_matches_the_smaller_edge():
    out = transforms.Resize(14)(torchless.zeros(1, 28, 56))
    assert tuple(out.shape) == (1, 14, 28)
    out = transforms.Resize(10, max_size=12)(torchless.zeros(1, 20, 40))
    assert tuple(out.shape) == (1, 6, 12)  # long edge capped at 12, short edge int(12 * 10 / 20)


def test_resize_array_image_keeps_layout_and_dtype():
    image = np.random.default_rng(3).integers(0, 256, (10, 8, 3), dtype=np.uint8)
    out = transforms.Resize((5, 4))(image)
    assert isinstance(out, np.ndarray) and out.shape == (5, 4, 3) and out.dtype == np.uint8
    via_tensor = F.resize(torchless.tensor(image.transpose(2, 0, 1).copy()), [5, 4]).numpy()
    np.testing.assert_array_equal(out, via_tensor.transpose(1, 2, 0))


def test_resize_array_image_is_close_to_pillow():
    Image = pytest.importorskip("PIL.Image")
    image = np.random.default_rng(4).integers(0, 256, (17, 23), dtype=np.uint8)
    expected = np.asarray(Image.fromarray(image).resize((9, 8), Image.BILINEAR))
    out = F.resize(image, [8, 9])
    assert np.abs(out.astype(int) - expected.astype(int)).max() <= 1


def test_resize_same_size_returns_input_and_repr():
    x = torchless.zeros(1, 5, 5)
    assert F.resize(x, [5, 5]) is x
    assert repr(transforms.Resize(28)) == "Resize(size=28, interpolation=bilinear, max_size=None, antialias=True)"
    assert transforms.Resize(3, interpolation=0).interpolation is transforms.InterpolationMode.NEAREST


def test_resize_errors():
    with pytest.raises(TypeError, match="Size should be int or sequence. Got <class 'float'>"):
        transforms.Resize(2.5)
    with pytest.raises(ValueError, match="If size is a sequence, it should have 1 or 2 values"):
        transforms.Resize((1, 2, 3))
    with pytest.raises(ValueError, match="max_size should only be passed if size specifies the length of the smaller"):
        F.resize(torchless.zeros(1, 4, 4), [2, 2], max_size=3)
    with pytest.raises(ValueError, match=r"max_size = 2 must be strictly greater than the requested size for the "
                                         r"smaller edge size = \[2\]"):
        F.resize(torchless.zeros(1, 4, 4), 2, max_size=2)
    with pytest.raises(TypeError, match="Argument interpolation should be a InterpolationMode or a corresponding "
                                        "Pillow integer constant"):
        F.resize(torchless.zeros(1, 4, 4), 2, interpolation="bilinear")


# ------------------------------------------------------------------------------------- Grayscale
def test_grayscale_tensor_uses_torchvision_weights():
    rgb = np.array([0.2, 0.5, 0.9], np.float32).reshape(3, 1, 1) * np.ones((3, 2, 2), np.float32)
    out = transforms.Grayscale()(torchless.tensor(rgb)).numpy()
    expected = np.float32(0.2989) * np.float32(0.2) + np.float32(0.587) * np.float32(0.5) + np.float32(0.114) * np.float32(0.9)
    assert out.shape == (1, 2, 2) and out.dtype == np.float32
    np.testing.assert_array_equal(out, np.full((1, 2, 2), expected, np.float32))


def test_grayscale_uint8_tensor_truncates_and_repeats_channels():
    rgb = np.zeros((2, 3, 1, 1), np.uint8)
    rgb[:, 0] = 255  # pure red: 0.2989 * 255 = 76.2
    out = F.rgb_to_grayscale(torchless.tensor(rgb), num_output_channels=3)
    assert out.dtype == torchless.uint8 and out.numpy().shape == (2, 3, 1, 1)
    assert out.numpy().ravel().tolist() == [76] * 6


def test_grayscale_tensor_single_channel_is_copied():
    x = torchless.ones(1, 2, 2)
    out = F.rgb_to_grayscale(x)
    assert out is not x and out.numpy().tolist() == x.numpy().tolist()


def test_grayscale_array_rounds_like_pillow():
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 200, 30]]], np.uint8)
    expected = [(255 * 19595 + 32768) >> 16, (255 * 38470 + 32768) >> 16, (255 * 7471 + 32768) >> 16,
                (10 * 19595 + 200 * 38470 + 30 * 7471 + 32768) >> 16]
    out = transforms.Grayscale()(rgb)
    assert out.dtype == np.uint8 and out.tolist() == [expected]
    assert transforms.Grayscale(3)(rgb).shape == (1, 4, 3)


def test_grayscale_array_matches_pillow():
    Image = pytest.importorskip("PIL.Image")
    rgb = np.random.default_rng(5).integers(0, 256, (13, 11, 3), dtype=np.uint8)
    np.testing.assert_array_equal(F.rgb_to_grayscale(rgb), np.asarray(Image.fromarray(rgb).convert("L")))


def test_grayscale_errors_and_repr():
    with pytest.raises(TypeError, match="Input image tensor should have at least 3 dimensions, but found 2"):
        F.rgb_to_grayscale(torchless.ones(2, 2))
    with pytest.raises(TypeError, match=r"Input image tensor permitted channel values are \[1, 3\], but found 2"):
        F.rgb_to_grayscale(torchless.ones(2, 2, 2))
    with pytest.raises(ValueError, match="num_output_channels should be either 1 or 3"):
        F.rgb_to_grayscale(torchless.ones(3, 2, 2), num_output_channels=2)
    assert repr(transforms.Grayscale(3)) == "Grayscale(num_output_channels=3)"


# ----------------------------------------------------------------------------- CenterCrop, Pad
def test_center_crop_by_hand():
    image = torchless.tensor(grid(1, 5, 6))
    out = transforms.CenterCrop((2, 3))(image).numpy()
    # top = round(1.5) = 2 (round half to even), left = round(1.5) = 2
    np.testing.assert_array_equal(out[0], grid(5, 6)[2:4, 2:5])
    assert repr(transforms.CenterCrop(10)) == "CenterCrop(size=(10, 10))"


def test_center_crop_larger_than_image_pads_with_zeros():
    out = F.center_crop(torchless.ones(1, 2, 2), [4, 3]).numpy()[0]
    np.testing.assert_array_equal(out, [[0, 0, 0], [1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_center_crop_array_image():
    image = grid(6, 6, dtype=np.uint8)
    out = F.center_crop(image, 2)
    assert out.dtype == np.uint8 and out.tolist() == [[14, 15], [20, 21]]


@pytest.mark.parametrize("mode, expected_row", [
    ("constant", [9, 9, 1, 2, 3, 9]),
    ("edge", [1, 1, 1, 2, 3, 3]),
    ("reflect", [3, 2, 1, 2, 3, 2]),
    ("symmetric", [2, 1, 1, 2, 3, 3]),
])
def test_pad_modes_by_hand(mode, expected_row):
    image = torchless.tensor(np.array([[[1.0, 2.0, 3.0]]], np.float32))
    out = transforms.Pad((2, 0, 1, 0), fill=9, padding_mode=mode)(image).numpy()
    assert out.tolist() == [[expected_row]]


def test_pad_int_and_pairs_and_negative():
    image = np.ones((2, 3), np.uint8)
    assert F.pad(image, 1).shape == (4, 5)
    assert F.pad(image, [1, 2]).shape == (6, 5)
    assert F.pad(torchless.ones(1, 4, 4), [-1, 0, 0, -1]).shape == (1, 3, 3)


def test_pad_array_with_per_channel_fill():
    out = F.pad(np.zeros((1, 1, 3), np.uint8), 1, fill=(1, 2, 3))
    assert out.shape == (3, 3, 3) and out[0, 0].tolist() == [1, 2, 3] and out[1, 1].tolist() == [0, 0, 0]


def test_pad_errors_and_repr():
    with pytest.raises(TypeError, match="Got inappropriate padding arg"):
        transforms.Pad("1")
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect or symmetric"):
        transforms.Pad(1, padding_mode="wrap")
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, not a 3 element tuple"):
        transforms.Pad((1, 2, 3))
    with pytest.raises(TypeError, match="Got inappropriate fill arg"):
        F.pad(torchless.ones(1, 2, 2), 1, fill=(1, 2))
    assert repr(transforms.Pad(2)) == "Pad(padding=2, fill=0, padding_mode=constant)"


# ---------------------------------------------------------------------------------------- Lambda
def test_lambda():
    assert transforms.Lambda(lambda v: v * 2)(4) == 8
    assert repr(transforms.Lambda(abs)) == "Lambda()"
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        transforms.Lambda(3)
