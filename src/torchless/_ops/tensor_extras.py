"""Tensor methods PyTorch code meets beyond the core ones: legacy spellings (``new``, ``char``, ``resize_``,
the ``greater_`` / ``divide_`` aliases), in-place forms of existing ops (``tril_``, ``cumsum_``), method forms of
torch / linalg functions (``det``, ``inverse``, ``cross``, ``dist``), the complex-number queries that are
identities on real tensors (``conj``, ``is_neg``), and the out-of-place scatters (``slice_scatter`` and kin).

``install(Tensor)`` attaches the methods; the torch-namespace forms are listed in _functions._FUNCTION_FORMS.
"""
import math
import operator

import numpy as np

from .. import _determinism, _dtype, _memory_format, _parser_errors
from .._parser_errors._messages import is_number_argument
from ..autograd import forward_ad, grad_mode
from ..autograd.graph import Node, output_renamed
from ..autograd.saved_values import Saved, int64
from ..return_types import _RETURN_TYPES
from .._tensor_methods._arguments import division_operand
from ._util import is_int_argument, memory_order, memory_owner, normalize_dim, raise_if_not_broadcastable
from .inplace import reduce_scattered

Tensor = None  # the class, set by install() (this module is imported while _tensor.py defines it)


def _check_tensor(value, name, argument, position):
    if not isinstance(value, Tensor):
        raise _parser_errors.not_tensor(name, argument, position, value)


# ---------------------------------------------------------------------------- dtype and layout queries
def _storage(array):
    """(the 1-D array over the memory ``array`` lies in, ``array``'s offset in it in elements): the memory of the
    array owning it, found through NumPy's chain of bases, which strided views (as_strided, sliding windows) join
    through a non-array holder; an array not found in its owner's memory is its own storage."""
    root = memory_owner(array)
    flat = memory_order(root) if root is not array or not array.flags.c_contiguous else None
    if flat is not None and not root.nbytes % array.itemsize:
        if flat.dtype != array.dtype:  # a view as another dtype (view(dtype), real, imag): counted in its elements
            flat = flat.view(np.uint8).view(array.dtype)
        offset, misaligned = divmod(array.__array_interface__["data"][0] - flat.__array_interface__["data"][0],
                                    array.itemsize)
        # (an empty view may start past its memory's end: PyTorch's offset counts its base's strides, as here)
        if not misaligned and 0 <= offset and (offset <= flat.size or not array.size):
            return flat, offset
    return np.ascontiguousarray(array).reshape(-1), 0


