"""PyTorch's argument-parser TypeErrors: a binary op's operand that is neither a Tensor nor a number, bad arguments
of max/min/argmax/argmin, where, pow/remainder/fmod.

Only built when a call already failed the fast isinstance checks, so the hot path never comes here.
"""
import functools
import numbers
import operator
import os
import re

import numpy as np

from ._ops._util import INT64, OVERFLOW, check_int64

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_COMPARISON_METHOD = ("Tensor other", "Number other")
_COMPARISON_FUNCTION = ("Tensor input, Tensor other, *, Tensor out = None",
                        "Tensor input, Number other, *, Tensor out = None")


def is_operand(value):
    """A Tensor or a Python/NumPy number: what PyTorch's ``other`` takes."""
    from ._tensor import Tensor

    return isinstance(value, (Tensor, numbers.Number, np.bool_))


def is_number_argument(value):
    """What PyTorch's parser takes for a ``Number``: a Python or NumPy number, a 0-d tensor outside the graph."""
    from ._tensor import Tensor

    return is_operand(value) and not (isinstance(value, Tensor) and (value.dim() or value.requires_grad))


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


def element_not_tensor(index, argument_index, value):
    """PyTorch's "expected Tensor as element 1 in argument 0, but got numpy.ndarray" for a tensor list's item."""
    from .nn._functional._args import _tp_name

    return TypeError(f"expected Tensor as element {index} in argument {argument_index}, but got {_tp_name(value)}")


def not_tensor(name, argument, position, value):
    """PyTorch's "argument 'other' (position 2) must be Tensor, not tuple"."""
    return wrong_type(name, argument, position, value, "Tensor")


def wrong_type(name, argument, position, value, expected):
    """PyTorch's "argument 'dim' (position 1) must be int, not str", without the position where the caller passed
    the argument by keyword."""
    from ._written_call import user_call
    from .nn._functional._args import _tp_name

    shown = _tp_name(value)
    written = user_call(name)
    if written is not None and argument in written.keywords:
        where = ""
    else:
        if written is not None and not written.function_form and position > written.positional:
            position -= 1  # a function's position, for the function called as a method (x.kron(y)): self uncounted
        elif written is not None and written.function_form and written.method and argument in written.params \
                and written.params.index(argument) == position:
            from ._functions import POSITIONS_SHIFTED

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
        from .nn._functional._args import _tp_name

        raise TypeError(f"{name}(): argument '{argument}' must be bool, not {_tp_name(value)}")


def float_arguments(name, **values):
    """PyTorch's parser's reading of the ``float?`` arguments ``values`` of ``name``, by position in their order:
    each a float (a 0-d tensor outside the graph read as its value), or None; its TypeError for another type."""
    from ._tensor import Tensor

    read = []
    for position, (argument, value) in enumerate(values.items(), start=1):
        if value is not None:
            if not _SchemaParam(f"float? {argument}=None", False).check(value)[0]:
                raise wrong_type(name, argument, position, value, "float")
            value = float(value.item()) if isinstance(value, Tensor) else value
        read.append(value)
    return read


def check_bools(name, **flags):
    """check_bool of each of ``flags``, in their order, all passed on by keyword (no position shown)."""
    for argument, value in flags.items():
        check_bool(name, argument, value)


def check_tensor_list(name, value, argument="tensors", position=1):
    """PyTorch's parser check of a Tensor[] argument: a list or tuple (not a tensor) of tensors only, its
    elements checked in order; the element's error counts arguments from 0, the argument's from 1."""
    from ._tensor import Tensor
    from .nn._functional._args import _tp_name

    if isinstance(value, Tensor) or not isinstance(value, (list, tuple)):
        if value is NOT_GIVEN:
            raise missing_arguments(name, [argument])
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
        from ._written_call import user_call

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
    from .nn._functional._args import _describe_call, _why_not, unmatched_keywords

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


# ---------------------------------------------------------------------------- max / min, argmax / argmin
_EXTREMUM_METHOD = ("", "Tensor other", "int dim, bool keepdim = False")
_EXTREMUM_FUNCTION = ("Tensor input, *, Tensor out = None", "Tensor input, Tensor other, *, Tensor out = None",
                      "Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None")


def extremum_arguments(name, args, kwargs, function=False):
    """A ``max``/``min`` call off the fast path, as PyTorch parses it: ``('other', tensor)`` for the elementwise
    overload, ``('dim', dim, keepdim)`` for the reduction, or PyTorch's TypeError."""
    from ._ops._util import is_int_argument
    from ._tensor import Tensor

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


# ---------------------------------------------------------------------------- a whole native signature set
# Overloads are written as PyTorch's native schemas read (``int dim``, ``int[1]? dim``, ``bool keepdim=False``, ``*``
# for keyword-only): the kind decides what the parser's quick check accepts, and the printed form follows from it.
_PRINTED_KIND = {"int": "int", "Tensor": "Tensor", "Number": "Number", "bool": "bool", "float": "float",
                 "dtype": "torchless.dtype", "layout": "torchless.layout", "device": "torchless.device",
                 "Generator": "torchless.Generator", "TensorList": "tuple of Tensors", "str": "str",
                 "memory_format": "torchless.memory_format"}


