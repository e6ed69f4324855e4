"""Matrix factorisations: svd/svdvals, eigh/eigvalsh, qr, cholesky, and matrix_rank from the singular values."""

import numpy as np

from .. import _parser_errors
from ..autograd import forward_ad, grad_mode
from ..autograd.graph import Node, _edge, named_as_pytorch, share_among, share_output, tensor_class
from ..return_types import _RETURN_TYPES
from ._checks import (LinAlgError, batch_prefix, check_float_matrix, check_matrix, column_major, no_elements,
                      scalar_name)


def _mT(array):
    return np.swapaxes(array, -1, -2)


class SingularValues(Node):
    """The singular values ``S (*, k)`` of ``A (*, m, n)``, k = min(m, n), of a matrix no gradient flows through
    (svdvals of one that needs a gradient is an output of the whole decomposition's node)."""

    def forward(self, a):
        return np.linalg.svd(a, compute_uv=False).astype(a.real.dtype, copy=False)  # (real for complex ones too)


def svdvals(A):
    r"""The singular values of each matrix of ``A``, in descending order.

    Shape:
        A: :math:`(*, m, n)`. Output: :math:`(*, \min(m, n))`.
    """
    a = A._data
    check_float_matrix("linalg.svd", a, square=False)
    if not (A._requires_grad or forward_ad.state.tracing):
        return SingularValues.apply(A)
    # PyTorch's svdvals of a matrix that needs a gradient is output 1 of its reduced SVD's node, whose double
    # backward differentiates U and Vh through that node
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    u, vh = column_major(u.astype(a.dtype, copy=False)), column_major(vh.astype(a.dtype, copy=False))
    return SingularValueDecomposition.outputs(A, u, s.astype(a.real.dtype, copy=False), vh)[1]


def svd(A, full_matrices=True):
    r"""``A = U diag(S) Vh`` with orthonormal columns of ``U`` and rows of ``Vh``, ``S`` descending.

    Shape:
        A: :math:`(*, m, n)`. U: :math:`(*, m, m)` (:math:`(*, m, k)` if not ``full_matrices``),
        S: :math:`(*, k)`, Vh: :math:`(*, n, n)` (:math:`(*, k, n)`), with k = min(m, n).

    Differentiable in all three outputs (the columns of a full U, rows of a full Vh past k get no gradient, as in
    PyTorch); for complex matrices, through losses that do not depend on the phases of the singular vectors
    (else PyTorch's error).
    """
    a = A._data
    check_float_matrix("linalg.svd", a, square=False)
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    # (LAPACK's gesdd writes PyTorch's U and Vh column by column)
    u, vh = column_major(u.astype(a.dtype, copy=False)), column_major(vh.astype(a.dtype, copy=False))
    return _RETURN_TYPES["linalg_svd"](*SingularValueDecomposition.outputs(A, u, s.astype(a.real.dtype, copy=False),
                                                                           vh))


