"""PyTorch's memory formats: ``torchless.contiguous_format``, ``channels_last``, ``channels_last_3d`` and
``preserve_format``, and the layout rules behind them.

A tensor's array may be strided any way NumPy allows, so a channels-last tensor is an NCHW array whose memory is
NHWC: the same logical shape and values, the strides PyTorch reports (``stride()`` reads the array's). The rules
here are c10's: ``is_contiguous(memory_format)`` (size-1 dims don't count), the strides a format gives a shape
(``get_channels_last_strides_2d``, size-0 dims included), the format a tensor's strides suggest
(``suggest_memory_format``), and ``preserve_format``'s choice for copies and ``*_like`` factories (a dense
tensor keeps its strides, any other is made dense in its dims' memory order).
"""
import numpy as np

__all__ = ["memory_format", "contiguous_format", "channels_last", "channels_last_3d", "preserve_format"]


class memory_format:
    """The memory layout a tensor is (or is to be) given: ``torchless.contiguous_format`` (row-major),
    ``torchless.channels_last`` (NHWC memory for an NCHW tensor), ``torchless.channels_last_3d`` (NDHWC for NCDHW)
    or ``torchless.preserve_format`` (the layout of the tensor a new one is made from)."""

    __slots__ = ("name",)

    def __new__(cls, *args, **kwargs):
        raise TypeError("cannot create 'torchless.memory_format' instances")

    @classmethod
    def _named(cls, name):
        format_ = object.__new__(cls)
        format_.name = name
        return format_

    def __repr__(self):
        return f"torchless.{self.name}"

    def __reduce__(self):
        return self.name  # the module attribute of that name: unpickled (and copied) as the same object


contiguous_format = memory_format._named("contiguous_format")
channels_last = memory_format._named("channels_last")
channels_last_3d = memory_format._named("channels_last_3d")
preserve_format = memory_format._named("preserve_format")

# The dims of a channels-last layout from innermost to outermost in memory, by rank
_CHANNELS_LAST_ORDER = {4: (1, 3, 2, 0), 5: (1, 4, 3, 2, 0)}
_RANK = {channels_last: 4, channels_last_3d: 5}


def check(value, function):
    """``value`` if it is a memory format, else PyTorch's TypeError for ``function``'s ``memory_format``."""
    if type(value) is not memory_format:
        from .nn._functional._args import _tp_name

        raise TypeError(f"{function}(): argument 'memory_format' must be torchless.memory_format, not "
                        f"{_tp_name(value)}")
    return value


def check_rank(ndim, format_):
    """PyTorch's error for a channels-last format on a tensor of another rank."""
    rank = _RANK.get(format_)
    if rank is not None and ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {format_.name} format")


