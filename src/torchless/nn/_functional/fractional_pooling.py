"""Fractional max pooling (Ben Graham, https://arxiv.org/abs/1412.6071): max pooling in windows placed with a
pseudo-random step, so that the output has the size asked for.
"""
import math

from ... import _creation, _memory_format
from ..._kernels import fractional_pool
from ..._kernels import pool as kernels
from ..._tensor import Tensor
from ...autograd.graph import Node, autocast_cast
from ...autograd.saved_values import Saved, SavedInput
from ._args import Param, native
from ._pool_args import _check_float, _torch_ntuple, dispatch_on_return_indices
from ._pool_nodes import _flat_planes, _gradient_reading_input, _scattered_to_maxima
from .loss import _refuse_grad

__all__ = ["fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
           "fractional_max_pool3d_with_indices"]



_INDEX_ASSERT = {2: "index >= 0 && index < static_cast<int64_t>(inputW) * inputH",
                 3: "index >= 0 && index < inputT * inputH * inputW"}
_INDEX_ASSERT_LINE = {2: 240, 3: 280}


class FractionalMaxPool(Node):
    """Fractional max pooling; backward scatter-adds each output's gradient at its argmax (windows may
    overlap, so several outputs can send gradient to one input cell)."""

    saved, saves = ("indices",), (0,)  # PyTorch saves the input too
    torch_saved = {"self": SavedInput(0), "kernel_size": lambda node: node.kernel_size,
                   "output_size": lambda node: node.indices.shape[-node.spatial:], "result1": Saved("indices")}

    def forward(self, x, pooled=None, indices=None, spatial=2, kernel_size=None):
        self.input_shape, self.indices, self.spatial, self.kernel_size = x.shape, indices, spatial, kernel_size
        self.winners = None  # (for _scattered_to_maxima: flat indices, no winners)
        return pooled

    def _check_indices(self):
        """PyTorch's backward kernel asserts each index is in its plane: an empty window (a kernel size of 0,
        which the forward takes) gives one past it."""
        plane = math.prod(self.input_shape[-self.spatial:])
        if self.indices.size and (self.indices.min() < 0 or self.indices.max() >= plane):
            raise RuntimeError(_INDEX_ASSERT[self.spatial] + ' INTERNAL ASSERT FAILED at "/__w/pytorch/pytorch/aten/src/'
                               f'ATen/native/FractionalMaxPool{self.spatial}d.cpp":{_INDEX_ASSERT_LINE[self.spatial]}, '
                               'please report a bug to PyTorch. ')

    def backward(self, grad):
        self._check_indices()
        gx = kernels.max_pool2d_backward(grad.reshape(_flat_planes(grad.shape, self.spatial)),
                                         self.indices.reshape(_flat_planes(grad.shape, self.spatial)),
                                         _flat_planes(self.input_shape, self.spatial))
        return (gx.reshape(self.input_shape),)

    def backward_graph(self, grad):
        self._check_indices()
        return (_gradient_reading_input(self, _scattered_to_maxima(self, grad), grad),)

    def name(self):
        return f"FractionalMaxPool{self.spatial}DBackward0"


# Which sample of a plane's (N, C, spatial) _random_samples row places its windows along each axis: PyTorch's
# 2-D kernel reads the width's first, its 3-D kernel reads them in axis order.
_SAMPLE_COLUMNS = {2: (1, 0), 3: (0, 1, 2)}


