"""The ``out=`` keyword of the torch namespace's functions (``torch.add(a, b, out=c)``).

The result is computed as without ``out`` and then written into the given tensor, as PyTorch's out variants
behave: it must be castable to ``out``'s dtype (the in-place rule: no float into an integer tensor), an ``out``
of another shape is resized (with PyTorch's deprecation warning unless it was empty), and ``out`` is returned.
Such calls are not recorded for autograd, so an operand requiring grad is PyTorch's error while grad mode is on.
"""
import functools


from . import _dtype, _memory_overlap
from .autograd import forward_ad
from .return_types import out_variant
from ._user_warnings import warn_from_user_code


def with_out(name, function):
    """``function`` also taking ``out=`` (a tensor, or a tuple of them for a function returning several)."""

    @functools.wraps(function)
    def call(*args, out=None, **kwargs):
        try:  # (free unless raised)
            if out is None:
                return function(*args, **kwargs)
            # (PyTorch's parser refuses some out= calls that the function itself takes: sum(x, out=t) has no dim)
            raise_parser_error(name, args, _with_out_keyword(kwargs, out))
            return call_into(name, out, function, args, kwargs)
        except Exception:
            raise_parser_error(name, args, _with_out_keyword(kwargs, out))
            raise

    return call


def _with_out_keyword(kwargs, out):
    """``kwargs`` with ``out`` among them where the user's call has it (out=None too), in its order (which the
    order PyTorch's messages list them in follows); else a given ``out`` last."""
    from ._written_call import written_keywords

    written = written_keywords()
    if written is not None and set(written) == {*kwargs, "out"}:
        return {key: out if key == "out" else kwargs[key] for key in written}
    return kwargs if out is None else {**kwargs, "out": out}


def parsed_on_failure(name, function):
    """``function``, the torch namespace's ``name``, whose failing calls raise PyTorch's parser TypeError where its
    parser refuses them (which it does before anything else), as with_out's do."""

    @functools.wraps(function)
    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception:
            raise_parser_error(name, args, kwargs)
            raise

    return call


def raise_parser_error(name, args, kwargs):
    """Raise PyTorch's parser TypeError for the failed call ``name(*args, **kwargs)`` where its parser refuses it."""
    from ._parser_errors import function_error

    error = function_error(name, args, kwargs)
    if error is not None:
        raise error from None


def accepts_out(name):
    """Decorator form of :func:`with_out`."""
    return functools.partial(with_out, name)


def _tensors_in(values):
    from ._tensor import Tensor

    for value in values:
        if isinstance(value, Tensor):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from _tensors_in(value)


