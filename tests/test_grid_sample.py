"""affine_grid and grid_sample, the Spatial Transformer's ops.

Checked against slow per-pixel float64 references written from the definitions (no torch needed), by float64 finite
differences (input, grid and theta), and against PyTorch: every mode x padding_mode x align_corners, grids reaching
far outside [-1, 1], non-finite grid values, grad_fn names, dtypes, warnings, error types and messages.
"""
import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import torchless
import torchless.nn.functional as F
from helpers import assert_matches_torch, assert_same_error, examples, finite_difference_check, tensor

MODES = ("bilinear", "nearest", "bicubic")
PADDINGS = ("zeros", "border", "reflection")
ALL = list(itertools.product(MODES, PADDINGS, (False, True)))
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-10)}


# --------------------------------------------------------------------------- slow references (float64, loops)
def reference_unnormalize(coord, size, align_corners):
    """-1 and 1 are the centres of the corner pixels (align_corners) or the outer edges of the image."""
    return (coord + 1) / 2 * (size - 1) if align_corners else ((coord + 1) * size - 1) / 2


def reference_reflect(coord, low, high):
    """Fold ``coord`` into [low, high] by reflecting at the ends, as many times as it takes."""
    if high == low:
        return 0.0
    span = high - low
    distance = abs(coord - low)
    flips = math.floor(distance / span)
    extra = math.fmod(distance, span)
    return low + extra if flips % 2 == 0 else high - extra


def reference_pad(coord, size, padding_mode, align_corners):
    """A pixel coordinate moved inside by the padding mode (zeros leaves it where it is)."""
    if padding_mode == "reflection":
        coord = reference_reflect(coord, 0, size - 1) if align_corners else reference_reflect(coord, -0.5, size - 0.5)
    if padding_mode in ("border", "reflection"):
        coord = min(max(coord, 0.0), size - 1.0)
    return coord


def reference_pixel(image, row, col):
    """image[:, row, col], or zeros outside the image."""
    height, width = image.shape[1:]
    if 0 <= row < height and 0 <= col < width:
        return image[:, row, col]
    return np.zeros(image.shape[0])


def reference_cubic(t):
    """The cubic convolution kernel with A = -0.75 at distance t."""
    a, t = -0.75, abs(t)
    if t <= 1:
        return ((a + 2) * t - (a + 3)) * t * t + 1
    if t < 2:
        return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return 0.0


def reference_grid_sample(x, grid, mode, padding_mode, align_corners):
    """grid_sample one output point at a time."""
    x, grid = np.asarray(x, np.float64), np.asarray(grid, np.float64)
    n, c, height, width = x.shape
    out = np.zeros((n, c) + grid.shape[1:3])
    for b, i, j in np.ndindex(n, *grid.shape[1:3]):
        gx, gy = grid[b, i, j]
        px = reference_unnormalize(gx, width, align_corners)
        py = reference_unnormalize(gy, height, align_corners)
        if mode == "bicubic":
            x0, y0 = math.floor(px), math.floor(py)
            value = np.zeros(c)
            for dy, dx in itertools.product(range(-1, 3), repeat=2):
                row = int(reference_pad(y0 + dy, height, padding_mode, align_corners))
                col = int(reference_pad(x0 + dx, width, padding_mode, align_corners))
                value += reference_cubic(px - (x0 + dx)) * reference_cubic(py - (y0 + dy)) * \
                    reference_pixel(x[b], row, col)
        else:
            px = reference_pad(px, width, padding_mode, align_corners)
            py = reference_pad(py, height, padding_mode, align_corners)
            if mode == "nearest":
                value = reference_pixel(x[b], round(py), round(px))  # round: half to even
            else:
                x0, y0 = math.floor(px), math.floor(py)
                value = np.zeros(c)
                for dy, dx in itertools.product((0, 1), repeat=2):
                    weight = (1 - abs(px - (x0 + dx))) * (1 - abs(py - (y0 + dy)))
                    value += weight * reference_pixel(x[b], y0 + dy, x0 + dx)
        out[b, :, i, j] = value
    return out


