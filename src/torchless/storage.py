"""Storages: the flat memory a tensor and its views look into (``torch.storage``).

A torchless tensor holds a NumPy array, and its views are NumPy views of the same memory. The storage
of a tensor is the 1-D array over that whole memory (``tensor.storage_offset()`` elements before the
tensor's first one), so that, as in PyTorch, a view and its base share one storage (same
``data_ptr()``), and writing through the storage changes every tensor looking into it.

``tensor.untyped_storage()`` sees the memory as bytes, ``tensor.storage()`` as elements of the
tensor's dtype (PyTorch's ``TypedStorage``, deprecated there: the first use warns as PyTorch does).
"""

import copy

import numpy as np

from . import _dtype

_TYPED_STORAGE_WARNING = (
    "TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the only storage "
    "class. This should only matter to you if you are using storages directly.  To access UntypedStorage "
    "directly, use tensor.untyped_storage() instead of tensor.storage()")
_warned = [False]


def _warn_typed_storage_removal():
    """PyTorch's deprecation warning, given once per process, pointing at the user's line."""
    if not _warned[0]:
        from ._user_warnings import warn_from_user_code

        warn_from_user_code(_TYPED_STORAGE_WARNING)
        _warned[0] = True


def _device():
    from ._device import device
    return device("cpu")


class _Storage:
    """What both storages share: a flat NumPy array over the memory, of bytes or of elements."""

    is_sparse = False
    is_cuda = False

    def __init__(self, flat):
        self._flat = flat

    @property
    def device(self):
        return _device()

    def get_device(self):
        return -1

    def data_ptr(self):
        return self._flat.__array_interface__["data"][0]

    def nbytes(self):
        return self._flat.nbytes

    def size(self):
        return self._flat.size

    def __len__(self):
        return self._flat.size

    def __sizeof__(self):
        # sys.getsizeof counts the memory held, as PyTorch's storages do (torchinfo's input sizes read it)
        return super().__sizeof__() + self._flat.nbytes

    def element_size(self):
        return self._flat.itemsize

    def is_shared(self):
        from ._ops.tensor_extras import in_shared_memory

        return in_shared_memory(self._flat)

    def is_pinned(self, device="cuda"):
        return False

    def _index(self, index):
        """``index`` as a position in the storage, wrapped as Python wraps negative ones."""
        if isinstance(index, bool) or not isinstance(index, int):
            raise RuntimeError(f"can't index a {type(self)} with {type(index)}")
        size = self._flat.size
        if index >= size or index < -size:
            raise IndexError(f"index {index} out of range for storage of size {size}")
        return index % size

    def _item(self, index):
        return self._flat[self._index(index)].item()

    def _fill(self, value):
        self._flat[...] = value
        return self

    def _to_list(self):
        return self._flat.tolist()

    def _text(self, info):
        data = " " + "\n ".join(str(value) for value in self._flat.tolist())
        return f"{data}\n[{info} of size {len(self)}]"


class UntypedStorage(_Storage):
    """The bytes of a tensor's memory: ``len()`` is their number, items are ints in [0, 255].

    ``UntypedStorage(size)`` makes a new storage of ``size`` zero bytes; ``UntypedStorage(sequence)``
    one holding the given byte values.
    """

    def __init__(self, size_or_sequence=0, *, device=None):
        if isinstance(size_or_sequence, np.ndarray):  # the memory of a tensor (Tensor.untyped_storage)
            flat = size_or_sequence
        elif isinstance(size_or_sequence, int) and not isinstance(size_or_sequence, bool):
            flat = np.zeros(size_or_sequence, np.uint8)
        else:
            flat = np.array(list(size_or_sequence), np.uint8)
        super().__init__(flat)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return UntypedStorage(self._flat[index])
        return self._item(index)

    def __setitem__(self, index, value):
        self._flat[index if isinstance(index, slice) else self._index(index)] = value

    def __iter__(self):
        return iter(self._flat.tolist())

    def __repr__(self):
        return self._text(f"{__name__}.UntypedStorage(device={self.device})")

    __str__ = __repr__

    def tolist(self):
        return self._to_list()

    def fill_(self, value):
        return self._fill(value)

    def clone(self):
        return UntypedStorage(self._flat.copy())

    def copy_(self, source, non_blocking=None):
        if source.nbytes() != self.nbytes():
            raise RuntimeError(f"size mismatch, got {self.nbytes()} and {source.nbytes()}")
        self._flat[...] = source._flat.view(np.uint8)
        return self

    def cpu(self):
        return self

    def __copy__(self):
        return self.clone()

    def __deepcopy__(self, memo):
        return self.clone()

    def untyped(self):
        return self


