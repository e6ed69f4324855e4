r"""Losses of probabilistic models: kl_div, poisson_nll_loss and gaussian_nll_loss.

PyTorch composes all three of ordinary tensor operations (in C++ for the first two, in Python for the
third), so they are composed here of the same operations in the same order: the results, the dtype
promotion, the broadcasting, the gradients (to the target too) and the ``grad_fn`` names all follow.
"""
import math
import operator
import warnings

import numpy as np

from ... import _creation, _parser_errors
from ...autograd import forward_ad
from ...autograd import grad_mode
from ..._ops.arithmetic import add_scalar, mul_scalar
from ..._tensor import Tensor
from ..._tensor_methods._arguments import CLAMP_OVERLOADS
from ...autograd._graph_backward import gradients_without_derivative
from ...autograd.graph import Node, autocast_cast
from ._args import _is_index, _tp_name, check_tensor
from ._moments import quiet
from ._norm_checks import check_bool_arg, check_float_arg
from .loss import _legacy_reduction, _reduction

__all__ = ["kl_div", "poisson_nll_loss", "gaussian_nll_loss", "ctc_loss"]


def _torchless():
    import torchless  # the package's function forms exist once it is imported; by any call, it is

    return torchless


def _reduce(loss, reduction):
    """PyTorch's apply_loss_reduction: a mean or a sum of all elements, or the elementwise losses."""
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


@quiet
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
                          stacklevel=3)  # (the user's call, past the quiet wrapper)
        applied = "sum" if reduction == "batchmean" else _reduction(reduction)
    check_tensor(input, "kl_div")
    check_tensor(target, "kl_div", "target", 2)
    if not isinstance(log_target, bool):  # PyTorch passes it to the native kl_div by keyword: no position shown
        raise TypeError(f"kl_div(): argument 'log_target' must be bool, not {_tp_name(log_target)}")
    if input.is_complex() or target.is_complex():
        raise RuntimeError("kl_div: Complex inputs not supported.")
    if not input.is_floating_point() or not target.is_floating_point():
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if forward_ad.state.vmap_levels:  # (from this line, as from PyTorch's Python wrapper's)
        forward_ad.warn_fallback("aten::kl_div", (input, target), stacklevel=1)
    # PyTorch's C++ (GCC) evaluates an operator's right operand first: the order of the nodes made, which the
    # engine runs latest first, so the order in which the target's gradients add up
    if log_target:
        difference = target - input
        output = target.exp() * difference
    else:
        product = target * input
        output = _torchless().xlogy(target, target) - product
    reduced = _reduce(output, applied)
    # PyTorch tests the reduction asked for, even when size_average / reduce chose another one.
    if reduction == "batchmean" and input.dim() != 0:
        reduced = reduced / input.size()[0]
    if forward_ad.state.vmap_levels and forward_ad.batched(reduced):  # (PyTorch's kl_div has no batching rule)
        forward_ad.stacked_by_fallback(reduced)
    return reduced


