"""The torch namespace's older linear-algebra functions that PyTorch 2.13 keeps beside ``torch.linalg``
(``chain_matmul``, ...): thin forms of the ``torch.linalg`` functions, with their own checks and deprecation
warnings. torchless.linalg loads on first call, so that ``import torchless`` stays fast."""
import warnings

import numpy as np

from .. import _parser_errors
from .._out_argument import call_into, with_out
from .._tensor import Tensor
from .._user_warnings import warns_once
from ..autograd.graph import Node, output_renamed
from ..return_types import _RETURN_TYPES


def _warn_once(site, message, source, in_library=False):
    """PyTorch's TORCH_WARN_ONCE of ``site``, at ``source`` ("file.cpp:line" in ATen/native) which its message
    names, pointing at the user's call (or, ``in_library``, at the function calling this one, where PyTorch's
    Python wrapper makes the call that warns). Under set_warn_always(True) it warns at each call, leaving the once
    unspent."""
    if warns_once(("deprecated linalg", site)):
        warnings.warn(f"{message} (Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/{source}.)",
                      UserWarning, stacklevel=2 if in_library else _callers_level())


def _callers_level():
    """The stacklevel of the first frame outside torchless: the user's call, as PyTorch's C++ warnings point to
    (through the method forms' forwarding too)."""
    import sys

    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_globals.get("__name__", "").startswith("torchless."):
        frame, level = frame.f_back, level + 1
    return level


def _matrices_product(*matrices):
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for matrix in matrices:
        if matrix.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {matrix.dim()}, expected 2 instead.")
    if len(matrices) == 1:
        return matrices[0].clone()
    from ..linalg import multi_dot

    return multi_dot(list(matrices))


_matrices_product_into = with_out("chain_matmul", _matrices_product)


def chain_matmul(*matrices, out=None):
    """The product of 2-D ``matrices`` (deprecated: torch.linalg.multi_dot takes a list)."""
    for index, matrix in enumerate(matrices):  # (the parser's errors come before the warning)
        if not isinstance(matrix, Tensor):
            raise _parser_errors.element_not_tensor(index, 0, matrix)
    # (PyTorch's out= variant warns from a call site of its own; both are called from torch.functional's code)
    _warn_once(("chain_matmul", out is None),
               "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
               "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple "
               "parameters.", "LinearAlgebra.cpp:1102" if out is None else "LinearAlgebra.cpp:1120", in_library=True)
    return _matrices_product_into(*matrices, out=out)


_CHOLESKY_DEPRECATED = (
    "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future PyTorch release.\n"
    "L = torch.cholesky(A)\nshould be replaced with\nL = torch.linalg.cholesky(A)\nand\n"
    "U = torch.cholesky(A, upper=True)\nshould be replaced with\nU = torch.linalg.cholesky(A).mH\n"
    "This transform will produce equivalent results for all valid (symmetric positive definite) inputs.")
_QR_DEPRECATED = (
    "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch release.\n"
    "The boolean parameter 'some' has been replaced with a string parameter 'mode'.\n"
    "Q, R = torch.qr(A, some)\nshould be replaced with\n"
    "Q, R = torch.linalg.qr(A, 'reduced' if some else 'complete')")
_TRIANGULAR_SOLVE_DEPRECATED = (
    "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be removed in a future "
    "PyTorch release.\ntorch.linalg.solve_triangular has its arguments reversed and does not return a copy of one of "
    "the inputs.\nX = torch.triangular_solve(B, A).solution\nshould be replaced with\n"
    "X = torch.linalg.solve_triangular(A, B).")


def _check_tensor(name, argument, position, value):
    if not isinstance(value, Tensor):
        raise _parser_errors.not_tensor(name, argument, position, value)


def _check_flags(name, position, **flags):
    """PyTorch's parser's check of the bool arguments ``flags`` of ``name``, the first at ``position``."""
    for offset, (argument, value) in enumerate(flags.items()):
        _parser_errors.check_bool(name, argument, value, position + offset)


