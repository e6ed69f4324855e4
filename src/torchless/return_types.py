"""``torch.return_types``: the named tuples of the ops that give several results, e.g. ``torch.max(x, dim)`` ->
``max(values, indices)``, so code can check ``isinstance(r, torch.return_types.max)`` and read ``r.indices``.

Every such type of torchless is made here, named as PyTorch names it (``torch.linalg.svd`` gives a ``linalg_svd``,
``torch.svd`` an ``svd``), so each prints as PyTorch's do and pickles by its name in this module.
"""
import operator


class _ReturnType(tuple):
    """A tuple of an op's results, its fields named by the subclass made for the op (see ``_return_type``)."""

    __slots__ = ()
    _name = ""
    _fields = ()

    def __new__(cls, *results):
        if len(results) != len(cls._fields):
            raise TypeError(f"{cls._name}() takes {len(cls._fields)} results ({len(results)} given)")
        return tuple.__new__(cls, results)

    def __getnewargs__(self):  # pickled as its results
        return tuple(self)

    def __repr__(self):
        fields = ",\n".join(f"{field}={value!r}" for field, value in zip(self._fields, self))
        return f"torchless.return_types.{self._name}(\n{fields})"


def _return_type(name, fields=("values", "indices")):
    namespace = {"__slots__": (), "_name": name, "_fields": fields, "__module__": __name__, "__qualname__": name}
    namespace.update({field: property(operator.itemgetter(i)) for i, field in enumerate(fields)})
    return type(name, (_ReturnType,), namespace)


_FIELDS = {
    **dict.fromkeys(("max", "min", "sort", "topk", "mode", "median", "nanmedian", "kthvalue", "cummax", "cummin"),
                    ("values", "indices")),
    "aminmax": ("min", "max"),
    "frexp": ("mantissa", "exponent"),
    "histogram": ("hist", "bin_edges"),
    "histogramdd": ("hist", "bin_edges"),
    "slogdet": ("sign", "logabsdet"),
    "linalg_slogdet": ("sign", "logabsdet"),
    "svd": ("U", "S", "V"),
    "linalg_svd": ("U", "S", "Vh"),
    "qr": ("Q", "R"),
    "linalg_qr": ("Q", "R"),
    "linalg_eigh": ("eigenvalues", "eigenvectors"),
    "linalg_eig": ("eigenvalues", "eigenvectors"),
    "triangular_solve": ("solution", "cloned_coefficient"),
    "linalg_inv_ex": ("inverse", "info"),
    "linalg_solve_ex": ("result", "info"),
    "linalg_cholesky_ex": ("L", "info"),
    "linalg_lstsq": ("solution", "residuals", "rank", "singular_values"),
    "linalg_lu_factor": ("LU", "pivots"),
    "linalg_lu_factor_ex": ("LU", "pivots", "info"),
    "linalg_lu": ("P", "L", "U"),
    "lu_unpack": ("P", "L", "U"),
    "_lu_with_info": ("LU", "pivots", "info"),
    "geqrf": ("a", "tau"),
}

_RETURN_TYPES = {name: _return_type(name, fields) for name, fields in _FIELDS.items()}
# what the out= variants give back (``torch.max(x, 1, out=(values, indices))``: a ``max_out``); PyTorch's
# histogramdd and _lu_with_info have none
_OUT_RETURN_TYPES = {name: _return_type(f"{name}_out", fields) for name, fields in _FIELDS.items()
                     if name not in ("histogramdd", "_lu_with_info")}
globals().update(_RETURN_TYPES)
globals().update({out_type._name: out_type for out_type in _OUT_RETURN_TYPES.values()})

__all__ = sorted([*_RETURN_TYPES, *(out_type._name for out_type in _OUT_RETURN_TYPES.values())])


def out_variant(return_type):
    """The type of the results of ``return_type``'s op when written into out= tensors (``max`` -> ``max_out``)."""
    return _OUT_RETURN_TYPES.get(return_type._name, return_type)
