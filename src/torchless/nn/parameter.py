"""Parameter and Buffer: tensors that a Module registers when they are assigned as attributes."""
from .._tensor import Tensor
from .. import _creation


class Parameter(Tensor):
    """A leaf tensor, sharing ``data``'s memory, that requires grad by default and is listed in ``Module.parameters()``."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _creation.empty(0)
        if not isinstance(data, Tensor):
            raise AttributeError(f"'{type(data).__name__}' object has no attribute 'detach'")
        p = Tensor._wrap.__func__(cls, data._data)
        p.requires_grad = requires_grad
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (Parameter, (Tensor._wrap(self._data), self._requires_grad))


class _BufferMeta(type):
    """``isinstance(t, Buffer)`` is true for the tensors ``Buffer(...)`` marked."""

    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """Marks a tensor (a detached view of ``data``) as a buffer: assigned to a Module attribute, it is registered
    with ``register_buffer(name, tensor, persistent)``. As in PyTorch, the result is a plain Tensor."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _creation.empty(0)
        t = data.detach()
        t.requires_grad = data.requires_grad
        t.persistent = persistent
        t._is_buffer = True
        return t
