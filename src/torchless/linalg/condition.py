"""The condition number of matrices, linalg.cond, composed as PyTorch composes it (so its grad_fn too)."""
import math

import numpy as np

from .. import _parser_errors
from ._checks import check_matrix

_SCALAR_ORDERS = (1, -1, 2, -2, math.inf, -math.inf)
_STRING_ORDERS = ("fro", "nuc")


def _to_string(order):
    """The order as PyTorch's square-matrix message prints it: C++'s std::to_string of an int or of a double."""
    if isinstance(order, (bool, int)):
        return str(int(order))
    return "inf" if order == math.inf else "-inf" if order == -math.inf else f"{order:f}"


def _streamed(order):
    """The order as PyTorch's invalid-order message prints a Scalar (C++'s stream: 6 significant digits)."""
    return str(int(order)) if isinstance(order, (bool, int)) else f"{order:g}"


def _empty_condition(A):
    """0 for each matrix of an empty batch or of empty matrices (NumPy defines none)."""
    a = A._data
    return A._wrap(np.zeros(a.shape[:-2], a.real.dtype))


def _via_inverse(A, order):
    """||A|| ||A^-1|| in the norm ``order``: a singular matrix's inverse is taken as infinite, and 0 * inf as inf."""
    from .inverse import inv_ex
    from .norms import matrix_norm

    inverse, info = inv_ex(A)
    inverse = inverse.masked_fill((info > 0).unsqueeze(-1).unsqueeze(-1), math.inf)
    product = matrix_norm(A, order) * matrix_norm(inverse, order)
    return product.nan_to_num_(math.inf, math.inf, -math.inf)


def _cond(input, p=None, overload=0):
    r"""The condition number of each matrix of ``input`` in the norm ``p``: ``None`` or 2 (the ratio of the extreme
    singular values; -2 its inverse), ±1, ±inf, ``'fro'`` or ``'nuc'`` (these for square matrices only).

    Shape:
        input: :math:`(*, m, n)`. Output: :math:`(*)`, real.
    """
    from .decompositions import svdvals

    a = input._data
    if overload == 1:  # a string order
        check_matrix(f"linalg.cond(ord={p})", a)
        if p not in _STRING_ORDERS:
            raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
        if not a.size:
            return _empty_condition(input)
        if p == "nuc":  # (matrix_norm's nuclear norm refuses infinities: the definition directly)
            values = svdvals(input)
            return values.sum(-1) * values.reciprocal().sum(-1)
        return _via_inverse(input, p)
    if a.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    order = 2 if p is None else int(p) if isinstance(p, bool) else p
    if order not in _SCALAR_ORDERS:
        raise RuntimeError(f"linalg.cond got an invalid norm type: {_streamed(order)}")
    if not a.size:
        return _empty_condition(input)
    if abs(order) == 2:
        values = svdvals(input)
        largest, smallest = values.narrow(-1, 0, 1), values.narrow(-1, -1, 1)
        return (smallest / largest if order == -2 else largest / smallest).squeeze(-1)
    check_matrix(f"linalg.cond(ord={_to_string(order)})", a)
    return _via_inverse(input, order)


cond = _parser_errors.native_entry(
    "linalg_cond", ("Tensor input, Number? p=None, *, Tensor? out=None", "Tensor input, str p, *, Tensor? out=None"),
    _cond)
