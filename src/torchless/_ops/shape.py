"""Operations that rearrange elements without computing: reshape, permute, expand, cat, stack, pad."""
import itertools
import math

import numpy as np

from .. import _memory_format
from .._kernels import select
from ..autograd import forward_ad
from ..autograd.graph import ContiguousResult, FoldedNode, Node, shown_edge
from ..autograd.saved_values import Saved, int64
from ._util import unbroadcast, unbroadcast_tensor
from .unary import copy_preserving_layout


class Reshape(Node):
    """view/reshape/flatten/squeeze/unsqueeze: one array reshape, undone by reshaping the gradient."""

    is_view = True  # in-place writes to it would write to its input (PyTorch's view rules)
    _input_sizes = {"self_sym_sizes": lambda node: tuple(node.input_shape)}
    _dim_and_sizes = {"dim": lambda node: int64(node.dim), **_input_sizes}
    torch_saved = {"ViewBackward0": _input_sizes, "UnsafeViewBackward0": _input_sizes,
                   "ReshapeAliasBackward0": _input_sizes,
                   "SqueezeBackward0": _input_sizes, "SqueezeBackward1": _dim_and_sizes,
                   "SqueezeBackward2": _dim_and_sizes, "UnsqueezeBackward0": {"dim": lambda node: int64(node.dim)},
                   # the in-place squeeze_/unsqueeze_, numbered apart
                   "SqueezeBackward3": _input_sizes, "SqueezeBackward4": _dim_and_sizes,
                   "SqueezeBackward5": _dim_and_sizes, "UnsqueezeBackward1": {"dim": lambda node: int64(node.dim)}}

    def forward(self, a, shape=None, name="ViewBackward0", dim=None, new_axis=None, kept_axes=None):
        """``dim``: squeeze's or unsqueeze's, as the call gave it (which PyTorch's node shows); ``new_axis``: the
        axis unsqueeze adds, given PyTorch's stride (that of the axis after it times its size, 1 at the end), where
        NumPy's reshape picks its own; ``kept_axes``: the input's axes squeeze keeps, with their strides (NumPy's
        reshape picks its own for the size-1 ones, and for an empty array's)."""
        self.input_shape, self.node_name, self.dim = a.shape, name, dim
        out = _memory_format.reshaped_view(a, shape)
        if kept_axes is not None and (1 in shape or not a.size):
            strides = tuple(a.strides[i] for i in kept_axes)
            if out.strides != strides:
                out = np.lib.stride_tricks.as_strided(a, shape, strides, writeable=a.flags.writeable)
            return out
        if name is None:  # reshape's node, as PyTorch picks it: view, _reshape_alias, or _unsafe_view of a copy
            self.node_name = "ViewBackward0" if a.flags.c_contiguous else \
                "ReshapeAliasBackward0" if np.may_share_memory(out, a) else "UnsafeViewBackward0"
        if new_axis is None:
            return out
        strides = a.strides
        stride = strides[new_axis] * a.shape[new_axis] if new_axis < a.ndim else a.itemsize
        # the input's strides kept, size-1 dims' too (which NumPy's reshape may reset)
        strides = strides[:new_axis] + (stride,) + strides[new_axis:]
        if out.strides == strides:  # (as NumPy mostly gives it: no slower view needed)
            return out
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=a.flags.writeable)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        if grad.shape == self.input_shape and self.node_name.startswith("Squeeze"):
            return (grad,)  # (a squeeze that removed nothing: unsqueeze_to gives the gradient itself, no view)
        if self.node_name.startswith("Unsqueeze"):  # PyTorch's grad.squeeze(dim): the other dims' strides kept
            return (np.squeeze(grad, axis=self.dim % grad.ndim),)
        return (grad.reshape(self.input_shape),)

    def backward_graph(self, grad):
        # PyTorch's formulas: unsqueeze's gradient is grad.squeeze(dim); squeeze's is unsqueeze_to(grad, ...), an
        # unsqueeze of each size-1 dim among those it was asked to remove, the gradient itself when there is none
        if self.node_name == "UnsqueezeBackward0":
            return (grad.squeeze(self.dim),)
        if self.node_name.startswith("SqueezeBackward"):
            return (_unsqueezed_to(grad, self.dim, self.input_shape),)
        return (grad.reshape(self.input_shape),)

    def name(self):
        return self.node_name

    def pytorch_inputs(self):
        """reshape's copy is PyTorch's _unsafe_view of a clone: its CloneBackward0 under UnsafeViewBackward0."""
        if self.node_name != "UnsafeViewBackward0":
            return None
        return ((FoldedNode("CloneBackward0", ((shown_edge(self.edges[0]), 0),), self, saved={}), 0),)


