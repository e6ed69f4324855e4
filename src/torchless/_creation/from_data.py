"""Tensors from data: ``tensor``, ``as_tensor``, ``asarray``, ``from_numpy`` and ``frombuffer``, reading nested
sequences, NumPy arrays and buffers as PyTorch does (its inferred dtype, range checks, sharing and warnings)."""
import array
import ctypes
import math
import numbers
import operator
import warnings

import numpy as np
from numpy.lib.array_utils import byte_bounds

from .. import _dtype, _memory_format, _parser_errors
from .._ops._util import is_index_argument
from .._tensor import Tensor
from .._type_promotion import promote
from .._device import require_cpu
from .._user_warnings import warn_from_user_code
from ._common import _UNGIVEN, _finish, _type_name, check_pin_memory, check_requires_grad

# What PyTorch's reading of nested data takes for a sequence (PySequence_Check: a tensor or a dict is none), and
# its limit on dimensions, which also ends its walk down a string (each character a string again).
_SEQUENCES = (list, tuple, range, np.ndarray, str, bytes, bytearray, memoryview, array.array)
_MAX_DIMS = 128
_STRINGS = (str, bytes)
_PYTHON_NUMBERS = {float, int, bool}
_FLOAT_ONLY = {float}
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
            result = item_dtype if result is None or result == item_dtype else promote(result, item_dtype)
        return result
    if isinstance(data, _STRINGS):
        raise TypeError(f"new(): invalid data type '{kind.__name__}'")
    if isinstance(data, (np.generic, np.ndarray, Tensor)):
        exotic.append(data)
        if isinstance(data, Tensor):
            return data._data.dtype
        return _dtype.from_user_numpy_dtype(data.dtype.newbyteorder("=")).numpy  # (values read whatever their order)
    # Python's own numbers only (and their subclasses): PyTorch infers nothing for other numbers.Number types
    # (Fraction, Decimal), which it stores into a dtype given
    if isinstance(data, int):
        return np.dtype(np.int64)
    if isinstance(data, float):
        return _dtype.get_default_dtype().numpy
    if isinstance(data, _SEQUENCES):
        return _inferred_dtype(list(data), exotic)
    if isinstance(data, complex):  # the complex dtype of the default float dtype's precision
        return _dtype.get_default_dtype().to_complex().numpy
    from ..nn._functional._args import _tp_name

    raise RuntimeError(f"Could not infer dtype of {_tp_name(data)}")


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
            if not hasattr(type(value), "__complex__") and not hasattr(type(value), "__float__") and \
                    not hasattr(type(value), "__index__"):
                raise TypeError(f"must be real number, not {_type_name(value)}")
            complex(value)
    else:
        taken = (float, complex, np.bool_) if np_dtype.kind == "b" else float

        def check(value):
            number = value if isinstance(value, taken) else operator.index(value)
            if np_dtype.kind != "b":  # (an integer dtype's range, number by number)
                if isinstance(number, int) and not -2**63 <= number < 2**63:
                    raise ValueError("Overflow when unpacking long long")
                _check_range(np.asarray(number), np_dtype)
    return check


def _store_uint64(value):
    if not isinstance(value, int):  # (NumPy's integers and one-element tensors too)
        raise TypeError("an integer is required")
    if value < 0:
        raise OverflowError("can't convert negative int to unsigned")
    elif value >= 2**64:
        raise OverflowError("int too big to convert")


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


def _plain(data, depth):
    """Nested sequences with the tensors inside turned into arrays, ``depth`` dims below ``data``. PyTorch reads a
    tensor where a number belongs as one number (``float()`` of it: any shape with one element), so a one-element
    tensor there becomes a 0-d array; a tensor where a sequence belongs it reads as one, over its first dim."""
    if isinstance(data, Tensor):
        return _plain_tensor_data(data._data, depth)
    if isinstance(data, (list, tuple)):
        return [_plain(d, depth - 1) for d in data]
    return data


def _plain_tensor_data(array, depth):
    if not depth:
        return array.reshape(()) if array.size == 1 else array
    if array.ndim in (0, depth):  # (a 0-d one where a sequence belongs fails later, as in PyTorch)
        return array
    return [_plain_tensor_data(row, depth - 1) for row in array]


# PyTorch warns once per process (TORCH_WARN_ONCE) when nested data holds NumPy arrays.
_NDARRAY_LIST_WARNING = ("Creating a tensor from a list of numpy.ndarrays is extremely slow. Please consider converting "
                         "the list to a single numpy.ndarray with numpy.array() before converting to a tensor. "
                         "(Triggered internally at /__w/pytorch/pytorch/torch/csrc/utils/tensor_new.cpp:252.)")
_ndarray_list_warned = [False]


