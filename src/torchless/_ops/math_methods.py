"""Tensor methods for the math ops beyond the basics: special and inverse trigonometric functions, atan2 and
kin, fused multiply-adds, scans, nan-reductions, quantiles, index_add/copy/fill, masked_scatter.

``install(Tensor)`` (run at the end of _tensor.py) attaches them, with the in-place ``X_`` forms. The
``_impl`` functions take ``position``: where the function form (``torchless.addcmul(input, ...)``) puts an
argument is one further than the method does, which PyTorch's TypeErrors name.
"""
import numbers

import numpy as np

from .. import _dtype, _memory_format, _parser_errors
from .._tensor import Tensor, number_operand
from .._tensor_methods._arguments import check_scan_dtype, variance_arguments
from .._type_promotion import NUMBERS, as_parsed_number, check_numpy_number, result_dtype
from ..autograd import forward_ad
from ..autograd.grad_mode import is_grad_enabled
from ..autograd._joint import joint_outputs, recording_parts
from ..autograd.graph import autocast_cast, bfloat16_state, differentiable_result, records, save_tensor_versions
from ..return_types import _RETURN_TYPES
from . import binary, fused, index_ops, scan, unary
from .inplace import checked_storage_window
from ._util import (
    broadcast_error, every_dim_if_empty, normalize_dim, normalize_dims, raise_if_not_broadcastable, scan_axis,
)



def _default_float():
    return _dtype.get_default_dtype().numpy


def _must_be_tensor(value, name, arg, position):
    if not isinstance(value, Tensor):
        raise _parser_errors.not_tensor(name, arg, position, value)


# ---------------------------------------------------------------------------- elementwise, one tensor
_SMOOTH_METHODS = ("tan asin acos atan sinh cosh asinh acosh atanh erf erfc erfinv deg2rad rad2deg sinc").split()
_ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh", "arccosh": "acosh",
            "arctanh": "atanh", "arctan2": "atan2"}


def _smooth_method(op):
    def method(self):
        return unary.Smooth.apply(self._float_self(), op=op)

    method.__name__ = op
    method.__doc__ = f"{op}(x) elementwise; integer and bool tensors give the default float dtype."
    return method


def logit(self, eps=None):
    """log(x / (1 - x)), x clamped to [eps, 1 - eps] first when eps is given."""
    self._no_kernel_for("c", "logit_cpu")
    if eps is not None and eps.__class__ is not float:  # (a 0-d tensor read as its value, as PyTorch's float?)
        eps, = _parser_errors.float_arguments("logit", eps=eps)
    return unary.Logit.apply(self._float_self(), eps=eps)


def sgn(self):
    """The sign (of a real tensor: as sign(), under PyTorch's SgnBackward0)."""
    if self._data.dtype.kind in "bu":
        if self._data.dtype.kind == "b":
            return self._bool_sign()
        self._no_kernel_for("U", "sign_cpu")
    if self._data.dtype.kind == "c" and records(self):  # (z / |z|: differentiable, unlike a real sign)
        from .complex_ops import ComplexSgn

        return ComplexSgn.apply(self)
    return self._step(unary.sign, "SgnBackward0")


def signbit(self):
    """Whether the sign bit is set (True for -0.0 and negative numbers), as a bool tensor."""
    self._refuse_complex("signbit is not implemented for complex tensors.")
    data = self._data
    return self._pointwise(np.signbit(data) if data.dtype.kind in "fV" else data < 0 if data.dtype.kind == "i"
                           else np.zeros_like(data, bool))


# ---------------------------------------------------------------------------- elementwise, two tensors
# Of the ops below, those PyTorch computes for complex tensors, and those it refuses with "{op} not implemented for
# complex tensors." (the others with "{op}_cpu" not implemented for 'ComplexFloat')
_COMPLEX_FORMULAS = frozenset({"logaddexp"})
_NOT_FOR_COMPLEX = frozenset({"fmax", "fmin"})


def _binary_impl(self, other, op, position, tensor_only=True, float_result=True, kernel=None):
    """``op`` of self and other (promoted, broadcast); integer results become the default float dtype when
    ``float_result``, and are refused (NotImplementedError for ``kernel``) when ``kernel`` is given."""
    if tensor_only:
        _must_be_tensor(other, op, "other", position)
    a, b = self._operands(other)
    if a is NotImplemented:
        raise _parser_errors.not_tensor(op, "other", position, other)
    if op in _NOT_FOR_COMPLEX and a._data.dtype.kind == "c":  # (PyTorch's check before the shapes')
        raise RuntimeError(f"{op} not implemented for complex tensors.")
    raise_if_not_broadcastable(a, b)
    if a._data.dtype.kind not in "fV":  # ("V": bfloat16)
        if a._data.dtype.kind == "c":
            if op in _COMPLEX_FORMULAS:
                return binary.Binary.apply(a, b, op=op, overload=0 if isinstance(other, Tensor) else 1)
            kernel = kernel or f"{op}_cpu"
        if kernel is not None:
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{a.dtype.scalar_name}'")
        if not float_result:  # fmax / fmin: the integer ones are PyTorch's maximum / minimum
            a._no_kernel_for("U", "maximum_cpu" if op == "fmax" else "minimum_cpu")
        elif float_result:
            # each integer operand straight to float, as PyTorch computes (not through the common integer
            # dtype, where int8 -1 beside uint8 would become 255)
            a = self._cast(_default_float())
            # (a number keeps its own value: -2 beside uint8 is not 254)
            b = other._cast(_default_float()) if isinstance(other, Tensor) else \
                number_operand(other, _default_float())
    return binary.Binary.apply(a, b, op=op, overload=0 if isinstance(other, Tensor) else 1)


def atan2(self, other):
    """The angle of the point (other, self), in (-pi, pi]; integers give the default float dtype."""
    return _binary_impl(self, other, "atan2", 1)


def hypot(self, other):
    """sqrt(self^2 + other^2) without overflow (floating-point tensors only)."""
    return _binary_impl(self, other, "hypot", 1, kernel="hypot_cpu")


def logaddexp(self, other):
    """log(exp(self) + exp(other)) without overflow (floating-point tensors only)."""
    return _binary_impl(self, other, "logaddexp", 1, kernel="logaddexp_cpu")


def logaddexp2(self, other):
    """log2(2^self + 2^other) without overflow (floating-point tensors only)."""
    return _binary_impl(self, other, "logaddexp2", 1, kernel="logaddexp2_cpu")


