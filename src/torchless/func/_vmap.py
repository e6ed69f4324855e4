"""``vmap``: a function of one sample mapped over a batch dimension of its inputs.

torchless runs the function once per sample (its inputs selected at the mapped index) and stacks the results,
where PyTorch runs it once on batched tensors. The results, shapes and argument errors are PyTorch's. The tensors
computed from a sample are marked batched (autograd.forward_ad.vmap_level) by the ops that record graphs and by
comparisons: those refuse ``.item()``, ``bool()`` (data-dependent control flow), ``numpy()`` and ``nonzero()`` as
PyTorch's batched tensors do (a value read through an op that marks nothing goes through). ``randomness=
"different"`` draws other random numbers than PyTorch's batched draws (``"same"`` draws those of one unbatched call,
as PyTorch does).
"""
import functools
import itertools

import numpy as np

from .. import _parser_errors
from ..autograd import forward_ad
from ..utils._pytree import _broadcast_to_and_flatten, tree_flatten, tree_unflatten

_RANDOMNESS = ("error", "different", "same")


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    r"""``func`` mapped over a dimension of its inputs: ``vmap(f)(x)`` stacks ``f(x[i])`` over ``i``.

    Args:
        func (callable): a function of tensors (nested in tuples, lists and dicts) returning tensors.
        in_dims (int, None or nested tuple): the dimension of each input mapped over (None: not mapped, passed
            to every call whole); an int applies to every input. Default: 0.
        out_dims (int, None or nested tuple): where the mapped dimension goes in each output. Default: 0.
        randomness (str): ``"error"`` refuses random operations inside ``func``, ``"different"`` draws anew for
            every sample, ``"same"`` gives every sample the draws of the first. Default: ``"error"``.
        chunk_size (int, optional): accepted for PyTorch's signature (torchless maps one sample at a time).

    Shape:
        - Input: the mapped dimension of size :math:`B` in each mapped input.
        - Output: ``func``'s per-sample output with a dimension of size :math:`B` inserted at ``out_dims``.

    Example::

        >>> dot = lambda a, b: (a * b).sum()
        >>> torchless.vmap(dot)(torchless.ones(5, 3), torchless.ones(5, 3)).shape
        torchless.Size([5])
    """
    if randomness not in _RANDOMNESS:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def mapped(*args, **kwargs):
        return _mapped_call(func, in_dims, out_dims, randomness, chunk_size, args, kwargs)

    return mapped


def _name(func):
    return getattr(func, "__name__", repr(func))


