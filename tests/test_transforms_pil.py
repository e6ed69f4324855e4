"""PIL images through torchless.vision.transforms: PIL in, PIL out, with the pixels torchvision gives.

torchvision transforms PIL images with Pillow itself, so each expected image here is made with Pillow
directly (``Image.resize``, ``ImageEnhance``, ``Image.transform`` with a matrix worked out in the test) or
with NumPy from the documented formula, never by the code under test. Inputs are real-looking images:
gradients, noise, the hand-drawn digits in fixtures/digits, in modes RGB, L, RGBA, LA and P, at odd sizes.
"""
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import torchless
from torchless.vision import transforms as T
from torchless.vision.transforms import InterpolationMode
from torchless.vision.transforms import functional as F

pytest.importorskip("PIL")
from PIL import Image, ImageEnhance  # noqa: E402

DIGITS = Path(__file__).parent / "fixtures" / "digits"


# -------------------------------------------------------------------------------------------- images
def gradient(width, height, mode="RGB"):
    """A smooth colour ramp with some noise: what a photo looks like to a resampling filter."""
    y, x = np.mgrid[0:height, 0:width]
    noise = np.random.default_rng(width * height).integers(0, 24, (height, width, 3))
    rgb = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), (x + y) * 127 // (width + height)],
                   axis=-1)
    image = Image.fromarray(np.clip(rgb + noise, 0, 255).astype(np.uint8), "RGB")
    return image.convert(mode)


def noise(width, height, channels=3, seed=0):
    array = np.random.default_rng(seed).integers(0, 256, (height, width, channels), dtype=np.uint8)
    return Image.fromarray(array[..., 0] if channels == 1 else array)


def digit(name="0_pen.png"):
    with Image.open(DIGITS / name) as image:
        image.load()
        return image


def palette_image(width, height):
    indices = (np.arange(width * height) % 7).reshape(height, width).astype(np.uint8)
    image = Image.fromarray(indices, "P")
    image.putpalette([v for i in range(7) for v in (i * 36, 255 - i * 30, (i * 90) % 256)])
    return image


def assert_same_image(out, expected):
    assert isinstance(out, Image.Image), type(out)
    assert (out.mode, out.size) == (expected.mode, expected.size)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))
    if expected.mode == "P":
        assert out.getpalette() == expected.getpalette()


SAMPLES = [gradient(50, 37), gradient(23, 41, "L"), noise(31, 17, 3), digit("3_canvas.png"), digit("0_pen.png")]
SAMPLE_IDS = ["rgb-50x37", "l-23x41", "noise-31x17", "rgba-digit", "rgb-digit"]


# ------------------------------------------------------------------------------------------------ Resize
def short_edge_size(width, height, size):
    """torchvision's rule written out: the short edge becomes ``size``, the long one ``int(size * long / short)``."""
    if width <= height:
        return size, int(size * height / width)
    return int(size * width / height), size


@pytest.mark.parametrize("image", SAMPLES, ids=SAMPLE_IDS)
def test_resize_int_keeps_aspect_ratio_with_pillow_bilinear(image):
    out = T.Resize(32)(image)
    assert_same_image(out, image.resize(short_edge_size(*image.size, 32), Image.BILINEAR))


@pytest.mark.parametrize("mode, pil_filter", [(InterpolationMode.NEAREST, Image.NEAREST),
                                               (InterpolationMode.NEAREST_EXACT, Image.NEAREST),
                                               (InterpolationMode.BICUBIC, Image.BICUBIC),
                                               (InterpolationMode.BOX, Image.BOX),
                                               (InterpolationMode.HAMMING, Image.HAMMING),
                                               (InterpolationMode.LANCZOS, Image.LANCZOS)])
def test_resize_maps_every_interpolation_mode_to_pillows_filter(mode, pil_filter):
    image = gradient(50, 37)
    assert_same_image(F.resize(image, [20, 31], mode), image.resize((31, 20), pil_filter))
    assert_same_image(F.resize(image, [20, 31], pil_filter), image.resize((31, 20), pil_filter))  # Pillow's int codes


