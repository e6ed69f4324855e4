"""Matrix products on one BLAS thread each, large ones split over torchless's own threads.

OpenBLAS (NumPy's BLAS) splits a product over all cores and then keeps its
worker threads busy-waiting for the next one, for about 0.1 s.  Every other
thread of the process then shares its core with a spinning worker: on 2 cores,
a small convolution ran 2.7x slower whenever the spinning worker shared a core
with the main thread, and a training step's convolutions, split in two halves
running at once (see parallel.py), lost a core to the worker of a preceding
large product (classic MNIST CNN step, measured: 139 ms with OpenBLAS's threads,
107 ms with every product on one BLAS thread and the large ones split).

So no product of torchless wakes OpenBLAS's workers: each runs on one BLAS
thread, and one of at least ``SPLIT_MIN_FLOP`` is cut into independent parts
(along its first batch axis, or the rows of its left operand) that run at once
on torchless's helper threads, which sleep when idle.  The split depends only
on the shapes and the thread count, so results are deterministic.

The thread count is switched through threadpoolctl (the ``fast`` extra) and
restored after every product.  Without it every product uses the BLAS
defaults: same results, only the protection against the spinning is missing.
"""

from contextlib import contextmanager
from math import prod

import numpy as np

from .. import _cpu_features as cpu_features
from . import parallel

# A product of at least this many floating-point operations (~1 ms on one core) is split over the
# helper threads. Below it the hand-off to a sleeping helper (~70 us, more after an idle spell)
# and each part packing the shared operand again cost more than the second core saves: batch-1
# forward of the classic MNIST CNN, whose 21 MFLOP product was split from 2**24: 1.38 ms, 0.96 ms
# from 2**25 on.
SPLIT_MIN_FLOP = 2 ** 26
# OpenBLAS itself keeps products of up to 64**3 multiply-adds on the calling thread (measured:
# CPU time / wall time 1.00 up to there, 1.99 above), so those skip the switch and its ~4 us.
BLAS_OWN_SINGLE_THREAD_MAX = 64 ** 3


# Some algorithm choices measured differently on AVX-512 machines (see gather.suits); fixed per
# machine, so the choice, and with it every result, stays deterministic.
WIDE_VECTORS = cpu_features.has("AVX512F")  # with which OpenBLAS runs its 512-bit kernels
# An Intel Xeon of Sapphire Rapids or later (AVX512-FP16 is Intel's alone), where some choices measured
# differently again (see conv.XEON_WINOGRAD2_MIN_CHANNELS).
XEON_AVX512_FP16 = cpu_features.has("AVX512FP16")


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


def _batch_count(a, b):
    """How many 2-D products np.matmul(a, b) makes; a, b at least 2-D.

    The larger of the two batch sizes stands in for their broadcast (exact unless both broadcast
    into each other); np.broadcast_shapes would cost more than a small product.
    """
    if a.ndim == 2 and b.ndim == 2:
        return 1
    return max(prod(a.shape[:-2]), prod(b.shape[:-2]))


def matmul(a, b, out=None):
    """``np.matmul(a, b, out=out)`` (a and b at least 2-D) on one BLAS thread, split when large."""
    m, k = a.shape[-2:]
    each = m * k * b.shape[-1]  # multiply-adds of each 2-D product
    if each <= BLAS_OWN_SINGLE_THREAD_MAX or parallel.inside_shard():  # already on one thread
        return np.matmul(a, b, out=out)
    libraries = thread_controls()
    if not libraries:
        return np.matmul(a, b, out=out)
    flop = 2 * each * _batch_count(a, b)
    if flop >= SPLIT_MIN_FLOP:
        parts = _parts(a, b, out, flop)
        if parts is not None:
            parallel.run_shards(_matmul_into, parts[1])
            return parts[0]
    previous = _hold_to_one_thread(libraries)
    try:
        return np.matmul(a, b, out=out)
    finally:
        _restore_threads(libraries, previous)


def _matmul_into(a, b, out):
    np.matmul(a, b, out=out)


def _parts(a, b, out, flop):
    """(result, [(a part, b part, result part), ...]) splitting the product along its first batch axis,
    else along the rows of ``a``; None when it should run whole (too few threads or rows)."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    rows = a.shape[-2]
    items = batch[0] if batch and batch[0] > 1 else rows
    count = parallel.shard_count(items, flop)
    if count == 1:
        return None
    if out is None:
        out = np.empty(batch + (rows, b.shape[-1]), np.result_type(a, b))
    if batch and batch[0] > 1:
        def part_of(operand, part):  # an operand broadcast along the axis is shared
            return operand[part] if operand.ndim == out.ndim and operand.shape[0] > 1 else operand
        return out, [(part_of(a, part), part_of(b, part), out[part]) for part in parallel.split(items, count)]
    return out, [(a[..., part, :], b, out[..., part, :]) for part in parallel.split(items, count)]


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
