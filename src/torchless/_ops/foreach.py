"""The ``torch._foreach_*`` functions: one op applied to each tensor of a list (``_foreach_lerp_(ema_params,
params, 0.1)``, ``_foreach_norm(grads)``), as EMA helpers, gradient clipping and hand-written optimizers call
them. PyTorch fuses the loop into few kernels; here each element runs the tensor op it stands for, so values,
dtypes, type promotion, autograd and in-place checks are the tensor op's own.

The out-of-place forms return a tuple of results, the in-place forms return their first argument, as PyTorch's
do. The second operand is a Number (the same for every tensor), a list of Numbers, a list of Tensors, or (for the
binary ops) a 0-dim Tensor, checked against the list's length with PyTorch's messages."""
from numbers import Number

from .._tensor import Tensor

UNARY_OPS = ("abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "erf", "erfc", "exp", "expm1", "floor", "frac",
             "lgamma", "log", "log10", "log1p", "log2", "neg", "reciprocal", "round", "rsqrt", "sigmoid", "sign",
             "sin", "sinh", "sqrt", "tan", "tanh", "trunc")

# name: the tensor method each element runs (torch.clamp_min of a tensor bound is torch.maximum, NaNs included,
# and has the in-place form maximum lacks)
BINARY_OPS = {"add": "add", "sub": "sub", "mul": "mul", "div": "div", "pow": "pow", "clamp_min": "clamp_min",
              "clamp_max": "clamp_max", "maximum": "clamp_min", "minimum": "clamp_max"}

# The clamp kernels' scalar forms name the element type they cannot cast to by its C++ name
_CLAMPS = ("clamp_min", "clamp_max", "maximum", "minimum")
_CPP_TYPE_NAMES = {"Bool": "bool", "Byte": "unsigned char", "Char": "signed char", "Short": "short int",
                   "Int": "int", "Long": "long int"}

# The binary ops whose Tensor-list (and 0-dim Tensor) form takes ``alpha``
_TAKES_ALPHA = ("add", "sub")

# The second operand's names in PyTorch's overloads of the binary ops (timm's EMA calls
# ``_foreach_mul_(params, scalar=decay)``), as its parser lists them
_OPERAND_NAMES = ("scalars", "other", "scalar")
_BINARY_OVERLOADS = ("tuple of Tensors self, tuple of Scalars scalars", "tuple of Tensors self, Tensor other",
                     "tuple of Tensors self, tuple of Tensors other", "tuple of Tensors self, Number scalar")


def _checked_list(name, tensors):
    if not isinstance(tensors, (list, tuple)) or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"{name}(): argument 'self' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise RuntimeError("Tensor list must have at least one tensor.")
    return tensors


def _same_length(tensors, others):
    if len(others) != len(tensors):
        raise RuntimeError(f"Tensor lists must have the same number of tensors, got {len(tensors)} and "
                           f"{len(others)}")
    return others


def _per_tensor(tensors, operand):
    """``operand`` spread over ``tensors``: one item per tensor, from a Number, a 0-dim Tensor, a list of Numbers
    or a list of Tensors."""
    if isinstance(operand, Tensor):
        if operand.dim() != 0:
            raise RuntimeError(f"scalar tensor expected to be 0 dim but it has {operand.dim()} dimensions and "
                               f"{operand.numel()} elements.")
        return [operand] * len(tensors)
    if isinstance(operand, (list, tuple)):
        if operand and all(isinstance(item, Tensor) for item in operand):
            return _same_length(tensors, operand)
        if len(operand) != len(tensors):
            raise RuntimeError("Tensor list must have same number of elements as scalar list.")
        return operand
    return [operand] * len(tensors)


def _packed_scalars(tensors, values):
    """addcmul's and addcdiv's ``value``: a Number, a list of Numbers, or a 1-D Tensor of them."""
    if isinstance(values, Tensor):
        if values.dim() != 1:
            raise RuntimeError(f"Expected packed scalar Tensor to be of dimension 1. Got {values.dim()} instead.")
        values = values.tolist()
    if isinstance(values, (list, tuple)):
        if len(values) != len(tensors):
            raise RuntimeError("Tensor list must have same number of elements as scalar list.")
        return values
    return [values] * len(tensors)


