"""The torch namespace's older linear-algebra functions that PyTorch 2.13 keeps beside ``torch.linalg``
(``chain_matmul``, ...): thin forms of the ``torch.linalg`` functions, with their own checks and deprecation
warnings. torchless.linalg loads on first call, so that ``import torchless`` stays fast."""
import warnings

from .. import _parser_errors
from .._out_argument import with_out
from .._tensor import Tensor


_warned = set()  # the call sites PyTorch has warned from (TORCH_WARN_ONCE: once per process each)


def _warn_once(site, message):
    from .._info import is_warn_always_enabled

    if site not in _warned or is_warn_always_enabled():
        _warned.add(site)
        warnings.warn(message, UserWarning, stacklevel=3)


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


_matrices_product_into = with_out("mm", _matrices_product)


def chain_matmul(*matrices, out=None):
    """The product of 2-D ``matrices`` (deprecated: torch.linalg.multi_dot takes a list)."""
    for index, matrix in enumerate(matrices):  # (the parser's errors come before the warning)
        if not isinstance(matrix, Tensor):
            raise _parser_errors.element_not_tensor(index, 0, matrix)
    # (PyTorch's out= variant warns from a call site of its own)
    _warn_once(("chain_matmul", out is None),
               "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
               "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple "
               "parameters.")
    return _matrices_product_into(*matrices, out=out)
