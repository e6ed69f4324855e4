"""Activation functions: relu family, sigmoid/tanh, GELU, ELU, SiLU, hardtanh, softmax and log_softmax.

relu, sigmoid and tanh reuse the core's Functions (``Tensor.relu`` and friends); the others are
Functions here, forward and backward side by side, computing in the input's dtype.
"""
import math
import warnings

import numpy as np

from ..._ops import unary
from ..._ops._util import normalize_dim
from ..._tensor import Tensor
from ...autograd.function import Function, records
from ._args import check_tensor

__all__ = ["relu", "relu_", "leaky_relu", "leaky_relu_", "sigmoid", "tanh", "gelu", "elu", "elu_", "silu",
           "hardtanh", "hardtanh_", "relu6", "softplus", "softmax", "log_softmax"]


def _check_floating(input, kernel):
    if not input.is_floating_point():
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")


def _maybe_inplace(input, function, overwrite, **params):
    """Apply ``function`` and, to ``overwrite``, make ``input`` the result (PyTorch's in-place semantics)."""
    if overwrite:
        return input._inplace(lambda t: function.apply(t, **params))
    return function.apply(input, **params)


# ---------------------------------------------------------------------------- relu family
def relu(input, inplace=False):
    """max(0, x) elementwise; integer tensors stay integer."""
    check_tensor(input, "relu")
    if input._data.dtype.kind == "b":  # the array's dtype: cheaper than input.dtype on every layer call
        raise RuntimeError("Boolean inputs not supported for relu")
    if inplace:
        return input.relu_()
    if records(input):
        return unary.Relu.apply(input)
    return Tensor._wrap(unary.Relu.max_zero(input._data))  # nothing to record: skip Function.apply's cost


def relu_(input):
    return relu(input, inplace=True)


