"""Helpers shared by the differentiable ops: undoing broadcasting, normalising dims."""
import functools
import math
import operator

import numpy as np

from .. import _memory_format
from .._kernels import parallel
from .._kernels.reduce_order import long_cascade_sum, short_cascade_row_sums, threads_cascade_sum
from .._kernels.sum_order import aten_sum, columns_sum, row_sum_down


# NumPy adds the rows of an outer axis one after another into the result (it sums pairwise only along the
# innermost axis in memory); PyTorch's cascade sum adds runs of up to 16 in order, then pairs of partial sums.
# Over more rows than that, a float32 sequential sum drifts past assert_close's tolerances (1000 rows of about
# 10: 0.015 off, 10x PyTorch's error), so those sums are accumulated in float64 instead, nearer still to the
# exact sum.
CASCADE_RUN = 16


def cast_for_reduction(a, dtype):
    """PyTorch's sums with a floating ``dtype`` other than a real input's cast the input to it first and add it
    as a tensor of that dtype: ``a`` so cast (a bfloat16 one widened to float32, which its kernels accumulate in),
    or None where ``dtype`` asks for no such cast (NumPy's ``dtype=`` would accumulate in it, in its order)."""
    if dtype is None or dtype == a.dtype or a.dtype.kind not in "biufV" or np.dtype(dtype).kind not in "fV":
        return None
    cast = a.astype(dtype)
    return cast.astype(np.float32) if cast.dtype.kind == "V" else cast


def _innermost_axis(a):
    """The axis along which ``a``'s elements are nearest in memory (the last one of a C-contiguous array)."""
    if a.flags.c_contiguous:
        return a.ndim - 1
    strides = [abs(s) if n > 1 else np.inf for s, n in zip(a.strides, a.shape)]
    return strides.index(min(strides))


