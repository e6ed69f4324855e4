"""Adafactor: Adam-like steps from a factored (row and column) estimate of the squared gradient's average."""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer and Stern, 2018) as PyTorch formulates it.

    For each parameter :math:`\theta` (of n elements) with gradient :math:`G` (negated when ``maximize``), at step
    :math:`t`, with :math:`\hat\beta_t = 1 - t^{c}` (c = ``beta2_decay``), :math:`\rho_t = \min(\gamma, 1/\sqrt t)`
    and :math:`\alpha_t = \max(\epsilon_2, \mathrm{RMS}(\theta))\,\rho_t`:

    .. math::
        \theta \leftarrow (1 - \gamma\lambda)\theta, \qquad
        R \leftarrow \hat\beta_t R + (1-\hat\beta_t)\,\mathrm{mean}_{cols}(G^2), \quad
        C \leftarrow \hat\beta_t C + (1-\hat\beta_t)\,\mathrm{mean}_{rows}(G^2), \\
        \hat V = \frac{R C}{\max(\mathrm{mean}(R), \epsilon_1)}, \quad
        U = \frac{G}{\sqrt{\max(\hat V, \epsilon_1^2)}}, \quad
        \theta \leftarrow \theta - \frac{\alpha_t}{\max(1, \mathrm{RMS}(U)/d)}\,U

    over the last two dims of a parameter of 2 or more dims; a vector (or scalar) keeps the full average
    :math:`V \leftarrow \hat\beta_t V + (1-\hat\beta_t) G^2` instead of R and C.

    Args:
        params (iterable): parameters to optimize, or dicts defining parameter groups.
        lr (float): :math:`\gamma`, the cap of the relative step size and the weight decay's scale (default: 1e-2).
        beta2_decay (float): c, the exponent of the averages' decay (default: -0.8).
        eps (Tuple[float or None, float]): :math:`\epsilon_1` (None: the parameter dtype's machine epsilon) and
            :math:`\epsilon_2` (default: (None, 1e-3)).
        d (float): the clipping threshold of the update's RMS (default: 1.0).
        weight_decay (float): the decoupled weight decay :math:`\lambda` (default: 0).
        maximize (bool): maximize the objective instead of minimizing it (default: False).

    State per parameter: ``step``, and ``row_var`` / ``col_var`` (R, C) or ``variance`` (V).
    """

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
            eps1, eps2 = group["eps"]
            for p, g, state, step in self._steps(group, _fresh_state):
                if eps1 is None:  # (the first parameter's dtype decides it for the whole group, as in PyTorch)
                    eps1 = float(np.finfo(p.dtype).eps)
                _adafactor_update(p, g, state, step=step, lr=float(group["lr"]), beta2_decay=group["beta2_decay"],
                                  eps1=eps1, eps2=eps2, d=group["d"], weight_decay=group["weight_decay"],
                                  maximize=group["maximize"])
        return loss


def _fresh_state(p, g):
    if g.ndim > 1:
        return {"row_var": Tensor._wrap(np.zeros(g.shape[:-1] + (1,), g.dtype)),
                "col_var": Tensor._wrap(np.zeros(g.shape[:-2] + (1,) + g.shape[-1:], g.dtype))}
    return {"variance": Tensor._wrap(np.zeros_like(g))}


def _rms(array):
    """The root mean square as a Python float (PyTorch's ``norm().item() / numel ** 0.5``)."""
    return float(np.sqrt(np.sum(np.square(array, dtype=np.float64)))) / array.size ** 0.5 if array.size else 0.0


def _lerp(start, end, weight):
    """start.lerp_(end, weight) in start's dtype, with PyTorch's switch of formula at weight 0.5."""
    weight = start.dtype.type(weight)
    if abs(weight) < 0.5:
        start += (end - start) * weight
    else:
        start[...] = end - (end - start) * (start.dtype.type(1) - weight)


def _adafactor_update(p, g, state, *, step, lr, beta2_decay, eps1, eps2, d, weight_decay, maximize):
    """Update ``p`` and its state in place, with PyTorch's operations in its order and dtype."""
    scalar = p.dtype.type
    if maximize:
        g = np.negative(g)
    one_minus_beta2 = step ** beta2_decay
    rho = min(lr, 1 / step ** 0.5)
    alpha = max(eps2, _rms(p)) * rho
    if weight_decay != 0:
        p *= scalar(1 - lr * weight_decay)
    if g.ndim > 1:
        row_var, col_var = state["row_var"]._data, state["col_var"]._data
        squared = np.square(g)
        _lerp(row_var, squared.mean(axis=-1, keepdims=True), one_minus_beta2)
        _lerp(col_var, squared.mean(axis=-2, keepdims=True), one_minus_beta2)
        estimate = row_var @ col_var
        estimate /= np.maximum(row_var.mean(axis=-2, keepdims=True), scalar(eps1))
    else:
        variance = state["variance"]._data
        _lerp(variance, g * g, one_minus_beta2)
        estimate = variance.copy()
    update = 1 / np.sqrt(np.maximum(estimate, scalar(eps1 * eps1)))
    update *= g
    denom = max(1.0, _rms(update) / d)
    p += update * scalar(-alpha / denom)