def _mapped_call(func, in_dims, out_dims, randomness, chunk_size, args, kwargs):
    from .._tensor import Tensor

    name = _name(func)
    where = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
    if not args:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying "
                         "to vmap over a function with no inputs. The latter is unsupported.")
    if not (isinstance(in_dims, int) or type(in_dims) is tuple):
        raise ValueError(f"{where}: expected `in_dims` to be int or a (potentially nested) tuple matching the "
                         f"structure of inputs, got: {type(in_dims)}.")
    flat_args, args_spec = tree_flatten(args)
    flat_dims = _broadcast_to_and_flatten(in_dims, args_spec)
    if flat_dims is None:
        raise ValueError(f"{where}: in_dims is not compatible with the structure of `inputs`. in_dims has structure "
                         f"{tree_flatten(in_dims)[1]} but inputs has structure {args_spec}.")
    sizes = []
    for arg, dim in zip(flat_args, flat_dims):
        if dim is None:
            continue
        if not isinstance(dim, int):
            raise ValueError(f"{where}: Got in_dim={dim} for an input but in_dim must be either an integer dimension "
                             "or None.")
        if not isinstance(arg, Tensor):
            raise ValueError(f"{where}: Got in_dim={dim} for an input but the input is of type {type(arg)}. We cannot "
                             "vmap over non-Tensor arguments, please use None as the respective in_dim")
        if not -arg.dim() <= dim < arg.dim():
            raise ValueError(f"{where}: Got in_dim={dim} for some input, but that input is a Tensor of dimensionality "
                             f"{arg.dim()} so expected in_dim to satisfy -{arg.dim()} <= in_dim < {arg.dim()}.")
        sizes.append(arg.shape[dim])
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if len(set(sizes)) > 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    if chunk_size is not None:  # PyTorch's split of the inputs, read as its parser reads it, for its errors
        split = tuple(itertools.accumulate(chunk_sizes(sizes[0], chunk_size)))
        dim = next(dim for dim in flat_dims if dim is not None)
        _parser_errors.parse_overload("tensor_split", _parser_errors.METHOD_OVERLOADS["tensor_split"], (split,),
                                      {"dim": dim})

    if sizes[0] == 0 and chunk_size is not None:  # (PyTorch's chunking finds no chunk to take the inputs' spec from)
        raise AssertionError("arg_spec must not be None")

    mapped = [(arg, dim % arg.dim()) for arg, dim in zip(flat_args, flat_dims) if dim is not None]
    kept_layout = _kept_layout(mapped)
    batch_rank = kept_layout[1] if kept_layout else 0
    front_rank = _front_rank(*mapped[0]) if kept_layout and len(mapped) == 1 else None
    unit_layout = None
    if kept_layout and (1 in kept_layout[0] or sizes[0] == 1):
        shape, strides, moved = _unit_layout(*mapped[0])
        unit_layout = (shape, strides, batch_rank, moved)
    elif front_rank is not None:  # (not dense: the layout TensorIterator gives the view with the batch in front)
        unit_layout = _unit_layout(*mapped[0])[2] + (front_rank,)

    def sample(index, level):
        if sizes[0] == 0:  # no sample to run: the outputs' shapes come from a stand-in one, its values never used
            leaves = [arg if dim is None else
                      arg.new_zeros(arg.shape[:dim % arg.dim()] + arg.shape[dim % arg.dim() + 1:])
                      for arg, dim in zip(flat_args, flat_dims)]
        else:
            leaves = [arg if dim is None else arg.select(dim, index) for arg, dim in zip(flat_args, flat_dims)]
        leaves = [leaf if dim is None else _mapped_sample(leaf, level, batch_rank, arg, front_rank, dim % arg.dim())
                  for leaf, arg, dim in zip(leaves, flat_args, flat_dims)]
        return func(*tree_unflatten(leaves, args_spec), **kwargs)

    unmapped = [arg for arg, dim in zip(flat_args, flat_dims) if dim is None]
    with _randomness(randomness) as before_each_sample, forward_ad.vmap_level(
            sizes[0], unmapped, [arg for arg, _ in mapped]) as level:
        outputs = []
        for index in range(max(sizes[0], 1)):
            level.at_sample(index)
            before_each_sample()
            outputs.append(sample(index, level))
        flat_outputs = [tree_flatten(output)[0] for output in outputs]
        batched = {position for flat in flat_outputs for position, leaf in enumerate(flat)
                   if isinstance(leaf, Tensor) and forward_ad.batched(leaf)}
    result = _stacked(name, outputs, out_dims, batched, sizes[0], mapped, kept_layout, unit_layout)
    if chunk_size is not None:
        result = _joined_chunks(result, out_dims, chunk_sizes(sizes[0], chunk_size))
    if forward_ad.state.vmap_levels:  # (nested: what the samples computed from the inputs is batched outside too)
        outer = [arg for arg in flat_args if isinstance(arg, Tensor) and forward_ad.batched(arg)]
        if outer:
            flat_result, _ = tree_flatten(result)
            for position in batched:
                if isinstance(flat_result[position], Tensor) and not forward_ad.batched(flat_result[position]):
                    forward_ad.mark_batched(flat_result[position], outer)
                    flat_result[position].__dict__["_vmap_stacked"] = True  # (its strides are PyTorch's: see
                    # _with_sample_strides)
                    folded = flat_outputs[0][position].__dict__.get("_vmap_folded_rank")
                    if folded is not None:  # (batch_norm's rule folds the enclosing call's batch into the
                        # channels too, next to this call's: after the samples' dim 0 in memory)
                        forward_ad.mark_batch_rank(flat_result[position], folded)
                        flat_result[position].__dict__["_vmap_folded_rank"] = folded
                    if "_vmap_outer_front" in flat_outputs[0][position].__dict__:  # (its rule put this call's
                        # batch in front of the enclosing call's, which it moved to the front first)
                        forward_ad.mark_batch_rank(flat_result[position], 0)
                        flat_result[position].__dict__["_vmap_outer_front"] = True
    return result


