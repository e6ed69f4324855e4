"""Matrix products with a BLAS thread count fitted to their size.

OpenBLAS (NumPy's BLAS) splits every product over all cores and then keeps its
worker threads busy-waiting for the next one.  On a small machine those
spinning workers compete with the single-threaded NumPy passes that follow
(padding, layout changes, transforms): measured on 2 cores, a small
convolution ran 2.7x slower whenever the spinning worker shared a core with
the main thread, which happened in about half of all processes.  Products
below ``SINGLE_THREAD_MAX_FLOP`` therefore run on one thread, which leaves the
workers asleep; larger ones keep the full thread pool, which they need.

The thread count is switched through threadpoolctl (the ``fast`` extra).
Without it every product uses the BLAS defaults: same results, only the
protection against that slowdown is missing.  Switching costs under a
microsecond, and the previous count is restored after every product.
"""

from contextlib import contextmanager
from math import prod

import numpy as np

# A product of fewer floating-point operations than this runs on one BLAS thread: up to here
# the worker thread saves at most ~0.1 ms (measured: a 13 MFLOP product takes 180 us on one
# thread, 114 us on two) while its busy-waiting can cost several times that.
SINGLE_THREAD_MAX_FLOP = 2 ** 24
# OpenBLAS itself keeps products of up to 64**3 multiply-adds on the calling thread (measured:
# CPU time / wall time 1.00 up to there, 1.99 above), so those skip the switch and its ~4 us.
BLAS_OWN_SINGLE_THREAD_MAX = 64 ** 3

_UNRESOLVED = object()
_blas_libraries = _UNRESOLVED


def thread_controls():
    """threadpoolctl's controllers of the loaded BLAS libraries ([] without threadpoolctl)."""
    global _blas_libraries
    if _blas_libraries is _UNRESOLVED:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _blas_libraries = []
        else:
            _blas_libraries = list(ThreadpoolController().select(user_api="blas").lib_controllers)
    return _blas_libraries


def _multiply_adds(a, b):
    """(multiply-adds of np.matmul(a, b), of each of its 2-D products); a, b at least 2-D.

    For batches the larger of the two batch sizes stands in for their broadcast (exact unless
    both broadcast into each other); np.broadcast_shapes would cost more than a small product.
    """
    m, k = a.shape[-2:]
    each = m * k * b.shape[-1]
    if a.ndim == 2 and b.ndim == 2:
        return each, each
    return max(prod(a.shape[:-2]), prod(b.shape[:-2])) * each, each


def matmul(a, b, out=None):
    """``np.matmul(a, b, out=out)`` (a and b at least 2-D), on one BLAS thread when it is small."""
    total, each = _multiply_adds(a, b)
    if each <= BLAS_OWN_SINGLE_THREAD_MAX or 2 * total >= SINGLE_THREAD_MAX_FLOP:
        return np.matmul(a, b, out=out)
    libraries = thread_controls()
    if not libraries:
        return np.matmul(a, b, out=out)
    previous = _hold_to_one_thread(libraries)
    try:
        return np.matmul(a, b, out=out)
    finally:
        _restore_threads(libraries, previous)


def _hold_to_one_thread(libraries):
    """Set each library to one thread; returns their previous thread counts."""
    previous = [library.get_num_threads() for library in libraries]
    for library, threads in zip(libraries, previous):
        if threads != 1:
            library.set_num_threads(1)
    return previous


def _restore_threads(libraries, previous):
    for library, threads in zip(libraries, previous):
        if threads != 1:
            library.set_num_threads(threads)


@contextmanager
def single_threaded():
    """Hold every BLAS library to one thread inside the block (no-op without threadpoolctl)."""
    libraries = thread_controls()
    previous = _hold_to_one_thread(libraries)
    try:
        yield
    finally:
        _restore_threads(libraries, previous)
