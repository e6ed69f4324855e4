"""Elementwise functions of one tensor (exp, log, sqrt, abs, trigonometry, sigmoid, tanh, rounding, sign, clamp,
relu, softmax, nan_to_num) and the elementwise maximum/minimum and masked_fill.

Methods of torchless.Tensor: see ``_tensor_methods.attach``.
"""
import numpy as np

from .. import _dtype, _memory_format, _parser_errors
from .._ops import arithmetic, shape as shape_ops, unary
from .._ops._util import INT64, broadcast_error, is_int_argument, raise_if_not_broadcastable
from ..autograd import forward_ad
from ..autograd.graph import differentiable_result, observed, records, save_tensor_versions
from .._tensor import Tensor
from ._arguments import (
    check_bound, check_masked_fill_arguments, check_masked_fill_value_and_mask, check_tensor_other, clamp_bounds,
    refuse_relu, refuse_complex_gradient,
)


def _round_decimals(x, decimals):
    """``x`` rounded to ``decimals`` places; a half one scaled and rounded in float32, as PyTorch's kernel does (its
    opmath type), then rounded once to half."""
    with np.errstate(all="ignore"):  # (a huge x scaled beyond the dtype's range: inf, silently as in PyTorch)
        if x.dtype == np.float16:
            return x.astype(np.float32).round(decimals).astype(np.float16)
        return x.round(decimals)


def _elementwise_extremum(a, b, largest):
    a, b = a._operands(b)
    a._refuse_complex(f"{'maximum' if largest else 'minimum'} not implemented for complex tensors.", RuntimeError)
    if a._data.dtype.kind == "u":
        a._no_kernel_for("U", "maximum_cpu" if largest else "minimum_cpu")
    try:
        return arithmetic.Extremum.apply(a, b, largest=largest, recorded=observed(a, b))
    except ValueError:
        raise_if_not_broadcastable(a, b)
        raise


def _is_float_or_int64(number):
    return type(number) is float or type(number) is int and number in INT64


# nn's tensor_softmax, found on the first softmax (nn imports the tensor class: an import in each call costs a
# tenth of a small softmax)
_TENSOR_SOFTMAX = []


def _find_tensor_softmax():
    from ..nn._functional.activation import tensor_softmax

    _TENSOR_SOFTMAX.append(tensor_softmax)
    return _TENSOR_SOFTMAX


_PLAIN_BOUNDS = (float, int, type(None))  # clamp's bounds that need no parsing (bool, a subclass, does)


