"""The autograd nodes of max, average and adaptive average pooling, shared by the 1-D, 2-D and 3-D functionals.

Every variant runs on the kernels of ``torchless._kernels.pool`` (``pool3d`` in 3-D): the input is
viewed as (planes, 1, H, W) or (planes, 1, D, H, W), where planes = batch * channels and a 1-D input
has H = 1, so batched, unbatched and 1-D inputs share one path.
"""
import functools
import math

import numpy as np

from ... import _memory_format
from ..._kernels import pool as kernels
from ..._kernels import pool3d
from ..._ops import unary
from ...autograd import forward_ad
from ...autograd._engine import gradient_unwatched
from ...autograd._graph_backward import with_zero_derivative_of
from ...autograd.graph import FoldedNode, Node
from ...autograd.saved_values import Saved, SavedInput, constant, first_listed, int64
from ._conv_nodes import _graph_gradient_in_layout
from ._pool_args import _output_size, _view_2d


def _plane_shape(shape, spatial):
    """(planes, 1, *window axes) for an array of ``shape`` (..., *spatial) pooled over its last ``spatial``
    axes: (planes, 1, 1, L) in 1-D, (planes, 1, H, W) in 2-D, (planes, 1, D, H, W) in 3-D."""
    axes = tuple(shape[-spatial:]) if spatial > 1 else (1, shape[-1])
    return (math.prod(shape[:-spatial]), 1) + axes


def _as_planes(x, spatial):
    return x.reshape(_plane_shape(x.shape, spatial))


def _from_planes(y, lead, spatial):
    y = y.reshape(lead + (y.shape[2:] if spatial > 1 else y.shape[3:]))
    return y if y.size else _memory_format.with_c_strides(y)  # (NumPy leaves an empty array all-zero strides)


def _flat_planes(shape, spatial):
    """(planes, 1, 1, cells): each plane's window axes as one, for kernels that only see flat positions."""
    return (math.prod(shape[:-spatial]), 1, 1, math.prod(shape[-spatial:]))


# A 1-D pooling is PyTorch's 2-D one over a height of 1, squeezed back: its node is that squeeze.
_SQUEEZED_1D = {"dim": constant(int64(-2)),
                "self_sym_sizes": lambda node: node.input_shape[:-1] + (1, node.output_length())}


_SAVED_UNSQUEEZED = {0: _memory_format.unsqueezed_view}


class _UnsqueezedInput(Saved):
    """A 1-D pooling's input as the 2-D pooling PyTorch runs it on saves it: unsqueezed to (..., 1, L), a tensor of
    the UnsqueezeBackward0 node that the pooling's node lists."""

    def tensor(self, node, shown):
        original = SavedInput(0).tensor(node, shown)
        if original is None:
            return None
        return self.wrap(node, shown, _memory_format.unsqueezed_view(original._data))  # (PyTorch's strides)


class _PooledAs2d(Node):
    """A pooling that PyTorch runs in 1-D as its 2-D pooling of the input unsqueezed to (..., 1, L), the result
    squeezed back. torchless pools in one node, named SqueezeBackward1 (it ends the chain); its
    ``next_functions`` list the two others as folded nodes, with what they saved (``pooled_2d``: the 2-D node's
    name and saved-value specs)."""

    pooled_2d = None
    grad_format = None  # the channels-last format of the input's gradient, if any (see _keep_channels_last)

    @property
    def saved_as_views(self):
        """A 1-D pooling's input is saved as PyTorch's 2-D pooling saves it: its unsqueeze(-2) (which an in-place
        change's error describes)."""
        return _SAVED_UNSQUEEZED if self.spatial == 1 else {}

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
    with zeros); in 1-D that 2-D op between an unsqueeze and a squeeze, whose SqueezeBackward1 ends the chain.
    ``gx`` is laid out as backward's (see _in_grad_format)."""
    grad_format = getattr(node, "grad_format", None)  # (fractional max pooling's gradient is C-contiguous)
    if grad_format is not None:
        gx = _graph_gradient_in_layout(gx.unsqueeze(-2), grad_format).squeeze(-2) if node.spatial == 1 else \
            _graph_gradient_in_layout(gx, grad_format)
    the_input = node.graph_input(0, np.broadcast_to(np.zeros((), grad._data.dtype), node.input_shape))
    if node.spatial != 1:
        return with_zero_derivative_of(gx, the_input, node.name().removesuffix("0") + "Backward0", grad,
                                       like_anchor=True)
    name = node.pooled_2d()[0].removesuffix("0") + "Backward0"
    return with_zero_derivative_of(gx.unsqueeze(-2), the_input.unsqueeze(-2), name, grad.unsqueeze(-2),
                                   like_anchor=True).squeeze(-2)