def storage_layout(array):
    """(the 1-D elements of the memory ``array`` views, its offset there, its strides), in elements, as a PyTorch
    tensor over that memory would have them; for an array found in no such memory, or laid out in it as no
    PyTorch tensor can be (negative strides), those of a C-contiguous copy of it."""
    itemsize = array.itemsize
    expressible = all(s >= 0 and s % itemsize == 0 for s in array.strides)
    if array.size:
        elements, offset = _storage(array)
        starts_there = elements.__array_interface__["data"][0] + offset * itemsize == \
            array.__array_interface__["data"][0]
        if starts_there and expressible:
            return elements, offset, tuple(s // itemsize for s in array.strides)
    elif expressible:  # an empty tensor keeps its strides, as torch.save keeps them
        return array.reshape(-1), 0, tuple(s // itemsize for s in array.strides)
    c_strides = _memory_format.strides_for(array.shape, _memory_format.contiguous_format)
    return array.copy(order="C").reshape(-1), 0, tuple(c_strides)


def storage_offset(self):
    """The position of the first element in the memory the tensor shares with its base, in elements."""
    return _storage(self._data)[1]


def storage(self):
    """PyTorch's deprecated TypedStorage of the tensor's memory (warns once, as PyTorch does)."""
    from ..storage import _warn_typed_storage_removal, typed_storage

    _warn_typed_storage_removal()
    return typed_storage(self)


def untyped_storage(self):
    """The bytes of the memory the tensor shares with its views."""
    from ..storage import untyped_storage

    return untyped_storage(self)


def dim_order(self, *, ambiguity_check=False):
    """The dims from outermost to innermost in memory. Contiguous and channels-last layouts give their order;
    otherwise dims are ordered by stride, a stride of 0 leaving the order open, equal strides putting the longer
    dim outside."""
    if not isinstance(ambiguity_check, (bool, list)):
        raise TypeError("The ambiguity_check argument must be a bool or a list of memory formats.")
    shape, strides = self._data.shape, self.stride()
    ndim = len(shape)
    if ndim < 2:
        return tuple(range(ndim))
    contiguous = 0 in shape or _memory_format.dense_in_order(shape, strides, range(ndim - 1, -1, -1))
    channels_last = ndim == 4 and _memory_format.dense_in_order(shape, strides, (1, 3, 2, 0))
    if contiguous and not channels_last:
        return tuple(range(ndim))
    if channels_last and not contiguous:
        return (0, *range(2, ndim), 1)

    def at_least(a, b):
        return b == 0 or (a != 0 and (a >= b or a % b == 0))

    def order(a, b):  # > 0: dim a belongs outside of dim b (sorting innermost first), < 0: inside, 0: either
        sa, sb = strides[a], strides[b]
        if sa == 0 or sb == 0:
            return 0
        if sa == sb:
            return 0 if at_least(shape[b], shape[a]) else 1
        if at_least(sb, sa):
            return -1
        return 1 if at_least(sa, sb) else 0

    from .._memory_format import innermost_first

    return tuple(reversed(innermost_first(ndim, order)))


def share_memory_(self):
    """Move the memory the tensor looks into to shared memory (an anonymous shared mapping), which processes forked
    from this one keep sharing: what they write (Hogwild training of a ``model.share_memory()``'d model in
    ``mp.Process``es), this process sees, as with PyTorch's. Its base and the base's live views move along, as
    they share PyTorch's storage (what ``.data`` or ``detach()`` made of it earlier keeps the old memory)."""
    base = self._view_base if self._view_base is not None else self
    if not in_shared_memory(base._data):
        _move_to_shared_memory([base, *base._live_views()])
    self._shared = True
    return self


def _move_to_shared_memory(tensors):
    """Copy the memory ``tensors[0]`` looks into to a new shared mapping and point each of ``tensors`` looking
    into it at the same place in the copy (same offset, shape, strides and dtype)."""
    import mmap

    owner = memory_owner(tensors[0]._data)
    if not (owner.flags.c_contiguous or owner.flags.f_contiguous):
        owner = tensors[0]._data = np.ascontiguousarray(tensors[0]._data)
    memory = np.frombuffer(mmap.mmap(-1, max(owner.nbytes, 1)), owner.dtype, count=owner.size)
    memory[...] = owner.reshape(-1, order="A")
    start, end = owner.__array_interface__["data"][0], owner.__array_interface__["data"][0] + owner.nbytes
    for tensor in tensors:
        array = tensor._data
        offset = array.__array_interface__["data"][0] - start
        if memory_owner(array) is owner or (0 <= offset and start + offset + _extent(array) <= end):
            moved = np.ndarray(array.shape, array.dtype, buffer=memory, offset=offset, strides=array.strides)
            moved.flags.writeable = array.flags.writeable  # (an expanded tensor's array stays read-only)
            tensor._data = moved


def _extent(array):
    """The bytes from an array's first element to the end of its last (0 when empty)."""
    if not array.size:
        return 0
    return array.itemsize + sum((n - 1) * abs(stride) for n, stride in zip(array.shape, array.strides))


def in_shared_memory(array):
    """Whether ``array`` looks into an anonymous shared mapping (made by :func:`share_memory_`)."""
    import mmap

    base = memory_owner(array).base
    if isinstance(base, memoryview):  # (np.frombuffer's base: a view of the mapping's buffer)
        base = base.obj
    return isinstance(base, mmap.mmap)


def is_shared(self):
    return bool(getattr(self, "_shared", False)) or in_shared_memory(self._data)


def _false(self):
    return False


def _self(self):
    return self


def positive(self):
    if self._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return self


def adjoint(self):
    if self._data.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of matrices. Got "
                           f"{self._data.ndim}-D tensor.")
    return self.transpose(-2, -1).conj()


class Angle(Node):
    """The argument of a real number: pi below zero, else 0 (NaN stays NaN); a zero gradient."""

    def forward(self, a):
        self.shape, self.dtype = a.shape, a.dtype
        out_dtype = a.dtype if a.dtype.kind == "f" else _dtype.get_default_dtype().numpy
        out = np.where(a < 0, np.pi, 0).astype(out_dtype)
        if a.dtype.kind == "f":
            out[np.isnan(a)] = np.nan
        return out

    def backward(self, grad):
        return (np.zeros(self.shape, self.dtype),)

    def backward_graph(self, grad):  # zeros, a constant
        return (grad._wrap(self.backward(grad._data)[0]),)

    def name(self):
        return "AngleBackward0"


def angle(self):
    return Angle.apply(self)


# ---------------------------------------------------------------------------- legacy construction and resizing
_NEW_OVERLOADS = ("*, torchless.device device = None", "torchless.Storage storage", "Tensor other",
                  "tuple of ints size, *, torchless.device device = None",
                  "object data, *, torchless.device device = None")


def new(self, *args, **kwargs):
    """The legacy constructor: ``new()`` an empty tensor, ``new(*sizes)`` an uninitialised one (zeros here, or
    deterministic mode's fill), ``new(data)`` a tensor of ``data``; always of this tensor's dtype."""
    from .. import _creation
    from .._size import Size

    if set(kwargs) - {"device"}:
        from .._parser_errors import invalid_combination

        raise invalid_combination("new", _NEW_OVERLOADS, args, kwargs)
    _check_legacy_device(kwargs.get("device"))
    dtype = self._data.dtype
    if not args:
        return Tensor._wrap(np.empty((0,), dtype))
    if len(args) == 1:
        arg = args[0]
        if isinstance(arg, Tensor):
            if arg._data.dtype != dtype:
                raise TypeError(f"expected {_dtype.tensor_options(dtype)} (got {_dtype.tensor_options(arg._data.dtype)})")
            return arg.detach()
        if isinstance(arg, Size):
            return _uninitialized(arg, dtype)
        if not isinstance(arg, bool) and hasattr(arg, "__index__") and not isinstance(arg, (np.ndarray,)):
            return _uninitialized((int(arg),), dtype)
        if isinstance(arg, (list, tuple, np.ndarray)):
            return _creation.tensor(arg, dtype=self.dtype)
        raise TypeError(f"new(): data must be a sequence (got {type(arg).__name__})")
    for i, n in enumerate(args):
        if isinstance(n, bool) or not hasattr(n, "__index__"):
            from ..nn._functional._args import _tp_name
            raise TypeError(f"new(): argument 'size' failed to unpack the object at pos {i + 1} with error \"type "
                            f"must be tuple of ints,but got {_tp_name(n)}\"")
    return _uninitialized(args, dtype)


def _check_legacy_device(where):
    """PyTorch's legacy constructor takes a device of its tensor's type only, an index needing an accelerator."""
    if where is None:
        return
    from .._device import device

    if isinstance(where, int) and not isinstance(where, bool):
        raise RuntimeError("Cannot access accelerator device when none is available.")
    kind = device(where).type
    if kind != "cpu":
        raise RuntimeError(f"legacy constructor expects device type: cpu but device type: {kind} was passed")


def _uninitialized(shape, dtype):
    shape = tuple(int(n) for n in shape)
    for n in shape:
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(shape)}")
    return Tensor._wrap(_determinism.fill_uninitialized(np.zeros(shape, dtype)))


