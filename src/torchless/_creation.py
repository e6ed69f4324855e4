"""Tensor factories: tensor, from_numpy, zeros, ones, full, arange, rand, randn, randint, ... and *_like."""
import ctypes
import functools
import math
import numbers
import operator
import warnings

import numpy as np
from numpy.lib.array_utils import byte_bounds

from . import _dtype, _memory_format, _parser_errors
from ._ops._util import check_int64, is_index_argument
from ._tensor import Tensor, _promote, _require_cpu, _shape_arg, _warn_from_user_code
from ._kernels import fma, parallel
from .autograd.grad_mode import is_grad_enabled, no_grad
from .random import draw_values, stream


def _finish(array, requires_grad=False, device_arg=None, from_data=False):
    """The factory's new tensor around ``array``. Not ``from_data``, an empty one gets C order's strides, as
    PyTorch allocates it (NumPy's routines give empty arrays all-zero strides); tensor(data) and as_tensor(data)
    of an array or tensor keep those of an empty one, as PyTorch does."""
    if device_arg is not None:
        _require_cpu(device_arg)
    if not from_data and not array.size and array.ndim and not any(array.strides):  # (not empty_strided's own)
        array = _memory_format.with_c_strides(array)
    out = Tensor._wrap(array)
    if requires_grad:
        out._set_requires_grad(True)
    return out


def _accepts_out(resizes_first=False, keeps_shape=False, warns_on_resize=False):
    """A decorator giving a factory PyTorch's ``out=``: the values are made in out's dtype (a ``dtype`` given too
    must be the same one), written into ``out``, which is returned. ``out`` of another shape is resized
    to the result's, quietly (arange warns); the range factories keep a shape of as many elements (they fill it
    in order). empty and randn always resize ``out`` first, so they refuse one requiring grad as resize_ does; the
    others refuse it, while grad mode is on, as every out= function does."""
    return functools.partial(_with_out, resizes_first=resizes_first, keeps_shape=keeps_shape,
                             warns_on_resize=warns_on_resize)


def _with_out(function, resizes_first, keeps_shape, warns_on_resize):
    name = function.__name__

    @functools.wraps(function)
    def call(*args, out=None, **kwargs):
        if out is None:
            return function(*args, **kwargs)
        dtype, requires_grad = kwargs.pop("dtype", None), kwargs.pop("requires_grad", False)
        if not isinstance(out, Tensor):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {_type_name(out)}")
        if dtype is not None and _dtype.is_argument(dtype):
            given = _dtype.from_numpy_dtype(_dtype.to_numpy_dtype(dtype))
            if given.numpy != out._data.dtype:
                raise RuntimeError(f"dtype {given.scalar_name} does not match dtype of out parameter "
                                   f"({out.dtype.scalar_name})")
        if out.requires_grad and (resizes_first or is_grad_enabled()):
            if resizes_first:
                raise RuntimeError("cannot resize variables that require grad")
            raise RuntimeError(f"aten::{name}(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad.")
        result = function(*args, dtype=out.dtype if dtype is None else dtype, **kwargs)
        shape = result._data.shape
        with no_grad():
            if out._data.shape != shape and not (keeps_shape and out._data.size == result._data.size):
                if warns_on_resize:
                    warnings.warn(f"The number of elements in the out tensor of shape {list(out._data.shape)} is "
                                  f"{out._data.size} which does not match the computed number of elements "
                                  f"{result._data.size}. Note that this may occur as a result of rounding error. The "
                                  f"out tensor will be resized to a tensor of shape {tuple(shape)}.", UserWarning,
                                  stacklevel=2)
                out.resize_(shape)
            out.copy_(result.reshape(out._data.shape))
        if requires_grad:
            out._set_requires_grad(True)  # (a factory's message for an integer dtype, not requires_grad_'s)
        return out

    return call


_NO_PINNED_MEMORY = ("pin_memory=True requires a CUDA or other accelerator backend; no pinned memory allocator is "
                     "available on this system.")


def check_pin_memory(pin_memory):
    if pin_memory:
        raise RuntimeError(_NO_PINNED_MEMORY)


def _memory_keywords(factory):
    """``factory`` also taking the keywords every PyTorch factory has for where its memory goes: ``layout``
    (strided, the only one) and ``pin_memory`` (refused when true, as a build without an accelerator does)."""

    @functools.wraps(factory)
    def call(*args, layout=None, pin_memory=False, **kwargs):
        check_pin_memory(pin_memory)
        return factory(*args, **kwargs)

    return call


# The keyword arguments of PyTorch's factories, as its parser prints them in "invalid combination" messages
_FACTORY_KEYWORDS = ("Tensor? out=None, dtype? dtype=None, layout? layout=None, device? device=None, "
                     "bool pin_memory=False, bool requires_grad=False")
_RANDOM_OVERLOADS = (f"SymInt[] size, *, Generator? generator, {_FACTORY_KEYWORDS}",
                     f"SymInt[] size, *, {_FACTORY_KEYWORDS}")
_EYE_OVERLOADS = (f"SymInt n, *, {_FACTORY_KEYWORDS}", f"SymInt n, SymInt m, *, {_FACTORY_KEYWORDS}")
_RANDINT_OVERLOADS = tuple(f"{bounds}, SymInt[] size, *, {generator}{_FACTORY_KEYWORDS}"
                           for bounds in ("SymInt high", "SymInt low, SymInt high")
                           for generator in ("Generator? generator, ", ""))
_LINSPACE_OVERLOADS = tuple(f"{start} start, {end} end, int steps, *, {_FACTORY_KEYWORDS}"
                            for end in ("Tensor", "Number") for start in ("Tensor", "Number"))
_LOGSPACE_OVERLOADS = tuple(f"{start} start, {end} end, int steps, float base=10.0, *, {_FACTORY_KEYWORDS}"
                            for end in ("Tensor", "Number") for start in ("Tensor", "Number"))
_RANDPERM_SCHEMAS = (f"SymInt n, *, Generator? generator, {_FACTORY_KEYWORDS}", f"SymInt n, *, {_FACTORY_KEYWORDS}")
_ARANGE_OVERLOADS = (f"Number end, *, {_FACTORY_KEYWORDS}", f"Number start, Number end, *, {_FACTORY_KEYWORDS.removeprefix('Tensor? out=None, ')}",
                     f"Number start, Number end, Number step=1, *, {_FACTORY_KEYWORDS}")
_NO_SIZE = object()  # the size given as ints rather than by keyword
_UNGIVEN = object()  # an optional argument left out (None given is refused, as by PyTorch's parser)


def _is_number_argument(value):
    """What PyTorch's parser takes for a Number: a Python or NumPy number, or a 0-d tensor not requiring grad."""
    if isinstance(value, Tensor):
        return not value.dim() and not value.requires_grad
    return isinstance(value, (numbers.Number, np.bool_))


def _dtype_argument(dtype, name, overloads, args):
    """The NumPy dtype for the ``dtype`` of a call ``name(*args, dtype=dtype)`` of a factory with several
    ``overloads``: a wrong one makes PyTorch's parser list them all."""
    if not _dtype.is_argument(dtype):
        _parser_errors.parse(name, overloads, tuple(args), {"dtype": dtype})
    return _dtype.argument(dtype, name)


