"""Pooling: max, average, adaptive and power-average (Lp) pooling over 1-D and 2-D windows, max unpooling, their
checks and gradients; the autograd Functions are shared with the 3-D poolings of :mod:`.pooling3d`.

Every variant runs on the kernels of ``torchless._kernels.pool`` (``pool3d`` in 3-D): the input is
viewed as (planes, 1, H, W) or (planes, 1, D, H, W), where planes = batch * channels and a 1-D input
has H = 1, so batched, unbatched and 1-D inputs share one path. Arguments are validated here, once,
in PyTorch's order and with its messages (max_pool1d and avg_pool1d have checks of their own, as in
PyTorch).
"""
import functools
import itertools
import math
import operator
from collections.abc import Iterable

import numpy as np

from ... import _creation, _memory_format
from ..._kernels import fractional_pool
from ..._kernels import pool as kernels
from ..._kernels import pool3d
from ..._tensor import Tensor
from ..._ops import unary
from ...autograd.graph import FoldedNode, Node, gradient_unwatched, records, with_zero_derivative_of
from ...autograd.saved_values import Saved, SavedInput, constant, first_listed, int64
from ._args import CheckedCalls, Param, _is_list_int, _tp_name, call_key, check_tensor, native, unpack_int64
from ._norm_checks import int_list_arg
from .activation import relu
from .loss import _refuse_grad

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices", "avg_pool1d",
           "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices", "max_unpool1d", "max_unpool2d",
           "lp_pool1d", "lp_pool2d", "fractional_max_pool2d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d", "fractional_max_pool3d_with_indices"]


def _plane_shape(shape, spatial):
    """(planes, 1, *window axes) for an array of ``shape`` (..., *spatial) pooled over its last ``spatial``
    axes: (planes, 1, 1, L) in 1-D, (planes, 1, H, W) in 2-D, (planes, 1, D, H, W) in 3-D."""
    axes = tuple(shape[-spatial:]) if spatial > 1 else (1, shape[-1])
    return (math.prod(shape[:-spatial]), 1) + axes


def _as_planes(x, spatial):
    return x.reshape(_plane_shape(x.shape, spatial))


def _from_planes(y, lead, spatial):
    return y.reshape(lead + (y.shape[2:] if spatial > 1 else y.shape[3:]))


def _flat_planes(shape, spatial):
    """(planes, 1, 1, cells): each plane's window axes as one, for kernels that only see flat positions."""
    return (math.prod(shape[:-spatial]), 1, 1, math.prod(shape[-spatial:]))


# A 1-D pooling is PyTorch's 2-D one over a height of 1, squeezed back: its node is that squeeze.
_SQUEEZED_1D = {"dim": constant(int64(-2)),
                "self_sym_sizes": lambda node: node.input_shape[:-1] + (1, node.output_length())}


class _UnsqueezedInput(Saved):
    """A 1-D pooling's input as the 2-D pooling PyTorch runs it on saves it: unsqueezed to (..., 1, L), a tensor of
    the UnsqueezeBackward0 node that the pooling's node lists."""

    def tensor(self, node, shown):
        original = SavedInput(0).tensor(node, shown)
        if original is None:
            return None
        array = original._data
        return self.wrap(node, shown, array.reshape(array.shape[:-1] + (1, array.shape[-1])))


class _PooledAs2d(Node):
    """A pooling that PyTorch runs in 1-D as its 2-D pooling of the input unsqueezed to (..., 1, L), the result
    squeezed back. torchless pools in one node, named SqueezeBackward1 (it ends the chain); its
    ``next_functions`` list the two others as folded nodes, with what they saved (``pooled_2d``: the 2-D node's
    name and saved-value specs)."""

    pooled_2d = None
    grad_format = None  # the channels-last format of the input's gradient, if any (see _keep_channels_last)

    def _in_grad_format(self, gx):
        """The input's gradient ``gx`` laid out in grad_format (a 1-D pooling's: as its unsqueeze(-2))."""
        if self.spatial == 1:
            return _memory_format.in_format(gx[..., None, :], self.grad_format)[..., 0, :]
        return _memory_format.in_format(gx, self.grad_format)

    def pytorch_inputs(self):
        if self.spatial != 1:
            return None
        ((edge, _),) = self.listed_edges()
        unsqueezed = FoldedNode("UnsqueezeBackward0", ((edge, 0),), self, saved={"dim": constant(int64(-2))})
        name, specs = self.pooled_2d()
        return ((FoldedNode(name, ((unsqueezed, 0),), self, saved=specs), 0),)


def _gradient_reading_input(node, gx, grad):
    """The input's gradient ``gx``, computed from ``grad`` under create_graph=True by the pooling ``node``, recorded
    as PyTorch's backward op (max_pool2d_with_indices_backward, avg_pool2d_backward, ...) computes it: from the
    input too, whose derivative it declares zero (so the gradient requires grad, and backward reaches the input
    with zeros); in 1-D that 2-D op between an unsqueeze and a squeeze, whose SqueezeBackward1 ends the chain."""
    the_input = node.graph_input(0, np.broadcast_to(np.zeros((), grad._data.dtype), node.input_shape))
    if node.spatial != 1:
        return with_zero_derivative_of(gx, the_input, node.name().removesuffix("0") + "Backward0", grad)
    name = node.pooled_2d()[0].removesuffix("0") + "Backward0"
    return with_zero_derivative_of(gx.unsqueeze(-2), the_input.unsqueeze(-2), name, grad.unsqueeze(-2)).squeeze(-2)


def _in_half_opmath(kernel, a, *args):
    """``kernel(a, *args)``; of a float16 array, computed in float32 and rounded once, as PyTorch's average
    pooling kernels accumulate and divide a half tensor in its opmath type (rounding each step to half would
    differ in the last bit)."""
    if a.dtype != np.float16:
        return kernel(a, *args)
    return kernel(a.astype(np.float32), *args).astype(np.float16)


def _keep_channels_last(out, x, unsqueezed=False):
    """_memory_format.keep_channels_last of a pooling's output(s) on the input array ``x``; PyTorch's backward
    kernels write the input's gradient in the format the input suggests too, so the pooling's node is told it."""
    out = _memory_format.keep_channels_last(out, x, unsqueezed=unsqueezed)
    node = (out[0] if isinstance(out, tuple) else out).grad_fn
    if isinstance(node, _PooledAs2d):
        node.grad_format = _memory_format.output_format(_memory_format.unsqueezed_view(x) if unsqueezed else x)
    return out


def _unsqueezed_specs(specs, **replaced):
    """The 2-D node's saved-value specs of a 1-D pooling: its input unsqueezed; other tensors as ``replaced``."""
    return {**specs, "self": _UnsqueezedInput(None, grad_fn=first_listed), **replaced}  # of the UnsqueezeBackward0


