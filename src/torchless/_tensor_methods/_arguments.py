"""Argument checks that Tensor methods share with their torch-namespace and nn.functional forms, with PyTorch's
exceptions and messages."""

import numpy as np

from .. import _dtype, _parser_errors
from .._ops._util import list_elements, normalize_dim, normalize_dims
from .._tensor import Tensor
from .._type_promotion import NUMBERS, check_numpy_number
from ..autograd.graph import records

EVERY_DIM = object()  # squeeze's default: PyTorch refuses an explicit dim=None


class Omitted:
    """A default told apart from every value given, shown in signatures as ``shown``."""

    def __init__(self, shown):
        self.shown = shown

    def __repr__(self):
        return self.shown


# keepdim's default where PyTorch's overload without dim takes no keepdim, not even False (sum, mean, median)
KEEPDIM_OMITTED = Omitted("False")
NO_ROUNDING_MODE = object()  # div's default: an explicit rounding_mode=None is another overload (DivBackward2)


def check_dtype_keyword(name, dtype):
    """The parser's TypeError for a ``dtype`` it does not take (a NumPy dtype, type or scalar, a name)."""
    if dtype is not None and not _dtype.is_argument(dtype):
        from ..nn._functional._args import _tp_name

        raise TypeError(f"{name}(): argument 'dtype' must be torchless.dtype, not {_tp_name(dtype)}")


def check_scan_dtype(tensor, dtype, kernel):
    """cumsum's and cumprod's check of their ``dtype`` (a dtype, as the parser's), and refusal of dtype=bool:
    PyTorch has no bool ``kernel`` to accumulate in (and runs none for a 0-d tensor or one without elements)."""
    check_dtype_keyword(kernel[:kernel.index("_out")], dtype)
    if dtype is _dtype.bool and tensor._data.ndim and tensor._data.size:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def division_operand(rounding_mode):
    """How div_ checks its operand before dividing (see Tensor._inplace's ``operand``): a true division computes
    in floats, a rounded one in the promoted dtype; an unknown mode is refused by div itself, first."""
    if rounding_mode is NO_ROUNDING_MODE or rounding_mode is None:
        return "float"
    return "dtype" if rounding_mode in ("floor", "trunc") else False


def arg_extremum_arguments(name, args, kwargs, input=()):
    """argmax/argmin's (dim, keepdim): plain ones straight through, others through PyTorch's parser."""
    if len(args) <= 2 and (not kwargs or kwargs.keys() <= {"dim", "keepdim"}):
        dim = args[0] if args else kwargs.get("dim")
        keepdim = args[1] if len(args) > 1 else kwargs.get("keepdim", False)
        if (dim is None or type(dim) is int) and type(keepdim) is bool and \
                not (args and "dim" in kwargs or len(args) > 1 and "keepdim" in kwargs):
            return dim, keepdim
    return _parser_errors.arg_extremum_arguments(name, input + args, kwargs, function=bool(input))


def check_lerp_arguments(name, end, weight):
    """lerp's overloads take a tensor ``end`` and a tensor or number ``weight``."""
    if not isinstance(end, Tensor) or not isinstance(weight, (Tensor, NUMBERS)):
        raise _parser_errors.invalid_combination(name, ("Tensor end, Tensor weight", "Tensor end, Number weight"),
                                                 (end, weight))
    if type(weight) is int:  # (read into PyTorch's Scalar: int64, or uint64 if positive)
        _dtype.check_64_bits(weight)
    elif isinstance(weight, np.unsignedinteger):
        check_numpy_number(weight)


def check_tensor_other(other, name):
    """PyTorch's methods without a number overload (maximum, logical_and, isclose, ...) refuse numbers too."""
    if not isinstance(other, Tensor):
        raise _parser_errors.not_tensor(name, "other", 1, other)


def check_index_along(shape, axis, idx, name, role, source_shape=None):
    """PyTorch's gather / scatter checks of an index array ``idx`` along ``axis`` of an array of ``shape``
    (a 0-d array or index counts as one element): dtype, rank, sizes, then each index in range."""
    if idx.dtype not in (np.int64, np.int32):  # (scatter_add shares scatter's check, and its name)
        raise RuntimeError(f"{'scatter' if name == 'scatter_add' else name}(): Expected dtype int32/int64 for index")
    if role == "self":
        check_scatter_shapes(shape, axis, idx, source_shape)
    else:
        _check_gather_shapes(shape, axis, idx)
    check_index_values(shape, axis, idx)


