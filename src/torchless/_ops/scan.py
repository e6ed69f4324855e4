"""Scans (cumprod, cummax/cummin, logcumsumexp) and the reductions beside them: nansum, quantile, aminmax,
var_mean/std_mean's nodes."""
import numpy as np

from ..autograd.graph import ContiguousResult, Node
from ..autograd.saved_values import Saved, SavedInput, int64, saved_result
from ._util import cast_for_reduction, expand_reduced, expand_reduced_tensor, sum_of_rows
from .reduction import (
    Extremum, Mean, Std, Var, _variance_saved, half_accumulated, running_sum, started_from_zero,
)


def _rows(a, axis):
    """``a`` with ``axis`` moved last and the other dims flattened: (rows, n); and how to undo it."""
    if not a.ndim:  # a 0-d tensor: one row of one
        return a.reshape(1, 1), ()
    moved = np.moveaxis(a, axis, -1)
    return moved.reshape(int(np.prod(moved.shape[:-1])), moved.shape[-1] if moved.ndim else 1), moved.shape


def _unrows(rows, moved_shape, axis):
    return np.moveaxis(rows.reshape(moved_shape), -1, axis) if moved_shape else rows.reshape(())


def _reverse_cumsum(x, axis):
    return np.flip(running_sum(np.flip(x, axis), axis), axis)


# PyTorch's CPU accumulation types (acc_type) of the reduced-precision floating dtypes
_CUMPROD_ACCUMULATION = {np.dtype(np.float16): np.float32, np.dtype(np.float32): np.float64}


class Cumprod(ContiguousResult):
    """Running products along ``axis``; the gradient handles zeros exactly (as PyTorch's cumprod_backward):
    before a row's first zero sum_{j>=i} g_j out_j / a_i, at it the products skipping it, after it 0."""

    saved = ("a", "out")
    torch_saved = {"dim": lambda node: int64(node.axis), "self": SavedInput(0, "a"), "result": saved_result("out")}

    def forward(self, a, axis=0, dtype=None):
        self.axis = axis
        self.a = a
        flat = a.reshape(-1) if not a.ndim else a
        axis = 0 if not a.ndim else axis
        target = flat.dtype if dtype is None else np.dtype(dtype)
        accumulation = np.float32 if target.kind == "V" else _CUMPROD_ACCUMULATION.get(target)  # ("V": bfloat16)
        if accumulation is not None:
            # carried in PyTorch's accumulation type, each running product rounded once
            # (np.multiply.accumulate: np.cumprod's floating-point warnings would come from NumPy's Python code)
            carried = np.multiply.accumulate(flat.astype(target, copy=False), axis=axis, dtype=accumulation)
            self.out = carried.astype(target).reshape(a.shape)
        else:
            self.out = np.multiply.accumulate(flat, axis=axis, dtype=dtype).reshape(a.shape)
        return self.out

    def backward(self, grad):
        if not self.a.ndim or self.a.shape[self.axis] == 1:  # each output is its input: the gradient passes
            return (grad,)                                      # (even where the input is NaN or inf)
        a, out = self.a.astype(grad.dtype, copy=False), self.out.astype(grad.dtype, copy=False)
        axis = self.axis if a.ndim else 0
        a_rows, moved = _rows(a, axis)
        out_rows, _ = _rows(out, axis)
        g_rows, _ = _rows(grad, axis)
        with np.errstate(divide="ignore", invalid="ignore"):
            result = _reverse_cumsum(g_rows * out_rows, 1) / a_rows
        for r in np.flatnonzero((a_rows == 0).any(axis=1)):
            x, g = a_rows[r], g_rows[r]
            k = int(np.argmax(x == 0))
            row = np.zeros_like(x)
            row[:k] = _reverse_cumsum(g * out_rows[r], 0)[:k] / x[:k]
            before = out_rows[r, k - 1] if k else np.ones((), x.dtype)
            after = np.cumprod(np.concatenate([np.ones(1, x.dtype), x[k + 1:]]))  # prod of x[k+1..j]
            row[k] = before * np.sum(g[k:] * after)
            result[r] = row
        return (_unrows(result, moved, axis),)

    def backward_graph(self, grad):
        from .shape import Cat

        a, axis = self.a, self.axis
        if not a.ndim or a.shape[axis] <= 1:  # each output is its own input
            return (grad,)
        x = self.graph_input(0, a)
        if not (a == 0).any():
            out = self.graph_output(self.out)
            return ((grad * out).flip(axis).cumsum(axis).flip(axis) / x,)
        # With zeros, no division: the gradient of element k is the sum over j >= k of grad_j times the product
        # of the elements up to j but k itself, built from products and running products that stay
        # differentiable where elements are zero (quadratic in the length of the dim, as PyTorch's).
        n = a.shape[axis]
        ones_shape = list(a.shape)
        ones_shape[axis] = 1
        ones = grad._wrap(np.ones(ones_shape, grad._data.dtype))
        # each slice written into zeros in place, as PyTorch's (its gradient a CopySlices node)
        grad_input = grad._wrap(np.zeros(a.shape, grad._data.dtype))
        for k in range(n):
            omitted = Cat.apply(ones, x.narrow(axis, k + 1, n - k - 1).cumprod(axis), dim=axis)
            if k:
                omitted = omitted * x.narrow(axis, 0, k).prod(axis, keepdim=True)
            grad_input.select(axis, k).copy_((grad.narrow(axis, k, n - k) * omitted).sum(axis))
        return (grad_input,)


