"""Adafactor: Adam-like steps with the second moment of a matrix kept as its row and column means."""
import numpy as np

from .. import _dtype
from .._info import finfo
from .._kernels.reduce_order import cascade_sum
from .._ops.reduction import two_norm
from .._tensor import Tensor
from .optimizer import Optimizer, _advance, _functional_update, _hyper_value, _is_real_scalar, _to_scalar
from ._update_math import add_scaled_, lerp_

__all__ = ["Adafactor", "adafactor"]


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern, 2018), PyTorch's formulation: no first moment, and for a parameter of two or
    more dims a factored second moment (a running mean of squared gradients per row and per column of its last
    two dims), so the state grows with rows + columns rather than their product.

    At step :math:`t`, with :math:`\beta_{2,t} = 1 - t^{c}` (``beta2_decay`` :math:`c`), relative step size
    :math:`\rho_t = \min(\gamma, 1/\sqrt t)` and :math:`\alpha_t = \max(\epsilon_2, \mathrm{RMS}(\theta))\rho_t`:
    the variance estimate :math:`\hat v` is the outer product of the row and column means divided by the mean
    of the row means (or the running mean of :math:`g^2` for vectors and scalars), the update
    :math:`u = g / \sqrt{\max(\hat v, \epsilon_1^2)}` is scaled down so its RMS is at most ``d``, and
    :math:`\theta \leftarrow \theta - \alpha_t u`. Weight decay multiplies :math:`\theta` by
    :math:`1 - \gamma\lambda` first.

    Args:
        params (iterable): parameters to optimize, or dicts defining parameter groups.
        lr (float): the largest relative step size :math:`\gamma` (default: 1e-2).
        beta2_decay (float): exponent :math:`c \le 0` of the second moment's decay (default: -0.8).
        eps (Tuple[float or None, float]): :math:`\epsilon_1`, the floor of the variance estimate (None: the
            machine epsilon of the parameter's dtype), and :math:`\epsilon_2`, the floor of the parameter's RMS
            (default: (None, 1e-3)).
        d (float): clipping threshold of the update's RMS, >= 1 (default: 1.0).
        weight_decay (float): decoupled weight decay :math:`\lambda` (default: 0).
        foreach (bool): PyTorch's multi-tensor form, whose last bits differ: it scales an update and then adds it.
        maximize (bool): maximize the objective instead of minimizing it (default: False).

    State per parameter: ``step``, and ``row_var`` and ``col_var`` (the gradient's shape with the last,
    respectively second-to-last, dim 1) for parameters of two or more dims, else ``variance``.
    """

    _group_defaults = (("foreach", None),)

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": eps, "d": d, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            # (refused before any of the group's parameters is updated)
            if any(p.grad is not None and p.is_complex() for p in group["params"]):
                raise RuntimeError("Adafactor does not support complex parameters")
            eps1, eps2 = group["eps"]
            for p, g, state, step in self._steps(group, _fresh_state):
                # as PyTorch, a missing eps1 is the first updated parameter's machine epsilon for the whole group
                if eps1 is None:
                    eps1 = finfo(_dtype.from_numpy_dtype(p.dtype)).eps
                _adafactor_update(p, g, state, step=step, lr=_update_lr(group["lr"], step),
                                  beta2_decay=group["beta2_decay"], eps1=eps1, eps2=eps2, d=group["d"],
                                  weight_decay=group["weight_decay"], maximize=group["maximize"],
                                  foreach=group["foreach"])
        return loss


@_functional_update
def adafactor(params, grads, row_vars, col_vars, variances, state_steps, foreach=None, grad_scale=None,
              found_inf=None, has_complex=False, *, d, lr, beta2_decay, weight_decay, eps1, eps2, maximize):
    r"""Functional API that performs Adafactor algorithm computation: updates ``params``, their ``row_vars`` and
    ``col_vars`` (parameters of two or more dims; None for the others) or ``variances`` (the others), and the
    ``state_steps`` tensors in place. ``eps1`` None is the machine epsilon of the first parameter's dtype.

    See :class:`~torchless.optim.Adafactor` for details.
    """
    if not all(isinstance(step, Tensor) for step in state_steps):
        raise RuntimeError("`state_steps` argument must contain a list of singleton tensors")
    if foreach and not params:
        return
    if grad_scale is not None or found_inf is not None:
        raise AssertionError("Grad scaling should occur outside of optimizer.step()")
    for i, param in enumerate(params):
        p, g = param._data, grads[i]._data
        if eps1 is None:
            eps1 = finfo(_dtype.from_numpy_dtype(p.dtype)).eps
        step = _advance(state_steps[i])
        state = {"row_var": row_vars[i], "col_var": col_vars[i], "variance": variances[i]}
        if g.ndim > 1 and (state["row_var"] is None or state["col_var"] is None):
            raise AssertionError("row_var and col_var should be defined when grad is multidimensional")
        if g.ndim <= 1 and state["variance"] is None:
            raise AssertionError("variance should be defined when grad is a vector")
        _adafactor_update(p, g, state, step=step, lr=_update_lr(lr, step), beta2_decay=beta2_decay, eps1=eps1,
                          eps2=eps2, d=d, weight_decay=weight_decay, maximize=maximize, foreach=foreach)
        param._version += 1


def _update_lr(lr, step):
    """``lr`` as an update takes it; one that is no number (or a tensor of several elements) first meets PyTorch's
    ``min(lr, 1 / step ** 0.5)``, Python's comparison error or the tensor's ambiguous truth value."""
    if not _is_real_scalar(lr):
        min(_to_scalar(lr), 1 / step ** 0.5)
    return _hyper_value(lr)


def _fresh_state(p, g):
    if g.ndim > 1:
        return {"row_var": Tensor._wrap(np.zeros(g.shape[:-1] + (1,), g.dtype)),
                "col_var": Tensor._wrap(np.zeros(g.shape[:-2] + (1,) + g.shape[-1:], g.dtype))}
    return {"variance": Tensor._wrap(np.zeros_like(g))}


def _adafactor_update(p, g, state, *, step, lr, beta2_decay, eps1, eps2, d, weight_decay, maximize, foreach):
    """Update ``p`` and its state arrays in place for step number ``step`` (counted from 1), with PyTorch's
    operations in its order; the step sizes are Python floats, the array work stays in the parameter's dtype.
    PyTorch's foreach kernel scales the update and adds it in two roundings, its for-loop in one (add_'s alpha)."""
    scalar = p.dtype.type
    if maximize:
        g = np.negative(g)
    weight = step ** beta2_decay  # 1 - beta2 at this step
    rho = min(lr, 1 / step ** 0.5)
    # a parameter with no elements divides by zero here, as in PyTorch
    rms = float(two_norm(p, None, False)) / p.size ** 0.5
    alpha = max(eps2, rms) * rho
    if weight_decay != 0:
        p *= scalar(1 - lr * weight_decay)
    if g.ndim > 1:
        row_var, col_var = state["row_var"]._data, state["col_var"]._data
        lerp_(row_var, _mean_square(g, axis=-1), weight)
        lerp_(col_var, _mean_square(g, axis=-2), weight)
        estimate = np.matmul(row_var, col_var)
        estimate /= np.maximum(_mean_of_rows(row_var), scalar(eps1))
    else:
        variance = np.atleast_1d(state["variance"]._data)
        lerp_(variance, np.atleast_1d(g * g), weight)
        estimate = variance.copy()
    update = 1 / np.sqrt(np.maximum(estimate, scalar(eps1 * eps1)))
    update *= np.atleast_1d(g)
    update_rms = float(two_norm(update, None, False)) / (update.size ** 0.5 * d)
    denom = max(1.0, update_rms)
    if foreach:
        p += update.reshape(p.shape) * scalar(-alpha / denom)
    else:
        add_scaled_(p, update.reshape(p.shape), -alpha / denom)


def _mean_of_rows(row_var):
    """``row_var.mean(dim=-2, keepdim=True)`` of the (..., rows, 1) ``row_var`` as PyTorch computes it: each
    column summed as torch.sum adds a contiguous row (its cascade), then divided by the count."""
    rows = row_var.shape[-2]
    columns = row_var.reshape(-1, rows)
    sums = np.array([cascade_sum(column) for column in columns], row_var.dtype)
    return (sums / row_var.dtype.type(rows)).reshape(row_var.shape[:-2] + (1, 1))


def _mean_square(g, axis):
    """The mean of ``g * g`` along ``axis`` (kept), as PyTorch's Adafactor computes it without the squares: the
    2-norm squared, then divided by the count (its own rounding, e.g. 1 - 2**-24 for a row of ones)."""
    norm = two_norm(g, (g.ndim + axis,), True)
    return np.square(norm) / g.dtype.type(g.shape[axis])