class _SchemaParam:
    def __init__(self, text, keyword_only):
        declaration, equals, self.default = text.partition("=")
        kind, self.name = declaration.split()
        self.optional, self.keyword_only = bool(equals), keyword_only
        self.allow_none = kind.endswith("?") or self.default == "None"
        kind = kind.rstrip("?")
        self.is_list = kind.startswith(("int[", "SymInt["))
        self.symbolic = kind.startswith("SymInt")  # (a SymInt[] refuses a bool tensor's element, an int[] reads 1)
        self.list_size = int(kind[kind.index("[") + 1:-1] or 0) if self.is_list else 0
        self.kind = "int[]" if self.is_list else "int" if kind == "SymInt" else kind

    def printed(self):
        text = f"{'tuple of ints' if self.is_list else _PRINTED_KIND[self.kind]} {self.name}"
        return f"{text} = {self.default}" if self.optional else text

    def check(self, value, numbers_as_tensors=False):
        """PyTorch's quick type check: (accepted, index of the rejected element of a sequence or None);
        ``numbers_as_tensors``: a Python number passes for a Tensor (the arithmetic ops' parsers)."""
        from ._dtype import is_argument as is_dtype_argument
        from ._ops._util import is_index_argument, is_int_argument
        from ._tensor import Tensor

        if self.is_list:
            if isinstance(value, (tuple, list)):
                return (True, None) if not value or is_index_argument(value[0]) else (False, 0)
            return self.list_size > 0 and is_index_argument(value), None
        if self.kind == "int":  # (a SymInt takes what __index__ converts, as an int list's elements)
            return (is_index_argument if self.symbolic else is_int_argument)(value), None
        if self.kind == "Tensor":
            return isinstance(value, Tensor) or numbers_as_tensors and is_number_argument(value), None
        if self.kind == "Number":
            return is_number_argument(value), None
        if self.kind == "float":
            if isinstance(value, Tensor):  # PyTorch's parser takes a 0-d tensor outside the graph for a float
                return not value.dim() and not value.requires_grad, None
            return isinstance(value, (numbers.Real, np.bool_)), None  # a bool too: PyTorch's parser takes any int
        if self.kind == "bool":
            return isinstance(value, bool), None  # (no NumPy bool, which PyTorch reads as a float)
        if self.kind == "dtype":
            return is_dtype_argument(value), None
        if self.kind == "str":
            return isinstance(value, str), None
        if self.kind in ("layout", "device"):
            from ._device import device, layout

            return isinstance(value, layout) if self.kind == "layout" else isinstance(value, (device, str, int)), None
        if self.kind == "Generator":
            from .random import Generator

            return isinstance(value, Generator), None
        if self.kind == "TensorList":
            if not isinstance(value, (tuple, list)):
                return False, None
            return next(((False, i) for i, item in enumerate(value) if not isinstance(item, Tensor)), (True, None))
        if self.kind == "memory_format":
            from ._memory_format import memory_format

            return isinstance(value, memory_format), None
        return False, None

    def type_name(self):
        return "tuple of ints" if self.is_list else _PRINTED_KIND[self.kind]


# The ops whose parser takes a Python number for a Tensor argument (PyTorch's should_allow_numbers_as_tensors)
_NUMBERS_AS_TENSORS = frozenset(f"{name}{suffix}" for name in ("add", "sub", "subtract", "mul", "multiply", "div",
                                                                "divide", "true_divide", "floor_divide")
                                for suffix in ("", "_"))


class _Schema:
    def __init__(self, name, text):
        self.name, self.params, keyword_only = name, [], False
        for part in filter(None, text.split(", ")):
            if part == "*":
                keyword_only = True
            else:
                self.params.append(_SchemaParam(part, keyword_only))
        self.min_args = sum(not p.optional for p in self.params)
        self.max_pos_args = sum(not p.keyword_only for p in self.params)
        self.numbers_as_tensors = name in _NUMBERS_AS_TENSORS

    def printed(self):
        parts = [p.printed() for p in self.params]
        first_keyword = next((i for i, p in enumerate(self.params) if p.keyword_only), None)
        if first_keyword is not None:
            parts.insert(first_keyword, "*")
        return ", ".join(parts)

    def _extra_args(self, nargs):
        if self.min_args != self.max_pos_args:
            return TypeError(f"{self.name}() takes from {self.min_args} to {self.max_pos_args} positional arguments "
                             f"but {nargs} were given")
        return too_many_positional(self.name, self.max_pos_args, nargs=nargs)

    def parse(self, args, kwargs, raise_errors):
        """FunctionSignature::parse: {name: value} or None (raising the reason with ``raise_errors``)."""
        from ._ops._util import is_index_argument
        from .nn._functional._args import _tp_name

        def fail(error):
            if raise_errors:
                raise error
            return None

        # A lone int-list parameter also takes the ints as separate arguments (view(2, 3)) when the first is one
        varargs = self.max_pos_args == 1 and self.params[0].is_list and bool(args) and is_index_argument(args[0])
        if len(args) > self.max_pos_args and not varargs:
            return fail(self._extra_args(len(args)))
        bound, position, by_keyword = {}, 0, 0
        for i, param in enumerate(self.params):
            keyword = position >= len(args)
            if not keyword and param.keyword_only:
                return fail(self._extra_args(len(args)))
            present = not keyword or param.name in kwargs
            value = kwargs.get(param.name) if keyword else args[position]
            if (not present and param.optional) or (present and value is None and param.allow_none):
                bound[param.name] = value if present else _DEFAULT
            elif not present:
                missing = [f'"{p.name}"' for p in self.params[i:] if not p.optional]
                plural = "s" if len(missing) == 1 else ""  # (inverted, as in PyTorch's message)
                return fail(TypeError(f"{self.name}() missing {len(missing)} required positional argument{plural}: "
                                      + ", ".join(missing)))
            else:
                accepted, failed = param.check(value, self.numbers_as_tensors)
                if param.kind == "TensorList" and failed is not None:  # (raised whichever overload is tried)
                    raise element_not_tensor(failed, i, value[failed])
                if accepted:
                    bound[param.name] = value
                elif varargs and position == 0 and not keyword:
                    bound[param.name] = args
                    position = len(args)
                    continue
                elif keyword:
                    return fail(TypeError(f"{self.name}(): argument '{param.name}' must be {param.type_name()}, "
                                          f"not {_tp_name(value)}"))
                elif failed is not None:
                    return fail(TypeError(f"{self.name}(): argument '{param.name}' (position {position + 1}) must be "
                                          f"{param.type_name()}, but found element of type {_tp_name(value[failed])} "
                                          f"at pos {failed}"))
                else:
                    return fail(TypeError(f"{self.name}(): argument '{param.name}' (position {position + 1}) must be "
                                          f"{param.type_name()}, not {_tp_name(value)}"))
            if keyword:
                by_keyword += present
            else:
                position += 1
        if len(kwargs) > by_keyword:
            if raise_errors:
                names = [p.name for p in self.params]
                for key in kwargs:
                    if key not in names:
                        raise TypeError(f"{self.name}() got an unexpected keyword argument '{key}'")
                    if names.index(key) < len(args):
                        raise TypeError(f"{self.name}() got multiple values for argument '{key}'")
            return None
        return bound

    def convert(self, bound):
        """PythonArgs' unpacking of the int lists an accepted call holds, with its error for a later non-int."""
        from ._tensor import Tensor

        out = {}
        for param in self.params:
            value = bound[param.name]
            if value is _DEFAULT:
                value = None if param.default in ("None", "") else _literal(param.default)
            elif param.is_list and value is not None:
                value = self._int_list(param, value)
            elif param.kind == "int" and value is not None:
                if param.symbolic and isinstance(value, Tensor) and value._data.dtype == np.bool_:
                    raise RuntimeError('scalar.isIntegral( false) INTERNAL ASSERT FAILED at "/__w/pytorch/pytorch/'
                                       'torch/csrc/utils/pybind.cpp":27, please report a bug to PyTorch. ')
                value = operator.index(value)
                check_int64(value)
            elif param.kind == "float" and value is not None:
                value = float(value)  # (a bool or a 0-d tensor, as PyTorch's double)
            out[param.name] = value
        return out


    def _int_list(self, param, value):
        """PythonArgs' unpacking of an accepted int list ``value`` of ``param``: its ints, one-element integer
        tensors and whatever ``__index__`` converts; PyTorch's errors for a later element of another type, for a
        bool tensor in a SymInt list, and its failed assertion for a lone value neither an int nor a tensor."""
        from ._ops._util import list_element
        from ._tensor import Tensor
        from .nn._functional._args import _tp_name

        if not isinstance(value, (tuple, list)):  # a lone value for an int[N]
            if not isinstance(value, (int, np.integer, Tensor)):
                raise RuntimeError(f"PyList_Check(arg) INTERNAL ASSERT FAILED at \"/__w/pytorch/pytorch/torch/csrc/"
                                   f"utils/python_arg_parser.h\":{573 if param.symbolic else 658}, please report a bug "
                                   "to PyTorch. expected tuple or list")
            if isinstance(value, Tensor):  # (read as it is, a bool one too)
                return [int(value.item())] * param.list_size
            check_int64(value)  # (a lone int out of range: the ValueError of its unpacking, not the list's)
            value = (value,) * param.list_size
        out = []
        for pos, item in enumerate(value, start=1):
            if item.__class__ is not int:
                if param.symbolic and isinstance(item, Tensor) and item._data.dtype == np.bool_:
                    raise RuntimeError(_BOOL_SYMINT)
                try:
                    item = list_element(item)
                except TypeError:
                    raise self._unpack_error(param, pos, f"type must be tuple of ints,but got {_tp_name(item)}") \
                        from None
            if item not in INT64:  # (PyTorch's message goes on with the C++ stack of the failure, left out here)
                raise self._unpack_error(param, pos, OVERFLOW)
            out.append(item)
        return out

    def _unpack_error(self, param, pos, reason):
        return TypeError(f"{self.name}(): argument '{param.name}' failed to unpack the object at pos {pos} with error "
                         f"\"{reason}\"")


