"""The ``__torch_function__`` protocol for Tensor subclasses (PyTorch's ``torch.overrides``).

PyTorch checks every call's arguments for ``__torch_function__`` in C. torchless keeps plain tensors free of any such
check: a Tensor subclass gets, when it is defined (``Tensor.__init_subclass__``), its own copies of Tensor's methods,
operators and tensor-valued properties that hand the call to ``__torch_function__``; Tensor's own stay untouched.
Of the torch.* and torch.nn.functional functions, those that run a Tensor method reach it that way, and F.relu and
F.interpolate check their input's type; the others (cat, conv2d, max_pool2d, ...) give plain tensors.
"""
import functools

__all__ = ["get_default_nowrap_functions", "handle_torch_function", "has_torch_function", "is_tensor_like"]

# True inside DisableTorchFunctionSubclass: the subclasses' methods then run Tensor's directly
_disabled = False

# The operators PyTorch's __torch_function__ sees as the named method (``t + 1`` as Tensor.add)
_OPERATOR_METHODS = {
    "__add__": "add", "__radd__": "add", "__sub__": "sub", "__mul__": "mul", "__rmul__": "mul",
    "__truediv__": "div", "__mod__": "remainder", "__pow__": "pow", "__matmul__": "matmul",
    "__rand__": "bitwise_and", "__ror__": "bitwise_or", "__rxor__": "bitwise_xor",
    "__ne__": "ne", "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge",
    "__iadd__": "add_", "__isub__": "sub_", "__imul__": "mul_", "__itruediv__": "div_",
    "__ifloordiv__": "floor_divide_", "__imod__": "remainder_", "__ipow__": "pow_",
    "__neg__": "neg", "__pos__": "positive", "__abs__": "abs", "__rtruediv__": "__rdiv__",
}

# The dunders PyTorch hands to __torch_function__ (besides the operators above)
_ROUTED_DUNDERS = frozenset((
    "__floordiv__", "__rfloordiv__", "__rsub__", "__rdiv__", "__rmod__", "__rpow__", "__rmatmul__",
    "__and__", "__or__", "__xor__", "__lshift__", "__rlshift__", "__rshift__", "__rrshift__", "__eq__",
    "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__", "__invert__",
    "__getitem__", "__setitem__", "__len__", "__reversed__", "__contains__", "__bool__",
    "__float__", "__int__", "__complex__", "__index__", "__format__", "__repr__",
))

# The properties PyTorch hands to __torch_function__ (those giving tensors come back as the subclass, but .grad)
_ROUTED_PROPERTIES = ("T", "mT", "H", "mH", "data", "real", "imag", "grad", "shape", "dtype", "device", "ndim",
                      "requires_grad", "is_leaf", "grad_fn")

# The routed dunders that are not binary operators (a binary one refused by every overload gives NotImplemented, so
# that Python tries the other operand and raises its "unsupported operand type(s)")
_NOT_BINARY = frozenset(("__neg__", "__pos__", "__abs__", "__invert__", "__getitem__", "__setitem__", "__len__",
                         "__reversed__", "__contains__", "__bool__", "__float__", "__int__", "__complex__",
                         "__index__", "__format__", "__repr__"))

# Methods that stay Tensor's: the subclass protocol itself and what makes or copies the Python object
_UNROUTED = frozenset(("as_subclass", "__torch_function__", "__init_subclass__"))


class DisableTorchFunctionSubclass:
    """Within this context, the Tensor subclasses' methods run as Tensor's, without ``__torch_function__`` (as
    ``Tensor.__torch_function__`` runs the function it is given)."""

    def __enter__(self):
        global _disabled
        self._restore, _disabled = _disabled, True
        return self

    def __exit__(self, *args):
        global _disabled
        _disabled = self._restore


def _disabled_torch_function_impl(func, types, args=(), kwargs=None):
    """The ``__torch_function__`` of a subclass that opts out of the protocol (nn.Parameter's): ``func`` runs."""
    return func(*args, **(kwargs or {}))


def get_default_nowrap_functions():
    """The functions whose results ``Tensor.__torch_function__`` returns as they are (not as the subclass)."""
    from ._tensor import Tensor

    return {Tensor.grad.__get__, Tensor._base.__get__}


def _convert(ret, cls):
    from ._tensor import Tensor

    if cls is Tensor:
        return ret
    if isinstance(ret, Tensor) and not isinstance(ret, cls):
        ret = ret.as_subclass(cls)
    if isinstance(ret, (tuple, list)):
        # (a namedtuple-like result of several tensors keeps its type: ``t.max(0)``)
        converted = [_convert(r, cls) for r in ret]
        ret = type(ret)(*converted) if hasattr(type(ret), "_fields") else type(ret)(converted)
    return ret


def _torch_function(cls, func, types, args=(), kwargs=None):
    if kwargs is None:
        kwargs = {}
    if not all(issubclass(cls, t) for t in types):
        return NotImplemented
    with DisableTorchFunctionSubclass():
        ret = func(*args, **kwargs)
        if func in _nowrap_functions():
            return ret
        return _convert(ret, cls)


