"""Tensor functions of the ``torch`` namespace used in training and evaluation code beyond the core ops:
bucketing and histograms, tensordot and kin, stacking and splitting helpers, index grids, covariance,
membership tests, special functions (lgamma, digamma, exp2), bitwise and integer ops, nan-aware and modal
reductions.

Most are compositions of differentiable tensor ops, so autograd comes with them; the elementwise special
functions are Functions with their derivatives beside them. ``install(Tensor)`` attaches the method forms;
``FUNCTIONS`` lists the names the torchless module exports.
"""
import itertools
import math
import numbers
import operator

import numpy as np

from .. import _dtype, _memory_format, _parser_errors
from .._kernels import std_sort
from ..autograd.graph import Node, records
from ..autograd.saved_values import SavedInput, saved_result
from . import arithmetic, indexing, math_methods
from ._util import normalize_dim
from .shape import DiagEmbed
from .._tensor import Tensor
from .._tensor_methods._arguments import EVERY_DIM
from .._type_promotion import result_dtype
from ..return_types import _RETURN_TYPES



def _tensor(value, name, argument="input", position=1):
    if not isinstance(value, Tensor):
        raise _parser_errors.not_tensor(name, argument, position, value)
    return value


def _as_tensor(value):
    if isinstance(value, Tensor):
        return value
    from .._creation import tensor

    return tensor(value)


def _default_float():
    return _dtype.get_default_dtype().numpy


# ---------------------------------------------------------------------------- special functions
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
    poles = (x <= 0) & (x == np.floor(x))
    out[poles] = np.inf
    out[np.isinf(x)] = np.inf
    return out


def _polygamma_large(x, order):
    """digamma (order 0) or trigamma (order 1) for x >= 6 from their asymptotic series."""
    inv2 = 1 / (x * x)
    if order == 0:
        return np.log(x) - 0.5 / x - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240
                                                                                              - inv2 / 132))))
    return 1 / x + 0.5 * inv2 + inv2 / x * (1 / 6 - inv2 * (1 / 30 - inv2 * (1 / 42 - inv2 / 30)))


