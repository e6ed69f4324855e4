"""Random number generation: one seedable default generator behind every random factory and initialiser.

The generator is PyTorch's CPU generator: a 32-bit Mersenne Twister seeded as PyTorch seeds it, whose words are
turned into numbers as PyTorch's CPU kernels turn them (below), so that after the same ``manual_seed`` the same
calls give PyTorch's numbers, bit for bit: ``rand``/``uniform_`` (and with them every default layer initialisation),
``randn``/``normal_`` (and the normal initialisations), ``randint``/``random_``, ``randperm`` (and with it the
DataLoader's shuffling and ``random_split``), ``bernoulli``/``bernoulli_`` and dropout, the exponential, geometric,
Cauchy, log-normal and Poisson draws. Only ``randperm`` past 2**32 / 20 values is NumPy's, from the same stream:
seeded, reproducible, but not PyTorch's numbers.
"""
import contextlib
import math
import sys

import numpy as np

from ._kernels import avx_mathfun, parallel, std_sort
from ._kernels.fma import fused_multiply_add32, fused_multiply_add64

_DEFAULT_SEED = 67280421310721  # PyTorch's default initial seed

# Random bits per uniform draw, by dtype: the mantissa's digits (PyTorch's uniform_real_distribution), float32's for
# float16 (drawn as a float32, then rounded).
_MANTISSA_DIGITS = {np.dtype(np.float16): 24, np.dtype(np.float32): 24, np.dtype(np.float64): 53}


