"""torch.quasirandom: SobolEngine, Sobol' low-discrepancy sequences as PyTorch draws them.

The direction numbers are Joe and Kuo's (the 21201 dimensions PyTorch compiles into ATen, stored in
_data/sobol_direction_numbers.npz; see tests/fixtures/sobol). Points are the Gray-code sequence: point i is the
previous one XOR the direction numbers of the lowest zero bit of i. A scrambled engine draws its random shift and
its lower-triangular matrices from PyTorch's random stream, so that a seed gives PyTorch's points.
"""
import functools
import pathlib

import numpy as np

import torchless

__all__ = ["SobolEngine"]

_MAXBIT = 30
_DATA = pathlib.Path(__file__).parent / "_data" / "sobol_direction_numbers.npz"


@functools.lru_cache(maxsize=1)
def _table():
    """(primitive polynomials, degrees, start of each dimension's initial numbers, the initial numbers)."""
    with np.load(_DATA) as data:
        poly, initial = data["poly"].astype(np.int64), data["initial"].astype(np.int64)
    degrees = np.frexp(poly.astype(np.float64))[1].astype(np.int64) - 1  # bit_length - 1
    starts = np.concatenate([[0], np.cumsum(degrees)[:-1]])
    return poly, degrees, starts, initial


def _direction_numbers(dimension):
    """PyTorch's sobolstate (dimension, MAXBIT): the first dimension all ones, the others their initial numbers,
    then Bratley and Fox's recurrence over their polynomial; each column j scaled by 2^(MAXBIT - 1 - j)."""
    poly, degrees, starts, initial = _table()
    poly, degrees, starts = poly[:dimension], degrees[:dimension], starts[:dimension]
    state = np.zeros((dimension, _MAXBIT), np.int64)
    state[0] = 1
    rows = np.repeat(np.arange(dimension), degrees)
    columns = np.arange(len(rows)) - np.repeat(starts - starts[0], degrees)
    state[rows, columns] = initial[starts[0]:starts[0] + len(rows)]
    for j in range(1, _MAXBIT):
        rows = np.flatnonzero((degrees <= j) & (np.arange(dimension) > 0))
        if not len(rows):
            continue
        m, p = degrees[rows], poly[rows]
        value = state[rows, j - m]
        for k in range(int(m.max())):
            uses = (k < m) & (((p >> np.maximum(m - 1 - k, 0)) & 1) == 1)
            value ^= np.where(uses, state[rows, np.maximum(j - k - 1, 0)] << (k + 1), 0)
        state[rows, j] = value
    return state << np.arange(_MAXBIT - 1, -1, -1)


def _scrambled(state, lower_triangular):
    """PyTorch's _sobol_engine_scramble_: each direction number v of dimension d becomes the number whose bit
    (MAXBIT - 1 - p) is the parity of (row p of d's matrix, diagonal set, read as binary) AND v."""
    matrices = lower_triangular.copy()
    matrices[:, np.arange(_MAXBIT), np.arange(_MAXBIT)] = 1
    rows = (matrices << np.arange(_MAXBIT - 1, -1, -1)).sum(-1)  # (dimension, MAXBIT)
    parities = np.bitwise_count(rows[:, None, :] & state[:, :, None]) & 1  # (dimension, j, p)
    return (parities.astype(np.int64) << np.arange(_MAXBIT - 1, -1, -1)).sum(-1)


def _lowest_zero_bits(start, count):
    """For i = start, ..., start + count - 1: the index of i's lowest zero bit."""
    numbers = np.arange(start, start + count, dtype=np.int64)
    lowest_zero = ~numbers & (numbers + 1)
    return np.frexp(lowest_zero.astype(np.float64))[1] - 1


