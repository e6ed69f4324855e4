"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""
import numpy as np

from .._ops.complex_ops import view_as_real
from ..autograd import grad_mode
from .optimizer import (
    Optimizer, _advance, _check_state_steps, _functional_update, _get_value, _hyper_value, _reads_defaults_first,
    _refuse_functional_flags, _to_scalar, _zeros_like,
)
from ._hyperparameters import check_lr, check_nonnegative, unsupported_flags
from ._update_math import addcmul, added, added_scalar, lerp_, opmath, real_views, scaled, scaled_

__all__ = ["RAdam", "radam"]


class RAdam(Optimizer):
    r"""RAdam, PyTorch's formulation.

    For each parameter :math:`\theta` with gradient :math:`g` (negated when ``maximize``), at step :math:`t`,
    with :math:`\rho_\infty = 2/(1-\beta_2) - 1` and :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)`:

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g, \quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad \hat m = m / (1-\beta_1^t),

    .. math::
        \theta \leftarrow \theta - \gamma \hat m r_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v} + \epsilon}
        \text{ if } \rho_t > 5, \text{ else } \theta \leftarrow \theta - \gamma \hat m, \quad
        r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}

    Weight decay adds :math:`\lambda\theta` to :math:`g` or, with ``decoupled_weight_decay``, multiplies
    :math:`\theta` by :math:`1-\gamma\lambda` first.

    Args:
        params (iterable): parameters to optimize, or dicts defining parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-3).
        betas (Tuple[float, float]): coefficients of the running averages of the gradient and its square
            (default: (0.9, 0.999)).
        eps (float): term added to the denominator for numerical stability (default: 1e-8).
        weight_decay (float): weight decay :math:`\lambda` (default: 0).
        decoupled_weight_decay (bool): decay the weights directly, as AdamW (default: False).
        maximize (bool): maximize the objective instead of minimizing it (default: False).

    State per parameter: ``step``, ``exp_avg`` and ``exp_avg_sq``.
    """

    _group_defaults = (("foreach", None), ("maximize", False), ("differentiable", False),
                       ("decoupled_weight_decay", False), ("capturable", False))

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_lr(lr)
        check_nonnegative(epsilon=eps, betas=betas, weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach}
        # in PyTorch's order (a state_dict's param_groups show it): capturable before decoupled_weight_decay
        unsupported_flags(defaults, capturable=capturable)
        defaults["decoupled_weight_decay"] = decoupled_weight_decay
        unsupported_flags(defaults, differentiable=differentiable)
        super().__init__(params, defaults)

    @_reads_defaults_first
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_each_parameter(closure, _fresh_state)

    @staticmethod
    def _update(group, p, g, state, step):
        _radam_update(p, g, state["exp_avg"]._data, state["exp_avg_sq"]._data, step=step,
                      lr=_hyper_value(group["lr"]), betas=group["betas"], eps=group["eps"],
                      weight_decay=group["weight_decay"], decoupled=group["decoupled_weight_decay"],
                      maximize=group["maximize"], foreach=group["foreach"])

    _records_differentiable_updates = True

    def _recorded_step(self, group):
        """PyTorch's for-loop with autograd recording (``differentiable=True``)."""
        beta1, beta2 = group["betas"]
        with self._recording():
            for param, state in self._recorded_states(group, _fresh_state):
                _recorded_update(param, param.grad, state["exp_avg"], state["exp_avg_sq"], state["step"],
                                 lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                                 weight_decay=group["weight_decay"], decoupled=group["decoupled_weight_decay"],
                                 maximize=group["maximize"], differentiable=group["differentiable"])


def _recorded_update(param, grad, exp_avg, exp_avg_sq, step_t, *, lr, beta1, beta2, eps, weight_decay, decoupled,
                     maximize, differentiable):
    """One parameter's update in PyTorch's for-loop with autograd recording (run under enable_grad)."""
    lr = _to_scalar(lr)
    grad = -grad if maximize else grad
    target = param
    if param.is_complex():
        target, grad, exp_avg, exp_avg_sq = (view_as_real(t) for t in (param, grad, exp_avg, exp_avg_sq))
    step_t += 1
    step = _get_value(step_t)
    if weight_decay != 0:
        if decoupled:
            target.mul_(1 - lr * weight_decay)
        else:
            grad = grad.add(target, alpha=weight_decay)
    exp_avg.lerp_(grad, 1 - beta1)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    update = exp_avg / (1 - beta1 ** step) * lr
    rect = _rectification(beta2, step)
    if rect is not None:
        root = exp_avg_sq.sqrt()
        # (with ``differentiable`` out of place: in place, the root saved by sqrt's backward is overwritten)
        root = root.add(eps) if differentiable else root.add_(eps)
        update = update * ((1 - beta2 ** step) ** 0.5 / root) * rect
    target.add_(update, alpha=-1.0)


