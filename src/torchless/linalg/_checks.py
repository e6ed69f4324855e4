"""Argument checks shared by the linalg functions, raising PyTorch's errors, and the failure they report."""
import numpy as np

from .. import _dtype
from .._memory_format import contiguous_format, strides_for, with_strides
from ..autograd.graph import Node


class LinAlgError(RuntimeError):
    """``torch.linalg.LinAlgError``: a matrix the algorithm cannot handle (singular, not positive-definite)."""


# named as PyTorch's class, torch._C._LinAlgError, which tracebacks and type(error).__name__ show
LinAlgError.__name__ = LinAlgError.__qualname__ = "_LinAlgError"


def check_real_order(ord):
    """linalg.vector_norm's refusal of a complex ``ord`` (after the input's dtype is checked)."""
    if isinstance(ord, complex):
        raise RuntimeError("linalg.vector_norm: Expected a non-complex scalar as the order of norm.")


def scalar_name(array):
    return _dtype.from_numpy_dtype(array.dtype).scalar_name


# What PyTorch says of a half precision input to the functions that refuse it: some check the dtype up front, the
# others fail in the CPU kernel they dispatch to (the norms and matrix_exp compute in half, as here).
_LOW_PRECISION = "Low precision dtypes not supported. Got Half"
_HALF_REFUSED = {
    "linalg.inv": (RuntimeError, f"linalg.inv: {_LOW_PRECISION}"),
    "linalg.slogdet": (RuntimeError, f"linalg.slogdet: {_LOW_PRECISION}"),
    "linalg.matrix_norm": (RuntimeError, f"linalg.matrix_norm: {_LOW_PRECISION}"),  # its SVD-based orders
    "linalg.det": (NotImplementedError, "\"lu_cpu\" not implemented for 'Half'"),
    "linalg.solve": (NotImplementedError, "\"lu_cpu\" not implemented for 'Half'"),
    "linalg.cholesky": (NotImplementedError, "\"cholesky_cpu\" not implemented for 'Half'"),
    "linalg.qr": (NotImplementedError, "\"geqrf_cpu\" not implemented for 'Half'"),
    "linalg.svd": (NotImplementedError, "\"linalg_svd_cpu\" not implemented for 'Half'"),
}


# The functions computed for complex inputs too (their values and gradients checked against PyTorch's; the others
# still refuse them, which PyTorch does not)
_COMPLEX_COMPUTED = frozenset({"linalg.inv", "linalg.det", "linalg.solve", "linalg.matrix_exp", "linalg.slogdet",
                               "linalg.svd", "linalg.matrix_norm", "linalg.qr"})


def check_float(name, array):
    """A floating input: PyTorch refuses integers, and half precision where ``_HALF_REFUSED`` says so."""
    if array.dtype.kind not in "fV" and not (array.dtype.kind == "c" and name in _COMPLEX_COMPUTED):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {scalar_name(array)}")
    if array.dtype == np.float16 and name in _HALF_REFUSED:
        error, message = _HALF_REFUSED[name]
        raise error(message)


def check_floating_or_complex(name, array):
    if array.dtype.kind not in "fcV":  # ("V": bfloat16)
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {scalar_name(array)}")


def norm_input(name, x, dtype):
    """``x`` as the norm ``name`` takes it with a ``dtype`` argument (None: x's own): PyTorch requires a floating
    input and a floating dtype at least as wide as the input's, and computes in that dtype. A complex input
    (with a complex dtype) enters as its magnitudes: real, and differentiable through abs."""
    check_floating_or_complex(name, x._data)
    kind = x._data.dtype.kind
    if dtype is None:
        return x.abs() if kind == "c" else x
    target = _dtype.from_numpy_dtype(_dtype.argument(dtype, name.replace(".", "_")))
    if not (target.is_floating_point or target.is_complex):
        raise RuntimeError(f"{name}: dtype should be floating point or complex, but got {target.scalar_name}")
    if target.is_complex != (kind == "c"):
        raise RuntimeError(f"{name}: dtype should be {'complex' if kind == 'c' else 'real'} for "
                           f"{'complex' if kind == 'c' else 'real'} inputs, but got {target.scalar_name}")
    if np.promote_types(x._data.dtype, target.numpy) != target.numpy:
        raise RuntimeError(f"{name}: the dtype of the input ({scalar_name(x._data)}) should be convertible without "
                           f"narrowing to the specified dtype ({target.scalar_name})")
    return x.to(target).abs() if kind == "c" else x.to(target)


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


def column_major(array):
    """The matrices of ``array`` laid out column by column, as LAPACK writes PyTorch's results (their strides: size-1
    and size-0 dims' too, a size-0 dim counting as 1), copied if need be."""
    *batch, m, n = array.shape
    strides = strides_for((*batch, n, m), contiguous_format)
    strides[-2:] = strides[-1], strides[-2]
    return with_strides(array, strides)


def no_elements(dtype):
    """The empty vector PyTorch gives for a result not computed: stride 1 (NumPy's empty arrays have stride 0)."""
    return np.zeros(1, dtype)[:0]


def batch_prefix(array, index):
    """PyTorch's ``(Batch element k): `` naming the failing matrix of a batch (nothing when unbatched)."""
    if array.ndim <= 2:
        return ""
    return f"(Batch element {int(np.ravel_multi_index(index, array.shape[:-2]))}): "


def singular_error(name, array, info):
    """LinAlgError for the first matrix of ``array`` whose LU factorisation has a zero pivot (``info``: the first
    zero pivot's 1-based index per matrix, 0 if none)."""
    index = next(i for i in np.ndindex(info.shape) if info[i])
    return LinAlgError(f"{name}: {batch_prefix(array, index)}The diagonal element {int(info[index])} is zero, the "
                       "inversion could not be completed because the input matrix is singular.")


class NotDifferentiable(Node):
    """Passes through an already computed ``value``; asking for its gradient raises, as PyTorch does for a
    derivative it does not implement. ``node``: PyTorch's name of the node, where given."""

    def forward(self, a, value=None, op="", node=None):
        self.op, self.node = op, node
        return value

    def backward(self, grad):
        raise NotImplementedError(f"the derivative for '{self.op}' is not implemented.")

    backward_graph = backward  # (create_graph=True meets the same error)

    def name(self):
        return self.node or super().name()
