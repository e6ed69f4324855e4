"""Shape and layout: view/reshape/flatten/unflatten, squeeze/unsqueeze, permute/transpose/t, expand/repeat/tile,
split/chunk/unbind, flip/roll/rot90, select/narrow, diagonal/diag/tril/triu/trace, real/imag views, outer and mv.

Methods of torchless.Tensor: see ``_tensor_methods.attach``.
"""
import math
import operator

import numpy as np

from .. import _dtype, _memory_format, _parser_errors
from .._ops import indexing, pieces, reduction, shape as shape_ops
from .._ops._util import check_int64, list_elements, normalize_dim, normalize_dims
from .._size import Size
from ..autograd.graph import records
from .._tensor import Tensor, _all_ints, _shape_arg
from ._arguments import EVERY_DIM


def _infer_shape(shape, numel):
    """Resolve one -1 in ``shape``, with PyTorch's errors for impossible shapes."""
    # One pass for the valid shapes of every forward's view(-1, n); the checks below find the error.
    known, unknown = 1, None
    for i, n in enumerate(shape):
        if n >= 0:
            known *= n
        elif n == -1 and unknown is None:
            unknown = i
        else:
            break
    else:
        if unknown is None:
            if known == numel:
                return shape
        elif known and numel % known == 0:
            return shape[:unknown] + (numel // known,) + shape[unknown + 1:]
    unknown = []
    for i, n in enumerate(shape):  # in order, as PyTorch: whichever of the two errors comes first
        if n == -1:
            if unknown:
                raise RuntimeError("only one dimension can be inferred")
            unknown.append(i)
        elif n < -1:
            raise RuntimeError(f"invalid shape dimension {n} at index {i} of shape {list(shape)}")
    known = 1
    for n in shape:
        if n != -1:
            known *= n
    if unknown:
        if known == 0:
            if numel == 0:
                raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                                   "unspecified dimension size -1 can be any value and is ambiguous")
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        if numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[: unknown[0]] + (numel // known,) + shape[unknown[0] + 1 :]
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


_INT_ONLY = frozenset({int})


def repeated_positions(repeats, output_size=None):
    """PyTorch's repeat_interleave kernel: each position ``i`` of the vector of counts ``repeats`` repeated
    ``repeats[i]`` times, in the counts' dtype; its checks in its order (an output size given is checked against
    the total before the counts' signs, and none at all for no counts)."""
    counts = repeats._data
    if counts.dtype not in (np.int32, np.int64):
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{repeats.dtype.scalar_name}'")
    if counts.ndim != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if not counts.size:
        return _memory_format.with_c_strides(np.zeros(0, counts.dtype))  # (NumPy's has a zero stride)
    if output_size is not None:
        if output_size < 0:  # (the result's allocation)
            raise RuntimeError(f"Trying to create tensor with negative dimension {output_size}: [{output_size}]")
        if output_size != counts.sum():
            raise RuntimeError("allocated size does not match required size")
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative")
    return np.repeat(np.arange(counts.size, dtype=counts.dtype), counts)


_DIM_SEQUENCES = (tuple, list)


class ShapeMethods:
    def _view_as_dtype(self, dtype):
        """view(dtype): the same memory read as another dtype, with PyTorch's checks where the element sizes differ
        (the last dim is the one that shrinks or grows)."""
        target, a = _dtype.to_numpy_dtype(dtype), self._data
        if target.itemsize != a.itemsize:
            names = (f"{self.dtype.scalar_name} as {_dtype.from_numpy_dtype(target).scalar_name} (different element "
                     "sizes)")
            if a.ndim == 0:
                raise RuntimeError(f"self.dim() cannot be 0 to view {names}")
            ratio = target.itemsize // a.itemsize
            if ratio > 1 and a.shape[-1] % ratio:
                raise RuntimeError(f"self.size(-1) must be divisible by {ratio} to view {names}, but got "
                                   f"{a.shape[-1]}")
            if not a.size:  # (an empty tensor's strides and offset are moot: its last dim rescaled)
                shape = a.shape[:-1] + (a.shape[-1] * a.itemsize // target.itemsize,)
                return self._as_view(Tensor._wrap(_memory_format.with_c_strides(np.empty(shape, target))))
            strides = self.stride()
            if ratio > 1:
                from .._ops.tensor_extras import storage_offset

                offset = storage_offset(self)
                if offset % ratio:
                    raise RuntimeError(f"self.storage_offset() must be divisible by {ratio} to view {names}, but got "
                                       f"{offset}")
            if strides[-1] != 1:
                raise RuntimeError(f"self.stride(-1) must be 1 to view {names}, but got {strides[-1]}")
            for i, stride in enumerate(strides[:-1] if ratio > 1 else ()):
                if stride % ratio:
                    raise RuntimeError(f"self.stride({i}) must be divisible by {ratio} to view {names}, but got "
                                       f"{stride}")
        return self._as_view(Tensor._wrap(a.view(target)))

    def view(self, *shape, **keywords):
        """A tensor sharing this one's memory with the shape ``shape`` (one size may be -1), or its bytes read as
        ``dtype`` (``view(dtype)``)."""
        data = self._data
        # The common call, sizes as ints of a contiguous tensor, outside a graph: NumPy resolves a -1 as PyTorch does
        # and refuses what PyTorch refuses (but reads any negative size as -1), whose error the checks below give.
        if shape and not keywords and _INT_ONLY.issuperset(map(type, shape)) and min(shape) >= -1 \
                and data.flags.c_contiguous and not records(self):
            try:
                out = data.reshape(shape)
            except ValueError:
                pass
            else:
                # (inline: reshaped_view's test of NumPy's strides, the contiguity known; else it computes them)
                if 1 not in data.shape or data.strides[-1] == data.itemsize and out.shape != data.shape:
                    return self._as_view(Tensor._wrap(out))
                return self._as_view(Tensor._wrap(_memory_format.reshaped_view(data, shape)))
        if keywords:
            parsed = _parser_errors.parse("view", _parser_errors.METHOD_OVERLOADS["view"], shape, keywords)
            if "dtype" in parsed:  # view(dtype=...)
                return self._view_as_dtype(parsed["dtype"])
            shape = tuple(parsed["size"])
        elif len(shape) == 1 and _dtype.is_argument(shape[0]):
            return self._view_as_dtype(shape[0])
        else:
            shape = _shape_arg(shape, "view", overloads=_parser_errors.METHOD_OVERLOADS["view"])
        shape = _infer_shape(shape, self._data.size)
        if not self._data.flags.c_contiguous:
            try:
                np.reshape(self._data, shape, copy=False)
            except ValueError:
                raise RuntimeError(
                    "view size is not compatible with input tensor's size and stride (at least one dimension "
                    "spans across two contiguous subspaces). Use .reshape(...) instead."
                ) from None
        if not records(self):  # no graph node to record
            return self._as_view(Tensor._wrap(_memory_format.reshaped_view(self._data, shape)))
        return shape_ops.Reshape.apply(self, shape=shape)

    def _reshaped(self, shape):
        """This tensor reshaped to ``shape`` (of its size), as reshape: a view where the layout allows, a copy
        otherwise. Without a graph to record, a contiguous tensor's view skips Node.apply, whose bookkeeping cost
        a batch-1 forward's flatten a microsecond."""
        data = self._data
        if data.flags.c_contiguous and not records(self):
            return self._as_view(Tensor._wrap(_memory_format.reshaped_view(data, shape)))
        return shape_ops.Reshape.apply(self, shape=shape, name=None)  # (the node named as PyTorch's reshape's)

    def view_as(self, other):
        if not isinstance(other, Tensor):
            raise _parser_errors.not_tensor("view_as", "other", 1, other)
        return self.view(other.shape)

    def reshape(self, *shape, **keywords):
        return self._reshaped(_infer_shape(_shape_arg(shape, "reshape", "shape", keywords=keywords), self._data.size))

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        ndim = self._data.ndim
        try:
            start, end = normalize_dim(start_dim, ndim), normalize_dim(end_dim, ndim)  # a 0-d tensor takes -1 and 0
        except TypeError as error:
            raise _parser_errors.method_error("flatten", (start_dim, end_dim)) or error from None
        if ndim == 0:
            return self.reshape(1)
        if start > end:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if start == end:
            return self  # PyTorch returns the input itself: nothing to merge
        shape = self._data.shape
        # PyTorch's flatten is its reshape (a copy for a layout no view can merge)
        return self._reshaped(shape[:start] + (math.prod(shape[start : end + 1]),) + shape[end + 1 :])

    def unflatten(self, dim, sizes):
        if not sizes:  # PyTorch's Tensor.unflatten, Python code, checks this before its parser reads dim
            raise RuntimeError("unflatten: sizes must be non-empty")
        parsed = _parser_errors.method_arguments("unflatten", (dim, sizes))
        sizes = tuple(parsed["sizes"])
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        axis = normalize_dim(parsed["dim"], self._data.ndim)
        if not self._data.ndim:
            raise RuntimeError(f"unflatten got an unexpected error:\nDimension specified as {axis} but tensor has no "
                               "dimensions")
        shape = self._data.shape
        try:
            sizes = _infer_shape(sizes, shape[axis])
        except RuntimeError as error:  # PyTorch rewords a size mismatch and prefixes the other errors
            if "is invalid for input of size" not in str(error):
                raise RuntimeError(f"unflatten got an unexpected error:\n{error}") from None
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {axis} "
                               f"({shape[axis]}) in the input tensor") from None
        return self.view(shape[:axis] + sizes + shape[axis + 1 :])  # (splitting a dim is always a view)

    def squeeze(self, dim=EVERY_DIM, *more):
        shape = self._data.shape
        if type(dim) is int and not more and -len(shape) <= dim < len(shape) and not records(self):
            # one dim, no graph: NumPy's view by index keeps the other dims' strides, as PyTorch's squeeze does
            axis = dim % len(shape)
            return self._as_view(Tensor._wrap(self._data[(slice(None),) * axis + (0,)] if shape[axis] == 1
                                              else self._data[...]))
        if dim is EVERY_DIM:
            kept = tuple(i for i, n in enumerate(shape) if n != 1)
            dim = None
        else:
            if more or not (type(dim) is int or type(dim) in (tuple, list)):
                # (the dims as separate ints, squeeze(0, 1), as PyTorch's parser takes them for its int[] dim)
                dim = _parser_errors.method_arguments("squeeze", (dim,) + more)["dim"]
            try:
                if dim is None:  # (which normalize_dims reads as every dim)
                    raise TypeError
                axes = normalize_dims(dim, self._data.ndim)
            except TypeError as error:
                raise _parser_errors.method_error("squeeze", (dim,)) or error from None
            kept = tuple(i for i, n in enumerate(shape) if not (i in axes and n == 1))
        if not records(self):
            return _unrecorded_view(self, shape_ops.Reshape, shape=tuple(shape[i] for i in kept), kept_axes=kept)
        name = "SqueezeBackward0" if dim is None else "SqueezeBackward2" if isinstance(dim, (tuple, list)) else \
            "SqueezeBackward1"
        return shape_ops.Reshape.apply(self, shape=tuple(shape[i] for i in kept), name=name,
                                       dim=tuple(dim) if name[-1] == "2" else dim, kept_axes=kept)

    def unsqueeze(self, dim):
        try:
            axis = normalize_dim(dim, self._data.ndim + 1)
        except TypeError as error:
            raise _parser_errors.method_error("unsqueeze", (dim,)) or error from None
        data = self._data
        shape = data.shape
        if not records(self):
            # (NumPy's strides for the new axis are C order's, PyTorch's too, when no other size-1 dim has its own)
            if data.flags.c_contiguous and data.size and 1 not in shape:
                return self._as_view(Tensor._wrap(data.reshape(shape[:axis] + (1,) + shape[axis:])))
            return _unrecorded_view(self, shape_ops.Reshape, shape=shape[:axis] + (1,) + shape[axis:], dim=dim,
                                    new_axis=axis)
        return shape_ops.Reshape.apply(self, shape=shape[:axis] + (1,) + shape[axis:], name="UnsqueezeBackward0",
                                       dim=dim, new_axis=axis)

    def permute(self, *dims, **keywords):
        ndim = self._data.ndim
        if dims and not keywords:  # the common call: ints in range, given apart or as one tuple or list (y.T's)
            given = dims[0] if len(dims) == 1 and type(dims[0]) in _DIM_SEQUENCES else dims
            if len(given) == ndim:
                axes = []
                for d in given:  # (a loop: all() over a generator costs more than the rest)
                    if type(d) is not int or not -ndim <= d < ndim:
                        break
                    axes.append(d % ndim)
                else:
                    if len(set(axes)) == ndim:
                        if not records(self):
                            return self._as_view(Tensor._wrap(self._data.transpose(axes)))
                        return shape_ops.Permute.apply(self, axes=tuple(axes), given=tuple(given))
        dims = _shape_arg(dims, "permute", "dims", kind="int[]", keywords=keywords)
        if len(dims) != ndim:
            raise RuntimeError(
                f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
                f"desired ordering of dimensions i.e. input.dim() = {ndim} is not equal to len(dims) = {len(dims)}"
            )
        axes = tuple(normalize_dim(d, ndim) for d in dims)
        if len(set(axes)) != ndim:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        return shape_ops.Permute.apply(self, axes=axes, given=tuple(dims))

    def transpose(self, dim0, dim1):
        ndim = self._data.ndim
        axes = list(range(ndim))
        try:
            a, b = normalize_dim(dim0, ndim), normalize_dim(dim1, ndim)  # a 0-d tensor takes -1 and 0
        except TypeError as error:
            raise _parser_errors.method_error("transpose", (dim0, dim1)) or error from None
        if ndim:
            axes[a], axes[b] = axes[b], axes[a]
        if not records(self):
            return self._as_view(Tensor._wrap(self._data.transpose(axes)))
        return shape_ops.Permute.apply(self, axes=tuple(axes), kind="Transpose", given=(dim0, dim1))

    def swapaxes(self, axis0, axis1):
        _parser_errors.method_arguments("swapaxes", (axis0, axis1))
        return self.transpose(axis0, axis1)

    def swapdims(self, dim0, dim1):
        _parser_errors.method_arguments("swapdims", (dim0, dim1))
        return self.transpose(dim0, dim1)

    def t(self, *refused, **refused_keywords):
        if refused or refused_keywords:
            raise _parser_errors.no_arguments_error("t", refused, refused_keywords)
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self._data.ndim}D")
        # (a view even of a 0-d or 1-d tensor, as PyTorch's: not the tensor itself)
        if not records(self):
            return self._as_view(Tensor._wrap(self._data.transpose()))
        return shape_ops.Permute.apply(self, axes=tuple(range(self._data.ndim))[::-1], kind="T")

    def expand(self, *sizes, **keywords):
        # (PyTorch's implicit=True only marks the expansion for its tracer)
        sizes = _shape_arg(sizes, "expand", overloads=("SymInt[] size, *, bool implicit=False",), keywords=keywords)
        ndim = self._data.ndim
        if len(sizes) < ndim:
            raise RuntimeError(
                f"expand({_dtype.type_text(self.dtype)}{{{list(self.shape)}}}, size={list(sizes)}): the number of "
                f"sizes provided ({len(sizes)}) must be greater or equal to the number of dimensions in the tensor "
                f"({ndim})"
            )
        leading = len(sizes) - ndim
        own = (1,) * leading + self._data.shape
        target = tuple(o if s == -1 and i >= leading else s for i, (s, o) in enumerate(zip(sizes, own)))
        for i in range(len(target) - 1, -1, -1):  # PyTorch reports the rightmost mismatch
            s, o = target[i], own[i]
            if s == -1 and ndim:  # -1 keeps an existing size; a new leading dim has none
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing "
                                   f"dimension {i}")
            if o != 1 and s != o:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) must match the existing size ({o}) at non-singleton "
                    f"dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(self._data.shape)}"
                )
        if any(s < 0 for s in target):  # other negative sizes (any -1 of a 0-d tensor): PyTorch's size overflow
            raise RuntimeError("numel: integer multiplication overflow")
        if not records(self):
            return _unrecorded_view(self, shape_ops.Expand, shape=target)
        return shape_ops.Expand.apply(self, shape=target)

    def expand_as(self, other):
        if not isinstance(other, Tensor):
            raise _parser_errors.method_error("expand_as", (other,))
        return self.expand(other.shape)

    def repeat(self, *sizes, **keywords):
        sizes = _shape_arg(sizes, "repeat", "repeats", keywords=keywords)
        if len(sizes) < self._data.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                               "tensor")
        shape = (1,) * (len(sizes) - self._data.ndim) + self._data.shape
        target = [n * size for n, size in zip(sizes, shape)]
        for size in target:
            if size < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {size}: {target}")
        return shape_ops.Repeat.apply(self, repeats=sizes)

    def chunk(self, chunks, dim=0):
        return self.split(*self._chunk_split(chunks, dim))

    def _chunk_split(self, chunks, dim):
        """The (split size or sizes, dim) chunk(chunks, dim) splits by."""
        if type(chunks) is not int or type(dim) is not int:
            parsed = _parser_errors.method_arguments("chunk", (chunks, dim))
            chunks, dim = parsed["chunks"], parsed["dim"]
        if not self._data.ndim:
            raise RuntimeError("chunk expects at least a 1-dimensional tensor")
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        axis = normalize_dim(dim, self._data.ndim)
        n = self._data.shape[axis]
        if not n:  # an empty dim still gives `chunks` (empty) pieces
            return [0] * chunks, dim
        return -(-n // chunks), dim

    def split(self, split_size, dim=0):  # (PyTorch's method names its size so; torchless.split another way)
        return self._split_at(*self._split_bounds(split_size, dim))

    def _split_bounds(self, split_size_or_sections, dim):
        """split's checks: the pieces' bounds along the axis, the axis, the split size (an int) or sizes, and the dim
        as given."""
        if isinstance(split_size_or_sections, Tensor):  # PyTorch's Tensor.split reads one element as the size
            try:
                split_size_or_sections = int(split_size_or_sections)
            except ValueError:
                pass
        if not isinstance(split_size_or_sections, int):  # PyTorch's Tensor.split passes these to split_with_sizes
            # (PyTorch's Tensor.split, Python code, passes them on by position whatever the caller wrote)
            split_size_or_sections = _parser_errors.parse(
                "split_with_sizes", _parser_errors.METHOD_OVERLOADS["split_with_sizes"],
                (self, split_size_or_sections, dim))["split_sizes"]
        elif type(dim) is not int or type(split_size_or_sections) is not int:  # (a bool size is refused)
            dim = _parser_errors.parse("split", _parser_errors.METHOD_OVERLOADS["split"],
                                       (self, split_size_or_sections, dim))["dim"]
        if not self._data.ndim:
            raise RuntimeError("split expects at least a 1-dimensional tensor")
        if isinstance(split_size_or_sections, int) and split_size_or_sections < 0:  # before the dim, as PyTorch
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={split_size_or_sections}")
        axis = normalize_dim(dim, self._data.ndim)
        n = self._data.shape[axis]
        if isinstance(split_size_or_sections, int):
            size = split_size_or_sections
            if size == 0 and n:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
            bounds = list(range(0, n, size)) + [n] if n else [0, 0]  # an empty dim splits into one empty piece
        else:
            sizes = list(split_size_or_sections)
            if any(size < 0 for size in sizes):
                raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                                   f"split_sizes={sizes}")
            if sum(sizes) != n:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                                   f"at dimension {dim}), but got split_sizes={sizes}")
            bounds = [0] + list(np.cumsum(sizes))
        return bounds, axis, split_size_or_sections, dim

    def _split_at(self, bounds, axis, split_size_or_sections, dim, unsafe=False):
        """The pieces between consecutive ``bounds`` along ``axis`` (split's, or unsafe_split's)."""
        prefix = (slice(None),) * axis
        sized = isinstance(split_size_or_sections, int)
        name = ("Unsafe" if unsafe else "") + ("SplitBackward0" if sized else "SplitWithSizesBackward0")
        shown = split_size_or_sections if sized else tuple(split_size_or_sections)
        keys = [prefix + (slice(lo, hi),) for lo, hi in zip(bounds[:-1], bounds[1:])]
        return pieces.pieces_of(self, keys, axis, dim, shown, name, unsafe)

    def unbind(self, dim=0):
        try:
            axis = normalize_dim(dim, self._data.ndim)
        except TypeError as error:
            raise _parser_errors.method_error("unbind", (dim,)) or error from None
        if not self._data.ndim:  # (dims 0 and -1 pass normalize_dim, a 0-d tensor taking them elsewhere)
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        prefix = (slice(None),) * axis
        keys = [prefix + (i,) for i in range(self._data.shape[axis])]
        return pieces.pieces_of(self, keys, axis, dim, None, "UnbindBackward0")

    def flip(self, *args, **kwargs):
        """Reversed along ``dims`` (a list of dims, or the dims as separate arguments)."""
        if not kwargs and args and all(type(d) is int for d in args):  # the dims as separate ints
            dims = args
        elif len(args) == 1 and not kwargs and type(args[0]) in (tuple, list) and all(type(d) is int for d in args[0]):
            dims = args[0]
        else:
            dims = _parser_errors.method_arguments("flip", args, kwargs)["dims"]
        axes = normalize_dims(list(dims), self._data.ndim)
        if self._data.size:  # (an empty tensor reaches no kernel)
            if self._data.dtype.kind == "u":
                self._no_kernel_for("U", "flip_cpu")
        return shape_ops.Flip.apply(self, axes=axes)

    def fliplr(self):
        if self._data.ndim < 2:
            raise RuntimeError("Input must be >= 2-d.")
        return self.flip(1)

    def flipud(self):
        if self._data.ndim < 1:
            raise RuntimeError("Input must be >= 1-d.")
        return self.flip(0)

    def rot90(self, k=1, dims=(0, 1)):
        """Rotated by ``k`` quarter turns in the plane of ``dims``, from the first dim towards the second."""
        if type(k) is not int or type(dims) not in (tuple, list) or not _all_ints(dims):
            parsed = _parser_errors.method_arguments("rot90", (k, dims))
            k, dims = parsed["k"], parsed["dims"]
        if len(dims) != 2:
            raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
        if self._data.ndim < 2:
            raise RuntimeError(f"expected total dims >= 2, but got total dims = {self._data.ndim}")
        axes = tuple(normalize_dim(d, self._data.ndim) for d in dims)
        if axes[0] == axes[1]:
            raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
        return shape_ops.Rot90.apply(self, k=k % 4, axes=axes, given=(k, dims))

    def roll(self, shifts, dims=None):
        """Elements shifted cyclically by ``shifts`` along ``dims`` (without dims: over the flattened tensor)."""
        if not (_all_ints(shifts) and (dims is None or _all_ints(dims))):
            parsed = _parser_errors.method_arguments("roll", (shifts, dims))
            shifts, dims = parsed["shifts"], parsed["dims"]
        shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        dims = () if dims is None else tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if not shifts:
            raise RuntimeError("`shifts` required")
        if not dims and len(shifts) == 1:  # (dims=() too, as in PyTorch)
            return shape_ops.Roll.apply(self, shifts=shifts[0])
        if len(shifts) != len(dims):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
        if not self._data.size:  # nothing to move: PyTorch looks no further at the dims
            return shape_ops.Roll.apply(self, shifts=0, axes=None)
        if not self._data.ndim:
            raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
        return shape_ops.Roll.apply(self, shifts=shifts, axes=tuple(normalize_dim(d, self._data.ndim) for d in dims))

    def movedim(self, source, destination):
        """Dims ``source`` moved to positions ``destination``; the others keep their order."""
        return self._moved_dims(source, destination, "movedim")

    def moveaxis(self, source, destination):
        return self._moved_dims(source, destination, "moveaxis")

    def _moved_dims(self, source, destination, name):
        if isinstance(source, (tuple, list)) != isinstance(destination, (tuple, list)):  # no overload takes them
            error = _parser_errors.method_error(name, (source, destination))
            if error is not None:
                raise error
        try:  # (an int list's elements: what __index__ converts, a one-element tensor of any rank too)
            src = list_elements(source) if isinstance(source, (tuple, list)) else [source]
            dst = list_elements(destination) if isinstance(destination, (tuple, list)) else [destination]
        except TypeError as error:
            raise _parser_errors.method_error(name, (source, destination)) or error from None
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain the "
                               f"same number of dims as destination ({dst} dims)")
        ndim = self._data.ndim
        given = {"source": src, "destination": dst}
        try:
            src, dst = [normalize_dim(d, ndim) for d in src], [normalize_dim(d, ndim) for d in dst]
        except TypeError as error:
            raise _parser_errors.method_error(name, (source, destination)) or error from None
        for name, dims in (("source", src), ("destination", dst)):
            if len(set(dims)) != len(dims):  # (the dims named as given)
                raise RuntimeError(f"movedim: repeated dim in `{name}` ({given[name]})")
        if not ndim:  # nothing to move: an alias, as in PyTorch
            return indexing.Index.apply(self, key=(Ellipsis,))
        axes = [None] * ndim
        for s, d in zip(src, dst):
            axes[d] = s
        rest = iter(d for d in range(ndim) if d not in src)
        return shape_ops.Permute.apply(self, axes=tuple(next(rest) if a is None else a for a in axes))


    def select(self, dim, index):
        """The slice at ``index`` along ``dim``, that dim removed (a view; ``x.select(0, i)`` is ``x[i]``)."""
        if type(dim) is not int or type(index) is not int:
            parsed = _parser_errors.method_arguments("select", (dim, index))
            dim, index = parsed["dim"], parsed["index"]
        if not self._data.ndim:
            raise IndexError("select() cannot be applied to a 0-dim tensor.")
        axis = normalize_dim(dim, self._data.ndim)
        size = self._data.shape[axis]
        if not -size <= index < size:
            check_int64(index)
            raise IndexError(f"select(): index {index} out of range for tensor of size {list(self._data.shape)} at "
                             f"dimension {axis}")
        return self[(slice(None),) * axis + (index,)]

    def narrow(self, dim, start, length):
        """``length`` elements along ``dim`` from ``start`` on (a negative start counts from the end)."""
        if type(dim) is not int or type(start) is not int or type(length) is not int:
            parsed = _parser_errors.method_arguments("narrow", (dim, start, length))
            dim, start, length = parsed["dim"], parsed["start"], parsed["length"]
            if isinstance(start, Tensor):  # (the overload taking a tensor start wants a 0-d integer one)
                if start._data.ndim or start._data.dtype.kind not in "iu":
                    raise RuntimeError("start must be an 0-dim integral Tensor.")
            start = operator.index(start)
        if not self._data.ndim:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        if length < 0:
            check_int64(length)
            raise RuntimeError("narrow(): length must be non-negative.")
        axis = normalize_dim(dim, self._data.ndim)
        n = self._data.shape[axis]
        if not -n <= start <= n:
            check_int64(start)
            raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
        start = start + n if start < 0 else start
        if start + length > n:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
        # a slice even when it covers the dim (PyTorch's node is SliceBackward0 then too)
        return indexing.Index.apply(self, key=(slice(None),) * axis + (slice(start, start + length),),
                                    name="SliceBackward0")

    def tensor_split(self, indices_or_sections, dim=0):
        """Pieces along ``dim``: ``sections`` pieces of near-equal size (the first ones one larger), or split
        before each of the ``indices``."""
        if not (_all_ints(indices_or_sections) or isinstance(indices_or_sections, Tensor)) or type(dim) is not int:
            given = (indices_or_sections,) if type(dim) is int and dim == 0 else (indices_or_sections, dim)
            overload, parsed = _parser_errors.parse_overload("tensor_split", _parser_errors.METHOD_OVERLOADS[
                "tensor_split"], given)
            dim = parsed["dim"]
            indices_or_sections = parsed[("indices", "tensor_indices_or_sections", "sections")[overload]]
        if not self._data.ndim:  # (before any check of a tensor of indices or sections)
            raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
        if isinstance(indices_or_sections, Tensor):  # a 0-d int64 tensor of sections, a vector of indices
            split = indices_or_sections._data
            if split.dtype != np.int64:
                raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                                   f"{indices_or_sections.dtype.scalar_name}")
            if split.ndim > 1:
                raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                                   f"one-dimensional tensor, but got a tensor with {split.ndim} dims")
            indices_or_sections = split.tolist()
        axis = normalize_dim(dim, self._data.ndim)
        n = self._data.shape[axis]
        if isinstance(indices_or_sections, (tuple, list)):
            bounds = [0] + [min(max(i + n if i < 0 else i, 0), n) for i in indices_or_sections] + [n]
        else:
            sections = indices_or_sections
            if sections <= 0:
                raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
            bounds = [i * (n // sections) + min(i, n % sections) for i in range(sections + 1)]
        prefix = (slice(None),) * axis
        return tuple(indexing.Index.apply(self, key=prefix + (slice(lo, max(lo, hi)),), name="SliceBackward0")
                     for lo, hi in zip(bounds[:-1], bounds[1:]))

    def tile(self, *args, **kwargs):
        """Repeated ``dims[i]`` times along each dim; missing leading counts are 1 (unlike repeat). ``dims`` is a
        sequence, or ints as separate arguments (not one int by keyword, as PyTorch's parser has it)."""
        if kwargs:
            dims = tuple(_parser_errors.method_arguments("tile", args, kwargs)["dims"])
        elif len(args) == 1 and type(args[0]) in (tuple, list, Size) and all(type(d) is int for d in args[0]):
            dims = tuple(args[0])  # the common case, without the parser
        else:
            dims = _shape_arg(args, "tile", "dims")
        return self.repeat((1,) * (self._data.ndim - len(dims)) + dims)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Each element repeated ``repeats`` times (an int, or a tensor of counts) along ``dim`` (default: of the
        flattened tensor), the copies side by side."""
        if not (type(repeats) is int or isinstance(repeats, Tensor)) or not (dim is None or type(dim) is int):
            given = {} if output_size is None else {"output_size": output_size}
            parsed = _parser_errors.method_arguments("repeat_interleave", (repeats, dim), given)
            repeats, dim = parsed["repeats"], parsed["dim"]
        if isinstance(repeats, Tensor):
            index = self._repeated_positions(repeats, dim, output_size)
        else:
            index = self._repeated_positions_by_int(repeats, dim, output_size)
        source, axis = (self.reshape(-1), 0) if dim is None else (self, normalize_dim(dim, self._data.ndim))
        picked = _memory_format.in_c_order(  # (contiguous: index_select's result)
            indexing.Index.apply(source, key=(slice(None),) * axis + (index,), name="IndexSelectBackward0",
                                 shown={"dim": axis, "index": index}))
        # With an int count PyTorch returns a view of its index_select (ViewBackward0)
        return picked if isinstance(repeats, Tensor) else picked.view(picked.shape)

    def _repeated_positions(self, repeats, dim, output_size):
        """The positions along ``dim`` that repeat_interleave picks for the tensor of counts ``repeats``, after
        PyTorch's checks in its order: the counts' rank, the dim (looked up in the flattened input for dim None) and
        their number, then its kernel's (one count broadcast to every position)."""
        counts = repeats._data
        if counts.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        given = 0 if dim is None else dim
        if dim is not None and not self._data.ndim:
            raise IndexError(f"Dimension specified as {given} but tensor has no dimensions")
        n = self._data.size if dim is None else self._data.shape[normalize_dim(dim, self._data.ndim)]
        if counts.size not in (1, n):
            raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{counts.size} and input.size({given}) = {n}")
        return repeated_positions(Tensor._wrap(np.broadcast_to(counts.reshape(-1), (n,))), output_size)

    def _repeated_positions_by_int(self, count, dim, output_size):
        """repeat_interleave's positions for an int ``count``: the dim wrapped first (a 0-d tensor's as a vector's),
        the count's sign checked before that dim is looked up."""
        axis = normalize_dim(0 if dim is None else dim, self._data.ndim)
        if count < 0:
            raise RuntimeError("Repeats must be non-negative")
        if dim is not None and not self._data.ndim:  # (PyTorch's unsqueeze after the dim)
            raise IndexError(f"Dimension out of range (expected to be in range of [-1, 0], but got {axis + 1})")
        index = np.repeat(np.arange(self._data.size if dim is None else self._data.shape[axis]), count)
        if output_size is not None and output_size != index.size:
            raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {index.size} but got {output_size}")
        return index

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """The n-th forward difference along ``dim`` (for bools: whether neighbours differ)."""
        if type(n) is not int or type(dim) is not int:
            parsed = _parser_errors.method_arguments("diff", (n, dim, prepend, append))
            n, dim = parsed["n"], parsed["dim"]
        if not self._data.ndim:
            raise RuntimeError("diff expects input to be at least one-dimensional")
        if n < 0:
            raise RuntimeError(f"order must be non-negative but got {n}")
        for other in (prepend, append):
            if other is not None:
                self._check_diff_operand(other, dim)
        from .._creation import zeros_like
        from .._functions import cat

        if n == 0:  # (the input alone, copied: PyTorch neither checks the dim nor joins prepend and append)
            return zeros_like(self).copy_(self)
        axis = normalize_dim(dim, self._data.ndim)

        out = cat([t for t in (prepend, self, append) if t is not None], axis) if prepend is not None or \
            append is not None else self
        for _ in range(n):
            length = max(out._data.shape[axis] - 1, 0)
            later, earlier = out.narrow(axis, min(1, length), length), out.narrow(axis, 0, length)
            out = later != earlier if out._data.dtype.kind == "b" else later - earlier
        return out

    def _check_diff_operand(self, other, dim):
        """PyTorch's checks of diff's prepend or append ``other``: self's dims, and its sizes but along ``dim``."""
        axis = normalize_dim(dim, self._data.ndim)
        if other._data.ndim != self._data.ndim:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        for i, (size, other_size) in enumerate(zip(self._data.shape, other._data.shape)):
            if i != axis and size != other_size:
                raise RuntimeError("diff expects the shape of tensor to prepend or append to match that of input "
                                   f"except along the differencing dimension; input.size({i}) = {size}, but got "
                                   f"tensor.size({i}) = {other_size}")

    @property
    def real(self):
        """The real part: the tensor itself (torchless has no complex dtypes)."""
        return self

    @property
    def imag(self):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The ``offset``-th diagonal of the planes (dim1, dim2) as the last dim (above the main one for offset > 0)."""
        if type(offset) is not int or type(dim1) is not int or type(dim2) is not int:
            parsed = _parser_errors.method_arguments("diagonal", (offset, dim1, dim2))
            offset, dim1, dim2 = parsed["offset"], parsed["dim1"], parsed["dim2"]
        dims = normalize_dim(dim1, self._data.ndim), normalize_dim(dim2, self._data.ndim)
        if dims[0] == dims[1]:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        return shape_ops.Diagonal.apply(self, offset=offset, dims=dims, given=(dim1, dim2))

    def diag(self, diagonal=0):
        """For a vector, the square matrix with it on the ``diagonal``-th diagonal; for a matrix, that diagonal."""
        if type(diagonal) is not int:
            diagonal = _parser_errors.method_arguments("diag", (diagonal,))["diagonal"]
        if self._data.ndim == 1:
            return shape_ops.DiagEmbed.apply(self, offset=diagonal)
        if self._data.ndim != 2:
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self._data.ndim}D")
        return shape_ops.Diagonal.apply(self, offset=diagonal, name="DiagonalBackward0_copy")

    def trace(self):
        self._no_kernel_for("bU", "trace")  # (before the rank, as in PyTorch)
        if self._data.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self._data.ndim}")
        return reduction.Trace.apply(self)

    def tril(self, diagonal=0):
        if type(diagonal) is not int:
            diagonal = _parser_errors.method_arguments("tril", (diagonal,))["diagonal"]
        return self._triangle(diagonal, True)

    def triu(self, diagonal=0):
        if type(diagonal) is not int:
            diagonal = _parser_errors.method_arguments("triu", (diagonal,))["diagonal"]
        return self._triangle(diagonal, False)

    def _triangle(self, k, lower):
        if self._data.ndim < 2:
            raise RuntimeError(f"{'tril' if lower else 'triu'}: input tensor must have at least 2 dimensions")
        if self._data.size:  # (an empty tensor reaches no kernel)
            self._no_kernel_for("U", "tril" if lower else "triu")
        return shape_ops.Triangle.apply(self, k=k, lower=lower)

    def outer(self, vec2):
        """The matrix of products self[i] * vec2[j] of two vectors."""
        for name, t in (("self", self), ("vec2", vec2)):
            if t._data.ndim != 1:
                raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
        return self.reshape(-1, 1) * vec2

    def mv(self, vec):
        """Matrix times vector: (n, m) @ (m,) -> (n,)."""
        if self._data.ndim != 2 or vec._data.ndim != 1:
            raise RuntimeError(f"vector + matrix @ vector expected, got 1, {self._data.ndim}, {vec._data.ndim}")
        return self.matmul(vec)


def _unrecorded_view(tensor, node_class, **params):
    """``node_class.apply(tensor, **params)`` of a view op where no graph records it (``not records(tensor)``): the
    view its forward gives, without the node apply makes and drops (half a small tensor's unsqueeze)."""
    return tensor._as_view(Tensor._wrap(node_class.__new__(node_class).forward(tensor._data, **params)))
