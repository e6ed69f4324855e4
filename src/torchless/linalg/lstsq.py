"""Least-squares solutions: linalg.lstsq, with the fields each LAPACK driver fills (PyTorch's CPU drivers)."""
import numpy as np

from .. import _parser_errors
from .._memory_format import c_ordered
from .._ops._util import broadcast_error, unbroadcast
from ..autograd._joint import joint_outputs, recording_parts
from ..autograd.graph import Node, no_graph_backward_message
from ..autograd.saved_values import SavedInput, saved_result
from ..return_types import _RETURN_TYPES
from ._checks import column_major, no_elements, scalar_name

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _H(array):
    return np.conj(np.swapaxes(array, -1, -2))


def pinv_backward(grad, pinv, a, adjoint=_H):
    """The gradient of A from that of its pseudo-inverse (PyTorch's pinv_backward, in the smaller dimension): of
    arrays, or of tensors of the graph with their ``adjoint``. The sum starts with an adjoint, whose layout PyTorch's
    result keeps: arrays come back column-major, but for a size-1 or empty dim of the matrix, where that adjoint's
    order is ambiguous and TensorIterator falls back to C order."""
    m, n = a.shape[-2:]
    _H = adjoint
    pinv_h, grad_h = _H(pinv), _H(grad)
    if m <= n:
        k = grad_h @ pinv
        k_pinv_h = k @ pinv_h
        result = -_H(pinv @ k) + k_pinv_h - (a @ pinv) @ k_pinv_h + (pinv_h @ pinv) @ (grad_h - k @ a)
    else:
        k = pinv @ grad_h
        pinv_h_k = pinv_h @ k
        result = -_H(k @ pinv) + (grad_h - a @ k) @ pinv @ pinv_h + pinv_h_k - pinv_h_k @ pinv @ a
    if not isinstance(result, np.ndarray):
        return result
    return column_major(result) if min(m, n) > 1 else c_ordered(result)


def pinv_jvp(tangent, pinv, a):
    """The change of A's pseudo-inverse along ``tangent`` (PyTorch's pinv_jvp, in the smaller dimension)."""
    m, n = a.shape[-2:]
    tangent_h, pinv_h = _H(tangent), _H(pinv)
    if m <= n:
        k = pinv_h @ tangent_h
        return pinv @ (k - _H(k) - k @ (a @ pinv)) + (tangent_h - pinv @ (a @ tangent_h)) @ (pinv_h @ pinv)
    k = pinv @ tangent
    k_h = _H(k)
    return (k_h - k - (pinv @ a) @ k_h) @ pinv + (pinv @ pinv_h) @ (tangent_h - (tangent_h @ a) @ pinv)


class _Solved:
    """What one least-squares solve computed, which its two nodes share: the operands broadcast, A's singular values
    and rank, its pseudo-inverse, the solution and the squared residuals of each column."""

    def __init__(self, a, b, rcond):
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        self.a_shape, self.b_shape = a.shape, b.shape  # (B as a matrix: a batch of vectors as columns)
        self.a, self.b = np.broadcast_to(a, batch + a.shape[-2:]), np.broadcast_to(b, batch + b.shape[-2:])
        u, s, vh = np.linalg.svd(self.a, full_matrices=False)
        kept = s > rcond * s[..., :1] if s.shape[-1] else s > 0
        self.singular_values, self.rank = s.astype(a.real.dtype, copy=False), kept.sum(-1)
        if not b.shape[-1]:  # (LAPACK returns at once, rank 0)
            self.rank = np.zeros_like(self.rank)
        s_inverse = np.where(kept, 1 / np.where(kept, s, 1), 0)
        self.pinv = ((_H(vh) * s_inverse[..., None, :]) @ _H(u)).astype(a.dtype, copy=False)
        self.x = self.pinv @ self.b
        self.residuals = (np.abs(self.a @ self.x - self.b) ** 2).sum(-2).astype(a.real.dtype, copy=False)

    def gradients(self, needs_input_grad, grad_solution=None, grad_residuals=None):
        """(dA, dB) of X = pinv(A) B, or of the residuals |A X - B|^2 down each column (at the optimum X's own change
        does not move them: dA = 2 (A X - B) X^H, dB = -2 (A X - B), times each column's gradient)."""
        a, b, x = self.a, self.b, self.x
        if grad_solution is not None:
            grad_a = pinv_backward(grad_solution @ _H(b), self.pinv, a) if needs_input_grad[0] else None
            grad_b = _H(self.pinv) @ grad_solution
        else:
            weighted = 2 * (a @ x - b) * grad_residuals[..., None, :]
            grad_a = weighted @ _H(x) if needs_input_grad[0] else None
            grad_b = -weighted
        return (None if grad_a is None else unbroadcast(grad_a, self.a_shape)), unbroadcast(grad_b, self.b_shape)

    def tangents(self, tangent_a, tangent_b):
        """(dX, dr) along the tangents of A and B (None: constant): dX = d(pinv(A)) B + pinv(A) dB, and for the
        squared residuals r = |A X - B|^2, dr = 2 Re(conj(A X - B) (dA X + A dX - dB)) summed down each column."""
        change_x, change_r = np.zeros_like(self.x), 0  # (change_r: of A X - B)
        if tangent_a is not None:
            tangent_a = np.broadcast_to(tangent_a, self.a.shape)
            change_x = change_x + pinv_jvp(tangent_a, self.pinv, self.a) @ self.b
            change_r = change_r + tangent_a @ self.x
        if tangent_b is not None:
            tangent_b = np.broadcast_to(tangent_b, self.b.shape)
            change_x = change_x + self.pinv @ tangent_b
            change_r = change_r - tangent_b
        change_r = change_r + self.a @ change_x
        residual = self.a @ self.x - self.b
        return change_x, (2 * (np.conj(residual) * change_r).real).sum(-2).astype(self.residuals.dtype, copy=False)


