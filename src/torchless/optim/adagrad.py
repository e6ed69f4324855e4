"""Adagrad: per-weight learning rates shrinking with the accumulated squared gradients."""
import numpy as np

from .._ops.complex_ops import view_as_real
from ..autograd import grad_mode
from .optimizer import (
    Optimizer, _advance, _check_no_grad_scaling, _check_state_steps, _filled_like, _functional_update, _hyper_value,
    _new_step, _reads_defaults_first, _refuse_foreach_differentiable, _scalar_lr, _to_scalar, _weight_decay,
)
from ._fused_layout import as_fused_kernel_pairs
from ._hyperparameters import check_fused, check_lr, check_nonnegative, unsupported_flags
from ._update_math import addcdiv_, addcmul, added_scalar, real_views_with_decayed_gradient, scaled_

__all__ = ["Adagrad", "adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, PyTorch's formulation.

    For each parameter :math:`\theta` with gradient :math:`g` (negated when ``maximize``), at step :math:`t`:

    .. math::
        \tilde\gamma \leftarrow \frac{\gamma}{1 + (t-1)\eta}, \quad
        g \leftarrow g + \lambda\theta, \quad
        s \leftarrow s + g^2, \quad
        \theta \leftarrow \theta - \tilde\gamma \frac{g}{\sqrt{s} + \epsilon}

    The accumulator :math:`s` starts at ``initial_accumulator_value``. Unlike the other optimizers, Adagrad
    creates every parameter's state in its constructor (so its state_dict lists parameters that never had
    a gradient).

    Args:
        params (iterable): parameters to optimize, or dicts defining parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-2).
        lr_decay (float): learning rate decay :math:`\eta` (default: 0).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        initial_accumulator_value (float): starting value of the sum of squared gradients (default: 0).
        eps (float): term added to the denominator for numerical stability (default: 1e-10).
        maximize (bool): maximize the objective instead of minimizing it (default: False).

    State per parameter: ``step`` and ``sum``.
    """

    _group_defaults = (("foreach", None), ("maximize", False), ("differentiable", False), ("fused", None))

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_lr(lr)
        check_nonnegative(lr_decay=lr_decay, weight_decay=weight_decay, initial_accumulator_value=initial_accumulator_value, epsilon=eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach, "maximize": maximize}
        unsupported_flags(defaults, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        check_fused(self)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value, group["fused"])

    _fused_check_first = True  # PyTorch's fused Adagrad checks the first parameter it updates, and each new state

    def _init_state(self, param, initial_accumulator_value, fused):
        state = self.state[param]
        state["step"] = _new_step(fused)
        state["sum"] = _filled_like(param, initial_accumulator_value)

    def share_memory(self):
        """PyTorch moves the ``sum`` tensors to shared memory; NumPy arrays need nothing."""

    @_reads_defaults_first
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            if self._records_updates(group):
                self._recorded_step(group)
                continue
            for param, p, g in self._params_with_grad(group):
                state = self.state[param]
                if not state:
                    # parameters added later by add_param_group: PyTorch takes the constructor's value here
                    self._init_state(param, self.defaults["initial_accumulator_value"], group["fused"])
                step_count = state["step"]._data
                step_count += 1
                _adagrad_update(p, g, state["sum"]._data, step=float(step_count),
                                lr=_hyper_value(_scalar_lr(group["lr"], "addcdiv_", "value"), group["fused"]),
                                lr_decay=group["lr_decay"],
                                eps=group["eps"], weight_decay=_weight_decay(group), maximize=group["maximize"],
                                foreach=group["foreach"])
                param._version += 1
        return loss

    _records_differentiable_updates = True

    def _recorded_step(self, group):
        """PyTorch's for-loop with autograd recording (``differentiable=True``)."""
        with self._recording():
            for param, _, _ in self._params_with_grad(group):
                state = self.state[param]
                if not state:  # (as in step: the constructor's initial value)
                    self._init_state(param, self.defaults["initial_accumulator_value"], group["fused"])
                _recorded_update(param, param.grad, state["sum"], state["step"], lr=group["lr"],
                                 lr_decay=group["lr_decay"], eps=group["eps"], weight_decay=group["weight_decay"],
                                 maximize=group["maximize"], differentiable=group["differentiable"])


