"""Reductions over some or all dimensions: sum, mean, max/min, var."""
import math

import numpy as np

from .. import _memory_format
from .._kernels.reduce_order import norm_two_squares
from .._kernels.sum_order import running_sum_by_threads
from ..autograd import forward_ad
from ..autograd.graph import OUTPUT, ContiguousResult, Node
from ..autograd.saved_values import Saved, SavedInput, int64, saved_result
from ._util import (cast_for_reduction, expand_reduced, expand_reduced_tensor, sum_backward_tensor, sum_of_rows,
                    tensor_sum)
from .unary import sign


def half_accumulated(fn, a, **kwargs):
    """``fn`` (a sum) of a float16 array accumulated in float32 and rounded once at the end, as PyTorch's CPU
    kernels do: NumPy would round every partial sum to float16."""
    # (np.sum and np.nansum raise their float warnings from NumPy's modules, which torchless's silencing of them,
    # by module, does not cover: inf + -inf is NaN without a word in PyTorch)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.asarray(fn(a, dtype=np.float32, **kwargs)).astype(np.float16)


def _reduced_dims(node):
    """The dims reduced over as the call gave them (a negative one shown unsigned, as PyTorch's node does)."""
    dims = node.axes if node.dims is None else node.dims
    return int64(tuple(np.atleast_1d(dims).tolist()))


def _given_dims(node):
    """``_reduced_dims``, or None where the call gave dim=None."""
    return None if node.dims is None else _reduced_dims(node)


def _unsqueezed_dims(node):
    """The dims sum_backward unsqueezes: those the call gave (none for dim=None or an empty list: it expands)."""
    return None if node.dims is None or np.size(node.dims) == 0 else node.axes


class Sum(ContiguousResult):
    torch_saved = {"SumBackward0": {"self_sym_sizes": lambda node: node.shape},
                   "SumBackward1": {"dim": _given_dims, "keepdim": lambda node: node.keepdim,
                                    "self_sym_sizes": lambda node: node.shape}}

    def forward(self, a, axes=None, keepdim=False, dtype=None, all_dims=False, dims=None):
        """``all_dims``: called without ``dim`` (PyTorch names that node SumBackward0, else SumBackward1, dim=None
        too)."""
        self.shape, self.axes, self.keepdim, self.all_dims, self.dims = a.shape, axes, keepdim, all_dims, dims
        cast = cast_for_reduction(a, dtype)
        if cast is not None:
            return self.forward(cast, axes, keepdim, None, all_dims, dims).astype(dtype, copy=False)
        if dtype is None and a.dtype == np.float16:
            return half_accumulated(np.sum, a, axis=axes, keepdims=keepdim)
        if dtype is None or dtype == a.dtype and a.dtype.kind in "fc":
            return np.asarray(tensor_sum(a, axes, keepdim))
        # (given explicitly: NumPy's own choice for integers and bools would be int64 or uint64)
        return np.asarray(np.add.reduce(a, axis=axes, keepdims=keepdim, dtype=dtype))

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        return (expand_reduced(grad, self.shape, self.axes, self.keepdim),)

    def backward_graph(self, grad):
        return (sum_backward_tensor(grad, self.shape, _unsqueezed_dims(self), self.keepdim),)

    def name(self):
        return "SumBackward0" if self.all_dims else "SumBackward1"


def _sequential_half_product(a, axes, keepdim):
    """The product of a float16 array over ``axes`` (None: all) rounded to float16 at every step from the first
    element on, as PyTorch's kernel multiplies: [300, 300, 0] gives nan (inf * 0), where NumPy's order gives 0."""
    if a.ndim == 0:
        return a.copy()
    reduced = tuple(range(a.ndim)) if axes is None else tuple(int(i) % a.ndim for i in np.atleast_1d(axes))
    kept = [i for i in range(a.ndim) if i not in reduced]
    count = int(np.prod([a.shape[i] for i in reduced]))
    rows = np.transpose(a, kept + list(reduced)).reshape([a.shape[i] for i in kept] + [count])
    if rows.shape[-1] == 0:
        out = np.ones(rows.shape[:-1], np.float16)
    else:
        with np.errstate(over="ignore", invalid="ignore"):  # inf and nan, silently as in PyTorch
            out = np.multiply.accumulate(rows, axis=-1)[..., -1].copy()  # (the last column alone, contiguous)
    if keepdim:
        out = np.expand_dims(out, reduced)
    return np.asarray(out)


def _bfloat16_product(a, axes, keepdim):
    """The product of a bfloat16 array over ``axes`` (None: all) as PyTorch's kernel multiplies, each step rounded
    to bfloat16: along the innermost dim (all of a contiguous array) in 4 vectors of 16 lanes over each 64 elements,
    the vectors then multiplied pairwise, their lanes in turn and the rest of the elements one by one; along an
    outer dim one element after the other."""
    if a.ndim == 0:
        return a.copy()
    if axes is None:
        a, axes = np.ravel(a, order="K"), (0,)
    axis = int(axes[0]) % a.ndim
    with np.errstate(over="ignore", invalid="ignore"):  # inf and nan, silently as in PyTorch
        if a.shape[axis] == 0:
            return np.multiply.reduce(a, axis=axis, keepdims=keepdim)
        if axis != a.ndim - 1:
            out = np.multiply.accumulate(a, axis=axis).take([-1], axis=axis)  # (ml_dtypes rounds every step)
            return out if keepdim else np.squeeze(out, axis)
        rows = a.reshape(-1, a.shape[-1]).astype(np.float32)
        rounded = _rounded_to(a.dtype)
        count = rows.shape[1] // 64
        out = np.ones(rows.shape[0], np.float32)
        if count:
            blocks = rows[:, :count * 64].reshape(-1, count, 4, 16)
            acc = blocks[:, 0]
            for i in range(1, count):
                acc = rounded(acc * blocks[:, i])
            lanes = rounded(rounded(acc[:, 0] * acc[:, 1]) * rounded(acc[:, 2] * acc[:, 3]))
            out = lanes[:, 0]
            for j in range(1, 16):
                out = rounded(out * lanes[:, j])
        for k in range(count * 64, rows.shape[1]):
            out = rounded(out * rows[:, k])
    out = out.astype(a.dtype).reshape(a.shape[:-1] + ((1,) if keepdim else ()))
    return out


def _rounded_to(dtype):
    return lambda values: values.astype(dtype).astype(np.float32)


