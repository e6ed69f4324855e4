"""Reading and writing through an index: t[key] and t[key] = value."""
import numpy as np

from ..autograd.function import Function
from ._util import unbroadcast


def is_basic_key(key):
    """True for keys made only of ints, slices, None and Ellipsis (results are views, no repeats)."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice, np.integer)) for p in parts)


class Index(Function):
    def forward(self, a, key=None):
        self.shape, self.key, self.basic = a.shape, key, is_basic_key(key)
        return a[key]

    def backward(self, grad):
        out = np.zeros(self.shape, grad.dtype)
        if self.basic:
            out[self.key] = grad
        else:
            np.add.at(out, self.key, grad)  # advanced keys may repeat an index: accumulate
        return (out,)

    def name(self):
        if self.basic:
            parts = self.key if isinstance(self.key, tuple) else (self.key,)
            return "SelectBackward0" if any(isinstance(p, (int, np.integer)) for p in parts) else "SliceBackward0"
        return "IndexBackward0"


class IndexPut(Function):
    """``out = a.clone(); out[key] = value`` as one differentiable step (PyTorch's CopySlices)."""

    def forward(self, a, value, key=None):
        self.key, self.value_shape = key, value.shape
        out = a.copy()
        out[key] = value
        return out

    def backward(self, grad):
        ga = gv = None
        if self.needs_input_grad[0]:
            ga = grad.copy()
            ga[self.key] = 0
        if self.needs_input_grad[1]:
            gv = unbroadcast(np.asarray(grad[self.key]), self.value_shape)
        return ga, gv

    def name(self):
        return "CopySlices"
