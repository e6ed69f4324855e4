"""The TypeErrors of PyTorch's argument parser, as it words them: an argument of the wrong type, a missing or
surplus one, an invalid combination of arguments listing the overloads."""
import os
import re
import sys


# The package's directory: a frame from a file under it is torchless's own
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_COMPARISON_METHOD = ("Tensor other", "Number other")
_COMPARISON_FUNCTION = ("Tensor input, Tensor other, *, Tensor out = None",
                        "Tensor input, Number other, *, Tensor out = None")
# A required argument left out of a call of a hot method, which takes this default so that the call fails on its
# slow path (Python's own TypeError for a missing argument is not the parser's; a check would cost every call)
NOT_GIVEN = object()


def is_operand(value):
    """A Tensor or a Python/NumPy number: what PyTorch's ``other`` takes."""
    global _OPERAND_TYPES
    if _OPERAND_TYPES is None:  # (imported at the first call: this module is imported before the tensor's)
        from .._tensor import Tensor
        from .._type_promotion import NUMBERS

        _OPERAND_TYPES = (Tensor, *NUMBERS)
    return isinstance(value, _OPERAND_TYPES)


_OPERAND_TYPES = None


def is_number_argument(value):
    """What PyTorch's parser takes for a ``Number``: a Python or NumPy number, a 0-d tensor outside the graph."""
    from .._tensor import Tensor

    return is_operand(value) and not (isinstance(value, Tensor) and (value.dim() or value.requires_grad))


def invalid_method_other(name, other):
    """``t.eq('a')``: PyTorch's "received an invalid combination of arguments" for the (Tensor other) and
    (Number other) overloads."""
    from ..nn._functional._args import _described_with_items, _tp_name

    shown = _described_with_items(other)
    text = f"{name}() received an invalid combination of arguments - got ({_tp_name(other)}), but expected one of:\n"
    for overload in _COMPARISON_METHOD:
        text += (f" * ({overload})\n      didn't match because some of the arguments have invalid types: "
                 f"(!{shown}!)\n")
    return TypeError(text)


def invalid_function_call(name, args):
    """``torchless.eq(t, 'a')``: the function form's message lists the overloads without a "didn't match" line."""
    from ..nn._functional._args import _describe_call

    text = f"{name}() received an invalid combination of arguments - got {_describe_call(args, {})}, " \
           "but expected one of:\n"
    return TypeError(text + "".join(f" * ({overload})\n" for overload in _COMPARISON_FUNCTION))


def element_not_tensor(index, argument_index, value):
    """PyTorch's "expected Tensor as element 1 in argument 0, but got numpy.ndarray" for a tensor list's item."""
    from ..nn._functional._args import _tp_name

    return TypeError(f"expected Tensor as element {index} in argument {argument_index}, but got {_tp_name(value)}")


def not_tensor(name, argument, position, value):
    """PyTorch's "argument 'other' (position 2) must be Tensor, not tuple"."""
    return wrong_type(name, argument, position, value, "Tensor")


def wrong_type(name, argument, position, value, expected):
    """PyTorch's "argument 'dim' (position 1) must be int, not str", without the position where the caller passed
    the argument by keyword or where it is keyword-only (``position`` None)."""
    from .._written_call import user_call
    from ..nn._functional._args import _tp_name

    shown = _tp_name(value)
    written = user_call(name)
    if position is None or written is not None and argument in written.keywords:
        where = ""
    else:
        if written is not None and not written.function_form and position > written.positional:
            position -= 1  # a function's position, for the function called as a method (x.kron(y)): self uncounted
        elif written is not None and written.function_form and written.method and argument in written.params \
                and written.params.index(argument) == position:
            from .._functions import POSITIONS_SHIFTED

            position += name not in POSITIONS_SHIFTED  # a method's position, for its function form (unless it
            # shifts the method's TypeErrors itself)
        where = f" (position {position})"
    return in_place_named(name, TypeError(f"{name}(): argument '{argument}'{where} must be {expected}, not {shown}"))


def missing_arguments(fn, names):
    """PyTorch's parser's TypeError for a call of ``fn`` that left out a required argument: ``names`` are every
    required parameter from the first one missing on (those given by keyword too)."""
    plural = "s" if len(names) == 1 else ""  # ("argument" vs "arguments" inverted, as in PyTorch's message)
    error = TypeError(f"{fn}() missing {len(names)} required positional argument{plural}: "
                      + ", ".join(f'"{name}"' for name in names))
    error.missing_argument = True  # (which native_binding's checks of the arguments given stop at)
    return error