def _recorded_update(param, grad, state_sum, step, *, lr, lr_decay, eps, weight_decay, maximize, differentiable):
    """One parameter's update in PyTorch's for-loop with autograd recording (run under enable_grad)."""
    lr = _to_scalar(lr)
    step += 1
    grad = -grad if maximize else grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    clr = lr / (1 + (float(step) - 1) * lr_decay)
    target = param
    if param.is_complex():
        target, grad, state_sum = (view_as_real(t) for t in (param, grad, state_sum))
    state_sum.addcmul_(grad, grad, value=1)
    # (the group's own flag: in place, eps overwrites the root sqrt's backward saved)
    std = state_sum.sqrt() + eps if differentiable else state_sum.sqrt().add_(eps)
    target.addcdiv_(grad, std, value=-clr)


@_functional_update
def adagrad(params, grads, state_sums, state_steps, fused=None, grad_scale=None, found_inf=None, has_sparse_grad=False,
            foreach=None, differentiable=False, has_complex=False, *, lr, weight_decay, lr_decay, eps, maximize):
    r"""Functional API that performs Adagrad algorithm computation: updates ``params``, ``state_sums`` and the
    ``state_steps`` tensors in place.

    See :class:`~torchless.optim.Adagrad` for details. On the CPU the foreach and for-loop forms compute alike but for
    float16 and bfloat16, whose foreach kernel rounds its in-place scalar products' numbers to their dtype.
    """
    _check_state_steps(state_steps)
    fused = bool(fused)  # (PyTorch's fused kernel wins over foreach)
    # the checks of PyTorch's kernel, in their order
    if fused:
        if not params:
            return
        if has_sparse_grad or has_complex:
            raise RuntimeError("`fused` does not support sparse grad or complex param")
        if differentiable:
            raise RuntimeError("adagrad with fused=True does not support differentiable=True")
    else:
        if foreach:
            _refuse_foreach_differentiable(differentiable)
        _check_no_grad_scaling(grad_scale, found_inf)
    if differentiable and not foreach:
        with grad_mode.enable_grad():
            for i, param in enumerate(params):
                _recorded_update(param, grads[i], state_sums[i], state_steps[i], lr=lr, lr_decay=lr_decay, eps=eps,
                                 weight_decay=weight_decay, maximize=maximize, differentiable=True)
        return
    for i, param in enumerate(params):
        grad = grads[i]
        g = as_fused_kernel_pairs(grad._data, param._data) if fused else grad._data
        _adagrad_update(param._data, g, state_sums[i]._data, step=_advance(state_steps[i]),
                        lr=_hyper_value(_scalar_lr(lr, "addcdiv_", "value"), fused), lr_decay=lr_decay, eps=eps,
                        weight_decay=float(weight_decay) if fused else weight_decay, maximize=maximize,
                        foreach=foreach)
        param._version += 1


def _adagrad_update(p, g, state_sum, *, step, lr, lr_decay, eps, weight_decay, maximize, foreach=False):
    """Update ``p`` and ``state_sum`` in place, with PyTorch's operations in its order and dtype (its foreach
    kernel's with ``foreach``)."""
    p, g, state_sum = real_views_with_decayed_gradient(p, g, state_sum, weight_decay=weight_decay,
                                                       maximize=maximize, foreach=foreach)
    clr = lr / (1 + (step - 1) * lr_decay)
    addcmul(state_sum, g, g, 1, out=state_sum)
    std = np.sqrt(state_sum)
    std += added_scalar(p.dtype, eps)
    if foreach:
        # PyTorch's foreach kernel first multiplies the gradient by -clr, in place (its _foreach_mul_) where a weight
        # decay or maximize made it a copy, else into a new tensor, and rounds that numerator to the dtype
        numerator = g.copy()
        scaled_(numerator, -clr, foreach=weight_decay != 0 or maximize)
        addcdiv_(p, numerator, std, 1)
    else:
        addcdiv_(p, g, std, -clr)
