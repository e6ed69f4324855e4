"""Random tensors: ``rand``, ``randn``, ``randint``, ``randperm`` and their ``*_like`` forms, drawn from
torchless's generators (PyTorch's streams) with PyTorch's argument checks."""
import math
import warnings

import numpy as np

from .. import _dtype, _memory_format, _parser_errors
from .._ops._util import check_int64, is_index_argument
from ..autograd import forward_ad
from ..random import draw_values, float_random_range, stream
from ._common import (_accepts_out, _dtype_argument, _FACTORY_KEYWORDS, _finish, _memory_keywords, _NO_SIZE, _size,
                      _type_name, _UNGIVEN, check_pin_memory)
from .filled import _laid_out, _like, _like_docstring, _like_strides

_RANDOM_OVERLOADS = (f"SymInt[] size, *, Generator? generator, {_FACTORY_KEYWORDS}",
                     f"SymInt[] size, *, {_FACTORY_KEYWORDS}")
_RANDINT_OVERLOADS = tuple(f"{bounds}, SymInt[] size, *, {generator}{_FACTORY_KEYWORDS}"
                           for bounds in ("SymInt high", "SymInt low, SymInt high")
                           for generator in ("Generator? generator, ", ""))
_RANDPERM_SCHEMAS = (f"SymInt n, *, Generator? generator, {_FACTORY_KEYWORDS}", f"SymInt n, *, {_FACTORY_KEYWORDS}")


def _check_generator(name, overloads, args, generator, **keywords):
    """PyTorch's parser's TypeError for a ``generator`` that is no Generator (``keywords``: the others given)."""
    if generator is None:
        return
    from ..random import Generator

    if not isinstance(generator, Generator):
        given = {key: value for key, value in keywords.items() if value is not None}
        _parser_errors.parse(name, overloads, args, dict(given, generator=generator))


def _random_float(draw, shape, dtype, kernel, requires_grad, device_arg, function, args, **complex_options):
    """A complex dtype's draws are drawn with ``complex_options`` (randn's std of 1 / sqrt(2))."""
    np_dtype = _dtype_argument(dtype, function, _RANDOM_OVERLOADS, args) if dtype is not None else \
        _dtype.get_default_dtype().numpy
    if np_dtype.kind == "c":
        return _finish(draw_values(draw, shape, np_dtype, **complex_options), requires_grad, device_arg)
    if np_dtype.kind not in "fV":  # ("V": bfloat16)
        if kernel == "normal_kernel_cpu" and not math.prod(shape):  # (normal_ runs no kernel for no element)
            return _finish(np.empty(shape, np_dtype), requires_grad, device_arg)
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_dtype.from_numpy_dtype(np_dtype).scalar_name}'")
    array = draw(shape, np_dtype)
    return _finish(array, requires_grad, device_arg)


@_memory_keywords
@_accepts_out()
def rand(*size_args, size=_NO_SIZE, generator=None, dtype=None, device=None, requires_grad=False, layout=None):
    """Uniform random numbers on [0, 1), drawn from ``generator`` (default: the one ``manual_seed`` seeds)."""
    _check_generator("rand", _RANDOM_OVERLOADS, size_args, generator, dtype=dtype)
    draws = stream(generator)
    shape = _random_size(size_args, "rand", size, generator=generator, dtype=dtype, device=device,
                         requires_grad=requires_grad, layout=layout)
    return _drawn(_random_float(draws.uniform, shape, dtype, "check_uniform_bounds", requires_grad, device, "rand",
                                size_args))


@_memory_keywords
@_accepts_out(resizes_first=True)
def randn(*size_args, size=_NO_SIZE, generator=None, dtype=None, device=None, requires_grad=False, layout=None):
    """Standard normal random numbers, drawn from ``generator`` (default: the one ``manual_seed`` seeds)."""
    _check_generator("randn", _RANDOM_OVERLOADS, size_args, generator, dtype=dtype)
    draws = stream(generator)
    shape = _random_size(size_args, "randn", size, generator=generator, dtype=dtype, device=device,
                         requires_grad=requires_grad, layout=layout)
    return _drawn(_random_float(draws.normal, shape, dtype, "normal_kernel_cpu", requires_grad, device, "randn",
                                size_args, std=1 / math.sqrt(2)))


