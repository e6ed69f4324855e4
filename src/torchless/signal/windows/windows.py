"""The window functions of ``torch.signal.windows``, composed of tensor ops as PyTorch composes them (a linspace,
then exp, sin, cos or i0 of it), so that values round as PyTorch's do and ``requires_grad=True`` gives what
PyTorch gives: the linspace is the leaf, the window is computed from it.

(``torchless.hann_window`` and the other ``*_window`` factories are PyTorch's native kernels, computed from an
arange by other steps, with RuntimeErrors where these raise ValueErrors: their last bits differ from these in
PyTorch too, so the two families are computed apart.)
"""
import math
from collections.abc import Iterable

import torchless

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming", "hamming",
           "hann", "kaiser", "nuttall"]


def _checked_dtype(function_name, M, dtype, layout):
    """The window's dtype (the default dtype for None), after PyTorch's checks of the length, layout and dtype."""
    if dtype is None:
        dtype = torchless.get_default_dtype()
    if M < 0:
        raise ValueError(f"{function_name} requires non-negative window length, got M={M}")
    if layout is not torchless.strided:
        raise ValueError(f"{function_name} is implemented for strided tensors only, got: {layout}")
    if dtype not in [torchless.float32, torchless.float64]:
        raise ValueError(f"{function_name} expects float32 or float64 dtypes, got: {dtype}")
    return dtype


def _trivial(M, dtype, layout, device, requires_grad):
    """The window of length 0 (empty) or 1 (a one), which every function returns before computing anything;
    None for longer ones."""
    if M == 0:
        return torchless.empty((0,), dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)
    if M == 1:
        return torchless.ones((1,), dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)
    return None


def _denominator(M, sym):
    """The periodic window's length is one more than the symmetric one's: M or M - 1 steps."""
    return M if not sym else M - 1


def _linspace(start, end, M, dtype, layout, device, requires_grad):
    return torchless.linspace(start=start, end=end, steps=M, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=torchless.strided, device=None,
                requires_grad=False):
    """exp(-|n - center| / tau) for n = 0, ..., M - 1; ``center`` (None: the middle) only for sym=False."""
    dtype = _checked_dtype("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if M == 0:
        return _trivial(M, dtype, layout, device, requires_grad)
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    constant = 1 / tau
    k = _linspace(-center * constant, (-center + (M - 1)) * constant, M, dtype, layout, device, requires_grad)
    return torchless.exp(-torchless.abs(k))


def cosine(M, *, sym=True, dtype=None, layout=torchless.strided, device=None, requires_grad=False):
    """The sine (cosine-tapered) window: sin(pi (n + 0.5) / M)."""
    dtype = _checked_dtype("cosine", M, dtype, layout)
    if M == 0:
        return _trivial(M, dtype, layout, device, requires_grad)
    start = 0.5
    constant = torchless.pi / (M + 1 if not sym and M > 1 else M)
    k = _linspace(start * constant, (start + (M - 1)) * constant, M, dtype, layout, device, requires_grad)
    return torchless.sin(k)


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=torchless.strided, device=None, requires_grad=False):
    """exp(-(n - (M - 1) / 2)^2 / (2 std^2))."""
    dtype = _checked_dtype("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    if M == 0:
        return _trivial(M, dtype, layout, device, requires_grad)
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    constant = 1 / (std * math.sqrt(2))
    k = _linspace(start * constant, (start + (M - 1)) * constant, M, dtype, layout, device, requires_grad)
    return torchless.exp(-(k ** 2))


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=torchless.strided, device=None, requires_grad=False):
    """I0(beta sqrt(1 - (2n / (M - 1) - 1)^2)) / I0(beta)."""
    dtype = _checked_dtype("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    trivial = _trivial(M, dtype, layout, device, requires_grad)
    if trivial is not None:
        return trivial
    beta = torchless.tensor(beta, dtype=dtype, device=device)
    start = -beta
    constant = 2.0 * beta / _denominator(M, sym)
    end = torchless.minimum(beta, start + (M - 1) * constant)
    k = _linspace(start, end, M, dtype, layout, device, requires_grad)
    return torchless.i0(torchless.sqrt(beta * beta - torchless.pow(k, 2))) / torchless.i0(beta)


def hamming(M, *, sym=True, dtype=None, layout=torchless.strided, device=None, requires_grad=False):
    """0.54 - 0.46 cos(2 pi n / (M - 1))."""
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=torchless.strided, device=None, requires_grad=False):
    """0.5 - 0.5 cos(2 pi n / (M - 1))."""
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=torchless.strided, device=None, requires_grad=False):
    """0.42 - 0.5 cos(2 pi n / (M - 1)) + 0.08 cos(4 pi n / (M - 1))."""
    dtype = _checked_dtype("blackman", M, dtype, layout)
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=torchless.strided, device=None, requires_grad=False):
    """The triangular window 1 - |2n / (M - 1) - 1|."""
    dtype = _checked_dtype("bartlett", M, dtype, layout)
    trivial = _trivial(M, dtype, layout, device, requires_grad)
    if trivial is not None:
        return trivial
    start = -1
    constant = 2 / _denominator(M, sym)
    k = _linspace(start, start + (M - 1) * constant, M, dtype, layout, device, requires_grad)
    return 1 - torchless.abs(k)


def general_cosine(M, *, a, sym=True, dtype=None, layout=torchless.strided, device=None, requires_grad=False):
    """sum over i of (-1)^i a[i] cos(2 pi i n / (M - 1))."""
    dtype = _checked_dtype("general_cosine", M, dtype, layout)
    trivial = _trivial(M, dtype, layout, device, requires_grad)
    if trivial is not None:
        return trivial
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    constant = 2 * torchless.pi / _denominator(M, sym)
    k = _linspace(0, (M - 1) * constant, M, dtype, layout, device, requires_grad)
    a_i = torchless.tensor([(-1) ** i * w for i, w in enumerate(a)], device=device, dtype=dtype,
                       requires_grad=requires_grad)
    i = torchless.arange(a_i.shape[0], dtype=a_i.dtype, device=a_i.device, requires_grad=a_i.requires_grad)
    return (a_i.unsqueeze(-1) * torchless.cos(i.unsqueeze(-1) * k)).sum(0)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=torchless.strided, device=None,
                    requires_grad=False):
    """alpha - (1 - alpha) cos(2 pi n / (M - 1))."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def nuttall(M, *, sym=True, dtype=None, layout=torchless.strided, device=None, requires_grad=False):
    """Nuttall's minimum 4-term Blackman-Harris window."""
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)