class Factorization(Node):
    """One node for the several outputs (factors) of a factorisation of ``A``, as PyTorch's: the grad_fn of each
    output (see share_among), and backward gets OutputGrads."""

    factor_names = ()  # the attributes holding the factors, in the order of the outputs

    @classmethod
    def outputs(cls, A, *factors, **fields):
        """The tensors of the arrays ``factors``, recorded as this node's outputs when ``A`` requires grad (the node
        keeping the factors and ``fields``)."""
        tensors = [tensor_class()._wrap(array) for array in factors]
        if forward_ad.state.tracing:
            cls._carry_tangents(A, tensors, factors, fields)
        if not (grad_mode.state.enabled and A._requires_grad):  # (a tangent alone records no node)
            return tensors
        node = cls()
        vars(node).update(zip(cls.factor_names, factors), **fields)
        node.edges, node.needs_input_grad = (_edge(A),), (True,)
        node.record_sequence()
        share_among(named_as_pytorch(node), tensors)
        return tensors

    # forward AD: the factors' tangents from A's, (tangent, *factors, **fields) -> tangents (fields: outputs')
    factor_tangents = None

    @classmethod
    def _carry_tangents(cls, A, tensors, factors, fields):
        """Forward AD and vmap: the factors of a batched sample are batched, and they get the tangents
        factor_tangents computes from A's (a factorisation without that formula gives none)."""
        if forward_ad.state.vmap_levels:
            for tensor in tensors:
                forward_ad.mark_batched(tensor, (A,))
        tangent = forward_ad.tangent_array(A)
        if tangent is not None and cls.factor_tangents is not None:
            for tensor, factor_tangent in zip(tensors, cls.factor_tangents(tangent, *factors, **fields)):
                forward_ad.set_tangent(tensor, factor_tangent)

    def graph_factors(self):
        """The factors as tensors of the graph, each flowing back into its output (for backward_graph)."""
        factors = []
        for index, name in enumerate(self.factor_names):
            factor = self.graph_output(getattr(self, name))
            share_output(self, factor, index, len(self.factor_names))
            factors.append(factor)
        return factors


class SingularValueDecomposition(Factorization):
    """U, S, Vh of matrices ``A (*, m, n)``. Its backward is PyTorch's svd_backward: with E_ij = s_j^2 - s_i^2
    (1 on the diagonal) and skew(X) = X - X^H, ``dA = U [(skew(U^H dU) S + S skew(Vh dVh^H)) / E + diag(dS)] Vh``
    (complex: plus i Im(diag(U^H dU)) / S), plus the parts of dU (dVh) outside U's (Vh's) span when A is tall
    (wide)."""

    saved = factor_names = ("u", "s", "vh")
    complex_aware = True  # (its formula is PyTorch's conjugate Wirtinger one)

    def backward(self, grad):
        k = self.s.shape[-1]
        factors = _narrowed((self.u, self.s, self.vh), k)
        return (_svd_gradient(*_narrowed(grad.grads, k), *factors, _NUMPY_MATRIX_OPS),)

    def backward_graph(self, grad):
        k = self.s.shape[-1]
        return (_svd_gradient(*_narrowed(grad.grads, k), *_narrowed(self.graph_factors(), k), _TENSOR_MATRIX_OPS),)

    @staticmethod
    def factor_tangents(tangent, u, s, vh):
        """Forward AD, PyTorch's svd_jvp: with P = U^H dA V, ``dS = Re diag(P)`` and, X being P off its real
        diagonal and E_ij = s_j^2 - s_i^2, ``dU = U (sym(X S) / E + i Im diag(P) / 2S)`` and
        ``dVh = (-sym(S X) / E + i Im diag(P) / 2S) Vh`` (sym(Y) = Y + Y^H), plus for a tall (wide) A the part of
        dA V S^-1 outside U's span (of S^-1 U^H dA outside Vh's); a full U's (Vh's) columns (rows) past k get 0."""
        m, n = tangent.shape[-2:]
        k = s.shape[-1]
        full_u, full_vh = u, vh
        u, vh = u[..., :k], vh[..., :k, :]
        v = _hermitian_transpose(vh)
        u_h = _hermitian_transpose(u)
        inner = u_h @ (tangent @ v) if m >= n else (u_h @ tangent) @ v
        diagonal = np.diagonal(inner, 0, -2, -1)
        grad_s = diagonal.real if inner.dtype.kind == "c" else diagonal.copy()
        inner = inner - grad_s[..., None] * np.eye(k, dtype=inner.dtype)
        squares = s * s
        gaps = squares[..., None, :] - squares[..., :, None] + np.eye(k, dtype=s.dtype)  # (0 / 1 on the diagonal)
        phases = None
        if inner.dtype.kind == "c":
            phases = np.diagonal(inner, 0, -2, -1) / (2 * s)
            phases = phases[..., None] * np.eye(k, dtype=inner.dtype)
        scaled = inner * s[..., None, :]
        middle_u = (scaled + _hermitian_transpose(scaled)) / gaps
        scaled = inner * -s[..., :, None]
        middle_vh = (scaled + _hermitian_transpose(scaled)) / gaps
        if phases is not None:
            middle_u, middle_vh = middle_u + phases, middle_vh + phases
        grad_u, grad_vh = u @ middle_u, middle_vh @ vh
        if m > k:
            moved = tangent @ (v / s[..., None, :])
            grad_u = grad_u + moved - u @ (u_h @ moved)
            grad_u = np.concatenate([grad_u, np.zeros(full_u.shape[:-1] + (full_u.shape[-1] - k,), grad_u.dtype)], -1)
        if n > k:
            moved = (u_h / s[..., :, None]) @ tangent
            grad_vh = grad_vh + moved - (moved @ v) @ vh
            grad_vh = np.concatenate([grad_vh, np.zeros(full_vh.shape[:-2] + (full_vh.shape[-2] - k, n),
                                                         grad_vh.dtype)], -2)
        return grad_u, grad_s, grad_vh

    def name(self):
        return "LinalgSvdBackward0"