class Generator:
    """A random stream (``torchless.Generator().manual_seed(0)``), usable as ``generator=`` argument."""

    def __init__(self, device="cpu"):
        self.device = _generator_device(device)
        self._seed_stream(_DEFAULT_SEED)

    def __repr__(self):  # PyTorch's Generator is a compiled class, which prints with its private module
        return f"<torchless._C.Generator object at {hex(id(self))}>"

    def manual_seed(self, seed):
        if type(seed) is not int:  # (its subclass bool too) PyTorch's binding takes a Python int only
            from .nn._functional._args import _tp_name

            kind = _tp_name(seed)  # (the C type's name: numpy.float32)
            raise TypeError("an integer is required") if isinstance(seed, np.integer) else \
                RuntimeError(f"manual_seed expected a long, but got {kind}")
        return self._seed_stream(_seed_word(seed))

    def _seed_stream(self, seed):
        self._seed = seed
        # The Mersenne Twister takes the low 32 bits, seeded as NumPy's legacy RandomState seeds it.
        legacy = np.random.RandomState(seed & 0xFFFFFFFF).get_state(legacy=False)
        self._bits = np.random.MT19937()
        self._bits.state = {"bit_generator": "MT19937", "state": legacy["state"]}
        self.numpy = np.random.Generator(self._bits)
        self._next_normal = None  # the second of a Box-Muller pair, kept for the next draw (PyTorch's cache)
        return self

    def seed(self):
        return self._seed_stream(np.random.SeedSequence().entropy & 0xFFFFFFFFFFFFFFFF)._seed

    def clone_state(self):
        """A new generator in this one's state: both continue with the same draws."""
        twin = Generator(self.device)
        twin.set_state(self.get_state())
        return twin

    def get_offset(self):
        raise RuntimeError("CPU Generator does not use offset")

    def set_offset(self, offset):
        raise RuntimeError("CPU Generator does not use offset")

    def graphsafe_get_state(self):
        raise NotImplementedError("graphsafe_get_state is not supported in this Generator")

    def graphsafe_set_state(self, state):
        raise NotImplementedError("graphsafe_set_state is not supported in this Generator")

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The stream's state as a uint8 tensor in PyTorch's layout (its CPU generator's 5056 bytes), so that a
        state saved by either library restores in the other."""
        from ._tensor import Tensor

        state = self._bits.state["state"]
        position = int(state["pos"])
        raw = np.zeros(_STATE_BYTES, np.uint8)
        raw[0:8] = np.array([self._seed], np.uint64).view(np.uint8)
        # PyTorch counts down the words left before the next twist (1: twist first) and up the next word's index
        left, following = (1, 0) if position >= 624 else (625 - position, position)
        raw[8:16] = np.array([left, 1], np.int32).view(np.uint8)  # left, seeded
        raw[16:24] = np.array([following], np.uint64).view(np.uint8)
        raw[24:5016] = np.asarray(state["key"], np.uint64).view(np.uint8)
        if self._next_normal is not None:
            raw[5024:5032] = np.array([self._next_normal], np.float64).view(np.uint8)  # normal_y
            raw[5040:5044] = np.array([1], np.int32).view(np.uint8)  # normal_is_valid
        return Tensor._wrap(raw)

    def set_state(self, state):
        raw = _state_bytes(state)
        left, seeded = (int(n) for n in raw[8:16].view(np.int32))
        following = int(raw[16:20].view(np.uint32)[0])  # PyTorch keeps the low 32 bits of the saved uint64
        if not (seeded and 1 <= left <= 624 and following <= 624):
            raise RuntimeError("Invalid mt19937 state")
        position = 624 if left == 1 else following
        key = raw[24:5016].view(np.uint64).astype(np.uint32)
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": position}}
        self._seed = int(raw[0:8].view(np.uint64)[0])
        valid = int(raw[5040:5044].view(np.int32)[0])
        self._next_normal = float(raw[5024:5032].view(np.float64)[0]) if valid else None
        return self

    def __reduce__(self):
        # PyTorch's pickled form (its device, then seed, offset and state), which either library unpickles
        return type(self), (self.device,), (self.initial_seed(), None, self.get_state())

    def __setstate__(self, state):
        seed, offset, stream_state = state
        self.manual_seed(seed)
        if offset is not None:
            self.set_offset(offset)
        self.set_state(stream_state)

    # ------------------------------------------------------------------ PyTorch's draws
    def words(self, count):
        """``count`` 32-bit words of the stream (as uint64), PyTorch's ``random()``."""
        return self._bits.random_raw(count)

    def _narrow_words(self, count):
        """words(count), as uint32 from _WORD_PAIRS_IN_HALVES on (the same words: half the memory, and uint32
        arithmetic on them, a remainder twice as fast)."""
        if count < _WORD_PAIRS_IN_HALVES:
            return self._bits.random_raw(count)
        return self.numpy.integers(0, 2**32, size=count, dtype=np.uint32)

    def long_words(self, count, high_mask=None):
        """``count`` 64-bit words, each of two 32-bit ones (the first the high half), PyTorch's ``random64()``;
        with ``high_mask``, only those bits of each first word kept."""
        if count < _WORD_PAIRS_IN_HALVES or sys.byteorder != "little":
            pairs = self._bits.random_raw(2 * count).reshape(count, 2)
            high = pairs[:, 0] if high_mask is None else pairs[:, 0] & np.uint64(high_mask)
            return (high << np.uint64(32)) | pairs[:, 1]
        # Drawn as uint32 (the same words as random_raw's uint64s, in half the memory), each pair read as one
        # native word, the first in its low half, whose halves are then swapped in place: a million 3x faster
        pairs = self.numpy.integers(0, 2**32, size=2 * count, dtype=np.uint32).view(np.uint64)
        high = np.bitwise_and(pairs, np.uint64(0xFFFFFFFF if high_mask is None else high_mask))
        high <<= np.uint64(32)
        pairs >>= np.uint64(32)
        pairs |= high
        return pairs

    def unit_uniforms(self, count, dtype):
        """``count`` uniforms on [0, 1) with ``dtype``'s mantissa of random bits (53 from a 64-bit word, the others
        from a 32-bit one), exact in float64."""
        digits = _MANTISSA_DIGITS.get(np.dtype(dtype), 24)  # (bfloat16: float32's)
        return self._mantissa_integers(count, digits).astype(np.float64) * 2.0 ** -digits

    def _unit_uniforms_in(self, count, dtype, work):
        """unit_uniforms(count, dtype) as an array of ``work``, a float type that holds them exactly (converted
        from their integers, in one pass fewer than through float64)."""
        digits = _MANTISSA_DIGITS.get(np.dtype(dtype), 24)  # (bfloat16: float32's)
        values = np.empty(count, work)
        for piece in self._mantissa_pieces(values, digits):
            piece *= work(2.0 ** -digits)
        return values

    def _float64_uniform_list(self, count):
        """unit_uniforms(count, float64) as a list of floats, in Python's integers (for a few: NumPy's five passes
        over a small array cost twice as much)."""
        words = self._bits.random_raw(2 * count).tolist()
        return [((high << 32 | low) & _MANTISSA_MASK_53) * _ULP_53 for high, low in zip(words[::2], words[1::2])]

    def _mantissa_pieces(self, out, digits):
        """Fills ``out`` (1-D) with the integers k of uniforms k / 2**digits, in pieces: yields each piece once
        filled, to be transformed while in the cache. (Words and conversions of a whole large fill at once cost more
        in new memory's page faults than they do themselves: 10**8 words, CPU 0.67 s at once, 0.26 s in pieces.)"""
        for start in range(0, out.size, _UNIFORM_PIECE):
            piece = out[start:start + _UNIFORM_PIECE]
            piece[...] = self._mantissa_integers(piece.size, digits)
            yield piece

    def _mantissa_integers(self, count, digits):
        """The integers k of ``count`` uniforms k / 2**digits (int64 or uint32: converted to float faster than
        uint64)."""
        if digits == 53:
            return self.long_words(count, (1 << 21) - 1).view(np.int64)
        words = self._narrow_words(count)
        np.bitwise_and(words, words.dtype.type((1 << digits) - 1), out=words)
        return words.view(np.int64) if words.dtype == np.uint64 else words

    def uniform(self, shape, dtype, low=0.0, high=1.0):
        """``uniform_(low, high)``: x * (high - low) + low; for float16 and float32 with float32 bounds, in float32
        with one rounding of the multiply-add (PyTorch's kernel fuses it: measured, separate roundings differed from
        it in half of the values), then rounded to float16. A value that rounds to ``high`` in the dtype is ``low``
        instead, as PyTorch keeps its draws below ``high``."""
        dtype = np.dtype(dtype)
        if dtype == np.float64:
            values, span = self.unit_uniforms(math.prod(shape), dtype), high - low
            if low == 0 or (math.frexp(span)[0] == 0.5 and 2.0 ** -960 < span < 2.0 ** 1000):
                # one rounding either way, as the fused multiply-add's: u * span is exact for a power of two (u has
                # 53 bits at most, no value gets subnormal), and plus 0 adds nothing
                values *= span
                values += low
            else:
                values = fused_multiply_add64(values, span, low)
            values[values == dtype.type(high)] = dtype.type(low)
            return values.reshape(shape)
        count = math.prod(shape)
        if dtype == np.float32 and low == 0 and high == 1 and count <= _UNIFORM_PIECE:
            # (rand: k / 2**24 with k < 2**24, exact in float32 from k's float32 as from the float64 fill below,
            # and below 1: the same values, in two passes rather than a dozen)
            values = self._mantissa_integers(count, 24).astype(np.float32)
            values *= np.float32(2.0 ** -24)
            return values.reshape(shape)
        digits = _MANTISSA_DIGITS.get(dtype, 24)  # (bfloat16 too: float32's draws, rounded)
        low32, high32 = np.float32(low), np.float32(high)
        span = np.float64(high32 - low32)  # rounded to float32 first, as the kernel subtracts
        # k / 2**digits * span + low with k < 2**24: the product is exact in float64 (24-bit times 24-bit mantissas,
        # the power of two taken with span's), so that the float32 rounding below is the only one, as a fused
        # multiply-add's
        values = np.empty(count, dtype)
        work = np.empty(min(values.size, _UNIFORM_PIECE), np.float64)  # (in pieces: see _mantissa_pieces)
        for start in range(0, values.size, _UNIFORM_PIECE):
            x = work[:min(_UNIFORM_PIECE, values.size - start)]
            x[...] = self._mantissa_integers(x.size, digits)
            x *= span * 2.0 ** -digits
            x += np.float64(low32)
            values[start:start + x.size] = x.astype(np.float32)
        # (rounding is monotonic: when the largest draw's value is below high, no value needs the comparison's pass)
        largest = dtype.type(np.float32((1 - 2.0 ** -digits) * span + np.float64(low32)))
        if not largest < dtype.type(high):
            values[values == dtype.type(high)] = dtype.type(low)
        return values.reshape(shape)

    def normal(self, shape, dtype, mean=0.0, std=1.0, serial=False):
        """``normal_(mean, std)``: from 16 values on, uniforms turned into normals in blocks of 16 by Box-Muller
        (the last 16 values redrawn and transformed again when the count is not a multiple of 16); fewer, or
        ``serial`` ones (PyTorch's path for a tensor not contiguous), are drawn one by one, in float64, each
        pair's second value kept for the next draw."""
        dtype = np.dtype(dtype)
        count = math.prod(shape)
        bfloat16 = dtype.kind == "V"
        if count < 16 or serial:
            values = self._serial_normals(count) * std + mean
            # (bfloat16 converts from float: rounded twice, as PyTorch's double's cast through float)
            return (values.astype(np.float32) if bfloat16 else values).astype(dtype).reshape(shape)
        work = np.float64 if dtype == np.float64 else np.float32
        blocks = count // 16
        # float16 and bfloat16 are filled through a float32 buffer that draws only the whole blocks' uniforms first,
        # transformed by float32's kernel (measured: PyTorch's values to the bit)
        values = self._unit_uniforms_in(blocks * 16 if dtype == np.float16 or bfloat16 else count, dtype, work)
        values.resize(count, refcheck=False)
        transform = _box_muller_blocks_float64 if dtype == np.float64 else _box_muller_blocks_float32
        if count % 16 and blocks <= _JOINED_TAIL_BLOCKS:
            # the tail's row transformed with the blocks (rows are independent): one call's fixed cost, not two
            rows = np.concatenate([values[:blocks * 16], self._unit_uniforms_in(16, dtype, work)]).reshape(-1, 16)
            transform(rows, mean, std)
            values[:blocks * 16] = rows[:blocks].reshape(-1)
            values[count - 16:] = rows[blocks]
            return values.astype(dtype, copy=False).reshape(shape)
        transform(values[:blocks * 16].reshape(blocks, 16), mean, std)
        if count % 16:
            tail = self._unit_uniforms_in(16, dtype, work)
            transform(tail.reshape(1, 16), mean, std)
            values[count - 16:] = tail
        return values.astype(dtype, copy=False).reshape(shape)

    def _serial_normals(self, count):
        """``count`` float64 normals as drawn one by one: a cached value first, then Box-Muller pairs (r cos t,
        r sin t), an odd count's last sine kept for the next draw."""
        values = []
        if count and self._next_normal is not None:
            values.append(self._next_normal)
            self._next_normal = None
        pairs = (count - len(values) + 1) // 2
        if pairs > _SERIAL_PAIRS_IN_PYTHON:
            # libm's log1p, as the one-by-one draw (NumPy's differs in the last bit); NumPy's sqrt, sin and cos agree
            # with libm's on [0, 2 pi) (4 million angles measured), in whole arrays
            uniforms = self.unit_uniforms(2 * pairs, np.float64).reshape(pairs, 2)
            radius = np.sqrt(-2.0 * _libm(math.log1p, -uniforms[:, 1]))
            theta = (2.0 * math.pi) * uniforms[:, 0]
            drawn = np.empty((pairs, 2))
            np.multiply(radius, np.cos(theta), out=drawn[:, 0])
            np.multiply(radius, np.sin(theta), out=drawn[:, 1])
            drawn = drawn.reshape(-1)
            if drawn.size + len(values) > count:
                self._next_normal = float(drawn[-1])
            return np.concatenate([values, drawn[:count - len(values)]])
        if pairs:
            # (for a few, Python's floats: NumPy's passes over small arrays cost more)
            uniforms = self._float64_uniform_list(2 * pairs)
            sqrt, log1p, cos, sin, two_pi = math.sqrt, math.log1p, math.cos, math.sin, 2.0 * math.pi
            for theta_u, radius_u in zip(uniforms[::2], uniforms[1::2]):
                radius, theta = sqrt(-2.0 * log1p(-radius_u)), two_pi * theta_u
                values += (radius * cos(theta), radius * sin(theta))
            if len(values) > count:
                self._next_normal = values.pop()
        return np.array(values, np.float64)

    def _one_normal(self):
        cached, self._next_normal = self._next_normal, None
        if cached is not None:
            return cached
        u1, u2 = self.unit_uniforms(2, np.float64)
        radius = math.sqrt(-2.0 * math.log1p(-u2))
        theta = 2.0 * math.pi * u1
        self._next_normal = radius * math.sin(theta)
        return radius * math.cos(theta)

    def integers(self, low, high, shape, wide_from=2**28):
        """``randint``/``random_(low, high)``: a word modulo the range, plus low; 64-bit words for ranges of
        ``wide_from`` and more (PyTorch's 2**28 for a range given, 2**32 for ``random_()``'s dtype-wide one: its
        64-bit types' ranges, which reach it, take them), 32-bit ones otherwise."""
        span = high - low
        count = math.prod(shape)
        if span >= 2**64:  # int64's whole range: the word itself
            return self.long_words(count).view(np.int64).reshape(shape)
        words = self.long_words(count) if span >= wide_from else self._narrow_words(count)
        words %= words.dtype.type(span)
        values = words.astype(np.int64)
        values += low
        return values.reshape(shape)

    def permutation(self, n):
        """``randperm(n)``: 0..n-1 shuffled by PyTorch's swaps (position i with i + a word modulo n - i)."""
        if n >= 2**32 // 20:  # PyTorch switches to another algorithm there; this one's stream is not PyTorch's
            return self.numpy.permutation(n)
        words = self._narrow_words(max(n - 1, 0))
        offsets = words % np.arange(n, 1, -1, dtype=words.dtype)
        if n <= _SWAPS_IN_PYTHON:
            order = list(range(n))
            for i, offset in enumerate(offsets.tolist()):
                j = i + offset
                order[i], order[j] = order[j], order[i]
            return np.array(order, np.int64)
        return _permutation_of_swaps(offsets.astype(np.int64, copy=False))

    def exponential(self, shape, dtype, rate=1.0):
        """``exponential_(rate)``: -log(1 - u) / rate of a float64 uniform u, in float64, then rounded."""
        u = self.unit_uniforms(math.prod(shape), np.float64)
        return (-1.0 / rate * _libm(math.log1p, -u)).astype(dtype).reshape(shape)

    def geometric(self, shape, p):
        """``geometric_(p)``: ceil(log(u) / log(1 - p)) of a float64 uniform u."""
        u = self.unit_uniforms(math.prod(shape), np.float64)
        with np.errstate(divide="ignore"):  # u = 0 gives an infinite count, as PyTorch's
            return np.ceil(np.log(u) / np.log1p(-p)).reshape(shape)

    def cauchy(self, shape, median, sigma):
        """``cauchy_(median, sigma)``: median + sigma tan(pi (u - 1/2)) of a float64 uniform u."""
        u = self.unit_uniforms(math.prod(shape), np.float64)
        return (median + sigma * _libm(math.tan, np.pi * (u - 0.5))).reshape(shape)

    def log_normal(self, shape, mean, std):
        """``log_normal_(mean, std)``: exp(mean + std z), z drawn one by one as the small normal draws are."""
        z = self._serial_normals(math.prod(shape))
        return _libm(math.exp, fused_multiply_add64(z, std, mean)).reshape(shape)

    def poisson(self, rates):
        """``poisson(rates)``: PyTorch's sample_poisson for each rate in order (after NumPy's legacy sampler):
        Knuth's product of uniforms below rate 10, Hormann's transformed rejection (PTRS) from 10 on, with float64
        uniforms and libm's functions."""
        counts = self.sequential_samples(lambda uniform: [_poisson_count(rate, uniform)
                                                          for rate in rates.ravel().tolist()], rates.size)
        return np.array(counts, np.float64).reshape(rates.shape)

    def sequential_samples(self, sample, size):
        """``sample(uniform)``, whose samples take a varying number of float64 uniforms ``uniform()`` each: the
        draws are read ahead from a copy of the stream, which then moves on by as many as were used."""
        start = self._bits.state
        block = max(64, 2 * size)
        supply, used = self.unit_uniforms(block, np.float64).tolist(), 0

        def uniform():
            nonlocal supply, used
            if used == len(supply):
                supply += self.unit_uniforms(block, np.float64).tolist()
            used += 1
            return supply[used - 1]

        samples = sample(uniform)
        self._bits.state = start
        self._bits.random_raw(2 * used)
        return samples

    def bernoulli(self, shape, p):
        """1 where a float64 uniform is below the number ``p`` (``bernoulli_(p)``, dropout's masks): u = k / 2**53
        for the 53-bit integer k of a 64-bit word, so u < p exactly when k < ceil(p 2**53), compared as integers
        (no float conversion: dropout's masks are large)."""
        count = math.prod(shape)
        # The words as uint32 (the same stream as random_raw's uint64s, in half the memory), and k < threshold
        # compared by halves: the high halves decide but where they tie (one draw in 2**21), then the low ones.
        pairs = self.numpy.integers(0, 2**32, size=(count, 2), dtype=np.uint32)
        high = pairs[:, 0] & np.uint32(2**21 - 1)  # the high word's low 21 bits, then the low word
        threshold_high, threshold_low = divmod(math.ceil(p * 2.0**53), 2**32)
        drawn = high < threshold_high
        ties = np.nonzero(high == threshold_high)[0]  # (np.flatnonzero's wrapper, for a 1-D array)
        if ties.size:
            drawn[ties] = pairs[ties, 1] < threshold_low
        return drawn.reshape(shape)

    def bernoulli_from(self, probabilities):
        """1 where a uniform is below each probability (``bernoulli(p_tensor)``): for float64 probabilities a
        float64 uniform of a 64-bit word, compared in float64; for the others a float32 one, compared in float32."""
        wide = probabilities.dtype == np.float64
        dtype = np.float64 if wide else np.float32
        draws = self.unit_uniforms(probabilities.size, dtype).astype(dtype).reshape(probabilities.shape)
        return draws < probabilities.astype(dtype)


# Up to this many values randperm's swaps run one by one (a Python loop); past it, _permutation_of_swaps's dozen
# NumPy passes cost less (measured: even at about 400; 1000 values 2.4x faster, a million 50x)
_SWAPS_IN_PYTHON = 400


def _permutation_of_swaps(offsets):
    """The array 0..n-1 after PyTorch's swaps (position i with j_i = i + offsets[i], for i = 0..n-2, in order), in
    NumPy passes rather than n dependent steps.

    Step i moves the value then at j_i to position i, which no later step touches, and the value at i to j_i. So,
    with V(m) the value at position m when step m comes (what step m sends to j_m): the value at a position q >= i
    when step i comes is V(m) for the last step m < i that sent one to q (j_m = q), or q itself if none did. Hence
    V(q) = V(P(q)) with P(q) the last step m < q with j_m = q (q if none: the roots of a forest of pointers to
    smaller indices, found by pointer jumping), and the result at i is V(m) for the last step m < i with j_m = j_i,
    or j_i if none (the last position taking j = n - 1, its own). Both "last steps" are neighbours in the steps
    sorted by (target, index)."""
    n = offsets.size + 1
    targets = np.empty(n, np.int64)
    np.add(offsets, np.arange(n - 1), out=targets[:n - 1])
    targets[n - 1] = n - 1
    bits = (n - 1).bit_length()
    # (target, index) pairs as one integer each, whose (unstable, faster) sort is the pairs' order
    keys = np.sort((targets << bits) | np.arange(n))
    steps, landed = keys & ((1 << bits) - 1), keys >> bits
    repeated = np.flatnonzero(landed[1:] == landed[:-1])  # a step at repeated + 1 has an earlier one at repeated
    # P(q): the last step of each target q that is not q's own (which, j_q >= q, comes last when there)
    moved = steps != landed
    moved_steps, moved_landed = steps[moved], landed[moved]
    last = np.ones(moved_landed.size, bool)  # (none when no step moved: every offset 0)
    last[:-1] = moved_landed[1:] != moved_landed[:-1]
    root = np.arange(n)
    root[moved_landed[last]] = moved_steps[last]
    while True:
        jumped = root[root]
        if np.array_equal(jumped, root):
            break
        root = jumped
    targets[steps[repeated + 1]] = root[steps[repeated]]
    return targets


_STATE_BYTES = 5056  # PyTorch's CPUGeneratorImplState
_MANTISSA_MASK_53, _ULP_53 = (1 << 53) - 1, 2.0 ** -53
_UNIFORM_PIECE = 1 << 16  # uniforms drawn and converted at a time (Generator._mantissa_pieces)
# Up to this many Box-Muller pairs, Generator._serial_normals computes them in Python's floats, past it in arrays
_SERIAL_PAIRS_IN_PYTHON = 32
_WORD_PAIRS_IN_HALVES = 4096  # from this many, Generator.long_words draws uint32 halves (fewer: its fixed cost more)
# Up to this many blocks a normal draw's tail row is copied beside them and transformed in the same call (the
# transform's ~100 NumPy calls cost more than the copy: randn(17) 2x faster)
_JOINED_TAIL_BLOCKS = 256


# Box-Muller in blocks (PyTorch's normal_fill_16): each row of 16 uniforms u becomes 16 normals, in place, with
# r = sqrt(-2 log(1 - u[j])) and t = 2 pi u[j + 8], r cos t at j and r sin t at j + 8, then times std plus mean.
#
# Rows of 16 transformed at a time by the float32 kernel, whose ~100 passes over temporaries then stay in the cache
# (randn of a million values, CPU ms: 128 rows 135, 512 69, 1024 57, 2048 53, 4096 54); the pieces are independent,
# so a large fill's are shared by the cores (parallel.run_shards: each thread claims the next piece left).
_FLOAT32_BLOCK_ROWS = 2048
# What transforming one value costs, in parallel.py's units (about 40 element-wise passes): fills from about 65,000
# values (two pieces) are split
_BOX_MULLER_FLOP_PER_VALUE = 40 * parallel.ELEMENTWISE_PASS_FLOP


def _box_muller_blocks_float32(blocks, mean, std):
    """float32: PyTorch's vectorised kernel, its polynomial log and sincos and its fused multiply-adds."""
    mean, std = np.float32(mean), np.float32(std)
    pieces = [(blocks[start:start + _FLOAT32_BLOCK_ROWS], mean, std)
              for start in range(0, blocks.shape[0], _FLOAT32_BLOCK_ROWS)]
    if parallel.shard_count(len(pieces), blocks.size * _BOX_MULLER_FLOP_PER_VALUE) > 1:
        parallel.run_shards(_box_muller_rows_float32, pieces)
    else:
        for piece in pieces:
            _box_muller_rows_float32(*piece)


def _box_muller_rows_float32(rows, mean, std):
    radius = np.sqrt(np.float32(-2) * avx_mathfun.log(np.float32(1) - rows[:, :8]))
    sin_theta, cos_theta = avx_mathfun.sincos(np.float32(2 * math.pi) * rows[:, 8:])
    if std == 1 and mean == 0:  # (randn) r * 1 + 0, rounded once, is r + 0 exactly: -0 becomes +0
        rows[:, 8:] = radius * sin_theta + np.float32(0)
        rows[:, :8] = radius * cos_theta + np.float32(0)
    else:
        rows[:, 8:] = fused_multiply_add32(radius * sin_theta, std, mean)
        rows[:, :8] = fused_multiply_add32(radius * cos_theta, std, mean)


def _box_muller_blocks_float64(blocks, mean, std):
    """float64: PyTorch's scalar loop, with libm's log (NumPy's sin and cos agree with libm's) and
    ``r cos t * std + mean`` fused."""
    radius = np.sqrt(-2 * _libm(math.log, 1 - blocks[:, :8]))
    theta = 2.0 * math.pi * blocks[:, 8:]
    blocks[:, 8:] = fused_multiply_add64(radius * np.sin(theta), std, mean)
    blocks[:, :8] = fused_multiply_add64(radius * np.cos(theta), std, mean)




def _libm(function, values):
    """A ``math`` function (C's libm, which PyTorch's scalar kernels call) over float64 ``values``: NumPy's
    vectorised log, log1p, exp and tan differ from it in the last bit of about one value in a few hundred."""
    flat = np.fromiter(map(function, np.ravel(values).tolist()), np.float64, np.size(values))
    return flat.reshape(np.shape(values))


def _poisson_count(rate, uniform):
    """One Poisson count of ``rate`` from the float64 uniforms ``uniform()`` returns, as PyTorch samples it."""
    if rate >= 10:
        root, log_rate = math.sqrt(rate), math.log(rate)
        b = 0.931 + 2.53 * root
        a = -0.059 + 0.02483 * b
        inverse_alpha = 1.1239 + 1.1328 / (b - 3.4)
        v_r = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = uniform() - 0.5
            v = uniform()
            u_s = 0.5 - abs(u)
            k = math.floor((2 * a / u_s + b) * u + rate + 0.43)
            if u_s >= 0.07 and v <= v_r:
                return k
            if k < 0 or (u_s < 0.013 and v > u_s):
                continue
            if (math.log(v) + math.log(inverse_alpha) - math.log(a / (u_s * u_s) + b)
                    <= -rate + k * log_rate - math.lgamma(k + 1)):
                return k
    if rate == 0:
        return 0
    threshold, product, count = math.exp(-rate), 1.0, 0
    while True:
        product *= uniform()
        if product <= threshold:
            return count
        count += 1


def float_random_range(low, high, digits):
    """PyTorch's random_ range [low, high) for a float dtype of ``digits`` mantissa digits (its update_from and
    update_to): a bound whose neighbour inside the range rounds, in the dtype, onto or past it moves inwards by that
    neighbour's rounding step. ``high`` None: only ``low`` (the range then ends at 2**digits)."""
    below_low = _rounded_to_digits(low + 1, digits)
    if below_low < low:
        low = below_low + (1 << (abs(low + 1).bit_length() - 1 - digits + 1))
    if high is None:
        if low >= 1 << digits:
            raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' casted to "
                               f"dtype, but got from={low} > to_inc={1 << digits}")
        return low, None
    above_high = _rounded_to_digits(high - 1, digits)
    if above_high >= high:
        high = above_high - (1 << (abs(high - 1).bit_length() - 1 - digits + 1))
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but got "
                           f"from={low} >= to={high}")
    return low, high


