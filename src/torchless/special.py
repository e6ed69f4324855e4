"""torchless.special: PyTorch's ``torch.special`` functions.

Those that torchless already has as tensor ops (erf, expit = sigmoid, gammaln = lgamma, softmax, ...) are those
ops under their special names; the others compute in float64 with the kernels of ``_kernels/special_math`` and
return the input's floating dtype (integer and bool inputs give the default float dtype, as in PyTorch).
Gradients exist where PyTorch defines them: Bessel functions, Airy's function and the orthogonal polynomials
return tensors that do not require grad, as PyTorch's do, and zeta's and gammainc's derivative in their first
argument raise PyTorch's NotImplementedError on backward.
"""
import math
import numbers
import operator

import numpy as np

from . import _dtype, _memory_format, _parser_errors
from ._kernels import special_math
from ._ops._util import is_int_argument, unbroadcast, unbroadcast_tensor
from ._ops.arithmetic import Div as _Div, SubScalar as _SubScalar, add_scalar as _add_scalar
from ._ops.arithmetic import mul_scalar as _mul_scalar
from ._out_argument import with_out
from ._tensor import Tensor
from .autograd.graph import Node

__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
    "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma", "entr", "erf", "erfc",
    "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc", "gammaln", "hermite_polynomial_h",
    "hermite_polynomial_he", "i0", "i0e", "i1", "i1e", "laguerre_polynomial_l", "legendre_polynomial_p", "log1p",
    "log_ndtr", "log_softmax", "logit", "logsumexp", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
    "modified_bessel_k1", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round",
    "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "sinc", "softmax",
    "spherical_bessel_j0", "xlog1py", "xlogy", "zeta",
]

_SQRT_2PI = math.sqrt(2 * math.pi)


def _input(value, name, argument="input", position=1, parser=None, refuse_complex=True):
    """``value``, checked to be a tensor; errors name ``parser`` (default: special_``name``). A complex tensor is
    refused as PyTorch's kernel refuses it, unless the function is one PyTorch computes for complex numbers (or
    ``refuse_complex`` is false: a binary function's kernel refuses the operands' promoted dtype, later)."""
    if not isinstance(value, Tensor):
        raise _parser_errors.not_tensor(parser or f"special_{name}", argument, position, value)
    if refuse_complex and value._data.dtype.kind == "c" and name not in _COMPUTED_FOR_COMPLEX:
        value._no_kernel_for("c", _COMPLEX_REFUSING_KERNELS.get(name, f"{name}_cpu"))
    return value


# The functions PyTorch computes for complex tensors; the kernels that refuse them in the others, where not
# "{name}_cpu" (polygamma and multigammaln check theirs after their other arguments)
_COMPUTED_FOR_COMPLEX = frozenset({"exp2", "expit", "expm1", "log1p", "sinc", "logsumexp", "softmax", "log_softmax",
                                   "polygamma", "multigammaln"})
_COMPLEX_REFUSING_KERNELS = {
    "i0": "i0_vml_cpu", "erf": "erf_vml_cpu", "erfc": "erfc_vml_cpu", "erfinv": "erfinv_vml_cpu", "ndtr": "erf_vml_cpu",
    "gammaln": "lgamma_vml_cpu", "digamma": "digamma", "psi": "digamma", "round": "round_vml_cpu",
    "gammainc": "igamma_cpu", "gammaincc": "igammac_cpu",
}


def _floating(tensor):
    """``tensor`` itself if floating, else cast to the default float dtype."""
    return tensor._float_self()


# the kernels PyTorch has no float16 version of
_NO_HALF = frozenset(("erfcx", "log_ndtr", "ndtri", "zeta"))


def _refuse_half(tensor, kernel):
    if tensor._data.dtype == np.float16:
        raise NotImplementedError(f'"{kernel}_cpu" not implemented for \'Half\'')
    return tensor


