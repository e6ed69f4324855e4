"""Normalising the int-or-tuple arguments of convolution and pooling, once, at the functional boundary."""
import numbers

from ..._tensor import Tensor


def ntuple(value, n, name):
    """``value`` as a tuple of ``n`` ints, with PyTorch's error for a sequence of the wrong length."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
        if len(value) == 1:
            return (int(value[0]),) * n
        if len(value) == n:
            return tuple(int(v) for v in value)
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match the "
                           f"convolution dimensions, but got {name}={list(value)}")
    raise TypeError(f"argument '{name}' must be tuple of ints, not {type(value).__name__}")


def check_tensor(value, fn, name="input", position=1):
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not {type(value).__name__}")
