"""Tensor factories: tensor, from_numpy, zeros, ones, full, arange, rand, randn, randint, ... and *_like."""
import numbers

import numpy as np

from . import _dtype
from ._tensor import Tensor, _shape_arg, device
from .random import numpy_rng


def _finish(array, requires_grad=False, device_arg=None):
    if device_arg is not None:
        device(device_arg)
    out = Tensor._wrap(array)
    if requires_grad:
        out.requires_grad = True
    return out


def _plain(data):
    """Nested sequences with tensors inside turned into plain numbers and arrays."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_plain(d) for d in data]
    return data


def _infer_array(data, dtype):
    """An array for ``data`` with PyTorch's dtype inference: Python floats become the default float dtype."""
    if isinstance(data, Tensor):
        array = data._data
    elif isinstance(data, np.ndarray):
        array = data
    elif isinstance(data, np.generic):
        array = np.asarray(data)
    else:
        plain = _plain(data)
        try:
            array = np.array(plain)
        except ValueError as err:
            raise ValueError(f"expected sequence of equal lengths: {err}") from None
        if array.dtype.kind == "f" and dtype is None:
            array = array.astype(_dtype.get_default_dtype().numpy)
        elif array.dtype.kind in "iu" and dtype is None:
            array = array.astype(np.int64)
        elif array.dtype.kind not in "fiub":
            raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if dtype is not None:
        array = array.astype(_dtype.to_numpy_dtype(dtype), copy=False)
    elif array.dtype not in _dtype._FROM_NUMPY:
        _dtype.from_numpy_dtype(array.dtype)  # raises PyTorch's TypeError
    return array


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (a number, nested sequence, array or tensor)."""
    array = _infer_array(data, dtype)
    return _finish(np.array(array, copy=True), requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    """A tensor sharing memory with ``data`` where possible (arrays, tensors of the same dtype)."""
    if isinstance(data, Tensor) and (dtype is None or dtype == data.dtype):
        return data
    return _finish(_infer_array(data, dtype), device_arg=device)


def from_numpy(ndarray):
    """A tensor sharing memory with a NumPy array."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return Tensor._wrap(ndarray)


def _float_dtype(dtype):
    np_dtype = _dtype.to_numpy_dtype(dtype or _dtype.get_default_dtype())
    return np_dtype


def _filled(size, value, dtype, requires_grad, device_arg):
    np_dtype = _dtype.to_numpy_dtype(dtype) if dtype is not None else _dtype.get_default_dtype().numpy
    return _finish(np.full(_shape_arg(size), value, np_dtype), requires_grad, device_arg)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """A tensor of zeros of the given size (``zeros(2, 3)`` or ``zeros((2, 3))``)."""
    return _filled(size, 0, dtype, requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    return _filled(size, 1, dtype, requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, memory_format=None):
    """Like PyTorch's uninitialised tensor, but zeroed so results never depend on stale memory."""
    return _filled(size, 0, dtype, requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    if dtype is None:
        if isinstance(fill_value, (bool, np.bool_)):
            dtype = _dtype.bool
        elif isinstance(fill_value, numbers.Integral):
            dtype = _dtype.int64
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled((size,) if isinstance(size, numbers.Integral) else (tuple(size),), fill_value, dtype,
                   requires_grad, device)


def _like(input, dtype):
    return dtype if dtype is not None else input.dtype


def zeros_like(input, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return _filled((input.shape,), 0, _like(input, dtype), requires_grad, device)


def ones_like(input, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return _filled((input.shape,), 1, _like(input, dtype), requires_grad, device)


def empty_like(input, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return _filled((input.shape,), 0, _like(input, dtype), requires_grad, device)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None):
    return _filled((input.shape,), fill_value, _like(input, dtype), requires_grad, device)


def _random_float(draw, size, dtype, requires_grad, device_arg):
    np_dtype = _float_dtype(dtype)
    if np_dtype.kind != "f":
        raise RuntimeError(f"\"check_uniform_bounds\" not implemented for '{_dtype.from_numpy_dtype(np_dtype).name}'")
    shape = _shape_arg(size)
    array = draw(shape, np_dtype if np_dtype in (np.float32, np.float64) else np.float64).astype(np_dtype, copy=False)
    return _finish(array, requires_grad, device_arg)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """Uniform random numbers on [0, 1)."""
    rng = numpy_rng(generator)
    return _random_float(lambda s, d: rng.random(s, dtype=d), size, dtype, requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    """Standard normal random numbers."""
    rng = numpy_rng(generator)
    return _random_float(lambda s, d: rng.standard_normal(s, dtype=d), size, dtype, requires_grad, device)


def rand_like(input, dtype=None, generator=None, requires_grad=False, device=None):
    return rand(input.shape, dtype=_like(input, dtype), generator=generator, requires_grad=requires_grad)


def randn_like(input, dtype=None, generator=None, requires_grad=False, device=None):
    return randn(input.shape, dtype=_like(input, dtype), generator=generator, requires_grad=requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Random integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if high is None:
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    array = numpy_rng(generator).integers(low, high, _shape_arg((size,)), dtype=np.int64)
    return _finish(array.astype(_dtype.to_numpy_dtype(dtype or _dtype.int64), copy=False), requires_grad, device)


def randint_like(input, low=0, high=None, dtype=None, generator=None):
    return randint(low, high, input.shape, dtype=_like(input, dtype), generator=generator)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0 .. n-1."""
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    array = numpy_rng(generator).permutation(n).astype(_dtype.to_numpy_dtype(dtype or _dtype.int64))
    return _finish(array, requires_grad, device)


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    """Values from ``start`` up to (not including) ``end`` in steps of ``step``."""
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if values[2] == 0:
        raise RuntimeError("step must be nonzero")
    if (values[1] - values[0]) * values[2] < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        floating = any(isinstance(v, float) for v in values)
        dtype = _dtype.get_default_dtype() if floating else _dtype.int64
    np_dtype = _dtype.to_numpy_dtype(dtype)
    array = np.arange(*values, dtype=np.float64 if np_dtype.kind == "f" else None).astype(np_dtype)
    return _finish(array, requires_grad, device)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    array = np.linspace(start, end, steps).astype(_float_dtype(dtype))
    return _finish(array, requires_grad, device)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device)