class LeastSquares(Node):
    """The solution ``X (*, n, k)`` of min |A X - B| (the minimum-norm one for a rank-deficient A), computed by
    ``solved``, in the layout LAPACK leaves it: the first n rows of a column-major (*, max(m, n), k) buffer."""

    saved = ("solved", "a", "b", "out")
    complex_aware = True  # (pinv_backward and pinv(A)^H dX are PyTorch's conjugate Wirtinger formulas)
    torch_saved = {"self": SavedInput(0, "a"), "b": SavedInput(1, "b"), "solution": saved_result("out")}

    def forward(self, a, b, solved=None, vector=False):
        """``vector``: B was a batch of vectors (given here as columns), and so is the solution."""
        self.solved, self.vector, self.a, self.b = solved, vector, a, b
        x = solved.x
        n, k = x.shape[-2:]
        buffer = np.swapaxes(np.zeros(x.shape[:-2] + (k, max(a.shape[-2], n)), x.dtype), -1, -2)
        buffer[..., :n, :] = x
        self.out = buffer[..., :n, 0] if vector else buffer[..., :n, :]
        return self.out

    def backward(self, grad):
        grad_a, grad_b = self.solved.gradients(self.needs_input_grad, grad_solution=grad[..., None] if self.vector
                                               else grad)
        return grad_a, grad_b[..., 0] if self.vector else grad_b

    def backward_graph(self, grad):
        return _graph_gradients(self, grad_solution=grad)

    def jvp(self, tangents, arrays, params, out):
        return _solved_tangents(self, tangents)[0]

    def name(self):
        return "LinalgLstsqBackward0"


class LeastSquaresResiduals(Node):
    """The squared residuals ``(*, k)`` of the least-squares solution ``solved`` (a second output of its node), or
    where the driver computes none (not ``computed``) an empty tensor, still an output of the node."""

    saved = ("solved", "a", "b")

    def forward(self, a, b, solved=None, computed=True, vector=False):
        self.solved, self.computed, self.vector, self.a, self.b = solved, computed, vector, a, b
        return solved.residuals if computed else no_elements(solved.residuals.dtype)

    def backward(self, grad):
        if not self.computed:
            return None, None
        grad_a, grad_b = self.solved.gradients(self.needs_input_grad, grad_residuals=grad)
        return grad_a, grad_b[..., 0] if self.vector else grad_b

    def backward_graph(self, grad):
        return _graph_gradients(self, grad_residuals=grad) if self.computed else (None, None)

    def jvp(self, tangents, arrays, params, out):
        return _solved_tangents(self, tangents)[1] if self.computed else np.zeros_like(out)

    def name(self):
        return "LinalgLstsqBackward0"


def _graph_gradients(node, grad_solution=None, grad_residuals=None):
    """_Solved.gradients for create_graph=True, of tensors of the graph: X = pinv(A) B through PseudoInverse (whose
    own backward differentiates pinv), A and B broadcast to their common batch by differentiable expands."""
    from .._ops._util import unbroadcast_tensor
    from .decompositions import _tensor_adjoint
    from .inverse import PseudoInverse

    solved = node.solved
    if grad_solution is not None and solved.a.dtype.kind == "c":  # (its second derivatives are not PyTorch's yet)
        raise NotImplementedError(no_graph_backward_message(node))
    a = node.graph_input(0, node.a).expand(solved.a.shape)
    b = node.graph_input(1, node.b)
    b = (b.unsqueeze(-1) if node.vector else b).expand(solved.b.shape)
    pinv = PseudoInverse.apply(a, value=solved.pinv)
    if grad_solution is not None:
        grad = grad_solution.unsqueeze(-1) if node.vector else grad_solution
        grad_a = pinv_backward(grad @ _tensor_adjoint(b), pinv, a, adjoint=_tensor_adjoint)
        grad_b = _tensor_adjoint(pinv) @ grad
    else:
        x = pinv @ b
        weighted = 2 * (a @ x - b) * grad_residuals.unsqueeze(-2)
        grad_a, grad_b = weighted @ _tensor_adjoint(x), -weighted
    grad_a = unbroadcast_tensor(grad_a, solved.a_shape) if node.needs_input_grad[0] else None
    grad_b = unbroadcast_tensor(grad_b, solved.b_shape)
    return grad_a, (grad_b.squeeze(-1) if node.vector else grad_b)


