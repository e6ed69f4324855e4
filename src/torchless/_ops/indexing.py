"""Reading and writing through an index: t[key] and t[key] = value."""
import numpy as np

from .._memory_format import iterator_layout, preserving, with_c_strides, with_strides
from ..autograd import forward_ad
from ..autograd._basic_ops import DelayedError
from ..autograd.graph import COPY_SLICES, FoldedNode, Node, renamed
from ..autograd.saved_values import Saved, SavedInput, SavedTuple, constants, int64, saved_result
from ._util import broadcast_error, unbroadcast, unbroadcast_tensor


def is_basic_key(key):
    """True for keys made only of ints, slices, None and Ellipsis (results are views, no repeats)."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice, np.integer)) for p in parts)


def _index_arrays(key):
    """The parts of ``key`` index_put indexes by: index arrays of some dims, and 0-d bool ones (a 0-d integer one
    selects like an int)."""
    parts = key if isinstance(key, tuple) else (key,)
    return [p for p in parts if isinstance(p, np.ndarray) and (p.ndim or p.dtype == np.bool_)]


def fills_through_mask(key, value_size):
    """Whether PyTorch's ``t[key] = value`` is a masked_fill_ by the value as a number: a single bool mask (of some
    dims) and a one-element value."""
    arrays = _index_arrays(key)
    return value_size == 1 and len(arrays) == 1 and arrays[0].dtype == np.bool_ and arrays[0].ndim > 0


def needs_same_dtype(key, value_size):
    """Whether PyTorch refuses a value of another dtype for ``t[key] = value``: index_put does, except when it
    fills through a mask (masked_fill converts the value)."""
    return bool(_index_arrays(key)) and not fills_through_mask(key, value_size)


def _is_int(part):
    return isinstance(part, (int, np.integer)) and not isinstance(part, (bool, np.bool_))


_INLINE_SIZES = 5  # (c10's SizesAndStrides keeps 5 sizes, then 5 strides, inline)


def single_ellipsis(shape, key):
    """``key`` with at most one Ellipsis, where PyTorch reads more. PyTorch walks the key over the dims of
    ``shape``, each Ellipsis skipping the dims the rest of the key leaves (so a second one skips them again): an
    int out of its dim's range fails there, as does a part that lands past the last dim (an int reads a size of
    0, None and a bool unsqueeze out of range, index tensors count too many indices); a slice there does
    nothing."""
    if not isinstance(key, tuple) or sum(p is Ellipsis for p in key) < 2:
        return key
    ndim = len(shape)
    specified = sum(p.ndim if isinstance(p, np.ndarray) and p.dtype == np.bool_ else 1 for p in key
                    if p is not None and p is not Ellipsis)
    if specified > ndim:
        return key  # (too many indices: refused as any such key)
    skipped = ndim - specified
    sizes = list(shape)  # the sizes so far (those of dims already passed stay as they were: none is read again)
    rank, dim, indexed, walked = ndim, 0, 0, []  # the rank so far, the dim reached, the dims indexed by tensors
    for position, part in enumerate(key):
        if part is Ellipsis:
            walked.extend([slice(None)] * max(0, min(skipped, rank - dim)))
            dim += skipped
        elif part is None or isinstance(part, np.ndarray) and part.dtype == np.bool_ and not part.ndim:
            if dim > rank:
                raise IndexError(f"Dimension out of range (expected to be in range of [{-rank - 1}, {rank}], but got "
                                 f"{dim})")
            walked.append(part)
            sizes.insert(dim, 1)
            rank, dim = rank + 1, dim + 1
            indexed = dim if part is not None else indexed
        elif isinstance(part, slice):
            if part.step is not None and part.step < 1:  # (read before the dim)
                raise _step_error(part.step)
            if dim < rank:
                walked.append(part)
            elif dim < _INLINE_SIZES and not _slices_nothing_off(part):
                # (PyTorch reads the size there as 0: a slice from 0 by 1 to at least 0 returns the tensor itself,
                # any other one is a slice of that dim)
                raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got "
                                 f"{dim})")
            dim += 1
        elif _is_int(part):
            if dim >= rank:  # (PyTorch reads the size past the last one: an unused slot, 0, then a stride)
                if dim < _INLINE_SIZES:
                    raise IndexError(f"index {part} is out of bounds for dimension {position} with size 0")
                raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got "
                                 f"{dim})")
            size = sizes.pop(dim)
            if not -size <= part < size:
                raise IndexError(f"index {part} is out of bounds for dimension {position} with size {size}")
            walked.append(part)
            rank -= 1
        else:  # an index array or a mask
            dim += part.ndim if isinstance(part, np.ndarray) and part.dtype == np.bool_ else 1
            indexed = dim
            walked.append(part)
    if indexed > rank:
        raise IndexError(f"too many indices for tensor of dimension {rank} (got {indexed})")
    return tuple(walked)


def _slices_nothing_off(part):
    """Whether PyTorch's indexing skips the slice ``part`` of a dim of size 0: it starts at 0, steps by 1 and
    stops at 0 or later."""
    return part.start in (None, 0) and part.step in (None, 1) and (part.stop is None or part.stop >= 0)


def _step_error(step):
    """The error of a slice of a ``step`` below one: Python's own for 0, PyTorch's for a backward one."""
    return ValueError("slice step cannot be zero" if step == 0 else "step must be greater than zero")


def check_steps(shape, key):
    """PyTorch slices only forwards: a key with a step below one fails (with the error of whichever part of the
    key PyTorch reaches first), where NumPy would walk backwards."""
    parts = key if isinstance(key, tuple) else (key,)
    if any(isinstance(p, slice) and p.step is not None and p.step < 1 for p in parts):
        raise index_error(shape, key, None)


def select_first(key):
    """PyTorch applies the ints of a key (selects) before its index arrays, so ``t[1, :, [0, 2]]`` keeps the
    slice's dim first; NumPy counts the ints among the advanced indices and may move the indexed dims to the
    front. For a key with both: the key of the selects (a view) and the key for the rest, else None."""
    parts = key if isinstance(key, tuple) else (key,)
    if not (any(_is_int(p) for p in parts) and any(isinstance(p, np.ndarray) for p in parts)):
        return None
    return _staged(parts)


def views_first(shape, key):
    """How PyTorch assigns through a ``key`` (of a single Ellipsis) of both index arrays and view-making parts
    (ints, None, slices short of their whole dim of ``shape``): it index_puts into the view those parts make, so
    its graph records the write as one into a view (CopySlices). The key of that view and the key for the rest,
    else None."""
    parts = key if isinstance(key, tuple) else (key,)
    if not any(isinstance(p, np.ndarray) for p in parts):
        return None
    consumed = sum(np.ndim(p) if getattr(p, "dtype", None) == np.bool_ else 1
                   for p in parts if p is not None and p is not Ellipsis)
    if consumed > len(shape):  # (too many indices: refused as the key is written)
        return None
    dim = 0
    for part in parts:
        if part is Ellipsis:
            dim += len(shape) - consumed
            continue
        if part is None or _is_int(part):
            return _staged(parts)
        if isinstance(part, slice) and part.indices(shape[dim]) != (0, shape[dim], 1):
            return _staged(parts)
        dim += np.ndim(part) if getattr(part, "dtype", None) == np.bool_ else 1
    return None


def _staged(parts):
    """The key parts ``parts`` as two keys: the basic parts' (a view; each index array a full slice of the dims it
    indexes), then the index arrays' into that view."""
    first, rest = [], []
    for part in parts:
        if _is_int(part):
            first.append(part)
        elif part is Ellipsis:
            first.append(part)
            rest.append(part)
        elif isinstance(part, np.ndarray):
            first.extend([slice(None)] * (part.ndim if part.dtype == np.bool_ else 1))
            rest.append(part)
        else:  # a slice, or None (a new dim the rest passes over)
            first.append(part)
            rest.append(slice(None))
    if not any(p is Ellipsis for p in first):
        first.append(Ellipsis)  # keeps the result a view when the ints cover every dim
    return tuple(first), tuple(rest)


