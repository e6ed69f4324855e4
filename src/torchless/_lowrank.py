"""torch.svd_lowrank and torch.pca_lowrank: Halko, Martinsson and Tropp's randomized low-rank SVD, composed of
the ops PyTorch composes it of (its Gaussian test matrix drawn from the default generator, so that a seed gives
PyTorch's factors)."""
import torchless

__all__ = ["svd_lowrank", "pca_lowrank"]


def _floating_dtype(A):
    return A.dtype if A.dtype in (torchless.float16, torchless.float32, torchless.float64) else torchless.float32


def _minus_product(X, M, Q):
    """X - M Q (X itself without M)."""
    return X if M is None else X - torchless.matmul(M, Q)


def get_approximate_basis(A, q, niter=2, M=None):
    """An orthonormal (m, q) basis approximating the range of A - M, from ``niter`` power iterations."""
    niter = 2 if niter is None else niter
    dtype = _floating_dtype(A) if not A.is_complex() else A.dtype
    R = torchless.randn(A.shape[-1], q, dtype=dtype, device=A.device)
    Q = torchless.linalg.qr(_minus_product(torchless.matmul(A, R), M, R)).Q
    for _ in range(niter):
        Q = torchless.linalg.qr(_minus_product(torchless.matmul(A.mH, Q), None if M is None else M.mH, Q)).Q
        Q = torchless.linalg.qr(_minus_product(torchless.matmul(A, Q), M, Q)).Q
    return Q


def svd_lowrank(A, q=6, niter=2, M=None):
    """(U, S, V) of a rank-``q`` approximation of A - M (M broadcast to A's shape): A - M ~ U diag(S) V^H."""
    q = 6 if q is None else q
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.size())
    if m < n:
        A = A.mH
        if M is not None:
            M = M.mH
    Q = get_approximate_basis(A, q, niter=niter, M=M)
    B = _minus_product(torchless.matmul(Q.mH, A), None if M is None else Q.mH, M)
    U, S, Vh = torchless.linalg.svd(B, full_matrices=False)
    V = Vh.mH
    U = Q.matmul(U)
    if m < n:
        U, V = V, U
    return U, S, V


def pca_lowrank(A, q=None, center=True, niter=2):
    """(U, S, V) of the principal components of the rows of A: svd_lowrank of A less its column means (of A
    itself when not ``center``), with q = min(6, m, n) by default."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not (q >= 0 and q <= min(m, n)):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if not (niter >= 0):
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return svd_lowrank(A, q, niter=niter, M=None)
    C = A.mean(dim=(-2,), keepdim=True)
    return svd_lowrank(A - C, q, niter=niter, M=None)