class MaxPool(_PooledAs2d):
    """Max pooling; backward sends each output's gradient to its argmax.

    The kernel runs in the functional because its argmax is an output of its own. max_pool saves
    the kernel's winners (one small tap id per window; backward writes tap by tap, no scatter);
    adaptive max pooling, whose windows have no fixed taps, saves flat indices instead.
    """

    saved, saves = ("winners", "indices", "nonzero"), (0,)  # PyTorch saves the input too
    _with_indices = {
        "self": SavedInput(0),
        "result1": Saved(lambda node: node.flat_indices()),
        "kernel_size": lambda node: node.arguments[0],
        "stride": lambda node: node.arguments[1],
        "padding": lambda node: node.arguments[2],
        "dilation": lambda node: node.arguments[3],
        "ceil_mode": lambda node: node.arguments[4],
    }
    torch_saved = {
        "MaxPool2DWithIndicesBackward0": _with_indices,
        "MaxPool3DWithIndicesBackward0": _with_indices,
        "AdaptiveMaxPool2DBackward0": {"self": SavedInput(0),
                                       "result1": Saved(lambda node: node.flat_indices())},
        "AdaptiveMaxPool3DBackward0": {"self": SavedInput(0),
                                       "result1": Saved(lambda node: node.flat_indices())},
        "SqueezeBackward1": _SQUEEZED_1D,
    }

    def forward(self, x, pooled=None, winners=None, indices=None, spatial=2, name="MaxPool2DWithIndicesBackward0",
                after_relu=False, arguments=None):
        """``arguments``: (kernel, stride, padding, dilation, ceil_mode) as PyTorch's node shows them (_saved_*)."""
        self.input_shape, self.spatial, self._name, self.arguments = x.shape, spatial, name, arguments
        self.winners, self.indices = winners, indices
        # Pooling a ReLU's output (a CNN's every block), backward can do the ReLU's mask for it, at the
        # pooled resolution (see Relu.masked_by_consumer): where the pooled value is 0. Kept from here, as
        # PyTorch lets the pooled output change in place before backward.
        self.nonzero = None
        if after_relu and spatial < 3 and winners.geometry.every_window_has_a_tap:
            self.nonzero = np.not_equal(pooled, 0)
        return pooled

    def backward(self, grad):
        relu = self.edges[0] if self.nonzero is not None else None
        if relu is not None and gradient_unwatched(relu):
            gx = kernels.max_pool2d_backward_winners(_as_planes(unary.pass_where(self.nonzero, grad), self.spatial),
                                                     self.winners)
            gx = relu.masked_by_consumer(gx.reshape(self.input_shape))
            return (gx if self.grad_format is None else self._in_grad_format(gx),)
        if self.winners is None:
            _check_grad_output(grad, self.spatial, f"adaptive_max_pool{max(self.spatial, 2)}d_backward")
            gx = kernels.max_pool2d_backward(grad.reshape(_flat_planes(grad.shape, self.spatial)),
                                             self.indices.reshape(_flat_planes(grad.shape, self.spatial)),
                                             _flat_planes(self.input_shape, self.spatial))
        elif self.spatial == 3:
            # PyTorch's backward kernel, as its forward, refuses a gradient with 2-D channels-last strides (that
            # of an unbatched volume)
            _memory_format.check_kernel_supports(grad, _memory_format.channels_last_3d)
            gx = pool3d.max_pool3d_backward_winners(_as_planes(grad, 3), self.winners)
            gx = self._add_tapless_windows(gx, grad)
        else:
            gx = kernels.max_pool2d_backward_winners(_as_planes(grad, self.spatial), self.winners)
            gx = self._add_tapless_windows(gx, grad)
        gx = gx.reshape(self.input_shape)
        return (gx if self.grad_format is None else self._in_grad_format(gx),)

    def flat_indices(self):
        """PyTorch's int64 indices of the maxima, shaped as the output: flat positions in their planes."""
        if self.winners is None:
            return self.indices
        indices = self.winners.flat_indices()
        return indices.reshape(self.input_shape[:-self.spatial] + indices.shape[-self.spatial:])

    def output_length(self):
        """A 1-D pooling's output length."""
        return self.indices.shape[-1] if self.winners is None else self.winners.geometry.out_hw[-1]

    def _add_tapless_windows(self, gx, grad):
        """A window lying wholly in the padding (possible with dilation) has no winner, but PyTorch reports an
        index for it (its first tap past the padding, on each axis) and its backward adds the window's gradient
        there: to whatever cell that flat index names when it lies inside the plane (it is dropped otherwise)."""
        winners = self.winners
        if isinstance(winners, pool3d.MaxPool3dWinners):
            windows, geometry = winners.windows, winners.planes.geometry
            plane_missing = geometry.first_tap == geometry.tap_count
            missing = (windows.first_tap == windows.kernel)[:, None, None] | plane_missing[None]
        else:
            geometry = winners.geometry
            missing = geometry.first_tap == geometry.tap_count
        planes, cells = math.prod(gx.shape[:-self.spatial]), math.prod(gx.shape[-self.spatial:])
        if not (planes and missing.any()):
            return gx
        indices = winners.flat_indices().reshape(planes, -1)
        values = np.asarray(grad).reshape(planes, -1)
        keep = missing.reshape(1, -1) & (indices >= 0) & (indices < cells)
        if keep.any():
            flat = np.array(gx).reshape(planes, cells)
            rows = np.broadcast_to(np.arange(planes)[:, None], keep.shape)[keep]
            np.add.at(flat, (rows, indices[keep]), values[keep].astype(flat.dtype, copy=False))
            gx = flat.reshape(gx.shape)
        return gx

    def backward_graph(self, grad):
        # A scatter-add of each window's gradient to its argmax, whose own gradient gathers at the argmaxes.
        from ..._ops.indexing import Scatter

        indices = self.indices if self.winners is None else self.winners.flat_indices()
        planes = math.prod(self.input_shape[:-self.spatial])
        cells = math.prod(self.input_shape[-self.spatial:])
        zeros = grad._wrap(np.zeros((planes, cells), grad._data.dtype))
        key = (np.arange(planes)[:, None], indices.reshape(planes, -1))
        scattered = Scatter.apply(zeros, grad.reshape(planes, -1), key=key, add=True).reshape(self.input_shape)
        return (_gradient_reading_input(self, scattered, grad),)

    def name(self):
        return self._name

    def pooled_2d(self):
        name = "AdaptiveMaxPool2DBackward0" if self.winners is None else "MaxPool2DWithIndicesBackward0"
        indices = Saved(lambda node: node.flat_indices()[..., None, :])
        return name, _unsqueezed_specs(self.torch_saved[name], result1=indices)


_AVG_POOL_KERNELS = {2: (kernels.avg_pool2d_forward, kernels.avg_pool2d_backward),
                     3: (pool3d.avg_pool3d_forward, pool3d.avg_pool3d_backward)}


