"""Which elements of an element-wise ATen CPU kernel (``cpu_kernel_vec``) its scalar loop computes rather than its
vectorised one, for the kernels whose two lambdas round differently (a float16 one's scalar lambda may order its
products otherwise, or take a double).

TensorIterator merges the dims along which every operand is contiguous (its output is C-contiguous here) into rows;
a row whose elements are not adjacent in some operand runs one by one. Otherwise each row runs steps of ``vector``
elements from its start and its last ``length % vector`` elements one by one (measured against torch 2.13 on
AVX-512: steps of 32 float16 elements in smooth_l1 and huber's backward, of 64, two vectors, in gelu's); a single row
of more than ``GRAIN_SIZE`` elements is first split into ``get_num_threads()`` equal ranges (``parallel_for``), each
such.
"""
import math

import numpy as np

from . import avx_mathfun, parallel

GRAIN_SIZE = 32768  # at::internal::GRAIN_SIZE
_HALF_VECTOR = 32


def scalar_tail(shape, *operands, vector=_HALF_VECTOR):
    """A boolean array of ``shape``: True where the scalar loop computes the element, ``operands`` the kernel's
    inputs (broadcast to ``shape``)."""
    size = math.prod(shape)
    sizes = [n for n in shape if n != 1]  # (TensorIterator drops the dims of size 1)
    steps = [[s // op.itemsize for n, s in zip(shape, np.broadcast_to(op, shape).strides) if n != 1]
             for op in operands]
    if not size or any(step[-1] not in (0, 1) for step in steps if step):
        return np.full(shape, bool(size))  # (nothing, or every element one by one)
    row = sizes[-1] if sizes else 1
    for d in range(len(sizes) - 2, -1, -1):
        if any(step[d] != step[d + 1] * sizes[d + 1] for step in steps) or row * sizes[d] == 0:
            break
        row *= sizes[d]
    ranges = 1 if row < size or size < GRAIN_SIZE else min(parallel.get_num_threads(), -(-size // GRAIN_SIZE))
    length = -(-row // ranges)
    position = np.arange(size) % row
    start = position // length * length
    end = np.minimum(start + length, row)
    return (position >= end - (end - start) % vector).reshape(shape)


def kernel_exp(x, vectorised):
    """float32 e ** ``x`` as ATen's kernels take it: SLEEF's (``Vectorized<float>::exp``) where ``vectorised``,
    libm's (correctly rounded but for rare ties) elsewhere."""
    with np.errstate(over="ignore"):
        return np.where(vectorised, avx_mathfun.exp(x), np.exp(x.astype(np.float64)).astype(np.float32))
