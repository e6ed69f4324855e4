"""Tensor methods PyTorch keeps for old code: the deprecated out-of-place ``resize`` / ``resize_as`` (its
autograd ``Resize`` function), ``as_strided_``, ``set_`` and ``ger`` (outer's old name), with their function
forms."""
import functools
import operator
import warnings

import numpy as np

from .._dtype import cpp_name
from ..autograd import forward_ad, grad_mode
from ..autograd._basic_ops import NOT_IMPLEMENTED, DelayedError
from ..autograd.graph import _edge, renamed


@functools.lru_cache(maxsize=None)
def _resize_function():
    """PyTorch's torch.autograd._functions.Resize: a view of another shape with as many elements (its node
    ResizeBackward), built on first use."""
    from ..autograd.function import Function

    class Resize(Function):
        @staticmethod
        def forward(ctx, tensor, sizes):
            ctx.sizes = sizes
            ctx.numel = functools.reduce(operator.mul, sizes, 1)
            if tensor.numel() != ctx.numel:  # (PyTorch's own wording and formatting, a tuple size shown as such)
                raise RuntimeError(
                    f"requested resize to {'x'.join(map(str, sizes))} ({ctx.numel} elements in total), but the given "
                    f"tensor has a size of {'x'.join(map(str, tensor.size()))} ({tensor.numel()} elements). "
                    "autograd's resize can only change the shape of a given tensor, while preserving the number of "
                    "elements. ")
            ctx.input_sizes = tensor.size()
            return tensor.contiguous().view(*sizes)

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output.contiguous().view(ctx.input_sizes), None

    return Resize


def resize(self, *sizes):
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    return _resize_function().apply(self, sizes)


def resize_as(self, tensor):
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    return _resize_function().apply(self, tensor.size())


def as_strided_(self, *args, **kwargs):
    """as_strided in place: the tensor now reads its memory with the given sizes, strides and offset."""
    from .inplace import _check_leaf, as_strided

    _check_leaf(self)
    view = as_strided(self, *args, **kwargs)
    self._data = view._data
    if view._grad_fn is not None:
        from ..autograd.graph import renamed

        self._grad_fn = renamed(view._grad_fn, "AsStridedBackward1")
    self._bump_version()  # (as PyTorch's in-place ops on the metadata: squeeze_, t_, ...)
    return self


def _check_vec2(args, kwargs, position):
    """The parser's errors for ger's ``vec2``, the argument at ``position`` (the method's first, the function's
    second): a missing one first, then too many, then its type; unknown keywords are left to outer's parser."""
    from .. import _parser_errors
    from .._tensor import Tensor

    if not args and "vec2" not in kwargs:
        raise TypeError('ger() missing 1 required positional arguments: "vec2"')
    if len(args) > 1:
        plural = "s" if position > 1 else ""
        raise TypeError(f"ger() takes {position} positional argument{plural} but {position + len(args) - 1} were "
                        "given")
    vec2 = args[0] if args else kwargs["vec2"]
    if not isinstance(vec2, Tensor):
        raise _parser_errors.not_tensor("ger", "vec2", position, vec2)


def ger(self, *args, **kwargs):
    _check_vec2(args, kwargs, 1)
    try:
        return self.outer(*args, **kwargs)
    except TypeError as error:  # (outer's parser's errors, naming ger as PyTorch's parser of ger does)
        raise TypeError(str(error).replace("outer(", "ger(")) from None


def _ger_function(outer, input, *args, out=None, **kwargs):
    _check_vec2(args, kwargs, 2)
    unknown = [name for name in kwargs if name != "vec2"]
    if unknown:
        raise TypeError(f"ger() got an unexpected keyword argument '{unknown[0]}'")
    vec2 = args[0] if args else kwargs["vec2"]
    if out is not None:  # (only PyTorch's out= variant warns, once)
        from .deprecated_linalg import _warn_once

        _warn_once(("ger", "out"), "torch.ger is deprecated and will be removed in a future PyTorch release. Use "
                                   "torch.outer instead.", "LinearAlgebra.cpp:1270")
    return outer(input, vec2, out=out)


# the linear-algebra methods whose functions live in modules loaded on first call: {method: module}
_LINALG_METHODS = {
    **dict.fromkeys(("cholesky", "cholesky_inverse", "cholesky_solve", "qr", "svd", "triangular_solve", "solve",
                     "lstsq", "symeig", "eig", "lu_solve"), "torchless._ops.deprecated_linalg"),
    **dict.fromkeys(("geqrf", "orgqr", "ormqr"), "torchless.linalg.householder"),
}


