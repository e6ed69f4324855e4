"""Householder reflectors as LAPACK's geqrf packs them: torch.geqrf, linalg.householder_product (torch.orgqr) and
torch.ormqr. The products are composed of differentiable tensor operations, so their gradients follow."""
import numpy as np

from .. import _parser_errors
from ..autograd.graph import output_renamed
from ..return_types import _RETURN_TYPES
from ._checks import NotDifferentiable, column_major, scalar_name


def _geqrf(input):
    r"""``(a, tau)``: the QR factorisation of ``input`` as LAPACK's geqrf leaves it: R on and above the diagonal,
    below it the Householder vectors (their leading 1 implied), and their scales ``tau``.

    Shape:
        input: :math:`(*, m, n)`. a: :math:`(*, m, n)`, tau: :math:`(*, \min(m, n))`.
    """
    from ..autograd.grad_mode import is_grad_enabled

    a = input._data
    if a.ndim < 2:
        raise RuntimeError("torchless.geqrf: input must have at least 2 dimensions.")
    if a.dtype.kind not in "fc" or a.dtype == np.float16:
        raise NotImplementedError(f"\"geqrf_cpu\" not implemented for '{scalar_name(a)}'")
    if a.dtype.kind == "c" and input.requires_grad and is_grad_enabled():
        raise RuntimeError("geqrf does not support automatic differentiation for outputs with complex dtype.")
    if a.size:
        transposed, tau = np.linalg.qr(a, mode="raw")  # (LAPACK's column-major result, read as rows)
        packed = np.swapaxes(transposed, -1, -2).astype(a.dtype, copy=False)
    else:
        packed, tau = np.array(a), np.zeros(a.shape[:-2] + (min(a.shape[-2:]),), a.dtype)
    tau = np.ascontiguousarray(tau.astype(a.dtype, copy=False))
    return _RETURN_TYPES["geqrf"](*(NotDifferentiable.apply(input, value=value, op="geqrf", node="GeqrfBackward0")
                                    for value in (column_major(packed), tau)))


geqrf = _parser_errors.native_entry("geqrf", ("Tensor input, *, TensorList? out=None",), _geqrf)


def _reflector(input, i):
    """The Householder vector of column ``i`` of ``input``: 0 above row i, 1 at it, the stored entries below."""
    m = input.shape[-2]
    below = input._wrap((np.arange(m) > i).astype(input._data.dtype))
    unit = input._wrap((np.arange(m) == i).astype(input._data.dtype))
    return input[..., :, i] * below + unit


def _reflect(matrix, input, tau, i, left, conjugate):
    """``H_i matrix`` (``matrix H_i`` if not ``left``), H_i = I - tau_i v v^H (with conj(tau_i) if ``conjugate``)."""
    v = _reflector(input, i).unsqueeze(-1)
    scale = tau[..., i, None, None]
    if conjugate:
        scale = scale.conj()
    if left:
        return matrix - scale * (v @ (v.mH @ matrix))
    return matrix - scale * ((matrix @ v) @ v.mH)


def _as_node(result, node_name, operands):
    """``result`` as the output of PyTorch's node ``node_name`` of ``operands``: with no reflector to apply it is
    joined to them by adding sums of their empty slices (exact zeros, zero gradients), as PyTorch's node is."""
    if not operands[1].shape[-1]:  # (tau: no reflector)
        for operand in operands:
            if operand.requires_grad:
                result = result + operand[..., :0].sum()
    return output_renamed(result, node_name)


def _check_dtypes(name, kernel, input, tau):
    a, t = input._data, tau._data
    if t.dtype != a.dtype:
        raise RuntimeError(f"torchless.{name}: tau dtype {scalar_name(t)} does not match input dtype {scalar_name(a)}")
    if a.dtype.kind not in "fc" or a.dtype == np.float16:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{scalar_name(a)}'")


def _check_tau_batch(name, input, tau):
    a, t = input._data, tau._data
    if t.ndim != a.ndim - 1:
        raise RuntimeError(f"torchless.{name}: Expected tau to have one dimension less than input, but got tau.ndim "
                           f"equal to {t.ndim} and input.ndim is equal to {a.ndim}")
    if a.ndim > 2 and t.shape[:-1] != a.shape[:-2]:
        raise RuntimeError(f"torchless.{name}: Expected batch dimensions of tau to be equal to input.shape[:-2], but "
                           f"got {list(t.shape[:-1])}")


def _orgqr(input, tau):
    """The first n columns of ``H_1 ... H_k`` (``H_i = I - tau_i v_i v_i^H``, ``v_i`` one at row i with ``input``'s
    column i below it) from differentiable operations, built as LAPACK's orgqr builds them, so that even the signs
    of its zeros are LAPACK's: the columns past k those of the identity, then from the last reflector back, column i
    as ``e_i - tau_i v_i`` after ``H_i`` is applied to the columns right of it (only to the rows up to ``v_i``'s last
    nonzero and the columns up to the last one nonzero there, as LAPACK's larf)."""
    from .._creation import ones, zeros
    from .._functions import cat

    m, n = input.shape[-2:]
    k = tau.shape[-1]
    batch = tuple(input.shape[:-2])
    a = input._data
    Q = input._wrap(np.broadcast_to(np.eye(m, n, dtype=a.dtype)[:, k:], (*batch, m, n - k)).copy()) if k < n else None
    for i in reversed(range(k)):
        minus_tau = -tau[..., i:i + 1].unsqueeze(-1)
        below = input[..., i + 1:, i:i + 1]
        if Q is not None:
            v = cat([zeros(*batch, i, 1, dtype=input.dtype), ones(*batch, 1, 1, dtype=input.dtype), below], dim=-2)
            updated = Q + v * (minus_tau * (v.mH @ Q))
            # outside larf's region the update adds only zeros: the values keep Q's zeros, signs included (the
            # graph, and so the gradient, is the formula's)
            np.copyto(updated._data, Q._data, where=~_larf_region(v._data, Q._data, minus_tau._data))
            Q = updated
        column = cat([zeros(*batch, i, 1, dtype=input.dtype), 1 + minus_tau, minus_tau * below], dim=-2)
        Q = column if Q is None else cat([column, Q], dim=-1)
    return Q


