"""Parameter and Buffer: tensors that a Module registers when they are assigned as attributes; their
uninitialized forms, which lazy modules hold until their first call."""
from .._tensor import Tensor, _python_attributes
from .. import _creation, _memory_format
from .._parser_errors import check_bool
from ..overrides import _disabled_torch_function_impl
from ._uninitialized import UninitializedTensorMixin


# What a star-import gives (PyTorch's list)
__all__ = ["Parameter", "UninitializedParameter", "is_lazy", "Buffer", "UninitializedBuffer",
           "UninitializedTensorMixin"]


class Parameter(Tensor):
    """A tensor that is a module parameter.

    Assigned as an attribute of a :class:`Module`, a Parameter is registered automatically: it appears in
    ``parameters()`` and ``state_dict()`` and is updated by optimisers. It is a leaf tensor sharing the memory of
    ``data``, and requires grad by default (even inside ``no_grad``).

    Args:
        data (Tensor, optional): the values. Default: an empty tensor
        requires_grad (bool, optional): whether autograd records operations on it. Default: ``True``

    Examples::

        >>> p = nn.Parameter(torch.ones(2))
        >>> p
        Parameter containing:
        tensor([1., 1.], requires_grad=True)
        >>> p.requires_grad, p.is_leaf
        (True, True)
    """

    # operations on a Parameter give plain tensors, as PyTorch's opts out of __torch_function__
    __torch_function__ = staticmethod(_disabled_torch_function_impl)

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _creation.empty(0)
        if not isinstance(data, Tensor):
            # PyTorch calls data.detach() first: CPython's own AttributeError names the type as it prints it
            # ('numpy.ndarray', 'list')
            data = data.detach()
        # PyTorch's Parameter passes requires_grad to Tensor._make_subclass, whose parser takes a Python bool only
        check_bool("_make_subclass", "require_grad", requires_grad, position=3)
        p = data._detached_as(cls)  # as PyTorch's _make_subclass: one memory and one version counter with data
        p._set_requires_grad(requires_grad)
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        # as PyTorch's: its data (a view pickled as a view), requires_grad, and the Python attributes set on it
        attributes = _python_attributes(self)
        if not attributes:
            return (Parameter, (Tensor._wrap(self._data), self._requires_grad))
        return (_rebuild_parameter_with_state, (Tensor._wrap(self._data), self._requires_grad, attributes))

    def __deepcopy__(self, memo):
        # PyTorch's: a parameter of a clone of the values (preserve_format: a channels-last weight stays so), without
        # the grad or other attributes of the original
        if id(self) not in memo:
            copied = _memory_format.preserving(self._data.copy(order="K"), self._data)
            memo[id(self)] = type(self)(Tensor._wrap(copied), self.requires_grad)
        return memo[id(self)]


def _rebuild_parameter_with_state(data, requires_grad, attributes):
    parameter = Parameter(data, requires_grad)
    parameter.__dict__.update(attributes)
    return parameter


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


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    r"""A placeholder for a parameter whose shape is not known yet, as a lazy module holds before its first call.

    It is a :class:`torchless.nn.Parameter` with a dtype, a device and ``requires_grad``, but no values. Asking
    for its ``shape`` raises a RuntimeError, and handing it to an operation a ValueError that names the operation.
    What it accepts: questions that need no shape (``dtype``, ``is_floating_point()``, ...), a change of dtype
    or device, as ``module.double()`` or ``module.to(...)`` applies to a lazy module, and :meth:`materialize`,
    which gives it a shape and makes it, as the same object, an ordinary :class:`torchless.nn.Parameter`.

    Args:
        requires_grad (bool): carried over to the materialized parameter. Default: ``True``
        device: device of the placeholder. Default: ``None``
        dtype: dtype of the placeholder, and so of the materialized parameter unless :meth:`materialize` is given
            another (e.g. ``dtype=torchless.float64``); ``None`` takes the default dtype at construction.
            Default: ``None``
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return super().__new__(cls, _creation.empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    r"""A placeholder for a buffer whose shape is not known yet (the running statistics of a lazy normalisation).

    The buffer counterpart of :class:`UninitializedParameter`, with the same refusals and the same few accepted
    uses: it is a :class:`torchless.Tensor` with a dtype and a device but no values, until :meth:`materialize`
    gives it a shape and makes it, as the same object, an ordinary tensor.

    Args:
        requires_grad, device, dtype: as :class:`UninitializedParameter`'s, but ``requires_grad`` defaults to
            ``False``
        persistent (bool): whether the buffer, once registered, is part of the module's ``state_dict``.
            Default: ``True``
    """

    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        check_bool("_make_subclass", "require_grad", requires_grad, position=3)  # (as Parameter's)
        buffer = Tensor._wrap.__func__(cls, _creation.empty(0, device=device, dtype=dtype)._data)
        buffer.requires_grad = requires_grad
        buffer.persistent = persistent
        buffer._is_buffer = True
        return buffer

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass


def is_lazy(param):
    """Returns whether ``param`` is an ``UninitializedParameter`` or ``UninitializedBuffer``.

    Args:
        param (Any): the input to check.
    """
    return isinstance(param, UninitializedTensorMixin)
