"""Argument parsing at the functional boundary, with the TypeErrors of PyTorch's native argument parser.

PyTorch's C++ functions (``conv2d`` and friends) accept ``int[]`` arguments as an int or a sequence of
ints, and report bad calls in a fixed set of messages: "argument 'stride' must be tuple of ints,
not float" for a function with one signature, "received an invalid combination of arguments" for
one with several. :func:`native` gives a Python function the same parsing and messages.
"""
import functools
import operator
import os
import re

import numpy as np

from ..._ops._util import is_index_argument, is_int_argument, is_one_element_tensor
from ..._parser_errors import missing_arguments, too_many_positional
from ..._parser_errors._schema import BOOL_SYMINT
from ..._tensor import Tensor
from ..parameter import Parameter as _Parameter
from ._keyword_order import unordered_map_order

__all__ = ["Param", "native", "check_tensor", "call_key", "CheckedCalls"]

_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: classes defined in Python are named without their module


# torchless's stand-ins for PyTorch's C++ classes, which PyTorch prints with their module (``torch.dtype``): the
# compiled one, ``torch._C.Generator`` (``torch.Generator``'s own name), with its private module
_NAMED_WITH_MODULE = {"dtype": "torchless.dtype", "device": "torchless.device",
                      "Generator": "torchless._C.Generator", "layout": "torchless.layout", "Size": "torchless.Size",
                      "memory_format": "torchless.memory_format", "finfo": "torchless.finfo",
                      "iinfo": "torchless.iinfo"}


def _tp_name(value):
    """The type name CPython prints for ``value`` (``float``, ``Tensor``, ``numpy.float64``)."""
    return _class_tp_name(type(value))


def _class_tp_name(cls):
    """The name CPython prints for the class ``cls``: a class defined in Python by its bare name, a C type
    (``numpy.float32``) with its module, one of torchless's stand-ins for PyTorch's C++ classes as ``torchless.X``."""
    module = getattr(cls, "__module__", "builtins")  # (a class made where no __name__ is defined has none)
    if module.startswith("torchless") and cls.__name__ in _NAMED_WITH_MODULE:
        return _NAMED_WITH_MODULE[cls.__name__]
    if module == "builtins" or cls.__flags__ & _HEAP_TYPE:
        return cls.__name__
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_index(value):
    """An int for an ``int`` parameter: Python and NumPy integers, integral 0-d tensors; never a bool, nor another
    object that only converts through ``__index__`` (a 0-d NumPy array), which PyTorch's parser takes only in int
    lists (:func:`_is_list_int`)."""
    return type(value) is int or is_int_argument(value)  # (the usual case first, without the slower checks)


def _is_list_int(value):
    """An element of an ``int[]`` argument, or the single int it broadcasts: an int as :func:`_is_index` takes
    one or anything else ``__index__`` converts, or, as PyTorch's parser also takes there, a one-element tensor of
    an integer or bool dtype of any rank (``stride=torch.tensor([2])``)."""
    if isinstance(value, Tensor):
        return is_one_element_tensor(value)
    return is_index_argument(value)


def is_float_arg(value):
    """A value a ``float`` parameter of PyTorch's parser takes: a Python int or float (a bool too), any NumPy number
    (a bool or complex one too), or a 0-d tensor not requiring grad; not another ``numbers.Real`` (a Fraction), nor
    an object with ``__float__``."""
    if isinstance(value, Tensor):
        return value.dim() == 0 and not value.requires_grad
    return isinstance(value, (int, float, np.number, np.bool_))


