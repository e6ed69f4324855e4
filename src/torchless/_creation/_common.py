"""What the tensor factories share: the new tensor's finishing (requires_grad, device), PyTorch's ``out=`` and
memory keywords, and the parser's checks of sizes, dtypes and numbers with its messages."""
import functools
import math

import numpy as np

from .. import _dtype, _memory_format, _parser_errors
from .._tensor import Tensor, _shape_arg
from .._device import require_cpu
from .._type_promotion import NUMBERS
from .._user_warnings import warn_from_user_code
from ..autograd.grad_mode import is_grad_enabled, no_grad


def _finish(array, requires_grad=False, device_arg=None, from_data=False):
    """The factory's new tensor around ``array``. Not ``from_data``, an empty one gets C order's strides, as
    PyTorch allocates it (NumPy's routines give empty arrays all-zero strides); tensor(data) and as_tensor(data)
    of an array or tensor keep those of an empty one, as PyTorch does."""
    if device_arg is not None:
        require_cpu(device_arg)
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
                if warns_on_resize and out._data.size:  # (an empty out is resized silently)
                    warn_from_user_code(
                        f"The number of elements in the out tensor of shape {list(out._data.shape)} is "
                        f"{out._data.size} which does not match the computed number of elements {result._data.size}. "
                        "Note that this may occur as a result of rounding error. The out tensor will be resized to a "
                        f"tensor of shape {tuple(shape)}. (Triggered internally at "
                        "/__w/pytorch/pytorch/aten/src/ATen/native/RangeFactories.cpp:199.)")
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
_NO_SIZE = object()  # the size given as ints rather than by keyword
_UNGIVEN = object()  # an optional argument left out (None given is refused, as by PyTorch's parser)


def _is_number_argument(value):
    """What PyTorch's parser takes for a Number: a Python or NumPy number, or a 0-d tensor not requiring grad."""
    if isinstance(value, Tensor):
        return not value.dim() and not value.requires_grad
    return isinstance(value, NUMBERS)


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


def _type_name(value):
    """The type name PyTorch's parser prints ('float', 'Tensor', 'numpy.float64'), for torchless's stand-ins of its
    compiled classes their names there ('torchless.dtype', 'torchless._C.Generator')."""
    from ..nn._functional._args import _tp_name  # (imported late: the nn package imports the factories)

    return _tp_name(value)


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
    zero = type(value) is int and value == 0  # (zeros and empty: fits every dtype, and NumPy zeroes faster)
    # (PyTorch writes a single element without its range check for half)
    value = 0 if zero else _dtype.fill_value(value, np_dtype, check_half=math.prod(shape) != 1)
    try:
        return np.zeros(shape, np_dtype) if zero else np.full(shape, value, np_dtype)
    except (ValueError, MemoryError):  # (NumPy's refusal of a size it cannot hold)
        raise allocation_error(shape, np_dtype) from None
