"""tensordot, inner and vdot: products over chosen dims, built on matmul (so autograd comes with them).
"""
import math
import numbers

from .. import _dtype
from .._tensor import Tensor
from ._util import required_tensor


def tensordot(a, b, dims=2, out=None):
    """Sums the products of ``a``'s and ``b``'s elements over the dims given (the last ``dims`` of ``a`` with
    the first of ``b``, or two lists of dims)."""
    required_tensor(a, "tensordot", "a")
    required_tensor(b, "tensordot", "b", 2)
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, numbers.Integral):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))  # (as PyTorch's messages print them)
    else:
        dims_a, dims_b = ([d] if isinstance(d, numbers.Integral) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:  # no promotion: PyTorch checks before any product's own dtype check
        raise RuntimeError("both inputs should have same dtype")
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[da]} in dim {da} "
                               f"and second has size {b.shape[db]} in dim {db}")
    if a._data.dtype.kind == "u" and a.ndim == b.ndim == len(dims_a) == 1:  # (PyTorch's product of two vectors
        # is their dot, which uint16 and wider have no kernel for; a matrix product's error is matmul's)
        _dtype.refuse_wide_unsigned("dot", a._data.dtype)
    dims_a = [d % a.ndim if a.ndim else d for d in dims_a]
    dims_b = [d % b.ndim if b.ndim else d for d in dims_b]
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    size = math.prod(a.shape[d] for d in dims_a)
    left = a.permute(free_a + dims_a).reshape(-1, size)
    right = b.permute(dims_b + free_b).reshape(size, -1)
    return (left @ right).reshape([a.shape[d] for d in free_a] + [b.shape[d] for d in free_b])


def inner(self, other):
    """The dot product over the last dims of both (a product when either is 0-d)."""
    required_tensor(other, "inner", "other", 2)
    if self.ndim == 0 or other.ndim == 0:
        return self * other
    if self.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(self.shape)} and {list(other.shape)}")
    if self.ndim == 1 and other.ndim == 1:  # PyTorch's dot then, after tensordot's dtype check
        if self._data.dtype != other._data.dtype:
            raise RuntimeError("both inputs should have same dtype")
        return self.dot(other)
    return tensordot(self, other, ([-1], [-1]))


def vdot(self, other):
    """The dot product of two 1-D tensors (real ones: ``dot``)."""
    required_tensor(other, "vdot", "other", 2)
    if self.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors")
    if self._data.dtype != other._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {self.dtype.scalar_name} "
                           f"and {other.dtype.scalar_name}")
    if self.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{self.shape[0]}] and src [{other.shape[0]}] "
                           f"to have the same number of elements, but got {self.shape[0]} and {other.shape[0]} "
                           "elements respectively")
    return self.dot(other)