def _unsqueezed_to(grad, dims, shape):
    """PyTorch's unsqueeze_to: ``grad`` unsqueezed at each dim of ``shape`` of size 1 among ``dims`` (an int, a
    sequence, or None for all), in increasing order."""
    if not shape:
        return grad
    dims = range(len(shape)) if dims is None else (dims,) if isinstance(dims, int) else dims
    wrapped = {d % len(shape) for d in dims}
    for d, size in enumerate(shape):
        if size == 1 and d in wrapped:
            grad = grad.unsqueeze(d)
    return grad


def _swapped_dims(node):
    """The two dims a transpose swapped (the same dim twice for one that changed nothing)."""
    swapped = [i for i, axis in enumerate(node.axes) if axis != i] or [0, 0]
    return swapped[0], swapped[-1]


def _given_dims(node):
    """The dims as the call gave them (permute's, or transpose's two), else as read off the axes."""
    if node.given is not None:
        return node.given
    return node.axes if node.kind == "Permute" else _swapped_dims(node)


class Permute(Node):
    """permute, transpose (``kind``), t; ``given``: the dims as the call gave them, which PyTorch's node shows."""
    is_view = True
    _swapped = {"dim0": lambda node: int64(_given_dims(node)[0]), "dim1": lambda node: int64(_given_dims(node)[1])}
    torch_saved = {"PermuteBackward0": {"dims": lambda node: int64(_given_dims(node))},
                   "TransposeBackward0": _swapped, "TransposeBackward1": _swapped}

    def forward(self, a, axes=None, kind="Permute", given=None):
        self.axes, self.kind, self.given = axes, kind, given
        return np.transpose(a, axes)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        return (np.transpose(grad, np.argsort(self.axes)),)

    def backward_graph(self, grad):
        # PyTorch's: the inverse permute, or the same transpose (t) again (an in-place one's too: an op like the view's)
        if self.kind == "Permute":
            return (Permute.apply(grad, axes=tuple(np.argsort(self.axes).tolist())),)
        return (Permute.apply(grad, axes=self.axes, kind=self.kind, given=self.given),)

    def name(self):
        return f"{self.kind}Backward0"


def _expanded_strides(a, shape):
    """The strides (in bytes) PyTorch's expand gives ``a`` viewed as ``shape`` (inferExpandGeometry): 0 for the dims
    it expands, a kept size-1 dim's own stride (NumPy's broadcast_to gives those 0 too), a new size-1 leading dim
    the size times the stride of the dim after it (0 throughout for a 0-d tensor)."""
    if not a.ndim:
        return (0,) * len(shape)
    strides, lead = [0] * len(shape), len(shape) - a.ndim
    for i in range(len(shape) - 1, -1, -1):
        if i >= lead:
            strides[i] = 0 if a.shape[i - lead] != shape[i] else a.strides[i - lead]
        elif shape[i] == 1:
            strides[i] = shape[i + 1] * strides[i + 1]
    return tuple(strides)


def expanded_view(a, shape):
    """``a`` viewed as ``shape`` (read-only) with the strides PyTorch's ``expand`` gives it (see _expanded_strides)."""
    if a.flags.c_contiguous and a.size and len(shape) >= a.ndim and all(
            n == size or n == 1 for n, size in zip(a.shape, shape[len(shape) - a.ndim:])):
        return _memory_format.readonly_view(a, tuple(shape), _expanded_strides(a, shape))
    out = np.broadcast_to(a, shape)  # (its errors, its views of any layout)
    strides = _expanded_strides(a, out.shape)
    if strides != out.strides:
        out = np.lib.stride_tricks.as_strided(out, out.shape, strides, writeable=False)
    return out


class Expand(Node):
    is_view = True
    torch_saved = {"self_sym_sizes": lambda node: tuple(node.input_shape)}
    def forward(self, a, shape=None):
        self.input_shape = a.shape
        return expanded_view(a, shape)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        return (unbroadcast(grad, self.input_shape),)

    def backward_graph(self, grad):
        return (unbroadcast_tensor(grad, self.input_shape),)