def sum_of_rows(a, axes, keepdims=False):
    """``a.sum(axis=axes, keepdims=keepdims)``; a float32 or float64 sum added in the order of PyTorch's CPU kernel
    (see sum_order), else (a layout it does not model) a float32 sum that NumPy would add sequentially over more
    than CASCADE_RUN terms accumulated in float64 and rounded once. Rows mixing +inf and -inf sum to nan, and sums
    beyond the dtype's range to inf, silently as in PyTorch (NumPy warns, whatever filters the caller has set)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return _sum_of_rows(a, axes, keepdims)


def _sum_of_rows(a, axes, keepdims):
    if a.dtype in _CASCADED and a.size >= _CASCADE_SUM_MIN:
        whole = axes is None or _every_axis(axes, a.ndim)
        if (whole or _only_ones_kept(a.shape, axes)) and _dense(a):
            # the sum of a whole tensor (a mean loss, a printed total): its TensorIterator coalesces the dims of a
            # dense tensor into one row in memory order, over GRAIN_SIZE elements split among the threads
            total = threads_cascade_sum(a.ravel(order="K"), parallel.get_num_threads())
            if whole:
                return np.full((1,) * a.ndim, total, a.dtype) if keepdims else np.array(total)  # (of a's dtype)
            return np.full(_reduced_shape(a.shape, _axis_set(axes, a.ndim), keepdims), total, a.dtype)
        # in PyTorch's order, to its last bit (see sum_order)
        if type(axes) is int:
            axes = (axes % a.ndim,)
        elif axes is not None and min(axes) < 0:
            axes = tuple(axis % a.ndim for axis in axes)
        total = aten_sum(a, axes, keepdims)
        if total is not None:
            return total
    if a.dtype == _FLOAT32 and axes is not None and a.ndim > 1:
        shape, inner = a.shape, _innermost_axis(a)
        if type(axes) is int:
            outer = shape[axes] if axes % a.ndim != inner else 1
        else:
            outer = 1
            for axis in axes:
                if axis % a.ndim != inner:
                    outer *= shape[axis]
        if outer > CASCADE_RUN:
            return _float64_sum(a, axes, keepdims).astype(_FLOAT32)
    # (the ufunc itself rather than ndarray.sum, which goes through NumPy's own Python code)
    return _add_reduce(a, axes, None, None, keepdims)


def tensor_sum(a, axes, keepdims=False):
    """``x.sum(dims)`` (and the sum behind ``x.mean(dims)``): sum_of_rows, but a C-contiguous float32 or float64
    ``a`` added in the order of ATen's kernel for the layouts its iterator makes of it (size-1 dims dropped,
    neighbouring dims of one kind merged): rows (``x.sum(-1)``), each added as its inner reduction adds it
    (short_cascade_row_sums, long_cascade_sum) where NumPy would add it pairwise; columns (``x.sum(0)``, and over a
    middle dim, ``x.sum(1)`` of (N, C, L)), down which its loops add in cascades (sum_order.columns_sum); and
    leading and trailing dims around kept ones (``x.sum((0, 2, 3))``, a channel's statistics), the rows' sums added
    one after the other from 0, as its loop stores each into the zero-filled output."""
    if a.dtype in _CASCADED and a.ndim > 1 and axes is not None and a.flags.c_contiguous and a.size:
        reduced = _axis_set(axes, a.ndim)
        blocks = _merged_blocks(a.shape, reduced)
        kinds = tuple(kind for kind, _ in blocks)
        sizes = [size for _, size in blocks]
        totals = None
        with np.errstate(invalid="ignore", over="ignore"):  # (inf - inf and overflow, silently: sum_of_rows)
            if kinds == (False, True):
                totals = _row_sums(a.reshape(sizes))
            elif kinds in ((True, False), (False, True, False)):  # (x.sum(0); over a middle dim, per call)
                totals = columns_sum(a.reshape(sizes))
            elif kinds.count(True) > 1:
                totals = _inner_sums_in_turn(a.reshape(sizes), kinds)
        if totals is not None:
            return totals.reshape(_reduced_shape(a.shape, reduced, keepdims))
    return sum_of_rows(a, axes, keepdims)


def _merged_blocks(shape, reduced):
    """[(reduced or not, size)] of the dims of ``shape`` (C-contiguous) as ATen's iterator coalesces them: size-1
    dims dropped, neighbours of one kind merged into one."""
    blocks = []
    for axis, size in enumerate(shape):
        if size == 1:
            continue
        kind = axis in reduced
        if blocks and blocks[-1][0] == kind:
            blocks[-1] = (kind, blocks[-1][1] * size)
        else:
            blocks.append((kind, size))
    return blocks


def _inner_sums_in_turn(blocks, kinds):
    """The sum of ``blocks`` (C-contiguous, its dims alternately reduced and kept as ``kinds`` says, two reduced at
    least) over its reduced dims as ATen's kernel adds it: its loop takes the two innermost reduced dims, the last
    one's rows each summed as its inner reduction adds them (or, strided, by row_sum), and adds their sums into the
    zero-filled output one after the other; each further reduced index calls it again, in memory order."""
    last = len(kinds) - 1 - kinds[::-1].index(True)
    if last == len(kinds) - 1:  # rows contiguous in memory
        sums = _row_sums(blocks.reshape(-1, blocks.shape[-1])).reshape(blocks.shape[:-1])
    else:
        lead, trail = math.prod(blocks.shape[:last]), math.prod(blocks.shape[last + 1:])
        down = np.ascontiguousarray(blocks.reshape(lead, blocks.shape[last], trail).transpose(1, 0, 2))
        sums = row_sum_down(down).reshape(blocks.shape[:last] + blocks.shape[last + 1:])
    kinds = kinds[:last] + kinds[last + 1:]
    reduced = [axis for axis, kind in enumerate(kinds) if kind]
    kept = [axis for axis, kind in enumerate(kinds) if not kind]
    terms = np.ascontiguousarray(sums.transpose(reduced + kept)).reshape(-1, *(sums.shape[axis] for axis in kept))
    return np.add.reduce(terms, axis=0, initial=blocks.dtype.type(0))


def _row_sums(rows):
    """The sums of the rows of the C-contiguous 2-D ``rows`` (at least two of them) in ATen's inner order."""
    totals = short_cascade_row_sums(rows)
    if totals is None:  # (long rows: the loop over them costs little beside their sums)
        totals = np.array([long_cascade_sum(row) for row in rows], rows.dtype)
    return totals


def _float64_sum(a, axes, keepdims):
    """``np.add.reduce(a, axes, np.float64, keepdims=keepdims)``; when large and reduced over dim 0, as the sum of the
    sums of the halves of dim 0, computed at once on two cores when there are two. The split is made by the size
    alone: the same bits whatever the timing and the thread count, as near the exact sum in float64."""
    rows = a.shape[0]
    if (rows < 2 or SUM_FLOP_PER_ELEMENT * a.size < parallel.MIN_PARALLEL_FLOP
            or (axes % a.ndim != 0 if type(axes) is int else all(axis % a.ndim for axis in axes))):
        return _add_reduce(a, axes, np.float64, None, keepdims)
    half = rows // 2
    halves = [(a[:half], axes, np.float64, None, keepdims), (a[half:], axes, np.float64, None, keepdims)]
    if parallel.shard_count(2, SUM_FLOP_PER_ELEMENT * a.size) < 2:
        first, second = (_add_reduce(*args) for args in halves)
    else:
        first, second = parallel.run_shards(_add_reduce, halves)
    first += second
    return first


# Sums read (not write) memory, so unlike a pass writing its result they nearly halve on two cores, once large
# (measured on an otherwise idle host, ms, whole -> halves: float32 sums accumulated in float64, 0.41 ns an element,
# 1.6M elements 0.62-0.75 -> 0.59-0.63, 7.8M 2.8-3.2 -> 1.8-1.9): split from 2.8M elements.
SUM_FLOP_PER_ELEMENT = 3


_FLOAT32, _add_reduce = np.dtype(np.float32), np.add.reduce
_CASCADED = (_FLOAT32, np.dtype(np.float64))
# Sums of up to 4 elements are sequential in both libraries (NumPy's pairwise order is too)
_CASCADE_SUM_MIN = 5


def _dense(a):
    """Whether ``a``'s elements fill its memory without gaps, in some order of its dims, all strides positive."""
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return True
    expected = a.itemsize
    for stride, size in sorted((stride, size) for stride, size in zip(a.strides, a.shape) if size > 1):
        if stride != expected:
            return False
        expected *= size
    return True


def _every_axis(axes, ndim):
    """Whether ``axes`` (an int or a tuple) names every one of ``ndim`` axes."""
    if type(axes) is int:
        return ndim == 1
    return len(axes) == ndim and len({axis % ndim for axis in axes}) == ndim


def _only_ones_kept(shape, axes):
    """Whether every dim of ``shape`` that ``axes`` (an int or a tuple) keeps has size 1: a whole sum to PyTorch,
    whose iterator drops such dims."""
    reduced = _axis_set(axes, len(shape))
    return all(size == 1 for axis, size in enumerate(shape) if axis not in reduced)


def _axis_set(axes, ndim):
    """The set of axes ``axes`` (an int or a tuple, negative ones counted from the end) names of ``ndim``."""
    return {axes % ndim} if type(axes) is int else {axis % ndim for axis in axes}


def _reduced_shape(shape, reduced, keepdims):
    """The shape of a sum of ``shape`` over the axes in the set ``reduced``."""
    return [1 if axis in reduced else size for axis, size in enumerate(shape) if keepdims or axis not in reduced]


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving an array of ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    # one sum over the leading and the stretched dims, as sum_to's (two would round the sums twice)
    reduced = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape)
                                          if n == 1 and grad.shape[extra + i] != 1)
    if reduced:
        grad = sum_of_rows(grad, reduced, keepdims=True)
    # (C order, as PyTorch's sum_to reduces: NumPy's sum may follow a transposed gradient's order; a view only
    # where sum_to views the sum, to drop the leading dims: the engine adds in place into the sum itself)
    grad = np.asarray(grad)
    return _memory_format.c_ordered(grad.reshape(shape) if extra else grad)