def resized(array, shape):
    """``array`` resized to ``shape`` as PyTorch's resize_ does: laid out contiguously from where its elements start
    in memory, reading on in its storage (a view's base) while that is large enough, else in new memory holding the
    old elements first (and zeros after them, where PyTorch leaves them uninitialised; in deterministic mode filled as
    PyTorch's are)."""
    count = math.prod(shape)
    if array.flags.c_contiguous and count == array.size:
        return array.reshape(shape)
    flat, offset = _storage(array)
    if offset + count <= flat.size:
        return flat[offset:offset + count].reshape(shape)
    grown = _determinism.fill_uninitialized(np.zeros(count, array.dtype))
    kept = flat[offset:]
    grown[:kept.size] = kept
    return grown.reshape(shape)


_RESIZE_SCHEMA = ("SymInt[] size, *, memory_format? memory_format=None",)


def resize_(self, *sizes, **keywords):
    """The tensor given ``sizes`` in place, laid out contiguously from where its elements start in memory (a
    view reads on in its base's memory); memory beyond the end is new (zeros here, uninitialised in PyTorch)."""
    from .._tensor import _shape_arg

    memory_format = None
    if keywords:  # (read by PyTorch's parser: sizes given by keyword too, its TypeErrors)
        parsed = _parser_errors.parse("resize_", _RESIZE_SCHEMA, sizes, keywords)
        shape, memory_format = tuple(parsed["size"]), parsed["memory_format"]
    else:
        shape = _shape_arg(sizes, "resize_", overloads=_RESIZE_SCHEMA)
    if memory_format is not None:
        _memory_format.check(memory_format, "resize_")
        if memory_format is _memory_format.preserve_format:
            raise RuntimeError("Unsupported memory formatPreserve")
        _memory_format.check_rank(len(shape), memory_format)
    if self._requires_grad and not grad_mode.state.inference:  # (inference mode skips autograd's kernel)
        raise RuntimeError("cannot resize variables that require grad")
    if any(n < 0 for n in shape):
        raise RuntimeError("numel: integer multiplication overflow")
    if shape == self._data.shape and memory_format is None:
        return self  # PyTorch's resize to the same sizes keeps the strides and counts no version
    self._data = resized(self._data, shape)
    if memory_format is not None and memory_format is not _memory_format.contiguous_format:
        _restride(self, memory_format)
    self._bump_version()
    return self


def _restride(self, memory_format):
    """The resized tensor's memory read with ``memory_format``'s strides (c10's empty_tensor_restride): the
    values stay where they lie in memory."""
    self._data = _memory_format.placed(self._data, _memory_format.strides_like(self._data, memory_format))


def resize_as_(self, the_template, *, memory_format=None):
    _check_tensor(the_template, "resize_as_", "the_template", 1)
    if forward_ad.state.vmap_levels:
        forward_ad.refuse_writing_batched(self, (the_template,), "resize_as_")
    return resize_(self, the_template._data.shape, memory_format=memory_format)


def split_with_sizes(self, split_sizes, dim=0):
    return self.split(*_checked_split_sizes(self, split_sizes, dim))


def _checked_split_sizes(self, split_sizes, dim):
    """split_with_sizes's checks: the sizes (ints) and the dim."""
    if not isinstance(split_sizes, (tuple, list)):
        raise _parser_errors.wrong_type("split_with_sizes", "split_sizes", 1, split_sizes, "tuple of ints")
    if any(getattr(n, "dtype", None) is _dtype.bool for n in split_sizes):  # (a bool tensor: a SymInt list's error)
        from .._parser_errors._schema import BOOL_SYMINT

        raise RuntimeError(BOOL_SYMINT)
    sizes = [int(n) for n in split_sizes]
    if type(dim) is not int:
        if not is_int_argument(dim):
            raise _parser_errors.wrong_type("split_with_sizes", "dim", 2, dim, "int")
        dim = operator.index(dim)
    if not self._data.ndim:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    axis = normalize_dim(dim, self._data.ndim)
    length = self._data.shape[axis]
    if sum(sizes) != length:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {length} (input tensor's size at "
                           f"dimension {dim}), but got split_sizes={sizes}")
    for n in sizes:
        if n < 0:
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                               f"split_sizes={sizes}")
    return sizes, dim


def unsafe_split_with_sizes(self, split_sizes, dim=0):
    return self._split_at(*self._split_bounds(*_checked_split_sizes(self, split_sizes, dim)), unsafe=True)


def sum_to_size(self, *size, **kwargs):
    """The sum over the dims broadcasting would stretch ``size`` along to reach this tensor's shape."""
    from .._tensor import _shape_arg

    shape = _shape_arg(size, "sum_to_size", keywords=kwargs)
    own = self._data.shape
    lead = len(own) - len(shape)
    if lead < 0 or any(n != m and n != 1 for n, m in zip(shape, own[lead:])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(own)}}}.")
    out = self
    if lead:
        out = out.sum(tuple(range(lead)))
    stretched = tuple(i for i, (n, m) in enumerate(zip(shape, own[lead:])) if n == 1 and m != 1)
    if stretched:
        out = out.sum(stretched, keepdim=True)
    return out


def _check_narrow_copy(self, dim, start, length):
    """PyTorch's narrow_copy checks apart from narrow's: a dim past the last one fails its bare assertion, and a
    negative length is refused after start's range, as a range that exceeds the dim."""
    if self._data.ndim and dim >= self._data.ndim:
        raise RuntimeError("Expected dim < static_cast<int64_t>(self_sizes.size()) to be true, but got false.  "
                           "(Could this error message be improved?  If so, please report an enhancement request to "
                           "PyTorch.)")
    if length < 0:
        self.narrow(dim, start, 0)  # (the 0-d tensor's, the dim's and start's errors)
        size = self._data.shape[normalize_dim(dim, self._data.ndim)]
        raise RuntimeError(f"start ({start + size if start < 0 else start}) + length ({length}) exceeds dimension "
                           f"size ({size}).")


