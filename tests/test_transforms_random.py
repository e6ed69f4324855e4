"""Tests of torchless.vision's augmentation transforms: the deterministic functionals against slow per-pixel
float64 references (and PyTorch's grid_sample / conv2d where they apply), the random transforms for
reproducibility, ranges, frequencies, parameter validation and reprs."""
import colorsys
import math
import random

import numpy as np
import pytest
import torch

import torchless
from torchless.vision import transforms as T
from torchless.vision.transforms import InterpolationMode
from torchless.vision.transforms import functional as F


def image(*shape, dtype=np.float32, seed=0):
    values = np.random.default_rng(seed).random(shape)
    if np.dtype(dtype).kind == "u":
        return torchless.tensor((values * 256).astype(dtype))
    return torchless.tensor(values.astype(dtype))


# -------------------------------------------------------------------------------------- references
def sample_ref(plane, x, y, mode):
    """``plane`` (H, W) at pixel coordinates (x, y), zero outside, in float64."""
    h, w = plane.shape
    if mode == "nearest":
        c, r = int(np.rint(x)), int(np.rint(y))
        return float(plane[r, c]) if 0 <= r < h and 0 <= c < w else 0.0
    x0, y0 = math.floor(x), math.floor(y)
    total = 0.0
    for r, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
        for c, wx in ((x0, 1 - (x - x0)), (x0 + 1, x - x0)):
            if 0 <= r < h and 0 <= c < w:
                total += wx * wy * float(plane[r, c])
    return total


def warp_ref(chw, inverse, mode, out_hw=None, fill=None):
    """Output pixel (r, c) takes the input at ``inverse @ (offset from the centre)`` plus the input centre."""
    chw = np.asarray(chw, np.float64)
    c_, h, w = chw.shape
    oh, ow = out_hw or (h, w)
    out = np.zeros((c_, oh, ow))
    for ch in range(c_):
        for r in range(oh):
            for c in range(ow):
                dx, dy = c - (ow - 1) / 2, r - (oh - 1) / 2
                sx, sy, _ = inverse @ np.array([dx, dy, 1.0])
                x, y = sx + (w - 1) / 2, sy + (h - 1) / 2
                value = sample_ref(chw[ch], x, y, mode)
                if fill is not None:
                    inside = sample_ref(np.ones((h, w)), x, y, mode)
                    value = (fill if inside < 0.5 else value) if mode == "nearest" else \
                        value * inside + (1 - inside) * fill
                out[ch, r, c] = value
    return out


def rotation_inverse(angle_ccw):
    t = math.radians(angle_ccw)
    # y points down, so a counter-clockwise turn on screen maps (dx, dy) to (dx cos + dy sin, -dx sin + dy cos)
    forward = np.array([[math.cos(t), math.sin(t), 0], [-math.sin(t), math.cos(t), 0], [0, 0, 1]])
    return np.linalg.inv(forward)


def affine_forward(angle, translate, scale, shear):
    """torchvision's documented forward map T * RSS with RSS = R(a) S(s) SHy(sy) SHx(sx), about the centre."""
    a, sx, sy = (math.radians(v) for v in (angle, *shear))
    rot = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    shx = np.array([[1, -math.tan(sx), 0], [0, 1, 0], [0, 0, 1]])
    shy = np.array([[1, 0, 0], [-math.tan(sy), 1, 0], [0, 0, 1]])
    trans = np.array([[1, 0, translate[0]], [0, 1, translate[1]], [0, 0, 1]])
    return trans @ rot @ np.diag([scale, scale, 1]) @ shy @ shx


# ----------------------------------------------------------------------------- flips, crops, erase
def test_flips_exact():
    x = image(2, 3, 4)
    np.testing.assert_array_equal(F.hflip(x).numpy(), x.numpy()[..., ::-1])
    np.testing.assert_array_equal(F.vflip(x).numpy(), x.numpy()[..., ::-1, :])
    batch = image(5, 2, 3, 4, dtype=np.uint8)
    assert F.hflip(batch).dtype == torchless.uint8
    np.testing.assert_array_equal(F.hflip(batch).numpy()[4, 1, 2], batch.numpy()[4, 1, 2, ::-1])
    hwc = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    np.testing.assert_array_equal(F.hflip(hwc), hwc[:, ::-1, :])
    np.testing.assert_array_equal(F.vflip(hwc), hwc[::-1])


def test_resized_crop_is_crop_then_resize():
    x = image(3, 10, 12)
    out = F.resized_crop(x, 2, 3, 6, 8, [3, 4])
    ref = torch.nn.functional.interpolate(torch.from_numpy(x.numpy()[None, :, 2:8, 3:11]), size=(3, 4),
                                          mode="bilinear", align_corners=False, antialias=True)[0]
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-6)


def test_erase_exact_and_not_inplace():
    x = image(3, 5, 6)
    before = x.numpy().copy()
    out = F.erase(x, 1, 2, 3, 2, torchless.tensor([[[7.0]], [[8.0]], [[9.0]]]))
    expected = before.copy()
    expected[:, 1:4, 2:4] = np.array([7, 8, 9]).reshape(3, 1, 1)
    np.testing.assert_array_equal(out.numpy(), expected)
    np.testing.assert_array_equal(x.numpy(), before)
    F.erase(x, 0, 0, 1, 1, 0.0, inplace=True)
    assert x.numpy()[:, 0, 0].tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(TypeError, match="img should be Tensor Image. Got <class 'numpy.ndarray'>"):
        F.erase(before, 0, 0, 1, 1, 0.0)


