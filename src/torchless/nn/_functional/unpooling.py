"""Max unpooling: the partial inverse of max pooling, each value written back where its index says."""
import math

import numpy as np

from ... import _memory_format
from ..._tensor import Tensor
from ...autograd import forward_ad
from ...autograd.graph import Node, save_tensor_versions
from ...autograd.saved_values import Saved
from ._args import Param, native
from ._pool_args import _check_float, _check_output_resize, _torch_pair, _torch_single

__all__ = ["max_unpool1d", "max_unpool2d"]



class MaxUnpool(Node):
    """Each input value written at its flat index (h * W + w, or d * H * W + h * W + w) of its output plane
    or volume ``output_size``, zeros elsewhere; backward reads the output gradient back at the same indices."""

    saved = ("indices",)
    torch_saved = {"indices": Saved("indices")}

    def forward(self, x, indices=None, output_size=None):
        self.input_shape, self.indices, self.spatial = x.shape, indices, len(output_size)
        planes = math.prod(x.shape[:-self.spatial])
        out = np.zeros((planes, math.prod(output_size)), x.dtype)
        if out.size:
            rows = np.repeat(np.arange(planes), math.prod(x.shape[-self.spatial:]))
            out[rows, indices.reshape(-1)] = x.reshape(-1)  # repeated indices: the last value wins, as in PyTorch
        return out.reshape(x.shape[:-self.spatial] + tuple(output_size))

    def backward(self, grad):
        if self.indices.size == 0:
            return (np.zeros(self.input_shape, grad.dtype),)
        if grad.size == 0:
            # PyTorch gathers from the gradient viewed as (..., cells of a plane): no position to read, and it
            # names the first index it tried.
            raise RuntimeError(f"index {self.indices.flat[0]} is out of bounds for dimension "
                               f"{grad.ndim - self.spatial} with size 0")
        planes = grad.reshape(-1, math.prod(grad.shape[-self.spatial:]))
        gx = np.take_along_axis(planes, self.indices.reshape(planes.shape[0], -1), 1)
        # PyTorch's gather allocates it C-contiguous; NumPy's follows the indices' order where their reshape is a
        # view (channels-last indices of a batch of one)
        return (_memory_format.c_ordered(gx.reshape(self.input_shape)),)

    def backward_graph(self, grad):  # the same gather, recorded (its own gradient scatters back)
        from ..._ops.indexing import Index

        if self.indices.size == 0 or grad._data.size == 0:
            return (grad._wrap(self.backward(grad._data)[0]),)  # zeros, or backward's error
        planes = grad.reshape(-1, math.prod(grad._data.shape[-self.spatial:]))
        rows = np.arange(planes._data.shape[0])[:, None]
        gx = Index.apply(planes, key=(rows, self.indices.reshape(planes._data.shape[0], -1)))
        return (gx.reshape(self.input_shape),)

    def name(self):
        return f"MaxUnpool{self.spatial}DBackward0"


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """PyTorch's: the size max pooling with these arguments maps back from, or the checked output_size."""
    input_size = input.size()
    default_size = [(input_size[-len(kernel_size) + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d]
                    for d in range(len(kernel_size))]
    if output_size is None:
        ret = default_size
    else:
        if len(output_size) == len(kernel_size) + 2:
            output_size = output_size[2:]
        if len(output_size) != len(kernel_size):
            raise ValueError(f"output_size should be a sequence containing {len(kernel_size)} or "
                             f"{len(kernel_size) + 2} elements, but it has a length of '{len(output_size)}'")
        for d in range(len(kernel_size)):
            min_size, max_size = default_size[d] - stride[d], default_size[d] + stride[d]
            if not min_size < output_size[d] < max_size:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {min_size} and '
                                 f'{max_size})')
        ret = output_size
    for d in range(len(kernel_size)):
        _check_unpool_output_size(ret, d)
    return ret


