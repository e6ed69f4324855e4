"""Determinants of square matrices: det, and slogdet for when the determinant itself would overflow."""

import numpy as np

from ..autograd import forward_ad
from ..autograd._joint import joint_outputs, recording_parts
from ..autograd.graph import Node
from ..return_types import _RETURN_TYPES
from ._checks import check_float_matrix


def _inverse_transposed(a):
    return np.swapaxes(np.linalg.inv(a), -1, -2)


def _singular(a):
    """Which matrices of ``a (*, n, n)`` have no inverse (np.linalg.inv would raise for the batch)."""
    try:
        np.linalg.inv(a)
        return np.zeros(a.shape[:-2], bool)
    except np.linalg.LinAlgError:
        pass
    flat = a.reshape((-1,) + a.shape[-2:])
    singular = np.zeros(len(flat), bool)
    for i, matrix in enumerate(flat):
        try:
            np.linalg.inv(matrix)
        except np.linalg.LinAlgError:
            singular[i] = True
    return singular.reshape(a.shape[:-2])


def _nudged(a):
    """``a`` with each singular matrix made invertible by a tiny change, for a formula that scales its inverse by
    det(A) = 0 (a stand-in for PyTorch's LU with its zero pivots replaced by eps)."""
    a = np.array(a)
    singular = _singular(a)
    eps = np.finfo(a.dtype).eps
    flat = a.reshape((-1,) + a.shape[-2:])
    for i in np.flatnonzero(singular.reshape(-1)):
        u, s, vh = np.linalg.svd(flat[i])
        flat[i] = (u * np.maximum(s, eps * max(1.0, float(s.max(initial=0))))) @ vh
    return flat.reshape(a.shape)


def _relative_change(a, tangent):
    """tr(A^-1 dA) of each matrix: the change of log det(A) along ``tangent`` (both outputs of slogdet's jvp)."""
    return np.trace(np.linalg.solve(a, tangent), axis1=-2, axis2=-1)


def _cofactors(a):
    """The cofactor matrices of the square matrices of the graph tensor ``a (*, n, n)``, as tensors of the graph:
    entry (i, j) is (-1)^(i + j) times the determinant of ``a`` without row i and column j."""
    from .. import stack

    n = a._data.shape[-1]
    if n == 1:
        return a._wrap(np.ones(a._data.shape, a._data.dtype))
    rows = []
    for i in range(n):
        without_row = a[..., [r for r in range(n) if r != i], :]
        rows.append(stack([Determinant.apply(without_row[..., [c for c in range(n) if c != j]], exact=True)
                           * (-1) ** (i + j) for j in range(n)], -1))
    return stack(rows, -2)


def _svd_cofactors(a):
    """The cofactor matrices of ``a (*, n, n)`` as arrays, from its SVD U S Vh: det(U) det(Vh) U adj(S) Vh, whose
    diagonal adj(S) holds the products of all singular values but one (defined for a singular matrix too)."""
    u, s, vh = np.linalg.svd(a)
    n = s.shape[-1]
    others = np.stack([np.prod(np.delete(s, i, axis=-1), axis=-1) for i in range(n)], -1)
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return ((sign[..., None, None] * u * others[..., None, :]) @ vh).astype(a.dtype, copy=False)


def _solve_diagonal(matrix, scale):
    """``scale matrix^-1`` of the graph tensors ``matrix (*, n, n)`` and ``scale (*)``, as PyTorch's det and slogdet
    backward formulas compute ``scale A^-H`` under create_graph: ``linalg.solve(A^H, D)`` for the diagonal ``D``
    made F-transposed (what its lu_solve would take), so the result is a solve's, laid out column-major."""
    from .._ops.index_grids import diag_embed
    from .inverse import solve

    if scale.dtype != matrix.dtype:  # (the real gradient of a complex matrix's log|det|)
        scale = scale.to(matrix.dtype)
    return solve(matrix, diag_embed(scale.unsqueeze(-1).expand(matrix.shape[:-1])).mT)


