"""Stochastic Weight Averaging and exponential moving averages of a model, as ``torch.optim.swa_utils``:
:class:`AveragedModel`, the averaging functions, :func:`update_bn` and the :class:`SWALR` scheduler."""
import itertools
import math
import warnings
from copy import deepcopy

import numpy as np

from .. import _creation, _dtype
from .._tensor import Tensor
from ..autograd import grad_mode
from ..nn.modules.batchnorm import _BatchNorm
from ..nn.modules.module import Module
from ._cyclic_lr import _format_param
from .lr_scheduler import LRScheduler

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def _is_float_or_complex(tensor):
    return tensor.is_floating_point() or tensor.is_complex()


def get_ema_multi_avg_fn(decay=0.999):
    """Return an in-place exponential-moving-average update for lists of tensors, for ``multi_avg_fn``.

    Each averaged tensor becomes ``decay * averaged + (1 - decay) * current``; floating-point tensors are
    updated by ``lerp_`` (as PyTorch's ``_foreach_lerp_``), integer ones by that formula.

    Args:
        decay (float, optional): weight of the running average, in [0, 1]. Default: 0.999.
    """
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        with grad_mode.no_grad():
            if _is_float_or_complex(ema_param_list[0]):
                for p_ema, p_model in zip(ema_param_list, current_param_list):
                    p_ema.lerp_(p_model, 1 - decay)
            else:
                for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                    p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """Return an in-place equal-weight (SWA) update for lists of tensors, for ``multi_avg_fn``.

    Each averaged tensor moves by ``(current - averaged) / (num_averaged + 1)``: the running mean of the
    tensors seen.
    """

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        with grad_mode.no_grad():
            if _is_float_or_complex(averaged_param_list[0]):
                # PyTorch passes the 0-d weight tensor as a Python scalar: its float32 value
                weight = float(1 / (num_averaged + 1))
                for p_averaged, p_model in zip(averaged_param_list, current_param_list):
                    p_averaged.lerp_(p_model, weight)
            else:
                diffs = [p_model - p_averaged for p_averaged, p_model in zip(averaged_param_list, current_param_list)]
                for p_averaged, diff in zip(averaged_param_list, diffs):
                    if isinstance(num_averaged, Tensor):
                        p_averaged.addcdiv_(diff, num_averaged + 1)
                    else:
                        p_averaged.add_(diff, alpha=1.0 / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """Return an exponential-moving-average function of one tensor, for ``avg_fn``: it returns
    ``decay * averaged + (1 - decay) * current``.
    """
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with grad_mode.no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """Return an equal-weight (SWA) average function of one tensor, for ``avg_fn``: it returns
    ``averaged + (current - averaged) / (num_averaged + 1)``.
    """

    def swa_update(averaged_param, current_param, num_averaged):
        with grad_mode.no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


def _by_dtype(averaged, current):
    """The pairs of lists (averaged tensors, current tensors) of each dtype, in order of first appearance (as
    PyTorch groups tensors for its multi-tensor kernels)."""
    groups = {}
    for p_averaged, p_model in zip(averaged, current):
        lists = groups.setdefault(p_averaged.dtype, ([], []))
        lists[0].append(p_averaged)
        lists[1].append(p_model)
    return groups.values()


class AveragedModel(Module):
    """A copy of a model whose weights are an average of the model's over training, for Stochastic Weight
    Averaging (SWA) or an Exponential Moving Average (EMA).

    SWA comes from `Averaging Weights Leads to Wider Optima and Better Generalization`_ (Izmailov,
    Podoprikhin, Garipov, Vetrov and Wilson, UAI 2018).

    The wrapper holds a deep copy of :attr:`model` as ``module``; each :meth:`update_parameters` call folds
    the given model's current parameters into that copy, and the buffer ``n_averaged`` counts the calls.

    Args:
        model (Module): the model whose weights are averaged.
        device (torchless.device, optional): where to put the copy. Default: ``None`` (where it is).
        avg_fn (function, optional): ``avg_fn(averaged, current, num_averaged)`` returns the new average of
            one tensor (see :func:`get_ema_avg_fn`). Default: ``None``, an equal-weight average.
        multi_avg_fn (function, optional): ``multi_avg_fn(averaged_list, current_list, num_averaged)`` updates
            lists of tensors in place (see :func:`get_ema_multi_avg_fn`). Default: ``None``, an equal-weight
            average. At most one of ``avg_fn`` and ``multi_avg_fn`` may be given.
        use_buffers (bool): average the buffers too, instead of copying them from ``model``.
            Default: ``False``.

    Example:
        >>> swa_model = torchless.optim.swa_utils.AveragedModel(model)
        >>> ema_model = torchless.optim.swa_utils.AveragedModel(
        ...     model, multi_avg_fn=torchless.optim.swa_utils.get_ema_multi_avg_fn(0.999))
        >>> for i in range(300):
        ...     for input, target in loader:
        ...         optimizer.zero_grad()
        ...         loss_fn(model(input), target).backward()
        ...         optimizer.step()
        ...     if i > 160:
        ...         swa_model.update_parameters(model)
        >>> torchless.optim.swa_utils.update_bn(loader, swa_model)

    .. _Averaging Weights Leads to Wider Optima and Better Generalization:
        https://arxiv.org/abs/1803.05407
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", _creation.tensor(0, dtype=_dtype.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """Forward pass: that of the averaged copy of the model."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Fold ``model``'s current parameters into the average: the first call copies them, later ones average
        them in.

        Without ``use_buffers``, the buffers (BatchNorm statistics...) are copied from ``model``.
        """
        if self.use_buffers:
            self_params = itertools.chain(self.module.parameters(), self.module.buffers())
            model_params = itertools.chain(model.parameters(), model.buffers())
        else:
            self_params, model_params = self.parameters(), model.parameters()
        averaged, current = [], []
        copy_param = bool(self.n_averaged == 0)
        for p_averaged, p_model in zip(self_params, model_params):
            p_model_ = p_model.detach()
            averaged.append(p_averaged.detach())
            current.append(p_model_)
            if copy_param:
                p_averaged.detach().copy_(p_model_)

        if self.n_averaged > 0:
            with np.errstate(all="ignore"):  # (inf and NaN averaged silently, as PyTorch's kernels average them)
                self._average_in(averaged, current)

        if not self.use_buffers:
            # the buffers of the averaged model follow the current model's
            for b_swa, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                b_swa.detach().copy_(b_model.detach())
        self.n_averaged += 1

    def _average_in(self, averaged, current):
        if self.multi_avg_fn is not None:
            for group_averaged, group_current in _by_dtype(averaged, current):
                self.multi_avg_fn(group_averaged, group_current, self.n_averaged)
        else:
            # on the CPU PyTorch's default is the single-tensor SWA average, not its multi-tensor kernel
            avg_fn = self.avg_fn or get_swa_avg_fn()
            for p_averaged, p_model in zip(averaged, current, strict=True):
                p_averaged.copy_(avg_fn(p_averaged, p_model, self.n_averaged))


def update_bn(loader, model, device=None):
    """Recompute the BatchNorm running statistics of ``model`` from the data of ``loader``.

    The statistics are reset, then one pass over ``loader`` in training mode accumulates them as a cumulative
    average (``momentum`` is set to None meanwhile and restored afterwards). Useful after
    :class:`AveragedModel`, whose averaged weights do not match the statistics.

    Args:
        loader (DataLoader): yields batches, each a tensor or a list/tuple whose first item is the input tensor.
        model (Module): the model whose BatchNorm layers are updated.
        device (torchless.device, optional): where to move each batch before calling :attr:`model`.
            Default: ``None``.

    Example:
        >>> loader, model = ...
        >>> torchless.optim.swa_utils.update_bn(loader, model)

    .. note::
        With list or tuple batches, only their first item is passed to :attr:`model`; the rest (targets...)
        is ignored.
    """
    with grad_mode.no_grad():
        momenta = {}
        for module in model.modules():
            if isinstance(module, _BatchNorm):
                module.reset_running_stats()
                momenta[module] = module.momentum
        if not momenta:
            return
        was_training = model.training
        model.train()
        for module in momenta:
            module.momentum = None
        for input in loader:
            if isinstance(input, (list, tuple)):
                input = input[0]
            if device is not None:
                input = input.to(device)
            model(input)
        for bn_module, momentum in momenta.items():
            bn_module.momentum = momentum
        model.train(was_training)


class SWALR(LRScheduler):
    """Learning-rate scheduler moving each group's learning rate to a constant ``swa_lr``, for the SWA phase of
    training (see :class:`AveragedModel`).

    Over ``anneal_epochs`` steps the rate goes from its current value to ``swa_lr`` along a cosine or a
    straight line, then stays there. It can follow another scheduler, as in the example.

    Args:
        optimizer (Optimizer): the optimizer whose learning rates are scheduled.
        swa_lr (float or list): the target learning rate, one for all groups or one per group.
        anneal_epochs (int): number of steps of the annealing (default: 10)
        anneal_strategy (str): ``"cos"`` (cosine) or ``"linear"`` annealing (default: "cos")
        last_epoch (int): index of the last epoch, for resuming (default: -1)

    Example:
        >>> swa_model = AveragedModel(model)
        >>> scheduler = torchless.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=100)
        >>> swa_scheduler = SWALR(optimizer, anneal_strategy="linear", anneal_epochs=20, swa_lr=0.05)
        >>> for i in range(300):
        ...     train_epoch(model, optimizer)
        ...     if i > 160:
        ...         swa_model.update_parameters(model)
        ...         swa_scheduler.step()
        ...     else:
        ...         scheduler.step()
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        """The learning rates for the current step: each group's lr moved towards its ``swa_lr`` by the
        annealing function of the fraction of ``anneal_epochs`` done."""
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                          UserWarning, stacklevel=2)
        # the lr the previous step started from is recovered from the current one, so that other schedulers
        # may change the lr in between
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs, strict=True)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self):
        """The scheduler's state: every attribute except the optimizer and the annealing function."""
        return {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        """Restore the state returned by :meth:`state_dict`."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