def _narrowed(factors, k):
    """U, S, Vh (or their gradients; None kept) with a full U's (Vh's) first k columns (rows) only, as PyTorch's
    svd_backward takes them."""
    u, s, vh = factors
    if u is not None and u.shape[-1] != k:  # (a reduced factor as it is: a full slice would show as an alias)
        u = u[..., :k]
    if vh is not None and vh.shape[-2] != k:
        vh = vh[..., :k, :]
    return u, s, vh


class _MatrixOps:
    """The operations the factorisations' gradients need, on arrays or on tensors of the graph: ``adjoint`` (the
    conjugate transpose), ``identity(size, like)``, ``over_upper_adjoint(B, R)`` = B R^-H for an upper-triangular
    R, ``concat`` along the last dim, ``real`` the real part of a complex value (of a real one: itself)."""

    def __init__(self, adjoint, diag_embed, identity, tril, over_upper_adjoint, concat, real):
        self.adjoint, self.diag_embed, self.identity, self.tril = adjoint, diag_embed, identity, tril
        self.over_upper_adjoint, self.concat, self.real = over_upper_adjoint, concat, real


def _tensor_concat(parts):
    from .._functions import cat

    return cat(parts, dim=-1)


def _tensor_over_upper_adjoint(b, r):
    from .triangular import solve_triangular

    return solve_triangular(_tensor_adjoint(r), b, upper=False, left=False)


def _tensor_adjoint(t):
    return t.mH if t._data.dtype.kind == "c" else t.mT


def _tensor_real(t):
    """The real part of ``t``, in its dtype (through conj, which create_graph differentiates)."""
    return (t + t.conj()) * 0.5 if t._data.dtype.kind == "c" else t


def _is_complex(value):
    return getattr(value, "_data", value).dtype.kind == "c"


_NUMPY_MATRIX_OPS = _MatrixOps(lambda a: _hermitian_transpose(a),  # (defined below)
                               lambda v: v[..., None] * np.eye(v.shape[-1], dtype=v.dtype),
                               lambda size, like: np.eye(size, dtype=like.dtype), np.tril,
                               # (column-major as solve_triangular's: an empty R's too)
                               lambda b, r: column_major(_hermitian_transpose(np.linalg.solve(
                                   r, _hermitian_transpose(b)))),
                               lambda parts: np.concatenate(parts, axis=-1), np.real)
_TENSOR_MATRIX_OPS = _MatrixOps(_tensor_adjoint, lambda t: t.diag_embed(),
                                lambda size, like: tensor_class()._wrap(np.eye(size, dtype=like._data.dtype)),
                                lambda t: t.tril(), _tensor_over_upper_adjoint, _tensor_concat, _tensor_real)



