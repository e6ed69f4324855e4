"""Adadelta: steps scaled by the ratio of running RMS of past updates and of gradients."""
import numpy as np

from .._ops.complex_ops import view_as_complex, view_as_real
from ..autograd import grad_mode
from .optimizer import (
    _CAPTURABLE_DEVICES_NO_XLA, COMMON_FLAGS, Optimizer, _advance, _check_state_steps, _functional_update,
    _reads_defaults_first, _refuse_functional_flags, _scalar_lr, _to_scalar, _zeros_like,
)
from ._hyperparameters import check_lr, check_nonnegative, unsupported_flags
from ._update_math import (add_scaled_, addcmul, added_scalar, real_views_with_decayed_gradient,
                           refuse_integral_result, scaled_)

__all__ = ["Adadelta", "adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta, PyTorch's formulation.

    For each parameter :math:`\theta` with gradient :math:`g` (negated when ``maximize``):

    .. math::
        g \leftarrow g + \lambda\theta, \quad
        v \leftarrow \rho v + (1-\rho) g^2, \quad
        \Delta \leftarrow \frac{\sqrt{u + \epsilon}}{\sqrt{v + \epsilon}} g, \quad
        u \leftarrow \rho u + (1-\rho) \Delta^2, \quad
        \theta \leftarrow \theta - \gamma \Delta

    Args:
        params (iterable): parameters to optimize, or dicts defining parameter groups.
        lr (float): coefficient :math:`\gamma` scaling the delta before it is applied (default: 1.0).
        rho (float): coefficient :math:`\rho` of the running averages of squared gradients and squared
            deltas (default: 0.9).
        eps (float): term added inside the square roots for numerical stability (default: 1e-6).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        maximize (bool): maximize the objective instead of minimizing it (default: False).

    State per parameter: ``step``, ``square_avg`` (:math:`v`) and ``acc_delta`` (:math:`u`).
    """

    _capturable_devices = (_CAPTURABLE_DEVICES_NO_XLA, _CAPTURABLE_DEVICES_NO_XLA)  # as PyTorch's CPU errors
    _group_defaults = COMMON_FLAGS

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_nonnegative(epsilon=eps, weight_decay=weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize}
        # in PyTorch's order (a state_dict's param_groups show it): capturable comes before foreach
        unsupported_flags(defaults, capturable=capturable)
        defaults["foreach"] = foreach
        unsupported_flags(defaults, differentiable=differentiable)
        super().__init__(params, defaults)

    @_reads_defaults_first
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_each_parameter(closure, _fresh_state)

    @staticmethod
    def _update(group, p, g, state, step):
        _adadelta_update(p, g, state["square_avg"]._data, state["acc_delta"]._data,
                         lr=float(_scalar_lr(group["lr"], "add_", "alpha")),
                         rho=group["rho"], eps=group["eps"], weight_decay=group["weight_decay"],
                         maximize=group["maximize"], foreach=group["foreach"])

    _records_differentiable_updates = True

    def _recorded_step(self, group):
        """PyTorch's for-loop with autograd recording (``differentiable=True``)."""
        with self._recording():
            for param, state in self._recorded_states(group, _fresh_state):
                _recorded_update(param, param.grad, state["square_avg"], state["acc_delta"], state["step"],
                                 lr=group["lr"], rho=group["rho"], eps=group["eps"],
                                 weight_decay=group["weight_decay"], maximize=group["maximize"],
                                 differentiable=group["differentiable"])


def _recorded_update(param, grad, square_avg, acc_delta, step, *, lr, rho, eps, weight_decay, maximize,
                     differentiable):
    """One parameter's update in PyTorch's for-loop with autograd recording (run under enable_grad)."""
    lr = _to_scalar(lr)
    step += 1
    grad = -grad if maximize else grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    if param.is_complex():
        square_avg, acc_delta, grad = (view_as_real(t) for t in (square_avg, acc_delta, grad))
    square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
    std = square_avg.add(eps).sqrt_()
    delta = acc_delta.add(eps).sqrt_()
    if differentiable:
        delta = delta.clone()  # (sqrt_'s backward saved its result, which div_ would overwrite)
    delta.div_(std).mul_(grad)
    acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
    param.add_(view_as_complex(delta) if param.is_complex() else delta, alpha=-lr)


@_functional_update
def adadelta(params, grads, square_avgs, acc_deltas, state_steps, capturable=False, foreach=None,
             differentiable=False, has_complex=False, *, lr, rho, eps, weight_decay, maximize):
    r"""Functional API that performs Adadelta algorithm computation: updates ``params``, ``square_avgs``,
    ``acc_deltas`` and the ``state_steps`` tensors in place.

    See :class:`~torchless.optim.Adadelta` for details. On the CPU the foreach and for-loop forms compute alike but for
    float16 and bfloat16, whose foreach kernel rounds its in-place scalar products' numbers to their dtype.
    """
    _check_state_steps(state_steps)
    _refuse_functional_flags(Adadelta, params, foreach=foreach, capturable=capturable, differentiable=differentiable,
                             differentiable_before_empty=True)
    if differentiable:
        with grad_mode.enable_grad():
            for i, param in enumerate(params):
                _recorded_update(param, grads[i], square_avgs[i], acc_deltas[i], state_steps[i], lr=lr, rho=rho,
                                 eps=eps, weight_decay=weight_decay, maximize=maximize, differentiable=True)
        return
    for i, param in enumerate(params):
        _advance(state_steps[i])
        _adadelta_update(param._data, grads[i]._data, square_avgs[i]._data, acc_deltas[i]._data,
                         lr=float(_scalar_lr(lr, "add_", "alpha")),
                         rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach)
        param._version += 1


def _fresh_state(p, g):
    return _zeros_like(p, "square_avg", "acc_delta")


def _adadelta_update(p, g, square_avg, acc_delta, *, lr, rho, eps, weight_decay, maximize, foreach=False):
    """Update ``p`` and the state arrays in place, with PyTorch's operations in its order and dtype (its foreach
    kernel's with ``foreach``)."""
    p, g, square_avg, acc_delta = real_views_with_decayed_gradient(
        p, g, square_avg, acc_delta, weight_decay=weight_decay, maximize=maximize, foreach=foreach)
    if p.dtype.kind not in "fcV":
        refuse_integral_result(square_avg, rho)
    scaled_(square_avg, rho, foreach)
    addcmul(square_avg, g, g, 1 - rho, out=square_avg)
    eps = added_scalar(p.dtype, eps, "add")  # (add's scalar is taken in the tensor's dtype)
    std = np.sqrt(square_avg + eps)
    delta = np.sqrt(acc_delta + eps)
    delta /= std
    delta *= g
    scaled_(acc_delta, rho, foreach)
    addcmul(acc_delta, delta, delta, 1 - rho, out=acc_delta)
    add_scaled_(p, delta, -lr)
