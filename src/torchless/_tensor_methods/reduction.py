"""Reductions: sum, mean, var/std, prod, max/min/amax/amin and their arg forms, topk, sort/argsort, kthvalue,
median, cumsum, logsumexp, count_nonzero, unique, bincount/histc, norm.

Methods of torchless.Tensor: see ``_tensor_methods.attach``.
"""
import operator

import numpy as np

from .. import _dtype, _memory_format, _parser_errors
from .._kernels import std_sort
from .._ops import indexing, reduction
from .._ops._util import (
    INT64, check_int64, every_dim_if_empty, is_index_argument, is_int_argument, normalize_dim, normalize_dims,
    scan_axis,
)
from ..autograd import forward_ad
from ..autograd.graph import observed, records
from .._tensor import Tensor, _refuse_by_position
from ._arguments import (
    EVERY_DIM, KEEPDIM_OMITTED, Omitted, arg_extremum_arguments, check_dtype_keyword, check_scan_dtype, reduced_axes,
    variance_arguments,
)
from ..return_types import _RETURN_TYPES


_DIM_OMITTED = Omitted("None")  # (sum's and mean's: PyTorch's overload without dim takes no keepdim)


def _every_dim_unless_keepdim(name, keepdim, dtype):
    """None (every dim) for a sum or mean called without dim, or PyTorch's TypeError where keepdim was given."""
    if keepdim is not KEEPDIM_OMITTED:
        raise _parser_errors.reduction_error(name, None, keepdim, dtype) or TypeError(
            f"{name}() missing 1 required positional arguments: \"dim\"")
    return None


def _refuse_as_written(name, params, **keywords):
    """Raise PyTorch's parser TypeError for the call of the method ``name`` as its caller wrote it (see
    _parser_errors.written_call), where it has one."""
    error = _parser_errors.written_error(name, params, keywords)
    if error is None and _parser_errors.written_call(name, params, keywords) is None:  # not readable: by keyword
        error = _parser_errors.method_error(name, (), {**dict(params), **{key: value for key, value in
                                                                          keywords.items() if value is not None}})
    if error is not None:
        raise error


def _widened_histc_range(value, np_dtype):
    """PyTorch's histc range about one ``value`` (bins_edges_correction): a float32 or float64 input's spans at least
    the neighbouring representable numbers (so a large value still has bins of its own), other dtypes' value +- 1."""
    low, high = value - 1, value + 1
    if np_dtype in (np.float32, np.float64):
        real = np_dtype.type
        limit = np.finfo(np_dtype).max
        low = min(float(np.nextafter(real(value), -limit)), low)
        high = max(float(np.nextafter(real(value), limit)), high)
    return low, high


def _linear_bin_counts(values, bins, low, high):
    """histc's counts, as PyTorch's kernel bins them: each value in [low, high] (of the input's dtype) in bin
    (value - low) * bins / (high - low) computed in that dtype and truncated, the last bin closed; values outside,
    and NaN, skipped. A position that overflows the dtype (float16's often do) or is 0 / 0 converts to the integer
    0x8000000000000000 on x86, whose element offset wraps around to bin 0. A range wider than the dtype holds
    counts nothing: linspace's infinite step makes the outer edges inf * 0, NaN."""
    real = values.dtype.type
    with np.errstate(over="ignore"):
        if not np.isfinite(high - low):
            return np.zeros(bins, values.dtype)
    inside = values[(values >= low) & (values <= high)]
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        position = (inside - low) * real(bins) / (high - low)
    position = np.where(np.isfinite(position), position, 0).astype(np.int64)
    return np.bincount(np.minimum(position, bins - 1), minlength=bins).astype(values.dtype)