class PointwiseMethods:
    def _float_self(self):
        return self if self._data.dtype.kind in "fcV" else self._cast(_dtype.get_default_dtype().numpy)

    def exp(self):
        return unary.Exp.apply(self._float_self())

    def log(self):
        return unary.Log.apply(self._float_self())

    def sqrt(self):
        return unary.Sqrt.apply(self._float_self())

    def rsqrt(self):
        return unary.Rsqrt.apply(self._float_self())

    def neg(self):
        return -self

    negative = neg

    def abs(self):
        self._no_kernel_for("bU", "abs_cpu")
        return unary.Abs.apply(self)

    absolute = abs

    def square(self):
        return self ** 2

    def clamp(self, min=None, max=None):
        return self._clamp(min, max, "clamp")

    def clip(self, min=None, max=None):
        return self._clamp(min, max, "clip")

    def _clamp(self, min, max, name, node=None):
        """``node``: "ClampMin" / "ClampMax" for clamp_min / clamp_max, whose nodes PyTorch names apart."""
        if min.__class__ not in _PLAIN_BOUNDS or max.__class__ not in _PLAIN_BOUNDS:  # (plain ones parse as given)
            min, max = clamp_bounds(min, max, name)
        if min is None and max is None:
            raise RuntimeError("torchless.clamp: At least one of 'min' or 'max' must not be None")
        tensor_bounds = isinstance(min, Tensor) or isinstance(max, Tensor)
        if not (tensor_bounds and node):  # (clamp_min / clamp_max by a tensor: PyTorch's maximum / minimum kernel)
            self._refuse_complex("clamp is not supported for complex types")
        if tensor_bounds:
            source, shape = self, self._data.shape
            for bound in (min, max):
                if bound is not None:
                    source, _ = source._operands(bound)  # the dtype of all three
                    error = broadcast_error(shape, bound._data.shape)
                    if error is not None:
                        raise error
                    shape = np.broadcast_shapes(shape, bound._data.shape)
            # (PyTorch's clamp by two tensors has no bool kernel; by one it is a maximum or a minimum, which has)
            source._no_kernel_for("cU", "maximum_cpu" if max is None else "minimum_cpu" if min is None else "clamp_cpu")
            if min is not None and max is not None:
                source._no_kernel_for("b", "clamp_cpu")
            bounds = [None if b is None else b._promoted(source._data.dtype) for b in (min, max)]
            if node:  # clamp_min / clamp_max: a node of the input and that bound
                return arithmetic.ClampTensor.apply(source, bounds[node == "ClampMax"], node=f"{node}Backward1")
            return arithmetic.ClampTensor.apply(source, *bounds)
        if isinstance(min, complex) or isinstance(max, complex):
            min, max = self._real_clamp_bounds(min, max, node)
        source = self
        for bound in (min, max):
            # a float bound makes an integer tensor float; a floating tensor keeps its dtype beside a Python float
            # or int64 (the common case, without building the operand)
            if bound is not None and not (self._data.dtype.kind in "fV" and _is_float_or_int64(bound)):
                source = source._operands(bound)[0]
        np_dtype = source._data.dtype
        source._no_kernel_for("bU", "clamp_scalar_cpu" if min is not None and max is not None else
                              "clamp_min_scalar_cpu" if min is not None else "clamp_max_scalar_cpu")
        bounds = min, max
        if min is not None and max is not None and (min != min or max != max):
            # a NaN bound: PyTorch fills the result with NaN, before its kernel converts (range-checks) the bounds
            min = max = np_dtype.type(np.nan)
        else:  # range-checked: uint8 clamp(min=-1) is 255, float32 refuses 1e40
            min, max = (None if v is None else _dtype.scalar_argument(v, np_dtype) for v in bounds)
        return unary.Clamp.apply(source, min=min, max=max, node=f"{node}Backward0" if node else "ClampBackward1",
                                 bounds=bounds, recorded=observed(source))

    def _real_clamp_bounds(self, min, max, node):
        """Complex number bounds as PyTorch reads them: clamp_min / clamp_max (``node``) and an integer or bool
        tensor's clamp would be complex (refused); a floating tensor's clamp converts them to double (refused with
        an imaginary part)."""
        if node or self._data.dtype.kind not in "fV":
            raise NotImplementedError("clamp is not supported for complex types")
        for bound in (min, max):
            if isinstance(bound, complex) and bound.imag:
                raise RuntimeError("value cannot be converted to type double without overflow")
        return (bound.real if isinstance(bound, complex) else bound for bound in (min, max))

    def clamp_min(self, min):
        check_bound(min, "clamp_min", "min")
        return self._clamp(min, None, "clamp", "ClampMin")

    def clamp_max(self, max):
        check_bound(max, "clamp_max", "max")
        return self._clamp(None, max, "clamp", "ClampMax")

    def relu(self, *refused, **refused_keywords):
        if refused or refused_keywords:
            raise _parser_errors.no_arguments_error("relu", refused, refused_keywords)
        if self._data.dtype.kind in "bcu":
            refuse_relu(self)
        return unary.Relu.apply(self)

    def hardshrink(self, lambd=0.5):
        from ..nn._functional.piecewise import hardshrink

        return hardshrink(self, lambd)

    def positive(self):
        if self._data.dtype == np.bool_:
            raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
        return self

    def angle(self):
        """The argument of each (real) element: 0 where it is >= 0, pi where negative, NaN at NaN; integers and
        bools give the default float dtype."""
        return self._float_self()._step(lambda a: np.where(
            np.isnan(a), a, np.where(a < 0, np.asarray(np.pi, a.dtype), np.zeros((), a.dtype))).astype(a.dtype),
            "AngleBackward0")

    def sigmoid(self):
        return unary.Sigmoid.apply(self._float_self())

    def tanh(self):
        return unary.Tanh.apply(self._float_self())

    def _smooth(self, op):
        return unary.Smooth.apply(self._float_self(), op=op)

    def log2(self):
        return self._smooth("log2")

    def log10(self):
        return self._smooth("log10")

    def log1p(self):
        return self._smooth("log1p")

    def expm1(self):
        return self._smooth("expm1")

    def reciprocal(self):
        return self._smooth("reciprocal")

    def sin(self):
        return self._smooth("sin")

    def cos(self):
        return self._smooth("cos")

    def frac(self):
        self._no_kernel_for("biuc", "frac_cpu")
        return self._smooth("frac")

    def trunc(self):
        self._no_kernel_for("b", "trunc_vml_cpu")
        self._refuse_complex("trunc is not supported for complex inputs")
        return self._step(np.trunc, "TruncBackward0")

    fix = trunc

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (by default the dtype's extremes); in
        a complex tensor, in the real and imaginary parts apart (without a gradient, as in PyTorch)."""
        if nan.__class__ is not float or posinf is not None or neginf is not None:
            nan, posinf, neginf = _parser_errors.float_arguments("nan_to_num", nan=nan, posinf=posinf, neginf=neginf)
            if nan is None:  # (PyTorch's default, zero)
                nan = 0.0
        if self._data.dtype.kind not in "fV":  # ("V": bfloat16)
            if self._data.dtype.kind != "c":
                return self.clone()
            refuse_complex_gradient("nan_to_num", self)
            out = _memory_format.empty_like(self._data, self._data.dtype, _memory_format.preserve_format, np.empty)
            for part in ("real", "imag"):
                setattr(out, part, Tensor._wrap(getattr(self._data, part)).nan_to_num(nan, posinf, neginf)._data)
            return Tensor._wrap(out)
        if self._data.dtype.kind == "V" and (posinf is None or neginf is None):
            # bfloat16's own extremes (it is computed in float32, whose would round to inf)
            from .._info import finfo

            largest = float(finfo(self.dtype).max)
            posinf, neginf = largest if posinf is None else posinf, -largest if neginf is None else neginf
        return unary.NanToNum.apply(self, nan=nan, posinf=posinf, neginf=neginf)

    def softmax(self, dim, dtype=None):
        return (_TENSOR_SOFTMAX or _find_tensor_softmax())[0](self, dim, dtype, "softmax")

    def log_softmax(self, dim, dtype=None):
        return (_TENSOR_SOFTMAX or _find_tensor_softmax())[0](self, dim, dtype, "log_softmax")

    def maximum(self, other):
        check_tensor_other(other, "maximum")
        return _elementwise_extremum(self, other, largest=True)

    def minimum(self, other):
        check_tensor_other(other, "minimum")
        return _elementwise_extremum(self, other, largest=False)

    def _step(self, fn, name):
        """A piecewise-constant function: PyTorch records it (node ``name``) with a zero gradient."""
        if records(self):
            return arithmetic.ZeroGradient.apply(self, kernel=fn, name=name)
        return self._pointwise(fn(self._data))

    def _pointwise(self, out):
        """``out``, NumPy's result of a pointwise function of this tensor, laid out as PyTorch's kernel lays it out
        (TensorIterator: a dense input's strides, size-1 dims' too, else dense in its dims' order)."""
        result = Tensor._wrap(_memory_format.iterator_layout(out, (self._data,)))
        return forward_ad.mark_batched(result, (self,)) if forward_ad.state.vmap_levels else result

    def sign(self):
        self._refuse_complex("Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
                             "torch.sgn instead.")
        if self._data.dtype.kind in "bu":
            if self._data.dtype.kind == "b":  # the values themselves (NumPy has no bool sign)
                return self._bool_sign()
            self._no_kernel_for("U", "sign_cpu")
        return self._step(unary.sign, "SignBackward0")

    def _bool_sign(self):
        """sign and sgn of a bool tensor: a copy of it, laid out as PyTorch's clone lays it out."""
        return Tensor._wrap(_memory_format.preserving(self._data.copy(order="K"), self._data))

    def floor(self):
        self._no_kernel_for("b", "floor_vml_cpu")
        self._refuse_complex("floor is not supported for complex inputs")
        return self._step(np.floor, "FloorBackward0")

    def ceil(self):
        self._no_kernel_for("b", "ceil_vml_cpu")
        self._refuse_complex("ceil is not supported for complex inputs")
        return self._step(np.ceil, "CeilBackward0")

    def round(self, *, decimals=_parser_errors.NOT_GIVEN):  # (a refused call gets the parser's TypeError from
        # its failure path, round_'s too)
        if decimals is _parser_errors.NOT_GIVEN:
            self._no_kernel_for("bc", "round_vml_cpu")
            return self._step(np.round, "RoundBackward0")
        if decimals is None:
            raise TypeError("round(): decimals must be an int")
        if not is_int_argument(decimals):  # (a bool, a NumPy array, a 1-d tensor: the parser's TypeError)
            raise _parser_errors.method_error("round", (), {"decimals": decimals})
        self._no_kernel_for("biuc", "round_vml_cpu" if decimals == 0 else "round_cpu")  # (0 takes the plain kernel)
        # (laid out as the input, as PyTorch's unary kernel: NumPy's round with decimals answers in C order)
        return self._step(lambda x: _memory_format.preserving(_round_decimals(x, decimals), x), "RoundBackward1")

    def masked_fill(self, mask, value):
        return differentiable_result(self._masked_filled(mask, value))

    def _masked_filled(self, mask, value, any_dtype=False):
        """masked_fill, whose result masked_fill_ writes into self (even an integer one recording a gradient);
        ``any_dtype``: for ops whose own kernels PyTorch has for uint16 and wider, which it has no masked_fill for."""
        check_masked_fill_arguments("masked_fill", mask, value)
        mask_tensor, mask = mask, mask._data
        # PyTorch's order: the shapes, a value tensor's rank, then the mask's dtype (by its C++ name)
        if mask.shape != self._data.shape:
            error = broadcast_error(mask.shape, self._data.shape)
            if error is not None:
                raise error
        check_masked_fill_value_and_mask(value, mask_tensor)
        if not any_dtype:
            if self._data.dtype.kind == "u":
                self._no_kernel_for("U", "masked_fill")
        if isinstance(value, Tensor):  # (PyTorch fills with its value as a number: range-checked as one)
            _dtype.fill_value(value._data.item(), self._data.dtype)
            fill = value
        else:
            fill = Tensor._wrap(np.asarray(_dtype.fill_value(value, self._data.dtype), self._data.dtype))
        # (PyTorch names the node of its overload taking a value tensor MaskedFillBackward1)
        result = shape_ops.Where.apply(fill._cast(self._data.dtype), self, condition=mask,
                                       name="MaskedFillBackward1" if isinstance(value, Tensor) else "MaskedFillBackward0")
        return save_tensor_versions(result, mask_tensor)