def cumulative_extremum(a, axis, largest):
    """cummax/cummin values and int64 indices along ``axis``: ties and each NaN take the later index, and a NaN
    stays the extremum once met (PyTorch's rules)."""
    rows, moved = _rows(a, axis)
    values, indices = np.empty_like(rows), np.zeros(rows.shape, np.int64)
    if rows.shape[1]:
        best, where = rows[:, 0].copy(), np.zeros(len(rows), np.int64)
        is_float = a.dtype.kind in "fV"  # ("V": bfloat16)
        for j in range(rows.shape[1]):
            x = rows[:, j]
            take = (x >= best) if largest else (x <= best)
            if is_float:
                take = np.isnan(x) | (take & ~np.isnan(best))
            best, where = np.where(take, x, best), np.where(take, j, where)
            values[:, j], indices[:, j] = best, where
    return _unrows(values, moved, axis), _unrows(indices, moved, axis)


class CumExtremum(ContiguousResult):
    """cummax/cummin's values (the indices computed beside); each gradient goes to the element chosen."""

    saved, saves = ("indices",), (0,)  # as PyTorch's: the indices, and the input
    torch_saved = {"dim": lambda node: int64(node.axis), "self": SavedInput(0),
                   "indices": Saved(lambda node: np.ascontiguousarray(node.indices))}

    def forward(self, a, values=None, indices=None, axis=0, largest=True):
        self.indices, self.axis, self.largest = indices, axis, largest
        return values

    def backward(self, grad):
        if not grad.ndim:
            return (grad.copy(),)
        out = np.zeros(grad.shape, grad.dtype)
        key = list(np.indices(grad.shape, sparse=True))
        key[self.axis] = self.indices
        np.add.at(out, tuple(key), grad)
        return (out,)

    def backward_graph(self, grad):
        from .indexing import IndexPutAccumulate

        if not grad._data.ndim:
            return (grad.clone(),)
        key = list(np.indices(grad._data.shape, sparse=True))
        key[self.axis] = self.indices
        zeros = grad._wrap(np.zeros(grad._data.shape, grad._data.dtype))
        return (IndexPutAccumulate.apply(zeros, grad, key=tuple(key)),)

    def name(self):
        return "CummaxBackward0" if self.largest else "CumminBackward0"