class AvgPool(_PooledAs2d):
    """Average pooling (zero padding; divisor per PyTorch's count_include_pad / divisor_override)."""

    saved, saves = ("args",), (0,)  # as PyTorch, which saves the input
    _pool_arguments = {
        "self": SavedInput(0),
        "kernel_size": lambda node: node.shown[0],
        "stride": lambda node: node.shown[1],
        "padding": lambda node: node.shown[2],
        "ceil_mode": lambda node: node.args[3],
        "count_include_pad": lambda node: node.args[4],
        "divisor_override": lambda node: node.args[5],
    }
    torch_saved = {"AvgPool2DBackward0": _pool_arguments, "AvgPool3DBackward0": _pool_arguments,
                   "SqueezeBackward1": _SQUEEZED_1D}

    def output_length(self):
        """A 1-D pooling's output length."""
        kernel, stride, padding, ceil_mode = self.args[:4]
        return _output_size(self.input_shape[-1], kernel[-1], padding[-1], stride[-1], 1, ceil_mode)

    def forward(self, x, spatial=2, kernel=None, stride=None, padding=None, ceil_mode=False, count_include_pad=True,
                divisor_override=None, shown=None):
        """``shown``: (kernel, stride, padding) as PyTorch's node shows them (grad_fn._saved_*), when not these."""
        self.input_shape, self.spatial = x.shape, spatial
        self.args = kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
        self.shown = shown or (tuple(kernel), tuple(stride), tuple(padding))
        planes = _as_planes(x, spatial)
        pool_forward, _ = _AVG_POOL_KERNELS[max(spatial, 2)]
        if x.dtype.kind != "f":  # int64: PyTorch divides the integer window sums, truncating
            pooled = np.trunc(pool_forward(planes.astype(np.float64), *self.args)).astype(x.dtype)
        else:
            pooled = _in_half_opmath(pool_forward, planes, *self.args)
        return _from_planes(pooled, x.shape[:-spatial], spatial)

    def backward(self, grad):
        # (half: PyTorch's order of half additions; its avg_pool3d refuses half)
        pool_backward = kernels.avg_pool2d_backward_half if grad.dtype == np.float16 else \
            _AVG_POOL_KERNELS[max(self.spatial, 2)][1]
        gx = pool_backward(_as_planes(grad, self.spatial), _plane_shape(self.input_shape, self.spatial), *self.args)
        gx = gx.reshape(self.input_shape)
        return (gx if self.grad_format is None else self._in_grad_format(gx),)

    def backward_graph(self, grad):
        # Each window's share spread over its cells: a transposed convolution of the shares by a kernel of ones.
        from .conv import TransposedConvolution

        kernel, stride, padding, _, count_include_pad, divisor_override = self.args
        shares = grad.reshape(_plane_shape(grad._data.shape, self.spatial))
        in_hw, out_hw, dtype = _plane_shape(self.input_shape, self.spatial)[2:], shares._data.shape[2:], grad._data.dtype
        divisor = kernels._avg_pool_divisor(in_hw, out_hw, kernel, stride, padding, count_include_pad,
                                            divisor_override, dtype)
        output_padding = tuple(n - ((m - 1) * s - 2 * p + k) for n, m, s, p, k in zip(in_hw, out_hw, stride, padding,
                                                                                         kernel))
        gx = TransposedConvolution.apply(shares / grad._wrap(divisor), grad._wrap(np.ones((1, 1, *kernel), dtype)),
                                         None, stride=tuple(stride), padding=tuple((p, p) for p in padding),
                                         dilation=(1,) * len(kernel), groups=1, output_padding=output_padding)
        return (_gradient_reading_input(self, gx.reshape(self.input_shape), grad),)

    def name(self):
        return f"AvgPool{self.spatial}DBackward0" if self.spatial > 1 else "SqueezeBackward1"

    def pooled_2d(self):
        return "AvgPool2DBackward0", _unsqueezed_specs(self._pool_arguments)


class AdaptiveAvgPool(_PooledAs2d):
    saved, saves = ("input_shape",), (0,)  # as PyTorch, which saves the input
    torch_saved = {"AdaptiveAvgPool2DBackward0": {"self": SavedInput(0)},
                   "AdaptiveAvgPool3DBackward0": {"self": SavedInput(0)},
                   "SqueezeBackward1": _SQUEEZED_1D}

    def output_length(self):
        """A 1-D pooling's output length."""
        return self.output_size[-1]

    def forward(self, x, spatial=2, output_size=None):
        self.input_shape, self.spatial, self.output_size = x.shape, spatial, output_size
        planes = _as_planes(x, spatial)
        if 0 in output_size or 0 in planes.shape[:2]:  # an empty output: nothing to average
            pooled = np.zeros(planes.shape[:2] + output_size, x.dtype)
        else:
            pooled = kernels.adaptive_avg_pool3d_forward_half(planes, output_size) if spatial == 3 and \
                x.dtype == np.float16 else _in_half_opmath(kernels.adaptive_avg_pool_forward, planes, output_size)
        return _from_planes(pooled, x.shape[:-spatial], spatial)

    def backward(self, grad):
        _check_grad_output(grad, self.spatial, f"adaptive_avg_pool{max(self.spatial, 2)}d_backward")
        if grad.size == 0:
            gx = np.zeros(self.input_shape, grad.dtype)
        else:
            pool_backward = kernels.adaptive_avg_pool_backward_half if grad.dtype == np.float16 else \
                kernels.adaptive_avg_pool_backward  # (half: PyTorch's order of additions)
            gx = pool_backward(_as_planes(grad, self.spatial),
                               _plane_shape(self.input_shape, self.spatial)).reshape(self.input_shape)
        return (gx if self.grad_format is None else self._in_grad_format(gx),)

    def backward_graph(self, grad):
        if self.spatial == 1:  # PyTorch pools 1-D as 2-D, its gradient then squeezed back
            gx = AdaptiveAvgPoolBackward.apply(grad.unsqueeze(-2), pool=self).squeeze(-2)
        else:
            gx = AdaptiveAvgPoolBackward.apply(grad, pool=self)
        return (_gradient_reading_input(self, gx, grad),)

    def name(self):
        return "SqueezeBackward1" if self.spatial == 1 else f"AdaptiveAvgPool{self.spatial}DBackward0"

    def pooled_2d(self):
        return "AdaptiveAvgPool2DBackward0", _unsqueezed_specs(self.torch_saved["AdaptiveAvgPool2DBackward0"])


class AdaptiveAvgPoolBackward(Node):
    """AdaptiveAvgPool's gradient as an op of the graph (create_graph=True): linear in the output's gradient, whose
    adjoint is the pooling itself."""

    def forward(self, grad, pool=None):
        self.spatial, self.output_size = max(pool.spatial, 2), pool.output_size
        if pool.spatial == 1:  # a 1-D pool's gradient comes and goes as (..., 1, L), 2-D pooling's shape
            gx = pool.backward(grad.squeeze(-2))[0]
            return gx.reshape(gx.shape[:-1] + (1,) + gx.shape[-1:])
        return pool.backward(grad)[0]

    def backward(self, grad):
        return (AdaptiveAvgPool().forward(grad, spatial=self.spatial, output_size=self.output_size),)

    def backward_graph(self, grad):
        return (AdaptiveAvgPool.apply(grad, spatial=self.spatial, output_size=self.output_size),)

    def name(self):
        return f"AdaptiveAvgPool{self.spatial}DBackwardBackward0"


def _check_grad_output(grad, spatial, fn):
    """PyTorch's adaptive pooling backward refuses an empty output plane (output_size 0), which its
    forward allowed; 1-D pooling runs as 2-D, so its gradient is named with the extra axis."""
    shape = list(_view_2d(grad.shape, spatial))
    for axis in range(1, len(shape)):
        if shape[axis] == 0:
            raise RuntimeError(f"{fn}(): Expected grad_output to have non-zero size for non-batch dimensions, but "
                               f"grad_output has sizes {shape} with dimension {axis} being empty")


# ---------------------------------------------------------------------------- adaptive max (no kernel in _kernels.pool)
def _adaptive_taps(size, out):
    """(out, span) input positions of PyTorch's adaptive windows [floor(i*size/out), ceil((i+1)*size/out)).

    Windows differ in length; short ones repeat their last position, which cannot change a maximum.
    """
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    span = int((end - start).max()) if out else 0
    return np.minimum(start[:, None] + np.arange(span)[None, :], (end - 1)[:, None])


