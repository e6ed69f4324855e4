"""The matrix exponential, by scaling and squaring with a degree-13 Padé approximant (Higham, 2005)."""
import math

import numpy as np

from ..autograd.graph import Node
from ._checks import check_float_matrix

# Padé [13/13] coefficients of exp, and the 1-norm up to which that approximant alone is accurate in float64
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
           10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0,
           1.0)
_THETA13 = 5.371920351148152


def _expm(matrix):
    """exp of one square float64 (or complex128) matrix."""
    n = matrix.shape[0]
    norm = np.abs(matrix).sum(axis=0).max() if n else 0.0
    if not np.isfinite(norm):
        return np.full_like(matrix, np.nan)
    squarings = max(0, math.ceil(math.log2(norm / _THETA13))) if norm > _THETA13 else 0
    a = matrix / 2.0 ** squarings
    b = _PADE13
    identity = np.eye(n)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * identity)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * identity
    result = np.linalg.solve(v - u, v + u)
    for _ in range(squarings):
        result = result @ result
    return result


def _expm_batched(a):
    work = np.complex128 if a.dtype.kind == "c" else np.float64
    if a.size == 0:
        return a.astype(work)
    flat = a.reshape((-1,) + a.shape[-2:]).astype(work)
    out = np.empty_like(flat)
    for i, matrix in enumerate(flat):
        out[i] = _expm(matrix)
    return out.reshape(a.shape)


class MatrixExp(Node):
    """exp(A) for A (*, n, n). Its gradient for G is the upper right block of exp([[A^T, G], [0, A^T]])."""

    saved = ("a",)

    def forward(self, a):
        self.a = a
        return np.ascontiguousarray(_expm_batched(a).astype(a.dtype, copy=False))  # (C order for any layout of a)

    def backward(self, grad):
        n = self.a.shape[-1]
        at = np.swapaxes(self.a, -1, -2)
        block = np.zeros(self.a.shape[:-2] + (2 * n, 2 * n), np.result_type(self.a, grad, np.float64))
        block[..., :n, :n] = at
        block[..., n:, n:] = at
        block[..., :n, n:] = grad
        # (PyTorch's gradient is that block of the exponential: a view, strided as the 2n x 2n result)
        return (_expm_batched(block).astype(self.a.dtype, copy=False)[..., :n, n:],)

    def backward_graph(self, grad):
        # the same block exponential, its blocks copied in as PyTorch's linalg_matrix_exp_differential copies them
        # (A^H twice, then grad: CopySlices nodes)
        n = self.a.shape[-1]
        at = self.graph_input(0, self.a).mH
        block = grad.new_zeros(self.a.shape[:-2] + (2 * n, 2 * n))
        block.narrow(-2, 0, n).narrow(-1, 0, n).copy_(at)
        block.narrow(-2, n, n).narrow(-1, n, n).copy_(at)
        block.narrow(-2, 0, n).narrow(-1, n, n).copy_(grad)
        return (MatrixExp.apply(block).narrow(-2, 0, n).narrow(-1, n, n),)

    def name(self):
        return "LinalgMatrixExpBackward0"


def matrix_exp(A):
    r"""The matrix exponential :math:`\sum_k A^k / k!` of each square matrix of ``A``.

    Shape:
        A: :math:`(*, n, n)`, floating point. Output: the same.
    """
    check_float_matrix("linalg.matrix_exp", A._data)
    return MatrixExp.apply(A)
