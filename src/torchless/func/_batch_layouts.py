"""The memory layouts of PyTorch's batched tensors, for vmap's results to be laid out as PyTorch's are.

torchless runs a vmapped function sample by sample; a batched sample records where the batch dimension lies in
memory by its batch rank (autograd.forward_ad.mark_batch_rank) and its own dims' memory order. PyTorch runs an
op once on the physical tensor, the batch moved to the front by most batching rules, and TensorIterator orders
the result's dims from its operands' strides. Here those physical strides are made from a sample (``physical``),
an op's result laid out from them (``indexed``) and the sample re-laid out to give them when stacked
(``laid_out_sample``).
"""
import numpy as np

from .. import _memory_format


def physical(sample, size, rank):
    """The strides (in elements) of PyTorch's batched tensor for ``sample``, batch first (its size ``size``): a
    mapped input's own (the whole input, its batch dim moved to the front), any other's as vmap stacks it (its
    dims in their memory order, the batch after its ``rank`` outermost of size above 1)."""
    whole, dim = sample.__dict__.get("_vmap_input"), sample.__dict__.get("_vmap_in_dim")
    if whole is not None and dim is not None and whole.dim() == sample.dim() + 1:
        strides = whole.stride()
        return (strides[dim],) + strides[:dim] + strides[dim + 1:]
    strides = _memory_format.element_strides(sample._data)
    order = sorted(range(sample.dim()), key=lambda d: -strides[d])
    if not _memory_format.is_dense(sample._data):
        order = sorted(order)
    outer = [position for position, d in enumerate(order) if sample.shape[d] > 1][:rank]
    batch_position = outer[-1] + 1 if outer else 0
    physical_order = [d + 1 for d in order[:batch_position]] + [0] + [d + 1 for d in order[batch_position:]]
    shape = (size,) + tuple(sample.shape)
    result, step = [0] * len(shape), 1
    for d in reversed(physical_order):
        result[d] = step
        step *= max(shape[d], 1)
    return tuple(result)


def _full_key(key, ndim):
    """``key`` as one part per dim, each a full slice or an index (a (shape, strides, batch stride or None)
    triple), else None (a key of other parts: ints, partial slices, None, masks, whose rules are not modelled
    here)."""
    parts = key if isinstance(key, tuple) else (key,)
    if sum(part is Ellipsis for part in parts) > 1:
        return None
    if any(part is Ellipsis for part in parts):
        at = next(i for i, part in enumerate(parts) if part is Ellipsis)
        parts = parts[:at] + (slice(None),) * (ndim - len(parts) + 1) + parts[at + 1:]
    parts = parts + (slice(None),) * (ndim - len(parts))
    if len(parts) != ndim:
        return None
    for part in parts:
        if not (isinstance(part, tuple) or isinstance(part, slice) and part == slice(None)):
            return None
    return parts


def _index_layout(src_shape, src_strides, key):
    """(shape, strides) of ``at::index(src, key)`` as TensorIterator lays it out: ``key`` one part per dim of
    ``src``, None or an index (shape, strides), the index arrays broadcast together; the indexed dims replaced by
    the index's, in place where they are adjacent, else in front (transposeToFront)."""
    advanced = [d for d, part in enumerate(key) if part is not None]
    index_shape = tuple(np.broadcast_shapes(*(key[d][0] for d in advanced)))
    adjacent = advanced == list(range(advanced[0], advanced[-1] + 1))
    zeros = [0] * len(index_shape)
    before = [d for d in range(advanced[0]) if adjacent]
    after = [d for d in range(len(src_shape)) if d not in advanced and d not in before]
    out_shape = tuple(src_shape[d] for d in before) + index_shape + tuple(src_shape[d] for d in after)
    operands = [[src_strides[d] for d in before] + zeros + [src_strides[d] for d in after]]
    for d in advanced:
        shape, strides = key[d]
        lead = len(index_shape) - len(shape)
        placed = [0] * lead + [0 if n == 1 and index_shape[lead + i] != 1 else strides[i] for i, n in enumerate(shape)]
        operands.append([0] * len(before) + placed + [0] * len(after))
    return out_shape, _memory_format.layout_strides(out_shape, [(out_shape, st) for st in operands])