def _mapped_sample(sample, level, batch_rank, whole, front_rank=None, dim=None):
    """``sample``, a sample of the mapped input ``whole`` (mapped over ``dim``), marked batched by the vmap call
    ``level`` with the batch rank of its input (and ``front_rank``, that of ops moving its batch to the front,
    where it differs: see _front_rank), and knowing ``whole`` (which debug_unwrap gives, as PyTorch's unwraps the
    batched tensor to it)."""
    sample.__dict__["_vmap_input"] = whole
    sample.__dict__["_vmap_in_dim"] = dim
    forward_ad.mark_batch_rank(level.mark(sample), batch_rank)
    if front_rank is not None and front_rank != batch_rank:
        sample.__dict__["_vmap_front_rank"] = front_rank
    return sample


def debug_unwrap(tensor, *, recurse=True):
    r"""Unwraps a batched tensor to the tensor it wraps: within a function vmap maps, an input sample gives the
    whole input it comes from (itself a sample of an enclosing vmap's input, unwrapped in turn if ``recurse``).

    torchless runs the samples one by one, so a tensor computed inside the function has no whole batched tensor
    to give: it is returned as it is, as a tensor no transform wraps. This function is meant for debugging only.
    """
    from .._tensor import Tensor

    if not (isinstance(tensor, Tensor) and "_vmap_input" in tensor.__dict__ and forward_ad.batched(tensor)):
        return tensor
    whole = tensor.__dict__["_vmap_input"]
    return debug_unwrap(whole) if recurse else whole


def _kept_layout(mapped_inputs):
    """(the samples' shape, their batch rank) when the mapped inputs agree on both, else None: PyTorch's pointwise
    ops and views leave the batch dimension where the inputs have it in memory, after the dims of size above 1
    outer to it in the order TensorIterator lays out a result like the input (see forward_ad.mark_batch_rank: a
    transposed input's batch may come last, an expanded one's keeps its place); otherwise its batching rules move
    it to the front."""
    mapped = {(tensor.shape[:dim] + tensor.shape[dim + 1:], _batch_rank(tensor, dim)) for tensor, dim in mapped_inputs}
    return mapped.pop() if len(mapped) == 1 and None not in next(iter(mapped)) else None


def _batch_rank(tensor, dim):
    """The number of dims of size above 1 outer to the mapped dim ``dim`` in the memory of ``tensor``'s pointwise
    results: its own where it is dense, else the order TensorIterator gives them (an expanded or sliced input's:
    by stride, the broadcast dims keeping C order), as PyTorch's unary rules run on the whole batched tensor."""
    from .. import _memory_format

    if tensor.is_contiguous():
        return sum(size > 1 for size in tensor.shape[:dim])
    strides = _memory_format.element_strides(tensor._data)
    if not _memory_format.is_dense(tensor._data):
        strides = _memory_format.layout_strides(tensor.shape, [(tensor.shape, strides)])
    return sum(size > 1 and stride > strides[dim] for size, stride in zip(tensor.shape, strides))


def _front_rank(tensor, dim):
    """The batch rank of the results of ops whose batching rules move the batch dim of ``tensor`` (mapped over
    ``dim``) to the front before running (binary ops, flips, sorts, indexing), None where it is that of
    _batch_rank: for a tensor not dense (expanded, sliced) TensorIterator orders the moved view's dims anew."""
    from .. import _memory_format

    if _memory_format.is_dense(tensor._data) or forward_ad.batched(tensor):
        return None  # (an enclosing vmap's sample: its memory holds the outer batch too, which ranks do not place)
    moved = tensor.movedim(dim, 0)
    strides = _memory_format.layout_strides(moved.shape, [(moved.shape, _memory_format.element_strides(moved._data))])
    return sum(size > 1 and stride > strides[0] for size, stride in zip(moved.shape, strides))


