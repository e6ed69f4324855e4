"""Inverting square matrices: inv, solve, matrix_power; and the pseudo-inverse pinv."""
import numpy as np

from .. import _parser_errors
from .._memory_format import contiguous_format
from .._ops._util import broadcast_error, unbroadcast, unbroadcast_tensor
from ..autograd.forward_ad import zero_filled
from ..autograd.graph import Node
from ..return_types import _RETURN_TYPES
from .lstsq import pinv_backward, pinv_jvp
from ._checks import (LinAlgError, batch_prefix, check_float, check_float_matrix, column_major, scalar_name,
                      singular_error)


def _mT(array):
    return np.swapaxes(array, -1, -2)


class Inverse(Node):
    """``Y = A^-1`` for ``A (*, n, n)``; ``dA = -Y^T dY Y^T``."""

    saved = ("out",)
    complex_aware_graph = True  # (backward_graph is PyTorch's -Y^H (dY Y^H) for complex matrices too)

    def forward(self, a, value=None):
        """``value``: the inverse already computed (inv_ex's, inf / nan for a singular matrix)."""
        if value is None:
            value, info = _lu_inverse(a)
            if info.any():
                raise singular_error("linalg.inv", a, info)
        self.out = column_major(value)
        return self.out

    def backward(self, grad):  # (PyTorch's -inverse^H (grad inverse^H), the inner product first)
        inverse_t = _mT(self.out)
        return (-(inverse_t @ (grad @ inverse_t)),)

    def backward_graph(self, grad):
        from .decompositions import _tensor_adjoint

        inverse_h = _tensor_adjoint(self.graph_output(self.out))
        return (-(inverse_h @ (grad @ inverse_h)),)

    def jvp(self, tangents, arrays, params, out):
        return -(out @ tangents[0] @ out)

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


def _lu_inverse(a):
    """``(inverse, info)`` of ``a``: the solution of A X = I as PyTorch computes it (see _lu_solve)."""
    return _lu_solve(a, np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape), True)


def _inv_ex(A, check_errors=False):
    r"""``(inverse, info)``: inv's result, and per matrix the 1-based index of the first zero on the diagonal of its
    LU factorisation's U (0 if none; its inverse then holds inf / nan), raising only if ``check_errors``."""
    from .._tensor import Tensor

    a = A._data
    check_float_matrix("linalg.inv", a)
    value, info = _lu_inverse(a)
    if check_errors and info.any():
        raise singular_error("linalg.inv_ex", a, info)
    return _RETURN_TYPES["linalg_inv_ex"](Inverse.apply(A, value=value), Tensor._wrap(info))


inv_ex = _parser_errors.native_entry(
    "linalg_inv_ex", ("Tensor A, *, bool check_errors=False, TensorList? out=None",), _inv_ex)


def _as_matrices(a, b, vector):
    """``a`` and ``b`` (a column if ``vector``) expanded to their common batch dims."""
    if vector:
        b = b[..., None]
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return np.broadcast_to(a, batch + a.shape[-2:]), np.broadcast_to(b, batch + b.shape[-2:])


def _solution_layout(value, left, vector):
    """linalg.solve's solution ``value`` (matrices) laid out as PyTorch's: LAPACK's column-major matrices, C order
    on the right (the solution's transpose), a batch of vectors (``vector``) in C order."""
    if vector:
        return column_major(value[..., 0]) if value.ndim > 2 else value[..., 0]
    return column_major(value) if left else np.ascontiguousarray(value)