def _tetragamma(x):
    """polygamma(2, x) in float64: the recurrence psi''(x) = psi''(x + 1) - 2 / x^3 up to x >= 10, its asymptotic
    series there, reflection for x < 0; poles at 0, -1, ... and -inf give -inf, +inf NaN (PyTorch's values)."""
    x = np.asarray(x, np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        reflect = x < 0
        y = np.where(reflect, 1 - x, x)
        shift = np.zeros_like(y)
        small = y < 10
        while small.any():
            shift[small] -= 2 / y[small] ** 3
            y = np.where(small, y + 1, y)
            small = y < 10
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


def _polygamma(x, order):
    """digamma / trigamma in float64: recurrence up to x >= 6, reflection for x < 0."""
    x = np.asarray(x, np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        reflect = x < 0
        y = np.where(reflect, 1 - x, x)
        shift = np.zeros_like(y)
        small = y < 6
        while small.any():
            shift[small] += 1 / y[small] if order == 0 else 1 / (y[small] * y[small])
            y = np.where(small, y + 1, y)
            small = y < 6
        value = _polygamma_large(y, order) + (-shift if order == 0 else shift)
        if order == 0:
            value = np.where(reflect, value - math.pi / np.tan(math.pi * x), value)
            value = np.where(x == 0, -np.copysign(np.inf, x), value)  # digamma(+-0) = -+inf
        else:
            value = np.where(reflect, -value + (math.pi / np.sin(math.pi * x)) ** 2, value)
    poles = (x < 0) & (x == np.floor(x))
    value[poles] = np.nan if order == 0 else np.inf
    if order == 0:
        value[x == np.inf] = np.inf
    return value


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
            return (grad * self.graph_output(self.out) * math.log(2),)
        if self.op in ("lgamma", "digamma"):
            derivative = "digamma" if self.op == "lgamma" else "trigamma"
            return (grad * _Special.apply(self.graph_input(0, self.a), op=derivative),)
        # trigamma's derivative, polygamma of order 2, has no derivative here (order 3)
        from ..autograd.graph import no_graph_backward_message

        raise NotImplementedError(no_graph_backward_message(self))

    def name(self):
        return {"lgamma": "LgammaBackward0", "digamma": "DigammaBackward0", "exp2": "Exp2Backward0",
                "trigamma": "PolygammaBackward0"}[self.op]


_SPECIAL = {
    "lgamma": (_lgamma, lambda a, out: _polygamma(a, 0)),
    "digamma": (lambda a: _polygamma(a, 0), lambda a, out: _polygamma(a, 1)),
    "exp2": (np.exp2, lambda a, out: out * math.log(2)),
    # digamma's derivative, polygamma(1, x), as an op of the graph (create_graph=True)
    "trigamma": (lambda a: _polygamma(a, 1), lambda a, out: _tetragamma(a)),
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
    complex_operand = any(v._data.dtype.kind == "c" if isinstance(v, Tensor) else
                          isinstance(v, numbers.Complex) and not isinstance(v, numbers.Real) for v in (self, exponent))
    target, scalar = (_dtype.complex128, complex) if complex_operand else (_dtype.float64, float)
    base = self._cast(target.numpy) if isinstance(self, Tensor) else self
    if isinstance(exponent, Tensor):
        exponent = exponent._cast(target.numpy)
    elif isinstance(exponent, numbers.Number):
        exponent = scalar(exponent)
    if not isinstance(base, Tensor):
        from .._creation import tensor

        return tensor(scalar(base), dtype=target).pow(exponent)
    return base.pow(exponent)


def ldexp(self, other):
    """``input * 2 ** other``, in a floating dtype."""
    _tensor(other, "ldexp", "other", 1)
    if other._data.dtype == np.bool_ and self._data.dtype.kind == "f":  # (an integer input takes a bool exponent)
        raise NotImplementedError("\"ldexp_cpu_exp\" not implemented for 'Bool'")
    # in the promoted dtype (float16 with int16 stays float16), the default float one for integers
    common = result_dtype(self._data.dtype, self._data.ndim > 0, other._data.dtype, other._data.ndim > 0)
    if common.kind not in "fc":
        common = _dtype.get_default_dtype().numpy
    return self._cast(common) * other._cast(common).exp2()


def heaviside(self, values):
    """The Heaviside step: 0 where input < 0, 1 where input > 0, ``values`` where input == 0."""
    _tensor(values, "heaviside", "values", 1)
    if self._data.dtype.kind == "c" or values._data.dtype.kind == "c":
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if self._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    a, b = np.broadcast_arrays(self._data, values._data)
    out = _memory_format.iterator_layout(np.where(a == 0, b, (a > 0).astype(a.dtype)).astype(a.dtype),
                                         (self._data, values._data))
    if records(self, values):
        from .arithmetic import NotDifferentiable

        return NotDifferentiable.apply(self, values, kernel=lambda x, y: out, op="heaviside")
    return Tensor._wrap(out)


# ---------------------------------------------------------------------------- integer and bitwise ops
def _bitwise(name, fn, refused="f"):
    def method(self, other):
        if not isinstance(self, Tensor):  # a number first (torchless.bitwise_and(1, t)): the tensor's dtype rules
            return getattr(other, name)(self) if name not in _SHIFTS else _as_tensor(self).__getattribute__(name)(
                other)
        if not isinstance(other, (Tensor, numbers.Number, np.bool_)) or name in _TENSOR_ONLY and \
                not isinstance(other, Tensor):
            raise _parser_errors.not_tensor(name, "other", 1, other)
        kernel = {"bitwise_left_shift": "lshift_cpu", "bitwise_right_shift": "rshift_cpu"}.get(name, f"{name}_cpu")
        return self._checked_binary(other, fn, kernel, refused)

    method.__name__ = name
    method.__doc__ = f"Elementwise ``{name}`` of integer (or bool) tensors."
    return method


_SHIFTS = ("bitwise_left_shift", "bitwise_right_shift")
_TENSOR_ONLY = ("gcd", "lcm")  # no number overload in PyTorch


def _shift(fn):
    def shifted(a, b):
        # PyTorch shifts by the type's width or more give 0 (or -1 for negatives shifted right), where C is undefined
        bits = a.dtype.itemsize * 8
        b = b.astype(a.dtype, copy=False)
        too_far = (b >= bits) | (b < 0)
        out = fn(a, np.where(too_far, 0, b))
        fill = (np.where(a < 0, -1, 0) if fn is np.right_shift else 0)
        return np.where(too_far, fill, out).astype(a.dtype, copy=False)

    return shifted


def bitwise_not(self):
    """~input for integer and bool tensors."""
    if self._data.dtype.kind not in "biu":
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{self.dtype.scalar_name}'")
    return self._pointwise(~self._data)


# ---------------------------------------------------------------------------- products
def tensordot(a, b, dims=2, out=None):
    """Sums the products of ``a``'s and ``b``'s elements over the dims given (the last ``dims`` of ``a`` with
    the first of ``b``, or two lists of dims)."""
    _tensor(a, "tensordot", "a")
    _tensor(b, "tensordot", "b", 2)
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, numbers.Integral):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))  # (as PyTorch's messages print them)
    else:
        dims_a, dims_b = ([d] if isinstance(d, numbers.Integral) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:  # no promotion: PyTorch checks before any product's own dtype check
        raise RuntimeError("both inputs should have same dtype")
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[da]} in dim {da} "
                               f"and second has size {b.shape[db]} in dim {db}")
    dims_a = [d % a.ndim if a.ndim else d for d in dims_a]
    dims_b = [d % b.ndim if b.ndim else d for d in dims_b]
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    size = math.prod(a.shape[d] for d in dims_a)
    left = a.permute(free_a + dims_a).reshape(-1, size)
    right = b.permute(dims_b + free_b).reshape(size, -1)
    return (left @ right).reshape([a.shape[d] for d in free_a] + [b.shape[d] for d in free_b])


def inner(self, other):
    """The dot product over the last dims of both (a product when either is 0-d)."""
    _tensor(other, "inner", "other", 2)
    if self.ndim == 0 or other.ndim == 0:
        return self * other
    if self.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(self.shape)} and {list(other.shape)}")
    if self.ndim == 1 and other.ndim == 1:  # PyTorch's dot then, after tensordot's dtype check
        if self._data.dtype != other._data.dtype:
            raise RuntimeError("both inputs should have same dtype")
        return self.dot(other)
    return tensordot(self, other, ([-1], [-1]))