def _in_dtype(kernel, array):
    """``kernel`` on ``array`` in float64, the result back in ``array``'s dtype."""
    flat = np.asarray(array, np.float64).reshape(-1)  # (the kernels index with masks: no 0-d arrays)
    with np.errstate(all="ignore"):
        return np.asarray(kernel(flat)).reshape(array.shape).astype(array.dtype, copy=False)


# ---------------------------------------------------------------------------- unary functions with derivatives
def _i1_derivative(a, out):
    with np.errstate(all="ignore"):
        return np.where(a == 0, 0.5, special_math.i0(a) - out / a)


def _i1e_derivative(a, out):
    with np.errstate(all="ignore"):
        return np.where(a == 0, 0.5, special_math.i0e(a) - out * (np.sign(a) + 1 / a))


# name: (kernel, derivative from the float64 input and output, PyTorch's node)
_DIFFERENTIABLE = {
    "entr": (special_math.entr, lambda a, out: -(1 + np.log(a)), "SpecialEntrBackward0"),
    "erfcx": (special_math.erfcx, lambda a, out: 2 * a * out - 2 / math.sqrt(math.pi), "SpecialErfcxBackward0"),
    "i0": (special_math.i0, lambda a, out: special_math.i1(a), "I0Backward0"),
    "i0e": (special_math.i0e, lambda a, out: special_math.i1e(a) - np.sign(a) * out, "SpecialI0EBackward0"),
    "i1": (special_math.i1, _i1_derivative, "SpecialI1Backward0"),
    "i1e": (special_math.i1e, _i1e_derivative, "SpecialI1EBackward0"),
    "log_ndtr": (special_math.log_ndtr, lambda a, out: np.exp(-(out + a * a / 2)) / _SQRT_2PI,
                 "SpecialLogNdtrBackward0"),
    "ndtri": (special_math.ndtri, lambda a, out: _SQRT_2PI * np.exp(out * out / 2), "SpecialNdtriBackward0"),
}


def _i1_graph_derivative(grad, a, out, scaled=False):
    """PyTorch's i1_backward (i1e_backward if ``scaled``) under create_graph: x moved off 0 for the formula,
    whose gradient where() still computes, and 0.5 at 0 (FunctionsManual.cpp)."""
    from . import where

    eps = float(np.finfo(a._data.dtype).eps)
    not_tiny = a.abs() > eps
    safe = where(not_tiny, a, eps)
    if scaled:
        derivative = i0e(safe) - out * (safe.sgn() + safe.reciprocal())
    else:
        derivative = safe.i0() - out * safe.reciprocal()
    return grad * where(not_tiny, derivative, 0.5)


# name: PyTorch's formula (derivatives.yaml) of the gradient from grad, the input and the result as tensors of the
# graph, which create_graph=True differentiates; its C++ arithmetic with numbers as C++ does it (mul.Scalar, add.Scalar,
# sub.Scalar, div.Scalar: MulBackward1, AddBackward1, SubBackward1, DivBackward1)
_GRAPH_DERIVATIVES = {
    "entr": lambda grad, a, out: grad * (-_add_scalar(a.log(), 1)),  # (C++'s 1 + tensor: add.Scalar)
    "erfcx": lambda grad, a, out: (_mul_scalar(a, 2.0) * out)._binary(2.0 / math.sqrt(math.pi), _SubScalar) * grad,
    "i0": lambda grad, a, out: grad * i1(a),
    "i0e": lambda grad, a, out: grad * (i1e(a) - a.sgn() * out),
    "i1": _i1_graph_derivative,
    "i1e": lambda grad, a, out: _i1_graph_derivative(grad, a, out, scaled=True),
    "log_ndtr": lambda grad, a, out: grad / _SQRT_2PI * (out + a.pow(2) / 2).neg().exp(),
    "ndtri": lambda grad, a, out: (_mul_scalar(grad, _SQRT_2PI)
                                   * out.square()._binary(2, _Div, scalar_divisor=True).exp()),
}