def element_strides(array):
    itemsize = array.itemsize
    return tuple(s // itemsize for s in array.strides)


def dense_in_order(shape, strides, order):
    """Whether the dims in ``order`` (innermost first) lay the elements out densely; size-1 dims don't count."""
    expected = 1
    for d in order:
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True


def is_contiguous(array, format_):
    """``Tensor.is_contiguous(memory_format=format_)`` of a tensor holding ``array``."""
    if format_ is channels_last or format_ is channels_last_3d:
        return strides_are_contiguous(array.shape, element_strides(array), format_)
    return array.flags.c_contiguous


def strides_are_contiguous(shape, strides, format_):
    """is_contiguous(memory_format=format_) of a tensor of ``shape`` and ``strides`` (in elements)."""
    if format_ is contiguous_format:
        return is_c_order(shape, strides)
    order = _CHANNELS_LAST_ORDER.get(len(shape))
    return order is not None and _RANK[format_] == len(shape) and dense_in_order(shape, strides, order)


def strides_for(shape, format_):
    """The strides (in elements) of a tensor of ``shape`` made in ``format_`` (c10's, size-0 dims included)."""
    strides = [0] * len(shape)
    step = 1
    order = _CHANNELS_LAST_ORDER[len(shape)] if format_ in _RANK else range(len(shape) - 1, -1, -1)
    for d in order:
        strides[d] = step
        step *= shape[d] if format_ in _RANK else max(shape[d], 1)
    return strides


def strides_like_channels_last(shape, strides):
    """c10's is_channels_last_strides_2d / _3d: whether strides describe a channels-last order (a 4-D or 5-D
    tensor), ambiguous cases (N111 and the like) counting as contiguous."""
    order = _CHANNELS_LAST_ORDER.get(len(shape))
    if order is None or strides[1] == 0:
        return False
    minimum = 0
    for d in order:
        if shape[d] == 0 or strides[d] < minimum:
            return False
        if d == 0 and minimum == strides[1]:
            return False
        minimum = strides[d]
        if shape[d] > 1:
            minimum *= shape[d]
    return True


def suggest(array):
    """``Tensor.suggest_memory_format()``: the channels-last format the strides follow, else contiguous."""
    if array.ndim in _CHANNELS_LAST_ORDER and strides_like_channels_last(array.shape, element_strides(array)):
        return channels_last if array.ndim == 4 else channels_last_3d
    return contiguous_format


_KERNEL_NAMES = {channels_last: "ChannelsLast", channels_last_3d: "ChannelsLast3d"}


def check_kernel_supports(array, format_):
    """PyTorch's CPU kernels that switch on ``suggest_memory_format()`` (max pooling, pixel shuffling) take the
    contiguous format and one channels-last ``format_``: strides suggesting the other one (a 4-D input of a 3-D
    pooling, a 5-D one of a 2-D kernel) fail."""
    suggested = suggest(array)
    if suggested is not contiguous_format and suggested is not format_:
        raise RuntimeError(f"Unsupported memory format. Supports only {_KERNEL_NAMES[format_]}, Contiguous")


def unsqueezed_view(array, axis=-2, writeable=False):
    """``array`` as a PyTorch kernel that unsqueezes it sees it (a view): by default the input of a 1-D pooling
    run by the 2-D kernel, its ``unsqueeze(-2)``; the new axis' stride PyTorch's (that of the axis after it times
    its size, where NumPy's ``None`` index gives 0). ``writeable``: a view to hand out as a result."""
    shape, strides = array.shape, array.strides
    axis %= array.ndim + 1  # (unsqueeze's dim: the new axis' place in the result)
    stride = shape[axis] * strides[axis] if axis < array.ndim else array.itemsize
    return np.lib.stride_tricks.as_strided(array, shape[:axis] + (1,) + shape[axis:],
                                           strides[:axis] + (stride,) + strides[axis:], writeable=writeable)


def kernel_name(name, array, unsqueezed=False):
    """The name under which a PyTorch CPU kernel with a channels-last variant (max, average and adaptive pooling,
    max unpooling, reflection and replication padding) dispatches on ``array``'s dtype, so refuses one: ``name``,
    "_channels_last" appended when the array, as the kernel sees it, suggests a channels-last format.
    ``unsqueezed``: a 1-D input run by the 2-D kernel, seen as its ``unsqueeze(-2)``."""
    if suggest(unsqueezed_view(array) if unsqueezed else array) is not contiguous_format:
        return name + "_channels_last"
    return name


def _strided(shape, dtype, strides, allocate):
    """A new array of ``shape`` with ``strides`` (in elements) over dense memory from ``allocate``."""
    size = 1
    for n in shape:
        size *= n
    itemsize = np.dtype(dtype).itemsize
    return np.lib.stride_tricks.as_strided(allocate(size, dtype), shape, [s * itemsize for s in strides])


def empty(shape, dtype, format_, allocate=np.zeros):
    """A zeroed array (or one from ``allocate``) of ``shape`` laid out in ``format_`` (contiguous or
    channels-last)."""
    if format_ is contiguous_format:
        # (NumPy gives an empty array zero strides; PyTorch C order's, counting size-0 dims as 1)
        return allocate(shape, dtype) if 0 not in shape else _strided(shape, dtype, strides_for(shape, format_),
                                                                      allocate)
    if format_ is preserve_format:
        raise RuntimeError("unsupported memory format Preserve")
    check_rank(len(shape), format_)
    return _strided(shape, dtype, strides_for(shape, format_), allocate)


def _preserved_strides(array):
    """preserve_format's strides (in elements) for a new array like ``array``: its own when it is dense and
    non-overlapping, else dense ones in its dims' memory order (at::infer_dense_strides)."""
    strides = element_strides(array)
    if not array.size:  # PyTorch counts an empty tensor dense: its strides are kept, whatever they are
        return strides
    order = sorted(range(array.ndim), key=strides.__getitem__)
    expected = 1
    for d in order:
        if array.shape[d] != 1:
            if strides[d] != expected:
                from ._ops.unary import dense_strides_like

                return dense_strides_like(array)
            expected *= array.shape[d]
    return strides


def with_c_strides(array):
    """The empty or C-contiguous ``array`` with C order's strides (a size-0 dim counting as 1), as PyTorch allocates
    a result: a view."""
    itemsize = array.itemsize
    strides = [s * itemsize for s in strides_for(array.shape, contiguous_format)]
    return array if tuple(strides) == array.strides else np.lib.stride_tricks.as_strided(array, array.shape, strides)


def empty_with_strides_of(array, dtype):
    """An uninitialised array of ``dtype`` with ``array``'s shape and strides (in elements; a dense array's)."""
    return _strided(array.shape, dtype, element_strides(array), np.empty)


def strides_like(array, format_):
    """The strides (in elements) of a new tensor like ``array`` made in ``format_`` (``preserve_format`` as
    PyTorch's ``empty_like``)."""
    if format_ is preserve_format:
        return _preserved_strides(array)
    check_rank(array.ndim, format_)
    return strides_for(array.shape, format_)


def is_c_order(shape, strides):
    """Whether strides (in elements) are C order's for ``shape`` (size-1 dims aside): PyTorch's is_contiguous
    (true of any empty tensor)."""
    return 0 in shape or dense_in_order(shape, strides, range(len(shape) - 1, -1, -1))


def placed(values, strides):
    """A fresh C-contiguous array's values put in memory order into the layout of ``strides``: its n-th value
    becomes the n-th one in memory (a random factory's draws fill a tensor in its memory order)."""
    return np.lib.stride_tricks.as_strided(values.reshape(-1), values.shape, [s * values.itemsize for s in strides])


def empty_like(array, dtype, format_, allocate=np.zeros):
    """A zeroed array (or one from ``allocate``) shaped as ``array`` laid out in ``format_``; ``preserve_format``
    as PyTorch's ``empty_like``."""
    if format_ is preserve_format:
        if array.flags.c_contiguous and array.size:
            out = allocate(array.shape, dtype)
            if out.strides == array.strides or element_strides(out) == element_strides(array):
                return out  # (else strides differing at size-1 dims, which PyTorch keeps too)
        return _strided(array.shape, dtype, _preserved_strides(array), allocate)
    return empty(array.shape, dtype, format_, allocate)


def preserving(out, array):
    """``out``, a NumPy copy of ``array`` (``astype``, order 'K'), with PyTorch's preserve_format strides: NumPy
    keeps the dims' order but not the strides of size-1 dims (nor the layout of arrays not dense)."""
    if array.flags.c_contiguous and out.flags.c_contiguous and out.shape == array.shape and array.size \
            and 1 not in array.shape:
        return out  # (both in C order, which preserve_format keeps: the common case, without working strides out)
    return with_strides(out, _preserved_strides(array))


def readonly_view(array, shape, strides):
    """``np.lib.stride_tricks.as_strided(array, shape, strides, writeable=False)`` (strides in bytes, within
    ``array``'s memory), for a C-contiguous ``array`` made by NumPy's own constructor over its buffer: as_strided
    and broadcast_to cost several times a small op's kernel in Python alone."""
    if array.flags.c_contiguous and array.size:
        try:
            view = np.ndarray(shape, array.dtype, array, 0, strides)
        except (TypeError, ValueError, BufferError):  # (a dtype without a buffer format, as ml_dtypes' bfloat16)
            pass
        else:
            view.flags.writeable = False
            return view
    return np.lib.stride_tricks.as_strided(array, shape, strides, writeable=False)


def with_strides(array, strides):
    """``array``, or a copy of it laid out with ``strides`` (in elements) where its own differ: strides of any
    non-overlapping layout, a narrowed view's too (whose memory spans more than its elements)."""
    if element_strides(array) == tuple(strides):
        return array
    if 0 in array.shape:
        return _strided(array.shape, array.dtype, strides, np.empty)
    span = 1 + sum((n - 1) * abs(s) for n, s in zip(array.shape, strides))
    laid_out = np.lib.stride_tricks.as_strided(np.empty(max(span, array.size), array.dtype), array.shape,
                                               [s * array.itemsize for s in strides])
    laid_out[...] = array
    return laid_out


def copy_as(array, format_, dtype=None):
    """A copy of ``array`` (cast to ``dtype``) in ``format_``."""
    out = empty_like(array, array.dtype if dtype is None else dtype, format_, np.empty)
    if out.size:
        out[...] = array
    return out


def may_suggest_channels_last(array):
    """A cheap first test for output_format: False for a C-contiguous array of C-order strides (the common case),
    whose channels do not lie next to each other in memory; an array of 2 or more dims. True for an empty array,
    whatever its strides: it suggests no channels-last format, but the NumPy routines computing a result from it
    leave all-zero strides, which the full path (keep_channels_last, in_format_of) replaces with C order's."""
    return not array.flags.c_contiguous or array.strides[1] == array.itemsize or not array.size


def output_format(*sources):
    """The channels-last format PyTorch's CNN kernels (convolution, pooling, upsampling, padding, group norm)
    give their output when one of ``sources`` (their input, a convolution's weight) has strides suggesting it,
    else None. Callers skip this when every source is C-contiguous (the common case, one flag test each)."""
    for source in sources:
        format_ = suggest(source)
        if format_ is not contiguous_format:
            return format_
    return None


def suggested_channels_last(array):
    """The channels-last format ``array`` suggests, else None: what a kernel records of its input to lay out the
    input's gradient later (see in_suggested_format), one flag test for a C-contiguous input."""
    return output_format(array) if may_suggest_channels_last(array) else None


def in_suggested_format(array, format_):
    """``array`` (a new kernel result) in ``format_`` (from suggested_channels_last), or C-contiguous for None: the
    layout of PyTorch's ``empty_like(input, input.suggest_memory_format())``."""
    return c_ordered(array) if format_ is None else in_format(array, format_)


def keep_channels_last(result, *sources, unsqueezed=False):
    """``result`` (a new tensor, or a tuple of them, e.g. a pooling's output and indices) of a layer on
    ``sources``, its arrays laid out in the channels-last format the sources suggest (see output_format), else
    C-contiguous: PyTorch's kernels allocate their output in one of these two layouts, whatever the input's (a
    transposed one, which NumPy's arithmetic would follow). ``unsqueezed``: a 1-D layer PyTorch runs by its 2-D
    kernel, which sees the sources and lays out the result as their ``unsqueeze(-2)`` (see unsqueezed_view)."""
    format_ = output_format(*(unsqueezed_view(s) for s in sources) if unsqueezed else sources)
    if format_ is None:
        return in_c_order(result)
    for tensor in result if isinstance(result, tuple) else (result,):
        data = tensor._data
        tensor._data = in_format(data[..., None, :], format_)[..., 0, :] if unsqueezed else in_format(data, format_)
    return result


def in_c_order(result):
    """``result`` (a new tensor, or a tuple of them) of a PyTorch kernel that allocates its output C-contiguous
    whatever its input's layout, its arrays so laid out (NumPy's arithmetic follows a transposed input's)."""
    for tensor in result if isinstance(result, tuple) else (result,):
        tensor._data = c_ordered(tensor._data)
    return result


def c_ordered(array):
    """``array`` with exactly C order's strides, size-1 dims' too (NumPy's C flag overlooks those, PyTorch's
    ``stride()`` shows them), copied if need be: the layout of a result PyTorch allocates without strides, as its
    reductions do (TensorIterator's reduce output) whatever the input's layout, which NumPy's reductions follow."""
    if not array.size:  # (NumPy gives the empty arrays its routines make all-zero strides)
        return with_c_strides(array)
    if _c_order(array):
        return array
    return np.array(array, order="C")  # (a new array: NumPy gives its size-1 dims C strides)


def in_format_of(array, *sources):
    """``array`` (a new kernel result) in the channels-last format the sources suggest, if any, else C-contiguous
    (see keep_channels_last); C-strided on size-1 and size-0 dims too, as PyTorch allocates it (NumPy keeps a view's
    strides there, and gives its empty arrays all-zero ones)."""
    format_ = output_format(*sources)
    if format_ is None:
        return with_c_strides(np.ascontiguousarray(array))
    return in_format(array, format_)


def in_format(array, format_):
    """``array`` with exactly the strides ``format_`` gives its shape (size-1 dims too), copied if need be."""
    if array.ndim != _RANK[format_] or element_strides(array) == tuple(strides_for(array.shape, format_)):
        return array
    return copy_as(array, format_)


def iterator_layout(out, operands):
    """``out``, the result of an elementwise op on the arrays ``operands`` (None entries skipped), laid out as
    PyTorch's TensorIterator lays out the output it allocates (see iterator_strides): NumPy's ufuncs follow the
    operands' common order only when they agree (a channels-last tensor plus a contiguous one gives C order),
    where PyTorch follows the first operand whose strides order the dims. Copied only when the strides differ."""
    if not out.size:  # (NumPy gives an empty result all-zero strides, PyTorch allocates it as any other)
        return with_strides(out, iterator_strides(out.shape, [a for a in operands if a is not None]))
    if out.ndim < 2:
        return out
    for a in operands:  # (a loop: all() of a generator cost a third of this call for every elementwise op)
        if a is not None and not _c_order(a):
            break
    else:
        return out  # (C-order operands give a C-order output both ways)
    operands = [a for a in operands if a is not None]
    if len(operands) == 1 and operands[0].shape == out.shape and element_strides(operands[0]) == element_strides(out):
        return out  # (a dense operand's own strides, which TensorIterator keeps for a pointwise op of one tensor)
    if out.flags.c_contiguous and 1 not in out.shape and all(_falling_strides(a) for a in operands):
        return out  # (x / x.norm(dim, keepdim=True), or by its expand: no operand orders any dims otherwise)
    return with_strides(out, iterator_strides(out.shape, operands))


def _falling_strides(array):
    """Whether ``array``'s strides, broadcast into an output without size-1 dims (its own size-1 dims then
    count as stride 0), fall strictly from each dim that moves to the next: then it orders no two dims against C
    order in TensorIterator's sort (layout_strides), and an operand that does not is needed to leave it."""
    previous, itemsize = None, array.itemsize
    for size, stride in zip(array.shape, array.strides):
        stride //= itemsize  # (in elements, as layout_strides reads them)
        if size != 1 and stride:
            if stride < 0 or previous is not None and stride >= previous:
                return False
            previous = stride
    return True


def empty_for_iterator(shape, dtype, operands):
    """An uninitialised array for the result of an elementwise op on ``operands`` (arrays of ``shape``, not all
    C-order), laid out as TensorIterator allocates it (see iterator_strides)."""
    return _strided(shape, dtype, iterator_strides(shape, operands), np.empty)


def _c_order(array):
    """C order, size-1 dims' strides too (which PyTorch's ordering of the dims reads, NumPy's flag does not)."""
    if not array.flags.c_contiguous:
        return False
    if 1 not in array.shape:
        return True
    return element_strides(array) == tuple(strides_for(array.shape, contiguous_format))


def iterator_strides(shape, operands):
    """The strides (in elements) TensorIterator gives the output of shape ``shape`` of an elementwise op on
    ``operands`` (arrays): see layout_strides."""
    return layout_strides(shape, [(a.shape, element_strides(a)) for a in operands])


def layout_strides(shape, layouts):
    """The strides (in elements) TensorIterator gives the output of shape ``shape`` it allocates for operands of
    ``layouts``, (shape, strides in elements) pairs: C order, channels-last or the operands' own when all have the
    output's shape and share that layout (its fast setup); else dense in the order its reorder_dimensions sorts
    the dims into, fastest first: for two dims, the first operand whose strides tell them apart (neither
    broadcast, a stride 0) decides, equal strides putting the smaller dim first; dims no operand orders keep C
    order, whose strides count a size-0 dim as 1 (other orders' don't: their allocation multiplies sizes)."""
    ndim = len(shape)
    if all(tuple(a_shape) == tuple(shape) for a_shape, _ in layouts) and any(a_shape for a_shape, _ in layouts):
        arrays_strides = [tuple(st) for _, st in layouts]
        if all(is_c_order(shape, st) for st in arrays_strides):
            return tuple(strides_for(shape, contiguous_format))
        format_ = {4: channels_last, 5: channels_last_3d}.get(ndim)
        if format_ is not None and all(dense_in_order(shape, st, _CHANNELS_LAST_ORDER[ndim])
                                       for st in arrays_strides):
            return tuple(strides_for(shape, format_))
        if all(st == arrays_strides[0] for st in arrays_strides) and _is_dense(shape, arrays_strides[0]):
            return arrays_strides[0]
    broadcast = []
    for a_shape, st in layouts:
        lead = ndim - len(a_shape)
        broadcast.append([0] * lead + [0 if a_shape[i] == 1 and shape[lead + i] != 1 else st[i]
                                       for i in range(len(a_shape))])

    def should_swap(dim0, dim1):
        for st in broadcast:
            stride0, stride1 = st[dim0], st[dim1]
            if stride0 == 0 or stride1 == 0:
                continue
            if stride0 != stride1:
                return 1 if stride0 > stride1 else -1
            if shape[dim0] > shape[dim1]:
                return 1
        return 0

    perm = innermost_first(ndim, should_swap)
    if perm == list(range(ndim - 1, -1, -1)):
        return tuple(strides_for(shape, contiguous_format))
    strides, step = [0] * ndim, 1
    for d in perm:
        strides[d] = step
        step *= shape[d]
    return tuple(strides)


def view_strides(shape, strides, new_shape):
    """The strides of ``new_shape`` viewing memory laid out as (shape, strides), None where no view can (c10's
    computeStride: each run of dims contiguous with one another must map onto whole new dims; an empty tensor's
    view C order's strides, unless the shape is kept)."""
    if 0 in shape:
        return list(strides) if tuple(shape) == tuple(new_shape) else strides_for(new_shape, contiguous_format)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    base = strides[-1] if strides else 1
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                base, tensor_numel, view_numel = strides[d - 1], 1, 1
    return None if view_d != -1 else new_strides


def reshaped_view(array, shape):
    """``array.reshape(shape)`` with PyTorch's strides where it is a view: NumPy picks its own strides for size-1
    dims, which c10's computeStride derives from the dims next to them (C order's, scaled by the stride of the last
    dim, for an array contiguous but for its size-1 dims)."""
    out = array.reshape(shape)
    # C order laid out anew: NumPy's strides are PyTorch's, unless a size-1 dim has a stride of its own that NumPy
    # keeps (the same shape) or that c10 scales the others by (the last dim's)
    if array.flags.c_contiguous and (1 not in array.shape or array.strides[-1] == array.itemsize and
                                     out.shape != array.shape):
        return out
    strides = view_strides(array.shape, element_strides(array), shape) if array.ndim else None
    if strides is None:
        return out  # (a copy, in C order, or a 0-d array's view)
    strides = tuple(stride * array.itemsize for stride in strides)
    if out.strides == strides:
        return out
    return np.lib.stride_tricks.as_strided(array, shape, strides, writeable=array.flags.writeable)


def _is_dense(shape, strides):
    """Non-overlapping and dense (c10's is_non_overlapping_and_dense) for strides in elements: dims of size 0 or 1
    don't count, so an empty array is dense when its other dims are (an empty leaf's gradient takes its strides)."""
    return dense_in_order(shape, strides, sorted((d for d in range(len(shape)) if shape[d] > 1),
                                                 key=lambda d: strides[d]))


def is_dense(array):
    """Whether ``array``'s elements fill a block of memory, each once, in some order of its dims (_is_dense of its
    strides in elements)."""
    itemsize = array.itemsize
    if any(stride % itemsize for stride in array.strides):
        return False
    return _is_dense(array.shape, [stride // itemsize for stride in array.strides])


def innermost_first(ndim, compare):
    """The dims in PyTorch's memory order, innermost first: C order's reverse, insertion-sorted by ``compare(a, b)``
    (> 0: dim a belongs outside dim b, < 0: inside, 0: either), carrying on past the ambiguous comparisons
    (stride-0 dims) as c10's sort does rather than stopping at them."""
    perm = list(range(ndim - 1, -1, -1))
    for i in range(1, ndim):
        j = i
        for k in range(i - 1, -1, -1):
            comparison = compare(perm[k], perm[j])
            if comparison > 0:
                perm[k], perm[j] = perm[j], perm[k]
                j = k
            elif comparison < 0:
                break
    return perm


_EFFICIENT_ZEROS = {}


def efficient_zero(shape, dtype):
    """PyTorch's efficient zero tensor (a real sgn's gradient): one zero broadcast to ``shape``, whose all-zero
    strides leave a sum's layout to its other term, as TensorIterator does with a ZeroTensor."""
    dtype = np.dtype(dtype)
    zero = _EFFICIENT_ZEROS.get(dtype)
    if zero is None:
        zero = _EFFICIENT_ZEROS[dtype] = np.zeros((), dtype)
    return np.broadcast_to(zero, shape)


def is_efficient_zero(array):
    """Whether ``array`` is an efficient_zero (summed with nothing): PyTorch hands one out C-strided."""
    return array.base is not None and array.base is _EFFICIENT_ZEROS.get(array.dtype)