def test_resize_sequence_max_size_and_identity():
    image = gradient(60, 20)
    assert_same_image(F.resize(image, (9, 14)), image.resize((14, 9), Image.BILINEAR))
    # short edge 10 -> long edge 30, capped at 25: short edge int(25 * 10 / 30) = 8
    assert_same_image(F.resize(image, 10, max_size=25), image.resize((25, 8), Image.BILINEAR))
    assert F.resize(image, 20) is image  # already the requested size
    with pytest.raises(ValueError, match=r"max_size = 10 must be strictly greater than the requested size for the "
                                         r"smaller edge size = \[10\]"):
        F.resize(image, 10, max_size=10)


def test_resize_warns_that_pil_images_are_always_antialiased():
    image = gradient(20, 20)
    with pytest.warns(UserWarning, match="Anti-alias option is always applied for PIL Image input. Argument antialias "
                                         "is ignored."):
        out = F.resize(image, 10, antialias=False)
    assert_same_image(out, image.resize((10, 10), Image.BILINEAR))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.resize(image, 10)


# ------------------------------------------------------------------------------------- crops and flips
def zero_padded_box(image, left, top, right, bottom):
    """The box of ``image``'s pixels, zeros where it lies outside: built with NumPy, not Image.crop."""
    array = np.asarray(image)
    out = np.zeros((bottom - top, right - left) + array.shape[2:], array.dtype)
    src_t, src_l = max(top, 0), max(left, 0)
    src_b, src_r = min(bottom, array.shape[0]), min(right, array.shape[1])
    out[src_t - top:src_b - top, src_l - left:src_r - left] = array[src_t:src_b, src_l:src_r]
    return Image.fromarray(out, image.mode)


@pytest.mark.parametrize("image", SAMPLES[:3], ids=SAMPLE_IDS[:3])
def test_crop_inside_and_outside_the_image(image):
    assert_same_image(F.crop(image, 3, 5, 10, 12), zero_padded_box(image, 5, 3, 17, 13))
    assert_same_image(F.crop(image, -4, -2, 30, 60), zero_padded_box(image, -2, -4, 58, 26))


@pytest.mark.parametrize("size", [(20, 14), (17, 31), 9])
def test_center_crop_rounds_the_offsets_like_torchvision(size):
    image = gradient(31, 22)
    h, w = (size, size) if isinstance(size, int) else size
    top, left = int(round((22 - h) / 2.0)), int(round((31 - w) / 2.0))
    assert_same_image(T.CenterCrop(size)(image), zero_padded_box(image, left, top, left + w, top + h))


def test_center_crop_larger_than_the_image_pads_with_zeros():
    image = gradient(7, 5)
    # pad (left, top, right, bottom) = (2, 3, 3, 4) to 12 x 12, then the crop is the whole padded image
    assert_same_image(F.center_crop(image, 12), zero_padded_box(image, -2, -3, 10, 9))


def test_flips_of_an_rgba_digit():
    image = digit("3_canvas.png").resize((45, 33))
    array = np.asarray(image)
    assert_same_image(F.hflip(image), Image.fromarray(array[:, ::-1].copy(), "RGBA"))
    assert_same_image(F.vflip(image), Image.fromarray(array[::-1].copy(), "RGBA"))
    assert_same_image(T.RandomHorizontalFlip(p=1.0)(image), Image.fromarray(array[:, ::-1].copy(), "RGBA"))
    assert T.RandomVerticalFlip(p=0.0)(image) is image


def test_five_crop_and_ten_crop_of_a_pil_image():
    image = gradient(23, 17)
    boxes = [(0, 0, 10, 8), (13, 0, 23, 8), (0, 9, 10, 17), (13, 9, 23, 17)]
    top, left = int(round((17 - 8) / 2.0)), int(round((23 - 10) / 2.0))
    expected = [zero_padded_box(image, *b) for b in boxes] + [zero_padded_box(image, left, top, left + 10, top + 8)]
    crops = T.FiveCrop((8, 10))(image)
    assert isinstance(crops, tuple) and len(crops) == 5
    for out, exp in zip(crops, expected):
        assert_same_image(out, exp)
    ten = T.TenCrop((8, 10), vertical_flip=True)(image)
    flipped = Image.fromarray(np.asarray(image)[::-1].copy())
    top_f = int(round((17 - 8) / 2.0))
    expected_flipped = [zero_padded_box(flipped, *b) for b in boxes] + \
        [zero_padded_box(flipped, left, top_f, left + 10, top_f + 8)]
    for out, exp in zip(ten, expected + expected_flipped):
        assert_same_image(out, exp)
    with pytest.raises(ValueError, match=r"Requested crop size \(18, 4\) is bigger than input size \(17, 23\)"):
        F.five_crop(image, (18, 4))