class Param:
    """One parameter of a native signature: ``kind`` is 'Tensor', 'Tensor?', 'int[]', 'int', 'SymInt', 'int?', 'bool',
    'float' or 'str' ('SymInt' is an int PyTorch checks as it checks the elements of an int list)."""

    def __init__(self, name, kind, shown=None, default=None, symbolic=False):
        """``shown`` is the default as PyTorch prints it ('1', '"valid"'); None makes the parameter required.
        ``symbolic``: an ``int[]`` the schema types SymInt[] (as the convolutions' stride)."""
        self.name, self.kind, self.shown, self.default = name, kind, shown, default
        self.required, self.symbolic = shown is None, symbolic

    def type_name(self):
        return {"Tensor": "Tensor", "Tensor?": "Tensor", "int[]": "tuple of ints", "int": "int", "SymInt": "int",
                "int?": "int", "bool": "bool", "float": "float", "str": "str"}[self.kind]

    def describe(self):
        text = f"{self.type_name()} {self.name}"
        return text if self.required else f"{text} = {self.shown}"

    def failed_element(self, value):
        """For a rejected sequence given to an ``int[]``, the index PyTorch blames (its first element)."""
        return 0 if self.kind == "int[]" and isinstance(value, (tuple, list)) and value else None

    def accepts(self, value):
        """PyTorch's quick type check; an ``int[]`` looks at its first element only."""
        if self.kind == "Tensor":
            return isinstance(value, Tensor)
        if self.kind == "Tensor?":
            return value is None or isinstance(value, Tensor)
        if self.kind == "int":
            return _is_index(value)
        if self.kind == "SymInt":  # checked as an element of an int list (a one-element integer tensor passes)
            return _is_list_int(value)
        if self.kind == "int?":
            return value is None or _is_index(value)
        if self.kind == "bool":
            return isinstance(value, bool)
        if self.kind == "str":  # (bytes too, which PyTorch's parser reads as a C++ string)
            return isinstance(value, (str, bytes))
        if self.kind == "float":
            return is_float_arg(value)
        if value is None:
            return self.shown == "[]"  # PyTorch reads None as an empty default list (an omitted stride)
        if isinstance(value, (tuple, list)):
            return not value or _is_list_int(value[0])
        return _is_list_int(value)


_INT64 = range(-2 ** 63, 2 ** 63)


def unpack_int64(value):
    """An int the parser accepted, unpacked as a C++ int64: one it cannot hold fails as in PyTorch."""
    index = operator.index(value)
    if index not in _INT64:
        raise ValueError("Overflow when unpacking long long")
    return index


def unpack_symint(value):
    """A SymInt the parser accepted, unpacked as an int64: a bool tensor (its check takes one-element tensors of
    any integral dtype) then fails the assertion of pybind's SymInt caster, whose Scalar is no integer."""
    if isinstance(value, Tensor) and value._data.dtype == np.bool_:
        raise RuntimeError('scalar.isIntegral( false) INTERNAL ASSERT FAILED at "/__w/pytorch/pytorch/torch/csrc/utils/'
                           'pybind.cpp":27, please report a bug to PyTorch. ')
    return unpack_int64(value)


def unpack_lone_int(value, symbolic=False):
    """A lone value the parser accepted for an int list (see _is_list_int), unpacked as one int64. An object that
    only ``__index__`` converts (a 0-d NumPy array) passes the parser's check but fails its unpacking's assertion,
    whose line differs for a SymInt[] (``symbolic``) and an int[]."""
    if not isinstance(value, (int, np.integer, Tensor)):
        raise RuntimeError('PyList_Check(arg) INTERNAL ASSERT FAILED at "/__w/pytorch/pytorch/torch/csrc/utils/'
                           f'python_arg_parser.h":{573 if symbolic else 658}, please report a bug to PyTorch. '
                           'expected tuple or list')
    return unpack_int64(value)


def _int_list(value, size, symbolic=False):
    """An accepted ``int[size]`` value as a list, or the 1-based position of the first element that fails to
    unpack (a non-int, or an int beyond int64: see unpack_error); a lone int beyond int64 fails here, and so does a
    bool tensor in a SymInt list (``symbolic``)."""
    if not isinstance(value, (tuple, list)):
        return [unpack_lone_int(value, symbolic)] * size
    out = []
    for pos, item in enumerate(value, start=1):
        if not (_is_list_int(item) or isinstance(item, bool)):
            return pos
        if symbolic and isinstance(item, Tensor) and item._data.dtype == np.bool_:
            raise RuntimeError(BOOL_SYMINT)
        item = operator.index(item)
        if item not in _INT64:
            return pos
        out.append(item)
    return out


def unpack_error(fn, name, value, pos):
    """PyTorch's TypeError for the element at ``pos`` (1-based) of the int list ``value`` that failed to unpack
    (without the C++ stack PyTorch appends to an overflow's message)."""
    item = value[pos - 1]
    reason = "Overflow when unpacking long long" if _is_list_int(item) else \
        f"type must be tuple of ints,but got {_tp_name(item)}"
    return TypeError(f"{fn}(): argument '{name}' failed to unpack the object at pos {pos} with error \"{reason}\"")


# NumPy's names PyTorch's parser also takes for these parameters (its numpy_compatibility_arg_names)
_NUMPY_NAMES = {"dim": ("axis",), "keepdim": ("keepdims",), "input": ("x", "a", "x1"), "other": ("x2",)}