def _linalg_method(name, module_name):
    def method(self, *args, **kwargs):
        import importlib

        return getattr(importlib.import_module(module_name), name)(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    return method


def lu(self, pivot=True, get_infos=False):
    """``Tensor.lu``: torch.lu's factors, with the infos as a plain tuple (not torch.return_types._lu_with_info)."""
    from .deprecated_linalg import lu as deprecated_lu

    return tuple(deprecated_lu(self, pivot, get_infos))


def install(cls, namespace):
    """The methods on the Tensor class ``cls``, the function forms in the torch namespace ``namespace``."""
    for method in (resize, resize_as, as_strided_, ger, lu, set_):
        setattr(cls, method.__name__, method)
    for name, module_name in _LINALG_METHODS.items():
        setattr(cls, name, _linalg_method(name, module_name))
    namespace.update(ger=lambda input, *args, out=None, **kwargs: _ger_function(namespace["outer"], input,
                                                                                *args, out=out, **kwargs),
                     as_strided_=lambda input, *args, **kwargs: as_strided_(input, *args, **kwargs))
    namespace["ger"].__name__ = namespace["ger"].__qualname__ = "ger"
    namespace["as_strided_"].__name__ = namespace["as_strided_"].__qualname__ = "as_strided_"
    from .._functions import parsing_failures

    for name in ("ger", "as_strided_"):  # (installed after the namespace's functions were, as parse_failures does)
        namespace[name] = parsing_failures(name, namespace[name], namespace)



_SET_OVERLOADS = ("", "torch.Storage source",
                  "torch.Storage source, int storage_offset, tuple of ints size, tuple of ints stride = None",
                  "Tensor source", "Tensor source, int storage_offset, tuple of ints size, tuple of ints stride = None")


def set_(self, *args, **kwargs):
    """``set_()``, ``set_(source)``, ``set_(source, storage_offset, size, stride=None)``: this tensor now looks into
    the memory of ``source`` (a tensor, sharing its memory as it is, or a storage), with the given layout; or into
    new empty memory. Recorded on a tensor of the graph as a node without derivative."""
    from .._parser_errors import invalid_combination

    bound = _set_arguments(args, kwargs)
    if bound is None:
        raise invalid_combination("set_", _SET_OVERLOADS, args, kwargs)
    source, storage_offset, size, stride = bound
    from .._tensor import Tensor

    if isinstance(source, Tensor) and source._data.dtype != self._data.dtype:
        raise RuntimeError(f"Could not set tensor of type {cpp_name(source._data.dtype)} to a tensor of type "
                           f"{cpp_name(self._data.dtype)}")
    from .inplace import _check_leaf

    _check_leaf(self)
    if forward_ad.state.vmap_levels and isinstance(source, Tensor):
        forward_ad.refuse_writing_batched(self, (source,), "set_")
    if source is None:
        array = np.empty(1, self._data.dtype)[:0]  # (of stride 1, as PyTorch's empty tensor: NumPy's has 0)
    elif isinstance(source, Tensor) and size is None:
        array = source._data
        self._aliased = source._aliased = True  # (one memory, which neither one's graph tracks)
    else:
        array = _laid_over(_flat_memory(source, self._data.dtype), self._data.dtype, storage_offset, size, stride)
    recorded = grad_mode.state.enabled and self._requires_grad
    if recorded:
        node = DelayedError()
        node.message = "derivative for set_ is not implemented"
        inputs = (self,) + ((source,) if isinstance(source, Tensor) and size is None else ())
        node.needs_input_grad = tuple(t._requires_grad for t in inputs)
        node.edges = tuple(_edge(t) if t._requires_grad else None for t in inputs)
        node.record_sequence()
        self._grad_fn = renamed(node, NOT_IMPLEMENTED)
    self._data = array
    self._bump_version()
    return self


def _set_arguments(args, kwargs):
    """(source or None, storage_offset, size, stride) of a set_ call, None where no overload takes them."""
    from .._tensor import Tensor
    from ..storage import is_storage

    names = ("source", "storage_offset", "size", "stride")
    if len(args) > len(names) or set(kwargs) - set(names):
        return None
    given = dict(zip(names, args))
    if set(given) & set(kwargs):
        return None
    given.update(kwargs)
    source = given.get("source")
    if not given:
        return None, 0, None, None
    if not (isinstance(source, Tensor) or is_storage(source)) or ("storage_offset" in given) != ("size" in given):
        return None
    if "size" not in given:
        return None if "stride" in given else (source, 0, None, None)
    offset, size, stride = given["storage_offset"], given["size"], given.get("stride")
    if type(offset) is not int or not _int_sequence(size) or not (stride is None or _int_sequence(stride)):
        return None
    return source, offset, tuple(size), None if stride is None else tuple(stride)


def _int_sequence(value):
    return isinstance(value, (tuple, list)) and all(type(n) is int for n in value)


def _flat_memory(source, dtype):
    """The memory of ``source`` (a tensor or a storage) as a flat array of ``dtype``."""
    from .._tensor import Tensor
    from .tensor_extras import _storage

    if isinstance(source, Tensor):
        return _storage(source._data)[0]
    flat = source._flat
    if flat.dtype == dtype:
        return flat
    usable = flat.size * flat.itemsize // dtype.itemsize * dtype.itemsize
    return flat.view(np.uint8)[:usable].view(dtype)


def _laid_over(flat, dtype, offset, size, stride):
    """The array of ``size`` and ``stride`` (contiguous when None) from element ``offset`` of ``flat``, with
    PyTorch's error where it does not fit."""
    if size is None:
        return flat
    if stride is None:
        stride = tuple(int(np.prod(size[i + 1:])) for i in range(len(size)))
    needed = 0 if 0 in size else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if needed > flat.size:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {dtype.itemsize} requiring a storage size of {needed * dtype.itemsize} are out of "
                           f"bounds for storage of size {flat.size * dtype.itemsize}")
    return np.lib.stride_tricks.as_strided(flat[offset:], size, tuple(s * dtype.itemsize for s in stride))
