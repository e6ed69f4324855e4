"""``torch.linalg`` on NumPy: norms, inverses and solves, determinants, factorisations, products.

Inputs are batches of matrices ``(*, m, n)`` of float32 or float64; results keep the input's dtype.
"""
from ._checks import LinAlgError
from .condition import cond
from .decompositions import cholesky, cholesky_ex, eigh, eigvalsh, matrix_rank, qr, svd, svdvals
from .determinant import det, slogdet
from .eigen import eig, eigvals
from .householder import householder_product
from .inverse import inv, inv_ex, matrix_power, pinv, solve, solve_ex
from .lstsq import lstsq
from .lu import lu, lu_factor, lu_factor_ex, lu_solve
from .matrix_exp import matrix_exp
from .norms import matrix_norm, norm, vector_norm
from .products import cross, diagonal, matmul, multi_dot, vander, vecdot
from .tensor_solve import tensorinv, tensorsolve
from .triangular import solve_triangular

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals",
           "eigvalsh", "householder_product", "inv", "inv_ex", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve",
           "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
           "slogdet", "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve", "vander",
           "vecdot", "vector_norm"]

from .. import overrides as _overrides  # noqa: E402

_overrides.dispatch_functions(__name__)  # (once a Tensor subclass takes part in __torch_function__)
del _overrides
