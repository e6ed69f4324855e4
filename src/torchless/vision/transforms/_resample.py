"""NumPy image resampling along the last two axes, with the weights of PyTorch's ``interpolate``.

Bilinear and bicubic resampling are separable linear maps: one (out, in) weight matrix per axis, applied as
``rows @ image @ cols.T`` over any leading dimensions. With ``antialias``, each output pixel averages its
whole footprint with a triangle (bilinear) or Keys cubic (bicubic, a = -0.5) filter stretched by the
scale factor when downscaling (PyTorch's antialiased kernel, itself modelled on Pillow's); otherwise it
mixes the two (four) nearest input pixels, ``align_corners=False``, with the cubic's a = -0.75.
Nearest modes gather instead, so integer images stay exact.
"""
import numpy as np


def _bilinear_weights(in_size, out_size, dtype):
    scale = dtype.type(in_size / out_size)
    source = np.maximum(scale * (np.arange(out_size, dtype=dtype) + dtype.type(0.5)) - dtype.type(0.5), 0)
    floor = np.floor(source)
    frac = source - floor
    lower = floor.astype(np.int64)
    upper = np.minimum(lower + 1, in_size - 1)
    weights = np.zeros((out_size, in_size), dtype)
    rows = np.arange(out_size)
    np.add.at(weights, (rows, lower), 1.0 - frac)
    np.add.at(weights, (rows, upper), frac)
    return weights


def _cubic(x, a):
    """Keys' cubic convolution kernel at distances ``x``: a = -0.75 for PyTorch's plain bicubic, -0.5 antialiased."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0)).astype(x.dtype)


def _bicubic_weights(in_size, out_size, dtype):
    scale = dtype.type(in_size / out_size)
    # Unlike bilinear, PyTorch does not clamp the cubic's source position at 0: the taps past the border
    # are clamped instead, which repeats the edge pixel.
    source = scale * (np.arange(out_size, dtype=dtype) + dtype.type(0.5)) - dtype.type(0.5)
    floor = np.floor(source)
    frac = source - floor
    weights = np.zeros((out_size, in_size), dtype)
    rows = np.arange(out_size)
    for offset in (-1, 0, 1, 2):
        taps = np.clip(floor.astype(np.int64) + offset, 0, in_size - 1)
        np.add.at(weights, (rows, taps), _cubic(frac - dtype.type(offset), dtype.type(-0.75)))
    return weights


def _triangle(x):
    return np.maximum(0, 1 - np.abs(x))


def _antialiased_weights(in_size, out_size, dtype, kernel, kernel_radius):
    """PyTorch's ``_compute_indices_min_size_weights_aa``: ``kernel`` (reaching ``kernel_radius`` pixels)
    stretched by the scale factor when downscaling, cut to the input and normalised per output pixel."""
    scale = dtype.type(in_size / out_size)
    stretch = max(scale, dtype.type(1))  # the filter widens only when downscaling
    support = dtype.type(kernel_radius) * stretch
    centers = scale * (np.arange(out_size, dtype=dtype) + dtype.type(0.5))
    first = np.maximum(np.trunc(centers - support + 0.5), 0).astype(np.int64)
    last = np.minimum(np.trunc(centers + support + 0.5), in_size).astype(np.int64)  # exclusive
    taps = np.arange(in_size, dtype=dtype)
    inside = (taps >= first[:, None]) & (taps < last[:, None])
    weights = np.where(inside, kernel((taps + dtype.type(0.5) - centers[:, None]) / stretch), 0).astype(dtype)
    totals = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, totals, out=np.zeros_like(weights), where=totals != 0)


def _antialiased_bilinear_weights(in_size, out_size, dtype):
    return _antialiased_weights(in_size, out_size, dtype, _triangle, 1)


def _antialiased_bicubic_weights(in_size, out_size, dtype):
    return _antialiased_weights(in_size, out_size, dtype, lambda x: _cubic(x, dtype.type(-0.5)), 2)


_WEIGHTS = {("bilinear", False): _bilinear_weights, ("bilinear", True): _antialiased_bilinear_weights,
            ("bicubic", False): _bicubic_weights, ("bicubic", True): _antialiased_bicubic_weights}


def _nearest_indices(in_size, out_size, exact):
    scale = np.float32(in_size / out_size)  # PyTorch computes nearest source indices in float32
    positions = np.arange(out_size, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0.0))
    return np.minimum(np.floor(positions * scale).astype(np.int64), in_size - 1)


def resample(array, out_h, out_w, mode, antialias):
    """``array`` (..., H, W) resized to (..., out_h, out_w).

    ``mode`` is "bilinear" or "bicubic" (float arrays only; computed in the array's dtype, as PyTorch does),
    "nearest" or "nearest-exact".
    """
    in_h, in_w = array.shape[-2:]
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        rows = _nearest_indices(in_h, out_h, exact)
        cols = _nearest_indices(in_w, out_w, exact)
        return array[..., rows[:, None], cols[None, :]]
    weights_for = _WEIGHTS[mode, bool(antialias)]
    row_weights = weights_for(in_h, out_h, array.dtype)
    col_weights = weights_for(in_w, out_w, array.dtype)
    return np.matmul(np.matmul(row_weights, array), col_weights.T)