def _rounded_to_digits(value, digits):
    """The integer ``value`` rounded to ``digits`` significant bits, ties to even (a float's conversion of it)."""
    shift = abs(value).bit_length() - digits
    if shift <= 0:
        return value
    kept, rest = divmod(abs(value), 1 << shift)
    half = 1 << (shift - 1)
    if rest > half or (rest == half and kept & 1):
        kept += 1
    return (kept << shift) * (1 if value >= 0 else -1)


def _seed_word(seed):
    """A seed as the unsigned 64-bit word PyTorch keeps: negative seeds wrap, and seeds outside
    [-2**63, 2**64) do not fit PyTorch's integer conversion."""
    if not -(1 << 63) <= seed < (1 << 64):
        raise ValueError("Overflow when unpacking long long")
    return seed & 0xFFFFFFFFFFFFFFFF


def _state_bytes(state):
    """The bytes of an RNG state tensor, refused as PyTorch refuses states that are not contiguous uint8 CPU tensors
    of its generator's size."""
    from ._tensor import Tensor

    if not isinstance(state, Tensor):
        raise TypeError(f"expected a torchless.ByteTensor, but got {type(state).__name__}")
    if state._data.dtype != np.uint8:
        raise TypeError("RNG state must be a torchless.ByteTensor")
    if not state.is_contiguous():
        raise RuntimeError("RNG state must be contiguous")
    raw = np.ascontiguousarray(state._data).reshape(-1)
    if raw.size != _STATE_BYTES:
        raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but found the input RNG state "
                           f"size to be {raw.size}")
    return raw


