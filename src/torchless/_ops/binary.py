"""Elementwise functions of two tensors beyond arithmetic: atan2, hypot, logaddexp(2), copysign, fmax/fmin, xlogy."""
import math

import numpy as np

from .. import _memory_format
from .._kernels import cpu_loops, sleef_atan2
from .._kernels.fma import fused_multiply_add
from ..autograd.graph import Node
from ..autograd.saved_values import SavedInput, saved_result, scalar
from ._util import unbroadcast, unbroadcast_tensor

_LN2 = math.log(2)


def _xlogy(x, y):
    """x * log(y), 0 where x == 0 (unless y is NaN), as PyTorch."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(y)
    return np.where((x == 0) & ~np.isnan(y), np.zeros((), out.dtype), out).astype(out.dtype, copy=False)


def _logaddexp(a, b):
    """log(exp(a) + exp(b)); for complex numbers from the operand of larger real part, as PyTorch computes it
    (NumPy's logaddexp is real only)."""
    if a.dtype.kind != "c":
        return np.logaddexp(a, b)
    larger = np.where(a.real >= b.real, a, b)
    with np.errstate(all="ignore"):
        return (larger + np.log1p(np.exp((a + b - larger) - larger))).astype(larger.dtype, copy=False)


def _logaddexp2(a, b):
    """log2(2^a + 2^b) as PyTorch's kernel: max(a, b) + log1p(2^-|a - b|) / ln 2 for float32 and float64, the
    division a multiplication by 1 / ln 2 fused into the addition (so logaddexp2(-1, -1) is -1.06e-8, not 0);
    a or b where both are the same infinity."""
    if a.dtype not in (np.float32, np.float64) or a.dtype != b.dtype:
        return np.logaddexp2(a, b)
    compute = a.dtype.type
    with np.errstate(all="ignore"):
        tail = np.log1p(np.exp2(-np.abs(a - b)))
        out = fused_multiply_add(tail, compute(1 / _LN2), np.maximum(a, b))
        return np.where(np.isinf(a) & (a == b), a, out)


def _fmax(a, b, largest):
    """fmax/fmin as PyTorch's kernels (C's fmax/fmin): ``a`` where it wins, ties included, or ``b`` is NaN, else
    ``b``; so fmax(0.0, -0.0) is 0.0 and fmax(-0.0, 0.0) is -0.0 (NumPy's give ``b``'s zero)."""
    return np.where(_fmax_grads(a, b, None, largest)[0], a, b)


def _fmax_grads(a, b, out, largest):
    """fmax/fmin: the gradient goes to ``a`` where it wins (ties included) or ``b`` is NaN, else to ``b``."""
    to_a = ((a >= b) if largest else (a <= b)) | np.isnan(b)
    return to_a, ~to_a


def _atan2(a, b):
    """atan2 as PyTorch's kernel: of float32 operands SLEEF's in its vectorised loop and the C library's in its
    scalar code (see cpu_loops.scalar_tail; each differs in the last bit from the correctly rounded result for a few
    percent of inputs); of half operands rounded once from float64 (NumPy's float32 arctan2 misses by an ulp a
    third of the time)."""
    if a.dtype == np.float32 and b.dtype == np.float32:
        shape = np.broadcast_shapes(a.shape, b.shape)
        laid = a if a.shape == shape else b if b.shape == shape else np.broadcast_to(a, shape)
        tail = cpu_loops.scalar_tail(laid, vectors=2, others=(b if laid is a else a,))
        if tail is None:
            return sleef_atan2.atan2(a, b)
        a, b = np.broadcast_to(a, shape), np.broadcast_to(b, shape)
        out = np.empty(shape, np.float32) if tail.all() else sleef_atan2.atan2(a, b)
        out[tail] = sleef_atan2.libm_atan2(a[tail], b[tail])
        return out
    if a.dtype in (np.float16, np.float32):
        return np.arctan2(a.astype(np.float64), b.astype(np.float64)).astype(np.result_type(a, b))
    return np.arctan2(a, b)


def _atan2_grads(a, b):
    """d atan2(a, b) / da = b / (a^2 + b^2), / db = -a / (a^2 + b^2); both 0 at the origin, as in PyTorch."""
    squared = a * a + b * b
    inverse = np.where(squared == 0, 0, 1 / np.where(squared == 0, 1, squared))
    return b * inverse, -a * inverse


# name: (f(a, b), (df/da, df/db) from a, b and f(a, b) as multipliers of the gradient, or masks)
BINARY = {
    "atan2": (_atan2, lambda a, b, out: _atan2_grads(a, b)),
    "hypot": (np.hypot, lambda a, b, out: (a / out, b / out)),
    "logaddexp": (_logaddexp, lambda a, b, out: (1 / (1 + np.exp(b - a)), 1 / (1 + np.exp(a - b)))),
    "logaddexp2": (_logaddexp2, lambda a, b, out: (1 / (1 + np.exp2(b - a)), 1 / (1 + np.exp2(a - b)))),
    # PyTorch: the gradient of copysign(a, b) is result / a (0 where a is 0); b gets zeros
    "copysign": (np.copysign,
                 lambda a, b, out: (np.where(a == 0, 0, out / np.where(a == 0, 1, a)), np.zeros(b.shape, bool))),
    "fmax": (lambda a, b: _fmax(a, b, True), lambda a, b, out: _fmax_grads(a, b, out, True)),
    "fmin": (lambda a, b: _fmax(a, b, False), lambda a, b, out: _fmax_grads(a, b, out, False)),
    # PyTorch: d/dx is log(y), but 0 where x == 0 and y <= 0
    "xlogy": (_xlogy, lambda a, b, out: (np.where((a == 0) & (b <= 0), 0, np.log(b)), a / b)),
}

# op: for each input, how PyTorch's formula of its gradient combines the arrays ("grad", "a", "b"; "C": one
# C-ordered, as pow(2, tensor)'s result), pair by pair, as nested tuples: TensorIterator lays each result out by
# its operands in order (atan2's grad * other * recip is ((grad, other), recip), recip's layout (a, b)'s, as the
# result's).
# None: C order, as masked_fill's copy (fmax/fmin's grad.masked_fill, xlogy's xlogy(grad, other).masked_fill);
# "zeros": C-ordered zeros (copysign's other's).
_GRADIENT_LAYOUTS = {
    "atan2": ((("grad", "b"), ("a", "b")), (("grad", "a"), ("a", "b"))),
    "hypot": ((("grad", "a"), ("a", "b")), (("grad", "b"), ("a", "b"))),
    "logaddexp": (("grad", ("b", "a")), ("grad", ("a", "b"))),
    "logaddexp2": (("grad", "C"), ("grad", "C")),
    "copysign": (("grad", (("a", "b"), "a")), "zeros"),
    "fmax": (None, None),
    "fmin": (None, None),
    "xlogy": (None, (("grad", "a"), "b")),
}


def _laid_out_as_formula(gradient, formula, arrays):
    """``gradient`` laid out as TensorIterator lays out the result of ``formula`` (see _GRADIENT_LAYOUTS) on
    ``arrays`` ({name: array}, broadcast to the gradient's shape)."""
    shape = gradient.shape
    if gradient.ndim < 2 or all(a.flags.c_contiguous or not any(a.strides) for a in arrays.values()):
        # (C order, the common case: an operand broadcast whole, as a sum's gradient, orders no dims)
        return _memory_format.c_ordered(gradient)
    leaves = {name: np.broadcast_to(array, shape) for name, array in arrays.items()}

    def operand(term):
        if term == "C":
            return np.empty(shape, bool)
        if isinstance(term, str):
            return leaves[term]
        return _memory_format.empty_for_iterator(shape, bool, [operand(t) for t in term])

    return _memory_format.iterator_layout(gradient, [operand(t) for t in formula])


_NAMES = {"atan2": "Atan2", "hypot": "Hypot", "logaddexp": "Logaddexp", "logaddexp2": "Logaddexp2",
          "copysign": "Copysign", "fmax": "Fmax", "fmin": "Fmin", "xlogy": "Xlogy"}


_BOTH = {"self": SavedInput(0, "a"), "other": SavedInput(1, "b")}
_BINARY_SAVED = {
    **{f"{name}Backward0": _BOTH for name in ("Atan2", "Logaddexp", "Logaddexp2", "Fmax", "Fmin", "Xlogy")},
    "HypotBackward0": {"self": SavedInput(0, "a", needed_for=(0,)), "other": SavedInput(1, "b", needed_for=(1,)),
                       "result": saved_result("out")},
    **{f"CopysignBackward{n}": {"self": SavedInput(0, "a", needed_for=(0,)), "result": saved_result("out")}
       for n in (0, 1)},
    "XlogyBackward1": {"self": scalar("a"), "other": SavedInput(1, "b")},
    "XlogyBackward2": {"self": SavedInput(0, "a"), "other": scalar("b")},
}


class Binary(Node):
    """One of the functions in ``BINARY`` of broadcast tensors ``a`` and ``b``. ``overload`` is the number of
    PyTorch's node (CopysignBackward1 for a Python-number ``b``, XlogyBackward1/2 for a number ``a``/``b``)."""
    elementwise = True

    saved = ("a", "b", "out")
    saves = (0, 1)  # not the output: some of these PyTorch nodes save it, others do not
    torch_saved = _BINARY_SAVED

    def forward(self, a, b, op=None, overload=0):
        self.op, self.overload, self.a, self.b = op, overload, a, b
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = np.asarray(BINARY[op][0](a, b)).astype(np.result_type(a, b), copy=False)
        # (laid out as the result already: its saved value enters the gradients' formulas, and their layouts)
        self.out = self.laid_out(out, (a, b))
        return self.out

    def backward(self, grad):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            da, db = BINARY[self.op][1](self.a, self.b, self.out)
        out = []
        arrays = {"grad": grad, "a": self.a, "b": self.b}
        for d, x, need, layout in zip((da, db), (self.a, self.b), self.needs_input_grad, _GRADIENT_LAYOUTS[self.op]):
            if not need:
                out.append(None)
            elif layout == "zeros":
                out.append(np.zeros(x.shape, grad.dtype))
            else:
                g = np.where(d, grad, np.zeros((), grad.dtype)) if np.asarray(d).dtype == np.bool_ else grad * d
                g = np.asarray(g, grad.dtype)
                g = _memory_format.c_ordered(g) if layout is None else _laid_out_as_formula(g, layout, arrays)
                out.append(unbroadcast(g, x.shape))
        return tuple(out)

    def backward_graph(self, grad):
        needs = self.needs_input_grad
        op = self.op
        if op in ("fmax", "fmin", "copysign"):  # b's gradient is a mask, constant in the graph
            masks = BINARY[op][1](self.a, self.b, self.out)
        if op in ("fmax", "fmin"):  # (grad.masked_fill(the other input's mask, 0))
            grads = [grad.masked_fill(grad._wrap(~mask), 0.0) for mask in masks]
        else:
            a, b = self.graph_input(0, self.a), self.graph_input(1, self.b)
            if op in _GRAPH_GRADIENTS:
                grads = _GRAPH_GRADIENTS[op](grad, a, b, lambda: self.graph_output(self.out), needs)
            else:
                derivatives = _graph_derivatives(op, a, b, lambda: self.graph_output(self.out), needs)
                if op == "copysign":  # (other's: zeros, a constant)
                    grads = [grad * derivatives[0], grad._wrap(np.zeros(self.b.shape, grad._data.dtype))]
                else:
                    grads = [None if d is None else grad * d for d in derivatives]
        return tuple(unbroadcast_tensor(g, x.shape) if need else None
                     for g, x, need in zip(grads, (self.a, self.b), needs))

    def name(self):
        return f"{_NAMES[self.op]}Backward{self.overload}"


def _zero_where(mask, tensor):
    """``tensor`` with exact zeros where the constant ``mask`` holds: PyTorch's masked_fill of a derivative, whose
    own gradient stops there (even where the masked value is inf or NaN)."""
    from .shape import Where

    if not mask.any():
        return tensor
    return Where.apply(tensor._wrap(np.zeros((), tensor._data.dtype)), tensor, condition=mask)


def _graph_derivatives(op, a, b, out, needs):
    """(d op / d a, d op / d b) as tensors of the graph (None where not needed), from the graph tensors of the
    inputs and a function giving the output's; the formulas of BINARY's second entries."""
    if op == "copysign":
        return _zero_where(a._data == 0, out() / a), None
    raise AssertionError(op)


def _atan2_gradients(grad, a, b, out, needs):
    # (grad * other * recip, grad * -self * recip)
    squared = a * a + b * b
    # 0 at the origin, as the first order: PyTorch's recip masked where the denominator is 0 (MaskedFillBackward0)
    inverse = squared.reciprocal().masked_fill(squared._wrap(squared._data == 0), 0)
    return grad * b * inverse if needs[0] else None, grad * -a * inverse if needs[1] else None


def _hypot_gradients(grad, a, b, out, needs):
    result = out()
    return (grad * a / result if needs[0] else None, grad * b / result if needs[1] else None)


def _logaddexp_gradients(grad, a, b, out, needs, power=lambda t: t.exp()):
    # (grad / (1 + exp(other - self)).conj(): DivBackward0 nodes, C++'s 1 + tensor an add.Scalar, AddBackward1)
    from .arithmetic import AddScalar

    return (grad / power(b - a)._binary(1, AddScalar) if needs[0] else None,
            grad / power(a - b)._binary(1, AddScalar) if needs[1] else None)


def _xlogy_gradients(grad, a, b, out, needs):
    # (xlogy(grad, other).masked_fill((self == 0) & (other <= 0), 0): its gradient stops at the mask)
    masked = grad._wrap((a._data == 0) & (b._data <= 0))
    return (Binary.apply(grad, b, op="xlogy").masked_fill(masked, 0.0) if needs[0] else None,
            grad * a / b if needs[1] else None)


# op: PyTorch's formulas of the gradients themselves (grad * self / result: DivBackward0 nodes), from grad, the
# graph tensors of the inputs, a function giving the output's and which inputs need one
_GRAPH_GRADIENTS = {"atan2": _atan2_gradients, "hypot": _hypot_gradients, "xlogy": _xlogy_gradients,
                    "logaddexp": _logaddexp_gradients,
                    "logaddexp2": lambda *args: _logaddexp_gradients(*args, power=lambda t: 2 ** t)}