class Repeat(ContiguousResult):
    """``a`` tiled ``repeats[i]`` times along each dim (leading dims of 1 added first); the gradient sums the
    copies: grad viewed as (repeats[0], size[0], repeats[1], size[1], ...) summed over the repeat axes."""
    # (PyTorch's repeat copies into a new contiguous tensor)

    torch_saved = {"repeats": lambda node: node.repeats, "self_sym_sizes": lambda node: tuple(node.input_shape)}

    def forward(self, a, repeats=None):
        self.input_shape, self.repeats = a.shape, tuple(repeats)
        self.shape = (1,) * (len(repeats) - a.ndim) + a.shape
        return np.tile(a.reshape(self.shape), repeats)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        paired = [n for pair in zip(self.repeats, self.shape) for n in pair]
        return (grad.reshape(paired).sum(axis=tuple(range(0, len(paired), 2))).reshape(self.input_shape),)

    def backward_graph(self, grad):
        paired = [n for pair in zip(self.repeats, self.shape) for n in pair]
        return (grad.reshape(paired).sum(dim=tuple(range(0, len(paired), 2))).reshape(self.input_shape),)


class Flip(Node):
    torch_saved = {"dims": lambda node: int64(node.axes)}

    def forward(self, a, axes=None):
        self.axes = axes
        return _flipped(a, axes)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        return (_flipped(grad, self.axes),)

    def backward_graph(self, grad):
        return (Flip.apply(grad, axes=self.axes),)


def _flipped(a, axes):
    """``a`` flipped along ``axes``: a copy in ``a``'s layout, as PyTorch's flip (its backward too) makes; a view
    would have negative strides, which its users (x.flip(0).numpy() given to from_numpy, stride()) do not expect,
    and would alias the gradient it flips."""
    # (an empty one, or a size-1 dim: nothing to flip there, and NumPy's view would have negative strides to
    # preserve)
    flipped = tuple(axis for axis in np.atleast_1d(axes).tolist() if a.shape[axis] > 1) if a.size else ()
    if not flipped:
        return copy_preserving_layout(a)
    if a.flags.c_contiguous:
        out = np.empty_like(a)
        if out.strides == a.strides:  # C order (the common case), without working out the layout of the flipped view
            np.copyto(out, np.flip(a, flipped))
            return out
    return copy_preserving_layout(np.flip(a, flipped))


def _concatenated(out, arrays):
    """cat's result ``out`` of ``arrays`` laid out as PyTorch's cat allocates it: in the channels-last format
    every input suggests, else C-contiguous (NumPy would follow inputs that are all transposed)."""
    if not out.size:  # (NumPy gives an empty result all-zero strides)
        return _memory_format.with_c_strides(out)
    if out.ndim < 2 or all(a.flags.c_contiguous for a in arrays):
        return out  # (then both are C-contiguous)
    format_ = _memory_format.suggest(arrays[0])
    if format_ is _memory_format.contiguous_format or any(_memory_format.suggest(a) is not format_
                                                          for a in arrays[1:]):
        return _memory_format.c_ordered(out)
    return _memory_format.in_format(out, format_)


class Cat(Node):
    # (PyTorch's node keeps the dim as given: -1 shows as 18446744073709551615)
    torch_saved = {"dim": lambda node: int64(node.dim if node.given_dim is None else node.given_dim)}
    given_dim = None

    def forward(self, *arrays, dim=0, given_dim=None):
        self.dim, self.given_dim = dim, given_dim
        self.bounds = list(itertools.accumulate(a.shape[dim] for a in arrays[:-1]))  # (where backward splits)
        return _concatenated(np.concatenate(arrays, axis=dim), arrays)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        return tuple(np.split(grad, self.bounds, axis=self.dim))

    def backward_graph(self, grad):
        from .indexing import Index

        bounds = [0, *self.bounds, grad._data.shape[self.dim]]
        lead = (slice(None),) * self.dim
        return tuple(Index.apply(grad, key=lead + (slice(lo, hi),)) if need else None
                     for lo, hi, need in zip(bounds[:-1], bounds[1:], self.needs_input_grad))


