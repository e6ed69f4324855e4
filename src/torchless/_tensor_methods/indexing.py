"""Indexing: ``t[key]`` and ``t[key] = value``, with PyTorch's rules for integer, slice, mask and index-tensor keys
and for the values it assigns.

Methods of torchless.Tensor: see ``_tensor_methods.attach``.
"""
import numpy as np

from .. import _dtype, _memory_overlap
from .._ops import indexing
from ..autograd import forward_ad, grad_mode
from ..autograd.graph import records, save_tensor_versions
from .._tensor import Tensor, _LEAF_INPLACE
from ._index_keys import subscript_key


# What PyTorch's t[key] = value takes for a number: Python's (NumPy's float64 and complex128 subclass them) and
# NumPy's integers; NumPy's other floats and its bool are refused ("can't assign a numpy.float32 to ...").
_ASSIGNABLE_SCALARS = (int, float, complex, np.integer)


def _plain_part(part):
    cls = type(part)
    return cls is int or cls is slice and (part.step is None or type(part.step) is int and part.step > 0)


def _plain_key(key):
    """Whether ``key`` is made only of ints and forward slices (the common t[i], t[:, j], t[a:b]), which need
    none of the conversions below."""
    if type(key) is tuple:
        return all(_plain_part(part) for part in key)
    return _plain_part(key)


def _fills_through_byte_mask(shape, key):
    """Whether ``t[key] = one value`` is, in PyTorch, a masked_fill_ by a uint8 mask (which it refuses): the
    key's only index tensor is a byte tensor of the shape of the dims it indexes (else index_put_'s own errors
    come first)."""
    parts = key if isinstance(key, tuple) else (key,)
    indices = [part for part in parts if isinstance(part, (list, np.ndarray)) or isinstance(part, Tensor) and (
        part._data.ndim or part._data.dtype.kind not in "iu")]
    if len(indices) != 1 or not isinstance(indices[0], (Tensor, np.ndarray)) or np.asarray(
            indices[0]._data if isinstance(indices[0], Tensor) else indices[0]).dtype != np.uint8:
        return False  # (a NumPy array becomes an index tensor of its dtype: a uint8 one a byte mask too)
    mask = indices[0]._data if isinstance(indices[0], Tensor) else indices[0]
    if not all(part is None or part is Ellipsis or type(part) in (int, slice) or part is indices[0] or
               isinstance(part, Tensor) and not part._data.ndim and part._data.dtype.kind == "i" for part in parts):
        return False
    consumed = sum(part is not None and part is not Ellipsis for part in parts) - 1 + mask.ndim
    if consumed > len(shape):
        return False  # (too many indices: index_put's own error)
    position = 0
    for part in parts:
        if part is indices[0]:
            indexed = shape[position:position + mask.ndim]
            if indexed != mask.shape and all(p is Ellipsis or p == slice(None) or p is part for p in parts):
                # (the tensor indexed is self itself here: PyTorch's check, made before any warning, says so)
                j = next(j for j, n in enumerate(mask.shape) if j >= len(indexed) or indexed[j] != n)
                raise IndexError(f"The shape of the mask {list(mask.shape)} at index {j} does not match the shape "
                                 f"of the indexed tensor {list(shape)} at index {position + j}")
            return indexed == mask.shape
        if part is Ellipsis:
            position += len(shape) - consumed
        elif part is not None:
            position += 1
    return False


def _whole_key(key, shape):
    """Whether ``key`` is made of full slices (from 0 or None, to None or past the end, of step 1) and Ellipses:
    PyTorch's indexing then returns the tensor itself, not a view of it. Each Ellipsis skips the dims the rest of
    the key leaves, so a slice after a second one lands past the last dim, whose size PyTorch reads as 0."""
    parts = key if type(key) is tuple else (key,)
    ndim = len(shape)
    skipped = ndim - sum(part is not Ellipsis for part in parts)  # (by each Ellipsis)
    if skipped < 0:
        return False
    dim = 0
    for part in parts:
        if part is Ellipsis:
            dim += skipped
        elif type(part) is not slice or not _full_slice(part, shape[dim] if dim < ndim else 0):
            return False
        else:
            dim += 1
    return True


