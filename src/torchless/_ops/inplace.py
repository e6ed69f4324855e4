"""In-place writes recorded in the graph: the new values replace the old ones, which get no gradient."""
import numpy as np

from ..autograd.graph import Node
from ._util import unbroadcast


class Overwrite(Node):
    """zero_/fill_/uniform_/normal_/bernoulli_ on a tensor that is part of the graph."""

    def forward(self, a, values=None, kind="FillBackward2"):
        self.kind = kind
        out = np.empty_like(a)
        out[...] = values
        return out

    def backward(self, grad):
        return (np.zeros_like(grad),)

    def name(self):
        return self.kind


class Copy(Node):
    """``a.copy_(src)``: src broadcast to a's shape and cast to a's dtype."""

    def forward(self, a, src):
        self.src_shape, self.src_dtype = src.shape, src.dtype
        out = np.empty_like(a)
        out[...] = src
        return out

    def backward(self, grad):
        return (np.zeros_like(grad) if self.needs_input_grad[0] else None,
                unbroadcast(grad, self.src_shape).astype(self.src_dtype, copy=False)
                if self.needs_input_grad[1] else None)

    def name(self):
        return "CopyBackwards"
