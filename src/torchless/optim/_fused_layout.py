"""How PyTorch's CPU fused optimizer kernels (``fused=True``) pair a parameter with its gradient and state: element
by element in memory, whatever their strides."""
import numpy as np

from .._kernels.cpu_loops import vector_bytes
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


def scalar_loop_positions(param):
    """The index of ``param``'s elements that PyTorch's CPU fused kernels update in their plain scalar loop, or
    None: after the whole vectors, the compiler runs the remaining elements of a float32 or float64 tensor through
    one vector of half the width, when that many remain, and the last ones through scalar code, where it contracts
    other products into multiply-adds than the vector code does (measured on AVX512 against torch 2.13)."""
    if param.dtype.char not in "fd":
        return None
    lanes = vector_bytes() // param.dtype.itemsize
    remaining = param.size % lanes
    scalar = remaining - lanes // 2 if remaining >= lanes // 2 else remaining
    if not scalar:
        return None
    axes = _memory_axes(param)
    memory_rank = np.arange(param.size).reshape([param.shape[axis] for axis in axes]).transpose(np.argsort(axes))
    return np.nonzero(memory_rank >= param.size - scalar)
