"""Comparisons and tests, none with a gradient: the comparison operators, equal, isclose/allclose,
isnan/isinf/isfinite, logical_not, all/any.

Methods of torchless.Tensor: see ``_tensor_methods.attach``.
"""

import numpy as np

from .. import _dtype, _memory_format, _parser_errors
from .._tensor import Tensor
from .._type_promotion import NUMBERS
from ..autograd import forward_ad
from ._arguments import check_tensor_other, reduced_axes
from .._ops._util import raise_if_not_broadcastable


# The CPU kernels of the ordering comparisons, which name a complex dtype they refuse
_ORDERING_KERNELS = {np.less: "lt_cpu", np.less_equal: "le_cpu", np.greater: "gt_cpu", np.greater_equal: "ge_cpu"}


_OPERANDS = (Tensor, NUMBERS)
_tracing_state = forward_ad.state  # (inside vmap, results computed from its samples are marked batched)


def _comparison_method(name, ufunc):
    """Tensor.eq, .lt, ...: the comparison of ``ufunc``, refusing an operand that is neither a tensor nor a number,
    or left out, or extra arguments, with PyTorch's parser TypeError (taken into the one check of the operand)."""
    def compare(self, other=_parser_errors.NOT_GIVEN, *args, **kwargs):
        if args or kwargs or not isinstance(other, _OPERANDS):
            if args or kwargs or other is _parser_errors.NOT_GIVEN:  # (NumPy's x2 read as PyTorch's parser does)
                return self._compare(_parser_errors.comparison_operand(name, other, args, kwargs), ufunc)
            raise _parser_errors.invalid_method_other(name, other)
        return self._compare(other, ufunc)

    compare.__name__ = compare.__qualname__ = name
    return compare


class ComparisonMethods:
    def _compare(self, other, fn):
        a, b = self._operands(other)
        if a is NotImplemented:
            # PyTorch leaves arrays to NumPy, which defers back to the tensor: == alone compares them, != falls
            # back to identity, an ordering is refused by Python naming the operands as written
            if fn is np.equal and isinstance(other, np.ndarray):
                return Tensor._wrap(np.equal(self._data, other))
            return NotImplemented
        raise_if_not_broadcastable(a, b)
        if a._data.dtype.kind in "cu" and fn in _ORDERING_KERNELS:  # (a and b share the common dtype)
            if a._data.dtype.kind == "u":
                _dtype.refuse_wide_unsigned(_ORDERING_KERNELS[fn], a._data.dtype)
            else:
                raise NotImplementedError(f"\"{_ORDERING_KERNELS[fn]}\" not implemented for '{a.dtype.scalar_name}'")
        out = Tensor._wrap(_memory_format.iterator_layout(fn(a._data, b._data), (a._data, b._data)))
        return forward_ad.mark_batched(out, (a, b)) if _tracing_state.vmap_levels else out

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    # The methods raise PyTorch's parser TypeError where the operators return NotImplemented (``t == 'a'`` is False)
    eq, ne = _comparison_method("eq", np.equal), _comparison_method("ne", np.not_equal)
    lt, le = _comparison_method("lt", np.less), _comparison_method("le", np.less_equal)
    gt, ge = _comparison_method("gt", np.greater), _comparison_method("ge", np.greater_equal)

    # (functions of their own: PyTorch's TypeErrors name the alias called)
    greater, less = _comparison_method("greater", np.greater), _comparison_method("less", np.less)
    greater_equal = _comparison_method("greater_equal", np.greater_equal)
    less_equal = _comparison_method("less_equal", np.less_equal)
    not_equal = _comparison_method("not_equal", np.not_equal)

    def equal(self, other):
        check_tensor_other(other, "equal")
        return self.shape == other.shape and bool(np.array_equal(self._data, other._data))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        rtol, atol, equal_nan = self._closeness_arguments("allclose", other, rtol, atol, equal_nan)
        with np.errstate(all="ignore"):  # (the difference of huge values of opposite signs: inf, silently)
            return bool(np.allclose(self._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        rtol, atol, equal_nan = self._closeness_arguments("isclose", other, rtol, atol, equal_nan)
        if _tracing_state.vmap_levels:
            forward_ad.warn_fallback("aten::isclose", (self, other))
        with np.errstate(all="ignore"):  # (as allclose)
            close = np.isclose(self._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan)
        # (laid out as PyTorch's composite of elementwise ops lays it out)
        return Tensor._wrap(_memory_format.iterator_layout(close, (self._data, other._data)))

    def _closeness_arguments(self, name, other, rtol, atol, equal_nan):
        """(rtol, atol, equal_nan) of isclose/allclose as PyTorch's parser reads them (floats: a number, a 0-d
        tensor outside the graph; a Python bool), after its checks of the operands and the tolerances."""
        if rtol.__class__ is not float or atol.__class__ is not float or equal_nan.__class__ is not bool:
            parsed = _parser_errors.method_arguments(name, (other, rtol, atol, equal_nan))
            rtol, atol, equal_nan = parsed["rtol"], parsed["atol"], parsed["equal_nan"]
        check_tensor_other(other, name)
        if other._data.dtype != self._data.dtype:
            raise RuntimeError(f"{self.dtype.scalar_name} did not match {other.dtype.scalar_name}")
        for tolerance, value in (("rtol", rtol), ("atol", atol)):
            if not value >= 0:  # (NaN too; C++ prints the double as %g does)
                raise RuntimeError(f"{tolerance} must be greater than or equal to zero, but got {value:g}")
        raise_if_not_broadcastable(self, other)
        return rtol, atol, equal_nan

    def logical_not(self):
        if self._data.dtype.kind == "u":
            self._no_kernel_for("U", "logical_not_cpu")
        return self._pointwise(np.logical_not(self._data))

    def isnan(self):
        return self._pointwise(np.isnan(self._data))

    def isinf(self):
        return self._pointwise(np.isinf(self._data))

    def isfinite(self):
        return self._pointwise(np.isfinite(self._data))

    def all(self, dim=None, keepdim=False):
        return self._all_any(np.all, dim, keepdim, "all")

    def any(self, dim=None, keepdim=False):
        return self._all_any(np.any, dim, keepdim, "any")

    def _all_any(self, fn, dim, keepdim, name):
        axes = None if dim is None else reduced_axes(name, dim, keepdim, self._data.ndim)
        out = np.asarray(fn(self._data, axis=axes, keepdims=keepdim))
        # PyTorch answers in uint8 for uint8 input (a legacy of byte masks), in bool for every other dtype.
        out = Tensor._wrap(_memory_format.c_ordered(out.astype(np.uint8) if self._data.dtype == np.uint8 else out))
        return forward_ad.mark_batched(out, (self,)) if _tracing_state.vmap_levels else out