def _sequence_array(data, np_dtype):
    """An array of the numbers in ``data`` (a nested sequence, maybe of tensors, or a Python number) for a tensor
    of ``np_dtype`` (None: inferred). PyTorch reads a Python int as int64 unless the tensor is floating or bool:
    NumPy takes larger ints as uint64, objects, or floats beside negative ones."""
    if data.__class__ is list and np_dtype is None and data and set(map(type, data)) == _FLOAT_ONLY:
        # a flat list of Python floats (tensor([0.5, 2.0])): what the general path below gives it, sooner
        with np.errstate(over="ignore", under="ignore"):  # beyond float32: inf (or 0), silently
            return np.array(data).astype(_dtype.get_default_dtype().numpy, copy=False)
    if isinstance(data, _STRINGS):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    sizes = _sizes(data)
    if np_dtype == np.uint64 and math.prod(sizes):
        # PyTorch stores each number into uint64 as an unsigned long long: Python ints and bools only
        _check_store(data, sizes, 0, _store_uint64)
        return np.array(data, dtype=np.uint64)
    exotic = []
    try:
        inferred = _inferred_dtype(data, exotic)
        if inferred == np.uint64:  # (NumPy uint64 scalars: stored as the other ones, below)
            raise TypeError("an integer is required")
    except (RuntimeError, TypeError):
        if np_dtype is None:
            raise
        # PyTorch infers nothing for a given dtype: it stores each element, converted (Fraction(1, 2) as 0.5)
        if not math.prod(sizes):  # (and it stores nothing into an empty tensor)
            return np.zeros(sizes, np_dtype)
        _check_store(data, sizes, 0, _store_check(np_dtype))
        return np.array(_plain(data, len(sizes)), dtype=np_dtype)
    if not _ndarray_list_warned[0] and any(type(e) is np.ndarray for e in exotic):
        _ndarray_list_warned[0] = True
        warn_from_user_code(_NDARRAY_LIST_WARNING)
    target = inferred if np_dtype is None else np_dtype
    if not math.prod(sizes):  # PyTorch stores nothing, so looks no further than the first elements
        return np.zeros(sizes, target)
    if exotic or np_dtype is not None and inferred.kind == "c" and np_dtype.kind != "c":
        # (the elements PyTorch stores its own way, complexes into a real dtype among them)
        _check_store(data, sizes, 0, _store_check(target))
    plain = _plain(data, len(sizes)) if any(isinstance(e, Tensor) for e in exotic) else data
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
    if target.kind in "iu" and array.dtype.kind in "fO" and not np.abs(array).max() < 2.0**63:
        _check_store(data, sizes, 0, _store_check(target))  # (an int beyond int64 among floats: its own error)
    if array.dtype == object:  # ints beyond 64 bits become floats (10**400: OverflowError, as in PyTorch)
        array = array.astype(np.bool_ if np_dtype == np.bool_ else np.float64)
    if np_dtype is None:
        with np.errstate(over="ignore", under="ignore"):  # beyond float16 or float32: inf (or 0), silently
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
        _dtype.from_user_numpy_dtype(array.dtype)
    strides = array.strides
    if strides and min(strides) < 0:
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
            if isinstance(data, _STRINGS):  # (np.str_, np.bytes_: named as CPython names a C type, with its module)
                raise TypeError(f"new(): invalid data type 'numpy.{type(data).__name__}'")
            array = np.asarray(data)
            if np_dtype is None:
                if type(data) is np.uint64:  # (read through __index__ as a Python int, which the parser refuses)
                    raise TypeError("an integer is required")
                _check_numpy_array(array)
            else:  # stored as a number is (tensor(np.float32(1.5), dtype=torchless.int64) fails)
                _store_check(np_dtype)(data)
        else:
            array = _sequence_array(data, np_dtype)
        if np_dtype is not None and np_dtype.kind in "iu":
            try:
                _check_range(array, np_dtype)
            except RuntimeError:
                if not isinstance(data, np.generic):  # (the first failing number as PyTorch meets them, in order)
                    _check_store(data, _sizes(data), 0, _store_check(np_dtype))
                raise
    if np_dtype is not None and array.dtype != np_dtype:
        with np.errstate(all="ignore"):  # inf, 0 for a subnormal, or an arbitrary int for nan, silently
            # always a new array (a complex one's real part is a strided view), laid out as the source (as
            # PyTorch's preserve_format: a dense source's strides, its size-1 dims' too)
            array = _memory_format.preserving(_dtype.cast_source(array, np_dtype).astype(np_dtype), array)
    return array


def _copy_construct_warning(caller):
    warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                  f"sourceTensor.detach().clone().requires_grad_(True), rather than {caller}(sourceTensor).",
                  UserWarning, stacklevel=3)