def _solved_tangents(node, tangents):
    """Forward AD of the solution and residuals of a least-squares node, from the tangents of A and B (a batch of
    vectors B as columns, and its solution's tangent as vectors again)."""
    tangent_a, tangent_b = tangents
    if node.vector and tangent_b is not None:
        tangent_b = tangent_b[..., None]
    change_x, change_r = node.solved.tangents(tangent_a, tangent_b)
    return (change_x[..., 0] if node.vector else change_x), change_r


def _check_lstsq_operands(a, b, rcond, driver):
    """PyTorch's checks, in its order; returns whether ``b`` is a batch of vectors."""
    name = "torchless.linalg.lstsq"
    if a.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if b.ndim < 1:
        raise RuntimeError(f"{name}: other must have at least 1 dimension.")
    if a.dtype != b.dtype:
        raise RuntimeError(f"{name}: Expected input and other to have the same dtype, but got input's dtype "
                           f"{scalar_name(a)} and other's dtype {scalar_name(b)}")
    if not 0 <= a.ndim - b.ndim <= 1:
        raise RuntimeError(f"{name}: input.dim() must be greater or equal to other.dim() and (input.dim() - "
                           "other.dim()) <= 1")
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    if a.shape[-2] != (b.shape[-1] if vector else b.shape[-2]):
        raise RuntimeError(f"{name}: input.size(-2) should match other.size({-1 if vector else -2})")
    if driver is not None and driver not in _DRIVERS:
        raise RuntimeError(f"{name}: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    if a.dtype.kind not in "fc" or a.dtype == np.float16:
        if rcond is None:  # (the default rcond's eps fails first)
            raise RuntimeError("This function doesn't handle types other than float and double")
        raise NotImplementedError(f"\"linalg_lstsq_cpu\" not implemented for '{scalar_name(a)}'")
    error = broadcast_error(a.shape[:-2], b.shape[:-1] if vector else b.shape[:-2])
    if error is not None:
        raise error
    return vector


def _lstsq(input, b, rcond=None, driver=None):
    r"""``(solution, residuals, rank, singular_values)`` of min ``|A X - B|``: X (the minimum-norm solution where A
    is rank-deficient), and as the driver (default ``'gelsy'``) computes them: the squared residuals of each column
    (for a tall A, not with gelsy, and only when every matrix has full rank), the rank (not with gels), the singular
    values (gelsd and gelss only); the others empty. ``rcond``: singular values below ``rcond`` times the largest
    count as zero (default: eps times max(m, n)).

    Shape:
        input: :math:`(*, m, n)`. b: :math:`(*, m, k)` or :math:`(*, m)`. solution: :math:`(*, n, k)` (or
        :math:`(*, n)`), residuals: :math:`(*, k)`, rank: :math:`(*)`, singular_values: :math:`(*, \min(m, n))`.
    """
    from .._tensor import Tensor

    a = input._data
    vector = _check_lstsq_operands(a, b._data, rcond, driver)
    driver = driver or "gelsy"
    m, n = a.shape[-2:]
    eps = np.finfo(a.dtype).eps
    solved = _Solved(a, b._data[..., None] if vector else b._data,
                     eps * max(m, n) if rcond is None else eps if rcond < 0 else rcond)
    empty = Tensor._wrap(no_elements(a.real.dtype))
    full_rank = driver == "gels" or (solved.rank == n).all()
    with recording_parts():
        solution = LeastSquares.apply(input, b, solved=solved, vector=vector)
        residuals = LeastSquaresResiduals.apply(input, b, solved=solved, vector=vector,
                                                computed=m > n and driver != "gelsy" and full_rank)
    rank = Tensor._wrap(no_elements(np.int64) if driver == "gels" else solved.rank.astype(np.int64))
    singular_values = Tensor._wrap(solved.singular_values) if driver in ("gelsd", "gelss") else empty
    return _RETURN_TYPES["linalg_lstsq"](*joint_outputs((solution, residuals)), rank, singular_values)


lstsq = _parser_errors.native_entry(
    "linalg_lstsq", ("Tensor input, Tensor b, float? rcond=None, *, str? driver=None, TensorList? out=None",), _lstsq)