def _check_gather_shapes(shape, axis, idx):
    if max(idx.ndim, 1) != max(len(shape), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    if len(shape) and idx.ndim:
        too_large = [d for d in range(idx.ndim) if d != axis and idx.shape[d] > shape[d]]
        if too_large:
            raise RuntimeError(f"Size does not match at dimension {too_large[0]} expected index {list(idx.shape)} "
                               f"to be no larger than self {list(shape)} apart from dimension {axis}")


def _nonempty_size(shape, d):
    return shape[d] if len(shape) else 1


def check_scatter_shapes(shape, axis, idx, source_shape=None):
    """PyTorch's scatter_shape_check of an index array ``idx`` scattering along ``axis`` into an array of ``shape``
    (from a source of ``source_shape``; None for a number): nothing of an empty index, else its rank, then whether
    it is larger than self (apart from ``axis``) or the source, the source's rank being checked before that."""
    if not idx.size:
        return
    if max(idx.ndim, 1) != max(len(shape), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    dims = range(max(len(shape), 1))
    too_large = any(d != axis and _nonempty_size(idx.shape, d) > _nonempty_size(shape, d) for d in dims)
    if source_shape is None:
        if too_large:
            raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(shape)} apart from "
                               f"dimension {axis}")
        return
    for d in dims if not too_large else ():
        if source_shape and d >= len(source_shape):  # (PyTorch reads the size of a dim the source lacks)
            raise IndexError(f"Dimension out of range (expected to be in range of [{-len(source_shape)}, "
                             f"{len(source_shape) - 1}], but got {d})")
        if _nonempty_size(idx.shape, d) > _nonempty_size(source_shape, d):
            too_large = True
            break
    if max(len(source_shape), 1) != max(idx.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if too_large:
        raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(shape)} apart from "
                           f"dimension {axis} and to be no larger size than src {list(source_shape)}")


def check_scatter_arguments(array, axis, idx, source, name):
    """PyTorch's checks of a scatter's index array ``idx`` along ``axis`` of ``array`` from the array ``source``
    (None for a number), before its kernel: the index dtype (not of an empty index), the source's, the shapes."""
    label = "scatter" if name == "scatter_add" else name  # (scatter_add shares scatter's checks, and its name)
    if idx.size and idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{label}(): Expected dtype int32/int64 for index")
    if source is not None and source.dtype != array.dtype:
        raise RuntimeError(f"{label}(): Expected self.dtype to be equal to src.dtype")
    check_scatter_shapes(array.shape, axis, idx, None if source is None else source.shape)


def check_index_values(shape, axis, idx):
    """The kernel's check of each index along ``axis`` of an array of ``shape``: in range (negative ones too)."""
    size = shape[axis] if len(shape) else 1
    # (one pass first: read as unsigned, a negative index is beyond any size)
    if idx.size and idx.view(np.dtype(f"u{idx.itemsize}")).max() >= size:
        outside = (idx < 0) | (idx >= size)
        raise RuntimeError(f"index {idx.reshape(-1)[np.argmax(outside.reshape(-1))]} is out of bounds for dimension "
                           f"{axis} with size {size}")


def _no_overload_matches(name, got, overloads, marked=None):
    """PyTorch's TypeError when no overload of ``name`` takes the arguments ``got``: each overload listed, with
    the arguments again, the mismatching ones in !...!, under each (``marked``; None: no such line)."""
    why = "\n" if marked is None else \
        f"\n      didn't match because some of the arguments have invalid types: ({marked})\n"
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     + "".join(f" * {overload}{why}" for overload in overloads))


def check_bound(value, name, arg):
    """PyTorch's TypeError for a clamp_min/clamp_max bound that is neither a tensor nor a number (None too)."""
    if not isinstance(value, (Tensor, NUMBERS)):
        got = type(value).__name__
        raise _no_overload_matches(name, got, [f"(Tensor {arg})", f"(Number {arg})"], f"!{got}!")


CLAMP_OVERLOADS = ("Tensor min = None, Tensor max = None", "Number min = None, Number max = None")  # as printed


def clamp_bounds(min, max, name):
    """The bounds of clamp as PyTorch's overloads read them: (Tensor min, Tensor max) or (Number min, Number max),
    None fitting either. A 0-d tensor that does not require grad passes as a Number beside a number, so it is
    read as one (its dtype then counts as a number's); a tensor with dims beside a number fits neither."""
    bounds = (min, max)
    if not all(b is None or _parser_errors.is_operand(b) for b in bounds):  # (read back as given by position)
        raise _parser_errors.invalid_combination(name, CLAMP_OVERLOADS, bounds if max is not None else (min,))
    if not any(isinstance(b, Tensor) for b in bounds) or all(b is None or isinstance(b, Tensor) for b in bounds):
        return min, max
    if all(not isinstance(b, Tensor) or (not b._data.ndim and not b.requires_grad) for b in bounds):
        return tuple(b.item() if isinstance(b, Tensor) else b for b in bounds)
    got = ", ".join("Tensor" if isinstance(b, Tensor) else type(b).__name__ for b in bounds)
    marked = ", ".join("!Tensor!" if isinstance(b, Tensor) else f"!{type(b).__name__}!" for b in bounds)
    raise _no_overload_matches(name, got, ["(Tensor min = None, Tensor max = None)",
                                           "(Number min = None, Number max = None)"], marked)