@quiet
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
    input, target = autocast_cast("float32", input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        # concatenated, as in PyTorch: a reduction that is not a str fails with a TypeError
        raise ValueError(reduction + " is not a valid value for reduction")
    check_tensor(input, "poisson_nll_loss")
    check_tensor(target, "poisson_nll_loss", "target", 2)
    check_bool_arg(log_input, "poisson_nll_loss", "log_input", 3)
    check_bool_arg(full, "poisson_nll_loss", "full", 4)
    eps = check_float_arg(eps, "poisson_nll_loss", "eps", 5)
    # PyTorch's C++ evaluates the operands of each operator right to left: the product first, so its gradient
    # reaches the input last in the backward, added to the exponential's (whose layout the input's gradient keeps)
    if log_input:
        product = target * input
        loss = input.exp() - product
    else:
        product = target * add_scalar(input, eps).log()  # (C++'s input + eps: add.Scalar, AddBackward1)
        loss = input - product
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 log 0 is NaN, masked out: silently, as PyTorch
            # (C++'s numbers times a tensor: mul.Scalar, MulBackward1)
            half_log = mul_scalar(mul_scalar(target, 2 * math.pi).log(), 0.5)
            log_target = target.log()
            stirling = target * log_target - target + half_log
        loss += stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


@quiet
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
        # concatenated, as in PyTorch: a reduction that is not a str fails with a TypeError
        raise ValueError(reduction + " is not valid")
    if eps is not None and not _parser_errors.is_operand(eps):  # PyTorch's var.clamp_(min=eps), as its parser reads it
        raise _parser_errors.invalid_combination("clamp_", CLAMP_OVERLOADS, (), {"min": eps})
    var = var.clone()
    with grad_mode.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss += 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------- CTC
def _extended(target, blank):
    """The target with a blank before, between and after its labels (length 2 S + 1), and where a path may skip
    from s - 2 to s: at a label's position (odd s, whatever the label: PyTorch does not look at its value) unlike
    the label two places before."""
    labels = np.full(2 * len(target) + 1, blank, np.int64)
    labels[1::2] = target
    skip = np.zeros(labels.size, bool)
    skip[3::2] = labels[3::2] != labels[1:-2:2]
    return labels, skip


def _shifted(values, by):
    """``values`` moved right by ``by`` places (``by`` < 0: left), the gap filled with -inf."""
    out = np.full_like(values, -np.inf)
    if by > 0:
        out[by:] = values[:-by]
    else:
        out[:by] = values[-by:]
    return out


class CtcLoss(Node):
    """The negative log-likelihood of each target over all CTC alignments, PyTorch's ``CtcLossBackward0``; its
    gradient is PyTorch's, ``exp(lp) - exp(log(sum alpha beta) + nll - lp)``, which assumes ``log_probs`` are
    log-softmax outputs."""

    saved = ("log_probs", "alphas", "nll")

    def forward(self, log_probs, targets=(), input_lengths=(), blank=0, zero_infinity=False):
        self.log_probs, self.targets, self.input_lengths = log_probs, targets, input_lengths
        self.blank, self.zero_infinity = blank, zero_infinity
        nll, self.alphas = np.zeros(len(targets), log_probs.dtype), []
        with np.errstate(invalid="ignore", over="ignore"):
            for n, (target, steps) in enumerate(zip(targets, input_lengths)):
                labels, skip = _extended(target, blank)
                alpha = np.full((steps, labels.size), -np.inf, log_probs.dtype)
                if steps:
                    alpha[0, :2] = log_probs[0, n, labels[:2]]
                for t in range(1, steps):
                    previous = alpha[t - 1]
                    paths = np.logaddexp(previous, _shifted(previous, 1))
                    paths = np.logaddexp(paths, np.where(skip, _shifted(previous, 2), -np.inf))
                    alpha[t] = log_probs[t, n, labels] + paths
                ends = alpha[steps - 1, -2:] if steps else np.array([0.0 if labels.size == 1 else -np.inf])
                nll[n] = -np.logaddexp.reduce(ends)
                self.alphas.append(alpha)
        self.nll = nll
        return nll

    jvp = forward_ad.unsupported_jvp  # (PyTorch has no forward AD formula for it)

    def forward_ad_name(self):
        return "_ctc_loss"

    def backward(self, grad):
        log_probs, nll = self.log_probs, self.nll
        result = np.zeros_like(log_probs)
        with np.errstate(invalid="ignore", over="ignore"):
            for n, (target, steps, alpha) in enumerate(zip(self.targets, self.input_lengths, self.alphas)):
                if self.zero_infinity and np.isinf(nll[n]):
                    continue
                labels, _ = _extended(target, self.blank)
                after = np.zeros(labels.size, bool)  # a skip from s to s + 2, as in _extended
                after[1:-2:2] = labels[1:-2:2] != labels[3::2]
                beta = np.full_like(alpha, -np.inf)
                if steps:
                    beta[steps - 1, -2:] = log_probs[steps - 1, n, labels[-2:]]
                for t in range(steps - 2, -1, -1):
                    following = beta[t + 1]
                    paths = np.logaddexp(following, _shifted(following, -1))
                    paths = np.logaddexp(paths, np.where(after, _shifted(following, -2), -np.inf))
                    beta[t] = log_probs[t, n, labels] + paths
                # log of the sum over the positions s of each class of alpha_t(s) beta_t(s)
                both = np.full((steps, log_probs.shape[2]), -np.inf, log_probs.dtype)
                for s, label in enumerate(labels):
                    both[:, label] = np.logaddexp(both[:, label], alpha[:, s] + beta[:, s])
                if steps:
                    # at the last step PyTorch assigns the two end positions' terms without adding them up (it
                    # takes the last label for unlike the blank): the label's term alone if it is the blank itself
                    last = both[steps - 1]
                    last[:] = -np.inf
                    last[labels[-1]] = alpha[-1, -1] + beta[-1, -1]
                    if labels.size > 1:
                        last[labels[-2]] = alpha[-1, -2] + beta[-1, -2]
                lp = log_probs[:steps, n]
                result[:steps, n] = (np.exp(lp) - np.exp(both + nll[n] - lp)) * grad[n]
        return (result,)

    def backward_graph(self, grad):  # PyTorch's backward of this op has no derivative
        return gradients_without_derivative(
            self, grad, (RuntimeError, "derivative for aten::_ctc_loss_backward is not implemented"))


def _length_list(lengths, name):
    """Lengths given as a tensor (integral) or as a sequence of ints, as a list of ints."""
    if isinstance(lengths, Tensor):
        if lengths.is_floating_point() or lengths.dtype.name == "bool":
            raise RuntimeError(f"{name} must be integral")
        return [int(v) for v in lengths._data.reshape(-1)]
    return [int(v) for v in lengths]


_CTC_OVERLOADS = (
    "Tensor log_probs, Tensor targets, tuple of ints input_lengths, tuple of ints target_lengths, int blank = 0, "
    "int reduction = at::Reduction::Mean, bool zero_infinity = False",
    "Tensor log_probs, Tensor targets, Tensor input_lengths, Tensor target_lengths, int blank = 0, int reduction = "
    "at::Reduction::Mean, bool zero_infinity = False",
)


@quiet
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    r"""The Connectionist Temporal Classification loss: the negative log-likelihood of each target sequence
    summed over all its alignments with the input steps (labels repeated, blanks in between).

    Args:
        log_probs (Tensor): (T, N, C) or unbatched (T, C) log-probabilities (``log_softmax`` outputs).
        targets (Tensor): (N, S) padded target labels, or the targets one after another (1-D).
        input_lengths (Tensor or tuple of ints): the steps of each input (at most T).
        target_lengths (Tensor or tuple of ints): the labels of each target.
        blank (int): the blank label (default: 0).
        reduction (str): 'none' | 'mean' (each loss divided by its target length, then averaged) | 'sum'.
        zero_infinity (bool): impossible alignments (infinite losses) give 0 and no gradient.

    A target label outside ``[0, C)`` raises a RuntimeError naming it (PyTorch's CPU kernel reads out of bounds
    there: its result is undefined).
    """
    log_probs, = autocast_cast("float32", log_probs)
    reduction = _reduction(reduction)
    mixed = isinstance(input_lengths, Tensor) != isinstance(target_lengths, Tensor)  # (one overload takes both)
    if (mixed or not all(isinstance(lengths, (Tensor, list, tuple)) for lengths in (input_lengths, target_lengths))
            or not _is_index(blank) or not isinstance(zero_infinity, bool)):
        from ..._parser_errors import invalid_combination

        raise invalid_combination("ctc_loss", _CTC_OVERLOADS,
                                  (log_probs, targets, input_lengths, target_lengths, blank,
                                   {"none": 0, "mean": 1, "sum": 2}[reduction], zero_infinity))
    blank = operator.index(blank)
    if forward_ad.state.vmap_levels:  # (from this line, as from PyTorch's Python wrapper's)
        forward_ad.warn_fallback("aten::ctc_loss.Tensor" if isinstance(input_lengths, Tensor) else
                                 "aten::ctc_loss.IntList", (log_probs, targets, input_lengths, target_lengths),
                                 stacklevel=1)
    unbatched = log_probs.dim() != 3  # PyTorch unsqueezes any other rank, then requires 3 dimensions
    inputs = log_probs.unsqueeze(1) if unbatched else log_probs
    target_array = targets._data  # 1-D: the targets one after another (also for an unbatched input)
    steps = _length_list(input_lengths, "input_lengths")
    lengths = _length_list(target_lengths, "target_lengths")
    if log_probs._data.dtype not in (np.float32, np.float64):  # PyTorch's CPU kernel has no half (nor integer) one
        raise NotImplementedError(f"\"ctc_loss_cpu\" not implemented for '{log_probs.dtype.scalar_name}'")
    if not inputs._data.size:
        raise RuntimeError("log_probs tensor must not be empty")
    if inputs.dim() != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {inputs.dim()}-dimensional tensor for argument #1 "
                           "'log_probs' (while checking arguments for ctc_loss_allocate_outputs)")
    if not 1 <= target_array.ndim <= 2:
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {target_array.ndim}-dimensional tensor for argument "
                           "#2 'targets' (while checking arguments for ctc_loss_allocate_outputs)")
    batch, classes = inputs.shape[1], inputs.shape[2]
    if len(steps) != batch:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(lengths) != batch:
        raise RuntimeError("target_lengths must be of size batch_size")
    if not 0 <= blank < classes:
        raise RuntimeError("blank must be in label range")
    for value in lengths:
        if value < 0:
            raise RuntimeError(f"Expected target_lengths to have value at least 0, but got value {value} (while "
                               "checking arguments for ctc_loss_allocate_outputs)")
    if target_array.ndim == 1:
        if target_array.size != sum(lengths):
            raise RuntimeError(f"Expected tensor to have size {sum(lengths)} at dimension 0, but got size "
                               f"{target_array.size} for argument #2 'targets' (while checking arguments for "
                               "ctc_loss_allocate_outputs)")
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        sequences = [target_array[offsets[n]:offsets[n + 1]] for n in range(batch)]
    else:
        if target_array.shape[0] != batch:
            raise RuntimeError(f"Expected tensor to have size {batch} at dimension 0, but got size "
                               f"{target_array.shape[0]} for argument #2 'targets' (while checking arguments for "
                               "ctc_loss_allocate_outputs)")
        if lengths and max(lengths) > target_array.shape[1]:
            raise RuntimeError(f"Expected tensor to have size at least {max(lengths)} at dimension 1, but got size "
                               f"{target_array.shape[1]} for argument #2 'targets' (while checking arguments for "
                               "ctc_loss_allocate_outputs)")
        sequences = [target_array[n, :lengths[n]] for n in range(batch)]
    for value in steps:
        if value < 0:
            raise RuntimeError(f"Expected input_lengths to have value at least 0, but got value {value} (while "
                               "checking arguments for ctc_loss_allocate_outputs)")
        if value > inputs.shape[0]:
            raise RuntimeError(f"Expected input_lengths to have value at most {inputs.shape[0]}, but got value "
                               f"{value} (while checking arguments for ctc_loss_allocate_outputs)")
    sequences = [np.asarray(seq).astype(np.int64) for seq in sequences]
    for n, seq in enumerate(sequences):
        outside = seq[(seq < 0) | (seq >= classes)]
        if outside.size:  # (PyTorch's kernel reads out of bounds there, undefined: here a clear error instead)
            raise RuntimeError(f"ctc_loss: target {n} has label {int(outside[0])}, outside the {classes} classes of "
                               f"log_probs (labels must be in [0, {classes}))")
    loss = CtcLoss.apply(inputs, targets=sequences, input_lengths=steps, blank=blank, zero_infinity=zero_infinity)
    if zero_infinity:
        torchless = _torchless()
        loss = torchless.where(loss == float("inf"), torchless.zeros((), dtype=loss.dtype), loss)
    if unbatched:
        loss = loss.squeeze(0)
    if reduction == "mean":
        divisors = _creation.tensor(np.maximum(np.asarray(lengths, np.int64), 1).astype(loss._data.dtype))
        return (loss / (divisors.squeeze(0) if unbatched else divisors)).mean()
    return loss.sum() if reduction == "sum" else loss
