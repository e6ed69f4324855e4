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
