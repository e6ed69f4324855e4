"""``torch.linalg`` on NumPy: norms, inverses and solves, determinants, factorisations, products.

Inputs are batches of matrices ``(*, m, n)`` of float32 or float64; results keep the input's dtype.
"""
from ._checks import LinAlgError
from .decompositions import cholesky, eigh, eigvalsh, matrix_rank, qr, svd, svdvals
from .determinant import det, slogdet
from .inverse import inv, matrix_power, pinv, solve
from .matrix_exp import matrix_exp
from .norms import matrix_norm, norm, vector_norm
from .products import cross, multi_dot, vander

__all__ = ["LinAlgError", "cholesky", "cross", "det", "eigh", "eigvalsh", "inv", "matrix_exp", "matrix_norm",
           "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "svd", "svdvals",
           "vander", "vector_norm"]
