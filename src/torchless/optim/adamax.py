"""Adamax: Adam with the infinity norm in place of the second moment."""
import numpy as np

from .._functions import cat
from .._ops.complex_ops import view_as_real
from ..autograd import grad_mode
from .optimizer import (
    COMMON_FLAGS, Optimizer, _advance, _check_state_steps, _functional_update, _hyper_value, _reads_defaults_first,
    _refuse_functional_flags, _scalar_lr, _to_scalar, _zeros_like,
)
from ._hyperparameters import check_lr, check_nonnegative, unsupported_flags
from ._update_math import addcdiv_, added_scalar, lerp_, real_views_with_decayed_gradient, scaled_

__all__ = ["Adamax", "adamax"]


class Adamax(Optimizer):
    r"""Adamax (the infinity-norm variant of Adam), PyTorch's formulation.

    For each parameter :math:`\theta` with gradient :math:`g` (negated when ``maximize``), at step :math:`t`:

    .. math::
        g \leftarrow g + \lambda\theta, \quad
        m \leftarrow \beta_1 m + (1-\beta_1) g, \quad
        u \leftarrow \max(\beta_2 u, |g| + \epsilon), \quad
        \theta \leftarrow \theta - \frac{\gamma}{1-\beta_1^t} \frac{m}{u}

    Args:
        params (iterable): parameters to optimize, or dicts defining parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 2e-3).
        betas (Tuple[float, float]): coefficients of the running average of the gradient and of the
            decaying infinity norm (default: (0.9, 0.999)).
        eps (float): term added to :math:`|g|` for numerical stability (default: 1e-8).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        maximize (bool): maximize the objective instead of minimizing it (default: False).

    State per parameter: ``step``, ``exp_avg`` (:math:`m`) and ``exp_inf`` (:math:`u`).
    """

    _group_defaults = COMMON_FLAGS

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_nonnegative(epsilon=eps, betas=betas, weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize}
        unsupported_flags(defaults, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    @_reads_defaults_first
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_each_parameter(closure, _fresh_state)

    @staticmethod
    def _update(group, p, g, state, step):
        _adamax_update(p, g, state["exp_avg"]._data, state["exp_inf"]._data, step=step,
                       lr=_step_size_lr(group["lr"], group["foreach"]), betas=group["betas"],
                       eps=group["eps"], weight_decay=group["weight_decay"], maximize=group["maximize"],
                       foreach=group["foreach"])

    _records_differentiable_updates = True

    def _recorded_step(self, group):
        """PyTorch's for-loop with autograd recording (``differentiable=True``)."""
        beta1, beta2 = group["betas"]
        with self._recording():
            for param, state in self._recorded_states(group, _fresh_state):
                _recorded_update(param, param.grad, state["exp_avg"], state["exp_inf"], state["step"],
                                 lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                                 weight_decay=group["weight_decay"], maximize=group["maximize"],
                                 differentiable=group["differentiable"])


def _recorded_update(param, grad, exp_avg, exp_inf, step, *, lr, beta1, beta2, eps, weight_decay, maximize,
                     differentiable):
    """One parameter's update in PyTorch's for-loop with autograd recording (run under enable_grad): with
    ``differentiable``, the infinity norm as the amax of the two candidates stacked, so that its gradient splits
    between them where they tie."""
    from .. import maximum  # (PyTorch's out= variant lives with the package's functions)

    lr = _to_scalar(lr)
    grad = -grad if maximize else grad
    step += 1
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    target = param
    if param.is_complex():
        target, grad, exp_avg, exp_inf = (view_as_real(t) for t in (param, grad, exp_avg, exp_inf))
    exp_avg.lerp_(grad, 1 - beta1)
    if differentiable:
        norms = cat([exp_inf.mul_(beta2).unsqueeze(0), grad.abs().add_(eps).unsqueeze_(0)], 0)
        exp_inf.copy_(norms.amax(0, keepdim=False))
    else:  # (PyTorch's out= variant, which autograd refuses)
        maximum(exp_inf.mul_(beta2), grad.abs().add_(eps), out=exp_inf)
    target.addcdiv_(exp_avg, exp_inf, value=-(lr / (1 - beta1 ** float(step))))


@_functional_update
def adamax(params, grads, exp_avgs, exp_infs, state_steps, foreach=None, maximize=False, differentiable=False,
           capturable=False, has_complex=False, *, eps, beta1, beta2, lr, weight_decay):
    r"""Functional API that performs adamax algorithm computation: updates ``params``, ``exp_avgs``, ``exp_infs`` and
    the ``state_steps`` tensors in place.

    See :class:`~torchless.optim.Adamax` for details. On the CPU the foreach and for-loop forms compute alike but for
    float16 and bfloat16, whose foreach kernel rounds its in-place scalar products' numbers to their dtype.
    """
    _check_state_steps(state_steps)
    _refuse_functional_flags(Adamax, params, foreach=foreach, capturable=capturable, differentiable=differentiable,
                             differentiable_before_empty=True)
    if differentiable:
        with grad_mode.enable_grad():
            for i, param in enumerate(params):
                _recorded_update(param, grads[i], exp_avgs[i], exp_infs[i], state_steps[i], lr=lr, beta1=beta1,
                                 beta2=beta2, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                 differentiable=True)
        return
    for i, param in enumerate(params):
        _adamax_update(param._data, grads[i]._data, exp_avgs[i]._data, exp_infs[i]._data,
                       step=_advance(state_steps[i]), lr=_step_size_lr(lr, foreach), betas=(beta1, beta2), eps=eps,
                       weight_decay=weight_decay, maximize=maximize, foreach=foreach)
        param._version += 1


def _step_size_lr(lr, foreach):
    """The lr Adamax's step size is computed from: a tensor lr's value as a double for PyTorch's foreach kernel
    (its ``_get_value``), the 0-d tensor (dividing in its dtype) for its for-loop."""
    return _hyper_value(_scalar_lr(lr, "addcdiv_", "value"), as_double=bool(foreach))


def _fresh_state(p, g):
    return _zeros_like(p, "exp_avg", "exp_inf")


def _adamax_update(p, g, exp_avg, exp_inf, *, step, lr, betas, eps, weight_decay, maximize, foreach=False):
    """Update ``p`` and the state arrays in place, with PyTorch's operations in its order and dtype (its foreach
    kernel's with ``foreach``)."""
    beta1, beta2 = betas
    p, g, exp_avg, exp_inf = real_views_with_decayed_gradient(p, g, exp_avg, exp_inf, weight_decay=weight_decay,
                                                              maximize=maximize, foreach=foreach)
    lerp_(exp_avg, g, 1 - beta1)
    scaled_(exp_inf, beta2, foreach)
    norm = np.abs(g)
    norm += added_scalar(p.dtype, eps)
    np.maximum(exp_inf, norm, out=exp_inf)
    clr = lr / (1 - beta1 ** step)
    addcdiv_(p, exp_avg, exp_inf, -clr)