def _in_half_opmath(kernel, a, *args):
    """``kernel(a, *args)``; of a float16 array, computed in float32 and rounded once, as PyTorch's average
    pooling kernels accumulate and divide a half tensor in its opmath type (rounding each step to half would
    differ in the last bit)."""
    if a.dtype != np.float16 and a.dtype.kind != "V":  # (nor bfloat16, computed alike)
        return kernel(a, *args)
    return kernel(a.astype(np.float32), *args).astype(a.dtype)


def _keep_channels_last(out, x, unsqueezed=False):
    """_memory_format.keep_channels_last of a pooling's output(s) on the input array ``x``; PyTorch's backward
    kernels write the input's gradient in the format the input suggests too, so the pooling's node is told it.
    Inside vmap, a batched output is left as the batching rule laid it out (see forward_ad's _folded_batch_rank)."""
    if not (forward_ad.state.vmap_levels and forward_ad.batched_here(out[0] if isinstance(out, tuple) else out)):
        out = _memory_format.keep_channels_last(out, x, unsqueezed=unsqueezed)
    node = (out[0] if isinstance(out, tuple) else out)._grad_fn
    if isinstance(node, _PooledAs2d):
        node.grad_format = _memory_format.output_format(_memory_format.unsqueezed_view(x) if unsqueezed else x)
    return out


def _unsqueezed_specs(specs, **replaced):
    """The 2-D node's saved-value specs of a 1-D pooling: its input unsqueezed; other tensors as ``replaced``."""
    return {**specs, "self": _UnsqueezedInput(None, grad_fn=first_listed), **replaced}  # of the UnsqueezeBackward0


def _saved_indices(node):
    """The indices as PyTorch's kernel returns (and saves) them: laid out in the channels-last format the input
    suggests, if any."""
    return _in_input_format(node, node.flat_indices())


def _unsqueezed_indices(node):
    """A 1-D max pooling's indices as the 2-D kernel PyTorch runs it on returns them: (..., 1, L), in the format
    of the input's unsqueeze(-2) (channels-last for a batch of channels with stride 1)."""
    return _in_input_format(node, _memory_format.unsqueezed_view(node.flat_indices()))


def _in_input_format(node, array):
    return array if node.grad_format is None else _memory_format.in_format(array, node.grad_format)


def _relu_pool_backward_into(gx, grad, nonzero, winners, images):
    """gx[images] of max pooling a ReLU's output (N, C, H, W), the ReLU's mask done at the pooled resolution
    (``nonzero``; see Relu.masked_by_consumer): MaxPool.backward's, for a slice of the batch."""
    kernels.max_pool2d_backward_images_into(gx, unary.pass_where(nonzero[images], grad[images]), winners, images)


