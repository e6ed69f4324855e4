"""Adam: adaptive moment estimation, with optional AMSGrad, L2 or decoupled weight decay."""
import numpy as np

from .._kernels import parallel
from .._kernels.fma import fused_multiply_add
from .._ops.arithmetic import pow_by_number
from .._ops.complex_ops import view_as_real
from .._tensor import Tensor
from ..autograd import grad_mode
from .optimizer import (
    _CAPTURABLE_DEVICES, _CAPTURABLE_DEVICES_NO_XLA, _UNIMPROVED, Optimizer, _advance, _check_no_grad_scaling,
    _check_state_steps, _functional_update, _get_value, _hyper_value, _new_step, _reads_defaults_first,
    _refuse_capturable, _refuse_foreach_differentiable, _scalar_dtype, _scalar_lr, _to_scalar, _weight_decay,
    _zeros_like,
)
from ._fused_layout import as_fused_kernel_pairs, scalar_loop_positions
from ._hyperparameters import check_fused, check_lr, check_nonnegative, unsupported_flags
from ._update_math import (addcmul, added, added_scalar, in_float32, lerp_, opmath, real_views, refuse_integral_lerp,
                           refuse_integral_result, scaled_, silent_float16_division)

__all__ = ["Adam", "adam"]


class Adam(Optimizer):
    r"""Adam, PyTorch's formulation.

    For each parameter :math:`\theta` with gradient :math:`g` (negated when ``maximize``), at step :math:`t`:

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g, \quad v \leftarrow \beta_2 v + (1-\beta_2) g^2, \quad
        \theta \leftarrow \theta - \frac{\gamma}{1-\beta_1^t}
        \frac{m}{\sqrt{v}/\sqrt{1-\beta_2^t} + \epsilon}

    Weight decay adds :math:`\lambda\theta` to :math:`g` (or, with ``decoupled_weight_decay``, multiplies
    :math:`\theta` by :math:`1-\gamma\lambda` first, as AdamW). AMSGrad uses the running maximum of
    :math:`v`.

    Args:
        params (iterable): parameters to optimize, or dicts defining parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-3).
        betas (Tuple[float, float]): coefficients of the running averages of the gradient and its square
            (default: (0.9, 0.999)).
        eps (float): term added to the denominator for numerical stability (default: 1e-8).
        weight_decay (float): weight decay :math:`\lambda` (default: 0).
        amsgrad (bool): use the AMSGrad variant (default: False).
        maximize (bool): maximize the objective instead of minimizing it (default: False).
        decoupled_weight_decay (bool): decay the weights directly, as AdamW (default: False).

    State per parameter: ``step`` (a 0-d float tensor), ``exp_avg``, ``exp_avg_sq`` and, with AMSGrad,
    ``max_exp_avg_sq``.
    """

    # PyTorch's foreach kernel checks capturable before differentiable (see Optimizer._check_step_flags)
    _foreach_differentiable_first = False
    _capturable_devices = (_CAPTURABLE_DEVICES, _CAPTURABLE_DEVICES_NO_XLA)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if isinstance(lr, Tensor) and foreach and not capturable:  # (Adam's own check, before the common one)
            raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        check_lr(lr)
        check_nonnegative(epsilon=eps, betas=betas, weight_decay=weight_decay)
        if not (all(isinstance(beta, float) for beta in betas[:2])
                or all(isinstance(beta, Tensor) for beta in betas[:2])):
            raise ValueError("betas must be either both floats or both Tensors")
        for index, beta in enumerate(betas[:2]):
            if isinstance(beta, Tensor):
                if foreach and not capturable:
                    raise ValueError(f"betas[{index}] as a Tensor is not supported for capturable=False and "
                                     "foreach=True")
                if beta.numel() != 1:
                    raise ValueError(f"Tensor betas[{index}] must be 1-element")
        defaults = {"lr": lr, "betas": tuple(map(_to_scalar, betas)), "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach}
        unsupported_flags(defaults, capturable=capturable, differentiable=differentiable, fused=fused)
        defaults["decoupled_weight_decay"] = decoupled_weight_decay
        super().__init__(params, defaults)
        check_fused(self)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            fused = group.setdefault("fused", None)
            for p in group["params"]:
                p_state = self.state.get(p, {})
                if len(p_state) != 0 and not isinstance(p_state["step"], Tensor):  # (PyTorch's test)
                    # old checkpoints kept ``step`` as a Python number
                    p_state["step"] = Tensor._wrap(np.array(float(p_state["step"]),
                                                            np.float32 if fused else _scalar_dtype()))

    @_reads_defaults_first
    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            # first, as PyTorch's step unpacks them: a third beta fails even without grads
            beta1, beta2 = group["betas"]
            amsgrad = group["amsgrad"]
            fresh = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
            if self._records_updates(group):
                self._recorded_step(group, fresh)
                continue
            if not amsgrad and self._step_together(group):
                continue
            # The group's hyper-parameters as the first update reads them, kept for the others when no tensor's
            # value (which an update could change: a tensor lr among the parameters) enters them
            read_each_time = True
            deferred = []  # updates run after the loop, all at once (see _run_at_once)
            for p, g, state, step in self._steps(group, lambda p, g: _zeros_like(p, *fresh)):
                arrays = (p, g, state["exp_avg"]._data, state["exp_avg_sq"]._data,
                          state["max_exp_avg_sq"]._data if amsgrad else None)
                if read_each_time:
                    fused = group["fused"]
                    lr = group["lr"]
                    hyper = dict(lr=_hyper_value(_scalar_lr(lr, "addcdiv_", "value"), fused),
                                 betas=(_hyper_value(beta1, fused), _hyper_value(beta2, fused)), eps=group["eps"],
                                 weight_decay=_weight_decay(group), maximize=group["maximize"],
                                 decoupled=group["decoupled_weight_decay"],
                                 foreach=bool(group["foreach"]) and not fused)
                    read_each_time = isinstance(lr, Tensor) or isinstance(beta1, Tensor) or isinstance(beta2, Tensor)
                if read_each_time:  # (a tensor's value, which an update may change, enters the next one)
                    _adam_step(arrays, fused, step=step, **hyper)
                else:
                    deferred.append((arrays, fused, step))
            if deferred:
                _run_at_once(deferred, hyper)
        return loss

    def _step_together(self, group):
        """The update of a group of small parameters (ADAM_TOGETHER elements in all) as one update of their
        concatenation, where that gives the bits their own updates would: the update is element-wise and its
        scalars are the group's, so it asks one step count of all, real floating dtypes of one kind, and arrays
        each owning its memory (no update then reads what another wrote). Whether it applied (False: nothing was
        changed, the group is for the loop over its parameters, which raises whatever is to be raised).

        The loop's per-parameter bookkeeping and dozen NumPy calls, not its arithmetic, are most of a small
        model's step: the course CNN's six parameters took ~920 k instructions an optimizer step, ~150 k each."""
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if (group["fused"] or group.get("capturable") or group.get("differentiable") or self._misfit_states
                or type(lr) is not float or type(beta1) is not float
                or type(beta2) is not float or type(eps) not in (float, int) or type(weight_decay) not in (float, int)):
            return False
        states, params, grads, fresh = [], [], [], 0
        dtype, total, step = None, 0, None
        for param in group["params"]:
            grad = param.grad
            if grad is None:
                continue
            p, g = param._data, grad._data
            if dtype is None:
                dtype = p.dtype
            if not (type(g) is np.ndarray and p.dtype == dtype and g.dtype == dtype and g.shape == p.shape
                    and p.base is None and p.flags.c_contiguous and g.flags.c_contiguous):
                return False
            state = self.state.get(param)
            if state:
                count = state.get("step")
                exp_avg, exp_avg_sq = state.get("exp_avg"), state.get("exp_avg_sq")
                if not (isinstance(count, Tensor) and isinstance(exp_avg, Tensor) and isinstance(exp_avg_sq, Tensor)):
                    return False
                count, exp_avg, exp_avg_sq = count._data, exp_avg._data, exp_avg_sq._data
                if not (exp_avg.base is None and exp_avg_sq.base is None and type(exp_avg) is np.ndarray
                        and type(exp_avg_sq) is np.ndarray and exp_avg.dtype == dtype and exp_avg_sq.dtype == dtype
                        and exp_avg.shape == p.shape and exp_avg_sq.shape == p.shape and exp_avg.flags.c_contiguous
                        and exp_avg_sq.flags.c_contiguous and count.shape == ()):
                    return False
                if step is None:
                    step = count.item()
                elif count.item() != step:
                    return False
            else:
                fresh += 1
            total += p.size
            states.append(state)
            params.append(param)
            grads.append(g)
        if (not params or total > ADAM_TOGETHER or dtype not in _TOGETHER_DTYPES
                or (fresh and fresh != len(params))):
            return False
        arrays = [param._data for param in params]
        if fresh:
            if len({id(param) for param in params}) != len(params):  # (a parameter listed twice)
                return False
        else:
            owned = {id(array) for array in arrays}
            for state in states:
                owned.update((id(state["exp_avg"]._data), id(state["exp_avg_sq"]._data)))
            if len(owned) != 3 * len(params):  # (a state shared, or holding a parameter's array)
                return False
        # Decided: the loop's effects from here, in its order of state entries
        for i, param in enumerate(params):
            if fresh:
                state = states[i] = self.state[param]
                state["step"] = _new_step(group.get("fused"))
                state.update(_zeros_like(arrays[i], "exp_avg", "exp_avg_sq"))
            count = states[i]["step"]._data
            count += 1
        step = float(states[0]["step"]._data)
        flat = [np.concatenate(group_arrays, axis=None)
                for group_arrays in (arrays, grads, [state["exp_avg"]._data for state in states],
                                     [state["exp_avg_sq"]._data for state in states])]
        _adam_update(*flat, None, step=step, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay,
                     maximize=group["maximize"], decoupled=group["decoupled_weight_decay"])
        start = 0
        for i, param in enumerate(params):
            p = arrays[i]
            stop = start + p.size
            for array, updated in ((p, flat[0]), (states[i]["exp_avg"]._data, flat[2]),
                                   (states[i]["exp_avg_sq"]._data, flat[3])):
                array.reshape(-1)[...] = updated[start:stop]
            start = stop
            param._version += 1
        return True

    _records_differentiable_updates = True

    def _recorded_step(self, group, fresh):
        """PyTorch's for-loop with autograd recording (``differentiable=True``): the moments and the parameter are
        updated by tensor operations of the graph. The group's own flag picks the loop's branch (see
        :func:`_differentiable_tail` and :func:`_plain_tail`); the optimizer's default records either way."""
        beta1, beta2 = group["betas"]
        with self._recording():
            for param, state in self._recorded_states(group, lambda p, g: _zeros_like(p, *fresh)):
                _recorded_update(param, param.grad, state["exp_avg"], state["exp_avg_sq"],
                                 state.get("max_exp_avg_sq"), state["step"], lr=group["lr"], beta1=beta1, beta2=beta2,
                                 weight_decay=group["weight_decay"], eps=group["eps"], maximize=group["maximize"],
                                 decoupled=group["decoupled_weight_decay"], differentiable=group["differentiable"])


def _recorded_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, *, lr, beta1, beta2, weight_decay, eps,
                     maximize, decoupled, differentiable):
    """One parameter's update in PyTorch's for-loop with autograd recording (run under enable_grad): the moments and
    the parameter updated by tensor operations of the graph."""
    lr, beta1, beta2 = (_to_scalar(value) for value in (lr, beta1, beta2))
    grad = -grad if maximize else grad
    step += 1
    if weight_decay != 0:
        if decoupled:
            param.mul_(1 - lr * weight_decay)
        elif differentiable and _requires_grad(weight_decay):
            grad = grad.addcmul_(param.clone(), weight_decay)
        else:
            grad = grad.add(param, alpha=weight_decay)
    target = param
    if param.is_complex():
        grad, exp_avg, exp_avg_sq, target = (view_as_real(t) for t in (grad, exp_avg, exp_avg_sq, param))
        max_exp_avg_sq = max_exp_avg_sq if max_exp_avg_sq is None else view_as_real(max_exp_avg_sq)
    exp_avg.lerp_(grad, 1 - beta1)
    if differentiable and _requires_grad(beta2):
        exp_avg_sq.lerp_(grad.square(), weight=1 - beta2)
    else:
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    tail = _differentiable_tail if differentiable else _plain_tail
    tail(target, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr=lr, beta1=beta1, beta2=beta2, eps=eps)