class Determinant(Node):
    """``det(A)`` for ``A (*, n, n)``; ``dA = g det(A) A^-T``, the cofactors (0 at a singular A, as PyTorch's
    backward without create_graph, unless ``exact``: then the cofactors there too, for _cofactors' minors)."""

    saved = ("a", "out")
    # PyTorch's conjugate formula, grad conj(det(A)) A^-H, computed as it is (a 1x1 matrix's gradient, passed on
    # as it is, keeps its layout)
    complex_aware = complex_aware_graph = True

    def forward(self, a, exact=False):
        self.a, self.out, self.exact = a, np.asarray(np.linalg.det(a), a.dtype), exact
        return self.out

    def backward(self, grad):
        if self.a.shape[-1] == 1:
            # d det/dA = 1: PyTorch passes the gradient on as grad.unsqueeze(-1).unsqueeze(-1).expand_as(A), whose
            # new dims have stride 1 (a gradient expanded from a sum's keeps its stride 0)
            grad = np.asarray(grad)
            return (np.lib.stride_tricks.as_strided(grad, self.a.shape, grad.strides + (grad.itemsize,) * 2,
                                                    writeable=False),)
        if self.a.dtype.kind == "c":
            return (np.conj(self._real_convention_gradient(np.conj(grad))),)
        return (self._real_convention_gradient(grad),)

    def _real_convention_gradient(self, grad):
        scale = (grad * self.out)[..., None, None]
        try:
            return scale * _inverse_transposed(self.a)
        except np.linalg.LinAlgError:
            if self.exact:  # a minor of _cofactors: the true gradient, the cofactors, even where det is 0
                singular = _singular(self.a)
                gradient = scale * _inverse_transposed(_nudged(self.a))
                gradient[singular] = grad[singular][:, None, None] * _svd_cofactors(self.a[singular])
                return gradient
            # An exactly singular matrix (det 0): PyTorch solves with its LU's zero pivots nudged to eps, a finite
            # matrix that the zero scale makes 0 (not the cofactors its create_graph=True formula gives).
            return scale * _inverse_transposed(_nudged(self.a))

    def jvp(self, tangents, arrays, params, out):
        """``d det(A) = det(A) tr(A^-1 dA)``: 0 at an exactly singular A, as PyTorch's (see backward)."""
        a, tangent = arrays[0], tangents[0]
        try:
            return out * _relative_change(a, tangent)
        except np.linalg.LinAlgError:
            return out * _relative_change(_nudged(a), tangent)

    def backward_graph(self, grad):
        a = self.a
        if a.shape[-1] == 1:
            return (grad.unsqueeze(-1).unsqueeze(-1).expand(a.shape),)
        if _singular(a).any():
            # det(A) A^-T is the matrix of cofactors, which a singular matrix has too: the determinants of its
            # minors (their own second derivatives come from this method again)
            cofactors = _cofactors(self.graph_input(0, a))
            return (grad[..., None, None] * (cofactors.conj() if cofactors.is_complex() else cofactors),)
        return (_solve_diagonal(self.graph_input(0, a).mH, grad * self.graph_output(self.out).conj()),)

    def name(self):
        return "LinalgDetBackward0"


class LogAbsDeterminant(Node):
    """``log|det(A)|``; ``dA = g A^-T``."""

    saved = ("a",)

    def forward(self, a, logabsdet=None):
        self.a = a
        return logabsdet

    def backward(self, grad):
        inverse_t = _inverse_transposed(self.a)
        # (a real loss's gradient for complex A, whose log|det| is not holomorphic: g A^-H)
        return (grad[..., None, None] * (np.conj(inverse_t) if inverse_t.dtype.kind == "c" else inverse_t),)

    def backward_graph(self, grad):
        return (_solve_diagonal(self.graph_input(0, self.a).mH, grad),)

    def jvp(self, tangents, arrays, params, out):
        return _relative_change(arrays[0], tangents[0]).real.astype(out.dtype, copy=False)

    def name(self):
        return "LinalgSlogdetBackward0"


class ComplexSign(Node):
    """The sign det(A) / |det(A)| of complex matrices, differentiable as in PyTorch:
    g_A = i Im(conj(sign) g) A^-H."""

    complex_aware = True
    saved = ("a",)

    def forward(self, a, sign=None):
        self.a, self.sign = a, sign
        return sign

    def backward(self, grad):
        turn = np.asarray(1j * (np.conj(self.sign) * grad).imag)
        return (turn[..., None, None] * np.conj(_inverse_transposed(self.a)),)

    def jvp(self, tangents, arrays, params, out):
        return (1j * _relative_change(arrays[0], tangents[0]).imag * out).astype(out.dtype, copy=False)

    def name(self):
        return "LinalgSlogdetBackward0"


def det(A):
    r"""The determinant of each square matrix of ``A``.

    Shape:
        A: :math:`(*, n, n)`. Output: :math:`(*)`.
    """
    check_float_matrix("linalg.det", A._data)
    return Determinant.apply(A)


def slogdet(A):
    r"""``(sign, logabsdet)`` with ``det(A) = sign * exp(logabsdet)``; a singular matrix gives (0, -inf).

    Shape:
        A: :math:`(*, n, n)`. sign, logabsdet: :math:`(*)`.
    """
    from .._tensor import Tensor

    a = A._data
    check_float_matrix("linalg.slogdet", a)
    sign, logabsdet = np.linalg.slogdet(a)
    sign = np.asarray(sign, a.dtype)
    logabsdet = np.asarray(logabsdet, a.real.dtype)  # (real for complex matrices)
    # (a real matrix's sign is an output of the node too, whose gradient PyTorch's formula ignores)
    with recording_parts():
        if a.dtype.kind == "c":
            sign = ComplexSign.apply(A, sign=sign)
        else:
            sign = Tensor._wrap(sign)
            if forward_ad.tangent_array(A) is not None:  # (constant where it is defined: PyTorch's zero tangent)
                forward_ad.set_tangent(sign, np.zeros_like(sign._data))
        logabsdet = LogAbsDeterminant.apply(A, logabsdet=logabsdet)
    return _RETURN_TYPES["linalg_slogdet"](*joint_outputs((sign, logabsdet)))