class Stack(Node):
    torch_saved = Cat.torch_saved
    given_dim = None

    def forward(self, *arrays, dim=0, given_dim=None):
        self.dim, self.given_dim = dim, given_dim
        # PyTorch's stack is cat along dim viewed with dim split in two (cat of the inputs unsqueezed at dim for
        # the last dim): its layout is that cat's
        if dim < arrays[0].ndim:
            out = _concatenated(np.concatenate(arrays, axis=dim), arrays)
            shape = arrays[0].shape
            return out.reshape(shape[:dim] + (len(arrays),) + shape[dim:])
        # (PyTorch's unsqueeze gives the new last dim stride 1)
        return _concatenated(np.stack(arrays, axis=dim), [np.lib.stride_tricks.as_strided(
            a, a.shape + (1,), a.strides + (a.itemsize,)) for a in arrays])

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        return tuple(np.moveaxis(grad, self.dim, 0))

    def backward_graph(self, grad):
        from .indexing import Index

        lead = (slice(None),) * self.dim
        return tuple(Index.apply(grad, key=lead + (i,)) if need else None
                     for i, need in enumerate(self.needs_input_grad))


class Where(Node):
    """where(condition, a, b); masked_fill is the same node (MaskedFillBackward0, or 1 for a value tensor)."""
    elementwise = True

    saved = ("condition",)
    torch_saved = {"WhereBackward0": {"condition": Saved("condition")},
                   **{name: {"mask": Saved("condition")} for name in ("MaskedFillBackward0", "MaskedFillBackward1")}}

    def laid_out(self, out, arrays):
        # where's operands are (condition, a, b); masked_fill writes into a contiguous copy of its input
        if self.node_name == "WhereBackward0":
            return _memory_format.iterator_layout(out, (self.condition, *arrays))
        return _memory_format.c_ordered(out)  # (C strides, an empty result's too)

    def forward(self, a, b, condition=None, name="WhereBackward0"):
        self.condition, self.shapes, self.node_name = condition, (a.shape, b.shape), name
        if name != "WhereBackward0":  # masked_fill(mask, value): a is the value, listed after self (if a tensor)
            self.listed_inputs = (1,) if name == "MaskedFillBackward0" else (1, 0)
        return select.where(condition, a, b)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        zero = np.zeros((), grad.dtype)
        return (unbroadcast(self._laid_out(select.where(self.condition, grad, zero), grad), self.shapes[0])
                if self.needs_input_grad[0] else None,
                unbroadcast(self._laid_out(select.where(self.condition, zero, grad), grad), self.shapes[1])
                if self.needs_input_grad[1] else None)

    def _laid_out(self, gradient, grad):
        """A gradient where() gives, laid out as PyTorch's backward makes it: where(condition, grad, 0) for where,
        grad.masked_fill(mask, 0) (a C-contiguous copy filled) for masked_fill."""
        if self.node_name == "WhereBackward0":
            return _memory_format.iterator_layout(gradient, (self.condition, grad))
        return _memory_format.c_ordered(gradient)

    def backward_graph(self, grad):
        zero = grad._wrap(np.zeros((), grad._data.dtype))
        return (unbroadcast_tensor(Where.apply(grad, zero, condition=self.condition), self.shapes[0])
                if self.needs_input_grad[0] else None,
                # (masked_fill's: grad.masked_fill(mask, 0), a masked_fill node in turn)
                unbroadcast_tensor(Where.apply(zero, grad, condition=self.condition,
                                               name="WhereBackward0" if self.node_name == "WhereBackward0"
                                               else "MaskedFillBackward0"), self.shapes[1])
                if self.needs_input_grad[1] else None)

    def name(self):
        return self.node_name


def _constant_padded(a, widths, value):
    """``np.pad(a, widths, mode="constant", constant_values=value)`` (non-negative widths) without its general
    machinery, to the same result: laid out as NumPy pads (Fortran order for a Fortran array), the value converted
    as it converts it, written over each dim's borders."""
    shape = tuple(n + lo + hi for n, (lo, hi) in zip(a.shape, widths))
    order = "F" if a.flags.fnc else "C"
    interior = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, a.shape))
    if value.__class__ in (int, float) and value == 0 and math.copysign(1.0, value) > 0:
        padded = np.zeros(shape, a.dtype, order=order)  # (zero padding, the common case: no border writes)
        padded[interior] = a
        return padded
    padded = np.empty(shape, a.dtype, order=order)
    padded[interior] = a
    value = np.asarray(value).reshape(-1)[0]
    for axis, (lo, hi) in enumerate(widths):
        along = (slice(None),) * axis
        if lo:
            padded[along + (slice(0, lo),)] = value
        if hi:
            padded[along + (slice(shape[axis] - hi, None),)] = value
    return padded