def narrow_copy(self, dim, start, length):
    if type(dim) is not int or type(start) is not int or type(length) is not int:
        parsed = _parser_errors.method_arguments("narrow_copy", (dim, start, length))
        dim, start, length = parsed["dim"], parsed["start"], parsed["length"]
    _check_narrow_copy(self, dim, start, length)
    self.narrow(dim, start, length)  # (narrow's errors)
    return NarrowCopy.apply(self, dim=dim, start=start, length=length)


class NarrowCopy(Node):
    """``length`` entries of ``a`` along ``dim`` from ``start``, copied C-contiguous as PyTorch's kernel allocates
    them; one node (NarrowCopyBackward0) whose gradient is slice_backward's: zeros with the gradient placed.

    PyTorch 2.13's backward slices from ``start`` to ``start + length`` without wrapping a negative end, so a negative
    start whose part reaches the dim's end gets zeros (one entry) or copy_'s size error (more): a bug, not copied
    here (the gradient is placed where the part was taken)."""

    torch_saved = {"dim": lambda node: int64(node.given[0]), "start": lambda node: int64(node.given[1]),
                   "length": lambda node: int64(node.given[2]), "self_sym_sizes": lambda node: tuple(node.shape)}

    def forward(self, a, dim=0, start=0, length=0):
        axis = normalize_dim(dim, a.ndim)
        begin = start + a.shape[axis] if start < 0 else start
        self.given, self.shape, self.axis = (dim, start, length), a.shape, axis
        self.placed = slice(begin, begin + length)
        return _memory_format.c_ordered(np.array(a[(slice(None),) * axis + (slice(begin, begin + length),)],
                                                 order="C"))

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        out = np.zeros(self.shape, grad.dtype)
        out[(slice(None),) * self.axis + (self.placed,)] = grad
        return (out,)

    def backward_graph(self, grad):
        from .indexing import _views_undone

        # (PyTorch's slice_backward, an op of its own: SliceBackwardBackward0)
        return (_views_undone(grad, [("SliceBackward0", self.axis, self.placed, self.shape)]),)

    def name(self):
        return "NarrowCopyBackward0"