def check_bool(name, argument, value, position=None):
    """PyTorch's parser check of a ``bool`` argument: a Python bool only, never a NumPy bool, an int (0 or 1 too),
    None or a 0-d tensor. ``position``: where the argument can come by position (its TypeError gives it when it
    did); None for a keyword-only one or one PyTorch's Python wrapper passes on by keyword."""
    if value.__class__ is not bool:
        if position is not None:
            raise wrong_type(name, argument, position, value, "bool")
        from ..nn._functional._args import _tp_name

        raise TypeError(f"{name}(): argument '{argument}' must be bool, not {_tp_name(value)}")

def check_bools(name, **flags):
    """check_bool of each of ``flags``, in their order, all passed on by keyword (no position shown)."""
    for argument, value in flags.items():
        check_bool(name, argument, value)


def check_tensor_list(name, value, argument="tensors", position=1):
    """PyTorch's parser check of a Tensor[] argument: a list or tuple (not a tensor) of tensors only, its
    elements checked in order; the element's error counts arguments from 0, the argument's from 1."""
    from .._tensor import Tensor

    if isinstance(value, Tensor) or not isinstance(value, (list, tuple)):
        if value is NOT_GIVEN:
            raise missing_arguments(name, [argument])
        from ..nn._functional._args import _tp_name

        raise TypeError(f"{name}(): argument '{argument}' (position {position}) must be tuple of Tensors, not "
                        f"{_tp_name(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, Tensor):
            raise element_not_tensor(i, position - 1, item)


def too_many_positional(name, most, least=None, nargs=None):
    """PyTorch's TypeError for ``nargs`` arguments given by position to ``name``, which takes from ``least`` to
    ``most``; by default, ``nargs`` as the failing call of the method ``name`` was written (None where it has no
    more than ``most`` or cannot be read)."""
    if nargs is None:
        from .._written_call import user_call

        written = user_call(name)
        if written is None or written.positional <= most:
            return None
        nargs = written.positional
        if written.function_form:  # (its input counts too)
            nargs, most, least = nargs + 1, most + 1, None if least is None else least + 1
    if least is not None and least != most:
        return TypeError(f"{name}() takes from {least} to {most} positional arguments but {nargs} were given")
    return TypeError(f"{name}() takes {most} positional argument{'' if most == 1 else 's'} but {nargs} "
                     f"{'was' if nargs == 1 else 'were'} given")


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
    their parentheses), each with the "didn't match" line of its formatter where it gives one; a lone printed
    overload (beside hidden ones) is given inline."""
    from ..nn._functional._args import _describe_call, _why_not, unmatched_keywords

    kwargs = kwargs or {}
    text = f"{name}() received an invalid combination of arguments - got "
    if len(overloads) == 1:  # the call described with its mismatches marked, where its count of arguments matches
        overload = _Overload(overloads[0])
        unknown = unmatched_keywords(overload, kwargs)
        if unknown:
            return TypeError(f"{text}unrecognized keyword arguments: {', '.join(unknown)}")
        why = _why_not(overload, args, kwargs).partition("invalid types: ")[2]
        return TypeError(f"{text}{why.rstrip() or _describe_call(args, kwargs)}, but expected ({overloads[0]})")
    text += f"{_describe_call(args, kwargs)}, but expected one of:\n"
    for overload in overloads:
        why = _why_not(_Overload(overload), args, kwargs)
        if kwargs and not args and why.endswith(")\n"):  # PyTorch trims the last ", " only after a positional one
            why = why[:-2] + ", )\n"
        text += f" * ({overload})\n" + why
    return TypeError(text)

def in_place_named(name, error):
    """``error``, a parser TypeError of the Tensor method ``name``, as the form that called it names it where the
    failing call came through one: its in-place form (``x.tril_(1.0)``: "tril_(): argument ..."), its unsafe one
    (``x.unsafe_chunk(2, 1.0)``)."""
    text, frame = str(error), sys._getframe(1)
    if not text.startswith(f"{name}()"):
        return error
    forms = (f"{name}_", f"unsafe_{name}")
    while frame is not None:
        if frame.f_code.co_name in forms and frame.f_code.co_filename.startswith(_PACKAGE):
            return TypeError(f"{frame.f_code.co_name}{text[len(name):]}")
        frame = frame.f_back
    return error

def function_positions(error):
    """A method's parser TypeError as its function form raises it: the positions count the input too."""
    shifted = re.sub(r"^(\w+\(\): argument '(?!input')\w+' \(position )(\d+)\)",
                     lambda m: f"{m[1]}{int(m[2]) + 1})", str(error))
    return error if shifted == str(error) else TypeError(shifted)