def _drawn(result):
    """A random factory's ``result``, inside vmap with randomness "different": batched by the innermost call,
    whatever its values (PyTorch's rule draws every sample's at once, the batch in front)."""
    if forward_ad.state.vmap_levels:
        from ..random import vmap_randomness

        if vmap_randomness and vmap_randomness[-1] == "different":
            result.__dict__["_vmap_level"] = forward_ad.state.vmap_levels[-1]
            forward_ad.mark_batch_rank(result, 0)
    return result


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
@_like_docstring
def rand_like(input, *, dtype=None, generator=None, requires_grad=False, device=None, layout=None, memory_format=None):
    """rand_like(input, *, dtype=None, layout=None, device=None,
            requires_grad=False, memory_format=torchless.preserve_format) -> Tensor

    Returns a tensor of the size of ``input`` filled with uniform on [0, 1) random numbers:
    ``torchless.rand(input.size(), dtype=input.dtype)``. ``input`` must have a floating dtype
    unless ``dtype`` is given.

    Args:
        {like_input}

    Keyword args:
        generator (torchless.Generator, optional): the source of randomness. Default: the global one
        {like_keywords}

    Shape:
        {like_shape}

    Examples::

        >>> torch.rand_like(torch.zeros(2, 3)).shape
        torchless.Size([2, 3])
    """
    strides = _like_strides(input, memory_format, "rand_like")
    return forward_ad.batched_like(_laid_out(rand(input.shape, dtype=_like(input, dtype), generator=generator,
                                                  requires_grad=requires_grad), strides), input)


@_memory_keywords
@_like_docstring
def randn_like(input, *, dtype=None, generator=None, requires_grad=False, device=None, layout=None, memory_format=None):
    """randn_like(input, *, dtype=None, layout=None, device=None,
            requires_grad=False, memory_format=torchless.preserve_format) -> Tensor

    Returns a tensor of the size of ``input`` filled with standard normal random numbers:
    ``torchless.randn(input.size(), dtype=input.dtype)``. ``input`` must have a floating dtype
    unless ``dtype`` is given.

    Args:
        {like_input}

    Keyword args:
        generator (torchless.Generator, optional): the source of randomness. Default: the global one
        {like_keywords}

    Shape:
        {like_shape}

    Examples::

        >>> torch.randn_like(torch.zeros(2, 3)).shape
        torchless.Size([2, 3])
    """
    strides = _like_strides(input, memory_format, "randn_like")
    if strides is None or _memory_format.is_c_order(input.shape, strides):
        return forward_ad.batched_like(_laid_out(randn(input.shape, dtype=_like(input, dtype), generator=generator,
                                                       requires_grad=requires_grad), strides), input)
    # PyTorch's normal_ draws a tensor that is not contiguous one value at a time, in memory order
    np_dtype = _dtype.argument(_like(input, dtype), "randn_like")
    if np_dtype.kind not in "fV":
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for "
                                  f"'{_dtype.from_numpy_dtype(np_dtype).scalar_name}'")
    values = stream(generator).normal(tuple(input.shape), np_dtype, serial=True)
    return forward_ad.batched_like(_laid_out(_finish(values, requires_grad, device), strides), input)


