"""Tensor methods of PyTorch's sparse layouts, as they behave on a strided tensor (the only layout torchless has):
the accessors of a sparse tensor's parts refuse it, the others give the strided answer (``dense_dim`` is its rank,
``to_dense`` the tensor itself)."""
from .. import _dtype, _parser_errors

_COORDINATE = "sparse coordinate tensor layout"
_ROW_COMPRESSED = "sparse row compressed tensor layout"
_COLUMN_COMPRESSED = "sparse column compressed tensor layout"


def _not_sparse(name, layout):
    raise RuntimeError(f"{name} expected {layout} but got Strided")


class LayoutMethods:
    def indices(self):
        _not_sparse("indices", _COORDINATE)

    def values(self):
        _not_sparse("values", "sparse tensor layout")

    def coalesce(self):
        _not_sparse("coalesce", _COORDINATE)

    def is_coalesced(self):
        _not_sparse("is_coalesced", _COORDINATE)

    def crow_indices(self):
        _not_sparse("crow_indices", _ROW_COMPRESSED)

    def col_indices(self):
        _not_sparse("col_indices", _ROW_COMPRESSED)

    def ccol_indices(self):
        _not_sparse("ccol_indices", _COLUMN_COMPRESSED)

    def row_indices(self):
        _not_sparse("row_indices", _COLUMN_COMPRESSED)

    def dense_dim(self):
        """The number of dense dims: every dim of a strided tensor."""
        return self._data.ndim

    def sparse_dim(self):
        """The number of sparse dims: none for a strided tensor."""
        return 0

    def is_distributed(self):
        return False

    def const_data_ptr(self):
        """The address of the first element (see ``data_ptr``)."""
        return self.data_ptr()

    def to_dense(self, dtype=None, *, masked_grad=None):
        """This tensor (strided already), converted to ``dtype`` if one is given."""
        if dtype is None:
            return self
        if not _dtype.is_argument(dtype):
            raise _parser_errors.wrong_type("to_dense", "dtype", 1, dtype, "torchless.dtype")
        return self.to(dtype)
