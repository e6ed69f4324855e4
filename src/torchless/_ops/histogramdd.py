"""``torch.histogramdd``: the histogram of N-dimensional points (the input's innermost dimension), over equal bins
spanning each dimension's range or over given bin edges, as ATen's histogramdd kernels count them (bins closed on
the left, the last one on both sides, points outside skipped)."""
import math

import numpy as np

from .. import _dtype, _parser_errors
from .._tensor import Tensor
from ..return_types import _RETURN_TYPES

_OVERLOADS = (
    "Tensor input, int bins, float[]? range=None, Tensor? weight=None, bool density=False",
    "Tensor input, int[] bins, float[]? range=None, Tensor? weight=None, bool density=False",
    "Tensor input, TensorList bins, float[]? range=None, Tensor? weight=None, bool density=False",
)
_PRINTED_OVERLOADS = (
    "Tensor input, int bins, tuple of floats range = None, Tensor weight = None, bool density = False",
    "Tensor input, tuple of ints bins, tuple of floats range = None, Tensor weight = None, bool density = False",
    "Tensor input, tuple of Tensors bins, tuple of floats range = None, Tensor weight = None, bool density = False",
)

def _is_bins(bins):
    if isinstance(bins, bool):
        return False
    if isinstance(bins, int):
        return True
    return isinstance(bins, (tuple, list)) and (all(isinstance(b, int) and not isinstance(b, bool) for b in bins)
                                                or all(isinstance(b, Tensor) for b in bins))


def _arguments(args, kwargs):
    names = ("input", "bins", "range", "weight", "density")
    if len(args) > len(names) or set(kwargs) - set(names):
        raise _parser_errors.invalid_combination("histogramdd", _PRINTED_OVERLOADS, args, kwargs)
    given = dict(zip(names, args), **kwargs)
    input, bins = given.get("input"), given.get("bins")
    range_, weight, density = given.get("range"), given.get("weight"), given.get("density", False)
    valid = (isinstance(input, Tensor) and _is_bins(bins) and isinstance(density, bool)
             and (weight is None or isinstance(weight, Tensor))
             and (range_ is None or isinstance(range_, (tuple, list)) and all(
                 isinstance(r, (int, float)) and not isinstance(r, bool) for r in range_)))
    if not valid:
        raise _parser_errors.invalid_combination("histogramdd", _PRINTED_OVERLOADS, args, kwargs)
    return input, bins, range_, weight, density


def _check(input, bins, range_, weight):
    """histogramdd_check_inputs, in its order."""
    if input.dim() < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    dims = input.shape[-1]
    if input.dtype.is_complex or not input.is_floating_point():
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{input.dtype.scalar_name}'")
    if not isinstance(bins, int) and len(bins) != dims:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost dimension of the input.")
    if weight is not None:
        if weight.dtype != input.dtype:
            raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and weight tensor "
                               f"should have the same dtype, but got input({_dtype.cpp_name(input._data.dtype)}), and "
                               f"weight({_dtype.cpp_name(weight._data.dtype)})")
        if tuple(weight.shape) != tuple(input.shape[:-1]):
            raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the same shape as the "
                               "input tensor excluding its innermost dimension, but got input with shape "
                               f"{list(input.shape)} and weight with shape {list(weight.shape)}")
    if range_ is not None and len(range_) != 2 * dims:
        raise RuntimeError(f"torch.histogramdd: for a {dims}-dimensional histogram range should have {2 * dims} "
                           f"elements, but got {len(range_)}")


def _number(value):
    return int(value) if float(value).is_integer() else value


def _linear_edges(points, counts, range_, dtype):
    """Each dimension's equal bins' edges: over ``range_`` or the points' span (0 to 1 without points), an empty
    span widened by a half on each side, as numpy does."""
    from .. import linspace

    edges = []
    for dim, count in enumerate(counts):
        if count <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {count} for dimension {dim}")
        if range_ is not None:
            low, high = float(range_[2 * dim]), float(range_[2 * dim + 1])
        elif points.shape[0]:
            low, high = float(points[:, dim].min()), float(points[:, dim].max())
        else:
            low, high = 0.0, 1.0
        if not (math.isfinite(low) and math.isfinite(high)):
            raise RuntimeError(f"torch.histogramdd: dimension {dim}'s range [{_number(low)}, {_number(high)}] is not "
                               "finite")
        if low > high:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {_number(low)} max "
                               f"{_number(high)} for dimension {dim}")
        if low == high:
            low, high = low - 0.5, high + 0.5
        edges.append(linspace(low, high, count + 1, dtype=dtype))
    return edges


def _bin_indices(values, edges):
    """Each value's bin among ``edges`` (left-closed, the last bin closed), -1 outside them."""
    count = len(edges) - 1
    if count < 1:
        return np.full(values.shape, -1, np.int64)
    index = np.searchsorted(edges, values, side="right") - 1
    index = np.where(values == edges[-1], count - 1, index)
    inside = (values >= edges[0]) & (values <= edges[-1]) & (index >= 0) & (index < count)
    return np.where(inside, index, -1)


def histogramdd(*args, **kwargs):
    """torch.histogramdd(input, bins, *, range=None, weight=None, density=False): ``(hist, bin_edges)``."""
    input, bins, range_, weight, density = _arguments(args, kwargs)
    _check(input, bins, range_, weight)
    dims = input.shape[-1]
    points = input._data.reshape(-1, dims)
    if isinstance(bins, (tuple, list)) and bins and isinstance(bins[0], Tensor):
        edges = [b.detach().contiguous() for b in bins]
    else:
        counts = [bins] * dims if isinstance(bins, int) else list(bins)
        edges = _linear_edges(points, counts, range_, input.dtype)
    edge_arrays = [e._data.astype(np.float64) for e in edges]
    shape = tuple(max(len(e) - 1, 0) for e in edge_arrays)
    indices = [_bin_indices(points[:, dim].astype(np.float64), edge_arrays[dim]) for dim in range(dims)]
    kept = np.logical_and.reduce([i >= 0 for i in indices]) if indices else np.zeros(0, bool)
    weights = None if weight is None else weight._data.reshape(-1).astype(np.float64)[kept]
    hist = np.zeros(shape, np.float64)
    if hist.size and kept.any():
        flat = np.ravel_multi_index(tuple(i[kept] for i in indices), shape)
        hist = np.bincount(flat, weights, minlength=hist.size).reshape(shape).astype(np.float64)
    if density:
        total = hist.sum()
        volumes = np.ones(shape)
        for dim, e in enumerate(edge_arrays):
            widths = np.diff(e).reshape([-1 if d == dim else 1 for d in range(dims)])
            volumes = volumes * widths
        hist = hist / total / volumes
    return _RETURN_TYPES["histogramdd"](Tensor._wrap(hist.astype(input._data.dtype)), tuple(edges))