def _refuse_data_arguments(name, extra):
    """PyTorch's parser's TypeError for a call of tensor or as_tensor without ``data``, or with ``extra``
    positional arguments after it."""
    if extra:
        raise TypeError(f"{name}() takes 1 positional argument but {1 + len(extra)} were given")
    raise _parser_errors.missing_arguments(name, ["data"])


def tensor(data=_UNGIVEN, *extra, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (a number, nested sequence, array or tensor).

    Python floats give the default dtype (float32), Python ints int64, bools bool; NumPy arrays keep theirs.
    """
    if data is _UNGIVEN or extra:  # (PyTorch's parser's words: data is its one positional argument)
        _refuse_data_arguments("tensor", extra)
    check_pin_memory(pin_memory)
    check_requires_grad("tensor", requires_grad, none_taken=False)
    if isinstance(data, Tensor):
        _copy_construct_warning("torchless.tensor")
    array = _infer_array(data, dtype, "tensor")
    return _finish(_memory_format.preserving(np.array(array, copy=True), array), requires_grad, device,
                   from_data=isinstance(data, (np.ndarray, np.generic, Tensor)))


def as_tensor(data=_UNGIVEN, *extra, dtype=None, device=None):
    """A tensor sharing memory with ``data`` where possible (arrays, tensors of the same dtype)."""
    if data is _UNGIVEN or extra:
        _refuse_data_arguments("as_tensor", extra)
    if isinstance(data, Tensor) and (dtype is None or dtype == data.dtype):
        if device is not None:  # (PyTorch's error for a device this CPU-only build lacks)
            require_cpu(device)
        return data
    if isinstance(data, np.ndarray) and not data.flags.writeable:
        _warn_read_only_array_once()  # PyTorch warns whatever the dtype asked, a copy's too
    array = _infer_array(data, dtype, "as_tensor")
    if isinstance(data, np.ndarray) and array.base is not None and array.flags.writeable and \
            array.__array_interface__["data"][0] == data.__array_interface__["data"][0]:
        array = _own_storage_view(array)  # shared, as from_numpy shares it
    return _finish(array, device_arg=device, from_data=isinstance(data, (np.ndarray, np.generic, Tensor)))


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None):
    """``obj`` as a tensor (PyTorch's ``torch.asarray``): a tensor, NumPy array or object with the buffer protocol
    is shared, not copied, when it already has ``dtype`` and ``copy`` is not True; ``copy=False`` refuses a
    conversion that would need a copy. Other data (numbers, nested lists) becomes a new tensor as ``tensor(obj)``
    builds it. Unspecified, ``requires_grad`` is that of a tensor ``obj`` (False for other data)."""
    if device is not None:
        require_cpu(device)
    if copy is not None and copy.__class__ is not bool:
        raise TypeError(f"asarray(): argument 'copy' must be bool, not {_type_name(copy)}")
    check_requires_grad("asarray", requires_grad)
    target = None if dtype is None else _dtype.from_numpy_dtype(_dtype.argument(dtype, "asarray"))
    source = obj if isinstance(obj, Tensor) else None
    returns_grad = (source is not None and source.requires_grad) if requires_grad is None else requires_grad
    if returns_grad and requires_grad is None:
        _warn_asarray_requires_grad_once()
    read_only, force_copy = False, copy is True
    if source is None and isinstance(obj, (np.ndarray, np.generic)):
        array = obj
        if not isinstance(obj, np.ndarray):
            if copy is False:
                raise RuntimeError("can't alias NumPy scalars. Either remove copy=False or transform it in a ndarray. ")
            array, force_copy = np.asarray(obj), False  # already its own copy (but copy=True still casts none)
        _check_numpy_array(array)
        source, read_only = _shared_numpy_tensor(array), not array.flags.writeable
    elif source is None and _has_buffer(obj):
        source = frombuffer(obj, dtype=target or _dtype.get_default_dtype(), requires_grad=returns_grad)
    if source is None:
        if copy is False:
            raise ValueError("can't alias arbitrary sequence into a tensor.")
        out = tensor(obj, dtype=dtype)
        out._set_requires_grad(returns_grad)  # a factory's refusal of integer dtypes
        return out
    wrong_dtype = target is not None and target != source.dtype
    if force_copy or (copy is None and wrong_dtype):
        out = source.to(target) if wrong_dtype else source.clone()
    else:
        if wrong_dtype:
            raise ValueError(f"can't alias tensor with dtype '{source.dtype.scalar_name}' into dtype "
                             f"'{target.scalar_name}'.")
        if read_only:
            _warn_read_only_array_once()
        out = source
    if out.grad_fn is not None and not returns_grad:  # a computed tensor's flag cannot be cleared: detached
        return out.detach()
    out._set_requires_grad(returns_grad)  # (a leaf's own flag, as PyTorch sets it)
    return out


def _has_buffer(obj):
    """Whether ``obj`` has the buffer protocol (bytes, bytearray, array.array, memoryview...)."""
    try:
        memoryview(obj)
    except TypeError:
        return False
    return True


_warned_asarray_requires_grad = False  # TORCH_WARN_ONCE: once per process, whatever the warning filters say


def _warn_asarray_requires_grad_once():
    global _warned_asarray_requires_grad
    if not _warned_asarray_requires_grad:
        _warned_asarray_requires_grad = True
        warn_from_user_code("torch.asarray: unspecified requires_grad now defaults to obj.requires_grad instead of "
                            "False. Pass requires_grad=False explicitly to get the old behavior and silence this "
                            "warning. (Triggered internally at /__w/pytorch/pytorch/torch/csrc/utils/tensor_new.cpp:"
                            "1737.)")


_warned_read_only = False  # PyTorch warns of the first read-only array only


def _warn_read_only_array_once():
    global _warned_read_only
    if not _warned_read_only:
        _warned_read_only = True
        warn_from_user_code("The given NumPy array is not writable, and PyTorch does not support non-writable tensors. "
                            "This means writing to this tensor will result in undefined behavior. You may want to copy "
                            "the array to protect its data or make it writable before converting it to a tensor. This "
                            "type of warning will be suppressed for the rest of this program. (Triggered internally at "
                            "/__w/pytorch/pytorch/torch/csrc/utils/tensor_numpy.cpp:213.)")


def from_numpy(ndarray=_UNGIVEN, /, *extra):
    """A tensor sharing memory with a NumPy array (changes to one show in the other)."""
    if ndarray is _UNGIVEN or extra:  # (PyTorch binds it as CPython's METH_O: its words)
        raise TypeError("torchless._VariableFunctionsClass.from_numpy() takes exactly one argument "
                        f"({0 if ndarray is _UNGIVEN else 1 + len(extra)} given)")
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {_type_name(ndarray)})")
    _check_numpy_array(ndarray)
    if not ndarray.flags.writeable:
        _warn_read_only_array_once()
    return _shared_numpy_tensor(ndarray)


def _shared_numpy_tensor(ndarray):
    """A tensor over checked ``ndarray``'s memory (a read-only array's too: PyTorch writes into any memory it is
    given)."""
    itemsize = ndarray.itemsize
    if itemsize > 1 and any(stride % itemsize for stride in ndarray.strides):
        raise ValueError("given numpy array strides not a multiple of the element byte size. Copy the numpy array to "
                         "reallocate the memory.")
    flags = ndarray.flags
    if flags.writeable and (ndarray.base is None or _spans_its_owner(ndarray, flags)):
        return Tensor._wrap(_plain_array(ndarray))
    return Tensor._wrap(_own_storage_view(ndarray))


def _spans_its_owner(array, flags):
    """Whether ``array`` views all of the contiguous array owning its memory, from its first byte (a reshape or a
    transpose of a fresh array): that memory is then already the storage PyTorch would make (a view of one of
    its own costs 8 us more). ``flags``: the array's."""
    owner = array.base
    # (a contiguous view of as many bytes fills them all, from the first: no address to compare)
    return (type(owner) is np.ndarray and owner.base is None and owner.flags.c_contiguous
            and owner.nbytes == array.nbytes
            and (array.size and (flags.c_contiguous or flags.f_contiguous)
                 or owner.__array_interface__["data"][0] == array.__array_interface__["data"][0]))


def _own_storage_view(array):
    """``array`` as a writable view of a 1-D array of its own over the bytes from its first element to its last:
    the storage PyTorch's from_numpy makes of an array, whatever larger array these bytes lie in (so that the
    tensor's storage_offset is 0 and its storage no larger than it needs; an empty array's is empty)."""
    if not array.size:
        return np.lib.stride_tricks.as_strided(np.empty(0, array.dtype), array.shape, array.strides)
    low, high = byte_bounds(array)
    memory = (ctypes.c_char * (high - low)).from_address(low)
    memory.owner = array  # kept alive as long as the storage is
    storage = np.ndarray(((high - low) // array.itemsize,), array.dtype, buffer=memory)
    return np.ndarray(array.shape, array.dtype, buffer=storage, offset=array.ctypes.data - low, strides=array.strides)


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
            warn_from_user_code("The given buffer is not writable, and PyTorch does not support non-writable tensors. "
                                "This means you can write to the underlying (supposedly non-writable) buffer using the "
                                "tensor. You may want to copy the buffer to protect its data or make it writable before "
                                "converting it to a tensor. This type of warning will be suppressed for the rest of this "
                                "program. (Triggered internally at /__w/pytorch/pytorch/torch/csrc/utils/tensor_new.cpp:"
                                "1556.)")
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
