"""The ``out=`` keyword of the torch namespace's functions (``torch.add(a, b, out=c)``).

The result is computed as without ``out`` and then written into the given tensor, as PyTorch's out variants
behave: it must be castable to ``out``'s dtype (the in-place rule: no float into an integer tensor), an ``out``
of another shape is resized (with PyTorch's deprecation warning unless it was empty), and ``out`` is returned.
Such calls are not recorded for autograd, so an operand requiring grad is PyTorch's error while grad mode is on.
"""
import functools
import warnings

import numpy as np

from . import _dtype


def with_out(name, function):
    """``function`` also taking ``out=`` (a tensor, or a tuple of them for a function returning several)."""

    @functools.wraps(function)
    def call(*args, out=None, **kwargs):
        if out is None:
            return function(*args, **kwargs)
        return _call_into(name, out, function, args, kwargs)

    return call


def accepts_out(name):
    """Decorator form of :func:`with_out`."""
    return functools.partial(with_out, name)


def _tensors_in(values):
    from ._tensor import Tensor

    for value in values:
        if isinstance(value, Tensor):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from _tensors_in(value)


def _call_into(name, out, function, args, kwargs):
    from ._tensor import Tensor
    from .autograd.grad_mode import is_grad_enabled, no_grad

    targets = out if isinstance(out, (tuple, list)) else (out,)
    for target in targets:
        if not isinstance(target, Tensor):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(target).__name__}")
    if is_grad_enabled() and any(t.requires_grad for t in _tensors_in((args, tuple(kwargs.values()), targets))):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    result = function(*args, **kwargs)
    results = result if isinstance(result, tuple) else (result,)
    if len(results) != len(targets) or not all(isinstance(r, Tensor) for r in results):
        raise TypeError(f"{name}(): argument 'out' must be {'a tuple of ' + str(len(results)) + ' tensors' if len(results) > 1 else 'Tensor'}")
    with no_grad():
        for target, value in zip(targets, results):
            _write(target, value)
    if isinstance(out, (tuple, list)):
        # a named pair (values, indices) comes back as one, holding the out tensors
        return type(result)(*targets) if type(result) is not tuple else tuple(targets)
    return out


def _write(target, value):
    source, destination = value._data.dtype, target._data.dtype
    if not _dtype.can_cast(source, destination):
        raise RuntimeError(f"result type {_dtype.from_numpy_dtype(source).scalar_name} can't be cast to the desired "
                           f"output type {_dtype.from_numpy_dtype(destination).scalar_name}")
    if target._data.shape != value._data.shape:
        if target._data.size:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape {list(target._data.shape)}, "
                f"which does not match the required output shape {list(value._data.shape)}. This behavior is "
                "deprecated, and in a future PyTorch release outputs will not be resized unless they have zero "
                "elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero elements with "
                "t.resize_(0).", UserWarning, stacklevel=4)
        target._data = np.empty(value._data.shape, destination)  # new storage, as a resize that grows gets
    target.copy_(value)