# ---------------------------------------------------------------------------------------------------- Pad
@pytest.mark.parametrize("mode", ["edge", "reflect", "symmetric"])
@pytest.mark.parametrize("image", [gradient(9, 7), gradient(9, 7, "L"), gradient(9, 7, "RGBA")],
                         ids=["rgb", "l", "rgba"])
def test_pad_modes_follow_numpy_pad(mode, image):
    array = np.asarray(image)
    extra = [(0, 0)] * (array.ndim - 2)
    expected = np.pad(array, [(2, 4), (1, 3)] + extra, mode=mode)  # padding (left, top, right, bottom) = (1, 2, 3, 4)
    assert_same_image(F.pad(image, [1, 2, 3, 4], padding_mode=mode), Image.fromarray(expected, image.mode))


def test_pad_constant_fills_each_band():
    image = gradient(6, 5)
    array = np.asarray(image)
    expected = np.empty((5 + 2 * 3, 6 + 2 * 2, 3), np.uint8)
    expected[...] = (10, 200, 30)
    expected[3:8, 2:8] = array
    assert_same_image(T.Pad((2, 3), fill=(10, 200, 30))(image), Image.fromarray(expected))
    grey = gradient(6, 5, "L")
    assert_same_image(F.pad(grey, 1, fill=77), Image.fromarray(np.pad(np.asarray(grey), 1, constant_values=77)))


def test_pad_negative_amounts_crop():
    image = gradient(10, 8)
    array = np.asarray(image)
    assert_same_image(F.pad(image, [-2, 1, 3, -1]), Image.fromarray(np.pad(array[:7, 2:], [(1, 0), (0, 3), (0, 0)])))
    assert_same_image(F.pad(image, [-2, 1, 3, -1], padding_mode="edge"),
                      Image.fromarray(np.pad(array[:7, 2:], [(1, 0), (0, 3), (0, 0)], mode="edge")))


@pytest.mark.parametrize("padding_mode", ["constant", "reflect"])
def test_pad_keeps_the_palette_of_palette_images(padding_mode):
    image = palette_image(8, 6)
    out = F.pad(image, 2, fill=3, padding_mode=padding_mode)
    indices = np.asarray(image)
    expected = np.pad(indices, 2, constant_values=3) if padding_mode == "constant" else np.pad(indices, 2, "reflect")
    assert out.mode == "P" and out.getpalette() == image.getpalette()
    np.testing.assert_array_equal(np.asarray(out), expected)


def test_pad_fill_errors_name_the_bands():
    with pytest.raises(ValueError, match=r"The number of elements in 'fill' does not match the number of channels of "
                                         r"the image \(2 != 3\)"):
        F.pad(gradient(4, 4), 1, fill=(1, 2))
    with pytest.raises(TypeError, match="Got inappropriate fill arg"):
        F.pad(gradient(4, 4), 1, fill="red")


# --------------------------------------------------------------------------------- rotate, affine, perspective
def test_rotate_by_quarter_turns_matches_numpy_rot90():
    image = digit("0_pen.png").resize((40, 40))
    array = np.asarray(image)
    assert_same_image(F.rotate(image, 90), Image.fromarray(np.rot90(array).copy()))
    wide = gradient(30, 18)
    assert_same_image(F.rotate(wide, -90, expand=True), Image.fromarray(np.rot90(np.asarray(wide), -1).copy()))


def test_rotate_passes_angle_filter_centre_and_fill_to_pillow():
    image = gradient(50, 37)
    expected = image.rotate(33.5, Image.BILINEAR, True, (10, 12), fillcolor=(9, 9, 9))
    assert_same_image(F.rotate(image, 33.5, InterpolationMode.BILINEAR, expand=True, center=[10, 12], fill=9), expected)
    grey = gradient(50, 37, "L")
    assert_same_image(F.rotate(grey, -20, fill=[200]), grey.rotate(-20, Image.NEAREST, fillcolor=200))


