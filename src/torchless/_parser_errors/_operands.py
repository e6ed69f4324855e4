"""The parser's reading of the calls torchless's quick checks refused for the ops with an operand (binary
arithmetic, comparisons, products, where, pow) and for max / min / argmax / argmin."""
import operator

import numpy as np

from ._messages import NOT_GIVEN, in_place_named, invalid_combination, not_tensor
from ._schema import parse, parse_overload, schemas_of, warn_deprecated_overload


# ---------------------------------------------------------------------------- max / min, argmax / argmin
_EXTREMUM_METHOD = ("", "Tensor other", "int dim, bool keepdim = False")
_EXTREMUM_FUNCTION = ("Tensor input, *, Tensor out = None", "Tensor input, Tensor other, *, Tensor out = None",
                      "Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None")


def extremum_arguments(name, args, kwargs, function=False):
    """A ``max``/``min`` call off the fast path, as PyTorch parses it: ``('other', tensor)`` for the elementwise
    overload, ``('dim', dim, keepdim)`` for the reduction, or PyTorch's TypeError."""
    from .._ops._util import is_int_argument
    from .._tensor import Tensor

    overloads = _EXTREMUM_FUNCTION if function else _EXTREMUM_METHOD
    shown_args = args
    if function:
        if not args or not isinstance(args[0], Tensor):
            raise (not_tensor(name, "input", 1, args[0]) if args else invalid_combination(name, overloads, (), kwargs))
        args = args[1:]
    count = len(args) + len(kwargs)
    if count == 1:
        (key, value), = kwargs.items() if kwargs else (("", args[0]),)
        if key in ("", "other") and isinstance(value, Tensor):
            return ("other", value)
        if key in ("", "dim") and is_int_argument(value):
            return ("dim", operator.index(value), False)
    elif count == 2 and not function:  # only the reduction takes two: its own message
        parsed = parse(name, ("int dim, bool keepdim=False",), args, kwargs)
        return ("dim", parsed["dim"], parsed["keepdim"])
    elif count == 2 and set(kwargs) <= {"dim", "keepdim"} and len(args) <= 2:
        values = dict(zip(("dim", "keepdim"), args), **kwargs)
        if len(values) == 2 and is_int_argument(values["dim"]) and isinstance(values["keepdim"], bool):
            return ("dim", operator.index(values["dim"]), values["keepdim"])
    raise invalid_combination(name, overloads, shown_args, kwargs)


def arg_extremum_arguments(name, args, kwargs, function=False):
    """``argmax``/``argmin``'s one signature ``(int? dim = None, bool keepdim = False)``: (dim, keepdim) or
    PyTorch's TypeError."""
    parsed = parse(name, (f"{'Tensor input, ' if function else ''}int? dim=None, bool keepdim=False",), args, kwargs)
    return parsed["dim"], parsed["keepdim"]


# ---------------------------------------------------------------------------- where, pow, remainder, fmod
_WHERE_FUNCTION = ("Tensor condition", "Tensor condition, Tensor input, Tensor other, *, Tensor out = None",
                   "Tensor condition, Number self, Tensor other", "Tensor condition, Tensor input, Number other",
                   "Tensor condition, Number self, Number other")
_WHERE_METHOD = ("Tensor condition, Tensor other", "Tensor condition, Number other")
_BINARY_FUNCTIONS = {
    "pow": ("Tensor input, Tensor exponent, *, Tensor out = None", "Number self, Tensor exponent, *, Tensor out = None",
            "Tensor input, Number exponent, *, Tensor out = None"),
    "remainder": ("Tensor input, Tensor other, *, Tensor out = None", "Number self, Tensor other",
                  "Tensor input, Number other, *, Tensor out = None"),
    "fmod": ("Tensor input, Tensor other, *, Tensor out = None", "Tensor input, Number other, *, Tensor out = None"),
}


def invalid_where(args, kwargs=None, method=False):
    return invalid_combination("where", _WHERE_METHOD if method else _WHERE_FUNCTION, args, kwargs)


