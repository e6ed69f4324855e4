"""Tensors of one value or none: ``zeros``, ``ones``, ``empty``, ``empty_strided``, ``full``, ``scalar_tensor``,
``eye`` and their ``*_like`` forms, laid out as PyTorch allocates them."""
import numbers

import numpy as np

from .. import _determinism, _dtype, _memory_format, _parser_errors
from .._doc_templates import filled_docstring
from .._tensor import Tensor
from .._type_promotion import as_parsed_number
from ..autograd import forward_ad
from ._common import (_accepts_out, _dtype_argument, _FACTORY_KEYWORDS, _finish, _is_number_argument,
                      _memory_keywords, _NO_SIZE, _size, _type_name, _UNGIVEN, check_requires_grad, full_array)


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
    """Like PyTorch's uninitialised tensor, but zeroed so results never depend on stale memory (in deterministic
    mode filled as PyTorch's is: see ``use_deterministic_algorithms``); laid out in ``memory_format`` (contiguous
    by default)."""
    out = _filled(_size(size_args, "empty", size), 0, dtype, requires_grad, device, "empty")
    _determinism.fill_uninitialized(out._data)
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
    memory = _determinism.fill_uninitialized(np.zeros(elements, np_dtype))
    array = np.lib.stride_tricks.as_strided(memory, shape, [step * itemsize for step in strides])
    return _finish(array, requires_grad, device)


@_memory_keywords
@_accepts_out()
def full(size, fill_value=_UNGIVEN, dtype=None, device=None, requires_grad=False, layout=None):
    """A tensor of shape ``size`` filled with ``fill_value``; its dtype follows the value (bool, int64, float)."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {_type_name(size)}")
    value_type = fill_value.__class__
    if value_type is float or value_type is int or value_type is bool:  # (a plain number: taken as it is)
        if dtype is None and value_type is not float:
            dtype = _dtype.int64 if value_type is int else _dtype.bool
        return _filled(_size((size,), "full"), fill_value, dtype, requires_grad, device, "full")
    if fill_value is _UNGIVEN:
        _parser_errors.parse("full", (f"SymInt[] size, Number fill_value, *, {_FACTORY_KEYWORDS}",), (size,))
    if not _parser_errors.is_number_argument(fill_value):
        _parser_errors.parse("full", (f"SymInt[] size, Number fill_value, *, {_FACTORY_KEYWORDS}",), (size, fill_value))
    fill_value = fill_value.item() if isinstance(fill_value, Tensor) else as_parsed_number(fill_value)
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


# What every *_like factory's docstring says of its input, its keywords and its shapes (PyTorch's
# factory_like_common_args), each as it stands there (stripped: it is filled in at its indentation)
_LIKE_DOC_BLOCKS = {
    "like_input": """
        input (Tensor): the tensor whose size (and, by default, dtype and layout) the result takes
    """.strip(),
    "like_keywords": """
        dtype (torchless.dtype, optional): the result's dtype. Default: ``input``'s
        device (torchless.device, optional): the result's device (the CPU). Default: ``input``'s
        requires_grad (bool, optional): whether autograd records operations on the result. Default: ``False``
        memory_format (torchless.memory_format, optional): the result's layout; ``torchless.preserve_format`` keeps
            the strides of a dense input. Default: ``torchless.preserve_format``
        layout (optional): only ``torchless.strided``. Default: ``None``
    """.strip(),
    "like_shape": """
        - Input: (*), any size
        - Output: (*), the input's size
    """.strip(),
}


_like_docstring = filled_docstring(**_LIKE_DOC_BLOCKS)


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
    result = _laid_out(_filled(input.shape, value, _like(input, dtype), requires_grad, device, function), strides)
    return forward_ad.batched_like(result, input)


@_memory_keywords
@_like_docstring
def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    """zeros_like(input, *, dtype=None, layout=None, device=None,
            requires_grad=False, memory_format=torchless.preserve_format) -> Tensor

    Returns a tensor of the size of ``input`` filled with 0: ``torchless.zeros(input.size(), dtype=input.dtype)``.

    Args:
        {like_input}

    Keyword args:
        {like_keywords}

    Shape:
        {like_shape}

    Examples::

        >>> torch.zeros_like(torch.empty(2, 3))
        tensor([[0., 0., 0.],
                [0., 0., 0.]])
    """
    return _filled_like(input, 0, dtype, requires_grad, device, memory_format, "zeros_like")


@_memory_keywords
@_like_docstring
def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    """ones_like(input, *, dtype=None, layout=None, device=None,
            requires_grad=False, memory_format=torchless.preserve_format) -> Tensor

    Returns a tensor of the size of ``input`` filled with 1: ``torchless.ones(input.size(), dtype=input.dtype)``.

    Args:
        {like_input}

    Keyword args:
        {like_keywords}

    Shape:
        {like_shape}

    Examples::

        >>> torch.ones_like(torch.empty(2, 3))
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
    """
    return _filled_like(input, 1, dtype, requires_grad, device, memory_format, "ones_like")


@_memory_keywords
@_like_docstring
def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    """empty_like(input, *, dtype=None, layout=None, device=None,
            requires_grad=False, memory_format=torchless.preserve_format) -> Tensor

    Returns a tensor of the size of ``input`` whose values are not to be relied on (PyTorch leaves them
    uninitialised; torchless zeroes them, so that results never depend on stale memory, or fills them with NaN
    or the integer maximum under ``torchless.use_deterministic_algorithms(True)``, as PyTorch does).

    Args:
        {like_input}

    Keyword args:
        {like_keywords}

    Shape:
        {like_shape}

    Examples::

        >>> torch.empty_like(torch.ones(2, 3, dtype=torch.int32)).shape
        torchless.Size([2, 3])
    """
    out = _filled_like(input, 0, dtype, requires_grad, device, memory_format, "empty_like")
    _determinism.fill_uninitialized(out._data)
    return out


@_memory_keywords
@_like_docstring
def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    """full_like(input, fill_value, *, dtype=None, layout=None, device=None,
            requires_grad=False, memory_format=torchless.preserve_format) -> Tensor

    Returns a tensor of the size of ``input`` filled with ``fill_value``, in ``input``'s dtype unless ``dtype``
    is given (the value is cast to it).

    Args:
        {like_input}
        fill_value (Number): the value to fill it with

    Keyword args:
        {like_keywords}

    Shape:
        {like_shape}

    Examples::

        >>> torch.full_like(torch.zeros(2, 2), 7)
        tensor([[7., 7.],
                [7., 7.]])
        >>> torch.full_like(torch.zeros(2, dtype=torch.int64), 2.7)
        tensor([2, 2])
    """
    if isinstance(input, Tensor) and not _parser_errors.is_number_argument(fill_value):
        raise TypeError(f"full_like(): argument 'fill_value' (position 2) must be Number, not {_type_name(fill_value)}")
    return _filled_like(input, fill_value, dtype, requires_grad, device, memory_format, "full_like")


_EYE_OVERLOADS = (f"SymInt n, *, {_FACTORY_KEYWORDS}", f"SymInt n, SymInt m, *, {_FACTORY_KEYWORDS}")


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
    _dtype.refuse_wide_unsigned("eye", np_dtype)
    return _finish(np.eye(n, m, dtype=np_dtype), requires_grad, device)
