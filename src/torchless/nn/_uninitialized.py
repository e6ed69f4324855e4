"""UninitializedTensorMixin: a tensor whose shape is not known yet (a lazy module's parameter before its first
call), which refuses every use but the few PyTorch allows."""
import inspect
import sys

from .. import _creation
from .._entry_point import describe, entry_point
from .._tensor import Tensor

# PyTorch's _allowed_methods: questions and conversions that do not need the shape.
_ALLOWED_METHODS = frozenset({"size", "copy_", "is_complex", "is_floating_point", "half", "float", "double", "char",
                              "short", "int", "long", "cuda", "cpu", "to", "get_device"})


def _uninitialized_error(cls, frame, fallback):
    """PyTorch's error, naming the public function that code outside torchless called (``fallback`` when that
    code touched the tensor directly)."""
    function = entry_point(frame) or fallback
    name = describe(function) if inspect.isfunction(function) else repr(function)
    return ValueError(
        f"Attempted to use an uninitialized parameter in {name}. This error happens when you are using a "
        f"`LazyModule` or explicitly manipulating `torchless.nn.parameter.{cls.__name__}` objects. When using "
        "LazyModules Call `forward` with a dummy batch to initialize the parameters before calling torchless "
        "functions")


def _plain_alias(tensor):
    """A plain tensor sharing ``tensor``'s (empty) data, on which the allowed methods run unrefused."""
    alias = Tensor._wrap(object.__getattribute__(tensor, "_data"))
    alias._requires_grad = object.__getattribute__(tensor, "_requires_grad")
    return alias


class UninitializedTensorMixin:
    """What :class:`UninitializedParameter` and :class:`UninitializedBuffer` share.

    Until :meth:`materialize` gives it a shape, the tensor answers only PyTorch's allowed questions (``dtype``,
    ``requires_grad``, ``size()``, ``is_floating_point()``, conversions such as ``to(dtype)`` and ``double()``);
    reading its ``shape`` raises a RuntimeError, and any operation on it a ValueError naming the function used.
    """

    __module__ = "torchless.nn.parameter"  # (its public home, as PyTorch's)

    __slots__ = ()

    def materialize(self, shape, device=None, dtype=None):
        r"""Give the placeholder a shape: it becomes, in place, an ordinary parameter or tensor of that shape.

        The object is not replaced but changes class (to ``cls_to_become``), so that whatever already holds it, an
        optimizer or a module, holds the materialized tensor. Its values are zeros until the lazy module
        initialises them; its dtype is the placeholder's unless another is given here.

        Args:
            shape (tuple): the shape the tensor takes.
            device (:class:`torchless.device`, optional): where to create the values.
            dtype (:class:`torchless.dtype`, optional): a dtype other than the placeholder's.
        """
        self.data = _creation.empty(shape, device=device, dtype=self.dtype if dtype is None else dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
            "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
            "`forward` to initialize the parameters before accessing their attributes.")

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to initialize the "
            "parameters before calling `module.share_memory()`.")

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, protocol):
        return type(self), (self.requires_grad,)

    def __deepcopy__(self, memo):
        # A new one of the same dtype (and for a buffer, persistence): copying values there are none of is refused.
        if id(self) not in memo:
            copied = type(self)(self.requires_grad, dtype=self.dtype)
            copied.__dict__.update(self.__dict__)
            memo[id(self)] = copied
        return memo[id(self)]

    def __getattribute__(self, name):
        # Every read of the values goes through ``_data``: only Tensor's properties (which PyTorch lets through as
        # descriptors) may read it; anything else is an operation on values that do not exist yet.
        if name == "_data":
            caller = sys._getframe(1)
            if caller.f_code not in _PROPERTY_CODES:
                raise _uninitialized_error(type(self), caller, Tensor._data)
        elif name[:1] != "_":
            if name in _ALLOWED_METHODS:
                return getattr(_plain_alias(self), name)
            method = getattr(Tensor, name, None)
            if inspect.isfunction(method) and getattr(type(self), name) is method:
                error = _uninitialized_error(type(self), sys._getframe(1), method)

                def refused(*args, **kwargs):
                    raise error

                return refused
        return object.__getattribute__(self, name)


_PROPERTY_CODES = frozenset(function.__code__ for value in vars(Tensor).values() if isinstance(value, property)
                            for function in (value.fget, value.fset) if function is not None)