def call_into(name, out, function, args, kwargs):
    """``function(*args, **kwargs)`` written into ``out`` (a tensor, or a tuple of them), as PyTorch's out= variant
    ``name`` does."""
    from ._tensor import Tensor
    from .autograd.grad_mode import is_grad_enabled, no_grad

    targets = out if isinstance(out, (tuple, list)) else (out,)
    for target in targets:
        if not isinstance(target, Tensor):
            from .nn._functional._args import _tp_name
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {_tp_name(target)}")
    if is_grad_enabled() and any(t.requires_grad for t in _tensors_in((args, tuple(kwargs.values()), targets))):
        shown = "cat" if name in _CONCATENATING and name != "stack" else name  # (their out= variants call cat's)
        raise RuntimeError(f"{shown}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    if forward_ad.state.vmap_levels:
        _refuse_batched_out(name, args, kwargs, targets)
    _check_out_overlap(name, targets, _tensors_in((args, tuple(kwargs.values()))))
    if name == "ldexp" and len(targets) == 1 and targets[0]._data.dtype.kind in "biu":
        raise RuntimeError(f"ldexp can't be cast to the desired output type {targets[0].dtype.scalar_name}")
    if (name in _REAL_KERNELS_CAST_CHECKED_FIRST and args and isinstance(args[0], Tensor) and len(targets) == 1
            and args[0]._data.dtype.kind == "c" and not _dtype.can_cast(args[0]._data.dtype, targets[0]._data.dtype)):
        raise _cast_error(args[0]._data.dtype, targets[0]._data.dtype)
    if name in _PROMOTED_CAST_CHECKED_FIRST and len(args) >= 2 and len(targets) == 1:
        _check_promoted_cast(name, targets[0], args[0], args[1], kwargs)
    if (name in _DTYPE_CHECKED_FIRST and args and isinstance(args[0], Tensor) and len(targets) == 1
            and not (args[0].is_complex() and name in _OWN_COMPLEX_RULE)):
        _check_exact_dtype(name, targets[0], args[0])  # (before the kernel's own refusal of the input's dtype)
    if name in _DTYPE_ARGUMENT_IS_OUTS and kwargs.get("dtype") is not None and len(targets) == 1:
        _check_requested_dtype(name, targets[0], kwargs["dtype"])
    if name in _OUT_DTYPE_COMPUTES and kwargs.get("dtype") is None and len(targets) == 1:
        kwargs = {**kwargs, "dtype": targets[0].dtype}
    result = function(*args, **kwargs)
    results = result if isinstance(result, tuple) else (result,)
    if isinstance(out, (tuple, list)) and len(results) > 1 and len(results) != len(targets):
        raise TypeError(f"expected tuple of {len(results)} elements but got {len(targets)}")
    if len(results) != len(targets) or not all(isinstance(r, Tensor) for r in results):
        expected = f"a tuple of {len(results)} tensors" if len(results) > 1 else "Tensor"
        raise TypeError(f"{name}(): argument 'out' must be {expected}")
    for index in _RESULTS_CHECK_ORDER.get(name, range(len(results))):
        _check_exact_dtype(name, targets[index], results[index], index)
    with no_grad():
        for target, value in zip(targets, results):
            _write(target, value)
    if isinstance(out, (tuple, list)):
        # a named pair (values, indices) comes back as one (max's as a max_out), holding the out tensors
        return out_variant(type(result))(*targets) if type(result) is not tuple else tuple(targets)
    return out


# The aten overloads of the out= variants whose name is not ``{name}.out``; the batching fallback cannot make one
# for those listed with None
_OUT_OVERLOADS = {"sum": "sum.IntList_out", "max": "max.dim_max", "min": "min.dim_min", "cat": None, "concat": None,
                  "concatenate": None, "stack": None, "hstack": None, "vstack": None, "dstack": None}


def _refuse_batched_out(name, args, kwargs, targets):
    """vmap's refusal of an out= call on a batched tensor: PyTorch has no batching rule for out= variants."""
    from ._tensor import Tensor

    if not any(forward_ad.batched(t) for t in _tensors_in((args, tuple(kwargs.values()), targets))):
        return
    if name == "pow":
        overload = "pow.Tensor_Tensor_out" if all(isinstance(a, Tensor) for a in args[:2]) else \
            "pow.Tensor_Scalar_out" if isinstance(args[0], Tensor) else "pow.Scalar_out"
    else:
        overload = _OUT_OVERLOADS.get(name, f"{name}.out")
    if overload is None:
        raise RuntimeError(f"Batching rule not implemented for aten::{name}.out. We could not generate a fallback.")
    raise RuntimeError(f"Batching rule not implemented for aten::{overload}; the fallback path doesn't work on out= "
                       "or view ops.")


# The out= variants that refuse an input sharing memory with out (see _memory_overlap): PyTorch's elementwise ops
# (its TensorIterator), and a few others that copy an input into out first, refuse an input sharing only part of
# it; those that write out in another order than they read (concatenation, gathers) refuse any sharing. The others
# (reductions, matrix products, ...) compute into a buffer of their own or do not check.
_PARTIAL_OVERLAP_REFUSED = frozenset((
    "abs absolute acos acosh add addcdiv addcmul addmm angle arccos arccosh arcsin arcsinh arctan arctan2 arctanh "
    "asin asinh atan atan2 atanh bitwise_and bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift "
    "bitwise_xor ceil chain_matmul clamp clamp_max clamp_min clip conj_physical copysign cos cosh cumprod cumsum "
    "deg2rad digamma div divide eq erf erfc erfinv exp exp2 expit expm1 fix float_power floor floor_divide fmax fmin "
    "fmod frac gcd ge greater greater_equal gt hardshrink heaviside hypot i0 igamma igammac lcm ldexp le lerp less "
    "less_equal lgamma log log10 log1p log2 logaddexp logaddexp2 logcumsumexp logical_and logical_not logical_or "
    "logical_xor logit lt maximum minimum msort mul multiply nan_to_num ne neg negative nextafter not_equal pow "
    "rad2deg reciprocal remainder round rsqrt sgn sigmoid sign sin sinc sinh sort sqrt square sub subtract tan tanh "
    "true_divide trunc where xlogy").split())
_ANY_OVERLAP_REFUSED = frozenset((
    "cat column_stack concat concatenate dstack gather hstack index_add index_copy index_select kron masked_select "
    "row_stack scatter stack take take_along_dim vstack").split())


def _check_out_overlap(name, targets, inputs):
    """PyTorch's refusal, for the out= variant ``name``, of an input tensor sharing memory with an out tensor."""
    if name in _PARTIAL_OVERLAP_REFUSED:
        check = _memory_overlap.assert_no_partial_overlap
    elif name in _ANY_OVERLAP_REFUSED:
        check = _memory_overlap.assert_no_overlap
    else:
        return
    inputs = list(inputs)
    for target in targets:
        for tensor in inputs:
            check(target._data, tensor._data)


# Reductions that compute in out's dtype, as if it were given as their dtype argument (sum of floats into an
# int64 out sums the truncated values; into a bool out, in bool); a dtype argument given must be out's.
_OUT_DTYPE_COMPUTES = frozenset(("sum", "prod", "cumsum", "cumprod", "nansum"))
_DTYPE_ARGUMENT_IS_OUTS = _OUT_DTYPE_COMPUTES | {"mean"}

# The out= variants of PyTorch that want out of the result's dtype exactly (no cast on the way), with their messages
_SAME_DTYPE = "Expected out tensor to have dtype {result_cpp}, but got {out_cpp} instead"
_EXACT_DTYPE = {
    **{name: _SAME_DTYPE for name in ("mm", "bmm", "addmm", "addbmm", "baddbmm", "linear", "argmax", "argmin", "max",
                                      "min", "sort", "topk", "gather", "tril", "triu", "diag", "aminmax")},
    **{name: _SAME_DTYPE for name in ("softmax", "log_softmax", "linalg_vector_norm", "avg_pool2d", "avg_pool3d")},
    "linalg_matrix_norm": "linalg.matrix_norm expected out tensor dtype {result} but got: {out}",
    # (the activations of torch._C._nn, structured kernels)
    **{name: "Found dtype {out} but expected {result}" for name in ("hardshrink", "softshrink", "softplus", "gelu")},
    "log_sigmoid": "expected scalar type {result} but found {out}",
    "float_power": "the output given to float_power has dtype {out} but the operation's result requires dtype "
                   "{result}",
    "where": "Expected out type to be {result} but got {out}",
    "amax": "Expected the dtype for input and out to match, but got {result} for input's dtype and {out} for out's "
            "dtype.",
    "amin": "Expected the dtype for input and out to match, but got {result} for input's dtype and {out} for out's "
            "dtype.",
    "dot": "result dtype {out} does not match input dtype {result}",
    "mv": "addmv input tensors must have the same dtype, but got {out}, {result}, and {result}",
    "index_select": "index_select(): self and result must have the same scalar type",
    "masked_select": "masked_select(): self and result must have the same scalar type",
    "take": "take(): self and out expected to have the same dtype, but got self.dtype = {result} and out.dtype = {out}",
    # the unary ops whose result dtype is their input's (no float result for an integer input)
    **{name: "Found dtype {out} but expected {result}"
       for name in ("abs", "absolute", "neg", "negative", "round", "floor", "ceil", "trunc", "fix", "frac", "sign",
                    "sgn", "clamp", "clamp_min", "clamp_max", "clip", "bitwise_not")},
    **{name: f"{name} does not support non-boolean outputs." for name in ("signbit", "isposinf", "isneginf")},
    "nan_to_num": "nan_to_num: dtype of out: {out} should be same as input: {result}",
    "nonzero": "nonzero: Expected out tensor to have scalar type Long but got scalar type{out}",
    "cummax": "expected scalar_type {result} but found {out}",
    "cummin": "expected scalar_type {result} but found {out}",
    "histc": "torchless.histogram: input tensor and hist tensor should have the same dtype, but got input {result_cpp} "
             "and hist {out_cpp}",
    # the functions of several results, a message for each (values, indices)
    "kthvalue": ("output values must be of same type as input", "output indices must be of scalar type Long"),
    "mode": ("expected scalar type '{result}' but got '{out}' for values output",
             "expected scalar type '{result}' but got '{out}' for indices output"),
    **dict.fromkeys(("median", "nanmedian"), (
        "Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; but type {out_type} does "
        "not equal {result_type} (while checking arguments for median)",
        "Expected tensor for argument #1 'indices' to have scalar type Long; but got {out_type} instead (while "
        "checking arguments for median)")),
    "frexp": ("torchless.frexp() expects mantissa to have dtype {result_cpp} but got {out_cpp}",
              "torchless.frexp() expects exponent to have int dtype but got {out_cpp}"),
    "histogram": ("torchless.histogram: input tensor and hist tensor should have the same dtype, but got input "
                  "{result_cpp} and hist {out_cpp}",
                  "torchless.histogram: input tensor and bin_edges tensor should have the same dtype, but got input "
                  "{result_cpp} and bin_edges {out_cpp} for dimension 0"),
}
# The order PyTorch checks the out tensors of a function of several results in, where it is not theirs
_RESULTS_CHECK_ORDER = {"median": (1, 0), "nanmedian": (1, 0)}

# Of those unary ops, the ones whose out dtype PyTorch checks against the input's before its kernel refuses an input
# dtype (abs of a bool tensor into a float out is that mismatch, not "abs_cpu" not implemented for 'Bool')
_DTYPE_CHECKED_FIRST = frozenset(("abs", "absolute", "round", "floor", "ceil", "trunc", "fix", "frac", "bitwise_not"))
# (and those with a rule of their own for a complex input: a real result, or a refusal before any dtype check)
_OWN_COMPLEX_RULE = frozenset(("abs", "absolute", "floor", "ceil", "trunc", "fix"))

# The binary ops whose kernels refuse some dtypes (or an integer zero divisor) after PyTorch's TensorIterator has
# checked that their promoted dtype casts to out's: floor_divide(ints, 0, out=<bool>) is that cast's error; those
# of the second set promote integers to the default float dtype (div without a rounding mode)
_PROMOTED_CAST_CHECKED_FIRST = frozenset((
    "remainder fmod floor_divide div divide true_divide bitwise_and bitwise_or bitwise_xor bitwise_left_shift "
    "bitwise_right_shift atan2 arctan2").split())
_INTEGERS_TO_FLOAT = frozenset(("atan2", "arctan2", "true_divide"))
# The unary ops without a complex kernel whose complex input into a real out is that cast's error, not the kernel's
_REAL_KERNELS_CAST_CHECKED_FIRST = frozenset("digamma erf erfc erfinv i0 lgamma logit".split())


def _check_promoted_cast(name, target, a, b, kwargs):
    import numbers

    import numpy as np

    from ._info import computation_dtype
    from ._tensor import Tensor

    operands = (a, b)
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in operands) or not any(isinstance(v, Tensor)
                                                                                     for v in operands):
        return  # (the parser's error, raised by the call)
    try:
        np.broadcast_shapes(*(v._data.shape for v in operands if isinstance(v, Tensor)))
    except ValueError:
        return  # (the broadcasting error comes first, raised by the call)
    promoted = computation_dtype(a, b).numpy
    if promoted.kind in "biu" and (name in _INTEGERS_TO_FLOAT
                                   or name in ("div", "divide") and kwargs.get("rounding_mode") is None):
        promoted = _dtype.get_default_dtype().numpy
    if not _dtype.can_cast(promoted, target._data.dtype):
        raise _cast_error(promoted, target._data.dtype)