class _SpecialUnary(Node):
    """One of the functions of ``_DIFFERENTIABLE``, with its derivative."""
    elementwise = True

    saved = ("a", "out")

    def forward(self, a, op=None):
        self.a, self.op = a, op
        kernel = _DIFFERENTIABLE[op][0]
        self.out = _overflowing_in_float32(kernel)(a) if op in ("i0", "i1") else _in_dtype(kernel, a)
        return self.out

    def backward(self, grad):
        with np.errstate(all="ignore"):
            derivative = _DIFFERENTIABLE[self.op][1](self.a.astype(np.float64), self.out.astype(np.float64))
        # (laid out as TensorIterator's first operand: for erfcx's formula the derivative, in the input's layout)
        operands = (self.a, grad) if self.op == "erfcx" else (grad, derivative)
        return (_memory_format.iterator_layout((grad * derivative).astype(grad.dtype, copy=False), operands),)

    def backward_graph(self, grad):
        return (_GRAPH_DERIVATIVES[self.op](grad, self.graph_input(0, self.a), self.graph_output(self.out)),)

    def name(self):
        return _DIFFERENTIABLE[self.op][2]


def _differentiable(name, doc, parser=None):
    def function(input):
        tensor = _floating(_input(input, name, parser=parser))
        if name in _NO_HALF:
            _refuse_half(tensor, name)
        return _SpecialUnary.apply(tensor, op=name)

    function.__name__, function.__doc__ = name, doc
    function.__qualname__ = parser or f"special_{name}"  # (the name Python's TypeErrors give, as PyTorch's parser)
    return with_out(function.__qualname__, function)


entr = _differentiable("entr", "Elementwise entropy, -x log(x): 0 at 0, -inf for x < 0.")
erfcx = _differentiable("erfcx", "The scaled complementary error function, exp(x^2) erfc(x).")
i0 = _differentiable("i0", "The modified Bessel function of the first kind of order 0.")
i0e = _differentiable("i0e", "The exponentially scaled modified Bessel function of order 0, exp(-|x|) I0(x).")
i1 = _differentiable("i1", "The modified Bessel function of the first kind of order 1.")
i1e = _differentiable("i1e", "The exponentially scaled modified Bessel function of order 1, exp(-|x|) I1(x).")
log_ndtr = _differentiable("log_ndtr", "The log of the standard normal CDF, accurate far in the left tail.")
ndtri = _differentiable("ndtri", "The inverse of the standard normal CDF (the quantile function): -inf at 0, inf "
                        "at 1.")


# ---------------------------------------------------------------------------- unary functions without derivatives
def _overflowing_in_float32(kernel):
    """``kernel`` (I0 or I1) with PyTorch's float32 overflow: its exp(|x|) factor is inf from |x| > 88.72."""
    def in_dtype(array):
        out = _in_dtype(kernel, array)
        if array.dtype == np.float32:
            overflow = (np.abs(array) > _FLOAT32_EXP_LIMIT) & np.isfinite(array)
            out = np.where(overflow, np.copysign(np.float32(np.inf), out), out)
        return out

    return in_dtype


_FLOAT32_EXP_LIMIT = np.float32(88.72284)


def _no_gradient(name, kernel, doc, overflows_float32=False):
    def function(input):
        tensor = _refuse_half(_floating(_input(input, name)), name)
        if overflows_float32:
            return Tensor._wrap(_overflowing_in_float32(kernel)(tensor._data))
        return Tensor._wrap(_in_dtype(kernel, tensor._data))

    function.__name__ = name
    function.__doc__ = doc + " PyTorch defines no derivative: the result does not require grad."
    return with_out(f"special_{name}", function)


airy_ai = _no_gradient("airy_ai", special_math.airy_ai, "The Airy function Ai.")
bessel_j0 = _no_gradient("bessel_j0", special_math.bessel_j0, "The Bessel function of the first kind of order 0.")
bessel_j1 = _no_gradient("bessel_j1", special_math.bessel_j1, "The Bessel function of the first kind of order 1.")
bessel_y0 = _no_gradient("bessel_y0", special_math.bessel_y0, "The Bessel function of the second kind of order 0.")
bessel_y1 = _no_gradient("bessel_y1", special_math.bessel_y1, "The Bessel function of the second kind of order 1.")
modified_bessel_i0 = _no_gradient("modified_bessel_i0", special_math.i0,
                                  "The modified Bessel function of the first kind of order 0.", True)