def _adaptive_max_pool_planes(planes, output_size):
    """(values, flat indices) of adaptive max pooling of planes (P, 1, *axes) to (P, 1, *output_size).

    Taps are scanned in PyTorch's order (row-major over the window), each replacing the maximum when
    strictly greater (the first maximum wins ties) or NaN (the last NaN wins).
    """
    axes = planes.shape[2:]
    out_shape = planes.shape[:2] + tuple(output_size)
    taps = [_adaptive_taps(n, out) for n, out in zip(axes, output_size)]
    if any(t.size == 0 for t in taps):
        empty = np.empty(out_shape, planes.dtype)
        return empty, empty.astype(np.int64)
    axis_strides = np.cumprod((1,) + axes[:0:-1])[::-1]  # flat position = sum of position * stride

    def tap_positions(offsets):
        """Per axis, the position of tap ``offsets[axis]`` of every window, shaped to broadcast along its axis."""
        return tuple(t[:, o].reshape([-1 if k == axis else 1 for k in range(len(axes))])
                     for axis, (t, o) in enumerate(zip(taps, offsets)))

    def read(positions):
        return planes[(slice(None), slice(None)) + positions], sum(p * s for p, s in zip(positions, axis_strides))

    values, first = read(tap_positions((0,) * len(axes)))  # every window starts at its first tap
    # NumPy lays the result of its fancy indexing out in an order of its own: PyTorch's output is C-contiguous
    values = np.ascontiguousarray(values)
    indices = np.empty(out_shape, np.int64)
    indices[...] = first
    better = np.empty(out_shape, bool)
    for offsets in itertools.product(*(range(t.shape[1]) for t in taps)):
        tap_values, tap_indices = read(tap_positions(offsets))
        np.greater(tap_values, values, out=better)
        better |= np.isnan(tap_values)
        np.copyto(values, tap_values, where=better)
        np.copyto(indices, tap_indices, where=better)
    return values, indices


# ---------------------------------------------------------------------------- argument checks
def _int_list(value, fn, name, position=None):
    """An int or a sequence of ints as a tuple (PyTorch's IntArrayRef), or its TypeError.

    PyTorch's parser looks at the first element of a sequence only, and names that element only for
    an argument given by position (see int_list_arg).
    """
    if _is_list_int(value):
        return (unpack_int64(value),)
    if not position and isinstance(value, (tuple, list)) and value and not _is_list_int(value[0]):
        raise TypeError(f"{fn}(): argument '{name}' must be tuple of ints, not {_tp_name(value)}")
    return int_list_arg(value, fn, name, position)


def _int_lists(fn, arguments, flags=()):
    """Several int[] arguments ``(value, name, position)`` as tuples, with the parser's TypeErrors in its order.

    PyTorch's parser first checks every argument's type (a sequence by its first element), bool ``flags``
    ``(value, name, position)`` included; only then are the sequences unpacked, the last argument first (the
    generated C++ evaluates the call's arguments right to left), so of two sequences with a later non-int
    the last is reported.
    """
    for value, name, position in arguments:
        _int_list(value[:1] if isinstance(value, (tuple, list)) else value, fn, name, position)
    for value, name, position in flags:
        _check_bool(value, fn, name, position)
    return tuple(reversed([_int_list(value, fn, name, position) for value, name, position in reversed(arguments)]))


def _check_bool(value, fn, name, position=None):
    """A ``bool`` parameter of PyTorch's parser takes True and False only (not 0, 1, None or a NumPy bool)."""
    if not isinstance(value, bool):
        where = f" (position {position})" if position else ""
        raise TypeError(f"{fn}(): argument '{name}'{where} must be bool, not {_tp_name(value)}")


def _check_c_int(values):
    """PyTorch's 2-D and 3-D pooling kernels take their sizes as C ints (safe_downcast), each argument right
    after its length check: a value beyond 32 bits fails there (where NumPy would allocate for it)."""
    for value in values:
        if not -2 ** 31 <= value < 2 ** 31:
            raise RuntimeError("value cannot be converted to type int without overflow")


def _pair(values, default=None):
    if not values:
        return default
    return values * 2 if len(values) == 1 else values


def _c_half(value):
    """value / 2 rounded toward zero, as C++ integer division."""
    return -(-value // 2) if value < 0 else value // 2


def _output_size(size, kernel, padding, stride, dilation, ceil_mode):
    """PyTorch's pooling_output_shape with its checks."""
    if stride == 0:
        raise RuntimeError("stride should not be zero")
    if padding < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {padding}")
    if padding > _c_half((kernel - 1) * dilation + 1):
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={padding}, "
                           f"kernel_size={kernel} and dilation={dilation}")
    return kernels.pool_output_size(size, kernel, stride, padding, dilation, ceil_mode)


def _pool2d_shape_check(shape, kernel, stride, padding, dilation, out_hw):
    (kH, kW), (dH, dW), (padH, padW), (dilH, dilW) = kernel, stride, padding, dilation
    if kH <= 0 or kW <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kH} kW: {kW}")
    if dH <= 0 or dW <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {dH} dW: {dW}")
    if dilH <= 0 or dilW <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dilH} dilationW: {dilW}")
    if len(shape) not in (3, 4) or 0 in shape[-3:]:
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
                           f"got:{list(shape)}")
    if kW // 2 < padW or kH // 2 < padH:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {padW}, "
                           f"padH = {padH}, kW = {kW}, kH = {kH}")
    if out_hw[0] < 1 or out_hw[1] < 1:
        C, H, W = shape[-3:]
        raise RuntimeError(f"Given input size: ({C}x{H}x{W}). Calculated output size: ({C}x{out_hw[0]}x{out_hw[1]}). "
                           "Output size is too small")


# ---------------------------------------------------------------------------- max pooling
def _view_2d(shape, spatial):
    """The shape PyTorch checks: a 1-D pooling's (..., L) runs as 2-D over (..., 1, L)."""
    return tuple(shape) if spatial > 1 else tuple(shape)[:-1] + (1, shape[-1])


def _check_pool2d(shape, kernel, stride, padding, dilation, ceil_mode):
    out_hw = tuple(_output_size(n, k, p, s, d, ceil_mode)
                   for n, k, p, s, d in zip(shape[-2:], kernel, padding, stride, dilation))
    _pool2d_shape_check(shape, kernel, stride, padding, dilation, out_hw)


_MAX_POOL_KERNELS = {2: (kernels.max_pool2d_forward, kernels.max_pool2d_forward_winners),
                     3: (pool3d.max_pool3d_forward, pool3d.max_pool3d_forward_winners)}


def _max_pool(input, spatial, kernel, stride, padding, dilation, ceil_mode, return_indices, name, shown=None):
    """Max pooling with 2-D or 3-D parameters (a 1-D pooling has height 1: kernel (1, k), padding (0, p), ...);
    ``shown``: the arguments as the node shows them, when not these (see MaxPool.forward)."""
    x = input._data
    planes = _as_planes(x, spatial)
    lead = x.shape[:-spatial]
    pool_forward, pool_forward_winners = _MAX_POOL_KERNELS[max(spatial, 2)]
    # Finding the argmax is most of the work; skip it when neither the caller nor backward wants it.
    # Nothing to record then either: wrapping the output directly is what Node.apply would do,
    # minus its ~2 us per call (a few percent of a batch-1 forward of the course CNN).
    if not (return_indices or records(input)):
        pooled, _ = pool_forward(planes, kernel, stride, padding, dilation, ceil_mode, False)
        return Tensor._wrap(_from_planes(pooled, lead, spatial))
    pooled, winners = pool_forward_winners(planes, kernel, stride, padding, dilation, ceil_mode)
    out = MaxPool.apply(input, pooled=_from_planes(pooled, lead, spatial), winners=winners, spatial=spatial,
                        name=name, after_relu=isinstance(input.grad_fn, unary.Relu),
                        arguments=(shown or (kernel, stride, padding, dilation)) + (ceil_mode,))
    if not return_indices:
        return out
    return out, Tensor._wrap(_from_planes(winners.flat_indices(), lead, spatial))


