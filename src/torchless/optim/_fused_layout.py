"""How PyTorch's CPU fused optimizer kernels (``fused=True``) pair a parameter with its gradient and state: element
by element in memory, whatever their strides."""
import numpy as np

from .._ops.tensor_extras import _storage


def _memory_axes(array):
    """``array``'s axes from the largest stride to the smallest: the order its elements take in memory."""
    return np.argsort([-abs(stride) for stride in array.strides], kind="stable")


def _in_memory_order(array):
    """A 1-D view of a dense ``array``'s elements in the order they lie in memory (None for a non-dense one)."""
    ordered = array.transpose(_memory_axes(array))
    return ordered.reshape(-1) if ordered.flags.c_contiguous else None


def _fused_kernel_elements(array):
    """The elements PyTorch's CPU fused kernels read for ``array``: the ``array.size`` ones from its first in
    memory, whatever its strides (None where they would run past its memory, as for an expanded tensor)."""
    dense = _in_memory_order(array)
    if dense is not None:
        return dense
    memory, offset = _storage(array)
    return memory[offset:offset + array.size] if offset + array.size <= memory.size else None


def as_fused_kernel_pairs(array, param):
    """``array`` (a gradient, a momentum buffer) as PyTorch's CPU fused kernels pair it with ``param``: those
    kernels walk the memory of all their tensors in step, ignoring strides, so the k-th element of ``array`` in
    memory meets the k-th of ``param`` in memory. Returns a view of ``array``'s memory laid out as ``param``
    (written through for a dense ``array``), or ``array`` itself where the layouts agree or cannot be followed
    (a non-dense ``param``, whose state PyTorch lays out otherwise)."""
    if array.strides == param.strides or array.ndim != param.ndim:
        return array
    param_axes = _memory_axes(param)
    elements = _fused_kernel_elements(array)
    if elements is None or _in_memory_order(param) is None:
        return array
    return elements.reshape([param.shape[axis] for axis in param_axes]).transpose(np.argsort(param_axes))

