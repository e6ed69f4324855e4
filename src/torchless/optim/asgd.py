"""ASGD: averaged stochastic gradient descent."""
import numpy as np

from .._creation.from_data import as_tensor
from .._ops.arithmetic import pow_by_number
from .._ops.complex_ops import view_as_real
from .._tensor import Tensor
from ..autograd import grad_mode
from .optimizer import (
    COMMON_FLAGS, Optimizer, _functional_update, _get_scalar_dtype, _get_value, _hyper_value, _new_step,
    _reads_defaults_first,
    _refuse_functional_flags, _scalar_dtype, _scalar_state, _scalar_lr, _to_scalar, _zeros_like,
)
from ._hyperparameters import check_lr, check_nonnegative, unsupported_flags
from ._update_math import add_scaled_, added, addcmul, opmath, real_views, refuse_integral_result

__all__ = ["ASGD", "asgd"]


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent, PyTorch's formulation.

    For each parameter :math:`\theta` with gradient :math:`g` (negated when ``maximize``), at step :math:`t`:

    .. math::
        g \leftarrow g + \lambda\theta, \quad
        \theta \leftarrow (1 - \lambda_\eta \eta_t)\theta - \eta_t g, \quad
        \bar\theta \leftarrow \bar\theta + \mu_t(\theta - \bar\theta) \text{ (or } \theta \text{ while } \mu_t = 1),

    .. math::
        \eta_{t+1} = \frac{\gamma}{(1 + \lambda_\eta \gamma t)^\alpha}, \quad
        \mu_{t+1} = \frac{1}{\max(1, t - t_0)}

    starting from :math:`\eta_1 = \gamma` and :math:`\mu_1 = 1`. The average :math:`\bar\theta` is kept in
    the state as ``ax``; the parameters themselves follow the plain (decayed) SGD iterates.

    Args:
        params (iterable): parameters to optimize, or dicts defining parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-2).
        lambd (float): decay term :math:`\lambda_\eta` (default: 1e-4).
        alpha (float): power :math:`\alpha` for the :math:`\eta` update (default: 0.75).
        t0 (float): step :math:`t_0` at which averaging starts (default: 1e6).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        maximize (bool): maximize the objective instead of minimizing it (default: False).

    State per parameter: ``step``, ``eta``, ``mu`` (0-d tensors of the default float dtype) and ``ax``.
    """

    _capturable_what = "params, mus, etas, and state_steps"  # PyTorch's CPU error for capturable=True
    _group_defaults = COMMON_FLAGS
    _counters = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        check_nonnegative(weight_decay=weight_decay)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize}
        unsupported_flags(defaults, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    @_reads_defaults_first
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            if self._records_updates(group):
                self._recorded_step(group)
                continue
            lr = _hyper_value(_scalar_lr(group["lr"], None, None))
            for param, p, g in self._params_with_grad(group):
                state = self.state[param]
                if not state:
                    state["step"] = _new_step()
                    state.update(_fresh_state(p, lr))
                update = _asgd_foreach_update if group["foreach"] else _asgd_update
                update(p, g, state["ax"]._data, state["step"]._data, state["eta"]._data, state["mu"]._data,
                       lr=lr, lambd=group["lambd"], alpha=group["alpha"], t0=group["t0"],
                       weight_decay=group["weight_decay"], maximize=group["maximize"])
                param._version += 1
        return loss

    _records_differentiable_updates = True

    def _recorded_step(self, group):
        """PyTorch's for-loop with autograd recording (``differentiable=True``); a new state's ``eta`` is made from
        the lr by as_tensor, as PyTorch makes it (its errors for an lr that is no number)."""
        def fresh_state(p, g):
            eta = as_tensor(_to_scalar(group["lr"]), dtype=_get_scalar_dtype()).clone().detach()
            return {"eta": eta, "mu": _scalar_state(1.0), **_zeros_like(p, "ax")}

        with self._recording():
            for param, state in self._recorded_states(group, fresh_state):
                _recorded_update(param, param.grad, state["ax"], state["mu"], state["eta"], state["step"],
                                 lr=group["lr"], lambd=group["lambd"], alpha=group["alpha"], t0=group["t0"],
                                 weight_decay=group["weight_decay"], maximize=group["maximize"])


def _recorded_update(param, grad, ax, mu, eta, step_t, *, lr, lambd, alpha, t0, weight_decay, maximize):
    """One parameter's update in PyTorch's for-loop with autograd recording (run under enable_grad): the parameter
    and ``ax`` in the graph; ``eta`` enters the update as a number (its ``item()``), so no gradient flows back through
    it to a tensor lr."""
    lr = _to_scalar(lr)
    grad = -grad if maximize else grad
    target = param
    if param.is_complex():
        grad, target, ax = (view_as_real(t) for t in (grad, param, ax))
    step_t += 1
    if weight_decay != 0:
        grad = grad.add(target, alpha=weight_decay)
    eta_value = _get_value(eta)
    target.mul_(1 - lambd * eta_value)
    target.add_(grad, alpha=-eta_value)
    if _get_value(mu) != 1:
        ax.add_(target.sub(ax).mul_(mu))
    else:
        ax.copy_(target)
    step = _get_value(step_t)
    eta.copy_(as_tensor(lr / ((1 + lambd * lr * step) ** alpha)))
    mu.copy_(as_tensor(1 / max(1, step - t0)))


@_functional_update
def asgd(params, grads, axs, mus, etas, state_steps, foreach=None, maximize=False, differentiable=False,
         capturable=False, has_complex=False, *, lambd, lr, t0, alpha, weight_decay):
    r"""Functional API that performs asgd algorithm computation: updates ``params``, ``axs`` and the ``mus``,
    ``etas`` and ``state_steps`` tensors in place.

    See :class:`~torchless.optim.ASGD` for details.
    """
    _refuse_functional_flags(ASGD, params, foreach=foreach, capturable=capturable, differentiable=differentiable)
    if differentiable and not foreach:
        with grad_mode.enable_grad():
            for i, param in enumerate(params):
                _recorded_update(param, grads[i], axs[i], mus[i], etas[i], state_steps[i], lr=lr, lambd=lambd,
                                 alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize)
        return
    update = _asgd_foreach_update if foreach else _asgd_update
    for i, param in enumerate(params):
        # (PyTorch's for-loop also counts a step given as a number, in a variable of its own: the list keeps it)
        step = state_steps[i] if isinstance(state_steps[i], Tensor) else _scalar_state(state_steps[i])
        counters = (step, etas[i], mus[i])
        update(param._data, grads[i]._data, axs[i]._data, *(counter._data for counter in counters),
               lr=_hyper_value(_scalar_lr(lr, None, None)), lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
               maximize=maximize)
        for tensor in (param, *counters):
            tensor._version += 1


def _fresh_state(p, lr):
    """A new state's entries after ``step``: ``eta`` (the lr), ``mu`` and ``ax``."""
    return {"eta": _scalar_state(lr), "mu": _scalar_state(1.0), **_zeros_like(p, "ax")}