def _applied(inplace, tensors, results):
    """What a foreach function returns: its first argument when in place, else a tuple of the results."""
    return tensors if inplace else tuple(results)


def _unary(op, inplace):
    name = f"_foreach_{op}{'_' * inplace}"
    method = op + "_" * inplace

    def foreach(self):
        _checked_list(name, self)
        return _applied(inplace, self, [getattr(t, method)() for t in self])

    foreach.__name__ = foreach.__qualname__ = name
    return foreach


def _binary(op, inplace):
    name = f"_foreach_{op}{'_' * inplace}"
    method = BINARY_OPS[op] + "_" * inplace

    def foreach(self, *operand, alpha=None, **named):
        other = operand[0] if len(operand) == 1 and not named else _named_operand(name, self, operand, named, alpha)
        _checked_list(name, self)
        others = _per_tensor(self, other)
        if alpha is not None and op not in _TAKES_ALPHA:
            raise TypeError(f"{name}() got an unexpected keyword argument 'alpha'")
        keywords = {} if alpha is None else {"alpha": alpha}
        try:
            results = [getattr(t, method)(o, **keywords) for t, o in zip(self, others)]
        except RuntimeError as error:
            scalar_operands = not isinstance(others[0], Tensor) or isinstance(other, Tensor)
            if op in _CLAMPS and scalar_operands:
                raise _with_cpp_type_name(error) from None
            raise
        return _applied(inplace, self, results)

    foreach.__name__ = foreach.__qualname__ = name
    return foreach


def _named_operand(name, tensors, operand, named, alpha):
    """The second operand of a binary op given under one of its overloads' names (``scalar=0.5``), or PyTorch's
    parser error for none, two, one of the wrong kind, or a name no overload has."""
    given = list(operand) + [named[key] for key in _OPERAND_NAMES if key in named]
    if len(given) != 1 or set(named) - set(_OPERAND_NAMES) or not all(_fits(key, named[key]) for key in named):
        from .._parser_errors import invalid_combination

        keywords = dict(named) if alpha is None else {**named, "alpha": alpha}
        raise invalid_combination(name, _BINARY_OVERLOADS, (tensors, *operand), keywords)
    return given[0]


def _fits(name, operand):
    """Whether ``operand`` is of the kind its name stands for in PyTorch's overloads."""
    from .._parser_errors import is_number_argument

    if name == "scalar":
        return is_number_argument(operand)
    if not isinstance(operand, (list, tuple)):
        return name == "other" and isinstance(operand, Tensor)
    return all(isinstance(item, Tensor) == (name == "other") for item in operand)


def _with_cpp_type_name(error):
    message = str(error)
    head, _, type_name = message.rpartition("desired output type ")
    if not head or type_name not in _CPP_TYPE_NAMES:
        return error
    return RuntimeError(head + "desired output type " + _CPP_TYPE_NAMES[type_name])


def _pointwise(op, inplace):
    """addcmul and addcdiv: ``self[i] + value[i] * op(tensor1[i], tensor2[i])``."""
    name = f"_foreach_{op}{'_' * inplace}"
    method = op + "_" * inplace

    def foreach(self, tensor1, tensor2, value=1):
        _checked_list(name, self)
        _same_length(self, tensor1)
        _same_length(self, tensor2)
        values = _packed_scalars(self, value)
        return _applied(inplace, self, [getattr(t, method)(a, b, value=v)
                                        for t, a, b, v in zip(self, tensor1, tensor2, values)])

    foreach.__name__ = foreach.__qualname__ = name
    return foreach


