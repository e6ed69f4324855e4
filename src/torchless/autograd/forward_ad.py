"""Forward-mode automatic differentiation (PyTorch's ``torch.autograd.forward_ad``).

Inside a ``dual_level``, ``make_dual(x, t)`` gives a tensor carrying the tangent ``t``; every differentiable op
applied to it (a graph Node's ``apply``) computes its result's tangent with the op's ``jvp``, which sits next to
its ``backward`` in the op's Node class. ``unpack_dual`` reads a tangent back. With grad mode on, a tangent that
depends on a tensor requiring grad (the primals' or the tangents') is a tensor of the graph, as PyTorch's: the jvp
is then taken through the op's differentiable backward (see _differentiable_tangent).

A tangent lives in the tensor's ``__dict__`` with the number of the level it belongs to: leaving the level makes
every tangent of it unreadable at once, as PyTorch's do, without visiting the tensors. Ops check
``state.tracing`` before anything else, so tensors pay nothing for forward AD outside a level.

The same hook marks, while torch.func.vmap runs its function, the tensors computed from the samples it maps
(``batched``): PyTorch's batched tensors refuse ``.item()`` and data-dependent control flow, which the samples
torchless maps one at a time then refuse too.
"""
import collections
import contextlib
import itertools
import math
import os
import sys
import warnings

import numpy as np

from .._user_warnings import skipped_by_warnings
from . import grad_mode

_NO_LEVEL = ("Trying to create a dual Tensor for forward AD but no level exists, make sure to enter_dual_level() "
             "first.")
_NOT_IMPLEMENTED = ("Trying to use forward AD with {} that does not support it because it has not been implemented "
                    "yet.\nPlease file an issue to PyTorch at https://github.com/pytorch/pytorch/issues/new?"
                    "template=feature-request.yml so that we can prioritize its implementation or submit a PR adding "
                    "the implementation to derivatives.yaml")


class _State:
    """The dual level open (PyTorch supports one at a time, numbered 0), and a count of the levels opened so far
    that tells a live tangent from one of a level since left."""

    __slots__ = ("level", "generation", "graph_refused", "vmap_levels", "tracing", "tangent_graphs")

    def __init__(self):
        self.level = None
        self.generation = 0
        self.vmap_levels = []  # the numbers of the vmap calls running (see batched)
        self.tracing = False  # a level is open or vmap runs: ops call propagate
        # An exception class torch.func's forward transforms set: raised when a result carrying a tangent records
        # a graph (its tangent would have to be differentiable, which these tangents are not)
        self.graph_refused = None
        # How many jvps computed by a backward_graph are running: it reads the values it saved as constants
        self.tangent_graphs = 0


state = _State()


def _update_tracing():
    state.tracing = state.level is not None or bool(state.vmap_levels)

UnpackedDualTensor = collections.namedtuple("UnpackedDualTensor", ["primal", "tangent"])
UnpackedDualTensor.__doc__ = "The primal and the tangent (None if it has none) of a dual tensor, as unpack_dual gives."
UnpackedDualTensor.__module__ = __name__


def enter_dual_level():
    """Open a new forward AD level and return its number (PyTorch supports only one at a time)."""
    if state.level is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    state.generation += 1
    state.level = 0
    _update_tracing()
    return state.level


def exit_dual_level(*, level=None):
    """Close the forward AD level ``level`` (the last one entered by default): its tangents are dropped."""
    if level is None:
        level = state.level
    if level is None or level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    if level != state.level:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is "
                           "not supported.")
    state.level = None
    _update_tracing()


class dual_level:
    """Context manager for a forward AD level: dual tensors made inside carry their tangents until it exits.

    Example::

        with dual_level():
            y = f(make_dual(x, t))
            jvp = unpack_dual(y).tangent
    """

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, exc_type, exc_value, traceback):
        exit_dual_level()

    def __call__(self, function):  # (as PyTorch's _DecoratorContextManager)
        import functools

        @functools.wraps(function)
        def wrapped(*args, **kwargs):
            with dual_level():
                return function(*args, **kwargs)

        return wrapped


class disabled:
    """No tangents seen nor computed inside (an autograd.Function's forward and jvp, as PyTorch runs them)."""

    def __enter__(self):
        self.level, state.level = state.level, None
        _update_tracing()

    def __exit__(self, *exc):
        state.level = self.level
        _update_tracing()


def _check_level(level):
    if state.level is None or (level is not None and level < 0):
        raise RuntimeError(_NO_LEVEL)
    if level is not None and level != state.level:
        raise RuntimeError("Invalid level given to _make_dual")


def make_dual(tensor, tangent, *, level=None):
    """A view of ``tensor`` carrying ``tangent`` (the direction of a Jacobian-vector product) at the forward AD level
    ``level`` (the current one by default)."""
    from .._tensor import Tensor

    _check_level(level)
    for name, value in (("primal", tensor), ("tangent", tangent)):
        if not isinstance(value, Tensor):
            raise AttributeError(f"'{type(value).__name__}' object has no attribute 'is_floating_point'")
        if value._data.dtype.kind not in "fc":
            raise ValueError(f"Expected {name} to be floating point or complex, but got: {value.dtype}")
    if tangent_array(tensor) is not None:
        raise RuntimeError(f"Making a dual Tensor based on a Tensor that already has a forward gradient at the same "
                           f"level {state.level} is not supported.")
    if tangent._data.shape != tensor._data.shape:
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor._data.shape)} while the "
                           f"given forward gradient is of size {list(tangent._data.shape)}.")
    check_dual_overlap(tensor, tangent.stride(), tangent.storage_offset())
    dual = tensor.view_as(tensor)  # (an alias, as PyTorch's: it shares the graph and the version counter)
    dual._tangent_base = dual  # (its views' tangents are views of its tangent, not of its base's)
    set_tangent(dual, _tangent_laid_out_like(tangent, tensor._data))
    return dual


def check_dual_overlap(primal, tangent_strides, tangent_offset=0):
    """Refuse, as PyTorch's make_dual does, a primal whose elements share memory (expanded) with a tangent of other
    strides or offset: PyTorch copies such a tangent into memory laid out as the primal, which copy_ refuses."""
    array = primal._data
    if array.size and any(stride == 0 and n > 1 for n, stride in zip(array.shape, array.strides)) and (
            tuple(tangent_strides) != primal.stride() or tangent_offset != primal.storage_offset()):
        from .._tensor import _INTERNAL_OVERLAP

        raise RuntimeError(_INTERNAL_OVERLAP)


def _same_layout(array, other):
    """Whether ``array`` has the strides of ``other`` (of its shape), where they matter (dims of more than one)."""
    return all(size == 1 or a == b for size, a, b in zip(array.shape, array.strides, other.strides))


def _tangent_laid_out_like(tangent, primal):
    """The tangent tensor ``tangent`` in the layout of the array ``primal`` (see _laid_out_like); one requiring grad
    copied by copy_, in the graph."""
    if _same_layout(tangent._data, primal):
        return tangent
    laid_out = tangent._wrap(_laid_out_like(tangent._data, primal))
    return laid_out.copy_(tangent) if tangent._requires_grad else laid_out