def _cast_error(source, destination):
    return RuntimeError(f"result type {_dtype.from_numpy_dtype(source).scalar_name} can't be cast to the desired "
                        f"output type {_dtype.from_numpy_dtype(destination).scalar_name}")


def _check_requested_dtype(name, target, dtype):
    """PyTorch's refusal of an out tensor of another dtype than the reduction's ``dtype`` argument."""
    if target.dtype is dtype:
        return
    if name == "nansum":
        raise RuntimeError(f"nansum: provided dtype must match dtype of result. Got {target.dtype.scalar_name} and "
                           f"{dtype.scalar_name}.")
    raise RuntimeError(_SAME_DTYPE.format(result_cpp=_dtype.CPP_SCALAR_NAMES[dtype.numpy.name],
                                          out_cpp=_dtype.CPP_SCALAR_NAMES[target._data.dtype.name]))


_CONCATENATING = frozenset(("cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack",
                            "column_stack"))


def _check_exact_dtype(name, target, value, index=0):
    """PyTorch's refusal of ``target``, the out tensor of result ``index`` of ``name``, for not having the dtype of
    that result (``value``)."""
    if target._data.dtype == value._data.dtype:
        return
    if name in _CONCATENATING and not _dtype.can_cast(value._data.dtype, target._data.dtype):
        # (stack and the *stack functions concatenate: their error is cat's)
        raise TypeError(f"torchless.cat(): input types can't be cast to the desired output type "
                        f"{_dtype.from_numpy_dtype(target._data.dtype).scalar_name}")
    template = _EXACT_DTYPE.get(name)
    if isinstance(template, tuple):  # one message per result
        template = template[index]
    if name == "matmul":  # a product of two vectors is dot's, the others mm's
        template = "result dtype {out} does not match input dtype {result}" if value._data.ndim == 0 else _SAME_DTYPE
    if template is None:
        return
    result, out = _dtype.from_numpy_dtype(value._data.dtype), _dtype.from_numpy_dtype(target._data.dtype)
    raise RuntimeError(template.format(result=result.scalar_name, out=out.scalar_name,
                                       result_cpp=_dtype.CPP_SCALAR_NAMES[result.numpy.name],
                                       out_cpp=_dtype.CPP_SCALAR_NAMES[out.numpy.name],
                                       result_type=_dtype.type_text(result), out_type=_dtype.type_text(out)))


def warn_resized_output(shape, required_shape):
    """PyTorch's warning that an out tensor of ``shape`` with elements is resized to ``required_shape``."""
    warn_from_user_code(
        f"An output with one or more elements was resized since it had shape {list(shape)}, which does not match "
        f"the required output shape {list(required_shape)}. This behavior is deprecated, and in a future PyTorch "
        "release outputs will not be resized unless they have zero elements. You can explicitly reuse an out tensor "
        "t by resizing it, inplace, to zero elements with t.resize_(0). (Triggered internally at "
        "/__w/pytorch/pytorch/aten/src/ATen/native/Resize.cpp:30.)")


def _write(target, value):
    source, destination = value._data.dtype, target._data.dtype
    if not _dtype.can_cast(source, destination):
        raise _cast_error(source, destination)
    if target._data.shape != value._data.shape:
        if target._data.size:
            warn_resized_output(target._data.shape, value._data.shape)
        from ._ops.tensor_extras import resized

        target._data = resized(target._data, value._data.shape)  # (in the storage of a view of a larger tensor)
    target.copy_(value)
