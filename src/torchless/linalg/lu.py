"""LU factorisation with partial pivoting as LAPACK's getrf computes it (the pivot of a column is its first entry
of largest magnitude; pivots are 1-based int32 row swaps), and what is built on it: lu_factor(_ex), lu, lu_solve,
lu_unpack."""
import numpy as np

from .. import _cpu_features as cpu_features, _parser_errors
from .._ops._util import broadcast_error
from ..autograd.graph import Node, no_graph_backward_message, output_renamed
from ..return_types import _RETURN_TYPES
from ._checks import column_major, no_elements, scalar_name
from .decompositions import Factorization
from .triangular import substitute


def _mT(array):
    return np.swapaxes(array, -1, -2)


def _H(array):
    return np.conj(_mT(array))


def _magnitude(column):
    """LAPACK's i?amax measure: |x| for reals, |Re x| + |Im x| for complex numbers."""
    return np.abs(column.real) + np.abs(column.imag) if column.dtype.kind == "c" else np.abs(column)


def factor(a):
    """``(LU, pivots, info)`` of ``a (*, m, n)``: L (unit diagonal, below) and U packed in one matrix, the int32
    row swaps, and per matrix the 1-based index of U's first zero diagonal entry (0 if none).

    Unblocked and right-looking, each column below its pivot scaled by the pivot's reciprocal and each update
    ``A22 - l u`` rounded once, as a fused multiply-add gives it: so PyTorch's (MKL's) kernel computes it on
    Intel's CPUs (on AMD's, MKL multiplies and subtracts separately), which decides which tiny values come out
    exactly zero in a singular matrix, and so its pivots and info."""
    update = _fused_update if cpu_features.mkl_fuses_multiply_adds() else _plain_update
    m, n = a.shape[-2:]
    batch = a.shape[:-2]
    lu = np.array(a.reshape((int(np.prod(batch)), m, n)), copy=True)
    count, k_max = lu.shape[0], min(m, n)
    pivots = np.zeros((count, k_max), np.int32)
    info = np.zeros(count, np.int32)
    every = np.arange(count)
    for k in range(k_max if count else 0):
        pivot_rows = k + np.argmax(_magnitude(lu[:, k:, k]), axis=1)
        pivots[:, k] = pivot_rows + 1
        rows_k, rows_p = lu[every, k].copy(), lu[every, pivot_rows].copy()
        lu[every, pivot_rows], lu[every, k] = rows_k, rows_p
        pivot = lu[:, k, k]
        zero = pivot == 0
        info[zero & (info == 0)] = k + 1
        lu[:, k + 1:, k] *= (1 / np.where(zero, 1, pivot))[:, None]
        lu[:, k + 1:, k + 1:] = update(lu[:, k + 1:, k + 1:], lu[:, k + 1:, k, None], lu[:, k, None, k + 1:])
    return lu.reshape(a.shape), pivots.reshape(batch + (k_max,)), info.reshape(batch)


def _plain_update(c, a, b):
    return c - a * b


def _fused_update(c, a, b):
    """``c - a * b`` rounded once, as a fused multiply-add: float32 through float64 (where the product is exact),
    float64 with the product's rounding error recovered (Dekker's two-product, then a two-sum)."""
    if c.dtype in (np.float32, np.complex64):
        wide = np.float64 if c.dtype == np.float32 else np.complex128
        return (c.astype(wide) - a.astype(wide) * b.astype(wide)).astype(c.dtype)
    if c.dtype != np.float64:
        return c - a * b
    product, error = _two_product(a, b)
    difference = c - product
    overshoot = difference - c
    rounding = (c - (difference - overshoot)) + (-product - overshoot)
    return difference + (rounding - error)


def _two_product(a, b):
    """``(p, e)`` with ``a * b = p + e`` exactly, p the rounded product (Dekker, with Veltkamp's splitting)."""
    product = a * b
    a_high, a_low = _split(a)
    b_high, b_low = _split(b)
    return product, ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low


def _split(x):
    scaled = 134217729.0 * x  # 2^27 + 1: the high half keeps 26 bits of the 53
    high = scaled - (scaled - x)
    return high, x - high


