"""Triangular systems: solve_triangular, by substitution (a zero on the diagonal gives inf / nan, as BLAS trsm)."""
import numpy as np

from .. import _parser_errors
from .._memory_format import c_ordered
from .._ops._util import broadcast_error, unbroadcast, unbroadcast_tensor
from ..autograd.graph import Node
from ._checks import check_matrix, column_major, scalar_name


def _mT(array):
    return np.swapaxes(array, -1, -2)


def substitute(triangle, b, upper, unitriangular=False):
    """The solution X of ``triangle X = b`` (batch dims already broadcast), reading only the ``upper`` (else
    lower) triangle of ``triangle`` and taking its diagonal as ones if ``unitriangular``: one row per step,
    vectorised over the batch and the columns of ``b``."""
    n = triangle.shape[-1]
    x = np.zeros(np.broadcast_shapes(triangle.shape[:-2], b.shape[:-2]) + b.shape[-2:],
                 np.result_type(triangle, b))
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in (range(n - 1, -1, -1) if upper else range(n)):
            known = slice(i + 1, n) if upper else slice(0, i)
            row = b[..., i, :] - (triangle[..., i:i + 1, known] @ x[..., known, :])[..., 0, :]
            x[..., i, :] = row if unitriangular else row / triangle[..., i, i, None]
    return x


def triangle_of(array, upper, unitriangular):
    """The part of ``array`` a triangular solve reads (and so the part its gradient lives on)."""
    part = np.triu(array, 1 if unitriangular else 0) if upper else np.tril(array, -1 if unitriangular else 0)
    return part


class TriangularSolve(Node):
    """``X = T^-1 B`` (``B T^-1`` if not ``left``) for the triangle T of ``A (*, n, n)`` and ``B`` (batch dims
    broadcast, computed in A's dtype). Worked in the left frame (a right solve is the left solve of the
    transposes, whose triangle is the other one): ``dB = T^-T dX``, ``dA = triangle(-dB X^T)``. Broadcast batch
    dims are the node's own, as PyTorch's (no ExpandBackward0 before it): its gradients summed back to A's and B's
    shapes, as PyTorch's engine sums them (sum_to)."""

    saved = ("a", "out")

    def forward(self, a, b, upper=True, left=True, unitriangular=False):
        self.a, self.upper, self.left, self.unitriangular, self.b_dtype = a, upper, left, unitriangular, b.dtype
        self.a_shape, self.b_shape = a.shape, b.shape
        b = b.astype(a.dtype, copy=False)
        if left:
            self.out = substitute(a, b, upper, unitriangular)
        else:
            self.out = _mT(substitute(_mT(a), _mT(b), not upper, unitriangular))
        self.out = column_major(self.out)
        return self.out

    def _in_left_frame(self, array):
        return array if self.left else _mT(array)

    def backward(self, grad):
        a, out, g = (self._in_left_frame(array) for array in (self.a, self.out, grad))
        upper = self.upper == self.left  # the triangle in the left frame
        grad_b = substitute(_mT(a), g, not upper, self.unitriangular)
        grad_a = None
        if self.needs_input_grad[0]:
            # (PyTorch's -(dB X^H), or -(X^H dB) for a right solve: a matmul's C-ordered result)
            grad_a = unbroadcast(c_ordered(self._in_left_frame(triangle_of(-(grad_b @ _mT(out)), upper,
                                                                           self.unitriangular))), self.a_shape)
        # (B's gradient is PyTorch's solve_triangular of it: laid out column by column as LAPACK's trsm writes it)
        grad_b = column_major(self._in_left_frame(grad_b).astype(self.b_dtype, copy=False))
        return grad_a, unbroadcast(grad_b, self.b_shape)

    def backward_graph(self, grad):
        a, out = self.graph_input(0, self.a), self.graph_output(self.out)
        grad_b = TriangularSolve.apply(a.mT, grad, upper=not self.upper, left=self.left,
                                       unitriangular=self.unitriangular)
        grad_a = None
        if self.needs_input_grad[0]:
            product = -(grad_b @ out.mT) if self.left else -(out.mT @ grad_b)
            offset = 1 if self.unitriangular else 0
            grad_a = unbroadcast_tensor(product.triu(offset) if self.upper else product.tril(-offset), self.a_shape)
        return grad_a, unbroadcast_tensor(grad_b._cast(self.b_dtype), self.b_shape)

    def name(self):
        return "LinalgSolveTriangularBackward0"


def _check_operands(a, b, left):
    name = "linalg.solve_triangular"
    check_matrix(name, a)
    check_matrix(name, b, square=False, tensor_name="B")
    if a.dtype.kind not in "fc" or a.dtype == np.float16:  # (the kernel is chosen by A's dtype; B is cast to it)
        raise NotImplementedError(f"\"triangular_solve_cpu\" not implemented for '{scalar_name(a)}'")
    n, rows = a.shape[-1], b.shape[-2] if left else b.shape[-1]
    if rows != n:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {equation} ({n}x{n} and "
                           f"{b.shape[-2]}x{b.shape[-1]})")
    error = broadcast_error(b.shape[:-2], a.shape[:-2])  # (PyTorch names B's batch first)
    if error is not None:
        raise error


def _solve_triangular(input, B, upper, left=True, unitriangular=False):
    r"""The solution X of ``A X = B`` (``X A = B`` if not ``left``) for the upper (or lower) triangle of ``A``,
    its diagonal taken as ones if ``unitriangular``. B is computed in A's dtype.

    Shape:
        A: :math:`(*, n, n)`. B: :math:`(*, n, k)` (:math:`(*, k, n)` if not ``left``). Output: B's, batch dims
        broadcast.
    """
    _check_operands(input._data, B._data, left)
    return TriangularSolve.apply(input, B, upper=bool(upper), left=bool(left), unitriangular=bool(unitriangular))


solve_triangular = _parser_errors.native_entry(
    "linalg_solve_triangular",
    ("Tensor input, Tensor B, *, bool upper, bool left=True, bool unitriangular=False, Tensor? out=None",),
    _solve_triangular)