def _svd_gradient(grad_u, grad_s, grad_vh, u, s, vh, ops):
    """PyTorch's svd_backward (arrays, or tensors with ``ops`` of tensors)."""
    m, n = u.shape[-2], vh.shape[-1]
    if grad_u is None and grad_vh is None:
        if grad_s is None:
            return None
        return u @ (grad_s[..., :, None] * vh) if m >= n else (u * grad_s[..., None, :]) @ vh
    k = s.shape[-1]
    squares = s * s
    gaps = squares[..., None, :] - squares[..., :, None] + ops.identity(k, s)  # (1 on the diagonal)
    skew_u = skew_v = None
    if grad_u is not None:
        inner = ops.adjoint(u) @ grad_u
        skew_u = inner - ops.adjoint(inner)
    if grad_vh is not None:
        inner = vh @ ops.adjoint(grad_vh)
        skew_v = inner - ops.adjoint(inner)
    complex_factors = _is_complex(u)
    if complex_factors:
        _check_phase_invariance(skew_u, skew_v)
    if skew_u is not None and skew_v is not None:
        middle = (skew_u * s[..., None, :] + s[..., :, None] * skew_v) / gaps
    elif skew_u is not None:
        middle = skew_u / gaps * s[..., None, :]
    else:
        middle = s[..., :, None] * (skew_v / gaps)
    if grad_s is not None:
        middle = middle + ops.diag_embed(grad_s)
    if complex_factors and skew_u is not None and skew_v is not None:
        middle = middle + ops.diag_embed(_diagonal(skew_u) / (2.0 * s))
    if m > n and grad_u is not None:
        scaled = grad_u / s[..., None, :]
        return (u @ middle + scaled - u @ (ops.adjoint(u) @ scaled)) @ vh
    if m < n and grad_vh is not None:
        scaled = grad_vh / s[..., :, None]
        return u @ (middle @ vh + scaled - (scaled @ ops.adjoint(vh)) @ vh)
    return u @ (middle @ vh) if m >= n else (u @ middle) @ vh


def _check_phase_invariance(skew_u, skew_v):
    """PyTorch's refusal of a loss that depends on the phases of complex singular vectors: Im diag(U^H dU) must be
    -Im diag(V^H dV) (within 1e-2). ``skew_u``, ``skew_v``: skew(U^H dU), skew(V^H dV) (None without dU, dV)."""
    im_u, im_v = (0 if skew is None else np.imag(getattr(_diagonal(skew), "_data", _diagonal(skew)))
                  for skew in (skew_u, skew_v))
    if not np.allclose(im_u, -im_v, rtol=1e-2, atol=1e-2):
        raise RuntimeError("svd_backward: The singular vectors in the complex case are specified up to "
                           "multiplication by e^{i phi}. The specified loss function depends on this phase term, "
                           "making it ill-defined.")


