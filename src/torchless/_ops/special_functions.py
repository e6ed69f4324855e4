"""Special functions PyTorch has and NumPy lacks (lgamma, digamma and its derivatives, exp2) as differentiable
elementwise ops with their derivatives beside them, and float_power, ldexp and heaviside.
"""
import math
import numbers

import numpy as np

from .. import _dtype, _memory_format
from .._kernels import special_math
from .._tensor import Tensor
from .._type_promotion import NUMBERS, as_parsed_number
from ..autograd.graph import Node, records
from ..autograd.saved_values import SavedInput, saved_result
from ._util import raise_if_not_broadcastable, required_tensor


_LANCZOS_G = 7
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)


def _lgamma(x):
    """log|Gamma(x)| in float64 (Lanczos, with the reflection formula below 1/2): inf at the poles."""
    x = np.asarray(x, np.float64)
    reflect = x < 0.5
    z = np.where(reflect, 1 - x, x) - 1
    series = np.full_like(z, _LANCZOS[0])
    for k, c in enumerate(_LANCZOS[1:], 1):
        series += c / (z + k)
    t = z + _LANCZOS_G + 0.5
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        direct = 0.5 * math.log(2 * math.pi) + (z + 0.5) * np.log(t) - t + np.log(series)
        reflected = math.log(math.pi) - np.log(np.abs(np.sin(math.pi * x))) - direct
    out = np.where(reflect, reflected, direct)
    # near 0, -log|x| to float64's precision (sin(pi x) of a subnormal x would lose digits to the rounding of pi x)
    tiny = (np.abs(x) < 1e-20) & (x != 0)
    out[tiny] = -np.log(np.abs(x[tiny]))
    poles = (x <= 0) & (x == np.floor(x))
    out[poles] = np.inf
    out[np.isinf(x)] = np.inf
    out[(x == 1) | (x == 2)] = 0.0  # the series' rounding leaves -8.9e-16 at 1 where C's lgamma is exactly 0
    return out


def _recurred_up(y, bound, term):
    """(``y`` raised by whole steps to at least ``bound``, the sum of ``term`` over the values stepped past): the
    recurrences carry the argument up to where the asymptotic series converges."""
    shift = np.zeros_like(y)
    small = y < bound
    while small.any():
        shift[small] += term(y[small])
        y = np.where(small, y + 1, y)
        small = y < bound
    return y, shift


