"""Inverting and solving with tensors read as matrices: linalg.tensorinv and linalg.tensorsolve."""
import math

from .. import _parser_errors


def _tensorinv(input, ind=2):
    r"""The tensor ``X`` with ``tensordot(X, input, ind)`` the identity: ``input`` read as the square matrix
    ``prod(shape[:ind]) x prod(shape[ind:])``, inverted, and shaped ``shape[ind:] + shape[:ind]``."""
    from ._checks import singular_error
    from .inverse import inv_ex

    shape = tuple(input.shape)
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    if ind > len(shape):
        raise RuntimeError(f"ArrayRef: invalid slice, N = {ind}; size = {len(shape)}")
    rows, columns = math.prod(shape[:ind]), math.prod(shape[ind:])
    if rows != columns:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {columns} != {rows}")
    matrix = input.reshape(columns, columns)
    inverse, info = inv_ex(matrix)
    if info.item():
        raise singular_error("inv", matrix._data, info._data)
    return inverse.reshape(shape[ind:] + shape[:ind])


tensorinv = _parser_errors.native_entry("linalg_tensorinv", ("Tensor input, int ind=2, *, Tensor? out=None",),
                                        _tensorinv)


def _tensorsolve(input, other, dims=None):
    r"""The tensor ``X`` with ``tensordot(input, X, X.ndim) = other``: ``input`` (its ``dims`` moved last) read as
    the square matrix ``other.numel() x prod(shape[other.ndim:])``, the solution shaped ``shape[other.ndim:]``."""
    from .inverse import solve

    if dims is not None:
        count = len(dims)
        input = input.movedim(tuple(dims), tuple(range(input.dim() - count, input.dim())))
    result_shape = tuple(input.shape)[other.dim():]
    result_size, other_size = math.prod(result_shape), other.numel()
    if result_size != other_size:
        raise RuntimeError("Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {result_size} != {other_size}")
    return solve(input.reshape(result_size, result_size), other.flatten()).view(result_shape)


tensorsolve = _parser_errors.native_entry(
    "linalg_tensorsolve", ("Tensor input, Tensor other, int[]? dims=None, *, Tensor? out=None",), _tensorsolve)
