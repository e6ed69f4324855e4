"""TVTensor, the base of the tv_tensors, and ``wrap``."""
from ..._creation import as_tensor
from ..._tensor import Tensor


def _as_subclass(tensor, cls):
    """``tensor.as_subclass(cls)`` (Tensor's, whatever the subclass defines), the metadata of a TVTensor left behind."""
    return Tensor.as_subclass(tensor, cls)


def _pure(tensor):
    """The plain-tensor view of a TVTensor (``inpt.as_subclass(torch.Tensor)``), without its metadata."""
    if type(tensor) is Tensor:
        return tensor
    return _as_subclass(tensor, Tensor)


class TVTensor(Tensor):
    """The base class of torchvision's tensor subclasses: operations on them give plain tensors, except the
    copies and conversions (``clone``, ``to``, ``detach``, ``requires_grad_``), which keep the subclass."""

    @staticmethod
    def _to_tensor(data, dtype=None, device=None, requires_grad=None):
        if requires_grad is None:
            requires_grad = data.requires_grad if isinstance(data, Tensor) else False
        return as_tensor(data, dtype=dtype, device=device).requires_grad_(requires_grad)

    @classmethod
    def wrap(cls, tensor, like, **kwargs):
        return _as_subclass(_pure(tensor), cls)

    def _rewrap(self, output):
        return wrap(output, like=self) if isinstance(output, Tensor) and output is not self else output

    def clone(self, *args, **kwargs):
        return self._rewrap(super().clone(*args, **kwargs))

    def to(self, *args, **kwargs):
        return self._rewrap(super().to(*args, **kwargs))

    def detach(self):
        return self._rewrap(super().detach())

    def __deepcopy__(self, memo):
        return self.detach().clone().requires_grad_(self.requires_grad)

    # the other conversions give plain tensors, as torch's do on a TVTensor (torchless implements some of them
    # with ``to``, or returns the tensor itself, which would keep the subclass)
    for _name in ("float", "double", "half", "bfloat16", "int", "long", "short", "char", "byte", "bool", "type", "cpu",
                  "contiguous"):
        locals()[_name] = (lambda name: lambda self, *args, **kwargs: getattr(Tensor, name)(_pure(self), *args,
                                                                                             **kwargs))(_name)
    del _name

    # in-place operations hand back a plain-tensor view of the TVTensor they changed (``img.add_(1)``, ``img += 1``),
    # as torchvision's __torch_function__ unwraps them, unless set_return_type("TVTensor") is in force;
    # requires_grad_ keeps the subclass
    for _name in [name for name in dir(Tensor) if name.endswith("_") and not name.startswith("_")
                  and name != "requires_grad_"] + [f"__i{op}__" for op in ("add", "sub", "mul", "truediv", "floordiv",
                                                                            "mod", "pow", "and", "or", "xor",
                                                                            "lshift", "rshift")]:
        locals()[_name] = (lambda name: lambda self, *args, **kwargs: _unwrapped_in_place(
            self, getattr(Tensor, name)(self, *args, **kwargs)))(_name)
    del _name

    def __reduce_ex__(self, protocol):
        return (_rebuild_tv_tensor, (type(self), _pure(self).__reduce_ex__(protocol), self._metadata()))

    def _metadata(self):
        return {}

    def _make_repr(self, **kwargs):
        from ..._tensor_str import tensor_repr

        extra = ", ".join(f"{key}={value}" for key, value in kwargs.items())
        return f"{tensor_repr(_pure(self), prefix=type(self).__name__ + '(')[:-1]}, {extra})"

    def __repr__(self):
        return self._make_repr()


def _unwrapped_in_place(tv_tensor, output):
    from . import _torch_function_helpers

    if output is tv_tensor and not _torch_function_helpers._RETURN_TVTENSOR:
        return _pure(output)
    return output


def _rebuild_tv_tensor(cls, reduced, metadata):
    rebuild, args = reduced
    out = _as_subclass(rebuild(*args), cls)
    out.__dict__.update(metadata)
    return out


def wrap(wrappee, *, like, **kwargs):
    """Convert the tensor ``wrappee`` into the TVTensor subclass of ``like``, with ``like``'s metadata (format,
    canvas_size, ...) unless ``kwargs`` overrides it."""
    wrap_method = getattr(type(like), "wrap", None)
    if wrap_method is not None:
        return wrap_method(wrappee, like, **kwargs)
    return _as_subclass(_pure(wrappee), type(like))