def copysign(self, other):
    """|self| with the sign of ``other`` (a tensor or a number); integers give the default float dtype."""
    if not isinstance(other, (Tensor, NUMBERS)):
        got = type(other).__name__
        raise TypeError(f"copysign() received an invalid combination of arguments - got ({got}), but expected "
                        f"one of:\n * (Tensor other)\n * (Number other)\n")
    return _binary_impl(self, other, "copysign", 1, tensor_only=False)


def fmax(self, other):
    """The elementwise maximum, NaN ignored where the other element is a number; dtypes promote, ints stay."""
    return _binary_impl(self, other, "fmax", 1, float_result=False)


def fmin(self, other):
    """The elementwise minimum, NaN ignored where the other element is a number."""
    return _binary_impl(self, other, "fmin", 1, float_result=False)


def xlogy_impl(x, y, function=False):
    """x * log(y), 0 where x == 0 (unless y is NaN); either (not both) may be a Python number. ``function``:
    called as torchless.xlogy, whose argument errors list the function's overloads."""
    x_tensor, y_tensor = isinstance(x, Tensor), isinstance(y, Tensor)
    numbers_ok = all(isinstance(v, (Tensor, NUMBERS)) for v in (x, y))
    if not x_tensor and not y_tensor or function and not numbers_ok:
        got = ", ".join("Tensor" if isinstance(v, Tensor) else type(v).__name__ for v in (x, y))
        raise TypeError(f"xlogy() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                        " * (Tensor input, Tensor other, *, Tensor out = None)\n"
                        " * (Number self, Tensor other, *, Tensor out = None)\n"
                        " * (Tensor input, Number other, *, Tensor out = None)\n")
    if not (x_tensor and y_tensor) and not isinstance(y if x_tensor else x, NUMBERS):
        raise _parser_errors.invalid_combination("xlogy", ("Tensor other", "Number other"), (y if x_tensor else x,))
    if x_tensor:
        a, b = x._operands(y)
    else:
        b, a = y._operands(x)
    raise_if_not_broadcastable(a, b)
    a._no_kernel_for("c", "xlogy_cpu")
    if a._data.dtype.kind not in "fV":  # (bfloat16's kind is V: it stays bfloat16)
        # each operand straight to float, as PyTorch computes (not through their common integer dtype)
        f = _default_float()
        a = x._cast(f) if x_tensor else Tensor._wrap(np.asarray(x, f))
        b = y._cast(f) if y_tensor else Tensor._wrap(np.asarray(y, f))
    overload = 0 if x_tensor and y_tensor else 1 if y_tensor else 2
    return binary.Binary.apply(a, b, op="xlogy", overload=overload)


def xlogy(self, other):
    return xlogy_impl(self, other)


# ---------------------------------------------------------------------------- fused multiply-adds
def _scale(value, np_dtype):
    """beta/alpha/value as the kernel reads it for a result of ``np_dtype``: for integers converted as a fill value
    is (truncated, range-checked: uint8 takes -1 as 255, refuses 300)."""
    if value.__class__ not in (int, float):
        if not _parser_errors.is_number_argument(value):
            raise TypeError(f"expected a Number, not {type(value).__name__}")  # (the parser's, on the failure path)
        # (a 0-d tensor outside the graph, which the parser takes for a Number; a NumPy complex64 by its real part)
        value = value.item() if isinstance(value, Tensor) else as_parsed_number(check_numpy_number(value))
        if isinstance(value, complex) and np_dtype.kind != "c":  # (PyTorch's conversion: the imaginary part refused)
            value = _dtype.scalar_argument(value, np_dtype).item()
    if np_dtype.kind == "b":
        return bool(value)
    if np_dtype.kind in "iu":
        return int(_dtype.fill_value(value, np_dtype))
    return value


def _expand_check(input, target):
    """PyTorch's expand error when ``input`` does not broadcast to ``target``."""
    own = (1,) * (len(target) - input._data.ndim) + input._data.shape
    if len(own) > len(target):
        input.expand(*target)  # raises the error for too many dims
    for i in range(len(target) - 1, -1, -1):
        if own[i] != 1 and own[i] != target[i]:
            raise RuntimeError(f"The expanded size of the tensor ({target[i]}) must match the existing size ({own[i]}) "
                               f"at non-singleton dimension {i}.  Target sizes: {list(target)}.  Tensor sizes: "
                               f"{list(input._data.shape)}")


def _sizes(t):
    return "x".join(str(n) for n in t._data.shape)


def addmm(self, mat1, mat2, *, beta=1, alpha=1):
    """beta * self + alpha * (mat1 @ mat2), self broadcast to the product's shape."""
    for name, m in (("mat1", mat1), ("mat2", mat2)):
        if m._data.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m._data.ndim}-D tensor")
    if mat1._data.shape[1] != mat2._data.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_sizes(mat1)} and {_sizes(mat2)})")
    return _add_product(self, mat1, mat2, "addmm", beta, alpha, (mat1._data.shape[0], mat2._data.shape[1]))


def _add_product(input, x, y, kind, beta, alpha, target, kernel="addmm_impl_cpu_"):
    """Shared tail of addmm/addbmm: same-dtype checks (PyTorch's messages, self against mat2 first), the
    broadcast, the bool refusal."""
    if bfloat16_state[0] and not input._data.dtype == x._data.dtype == y._data.dtype:
        from .. import _opmath  # (under autocast its node's operands are cast before these checks, as PyTorch's)

        input, x, y = _opmath.autocast_inputs("lower", input, x, y)
    if input._data.dtype != y._data.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {input.dtype.scalar_name} and "
                           f"{y.dtype.scalar_name}")
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {x.dtype.scalar_name} and "
                           f"{y.dtype.scalar_name}")
    _expand_check(input, target)
    input._no_kernel_for("b", kernel)
    np_dtype = input._data.dtype
    return fused.AddProduct.apply(input, x, y, kind=kind, beta=_scale(beta, np_dtype), alpha=_scale(alpha, np_dtype))


def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
    """beta * self + alpha * sum_b (batch1[b] @ batch2[b])."""
    b1, b2 = batch1._data, batch2._data
    _expand_check(self, (b1.shape[normalize_dim(1, b1.ndim)], b2.shape[normalize_dim(2, b2.ndim)]))
    if b1.shape[0] != b2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {b1.shape[0]} and {b2.shape[0]}")
    if b1.shape[2] != b2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({b1.shape[1]}x{b1.shape[2]} and "
                           f"{b2.shape[1]}x{b2.shape[2]})")
    return _add_product(self, batch1, batch2, "addbmm", beta, alpha, (b1.shape[1], b2.shape[2]))