class TypedStorage(_Storage):
    """The elements of a tensor's memory, of its dtype (PyTorch's deprecated ``tensor.storage()``)."""

    def __init__(self, flat, dtype):
        super().__init__(flat)
        self._dtype = dtype

    @property
    def dtype(self):
        return self._dtype

    @property
    def filename(self):
        return None

    def __getitem__(self, index):
        _warn_typed_storage_removal()
        if isinstance(index, slice):
            raise RuntimeError("slices are only supported in UntypedStorage.__getitem__")
        return self._item(index)

    def __setitem__(self, index, value):
        _warn_typed_storage_removal()
        if not isinstance(index, (int, slice)):
            raise RuntimeError(f"can't index a {type(self)} with {type(index)}")
        if isinstance(value, _Storage):
            raise RuntimeError(f"cannot set item with value type {type(value)}")
        self._flat[index if isinstance(index, slice) else self._index(index)] = getattr(value, "_data", value)

    def __iter__(self):
        _warn_typed_storage_removal()
        return iter(self._flat.tolist())

    def __str__(self):
        _warn_typed_storage_removal()
        return self._text(f"{__name__}.TypedStorage(dtype={self.dtype}, device={self.device})")

    def __repr__(self):
        _warn_typed_storage_removal()
        return str(self)

    def tolist(self):
        _warn_typed_storage_removal()
        return self._to_list()

    def size(self):
        _warn_typed_storage_removal()
        return super().size()

    def __len__(self):
        _warn_typed_storage_removal()
        return super().__len__()

    def __sizeof__(self):
        _warn_typed_storage_removal()
        return super().__sizeof__()

    def nbytes(self):
        _warn_typed_storage_removal()
        return super().nbytes()

    def element_size(self):
        _warn_typed_storage_removal()
        return super().element_size()

    def data_ptr(self):
        _warn_typed_storage_removal()
        return super().data_ptr()

    def fill_(self, value):
        _warn_typed_storage_removal()
        return self._fill(value)

    def clone(self):
        _warn_typed_storage_removal()
        return TypedStorage(self._flat.copy(), self._dtype)

    def cpu(self):
        _warn_typed_storage_removal()
        return self

    def untyped(self):
        """The same memory as bytes."""
        _warn_typed_storage_removal()
        return UntypedStorage(self._flat.view(np.uint8))

    def type(self, dtype=None, non_blocking=False):
        """The legacy class name (``torchless.FloatStorage``); with ``dtype``, a copy converted to it."""
        _warn_typed_storage_removal()
        if dtype is None:
            return f"{__package__}.{_dtype.TENSOR_TYPE_NAMES[self._dtype].removesuffix('Tensor')}Storage"
        return TypedStorage(self._flat.astype(dtype.numpy), dtype)

    def __copy__(self):
        _warn_typed_storage_removal()
        return TypedStorage(self._flat.copy(), self._dtype)

    def __deepcopy__(self, memo):
        return copy.copy(self)


def is_storage(obj):
    """Whether ``obj`` is a storage (typed or untyped)."""
    return isinstance(obj, _Storage)


def untyped_storage(tensor):
    """The bytes of the memory ``tensor`` looks into (shared with its views)."""
    from ._ops.tensor_extras import _storage
    flat = _storage(tensor._data)[0]
    return UntypedStorage(flat.view(np.uint8) if flat.size else np.zeros(0, np.uint8))


def typed_storage(tensor):
    """``tensor.storage()``: the elements of the memory ``tensor`` looks into."""
    from ._ops.tensor_extras import _storage
    return TypedStorage(_storage(tensor._data)[0], tensor.dtype)
