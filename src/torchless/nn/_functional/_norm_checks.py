"""Argument and dtype checks shared by the normalisation functionals, with PyTorch's messages.

``layer_norm``, ``group_norm``, ``instance_norm`` and ``rms_norm`` are native functions in PyTorch:
their arguments go through its argument parser (TypeErrors naming the argument and its position)
and their kernels check the dtypes of input and parameters in a fixed order (mixed-dtype errors,
"not implemented for 'Long'", "expected scalar type ..."). The helpers here give those errors.
"""
import numpy as np

from ... import _dtype
from ..._tensor import Tensor
from ._args import _int_list, _is_index, _is_list_int, _tp_name, is_float_arg, unpack_error

__all__ = ["check_tensor_arg", "check_int_arg", "check_float_arg", "check_bool_arg", "int_list_arg",
           "check_mixed_dtypes", "check_kernel_dtypes", "compute_dtype"]


def check_tensor_arg(value, fn, name, position, optional=True):
    if value is None and optional:
        return
    if not isinstance(value, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not {_tp_name(value)}")


def check_int_arg(value, fn, name, position):
    if not _is_index(value):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be int, not {_tp_name(value)}")


def check_float_arg(value, fn, name, position, optional=False):
    """A ``float`` parameter takes any real number (ints and bools too) or a 0-d tensor not requiring grad.
    Returns it as the Python float the native function receives (None for an optional one not given)."""
    if value is None and optional:
        return None
    if type(value) is float or type(value) is int or is_float_arg(value):
        return float(value)
    raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be float, not {_tp_name(value)}")


def check_bool_arg(value, fn, name, position):
    if not isinstance(value, bool):  # PyTorch's parser refuses NumPy bools too
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be bool, not {_tp_name(value)}")


def int_list_arg(value, fn, name, position=None):
    """An ``int[]`` parameter without a fixed size (``normalized_shape``): a tuple or list of ints, as a tuple.

    Unlike ``stride`` and friends, a lone int is refused. PyTorch's quick check looks at the first
    element only (a bool there is refused); a later non-int fails when the list is unpacked. Messages
    name the position of an argument passed by position (``position`` None: passed by keyword).
    """
    where = f" (position {position})" if position else ""
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{fn}(): argument '{name}'{where} must be tuple of ints, not {_tp_name(value)}")
    if value and not _is_list_int(value[0]):
        raise TypeError(f"{fn}(): argument '{name}'{where} must be tuple of ints, but found "
                        f"element of type {_tp_name(value[0])} at pos 0")
    converted = _int_list(value, len(value))
    if isinstance(converted, int):
        raise unpack_error(fn, name, value, converted)
    return tuple(converted)


def check_mixed_dtypes(input, weight, bias):
    """PyTorch's CPU rule for parameters of another dtype than the input (group and layer norm; batch norm's, with
    its running statistics, is normalization._check_dtypes).

    The first given parameter decides: of the input's dtype, nothing is checked here (a bias of yet another dtype
    fails later, in check_kernel_dtypes); otherwise every parameter must be float32, and the input float16 or
    bfloat16 (half-precision activations with float32 parameters, computed in float32). Returns whether the dtypes are
    mixed (and allowed).
    """
    given = [p for p in (weight, bias) if p is not None]
    if not given or given[0].dtype == input.dtype:
        return False
    if any(p.dtype != _dtype.float32 for p in given):
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
    if input.dtype is not _dtype.float16 and input.dtype is not _dtype.bfloat16:
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    return True


def check_kernel_dtypes(input, weight, bias, kernel):
    """The kernel's own checks: a floating input, then a bias of the same dtype as a weight of the input's."""
    if not input.is_floating_point():
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
    if weight is not None and bias is not None and weight.dtype == input.dtype and bias.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found {bias.dtype.scalar_name}")


def compute_dtype(array):
    """The NumPy dtype to compute in: float16 is computed in float32 (PyTorch's opmath type), as PyTorch does."""
    return np.dtype(np.float32) if array.dtype == np.float16 else array.dtype
