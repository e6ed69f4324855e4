"""NAdam: Adam with Nesterov momentum (and its momentum-decay schedule)."""
import numpy as np

from .._ops.complex_ops import view_as_real
from ..autograd import grad_mode
from .._tensor import Tensor
from .optimizer import (
    Optimizer, _advance, _check_state_steps, _functional_update, _get_value, _hyper_value, _reads_defaults_first,
    _refuse_functional_flags, _scalar_state, _scalar_lr, _to_scalar, _zeros_like,
)
from ._hyperparameters import check_lr, check_nonnegative, unsupported_flags
from ._update_math import addcdiv_, addcmul, added, added_scalar, lerp_, opmath, real_views, scaled, scaled_

__all__ = ["NAdam", "nadam"]


class NAdam(Optimizer):
    r"""NAdam, PyTorch's formulation.

    For each parameter :math:`\theta` with gradient :math:`g` (negated when ``maximize``), at step :math:`t`,
    with :math:`\mu_t = \beta_1 (1 - \frac{1}{2} 0.96^{t\psi})`:

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g, \quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
        \theta \leftarrow \theta - \gamma \left(\frac{(1-\mu_t) g}{1 - \prod_{i\le t}\mu_i}
        + \frac{\mu_{t+1} m}{1 - \prod_{i\le t+1}\mu_i}\right) \Big/ \left(\sqrt{v / (1-\beta_2^t)} + \epsilon\right)

    Weight decay adds :math:`\lambda\theta` to :math:`g` or, with ``decoupled_weight_decay``, multiplies
    :math:`\theta` by :math:`1-\gamma\lambda` first.

    Args:
        params (iterable): parameters to optimize, or dicts defining parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 2e-3).
        betas (Tuple[float, float]): coefficients of the running averages of the gradient and its square
            (default: (0.9, 0.999)).
        eps (float): term added to the denominator for numerical stability (default: 1e-8).
        weight_decay (float): weight decay :math:`\lambda` (default: 0).
        momentum_decay (float): momentum decay :math:`\psi` (default: 4e-3).
        decoupled_weight_decay (bool): decay the weights directly, as AdamW (NAdamW) (default: False).
        maximize (bool): maximize the objective instead of minimizing it (default: False).

    State per parameter: ``step``, ``mu_product`` (0-d tensors of the default float dtype, whatever the
    parameter's), ``exp_avg`` and ``exp_avg_sq``.
    """

    _capturable_what = "params, mu_products and state_steps"  # PyTorch's CPU errors for capturable=True
    _capturable_what_foreach = "params, mu_products, and state_steps"
    _group_defaults = (("maximize", False), ("foreach", None), ("capturable", False), ("differentiable", False),
                       ("decoupled_weight_decay", False))
    _counters = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_lr(lr)
        check_nonnegative(epsilon=eps, betas=betas, weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach}
        unsupported_flags(defaults, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    @_reads_defaults_first
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        return self._step_each_parameter(closure, _fresh_state)

    @staticmethod
    def _update(group, p, g, state, step):
        _nadam_update(p, g, state["exp_avg"]._data, state["exp_avg_sq"]._data, state["mu_product"]._data,
                      step=step, lr=_hyper_value(_scalar_lr(group["lr"], "addcdiv_", "value")),
                      betas=group["betas"], eps=group["eps"],
                      weight_decay=group["weight_decay"], momentum_decay=group["momentum_decay"],
                      decoupled=group["decoupled_weight_decay"], maximize=group["maximize"],
                      foreach=group["foreach"])

    _records_differentiable_updates = True

    def _recorded_step(self, group):
        """PyTorch's for-loop with autograd recording (``differentiable=True``)."""
        beta1, beta2 = group["betas"]
        with self._recording():
            for param, state in self._recorded_states(group, _fresh_state):
                _recorded_update(param, param.grad, state["exp_avg"], state["exp_avg_sq"], state["mu_product"],
                                 state["step"], lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
                                 weight_decay=group["weight_decay"], momentum_decay=group["momentum_decay"],
                                 decoupled=group["decoupled_weight_decay"], maximize=group["maximize"],
                                 differentiable=group["differentiable"])


def _recorded_update(param, grad, exp_avg, exp_avg_sq, mu_product, step_t, *, lr, beta1, beta2, eps, weight_decay,
                     momentum_decay, decoupled, maximize, differentiable):
    """One parameter's update in PyTorch's for-loop with autograd recording (run under enable_grad): with
    ``differentiable``, both step sizes multiply the gradient and the moment as tensors (a tensor ``lr`` and
    ``mu_product`` in the graph) instead of entering ``addcdiv_`` as numbers."""
    lr = _to_scalar(lr)
    grad = -grad if maximize else grad
    target = param
    if param.is_complex():
        target, grad, exp_avg, exp_avg_sq = (view_as_real(t) for t in (param, grad, exp_avg, exp_avg_sq))
    step_t += 1
    step = _get_value(step_t)
    bias_correction2 = 1 - beta2 ** step
    if weight_decay != 0:
        if decoupled:
            target.mul_(1 - lr * weight_decay)
        else:
            grad = grad.add(target, alpha=weight_decay)
    mu, mu_next = _momentum_coefficients(beta1, momentum_decay, step)
    mu_product *= mu
    exp_avg.lerp_(grad, 1 - beta1)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    denom = exp_avg_sq.div(bias_correction2).sqrt()
    if differentiable:
        denom = denom.add(eps)
        mu_product_next = mu_product * mu_next
        target.addcdiv_(grad * (-lr * (1.0 - mu) / (1.0 - mu_product)), denom)
        target.addcdiv_(exp_avg * (-lr * mu_next / (1.0 - mu_product_next)), denom)
    else:
        product = _get_value(mu_product)
        denom.add_(eps)
        target.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - product))
        target.addcdiv_(exp_avg, denom, value=(-lr * mu_next) / (1.0 - product * mu_next))


