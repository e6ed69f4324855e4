"""Argument checks shared by the linalg functions, raising PyTorch's errors, and the failure they report."""
import numpy as np

from .. import _dtype
from ..autograd.graph import Node


class LinAlgError(RuntimeError):
    """``torch.linalg.LinAlgError``: a matrix the algorithm cannot handle (singular, not positive-definite)."""


def scalar_name(array):
    return _dtype.from_numpy_dtype(array.dtype).scalar_name


def check_float(name, array):
    """float32/float64 only: NumPy's LAPACK has no half precision, and PyTorch refuses integers."""
    if array.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {scalar_name(array)}")
    if array.dtype not in (np.float32, np.float64):
        raise NotImplementedError(f"\"{name}\" not implemented for '{scalar_name(array)}'")


def check_matrix(name, array, square=True, tensor_name="A"):
    """At least 2-D, and with square matrices unless ``square`` is False."""
    if array.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {tensor_name} must have at least 2 dimensions.")
    if square and array.shape[-1] != array.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {array.shape[-2]} by "
                           f"{array.shape[-1]} matrices")


def check_float_matrix(name, array, square=True):
    check_matrix(name, array, square)
    check_float(name, array)


def batch_prefix(array, index):
    """PyTorch's ``(Batch element k): `` naming the failing matrix of a batch (nothing when unbatched)."""
    if array.ndim <= 2:
        return ""
    return f"(Batch element {int(np.ravel_multi_index(index, array.shape[:-2]))}): "


def first_zero_pivot(matrix):
    """The 1-based index of the first zero on U's diagonal in LU with partial pivoting (as LAPACK's getrf
    reports it), or 0 if there is none."""
    u = np.array(matrix, np.float64)
    n = u.shape[0]
    first = 0
    for k in range(n):
        pivot = k + int(np.argmax(np.abs(u[k:, k])))
        u[[k, pivot]] = u[[pivot, k]]
        if u[k, k] == 0:
            first = first or k + 1
            continue
        u[k + 1:] -= np.outer(u[k + 1:, k] / u[k, k], u[k])
    return first


def singular_error(name, array):
    """LinAlgError for the first batch element of ``array`` whose LU factorisation has a zero pivot."""
    for index in np.ndindex(array.shape[:-2]):
        pivot = first_zero_pivot(array[index])
        if pivot:
            return LinAlgError(f"{name}: {batch_prefix(array, index)}The diagonal element {pivot} is zero, the "
                               "inversion could not be completed because the input matrix is singular.")
    return LinAlgError(f"{name}: The inversion could not be completed because the input matrix is singular.")


class NotDifferentiable(Node):
    """Passes through an already computed ``value``; asking for its gradient raises, as PyTorch does for a
    derivative it does not implement."""

    def forward(self, a, value=None, op=""):
        self.op = op
        return value

    def backward(self, grad):
        raise NotImplementedError(f"the derivative for '{self.op}' is not implemented.")