class Prod(ContiguousResult):
    """Product over all elements (``axes`` None) or along one dim; backward as PyTorch's prod_backward:
    grad * result / x without zeros, otherwise the product of the other elements, exact where x has zeros."""
    autocast = "float32"  # (its list in PyTorch's CPU autocast)
    # (bfloat16 through its own kernel, rounding every step as PyTorch's; the backward's ops on bfloat16 arrays
    # round each, as PyTorch's formula's)
    bfloat16_in_float32 = "kernel"

    saved = ("a", "out")
    torch_saved = {"ProdBackward0": {"self": SavedInput(0, "a"), "result": saved_result("out")},
                   "ProdBackward1": {"self": SavedInput(0, "a"), "result": saved_result("out"),
                                     "dim": lambda node: int64(node.axes[0]), "keepdim": lambda node: node.keepdim}}

    def forward(self, a, axes=None, keepdim=False, dtype=None):
        if dtype is not None and a.dtype.kind in "biufV" and np.dtype(dtype).kind in "fV":
            # a real input cast first, as PyTorch's (see cast_for_reduction): the product of that dtype's own
            return self.forward(a.astype(dtype, copy=False), axes, keepdim)
        self.a, self.axes, self.keepdim = a, axes, keepdim
        if dtype is None and a.dtype == np.float16:
            self.out = _sequential_half_product(a, axes, keepdim)
            return self.out
        if dtype is None and a.dtype.kind == "V":
            self.out = _bfloat16_product(a, axes, keepdim)
            return self.out
        # (the ufunc itself: np.prod's floating-point warnings would come from NumPy's Python code, not torchless's)
        self.out = np.multiply.reduce(a, axis=axes, dtype=dtype, keepdims=keepdim)
        return self.out

    jvp = forward_ad.reduction_jvp  # (a reduction: the gradient times the tangent, summed)

    def backward(self, grad):
        a, out = self.a, self.out
        if not a.ndim:
            return (grad,)
        if self.axes is None:
            zeros = np.count_nonzero(a == 0)
            if zeros == 0:
                return (grad * (out / a),)
            if zeros > 1:  # every partial product holds a zero
                return (np.zeros(a.shape, np.result_type(grad, a)),)
            return (grad * _products_of_the_others(a.reshape(-1), 0).reshape(a.shape),)
        axis = self.axes[0]
        if not self.keepdim:
            grad, out = np.expand_dims(grad, axis), np.expand_dims(out, axis)
        if not (a == 0).any():
            return (grad * (out / a),)
        return (grad * _products_of_the_others(a, axis),)

    def backward_graph(self, grad):
        a = self.a
        if not a.ndim:
            return (grad,)
        x = self.graph_input(0, a)
        if self.axes is not None and not self.keepdim:
            grad = grad.unsqueeze(self.axes[0])
        if (a == 0).any():
            # Without a division, and so differentiable again at the zeros (their second derivatives are not 0);
            # PyTorch's prod_safe_zeros_backward passes the gradient of a product of one element as it is
            if self.axes is None:  # (over the flattened input, viewed back)
                flat = grad if a.size == 1 else grad * _products_of_the_others_tensor(x.reshape(-1), 0)
                return (flat.view(a.shape),)
            if a.shape[self.axes[0]] == 1:
                return (grad,)
            return (grad * _products_of_the_others_tensor(x, self.axes[0]),)
        out = self.graph_output(self.out)
        if self.axes is not None and not self.keepdim:
            out = out.unsqueeze(self.axes[0])
        return (grad * (out / x),)

    def name(self):
        return "ProdBackward0" if self.axes is None else "ProdBackward1"