def _log_running_sum(x, axis):
    """np.logaddexp.accumulate(x, axis) carried in PyTorch's CPU accumulation type (float64 for float32,
    float32 for float16), each running value rounded once: in float32 the running value drifted (20000 terms:
    7e-5 off, where PyTorch's is correctly rounded)."""
    if x.dtype.kind == "c":  # step by step, as PyTorch's complex logaddexp (NumPy's is real only)
        from .binary import _logaddexp

        out = np.moveaxis(x.copy(), axis, 0)
        for i in range(1, out.shape[0]):
            out[i] = _logaddexp(out[i - 1], out[i])
        return np.moveaxis(out, 0, axis)
    wider = {np.dtype(np.float32): np.float64, np.dtype(np.float16): np.float32}.get(x.dtype)
    with np.errstate(all="ignore"):  # (NaN and infinities of both signs: NaN, silently as in PyTorch)
        running = np.logaddexp.accumulate(x if wider is None else x.astype(wider), axis=axis)
    return started_from_zero(running).astype(x.dtype, copy=False)


class Logcumsumexp(ContiguousResult):
    """log(cumsum(exp(x))) along ``axis`` without overflow; backward as PyTorch's, in the log domain with the
    positive and negative parts of the gradient apart."""

    saved = ("a", "out")
    torch_saved = {"dim": lambda node: int64(node.dim), "result": saved_result("out"), "self": SavedInput(0, "a")}

    def forward(self, a, axis=0, dim=None):
        """``dim``: the dim as the call gave it (which the node shows)."""
        self.a, self.axis, self.dim = a, axis if a.ndim else None, axis if dim is None else dim
        flat = a.reshape(-1) if not a.ndim else a
        self.out = _log_running_sum(flat, axis if a.ndim else 0).reshape(a.shape)
        return self.out

    def backward(self, grad):
        a, out = self.a, self.out
        if not a.ndim:  # PyTorch passes a 0-d tensor's gradient through as it is (an infinite or NaN input's too)
            return (grad,)
        axis = self.axis
        if a.dtype.kind == "c":  # d out_j / d a_i = exp(a_i - out_j) for i <= j (the engine conjugates around it)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                later = np.flip(np.cumsum(np.flip(grad * np.exp(-out), axis), axis), axis)
                return ((np.exp(a) * later).astype(grad.dtype, copy=False),)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            pos, neg = (np.exp(a + np.flip(_log_running_sum(np.flip(np.log(part) - out, axis), axis), axis))
                        for part in (np.maximum(grad, 0), np.maximum(-grad, 0)))
        return ((pos - neg).astype(grad.dtype, copy=False),)

    def backward_graph(self, grad):
        # backward's formula on tensors of the graph; a zero part of the gradient is the lowest finite number in
        # the log domain rather than -inf, so that its own gradient stays finite (PyTorch's choice)
        from .shape import Where

        if not self.a.ndim:
            return (grad,)
        shape, axis = self.a.shape, self.axis
        a, out = self.graph_input(0, self.a), self.graph_output(self.out)
        dtype = grad._data.dtype
        lowest = grad._wrap(np.asarray(np.finfo(dtype).min, dtype))
        log_magnitude = grad.abs().log()
        pos, neg = ((Where.apply(log_magnitude, lowest, condition=part) - out).flip(axis).logcumsumexp(axis)
                    .flip(axis).add(a).exp() for part in (grad._data > 0, grad._data < 0))
        gradient = pos - neg  # (PyTorch's output_pos - output_neg: SubBackward0)
        return (gradient if gradient._data.shape == shape else gradient.reshape(shape),)