# What a CPU-only PyTorch raises for a generator on a device type other than the CPU (by default, that it is none)
_NO_GENERATOR = {
    "xpu": "Cannot get XPU generator without ATen_xpu library.",
    "xla": "Cannot get XLA generator without torch_xla library. This error has occurred because you are trying to use "
           "some XLA functionality, but the XLA library has not been loaded by the dynamic linker. You must load xla "
           "libraries by `import torch_xla`",
    "mps": "Cannot execute getNewGenerator() without MPS backend.",
    "mtia": "Cannot execute getNewGenerator() without MTIA backend.",
    "hip": "Backend doesn`t support getNewGenerator()",
    "hpu": "Backend doesn`t support getNewGenerator()",
    "privateuseone": "Please register PrivateUse1HooksInterface by `RegisterPrivateUse1HooksInterface` first.",
}


def _generator_device(where):
    """The device of ``Generator(where)``: the CPU (without an index, as PyTorch reports it), or PyTorch's error for
    a device it has no generator for."""
    from . import _dtype
    from ._device import device

    where = device("cpu" if where is None else where)
    if where.type == "cpu":
        return device("cpu")
    if where.type == "cuda":
        raise RuntimeError(_dtype.NO_CUDA_LIBRARY.replace("initialize CUDA", "get CUDA generator"))
    raise RuntimeError(_NO_GENERATOR.get(where.type, f"{where.type.upper()} device type not an accelerator."))


