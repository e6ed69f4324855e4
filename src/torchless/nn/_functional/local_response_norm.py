"""Local response normalisation (``local_response_norm``): each value divided by a power of the mean
square of its neighbouring channels.

PyTorch composes it in Python (square, zero-pad the channels, average-pool them, scale, shift,
power, divide); its errors come from those steps and are reproduced here in the same order. A float
input goes through the same steps as recorded ops, so that its graph is PyTorch's.
"""
import numpy as np

from ... import _dtype
from ..._tensor import Tensor
from ..._type_promotion import NUMBERS, as_parsed_number
from ._args import _described_with_items, _is_list_int, _tp_name

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


def _composite(input, size, alpha, beta, k):
    """PyTorch's float path, step by step with recorded ops: the squares, viewed as one channel of (N, 1, C, *),
    zero-padded along C and average-pooled over ``size`` channels (avg_pool2d for 3-D input, else avg_pool3d of the
    spatial dims flattened), scaled, shifted, raised to ``beta``, and the input divided by that. The graph, its
    gradients' layouts and their own graphs under create_graph are PyTorch's."""
    from .. import functional as F

    div = input.mul(input)
    if input.dim() == 3:
        div = F.pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        div = F.avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.size()
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = F.pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = F.avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1).view(sizes)
    return input / div.mul(alpha).add(k).pow(beta)


def _check_scalar(value, op):
    if not isinstance(value, (Tensor, NUMBERS)):
        raise TypeError(f"{op}(): argument 'other' (position 1) must be Tensor, not {_tp_name(value)}")


def _check_exponent(value):
    if not isinstance(value, (Tensor, NUMBERS)):
        name, shown = _tp_name(value), _described_with_items(value)  # a sequence is shown with its items' types
        raise TypeError(f"pow() received an invalid combination of arguments - got ({name}), but expected one of:\n"
                        " * (Tensor exponent)\n"
                        f"      didn't match because some of the arguments have invalid types: (!{shown}!)\n"
                        " * (Number exponent)\n"
                        f"      didn't match because some of the arguments have invalid types: (!{shown}!)\n")


def _integer_local_response_norm(input, size, alpha, beta, k):
    """PyTorch's composite on an int64 input: the average pool divides with truncation (NumPy's here: torchless's
    pools take floats), then the scalar steps promote as Tensor ops do."""
    x = input._data
    div = Tensor._wrap(_window_sum(x * x, size // 2, (size - 1) // 2) // size)
    return input / div.mul(alpha).add(k).pow(beta)


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
    if isinstance(size, (bool, np.bool_)) or not _is_list_int(size):  # (a Fraction: its halves were ints)
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
    alpha = as_parsed_number(alpha)
    _check_scalar(k, "add")
    k = as_parsed_number(k)
    _check_exponent(beta)
    beta = as_parsed_number(beta)
    size = int(size)
    if not input.is_floating_point():
        return _integer_local_response_norm(input, size, alpha, beta, k)
    return _composite(input, size, alpha, beta, k)
