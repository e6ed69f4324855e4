"""NumPy image resampling along the last two axes, with the weights of PyTorch's ``interpolate``.

Bilinear resampling is a separable linear map: one (out, in) weight matrix per axis, applied as
``rows @ image @ cols.T`` over any leading dimensions. With ``antialias`` and downscaling, each output
pixel averages its whole footprint with a triangle filter stretched by the scale factor (PyTorch's
antialiased kernel, itself modelled on Pillow's); otherwise it mixes the two nearest input pixels
(``align_corners=False``). Nearest modes gather instead, so integer images stay exact.
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


def _antialiased_bilinear_weights(in_size, out_size, dtype):
    scale = dtype.type(in_size / out_size)
    stretch = max(scale, dtype.type(1))  # the filter widens only when downscaling
    centers = scale * (np.arange(out_size, dtype=dtype) + dtype.type(0.5))
    first = np.maximum(np.trunc(centers - stretch + 0.5), 0).astype(np.int64)
    last = np.minimum(np.trunc(centers + stretch + 0.5), in_size).astype(np.int64)  # exclusive
    taps = np.arange(in_size, dtype=dtype)
    inside = (taps >= first[:, None]) & (taps < last[:, None])
    weights = np.where(inside, np.maximum(0, 1 - np.abs((taps + dtype.type(0.5) - centers[:, None]) / stretch)), 0)
    totals = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, totals, out=np.zeros_like(weights), where=totals != 0)


def _nearest_indices(in_size, out_size, exact):
    scale = np.float32(in_size / out_size)  # PyTorch computes nearest source indices in float32
    positions = np.arange(out_size, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0.0))
    return np.minimum(np.floor(positions * scale).astype(np.int64), in_size - 1)


def resample(array, out_h, out_w, mode, antialias):
    """``array`` (..., H, W) resized to (..., out_h, out_w).

    ``mode`` is "bilinear" (float arrays only; computed in the array's dtype, as PyTorch does), "nearest" or "nearest-exact".
    """
    in_h, in_w = array.shape[-2:]
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        rows = _nearest_indices(in_h, out_h, exact)
        cols = _nearest_indices(in_w, out_w, exact)
        return array[..., rows[:, None], cols[None, :]]
    weights_for = _antialiased_bilinear_weights if antialias else _bilinear_weights
    row_weights = weights_for(in_h, out_h, array.dtype)
    col_weights = weights_for(in_w, out_w, array.dtype)
    return np.matmul(np.matmul(row_weights, array), col_weights.T)