def _laid_out_like(tangent, primal):
    """``tangent`` in the layout of ``primal``: PyTorch copies a tangent of another layout than its tensor's
    (make_dual's, or a jvp formula's) into new memory of that tensor's strides, gaps included (of a slice). Where
    elements would share memory (an expanded tensor), dense in the tensor's order instead."""
    if _same_layout(tangent, primal):
        return tangent
    from .. import _memory_format

    strides = _memory_format.element_strides(primal)
    if not primal.size or any(stride <= 0 for n, stride in zip(primal.shape, strides) if n > 1):
        return _memory_format.preserving(tangent, primal)
    span = 1 + sum((n - 1) * stride for n, stride in zip(primal.shape, strides) if n > 1)
    laid_out = np.lib.stride_tricks.as_strided(np.empty(span, tangent.dtype), primal.shape,
                                               [stride * tangent.itemsize for stride in strides])
    laid_out[...] = tangent
    return laid_out


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of ``tensor``: a view of it without the tangent, and its tangent at ``level`` (the
    current one by default; None when it has none)."""
    from .._tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"_unpack_dual(): argument 'dual' (position 1) must be Tensor, not {type(tensor).__name__}")
    if level is None:
        level = -1 if state.level is None else state.level
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    tangent = tangent_of(tensor)
    if tangent is not None and level != state.level:
        raise RuntimeError("Invalid level given to _fw_primal")
    return UnpackedDualTensor(_primal_view(tensor), tangent)  # (a view, as PyTorch's, with a tangent or not)


def _primal_view(tensor):
    """``tensor`` viewed without its tangent (``view_as`` gives the tangent's view, which is dropped)."""
    primal = tensor.view_as(tensor)
    primal.__dict__.pop("_fw_tangent", None)
    return primal


# ------------------------------------------------------------------ tangents on tensors

def tangent_of(tensor):
    """The tangent tensor ``tensor`` carries at the open level, or None."""
    entry = tensor.__dict__.get("_fw_tangent")
    if entry is None or entry[0] != state.generation or state.level is None:
        return None
    return entry[1]


def tangent_array(tensor):
    tangent = tangent_of(tensor)
    return None if tangent is None else tangent._data


def set_tangent(tensor, tangent):
    """Make ``tangent`` (a tensor or an array) the tangent of ``tensor`` at the open level."""
    from .._tensor import Tensor

    if not isinstance(tangent, Tensor):
        tangent = Tensor._wrap(np.asarray(tangent))
    tensor.__dict__["_fw_tangent"] = (state.generation, tangent)


def has_tangent(tensors):
    """Whether some tensor of ``tensors`` (None entries allowed) carries a tangent at the open level."""
    if state.level is None:
        return False
    return any(t is not None and tangent_of(t) is not None for t in tensors)


def traced(tensors):
    """Whether an op on ``tensors`` must go through Node.apply's hook: one carries a tangent or is batched."""
    return has_tangent(tensors) or (bool(state.vmap_levels) and any(t is not None and batched(t) for t in tensors))


def propagate(node, inputs, arrays, params, result):
    """Give ``result``, made by ``node`` from ``inputs``, the tangent its op's jvp computes from theirs (if any), and
    vmap's mark of a batched tensor."""
    if state.vmap_levels:
        if batched(mark_batched(result, inputs)):
            mark_batch_rank(result, _batch_rank_after(node, inputs, params, result))
        if _copied_in_c_order(node, inputs) and batched(result):
            stacked_by_fallback(result)
    if state.level is None:
        return
    input_tangents = [None if t is None else tangent_of(t) for t in inputs]
    tangents = [None if t is None else t._data for t in input_tangents]
    if all(t is None for t in tangents) or result._data.dtype.kind not in "fc":  # (an integer result has none)
        return
    if result._requires_grad and state.graph_refused is not None:
        raise state.graph_refused
    if getattr(node, "tangent_is_input", False):
        # an identity of a backward_graph, there to lay gradients out by what a backward pass saw (which a jvp has
        # not): the tangent passes through as it is
        set_tangent(result, input_tangents[0])
        return
    out = node.jvp(tangents, arrays, params, result._data)  # (first: it raises PyTorch's refusals)
    differentiable = out is not None and _tangent_differentiable(inputs, result)
    if differentiable:
        try:
            tangent = _differentiable_tangent(node, inputs, result, out.dtype)
        except RuntimeError as error:  # (the op's backward is not differentiable: see _without_derivative)
            tangent = _without_derivative(out, inputs, error)
        if tangent is not None:
            set_tangent(result, recorded_on_values(node, _tangent_laid_out_like(tangent, result._data), result))
            node._fw_tangents = (state.generation, input_tangents, tangent_of(result))  # (after its backward_graph ran)
            return
    if out is not None:
        if out.shape != result._data.shape:
            out = np.broadcast_to(out, result._data.shape).copy()  # (a writable tangent, as PyTorch's)
        out = _laid_out_like(out, result._data)
        set_tangent(result, recorded_on_values(node, out, result) if differentiable else out)
        node._fw_tangents = (state.generation, input_tangents, tangent_of(result))


def _without_derivative(out, inputs, error):
    """The tangent ``out`` as PyTorch records it when its formula is the op's backward and that backward has no
    derivative (hardsigmoid_backward): a tensor of the graph, on the first input carrying a tangent and that
    tangent, whose backward raises ``error``."""
    from ._graph_backward import gradient_without_derivative

    read = next(t for t in inputs if t is not None and tangent_of(t) is not None)
    primal, tangent = unpack_dual(read)  # (the primal without its tangent: this node has no jvp of its own)
    return gradient_without_derivative(out, tangent, primal, (type(error), str(error)))


def with_forward_tangent(node, tensor, index=None):
    """``tensor``, a value ``node`` saw in forward (its input ``index``, or its result) rebuilt as a tensor of the
    graph by a backward under ``create_graph=True``, given the tangent that value had, so that the gradients
    computed from it carry theirs (forward over reverse, as PyTorch's saved variables keep their tangents)."""
    saved = node.__dict__.get("_fw_tangents")
    if saved is None or saved[0] != state.generation or state.level is None or state.tangent_graphs:
        return tensor
    _, input_tangents, result_tangent = saved
    tangent = result_tangent if index is None else (input_tangents[index] if index < len(input_tangents) else None)
    if tangent is not None and tangent._data.shape == tensor._data.shape:
        set_tangent(tensor, tangent)
    return tensor


def recorded_on_values(node, tangent, result):
    """``tangent``, made a tensor of the graph depending on ``result`` where PyTorch's is: an op whose formula
    multiplies the tangents by values of its inputs or result (products, piecewise-linear activations: its
    ``tangent_node_name`` names the node PyTorch's tangent then has) records it on them when they require grad,
    though its derivative with respect to them may be zero (relu's mask), as the dependence added here is."""
    from .._tensor import Tensor
    from ._graph_backward import with_zero_derivative_of

    name = getattr(node, "tangent_node_name", None)
    if name is None or not result._requires_grad or (isinstance(tangent, Tensor) and tangent._requires_grad):
        return tangent
    if not isinstance(tangent, Tensor):
        tangent = Tensor._wrap(tangent)
    return with_zero_derivative_of(tangent, result, name)


# ------------------------------------------------------------------ vmap's batched tensors

_vmap_numbers = itertools.count(1)

_ITEM_IN_VMAP = ("vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over calling .item() "
                 "on a Tensor, please try to rewrite what you're doing with other operations. If error is occurring "
                 "somewhere inside PyTorch internals, please file a bug report.")
_CONTROL_FLOW_IN_VMAP = ("vmap: It looks like you're attempting to use a Tensor in some data-dependent control flow. "
                         "We don't support that yet, please file an issue at "
                         "https://github.com/pytorch/pytorch/issues .")
_NO_STORAGE = "Cannot access data pointer of Tensor that doesn't have storage"
# (a grad or jvp transform inside the vmap decomposes item() and bool() into _local_scalar_dense, which vmap refuses so)
_LOCAL_SCALAR_IN_VMAP = ("vmap: It looks like you're either (1) calling .item() on a Tensor or (2) attempting to use a "
                         "Tensor in some data-dependent control flow or (3) encountering this error in PyTorch "
                         "internals. For (1): we don't support vmap over calling .item() on a Tensor, please try to "
                         "rewrite what you're doing with other operations. For (2): we don't support data-dependent "
                         "control flow in vmap yet, please file an issue at https://github.com/pytorch/pytorch/issues ."
                         " For (3): please file an issue.")


_batch_sizes = {}  # the number of each vmap call running -> the size of the dimension it maps over
_sample_indices = {}  # the number of each vmap call running -> the index of the sample it runs
_entry_epochs = {}  # the number of each vmap call running -> the torch.func transform running when it began
_outer_levels = {}  # the number of each vmap call running -> the enclosing calls batching one of its mapped inputs


class vmap_level:
    """A vmap call mapping its function over ``size`` samples: ``mark(sample)`` marks each as batched, and
    ``unmapped`` (the tensors passed whole to every call, in_dims None) are marked as such while it runs;
    ``mapped``, the inputs it maps over (which enclosing calls batch them: see batched_levels)."""

    def __init__(self, size, unmapped=(), mapped=()):
        self.size, self.unmapped = size, [t for t in unmapped if hasattr(t, "_data")]
        self.mapped = mapped

    def __enter__(self):
        self.number = next(_vmap_numbers)
        _outer_levels[self.number] = frozenset().union(*(batched_levels(t) for t in self.mapped))
        state.vmap_levels.append(self.number)
        _batch_sizes[self.number] = self.size
        _entry_epochs[self.number] = grad_mode.state.transform_epoch
        for tensor in self.unmapped:
            tensor.__dict__.setdefault("_vmap_unmapped", self.number)
        _update_tracing()
        return self

    def __exit__(self, *exc):
        state.vmap_levels.remove(self.number)
        del _batch_sizes[self.number]
        _sample_indices.pop(self.number, None)
        _entry_epochs.pop(self.number, None)
        _outer_levels.pop(self.number, None)
        for tensor in self.unmapped:
            if tensor.__dict__.get("_vmap_unmapped") == self.number:
                del tensor.__dict__["_vmap_unmapped"]
        _update_tracing()

    def mark(self, tensor):
        tensor.__dict__["_vmap_level"] = self.number
        return tensor

    def at_sample(self, index):
        """Record that the call now runs its sample ``index``."""
        _sample_indices[self.number] = index


def batch_level(tensors):
    """The number of the innermost vmap call running that marked one of ``tensors`` batched, or None."""
    levels = [t.__dict__.get("_vmap_level") for t in tensors if hasattr(t, "__dict__")]
    return max((level for level in levels if level in state.vmap_levels), key=state.vmap_levels.index, default=None)


@contextlib.contextmanager
def vmap_lowered(number):
    """The vmap call ``number`` set aside for the block (PyTorch's ``interpreter.lower()``): its samples read as
    plain tensors there, and what is computed from them is not marked batched."""
    position = state.vmap_levels.index(number)
    del state.vmap_levels[position]
    _update_tracing()
    try:
        yield
    finally:
        state.vmap_levels.insert(position, number)
        _update_tracing()


def batched(tensor):
    """Whether ``tensor`` was computed from a sample of a vmap call running."""
    return tensor.__dict__.get("_vmap_level") in state.vmap_levels


def batched_levels(tensor):
    """The vmap calls running that batch ``tensor``: the one whose sample it was computed from, and the enclosing
    ones batching the inputs that call maps over (as PyTorch's batched tensor wrapping one of the enclosing)."""
    level = getattr(tensor, "__dict__", {}).get("_vmap_level")
    if level not in state.vmap_levels:
        return frozenset()
    return _outer_levels.get(level, frozenset()) | {level}


def refuse_flattened_mismatch(input, target):
    """PyTorch's error for a loss whose batching rule flattens each operand (mse_loss, huber_loss, smooth_l1_loss)
    in nested vmap where one operand is batched by a call and the other not: that call's rule flattens the batched
    one's logical tensor, the inner calls' batches in it, to (batch, elements) and the other to (elements,), which
    do not broadcast once an inner call batches only the first (a bug of PyTorch's rule, followed)."""
    if len(state.vmap_levels) < 2:
        return
    operands = [batched_levels(input), batched_levels(target)]
    count = input.numel()
    for position in range(len(state.vmap_levels) - 2, -1, -1):  # (the innermost call's rule meets no mismatch)
        level, inner = state.vmap_levels[position], state.vmap_levels[position + 1:]
        if (level in operands[0]) == (level in operands[1]):
            continue
        sizes = [count * math.prod(_batch_sizes[number] for number in inner if number in levels)
                 for levels in operands]
        if sizes[0] != sizes[1] and 1 not in sizes:
            raise RuntimeError(f"The size of tensor a ({sizes[0]}) must match the size of tensor b ({sizes[1]}) at "
                               "non-singleton dimension 1")


def mark_batched(result, inputs):
    """Mark ``result`` batched if an input is (called while vmap runs), with that input's batch rank. Returns
    ``result``."""
    for tensor in inputs:
        if tensor is not None and hasattr(tensor, "__dict__") and batched(tensor):
            result.__dict__["_vmap_level"] = tensor.__dict__["_vmap_level"]
            rank = tensor.__dict__.get("_vmap_rank")
            if rank and result.shape != tensor.shape:  # (a view reads the memory's order, any other op's
                rank = _rank_of_view(tensor, rank, result) if np.may_share_memory(result._data, tensor._data) else 0
            mark_batch_rank(result, rank)  # result, made anew, starts with the batch in front)
            result.__dict__["_vmap_own_layout"] = True  # (until _batch_rank_after knows the op: see _vmap)
            if "_vmap_outer_front" in tensor.__dict__:  # (the enclosing vmaps' batches lie outermost in memory,
                # where an op of a nested call moving its batch to the front left them: kept by what follows)
                result.__dict__["_vmap_outer_front"] = True
            break
    return result


def lay_out_indexed(result, tensor, key):
    """Lay out ``result``, ``tensor[key]`` computed from batched operands, as PyTorch's index rule does (see
    func._batch_layouts.indexed), where the key is one it models (full slices and index tensors)."""
    from .._tensor import Tensor
    from ..func import _batch_layouts

    parts = key if isinstance(key, tuple) else (key,)
    level = batch_level([tensor] + [p for p in parts if isinstance(p, Tensor)])
    if level is None or not batched(result) or result.__dict__["_vmap_level"] != level or len(state.vmap_levels) > 1:
        return  # (nested: the enclosing calls' batches, which the strides here do not follow, order it too)
    size = _batch_sizes[level]
    arrays = []
    for part in parts:
        if isinstance(part, list) and part and all(type(i) is int for i in part):
            part = Tensor._wrap(np.asarray(part, np.int64))
        if isinstance(part, Tensor):
            if part._data.dtype.kind not in "iu" or not part.dim():
                return
            if batched(part):
                if part.__dict__["_vmap_level"] != level:
                    return
                strides = _batch_layouts.physical(part, size, part.__dict__.get("_vmap_rank", 0))
                part = (tuple(part.shape), strides[1:], strides[0])
            else:
                part = (tuple(part.shape), _memory_format_strides(part), None)
        arrays.append(part)
    self_batched = batched(tensor)
    if self_batched and tensor.__dict__["_vmap_level"] != level:
        return
    strides = (_batch_layouts.physical(tensor, size, tensor.__dict__.get("_vmap_rank", 0)) if self_batched else
               _memory_format_strides(tensor))
    strides = _batch_layouts.indexed(strides, self_batched, tensor.shape, tuple(arrays), size, result.shape)
    if strides is not None:
        mark_batch_rank(result, _batch_layouts.laid_out_sample(result, strides))


def _memory_format_strides(tensor):
    from .. import _memory_format

    return _memory_format.element_strides(tensor._data)


def stacked_by_fallback(result):
    """Lay the batched ``result`` out as PyTorch's vmap fallback (an op without a batching rule, run sample by
    sample, the results stacked) gives it: C-contiguous with the batch in front, each enclosing vmap's too."""
    if not result._data.flags.c_contiguous:
        result._data = result._data.copy(order="C")
    mark_batch_rank(result, 0)
    result.__dict__["_vmap_outer_front"] = True
    return result


def mark_batch_rank(sample, rank):
    """Record that the batch dimension of the batched tensor ``sample`` sits after its ``rank`` outermost dims of
    size above 1 in memory (their order: by stride), as in PyTorch's physical tensor mapped over a dim of a
    contiguous input.
    Pointwise ops and views keep the rank; the ops whose batching rules move the batch dimension to the front
    (``moveBatchDimToFront``) drop it (_batch_rank_after), and vmap stacks the samples' results after it."""
    if rank:
        sample.__dict__["_vmap_rank"] = rank
    else:
        sample.__dict__.pop("_vmap_rank", None)
    return sample


# The ops whose PyTorch batching rules move the batch dimension to the front before running the op on the
# physical tensor (softmax's, the normalizations', scatter's, roll's, interpolate's rules), by torchless node:
# their result is laid out with the batch outermost, wherever the inputs had it
_BATCH_TO_FRONT = {"Softmax", "LogSoftmax", "LayerNorm", "GroupNorm", "InstanceNorm", "RMSNorm",
                   "LogSigmoid", "Roll", "Topk", "Scatter", "Resample", "Cross", "Linear",
                   "MaxPool", "AvgPool", "AdaptiveAvgPool", "Convolution", "TransposedConvolution"}
# (the pooling and convolution rules fold the batch into the samples' dim N: their results, made anew, have it
# outermost, also where they keep the samples' shape; a convolution with a batched weight: see _conv_batch_rank)
_CONVOLUTIONS = {"Convolution", "TransposedConvolution", "HalfConvolution", "HalfTransposedConvolution"}
_POOLINGS = {"MaxPool", "AvgPool", "AdaptiveAvgPool"}
_GATHERING = ("IndexSelect", "Gather", "Take", "Topk")  # (sort's rule keeps the batch where it is)


def _memory_format_preserve():
    from .. import _memory_format

    return _memory_format.preserve_format


def _node_name(node):
    """The op class's name (a node recording a graph has been renamed as PyTorch's, SoftmaxBackward0)."""
    return type(node).__dict__.get("_named_from", type(node)).__name__


def _batch_rank_after(node, inputs, params, result):
    """The batch rank of ``node``'s batched ``result`` (see mark_batch_rank) from that of its input: 0 where the
    op's rule moves the batch to the front (a scan or any op allocating a contiguous result, masked_fill, a
    gathering index, writing batched values at indices, contiguous's copy, a reshape that copies, any other op
    changing the samples' shape), that of the memory a view reads (the dims it reads from above the batch), else
    the input's."""
    source = next((t for t in inputs if t is not None and batched(t)), None)  # (the operand whose layout leads)
    on_physical = _runs_on_physical(node, _node_name(node), inputs)
    if not node.is_view and (source is not None and "_vmap_moved" in source.__dict__ or not on_physical):
        result.__dict__["_vmap_moved"] = True  # (laid out from a view with the batch moved in front: see _vmap)
    if not (node.is_view or on_physical or not getattr(node, "elementwise", False) or any(
            t is not None and batched(t) and "_vmap_own_layout" in t.__dict__ for t in inputs)):
        result.__dict__.pop("_vmap_own_layout", None)  # (TensorIterator's layout of the inputs' moved views)
    if _node_name(node) == "BatchNorm" and source is inputs[0]:  # (its rule folds a batched input's batch into
        # the channels: it comes out after the samples' dim 0; each enclosing call's too, see _vmap)
        result.__dict__["_vmap_folded_rank"] = int(result.shape[0] > 1)
        return result.__dict__["_vmap_folded_rank"]
    name, params = _node_name(node), params or {}
    if name in _CONVOLUTIONS and len(inputs) > 1 and batched_here(inputs[1]):
        return _conv_batch_rank(inputs, result, params.get("groups", 1))
    if (name in _CONVOLUTIONS and len(inputs) > 1 or name in _POOLINGS and "spatial" in params) and \
            batched_here(inputs[0]):
        result.__dict__["_vmap_outer_front"] = True
        return _folded_batch_rank(inputs[0], result, params["spatial"] if name in _POOLINGS else inputs[1].dim() - 2)
    if not node.is_view and _allocates_batch_first(node, name, params, inputs):
        # (each enclosing vmap's rule moved its batch to the front too: see mark_batched)
        result.__dict__["_vmap_outer_front"] = True
        return 0
    if source is None or "_vmap_rank" not in source.__dict__:
        return 0
    rank = source.__dict__["_vmap_rank"]
    if node.is_view:
        return _rank_of_view(source, rank, result) if np.may_share_memory(result._data, source._data) else 0
    if "_vmap_front_rank" in source.__dict__ and not _runs_on_physical(node, name, inputs):
        rank = source.__dict__["_vmap_front_rank"]
    if name == "Rot90":  # flips then a transposed view, which reads memory in the flips' order; no turn: a clone
        return rank if params.get("k") else 0
    if source.shape != result.shape and getattr(node, "elementwise", False) and all(
            batched_here(t) and t.__dict__.get("_vmap_rank") == sum(n > 1 for n in t.shape) for t in inputs) and \
            _batch_sizes[state.vmap_levels[-1]] > 1:  # (broadcasting operands each with the batch innermost:
        # TensorIterator keeps the dim they all step through by the least innermost in the result)
        return sum(n > 1 for n in result.shape)
    return rank if source.shape == result.shape else 0


def batched_here(tensor):
    """Whether ``tensor`` is batched by the one vmap call running (nested calls' layouts are not modelled here)."""
    return tensor is not None and len(state.vmap_levels) == 1 and batched(tensor)


def _folded_batch_rank(input, result, spatial):
    """The batch rank of ``result``, of an op on ``spatial`` dims whose rule folds the batch of its batched
    ``input`` into the samples' dim N (a view where the batch lies right outside N in memory, else a C-order copy;
    a sample without N takes the batch as its N) and whose kernel lays its result out in the memory format that
    tensor suggests (channels last, or C order): the batch then lies outermost. ``result`` is laid out so (see
    func._batch_layouts)."""
    from ..func import _batch_layouts
    from .. import _memory_format

    size = _batch_sizes[state.vmap_levels[-1]]
    shape, out_shape = tuple(input._data.shape), tuple(result._data.shape)
    strides = _batch_layouts.physical(input, size, input.__dict__.get("_vmap_rank", 0))
    unbatched = len(shape) == spatial + 1
    if unbatched:
        merged, folded, out_shape = strides, (size,) + shape, (size,) + out_shape
    else:
        merged = None
        if shape[0] == 1 or not size:
            merged = (strides[0],) + strides[2:]
        elif strides[0] == strides[1] * shape[0]:
            merged = strides[1:]
        folded, out_shape = (size * shape[0],) + shape[1:], (size * out_shape[0],) + out_shape[1:]
    format_ = _memory_format.contiguous_format
    if merged is not None and _memory_format.strides_like_channels_last(folded, merged):
        format_ = _memory_format.channels_last if len(folded) == 4 else _memory_format.channels_last_3d
    out = tuple(_memory_format.strides_for(out_shape, format_))
    return _batch_layouts.laid_out_sample(result, out if unbatched else (out[0] * result._data.shape[0],) + out)


def batch_size():
    """The size of the batch of the innermost vmap call running."""
    return _batch_sizes[state.vmap_levels[-1]]


def _conv_batch_rank(inputs, result, groups):
    """The batch rank of a convolution's ``result`` whose weight is batched: PyTorch's rule folds the batch into
    the weight's output channels (and a batched input's into its channels, a copy in C order), so the batch lies
    in memory right outside the samples' channel dim, in the memory order of the result of the input as it is
    (C order where the input is batched too); with groups (the input not batched), the batch folded between the
    groups and their channels, then moved out of them (a copy in C order; none for one channel per group: the
    batch then lies right inside the channels). ``result`` is laid out so (see func._batch_layouts)."""
    from ..func import _batch_layouts
    from .. import _memory_format

    shape = result._data.shape  # (N, C, *spatial): an unbatched sample's conv has had its N added
    input_batched = batched_here(inputs[0])
    per_group = groups > 1 and not input_batched and shape[1] == groups
    if input_batched or (groups > 1 and not per_group):
        order = list(range(len(shape)))
    else:
        strides = _memory_format.element_strides(result._data)
        order = sorted(range(len(shape)), key=lambda d: -strides[d])
    physical_order = [d + 1 for d in order]
    physical_order.insert(physical_order.index(2) + per_group, 0)  # (the batch, next to the channels)
    size = _batch_sizes[state.vmap_levels[-1]]
    physical_shape = (size,) + tuple(shape)
    strides, step = [0] * len(physical_shape), 1
    for d in reversed(physical_order):
        strides[d] = step
        step *= max(physical_shape[d], 1)
    return _batch_layouts.laid_out_sample(result, tuple(strides))


def _allocates_batch_first(node, name, params, inputs):
    """Whether PyTorch's batching rule for ``node`` moves the batch dim to the front and the op allocates its
    result C-contiguous there (or gathers into a new tensor): the batch comes out outermost in memory."""
    from .graph import ContiguousResult

    if name in _BATCH_TO_FRONT or isinstance(node, ContiguousResult) or "MaskedFill" in str(params.get("name", "")):
        return True
    if name == "Clone" and params.get("memory_format") not in (None, _memory_format_preserve()):
        return True  # (clone's rule keeps the batch where it is only for preserve_format)
    if params.get("contiguous") or (name == "Index" and params.get("name", "").startswith(_GATHERING)):
        return True
    return name == "IndexWrite" and any(t is not None and batched(t) for t in inputs[1:])  # (index_copy, index_add)


# The elementwise ops of one tensor whose PyTorch batching rules still move the batch to the front: the other
# operand, a Python number, is wrapped as a tensor (add.Tensor's binary rule)
_SCALAR_BINARY = {"Add", "Sub", "Rsub", "Mul", "Div", "Remainder", "Binary", "Lerp", "Where"}
_UNARY_RULES = {"Relu", "Cast", "Clone"}


def _runs_on_physical(node, name, inputs):
    """Whether PyTorch's batching rule for ``node`` runs the op on the batched tensor as it lies (the unary
    pointwise rules), where the others move its batch dim to the front first."""
    if name in _UNARY_RULES:
        return True
    if name == "Pow" and any(t is not None and "_number" in t.__dict__ for t in inputs):
        return True  # (pow.Tensor_Scalar's and pow.Scalar's rules are unary ones)
    if not getattr(node, "elementwise", False) or name in _SCALAR_BINARY:
        return False
    if name == "ZeroGradient" and str(getattr(node, "node_name", "")).startswith("Div"):
        return False
    return sum(t is not None for t in inputs) == 1


# The losses whose PyTorch batching rule flattens each sample (reshape: a view, or a C-order copy) and those it
# runs sample by sample (no rule: its fallback stacks the results), by torchless node
_FLATTENING_LOSSES = {"MseLoss", "HuberLoss", "SmoothL1Loss"}
_RUN_SAMPLE_BY_SAMPLE = {"SoftMarginLoss"}


def _copied_in_c_order(node, inputs):
    """Whether PyTorch's batched result of ``node`` is a C-contiguous tensor with the batch in front: an op its
    vmap runs sample by sample, or a loss whose rule flattens samples that do not flatten to views."""
    name = _node_name(node)
    if name in _RUN_SAMPLE_BY_SAMPLE:
        return True
    return name in _FLATTENING_LOSSES and inputs[0] is not None and (
        len(state.vmap_levels) > 1 or not _flattens_to_a_view(inputs[0]))  # (nested: mostly C order, as the
    # outer calls reshape the inner batches flattened into theirs: modelled so, not view by view)


def _flattens_to_a_view(tensor):
    """Whether ``tensor.flatten()`` is a view (its memory in index order, whatever the steps)."""
    from .. import _memory_format

    return _memory_format.view_strides(tensor.shape, _memory_format.element_strides(tensor._data),
                                       (tensor.numel(),)) is not None


def _rank_of_view(source, rank, view):
    """The batch rank of ``view``, a view of ``source`` of batch rank ``rank``: its dims reading memory with the
    stride of one of ``source``'s dims outer to the batch or more (the batch's stride lies below those)."""
    from .. import _memory_format

    strides = _memory_format.element_strides(source._data)
    order = sorted(range(source.dim()), key=lambda d: -strides[d])
    outer = [strides[d] for d in order if source.shape[d] > 1][:rank]
    if not outer:
        return 0
    return sum(1 for size, stride in zip(view.shape, _memory_format.element_strides(view._data))
               if size > 1 and stride >= min(outer))


# How PyTorch's batching rules refuse an in-place op writing batched operands into an unbatched tensor: the shape
# check of an op with a broadcasting rule, the generic text of an op with a rule of its own, naming the op or not,
# else (the ops its fallback runs) the op's aten name with the transform level
_INPLACE_BROADCAST = {"add_", "atan2_", "copysign_"}
_INPLACE_ARITHMETIC = {"sub_", "mul_", "div_", "clamp_min_", "clamp_max_", "copy_", "setitem", "masked_fill_ mask"}
_INPLACE_NAMED = {"fill_", "index_add_", "index_fill_", "scatter_add_", "index_put_"}


def refuse_writing_batched(tensor, operands, op):
    """vmap's refusal of the in-place op ``op`` (its method name; "masked_fill_ mask" for its mask, "setitem" for
    an assignment) writing ``operands`` batched by a vmap call into ``tensor`` not batched by it: an input of the
    call not mapped over, a tensor the function captured or made (or a view of one). PyTorch's one batched call
    cannot write them into it, where torchless would write each sample's in turn. (Integer results of batched
    tensors are not all marked batched, so an integer ``tensor`` is refused only as an unmapped input.)"""
    mapped = [t for t in operands if hasattr(t, "_data") and batched(t)]
    if not mapped:
        return
    level = batch_level(mapped)
    own = batch_level((tensor,))
    if own is not None and state.vmap_levels.index(own) >= state.vmap_levels.index(level):
        return
    base = tensor if tensor._view_base is None else tensor._view_base
    if tensor._data.dtype.kind not in "fc" and base.__dict__.get("_vmap_unmapped") not in state.vmap_levels:
        return
    if op in _INPLACE_BROADCAST:
        levels = state.vmap_levels[:state.vmap_levels.index(level) + 1]
        sample_shape = np.broadcast_shapes(tensor._data.shape, mapped[0]._data.shape)
        broadcast = [_batch_sizes[number] for number in levels] + list(sample_shape)
        # (a tensor batched by outer calls only is laid out with their batch sizes, and size 1 for the others)
        outer = 0 if own is None else state.vmap_levels.index(own) + 1
        shape = [_batch_sizes[number] for number in levels[:outer]] + [1] * (len(levels) - outer) * bool(outer)
        shape += list(tensor._data.shape)
        raise RuntimeError(f"output with shape {shape} doesn't match the broadcast shape {broadcast}")
    if op in _INPLACE_ARITHMETIC or op in _INPLACE_NAMED:
        name, where = (op if op in _INPLACE_NAMED else "inplace arithmetic"), "in a vmap"
    else:
        from ..func import _transforms

        name = f"aten::{op}"
        where = f"at level {len(state.vmap_levels) + len(_transforms._running) + len(_transforms._forward_running)}"
    raise RuntimeError(f"vmap: {name}(self, *extra_args) is not possible because there exists a Tensor `other` in "
                       "extra_args that has more elements than `self`. This happened due to `other` being vmapped "
                       f"over but `self` not being vmapped over {where}. Please try to use out-of-place operators "
                       f"instead of {name}. If said operator is being called inside the PyTorch framework, please "
                       "file a bug report instead.")


def check_batched_index(tensor, axis, index):
    """PyTorch's refusal of an ``index`` (an array) out of the range of dim ``axis`` of the batched ``tensor``
    (negative ones too), which its index_select rule indexes on the physical tensor: the dim counted there, after
    a batch dim for each vmap call out to the innermost batching ``tensor``."""
    size = tensor._data.shape[axis] if tensor._data.ndim else 1
    outside = ((index < 0) | (index >= size)).reshape(-1)
    if outside.any():
        depth = state.vmap_levels.index(batch_level((tensor,))) + 1
        raise RuntimeError(f"index {index.reshape(-1)[np.argmax(outside)]} is out of bounds for dimension "
                           f"{axis + depth} with size {size}")


def batched_matmul_error(a, b_rows, b_columns, b_requires_grad):
    """PyTorch's error for the product of ``a``, batched by the one vmap call running, by an unbatched matrix of
    ``b_rows`` x ``b_columns`` whose rows do not match ``a``'s last dim, else None. matmul folds the leading dims
    of a tensor of 3 dims or more into the rows of one matrix where that is a view (or ``b`` requires grad), else
    multiplies by batches (bmm, whose rule folds the vmap batch into its batches); a matrix goes to mm, whose
    rule runs matmul on the physical tensor, the batch in front: folded so, or by batches."""
    from ..func import _batch_layouts

    if not batched_here(a):
        return None
    size, shape = _batch_sizes[state.vmap_levels[-1]], tuple(a.shape)
    strides = _batch_layouts.physical(a, size, a.__dict__.get("_vmap_rank", 0))
    rows = math.prod(shape[:-1])

    def folds(sizes, steps):
        return b_requires_grad or not a.numel() or all(
            steps[d] == steps[d + 1] * sizes[d + 1] for d in range(len(sizes) - 2))

    if len(shape) > 2:
        if not folds(shape, strides[1:]):
            batch = size * math.prod(shape[:-2])
            return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, "
                                f"{shape[-1]}] but got: [{batch}, {b_rows}].")
        strides = (strides[0], strides[-2], strides[-1])  # (the view of its rows, then mm's rule)
    if len(shape) > 1 and not folds((size, rows, shape[-1]), strides):
        return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size}, {shape[-1]}] "
                            f"but got: [{size}, {b_rows}].")
    return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({size * rows}x{shape[-1]} and "
                        f"{b_rows}x{b_columns})")