def _numpy_name(name, kwargs):
    """The NumPy name under which ``kwargs`` gives the parameter ``name``, if any."""
    return next((alias for alias in _NUMPY_NAMES.get(name, ()) if alias in kwargs), None)


class Signature:
    """One overload: its parameters in order and the int[] sizes (``IntArrayRef[2]``) of the function."""

    def __init__(self, name, params, list_size):
        self.name, self.params, self.list_size = name, params, list_size
        self.positions = {p.name: i for i, p in enumerate(params)}

    def describe(self):
        return "(" + ", ".join(p.describe() for p in self.params) + ")"

    def bind(self, args, kwargs, raise_errors):
        """Match ``args``/``kwargs``; return {name: value}, or None (or raise, for a sole signature) on a mismatch."""
        if len(args) > len(self.params):
            if raise_errors:
                raise too_many_positional(self.name, len(self.params), sum(p.required for p in self.params),
                                          len(args))
            return None
        bound, aliases = {}, ()
        for i, p in enumerate(self.params):
            positional = i < len(args)
            if positional and p.name in kwargs and not raise_errors:
                return None  # (the error, raised below, comes after the positional arguments' type checks)
            alias = None
            if not positional and p.name not in kwargs and (not kwargs or (alias := _numpy_name(p.name, kwargs))
                                                            is None):
                if p.required:
                    if raise_errors:
                        raise missing_arguments(self.name, [q.name for q in self.params[i:] if q.required])
                    return None
                bound[p.name] = p.default
                continue
            if alias is not None:
                aliases += (alias,)
            value = args[i] if positional else kwargs[alias or p.name]
            if not p.accepts(value):
                if raise_errors:
                    where = f" (position {i + 1})" if positional else ""
                    failed = p.failed_element(value) if positional else None
                    if failed is not None:
                        raise TypeError(f"{self.name}(): argument '{p.name}'{where} must be {p.type_name()}, but found "
                                        f"element of type {_tp_name(value[failed])} at pos {failed}")
                    raise TypeError(f"{self.name}(): argument '{p.name}'{where} must be {p.type_name()}, "
                                    f"not {_tp_name(value)}")
                return None
            bound[p.name] = value
        positions = self.positions
        if any(k not in bound and k not in aliases or k in positions and positions[k] < len(args) for k in kwargs):
            if raise_errors:  # the first in the order given that is no parameter's name (a NumPy name is none)
                first = next(k for k in kwargs if k not in positions or positions[k] < len(args))
                if first in positions:
                    raise TypeError(f"{self.name}() got multiple values for argument '{first}'")
                raise TypeError(f"{self.name}() got an unexpected keyword argument '{first}'")
            return None
        return bound

    def convert(self, bound):
        """Turn accepted int[] values into lists; a non-int past the first element fails here, as in PyTorch.

        PyTorch converts the arguments right to left, so the last bad one is the one reported.
        """
        for p in reversed(self.params):
            if p.kind == "int[]":
                converted = _int_list([] if bound[p.name] is None else bound[p.name], self.list_size, p.symbolic)
                if isinstance(converted, int):
                    raise unpack_error(self.name, p.name, bound[p.name], converted)
                bound[p.name] = converted
            elif p.kind == "SymInt":
                bound[p.name] = unpack_symint(bound[p.name])
            elif p.kind == "int" or (p.kind == "int?" and bound[p.name] is not None):
                bound[p.name] = unpack_int64(bound[p.name])
            elif p.kind == "float":
                bound[p.name] = float(bound[p.name])
            elif p.kind == "str" and isinstance(bound[p.name], bytes):
                bound[p.name] = bound[p.name].decode()
        return bound


# ---------------------------------------------------------------------------- "invalid combination"
def _describe_call(args, kwargs):
    """PyTorch's "got (Tensor, Tensor, stride=float)", keyword arguments in its C++ map's order."""
    text = "".join(f"{_tp_name(a)}, " for a in args)
    text += "".join(f"{k}={_tp_name(kwargs[k])}, " for k in unordered_map_order(list(kwargs)))
    return "(" + (text[:-2] if args else text) + ")"


def _described_with_items(value):
    """A value as PyTorch's "didn't match" line shows it: "tuple of (int, float)", "list of [int]", "float"."""
    if isinstance(value, tuple):  # (a subclass by its own name: "torch.Size of (int,)")
        items = ", ".join(_tp_name(v) for v in value) + ("," if len(value) == 1 else "")
        return f"{_tp_name(value)} of ({items})"
    if isinstance(value, list):
        return f"{_tp_name(value)} of [" + ", ".join(_tp_name(v) for v in value) + "]"
    return _tp_name(value)