def unbroadcast_tensor(grad, shape):
    """unbroadcast for a gradient tensor recorded in the graph (create_graph=True), as PyTorch's sum_to records it:
    one sum (dims kept) over the leading and the stretched dims, then a view to ``shape`` if there were leading
    dims; to a 0-d shape, one sum of all."""
    if grad._data.shape == shape:
        return grad
    if not shape:
        return grad.sum()
    extra = grad._data.ndim - len(shape)
    reduced = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape)
                                          if n == 1 and grad._data.shape[extra + i] != 1)
    if reduced:
        grad = grad.sum(dim=reduced, keepdim=True)
    return grad.reshape(shape) if extra else grad


def required_tensor(value, name, argument="input", position=1):
    """``value``, a tensor, or the parser's TypeError naming ``argument`` of ``name`` at ``position``."""
    from .._tensor import Tensor

    if not isinstance(value, Tensor):
        from .. import _parser_errors

        raise _parser_errors.not_tensor(name, argument, position, value)
    return value


def as_tensor(value):
    """``value`` as a tensor (a tensor as it is, anything else through ``torchless.tensor``)."""
    from .._tensor import Tensor

    if isinstance(value, Tensor):
        return value
    from .._creation import tensor

    return tensor(value)


def is_int_argument(value):
    """What PyTorch's parser takes for an ``int`` parameter: a Python int (no bool), a NumPy integer, a 0-d tensor of
    an integer dtype (no bool). Neither a one-element tensor of higher rank nor a NumPy array, though both convert
    through ``__index__``."""
    if isinstance(value, (int, np.integer)):
        return not isinstance(value, bool)
    from .._tensor import Tensor

    return isinstance(value, Tensor) and value._data.ndim == 0 and value._data.dtype.kind in "iu"