def _size(size, name, keyword=_NO_SIZE, overloads=None):
    """The shape for ``name(*size)`` (ints or one sequence) or ``name(size=keyword)``, with PyTorch's errors for bad
    sizes."""
    if keyword is not _NO_SIZE:
        shape = tuple(_parser_errors.parse(name, overloads or ("SymInt[] size",), size, {"size": keyword})["size"])
    else:
        shape = _shape_arg(size, name, overloads=overloads)
    for n in shape:
        if n < 0:
            if name == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(shape)}")
    return shape


# What PyTorch's reading of nested data takes for a sequence (PySequence_Check: a tensor or a dict is none), and
# its limit on dimensions, which also ends its walk down a string (each character a string again).
_SEQUENCES = (list, tuple, range, np.ndarray, str, bytes, bytearray)
_MAX_DIMS = 128
_STRINGS = (str, bytes)
_PYTHON_NUMBERS = {float, int, bool}
_INT64, _BOOL = np.dtype(np.int64), np.dtype(np.bool_)


def _sizes(data):
    """PyTorch's shape for nested ``data``: the lengths down the first elements, stopping at an empty sequence."""
    sizes = []
    while isinstance(data, _SEQUENCES):
        length = len(data)  # a 0-d array there: "len() of unsized object", as in PyTorch
        sizes.append(length)
        if len(sizes) > _MAX_DIMS:
            raise ValueError(f"too many dimensions '{type(data).__name__}'")
        if not length:
            break
        data = data[0]
    return sizes


def _inferred_dtype(data, exotic):
    """PyTorch's dtype for nested ``data`` (a NumPy dtype): Python floats the default dtype, ints int64, NumPy
    values, arrays and tensors their own, promoted element by element without NumPy's value-based rules
    (int8 beside uint8 is int16, float16 beside an int stays float16). Appends to ``exotic`` when it meets a
    value NumPy would read otherwise than PyTorch stores it (a NumPy scalar or array, a tensor)."""
    kind = type(data)
    if kind is float:
        return _dtype.get_default_dtype().numpy
    if kind is int:
        return _INT64
    if kind is bool:
        return _BOOL
    if kind is list or kind is tuple:
        if not data:
            return _dtype.get_default_dtype().numpy
        kinds = set(map(type, data))
        if kinds <= _PYTHON_NUMBERS:  # the common case, without a call per element
            return _dtype.get_default_dtype().numpy if float in kinds else _INT64 if int in kinds else _BOOL
        result = None
        for item in data:
            item_dtype = _inferred_dtype(item, exotic)
            result = item_dtype if result is None or result == item_dtype else _promote(result, item_dtype)
        return result
    if isinstance(data, _STRINGS):
        raise TypeError(f"new(): invalid data type '{kind.__name__}'")
    if isinstance(data, (np.generic, np.ndarray, Tensor)):
        exotic.append(data)
        if isinstance(data, Tensor):
            return data._data.dtype
        return _dtype.from_numpy_dtype(data.dtype.newbyteorder("=")).numpy  # (values read whatever their order)
    if isinstance(data, numbers.Integral):
        return np.dtype(np.int64)
    if isinstance(data, numbers.Real):
        return _dtype.get_default_dtype().numpy
    if isinstance(data, _SEQUENCES):
        return _inferred_dtype(list(data), exotic)
    if isinstance(data, numbers.Complex):  # the complex dtype of the default float dtype's precision
        return _dtype.get_default_dtype().to_complex().numpy
    raise RuntimeError(f"Could not infer dtype of {kind.__name__}")


def _store_check(np_dtype):
    """What PyTorch does with each number it stores into a tensor of ``np_dtype``: a float target takes anything
    with ``__float__`` (not a Python complex), an integer one a Python float or anything with ``__index__`` (not
    NumPy's bools, float32s or float arrays, nor float tensors), a bool one Python complexes and NumPy's bools
    too."""
    if np_dtype.kind == "f":
        def check(value):
            if not hasattr(type(value), "__float__") and not hasattr(type(value), "__index__"):
                raise TypeError(f"must be real number, not {_type_name(value)}")
            float(value)
    elif np_dtype.kind == "c":
        def check(value):
            complex(value)
    else:
        taken = (float, complex, np.bool_) if np_dtype.kind == "b" else float

        def check(value):
            if not isinstance(value, taken):
                operator.index(value)
    return check


def _check_store(data, sizes, dim, check):
    """Walk ``data`` as PyTorch stores it, raising its first error (row-major order)."""
    if dim == len(sizes):
        check(data)
        return
    try:
        items = data if type(data) is list or type(data) is tuple else list(iter(data))
    except TypeError:
        raise TypeError("not a sequence") from None
    if len(items) != sizes[dim]:
        raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got {len(items)})")
    for item in items:
        _check_store(item, sizes, dim + 1, check)


def _plain(data):
    """Nested sequences with the tensors inside turned into arrays; PyTorch reads a tensor there as one number
    (``float()`` of it: any shape with one element), so a one-element tensor becomes a 0-d array."""
    if isinstance(data, Tensor):
        return data._data.reshape(()) if data._data.size == 1 else data._data
    if isinstance(data, (list, tuple)):
        return [_plain(d) for d in data]
    return data


# PyTorch warns once per process (TORCH_WARN_ONCE) when nested data holds NumPy arrays.
_NDARRAY_LIST_WARNING = ("Creating a tensor from a list of numpy.ndarrays is extremely slow. Please consider converting "
                         "the list to a single numpy.ndarray with numpy.array() before converting to a tensor. "
                         "(Triggered internally at /__w/pytorch/pytorch/torch/csrc/utils/tensor_new.cpp:252.)")
_ndarray_list_warned = [False]


def _sequence_array(data, np_dtype):
    """An array of the numbers in ``data`` (a nested sequence, maybe of tensors, or a Python number) for a tensor
    of ``np_dtype`` (None: inferred). PyTorch reads a Python int as int64 unless the tensor is floating or bool:
    NumPy takes larger ints as uint64, objects, or floats beside negative ones."""
    if isinstance(data, _STRINGS):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    sizes = _sizes(data)
    exotic = []
    try:
        inferred = _inferred_dtype(data, exotic)
    except (RuntimeError, TypeError):
        if np_dtype is not None:  # PyTorch infers nothing for a given dtype: storing the elements fails first
            _check_store(data, sizes, 0, _store_check(np_dtype))
        raise
    if not _ndarray_list_warned[0] and any(type(e) is np.ndarray for e in exotic):
        _ndarray_list_warned[0] = True
        _warn_from_user_code(_NDARRAY_LIST_WARNING)
    target = inferred if np_dtype is None else np_dtype
    if not math.prod(sizes):  # PyTorch stores nothing, so looks no further than the first elements
        return np.zeros(sizes, target)
    if exotic or np_dtype is not None and inferred.kind == "c" and np_dtype.kind != "c":
        # (the elements PyTorch stores its own way, complexes into a real dtype among them)
        _check_store(data, sizes, 0, _store_check(target))
    plain = _plain(data) if any(isinstance(e, Tensor) for e in exotic) else data
    try:
        array = np.array(plain)
    except (ValueError, TypeError):
        array = None
    if array is None or array.shape != tuple(sizes) or array.dtype.kind not in "fiubOc":
        _check_store(data, sizes, 0, _store_check(target))
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if array.dtype == object and not all(isinstance(x, numbers.Number) for x in array.flat):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if target.kind in "iu" and (array.dtype == np.uint64 or array.dtype.kind in "fO" and inferred.kind != "f"):
        raise ValueError("Overflow when unpacking long long")
    if array.dtype == object:  # ints beyond 64 bits become floats (10**400: OverflowError, as in PyTorch)
        array = array.astype(np.bool_ if np_dtype == np.bool_ else np.float64)
    if np_dtype is None:
        with np.errstate(over="ignore"):  # beyond float16 or float32: inf, silently as in PyTorch
            return array.astype(inferred, copy=False)
    return array


