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
    if each <= BLAS_OWN_SINGLE_THREAD_MAX:  # already on one thread
        return np.matmul(a, b, out=out)
    if parallel.inside_shard():
        return _product(a, b, out)
    libraries = thread_controls()
    if not libraries:
        return np.matmul(a, b, out=out)
    flop = 2 * each * _batch_count(a, b)
    if flop >= SPLIT_MIN_FLOP:
        parts = _parts(a, b, out, flop)
        if parts is not None:
            parallel.run_shards(_matmul_into, parts[1])
            return parts[0]
    if _stays_on_calling_thread(a, b, out, m, k, each):
        return _product(a, b, out)
    previous = _hold_to_one_thread(libraries)
    try:
        return _product(a, b, out)
    finally:
        _restore_threads(libraries, previous)


def matmuls(products, meanwhile=None):
    """``[matmul(a, b) for a, b in products]`` (each pair at least 2-D), the parts of those matmul splits
    computed in one split call (one hand-off to the helpers rather than one per product: a linear layer's
    input and weight gradients), each part as matmul's split computes it: the same values. ``meanwhile``:
    the caller's independent work, run while a helper wakes (see parallel.run_shards), or first."""
    results, shards = [], []
    for a, b in products:
        parts = None
        if not parallel.inside_shard() and thread_controls():
            flop = 2 * a.shape[-2] * a.shape[-1] * b.shape[-1] * _batch_count(a, b)
            if flop >= SPLIT_MIN_FLOP and a.shape[-2] * a.shape[-1] * b.shape[-1] > BLAS_OWN_SINGLE_THREAD_MAX:
                parts = _parts(a, b, None, flop)
        results.append(None if parts is None else parts[0])
        shards += [] if parts is None else parts[1]
    if shards:
        parallel.run_shards(_matmul_into, shards, meanwhile=meanwhile)
    elif meanwhile is not None:
        meanwhile()
    return [matmul(a, b) if result is None else result for (a, b), result in zip(products, results)]


# OpenBLAS's SkylakeX kernels multiply a float32 product of at most 10**6 multiply-adds straight from its
# operands (its "small matrix" kernels, sgemm_small_kernel_permit; above, it packs them first). For a thin left
# operand the packing costs more than it saves: such a product runs in column pieces under that bound in
# 0.45-0.82 of the time (thread CPU time, one thread, (m x k) @ (k x n), m*k <= 512, pieces of >= 1953
# columns: 45x10x14400, the course CNN's input gradient, 0.52-0.60, 0.65-0.79 inside its training step; 18x9
# 0.47, 31x9 0.45, 16x16 0.65, 2x4 0.65, 64x8 0.82, 100x5 0.78; but 90x10, pieces of 1111 columns, 1.11), with
# the same bits in every value while k < 32 and m >= 2 (measured for m*k <= 500, both layouts of the left
# operand; from k = 32 on, and for m = 1, NumPy's gemv, some values differ in their last bit).
SMALL_KERNEL_MAX_MULTIPLY_ADDS = 10 ** 6
SMALL_KERNEL_ARCHITECTURES = ("SkylakeX",)
THIN_MAX_LEFT_VALUES = 512
THIN_MAX_DEPTH = 31

_small_kernels = None


def _has_small_kernels():
    """Whether the loaded BLAS is OpenBLAS on one of SMALL_KERNEL_ARCHITECTURES (fixed per machine)."""
    global _small_kernels
    if _small_kernels is None:
        _small_kernels = any(getattr(library, "internal_api", None) == "openblas"
                             and getattr(library, "architecture", None) in SMALL_KERNEL_ARCHITECTURES
                             for library in thread_controls())
    return _small_kernels


def small_kernel_columns(rows, depth, dtype):
    """How many columns a product (rows x depth) @ (depth x columns) of ``dtype`` may have for OpenBLAS to
    multiply it unpacked, where that is faster and gives the bits of one whole product (see
    SMALL_KERNEL_MAX_MULTIPLY_ADDS); None where not."""
    if (depth > THIN_MAX_DEPTH or rows < 2 or rows * depth > THIN_MAX_LEFT_VALUES or dtype != np.float32
            or not _has_small_kernels()):
        return None
    return SMALL_KERNEL_MAX_MULTIPLY_ADDS // (rows * depth)