default_generator = Generator()
# PyTorch seeds its default generator from the OS at start-up (a new Generator() gets the fixed default seed): an
# unseeded program draws other numbers on each run, and processes it starts with spawn draw their own.
default_generator.seed()


def manual_seed(seed):
    """Seed the default generator: every random factory and default initialisation after it is reproducible."""
    return default_generator.manual_seed(int(seed))  # PyTorch's int(): floats, strings of digits and tensors too


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type=None):
    """Restore the default generator's state on leaving the block: draws inside it leave the stream outside
    unchanged (there are no other devices' generators to fork)."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


# The randomness modes of the vmaps running, innermost last (torchless.func.vmap): "error" refuses every draw
vmap_randomness = []


def _refuse_draws_in_vmap(parameters=()):
    """vmap's refusal of random draws in its "error" mode, and in its "same" mode of draws from distributions whose
    ``parameters`` (tensors: a mean, probabilities) are mapped over: one draw cannot serve every sample then."""
    if "error" in vmap_randomness:  # (a draw reaches every vmap level: an outer one in error mode refuses it too)
        raise RuntimeError("vmap: called random operation while in randomness error mode. Please either use the "
                           "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
                           "of vmap")
    if vmap_randomness and vmap_randomness[-1] == "same" and parameters:
        from .autograd import forward_ad

        if any(forward_ad.batched(tensor) for tensor in parameters):
            raise RuntimeError("Vmap does not currently support same randomness with a batched tensor input. Please "
                               "file an issue with functorch")


def stream(generator=None, parameters=()):
    """``generator``, or the default one: the source of PyTorch's draws (Generator.uniform, .normal, ...).
    ``parameters``: the tensors the draws' distribution takes its parameters from (see _refuse_draws_in_vmap)."""
    if vmap_randomness:
        _refuse_draws_in_vmap(parameters)
    return generator if generator is not None else default_generator