def _check_range(array, np_dtype):
    """PyTorch's refusal of values beyond an integer dtype's range, checked one by one as a fill value is (an
    unsigned dtype takes negative ints down to -max: uint8 reads -1 as 255)."""
    if not array.size or np.can_cast(array.dtype, np_dtype):
        return
    info = np.iinfo(np_dtype)
    lowest = -info.max if np_dtype.kind == "u" and array.dtype.kind in "iu" else info.min
    if not (lowest <= array.min() and array.max() <= info.max):  # False for NaN too
        raise RuntimeError(f"value cannot be converted to type {np_dtype.name} without overflow")


_NEGATIVE_STRIDES = ("At least one stride in the given numpy array is negative, and tensors with negative strides are "
                     "not currently supported. (You can probably work around this by making a copy of your array  "
                     "with array.copy().) ")


def _check_numpy_array(array, np_dtype=None):
    """PyTorch's errors for an array it cannot take: another byte order than the machine's, a dtype it lacks
    (with a target ``np_dtype``, only a non-numeric one), negative strides."""
    if not array.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. Conversion between "
                         "byte orders is currently not supported.")
    if np_dtype is None or array.dtype == object:
        _dtype.from_numpy_dtype(array.dtype)
    if any(stride < 0 for stride in array.strides):
        raise ValueError(_NEGATIVE_STRIDES)


def _plain_array(array):
    """``array`` as a plain ndarray sharing its memory: PyTorch reads a subclass's buffer (np.matrix's values,
    a masked array's data under its mask), whose own operators (matrix products, masks) a tensor must not keep."""
    return array if type(array) is np.ndarray else array.view(np.ndarray)


def _infer_array(data, dtype, function):
    """An array for ``data`` with PyTorch's dtype inference: Python floats become the default float dtype. Numbers
    given one by one (not as an array or a tensor) are range-checked for an integer ``dtype``."""
    np_dtype = None if dtype is None else _dtype.argument(dtype, function)
    if isinstance(data, Tensor):
        array = data._data
    elif isinstance(data, np.ndarray):
        _check_numpy_array(data, np_dtype)
        array = _plain_array(data)
    else:
        if isinstance(data, np.generic):
            array = np.asarray(data)
            if np_dtype is None:
                _check_numpy_array(array)
            else:  # stored as a number is (tensor(np.float32(1.5), dtype=torchless.int64) fails)
                _store_check(np_dtype)(data)
        else:
            array = _sequence_array(data, np_dtype)
        if np_dtype is not None and np_dtype.kind in "iu":
            _check_range(array, np_dtype)
    if np_dtype is not None and array.dtype != np_dtype:
        with np.errstate(over="ignore", invalid="ignore"):  # inf, or an arbitrary int for nan, silently
            # always a new array (a complex one's real part is a strided view), laid out as the source
            array = _dtype.cast_source(array, np_dtype).astype(np_dtype)
    return array


def _copy_construct_warning(caller):
    warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                  f"sourceTensor.detach().clone().requires_grad_(True), rather than {caller}(sourceTensor).",
                  UserWarning, stacklevel=3)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (a number, nested sequence, array or tensor).

    Python floats give the default dtype (float32), Python ints int64, bools bool; NumPy arrays keep theirs.
    """
    check_pin_memory(pin_memory)
    check_requires_grad("tensor", requires_grad, none_taken=False)
    if isinstance(data, Tensor):
        _copy_construct_warning("torchless.tensor")
    array = _infer_array(data, dtype, "tensor")
    return _finish(np.array(array, copy=True), requires_grad, device,
                   from_data=isinstance(data, (np.ndarray, np.generic, Tensor)))


def as_tensor(data, *, dtype=None, device=None):
    """A tensor sharing memory with ``data`` where possible (arrays, tensors of the same dtype)."""
    if isinstance(data, Tensor) and (dtype is None or dtype == data.dtype):
        return data
    return _finish(_infer_array(data, dtype, "as_tensor"), device_arg=device,
                   from_data=isinstance(data, (np.ndarray, np.generic, Tensor)))


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """``obj`` as a tensor (PyTorch's ``torch.asarray``): a tensor or NumPy array is shared, not copied, when it
    already has ``dtype`` and ``copy`` is not True; ``copy=False`` refuses a conversion that would need a copy.
    Other data (numbers, nested lists) becomes a new tensor as ``tensor(obj)`` builds it."""
    if device is not None:
        _require_cpu(device)
    if isinstance(obj, (np.ndarray, np.generic)) and not isinstance(obj, Tensor):
        obj = from_numpy(np.asarray(obj))  # shares the array's memory (a NumPy scalar's own copy)
    if isinstance(obj, Tensor):
        target = dtype or obj.dtype
        if copy is False and target != obj.dtype:
            raise ValueError(f"can't alias tensor with dtype '{obj.dtype.scalar_name}' into dtype "
                             f"'{target.scalar_name}'.")
        out = obj.to(target)
        if copy and out is obj:
            out = obj.clone()
    else:
        out = tensor(obj, dtype=dtype)
    if requires_grad:
        out._set_requires_grad(True)  # a factory's refusal of integer dtypes
    return out


_warned_read_only = False  # PyTorch warns of the first read-only array only


def from_numpy(ndarray):
    """A tensor sharing memory with a NumPy array (changes to one show in the other)."""
    global _warned_read_only
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {_type_name(ndarray)})")
    _check_numpy_array(ndarray)
    if not ndarray.flags.writeable:
        if not _warned_read_only:
            _warned_read_only = True
            warnings.warn("The given NumPy array is not writable, and PyTorch does not support non-writable tensors. "
                          "This means writing to this tensor will result in undefined behavior. You may want to copy "
                          "the array to protect its data or make it writable before converting it to a tensor. This "
                          "type of warning will be suppressed for the rest of this program.", UserWarning,
                          stacklevel=2)
        ndarray = _writable_alias(ndarray)
    return Tensor._wrap(_plain_array(ndarray))


_warned_read_only_buffer = False  # PyTorch warns of the first read-only buffer only
_REQUIRED = object()


def frombuffer(buffer, *, dtype=_REQUIRED, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor over the bytes of an object with the buffer protocol (``bytes``, ``bytearray``, ``memoryview``,
    arrays), sharing its memory: ``count`` elements of ``dtype`` (-1: all the bytes after ``offset``), with PyTorch's
    errors for lengths that do not fit."""
    global _warned_read_only_buffer
    if dtype is _REQUIRED:
        raise TypeError('frombuffer() missing 1 required positional arguments: "dtype"')
    np_dtype = _dtype.argument(dtype, "frombuffer")
    for name, value in (("count", count), ("offset", offset)):
        if not is_index_argument(value) or isinstance(value, bool):
            raise TypeError(f"frombuffer(): argument '{name}' must be int, not {_type_name(value)}")
    try:
        view = memoryview(buffer)
    except TypeError:
        raise ValueError("object does not implement Python buffer protocol.") from None
    if not view.contiguous:
        raise RuntimeError("could not retrieve buffer from object")
    length, itemsize = view.nbytes, np_dtype.itemsize
    if length == 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than buffer length ({length} "
                         f"bytes) minus 1")
    if count < 0:
        if (length - offset) % itemsize:
            raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be a "
                             f"multiple of element size ({itemsize})")
        count = (length - offset) // itemsize
    elif offset + count * itemsize > length:
        raise ValueError(f"requested buffer length ({count} * {itemsize} bytes) after offset ({offset} bytes) must "
                         f"not be greater than actual buffer length ({length} bytes)")
    array = np.frombuffer(view.cast("B"), np_dtype, count, offset)
    if view.readonly:
        if not _warned_read_only_buffer:
            _warned_read_only_buffer = True
            warnings.warn("The given buffer is not writable, and PyTorch does not support non-writable tensors. This "
                          "means you can write to the underlying (supposedly non-writable) buffer using the tensor. You "
                          "may want to copy the buffer to protect its data or make it writable before converting it to "
                          "a tensor. This type of warning will be suppressed for the rest of this program.",
                          UserWarning, stacklevel=2)
        array = _writable_alias(array)
    return _finish(array, requires_grad)