def _legacy_name(param):
    """The name PyTorch's message formatter reads from the printed parameter: its last word, which for a
    parameter with a default is the default ("None", "1", '"valid"'), so no keyword ever matches it."""
    return param.describe().rsplit(" ", 1)[-1]


def _legacy_type_matches(param, value):
    """The formatter's type check: the printed type before the name, so a parameter with a default
    ("Tensor bias =") never matches, and "tuple of ints" matches nothing; a float takes an int too."""
    if not param.required:
        return False
    accepted = {"Tensor": ("Tensor",), "Tensor?": ("Tensor",), "int": ("int", "long"), "SymInt": ("int", "long"),
                "int?": ("int", "long"), "float": ("float", "int", "long"),
                "bool": ("bool",), "str": ("str",)}.get(param.kind, ())
    return _tp_name(value) in accepted


def unmatched_keywords(signature, kwargs):
    """The keywords of ``kwargs`` PyTorch's message formatter finds no parameter of ``signature`` for: it looks at
    as many of its last parameters as there are keywords, by their _legacy_name."""
    names = [_legacy_name(p) for p in signature.params]
    looked_at = names[max(len(names) - len(kwargs), 0):]
    return [key for key in unordered_map_order(list(kwargs)) if key not in looked_at]


def _why_not(signature, args, kwargs):
    """The "didn't match because ..." line PyTorch puts under an overload taking as many arguments as the call
    gives ('' for another count)."""
    names = [_legacy_name(p) for p in signature.params]
    if len(args) + len(kwargs) != len(names):
        return ""
    if kwargs:
        unmatched = unmatched_keywords(signature, kwargs)
        if unmatched:
            return "      didn't match because some of the keywords were incorrect: " + ", ".join(unmatched) + "\n"
    # Marked in red where the terminal shows it, else between exclamation marks
    colour = os.isatty(1) and os.isatty(2)
    bad, bad_end, good, good_end = ("\33[31;1m", "\33[0m", "\33[32;1m", "\33[0m") if colour else ("!", "!", "", "")
    parts = []
    for i, (param, name) in enumerate(zip(signature.params, names)):
        value = args[i] if i < len(args) else kwargs[name]
        shown = ("" if i < len(args) else f"{name}=") + _described_with_items(value)
        parts.append(f"{good}{shown}{good_end}" if _legacy_type_matches(param, value) else f"{bad}{shown}{bad_end}")
    return "      didn't match because some of the arguments have invalid types: (" + ", ".join(parts) + ")\n"


def native(name, *overloads, list_size):
    """Decorate a functional with PyTorch's argument parsing for ``name``.

    Each overload is a list of :class:`Param`; the decorated function receives keyword arguments,
    ``int[]`` ones as lists of ints (an int repeated ``list_size`` times).
    """
    signatures = [Signature(name, list(params), list_size) for params in overloads]

    def decorate(fn):
        @functools.wraps(fn)
        def parsed(*args, **kwargs):
            sole = len(signatures) == 1
            for signature in signatures:
                bound = signature.bind(args, kwargs, raise_errors=sole)
                if bound is not None:
                    return fn(**signature.convert(bound))
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            f"{_describe_call(args, kwargs)}, but expected one of:\n"
                            + "".join(f" * {s.describe()}\n{_why_not(s, args, kwargs)}" for s in signatures))

        return parsed

    return decorate


class _Required:
    def __repr__(self):
        return "<required>"


REQUIRED = _Required()  # stands for a required argument left out (see native_binding), its checks then failing