class ConstantPad(Node):
    """Padding with a constant; negative widths crop, as in PyTorch."""

    torch_saved = {"pad": lambda node: int64(node.pad_argument())}

    def pad_argument(self):
        """F.pad's ``pad``: as given, else (before, after) of the last dim first, up to the first dim padded."""
        if self.pad is not None:
            return self.pad
        widths = [(kept.start - cut.start, cut.stop - kept.stop) for kept, cut in zip(self.original, self.crop)]
        while widths and widths[0] == (0, 0):
            del widths[0]
        return tuple(width for pair in reversed(widths) for width in pair)

    def forward(self, a, widths=None, value=0.0, pad=None):
        """``widths``: (before, after) per dim; ``pad``: F.pad's argument as given (zero pairs of the outer dims
        kept), which the node shows."""
        self.widths, self.pad = widths, pad
        grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        grown = _constant_padded(a, grow, value) if any(map(any, grow)) else a
        self.grown_shape = grown.shape
        self.crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(widths, grown.shape))
        self.original = tuple(slice(lo, lo + n) for (lo, _), n in zip(grow, a.shape))
        return grown[self.crop]

    def jvp(self, tangents, arrays, params, out):  # (the padding's value is a constant: its tangent is 0)
        return forward_ad.linear_jvp(self, tangents, arrays, {**params, "value": 0}, out)

    def backward(self, grad):
        grown = np.zeros(self.grown_shape, grad.dtype)
        grown[self.crop] = grad
        return (grown[self.original],)

    def backward_graph(self, grad):
        # PyTorch's: the padding undone by padding the gradient with the negated widths (a node of its own name)
        undone = None if self.pad is None else tuple(-width for width in self.pad)
        return (type(self).apply(grad, widths=[(-lo, -hi) for lo, hi in self.widths], pad=undone),)


class IndexPad(Node):
    """reflect/replicate/circular padding as a gather along each padded axis."""

    saved, saves = ("axis_indices",), (0,)  # PyTorch's reflection and replication pads save their input

    def forward(self, a, axis_indices=None):
        self.input_shape, self.axis_indices = a.shape, axis_indices
        out = a
        for axis, index in axis_indices:
            out = np.take(out, index, axis=axis)
        return out

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        for axis, index in reversed(self.axis_indices):
            moved = np.moveaxis(grad, axis, 0)
            summed = np.zeros((self.input_shape[axis],) + moved.shape[1:], grad.dtype)
            np.add.at(summed, index, moved)
            grad = np.moveaxis(summed, 0, axis)
        return (grad,)

    def backward_graph(self, grad):
        from .indexing import IndexPutAccumulate

        for axis, index in reversed(self.axis_indices):
            moved = grad.movedim(axis, 0)
            zeros = grad._wrap(np.zeros((self.input_shape[axis],) + tuple(moved._data.shape[1:]), grad._data.dtype))
            grad = IndexPutAccumulate.apply(zeros, moved, key=(np.asarray(index),)).movedim(0, axis)
        return (grad,)

    def name(self):
        return "ReflectionPad2DBackward0"


class Roll(Node):
    """Elements shifted cyclically along ``axes`` (None: over the flattened tensor, shape kept)."""
    elementwise = True  # (apply lays the result out: laid_out)

    torch_saved = {"dims": lambda node: () if node.axes is None else int64(node.axes),
                   "shifts": lambda node: int64(tuple(np.atleast_1d(node.shifts).tolist()))}

    def laid_out(self, out, arrays):
        # PyTorch's roll allocates its result in the format its input suggests (channels-last stays so, a permuted
        # input's is C-contiguous); a flattened roll's is C-contiguous
        format_ = None if self.axes is None else _memory_format.output_format(arrays[0])
        return _memory_format.c_ordered(out) if format_ is None else _memory_format.in_format(out, format_)

    def forward(self, a, shifts=None, axes=None):
        self.shifts, self.axes = shifts, axes
        # PyTorch rolls along dims as cat of the input's two slices (so laid out as that cat), the flattened
        # tensor into a contiguous result
        out = np.roll(a, shifts, axes)
        return _memory_format.c_ordered(out) if axes is None else _concatenated(out, (a,))

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        return (np.roll(grad, np.negative(self.shifts), self.axes),)

    def backward_graph(self, grad):
        return (Roll.apply(grad, shifts=np.negative(self.shifts), axes=self.axes),)