# ---------------------------------------------------------------------------------- rotate, affine
@pytest.mark.parametrize("k", [1, 2, 3])
def test_rotate_square_by_multiples_of_90_is_rot90(k):
    x = image(2, 6, 6)
    np.testing.assert_array_equal(F.rotate(x, 90.0 * k).numpy(), np.rot90(x.numpy(), k, axes=(1, 2)))
    np.testing.assert_allclose(F.rotate(x, 90.0 * k, InterpolationMode.BILINEAR).numpy(),
                               np.rot90(x.numpy(), k, axes=(1, 2)), atol=1e-5)


def test_rotate_expand_of_rectangle_by_90_is_rot90():
    x = image(1, 4, 6, dtype=np.uint8)
    out = F.rotate(x, 90, expand=True)
    assert tuple(out.shape) == (1, 6, 4) and out.dtype == torchless.uint8
    np.testing.assert_array_equal(out.numpy(), np.rot90(x.numpy(), 1, axes=(1, 2)))


def test_rotate_expand_size_follows_pil_rule_for_mixed_parity():
    # PIL (and torchvision after it) rounds the corners of the image turned about its centre, shifted by
    # the *input* half-sizes: a 7 x 4 (w x h) image turned 90 degrees spans x in [1.5, 5.5], y in [-1.5, 5.5]
    x = image(1, 4, 7)
    assert tuple(F.rotate(x, 90, expand=True).shape) == (1, 6 - (-2), 6 - 1)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("angle", [17.0, -41.5, 133.0])
def test_rotate_matches_per_pixel_reference(mode, angle):
    x = image(2, 7, 9, dtype=np.float64, seed=1)
    out = F.rotate(x, angle, InterpolationMode(mode))
    np.testing.assert_allclose(out.numpy(), warp_ref(x.numpy(), rotation_inverse(angle), mode), atol=1e-9)


def test_rotate_expand_and_fill_match_reference():
    x = image(3, 6, 9, dtype=np.float64, seed=2)
    out = F.rotate(x, 30.0, expand=True, fill=[0.25, 0.5, 0.75])
    # expanded size: the rotated corners' bounding box, rounded outwards
    c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
    ow, oh = math.ceil(9 * c + 6 * s), math.ceil(9 * s + 6 * c)
    assert tuple(out.shape) == (3, oh, ow)
    for ch, fill in enumerate([0.25, 0.5, 0.75]):
        ref = warp_ref(x.numpy()[ch:ch + 1], rotation_inverse(30.0), "nearest", (oh, ow), fill=fill)
        np.testing.assert_allclose(out.numpy()[ch:ch + 1], ref, atol=1e-9)


def test_rotate_about_a_pixel_centre():
    x = image(1, 5, 6, dtype=np.float64)
    # pixel (row 1, col 2) spans [2, 3] x [1, 2]: its centre is (x, y) = (2.5, 1.5)
    out = F.rotate(x, 180, center=[2.5, 1.5]).numpy()[0]
    expected = np.zeros((5, 6))
    for r in range(5):
        for c in range(6):
            if 0 <= 2 - r < 5 and 0 <= 4 - c < 6:
                expected[r, c] = x.numpy()[0, 2 - r, 4 - c]
    np.testing.assert_allclose(out, expected, atol=1e-12)


@pytest.mark.parametrize("params", [(25.0, (1, -2), 1.2, (10.0, 0.0)), (-60.0, (0, 0), 0.8, (-5.0, 12.0)),
                                    (0.0, (3, 1), 1.0, (0.0, 0.0))])
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_affine_matches_reference_and_torch_grid_sample(params, mode):
    angle, translate, scale, shear = params
    x = image(2, 8, 10, dtype=np.float64, seed=3)
    out = F.affine(x, angle, list(translate), scale, list(shear), InterpolationMode(mode)).numpy()
    inverse = np.linalg.inv(affine_forward(angle, translate, scale, shear))
    np.testing.assert_allclose(out, warp_ref(x.numpy(), inverse, mode), atol=1e-9)
    if mode == "bilinear":  # PyTorch's grid_sample as a second oracle: theta in normalised coordinates
        h, w = 8, 10
        to_norm = np.diag([2 / w, 2 / h, 1.0])
        theta = (to_norm @ inverse @ np.linalg.inv(to_norm))[:2]
        grid = torch.nn.functional.affine_grid(torch.from_numpy(theta[None]), (1, 2, h, w), align_corners=False)
        ref = torch.nn.functional.grid_sample(torch.from_numpy(x.numpy()[None]), grid, mode="bilinear",
                                              padding_mode="zeros", align_corners=False)[0]
        np.testing.assert_allclose(out, ref.numpy(), atol=1e-9)


def test_affine_integer_translation_is_a_shift():
    x = image(1, 5, 6, dtype=np.uint8)
    out = F.affine(x, 0.0, [2, 1], 1.0, 0.0).numpy()[0]
    expected = np.zeros((5, 6), np.uint8)
    expected[1:, 2:] = x.numpy()[0, :-1, :-2]
    np.testing.assert_array_equal(out, expected)


def test_geometric_batches_and_arrays():
    batch = image(3, 2, 5, 5)
    out = F.rotate(batch, 33.0, InterpolationMode.BILINEAR).numpy()
    for n in range(3):
        np.testing.assert_array_equal(out[n], F.rotate(batch[n], 33.0, InterpolationMode.BILINEAR).numpy())
    hw = np.arange(16, dtype=np.uint8).reshape(4, 4)
    np.testing.assert_array_equal(F.rotate(hw, 90), np.rot90(hw))


