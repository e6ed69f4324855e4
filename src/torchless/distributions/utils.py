"""Helpers shared by the distributions, as in ``torch.distributions.utils``."""
import numbers

import torchless as _t
from torchless.nn import functional as F


def broadcast_all(*values):
    """The values (tensors or numbers) as tensors broadcast together; numbers take the first tensor's dtype."""
    if not all(isinstance(v, (_t.Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, torch.Tensor or objects implementing "
                         "__torch_function__.")
    if not all(isinstance(v, _t.Tensor) for v in values):
        dtype = next((v.dtype for v in values if isinstance(v, _t.Tensor)), _t.get_default_dtype())
        values = [v if isinstance(v, _t.Tensor) else _t.tensor(v, dtype=dtype) for v in values]
    return _t.broadcast_tensors(*values)


def loc_scale_batch_shape(first, second, broadcast):
    """The batch shape of a distribution of two parameters: none when both were given as numbers."""
    if isinstance(first, numbers.Number) and isinstance(second, numbers.Number):
        return _t.Size()
    return broadcast.size()


def _sum_rightmost(value, dim):
    """``value`` with its ``dim`` rightmost dimensions summed out."""
    if dim == 0:
        return value
    return value.reshape(value.shape[:-dim] + (-1,)).sum(-1)


def _standard_normal(shape, dtype, device=None):
    return _t.empty(shape, dtype=dtype).normal_()


def _tril_mask(n, diag):
    """The (n, n) mask of the entries on and below diagonal ``diag``."""
    arange = _t.arange(n)
    return arange < arange.view(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat, diag=0):
    """The entries on and below diagonal ``diag`` of (batched) square matrices, row by row."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag)]


def vec_to_tril_matrix(vec, diag=0):
    """The (batched) square matrices whose entries on and below diagonal ``diag`` are ``vec``'s, row by row."""
    # the positive root of D^2 + (1 + 2 diag) D - |diag| (diag + 1) - 2 len = 0
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * vec.shape[-1] + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if round(n) - n > _t.finfo(vec.dtype).eps:
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be expressed as the lower "
                         "triangular part of a square D x D matrix.")
    n = round(n)
    mat = vec.new_zeros(vec.shape[:-1] + _t.Size((n, n)))
    mat[..., _tril_mask(n, diag)] = vec
    return mat


def clamp_probs(probs):
    eps = _t.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary=False):
    return _t.sigmoid(logits) if is_binary else F.softmax(logits, dim=-1)


def probs_to_logits(probs, is_binary=False):
    clamped = clamp_probs(probs)
    return _t.log(clamped) - _t.log1p(-clamped) if is_binary else _t.log(clamped)


class lazy_property:
    """A property computed on first access and then stored on the instance (``probs`` from ``logits``...)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with _t.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value