def _fractional_max_pool_native(input, kernel_size, output_size, random_samples, spatial):
    """PyTorch's native fractional_max_pool2d/3d: its checks in order (the 3-D ones name
    fractional_max_pool3d_out and, unlike the 2-D ones, refuse output_size + kernel_size - 1 equal to the
    input size), then the pooling."""
    fn = f"fractional_max_pool{spatial}d"
    _refuse_grad(fn, "random_samples", random_samples)  # (autograd's check, before the kernel's)
    ints = "Ints" if spatial == 2 else "three Ints"
    if len(kernel_size) != spatial:
        raise RuntimeError(f"{fn}: kernel_size must either be a single Int or tuple of {ints}")
    if len(output_size) != spatial:
        raise RuntimeError(f"{fn}: output_size must either be a single Int or tuple of {ints}")
    where = fn if spatial == 2 else "fractional_max_pool3d_out"
    shape = tuple(input.shape)
    if len(shape) not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"{where}(): Expected {spatial + 1}D or {spatial + 2}D tensor, but got: {list(shape)}")
    for axis in range(1, len(shape)):
        if shape[axis] == 0:
            raise RuntimeError(f"{where}(): Expected input to have non-zero size for non-batch dimensions, but "
                               f"got{list(shape)} with dimension {axis} being empty.")
    names = ("height", "width") if spatial == 2 else ("time", "height", "width")
    checks = list(zip(names, shape[-spatial:], kernel_size, output_size))
    if spatial == 3:  # the 3-D kernel checks the width before the height, a negative output size as 0
        checks = [(name, size, pool, max(out, 0)) for name, size, pool, out in (checks[0], checks[2], checks[1])]
    for name, size, pool, out in checks:
        if out + pool - 1 > size - (spatial == 3):
            raise RuntimeError(f"{where}(): pool {name} {pool} too large relative to input {name} {size}")
    out_shape = list(shape[:-spatial]) + list(output_size)
    negative = [n for n in out_shape if n < 0]
    if negative:
        raise RuntimeError(f"Trying to create tensor with negative dimension {negative[0]}: {out_shape}")
    batch, channels = (1, shape[0]) if len(shape) == spatial + 1 else shape[:2]
    if random_samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if random_samples.dim() != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {random_samples.dim()}")
    samples_shape = tuple(random_samples.shape)
    if samples_shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples_shape[1] != channels:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples_shape[2] != spatial:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {spatial}; got {samples_shape[2]}.")
    if math.prod(out_shape):  # PyTorch's kernel, and its dtype dispatch, does not run for an empty output
        _check_float(input, f"{fn}_out_frame")
    lead = shape[:-spatial]
    planes = input._data.reshape((math.prod(lead),) + shape[-spatial:])
    samples = random_samples._data[:batch].reshape(planes.shape[0], spatial)
    starts = [fractional_pool.interval_starts(samples[:, column], size, out, pool)
              for column, size, out, pool in zip(_SAMPLE_COLUMNS[spatial], shape[-spatial:], output_size,
                                                 kernel_size)]
    pooled, indices = fractional_pool.fractional_max_pool_forward(planes, starts, kernel_size)
    pooled, indices = pooled.reshape(out_shape), indices.reshape(out_shape)
    if not pooled.size:  # (NumPy's empty arrays have all-zero strides, PyTorch allocates them contiguous)
        pooled, indices = _memory_format.with_c_strides(pooled), _memory_format.with_c_strides(indices)
    out = FractionalMaxPool.apply(input, pooled=pooled, indices=indices, spatial=spatial,
                                  kernel_size=tuple(kernel_size))
    return out, Tensor._wrap(indices)


@native("fractional_max_pool2d", [Param("input", "Tensor"), Param("kernel_size", "int[]"),
                                  Param("output_size", "int[]"), Param("random_samples", "Tensor")], list_size=2)
def _fractional_max_pool2d_native(input, kernel_size, output_size, random_samples):
    return _fractional_max_pool_native(input, kernel_size, output_size, random_samples, 2)


@native("fractional_max_pool3d", [Param("input", "Tensor"), Param("kernel_size", "int[]"),
                                  Param("output_size", "int[]"), Param("random_samples", "Tensor")], list_size=3)
def _fractional_max_pool3d_native(input, kernel_size, output_size, random_samples):
    return _fractional_max_pool_native(input, kernel_size, output_size, random_samples, 3)


