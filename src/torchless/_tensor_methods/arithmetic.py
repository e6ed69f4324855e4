"""The arithmetic and bitwise operators and their named forms (add, sub, mul, div with its rounding modes,
remainder, fmod, floor_divide, pow, logical_and/or/xor), lerp and the matrix products (matmul, mm, bmm, dot).

Methods of torchless.Tensor: see ``_tensor_methods.attach``.
"""
import numbers

import numpy as np

from .. import _dtype, _memory_format, _parser_errors
from .._parser_errors import NOT_GIVEN
from .._kernels.cpu_loops import vectorised
from .._ops import arithmetic
from ..autograd import forward_ad
from ..autograd.graph import bfloat16_state, records
from .._tensor import Tensor
from ._arguments import NO_ROUNDING_MODE, check_lerp_arguments
from .._ops._util import raise_if_not_broadcastable
from .._written_call import in_written_order
from .._type_promotion import NUMBERS, as_parsed_number, result_dtype


def _alpha_number(name, alpha):
    """``alpha`` as a number, as PyTorch's parser reads a ``Number`` (a 0-d tensor outside the graph too)."""
    if isinstance(alpha, NUMBERS):
        return alpha
    if not _parser_errors.is_number_argument(alpha):  # (keyword-only: no position in the message)
        from ..nn._functional._args import _tp_name

        raise _parser_errors.in_place_named(name, TypeError(f"{name}(): argument 'alpha' must be Number, not "
                                                            f"{_tp_name(alpha)}"))
    return alpha.item()


# What PyTorch's parser takes for a Tensor operand of the arithmetic methods: a tensor or a number
_OPERANDS = (Tensor, NUMBERS)


def _trunc_divide(x, y):
    """x / y rounded toward zero; integers exactly (through floats they would lose digits beyond 2**53)."""
    if x.dtype.kind in "fV":  # ("V": bfloat16)
        return np.trunc(x / y)
    q = np.floor_divide(x, y)
    return q + ((q < 0) & (q * y != x)).astype(q.dtype)  # floor and trunc differ for inexact negative quotients


def _fmod(x, y):
    """fmod as PyTorch's kernel computes it: exact (NumPy's), but NaN where its vectorised loop meets a finite
    dividend whose quotient overflows (1.0 by 1e-45, 3e38 by 0.5 in float32): its vector fmod reduces by the
    quotient, its scalar code (a short or partial vector) is libm's."""
    remainder = np.fmod(x, y)
    if remainder.dtype not in (np.float32, np.float64) or not remainder.ndim:
        return remainder  # (a 0-d result: one element, the scalar code's)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        overflowed = np.isinf(x / y) & np.isfinite(x)
    if overflowed.any():
        remainder[overflowed & vectorised(remainder, others=(x, y))] = np.nan
    return remainder


def _remainder(x, y):
    """x % y with the divisor's sign, as PyTorch's kernel computes it: fmod (see _fmod), plus y where fmod's nonzero
    result has the other sign. A zero result keeps fmod's sign (the dividend's: -4.0 % 2 is -0.0), where NumPy's mod
    gives the divisor's."""
    if x.dtype.kind not in "fV":  # ("V": bfloat16)
        return np.mod(x, y)
    remainder = _fmod(x, y)
    return np.where((remainder != 0) & ((y < 0) != (remainder < 0)), remainder + y, remainder)


def _with_opmath_divisor(divide, divisor):
    """``divide`` of a float16 tensor by a scalar as PyTorch's kernels compute it: in float32, by the scalar's
    float32 value (not its float16 one), rounded once to float16; ``divide`` itself without such a ``divisor``."""
    if divisor is None:
        return divide
    return lambda x, _: divide(x.astype(np.float32), divisor._data).astype(np.float16)


