"""PyTorch's argument parser reading a call against native schemas (``int dim``, ``int[1]? dim``, ``bool
keepdim=False``, ``*`` for keyword-only): the arguments by name, or the parser's TypeError."""
import functools
import operator

import numpy as np

from .._ops._util import INT64, OVERFLOW, check_int64
from ._messages import element_not_tensor, invalid_combination, is_number_argument, too_many_positional, wrong_type


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
        from .._dtype import is_argument as is_dtype_argument
        from .._ops._util import is_index_argument, is_int_argument
        from .._tensor import Tensor

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
            # a bool too (PyTorch's parser takes any int), and any NumPy number, read through __float__
            return isinstance(value, (int, float, np.number, np.bool_)), None
        if self.kind == "bool":
            return isinstance(value, bool), None  # (no NumPy bool, which PyTorch reads as a float)
        if self.kind == "dtype":
            return is_dtype_argument(value), None
        if self.kind == "str":
            return isinstance(value, str), None
        if self.kind in ("layout", "device"):
            from .._device import device, layout

            if self.kind == "layout":
                return isinstance(value, layout), None
            return isinstance(value, (device, str, int)) and not isinstance(value, bool), None  # (an index: no bool)
        if self.kind == "Generator":
            from ..random import Generator

            return isinstance(value, Generator), None
        if self.kind == "TensorList":
            if not isinstance(value, (tuple, list)):
                return False, None
            return next(((False, i) for i, item in enumerate(value) if not isinstance(item, Tensor)), (True, None))
        if self.kind == "memory_format":
            from .._memory_format import memory_format

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
        from .._ops._util import is_index_argument
        from ..nn._functional._args import _numpy_name, _tp_name

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
            if keyword:  # under its name, else under a NumPy name the parser also takes (axis for dim)
                key = param.name if param.name in kwargs else _numpy_name(param.name, kwargs)
                present, value = key is not None, kwargs.get(key)
            else:
                present, value = True, args[position]
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
        from .._tensor import Tensor

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
        from .._ops._util import list_element
        from .._tensor import Tensor
        from ..nn._functional._args import _tp_name

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
                    raise RuntimeError(BOOL_SYMINT)
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
BOOL_SYMINT = ("Expected scalar.isIntegral( false) to be true, but got false.  (Could this error message be "
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
def schemas_of(name, overloads):
    return [_Schema(name, text) for text in overloads]


def parse_overload(name, overloads, args, kwargs=None, hidden=()):
    """``parse``, with the position of the overload taking the call among ``overloads`` first: for the ops whose
    overloads differ in more than their arguments' names (var's unbiased one saves correction=1, its correction
    one None). ``hidden``: overloads tried after those, never listed (PyTorch's deprecated signatures)."""
    kwargs = kwargs or {}
    schemas = schemas_of(name, tuple(overloads) + tuple(hidden))
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

def float_arguments(name, **values):
    """PyTorch's parser's reading of the ``float?`` arguments ``values`` of ``name``, by position in their order:
    each a float (a 0-d tensor outside the graph read as its value), or None; its TypeError for another type."""
    from .._tensor import Tensor

    read = []
    for position, (argument, value) in enumerate(values.items(), start=1):
        if value is not None:
            if not _SchemaParam(f"float? {argument}=None", False).check(value)[0]:
                raise wrong_type(name, argument, position, value, "float")
            value = float(value.item()) if isinstance(value, Tensor) else \
                float(value) if isinstance(value, np.complexfloating) else value  # (NumPy's ComplexWarning)
        read.append(value)
    return read

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
            from .. import _out_argument

            return _out_argument.call_into(name, out, impl, (), arguments)
        return impl(**arguments)

    entry.__name__ = entry.__qualname__ = name
    return entry

def warn_deprecated_overload(name, overload, replacements):
    import warnings

    from .._user_warnings import warns_once

    if not warns_once("deprecated overload"):  # (one TORCH_WARN_ONCE for every overload)
        return

    printed = (_Schema(name, text).printed() for text in replacements)
    warnings.warn(f"This overload of {name} is deprecated:\n\t{name}({_Schema(name, overload).printed()})\n"
                  "Consider using one of the following signatures instead:\n"
                  + "\n".join(f"\t{name}({text})" for text in printed)
                  + " (Triggered internally at /__w/pytorch/pytorch/torch/csrc/utils/python_arg_parser.cpp:1841.)",
                  UserWarning, stacklevel=4)