def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
    """beta * self + alpha * (batch1 @ batch2), batch by batch."""
    self, batch1, batch2 = autocast_cast("lower", self, batch1, batch2)
    b1, b2 = batch1._data, batch2._data
    target = (b1.shape[normalize_dim(0, b1.ndim)], b1.shape[normalize_dim(1, b1.ndim)],
              b2.shape[normalize_dim(2, b2.ndim)])
    _expand_check(self, target)
    if b1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b2.shape[:2] != (b1.shape[0], b1.shape[2]):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b1.shape[0]}, "
                           f"{b1.shape[2]}] but got: [{b2.shape[0]}, {b2.shape[1]}].")
    if not self._data.dtype == b1.dtype == b2.dtype:
        raise RuntimeError(f"Input dtypes must be the same, got: input {_dtype.cpp_name(self._data.dtype)}, "
                           f"batch1: {_dtype.cpp_name(b1.dtype)}, batch2: {_dtype.cpp_name(b2.dtype)}")
    self._no_kernel_for("b", "baddbmm")
    np_dtype = self._data.dtype
    return fused.AddProduct.apply(self, batch1, batch2, kind="baddbmm", beta=_scale(beta, np_dtype),
                                  alpha=_scale(alpha, np_dtype))


def addmv(self, mat, vec, *, beta=1, alpha=1):
    """beta * self + alpha * (mat @ vec)."""
    if mat._data.ndim != 2 or vec._data.ndim != 1 or self._data.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {self._data.ndim}, {mat._data.ndim}, "
                           f"{vec._data.ndim}")
    if mat._data.shape[1] != vec._data.shape[0] or self._data.shape[-1:] not in ((), (1,), mat._data.shape[:1]):
        raise RuntimeError(f"size mismatch, got input ({_sizes(self)}), mat ({_sizes(mat)}), vec ({_sizes(vec)})")
    if not self._data.dtype == mat._data.dtype == vec._data.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {self.dtype.scalar_name}, "
                           f"{mat.dtype.scalar_name}, and {vec.dtype.scalar_name}")
    self._no_kernel_for("b", "addmv_impl_cpu")
    np_dtype = self._data.dtype
    return fused.AddProduct.apply(self, mat, vec, kind="addmv", beta=_scale(beta, np_dtype),
                                  alpha=_scale(alpha, np_dtype))


def addr(self, vec1, vec2, *, beta=1, alpha=1):
    """beta * self + alpha * outer(vec1, vec2); dtypes promote (bools: or of ands)."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v._data.ndim}-D")
    _expand_check(self, (vec1._data.shape[0], vec2._data.shape[0]))
    np_dtype = _result_type(self, vec1, vec2)
    for name, scalar in (("beta", beta), ("alpha", alpha)):  # addr's own checks of its scalars, beta's first
        if np_dtype.kind in "biu" and isinstance(scalar, float):
            raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point number.")
        if np_dtype.kind != "b" and isinstance(scalar, bool):
            raise RuntimeError(f"Boolean {name} only supported for Boolean results.")
    a, x, y = (t._cast(np_dtype) for t in (self, vec1, vec2))
    if np_dtype.kind == "b":
        out = np.outer(x._data, y._data) & bool(alpha)
        return Tensor._wrap(out | (a._data & bool(beta)) if beta else out)
    return fused.AddProduct.apply(a, x, y, kind="addr", beta=_scale(beta, np_dtype), alpha=_scale(alpha, np_dtype))


def _result_type(*tensors):
    """PyTorch's result dtype of several tensor operands (0-d ones count only for a higher category)."""
    dtype, has_dims = tensors[0]._data.dtype, tensors[0]._data.ndim > 0
    for t in tensors[1:]:
        dtype = result_dtype(dtype, has_dims, t._data.dtype, t._data.ndim > 0)
        has_dims = has_dims or t._data.ndim > 0
    return dtype


_ADDCDIV_INTEGER = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true "
    "division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * "
    "torchless.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
    "tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * "
    "tensor1 / tensor2), for all dtypes.")


def addcmul_impl(input, tensor1, tensor2, value=1, divide=False, position=1):
    name = "addcdiv" if divide else "addcmul"
    _must_be_tensor(tensor1, name, "tensor1", position)
    _must_be_tensor(tensor2, name, "tensor2", position + 1)
    if divide and tensor1._data.dtype.kind in "biu" and tensor2._data.dtype.kind in "biu":
        raise RuntimeError(_ADDCDIV_INTEGER)
    shape = input._data.shape
    for t in (tensor1, tensor2):
        error = broadcast_error(shape, t._data.shape)
        if error is not None:
            raise error
        shape = np.broadcast_shapes(shape, t._data.shape)
    if isinstance(value, Tensor):
        if not _parser_errors.is_number_argument(value):  # (one requiring grad: the parser's TypeError)
            raise TypeError(f"{name}(): argument 'value' must be Number, not Tensor")
        value = value.item()
    np_dtype = _result_type(input, tensor1, tensor2)
    _dtype.refuse_wide_unsigned(f"{name}_cpu_out", np_dtype)
    if np_dtype.kind == "b":
        raise NotImplementedError(f"\"{name}_cpu_out\" not implemented for 'Bool'")
    a, t1, t2 = (t._cast(np_dtype) for t in (input, tensor1, tensor2))
    return fused.AddPointwise.apply(a, t1, t2, value=_scale(value, np_dtype), divide=divide)


def addcmul(self, tensor1, tensor2, *, value=1):
    """self + value * tensor1 * tensor2, broadcast and promoted."""
    return addcmul_impl(self, tensor1, tensor2, value)


def addcdiv(self, tensor1, tensor2, *, value=1):
    """self + value * tensor1 / tensor2 (not for two integer tensors)."""
    return addcmul_impl(self, tensor1, tensor2, value, divide=True)


# ---------------------------------------------------------------------------- scans and reductions
def cumprod(self, dim, *, dtype=None):
    """Running products along ``dim``; integers and bools multiply in int64."""
    axis = scan_axis(dim, self._data.ndim, "cumprod")
    check_scan_dtype(self, dtype, "cumprod_out_cpu")
    return scan.Cumprod.apply(self, axis=axis, dtype=self._accumulation_dtype(dtype, "cumprod_out_cpu"))