def _larf_region(v, C, minus_tau):
    """Where LAPACK's larf changes ``C`` applying ``I - tau v v^H`` from the left: nothing for ``tau = 0``, else
    the rows up to ``v``'s last nonzero and, of the columns, those up to the last one nonzero in these rows."""
    rows = np.arange(v.shape[-2])[:, None]
    last_row = np.max(np.where(v != 0, rows, -1), axis=-2, keepdims=True)  # (..., 1, 1)
    in_rows = rows <= last_row
    columns = np.arange(C.shape[-1])
    nonzero = np.any((C != 0) & in_rows, axis=-2, keepdims=True)  # (..., 1, c)
    last_column = np.max(np.where(nonzero, columns, -1), axis=-1, keepdims=True)
    return in_rows & (columns <= last_column) & (minus_tau != 0)


def _householder_product(input, tau):
    r"""The first n columns of the product ``H_1 ... H_k`` of the Householder reflectors stored in ``input`` and
    ``tau`` (geqrf's): the Q of a QR factorisation.

    Shape:
        input: :math:`(*, m, n)`, m >= n. tau: :math:`(*, k)`, k <= n. Output: :math:`(*, m, n)`.
    """
    name = "linalg.householder_product"
    a = input._data
    if a.ndim < 2:
        raise RuntimeError(f"torchless.{name}: input must have at least 2 dimensions.")
    m, n = a.shape[-2:]
    if m < n:
        raise RuntimeError(f"torchless.{name}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if n < tau._data.shape[-1]:
        raise RuntimeError(f"torchless.{name}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    _check_tau_batch(name, input, tau)
    _check_dtypes(name, "orgqr_cpu", input, tau)
    return _as_node(_orgqr(input, tau), "LinalgHouseholderProductBackward0", (input, tau))


householder_product = _parser_errors.native_entry(
    "linalg_householder_product", ("Tensor input, Tensor tau, *, Tensor? out=None",), _householder_product)
orgqr = _parser_errors.native_entry("orgqr", ("Tensor input, Tensor input2, *, Tensor? out=None",),
                                    lambda input, input2: _householder_product(input, input2))


def _ormqr(input, input2, input3, left=True, transpose=False):
    r"""``input3`` multiplied by the Q of the Householder reflectors in ``input`` and ``input2`` (geqrf's): ``Q C``
    (``C Q`` if not ``left``), with ``Q^H`` if ``transpose``.

    Shape:
        input: :math:`(*, m, n)`, input2 (tau): :math:`(*, k)`, input3: :math:`(*, m, p)` (:math:`(*, p, m)` if
        not ``left``). Output: input3's.
    """
    name, tau, other = "ormqr", input2, input3
    a, t, c = input._data, tau._data, other._data
    if a.ndim < 2:
        raise RuntimeError(f"torchless.{name}: input must have at least 2 dimensions.")
    if c.ndim < 2:
        raise RuntimeError(f"torchless.{name}: other must have at least 2 dimensions.")
    side = -2 if left else -1
    if c.shape[side] != a.shape[-2]:
        raise RuntimeError(f"torchless.{name}: other.shape[{side}] must be equal to input.shape[-2]")
    if t.shape[-1] != min(c.shape[side], a.shape[-1]):
        raise RuntimeError(f"torchless.{name}: tau.shape[-1] must be equal to min(other.shape[{side}], "
                           "input.shape[-1])")
    _check_tau_batch(name, input, tau)
    if c.ndim != a.ndim:
        raise RuntimeError(f"torchless.{name}: Expected other to have the same number of dimensions as input, but got "
                           f"other.ndim equal to {c.ndim} and input.ndim is equal to {a.ndim}")
    if a.ndim > 2 and c.shape[:-2] != a.shape[:-2]:
        raise RuntimeError(f"torchless.{name}: Expected batch dimensions of other to be equal to input.shape[:-2], "
                           f"but got {list(c.shape[:-2])}")
    for operand, label in ((t, "tau"), (c, "other")):
        if operand.dtype != a.dtype:
            raise RuntimeError(f"torchless.{name}: Expected input and {label} to have the same dtype, but input has "
                               f"dtype{scalar_name(a)} and {label} has dtype {scalar_name(operand)}")
    if a.dtype.kind not in "fc" or a.dtype == np.float16:
        raise NotImplementedError(f"\"ormqr_cpu\" not implemented for '{scalar_name(a)}'")
    # Q = H_0 ... H_{k-1}: Q C applies the last reflector first, Q^H C the first; on the right the other way round
    order = range(t.shape[-1])
    result = other if t.shape[-1] else other.clone()  # (a new tensor, as PyTorch's, with no reflector too)
    for i in (order if left == bool(transpose) else reversed(order)):
        result = _reflect(result, input, tau, i, left=left, conjugate=bool(transpose))
    return _as_node(result, "OrmqrBackward0", (input, tau, other))


ormqr = _parser_errors.native_entry(
    "ormqr", ("Tensor input, Tensor input2, Tensor input3, bool left=True, bool transpose=False, *, "
              "Tensor? out=None",), _ormqr)