def shifted(array, dx, dy):
    """``array`` moved right by dx and down by dy, zeros coming in."""
    out = np.zeros_like(array)
    h, w = array.shape[:2]
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = array[max(-dy, 0):h - max(dy, 0),
                                                                       max(-dx, 0):w - max(dx, 0)]
    return out


def test_affine_translation_shifts_the_pixels():
    image = gradient(21, 16)
    expected = Image.fromarray(shifted(np.asarray(image), 3, -2))
    assert_same_image(F.affine(image, angle=0, translate=[3, -2], scale=1.0, shear=0), expected)


def forward_affine(center, angle, translate, scale, shear):
    """torchvision's documented map M = T * C * R(angle) S(scale) SHy(shear_y) SHx(shear_x) * C^-1, as 3 x 3."""
    a, sx, sy = (math.radians(v) for v in (angle, *shear))
    rotation = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    shear_x = np.array([[1, -math.tan(sx), 0], [0, 1, 0], [0, 0, 1]])
    shear_y = np.array([[1, 0, 0], [-math.tan(sy), 1, 0], [0, 0, 1]])
    centre = np.array([[1, 0, center[0]], [0, 1, center[1]], [0, 0, 1]])
    move = np.array([[1, 0, translate[0]], [0, 1, translate[1]], [0, 0, 1]])
    return move @ centre @ rotation @ np.diag([scale, scale, 1]) @ shear_y @ shear_x @ np.linalg.inv(centre)


@pytest.mark.parametrize("interpolation, pil_filter", [(InterpolationMode.NEAREST, Image.NEAREST),
                                                       (InterpolationMode.BILINEAR, Image.BILINEAR),
                                                       (InterpolationMode.BICUBIC, Image.BICUBIC)])
def test_affine_uses_pillow_transform_with_the_inverse_matrix(interpolation, pil_filter):
    image = digit("3_canvas.png").resize((47, 39)).convert("RGB")
    inverse = np.linalg.inv(forward_affine((47 * 0.5, 39 * 0.5), 25.0, (4, -3), 0.8, (12.0, -7.0)))[:2].ravel()
    expected = image.transform(image.size, Image.AFFINE, tuple(inverse), pil_filter, fillcolor=(0, 50, 100))
    out = F.affine(image, 25.0, [4, -3], 0.8, [12.0, -7.0], interpolation=interpolation, fill=[0, 50, 100])
    assert_same_image(out, expected)