def _fractional_max_pool(input, kernel_size, output_size, output_ratio, random_samples, spatial, native_fn):
    """PyTorch's Python-level part: the output size from ``output_ratio``, the samples from the generator."""
    fn = f"fractional_max_pool{spatial}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{fn} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if spatial == 2 and len(output_ratio) > 2:  # len() of a bare float raises TypeError, as in PyTorch
            raise ValueError(f"{fn} requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = _torch_ntuple(output_ratio, spatial)
        output_size = [int(input.size(axis - spatial) * ratio[axis]) for axis in range(spatial)]
    if random_samples is None:
        batch = 1 if input.dim() == spatial + 1 else input.size(0)
        random_samples = _creation.rand(batch, input.size(-spatial - 1), spatial, dtype=input.dtype)
    return native_fn(input, kernel_size, output_size, random_samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """:func:`fractional_max_pool2d` returning (output, indices) whatever ``return_indices`` says."""
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 2,
                                _fractional_max_pool2d_native)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    r"""2-D fractional max pooling (`Fractional MaxPooling <http://arxiv.org/abs/1412.6071>`_, Ben Graham):
    max pooling in :math:`kH \times kW` windows placed with a pseudo-random step so that the output has
    the size asked for.

    Args:
        input (Tensor): (N, C, H_in, W_in) or (C, H_in, W_in), floating.
        kernel_size: the window size, an int or a pair (kH, kW).
        output_size: (H_out, W_out), or one int for both; needs H_out + kH - 1 <= H_in, likewise W.
        output_ratio: instead of output_size, a ratio (or a pair) in (0, 1): H_out = int(H_in * ratio[0]).
        return_indices: also return the int64 flat index h * W_in + w of each maximum (for
            :func:`max_unpool2d`).
        _random_samples: (N, C, 2) samples in [0, 1), the input's dtype, placing each plane's windows (the
            first along W, the second along H); drawn from the default generator when None, as PyTorch
            draws them (the same samples after the same ``manual_seed``).

    Shape: output (N, C, H_out, W_out) or (C, H_out, W_out). Along an axis of size n, window i < out - 1 starts
    at int((i + u) * alpha) - int(u * alpha) with alpha = (n - k) / (out - 1) and u the plane's sample; the last
    one at n - k.
    """
    input, = autocast_cast("float32", input)
    out, indices = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio,
                                                      _random_samples=_random_samples)
    return (out, indices) if return_indices else out


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """:func:`fractional_max_pool3d` returning (output, indices) whatever ``return_indices`` says."""
    return _fractional_max_pool(input, kernel_size, output_size, output_ratio, _random_samples, 3,
                                _fractional_max_pool3d_native)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    r"""3-D fractional max pooling: max pooling in :math:`kT \times kH \times kW` windows placed with a
    pseudo-random step so that the output has the size asked for (see :func:`fractional_max_pool2d`).

    Args:
        input (Tensor): (N, C, T_in, H_in, W_in) or (C, T_in, H_in, W_in), floating.
        kernel_size: the window size, an int or a triple (kT, kH, kW).
        output_size: (T_out, H_out, W_out), or one int for all; needs T_out + kT - 1 < T_in, likewise H and W.
        output_ratio: instead of output_size, a ratio (or a triple) in (0, 1): T_out = int(T_in * ratio[0]).
        return_indices: also return the int64 flat index t * H_in * W_in + h * W_in + w of each maximum.
        _random_samples: (N, C, 3) samples in [0, 1), the input's dtype (along T, H and W); drawn from
            torchless's generator when None.

    Shape: output (N, C, T_out, H_out, W_out) or (C, T_out, H_out, W_out).
    """
    input, = autocast_cast("float32", input)
    out, indices = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio,
                                                      _random_samples=_random_samples)
    return (out, indices) if return_indices else out


# As in pooling.py: the functions above are PyTorch's private ones, the public names dispatch.
_fractional_max_pool2d, _fractional_max_pool3d = fractional_max_pool2d, fractional_max_pool3d
fractional_max_pool2d = dispatch_on_return_indices(4, fractional_max_pool2d_with_indices, _fractional_max_pool2d)
fractional_max_pool3d = dispatch_on_return_indices(4, fractional_max_pool3d_with_indices, _fractional_max_pool3d)