_DEFAULT = object()
# PyTorch's failed check for a bool tensor among the sizes of a SymInt list (view, reshape, zeros, ...)
_BOOL_SYMINT = ("Expected scalar.isIntegral( false) to be true, but got false.  (Could this error message be "
                "improved?  If so, please report an enhancement request to PyTorch.)")


def _literal(text):
    """A printed default's value (``False``, ``-1``, ``10.0``)."""
    if text in ("True", "False"):
        return text == "True"
    if text.startswith('"'):  # a str's (quantile's interpolation="linear")
        return text[1:-1]
    if text.startswith("["):  # an int list's, written without spaces (rot90's dims=[0,1])
        return [int(n) for n in text[1:-1].split(",") if n]
    try:
        return int(text)
    except ValueError:  # ("1e-05", "-0.5", "inf")
        return float(text)


def parse(name, overloads, args, kwargs=None):
    """PyTorch's argument parser for a call of ``name`` with ``overloads`` (schemas as above) from the slow path:
    the arguments of the overload taking the call (int lists as lists of ints, omitted ones at their defaults),
    or PyTorch's TypeError."""
    return parse_overload(name, overloads, args, kwargs)[1]


@functools.lru_cache(maxsize=None)
def _schemas(name, overloads):
    return [_Schema(name, text) for text in overloads]


def parse_overload(name, overloads, args, kwargs=None, hidden=()):
    """``parse``, with the position of the overload taking the call among ``overloads`` first: for the ops whose
    overloads differ in more than their arguments' names (var's unbiased one saves correction=1, its correction
    one None). ``hidden``: overloads tried after those, never listed (PyTorch's deprecated signatures)."""
    kwargs = kwargs or {}
    schemas = _schemas(name, tuple(overloads) + tuple(hidden))
    if len(schemas) == 1:
        return 0, schemas[0].convert(schemas[0].parse(args, kwargs, True))
    for index, schema in enumerate(schemas):
        bound = schema.parse(args, kwargs, False)
        if bound is not None:
            return index, schema.convert(bound)
    count = len(args) + len(kwargs)
    plausible = [s for s in schemas[:len(overloads)] if s.min_args <= count <= len(s.params)]
    if len(plausible) == 1:
        plausible[0].parse(args, kwargs, True)
    raise invalid_combination(name, [s.printed() for s in schemas[:len(overloads)]], args, kwargs)


# A required argument left out of a call of a hot method, which takes this default so that the call fails on its
# slow path (Python's own TypeError for a missing argument is not the parser's; a check would cost every call)
NOT_GIVEN = object()

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
    from ._written_call import written_keywords

    written = written_keywords()
    if written is not None and argument in written:
        return args, {argument: operand, **kwargs}
    return (operand,) + tuple(args), kwargs


def refused_operand_call(name, operand, args, kwargs):
    """A call of the Tensor method ``name`` (of _OPERAND_METHODS) whose quick checks refused ``operand`` (NOT_GIVEN
    where left out), the arguments ``args`` past it or the keywords ``kwargs``, as PyTorch's parser reads it: the
    arguments by name where only a deprecated overload of PyTorch's takes it (with its warning), else raises its
    TypeError (under the in-place form's name where the call came through one)."""
    given, kwargs = operand_as_written(operand, args, kwargs)
    printed, hidden = _OPERAND_METHODS[name]
    try:
        index, arguments = parse_overload(name, printed, given, kwargs, hidden)
    except TypeError as error:
        raise in_place_named(name, error) from None
    if index < len(printed):  # (the quick checks refuse no call the parser takes)
        raise AssertionError(f"{name}() refused a call its parser takes")
    _warn_deprecated_overload(name, hidden[index - len(printed)], printed)
    return arguments