def is_index_argument(value):
    """PyTorch's check of an int list's first element (and of ``view(2, 3)``'s first int): anything ``__index__``
    converts (a one-element integer or bool tensor of any rank, a NumPy 0-d integer array) but a Python bool."""
    if isinstance(value, (int, np.integer)):
        return not isinstance(value, bool)
    if not hasattr(type(value), "__index__"):
        return False
    try:
        value.__index__()
    except TypeError:
        return False
    return True


# What PyTorch's parser unpacks an int into: a C++ int64 (int64_t)
INT64 = range(-2 ** 63, 2 ** 63)
OVERFLOW = "Overflow when unpacking long long"  # its error for an int beyond


def checked_int64(value):
    """c10::checked_convert<int64_t>(double), as a kernel reads a Scalar as an int: truncation, refusing what
    int64 cannot hold."""
    if not math.isfinite(value) or not -2.0 ** 63 <= value < 2.0 ** 63:
        raise RuntimeError("value cannot be converted to type int64_t without overflow")
    return int(value)


def check_int64(value):
    """PyTorch's parser's ValueError for an int argument it cannot unpack into an int64 (called where an int was
    refused as out of range: the parser's failure comes first). A NumPy integer is an int here (``range``'s
    ``in`` would walk the whole range for anything but an int)."""
    if operator.index(value) not in INT64:
        raise ValueError(OVERFLOW)


