"""Inverting square matrices: inv, solve, matrix_power; and the pseudo-inverse pinv."""
import numpy as np

from .._ops._util import broadcast_error
from ..autograd.graph import Node
from ._checks import LinAlgError, NotDifferentiable, check_float, check_float_matrix, scalar_name, singular_error


def _mT(array):
    return np.swapaxes(array, -1, -2)


class Inverse(Node):
    """``Y = A^-1`` for ``A (*, n, n)``; ``dA = -Y^T dY Y^T``."""

    saved = ("out",)

    def forward(self, a):
        try:
            self.out = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise singular_error("linalg.inv", a) from None
        return self.out

    def backward(self, grad):
        inverse_t = _mT(self.out)
        return (-(inverse_t @ grad @ inverse_t),)

    def backward_graph(self, grad):
        inverse_t = self.graph_output(self.out).mT
        return (-(inverse_t @ grad @ inverse_t),)

    def name(self):
        return "LinalgInvExBackward0"


def inv(A):
    r"""The inverse of each square matrix of ``A``.

    Shape:
        A: :math:`(*, n, n)`. Output: :math:`(*, n, n)`.

    Raises ``LinAlgError`` (a RuntimeError) if a matrix is singular.
    """
    check_float_matrix("linalg.inv", A._data)
    return Inverse.apply(A)


class Solve(Node):
    """``X = A^-1 B`` for ``A (*, n, n)`` and ``B (*, n, k)`` (batch dims already broadcast):
    ``dB = A^-T dX``, ``dA = -dB X^T``."""

    saved = ("a", "out")

    def forward(self, a, b):
        try:
            self.out = np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise LinAlgError("torchless.linalg.solve: The solver failed because the input matrix is "
                              "singular.") from None
        self.a = a
        return self.out

    def backward(self, grad):
        grad_b = np.linalg.solve(_mT(self.a), grad)
        grad_a = -(grad_b @ _mT(self.out)) if self.needs_input_grad[0] else None
        return grad_a, grad_b

    def backward_graph(self, grad):
        grad_b = Solve.apply(self.graph_input(0, self.a).mT, grad)
        grad_a = -(grad_b @ self.graph_output(self.out).mT) if self.needs_input_grad[0] else None
        return grad_a, grad_b

    def name(self):
        return "LinalgSolveExBackward0"


def solve(A, B, *, left=True):
    r"""The solution ``X`` of ``A X = B`` (``X A = B`` if not ``left``) for square, invertible ``A``.

    Shape:
        A: :math:`(*, n, n)`. B: :math:`(*, n, k)`, or :math:`(*, n)` (a batch of vectors, when its shape is
        ``A``'s without the last dimension, or it is 1-D). Output: shaped like ``B``, batch dims broadcast.
    """
    a, b = A._data, B._data
    check_float_matrix("linalg.solve", a)
    check_float("linalg.solve", b)
    if a.dtype != b.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{scalar_name(a)} and B of type {scalar_name(b)} instead")
    if not left:  # X A = B  <=>  A^T X^T = B^T
        if b.ndim < 2:
            raise RuntimeError("linalg.solve: Vector broadcasting of the left hand side is not supported for "
                               "left=False. In this case linalg.solve is equivalent to B / A.squeeze(-1)")
        return solve(A.mT, B.mT).mT
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    if vector:
        B = B.unsqueeze(-1)
        b = B._data
    if b.shape[-2] != a.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({a.shape[-2]}x{a.shape[-1]} and {b.shape[-2]}x{b.shape[-1]})")
    error = broadcast_error(a.shape[:-2], b.shape[:-2])
    if error is not None:
        raise error
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if a.shape[:-2] != batch:
        A = A.expand(batch + a.shape[-2:])
    if b.shape[:-2] != batch:
        B = B.expand(batch + b.shape[-2:])
    X = Solve.apply(A, B)
    return X.squeeze(-1) if vector else X


def matrix_power(A, n):
    r"""``A`` multiplied by itself ``n`` times (``n`` = 0 gives the identity, ``n`` < 0 powers the inverse).

    Shape:
        A: :math:`(*, m, m)`. Output: :math:`(*, m, m)`.
    """
    a = A._data
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")
    if n == 0:
        identity = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
        return type(A)._wrap(np.ascontiguousarray(identity))
    if n < 0:
        A, n = inv(A), -n
    # square-and-multiply: log2(n) products instead of n - 1
    result, power = None, A
    while n:
        if n & 1:
            result = power if result is None else result @ power
        n >>= 1
        if n:
            power = power @ power
    return result


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    r"""The Moore-Penrose pseudo-inverse of each matrix of ``A``, dropping singular values below
    ``max(atol, rtol * largest)`` (``rtol`` defaults to ``eps * max(m, n)`` when neither is given).

    Shape:
        A: :math:`(*, m, n)`. Output: :math:`(*, n, m)`.

    Not differentiable here: requesting its gradient raises NotImplementedError.
    """
    a = A._data
    if a.ndim < 2 or a.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"linalg.pinv({scalar_name(a)}{{{list(a.shape)}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types".replace("'", ""))
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    largest = s.max(-1, initial=0, keepdims=True) if s.size else np.zeros(s.shape[:-1] + (1,), s.dtype)
    if atol is None and rtol is None:
        rtol = np.finfo(a.dtype).eps * max(a.shape[-2:])
    threshold = np.maximum(0 if atol is None else atol, (0 if rtol is None else rtol) * largest)
    s_inverse = np.where(s > threshold, 1 / np.where(s > threshold, s, 1), 0).astype(a.dtype)
    value = (_mT(vh) * s_inverse[..., None, :]) @ _mT(u)
    return NotDifferentiable.apply(A, value=value.astype(a.dtype), op="linalg_pinv")