def vdot(self, other):
    """The dot product of two 1-D tensors (real ones: ``dot``)."""
    _tensor(other, "vdot", "other", 2)
    if self.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors")
    if self._data.dtype != other._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {self.dtype.scalar_name} "
                           f"and {other.dtype.scalar_name}")
    if self.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{self.shape[0]}] and src [{other.shape[0]}] "
                           f"to have the same number of elements, but got {self.shape[0]} and {other.shape[0]} "
                           "elements respectively")
    return self.dot(other)


# ---------------------------------------------------------------------------- stacking and splitting
def atleast_3d(*tensors):
    """Each tensor viewed with at least 3 dims: (n) as (1, n, 1), (m, n) as (m, n, 1)."""
    def lift(t):
        return t.reshape(1, 1, 1) if t.ndim == 0 else t.unsqueeze(0).unsqueeze(-1) if t.ndim == 1 else \
            t.unsqueeze(-1) if t.ndim == 2 else t  # (PyTorch's ops, whose nodes its graph has)

    from .._functions import _each_lifted

    return _each_lifted("atleast_3d", tensors, lift)


def column_stack(tensors=_parser_errors.NOT_GIVEN):
    """Tensors side by side as columns (0-d and 1-d ones as (n, 1) columns)."""
    from .._functions import _tensor_list, hstack

    tensors = _tensor_list(tensors, "column_stack")
    return hstack([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors])


def dstack(tensors=_parser_errors.NOT_GIVEN):
    """Tensors stacked depthwise (along dim 2, after atleast_3d)."""
    from .._functions import _tensor_list, cat

    return cat(atleast_3d(_tensor_list(tensors, "dstack")), 2)


def _split_along(name, dim, minimum):
    def method(self, indices_or_sections, *more):
        if more or not (type(indices_or_sections) is int or type(indices_or_sections) in (tuple, list) and
                        all(type(i) is int for i in indices_or_sections)):
            # (the indices as separate ints, hsplit(1, 2), as PyTorch's parser takes them for its int[] indices)
            parsed = _parser_errors.method_arguments(name, (indices_or_sections,) + more)
            indices_or_sections = parsed["indices"] if "indices" in parsed else parsed["sections"]
        if self.ndim < minimum:
            raise RuntimeError(f"torchless.{name} requires a tensor with at least {minimum} dimension, but got a tensor "
                               f"with {self.ndim} dimensions!")
        axis = 0 if name == "hsplit" and self.ndim == 1 else dim
        if isinstance(indices_or_sections, numbers.Integral) and (
                indices_or_sections == 0 or self.shape[axis] % indices_or_sections):
            raise RuntimeError(f"torchless.{name} attempted to split along dimension {axis}, but the size of the "
                               f"dimension {self.shape[axis]} is not divisible by the split_size "
                               f"{indices_or_sections}!")
        return self.tensor_split(indices_or_sections, axis)

    method.__name__ = name
    method.__doc__ = f"``tensor_split`` along dim {dim}, sections required to divide it evenly."
    return method


def block_diag(*tensors):
    """The tensors (0-d, 1-d as a row, or 2-d) placed along the diagonal of one matrix."""
    from .._creation import zeros
    from .._functions import cat

    _parser_errors.check_tensor_list("block_diag", tensors)
    mats = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torchless.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.ndim} dimensions")
        mats.append(t.reshape(1, -1) if t.ndim < 2 else t)
    if not mats:
        return zeros(1, 0)
    common = mats[0]._data.dtype
    for m in mats[1:]:
        common = np.promote_types(common, m._data.dtype) if common.kind == m._data.dtype.kind else \
            max(common, m._data.dtype, key=lambda d: "biufc".index(d.kind))
    total = sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        h, w = m.shape
        pieces = [zeros(h, left, dtype=_dtype.from_numpy_dtype(common)), m._cast(common),
                  zeros(h, total - left - w, dtype=_dtype.from_numpy_dtype(common))]
        rows.append(cat(pieces, 1))
        left += w
    return cat(rows, 0)


def ravel(self):
    """The elements as a 1-D tensor (a view when possible)."""
    return self.reshape(-1)


def msort(self):
    """``input`` sorted along dim 0."""
    return self.sort(0).values


# ---------------------------------------------------------------------------- index grids
def _index_dtype(dtype):
    return np.int64 if dtype is None else _dtype.to_numpy_dtype(dtype)


def _triangle_arguments(name, row, col, offset):
    """tril_indices/triu_indices's ints as PyTorch's parser takes them (offset by keyword where it was so given)."""
    if type(row) is int and type(col) is int and type(offset) is int:
        return row, col, offset
    from .._written_call import user_call

    written = user_call(name)
    by_keyword = written is not None and "offset" in written.keywords
    args, kwargs = ((row, col), {"offset": offset}) if by_keyword else ((row, col, offset), {})
    parsed = _parser_errors.parse(name, ("int row, int col, int offset=0",), args, kwargs)
    return parsed["row"], parsed["col"], parsed["offset"]


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) coordinates of the lower triangle of a row x col matrix (diagonal ``offset``)."""
    row, col, offset = _triangle_arguments("tril_indices", row, col, offset)
    return Tensor._wrap(np.stack(np.tril_indices(row, offset, col)).reshape(2, -1).astype(_index_dtype(dtype)))


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) coordinates of the upper triangle of a row x col matrix (diagonal ``offset``)."""
    row, col, offset = _triangle_arguments("triu_indices", row, col, offset)
    return Tensor._wrap(np.stack(np.triu_indices(row, offset, col)).reshape(2, -1).astype(_index_dtype(dtype)))