def refuse_dynamic_shape(tensor, op):
    """vmap's refusal of the op ``op`` (its aten name) on a batched ``tensor``: its result's shape depends on the
    values, which one batched call cannot give every sample."""
    if state.vmap_levels and batched(tensor):
        raise RuntimeError(f"vmap: We do not support batching operators that can output dynamic shape. Attempted to "
                           f"vmap over aten::{op}. Please file an issue at https://github.com/pytorch/pytorch/issues "
                           "if you need this feature.")


def mask_error_of_batched(error, tensor):
    """``error``, the IndexError of a mask that does not fit ``tensor``, as PyTorch's index rule words it for a
    batched ``tensor``: it indexes the batched tensor, its batch dims in front (one per vmap call out to the
    innermost batching it), the key after as many full slices."""
    import re

    level = batch_level((tensor,))
    found = re.fullmatch(r"(The shape of the mask .* the indexed tensor )\[(.*)\] at index (\d+)", str(error))
    if level is None or found is None:
        return error
    levels = state.vmap_levels[:state.vmap_levels.index(level) + 1]
    shape = [_batch_sizes[number] for number in levels] + ([int(n) for n in found[2].split(", ")] if found[2] else [])
    return IndexError(f"{found[1]}{shape} at index {int(found[3]) + len(levels)}")