def _full_slice(part, size):
    start, stop, step = part.start, part.stop, part.step
    return (start is None or type(start) is int and start == 0) and (step is None or type(step) is int and step == 1) \
        and (stop is None or type(stop) is int and stop >= size)


# The dtypes of the index tensors NumPy indexes by as PyTorch does (int8 and int16 ones it refuses, uint8 ones are
# masks)
_INDEX_DTYPES = frozenset(np.dtype(t) for t in (np.int32, np.int64, np.bool_))


def _direct_index(key):
    """Whether ``key`` is a lone index tensor or mask NumPy indexes by as PyTorch does: of some dims, of an index
    dtype, no empty mask (NumPy takes one of any shape, PyTorch checks its shape)."""
    return isinstance(key, Tensor) and key._data.ndim and key._data.dtype in _INDEX_DTYPES and (
        key._data.size or key._data.dtype != np.bool_)


def _index_tensors(key):
    """The index tensors of a key (not 0-d ones, which select as ints)."""
    return [part for part in (key if isinstance(key, tuple) else (key,)) if isinstance(part, Tensor) and part._data.ndim]


class IndexingMethods:
    def __getitem__(self, key):
        if _plain_key(key):  # ints and forward slices: NumPy reads them as PyTorch does
            if not records(self):  # (no graph: Index's view without the node apply makes and drops)
                try:
                    out = self._data[key]
                except (IndexError, OverflowError):
                    pass  # (worded by the path below)
                else:
                    if not isinstance(out, np.ndarray):  # an int for every dim: PyTorch's 0-d view, not a copy
                        out = self._data[(key if type(key) is tuple else (key,)) + (Ellipsis,)]
                    if out.__class__ is np.ndarray and out.size:  # (an empty view: Index.forward's own layout)
                        return self._as_view(Tensor._wrap(out))
            try:
                return indexing.Index.apply(self, key=key)
            except (IndexError, OverflowError) as err:
                raise indexing.index_error(self._data.shape, key, err) from None
        result = self._index(key)
        if forward_ad.state.vmap_levels:
            forward_ad.mark_indexed_by_batched(result, key, self.dim())
            forward_ad.lay_out_indexed(result, self, key)
        return save_tensor_versions(result, *_index_tensors(key))

    def _index(self, key):
        if forward_ad.state.vmap_levels:
            forward_ad.refuse_batched_mask(key)
        if _direct_index(key):  # t[index], t[mask]
            try:
                return indexing.Index.apply(self, key=key._data)
            except IndexError:
                pass  # (the general path below words the error, or finds nothing to read)
        # (a lone tensor as a one-part key: a 0-d integer one selects, but is not the lone int that a 0-d
        # tensor's error message is about)
        key = indexing.single_ellipsis(self._data.shape,
                                       subscript_key(self._data.shape, (key,) if isinstance(key, Tensor) else key))
        indexing.check_empty_masks(self._data.shape, key)
        try:
            indexing.check_steps(self._data.shape, key)
            staged = indexing.select_first(key)
            if staged is not None:
                return indexing.Index.apply(indexing.Index.apply(self, key=staged[0]), key=staged[1])
            return indexing.Index.apply(self, key=key)
        except IndexError as err:
            error = indexing.index_error(self._data.shape, key, err)
            zeroed = getattr(error, "in_index_values", False) and indexing.zeroed_if_empty(self._data.shape, key)
            if zeroed:  # an empty result: PyTorch reads no index, so finds none out of range
                return self[zeroed]
            if forward_ad.state.vmap_levels:
                error = forward_ad.mask_error_of_batched(error, self)
            raise error from None

    def __setitem__(self, key, value):
        if isinstance(value, Tensor):
            value_t = value
        elif isinstance(value, _ASSIGNABLE_SCALARS):
            if isinstance(value, (int, np.integer)) and not -2**63 <= value < 2**63:  # read as an int64
                raise ValueError("Overflow when unpacking long long")
            # Range-checked like a fill value (uint8 takes -1 as 255, refuses 300), not wrapped like an operand.
            value_t = Tensor._wrap(np.asarray(_dtype.fill_value(value, self._data.dtype, check_half=False),
                                              self._data.dtype))
        else:
            from ..nn._functional._args import _tp_name

            raise TypeError(f"can't assign a {_tp_name(value)} to a {self.type()}")
        if grad_mode.state.transform_epoch:  # (a basic key writes a view by copy_, any other by index_put_)
            from ..func import _transforms

            _transforms.refuse_mutating_captured(
                self, name="aten::copy_" if indexing.is_basic_key(key) else "aten::index_put_")
        if forward_ad.state.vmap_levels:
            forward_ad.refuse_writing_batched(self, (value_t,), "setitem")
            forward_ad.refuse_batched_mask(key)
            # (batched indices: PyTorch's index_put_ rule cannot write every sample's into the one tensor)
            forward_ad.refuse_writing_batched(self, key if isinstance(key, tuple) else (key,), "index_put_")
        if isinstance(key, bool):  # (a NumPy bool is refused, as the key is read below)
            # A lone bool is no mask here: PyTorch does nothing for False and copies into t.unsqueeze(0) for True
            # (a view, converting the value's dtype), though t[True] reads through a mask.
            if key:
                self.unsqueeze(0)[...] = value_t
            return
        if isinstance(key, Tensor) and key._data.dtype == np.bool_ and not key._data.ndim:
            # A 0-d mask: PyTorch index_puts through it into a view (t.unsqueeze(0)), which CopySlices records (and
            # a leaf's is refused as a view)
            self[...]._put_tensor_item(key, value_t)
            return
        if _whole_key(key, self._data.shape):
            return self._assign_whole(value_t)
        if _plain_key(key):  # ints and forward slices: no conversion, nothing to select first
            try:
                return self._put_item(key, value_t, plain=True)
            except OverflowError as err:  # an int index beyond int64
                raise indexing.index_error(self._data.shape, key, err) from None
        self._put_tensor_item(key, value_t)
        save_tensor_versions(self, *_index_tensors(key))

    def _assign_whole(self, value_t):
        """``self[...] = value_t``: PyTorch's copy_to, into this tensor itself (no view of it is made, so no
        CopySlices): its copy_ for a value of its shape, its fill_ for a 0-d one, else a copy_ of the value expanded
        to its shape (leading size-1 dims dropped first)."""
        shape = self._data.shape
        value_shape = value_t._data.shape
        if value_shape == shape:
            self.copy_(value_t)
        elif not value_shape:
            self.fill_(value_t)
        else:
            leading = next((i for i, n in enumerate(value_shape) if n != 1), len(value_shape))
            self.copy_(value_t.view(value_shape[leading:]).expand(shape))

    def _put_tensor_item(self, key, value_t):
        if self._data.dtype.kind == "u" and self._data.itemsize > 1:
            self._refuse_wide_unsigned_put(key, value_t)
        if _direct_index(key):  # t[index] = v, t[mask] = v
            try:
                return self._put_item(key._data, value_t, plain=True)
            except IndexError:
                pass  # (the general path below words the error, or finds nothing to write)
        if value_t._data.size == 1 and _fills_through_byte_mask(self._data.shape, key):
            raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype unsigned char")
        key = indexing.single_ellipsis(self._data.shape,
                                       subscript_key(self._data.shape, (key,) if isinstance(key, Tensor) else key))
        if any(isinstance(item, str) for item in (key if isinstance(key, tuple) else (key,))):
            raise indexing.index_error(self._data.shape, key, None)  # (PyTorch reads a str as index data)
        indexing.check_empty_masks(self._data.shape, key)
        try:
            self._put_item(key, value_t)
        except IndexError as error:
            zeroed = getattr(error, "in_index_values", False) and indexing.zeroed_if_empty(self._data.shape, key)
            if not zeroed:
                raise
            self._put_item(zeroed, value_t)  # nothing to write: PyTorch reads no index (the value is still checked)

    def _refuse_wide_unsigned_put(self, key, value_t):
        """PyTorch's error for writing into a uint16, uint32 or uint64 tensor through index tensors (a 0-d
        integer one is an int): index_put_, or masked_fill_ for a lone mask and one value."""
        parts = key if isinstance(key, tuple) else (key,)
        if any(isinstance(p, (list, np.ndarray)) or isinstance(p, Tensor) and (p._data.ndim or p._data.dtype.kind
                                                                                == "b") for p in parts):
            mask = parts[0] if len(parts) == 1 else None
            fills = value_t._data.size == 1 and (
                isinstance(mask, Tensor) and mask._data.dtype == np.bool_ and mask._data.ndim > 0 or
                isinstance(mask, list) and bool(mask) and all(isinstance(v, bool) for v in mask))
            _dtype.refuse_wide_unsigned("masked_fill" if fills else "index_put", self._data.dtype)

    def __delitem__(self, key):
        raise TypeError("Tensor does not support deleting items")

    def _put_item(self, key, value_t, plain=False):
        """``self[key] = value_t`` for a NumPy ``key`` and a tensor value (``plain``: see _plain_key)."""
        if not plain:
            indexing.check_steps(self._data.shape, key)
        staged = None if plain else indexing.views_first(self._data.shape, key)
        if staged is not None:
            # PyTorch applies the ints, None and slices first and index_puts into that view
            try:
                view = indexing.Index.apply(self, key=staged[0])
            except IndexError as err:
                raise indexing.index_error(self._data.shape, key, err) from None
            try:
                view[staged[1]] = value_t
            except IndexError as err:
                raise indexing.index_error(self._data.shape, key, err) from None
            return
        given, value_shape = value_t, value_t._data.shape
        if value_shape[:1] == (1,):  # PyTorch drops every leading size-1 dim of the value (a[0] = tensor([5]))
            leading = next((i for i, n in enumerate(value_shape) if n != 1), len(value_shape))
            value_t = value_t.view(value_shape[leading:])
        source = value_t  # its dtype names it in PyTorch's shape errors
        if not value_t._data.size and not indexing.is_basic_key(key):
            # NumPy writes an empty value into an empty result of any shape; index_put broadcasts it
            self._check_key_and_value_shape(key, source)
        recorded = records(self, value_t)
        if recorded and indexing.is_basic_key(key):  # (PyTorch expands the value to the view it writes into before
            self._raise_setitem_shape_error(key, source)  # that view's copy_ may refuse to change it in place)
        if recorded and self._grad_fn is None and self._requires_grad:
            raise RuntimeError("a view of " + _LEAF_INPLACE if indexing.is_basic_key(key) else
                               self._leaf_inplace_message())
        self._check_value_overlap(key, given)
        if value_t._data.dtype != self._data.dtype:
            if indexing.needs_same_dtype(key, value_t._data.size):
                self._raise_index_put_dtype_error(key, value_t)
            if indexing.fills_through_mask(key, value_t._data.size):  # the value read as a number: range-checked,
                try:  # after the mask's shape
                    self._data[key]
                except IndexError as err:
                    raise indexing.index_error(self._data.shape, key, err) from None
                number = _dtype.fill_value(value_t._data.item(), self._data.dtype)
                if not records(value_t):  # (converted as a number: a complex one without the cast's warning)
                    value_t = Tensor._wrap(np.asarray(number, self._data.dtype))
            value_t = value_t._cast(self._data.dtype)
        if recorded:
            self._check_inplace(key)
            memory = self._shared_memory()
            try:
                result = indexing.IndexPut.apply(self, value_t, key=key)
            except IndexError as err:
                self._check_key_and_value_shape(key, source)  # (an index value out of range is found last)
                raise indexing.index_error(self._data.shape, key, err) from None
            except (ValueError, TypeError):  # NumPy's TypeError: a mask given a value of too many dims
                self._check_key_and_value_shape(key, source)
                raise
            finally:
                if memory is not None:
                    self._data = memory
            self._rebind(result, memory)
        else:
            try:
                try:
                    self._data[key] = value_t._data
                except ValueError:
                    if not self._data.flags.writeable:  # (memory read-only to NumPy, as expanded: PyTorch checks
                        # the key, its index values and the value's shape before the memory it writes)
                        self._check_key_and_value_shape(key, source)
                    target = self._data[key]
                    if indexing.is_basic_key(key):  # a copy_ into the view self[key]: refused where it overlaps
                        writable = self._writable_data(target=target)
                    else:  # PyTorch's index_put_ only warns (and its masked_fill_ by a mask and one value again)
                        writable = self._writable_data(fills=("index_put_", "masked_fill_") if indexing.
                                                       fills_through_mask(key, value_t._data.size) else "index_put_")
                    writable[key] = value_t._data
            except IndexError as err:
                self._check_key_and_value_shape(key, source)  # (an index value out of range is found last)
                raise indexing.index_error(self._data.shape, key, err) from None
            except (ValueError, TypeError):  # NumPy's TypeError: a mask given a value of too many dims
                self._check_key_and_value_shape(key, source)
                raise
            self._bump_version()

    def _check_value_overlap(self, key, value):
        """PyTorch's refusal of a ``value`` sharing memory with where ``self[key] = value`` writes it (see
        _memory_overlap). A basic key copy_s the value into the view self[key]: a partial overlap is refused, a
        0-d value is a fill_ by a number; an advanced key index_puts it into the view of the key's basic part: any
        overlap is refused, but where it fills through a mask (masked_fill_ by a number)."""
        basic = indexing.is_basic_key(key)
        if basic and not value._data.ndim or not basic and indexing.fills_through_mask(key, value._data.size):
            return
        try:
            target = self._data[key if basic else indexing.sliced_part(key)]
        except (IndexError, TypeError, ValueError):
            return  # (the write's own error comes later)
        if not basic:
            return _memory_overlap.assert_no_overlap(target, value._data)
        _memory_overlap.assert_no_partial_overlap(target, _memory_overlap.expanded(value._data, target.shape))

    def _raise_index_put_dtype_error(self, key, value):
        self._check_key_and_value_shape(key, value)
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {self.dtype.scalar_name} "
                           f"for the destination and {value.dtype.scalar_name} for the source.")

    def _check_key_and_value_shape(self, key, value):
        """PyTorch checks the key (its length, the ints, the masks, how the index tensors broadcast) and the value's
        shape before the dtypes and the values inside the index tensors: checks them, with those values zeroed."""
        parts = key if isinstance(key, tuple) else (key,)
        parts = tuple(np.zeros(p.shape, np.intp) if isinstance(p, np.ndarray) and p.dtype != np.bool_ else p
                      for p in parts)
        checked = parts if isinstance(key, tuple) else parts[0]
        try:
            self._raise_setitem_shape_error(checked, value)
        except IndexError as err:
            raise indexing.index_error(self._data.shape, checked, err) from None

    def _raise_setitem_shape_error(self, key, value):
        """PyTorch's RuntimeError for a value that does not fit ``self[key]``: a basic key expands the value
        to the destination's shape, an advanced key (index_put) checks that it broadcasts."""
        try:
            target = np.shape(self._data[key])
        except IndexError as err:  # NumPy may check the value's shape first, PyTorch the key
            raise indexing.index_error(self._data.shape, key, err) from None
        if indexing.is_basic_key(key):
            value.expand(target)
        elif value._data.ndim > len(target) or any(v not in (1, t) for v, t in zip(value._data.shape[::-1],
                                                                                  target[::-1])):
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(value._data.shape)} cannot be broadcast "
                               f"to indexing result of shape {list(target)}")