def _writable_alias(array):
    """A writable array over the memory of read-only ``array``: PyTorch writes through it (as into any memory it
    is given), where NumPy refuses even a writable view of it."""
    alias = array.view()
    try:
        alias.flags.writeable = True
        return alias
    except ValueError:  # the memory's owner is read-only too
        pass
    if not array.size:
        return np.zeros(array.shape, array.dtype)
    low, high = byte_bounds(array)
    memory = (ctypes.c_char * (high - low)).from_address(low)
    memory.owner = array  # kept alive as long as the alias is
    return np.ndarray(array.shape, array.dtype, buffer=memory, offset=array.ctypes.data - low, strides=array.strides)


def check_requires_grad(name, requires_grad, none_taken=True):
    """PyTorch's parser's TypeError for a factory's ``requires_grad`` (keyword-only) that is no bool (None taken
    where ``none_taken``: the factories building from sizes)."""
    if requires_grad.__class__ is not bool and (requires_grad is not None or not none_taken):
        raise TypeError(f"{name}(): argument 'requires_grad' must be bool, not {_type_name(requires_grad)}")


def allocation_error(shape, np_dtype):
    """PyTorch's RuntimeError for a tensor of ``shape`` that cannot be allocated: its byte count beyond int64, or
    more memory than its allocator gets."""
    nbytes = math.prod(shape) * np.dtype(np_dtype).itemsize
    if nbytes >= 2 ** 63:
        return RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)}")
    return RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
                        f"you tried to allocate {nbytes} bytes. Error code 12 (Cannot allocate memory)")


def full_array(shape, value, np_dtype):
    """An array of ``shape`` filled with ``value`` converted as PyTorch's fill converts it, with PyTorch's error for
    a size it cannot allocate."""
    # (PyTorch writes a single element without its range check for half)
    value = _dtype.fill_value(value, np_dtype, check_half=math.prod(shape) != 1)
    try:
        return np.full(shape, value, np_dtype)
    except (ValueError, MemoryError):  # (NumPy's refusal of a size it cannot hold)
        raise allocation_error(shape, np_dtype) from None


def _filled(shape, value, dtype, requires_grad, device_arg, function):
    check_requires_grad(function, requires_grad)
    np_dtype = _dtype.argument(dtype, function) if dtype is not None else _dtype.get_default_dtype().numpy
    array = full_array(shape, value, np_dtype)
    if not array.size:  # PyTorch's C-order strides (NumPy gives an empty array zeros)
        array = _memory_format.empty(shape, np_dtype, _memory_format.contiguous_format)
    return _finish(array, requires_grad, device_arg)


@_memory_keywords
@_accepts_out()
def zeros(*size_args, size=_NO_SIZE, dtype=None, device=None, requires_grad=False, layout=None):
    """A tensor of zeros of shape ``size`` (``zeros(2, 3)`` or ``zeros((2, 3))``)."""
    return _filled(_size(size_args, "zeros", size), 0, dtype, requires_grad, device, "zeros")


@_memory_keywords
@_accepts_out()
def ones(*size_args, size=_NO_SIZE, dtype=None, device=None, requires_grad=False, layout=None):
    """A tensor of ones of shape ``size``."""
    return _filled(_size(size_args, "ones", size), 1, dtype, requires_grad, device, "ones")


@_memory_keywords
@_accepts_out(resizes_first=True)
def empty(*size_args, size=_NO_SIZE, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    """Like PyTorch's uninitialised tensor, but zeroed so results never depend on stale memory; laid out in
    ``memory_format`` (contiguous by default)."""
    out = _filled(_size(size_args, "empty", size), 0, dtype, requires_grad, device, "empty")
    if memory_format is None or memory_format is _memory_format.contiguous_format:
        return out
    _memory_format.check(memory_format, "empty")
    if memory_format is _memory_format.preserve_format:
        raise RuntimeError("unsupported memory format Preserve")
    return _laid_out(out, _memory_format.strides_like(out._data, memory_format))


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """A zeroed tensor of shape ``size`` whose elements lie ``stride`` elements apart along each dimension, over
    just the memory those strides reach (strides may repeat elements: ``empty_strided((2, 3), (0, 1))`` has 3)."""
    parsed = _parser_errors.parse("empty_strided", ("SymInt[] size, int[] stride",), (size, stride))
    shape, strides = tuple(parsed["size"]), tuple(parsed["stride"])
    if len(shape) != len(strides):
        raise RuntimeError(f"dimensionality of sizes ({len(shape)}) must match dimensionality of strides "
                           f"({len(strides)})")
    for n in shape:
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(shape)}")
    if any(step < 0 for step in strides):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)} and "
                           f"strides={list(strides)}")
    np_dtype = _dtype.argument(dtype, "empty_strided") if dtype is not None else _dtype.get_default_dtype().numpy
    elements = 0 if 0 in shape else 1 + sum((n - 1) * step for n, step in zip(shape, strides))
    itemsize = np_dtype.itemsize
    array = np.lib.stride_tricks.as_strided(np.zeros(elements, np_dtype), shape, [step * itemsize for step in strides])
    return _finish(array, requires_grad, device)