def permutation_of(pivots, m):
    """The row order ``perm (*, m)`` the swaps ``pivots (*, k)`` (1-based) make of 0..m-1: A[perm] = L U."""
    batch = pivots.shape[:-1]
    flat = pivots.reshape((int(np.prod(batch)), pivots.shape[-1])).astype(np.int64) - 1
    perm = np.broadcast_to(np.arange(m), (flat.shape[0], m)).copy()
    every = np.arange(flat.shape[0])
    for k in range(flat.shape[1]):
        target = flat[:, k]
        at_k, at_target = perm[every, k].copy(), perm[every, target].copy()
        perm[every, k], perm[every, target] = at_target, at_k
    return perm.reshape(batch + (m,))


def permutation_matrix(perm, dtype):
    """P with A = P L U for the row order ``perm`` (A[perm] = L U): P[perm[i], i] = 1."""
    m = perm.shape[-1]
    matrix = np.zeros(perm.shape + (m,), dtype)
    np.put_along_axis(matrix, perm[..., :, None], 1, axis=-1)
    return _mT(matrix)


def unpack(lu):
    """L (unit lower, m x k) and U (upper, k x n) of a packed ``lu (*, m, n)``, k = min(m, n)."""
    m, n = lu.shape[-2:]
    k = min(m, n)
    lower = np.tril(lu[..., :, :k], -1)
    lower[..., range(k), range(k)] = 1
    return lower, np.triu(lu[..., :k, :])


def solve_with(lu, pivots, b, adjoint=False):
    """X with A X = b (A^H X = b if ``adjoint``) for A = P L U given by ``lu`` and ``pivots`` (batch dims of all
    three already broadcast)."""
    perm = permutation_of(pivots, lu.shape[-1])
    if not adjoint:
        permuted = np.take_along_axis(b, perm[..., :, None], axis=-2)
        return substitute(lu, substitute(lu, permuted, upper=False, unitriangular=True), upper=True)
    lu_h = np.conj(_mT(lu))
    y = substitute(lu_h, substitute(lu_h, b, upper=False), upper=True, unitriangular=True)
    x = np.empty_like(y)
    np.put_along_axis(x, np.broadcast_to(perm[..., :, None], y.shape), y, axis=-2)
    return x


def _check_lu_input(name, a):
    """PyTorch's checks of an LU input: ``name`` is the function's as its rank error says it (lu_factor's forms
    say ``torchless.lu_factor``, linalg.lu ``linalg.lu``)."""
    if a.ndim < 2:
        raise RuntimeError(f"{name}: Expected tensor with 2 or more dimensions. Got size: {list(a.shape)} instead")
    if a.dtype.kind not in "fc" or a.dtype == np.float16:
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{scalar_name(a)}'")


