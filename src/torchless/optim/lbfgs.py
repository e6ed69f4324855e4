"""L-BFGS: limited-memory BFGS with an optional strong-Wolfe line search, as ``torch.optim.LBFGS``.

The algorithm runs on one flat vector of all the parameters. PyTorch keeps its scalars (``y . s``, ``ro``,
``H_diag``, the step ``t`` once derived from them...) as 0-d float32 tensors and the losses as Python floats;
here the former are NumPy scalars of the parameters' dtype, whose arithmetic with Python numbers rounds as
PyTorch's does (NEP 50), so the trajectory follows PyTorch's to float32 precision.
"""
import numpy as np

from .._kernels.reduce_order import cascade_sum
from .._tensor import Tensor
from ..autograd import grad_mode
from .optimizer import Optimizer
from ._update_math import add_scaled_, real_view

__all__ = ["LBFGS"]


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to ``bounds``
    (by default the interval between x1 and x2); their middle when the cubic has no minimizer."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    # the cubic's minimizer from both values and both slopes (Nocedal & Wright, Numerical Optimization, 3.59)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step ``t`` along ``d`` satisfying the strong Wolfe conditions (bracketing, then zooming by cubic
    interpolation), as minFunc's ``WolfeLineSearch``; returns (loss, flat grad, t, function evaluations)."""
    d_norm = np.abs(d).max()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    # first widen the step until an interval between two trial steps must hold an acceptable one
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        sufficient_decrease = not (f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev))
        if sufficient_decrease and abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if not sufficient_decrease or gtd_new >= 0:
            # the interval from the previous step to t holds a point satisfying the criteria
            bracket, bracket_f, bracket_g = [t_prev, t], [f_prev, f_new], [g_prev, g_new]
            bracket_gtd = [gtd_prev, gtd_new]
            break
        # interpolate, within [t + 0.01 (t - t_prev), 10 t]
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # then shrink that interval until it is too small to matter or a trial step is acceptable
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        # A point too close to a boundary of the interval makes little progress: if that already happened, or
        # t lies on or outside the interval, move it 10% of the interval's length inside
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # sufficient decrease fails, or the loss is no lower than at the low end: t becomes the high end
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # the old low end becomes the high end
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new, gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