_max_pool2d_checked = CheckedCalls()  # normalised (kernel, stride, padding, dilation) of valid calls


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """max_pool2d that always returns (output, indices); indices are flat positions h * W + w in each plane."""
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling over an input of shape (N, C, H, W) or (C, H, W).

    stride defaults to kernel_size; padding (at most half the kernel) is implicit -inf. With
    ceil_mode the last window may hang past the input if it starts inside it.
    Output: H_out = floor((H + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) / stride[0]) + 1
    (ceil instead of floor with ceil_mode), likewise W_out. With return_indices, also returns the
    int64 flat index h * W + w of each maximum within its (H, W) plane.
    """
    key = call_key((input, kernel_size, stride, padding, dilation, ceil_mode))
    plan = _max_pool2d_checked.get(key)
    if plan is None:
        params = _max_pool2d_params(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)
        shown = tuple(_as_parsed(value) for value in (kernel_size, stride, padding, dilation))
        plan = _max_pool2d_checked.remember(key, (params, kernels.tiled_output_hw(input.shape, *params, ceil_mode),
                                                  shown))
    params, tiled_hw, shown = plan
    if tiled_hw is not None and not (return_indices or records(input)):
        # Windows tiling a batch of planes, no indices wanted: straight to the kernel (a batch-1
        # forward of the course CNN spends ~5 us less per pooling than through _max_pool).
        out = kernels.tiled_max(input._data, params[0], tiled_hw)
        x = input._data
        if x.flags.c_contiguous and x.strides[1] != x.itemsize:  # (inline: _memory_format.may_suggest_...)
            return Tensor._wrap(out)
        return Tensor._wrap(_memory_format.in_format_of(out, x))
    out = _max_pool(input, 2, *params, ceil_mode, return_indices, "MaxPool2DWithIndicesBackward0", shown)
    x = input._data
    return _keep_channels_last(out, x) if _memory_format.may_suggest_channels_last(x) else out


def _as_parsed(value, size=2):
    """An int[2] argument as PyTorch's parser hands it on (and its node shows it): a lone int repeated, a sequence
    as given, None as ()."""
    if value is None:
        return ()
    if _is_list_int(value):
        return (operator.index(value),) * size
    return tuple(operator.index(v) for v in value)


def _max_pool2d_params(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=False):
    """max_pool2d's checks, in PyTorch's order; (kernel, stride, padding, dilation) as pairs.

    With return_indices PyTorch calls max_pool2d_with_indices, whose name its parser's TypeErrors carry.
    """
    fn = "max_pool2d"
    parsed = "max_pool2d_with_indices" if return_indices else fn
    check_tensor(input, parsed)
    kernel, stride, padding, dilation = _int_lists(  # the parser's checks all come before the sizes'
        parsed, ((kernel_size, "kernel_size", 2), (() if stride is None else stride, "stride", 3),
                 (padding, "padding", 4), (dilation, "dilation", 5)), ((ceil_mode, "ceil_mode", 6),))
    if len(kernel) not in (1, 2):
        raise RuntimeError(f"{fn}: kernel_size must either be a single int, or a tuple of two ints")
    _check_c_int(kernel)
    if len(stride) > 2:
        raise RuntimeError(f"{fn}: stride must either be omitted, a single int, or a tuple of two ints")
    _check_c_int(stride)
    if len(padding) not in (1, 2):
        raise RuntimeError(f"{fn}: padding must either be a single int, or a tuple of two ints")
    _check_c_int(padding)
    if len(dilation) not in (1, 2):
        raise RuntimeError(f"{fn}: dilation must be either a single int, or a tuple of two ints")
    _check_c_int(dilation)
    kernel = _pair(kernel)
    stride, padding, dilation = _pair(stride, kernel), _pair(padding), _pair(dilation)
    if input.dim() not in (3, 4):
        _memory_format.check_kernel_supports(input._data, _memory_format.channels_last)
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    _check_pool2d(tuple(input.shape), kernel, stride, padding, dilation, ceil_mode)
    _check_not_bool(input)
    return kernel, stride, padding, dilation


def _check_not_bool(input, spatial=2):
    """PyTorch's max pooling kernel takes numbers of every type but bool and complex (even for an empty batch)."""
    if input._data.dtype.kind in "bc":
        kernel = _memory_format.kernel_name("max_pool2d", input._data, unsqueezed=spatial == 1)
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")


def _one_value(values, fn, what):
    if len(values) != 1:
        raise RuntimeError(f"{fn}() {what} of size 1 but got size {len(values)}")
    return values[0]


def _one_int(value, fn, name, position=None):
    values = _int_list(value, fn, name, position)
    if len(values) != 1:
        raise RuntimeError(f"{fn}() argument '{name}' should contain one int (got {len(values)})")
    return values[0]


def _check_rank_2_to_3(input, fn):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           f"'self' (while checking arguments for {fn})")


def _max_pool1d_params(input, kernel_size, stride, padding, dilation, ceil_mode):
    """PyTorch's max_pool1d checks (the path without indices, which has messages of its own)."""
    fn = "max_pool1d"
    check_tensor(input, fn)
    kernels, strides, paddings, dilations = _int_lists(
        fn, ((kernel_size, "kernel_size", 2), (() if stride is None else stride, "stride", 3), (padding, "padding", 4),
             (dilation, "dilation", 5)), ((ceil_mode, "ceil_mode", 6),))
    if input.dim() not in (2, 3) or 0 in tuple(input.shape)[-2:]:
        raise RuntimeError(f"{fn}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{list(input.shape)}")
    kernel = _one_value(kernels, fn, "kernel_size must be an int, list of ints or tuple of ints")
    stride = _one_value(strides, fn, "stride must be None, an int, list of ints, or tuple of ints") if strides \
        else kernel
    padding = _one_value(paddings, fn, "padding must be an int, list of ints, or tuple of ints")
    dilation = _one_value(dilations, fn, "dilation must be an int, list of ints or tuple of ints")
    for what, value, limit in (("kernel_size", kernel, 1), ("stride", stride, 1)):
        if value < limit:
            raise RuntimeError(f"{fn}() {what} must be greater than zero, but got {value}")
    if padding < 0:
        raise RuntimeError(f"{fn}() padding must be non-negative, but got {padding}")
    if padding > kernel // 2:
        raise RuntimeError(f"{fn}() padding should be at most half of kernel size, but got padding={padding} and "
                           f"kernel_size={kernel}")
    if dilation <= 0:
        raise RuntimeError(f"{fn}() dilation must be greater than zero, but got {dilation}")
    out = _output_size(input.shape[-1], kernel, padding, stride, dilation, ceil_mode)
    if out <= 0:
        raise RuntimeError(f"{fn}() Invalid computed output size: {out}")
    return kernel, stride, padding, dilation