class MaxPool(_PooledAs2d):
    """Max pooling; backward sends each output's gradient to its argmax.

    The kernel runs in the functional because its argmax is an output of its own. max_pool saves
    the kernel's winners (one small tap id per window; backward writes tap by tap, no scatter);
    adaptive max pooling, whose windows have no fixed taps, saves flat indices instead.
    """

    saved, saves = ("winners", "indices", "nonzero"), (0,)  # PyTorch saves the input too
    _with_indices = {
        "self": SavedInput(0),
        "result1": Saved(_saved_indices),
        "kernel_size": lambda node: node.arguments[0],
        "stride": lambda node: node.arguments[1],
        "padding": lambda node: node.arguments[2],
        "dilation": lambda node: node.arguments[3],
        "ceil_mode": lambda node: node.arguments[4],
    }
    torch_saved = {
        "MaxPool2DWithIndicesBackward0": _with_indices,
        "MaxPool3DWithIndicesBackward0": _with_indices,
        "AdaptiveMaxPool2DBackward0": {"self": SavedInput(0), "result1": Saved(_saved_indices)},
        "AdaptiveMaxPool3DBackward0": {"self": SavedInput(0), "result1": Saved(_saved_indices)},
        "SqueezeBackward1": _SQUEEZED_1D,
    }

    def forward(self, x, pooled=None, winners=None, indices=None, spatial=2, name="MaxPool2DWithIndicesBackward0",
                after_relu=False, arguments=None):
        """``arguments``: (kernel, stride, padding, dilation, ceil_mode) as PyTorch's node shows them (_saved_*)."""
        self.input_shape, self.spatial, self._name, self.arguments = x.shape, spatial, name, arguments
        self.winners, self.indices = winners, indices
        self.pooled_length = pooled.shape[-1]  # (kept past backward's release of the winners: see output_length)
        # Pooling a ReLU's output (a CNN's every block), backward can do the ReLU's mask for it, at the
        # pooled resolution (see Relu.masked_by_consumer): where the pooled value is 0. Kept from here, as
        # PyTorch lets the pooled output change in place before backward.
        self.nonzero = None
        if after_relu and spatial < 3 and winners.geometry.every_window_has_a_tap:
            self.nonzero = np.not_equal(pooled, 0)
        return pooled

    def jvp(self, tangents, arrays, params, out):  # the tangent at each window's maximum
        return forward_ad.gathered_tangent(tangents[0], self.flat_indices(), self.spatial, out)

    def backward(self, grad):
        relu = self.edges[0] if self.nonzero is not None else None
        if relu is not None and gradient_unwatched(relu):
            convolution = relu.edges[0]
            if (self.grad_format is None and self.spatial == 2 and len(self.input_shape) == 4
                    and getattr(convolution, "takes_gradient_later", None) is not None
                    and convolution.takes_gradient_later(relu, self.input_shape, grad.dtype)):
                # The convolution under the ReLU computes this gradient itself, each shard of its split call its own
                # images' part, right before their gradients (two serial passes fewer, their parts in cache)
                gx = np.empty(self.input_shape, grad.dtype)
                convolution.gradient_later(gx, functools.partial(_relu_pool_backward_into, gx, grad, self.nonzero,
                                                                 self.winners))
            else:
                masked = _as_planes(unary.pass_where(self.nonzero, grad), self.spatial)
                gx = kernels.max_pool2d_backward_winners(masked, self.winners).reshape(self.input_shape)
            gx = relu.masked_by_consumer(gx)
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
            planes_grad = _as_planes(grad, 3)
            if self.winners.moved is not None:  # their gradient goes where their index says: added below
                planes_grad = np.where(self.winners.moved.reshape(planes_grad.shape), 0, planes_grad)
            gx = pool3d.max_pool3d_backward_winners(planes_grad, self.winners)
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
        return self.pooled_length

    def _add_tapless_windows(self, gx, grad):
        """A window lying wholly in the padding (possible with dilation) has no winner, but PyTorch reports an
        index for it (its first tap past the padding, on each axis) and its backward adds the window's gradient
        there: to whatever cell that flat index names when it lies inside the plane (it is dropped otherwise).
        So are the windows a 3-D channels-last kernel reports elsewhere (MaxPool3dWinners.moved)."""
        winners = self.winners
        moved = None
        if isinstance(winners, pool3d.MaxPool3dWinners):
            windows, geometry = winners.windows, winners.planes.geometry
            plane_missing = geometry.first_tap == geometry.tap_count
            missing = (windows.first_tap == windows.kernel)[:, None, None] | plane_missing[None]
            moved = winners.moved
        else:
            geometry = winners.geometry
            missing = geometry.first_tap == geometry.tap_count
        planes, cells = math.prod(gx.shape[:-self.spatial]), math.prod(gx.shape[-self.spatial:])
        if not (planes and (missing.any() or moved is not None)):
            return gx
        indices = winners.flat_indices().reshape(planes, -1)
        values = np.asarray(grad).reshape(planes, -1)
        keep = missing.reshape(1, -1) if moved is None else missing.reshape(1, -1) | moved.reshape(planes, -1)
        keep = keep & (indices >= 0) & (indices < cells)
        if keep.any():
            flat = np.array(gx).reshape(planes, cells)
            rows = np.broadcast_to(np.arange(planes)[:, None], keep.shape)[keep]
            np.add.at(flat, (rows, indices[keep]), values[keep].astype(flat.dtype, copy=False))
            gx = flat.reshape(gx.shape)
        return gx

    def backward_graph(self, grad):
        if self.winners is None:  # (adaptive max pooling's backward refuses an empty output plane, recorded or not)
            _check_grad_output(grad._data, self.spatial, f"adaptive_max_pool{max(self.spatial, 2)}d_backward")
        return (_gradient_reading_input(self, _scattered_to_maxima(self, grad), grad),)

    def name(self):
        return self._name

    def pooled_2d(self):
        name = "AdaptiveMaxPool2DBackward0" if self.winners is None else "MaxPool2DWithIndicesBackward0"
        return name, _unsqueezed_specs(self.torch_saved[name], result1=Saved(_unsqueezed_indices))