@_functional_update
def nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps, decoupled_weight_decay=False, foreach=None,
          capturable=False, differentiable=False, has_complex=False, maximize=False, *, beta1, beta2, lr,
          weight_decay, momentum_decay, eps):
    r"""Functional API that performs NAdam algorithm computation: updates ``params``, ``exp_avgs``, ``exp_avg_sqs``
    and the ``mu_products`` and ``state_steps`` tensors in place.

    See :class:`~torchless.optim.NAdam` for details.
    """
    _check_state_steps(state_steps)
    if not all(isinstance(mu_product, Tensor) for mu_product in mu_products):
        raise RuntimeError("API has changed, `mu_products` argument must contain a list of singleton tensors")
    _refuse_functional_flags(NAdam, params, foreach=foreach, capturable=capturable, differentiable=differentiable)
    if differentiable and not foreach:
        with grad_mode.enable_grad():
            for i, param in enumerate(params):
                _recorded_update(param, grads[i], exp_avgs[i], exp_avg_sqs[i], mu_products[i], state_steps[i],
                                 lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                                 momentum_decay=momentum_decay, decoupled=decoupled_weight_decay, maximize=maximize,
                                 differentiable=True)
        return
    for i, param in enumerate(params):
        mu_product = mu_products[i]
        _nadam_update(param._data, grads[i]._data, exp_avgs[i]._data, exp_avg_sqs[i]._data, mu_product._data,
                      step=_advance(state_steps[i]), lr=_hyper_value(_scalar_lr(lr, "addcdiv_", "value")),
                      betas=(beta1, beta2), eps=eps,
                      weight_decay=weight_decay, momentum_decay=momentum_decay, decoupled=decoupled_weight_decay,
                      maximize=maximize, foreach=foreach)
        mu_product._version += 1
        param._version += 1


def _fresh_state(p, g):
    return {"mu_product": _scalar_state(1.0), **_zeros_like(p, "exp_avg", "exp_avg_sq")}


def _momentum_coefficients(beta1, momentum_decay, step):
    """NAdam's momentum coefficients (mu_t, mu_{t+1}) at step number ``step``."""
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    return mu, mu_next


def _nadam_update(p, g, exp_avg, exp_avg_sq, mu_product, *, step, lr, betas, eps, weight_decay, momentum_decay,
                  decoupled, maximize, foreach=False):
    """Update ``p``, the moments and the 0-d ``mu_product`` in place, as PyTorch's for-loop does (its foreach
    kernel with ``foreach``).

    ``mu_product`` keeps its own (scalar) dtype: a float64 parameter under a float32 default dtype sees its
    product of momentum coefficients rounded to float32 at every step, as in PyTorch.
    """
    beta1, beta2 = betas
    p, g, exp_avg, exp_avg_sq = real_views(p, g, exp_avg, exp_avg_sq)
    scalar = opmath(p.dtype).type
    if maximize:
        g = np.negative(g)
    bias_correction2 = 1 - beta2 ** step
    if weight_decay != 0:
        if decoupled:
            scaled_(p, 1 - lr * weight_decay, foreach)
        else:
            g = added(g, p, weight_decay)
    mu, mu_next = _momentum_coefficients(beta1, momentum_decay, step)
    mu_product *= mu_product.dtype.type(mu)
    lerp_(exp_avg, g, 1 - beta1)
    scaled_(exp_avg_sq, beta2, foreach)
    addcmul(exp_avg_sq, g, g, 1 - beta2, out=exp_avg_sq)
    if foreach:  # PyTorch's foreach kernel divides the root by the root of the bias correction
        denom = np.sqrt(exp_avg_sq)
        np.divide(denom, scalar(bias_correction2 ** 0.5), out=denom, casting="same_kind")
    else:
        denom = np.sqrt(scaled(exp_avg_sq, bias_correction2, divide=True))
    product = float(mu_product)
    mu_product_next = product * mu_next
    denom += added_scalar(p.dtype, eps)
    if foreach:  # (the foreach kernel computes its step sizes from a tensor lr's value, a Python float)
        lr = float(lr)
    addcdiv_(p, g, denom, -lr * (1.0 - mu) / (1.0 - product))
    addcdiv_(p, exp_avg, denom, (-lr * mu_next) / (1.0 - mu_product_next))