def _max_pool1d_with_indices_params(input, kernel_size, stride, padding, dilation, ceil_mode):
    """PyTorch's max_pool1d_with_indices checks: its own argument checks, then max_pool2d's over a height of 1."""
    fn = "max_pool1d"
    check_tensor(input, "max_pool1d_with_indices")
    _int_lists("max_pool1d_with_indices",
               ((kernel_size, "kernel_size", 2), (() if stride is None else stride, "stride", 3),
                (padding, "padding", 4), (dilation, "dilation", 5)), ((ceil_mode, "ceil_mode", 6),))
    _check_rank_2_to_3(input, fn)
    kernel = _one_int(kernel_size, fn, "kernel_size", 2)
    # (an empty list or tuple means the default too; a NumPy integer is no sequence to compare with one)
    empty = stride is None or isinstance(stride, (list, tuple)) and not stride
    stride = kernel if empty else _one_int(stride, fn, "stride", 3)
    padding = _one_int(padding, fn, "padding", 4)
    dilation = _one_int(dilation, fn, "dilation", 5)
    _check_c_int((kernel, stride, padding, dilation))  # max_pool2d_with_indices' downcasts
    _check_pool2d(_view_2d(input.shape, 1), (1, kernel), (1, stride), (0, padding), (1, dilation), ceil_mode)
    _check_not_bool(input, 1)
    return kernel, stride, padding, dilation


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """max_pool1d that always returns (output, indices)."""
    return _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-D max pooling over an input of shape (N, C, L) or (C, L); stride defaults to kernel_size.

    L_out = floor((L + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1 (ceil with ceil_mode).
    """
    params = _max_pool1d_with_indices_params if return_indices else _max_pool1d_params
    kernel, stride, padding, dilation = params(input, kernel_size, stride, padding, dilation, ceil_mode)
    if records(input):
        # a gradient needs the indices: after the same 1-D checks PyTorch runs max_pool2d_with_indices
        _check_c_int((kernel, stride, padding, dilation))
        _check_not_bool(input, 1)  # (its complex refusal)
    if not (return_indices or records(input)):
        # PyTorch's index-free 1-D kernel, taken when no gradient needs the indices, has floating types only.
        _check_float(input, "max_pool1d_impl")
    out = _max_pool(input, 1, (1, kernel), (1, stride), (0, padding), (1, dilation), ceil_mode, return_indices,
                    "SqueezeBackward1")
    x = input._data
    # PyTorch's index-free kernel gives a contiguous output, its 2-D one a channels-last one for such an input
    return _keep_channels_last(out, x, unsqueezed=return_indices or records(input)) \
        if _memory_format.may_suggest_channels_last(x) else out


# ---------------------------------------------------------------------------- average pooling
def _avg_pool(input, spatial, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override, shown=None):
    """Checks shared by avg_pool1d and avg_pool2d (PyTorch runs the 1-D one as 2-D over a height of 1); ``shown``
    as for AvgPool.forward."""
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if input.dim() + (spatial == 1) < 3:
        if spatial == 2:
            input.size(-3)  # PyTorch reads the channels first: its IndexError (another one for a 0-d input)
        rank = max(input.dim(), 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got -3)")
    _check_pool2d(_view_2d(input.shape, spatial), kernel, stride, padding, (1, 1), ceil_mode)
    if input.dtype.name not in ("float16", "float32", "float64", "int64"):
        kernel = _memory_format.kernel_name("avg_pool2d", input._data, unsqueezed=spatial == 1)
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
    out = AvgPool.apply(input, spatial=spatial, kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                        count_include_pad=count_include_pad, divisor_override=divisor_override, shown=shown)
    x = input._data
    return _keep_channels_last(out, x, unsqueezed=spatial == 1) \
        if _memory_format.may_suggest_channels_last(x) else out


def _avg_pool_signature(divisor_override):
    """PyTorch's native avg_pool1d / avg_pool2d parameters (avg_pool1d has no divisor_override)."""
    params = [Param("input", "Tensor"), Param("kernel_size", "int[]"), Param("stride", "int[]", "[]", []),
              Param("padding", "int[]", "0", 0), Param("ceil_mode", "bool", "False", False),
              Param("count_include_pad", "bool", "True", True)]
    return params + [Param("divisor_override", "int?", "None", None)] if divisor_override else params


# Through PyTorch's argument parser (F.avg_pool1d and F.avg_pool2d are native functions): a bad argument
# is named with its position only when it was given by position, as lp_pool*d and the modules do.
@native("avg_pool2d", _avg_pool_signature(True), list_size=2)
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling over an input of shape (N, C, H, W) or (C, H, W).

    stride defaults to kernel_size; padding is zero and counts in the divisor when count_include_pad.
    divisor_override, if given, replaces every window's divisor.
    H_out = floor((H + 2 * padding[0] - kernel_size[0]) / stride[0]) + 1 (ceil with ceil_mode), likewise W_out.
    """
    fn = "avg_pool2d"
    # Sequences reach here as given, of any length (the parser repeats a lone int only).
    kernel = kernel_size
    if len(kernel) not in (1, 2):
        raise RuntimeError(f"{fn}: kernel_size must either be a single int, or a tuple of two ints")
    _check_c_int(kernel)
    if len(stride) > 2:
        raise RuntimeError(f"{fn}: stride must either be omitted, a single int, or a tuple of two ints")
    _check_c_int(stride)
    if len(padding) not in (1, 2):
        raise RuntimeError(f"{fn}: padding must either be a single int, or a tuple of two ints")
    _check_c_int(padding)
    shown = tuple(kernel), tuple(stride), tuple(padding)
    kernel = _pair(kernel)
    return _avg_pool(input, 2, kernel, _pair(stride, kernel), _pair(padding), ceil_mode, count_include_pad,
                     divisor_override, shown)


@native("avg_pool1d", _avg_pool_signature(False), list_size=1)
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling over an input of shape (N, C, L) or (C, L).

    L_out = floor((L + 2 * padding - kernel_size) / stride) + 1 (ceil with ceil_mode).
    """
    fn = "avg_pool1d"
    _check_rank_2_to_3(input, fn)
    kernel = _one_list_int(kernel_size, fn, "kernel_size")
    stride = kernel if not stride else _one_list_int(stride, fn, "stride")
    padding = _one_list_int(padding, fn, "padding")
    _check_c_int((kernel, stride, padding))  # avg_pool2d's downcasts
    return _avg_pool(input, 1, (1, kernel), (1, stride), (0, padding), ceil_mode, count_include_pad, None)


def _one_list_int(values, fn, name):
    if len(values) != 1:
        raise RuntimeError(f"{fn}() argument '{name}' should contain one int (got {len(values)})")
    return values[0]


# ---------------------------------------------------------------------------- adaptive pooling
def _adaptive_output_size(output_size, shape, spatial):
    """PyTorch's _list_with_default: None entries keep the input's size. Only a Python int (a bool too) stands
    for itself; anything else is taken for a sequence (a NumPy integer fails len())."""
    if isinstance(output_size, bool):
        return output_size  # passed on as PyTorch's _list_with_default does, for the parser to refuse
    if isinstance(output_size, int):
        return (unpack_int64(output_size),) * spatial  # (the parser unpacks it as one int)
    if len(shape) <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    return tuple(n if v is None else v for v, n in zip(output_size, shape[-len(output_size):]))


def _check_output_size(output_hw):
    fn = "adaptive_avg_pool2d"
    if len(output_hw) != 2:
        raise RuntimeError(f"{fn}: output_size must be 2")
    if output_hw[0] < 0 or output_hw[1] < 0:
        raise RuntimeError(f"{fn}: elements of output_size must be greater than or equal to 0 but received "
                           f"{{{output_hw[0]}, {output_hw[1]}}}")


def _check_adaptive_avg(shape, output_hw):
    fn = "adaptive_avg_pool2d"
    if len(shape) not in (3, 4):
        raise RuntimeError(f"{fn}(): Expected 3D or 4D tensor, but got {list(shape)}")
    for axis in (-2, -1):
        if shape[axis] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {list(shape)} with dimension {axis + len(shape)} being empty")


_INT64_MAX = 2 ** 63 - 1


def _check_output_storage(sizes, input):
    """The size check of PyTorch's allocation of an output of ``sizes`` and the input's dtype (at::empty),
    before the kernel's dtype check: a sensible error, where NumPy would try to allocate (or its taps) first."""
    if math.prod(sizes) * input._data.dtype.itemsize > _INT64_MAX:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(sizes)}")


def _check_output_resize(sizes, input):
    """As _check_output_storage, for an output PyTorch resizes instead (adaptive average pooling): its element
    count is checked first."""
    if math.prod(sizes) > _INT64_MAX:
        raise RuntimeError("numel: integer multiplication overflow")
    _check_output_storage(sizes, input)


def _check_float(input, fn, spatial=None):
    """``spatial``: that of a kernel with a channels-last variant (see _memory_format.kernel_name), 1 for a 1-D input
    it runs as 2-D."""
    if not input.is_floating_point():
        if spatial is not None:
            fn = _memory_format.kernel_name(fn, input._data, unsqueezed=spatial == 1)
        raise NotImplementedError(f"\"{fn}\" not implemented for '{input.dtype.scalar_name}'")


def adaptive_avg_pool2d(input, output_size):
    """Average pooling of (N, C, H, W) or (C, H, W) to a fixed (H_out, W_out) = output_size.

    output_size is an int or a pair whose None entries keep the input's size. Window i along H spans
    [floor(i * H / H_out), ceil((i + 1) * H / H_out)), likewise along W.
    """
    output_hw = _adaptive_output_size(output_size, input.size(), 2)
    output_hw = _int_list(output_hw, "adaptive_avg_pool2d", "output_size", 2)
    _check_output_size(output_hw)
    if output_hw == (1, 1):
        # PyTorch takes the mean over the last two axes here, with the mean's checks only (any rank
        # from 2, empty planes give NaN).
        return _mean_in_input_format(input.mean((-1, -2), keepdim=True), input)
    _check_adaptive_avg(tuple(input.shape), output_hw)
    _check_output_resize(tuple(input.shape[:-2]) + tuple(output_hw), input)
    _check_float_unless_empty(input, output_hw, 2)
    out = AdaptiveAvgPool.apply(input, spatial=2, output_size=output_hw)
    x = input._data
    return _keep_channels_last(out, x) if _memory_format.may_suggest_channels_last(x) else out


class _AsStridedToFormat(Node):
    """PyTorch's adaptive average pooling to one cell of a channels-last input ends with ``as_strided_`` of its
    mean to the channels-last strides: an in-place op of the same elements, named AsStridedBackward1."""

    torch_saved = {"size": lambda node: node.size, "stride": lambda node: node.stride,
                   "storage_offset": lambda node: None}

    def forward(self, a, format_=None):
        out = _memory_format.in_format(a, format_)
        self.size, self.stride = a.shape, _memory_format.element_strides(out)
        return out

    def backward(self, grad):
        return (grad,)

    def backward_graph(self, grad):
        return (grad,)

    def name(self):
        return "AsStridedBackward1"


def _mean_in_input_format(mean, input):
    """adaptive_avg_pool2d/3d's ``mean`` over the pooled axes, laid out (as_strided_) in the channels-last format
    ``input`` suggests, if any."""
    x = input._data
    format_ = _memory_format.output_format(x) if _memory_format.may_suggest_channels_last(x) else None
    return mean if format_ is None else _AsStridedToFormat.apply(mean, format_=format_)


# A native function in PyTorch (F.adaptive_avg_pool1d is torch.adaptive_avg_pool1d): a bad output_size is
# named with its position only when passed by position.
@native("adaptive_avg_pool1d", [Param("input", "Tensor"), Param("output_size", "int[]")], list_size=1)
def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) or (C, L) to a fixed length output_size."""
    _check_rank_2_to_3(input, "adaptive_avg_pool1d")
    length = _one_list_int(output_size, "adaptive_avg_pool1d", "output_size")
    _check_output_size((1, length))
    if length == 1:  # as adaptive_avg_pool2d of the input with an axis of 1 added: a mean
        return input.unsqueeze(-2).mean((-1, -2), keepdim=True).squeeze(-2)
    _check_adaptive_avg(_view_2d(input.shape, 1), (1, length))
    _check_output_resize(tuple(input.shape[:-1]) + (1, length), input)
    _check_float_unless_empty(input, (length,), 1)
    out = AdaptiveAvgPool.apply(input, spatial=1, output_size=(1, length))
    x = input._data
    return _keep_channels_last(out, x, unsqueezed=True) \
        if _memory_format.may_suggest_channels_last(x) else out


def _check_float_unless_empty(input, output_size, spatial):
    """The kernel's dtype check, which PyTorch's adaptive average pooling skips when the output is empty."""
    if math.prod(input.shape[:-spatial]) * math.prod(output_size):
        _check_float(input, "adaptive_avg_pool2d", spatial)


def _check_adaptive_max(input, output, fn, spatial=None):
    """``spatial``: the output_size length the kernel expects, checked after the empty dimensions, as PyTorch."""
    for axis in range(1, input.dim()):
        if input.shape[axis] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {list(input.shape)} with dimension {axis} being empty")
    if spatial is not None and len(output) != spatial:
        raise RuntimeError(f"{fn}(): internal error: output_size.size() must be {spatial}")
    if min(output) < 0:
        shape = list(input.shape[:-len(output)]) + ([1] if len(output) == 1 else []) + list(output)
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(output)}: {shape}")


def _adaptive_max(input, output_hw, spatial, return_indices, name):
    x = input._data
    pooled, indices = _adaptive_max_pool_planes(_as_planes(x, spatial), output_hw)
    lead = x.shape[:-spatial]
    pooled, indices = _from_planes(pooled, lead, spatial), _from_planes(indices, lead, spatial)
    out = MaxPool.apply(input, pooled=pooled, indices=indices, spatial=spatial, name=name)
    out = (out, Tensor._wrap(indices)) if return_indices else out
    if spatial == 3:  # PyTorch's 3-D kernel has no channels-last variant
        return _memory_format.in_c_order(out)
    return _keep_channels_last(out, x, unsqueezed=spatial == 1) \
        if _memory_format.may_suggest_channels_last(x) else out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling of (N, C, H, W) or (C, H, W) to a fixed (H_out, W_out), windows as in adaptive_avg_pool2d."""
    fn = "adaptive_max_pool2d"
    output_hw = _int_list(_adaptive_output_size(output_size, input.size(), 2), fn, "output_size", 2)
    if input.dim() not in (3, 4):
        raise RuntimeError(f"{fn}(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    _check_adaptive_max(input, output_hw, fn, 2)
    _check_output_storage(tuple(input.shape[:-2]) + tuple(output_hw), input)
    _check_float(input, fn, 2)
    return _adaptive_max(input, output_hw, 2, return_indices, "AdaptiveMaxPool2DBackward0")


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) or (C, L) to a fixed length output_size."""
    fn = "adaptive_max_pool1d"
    check_tensor(input, fn)
    _int_list(output_size, fn, "output_size", 2)  # the parser's check, before the rank's
    _check_rank_2_to_3(input, fn)
    length = _one_int(output_size, fn, "output_size", 2)
    _check_adaptive_max(input, (length,), fn)
    _check_output_storage(tuple(input.shape[:-1]) + (1, length), input)
    _check_float(input, "adaptive_max_pool2d", 1)
    return _adaptive_max(input, (1, length), 1, return_indices, "SqueezeBackward1")


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """adaptive_max_pool2d returning (output, indices) whatever ``return_indices`` says (as PyTorch's does)."""
    return _adaptive_max_pool2d(input, output_size, return_indices=True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """adaptive_max_pool1d returning (output, indices) whatever ``return_indices`` says (as PyTorch's does)."""
    return _adaptive_max_pool1d(input, output_size, return_indices=True)


# ---------------------------------------------------------------------------- max unpooling
def _torch_ntuple(value, n):
    """PyTorch's Python-level _ntuple(n): a sequence as a tuple (any length), anything else n times."""
    return tuple(value) if isinstance(value, Iterable) else (value,) * n


def _torch_single(value):
    return _torch_ntuple(value, 1)


def _torch_pair(value):
    return _torch_ntuple(value, 2)


def _torch_triple(value):
    return _torch_ntuple(value, 3)


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
        non_negative = ret[d] >= 0
        # PyTorch checks with torch._check_value, which wants a Python bool: sizes from NumPy numbers or
        # tensors (as kernel_size, stride or padding) fail there.
        if isinstance(non_negative, Tensor):
            raise TypeError("cond must be a bool, but got a Tensor. For tensor conditions, use "
                            "torchless._check_tensor_all() to assert that all elements are true.")
        if not isinstance(non_negative, bool):
            raise TypeError(f"cond must be a bool, but got {type(non_negative)}")
        if not non_negative:
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={ret[d]}")
    return ret


def _check_unpool_indices(input, indices, output_size, fn):
    """The values and indices checks every max unpooling ends with (``fn`` names the kernel)."""
    output_size = tuple(output_size)
    _check_output_resize(tuple(input.shape[:-len(output_size)]) + output_size, input)
    planes = math.prod(input.shape[:-len(output_size)])
    if planes * math.prod(output_size):  # PyTorch's kernel does not run on an empty output
        _check_float(input, fn)
        flat = indices._data.reshape(planes, -1)
        bad = (flat < 0) | (flat >= math.prod(output_size))
        if bad.any():
            # PyTorch's kernel reports the last invalid index it meets.
            raise RuntimeError(f"Found an invalid max index: {flat[bad][-1]} (output volumes are of size "
                               + "x".join(str(n) for n in output_size) + ")")


@native("max_unpool2d", [Param("input", "Tensor"), Param("indices", "Tensor"), Param("output_size", "int[]")],
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
    _check_unpool_indices(input, indices, output_size, "max_unpool2d")
    out = MaxUnpool.apply(input, indices=indices._data, output_size=tuple(output_size))
    x = input._data  # PyTorch's kernel: channels-last for such values (whatever the indices' layout)
    return _memory_format.keep_channels_last(out, x) if _memory_format.may_suggest_channels_last(x) else out


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
    return _max_unpool2d_native(input.unsqueeze(-1), indices.unsqueeze(-1), output_size).squeeze(-1)


# ---------------------------------------------------------------------------- power-average pooling
def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool, avg_pool, cells):
    """PyTorch's power-average pooling, from the max or average pooling of its dimension; ``cells()`` is
    the number of cells of a window (computed after the pooling, which checks kernel_size first)."""
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return (out.sign() * relu(out.abs())).mul(cells()).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""1-D power-average pooling: :math:`f(X) = \left(\sum_{x \in X} x^p\right)^{1/p}` over each window.

    p = ``norm_type``; p = inf is max pooling of |x|, p = -inf the min of |x|. Computed as PyTorch does,
    from avg_pool1d of x^p (a negative window sum, possible for odd p, counts as 0).

    Shape: input (N, C, L) or (C, L); L_out = floor((L - kernel_size) / stride) + 1 (ceil with ceil_mode);
    stride defaults to kernel_size.
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool1d, avg_pool1d, lambda: kernel_size)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""2-D power-average pooling: :math:`f(X) = \left(\sum_{x \in X} x^p\right)^{1/p}` over each window.

    p = ``norm_type``; p = inf is max pooling of |x|, p = -inf the min of |x|. Computed as PyTorch does,
    from avg_pool2d of x^p (a negative window sum, possible for odd p, counts as 0).

    Shape: input (N, C, H, W) or (C, H, W); H_out = floor((H - kernel_size[0]) / stride[0]) + 1
    (ceil with ceil_mode), likewise W_out; stride defaults to kernel_size.
    """
    kw, kh = _torch_pair(kernel_size)
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool2d, avg_pool2d, lambda: kw * kh)


# ---------------------------------------------------------------------------- fractional max pooling
class FractionalMaxPool(Node):
    """Fractional max pooling; backward scatter-adds each output's gradient at its argmax (windows may
    overlap, so several outputs can send gradient to one input cell)."""

    saved, saves = ("indices",), (0,)  # PyTorch saves the input too
    torch_saved = {"self": SavedInput(0), "kernel_size": lambda node: node.kernel_size,
                   "output_size": lambda node: node.indices.shape[-node.spatial:], "result1": Saved("indices")}

    def forward(self, x, pooled=None, indices=None, spatial=2, kernel_size=None):
        self.input_shape, self.indices, self.spatial, self.kernel_size = x.shape, indices, spatial, kernel_size
        self.winners = None  # (for MaxPool.backward_graph: flat indices, no winners)
        return pooled

    def backward(self, grad):
        gx = kernels.max_pool2d_backward(grad.reshape(_flat_planes(grad.shape, self.spatial)),
                                         self.indices.reshape(_flat_planes(grad.shape, self.spatial)),
                                         _flat_planes(self.input_shape, self.spatial))
        return (gx.reshape(self.input_shape),)

    def backward_graph(self, grad):  # MaxPool's: a recorded scatter-add to the argmaxes
        return MaxPool.backward_graph(self, grad)

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
            first along W, the second along H); drawn from torchless's generator when None, so they differ
            from PyTorch's draws.

    Shape: output (N, C, H_out, W_out) or (C, H_out, W_out). Along an axis of size n, window i < out - 1 starts
    at int((i + u) * alpha) - int(u * alpha) with alpha = (n - k) / (out - 1) and u the plane's sample; the last
    one at n - k.
    """
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
    out, indices = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio,
                                                      _random_samples=_random_samples)
    return (out, indices) if return_indices else out