def _products_of_the_others(a, axis):
    """For each element, the product of the other elements along ``axis``, without a division: the
    products of those before it times those after it (exclusive cumulative products both ways)."""
    moved = np.moveaxis(a, axis, -1)
    ones = np.ones(moved.shape[:-1] + (1,), a.dtype)
    before = np.cumprod(np.concatenate([ones, moved[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, moved[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.moveaxis(before * after, -1, axis)


def _products_of_the_others_tensor(x, axis):
    """_products_of_the_others for a tensor of the graph (create_graph=True): exclusive cumulative products, so
    that each element's factor is a polynomial in the others, differentiable again wherever they are zero."""
    from .shape import Cat

    n = x._data.shape[axis]
    ones_shape = list(x._data.shape)
    ones_shape[axis] = 1
    ones = x._wrap(np.ones(ones_shape, x._data.dtype))
    before = Cat.apply(ones, x.narrow(axis, 0, n - 1), dim=axis).cumprod(axis)
    after = Cat.apply(ones, x.narrow(axis, 1, n - 1).flip(axis), dim=axis).cumprod(axis).flip(axis)
    return before * after


class Mean(ContiguousResult):
    torch_saved = {"MeanBackward0": {"self_sym_numel": lambda node: int(np.prod(node.shape)),
                                     "self_sym_sizes": lambda node: node.shape},
                   "MeanBackward1": {"dim": _given_dims, "keepdim": lambda node: node.keepdim,
                                     "self_sym_numel": lambda node: int(np.prod(node.shape)),
                                     "self_sym_sizes": lambda node: node.shape}}

    def forward(self, a, axes=None, keepdim=False, all_dims=False, dims=None, dtype=None):
        """``dtype``: the result's, where it is not the input's (the float32 mean cast to a half dtype)."""
        self.shape, self.axes, self.keepdim, self.all_dims, self.dims = a.shape, axes, keepdim, all_dims, dims
        if dtype is not None:
            return self.forward(a, axes, keepdim, all_dims, dims).astype(dtype)
        if a.dtype == np.float16:
            total = np.add.reduce(a, axis=axes, keepdims=keepdim, dtype=np.float32)  # (see half_accumulated)
        else:
            total = np.asarray(tensor_sum(a, axes, keepdim))
        self.count = a.size // total.size if total.size else 1
        if a.size == 0:  # nan, without NumPy's "Mean of empty slice" warning
            return np.full(total.shape, _nan(a.dtype), a.dtype)
        if a.dtype.kind == "c":
            with np.errstate(invalid="ignore"):  # (a complex infinity's quotient has NaN parts, silently as PyTorch's)
                return (total / self.count).astype(a.dtype, copy=False)
        return (total / self.count).astype(a.dtype, copy=False)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        # PyTorch's mean_backward expands the gradient, then divides: a new array, laid out as TensorIterator lays
        # out the quotient (C order for a gradient broadcast along the reduced dims), where the sum's gradient is the
        # expanded view itself
        expanded = expand_reduced(grad, self.shape, self.axes, self.keepdim)
        if expanded.dtype == np.float16:  # (divided by the count in float32, rounded: float16 cannot hold 65520)
            return (_memory_format.iterator_layout((expanded / np.float32(self.count)).astype(np.float16),
                                                   (expanded,)),)
        return (_memory_format.iterator_layout(expanded / self.count, (expanded,)),)

    def backward_graph(self, grad):
        from .arithmetic import Div

        # (mean_backward: sum_backward's, divided by the number of elements, div.Scalar's DivBackward1)
        return (sum_backward_tensor(grad, self.shape, _unsqueezed_dims(self), self.keepdim)._binary(
            self.count, Div, scalar_divisor=True),)

    def name(self):
        return "MeanBackward0" if self.all_dims else "MeanBackward1"


class Extremum(ContiguousResult):
    """max/min over all elements or amax/amin over dims: the gradient is shared evenly among ties."""

    saved = ("a", "out")
    _everything = {"self": SavedInput(0, "a"), "result": saved_result(lambda node: node.result())}
    _along_dims = {"self": SavedInput(0, "a"), "result": saved_result(lambda node: node.result()),
                   "dim": _reduced_dims, "keepdim": lambda node: node.keepdim}
    torch_saved = {"MaxBackward1": _everything, "MinBackward1": _everything,
                   "AmaxBackward0": _along_dims, "AminBackward0": _along_dims, "MedianBackward0": _everything,
                   "NanmedianBackward0": _everything}

    def result(self):
        return self.out if self.keepdim else np.squeeze(self.out, axis=self.axes)

    def forward(self, a, axes=None, keepdim=False, largest=True, amax=True, dims=None):
        """``amax``: amax/amin (AmaxBackward0) rather than max()/min() of everything (MaxBackward1)."""
        self.axes, self.keepdim, self.largest, self.amax, self.dims = axes, keepdim, largest, amax, dims
        # (the ufuncs' reduce itself: np.max's Python wrapper was a quarter of a small x.max())
        reduce = np.maximum.reduce if largest else np.minimum.reduce
        self.a = a
        self.out = reduce(a, axis=axes, keepdims=True)
        return self.out if keepdim else self.out.squeeze(axis=axes)

    jvp = forward_ad.reduction_jvp  # (a reduction: the gradient times the tangent, summed)

    def backward(self, grad):
        hit = self.a == self.out
        if not self.amax and self.a.dtype.kind == "f":  # max()/min() return NaN as the extremum it is (amax: no)
            hit |= np.isnan(self.a) & np.isnan(self.out)
        share = hit / hit.sum(axis=self.axes, keepdims=True)
        if not self.keepdim:
            grad = np.expand_dims(grad, self.axes)
        gradient = (grad * share).astype(self.a.dtype, copy=False)
        # (max()'s evenly_distribute_backward fills grad.new_zeros(sizes): C order; amax's follows the input's)
        return (gradient if self.amax else _memory_format.c_ordered(gradient),)

    def backward_graph(self, grad):  # the ties, and so the shares, are constants of the graph
        hit = self.a == self.out
        if not self.amax and self.a.dtype.kind == "f":
            hit |= np.isnan(self.a) & np.isnan(self.out)
        share = (hit / hit.sum(axis=self.axes, keepdims=True)).astype(self.a.dtype, copy=False)
        share = grad._wrap(share if self.amax else _memory_format.c_ordered(share))
        return (expand_reduced_tensor(grad, self.a.shape, self.axes, self.keepdim) * share,)

    def name(self):
        if self.amax:
            return "AmaxBackward0" if self.largest else "AminBackward0"
        return "MaxBackward1" if self.largest else "MinBackward1"


_ALONG_KEYS = {}  # {(shape, axis): the ranges indexing every other dim}, see _take_along


def _take_along(a, indices, axis):
    """``np.take_along_axis(a, indices, axis)`` for ``indices`` of ``a``'s rank: the same fancy index, its ranges
    along the other dims kept per shape (building them, and take_along_axis's checks, cost more than the rest of a
    small max(dim))."""
    key = _ALONG_KEYS.get((a.shape, axis))
    if key is None:
        if len(_ALONG_KEYS) >= 256:
            _ALONG_KEYS.clear()
        key = _ALONG_KEYS[a.shape, axis] = [
            None if d == axis else np.arange(n).reshape((1,) * d + (n,) + (1,) * (a.ndim - d - 1))
            for d, n in enumerate(a.shape)]
    key = key.copy()
    key[axis] = indices
    return a[tuple(key)]


class ExtremumAlongDim(ContiguousResult):
    """max(dim)/min(dim) values: the gradient goes to the selected index only (PyTorch's rule)."""

    saved = ("indices",)
    _specs = {"dim": lambda node: int64(node.dim), "keepdim": lambda node: node.keepdim,
              "indices": Saved(lambda node: node.indices if node.keepdim or not node.indices.ndim else
                               np.squeeze(node.indices, node.dim)),
              "self_sym_sizes": lambda node: node.shape}
    torch_saved = {"MaxBackward0": _specs, "MinBackward0": _specs}

    def forward(self, a, indices=None, dim=0, keepdim=False, largest=True):
        """``indices`` are the arg-extremum positions along ``dim``, with that dim kept (size 1)."""
        self.shape, self.dim, self.keepdim, self.largest = a.shape, dim, keepdim, largest
        self.indices = indices
        if not a.ndim:  # (a 0-d tensor: its value, index 0)
            return a.copy()
        values = _take_along(a, indices, dim)
        return values if keepdim else np.squeeze(values, axis=dim)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        if not self.shape:
            return (np.array(grad),)
        if not self.keepdim:
            grad = np.expand_dims(grad, self.dim)
        out = np.zeros(self.shape, grad.dtype)
        np.put_along_axis(out, self.indices, grad, axis=self.dim)
        return (out,)

    def backward_graph(self, grad):
        # PyTorch's value_selecting_reduction_backward: the gradient (unsqueezed) scattered into zeros at the indices
        from .indexing import IndexPutAccumulate

        if not self.shape:
            return (grad.clone(),)
        key = list(np.indices(self.indices.shape, sparse=True))
        key[self.dim] = self.indices
        zeros = grad._wrap(np.zeros(self.shape, grad._data.dtype))
        grad = grad if self.keepdim else grad.unsqueeze(self.dim)
        return (IndexPutAccumulate.apply(zeros, grad, key=tuple(key), node_name="ScatterBackward0"),)

    def name(self):
        return "MaxBackward0" if self.largest else "MinBackward0"


def _nan(np_dtype):
    """The mean of nothing in ``np_dtype``: NaN, for complex numbers NaN in both parts (0 / 0 in each, as
    PyTorch's complex division)."""
    return complex(np.nan, np.nan) if np_dtype.kind == "c" else np.nan


def _centered(a, axes, count):
    """``a`` minus its mean over ``axes`` (of ``count`` elements each; NaN for none)."""
    total = sum_of_rows(a, axes, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return a - (total / count if count else np.full_like(total, _nan(total.dtype)))


def _float32_centring_finite(a, count):
    """Whether the float32 ``a`` minus its float32 mean over ``count`` elements is sure to be finite at its first
    element, with no need to compute it: every element finite and their magnitudes' sum, which bounds every partial
    sum of any order (to within a rounding factor of (1 + 2**-24) per addition), far below float32's range. (NaN
    compares False: not sure.)"""
    return float(_maximum_reduce(np.abs(a), axis=None)) * count < _FAR_BELOW_FLOAT32_MAX


_maximum_reduce = np.maximum.reduce
_FAR_BELOW_FLOAT32_MAX = 2.0 ** 120  # (float32's largest: 2**128 - 2**104)


def _welford_where_overflowed(a, axes, variance, dof):
    """``variance`` (of ``a`` over ``axes``, ``dof`` degrees of freedom) where the two-pass formula overflowed on
    finite values, as PyTorch's Welford kernel gives it: its running mean and sum of squared deviations never form
    the overflowing sum (equal huge values: 0), though they overflow in their own way (-inf where a step's
    deviation does). A group with a non-finite value is NaN either way."""
    flat = variance.reshape(-1)
    overflowed = np.flatnonzero(~np.isfinite(flat))
    if not overflowed.size:
        return variance  # (the usual case: one pass over the output)
    groups = np.moveaxis(a, axes, range(-len(axes), 0)).reshape(flat.size, -1)[overflowed]
    finite = np.isfinite(groups).all(-1)
    mean = m2 = np.zeros(int(finite.sum()))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for count, x in enumerate(groups[finite].T.astype(np.float64), 1):  # (one step per value of a group)
            delta = x - mean
            mean = mean + delta / count
            m2 = m2 + delta * (x - mean)
        flat = flat.copy()
        flat[overflowed[finite]] = m2 / max(0, dof)
    return flat.reshape(variance.shape)


def _variance_saved(**more):
    """What PyTorch's var/std node saves: the input, the dims and correction as the call gave them (None when
    it gave neither, nor unbiased), keepdim."""
    return {"self": SavedInput(0), "dim": _given_dims,
            "correction": lambda node: node.shown_correction, "keepdim": lambda node: node.keepdim, **more}


class Var(ContiguousResult):
    saved, saves = ("centered",), (0,)  # PyTorch saves the input
    torch_saved = _variance_saved()
    function = "var"  # (the function PyTorch's warning of no degrees of freedom names)

    def forward(self, a, axes=None, correction=1, keepdim=False, all_dims=False, dims=None, shown_correction=None,
                recorded=True):
        """``all_dims``: called without ``dim`` (or on a 0-d tensor), which changes PyTorch's gradient when
        there are no degrees of freedom. ``dims`` and ``shown_correction``: as the call gave them, for the
        node's saved values. ``recorded``: False when no graph, tangent or transform can read the node, whose
        float32 input then needs no centred values of its own for backward (see below)."""
        self.shape, self.axes, self.keepdim, self.all_dims = a.shape, axes, keepdim, all_dims
        self.dims, self.shown_correction = dims, shown_correction
        n = math.prod([a.shape[i] for i in axes]) if axes else 1  # (np.prod's wrapper: 3 us)
        self.dof = n - correction
        if all_dims and self.dof <= 0:
            # backward's gradient: inf, or NaN where x equals the mean (an infinite x too, whose x - mean is NaN)
            with np.errstate(invalid="ignore", over="ignore"):
                mean = np.add.reduce(a, axis=None, dtype=np.float32 if a.dtype == np.float16 else None) / a.size
            self.without_dof = np.where(a == mean.astype(a.dtype), np.nan, np.inf).astype(
                a.dtype if a.dtype.kind == "f" else a.real.dtype)
        if (n if a.size else 0) - correction <= 0:  # (PyTorch's count: input numel / output numel, 0 if empty)
            from .._user_warnings import warn_from_user_code

            for _ in range(2 if a.dtype.kind == "c" else 1):  # (complex: once for the real parts, once the imaginary)
                warn_from_user_code(f"{self.function}(): degrees of freedom is <= 0. Correction should be strictly "
                                     "less than the reduction factor (input numel divided by output numel). "
                                     "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
                                     "ReduceOps.cpp:1861.)")
        # An empty reduction's mean is NaN, as PyTorch's, which does not warn about it (NumPy's np.mean does)
        count = max(n, 0) if axes else a.size
        half = a.dtype == np.float16
        if half:
            # backward's centred values are PyTorch's float16 ops: x - x.mean(dim) (a float sum over the count,
            # rounded), rounded
            with np.errstate(divide="ignore", invalid="ignore"):
                mean = (np.add.reduce(a, axis=axes, keepdims=True, dtype=np.float32) / count).astype(np.float16)
                half_centered = a - mean  # (inf - inf: NaN, silently as in PyTorch)
            a = a.astype(np.float32)
        # PyTorch's CPU kernel for one real output (not var_mean's) centres by the mean in the input's dtype and
        # sums the squares in double; any other variance is Welford's, accumulated in double
        welford = self.function.endswith("_mean") or a.dtype.kind == "c" or half or a.size > count
        if not welford and a.dtype == np.float32 and count:
            # One output (std_var_all_cpu): each x - mean and its square in double, by the float32 mean (x.mean()),
            # not a double one: the two differ in the variance's last bits wherever the mean is large against the
            # spread (three in four of a float32 offset vector's), or overflow it
            with np.errstate(invalid="ignore", over="ignore"):
                mean = sum_of_rows(a, axes, keepdims=True) / np.float32(count)
                c = a.astype(np.float64) - mean.astype(np.float64)
                self.centered = a - mean if recorded else c  # (backward's: PyTorch's float32 x - x.mean())
            real_dtype = a.dtype
        elif (not recorded and not half and a.dtype == np.float32
                and (welford or a.size and _float32_centring_finite(a, count))):
            # Nothing reads the float32 centred values (backward's), nor need their first one be looked at (below):
            # straight to the double ones (1024 floats: std 57 -> 30 us)
            self.centered = c = _centered(a.astype(np.float64), axes, count)
            real_dtype = a.dtype
        else:
            self.centered = c = _centered(a, axes, count)
            real_dtype = None
        if c.dtype in (np.float32, np.complex64) and (welford or not c.size or np.isfinite(c.flat[0])):
            # PyTorch's kernel accumulates a float32 (or float16) variance in double, rounding the result once
            # (unless the float32 mean overflowed: the variance of one output is then inf or NaN, as here)
            c = _centered(a.astype(np.float64 if c.dtype == np.float32 else np.complex128), axes, count)
        with np.errstate(divide="ignore", invalid="ignore"):
            if c.dtype.kind == "c":
                # PyTorch's complex variance: the real parts' variance plus the imaginary parts', each rounded to
                # the real dtype (so one part's 0 / 0 makes it NaN where the other's x / 0 is inf); the gradient
                # 2 / dof (x - mean) is as for reals
                real = self.centered.real.dtype
                self.exact_var = (sum_of_rows(c.real * c.real, axes, keepdims=keepdim) / max(0, self.dof)).astype(
                    real) + (sum_of_rows(c.imag * c.imag, axes, keepdims=keepdim) / max(0, self.dof)).astype(real)
            else:  # (Std takes the root of it)
                self.exact_var = sum_of_rows(c * c, axes, keepdims=keepdim) / max(0, self.dof)
                if not welford and count and c.dtype == np.float64 and _memory_format.is_dense(a):
                    # (one output: PyTorch's std_var_all_cpu adds the squares one after the other, per thread)
                    self.exact_var = np.full(self.exact_var.shape, running_sum_by_threads(c * c) / max(0, self.dof))
                if welford and count:
                    self.exact_var = _welford_where_overflowed(a, axes, self.exact_var, self.dof)
        if not count:  # (nothing reduced: NaN, whatever the correction, as PyTorch's)
            self.exact_var = np.full_like(self.exact_var, np.nan)
        with np.errstate(over="ignore"):  # (a double variance past float32's range: inf, silently as PyTorch)
            if half:
                self.centered = half_centered
                return self.exact_var.astype(np.float16)
            return self.exact_var.astype(real_dtype or self.centered.real.dtype, copy=False)

    jvp = forward_ad.reduction_jvp  # (a reduction: the gradient times the tangent, summed)

    def backward(self, grad):
        if not self.keepdim and self.axes:
            grad = np.expand_dims(grad, self.axes)
        # Without degrees of freedom PyTorch's gradients are not 2 / dof * (x - mean) with dof clamped to 0 as
        # in forward: over all dims inf, or nan where x is its mean; along dims the unclamped dof (inf at 0).
        if self.all_dims and self.dof <= 0:
            return (grad * self.without_dof,)
        scale = 2 / self.dof if self.dof else np.inf
        with np.errstate(invalid="ignore", over="ignore"):
            if grad.dtype == np.float16:  # (PyTorch's (2 / dof) * grad in float32, rounded, then times x - mean)
                return ((np.float32(scale) * grad.astype(np.float32)).astype(np.float16) * self.centered,)
            return (grad * scale * self.centered,)

    def backward_graph(self, grad):
        from .arithmetic import MulScalar

        # PyTorch's var_backward: 2 / dof * grad (its reduced dims unsqueezed, broadcast only by the product, which
        # the centred input then lays out) * (x - mean)
        # (a 0-d grad too, of dims naming all of them: unsqueeze_multiple unless the input is 0-d or dim is None)
        if not self.keepdim and self.axes and len(self.shape) and not self.all_dims:
            for axis in sorted(self.axes):
                grad = grad.unsqueeze(axis)
        if self.all_dims and self.dof <= 0:
            return (grad * grad._wrap(self.without_dof),)
        x = self.graph_input(0, self.centered)  # x up to a shift (a leaf enters as itself), which centring removes
        # (called without dim PyTorch's formula centres by self.mean(): MeanBackward0)
        centered = x - (x.mean() if self.all_dims else x.mean(self.axes or None, keepdim=True))
        # (the number times grad in C++: mul.Scalar, PyTorch's MulBackward1)
        return (grad._binary(2 / self.dof if self.dof else np.inf, MulScalar) * centered,)


class Std(Var):
    """The square root of Var, as one node (PyTorch's StdBackward0)."""

    saved = ("centered", "out")
    saves = (0, OUTPUT)  # the input and the result, as PyTorch's
    torch_saved = _variance_saved(result=saved_result("out"))
    function = "std"

    def forward(self, a, axes=None, correction=1, keepdim=False, all_dims=False, dims=None, shown_correction=None,
                recorded=True):
        with np.errstate(invalid="ignore", over="ignore"):
            variance = super().forward(a, axes=axes, correction=correction, keepdim=keepdim, all_dims=all_dims,
                                       dims=dims, shown_correction=shown_correction, recorded=recorded)
            if a.dtype in (np.float16, np.float32):  # the root of the double variance, rounded once
                self.out = np.sqrt(self.exact_var).astype(a.dtype)
            else:
                self.out = np.sqrt(variance)
        # C-ordered as PyTorch's result (NumPy's reduction of a permuted input keeps its order), which the
        # gradient's graph reads
        self.out = _memory_format.c_ordered(self.out)
        return self.out

    def backward(self, grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            # PyTorch passes no gradient through a std of 0 (rather than 0 / 0).
            return super().backward(np.where(self.out == 0, 0, grad / (2 * self.out)).astype(grad.dtype, copy=False))

    def backward_graph(self, grad):
        from .arithmetic import MulScalar

        # PyTorch's std_backward: (grad / (result * 2)).masked_fill_(result == 0, 0), result * 2 a mul.Scalar
        # (MulBackward1); the division by 0 stays behind the mask
        quotient = grad / self.graph_output(self.out)._binary(2, MulScalar)
        return super().backward_graph(quotient.masked_fill_(quotient._wrap(self.out == 0), 0))


_EXACT_TWO_NORM_SIZE = 1 << 13


def two_norm(a, axes, keepdim):
    """The 2-norm of ``a`` over ``axes`` (None: all, else non-negative). Where those axes are the trailing ones of a
    C-contiguous float32 or float64 array once its size-1 dims are left out (as ATen's iterator leaves them), or all
    the axes of an array contiguous in some order of its dims, it is the norm of each row of their elements, rounded
    as ATen's kernel for such rows rounds it (:func:`norm_two_squares`) up to 2**13 elements; beyond, where those
    lane-by-lane sums take two to ten times NumPy's pairwise sum (a clip_grad_norm_ of every step), and where ATen
    reduces in other orders, NumPy's sum (the last bits may differ)."""
    reduced = range(a.ndim) if axes is None else axes
    order = [axis in reduced for axis, size in enumerate(a.shape) if size != 1]
    trailing = order == sorted(order)  # (no kept dim after a reduced one)
    if len(reduced) == a.ndim and not a.flags.c_contiguous:
        # ATen walks the elements of a whole reduction in memory order: a permuted contiguous array's is a row
        a = a.transpose(np.argsort(a.strides, kind="stable")[::-1])
    if not (trailing and a.dtype.char in "fd" and a.flags.c_contiguous and 0 < a.size <= _EXACT_TWO_NORM_SIZE):
        return np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim))
    out_shape = tuple(1 if axis in reduced else size for axis, size in enumerate(a.shape)
                      if keepdim or axis not in reduced)
    rows = a.reshape(-1, math.prod(a.shape[axis] for axis in reduced))
    return np.sqrt(norm_two_squares(rows)).reshape(out_shape)


class VectorNorm(ContiguousResult):
    """linalg.vector_norm of order p > 0 (inf included) over ``axes``, with PyTorch's backward: 0 where the
    norm is 0 (not the NaN of differentiating sqrt(sum(x^2)) there), the maxima sharing the inf-norm's gradient."""

    saved = ("a", "out")
    _shown_dims = {"dim": lambda node: None if node.shown[1] is None else int64(tuple(np.atleast_1d(node.shown[1]))),
                   "keepdim": lambda node: node.keepdim, "result": saved_result("out"), "self": SavedInput(0, "a")}
    torch_saved = {"LinalgVectorNormBackward0": {**_shown_dims, "ord": lambda node: node.shown[0]},
                   "NormBackward1": {**_shown_dims, "p": lambda node: node.shown[0]}}
    node_name = "LinalgVectorNormBackward0"  # at::norm's NormBackward1 where PyTorch's C++ calls that

    def forward(self, a, p=2.0, axes=None, keepdim=False, shown=None):
        """``shown``: the order and dims as the call gave them (which the node shows)."""
        self.a, self.p, self.axes, self.keepdim = a, p, axes, keepdim
        self.shown = (p, axes) if shown is None else shown
        dtype = a.dtype
        if dtype == np.float16:  # computed in float32 and rounded once, as PyTorch's kernel (x * x overflows half)
            a = a.astype(np.float32)
        if p == 2:  # (squares: no magnitudes needed)
            out = two_norm(a, axes, keepdim)
        elif np.isinf(p):
            out = (np.max if p > 0 else np.min)(np.abs(a), axis=axes, keepdims=keepdim)
        elif p == 1:
            out = np.sum(np.abs(a), axis=axes, keepdims=keepdim)
        else:
            # (a zero under a negative order, a large one's powers: inf or 0, silently, as in PyTorch)
            with np.errstate(divide="ignore", over="ignore", under="ignore"):
                out = np.sum(np.abs(a) ** p, axis=axes, keepdims=keepdim) ** (1 / p)
        self.out = np.asarray(out, dtype)
        return self.out

    jvp = forward_ad.reduction_jvp  # (a reduction: the gradient times the tangent, summed)

    def backward(self, grad):
        a, p, norm = self.a, self.p, self.out
        if not self.keepdim and self.axes != ():
            axes = tuple(range(a.ndim)) if self.axes is None else self.axes
            grad, norm = np.expand_dims(grad, axes), np.expand_dims(norm, axes)
        if p == 1:  # (PyTorch's sgn: 0 at NaN)
            return (sign(a) * grad,)
        if np.isinf(p):  # as amax/amin of |x|, NaN counting as a maximum
            magnitude = np.abs(a)
            chosen = (magnitude == norm) | np.isnan(magnitude)
            count = np.sum(chosen, axis=self.axes, keepdims=True).astype(grad.dtype)  # an int count would promote
            return (sign(a) * (grad / count) * chosen,)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            if p < 1:
                scaled = np.where(a == 0, 0, np.sign(a) * np.abs(a) ** (p - 1))
                return (scaled * grad * norm ** (1 - p),)
            if p == 2 and a.dtype == np.float16:  # (PyTorch's float16 ops one by one: grad * (x / norm), masked)
                return (grad * np.where(norm == 0, np.float16(0), a / norm),)
            scaled = a if p == 2 else (np.sign(a) * np.abs(a) ** (p - 1) if p < 2 else a * np.abs(a) ** (p - 2))
            return (scaled * np.where(norm == 0, 0, grad / norm ** (p - 1)),)

    def backward_graph(self, grad):
        a, p, norm = self.a, self.p, self.graph_output(self.out)
        if not self.keepdim and self.shown[1] not in ((), None):
            # PyTorch's unsqueeze_multiple: an unsqueeze per dim given, in increasing order (without dims, the
            # reduction's 0-d results broadcast as they are)
            for axis in sorted(self.axes):
                grad, norm = grad.unsqueeze(axis), norm.unsqueeze(axis)
        x = self.graph_input(0, a)
        if p == 1:  # PyTorch's norm_backward: self.sgn() * grad
            return (x.sgn() * grad,)
        if np.isinf(p):  # self.sgn() * ((grad / mask.sum(dim, True)) * mask), the mask the maxima (or NaN)
            magnitude = np.abs(a)
            chosen = (magnitude == norm._data) | np.isnan(magnitude)
            count = np.sum(chosen, axis=self.axes, keepdims=True)
            return (x.sgn() * ((grad / grad._wrap(count)) * grad._wrap(chosen)),)
        # PyTorch's norm_backward: 0 where the norm is 0, by an in-place masked_fill_ of a new tensor (kept in its
        # layout; a mask whose own gradient is NaN there, through the division by 0)
        zero = grad._wrap(norm._data == 0)
        if p == 2:  # PyTorch masks x / norm here (grad / norm for other p): NaN second derivatives differ so
            return (grad * (x / norm).masked_fill_(zero, 0),)
        if p < 1:  # |x|^(p - 1) is infinite at 0, where the gradient is 0
            scaled = x.sgn() * x.abs().pow_(p - 1).masked_fill_(grad._wrap(a == 0), 0)
            return (scaled * grad * norm.pow(1 - p),)
        scaled = x.sgn() * x.abs().pow_(p - 1) if p < 2 else x * x.abs().pow_(p - 2)
        return (scaled * (grad / norm.pow(p - 1)).masked_fill_(zero, 0),)

    def name(self):
        return self.node_name


class Renorm(ContiguousResult):
    """renorm: each slice along ``axis`` whose p-norm exceeds ``maxnorm`` scaled by maxnorm / (norm + 1e-7), as one
    node as PyTorch's (RenormBackward0, saving the input), its backward PyTorch's renorm_backward (complex input:
    the norms of the magnitudes, the gradient in PyTorch's convention). ``shown``: p, dim and maxnorm as the call
    gave them."""

    saved = ("a",)
    complex_aware = True
    torch_saved = {"self": SavedInput(0, "a"), "p": lambda node: node.shown[0],
                   "dim": lambda node: int64(node.shown[1]), "maxnorm": lambda node: node.shown[2]}

    def forward(self, a, p=2.0, axis=0, maxnorm=1.0, shown=None):
        self.a, self.p, self.maxnorm, self.shown = a, p, maxnorm, shown
        self.others = tuple(d for d in range(a.ndim) if d != axis)
        norm = self._norm(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(norm > maxnorm, maxnorm / (norm + np.asarray(1e-7, norm.dtype)), 1).astype(norm.dtype)
        return (a * factor).astype(a.dtype, copy=False)

    def _norm(self, a, node=None):
        """The norms of the slices (dims kept), by ``node`` (a VectorNorm, whose backward then has them)."""
        node = VectorNorm() if node is None else node
        return node.forward(np.abs(a) if a.dtype.kind == "c" else a, p=self.p, axes=self.others, keepdim=True)

    def backward(self, grad):
        a, maxnorm, norm_node = self.a, self.maxnorm, VectorNorm()
        inner = np.real(np.conj(a) * grad)
        if a.dtype == np.float32:  # (PyTorch's backward takes norms and sums in float32's CPU accumulation dtype)
            a, inner = a.astype(np.float64), inner.astype(np.float64)
        norm = self._norm(a, norm_node)
        inner = np.sum(inner, axis=self.others, keepdims=True)
        nb = norm_node.backward(inner)[0]
        if a.dtype.kind == "c":  # the gradient of the magnitudes, carried to a by its sign
            with np.errstate(divide="ignore", invalid="ignore"):
                nb = nb * np.where(a == 0, 0, a / np.abs(a))
        invnorm = 1 / (norm + np.asarray(1e-7, norm.dtype))
        return (np.where(norm > maxnorm, invnorm * maxnorm * (grad - invnorm * nb), grad).astype(grad.dtype),)

    def backward_graph(self, grad):
        # PyTorch's renorm_backward: a real input's norms and sums in its CPU accumulation dtype (float32's in
        # float64, the result cast back: ToCopyBackward0), its numbers added and multiplied in C++ (AddBackward1,
        # MulBackward1)
        from .. import float64
        from ..linalg import vector_norm
        from .arithmetic import add_scalar, mul_scalar
        from .shape import Where

        x = self.graph_input(0, self.a)
        complex_input = self.a.dtype.kind == "c"
        if complex_input:
            norm = x.abs().norm(self.p, self.others, keepdim=True)
            inner = (x.conj() * grad).real.sum(self.others, keepdim=True)
        else:
            accumulation = float64 if self.a.dtype == np.float32 else None
            norm = vector_norm(x, self.p, self.others, keepdim=True, dtype=accumulation)
            inner = (x * grad).sum(self.others, keepdim=True, dtype=accumulation)
        nb = norm._grad_fn.backward_graph(inner)[0]  # (the norm's own backward: PyTorch's norm_backward)
        if complex_input:
            nb = nb * x.sgn()
        invnorm = add_scalar(norm, 1e-7).reciprocal()
        scaled = mul_scalar(invnorm, self.maxnorm) * (grad - invnorm * nb)
        return (Where.apply(scaled.to(grad.dtype), grad, condition=norm._data > self.maxnorm),)


class CountNonzero(ContiguousResult):
    """norm(p=0): how many elements are nonzero (NaN counts), in the input's dtype. PyTorch's node passes no
    gradient at all for p=0: the input's ``.grad`` stays None."""

    saved = ("a", "out")
    torch_saved = VectorNorm.torch_saved["LinalgVectorNormBackward0"]

    def forward(self, a, axes=None, keepdim=False, shown=None):
        """``shown``: the order and dims as the call gave them (which the node shows, as VectorNorm's)."""
        self.a, self.keepdim, self.shown = a, keepdim, (0, axes) if shown is None else shown
        self.out = np.sum(a != 0, axis=axes, keepdims=keepdim).astype(a.dtype)
        return self.out

    def backward(self, grad):
        return (None,)

    def backward_graph(self, grad):  # (no gradient under create_graph either)
        return (None,)

    def name(self):
        return "LinalgVectorNormBackward0"


def running_sum(a, axis):
    """np.cumsum(a, axis) accumulated as PyTorch's CPU kernel does: float32 in float64 (its accumulation
    type), float16 in float32, each running sum rounded once; NumPy's float32 running sums would drift
    (100000 terms of about 10: 5.4 off where PyTorch's are correctly rounded)."""
    # (np.add.accumulate rather than np.cumsum, whose floating-point warnings would come from NumPy's own Python
    # code rather than from torchless, whose such warnings are silenced); axis None: of the flattened array
    if axis is None:
        a, axis = a.reshape(-1), 0
    if a.dtype == np.float32:
        return started_from_zero(np.add.accumulate(a, axis=axis, dtype=np.float64)).astype(np.float32)
    if a.dtype == np.float16:
        return started_from_zero(half_accumulated(np.add.accumulate, a, axis=axis))
    return started_from_zero(np.add.accumulate(a, axis=axis))


def started_from_zero(running):
    """Running sums (or log-sum-exps) ``running`` as PyTorch's scan kernels make them, each from an accumulator
    started at 0.0 (-inf): a leading run of -0.0 gives 0.0 there, where NumPy's accumulation starts from the first
    element itself. In place, for floating dtypes (x + 0.0 is x but at -0.0)."""
    if running.dtype.kind == "f":
        np.add(running, 0.0, out=running)
    return running


class Cumsum(ContiguousResult):
    """Running sums along ``axis`` (``dim`` as the call gave it); the gradient is the running sum of the gradient
    taken from the end."""

    torch_saved = {"dim": lambda node: int64(node.dim)}

    def forward(self, a, axis=0, dtype=None, dim=None):
        self.dim = axis if dim is None else dim
        self.axis = axis if a.ndim else None  # a 0-d tensor: NumPy's flattened form, reshaped back
        cast = cast_for_reduction(a, dtype)
        if cast is not None:
            return self.forward(cast, axis, None, dim).astype(dtype, copy=False)
        if dtype is None or dtype == a.dtype and a.dtype.kind in "fc":
            return running_sum(a, self.axis).reshape(a.shape)
        return np.cumsum(a, axis=self.axis, dtype=dtype).reshape(a.shape)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        # (a copy: NumPy's flip is a view of negative strides, where PyTorch's flip writes a new tensor)
        return (np.flip(running_sum(np.flip(grad, self.axis), self.axis), self.axis).copy(order="K")
                .reshape(grad.shape),)

    def backward_graph(self, grad):
        if self.axis is None:  # a 0-d input: the running sum of one element is that element
            return (grad,)
        return (grad.flip(self.axis).cumsum(self.axis).flip(self.axis),)


class Logsumexp(ContiguousResult):
    """log(sum(exp(x))) over ``axes``, shifted by the maximum so that it never overflows; the gradient is
    the softmax, exp(x - out)."""
    # (bfloat16 as PyTorch composes it: of bfloat16 ops, each rounding, the sum accumulated in float32; its
    # backward's ops on bfloat16 arrays round each, as its formula's)
    bfloat16_in_float32 = "kernel"

    saved = ("a", "out")
    torch_saved = {"self": SavedInput(0, "a"), "dim": lambda node: int64(tuple(np.atleast_1d(node.dims).tolist())),
                   "keepdim": lambda node: node.keepdim,
                   "result": saved_result(lambda node: node.out if node.keepdim else np.squeeze(node.out, node.axes))}

    def forward(self, a, axes=(), keepdim=False, dims=None):
        """``dims``: the dims as the call gave them, for the node's saved values."""
        self.a, self.axes, self.keepdim, self.dims = a, axes, keepdim, axes if dims is None else dims
        # (complex numbers: shifted by the largest real part, as PyTorch, whose imaginary parts are then not
        # brought into (-pi, pi])
        shift = np.max(a.real if a.dtype.kind == "c" else a, axis=axes, keepdims=True, initial=-np.inf)
        shift = np.where(np.isfinite(shift), shift, 0)  # all -inf (or an inf) along a row: nothing to shift
        with np.errstate(divide="ignore"):
            exps = np.exp(a - shift)
            # (PyTorch's ops one by one, each rounding to the dtype: a float16 or bfloat16 sum accumulated in float32)
            if a.dtype == np.float16 or a.dtype.kind == "V":
                with np.errstate(invalid="ignore", over="ignore"):
                    total = np.sum(exps, axis=axes, keepdims=True, dtype=np.float32).astype(a.dtype)
            else:
                total = np.sum(exps, axis=axes, keepdims=True)
            self.out = np.log(total) + shift
        return self.out if keepdim else np.squeeze(self.out, axis=axes)

    jvp = forward_ad.reduction_jvp  # (a reduction: the gradient times the tangent, summed)

    def backward(self, grad):
        grad = grad if self.keepdim else np.expand_dims(grad, self.axes)
        return (grad * np.exp(self.a - self.out),)

    def backward_graph(self, grad):
        out = self.out if self.keepdim else np.squeeze(self.out, axis=self.axes)
        # the result as the node gave it (squeezed), so that its gradient arrives in the output's shape
        out = self.graph_output(out)
        if not self.keepdim and self.a.ndim:  # (logsumexp_backward's unsqueeze_multiple: UnsqueezeBackward0 nodes)
            for axis in sorted(np.atleast_1d(self.axes).tolist()):
                grad, out = grad.unsqueeze(axis), out.unsqueeze(axis)
        return (grad * (self.graph_input(0, self.a) - out).exp(),)


class Median(Extremum):
    """median() of all elements: the lower of the two middle values, NaN if there is one. As for max(), the
    gradient is shared evenly among the elements equal to the result."""

    def forward(self, a):
        self.axes, self.keepdim, self.largest, self.amax, self.a = tuple(range(a.ndim)), False, False, False, a
        # (an empty integer tensor's median is NaN cast to its dtype, as PyTorch's: 0 or the most negative value)
        with np.errstate(invalid="ignore"):
            self.out = np.full((1,) * a.ndim, self.value(a)).astype(a.dtype)
        return self.out.reshape(())

    @staticmethod
    def value(a):
        ordered = np.sort(a, axis=None)  # NaN last
        if not ordered.size or a.dtype.kind == "f" and np.isnan(ordered[-1]):
            return np.nan
        return ordered[(ordered.size - 1) // 2]

    def name(self):
        return "MedianBackward0"


class Nanmedian(Median):
    """nanmedian() of all elements: the lower median of the non-NaN values (NaN when all are NaN)."""

    @staticmethod
    def value(a):
        return Median.value(a[~np.isnan(a)] if a.dtype.kind == "f" else a)

    def name(self):
        return "NanmedianBackward0"


class Trace(Node):
    """The sum of a matrix's diagonal (integers in int64); its gradient is the identity times grad."""

    torch_saved = {"self_sym_sizes": lambda node: node.shape}

    def forward(self, a):
        self.shape = a.shape
        return np.asarray(np.trace(a, dtype=np.int64 if a.dtype.kind in "biu" else None))

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        return (np.eye(*self.shape, dtype=grad.dtype) * grad,)

    def backward_graph(self, grad):
        return (grad._wrap(np.eye(*self.shape, dtype=grad._data.dtype)) * grad,)


def _quickselect_index(row, k):
    """The index PyTorch's kthvalue gives the k-th smallest (0-based) of the 1-D ``row``: where its quickselect
    (TH's quick_select_template after Sedgewick: median-of-three pivot, NaN above everything) leaves the
    element, which among equal values is not necessarily the first."""
    values, idx = row.tolist(), list(range(len(row)))

    def above(x, y):
        return (x != x and y == y) or x > y

    def swap(i, j):
        values[i], values[j] = values[j], values[i]
        idx[i], idx[j] = idx[j], idx[i]

    low, high = 0, len(values) - 1
    while high > low:
        if high == low + 1:
            if above(values[low], values[high]):
                swap(low, high)
            break
        swap((low + high) >> 1, low + 1)
        if above(values[low + 1], values[high]):
            swap(low + 1, high)
        if above(values[low], values[high]):
            swap(low, high)
        if above(values[low + 1], values[low]):
            swap(low + 1, low)
        i, j, pivot = low + 1, high, values[low]
        while True:
            i += 1
            while above(pivot, values[i]):
                i += 1
            j -= 1
            while above(values[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(low, j)
        if j <= k:
            low = i
        if j >= k:
            high = j - 1
    return idx[k]


def kthvalue_ties_as_pytorch(a, axis, k, index):
    """``index`` (the positions, kept dim, of the k-th smallest elements along ``axis`` as the first of their
    value in ``a``) with PyTorch's quickselect's pick instead on the rows where that value occurs more than once
    (NaN counting as equal to NaN): a unique value's index is the same either way, so only those rows are
    selected again, one by one."""
    chosen = np.take_along_axis(a, index, axis)
    same = a == chosen
    if a.dtype.kind in "fc":
        same |= np.isnan(a) & np.isnan(chosen)
    tied = np.moveaxis(np.count_nonzero(same, axis=axis, keepdims=True) > 1, axis, -1)
    if not tied.any():
        return index
    index = index.copy()
    rows, picks = np.moveaxis(a, axis, -1), np.moveaxis(index, axis, -1)  # (picks: a view of index)
    for position in np.argwhere(tied[..., 0]):
        picks[tuple(position)] = _quickselect_index(rows[tuple(position)], k)
    return index
