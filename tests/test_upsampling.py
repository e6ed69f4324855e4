"""interpolate in every mode, the deprecated upsample wrappers, pixel_shuffle / pixel_unshuffle / channel_shuffle and
their layers (Upsample, UpsamplingNearest2d, UpsamplingBilinear2d, PixelShuffle, PixelUnshuffle, ChannelShuffle).

Checked against slow per-pixel float64 references written from the definitions (no torch needed), by float64 finite
differences, and against PyTorch: values for many sizes and scale factors, gradients, grad_fn names, dtypes, error
types and messages, warnings and module reprs, PyTorch's own quirks included.
"""
import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import assert_matches_torch, assert_same_error, examples, finite_difference_check, \
    modules_with_same_repr, outcome, tensor

FAST = examples(40)
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-10)}
LINEAR_MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}


# --------------------------------------------------------------------------- slow references (float64, loops)
def source_scale(size, out, align_corners, scale_factor):
    """Input pixels per output pixel: (in - 1) / (out - 1) with corners aligned, else 1 / scale_factor or in / out."""
    if align_corners:
        return (size - 1) / (out - 1) if out > 1 else 0.0
    return 1 / scale_factor if scale_factor else size / out


def reference_nearest(x, out_size, exact=False):
    """Output pixel i copies input pixel floor(i * in / out), or floor((i + 0.5) * in / out) for nearest-exact."""
    x = np.asarray(x, np.float64)
    in_size = x.shape[2:]
    out = np.zeros(x.shape[:2] + tuple(out_size))
    for position in np.ndindex(*out_size):
        source = tuple(min(math.floor((i + 0.5 * exact) * n / o), n - 1)
                       for i, n, o in zip(position, in_size, out_size))
        out[(...,) + position] = x[(...,) + source]
    return out


def reference_linear(x, out_size, align_corners=False, scale_factors=None):
    """(Bi/tri)linear interpolation pixel by pixel: the 2^d neighbours of each output's source position.

    The source of output i is i * scale with corners aligned, else (i + 0.5) * scale - 0.5 clamped at 0; an axis
    whose size does not change is copied (PyTorch's kernels do so whatever the scale_factor).
    """
    x = np.asarray(x, np.float64)
    in_size = x.shape[2:]
    scale_factors = scale_factors or [None] * len(in_size)
    out = np.zeros(x.shape[:2] + tuple(out_size))
    for position in np.ndindex(*out_size):
        corners = []
        for i, n, o, s in zip(position, in_size, out_size, scale_factors):
            if n == o:
                corners.append([(i, 1.0)])
                continue
            scale = source_scale(n, o, align_corners, s)
            src = scale * i if align_corners else max(scale * (i + 0.5) - 0.5, 0.0)
            low = min(math.floor(src), n - 1)
            frac = min(src - low, 1.0)
            corners.append([(low, 1 - frac), (min(low + 1, n - 1), frac)])
        for taps in itertools.product(*corners):
            weight = math.prod(w for _, w in taps)
            out[(...,) + position] += weight * x[(...,) + tuple(j for j, _ in taps)]
    return out


def cubic_kernel(t, a):
    """Keys' cubic convolution kernel with parameter a."""
    t = abs(t)
    if t <= 1:
        return (a + 2) * t ** 3 - (a + 3) * t ** 2 + 1
    if t < 2:
        return a * t ** 3 - 5 * a * t ** 2 + 8 * a * t - 4 * a
    return 0.0


def reference_bicubic(x, out_size, align_corners=False, scale_factors=None):
    """Bicubic interpolation of (N, C, H, W) pixel by pixel: 4 x 4 taps around each source position, weights of
    the cubic convolution with a = -0.75, taps beyond the border reading the border pixel. Unlike the linear modes,
    the source is not clamped at 0 and unchanged sizes are resampled too."""
    x = np.asarray(x, np.float64)
    (H, W), (OH, OW) = x.shape[2:], out_size
    sy_, sx_ = scale_factors or (None, None)
    out = np.zeros(x.shape[:2] + (OH, OW))
    for oy, ox in np.ndindex(OH, OW):
        taps = []
        for i, n, o, s in ((oy, H, OH, sy_), (ox, W, OW, sx_)):
            scale = source_scale(n, o, align_corners, s)
            src = scale * i if align_corners else scale * (i + 0.5) - 0.5
            base = math.floor(src)
            t = src - base
            taps.append([(min(max(base + k, 0), n - 1), cubic_kernel(t - k, -0.75)) for k in (-1, 0, 1, 2)])
        for (jy, wy), (jx, wx) in itertools.product(*taps):
            out[:, :, oy, ox] += wy * wx * x[:, :, jy, jx]
    return out