def sliced_part(key):
    """The basic key of the view that PyTorch's index_put writes ``key``'s index arrays into: ``key`` with each
    index array (a mask of several dims too) a full slice of the dims it indexes (a 0-d bool one a new dim, a 0-d
    integer one the int it selects as)."""
    parts = key if isinstance(key, tuple) else (key,)
    basic = []
    for part in parts:
        if isinstance(part, list):
            part = np.asarray(part)
        if not isinstance(part, np.ndarray):
            basic.append(part)
        elif part.dtype == np.bool_:
            basic.extend([slice(None)] * part.ndim if part.ndim else [None])
        else:
            basic.append(int(part) if not part.ndim else slice(None))
    return tuple(basic)


_SAVES_INPUT = frozenset({"GatherBackward0", "TakeBackward0", "MaskedSelectBackward0"})
# the nodes whose PyTorch backward writes into zeros_like(self), in the input's layout (gather's, index_select's ...
# zeros(sizes) are C-ordered)
_ZEROS_LIKE_INPUT = frozenset({"TakeBackward0", "MaskedSelectBackward0"})
# The nodes of SelectionMethods._gather: keys of one index array per dim, in range and not negative
_GATHERED = frozenset({"GatherBackward0", "SortBackward0", "SortBackward1", "TopkBackward0"})


