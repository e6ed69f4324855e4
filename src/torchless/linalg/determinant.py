"""Determinants of square matrices: det, and slogdet for when the determinant itself would overflow."""
import collections

import numpy as np

from ..autograd.graph import Node
from ._checks import check_float_matrix


def _inverse_transposed(a):
    return np.swapaxes(np.linalg.inv(a), -1, -2)


class Determinant(Node):
    """``det(A)`` for ``A (*, n, n)``; ``dA = g det(A) A^-T`` (invertible A only)."""

    saved = ("a", "out")

    def forward(self, a):
        self.a, self.out = a, np.asarray(np.linalg.det(a), a.dtype)
        return self.out

    def backward(self, grad):
        return ((grad * self.out)[..., None, None] * _inverse_transposed(self.a),)

    def name(self):
        return "LinalgDetBackward0"


class LogAbsDeterminant(Node):
    """``log|det(A)|``; ``dA = g A^-T``."""

    saved = ("a",)

    def forward(self, a, logabsdet=None):
        self.a = a
        return logabsdet

    def backward(self, grad):
        return (grad[..., None, None] * _inverse_transposed(self.a),)

    def name(self):
        return "LinalgSlogdetBackward0"


slogdet_result = collections.namedtuple("slogdet", ("sign", "logabsdet"))
slogdet_result.__module__ = "torchless.return_types"


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
    return slogdet_result(Tensor._wrap(np.asarray(sign, a.dtype)),
                          LogAbsDeterminant.apply(A, logabsdet=np.asarray(logabsdet, a.dtype)))