class Nansum(ContiguousResult):
    """The sum with NaN counted as 0; NaN positions get no gradient."""

    saved = ("keep",)

    def forward(self, a, axes=(), keepdim=False, dtype=None):
        self.shape, self.axes, self.keepdim = a.shape, axes, keepdim
        cast = cast_for_reduction(a, dtype)
        if cast is not None:
            return self.forward(cast, axes, keepdim).astype(dtype, copy=False)
        self.keep = ~np.isnan(a) if a.dtype.kind == "f" else None
        if dtype is None and a.dtype == np.float16:
            return half_accumulated(np.nansum, a, axis=axes, keepdims=keepdim)
        if a.dtype == np.float32 and (dtype is None or dtype == a.dtype):  # sum_of_rows's accumulation
            return np.asarray(sum_of_rows(np.where(self.keep, a, np.float32(0)), axes, keepdim))
        if self.keep is not None and dtype is not None and np.dtype(dtype).kind in "biu":
            # PyTorch reads a float input through nan_to_num before summing it as integers: an infinity counts as
            # the largest finite value of the input's dtype (65504 for a half), not as the cast of an infinity
            a = np.nan_to_num(a)
        with np.errstate(invalid="ignore", over="ignore"):  # (see reduction.half_accumulated)
            return np.asarray(np.nansum(a, axis=axes, keepdims=keepdim, dtype=dtype))

    def backward(self, grad):
        g = expand_reduced(grad, self.shape, self.axes, self.keepdim)
        # multiplied by the mask, as PyTorch: an infinite gradient (nanmean over an all-NaN row) gives NaN there
        return (g if self.keep is None else g * self.keep,)

    def backward_graph(self, grad):
        # (PyTorch's expanded grad * self.isnan().logical_not(): MulBackward0, laid out by the expanded grad first)
        g = expand_reduced_tensor(grad, self.shape, self.axes, self.keepdim)
        return (g if self.keep is None else g * grad._wrap(self.keep),)


class Quantile(Node):
    """Values interpolated between two elements of ``a`` (flat positions ``below``/``above`` of the output's
    shape) with ``weight``; the gradient goes to them in the proportions (1 - weight, weight). PyTorch builds
    quantile from sort, lerp and views, its last node SqueezeBackward4."""

    def forward(self, a, below=None, above=None, weight=None, nan=None, shape=(), q_dim=False):
        """``weight`` None: the elements at ``below`` themselves (an infinite one stays so, where lerp's weight 0
        would give inf - inf). ``q_dim``: the output's first dim is that of a vector q, which PyTorch computes
        last, then moves to the front (so it is the innermost in memory)."""
        gathered = weight is None
        if gathered:
            above, weight = below, np.zeros(below.shape, a.dtype)
        self.shape, self.below, self.above, self.weight, self.out_shape = a.shape, below, above, weight, shape
        flat = a.reshape(-1)
        lo, hi = flat[below], flat[above]
        if gathered:
            out = lo
        else:
            with np.errstate(invalid="ignore"):  # (lerp between infinities: NaN, silently as in PyTorch)
                diff = hi - lo
                out = np.where(np.abs(weight) < 0.5, lo + weight * diff, hi - diff * (1 - weight)).astype(a.dtype)
        if nan is not None:
            out[nan] = np.nan
        if q_dim:
            return np.moveaxis(np.ascontiguousarray(out.T).reshape(shape[1:] + shape[:1]), -1, 0)
        return out.reshape(shape)

    def backward(self, grad):
        out = np.zeros(int(np.prod(self.shape)), grad.dtype)
        grad = grad.reshape(self.below.shape)
        np.add.at(out, self.below, grad * (1 - self.weight))
        np.add.at(out, self.above, grad * self.weight)
        return (out.reshape(self.shape),)

    def backward_graph(self, grad):  # linear in grad, with constant weights: the same scatter, recorded
        from .indexing import Scatter

        dtype = grad._data.dtype
        grad = grad.reshape(self.below.shape)
        weight = grad._wrap(np.asarray(self.weight, dtype))
        out = grad._wrap(np.zeros(int(np.prod(self.shape)), dtype))
        out = Scatter.apply(out, grad * (1 - weight), key=(self.below,), add=True)
        out = Scatter.apply(out, grad * weight, key=(self.above,), add=True)
        return (out.reshape(self.shape),)

    def name(self):
        return "SqueezeBackward4"