def _vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D ``x``: columns x^(N-1), ..., x, 1 (the other way with ``increasing``);
    ``N`` columns, ``len(x)`` by default. Integers and bools give int64."""
    if x._data.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    columns = x._data.shape[0] if N is None else N
    if columns < 0:
        raise RuntimeError("N must be non-negative.")
    # as PyTorch builds it: ones, x in the columns from the second, their running products in place (so the graph,
    # the version counter and even the failure of its backward are PyTorch's)
    result = x.new_empty((x._data.shape[0], columns), dtype=_dtype.int64 if x._data.dtype.kind in "biu" else None)
    if columns > 0:
        result.fill_(1)
        if columns > 1:
            result[:, 1:].copy_(x.unsqueeze(1))
            result[:, 1:].copy_(result[:, 1:].cumprod(1))
    return result if increasing else result.flip(1)


vander = _parser_errors.native_entry("vander", ("Tensor x, int? N=None, bool increasing=False",), _vander)


def unravel_index(indices, shape):
    """The coordinates in ``shape`` of flat ``indices``: a tuple of tensors, one per dim."""
    indices = _as_tensor(indices)
    if indices._data.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got " + str(tuple(shape)))
    size = math.prod(shape)
    flat = indices._data.astype(np.int64)
    if flat.size and (flat.min() < -size or flat.max() >= size):
        raise RuntimeError("'indices' must be in range [-" + f"{size}, {size - 1}]")
    flat = np.where(flat < 0, flat + size, flat)
    return tuple(Tensor._wrap(c.astype(np.int64)) for c in np.unravel_index(flat, shape)) if shape else ()


def combinations(input, r=2, with_replacement=False):
    """The length-``r`` combinations of a 1-D tensor's elements, one per row (itertools' order)."""
    if type(r) is not int or with_replacement.__class__ is not bool:
        r = _parser_errors.parse("combinations", ("Tensor input, int r=2, bool with_replacement=False",),
                                 (input, r, with_replacement))["r"]
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return Tensor._wrap(np.empty(0, input._data.dtype))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    index = np.array(list(pick(range(input.shape[0]), r)), np.int64).reshape(-1, r)
    return input[Tensor._wrap(index.reshape(-1))].reshape(-1, r)


# ---------------------------------------------------------------------------- diagonals
def diag_embed(self, offset=0, dim1=-2, dim2=-1):
    """A tensor whose (dim1, dim2) diagonals (``offset``) hold the last dim of ``input``, zeros elsewhere."""
    if type(offset) is not int or type(dim1) is not int or type(dim2) is not int:
        parsed = _parser_errors.method_arguments("diag_embed", (offset, dim1, dim2))
        offset, dim1, dim2 = parsed["offset"], parsed["dim1"], parsed["dim2"]
    ndim = self.ndim + 1
    for d in (dim1, dim2):
        if not -ndim <= d < ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})")
    if dim1 % ndim == dim2 % ndim:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return DiagEmbed.apply(self, offset=offset, dim1=dim1, dim2=dim2)


def diagflat(self, offset=0):
    """The flattened input as the diagonal ``offset`` of a square matrix."""
    return diag_embed(self.reshape(-1), offset)


# ---------------------------------------------------------------------------- statistics
def cov(self, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in ``input``'s rows (observations in its columns)."""
    if type(correction) is not int:
        correction = _parser_errors.method_arguments("cov", (), {"correction": correction})["correction"]
    if self.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{self.ndim} dimensions")
    x = self.reshape(1, -1) if self.ndim < 2 else self
    x = x._float_self()
    observations = x.shape[1]
    weights = None
    for w, name in ((fweights, "fweights"), (aweights, "aweights")):
        if w is None:
            continue
        if w.ndim > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
                               f"{w.ndim} dimensions")
        if w.numel() != observations:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the "
                               f"input but got {w.numel()} != {observations}")
        weights = w if weights is None else weights * w
    if weights is None:
        total = x.new_tensor(float(observations), dtype=x.dtype.to_real())  # (real for a complex input too)
        mean = x.mean(1, keepdim=True)
        norm = total - correction
        centred = x - mean
        product = centred @ centred.t().conj()
    else:
        total = weights.sum()
        mean = (x * weights).sum(1, keepdim=True) / total
        norm = total - correction if aweights is None else \
            total - correction * (weights * aweights).sum() / total
        centred = x - mean
        product = (centred * weights) @ centred.t().conj()
    # squeezed, as PyTorch's: one variable (a 1-D input, or a single row) gives a 0-d tensor
    return (product / norm.clamp(min=0)).squeeze()


def corrcoef(self):
    """Pearson correlation coefficients of the variables in ``input``'s rows, clipped to [-1, 1]."""
    c = cov(self)
    if c.ndim == 0:
        return c / c
    d = c.diagonal()
    stddev = d.sqrt()
    c = c / stddev.unsqueeze(1) / stddev.unsqueeze(0)
    if c.is_complex():  # each part clipped, as in PyTorch
        from .complex_ops import complex as make_complex

        return make_complex(c.real.clamp(-1, 1), c.imag.clamp(-1, 1))
    return c.clamp(-1, 1)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of ``elements`` is in ``test_elements`` (either may be a number)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() received an invalid combination of arguments")
    a = np.asarray(elements._data if isinstance(elements, Tensor) else elements)
    b = np.asarray(test_elements._data if isinstance(test_elements, Tensor) else test_elements)
    for array in (a, b):  # PyTorch has no bool or complex kernel (a Python bool counts as a bool)
        if array.dtype.kind in "bc":
            raise RuntimeError(f"Unsupported input type encountered for isin(): "
                               f"{_dtype.from_numpy_dtype(array.dtype).scalar_name}")
    return Tensor._wrap(np.isin(a, b, invert=invert))