def refused_operand_error(name, operand, args, kwargs):
    """The TypeError of ``refused_operand_call`` for a call that PyTorch's parser refuses."""
    try:
        refused_operand_call(name, operand, args, kwargs)
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
    if name not in OPERAND_FUNCTIONS:
        return None
    printed, hidden = OPERAND_FUNCTIONS[name]
    try:
        parse_overload(name, printed, args, kwargs, hidden)
    except TypeError as error:
        return error
    return None


def function_error(name, args, kwargs):
    """The TypeError of PyTorch's parser for the failed call ``torchless.name(*args, **kwargs)`` as the user wrote
    it, against the function's own signatures (_function_signatures), or None where the parser takes the call or
    the function is not listed (the call's own error then stands)."""
    from ._function_signatures import FUNCTION_SIGNATURES

    if name not in FUNCTION_SIGNATURES:
        return None
    printed, hidden = FUNCTION_SIGNATURES[name]
    try:
        parse_overload(name, printed, args, kwargs, hidden)
    except TypeError as error:
        return error
    return None


def takes_out(name):
    """Whether PyTorch's function ``name`` takes ``out=`` (True for one not listed, as torchless's forms do)."""
    from ._function_signatures import FUNCTION_SIGNATURES

    return name not in FUNCTION_SIGNATURES or any(
        param.name == "out" for schema in _schemas(name, sum(FUNCTION_SIGNATURES[name], ())) for param in schema.params)


def missing_operand(name, keywords=None):
    """PyTorch's parser's TypeError for a call of the Tensor method ``name`` (or its in-place form, or its function
    form, on the stack) without its operand: the keywords the call was written with (``keywords``: the values of
    those known; where the call cannot be read, those given)."""
    from ._tensor import Tensor
    from ._written_call import user_call

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


def native_entry(name, overloads, impl, shown=None):
    """``impl(**arguments)`` as the entry point ``name`` of PyTorch's parser for ``overloads`` (the native schemas
    with ``input`` for ``self``): every call parsed as PyTorch's (positions, keyword names, int lists, the parser's
    TypeErrors); with several overloads, ``impl`` also gets ``overload``, the index of the schema taking the call. A
    schema's ``out`` is the out variant's tensor, which the result is written into. ``shown``: (printed, as PyTorch
    prints it) for a default that PyTorch's messages print otherwise than the value its parser gives."""
    @functools.wraps(impl)
    def entry(*args, **kwargs):
        try:
            index, arguments = parse_overload(name, overloads, args, kwargs)
        except TypeError as error:
            if shown is None:
                raise
            raise TypeError(str(error).replace(*shown)) from None
        if len(overloads) > 1:
            arguments["overload"] = index
        out = arguments.pop("out", None)
        if out is not None:
            from . import _out_argument

            return _out_argument._call_into(name, out, impl, (), arguments)
        return impl(**arguments)

    entry.__name__ = entry.__qualname__ = name
    return entry