@_functional_update
def radam(params, grads, exp_avgs, exp_avg_sqs, state_steps, decoupled_weight_decay=False, foreach=None,
          differentiable=False, capturable=False, has_complex=False, maximize=False, *, beta1, beta2, lr,
          weight_decay, eps):
    r"""Functional API that performs RAdam algorithm computation: updates ``params``, ``exp_avgs``, ``exp_avg_sqs``
    and the ``state_steps`` tensors in place.

    See :class:`~torchless.optim.RAdam` for details.
    """
    _check_state_steps(state_steps)
    _refuse_functional_flags(RAdam, params, foreach=foreach, capturable=capturable, differentiable=differentiable)
    if differentiable and not foreach:
        with grad_mode.enable_grad():
            for i, param in enumerate(params):
                _recorded_update(param, grads[i], exp_avgs[i], exp_avg_sqs[i], state_steps[i], lr=lr, beta1=beta1,
                                 beta2=beta2, eps=eps, weight_decay=weight_decay, decoupled=decoupled_weight_decay,
                                 maximize=maximize, differentiable=True)
        return
    for i, param in enumerate(params):
        _radam_update(param._data, grads[i]._data, exp_avgs[i]._data, exp_avg_sqs[i]._data,
                      step=_advance(state_steps[i]), lr=_hyper_value(lr), betas=(beta1, beta2), eps=eps,
                      weight_decay=weight_decay, decoupled=decoupled_weight_decay, maximize=maximize, foreach=foreach)
        param._version += 1


def _fresh_state(p, g):
    return _zeros_like(p, "exp_avg", "exp_avg_sq")


def _rectification(beta2, step):
    """RAdam's variance rectification term r_t at step number ``step``, or None while the approximated SMA's length
    rho_t is at most 5 (the update is then the bias-corrected momentum alone)."""
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2 ** step) / (1 - beta2 ** step)
    if rho_t <= 5.0:
        return None
    return ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5


def _radam_update(p, g, exp_avg, exp_avg_sq, *, step, lr, betas, eps, weight_decay, decoupled, maximize,
                  foreach=False):
    """Update ``p`` and the moments in place, with PyTorch's operations in its order and dtype (those of its foreach
    kernel with ``foreach``, see :func:`_foreach_radam_step`)."""
    beta1, beta2 = betas
    p, g, exp_avg, exp_avg_sq = real_views(p, g, exp_avg, exp_avg_sq)
    scalar = opmath(p.dtype).type
    if maximize:
        g = np.negative(g)
    if weight_decay != 0:
        if decoupled:
            scaled_(p, 1 - lr * weight_decay, foreach)
        else:
            g = added(g, p, weight_decay)
    lerp_(exp_avg, g, 1 - beta1)
    scaled_(exp_avg_sq, beta2, foreach)
    addcmul(exp_avg_sq, g, g, 1 - beta2, out=exp_avg_sq)
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    if foreach:
        _foreach_radam_step(p, exp_avg, exp_avg_sq, rect=_rectification(beta2, step) or 0, lr=lr, eps=eps,
                            bias_correction1=bias_correction1, bias_correction2=bias_correction2)
        return
    update = scaled(exp_avg, bias_correction1, divide=True)  # (the bias-corrected exp_avg)
    update *= scalar(lr)
    rect = _rectification(beta2, step)
    if rect is not None:
        # PyTorch evaluates ``number / tensor`` as ``tensor.reciprocal() * number``
        adaptive_lr = np.sqrt(exp_avg_sq)
        adaptive_lr += added_scalar(p.dtype, eps)
        adaptive_lr = np.reciprocal(adaptive_lr)
        adaptive_lr *= scalar(bias_correction2 ** 0.5)
        update *= adaptive_lr
        update *= scalar(rect)
    p -= update


def _foreach_radam_step(p, exp_avg, exp_avg_sq, *, rect, lr, eps, bias_correction1, bias_correction2):
    """``p += exp_avg * buffer`` as PyTorch's foreach RAdam computes it, with one formula for both phases:
    ``buffer = 1 / ((sqrt(v) + eps) / step_size) + unrectified_step_size``, one of the two step sizes zero. While
    the update is unrectified (``rect`` 0) a zero ``sqrt(v) + eps`` (eps 0, or rounded away in float16) divides 0 by
    -0 and makes the parameter NaN, as in PyTorch (its for-loop skips the root then)."""
    scalar = opmath(p.dtype).type
    unrectified_step_size = (lr * (0 if rect > 0 else 1.0) / bias_correction1) * -1
    step_size = (bias_correction2 ** 0.5) * (lr * rect / bias_correction1) * -1
    buffer = np.sqrt(exp_avg_sq)
    buffer += added_scalar(p.dtype, eps)
    with np.errstate(divide="ignore", invalid="ignore"):  # (silent, as in PyTorch: a zero moment times inf)
        np.divide(buffer, scalar(step_size), out=buffer, casting="same_kind")
        np.reciprocal(buffer, out=buffer)
        buffer += p.dtype.type(unrectified_step_size)
        addcmul(p, exp_avg, buffer, 1, out=p)