# ---------------------------------------------------------------------------- in-place forms
def fill_diagonal_(self, fill_value, wrap=False):
    """The main diagonal (all indices equal) set to ``fill_value``; a tall matrix with ``wrap`` starts again
    one row below each square block."""
    if wrap.__class__ is not bool:
        raise _parser_errors.wrong_type("fill_diagonal_", "wrap", 2, wrap, "bool")
    if self._requires_grad and self._grad_fn is None and _grad_enabled():
        # PyTorch writes through a view of the diagonal, so its error names a view of the leaf
        from .._tensor import _LEAF_INPLACE

        raise RuntimeError("a view of " + _LEAF_INPLACE)
    data = self._data
    if data.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if data.ndim > 2 and len(set(data.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    mask = np.zeros(data.shape, np.bool_)
    np.fill_diagonal(mask, True, wrap=bool(wrap))
    mask = Tensor._wrap(mask)
    # PyTorch fills a view of the diagonal, so the tensor's node is CopySlices
    from ..autograd.graph import COPY_SLICES

    return output_renamed(self._inplace(lambda t: t._masked_filled(mask, fill_value, any_dtype=True), fills=True),
                          COPY_SLICES)


def _grad_enabled():
    return grad_mode.is_grad_enabled()


def unsafe_split(self, split_size, dim=0):
    """split's pieces, sharing this tensor's memory but not tracked by autograd as its views (in-place ops on them
    are recorded as on any tensor), one UnsafeSplitBackward0 node for all."""
    return self._split_at(*self._split_bounds(split_size, dim), unsafe=True)


def unsafe_chunk(self, chunks, dim=0):
    return unsafe_split(self, *self._chunk_split(chunks, dim))


def broadcast_to(self, *size, **kwargs):
    if "size" in kwargs and not size:
        size = (kwargs.pop("size"),)
    return self.expand(*size, **kwargs)


def tril_(self, diagonal=0):
    return self._inplace(lambda t: t.tril(diagonal))


def triu_(self, diagonal=0):
    return self._inplace(lambda t: t.triu(diagonal))


def in_place_dtype_mismatch(have, wanted):
    """PyTorch's error for an in-place op asked to produce another dtype (``cumsum_(0, dtype=...)``)."""
    return RuntimeError(f"Bad in-place call: input tensor dtype {_dtype.cpp_name(have)} and output tensor dtype "
                        f"{_dtype.cpp_name(wanted)} should match")


def renorm(self, p, dim, maxnorm):
    """Each slice along ``dim`` whose p-norm exceeds ``maxnorm`` scaled down to norm ``maxnorm``."""
    return _renorm(self, p, dim, maxnorm, "renorm")


def _renorm(self, p, dim, maxnorm, name):
    if type(dim) is not int or not is_number_argument(p) or not is_number_argument(maxnorm):
        dim = _parser_errors.method_arguments("renorm", (p, dim, maxnorm))["dim"]  # (a Fraction p: its TypeError)
    if not p > 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    ndim = self._data.ndim
    if ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {ndim} dimensions")
    axis = normalize_dim(dim, ndim)
    if self._data.dtype.kind not in "fc":
        from ..linalg.norms import vector_norm

        return vector_norm(self)  # its error for integer input, which PyTorch's renorm gives
    from .reduction import Renorm

    if forward_ad.state.vmap_levels:
        forward_ad.warn_fallback(f"aten::{name}", (self,))
    return Renorm.apply(self, p=float(p), axis=axis, maxnorm=float(maxnorm), shown=(p, dim, maxnorm))


def renorm_(self, p, dim, maxnorm):
    return self._inplace(lambda t: _renorm(t, p, dim, maxnorm, "renorm_"))


def _alias(name):
    def method(self, *args, **kwargs):
        return getattr(self, name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"``Tensor.{name}`` under the name PyTorch gives it too."
    return method


_UNSET = object()


def divide_(self, other, *, rounding_mode=_UNSET):
    if rounding_mode is _UNSET:
        return self.div_(other)
    return self._inplace(lambda t: t.div(other, rounding_mode=rounding_mode), other,
                         operand=division_operand(rounding_mode))


def subtract_(self, other, *, alpha=1):
    return self.sub_(other, alpha=alpha)


# ---------------------------------------------------------------------------- Python callables
def apply_(self, *args, **kwargs):
    """``callable`` applied to each element in place (CPU tensors only, outside autograd)."""
    if kwargs:
        raise TypeError("TensorBase.apply_() takes no keyword arguments")
    if len(args) != 1:
        raise TypeError(f"TensorBase.apply_() takes exactly one argument ({len(args)} given)")  # (CPython's METH_O)
    (function,) = args
    if self._requires_grad:
        raise RuntimeError("Can't call apply_() on Variable that requires grad. Use var.detach().apply_() instead.")
    values = np.array([function(x) for x in self._data.reshape(-1).tolist()], dtype=self._data.dtype)
    return self._write_untracked(values.reshape(self._data.shape))


def _map_arguments(args, kwargs):
    """map_'s (other, callable) given otherwise than by position, or PyTorch's parser's TypeError."""
    names = ("other", "callable")
    if len(args) > 2:
        raise TypeError(f"map_() takes 2 positional arguments but {len(args)} were given")
    bound = {**{name: kwargs[name] for name in names if name in kwargs}, **dict(zip(names, args))}
    missing = [name for name in names if name not in bound]
    if "other" in bound:  # (the parser reads the parameters in order: other's type before a callable missing)
        _check_tensor(bound["other"], "map_", "other", 1)
    if missing:  # (the parser reads the parameters first: named from the first one missing on)
        raise _parser_errors.missing_arguments("map_", list(names[names.index(missing[0]):]))
    for name in kwargs:  # (then the keywords left over)
        if name not in names:
            raise TypeError(f"map_() got an unexpected keyword argument '{name}'")
        if names.index(name) < len(args):
            raise TypeError(f"map_() got multiple values for argument '{name}'")
    return bound["other"], bound["callable"]


def map_(self, *args, **kwargs):
    """``callable(a, b)`` for each element of this tensor and of ``other`` broadcast to its shape, in place."""
    if len(args) != 2 or kwargs:
        args = _map_arguments(args, kwargs)
    other, function = args
    _check_tensor(other, "map_", "other", 1)
    if self._requires_grad:
        raise RuntimeError("Can't call map_() on Variable that requires grad. Use var.detach().map_() instead.")
    values = np.broadcast_to(other._data, self._data.shape).reshape(-1).tolist()
    values = np.array([function(a, b) for a, b in zip(self._data.reshape(-1).tolist(), values)],
                      dtype=self._data.dtype)
    return self._write_untracked(values.reshape(self._data.shape))


# ---------------------------------------------------------------------------- linear algebra method forms
def inverse(self):
    from ..linalg import inv

    return inv(self)


def det(self):
    from ..linalg import det as linalg_det

    return linalg_det(self)


def slogdet(self):
    from ..linalg import slogdet as linalg_slogdet

    return _RETURN_TYPES["slogdet"](*linalg_slogdet(self))  # (named apart from torch.linalg.slogdet's)


def pinverse(self, rcond=1e-15):
    from ..linalg import pinv

    return pinv(self, rtol=rcond)


def matrix_power(self, n):
    if type(n) is not int:
        n = _parser_errors.method_arguments("matrix_power", (n,))["n"]
    from ..linalg import matrix_power as linalg_matrix_power

    return linalg_matrix_power(self, n)


def matrix_exp(self):
    from ..linalg import matrix_exp as linalg_matrix_exp

    return linalg_matrix_exp(self)


def _warn_cross_dim():
    """PyTorch's TORCH_WARN_ONCE, naming the user's line (by torchless.cross or Tensor.cross alike), with ATen's
    source location."""
    from .._user_warnings import warn_from_user_code, warns_once

    if warns_once("cross without dim"):
        warn_from_user_code("Using torchless.cross without specifying the dim arg is deprecated.\nPlease either pass "
                            "the dim explicitly or simply use torchless.linalg.cross.\nThe default value of dim will "
                            "change to agree with that of linalg.cross in a future release. (Triggered internally at "
                            "/__w/pytorch/pytorch/aten/src/ATen/native/Cross.cpp:63.)")


def cross(self, other, dim=None):
    """The cross product along ``dim``; without it, along the first dim of size 3 (PyTorch's legacy default)."""
    from ..linalg import cross as linalg_cross

    _check_tensor(other, "cross", "other", 1)
    if dim is not None and type(dim) is not int:
        dim = _parser_errors.method_arguments("cross", (other, dim))["dim"]
    if dim is None:
        _warn_cross_dim()
        shape = np.broadcast_shapes(self._data.shape, other._data.shape)
        dim = next((d for d, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    if self._data.ndim != other._data.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    return linalg_cross(self, other, dim=dim)


def dist(self, other, p=2):
    """The p-norm of ``self - other``."""
    from ..linalg.norms import vector_norm

    _check_tensor(other, "dist", "other", 1)
    if not is_number_argument(p):  # (a Fraction, a NumPy array, a 1-d tensor: the parser's TypeError)
        _parser_errors.method_arguments("dist", (other, p))
    difference = self - other
    if difference._data.dtype.kind not in "fcV":  # (bfloat16's kind is V)
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{difference.dtype.scalar_name.capitalize()} instead.")
    out = output_renamed(vector_norm(difference, p), "DistBackward0")
    if out._grad_fn is not None:  # PyTorch's dist is one node, on self and other: it lists the subtraction's inputs
        out._grad_fn.pytorch_inputs = difference._grad_fn.listed_edges
    return out


# ---------------------------------------------------------------------------- elementwise
class Frexp(Node):
    """frexp's mantissa (the exponent, an integer, has no gradient): ``self = mantissa * 2 ** exponent``, so the
    mantissa's derivative is ``2 ** -exponent``; PyTorch's ``grad / exponent.exp2()``, exp2 of the int32 exponent
    being float32."""
    elementwise = True
    saved = ("exponent",)
    torch_saved = {"exponent": Saved("exponent")}
    jvp = forward_ad.diagonal_jvp

    def forward(self, a, mantissa=None, exponent=None):
        self.exponent = exponent
        return mantissa

    def _scale(self):
        return np.exp2(self.exponent.astype(np.float32))

    def backward(self, grad):
        return ((grad / self._scale()).astype(grad.dtype, copy=False),)

    def backward_graph(self, grad):
        return ((grad / grad._wrap(self._scale())).to(grad.dtype),)


def frexp(self):
    """(mantissa, exponent) with ``self = mantissa * 2 ** exponent``, |mantissa| in [0.5, 1)."""
    if self._data.dtype.kind != "f":
        raise RuntimeError("torchless.frexp() only supports floating-point dtypes")
    mantissa, exponent = np.frexp(self._data)
    exponent = exponent.astype(np.int32)
    mantissa = Frexp.apply(self, mantissa=mantissa.astype(self._data.dtype, copy=False), exponent=exponent)
    return _RETURN_TYPES["frexp"](mantissa, Tensor._wrap(exponent))


def nextafter(self, other):
    """The next float after each element towards ``other`` (no gradient, as in PyTorch)."""
    _check_tensor(other, "nextafter", "other", 1)
    a, b = self._operands(other)
    raise_if_not_broadcastable(a, b)
    if a._data.dtype.kind != "f":
        raise NotImplementedError(f"\"nextafter_cpu\" not implemented for '{a.dtype.scalar_name}'")
    with np.errstate(all="ignore"):  # (the step below the smallest normal float underflows, silently)
        result = np.nextafter(a._data, b._data)
    if result.dtype == np.float16:  # (NumPy's float16 nextafter gives x where x == y; C's, and PyTorch's, y)
        result = np.where(a._data == b._data, b._data, result)
    return Tensor._wrap(result)


def nextafter_(self, other):
    _check_tensor(other, "nextafter_", "other", 1)
    return self._inplace(lambda t: nextafter(t, other), other, operand="dtype")


def histogram(self, bins=100, *, range=None, weight=None, density=False):  # noqa: A002
    from .bucketing import histogram as function

    return function(self, bins, range=range, weight=weight, density=density)


def hardshrink(self, lambd=0.5):
    from ..nn.functional import hardshrink as function

    return function(self, lambd)


def prelu(self, weight):
    from ..nn.functional import prelu as function

    return function(self, weight)


# ---------------------------------------------------------------------------- out-of-place scatters
class ScatterPositions(Node):
    """A copy of ``a`` with ``src`` written at the flat ``positions`` (of src's shape; -1 where an element of src
    lands outside ``a``): a's gradient is the output's except there, src's the output's gathered there."""

    def forward(self, a, src, positions=None, kind="", view=None):
        self.kind, self.view = kind, view
        self.kept = positions >= 0
        self.positions = positions[self.kept]
        out = np.array(a, copy=True, order="C")
        out.reshape(-1)[self.positions] = src[self.kept]
        return _memory_format.preserving(out, a)  # (PyTorch's scatters write into a's clone)

    def backward(self, grad):
        ga = gs = None
        if self.needs_input_grad[0]:
            ga = np.array(grad, copy=True, order="C")
            ga.reshape(-1)[self.positions] = 0
            if self.kind != "AsStridedScatterBackward0":  # (the others scatter zeros into grad's clone)
                ga = _memory_format.preserving(ga, grad)
        if self.needs_input_grad[1]:
            if self.view is not None:  # (PyTorch's gradient of src is that view of grad)
                return ga, self.view(grad)
            gs = np.zeros(self.kept.shape, grad.dtype)
            gs[self.kept] = np.ascontiguousarray(grad).reshape(-1)[self.positions]
        return ga, gs

    def backward_graph(self, grad):
        from .indexing import Index, Scatter
        from .unary import masked_gradient

        ga = gs = None
        if self.needs_input_grad[0]:
            written = np.zeros(grad._data.size, bool)
            written[self.positions] = True
            ga = masked_gradient(~written.reshape(grad._data.shape), grad)
        if self.needs_input_grad[1] and self.view is not None:
            gs = self.view(grad)
        elif self.needs_input_grad[1]:
            picked = Index.apply(grad.reshape(-1), key=(self.positions,))
            zeros = grad._wrap(np.zeros(self.kept.shape, grad._data.dtype))
            gs = Scatter.apply(zeros, picked, key=np.nonzero(self.kept))
        return ga, gs

    def name(self):
        return self.kind


def _positions_of(self):
    return np.arange(self._data.size, dtype=np.int64).reshape(self._data.shape)


def _scatter(self, src, positions, kind, what, view=None):
    """``src`` written into a copy of this tensor at ``positions``; ``view(grad)``: src's gradient, the view of the
    output's gradient (an array or a tensor of the graph) PyTorch's formula takes."""
    if positions.shape != src._data.shape:
        raise RuntimeError(f"expected src to have a size equal to the {what} of self. src size = "
                           f"{list(src._data.shape)}, {what} size = {list(positions.shape)}")
    if src._data.dtype != self._data.dtype:
        src = src.to(self.dtype)
    return ScatterPositions.apply(self, src, positions=positions, kind=kind, view=view)


def _diagonal_view(offset, dim1, dim2):
    def view(grad):
        if isinstance(grad, Tensor):
            return grad.diagonal(offset, dim1, dim2)
        diagonal = np.diagonal(grad, offset, dim1, dim2)
        if grad.flags.writeable:  # (NumPy's diagonal is a read-only view, PyTorch's a view like any other)
            diagonal.flags.writeable = True
        return diagonal
    return view


def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
    _check_tensor(src, "slice_scatter", "src", 1)
    if not all(type(n) is int or n is None for n in (dim, start, end, step)):
        parsed = _parser_errors.method_arguments("slice_scatter", (src, dim, start, end, step))
        dim, start, end, step = parsed["dim"], parsed["start"], parsed["end"], parsed["step"]
    if not self._data.ndim:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    axis = normalize_dim(dim, self._data.ndim)
    key = [slice(None)] * self._data.ndim
    key[axis] = slice(start, end, step)
    key = tuple(key)
    return _scatter(self, src, _positions_of(self)[key], "SliceScatterBackward0", "slice", lambda grad: grad[key])


def select_scatter(self, src, dim, index):
    _check_tensor(src, "select_scatter", "src", 1)
    if type(dim) is not int or type(index) is not int:
        parsed = _parser_errors.method_arguments("select_scatter", (src, dim, index))
        dim, index = parsed["dim"], parsed["index"]
    if self._data.ndim:
        dim = normalize_dim(dim, self._data.ndim)  # (the select error names it so)
    positions = Tensor._wrap(_positions_of(self)).select(dim, index)._data
    if positions.shape != src._data.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._data.shape)}, slice size = {list(positions.shape)}")
    key = (slice(None),) * dim + (index,)
    return _scatter(self, src, positions, "SelectScatterBackward0", "slice", lambda grad: grad[key])


def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
    _check_tensor(src, "diagonal_scatter", "src", 1)
    if type(offset) is not int or type(dim1) is not int or type(dim2) is not int:
        parsed = _parser_errors.method_arguments("diagonal_scatter", (src, offset, dim1, dim2))
        offset, dim1, dim2 = parsed["offset"], parsed["dim1"], parsed["dim2"]
    positions = Tensor._wrap(_positions_of(self)).diagonal(offset, dim1, dim2)._data
    if positions.shape != src._data.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._data.shape)}, slice size = {list(positions.shape)}")
    return _scatter(self, src, positions, "DiagonalScatterBackward0", "slice", _diagonal_view(offset, dim1, dim2))


def as_strided_scatter(self, src, size, stride, storage_offset=None):
    """A copy of this tensor with ``src`` written where ``as_strided(size, stride, storage_offset)`` of it would
    read: positions in the memory this tensor lies in (a view's base's), elements outside this tensor dropped."""
    _check_tensor(src, "as_strided_scatter", "src", 1)
    from .inplace import _positions, checked_storage_window

    size, stride = tuple(size), tuple(stride)
    flat, offset = checked_storage_window(self._data, size, stride, storage_offset)
    own_offset, itemsize = _storage(self._data)[1], self._data.itemsize
    written = _positions(size, stride, offset)
    if written.shape != src._data.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._data.shape)}, slice size = {list(written.shape)}")
    # each memory position this tensor covers, mapped to its element's flat (C-order) index
    own_strides = tuple(s // itemsize for s in self._data.strides) if flat.size else (0,) * self._data.ndim
    covered = _positions(self._data.shape, own_strides, own_offset).reshape(-1)
    element_at = np.full(flat.size + 1, -1, np.int64)
    element_at[covered] = np.arange(covered.size)
    positions = element_at[np.minimum(written, flat.size)]
    def view(grad):
        if isinstance(grad, Tensor):
            return grad.contiguous().as_strided(size, stride, offset)
        flat_grad = np.ascontiguousarray(grad).reshape(-1)[offset:]
        return np.lib.stride_tricks.as_strided(flat_grad, size, [n * grad.itemsize for n in stride])

    # (PyTorch's src gradient, a view of grad, for the input it supports)
    supported = own_offset == 0 and self._data.flags.c_contiguous
    return _scatter(self, src, positions, "AsStridedScatterBackward0", "slice", view if supported else None)


# ---------------------------------------------------------------------------- index_reduce
_INDEX_REDUCTIONS = ("prod", "mean", "amax", "amin")


def _warn_index_reduce_in_beta():
    """The TORCH_WARN_ONCE of PyTorch's index_reduce kernel."""
    from .._user_warnings import warn_from_user_code, warns_once

    if warns_once("index_reduce in beta"):
        warn_from_user_code("index_reduce() is in beta and the API may change at any time. (Triggered internally at "
                            "/__w/pytorch/pytorch/aten/src/ATen/native/TensorAdvancedIndexing.cpp:1523.)")


def index_reduce(self, dim, index, source, reduce, *, include_self=True):
    """Rows of ``source`` reduced into the rows of this tensor ``index`` names, along ``dim``."""
    return _index_reduce(self, dim, index, source, reduce, include_self, "index_reduce")


def _index_reduce(self, dim, index, source, reduce, include_self, name):
    if type(dim) is not int:
        dim = _parser_errors.method_arguments("index_reduce", (dim, index, source, reduce))["dim"]
    _check_tensor(index, "index_reduce", "index", 2)
    _check_tensor(source, "index_reduce", "source", 3)
    if reduce not in _INDEX_REDUCTIONS:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    ndim = self._data.ndim
    axis = normalize_dim(dim, ndim)
    idx = index._data
    if idx.ndim > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: "
                           f"{index.dtype.scalar_name.capitalize()}")
    if source._data.dtype != self._data.dtype:
        raise RuntimeError(f"index_reduce_(): self ({self.dtype.scalar_name.capitalize()}) and source "
                           f"({source.dtype.scalar_name.capitalize()}) must have the same scalar type")
    from .math_methods import _check_source, filled_index

    _check_source(self, axis, idx.reshape(-1), source, "index_reduce_")
    # then PyTorch's kernel: the positions of an excluded self filled with the reduction's identity (index_fill_,
    # with its words for an index out of range), the reduction itself, its own dtypes and its index check
    boolean = self._data.dtype == np.bool_
    if not include_self:
        self._no_kernel_for("bU", "index_reduce_func_exclude_input_init")
        filled_index(self, axis, index)
    if ndim > 1 and not self._data.shape[axis] and idx.size:
        raise IndexError(f"select(): index 0 out of range for tensor of size {list(self._data.shape)} at dimension "
                         f"{axis}")
    if boolean and ndim <= 1:
        raise NotImplementedError("\"index_func_\" not implemented for 'Bool'")
    self._no_kernel_for("U", "index_func_")  # (before the index values)
    size = self._data.shape[axis] if ndim else 1
    outside = (idx < 0) | (idx >= size)  # no negative indices, as in PyTorch
    if outside.any():
        raise IndexError("index out of range in self")
    if boolean and reduce == "mean" and idx.size:
        raise NotImplementedError("\"div_floor_cpu\" not implemented for 'Bool'")
    if not ndim:  # (through a copy of one element: index_reduce_ changes self, which a view would share)
        return index_reduce(self.reshape(1).clone(), 0, index.reshape(1), source.reshape(1), reduce,
                            include_self=include_self).reshape(())
    _warn_index_reduce_in_beta()
    if forward_ad.state.vmap_levels:
        forward_ad.warn_fallback(f"aten::{name}", (self, index, source))
    shape = [1] * ndim
    shape[axis] = -1
    full = np.broadcast_to(idx.astype(np.int64).reshape(shape), source._data.shape)
    # (its kernel rounds a float16 after each step, where scatter_reduce's accumulates in float32)
    return output_renamed(reduce_scattered(self, axis, Tensor._wrap(np.ascontiguousarray(full)), source, reduce,
                                           include_self, opmath=False), "IndexReduceBackward0")


