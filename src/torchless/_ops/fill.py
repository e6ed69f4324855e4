"""``torch.fill(input, value)``: a new tensor like ``input`` (its dtype and layout) filled with ``value``, as
PyTorch's ``empty_like(input).fill_(value)``; its gradient is zero for ``input`` and the summed gradient for a
tensor ``value``."""
import numpy as np

from .. import _dtype, _parser_errors
from .._tensor import Tensor
from ..autograd.graph import Node

_OVERLOADS = ("Tensor input, Tensor value", "Tensor input, Number value")


class _Fill(Node):
    def forward(self, a, value=None, scalar=None):
        from .._creation import empty_like

        self.shape, self.value_dtype = a.shape, None if value is None else value.dtype
        out = empty_like(Tensor._wrap(a))._data
        out[...] = scalar if value is None else value.astype(out.dtype)
        return out

    def backward(self, grad):
        value_grad = None if self.value_dtype is None else np.asarray(grad.sum()).astype(self.value_dtype)
        return np.zeros(self.shape, grad.dtype), value_grad

    def backward_graph(self, grad):
        value_grad = None if self.value_dtype is None else grad.sum()
        return grad.new_zeros(self.shape), value_grad

    def name(self):
        return "FillBackward0" if self.value_dtype is None else "FillBackward1"


def fill(*args, **kwargs):
    parsed = _parser_errors.parse("fill", _OVERLOADS, args, kwargs)
    input, value = parsed["input"], parsed["value"]
    if isinstance(value, Tensor) and value.dim():
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} "
                           "dimensions.")
    if isinstance(value, Tensor):
        return _Fill.apply(input, value)
    scalar = _dtype.fill_value(value, input._data.dtype, check_half=input.numel() != 1)
    return _Fill.apply(input, scalar=scalar)