@_functional_update
def adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps, foreach=None, capturable=False,
         differentiable=False, fused=None, grad_scale=None, found_inf=None, has_complex=False,
         decoupled_weight_decay=False, *, amsgrad, beta1, beta2, lr, weight_decay, eps, maximize):
    r"""Functional API that performs Adam algorithm computation: updates ``params``, their moments ``exp_avgs``,
    ``exp_avg_sqs`` (and ``max_exp_avg_sqs`` with ``amsgrad``) and the ``state_steps`` tensors in place.

    See :class:`~torchless.optim.Adam` for details. On the CPU the foreach and for-loop forms compute alike but for
    float16 and bfloat16, whose foreach kernel rounds its in-place scalar products' numbers to their dtype.
    """
    _check_state_steps(state_steps)
    # the checks of PyTorch's kernel (fused first, then foreach, else its for-loop), in their order
    if fused or foreach:
        if not params:
            return
        if fused:
            _check_fused_lists(differentiable, amsgrad, max_exp_avg_sqs, len(params))
        else:
            for name, value in (("lr", lr), ("beta1", beta1), ("beta2", beta2)):
                if isinstance(value, Tensor):
                    if not capturable:
                        error = RuntimeError if name == "lr" else ValueError
                        raise error(f"{name} as a Tensor is not supported for capturable=False and foreach=True")
                    if value.numel() != 1:
                        raise ValueError(f"Tensor {name} must be 1-element")
            _refuse_capturable(capturable, params, _CAPTURABLE_DEVICES_NO_XLA)
            _check_no_grad_scaling(grad_scale, found_inf)
            _refuse_foreach_differentiable(differentiable)
    else:
        _check_no_grad_scaling(grad_scale, found_inf)
        _refuse_capturable(capturable, params, _CAPTURABLE_DEVICES)
    if differentiable and not (fused or foreach):
        with grad_mode.enable_grad():
            for i, param in enumerate(params):
                _recorded_update(param, grads[i], exp_avgs[i], exp_avg_sqs[i],
                                 max_exp_avg_sqs[i] if amsgrad else None, state_steps[i], lr=lr, beta1=beta1,
                                 beta2=beta2, weight_decay=weight_decay, eps=eps, maximize=maximize,
                                 decoupled=decoupled_weight_decay, differentiable=True)
        return
    betas = (_hyper_value(beta1, fused), _hyper_value(beta2, fused))
    for i, param in enumerate(params):
        grad, p = grads[i], param._data
        arrays = (p, as_fused_kernel_pairs(grad._data, p) if fused else grad._data, exp_avgs[i]._data,
                  exp_avg_sqs[i]._data, max_exp_avg_sqs[i]._data if amsgrad else None)
        _adam_step(arrays, fused, step=_advance(state_steps[i]),
                   lr=_hyper_value(_scalar_lr(lr, "addcdiv_", "value"), fused), betas=betas, eps=eps,
                   weight_decay=float(weight_decay) if fused else weight_decay, maximize=maximize,
                   decoupled=decoupled_weight_decay, foreach=bool(foreach) and not fused)
        param._version += 1