def perspective_coefficients(startpoints, endpoints):
    """The homography taking each end point back to its start point, solved in float64 and rounded to float32."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(endpoints, startpoints):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    return [float(c) for c in np.linalg.solve(np.array(rows, float), np.array(rhs, float)).astype(np.float32)]


def test_perspective_uses_pillow_transform_with_the_homography():
    image = gradient(50, 37)
    start = [[0, 0], [49, 0], [49, 36], [0, 36]]
    end = [[4, 3], [45, 1], [47, 33], [2, 35]]
    coeffs = perspective_coefficients(start, end)
    expected = image.transform(image.size, Image.PERSPECTIVE, coeffs, Image.BILINEAR, fillcolor=(1, 2, 3))
    assert_same_image(F.perspective(image, start, end, fill=[1, 2, 3]), expected)
    # The identity, up to rounding noise in the solved coefficients (~1e-14, which LAPACK builds differ in and
    # Pillow's bilinear filter can turn into one grey level), so nearest sampling
    assert_same_image(F.perspective(image, start, start, InterpolationMode.NEAREST), image)


def test_random_perspective_warps_to_the_drawn_corners(monkeypatch):
    image = gradient(40, 30, "L")
    start, end = [[0, 0], [39, 0], [39, 29], [0, 29]], [[5, 2], [36, 4], [38, 27], [1, 25]]
    monkeypatch.setattr(T.RandomPerspective, "get_params", staticmethod(lambda w, h, d: (start, end)))
    coeffs = perspective_coefficients(start, end)
    out = T.RandomPerspective(distortion_scale=0.6, p=1.0, fill=9)(image)
    assert_same_image(out, image.transform(image.size, Image.PERSPECTIVE, coeffs, Image.BILINEAR, fillcolor=9))
    assert T.RandomPerspective(p=0.0)(image) is image


# ------------------------------------------------------------------------------------------------ colour
ENHANCERS = [(F.adjust_brightness, ImageEnhance.Brightness), (F.adjust_contrast, ImageEnhance.Contrast),
             (F.adjust_saturation, ImageEnhance.Color), (F.adjust_sharpness, ImageEnhance.Sharpness)]


@pytest.mark.parametrize("factor", [0.0, 0.45, 1.0, 1.7])
@pytest.mark.parametrize("adjust, enhancer", ENHANCERS, ids=["brightness", "contrast", "saturation", "sharpness"])
@pytest.mark.parametrize("image", [gradient(50, 37), gradient(23, 41, "L"), digit("3_canvas.png").resize((31, 29))],
                         ids=["rgb", "l", "rgba"])
def test_enhancements_are_pillows_image_enhance(adjust, enhancer, image, factor):
    assert_same_image(adjust(image, factor), enhancer(image).enhance(factor))


@pytest.mark.parametrize("hue_factor", [-0.5, -0.21, 0.0, 0.13, 0.5])
def test_adjust_hue_shifts_pillows_hsv_hue_band(hue_factor):
    image = digit("0_pen.png").resize((40, 30))
    h, s, v = (np.asarray(band) for band in image.convert("HSV").split())
    shift = int(hue_factor * 255) % 256  # truncated toward zero, then taken modulo the 256 hue steps
    hue = ((h.astype(int) + shift) % 256).astype(np.uint8)
    expected = Image.merge("HSV", [Image.fromarray(a, "L") for a in (hue, s, v)]).convert("RGB")
    assert_same_image(F.adjust_hue(image, hue_factor), expected)
    grey = image.convert("L")
    assert F.adjust_hue(grey, 0.3) is grey
    with pytest.raises(ValueError, match=r"hue_factor \(0.7\) is not in \[-0.5, 0.5\]."):
        F.adjust_hue(image, 0.7)


@pytest.mark.parametrize("gamma, gain", [(0.4, 1.0), (2.2, 1.0), (1.0, 1.3)])
def test_adjust_gamma_lookup_table(gamma, gain):
    table = np.array([min(int(255.999 * gain * (v / 255.0) ** gamma), 255) for v in range(256)], np.uint8)
    image = gradient(33, 21)
    assert_same_image(F.adjust_gamma(image, gamma, gain), Image.fromarray(table[np.asarray(image)]))
    grey = gradient(33, 21, "L")  # through RGB and back: equal channels give the same grey level
    assert_same_image(F.adjust_gamma(grey, gamma, gain), Image.fromarray(table[np.asarray(grey)]))
    with pytest.raises(ValueError, match="Gamma should be a non-negative real number"):
        F.adjust_gamma(image, -1.0)


def pillow_luma(rgb):
    """ITU-R 601-2 luma in Pillow's 16-bit fixed point, rounded: L = (19595 R + 38470 G + 7471 B + 2^15) >> 16."""
    rgb = rgb.astype(np.int64)
    return ((19595 * rgb[..., 0] + 38470 * rgb[..., 1] + 7471 * rgb[..., 2] + 0x8000) >> 16).astype(np.uint8)


def test_grayscale_of_rgb_and_rgba_images():
    for image in (gradient(29, 19), digit("3_canvas.png").resize((29, 19))):
        luma = pillow_luma(np.asarray(image)[..., :3])
        assert_same_image(F.rgb_to_grayscale(image), Image.fromarray(luma, "L"))
        assert_same_image(F.to_grayscale(image), Image.fromarray(luma, "L"))
        assert_same_image(T.Grayscale(num_output_channels=3)(image), Image.fromarray(np.dstack([luma] * 3), "RGB"))
    with pytest.raises(ValueError, match="num_output_channels should be either 1 or 3"):
        F.to_grayscale(gradient(4, 4), 2)
    with pytest.raises(TypeError, match="Input should be PIL Image"):
        F.to_grayscale(torchless.zeros(3, 4, 4))