modified_bessel_i1 = _no_gradient("modified_bessel_i1", special_math.i1,
                                  "The modified Bessel function of the first kind of order 1.", True)
modified_bessel_k0 = _no_gradient("modified_bessel_k0", special_math.modified_bessel_k0,
                                  "The modified Bessel function of the second kind of order 0.")
modified_bessel_k1 = _no_gradient("modified_bessel_k1", special_math.modified_bessel_k1,
                                  "The modified Bessel function of the second kind of order 1.")
scaled_modified_bessel_k0 = _no_gradient("scaled_modified_bessel_k0", special_math.scaled_modified_bessel_k0,
                                         "exp(x) K0(x), without K0's underflow.")
scaled_modified_bessel_k1 = _no_gradient("scaled_modified_bessel_k1", special_math.scaled_modified_bessel_k1,
                                         "exp(x) K1(x), without K1's underflow.")
spherical_bessel_j0 = _no_gradient("spherical_bessel_j0", special_math.spherical_bessel_j0,
                                   "The spherical Bessel function of the first kind of order 0, sin(x) / x.")


def _ndtr(input):
    tensor = _floating(_input(input, "ndtr"))
    # PyTorch's C++ composes it so, by numbers (mul.Scalar, add.Scalar: MulBackward1 and AddBackward1 nodes, and
    # its gradient's own); float32 rounds the tail to 0 as here
    from ._ops.arithmetic import AddScalar, mul_scalar

    return mul_scalar(mul_scalar(tensor, math.sqrt(0.5)).erf()._binary(1, AddScalar), 0.5)


ndtr = with_out("special_ndtr", _ndtr)
ndtr.__name__ = "ndtr"
ndtr.__doc__ = "The standard normal CDF, (1 + erf(x / sqrt(2))) / 2."


# ---------------------------------------------------------------------------- functions of two arguments
def _overloads(name, got, first="input", second="other"):
    return TypeError(f"special_{name}() received an invalid combination of arguments - got ({got}), but expected "
                     f"one of:\n * (Tensor {first}, Tensor {second}, *, Tensor out = None)\n"
                     f" * (Number {'self' if first == 'input' else first}, Tensor {second}, *, Tensor out = None)\n"
                     f" * (Tensor {first}, Number {second}, *, Tensor out = None)\n")


def _type_name(value):
    return "Tensor" if isinstance(value, Tensor) else type(value).__name__


def _pair(name, x, y, first="input", second="other"):
    """(a, b, overload): a Tensor/Number pair as floating tensors of PyTorch's common dtype; ``overload`` numbers
    PyTorch's node (0: two tensors, 1: a number first, 2: a number second)."""
    numbers_ok = all(isinstance(v, (Tensor, numbers.Real, np.bool_)) for v in (x, y))
    if not numbers_ok or not (isinstance(x, Tensor) or isinstance(y, Tensor)):
        raise _overloads(name, f"{_type_name(x)}, {_type_name(y)}", first, second)
    if isinstance(x, Tensor):
        a, b = x._operands(y)
        overload = 0 if isinstance(y, Tensor) else 2
    else:
        b, a = y._operands(x)
        overload = 1
    a._no_kernel_for("c", f"{name}_cpu")
    if a._data.dtype.kind != "f":
        # each operand straight to float, as PyTorch computes
        f = _dtype.get_default_dtype().numpy
        a = x._cast(f) if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x, f))
        b = y._cast(f) if isinstance(y, Tensor) else Tensor._wrap(np.asarray(y, f))
    _broadcast_shape(a, b)
    return a, b, overload