def _piece_columns(a, b, out):
    """How many columns each piece of a thin float32 product has that _product multiplies in pieces
    (see SMALL_KERNEL_MAX_MULTIPLY_ADDS), or None where it multiplies it whole."""
    m, k = a.shape[-2:]
    n = b.shape[-1]
    if m * k * n <= SMALL_KERNEL_MAX_MULTIPLY_ADDS or b.dtype != a.dtype:
        return None
    most = small_kernel_columns(m, k, a.dtype)
    if most is None:
        return None
    if out is None:
        if a.ndim != 2 or b.ndim != 2:  # (np.matmul may lay a batch's result out otherwise)
            return None
    elif out.dtype != np.float32 or np.may_share_memory(out, a) or np.may_share_memory(out, b):
        return None  # (a piece written could be an operand of the next)
    return -(-n // -(-n // most))  # equal pieces, each within the bound


# OpenBLAS's small-matrix kernels (SkylakeX: sgemm_small_kernel_permit) run on the calling thread whatever its
# thread count, before it decides to wake its workers: for each 2-D product of at most
# SMALL_KERNEL_MAX_MULTIPLY_ADDS, unless both operands are transposed, or only the right one is ("TN" after
# the row-major swap) and then its result has more than SMALL_KERNEL_TN_MAX_RESULT values or its depth is below
# SMALL_KERNEL_TN_MIN_DEPTH. Such products skip the switch to one BLAS thread and back, which costs more than its
# ~2 us once the products around it have run (4-17 us each way inside the course CNN's training step: its linear
# layer's three products and the input gradient of its second convolution, ~40-65 us of each step). Seen from
# the other threads' CPU time, with OpenBLAS at 2 threads: its worker ran none of 64x490x10 (NN, NT, TN), the
# 45x10x2222 pieces of that input gradient (NN) and 100x100x100 (NN), and ran 64x1000x16 (NN, 1.02 million) and
# 64x8000x8 (TN).
SMALL_KERNEL_TN_MAX_RESULT = 1200
SMALL_KERNEL_TN_MIN_DEPTH = 32


def _stays_on_calling_thread(a, b, out, m, k, each):
    """Whether every BLAS call of ``_product(a, b, out)`` is one OpenBLAS runs on the calling thread anyway (a
    float32 product ``each`` multiply-adds per 2-D product, ``a`` (..., m, k)); False where unsure."""
    if a.dtype != np.float32 or b.dtype != np.float32 or not _has_small_kernels():
        return False
    n = b.shape[-1]
    if m < 2 or n < 2 or (out is not None and (out.dtype != np.float32 or out.strides[-1] != 4)):
        return False  # (NumPy's gemv, its own loops for other dtypes, or a transposed product into out)
    if each > SMALL_KERNEL_MAX_MULTIPLY_ADDS:
        columns = _piece_columns(a, b, out)
        if columns is None or m * k * columns > SMALL_KERNEL_MAX_MULTIPLY_ADDS:
            return False
    a_transposed, b_transposed = _transposed(a), _transposed(b)
    if a_transposed is None or b_transposed is None:
        return False  # (NumPy copies such an operand, or multiplies without BLAS: never mind)
    if a_transposed != b_transposed and np.may_share_memory(a, b):
        return False  # (NumPy's syrk for a matrix times its own transpose)
    if b_transposed:
        return not a_transposed and m * n <= SMALL_KERNEL_TN_MAX_RESULT and k >= SMALL_KERNEL_TN_MIN_DEPTH
    return True


def _transposed(matrix):
    """How NumPy hands a float32 operand to BLAS: False as it is (unit stride along its rows), True transposed
    (unit stride down its columns), None neither."""
    strides = matrix.strides
    if strides[-1] == 4:
        return False
    if strides[-2] == 4:
        return True
    return None


def _product(a, b, out):
    """``np.matmul(a, b, out=out)`` on the calling thread, a thin float32 product in column pieces that
    OpenBLAS multiplies unpacked (see SMALL_KERNEL_MAX_MULTIPLY_ADDS): the same values, faster."""
    columns = _piece_columns(a, b, out)
    if columns is None:
        return np.matmul(a, b, out=out)
    n = b.shape[-1]
    if out is None:
        out = np.empty((a.shape[-2], n), np.float32)
    for start in range(0, n, columns):
        np.matmul(a, b[..., start:start + columns], out=out[..., start:start + columns])
    return out


def _matmul_into(a, b, out):
    _product(a, b, out)


def _parts(a, b, out, flop):
    """(result, [(a part, b part, result part), ...]) splitting the product along its first batch axis,
    else along the rows of ``a`` or, where ``b`` is the larger operand, its columns (see _splits_columns);
    None when it should run whole (too few threads, rows or columns)."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    rows, columns = a.shape[-2], b.shape[-1]
    by_batch = bool(batch) and batch[0] > 1
    by_columns = not by_batch and _splits_columns(a, b)
    items = batch[0] if by_batch else columns if by_columns else rows
    count = parallel.shard_count(items, flop)
    if count == 1:
        return None
    if out is None:
        out = np.empty(batch + (rows, columns), np.result_type(a, b))
    if by_batch:
        def part_of(operand, part):  # an operand broadcast along the axis is shared
            return operand[part] if operand.ndim == out.ndim and operand.shape[0] > 1 else operand
        return out, [(part_of(a, part), part_of(b, part), out[part]) for part in parallel.split(items, count)]
    if by_columns:
        return out, [(a, b[..., part], out[..., part]) for part in parallel.split(items, count)]
    return out, [(a[..., part, :], b, out[..., part, :]) for part in parallel.split(items, count)]


# Each part of a split product packs the whole of the operand it shares: split along the rows of ``a``, every part
# packs all of ``b``. Where ``b`` is the larger, splitting its columns instead shares the smaller one, with the same
# sums in every value (each keeps its whole depth, in OpenBLAS's order). Medians, ms, 2 threads, the classic MNIST
# CNN's fc1 on an AMD EPYC (Zen 4): (64x9216) @ (9216x128) 2.13 by rows / 1.49 by columns (one thread: 2.40).
def _splits_columns(a, b):
    """Whether a 2-D product (a batch of one) is split along the columns of ``b`` rather than the rows of ``a``."""
    return b.ndim == 2 and b.shape[-2] * b.shape[-1] > a.shape[-2] * a.shape[-1] and b.shape[-1] > 1


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