def index_reduce_(self, dim, index, source, reduce, *, include_self=True):
    return self._inplace(lambda t: _index_reduce(t, dim, index, source, reduce, include_self, "index_reduce_"),
                         source, overlap="any")


_METHODS = dict(
    storage=storage, untyped_storage=untyped_storage, storage_offset=storage_offset, dim_order=dim_order, share_memory_=share_memory_,
    is_shared=is_shared, is_conj=_false, is_neg=_false, conj=_self, resolve_conj=_self, resolve_neg=_self,
    conj_physical=_self, conj_physical_=_self, positive=positive, adjoint=adjoint, angle=angle, new=new, resize_=resize_,
    resize_as_=resize_as_, split_with_sizes=split_with_sizes, unsafe_split_with_sizes=unsafe_split_with_sizes,
    sum_to_size=sum_to_size, narrow_copy=narrow_copy, fill_diagonal_=fill_diagonal_, tril_=tril_, triu_=triu_,
    renorm=renorm, renorm_=renorm_, divide_=divide_, subtract_=subtract_, apply_=apply_,
    map_=map_, inverse=inverse, det=det, slogdet=slogdet, pinverse=pinverse, matrix_power=matrix_power, matrix_exp=matrix_exp,
    cross=cross, dist=dist, frexp=frexp, nextafter=nextafter, nextafter_=nextafter_, histogram=histogram,
    hardshrink=hardshrink, prelu=prelu, slice_scatter=slice_scatter, select_scatter=select_scatter,
    diagonal_scatter=diagonal_scatter, as_strided_scatter=as_strided_scatter, index_reduce=index_reduce,
    index_reduce_=index_reduce_, unsafe_split=unsafe_split, unsafe_chunk=unsafe_chunk, broadcast_to=broadcast_to,
)