@functools.lru_cache(maxsize=None)
def _nowrap_functions():
    # (built once: get_default_nowrap_functions gives callers a new set each time, as PyTorch's does)
    return frozenset(get_default_nowrap_functions())


def _overloaded_args(relevant):
    """The arguments whose types take part in the call's __torch_function__, a subclass before its bases."""
    from ._tensor import Tensor

    found, kinds = [], []
    for arg in relevant:
        kind = type(arg)
        if kind in kinds or kind is Tensor or not hasattr(arg, "__torch_function__"):
            continue
        if not getattr(kind, "_torch_function_routed", True):  # (a subclass of torchless's own: a tv_tensor)
            continue
        if getattr(kind.__torch_function__, "__func__", kind.__torch_function__) is _disabled_torch_function_impl:
            continue
        index = len(found)
        for i, other in enumerate(kinds):
            if issubclass(kind, other):
                index = i
                break
        found.insert(index, arg)
        kinds.insert(index, kind)
    return found


def _flat(args, kwargs):
    for arg in args:
        if isinstance(arg, (tuple, list)):
            yield from arg
        else:
            yield arg
    yield from kwargs.values()


def has_torch_function(relevant_args):
    """Whether any of ``relevant_args`` is a Tensor subclass or another type that defines ``__torch_function__``."""
    return bool(_overloaded_args(relevant_args)) and not _disabled


def is_tensor_like(inp):
    """Whether ``inp`` is a Tensor or its type defines ``__torch_function__``."""
    from ._tensor import Tensor

    return type(inp) is Tensor or hasattr(inp, "__torch_function__")


def _dispatch(public_api, relevant_args, args, kwargs):
    overloaded = _overloaded_args(relevant_args)
    types = tuple(type(arg) for arg in overloaded)
    for arg in overloaded:
        result = type(arg).__torch_function__(public_api, types, args, kwargs)
        if result is not NotImplemented:
            return result, overloaded
    return NotImplemented, overloaded


def handle_torch_function(public_api, relevant_args, *args, **kwargs):
    """Call ``public_api`` through the ``__torch_function__`` of the types in ``relevant_args``, a subclass before
    its bases, until one returns something other than ``NotImplemented``.

    Raises:
        TypeError: when all of them return ``NotImplemented``.
    """
    result, overloaded = _dispatch(public_api, relevant_args, args, kwargs)
    if result is not NotImplemented:
        return result
    name = f"{public_api.__module__}.{public_api.__name__}".replace("torchless", "torch")
    raise TypeError(f"no implementation found for '{name}' on types that implement __torch_function__: "
                    f"{[type(arg) for arg in overloaded]}")


def _routing_method(func, method, binary):
    """The subclass's ``method``: ``func`` (what __torch_function__ sees) through the arguments' overloads."""
    if binary:
        @functools.wraps(method)
        def routed(*args, **kwargs):
            if _disabled:
                return method(*args, **kwargs)
            return _dispatch(func, list(_flat(args, kwargs)), args, kwargs)[0]
        return routed

    @functools.wraps(method)
    def routed(*args, **kwargs):
        if _disabled:
            return method(*args, **kwargs)
        return handle_torch_function(func, list(_flat(args, kwargs)), *args, **kwargs)
    return routed


def _routing_property(prop):
    getter = prop.__get__

    def get(self):
        if _disabled:
            return getter(self)
        return handle_torch_function(getter, (self,), self)
    return property(get, prop.fset, prop.fdel, prop.__doc__)


def _routes(cls):
    """Whether the subclass ``cls`` takes part in the protocol: not for torchless's own subclasses and theirs
    (nn.Parameter, the tv_tensors keep their own rules) nor a class that opts out."""
    from ._tensor import Tensor

    for klass in cls.__mro__:
        if klass is Tensor:
            break
        if isinstance(klass.__dict__.get("__module__"), str) and klass.__module__.split(".")[0] == "torchless":
            return False
    tf = cls.__torch_function__
    return getattr(tf, "__func__", tf) is not _disabled_torch_function_impl


def install(cls):
    """Give the Tensor subclass ``cls`` the methods and properties that go through ``__torch_function__``, except
    those a class between it and Tensor defines."""
    from . import _unbound
    from ._tensor import Tensor

    cls._torch_function_routed = _routes(cls)
    if not cls._torch_function_routed:
        return
    own = set()
    for klass in cls.__mro__:
        if klass is Tensor:
            break
        own.update(klass.__dict__)
    for name, value in list(Tensor.__dict__.items()):
        if name in own or name in _UNROUTED:
            continue
        if isinstance(value, property):
            if name in _ROUTED_PROPERTIES:
                setattr(cls, name, _routing_property(value))
            continue
        if not callable(value) or isinstance(value, (classmethod, staticmethod, type)):
            continue
        if name.startswith("_") and name not in _ROUTED_DUNDERS and name not in _OPERATOR_METHODS:
            continue
        public = _OPERATOR_METHODS.get(name, name)
        func = _unbound.public_method(public) or Tensor.__dict__.get(public, value)
        binary = name.startswith("__") and name not in _NOT_BINARY
        setattr(cls, name, _routing_method(func, value, binary))