def _aminmax_result(largest):
    """The max (min) of aminmax, which PyTorch's one node saves: shown by the part computing it (see
    autograd._joint)."""
    return saved_result(lambda node: node.result() if node.largest is largest else None)


class AminmaxNode(Extremum):
    torch_saved = {"self": SavedInput(0, "a"), "dim": lambda node: int64(node.dims),
                   "keepdim": lambda node: node.keepdim, "max": _aminmax_result(True), "min": _aminmax_result(False)}

    def name(self):
        return "AminmaxBackward0"


class VarMeanVar(Var):
    function = "var_mean"

    def name(self):
        return "VarMeanBackward0"


class StdMeanStd(Std):
    torch_saved = _variance_saved(result0=saved_result("out"))  # (PyTorch's node has two results)
    function = "std_mean"

    def name(self):
        return "StdMeanBackward0"


class VarMeanMean(Mean):
    """The mean half of var_mean/std_mean, under the node name of the pair, showing what the pair's one node of
    PyTorch's saved (and so checking its input's version as it does)."""

    saves = (0,)
    saved = ("std",)
    torch_saved = {"VarMeanBackward0": _variance_saved(),
                   "StdMeanBackward0": _variance_saved(result0=Saved("std", lambda node, shown: node.std_node))}

    def forward(self, a, axes=None, keepdim=False, all_dims=False, node="VarMeanBackward0", dims=None,
                shown_correction=None, std=None):
        """``std``: std_mean's std (the pair's first result, which PyTorch's node saves)."""
        self.node_name, self.shown_correction = node, shown_correction
        self.std, self.std_node = (None, None) if std is None else (std._data, std._grad_fn)
        if a.dtype not in (np.float16, np.float32):
            mean = super().forward(a, axes=axes, keepdim=keepdim, all_dims=all_dims, dims=dims)
        else:
            # PyTorch's var_mean kernel accumulates the mean in double (with the variance), rounding it once
            mean = super().forward(a.astype(np.float64), axes=axes, keepdim=keepdim, all_dims=all_dims,
                                   dims=dims).astype(a.dtype)
        return _welford_nonfinite_means(a, axes, mean)

    def name(self):
        return self.node_name


def _welford_nonfinite_means(a, axes, mean):
    """``mean`` (of ``a`` over ``axes``, its shape kept or not) where it is not finite, as PyTorch's Welford update
    m += (x - m) / k leaves it: an infinity makes the running mean infinite, and any value after it NaN (x - inf,
    or inf - inf), so a group means its infinity only when that is its last value and its only non-finite one,
    else NaN; a group of finite values whose sum overflows keeps a finite mean. Complex numbers: each part."""
    if not a.size or not axes or np.isfinite(mean).all():  # (an empty group's NaN stands)
        return mean
    if a.dtype.kind == "c":
        parts = np.empty_like(mean)  # (not real + 1j * imag: 1j * inf is nan + infj)
        parts.real = _welford_nonfinite_means(a.real, axes, mean.real)
        parts.imag = _welford_nonfinite_means(a.imag, axes, mean.imag)
        return parts
    groups = np.moveaxis(a, axes, range(-len(axes), 0))
    groups = groups.reshape(groups.shape[:a.ndim - len(axes)] + (-1,))
    last, nonfinite = groups[..., -1], (~np.isfinite(groups)).sum(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = (groups / groups.shape[-1]).sum(-1, dtype=np.float64 if a.dtype.kind == "f" else None)
    welford = np.where(nonfinite == 0, scaled, np.where((nonfinite == 1) & ~np.isfinite(last), last, np.nan))
    return np.where(np.isfinite(mean), mean, welford.reshape(mean.shape)).astype(mean.dtype)
