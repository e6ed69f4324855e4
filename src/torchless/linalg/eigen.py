"""Eigenvalues and eigenvectors of general square matrices: linalg.eig and linalg.eigvals (complex results, as
LAPACK's geev gives them: unit eigenvectors, in geev's order)."""
import numpy as np

from ..autograd.graph import Node
from ..return_types import _RETURN_TYPES
from ._checks import check_matrix, scalar_name

_COMPLEX_OF = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}


def _H(array):
    return np.conj(np.swapaxes(array, -1, -2))


class Eigen(Node):
    """eig of ``A (*, n, n)`` packed as ``(*, n, n + 1)``: the eigenvectors, then the eigenvalues as a last column
    (one node for both outputs). PyTorch's gradient: with E_ij = conj(w_j - w_i),
    ``dA = V^-H ((V^H dV - V^H V Re(diag(V^H dV))) / E + diag(dw)) V^H`` (real part for a real A)."""

    complex_aware = True
    saved = ("values", "vectors")

    def forward(self, a):
        dtype = np.dtype(_COMPLEX_OF.get(a.dtype, a.dtype))
        values, vectors = np.linalg.eig(a)
        self.values, self.vectors = values.astype(dtype, copy=False), vectors.astype(dtype, copy=False)
        self.real_input = a.dtype.kind != "c"
        return np.concatenate([self.vectors, self.values[..., :, None]], axis=-1)

    def backward(self, grad):
        values, vectors = self.values, self.vectors
        grad_vectors, grad_values = grad[..., :-1], grad[..., -1]
        inner = _H(vectors) @ grad_vectors
        inner = inner - _H(vectors) @ (vectors * np.diagonal(inner, 0, -2, -1).real[..., None, :])
        gaps = np.conj(values[..., None, :] - values[..., :, None])
        n = values.shape[-1]
        diagonal = np.eye(n, dtype=bool)
        middle = np.where(diagonal, 0, inner / np.where(diagonal, 1, gaps))
        middle = middle + grad_values[..., :, None] * np.eye(n, dtype=middle.dtype)
        gradient = np.linalg.solve(_H(vectors), middle @ _H(vectors))
        return (gradient.real if self.real_input else gradient,)

    def name(self):
        return "LinalgEigBackward0"


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
    packed = Eigen.apply(A)
    return _RETURN_TYPES["linalg_eig"](packed[..., -1], packed[..., :-1])


def eigvals(A):
    r"""The eigenvalues of square matrices, complex, in eig's order. Shape: A :math:`(*, n, n)`, output :math:`(*, n)`."""
    a = A._data
    _check_eig_input("linalg.eigvals", a)
    if not np.isfinite(a).all():  # (PyTorch returns what LAPACK leaves, unchecked: here NaN)
        return A._wrap(np.full(a.shape[:-1], np.nan, _COMPLEX_OF.get(a.dtype, a.dtype)))
    return Eigen.apply(A)[..., -1]
