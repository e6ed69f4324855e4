"""Pure-NumPy array kernels for torchless (no autograd): convolution in :mod:`.conv`,
pooling in :mod:`.pool` (3-D pooling in :mod:`.pool3d`).

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


# Below this many values the void views' set-up (~3 us) costs more than the rows' copies save.
COPY_ROWS_MIN_SIZE = 2 ** 14
# The void dtype of a row, by its bytes: NumPy makes one through its Python code (~0.9 us, ten times a step of the
# course CNN); at most ROW_DTYPES_KEPT row sizes are kept.
_row_dtypes = {}
ROW_DTYPES_KEPT = 256


def copy_rows(destination, source):
    """``destination[...] = source`` (same shape and dtype), row by row when both have contiguous rows.

    Each row (the last axis) is copied as one void item, by one memcpy: NumPy's element-wise copy
    costs twice as much on rows of a few dozen values (cropping (64, 5, 28, 28) from rows of 30:
    72 vs 32 us; (64, 10, 14, 14) from rows of 16: 65 vs 26 us).
    """
    if (source.size >= COPY_ROWS_MIN_SIZE and destination.dtype == source.dtype
            and destination.shape == source.shape and destination.strides[-1] == source.strides[-1] == source.itemsize):
        row_bytes = source.shape[-1] * source.itemsize
        row = _row_dtypes.get(row_bytes)
        if row is None:
            if len(_row_dtypes) >= ROW_DTYPES_KEPT:
                _row_dtypes.clear()
            row = _row_dtypes[row_bytes] = np.dtype((np.void, row_bytes))
        destination.view(row)[..., 0] = source.view(row)[..., 0]
    else:
        np.copyto(destination, source)


# A matrix's transposing copy, left to NumPy, reads its source along columns; past a few hundred thousand
# values every read lands on another page and the copy slows tenfold (a (4608, 512) float32 matrix: 17.6 ms,
# 7 ns a value; (2304, 256) 2.5 ms). Copied in bands of this many source rows it stays at ~0.7 ns a value
# (1.6 ms and 0.39 ms); below TRANSPOSE_IN_BANDS_MIN_SIZE values one copy is as fast.
TRANSPOSE_BAND_ROWS = 32
TRANSPOSE_IN_BANDS_MIN_SIZE = 2 ** 17


def transposed(a):
    """A C-contiguous copy of ``a`` with its last two axes swapped."""
    if a.size < TRANSPOSE_IN_BANDS_MIN_SIZE:
        return np.ascontiguousarray(a.swapaxes(-1, -2))
    out = np.empty(a.shape[:-2] + a.shape[:-3:-1], a.dtype)
    for start in range(0, a.shape[-2], TRANSPOSE_BAND_ROWS):
        band = slice(start, start + TRANSPOSE_BAND_ROWS)
        out[..., band] = a[..., band, :].swapaxes(-1, -2)
    return out


def release_scratch():
    """Free this thread's scratch buffers (they are re-created on demand)."""
    _per_thread.buffers = {}