def refuse_batched_mask(key):
    """vmap's refusal of indexing by a batched boolean mask (``key``: a tensor or a tuple of index parts)."""
    parts = key if isinstance(key, tuple) else (key,)
    if any(hasattr(part, "_data") and part._data.dtype in (np.bool_, np.uint8) and batched(part) for part in parts):
        raise RuntimeError("vmap: We do not support batching operators that can support dynamic shape. Attempting to "
                           "batch over indexing with a boolean mask.")


def mark_indexed_by_batched(result, key, ndim=None):
    """Mark ``result``, a tensor of ``ndim`` dims indexed by ``key``, batched when ``result`` is not and an index
    tensor of ``key`` is (a captured table read at batched indices), laid out as PyTorch's index rule gives it:
    the batch after the dims the key's leading slices, Nones and ellipsis keep (they stay in front of adjacent
    advanced indices' dims), then where the batched index has it among its own dims."""
    parts = key if isinstance(key, tuple) else (key,)
    indices = [part for part in parts if hasattr(part, "_data") and part._data.ndim]
    if batched(result) or not any(batched(index) for index in indices):
        return
    mark_batched(result, indices)
    leading = 0
    for part in parts:
        if part is Ellipsis and ndim is not None:  # (the dims no other part of the key consumes)
            leading += ndim - sum(1 if not hasattr(p, "_data") else max(p._data.ndim, 1) if p._data.dtype == bool
                                  else 1 for p in parts if p is not None and p is not Ellipsis)
        elif isinstance(part, slice) or part is None:
            leading += 1
        else:
            break
    kinds = [hasattr(part, "_data") for part in parts if not isinstance(part, int)]
    first = kinds.index(True)
    if not all(kinds[first:first + len(indices)]):  # (apart, PyTorch puts the indices' dims in front)
        leading = 0
    index = next(index for index in indices if batched(index))
    mark_batch_rank(result, sum(size > 1 for size in result.shape[:leading]) + index.__dict__.get("_vmap_rank", 0))


