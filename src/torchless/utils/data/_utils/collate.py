"""``torch.utils.data._utils.collate``'s names for torchless's collate functions (kept in ``.._collate``), so that
``from torch.utils.data._utils.collate import collate, default_collate_fn_map`` runs unchanged."""
from .._collate import (
    _collate_arrays as collate_numpy_array_fn,
    _collate_floats as collate_float_fn,
    _collate_ints as collate_int_fn,
    _collate_numpy_scalars as collate_numpy_scalar_fn,
    _collate_tensors as collate_tensor_fn,
    _collate_unchanged as collate_str_fn,
    _ERROR_FORMAT as default_collate_err_msg_format,
    collate, default_collate, default_collate_fn_map, default_convert,
)

__all__ = ["collate", "collate_float_fn", "collate_int_fn", "collate_numpy_array_fn", "collate_numpy_scalar_fn",
           "collate_str_fn", "collate_tensor_fn", "default_collate", "default_collate_err_msg_format",
           "default_collate_fn_map", "default_convert"]
