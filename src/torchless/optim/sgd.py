"""SGD: stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay."""
import numpy as np

from .. import _memory_format
from .._parser_errors._messages import invalid_combination
from .._tensor import Tensor
from .optimizer import (
    Optimizer, _check_no_grad_scaling, _functional_update, _reads_defaults_first, _scalar_lr, _to_scalar, _weight_decay,
)
from ._fused_layout import as_fused_kernel_pairs, scalar_loop_positions
from ._hyperparameters import check_fused, unsupported_flags
from ._update_math import add_scaled_, added, refuse_integral_result, scaled, scaled_

__all__ = ["SGD", "sgd"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), PyTorch's formulation.

    For each parameter :math:`\theta` with gradient :math:`g` (negated when ``maximize``):

    .. math::
        g \leftarrow g + \lambda\theta, \quad
        b \leftarrow \mu b + (1-\tau) g \ (b_1 = g), \quad
        g \leftarrow g + \mu b \text{ (nesterov) or } b, \quad
        \theta \leftarrow \theta - \gamma g

    Args:
        params (iterable): parameters to optimize, or dicts defining parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-3).
        momentum (float): momentum factor :math:`\mu` (default: 0).
        dampening (float): dampening :math:`\tau` for momentum (default: 0).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        nesterov (bool): use Nesterov momentum (needs momentum > 0 and zero dampening) (default: False).
        maximize (bool): maximize the objective instead of minimizing it (default: False).

    Example:
        >>> optimizer = torchless.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> optimizer.zero_grad()
        >>> loss_fn(model(input), target).backward()
        >>> optimizer.step()
    """

    # PyTorch's fused SGD checks the dtype of the first parameter it updates; its foreach kernel leaves
    # differentiable to autograd (see Optimizer._check_step_flags)
    _fused_check_first = True
    _fused_check_fresh = False
    _foreach_refuses_differentiable = False

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach}
        unsupported_flags(defaults, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        check_fused(self)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    _records_differentiable_updates = True

    @_reads_defaults_first
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params = self._params_with_grad(group)
            if self._records_updates(group):
                self._recorded_step(group, [param for param, _, _ in params])
                continue
            lr, momentum = _step_lr(group["lr"]), group["momentum"]
            # Every buffer is read before any update, as in PyTorch: a parameter listed twice in a group is then
            # updated twice from the same buffer (or twice without one on the first step, the last new one kept).
            buffers = [self.state[param].get("momentum_buffer") if momentum != 0 else None for param, _, _ in params]
            error = None
            if group["fused"] and momentum != 0 and any(buf is None for buf in buffers) and \
                    any(buf is not None for buf in buffers):
                params, buffers, error = _fused_groups_until_missing_buffer(params, buffers)
            foreach_mul = _foreach_mul_dtypes(params, buffers) if group["foreach"] and not group["fused"] else ()
            for (param, p, g), buf in zip(params, buffers):
                buf = None if buf is None else buf._data
                if buf is not None and group["fused"]:
                    buf = as_fused_kernel_pairs(buf, p)
                new_buf = _sgd_update(p, g, buf, lr=lr, momentum=momentum, dampening=group["dampening"],
                                      weight_decay=_weight_decay(group), nesterov=group["nesterov"],
                                      maximize=group["maximize"], fused=group["fused"],
                                      foreach_mul=p.dtype in foreach_mul)
                if momentum != 0 and buf is None:
                    self.state[param]["momentum_buffer"] = Tensor._wrap(_new_momentum_buffer(
                        new_buf.reshape(p.shape), param.grad._data, p, group["fused"], group["weight_decay"],
                        group["maximize"]))
                param._version += 1
            if error is not None:
                raise error
        return loss


    def _recorded_step(self, group, params):
        """PyTorch's for-loop with autograd recording (``differentiable=True``), or its foreach kernel, which SGD
        alone runs under autograd too: the update of each parameter and its momentum buffer are tensor operations of
        the graph, differentiable in the gradients, the parameters' history and a tensor ``lr`` or ``weight_decay``
        that requires grad. The foreach kernel computes every direction first, then refuses a tensor lr requiring
        grad as its ``_foreach_add_`` does (the buffers already updated)."""
        lr = _to_scalar(group["lr"])
        with self._recording():
            if group["foreach"]:
                directions = [self._recorded_direction(group, param) for param in params]
                if _requires_grad(lr) and params:
                    raise _foreach_alpha_error(group, params, lr)
                updates = zip(params, directions)
            else:  # (lazily: each parameter is updated before the next one's direction is computed)
                updates = ((param, self._recorded_direction(group, param)) for param in params)
            for param, direction in updates:
                if _requires_grad(lr):
                    param.addcmul_(direction, lr, value=-1)
                else:
                    param.add_(direction, alpha=-lr)

    def _recorded_direction(self, group, param):
        """The direction ``param`` moves along (against) in a recorded step: its gradient with weight decay and
        momentum, the momentum buffer updated. The foreach kernel adds a Nesterov momentum into the gradient in
        place (the ``.grad`` tensor itself, without maximize or weight decay)."""
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        grad = -param.grad if group["maximize"] else param.grad
        if weight_decay != 0:
            grad = grad.addcmul_(param.clone(), weight_decay) if _requires_grad(weight_decay) \
                else grad.add(param, alpha=weight_decay)
        if momentum == 0:
            return grad
        buf = self.state[param].get("momentum_buffer")
        if buf is None:
            buf = self.state[param]["momentum_buffer"] = grad.detach().clone()
        else:
            buf.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
        if not group["nesterov"]:
            return buf
        return grad.add_(buf, alpha=momentum) if group["foreach"] else grad.add(buf, alpha=momentum)


@_functional_update
def sgd(params, d_p_list, momentum_buffer_list, has_sparse_grad=False, foreach=None, fused=None, grad_scale=None,
        found_inf=None, *, weight_decay, momentum, lr, dampening, nesterov, maximize):
    r"""Functional API that performs SGD algorithm computation: updates ``params`` in place from their gradients
    ``d_p_list``, and each momentum buffer of ``momentum_buffer_list`` (a None entry replaced by a new buffer).

    See :class:`~torchless.optim.SGD` for details. On the CPU the foreach and for-loop forms compute alike but for
    float16 and bfloat16, whose foreach kernel rounds its in-place scalar products' numbers to their dtype.
    """
    if foreach or not fused:  # (PyTorch's foreach kernel wins over fused)
        _check_no_grad_scaling(grad_scale, found_inf)
    fused = bool(fused) and not foreach
    lr = _step_lr(lr)
    # PyTorch's foreach kernel adds a Nesterov momentum into the caller's gradients (unless maximize or weight decay
    # made new ones)
    nesterov_into_grads = foreach and nesterov and momentum != 0 and not maximize and weight_decay == 0
    foreach_mul = _foreach_mul_dtypes([(None, p._data, None) for p in params], momentum_buffer_list) if foreach \
        else ()
    for i, param in enumerate(params):
        grad, p, buf = d_p_list[i], param._data, momentum_buffer_list[i]
        g = as_fused_kernel_pairs(grad._data, p) if fused else grad._data
        buf = None if buf is None else buf._data
        if buf is not None and fused:
            buf = as_fused_kernel_pairs(buf, p)
        new_buf = _sgd_update(p, g, buf, lr=lr, momentum=momentum, dampening=dampening,
                              weight_decay=float(weight_decay) if fused else weight_decay, nesterov=nesterov,
                              maximize=maximize, fused=fused, foreach_mul=p.dtype in foreach_mul)
        if momentum != 0 and buf is None:
            momentum_buffer_list[i] = Tensor._wrap(_new_momentum_buffer(new_buf.reshape(p.shape), grad._data, p,
                                                                        fused, weight_decay, maximize))
        if nesterov_into_grads:
            add_scaled_(np.atleast_1d(grad._data), new_buf, momentum)
            grad._version += 1
        param._version += 1


def _foreach_mul_dtypes(params, buffers):
    """The dtypes whose parameters (``(param, array, grad)`` entries) PyTorch's foreach kernel steps with one
    ``_foreach_mul_`` of their momentum buffers: those where each has a buffer; where one has none yet, it updates
    them one by one (``buf.mul_(momentum)``), as the for-loop does."""
    dtypes = {p.dtype for _, p, _ in params}
    dtypes.difference_update(p.dtype for (_, p, _), buf in zip(params, buffers) if buf is None)
    return dtypes


def _step_lr(lr):
    """``lr`` as the step's ``add_`` takes it (alpha=-lr): an int stays one, an integral alpha that an integer
    parameter accepts (a float one is refused); anything else as a float."""
    return lr if type(lr) is int else float(_scalar_lr(lr, "add_", "alpha"))


def _requires_grad(value):
    return isinstance(value, Tensor) and value.requires_grad


_FOREACH_ADD_OVERLOADS = ("tuple of Tensors self, Number scalar", "tuple of Tensors self, tuple of Scalars scalars",
                          "tuple of Tensors self, Tensor other, *, Number alpha = 1",
                          "tuple of Tensors self, tuple of Tensors other, *, Number alpha = 1")


def _foreach_alpha_error(group, params, lr):
    """The TypeError of PyTorch's ``_foreach_add_(params, directions, alpha=-lr)`` for a tensor lr requiring grad;
    it names the directions' container: the tuple of foreach gradients that maximize or weight decay made, unless
    they are the list of momentum buffers."""
    made_by_foreach = group["maximize"] or group["weight_decay"] != 0
    buffers = group["momentum"] != 0 and not group["nesterov"]
    directions = tuple(params) if made_by_foreach and not buffers else list(params)
    return invalid_combination("_foreach_add_", _FOREACH_ADD_OVERLOADS, (list(params), directions), {"alpha": -lr})


def _new_momentum_buffer(values, grad, p, fused, weight_decay, maximize):
    """A parameter's first momentum buffer holding ``values``, laid out as PyTorch's (see _momentum_buffer_like),
    which the fused kernel fills in the memory order of ``p``."""
    buf = _momentum_buffer_like(grad, p, fused, weight_decay, maximize)
    target = as_fused_kernel_pairs(buf, p) if fused else buf
    if not np.shares_memory(target, buf):
        # (a layout the kernel's pairing cannot follow: the values in place)
        target = buf
    target[...] = values
    return buf


def _momentum_buffer_like(grad, p, fused, weight_decay, maximize):
    """An uninitialised first momentum buffer laid out as PyTorch's: ``empty_like`` of the gradient (fused), else
    ``clone`` of the step's gradient: the gradient itself, or the tensor of TensorIterator's ``-grad`` and
    ``grad.add(param, alpha=weight_decay)``. Their strides differ at size-1 dims (a channels-last weight gradient of
    shape (6, 4, 1, 1): (4, 1, 4, 4) kept, (4, 1, 1, 1) computed), which NumPy's empty_like would set its own way."""
    if fused or not (maximize or weight_decay != 0):
        return _memory_format.empty_like(grad, grad.dtype, _memory_format.preserve_format, np.empty)
    step_grad = _memory_format.empty_for_iterator(grad.shape, grad.dtype, [grad]) if maximize else grad
    if weight_decay != 0:
        step_grad = _memory_format.empty_for_iterator(grad.shape, grad.dtype, [step_grad, p])
    return step_grad