def test_random_grayscale_keeps_the_number_of_channels():
    image = gradient(12, 10)
    luma = pillow_luma(np.asarray(image))
    assert_same_image(T.RandomGrayscale(p=1.0)(image), Image.fromarray(np.dstack([luma] * 3), "RGB"))
    grey = gradient(12, 10, "L")
    assert_same_image(T.RandomGrayscale(p=1.0)(grey), grey)
    assert T.RandomGrayscale(p=0.0)(image) is image
    assert repr(T.RandomGrayscale()) == "RandomGrayscale(p=0.1)"


@pytest.mark.parametrize("image", [gradient(40, 25), gradient(40, 25, "L")], ids=["rgb", "l"])
def test_invert_posterize_solarize_pixelwise(image):
    array = np.asarray(image)
    assert_same_image(F.invert(image), Image.fromarray(255 - array))
    for bits in (1, 3, 8):
        assert_same_image(F.posterize(image, bits), Image.fromarray(array & (256 - 2 ** (8 - bits))))
    assert_same_image(F.solarize(image, 100), Image.fromarray(np.where(array >= 100, 255 - array, array)))
    assert_same_image(T.RandomPosterize(2, p=1.0)(image), Image.fromarray(array & 0b11000000))
    assert_same_image(T.RandomSolarize(60, p=1.0)(image), Image.fromarray(np.where(array >= 60, 255 - array, array)))
    assert_same_image(T.RandomInvert(p=1.0)(image), Image.fromarray(255 - array))


def pillow_autocontrast_table(channel):
    lo, hi = int(channel.min()), int(channel.max())
    if hi <= lo:
        return np.arange(256)
    scale = 255.0 / (hi - lo)
    return np.array([min(max(int(v * scale - lo * scale), 0), 255) for v in range(256)])