def _broadcast_shape(a, b):
    try:
        return np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        from ._ops._util import broadcast_error

        raise broadcast_error(a._data.shape, b._data.shape) from None


def _binary_kernel(kernel, a, b):
    shape = np.broadcast_shapes(a.shape, b.shape)
    flat_a, flat_b = (np.broadcast_to(np.asarray(x, np.float64), shape).reshape(-1) for x in (a, b))
    with np.errstate(all="ignore"):
        return np.asarray(kernel(flat_a, flat_b)).reshape(shape).astype(a.dtype, copy=False)


def _xlog1py_kernel(x, y):
    with np.errstate(all="ignore"):
        out = x * np.log1p(y)
    return np.where((x == 0) & ~np.isnan(y), 0.0, out)


class _SpecialBinary(Node):
    """xlog1py, zeta or the incomplete gamma functions of two broadcast tensors."""

    saved = ("a", "b", "out")

    def forward(self, a, b, op=None, overload=0):
        self.a, self.b, self.op, self.overload = a, b, op, overload
        self.out = _binary_kernel(_BINARY[op], a, b)
        return self.out

    def _check_derivatives(self):
        """PyTorch's errors for the derivatives it does not implement (zeta's, the incomplete gammas' input's)."""
        if self.op == "zeta" and self.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        if self.op in ("igamma", "igammac") and self.needs_input_grad[0]:
            raise NotImplementedError(f"the derivative for '{self.op}: input' is not implemented.")

    def backward(self, grad):
        self._check_derivatives()
        needs = self.needs_input_grad
        a, b = self.a.astype(np.float64), self.b.astype(np.float64)
        with np.errstate(all="ignore"):
            if self.op == "xlog1py":
                # PyTorch's xlog1py(grad, other).masked_fill((self == 0) & (other <= -1), 0)
                ga = np.where((a == 0) & (b <= -1), 0.0, _xlog1py_kernel(grad.astype(np.float64), b)) \
                    if needs[0] else None
                gb = grad * (a / (b + 1)) if needs[1] else None
            elif self.op == "zeta":  # (of the Hurwitz zeta's q: -s zeta(s + 1, q))
                ga, gb = None, grad * (-a * special_math.zeta(a + 1, b))
            else:
                ga = None
                gb = grad * np.exp((a - 1) * np.log(b) - b - special_math._log_gamma(a))
                if self.op == "igammac":
                    gb = -gb
        return tuple(None if g is None else unbroadcast(g.astype(grad.dtype, copy=False), x.shape)
                     for g, x in zip((ga, gb), (self.a, self.b)))

    def backward_graph(self, grad):
        # PyTorch's formulas (derivatives.yaml), as tensors of the graph
        self._check_derivatives()
        needs = self.needs_input_grad
        a, b = self.graph_input(0, self.a), self.graph_input(1, self.b)
        if self.op == "xlog1py":
            ga = xlog1py(grad, b).masked_fill(grad._wrap((self.a == 0) & (self.b <= -1)), 0.0) if needs[0] else None
            gb = grad * a / (b + 1) if needs[1] else None
        elif self.op == "zeta":
            ga, gb = None, grad * -a * zeta(a + 1, b)
        else:
            ga = None
            gb = (-grad if self.op == "igammac" else grad) * ((a - 1) * b.log() - b - a.lgamma()).exp()
        return tuple(None if g is None else unbroadcast_tensor(g, x.shape) for g, x in zip((ga, gb), (self.a, self.b)))

    def name(self):
        names = {"xlog1py": "SpecialXlog1Py", "zeta": "SpecialZeta", "igamma": "Igamma", "igammac": "Igammac"}
        return f"{names[self.op]}Backward{self.overload}"


_BINARY = {
    "xlog1py": _xlog1py_kernel,
    "zeta": special_math.zeta,
    "igamma": special_math.gammainc,
    "igammac": lambda a, x: special_math.gammainc(a, x, upper=True),
}