def draw_values(draw, shape, dtype, *args, **kwargs):
    """``draw(shape, dtype, *args, **kwargs)`` (a Generator's uniform or normal); for a complex dtype, PyTorch's
    draws of its real and imaginary parts side by side (a real array of shape (*shape, 2)) as complex numbers."""
    dtype = np.dtype(dtype)
    if dtype.kind != "c":
        return draw(shape, dtype, *args, **kwargs)
    parts = draw(tuple(shape) + (2,), np.float32 if dtype == np.complex64 else np.float64, *args, **kwargs)
    return np.ascontiguousarray(parts).view(dtype)[..., 0]


def memory_order(array):
    """The axes of ``array`` from outermost to innermost in the layout ``empty_like`` gives a tensor like it (dense,
    its strides' order kept), in which PyTorch's elementwise draws into such a tensor follow memory, not the index
    order; None for a row-major array. The order is PyTorch's infer_dense_strides': a stable insertion sort by
    stride (the smaller size first on a tie), leaving broadcast (zero-stride) axes where they fall."""
    if array.flags.c_contiguous:
        return None
    shape, strides = array.shape, array.strides

    def should_swap(a, b):  # > 0: axis a, now inside axis b, belongs outside it
        if strides[a] == 0 or strides[b] == 0:
            return 0
        if strides[a] != strides[b]:
            return 1 if strides[a] > strides[b] else -1
        return 1 if shape[a] > shape[b] else 0

    from ._memory_format import innermost_first

    return innermost_first(array.ndim, should_swap)[::-1]


def draw_like(array, draw):
    """``draw(shape)`` for an array shaped and laid out as ``array``: the draws fill it in memory order."""
    order = memory_order(array)
    if order is None:
        return draw(array.shape)
    return draw(tuple(array.shape[axis] for axis in order)).transpose(np.argsort(order))


def normal_like(tensor, mean=0.0, std=1.0, generator=None):
    """``tensor.normal_(mean, std)``'s values: drawn in memory order, one by one (PyTorch's serial path) when the
    tensor is not contiguous."""
    serial = not tensor.is_contiguous()
    if tensor._data.dtype.kind == "c":  # each part's spread, as in PyTorch
        std = std / math.sqrt(2)
    return draw_like(tensor._data, lambda shape: draw_values(stream(generator).normal, shape, tensor._data.dtype, mean,
                                                             std, serial=serial))


def numpy_rng(generator=None):
    """The NumPy generator behind ``generator`` (or the default one)."""
    if vmap_randomness:
        _refuse_draws_in_vmap()
    return (generator or default_generator).numpy


# ---------------------------------------------------------------------------- sampling functions
# torchless.normal, bernoulli, multinomial and poisson: the samples come from this module's generators (not PyTorch's
# stream); shapes, dtypes, argument errors and the zero-gradient nodes PyTorch records are PyTorch's.
_NORMAL_OVERLOADS = (
    "Tensor mean, Tensor std, *, torchless.Generator generator = None, Tensor out = None",
    "Tensor mean, float std = 1, *, torchless.Generator generator = None, Tensor out = None",
    "float mean, Tensor std, *, torchless.Generator generator = None, Tensor out = None",
    "float mean, float std, tuple of ints size, *, torchless.Generator generator = None, Tensor out = None, "
    "torchless.dtype dtype = None, torchless.layout layout = None, torchless.device device = None, bool pin_memory = False, "
    "bool requires_grad = False",
)


def _random_node(name, kernel, *tensors):
    """``kernel(*arrays)`` as a node named ``name`` passing zero gradients back, as PyTorch's random ops do."""
    from ._ops.arithmetic import ZeroGradient
    from ._tensor import Tensor
    from .autograd.graph import records

    if records(*tensors):
        return ZeroGradient.apply(*tensors, kernel=kernel, name=name)
    return Tensor._wrap(kernel(*[t._data for t in tensors]))


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           pin_memory=False, requires_grad=False):
    r"""Random numbers from separate normal distributions, of means ``mean`` and standard deviations ``std``.

    Four forms: ``normal(mean_tensor, std_tensor)`` (shapes broadcast), ``normal(mean_tensor, std=1.0)``,
    ``normal(mean, std_tensor)`` and ``normal(mean, std, size)`` (``dtype=``, ``requires_grad=`` as a
    factory's). The result has the dtype of the tensor operands; gradients through it are zero.
    """
    import numbers

    from . import _dtype
    from ._tensor import Tensor

    mean_tensor, std_tensor = isinstance(mean, Tensor), isinstance(std, Tensor)
    is_number = lambda v: isinstance(v, numbers.Real) and not isinstance(v, Tensor)  # noqa: E731
    if not (mean_tensor or is_number(mean)) or not (std_tensor or is_number(std)) or \
            (size is None) != (mean_tensor or std_tensor) or not _is_generator_argument(generator):
        from ._parser_errors import invalid_combination

        given = (mean, std) if size is None else (mean, std, size)
        raise invalid_combination("normal", _NORMAL_OVERLOADS, given,
                                  None if generator is None else {"generator": generator})
    draws = stream(generator, [tensor for tensor in (mean, std) if isinstance(tensor, Tensor)])
    if not (mean_tensor or std_tensor):
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        from ._creation import empty

        result = empty(size, dtype=dtype)
        result._data[...] = draws.normal(result._data.shape, result._data.dtype, mean, std)
        return result.requires_grad_(requires_grad)
    like = mean if mean_tensor else std
    if like._data.dtype.kind != "f":
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{like.dtype.scalar_name}'")
    if std_tensor:
        if std._data.size and std._data.min() < 0:  # (NaN passes, as in PyTorch)
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    if mean_tensor and std_tensor:
        from ._ops._util import broadcast_error

        error = broadcast_error(mean._data.shape, std._data.shape)
        if error is not None:
            raise error
        np_dtype = _dtype.from_numpy_dtype(np.promote_types(mean._data.dtype, std._data.dtype)).numpy

        def kernel(m, s):
            shape = np.broadcast_shapes(m.shape, s.shape)
            return (draws.normal(shape, np_dtype) * s + m).astype(np_dtype, copy=False)

        return _random_node("NormalBackward3", kernel, mean, std)
    np_dtype = like._data.dtype
    if mean_tensor:
        kernel = lambda m: draws.normal(m.shape, np_dtype, 0.0, std) + m  # noqa: E731
        return _random_node("NormalBackward1", kernel, mean)
    kernel = lambda s: draws.normal(s.shape, np_dtype) * s + np_dtype.type(mean)  # noqa: E731
    return _random_node("NormalBackward2", kernel, std)