class Rot90(Node):
    """``k`` quarter turns in the plane of ``axes``, from the first axis towards the second. ``given``: k and the
    dims as the call gave them (which the node shows)."""

    torch_saved = {"dims": lambda node: int64(tuple(node.given[1])), "k": lambda node: int64(node.given[0])}

    def forward(self, a, k=1, axes=(0, 1), given=None):
        self.k, self.axes, self.given = k, axes, (k, axes) if given is None else given
        return _rotated(a, k, axes)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):  # (PyTorch's grad.rot90(-k, dims), laid out as that op lays out its result)
        return (_rotated(grad, -self.k % 4, self.axes),)

    def backward_graph(self, grad):
        return (Rot90.apply(grad, k=-self.k % 4, axes=self.axes, given=(-self.given[0], self.given[1])),)


def _rotated(a, k, axes):
    """``a`` turned ``k`` (0 to 3) quarter turns in the plane of ``axes`` by PyTorch's composition, for its result's
    strides: a contiguous clone for no turn, else flips (copies in a's layout) of which an odd number of turns
    swaps the two dims."""
    if k == 0:
        return a.copy(order="C")  # (PyTorch's clone)
    if k == 2:
        return _flipped(a, axes)
    return np.swapaxes(_flipped(a, axes[1] if k == 1 else axes[0]), *axes)


class Triangle(ContiguousResult):
    """tril/triu: the elements on and below (``lower``) or above the ``k``-th diagonal of the last two dims."""
    # (PyTorch's structured kernel allocates a contiguous output)

    torch_saved = {"diagonal": lambda node: int64(node.k)}

    def forward(self, a, k=0, lower=True):
        self.k, self.lower = k, lower
        return (np.tril if lower else np.triu)(a, k)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        return ((np.tril if self.lower else np.triu)(grad, self.k),)

    def backward_graph(self, grad):
        return (Triangle.apply(grad, k=self.k, lower=self.lower),)

    def name(self):
        return "TrilBackward0" if self.lower else "TriuBackward0"


def diagonal_positions(rows, cols, offset):
    """Row and column indices of the ``offset``-th diagonal of a rows x cols matrix."""
    i = np.arange(max(0, min(rows + min(offset, 0), cols - max(offset, 0))))
    return i - min(offset, 0), i + max(offset, 0)


class Diagonal(Node):
    """The ``offset``-th diagonal of the planes (axes dim1, dim2), as a new last dim: a view, as PyTorch's
    ``diagonal`` (``diag``, whose node name ends in ``_copy``, makes a copy). ``given``: the dims as the call gave
    them (PyTorch's node shows a negative one unsigned), else ``dims``."""

    torch_saved = {"dim1": lambda node: int64(node.given[0]), "dim2": lambda node: int64(node.given[1]),
                   "offset": lambda node: int64(node.offset), "self_sym_sizes": lambda node: node.shape}
    backward_is_one_op, backward_inputs = True, ()  # (diagonal_backward reads the gradient alone)

    def forward(self, a, offset=0, dims=(0, 1), name="DiagonalBackward0", given=None):
        self.shape, self.offset, self.dims, self.node_name = a.shape, offset, dims, name
        self.given = dims if given is None else given
        diagonal = np.diagonal(a, offset, *dims)
        self.is_view = not name.endswith("_copy")
        if not self.is_view:
            return diagonal.copy()
        if not diagonal.size:  # (PyTorch's empty diagonal starts at the input's first element)
            from .indexing import placed_view

            return placed_view(a, 0, diagonal.shape, diagonal.strides)
        if a.flags.writeable:
            diagonal.flags.writeable = True  # NumPy flags its diagonal views read-only; PyTorch's write through
        return diagonal

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        out = np.zeros(self.shape, grad.dtype)
        planes = np.moveaxis(out, self.dims, (-2, -1))  # a view: writing to it writes to out
        planes[(..., *diagonal_positions(*planes.shape[-2:], self.offset))] = grad
        return (out,)

    def backward_graph(self, grad):
        from .indexing import IndexPut

        # the diagonal written into zeros laid out as (other dims..., dim1, dim2), then those two put back, in
        # PyTorch's layout (diagonal_backward's zeros are contiguous)
        others = [i for i in range(len(self.shape)) if i not in self.dims]
        order = others + list(self.dims)
        moved = tuple(self.shape[i] for i in order)
        zeros = grad._wrap(np.zeros(moved, grad._data.dtype))
        planes = IndexPut.apply(zeros, grad, key=(Ellipsis, *diagonal_positions(*moved[-2:], self.offset)))
        return (Permute.apply(planes, axes=tuple(np.argsort(order).tolist())).contiguous(),)

    def name(self):
        return self.node_name


