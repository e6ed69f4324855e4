"""Reductions that select rather than combine: unique_consecutive (and unique along a dim), nanmedian, mode.
"""
import operator

import numpy as np

from .. import _memory_format, _parser_errors
from .._kernels import std_sort
from .._tensor import Tensor
from .._tensor_methods._arguments import EVERY_DIM, KEEPDIM_OMITTED
from ..autograd import forward_ad
from ..autograd.graph import records
from ..return_types import _RETURN_TYPES
from . import indexing


def unique_axis(self, dim, name="unique_dim"):
    """The axis of unique/unique_consecutive's ``dim`` (``name``: the op PyTorch's Python method calls, which
    names it in its TypeError: unique_dim with the input first, unique_consecutive by keyword), with PyTorch's
    errors for a 0-d tensor and for empty dims beside it."""
    from ._util import normalize_dim

    dim = unique_dim_argument(dim, name)
    if not self._data.ndim:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    axis = normalize_dim(dim, self._data.ndim)
    if any(not n for i, n in enumerate(self._data.shape) if i != axis):
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
    return axis


def unique_dim_argument(dim, name="unique_dim"):
    """unique/unique_consecutive's ``dim`` as the parser of ``name`` (as in unique_axis) takes it: an int."""
    from ._util import is_int_argument

    if type(dim) is not int:
        if not is_int_argument(dim):
            from ..nn._functional._args import _tp_name

            where = " (position 2)" if name == "unique_dim" else ""
            raise TypeError(f"{name}(): argument 'dim'{where} must be int, not {_tp_name(dim)}")
        dim = operator.index(dim)
    return dim


class _SliceKey:
    """A slice's values under the comparator PyTorch's unique_dim sorts slices with: element by element, the first
    pair one of which is less than the other decides (so a NaN, neither less nor greater, decides nothing)."""

    __slots__ = ("values",)

    def __init__(self, values):
        self.values = values

    def __lt__(self, other):
        for mine, theirs in zip(self.values, other.values):
            if mine < theirs:
                return True
            if mine > theirs:
                return False
        return False


def unique_slices(data, axis):
    """``np.unique(data, axis=axis, return_inverse=True, return_counts=True)`` as PyTorch's unique_dim computes it
    for floating-point slices holding NaN, which NumPy orders otherwise: the slices sorted by std::sort under
    _SliceKey's comparator, then each slice merged into the run before it if equal to that run's first (as
    torch.equal: NaN equals nothing)."""
    moved = np.moveaxis(data, axis, 0)
    rows = moved.reshape(moved.shape[0], -1)
    keys, order = [_SliceKey(row.tolist()) for row in rows], list(range(len(rows)))
    std_sort.sort(keys, order)
    ordered = rows[order]
    firsts, inverse, counts = [0], np.zeros(len(rows), np.int64), [1]
    for position in range(1, len(ordered)):
        if not np.array_equal(ordered[firsts[-1]], ordered[position]):
            firsts.append(position)
            counts.append(0)
        counts[-1] += 1
        inverse[order[position]] = len(firsts) - 1
    values = np.moveaxis(np.take(moved, np.asarray(order)[firsts], axis=0), 0, axis)
    return values, inverse, np.asarray(counts)


def unique_values(data):
    """``np.unique(data, return_inverse=True, return_counts=True, equal_nan=False)`` in PyTorch's order: the values
    sorted as its unstable sort orders them, which places each NaN, a value of its own, among the others (where
    NumPy's quicksort puts them otherwise)."""
    flat = data.reshape(-1)
    order = np.argsort(flat)
    ordered = flat[order]
    if _ties_show(ordered):
        order = std_sort.unstable_sort_order(flat, 0, False, np.argsort(flat, kind="stable"))
        ordered = flat[order]
    starts = np.empty(ordered.size, bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])  # (NaN differs from everything)
    inverse = np.empty(flat.size, np.int64)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], inverse, np.diff(np.append(np.flatnonzero(starts), flat.size))