# The overloads of the Tensor methods whose arguments are checked here, as PyTorch's parser has them (its named-dim
# overloads left out: they never take the calls torchless gets)
METHOD_OVERLOADS = {
    "squeeze": ("", "int dim", "int[] dim"),
    "squeeze_": ("", "int dim", "int[] dim"),
    "unsqueeze": ("int dim",),
    "unsqueeze_": ("int dim",),
    "transpose_": ("int dim0, int dim1",),
    "swapaxes_": ("int axis0, int axis1",),
    "swapdims_": ("int dim0, int dim1",),
    "as_strided": ("SymInt[] size, SymInt[] stride, SymInt? storage_offset=None",),
    "exponential_": ("float lambd=1, *, Generator? generator=None",),
    "geometric_": ("float p, *, Generator? generator=None",),
    "cauchy_": ("float median=0, float sigma=1, *, Generator? generator=None",),
    "log_normal_": ("float mean=1, float std=2, *, Generator? generator=None",),
    "scatter_reduce": ("int dim, Tensor index, Tensor src, str reduce, *, bool include_self=True",),
    "scatter_reduce_": ("int dim, Tensor index, Tensor src, str reduce, *, bool include_self=True",),
    "narrow": ("int dim, Tensor start, SymInt length", "int dim, SymInt start, SymInt length"),
    "view": ("dtype dtype", "SymInt[] size"),
    "transpose": ("int dim0, int dim1",),
    "swapaxes": ("int axis0, int axis1",),
    "swapdims": ("int dim0, int dim1",),
    "flatten": ("int start_dim=0, int end_dim=-1",),
    "unflatten": ("int dim, SymInt[] sizes",),
    "chunk": ("int chunks, int dim=0",),
    "unbind": ("int dim=0",),
    "select": ("int dim, SymInt index",),
    "movedim": ("int source, int destination", "int[] source, int[] destination"),
    "moveaxis": ("int source, int destination", "int[] source, int[] destination"),
    "expand_as": ("Tensor other",),
    "flip": ("int[] dims",),
    "diagonal": ("int offset=0, int dim1=0, int dim2=1",),
    "roll": ("SymInt[1] shifts, int[1] dims=None",),
    "sum": ("*, dtype? dtype=None", "int[1]? dim, bool keepdim=False, *, dtype? dtype=None"),
    "mean": ("*, dtype? dtype=None", "int[1]? dim, bool keepdim=False, *, dtype? dtype=None"),
    "prod": ("*, dtype? dtype=None", "int dim, bool keepdim=False, *, dtype? dtype=None"),
    "nansum": ("int[1]? dim=None, bool keepdim=False, *, dtype? dtype=None",),
    "amax": ("int[1]? dim=None, bool keepdim=False",),
    "amin": ("int[1]? dim=None, bool keepdim=False",),
    "logsumexp": ("int[1] dim, bool keepdim=False",),
    "median": ("", "int dim, bool keepdim=False"),
    "nanmedian": ("", "int dim, bool keepdim=False"),
    "mode": ("int dim=-1, bool keepdim=False",),
    "all": ("", "int[]? dim=None, bool keepdim=False", "int dim, bool keepdim=False"),
    "any": ("", "int[]? dim=None, bool keepdim=False", "int dim, bool keepdim=False"),
    "count_nonzero": ("int? dim=None", "int[] dim"),
    "tile": ("SymInt[] dims",),
    "index_select": ("int dim, Tensor index",),
    "gather": ("int dim, Tensor index, *, bool sparse_grad=False",),
    "index_add": ("int dim, Tensor index, Tensor source, *, Number alpha=1",),
    "index_copy": ("int dim, Tensor index, Tensor source",),
    "index_fill": ("int dim, Tensor index, Tensor value", "int dim, Tensor index, Number value"),
    "scatter": ("int dim, Tensor index, Tensor src", "int dim, Tensor index, Tensor src, *, str reduce",
                "int dim, Tensor index, Number value", "int dim, Tensor index, Number value, *, str reduce"),
    "scatter_add": ("int dim, Tensor index, Tensor src",),
    "take_along_dim": ("Tensor indices, int? dim=None",),
    "narrow_copy": ("int dim, SymInt start, SymInt length",),
    "kthvalue": ("SymInt k, int dim=-1, bool keepdim=False",),
    "topk": ("SymInt k, int dim=-1, bool largest=True, bool sorted=True",),
    "tril": ("SymInt diagonal=0",),
    "triu": ("SymInt diagonal=0",),
    "diag": ("int diagonal=0",),
    "rot90": ("int k=1, int[] dims=[0,1]",),
    "repeat_interleave": ("Tensor repeats, int? dim=None, *, SymInt? output_size=None",
                          "SymInt repeats, int? dim=None, *, SymInt? output_size=None"),
    "unfold": ("int dimension, int size, int step",),
    "diag_embed": ("int offset=0, int dim1=-2, int dim2=-1",),
    "tensor_split": ("SymInt[] indices, int dim=0", "Tensor tensor_indices_or_sections, int dim=0",
                     "SymInt sections, int dim=0"),
    "diff": ("int n=1, int dim=-1, Tensor? prepend=None, Tensor? append=None",),
    "nanmean": ("int[1]? dim=None, bool keepdim=False, *, dtype? dtype=None",),
    **{name: ('Tensor q, int? dim=None, bool keepdim=False, *, str interpolation="linear"',
              'float q, int? dim=None, bool keepdim=False, *, str interpolation="linear"')
       for name in ("quantile", "nanquantile")},
    "bincount": ("Tensor? weights=None, SymInt minlength=0",),
    "renorm": ("Number p, int dim, Number maxnorm",),
    "matrix_power": ("int n",),
    "cov": ("*, int correction=1, Tensor? fweights=None, Tensor? aweights=None",),
    "index_reduce": ("int dim, Tensor index, Tensor source, str reduce, *, bool include_self=True",),
    "cross": ("Tensor other, int? dim=None",),
    "aminmax": ("*, int? dim=None, bool keepdim=False",),
    "stride": ("int dim",),
    **{name: ("Tensor other, float rtol=1e-05, float atol=1e-08, bool equal_nan=False",)
       for name in ("isclose", "allclose")},
    "select_scatter": ("Tensor src, int dim, SymInt index",),
    "slice_scatter": ("Tensor src, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1",),
    "diagonal_scatter": ("Tensor src, int offset=0, int dim1=0, int dim2=1",),
    "histc": ("int bins=100, Number min=0, Number max=0",),
    **{name: ("int sections", "int[] indices") for name in ("hsplit", "vsplit", "dsplit")},
    **{name: ("*, bool stable, int dim=-1, bool descending=False", "int dim=-1, bool descending=False")
       for name in ("sort", "argsort")},
    "std": ("int[1]? dim, bool unbiased=True, bool keepdim=False",
            "int[1]? dim=None, *, Number? correction=None, bool keepdim=False", "bool unbiased=True"),
    "var": ("int[1]? dim, bool unbiased=True, bool keepdim=False",
            "int[1]? dim=None, *, Number? correction=None, bool keepdim=False", "bool unbiased=True"),
    # Tensor.split is Python code calling these two with the tensor first
    "split": ("Tensor input, int split_size, int dim=0", "Tensor input, int[] split_size, int dim=0"),
    "split_with_sizes": ("Tensor input, int[] split_sizes, int dim=0",),
}


def _with_in_place(table):
    """``table`` with each method's in-place form (``addmm_``) taking the same overloads."""
    return {**table, **{f"{name}_": overloads for name, overloads in table.items()}}


def _added_product(first, second):
    """addmm's family: beta * self + alpha * (first @ second), PyTorch's deprecated overloads (beta, and alpha, by
    position before the operands) hidden."""
    return ((f"Tensor {first}, Tensor {second}, *, Number beta=1, Number alpha=1",),
            (f"Number beta, Number alpha, Tensor {first}, Tensor {second}",
             f"Number beta, Tensor {first}, Tensor {second}"))


def _tensor_or_number(argument):
    return (f"Tensor {argument}", f"Number {argument}"), ()


def _one(*overloads):
    """Printed overloads, none hidden."""
    return overloads, ()


_POINTWISE_PRODUCT = (("Tensor tensor1, Tensor tensor2, *, Number value=1",),
                      ("Number value, Tensor tensor1, Tensor tensor2",))