def reduced_axes(name, dim, keepdim, ndim, dtype=None, **keywords):
    """normalize_dims for the reduction ``name``, whose bad dim or non-bool keepdim is PyTorch's parser's
    TypeError (read back from the arguments by reduction_error)."""
    if keepdim.__class__ is not bool or dtype is not None and not _dtype.is_argument(dtype) or \
            type(dim) is not int and isinstance(dim, Tensor):  # (a one-element tensor is no lone int[]? dim)
        error = _parser_errors.reduction_error(name, dim, keepdim, dtype, **keywords)
        if error is not None:
            raise error
    try:
        if name in _WRAP_EVERY_DIM_FIRST and isinstance(dim, (tuple, list)):
            for d in list_elements(dim):  # a dim out of range before a repeated one
                normalize_dim(d, ndim)
        return normalize_dims(dim, ndim)
    except TypeError as error:
        raise _parser_errors.reduction_error(name, dim, keepdim, dtype, **keywords) or error from None


# The reductions whose structured kernels check that every dim of a list is in range before looking for a repeated
# one (std, var, nansum check them in turn)
_WRAP_EVERY_DIM_FIRST = frozenset({"sum", "mean", "amax", "amin", "logsumexp", "count_nonzero", "any", "all"})


def check_masked_fill_arguments(name, mask, value, input=()):
    """PyTorch's parser TypeError for a mask that is no tensor or a value that is neither a tensor nor a number
    (``input``: the function form's tensor, listed first)."""
    if not isinstance(mask, Tensor) or not _parser_errors.is_operand(value):
        first = "Tensor input, " if input else ""
        raise _parser_errors.invalid_combination(
            name, [f"{first}Tensor mask, Tensor value", f"{first}Tensor mask, Number value"], input + (mask, value))


def check_masked_fill_value_and_mask(value, mask):
    """masked_fill_'s kernel's first checks: a value tensor without dims, a bool mask (named by its C++ type)."""
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_dtype.CPP_SCALAR_NAMES[mask._data.dtype.name]}")


def variance_arguments(name, args, kwargs, overloads=None):
    """The arguments of var/std (var_mean/std_mean with their function ``overloads``, ``input`` left out) as
    PyTorch's parser takes them: (dim, correction, keepdim, shown), ``shown`` the correction its node saves, which
    tells the overloads apart: None from the correction one given none (``x.var()``), else the correction given,
    1 or 0 from the unbiased ones (``x.var(None)``, ``x.var(unbiased=False)``)."""
    if not args and not kwargs:
        return None, 1, False, None
    if overloads is None and len(args) == 1 and args[0].__class__ is int and -2 ** 63 <= args[0] < 2 ** 63 and (
            not kwargs or kwargs.keys() == {"keepdim"} and kwargs["keepdim"].__class__ is bool):
        return [args[0]], 1, kwargs.get("keepdim", False), 1  # (x.var(dim): the parser's reading, without it)
    index, bound = _parser_errors.parse_overload(name, overloads or _parser_errors.METHOD_OVERLOADS[name], args,
                                                 kwargs)
    if index == 1:
        shown = bound["correction"]
        if isinstance(shown, Tensor):  # (a 0-d tensor is a Number to the parser: its value)
            shown = shown.item()
        return bound["dim"], 1 if shown is None else shown, bound["keepdim"], shown
    correction = int(bound["unbiased"])
    return bound.get("dim"), correction, bound.get("keepdim", False), correction


def refuse_complex_gradient(name, tensor):
    """PyTorch's refusal to record ``name`` (an op it computes for complex tensors without a derivative) on a
    complex ``tensor`` while gradients are recorded."""
    if tensor._data.dtype.kind == "c" and records(tensor):
        raise RuntimeError(f"{name} does not support automatic differentiation for outputs with complex dtype.")


def refuse_relu(tensor):
    """PyTorch's refusal of a bool, complex, uint16, uint32 or uint64 tensor by relu (called for those and uint8,
    which passes)."""
    if tensor._data.dtype.kind == "u":
        _dtype.refuse_wide_unsigned("clamp_min_scalar_cpu", tensor._data.dtype)
        return
    if tensor._data.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    raise NotImplementedError("clamp is not supported for complex types")


def check_uniform_bounds(a, b, np_dtype=None):
    """PyTorch's refusal of an inverted range, and for a float ``np_dtype`` of bounds outside its range (NaN and inf
    too) or of a range wider than its largest value; numbers printed as C++ streams print doubles."""
    largest = _dtype.FLOAT_MAX.get(np_dtype)
    if largest is not None:
        for name, bound in (("from", a), ("to", b)):
            if not -largest <= bound <= largest:
                raise RuntimeError(f"{name} is out of bounds for {_dtype.CPP_SCALAR_NAMES[np_dtype.name]}")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}")
    if largest is not None and b - a > largest:
        limits = f"std::numeric_limits<{_dtype.from_numpy_dtype(np_dtype).scalar_name}>::max()"
        raise RuntimeError(f"uniform_ expects to-from <= {limits}, but found to={b:g} and from={a:g} which result in "
                           "to-from to exceed the limit")

