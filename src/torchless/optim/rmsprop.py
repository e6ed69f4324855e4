"""RMSprop: gradients divided by a running root mean square, with optional momentum and centering."""
import numpy as np

from .._ops.complex_ops import view_as_real
from ..autograd import grad_mode
from .optimizer import (
    _CAPTURABLE_DEVICES, COMMON_FLAGS, Optimizer, _advance, _check_state_steps, _functional_update,
    _reads_defaults_first, _refuse_capturable, _refuse_foreach_differentiable, _scalar_lr, _to_scalar, _zeros_like,
)
from ._hyperparameters import check_lr, check_nonnegative, unsupported_flags
from ._update_math import add_scaled_, addcdiv_, addcmul, added_scalar, lerp_, real_view, \
    real_views_with_decayed_gradient, scaled_

__all__ = ["RMSprop", "rmsprop"]


class RMSprop(Optimizer):
    r"""RMSprop, PyTorch's formulation.

    For each parameter :math:`\theta` with gradient :math:`g` (negated when ``maximize``):

    .. math::
        g \leftarrow g + \lambda\theta, \quad
        v \leftarrow \alpha v + (1-\alpha) g^2, \quad
        \tilde v \leftarrow v - \bar g^2 \text{ with } \bar g \leftarrow \alpha \bar g + (1-\alpha) g
        \text{ (centered) or } v,

    .. math::
        b \leftarrow \mu b + g / (\sqrt{\tilde v} + \epsilon), \quad \theta \leftarrow \theta - \gamma b
        \text{ (momentum } \mu > 0\text{) or } \theta \leftarrow \theta - \gamma g / (\sqrt{\tilde v} + \epsilon)

    The square root is taken before adding :math:`\epsilon` (TensorFlow does the opposite).

    Args:
        params (iterable): parameters to optimize, or dicts defining parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-2).
        alpha (float): smoothing constant :math:`\alpha` (default: 0.99).
        eps (float): term added to the denominator for numerical stability (default: 1e-8).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        momentum (float): momentum factor :math:`\mu` (default: 0).
        centered (bool): normalize by an estimate of the gradient's variance instead of its second moment
            (default: False).
        maximize (bool): maximize the objective instead of minimizing it (default: False).

    State per parameter: ``step``, ``square_avg``, and ``momentum_buffer`` (momentum > 0) and ``grad_avg``
    (centered).
    """

    _capturable_devices = (_CAPTURABLE_DEVICES, _CAPTURABLE_DEVICES)  # PyTorch's CPU errors name XLA in both
    _group_defaults = (("momentum", 0), ("centered", False)) + COMMON_FLAGS

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_lr(lr)
        check_nonnegative(epsilon=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay}
        # in PyTorch's order (a state_dict's param_groups show it): capturable comes before foreach
        unsupported_flags(defaults, capturable=capturable)
        defaults.update(foreach=foreach, maximize=maximize)
        unsupported_flags(defaults, differentiable=differentiable)
        super().__init__(params, defaults)

    @_reads_defaults_first
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            momentum, centered = group["momentum"], group["centered"]
            fresh = ("square_avg",) + (("momentum_buffer",) if momentum > 0 else ()) \
                + (("grad_avg",) if centered else ())
            if self._records_updates(group):
                self._recorded_step(group, fresh)
                continue
            for p, g, state, _ in self._steps(group, lambda p, g: _zeros_like(p, *fresh)):
                _rmsprop_update(p, g, state["square_avg"]._data,
                                state["grad_avg"]._data if centered else None,
                                state["momentum_buffer"]._data if momentum > 0 else None,
                                lr=float(_scalar_lr(group["lr"], "addcdiv_", "value")),
                                alpha=group["alpha"], eps=group["eps"],
                                weight_decay=group["weight_decay"], momentum=momentum, maximize=group["maximize"],
                                foreach=group["foreach"])
        return loss

    _records_differentiable_updates = True

    def _recorded_step(self, group, fresh):
        """PyTorch's for-loop with autograd recording (``differentiable=True``)."""
        with self._recording():
            for param, state in self._recorded_states(group, lambda p, g: _zeros_like(p, *fresh)):
                _recorded_update(param, param.grad, state["square_avg"], state.get("grad_avg"),
                                 state.get("momentum_buffer"), state["step"], lr=group["lr"], alpha=group["alpha"],
                                 eps=group["eps"], weight_decay=group["weight_decay"], momentum=group["momentum"],
                                 maximize=group["maximize"], differentiable=group["differentiable"])