def _lerp(inplace):
    name = f"_foreach_lerp{'_' * inplace}"
    method = "lerp" + "_" * inplace

    def foreach(self, tensors1, weight):
        _checked_list(name, self)
        _same_length(self, tensors1)
        return _applied(inplace, self, [getattr(t, method)(end, w)
                                        for t, end, w in zip(self, tensors1, _per_tensor(self, weight))])

    foreach.__name__ = foreach.__qualname__ = name
    return foreach


def _pow_scalar_base(namespace):
    pow_of = namespace["pow"]

    def _foreach_pow(self, exponent=None):
        if isinstance(self, Number) and not isinstance(self, bool):
            _checked_list("_foreach_pow", exponent)
            return tuple(pow_of(self, t) for t in exponent)
        return _binary("pow", False)(self, exponent)

    return _foreach_pow


def _reductions():
    def _foreach_norm(self, ord=2, dtype=None):
        from ..linalg import vector_norm

        _checked_list("_foreach_norm", self)
        if not isinstance(ord, Number):
            raise TypeError(f"_foreach_norm(): argument 'ord' (position 2) must be Number, not "
                            f"{type(ord).__name__}")
        return tuple(vector_norm(t, ord, dtype=dtype) for t in self)

    def _foreach_powsum(self, ord=2, dtype=None):
        _checked_list("_foreach_powsum", self)
        if not all(t.is_floating_point() or t.is_complex() for t in self):
            # PyTorch's kernel widens every integer (and bool) list to int64 before refusing it
            raise NotImplementedError("\"powsum_cpu\" not implemented for 'Long'")
        return tuple(t.abs().pow(ord).sum(dtype=dtype) for t in self)

    def _foreach_max(self):
        _checked_list("_foreach_max", self)
        if any(t.numel() == 0 for t in self):
            raise RuntimeError("_foreach_max cannot compute the maximum of an empty tensor; max over zero "
                               "elements is undefined.")
        return tuple(t.max() for t in self)

    return {"_foreach_norm": _foreach_norm, "_foreach_powsum": _foreach_powsum, "_foreach_max": _foreach_max}


def _copies():
    def _foreach_copy_(self, src, non_blocking=False):
        _checked_list("_foreach_copy_", self)
        for t, s in zip(self, _same_length(self, src)):
            t.copy_(s, non_blocking)
        return self

    def _foreach_zero_(self):
        _checked_list("_foreach_zero_", self)
        for t in self:
            t.zero_()
        return self

    def _foreach_clone(self):
        _checked_list("_foreach_clone", self)
        return tuple(t.clone() for t in self)

    def _foreach_mm(self, mat2):
        _checked_list("_foreach_mm", self)
        return tuple(t.mm(m) for t, m in zip(self, _same_length(self, mat2)))

    return {"_foreach_copy_": _foreach_copy_, "_foreach_zero_": _foreach_zero_, "_foreach_clone": _foreach_clone,
            "_foreach_mm": _foreach_mm}


def functions(namespace):
    """Every ``_foreach_*`` function, by name."""
    built = {}
    for inplace in (False, True):
        for op in UNARY_OPS:
            built[f"_foreach_{op}{'_' * inplace}"] = _unary(op, inplace)
        for op in BINARY_OPS:
            built[f"_foreach_{op}{'_' * inplace}"] = _binary(op, inplace)
        for op in ("addcmul", "addcdiv"):
            built[f"_foreach_{op}{'_' * inplace}"] = _pointwise(op, inplace)
        built[f"_foreach_lerp{'_' * inplace}"] = _lerp(inplace)
    built["_foreach_pow"] = _pow_scalar_base(namespace)
    built.update(_reductions())
    built.update(_copies())
    return built



def names():
    """The names ``functions`` gives, known without building them."""
    forms = [f"_foreach_{op}{suffix}" for op in (*UNARY_OPS, *BINARY_OPS, "addcmul", "addcdiv", "lerp")
             for suffix in ("", "_")]
    return (*forms, "_foreach_norm", "_foreach_powsum", "_foreach_max", "_foreach_copy_", "_foreach_zero_",
            "_foreach_clone", "_foreach_mm")