class DiagEmbed(ContiguousResult):
    """The last dim of ``a`` placed on diagonal ``offset`` of the (dim1, dim2) planes of a new tensor (``diag`` of
    a vector too: a square matrix)."""
    # (PyTorch writes the diagonal into new zeros, C-contiguous whichever dims hold the planes)

    torch_saved = {"dim1": lambda node: int64(node.given[0]), "dim2": lambda node: int64(node.given[1]),
                   "offset": lambda node: int64(node.dims[2])}

    def forward(self, a, offset=0, dim1=-2, dim2=-1):
        n = a.shape[-1] + abs(offset)
        ndim = a.ndim + 1
        self.dims, self.given = (dim1 % ndim, dim2 % ndim, offset), (dim1, dim2)
        out = np.zeros(a.shape[:-1] + (n, n), a.dtype)
        m, row, col = a.shape[-1], max(-offset, 0), max(offset, 0)
        np.einsum("...ii->...i", out[..., row:row + m, col:col + m])[...] = a
        return np.moveaxis(out, (-2, -1), self.dims[:2])

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        # PyTorch's gradient is grad.diagonal(...): a view, strided along the diagonal; NumPy's diagonal views are
        # read-only, writable again where the gradient itself is
        d1, d2, offset = self.dims
        diagonal = np.diagonal(grad, offset, d1, d2)
        if grad.flags.writeable:
            diagonal.flags.writeable = True
        return (diagonal,)

    def backward_graph(self, grad):
        d1, d2, offset = self.dims
        return (grad.diagonal(offset, d1, d2),)


class PermuteInPlace(Permute):
    """t_/transpose_/swapaxes_: the tensor itself transposed, a node PyTorch numbers apart from the view op's."""

    def name(self):
        return f"{self.kind}Backward1"


class AsStrided(Node):
    """``as_strided``: a view of the input's memory (``view``, made by the caller from the storage); the gradient
    is added up over the storage (outputs may overlap) and read back at the input's elements, shared evenly
    among input elements that overlap, as PyTorch's AsStridedBackward0."""

    is_view = True

    def forward(self, a, view=None, storage_size=0, input_positions=None, output_positions=None):
        self.storage_size, self.input_positions, self.output_positions = storage_size, input_positions, \
            output_positions
        return view

    def jvp(self, tangents, arrays, params, out):  # the tangent's storage read as the view reads the input's
        storage = np.zeros(self.storage_size, tangents[0].dtype)
        storage[self.input_positions] = tangents[0]
        return storage[self.output_positions]

    def backward(self, grad):
        storage = np.zeros(self.storage_size, grad.dtype)
        np.add.at(storage, self.output_positions, grad)
        count = np.bincount(self.input_positions.reshape(-1), minlength=self.storage_size)
        if (count > 1).any():
            storage = storage / np.maximum(count, 1)
        return (storage[self.input_positions],)

    def backward_graph(self, grad):
        from .indexing import Index, IndexPutAccumulate

        storage = grad._wrap(np.zeros(self.storage_size, grad._data.dtype))
        storage = IndexPutAccumulate.apply(storage, grad, key=self.output_positions)
        count = np.bincount(self.input_positions.reshape(-1), minlength=self.storage_size)
        if (count > 1).any():
            storage = storage / grad._wrap(np.maximum(count, 1).astype(grad._data.dtype))
        return (Index.apply(storage, key=self.input_positions),)

    def name(self):
        return "AsStridedBackward0"
