"""Operations that rearrange elements without computing: reshape, permute, expand, cat, stack, pad."""
import numpy as np

from ..autograd.function import Function
from ._util import unbroadcast
from .unary import copy_preserving_layout


class Reshape(Function):
    """view/reshape/flatten/squeeze/unsqueeze: one array reshape, undone by reshaping the gradient."""

    is_view = True  # in-place writes to it would write to its input (PyTorch's view rules)

    def forward(self, a, shape=None, name="ViewBackward0"):
        self.input_shape, self.node_name = a.shape, name
        return a.reshape(shape)

    def backward(self, grad):
        return (grad.reshape(self.input_shape),)

    def name(self):
        return self.node_name


class Permute(Function):
    is_view = True
    def forward(self, a, axes=None, kind="Permute"):
        self.axes, self.kind = axes, kind
        return np.transpose(a, axes)

    def backward(self, grad):
        return (np.transpose(grad, np.argsort(self.axes)),)

    def name(self):
        return f"{self.kind}Backward0"


class Expand(Function):
    is_view = True
    def forward(self, a, shape=None):
        self.input_shape = a.shape
        return np.broadcast_to(a, shape)

    def backward(self, grad):
        return (unbroadcast(grad, self.input_shape),)


class Flip(Function):
    def forward(self, a, axes=None):
        self.axes = axes
        # A copy in the input's layout, as PyTorch's: a view would have negative strides, which its users
        # (x.flip(0).numpy() given to from_numpy, stride()) do not expect.
        return copy_preserving_layout(np.flip(a, axes))

    def backward(self, grad):
        return (np.flip(grad, self.axes),)


class Cat(Function):
    def forward(self, *arrays, dim=0):
        self.dim = dim
        self.bounds = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    def backward(self, grad):
        return tuple(np.split(grad, self.bounds, axis=self.dim))


class Stack(Function):
    def forward(self, *arrays, dim=0):
        self.dim = dim
        return np.stack(arrays, axis=dim)

    def backward(self, grad):
        return tuple(np.moveaxis(grad, self.dim, 0))


class Where(Function):
    """where(condition, a, b); masked_fill is the same node under the name MaskedFillBackward0."""

    saved = ("condition",)

    def forward(self, a, b, condition=None, name="WhereBackward0"):
        self.condition, self.shapes, self.node_name = condition, (a.shape, b.shape), name
        return np.where(condition, a, b)

    def backward(self, grad):
        zero = np.zeros((), grad.dtype)
        return (unbroadcast(np.where(self.condition, grad, zero), self.shapes[0]) if self.needs_input_grad[0] else None,
                unbroadcast(np.where(self.condition, zero, grad), self.shapes[1]) if self.needs_input_grad[1] else None)

    def name(self):
        return self.node_name


class ConstantPad(Function):
    """Padding with a constant; negative widths crop, as in PyTorch."""

    def forward(self, a, widths=None, value=0.0):
        grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        grown = np.pad(a, grow, mode="constant", constant_values=value) if any(map(any, grow)) else a
        self.grown_shape = grown.shape
        self.crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(widths, grown.shape))
        self.original = tuple(slice(lo, lo + n) for (lo, _), n in zip(grow, a.shape))
        return grown[self.crop]

    def backward(self, grad):
        grown = np.zeros(self.grown_shape, grad.dtype)
        grown[self.crop] = grad
        return (grown[self.original],)


class IndexPad(Function):
    """reflect/replicate/circular padding as a gather along each padded axis."""

    def forward(self, a, axis_indices=None):
        self.input_shape, self.axis_indices = a.shape, axis_indices
        out = a
        for axis, index in axis_indices:
            out = np.take(out, index, axis=axis)
        return out

    def backward(self, grad):
        for axis, index in reversed(self.axis_indices):
            moved = np.moveaxis(grad, axis, 0)
            summed = np.zeros((self.input_shape[axis],) + moved.shape[1:], grad.dtype)
            np.add.at(summed, index, moved)
            grad = np.moveaxis(summed, 0, axis)
        return (grad,)

    def name(self):
        return "ReflectionPad2DBackward0"