def isneginf(self):
    """Whether each element is -inf."""
    self._refuse_complex("isneginf does not support complex inputs.", RuntimeError)
    return Tensor._wrap(np.isneginf(self._data) if self._data.dtype.kind == "f" else np.zeros(self.shape, bool))


def isposinf(self):
    """Whether each element is +inf."""
    self._refuse_complex("isposinf does not support complex inputs.", RuntimeError)
    return Tensor._wrap(np.isposinf(self._data) if self._data.dtype.kind == "f" else np.zeros(self.shape, bool))


def isreal(self):
    """Whether each element is real: True for every element of a real tensor, for a complex one where its
    imaginary part is 0."""
    if self._data.dtype.kind == "c":
        return Tensor._wrap(self._data.imag == 0)
    return Tensor._wrap(np.ones(self.shape, bool))


def logdet(self):
    """log det(input): NaN for a negative determinant, -inf for a singular matrix."""
    from ..linalg import slogdet

    sign, logabsdet = slogdet(self)
    if sign._data.dtype.kind == "c":  # log|det| + i arg(det), as PyTorch composes it
        return logabsdet + sign.log()
    nan = Tensor._wrap(np.where(sign._data < 0, np.nan, 0).astype(logabsdet._data.dtype))
    return logabsdet + nan


# ---------------------------------------------------------------------------- integration
_TRAPEZOID_OVERLOADS = ("Tensor y, Tensor x, *, int dim=-1", "Tensor y, *, Number dx=1, int dim=-1")
_TRAPZ_OVERLOADS = ("Tensor y, *, float dx=1, int dim=-1", "Tensor y, Tensor x, *, int dim=-1")


def _trapezoid_spacing(name, y, x, dx, dim):
    """(dim as an axis, the spacing): ``x``'s differences along ``dim`` (a 1-D ``x`` laid along it, a shorter one
    padded with leading dims, then broadcast against ``y``'s, as NumPy does), or ``dx`` as a float; with
    PyTorch's checks, in its order."""
    axis = normalize_dim(dim, y.dim())
    if x is None:
        if y._data.dtype == np.bool_:
            raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
        if isinstance(dx, (complex, np.complexfloating, bool, np.bool_)) or \
                (isinstance(dx, Tensor) and (dx.is_complex() or dx.dtype == _dtype.bool)):
            raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
        return axis, float(dx)
    if y._data.dtype == np.bool_ or x._data.dtype == np.bool_:
        raise RuntimeError(f"{name}: received a bool input for `x` or `y`, but bool is not supported")
    if x.dim() == 1:
        if x.shape[0] != y.shape[axis]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y.dim()
        shape[axis] = x.shape[0]
        x = x.view(shape)
    elif x.dim() < y.dim():
        x = x.view([1] * (y.dim() - x.dim()) + list(x.shape))
    return axis, x.narrow(axis, 1, x.shape[axis] - 1) - x.narrow(axis, 0, x.shape[axis] - 1)


_UNGIVEN = object()


def _given(y, x, dx, dim):
    """The call's arguments as PyTorch's parser sees them (those given)."""
    args = (y,) if x is _UNGIVEN else (y, x)
    return args, {k: v for k, v in (("dx", dx), ("dim", dim)) if v is not _UNGIVEN}


def trapezoid(y, x=_UNGIVEN, *, dx=_UNGIVEN, dim=_UNGIVEN):
    """trapezoid(y, x=None, *, dx=None, dim=-1) -> Tensor

    The trapezoidal rule's integral of ``y`` along ``dim``, at the points ``x`` or spaced ``dx`` (default 1)
    apart."""
    return _trapezoid("trapezoid", _TRAPEZOID_OVERLOADS, *_given(y, x, dx, dim))


def trapz(y, x=_UNGIVEN, *, dx=_UNGIVEN, dim=_UNGIVEN):
    """trapz(y, x, *, dim=-1) -> Tensor; trapz(y, *, dx=1, dim=-1) -> Tensor

    Alias of :func:`trapezoid` (its ``dx`` a float)."""
    return _trapezoid("trapz", _TRAPZ_OVERLOADS, *_given(y, x, dx, dim))


def _trapezoid(name, overloads, args, kwargs):
    given = _parser_errors.parse(name, overloads, args, kwargs)
    y, x, dx = given["y"], given.get("x"), given.get("dx")
    axis = normalize_dim(given["dim"], y.dim())
    if not y.dim():
        raise IndexError(f"Dimension specified as {given['dim']} but tensor has no dimensions")
    if not y.shape[axis]:  # no samples: NumPy's (and PyTorch's) integral 0, before any other check
        return y.new_zeros(y.shape[:axis] + y.shape[axis + 1:])
    axis, spacing = _trapezoid_spacing("trapezoid", y, x, dx, given["dim"])
    n = y.shape[axis]
    # composed as PyTorch's C++ does, whose products and quotients by numbers are MulBackward1 and DivBackward1
    if x is None:
        edges = (y.select(axis, 0) + y.select(axis, -1))._binary(0.5, arithmetic.MulScalar)
        return (y.sum(axis) - edges)._binary(spacing, arithmetic.MulScalar)
    pairs = y.narrow(axis, 1, n - 1) + y.narrow(axis, 0, n - 1)
    return (pairs * spacing).sum(axis)._binary(2.0, arithmetic.Div, scalar_divisor=True)


