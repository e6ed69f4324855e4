r"""Losses of probabilistic models: kl_div, poisson_nll_loss and gaussian_nll_loss.

PyTorch composes all three of ordinary tensor operations (in C++ for the first two, in Python for the
third), so they are composed here of the same operations in the same order: the results, the dtype
promotion, the broadcasting, the gradients (to the target too) and the ``grad_fn`` names all follow.
"""
import math
import warnings

import numpy as np

from ... import _creation
from ...autograd import grad_mode
from ...autograd.graph import Node
from ._args import check_tensor
from .loss import _legacy_reduction, _reduction

__all__ = ["kl_div", "poisson_nll_loss", "gaussian_nll_loss"]


class Xlogy(Node):
    """xlogy(t, t) = t log t, 0 where t == 0 (NaN stays NaN).

    Its gradient sums PyTorch's two xlogy derivatives for the same tensor, xlogy(t != 0, t) + t / t: so
    log t + 1, and NaN at t == 0 (0 / 0), as PyTorch's kl_div gives the target.
    """

    saved = ("t",)

    def forward(self, t):
        self.t = t
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(t == 0, 0, t * np.log(t)).astype(t.dtype, copy=False)

    def backward(self, grad):
        t = self.t
        return (grad * (np.where(t != 0, np.log(t), 0) + t / t).astype(t.dtype, copy=False),)

    def backward_graph(self, grad):
        from ..._ops.shape import Where

        t = self.graph_input(0, self.t)
        nonzero = self.t != 0
        log_t = Where.apply(t, t._wrap(np.ones((), self.t.dtype)), condition=nonzero).log()  # log 1 = 0 at t == 0
        return (grad * (log_t + t / t),)


def _torchless():
    import torchless  # the package's function forms exist once it is imported; by any call, it is

    return torchless


def _reduce(loss, reduction):
    """PyTorch's apply_loss_reduction: a mean or a sum of all elements, or the elementwise losses."""
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    r"""The Kullback-Leibler divergence loss, with ``input`` the log-probabilities of the prediction.

    .. math::
        \ell_n = y_n (\log y_n - x_n) \quad\text{or, with log_target,}\quad \ell_n = e^{y_n} (y_n - x_n)

    (:math:`0 \log 0 = 0`), then reduced: 'none', 'sum', 'mean' (over all elements, with a warning: it is
    not the mathematical KL divergence) or 'batchmean' (the sum over the batch size ``input.size(0)``,
    which is). The deprecated ``size_average`` / ``reduce`` override ``reduction``.

    Shape: input (*) and target broadcastable together (usually the same shape); output () or, with
    'none', the broadcast shape. Integer inputs are refused.
    """
    if size_average is not None or reduce is not None:
        applied = _legacy_reduction(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                          "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                          "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
        applied = "sum" if reduction == "batchmean" else _reduction(reduction)
    check_tensor(input, "kl_div")
    check_tensor(target, "kl_div", "target", 2)
    if input.is_complex() or target.is_complex():
        raise RuntimeError("kl_div: Complex inputs not supported.")
    if not input.is_floating_point() or not target.is_floating_point():
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        output = target.exp() * (target - input)
    else:
        output = Xlogy.apply(target) - target * input
    reduced = _reduce(output, applied)
    # PyTorch tests the reduction asked for, even when size_average / reduce chose another one.
    if reduction == "batchmean" and input.dim() != 0:
        reduced = reduced / input.size()[0]
    return reduced


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    r"""Negative log-likelihood of a Poisson distribution with rate ``input`` (or ``exp(input)``).

    .. math::
        \ell_n = e^{x_n} - y_n x_n \quad\text{(log_input)}, \qquad
        \ell_n = x_n - y_n \log(x_n + \text{eps}) \quad\text{(otherwise)}

    With ``full``, the Stirling approximation of :math:`\log(y_n!)`,
    :math:`y_n \log y_n - y_n + \tfrac12 \log(2 \pi y_n)`, is added where :math:`y_n > 1`.
    Then reduced by ``reduction`` ('none' | 'mean' | 'sum').

    Shape: input (*) and target broadcastable together; output () or, with 'none', the broadcast shape.
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    check_tensor(input, "poisson_nll_loss")
    check_tensor(target, "poisson_nll_loss", "target", 2)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 log 0 is NaN, masked out: silently, as PyTorch
            stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss += stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    r"""Negative log-likelihood of a Gaussian with mean ``input`` and variance ``var``.

    .. math::
        \ell_n = \tfrac12 \left(\log \max(\text{var}_n, \text{eps}) +
                 \frac{(x_n - y_n)^2}{\max(\text{var}_n, \text{eps})}\right)
                 \; \left[ + \tfrac12 \log 2\pi \text{ with full} \right]

    then reduced by ``reduction`` ('none' | 'mean' | 'sum'). The clamp at ``eps`` is not differentiated
    (the gradient reaches a clamped variance as if unclamped), as in PyTorch.

    Shape: input (N, *) or (*); target like input or broadcastable to it; var like input, or with one
    dimension of size 1, or without the last dimension (one variance per row: homoscedastic), or a
    float. Output () or, with 'none', the broadcast shape. Negative variances are a ValueError.
    """
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * _creation.ones_like(input)
    elif _torchless().any(var < 0):  # torch.any: a TypeError for an int var, as in PyTorch
        raise ValueError("var has negative entry/entries")
    if var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = var.unsqueeze(-1)  # one variance per row, broadcast over the last dimension
        elif input.dim() == var.dim() and sum(v for n, v in zip(input.size(), var.size()) if n != v) == 1:
            pass  # one dimension of size 1 in var, broadcast
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not valid")
    var = var.clone()
    with grad_mode.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss += 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