@_memory_keywords
@_accepts_out()
def randint(*args, generator=None, dtype=None, device=None, requires_grad=False, **kwargs):
    """Random integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``; int64 by default."""
    given = args
    low, high, size = (0, *args) if len(args) == 2 else args if len(args) == 3 else (None, None, None)
    # (bounds or size by keyword, or given as None, read by PyTorch's parser: keywords bind by name, so
    # randint(low=1, size=(2,)) lacks high)
    if kwargs or size is None or not isinstance(size, (tuple, list)) or type(low) is not int or \
            type(high) is not int or not all(type(n) is int for n in size):
        _, bound = _parser_errors.parse_overload("randint", _RANDINT_OVERLOADS, args,
                                                 {**kwargs, **({} if dtype is None else {"dtype": dtype})})
        low, high, size = bound.get("low", 0), bound["high"], tuple(bound["size"])
        given = args + tuple(kwargs[name] for name in ("low", "high", "size") if name in kwargs)
    _check_generator("randint", _RANDINT_OVERLOADS, given, generator, dtype=dtype)
    # in PyTorch's order: the arguments, the sizes, the range, the range against the dtype
    check_int64(low)
    check_int64(high)
    np_dtype = _dtype_argument(dtype or _dtype.int64, "randint", _RANDINT_OVERLOADS, given)
    shape = _size((size,), "randint")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if np_dtype.kind in "fV" and max(abs(low), abs(high - 1)) <= _dtype.FLOAT_MAX[np_dtype]:
        # PyTorch moves the bounds a float cannot tell apart first (beyond its range, the check below refuses them)
        low, high = float_random_range(low, high, _EXACT_INTEGER_DIGITS[np_dtype.name][0])
    _check_random_range(low, high, np_dtype)
    array = stream(generator).integers(low, high, shape)
    return _drawn(_finish(array.astype(np_dtype, copy=False), requires_grad, device))


# The integers a float dtype holds exactly, up to 2**digits, and the C++ name PyTorch's warning gives the type
_EXACT_INTEGER_DIGITS = {"float16": (11, "c10::Half"), "float32": (24, "float"), "float64": (53, "double"),
                         "bfloat16": (8, "c10::BFloat16")}


def _check_random_range(low, high, np_dtype):
    """PyTorch's check of a random integer range [low, high) against the result's dtype: an integer (or bool)
    dtype must hold both low and high - 1, else RuntimeError; a float dtype only warns when they lie beyond the
    integers it represents exactly (the draws there would not be uniform)."""
    if np_dtype.kind == "c":
        raise RuntimeError("check_random_bounds handles only integral, floating-point and boolean types")
    if np_dtype.kind in "fV":  # ("V": bfloat16)
        digits, name = _EXACT_INTEGER_DIGITS[np_dtype.name]
        for label, value in (("from", low), ("to - 1", high - 1)):
            if abs(value) > _dtype.FLOAT_MAX[np_dtype]:
                raise RuntimeError(f"{label} is out of bounds for {name}")
            if not -2**digits <= value <= 2**digits:
                warnings.warn(f"{label} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision limitations "
                              f"{name} can support discrete uniform distribution only within this range. This warning "
                              "will become an error in version 1.7 release, please fix the code in advance",
                              UserWarning, stacklevel=4)
        return
    smallest, largest = (0, 1) if np_dtype.kind == "b" else _dtype.integer_limits(np_dtype)[:2]
    for label, value in (("from", low), ("to - 1", high - 1)):
        if not smallest <= value <= largest:
            raise RuntimeError(f"{label} is out of bounds for {_dtype.CPP_TYPE_NAMES[np_dtype.name]}")


_RANDINT_LIKE_OVERLOADS = tuple(
    f"Tensor input, {bounds}, *, {generator}memory_format? memory_format=None, dtype? dtype=None, "
    "layout? layout=None, device? device=None, bool pin_memory=False, bool requires_grad=False"
    for bounds in ("SymInt low, SymInt high", "Tensor high", "SymInt high")
    for generator in ("Generator? generator, ", ""))