def invalid_binary_method(name, argument, value):
    """``t.pow('a')``: the (Tensor ``argument``) and (Number ``argument``) overloads, neither matching (under the
    in-place form's name where the call came through it)."""
    return in_place_named(name, invalid_combination(name, (f"Tensor {argument}", f"Number {argument}"), (value,)))


def invalid_binary_function(name, args, kwargs=None):
    return invalid_combination(name, _BINARY_FUNCTIONS[name], args, kwargs)

# ---------------------------------------------------------------------------- an operand refused or left out
# The overloads of the Tensor methods taking NOT_GIVEN for their operand: (printed, hidden)
_ADD = (("Tensor other, *, Number alpha=1",), ("Number alpha, Tensor other",))
_OPERAND_METHODS = {
    "add": _ADD, "sub": _ADD, "mul": (("Tensor other",), ()),
    "div": (("Tensor other", "Tensor other, *, str rounding_mode", "Number other, *, str rounding_mode"), ()),
    "pow": (("Tensor exponent", "Number exponent"), ()), "floor_divide": (("Tensor other", "Number other"), ()),
    "matmul": (("Tensor other",), ()), "mm": (("Tensor mat2",), ()), "bmm": (("Tensor mat2",), ()),
    "dot": (("Tensor tensor",), ()),
}


def operand_as_written(operand, args, kwargs, argument="other"):
    """(args, kwargs) of a refused call whose operand ``operand`` (NOT_GIVEN where left out) the method's signature
    bound, as the user wrote it: the operand among the keywords where given by keyword (x.eq(other=x, foo=1))."""
    if operand is NOT_GIVEN:
        return args, kwargs
    from .._written_call import written_keywords

    written = written_keywords()
    if written is not None and argument in written:
        return args, {argument: operand, **kwargs}
    return (operand,) + tuple(args), kwargs


def refused_operand_call(name, operand, args, kwargs, argument="other"):
    """A call of the Tensor method ``name`` (of _OPERAND_METHODS) whose quick checks refused ``operand`` (NOT_GIVEN
    where left out; ``argument``: its name), the arguments ``args`` past it or the keywords ``kwargs``, as PyTorch's
    parser reads it: the arguments by name where it takes the call (NumPy's ``x2`` for ``other``) or only a
    deprecated overload of PyTorch's does (with its warning), else raises its TypeError (under the in-place form's
    name where the call came through one)."""
    given, kwargs = operand_as_written(operand, args, kwargs, argument)
    printed, hidden = _OPERAND_METHODS[name]
    try:
        index, arguments = parse_overload(name, printed, given, kwargs, hidden)
    except TypeError as error:
        raise in_place_named(name, error) from None
    if index < len(printed):  # taken as written: NumPy's name for the operand (x.add(x2=y))
        return arguments
    warn_deprecated_overload(name, hidden[index - len(printed)], printed)
    return arguments


def comparison_operand(name, operand, args, kwargs):
    """The operand of a call of the comparison method ``name`` (eq, lt_, ...) whose quick check refused it
    (``operand``: NOT_GIVEN where left out; ``args``/``kwargs``: those it has no parameter for), as PyTorch's parser
    reads it (NumPy's ``x2`` for ``other``), or its TypeError."""
    given, kwargs = operand_as_written(operand, args, kwargs)
    return parse_overload(name, ("Tensor other", "Number other"), given, kwargs)[1]["other"]


def refused_operand_error(name, operand, args, kwargs, argument="other"):
    """The TypeError of ``refused_operand_call`` for a call that PyTorch's parser refuses."""
    try:
        refused_operand_call(name, operand, args, kwargs, argument)
    except TypeError as error:
        return error
    raise AssertionError(f"{name}() parsed a call it should refuse")


def tensor_operand_error(name, argument, value):
    """The parser's TypeError for the Tensor method ``name`` given ``value`` for its tensor operand ``argument``
    (its first after self), or none."""
    return missing_operand(name) if value is NOT_GIVEN else not_tensor(name, argument, 1, value)