def cumulative_trapezoid(y, x=_UNGIVEN, *, dx=_UNGIVEN, dim=_UNGIVEN):
    """cumulative_trapezoid(y, x=None, *, dx=None, dim=-1) -> Tensor

    The running trapezoidal-rule integral of ``y`` along ``dim`` (one element fewer along it than ``y``)."""
    given = _parser_errors.parse("cumulative_trapezoid", _TRAPEZOID_OVERLOADS, *_given(y, x, dx, dim))
    y, x = given["y"], given.get("x")
    if x is None:  # (PyTorch checks the dim of y only as it slices it, after dx)
        spacing = _trapezoid_spacing("cumulative_trapezoid", y, None, given.get("dx"), 0)[1]
        if not y.dim():
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        axis = normalize_dim(given["dim"], y.dim())
    else:
        axis, spacing = _trapezoid_spacing("cumulative_trapezoid", y, x, None, given["dim"])
    n = y.shape[axis]
    pairs = y.narrow(axis, min(1, n), max(n - 1, 0)) + y.narrow(axis, 0, max(n - 1, 0))
    if x is None:
        return pairs._binary(spacing / 2.0, arithmetic.MulScalar).cumsum(axis)
    return (pairs * spacing).cumsum(axis)._binary(2.0, arithmetic.Div, scalar_divisor=True)


# ---------------------------------------------------------------------------- searching and bucketing
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Indices where ``input``'s values would be inserted in each innermost row of ``sorted_sequence`` to keep
    it sorted (after equal values when ``right`` or ``side='right'``)."""
    if out_int32.__class__ is not bool or right.__class__ is not bool:
        raise _invalid_search_flags("searchsorted", (sorted_sequence, input), out_int32=out_int32, right=right,
                                    side=side, sorter=sorter)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torchless.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torchless.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._data, -1)
    scalar = not isinstance(input, Tensor)
    if scalar and not _parser_errors.is_number_argument(input):
        raise TypeError(f"searchsorted(): expected a Tensor or a Number, not {type(input).__name__}")  # (the
        # parser's, on the failure path)
    values = np.asarray(input) if scalar else input._data
    how = "right" if right else "left"
    if seq.ndim == 1:
        _no_bool_search(seq, values)
        out = np.searchsorted(seq, values, side=how)
    else:
        if scalar or seq.shape[:-1] != values.shape[:-1]:
            raise RuntimeError(f"torchless.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                               f"dimensions of boundaries tensor and input value tensor must match, but we got "
                               f"boundaries tensor {list(seq.shape)} and input value tensor "
                               f"{list(values.shape)}")
        _no_bool_search(seq, values)
        rows, vals = seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1])
        out = np.stack([np.searchsorted(r, v, side=how) for r, v in zip(rows, vals)]).reshape(values.shape)
    return Tensor._wrap(np.asarray(out, np.int32 if out_int32 else np.int64))


_SEARCH_OVERLOADS = {
    "searchsorted": tuple(f"Tensor sorted_sequence, {values}, *, bool out_int32 = False, bool right = False, "
                          "str side = None, Tensor sorter = None, Tensor out = None"
                          for values in ("Tensor input", "Number self")),
    "bucketize": ("Tensor input, Tensor boundaries, *, bool out_int32 = False, bool right = False, Tensor out = None",
                  "Number self, Tensor boundaries, *, bool out_int32 = False, bool right = False"),
}


_SEARCH_DEFAULTS = {"out_int32": False, "right": False}


def _invalid_search_flags(name, args, **keywords):
    """PyTorch's TypeError for a flag of searchsorted/bucketize that is not a Python bool: the keywords given
    (those off their defaults, as the call can no longer tell) listed after the two tensors."""
    given = {key: value for key, value in keywords.items() if value is not _SEARCH_DEFAULTS.get(key)}
    return _parser_errors.invalid_combination(name, _SEARCH_OVERLOADS[name], args, given)


def _no_bool_search(seq, values):
    """(after the shape checks) PyTorch's kernel has no bool (both) or complex (either) version."""
    if seq.dtype == np.bool_ and values.dtype == np.bool_ or seq.dtype.kind == "c" or values.dtype.kind == "c":
        name = _dtype.from_numpy_dtype(seq.dtype if seq.dtype.kind == "c" or values.dtype.kind != "c" else
                                       values.dtype).scalar_name
        raise NotImplementedError(f"\"searchsorted_out_cpu\" not implemented for '{name}'")


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value of ``input`` among the 1-D ``boundaries``: i with boundaries[i-1] < x <=
    boundaries[i] (< when ``right``)."""
    if out_int32.__class__ is not bool or right.__class__ is not bool:
        raise _invalid_search_flags("bucketize", (input, boundaries), out_int32=out_int32, right=right)
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):  # noqa: A002
    """``(hist, bin_edges)`` of ``input``'s values: ``bins`` equal bins over ``range`` (the data's span by
    default) or the given edges, weighted by ``weight``, normalised to a density when ``density``."""
    data = input._data
    input._no_kernel_for("c", "histogramdd")
    if data.dtype.kind != "f":
        raise RuntimeError(f"torchless.histogram: input tensor and bins tensors should have the same dtype, but got "
                           f"input {input.dtype.scalar_name} and bins Float")
    edges = bins._data if isinstance(bins, Tensor) else bins
    hist, edge_values = np.histogram(data.astype(np.float64).reshape(-1), edges, range=range, density=density,
                                     weights=None if weight is None else weight._data.reshape(-1))
    return _RETURN_TYPES["histogram"](Tensor._wrap(hist.astype(data.dtype)),
                                      Tensor._wrap(edge_values.astype(data.dtype)))


# ---------------------------------------------------------------------------- reductions
def unique_axis(self, dim, name="unique_dim"):
    """The axis of unique/unique_consecutive's ``dim`` (``name``: the op PyTorch's Python method calls, which
    names it in its TypeError: unique_dim with the input first, unique_consecutive by keyword), with PyTorch's
    errors for a 0-d tensor and for empty dims beside it."""
    from ._util import normalize_dim

    dim = unique_dim_argument(dim, name)
    if not self._data.ndim:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    axis = normalize_dim(dim, self._data.ndim)
    if any(not n for i, n in enumerate(self._data.shape) if i != axis):
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
    return axis


def unique_dim_argument(dim, name="unique_dim"):
    """unique/unique_consecutive's ``dim`` as the parser of ``name`` (as in unique_axis) takes it: an int."""
    from ._util import is_int_argument

    if type(dim) is not int:
        if not is_int_argument(dim):
            from ..nn._functional._args import _tp_name

            where = " (position 2)" if name == "unique_dim" else ""
            raise TypeError(f"{name}(): argument 'dim'{where} must be int, not {_tp_name(dim)}")
        dim = operator.index(dim)
    return dim