def reference_affine_grid(theta, size, align_corners):
    """grid[n, ..., :] = theta[n] @ [x, y(, z), 1] with x, y, z the pixel centres in [-1, 1]."""
    theta = np.asarray(theta, np.float64)
    spatial = size[2:]

    def centre(i, steps):
        if steps == 1:
            return 0.0
        position = -1 + 2 * i / (steps - 1)
        return position if align_corners else position * (steps - 1) / steps

    out = np.zeros((size[0],) + tuple(spatial) + (len(spatial),))
    for b in range(size[0]):
        for index in np.ndindex(*spatial):
            point = [centre(i, s) for i, s in zip(reversed(index), reversed(spatial))] + [1.0]
            out[(b,) + index] = theta[b] @ np.array(point)
    return out


def sample(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return F.grid_sample(*args, **kwargs)


def random_case(rng, shape=(2, 3, 4, 5), out_hw=(3, 4), reach=2.5):
    """An input and a grid reaching well outside [-1, 1] (reflected several times for small images)."""
    x = rng.standard_normal(shape)
    grid = rng.uniform(-reach, reach, (shape[0],) + out_hw + (2,))
    return x, grid


# --------------------------------------------------------------------------- values against the references
@pytest.mark.parametrize("mode,padding_mode,align_corners", ALL)
def test_grid_sample_matches_reference(mode, padding_mode, align_corners):
    rng = np.random.default_rng(0)
    for shape in [(2, 3, 4, 5), (1, 2, 1, 3), (1, 1, 1, 1), (1, 2, 2, 2), (1, 1, 6, 2)]:
        x, grid = random_case(rng, shape, reach=3.5)
        out = sample(tensor(x), tensor(grid), mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        expected = reference_grid_sample(x, grid, mode, padding_mode, align_corners)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@given(st.integers(1, 5), st.integers(1, 5), st.sampled_from(ALL), st.integers(0, 2**32 - 1))
@examples(30)
def test_grid_sample_matches_reference_random_sizes(height, width, case, seed):
    mode, padding_mode, align_corners = case
    x, grid = random_case(np.random.default_rng(seed), (1, 2, height, width), (2, 3), reach=4.0)
    out = sample(tensor(x), tensor(grid), mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    np.testing.assert_allclose(out.numpy(), reference_grid_sample(x, grid, mode, padding_mode, align_corners),
                               rtol=1e-12, atol=1e-12)


def test_identity_grid_reproduces_the_image():
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 6)).astype(np.float32)
    theta = tensor(np.tile(np.eye(2, 3, dtype=np.float32), (2, 1, 1)))
    for align_corners in (False, True):
        grid = F.affine_grid(theta, (2, 3, 5, 6), align_corners=align_corners)
        for mode in MODES:
            out = F.grid_sample(tensor(x), grid, mode=mode, align_corners=align_corners)
            np.testing.assert_allclose(out.numpy(), x, atol=1e-5)


@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_reference(align_corners):
    rng = np.random.default_rng(2)
    for size in [(2, 3, 4, 5), (1, 1, 1, 4), (2, 1, 3, 1), (1, 1, 1, 1), (2, 3, 2, 3, 4), (1, 1, 1, 2, 1)]:
        theta = rng.standard_normal((size[0],) + ((2, 3) if len(size) == 4 else (3, 4)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unit sizes with align_corners warn
            grid = F.affine_grid(tensor(theta), size, align_corners=align_corners)
        np.testing.assert_allclose(grid.numpy(), reference_affine_grid(theta, size, align_corners),
                                   rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- gradients by finite differences
@pytest.mark.parametrize("mode,padding_mode,align_corners", ALL)
def test_grid_sample_gradients_by_finite_differences(mode, padding_mode, align_corners):
    x, grid = random_case(np.random.default_rng(3), (2, 2, 3, 4), (2, 3))
    if mode == "nearest":  # piecewise constant in the grid: only the input's gradient, and the grid's is 0
        finite_difference_check(lambda t: sample(t, tensor(grid), mode=mode, padding_mode=padding_mode,
                                                 align_corners=align_corners), [x])
        g = tensor(grid, requires_grad=True)
        sample(tensor(x), g, mode=mode, padding_mode=padding_mode, align_corners=align_corners).sum().backward()
        assert np.array_equal(g.grad.numpy(), np.zeros_like(grid))
        return
    finite_difference_check(lambda t, g: sample(t, g, mode=mode, padding_mode=padding_mode,
                                                align_corners=align_corners), [x, grid], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_gradients_by_finite_differences(align_corners):
    rng = np.random.default_rng(4)
    finite_difference_check(lambda t: F.affine_grid(t, (2, 1, 3, 4), align_corners=align_corners),
                            [rng.standard_normal((2, 2, 3))])
    finite_difference_check(lambda t: F.affine_grid(t, (1, 1, 2, 3, 2), align_corners=align_corners),
                            [rng.standard_normal((1, 3, 4))])


@pytest.mark.parametrize("mode,padding_mode", [("bilinear", "zeros"), ("bicubic", "border"),
                                               ("bilinear", "reflection")])
def test_spatial_transformer_theta_gradient_by_finite_differences(mode, padding_mode):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 2, 5, 4))
    theta = np.tile(np.eye(2, 3), (2, 1, 1)) + 0.3 * rng.standard_normal((2, 2, 3))

    def transform(image, t):
        grid = F.affine_grid(t, (2, 2, 3, 4), align_corners=False)
        return F.grid_sample(image, grid, mode=mode, padding_mode=padding_mode, align_corners=False)

    finite_difference_check(transform, [x, theta], rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- against PyTorch
@pytest.mark.parametrize("mode,padding_mode,align_corners", ALL)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grid_sample_matches_torch(mode, padding_mode, align_corners, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    for shape, out_hw in [((2, 3, 4, 5), (6, 7)), ((1, 2, 1, 3), (2, 2)), ((1, 1, 1, 1), (3, 1)),
                          ((3, 1, 7, 2), (1, 5))]:
        x, grid = (a.astype(dtype) for a in random_case(rng, shape, out_hw, reach=3.0))
        ours = [tensor(x, requires_grad=True), tensor(grid, requires_grad=True)]
        theirs = [torch.tensor(x, requires_grad=True), torch.tensor(grid, requires_grad=True)]
        kwargs = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        assert_matches_torch(F.grid_sample(*ours, **kwargs), torch.nn.functional.grid_sample(*theirs, **kwargs),
                             ours, theirs, TOL[dtype], rng)


def test_grid_sample_float16_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x, grid = (a.astype(np.float16) for a in random_case(rng, (2, 3, 4, 5), (3, 3), reach=1.2))
    for mode, padding_mode in itertools.product(MODES, PADDINGS):
        kwargs = dict(mode=mode, padding_mode=padding_mode, align_corners=False)
        ours = F.grid_sample(tensor(x), tensor(grid), **kwargs)
        theirs = torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(grid), **kwargs)
        assert ours.dtype == torchless.float16
        np.testing.assert_allclose(ours.numpy().astype(np.float64), theirs.numpy().astype(np.float64),
                                   rtol=2e-2, atol=2e-2)


def test_grid_sample_non_finite_grid_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.arange(1, 10, dtype=np.float32).reshape(1, 1, 3, 3)
    for value, (mode, padding_mode, align_corners) in itertools.product(
            [np.nan, np.inf, -np.inf, 1e20, -1e20], ALL):
        grid = np.array([[[[value, 0.2]]]], np.float32)
        kwargs = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        ours = F.grid_sample(tensor(x), tensor(grid), **kwargs).numpy()
        theirs = torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(grid), **kwargs).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, err_msg=str((value, kwargs)))


def test_grid_sample_empty_batch_channels_and_grid_match_torch():
    torch = pytest.importorskip("torch")
    for x_shape, grid_shape in [((0, 3, 4, 5), (0, 2, 2, 2)), ((2, 0, 4, 5), (2, 2, 2, 2)),
                                ((2, 3, 4, 5), (2, 0, 3, 2))]:
        x, grid = np.ones(x_shape, np.float32), np.zeros(grid_shape, np.float32)
        ours = F.grid_sample(tensor(x, requires_grad=True), tensor(grid), align_corners=False)
        theirs = torch.nn.functional.grid_sample(torch.tensor(x, requires_grad=True), torch.tensor(grid),
                                                 align_corners=False)
        assert ours.shape == tuple(theirs.shape)
        assert ours.grad_fn.name() == theirs.grad_fn.name()


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_affine_grid_matches_torch(align_corners, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    for size in [(2, 3, 4, 5), (2, 1, 1, 5), (2, 3, 1, 1), (2, 3, 8, 3), (2, 1, 2, 3, 4), (2, 1, 1, 1, 3)]:
        theta = rng.standard_normal((2,) + ((2, 3) if len(size) == 4 else (3, 4))).astype(dtype)
        ours, theirs = [tensor(theta, requires_grad=True)], [torch.tensor(theta, requires_grad=True)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_matches_torch(F.affine_grid(ours[0], size, align_corners=align_corners),
                                 torch.nn.functional.affine_grid(theirs[0], size, align_corners=align_corners),
                                 ours, theirs, TOL[dtype], rng)


def test_spatial_transformer_matches_torch():
    """The tutorial's pipeline: theta -> affine_grid -> grid_sample, gradients back to the image and theta."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 1, 28, 28)).astype(np.float32)
    theta = (np.tile(np.eye(2, 3), (4, 1, 1)) + 0.2 * rng.standard_normal((4, 2, 3))).astype(np.float32)
    ours = [tensor(x, requires_grad=True), tensor(theta, requires_grad=True)]
    theirs = [torch.tensor(x, requires_grad=True), torch.tensor(theta, requires_grad=True)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = F.grid_sample(ours[0], F.affine_grid(ours[1], (4, 1, 28, 28)))
        tf = torch.nn.functional
        expected = tf.grid_sample(theirs[0], tf.affine_grid(theirs[1], (4, 1, 28, 28)))
    assert_matches_torch(out, expected, ours, theirs, dict(rtol=1e-4, atol=1e-4), rng)


# --------------------------------------------------------------------------- warnings
def warnings_of(call):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        call()
    return [(w.category, str(w.message)) for w in record]


def test_warnings_match_torch():
    torch = pytest.importorskip("torch")
    x, grid, theta = np.zeros((1, 1, 2, 2), np.float32), np.zeros((1, 1, 1, 2), np.float32), np.eye(2, 3)[None]
    calls = [
        (lambda m: m.nn.functional.grid_sample(m.tensor(x), m.tensor(grid)), True),
        (lambda m: m.nn.functional.grid_sample(m.tensor(x), m.tensor(grid), align_corners=False), False),
        (lambda m: m.nn.functional.affine_grid(m.tensor(theta), (1, 1, 2, 2)), True),
        (lambda m: m.nn.functional.affine_grid(m.tensor(theta), (1, 1, 1, 2), align_corners=True), True),
        (lambda m: m.nn.functional.affine_grid(m.tensor(theta), (1, 1, 1, 2), align_corners=False), False),
    ]
    for call, warns in calls:
        expected = warnings_of(lambda: call(torch))
        assert bool(expected) == warns
        assert warnings_of(lambda: call(torchless)) == expected


def test_default_align_corners_warning_points_at_the_caller():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        F.grid_sample(tensor(np.zeros((1, 1, 2, 2))), tensor(np.zeros((1, 1, 1, 2))))
    assert record[0].filename == __file__


# --------------------------------------------------------------------------- errors
def test_grid_sample_errors_match_torch():
    torch = pytest.importorskip("torch")
    x = np.zeros((2, 3, 4, 5), np.float32)
    g = np.zeros((2, 6, 7, 2), np.float32)
    cases = [
        (x, g[:1], {}), (x, g[..., :1], {}), (x[0], g, {}), (x, g[0], {}), (x[:, :, :0], g, {}),
        (np.zeros((2, 3, 4), np.float32), np.zeros((2, 6, 7, 1), np.float32), {}),
        (x, np.zeros((2, 6, 1, 1, 2), np.float32), {}),
        (np.zeros((2, 3, 4, 5, 6), np.float32), np.zeros((2, 6, 1, 3), np.float32), {}),
        (np.zeros((2, 3, 4, 5, 6), np.float32), np.zeros((2, 1, 2, 3, 3), np.float32), {"mode": "bicubic"}),
        (x, g.astype(np.float64), {}), (x.astype(np.float64), g, {}), (x, g.astype(np.float16), {}),
        (x, g.astype(np.int64), {}), (x.astype(np.int64), g.astype(np.int64), {}),
        (np.zeros(()), g, {}), (x, np.zeros(()), {}), (np.zeros(3, np.float32), g, {}),
        (x, g, {"mode": "linear"}), (x, g, {"padding_mode": "wrap"}), (x, g, {"mode": None}),
        (x, g, {"align_corners": 1}),
    ]
    for a, b, kwargs in cases:
        kwargs = {"align_corners": False, **kwargs}
        assert_same_error(lambda: torch.nn.functional.grid_sample(torch.tensor(a), torch.tensor(b), **kwargs),
                          lambda: F.grid_sample(tensor(a), tensor(b), **kwargs))
    assert_same_error(lambda: torch.nn.functional.grid_sample(torch.tensor(x), [1.0], align_corners=False),
                      lambda: F.grid_sample(tensor(x), [1.0], align_corners=False))
    assert_same_error(lambda: torch.nn.functional.grid_sample([1.0], torch.tensor(g), align_corners=False),
                      lambda: F.grid_sample([1.0], tensor(g), align_corners=False))


def test_affine_grid_errors_match_torch():
    torch = pytest.importorskip("torch")
    theta = np.zeros((2, 2, 3), np.float32)
    cases = [
        (theta.astype(np.int64), (2, 3, 4, 5), False), (theta, (2, 3, 4), False), (theta, (2, 3, 4, 5, 6), False),
        (theta[:, :1], (2, 3, 4, 5), False), (theta[0], (2, 3, 4, 5), False), (theta, (3, 3, 4, 5), False),
        (theta, (2, 3, 0, 5), False), (theta, (2, 0, 4, 5), False), (theta, (2, 3, 0, 5), True),
        (theta, (2.0, 3, 4, 5), True), (np.zeros((2, 3, 4), np.float32), (1, 1, 2, 3, 4), False),
        (np.zeros((2, 3, 4), np.float32), (2, 1, 2, 3), False),
    ]
    for t, size, align_corners in cases:
        assert_same_error(lambda: torch.nn.functional.affine_grid(torch.tensor(t), size, align_corners=align_corners),
                          lambda: F.affine_grid(tensor(t), size, align_corners=align_corners))
    assert_same_error(lambda: torch.nn.functional.affine_grid([1.0], (2, 3, 4, 5), align_corners=False),
                      lambda: F.affine_grid([1.0], (2, 3, 4, 5), align_corners=False))
    assert_same_error(lambda: torch.nn.functional.affine_grid(torch.tensor(theta), 5, align_corners=False),
                      lambda: F.affine_grid(tensor(theta), 5, align_corners=False))


def test_affine_grid_accepts_a_size_object():
    theta = tensor(np.eye(2, 3)[None])
    grid = F.affine_grid(theta, torchless.Size([1, 3, 2, 4]), align_corners=False)
    assert grid.shape == (1, 2, 4, 2)
    np.testing.assert_allclose(grid.numpy()[0, 0, :, 0], [-0.75, -0.25, 0.25, 0.75])
    np.testing.assert_allclose(grid.numpy()[0, :, 0, 1], [-0.5, 0.5])


def test_nearest_rounds_half_pixels_to_even():
    """Points exactly between two pixels take the even one (the kernel's nearbyint), not the one above."""
    x = np.arange(5.0).reshape(1, 1, 1, 5)
    xs = np.array([-0.75, -0.25, 0.25, 0.75])  # pixel positions 0.5, 1.5, 2.5, 3.5 with align_corners
    grid = np.stack([xs, np.zeros(4)], axis=-1).reshape(1, 1, 4, 2)
    out = F.grid_sample(tensor(x), tensor(grid), mode="nearest", align_corners=True)
    np.testing.assert_array_equal(out.numpy().ravel(), [0.0, 2.0, 2.0, 4.0])
    np.testing.assert_array_equal(out.numpy(), reference_grid_sample(x, grid, "nearest", "zeros", True))
