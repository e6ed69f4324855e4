"""Elementwise arithmetic with broadcasting, and matrix multiplication."""
import numpy as np

from ..autograd.function import Function
from ._util import unbroadcast


class Add(Function):
    def forward(self, a, b, alpha=1):
        self.shapes = a.shape, b.shape
        self.alpha = alpha
        return a + b if alpha == 1 else a + alpha * b

    def backward(self, grad):
        sa, sb = self.shapes
        gb = grad if self.alpha == 1 else grad * self.alpha
        return (unbroadcast(grad, sa) if self.needs_input_grad[0] else None,
                unbroadcast(gb, sb) if self.needs_input_grad[1] else None)


class Sub(Function):
    def forward(self, a, b, alpha=1):
        self.shapes = a.shape, b.shape
        self.alpha = alpha
        return a - b if alpha == 1 else a - alpha * b

    def backward(self, grad):
        sa, sb = self.shapes
        return (unbroadcast(grad, sa) if self.needs_input_grad[0] else None,
                unbroadcast(-grad if self.alpha == 1 else grad * -self.alpha, sb) if self.needs_input_grad[1] else None)


class Mul(Function):
    saved = ("a", "b")

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        a, b = self.a, self.b
        return (unbroadcast(grad * b, a.shape) if self.needs_input_grad[0] else None,
                unbroadcast(grad * a, b.shape) if self.needs_input_grad[1] else None)


class Div(Function):
    saved = ("a", "b")

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        a, b = self.a, self.b
        ga = grad / b
        return (unbroadcast(ga, a.shape) if self.needs_input_grad[0] else None,
                unbroadcast(-ga * a / b, b.shape) if self.needs_input_grad[1] else None)


class Pow(Function):
    """``a ** b`` for tensors a and b (either may be a constant wrapped as a tensor)."""

    saved = ("a", "b", "out")

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = np.power(a, b)
        return self.out

    def backward(self, grad):
        a, b = self.a, self.b
        ga = gb = None
        if self.needs_input_grad[0]:
            # b * a**(b-1), written so that b == 0 gives 0 rather than 0 * inf.
            ga = unbroadcast(grad * np.where(b == 0, 0, b * np.power(a, b - 1)), a.shape)
        if self.needs_input_grad[1]:
            gb = unbroadcast(grad * np.where((a == 0) & (b >= 0), 0, self.out * np.log(np.where(a == 0, 1, a))), b.shape)
        return ga, gb

    def name(self):
        return "PowBackward1" if self.needs_input_grad[1] else "PowBackward0"


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)


def _promote_vectors(a, b):
    """NumPy matmul's 1-D conventions, made explicit so backward can undo them."""
    return (a[None, :] if a.ndim == 1 else a), (b[:, None] if b.ndim == 1 else b)


class MatMul(Function):
    saved = ("a", "b")

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.matmul(a, b)

    def backward(self, grad):
        a, b = self.a, self.b
        a2, b2 = _promote_vectors(a, b)
        g2 = grad
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(np.matmul(g2, np.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            gb = unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), g2), b2.shape).reshape(b.shape)
        return ga, gb

    def name(self):
        dims = (self.a.ndim, self.b.ndim) if self.a is not None else (0, 0)
        return {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (2, 2): "MmBackward0"}.get(dims, "UnsafeViewBackward0")
