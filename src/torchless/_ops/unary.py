"""Elementwise functions of one tensor."""
import numpy as np

from ..autograd.function import Function


class Exp(Function):
    saved = ("out",)

    def forward(self, a):
        with np.errstate(over="ignore"):  # PyTorch overflows to inf silently
            self.out = np.exp(a)
        return self.out

    def backward(self, grad):
        return (grad * self.out,)


class Log(Function):
    saved = ("a",)

    def forward(self, a):
        self.a = a
        with np.errstate(divide="ignore", invalid="ignore"):  # -inf and nan, silently as in PyTorch
            return np.log(a)

    def backward(self, grad):
        return (grad / self.a,)


class Sqrt(Function):
    saved = ("out",)

    def forward(self, a):
        with np.errstate(invalid="ignore"):  # nan for negative inputs, silently as in PyTorch
            self.out = np.sqrt(a)
        return self.out

    def backward(self, grad):
        return (grad / (2 * self.out),)


class Rsqrt(Function):
    saved = ("out",)

    def forward(self, a):
        with np.errstate(divide="ignore", invalid="ignore"):
            self.out = 1 / np.sqrt(a)
        return self.out

    def backward(self, grad):
        return (grad * -0.5 * self.out ** 3,)


class Abs(Function):
    saved = ("a",)

    def forward(self, a):
        self.a = a
        return np.abs(a)

    def backward(self, grad):
        return (grad * np.sign(self.a),)


class Clamp(Function):
    saved = ("mask",)

    def forward(self, a, min=None, max=None):
        out = np.clip(a, min, max) if min is not None or max is not None else a.copy()
        mask = np.ones(a.shape, bool)
        if min is not None:
            mask &= a >= min
        if max is not None:
            mask &= a <= max
        self.mask = mask
        return out.astype(a.dtype, copy=False)

    def backward(self, grad):
        return (np.where(self.mask, grad, 0).astype(grad.dtype, copy=False),)

    def name(self):
        return "ClampBackward1"


class Relu(Function):
    saved = ("out",)

    def forward(self, a):
        self.out = np.maximum(a, 0, dtype=a.dtype)
        return self.out

    def backward(self, grad):
        return (grad * (self.out > 0),)


class Sigmoid(Function):
    saved = ("out",)

    def forward(self, a):
        # exp of a non-positive number only: no overflow warnings for large |a|.
        e = np.exp(-np.abs(a))
        self.out = np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        return self.out

    def backward(self, grad):
        return (grad * self.out * (1 - self.out),)


class Tanh(Function):
    saved = ("out",)

    def forward(self, a):
        self.out = np.tanh(a)
        return self.out

    def backward(self, grad):
        return (grad * (1 - self.out * self.out),)


class Cast(Function):
    """A change of dtype; the gradient is cast back to the input's dtype."""

    def forward(self, a, dtype=None):
        self.src = a.dtype
        return a.astype(dtype)

    def backward(self, grad):
        return (grad.astype(self.src),)

    def name(self):
        return "ToCopyBackward0"


class Clone(Function):
    def forward(self, a):
        return a.copy()

    def backward(self, grad):
        return (grad,)