class SymmetricEigen(Factorization):
    """eigh's eigenvalues ``w (*, n)`` and eigenvectors ``V (*, n, n)`` of symmetric ``A (*, n, n)``, one node for
    both as PyTorch's: ``dA = V (diag(dw) + skew(V^T dV) / (w_j - w_i)) V^T`` (skew(X) = (X - X^T) / 2)."""

    saved = factor_names = ("values", "vectors")

    def backward(self, grad):
        values, vectors = self.values, self.vectors
        grad_values, grad_vectors = grad.grads
        n = values.shape[-1]
        middle = np.zeros(vectors.shape, vectors.dtype)
        if grad_vectors is not None:
            inner = _mT(vectors) @ grad_vectors
            gaps = values[..., None, :] - values[..., :, None]  # w_j - w_i
            off_diagonal = ~np.eye(n, dtype=bool)
            middle = np.where(off_diagonal, 0.5 * (inner - _mT(inner)) / np.where(off_diagonal, gaps, 1), 0)
        if grad_values is not None:
            middle = middle + grad_values[..., :, None] * np.eye(n, dtype=vectors.dtype)
        return (vectors @ middle @ _mT(vectors),)

    def backward_graph(self, grad):
        # PyTorch's linalg_eig_backward for a symmetric A, op for op: its graph is these ops' (V (diag(dw) V^T) by
        # V * dw for the eigenvalues alone; the skew part halved by a Scalar product, divided in place by the gaps
        # with ones on the diagonal, whose diagonal the eigenvalues' gradient overwrites)
        from .._ops.arithmetic import mul_scalar

        values, vectors = self.graph_factors()
        grad_values, grad_vectors = grad.grads
        if grad_vectors is None:
            return ((vectors * grad_values.unsqueeze(-2)) @ vectors.mT,)
        inner = vectors.mT @ grad_vectors
        inner = mul_scalar(inner - inner.mT, 0.5)
        gaps = values.unsqueeze(-2) - values.unsqueeze(-1)
        gaps.diagonal(0, -2, -1).fill_(1.0)
        middle = inner.div_(gaps)
        if grad_values is not None:
            middle.diagonal(0, -2, -1).copy_(grad_values)
        return (vectors @ (middle @ vectors.mT),)

    @staticmethod
    def factor_tangents(tangent, values, vectors):
        """Forward AD: with M = V^T dA V, ``dw = diag(M)`` and ``dV = V (M / (w_j - w_i))``, zero on the
        diagonal (PyTorch's linalg_eig_jvp for a symmetric A)."""
        inner = _mT(vectors) @ tangent @ vectors
        n = values.shape[-1]
        off_diagonal = ~np.eye(n, dtype=bool)
        gaps = values[..., None, :] - values[..., :, None]
        scaled = np.where(off_diagonal, inner / np.where(off_diagonal, gaps, 1), 0)
        return np.diagonal(inner, 0, -2, -1).copy(), vectors @ scaled

    def name(self):
        return "LinalgEighBackward0"


def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


def eigh(A, UPLO="L"):
    r"""Eigenvalues (ascending) and orthonormal eigenvectors (columns) of symmetric matrices, read from the
    lower (``UPLO='L'``) or upper (``'U'``) triangle.

    Shape:
        A: :math:`(*, n, n)`. eigenvalues: :math:`(*, n)`, eigenvectors: :math:`(*, n, n)`.
    """
    a = A._data
    check_matrix("linalg.eigh", a)
    if a.dtype not in (np.float32, np.float64):  # PyTorch finds no integer kernel rather than refusing the type
        raise NotImplementedError(f"\"linalg_eigh_cpu\" not implemented for '{scalar_name(a)}'")
    _check_uplo(UPLO)
    values, vectors = np.linalg.eigh(a, UPLO=UPLO)
    return _RETURN_TYPES["linalg_eigh"](*SymmetricEigen.outputs(A, values.astype(a.dtype, copy=False),
                                                                  column_major(vectors.astype(a.dtype, copy=False))))


def eigvalsh(A, UPLO="L"):
    r"""The eigenvalues (ascending) of symmetric matrices. Shape: A :math:`(*, n, n)`, output :math:`(*, n)`."""
    return eigh(A, UPLO).eigenvalues


def qr(A, mode="reduced"):
    r"""``A = Q R`` with orthonormal columns of ``Q`` and upper-triangular ``R``.

    Shape:
        A: :math:`(*, m, n)`, k = min(m, n). ``'reduced'``: Q :math:`(*, m, k)`, R :math:`(*, k, n)`;
        ``'complete'``: Q :math:`(*, m, m)`, R :math:`(*, m, n)`; ``'r'``: Q empty, R :math:`(*, k, n)`.

    Differentiable as in PyTorch, except for ``'r'`` and for ``'complete'`` of tall matrices (their backward
    raises PyTorch's error).
    """
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    a = A._data
    check_float_matrix("linalg.qr", a, square=False)
    if mode == "r":
        q, r = no_elements(a.dtype), np.linalg.qr(a, mode="r")
    else:
        q, r = np.linalg.qr(a, mode=mode)
    # (LAPACK's geqrf and orgqr write PyTorch's Q and R column by column)
    q, r = q.astype(a.dtype, copy=False), column_major(r.astype(a.dtype, copy=False))
    q = column_major(q) if mode != "r" else q
    return _RETURN_TYPES["linalg_qr"](*QRDecomposition.outputs(A, q, r, mode=mode))