def zero_pivot_error(name, info):
    """The error of ``check_errors`` for the first matrix with a zero pivot (``info`` per matrix), or None."""
    failed = np.flatnonzero(info.reshape(-1))
    if not failed.size:
        return None
    index = np.unravel_index(failed[0], info.shape) if info.ndim else ()
    prefix = f"(Batch element {failed[0]}): " if info.ndim else ""
    value = int(info[index])
    return RuntimeError(f"torchless.{name}: {prefix}U[{value},{value}] is zero and using it on lu_solve would result "
                        "in a division by zero. If you still want to perform the factorization, consider calling "
                        "linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def _unpermuted(perm, gradient):
    """P gradient for the row order ``perm`` of A = P L U (C order: PyTorch's is P.matmul(...))."""
    out = np.empty(gradient.shape, gradient.dtype)
    np.put_along_axis(out, np.broadcast_to(perm[..., :, None], gradient.shape), gradient, axis=-2)
    return out


def _right_adjoint_solve(gradient, upper):
    """gradient U^-H for an upper triangular square U."""
    return _H(substitute(upper, _H(gradient), upper=True))


def _lu_gradient(lower, upper, perm, grad_lower, grad_upper):
    """dA of A = P L U (L: m x k, U: k x n) from dL = tril(dL, -1), dU = triu(dU) (PyTorch's linalg_lu_backward).
    Square: P L^-H (tril(L^H dL, -1) + triu(dU U^H)) U^-H. Wide (U = [U1 U2]): P L^-H [tril(L^H dL - dU U^H, -1)
    U1^-H + dU1, dU2]. Tall (L = [L1; L2]): P [L1^-H triu(dU U^H - L^H dL) + dL1; dL2] U^-H."""
    m, k = lower.shape[-2:]
    n = upper.shape[-1]
    if m == n:
        phi = np.tril(_H(lower) @ grad_lower, -1) + np.triu(grad_upper @ _H(upper))
        left = substitute(_H(lower), phi, upper=True, unitriangular=True)
        return _unpermuted(perm, _right_adjoint_solve(left, upper))
    if m < n:
        phi = np.tril(_H(lower) @ grad_lower - grad_upper @ _H(upper), -1)
        phi = _right_adjoint_solve(phi, upper[..., :, :k]) + grad_upper[..., :, :k]
        stacked = np.concatenate([phi, grad_upper[..., :, k:]], axis=-1)
        return _unpermuted(perm, substitute(_H(lower), stacked, upper=True, unitriangular=True))
    phi = np.triu(grad_upper @ _H(upper) - _H(lower) @ grad_lower)
    phi = substitute(_H(lower[..., :k, :]), phi, upper=True, unitriangular=True) + grad_lower[..., :k, :]
    stacked = np.concatenate([phi, grad_lower[..., k:, :]], axis=-2)
    return _unpermuted(perm, _right_adjoint_solve(stacked, upper))


def _check_graph_factors(node, factor):
    """The factors of a real matrix, whose gradients create_graph=True differentiates here (else errors)."""
    if factor.dtype.kind == "c":  # (its second derivatives are not PyTorch's yet)
        raise NotImplementedError(no_graph_backward_message(node))


def _graph_lu_gradient(lower, upper, perm, grad_lower, grad_upper):
    """_lu_gradient of tensors of the graph (create_graph=True), in PyTorch's steps: a missing ``grad_lower`` or
    ``grad_upper`` (None) is a block of zeros joined at the end, as its linalg_lu_backward's."""
    from .._functions import cat
    from .decompositions import _tensor_adjoint
    from .triangular import solve_triangular

    m, k = lower.shape[-2:]
    n = upper.shape[-1]
    lower_h = _tensor_adjoint(lower)
    if m == n:
        phi = None if grad_lower is None else (lower_h @ grad_lower).tril(-1)
        if grad_upper is not None:
            term = (grad_upper @ _tensor_adjoint(upper)).triu()
            phi = term if phi is None else phi + term
        phi = solve_triangular(_tensor_adjoint(upper), phi, upper=False, left=False)
        gradient = solve_triangular(lower_h, phi, upper=True, unitriangular=True)
    elif m < n:
        phi = None if grad_lower is None else lower_h @ grad_lower
        if grad_upper is not None:
            term = grad_upper.triu() @ _tensor_adjoint(upper)
            phi = -term if phi is None else phi - term
        phi = solve_triangular(_tensor_adjoint(upper[..., :, :k]), phi.tril(-1), upper=False, left=False)
        if grad_upper is not None:
            phi = cat([phi + grad_upper[..., :, :k].triu(), grad_upper[..., :, k:]], -1)
        gradient = solve_triangular(lower_h, phi, upper=True, unitriangular=True)
        if grad_upper is None:
            gradient = cat([gradient, upper[..., :, k:].detach() * 0], -1)
    else:
        phi = None if grad_upper is None else grad_upper @ _tensor_adjoint(upper)
        if grad_lower is not None:
            term = lower_h @ grad_lower.tril(-1)
            phi = -term if phi is None else phi - term
        phi = solve_triangular(_tensor_adjoint(lower[..., :k, :]), phi.triu(), upper=True, unitriangular=True)
        if grad_lower is not None:
            phi = cat([phi + grad_lower[..., :k, :].tril(-1), grad_lower[..., k:, :]], -2)
        gradient = solve_triangular(_tensor_adjoint(upper), phi, upper=False, left=False)
        if grad_lower is None:
            gradient = cat([gradient, lower[..., k:, :].detach() * 0], -2)
    return gradient._wrap(permutation_matrix(perm, gradient._data.dtype)) @ gradient


def _lu_tangent(tangent, lower, upper, perm):
    """dK = L^-1 P^T dA U^-1 for a square A = P L U, of which dL = L tril(dK, -1) and dU = triu(dK) U (PyTorch's
    linalg_lu_jvp)."""
    if lower.shape[-2] != upper.shape[-1]:
        raise NotImplementedError("the derivative of linalg.lu is only implemented here for square matrices")
    permuted = np.take_along_axis(tangent, np.broadcast_to(perm[..., :, None], tangent.shape), axis=-2)  # P^T dA
    left = substitute(lower, permuted, upper=False, unitriangular=True)
    return _mT(substitute(_mT(upper), _mT(left), upper=False))  # (left U^-1 = (U^-T left^T)^T)


class LUFactor(Node):
    """The packed ``LU`` of a square ``A``; dA from the gradients of its two triangles (see _lu_gradient)."""

    saved = ("lu", "perm")
    complex_aware = True

    def forward(self, a, factors=None):
        lu, pivots, _ = factors
        self.lu, self.perm = column_major(lu), permutation_of(pivots, a.shape[-2])
        return self.lu

    def backward(self, grad):
        lower, upper = unpack(self.lu)
        k = upper.shape[-2]
        return (_lu_gradient(lower, upper, self.perm, np.tril(grad[..., :, :k], -1), np.triu(grad[..., :k, :])),)

    def backward_graph(self, grad):
        _check_graph_factors(self, self.lu)
        packed = self.graph_output(self.lu)
        m, n = self.lu.shape[-2:]
        k = min(m, n)
        # (PyTorch's lu_factor_ex_backward unpacks the factors with lu_unpack)
        lower = output_renamed(packed[..., :, :k].tril(-1) + packed._wrap(np.eye(m, k, dtype=self.lu.dtype)),
                               "LuUnpackBackward0")
        upper = output_renamed(packed[..., :k, :].triu(), "LuUnpackBackward0")
        return (_graph_lu_gradient(lower, upper, self.perm, grad[..., :, :k], grad[..., :k, :]),)

    def jvp(self, tangents, arrays, params, out):
        """The packed change ``L tril(dK, -1) + triu(dK) U`` (see _lu_tangent)."""
        lower, upper = unpack(self.lu)
        change = _lu_tangent(tangents[0], lower, upper, self.perm)
        return lower @ np.tril(change, -1) + np.triu(change) @ upper

    def name(self):
        return "LinalgLuFactorExBackward0"


def _factor_checked(name, A):
    a = A._data
    _check_lu_input(name, a)
    return factor(a)


def _lu_factor_ex(A, pivot=True, check_errors=False):
    r"""``(LU, pivots, info)``: the LU factorisation with partial pivoting of ``A (*, m, n)``, packed, its int32
    1-based row swaps ``(*, min(m, n))``, and per matrix the 1-based index of U's first zero diagonal entry."""
    from .._tensor import Tensor

    if not pivot:
        _check_lu_input("torchless.lu_factor", A._data)
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    factors = _factor_checked("torchless.lu_factor", A)
    if check_errors:
        error = zero_pivot_error("linalg.lu_factor_ex", factors[2])
        if error is not None:
            raise error
    return _RETURN_TYPES["linalg_lu_factor_ex"](LUFactor.apply(A, factors=factors), Tensor._wrap(factors[1]),
                                                Tensor._wrap(factors[2]))


def _lu_factor(A, pivot=True):
    r"""``(LU, pivots)`` as lu_factor_ex gives them; a zero on U's diagonal is an error."""
    from .._tensor import Tensor

    if not pivot:
        _check_lu_input("torchless.lu_factor", A._data)
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    factors = _factor_checked("torchless.lu_factor", A)
    error = zero_pivot_error("linalg.lu_factor", factors[2])
    if error is not None:
        raise error
    return _RETURN_TYPES["linalg_lu_factor"](LUFactor.apply(A, factors=factors), Tensor._wrap(factors[1]))


lu_factor_ex = _parser_errors.native_entry(
    "linalg_lu_factor_ex", ("Tensor A, *, bool pivot=True, bool check_errors=False, TensorList? out=None",),
    _lu_factor_ex)
lu_factor = _parser_errors.native_entry(
    "linalg_lu_factor", ("Tensor A, *, bool pivot=True, TensorList? out=None",), _lu_factor)


class LUUnpacked(Factorization):
    """``L (*, m, k)`` and ``U (*, k, n)`` of ``A (*, m, n)`` = P L U, one node for both outputs as PyTorch's (P
    has no gradient)."""

    saved = factor_names = ("lower", "upper")
    complex_aware = True

    def backward(self, grad):
        grad_lower, grad_upper = grad.grads
        grad_lower = np.zeros_like(self.lower) if grad_lower is None else np.tril(grad_lower, -1)
        grad_upper = np.zeros_like(self.upper) if grad_upper is None else np.triu(grad_upper)
        return (_lu_gradient(self.lower, self.upper, self.perm, grad_lower, grad_upper),)

    def backward_graph(self, grad):
        _check_graph_factors(self, self.lower)
        lower, upper = self.graph_factors()
        return (_graph_lu_gradient(lower, upper, self.perm, *grad.grads),)

    @staticmethod
    def factor_tangents(tangent, lower, upper, perm=None):
        change = _lu_tangent(tangent, lower, upper, perm)
        return lower @ np.tril(change, -1), np.triu(change) @ upper

    def name(self):
        return "LinalgLuBackward0"


def _lu(A, pivot=True):
    r"""``(P, L, U)`` with ``A = P L U``: P a permutation matrix, L unit lower ``(*, m, k)``, U upper
    ``(*, k, n)``, k = min(m, n)."""
    from .._tensor import Tensor

    a = A._data
    _check_lu_input("linalg.lu", a)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu, pivots, _ = factor(a)
    lower, upper = unpack(lu)
    perm = permutation_of(pivots, a.shape[-2])
    return _RETURN_TYPES["linalg_lu"](Tensor._wrap(permutation_matrix(perm, a.dtype)),
                                      *LUUnpacked.outputs(A, lower, upper, perm=perm))


lu = _parser_errors.native_entry("linalg_lu", ("Tensor A, *, bool pivot=True, TensorList? out=None",), _lu)


def _check_pivots(name, lu, pivots):
    if pivots.dtype != np.int32:
        raise RuntimeError(f"{name}: pivots should be a Tensor of scalar type torchless.int32")


class LUSolve(Node):
    """X with M X = B (X M = B if not ``left``), M = A or A^H if ``adjoint``, for A = P L U given packed. With
    dB = M^-H dX (X M^-H on the right) and dM = -dB X^H (-X^H dB): dL = tril(P^T dA U^H, -1), dU = triu(L^H P^T dA)."""

    saved = ("lu", "pivots", "out")
    complex_aware = True

    def forward(self, lu, b, pivots=None, left=True, adjoint=False):
        self.lu, self.pivots, self.left, self.adjoint = lu, pivots, left, adjoint
        # X M = B  <=>  M^H X^H = B^H
        if left:
            self.out = column_major(solve_with(lu, pivots, b, adjoint))
        else:
            self.out = np.ascontiguousarray(_H(solve_with(lu, pivots, _H(b), not adjoint)))
        return self.out

    def backward(self, grad):
        lu, pivots = self.lu, self.pivots
        if self.left:
            grad_b = solve_with(lu, pivots, grad, not self.adjoint)
        else:
            grad_b = _H(solve_with(lu, pivots, _H(grad), self.adjoint))
        grad_lu = None
        if self.needs_input_grad[0]:
            grad_m = -(grad_b @ _H(self.out)) if self.left else -(_H(self.out) @ grad_b)
            grad_a = _H(grad_m) if self.adjoint else grad_m
            lower, upper = unpack(lu)
            perm = permutation_of(pivots, lu.shape[-1])
            unpermuted = np.take_along_axis(grad_a, np.broadcast_to(perm[..., :, None], grad_a.shape), axis=-2)
            grad_lu = np.tril(unpermuted @ _H(upper), -1) + np.triu(_H(lower) @ unpermuted)
        return grad_lu, grad_b

    def name(self):
        return "LinalgLuSolveBackward0"


def _lu_solve(LU, pivots, B, left=True, adjoint=False):
    r"""The solution X of ``A X = B`` (``X A = B`` if not ``left``; with ``A^H`` if ``adjoint``) for A given by
    lu_factor's ``LU`` and ``pivots``.

    Shape:
        LU: :math:`(*, n, n)`, pivots: :math:`(*, n)`, B: :math:`(*, n, k)` (:math:`(*, k, n)` if not left).
    """
    name = "linalg.lu_solve"
    lu, piv, b = LU._data, pivots._data, B._data
    if lu.ndim < 2:
        raise RuntimeError(f"torchless.{name}: The input tensor LU must have at least 2 dimensions.")
    if lu.shape[-1] != lu.shape[-2]:
        raise RuntimeError(f"torchless.{name}: A must be batches of square matrices, but they are {lu.shape[-2]} by "
                           f"{lu.shape[-1]} matrices")
    if b.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    n = lu.shape[-1]
    rows = b.shape[-2] if left else b.shape[-1]
    if rows != n:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {'AX = B' if left else 'XA = B'}"
                           f" ({n}x{n} and {b.shape[-2]}x{b.shape[-1]})")
    if lu.dtype != b.dtype:
        raise RuntimeError(f"{name}: Expected LU and B to have the same dtype, but found LU of type "
                           f"{scalar_name(lu)} and B of type {scalar_name(b)} instead")
    _check_pivots(name, lu, piv)
    if piv.shape[-1:] != (n,):
        raise RuntimeError(f"{name}: Number of pivots per batch should be same as the dimension of the matrix")
    if lu.dtype.kind not in "fc" or lu.dtype == np.float16:
        raise NotImplementedError(f"\"lu_solve_cpu\" not implemented for '{scalar_name(lu)}'")
    for shapes in ((lu.shape[:-2], b.shape[:-2]), (piv.shape[:-1], b.shape[:-2])):
        error = broadcast_error(*shapes)
        if error is not None:
            raise error
    batch = np.broadcast_shapes(lu.shape[:-2], piv.shape[:-1], b.shape[:-2])
    if lu.shape[:-2] != batch:
        LU = LU.expand(batch + lu.shape[-2:])
    if b.shape[:-2] != batch:
        B = B.expand(batch + b.shape[-2:])
    piv = np.broadcast_to(piv, batch + piv.shape[-1:])
    return LUSolve.apply(LU, B, pivots=piv, left=bool(left), adjoint=bool(adjoint))