def _cum_extremum(self, dim, largest):
    name = "cummax" if largest else "cummin"
    if not self._data.ndim and hasattr(dim, "__index__") and dim not in (0, -1):
        raise IndexError(f"{name}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
    if self._data.ndim and not self._data.size and hasattr(dim, "__index__"):
        # nothing to scan: PyTorch's kernel checks neither the dim nor the dtype
        axis, values, indices = 0, self._data.copy(), np.zeros(self._data.shape, np.int64)
        out = scan.CumExtremum.apply(self, values=values, indices=indices, axis=axis, largest=largest)
        return _RETURN_TYPES[name](out, Tensor._wrap(_memory_format.with_c_strides(indices)))
    axis = scan_axis(dim, self._data.ndim, name)
    if not self._data.ndim:  # (its value, before PyTorch's kernel dispatch: a complex one too)
        values, indices = self._data.copy(), np.zeros((), np.int64)
    else:
        self._no_kernel_for("cU", f"{name}_cpu")
        values, indices = scan.cumulative_extremum(self._data, axis, largest)
        indices = _memory_format.c_ordered(indices)  # as the values (a scan's outputs are C-contiguous)
    out = scan.CumExtremum.apply(self, values=values, indices=indices, axis=axis, largest=largest)
    return _RETURN_TYPES[name](out, Tensor._wrap(_memory_format.c_ordered(indices)))  # (laid out as the values)


def cummax(self, dim):
    """Running maxima along ``dim`` and their indices (ties and NaN: the latest)."""
    return _cum_extremum(self, dim, True)


def cummin(self, dim):
    """Running minima along ``dim`` and their indices."""
    return _cum_extremum(self, dim, False)


def logcumsumexp(self, dim):
    """log(cumsum(exp(self))) along ``dim``, without overflow (floating-point tensors only)."""
    axis = scan_axis(dim, self._data.ndim, "logcumsumexp")
    self._no_kernel_for("biu", "logcumsumexp_out_cpu")
    return scan.Logcumsumexp.apply(self, axis=axis, dim=dim)


def nansum(self, dim=None, keepdim=False, *, dtype=None):
    """The sum with NaN read as 0; integers and bools sum in int64."""
    from .._tensor_methods._arguments import reduced_axes

    dim = every_dim_if_empty(dim)  # dim=(): every dim, as in PyTorch
    axes = reduced_axes("nansum", dim, keepdim, self._data.ndim, dtype=dtype)
    self._refuse_complex("nansum on CPU does not support complex inputs", RuntimeError)  # (after the dims)
    accumulation = self._accumulation_dtype(dtype, "sum_cpu")
    if accumulation is not None and np.dtype(accumulation).kind == "c" and self._data.dtype.kind == "f" and \
            self._data.size:  # (a float input's kernel has no complex version; an integer one's is sum's)
        name = _dtype.from_numpy_dtype(accumulation).scalar_name
        raise NotImplementedError(f"\"nansum_cpu\" not implemented for '{name}'")
    return scan.Nansum.apply(self, axes=axes, keepdim=keepdim, dtype=accumulation)


def nanmean(self, dim=None, keepdim=False, *, dtype=None):
    """The mean of the non-NaN elements (NaN if there are none); floating-point tensors only."""
    if not (dim is None or type(dim) is int or type(dim) in (tuple, list) and all(type(d) is int for d in dim)) or \
            keepdim.__class__ is not bool:
        parsed = _parser_errors.method_arguments("nanmean", (dim, keepdim), {"dtype": dtype} if dtype else {})
        dim = None if parsed["dim"] is None else tuple(parsed["dim"])
    # the input's dtype first, then the requested one (as mean's message words it)
    if self._data.dtype.kind not in "fcV":  # ("V": bfloat16)
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{self.dtype.scalar_name}")
    if dtype is not None and not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError("nanmean(): could not infer output dtype. Optional dtype must be either a floating point "
                           f"or complex dtype. Got: {dtype.scalar_name}")
    if self._data.dtype.kind == "c" or dtype is not None and dtype.is_complex:  # refused by nansum, after the dims
        from .._tensor_methods._arguments import reduced_axes

        reduced_axes("nansum", every_dim_if_empty(dim), keepdim, self._data.ndim)
        if self._data.dtype.kind == "c":  # (whatever the dtype asked for)
            raise RuntimeError("nansum on CPU does not support complex inputs")
        raise NotImplementedError(f"\"nansum_cpu\" not implemented for '{dtype.scalar_name}'")
    source = self if dtype is None else self.to(dtype)
    count = Tensor._wrap(~np.isnan(source._data)).sum(dim, keepdim)
    return source.nansum(dim, keepdim) / count


def var_mean_impl(name, args, kwargs):
    """var_mean/std_mean (functions only, as in PyTorch): the spread and the mean over ``dim``, of one node."""
    dim, correction, keepdim, shown = variance_arguments(name, args, kwargs, _parser_errors.FUNCTION_OVERLOADS[name])
    self, std = args[0] if args else kwargs["input"], name == "std_mean"
    dims, dim = dim, every_dim_if_empty(dim)  # dim=(): every dim, as in PyTorch
    if self._data.dtype.kind not in "fc":
        raise RuntimeError(f"{'std' if std else 'var'}_mean only support floating point and complex dtypes")
    axes = normalize_dims(dim, self._data.ndim)
    all_dims = dim is None or not self._data.ndim
    node = scan.StdMeanStd if std else scan.VarMeanVar
    with recording_parts():
        spread = node.apply(self, axes=axes, correction=correction, keepdim=keepdim, all_dims=all_dims, dims=dims,
                            shown_correction=shown)
        mean = scan.VarMeanMean.apply(self, axes=axes, keepdim=keepdim, all_dims=all_dims,
                                      node="StdMeanBackward0" if std else "VarMeanBackward0", dims=dims,
                                      shown_correction=shown, std=spread if std else None)
    return joint_outputs((spread, mean))


def aminmax(self, *, dim=None, keepdim=False):
    """(min, max) over all elements or along ``dim``, in one call."""
    if dim is not None and type(dim) is not int:
        dim = _parser_errors.method_arguments("aminmax", (), {"dim": dim})["dim"]
    if dim is None:
        if not self._data.size:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                               "identity.")
        axes = tuple(range(self._data.ndim))
    else:
        axes = normalize_dims(dim, self._data.ndim)
        if self._data.ndim and not self._data.shape[axes[0]]:
            raise IndexError(f"aminmax: Expected reduction dim {axes[0]} to have non-zero size.")
    if dim is not None and not self._data.ndim:  # (PyTorch's kernel along a dim of a 0-d tensor: its own words)
        self._refuse_complex(f"aminmax not implemented for {self.dtype.scalar_name}", RuntimeError)
    self._no_kernel_for("cU", "aminmax_cpu")  # (after the checks of the dim)
    with recording_parts():
        low = scan.AminmaxNode.apply(self, axes=axes, keepdim=keepdim, largest=False, dims=dim)
        high = scan.AminmaxNode.apply(self, axes=axes, keepdim=keepdim, largest=True, dims=dim)
    return _RETURN_TYPES["aminmax"](*joint_outputs((low, high)))


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(self, q, dim, keepdim, interpolation, ignore_nan):
    if not (dim is None or type(dim) is int) or keepdim.__class__ is not bool:
        name = "nanquantile" if ignore_nan else "quantile"
        interpolated = {} if interpolation == "linear" else {"interpolation": interpolation}
        dim = _parser_errors.method_arguments(name, (q, dim, keepdim), interpolated)["dim"]
    name = "quantile"  # (nanquantile's errors too)
    # in PyTorch's order: a number q's range (its overload checks it first), the interpolation's name, the input
    # and q tensor, the dim, q's values
    if not isinstance(q, Tensor):
        if not isinstance(q, (numbers.Real, np.bool_)):
            raise _parser_errors.invalid_combination(name, (
                'Tensor q, int dim = None, bool keepdim = False, *, str interpolation = "linear"',
                'float q, int dim = None, bool keepdim = False, *, str interpolation = "linear"'), (q,))
        if not 0 <= q <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, but "
                           f"got {interpolation}")
    if not self._data.size:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if isinstance(q, Tensor) and q._data.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if self._data.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if isinstance(q, Tensor) and q._data.dtype != self._data.dtype:
        raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
    if dim is not None:
        normalize_dim(dim, self._data.ndim)
    if isinstance(q, Tensor):
        qs = q._data
        if ((qs < 0) | (qs > 1)).any():
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    else:
        qs = np.asarray(q, self._data.dtype)
    data = self._data
    if dim is None:
        axis, moved = 0, data.reshape(-1, 1)
        out_shape = (1,) * data.ndim if keepdim else ()
    else:
        axis = normalize_dim(dim, data.ndim)
        moved = np.moveaxis(data.reshape(data.shape or (1,)), axis, 0).reshape(data.shape[axis] if data.ndim else 1, -1)
        out_shape = tuple(1 if i == axis else n for i, n in enumerate(data.shape)) if keepdim else \
            tuple(n for i, n in enumerate(data.shape) if i != axis)
    if is_grad_enabled() and self.requires_grad and (data.ndim or dim is None):
        return _recorded_quantile(self, q if isinstance(q, Tensor) else Tensor._wrap(qs), dim, out_shape,
                                  interpolation, ignore_nan)
    # positions into the flat input of each (row, element) in the order moved lists them
    flat_index = np.arange(data.size).reshape(data.shape)
    positions = flat_index.reshape(-1, 1) if dim is None else \
        np.moveaxis(flat_index.reshape(data.shape or (1,)), axis, 0).reshape(moved.shape)
    order = np.argsort(moved, axis=0, kind="stable")  # NaN last
    nan = np.isnan(moved)
    valid = (moved.shape[0] - nan.sum(axis=0)) if ignore_nan else np.full(moved.shape[1], moved.shape[0])
    q_flat = np.atleast_1d(qs).astype(data.dtype)
    ranks = q_flat[:, None] * (valid[None, :] - 1).astype(data.dtype)  # (len(q), columns)
    if not ignore_nan:  # a column with a NaN: PyTorch takes its last sorted element, a NaN, and the gradient goes there
        ranks = np.where(nan.any(axis=0), moved.shape[0] - 1, ranks).astype(data.dtype, copy=False)
    if interpolation == "lower":
        ranks = np.floor(ranks)
    elif interpolation == "higher":
        ranks = np.ceil(ranks)
    elif interpolation == "nearest":
        ranks = np.round(ranks)  # half to even, as PyTorch
    last = np.maximum(valid - 1, 0)[None, :]
    below = np.clip(np.floor(ranks), 0, last).astype(np.int64)
    above = np.clip(np.ceil(ranks), 0, last).astype(np.int64)
    weight = (ranks - below) if interpolation == "linear" else \
        np.full(ranks.shape, 0.5 if interpolation == "midpoint" else 0.0)
    if interpolation == "midpoint":
        weight = np.where(below == above, 0.0, 0.5)
    columns = np.arange(moved.shape[1])[None, :]
    sorted_positions = np.take_along_axis(positions, order, axis=0)
    below_pos = sorted_positions[below, columns]
    above_pos = sorted_positions[above, columns]
    missing = (valid == 0)[None, :] if ignore_nan else nan.any(axis=0)[None, :]
    missing = np.broadcast_to(missing, below.shape)
    shape = ((len(q_flat),) if qs.ndim else ()) + out_shape
    if interpolation in ("lower", "higher", "nearest"):  # (PyTorch gathers these, without lerp's arithmetic)
        weight = None
    return scan.Quantile.apply(self, below=below_pos, above=above_pos,
                               weight=None if weight is None else weight.astype(data.dtype),
                               nan=missing if missing.any() else None, shape=shape, q_dim=bool(qs.ndim))


