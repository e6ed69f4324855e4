"""PyTorch's argument-parser TypeErrors: a binary op's operand that is neither a Tensor nor a number, bad arguments
of max/min/argmax/argmin, where, pow/remainder/fmod.

Only built when a call already failed the fast isinstance checks, so the hot path never comes here.
"""
import numbers
import operator

import numpy as np

_COMPARISON_METHOD = ("Tensor other", "Number other")
_COMPARISON_FUNCTION = ("Tensor input, Tensor other, *, Tensor out = None",
                        "Tensor input, Number other, *, Tensor out = None")


def is_operand(value):
    """A Tensor or a Python/NumPy number: what PyTorch's ``other`` takes."""
    from ._tensor import Tensor

    return isinstance(value, (Tensor, numbers.Number, np.bool_))


def invalid_method_other(name, other):
    """``t.eq('a')``: PyTorch's "received an invalid combination of arguments" for the (Tensor other) and
    (Number other) overloads."""
    from .nn._functional._args import _described_with_items, _tp_name

    shown = _described_with_items(other)
    text = f"{name}() received an invalid combination of arguments - got ({_tp_name(other)}), but expected one of:\n"
    for overload in _COMPARISON_METHOD:
        text += (f" * ({overload})\n      didn't match because some of the arguments have invalid types: "
                 f"(!{shown}!)\n")
    return TypeError(text)


def invalid_function_call(name, args):
    """``torchless.eq(t, 'a')``: the function form's message lists the overloads without a "didn't match" line."""
    from .nn._functional._args import _describe_call

    text = f"{name}() received an invalid combination of arguments - got {_describe_call(args, {})}, " \
           "but expected one of:\n"
    return TypeError(text + "".join(f" * ({overload})\n" for overload in _COMPARISON_FUNCTION))


def not_tensor(name, argument, position, value):
    """PyTorch's "argument 'other' (position 2) must be Tensor, not tuple"."""
    cls = type(value)
    from ._dtype import dtype

    if isinstance(value, dtype):
        shown = "torchless.dtype"
    else:
        shown = cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    return TypeError(f"{name}(): argument '{argument}' (position {position}) must be Tensor, not {shown}")


class _Printed:
    """A parameter as PyTorch's message formatter reads it back from the printed overload: its type is the
    first word, "*" and an empty "()" count as parameters too."""

    def __init__(self, text):
        self.text, self.kind, self.required = text, text.split(" ", 1)[0], "=" not in text

    def describe(self):
        return self.text


class _Overload:
    def __init__(self, printed):
        self.params = [_Printed(p) for p in printed.split(", ")]


def invalid_combination(name, overloads, args, kwargs=None):
    """PyTorch's "received an invalid combination of arguments" listing the printed ``overloads`` (without
    their parentheses), each with the "didn't match" line of its formatter where it gives one."""
    from .nn._functional._args import _describe_call, _why_not

    kwargs = kwargs or {}
    text = f"{name}() received an invalid combination of arguments - got {_describe_call(args, kwargs)}, " \
           "but expected one of:\n"
    for overload in overloads:
        text += f" * ({overload})\n" + _why_not(_Overload(overload), args, kwargs)
    return TypeError(text)


# ---------------------------------------------------------------------------- max / min, argmax / argmin
_EXTREMUM_METHOD = ("", "Tensor other", "int dim, bool keepdim = False")
_EXTREMUM_FUNCTION = ("Tensor input, *, Tensor out = None", "Tensor input, Tensor other, *, Tensor out = None",
                      "Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None")


def extremum_arguments(name, args, kwargs, function=False):
    """A ``max``/``min`` call off the fast path, as PyTorch parses it: ``('other', tensor)`` for the elementwise
    overload, ``('dim', dim, keepdim)`` for the reduction, or PyTorch's TypeError."""
    from ._tensor import Tensor
    from .nn._functional._args import Param, Signature, _is_index

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
        if key in ("", "dim") and _is_index(value):
            return ("dim", operator.index(value), False)
    elif count == 2 and not function:  # only the reduction takes two: its own message
        signature = Signature(name, [Param("dim", "int"), Param("keepdim", "bool", "False", False)], 0)
        bound = signature.convert(signature.bind(args, kwargs, raise_errors=True))
        return ("dim", bound["dim"], bound["keepdim"])
    elif count == 2 and set(kwargs) <= {"dim", "keepdim"} and len(args) <= 2:
        values = dict(zip(("dim", "keepdim"), args), **kwargs)
        if len(values) == 2 and _is_index(values["dim"]) and isinstance(values["keepdim"], bool):
            return ("dim", operator.index(values["dim"]), values["keepdim"])
    raise invalid_combination(name, overloads, shown_args, kwargs)


def arg_extremum_arguments(name, args, kwargs, function=False):
    """``argmax``/``argmin``'s one signature ``(int? dim = None, bool keepdim = False)``: (dim, keepdim) or
    PyTorch's TypeError."""
    from .nn._functional._args import Param, Signature

    params = [Param("dim", "int?", "None", None), Param("keepdim", "bool", "False", False)]
    if function:
        params.insert(0, Param("input", "Tensor"))
    signature = Signature(name, params, 0)
    bound = signature.convert(signature.bind(args, kwargs, raise_errors=True))
    return bound["dim"], bound["keepdim"]


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
    """``t.pow('a')``: the (Tensor ``argument``) and (Number ``argument``) overloads, neither matching."""
    return invalid_combination(name, (f"Tensor {argument}", f"Number {argument}"), (value,))


def invalid_binary_function(name, args, kwargs=None):
    return invalid_combination(name, _BINARY_FUNCTIONS[name], args, kwargs)