# The Tensor methods whose failing calls (written by the user) are parsed as PyTorch's parser would have parsed them
# first: (printed overloads, hidden ones), as the native schemas read (see _Schema). Nothing is parsed for a call
# that succeeds.
PARSED_ON_FAILURE = {
    **_with_in_place({
        "addmm": _added_product("mat1", "mat2"), "addmv": _added_product("mat", "vec"),
        "addr": _added_product("vec1", "vec2"), "baddbmm": _added_product("batch1", "batch2"),
        "addbmm": _added_product("batch1", "batch2"), "addcmul": _POINTWISE_PRODUCT, "addcdiv": _POINTWISE_PRODUCT,
        **{name: _tensor_or_number("other") for name in ("bitwise_and", "bitwise_or", "bitwise_xor",
                                                          "bitwise_left_shift", "bitwise_right_shift", "copysign",
                                                          "xlogy")},
        "float_power": _tensor_or_number("exponent"), "clamp_min": _tensor_or_number("min"),
        "clamp_max": _tensor_or_number("max"), "lerp": _one("Tensor end, Tensor weight", "Tensor end, Number weight"),
        "masked_fill": _one("Tensor mask, Tensor value", "Tensor mask, Number value"),
        **{name: _one("int dim, *, dtype? dtype=None") for name in ("cumsum", "cumprod")},
        **{name: _one("Tensor other") for name in ("atan2", "hypot", "logical_and", "logical_or", "logical_xor",
                                                   "gcd", "lcm", "nextafter", "ldexp")},
        "heaviside": _one("Tensor values"), "masked_scatter": _one("Tensor mask, Tensor source"),
        "nan_to_num": _one("float? nan=None, float? posinf=None, float? neginf=None"),
        "logit": _one("float? eps=None"), "mvlgamma": _one("int p"), "polygamma": _one("int n"),
        **{name: _one("Tensor other") for name in ("igamma", "igammac")},
    }),
    **{name: _one("int dim") for name in ("cummax", "cummin", "logcumsumexp")},
    **{name: _one("Tensor other") for name in ("maximum", "minimum", "fmax", "fmin", "logaddexp", "logaddexp2",
                                               "inner", "kron", "type_as", "view_as", "reshape_as")},
    **{name: _one("Tensor vec2") for name in ("outer", "ger")},
    "mv": _one("Tensor vec"), "masked_select": _one("Tensor mask"), "dist": _one("Tensor other, Number p=2"),
    **{name: _one("int dim, dtype? dtype=None") for name in ("softmax", "log_softmax")},
    **{name: _tensor_or_number("other") for name in ("remainder", "fmod")},
    **{name: _one("Tensor? min=None, Tensor? max=None", "Number? min=None, Number? max=None")
       for name in ("clip", "clamp", "clamp_")},
    **_with_in_place({"round": _one("", "*, int decimals")}),
    # (session 21: the methods off the hot paths whose refused calls kept Python's wording)
    "where": _one("Tensor condition, Tensor other", "Tensor condition, Number other"),
    "scatter_": _one("int dim, Tensor index, Tensor src", "int dim, Tensor index, Tensor src, *, str reduce",
                     "int dim, Tensor index, Number value", "int dim, Tensor index, Number value, *, str reduce"),
    "bernoulli_": _one("Tensor p, *, Generator? generator=None", "float p=0.5, *, Generator? generator=None"),
    "random_": _one("*, Generator? generator=None", "int from, int? to, *, Generator? generator=None",
                    "int to, *, Generator? generator=None"),
    "normal_": _one("float mean=0, float std=1, *, Generator? generator=None"),
    "unfold": _one("int dimension, int size, int step"),
    **{name: _one("Tensor other") for name in ("expand_as", "equal")},
    **{f"{name}_": (METHOD_OVERLOADS[name], ()) for name in ("index_fill", "index_add", "index_copy")},
    **{name: _one(f"SymInt[] size, {fill}*, dtype? dtype=None, layout? layout=None, device? device=None, "
                  "bool? pin_memory=False, bool? requires_grad=False")
       for name, fill in (("new_zeros", ""), ("new_ones", ""), ("new_empty", ""),
                          ("new_full", "Number fill_value, "))},
}

# Python code in PyTorch (Tensor.split): not parsed as a native method's call
_PYTHON_METHODS = frozenset(("split", "split_with_sizes"))


def parsed_when_wrapped():
    """The Tensor methods of METHOD_OVERLOADS whose failing calls are parsed by failure_parse where a wrapper takes
    them anyway (NumPy's names, parser_arity): no wrapper is added for it."""
    return frozenset(METHOD_OVERLOADS) - _PYTHON_METHODS


def failure_parse(name, args, kwargs):
    """The failed call ``args``/``kwargs`` of the Tensor method ``name`` (of PARSED_ON_FAILURE or METHOD_OVERLOADS)
    as PyTorch's parser
    reads it: (its TypeError, None) where it refuses the call; (None, the arguments by name) where only a
    deprecated overload takes it, with PyTorch's warning (once a process, as its TORCH_WARN_ONCE); (None, None)
    where it takes the call (the method's own error then stands)."""
    from ._function_signatures import METHOD_SIGNATURES

    printed, hidden = PARSED_ON_FAILURE[name] if name in PARSED_ON_FAILURE else METHOD_SIGNATURES[name] \
        if name in METHOD_SIGNATURES else (METHOD_OVERLOADS[name], ())
    try:
        index, arguments = parse_overload(name, printed, args, kwargs, hidden)
    except TypeError as error:
        return error, None
    if index < len(printed):
        return None, None
    _warn_deprecated_overload(name, hidden[index - len(printed)], printed)
    return None, arguments


def _warn_deprecated_overload(name, overload, replacements):
    global _deprecated_overload_warned
    if _deprecated_overload_warned:
        return
    _deprecated_overload_warned = True
    import warnings

    printed = (_Schema(name, text).printed() for text in replacements)
    warnings.warn(f"This overload of {name} is deprecated:\n\t{name}({_Schema(name, overload).printed()})\n"
                  "Consider using one of the following signatures instead:\n"
                  + "\n".join(f"\t{name}({text})" for text in printed)
                  + " (Triggered internally at /__w/pytorch/pytorch/torch/csrc/utils/python_arg_parser.cpp:1841.)",
                  UserWarning, stacklevel=4)


_deprecated_overload_warned = False


# linalg.vector_norm's parser, which Tensor.norm reaches too
VECTOR_NORM = ("Tensor input, Number ord=2, int[1]? dim=None, bool keepdim=False, *, dtype? dtype=None",)


# The function forms whose arguments are parsed before the method is called
FUNCTION_PARSED_FIRST = {
    "flip": ("Tensor input, int[] dims",),
    # (the method, Python code in PyTorch, refuses empty sizes before its parser sees dim)
    "unflatten": ("Tensor input, int dim, int[] sizes",),
}