def _recorded_quantile(self, q, dim, out_shape, interpolation, ignore_nan):
    """quantile recording PyTorch's graph: its composite's (sort, view, gather, lerp_, then in-place views to the
    output's shape), each op recording its node; the ranks, computed without gradients, as its are (in self's
    dtype). ``q``: a tensor of self's dtype; ``out_shape``: the output's shape without q's dim."""
    from .._creation.filled import full_like
    from .._functions import broadcast_tensors
    from ..autograd.grad_mode import no_grad

    if dim is None:
        ordered = self.flatten().sort()[0]
    elif normalize_dim(dim, self.dim()) == self.dim() - 1:
        ordered = self.sort()[0]
    else:
        ordered = self.unsqueeze(-1).transpose(normalize_dim(dim, self.dim()), -1).sort()[0]
    count = ordered.shape[-1]
    ordered = ordered.view(tuple(out_shape) + (count,))  # (PyTorch's view: q's count in front, dropped, then n)
    with no_grad():
        if ignore_nan:
            ranks = q * (ordered.isnan().logical_not().sum(-1, keepdim=True) - 1)
            ranks = ranks.masked_fill(ranks < 0, 0)
        else:
            scaled, missing = broadcast_tensors(q * (count - 1), ordered.isnan().any(-1, keepdim=True))
            ranks = scaled.masked_fill(missing, count - 1)
        rounded = {"lower": "floor", "higher": "ceil", "nearest": "round"}.get(interpolation)
        if rounded:
            ranks = getattr(ranks, rounded)()
        below = ranks.long()
    values = ordered.gather(-1, below)
    if interpolation in ("linear", "midpoint"):
        with no_grad():
            weights = full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below
            above = ranks.ceil().long()
        values.lerp_(ordered.gather(-1, above), weights)
    if not q.dim():
        return values.squeeze_(-1)
    return values.unsqueeze_(0).transpose_(0, -1).squeeze_(-1)


def quantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles along ``dim`` (of all elements without it), interpolated between sorted neighbours;
    NaN where a NaN is present."""
    self, = autocast_cast("float32", self)
    if forward_ad.state.vmap_levels:
        forward_ad.warn_fallback("aten::quantile" if isinstance(q, Tensor) else "aten::quantile.scalar", (self, q))
    return _quantile(self, q, dim, keepdim, interpolation, False)


def nanquantile(self, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile ignoring NaN (NaN only where everything is NaN)."""
    self, = autocast_cast("float32", self)
    if forward_ad.state.vmap_levels:
        forward_ad.warn_fallback("aten::nanquantile" if isinstance(q, Tensor) else "aten::nanquantile.scalar",
                                 (self, q))
    return _quantile(self, q, dim, keepdim, interpolation, True)


# ---------------------------------------------------------------------------- indexing
def _index_vector(self, axis, index, name, index_error_type=RuntimeError, negative=False):
    """``index`` as a vector of positions along ``axis``, checked against its size (``negative``: counting
    from the end too, as index_fill does)."""
    idx = index._data
    n = self._data.shape[axis] if self._data.ndim else 1
    bad = ((idx < -n) if negative else (idx < 0)) | (idx >= n)
    if bad.any():
        prefix = "index_copy_(): " if name == "index_copy_" else ""
        raise index_error_type(f"{prefix}index {idx.reshape(-1)[np.argmax(bad.reshape(-1))]} is out of bounds for "
                               f"dimension {axis} with size {n}")
    return (idx % n if negative and n else idx).reshape(-1)


def _restrided_index(self, axis, index):
    """The index vector of index_fill_ and index_copy_ (and of index_reduce_'s fill), checked as PyTorch's
    TensorIterator kernels check it: they view self with the index's length along ``axis`` (stride 0 there), which
    must fit self's memory (an empty self refuses a non-empty index), then read the index only if that view has
    elements (else an empty index: nothing is written)."""
    if self._data.ndim:
        size, stride = list(self._data.shape), list(self.stride())
        size[axis], stride[axis] = index._data.size, 0
        checked_storage_window(self._data, size, stride, None)
        if not np.prod(size):
            return index._data.reshape(-1)[:0]
    return None


def _check_source(self, axis, idx, source, name):
    """``source``'s shape against self's and the index's length, in the order of ``name``'s checks (the meta
    function shared by index_add_ and index_reduce_ checks the dim and the number of indices before the shapes)."""
    if name in ("index_add_", "index_reduce_"):
        if axis and axis >= source._data.ndim:
            raise RuntimeError(f"{name}(): Indexing dim {axis} is out of bounds of the source tensor with dim "
                               f"{source._data.ndim}")
        if not source._data.ndim and idx.size != 1:  # (PyTorch's message reads the size of the source's dim 0)
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        _check_index_count(axis, idx, source, name)
    mismatched = source._data.ndim != self._data.ndim or any(
        s != t for i, (s, t) in enumerate(zip(source._data.shape, self._data.shape)) if i != axis)
    if mismatched and (name != "index_copy_" or source._data.ndim and self._data.ndim):  # (index_copy_ takes a 0-d
        # source or self beside another rank)
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(self._data.shape)} source.shape = {list(source._data.shape)}")
    _check_index_count(axis, idx, source, name)


def _check_index_count(axis, idx, source, name):
    along = source._data.shape[axis] if source._data.ndim else 1
    if idx.size != along:
        if name == "index_copy_":
            raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
                             f"({along})")
        raise RuntimeError(f"{name}(): Number of indices ({idx.size}) should be equal to source.size(dim): ({along}), "
                           f"for dim: {axis}")


def index_add(self, dim, index, source, *, alpha=1):
    """A copy with ``alpha * source`` added at ``index`` along ``dim`` (repeated indices add up)."""
    if type(dim) is not int:
        dim = _parser_errors.method_arguments("index_add", (dim, index, source), {"alpha": alpha})["dim"]
    axis = normalize_dim(dim, self._data.ndim)
    if index._data.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {index._data.ndim} with type: "
                         f"{index.dtype.scalar_name} and size: {list(index._data.shape)}")
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {index.dtype.scalar_name}")
    if source._data.dtype != self._data.dtype:
        raise RuntimeError(f"index_add_(): self ({self.dtype.scalar_name}) and source ({source.dtype.scalar_name}) "
                           f"must have the same scalar type")
    idx = index._data.reshape(-1)
    _check_source(self, axis, idx, source, "index_add_")
    self._no_kernel_for("U", "index_add_")
    if self._data.ndim > 1 and not self._data.size:
        # PyTorch's kernel returns before reading the index when self has no elements (only source's gradient,
        # index_select of the empty gradient, looks at it)
        return _index_added(self, source, dim, index, axis, idx, alpha, slice_wise=False)
    n = self._data.shape[axis] if self._data.ndim else 1
    # PyTorch's index_add has two kernels, with their own words for an index out of range and their own rounding:
    # the slice-wise one (int64 index, alpha 1, along the first or last of two or more dims) and the elementwise one
    slice_wise = index._data.dtype == np.int64 and alpha == 1 and self._data.ndim > 1 and \
        axis in (0, self._data.ndim - 1)
    if ((idx < 0) | (idx >= n)).any() and not slice_wise:
        raise IndexError("index out of range in self")
    return _index_added(self, source, dim, index, axis, _index_vector(self, axis, index, "index_add_"), alpha,
                        slice_wise)


def _index_added(self, source, dim, index, axis, idx, alpha, slice_wise):
    """index_add's node, its arguments checked (``idx``: the index as a vector)."""
    result = index_ops.IndexWrite.apply(self, source, axis=axis, index=idx, mode="add",
                                        alpha=_scale(alpha, self._data.dtype), wide=slice_wise,
                                        shown={"dim": dim, "index": index._data, "alpha": alpha})
    # (only source's gradient reads the index: PyTorch saves it for that one)
    return save_tensor_versions(result, index) if source.requires_grad else result