class QRDecomposition(Factorization):
    """Q, R of matrices ``A (*, m, n)``. For m >= n, ``dA = (dQ + Q copyltu(M)) R^-H`` with
    ``M = R dR^H - dQ^H Q`` and copyltu(M) = tril(M) + tril(M)^H - Re diag(M); a wide A = Q [X | Y] is its square
    part X's QR, with Y = Q^H A_Y."""

    saved = factor_names = ("q", "r")
    complex_aware = True  # (its formula is PyTorch's conjugate Wirtinger one)

    def backward(self, grad):
        return (self._gradient(grad, (self.q, self.r), _NUMPY_MATRIX_OPS),)

    def backward_graph(self, grad):
        return (self._gradient(grad, self.graph_factors(), _TENSOR_MATRIX_OPS),)

    def _gradient(self, grad, factors, ops):
        if self.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please "
                               "use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
        q, r = factors
        m, n = q.shape[-2], r.shape[-1]
        if self.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        grad_q, grad_r = grad.grads
        if m >= n:
            return _qr_gradient(grad_q, grad_r, q, r, ops)
        x, grad_x = r[..., :m], None if grad_r is None else grad_r[..., :m]
        if grad_r is None:
            return ops.concat([_qr_gradient(grad_q, None, q, x, ops), r[..., m:] * 0])
        grad_y = grad_r[..., m:]
        moved = (q @ r[..., m:]) @ ops.adjoint(grad_y)  # Y = Q^H A_Y: Q's share of Y's gradient
        grad_q = moved if grad_q is None else grad_q + moved
        return ops.concat([_qr_gradient(grad_q, grad_x, q, x, ops), q @ grad_y])

    @staticmethod
    def factor_tangents(tangent, q, r, mode="reduced"):
        """Forward AD, PyTorch's linalg_qr_jvp: for m >= n, with M = Q^H dA R^-1, ``dR = triu'(M + M^H) R`` (triu'
        halving the diagonal) and ``dQ = dA R^-1 - Q triu'(M + M^H)``; a wide A = Q [X | Y] is its square part's,
        with dY = Q^H (dA_Y - dQ Y). Its errors are the backward's."""
        if mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please "
                               "use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.")
        m, n = tangent.shape[-2:]
        if mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if m < n:
            grad_q, grad_x = QRDecomposition.factor_tangents(tangent[..., :m], q, r[..., :m], mode)
            grad_y = _hermitian_transpose(q) @ (tangent[..., m:] - grad_q @ r[..., m:])
            return grad_q, np.concatenate([grad_x, grad_y], -1)
        over_r = _hermitian_transpose(np.linalg.solve(_hermitian_transpose(r), _hermitian_transpose(tangent)))
        inner = _hermitian_transpose(q) @ over_r
        upper = np.triu(inner + _hermitian_transpose(inner))
        upper = upper - 0.5 * np.diagonal(upper, 0, -2, -1)[..., None] * np.eye(n, dtype=upper.dtype)
        return over_r - q @ upper, upper @ r

    def name(self):
        return "LinalgQrBackward0"


def _qr_gradient(grad_q, grad_r, q, r, ops):
    """The gradient of A = Q R for m >= n (Q (*, m, n), R (*, n, n)), from those of Q and R (either may be None)."""
    if grad_q is None and grad_r is None:
        return None
    terms = []
    if grad_r is not None:
        terms.append(r @ ops.adjoint(grad_r))
    if grad_q is not None:
        terms.append(-(ops.adjoint(grad_q) @ q))
    inner = terms[0] if len(terms) == 1 else terms[0] + terms[1]
    lower = ops.tril(inner)
    # tril(M) + tril(M)^H with the diagonal's real part once (its imaginary part none)
    symmetric = lower + ops.adjoint(lower) - ops.diag_embed(ops.real(_diagonal(inner)))
    spread = q @ symmetric
    return ops.over_upper_adjoint(spread if grad_q is None else grad_q + spread, r)