def _unit_layout(tensor, dim):
    """(shape, strides) of the result TensorIterator lays out for a pointwise op on ``tensor`` (mapped over
    ``dim``), the batch dim moved to the front: where its samples have dims of size 1, the strides PyTorch's
    batched results of their shape give those dims (its physical tensor keeps the input's order of every dim);
    then the (shape, strides) it lays out for the view with the batch moved to the front, as binary rules run."""
    from .. import _memory_format

    strides = _memory_format.layout_strides(tensor.shape, [(tensor.shape,
                                                            _memory_format.element_strides(tensor._data))])
    order = [dim] + [d for d in range(tensor.dim()) if d != dim]
    shape = tuple(tensor.shape[d] for d in order)
    moved = (shape, _memory_format.layout_strides(shape, [(shape, tuple(tensor.stride(d) for d in order))]))
    return shape, tuple(strides[d] for d in order), moved


def _with_unit_strides(result, layout):
    """Give the dims of size 1 of ``result`` (the samples stacked, batch first) the strides of ``layout`` (see
    _unit_layout) where its other dims lie in memory in the same order: addressing the same elements, only the
    strides that report where those dims sit change."""
    from .. import _memory_format

    shape, strides = layout
    array = result._data
    own = _memory_format.element_strides(array)
    if tuple(array.shape) != shape or own == strides or not _memory_format.is_dense(array):
        return
    if any(size > 1 and stride != own_stride for size, stride, own_stride in zip(shape, strides, own)):
        return
    result._data = np.lib.stride_tricks.as_strided(array, shape, [stride * array.itemsize for stride in strides],
                                                   writeable=array.flags.writeable)


def _with_sample_strides(result, first):
    """Give ``result`` (the samples stacked, batch first) the strides of its samples, of which ``first`` is one,
    for the dims of size 1 too: the results of a nested vmap call, whose strides are those of PyTorch's batched
    tensor with this call's batch outermost (its physical tensor's, that batch dropped), where they are dense."""
    from .. import _memory_format

    array, sample = result._data, first._data
    if not (_memory_format.is_dense(sample) and _memory_format.is_dense(array)) or 0 in array.shape:
        return
    strides = (sample.size,) + _memory_format.element_strides(sample)
    own = _memory_format.element_strides(array)
    if own != strides and all(n == 1 or a == b for n, a, b in zip(array.shape, own, strides)):
        result._data = np.lib.stride_tricks.as_strided(array, array.shape,
                                                       [stride * array.itemsize for stride in strides],
                                                       writeable=array.flags.writeable)


def _with_front_layout(result, first, rank, layout):
    """Lay ``result`` (the samples stacked, batch first) out as ``layout`` (shape, strides, batch rank: see
    _unit_layout) where the samples' ``first`` output comes from elementwise ops whose rules moved the batch of
    an input not dense (expanded, sliced) to the front: TensorIterator orders that view's dims by its strides,
    skipping the broadcast ones, which may leave the samples' dims in an order no batch rank gives."""
    from .. import _memory_format

    shape, strides, front_rank = layout
    if ("_vmap_moved" not in first.__dict__ or "_vmap_own_layout" in first.__dict__ or
            "_vmap_outer_front" in first.__dict__ or rank != front_rank or tuple(result.shape) != shape):
        return
    result._data = _memory_format.with_strides(result._data, strides)


def _joined_chunks(result, out_dims, sizes):
    """The outputs of a vmap call with a chunk_size as PyTorch's are: each the cat of its chunks' (of ``sizes``)
    along its out_dim, a new tensor laid out as cat lays it out (of one chunk too), where an out_dim None meets
    cat's refusal."""
    from .._functions import cat

    flat, spec = tree_flatten(result)
    count = len(sizes)
    joined = [cat([leaf] * count, dim=None) if dim is None else cat(leaf.split(sizes, dim), dim=dim)
              for leaf, dim in zip(flat, _broadcast_to_and_flatten(out_dims, spec))]
    return tree_unflatten(joined, spec)