def randint_like(*args, **kwargs):
    """Random integers shaped like ``input``: ``randint_like(input, high)`` or ``(input, low, high)``; ``high`` may
    be a 0-d tensor. Takes PyTorch's keywords (``generator``, ``dtype``, ``device``, ``requires_grad``,
    ``memory_format``, ``layout``, ``pin_memory``)."""
    # read by PyTorch's parser: its TypeErrors name randint_like and the arguments as given (by position or keyword)
    index, bound = _parser_errors.parse_overload("randint_like", _RANDINT_LIKE_OVERLOADS, args, kwargs)
    check_pin_memory(bound.get("pin_memory", False))
    input, low, high = bound["input"], bound.get("low", 0), bound["high"]
    if index in (2, 3):
        if high.numel() != 1 or high.dim():
            raise RuntimeError("high must be a scalar tensor and on CPU")
        high = int(high.to(_dtype.int64).item())
    dtype, generator, requires_grad = bound.get("dtype"), bound.get("generator"), bound.get("requires_grad", False)
    device, memory_format = bound.get("device"), bound.get("memory_format")
    strides = _like_strides(input, memory_format, "randint_like")
    return forward_ad.batched_like(_laid_out(randint(low, high, tuple(input.shape), dtype=_like(input, dtype),
                                                     generator=generator, requires_grad=requires_grad, device=device),
                                             strides), input)


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
    if is_index_argument(n):  # (unpacked as PyTorch's SymInt: a bool tensor's failed assertion, int64's overflow)
        from ..nn._functional._args import unpack_symint

        return unpack_symint(n)
    if not keywords:
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not {_type_name(n)}")
    from ..nn._functional._keyword_order import unordered_map_order

    given = ", ".join([_type_name(n)] + [f"{k}={_type_name(keywords[k])}" for k in unordered_map_order(list(keywords))])
    raise TypeError(f"randperm() received an invalid combination of arguments - got ({given}), but expected one of:\n"
                    + _RANDPERM_OVERLOADS)


@_memory_keywords
@_accepts_out()
def randperm(n=_UNGIVEN, *, generator=_UNGIVEN, dtype=_UNGIVEN, device=_UNGIVEN, requires_grad=_UNGIVEN):
    """A random permutation of 0 .. n-1."""
    given = {name: value for name, value in (("generator", generator), ("dtype", dtype), ("device", device),
                                             ("requires_grad", requires_grad)) if value is not _UNGIVEN}
    if n is _UNGIVEN or n is None or given and not is_index_argument(n):
        # (PyTorch's parser's TypeError: keywords given, even as their defaults, name the missing n)
        _parser_errors.parse_overload("randperm", _RANDPERM_SCHEMAS, () if n is _UNGIVEN else (n,), given)
    generator = None if generator is _UNGIVEN else generator
    dtype = None if dtype is _UNGIVEN else dtype
    device = None if device is _UNGIVEN else device
    requires_grad = False if requires_grad is _UNGIVEN else requires_grad
    keywords = {name: value for name, value in (("generator", generator), ("dtype", dtype), ("device", device))
                if value is not None}
    if dtype is not None:
        _dtype_argument(dtype, "randperm", _RANDPERM_SCHEMAS, (n,))
    _check_generator("randperm", _RANDPERM_SCHEMAS, (n,), generator, dtype=dtype, device=device)
    n = _randperm_n(n, keywords)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    np_dtype = _dtype.to_numpy_dtype(dtype or _dtype.int64)
    # PyTorch has no bool kernel, and refuses n whose largest value n - 1 the dtype cannot hold exactly
    _dtype.refuse_wide_unsigned("randperm", np_dtype)
    if np_dtype.kind in "bc":
        raise NotImplementedError(f"\"randperm\" not implemented for "
                                  f"'{_dtype.from_numpy_dtype(np_dtype).scalar_name}'")
    if np_dtype == np.float16 and n > 2049:
        raise RuntimeError("n cannot be greater than 2049 for Half type.")
    if np_dtype == np.float32 and n > 2**24 + 1:
        raise RuntimeError("n cannot be greater than 2^24+1 for Float type.")
    if np_dtype.kind in "iu" and n:
        _dtype.fill_value(n - 1, np_dtype)
    array = stream(generator).permutation(n).astype(np_dtype)
    return _drawn(_finish(array, requires_grad, device))
