"""``torch.histogramdd``: the histogram of N-dimensional points (the input's innermost dimension), over equal bins
spanning each dimension's range or over given bin edges, as ATen's histogramdd kernels count them (bins closed on
the left, the last one on both sides, points outside skipped)."""
import math

import numpy as np

from .. import _dtype, _parser_errors
from .._tensor import Tensor
from ._util import is_one_element_tensor
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
    if isinstance(bins, (tuple, list)) and bins and all(is_one_element_tensor(b) for b in bins):
        bins = [int(b.item()) for b in bins]  # (integer tensors of one element: the int[] overload's, as PyTorch's)
    return input, bins, range_, weight, density


def _check_dims(input):
    """allocate_bin_edges_tensors's check, the first of every histogramdd."""
    if input.dim() < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")


def _check_inputs(points, edges, weight):
    """histogramdd_check_inputs, in its order: ``points`` of N coordinates each (the innermost dim), ``edges`` N
    tensors of bin edges."""
    dims = points.shape[-1]
    if len(edges) != dims:
        raise RuntimeError(f"torch.histogramdd: expected {dims} sequences of bin edges for a {dims}-dimensional "
                           f"histogram but got {len(edges)}")
    name = _dtype.cpp_name(points._data.dtype)
    for dim, bin_edges in enumerate(edges):
        if bin_edges.dtype != points.dtype:
            raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have the same dtype, but got "
                               f"input with dtype {name} and bins for dimension {dim} with dtype "
                               f"{_dtype.cpp_name(bin_edges._data.dtype)}")
        if bin_edges.dim() != 1:
            raise RuntimeError("torch.histogramdd: bins tensor should have one dimension, but got "
                               f"{bin_edges.dim()} dimensions in the bins tensor for dimension {dim}")
        if not bin_edges.numel():
            raise RuntimeError("torch.histogramdd: bins tensor should have at least 1 element, but got 0 elements in "
                               f"the bins tensor for dimension {dim}")
    if weight is not None:
        if weight.dtype != points.dtype:
            raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and weight tensor "
                               f"should have the same dtype, but got input({name}), and "
                               f"weight({_dtype.cpp_name(weight._data.dtype)})")
        if tuple(weight.shape or (1,)) != tuple(points.shape[:-1]):  # (a 0-d weight counts as one of size 1)
            raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the same shape as the "
                               "input tensor excluding its innermost dimension, but got input with shape "
                               f"{list(points.shape)} and weight with shape {list(weight.shape)}")


def _check_counts(counts):
    """histogramdd_prepare_out's check of the number of bins of each dimension."""
    for dim, count in enumerate(counts):
        if count <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {count} for dimension {dim}")


def _number(value):
    """A double as C++ streams print it (six significant digits)."""
    return f"{value:g}"


def _outer_edges(points, range_):
    """select_outer_bin_edges: each dimension's (low, high), from ``range_``, the points' span (only float32 and
    float64 points have that kernel) or 0 to 1 without points; an empty span widened by a half on each side."""
    dims = points.shape[-1]
    if range_ is not None:
        if len(range_) != 2 * dims:
            raise RuntimeError(f"torch.histogramdd: for a {dims}-dimensional histogram range should have {2 * dims} "
                               f"elements, but got {len(range_)}")
        spans = [(float(range_[2 * dim]), float(range_[2 * dim + 1])) for dim in range(dims)]
    elif points.numel():
        points._no_kernel_for("biuc", "histogramdd")
        if points._data.dtype == np.float16:
            raise NotImplementedError("\"histogramdd\" not implemented for 'Half'")
        with np.errstate(invalid="ignore"):
            spans = [(float(column.min()), float(column.max())) for column in points._data.T]
    else:
        spans = [(0.0, 1.0)] * dims
    outer = []
    for dim, (low, high) in enumerate(spans):
        if not (math.isfinite(low) and math.isfinite(high)):
            raise RuntimeError(f"torch.histogramdd: dimension {dim}'s range [{_number(low)}, {_number(high)}] is not "
                               "finite")
        if low > high:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {_number(low)} max "
                               f"{_number(high)} for dimension {dim}")
        outer.append((low - 0.5, high + 0.5) if low == high else (low, high))
    return outer