class Solve(Node):
    """``X = A^-1 B`` (``B A^-1`` if not ``left``) for ``A (*, n, n)`` and ``B (*, n, k)`` (``(*, k, n)``), or a
    batch of vectors B (``vector``), batch dims broadcast here: ``dB = A^-T dX``, ``dA = -dB X^T`` (``dX A^-T`` and
    ``-X^T dB`` on the right), each summed back to its input's shape."""

    saved = ("a", "out")

    def forward(self, a, b, left=True, vector=False, value=None):
        """``value``: the solution already computed (solve_ex's, inf / nan for a singular matrix)."""
        self.a_shape, self.b_shape, self.left, self.vector = a.shape, b.shape, left, vector
        a, b = _as_matrices(a, b, vector)
        if value is None:
            value, info = _lu_solve(a, b, left)
            if info.any():
                raise _solver_failed("linalg.solve", a, info)
        self.a, self.out = a, value
        return _solution_layout(value, left, vector)

    def backward(self, grad):
        if self.vector:
            grad = grad[..., None]
        if self.left:
            grad_b = np.linalg.solve(_mT(self.a), grad)
            grad_a = -(grad_b @ _mT(self.out)) if self.needs_input_grad[0] else None
        else:
            grad_b = _mT(np.linalg.solve(self.a, _mT(grad)))
            grad_a = -(_mT(self.out) @ grad_b) if self.needs_input_grad[0] else None
        grad_b = _solution_layout(grad_b, self.left, self.vector)  # (PyTorch's is linalg_solve's own solution)
        return (None if grad_a is None else unbroadcast(grad_a, self.a_shape)), unbroadcast(grad_b, self.b_shape)

    def jvp(self, tangents, arrays, params, out):
        """``dX = A^-1 (dB - dA X)`` (``(dB - X dA) A^-1`` on the right)."""
        tangent_a, tangent_b = zero_filled(tangents, arrays)
        tangent_a, tangent_b = _as_matrices(tangent_a, tangent_b, self.vector)
        x = self.out
        if self.left:
            change = np.linalg.solve(self.a, tangent_b - tangent_a @ x)
        else:
            change = _mT(np.linalg.solve(_mT(self.a), _mT(tangent_b - x @ tangent_a)))
        return change[..., 0] if self.vector else change

    def backward_graph(self, grad):
        a = self.graph_input(0, self.a)
        if self.vector:  # (the output, as this node gave it: a vector)
            out, grad = self.graph_output(self.out[..., 0]).unsqueeze(-1), grad.unsqueeze(-1)
        else:
            out = self.graph_output(self.out)
        grad_b = Solve.apply(a.mT, grad, left=self.left)
        grad_a = None
        if self.needs_input_grad[0]:
            grad_a = unbroadcast_tensor(-(grad_b @ out.mT) if self.left else -(out.mT @ grad_b), self.a_shape)
        if self.vector:
            grad_b = grad_b.squeeze(-1)
        return grad_a, unbroadcast_tensor(grad_b, self.b_shape)

    def name(self):
        return "LinalgSolveExBackward0"


def _lu_solve(a, b, left):
    """``(X, info)`` for A X = B (X A = B if not ``left``) from A's LU factorisation as PyTorch computes it (see
    lu.factor): which matrices are singular (info) is then PyTorch's; their solutions hold inf / nan."""
    from .lu import factor, solve_with

    lu, pivots, info = factor(a)
    if left:
        return solve_with(lu, pivots, b), info
    return _H(solve_with(lu, pivots, _H(b), adjoint=True)), info  # X A = B  <=>  A^H X^H = B^H


def _H(array):
    return np.conj(_mT(array))


def _solver_failed(name, a, info):
    """LinAlgError for the first singular matrix of ``a`` (``info``: LU's first zero pivot per matrix)."""
    index = next(i for i in np.ndindex(info.shape) if info[i])
    prefix = batch_prefix(a, index)
    return LinAlgError(f"torchless.{name}: {prefix}The solver failed because the input matrix is singular.")


