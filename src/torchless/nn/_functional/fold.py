"""``unfold`` and ``fold``: PyTorch's im2col and col2im, sliding blocks to columns and back, with its checks.

``unfold`` copies every kernel_size block of an (N, C, H, W) input into a column of an
(N, C * kH * kW, L) output; ``fold`` sums such columns back into an image, overlaps added. Each is
the other's gradient. The array work runs tap by tap: kernel tap (i, j) reads (or adds) one strided
slice of the zero-padded image for all blocks at once, so Python loops over kH * kW taps only.

PyTorch's F.unfold / F.fold turn every size argument into a tuple (``_pair``) and hand them to its
native im2col / col2im, whose argument parser and shape checks produce the errors; the same split is
kept here, so bad arguments fail with the same exception at the same point.
"""
import collections.abc

from ... import _memory_format
from ..._kernels.blocks import col2im, im2col, sliding_blocks_hw
from ...autograd import grad_mode
from ...autograd.graph import Node
from ._args import Param, native

__all__ = ["unfold", "fold"]

# Element types PyTorch's CPU im2col/col2im dispatch to: floating (bfloat16, ml_dtypes' type, is of kind "V"), bool
# and complex.
_SUPPORTED_KINDS = ("f", "V", "b", "c")


# ---------------------------------------------------------------------------- autograd
def _batched(array, batched_ndim):
    return array if array.ndim == batched_ndim else array[None]


def _window_argument(position):
    """A saved-value spec: the node's window argument at ``position`` of its args (kernel, dilation, padding,
    stride)."""
    return lambda node: tuple(node.args[position])


_WINDOW_SAVED = {name: _window_argument(i) for i, name in enumerate(("kernel_size", "dilation", "padding", "stride"))}


class Im2Col(Node):
    """unfold: gather the blocks into columns; backward sums the column gradients back (col2im)."""

    torch_saved = {"Im2ColBackward0": {**_WINDOW_SAVED,
                                       "self_sym_argsize_minus_1": lambda node: node.input_shape[-1],
                                       "self_sym_argsize_minus_2": lambda node: node.input_shape[-2]}}

    def forward(self, x, kernel=None, dilation=None, padding=None, stride=None):
        self.input_shape, self.args = x.shape, (kernel, dilation, padding, stride)
        cols = im2col(_batched(x, 4), *self.args)
        return cols if x.ndim == 4 else cols[0]

    def backward(self, grad):
        # (PyTorch's col2im, as fold's forward: C strides on size-1 dims too, not the padded image's)
        gx = _memory_format.with_c_strides(col2im(_batched(grad, 3), self.input_shape[-2:], *self.args))
        return (gx.reshape(self.input_shape),)

    def backward_graph(self, grad):  # col2im and im2col are each other's adjoint
        kernel, dilation, padding, stride = self.args
        # (of the input's shape already, batched or not: PyTorch's gradient is the col2im node itself)
        return (Col2Im.apply(grad, output_hw=tuple(self.input_shape[-2:]), kernel=kernel, dilation=dilation,
                             padding=padding, stride=stride),)


class Col2Im(Node):
    """fold: sum columns into an image; backward gathers the image gradient into columns (im2col)."""

    torch_saved = {"Col2ImBackward0": _WINDOW_SAVED}

    def forward(self, cols, output_hw=None, kernel=None, dilation=None, padding=None, stride=None):
        self.input_shape, self.args = cols.shape, (kernel, dilation, padding, stride)
        image = col2im(_batched(cols, 3), output_hw, *self.args)
        # PyTorch allocates it contiguous: C strides on its size-1 dims too, which the crop of the padding leaves
        # as the padded image's, and on an empty one (NumPy gives it all-zero strides)
        image = _memory_format.with_c_strides(image)
        return image if cols.ndim == 3 else image[0]

    def backward(self, grad):
        gcols = im2col(_batched(grad, 4), *self.args)
        return (gcols.reshape(self.input_shape),)

    def backward_graph(self, grad):
        kernel, dilation, padding, stride = self.args
        return (Im2Col.apply(grad, kernel=kernel, dilation=dilation, padding=padding, stride=stride),)


