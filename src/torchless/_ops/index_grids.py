"""Index grids and diagonals: tril_indices / triu_indices, vander, unravel_index, combinations, diag_embed,
diagflat.
"""
import itertools
import math
import numbers

import numpy as np

from .. import _dtype, _parser_errors
from .._tensor import Tensor
from .._type_promotion import promote
from ..autograd import forward_ad
from ._util import as_tensor
from .shape import DiagEmbed


def _triangle_arguments(name, row, col, offset):
    """tril_indices/triu_indices's ints as PyTorch's parser takes them (offset by keyword where it was so given)."""
    if type(row) is int and type(col) is int and type(offset) is int:
        return row, col, offset
    from .._written_call import user_call

    written = user_call(name)
    by_keyword = written is not None and "offset" in written.keywords
    args, kwargs = ((row, col), {"offset": offset}) if by_keyword else ((row, col, offset), {})
    parsed = _parser_errors.parse(name, ("int row, int col, int offset=0",), args, kwargs)
    return parsed["row"], parsed["col"], parsed["offset"]


def _triangle_indices(name, triangle, row, col, offset, dtype, device, requires_grad):
    """The (2, N) coordinates of ``triangle`` (NumPy's tril_indices or triu_indices), with PyTorch's checks in its
    order: the sizes, the dtype (int32 or int64), the device, requires_grad."""
    row, col, offset = _triangle_arguments(name, row, col, offset)
    for argument, size in (("row", row), ("col", col)):
        if size < 0:
            raise RuntimeError(f"{argument} must be non-negative, got{size}")
    np_dtype = np.dtype(np.int64) if dtype is None else _dtype.to_numpy_dtype(dtype)
    if np_dtype not in (np.int32, np.int64):
        raise NotImplementedError(f"\"{name}\" not implemented for '{_dtype.from_numpy_dtype(np_dtype).scalar_name}'")
    if device is not None:
        from .._device import require_cpu

        require_cpu(device)
    if requires_grad:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    return Tensor._wrap(np.stack(triangle(row, offset, col)).reshape(2, -1).astype(np_dtype))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False, requires_grad=False):
    """The (2, N) coordinates of the lower triangle of a row x col matrix (diagonal ``offset``), int64 or int32."""
    return _triangle_indices("tril_indices", np.tril_indices, row, col, offset, dtype, device, requires_grad)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False, requires_grad=False):
    """The (2, N) coordinates of the upper triangle of a row x col matrix (diagonal ``offset``), int64 or int32."""
    return _triangle_indices("triu_indices", np.triu_indices, row, col, offset, dtype, device, requires_grad)


def _vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D ``x``: columns x^(N-1), ..., x, 1 (the other way with ``increasing``);
    ``N`` columns, ``len(x)`` by default. Integers and bools give int64."""
    if x._data.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    columns = x._data.shape[0] if N is None else N
    if columns < 0:
        raise RuntimeError("N must be non-negative.")
    # its dtype promoted with int64's (uint16 to uint64 refused), then as PyTorch builds it: ones, x in the columns from
    # the second, their running products in place (so the graph, the version counter and even the failure of its
    # backward are PyTorch's)
    promote(x._data.dtype, np.dtype(np.int64))
    result = x.new_empty((x._data.shape[0], columns), dtype=_dtype.int64 if x._data.dtype.kind in "biu" else None)
    if columns > 0:
        result.fill_(1)
        if columns > 1:
            result[:, 1:].copy_(x.unsqueeze(1))
            result[:, 1:].copy_(result[:, 1:].cumprod(1))
    return result if increasing else result.flip(1)


vander = _parser_errors.native_entry("vander", ("Tensor x, int? N=None, bool increasing=False",), _vander)


def unravel_index(indices, shape):
    """The coordinates in ``shape`` of flat ``indices``: a tuple of tensors, one per dim."""
    indices = as_tensor(indices)
    if indices._data.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got " + str(tuple(shape)))
    size = math.prod(shape)
    flat = indices._data.astype(np.int64)
    if flat.size and (flat.min() < -size or flat.max() >= size):
        raise RuntimeError("'indices' must be in range [-" + f"{size}, {size - 1}]")
    flat = np.where(flat < 0, flat + size, flat)
    return tuple(Tensor._wrap(c.astype(np.int64)) for c in np.unravel_index(flat, shape)) if shape else ()


def combinations(input, r=2, with_replacement=False):
    """The length-``r`` combinations of a 1-D tensor's elements, one per row (itertools' order)."""
    if type(r) is not int or with_replacement.__class__ is not bool:
        r = _parser_errors.parse("combinations", ("Tensor input, int r=2, bool with_replacement=False",),
                                 (input, r, with_replacement))["r"]
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return Tensor._wrap(np.empty(0, input._data.dtype))
    input._no_kernel_for("U", "masked_select")  # (PyTorch selects through a mask of the index grid)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    index = np.array(list(pick(range(input.shape[0]), r)), np.int64).reshape(-1, r)
    return input[Tensor._wrap(index.reshape(-1))].reshape(-1, r)


# ---------------------------------------------------------------------------- diagonals
def diag_embed(self, offset=0, dim1=-2, dim2=-1):
    """A tensor whose (dim1, dim2) diagonals (``offset``) hold the last dim of ``input``, zeros elsewhere."""
    if type(offset) is not int or type(dim1) is not int or type(dim2) is not int:
        parsed = _parser_errors.method_arguments("diag_embed", (offset, dim1, dim2))
        offset, dim1, dim2 = parsed["offset"], parsed["dim1"], parsed["dim2"]
    ndim = self.ndim + 1
    for d in (dim1, dim2):
        if not -ndim <= d < ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {d})")
    if dim1 % ndim == dim2 % ndim:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return DiagEmbed.apply(self, offset=offset, dim1=dim1, dim2=dim2)


def diagflat(self, offset=0):
    """The flattened input as the diagonal ``offset`` of a square matrix."""
    if forward_ad.state.vmap_levels:
        forward_ad.warn_fallback("aten::diagflat", (self,))
    return diag_embed(self.reshape(-1), offset)