def chunk_sizes(total, chunk_size):
    """PyTorch's chunks of ``total`` samples: as many of ``chunk_size`` as fit, then the remainder. torchless runs
    one sample at a time, so its vmap and jacrev make them only to meet the errors PyTorch's chunking raises for a
    ``chunk_size`` that is no int (a float fails here, a bool in the op splitting with them)."""
    sizes = [chunk_size] * (total // chunk_size)
    if total % chunk_size:
        sizes.append(total % chunk_size)
    return sizes


class _randomness:
    """The random draws of the samples run inside: refused (``"error"``), each its own (``"different"``), or all
    those of the first (``"same"``: the default generator rewound before each sample). Entered, it gives the
    function to call before each sample."""

    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        from .. import random

        random.vmap_randomness.append(self.mode)
        if self.mode != "same":
            return lambda: None
        state = random.get_rng_state()
        return lambda: random.set_rng_state(state)

    def __exit__(self, *exc):
        from .. import random

        random.vmap_randomness.pop()


def _stacked(name, outputs, out_dims, batched, size, mapped_inputs, kept_layout, unit_layout=None):
    """The samples' outputs stacked along ``out_dims``: ``batched``, the positions of the outputs (flattened) that
    the call marked batched; ``size``, the batch size (0: ``outputs`` holds a stand-in's); ``mapped_inputs``:
    the inputs mapped over, with the dim each is mapped over; ``kept_layout``, their samples' (shape, batch rank)
    or None; ``unit_layout``, see _unit_layout, with the inputs' batch rank. Laid out as PyTorch's are (see
    _stacked_column): an output the call did not mark (an integer one) with the inputs' batch rank if it has their
    samples' shape."""
    from .._tensor import Tensor

    if not (out_dims is None or isinstance(out_dims, int) or isinstance(out_dims, (tuple, list, dict))):
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a python "
                         "collection of ints representing where in the outputs the vmapped dimension should appear.")
    flat_per_sample = [tree_flatten(output) for output in outputs]
    flat_outputs, out_spec = flat_per_sample[0]
    flat_dims = _broadcast_to_and_flatten(out_dims, out_spec)
    if flat_dims is None:
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with the "
                         f"structure of `outputs`. out_dims has structure {tree_flatten(out_dims)[1]} but outputs "
                         f"has structure {out_spec}.")
    stacked = []
    for position, (first, dim) in enumerate(zip(flat_outputs, flat_dims)):
        column = [flat[position] for flat, _ in flat_per_sample]
        unbatched = position not in batched and all(
            first is t or (first.dtype.is_floating_point or first.is_complex()) and first.equal(t) for t in column)
        if dim is None:
            if isinstance(first, Tensor) and not unbatched:
                raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None")
            stacked.append(first)
            continue
        if not isinstance(first, Tensor):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(first)}. Did you "
                             "mean to set out_dims= to None for output?")
        if position in batched:
            rank = first.__dict__.get("_vmap_rank", 0)
        else:
            rank = kept_layout[1] if kept_layout and first.shape == kept_layout[0] else 0
        stacked.append(_stacked_column(column, dim, size, unbatched, mapped_inputs, rank, unit_layout))
    return tree_unflatten(stacked, out_spec)


def _stacked_column(column, dim, size, unbatched, mapped_inputs, rank, unit_layout=None):
    """One output of every sample stacked at ``dim``, as PyTorch's batched tensor unwrapped there: an unbatched
    output (the same in every sample) expanded to the batch size, a view of a mapped input the view of it PyTorch's
    view ops give, any other with the batch after the sample's ``rank`` outermost dims of size above 1
    (forward_ad.mark_batch_rank); the batch dimension then moved to ``dim``."""
    first = column[0]
    if unbatched and -first.dim() - 1 <= dim <= first.dim():  # (PyTorch expands it as if the batch came first)
        shape = list(first.shape)
        shape.insert(dim % (first.dim() + 1), size)
        return first.expand(shape)
    result = _view_of_input(column, mapped_inputs) if size else None
    if result is None and size and all("_vmap_expanded" in t.__dict__ for t in column):
        # (a Jacobian of zeros expanded from one row or column: PyTorch's batched zeros expanded likewise)
        shape = first.__dict__["_vmap_expanded"][1]
        result = _stacked_samples([t.__dict__["_vmap_expanded"][0] for t in column], 0).view(
            (size,) + shape).expand((size,) + tuple(first.shape))
    if result is None:
        result = _stacked_samples(column, rank)
        if not rank and "_vmap_stacked" in first.__dict__:
            _with_sample_strides(result, first)
        if unit_layout is not None and len(unit_layout) == 3:
            _with_front_layout(result, first, rank, unit_layout)
        elif unit_layout is not None and rank == unit_layout[2] and "_vmap_outer_front" not in first.__dict__:
            # (from an op whose rule moved the batch to the front: TensorIterator lays out the moved view, whose
            # size-1 dims may make it C order; an op allocating its result C-contiguous gives them C strides)
            _with_unit_strides(result, unit_layout[3] if "_vmap_moved" in first.__dict__ else unit_layout[:2])
        if size == 0:
            result = result.narrow(0, 0, 0)
    return result if dim == 0 else result.movedim(0, dim)