lu_solve = _parser_errors.native_entry(
    "linalg_lu_solve",
    ("Tensor LU, Tensor pivots, Tensor B, *, bool left=True, bool adjoint=False, Tensor? out=None",), _lu_solve)


def _lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    r"""``(P, L, U)`` from lu_factor's packed ``LU_data`` and ``LU_pivots``: the parts not asked for are empty."""
    from .._tensor import Tensor

    lu, piv = LU_data._data, LU_pivots._data
    if piv.dtype != np.int32:
        raise RuntimeError("torchless.lu_unpack: LU_pivots is expected to be a contiguous tensor of torchless.int32 "
                           "dtype.\nNote: this function is intended to be used with the output produced by "
                           "torchless.linalg.lu_factor")
    empty = Tensor._wrap(no_elements(lu.dtype))
    m = lu.shape[-2]
    if unpack_pivots:
        if piv.size and (piv.min() < 1 or piv.max() > m):
            raise RuntimeError("pivots passed to lu_unpack must be between 1 and LU.size(-2) inclusive.Did you "
                               "properly pass the result of lu_factor?")
        P = Tensor._wrap(permutation_matrix(permutation_of(piv, m), lu.dtype))
    else:
        P = empty
    if unpack_data:
        k = min(lu.shape[-2:])
        L = (LU_data[..., :, :k].tril(-1) + Tensor._wrap(np.eye(m, k, dtype=lu.dtype)))
        U = LU_data[..., :k, :].triu()
        L, U = output_renamed(L, "LuUnpackBackward0"), output_renamed(U, "LuUnpackBackward0")
    else:
        L, U = empty, empty
    return _RETURN_TYPES["lu_unpack"](P, L, U)


lu_unpack = _parser_errors.native_entry(
    "lu_unpack", ("Tensor LU_data, Tensor LU_pivots, bool unpack_data=True, bool unpack_pivots=True, *, "
                  "TensorList? out=None",), _lu_unpack)