def _xlog1py(input, other):
    a, b, overload = _pair("xlog1py", input, other)
    return _SpecialBinary.apply(a, b, op="xlog1py", overload=overload)


xlog1py = with_out("special_xlog1py", _xlog1py)
xlog1py.__name__ = "xlog1py"
xlog1py.__doc__ = "input * log1p(other), 0 where input is 0 (unless other is NaN); either may be a Python number."


def _zeta(input, other):
    a, b, overload = _pair("zeta", input, other)
    _refuse_half(a, "zeta")
    return _SpecialBinary.apply(a, b, op="zeta", overload=overload)


zeta = with_out("special_zeta", _zeta)
zeta.__name__ = "zeta"
zeta.__doc__ = "The Hurwitz zeta function, sum over k >= 0 of (k + other)^-input."


def _incomplete_gamma(name, op, parser=None):
    def function(input, other):
        _input(input, name, parser=parser, refuse_complex=False)
        _input(other, name, "other", 2, parser=parser, refuse_complex=False)
        a, b = input._operands(other)
        _broadcast_shape(a, b)
        if a._data.dtype.kind != "f":
            raise NotImplementedError(f'"{op}_cpu" not implemented for \'{a.dtype.scalar_name}\'')
        return _SpecialBinary.apply(a, b, op=op)

    function.__name__ = name
    return with_out(parser or f"special_{name}", function)


gammainc = _incomplete_gamma("gammainc", "igamma")
gammainc.__doc__ = "The regularized lower incomplete gamma function P(input, other)."
gammaincc = _incomplete_gamma("gammaincc", "igammac")
gammaincc.__doc__ = "The regularized upper incomplete gamma function Q(input, other) = 1 - P(input, other)."


def _polynomial_function(kind):
    """The special function of the orthogonal polynomial ``kind`` (special_math.POLYNOMIALS: "chebyshev_t" for
    chebyshev_polynomial_t, ...)."""
    family, _, letter = kind.rpartition("_")
    name = f"{family}_polynomial_{letter}"

    def function(x, n):
        a, b, _ = _pair(name, x, n, "x", "n")
        _refuse_half(a, name)
        out = _binary_kernel(lambda x, n: special_math.polynomial(kind, x, n), a._data, b._data)
        return Tensor._wrap(out)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"The {kind.replace('_', ' ')} polynomial of degree ``n`` (truncated to an integer; "
                        "negative degrees give 0) at ``x``. The result does not require grad, as in PyTorch.")
    return with_out(f"special_{name}", function)


# In special_math.POLYNOMIALS's order (each function's name is derived from its kind there).
(chebyshev_polynomial_t, chebyshev_polynomial_u, chebyshev_polynomial_v, chebyshev_polynomial_w,
 shifted_chebyshev_polynomial_t, shifted_chebyshev_polynomial_u, shifted_chebyshev_polynomial_v,
 shifted_chebyshev_polynomial_w, hermite_polynomial_h, hermite_polynomial_he, laguerre_polynomial_l,
 legendre_polynomial_p) = (_polynomial_function(kind) for kind in special_math.POLYNOMIALS)


# ---------------------------------------------------------------------------- gamma-function family
class _Polygamma(Node):
    saved = ("a",)

    def forward(self, a, n=0):
        self.a, self.n = a, n
        out = _in_dtype(lambda x: special_math.polygamma(n, x, a.dtype), a)
        return _memory_format.iterator_layout(out, (a,))  # (TensorIterator's output keeps a's layout)

    def backward(self, grad):
        with np.errstate(all="ignore"):
            derivative = special_math.polygamma(self.n + 1, self.a.astype(np.float64), self.a.dtype)
        return ((grad * derivative).astype(grad.dtype, copy=False),)

    def backward_graph(self, grad):  # (PyTorch's grad * polygamma(n + 1, self))
        return (grad * _Polygamma.apply(self.graph_input(0, self.a), n=self.n + 1),)

    def name(self):
        return "PolygammaBackward0"


