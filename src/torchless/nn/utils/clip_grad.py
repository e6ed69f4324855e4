"""Gradient clipping, PyTorch's algorithm: the total norm of the gradients' norms, one scale for all of them."""
import math
import types
import warnings

from ..._creation import tensor
from ..._functions import stack
from ..._tensor import Tensor
from ...autograd import no_grad

# PyTorch's list (get_total_norm and clip_grads_with_norm_ are exported by nn.utils only)
__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _in_groups_order(tensors):
    """``tensors`` in the order PyTorch's clipping visits them: grouped by device and dtype, the groups in
    PyTorch's order (which sets the order of the norms summed, and which gradients are clipped before an error);
    PyTorch's errors for an empty list or a None."""
    return [t for group in _groups(tensors) for t in group]


def _groups(tensors):
    """``tensors`` grouped by device and dtype, as lists in PyTorch's order of the groups; its errors for an empty
    list or a None."""
    from ...optim.optimizer import _group_tensors_by_device_and_dtype

    return [group for [group], _ in _group_tensors_by_device_and_dtype([tensors]).values()]


@no_grad()
def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all ``tensors`` taken as one vector: the norm of their norms.

    Args:
        tensors (Iterable[Tensor] or Tensor): the tensors (usually gradients).
        norm_type (float): the p of the p-norm; ``float('inf')`` for the largest absolute value.
        error_if_nonfinite (bool): raise a RuntimeError if the total norm is NaN or infinite.
        foreach (bool): whether to take the norms as PyTorch's ``_foreach_norm`` (its CPU default; the same values,
            its own error for the infinity norm of an empty tensor) rather than one ``linalg.vector_norm`` each.

    Returns:
        A 0-d tensor (float32, 0.0, for no tensors).
    """
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    tensors[0].device  # (PyTorch's first look at the tensors: what is not one fails with its AttributeError)
    tensors = _in_groups_order(tensors)
    if foreach is not False and norm_type == math.inf and any(t.numel() == 0 for t in tensors):
        raise RuntimeError("_foreach_norm cannot compute the infinity norm on an empty tensor because the operation "
                           "does not have an identity")
    total_norm = stack([t.norm(norm_type) for t in tensors]).norm(norm_type)
    if error_if_nonfinite and not total_norm.isfinite().item():
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
                           "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
                           "anyway, set `error_if_nonfinite=False`")
    return total_norm


@no_grad()
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients of ``parameters`` in place by ``min(1, max_norm / (total_norm + 1e-6))``."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    # Multiplied even when the factor is 1, as PyTorch (which avoids a host sync that way): -0.0 and NaN
    # gradients come out as PyTorch's do.
    clip_coef = max_norm / (total_norm + 1e-6)
    if not isinstance(clip_coef, Tensor):  # a total_norm given as a number: PyTorch's torch.clamp refuses it
        from ... import clamp

        clamp(clip_coef, max=1.0)
    clip_coef_clamped = clip_coef.clamp(max=1.0)
    if clip_coef_clamped.dim():  # a total norm of some shape (given by the caller): PyTorch's _foreach_mul_ refuses
        if foreach is not False:  # it, its loop of mul_ broadcasts it into each gradient in turn
            raise RuntimeError(f"scalar tensor expected to be 0 dim but it has {clip_coef_clamped.dim()} dimensions "
                               f"and {clip_coef_clamped.numel()} elements.")
        for g in _in_groups_order(grads):
            g.mul_(clip_coef_clamped)
        return
    # PyTorch's kernels read a 0-d factor at the precision they compute in (float32 for float16 gradients): as a
    # Python number here, where a float16 gradient times a 0-d tensor would round the factor to float16 first
    for g in grads:
        g.mul_(clip_coef_clamped.item())


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Clip the gradient norm of an iterable of parameters, in place, as if their gradients were one vector.

    Args:
        parameters (Iterable[Tensor] or Tensor): the tensors whose ``.grad`` to clip.
        max_norm (float): the largest total norm the gradients may keep.
        norm_type (float): the p of the p-norm; ``float('inf')`` for the largest absolute value.
        error_if_nonfinite (bool): raise a RuntimeError if the total norm is NaN or infinite.
        foreach (bool): see :func:`get_total_norm`.

    Returns:
        The total norm of the gradients before clipping (a 0-d tensor).
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)  # a generator is read once, for the norm and the scaling both
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    total_norm = get_total_norm([p.grad for p in parameters if p.grad is not None], norm_type, error_if_nonfinite,
                                foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated: :func:`clip_grad_norm_`."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


@no_grad()
def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp the gradients of ``parameters`` to ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if foreach is False:
        for g in _in_groups_order(grads):
            g.clamp_(min=-clip_value, max=clip_value)
        return
    # PyTorch's foreach path (its CPU default) clamps each (device, dtype) group twice, _foreach_clamp_min_ then
    # _foreach_clamp_max_: two in-place ops a gradient, as each gradient's version shows, and the groups before one
    # that fails are clipped both ways
    for group in _groups(grads):
        for g in group:
            g.clamp_min_(-clip_value)
        for g in group:
            g.clamp_max_(clip_value)
