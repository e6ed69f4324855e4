"""How the key of ``t[key]`` (or of an index argument) becomes a NumPy key, by PyTorch's rules: tensors inside it
become arrays (byte tensors masks), lists index tensors, a 0-d integer tensor an int."""
import operator

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from .._user_warnings import warn_from_user_code


_SEQUENCE_AS_TUPLE_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in pytorch 2.9; use "
    "x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor index, x[torch.tensor(seq)], "
    "which will result either in an error or a different result (Triggered internally at "
    "/__w/pytorch/pytorch/torch/csrc/autograd/python_variable_indexing.cpp:{}.)"
)


def _sequence_as_tuple(key):
    """Whether PyTorch reads the list ``key`` of ``t[key]`` as a tuple of indices (NumPy's old rule, kept with a
    deprecation warning): fewer than 32 items, one of them a tensor, a sequence, a slice, Ellipsis or None.
    Warns as PyTorch does, naming the check that matched first."""
    if len(key) >= 32:
        return False
    for item in key:
        if isinstance(item, (Tensor, slice, list, tuple, str, bytes, range, np.ndarray)):
            line = 349
        elif item is None or item is Ellipsis:
            line = 359
        else:
            continue
        warn_from_user_code(_SEQUENCE_AS_TUPLE_WARNING.format(line))
        return True
    return False


_BYTE_INDEX_WARNING = ("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool instead. "
                       "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/IndexingUtils.h:37.)")


def _list_index(key):
    """An index array for a list ``key``, as PyTorch's indexing_tensor_from_data makes it: bools stay a mask, any
    other data becomes int64 (floats truncated, an empty list an empty int64 index)."""
    items = [k.item() if isinstance(k, Tensor) else k for k in key]
    array = np.asarray(items)
    if array.dtype.kind in "biu" and array.dtype != np.uint64:
        return array
    if array.size == 0 or array.dtype.kind == "f" and np.abs(array).max() < 2.0**63:
        return array.astype(np.int64)
    # stored number by number as int64, as by torch.tensor(key, dtype=torch.int64): its errors for an int beyond
    # int64, a float beyond it (or NaN), a complex number
    from .._creation import tensor

    return tensor(items, dtype=_dtype.int64)._data


def index_key(key, subscript=False):
    """A NumPy key for ``key``: tensors inside it become arrays (byte tensors masks, as in PyTorch).

    ``subscript``: the key of ``t[key]``, where PyTorch selects with a 0-d integer tensor as with an int (a view)
    and reads a Python bool as a 0-d mask (advanced indexing, a copy), where NumPy would take a bool for an int.
    """
    if isinstance(key, range):  # a sequence, read as a list is
        key = list(key)
    if subscript and type(key) is list and _sequence_as_tuple(key):
        key = tuple(key)
    if isinstance(key, tuple):
        return tuple(index_key(list(k) if isinstance(k, (tuple, range)) else k,
                                subscript and not isinstance(k, list)) for k in key)
    if subscript and isinstance(key, np.bool_):  # (unlike a Python bool, no 0-d mask: PyTorch names its type)
        from ..nn._functional._args import _tp_name

        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                         f"valid indices (got {_tp_name(key)})")
    if subscript and isinstance(key, bool):
        return np.asarray(key)
    if isinstance(key, Tensor):
        kind = key._data.dtype.kind
        wide_unsigned = kind == "u" and key._data.dtype.itemsize > 1
        if subscript and (kind == "i" or wide_unsigned) and not key._data.ndim:
            return int(key._data)
        if kind in "fc" or kind == "i" and key._data.dtype.itemsize < 4 or wide_unsigned:
            # (int8, int16 and the unsigned types but uint8 are no index dtypes)
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if key._data.dtype == np.uint8:
            if key._data.ndim:  # (a 0-d one is read as a bool, without the warning)
                warn_from_user_code(_BYTE_INDEX_WARNING)
            return key._data.astype(bool)
        return key._data
    if isinstance(key, np.ndarray) and key.dtype.kind in "uf":
        # an array becomes an index tensor as data does: uint8 a (deprecated) byte mask, floats truncated (a 0-d
        # one then selecting as an int does)
        if key.dtype == np.uint8:
            if key.ndim:
                warn_from_user_code(_BYTE_INDEX_WARNING)
            return key.astype(bool)
        return key.astype(np.int64) if key.ndim or not subscript else int(key)
    if isinstance(key, list):
        return _list_index(key)
    if subscript and not isinstance(key, (int, slice, np.ndarray, np.generic, str)) and key is not None and \
            key is not Ellipsis and hasattr(type(key), "__index__"):
        return operator.index(key)  # (any object __index__ converts selects as its int does)
    return key



_REFUSED_INDEX_DTYPE = "tensors used as indices must be long, int, byte or bool tensors"


def subscript_key(shape, key):
    """The NumPy key of ``t[key]`` for a tensor of ``shape``. An index tensor of a dtype PyTorch refuses fails only
    after what PyTorch checks before it reads the index tensors: the number of dims, the ints and slices in order."""
    if type(key) is str:  # a sequence to PyTorch too, of str items: read as their tuple (which is refused)
        _sequence_as_tuple(list(key))
    try:
        return index_key(key, subscript=True)
    except IndexError as refused:
        if str(refused) != _REFUSED_INDEX_DTYPE:
            raise
        from .._ops.indexing import index_error

        error = index_error(shape, index_key(_with_index_dtypes(key), subscript=True), None, basic_only=True)
        raise (error or refused) from None


def _with_index_dtypes(key):
    """``key`` with each index tensor of a refused dtype replaced by an int64 index array of its shape (of 1 element
    for a 0-d one, still an index tensor rather than an int)."""
    if isinstance(key, tuple):
        return tuple(_with_index_dtypes(part) for part in key)
    if isinstance(key, Tensor) and (key._data.dtype.kind in "fc" or key._data.dtype.kind == "i"
                                    and key._data.dtype.itemsize < 4):
        return np.zeros(key._data.shape or (1,), np.int64)
    return key
