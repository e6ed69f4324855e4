"""``pad``: constant, reflect, replicate and circular padding of the last dimensions, with PyTorch's checks.

The pad tuple lists (before, after) widths from the last dimension backwards; negative widths crop.
Constant padding is the core's ConstantPad; the other modes gather each padded axis through an index
array (the core's IndexPad), whose backward scatter-adds into the input.
"""
import math

import numpy as np

from ... import _dtype, _memory_format
from ..._ops import shape as shape_ops
from ...autograd import forward_ad, grad_mode
from ...autograd._graph_backward import with_zero_derivative_of
from ...autograd.graph import COPY_SLICES
from ...autograd.saved_values import SavedInput, int64
from ..._tensor import Tensor
from ._args import _int_list, _is_list_int, _tp_name, check_tensor, is_float_arg, unpack_error
from ._conv_nodes import _graph_gradient_in_layout

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")
_UNSUPPORTED = ("Padding size {size} is not supported for {ndim}D input tensor.\n"
                "Supported combinations for non-constant padding:\n"
                "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


class ConstantPadNd(shape_ops.ConstantPad):
    """The core's constant padding under PyTorch's node name, never returning a view of its input."""

    def forward(self, a, widths=None, value=0.0, pad=None):
        out = super().forward(a, widths=widths, value=value, pad=pad)
        # (NumPy sees no memory shared with an empty array, which a crop of one narrows all the same)
        if np.may_share_memory(out, a) or (not out.size and all(lo <= 0 and hi <= 0 for lo, hi in widths)):
            # a crop: PyTorch's clone of the narrowed input, in that view's layout
            return _memory_format.preserving(out.copy(order="K"), out)
        # padded on one side and cropped on another: out is a view into the grown array, where PyTorch copies the
        # input into a new tensor of the output's shape (C-contiguous; channels-last as pad lays it out)
        return _memory_format.c_ordered(out)

    def backward(self, grad):
        # PyTorch's: constant_pad_nd of the gradient with the widths negated, so laid out as the forward is
        if all(lo >= 0 and hi >= 0 for lo, hi in self.widths):  # a crop: a clone of the narrowed gradient
            narrowed = grad[self.original]
            return (_memory_format.preserving(narrowed.copy(order="K"), narrowed),)
        (gx,) = super().backward(grad)
        return (_memory_format.in_format_of(gx, grad),)

    def backward_graph(self, grad):  # (the core's, next to the backward above, which it computes as tensor ops)
        return super().backward_graph(grad)


_PAD_SAVED = {"padding": lambda node: int64(node.pad), "self": SavedInput(0)}


class IndexPad(shape_ops.IndexPad):
    """The core's gather padding under the node name PyTorch gives each mode and rank."""

    torch_saved = {f"{mode}Pad{n}DBackward0": _PAD_SAVED for mode in ("Reflection", "Replication") for n in (1, 2, 3)}

    def forward(self, a, axis_indices=None, node_name=None, pad=None):
        """``pad``: F.pad's argument, which the node shows."""
        self.node_name, self.pad = node_name, pad
        # the gradient's layout: PyTorch's reflection and replication backward kernels write it in the format the
        # input suggests, the gradients of circular padding's slices add up C-contiguous
        self.grad_format = None
        if node_name == COPY_SLICES:  # circular: PyTorch's copies of slices save nothing of the input
            self._checked_inputs, self._saves_tensors = (), False
        elif a.ndim > 3 and _memory_format.may_suggest_channels_last(a):
            self.grad_format = _memory_format.output_format(a)
        return super().forward(a, axis_indices=axis_indices)

    def backward(self, grad):
        (gx,) = self._summed_backward(grad)
        return (_memory_format.c_ordered(gx) if self.grad_format is None else
                _memory_format.in_format(gx, self.grad_format),)

    def _summed_backward(self, grad):
        # PyTorch's kernels add each output element's gradient into its source element in the output's order,
        # all padded dims at once; summing one axis after another would associate the float additions otherwise
        # (circular padding is PyTorch's copies of slices, whose gradients add up slice by slice)
        if self.node_name == COPY_SLICES:
            return (self._copies_backward(grad),)
        if len(self.axis_indices) < 2:
            return super().backward(grad)
        axes = [axis for axis, _ in self.axis_indices]
        kept = [axis for axis in range(grad.ndim) if axis not in axes]
        sources = np.ravel_multi_index(np.meshgrid(*(index for _, index in self.axis_indices), indexing="ij"),
                                       [self.input_shape[axis] for axis in axes]).reshape(-1)
        lead = [grad.shape[axis] for axis in kept]
        flat = np.transpose(grad, kept + axes).reshape(lead + [sources.size])
        summed = np.zeros(lead + [math.prod(self.input_shape[axis] for axis in axes)], grad.dtype)
        np.add.at(summed, (Ellipsis, sources), flat)
        summed = summed.reshape(lead + [self.input_shape[axis] for axis in axes])
        return (np.transpose(summed, np.argsort(kept + axes)),)

    def _copies_backward(self, grad):
        """The gradient of PyTorch's circular padding, undoing its copies in reverse, each in the gradient's dtype
        (the association of half-precision sums): the first padded dim's first, its right side's before its left
        side's, then the copy of the input's cells kept (negative widths crop them) into the output's centre.

        Each copy's gradient is CopySlices's: the destination's cells move to the source's, the destination's
        zeroed first. Where a padding beside a crop is wider than the cells kept, PyTorch's copy reads cells it
        has just written, and this moves less than a sum over the output cells repeating an input cell."""
        gx = np.zeros(self.input_shape, grad.dtype)
        if not grad.size:  # (an empty output: the slices below could be of negative lengths)
            return gx
        grad = grad.copy()
        widths = list(zip(self.pad[::2], self.pad[1::2]))[::-1]  # (before, after), first padded dim first
        first = grad.ndim - len(widths)
        out_centre, in_centre = [slice(None)] * first, [slice(None)] * first
        for axis, (before, after) in enumerate(widths, first):
            _undo_circular_copies(grad, axis, before, after)
            out_centre.append(slice(max(before, 0), grad.shape[axis] - max(after, 0)))
            in_centre.append(slice(max(-before, 0), self.input_shape[axis] - max(-after, 0)))
        gx[tuple(in_centre)] = grad[tuple(out_centre)]
        return gx

    def _copies_backward_graph(self, grad):
        """_copies_backward as tensor operations: each padded dim's copies move every output cell's gradient to at
        most one input cell (_circular_sources), independently of the other dims, so the gradient is a gather-sum
        along each, of the cells not dropped."""
        from ..._ops.indexing import IndexPutAccumulate

        widths = list(zip(self.pad[::2], self.pad[1::2]))[::-1]
        for axis, (before, after) in enumerate(widths, grad.ndim - len(widths)):
            size = self.input_shape[axis]
            moved = grad.movedim(axis, 0)
            # (one more row, cut off after, collects the dropped cells' gradients)
            rows = grad._wrap(np.zeros((size + 1,) + tuple(moved._data.shape[1:]), grad._data.dtype))
            sources = _circular_sources(size, before, after)
            grad = IndexPutAccumulate.apply(rows, moved, key=(sources,))[:size].movedim(0, axis)
        return grad

    def backward_graph(self, grad):  # (next to the backward above, which it computes as tensor operations)
        (gx,) = (self._copies_backward_graph(grad),) if self.node_name == COPY_SLICES else super().backward_graph(grad)
        # laid out as backward's (the gathers here end moved), size-1 dims' strides too
        gx = _graph_gradient_in_layout(gx, self.grad_format)
        if self.node_name == COPY_SLICES:
            return (gx,)
        # PyTorch's reflection_pad/replication_pad backward ops read the input too, with derivative zero there
        the_input = self.graph_input(0, np.broadcast_to(np.zeros((), grad._data.dtype), self.input_shape))
        name = self.node_name.removesuffix("0") + "Backward0"  # ReflectionPad2DBackwardBackward0
        return (with_zero_derivative_of(gx, the_input, name, grad, like_anchor=True),)

    def name(self):
        return self.node_name


def _undo_circular_copies(grad, axis, before, after):
    """Undo, in ``grad`` (in place), circular padding's copies along ``axis`` (see IndexPad._copies_backward)."""
    size, kept_before, kept_after = grad.shape[axis], max(before, 0), max(after, 0)
    if after > 0:
        _move_copied_gradient(grad, axis, size - after, kept_before, after)
    if before > 0:
        _move_copied_gradient(grad, axis, 0, size - before - kept_after, before)


def _circular_sources(size, before, after):
    """For each output cell of circular padding along one dim of ``size`` cells, the input cell its gradient goes
    to (``size`` where it is dropped): the copies undone on one-hot gradients."""
    out_size = size + before + after
    moved = np.eye(out_size)  # (row j: the gradient of output cell j alone)
    _undo_circular_copies(moved, 1, before, after)
    per_input = np.zeros((out_size, size))
    per_input[:, max(-before, 0):size - max(-after, 0)] = moved[:, max(before, 0):out_size - max(after, 0)]
    return np.where(per_input.any(axis=1), per_input.argmax(axis=1), size)


def _move_copied_gradient(grad, axis, destination, source, length):
    """Undo the copy of ``length`` cells from ``source`` to ``destination`` along ``axis`` in ``grad`` (in
    place)."""
    def cells(start):
        return (slice(None),) * axis + (slice(start, start + length),)

    copied = grad[cells(destination)].copy()
    grad[cells(destination)] = 0
    grad[cells(source)] += copied


def _pad_list(pad):
    """The parser's quick check of ``pad`` (its first element only); see _convert_pad for the rest."""
    if isinstance(pad, Tensor) or not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not {_tp_name(pad)}")
    if pad and not _is_list_int(pad[0]):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                        f"{_tp_name(pad[0])} at pos 0")
    return pad