def reference_area(x, out_size):
    """Each output pixel averages its window [floor(i * in / out), ceil((i + 1) * in / out)) along every axis."""
    x = np.asarray(x, np.float64)
    in_size = x.shape[2:]
    out = np.zeros(x.shape[:2] + tuple(out_size))
    for position in np.ndindex(*out_size):
        window = tuple(slice(i * n // o, -(-(i + 1) * n // o)) for i, n, o in zip(position, in_size, out_size))
        out[(...,) + position] = x[(...,) + window].mean(axis=tuple(range(2, x.ndim)))
    return out


def lanczos3(t):
    return np.sinc(t) * np.sinc(t / 3) if -3 <= t < 3 else 0.0


ANTIALIAS_FILTERS = {"bilinear": (lambda t: max(0.0, 1 - abs(t)), 1.0),
                     "bicubic": (lambda t: cubic_kernel(t, -0.5), 2.0),
                     "lanczos": (lanczos3, 3.0)}


def reference_antialias(x, out_size, mode):
    """Pillow's resampling of (N, C, H, W) pixel by pixel: output i centred at (i + 0.5) * scale in the input;
    every input pixel j whose centre j + 0.5 lies within the filter's support (stretched by the scale when
    downsampling) weighs filter((j + 0.5 - centre) / max(scale, 1)); the weights are normalised to sum to 1."""
    x = np.asarray(x, np.float64)
    kernel, radius = ANTIALIAS_FILTERS[mode]
    weights = []
    for n, o in zip(x.shape[2:], out_size):
        scale = n / o
        stretch = max(scale, 1.0)
        rows = np.zeros((o, n))
        for i in range(o):
            centre = (i + 0.5) * scale
            lo, hi = max(int(centre - radius * stretch + 0.5), 0), min(int(centre + radius * stretch + 0.5), n)
            for j in range(lo, hi):
                rows[i, j] = kernel((j + 0.5 - centre) / stretch)
            rows[i] /= rows[i].sum()
        weights.append(rows)
    out = np.zeros(x.shape[:2] + tuple(out_size))
    for oy, ox in np.ndindex(*out_size):
        for jy, jx in np.ndindex(*x.shape[2:]):
            out[:, :, oy, ox] += weights[0][oy, jy] * weights[1][ox, jx] * x[:, :, jy, jx]
    return out


def reference_pixel_shuffle(x, r):
    """output[..., c, h * r + i, w * r + j] = input[..., c * r * r + i * r + j, h, w]."""
    *lead, C, H, W = x.shape
    out = np.zeros((*lead, C // (r * r), H * r, W * r), x.dtype)
    for c, h, w, i, j in itertools.product(range(C // (r * r)), range(H), range(W), range(r), range(r)):
        out[..., c, h * r + i, w * r + j] = x[..., c * r * r + i * r + j, h, w]
    return out


def reference_channel_shuffle(x, groups):
    """Channel g * (C / groups) + k moves to k * groups + g."""
    C = x.shape[1]
    out = np.zeros_like(x)
    for g, k in itertools.product(range(groups), range(C // groups)):
        out[:, k * groups + g] = x[:, g * (C // groups) + k]
    return out


# --------------------------------------------------------------------------- hand-computed values
def test_hand_examples():
    x = tensor(np.array([[[0.0, 10.0, 20.0]]]))
    assert F.interpolate(x, size=6).tolist() == [[[0, 0, 10, 10, 20, 20]]]
    assert F.interpolate(x, size=2, mode="nearest-exact").tolist() == [[[0, 20]]]  # centres 0.75 and 2.25
    assert F.interpolate(x, size=2).tolist() == [[[0, 10]]]  # floor(0 * 1.5), floor(1 * 1.5)
    assert F.interpolate(x, size=5, mode="linear", align_corners=True).tolist() == [[[0, 5, 10, 15, 20]]]
    assert F.interpolate(x, size=1, mode="area").tolist() == [[[10]]]
    # corners aligned, a 2 x 2 image to 3 x 3 puts the centre at the mean of the four pixels
    y = F.interpolate(tensor(np.array([[[[0.0, 4.0], [8.0, 12.0]]]])), size=3, mode="bicubic", align_corners=True)
    assert y.tolist()[0][0][1][1] == pytest.approx(6.0)
    assert y.tolist()[0][0][0] == pytest.approx([0, 2, 4])


def test_pixel_shuffle_hand_example():
    x = tensor(np.arange(8.0).reshape(1, 4, 1, 2))
    # channel c * 4 + i * 2 + j of pixel (0, w) lands at (i, 2 w + j)
    assert F.pixel_shuffle(x, 2).tolist() == [[[[0, 2, 1, 3], [4, 6, 5, 7]]]]
    assert F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2).tolist() == x.tolist()
    assert F.channel_shuffle(tensor(np.arange(6.0).reshape(1, 6, 1)), 2).tolist() == [[[0], [3], [1], [4], [2], [5]]]


# --------------------------------------------------------------------------- against the slow references
@st.composite
def dyadic_resizes(draw):
    """An input and an output size per axis whose ratio is a power of two, so that nearest's source positions are
    exact in float32 too (PyTorch rounds them there)."""
    dim = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 6)) for _ in range(dim)]
    outs = [int(n * 2 ** draw(st.integers(-2 if n % 4 == 0 else 0, 3))) for n in sizes]
    return (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *sizes), outs


@FAST
@given(dyadic_resizes(), st.sampled_from(["nearest", "nearest-exact"]), st.sampled_from([np.float32, np.float64]))
def test_nearest_matches_reference(resize, mode, dtype):
    shape, out = resize
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    actual = F.interpolate(tensor(x), size=out, mode=mode)
    assert actual.dtype.name == np.dtype(dtype).name
    np.testing.assert_array_equal(actual.numpy(), reference_nearest(x, out, exact=mode == "nearest-exact"))


@st.composite
def resizes(draw, dims=(1, 2, 3), max_size=7):
    """(shape, keyword arguments of interpolate, output size): a size, or a scale factor up or down."""
    dim = draw(st.sampled_from(dims))
    sizes = [draw(st.integers(1, max_size)) for _ in range(dim)]
    if draw(st.booleans()):
        out = [draw(st.integers(1, 2 * max_size)) for _ in range(dim)]
        kwargs = dict(size=out)
    else:
        factors = [draw(st.sampled_from([0.5, 0.75, 1.25, 1.5, 2.0, 2.5, 3.0])) for _ in range(dim)]
        out = [math.floor(n * f) for n, f in zip(sizes, factors)]
        if min(out) < 1:
            out = [max(o, 1) for o in out]
            factors = [o / n if o == 1 else f for o, n, f in zip(out, sizes, factors)]
            out = [math.floor(n * f) for n, f in zip(sizes, factors)]
        kwargs = dict(scale_factor=factors)
    return (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *sizes), kwargs, out


@FAST
@given(resizes(), st.booleans(), st.sampled_from([np.float32, np.float64]))
def test_linear_modes_match_reference(resize, align_corners, dtype):
    shape, kwargs, out = resize
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    mode = LINEAR_MODES[len(shape) - 2]
    actual = F.interpolate(tensor(x), mode=mode, align_corners=align_corners, **kwargs)
    expected = reference_linear(x, out, align_corners, kwargs.get("scale_factor"))
    np.testing.assert_allclose(actual.numpy(), expected, **TOL[dtype])


@FAST
@given(resizes(dims=(2,)), st.booleans(), st.sampled_from([np.float32, np.float64]))
def test_bicubic_matches_reference(resize, align_corners, dtype):
    shape, kwargs, out = resize
    x = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    actual = F.interpolate(tensor(x), mode="bicubic", align_corners=align_corners, **kwargs)
    expected = reference_bicubic(x, out, align_corners, kwargs.get("scale_factor"))
    np.testing.assert_allclose(actual.numpy(), expected, **TOL[dtype])


@FAST
@given(resizes(max_size=9), st.sampled_from([np.float32, np.float64]))
def test_area_matches_reference(resize, dtype):
    shape, kwargs, out = resize
    x = np.random.default_rng(3).standard_normal(shape).astype(dtype)
    actual = F.interpolate(tensor(x), mode="area", **kwargs)
    np.testing.assert_allclose(actual.numpy(), reference_area(x, out), **TOL[dtype])


@FAST
@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 12), st.integers(2, 12),
       st.sampled_from(["bilinear", "bicubic", "lanczos"]), st.sampled_from([np.float32, np.float64]))
def test_antialias_matches_reference(h, w, out_h, out_w, mode, dtype):
    # an output one pixel wide is left out: PyTorch mishandles it (test_antialias_output_one_pixel_wide)
    x = np.random.default_rng(4).standard_normal((2, 2, h, w)).astype(dtype)
    actual = F.interpolate(tensor(x), size=(out_h, out_w), mode=mode, antialias=True)
    np.testing.assert_allclose(actual.numpy(), reference_antialias(x, (out_h, out_w), mode), **TOL[dtype])


def test_upsample_bilinear_aligns_corners_and_upsample_nearest_floors():
    x = np.random.default_rng(5).standard_normal((1, 2, 3, 4))
    with pytest.warns(UserWarning, match="upsample_bilinear` is deprecated"):
        y = F.upsample_bilinear(tensor(x), scale_factor=2)
    np.testing.assert_allclose(y.numpy(), reference_linear(x, (6, 8), align_corners=True), rtol=1e-12, atol=1e-12)
    with pytest.warns(UserWarning, match="upsample_nearest` is deprecated"):
        y = F.upsample_nearest(tensor(x), (6, 4))
    np.testing.assert_array_equal(y.numpy(), reference_nearest(x, (6, 4)))
    with pytest.warns(UserWarning, match="`nn.functional.upsample` is deprecated"):
        y = F.upsample(tensor(x), None, 2, "bicubic")
    np.testing.assert_allclose(y.numpy(), reference_bicubic(x, (6, 8), scale_factors=(2.0, 2.0)), atol=1e-12)


@FAST
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2))
def test_pixel_shuffle_matches_reference(r, c, h, w, extra):
    shape = (2,) * extra + (c * r * r, h, w)
    x = np.random.default_rng(6).standard_normal(shape)
    shuffled = F.pixel_shuffle(tensor(x), r)
    np.testing.assert_array_equal(shuffled.numpy(), reference_pixel_shuffle(x, r))
    np.testing.assert_array_equal(F.pixel_unshuffle(shuffled, r).numpy(), x)


@FAST
@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(1, 2))
def test_channel_shuffle_matches_reference(groups, per_group, extra, batch):
    x = np.random.default_rng(7).standard_normal((batch, groups * per_group) + (3,) * extra)
    np.testing.assert_array_equal(F.channel_shuffle(tensor(x), groups).numpy(), reference_channel_shuffle(x, groups))


def test_results_are_new_arrays():
    x = tensor(np.arange(8.0).reshape(1, 2, 2, 2))
    for y in (F.pixel_shuffle(x, 1), F.pixel_unshuffle(x, 1), F.channel_shuffle(x, 1), F.channel_shuffle(x, 2),
              F.interpolate(x, size=2, mode="bilinear"), F.interpolate(x, size=2)):
        assert not np.shares_memory(y.numpy(), x.numpy())


# --------------------------------------------------------------------------- gradients by finite differences
@pytest.mark.parametrize("call", [
    lambda a: F.interpolate(a, size=7),
    lambda a: F.interpolate(a, scale_factor=0.8, mode="nearest-exact"),
    lambda a: F.interpolate(a, size=9, mode="linear"),
    lambda a: F.interpolate(a, scale_factor=0.6, mode="linear", align_corners=True),
    lambda a: F.interpolate(a, size=2, mode="area"),
    lambda a: F.interpolate(a[:, :, None], size=(3, 7), mode="bilinear"),
    lambda a: F.interpolate(a[:, :, None], size=(2, 4), mode="bicubic"),
    lambda a: F.interpolate(a[:, :, None], scale_factor=(1.5, 1.75), mode="bicubic", align_corners=True),
    lambda a: F.interpolate(a[:, :, None], size=(3, 2), mode="bilinear", antialias=True),
    lambda a: F.interpolate(a[:, :, None], size=(1, 3), mode="bicubic", antialias=True),
    lambda a: F.interpolate(a[:, :, None], size=(2, 2), mode="lanczos", antialias=True),
    lambda a: F.interpolate(a[:, :, None], scale_factor=(2.5, 0.8), mode="area"),
    lambda a: F.interpolate(a[:, :, None, None], size=(2, 3, 4), mode="trilinear"),
    lambda a: F.interpolate(a[:, :, None, None], size=(2, 2, 3), mode="area"),
    lambda a: F.interpolate(a[:, :, None, None], size=(2, 1, 7), mode="nearest"),
    lambda a: F.upsample_bilinear(a[:, :, None], (2, 9)),
    lambda a: F.pixel_shuffle(a.reshape(1, 4, 2, 3), 2),
    lambda a: F.pixel_unshuffle(a.reshape(1, 1, 4, 6), 2),
    lambda a: F.channel_shuffle(a.reshape(2, 6, 2), 3),
])
def test_gradients_match_finite_differences(call):
    x = np.random.default_rng(8).standard_normal((2, 2, 6))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        finite_difference_check(call, [x])


# --------------------------------------------------------------------------- against PyTorch
TORCH_CASES = [
    # (input shape, keyword arguments)
    ((2, 3, 5), dict(size=12, mode="nearest")),
    ((2, 3, 5), dict(scale_factor=0.6, mode="nearest")),
    ((2, 3, 5), dict(scale_factor=1.7, mode="nearest-exact")),
    ((2, 3, 9), dict(size=4, mode="nearest-exact")),
    ((2, 3, 5), dict(size=11, mode="linear")),
    ((2, 3, 5), dict(scale_factor=2.3, mode="linear", align_corners=True)),
    ((2, 3, 8), dict(scale_factor=0.45, mode="linear", recompute_scale_factor=True)),
    ((2, 3, 9), dict(size=4, mode="area")),
    ((2, 3, 4), dict(scale_factor=2.5, mode="area")),
    ((2, 3, 5, 6), dict(size=(7, 13), mode="nearest")),
    ((2, 3, 5, 6), dict(scale_factor=(0.5, 2.4), mode="nearest")),
    ((2, 3, 5, 6), dict(scale_factor=(1.45, 0.7), mode="nearest-exact")),
    ((2, 3, 5, 6), dict(size=(8, 3), mode="bilinear")),
    ((2, 3, 5, 6), dict(scale_factor=1.7, mode="bilinear", align_corners=True)),
    ((2, 3, 5, 6), dict(size=(8, 3), mode="bicubic")),
    ((2, 3, 5, 6), dict(size=(9, 14), mode="bicubic", align_corners=True)),
    ((2, 3, 7, 9), dict(scale_factor=(0.4, 0.7), mode="bicubic")),
    ((2, 3, 7, 9), dict(scale_factor=(2.6, 1.3), mode="bicubic", align_corners=True, recompute_scale_factor=True)),
    ((2, 3, 6, 7), dict(size=(1, 1), mode="bicubic", align_corners=True)),
    ((2, 3, 11, 13), dict(size=(4, 5), mode="bilinear", antialias=True)),
    ((2, 3, 11, 13), dict(scale_factor=0.3, mode="bicubic", antialias=True)),
    ((2, 3, 5, 6), dict(size=(9, 4), mode="bicubic", antialias=True)),
    ((2, 3, 11, 13), dict(size=(4, 5), mode="bilinear", antialias=True, align_corners=True)),
    ((2, 3, 11, 13), dict(size=(3, 20), mode="lanczos", antialias=True)),
    ((2, 3, 6, 7), dict(size=(4, 9), mode="area")),
    ((2, 3, 6, 7), dict(scale_factor=0.45, mode="area")),
    ((1, 2, 3, 4, 5), dict(size=(5, 3, 7), mode="nearest")),
    ((1, 2, 3, 4, 5), dict(scale_factor=1.6, mode="nearest-exact")),
    ((1, 2, 3, 4, 5), dict(size=(5, 3, 7), mode="trilinear")),
    ((1, 2, 3, 4, 5), dict(scale_factor=(2.0, 0.5, 1.5), mode="trilinear", align_corners=True)),
    ((1, 2, 3, 4, 5), dict(size=(2, 5, 3), mode="area")),
]


@pytest.mark.parametrize("shape, kwargs", TORCH_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_interpolate_matches_torch(shape, kwargs, dtype):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(9).standard_normal(shape).astype(dtype)
    ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    assert_matches_torch(F.interpolate(ours, **kwargs), torch.nn.functional.interpolate(theirs, **kwargs),
                         [ours], [theirs], TOL[dtype], np.random.default_rng(10))


@st.composite
def torch_resizes(draw):
    """Any mode on its input rank, sizes up to 40, scale factors up and down (often non-integer)."""
    dim = draw(st.integers(1, 3))
    mode = draw(st.sampled_from({1: ["nearest", "nearest-exact", "linear", "area"],
                                 2: ["nearest", "nearest-exact", "bilinear", "bicubic", "area", "bilinear-aa",
                                     "bicubic-aa", "lanczos-aa"],
                                 3: ["nearest", "nearest-exact", "trilinear", "area"]}[dim]))
    sizes = [draw(st.integers(1, 40 if dim < 3 else 9)) for _ in range(dim)]
    kwargs = {}
    if mode.endswith("-aa"):
        mode, kwargs["antialias"] = mode[:-3], True
    kwargs["mode"] = mode
    if draw(st.booleans()):
        kwargs["size"] = [draw(st.integers(1, 60 if dim < 3 else 12)) for _ in range(dim)]
    else:
        factors = [draw(st.one_of(st.sampled_from([0.5, 1.0, 1.05, 2.0, 2.05, 3.0, 1 / 3]),
                                  st.floats(0.2, 4.0))) for _ in range(dim)]
        factors = [max(f, 1.0 / n) for f, n in zip(factors, sizes)]  # at least one output pixel
        kwargs["scale_factor"] = factors
        if draw(st.booleans()):
            kwargs["recompute_scale_factor"] = True
    if mode in ("linear", "bilinear", "bicubic", "trilinear"):
        kwargs["align_corners"] = draw(st.booleans())
    return (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *sizes), kwargs


@examples(150)
@given(torch_resizes(), st.sampled_from([np.float32, np.float64]))
def test_random_resizes_match_torch(resize, dtype):
    torch = pytest.importorskip("torch")
    shape, kwargs = resize
    x = np.random.default_rng(11).standard_normal(shape).astype(dtype)
    ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    expected = outcome(lambda: torch.nn.functional.interpolate(theirs, **kwargs))
    if hasattr(expected, "message"):  # an output size of 0 (floor(in * factor) = 0)
        assert_same_error(lambda: torch.nn.functional.interpolate(theirs, **kwargs),
                          lambda: F.interpolate(ours, **kwargs))
        return
    assert_matches_torch(F.interpolate(ours, **kwargs), expected, [ours], [theirs], TOL[dtype],
                         np.random.default_rng(12))


def test_nearest_source_indices_are_rounded_in_float32_as_torch():
    """Sizes where float32 and exact arithmetic disagree about the source pixel, in each kernel's own way: the
    2-D kernel floors (i + 0.5) * scale in float32, the 1-D and 3-D ones round (i + 0.5) * scale - 0.5 with a fused
    multiply-add; nearest floors i * float32(in / out), except that the 2-D kernel copies at out = in and halves
    indices at out = 2 in."""
    torch = pytest.importorskip("torch")
    cases = [((2,), 41), ((2,), 47), ((4,), 110), ((3,), 7), ((10,), 20), ((3,), 10)]
    for (n,), out in cases:
        for dim, mode, dtype in itertools.product((1, 2, 3), ("nearest", "nearest-exact"), (np.float32, np.float64)):
            x = np.arange(n, dtype=dtype).reshape((1, 1) + (1,) * (dim - 1) + (n,))
            size = [1] * (dim - 1) + [out]
            expected = torch.nn.functional.interpolate(torch.tensor(x), size=size, mode=mode).numpy()
            np.testing.assert_array_equal(F.interpolate(tensor(x), size=size, mode=mode).numpy(), expected)
            factor = [1.0] * (dim - 1) + [out / n + 1e-3]
            expected = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=factor, mode=mode).numpy()
            np.testing.assert_array_equal(F.interpolate(tensor(x), scale_factor=factor, mode=mode).numpy(), expected)


# PyTorch's quirks: gradients that are not the adjoint of the forward, and a forward that ignores some weights.
@pytest.mark.parametrize("shape, kwargs", [
    # the 1-D and 3-D nearest backward copies / halves indices at out = in / out = 2 in, the forward does not
    ((2, 3, 6), dict(scale_factor=2.05)),
    ((2, 3, 4), dict(scale_factor=1.05)),
    ((1, 2, 3, 4, 5), dict(scale_factor=(0.7, 1.05, 2.05))),
    # bicubic backward copies when no size changes, the forward resamples with 1 / scale_factor
    ((2, 3, 7, 11), dict(scale_factor=(1.05, 1.02), mode="bicubic")),
    # the antialiased forward skips an axis whose size does not change, its backward does not
    ((2, 3, 10, 10), dict(scale_factor=(1.05, 0.5), mode="bilinear", antialias=True)),
    ((2, 3, 10, 10), dict(scale_factor=(0.5, 1.05), mode="bicubic", antialias=True)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_torch_quirks_in_gradients(shape, kwargs, dtype):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(13).standard_normal(shape).astype(dtype)
    ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    assert_matches_torch(F.interpolate(ours, **kwargs), torch.nn.functional.interpolate(theirs, **kwargs),
                         [ours], [theirs], TOL[dtype], np.random.default_rng(14))


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "lanczos"])
@pytest.mark.parametrize("size", [(3, 1), (1, 1), (12, 1)])
def test_antialias_output_one_pixel_wide(mode, size):
    """PyTorch's vertical pass into an output one pixel wide gives every row the weights of the first row."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(15).standard_normal((2, 2, 9, 7))
    ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    kwargs = dict(size=size, mode=mode, antialias=True)
    assert_matches_torch(F.interpolate(ours, **kwargs), torch.nn.functional.interpolate(theirs, **kwargs),
                         [ours], [theirs], TOL[np.float64], np.random.default_rng(16))


@pytest.mark.parametrize("call", [
    "F.pixel_shuffle(x.reshape(2, 12, 1, 2), 2)",
    "F.pixel_shuffle(x.reshape(12, 2, 2), 2)",
    "F.pixel_shuffle(x.reshape(2, 3, 4, 1, 2), 2)",
    "F.pixel_shuffle(x[:36].reshape(1, 9, 2, 2), 3)",
    "F.pixel_shuffle(x.reshape(2, 12, 1, 2), 1)",
    "F.pixel_unshuffle(x.reshape(2, 3, 2, 4), 2)",
    "F.pixel_unshuffle(x.reshape(3, 4, 4), 2)",
    "F.pixel_unshuffle(x.reshape(1, 2, 1, 6, 4)[..., :3, :3], 3)",
    "F.channel_shuffle(x.reshape(2, 6, 4), 3)",
    "F.channel_shuffle(x.reshape(1, 12, 2, 2), 4)",
    "F.channel_shuffle(x.reshape(1, 4, 3, 2, 2), 2)",
    "F.channel_shuffle(x.reshape(6, 4, 2), 2)",
    "F.channel_shuffle(x.reshape(2, 6, 4), 1)",
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shuffles_match_torch(call, dtype):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(17).standard_normal(48).astype(dtype)
    ours, theirs = tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    actual = eval(call, {"F": F, "x": ours})
    expected = eval(call, {"F": torch.nn.functional, "x": theirs})
    assert_matches_torch(actual, expected, [ours], [theirs], TOL[dtype], np.random.default_rng(18))


# --------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("mode, shape", [
    ("nearest", (1, 2, 5)), ("nearest-exact", (1, 2, 5, 6)), ("nearest", (1, 2, 3, 5, 6)), ("linear", (1, 2, 5)),
    ("bilinear", (1, 2, 5, 6)), ("bicubic", (1, 2, 5, 6)), ("trilinear", (1, 2, 3, 5, 6)), ("area", (1, 2, 5, 6)),
    ("area", (1, 2, 3, 5, 6)),
])
@pytest.mark.parametrize("size", [3, 9])
def test_half_precision_matches_torch(mode, shape, size):
    torch = pytest.importorskip("torch")
    x = (np.random.default_rng(19).standard_normal(shape) * 4).astype(np.float16)
    actual = F.interpolate(tensor(x), size=size, mode=mode)
    expected = torch.nn.functional.interpolate(torch.tensor(x), size=size, mode=mode)
    assert actual.dtype.name == "float16"
    # computed in float32 and rounded once to half: a last-place difference at most where PyTorch does the same;
    # its 1-D and 3-D linear and area kernels round some intermediates to half, a few places more
    close = mode in ("nearest", "nearest-exact", "bilinear", "bicubic") or (mode == "area" and len(shape) == 4)
    tol = dict(rtol=2 ** -9, atol=2 ** -12) if close else dict(rtol=2 ** -7, atol=2 ** -9)
    np.testing.assert_allclose(actual.numpy().astype(np.float32), expected.numpy().astype(np.float32), **tol)


@pytest.mark.parametrize("mode, shape", [
    ("nearest", (1, 2, 5)), ("nearest-exact", (1, 2, 5)), ("nearest", (1, 2, 5, 6)), ("nearest-exact", (1, 2, 5, 6)),
    ("nearest", (1, 2, 3, 5, 6)), ("nearest-exact", (1, 2, 3, 5, 6)),
])
def test_uint8_nearest_matches_torch(mode, shape):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(20).integers(0, 256, shape).astype(np.uint8)
    for kwargs in (dict(size=7), dict(scale_factor=0.6), dict(scale_factor=2.4)):
        actual = F.interpolate(tensor(x), mode=mode, **kwargs)
        expected = torch.nn.functional.interpolate(torch.tensor(x), mode=mode, **kwargs)
        assert actual.dtype.name == "uint8"
        np.testing.assert_array_equal(actual.numpy(), expected.numpy())


@pytest.mark.parametrize("kwargs", [dict(mode="bilinear"), dict(mode="bicubic"),
                                    dict(mode="bilinear", antialias=True), dict(mode="lanczos", antialias=True)])
def test_uint8_resampling_matches_torch(kwargs):
    """PyTorch resamples uint8 images in fixed point (int16 weights, rounded shifts): element for element."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(21).integers(0, 256, (1, 3, 9, 7)).astype(np.uint8)
    actual = F.interpolate(tensor(x), size=(5, 12), **kwargs)
    expected = torch.nn.functional.interpolate(torch.tensor(x), size=(5, 12), **kwargs)
    assert actual.dtype.name == "uint8"
    np.testing.assert_array_equal(actual.numpy(), expected.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool", "float16"])
def test_shuffles_keep_the_dtype(dtype):
    torch = pytest.importorskip("torch")
    x = np.arange(16).reshape(1, 4, 2, 2).astype(dtype)
    for name, arg in (("pixel_shuffle", 2), ("pixel_unshuffle", 2), ("channel_shuffle", 2)):
        actual = getattr(F, name)(tensor(x), arg)
        expected = getattr(torch.nn.functional, name)(torch.tensor(x), arg)
        assert actual.dtype.name == str(expected.dtype).replace("torch.", "")
        np.testing.assert_array_equal(actual.numpy(), expected.numpy())


# --------------------------------------------------------------------------- errors
ERROR_CALLS = [
    # interpolate, checked in Python
    "F.interpolate(x4, size=3, mode='area', align_corners=False)",
    "F.interpolate(x4, size=3, mode='nearest-exact', align_corners=True)",
    "F.interpolate(x4, size=3, scale_factor=2, mode='bicubic')",
    "F.interpolate(x4, mode='bicubic')",
    "F.interpolate(x4, size=3, mode='bilinear', recompute_scale_factor=True)",
    "F.interpolate(x4, size=(2.0, 3), mode='bilinear')",
    "F.interpolate(x4, size=(3, None), mode='area')",
    "F.interpolate(x4, size=(L.tensor(3.), 2))",
    "F.interpolate(x4, size=(2, 3, 4), mode='bicubic')",
    "F.interpolate(x4, size=[3], mode='bicubic')",
    "F.interpolate(x4, scale_factor=(2, 3, 4), mode='bicubic')",
    "F.interpolate(x4, size=3, mode='area', antialias=True)",
    "F.interpolate(x4[0], size=3, mode='bilinear', antialias=True)",
    "F.interpolate(x4[None], size=3, mode='trilinear', antialias=True)",
    "F.interpolate(x4, size=3, mode='lanczos')",
    "F.interpolate(x4, size=3, mode='lanczos', align_corners=True)",
    "F.interpolate(x4[0], size=3, mode='bicubic')",
    "F.interpolate(x4[0], size=3, mode='trilinear')",
    "F.interpolate(x4[0], size=3, mode='bilinear')",
    "F.interpolate(x4, size=3, mode='linear')",
    "F.interpolate(x4, size=3, mode='trilinear')",
    "F.interpolate(x4[None], size=3, mode='linear')",
    "F.interpolate(x4[None], size=3, mode='bilinear')",
    "F.interpolate(x4[None], size=3, mode='bicubic')",
    "F.interpolate(x4[None, None], size=3)",
    "F.interpolate(x4, size=3, mode='foo')",
    "F.interpolate(x4, size=3, mode=None)",
    "F.interpolate(L.zeros(2), size=3)",
    "F.interpolate([1], size=2)",
    "F.interpolate(x4, scale_factor=float('nan'), mode='area')",
    "F.interpolate(x4, scale_factor=float('inf'), mode='area')",
    "F.interpolate(x4, scale_factor=(2, 'a'), recompute_scale_factor=True)",
    # the kernels' argument parsing
    "F.interpolate(x4, size=3.5)",
    "F.interpolate(x4[0], size=3.5, mode='linear')",
    "F.interpolate(x4[None], scale_factor='s', mode='nearest-exact')",
    "F.interpolate(x4, scale_factor=L.tensor(2.))",
    "F.interpolate(x4, size=True)",
    "F.interpolate(x4, size=3, mode='bilinear', align_corners=1)",
    "F.interpolate(x4, size=(3, 3), mode='bicubic', align_corners=0)",
    "F.interpolate(x4, scale_factor=(2.0, 2.5), mode='bilinear', antialias=True, align_corners=0)",
    "F.interpolate(x4[None], scale_factor=2, mode='trilinear', align_corners='x')",
    "F.interpolate(x4, size=3, mode='lanczos', antialias=True, align_corners=np.bool_(False))",
    "F.interpolate(x4, scale_factor=(2, 'a'), mode='bilinear')",
    "F.interpolate(x4, scale_factor=(2, None))",
    # the kernels' checks
    "F.interpolate(x4, scale_factor=0.1, mode='bicubic')",
    "F.interpolate(x4, scale_factor=-2.)",
    "F.interpolate(x4[0], size=0, mode='linear')",
    "F.interpolate(x4[None], size=(2, 0, 1), mode='nearest-exact')",
    "F.interpolate(L.zeros(1, 1, 0, 3), size=2, mode='bicubic')",
    "F.interpolate(L.zeros(1, 0, 3, 3), size=2, mode='bilinear', antialias=True)",
    "F.interpolate(L.zeros(1, 0, 3), size=2)",
    "F.interpolate(L.zeros(1, 0, 3, 3, 3), size=2, mode='trilinear')",
    "F.interpolate(x4, scale_factor=float('inf'))",
    "F.interpolate(x4, scale_factor=[1e30, 1])",
    "F.interpolate(x4.long(), size=3)",
    "F.interpolate(x4.int(), size=3, mode='nearest-exact')",
    "F.interpolate(x4[0].bool(), size=3)",
    "F.interpolate(x4[None].to(L.int8), size=3)",
    "F.interpolate(x4.long(), size=3, mode='bilinear')",
    "F.interpolate(x4.to(L.int16), size=3, mode='bicubic')",
    "F.interpolate(x4[0].to(L.uint8), size=3, mode='linear')",
    "F.interpolate(x4[None].half().long(), size=3, mode='trilinear')",
    "F.interpolate(x4.long(), size=3, mode='bicubic', antialias=True)",
    "F.interpolate(x4.half(), size=3, mode='bilinear', antialias=True)",
    "F.interpolate(L.zeros(0, 1, 3, 3).long(), size=2, mode='bicubic')",
    # area: adaptive average pooling
    "F.interpolate(x4.long(), size=3, mode='area')",
    "F.interpolate(x4[0].long(), size=3, mode='area')",
    "F.interpolate(x4[None].long(), size=3, mode='area')",
    "F.interpolate(L.zeros(0, 1, 3, 5, 6).long(), size=2, mode='area')",
    "F.interpolate(x4[None].long(), size=1, mode='area')",
    "F.interpolate(L.zeros(1, 1, 0, 6), size=2, mode='area')",
    "F.interpolate(L.zeros(1, 1, 3, 0, 6), size=2, mode='area')",
    "F.interpolate(L.zeros(1, 0, 3, 2, 6), size=0, mode='area')",
    "F.interpolate(x4[None], size=(1, -1, 1), mode='area')",
    "F.interpolate(x4, scale_factor=(1, -1), mode='area')",
    # the wrappers
    "F.upsample_bilinear(x4[0], 3)",
    "F.upsample_nearest(x4, 3, 2)",
    "F.upsample(x4, 3, None, 'nearest', True)",
    # pixel and channel shuffles
    "F.pixel_shuffle(L.zeros(2, 3), 2)",
    "F.pixel_shuffle(L.zeros(2, 3), 0)",
    "F.pixel_shuffle(L.zeros(1, 6, 2, 3), 2)",
    "F.pixel_shuffle(L.zeros(1, 8, 2, 3), 0)",
    "F.pixel_shuffle(L.zeros(1, 8, 2, 3), -1)",
    "F.pixel_shuffle(L.zeros(1, 8, 2, 3), 2.0)",
    "F.pixel_shuffle(L.zeros(1, 8, 2, 3), True)",
    "F.pixel_shuffle(L.zeros(1, 8, 2, 3), '2')",
    "F.pixel_shuffle(L.zeros(1, 8, 2, 3), upscale_factor=None)",
    "F.pixel_shuffle(L.zeros(1, 8, 2, 3))",
    "F.pixel_shuffle(L.zeros(1, 8, 2, 3), 2, 3)",
    "F.pixel_shuffle(L.zeros(1, 8, 2, 3), factor=2)",
    "F.pixel_shuffle([1], 2)",
    "F.pixel_unshuffle(L.zeros(4, 6), 2)",
    "F.pixel_unshuffle(L.zeros(1, 2, 5, 6), 2)",
    "F.pixel_unshuffle(L.zeros(1, 2, 4, 5), 2)",
    "F.pixel_unshuffle(L.zeros(1, 2, 4, 6), 0)",
    "F.pixel_unshuffle(L.zeros(1, 2, 4, 6), 2.0)",
    "F.pixel_unshuffle(L.zeros(1, 2, 4, 6), upscale_factor=2)",
    "F.pixel_unshuffle(L.zeros(1, 2, 4, 6), 2, 1)",
    "F.pixel_unshuffle(L.zeros(0, 1, 5, 4), 2)",
    "F.channel_shuffle(L.zeros(1, 6), 2)",
    "F.channel_shuffle(L.zeros(6), 2)",
    "F.channel_shuffle(L.zeros(1, 6, 2, 3), 4)",
    "F.channel_shuffle(L.zeros(1, 6, 2, 3), 0)",
    "F.channel_shuffle(L.zeros(1, 0, 2, 3), -2)",
    "F.channel_shuffle(L.zeros(1, 6, 2, 3), 2.0)",
    "F.channel_shuffle(L.zeros(1, 6, 2, 3), None)",
    "F.channel_shuffle(L.zeros(1, 6, 2, 3), grops=2)",
    "F.channel_shuffle(1, 2)",
    # layers
    "L.nn.Upsample()(x4)",
    "L.nn.Upsample(scale_factor=2, align_corners=True)(x4)",
    "L.nn.Upsample(scale_factor=[2, 3])",
    "L.nn.Upsample(scale_factor=(2, 'a'))",
    "L.nn.Upsample(3, 2.5, 'area', True, False, 1)",
    "L.nn.Upsample(foo=1)",
    "L.nn.UpsamplingBilinear2d(size=(3, 5))(x4[0])",
    "L.nn.UpsamplingNearest2d(mode='bilinear')",
    "L.nn.PixelShuffle()",
    "L.nn.PixelShuffle(2.0)(L.zeros(1, 4, 2, 2))",
    "L.nn.PixelUnshuffle(2)(L.zeros(1, 4, 3, 2))",
    "L.nn.ChannelShuffle(3)(L.zeros(1, 4, 2, 2))",
]


@pytest.mark.parametrize("call", ERROR_CALLS)
def test_errors_match_torch(call):
    torch = pytest.importorskip("torch")

    def run(L):
        return lambda: eval(call, {"L": L, "F": L.nn.functional, "x4": L.zeros(1, 1, 5, 6), "np": np})

    assert_same_error(run(torch), run(torchless))


@pytest.mark.parametrize("call", [
    "F.interpolate(L.zeros(0, 1, 3, 3), size=2, mode='bicubic')",
    "F.interpolate(L.zeros(0, 1, 3, 3), size=2, mode='bilinear', antialias=True)",
    "F.interpolate(L.zeros(0, 1, 3, 3).long(), size=2, mode='area')",
    "F.interpolate(L.zeros(1, 0, 3, 3), size=2, mode='area')",
    "F.interpolate(L.zeros(1, 1, 5, 6), scale_factor=0.1, mode='area')",
    "F.interpolate(L.zeros(1, 0, 5, 6), size=0, mode='area')",
    "F.interpolate(L.zeros(1, 1, 3, 5, 6), size=0, mode='area')",
    "F.interpolate(L.zeros(1, 0, 3, 2, 6), size=1, mode='area')",
    "F.interpolate(L.zeros(0, 1, 3, 5, 6), size=(2, 1, 1), mode='area')",
    "F.interpolate(L.zeros(1, 1, 5, 6), size=(3, True), mode='bicubic')",
    "F.interpolate(L.zeros(1, 1, 5, 6), scale_factor=(2, True), mode='bilinear')",
    "F.interpolate(L.zeros(1, 1, 5, 6), size=np.int64(3), mode='bilinear')",
    "F.interpolate(L.zeros(1, 1, 5, 6), size=(np.int64(3), 2), mode='nearest-exact')",
    "F.interpolate(L.zeros(1, 1, 5, 6), size=L.tensor(2), mode='bicubic')",
    "F.interpolate(L.zeros(1, 1, 5, 6), scale_factor=(2, L.tensor(2)), mode='nearest')",
    "F.interpolate(L.zeros(1, 1, 5, 6), scale_factor=np.float32(1.5), mode='bicubic', antialias=1)",
    "F.interpolate(L.zeros(1, 1, 5, 6), None, 2, 'bicubic', True, True, True)",
    "F.pixel_shuffle(L.zeros(0, 8, 2, 3), 2)",
    "F.pixel_shuffle(L.zeros(1, 0, 2, 3), 2)",
    "F.pixel_shuffle(L.zeros(1, 8, 2, 3), np.int64(2))",
    "F.pixel_shuffle(input=L.zeros(1, 8, 2, 3), upscale_factor=L.tensor(2))",
    "F.pixel_unshuffle(L.zeros(0, 1, 4, 4), 2)",
    "F.pixel_unshuffle(L.zeros(1, 0, 4, 4), 2)",
    "F.channel_shuffle(L.zeros(1, 0, 2, 3), 2)",
    "F.channel_shuffle(L.zeros(0, 6, 2, 3), 3)",
])
def test_edge_cases_match_torch(call):
    """Empty tensors, bools and NumPy or tensor integers where ints are expected: the same shape and dtype."""
    torch = pytest.importorskip("torch")

    def run(L):
        result = eval(call, {"L": L, "F": L.nn.functional, "np": np})
        return tuple(result.shape), str(result.dtype).split(".")[-1]

    assert run(torchless) == run(torch)


@pytest.mark.parametrize("kwargs", [dict(scale_factor=1e30, recompute_scale_factor=True), dict(size=2 ** 63),
                                    dict(scale_factor=-1e30, mode="area")])
def test_output_sizes_beyond_int64_are_refused_as_torch(kwargs):
    """PyTorch's message goes on with the C++ stack of the failed conversion, which torchless leaves out."""
    torch = pytest.importorskip("torch")
    expected = outcome(lambda: torch.nn.functional.interpolate(torch.zeros(1, 1, 2, 2, 2), **kwargs))
    actual = outcome(lambda: F.interpolate(torchless.zeros(1, 1, 2, 2, 2), **kwargs))
    assert actual.type == expected.type == "TypeError"
    assert expected.message.startswith(actual.message[:-1]) and actual.message.endswith('long long"')


def test_deprecated_wrappers_warn_as_torch():
    torch = pytest.importorskip("torch")

    def caught(L, name):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            getattr(L.nn.functional, name)(L.zeros(1, 1, 2, 2), scale_factor=2)  # the warning must point here
        return [(w.category, str(w.message), w.filename, w.lineno) for w in record]

    for name in ("upsample", "upsample_nearest", "upsample_bilinear"):
        assert caught(torchless, name) == caught(torch, name)
        assert len(caught(torchless, name)) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.interpolate(tensor(np.zeros((1, 1, 2, 2))), scale_factor=2)  # interpolate itself does not warn


# --------------------------------------------------------------------------- layers
@pytest.mark.parametrize("name, args, kwargs", [
    ("Upsample", (), dict(scale_factor=2)),
    ("Upsample", (), dict(size=3)),
    ("Upsample", (), dict(size=(3, 4), mode="bilinear")),
    ("Upsample", (), dict(size=[3, 4], mode="bicubic", align_corners=True)),
    ("Upsample", (), dict(scale_factor=(2, 3), mode="bicubic", align_corners=True)),
    ("Upsample", (), dict(scale_factor=0)),
    ("Upsample", (), {}),
    ("Upsample", (), dict(scale_factor="2")),
    ("Upsample", (), dict(size=[3, 4], scale_factor=2)),
    ("Upsample", (3, 2.5, "area", True, False), {}),
    ("UpsamplingNearest2d", (), dict(scale_factor=2)),
    ("UpsamplingNearest2d", (3,), {}),
    ("UpsamplingNearest2d", (), {}),
    ("UpsamplingBilinear2d", (), dict(size=4)),
    ("UpsamplingBilinear2d", (None, 1.5), {}),
    ("PixelShuffle", (2,), {}),
    ("PixelShuffle", (), dict(upscale_factor=2.5)),
    ("PixelUnshuffle", (3,), {}),
    ("ChannelShuffle", (2,), {}),
])
def test_layer_reprs_and_attributes_match_torch(name, args, kwargs):
    pytest.importorskip("torch")
    theirs, ours = modules_with_same_repr(name, *args, **kwargs)
    for attribute in ("name", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor",
                      "upscale_factor", "downscale_factor", "groups"):
        if hasattr(theirs, attribute):
            assert getattr(ours, attribute) == getattr(theirs, attribute), attribute
            assert type(getattr(ours, attribute)) is type(getattr(theirs, attribute)), attribute
    assert list(ours.parameters()) == [] and ours.state_dict() == {}


@pytest.mark.parametrize("name, args, kwargs, shape", [
    ("Upsample", (), dict(scale_factor=2.5, mode="bilinear", align_corners=True, recompute_scale_factor=True),
     (1, 2, 3, 2)),
    ("Upsample", (), dict(scale_factor=(2.5, 1), mode="bicubic"), (1, 2, 3, 2)),
    ("Upsample", (), dict(size=5, mode="linear"), (1, 2, 4)),
    ("Upsample", (), dict(size=5, mode="area"), (1, 2, 7)),
    ("Upsample", (), dict(size=(1, 2, 3), mode="area"), (1, 2, 2, 3, 2)),
    ("Upsample", (), dict(size=(4, 2, 3), mode="trilinear", align_corners=True), (1, 2, 2, 3, 2)),
    ("Upsample", (), dict(scale_factor=1.5, mode="nearest-exact"), (1, 2, 2, 3, 2)),
    ("UpsamplingNearest2d", (), dict(scale_factor=2), (2, 1, 2, 3)),
    ("UpsamplingNearest2d", ((3, 5),), {}, (2, 1, 2, 3)),
    ("UpsamplingBilinear2d", (), dict(scale_factor=2), (2, 1, 2, 3)),
    ("UpsamplingBilinear2d", (), dict(size=(3, 7)), (2, 1, 2, 3)),
    ("PixelShuffle", (2,), {}, (2, 8, 2, 3)),
    ("PixelUnshuffle", (2,), {}, (2, 1, 4, 2)),
    ("ChannelShuffle", (2,), {}, (2, 4, 3)),
])
def test_layers_match_torch(name, args, kwargs, shape):
    torch = pytest.importorskip("torch")
    theirs, ours = modules_with_same_repr(name, *args, **kwargs)
    x = np.random.default_rng(21).standard_normal(shape)
    a, b = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    assert_matches_torch(ours(a), theirs(b), [a], [b], TOL[np.float64], np.random.default_rng(22))


def test_upsample_is_interpolate_with_its_attributes():
    x = tensor(np.random.default_rng(23).standard_normal((1, 2, 3, 4)))
    layer = nn.Upsample(scale_factor=(1.5, 0.5), mode="bicubic", align_corners=True)
    np.testing.assert_array_equal(layer(x).numpy(), F.interpolate(x, scale_factor=(1.5, 0.5), mode="bicubic",
                                                                  align_corners=True).numpy())
    # attributes are read at each call
    layer.mode, layer.scale_factor, layer.size, layer.align_corners = "area", None, (2, 2), None
    np.testing.assert_allclose(layer(x).numpy(), reference_area(x.numpy(), (2, 2)), rtol=1e-12, atol=1e-12)
    assert nn.UpsamplingBilinear2d(scale_factor=2).align_corners is True
    assert nn.Upsample(scale_factor=3).scale_factor == 3.0 and isinstance(nn.Upsample(scale_factor=3).scale_factor,
                                                                          float)


def test_upsample_state_without_recompute_scale_factor_recomputes():
    layer = nn.Upsample(scale_factor=2)
    state = dict(layer.__dict__)
    del state["recompute_scale_factor"]
    restored = nn.Upsample.__new__(nn.Upsample)
    restored.__setstate__(state)
    assert restored.recompute_scale_factor is True


def test_layers_are_exported():
    for name in ("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle",
                 "ChannelShuffle"):
        assert name in nn.modules.__all__ and getattr(nn, name) is getattr(nn.modules, name)
    for name in ("interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
                 "pixel_unshuffle", "channel_shuffle"):
        assert callable(getattr(F, name))