def _asgd_update(p, g, ax, step_t, eta, mu, *, lr, lambd, alpha, t0, weight_decay, maximize):
    """Update ``p``, ``ax`` and the 0-d ``step_t``, ``eta``, ``mu`` in place, as PyTorch's for-loop does.

    The new ``eta`` and ``mu`` are made as 0-d tensors of the default float dtype, so they are rounded to it at each
    step even for a float64 parameter (under a float32 default), even when a loaded state_dict made them float64.
    """
    p, g, ax = real_views(p, g, ax)  # (a complex parameter is updated as the pairs of reals it holds)
    scalar = opmath(p.dtype).type
    if maximize:
        g = np.negative(g)
    step_t += 1
    if weight_decay != 0:
        g = added(g, p, weight_decay)
    eta_value = float(eta)
    if p.dtype.kind not in "fcV":
        refuse_integral_result(p, 1 - lambd * eta_value)
    p *= scalar(1 - lambd * eta_value)
    add_scaled_(p, g, -eta_value)
    if float(mu) != 1:
        # ax.add_(param.sub(ax).mul_(mu)): each op rounded to the parameter's dtype
        step_to_param = np.subtract(p, ax)
        step_to_param *= scalar(mu)
        ax += step_to_param
    else:
        ax[...] = p
    step = float(step_t)
    eta[...] = _scalar_dtype().type(lr / pow_by_number(1 + lambd * lr * step, alpha))  # (a tensor lr: float32)
    _next_mu(mu, step, t0)


def _asgd_foreach_update(p, g, ax, step_t, eta, mu, *, lr, lambd, alpha, t0, weight_decay, maximize):
    """:func:`_asgd_update` as PyTorch's foreach kernel (``foreach=True``) computes it: the parameter moves by
    ``eta * (g + weight_decay p + lambd p)``, ``ax`` always by ``mu * (p - ax)``, and the next ``eta`` is computed
    in the ``step`` counter's dtype (``lr / (1 + lambd lr step) ** alpha`` with ``step`` a tensor)."""
    p, g, ax = real_views(p, g, ax)
    if maximize:
        g = np.negative(g)
    step_t += 1
    intermediate = added(g, p, weight_decay) if weight_decay != 0 else g
    if weight_decay != 0:
        add_scaled_(intermediate, p, lambd)
    else:
        intermediate = added(g, p, lambd)
    # (the 0-d eta and mu enter as tensors of the parameter's dtype: rounded to a float16 or bfloat16 one)
    addcmul(p, intermediate, eta.astype(p.dtype), -1, out=p)
    addcmul(ax, np.subtract(p, ax), mu.astype(p.dtype), 1, out=ax)
    counter = step_t.dtype.type
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if isinstance(lr, np.generic):  # a tensor lr (see _hyper_value): 0-d tensor arithmetic, a true division
            eta[...] = lr / pow_by_number(1 + lambd * lr * step_t, alpha)
        else:
            base = counter(1) + step_t * counter(lambd * lr)
            # number / tensor is tensor.reciprocal() * number in PyTorch
            eta[...] = np.reciprocal(pow_by_number(base, alpha)) * counter(lr)  # (NumPy's float32 pow may be off)
    _next_mu(mu, float(step_t), t0)


def _next_mu(mu, step, t0):
    """``mu`` for the next step, made as a 0-d tensor of the default float dtype (then copied into ``mu``)."""
    mu[...] = _scalar_dtype().type(1 / max(1, step - t0))