def native_binding(fn):
    """``fn``, the Python form of a native PyTorch function, whose calls leaving out a required argument fail as
    PyTorch's parser fails them: first on a wrong type of an argument given before it (the checks of ``fn``, run
    with REQUIRED in the place of the missing ones, stop at the first of them), else with its "missing" message.
    (Python's other binding errors are worded as the parser's.) A frame per call: not for the hot paths."""
    import inspect

    from ..._numpy_names import _FUNCTION_ALIASES, _accepted, _renamed

    params = inspect.signature(fn).parameters
    names = list(params)
    required = [name for name, param in params.items() if param.default is param.empty]
    aliases = _accepted(fn, _FUNCTION_ALIASES, skip_self=False)  # NumPy's names its parser takes (x= for input)

    @functools.wraps(fn)
    def bound(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TypeError as error:
            if error.__traceback__.tb_next is not None:  # (raised inside fn)
                raise _by_keyword(error, kwargs) from None
            if not aliases.keys().isdisjoint(kwargs):
                return bound(*args, **_renamed(fn.__name__, args, kwargs, aliases))
            given = set(names[:len(args)]).union(kwargs)
            missing = [name for name in required if name not in given]
            if not missing or len(args) > len(names):
                raise  # (no missing argument: Python's words are PyTorch's)
            known = {key: value for key, value in kwargs.items() if key in params and key not in names[:len(args)]}
            try:
                fn(*args, **known, **dict.fromkeys(missing, REQUIRED))
            except TypeError as checked:
                if not getattr(checked, "missing_argument", False):
                    raise _by_keyword(checked, kwargs) from None
            raise missing_arguments(fn.__name__, required[required.index(missing[0]):]) from None

    # named as fn: the frame of the user's call of the op, which the parser's messages read (_written_call)
    bound.__code__ = bound.__code__.replace(co_name=fn.__name__)
    return bound


def _by_keyword(error, kwargs):
    """``error``, raised inside a natively bound function, as PyTorch's parser words it where the argument it
    refuses was given by keyword: without a position ("gelu(): argument 'input' must be Tensor, not NoneType")."""
    refused = re.match(r"^(\w+\(\): argument '(\w+)') \(position \d+\)( must be .*)$", str(error), re.DOTALL)
    if refused is None or refused[2] not in kwargs:
        return error
    return TypeError(refused[1] + refused[3])


def check_tensor(value, fn, name="input", position=1, as_written=False):
    """PyTorch's TypeError for a non-tensor passed positionally to a one-signature function ``fn``; with
    ``as_written``, the position only where the user's call of ``fn`` (a native function itself, as F.linear is)
    passed it by position. REQUIRED (a missing argument, see native_binding): the parser's error for it."""
    if not isinstance(value, Tensor):
        if value is REQUIRED:
            raise missing_arguments(fn, [name])
        if as_written:
            from ..._parser_errors import not_tensor

            raise not_tensor(fn, name, position, value)
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not {_tp_name(value)}")


_PLAIN = frozenset({int, bool, str, type(None)})


def _summary(value):
    """What argument checks can see of ``value``: a tensor's shape and dtype, a plain value itself.

    None for anything else (NumPy integers, lists, 0-d tensors, ...): such calls are never remembered.
    Values are tagged with their type, since 1, 1.0 and True hash alike.
    """
    kind = type(value)
    if kind in _PLAIN:
        return kind, value
    if kind is tuple:
        for item in value:
            if type(item) is not int:
                return None
        return value
    if isinstance(value, Tensor):
        array = value._data
        return (Tensor, array.shape, array.dtype) if array.ndim else None  # a 0-d tensor may stand for an int
    return None


def call_key(args, kwargs=None):
    """A hashable summary of a call from which the outcome of every argument check follows, or None."""
    # Runs on every call of a checked functional (every layer of every step), hence the inlining:
    # tensors, tuples of ints and plain values (what layers pass) skip the call to _summary, which
    # was a fifth of the Python time of a batch-1 forward of the course CNN.
    key = [len(args)]
    for value in args:
        kind = type(value)
        if kind is Tensor or kind is _Parameter:  # the common case, first
            array = value._data
            if not array.ndim:
                return None
            key.append((Tensor, array.shape, array.dtype))
        elif kind is tuple:
            for item in value:
                if type(item) is not int:
                    return None
            key.append(value)
        elif kind in _PLAIN:
            key.append((kind, value))
        else:
            summary = _summary(value)
            if summary is None:
                return None
            key.append(summary)
    if kwargs:
        key += kwargs  # the names, then their values' summaries
        for value in kwargs.values():
            summary = _summary(value)
            if summary is None:
                return None
            key.append(summary)
    return tuple(key)


class CheckedCalls(dict):
    """call_key -> normalised arguments of calls that passed every check, so a repeat skips the checks.

    Only successful calls are remembered: a bad call always takes the full path and its exact error.
    Bounded, since shapes can vary without end (cleared when full: real models repeat a few keys).
    """

    limit = 256

    def remember(self, key, normalised):
        if key is not None:
            if len(self) >= self.limit:
                self.clear()
            self[key] = normalised
        return normalised
