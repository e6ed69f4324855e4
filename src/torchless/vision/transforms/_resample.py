"""NumPy image resampling along the last two axes, as torchvision resizes tensors.

Bilinear, bicubic and (antialiased, v2 only) Lanczos resampling of float images is ``interpolate``'s, which
torchvision calls: the same kernel, rounding as PyTorch's does. Nearest modes gather, so integer images stay
exact.

``resample_uint8`` is PyTorch's fixed-point uint8 kernel, which torchvision's v2 ``resize`` uses for uint8 images.
"""
import numpy as np


def _cubic(x, a):
    """Keys' cubic convolution kernel at distances ``x``: a = -0.75 for PyTorch's plain bicubic, -0.5 antialiased."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0)).astype(x.dtype)


def _triangle(x):
    return np.maximum(0, 1 - np.abs(x))


def _sinc(x):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x == 0.0, 1.0, np.sin(x * np.pi) / (x * np.pi))


def _lanczos(x):
    """Lanczos-3, Pillow's (and PyTorch's) windowed sinc."""
    x = np.abs(x)
    return np.where(x < 3.0, _sinc(x) * _sinc(x / 3.0), 0.0)


def _nearest_indices(in_size, out_size, exact):
    scale = np.float32(in_size / out_size)  # PyTorch computes nearest source indices in float32
    positions = np.arange(out_size, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0.0))
    return np.minimum(np.floor(positions * scale).astype(np.int64), in_size - 1)


def resample(array, out_h, out_w, mode, antialias):
    """``array`` (..., H, W) resized to (..., out_h, out_w).

    ``mode`` is "bilinear", "bicubic" or "lanczos" (float arrays only; computed in the array's dtype, as PyTorch
    does), "nearest" or "nearest-exact".
    """
    in_h, in_w = array.shape[-2:]
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        rows = _nearest_indices(in_h, out_h, exact)
        cols = _nearest_indices(in_w, out_w, exact)
        return array[..., rows[:, None], cols[None, :]]
    # torchvision hands the image to ``interpolate``: its kernel, which rounds as PyTorch's does
    from ..._tensor import Tensor
    from ...nn.functional import interpolate

    # as (N, C, H, W), the channels kept together: PyTorch's channels-last bilinear kernel sums whole vectors of
    # channels in another order than the rest
    planes = array.shape[-3:] if array.ndim >= 3 else (1, in_h, in_w)
    batch = Tensor._wrap(np.ascontiguousarray(array.reshape((-1,) + planes)))
    out = interpolate(batch, size=(out_h, out_w), mode=mode, align_corners=None if mode == "lanczos" else False,
                      antialias=bool(antialias))
    return out._data.reshape(array.shape[:-2] + (out_h, out_w))


# ------------------------------------------------------------------------------- uint8, PyTorch's integer kernel
# torch resizes uint8 images with its own fixed-point kernel (Pillow's ImagingResample arithmetic) for bicubic and
# Lanczos, and for bilinear on AVX2 / AVX-512 / ARM64 CPUs; torchvision's v2 ``resize`` hands it uint8 images in
# those modes. Each axis gets float64 weights (normalised per output pixel over the taps inside the image), scaled
# to int16 with as many precision bits as the largest weight allows; each pass accumulates in integers from half
# a unit, shifts back and clamps to uint8, the width first, then the height.
_INTERP_SIZE = {"bilinear": 2, "bicubic": 4, "lanczos": 6}


_AA_FILTERS = {"bilinear": _triangle, "bicubic": lambda x: _cubic(x, -0.5), "lanczos": _lanczos}


def _float64_tap_weights(in_size, out_size, mode, antialias):
    """PyTorch's ``_compute_indices_min_size_weights_aa`` in float64: for each output pixel, its first input
    tap and the weights of ``max_taps`` taps (zero past the ones inside the image).

    Without antialias the filter keeps its width when downscaling (the plain bilinear interpolation, with
    the taps outside the image dropped and the rest renormalised)."""
    scale = in_size / out_size
    interp_size = _INTERP_SIZE[mode]
    if antialias:
        support = interp_size * 0.5 * scale if scale >= 1.0 else interp_size * 0.5
        max_taps = int(np.ceil(support)) * 2 + 1
    else:
        support = interp_size * 0.5
        max_taps = interp_size
    invscale = 1.0 / scale if scale >= 1.0 and antialias else 1.0
    centers = scale * (np.arange(out_size) + 0.5)
    first = np.maximum(np.trunc(centers - support + 0.5), 0).astype(np.int64)
    count = np.clip(np.minimum(np.trunc(centers + support + 0.5), in_size).astype(np.int64) - first, 0, max_taps)
    taps = np.arange(max_taps)
    weights = np.where(taps < count[:, None],
                       _AA_FILTERS[mode]((taps + first[:, None] - centers[:, None] + 0.5) * invscale), 0.0)
    totals = np.add.accumulate(weights, axis=1)[:, -1]  # summed in tap order, as the C loop does
    weights = np.divide(weights, totals[:, None], out=weights.copy(), where=totals[:, None] != 0)
    return first, weights


def _plain_bicubic_tap_weights(in_size, out_size):
    """Bicubic without antialias: the float kernel's four taps around ``scale * (i + 0.5) - 0.5`` (a = -0.75),
    those past the border clamped to the edge pixel (their weights added to its own), in float64."""
    source = in_size / out_size * (np.arange(out_size) + 0.5) - 0.5
    floor = np.floor(source)
    first = floor.astype(np.int64) - 1
    clamped_first = np.clip(first, 0, in_size - 1)
    weights = np.zeros((out_size, 7))  # the four taps clamped can spread over seven from the clamped first
    rows = np.arange(out_size)
    for offset in range(4):
        tap = np.clip(first + offset, 0, in_size - 1) - clamped_first
        np.add.at(weights, (rows, tap), _cubic(source - floor - (offset - 1), -0.75))
    return clamped_first, weights


def _int16_weights(in_size, out_size, mode, antialias):
    """(first taps, int16-valued weights, precision bits) of one axis, as PyTorch scales them."""
    if mode == "bicubic" and not antialias:
        first, weights = _plain_bicubic_tap_weights(in_size, out_size)
    else:
        first, weights = _float64_tap_weights(in_size, out_size, mode, antialias)
    largest = weights.max(initial=0.0)
    precision = 0
    while precision < 22 and int(0.5 + largest * (1 << (precision + 1))) < (1 << 15):
        precision += 1
    scaled = weights * (1 << precision)
    return first, np.trunc(scaled + np.where(scaled < 0, -0.5, 0.5)).astype(np.int64), precision


def _resample_uint8_axis(array, out_size, axis, mode, antialias):
    in_size = array.shape[axis]
    first, weights, precision = _int16_weights(in_size, out_size, mode, antialias)
    moved = np.moveaxis(array, axis, -1).astype(np.int64)
    total = np.full(moved.shape[:-1] + (out_size,), 1 << (precision - 1) if precision else 0, np.int64)
    for tap in range(weights.shape[1]):
        total += moved[..., np.minimum(first + tap, in_size - 1)] * weights[:, tap]
    return np.moveaxis(np.clip(total >> precision, 0, 255).astype(np.uint8), -1, axis)


def resample_uint8(array, out_h, out_w, mode, antialias):
    """A uint8 ``array`` (..., H, W) resized to (..., out_h, out_w) by PyTorch's integer kernel ("bilinear",
    "bicubic" or "lanczos"; the passes whose size does not change are skipped)."""
    if out_w != array.shape[-1]:
        array = _resample_uint8_axis(array, out_w, array.ndim - 1, mode, antialias)
    if out_h != array.shape[-2]:
        array = _resample_uint8_axis(array, out_h, array.ndim - 2, mode, antialias)
    return array