def _int_argument(value, parser, argument, position):
    """An ``int`` argument as PyTorch's parser takes it: a Python or NumPy integer, a 0-d integer tensor."""
    if value.__class__ is int:
        return value
    if not is_int_argument(value):
        raise _parser_errors.wrong_type(parser, argument, position, value, "int")
    return operator.index(value)


def _make_polygamma(parser):
    def polygamma(n, input):
        """The n-th derivative of the digamma function (n >= 0)."""
        n = _int_argument(n, parser, "n", 1)
        tensor = _floating(_input(input, "polygamma", "input", 2, parser=parser))
        if n < 0:
            raise RuntimeError("polygamma(n, x) does not support negative n.")
        tensor._no_kernel_for("c", "digamma" if n == 0 else "trigamma" if n == 1 else "polygamma")
        return _Polygamma.apply(tensor, n=n)

    return with_out(parser, polygamma)


polygamma = _make_polygamma("special_polygamma")


class _Multigammaln(Node):
    saved = ("a",)

    def forward(self, a, p=1):
        self.a, self.p = a, p
        shifts = -0.5 * np.arange(p)
        with np.errstate(all="ignore"):
            x = a.astype(np.float64)[..., None] + shifts
            out = special_math._log_gamma(x).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)
        # (C order whatever a's layout: PyTorch's mvlgamma is a sum over the last dim of a new tensor)
        return np.array(out, dtype=a.dtype, order="C")

    def backward(self, grad):
        with np.errstate(all="ignore"):
            x = self.a.astype(np.float64)[..., None] - 0.5 * np.arange(self.p)
            derivative = special_math.polygamma(0, x).sum(-1)
        return ((grad * derivative).astype(grad.dtype, copy=False),)

    def backward_graph(self, grad):
        # PyTorch's mvlgamma_backward: grad * (arange(-p/2 + 1/2, 1/2, 1/2) + self.unsqueeze(-1)).digamma().sum(-1)
        a = self.graph_input(0, self.a)
        shifts = a._wrap(np.arange(-self.p / 2 + 0.5, 0.5, 0.5).astype(self.a.dtype))
        return (grad * (shifts + a.unsqueeze(-1)).digamma().sum(-1),)

    def name(self):
        return "MvlgammaBackward0"


def _make_multigammaln(parser, p_position=2):
    def multigammaln(input, p):
        """The multivariate log-gamma function of dimension ``p``: sum_j lgamma(x - j/2) + p(p-1)/4 log(pi)."""
        tensor = _input(input, "multigammaln", parser=parser)
        p = _int_argument(p, parser, "p", p_position)
        if tensor._data.dtype == np.bool_:
            raise RuntimeError("The input tensor may not be a boolean tensor.")
        if p < 1:
            raise RuntimeError("p has to be greater than or equal to 1")
        tensor._no_kernel_for("c", "arange_cpu")  # (PyTorch's kernel for the shifts, in the input's dtype)
        return _Multigammaln.apply(_floating(tensor), p=p)

    return with_out(parser, multigammaln)


multigammaln = _make_multigammaln("special_multigammaln")


# ---------------------------------------------------------------------------- torchless ops under special names
def _alias(name, method):
    def function(input, *args, **kwargs):
        return getattr(_input(input, name), method)(*args, **kwargs)

    function.__name__ = name
    function.__doc__ = f"``torchless.{method}`` under its torch.special name."
    return with_out(f"special_{name}", function)


expit = _alias("expit", "sigmoid")
erf = _alias("erf", "erf")
erfc = _alias("erfc", "erfc")
erfinv = _alias("erfinv", "erfinv")
exp2 = _alias("exp2", "exp2")
expm1 = _alias("expm1", "expm1")
log1p = _alias("log1p", "log1p")
gammaln = _alias("gammaln", "lgamma")
digamma = _alias("digamma", "digamma")
psi = _alias("psi", "digamma")
sinc = _alias("sinc", "sinc")
logit = _alias("logit", "logit")
logsumexp = _alias("logsumexp", "logsumexp")