def cholesky(input, upper=False, *, out=None):
    """The Cholesky factor of ``input`` (deprecated: torch.linalg.cholesky), upper triangular if ``upper``."""
    _check_tensor("cholesky", "input", 1, input)
    _check_flags("cholesky", 2, upper=upper)
    if out is not None:  # (PyTorch's out= variant warns, then calls the other, which warns too)
        _warn_once(("cholesky", "out"), _CHOLESKY_DEPRECATED, "BatchLinearAlgebra.cpp:1800")
    _warn_once("cholesky", _CHOLESKY_DEPRECATED, "BatchLinearAlgebra.cpp:1765")
    if input.dim() < 2:
        raise RuntimeError("cholesky: The input tensor A must have at least 2 dimensions.")
    from ..linalg import cholesky as linalg_cholesky

    return _into("cholesky", out, output_renamed(linalg_cholesky(input, upper=bool(upper)), "CholeskyBackward0"))


def _into(name, out, result):
    """``result`` written into ``out`` as PyTorch's out= variants do, or itself without ``out``."""
    if out is None:
        return result
    return call_into(name, out, lambda: result, (), {})


def _check_matrices(name, argument, value):
    if value.dim() < 2:
        raise RuntimeError(f"{argument} should have at least 2 dimensions, but has {value.dim()} dimensions instead")


def _gram(factor, upper):
    """The matrix whose Cholesky factor is ``factor``: L L^H, or U^H U for an upper factor."""
    return factor.mH @ factor if upper else factor @ factor.mH


def cholesky_inverse(input, upper=False, *, out=None):
    """The inverse of the matrix whose Cholesky factor is ``input``."""
    _check_tensor("cholesky_inverse", "input", 1, input)
    _check_flags("cholesky_inverse", 2, upper=upper)
    if input.dim() < 2:
        raise RuntimeError("cholesky_inverse: The input tensor A must have at least 2 dimensions.")
    if input.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"cholesky_inverse: A must be batches of square matrices, but they are {input.shape[-2]} "
                           f"by {input.shape[-1]} matrices")
    from ..autograd import grad_mode
    from ..linalg import inv

    with grad_mode.no_grad():  # (the value; the gradient is PyTorch's node's, from the factor)
        value = inv(_gram(input, bool(upper)))._data
    return _into("cholesky_inverse", out, CholeskyInverse.apply(input, upper=bool(upper), value=value))


def _adjoint(array):
    return np.conj(np.swapaxes(array, -1, -2))


class CholeskyInverse(Node):
    """The inverse of the matrix whose Cholesky factor is the input, one node as PyTorch's: with C = grad +
    grad^H, the factor's gradient is -(inverse C inverse) L (-U (inverse C inverse) if ``upper``),
    cholesky_inverse_backward's."""

    saved = ("factor", "out")
    complex_aware = complex_aware_graph = True  # (PyTorch's formula for every dtype: C = grad + grad^H)

    def forward(self, factor, upper=False, value=None):
        self.factor, self.upper, self.out = factor, upper, value
        return value

    def backward(self, grad):
        common = self.out @ ((grad + _adjoint(grad)) @ self.out)
        return (-(self.factor @ common) if self.upper else -(common @ self.factor),)

    def backward_graph(self, grad):
        factor, inverse = self.graph_input(0, self.factor), self.graph_output(self.out)
        common = inverse.matmul((grad + grad.mH).matmul(inverse))
        return (-factor.matmul(common) if self.upper else -common.matmul(factor),)

    def name(self):
        return "CholeskyInverseBackward0"


class CholeskySolve(Node):
    """X = A^-1 B for A given by its Cholesky factor (the second input), one node as PyTorch's: B's gradient is
    cholesky_solve(grad, factor), and with C = gB X^H + X gB^H the factor's is -C L (-U C if ``upper``),
    cholesky_solve_backward's."""

    saved = ("factor", "out")
    complex_aware = complex_aware_graph = True  # (PyTorch's conjugate Wirtinger formula)

    def forward(self, b, factor, upper=False, value=None):
        self.factor, self.upper, self.out = factor, upper, value
        return value

    def backward(self, grad):
        from ..linalg.inverse import _solution_layout

        gram = _adjoint(self.factor) @ self.factor if self.upper else self.factor @ _adjoint(self.factor)
        grad_b = _solution_layout(np.linalg.solve(gram, grad), True, False)
        grad_factor = None
        if self.needs_input_grad[1]:
            common = grad_b @ _adjoint(self.out)
            common = common + _adjoint(common)
            grad_factor = -(self.factor @ common) if self.upper else -(common @ self.factor)
        return grad_b, grad_factor

    def backward_graph(self, grad):
        factor = self.graph_input(1, self.factor)
        grad_b = cholesky_solve(grad, factor, self.upper)
        grad_factor = None
        if self.needs_input_grad[1]:
            common = grad_b.matmul(self.graph_output(self.out).mH)
            common = common + common.mH
            grad_factor = -factor.matmul(common) if self.upper else -common.matmul(factor)
        return grad_b, grad_factor

    def name(self):
        return "CholeskySolveBackward0"