def _gathered(a, key):
    """``a[key]`` for a key of one index array per dim (broadcast together), each in range and not negative: taken
    by flat offsets from a C-contiguous ``a``, which NumPy does several times faster than indexing by many arrays."""
    if a.ndim < 2 or not a.flags.c_contiguous or not isinstance(key, tuple) or len(key) != a.ndim:
        return a[key]
    offsets = None
    # (the small broadcast parts first: one pass over the full-sized array at the end)
    for size, index, stride in sorted((np.size(k), i, a.strides[i] // a.itemsize) for i, k in enumerate(key)):
        part = key[index] * stride if stride != 1 else key[index]
        offsets = part if offsets is None else offsets + part
    return np.take(a.reshape(-1), offsets)


_INT64_MAX = (1 << 63) - 1  # the end PyTorch's slice node shows for an open-ended slice


def _view_steps(key, shape):
    """PyTorch's indexing of a tensor of ``shape`` by ``key``, as it runs it: (steps, shape, indices). ``steps``
    are the views of the basic parts (select, slice, unsqueeze) in order, each (node name, dim, key part, shape
    viewed); ``shape`` is the shape they leave; ``indices`` are the advanced parts (index arrays) per dim of it,
    None between them, as IndexBackward0 saves them."""
    parts = key if isinstance(key, tuple) else (key,)
    consumed = sum(np.ndim(p) if getattr(p, "dtype", None) == bool else 1
                   for p in parts if p is not None and p is not Ellipsis)
    shape, dim, steps, indices = list(shape), 0, [], []
    for part in parts:
        if part is None:
            steps.append(("UnsqueezeBackward0", dim, None, tuple(shape)))
            shape.insert(dim, 1)
            indices.append(None)
            dim += 1
        elif part is Ellipsis:
            covered = len(shape) - dim - consumed
            indices.extend([None] * covered)
            dim += covered
        elif isinstance(part, slice):
            if not isinstance(key, tuple) or part.indices(shape[dim]) != (0, shape[dim], 1):
                steps.append(("SliceBackward0", dim, part, tuple(shape)))
                shape[dim] = len(range(*part.indices(shape[dim])))
            indices.append(None)
            dim += 1
            consumed -= 1
        elif isinstance(part, (int, np.integer)):
            steps.append(("SelectBackward0", dim, part, tuple(shape)))
            del shape[dim]
            consumed -= 1
        else:  # an index array: a bool mask covers as many dims as it has
            indices.append(part)
            covered = np.ndim(part) if part.dtype == bool else 1
            dim += covered
            consumed -= covered
    while indices and indices[-1] is None:
        indices.pop()
    return steps, tuple(shape), tuple(indices)


def _with_unsqueezed_strides(out, a, key):
    """``out`` = a[key] with the strides PyTorch gives the dims that None parts of ``key`` insert: NumPy gives them
    0, PyTorch's unsqueeze the size times the stride of the dim it inserts before (1 at the end), which
    ``x[None].stride()`` shows."""
    item = a.itemsize
    shape, strides = list(a.shape), [stride // item for stride in a.strides]
    for name, dim, part, _ in _view_steps(key, a.shape)[0]:
        if name == "UnsqueezeBackward0":
            strides.insert(dim, shape[dim] * strides[dim] if dim < len(shape) else 1)
            shape.insert(dim, 1)
        elif name == "SelectBackward0":
            del shape[dim], strides[dim]
        else:
            start, stop, step = part.indices(shape[dim])
            shape[dim], strides[dim] = len(range(start, stop, step)), strides[dim] * step
    pytorchs = tuple(stride * item if size == 1 else kept
                     for size, stride, kept in zip(out.shape, strides, out.strides))
    if pytorchs == out.strides:
        return out
    return np.lib.stride_tricks.as_strided(out, out.shape, pytorchs, writeable=out.flags.writeable)


def _placed_as_pytorch_view(a, key, out):
    """``out``, the view ``a[key]`` of a basic key, of no elements, placed where PyTorch's views put it: NumPy
    starts an empty slice at ``a``'s first element and keeps the dim's stride, PyTorch starts it at the slice's
    start (clamped to the dim) and multiplies the stride by the step, so that empty pieces of a split or narrow
    keep their storage offsets."""
    parts = key if isinstance(key, tuple) else (key,)
    indexed = sum(part is not None and part is not Ellipsis for part in parts)
    strides, offset, dim, position = list(out.strides), 0, 0, 0  # (position: of the dim in out)
    for part in parts:
        if part is None:
            position += 1
        elif part is Ellipsis:
            dim += a.ndim - indexed
            position += a.ndim - indexed
        elif isinstance(part, slice):
            size, start = a.shape[dim], part.start or 0
            offset += min(max(start + size if start < 0 else start, 0), size) * a.strides[dim]
            strides[position] = a.strides[dim] * (part.step or 1)
            dim, position = dim + 1, position + 1
        else:  # an int
            offset += (part + a.shape[dim] if part < 0 else part) * a.strides[dim]
            dim += 1
    return placed_view(a, offset, out.shape, strides)


def basic_view(a, key):
    """The view ``a[key]`` for a basic ``key``: a 0-d view for an int per dim (NumPy's scalar would be a copy),
    placed as PyTorch's view when it has no elements (see above)."""
    out = a[key]
    if not isinstance(out, np.ndarray):
        return a[(key if isinstance(key, tuple) else (key,)) + (Ellipsis,)]
    return out if out.size else _placed_as_pytorch_view(a, key, out)


def placed_view(a, offset, shape, strides):
    """The view of ``a``'s memory from ``offset`` bytes past its first element, of ``shape`` and ``strides`` (in
    bytes): for a view of no elements, which may start anywhere up to the memory's end."""
    interface = a.__array_interface__
    placed = dict(interface, data=(int(interface["data"][0] + offset), not a.flags.writeable), shape=tuple(shape),
                  strides=tuple(int(stride) for stride in strides))
    out = np.asarray(_ArrayHolder(placed, a))
    # (the array interface describes a dtype NumPy does not know, bfloat16's, as raw bytes: given back as as_strided
    # gives it back)
    return out if out.dtype == a.dtype else out.view(a.dtype)


class _ArrayHolder:
    """The memory of ``base`` described by the array interface ``interface`` (as NumPy's as_strided holds it)."""

    def __init__(self, interface, base):
        self.__array_interface__, self.base = interface, base


def _c_ordered_in_both(a, key, out):
    """Whether ``out``, NumPy's ``a[key]``, has the strides _advanced_strides gives without working them out: for a
    lone 1-D index array or mask (of any dims) into a C-contiguous input, both lay the result out in C order (the
    index makes one dim in front of the input's others, nothing for TensorIterator to reorder). Size-1 dims, whose
    strides NumPy leaves free, and empty results take the general way."""
    return (key.__class__ is np.ndarray and (key.ndim == 1 or key.dtype == np.bool_ and key.ndim)
            and a.flags.c_contiguous and out.flags.c_contiguous and out.size and 1 not in out.shape)


def _advanced_strides(a, key):
    """The strides (in elements) PyTorch gives ``a[key]`` for an advanced key: its basic parts run as views
    (selects, slices, unsqueezes: a 0-d bool one too, the dim it adds then indexed by one index or none), masks
    become index arrays (nonzero's columns), the index arrays broadcast together; non-adjacent indexed dims are
    moved to the front, and TensorIterator lays the output out from the view restrided over the indexed dims (stride
    0 there) and the index arrays viewed at their dims (index's make_info). NumPy's own result puts the indexed
    dims' memory last, or first, whatever the input's layout."""
    from .._memory_format import element_strides, layout_strides, view_strides

    parts = key if isinstance(key, tuple) else (key,)
    shape, strides = list(a.shape), list(element_strides(a))
    left = sum(p.ndim if isinstance(p, np.ndarray) and p.dtype == np.bool_ else 1
               for p in parts if p is not None and p is not Ellipsis)  # dims the parts still to come take
    dim, indexed = 0, {}  # view dim -> (shape, strides) of its index array
    for part in parts:
        if part is None or isinstance(part, np.ndarray) and part.dtype == np.bool_ and not part.ndim:
            strides.insert(dim, shape[dim] * strides[dim] if dim < len(shape) else 1)
            shape.insert(dim, 1)
            if part is not None:
                indexed[dim] = ((int(part),), (1,))
            dim += 1
        elif part is Ellipsis:
            dim += len(shape) - dim - left
        elif isinstance(part, slice):
            start, stop, step = part.indices(shape[dim])
            shape[dim], strides[dim] = len(range(start, stop, step)), strides[dim] * step
            dim, left = dim + 1, left - 1
        elif isinstance(part, (int, np.integer)):
            del shape[dim], strides[dim]
            left -= 1
        elif part.dtype == np.bool_:  # one index per dim of the mask, each nonzero's column of it
            count = int(np.count_nonzero(part))
            for k in range(part.ndim):
                indexed[dim + k] = ((count,), (part.ndim,))
            dim, left = dim + part.ndim, left - part.ndim
        else:
            indexed[dim] = (part.shape, element_strides(part))
            dim, left = dim + 1, left - 1
    dims = sorted(indexed)
    if dims != list(range(dims[0], dims[0] + len(dims))):  # transposeToFront
        order = dims + [d for d in range(len(shape)) if d not in indexed]
        shape, strides = [shape[d] for d in order], [strides[d] for d in order]
        indexed = {i: indexed[d] for i, d in enumerate(dims)}
        dims = list(range(len(dims)))
    replaced = np.broadcast_shapes(*(s for s, _ in indexed.values()))
    before, after = dims[0], len(shape) - dims[-1] - 1
    out_shape = tuple(shape[:before]) + replaced + tuple(shape[dims[-1] + 1:])
    layouts = [(out_shape, strides[:before] + [0] * len(replaced) + strides[dims[-1] + 1:])]
    for index_shape, index_strides in (indexed[d] for d in dims):
        lead = len(replaced) - len(index_shape)  # expanded to the common shape: stride 0 where broadcast
        expanded = [0] * lead + [0 if n == 1 and m != 1 else st
                                 for n, m, st in zip(index_shape, replaced[lead:], index_strides)]
        viewed = (1,) * before + replaced + (1,) * after
        layouts.append((viewed, view_strides(replaced, expanded, viewed) if replaced else [1] * len(viewed)))
    return layout_strides(out_shape, layouts)


def _step_values(step):
    """What PyTorch's node of one view step (see _view_steps) shows of its arguments: {name: value}."""
    name, dim, part, shape = step
    if name == "SelectBackward0":
        return {"dim": int64(dim), "index": int64(part), "self_sym_sizes": shape}
    if name == "SliceBackward0":
        return {"dim": int64(dim), "start": int64(part.start or 0),
                "end": int64(_INT64_MAX if part.stop is None else part.stop), "step": int64(part.step or 1),
                "self_sym_sizes": shape}
    return {"dim": int64(dim)}  # UnsqueezeBackward0


def _last_step_spec(name):
    return lambda node: _step_values(_view_steps(node.key, node.shape)[0][-1])[name]


def _shown_dim(node):
    return int64(node.shown["dim"])


# The op PyTorch's backward of an advanced index runs, by the index's node (else index_put's _index_put_impl_)
_BACKWARD_OPS = {"GatherBackward0": "ScatterAddBackward0", "IndexSelectBackward0": "IndexAddBackward0",
                 "TakeBackward0": "PutBackward0", "MaskedSelectBackward0": "MaskedScatterBackward0",
                 **{name: "ScatterBackward0" for name in ("SortBackward0", "SortBackward1", "TopkBackward0",
                                                          "KthvalueBackward0", "MedianBackward1",
                                                          "NanmedianBackward1", "ModeBackward0")}}


# sort's and topk's nodes: the dim as given, the indices of the values picked (int64), the input's sizes
_SELECTED_ALONG = {"dim": _shown_dim, "indices": Saved(lambda node: node.shown["indices"]),
                   "self_sym_sizes": lambda node: node.shape}


class Index(Node):
    """``a[key]``; gather/sort/topk/split/unbind reuse it under their own node name.

    PyTorch runs a key as a chain of views (a select, slice or unsqueeze per part, then one index by the index
    arrays), each its own node; torchless runs it as one NumPy indexing and names its node after the chain's
    last, listing the others in ``next_functions`` as folded nodes (see _view_steps)."""

    torch_saved = {
        "SelectBackward0": {name: _last_step_spec(name) for name in ("dim", "index", "self_sym_sizes")},
        "SliceBackward0": {name: _last_step_spec(name) for name in ("dim", "start", "end", "step", "self_sym_sizes")},
        "UnsqueezeBackward0": {"dim": _last_step_spec("dim")},
        "IndexBackward0": {"indices": SavedTuple(lambda node: _view_steps(node.key, node.shape)[2]),
                           "self_sym_sizes": lambda node: _view_steps(node.key, node.shape)[1]},
        **{name: _SELECTED_ALONG for name in ("SortBackward0", "SortBackward1", "TopkBackward0")},
        **{name: {**_SELECTED_ALONG, "keepdim": lambda node: node.shown["keepdim"]}
           for name in ("MedianBackward1", "KthvalueBackward0", "NanmedianBackward1", "ModeBackward0")},
        "IndexSelectBackward0": {"dim": _shown_dim, "index": Saved(lambda node: node.shown["index"]),
                                 "self_sym_sizes": lambda node: node.shape},
        "GatherBackward0": {"dim": _shown_dim, "index": Saved(lambda node: node.shown["index"]),
                            "self": SavedInput(0), "sparse_grad": lambda node: node.shown["sparse_grad"]},
        "TakeBackward0": {"index": Saved(lambda node: node.shown["index"]), "self": SavedInput(0)},
        "MaskedSelectBackward0": {"mask": Saved(lambda node: node.shown["mask"]), "self": SavedInput(0)},
    }

    def forward(self, a, key=None, name=None, shown=None):
        """``shown``: what the call's own PyTorch node (sort's, gather's ...) shows of its arguments, as given."""
        self.shape, self.key, self.node_name, self.shown = a.shape, key, name, shown
        self.basic = self.is_view = is_basic_key(key)
        if shown is not None and "indices" in shown and not a.ndim:
            # sort, topk, median, mode ... of a 0-d tensor: its value in a new tensor, as PyTorch's kernels write it
            self.is_view = False
            return a.copy()
        if not self.basic:
            # PyTorch saves the indices (freed by a backward without retain_graph, which a second one then finds)
            # and, for these, the input itself (whose change in place before backward is then an error)
            self.saved = ("key",)
            if name in _SAVES_INPUT:
                self._checked_inputs, self._saves_tensors = (0,), True
        if name in _ZEROS_LIKE_INPUT and a.ndim > 1:
            self.zeros_like = a  # (the input, whose layout the gradient takes)
        out = _gathered(a, key) if name in _GATHERED else a[key]
        if not self.basic and name is None and not _c_ordered_in_both(a, key, out):
            out = with_strides(out, _advanced_strides(a, key))
        elif not self.basic and not out.size:  # (sort's, gather's ... result, allocated: C order's strides)
            out = with_c_strides(out)
        elif self.basic and not isinstance(out, np.ndarray):
            # an int for every dim: NumPy hands back a scalar (a copy), PyTorch a 0-d view that in-place ops
            # write through
            out = a[(key if isinstance(key, tuple) else (key,)) + (Ellipsis,)]
        elif self.basic and (key is None or isinstance(key, tuple) and None in key):
            out = _with_unsqueezed_strides(out, a, key)
        if self.basic and not out.size:
            return _placed_as_pytorch_view(a, key, out)
        return out

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    zeros_like = None

    def _zeros(self, dtype):
        out = np.zeros(self.shape, dtype)
        return out if self.zeros_like is None else preserving(out, self.zeros_like)

    def backward(self, grad):
        if self._sums_wide(grad):
            out = np.zeros(self.shape, np.float32)
            np.add.at(out, self.key, grad.astype(np.float32))
            out = out.astype(grad.dtype)
            return (out if self.zeros_like is None else preserving(out, self.zeros_like),)
        out = self._zeros(grad.dtype)
        if self.basic:
            out[self.key] = grad
        else:
            np.add.at(out, self.key, grad)  # advanced keys may repeat an index: accumulate
        return (out,)

    def _sums_wide(self, grad):
        """Whether PyTorch sums this 16-bit float gradient in float32, rounding once: gather's backward
        scatter_add_s it, masked_select's sums it over the dims self was broadcast along, and index_select's
        index_add_s it by the slice-wise kernel for an int64 index along the first or last of two or more dims."""
        if grad.dtype.kind != "f" or grad.itemsize != 2:
            return False
        if self.node_name in ("GatherBackward0", "MaskedSelectBackward0"):
            return True
        if self.node_name != "IndexSelectBackward0":
            return False
        ndim = len(self.shape)
        return ndim > 1 and self.shown["index"].dtype == np.int64 and len(self.key) - 1 in (0, ndim - 1)

    def backward_graph(self, grad):
        if self.basic and self.node_name in (None, "SliceBackward0"):
            steps = _view_steps(self.key, self.shape)[0]
            if self.node_name and not steps:  # narrow over a whole dim: PyTorch's slice all the same
                steps = [(self.node_name, len(self.key) - 1, self.key[-1], self.shape)]
            # (no view at all: PyTorch's alias, whose gradient is the output's itself)
            return (_views_undone(grad, steps) if steps else grad,)
        zeros = grad._wrap(self._zeros(grad._data.dtype))
        if self.basic:
            return (IndexPut.apply(zeros, grad, key=self.key),)
        # Any advanced key (masks, arrays, mixed with slices): one accumulating write into zeros, whose own gradient
        # is a gather again, named after the op PyTorch's backward runs (index_put's, gather's scatter_add ...)
        name, key = _BACKWARD_OPS.get(self.name(), "IndexPutImplBackward0"), self.key
        if self.shown and self.shown.get("keepdim") is False:  # kthvalue, median: the gradient unsqueezed first
            axis = self.shown["dim"] % len(self.shape)
            grad, key = grad.unsqueeze(axis), tuple(np.expand_dims(k, axis) for k in key)
        return (IndexPutAccumulate.apply(zeros, grad, key=key, node_name=name),)

    def name(self):
        if self.node_name:
            return self.node_name
        return _basic_index_name(self.key, self.shape) if self.basic else "IndexBackward0"


    def pytorch_inputs(self):
        """The input through the chain of views PyTorch records before this node's own (see the class)."""
        if self.node_name:
            return None
        ((edge, _),) = self.listed_edges()
        steps = _view_steps(self.key, self.shape)[0]
        for step in (steps[:-1] if self.basic else steps):
            edge = FoldedNode(step[0], ((edge, 0),), self, saved=constants(_step_values(step)))
        return ((edge, 0),)


def _views_undone(grad, steps):
    """The gradient of PyTorch's chain of views ``steps`` (see _view_steps) as its graph records it under
    create_graph=True, last view first: an unsqueeze's squeeze, a select's or slice's select_backward or
    slice_backward (ops of their own, SelectBackwardBackward0, listing the gradient alone)."""
    from ..autograd._graph_backward import BackwardOfBackward
    from ..autograd.graph import _edge, shown_edge

    for name, dim, part, shape in reversed(steps):
        if name == "UnsqueezeBackward0":
            grad = grad.squeeze(dim)
            continue
        listed = ((shown_edge(_edge(grad)) if grad._requires_grad else None, 0),)
        placed = IndexPut.apply(grad._wrap(np.zeros(shape, grad._data.dtype)), grad, key=(slice(None),) * dim + (part,))
        grad = BackwardOfBackward.apply(placed, node_name=name[:-1] + "Backward0", listed=listed)
    return grad


def _basic_index_name(key, shape):
    """The name of PyTorch's node for the basic key ``key``: the last view of its chain (see _view_steps)."""
    steps = _view_steps(key, shape)[0]
    return steps[-1][0] if steps else "AliasBackward0"


def _index_put_saved(accumulate):
    """What PyTorch's index_put node shows: accumulate, and the index tensors (None for the dims between them)."""
    spec = {"accumulate": lambda node: accumulate,
            "indices": SavedTuple(lambda node: _view_steps(node.key, node.shape)[2])}
    return {"IndexPutBackward0": spec, "IndexPutImplBackward0": spec}


class IndexPut(Node):
    """``out = a.clone(); out[key] = value`` as one differentiable step (PyTorch's CopySlices)."""

    torch_saved = _index_put_saved(False)

    def forward(self, a, value, key=None):
        self.key, self.value_shape, self.shape = key, value.shape, a.shape
        out = a.copy()
        out[key] = value
        return out

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        ga = gv = None
        if self.needs_input_grad[0]:
            ga = np.array(grad)  # (a copy, as an array: a 0-d gradient may come as a NumPy scalar)
            ga[self.key] = 0
        if self.needs_input_grad[1]:
            gv = unbroadcast(np.asarray(grad[self.key]), self.value_shape)
        return ga, gv

    def backward_graph(self, grad):
        ga = gv = None
        if self.needs_input_grad[0]:
            ga = IndexPut.apply(grad, grad._wrap(np.zeros((), grad._data.dtype)), key=self.key)
        if self.needs_input_grad[1]:
            gv = unbroadcast_tensor(Index.apply(grad, key=self.key), self.value_shape)
        return ga, gv

    def name(self):
        return COPY_SLICES if is_basic_key(self.key) else "IndexPutBackward0"


def index_error(shape, key, numpy_error, basic_only=False):
    """PyTorch's IndexError for ``key`` on a tensor of ``shape`` (NumPy's ``numpy_error`` reworded otherwise).
    ``basic_only``: only the errors PyTorch finds before it looks at the index tensors (else None)."""
    if not shape and isinstance(key, (int, np.integer)) and not isinstance(key, bool):  # a lone int on a 0-d tensor
        if key == 0:
            return IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
                              "in C++ to convert a 0-dim tensor to a number")
        return IndexError(f"index {key} is out of bounds for dimension 0 with size 0")
    if not shape and isinstance(key, slice):
        if key.step is not None and key.step < 1:  # (the step is read first)
            return _step_error(key.step)
        return IndexError("slice() cannot be applied to a 0-dim tensor.")
    parts = key if isinstance(key, tuple) else (key,)
    # PyTorch counts the dims the key takes first, an object of no index type among them (a float: one dim)
    arrays = [p for p in parts if isinstance(p, np.ndarray)]
    consumed = sum(p.ndim if p.dtype == np.bool_ else 1 for p in arrays)
    consumed += sum(1 for p in parts if not isinstance(p, (np.ndarray, bool, type(None), type(Ellipsis))))
    if consumed > len(shape):
        return IndexError(f"too many indices for tensor of dimension {len(shape)}")
    if any(type(part) is int and not -2**63 <= part < 2**63 for part in parts):  # PyTorch reads an int as int64
        return ValueError("Overflow when unpacking long long")
    # PyTorch reports an int by its position in the key, an index tensor by its rank among the tensors.
    dims = []
    dim = 0
    for part in parts:
        dims.append(dim)
        if part is Ellipsis:
            dim += len(shape) - consumed
        elif isinstance(part, np.ndarray) and part.dtype == np.bool_:
            dim += part.ndim
        elif part is not None and not isinstance(part, bool):
            dim += 1
    # the ints and slices in order (PyTorch applies them one by one), then the index tensors
    for position, (part, dim) in enumerate(zip(parts, dims)):
        if _is_int(part) and not -shape[dim] <= part < shape[dim]:
            return IndexError(f"index {part} is out of bounds for dimension {position} with size {shape[dim]}")
        if isinstance(part, slice) and part.step is not None and part.step < 1:
            return _step_error(part.step)
        if isinstance(part, (str, bytes)):  # PyTorch reads it as data for an index tensor, in its turn
            return TypeError(f"new(): invalid data type '{type(part).__name__}'")
        if not isinstance(part, (int, slice, np.ndarray, np.integer, type(None), type(Ellipsis))):
            from ..nn._functional._args import _tp_name

            return IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                              f"valid indices (got {_tp_name(part)})")
    if basic_only:
        return None
    # PyTorch first applies the ints, slices and Nones (its masks are checked against the result), then
    # broadcasts the index tensors, then refuses a non-empty index into a size-0 dim, and checks the values last.
    sliced, masks = [], []  # the shape after the ints, slices and Nones; each mask with its dim there
    for part, dim in zip(parts, dims):
        if part is None:
            sliced.append(1)
        elif part is Ellipsis:
            sliced.extend(shape[dim:dim + len(shape) - consumed])
        elif isinstance(part, slice):
            sliced.append(len(range(*part.indices(shape[dim]))))
        elif isinstance(part, np.ndarray) and part.dtype == np.bool_:
            masks.append((part, len(sliced) + (not part.ndim)))
            sliced.extend(shape[dim:dim + part.ndim] if part.ndim else (1,))  # a 0-d mask adds a dim, as None does
        elif isinstance(part, np.ndarray) and part.ndim:
            sliced.append(shape[dim])
    if not any(part is Ellipsis for part in parts):
        sliced.extend(shape[consumed:])
    for mask, dim in masks:
        mismatch = [j for j, n in enumerate(mask.shape) if n != sliced[dim + j]]
        if mismatch:
            j = mismatch[0]
            return IndexError(f"The shape of the mask {list(mask.shape)} at index {j} does not match the shape of "
                              f"the indexed tensor {sliced} at index {dim + j}")
    # a mask takes part as the indices of its True elements, one index tensor per dim (a 0-d one as [0] or [])
    index_shapes = []
    for part in arrays:
        if part.dtype == np.bool_:
            index_shapes += [(int(np.count_nonzero(part)),)] * max(part.ndim, 1)
        elif part.ndim:
            index_shapes.append(part.shape)
    try:
        index_shape = np.broadcast_shapes(*index_shapes)
    except ValueError:
        shapes = ", ".join(str(list(shape_)) for shape_ in index_shapes)
        return IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes {shapes}")
    indices = []  # each index array with its dim's size and its rank among the index tensors (a mask: one a dim)
    rank = 0
    for part, dim in zip(parts, dims):
        if not isinstance(part, np.ndarray):
            continue
        if part.dtype == np.bool_:
            rank += max(part.ndim, 1)
            continue
        if shape[dim] == 0 and 0 not in index_shape:  # (no element to select, yet an index into nothing)
            return IndexError("index is out of bounds for dimension with size 0")
        indices.append((part, shape[dim], rank))
        rank += 1
    error = _index_value_error(indices, index_shape)
    if error is None and numpy_error is None:
        return None
    return error or IndexError(str(numpy_error).replace("axis", "dimension"))


def check_empty_masks(shape, key):
    """PyTorch checks the shape of an empty mask as of any other, where NumPy takes one of any shape (as an empty
    list of indices): raises PyTorch's error for ``key`` on a tensor of ``shape`` when it has such a mask."""
    parts = key if isinstance(key, tuple) else (key,)
    if any(isinstance(p, np.ndarray) and p.dtype == np.bool_ and p.ndim and not p.size for p in parts):
        error = index_error(shape, key, None)
        if error is not None:
            raise error


def _index_value_error(indices, index_shape):
    """PyTorch's error for the first index value out of range, as its kernel meets them: element by element of the
    indices broadcast to ``index_shape`` (C order; a mask's count of True elements takes part in it), each
    element's indices in turn. None when all are in range. ``indices``: (index array, size of its dim, its rank)
    triples."""
    if not indices:
        return None
    arrays = [np.broadcast_to(index, index_shape) for index, _, _ in indices]
    outside = np.stack([((a < -size) | (a >= size)).reshape(-1) for a, (_, size, _) in zip(arrays, indices)], axis=1)
    failing = np.flatnonzero(outside.any(axis=1))
    if not failing.size:
        return None
    element = failing[0]
    which = int(np.flatnonzero(outside[element])[0])
    _, size, rank = indices[which]
    error = IndexError(f"index {arrays[which].reshape(-1)[element]} is out of bounds for dimension {rank} with size "
                       f"{size}")
    error.in_index_values = True  # (which PyTorch reports only while it has elements to read)
    return error


def zeroed_if_empty(shape, key):
    """``key`` with every index array zeroed when it selects no element of an array of ``shape`` (PyTorch's
    kernel then reads no index and so finds none out of range), else None."""
    parts = key if isinstance(key, tuple) else (key,)
    zeroed = tuple(np.zeros_like(p) if isinstance(p, np.ndarray) and p.dtype != np.bool_ else p for p in parts)
    staged = select_first(zeroed)
    probe = np.broadcast_to(np.zeros((), bool), shape)
    try:
        selected = probe[staged[0]][staged[1]] if staged else probe[zeroed]
    except (IndexError, ValueError):
        return None
    return zeroed if not np.size(selected) else None


def _fitted_src_gradient(node, gs, src_shape):
    """The gradient ``gs`` (of the index's shape) of a scatter's src of ``src_shape``, as PyTorch's engine takes it:
    summed where src broadcasts to it, refused for any other shape (src larger than the index)."""
    if gs.shape == src_shape:
        return gs
    from ..autograd.function import _fitted

    if isinstance(gs, np.ndarray):
        return _fitted(gs, (src_shape, gs.dtype), 1, node.name())
    _fitted(np.broadcast_to(np.zeros((), gs._data.dtype), gs._data.shape), (src_shape, gs._data.dtype), 1,
            node.name())  # (its check)
    return gs.sum_to_size(src_shape)


# What a scatter's node shows: the dim as the call gave it, the index (key's part along that dim)
_SCATTERED_ALONG = {"dim": lambda node: int64(node.dim),
                    "index": Saved(lambda node: node.key[node.dim % len(node.key)])}


class Scatter(Node):
    """``out = a.copy(); out[key] = src`` (or ``value``; or ``+=`` with ``add``), ``key`` selecting, as gather's,
    one position along a dim for each element of an index tensor; ``src`` is cut to the index's shape. ``dim``:
    that dim as the call gave it."""

    torch_saved = _SCATTERED_ALONG

    def forward(self, a, src, key=None, value=None, add=False, dim=0):
        self.key, self.add, self.has_src, self.dim = key, add, src is not None, dim
        if src is None:
            self.listed_inputs = (0,)  # (a number value: no edge)
        out = a.copy() if a.size else with_c_strides(a.copy())  # (NumPy's empty copy: all-zero strides)
        if src is None:
            out[key] = value
            return out
        self.src_shape = src.shape
        written = np.broadcast_shapes(*(np.shape(k) for k in key))
        self.used = tuple(slice(0, n) for n in written)
        if 0 in written:  # (an empty index writes nothing, whatever src's shape: it may be smaller than the index)
            return out
        if add:
            accumulate_at(np.add, out, key, src[self.used])
        else:
            out[key] = src[self.used]
        return out

    def backward(self, grad):
        ga = gs = None
        if self.needs_input_grad[0]:
            ga = grad if self.add else grad.copy()
            if not self.add:
                ga[self.key] = 0
        if self.has_src and self.needs_input_grad[1]:
            gs = _fitted_src_gradient(self, grad[self.key], self.src_shape)
        return ga, gs

    def backward_graph(self, grad):
        ga = gs = None
        if self.needs_input_grad[0]:
            ga = grad if self.add else IndexPut.apply(grad, grad._wrap(np.zeros((), grad._data.dtype)), key=self.key)
        if self.has_src and self.needs_input_grad[1]:
            gs = _fitted_src_gradient(self, Index.apply(grad, key=self.key), self.src_shape)
        return ga, gs

    def name(self):
        if self.add:
            return "ScatterAddBackward0"
        return "ScatterBackward0" if self.has_src else "ScatterBackward1"


def view_positions(base, view, repeats=False):
    """The flat (C-order) position in ``base`` of each element of ``view``, an array sharing its memory; None when
    some element of ``view`` is not one of ``base``'s (or ``base`` repeats a memory location, or the dtypes
    differ), or, unless ``repeats``, when elements of ``view`` share one (expanded)."""
    if view.dtype != base.dtype:
        return None

    def addresses(array, start):
        address = np.full(array.shape, start, np.int64)
        for dim, (size, stride) in enumerate(zip(array.shape, array.strides)):
            shape = [1] * array.ndim
            shape[dim] = size
            address = address + (np.arange(size, dtype=np.int64) * stride).reshape(shape)
        return address

    base_start = base.__array_interface__["data"][0]
    view_start = view.__array_interface__["data"][0]
    view_address = addresses(view, view_start - base_start)
    if not view_address.size:
        return np.zeros(view.shape, np.intp)
    if base.flags.c_contiguous:
        positions, misaligned = np.divmod(view_address, base.itemsize)
        if misaligned.any() or positions.min() < 0 or positions.max() >= base.size:
            return None
    else:
        base_address = addresses(base, 0).ravel()
        order = np.argsort(base_address, kind="stable")
        ordered = base_address[order]
        if not ordered.size or ordered.size > 1 and not (np.diff(ordered) > 0).all():
            return None  # empty, or a base whose elements share memory (expanded)
        found = np.minimum(np.searchsorted(ordered, view_address), ordered.size - 1)
        if not (ordered[found] == view_address).all():
            return None
        positions = order[found]
    if not repeats and np.unique(positions).size != positions.size:
        return None  # a view whose elements overlap (expanded, or unfolded windows)
    return positions.astype(np.intp, copy=False)


class ViewScatter(Node):
    """A base whose view was changed in place (PyTorch's CopySlices): the base's gradient passes unchanged outside
    the view, and into the in-place op's result (``value``) inside it. The values are already written (through the
    view's shared memory): forward returns the base's array as it is."""

    def forward(self, a, value, positions=None, overlapping=False):
        self.positions, self.overlapping = positions, overlapping
        self.base_strides = a.strides
        return a

    def jvp(self, tangents, arrays, params, out):
        # (linear: the base's tangent with the in-place result's written over the view's elements, as the values)
        base_tangent, value_tangent = forward_ad.zero_filled(tangents, arrays)
        tangent = np.array(base_tangent, copy=True, order="C")
        tangent.reshape(-1)[params["positions"]] = value_tangent
        return tangent

    def backward(self, grad):
        if self.overlapping:  # written through an expanded view: PyTorch computes the forward, refuses this
            from .._tensor import _INTERNAL_OVERLAP

            raise RuntimeError(_INTERNAL_OVERLAP)
        ga = gv = None
        if self.needs_input_grad[0]:
            ga = np.array(grad, copy=True, order="C")
            ga.reshape(-1)[self.positions] = 0
            if ga.strides != self.base_strides:  # (PyTorch's CopySlices writes into a tensor strided as the base)
                ga = with_strides(ga, [s // ga.itemsize for s in self.base_strides])
        if self.needs_input_grad[1]:
            gv = np.reshape(grad, -1)[self.positions]
        return ga, gv

    def backward_graph(self, grad):
        if self.overlapping:
            return self.backward(grad._data)  # (raises)
        flat = grad.reshape(-1)
        ga = gv = None
        if self.needs_input_grad[0]:
            ga = IndexPut.apply(flat, grad._wrap(np.zeros((), grad._data.dtype)), key=self.positions)
            ga = ga.reshape(grad._data.shape)
            if ga._data.strides != self.base_strides:  # (strided as the base, as backward's)
                from ..autograd._graph_backward import relaid

                ga = relaid(ga, with_strides(ga._data, [s // ga._data.itemsize for s in self.base_strides]), grad)
        if self.needs_input_grad[1]:
            gv = Index.apply(flat, key=self.positions)
        return ga, gv

    def release(self):
        super().release()
        # PyTorch's CopySlices drops the in-place op's node after backward, whatever it saved: a second backward
        # through it raises, a copy_'s (which saves nothing) too
        self._freed = True

    @property
    def next_functions(self):
        # PyTorch's CopySlices lists the base's node, then the inputs of the in-place op other than the view
        own = super().next_functions
        op = self.edges[1] if len(self.edges) > 1 else None
        if isinstance(op, Node):
            return own[:1] + op.next_functions[1:]
        return own

    def name(self):
        return COPY_SLICES


class ViewGather(Node):
    """A view of a base changed in place since the view was made, re-read from the base (PyTorch's AsStrided)."""

    is_view = True

    def forward(self, a, positions=None):
        self.shape, self.positions = a.shape, positions
        return np.reshape(a, -1)[positions]

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        out = np.zeros(int(np.prod(self.shape)), grad.dtype)
        np.add.at(out, self.positions, grad)  # an expanded or unfolded view reads some elements more than once
        return (out.reshape(self.shape),)

    def backward_graph(self, grad):
        flat = grad._wrap(np.zeros(int(np.prod(self.shape)), grad._data.dtype))
        return (IndexPutAccumulate.apply(flat, grad, key=self.positions).reshape(self.shape),)

    def name(self):
        return "AsStridedBackward0"


class IndexPutAccumulate(Node):
    """``out = a.clone(); out[key] += value`` with repeated positions adding up (index_put with accumulate=True,
    put with accumulate=True over the flattened tensor)."""

    torch_saved = _index_put_saved(True)

    def forward(self, a, value, key=None, node_name="IndexPutBackward0"):
        """``node_name``: PyTorch's node of the op this write stands for (an index's backward: see Index)."""
        self.key, self.value_shape, self.node_name, self.shape = key, value.shape, node_name, a.shape
        # (a clone in a's layout, as PyTorch's: an index's gradient is written into zeros_like(input) for some)
        out = a.copy() if a.flags.c_contiguous else preserving(a.copy(order="K"), a)
        if out.ndim == value.ndim == 1:
            # (broadcast first: NumPy's ufunc.at misreads a vector of values against an index array of several dims
            # into a vector, adding each value once and reading past the vector's end)
            value = np.broadcast_to(value, out[key].shape)
        np.add.at(out, key, value)
        return out

    def backward(self, grad):
        gv = None
        if self.needs_input_grad[1]:
            gv = unbroadcast(np.asarray(grad[self.key]), self.value_shape)
        return grad if self.needs_input_grad[0] else None, gv

    def backward_graph(self, grad):
        gv = None
        if self.needs_input_grad[1]:
            gv = unbroadcast_tensor(Index.apply(grad, key=self.key), self.value_shape)
        return grad if self.needs_input_grad[0] else None, gv

    def name(self):
        return self.node_name


class Put(Node):
    """``a.put(index, source, accumulate)``: source's elements written (or added) at the flat positions ``index``."""

    saved = ("source",)
    torch_saved = {"accumulate": lambda node: node.accumulate, "index": Saved(lambda node: node.given_index),
                   "source": SavedInput(1, "source")}

    def forward(self, a, source, index=None, accumulate=False, given_index=None):
        """``given_index``: the index tensor's array as the call gave it (which the node shows)."""
        self.index, self.accumulate, self.source_shape, self.source = index, accumulate, source.shape, source
        self.given_index = index if given_index is None else given_index
        out = a.copy()
        flat = out.reshape(-1)  # a view: out is a fresh C-contiguous copy
        if accumulate:
            np.add.at(flat, index, source.reshape(-1))
        else:
            flat[index] = source.reshape(-1)
        return preserving(out, a)  # (PyTorch's put is put_ into a clone, laid out as the input)

    def backward(self, grad):
        ga = gs = None
        if self.needs_input_grad[0]:
            ga = grad
            if not self.accumulate:
                ga = np.array(grad)  # C-contiguous, so the flat view below writes into it
                ga.reshape(-1)[self.index] = 0
        if self.needs_input_grad[1]:
            gs = np.ascontiguousarray(grad).reshape(-1)[self.index].reshape(self.source_shape)
        return ga, gs

    def backward_graph(self, grad):
        ga = gs = None
        flat = grad.reshape(-1)
        if self.needs_input_grad[0]:
            ga = grad if self.accumulate else \
                IndexPut.apply(flat, grad._wrap(np.zeros((), grad._data.dtype)), key=self.index).reshape(grad.shape)
        if self.needs_input_grad[1]:
            gs = Index.apply(flat, key=self.index).reshape(self.source_shape)
        return ga, gs

    def name(self):
        return "PutBackward0"


def accumulate_at(ufunc, out, key, src, opmath=True):
    """``ufunc.at(out, key, src)``; with ``opmath`` a float16 ``out`` accumulates in float32, rounded once at the
    end, as PyTorch's scatter kernels do (index_reduce's rounds after each step, as NumPy's half ufuncs)."""
    if opmath and out.dtype == np.float16:
        wide = out.astype(np.float32)
        ufunc.at(wide, key, np.asarray(src, np.float32))
        out[...] = wide
    else:
        ufunc.at(out, key, src)


def scatter_reduced(a, key, src, reduce, include_self, opmath=True):
    """``a`` with the values of ``src`` (already of the index's shape) reduced into the positions ``key``; mean
    divides by the count of values each position got (self's counted with ``include_self``). ``opmath``: see
    accumulate_at."""
    out = a.copy() if a.size else with_c_strides(a.copy())  # (NumPy's empty copy: all-zero strides)
    if not all(np.broadcast_shapes(*(np.shape(k) for k in key))):  # (an empty index: src may be smaller than it)
        return out
    ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
    if not include_self:
        largest = reduce == "amax"
        if reduce not in ("amax", "amin"):
            identity = int(reduce == "prod")
        elif out.dtype.kind == "f":
            identity = -np.inf if largest else np.inf
        elif out.dtype.kind == "b":
            identity = not largest
        else:
            identity = np.iinfo(out.dtype).min if largest else np.iinfo(out.dtype).max
        out[key] = identity
    accumulate_at(ufunc, out, key, src, opmath)
    if reduce == "mean":
        counts = np.ones(a.shape, np.int64) if include_self else np.zeros(a.shape, np.int64)
        np.add.at(counts, key, 1)
        counts = np.maximum(counts, 1)
        out = out / counts if out.dtype.kind == "f" else np.floor_divide(out, counts).astype(out.dtype)
    return out.astype(a.dtype, copy=False)


class ScatterReduce(Node):
    """``a.scatter_reduce(dim, index, src, reduce, include_self)``; ``key`` as gather's, ``src`` cut to the
    index's shape. The gradients are PyTorch's (scatter_reduce_backward): amax/amin share the gradient evenly
    among the values equal to the result, prod divides the result by each factor (zeros handled apart)."""

    saved = ("a", "src", "out", "whole_src")
    torch_saved = {**_SCATTERED_ALONG, "include_self": lambda node: node.include_self,
                   "reduce": lambda node: node.reduce, "result": saved_result("out"), "self": SavedInput(0, "a"),
                   "src": SavedInput(1, "whole_src")}

    def forward(self, a, src, key=None, reduce="sum", include_self=True, dim=0, opmath=True):
        """``dim``: the dim along which ``key`` selects, as the call gave it; ``opmath``: see accumulate_at."""
        self.key, self.reduce, self.include_self, self.src_shape, self.dim = key, reduce, include_self, src.shape, dim
        self.opmath = opmath
        self.used_shape = np.broadcast_shapes(*(np.shape(k) for k in key))
        self.used = tuple(slice(0, n) for n in self.used_shape)
        self.a, self.src, self.whole_src = a, src[self.used], src
        self.out = scatter_reduced(a, key, self.src, reduce, include_self, opmath)
        return self.out

    def _whole_src(self):
        """src whole, for prod's, amax's and amin's gradients, which PyTorch computes from it broadcast with the
        index-shaped tensors (its elements beyond the index's shape get a gradient too, by that broadcast)."""
        error = broadcast_error(self.src_shape, self.used_shape)
        if error is not None:
            raise error
        return self.whole_src

    def backward(self, grad):
        a, key, result, reduce = self.a, self.key, self.out, self.reduce
        if reduce == "sum":
            ga, gs = grad, grad[key]
        elif reduce == "mean":
            counts = np.ones(a.shape, grad.dtype) if self.include_self else np.zeros(a.shape, grad.dtype)
            np.add.at(counts, key, 1)
            counts[counts == 0] = 1
            ga = grad / counts
            gs = ga[key]
        elif reduce == "prod":
            src = self._whole_src()
            masked_self = np.where(a == 0, 1, a)
            ga = grad * scatter_reduced(masked_self, key, self.src, reduce, self.include_self,
                                        self.opmath) / masked_self
            src_zero = src == 0
            zeros = np.zeros(a.shape, grad.dtype)
            np.add.at(zeros, key, src_zero[self.used].astype(grad.dtype))
            single_zero = src_zero & (zeros[key] == 1)
            masked_result = scatter_reduced(a, key, np.where(single_zero, 1, src)[self.used], reduce,
                                            self.include_self, self.opmath)
            gs = np.where(single_zero, (grad * masked_result)[key], (grad * result)[key] / np.where(src_zero, 1, src))
        else:
            src = self._whole_src()
            value = result[key]
            self_is_result, src_is_result = a == result, src == value
            count = self_is_result.astype(grad.dtype)
            np.add.at(count, key, src_is_result[self.used].astype(grad.dtype))
            distributed = grad / count
            ga = np.where(self_is_result, distributed, 0)
            gs = np.where(src_is_result, distributed[key], 0)
        if reduce in ("prod", "amax", "amin"):  # (PyTorch's src gradient: elementwise ops led by src, its layout)
            gs = iterator_layout(gs, (self.whole_src, with_c_strides(np.empty(gs.shape, gs.dtype))))
        if not self.include_self:
            ga = np.array(ga)
            ga[key] = 0
        return (ga.astype(grad.dtype, copy=False) if self.needs_input_grad[0] else None,
                _fitted_src_gradient(self, gs.astype(grad.dtype, copy=False), self.src_shape)
                if self.needs_input_grad[1] else None)

    def backward_graph(self, grad):
        """backward's formulas as tensors of the graph (PyTorch's scatter_reduce_backward, or index_reduce_backward
        for a node shown as index_reduce's: gather or index_select, scatter_reduce or index_reduce); prod's goes
        through the reduction itself (of the input with its zeros masked), so that it can be differentiated again."""
        from .shape import Where

        a, key, reduce = self.a, self.key, self.reduce
        wrap, dtype = grad._wrap, grad._data.dtype
        if reduce == "sum":
            ga, gs = grad, Index.apply(grad, key=key)
        elif reduce == "mean":
            counts = np.ones(a.shape, dtype) if self.include_self else np.zeros(a.shape, dtype)
            np.add.at(counts, key, 1)
            counts[counts == 0] = 1
            ga = grad / wrap(counts)
            gs = Index.apply(ga, key=key)
        elif reduce == "prod":
            src = self._whole_src()
            x = self.graph_input(0, a)
            s = self.graph_input(1, src)

            def reduced(base, source):  # (the op itself, its node named as this one)
                out = ScatterReduce.apply(base, source, key=key, reduce=reduce, include_self=self.include_self,
                                          dim=self.dim, opmath=self.opmath)
                if out._grad_fn is not None and self.name() != out._grad_fn.name():
                    renamed(out._grad_fn, self.name())
                return out

            masked_self = x.masked_fill(wrap(a == 0), 1)
            ga = grad * reduced(masked_self, s) / masked_self
            src_zero = src == 0
            zeros = np.zeros(a.shape, dtype)
            np.add.at(zeros, key, src_zero[self.used].astype(dtype))
            single_zero = src_zero & (zeros[key] == 1)
            masked_result = reduced(x, s.masked_fill(wrap(single_zero), 1))
            others = self._selected(grad * self.graph_output(self.out)) / s.masked_fill(wrap(src_zero), 1)
            # (the condition, of src's zeros, laid out as src: the gradient then is too, as PyTorch's where)
            single_zero = iterator_layout(single_zero, (src, with_c_strides(np.empty(single_zero.shape, bool))))
            gs = Where.apply(self._selected(grad * masked_result), others, condition=single_zero)
            if (zeros[key] > 1).any():  # as PyTorch: such a gradient is right, but not differentiable
                gs = DelayedError.apply(gs, message="scatter_reduce(): Double backward is unsupported for src when "
                                        ">1 zeros in src are scattered to the same position in self")
        else:
            src = self._whole_src()
            result = self.out
            self_is_result, src_is_result = a == result, src == result[key]
            count = self_is_result.astype(dtype)
            np.add.at(count, key, src_is_result[self.used].astype(dtype))
            distributed = grad / wrap(count)
            ga = distributed * wrap(self_is_result.astype(dtype))
            # (PyTorch's (src == value) * gathered: laid out as src)
            mask = iterator_layout(src_is_result.astype(dtype), (src, with_c_strides(np.empty(src.shape, dtype))))
            gs = wrap(mask) * Index.apply(distributed, key=key)
        if not self.include_self and self.name() == "IndexReduceBackward0":  # (PyTorch's index_fill there)
            ga = ga.index_fill(self.dim, wrap(self._index_vector()), 0)
        elif not self.include_self and reduce == "prod":  # (and scatter's, ScatterBackward1)
            ga = ga.scatter(self.dim, wrap(self._index()), 0)
        elif not self.include_self:
            ga = IndexPut.apply(ga, wrap(np.zeros((), dtype)), key=key)
        return (ga if self.needs_input_grad[0] else None,
                _fitted_src_gradient(self, gs, self.src_shape) if self.needs_input_grad[1] else None)

    def _selected(self, tensor):
        """``tensor`` read at the index along dim as PyTorch's backward reads it: by gather (GatherBackward0), or
        by index_select (IndexSelectBackward0) for index_reduce, whose index is the vector broadcast into key."""
        if self.name() == "IndexReduceBackward0":
            return tensor.index_select(self.dim, tensor._wrap(self._index_vector()))
        return tensor.gather(self.dim, tensor._wrap(self._index()))

    def _index(self):
        """scatter_reduce's index, which key holds along dim."""
        return np.ascontiguousarray(np.broadcast_to(self.key[self.dim % len(self.used_shape)], self.used_shape))

    def _index_vector(self):
        """index_reduce's index, a vector, which key holds broadcast along dim."""
        axis = self.dim % len(self.used_shape)
        index = np.broadcast_to(self.key[axis], self.used_shape)
        if not index.size:
            return np.zeros(index.shape[axis], np.int64)
        return np.ascontiguousarray(np.moveaxis(index, axis, 0).reshape(index.shape[axis], -1)[:, 0])

    def name(self):
        return "ScatterReduceBackward0"