def _scattered_to_maxima(node, grad):
    """The input gradient of the max pooling ``node`` (plain, adaptive or fractional) as an op of the graph: a
    scatter-add of each window's gradient to its argmax, whose own gradient gathers at the argmaxes."""
    from ..._ops.indexing import Scatter

    indices = node.indices if node.winners is None else node.winners.flat_indices()
    planes = math.prod(node.input_shape[:-node.spatial])
    cells = math.prod(node.input_shape[-node.spatial:])
    windows = math.prod(grad._data.shape[-node.spatial:])  # (not -1: an empty batch has no planes to infer from)
    indices, shares = indices.reshape(planes, windows), grad.reshape(planes, windows)
    outside = (indices < 0) | (indices >= cells)
    if outside.any():  # windows wholly in the padding, whose index lies past the plane: dropped, as in backward
        indices, shares = np.where(outside, 0, indices), shares * grad._wrap(~outside)
    zeros = grad._wrap(np.zeros((planes, cells), grad._data.dtype))
    key = (np.arange(planes)[:, None], indices)
    return Scatter.apply(zeros, shares, key=key, add=True).reshape(node.input_shape)


_AVG_POOL_KERNELS = {2: (kernels.avg_pool2d_forward, kernels.avg_pool2d_backward),
                     3: (pool3d.avg_pool3d_forward, pool3d.avg_pool3d_backward)}


class AvgPool(_PooledAs2d):
    """Average pooling (zero padding; divisor per PyTorch's count_include_pad / divisor_override)."""
    # (bfloat16 as float16: the forward in float32 rounded once, the backward's shares added in bfloat16)
    bfloat16_in_float32 = "kernel"

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
        if x.dtype.kind not in "fV":  # int64: PyTorch divides the integer window sums, truncating
            pooled = np.trunc(pool_forward(planes.astype(np.float64), *self.args)).astype(x.dtype)
        else:
            pooled = _in_half_opmath(pool_forward, planes, *self.args)
        return _from_planes(pooled, x.shape[:-spatial], spatial)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        # (half and bfloat16: PyTorch's order of their additions; its avg_pool3d refuses half, and computes bfloat16
        # in float32)
        planes, shape = _as_planes(grad, self.spatial), _plane_shape(self.input_shape, self.spatial)
        if grad.dtype.itemsize == 2 and self.spatial < 3:
            gx = kernels.avg_pool2d_backward_half(planes, shape, *self.args)
        elif grad.dtype.kind == "V":
            gx = _AVG_POOL_KERNELS[3][1](planes.astype(np.float32), shape, *self.args).astype(grad.dtype)
        else:
            gx = _AVG_POOL_KERNELS[max(self.spatial, 2)][1](planes, shape, *self.args)
        gx = gx.reshape(self.input_shape)
        return (gx if self.grad_format is None else self._in_grad_format(gx),)

    def backward_graph(self, grad):
        return (_gradient_reading_input(self, _recorded_gradient(self, grad), grad),)

    def pooling_arguments(self):
        """The keywords of ``apply`` pooling as this node does, in 2-D for a 1-D pooling (see PoolingBackward)."""
        kernel, stride, padding, ceil_mode, count_include_pad, divisor_override = self.args
        return dict(spatial=max(self.spatial, 2), kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                    count_include_pad=count_include_pad, divisor_override=divisor_override)

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

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        _check_grad_output(grad, self.spatial, f"adaptive_avg_pool{max(self.spatial, 2)}d_backward")
        if grad.size == 0:
            gx = np.zeros(self.input_shape, grad.dtype)
        else:
            pool_backward = kernels.adaptive_avg_pool_backward_half if grad.dtype == np.float16 else \
                kernels.adaptive_avg_pool_backward  # (half: PyTorch's order of additions)
            gx = pool_backward(_as_planes(grad, self.spatial),
                               _plane_shape(self.input_shape, self.spatial)).reshape(self.input_shape)
        # (the kernel's window sums leave size-1 dims odd strides, which PyTorch's stride() would show)
        return (_memory_format.c_ordered(gx) if self.grad_format is None else self._in_grad_format(gx),)

    def backward_graph(self, grad):
        return (_gradient_reading_input(self, _recorded_gradient(self, grad), grad),)

    def pooling_arguments(self):
        """The keywords of ``apply`` pooling as this node does, in 2-D for a 1-D pooling (see PoolingBackward)."""
        return dict(spatial=max(self.spatial, 2), output_size=self.output_size)

    def name(self):
        return "SqueezeBackward1" if self.spatial == 1 else f"AdaptiveAvgPool{self.spatial}DBackward0"

    def pooled_2d(self):
        return "AdaptiveAvgPool2DBackward0", _unsqueezed_specs(self.torch_saved["AdaptiveAvgPool2DBackward0"])