_ROUNDED_DIVISIONS = (np.floor_divide, _trunc_divide)
_INT_OR_FLOAT = (int, float)
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class ArithmeticMethods:
    def __add__(self, other):
        return self._binary(other, arithmetic.Add)

    def __radd__(self, other):
        if isinstance(other, np.ndarray):  # array + tensor: PyTorch's reflected operators take no arrays
            return NotImplemented
        # PyTorch's reflected add and mul are add(self, other) and mul(self, other): the tensor is the node's
        # first input (next_functions, _saved_self / _saved_other), the sum and product being the same
        return self._binary(other, arithmetic.Add)

    def _check_bool_sub(self, other):
        """PyTorch refuses subtraction involving bools (NumPy would promote them silently)."""
        other_bool = other._data.dtype.kind == "b" if isinstance(other, Tensor) else isinstance(other, bool)
        self_bool = self._data.dtype.kind == "b"
        if self_bool and other_bool:
            raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                               "Use the `^` or `logical_xor()` operator instead.")
        if self_bool or other_bool:
            raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")

    def __sub__(self, other):
        if (self._data.dtype.kind == "b" or not isinstance(other, (Tensor, float, int)) or isinstance(other, bool)
                or (isinstance(other, Tensor) and other._data.dtype.kind == "b")) and \
                _parser_errors.is_operand(other):  # (anything else is no operand: _binary's NotImplemented)
            self._check_bool_sub(other)
        return self._binary(other, arithmetic.Sub)

    def __rsub__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        if (self._data.dtype.kind == "b" or isinstance(other, bool)) and _parser_errors.is_operand(other):
            self._check_bool_sub(other)  # (no operand, a Fraction: _rbinary's NotImplemented)
        return self._rbinary(other, arithmetic.Sub, scalar_minuend=True)

    def __mul__(self, other):
        if self._data.dtype == np.float16:
            out = self._half_scalar_binary(other, arithmetic.Mul)
            if out is not None:
                return out
        elif self._data.dtype.kind == "V":  # bfloat16
            out = self._bfloat16_scalar_binary(other, arithmetic.Mul)
            if out is not None:
                return out
        return self._binary(other, arithmetic.Mul)

    def __rmul__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        if self._data.dtype == np.float16:
            out = self._half_scalar_binary(other, arithmetic.Mul)
            if out is not None:
                return out
        elif self._data.dtype.kind == "V":  # bfloat16
            out = self._bfloat16_scalar_binary(other, arithmetic.Mul)
            if out is not None:
                return out
        return self._binary(other, arithmetic.Mul)  # mul(self, other), as __radd__

    def __truediv__(self, other, **params):
        """``params``: Div's, for div's forms with a rounding_mode of None."""
        if self._data.dtype == np.float16:
            out = self._half_scalar_binary(other, arithmetic.Div, **params)
            if out is not None:
                return out
        elif self._data.dtype.kind == "V":  # bfloat16
            out = self._bfloat16_scalar_binary(other, arithmetic.Div, **params)
            if out is not None:
                return out
        a, b = self._float_operands(other)
        return NotImplemented if a is NotImplemented else a._binary(b, arithmetic.Div, **params)

    __div__ = __truediv__  # (Python 2's names, which PyTorch keeps)

    def __rtruediv__(self, other):
        # PyTorch's number / x is x.reciprocal() * number, whose backward reads the reciprocal, an intermediate no
        # in-place op can reach: the node keeps its own copy of x when recording (x's memory may later be written
        # through a view of it, which no version check then reports)
        private = records(self)
        if self._data.dtype == np.float16:
            out = self._half_scalar_binary(other, arithmetic.Div, reverse=True, scalar_numerator=True,
                                           private_divisor=private)
            if out is not None:
                return out
        elif self._data.dtype.kind == "V":  # bfloat16
            out = self._bfloat16_scalar_binary(other, arithmetic.Mul, reverse=True, scalar_numerator=True)
            if out is not None:
                return out
        a, b = self._float_operands(other)
        return NotImplemented if a is NotImplemented else a._rbinary(b, arithmetic.Div, scalar_numerator=True,
                                                                     private_divisor=private)

    __rdiv__ = __rtruediv__  # (PyTorch's fx records `2 / x` of a constant tensor as __rdiv__)

    def _checked_binary(self, other, fn, kernel, refused_kinds, reverse=False, divides=False, node=None, **params):
        """``fn(self, other)`` for ``//``, ``%`` and bitwise ops, refusing dtypes PyTorch has no kernel for. When
        gradients are recorded, ``node`` (a Function taking ``kernel=fn`` and ``params``) computes it instead."""
        a, b = self._operands(other)
        if a is NotImplemented:
            return NotImplemented
        raise_if_not_broadcastable(a, b)  # PyTorch checks the shapes first
        kind = a._data.dtype.kind
        if kind in refused_kinds or kind == "u" and "U" in refused_kinds and a._data.itemsize > 1:
            raise NotImplementedError(f'"{kernel}" not implemented for \'{a.dtype.scalar_name}\'')
        if reverse:
            a, b = b, a
        elif fn in _ROUNDED_DIVISIONS and self._data.dtype == np.float16:
            fn = _with_opmath_divisor(fn, self._opmath_scalar(other))
        # PyTorch's integer kernels refuse a zero divisor (NumPy gives 0), unless there is nothing to compute.
        if divides and a._data.dtype.kind in "iu" and a._data.size and not b._data.all():
            raise RuntimeError("ZeroDivisionError")
        # x // 0 is nan or inf for floats, x // 1e38 underflows, INT_MIN // -1 wraps: silently, as in PyTorch
        with np.errstate(all="ignore"):
            if node is not None and records(a, b):
                return node.apply(a, b, kernel=fn, **params)
            return Tensor._wrap(_memory_format.iterator_layout(fn(a._data, b._data), (a._data, b._data)))

    # PyTorch records // without a derivative: the result requires grad, and backward through it raises.
    def __floordiv__(self, other):
        return self._checked_binary(other, np.floor_divide, "div_floor_cpu", "bcU", divides=True,
                                    node=arithmetic.NotDifferentiable, op="floor_divide")

    def __rfloordiv__(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return self._checked_binary(other, np.floor_divide, "div_floor_cpu", "bcU", reverse=True, divides=True,
                                    node=arithmetic.NotDifferentiable, op="floor_divide")

    def __mod__(self, other):
        return self._checked_binary(other, _remainder, "remainder_cpu", "bcU", divides=True, node=arithmetic.Remainder,
                                    scalar_divisor=not isinstance(other, Tensor))

    def __rmod__(self, other):  # a Python scalar dividend: PyTorch has no derivative for that overload
        if isinstance(other, np.ndarray):
            return NotImplemented
        if isinstance(other, Tensor):  # (called by name: PyTorch's remainder(other, self), differentiable)
            return other % self
        return self._checked_binary(other, _remainder, "remainder_cpu", "bcU", reverse=True, divides=True,
                                    node=arithmetic.NotDifferentiable, op="remainder")

    def __pow__(self, exponent, modulo=None):
        if modulo is not None:  # pow(t, e, m): Python's TypeError, as for PyTorch's tensors
            return NotImplemented
        data = self._data
        if exponent.__class__ in _INT_OR_FLOAT and exponent == 2 and data.dtype in _FLOATS and data.size \
                and not records(self):
            # x ** 2 outside a graph: Pow's forward for it (the kernel's x * x) and layout, without the node
            with np.errstate(over="ignore"):  # (inf, silently as in PyTorch)
                return Tensor._wrap(_memory_format.iterator_layout(data * data, (data,)))
        if self._data.dtype.kind in "fcV":  # ("V": bfloat16)
            if self._data.dtype == np.float16 and isinstance(exponent, numbers.Real) and \
                    not isinstance(exponent, (bool, np.bool_)):  # a number exponent is converted to half, checked
                _dtype.scalar_argument(exponent, self._data.dtype)
            elif self._data.dtype.kind == "V" and type(exponent) in (int, float) and exponent in (3, -2):
                return arithmetic.BFloat16SmallPow.apply(self, exponent=exponent)
            return self._binary(exponent, arithmetic.Pow, number=not isinstance(exponent, Tensor))
        return self._exact_pow(exponent, reverse=False)

    def __rpow__(self, base):
        if isinstance(base, np.ndarray):
            return NotImplemented
        if self._data.dtype.kind in "fcV":  # ("V": bfloat16)
            return self._rbinary(base, arithmetic.Pow, scalar_base=True)
        return self._exact_pow(base, reverse=True)

    def _exact_pow(self, other, reverse):
        """Powers of integer and bool tensors, with PyTorch's rules where NumPy's differ."""
        a, b = self._operands(other)
        if a is NotImplemented:
            return NotImplemented
        raise_if_not_broadcastable(a, b)
        base, exponent = (b, a) if reverse else (a, b)
        kind = a._data.dtype.kind
        if kind in "fcV":  # (an integer tensor and a complex number: complex; "V": bfloat16)
            return arithmetic.Pow.apply(base, exponent, scalar_base=reverse, number=not isinstance(other, Tensor))
        if kind == "b":
            if not reverse and isinstance(other, (bool, np.bool_)):
                return Tensor._wrap(self._data | (not other))
            raise NotImplementedError('"pow" not implemented for \'Bool\'')
        if not reverse and not isinstance(other, Tensor):
            if other < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
            if kind == "u" and other not in (0, 1):  # (PyTorch's copy and fill for those run on any dtype)
                _dtype.refuse_wide_unsigned("pow", a._data.dtype)
            # An exponent is range-checked (read as int64 first), not wrapped: uint8 ** 300 raises.
            _dtype.fill_value(other, np.dtype(np.int64))
            _dtype.fill_value(other, a._data.dtype)
        elif kind == "u":
            _dtype.refuse_wide_unsigned("pow", a._data.dtype)
        x, e = np.broadcast_arrays(base._data, exponent._data)
        out = np.power(x, np.maximum(e, 0))
        negative = e < 0
        if negative.any():
            # Only 1 and -1 have integer reciprocals; every other base truncates to 0.
            unit = np.where(x == 1, 1, np.where(x == -1, np.where(e % 2 == 0, 1, -1), 0))
            out = np.where(negative, unit, out).astype(out.dtype)
        if isinstance(other, Tensor):
            return Tensor._wrap(_memory_format.iterator_layout(out, (base._data, exponent._data)))
        # PyTorch's Scalar overloads: pow(Scalar, Tensor) allocates its result C-contiguous, pow(Tensor, Scalar) is
        # a pointwise op of the base alone
        return Tensor._wrap(_memory_format.c_ordered(out)) if reverse else base._pointwise(out)

    def __matmul__(self, other):
        if not isinstance(other, Tensor):
            return NotImplemented
        return self.matmul(other)

    def __rmatmul__(self, other):
        # (a Tensor on the left is one whose __matmul__ declined: a subclass's, or a call made directly)
        return other.matmul(self) if isinstance(other, Tensor) else NotImplemented

    def __neg__(self):
        if self._data.dtype.kind in "bu":
            if self._data.dtype.kind == "u":
                _dtype.refuse_wide_unsigned("neg_cpu", self._data.dtype)
            else:
                raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are "
                                   "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        return arithmetic.Neg.apply(self)

    def __pos__(self):
        return self.positive()  # (PyTorch's +x: itself, but refused for bool)

    def __abs__(self):
        return self.abs()

    def __invert__(self):
        if self._data.dtype.kind not in "biu":
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
        if self._data.itemsize > 1 and self._data.dtype.kind == "u":
            _dtype.refuse_wide_unsigned("bitwise_not_cpu", self._data.dtype)
        return self._pointwise(~self._data)

    def __and__(self, other):
        return self._checked_binary(other, np.bitwise_and, "bitwise_and_cpu", "fcV")  # ("V": bfloat16)

    def __or__(self, other):
        return self._checked_binary(other, np.bitwise_or, "bitwise_or_cpu", "fcV")  # ("V": bfloat16)

    def __xor__(self, other):
        return self._checked_binary(other, np.bitwise_xor, "bitwise_xor_cpu", "fcV")  # ("V": bfloat16)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    @staticmethod
    def _check_other_operand(other, method):
        """PyTorch's parser error for a method's ``other`` that is neither a tensor nor a number (a tuple, a list,
        an array, None): the operators would return NotImplemented, or repeat a sequence, instead; or left out."""
        if not isinstance(other, (Tensor, NUMBERS)):
            if other is NOT_GIVEN:
                raise _parser_errors.missing_operand(method)
            raise _parser_errors.not_tensor(method, "other", 1, other)

    def _refused_operand_call(self, name, other, args, kwargs, **keywords):
        """A call of the binary method ``name`` that its quick check refused (``args``: those past ``other``,
        ``kwargs``: keywords it has no parameter for, ``keywords``: its own keyword-only ones, NOT_GIVEN where left
        out), as PyTorch's parser takes it: its TypeError, or the call of its deprecated overload (add(2, x):
        alpha first)."""
        given = {key: value for key, value in keywords.items() if value is not NOT_GIVEN}
        # (an operand given with a keyword: div's overloads listed, as by the parser)
        if not args and not kwargs and (not given or other is NOT_GIVEN):
            self._check_other_operand(other, name)  # (raises: the operand left out or of a wrong type)
        given.update(kwargs)
        given = in_written_order(given)
        arguments = _parser_errors.refused_operand_call(name, other, args, given)
        other = arguments.pop("other")
        return getattr(self, name)(other, **arguments)

    def _refused_tensor_operand(self, name, argument, operand, args, kwargs):
        """A call of the product ``name`` (matmul, mm, bmm, dot) that its quick check refused (``operand``: its
        tensor ``argument``, NOT_GIVEN where left out; ``args``/``kwargs``: those it has no parameter for), as
        PyTorch's parser takes it: its TypeError, or the call with NumPy's name for the operand read."""
        if not args and not kwargs:
            raise _parser_errors.tensor_operand_error(name, argument, operand)
        arguments = _parser_errors.refused_operand_call(name, operand, args, kwargs, argument)
        return getattr(self, name)(arguments[argument])

    # The extra arguments (*args, **kwargs) reach the parser's TypeErrors from the one check of the operand, which
    # costs less than the method call it replaced. alpha=1 (an int: PyTorch checks a float or bool 1 like any
    # alpha) is the plain operator.
    def add(self, other=NOT_GIVEN, *args, alpha=NOT_GIVEN, **kwargs):
        if args or kwargs or not isinstance(other, _OPERANDS):
            return self._refused_operand_call("add", other, args, kwargs, alpha=alpha)
        if alpha is NOT_GIVEN or type(alpha) is int and alpha == 1:
            return self + other
        return self._alpha_binary(other, arithmetic.Add, alpha)

    def sub(self, other=NOT_GIVEN, *args, alpha=NOT_GIVEN, **kwargs):
        if args or kwargs or not isinstance(other, _OPERANDS):
            return self._refused_operand_call("sub", other, args, kwargs, alpha=alpha)
        if alpha is NOT_GIVEN or type(alpha) is int and alpha == 1:
            return self - other
        alpha = _alpha_number("sub", alpha)
        self._check_bool_sub(other)
        return self._alpha_binary(other, arithmetic.Sub, alpha)

    def _alpha_binary(self, other, fn, alpha, **params):
        """``self + alpha * other`` (or ``-``), alpha checked against the result's dtype as in PyTorch: a bool
        only for a bool result, no float for an integer or bool one. An integer result takes alpha range-checked
        like a fill value, a bool result as a bool."""
        alpha = _alpha_number("add" if fn is arithmetic.Add else "sub", alpha)
        a, b = self._operands(other)
        if a is NotImplemented:
            return NotImplemented
        raise_if_not_broadcastable(a, b)  # (the shapes before alpha, as PyTorch's iterator)
        kind = a._data.dtype.kind
        if isinstance(alpha, bool) and kind != "b":
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
        if kind not in "fV":  # ("V": bfloat16)
            if kind == "c":  # (a complex result takes any number, a NumPy complex64 by its real part as PyTorch's
                alpha = complex(as_parsed_number(alpha))  # parser reads it; a Python one, which keeps the dtype)
            else:  # (PyTorch reads NumPy's bool, and complex64, as a float)
                if not isinstance(alpha, numbers.Integral):
                    raise RuntimeError("For integral input tensors, argument alpha must not be a floating point "
                                       "number.")
                alpha = bool(alpha) if kind == "b" else _dtype.fill_value(alpha, a._data.dtype)
        elif isinstance(alpha, numbers.Real):  # converted to a float result's dtype too, range-checked
            _dtype.scalar_argument(alpha, a._data.dtype)
        else:
            alpha = as_parsed_number(alpha)  # (a NumPy complex64: its real part; a NumPy bool is no Real)
            if not isinstance(alpha, (numbers.Real, np.bool_)):
                raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex number.")
        if kind == "V" and isinstance(alpha, numbers.Real):
            # PyTorch's bfloat16 kernel rounds alpha to bfloat16 first (then a multiply-add in float32 over whole
            # vectors, rounded once, as here; its scalar loop over the last elements rounds the product too)
            alpha = float(_dtype.fill_value(alpha, a._data.dtype))
        return a._binary(b, fn, alpha=alpha, **params)

    def mul(self, other=NOT_GIVEN, *args, **kwargs):
        if args or kwargs or not isinstance(other, _OPERANDS):
            return self._refused_operand_call("mul", other, args, kwargs)
        return self * other

    def div(self, other=NOT_GIVEN, *args, rounding_mode=NO_ROUNDING_MODE, **kwargs):
        if args or kwargs or not isinstance(other, _OPERANDS):
            if other is NOT_GIVEN and not args and not kwargs and rounding_mode is not NO_ROUNDING_MODE:
                raise _parser_errors.missing_operand("div", {"rounding_mode": rounding_mode})
            return self._refused_operand_call("div", other, args, kwargs, rounding_mode=NOT_GIVEN if rounding_mode
                                              is NO_ROUNDING_MODE else rounding_mode)
        if rounding_mode is NO_ROUNDING_MODE:
            return self / other
        if rounding_mode is None:  # PyTorch's overload taking a mode: a true division, its node DivBackward2
            return self.__truediv__(other, mode_given=True)
        if rounding_mode == "floor":
            return self._checked_binary(other, np.floor_divide, "div_floor_cpu", "bcU", divides=True,
                                        node=arithmetic.DivRounded, rounding_mode="floor")
        if rounding_mode == "trunc":
            return self._checked_binary(other, _trunc_divide, "div_trunc_cpu", "bcU", divides=True,
                                        node=arithmetic.DivRounded, rounding_mode="trunc")
        if not isinstance(rounding_mode, str):
            raise _parser_errors.refused_operand_error("div", other, (), {"rounding_mode": rounding_mode})
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")

    multiply, subtract, divide = mul, sub, div

    def true_divide(self, other):
        if not isinstance(other, _OPERANDS):  # (the operator's NotImplemented)
            raise _parser_errors.invalid_binary_method("true_divide", "other", other)
        return self / other

    def remainder(self, other):
        if not isinstance(other, (Tensor, NUMBERS)):
            raise _parser_errors.invalid_binary_method("remainder", "other", other)
        return self % other

    def fmod(self, other):
        """The remainder of division rounded toward zero (it has the dividend's sign; ``%`` has the divisor's)."""
        if not isinstance(other, (Tensor, NUMBERS)):
            raise _parser_errors.invalid_binary_method("fmod", "other", other)
        return self._checked_binary(other, _fmod, "fmod_cpu", "bcU", divides=True, node=arithmetic.Remainder,
                                    scalar_divisor=not isinstance(other, Tensor), truncated=True)

    def floor_divide(self, other=NOT_GIVEN, *args, **kwargs):
        if args or kwargs or not isinstance(other, (Tensor, NUMBERS)):  # (the operator's NotImplemented)
            if args or kwargs:
                return self.floor_divide(_parser_errors.refused_operand_call("floor_divide", other, args, kwargs)
                                         ["other"])
            raise _parser_errors.missing_operand("floor_divide") if other is NOT_GIVEN else \
                _parser_errors.invalid_binary_method("floor_divide", "other", other)
        return self // other

    def logical_and(self, other):
        return self._logical(other, np.logical_and)

    def logical_or(self, other):
        return self._logical(other, np.logical_or)

    def logical_xor(self, other):
        return self._logical(other, np.logical_xor)

    def _logical(self, other, fn):
        if not isinstance(other, Tensor):  # PyTorch has no number overload for these
            raise _parser_errors.not_tensor(fn.__name__, "other", 1, other)
        raise_if_not_broadcastable(self, other)
        if self._data.dtype.kind == "u" or other._data.dtype.kind == "u":  # (PyTorch's kernel runs in the common
            # dtype, which may be refused, or have no kernel)
            _dtype.refuse_wide_unsigned(f"{fn.__name__}_cpu", self._common_with_tensor(other))
        return Tensor._wrap(_memory_format.iterator_layout(fn(self._data, other._data), (self._data, other._data)))

    def lerp(self, end, weight):
        """``self + weight * (end - self)``; ``end`` (and a tensor ``weight``) of self's dtype."""
        check_lerp_arguments("lerp", end, weight)
        names = _dtype.CPP_SCALAR_NAMES
        for name, value in (("end", end), ("weight", weight)):
            if isinstance(value, Tensor) and value._data.dtype != self._data.dtype and (name == "end" or value.ndim):
                raise RuntimeError(f"expected dtype {names[self._data.dtype.name]} for `{name}` but got dtype "
                                   f"{names[value._data.dtype.name]}")
        if isinstance(weight, Tensor) and not weight.ndim:
            # A 0-d weight promotes with the input as a 0-d operand does (an integer input with a float weight
            # interpolates in that float dtype); only a floating result has a kernel.
            common = result_dtype(self._data.dtype, self._data.ndim > 0, weight._data.dtype, False)
            if common.kind not in "fV":  # ("V": bfloat16)
                raise NotImplementedError(
                    f"\"lerp_kernel_tensor\" not implemented for '{_dtype.from_numpy_dtype(common).scalar_name}'")
            self, end, weight = self._cast(common), end._cast(common), weight._cast(common)
        self._no_kernel_for("biu", "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar")
        raise_if_not_broadcastable(self, end)
        if isinstance(weight, Tensor):
            return arithmetic.Lerp.apply(self, end, weight)
        if isinstance(weight, (complex, np.complexfloating)):
            # PyTorch's reading of the number: a NumPy complex64 by its real part, a complex one's imaginary part
            # refused by a real dtype (float16's kernel computing in float32)
            weight = as_parsed_number(weight)
            if self._data.dtype.kind != "c":
                opmath = np.dtype(np.float32) if self._data.dtype == np.float16 else self._data.dtype
                weight = _dtype.scalar_argument(weight, opmath).item()
        return arithmetic.Lerp.apply(self, end, None, weight=weight)

    def pow(self, exponent=NOT_GIVEN, *args, **kwargs):
        if args or kwargs or not isinstance(exponent, (Tensor, NUMBERS)):
            if args or kwargs:
                return self.pow(_parser_errors.refused_operand_call("pow", exponent, args, kwargs, "exponent")
                                ["exponent"])
            if exponent is NOT_GIVEN:
                raise _parser_errors.missing_operand("pow")
            raise _parser_errors.invalid_binary_method("pow", "exponent", exponent)
        return self ** exponent

    def matmul(self, other=NOT_GIVEN, *args, **kwargs):
        if args or kwargs or not isinstance(other, Tensor):
            return self._refused_tensor_operand("matmul", "other", other, args, kwargs)
        a, b = self._data, other._data
        if a.dtype != b.dtype and bfloat16_state[0]:  # under autocast, cast first (see _opmath)
            from .. import _opmath

            self, other = _opmath.autocast_inputs("lower", self, other)
            a, b = self._data, other._data
        # PyTorch multiplies only tensors of one dtype (no promotion), and has no bool, uint16, uint32 or uint64
        # kernels.
        if a.dtype == b.dtype and (a.dtype.kind not in "bu" or a.dtype == np.uint8) and a.ndim and b.ndim:
            try:
                return arithmetic.MatMul.apply(self, other)
            except ValueError:
                pass
        if forward_ad.state.vmap_levels and b.ndim == 2 and a.ndim and a.shape[-1] != b.shape[0] and \
                not forward_ad.batched(other) and a.dtype == b.dtype:
            error = forward_ad.batched_matmul_error(self, *b.shape, other.requires_grad)
            if error is not None:
                raise error
        raise arithmetic.matmul_error(a, b)

    def mm(self, mat2=NOT_GIVEN, *args, **kwargs):
        if args or kwargs or not isinstance(mat2, Tensor):
            return self._refused_tensor_operand("mm", "mat2", mat2, args, kwargs)
        if self._data.ndim != 2:
            raise RuntimeError("self must be a matrix")
        if mat2._data.ndim != 2:
            raise RuntimeError("mat2 must be a matrix")
        return self.matmul(mat2)

    def bmm(self, mat2=NOT_GIVEN, *args, **kwargs):
        if args or kwargs or not isinstance(mat2, Tensor):
            return self._refused_tensor_operand("bmm", "mat2", mat2, args, kwargs)
        if self._data.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        if mat2._data.ndim != 3:
            raise RuntimeError("batch2 must be a 3D tensor")
        if self._data.dtype != mat2._data.dtype and bfloat16_state[0]:  # under autocast, cast first (see _opmath)
            from .. import _opmath

            self, mat2 = _opmath.autocast_inputs("lower", self, mat2)
        a, b = self._data, mat2._data
        error = arithmetic.bmm_error(a.shape[1:], b.shape[1:], a.shape[0], b.shape[0], self.dtype.scalar_name,
                                     mat2.dtype.scalar_name)
        if error is not None:
            raise error
        return arithmetic.MatMul.apply(self, mat2, batched=True)

    def dot(self, tensor=NOT_GIVEN, *args, **kwargs):
        if args or kwargs or not isinstance(tensor, Tensor):
            return self._refused_tensor_operand("dot", "tensor", tensor, args, kwargs)
        if self._data.ndim != 1 or tensor._data.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {self._data.ndim}D and {tensor._data.ndim}D tensors")
        return self.matmul(tensor)
