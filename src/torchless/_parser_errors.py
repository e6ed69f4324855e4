"""PyTorch's argument-parser TypeErrors for a binary op's operand that is neither a Tensor nor a number.

Only built when a call already failed the fast isinstance checks, so the hot path never comes here.
"""
import numbers

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