_BERNOULLI = ("Tensor input, *, Generator? generator=None, Tensor? out=None",
              "Tensor input, float p, *, Generator? generator=None")
_NO_INPUT = object()


def bernoulli(input=_NO_INPUT, p=_NO_INPUT, *, generator=None, out=None):
    r"""Draws binary random numbers (0 or 1): element i is 1 with probability ``input[i]`` (or ``p`` when
    given, ``input`` then giving only the shape and dtype). The result has ``input``'s dtype."""
    from ._tensor import Tensor

    from .nn._functional._args import is_float_arg

    # (p left out is not p=None: PyTorch's parser refuses None for the float p)
    if not isinstance(input, Tensor) or not (p is _NO_INPUT or is_float_arg(p)) or \
            not _is_generator_argument(generator):
        if input is _NO_INPUT or isinstance(input, Tensor):  # the parser's error (p read as given by position)
            from . import _parser_errors

            from ._written_call import written_keywords

            written = written_keywords() or ()  # (None given by keyword is described as written too)
            by_keyword = input is _NO_INPUT or "p" in written
            args = () if input is _NO_INPUT else (input,) if p is _NO_INPUT or by_keyword else (input, p)
            given = {} if generator is None and "generator" not in written else {"generator": generator}
            if by_keyword and p is not _NO_INPUT:
                given["p"] = p
            _parser_errors.parse_overload("bernoulli", _BERNOULLI, args, given)
        raise _not_tensor("bernoulli", "input", 1, input)
    draws = stream(generator, (input,))  # (of a given p too: PyTorch's batching rule refuses the input)
    if p is not _NO_INPUT:
        p = float(p)  # (a NumPy number or a 0-d tensor, read as the parser's double)
        _check_probability(p)
        if input._data.size:  # (an empty tensor reaches no kernel)
            input._no_kernel_for("U", "bernoulli_scalar_cpu_")
        return _batch_first(_random_node("BernoulliBackward1", lambda x: draws.bernoulli(x.shape, p).astype(x.dtype),
                                         input))
    input._no_kernel_for("U", "bernoulli_tensor_cpu_self_")  # (the draws' dtype is dispatched first)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{input.dtype.scalar_name}'")
    _check_probabilities(input._data)
    return _batch_first(_random_node("BernoulliBackward0", lambda x: draws.bernoulli_from(x).astype(x.dtype), input))


def _batch_first(result):
    """``result``, drawn into a new C-contiguous tensor, as PyTorch's random rules give it inside vmap: they run
    the op on the physical tensor, the batch moved to the front, so it comes out outermost."""
    if vmap_randomness:
        from .autograd import forward_ad

        if forward_ad.batched(result):
            forward_ad.stacked_by_fallback(result)
    return result