class SobolEngine:
    r"""Sobol' sequences of ``dimension`` (1 to 21201) dimensions, optionally scrambled (Owen's linear
    matrix scrambling and a digital shift, drawn with ``seed`` or from the default generator)."""

    MAXBIT = _MAXBIT
    MAXDIM = 21201

    def __init__(self, dimension, scramble=False, seed=None):
        if dimension > self.MAXDIM or dimension < 1:
            raise ValueError(f"Supported range of dimensionality for SobolEngine is [1, {self.MAXDIM}]")
        self.seed = seed
        self.scramble = scramble
        self.dimension = dimension
        state = _direction_numbers(dimension)
        if not self.scramble:
            self.shift = torchless.zeros(self.dimension, dtype=torchless.long)
        else:
            state = self._scramble(state)
        self.sobolstate = torchless.from_numpy(state)
        self.quasi = self.shift.clone(memory_format=torchless.contiguous_format)
        self._first_point = (self.quasi / 2 ** self.MAXBIT).reshape(1, -1)
        self.num_generated = 0

    def draw(self, n=1, out=None, dtype=None):
        """The next ``n`` points, (n, dimension), in ``dtype`` (the default float dtype when None)."""
        if dtype is None:
            dtype = torchless.get_default_dtype()
        if self.num_generated == 0:
            if n == 1:
                result = self._first_point.to(dtype)
            else:
                result = torchless.cat((self._first_point.to(dtype), self._next(n - 1, 0, dtype)), dim=-2)
        else:
            result = self._next(n, self.num_generated - 1, dtype)
        self.num_generated += n
        if out is not None:
            out.resize_as_(result).copy_(result)
            return out
        return result

    def draw_base2(self, m, out=None, dtype=None):
        """The next 2^m points; the count drawn so far must stay a power of 2."""
        n = 2 ** m
        total_n = self.num_generated + n
        if not (total_n & (total_n - 1) == 0):
            raise ValueError("The balance properties of Sobol' points require n to be a power of 2. "
                             f"{self.num_generated} points have been previously generated, then: "
                             f"n={self.num_generated}+2**{m}={total_n}. If you still want to do this, please use "
                             "'SobolEngine.draw()' instead.")
        return self.draw(n=n, out=out, dtype=dtype)

    def reset(self):
        """Back to the first point."""
        self.quasi.copy_(self.shift)
        self.num_generated = 0
        return self

    def fast_forward(self, n):
        """Skip ``n`` points."""
        start = 0 if self.num_generated == 0 else self.num_generated - 1
        count = n - 1 if self.num_generated == 0 else n
        self._walk(max(count, 0), start)
        self.num_generated += n
        return self

    def _walk(self, count, start):
        """Advance ``quasi`` by ``count`` points from point ``start``: the points passed, (count, dimension)."""
        columns = self.sobolstate._data[:, _lowest_zero_bits(start, count)].T  # (count, dimension)
        points = np.bitwise_xor.accumulate(columns, axis=0) ^ self.quasi._data
        if count:
            self.quasi._data[...] = points[-1]
        return points

    def _next(self, count, start, dtype):
        """PyTorch's _sobol_engine_draw: ``count`` points after point ``start`` as ``dtype`` (the integers
        rounded to it, then scaled by 2^-MAXBIT)."""
        if count < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {count}: [{count}, {self.dimension}]")
        np_dtype = torchless.empty(0, dtype=dtype)._data.dtype
        if np_dtype not in (np.float32, np.float64):
            raise NotImplementedError(f"\"_sobol_engine_draw\" not implemented for '{dtype.scalar_name}'")
        points = self._walk(count, start).astype(np_dtype) * np_dtype.type(1.0 / 2 ** self.MAXBIT)
        return torchless.from_numpy(np.ascontiguousarray(points))

    def _scramble(self, state):
        generator = None
        if self.seed is not None:
            generator = torchless.Generator()
            generator.manual_seed(self.seed)
        shift_ints = torchless.randint(2, (self.dimension, self.MAXBIT), generator=generator)
        self.shift = torchless.mv(shift_ints, torchless.pow(2, torchless.arange(0, self.MAXBIT)))
        lower_triangular = torchless.randint(2, (self.dimension, self.MAXBIT, self.MAXBIT), generator=generator).tril()
        return _scrambled(state, lower_triangular._data)

    def __repr__(self):
        fmt_string = [f"dimension={self.dimension}"]
        if self.scramble:
            fmt_string += ["scramble=True"]
        if self.seed is not None:
            fmt_string += [f"seed={self.seed}"]
        return self.__class__.__name__ + "(" + ", ".join(fmt_string) + ")"