def _recorded_update(param, grad, square_avg, grad_avg, buf, step, *, lr, alpha, eps, weight_decay, momentum, maximize,
                     differentiable):
    """One parameter's update in PyTorch's for-loop with autograd recording (run under enable_grad); ``grad_avg``
    and ``buf`` None unless centered and with momentum."""
    lr = _to_scalar(lr)
    grad = -grad if maximize else grad
    step += 1
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    target = param
    if param.is_complex():
        target, grad, square_avg = (view_as_real(t) for t in (param, grad, square_avg))
        grad_avg, buf = (None if t is None else view_as_real(t) for t in (grad_avg, buf))
    square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
    if grad_avg is not None:
        grad_avg.lerp_(grad, 1 - alpha)
        avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
    else:
        avg = square_avg.sqrt()
    # (the group's own flag: in place, eps overwrites the root sqrt's backward saved)
    avg = avg.add(eps) if differentiable else avg.add_(eps)
    if buf is not None:
        buf.mul_(momentum).addcdiv_(grad, avg)
        target.add_(buf, alpha=-lr)
    else:
        target.addcdiv_(grad, avg, value=-lr)


@_functional_update
def rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffer_list, state_steps, foreach=None, maximize=False,
            differentiable=False, capturable=False, has_complex=False, *, lr, alpha, eps, weight_decay, momentum,
            centered):
    r"""Functional API that performs rmsprop algorithm computation: updates ``params``, ``square_avgs`` (and
    ``grad_avgs`` when ``centered``, ``momentum_buffer_list`` when ``momentum > 0``) and the ``state_steps`` tensors
    in place.

    See :class:`~torchless.optim.RMSprop` for details. On the CPU the foreach and for-loop forms compute alike but for
    float16 and bfloat16, whose foreach kernel rounds its in-place scalar products' numbers to their dtype.
    """
    _check_state_steps(state_steps)
    if foreach:
        if not params:
            return
        _refuse_foreach_differentiable(differentiable)
    _refuse_capturable(capturable, params, _CAPTURABLE_DEVICES)
    if differentiable:
        with grad_mode.enable_grad():
            for i, param in enumerate(params):
                _recorded_update(param, grads[i], square_avgs[i], grad_avgs[i] if centered else None,
                                 momentum_buffer_list[i] if momentum > 0 else None, state_steps[i], lr=lr, alpha=alpha,
                                 eps=eps, weight_decay=weight_decay, momentum=momentum, maximize=maximize,
                                 differentiable=True)
        return
    for i, param in enumerate(params):
        grad = grads[i]
        _advance(state_steps[i])
        _rmsprop_update(param._data, grad._data, square_avgs[i]._data, grad_avgs[i]._data if centered else None,
                        momentum_buffer_list[i]._data if momentum > 0 else None,
                        lr=float(_scalar_lr(lr, "addcdiv_", "value")), alpha=alpha, eps=eps,
                        weight_decay=weight_decay, momentum=momentum, maximize=maximize, foreach=foreach)
        param._version += 1


def _rmsprop_update(p, g, square_avg, grad_avg, buf, *, lr, alpha, eps, weight_decay, momentum, maximize,
                    foreach=False):
    """Update ``p`` and the state arrays in place, with PyTorch's operations in its order and dtype (its foreach
    kernel's with ``foreach``)."""
    # 0-d arrays would turn ufunc results into NumPy scalars; their 1-d views keep everything an array
    p, g, square_avg = real_views_with_decayed_gradient(p, g, square_avg, weight_decay=weight_decay,
                                                        maximize=maximize, foreach=foreach)
    scaled_(square_avg, alpha, foreach)
    addcmul(square_avg, g, g, 1 - alpha, out=square_avg)
    # A negative average (alpha > 1, which PyTorch accepts, or a centered variance rounded below 0) has a
    # NaN root: silently, as in PyTorch.
    with np.errstate(invalid="ignore"):
        if grad_avg is not None:
            grad_avg = real_view(grad_avg)
            lerp_(grad_avg, g, 1 - alpha)
            avg = np.sqrt(addcmul(square_avg, grad_avg, grad_avg, -1))
        else:
            avg = np.sqrt(square_avg)
    avg += added_scalar(p.dtype, eps)
    if buf is not None:
        buf = real_view(buf)
        scaled_(buf, momentum, foreach)
        addcdiv_(buf, g, avg, 1)
        add_scaled_(p, buf, -lr)
    else:
        addcdiv_(p, g, avg, -lr)