def index_copy(self, dim, index, source):
    """A copy with the slices of ``source`` written at ``index`` along ``dim``."""
    self, source = autocast_cast("promote", self, source)
    if type(dim) is not int:
        dim = _parser_errors.method_arguments("index_copy", (dim, index, source))["dim"]
    axis = normalize_dim(dim, self._data.ndim)
    # in the order of PyTorch's checks
    if index._data.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index._data.ndim})")
    if not source._data.ndim and index._data.size != 1:
        raise IndexError(f"index_copy_(): When source is scalar, index should have one element (got "
                         f"{index._data.size})")
    if source._data.ndim and self._data.ndim and source._data.ndim != self._data.ndim:
        raise IndexError(f"index_copy_(): When source and destination are not scalars, their dimensionality must "
                         f"match. Source dimensionality ({source._data.ndim}), destination dimensionality "
                         f"({self._data.ndim})")
    if index._data.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {index.dtype.scalar_name}")
    if source._data.dtype != self._data.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{self.dtype.scalar_name} and (source) {source.dtype.scalar_name}")
    # the sizes beside dim (a 0-d tensor has none; a 0-d self's dim is 0 of the source too)
    sliced = [[n for i, n in enumerate(t._data.shape) if i != axis] for t in (self, source)]
    if sliced[0] != sliced[1]:
        shown = [" ".join(str(n) for n in sizes) for sizes in sliced]  # (C++ prints the sizes space-separated)
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination slice "
                           f"shape: {shown[0]} at dimension {axis} and source slice shape: {shown[1]} at dimension 0.")
    if source._data.ndim and index._data.size != source._data.shape[axis]:
        raise IndexError(f"index_copy_(): Number of indices ({index._data.size}) should be equal to source.size(dim) "
                         f"({source._data.shape[axis]})")
    self._no_kernel_for("U", "index_copy_cpu")
    idx = _restrided_index(self, axis, index)
    if idx is None:
        idx = _index_vector(self, axis, index, "index_copy_", IndexError)
    return save_tensor_versions(index_ops.IndexWrite.apply(self, source, axis=axis, index=idx, mode="copy",
                                                          shown={"dim": dim, "index": index._data}), index)


def _is_complex_number(value):
    """A complex Python or NumPy number, or a complex tensor (index_fill reads a 0-d one as a number)."""
    if isinstance(value, Tensor):
        return value._data.dtype.kind == "c"
    return isinstance(as_parsed_number(value), (complex, np.complexfloating))


def filled_index(self, axis, index, value=None):
    """The index vector of index_fill_ along ``axis``, with its checks (negative indices count from the end) and,
    between them as in PyTorch's kernel, the conversion of the number ``value`` to self's dtype (returned too)."""
    idx = _restrided_index(self, axis, index)
    number = None if value is None else _dtype.fill_value(value, self._data.dtype)
    if idx is None:
        idx = _index_vector(self, axis, index, "index_fill_", IndexError, negative=True)
    return idx, number


def index_fill(self, dim, index, value):
    """A copy with ``value`` (a number or a 0-d tensor) written at ``index`` along ``dim``."""
    return differentiable_result(_index_filled(self, dim, index, value))


def _index_filled(self, dim, index, value):
    """index_fill, whose result index_fill_ writes into self (even an integer one recording a gradient)."""
    if type(dim) is not int or not isinstance(value, (Tensor, NUMBERS)):  # (the parser's TypeError for a value
        dim = _parser_errors.method_arguments("index_fill", (dim, index, value))["dim"]  # no Number: a Fraction)
    # in PyTorch's order: the value tensor's rank, the index's dtype, the dim, the index's rank, its values
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    if index._data.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if self._data.dtype.kind != "c" and _is_complex_number(value):
        raise RuntimeError("index_fill_(): Converting complex Scalar to non-complex type is not supported")
    axis = normalize_dim(dim, self._data.ndim)
    if index._data.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    self._no_kernel_for("U", "index_fill_cpu")
    # (a value tensor is filled as a number too: range-checked as one)
    idx, number = filled_index(self, axis, index, value._data.item() if isinstance(value, Tensor) else value)
    if isinstance(value, Tensor):
        result = index_ops.IndexWrite.apply(self, value._cast(self._data.dtype), axis=axis, index=idx, mode="fill",
                                            shown={"dim": dim, "index": index._data})
    else:
        result = index_ops.IndexWrite.apply(self, None, axis=axis, index=idx, mode="fill", value=number,
                                            shown={"dim": dim, "index": index._data})
    return save_tensor_versions(result, index)


def masked_scatter(self, mask, source):
    """A copy with the elements of ``source``, in order, written where ``mask`` is True."""
    return _masked_scatter(self, mask, source, "masked_scatter")


def _masked_scatter(self, mask, source, name):
    # PyTorch's order: the mask broadcast with self (a copy of which masked_scatter_ writes into), the source's
    # dtype, the mask's
    raise_if_not_broadcastable(mask, self)
    if source._data.dtype != self._data.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{self.dtype.scalar_name} and {source.dtype.scalar_name}")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.scalar_name}")
    count = int(np.broadcast_to(mask._data, np.broadcast_shapes(self._data.shape, mask._data.shape)).sum())
    if count > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    self._no_kernel_for("U", "masked_scatter")
    if forward_ad.state.vmap_levels:
        forward_ad.warn_fallback(f"aten::{name}", (self, mask, source))
    return index_ops.MaskedScatter.apply(self, source, mask=mask._data)


def masked_scatter_(self, mask, source):
    """masked_scatter into self, with PyTorch's in-place checks first: the source's dtype, the mask expanded to
    self's shape (self's own shape is kept), the mask's dtype."""
    if isinstance(mask, Tensor) and isinstance(source, Tensor):  # (else the out-of-place form's TypeError)
        if source._data.dtype != self._data.dtype:
            raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                               f"{self.dtype.scalar_name} and {source.dtype.scalar_name}")
        mask.expand(self.shape)
        if mask._data.dtype != np.bool_:
            raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                               f"{mask.dtype.scalar_name}")
    return self._inplace(lambda t: _masked_scatter(t, mask, source, "masked_scatter_"), [mask, source],
                         name="masked_scatter_")