def _check_fused_lists(differentiable, amsgrad, max_exp_avg_sqs, count):
    """The checks of PyTorch's fused Adam: no autograd, and ``max_exp_avg_sqs`` as long as the parameters with
    ``amsgrad``, else empty (its C++ checks' words)."""
    if differentiable:
        raise RuntimeError("Adam with fused=True does not support differentiable=True")
    if amsgrad and len(max_exp_avg_sqs) != count:
        raise RuntimeError(f"Expected max_exp_avg_sqs.size() == n_tensors to be true, but got false.{_UNIMPROVED}")
    if not amsgrad and max_exp_avg_sqs:
        raise RuntimeError(f"Expected max_exp_avg_sqs.empty() to be true, but got false.{_UNIMPROVED}")


def _adam_step(arrays, fused, **hyper):
    """:func:`_adam_update` of ``arrays`` (parameter, gradient, moments), as PyTorch's kernels compute it: a fused
    float16 update whole in float32, a large parameter's in slices on all cores, the elements of the fused kernel's
    scalar loop as that loop computes them."""
    if fused and not arrays[0].ndim:  # (a 0-d parameter: its element, in the scalar loop, at index 0 of a view)
        arrays = [None if array is None else array.reshape(1) for array in arrays]
    p, g = arrays[:2]
    scalar_loop = scalar_loop_positions(p) if fused else None
    if scalar_loop is not None:
        before = [None if array is None else array[scalar_loop] for array in arrays]
    if fused and p.dtype == np.float16:
        in_float32(_adam_update, arrays, written=(0, 2, 3, 4), fused_moments=True, **hyper)
    elif p.flags.c_contiguous and g.flags.c_contiguous:
        # (an MNIST CNN's 9216 x 128 layer: a dozen passes over 4.5 MiB arrays)
        parallel.elementwise(_adam_update_in_pieces, arrays, ADAM_FLOP_PER_ELEMENT, fused_moments=fused, **hyper)
    else:
        _adam_update(*arrays, fused_moments=fused, **hyper)
    if scalar_loop is not None:
        _adam_update(*before, scalar_loop=True, fused_moments=True, **hyper)
        for index in (0, 2, 3, 4):  # (the gradient stays as it was)
            if arrays[index] is not None:
                arrays[index][scalar_loop] = before[index]