# The function forms whose TypeErrors list their own overloads (with ``Tensor input`` first)
FUNCTION_OVERLOADS = {
    "movedim": ("Tensor input, int source, int destination", "Tensor input, int[] source, int[] destination"),
    "moveaxis": ("Tensor input, int source, int destination", "Tensor input, int[] source, int[] destination"),
    "prod": ("Tensor input, *, dtype? dtype=None",
             "Tensor input, int dim, bool keepdim=False, *, dtype? dtype=None, Tensor? out=None"),
    "squeeze": ("Tensor input", "Tensor input, int dim", "Tensor input, int[] dim"),
    "permute": ("Tensor input, int[] dims",),
    "tensor_split": ("Tensor input, SymInt[] indices, int dim=0", "Tensor input, Tensor tensor_indices_or_sections, "
                     "int dim=0", "Tensor input, SymInt sections, int dim=0"),
    "index_fill": tuple(f"Tensor input, int dim, Tensor index, {value}" for value in ("Tensor value", "Number value")),
    "scatter": tuple(f"Tensor input, int dim, Tensor index, {source}, *, {reduce}Tensor? out=None"
                     for source in ("Tensor src", "Number value") for reduce in ("", "str reduce, ")),
    **{name: tuple(f'Tensor input, {q} q, int? dim=None, bool keepdim=False, *, str interpolation="linear", '
                   'Tensor? out=None' for q in ("Tensor", "float")) for name in ("quantile", "nanquantile")},
    "repeat_interleave": ("Tensor input, Tensor repeats, int? dim=None, *, SymInt? output_size=None",
                          "Tensor repeats, *, SymInt? output_size=None",
                          "Tensor input, SymInt repeats, int? dim=None, *, SymInt? output_size=None"),
    "narrow": ("Tensor input, int dim, Tensor start, SymInt length",
               "Tensor input, int dim, SymInt start, SymInt length"),
    **{name: ("Tensor input, Tensor? min=None, Tensor? max=None, *, Tensor? out=None",
              "Tensor input, Number? min=None, Number? max=None, *, Tensor? out=None") for name in ("clamp", "clip")},
    **{name: (f"Tensor input, int[1]? dim, bool unbiased=True, bool keepdim=False{out}",
              f"Tensor input, int[1]? dim=None, *, Number? correction=None, bool keepdim=False{out}",
              "Tensor input, bool unbiased=True")
       for name, out in (("var", ", *, Tensor? out=None"), ("std", ", *, Tensor? out=None"), ("var_mean", ""),
                         ("std_mean", ""))},
}


# The function forms whose TypeErrors for a call their method refused list their own overloads (``out`` taken off
# by the function form before)
FUNCTION_FORM_OVERLOADS = {
    "sum": ("Tensor input, *, dtype? dtype=None",
            "Tensor input, int[1]? dim, bool keepdim=False, *, dtype? dtype=None, Tensor? out=None"),
    "mean": ("Tensor input, *, dtype? dtype=None, Tensor? out=None",
             "Tensor input, int[1]? dim, bool keepdim=False, *, dtype? dtype=None, Tensor? out=None"),
    **{name: ("Tensor input, *, Tensor? out=None",
              "Tensor input, int[]? dim=None, bool keepdim=False, *, Tensor? out=None",
              "Tensor input, int dim, bool keepdim=False, *, Tensor? out=None") for name in ("any", "all")},
    "count_nonzero": ("Tensor input, int? dim=None", "Tensor input, int[] dim"),
    "sort": ("Tensor input, *, bool stable, int dim=-1, bool descending=False, TensorList? out=None",
             "Tensor input, int dim=-1, bool descending=False, *, TensorList? out=None"),
    "argsort": ("Tensor input, *, bool stable, int dim=-1, bool descending=False, Tensor? out=None",
                "Tensor input, int dim=-1, bool descending=False"),
}


def in_place_named(name, error):
    """``error``, a parser TypeError of the Tensor method ``name``, as the form that called it names it where the
    failing call came through one: its in-place form (``x.tril_(1.0)``: "tril_(): argument ..."), its unsafe one
    (``x.unsafe_chunk(2, 1.0)``)."""
    import sys

    text, frame = str(error), sys._getframe(1)
    if not text.startswith(f"{name}()"):
        return error
    forms = (f"{name}_", f"unsafe_{name}")
    while frame is not None:
        if frame.f_code.co_name in forms and frame.f_code.co_filename.startswith(_PACKAGE):
            return TypeError(f"{frame.f_code.co_name}{text[len(name):]}")
        frame = frame.f_back
    return error


def method_arguments(name, args, kwargs=None):
    """``parse`` for the Tensor method ``name``; a TypeError as the parser gives it for the call as the user wrote
    it (see _written_call.user_call), where the method read the arguments back from its parameters (all by position)
    or was reached through its function form, or through its in-place form."""
    try:
        return _method_arguments(name, args, kwargs)
    except TypeError as error:
        raise in_place_named(name, error) from None


def _method_arguments(name, args, kwargs):
    try:
        return parse(name, METHOD_OVERLOADS[name], args, kwargs)
    except TypeError as error:
        from ._functions import POSITIONS_SHIFTED
        from ._written_call import user_call

        written = user_call(name)
        if written is None:
            raise
        shift = written.function_form and name not in POSITIONS_SHIFTED  # (else the function form shifts them)
        if written.positional < len(args):  # the arguments past those given by position: by keyword or not given
            names = max(([p.name for p in schema.params if not p.keyword_only]
                         for schema in _schemas(name, tuple(METHOD_OVERLOADS[name]))), key=len)
            given = {names[i]: args[i] for i in range(written.positional, min(len(args), len(names)))
                     if names[i] in written.keywords}
            args, kwargs = args[:written.positional], {**given, **(kwargs or {})}
        elif not shift:
            raise
        try:
            parse(name, METHOD_OVERLOADS[name], args, kwargs)
        except TypeError as as_written:
            raise function_positions(as_written) if shift else as_written from None
        raise error from None  # (the call as written passes, as it never should: the method's reading stands)


# The public methods that PyTorch writes in Python (torch/_tensor.py): Python's TypeErrors name them "Tensor.split()"
_PYTHON_TENSOR_METHODS = frozenset(
    "backward dim_order eig index is_shared istft lstsq lu module_load norm register_hook "
    "register_post_accumulate_grad_hook reinforce resize resize_as share_memory_ solve split stft storage "
    "storage_type symeig to_sparse_coo unflatten unique unique_consecutive".split())


def name_native_methods(cls):
    """Name the plain-function methods of ``cls`` that PyTorch binds natively by their bare names: the TypeErrors
    Python raises binding them ("add() got an unexpected keyword argument 'foo'", "got multiple values for
    argument") then read as PyTorch's parser words them, at no cost to a call (the hot methods are not wrapped).
    An alias (``multiply = mul``) keeps its function's name."""
    import inspect

    for name, value in vars(cls).items():
        if not name.startswith("_") and name not in _PYTHON_TENSOR_METHODS and inspect.isfunction(value) \
                and value.__name__ == name:
            value.__qualname__ = name