@_memory_keywords
@_accepts_out()
def full(size, fill_value=_UNGIVEN, dtype=None, device=None, requires_grad=False, layout=None):
    """A tensor of shape ``size`` filled with ``fill_value``; its dtype follows the value (bool, int64, float)."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {_type_name(size)}")
    if fill_value is _UNGIVEN:
        _parser_errors.parse("full", (f"SymInt[] size, Number fill_value, *, {_FACTORY_KEYWORDS}",), (size,))
    if not _parser_errors.is_number_argument(fill_value):
        _parser_errors.parse("full", (f"SymInt[] size, Number fill_value, *, {_FACTORY_KEYWORDS}",), (size, fill_value))
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        # (PyTorch infers from the Python type: a NumPy bool gives the default float dtype)
        if isinstance(fill_value, bool):
            dtype = _dtype.bool
        elif isinstance(fill_value, numbers.Integral) and not isinstance(fill_value, np.bool_):
            dtype = _dtype.int64
        elif isinstance(fill_value, numbers.Complex) and not isinstance(fill_value, numbers.Real):
            dtype = _dtype.get_default_dtype().to_complex()
    return _filled(_size((size,), "full"), fill_value, dtype, requires_grad, device, "full")


@_memory_keywords
@_accepts_out()
def scalar_tensor(s=_UNGIVEN, *, dtype=None, device=None, requires_grad=False):
    """A 0-d tensor holding the number ``s``, of the default float dtype unless ``dtype`` says otherwise."""
    if s is _UNGIVEN or not _is_number_argument(s):
        _parser_errors.parse("scalar_tensor", (f"Number s, *, {_FACTORY_KEYWORDS}",), () if s is _UNGIVEN else (s,))
    value = s.item() if isinstance(s, Tensor) else s
    return _filled((), value, dtype, requires_grad, device, "scalar_tensor")


def _like(input, dtype):
    return dtype if dtype is not None else input.dtype


def _like_strides(input, memory_format, function):
    """The strides (in elements) a ``*_like`` factory lays its result out with, None for C order (the common
    case): ``preserve_format`` (also None) keeps a dense input's strides, makes any other dense in its dims'
    memory order."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{function}(): argument 'input' (position 1) must be Tensor, not {_type_name(input)}")
    if memory_format is None or memory_format is _memory_format.preserve_format:
        if input._data.flags.c_contiguous and input._data.size and 1 not in input._data.shape:
            return None  # C order's strides (a size-1 dim's stride may be any)
        memory_format = _memory_format.preserve_format
    elif _memory_format.check(memory_format, function) is _memory_format.contiguous_format:
        # (C order's strides, but for an empty tensor, whose NumPy strides are zeros)
        return _memory_format.strides_for(input.shape, memory_format) if not input._data.size else None
    return _memory_format.strides_like(input._data, memory_format)


def _laid_out(tensor, strides):
    """A new tensor's values put into the layout of ``strides`` (None: left in C order), in memory order."""
    if strides is not None:
        tensor._data = _memory_format.placed(tensor._data, strides)
    return tensor


def _filled_like(input, value, dtype, requires_grad, device, memory_format, function):
    """zeros_like and friends: ``input``'s shape filled with ``value``, in ``dtype`` or input's, laid out as
    ``memory_format`` asks."""
    strides = _like_strides(input, memory_format, function)
    return _laid_out(_filled(input.shape, value, _like(input, dtype), requires_grad, device, function), strides)