def batched_copy(copy, operands):
    """Mark ``copy``, a fresh copy of a tensor an out-of-place op writes ``operands`` into, batched by the
    innermost vmap call batching one of them (with the batch in front) where it is not already."""
    level = batch_level([t for t in operands if t is not None] + [copy])
    if level is not None and copy.__dict__.get("_vmap_level") != level:
        copy.__dict__["_vmap_level"] = level
        mark_batch_rank(copy, 0)
    return copy


def batched_like(result, source):
    """``result``, a new tensor made like ``source`` (zeros_like, new_zeros, detach), marked batched if ``source``
    is, as PyTorch's are. Returns ``result``."""
    if state.vmap_levels and hasattr(source, "__dict__"):
        mark_batched(result, (source,))
        if result.shape != source.shape:  # (new_zeros(size): PyTorch's rule makes it with the batch in front)
            mark_batch_rank(result, 0)
    return result


_FALLBACK_WARNING = ("There is a performance drop because we have not yet implemented the batching rule for {}. "
                     "Please file us an issue on GitHub so that we can prioritize its implementation. (Triggered "
                     "internally at /__w/pytorch/pytorch/aten/src/ATen/functorch/BatchedFallback.cpp:82.)")
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def warn_fallback(op, tensors, stacklevel=None):
    """PyTorch's warning for the op ``op`` (its aten name) run on ``tensors`` (None entries allowed) of which one
    is batched: it has no batching rule, so vmap's fallback runs it sample by sample. PyTorch warns once per
    batched call (here, at the first sample), once more for each of the inner call's samples it hands to an
    enclosing call's fallback; from the Python frame calling the native op: ``stacklevel`` frames up from the
    caller (a torchless function standing for PyTorch's Python wrapper, whose one line then warns once per
    process under the default filters), else the first frame outside torchless (the user's call)."""
    if not state.vmap_levels:
        return
    level = batch_level([t for t in tensors if t is not None])
    if level is None:
        return
    levels = state.vmap_levels[:state.vmap_levels.index(level) + 1]
    if any(_sample_indices.get(number) for number in levels):
        return
    count = 1
    for number in levels[1:]:
        count = 1 + _batch_sizes[number] * count
    if stacklevel is None:
        frame, stacklevel = sys._getframe(1), 1
        while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            frame = frame.f_back
            stacklevel += frame is None or not skipped_by_warnings(frame)
    for _ in range(count):
        warnings.warn(_FALLBACK_WARNING.format(op), UserWarning, stacklevel=stacklevel + 1)