def normalize_dim(dim, ndim):
    """A non-negative axis for ``dim`` (a 0-d tensor accepts 0 and -1), with PyTorch's IndexError otherwise."""
    if dim.__class__ is not int:
        if not is_int_argument(dim):  # (PyTorch takes no bool, no one-element tensor of rank > 0, for an int)
            raise TypeError(f"dim must be an int, got {type(dim).__name__}")
        dim = dim.__index__()
    rank = max(ndim, 1)
    if not -rank <= dim < rank:
        check_int64(dim)
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got {dim})"
        )
    return dim % rank


def scan_axis(dim, ndim, name):
    """``normalize_dim`` for the cumulative ops, whose ``dim`` PyTorch's parser wants as an int."""
    if dim.__class__ is not int and not is_int_argument(dim):
        from .._parser_errors import wrong_type

        raise wrong_type(name, "dim", 1, dim, "int")
    return normalize_dim(dim, ndim)


def normalize_dims(dim, ndim):
    """A sorted tuple of axes for an int, a sequence of ints, or None (all axes); a 0-d tensor has none."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (tuple, list)):
        seen = set()
        for d in list_elements(dim):
            axis = normalize_dim(d, ndim)
            if axis in seen:
                raise RuntimeError(f"dim {axis} appears multiple times in the list of dims")
            seen.add(axis)
        return tuple(sorted(seen)) if ndim else ()
    axis = normalize_dim(dim if dim.__class__ is int or not is_one_element_tensor(dim) else int(dim.item()), ndim)
    return (axis,) if ndim else ()


def is_one_element_tensor(value):
    """A tensor of one element of an integer or bool dtype, of any rank: what PyTorch's int lists take for an int."""
    from .._tensor import Tensor

    return isinstance(value, Tensor) and value._data.size == 1 and value._data.dtype.kind in "iub"


def list_elements(values):
    """An int list's elements as PyTorch's parser unpacks them (``list_element``), its first checked as an index
    first (no bool there)."""
    if values and isinstance(values[0], bool):
        raise TypeError("dim must be an int, got bool")
    return [v if v.__class__ is int else list_element(v) for v in values]


def list_element(value):
    """An element of an int list as PyTorch's parser unpacks it: an int, a one-element integer or bool tensor, or
    anything ``__index__`` converts (a bool too); a TypeError for the rest."""
    if is_one_element_tensor(value):
        return int(value.item())
    if isinstance(value, np.bool_) or not hasattr(type(value), "__index__"):
        raise TypeError(f"dim must be an int, got {type(value).__name__}")
    return value.__index__()


def every_dim_if_empty(dim):
    """``dim`` for the reductions that read an empty dim list as every dim (sum, mean, std, var, nansum,
    count_nonzero, norm): PyTorch keeps that legacy meaning of ``dim=()``, so it must not reduce over none."""
    return None if isinstance(dim, (tuple, list)) and not dim else dim