@_memory_keywords
def zeros_like(input, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return _filled_like(input, 0, dtype, requires_grad, device, memory_format, "zeros_like")


@_memory_keywords
def ones_like(input, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return _filled_like(input, 1, dtype, requires_grad, device, memory_format, "ones_like")


@_memory_keywords
def empty_like(input, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return _filled_like(input, 0, dtype, requires_grad, device, memory_format, "empty_like")


@_memory_keywords
def full_like(input, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    if isinstance(input, Tensor) and not _parser_errors.is_number_argument(fill_value):
        raise TypeError(f"full_like(): argument 'fill_value' (position 2) must be Number, not {_type_name(fill_value)}")
    return _filled_like(input, fill_value, dtype, requires_grad, device, memory_format, "full_like")


def _random_float(draw, shape, dtype, kernel, requires_grad, device_arg, function, args, **complex_options):
    """A complex dtype's draws are drawn with ``complex_options`` (randn's std of 1 / sqrt(2))."""
    np_dtype = _dtype_argument(dtype, function, _RANDOM_OVERLOADS, args) if dtype is not None else \
        _dtype.get_default_dtype().numpy
    if np_dtype.kind == "c":
        return _finish(draw_values(draw, shape, np_dtype, **complex_options), requires_grad, device_arg)
    if np_dtype.kind != "f":
        if kernel == "normal_kernel_cpu" and not math.prod(shape):  # (normal_ runs no kernel for no element)
            return _finish(np.empty(shape, np_dtype), requires_grad, device_arg)
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype.from_numpy_dtype(np_dtype).scalar_name}'")
    array = draw(shape, np_dtype)
    return _finish(array, requires_grad, device_arg)


@_memory_keywords
@_accepts_out()
def rand(*size_args, size=_NO_SIZE, generator=None, dtype=None, device=None, requires_grad=False, layout=None):
    """Uniform random numbers on [0, 1), drawn from ``generator`` (default: the one ``manual_seed`` seeds)."""
    draws = stream(generator)
    shape = _random_size(size_args, "rand", size, generator=generator, dtype=dtype, device=device,
                         requires_grad=requires_grad, layout=layout)
    return _random_float(draws.uniform, shape, dtype, "check_uniform_bounds", requires_grad, device, "rand", size_args)


@_memory_keywords
@_accepts_out(resizes_first=True)
def randn(*size_args, size=_NO_SIZE, generator=None, dtype=None, device=None, requires_grad=False, layout=None):
    """Standard normal random numbers, drawn from ``generator`` (default: the one ``manual_seed`` seeds)."""
    draws = stream(generator)
    shape = _random_size(size_args, "randn", size, generator=generator, dtype=dtype, device=device,
                         requires_grad=requires_grad, layout=layout)
    return _random_float(draws.normal, shape, dtype, "normal_kernel_cpu", requires_grad, device, "randn", size_args,
                         std=1 / math.sqrt(2))


def _random_size(size_args, name, size, **keywords):
    """The shape of rand/randn, or PyTorch's TypeError for sizes it refuses: with keywords given (those not at their
    defaults, as far as can be told), both overloads take as many arguments, and the parser lists them."""
    try:
        return _size(size_args, name, size, _RANDOM_OVERLOADS)
    except TypeError:
        given = {key: value for key, value in keywords.items() if value is not None and value is not False}
        if given and size is _NO_SIZE:
            _parser_errors.parse(name, _RANDOM_OVERLOADS, size_args, given)
        raise


@_memory_keywords
def rand_like(input, dtype=None, generator=None, requires_grad=False, device=None, layout=None, memory_format=None):
    strides = _like_strides(input, memory_format, "rand_like")
    return _laid_out(rand(input.shape, dtype=_like(input, dtype), generator=generator, requires_grad=requires_grad),
                     strides)


@_memory_keywords
def randn_like(input, dtype=None, generator=None, requires_grad=False, device=None, layout=None, memory_format=None):
    strides = _like_strides(input, memory_format, "randn_like")
    if strides is None or _memory_format.is_c_order(input.shape, strides):
        return _laid_out(randn(input.shape, dtype=_like(input, dtype), generator=generator,
                               requires_grad=requires_grad), strides)
    # PyTorch's normal_ draws a tensor that is not contiguous one value at a time, in memory order
    np_dtype = _dtype.argument(_like(input, dtype), "randn_like")
    if np_dtype.kind != "f":
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for "
                                  f"'{_dtype.from_numpy_dtype(np_dtype).scalar_name}'")
    values = stream(generator).normal(tuple(input.shape), np_dtype, serial=True)
    return _laid_out(_finish(values, requires_grad, device), strides)


@_memory_keywords
@_accepts_out()
def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Random integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``; int64 by default."""
    given = tuple(a for a in (low, high, size) if a is not None)
    if size is None and high is not None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if size is None or not isinstance(size, (tuple, list)) or type(low) is not int or type(high) is not int or \
            not all(type(n) is int for n in size):
        bound = _parser_errors.parse("randint", _RANDINT_OVERLOADS, given,
                                     None if dtype is None else {"dtype": dtype})
        low, high, size = bound.get("low", 0), bound["high"], tuple(bound["size"])
    # in PyTorch's order: the arguments, the sizes, the range, the range against the dtype
    check_int64(low)
    check_int64(high)
    np_dtype = _dtype_argument(dtype or _dtype.int64, "randint", _RANDINT_OVERLOADS, given)
    shape = _size((size,), "randint")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    _check_random_range(low, high, np_dtype)
    array = stream(generator).integers(low, high, shape, np_dtype)
    return _finish(array.astype(np_dtype, copy=False), requires_grad, device)


# The integers a float dtype holds exactly, up to 2**digits, and the C++ name PyTorch's warning gives the type
_EXACT_INTEGER_DIGITS = {np.dtype(np.float16): (11, "c10::Half"), np.dtype(np.float32): (24, "float"),
                         np.dtype(np.float64): (53, "double")}


def _check_random_range(low, high, np_dtype):
    """PyTorch's check of a random integer range [low, high) against the result's dtype: an integer (or bool)
    dtype must hold both low and high - 1, else RuntimeError; a float dtype only warns when they lie beyond the
    integers it represents exactly (the draws there would not be uniform)."""
    if np_dtype.kind == "f":
        digits, name = _EXACT_INTEGER_DIGITS[np_dtype]
        for label, value in (("from", low), ("to - 1", high - 1)):
            if not -2**digits <= value <= 2**digits:
                warnings.warn(f"{label} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision limitations "
                              f"{name} can support discrete uniform distribution only within this range. This warning "
                              "will become an error in version 1.7 release, please fix the code in advance",
                              UserWarning, stacklevel=4)
        return
    smallest, largest = (0, 1) if np_dtype.kind == "b" else (np.iinfo(np_dtype).min, np.iinfo(np_dtype).max)
    for label, value in (("from", low), ("to - 1", high - 1)):
        if not smallest <= value <= largest:
            raise RuntimeError(f"{label} is out of bounds for {_dtype.CPP_TYPE_NAMES[np_dtype.name]}")


@_memory_keywords
def randint_like(input, low=0, high=None, *, dtype=None, generator=None, requires_grad=False, device=None,
                 memory_format=None):
    """Random integers shaped like ``input``: ``randint_like(input, high)`` or ``(input, low, high)``."""
    if high is None:
        low, high = 0, low
    strides = _like_strides(input, memory_format, "randint_like")
    return _laid_out(randint(low, high, tuple(input.shape), dtype=_like(input, dtype), generator=generator,
                             requires_grad=requires_grad), strides)


_RANDPERM_OVERLOADS = (
    " * (int n, *, torchless.Generator generator, Tensor out = None, torchless.dtype dtype = None, torchless.layout "
    "layout = None, torchless.device device = None, bool pin_memory = False, bool requires_grad = False)\n"
    " * (int n, *, Tensor out = None, torchless.dtype dtype = None, torchless.layout layout = None, torchless.device "
    "device = None, bool pin_memory = False, bool requires_grad = False)\n")


def _randperm_n(n, keywords):
    """randperm's ``n`` as an int (what __index__ converts, as a SymInt: a one-element integer tensor of any rank
    too), or PyTorch's TypeError: a float n (random_split's lengths given as 5.0) would otherwise fail deep inside
    NumPy. ``keywords`` are the keyword arguments given (not None): with some, PyTorch reports the call against both
    overloads."""
    if is_index_argument(n):
        return operator.index(n)
    if not keywords:
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not {_type_name(n)}")
    from .nn._functional._keyword_order import unordered_map_order

    given = ", ".join([_type_name(n)] + [f"{k}={_type_name(keywords[k])}" for k in unordered_map_order(list(keywords))])
    raise TypeError(f"randperm() received an invalid combination of arguments - got ({given}), but expected one of:\n"
                    + _RANDPERM_OVERLOADS)


def _type_name(value):
    """The type name PyTorch's parser prints ('float', 'Tensor', 'numpy.float64'), for torchless's own classes
    their public name ('torchless.Generator', 'torchless.dtype')."""
    cls = type(value)
    if isinstance(value, Tensor):
        return "Tensor"
    if cls.__module__ == "builtins":
        return cls.__name__
    if cls.__module__.startswith("torchless"):
        return f"torchless.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


@_memory_keywords
@_accepts_out()
def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0 .. n-1."""
    keywords = {name: value for name, value in (("generator", generator), ("dtype", dtype), ("device", device))
                if value is not None}
    if dtype is not None:
        _dtype_argument(dtype, "randperm", _RANDPERM_SCHEMAS, (n,))
    if generator is not None:
        from .random import Generator

        if not isinstance(generator, Generator):
            _parser_errors.parse("randperm", _RANDPERM_SCHEMAS, (n,), keywords)
    n = _randperm_n(n, keywords)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    np_dtype = _dtype.to_numpy_dtype(dtype or _dtype.int64)
    # PyTorch has no bool kernel, and refuses n whose largest value n - 1 the dtype cannot hold exactly
    if np_dtype.kind == "b":
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    if np_dtype == np.float16 and n > 2049:
        raise RuntimeError("n cannot be greater than 2049 for Half type.")
    if np_dtype == np.float32 and n > 2**24 + 1:
        raise RuntimeError("n cannot be greater than 2^24+1 for Float type.")
    if np_dtype.kind in "iu" and n:
        _dtype.fill_value(n - 1, np_dtype)
    array = stream(generator).permutation(n).astype(np_dtype)
    return _finish(array, requires_grad, device)