def without_derivative(input, values, op, node):
    """``values`` computed from ``input`` as a tensor PyTorch records under ``node`` without a derivative (its
    backward raises), where ``input`` is recorded."""
    if not records(input):
        return Tensor._wrap(values)
    from ..linalg._checks import NotDifferentiable

    return NotDifferentiable.apply(input, value=values, op=op, node=node)


def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
    """The input with each run of equal consecutive values (or slices along ``dim``) kept once."""
    if dim is not None:  # (the parser's checks, in the order of its signature)
        dim = unique_dim_argument(dim, "unique_consecutive")
    _parser_errors.check_bools("unique_consecutive", return_inverse=return_inverse, return_counts=return_counts)
    a = self._data
    if dim is None:
        a = a.reshape(-1)
        axis = 0
    else:
        axis = unique_axis(self, dim, "unique_consecutive")
    n = a.shape[axis] if a.ndim else 1
    moved = np.moveaxis(a, axis, 0).reshape(n, a.size // n if n else 0) if a.ndim else a.reshape(1, 1)
    change = np.ones(n, bool)
    if n > 1:
        change[1:] = np.any(moved[1:] != moved[:-1], axis=1)
    starts = np.flatnonzero(change)
    # taken from the dim moved first, and moved back: laid out as PyTorch's (that dim outermost in memory)
    values = np.moveaxis(np.take(np.moveaxis(a, axis, 0), starts, axis=0), 0, axis) if a.ndim else a.reshape(1)
    results = [without_derivative(self, values, "unique_consecutive", "UniqueConsecutiveBackward0")]
    if return_inverse:
        inverse = np.cumsum(change) - 1
        results.append(Tensor._wrap(inverse.reshape(self.shape if dim is None else (n,)).astype(np.int64)))
    if return_counts:
        results.append(Tensor._wrap(np.diff(np.append(starts, n)).astype(np.int64)))
    return results[0] if len(results) == 1 else tuple(results)


def _reduce_dim(self, dim, keepdim, name):
    """``dim`` of the reduction ``name`` as an axis, after PyTorch's parser checks of dim and keepdim."""
    from ._util import normalize_dim

    if type(dim) is not int or keepdim.__class__ is not bool:
        error = _parser_errors.reduction_error(name, dim, keepdim)
        if error is not None:
            raise error
    return normalize_dim(dim, max(self.ndim, 1))


def _check_reduced_size(self, axis, name):
    if self._data.ndim and not self._data.shape[axis]:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")


def nanmedian(self, dim=EVERY_DIM, keepdim=False):
    """The lower median of the non-NaN values (NaN when a row is all NaN); with ``dim``, ``(values,
    indices)``."""
    a = self._data
    if dim is EVERY_DIM:  # (PyTorch's overload without dim takes nothing: dim=None is refused below)
        if keepdim is not False:
            raise _parser_errors.method_error("nanmedian", (), {"keepdim": keepdim})
        if a.size:  # (an empty tensor never reaches the kernel)
            self._no_kernel_for("bc", "median_cpu")
        flat = a.reshape(-1)
        if flat.size == 0:  # NaN, cast to an integer dtype as PyTorch does (0 or its most negative value)
            with np.errstate(invalid="ignore"):
                return Tensor._wrap(np.array(np.nan).astype(a.dtype))
        from .reduction import Nanmedian

        return Nanmedian.apply(self)
    axis = _reduce_dim(self, dim, keepdim, "nanmedian")
    _check_reduced_size(self, axis, "median")  # (PyTorch's message names median)
    self._no_kernel_for("bc", "median_out")
    if a.ndim == 0:
        return _RETURN_TYPES["nanmedian"](*_selected(self, 0, np.array(0, np.int64), keepdim, "NanmedianBackward1", dim))
    rows = np.moveaxis(a, axis, -1)
    index = _nanmedian_index(rows.reshape(-1, rows.shape[-1])).reshape(rows.shape[:-1])
    return _RETURN_TYPES["nanmedian"](*_selected(self, axis, np.expand_dims(index, axis), keepdim, "NanmedianBackward1",
                                                 dim))


def _nanmedian_index(rows):
    """For each row, the index of its lower median among the non-NaN values (of a NaN when all are NaN)."""
    order = np.argsort(rows, axis=1, kind="stable")  # NaNs sort last
    count = (~np.isnan(rows)).sum(1)
    position = np.where(count > 0, (count - 1) // 2, 0)
    return order[np.arange(rows.shape[0]), position]


def mode(self, dim=-1, keepdim=False):
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest among equally frequent
    ones) and the index PyTorch's std::sort of (value, index) pairs leaves last among its copies."""
    a = self._data
    axis = _reduce_dim(self, dim, keepdim, "mode")
    _check_reduced_size(self, axis, "mode")
    self._no_kernel_for("c", "mode_cpu")
    if a.ndim == 0:
        return _RETURN_TYPES["mode"](*_selected(self, 0, np.array(0, np.int64), keepdim, "ModeBackward0", dim))
    rows = np.moveaxis(a, axis, -1)
    flat = rows.reshape(-1, rows.shape[-1])
    indices = np.empty(flat.shape[0], np.int64)
    for i, row in enumerate(flat):
        indices[i] = std_sort.mode_index(row)
    index = np.expand_dims(indices.reshape(rows.shape[:-1]), axis)
    return _RETURN_TYPES["mode"](*_selected(self, axis, index, keepdim, "ModeBackward0", dim))


def _selected(self, axis, index, keepdim, node, dim):
    """(values, indices) of the elements at ``index`` (dim ``axis`` kept, of size 1) along ``axis``, recorded as
    PyTorch's node ``node`` (showing the dim as given, the indices and keepdim), as median's are; of a 0-d tensor,
    its value."""
    if not self._data.ndim:
        return indexing.Index.apply(self, key=(), name=node, shown={"dim": dim, "indices": index, "keepdim": keepdim}), \
            Tensor._wrap(index)
    key = list(np.indices(index.shape, sparse=True))
    key[axis] = index
    if not keepdim:
        key, index = [np.squeeze(k, axis) for k in key], np.squeeze(index, axis)
    index = index.astype(np.int64, copy=False)
    values = indexing.Index.apply(self, key=tuple(key), name=node, shown={"dim": dim, "indices": index,
                                                                          "keepdim": keepdim})
    return values, Tensor._wrap(index)


# ---------------------------------------------------------------------------- installation
_BINARY_INT = {
    "bitwise_and": (np.bitwise_and, "fc"), "bitwise_or": (np.bitwise_or, "fc"), "bitwise_xor": (np.bitwise_xor, "fc"),
    "bitwise_left_shift": (_shift(np.left_shift), "fbc"), "bitwise_right_shift": (_shift(np.right_shift), "fbc"),
    "gcd": (np.gcd, "fbc"), "lcm": (np.lcm, "fbc"),
}

_METHODS = {fn.__name__: fn for fn in (
    float_power, ldexp, heaviside, bitwise_not, inner, vdot, ravel, msort, diag_embed, diagflat, cov, corrcoef,
    isneginf, isposinf, isreal, logdet, unique_consecutive, nanmedian, mode)}
_METHODS.update({op: _special_method(op) for op in _SPECIAL})
_METHODS.update({name: _bitwise(name, fn, refused) for name, (fn, refused) in _BINARY_INT.items()})
_METHODS.update({name: _split_along(name, dim, minimum) for name, dim, minimum in
                 (("hsplit", 1, 1), ("vsplit", 0, 2), ("dsplit", 2, 3))})
# in-place method forms, which PyTorch has for these
_INPLACE = "lgamma digamma exp2 float_power ldexp heaviside bitwise_not gcd lcm " \
           "bitwise_and bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift".split()

# the module-level functions (beside the methods' function forms)
FUNCTIONS = {fn.__name__: fn for fn in (
    tensordot, atleast_3d, column_stack, dstack, block_diag, tril_indices, triu_indices, unravel_index, combinations,
    vander,
    isin, trapezoid, trapz, cumulative_trapezoid, searchsorted, bucketize, histogram)}
# in-place function forms PyTorch has
INPLACE_FUNCTIONS = "exp2_ gcd_ lcm_ ldexp_".split()


def _inplace_method(name):
    """math_methods' in-place form, with float_power_'s own dtype check first."""
    method = math_methods._inplace_method(name)
    if name != "float_power":
        return method

    def float_power_(self, *args, **kwargs):
        if self._data.dtype != np.float64:
            raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype.scalar_name} but the "
                               "operation's result requires dtype Double")
        return method(self, *args, **kwargs)

    float_power_.__doc__ = method.__doc__
    return float_power_


def install(cls):
    """Attach the methods above (and their in-place forms) to the Tensor class ``cls``."""
    for name, fn in _METHODS.items():
        setattr(cls, name, fn)
    for name in _INPLACE:
        setattr(cls, name + "_", _inplace_method(name))
    cls.bernoulli = lambda self, p=None, *, generator=None: _random().bernoulli(self, p, generator=generator)
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
