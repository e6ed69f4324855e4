"""Pure-NumPy array kernels for torchless (no autograd): convolution in :mod:`.conv`,
pooling in :mod:`.pool`.

This module also holds the kernels' scratch arena.  Large temporaries (column
matrices, Winograd tiles, GEMM outputs) are reused across calls instead of being
allocated afresh: a fresh multi-megabyte array costs one page fault per 4 KiB
page on first touch, which for these kernels is comparable to the arithmetic.
"""

import threading
from math import prod

import numpy as np

# Buffers above this size are not kept alive between calls.
MAX_CACHED_SCRATCH_BYTES = 256 * 2**20

_per_thread = threading.local()


def scratch(role, shape, dtype):
    """Uninitialised array of ``shape`` for one intermediate result, reused between calls.

    ``role`` names the intermediate; the array stays valid only until the next
    request for the same role in the same thread, so it must never be returned
    to a caller or held across another kernel call.  Each thread has its own
    buffers, so concurrent kernels in different threads do not interfere.
    """
    dtype = np.dtype(dtype)
    size = prod(shape)
    if size * dtype.itemsize > MAX_CACHED_SCRATCH_BYTES:
        return np.empty(shape, dtype)
    buffers = getattr(_per_thread, "buffers", None)
    if buffers is None:
        buffers = _per_thread.buffers = {}
    buffer = buffers.get((role, dtype))
    if buffer is None or buffer.size < size:
        buffer = buffers[(role, dtype)] = np.empty(size, dtype)
    return buffer[:size].reshape(shape)


def release_scratch():
    """Free this thread's scratch buffers (they are re-created on demand)."""
    _per_thread.buffers = {}