def _tetragamma(x):
    """polygamma(2, x) in float64: the recurrence psi''(x) = psi''(x + 1) - 2 / x^3 up to x >= 10, its asymptotic
    series there, reflection for x < 0; poles at 0, -1, ... and -inf give -inf, +inf NaN (PyTorch's values)."""
    x = np.asarray(x, np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        reflect = x < 0
        y, shift = _recurred_up(np.where(reflect, 1 - x, x), 10, lambda v: -2 / v ** 3)
        inv = 1 / y
        inv2 = inv * inv
        tail = inv2 * (1 / 2 - inv2 * (1 / 6 - inv2 * (1 / 6 - inv2 * (3 / 10 - inv2 * (5 / 6 - inv2 * (691 / 210
                                                                                                   - inv2 * 35 / 2))))))
        value = shift - inv2 * (1 + inv + tail)
        angle = math.pi * x
        value = np.where(reflect, value - 2 * math.pi ** 3 * np.cos(angle) / np.sin(angle) ** 3, value)
    value[(x <= 0) & (x == np.floor(x))] = -np.inf
    value[x == np.inf] = np.nan
    return value


# Cephes' coefficients of digamma's asymptotic series in 1 / x^2, as PyTorch's calc_digamma evaluates it
_DIGAMMA_SERIES = (8.33333333333333333333E-2, -2.10927960927960927961E-2, 7.57575757575757575758E-3,
                   -4.16666666666666666667E-3, 3.96825396825396825397E-3, -8.33333333333333333333E-3,
                   8.33333333333333333333E-2)
_DIGAMMA_10 = 2.25175258906672110764


def _digamma(x, dtype=np.float64):
    """PyTorch's digamma (calc_digamma), computed as its kernel does in ``dtype`` (float32 for float32 and
    narrower): the reflection -pi / tan(pi frac(x)) below 0 (in double), the recurrence up to x >= 10 (digamma(10)
    itself there), then the asymptotic series; -+inf at +-0, NaN at the negative integers."""
    real = np.float64 if np.dtype(dtype) == np.float64 else np.float32
    x = given = np.asarray(x).astype(real)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        negative = x < 0
        reflection = (math.pi / np.tan(math.pi * np.modf(x.astype(np.float64))[0])).astype(real)
        x = np.where(negative, real(1) - x, x)
        result = np.zeros_like(x)
        small = x < 10
        while small.any():
            result = np.where(small, result - real(1) / x, result)
            x = np.where(small, x + real(1), x)
            small = x < 10
        z = real(1) / (x * x)
        series = np.full_like(x, real(_DIGAMMA_SERIES[0]))
        for coefficient in _DIGAMMA_SERIES[1:]:
            series = series * z + real(coefficient)
        tail = np.where(x < real(1e17), z * series, real(0))
        value = np.where(x == 10, result + real(_DIGAMMA_10), result + np.log(x) - real(0.5) / x - tail)
        value = np.where(negative, value - reflection, value)
        value = np.where(given == 0, -np.copysign(real(np.inf), given), value)
        value = np.where(negative & (given == np.trunc(given)), real(np.nan), value)
    return value.astype(np.float64)


class _Special(Node):
    """An elementwise special function f with its derivative (``op``: name in _SPECIAL)."""

    elementwise = True
    saved = ("a", "out")
    torch_saved = {"Exp2Backward0": {"result": saved_result("out")}, "LgammaBackward0": {"self": SavedInput(0, "a")},
                   "DigammaBackward0": {"self": SavedInput(0, "a")}}

    def forward(self, a, op=None):
        self.a, self.op = a, op
        self.out = _SPECIAL[op][0](a).astype(a.dtype, copy=False)
        return self.out

    def backward(self, grad):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return ((grad * _SPECIAL[self.op][1](self.a, self.out)).astype(grad.dtype, copy=False),)

    def backward_graph(self, grad):
        if self.op == "exp2":
            # (PyTorch's grad * result * M_LN2, by the number as mul.Scalar: MulBackward1)
            from .arithmetic import mul_scalar

            return (mul_scalar(grad * self.graph_output(self.out), math.log(2)),)
        if self.op in ("lgamma", "digamma"):
            derivative = "digamma" if self.op == "lgamma" else "trigamma"
            return (grad * _Special.apply(self.graph_input(0, self.a), op=derivative),)
        # trigamma, digamma's derivative, is PyTorch's polygamma(1, x): its derivative grad * polygamma(2, x)
        from ..special import _Polygamma

        return (grad * _Polygamma.apply(self.graph_input(0, self.a), n=2),)

    def name(self):
        return {"lgamma": "LgammaBackward0", "digamma": "DigammaBackward0", "exp2": "Exp2Backward0",
                "trigamma": "PolygammaBackward0"}[self.op]


_SPECIAL = {
    "lgamma": (_lgamma, lambda a, out: _digamma(a, a.dtype)),
    "digamma": (lambda a: _digamma(a, a.dtype), lambda a, out: special_math.trigamma(a, a.dtype)),
    "exp2": (np.exp2, lambda a, out: out * math.log(2)),
    # digamma's derivative, polygamma(1, x), as an op of the graph (create_graph=True)
    "trigamma": (lambda a: special_math.trigamma(a, a.dtype), lambda a, out: _tetragamma(a)),
}


def _special_method(op):
    refusing_kernel = {"lgamma": "lgamma_vml_cpu", "digamma": "digamma"}.get(op)  # (exp2 takes complex numbers)

    def method(self):
        if refusing_kernel is not None:
            self._no_kernel_for("c", refusing_kernel)
        return _Special.apply(self._float_self(), op=op)

    method.__name__ = op
    method.__doc__ = f"{op}(x) elementwise; integer and bool tensors give the default float dtype."
    return method


def float_power(self, exponent):
    """``input ** exponent`` computed in double precision (the result is float64, complex128 when either is
    complex)."""
    self, exponent = (as_parsed_number(v) for v in (self, exponent))
    complex_operand = any(v._data.dtype.kind == "c" if isinstance(v, Tensor) else
                          isinstance(v, numbers.Complex) and not isinstance(v, numbers.Real) for v in (self, exponent))
    target, scalar = (_dtype.complex128, complex) if complex_operand else (_dtype.float64, float)
    for operand in (self, exponent):
        if type(operand) is int:  # (read into PyTorch's Scalar first: int64, or uint64 if positive)
            _dtype.check_64_bits(operand)
    base = self._cast(target.numpy) if isinstance(self, Tensor) else self
    if isinstance(exponent, Tensor):
        exponent = exponent._cast(target.numpy)
    elif isinstance(exponent, NUMBERS):
        exponent = scalar(exponent)
    if not isinstance(base, Tensor):
        if isinstance(exponent, Tensor):  # (as PyTorch's pow of a number base: a C-contiguous result)
            return exponent.__rpow__(scalar(base))
        from .._creation import tensor

        return tensor(scalar(base), dtype=target).pow(exponent)
    return base.pow(exponent)


def ldexp(self, other):
    """``input * 2 ** other``: exactly (std::ldexp) for an integer ``other`` beside a floating input, else the product
    with PyTorch's pow(2, other), in other's dtype beside an integer or float32 input, else in the dtype promoted
    with the input's (2 is then a 0-d tensor of the input's dtype)."""
    required_tensor(other, "ldexp", "other", 1)
    if other._data.dtype.kind in "biu" and self._data.dtype.kind == "f":
        if other._data.dtype == np.bool_:
            raise NotImplementedError("\"ldexp_cpu_exp\" not implemented for 'Bool'")
        return _ldexp_integer_exponent(self, other)
    if self._data.dtype.kind in "biu" or self._data.dtype == np.float32:
        return self * other.__rpow__(2.0)
    from .._creation import tensor

    return self * tensor(2.0, dtype=self.dtype).pow(other)


def _ldexp_integer_exponent(self, other):
    """x * 2^n rounded once, as std::ldexp: the product with three powers of two of the same sign, each a normal
    number, so that only the last product can leave the normal range. PyTorch's kernel writes into an
    empty_like(input), so a broadcast result larger than the input warns as a resized out does."""
    from .._out_argument import warn_resized_output

    raise_if_not_broadcastable(self, other)
    shape = np.broadcast_shapes(self._data.shape, other._data.shape)
    if shape != self._data.shape and self._data.size:
        warn_resized_output(self._data.shape, shape)
    dtype = self._data.dtype
    limit = 3 * (np.finfo(dtype).maxexp - 2)  # (beyond it every result is 0 or infinite)
    n = np.clip(other._data, -limit, limit).astype(np.int32)
    thirds = (n // 3, n // 3, n - 2 * (n // 3))
    # (the last third is the largest in magnitude for a negative n: rounding may happen only there)
    result = self
    with np.errstate(over="ignore", under="ignore"):  # (an infinite or zero result, silently as in PyTorch)
        for part in thirds:
            result = result * Tensor._wrap(np.ldexp(np.ones((), dtype), part))
    return result


def heaviside(self, values):
    """The Heaviside step: 0 where input < 0, 1 where input > 0, ``values`` where input == 0."""
    required_tensor(values, "heaviside", "values", 1)
    if self._data.dtype.kind == "c" or values._data.dtype.kind == "c":
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if self._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    raise_if_not_broadcastable(self, values)
    self._no_kernel_for("U", "heaviside_cpu")
    a, b = np.broadcast_arrays(self._data, values._data)
    out = _memory_format.iterator_layout(np.where(a == 0, b, (a > 0).astype(a.dtype)).astype(a.dtype),
                                         (self._data, values._data))
    if records(self, values):
        from .arithmetic import NotDifferentiable

        return NotDifferentiable.apply(self, values, kernel=lambda x, y: out, op="heaviside")
    return Tensor._wrap(out)


# The Tensor methods (trigamma is digamma's derivative in the graph, no method of PyTorch's)
METHODS = {fn.__name__: fn for fn in (float_power, ldexp, heaviside)}
METHODS.update({op: _special_method(op) for op in ("lgamma", "digamma", "exp2")})