def refuse_in_vmap(tensor, use):
    """PyTorch's error for reading the values of a batched tensor inside vmap: ``use`` is "item" (item(), float(),
    int()), "control flow" (bool()) or "data" (tolist(), numpy())."""
    if batched(tensor):
        if use != "data":
            refuse_read_through_transform(tensor)
        message = {"item": _ITEM_IN_VMAP, "control flow": _CONTROL_FLOW_IN_VMAP, "data": _NO_STORAGE}[use]
        raise RuntimeError(message)


def refuse_read_through_transform(tensor):
    """PyTorch's error for reading a value of ``tensor``, batched, inside a grad or jvp transform running inside
    the vmap call batching it: that transform decomposes the op (item(), bool(), one_hot's min().item()) into
    _local_scalar_dense, which vmap's rule refuses in its own words (the op's batching rule never runs)."""
    if batched(tensor) and _entry_epochs.get(tensor.__dict__["_vmap_level"]) != grad_mode.state.transform_epoch:
        raise RuntimeError(_LOCAL_SCALAR_IN_VMAP)


def not_implemented(op_name):
    return NotImplementedError(_NOT_IMPLEMENTED.format(op_name))


def unsupported_jvp(node, tangents, arrays, params, out):
    """An op PyTorch has no forward AD formula for (cdist, grid_sampler_2d, ctc_loss): its error."""
    raise not_implemented(node.forward_ad_name())