def indexed(self_strides, self_batched, shape, key, size, result_shape):
    """The strides (batch first) PyTorch's index rule gives ``self[key]`` for a tensor of sample shape ``shape``,
    batched with physical strides ``self_strides`` (see physical) or not (its own strides), and a key of full slices and
    indices ((shape, strides, batch stride) of a sample, the batch stride None for an index not batched): its
    batchIndices (the batch moved to the front, a full slice or an arange leading the key), ``at::index`` on the
    physical tensors, then the result's dims moved as its three cases do. None for a key not modelled or a
    result not of ``result_shape``."""
    parts = _full_key(key, len(shape))
    if parts is None:
        return None
    advanced = [d for d, part in enumerate(parts) if isinstance(part, tuple)]
    if not advanced:
        return None
    indices_batched = any(parts[d][2] is not None for d in advanced)
    logical_rank = max(len(parts[d][0]) for d in advanced)
    physical_key = []
    for part in parts:
        if not isinstance(part, tuple):
            physical_key.append(None)
            continue
        index_shape, strides, batch_stride = part
        if batch_stride is not None:  # (its batch in front, padded to the indices' logical rank)
            pad = logical_rank - len(index_shape)
            index_shape, strides = (size,) + (1,) * pad + tuple(index_shape), (batch_stride,) + (0,) * pad + strides
        physical_key.append((tuple(index_shape), tuple(strides)))
    src_shape = tuple(shape)
    if self_batched:
        src_shape = (size,) + src_shape
        lead = ((size,) + (1,) * logical_rank, (1,) * (logical_rank + 1)) if indices_batched else None
        physical_key = [lead] + physical_key
    out_shape, strides = _index_layout(src_shape, self_strides, physical_key)
    adjacent = advanced == list(range(advanced[0], advanced[-1] + 1))
    leading = advanced[0]
    if self_batched and not indices_batched:
        batch_dim = 0 if adjacent else logical_rank
    elif not self_batched:
        batch_dim = leading if adjacent else 0
    else:
        batch_dim = 0
        if adjacent and leading:  # (swap_regions: the leading dims back in front of the index's)
            order = [0] + list(range(1 + logical_rank, 1 + logical_rank + leading)) + \
                list(range(1, 1 + logical_rank)) + list(range(1 + logical_rank + leading, len(out_shape)))
            out_shape, strides = tuple(out_shape[d] for d in order), tuple(strides[d] for d in order)
    sample_shape = out_shape[:batch_dim] + out_shape[batch_dim + 1:]
    if tuple(sample_shape) != tuple(result_shape) or out_shape[batch_dim] != size or 1 in out_shape:
        return None  # (dims of size 1: their strides, which vmap's stacking sets, are not modelled)
    return (strides[batch_dim],) + tuple(strides[:batch_dim]) + tuple(strides[batch_dim + 1:])


def laid_out_sample(result, strides):
    """The batch rank that gives ``result`` (a sample's result) the physical ``strides`` (batch first) when vmap
    stacks it, after laying its dims out in their memory order there (a copy, where its own order differs)."""
    shape = result.shape
    own = strides[1:]
    order = sorted(range(len(shape)), key=lambda d: -own[d])
    wanted, step = [0] * len(shape), 1
    for d in reversed(order):
        wanted[d] = step
        step *= max(shape[d], 1)
    if any(n > 1 and a != b for n, a, b in zip(shape, _memory_format.element_strides(result._data), wanted)):
        result._data = _memory_format.with_strides(result._data, wanted)
    return sum(1 for n, stride in zip(shape, own) if n > 1 and stride > strides[0])
