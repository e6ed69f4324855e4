"""PyTorch's checks that an op does not read memory it writes (ATen's MemOverlap): an in-place op, a copy_, an
index_put_ or an ``out=`` refuses an input that shares only part of the written memory (``x[1:] += x[:-1]``),
as its kernel would read values it has already overwritten; an identical view of that memory is fine for the
elementwise ops, which read each element just before writing it.

Like PyTorch, only arrays that each fill a block of memory (non-overlapping and dense, in some order of their
dims) are compared; for the others the question is too hard and the op goes ahead.
"""
import numpy as np

from ._memory_format import is_dense

PARTIAL_OVERLAP = ("unsupported operation: some elements of the input tensor and the written-to tensor refer to a "
                   "single memory location. Please clone() the tensor before performing the operation.")

NO, FULL, PARTIAL, TOO_HARD = "no", "full", "partial", "too hard"


def _strides(array):
    """``array``'s strides in elements as PyTorch's: a new axis NumPy gives stride 0, PyTorch's unsqueeze the
    extent of the dim inside it."""
    strides = [stride // array.itemsize for stride in array.strides]
    for i in range(array.ndim - 1, -1, -1):
        if array.shape[i] == 1 and strides[i] == 0:
            strides[i] = array.shape[i + 1] * strides[i + 1] if i + 1 < array.ndim else 1
    return strides


def overlap_status(written, read):
    """How the memory of the arrays ``written`` and ``read`` overlaps (c10's get_overlap_status): NO, FULL (the
    same block, with the same strides), PARTIAL, or TOO_HARD to tell."""
    if written is read:
        return FULL
    if not written.size or not read.size:
        return NO
    if not np.may_share_memory(written, read):  # (a quick bounds check; the usual case ends here)
        return NO
    if not (is_dense(written) and is_dense(read)):
        return TOO_HARD
    written_begin, read_begin = written.__array_interface__["data"][0], read.__array_interface__["data"][0]
    written_end, read_end = written_begin + written.nbytes, read_begin + read.nbytes
    if written_begin == read_begin and written_end == read_end:
        return FULL if _strides(written) == _strides(read) else PARTIAL
    return PARTIAL if written_begin < read_end and read_begin < written_end else NO


def expanded(array, shape):
    """``array`` as PyTorch's setitem expands a value to the ``shape`` it writes (leading size-1 dims dropped,
    then expand), with the strides expand gives: a new dim of size 1 strides over the dims inside it; None where
    the value does not broadcast to ``shape``."""
    if array.shape == tuple(shape):
        return array
    sizes = array.shape[next((i for i, n in enumerate(array.shape) if n != 1), array.ndim):]
    strides = array.strides[len(array.shape) - len(sizes):]
    if len(sizes) > len(shape):
        return None
    new_sizes, new_strides = list(shape), [0] * len(shape)
    for i in range(len(shape) - 1, -1, -1):
        dim = i - (len(shape) - len(sizes))
        size = sizes[dim] if dim >= 0 else 1
        stride = strides[dim] if dim >= 0 else (new_sizes[i + 1] * new_strides[i + 1] if i + 1 < len(shape) else
                                                 array.itemsize)
        if size != shape[i]:
            if size != 1:
                return None
            stride = 0
        new_strides[i] = stride
    return np.lib.stride_tricks.as_strided(array, tuple(shape), tuple(new_strides), writeable=False)


def assert_no_partial_overlap(written, read):
    """PyTorch's refusal of an input ``read`` sharing part of the memory ``written`` (arrays; ``read`` None:
    nothing to check)."""
    if read is not None and overlap_status(written, read) == PARTIAL:
        raise RuntimeError(PARTIAL_OVERLAP)


def assert_no_overlap(written, read):
    """PyTorch's refusal of an input ``read`` sharing any of the memory ``written`` (arrays): the ops that write
    elements in another order than they read them (index_put_, index_copy_, scatter_, cat's out=, ...)."""
    if overlap_status(written, read) in (PARTIAL, FULL):
        raise RuntimeError(PARTIAL_OVERLAP)