def _view_of_input(column, inputs):
    """The samples' outputs as one view of the mapped input of ``inputs`` ((tensor, mapped dim) pairs) whose memory
    they all view, one sample a fixed step after the other (a view op's result, as PyTorch's batched view is), else
    None. The view is made only where gradients and tangents flow through it as through the samples' outputs."""
    first = column[0]._data
    root = _memory_root(first)
    for tensor, dim in inputs:
        if _memory_root(tensor._data) is root:
            break
    else:
        return None
    tangent = forward_ad.has_tangent([tensor])
    if any(t.requires_grad != tensor.requires_grad or t._data.strides != first.strides or
           forward_ad.has_tangent([t]) != tangent for t in column):
        return None
    itemsize = first.itemsize
    start = tensor._data.__array_interface__["data"][0]
    offsets = [t._data.__array_interface__["data"][0] - start for t in column]
    step = offsets[1] - offsets[0] if len(offsets) > 1 else _single_step(tensor, dim, column[0])
    if step is None or step < 0 or step % itemsize or offsets[0] % itemsize or any(
            later - earlier != step for earlier, later in zip(offsets, offsets[1:])):
        return None
    strides = [step // itemsize] + [stride // itemsize for stride in first.strides]
    return tensor.as_strided((len(column),) + tuple(column[0].shape), strides,
                             tensor.storage_offset() + offsets[0] // itemsize)


def _single_step(tensor, dim, output):
    """The batch stride (in bytes) of PyTorch's view ``output`` of the input ``tensor`` mapped over ``dim`` (of
    size 1): a reshape's as c10's computeStride gives it for the view with the batch in front (None where it
    cannot), any other view's (select, slice, transpose, unsqueeze: read as those where the sizes allow) the
    input's."""
    from .. import _memory_format

    sample_shape = tensor.shape[:dim] + tensor.shape[dim + 1:]
    kept = sorted(n for n in output.shape if n != 1) == sorted(n for n in sample_shape if n != 1)
    if not kept and output.numel() == tensor.numel():
        moved = tensor.movedim(dim, 0)
        strides = _memory_format.view_strides(tuple(moved.shape), moved.stride(), (1,) + tuple(output.shape))
        return None if strides is None else strides[0] * tensor._data.itemsize
    return tensor._data.strides[dim]


def _memory_root(array):
    """The object owning ``array``'s memory (NumPy's broadcast and strided views hold it through a stand-in)."""
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def _stacked_samples(samples, rank):
    """``samples`` stacked along a new first dimension, laid out as PyTorch's batched result is: the dims of each
    sample in their memory order (a transposed sample stays transposed), the batch after the ``rank`` outermost of
    size above 1."""
    from .. import _memory_format
    from .._functions import stack

    first = samples[0]._data
    strides = _memory_format.element_strides(first)
    order = sorted(range(first.ndim), key=lambda d: -strides[d])
    if not _memory_format.is_dense(first):
        order = sorted(order)
    outer = [position for position, d in enumerate(order) if first.shape[d] > 1][:rank]
    batch_position = outer[-1] + 1 if outer else 0
    if order == sorted(order) and not batch_position:
        return stack(samples)
    physical = order[:batch_position] + [None] + order[batch_position:]  # (None: the batch dimension)
    restored = [physical.index(None)] + [physical.index(d) for d in range(first.ndim)]
    result = stack([sample.permute(order) for sample in samples], batch_position).permute(restored)
    if not batch_position:  # (the batch outermost: PyTorch's physical tensor keeps each sample's strides, those of
        _with_sample_strides(result, samples[0])  # its dims of size 1 too, which the order above may misplace)
    return result