def take_along_dim(self, indices, dim=None):
    """The elements at ``indices`` along ``dim`` (self and indices broadcast apart from it); without ``dim``,
    of the flattened tensor."""
    if dim is not None and type(dim) is not int:
        dim = _parser_errors.method_arguments("take_along_dim", (indices, dim))["dim"]
    if dim is not None and self._data.ndim != indices._data.ndim:  # (before the dtype, as in PyTorch)
        raise RuntimeError(f"torchless.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {self._data.ndim} dimensions for input, and {indices._data.ndim} dimensions for "
                           f"indices")
    if dim is None:  # gather of the flattened views, with gather's dtype rule (int32 indices too)
        return self.view(-1).gather(0, indices.view(-1))
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"torchless.take_along_dim(): dtype of indices should be Long but got "
                           f"{indices.dtype.scalar_name}")
    axis = normalize_dim(dim, self._data.ndim)
    if not self._data.ndim:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    own, idx_shape = list(self._data.shape), list(indices._data.shape)
    for shape_a, shape_b, swap in ((own, idx_shape, indices._data.shape[axis]),
                                   (idx_shape, own, self._data.shape[axis])):
        a = list(shape_a)
        a[axis] = swap
        error = broadcast_error(tuple(a), tuple(shape_b))
        if error is not None:
            raise error
    own[axis] = indices._data.shape[axis]
    index_target = np.broadcast_shapes(tuple(own), indices._data.shape)
    idx_shape[axis] = self._data.shape[axis]
    self_target = np.broadcast_shapes(tuple(idx_shape), self._data.shape)
    source = self.expand(self_target)  # (PyTorch's broadcast_to, an ExpandBackward0 even to the same shape)
    index = indices if indices._data.shape == index_target else indices.expand(index_target)
    if self._data.shape[axis]:  # along a dim PyTorch wraps every index around its size (-1 the last, n the first)
        index = Tensor._wrap(index._data % self._data.shape[axis])
    elif index._data.size:  # (a size of 0 to wrap around: its integer modulo's error)
        raise RuntimeError("ZeroDivisionError")
    return source.gather(axis, index)


# ---------------------------------------------------------------------------- installation
_METHODS = {name: _smooth_method(name) for name in _SMOOTH_METHODS}
_METHODS.update({f.__name__: f for f in (
    logit, sgn, signbit, atan2, hypot, logaddexp, logaddexp2, copysign, fmax, fmin, xlogy, addmm, addbmm, baddbmm,
    addmv, addr, addcmul, addcdiv, cumprod, cummax, cummin, logcumsumexp, nansum, nanmean, aminmax, quantile,
    nanquantile, index_add, index_copy, index_fill, masked_scatter, masked_scatter_, take_along_dim)})

# in-place forms: the op's result written back (checked and recorded by Tensor._inplace)
_INPLACE = (_SMOOTH_METHODS + "logit sgn atan2 hypot copysign xlogy addmm addbmm baddbmm addmv addr addcmul addcdiv "
            "index_add index_copy index_fill sign trunc frac fix log10 log2 log1p expm1 "
            "rsqrt reciprocal sin cos tanh sigmoid log floor ceil round fmod remainder square nan_to_num".split())


# what in-place forms compute in place of the out-of-place method (which refuses results they may write)
_INPLACE_COMPUTES = {"index_fill": _index_filled}

# in-place forms whose first argument is a second elementwise operand (broadcast to, and promoted with, self)
# (PyTorch checks the broadcast shape, then the cast of the promoted dtype into self, before computing)
_ELEMENTWISE_BINARY = {name: "dtype" for name in "hypot fmod remainder bitwise_and bitwise_or bitwise_xor "
                       "bitwise_left_shift bitwise_right_shift gcd lcm igamma igammac ldexp".split()}
_ELEMENTWISE_BINARY.update({name: "float" for name in "atan2 copysign xlogy".split()})

# the overlap of self's memory with a tensor argument that an in-place form refuses (see Tensor._check_overlap): an
# elementwise op's partial one, an indexed write's any (index_fill_ reads its value as a number); ldexp_ is mul_ by
# a new tensor, so reads none of self
_OVERLAP = {"addcmul": "partial", "addcdiv": "partial", "index_add": "any", "index_copy": "any", "index_fill": "any",
            "ldexp": False}


def _inplace_method(name, shown=None):
    """The in-place form of the method ``name``; ``shown``: the alias it is bound as (arcsin_ for asin_), which its
    TypeErrors name."""
    shown = shown or name
    fills = f"{name}_" if name == "index_fill" else False  # may write into an expanded tensor, as masked_fill_
    binary = _ELEMENTWISE_BINARY.get(name, False)
    overlap = _OVERLAP.get(name)
    inplace_name = f"{name}_"

    def method(self, *args, **kwargs):
        tensors = [a for a in args if isinstance(a, Tensor)] + [v for v in kwargs.values() if isinstance(v, Tensor)]
        try:
            if binary and len(args) == 1 and not kwargs and (isinstance(args[0], Tensor) or name not in ("gcd", "lcm")):
                # (gcd and lcm take no number: their own TypeError comes first)
                return self._inplace(lambda t: getattr(t, name)(*args), args[0], fills=fills, operand=binary,
                                     overlap=overlap, name=inplace_name)
            checked = overlap
            if name == "index_fill":  # (its index; its value is read as a number)
                self._check_overlap(*tensors[:1], overlap=overlap)
                checked = False
            compute = _INPLACE_COMPUTES.get(name) or (lambda t, *args, **kwargs: getattr(t, name)(*args, **kwargs))
            return self._inplace(lambda t: compute(t, *args, **kwargs), tensors, fills=fills, overlap=checked,
                                 name=inplace_name)
        except TypeError as error:  # the out-of-place form's argument error, under the in-place name
            message = str(error)
            for prefix in (name, f"TensorBase.{name}"):  # (the parser's wording, or CPython's for no arguments)
                if message.startswith(f"{prefix}()"):
                    raise TypeError(f"{prefix[:-len(name)]}{shown}_{message[len(prefix):]}") from None
            raise

    method.__name__ = shown + "_"
    method.__doc__ = f"In-place ``{shown}``."
    return method


def install(cls):
    """Attach the methods above (aliases and in-place forms too) to the Tensor class ``cls``."""
    for name, fn in _METHODS.items():
        setattr(cls, name, fn)
    for alias, name in _ALIASES.items():
        setattr(cls, alias, getattr(cls, name))
    for name in _INPLACE:
        if not hasattr(cls, name + "_"):
            setattr(cls, name + "_", _inplace_method(name))
    for alias, name in _ALIASES.items():
        setattr(cls, alias + "_", _inplace_method(name, alias))
