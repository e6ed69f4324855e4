"""Tensor methods PyTorch keeps for old code: the deprecated out-of-place ``resize`` / ``resize_as`` (its
autograd ``Resize`` function), ``as_strided_`` and ``ger`` (outer's old name), with their function forms."""
import functools
import operator
import warnings


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
    if view.grad_fn is not None:
        from ..autograd.graph import renamed

        self.grad_fn = renamed(view.grad_fn, "AsStridedBackward1")
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
                                   "torch.outer instead.")
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
    for method in (resize, resize_as, as_strided_, ger, lu):
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

