"""Which elements of an element-wise ATen CPU kernel (``cpu_kernel_vec``) its vectorised loop computes, and which
its scalar code, for the kernels whose two paths disagree: at NaN, where the vector code picks a side with a
comparison mask and the scalar code branches (hardtanh's gradient is 0 in the vector loop, the incoming gradient
in the scalar code), on the sign of some zeros, and in float16 kernels, whose vector code takes SLEEF's exp or
ATen's erf and whose scalar code libm's.

A kernel's loop runs along its operands' elements in memory order (dims coalesced where they are contiguous), a
block of one or two vectors at a time, and leaves what is left of each run, fewer than a block, to the scalar code.
A loop of more than its grain size (GRAIN_SIZE unless the kernel sets its own, as gelu does) is first split among
the threads into equal chunks of its elements in memory order (at::parallel_for); a chunk boundary inside a run
splits it, and each piece has a tail of its own. Small tensors (fewer elements than a block) go through the scalar
code alone; a run whose elements are not adjacent in some operand runs one by one.
"""
import functools

import numpy as np

from .. import _cpu_features
from . import avx_mathfun, parallel

GRAIN_SIZE = 32768  # at::internal::GRAIN_SIZE: TensorIterator splits a loop among threads from this many elements
_AVX512 = ("AVX512F", "AVX512BW", "AVX512VL", "AVX512DQ")  # (what PyTorch's AVX512 kernels need)


@functools.cache
def vector_bytes():
    """The width of PyTorch's CPU vectors here: 64 bytes with its AVX512 kernels, else 32."""
    return 64 if all(_cpu_features.has(feature) for feature in _AVX512) else 32


def scalar_tail(array, vectors=1, others=(), grain_size=GRAIN_SIZE):
    """A boolean mask of the elements of ``array`` (an elementwise kernel's input, whose layout the output follows)
    that PyTorch's kernel computes in its scalar code, for a kernel whose vectorised loop takes ``vectors`` vectors at
    a time; None when there are none. ``others``: the kernel's other operands (a gradient), which can keep the
    loop from coalescing dims or from vectorising at all. ``grain_size``: the kernel's (see thread_chunk)."""
    if not array.size:
        return None
    block = vectors * vector_bytes() // array.itemsize
    if array.size < block:
        return np.ones(array.shape, bool)
    operands = (array,) + tuple(np.broadcast_to(other, array.shape) for other in others)
    dims = sorted((d for d in range(array.ndim) if array.shape[d] > 1), key=lambda d: abs(array.strides[d]))
    if not all(operand.strides[dims[0]] in (0, operand.itemsize) for operand in operands):
        return np.ones(array.shape, bool)  # (an inner dim with gaps: the scalar loop throughout)
    run = 1  # how many of the innermost dims coalesce into one run
    while run < len(dims) and all(operand.strides[dims[run]] == operand.strides[dims[run - 1]] *
                                  array.shape[dims[run - 1]] for operand in operands):
        run += 1
    memory_order = dims[::-1] + [d for d in range(array.ndim) if array.shape[d] == 1]
    length = int(np.prod([array.shape[d] for d in dims[:run]]))
    tail = _tails_in_memory_order(array.size, length, thread_chunk(array.size, grain_size), block)
    if tail is None:
        return None
    return np.transpose(tail.reshape([array.shape[d] for d in memory_order]), np.argsort(memory_order))


def thread_chunk(size, grain_size=GRAIN_SIZE):
    """How many elements each thread takes of a loop over ``size`` elements (TensorIterator's for_each, then
    at::parallel_for: more than ``grain_size`` elements are split into as many equal chunks as there are threads,
    at most one per ``grain_size`` elements; the last chunk takes what is left)."""
    threads = min(parallel.get_num_threads(), -(-size // grain_size)) if size > grain_size else 1
    return -(-size // threads)


def _tails_in_memory_order(size, length, chunk, block):
    """The scalar tail of each piece of a loop over ``size`` elements in runs of ``length`` split into chunks of
    ``chunk`` elements (a piece: a run's elements within one chunk), flat, in memory order; None when empty."""
    tail = np.zeros(size, bool)  # (slices only: no index arithmetic over every element)
    for begin in range(0, size, chunk):
        end = min(begin + chunk, size)
        first = min(end, -(-begin // length) * length)  # the first run boundary from begin on
        last = max(first, end // length * length)  # the last one up to end
        _mark_tail(tail, begin, first, block)  # (the rest of a run the chunk starts inside)
        tail[first:last].reshape(-1, length)[:, length // block * block:] = True
        _mark_tail(tail, last, end, block)  # (the start of a run the chunk ends inside)
    return tail if tail.any() else None


def _mark_tail(tail, start, end, block):
    """Mark the scalar tail of the piece [start, end) of a loop: what is left after its whole blocks."""
    tail[start + (end - start) // block * block:end] = True


def scalar_tail_nans(x, vectors=1, others=()):
    """The NaNs of the floating input ``x`` that PyTorch's kernel meets in its scalar code (a mask; None if none),
    where a piecewise op's branch sends a NaN to the other side from its vector code's mask (see scalar_tail)."""
    if x.dtype not in (np.float16, np.float32, np.float64):
        return None
    nans = np.isnan(x)
    if not nans.any():
        return None
    tail = scalar_tail(x, vectors, others)
    return None if tail is None else nans & tail


def vectorised(array, vectors=1, others=(), grain_size=GRAIN_SIZE):
    """The complement of scalar_tail as a mask (all True when the scalar code takes no element)."""
    tail = scalar_tail(array, vectors, others, grain_size)
    return np.ones(array.shape, bool) if tail is None else ~tail


def kernel_exp(x, vectorised):
    """float32 e ** ``x`` as ATen's kernels take it: SLEEF's (``Vectorized<float>::exp``) where ``vectorised``,
    libm's (correctly rounded but for rare ties) elsewhere."""
    with np.errstate(over="ignore"):
        return np.where(vectorised, avx_mathfun.exp(x), np.exp(x.astype(np.float64)).astype(np.float32))


# Elements per piece of in_pieces: its temporaries (a few float64 arrays of it) stay in the L2 cache (sigmoid of
# 64x256x14x14 float32, ms: whole 33, pieces of 2048 42, 4096 21, 16384 16, 65536 19)
PIECE = 16384


def in_pieces(kernel, arrays, *args):
    """``kernel(*pieces, *args)`` for an element-wise ``kernel`` over matching flat slices of ``arrays`` (its inputs
    and preallocated outputs, all C-contiguous and of one size), a cache-sized piece at a time: NumPy's passes over
    whole large arrays run from memory, each temporary a new allocation."""
    flat = [array.reshape(-1) for array in arrays]
    for start in range(0, flat[0].size, PIECE):
        kernel(*(array[start:start + PIECE] for array in flat), *args)


def select(mask, a, b):
    """np.where(mask, a, b) for arrays of one float dtype and shape, bit by bit through integer masks: NumPy's
    where branches on each element, slow on a mask without runs (a sign test of normal draws: 2-3x)."""
    integers = np.dtype(f"i{a.itemsize}")
    ones = mask.astype(integers)
    np.negative(ones, out=ones)  # all ones where taken from a
    chosen = np.bitwise_and(a.view(integers), ones)
    np.invert(ones, out=ones)
    np.bitwise_and(b.view(integers), ones, out=ones)
    np.bitwise_or(chosen, ones, out=chosen)
    return chosen.view(a.dtype)
