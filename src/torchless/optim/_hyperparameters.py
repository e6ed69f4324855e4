"""PyTorch's checks of optimizers' hyperparameters and flags, with its exceptions and messages."""
from .._tensor import Tensor


def check_lr(lr):
    """PyTorch's check of a learning rate: a number >= 0 (NaN refused) or a 1-element tensor."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_nonnegative(**values):
    """PyTorch's checks of hyperparameters, in the order given: each >= 0 (NaN refused), except
    ``betas``, whose two values must lie in [0, 1). ``epsilon`` is how PyTorch's message names eps."""
    for name, value in values.items():
        if name == "betas":
            for index in (0, 1):
                if not 0.0 <= value[index] < 1.0:
                    raise ValueError(f"Invalid beta parameter at index {index}: {value[index]}")
        elif not 0.0 <= value:
            raise ValueError(f"Invalid {name} value: {value}")


def unsupported_flags(defaults, **flags):
    """Record PyTorch's speed/graph flags in ``defaults`` (in the order given, as PyTorch lists them).

    ``foreach`` and ``fused`` only pick another kernel in PyTorch (same update, to rounding), so torchless
    accepts them and runs its own; ``capturable`` is refused when :meth:`Optimizer.step` runs, with PyTorch's CPU
    errors, and ``differentiable`` recorded or refused (see :meth:`Optimizer._check_step_flags`).
    """
    defaults.update(flags)


def check_fused(optimizer):
    """PyTorch's checks of ``fused=True`` after the groups are built (Adam, AdamW, SGD, Adagrad)."""
    defaults = optimizer.defaults
    if defaults.get("fused"):
        if defaults.get("differentiable"):
            raise RuntimeError("`fused` does not support `differentiable`")
        if defaults.get("foreach"):
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        optimizer._step_supports_amp_scaling = True