def _recorded_gradient(pool, grad):
    """The input's gradient of the average pooling ``pool`` (plain or adaptive), computed from ``grad`` as an op of
    the graph (create_graph=True)."""
    if pool.spatial == 1:  # PyTorch pools 1-D as 2-D, its gradient then squeezed back
        return PoolingBackward.apply(grad.unsqueeze(-2), pool=pool).squeeze(-2)
    return PoolingBackward.apply(grad, pool=pool)


class PoolingBackward(Node):
    """An average pooling's gradient as an op of the graph: linear in the output's gradient, whose adjoint is the
    pooling itself (PyTorch's avg_pool2d_backward's derivative is avg_pool2d, ...), laid out as that pooling's
    kernel lays out its output: in 2-D in the channels-last format its input suggests, in 3-D C-contiguous."""

    def forward(self, grad, pool=None):
        self.pooling, self.arguments, self.unsqueezed = type(pool), pool.pooling_arguments(), pool.spatial == 1
        if self.unsqueezed:  # a 1-D pool's gradient comes and goes as (..., 1, L), 2-D pooling's shape
            gx = pool.backward(grad.squeeze(-2))[0]
            return gx.reshape(gx.shape[:-1] + (1,) + gx.shape[-1:])
        return pool.backward(grad)[0]

    def _as_pooled(self, grad):
        """``grad`` (..., 1, L) of a 1-D pooling with the strides of PyTorch's unsqueeze(-2), which the pooling's
        layout follows (squeeze's gradient may give its axis of 1 any stride)."""
        return _memory_format.unsqueezed_view(grad[..., 0, :]) if self.unsqueezed else grad

    def backward(self, grad):
        pooled = self.pooling().forward(grad, **self.arguments)
        if self.arguments["spatial"] == 3:
            return (_memory_format.c_ordered(pooled),)
        return (_memory_format.in_format_of(pooled, self._as_pooled(grad)),)

    def backward_graph(self, grad):
        pooled = self.pooling.apply(grad, **self.arguments)
        if self.arguments["spatial"] == 3:
            return (_memory_format.in_c_order(pooled),)
        return (_keep_channels_last(pooled, self._as_pooled(grad._data)),)

    def name(self):
        return f"{self.pooling.__name__}{self.arguments['spatial']}DBackwardBackward0"


def _check_grad_output(grad, spatial, fn):
    """PyTorch's adaptive pooling backward refuses an empty output plane (output_size 0), which its
    forward allowed; 1-D pooling runs as 2-D, so its gradient is named with the extra axis."""
    shape = list(_view_2d(grad.shape, spatial))
    for axis in range(1, len(shape)):
        if shape[axis] == 0:
            raise RuntimeError(f"{fn}(): Expected grad_output to have non-zero size for non-batch dimensions, but "
                               f"grad_output has sizes {shape} with dimension {axis} being empty")
