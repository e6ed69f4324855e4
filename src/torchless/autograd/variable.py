"""``torch.autograd.Variable``, the pre-0.4 wrapper of a tensor that requires grad. Tensors and Variables are one
type since: constructing one gives a Tensor, and every tensor passes ``isinstance(t, Variable)``."""
import warnings


class _VariableMeta(type):
    def __instancecheck__(cls, instance):
        from .._tensor import Tensor

        return isinstance(instance, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False, volatile=False, _grad_fn=None, is_leaf=False)``: a leaf tensor sharing
    ``data``'s memory, outside its graph."""

    def __new__(cls, *args, **kwargs):
        from .._tensor import Tensor

        names = ("data", "requires_grad", "volatile", "_grad_fn", "is_leaf")
        if len(args) > len(names):
            raise TypeError(f"Variable() takes at most {len(names)} arguments ({len(args)} given)")
        for name in kwargs:
            if name not in names:
                raise TypeError(f"'{name}' is an invalid keyword argument for this function")
        given = dict(zip(names, args))
        for name, value in kwargs.items():
            if name in given:
                raise TypeError(f"argument '{name}' given by name and position")
            given[name] = value
        data = given.get("data")
        grad_fn = given.get("_grad_fn")
        if grad_fn is not None:
            raise TypeError(f"_grad_fn has to be a Function object or None, but got {type(grad_fn).__name__}")
        if given.get("volatile"):
            warnings.warn("volatile was removed and now has no effect. Use `with torchless.no_grad():` instead.",
                          UserWarning, stacklevel=2)
        if data is None:
            from .._creation import tensor

            out = tensor([])
        elif not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        else:
            out = data.detach()
        if given.get("requires_grad"):
            if not out.is_floating_point():  # (worded unlike requires_grad_'s error, as in PyTorch)
                raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
            out.requires_grad_(True)
        return out