def not_differentiable_jvp(node, tangents, arrays, params, out):
    """An op PyTorch records without a derivative (``//``): its error, which names the aten op."""
    raise NotImplementedError(f"Trying to use forward AD with aten::{node.op} that does not support it.")


# ------------------------------------------------------------------ jvp formulas shared by kinds of ops
# Each is a Node method: ``jvp = forward_ad.linear_jvp`` in an op's class says which formula is its; an op
# without one goes through transposed_jvp.

def transposed_jvp(node, tangents, arrays, params, out):
    """J t from the op's differentiable backward (its ``backward_graph``, J^T v): <J^T v, t> is linear in v, so its
    gradient with respect to v is J t. Costs a backward and a backward of that; ops of CNNs have formulas of
    their own. A real op only (complex gradients follow a conjugate convention); one without a differentiable
    backward raises PyTorch's error."""
    from .._tensor import Tensor
    from . import grad, grad_mode
    from ._graph_backward import _refuse_graph_backward, backward_graph_method

    method = backward_graph_method(node)
    if method is _refuse_graph_backward or out.dtype.kind == "c" or any(
            t is not None and t.dtype.kind == "c" for t in tangents):
        raise not_implemented(node.forward_ad_name())
    needs, edges = node.needs_input_grad, node.edges
    node.needs_input_grad = tuple(t is not None for t in tangents)
    # the inputs as leaves of their own (a formula may differentiate through them, as renorm's through its norm)
    node.edges = tuple(None if a is None or a.dtype.kind not in "fc" else Tensor._wrap(a).requires_grad_()
                       for a in arrays)
    state.tangent_graphs += 1
    try:
        with grad_mode.enable_grad():
            # (any direction: the function is linear in it; ones keep formulas taking logs of it finite)
            direction = Tensor._wrap(np.ones(out.shape, out.dtype)).requires_grad_()
            products = [(gradient * Tensor._wrap(tangent)).sum()
                        for gradient, tangent in zip(method(node, direction), tangents)
                        if tangent is not None and gradient is not None and gradient._requires_grad]
            if not products:
                return np.zeros(out.shape, out.dtype)
            jvp, = grad(sum(products[1:], products[0]), direction, allow_unused=True, materialize_grads=True)
    finally:
        node.needs_input_grad, node.edges = needs, edges
        state.tangent_graphs -= 1
    return jvp._data