def _diagonal(matrix):
    return matrix.diagonal(0, -2, -1)


def _partial_cholesky(matrix):
    """``(order, lower)``: the order of the first leading minor of ``matrix`` that is not positive-definite (0 if
    none), and what LAPACK's potrf leaves in the lower triangle: the factor's columns before that order, ``matrix``'s
    own entries after, and on the failed diagonal entry the pivot that was not positive (unblocked Cholesky)."""
    lower = np.tril(np.array(matrix))
    for k in range(lower.shape[0]):
        pivot = (lower[k, k] - lower[k, :k] @ np.conj(lower[k, :k])).real
        if not pivot > 0:
            lower[k, k] = pivot
            return k + 1, lower
        lower[k, k] = np.sqrt(pivot)
        lower[k + 1:, k] = (lower[k + 1:, k] - lower[k + 1:, :k] @ np.conj(lower[k, :k])) / lower[k, k]
    return 0, lower


def _hermitian_transpose(array):
    return np.conj(_mT(array)) if array.dtype.kind == "c" else _mT(array)


def cholesky_factors(a, upper=False):
    """``(factor, info)`` of ``a (*, n, n)`` as potrf gives them: the lower factor read from the lower triangle (the
    upper one from the upper triangle if ``upper``), and per matrix the order of its first leading minor that is not
    positive-definite (0 if none), whose factor is the partial one potrf leaves."""
    source = _hermitian_transpose(a) if upper else a
    info = np.zeros(a.shape[:-2], np.int32)
    try:
        lower = np.linalg.cholesky(source).astype(a.dtype, copy=False)
    except np.linalg.LinAlgError:
        lower = np.empty_like(source)
        for index in np.ndindex(a.shape[:-2]):
            info[index], lower[index] = _partial_cholesky(source[index])
    return (_hermitian_transpose(lower) if upper else lower), info


def not_positive_definite_error(name, a, info):
    """LinAlgError for the first matrix of ``a`` whose ``info`` (a failed leading minor's order) is not 0."""
    index = next(i for i in np.ndindex(info.shape) if info[i])
    return LinAlgError(f"{name}: {batch_prefix(a, index)}The factorization could not be completed because the input "
                       f"is not positive-definite (the leading minor of order {int(info[index])} is not "
                       "positive-definite).")


class Cholesky(Node):
    """The lower factor ``L`` of ``A = L L^T`` (read from A's lower triangle; its transpose, the upper factor read
    from the upper triangle, if ``upper``). With Phi taking the lower triangle and halving the diagonal,
    ``S = L^-T Phi(L^T dL) L^-1`` and ``dA = (S + S^T) / 2``."""

    saved = ("out",)

    def forward(self, a, upper=False, factor=None):
        self.upper = upper
        if factor is None:
            factor, info = cholesky_factors(a, upper)
            if info.any():
                raise not_positive_definite_error("linalg.cholesky", a, info)
        self.out = column_major(factor)
        return self.out

    def _lower(self):
        return _mT(self.out) if self.upper else self.out

    def backward(self, grad):
        # PyTorch's cholesky_backward, in its order: gA = tril(L^H dL), halved onto its symmetric part, then the
        # triangular solves L^-H gA L^-1 (its last, a right solve, gives the layout)
        from .triangular import substitute

        lower = self._lower()
        if self.upper:
            grad = _hermitian_transpose(grad)
        gradient = np.tril(_hermitian_transpose(lower) @ grad)
        gradient = 0.5 * (gradient + _hermitian_transpose(np.tril(gradient, -1)))
        adjoint = _hermitian_transpose(lower)
        gradient = substitute(adjoint, gradient, upper=True)
        gradient = _hermitian_transpose(substitute(adjoint, _hermitian_transpose(gradient), upper=True))  # (X L = G)
        return (column_major(gradient.astype(grad.dtype, copy=False)),)

    def backward_graph(self, grad):
        from .._ops.arithmetic import mul_scalar
        from .triangular import solve_triangular

        factor = self.graph_output(self.out)
        lower, grad = (factor.mH, grad.mH) if self.upper else (factor, grad)
        gradient = (lower.mH @ grad).tril()
        gradient = mul_scalar(gradient + gradient.tril(-1).mH, 0.5)
        gradient = solve_triangular(lower.mH, gradient, upper=True)
        return (solve_triangular(lower, gradient, upper=False, left=False),)

    def jvp(self, tangents, arrays, params, out):
        """PyTorch's cholesky_jvp: ``dL = L Phi(L^-1 dA L^-H)``, of the tangent as given (not made symmetric)."""
        lower = _hermitian_transpose(out) if self.upper else out
        inner = np.linalg.solve(lower, tangents[0])
        inner = _hermitian_transpose(np.linalg.solve(lower, _hermitian_transpose(inner)))
        inner = np.tril(inner) - 0.5 * np.diagonal(inner, 0, -2, -1)[..., None] * np.eye(out.shape[-1], dtype=out.dtype)
        tangent = lower @ inner
        return _hermitian_transpose(tangent) if self.upper else tangent

    def name(self):
        return "LinalgCholeskyExBackward0"