def round(input, *, decimals=0):  # noqa: A001 - PyTorch's name
    """Round to ``decimals`` decimal places, halves to even."""
    return _input(input, "round").round(decimals=decimals)


round = with_out("special_round", round)  # noqa: A001


def softmax(input, dim, *, dtype=None):
    """softmax over ``dim``, in ``dtype`` if given."""
    return _input(input, "softmax").softmax(dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """log_softmax over ``dim``, in ``dtype`` if given."""
    return _input(input, "log_softmax").log_softmax(dim, dtype=dtype)


def _xlogy(input, other):
    from ._functions import xlogy as torchless_xlogy

    try:
        return torchless_xlogy(input, other)
    except TypeError as error:
        message = str(error)
        if message.startswith("xlogy()"):
            raise TypeError("special_" + message) from None
        raise


xlogy = with_out("special_xlogy", _xlogy)
xlogy.__name__ = "xlogy"
xlogy.__doc__ = "input * log(other), 0 where input is 0 (unless other is NaN); either may be a Python number."


# ---------------------------------------------------------------------------- the torch-namespace forms
# torch.i0 (and i0_), torch.polygamma, torch.igamma, torch.igammac and torch.mvlgamma: the functions above, their
# errors naming the torch function
TORCH_FUNCTIONS = {
    "i0": _differentiable("i0", i0.__doc__, parser="i0"),
    "polygamma": _make_polygamma("polygamma"),
    "igamma": _incomplete_gamma("igamma", "igamma", parser="igamma"),
    "igammac": _incomplete_gamma("igammac", "igammac", parser="igammac"),
    "mvlgamma": _make_multigammaln("mvlgamma"),
    "i0_": _parser_errors.native_entry("i0_", ("Tensor input",), lambda input: input.i0_()),
}


def _method_wrapper(name, function):
    """``function`` as the Tensor method ``name``, its wrong calls refused with PyTorch's parser's TypeErrors."""
    from ._numpy_names import _renaming

    failure_parse = _parser_errors.failure_parse if name in _parser_errors.PARSED_ON_FAILURE else None
    return _renaming(name, function, {}, _parser_errors.method_binding_error, failure_parse)


def install(cls):
    """The method forms on the Tensor class ``cls``: x.i0(), x.polygamma(n), x.igamma(other), x.igammac(other),
    x.mvlgamma(p), and their in-place forms."""
    from ._ops.math_methods import _inplace_method

    functions = TORCH_FUNCTIONS
    mvlgamma_method = _make_multigammaln("mvlgamma", p_position=1)  # the method's p is its first argument

    def i0(self):
        return functions["i0"](self)

    def polygamma(self, n):
        return functions["polygamma"](n, self)

    def igamma(self, other):
        return functions["igamma"](self, other)

    def igammac(self, other):
        return functions["igammac"](self, other)

    def mvlgamma(self, p):
        return mvlgamma_method(self, p)

    def mvlgamma_(self, p):
        if self._data.dtype.kind in "iu":  # (PyTorch's in-place form checks the cast the other way round)
            mvlgamma_method(self, p)  # (its own errors first)
            raise RuntimeError(f"mvlgamma: result type {self.dtype.scalar_name} can't be cast to the desired output "
                               f"type {_dtype.get_default_dtype().scalar_name}")
        return in_place["mvlgamma"](self, p)

    in_place = {}
    for method in (i0, polygamma, igamma, igammac, mvlgamma):
        name = method.__name__
        method.__doc__ = f"Method form of ``torchless.{name}``."
        in_place[name] = _inplace_method(name)
        for form, function in ((name, method), (name + "_", in_place[name])):
            # (a call Python cannot bind gets PyTorch's parser's wording)
            setattr(cls, form, _method_wrapper(form, function))
    mvlgamma_.__doc__ = in_place["mvlgamma"].__doc__
    cls.mvlgamma_ = _method_wrapper("mvlgamma_", mvlgamma_)