def test_geometric_errors():
    x = image(3, 4, 4)
    with pytest.raises(TypeError, match="Argument angle should be int or float"):
        F.rotate(x, "1")
    with pytest.raises(TypeError, match="Argument center should be a sequence"):
        F.rotate(x, 1, center=1)
    with pytest.raises(TypeError, match="Argument interpolation should be a InterpolationMode"):
        F.rotate(x, 1, interpolation="nearest")
    with pytest.raises(ValueError, match="Interpolation mode 'nearest-exact' is unsupported with Tensor input"):
        F.rotate(x, 1, interpolation=InterpolationMode.NEAREST_EXACT)
    with pytest.raises(ValueError, match=r"The number of elements in 'fill' cannot broadcast to match the number "
                                         r"of channels of the image \(2 != 3\)"):
        F.rotate(x, 1, fill=[1, 2])
    with pytest.raises(TypeError, match="Argument translate should be a sequence"):
        F.affine(x, 0, 1, 1.0, 0)
    with pytest.raises(ValueError, match="Argument translate should be a sequence of length 2"):
        F.affine(x, 0, [1], 1.0, 0)
    with pytest.raises(ValueError, match="Argument scale should be positive"):
        F.affine(x, 0, [0, 0], 0.0, 0)
    with pytest.raises(TypeError, match="Shear should be either a single value or a sequence of two values"):
        F.affine(x, 0, [0, 0], 1.0, "a")
    with pytest.raises(ValueError, match=r"Shear should be a sequence containing two values. Got \[1, 2, 3\]"):
        F.affine(x, 0, [0, 0], 1.0, [1, 2, 3])


