"""Rprop: resilient backpropagation, steps of per-weight sizes driven by gradient signs only."""
import numpy as np

from .._ops.complex_ops import view_as_real
from .._tensor import Tensor
from ..autograd import grad_mode
from .optimizer import (
    _CAPTURABLE_DEVICES, COMMON_FLAGS, Optimizer, _advance, _check_state_steps, _filled_like, _functional_update,
    _reads_defaults_first, _refuse_functional_flags, _to_scalar, _zeros_like,
)
from ._hyperparameters import check_lr, unsupported_flags
from ._update_math import real_views, refuse_integral_result

__all__ = ["Rprop", "rprop"]


class Rprop(Optimizer):
    r"""Resilient backpropagation, PyTorch's formulation.

    For each parameter :math:`\theta` with gradient :math:`g` (negated when ``maximize``) and per-weight step
    sizes :math:`\eta` (starting at ``lr``), elementwise:

    .. math::
        \eta \leftarrow \operatorname{clamp}(\eta \cdot \begin{cases}
            \eta_+ & g \, g_{prev} > 0 \\ \eta_- & g \, g_{prev} < 0 \\ 1 & \text{otherwise}
        \end{cases}, \Gamma_{min}, \Gamma_{max}), \quad
        g \leftarrow 0 \text{ where } g \, g_{prev} < 0, \quad
        \theta \leftarrow \theta - \eta \operatorname{sign}(g), \quad g_{prev} \leftarrow g

    Args:
        params (iterable): parameters to optimize, or dicts defining parameter groups.
        lr (float): initial step size (default: 1e-2).
        etas (Tuple[float, float]): multiplicative decrease and increase factors :math:`(\eta_-, \eta_+)`,
            with :math:`0 < \eta_- < 1 < \eta_+` (default: (0.5, 1.2)).
        step_sizes (Tuple[float, float]): smallest and largest step sizes
            :math:`(\Gamma_{min}, \Gamma_{max})` (default: (1e-6, 50)).
        maximize (bool): maximize the objective instead of minimizing it (default: False).

    State per parameter: ``step``, ``prev`` (the previous, masked gradient) and ``step_size``.
    """

    _capturable_devices = (_CAPTURABLE_DEVICES, _CAPTURABLE_DEVICES)  # PyTorch's CPU errors name XLA in both
    _group_defaults = COMMON_FLAGS
    _grad_first = True  # its first op on a loaded state is grad.mul(prev)

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize}
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
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for p, g, state, _ in self._steps(group, self._fresh_state(group)):
                _rprop_update(p, g, state["prev"]._data, state["step_size"]._data, etaminus=etaminus,
                              etaplus=etaplus, step_size_min=step_size_min, step_size_max=step_size_max,
                              maximize=group["maximize"])
        return loss

    @staticmethod
    def _fresh_state(group):
        """The function making a new state of ``group``: ``prev`` zeros, ``step_size`` filled with the lr (a complex
        parameter's imaginary parts start with the same step size as its real parts)."""
        def fresh_state(p, g):
            return {**_zeros_like(p, "prev"), "step_size": _filled_like(Tensor._wrap(g), _to_scalar(group["lr"]))}
        return fresh_state

    _records_differentiable_updates = True

    def _recorded_step(self, group):
        """PyTorch's for-loop with autograd recording (``differentiable=True``)."""
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        with self._recording():
            for param, state in self._recorded_states(group, self._fresh_state(group)):
                _recorded_update(param, param.grad, state["prev"], state["step_size"], state["step"],
                                 etaminus=etaminus, etaplus=etaplus, step_size_min=step_size_min,
                                 step_size_max=step_size_max, maximize=group["maximize"],
                                 differentiable=group["differentiable"])


def _recorded_update(param, grad, prev, step_size, step, *, etaminus, etaplus, step_size_min, step_size_max, maximize,
                     differentiable):
    """One parameter's update in PyTorch's for-loop with autograd recording (run under enable_grad): the step sizes
    and ``prev`` become functions of the gradients, through the gradients' signs (whose derivative is zero) and the
    masking."""
    grad = -grad if maximize else grad
    step += 1
    target = param
    if param.is_complex():
        grad, prev, target, step_size = (view_as_real(t) for t in (grad, prev, param, step_size))
    # (with ``differentiable``, a copy: prev as it is is saved by mul's backward, and overwritten below)
    sign = grad.mul(prev.clone() if differentiable else prev).sign()
    sign[sign.gt(0)] = etaplus
    sign[sign.lt(0)] = etaminus
    sign[sign.eq(0)] = 1
    step_size.mul_(sign).clamp_(step_size_min, step_size_max)
    grad = grad.clone()
    grad[sign.eq(etaminus)] = 0
    target.addcmul_(grad.sign(), step_size, value=-1)
    prev.copy_(grad)


@_functional_update
def rprop(params, grads, prevs, step_sizes, state_steps, foreach=None, capturable=False, maximize=False,
          differentiable=False, has_complex=False, *, step_size_min, step_size_max, etaminus, etaplus):
    r"""Functional API that performs rprop algorithm computation: updates ``params``, ``prevs``, ``step_sizes`` and
    the ``state_steps`` tensors in place.

    See :class:`~torchless.optim.Rprop` for details. On the CPU the foreach and for-loop forms compute alike.
    """
    _check_state_steps(state_steps)
    _refuse_functional_flags(Rprop, params, foreach=foreach, capturable=capturable, differentiable=differentiable)
    if differentiable and not foreach:
        with grad_mode.enable_grad():
            for i, param in enumerate(params):
                _recorded_update(param, grads[i], prevs[i], step_sizes[i], state_steps[i], etaminus=etaminus,
                                 etaplus=etaplus, step_size_min=step_size_min, step_size_max=step_size_max,
                                 maximize=maximize, differentiable=True)
        return
    for i, param in enumerate(params):
        _advance(state_steps[i])
        _rprop_update(param._data, grads[i]._data, prevs[i]._data, step_sizes[i]._data, etaminus=etaminus,
                      etaplus=etaplus, step_size_min=step_size_min, step_size_max=step_size_max, maximize=maximize)
        param._version += 1


def _rprop_update(p, g, prev, step_size, *, etaminus, etaplus, step_size_min, step_size_max, maximize):
    """Update ``p``, ``prev`` and ``step_size`` in place, as PyTorch does."""
    p, g, prev, step_size = real_views(p, g, prev, step_size)
    scalar = p.dtype.type
    if maximize:
        g = np.negative(g)
    sign = _sign(g * prev)
    sign[sign > 0] = scalar(etaplus)
    sign[sign < 0] = scalar(etaminus)
    sign[sign == 0] = 1
    step_size *= sign
    if p.dtype.kind not in "fcV":  # (clamp_ names the type as C++ does)
        refuse_integral_result(step_size, step_size_min, cpp_names=True)
        refuse_integral_result(step_size, step_size_max, cpp_names=True)
    np.clip(step_size, scalar(step_size_min), scalar(step_size_max), out=step_size)
    # after a sign change the weight stays put, and the zero stored in ``prev`` keeps the next step size as is
    g = g.copy()
    g[sign == scalar(etaminus)] = 0
    p -= _sign(g) * step_size
    prev[...] = g


def _sign(array):
    """PyTorch's sign: 0 for NaN (NumPy's is NaN), so that a NaN gradient leaves its weight and step size as they
    are."""
    return np.nan_to_num(np.sign(array), copy=False, nan=0.0)