class LeakyRelu(Function):
    saved = ("positive",)

    def forward(self, x, negative_slope=0.01, inplace=False):
        self.positive, self.slope, self.inplace = x > 0, negative_slope, inplace
        return np.where(self.positive, x, x * negative_slope)

    def backward(self, grad):
        return (np.where(self.positive, grad, grad * self.slope),)

    def name(self):
        return "LeakyReluBackward1" if self.inplace else "LeakyReluBackward0"


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise."""
    check_tensor(input, "leaky_relu")
    _check_floating(input, "leaky_relu_cpu")
    return _maybe_inplace(input, LeakyRelu, inplace, negative_slope=negative_slope, inplace=inplace)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


class Hardtanh(Function):
    saved = ("inside",)

    def forward(self, x, min_val=-1.0, max_val=1.0):
        self.inside = (x > min_val) & (x < max_val)
        return np.clip(x, min_val, max_val).astype(x.dtype, copy=False)

    def backward(self, grad):
        return (np.where(self.inside, grad, np.zeros((), grad.dtype)),)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clamped to [min_val, max_val]; the gradient is 1 strictly inside, 0 elsewhere."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    check_tensor(input, "hardtanh")
    return _maybe_inplace(input, Hardtanh, inplace, min_val=min_val, max_val=max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """min(max(0, x), 6), i.e. hardtanh(x, 0, 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


class Elu(Function):
    saved = ("x", "out")

    def forward(self, x, alpha=1.0, inplace=False):
        self.alpha, self.inplace, self.x = alpha, inplace, x
        self.out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
        return self.out

    def backward(self, grad):
        # d/dx alpha * (e^x - 1) = out + alpha on the negative side.
        return (np.where(self.x > 0, grad, grad * (self.out + self.alpha)),)

    def name(self):
        return "EluBackward1" if self.inplace else "EluBackward0"


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    check_tensor(input, "elu")
    _check_floating(input, "elu_cpu")
    return _maybe_inplace(input, Elu, inplace, alpha=alpha, inplace=inplace)


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


class Softplus(Function):
    saved = ("x", "linear")

    def forward(self, x, beta=1.0, threshold=20.0):
        self.x, self.beta = x, beta
        self.linear = x * beta > threshold  # where log(1 + e^(beta x)) is x to the dtype's precision
        with np.errstate(over="ignore"):
            return np.where(self.linear, x, np.log1p(np.exp(beta * x)) / beta)

    def backward(self, grad):
        return (np.where(self.linear, grad, grad * _sigmoid(self.beta * self.x)),)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, a smooth relu; x itself where beta * x > threshold."""
    check_tensor(input, "softplus")
    _check_floating(input, "softplus_cpu")
    return Softplus.apply(input, beta=beta, threshold=threshold)


# ---------------------------------------------------------------------------- sigmoid family
def sigmoid(input):
    """1 / (1 + exp(-x)); integer tensors give the default float dtype."""
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def _sigmoid(x):
    e = np.exp(-np.abs(x))  # of a non-positive number only: no overflow
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class Silu(Function):
    saved = ("x", "s")

    def forward(self, x):
        self.x, self.s = x, _sigmoid(x)
        return x * self.s

    def backward(self, grad):
        s = self.s
        return (grad * s * (1 + self.x * (1 - s)),)


def silu(input, inplace=False):
    """x * sigmoid(x) (also called swish)."""
    check_tensor(input, "silu")
    _check_floating(input, "silu_cpu")
    return _maybe_inplace(input, Silu, inplace)


def _erf(x):
    """erf(x) to about machine precision in x's dtype (NumPy has no erf).

    |x| < 3: erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n x (2x^2)^n / (1*3*...*(2n+1)), a series of positive
    terms (no cancellation). |x| >= 3: erf(x) = 1 - erfc(x), erfc from its continued fraction
    exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up.
    """
    a = np.abs(x)
    out = np.empty_like(a)
    near = a < 3
    small = a[near]
    term, total, two_x2 = small.copy(), small.copy(), 2 * small * small
    n = 0
    while np.any(term > np.finfo(x.dtype).eps * total):  # terms shrink once 2n + 1 > 2x^2 (< 18)
        n += 1
        term *= two_x2 / (2 * n + 1)
        total += term
    out[near] = (2 / math.sqrt(math.pi)) * np.exp(-small * small) * total
    large = a[~near]
    fraction = np.zeros_like(large)
    for k in range(40, 0, -1):
        fraction = (k / 2) / (large + fraction)
    out[~near] = 1 - np.exp(-large * large) / math.sqrt(math.pi) / (large + fraction)
    return np.copysign(out, x)


class Gelu(Function):
    saved = ("x", "cdf", "inner")

    def forward(self, x, approximate="none"):
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            self.inner = np.tanh(k * (x + 0.044715 * x * x * x))
            return 0.5 * x * (1 + self.inner)
        self.cdf = 0.5 * (1 + _erf(x * (1 / math.sqrt(2))))
        return x * self.cdf

    def backward(self, grad):
        x = self.x
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = self.inner
            dinner = k * (1 + 3 * 0.044715 * x * x)
            return (grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner),)
        pdf = np.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return (grad * (self.cdf + x * pdf),)


def gelu(input, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF; approximate='tanh' uses
    0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))."""
    check_tensor(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _check_floating(input, "GeluKernelImpl")
    return Gelu.apply(input, approximate=approximate)


# ---------------------------------------------------------------------------- softmax
class Softmax(Function):
    saved = ("out",)

    def forward(self, x, axis=-1):
        self.axis = axis
        out = x - np.max(x, axis=axis, keepdims=True, initial=-np.inf)
        np.exp(out, out=out)
        out /= out.sum(axis=axis, keepdims=True)
        self.out = out
        return out

    def backward(self, grad):
        y = self.out
        g = grad * y
        g -= y * g.sum(axis=self.axis, keepdims=True)
        return (g,)


class LogSoftmax(Function):
    saved = ("out",)

    def forward(self, x, axis=-1):
        self.axis = axis
        out = x - np.max(x, axis=axis, keepdims=True, initial=-np.inf)
        out -= np.log(np.exp(out).sum(axis=axis, keepdims=True))
        self.out = out
        return out

    def backward(self, grad):
        return (grad - np.exp(self.out) * grad.sum(axis=self.axis, keepdims=True),)


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as "
                  "an argument.", stacklevel=stacklevel + 1)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax(function, input, dim, dtype, name, stacklevel):
    if dim is None:
        dim = _softmax_dim(name, input.dim(), stacklevel)
    elif not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{name}(): argument 'dim' (position 1) must be int, not {type(dim).__name__}")
    axis = normalize_dim(dim, input.dim())
    if dtype is not None:
        input = input.to(dtype)
    if not input.is_floating_point():
        if input.numel() == 0:  # PyTorch returns before dispatching on the dtype
            return input.clone()
        kernel = f"{name}_lastdim_kernel_impl" if axis == max(input.dim() - 1, 0) else f"{name}_kernel_impl"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
    if input.dim() == 0:
        return function.apply(input.reshape(1), axis=0).reshape(())
    return function.apply(input, axis=axis)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (computed after subtracting the maximum, so it never overflows).

    dtype, if given, is the dtype the input is cast to first (and the output's).
    """
    return _softmax(Softmax, input, dim, dtype, "softmax", _stacklevel)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x_i - log(sum_j exp(x_j)) along ``dim``, computed stably (shifted by the maximum)."""
    return _softmax(LogSoftmax, input, dim, dtype, "log_softmax", _stacklevel)