# ---------------------------------------------------------------------------------------- perspective
def homography_to_start(startpoints, endpoints):
    """The 3 x 3 map taking each end point to its start point (exact, float64)."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(endpoints, startpoints):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    return np.append(np.linalg.solve(np.array(rows, float), np.array(rhs, float)), 1.0).reshape(3, 3)


def perspective_ref(chw, startpoints, endpoints, fill=None):
    """Output pixel (r, c) takes the input at the homography of its centre (c + 0.5, r + 0.5), bilinearly."""
    coeffs = homography_to_start(startpoints, endpoints).ravel().astype(np.float32).astype(np.float64)
    chw = np.asarray(chw, np.float64)
    n, h, w = chw.shape
    out = np.zeros_like(chw)
    for r in range(h):
        for c in range(w):
            X, Y = c + 0.5, r + 0.5
            d = coeffs[6] * X + coeffs[7] * Y + 1
            u = (coeffs[0] * X + coeffs[1] * Y + coeffs[2]) / d - 0.5
            v = (coeffs[3] * X + coeffs[4] * Y + coeffs[5]) / d - 0.5
            for ch in range(n):
                value = sample_ref(chw[ch], u, v, "bilinear")
                if fill is not None:
                    inside = sample_ref(np.ones((h, w)), u, v, "bilinear")
                    value = value * inside + (1 - inside) * fill[ch]
                out[ch, r, c] = value
    return out


PERSPECTIVE_POINTS = ([[0, 0], [9, 0], [9, 7], [0, 7]], [[1, 1], [8, 0], [9, 6], [2, 7]])


@pytest.mark.parametrize("fill", [None, [0.25, 0.5]])
def test_perspective_matches_per_pixel_reference(fill):
    x = image(2, 8, 10, dtype=np.float64, seed=6)
    out = F.perspective(x, *PERSPECTIVE_POINTS, fill=fill).numpy()
    np.testing.assert_allclose(out, perspective_ref(x.numpy(), *PERSPECTIVE_POINTS, fill), atol=1e-9)


def test_perspective_shift_is_exact_and_uint8_rounds():
    x = image(1, 6, 7, dtype=np.uint8)
    start = [[0, 0], [6, 0], [6, 5], [0, 5]]
    end = [[px + 2, py + 1] for px, py in start]
    out = F.perspective(x, start, end, InterpolationMode.NEAREST).numpy()[0]
    expected = np.zeros((6, 7), np.uint8)
    expected[1:, 2:] = x.numpy()[0, :-1, :-2]
    np.testing.assert_array_equal(out, expected)
    bilinear = F.perspective(x, *([[0, 0], [6, 0], [6, 5], [0, 5]], [[1, 0], [6, 1], [5, 5], [0, 4]])).numpy()
    reference = perspective_ref(x.numpy(), [[0, 0], [6, 0], [6, 5], [0, 5]], [[1, 0], [6, 1], [5, 5], [0, 4]])
    # uint8 images are sampled in float32 and rounded: exact unless the value is a hair from a half
    clear = np.abs(reference - np.floor(reference) - 0.5) > 1e-3
    assert bilinear.dtype == np.uint8 and np.array_equal(bilinear[clear], np.round(reference[clear]))
    assert np.abs(bilinear - reference).max() <= 0.5 + 1e-3


def test_perspective_of_array_images_keeps_their_layout_and_checks_corners():
    hwc = np.random.default_rng(2).random((8, 10, 3)).astype(np.float32)
    out = F.perspective(hwc, *PERSPECTIVE_POINTS)
    assert out.shape == hwc.shape and out.dtype == np.float32
    np.testing.assert_allclose(out.transpose(2, 0, 1), perspective_ref(hwc.transpose(2, 0, 1), *PERSPECTIVE_POINTS),
                               atol=1e-5)
    with pytest.raises(ValueError, match="Please provide exactly four corners, got 3 startpoints and 4 endpoints."):
        F.perspective(hwc, PERSPECTIVE_POINTS[0][:3], PERSPECTIVE_POINTS[1])
    with pytest.raises(ValueError, match="Interpolation mode 'bicubic' is unsupported with Tensor input"):
        F.perspective(image(1, 4, 4), *PERSPECTIVE_POINTS, interpolation=InterpolationMode.BICUBIC)


def test_random_perspective_corners_stay_in_their_quarter():
    torchless.manual_seed(8)
    width, height, scale = 21, 14, 0.7
    dx, dy = int(scale * (width // 2)), int(scale * (height // 2))
    seen = set()
    for _ in range(500):
        start, (tl, tr, br, bl) = T.RandomPerspective.get_params(width, height, scale)
        assert start == [[0, 0], [20, 0], [20, 13], [0, 13]]
        assert 0 <= tl[0] <= dx and 0 <= tl[1] <= dy and width - dx - 1 <= tr[0] <= width - 1 and 0 <= tr[1] <= dy
        assert width - dx - 1 <= br[0] <= width - 1 and height - dy - 1 <= br[1] <= height - 1
        assert 0 <= bl[0] <= dx and height - dy - 1 <= bl[1] <= height - 1
        seen.add(tl[0])
    assert seen == set(range(dx + 1))
    assert T.RandomPerspective.get_params(9, 9, 0.0)[1] == [[0, 0], [8, 0], [8, 8], [0, 8]]


def test_random_perspective_frequency_and_tensor_fill():
    x = image(3, 6, 6)
    torchless.manual_seed(3)
    changed = [not np.array_equal(T.RandomPerspective(p=0.25)(x).numpy(), x.numpy()) for _ in range(2000)]
    assert abs(np.mean(changed) - 0.25) < 0.04
    torchless.manual_seed(3)
    out = T.RandomPerspective(distortion_scale=1.0, p=1.0, fill=1)(x).numpy()
    assert (out == 1.0).any()  # the corners pulled inward leave the fill behind


# ---------------------------------------------------------------------------------------- five/ten crop
def test_five_crop_and_ten_crop_of_tensors():
    x = image(2, 3, 7, 9)
    tl, tr, bl, br, center = F.five_crop(x, [4, 5])
    data = x.numpy()
    for crop, (r, c) in zip((tl, tr, bl, br, center), [(0, 0), (0, 4), (3, 0), (3, 4), (2, 2)]):
        np.testing.assert_array_equal(crop.numpy(), data[..., r:r + 4, c:c + 5])
    ten = T.TenCrop(4)(x)
    assert len(ten) == 10
    np.testing.assert_array_equal(ten[5].numpy(), data[..., ::-1][..., 0:4, 0:4])
    np.testing.assert_array_equal(ten[9].numpy(), data[..., ::-1][..., 2:6, 2:6])
    hwc = np.arange(5 * 6 * 3, dtype=np.uint8).reshape(5, 6, 3)
    np.testing.assert_array_equal(F.five_crop(hwc, 3)[3], hwc[2:, 3:])
    with pytest.raises(ValueError, match="Please provide only two dimensions \\(h, w\\) for size."):
        F.five_crop(x, [1, 2, 3])


# ------------------------------------------------------------------------------------------ colour
def blend_ref(a, b, ratio, bound):
    return np.clip(ratio * np.asarray(a, np.float64) + (1 - ratio) * np.asarray(b, np.float64), 0, bound)


def test_brightness_contrast_saturation_against_formulas():
    x = image(3, 4, 5, dtype=np.float64, seed=4)
    a = x.numpy()
    grey = 0.2989 * a[0] + 0.587 * a[1] + 0.114 * a[2]
    np.testing.assert_allclose(F.adjust_brightness(x, 1.7).numpy(), np.clip(1.7 * a, 0, 1), atol=1e-12)
    np.testing.assert_allclose(F.adjust_contrast(x, 0.3).numpy(), blend_ref(a, grey.mean(), 0.3, 1), atol=1e-12)
    np.testing.assert_allclose(F.adjust_saturation(x, 2.5).numpy(), blend_ref(a, grey[None], 2.5, 1), atol=1e-12)
    one = image(1, 4, 5, dtype=np.float64)
    np.testing.assert_allclose(F.adjust_contrast(one, 0.5).numpy(), blend_ref(one.numpy(), one.numpy().mean(), 0.5, 1))
    np.testing.assert_array_equal(F.adjust_saturation(one, 0.0).numpy(), one.numpy())


def test_uint8_colour_adjustments_truncate():
    x = torchless.tensor(np.array([[[10, 200, 255]]], np.uint8))
    assert F.adjust_brightness(x, 1.5).numpy().tolist() == [[[15, 255, 255]]]
    assert F.adjust_brightness(x, 0.33).numpy().tolist() == [[[3, 66, 84]]]  # 3.3, 66.0, 84.15 truncated


@pytest.mark.parametrize("hue", [0.0, 0.13, -0.37, 0.5])
def test_adjust_hue_against_colorsys(hue):
    x = image(3, 4, 6, dtype=np.float64, seed=5)
    a = x.numpy()
    ref = np.zeros_like(a)
    for r in range(4):
        for c in range(6):
            h, s, v = colorsys.rgb_to_hsv(*a[:, r, c])
            ref[:, r, c] = colorsys.hsv_to_rgb((h + hue) % 1.0, s, v)
    out = F.adjust_hue(x, hue)
    assert out.dtype == torchless.float64
    # torchvision converts every image to float32 for the HSV round trip (convert_image_dtype), float64 too
    np.testing.assert_allclose(out.numpy(), ref, atol=2e-6)
    assert not np.array_equal(F.adjust_hue(x, 0.0).numpy(), a)  # the float32 rounding is there, as in torchvision


def test_adjust_hue_uint8_and_grey():
    x = torchless.tensor(np.array([[[255]], [[0]], [[0]]], np.uint8))
    assert F.adjust_hue(x, 1 / 3).numpy().ravel().tolist() == [0, 255, 0]  # red turns green
    grey = image(1, 3, 3)
    np.testing.assert_array_equal(F.adjust_hue(grey, 0.2).numpy(), grey.numpy())


def test_colour_errors():
    x = image(3, 2, 2)
    with pytest.raises(ValueError, match=r"brightness_factor \(-1\) is not non-negative."):
        F.adjust_brightness(x, -1)
    with pytest.raises(ValueError, match=r"contrast_factor \(-0.5\) is not non-negative."):
        F.adjust_contrast(x, -0.5)
    with pytest.raises(ValueError, match=r"saturation_factor \(-2\) is not non-negative."):
        F.adjust_saturation(x, -2)
    with pytest.raises(ValueError, match=r"hue_factor \(0.6\) is not in \[-0.5, 0.5\]."):
        F.adjust_hue(x, 0.6)
    with pytest.raises(TypeError, match=r"Input image tensor permitted channel values are \[1, 3\], but found 2"):
        F.adjust_brightness(image(2, 2, 2), 1.0)


def test_invert_and_autocontrast():
    x = torchless.tensor(np.array([[[0, 100], [50, 250]]], np.uint8))
    assert F.invert(x).numpy().tolist() == [[[255, 155], [205, 5]]]
    f = image(3, 2, 2)
    np.testing.assert_allclose(F.invert(f).numpy(), 1 - f.numpy())
    # (v - 0) * 255 / 250 per channel, truncated
    assert F.autocontrast(x).numpy().tolist() == [[[0, 102], [51, 255]]]
    flat = torchless.tensor(np.full((1, 2, 2), 0.3, np.float32))
    np.testing.assert_array_equal(F.autocontrast(flat).numpy(), flat.numpy())
    a = np.array([[[0.2, 0.4], [0.3, 0.6]]], np.float64)
    np.testing.assert_allclose(F.autocontrast(torchless.tensor(a)).numpy(), (a - 0.2) / 0.4)


# -------------------------------------------------------------------------------------------- blur
def blur_ref(chw, kx, ky, sx, sy):
    def kernel(k, s):
        xs = np.arange(k) - (k - 1) / 2
        pdf = np.exp(-0.5 * (xs / s) ** 2)
        return pdf / pdf.sum()

    def reflect(i, n):
        return -i if i < 0 else (2 * (n - 1) - i if i >= n else i)

    wx, wy = kernel(kx, sx), kernel(ky, sy)
    c_, h, w = chw.shape
    out = np.zeros((c_, h, w))
    for ch in range(c_):
        for r in range(h):
            for c in range(w):
                out[ch, r, c] = sum(wy[u] * wx[v] * chw[ch, reflect(r + u - ky // 2, h), reflect(c + v - kx // 2, w)]
                                    for u in range(ky) for v in range(kx))
    return out


@pytest.mark.parametrize("kernel_size, sigma", [(3, None), ([5, 3], [1.5, 0.7]), ([1, 5], 2.0)])
def test_gaussian_blur_matches_reference(kernel_size, sigma):
    x = image(2, 6, 7, dtype=np.float64, seed=6)
    ks = [kernel_size] * 2 if isinstance(kernel_size, int) else kernel_size
    if sigma is None:
        sig = [0.3 * ((k - 1) * 0.5 - 1) + 0.8 for k in ks]
    else:
        sig = [sigma] * 2 if isinstance(sigma, float) else sigma
    out = F.gaussian_blur(x, kernel_size, sigma)
    # the kernel is built in float32, as torchvision does
    np.testing.assert_allclose(out.numpy(), blur_ref(x.numpy(), ks[0], ks[1], *sig), atol=1e-6)


def test_gaussian_blur_uint8_rounds():
    x = image(1, 5, 5, dtype=np.uint8, seed=7)
    out = F.gaussian_blur(x, 3, 1.0)
    assert out.dtype == torchless.uint8
    ref = np.round(blur_ref(x.numpy().astype(np.float64), 3, 3, 1.0, 1.0))
    assert np.abs(out.numpy().astype(int) - ref).max() <= 1


def test_gaussian_blur_errors():
    x = image(1, 5, 5)
    with pytest.raises(TypeError, match="kernel_size should be int or a sequence of integers. Got <class 'float'>"):
        F.gaussian_blur(x, 3.0)
    with pytest.raises(ValueError, match="If kernel_size is a sequence its length should be 2. Got 3"):
        F.gaussian_blur(x, [3, 3, 3])
    with pytest.raises(ValueError, match=r"kernel_size should have odd and positive integers. Got \[4, 4\]"):
        F.gaussian_blur(x, 4)
    with pytest.raises(ValueError, match=r"sigma should have positive values. Got \[0.0, 0.0\]"):
        F.gaussian_blur(x, 3, 0.0)
    with pytest.raises(ValueError, match="If sigma is a sequence, its length should be 2. Got 3"):
        F.gaussian_blur(x, 3, [1, 1, 1])


# -------------------------------------------------------------------------------- random transforms
RANDOM_TRANSFORMS = [
    T.RandomCrop(3, padding=1), T.RandomHorizontalFlip(), T.RandomVerticalFlip(), T.RandomRotation(45),
    T.RandomAffine(20, translate=(0.2, 0.1), scale=(0.8, 1.2), shear=10), T.RandomResizedCrop(4),
    T.RandomErasing(p=1.0, value="random"), T.ColorJitter(0.5, 0.5, 0.5, 0.2), T.GaussianBlur(3),
    T.RandomInvert(), T.RandomAutocontrast(), T.RandomApply([T.RandomInvert(1.0)]),
    T.RandomChoice([T.RandomInvert(1.0), T.RandomHorizontalFlip(1.0)]),
    T.RandomOrder([T.RandomInvert(1.0), T.RandomRotation(30)]),
    T.RandomPerspective(), T.RandomGrayscale(p=0.5), T.RandomSolarize(0.5), T.RandomAdjustSharpness(2.0),
]


@pytest.mark.parametrize("transform", RANDOM_TRANSFORMS, ids=lambda t: type(t).__name__)
def test_random_transforms_reproducible_under_manual_seed(transform):
    # RandomChoice and RandomOrder draw from Python's random module, as torchvision's do: it is seeded too
    x = image(3, 6, 6)
    torchless.manual_seed(1)
    random.seed(1)
    first = [transform(x).numpy() for _ in range(8)]
    torchless.manual_seed(1)
    random.seed(1)
    second = [transform(x).numpy() for _ in range(8)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(first[0], other) or first[0].shape != other.shape for other in first[1:]) \
        or isinstance(transform, T.RandomOrder)


@pytest.mark.parametrize("cls, flip", [(T.RandomHorizontalFlip, F.hflip), (T.RandomVerticalFlip, F.vflip)])
def test_flip_frequency(cls, flip):
    torchless.manual_seed(0)
    x = image(1, 3, 3)
    flipped = flip(x).numpy()
    outcomes = [np.array_equal(cls(p=0.3)(x).numpy(), flipped) for _ in range(4000)]
    assert abs(np.mean(outcomes) - 0.3) < 0.03
    assert all(np.array_equal(cls(p=1.0)(x).numpy(), flipped) for _ in range(20))
    assert all(np.array_equal(cls(p=0.0)(x).numpy(), x.numpy()) for _ in range(20))


def test_random_crop_positions_cover_all_offsets_within_bounds():
    torchless.manual_seed(1)
    h, w, th, tw = 6, 7, 3, 4
    seen = set()
    for _ in range(600):
        i, j, ch, cw = T.RandomCrop.get_params(image(1, h, w), (th, tw))
        assert (ch, cw) == (th, tw) and 0 <= i <= h - th and 0 <= j <= w - tw
        seen.add((i, j))
    assert seen == {(i, j) for i in range(h - th + 1) for j in range(w - tw + 1)}
    # the crop is the region at the drawn offsets
    x = torchless.tensor(np.arange(42, dtype=np.float32).reshape(1, 6, 7))
    torchless.manual_seed(5)
    out = T.RandomCrop((3, 4))(x).numpy()[0]
    i, j = divmod(int(out[0, 0]), 7)
    np.testing.assert_array_equal(out, x.numpy()[0, i:i + 3, j:j + 4])


def test_random_crop_padding_and_pad_if_needed():
    x = torchless.tensor(np.ones((1, 2, 3), np.float32))
    out = T.RandomCrop((5, 6), pad_if_needed=True, fill=0)(x).numpy()
    # pad_if_needed pads both sides by the shortfall, so the crop holds the image plus zeros
    assert out.shape == (1, 5, 6) and out.sum() == 6
    torchless.manual_seed(0)
    out = T.RandomCrop(4, padding=1, fill=9)(torchless.tensor(np.zeros((1, 2, 2), np.float32))).numpy()
    assert out.shape == (1, 4, 4) and (out == 9).sum() == 12
    with pytest.raises(ValueError, match=r"Required crop size \(5, 5\) is larger than input image size \(2, 3\)"):
        T.RandomCrop(5)(x)


def test_random_rotation_angles_in_range_and_90_is_rot90():
    torchless.manual_seed(2)
    angles = [T.RandomRotation.get_params([-10.0, 25.0]) for _ in range(2000)]
    assert -10 <= min(angles) < -9 and 24 < max(angles) <= 25
    x = image(1, 5, 5)
    out = T.RandomRotation((90, 90))(x).numpy()
    np.testing.assert_array_equal(out, np.rot90(x.numpy(), 1, axes=(1, 2)))


def test_random_affine_params_in_range():
    torchless.manual_seed(3)
    for _ in range(500):
        angle, (tx, ty), scale, (shx, shy) = T.RandomAffine.get_params([-5.0, 5.0], (0.2, 0.5), (0.9, 1.1),
                                                                        [-3.0, 3.0, 1.0, 2.0], [10, 20])
        assert -5 <= angle <= 5 and abs(tx) <= 2 and abs(ty) <= 10 and isinstance(tx, int)
        assert 0.9 <= scale <= 1.1 and -3 <= shx <= 3 and 1 <= shy <= 2
    assert T.RandomAffine.get_params([0.0, 0.0], None, None, None, [4, 4]) == (0.0, (0, 0), 1.0, (0.0, 0.0))


def test_random_resized_crop_params():
    torchless.manual_seed(4)
    x = image(1, 30, 40)
    for _ in range(300):
        i, j, h, w = T.RandomResizedCrop.get_params(x, (0.1, 0.5), (0.5, 2.0))
        assert 0 <= i <= 30 - h and 0 <= j <= 40 - w
        assert 0.1 * 1200 * 0.8 <= h * w <= 0.5 * 1200 * 1.2
        assert 0.5 * 0.8 <= w / h <= 2.0 * 1.25
    # impossible draws fall back to the central crop at the nearest allowed ratio
    assert T.RandomResizedCrop.get_params(image(1, 10, 40), (1.0, 1.0), (1.0, 1.0)) == (0, 15, 10, 10)
    out = T.RandomResizedCrop((5, 7))(x)
    assert tuple(out.shape) == (1, 5, 7)


def test_random_erasing_region_and_values():
    torchless.manual_seed(6)
    x = torchless.tensor(np.ones((3, 10, 10), np.float32))
    out = T.RandomErasing(p=1.0, value=(2, 3, 4))(x).numpy()
    mask = out[0] != 1
    rows, cols = np.nonzero(mask)
    assert mask.sum() > 0 and mask.sum() == (np.ptp(rows) + 1) * (np.ptp(cols) + 1)  # one rectangle
    assert 0.02 * 100 * 0.5 <= mask.sum() <= 0.33 * 100 * 1.5
    np.testing.assert_array_equal(out[:, mask], np.array([[2.0], [3.0], [4.0]]) * np.ones((1, mask.sum())))
    assert np.array_equal(x.numpy(), np.ones((3, 10, 10)))
    assert np.array_equal(T.RandomErasing(p=0.0)(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match=r"If value is a sequence, it should have either a single value or 3 "
                                         r"\(number of input channels\)"):
        T.RandomErasing(p=1.0, value=[1, 2])(x)


def test_random_apply_choice_order_frequencies():
    torchless.manual_seed(7)
    x = torchless.tensor(np.zeros((1, 1, 1), np.float32))
    add = [T.Lambda(lambda t, k=k: t + k) for k in (1, 10)]
    applied = [T.RandomApply(add, p=0.25)(x).item() for _ in range(4000)]
    assert set(applied) == {0.0, 11.0} and abs(np.mean(np.array(applied) == 11) - 0.25) < 0.03
    chosen = [T.RandomChoice(add, p=[3, 1])(x).item() for _ in range(4000)]
    assert set(chosen) == {1.0, 10.0} and abs(np.mean(np.array(chosen) == 1) - 0.75) < 0.03
    ops = [T.Lambda(lambda s: s + "a"), T.Lambda(lambda s: s + "b"), T.Lambda(lambda s: s + "c")]
    orders = {T.RandomOrder(ops)("") for _ in range(300)}
    assert orders == {"abc", "acb", "bac", "bca", "cab", "cba"}


def test_color_jitter_factors_in_range_and_identity():
    torchless.manual_seed(8)
    for _ in range(200):
        order, b, c, s, h = T.ColorJitter.get_params((0.5, 1.5), (0.8, 1.0), None, (-0.1, 0.2))
        assert sorted(order.tolist()) == [0, 1, 2, 3]
        assert 0.5 <= b <= 1.5 and 0.8 <= c <= 1.0 and s is None and -0.1 <= h <= 0.2
    x = image(3, 4, 4)
    np.testing.assert_array_equal(T.ColorJitter()(x).numpy(), x.numpy())
    # brightness alone: the output is the input times a factor in [0.5, 1.5]
    out = T.ColorJitter(brightness=0.5)(x).numpy()
    ratio = out / x.numpy()
    assert np.allclose(ratio, ratio.flat[0]) or out.max() == 1.0
    one = image(1, 4, 4)
    assert tuple(T.ColorJitter(0.2, 0.2, 0.2, 0.2)(one).shape) == (1, 4, 4)


def test_gaussian_blur_sigma_in_range():
    torchless.manual_seed(9)
    sigmas = [T.GaussianBlur.get_params(0.5, 1.5) for _ in range(1000)]
    assert 0.5 <= min(sigmas) < 0.55 and 1.45 < max(sigmas) <= 1.5


def test_random_invert_and_autocontrast_frequency():
    torchless.manual_seed(10)
    x = torchless.tensor(np.array([[[0.2, 0.4]]], np.float32))
    inverted = [np.allclose(T.RandomInvert(0.4)(x).numpy(), [[[0.8, 0.6]]]) for _ in range(3000)]
    assert abs(np.mean(inverted) - 0.4) < 0.04
    stretched = [np.allclose(T.RandomAutocontrast(0.7)(x).numpy(), [[[0.0, 1.0]]]) for _ in range(3000)]
    assert abs(np.mean(stretched) - 0.7) < 0.04


# ------------------------------------------------------------------------------- validation, reprs
@pytest.mark.parametrize("build, error, message", [
    (lambda: T.RandomCrop((1, 2, 3)), ValueError, "Please provide only two dimensions (h, w) for size."),
    (lambda: T.RandomRotation(-1), ValueError, "If degrees is a single number, it must be positive."),
    (lambda: T.RandomRotation([1, 2, 3]), ValueError, "degrees should be a sequence of length 2."),
    (lambda: T.RandomRotation(5, center=1), TypeError, "center should be a sequence of length 2."),
    (lambda: T.RandomRotation(5, fill={}), TypeError, "Fill should be either a sequence or a number."),
    (lambda: T.RandomAffine(5, translate=(0.1, 2)), ValueError, "translation values should be between 0 and 1"),
    (lambda: T.RandomAffine(5, scale=(0, 1)), ValueError, "scale values should be positive"),
    (lambda: T.RandomAffine(5, shear=[1, 2, 3]), ValueError, "shear should be a sequence of length 2 or 4."),
    (lambda: T.RandomResizedCrop(3, scale=0.5), TypeError, "Scale should be a sequence"),
    (lambda: T.RandomResizedCrop(3, ratio=1), TypeError, "Ratio should be a sequence"),
    (lambda: T.RandomErasing(value={}), TypeError, "Argument value should be either a number or str or a sequence"),
    (lambda: T.RandomErasing(value="x"), ValueError, "If value is str, it should be 'random'"),
    (lambda: T.RandomErasing(scale=(0.1, 1.5)), ValueError, "Scale should be between 0 and 1"),
    (lambda: T.RandomErasing(p=1.5), ValueError, "Random erasing probability should be between 0 and 1"),
    (lambda: T.RandomChoice(T.RandomInvert()), TypeError, "Argument transforms should be a sequence"),
    (lambda: T.RandomChoice([T.RandomInvert()], p=1), TypeError, "Argument p should be a sequence"),
    (lambda: T.ColorJitter(brightness=-1), ValueError, "If brightness is a single number, it must be non negative."),
    (lambda: T.ColorJitter(hue=0.6), ValueError, "hue values should be between (-0.5, 0.5), but got [-0.6, 0.6]."),
    (lambda: T.ColorJitter(contrast=[1, 2, 3]), TypeError,
     "contrast should be a single number or a list/tuple with length 2."),
    (lambda: T.GaussianBlur(4), ValueError, "Kernel size value should be an odd and positive number."),
    (lambda: T.GaussianBlur(3, 0), ValueError, "If sigma is a single number, it must be positive."),
    (lambda: T.GaussianBlur(3, (2, 1)), ValueError, "sigma values should be positive and of the form (min, max)."),
    (lambda: T.GaussianBlur(3, [1, 2, 3]), ValueError, "sigma should be a single number or a list/tuple with length 2."),
    (lambda: T.RandomPerspective(fill={}), TypeError, "Fill should be either a sequence or a number."),
    (lambda: T.FiveCrop((1, 2, 3)), ValueError, "Please provide only two dimensions (h, w) for size."),
    (lambda: T.TenCrop([]), ValueError, "Please provide only two dimensions (h, w) for size."),
])
def test_parameter_validation(build, error, message):
    with pytest.raises(error) as info:
        build()
    assert str(info.value) == message


def test_scale_ratio_order_warns():
    with pytest.warns(UserWarning, match=r"Scale and ratio should be of kind \(min, max\)"):
        T.RandomResizedCrop(3, scale=(1.0, 0.5))
    with pytest.warns(UserWarning, match=r"Scale and ratio should be of kind \(min, max\)"):
        T.RandomErasing(ratio=(2.0, 1.0))


@pytest.mark.parametrize("transform, text", [
    (T.RandomCrop(32, padding=4), "RandomCrop(size=(32, 32), padding=4)"),
    (T.RandomHorizontalFlip(), "RandomHorizontalFlip(p=0.5)"),
    (T.RandomVerticalFlip(0.2), "RandomVerticalFlip(p=0.2)"),
    (T.RandomRotation(10), "RandomRotation(degrees=[-10.0, 10.0], interpolation=nearest, expand=False, fill=0)"),
    (T.RandomRotation((0, 90), InterpolationMode.BILINEAR, True, (1, 2), 3),
     "RandomRotation(degrees=[0.0, 90.0], interpolation=bilinear, expand=True, center=(1, 2), fill=3)"),
    (T.RandomAffine(0), "RandomAffine(degrees=[0.0, 0.0])"),
    (T.RandomAffine(10, (0.1, 0.1), (0.9, 1.1), 5, InterpolationMode.BILINEAR, fill=1),
     "RandomAffine(degrees=[-10.0, 10.0], translate=(0.1, 0.1), scale=(0.9, 1.1), shear=[-5.0, 5.0], "
     "interpolation=bilinear, fill=1)"),
    (T.RandomResizedCrop(224),
     "RandomResizedCrop(size=(224, 224), scale=(0.08, 1.0), ratio=(0.75, 1.3333), interpolation=bilinear, "
     "antialias=True)"),
    (T.RandomErasing(), "RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False)"),
    (T.ColorJitter(0.4, 0, (0.5, 1.5), 0.1),
     "ColorJitter(brightness=(0.6, 1.4), contrast=None, saturation=(0.5, 1.5), hue=(-0.1, 0.1))"),
    (T.GaussianBlur(3), "GaussianBlur(kernel_size=(3, 3), sigma=(0.1, 2.0))"),
    (T.RandomInvert(), "RandomInvert(p=0.5)"),
    (T.RandomAutocontrast(0.1), "RandomAutocontrast(p=0.1)"),
    (T.RandomApply([T.RandomInvert()], p=0.3), "RandomApply(\n    p=0.3\n    RandomInvert(p=0.5)\n)"),
    (T.RandomChoice([T.RandomInvert()]), "RandomChoice(\n    RandomInvert(p=0.5)\n)(p=None)"),
    (T.RandomOrder([T.RandomInvert()]), "RandomOrder(\n    RandomInvert(p=0.5)\n)"),
    (T.RandomPerspective(0.3, p=0.2), "RandomPerspective(p=0.2)"),
    (T.RandomGrayscale(0.4), "RandomGrayscale(p=0.4)"),
    (T.FiveCrop(5), "FiveCrop(size=(5, 5))"),
    (T.TenCrop((3, 4), vertical_flip=True), "TenCrop(size=(3, 4), vertical_flip=True)"),
])
def test_reprs(transform, text):
    assert repr(transform) == text


def test_compose_augmentation_pipeline_on_array_images():
    torchless.manual_seed(11)
    pipeline = T.Compose([T.RandomCrop(24, padding=2), T.RandomHorizontalFlip(), T.ToTensor(),
                          T.RandomErasing(p=1.0)])
    out = pipeline(np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8))
    assert isinstance(out, torchless.Tensor) and tuple(out.shape) == (1, 24, 24)