# ---------------------------------------------------------------------------- checks (PyTorch's order and words)
def _pair(value):
    """torch.nn.modules.utils._pair: an iterable as a tuple (any length, any items), anything else twice."""
    if isinstance(value, collections.abc.Iterable):
        return tuple(value)
    return (value, value)


def _check_lengths(**lists):
    for name, values in lists.items():
        if len(values) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(values)}")


def _check_kernel(kernel):
    if kernel[0] <= 0 or kernel[1] <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {kernel[0]} "
                           f"kernel_width: {kernel[1]}")


def _check_dilation(dilation):
    if dilation[0] <= 0 or dilation[1] <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: {dilation[0]} "
                           f"dilation_width: {dilation[1]}")


def _check_padding(padding):
    if padding[0] < 0 or padding[1] < 0:
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {padding[0]} pad_width: {padding[1]}")


def _check_stride(stride):
    if stride[0] <= 0 or stride[1] <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {stride[0]} "
                           f"stride_width: {stride[1]}")


def _check_dtype(input, kernel_name):
    # After the shape checks: PyTorch dispatches on the dtype only once they pass.
    if input._data.dtype.kind not in _SUPPORTED_KINDS:
        raise NotImplementedError(f"\"{kernel_name}\" not implemented for '{input.dtype.scalar_name}'")


def _pair_text(values):
    return f"({values[0]}, {values[1]})"


_IM2COL = [Param("input", "Tensor"), Param("kernel_size", "int[]"), Param("dilation", "int[]"),
           Param("padding", "int[]"), Param("stride", "int[]")]
_COL2IM = _IM2COL[:1] + [Param("output_size", "int[]", symbolic=True)] + _IM2COL[1:]


@native("im2col", _IM2COL, list_size=2)
def _im2col(input, kernel_size, dilation, padding, stride):
    """PyTorch's native im2col: its checks (im2col_shape_check), then the Node."""
    if input.requires_grad and grad_mode.is_grad_enabled():
        # PyTorch's autograd wrapper saves the input's last two sizes for the backward before the op
        # checks anything: a 0-d or 1-d input fails reading them.
        input.size(-1), input.size(-2)
    _check_lengths(kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride)
    _check_kernel(kernel_size)
    _check_dilation(dilation)
    _check_padding(padding)
    _check_stride(stride)
    shape = tuple(input.shape)
    ndim = len(shape)
    # input.size(1) and input.size(2) are read before the rank is known, as in PyTorch: a 0-d, 1-d
    # or 2-d input raises its IndexError here (unless size(1) == 0 short-circuits the second read).
    valid_dims = input.size(1) != 0 and input.size(2) != 0
    if not ((ndim == 3 and shape[0] != 0 and valid_dims) or (ndim == 4 and valid_dims and shape[3] != 0)):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    hw = shape[-2:]
    blocks_hw = sliding_blocks_hw(hw, kernel_size, dilation, padding, stride)
    if blocks_hw[0] < 1 or blocks_hw[1] < 1:
        raise RuntimeError(f"Given input with spatial size {_pair_text(hw)}, kernel_size={_pair_text(kernel_size)}, "
                           f"dilation={_pair_text(dilation)}, padding={_pair_text(padding)}, calculated shape of the "
                           f"array of sliding blocks as {_pair_text(blocks_hw)}, but its components must be at "
                           f"least one.")
    _check_dtype(input, "im2col_out_cpu")
    return Im2Col.apply(input, kernel=tuple(kernel_size), dilation=tuple(dilation), padding=tuple(padding),
                        stride=tuple(stride))