def _check_solve_operands(name, a, b, left):
    """PyTorch's checks of solve's operands; returns whether ``b`` is a batch of vectors."""
    check_float_matrix(name, a)
    check_float(name, b)
    if a.dtype != b.dtype:
        raise RuntimeError(f"{name}: Expected A and B to have the same dtype, but found A of type "
                           f"{scalar_name(a)} and B of type {scalar_name(b)} instead")
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    rows, columns = (b.shape[-1], 1) if vector else b.shape[-2:]
    if (rows if left else columns) != a.shape[-1]:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'} "
                           f"({a.shape[-2]}x{a.shape[-1]} and {rows}x{columns})")
    if vector and not left:
        raise RuntimeError(f"{name}: Vector broadcasting of the left hand side is not supported for left=False. In "
                           f"this case {name} is equivalent to B / A.squeeze(-1)")
    error = broadcast_error(a.shape[:-2], b.shape[:-2] if not vector else b.shape[:-1])
    if error is not None:
        raise error
    return vector


def solve(A, B, *, left=True):
    r"""The solution ``X`` of ``A X = B`` (``X A = B`` if not ``left``) for square, invertible ``A``.

    Shape:
        A: :math:`(*, n, n)`. B: :math:`(*, n, k)`, or :math:`(*, n)` (a batch of vectors, when its shape is
        ``A``'s without the last dimension, or it is 1-D). Output: shaped like ``B``, batch dims broadcast.
    """
    vector = _check_solve_operands("linalg.solve", A._data, B._data, left)
    return Solve.apply(A, B, left=bool(left), vector=vector)


def _solve_ex(A, B, left=True, check_errors=False):
    r"""``(result, info)``: solve's result, and per matrix the 1-based index of the first zero on the diagonal of A's
    LU factorisation's U (0 if none; its solution then holds inf / nan), raising only if ``check_errors``."""
    from .._tensor import Tensor

    vector = _check_solve_operands("linalg.solve", A._data, B._data, left)
    a, b = _as_matrices(A._data, B._data, vector)
    value, info = _lu_solve(a, b, left)
    if check_errors and info.any():
        raise _solver_failed("linalg.solve_ex", a, info)
    X = Solve.apply(A, B, left=bool(left), vector=vector, value=value)
    return _RETURN_TYPES["linalg_solve_ex"](X, Tensor._wrap(info))


solve_ex = _parser_errors.native_entry(
    "linalg_solve_ex", ("Tensor A, Tensor B, *, bool left=True, bool check_errors=False, TensorList? out=None",),
    _solve_ex)


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
        if not A.requires_grad:
            return type(A)._wrap(np.ascontiguousarray(identity))
        # PyTorch's A.clone().copy_(eye): a result in A's graph (CopyBackwards), of zero gradient
        return A.clone(memory_format=contiguous_format).copy_(type(A)._wrap(identity))
    # PyTorch's products, whose order its graph shows: a copy for 1 (the inverse itself for -1), (A @ A) @ A for 3,
    # else square-and-multiply (log2(n) products instead of n - 1)
    if n == 1:
        return A.clone(memory_format=contiguous_format)
    if n < 0:
        A, n = inv(A), -n
    if n == 3:
        return (A @ A) @ A
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
    return PseudoInverse.apply(A, value=value.astype(a.dtype))


class PseudoInverse(Node):
    """The pseudo-inverse ``value`` of ``A``, computed by pinv; its gradient and tangent are PyTorch's
    (pinv_backward, pinv_jvp)."""

    saved = ("a", "out")
    complex_aware = True  # (pinv_backward is PyTorch's conjugate Wirtinger formula)

    def forward(self, a, value=None):
        self.a, self.out = a, value
        return value

    def backward(self, grad):
        return (pinv_backward(grad, self.out, self.a),)

    def backward_graph(self, grad):
        from .decompositions import _tensor_adjoint

        return (pinv_backward(grad, self.graph_output(self.out), self.graph_input(0, self.a),
                              adjoint=_tensor_adjoint),)

    def jvp(self, tangents, arrays, params, out):
        return pinv_jvp(tangents[0], out, arrays[0])

    def name(self):
        return "LinalgPinvBackward0"