def _run_at_once(updates, hyper):
    """The _adam_step of each of ``updates`` ((arrays, fused, step) of distinct parameters, or of one listed more
    than once, in order; ``hyper``: the group's other keywords): the small ones while the helper thread wakes for the
    first large one's split (~0.1-0.2 ms on an idle core: the classic MNIST CNN's seven small parameters' updates fill
    it), the other large ones after. Each parameter's updates stay in order, and each computes what it would alone."""
    large = [_splits(arrays, fused) for arrays, fused, _ in updates]
    if True not in large:
        for arrays, fused, step in updates:
            _adam_step(arrays, fused, step=step, **hyper)
        return
    first = large.index(True)

    def small_ones():
        for (arrays, fused, step), split in zip(updates, large):
            if not split:
                _adam_step(arrays, fused, step=step, **hyper)

    parallel.elementwise(_adam_update_in_pieces, updates[first][0], ADAM_FLOP_PER_ELEMENT, small_ones,
                         step=updates[first][2], **hyper)
    for (arrays, fused, step), split in zip(updates[first + 1:], large[first + 1:]):
        if split:
            _adam_step(arrays, fused, step=step, **hyper)


def _splits(arrays, fused):
    """Whether _adam_step splits the update of ``arrays`` over the threads."""
    p, g = arrays[:2]
    return (not (fused and p.dtype == np.float16) and p.flags.c_contiguous and g.flags.c_contiguous
            and parallel.splits(p.size, ADAM_FLOP_PER_ELEMENT))