def cholesky_solve(input, input2, upper=False, *, out=None):
    """The solution X of A X = ``input``, A given by its Cholesky factor ``input2``."""
    _check_tensor("cholesky_solve", "input", 1, input)
    _check_tensor("cholesky_solve", "input2", 2, input2)
    _check_flags("cholesky_solve", 3, upper=upper)
    _check_matrices("cholesky_solve", "b", input)
    _check_matrices("cholesky_solve", "u", input2)
    from ..autograd import grad_mode
    from ..linalg import solve

    if input.shape[:-2] != input2.shape[:-2]:  # (batch dims broadcast: the composite's graph, renamed)
        return _into("cholesky_solve", out,
                     output_renamed(solve(_gram(input2, bool(upper)), input), "CholeskySolveBackward0"))
    with grad_mode.no_grad():  # (the value; the gradients are PyTorch's node's)
        value = solve(_gram(input2, bool(upper)), input)._data
    return _into("cholesky_solve", out, CholeskySolve.apply(input, input2, upper=bool(upper), value=value))


def qr(input, some=True, *, out=None):
    """The QR decomposition (deprecated: torch.linalg.qr), reduced if ``some``."""
    _check_tensor("qr", "input", 1, input)
    _check_flags("qr", 2, some=some)
    _warn_once(("qr", out is None), _QR_DEPRECATED,
               "BatchLinearAlgebra.cpp:2505" if out is None else "BatchLinearAlgebra.cpp:2517")
    from ..linalg import qr as linalg_qr

    return _into("qr", out, _RETURN_TYPES["qr"](*linalg_qr(input, "reduced" if some else "complete")))


def svd(input, some=True, compute_uv=True, *, out=None):
    """``input = U diag(S) V^H`` (torch.linalg.svd returns V^H); without ``compute_uv`` U and V are zeros."""
    _check_tensor("svd", "input", 1, input)
    _check_flags("svd", 2, some=some, compute_uv=compute_uv)
    from ..linalg import svd as linalg_svd, svdvals

    if not compute_uv:
        m, n = input.shape[-2:] if input.dim() >= 2 else (0, 0)
        values = svdvals(input)
        batch = tuple(input.shape[:-2])
        result = _RETURN_TYPES["svd"](input.new_zeros(batch + (m, m)), values, input.new_zeros(batch + (n, n)))
    else:
        U, S, Vh = linalg_svd(input, full_matrices=not some)
        result = _RETURN_TYPES["svd"](U, S, Vh.mH)  # (torch.svd's V, where linalg.svd gives Vh)
    return _into("svd", out, result)


def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """The solution X of ``A`` X = ``input`` for a triangular ``A`` (deprecated: torch.linalg.solve_triangular),
    with a copy of ``A``."""
    _check_tensor("triangular_solve", "input", 1, input)
    _check_tensor("triangular_solve", "A", 2, A)
    _check_flags("triangular_solve", 3, upper=upper, transpose=transpose, unitriangular=unitriangular)
    _warn_once("triangular_solve", _TRIANGULAR_SOLVE_DEPRECATED, "BatchLinearAlgebra.cpp:2273")
    _check_matrices("triangular_solve", "b", input)
    _check_matrices("triangular_solve", "A", A)
    from ..linalg import solve

    triangle = A.triu() if upper else A.tril()
    if unitriangular:
        eye = triangle.new_ones(triangle.shape[-1]).diag_embed()
        triangle = triangle - triangle.diagonal(0, -2, -1).diag_embed() + eye
    if transpose:
        triangle = triangle.mT
    solution = output_renamed(solve(triangle, input), "TriangularSolveBackward0")
    return _into("triangular_solve", out, _RETURN_TYPES["triangular_solve"](solution, A.clone()))


_LU_DEPRECATED = (
    "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and will be removed in a "
    "future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\nshould be replaced with\nLU, pivots = "
    "torch.linalg.lu_factor(A, compute_pivots)\nand\nLU, pivots, info = torch.lu(A, compute_pivots, "
    "get_infos=True)\nshould be replaced with\nLU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)")