def _tangent_differentiable(inputs, result):
    """Whether the tangent of ``result`` must be differentiable, as PyTorch's are: grad mode is on and a tangent of
    the inputs requires grad, or ``result`` does (the jvp reading its inputs' values)."""
    from . import grad_mode

    if not grad_mode.is_grad_enabled():
        return False
    if result._requires_grad:
        return True
    return any(t is not None and getattr(tangent_of(t), "_requires_grad", False) for t in inputs)


def _differentiable_tangent(node, inputs, result, dtype):
    """The tangent of ``result`` as a tensor of the graph (reverse mode differentiates it with respect to the
    inputs and their tangents), of the ``dtype`` of the op's jvp: J t as the gradient of <J^T v, t> with respect to
    v, by the op's differentiable backward reading the inputs themselves. None for an op without one (or whose
    formulas have none), or a complex one: its tangent then is computed without a graph."""
    from .._tensor import Tensor
    from . import grad, grad_mode
    from ._graph_backward import _refuse_graph_backward, backward_graph_method
    from .graph import _edge

    method = backward_graph_method(node)
    tangents = [None if t is None else tangent_of(t) for t in inputs]
    if method is _refuse_graph_backward or result._data.dtype.kind == "c" or any(
            t is not None and t._data.dtype.kind == "c" for t in tangents):
        return None
    needs, edges = node.needs_input_grad, node.edges
    node.needs_input_grad = tuple(t is not None for t in tangents)
    node.edges = tuple(None if t is None or not t._requires_grad else _edge(t) for t in inputs)
    state.tangent_graphs += 1
    level, state.level = state.level, None  # (the formula's own ops need no tangents: they would recurse)
    _update_tracing()
    try:
        with grad_mode.enable_grad():
            direction = Tensor._wrap(np.ones(result._data.shape, dtype)).requires_grad_()
            products = [(gradient * tangent).sum() for gradient, tangent in zip(method(node, direction), tangents)
                        if tangent is not None and gradient is not None and gradient._requires_grad]
            if not products:
                return None
            jvp, = grad(sum(products[1:], products[0]), direction, create_graph=True, allow_unused=True,
                        materialize_grads=True)
    except NotImplementedError:  # (a formula of the backward without a differentiable backward of its own)
        return None
    finally:
        node.needs_input_grad, node.edges = needs, edges
        state.tangent_graphs -= 1
        state.level = level
        _update_tracing()
    return jvp


def zero_filled(tangents, arrays):
    """The tangents, a missing one as zeros of its input's shape and dtype."""
    return [t if t is not None or a is None else np.zeros_like(a) for t, a in zip(tangents, arrays)]


def fresh_forward(node, arrays, params):
    """The op of ``node`` run again on ``arrays``, by a node of its own (``node`` keeps what it saved)."""
    cls = node.__class__.__dict__.get("_named_from", node.__class__)
    return cls().forward(*arrays, **params)


def linear_jvp(node, tangents, arrays, params, out):
    """An op linear in its tensors (a view, a reshape, a sum, cat, add): the op of the tangents."""
    return fresh_forward(node, zero_filled(tangents, arrays), params)


def multilinear_jvp(node, tangents, arrays, params, out):
    """An op linear in each tensor separately (a product): the sum over the inputs with a tangent of the op on
    that tangent and the other inputs' values."""
    total = None
    for position, tangent in enumerate(tangents):
        if tangent is not None:
            term = fresh_forward(node, arrays[:position] + [tangent] + arrays[position + 1:], params)
            total = term if total is None else total + term
    return total


def affine_jvp(node, tangents, arrays, params, out, bias_axis):
    """An op ``f(x, w) + b`` with f bilinear (a convolution, a linear layer), the bias (input 2, or None) added
    along ``bias_axis`` of the result."""
    (x, w, _), (tx, tw, tb) = arrays[:3], tangents[:3]
    rest = arrays[3:]
    total = multilinear_jvp(node, [tx, tw] + [None] * len(rest), [x, w, None] + list(rest), params, out)
    if tb is not None:
        shape = [1] * out.ndim
        shape[bias_axis] = -1
        bias_term = tb.reshape(shape)
        total = bias_term if total is None else total + bias_term
    return total


def _gradient_terms(node, tangents, out):
    """Each tangent times the gradient of the sum of the result's elements (backward of ones) with respect to its
    input (conjugated if complex: backward follows PyTorch's conjugate convention, the op being holomorphic)."""
    needs = node.needs_input_grad
    node.needs_input_grad = tuple(t is not None for t in tangents)
    try:
        gradients = node.backward(np.ones(out.shape, out.dtype))
    finally:
        node.needs_input_grad = needs
    return [(np.conj(gradient) if np.iscomplexobj(gradient) else gradient) * tangent
            for tangent, gradient in zip(tangents, gradients) if tangent is not None and gradient is not None]


def _in_dtype_of(total, tangents, out):
    return total.astype(np.result_type(out.dtype, *[t.dtype for t in tangents if t is not None]), copy=False)


def gradient_jvp(node, tangents, arrays, params, out):
    """An op each of whose result's elements depends on its own block of each input (an elementwise op without
    broadcasting, a loss): the gradient times the tangent, summed over each block (the class axis 1 of a loss's
    unreduced result, everything for a scalar)."""
    total = sum(term if term.shape == out.shape else term.sum() if out.ndim == 0 else term.sum(axis=1)
                for term in _gradient_terms(node, tangents, out))
    return _in_dtype_of(np.asarray(total), tangents, out)


def reduction_jvp(node, tangents, arrays, params, out):
    """A reduction of one tensor over the dims ``params`` give as ``axes`` or ``dim`` (all if None or a 0-d
    result): the gradient times the tangent, summed over those dims."""
    term, = _gradient_terms(node, tangents, out)
    axes = params.get("axes", params.get("dim"))
    if out.ndim == 0 or axes is None or axes == ():
        axes = None
    else:
        axes = tuple(axis % term.ndim for axis in (axes if isinstance(axes, (tuple, list)) else (axes,)))
    return _in_dtype_of(term.sum(axis=axes, keepdims=out.ndim == term.ndim).reshape(out.shape), tangents, out)


def carry_tangent(tensor, result):
    """An in-place op made ``tensor`` the op's ``result``: its tangent too (or it keeps its own, if none)."""
    entry = result.__dict__.get("_fw_tangent")
    if entry is not None:
        tensor.__dict__["_fw_tangent"] = entry


def gathered_tangent(tangent, flat_indices, spatial, out):
    """The tangent of a selection of one element per window of the input's last ``spatial`` dims (max pooling):
    the tangent's element there. ``flat_indices`` are those elements' positions in their planes, as the result."""
    planes = int(np.prod(out.shape[:out.ndim - spatial]))
    rows = tangent.reshape(planes, -1)
    return np.take_along_axis(rows, flat_indices.reshape(planes, -1), axis=1).reshape(out.shape)


def diagonal_jvp(node, tangents, arrays, params, out):
    """An elementwise op of one tensor: its backward of the tangent (the Jacobian is diagonal, its own transpose;
    conjugated around a complex tangent, backward following PyTorch's conjugate convention: holomorphic ops)."""
    tangent = tangents[0]
    complex_tangent = tangent.dtype.kind == "c"
    needs = node.needs_input_grad
    node.needs_input_grad = (True,) + (False,) * (len(arrays) - 1)
    try:
        result = node.backward(np.conj(tangent) if complex_tangent else tangent)[0]
    finally:
        node.needs_input_grad = needs
    return np.conj(result) if complex_tangent else result