def _differentiable_tail(target, exp_avg, exp_avg_sq, max_exp_avg_sq, step, *, lr, beta1, beta2, eps):
    """The update of ``target`` in PyTorch's differentiable branch: the bias corrections computed from the ``step``
    tensor as its capturable formulation does (so the last bits differ from the plain step's, as in PyTorch), the
    step size folded into the denominator."""
    bias_correction1 = 1 - beta1 ** (step.clone() if _requires_grad(beta1) else step)
    bias_correction2 = 1 - beta2 ** (step.clone() if _requires_grad(beta2) else step)
    step_size_neg = (lr / bias_correction1).neg()
    if max_exp_avg_sq is not None:
        max_exp_avg_sq.copy_(max_exp_avg_sq.clone().maximum(exp_avg_sq))
        exp_avg_sq = max_exp_avg_sq
    denom = (exp_avg_sq.sqrt() / (bias_correction2.sqrt() * step_size_neg)).add_(eps / step_size_neg)
    target.addcdiv_(exp_avg.clone(), denom)


def _plain_tail(target, exp_avg, exp_avg_sq, max_exp_avg_sq, step, *, lr, beta1, beta2, eps):
    """The update of ``target`` in PyTorch's plain branch, run under autograd for a group without differentiable
    of an optimizer recording by default: Python-number bias corrections, the running maximum written with
    ``out=`` (which autograd refuses), eps added in place to the root the graph saved, the step size given to
    addcdiv_ as its value (a tensor lr requiring grad refused)."""
    from .. import maximum  # (PyTorch's out= variant lives with the package's functions)

    step = _get_value(step)
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    if max_exp_avg_sq is not None:
        maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        exp_avg_sq = max_exp_avg_sq
    denom = (exp_avg_sq.sqrt() / bias_correction2 ** 0.5).add_(eps)
    target.addcdiv_(exp_avg, denom, value=-(lr / bias_correction1))