_LU_SOLVE_DEPRECATED = (
    "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a future PyTorch release.\n"
    "Note that torch.linalg.lu_solve has its arguments reversed.\nX = torch.lu_solve(B, LU, pivots)\nshould be "
    "replaced with\nX = torch.linalg.lu_solve(LU, pivots, B)")


def lu(A, pivot=True, get_infos=False, out=None):
    """``(LU, pivots)`` of ``A`` (deprecated: torch.linalg.lu_factor), with the infos too if ``get_infos`` (then as
    torch.return_types._lu_with_info). A zero pivot is no error either way."""
    _check_tensor("lu", "A", 1, A)
    _warn_once("lu", _LU_DEPRECATED, "BatchLinearAlgebra.cpp:2073", in_library=True)  # (from torch.lu's and Tensor.lu's Python code)
    from ..linalg import lu_factor_ex

    factors = lu_factor_ex(A, pivot=pivot)
    if get_infos:
        return _into("lu", out, _RETURN_TYPES["_lu_with_info"](*factors))
    return _into("lu", out, (factors.LU, factors.pivots))


def lu_solve(input, LU_data, LU_pivots, *, out=None):
    """The solution X of A X = ``input`` for A given by lu_factor's ``LU_data`` and ``LU_pivots`` (deprecated:
    torch.linalg.lu_solve, which takes them first)."""
    _check_tensor("lu_solve", "input", 1, input)
    _check_tensor("lu_solve", "LU_data", 2, LU_data)
    _check_tensor("lu_solve", "LU_pivots", 3, LU_pivots)
    _warn_once("lu_solve", _LU_SOLVE_DEPRECATED, "BatchLinearAlgebra.cpp:2230")
    from ..linalg import lu_solve as linalg_lu_solve

    return _into("lu_solve", out, linalg_lu_solve(LU_data, LU_pivots, input))


def _removed(message):
    def removed(*args, **kwargs):
        raise RuntimeError(message)

    return removed


_REMOVED_SINCE = "This function was deprecated since version 1.9 and is now removed."
# PyTorch's stand-ins for the functions it removed, with their messages (torch/_linalg_utils.py)
matrix_rank = _removed(
    f"{_REMOVED_SINCE}\nPlease use the `torch.linalg.matrix_rank` function instead. The parameter 'symmetric' was "
    "renamed in `torch.linalg.matrix_rank()` to 'hermitian'.")
solve = _removed(
    f"{_REMOVED_SINCE} `torch.solve` is deprecated in favor of `torch.linalg.solve`. `torch.linalg.solve` has its "
    "arguments reversed and does not return the LU factorization.\n\nTo get the LU factorization see `torch.lu`, which "
    "can be used with `torch.lu_solve` or `torch.lu_unpack`.\nX = torch.solve(B, A).solution should be replaced "
    "with:\nX = torch.linalg.solve(A, B)")
lstsq = _removed(
    f"{_REMOVED_SINCE} `torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n`torch.linalg.lstsq` has "
    "reversed arguments and does not return the QR decomposition in the returned tuple (although it returns other "
    "information about the problem).\n\nTo get the QR decomposition consider using `torch.linalg.qr`.\n\nThe returned "
    "solution in `torch.lstsq` stored the residuals of the solution in the last m - n columns of the returned value "
    "whenever m > n. In torch.linalg.lstsq, the residuals are in the field 'residuals' of the returned named "
    "tuple.\n\nThe unpacking of the solution, as in\nX, _ = torch.lstsq(B, A).solution[:A.size(1)]\nshould be "
    "replaced with:\nX = torch.linalg.lstsq(A, B).solution")
symeig = _removed(
    f"{_REMOVED_SINCE} The default behavior has changed from using the upper triangular portion of the matrix by "
    "default to using the lower triangular portion.\n\nL, _ = torch.symeig(A, upper=upper) should be replaced "
    "with:\nL = torch.linalg.eigvalsh(A, UPLO='U' if upper else 'L')\n\nand\n\nL, V = torch.symeig(A, "
    "eigenvectors=True) should be replaced with:\nL, V = torch.linalg.eigh(A, UPLO='U' if upper else 'L')")
eig = _removed(
    f"{_REMOVED_SINCE} `torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather than real "
    "tensors mimicking complex tensors.\n\nL, _ = torch.eig(A) should be replaced with:\nL_complex = "
    "torch.linalg.eigvals(A)\n\nand\n\nL, V = torch.eig(A, eigenvectors=True) should be replaced with:\nL_complex, "
    "V_complex = torch.linalg.eig(A)")