# PyTorch's other names for existing methods
_ALIASES = dict(absolute_="abs_", multiply_="mul_", true_divide_="div_", negative_="neg_", greater_="gt_",
                greater_equal_="ge_", less_="lt_", less_equal_="le_", not_equal_="ne_")


def _output_nr(self):
    from ..autograd.graph import OutputSlot, output_node

    node = output_node(self)
    return node.index if isinstance(node, OutputSlot) else 0


def install(cls):
    """Attach the methods above to the Tensor class ``cls``."""
    global Tensor
    Tensor = cls
    # Methods the Tensor class defines itself (some were added beside these) take precedence.
    for name, method in _METHODS.items():
        if name not in cls.__dict__:
            setattr(cls, name, method)
    for name, target in _ALIASES.items():
        if name not in cls.__dict__:
            setattr(cls, name, _alias(target))
    cls.is_cpu = property(lambda self: True, doc="Always True: torchless tensors live in host memory.")
    cls._base = property(lambda self: self._view_base,
                         doc="The tensor whose memory this view shares (None when the tensor is not a view).")
    # PyTorch's private _is_view(), which graph drawings (torchviz's make_dot) call on every output
    cls._is_view = lambda self: self._view_base is not None
    cls.output_nr = property(_output_nr, doc="Which output of its node the tensor is (0 for leaves and single "
                                              "outputs; ops torchless records as one node per output give 0 too).")