def _requires_grad(value):
    return isinstance(value, Tensor) and value.requires_grad


ADAM_FLOP_PER_ELEMENT = 12 * parallel.ELEMENTWISE_PASS_FLOP  # about a dozen array passes per update
# Elements per piece of a large update: the dozen passes over a piece's five arrays (and its two temporaries) then
# run in the L2 cache rather than from memory. Thread CPU time of the classic MNIST CNN's 9216 x 128 weight's
# update (one thread, medians of 15, three rounds), ms: whole 4.2-4.8; pieces of 8192 elements 3.9-4.2, 16384
# 3.2-3.5, 32768 2.9-3.0, 65536 3.0-3.2, 131072 3.6-4.0. Element-wise: the same bits whatever the pieces.
ADAM_PIECE = 2 ** 15
# At most this many elements in all, a group's parameters are updated as one array (see Adam._step_together); the
# dtypes that update computes alike whatever the elements' positions.
ADAM_TOGETHER = ADAM_PIECE
_TOGETHER_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _adam_update_in_pieces(*arrays, **hyper):
    """:func:`_adam_update` of ``arrays`` (C-contiguous, of one size; the last may be None), ADAM_PIECE elements
    at a time."""
    size = arrays[0].size
    if size <= 2 * ADAM_PIECE or not all(array is None or array.flags.c_contiguous for array in arrays):
        _adam_update(*arrays, **hyper)
        return
    flat = [None if array is None else array.reshape(-1) for array in arrays]
    for start in range(0, size, ADAM_PIECE):
        _adam_update(*(None if array is None else array[start:start + ADAM_PIECE] for array in flat), **hyper)