def word_binding_errors_as_the_parser(cls):
    """Wrap the methods off the hot paths that install_methods left unwrapped and whose signatures
    _function_signatures.METHOD_SIGNATURES holds: their failing calls (Python's binding errors, which count self,
    too) are parsed as PyTorch's parser reads them, as failure_parse does for those of PARSED_ON_FAILURE."""
    import inspect

    from ._function_signatures import METHOD_SIGNATURES
    from ._numpy_names import _renaming

    for name in METHOD_SIGNATURES:
        value = vars(cls).get(name)
        if inspect.isfunction(value):  # (one wrapped already for NumPy's names gets the parsing around it)
            setattr(cls, name, _renaming(name, value, {}, method_binding_error, failure_parse))


def takes_no_arguments(function):
    """Whether the Python function ``function`` (a method) takes nothing but self: PyTorch binds such a method as
    CPython's METH_NOARGS, whose TypeErrors are CPython's own."""
    import inspect

    code = getattr(inspect.unwrap(function), "__code__", None)
    return code is not None and code.co_argcount == 1 and not code.co_kwonlyargcount and \
        not code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS)


def no_arguments_error(name, args, kwargs):
    """CPython's TypeError for arguments given to the METH_NOARGS method ``name`` of PyTorch's TensorBase, as the
    user's ``x.exp(1)`` names it (keywords checked first)."""
    if kwargs:
        return TypeError(f"TensorBase.{name}() takes no keyword arguments")
    return TypeError(f"TensorBase.{name}() takes no arguments ({len(args)} given)")


def method_binding_error(name, args, kwargs, error):
    """PyTorch's TypeError for a call of the Tensor method ``name`` whose Python signature refused ``args`` and
    ``kwargs`` (``error``, Python's): CPython's for a method of no arguments, its parser's for the methods whose
    overloads are listed here, else Python's message as the parser words it (self not counted, no "Tensor."
    prefix)."""
    from ._tensor import Tensor

    if (args or kwargs) and takes_no_arguments(getattr(Tensor, name)):
        return no_arguments_error(name, args, kwargs)
    if name in METHOD_OVERLOADS:
        try:
            parse(name, METHOD_OVERLOADS[name], args, kwargs)
        except TypeError as parsed:
            return parsed
    return TypeError(_parser_wording(str(error)))


def _parser_wording(text):
    """Python's "Tensor.size() takes from 1 to 2 positional arguments but 3 were given" as PyTorch's parser words
    it: "size() takes from 0 to 1 positional arguments but 2 were given"."""
    text = re.sub(r"^\w+\.(?=\w+\(\))", "", text)
    counts = re.match(r"^(\w+\(\) takes )(from (\d+) to (\d+)|(\d+)) positional arguments? but (\d+) "
                      r"(?:was|were) given$", text)
    if counts:
        name, given = counts[1], int(counts[6]) - 1
        most = int(counts[4] or counts[5]) - 1
        if not most:  # a method of no arguments, which PyTorch binds as CPython's METH_NOARGS
            return f"TensorBase.{name[:-len(' takes ')]} takes no arguments ({given} given)"
        taken = f"from {int(counts[3]) - 1} to {most}" if counts[3] else str(most)
        return f"{name}{taken} positional argument{'' if taken == '1' else 's'} but {given} " \
               f"{'was' if given == 1 else 'were'} given"
    missing = re.match(r"^(\w+\(\)) missing (\d+) required positional arguments?: (.*)$", text)
    if missing:
        names = re.findall(r"'(\w+)'", missing[3])
        plural = "s" if len(names) == 1 else ""  # (inverted, as in PyTorch's message)
        return f"{missing[1]} missing {len(names)} required positional argument{plural}: " + \
               ", ".join(f'"{n}"' for n in names)
    return text


def method_error(name, args, kwargs=None):
    """The TypeError PyTorch's parser raises for a call of the Tensor method ``name`` that torchless's quick
    checks refused, or None where the parser would take it (the caller's own error then stands)."""
    try:
        method_arguments(name, args, kwargs)
    except TypeError as error:
        return error
    return None


def written_call(name, params, keywords):
    """(args, kwargs, input) of the failing call of the Tensor method ``name`` as its caller wrote it (see
    _written_call; ``input``: that of the function form it came through, else None), or None where that cannot be
    read. ``params``: (name, value) of the parameters it takes by position, in order; ``keywords``: its keyword-only
    ones, None when not given."""
    from ._tensor import Tensor
    from ._written_call import method_call

    written = method_call(name, Tensor)
    if written is None:
        return None
    keys, positional, input = written
    args = tuple(value for _, value in params[:positional])
    kwargs = {param: value for param, value in params[positional:] if param in keys}
    kwargs.update((key, value) for key, value in keywords.items() if value is not None)
    return args, kwargs, input


def _written_error(name, args, kwargs, input):
    """``method_error`` for a call read by ``written_call``; through a function form, the function's TypeError."""
    overloads = METHOD_OVERLOADS[name]
    if input is not None and name in FUNCTION_FORM_OVERLOADS:
        overloads, args = FUNCTION_FORM_OVERLOADS[name], (input,) + args
    try:  # (the call is as written already: parse, not method_arguments)
        parse(name, overloads, args, kwargs)
    except TypeError as error:
        return function_positions(error) if input is not None and name not in FUNCTION_FORM_OVERLOADS else error
    return None


def written_error(name, params, keywords):
    """The parser's TypeError for the call read by ``written_call``, or None (also where it cannot be read)."""
    call = written_call(name, params, keywords)
    return None if call is None else _written_error(name, *call)


def reduction_error(name, dim, keepdim, dtype=None, **keywords):
    """``method_error`` for a reduction, the call read back as written (``written_call``), else from its
    arguments: dim by position (left out when None), keepdim and the others by keyword (those at their defaults
    taken as not given)."""
    keywords["dtype"] = dtype
    call = written_call(name, (("dim", dim), ("keepdim", keepdim)), keywords)
    if call is None:
        args, kwargs = () if dim is None else (dim,), {}
        if keepdim is not False:
            kwargs["keepdim"] = keepdim
        kwargs.update((key, value) for key, value in keywords.items() if value is not None)
        call = args, kwargs, None
    return _written_error(name, *call)


def function_positions(error):
    """A method's parser TypeError as its function form raises it: the positions count the input too."""
    shifted = re.sub(r"^(\w+\(\): argument '(?!input')\w+' \(position )(\d+)\)",
                     lambda m: f"{m[1]}{int(m[2]) + 1})", str(error))
    return error if shifted == str(error) else TypeError(shifted)
