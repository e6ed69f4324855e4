"""Rearranging channels: pixel_shuffle, pixel_unshuffle (channels <-> space) and channel_shuffle.

Each is a reshape, a transpose and a reshape back, so each gradient is the inverse rearrangement.
"""
import functools

import numpy as np

from ... import _memory_format
from ..._tensor import Tensor
from ...autograd._basic_ops import NotImplementedDerivative
from ...autograd.function import _fitted
from ...autograd.graph import Node
from ._args import Param, native

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle"]


def _two_positional(fn, args):
    """PyTorch's message for a third positional argument (the shared parser would say "from 2 to 2")."""
    if len(args) > 2:
        raise TypeError(f"{fn}() takes 2 positional arguments but {len(args)} were given")


def _space_to_depth(x, r):
    """(*, C, H * r, W * r) -> (*, C * r * r, H, W): channel c * r * r + i * r + j holds pixel (y * r + i, x * r + j)."""
    *lead, c, h, w = x.shape
    split = x.reshape(*lead, c, h // r, r, w // r, r)
    n = len(lead)
    order = tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3)
    return split.transpose(order).reshape(*lead, c * r * r, h // r, w // r)


def _depth_to_space(x, r):
    """The inverse of _space_to_depth: (*, C * r * r, H, W) -> (*, C, H * r, W * r)."""
    *lead, c, h, w = x.shape
    split = x.reshape(*lead, c // (r * r), r, r, h, w)
    n = len(lead)
    order = tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2)
    return split.transpose(order).reshape(*lead, c // (r * r), h * r, w * r)


def _fresh(out, x):
    """``out``, copied if it is a view of ``x`` (a factor or group count of 1 rearranges nothing)."""
    return out.copy() if np.may_share_memory(out, x) else out


class PixelShuffle(Node):
    torch_saved = {"upscale_factor": lambda node: node.factor}

    def forward(self, x, factor=1):
        self.factor, self.input_shape = factor, x.shape
        return _fresh(_depth_to_space(x, factor), x)

    def backward(self, grad):
        _check_gradient_format(grad)
        if not grad.size:  # PyTorch's backward, pixel_unshuffle, returns an empty gradient as it is
            return (_fitted(grad, (self.input_shape, grad.dtype), 0, self.name()),)
        return (_in_gradient_format(_fresh(_space_to_depth(grad, self.factor), grad), grad),)

    def backward_graph(self, grad):  # a permutation: its adjoint is the inverse one
        if not grad._data.size:
            return (Tensor._wrap(self.backward(grad._data)[0]),)
        return (PixelUnshuffle.apply(grad, factor=self.factor),)


class PixelUnshuffle(Node):
    torch_saved = {"downscale_factor": lambda node: node.factor}

    def forward(self, x, factor=1):
        self.factor, self.input_shape = factor, x.shape
        if not x.size:  # PyTorch returns an empty input as it is (a clone), shape and strides included
            return _memory_format.preserving(x.copy(), x)
        return _fresh(_space_to_depth(x, self.factor), x)

    def backward(self, grad):
        # PyTorch's backward, pixel_shuffle, checks the channels and, for an empty input, gives a gradient of
        # another shape than the input's, which the engine refuses
        _check_channels_divisible(grad.shape[-3], self.factor)
        _check_gradient_format(grad)
        grad_input = _in_gradient_format(_fresh(_depth_to_space(grad, self.factor), grad), grad)
        if not grad.size:
            grad_input = _fitted(grad_input, (self.input_shape, grad.dtype), 0, self.name())
        return (grad_input,)

    def backward_graph(self, grad):
        if not grad._data.size:
            return (Tensor._wrap(self.backward(grad._data)[0]),)
        return (PixelShuffle.apply(grad, factor=self.factor),)


def _check_gradient_format(grad):
    """_check_kernel_format of the gradient, which PyTorch's backward (the inverse kernel) is run on."""
    if grad.ndim == 5:
        _memory_format.check_kernel_supports(grad, _memory_format.channels_last)


def _in_gradient_format(grad_input, grad):
    """A backward's rearranged gradient laid out as PyTorch's, the inverse kernel run on the gradient, lays it out
    (see _in_kernel_format)."""
    return _memory_format.in_format_of(grad_input, grad) if _memory_format.may_suggest_channels_last(grad) else \
        grad_input


def _check_channels_divisible(channels, upscale_factor):
    squared = upscale_factor * upscale_factor
    if channels % squared:
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={channels} is not divisible by {squared}")


def _check_kernel_format(input):
    """PyTorch's pixel (un)shuffle kernels take contiguous and channels-last 4-D strides, not channels-last-3d ones."""
    if input.dim() == 5:
        _memory_format.check_kernel_supports(input._data, _memory_format.channels_last)


def _in_kernel_format(out, input, empty_as_is=False):
    """PyTorch's kernels lay their output out in the channels-last format the input suggests, else in C order.
    ``empty_as_is``: an op that returns an empty input itself (pixel_unshuffle's clone, channel_shuffle's alias),
    whose strides the forward kept."""
    x = input._data
    if empty_as_is and not x.size:
        return out
    return _memory_format.keep_channels_last(out, x) if _memory_format.may_suggest_channels_last(x) else out


_pixel_shuffle_native = native("pixel_shuffle", [Param("input", "Tensor"), Param("upscale_factor", "int")],
                               list_size=1)
_pixel_unshuffle_native = native("pixel_unshuffle", [Param("input", "Tensor"), Param("downscale_factor", "int")],
                                 list_size=1)
_channel_shuffle_native = native("channel_shuffle", [Param("input", "Tensor"), Param("groups", "SymInt")], list_size=1)
_native_channel_shuffle_native = native("native_channel_shuffle", [Param("input", "Tensor"), Param("groups", "SymInt")],
                                        list_size=1)


def pixel_shuffle(*args, **kwargs):
    """pixel_shuffle(input, upscale_factor) -> Tensor

    Rearranges a tensor of shape (*, C * r^2, H, W) into (*, C, H * r, W * r), r the ``upscale_factor``:
    output[..., c, y * r + i, x * r + j] = input[..., c * r^2 + i * r + j, y, x] (sub-pixel convolution).
    """
    _two_positional("pixel_shuffle", args)
    return _pixel_shuffle(*args, **kwargs)


@_pixel_shuffle_native
def _pixel_shuffle(input, upscale_factor):
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if upscale_factor <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {upscale_factor}")
    if upscale_factor * upscale_factor >= 2 ** 63:  # (PyTorch's int64 square)
        raise ValueError(f"upscale factor is too large, (upscale_factor)^2 overflowed: upscale_factor={upscale_factor}")
    _check_channels_divisible(input.shape[-3], upscale_factor)
    _check_kernel_format(input)
    return _in_kernel_format(PixelShuffle.apply(input, factor=upscale_factor), input)


def pixel_unshuffle(*args, **kwargs):
    """pixel_unshuffle(input, downscale_factor) -> Tensor

    The inverse of :func:`pixel_shuffle`: moves each r x r block of pixels into r^2 channels, r the
    ``downscale_factor``; output channel c * r^2 + i * r + j holds input[c, h * r + i, w * r + j].

    Args:
        input (Tensor): at least 3-D, its last two dimensions divisible by r
        downscale_factor (int): the factor r (positive)

    Shape:
        - Input: (*, C_in, H_in, W_in)
        - Output: (*, C_out, H_out, W_out), where

          C_out = C_in * downscale_factor^2
          H_out = H_in / downscale_factor
          W_out = W_in / downscale_factor

    Examples::

        >>> F.pixel_unshuffle(torch.arange(16.0).reshape(1, 4, 4), 2)[0]
        tensor([[ 0.,  2.],
                [ 8., 10.]])
        >>> F.pixel_unshuffle(torch.randn(1, 1, 12, 12), 3).shape
        torchless.Size([1, 9, 4, 4])
    """
    _two_positional("pixel_unshuffle", args)
    return _pixel_unshuffle(*args, **kwargs)


@_pixel_unshuffle_native
def _pixel_unshuffle(input, downscale_factor):
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if downscale_factor <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {downscale_factor}")
    for name, axis in (("height", -2), ("width", -1)):
        if input.shape[axis] % downscale_factor:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                               f"input.size({axis})={input.shape[axis]} is not divisible by {downscale_factor}")
    _check_kernel_format(input)
    return _in_kernel_format(PixelUnshuffle.apply(input, factor=downscale_factor), input, empty_as_is=True)


class ChannelShuffle(Node):
    torch_saved = {"groups": lambda node: node.groups}

    def forward(self, x, groups=1):
        self.groups = groups
        return _shuffle_channels(x, groups)

    def backward(self, grad):
        return (_in_gradient_format(_shuffle_channels(grad, self._inverse_groups(grad.shape[1])), grad),)

    def backward_graph(self, grad):  # a permutation: its adjoint is the inverse one
        return (ChannelShuffle.apply(grad, groups=self._inverse_groups(grad._data.shape[1])),)

    def _inverse_groups(self, channels):
        """k groups of g undo g groups of k: PyTorch's backward is channel_shuffle(grad, C / groups), whose check
        refuses the 0 groups of an input without channels."""
        groups = channels // self.groups
        _check_groups_positive(groups)
        return groups


def _shuffle_channels(x, groups):
    """(N, g * k, *) -> (N, k * g, *): channel i * k + j moves to j * g + i."""
    n, c = x.shape[:2]
    if not x.size:  # PyTorch's kernel returns an empty input itself (an alias), strides included
        return _memory_format.preserving(x.copy(), x)
    out = x.reshape(n, groups, c // groups, *x.shape[2:]).swapaxes(1, 2).reshape(x.shape)
    return _fresh(out, x)


def channel_shuffle(*args, **kwargs):
    """channel_shuffle(input, groups) -> Tensor

    Divides the C channels of (N, C, *) into ``groups`` groups of C / g and interleaves them, as
    ShuffleNet does: output channel j * groups + i is input channel i * (C / groups) + j. Shape unchanged.
    """
    _two_positional("channel_shuffle", args)
    return _channel_shuffle(*args, **kwargs)


@_channel_shuffle_native
def _channel_shuffle(input, groups):
    _check_channel_groups(input, groups)
    return _in_kernel_format(ChannelShuffle.apply(input, groups=groups), input, empty_as_is=True)


def _check_channel_groups(input, groups):
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    _check_groups_positive(groups)
    if input.shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {input.shape[1]} channels and "
                           f"{groups} groups.")


def _check_groups_positive(groups):
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")


def native_channel_shuffle(*args, **kwargs):
    """native_channel_shuffle(input, groups) -> Tensor

    Native kernel level implementation of the ``channel_shuffle``: the same rearrangement of the channels of
    (N, C, *) into ``groups`` interleaved groups, with no gradient (PyTorch implements no derivative for it).
    """
    _two_positional("native_channel_shuffle", args)
    return _native_channel_shuffle(*args, **kwargs)


@_native_channel_shuffle_native
def _native_channel_shuffle(input, groups):
    _check_channel_groups(input, groups)
    shuffled = NotImplementedDerivative.apply(input, kernel=functools.partial(_shuffle_channels, groups=groups),
                                              op="native_channel_shuffle")
    return _in_kernel_format(shuffled, input, empty_as_is=True)
