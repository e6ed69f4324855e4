"""Tensor (and array) paths of the tonal adjustments torchvision added for AutoAugment: adjust_gamma,
adjust_sharpness, posterize, solarize, equalize, and their Random* transforms.

References are NumPy transcriptions of torchvision's tensor formulas (``_functional_tensor.py``), written
per pixel or per channel in the test; PyTorch's conv2d and Pillow's ImageOps are extra oracles where they apply.
"""
import numpy as np
import pytest

import torchless
from torchless.vision import transforms as T
from torchless.vision.transforms import functional as F


def uint8_image(*shape, seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def float_image(*shape, seed=0):
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


# ---------------------------------------------------------------------------------------------- gamma
@pytest.mark.parametrize("gamma, gain", [(0.5, 1.0), (2.2, 1.0), (1.0, 1.4), (0.8, 0.7)])
def test_adjust_gamma_on_uint8_goes_through_float32_and_back(gamma, gain):
    x = uint8_image(3, 9, 11)
    unit = x.astype(np.float32) / np.float32(255)
    corrected = np.clip(np.float32(gain) * unit ** np.float32(gamma), 0, 1)
    expected = (corrected * np.float32(255.999)).astype(np.uint8)  # convert_image_dtype's float -> uint8
    out = F.adjust_gamma(torchless.tensor(x), gamma, gain)
    assert out.dtype == torchless.uint8
    np.testing.assert_array_equal(out.numpy(), expected)


def test_adjust_gamma_on_float_images_and_arrays():
    x = float_image(2, 3, 5, 4)
    np.testing.assert_allclose(F.adjust_gamma(torchless.tensor(x), 2.0, 0.5).numpy(), np.clip(0.5 * x ** 2, 0, 1),
                               rtol=1e-6)
    hwc = uint8_image(6, 5, 3, seed=2)  # an array image keeps its layout
    out = F.adjust_gamma(hwc, 0.5)
    assert out.shape == hwc.shape and out.dtype == np.uint8
    expected = (np.sqrt(hwc.astype(np.float32) / np.float32(255)) * np.float32(255.999)).astype(np.uint8)
    assert np.abs(out.astype(int) - expected).max() <= 1  # powf(x, 0.5) and sqrtf may differ in the last bit


def test_adjust_gamma_errors():
    with pytest.raises(ValueError, match="Gamma should be a non-negative real number"):
        F.adjust_gamma(torchless.rand(3, 2, 2), -0.5)
    with pytest.raises(TypeError, match=r"Input image tensor permitted channel values are \[1, 3\], but found 2"):
        F.adjust_gamma(torchless.rand(2, 2, 2), 1.0)


# ------------------------------------------------------------------------------------------ sharpness
def smoothed_reference(chw):
    """torchvision's degenerate image: interior pixels averaged with weights 1 (neighbours) and 5 (centre) / 13,
    rounded for integers, the border left alone."""
    out = chw.astype(np.float64).copy()
    _, h, w = chw.shape
    for r in range(1, h - 1):
        for c in range(1, w - 1):
            window = chw[:, r - 1:r + 2, c - 1:c + 2].astype(np.float64)
            out[:, r, c] = (window.sum(axis=(1, 2)) + 4 * window[:, 1, 1]) / 13
    return np.round(out) if chw.dtype == np.uint8 else out


@pytest.mark.parametrize("factor", [0.0, 0.5, 1.0, 2.0])
def test_adjust_sharpness_uint8_blends_with_the_smoothed_interior(factor):
    x = uint8_image(3, 8, 9, seed=3)
    blurred = smoothed_reference(x)
    expected = np.clip(factor * x + (1 - factor) * blurred, 0, 255).astype(np.uint8)  # exact for these factors
    np.testing.assert_array_equal(F.adjust_sharpness(torchless.tensor(x), factor).numpy(), expected)


def test_adjust_sharpness_float_and_batched():
    x = float_image(2, 1, 7, 6, seed=4)
    expected = np.stack([np.clip(1.8 * img - 0.8 * smoothed_reference(img), 0, 1) for img in x])
    np.testing.assert_allclose(F.adjust_sharpness(torchless.tensor(x), 1.8).numpy(), expected, atol=2e-6)


def test_adjust_sharpness_matches_torch_conv2d_for_any_factor():
    torch = pytest.importorskip("torch")
    x = uint8_image(3, 12, 10, seed=5)
    kernel = torch.ones((3, 3))
    kernel[1, 1] = 5.0
    kernel = (kernel / kernel.sum()).expand(3, 1, 3, 3)
    smoothed = torch.tensor(x).clone()
    smoothed[:, 1:-1, 1:-1] = torch.round(torch.nn.functional.conv2d(torch.tensor(x)[None].float(), kernel,
                                                                     groups=3)[0]).to(torch.uint8)
    for factor in (0.3, 1.7, 2.9):
        expected = (factor * torch.tensor(x) + (1.0 - factor) * smoothed).clamp(0, 255).to(torch.uint8)
        np.testing.assert_array_equal(F.adjust_sharpness(torchless.tensor(x), factor).numpy(), expected.numpy())


def test_adjust_sharpness_leaves_tiny_images_and_checks_its_factor():
    x = torchless.tensor(uint8_image(3, 2, 5))
    assert F.adjust_sharpness(x, 3.0) is x
    with pytest.raises(ValueError, match=r"sharpness_factor \(-1\) is not non-negative."):
        F.adjust_sharpness(x, -1)


# --------------------------------------------------------------------------------------------- posterize
@pytest.mark.parametrize("bits", range(9))
def test_posterize_keeps_the_high_bits(bits):
    x = uint8_image(2, 3, 4, 5, seed=bits)
    kept = 256 - 2 ** (8 - bits)  # e.g. 3 bits: 0b11100000
    np.testing.assert_array_equal(F.posterize(torchless.tensor(x), bits).numpy(), x & kept)
    hw = x[0, 0]
    np.testing.assert_array_equal(F.posterize(hw, bits), hw & kept)  # a 2-D array image


def test_posterize_errors():
    with pytest.raises(ValueError, match="The number if bits should be between 0 and 8. Got -1"):
        F.posterize(torchless.tensor(uint8_image(1, 2, 2)), -1)
    with pytest.raises(TypeError, match="Only torch.uint8 image tensors are supported, but found torchless.float32"):
        F.posterize(torchless.rand(3, 2, 2), 2)
    with pytest.raises(TypeError, match="Input image tensor should have at least 3 dimensions, but found 2"):
        F.posterize(torchless.tensor(uint8_image(2, 2)), 2)


# ---------------------------------------------------------------------------------------------- solarize
def test_solarize_inverts_at_and_above_the_threshold():
    x = uint8_image(3, 6, 7, seed=6)
    for threshold in (0, 128, 200.5, 255):
        expected = np.where(x >= threshold, 255 - x, x)
        np.testing.assert_array_equal(F.solarize(torchless.tensor(x), threshold).numpy(), expected)
    y = float_image(1, 4, 4)
    np.testing.assert_allclose(F.solarize(torchless.tensor(y), 0.5).numpy(), np.where(y >= 0.5, 1 - y, y))


def test_solarize_threshold_beyond_the_range_raises():
    with pytest.raises(TypeError, match="Threshold should be less than bound of img."):
        F.solarize(torchless.tensor(uint8_image(3, 2, 2)), 256)
    with pytest.raises(TypeError, match="Threshold should be less than bound of img."):
        F.solarize(torchless.rand(3, 2, 2), 1.5)


# ---------------------------------------------------------------------------------------------- equalize
def equalized_reference(channel):
    """torchvision's per-channel lookup table: step = (pixels - pixels at the top level) // 255, then
    lut[v] = (pixels below v + step // 2) // step, clamped to 255; a step of 0 leaves the channel as it is."""
    hist = np.bincount(channel.ravel(), minlength=256)
    top = np.nonzero(hist)[0].max()
    step = (channel.size - hist[top]) // 255
    if step == 0:
        return channel
    lut = [min((hist[:v].sum() + step // 2) // step, 255) for v in range(256)]
    return np.array(lut, np.uint8)[channel]


@pytest.mark.parametrize("seed", [0, 1])
def test_equalize_each_channel_of_each_image(seed):
    x = uint8_image(2, 3, 10, 12, seed=seed) // (seed + 2) + 30  # a narrow histogram, spread by equalization
    expected = np.stack([[equalized_reference(ch) for ch in img] for img in x])
    np.testing.assert_array_equal(F.equalize(torchless.tensor(x)).numpy(), expected)


def test_equalize_agrees_with_pillow_imageops():
    Image = pytest.importorskip("PIL.Image")
    from PIL import ImageOps
    hwc = uint8_image(13, 17, 3, seed=9) // 4 + 100
    expected = np.asarray(ImageOps.equalize(Image.fromarray(hwc)))
    np.testing.assert_array_equal(F.equalize(hwc), expected)  # the array image, through the tensor formula
    chw = torchless.tensor(hwc.transpose(2, 0, 1).copy())
    np.testing.assert_array_equal(F.equalize(chw).numpy(), expected.transpose(2, 0, 1))


def test_equalize_leaves_flat_channels_and_checks_its_input():
    flat = np.full((1, 4, 4), 77, np.uint8)
    np.testing.assert_array_equal(F.equalize(torchless.tensor(flat)).numpy(), flat)
    with pytest.raises(TypeError, match="Input image tensor should have 3 or 4 dimensions, but found 5"):
        F.equalize(torchless.tensor(uint8_image(1, 1, 1, 2, 2)))
    with pytest.raises(TypeError, match="Only torch.uint8 image tensors are supported, but found torchless.float32"):
        F.equalize(torchless.rand(3, 2, 2))
    with pytest.raises(TypeError, match=r"Input image tensor permitted channel values are \[1, 3\], but found 2"):
        F.equalize(torchless.tensor(uint8_image(2, 3, 3)))


# --------------------------------------------------------------------------------------- random wrappers
@pytest.mark.parametrize("transform, apply", [
    (T.RandomPosterize(3, p=0.3), lambda x: x & 0b11100000),
    (T.RandomSolarize(128, p=0.3), lambda x: np.where(x >= 128, 255 - x, x)),
    (T.RandomAdjustSharpness(0.0, p=0.3), smoothed_reference),
    (T.RandomEqualize(p=0.3), lambda x: np.stack([equalized_reference(ch) for ch in x])),
])
def test_random_tone_transforms_apply_with_probability_p(transform, apply):
    x = uint8_image(3, 20, 20, seed=12) // 2 + 40  # over 255 pixels a channel, or equalize has nothing to do
    expected = apply(x).astype(np.uint8)
    assert not np.array_equal(expected, x)
    torchless.manual_seed(4)
    outcomes = []
    for _ in range(2000):
        out = transform(torchless.tensor(x)).numpy()
        assert np.array_equal(out, expected) or np.array_equal(out, x)
        outcomes.append(np.array_equal(out, expected))
    assert abs(np.mean(outcomes) - 0.3) < 0.04
    torchless.manual_seed(4)
    replay = [np.array_equal(transform(torchless.tensor(x)).numpy(), expected) for _ in range(2000)]
    assert replay == outcomes


@pytest.mark.parametrize("transform, text", [
    (T.RandomPosterize(4), "RandomPosterize(bits=4,p=0.5)"),
    (T.RandomSolarize(0.5, p=0.2), "RandomSolarize(threshold=0.5,p=0.2)"),
    (T.RandomAdjustSharpness(2, p=0.1), "RandomAdjustSharpness(sharpness_factor=2,p=0.1)"),
    (T.RandomEqualize(), "RandomEqualize(p=0.5)"),
])
def test_reprs(transform, text):
    assert repr(transform) == text