def _fused_groups_until_missing_buffer(params, buffers):
    """For a fused step where some parameters have momentum buffers and some not: the ``params`` and ``buffers``
    that PyTorch's fused SGD updates before it fails, in its order, and the TypeError it then raises.

    PyTorch makes buffers only when none exists, then updates its groups of one dtype (the last dtype to appear
    first); its kernel refuses the first group holding a parameter without a buffer, naming the parameter's position
    in the group.
    """
    groups = {}
    for entry in zip(params, buffers):
        groups.setdefault(entry[0][1].dtype, []).append(entry)
    updated = []
    for group in reversed(groups.values()):
        missing = next((index for index, (_, buf) in enumerate(group) if buf is None), None)
        if missing is not None:
            error = TypeError(f"expected Tensor as element {missing} in argument 2, but got NoneType")
            return [entry[0] for entry in updated], [entry[1] for entry in updated], error
        updated.extend(group)
    raise AssertionError("no parameter without a momentum buffer")


def _sgd_update(p, g, buf, *, lr, momentum, dampening, weight_decay, nesterov, maximize, fused=False,
                foreach_mul=False):
    """Update the array ``p`` in place; returns the momentum buffer (a new one when ``buf`` is None).

    The operations and their order are PyTorch's, each rounded as PyTorch's (see :func:`opmath`), so results agree
    with PyTorch to the last bit or two; ``fused`` as its fused kernel's scalar loop for the elements it takes;
    ``foreach_mul``: the buffer decays by the foreach kernel's ``_foreach_mul_`` (see :func:`_foreach_mul_dtypes`).
    """
    # 0-d arrays would turn ufunc results into NumPy scalars; their 1-d views keep every result an array
    p, g = np.atleast_1d(p, g)
    d_p = np.negative(g) if maximize else g
    if weight_decay != 0:
        d_p = added(d_p, p, weight_decay)
    if momentum != 0:
        if buf is None:
            buf = d_p.copy()
        else:
            buf = np.atleast_1d(buf)
            scalar_loop = scalar_loop_positions(p) if fused else None
            before = None if scalar_loop is None else buf[scalar_loop]
            if buf.dtype.kind not in "fcV":  # (an integer parameter's buffer: buf.mul_(momentum) refuses a float)
                refuse_integral_result(buf, momentum)
            scaled_(buf, momentum, foreach_mul)
            add_scaled_(buf, d_p, 1 - dampening)
            if before is not None:
                buf[scalar_loop] = _scalar_loop_momentum(before, d_p[scalar_loop], momentum, dampening)
        d_p = added(d_p, buf, momentum) if nesterov else buf
    # without touching the grad or the momentum buffer
    add_scaled_(p, d_p, -lr)
    return buf


def _scalar_loop_momentum(buf, d_p, momentum, dampening):
    """``buf * momentum + d_p * (1 - dampening)`` as the scalar loop of PyTorch's fused kernel computes it: the
    second product rounded, the first fused into the sum (the vector code rounds the first and fuses the second)."""
    return added(scaled(d_p, 1 - dampening), buf, momentum)
