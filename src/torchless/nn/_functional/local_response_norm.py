"""Local response normalisation (``local_response_norm``): each value divided by a power of the mean
square of its neighbouring channels.

PyTorch composes it in Python (square, zero-pad the channels, average-pool them, scale, shift,
power, divide); its errors come from those steps and are reproduced here in the same order. The
float computation is one node, named after PyTorch's last step (DivBackward0).
"""
import numbers

import numpy as np

from ... import _dtype
from ..._tensor import Tensor
from ...autograd.graph import Node
from ._args import _described_with_items, _is_list_int, _tp_name
from ._moments import quiet
from ._norm_checks import compute_dtype

__all__ = ["local_response_norm"]


def _window_sum(a, before, after):
    """out[:, c] = sum of a[:, c - before : c + after + 1] along axis 1, zero beyond the channels."""
    channels = a.shape[1]
    out = np.zeros_like(a)
    # offsets beyond the channel count only meet the zero padding
    for offset in range(max(-before, 1 - channels), min(after, channels - 1) + 1):
        lo, hi = max(0, -offset), min(channels, channels - offset)
        out[:, lo:hi] += a[:, lo + offset:hi + offset]
    return out


class LocalResponseNorm(Node):
    """y[c] = x[c] / (k + alpha / size * sum of x[c']^2 over c' in [c - size//2, c + (size-1)//2]) ** beta.

    The steps run in PyTorch's order (sum, / size, * alpha, + k, ** beta, then x / that), so that
    float32 results round alike.
    """

    saved = ("x", "base", "denominator")

    @quiet
    def forward(self, x, size=1, alpha=1e-4, beta=0.75, k=1.0):
        self.input_dtype, self.size, self.alpha, self.beta, self.k = x.dtype, size, alpha, beta, k
        self.x = x.astype(compute_dtype(x), copy=False)
        base = _window_sum(np.square(self.x), size // 2, (size - 1) // 2)
        base /= size
        base *= alpha
        base += k
        self.denominator = np.power(base, beta)
        y = self.x / self.denominator
        self.base = base
        return y.astype(x.dtype, copy=False)

    def backward(self, grad):
        x, denominator, size = self.x, self.denominator, self.size
        g = grad.astype(x.dtype, copy=False)
        g_over = g / denominator
        # base[c] gathers x[c']^2 from a window around c: its gradient returns to the channels c'
        # whose window reaches c, i.e. along the mirrored window.
        through_base = _window_sum(g_over * x / self.base, (size - 1) // 2, size // 2)
        gx = g_over - (2 * self.alpha * self.beta / size) * x * through_base
        return (gx.astype(self.input_dtype, copy=False),)

    def backward_graph(self, grad):
        # backward's formula on tensors of the graph; the denominator is recomputed from the input in the graph,
        # as PyTorch's composite of square, pool, scale, shift and power is differentiated
        size, alpha, beta = self.size, self.alpha, self.beta
        x = self.graph_input(0, self.x)
        base = self.k + (alpha / size) * _window_sum_graph(x * x, size // 2, (size - 1) // 2)
        g_over = grad / base ** beta
        through_base = _window_sum_graph(g_over * x / base, (size - 1) // 2, size // 2)
        return (g_over - (2 * alpha * beta / size) * x * through_base,)

    def name(self):
        return "DivBackward0"


def _window_sum_graph(t, before, after):
    """_window_sum of a tensor of the graph: the channels zero-padded, then the shifted slices added."""
    from ..._functions import cat

    shape = t._data.shape
    channels = shape[1]
    pad = lambda n: t._wrap(np.zeros((shape[0], n) + shape[2:], t._data.dtype))  # noqa: E731
    padded = cat([pad(before), t, pad(after)], dim=1)
    out = None
    for start in range(before + after + 1):
        part = padded[:, start:start + channels]
        out = part if out is None else out + part
    return out


def _check_scalar(value, op):
    if not isinstance(value, (numbers.Real, np.bool_, Tensor)):
        raise TypeError(f"{op}(): argument 'other' (position 1) must be Tensor, not {_tp_name(value)}")


def _check_exponent(value):
    if not isinstance(value, (numbers.Real, np.bool_, Tensor)):
        name, shown = _tp_name(value), _described_with_items(value)  # a sequence is shown with its items' types
        raise TypeError(f"pow() received an invalid combination of arguments - got ({name}), but expected one of:\n"
                        " * (Tensor exponent)\n"
                        f"      didn't match because some of the arguments have invalid types: (!{shown}!)\n"
                        " * (Number exponent)\n"
                        f"      didn't match because some of the arguments have invalid types: (!{shown}!)\n")


def _is_integral(value):
    if isinstance(value, Tensor):
        return not value.is_floating_point()
    return isinstance(value, numbers.Integral)


def _integer_local_response_norm(input, size, alpha, beta, k):
    """PyTorch's composite on an int64 input: the average pool divides with truncation, and each
    scalar step stays integral with an integral scalar, else moves to the default float dtype."""
    x = input._data
    div = _window_sum(x * x, size // 2, (size - 1) // 2) // size
    default = _dtype.get_default_dtype().numpy
    for value, step in ((alpha, np.multiply), (k, np.add)):
        div = step(div, int(value)) if _is_integral(value) and div.dtype.kind == "i" else \
            step(div.astype(default if div.dtype.kind == "i" else div.dtype), float(value))
    if _is_integral(beta) and div.dtype.kind == "i":
        if int(beta) < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        div = div ** int(beta)
    else:
        div = div.astype(default if div.dtype.kind == "i" else div.dtype) ** float(beta)
    out_dtype = default if div.dtype.kind == "i" else div.dtype
    with np.errstate(invalid="ignore", divide="ignore"):
        return Tensor._wrap((x / div).astype(out_dtype, copy=False))


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Normalise input (N, C, *) across channels: b_c = a_c / (k + alpha / size * sum of a_{c'}^2) ** beta,
    the sum over the ``size`` channels c' from c - size // 2 to c + (size - 1) // 2 (zero beyond the
    ends). Output: same shape as input.
    """
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} "
                         "dimensions)")
    if input.numel() == 0:
        return input
    if dim > 4 and not input._data.flags.c_contiguous:
        # PyTorch views the squares (laid out as the input) as (N, 1, C, D, -1): the trailing dims of a transposed
        # input do not merge into a view
        Tensor._wrap(np.square(input._data)).view(*input.shape[:3], -1)
    before, after = size // 2, (size - 1) // 2
    padded = 3 if dim == 3 else 5  # position of the channel padding in PyTorch's pad list
    for pos, value in ((padded, before), (padded + 1, after)):
        # past the pad list's first element: an int, a bool or an integral 0-d tensor (size // 2 of one) passes
        if not (_is_list_int(value) or isinstance(value, bool)):
            raise TypeError(f"pad(): argument 'pad' failed to unpack the object at pos {pos} with error \"type "
                            f"must be tuple of ints,but got {_tp_name(value)}\"")
    if input.size(1) + before + after < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    pool = "avg_pool2d" if dim == 3 else "avg_pool3d"
    if isinstance(size, (bool, np.bool_)):
        raise TypeError(f"{pool}(): argument 'kernel_size' (position 2) must be tuple of ints, but found element of "
                        f"type {_tp_name(size)} at pos 0")
    if size <= -2:  # the pooled size is checked first: padding 0 must be at most int(size / 2)
        raise RuntimeError("pad should be at most half of effective kernel size, but got pad=0, "
                           f"kernel_size={size} and dilation=1")
    if size <= 0:
        kernel = f"kH: {size} kW: 1" if dim == 3 else f"kT: {size} kH: 1 kW: 1"
        raise RuntimeError(f"kernel size should be greater than zero, but got {kernel}")
    # PyTorch averages the squares with avg_pool2d for 3-D input, else avg_pool3d, which has no half kernel
    if (not input.is_floating_point() and input.dtype != _dtype.int64) or (dim > 3 and input.dtype == _dtype.float16):
        kernel = "avg_pool2d" if dim == 3 else "avg_pool3d_out_frame"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
    _check_scalar(alpha, "mul")
    _check_scalar(k, "add")
    _check_exponent(beta)
    size = int(size)
    if not input.is_floating_point():
        return _integer_local_response_norm(input, size, alpha, beta, k)
    return LocalResponseNorm.apply(input, size=size, alpha=float(alpha), beta=float(beta), k=float(k))