def expand_reduced(grad, shape, axes, keepdim):
    """Broadcast the gradient of a reduction over ``axes`` back to the input's ``shape``: PyTorch's sum_backward
    view (an unsqueeze per reduced dim, then expand), whose size-1 dims keep the strides the unsqueezes give them
    where NumPy's broadcast makes them 0."""
    if 1 not in shape or not grad.ndim:
        return _broadcast_reduced(grad, shape, axes, keepdim)
    sizes, strides = list(grad.shape), [stride // grad.itemsize for stride in grad.strides]
    if not keepdim and axes is not None:
        for axis in sorted(int(axis) % len(shape) for axis in (axes if isinstance(axes, tuple) else
                                                               np.atleast_1d(axes))):
            strides.insert(axis, 1 if axis >= len(sizes) else sizes[axis] * strides[axis])
            sizes.insert(axis, 1)
    if len(sizes) != len(shape):  # (a broadcast along new leading dims: NumPy's strides are PyTorch's)
        return _broadcast_reduced(grad, shape, axes, keepdim)
    strides = [0 if size != target else stride for size, stride, target in zip(sizes, strides, shape)]
    return _memory_format.readonly_view(grad, tuple(shape), tuple(stride * grad.itemsize for stride in strides))


def _broadcast_reduced(grad, shape, axes, keepdim):
    if not grad.ndim:  # (a loss's gradient: every stride 0)
        return _memory_format.readonly_view(grad, tuple(shape), (0,) * len(shape))
    return np.broadcast_to(np.expand_dims(grad, axes) if not keepdim and axes else grad, shape)


def expand_reduced_tensor(grad, shape, axes, keepdim):
    """expand_reduced for a gradient tensor recorded in the graph (create_graph=True)."""
    if not keepdim:
        every = range(len(shape)) if axes is None else axes
        grad = grad.reshape(tuple(1 if i in every else n for i, n in enumerate(shape)))
    return grad.expand(shape)


def sum_backward_tensor(grad, shape, axes, keepdim):
    """PyTorch's sum_backward for a gradient tensor recorded in the graph (create_graph=True): an unsqueeze per
    reduced dim, in increasing order (unsqueeze_multiple), then the expand."""
    if not keepdim and axes is not None and shape:
        for axis in sorted(int(axis) % len(shape) for axis in np.atleast_1d(axes)):
            grad = grad.unsqueeze(axis)
    return grad.expand(shape)


def broadcast_error(shape_a, shape_b, batch_dims=0):
    """PyTorch's RuntimeError for two shapes that do not broadcast (it reports the rightmost clash); with
    ``batch_dims`` batch dimensions in front of them (vmap's, which its message counts)."""
    ndim = max(len(shape_a), len(shape_b))
    a = (1,) * (ndim - len(shape_a)) + tuple(shape_a)
    b = (1,) * (ndim - len(shape_b)) + tuple(shape_b)
    for i in range(ndim - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            return RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                                f"non-singleton dimension {i + batch_dims}")
    return None


def raise_if_not_broadcastable(a, b):
    shape_a, shape_b = a._data.shape, b._data.shape
    # (a number's 0-d operand broadcasts with anything; vmap's batch dims are looked up only for the error)
    if shape_a != shape_b and shape_a and shape_b and broadcast_error(shape_a, shape_b) is not None:
        raise broadcast_error(shape_a, shape_b, _batch_dims(a, b))


def _batch_dims(*tensors):
    """The batch dims PyTorch's batched operands carry in front inside vmap: one per vmap call running, out to the
    innermost that batched one of ``tensors`` (0 outside vmap)."""
    from ..autograd import forward_ad

    if not forward_ad.state.vmap_levels:
        return 0
    level = forward_ad.batch_level(tensors)
    return 0 if level is None else forward_ad.state.vmap_levels.index(level) + 1


def _tie_keeps_first(dtype):
    return not np.signbit(np.maximum(np.zeros(1, dtype), np.full(1, -0.0, dtype))[0])


# The dtypes whose NumPy maximum and minimum answer a tie (-0.0 against 0.0) with their first operand: the plain
# loops' (float16, longdouble); the SIMD ones (float32, float64) answer with their second. PyTorch's clamp and relu
# keep the input there; found by trying, once.
TIE_KEEPS_FIRST = frozenset(np.dtype(t) for t in (np.float16, np.float32, np.float64, np.longdouble)
                            if _tie_keeps_first(t))


def keeping_input_on_tie(ufunc, bound, a, **kwargs):
    """``ufunc`` (np.maximum or np.minimum) of the bound and the array ``a``, answering a tie with ``a``'s element:
    clamp(-0.0, min=0.0) is -0.0, as in PyTorch."""
    return ufunc(a, bound, **kwargs) if a.dtype in TIE_KEEPS_FIRST else ufunc(bound, a, **kwargs)


def laid_out_gradients(layout):
    """Decorator of a node's ``backward`` whose PyTorch backward op lays its gradients out by a rule of its own:
    ``layout(node, grad, gradient)`` gives the array ``gradient`` so laid out. Under create_graph the engine lays
    out ``backward_graph``'s gradients by the same rule (autograd._graph_backward.backward_graph_method), as
    PyTorch's op is the same."""
    def decorate(backward):
        if getattr(layout, "by_position", False):  # (a rule of each input's: layout(node, grad, gradient, position))
            @functools.wraps(backward)
            def laid_out(self, grad):
                return tuple(None if g is None else layout(self, grad, g, i)
                             for i, g in enumerate(backward(self, grad)))
        else:
            @functools.wraps(backward)
            def laid_out(self, grad):
                return tuple(None if g is None else layout(self, grad, g) for g in backward(self, grad))
        laid_out.gradient_layout = layout
        return laid_out
    return decorate


def grad_first(like):
    """Decorator of a pointwise op's ``backward`` whose PyTorch formula is ``grad * f'(x)`` (gelu_backward(grad,
    self), ...): its gradients laid out as TensorIterator lays that out, grad's order first (where grad is broadcast,
    as the gradient of a sum is, the array named ``like``, in the input's layout, orders the dims). NumPy follows
    whichever operand its own rules pick: the input's channels-last layout for a contiguous grad."""
    return laid_out_gradients(iterator_layout_of("grad", like))


def laid_out_product(result, *operands):
    """``result``, a backward's elementwise product (quotient) of the arrays ``operands`` (grad first), laid out as
    TensorIterator lays it out: NumPy's order differs where the operands' orders do (a permuted grad times a
    broadcast factor), or where an operand's size-1 dims have other strides than C order's (TensorIterator keeps
    them: a gradient into an expanded leaf, which AccumulateGrad then takes as it is). A few tests when all are
    C-contiguous and those of the result's shape strided as NumPy's result, the common case."""
    if result.ndim < 2:
        return result
    ones = 1 in result.shape
    for operand in operands:  # (a loop: all() of a generator costs more than these tests)
        if not operand.flags.c_contiguous or ones and operand.strides != result.strides and \
                operand.shape == result.shape:
            return _memory_format.iterator_layout(result, operands)
    return result


def iterator_layout_of(*operands):
    """The layout rule (see laid_out_gradients) of a pointwise backward op on ``operands``, in its order: names of
    the node's arrays, "grad" for the gradient. A gradient of another shape than grad's is left as it is."""
    def layout(node, grad, gradient):
        if gradient.shape != grad.shape:
            return gradient
        return _memory_format.iterator_layout(gradient, [grad if name == "grad" else getattr(node, name)
                                                         for name in operands])
    return layout


def _c_ordered_gradient(node, grad, gradient):
    return _memory_format.c_ordered(gradient)


# Decorator of a ``backward`` whose PyTorch op allocates its gradients C-contiguous whatever the layouts of grad and
# the input (_softmax_backward_data, mse_loss_backward): see laid_out_gradients.
c_ordered_gradients = laid_out_gradients(_c_ordered_gradient)


def memory_owner(array):
    """The array owning the memory ``array`` views, found through NumPy's chain of bases, which strided views
    (as_strided, sliding windows) join through a non-array holder."""
    root = array
    while True:
        base = root.base
        if not isinstance(base, np.ndarray):
            base = getattr(base, "base", None)  # the holder of an as_strided view
            if not isinstance(base, np.ndarray):
                return root
        root = base


def memory_order(root):
    """The 1-D view of the elements of ``root`` (an array owning its memory, see memory_owner) in their order in
    memory, else None: an owner laid out in another order than C's (a copy keeping a permuted layout, a
    Fortran-ordered array) holds them in the order of its strides, as PyTorch's storage of such a tensor does."""
    if root.flags.c_contiguous or root.flags.f_contiguous:
        return root.reshape(-1, order="A")
    moved = root.transpose(sorted(range(root.ndim), key=lambda d: -root.strides[d]))
    return moved.reshape(-1) if moved.flags.c_contiguous else None