def _adam_update(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, *, step, lr, betas, eps, weight_decay, maximize,
                 decoupled, foreach=False, scalar_loop=False, fused_moments=False):
    """Update ``p`` and the moment arrays in place for step number ``step`` (counted from 1); ``fused_moments``: as
    PyTorch's fused kernel, each moment's multiply-add rounded once; ``scalar_loop``: as that kernel's scalar loop,
    whose compiler fuses exp_avg_sq's decay into its multiply-add too.

    The operations and their order are PyTorch's; array-wide arithmetic stays in the parameter's dtype
    (scalars are rounded to it), while the bias corrections are computed in Python floats as PyTorch does, or in the
    dtype of betas given as tensors (NumPy scalars here), as PyTorch's 0-d tensor arithmetic.
    """
    beta1, beta2 = betas
    if not p.ndim or p.dtype.kind == "c":
        # 0-d arrays would turn ufunc results into NumPy scalars (their 1-d views keep everything an array); complex
        # ones are updated as their real and imaginary parts
        p, g, exp_avg, exp_avg_sq, max_exp_avg_sq = real_views(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq)
    scalar = opmath(p.dtype).type  # (of the real view for a complex parameter)
    if p.dtype.kind not in "fcV":  # (an integer parameter: PyTorch's first op that refuses it)
        if weight_decay != 0 and decoupled:
            refuse_integral_result(p, 1 - lr * weight_decay)
        refuse_integral_lerp(exp_avg)
    if maximize:
        g = np.negative(g)
    if weight_decay != 0:
        if decoupled:
            scaled_(p, 1 - lr * weight_decay, foreach)
        else:
            g = added(g, p, weight_decay)

    # exp_avg.lerp_(g, 1 - beta1), with PyTorch's two formulas for small and large weights; a tensor beta1 is first
    # cast to the parameter's dtype, and so is then 1 - beta1. PyTorch's lerp_ and addcmul_ end in one fused
    # multiply-add. The for-loop's update rounds twice (a moment may differ in its last bit): emulated exactly
    # (_update_math's lerp_ and addcmul), they took the course CNN's optimizer step from 66 to 100-180 us and the
    # classic MNIST CNN's from 5.5 to 13-14 ms of CPU time (float32, measured), against the training-step targets of
    # benchmarks/run.py. The fused kernel, which a user asks for by name, is emulated exactly (``fused_moments``).
    in_dtype = p.dtype.type
    weight = in_dtype(1 - in_dtype(beta1)) if isinstance(beta1, np.generic) else 1 - beta1
    if fused_moments:
        lerp_(exp_avg, g, weight)
        work = np.empty(exp_avg.shape, scalar)  # (addcdiv_'s quotient below is written into it)
    else:
        weight = scalar(weight)
        work = np.subtract(g, exp_avg, dtype=scalar)  # (in the opmath dtype, reused by the steps below)
        if abs(weight) < 0.5:
            work *= weight
            np.add(exp_avg, work, out=exp_avg, casting="same_kind")
        else:
            work *= weight - scalar(1)
            np.add(g, work, out=exp_avg, casting="same_kind")

    # exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    if scalar_loop:  # exp_avg_sq * beta2 + (1 - beta2) * g * g, the first product fused into the sum
        exp_avg_sq[...] = fused_multiply_add(exp_avg_sq, scalar(beta2), np.multiply(g, scalar(1 - beta2)) * g)
    elif fused_moments:
        scaled_(exp_avg_sq, beta2, foreach)
        addcmul(exp_avg_sq, g, g, 1 - beta2, out=exp_avg_sq)
    else:
        np.multiply(g, scalar(1 - beta2), out=work)
        work *= g
        scaled_(exp_avg_sq, beta2, foreach)
        np.add(exp_avg_sq, work, out=exp_avg_sq, casting="same_kind")

    # (float32 betas, from tensors, are raised as PyTorch's pow kernel raises them: NumPy's float32 pow may be off)
    bias_correction1 = 1 - pow_by_number(beta1, step)
    bias_correction2 = 1 - pow_by_number(beta2, step)
    # PyTorch evaluates ``number / tensor`` (a Python lr over the bias correction of tensor betas) as
    # ``tensor.reciprocal() * number``
    if isinstance(bias_correction1, np.generic) and not isinstance(lr, np.generic):
        step_size = np.reciprocal(bias_correction1) * lr
    else:
        step_size = lr / bias_correction1
    if max_exp_avg_sq is not None:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second_moment = max_exp_avg_sq
    else:
        second_moment = exp_avg_sq
    denom = np.sqrt(second_moment)
    # (a tensor's ** 0.5 is its sqrt kernel; a float's, Python's pow)
    denom /= scalar(np.sqrt(bias_correction2) if isinstance(bias_correction2, np.generic) else bias_correction2 ** 0.5)
    denom += added_scalar(p.dtype, eps)  # (even float16)

    # p.addcdiv_(exp_avg, denom, value=-step_size)
    np.multiply(exp_avg, scalar(-step_size), out=work)
    with silent_float16_division(p.dtype):
        work /= denom
    np.add(p, work, out=p, casting="same_kind")