def _unwrap(value):
    """A state value as the algorithm uses it: a 0-d tensor as a NumPy scalar, a tensor as its array."""
    if isinstance(value, Tensor):
        return value._data[()] if value._data.ndim == 0 else value._data
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _wrap(value):
    """A value of the algorithm as PyTorch keeps it in the state: arrays and NumPy scalars as tensors."""
    if isinstance(value, (np.ndarray, np.generic)):
        return Tensor._wrap(np.asarray(value))
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class LBFGS(Optimizer):
    """The L-BFGS quasi-Newton method, following the design of
    `minFunc <https://www.cs.ubc.ca/~schmidtm/Software/minFunc.html>`_.

    .. warning::
        There is a single parameter group: per-parameter options are not supported.

    .. note::
        The curvature history costs about ``param_bytes * (history_size + 1)`` bytes of memory; lower
        ``history_size`` (or pick another optimizer) when that is too much.

    Args:
        params (iterable): the parameters to optimize (real-valued).
        lr (float, optional): learning rate (default: 1)
        max_iter (int, optional): most iterations in one call of :meth:`step` (default: 20)
        max_eval (int, optional): most closure evaluations in one call of :meth:`step`
            (default: max_iter * 1.25).
        tolerance_grad (float, optional): stop once the largest absolute gradient entry is at most this
            (default: 1e-7).
        tolerance_change (float, optional): stop once the step or the change of loss is at most this
            (default: 1e-9).
        history_size (int, optional): how many past curvature pairs are kept (default: 100).
        line_search_fn (str, optional): ``'strong_wolfe'`` for a strong-Wolfe line search, or None for fixed
            steps of ``lr`` (default: None).

    Example:
        >>> optimizer = torchless.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")
        >>> def closure():
        ...     optimizer.zero_grad()
        ...     loss = loss_fn(model(input), target)
        ...     loss.backward()
        ...     return loss
        >>> optimizer.step(closure)
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval, "tolerance_grad": tolerance_grad,
                    "tolerance_change": tolerance_change, "history_size": history_size,
                    "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _gather_flat_grad(self):
        """All the gradients as one new flat array (zeros for parameters without one); a complex gradient gives its
        real and imaginary parts, as PyTorch's ``view_as_real``. Each is read through ``grad.view(-1)``, as PyTorch
        reads it, which refuses a gradient it cannot view flat (a channels-last convolution weight's)."""
        return np.concatenate([np.zeros(p._data.size, p._data.dtype) if p.grad is None else
                               real_view(p.grad.view(-1)._data).reshape(-1) for p in self._params])

    def _add_grad(self, step_size, update):
        """Move the parameters by ``step_size * update`` (a flat array), in place."""
        offset = 0
        for p in self._params:
            data = real_view(p._data)
            add_scaled_(data, update[offset:offset + data.size].reshape(data.shape), step_size)
            offset += data.size
            p._version += 1

    def _set_param(self, params_data):
        for p, data in zip(self._params, params_data, strict=True):
            np.copyto(p._data, data)
            p._version += 1

    def _evaluate_loss(self, closure):
        """The closure's loss, run with gradients recorded (``step`` itself runs without)."""
        with grad_mode.enable_grad():
            return closure()

    def _directional_evaluate(self, closure, x, t, d):
        """The loss and flat gradient at ``x + t d``; the parameters are then set back to ``x``."""
        self._add_grad(t, d)
        loss = float(self._evaluate_loss(closure))
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations and return the loss of the closure's first evaluation.

        Args:
            closure (Callable): clears the gradients, computes the loss, calls ``backward()`` on it and returns
                it; it is called several times.
        """
        with grad_mode.no_grad():
            return self._step(closure)

    def _step(self, closure):
        # (add_param_group is Optimizer's and takes a second group; the step refuses it as PyTorch's does)
        if len(self.param_groups) != 1:
            raise AssertionError(f"Expected exactly one param_group, but got {len(self.param_groups)}")
        group = self.param_groups[0]
        lr = _unwrap(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn = group["line_search_fn"]

        # the state of the whole algorithm is kept as the first parameter's
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._evaluate_loss(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        d, t = _unwrap(state.get("d")), _unwrap(state.get("t"))
        old_dirs, old_stps = _unwrap(state.get("old_dirs")), _unwrap(state.get("old_stps"))
        ro = _unwrap(state.get("ro"))
        H_diag = _unwrap(state.get("H_diag"))
        prev_flat_grad, prev_loss = _unwrap(state.get("prev_flat_grad")), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            if state["n_iter"] == 1:
                d = np.negative(flat_grad)
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                d, H_diag = self._direction(state, flat_grad, prev_flat_grad, d * t, old_dirs, old_stps, ro, H_diag)

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                np.copyto(prev_flat_grad, flat_grad)
            prev_loss = loss

            # the first step is scaled down by the gradient's L1 norm, as minFunc does
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / cascade_sum(np.abs(flat_grad))) * lr
            else:
                t = lr

            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = [p._data.copy() for p in self._params]

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(obj_func, x_init, t, d, loss, flat_grad, gtd,
                                                                  max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:
                    # the last iteration's loss is not needed: the next step evaluates it
                    loss = float(self._evaluate_loss(closure))
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:  # lack of progress
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state["d"] = _wrap(d)
        state["t"] = _wrap(t)
        state["old_dirs"] = _wrap(old_dirs)
        state["old_stps"] = _wrap(old_stps)
        state["ro"] = _wrap(ro)
        state["H_diag"] = _wrap(H_diag)
        state["prev_flat_grad"] = _wrap(prev_flat_grad)
        state["prev_loss"] = prev_loss
        return orig_loss

    def _direction(self, state, flat_grad, prev_flat_grad, s, old_dirs, old_stps, ro, H_diag):
        """The L-BFGS direction and the new ``H_diag``: the curvature pair (y, s) of the last step joins the
        history (``old_dirs``, ``old_stps`` and ``ro``, updated in place) when y . s is positive enough, then the
        two-loop recursion applies the inverse Hessian estimate to ``-flat_grad``."""
        y = flat_grad - prev_flat_grad
        ys = y.dot(s)
        if ys > 1e-10:
            if len(old_dirs) == self.param_groups[0]["history_size"]:
                old_dirs.pop(0)
                old_stps.pop(0)
                ro.pop(0)
            old_dirs.append(y)
            old_stps.append(s)
            ro.append(1.0 / ys)
            H_diag = ys / y.dot(y)

        # PyTorch keeps the multipliers in the state, where state_dict() shows them
        if "al" not in state:
            state["al"] = [None] * self.param_groups[0]["history_size"]
        al = state["al"]
        q = np.negative(flat_grad)
        for i in range(len(old_dirs) - 1, -1, -1):
            al_i = old_stps[i].dot(q) * ro[i]
            al[i] = _wrap(al_i)
            add_scaled_(q, old_dirs[i], -al_i)
        r = q * H_diag
        for i in range(len(old_dirs)):
            be_i = old_dirs[i].dot(r) * ro[i]
            add_scaled_(r, old_stps[i], _unwrap(al[i]) - be_i)
        return r, H_diag