def _check_probabilities(probabilities):
    """PyTorch's check of a tensor of probabilities (a NaN fails it too)."""
    if probabilities.size and not ((probabilities >= 0) & (probabilities <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message "
                           "be improved?  If so, please report an enhancement request to PyTorch.)")


def _check_probability(p):
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")


def bernoulli_(self, p=0.5, *, generator=None):
    """``Tensor.bernoulli_``: fill ``self`` with 0/1 draws of probability ``p`` (a number, or a tensor that
    broadcasts to self's shape)."""
    from ._tensor import Tensor

    draws = stream(generator, (p,) if isinstance(p, Tensor) else ())
    if isinstance(p, Tensor):
        self._refuse_internal_overlap()
        self._no_kernel_for("U", "bernoulli_tensor_cpu_self_")
        if p._data.dtype.kind != "f":
            raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{p.dtype.scalar_name}'")
        probabilities = p.expand(self.shape)._data
        _check_probabilities(probabilities)
        order = memory_order(self._data)  # self's memory order, the probabilities alongside
        if order is None:
            return self._overwrite(draws.bernoulli_from(probabilities), "BernoulliBackward1")
        drawn = draws.bernoulli_from(probabilities.transpose(order)).transpose(np.argsort(order))
        return self._overwrite(drawn, "BernoulliBackward1")
    _check_probability(p)
    self._refuse_internal_overlap()
    if self._data.size:  # (an empty tensor reaches no kernel)
        self._no_kernel_for("U", "bernoulli_scalar_cpu_")
    return self._overwrite(draw_like(self._data, lambda shape: draws.bernoulli(shape, p)), "BernoulliBackward2")


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    r"""Indices sampled from the multinomial distribution in each row of ``input`` (non-negative weights,
    not necessarily summing to 1): ``num_samples`` per row, without replacement unless ``replacement``.

    Without replacement, rows are drawn as PyTorch draws them: the ``num_samples`` largest of ``p / q``,
    ``q ~ Exp(1)`` (the Gumbel top-k trick, with topk's order among ties), zero-weight categories coming last.
    """
    from ._tensor import Tensor

    if not isinstance(input, Tensor):
        raise _not_tensor("multinomial", "input", 1, input)
    from ._ops._util import is_index_argument

    if not is_index_argument(num_samples):  # a SymInt: what __index__ converts (a one-element tensor too)
        from ._parser_errors import wrong_type

        raise wrong_type("multinomial", "num_samples", 2, num_samples, "int")
    from .nn._functional._args import unpack_symint

    num_samples = unpack_symint(num_samples)  # (a bool tensor's failed assertion, int64's overflow, as PyTorch's)
    _check_generator_argument("multinomial", generator, None)  # (keyword-only: never named with a position)
    probs = input._data
    if probs.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if probs.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {input.dtype.scalar_name}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > probs.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rows = probs.reshape(-1, probs.shape[-1])
    if rows.shape[0] == 0:
        return Tensor._wrap(np.zeros(probs.shape[:-1] + (num_samples,), np.int64))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # huge weights: sums overflow quietly
        draws = stream(generator, (input,))
        # PyTorch draws the exponentials into a tensor empty_like the input: in its memory order
        samples = _multinomial_rows(rows, num_samples, replacement, draws,
                                    lambda: draw_like(probs, lambda shape: draws.exponential(shape, probs.dtype)))
    # (a fresh C-ordered result, as PyTorch's: a size-1 dim's stride too)
    return Tensor._wrap(np.array(samples.reshape(probs.shape[:-1] + (num_samples,)), order="C"))


def _multinomial_rows(rows, num_samples, replacement, draws, exponentials):
    """PyTorch's multinomial draws from each row of ``rows`` (weights), (rows, num_samples) int64;
    ``exponentials()`` draws Exp(1) values for the weights (shaped as the input ``rows`` came from)."""
    if not replacement or num_samples == 1:
        if not (rows.size and np.all(rows >= 0) and np.all(rows < np.inf)):  # NaN fails both
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if np.any(rows.sum(1) == 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        keys = rows / exponentials().reshape(rows.shape)  # p / q: the largest num_samples, q ~ Exp(1)
        if num_samples == 1:
            return np.argmax(keys, axis=1).astype(np.int64)[:, None]
        # PyTorch takes them with topk, whose order among ties (zero weights once the others are drawn) is its
        # sorting algorithms', not a stable sort's
        descending = rows.shape[1] - 1 - np.flip(np.argsort(np.flip(keys, 1), axis=1, kind="stable"), 1)
        return std_sort.topk_order(keys, 1, num_samples, True, True, descending).astype(np.int64)
    if np.any(rows < 0):
        raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
    if not np.all(np.isfinite(rows)):
        raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or NaN)")
    # Row by row, as PyTorch: the running sums in the input's dtype, normalised, the last set to 1, then for each
    # sample the first category whose sum reaches a float64 uniform.
    samples = np.empty((rows.shape[0], num_samples), np.int64)
    for i, row in enumerate(rows):
        cumulative = np.cumsum(row)
        total = cumulative[-1]
        if not total > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        cumulative /= total
        cumulative[-1] = 1
        samples[i] = np.searchsorted(cumulative.astype(np.float64), draws.unit_uniforms(num_samples, np.float64))
    return samples


# PyTorch's float constants of sample_gamma (``1.0f / 3.0f``, ``0.0331f``), used in double arithmetic
_ONE_THIRD_F, _SQUEEZE_F = float(np.float32(1) / np.float32(3)), float(np.float32(0.0331))


def _sample_gamma(alpha, draws):
    """One draw of PyTorch's CPU sample_gamma in double (Marsaglia and Tsang, after NumPy): its uniforms and cached
    Box-Muller normals from ``draws``, in its order and arithmetic."""
    scale = 1.0
    if alpha < 1.0:  # boosted for a better acceptance rate
        if alpha == 0.0:
            return 0.0
        scale *= math.pow(1 - draws.unit_uniforms(1, np.float64)[0], 1.0 / alpha)
        alpha += 1.0
    return _marsaglia_tsang(alpha - _ONE_THIRD_F, scale, draws)


def _sample_gamma_float32(alpha, draws):
    """PyTorch's sample_gamma for a float32 ``alpha``: the boost of a small alpha, its exponent and
    d = alpha - 1/3 are float arithmetic there, as its kernel computes them in the tensor's type."""
    f = np.float32
    alpha, scale = f(alpha), 1.0
    if alpha < 1:
        if alpha == 0:
            return 0.0
        scale = math.pow(1 - draws.unit_uniforms(1, np.float64)[0], float(f(1) / alpha))
        alpha = alpha + f(1)
    return _marsaglia_tsang(float(alpha - f(_ONE_THIRD_F)), scale, draws)


def _marsaglia_tsang(d, scale, draws):
    """scale * a Gamma(d + 1/3) draw, by Marsaglia and Tsang's squeeze and rejection."""
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        while True:
            x = draws._one_normal()
            y = 1.0 + c * x
            if y > 0:
                break
        v = y * y * y
        u = 1 - draws.unit_uniforms(1, np.float64)[0]
        xx = x * x
        if u < 1.0 - _SQUEEZE_F * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + math.log(v)):
            return scale * d * v


def sample_standard_gamma(alpha, generator=None):
    """PyTorch's ``_standard_gamma`` on the CPU: an array like ``alpha`` (float32 or float64) of Gamma(alpha, 1)
    draws, element by element in row-major order, at least the dtype's smallest normal number."""
    draws = generator if isinstance(generator, Generator) else stream(generator)
    dtype = np.dtype(alpha.dtype)
    sample = _sample_gamma_float32 if dtype != np.float64 else _sample_gamma
    values = np.array([sample(a, draws) for a in alpha.ravel().tolist()], np.float64).astype(dtype)
    return np.maximum(values, np.finfo(dtype).tiny).reshape(alpha.shape)


def sample_dirichlet(alpha, generator=None):
    """PyTorch's ``_sample_dirichlet`` on the CPU: an array like ``alpha`` (float32 or float64) whose last axis
    holds a Dirichlet draw. Each element (in row-major order) is a float64 gamma draw of ``_sample_gamma``, at least
    the smallest normal double; each row is divided by its float64 sum, rounded to the dtype and kept within
    [its smallest normal, the number below 1]."""
    draws = stream(generator)
    dtype = np.dtype(alpha.dtype)
    gammas = np.array([max(np.finfo(np.float64).tiny, _sample_gamma(float(a), draws)) for a in alpha.reshape(-1)],
                      np.float64).reshape(alpha.shape)
    totals = np.zeros(alpha.shape[:-1] + (1,), np.float64)
    for j in range(alpha.shape[-1]):  # (rows of a few elements: summed in order)
        totals += gammas[..., j:j + 1]
    below_one = np.nextafter(dtype.type(1), dtype.type(0))
    return np.clip((gammas / totals).astype(dtype), np.finfo(dtype).tiny, below_one)


def poisson(input, generator=None):
    r"""Samples from Poisson distributions of rates ``input`` (non-negative), in ``input``'s dtype."""
    from ._tensor import Tensor

    if not isinstance(input, Tensor):
        raise _not_tensor("poisson", "input", 1, input)
    _check_generator_argument("poisson", generator, 2)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{input.dtype.scalar_name}'")
    rates = input._data
    if rates.size and not np.all(rates >= 0):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    source = stream(generator, (input,))
    return _random_node("PoissonBackward0", lambda x: source.poisson(x).astype(x.dtype), input)


def _is_generator_argument(generator):
    """What a ``Generator? generator`` parameter takes."""
    return generator is None or isinstance(generator, Generator)


def _check_generator_argument(name, generator, position):
    """PyTorch's parser's TypeError for a generator that is not one (where ``name`` has a single overload);
    ``position`` None for a keyword-only parameter."""
    if not _is_generator_argument(generator):
        from ._parser_errors import wrong_type

        raise wrong_type(name, "generator", position, generator, "torchless.Generator")


def _not_tensor(name, argument, position, value):
    from ._parser_errors import not_tensor  # (imported late: the parser's module needs the tensor class)

    return not_tensor(name, argument, position, value)