def _convert_pad(pad):
    """The parser's conversion, after every argument passed its quick check: a later non-int fails here
    (where, unlike the first element, a bool passes), or an int beyond int64."""
    converted = _int_list(pad, len(pad), symbolic=True)
    if isinstance(converted, int):
        raise unpack_error("pad", "pad", pad, converted)
    return converted


def _check_value(value):
    """``value`` is a ``float?`` for PyTorch's parser: a Python or NumPy number, or a 0-d tensor not requiring
    grad; F.pad hands it over by position."""
    if value is None or is_float_arg(value):
        return
    raise TypeError(f"pad(): argument 'value' (position 4) must be float, not {_tp_name(value)}")


def _widths(pad, ndim):
    """(before, after) per axis, the pad list read from the last axis backwards."""
    widths = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        widths[ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return widths


def _source_positions(size, before, after, mode):
    """For each output position along an axis, the input position it copies."""
    if mode == "circular":
        # PyTorch crops the negative widths first, then wraps around what is left.
        start, kept = max(-before, 0), size - max(-before, 0) - max(-after, 0)
        if kept <= 0:
            return np.arange(start, start + max(kept, 0))
        return start + np.arange(-max(before, 0), kept + max(after, 0)) % kept
    positions = np.arange(-before, size + after)
    if mode == "reflect":
        positions = np.abs(positions)
        return np.where(positions >= size, 2 * (size - 1) - positions, positions)
    return np.clip(positions, 0, size - 1)


def _check_reflect(shape, widths, padded):
    for k, axis in enumerate(range(len(shape) - 1, len(shape) - 1 - padded, -1)):
        before, after = widths[axis]
        if before >= shape[axis] or after >= shape[axis]:
            raise RuntimeError(f"Argument #{4 + 2 * k}: Padding size should be less than the corresponding input "
                               f"dimension, but got: padding ({before}, {after}) at dimension {axis} of input "
                               f"{list(shape)}")


def _check_circular(shape, widths):
    for size, (before, after) in zip(shape, widths):
        if before > size or after > size:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if size + before + after < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")


def _check_circular_copies(shape, widths, padded):
    """PyTorch fills the circular padding by copies within its output, axis after axis: the left cells from the
    right end of the cells kept, the right cells from the left end. Where a padding is wider than what is kept,
    a copy's source and destination overlap; copy_ refuses that when both slices are dense (every axis before
    theirs of size 1, or the whole axis), and it can tell."""
    out_shape = [n + lo + hi for n, (lo, hi) in zip(shape, widths)]
    if 0 in out_shape:
        return
    for axis in range(len(shape) - padded, len(shape)):
        (lo, hi), size = widths[axis], out_shape[axis]
        copies = ([(0, size - lo - max(hi, 0), lo)] if lo > 0 else []) + \
            ([(size - hi, max(lo, 0), hi)] if hi > 0 else [])
        for destination, source, length in copies:
            dense = length == size or all(n == 1 for n in out_shape[:axis])
            if dense and destination != source and abs(destination - source) < length:
                raise RuntimeError("unsupported operation: some elements of the input tensor and the written-to "
                                   "tensor refer to a single memory location. Please clone() the tensor before "
                                   "performing the operation.")


def _check_output_size(shape, out_shape, padded, mode):
    """PyTorch's reflect/replicate checks on negative padding (each kernel words them its own way)."""
    sizes, outs = shape[-padded:], out_shape[-padded:]
    if all(n < 1 for n in outs):
        if padded == 1:
            raise RuntimeError(f"input (W: {sizes[0]}) is too small. Calculated output W: {outs[0]}")
        if padded == 2:
            space = " " if mode == "replicate" else ""
            raise RuntimeError(f"input (H: {sizes[0]}, W: {sizes[1]}{space}) is too small. Calculated output "
                               f"H: {outs[0]} W: {outs[1]}")
        raise RuntimeError(f"input (D: {sizes[0]} H: {sizes[1]}, W: {sizes[2]}) is too small. Calculated output "
                           f"D: {outs[0]} H: {outs[1]} W: {outs[2]}")
    negative = [n for n in outs if n < 0]
    if negative:
        if mode == "reflect" and padded == 2:
            raise RuntimeError("numel: integer multiplication overflow")
        raise RuntimeError(f"Trying to create tensor with negative dimension {negative[0]}: {out_shape}")


def _index_pad(input, widths, padded, mode):
    shape = tuple(input.shape)
    ndim = len(shape)
    if mode == "circular":  # slicing and copying in PyTorch: no kernel to refuse empty dimensions or bools
        _check_circular(shape, widths)
        _check_circular_copies(shape, widths, padded)
        if any(n - max(-lo, 0) - max(-hi, 0) <= 0 < n + lo + hi for n, (lo, hi) in zip(shape, widths)):
            # Negative widths crop a dimension away while the positive one still asks for cells: PyTorch
            # then wraps cells it never wrote (its output keeps whatever memory held, its gradient is 0).
            # The same shape, filled with zeros.
            return ConstantPadNd.apply(input, widths=widths, value=0)
        if input._requires_grad and grad_mode.is_grad_enabled() and not forward_ad.traced((input,)):
            return _circular_by_copies(input, widths, padded)
    else:
        if 0 in shape[-padded - 1:]:
            raise RuntimeError(f"Expected {padded + 1}D or {padded + 2}D (batch mode) tensor with possibly 0 batch "
                               f"size and other non-zero dimensions for input, but got: {list(shape)}")
        if mode == "reflect":
            _check_reflect(shape, widths, padded)
        _check_output_size(shape, [n + lo + hi for n, (lo, hi) in zip(shape, widths)], padded, mode)
        if input.dtype.name == "bool" or input._data.dtype.kind == "u" and input._data.itemsize > 1:
            kernel = f"{'reflection' if mode == 'reflect' else 'replication'}_pad{padded}d"
            if ndim == padded + 2:  # a batch: the kernels' channels-last variants
                kernel = _memory_format.kernel_name(kernel, input._data)
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
    axis_indices = [(axis, _source_positions(shape[axis], *widths[axis], mode))
                    for axis in range(ndim - padded, ndim)]
    node_name = COPY_SLICES if mode == "circular" else \
        f"{'Reflection' if mode == 'reflect' else 'Replication'}Pad{padded}DBackward0"
    pad = tuple(width for axis in reversed(range(ndim - padded, ndim)) for width in widths[axis])
    return IndexPad.apply(input, axis_indices=axis_indices, node_name=node_name, pad=pad)


def _circular_by_copies(input, widths, padded):
    """Circular padding recorded as PyTorch's _pad_circular makes it, for its graph: the input's kept cells copied
    into a new tensor's centre, then each padded dim's left and right cells copied from inside it (last dim
    first), so a chain of CopySlices nodes over SliceBackward0 ones, whose backward adds the gradients up in its
    order."""
    in_shape = tuple(input.shape)
    nonpadded = len(in_shape) - padded
    out_shape = list(in_shape[:nonpadded]) + [n + lo + hi for n, (lo, hi) in zip(in_shape[nonpadded:],
                                                                              widths[nonpadded:])]
    out = input.new_empty(out_shape)

    def sliced(tensor, dim, start, end):
        """aten's slice: a SliceBackward0 node (a full range's too), negative ends counted from the end, then
        both clamped into the dim."""
        size = tensor.shape[dim]
        start, end = start + size if start < 0 else start, end + size if end < 0 else end
        start = min(max(start, 0), size)
        return tensor.narrow(dim, start, min(max(end, start), size) - start)

    out_slice, in_slice = out, input
    dims = range(len(in_shape) - 1, nonpadded - 1, -1)  # (PyTorch's order: the last dim first)
    for dim in dims:
        lo, hi = widths[dim]
        out_slice = sliced(out_slice, dim, max(lo, 0), out_shape[dim] - max(hi, 0))
        in_slice = sliced(in_slice, dim, max(-lo, 0), in_shape[dim] - max(-hi, 0))
    out_slice.copy_(in_slice)
    for dim in dims:
        lo, hi = widths[dim]
        if lo > 0:
            sliced(out, dim, 0, lo).copy_(sliced(out, dim, out_shape[dim] - lo - max(hi, 0),
                                                 out_shape[dim] - max(hi, 0)))
        if hi > 0:
            sliced(out, dim, out_shape[dim] - hi, out_shape[dim]).copy_(sliced(out, dim, max(lo, 0), max(lo, 0) + hi))
    return out


def pad(input, pad, mode="constant", value=None):
    out = _pad(input, pad, mode, value)
    # PyTorch's padding kernels lay their output out channels-last for such an input, else C-contiguous (circular
    # padding, made of slices and copies, does not; nor a constant one that only crops: a clone of a narrowed view,
    # in its layout)
    x = input._data
    if out is input or x.ndim < 2 or (mode == "constant" and all(int(p) <= 0 for p in pad)):
        return out
    if mode == "circular" or not x.size:  # (C order: an empty input suggests no channels-last format)
        return _memory_format.in_c_order(out)
    if _memory_format.may_suggest_channels_last(x) or not out._data.size:  # (NumPy gives an empty result 0 strides)
        return _memory_format.keep_channels_last(out, x)
    return out


def _pad(input, pad, mode="constant", value=None):
    """Pad the last len(pad) // 2 dimensions of input.

    pad = (left, right) pads the last dimension, (left, right, top, bottom) the last two, and so on.
    mode: 'constant' (fill with value, default 0; negative widths crop), 'reflect' (mirror without
    repeating the edge; widths smaller than the dimension), 'replicate' (repeat the edge) or
    'circular' (wrap around). The non-constant modes pad the last 1, 2 or 3 dimensions of an input
    with one or two more dimensions. Output size along a padded dim: n + before + after.
    """
    check_tensor(input, "pad")
    _pad_list(pad)
    if not isinstance(mode, str):
        raise TypeError(f"pad(): argument 'mode' (position 3) must be str, not {_tp_name(mode)}")
    _check_value(value)
    pad = _convert_pad(pad)
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    ndim = input.dim()
    if len(pad) > 2 * ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {ndim}")
    widths = _widths(pad, ndim)
    if isinstance(value, Tensor):
        value = value.item()
    if mode == "constant":
        for size, (before, after) in zip(input.shape, widths):
            if size + min(before, 0) + min(after, 0) < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
        if value is not None and any(before > 0 or after > 0 for before, after in widths):
            # A float for PyTorch's parser, converted to the input's dtype when it fills something (NaN or a
            # value out of an integer dtype's range is refused); a pure crop never reads it.
            value = _dtype.scalar_argument(float(value), input._data.dtype)
        return ConstantPadNd.apply(input, widths=widths, value=0 if value is None else value, pad=tuple(pad))
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    padded = len(pad) // 2
    if padded not in (1, 2, 3) or not padded + 1 <= ndim <= padded + 2:
        raise NotImplementedError(_UNSUPPORTED.format(size=len(pad), ndim=ndim))
    return _index_pad(input, widths, padded, mode)


pad.__doc__ = _pad.__doc__