def dispatch_on_return_indices(index, with_indices, without_indices):
    """PyTorch's F.max_pool2d & co. (its boolean_dispatch): the call goes as written to ``with_indices``
    (max_pool2d_with_indices, ...) where ``return_indices`` (by keyword, else the ``index``-th argument) is true,
    else to ``without_indices``, renamed as PyTorch's private function (F._max_pool2d, ...), so that an argument
    error Python raises names the function PyTorch would have called."""
    def dispatched(*args, **kwargs):
        if not kwargs:  # (a layer's call: no dictionary to pass on)
            return (with_indices if index < len(args) and args[index] else without_indices)(*args)
        flag = kwargs["return_indices"] if "return_indices" in kwargs else index < len(args) and args[index]
        return (with_indices if flag else without_indices)(*args, **kwargs)

    public = without_indices.__name__
    functools.update_wrapper(dispatched, without_indices)  # its docstring and signature, for help()
    without_indices.__name__ = without_indices.__qualname__ = f"_{public}"
    return dispatched


# Each function above is PyTorch's private one; the public name dispatches as PyTorch's does (and all pickle by
# reference, under their names).
_max_pool1d, _max_pool2d, _adaptive_max_pool1d, _adaptive_max_pool2d, _fractional_max_pool2d, \
    _fractional_max_pool3d = max_pool1d, max_pool2d, adaptive_max_pool1d, adaptive_max_pool2d, \
    fractional_max_pool2d, fractional_max_pool3d
max_pool1d = dispatch_on_return_indices(6, max_pool1d_with_indices, _max_pool1d)
max_pool2d = dispatch_on_return_indices(6, max_pool2d_with_indices, _max_pool2d)
adaptive_max_pool1d = dispatch_on_return_indices(2, adaptive_max_pool1d_with_indices, _adaptive_max_pool1d)
adaptive_max_pool2d = dispatch_on_return_indices(2, adaptive_max_pool2d_with_indices, _adaptive_max_pool2d)
fractional_max_pool2d = dispatch_on_return_indices(4, fractional_max_pool2d_with_indices, _fractional_max_pool2d)
fractional_max_pool3d = dispatch_on_return_indices(4, fractional_max_pool3d_with_indices, _fractional_max_pool3d)