class ReductionMethods:
    def _accumulation_dtype(self, dtype, kernel):
        """The NumPy dtype sum and prod compute in: ``dtype``, else int64 for integers and bools (NumPy would
        take uint64 for uint8 and bool). PyTorch refuses an integer ``dtype`` while recording a gradient, and its
        ``kernel`` has no uint16, uint32 or uint64 version (which an empty input does not reach)."""
        if dtype is None:
            return np.int64 if self._data.dtype.kind in "biu" else None
        if not isinstance(dtype, _dtype.dtype):  # Python's float, int or bool
            dtype = _dtype.from_numpy_dtype(_dtype.to_numpy_dtype(dtype))
        if not (dtype.is_floating_point or dtype.is_complex) and records(self):
            raise RuntimeError(f"Autograd not support dtype: {dtype.scalar_name}")
        if self._data.size:
            _dtype.refuse_wide_unsigned(kernel, dtype.numpy)
        return dtype.numpy

    def sum(self, dim=_DIM_OMITTED, keepdim=KEEPDIM_OMITTED, dtype=None):
        if dim is _DIM_OMITTED and keepdim is KEEPDIM_OMITTED and dtype is None:  # x.sum(), as below, sooner
            return reduction.Sum.apply(self, axes=tuple(range(self._data.ndim)), keepdim=False,
                                       dtype=self._accumulation_dtype(None, "sum_cpu"), all_dims=True, dims=None)
        omitted = dim is _DIM_OMITTED  # (dim=None is the dims overload of PyTorch's, with its node)
        if omitted:
            dim = _every_dim_unless_keepdim("sum", keepdim, dtype)
        if keepdim is KEEPDIM_OMITTED:
            keepdim = False
        if dtype is not None:
            _refuse_by_position("sum", 2, least=1)  # (dtype is keyword-only)
        axes = reduced_axes("sum", every_dim_if_empty(dim), keepdim, self._data.ndim, dtype=dtype)  # (): every dim
        return reduction.Sum.apply(self, axes=axes, keepdim=keepdim,
                                   dtype=self._accumulation_dtype(dtype, "sum_cpu"),
                                   all_dims=omitted, dims=dim)

    def mean(self, dim=_DIM_OMITTED, keepdim=KEEPDIM_OMITTED, dtype=None):
        if dim is _DIM_OMITTED and keepdim is KEEPDIM_OMITTED and dtype is None and self._data.dtype.kind in "fcV":
            # x.mean() of a floating tensor, as below, sooner ("V": bfloat16)
            return reduction.Mean.apply(self, axes=tuple(range(self._data.ndim)), keepdim=False, all_dims=True,
                                        dims=None)
        omitted = dim is _DIM_OMITTED
        if omitted:
            dim = _every_dim_unless_keepdim("mean", keepdim, dtype)
        if keepdim is KEEPDIM_OMITTED:
            keepdim = False
        if dtype is not None:
            _refuse_by_position("mean", 2, least=1)  # (dtype is keyword-only)
            if not _dtype.is_argument(dtype):
                reduced_axes("mean", dim, keepdim, self._data.ndim, dtype=dtype)  # (raises the parser's error)
        # PyTorch's mean into a half dtype divides the input's sum in float32, then casts (the input is not cast
        # to it first)
        half = dtype in (_dtype.float16, _dtype.bfloat16) and dtype != self.dtype
        source = self if dtype is None else self.to(_dtype.float32 if half else dtype)
        if source._data.dtype.kind not in "fcV":  # ("V": bfloat16)
            error = _parser_errors.reduction_error("mean", dim, keepdim, dtype)  # (the parser's errors come first)
            if error is not None:
                raise error
            raise RuntimeError(
                f"mean(): could not infer output dtype. {'Input' if dtype is None else 'Optional'} dtype must be "
                f"either a floating point or complex dtype. Got: {source.dtype.scalar_name}"
            )
        axes = reduced_axes("mean", every_dim_if_empty(dim), keepdim, self._data.ndim, dtype=dtype)  # (): every dim
        return reduction.Mean.apply(source, axes=axes, keepdim=keepdim, all_dims=omitted, dims=dim,
                                    dtype=dtype.numpy if half else None)

    def _check_std_var(self):
        if self._data.dtype.kind not in "fcV":  # checked before the dims, as in PyTorch ("V": bfloat16)
            raise RuntimeError("std and var only support floating point and complex dtypes")

    def var(self, *args, **kwargs):
        """``var(dim, unbiased=True, keepdim=False)``, ``var(dim=None, *, correction=None, keepdim=False)`` or
        ``var(unbiased=True)``."""
        return self._spread(reduction.Var, *variance_arguments("var", args, kwargs))

    def std(self, *args, **kwargs):
        """As ``var``: its square root."""
        return self._spread(reduction.Std, *variance_arguments("std", args, kwargs))

    def _spread(self, node, dim, correction, keepdim, shown_correction):
        self._check_std_var()
        every = every_dim_if_empty(dim)  # dim=(): every dim, as in PyTorch
        axes = normalize_dims(every, self._data.ndim)
        return node.apply(self, axes=axes, correction=correction, keepdim=keepdim,
                          all_dims=every is None or not self._data.ndim, dims=dim, shown_correction=shown_correction,
                          recorded=observed(self))

    def prod(self, *args, **kwargs):
        """The product of all elements, or along one ``dim`` (``prod(dim, keepdim=False, *, dtype=None)``)."""
        dim, keepdim, dtype = None, False, None
        if args or kwargs:  # one dim only, as in PyTorch
            parsed = _parser_errors.method_arguments("prod", args, kwargs)
            dim, keepdim, dtype = parsed.get("dim"), parsed.get("keepdim", False), parsed["dtype"]
        axes = None if dim is None else normalize_dims(dim, self._data.ndim)
        return reduction.Prod.apply(self, axes=axes, keepdim=keepdim,
                                    dtype=self._accumulation_dtype(dtype, "prod_out_cpu"))

    def _check_nonempty(self, name, dims):
        """PyTorch refuses max/min/argmax/... over a dimension of size 0, or over all of an empty tensor. The
        message names the dim as given in ``dims`` (amax/amin echo the caller's, the others normalise it)."""
        if dims is None:
            message = f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
            if name.startswith("arg"):
                raise IndexError(message)
            raise RuntimeError(message + " Specify the reduction dim with the 'dim' argument.")
        for dim in dims:
            if self._data.shape[normalize_dim(dim, self._data.ndim)] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")

    def _extremum(self, dim, keepdim, largest, name):
        if isinstance(dim, Tensor):
            return self.maximum(dim) if largest else self.minimum(dim)
        # in PyTorch's order: the dim, an empty reduction, then the dtype
        if self._data.size == 0:
            self._check_nonempty(name, None if dim is None else normalize_dims(dim, self._data.ndim))
        if dim is None:
            self._no_kernel_for("cU", f"{name}_all")
        else:
            normalize_dim(dim, self._data.ndim)
            self._refuse_complex(f"{name}(): does not support complex input", RuntimeError)
            if self._data.dtype.kind == "u":
                self._no_kernel_for("U", f"{name}_cpu")
        if dim is None:
            return reduction.Extremum.apply(self, axes=tuple(range(self._data.ndim)), keepdim=False, largest=largest,
                                            amax=False)
        axis = normalize_dim(dim, self._data.ndim)
        if self._data.ndim == 0:  # (its value, recorded as PyTorch's MaxBackward0/MinBackward0, and index 0)
            indices = np.zeros((), np.int64)
            values = reduction.ExtremumAlongDim.apply(self, indices=indices, dim=axis, keepdim=keepdim,
                                                      largest=largest)
            return _RETURN_TYPES[name](values, Tensor._wrap(indices))
        indices = (np.argmax if largest else np.argmin)(self._data, axis=axis, keepdims=True).astype(np.int64)
        values = reduction.ExtremumAlongDim.apply(self, indices=indices, dim=axis, keepdim=keepdim, largest=largest)
        indices = _memory_format.c_ordered(indices if keepdim else np.squeeze(indices, axis))  # (a new result)
        return _RETURN_TYPES[name](values, Tensor._wrap(indices))

    def max(self, *args, **kwargs):
        """max over all elements; ``max(dim)`` gives ``(values, indices)``; ``max(other)`` the elementwise max."""
        if not args and not kwargs:
            return self._extremum(None, False, True, "max")
        return self._extremum_call("max", args, kwargs, True)

    def min(self, *args, **kwargs):
        if not args and not kwargs:
            return self._extremum(None, False, False, "min")
        return self._extremum_call("min", args, kwargs, False)

    def _extremum_call(self, name, args, kwargs, largest, function=False):
        """max/min given arguments: ``(dim[, keepdim])`` of plain types goes straight through, anything else
        (a tensor, a NumPy int, a bad argument) through PyTorch's overload resolution."""
        if len(args) <= 2 and (not kwargs or kwargs.keys() <= {"dim", "keepdim"} and not (args and "dim" in kwargs)):
            dim = args[0] if args else kwargs.get("dim")
            keepdim = args[1] if len(args) > 1 else kwargs.get("keepdim", False)
            if type(dim) is int and type(keepdim) is bool and (len(args) < 2 or "keepdim" not in kwargs):
                return self._extremum(dim, keepdim, largest, name)
        parsed = _parser_errors.extremum_arguments(name, ((self,) if function else ()) + args, kwargs, function)
        if parsed[0] == "other":
            return self.maximum(parsed[1]) if largest else self.minimum(parsed[1])
        return self._extremum(parsed[1], parsed[2], largest, name)

    def amax(self, dim=(), keepdim=False):
        return self._amax_amin(dim, keepdim, True, "amax")

    def amin(self, dim=(), keepdim=False):
        return self._amax_amin(dim, keepdim, False, "amin")

    def _amax_amin(self, dim, keepdim, largest, name):
        every = dim is None or isinstance(dim, (tuple, list)) and not dim  # (a NumPy int dim compares as an array)
        if self._data.size == 0:  # checked before repeated dims, as in PyTorch (after the parser's checks)
            try:
                self._check_nonempty(name, None if every else dim if isinstance(dim, (tuple, list)) else (dim,))
            except TypeError:
                reduced_axes(name, dim, keepdim, self._data.ndim)  # (raises the parser's error)
                raise
        axes = reduced_axes(name, None if every else dim, keepdim, self._data.ndim)
        if self._data.size:  # (an empty result runs no kernel: PyTorch refuses no dtype then)
            self._no_kernel_for("cU", "max_values_cpu" if largest else "min_values_cpu")
        return reduction.Extremum.apply(self, axes=axes, keepdim=keepdim, largest=largest, dims=dim)

    def argmax(self, *args, **kwargs):
        dim, keepdim = arg_extremum_arguments("argmax", args, kwargs)
        return self._arg_extremum(np.argmax, dim, keepdim, "argmax")

    def argmin(self, *args, **kwargs):
        dim, keepdim = arg_extremum_arguments("argmin", args, kwargs)
        return self._arg_extremum(np.argmin, dim, keepdim, "argmin")

    def _arg_extremum(self, fn, dim, keepdim, name):
        if self._data.dtype.kind in "bcu":
            if self._data.dtype.kind == "u":
                _dtype.refuse_wide_unsigned(f"{name}_cpu", self._data.dtype)
            else:
                raise RuntimeError(f"{name}(): does not support "
                                   f"{'bool' if self._data.dtype.kind == 'b' else 'complex'} input")
        if self._data.size == 0:
            self._check_nonempty(name, None if dim is None else normalize_dims(dim, self._data.ndim))
        if dim is None:
            out = np.asarray(fn(self._data), np.int64).reshape((1,) * self._data.ndim if keepdim else ())
        elif self._data.ndim == 0:
            normalize_dim(dim, 0)
            out = np.zeros((), np.int64)
        else:
            axis = normalize_dim(dim, self._data.ndim)
            out = _memory_format.c_ordered(fn(self._data, axis=axis, keepdims=keepdim).astype(np.int64, copy=False))
        out = Tensor._wrap(out)
        if forward_ad.state.vmap_levels:  # an index of batched values is batched too, the batch moved to the front
            forward_ad.mark_batch_rank(forward_ad.mark_batched(out, (self,)), 0)
        return out

    def topk(self, k, dim=-1, largest=True, sorted=True):
        if type(k) is not int or type(dim) is not int or largest.__class__ is not bool or \
                sorted.__class__ is not bool:
            parsed = _parser_errors.method_arguments("topk", (k, dim, largest, sorted))
            k, dim = parsed["k"], parsed["dim"]
        axis = normalize_dim(dim, self._data.ndim)
        if not 0 <= k <= (self._data.shape[axis] if self._data.ndim else 1):
            check_int64(k)  # (the parser's failure first)
            raise RuntimeError("selected index k out of range")
        if self._data.dtype.kind == "b":
            raise RuntimeError("topk does not support bool dtypes on CPU")
        if self._data.dtype.kind == "u":
            self._no_kernel_for("U", "topk_cpu")
        self._refuse_complex(" topk does not support complex dtypes on CPU", RuntimeError)  # (sic: the space)
        if self._data.ndim == 0:  # k of 0 or 1: the value itself, as in PyTorch
            indices = np.zeros((), np.int64)
            values = self._gather(axis, None, "TopkBackward0", {"dim": dim, "indices": indices})
            return _RETURN_TYPES["topk"](values, Tensor._wrap(indices))
        if std_sort.topk_needs_whole_order(self._data.shape[axis], k, sorted):
            candidates = self._sort_order(axis, largest, std_sort.numpy_sort_kind(self._data.shape[axis], topk=True))
        else:
            candidates = std_sort.leading_order(self._data, axis, k + 1, largest)
        order = std_sort.topk_order(self._data, axis, k, largest, sorted, candidates)
        indices = _memory_format.c_ordered(order.astype(np.int64, copy=False))
        values = self._gather(axis, indices, "TopkBackward0", {"dim": dim, "indices": indices})
        return _RETURN_TYPES["topk"](values, Tensor._wrap(indices))

    def sort(self, dim=-1, descending=False, stable=None):
        # (None: not given. PyTorch's overload taking ``stable`` names its node SortBackward1)
        node = "SortBackward0" if stable is None else "SortBackward1"
        if stable is not None or descending.__class__ is not bool or type(dim) is not int:
            # (the overload taking stable takes the others by keyword only; stable is keyword-only, taken by
            # position too here where a keyword-only default would cost every call, and refused here)
            _refuse_as_written("sort", (("dim", dim), ("descending", descending), ("stable", stable)))
            dim = operator.index(dim)  # (a NumPy integer or a 0-d integer tensor the parser took)
        axis = normalize_dim(dim, self._data.ndim)
        self._refuse_complex(" Sort does not support complex dtypes on CPU", RuntimeError)  # (sic: the space)
        if self._data.ndim == 0:
            order = np.zeros((), np.int64)
        else:
            if stable:
                order = self._sort_order(axis, descending)
            else:  # PyTorch's std::sort: ties as it leaves them
                kind = std_sort.numpy_sort_kind(self._data.shape[axis])
                order = std_sort.unstable_sort_order(self._data, axis, descending,
                                                     self._sort_order(axis, descending, kind))
            order = order.astype(np.int64, copy=False)
        laid_out_as_input = order.ndim > 1 or not order.size
        if laid_out_as_input:  # PyTorch's sort lays both results out as its input (preserve_format)
            order = _memory_format.preserving(order, self._data)
        values = self._gather(axis, order if order.ndim else None, node, {"dim": dim, "indices": order})
        if laid_out_as_input:
            values._data = _memory_format.preserving(values._data, self._data)
        return _RETURN_TYPES["sort"](values, Tensor._wrap(order))

    def _sort_order(self, axis, descending, kind="stable"):
        """Sorting indices along ``axis`` (stable unless NumPy's ``kind`` says otherwise). Descending is the
        ascending order of the reversed values, reversed: ties keep their order and NaN comes first, as in PyTorch
        (negating would wrap uint8 and fail on bool, and would put NaN last)."""
        if not descending:
            return np.argsort(self._data, axis=axis, kind=kind)
        ascending = np.argsort(np.flip(self._data, axis), axis=axis, kind=kind)
        return self._data.shape[axis] - 1 - np.flip(ascending, axis)

    def argsort(self, dim=-1, descending=False, stable=_parser_errors.NOT_GIVEN):
        # (stable given as None is refused: argsort's is a bool, where sort's may be None)
        if stable is not _parser_errors.NOT_GIVEN or descending.__class__ is not bool or type(dim) is not int:
            given_stable = () if stable is _parser_errors.NOT_GIVEN else (("stable", stable),)
            _refuse_as_written("argsort", (("dim", dim), ("descending", descending)) + given_stable)
            dim = operator.index(dim)  # (a NumPy integer or a 0-d integer tensor the parser took)
        return self.sort(dim, descending, None if stable is _parser_errors.NOT_GIVEN else stable)[1]

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The k-th smallest element along ``dim`` (NaN counts as the largest) and its index."""
        if type(k) is not int or type(dim) is not int or keepdim.__class__ is not bool:
            parsed = _parser_errors.method_arguments("kthvalue", (k, dim, keepdim))
            k, dim = parsed["k"], parsed["dim"]
        axis = normalize_dim(dim, self._data.ndim)
        if self._data.size == 0:
            self._check_nonempty("kthvalue", (axis,))
        if not 1 <= k <= (self._data.shape[axis] if self._data.ndim else 1):
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
        if self._data.ndim:  # (a 0-d tensor is its own value, without the kernel)
            self._no_kernel_for("bcU", "kthvalue_cpu")
        return self._select(axis, k - 1, keepdim, "kthvalue", "KthvalueBackward0", dim)

    def median(self, dim=EVERY_DIM, keepdim=KEEPDIM_OMITTED):
        """The lower median of all elements, or ``(values, indices)`` along ``dim``; NaN wins where there is one."""
        if dim is EVERY_DIM:  # (PyTorch's overload without dim takes nothing: dim=None is refused below)
            if keepdim is not KEEPDIM_OMITTED:
                raise _parser_errors.method_error("median", (), {"keepdim": keepdim})
            if self._data.size:  # (an empty tensor never reaches the kernel)
                self._no_kernel_for("bcU", "median_cpu")
            return reduction.Median.apply(self)
        if keepdim is KEEPDIM_OMITTED:
            keepdim = False
        if type(dim) is not int or keepdim.__class__ is not bool:
            error = _parser_errors.reduction_error("median", dim, keepdim)
            if error is not None:
                raise error
        axis = normalize_dim(dim, self._data.ndim)
        if self._data.size == 0:
            self._check_nonempty("median", (axis,))
        self._no_kernel_for("bcU", "median_out")  # (the kernel along a dim has its own name)
        n = self._data.shape[axis] if self._data.ndim else 1
        return self._select(axis, (n - 1) // 2, keepdim, "median", "MedianBackward1", dim)

    def _select(self, axis, position, keepdim, name, node, dim):
        """The element at ``position`` of the ascending order along ``axis`` (``dim`` as given), with its index; a
        NaN (the first one) is chosen wherever there is one."""
        if not self._data.ndim:
            index = np.zeros((), np.int64)
            shown = {"dim": dim, "indices": index, "keepdim": keepdim}
            return _RETURN_TYPES[name](self._gather(axis, None, node, shown), Tensor._wrap(index))
        index = np.take(self._sort_order(axis, False), [position], axis=axis)
        if name == "kthvalue":
            index = reduction.kthvalue_ties_as_pytorch(self._data, axis, position, index)
        if name == "median" and self._data.dtype.kind in "fV":
            nan = np.isnan(self._data)
            index = np.where(nan.any(axis, keepdims=True), np.argmax(nan, axis, keepdims=True), index)
        key = list(np.indices(index.shape, sparse=True))
        key[axis] = index
        if not keepdim:
            key, index = [np.squeeze(k, axis) for k in key], np.squeeze(index, axis)
        index = _memory_format.c_ordered(index.astype(np.int64, copy=False))
        values = indexing.Index.apply(self, key=tuple(key), name=node,
                                      shown={"dim": dim, "indices": index, "keepdim": keepdim})
        return _RETURN_TYPES[name](values, Tensor._wrap(index))

    def cumsum(self, dim, dtype=_parser_errors.NOT_GIVEN):
        """Running sums along ``dim``; integers and bools sum in int64."""
        if dtype is _parser_errors.NOT_GIVEN:
            dtype = None
        else:
            _refuse_by_position("cumsum", 1)  # (dtype is keyword-only: None by position refused too)
        axis = scan_axis(dim, self._data.ndim, "cumsum")
        check_scan_dtype(self, dtype, "cumsum_out_cpu")
        return reduction.Cumsum.apply(self, axis=axis, dtype=self._accumulation_dtype(dtype, "cumsum_out_cpu"),
                                      dim=dim)

    def cumsum_(self, dim, dtype=_parser_errors.NOT_GIVEN):
        return self._scan_in_place("cumsum", dim, dtype)

    def cumprod_(self, dim, dtype=_parser_errors.NOT_GIVEN):
        return self._scan_in_place("cumprod", dim, dtype)

    def _scan_in_place(self, name, dim, dtype):
        """cumsum_ / cumprod_: a ``dtype`` must be the tensor's own (PyTorch checks it first); a bool tensor cannot
        hold the int64 sums or products."""
        if dtype is _parser_errors.NOT_GIVEN:
            dtype = None
        else:
            _refuse_by_position(f"{name}_", 1)  # (dtype is keyword-only: None by position refused too)
        if dtype is not None:
            check_dtype_keyword(f"{name}_", dtype)
            if _dtype.to_numpy_dtype(dtype) != self._data.dtype:
                from .._ops.tensor_extras import in_place_dtype_mismatch

                raise in_place_dtype_mismatch(self._data.dtype, _dtype.to_numpy_dtype(dtype))
        self._no_kernel_for("b", f"{name}_out_cpu")
        return self._inplace(lambda t: getattr(t, name)(dim, dtype=dtype))

    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(x))) over ``dim``, computed without overflow; integers give the default float dtype."""
        if dim is None:
            raise _parser_errors.method_error("logsumexp", (dim,))
        shown = dim  # (the node shows the dims as given)
        if every_dim_if_empty(dim) is None:
            # dim=() reduces every dim (the legacy meaning), into a result with every dim kept, which PyTorch's
            # logsumexp then copies into its output: of the dims-dropped shape unless keepdim (an empty input
            # takes another path, log(sum(exp)), which fails at nothing)
            if not keepdim and self._data.ndim and self._data.size:
                raise RuntimeError(f"output with shape [] doesn't match the broadcast shape "
                                   f"[{', '.join(['1'] * self._data.ndim)}]")
            dim = tuple(range(self._data.ndim))
        axes = reduced_axes("logsumexp", dim, keepdim, self._data.ndim)
        return reduction.Logsumexp.apply(self._float_self(), axes=axes, keepdim=keepdim, dims=shown)

    def count_nonzero(self, dim=None, *more):
        if more or dim.__class__ is not int and not is_int_argument(dim) and is_index_argument(dim):
            # the dims as separate ints, as PyTorch's parser takes them for its int[] dim (a one-element tensor too,
            # but only by position: by keyword it is neither an int nor an int list)
            error = None if more else _parser_errors.written_error("count_nonzero", (("dim", dim),), {})
            if error is not None:
                raise error
            dim = _parser_errors.method_arguments("count_nonzero", (dim,) + more)["dim"]
        dim = every_dim_if_empty(dim)  # dim=(): every dim, as in PyTorch
        axes = reduced_axes("count_nonzero", dim, False, self._data.ndim)
        if dim is None:  # (over some dims PyTorch counts by comparisons and a sum, which run)
            self._no_kernel_for("U", "nonzero_count_cpu")
        return Tensor._wrap(_memory_format.c_ordered(np.asarray(np.count_nonzero(self._data, axis=axes), np.int64)))

    def bincount(self, weights=None, minlength=0):
        """How often each value 0, 1, ..., max occurs in a 1-D tensor of non-negative integers (with ``weights``:
        their sums, float64 unless the weights are float32)."""
        if type(minlength) is not int:
            minlength = _parser_errors.method_arguments("bincount", (weights, minlength))["minlength"]
        self._no_kernel_for("fbcU", "bincount_cpu")
        if minlength < 0:
            raise RuntimeError("minlength should be >= 0")
        if self._data.ndim != 1 or (self._data < 0).any():
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        if weights is None or not self._data.size:  # (an empty input counts in int64 even with weights, as torch)
            # (NumPy gives a result of no bins all-zero strides)
            return Tensor._wrap(_memory_format.with_c_strides(np.bincount(self._data, minlength=minlength).astype(
                np.int64)))
        if weights._data.shape != self._data.shape:
            raise RuntimeError("weights should be 1-d and have the same length as input")
        out = np.bincount(self._data, weights._data, minlength=minlength)
        return Tensor._wrap(out.astype(np.float32 if weights._data.dtype == np.float32 else np.float64))

    def histc(self, bins=100, min=0, max=0):
        """Counts in ``bins`` equal bins over [min, max] (the data's range when both are 0), in self's dtype;
        values outside are ignored."""
        # in PyTorch's order: the arguments, the range, the bin edges (made in self's dtype), the kernel
        if type(bins) is not int or not (_parser_errors.is_number_argument(min) and
                                         _parser_errors.is_number_argument(max)):  # (a Fraction is no Number)
            bins = _parser_errors.method_arguments("histc", (bins, min, max))["bins"]
        if forward_ad.state.vmap_levels:
            forward_ad.warn_fallback("aten::histc", (self,))
        if bins <= 0:
            raise RuntimeError(f"torchless.histogram(): bins must be > 0, but got {bins} for dimension 0")
        # (a complex bound converted to double as PyTorch converts it: its imaginary part refused)
        min, max = (float(_dtype.scalar_argument(v, np.dtype(np.float64)) if isinstance(v, complex) else v)
                    for v in (min, max))
        if min == max and self._data.size:
            self._no_kernel_for("cU", "aminmax_cpu")
            min, max = float(self._data.min()), float(self._data.max())
            if self._data.size > 1:  # (the NaN of PyTorch's vectorised aminmax is x86's default one, negative)
                min, max = (np.copysign(np.nan, -1) if np.isnan(v) else v for v in (min, max))
        if min == max:
            min, max = _widened_histc_range(min, self._data.dtype)
        if not (np.isfinite(min) and np.isfinite(max)):
            shown = [("-nan" if np.signbit(v) else "nan") if np.isnan(v) else f"{v:g}" for v in (min, max)]
            raise RuntimeError(f"torchless.histc: range of [{shown[0]}, {shown[1]}] is not finite")
        if not min < max:
            raise RuntimeError("torchless.histc: max must be larger than min")
        self._no_kernel_for("b", "linspace_cpu")
        # (the linspace of the bin edges converts the range to self's dtype, refusing a value beyond it)
        low, high = (_dtype.fill_value(v, self._data.dtype) for v in (min, max))
        self._no_kernel_for("biuc", "histogram_cpu")  # (an empty complex tensor reaches it)
        return Tensor._wrap(_linear_bin_counts(self._data.reshape(-1), bins, low, high))

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (sorted), optionally with the inverse indices and the counts."""
        from .._ops.modal_reductions import (
            unique_axis, unique_dim_argument, unique_slices, unique_values, without_derivative,
        )
        from ..autograd import forward_ad

        forward_ad.refuse_dynamic_shape(self, "_unique2" if dim is None else "unique_dim")

        if dim is not None:  # (the parser's checks, in the order of its signature)
            dim = unique_dim_argument(dim)
        _parser_errors.check_bools("_unique2" if dim is None else "unique_dim", sorted=sorted,
                                   return_inverse=return_inverse, return_counts=return_counts)
        self._no_kernel_for("c", "unique" if dim is None else "unique_dim")
        axis = None if dim is None else unique_axis(self, dim)
        if axis is None:
            values, inverse, counts = unique_values(self._data)
        elif self._data.dtype.kind in "fV" and self._data.size and np.isnan(self._data).any():
            values, inverse, counts = unique_slices(self._data, axis)  # (NumPy sorts slices with NaN otherwise)
        else:
            values, inverse, counts = np.unique(self._data, return_inverse=True, return_counts=True, axis=axis,
                                                equal_nan=False)
        out = (without_derivative(self, values, "_unique2", "Unique2Backward0") if axis is None else
               without_derivative(self, values, "unique_dim", "UniqueDimBackward0"),)
        if return_inverse:
            out += (Tensor._wrap(inverse.reshape(self._data.shape if axis is None else -1).astype(np.int64)),)
        if return_counts:
            out += (Tensor._wrap(counts.astype(np.int64)),)
        _memory_format.in_c_order(out)  # (C strides, empty results' too: NumPy gives those all-zero strides)
        return out[0] if len(out) == 1 else out

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        if dtype is not None:  # PyTorch's checks of the input and dtype: linalg's
            from ..linalg._checks import check_float, norm_input

            name = "linalg.matrix_norm" if isinstance(p, str) and p != "fro" else "linalg.vector_norm"
            if p == "nuc":  # (half is refused by the input's dtype, whatever the dtype argument)
                check_float(name, self._data)
            return norm_input(name, self, dtype).norm(p, dim, keepdim)
        if isinstance(p, str) and not (p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2)):
            # as torch.norm: the nuclear norm, or a Frobenius one over other than two dims, is matrix_norm's (and
            # its error)
            from ..linalg import matrix_norm

            dims = list(range(self._data.ndim)) if dim is None else [dim] if isinstance(dim, int) else dim
            return matrix_norm(self, p, dims, keepdim)  # (an int as torch.norm passes it on: a list of one dim)
        if p is None:
            p = 2.0
        dims = () if dim is None else (dim,) if type(dim) is int else dim
        if type(p) not in (int, float, str) or keepdim.__class__ is not bool or not (
                isinstance(dims, (tuple, list)) and all(type(d) is int and d in INT64 for d in dims)):
            # linalg.vector_norm's parser (its TypeError for a dim beyond int64 too)
            _parser_errors.parse("linalg_vector_norm", _parser_errors.VECTOR_NORM,
                                 (self, 2 if p == "fro" else p, [dim] if isinstance(dim, int) else dim, keepdim))
            # (as torch.norm passes them on: an int dim, a bool too, in a list)
        if type(p) is int:
            _dtype.check_64_bits(p)  # (the parser's conversion of a Scalar)
        dim = every_dim_if_empty(dim)  # dim=(): every dim, as in PyTorch
        if self._data.dtype.kind not in "fV":  # ("V": bfloat16)
            if self._data.dtype.kind == "c":  # the norm of the magnitudes (real, differentiable through abs)
                return self.abs().norm(p, dim, keepdim)
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                               f"{self.dtype.scalar_name}")
        if isinstance(p, complex):
            from ..linalg._checks import check_real_order  # (here: linalg imports this module)

            check_real_order(p)
        if self._data.size == 0 and p != "fro":  # (before the dims are checked for repeats, as in PyTorch)
            from ..linalg.norms import check_empty_norm  # (here: linalg imports this module)

            check_empty_norm(p, self._data.shape, dim)
        axes = normalize_dims(dim, self._data.ndim)
        if p == 0:  # the number of nonzeros (the general form would take a 1/0-th power)
            return reduction.CountNonzero.apply(self, axes=axes, keepdim=keepdim, shown=(p, dim))
        return reduction.VectorNorm.apply(self, p=2.0 if p == "fro" else float(p), axes=axes, keepdim=keepdim,
                                          shown=(2 if p == "fro" else p, dim))