@native("col2im", _COL2IM, list_size=2)
def _col2im(input, output_size, kernel_size, dilation, padding, stride):
    """PyTorch's native col2im: its checks (col2im_shape_check), then the Node."""
    _check_lengths(output_size=output_size, kernel_size=kernel_size, dilation=dilation, padding=padding,
                   stride=stride)
    _check_kernel(kernel_size)
    _check_stride(stride)  # col2im checks stride before dilation and padding, unlike im2col
    _check_dilation(dilation)
    _check_padding(padding)
    shape = tuple(input.shape)
    ndim = len(shape)
    if not ((ndim == 2 and shape[0] != 0 and shape[1] != 0) or (ndim == 3 and shape[1] != 0 and shape[2] != 0)):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    planes, length = shape[-2:]
    if kernel_size[0] * kernel_size[1] >= 2 ** 63:  # (PyTorch's int64 product)
        raise RuntimeError(f"Given kernel_width = {kernel_size[1]} and kernel_height = {kernel_size[0]} the product of "
                           "kernel_width and kernel_height overflowed.")
    if planes % (kernel_size[0] * kernel_size[1]) != 0:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={planes} and kernel_size={_pair_text(kernel_size)}.")
    blocks_hw = sliding_blocks_hw(output_size, kernel_size, dilation, padding, stride)
    given = (f"Given output_size={_pair_text(output_size)}, kernel_size={_pair_text(kernel_size)}, "
             f"dilation={_pair_text(dilation)}, padding={_pair_text(padding)}, stride={_pair_text(stride)}, ")
    if length != blocks_hw[0] * blocks_hw[1]:
        raise RuntimeError(f"{given}expected size of input's dimension 2 to match the calculated number of sliding "
                           f"blocks {blocks_hw[0]} * {blocks_hw[1]} = {blocks_hw[0] * blocks_hw[1]}, but got "
                           f"input.size(2)={length}.")
    # Two negative block counts can multiply to the given length: then this check catches them.
    if blocks_hw[0] < 1 or blocks_hw[1] < 1:
        raise RuntimeError(f"{given}calculated shape of the array of sliding blocks as {_pair_text(blocks_hw)}, "
                           f"which is too small (non-positive)")
    if output_size[0] < 1 or output_size[1] < 1:
        raise RuntimeError(f"Expected output spatial size to be positive, but got: output_size="
                           f"{_pair_text(output_size)}.")
    _check_dtype(input, "col2im_out_cpu")
    return Col2Im.apply(input, output_hw=tuple(output_size), kernel=tuple(kernel_size), dilation=tuple(dilation),
                        padding=tuple(padding), stride=tuple(stride))


# ---------------------------------------------------------------------------- public functions
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    r"""Extract sliding local blocks from an image-like tensor (im2col).

    input: (N, C, H, W) or unbatched (C, H, W). kernel_size, dilation, padding and stride are ints or
    (h, w) pairs; padding adds zeros on both sides of each spatial axis.

    Output: (N, C * kH * kW, L) or (C * kH * kW, L). Row c * kH * kW + i * kW + j of column l holds
    channel c at kernel tap (i, j) of block l, blocks numbered row-major;
    L = L_H * L_W with L_H = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0]) + 1,
    likewise L_W.

    Blocks that overlap share input values, so ``fold(unfold(x))`` is x times the number of blocks
    covering each position, not x.
    """
    return _im2col(input, _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    r"""Combine an array of sliding local blocks into an image-like tensor, summing overlaps (col2im).

    input: (N, C * kH * kW, L) or unbatched (C * kH * kW, L), laid out as :func:`unfold`'s output.
    output_size, kernel_size, dilation, padding and stride are ints or (h, w) pairs; values that land
    in the padding are dropped. L must equal L_H * L_W, where
    L_H = floor((output_size[0] + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0]) + 1, likewise L_W.

    Output: (N, C, output_size[0], output_size[1]) or (C, output_size[0], output_size[1]).
    """
    return _col2im(input, _pair(output_size), _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride))