def pillow_equalize_table(channel):
    """Pillow's ImageOps.equalize for one band, as its documentation describes it."""
    hist = np.bincount(channel.ravel(), minlength=256)
    used = hist[hist > 0]
    if len(used) <= 1 or (used.sum() - used[-1]) // 255 == 0:
        return np.arange(256)
    step = (used.sum() - used[-1]) // 255
    table, n = [], step // 2
    for count in hist:
        table.append(n // step)
        n += count
    return np.minimum(table, 255)  # the top level can reach 256: Image.point clips its table to 8 bits


@pytest.mark.parametrize("image", [gradient(40, 25).point(lambda v: 60 + v // 3), noise(17, 13, 3, seed=4),
                                   gradient(20, 30, "L").point(lambda v: v // 2 + 20)], ids=["rgb", "noise", "l"])
def test_autocontrast_and_equalize_per_band(image):
    array = np.asarray(image)
    bands = array[..., None] if array.ndim == 2 else array
    stretched = np.stack([pillow_autocontrast_table(bands[..., c])[bands[..., c]] for c in range(bands.shape[-1])],
                         axis=-1).astype(np.uint8)
    equalized = np.stack([pillow_equalize_table(bands[..., c])[bands[..., c]] for c in range(bands.shape[-1])],
                         axis=-1).astype(np.uint8)
    squeeze = (lambda a: a[..., 0]) if array.ndim == 2 else (lambda a: a)
    assert_same_image(F.autocontrast(image), Image.fromarray(squeeze(stretched), image.mode))
    assert_same_image(F.equalize(image), Image.fromarray(squeeze(equalized), image.mode))
    assert_same_image(T.RandomEqualize(p=1.0)(image), Image.fromarray(squeeze(equalized), image.mode))
    assert_same_image(T.RandomAutocontrast(p=1.0)(image), Image.fromarray(squeeze(stretched), image.mode))


def test_posterize_checks_the_bits_before_the_image():
    with pytest.raises(ValueError, match="The number if bits should be between 0 and 8. Got 9"):
        F.posterize(gradient(4, 4), 9)


def test_gaussian_blur_of_a_pil_image_uses_the_tensor_kernel_and_keeps_the_mode():
    torch = pytest.importorskip("torch")
    image = digit("0_pen.png").resize((35, 27))
    kx, ky, sigma = 5, 3, (1.3, 0.7)

    def kernel1d(size, s):
        x = torch.linspace(-(size - 1) * 0.5, (size - 1) * 0.5, steps=size)
        pdf = torch.exp(-0.5 * (x / s).pow(2))
        return pdf / pdf.sum()

    kernel = torch.mm(kernel1d(ky, sigma[1])[:, None], kernel1d(kx, sigma[0])[None, :]).expand(3, 1, ky, kx)
    chw = torch.tensor(np.asarray(image)).permute(2, 0, 1)[None].float()
    padded = torch.nn.functional.pad(chw, [kx // 2, kx // 2, ky // 2, ky // 2], mode="reflect")
    blurred = torch.round(torch.nn.functional.conv2d(padded, kernel, groups=3))[0].to(torch.uint8)
    expected = blurred.permute(1, 2, 0).numpy()
    out = F.gaussian_blur(image, [kx, ky], list(sigma))
    assert isinstance(out, Image.Image) and (out.mode, out.size) == ("RGB", image.size)
    # float32 sums in another order than conv2d's: a value within ~1e-5 of .5 may round the other way
    difference = np.abs(np.asarray(out).astype(int) - expected)
    assert difference.max() <= 1 and (difference == 0).mean() > 0.99


# -------------------------------------------------------------------------------------------- ColorJitter
def test_color_jitter_on_a_pil_photo_applies_pillow_enhancements_in_the_drawn_order():
    image = digit("0_pen.png").resize((40, 40))
    jitter = T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)
    torchless.manual_seed(11)
    order, b, c, s, h = T.ColorJitter.get_params(jitter.brightness, jitter.contrast, jitter.saturation, jitter.hue)
    expected = image
    for fn_id in order.tolist():
        if fn_id == 0:
            expected = ImageEnhance.Brightness(expected).enhance(b)
        elif fn_id == 1:
            expected = ImageEnhance.Contrast(expected).enhance(c)
        elif fn_id == 2:
            expected = ImageEnhance.Color(expected).enhance(s)
        else:
            hue, sat, val = (np.asarray(band) for band in expected.convert("HSV").split())
            hue = ((hue.astype(int) + int(h * 255) % 256) % 256).astype(np.uint8)
            expected = Image.merge("HSV", [Image.fromarray(a, "L") for a in (hue, sat, val)]).convert("RGB")
    torchless.manual_seed(11)
    assert_same_image(jitter(image), expected)


# ------------------------------------------------------------------------------------------------- Compose
def normalized_by_hand(image, mean, std):
    chw = np.asarray(image).astype(np.float32).transpose(2, 0, 1) / np.float32(255)
    return (chw - np.float32(mean)[:, None, None]) / np.float32(std)[:, None, None]


MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


@pytest.mark.parametrize("image", [digit("0_pen.png"), gradient(300, 220), digit("7_pen.jpg").convert("RGB")],
                         ids=["digit-png", "gradient-300x220", "digit-jpg"])
def test_imagenet_evaluation_pipeline_on_pil_photos(image):
    pipeline = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])
    resized = image.resize(short_edge_size(*image.size, 256), Image.BILINEAR)
    left, top = int(round((resized.width - 224) / 2.0)), int(round((resized.height - 224) / 2.0))
    expected = normalized_by_hand(resized.crop((left, top, left + 224, top + 224)), MEAN, STD)
    out = pipeline(image)
    assert isinstance(out, torchless.Tensor) and out.dtype == torchless.float32 and tuple(out.shape) == (3, 224, 224)
    np.testing.assert_allclose(out.numpy(), expected, rtol=0, atol=1e-6)


def test_pipeline_resizes_in_pillow_then_converts_with_pil_to_tensor_and_convert_image_dtype():
    image = digit("3_canvas.png")  # RGBA
    pipeline = T.Compose([T.Resize((28, 28), interpolation=InterpolationMode.BICUBIC), T.Grayscale(),
                          T.PILToTensor(), T.ConvertImageDtype(torchless.float32)])
    grey = pillow_luma(np.asarray(image.resize((28, 28), Image.BICUBIC))[..., :3])
    out = pipeline(image)
    assert out.dtype == torchless.float32 and tuple(out.shape) == (1, 28, 28)
    np.testing.assert_array_equal(out.numpy(), (grey.astype(np.float32) / np.float32(255))[None])


def test_random_resized_crop_and_flip_pipeline_is_reproducible_and_matches_pillow():
    image = gradient(64, 48)
    pipeline = T.Compose([T.RandomResizedCrop(24), T.RandomHorizontalFlip(p=1.0), T.ToTensor()])
    torchless.manual_seed(3)
    i, j, h, w = T.RandomResizedCrop.get_params(image, (0.08, 1.0), (3 / 4, 4 / 3))
    expected = zero_padded_box(image, j, i, j + w, i + h).resize((24, 24), Image.BILINEAR)
    expected = np.asarray(expected)[:, ::-1].transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    torchless.manual_seed(3)
    np.testing.assert_array_equal(pipeline(image).numpy(), expected)


def test_random_rotation_and_affine_on_pil_images_follow_pillow():
    image = gradient(33, 25)
    torchless.manual_seed(5)
    angle = T.RandomRotation.get_params([-40.0, 40.0])
    torchless.manual_seed(5)
    assert_same_image(T.RandomRotation(40, fill=3)(image), image.rotate(angle, Image.NEAREST, fillcolor=(3, 3, 3)))
    torchless.manual_seed(9)
    angle, (tx, ty), scale, (shx, shy) = T.RandomAffine.get_params([-30.0, 30.0], (0.2, 0.1), (0.8, 1.1),
                                                                   [-10.0, 10.0], [33, 25])
    inverse = np.linalg.inv(forward_affine((16.5, 12.5), angle, (tx, ty), scale, (shx, shy)))[:2].ravel()
    torchless.manual_seed(9)
    out = T.RandomAffine(30, translate=(0.2, 0.1), scale=(0.8, 1.1), shear=10)(image)
    expected = image.transform(image.size, Image.AFFINE, tuple(inverse), Image.NEAREST, fillcolor=(0, 0, 0))
    assert_same_image(out, expected)


def test_image_folder_samples_go_through_the_pipeline_as_pil_images(tmp_path):
    from torchless.vision.datasets import ImageFolder
    (tmp_path / "seven").mkdir()
    digit("7_pen.png").save(tmp_path / "seven" / "a.png")
    seen = []
    dataset = ImageFolder(tmp_path, transform=T.Compose([T.Lambda(lambda im: seen.append(im) or im), T.Resize(32),
                                                         T.Lambda(lambda im: seen.append(im) or im), T.ToTensor()]))
    tensor, label = dataset[0]
    assert label == 0 and tuple(tensor.shape) == (3, 32, 32)
    assert isinstance(seen[1], Image.Image) and seen[1].size == (32, 32)
    assert_same_image(seen[1], seen[0].resize((32, 32), Image.BILINEAR))


# ------------------------------------------------------------------------------------------ get_dimensions
def test_get_dimensions_of_pil_images():
    assert F.get_dimensions(gradient(7, 5)) == [3, 5, 7]
    assert F.get_dimensions(gradient(7, 5, "L")) == [1, 5, 7]
    assert F.get_dimensions(gradient(7, 5, "LA")) == [2, 5, 7]
    assert F.get_dimensions(digit("3_canvas.png")) == [4, 280, 280]


# ---------------------------------------------------------------------------------------- import of Pillow
def test_pillow_is_imported_only_when_a_pil_image_arrives():
    code = ("import sys, numpy as np, torchless\n"
            "from torchless.vision import transforms as T\n"
            "T.Compose([T.Resize(4), T.RandomHorizontalFlip(), T.ToTensor()])(np.zeros((8, 8), np.uint8))\n"
            "assert not [m for m in sys.modules if m == 'PIL' or m.startswith('PIL.')], sorted(sys.modules)\n"
            "from PIL import Image\n"
            "out = T.Resize(4)(Image.new('RGB', (8, 8)))\n"
            "assert type(out).__module__.startswith('PIL.') and out.size == (4, 4)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
