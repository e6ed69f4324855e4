"""``default_collate`` and ``default_convert``: how the DataLoader turns samples into batched tensors.

The dispatch follows PyTorch's: an ordered map from element type to a collate function, tried first by
exact type, then by ``isinstance`` in insertion order, then the container rules (mappings, named
tuples, sequences). Plain tuples become lists and Python ints/floats become int64/float64 tensors,
exactly as PyTorch does.
"""
import collections.abc
import copy
import re

import numpy as np

from ..._creation import as_tensor, tensor
from ..._dtype import float64
from ..._functions import stack
from ..._tensor import Tensor

_STRING_OR_OBJECT_DTYPE = re.compile(r"[SaUO]")

_ERROR_FORMAT = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _collate_tensors(batch, *, collate_fn_map=None):
    return stack(batch, 0)  # as handed over: stack refuses a batch that is not a list or tuple, as PyTorch's


def _collate_arrays(batch, *, collate_fn_map=None):
    if _STRING_OR_OBJECT_DTYPE.search(batch[0].dtype.str) is not None:
        raise TypeError(_ERROR_FORMAT.format(batch[0].dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def _collate_numpy_scalars(batch, *, collate_fn_map=None):
    # torch.as_tensor of the batch itself: each scalar keeps its dtype (float64 stays float64) and a Python number
    # among them counts as of the default dtype (np.float32 with 2.5 gives float32, where NumPy would give float64)
    return as_tensor(batch)


def _collate_floats(batch, *, collate_fn_map=None):
    return tensor(list(batch), dtype=float64)


def _collate_ints(batch, *, collate_fn_map=None):
    return tensor(list(batch))


def _collate_unchanged(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {
    Tensor: _collate_tensors,
    np.ndarray: _collate_arrays,
    (np.bool_, np.number, np.object_): _collate_numpy_scalars,
    float: _collate_floats,
    int: _collate_ints,
    str: _collate_unchanged,
    bytes: _collate_unchanged,
}


def collate(batch, *, collate_fn_map=None):
    """Collate ``batch`` (a sequence of samples) with the element-type handlers in ``collate_fn_map``.

    Mappings, named tuples and sequences are collated field by field, recursively.
    """
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type, collate_fn in collate_fn_map.items():
            if isinstance(elem, collate_type):
                return collate_fn(batch, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        fields = {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem}
        return _rebuild_mapping(elem, fields)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return fields  # PyTorch returns lists for tuples, for backwards compatibility
        return _rebuild_sequence(elem, fields)
    raise TypeError(_ERROR_FORMAT.format(elem_type))


def _rebuild_mapping(like, fields):
    """A mapping of ``like``'s type holding ``fields``, or a dict if that type cannot be built so."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(fields)
            return clone
        return type(like)(fields)
    except TypeError:
        return fields


def _rebuild_sequence(like, items):
    """A sequence of ``like``'s type holding ``items``, or a list if that type cannot be built so."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(like)(items)
    except TypeError:
        return items


def default_collate(batch):
    """Stack a list of samples into a batch with a new leading dimension, as PyTorch's ``default_collate``.

    Tensors are stacked; NumPy arrays and NumPy scalars become tensors of their own dtype; Python ``int``
    becomes an int64 tensor (``bool`` a bool tensor), ``float`` a float64 tensor; ``str``/``bytes`` are
    returned unchanged; mappings, named tuples and sequences are collated per field (tuples become lists).

    Raises:
        TypeError: for elements of any other type, or arrays of strings/objects.
        RuntimeError: when sequence samples differ in length.
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """Turn NumPy arrays and scalars inside ``data`` into tensors, leaving everything else unchanged.

    The DataLoader applies this to each sample when automatic batching is off (``batch_size=None``).
    """
    data_type = type(data)
    if isinstance(data, Tensor):
        return data
    # NumPy's str_ is kept as it is; any other NumPy type goes to as_tensor, a bytes_ too (refused there, as in PyTorch)
    if data_type.__module__ == "numpy" and data_type.__name__ != "str_":
        if isinstance(data, np.ndarray) and _STRING_OR_OBJECT_DTYPE.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return data_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data