def _check_unpool_output_size(output_size, dim):
    """PyTorch's: ``output_size[dim]`` is not negative."""
    non_negative = output_size[dim] >= 0
    # PyTorch checks with torch._check_value, which wants a Python bool: sizes from NumPy numbers or
    # tensors (as kernel_size, stride or padding) fail there.
    if isinstance(non_negative, Tensor):
        raise TypeError("cond must be a bool, but got a Tensor. For tensor conditions, use "
                        "torchless._check_tensor_all() to assert that all elements are true.")
    if not isinstance(non_negative, bool):
        raise TypeError(f"cond must be a bool, but got {type(non_negative)}")
    if not non_negative:
        raise ValueError(f"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                         f"output_size[{dim}]={output_size[dim]}")


def _check_unpool_indices(input, indices, output_size, fn, channels_last=False):
    """The values and indices checks every max unpooling ends with (``fn`` names the kernel; ``channels_last``:
    its channels-last variant runs, which PyTorch's 2-D unpooling picks for an input suggesting that format)."""
    output_size = tuple(output_size)
    _check_output_resize(tuple(input.shape[:-len(output_size)]) + output_size, input)
    planes = math.prod(input.shape[:-len(output_size)])
    if planes * math.prod(output_size):  # PyTorch's kernel does not run on an empty output
        _check_float(input, f"{fn}_channels_last" if channels_last else fn)
        # the indices in the order the kernel reads them: plane by plane, or pixel by pixel (N, H, W, C)
        ordered = np.moveaxis(indices._data, 1, -1) if channels_last else indices._data
        flat = ordered.reshape(-1)
        bad = (flat < 0) | (flat >= math.prod(output_size))
        if bad.any():
            # PyTorch's kernel reports the last invalid index it meets (run on one thread; on several, the
            # last one met by whichever thread reports last).
            raise RuntimeError(f"Found an invalid max index: {flat[bad][-1]} (output volumes are of size "
                               + "x".join(str(n) for n in output_size) + ")")


@native("max_unpool2d", [Param("input", "Tensor"), Param("indices", "Tensor"),
                         Param("output_size", "int[]", symbolic=True)],
        list_size=2)
def _max_unpool2d_native(input, indices, output_size):
    """PyTorch's native max_unpool2d: its checks in order, then the unpooling."""
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {indices.dtype.scalar_name}")
    if len(output_size) != 2:
        raise RuntimeError(f"There should be exactly two elements (height, width) in output_size, but got "
                           f"{len(output_size)} elements.")
    if input.dim() not in (3, 4):
        raise RuntimeError(f"Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with "
                           f"{input.dim()} dimensions.")
    _check_unpool_shapes(input, indices, "max_unpooling2d_forward_out_cpu()")
    x = input._data  # PyTorch's kernel: channels-last for such values (whatever the indices' layout)
    may_be_channels_last = _memory_format.may_suggest_channels_last(x)
    _check_unpool_indices(input, indices, output_size, "max_unpool2d",
                          may_be_channels_last and _memory_format.suggest(x) is _memory_format.channels_last)
    out = save_tensor_versions(MaxUnpool.apply(input, indices=indices._data, output_size=tuple(output_size)), indices)
    return _memory_format.keep_channels_last(out, x) if may_be_channels_last else out


def _check_unpool_shapes(input, indices, fn):
    if tuple(input.shape) != tuple(indices.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    for axis in range(1, input.dim()):
        if input.shape[axis] == 0:
            raise RuntimeError(f"{fn}: Expected input to have non-zero size for non-batch dimensions, but got "
                               f"{list(input.shape)} with dimension {axis} being empty.")


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    r"""The partial inverse of :func:`max_pool2d`: each value goes back to the position its ``indices`` (from
    ``max_pool2d(..., return_indices=True)``) name in its plane, every other position is zero.

    Args:
        input (Tensor): (N, C, H_in, W_in) or (C, H_in, W_in).
        indices (Tensor): int64, the input's shape: flat positions h * W_out + w in each output plane.
        kernel_size, stride (default: kernel_size), padding: those of the max pooling undone.
        output_size (optional): (H_out, W_out), or the full output shape, to pick among the sizes the
            pooling maps onto the input's (each must be within ``stride`` of the default).

    Shape: H_out = (H_in - 1) * stride[0] - 2 * padding[0] + kernel_size[0] by default, likewise W_out.
    """
    kernel_size = _torch_pair(kernel_size)
    stride = _torch_pair(stride) if stride is not None else kernel_size
    padding = _torch_pair(padding)
    output_size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    if forward_ad.state.vmap_levels:  # (from this line, as from PyTorch's Python wrapper's)
        forward_ad.warn_fallback("aten::max_unpool2d", (input, indices), stacklevel=1)
    return _max_unpool2d_native(input, indices, output_size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    r"""The partial inverse of :func:`max_pool1d`: each value goes back to the position its ``indices`` (from
    ``max_pool1d(..., return_indices=True)``) name, every other position is zero.

    Args:
        input (Tensor): (N, C, L_in) or (C, L_in).
        indices (Tensor): int64, the input's shape: positions in each output row.
        kernel_size, stride (default: kernel_size), padding: those of the max pooling undone (ints or 1-tuples).
        output_size (optional): (L_out,), or the full output shape, within ``stride`` of the default.

    Shape: L_out = (L_in - 1) * stride - 2 * padding + kernel_size by default. Runs as max_unpool2d over a
    trailing axis of 1, as in PyTorch (whose checks and messages it therefore has).
    """
    kernel_size = _torch_single(kernel_size)
    stride = _torch_single(stride) if stride is not None else kernel_size
    padding = _torch_single(padding)
    output_size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    output_size = output_size + ([1] if isinstance(output_size, list) else (1,))
    if forward_ad.state.vmap_levels:  # (from this line, as from PyTorch's Python wrapper's)
        forward_ad.warn_fallback("aten::max_unpool2d", (input, indices), stacklevel=1)
    return _max_unpool2d_native(input.unsqueeze(-1), indices.unsqueeze(-1), output_size).squeeze(-1)