def cholesky(A, *, upper=False):
    r"""The Cholesky factor of symmetric positive-definite matrices: lower ``L`` with ``A = L L^T`` read from the
    lower triangle, or upper ``U`` with ``A = U^T U`` read from the upper triangle if ``upper``.

    Shape:
        A: :math:`(*, n, n)`. Output: :math:`(*, n, n)`.

    Raises ``LinAlgError`` (a RuntimeError) if a matrix is not positive-definite.
    """
    check_float_matrix("linalg.cholesky", A._data)
    return Cholesky.apply(A, upper=bool(upper))


def _cholesky_ex(input, upper=False, check_errors=False):
    r"""``(L, info)``: cholesky's factor, and per matrix the order of its first leading minor that is not
    positive-definite (0 if none; its factor is then the partial one LAPACK leaves), raising only if
    ``check_errors``."""
    from .._tensor import Tensor

    a = input._data
    check_float_matrix("linalg.cholesky", a)
    factor, info = cholesky_factors(a, bool(upper))
    if check_errors and info.any():
        raise not_positive_definite_error("linalg.cholesky_ex", a, info)
    return _RETURN_TYPES["linalg_cholesky_ex"](Cholesky.apply(input, upper=bool(upper), factor=factor),
                                               Tensor._wrap(info))


cholesky_ex = _parser_errors.native_entry(
    "linalg_cholesky_ex", ("Tensor input, *, bool upper=False, bool check_errors=False, TensorList? out=None",),
    _cholesky_ex)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    r"""How many singular values exceed ``max(atol, rtol * largest)`` (``rtol`` is ``eps * max(m, n)`` when neither
    tolerance is given, 0 when only ``atol`` is).

    Shape:
        A: :math:`(*, m, n)`. Output: :math:`(*)`, int64.
    """
    from .._tensor import Tensor

    a = A._data
    if a.ndim < 2:
        raise RuntimeError("torchless.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    if a.dtype not in (np.float32, np.float64):
        raise RuntimeError("This function doesn't handle types other than float and double")
    s = np.linalg.eigvalsh(a) if hermitian else np.linalg.svd(a, compute_uv=False)
    s = np.abs(s)
    largest = s.max(-1, initial=0, keepdims=True)
    if rtol is None:
        rtol = np.finfo(a.dtype).eps * max(a.shape[-2:]) if atol is None or atol <= 0 else 0.0
    threshold = np.maximum(0.0 if atol is None else atol, rtol * largest)
    return Tensor._wrap(np.sum(s > threshold, axis=-1).astype(np.int64))