@_memory_keywords
@_accepts_out(keeps_shape=True, warns_on_resize=True)
def arange(start=0, end=_UNGIVEN, step=_UNGIVEN, *, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` up to (not including) ``end`` in steps of ``step``; int64 unless a bound is a float."""
    given = tuple(v for v in (start, end, step) if v is not _UNGIVEN)
    if not all(_is_number_argument(v) for v in given):  # PyTorch's parser refuses the call
        _parser_errors.parse("arange", _ARANGE_OVERLOADS, given, {} if dtype is None else {"dtype": dtype})
    if end is _UNGIVEN:
        start, end = 0, start
    step = 1 if step is _UNGIVEN else step
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if dtype is None:
        floating = any(isinstance(v, float) for v in values)
        dtype = _dtype.get_default_dtype() if floating else _dtype.int64
    np_dtype = _dtype_argument(dtype, "arange", _ARANGE_OVERLOADS, given)
    if np_dtype.kind in "bc":
        raise NotImplementedError(f"\"arange_cpu\" not implemented for "
                                  f"'{_dtype.from_numpy_dtype(np_dtype).scalar_name}'")
    if values[2] == 0 or values[2] != values[2]:  # a NaN step is as unusable as 0, and PyTorch says so
        raise RuntimeError("step must be nonzero")
    if not all(math.isfinite(v) for v in values[:2]):
        raise RuntimeError(f"unsupported range: {_scalar_text(values[0])} -> {_scalar_text(values[1])}")
    if (values[1] - values[0]) * values[2] < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if abs(values[1] - values[0]) / abs(values[2]) > 2**63 - 1:
        raise RuntimeError("invalid size, possible overflow?")
    if math.isinf(values[2]):  # PyTorch counts ceil((end - start) / step) = 0 values; an integer step overflows
        if np_dtype.kind != "f":
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        array = np.empty(0)
    elif np_dtype.kind == "f":
        array = _float_arange(*values, np_dtype)
    else:
        # PyTorch truncates start and step to integers (its int64 kernel the end too, and refuses a step that
        # truncates to 0); the other integer dtypes count the values in floating point.
        first, step = int(values[0]), int(values[2])
        if np_dtype == np.int64:
            if step == 0:
                raise ValueError("step must be nonzero")
            size = _trunc_div(int(values[1]) - first + step - (1 if step > 0 else -1), step)
        else:
            size = math.ceil((values[1] - values[0]) / values[2])
        array = first + step * np.arange(max(size, 0), dtype=np.int64)
    with np.errstate(over="ignore"):  # beyond float16: inf, silently as in PyTorch
        return _finish(array.astype(np_dtype), requires_grad, device)


# PyTorch's arange kernel fills one 256-bit vector register of the dtype at a time; at::parallel_for gives a thread
# no fewer values than its grain size
_ARANGE_VECTOR_BYTES = 32
_GRAIN_SIZE = 32768


def _float_arange(start, end, step, np_dtype):
    """arange's floating values to the last bit, as PyTorch's CPU kernel computes them.

    It steps in the accumulate type (double; float for float16) with fused multiply-adds: in each thread's range it
    fills vectors two at a time, each from its head ``start + step * i`` rounded to the dtype, lane ``k`` being
    ``head + step * k``, then the values after the last pair of vectors one by one as ``start + step * i``. So a
    value may differ in the last bit from ``start + step * i`` (``arange(-5., 8., .1, dtype=float64)[35]``).
    """
    size = max(math.ceil((float(end) - float(start)) / float(step)), 0)
    accumulate = np.float32 if np_dtype == np.float16 else np.float64
    fused = fma.fused_multiply_add32 if np_dtype == np.float16 else fma.fused_multiply_add64
    start, step = accumulate(start), accumulate(step)
    if _exact_steps(start, step, size, np_dtype):  # no rounding then: any order of operations gives the same
        return (start + step * np.arange(size, dtype=accumulate)).astype(np_dtype)
    lanes = _ARANGE_VECTOR_BYTES // np_dtype.itemsize
    values = np.empty(size, np_dtype)
    for begin, stop in _thread_ranges(size):
        paired_end = begin + (stop - begin) // (2 * lanes) * (2 * lanes)
        heads = fused(step, np.arange(begin, paired_end, lanes).astype(accumulate), start).astype(np_dtype)
        vectors = values[begin:paired_end].reshape(-1, lanes)
        vectors[:, 0] = heads  # (lane 0 is the head itself, not head + 0)
        lane_steps = np.arange(1, lanes, dtype=accumulate)
        vectors[:, 1:] = fused(lane_steps, step, heads[:, None].astype(accumulate))
        values[paired_end:stop] = fused(step, np.arange(paired_end, stop).astype(accumulate), start)
    return values


def _exact_steps(start, step, size, np_dtype):
    """Whether every ``start + step * i`` (``i < size``) and every partial sum on the way is exact in ``np_dtype``
    (so in the accumulate type too): start and step are multiples of one power of two, and the values, in that
    unit, fit the dtype's mantissa."""
    (start_numerator, start_denominator), (step_numerator, step_denominator) = (
        float(v).as_integer_ratio() for v in (start, step))
    unit = max(start_denominator, step_denominator)
    largest = abs(start_numerator) * (unit // start_denominator) + abs(step_numerator) * (unit // step_denominator) * size
    return largest < 2 ** (np.finfo(np_dtype).nmant + 1)


def _thread_ranges(size):
    """The (begin, end) ranges at::parallel_for (OpenMP) splits range(size) into over torchless's threads."""
    threads = min(parallel.get_num_threads(), -(-size // _GRAIN_SIZE))
    if size <= _GRAIN_SIZE or threads < 2:
        return [(0, size)]
    chunk = -(-size // threads)
    return [(begin, min(begin + chunk, size)) for begin in range(0, size, chunk)]


def deprecated_range(start=None, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """PyTorch's deprecated ``torch.range`` (``torchless.range``): ``start`` to ``end`` *inclusive* in steps of
    ``step``, as the default float dtype unless ``dtype`` says otherwise, whatever the bounds' types."""
    if start is None or end is None:
        # (PyTorch's parser writes "arguments" for one missing and "argument" for two)
        missing = 'argument: "start", "end"' if start is None else 'arguments: "end"'
        raise TypeError(f"range() missing {2 if start is None else 1} required positional {missing}")
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    np_dtype = _dtype.to_numpy_dtype(dtype or _dtype.get_default_dtype())
    if values[2] == 0 or values[2] != values[2]:
        raise RuntimeError("step must be nonzero")
    if (values[1] - values[0]) * values[2] < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    count = math.floor((values[1] - values[0]) / values[2]) + 1  # the end itself included when reached
    array = values[0] + values[2] * np.arange(count, dtype=np.float64)
    with np.errstate(over="ignore"):
        return _finish(array.astype(np_dtype), requires_grad, device)


def _scalar_text(value):
    """A number as PyTorch's C++ messages print it (an ostream's default: 6 significant digits)."""
    return str(value) if isinstance(value, (int, bool)) else format(value, "g")


def _trunc_div(a, b):
    """Integer division rounding toward zero, as in C."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


_FUSED_MULTIPLY_ADD = {np.dtype(np.float32): fma.fused_multiply_add32, np.dtype(np.float64): fma.fused_multiply_add64}


def _float_linspace(start, end, steps, np_dtype):
    """PyTorch's floating linspace to the last bit: the step computed in the dtype, each value stepped from the
    nearer end, ``start + step * i`` in the first half and ``end - step * (steps - 1 - i)`` in the second, with a
    fused multiply-add for float32 and float64 (one rounding, ``i`` converted to the dtype) and plain
    half-precision arithmetic for float16 (complex: plain complex arithmetic)."""
    kind = np_dtype.type
    first, last = kind(start), kind(end)
    if steps <= 1:
        return np.full(steps, first, np_dtype)
    step = kind(last - first) / kind(steps - 1)
    index = np.arange(steps)
    fused = _FUSED_MULTIPLY_ADD.get(np_dtype)
    if fused is None:
        from_start = first + step * index.astype(kind)
        from_end = last - step * (steps - 1 - index).astype(kind)
    else:
        from_start = fused(step, index.astype(kind), first)
        from_end = fused(-step, (steps - 1 - index).astype(kind), last)
    return np.where(index < steps // 2, from_start, from_end).astype(np_dtype)


@_memory_keywords
@_accepts_out(keeps_shape=True)
def linspace(start, end, steps=_UNGIVEN, *, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    steps = _checked_space_arguments("linspace", _LINSPACE_OVERLOADS, (start, end, steps), dtype)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    np_dtype = _dtype_argument(dtype, "linspace", _LINSPACE_OVERLOADS, (start, end, steps)) if dtype is not None else _dtype.get_default_dtype().numpy
    np_dtype = _space_dtype("linspace", start, end, dtype, np_dtype)
    if np_dtype.kind == "b" and steps > 1:  # PyTorch has no bool kernel, but fills 0 or 1 values without it
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    if steps <= 1:  # PyTorch fills in start (fill_'s checks, float16's skipped for one element) or nothing
        start = start.item() if isinstance(start, Tensor) else start
        values = [_dtype.fill_value(start, np_dtype, check_half=False)] if steps else []
        return _finish(np.array(values, np_dtype), requires_grad, device)
    if np_dtype.kind == "f":  # the ends are converted to the dtype first, with its range check
        start, end = (_dtype.fill_value(v, np_dtype) for v in (start, end))
    if np_dtype.kind not in "iu":
        return _finish(_float_linspace(start, end, steps, np_dtype), requires_grad, device)
    # PyTorch converts the ends to the integer dtype first (range-checked: uint8 reads -1 as 255), then steps in
    # double from the start for the first half of the values and from the end for the others (fused multiply-adds),
    # truncating.
    first, last = (int(_dtype.fill_value(v, np_dtype)) for v in (start, end))
    step = (last - first) / (steps - 1) if steps > 1 else 0.0
    index = np.arange(steps)
    halfway = steps // 2 if steps > 1 else 1
    values = np.where(index < halfway, fma.fused_multiply_add64(step, index, first),
                      fma.fused_multiply_add64(-step, steps - 1 - index, last))
    return _finish(values.astype(np_dtype), requires_grad, device)


def _space_dtype(name, start, end, dtype, np_dtype):
    """linspace's / logspace's dtype: with a complex end, the default complex dtype unless ``dtype`` is given
    (PyTorch's error for a real one)."""
    if not any(isinstance(v, numbers.Complex) and not isinstance(v, numbers.Real) for v in (start, end)):
        return np_dtype
    inferred = _dtype.get_default_dtype().to_complex()
    if dtype is None:
        return inferred.numpy
    if np_dtype.kind != "c":
        precision = "float" if inferred is _dtype.complex64 else "double"
        raise RuntimeError(f"torchless.{name}(): inferred dtype c10::complex<{precision}> can't be safely cast to "
                           f"passed dtype {_dtype.from_numpy_dtype(np_dtype).scalar_name}")
    return np_dtype


def _checked_space_arguments(name, overloads, given, dtype):
    """linspace's / logspace's steps, after PyTorch's parser's checks of the call (its ends numbers or tensors,
    steps an int, logspace's base a float)."""
    given = tuple(v for v in given if v is not _UNGIVEN)
    start, end, steps = (given + (None,))[:3]
    if len(given) < 3 or type(steps) is not int or not all(
            isinstance(v, Tensor) or _is_number_argument(v) for v in (start, end)) or \
            len(given) > 3 and not isinstance(given[3], (numbers.Real, np.bool_)):
        steps = _parser_errors.parse(name, overloads, given, {} if dtype is None else {"dtype": dtype})["steps"]
    return steps


def _c_pow(base, exponent):
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return math.inf
    except ValueError:  # a negative base to a fractional power
        return math.nan


@_memory_keywords
@_accepts_out(keeps_shape=True)
def logspace(start, end, steps=_UNGIVEN, base=_UNGIVEN, *, dtype=None, device=None, requires_grad=False):
    """``steps`` values ``base ** e`` for ``e`` evenly spaced from ``start`` to ``end`` inclusive."""
    steps = _checked_space_arguments("logspace", _LOGSPACE_OVERLOADS, (start, end, steps, base), dtype)
    base = 10.0 if base is _UNGIVEN else base
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    np_dtype = (_dtype_argument(dtype, "logspace", _LOGSPACE_OVERLOADS, (start, end, steps)) if dtype is not None
                else _dtype.get_default_dtype().numpy)
    np_dtype = _space_dtype("logspace", start, end, dtype, np_dtype)
    if np_dtype.kind == "c":  # base ** the complex linspace's exponents
        exponents = _float_linspace(start, end, steps, np.dtype(np.complex128))
        with np.errstate(all="ignore"):
            return _finish(np.power(complex(base), exponents).astype(np_dtype), requires_grad, device)
    if steps == 0:
        return _finish(np.empty(0, np_dtype), requires_grad, device)
    if np_dtype.kind == "b" and steps > 1:  # as linspace: no bool kernel, but one value is filled in without it
        raise NotImplementedError("\"logspace_cpu\" not implemented for 'Bool'")
    if steps == 1:
        exponents = [float(start)]
    else:
        # As PyTorch's kernel: the ends converted to the dtype first (their difference taken there), the step in
        # double, exponents stepped from the start for the first half and from the end for the others
        if np_dtype.kind in "iub":
            first, last = (int(_dtype.fill_value(v, np_dtype)) for v in (start, end))
        else:
            first, last = (np_dtype.type(_dtype.fill_value(v, np_dtype)) for v in (start, end))
        step = float(last - first) / (steps - 1)
        exponents = [float(first) + step * i if i < steps // 2 else float(last) - step * (steps - 1 - i)
                     for i in range(steps)]
    # the C library's pow, as PyTorch calls it (NumPy's vectorised power differs in the last bit); an integer
    # result raises a float32 base (PyTorch avoids promoting it), a floating one a double
    base = float(np.float32(base)) if np_dtype.kind in "iub" else float(base)
    values = np.array([_c_pow(base, e) for e in exponents], np.float64)
    if steps == 1:  # PyTorch fills the one value in, with fill_'s range check (float16's skipped for one element)
        values = np.array([_dtype.fill_value(values[0], np_dtype, check_half=False)])
    if np_dtype == np.float16:  # PyTorch's double result becomes a float, then a half
        values = values.astype(np.float32)
    return _finish(values.astype(np_dtype), requires_grad, device)


@_memory_keywords
@_accepts_out()
def eye(n, m=_UNGIVEN, *, dtype=None, device=None, requires_grad=False):
    """The ``n`` x ``m`` identity matrix (``m`` defaults to ``n``)."""
    if type(n) is not int or not (m is _UNGIVEN or type(m) is int):
        sizes = _parser_errors.parse("eye", _EYE_OVERLOADS, (n,) if m is _UNGIVEN else (n, m),
                                     {} if dtype is None else {"dtype": dtype})
        n, m = sizes["n"], sizes.get("m")
    m = None if m is _UNGIVEN else m
    for name, size in (("n", n), ("m", m)):
        if size is not None and size < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {size}")
    np_dtype = _dtype_argument(dtype, "eye", _EYE_OVERLOADS, (n,) if m is None else (n, m)) if dtype is not None else _dtype.get_default_dtype().numpy
    return _finish(np.eye(n, m, dtype=np_dtype), requires_grad, device)
