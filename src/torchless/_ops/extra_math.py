"""Tensor functions of the ``torch`` namespace used in training and evaluation code beyond the core ops, gathered
from their modules: special functions (special_functions), bitwise and integer ops (bitwise), tensordot and kin
(products), stacking and splitting helpers (stacking), index grids and diagonals (index_grids), covariance and
membership tests (statistics), the trapezoidal rule (integration), bucketing and histograms (bucketing), nan-aware
and modal reductions (modal_reductions).

``install(Tensor)`` attaches the method forms; ``FUNCTIONS`` lists the names the torchless module exports.
"""
import numbers

from .. import _dtype, _parser_errors
from . import bitwise, math_methods, special_functions
from .bucketing import bucketize, histogram, searchsorted
from .index_grids import combinations, diag_embed, diagflat, tril_indices, triu_indices, unravel_index, vander
from .integration import cumulative_trapezoid, trapezoid, trapz
from .modal_reductions import mode, nanmedian, unique_consecutive
from .products import inner, tensordot, vdot
from .stacking import atleast_3d, block_diag, column_stack, dsplit, dstack, hsplit, msort, ravel, vsplit
from .statistics import corrcoef, cov, isin, isneginf, isposinf, isreal, logdet
from .._tensor import Tensor

_METHODS = {fn.__name__: fn for fn in (
    inner, vdot, ravel, msort, hsplit, vsplit, dsplit, diag_embed, diagflat, cov, corrcoef, isneginf, isposinf,
    isreal, logdet, unique_consecutive, nanmedian, mode)}
_METHODS.update(special_functions.METHODS)
_METHODS.update(bitwise.METHODS)
# in-place method forms, which PyTorch has for these
_INPLACE = "lgamma digamma exp2 float_power ldexp heaviside bitwise_not gcd lcm " \
           "bitwise_and bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift".split()

# the module-level functions (beside the methods' function forms)
FUNCTIONS = {fn.__name__: fn for fn in (
    tensordot, atleast_3d, column_stack, dstack, block_diag, tril_indices, triu_indices, unravel_index, combinations,
    vander, isin, trapezoid, trapz, cumulative_trapezoid, searchsorted, bucketize, histogram)}
# in-place function forms PyTorch has
INPLACE_FUNCTIONS = "exp2_ gcd_ lcm_ ldexp_".split()


def _float_power_base_check(self, exponent=None, *args, **kwargs):
    """float_power_ writes its double (complex double with a complex operand) result into self: its dtype first."""
    complex_operand = self._data.dtype.kind == "c" or (
        exponent._data.dtype.kind == "c" if isinstance(exponent, Tensor) else
        isinstance(exponent, numbers.Complex) and not isinstance(exponent, numbers.Real))
    required = _dtype.complex128 if complex_operand else _dtype.float64
    if self._data.dtype != required.numpy:
        raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype.scalar_name} but the "
                           f"operation's result requires dtype {required.scalar_name}")


def _ldexp_result_check(self, *args, **kwargs):
    """PyTorch's ldexp_ refuses an integral self (its result) before it looks at the exponent (once parsed)."""
    other = args[0] if args else kwargs.get("other")
    if isinstance(other, Tensor) and self._data.dtype.kind in "biu":
        raise RuntimeError(f"ldexp can't be cast to the desired output type {self.dtype.scalar_name}")


# the in-place forms' own checks, before the op's (PyTorch's, on self as the result)
_INPLACE_CHECKS = {"float_power": _float_power_base_check, "ldexp": _ldexp_result_check}


def _inplace_method(name):
    """math_methods' in-place form, with float_power_'s and ldexp_'s own dtype checks first."""
    method = math_methods._inplace_method(name)
    check = _INPLACE_CHECKS.get(name)
    if check is None:
        return method

    def checked(self, *args, **kwargs):
        check(self, *args, **kwargs)
        return method(self, *args, **kwargs)

    checked.__name__, checked.__doc__ = method.__name__, method.__doc__
    return checked


# (bernoulli's p left out: not p=None, which PyTorch's parser refuses)
_LEFT_OUT = object()


def install(cls):
    """Attach the methods above (and their in-place forms) to the Tensor class ``cls``."""
    for name, fn in _METHODS.items():
        setattr(cls, name, fn)
    for name in _INPLACE:
        setattr(cls, name + "_", _inplace_method(name))
    cls.bernoulli = lambda self, p=_LEFT_OUT, *, generator=None: _random().bernoulli(
        self, *(() if p is _LEFT_OUT else (p,)), generator=generator)  # (p=None is refused, as by PyTorch)
    cls.bernoulli.__doc__ = "Function form: ``torchless.bernoulli(self, p)``."
    cls.multinomial = lambda self, num_samples, replacement=False, *, generator=None: _random().multinomial(
        self, num_samples, replacement, generator=generator)
    cls.multinomial.__doc__ = "``torchless.multinomial(self, num_samples, replacement)``."
    cls.is_nonzero = is_nonzero
    cls.is_same_size = is_same_size
    cls.is_signed = lambda self: self.dtype.is_signed
    cls.is_signed.__doc__ = "Whether the dtype is signed (the floating ones and int8 to int64)."


def _random():
    from .. import random

    return random


def is_nonzero(self):
    """Whether the single element of ``input`` is nonzero (an error for more or fewer elements)."""
    if not isinstance(self, Tensor):
        raise _parser_errors.not_tensor("is_nonzero", "input", 1, self)
    return bool(self)


def is_same_size(self, other):
    """Whether ``input`` and ``other`` have the same shape."""
    if not isinstance(other, Tensor):
        raise _parser_errors.not_tensor("is_same_size", "other", 2, other)
    return self.shape == other.shape
