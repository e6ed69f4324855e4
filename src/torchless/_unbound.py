"""Tensor methods taken from the class (``torchless.Tensor.view``) refusing what is not a tensor, as PyTorch's do.

PyTorch's methods are C method descriptors of ``torch._C.TensorBase``: ``torch.Tensor.view(None)`` raises CPython's
TypeError ("descriptor 'view' for 'torch._C.TensorBase' objects doesn't apply to a 'NoneType' object") before the
method runs, where a Python function would run with ``self=None`` and fail deep inside. Checking ``self`` in every
method, or wrapping each, would cost every ``t.view(...)`` call; only the class's attributes are checked here: the
metaclass holds a data descriptor of each such name, which Python consults for ``Tensor.view`` (class attribute
look-ups try the metaclass's data descriptors first) but never for ``t.view`` (an instance's look-up reads the
class's own dict). It gives a checking wrapper to code outside torchless; torchless's own code, which reads
``getattr(Tensor, name)`` for the function itself (its code, its signature, its attributes), gets the function.
"""
import functools
import sys
import types

from ._parser_errors._methods import _PYTHON_TENSOR_METHODS


class _TensorMeta(type):
    """The metaclass of torchless.Tensor (PyTorch's is ``torch._C._TensorMeta``): holds the descriptors below."""


def _checking(name, function, tensor):
    """``function`` refusing a first argument that is not a ``tensor``, with CPython's TypeErrors for a method
    descriptor."""
    @functools.wraps(function)
    def method(*args, **kwargs):
        if args and isinstance(args[0], tensor):
            return function(*args, **kwargs)
        if not args:
            raise TypeError(f"unbound method TensorBase.{name}() needs an argument")
        from .nn._functional._args import _tp_name  # (CPython's tp_name, torchless's stand-ins named as PyTorch's)

        raise TypeError(f"descriptor '{name}' for 'torchless._C.TensorBase' objects doesn't apply to a "
                        f"'{_tp_name(args[0])}' object")
    # (named where pickle finds it again, as PyTorch's descriptors pickle)
    method.__module__, method.__qualname__ = tensor.__module__, f"{tensor.__name__}.{name}"
    return method


class _Unbound:
    """The class attribute ``name`` of Tensor and its subclasses, whose value in Tensor's dict is ``function``."""

    __slots__ = ("name", "function", "tensor", "checking")

    def __init__(self, name, function, tensor):
        self.name, self.function, self.tensor, self.checking = name, function, tensor, None

    def __get__(self, cls, meta=None):
        if cls is None:
            return self
        for klass in cls.__mro__:
            if self.name in klass.__dict__:
                value = klass.__dict__[self.name]
                break
        else:
            raise AttributeError(f"type object '{cls.__name__}' has no attribute '{self.name}'")
        if value is self.function:
            module = sys._getframe(1).f_globals.get("__name__", "")
            if module != "torchless" and not module.startswith("torchless."):
                if self.checking is None:  # (made on first need: after the docstrings are attached)
                    self.checking = _checking(self.name, value, self.tensor)
                return self.checking
        get = getattr(type(value), "__get__", None)
        return value if get is None else get(value, None, cls)

    # A metaclass's data descriptor also takes the class's assignments: it steps aside while one is made
    def __set__(self, cls, value):
        name = self.name
        if value is self.checking and value is not None:  # (``old = Tensor.view; ...; Tensor.view = old``)
            value = self.function
        delattr(_TensorMeta, name)
        try:
            setattr(cls, name, value)
        finally:
            setattr(_TensorMeta, name, self)

    def __delete__(self, cls):
        name = self.name
        delattr(_TensorMeta, name)
        try:
            delattr(cls, name)
        finally:
            setattr(_TensorMeta, name, self)


def public_method(name):
    """Tensor's method ``name`` as a program outside torchless gets it (``torch.Tensor.add``)."""
    unbound = _TensorMeta.__dict__.get(name)
    if not isinstance(unbound, _Unbound):
        return None
    if unbound.checking is None:
        unbound.checking = _checking(name, unbound.function, unbound.tensor)
    return unbound.checking


def install(tensor):
    """Give the public methods of ``tensor`` (torchless.Tensor, of metaclass _TensorMeta) that PyTorch's C code
    provides their descriptor on the metaclass (those PyTorch writes in Python run with any self there too)."""
    for name, value in list(vars(tensor).items()):
        if not name.startswith("_") and name not in _PYTHON_TENSOR_METHODS and isinstance(value, types.FunctionType):
            setattr(_TensorMeta, name, _Unbound(name, value, tensor))