def _ties_show(ordered):
    """Whether the order of equal values in ``ordered`` (sorted by NumPy, NaN last) shows in unique's results: only
    where a NaN (each one a value of its own, numbered by its place) or zeros of both signs (the first one is the
    value shown) are among them."""
    if ordered.dtype.kind != "f" or not ordered.size:
        return False
    if ordered[-1] != ordered[-1]:
        return True
    zeros = np.signbit(ordered[np.searchsorted(ordered, 0, "left"):np.searchsorted(ordered, 0, "right")])
    return bool(zeros.any() and not zeros.all())


def without_derivative(input, values, op, node):
    """``values`` computed from ``input`` as a tensor PyTorch records under ``node`` without a derivative (its
    backward raises), where ``input`` is recorded."""
    if not records(input):
        return Tensor._wrap(values)
    from ..linalg._checks import NotDifferentiable

    return NotDifferentiable.apply(input, value=values, op=op, node=node)


def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
    """The input with each run of equal consecutive values (or slices along ``dim``) kept once."""
    forward_ad.refuse_dynamic_shape(self, "unique_consecutive")
    if dim is not None:  # (the parser's checks, in the order of its signature)
        dim = unique_dim_argument(dim, "unique_consecutive")
    _parser_errors.check_bools("unique_consecutive", return_inverse=return_inverse, return_counts=return_counts)
    # (PyTorch's kernel without a dim serves a vector's dim 0 too; both refuse complex numbers before the dim)
    self._no_kernel_for("c", "unique" if dim is None or dim == 0 and self._data.ndim == 1 else "unique_dim")
    a = self._data
    if dim is None:
        a = a.reshape(-1)
        axis = 0
    else:
        axis = unique_axis(self, dim, "unique_consecutive")
    n = a.shape[axis] if a.ndim else 1
    moved = np.moveaxis(a, axis, 0).reshape(n, a.size // n if n else 0) if a.ndim else a.reshape(1, 1)
    change = np.ones(n, bool)
    if n > 1:
        change[1:] = np.any(moved[1:] != moved[:-1], axis=1)
    starts = np.flatnonzero(change)
    # taken from the dim moved first, and moved back: laid out as PyTorch's (that dim outermost in memory)
    values = np.moveaxis(np.take(np.moveaxis(a, axis, 0), starts, axis=0), 0, axis) if a.ndim else a.reshape(1)
    results = [without_derivative(self, values, "unique_consecutive", "UniqueConsecutiveBackward0")]
    if return_inverse:
        inverse = np.cumsum(change) - 1
        results.append(Tensor._wrap(inverse.reshape(self.shape if dim is None else (n,)).astype(np.int64)))
    if return_counts:
        results.append(Tensor._wrap(np.diff(np.append(starts, n)).astype(np.int64)))
    for result in results if not a.size else ():  # (NumPy gives empty results all-zero strides)
        result._data = _memory_format.with_c_strides(result._data)
    return results[0] if len(results) == 1 else tuple(results)


def _reduce_dim(self, dim, keepdim, name):
    """``dim`` of the reduction ``name`` as an axis, after PyTorch's parser checks of dim and keepdim."""
    from ._util import normalize_dim

    if type(dim) is not int or keepdim.__class__ is not bool:
        error = _parser_errors.reduction_error(name, dim, keepdim)
        if error is not None:
            raise error
    return normalize_dim(dim, max(self.ndim, 1))


def _check_reduced_size(self, axis, name):
    if self._data.ndim and not self._data.shape[axis]:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")


def nanmedian(self, dim=EVERY_DIM, keepdim=KEEPDIM_OMITTED):
    """The lower median of the non-NaN values (NaN when a row is all NaN); with ``dim``, ``(values,
    indices)``."""
    a = self._data
    if dim is EVERY_DIM:  # (PyTorch's overload without dim takes nothing: dim=None is refused below)
        if keepdim is not KEEPDIM_OMITTED:
            raise _parser_errors.method_error("nanmedian", (), {"keepdim": keepdim})
        if a.size:  # (an empty tensor never reaches the kernel)
            self._no_kernel_for("bcU", "median_cpu")
        flat = a.reshape(-1)
        if flat.size == 0:  # NaN, cast to an integer dtype as PyTorch does (0 or its most negative value)
            with np.errstate(invalid="ignore"):
                return Tensor._wrap(np.array(np.nan).astype(a.dtype))
        from .reduction import Nanmedian

        return Nanmedian.apply(self)
    if keepdim is KEEPDIM_OMITTED:
        keepdim = False
    axis = _reduce_dim(self, dim, keepdim, "nanmedian")
    _check_reduced_size(self, axis, "median")  # (PyTorch's message names median)
    self._no_kernel_for("bcU", "median_out")
    if a.ndim == 0:
        return _RETURN_TYPES["nanmedian"](*_selected(self, 0, np.array(0, np.int64), keepdim, "NanmedianBackward1", dim))
    rows = np.moveaxis(a, axis, -1)
    index = _nanmedian_index(rows.reshape(-1, rows.shape[-1])).reshape(rows.shape[:-1])
    return _RETURN_TYPES["nanmedian"](*_selected(self, axis, np.expand_dims(index, axis), keepdim, "NanmedianBackward1",
                                                 dim))


def _nanmedian_index(rows):
    """For each row, the index of its lower median among the non-NaN values (of a NaN when all are NaN)."""
    order = np.argsort(rows, axis=1, kind="stable")  # NaNs sort last
    count = (~np.isnan(rows)).sum(1)
    position = np.where(count > 0, (count - 1) // 2, 0)
    return order[np.arange(rows.shape[0]), position]


def mode(self, dim=-1, keepdim=False):
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest among equally frequent
    ones) and the index PyTorch's std::sort of (value, index) pairs leaves last among its copies."""
    a = self._data
    axis = _reduce_dim(self, dim, keepdim, "mode")
    _check_reduced_size(self, axis, "mode")
    if a.ndim == 0:  # (its value, before PyTorch's kernel dispatch: a complex one too)
        return _RETURN_TYPES["mode"](*_selected(self, 0, np.array(0, np.int64), keepdim, "ModeBackward0", dim))
    if a.size:  # (PyTorch returns an empty result before its kernel's dispatch: a complex one too)
        self._no_kernel_for("cU", "mode_cpu")
    rows = np.moveaxis(a, axis, -1)
    flat = rows.reshape(-1, rows.shape[-1])
    indices = np.empty(flat.shape[0], np.int64)
    for i, row in enumerate(flat):
        indices[i] = std_sort.mode_index(row)
    index = np.expand_dims(indices.reshape(rows.shape[:-1]), axis)
    return _RETURN_TYPES["mode"](*_selected(self, axis, index, keepdim, "ModeBackward0", dim))


def _selected(self, axis, index, keepdim, node, dim):
    """(values, indices) of the elements at ``index`` (dim ``axis`` kept, of size 1) along ``axis``, recorded as
    PyTorch's node ``node`` (showing the dim as given, the indices and keepdim), as median's are; of a 0-d tensor,
    its value."""
    if not self._data.ndim:
        return indexing.Index.apply(self, key=(), name=node, shown={"dim": dim, "indices": index, "keepdim": keepdim}), \
            Tensor._wrap(index)
    key = list(np.indices(index.shape, sparse=True))
    key[axis] = index
    if not keepdim:
        key, index = [np.squeeze(k, axis) for k in key], np.squeeze(index, axis)
    index = index.astype(np.int64, copy=False)
    values = indexing.Index.apply(self, key=tuple(key), name=node, shown={"dim": dim, "indices": index,
                                                                          "keepdim": keepdim})
    return values, Tensor._wrap(index)