# ... and of the function forms (printed, hidden) whose TypeErrors list overloads other than the method's with the
# input first
_MM = ("Tensor input, Tensor mat2, *, Tensor out=None",
       "Tensor input, Tensor mat2, dtype out_dtype, *, Tensor out=None")
_ADD_FUNCTION = (("Tensor input, Tensor other, *, Number alpha=1, Tensor out=None",),
                 ("Tensor input, Number alpha, Tensor other, *, Tensor out=None",))
_TENSOR_OTHER_OUT = "Tensor input, Tensor other, *, Tensor out=None"
_DIV_ROUNDING = ("Tensor input, Tensor other, *, str rounding_mode, Tensor out=None",
                 "Tensor input, Number other, *, str rounding_mode")
OPERAND_FUNCTIONS = {
    "add": _ADD_FUNCTION, "sub": _ADD_FUNCTION, "mm": (_MM, ()), "bmm": (_MM, ()),
    "mul": ((_TENSOR_OTHER_OUT,), ()),
    "div": ((_TENSOR_OTHER_OUT,) + _DIV_ROUNDING, ()),
    **{name: ((_TENSOR_OTHER_OUT, "Tensor input, Number other"), ())
       for name in ("multiply", "true_divide", "floor_divide")},
    "divide": ((_TENSOR_OTHER_OUT, _DIV_ROUNDING[0], "Tensor input, Number other", _DIV_ROUNDING[1]), ()),
    "subtract": ((_ADD_FUNCTION[0][0], "Tensor input, Number other, Number alpha=1"), ()),
}


def function_operands_error(name, args, kwargs):
    """The parser's TypeError for a call of the function form ``name`` (of OPERAND_FUNCTIONS) that torchless
    refused, or None where the parser would take it or the function is not listed (the caller's own error then
    stands)."""
    return _listed_error(OPERAND_FUNCTIONS, name, args, kwargs)


def function_error(name, args, kwargs):
    """The TypeError of PyTorch's parser for the failed call ``torchless.name(*args, **kwargs)`` as the user wrote
    it, against the function's own signatures (_function_signatures), or None where the parser takes the call or
    the function is not listed (the call's own error then stands)."""
    from .._function_signatures import FUNCTION_SIGNATURES

    return _listed_error(FUNCTION_SIGNATURES, name, args, kwargs)


def _listed_error(signatures, name, args, kwargs):
    """The parser's TypeError for the call against ``signatures[name]`` (printed overloads, hidden ones), or None
    where the parser takes it or ``name`` is not listed."""
    if name not in signatures:
        return None
    printed, hidden = signatures[name]
    try:
        parse_overload(name, printed, args, kwargs, hidden)
    except TypeError as error:
        return error
    return None


def takes_out(name):
    """Whether PyTorch's function ``name`` takes ``out=`` (True for one not listed, as torchless's forms do)."""
    from .._function_signatures import FUNCTION_SIGNATURES

    return name not in FUNCTION_SIGNATURES or any(
        param.name == "out" for schema in schemas_of(name, sum(FUNCTION_SIGNATURES[name], ())) for param in schema.params)


def missing_operand(name, keywords=None):
    """PyTorch's parser's TypeError for a call of the Tensor method ``name`` (or its in-place form, or its function
    form, on the stack) without its operand: the keywords the call was written with (``keywords``: the values of
    those known; where the call cannot be read, those given)."""
    from .._tensor import Tensor
    from .._written_call import user_call

    keywords = keywords or {}
    written = user_call(name) or user_call(f"{name}_")
    given = keywords if written is None else {key: keywords.get(key) for key in written.keywords}
    args = ()
    if written is not None and written.function_form and name in OPERAND_FUNCTIONS:
        (printed, hidden), args = OPERAND_FUNCTIONS[name], (Tensor._wrap(np.zeros(0)),)  # (stands for the input)
    else:
        printed, hidden = _OPERAND_METHODS[name]
    try:
        parse_overload(name, printed, args, given, hidden)
    except TypeError as error:
        return in_place_named(name, error)
    raise AssertionError(f"{name}() parsed without its operand")