def _linear_edges(points, counts, range_):
    """Each dimension's equal bins' edges (histogramdd_bin_edges): a linspace over its outer edges, in the points'
    dtype."""
    from .. import linspace

    outer = _outer_edges(points, range_)
    if len(counts) != points.shape[-1]:
        raise RuntimeError("histogramdd: The size of bins must be equal to the innermost dimension of the input.")
    return [linspace(low, high, count + 1, dtype=points.dtype) for (low, high), count in zip(outer, counts)]


def _bin_indices(values, edges):
    """Each value's bin among ``edges`` (left-closed, the last bin closed), -1 outside them (or NaN): ATen's binary
    search (std::upper_bound, which unsorted edges lead where they lead it)."""
    from .bucketing import bounds

    count = len(edges) - 1
    if count < 1:
        return np.full(values.shape, -1, np.int64)
    index = np.minimum(bounds(edges[None, :], values[None, :], right=True)[0] - 1, count - 1)
    inside = (values >= edges[0]) & (values <= edges[-1])
    return np.where(inside, index, -1)


def histogram_of_points(input, bins, range_, weight, density, edges_first=True):
    """The histogram of the points of ``input`` (its innermost dim their coordinates) and its bin edges, in ATen's
    order of checks: ``bins`` N tensors of edges, else N counts of equal bins over ``range_`` (``edges_first``:
    histogramdd makes the edges before checking the counts, torch.histogram checks its count first)."""
    points = input.reshape(-1, input.shape[-1])
    if bins and isinstance(bins[0], Tensor):
        edges = [b.detach() for b in bins]
        _check_inputs(input, edges, weight)
        _check_counts([e.numel() - 1 for e in edges])
    else:
        if not edges_first:
            _check_counts(bins)
        edges = _linear_edges(points, bins, range_)
        _check_inputs(input, edges, weight)
        _check_counts(bins)
    input._no_kernel_for("biuc", "histogram_cpu")
    return _counts(points._data, [e.contiguous() for e in edges], weight, density), edges


def _counts(points, edges, weight, density):
    dims = points.shape[-1]
    edge_arrays = [e._data.astype(np.float64) for e in edges]
    shape = tuple(max(len(e) - 1, 0) for e in edge_arrays)
    indices = [_bin_indices(points[:, dim].astype(np.float64), edge_arrays[dim]) for dim in range(dims)]
    kept = np.logical_and.reduce([i >= 0 for i in indices]) if indices else np.zeros(0, bool)
    weights = None if weight is None else weight._data.reshape(-1).astype(np.float64)[kept]
    hist = np.zeros(shape, np.float64)
    if hist.size and kept.any():
        flat = np.ravel_multi_index(tuple(i[kept] for i in indices), shape)
        hist = np.bincount(flat, weights, minlength=hist.size).reshape(shape).astype(np.float64)
    hist = hist.astype(points.dtype)
    if density:  # (in the points' dtype, as PyTorch's: by the total, then by each dimension's bin widths)
        with np.errstate(divide="ignore", invalid="ignore"):  # (no points: 0 / 0, NaN as in PyTorch)
            hist = hist / hist.sum(dtype=hist.dtype)
            for dim, e in enumerate(edges):
                hist = hist / np.diff(e._data).reshape([-1 if d == dim else 1 for d in range(dims)])
    return Tensor._wrap(hist)


def histogramdd(*args, **kwargs):
    """torch.histogramdd(input, bins, *, range=None, weight=None, density=False): ``(hist, bin_edges)``."""
    input, bins, range_, weight, density = _arguments(args, kwargs)
    _check_dims(input)
    if isinstance(bins, int):
        bins = [bins] * input.shape[-1]
    hist, edges = histogram_of_points(input, list(bins), range_, weight, density)
    return _RETURN_TYPES["histogramdd"](hist, tuple(edges))
