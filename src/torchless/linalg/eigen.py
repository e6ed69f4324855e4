"""Eigenvalues and eigenvectors of general square matrices: linalg.eig and linalg.eigvals (complex results, as
LAPACK's geev gives them: unit eigenvectors, in geev's order)."""
import numpy as np

from ..return_types import _RETURN_TYPES
from ._checks import check_matrix, column_major, scalar_name
from .decompositions import Factorization

_COMPLEX_OF = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}


def _H(array):
    return np.conj(np.swapaxes(array, -1, -2))


class Eigen(Factorization):
    """The eigenvalues ``w (*, n)`` and eigenvectors ``V (*, n, n)`` of ``A (*, n, n)``, one node for both as
    PyTorch's. Its gradient: with E_ij = conj(w_j - w_i),
    ``dA = V^-H ((V^H dV - V^H V Re(diag(V^H dV))) / E + diag(dw)) V^H`` (real part for a real A)."""

    complex_aware = True
    saved = factor_names = ("values", "vectors")

    def backward(self, grad):
        values, vectors = self.values, self.vectors
        grad_values, grad_vectors = grad.grads
        n = values.shape[-1]
        middle = np.zeros(vectors.shape, vectors.dtype)
        if grad_vectors is not None:
            inner = _H(vectors) @ grad_vectors
            inner = inner - _H(vectors) @ (vectors * np.diagonal(inner, 0, -2, -1).real[..., None, :])
            middle = _off_diagonal_over(inner, np.conj(values[..., None, :] - values[..., :, None]))
        if grad_values is not None:
            middle = middle + grad_values[..., :, None] * np.eye(n, dtype=middle.dtype)
        # (PyTorch's linalg_solve leaves the gradient column-major; a real A's is a view of its real part)
        gradient = column_major(np.linalg.solve(_H(vectors), middle @ _H(vectors)))
        return (gradient.real if self.real_input else gradient,)

    @staticmethod
    def factor_tangents(tangent, values, vectors, real_input=False):
        """Forward AD, PyTorch's linalg_eig_jvp: with P = V^-1 dA V, ``dw = diag(P)`` and
        ``dV = V X - V Re(diag(V^H V X))``, X = P / (w_j - w_i) off the diagonal, 0 on it."""
        inner = np.linalg.solve(vectors, tangent.astype(vectors.dtype, copy=False) @ vectors)
        change = vectors @ _off_diagonal_over(inner, values[..., None, :] - values[..., :, None])
        change = change - vectors * np.diagonal(_H(vectors) @ change, 0, -2, -1).real[..., None, :]
        return np.diagonal(inner, 0, -2, -1).copy(), change

    def name(self):
        return "LinalgEigBackward0"


def _off_diagonal_over(numerators, gaps):
    """``numerators / gaps`` off the diagonal of each matrix, 0 on it (where the gaps are 0)."""
    diagonal = np.eye(numerators.shape[-1], dtype=bool)
    return np.where(diagonal, 0, numerators / np.where(diagonal, 1, gaps))


def _check_eig_input(name, a):
    check_matrix(name, a)
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"Unknown Complex ScalarType for {scalar_name(a)}")
    if a.dtype == np.float16:
        raise NotImplementedError("\"linalg_eig_out_cpu\" not implemented for 'Half'")


def eig(A):
    r"""``(eigenvalues, eigenvectors)`` of square matrices: complex (complex64 for float32), the eigenvectors as
    columns of unit norm.

    Shape:
        A: :math:`(*, n, n)`. eigenvalues: :math:`(*, n)`, eigenvectors: :math:`(*, n, n)`.
    """
    _check_eig_input("linalg.eig", A._data)
    if not np.isfinite(A._data).all():
        raise RuntimeError("torchless.linalg.eig: input tensor should not contain infs or NaNs.")
    a = A._data
    return _RETURN_TYPES["linalg_eig"](*Eigen.outputs(A, *_eig_factors(a), real_input=a.dtype.kind != "c"))


def _eig_factors(a):
    """The eigenvalues and eigenvectors of ``a`` as PyTorch gives them: complex (complex64 for float32)."""
    dtype = np.dtype(_COMPLEX_OF.get(a.dtype, a.dtype))
    values, vectors = np.linalg.eig(a)
    # (LAPACK's geev writes the vectors column by column)
    return values.astype(dtype, copy=False), column_major(vectors.astype(dtype, copy=False))


def eigvals(A):
    r"""The eigenvalues of square matrices, complex, in eig's order. Shape: A :math:`(*, n, n)`, output :math:`(*, n)`."""
    a = A._data
    _check_eig_input("linalg.eigvals", a)
    if not np.isfinite(a).all():  # (PyTorch returns what LAPACK leaves, unchecked: here NaN)
        return A._wrap(np.full(a.shape[:-1], np.nan, _COMPLEX_OF.get(a.dtype, a.dtype)))
    return Eigen.outputs(A, *_eig_factors(a), real_input=a.dtype.kind != "c")[0]
