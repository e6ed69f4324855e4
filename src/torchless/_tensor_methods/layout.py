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
        """The indices of a sparse COO tensor's values: a strided tensor has none (RuntimeError)."""
        _not_sparse("indices", _COORDINATE)

    def values(self):
        """The values of a sparse tensor: a strided tensor has none (RuntimeError)."""
        _not_sparse("values", "sparse tensor layout")

    def coalesce(self):
        """A sparse COO tensor with its duplicate indices summed: refused on a strided tensor (RuntimeError)."""
        _not_sparse("coalesce", _COORDINATE)

    def is_coalesced(self):
        """Whether a sparse COO tensor is coalesced: refused on a strided tensor (RuntimeError)."""
        _not_sparse("is_coalesced", _COORDINATE)

    def crow_indices(self):
        """The compressed row indices of a sparse CSR tensor: a strided tensor has none (RuntimeError)."""
        _not_sparse("crow_indices", _ROW_COMPRESSED)

    def col_indices(self):
        """The column indices of a sparse CSR tensor: a strided tensor has none (RuntimeError)."""
        _not_sparse("col_indices", _ROW_COMPRESSED)

    def ccol_indices(self):
        """The compressed column indices of a sparse CSC tensor: a strided tensor has none (RuntimeError)."""
        _not_sparse("ccol_indices", _COLUMN_COMPRESSED)

    def row_indices(self):
        """The row indices of a sparse CSC tensor: a strided tensor has none (RuntimeError)."""
        _not_sparse("row_indices", _COLUMN_COMPRESSED)

    def dense_dim(self):
        """The number of dense dims: every dim of a strided tensor."""
        return self._data.ndim

    def sparse_dim(self):
        """The number of sparse dims: none for a strided tensor."""
        return 0

    def is_distributed(self):
        """False: torchless tensors live in this process."""
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
