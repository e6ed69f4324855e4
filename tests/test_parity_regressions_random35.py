"""Faster random draws keep PyTorch's streams bit for bit (random35).

* ``randperm`` past a few hundred values: PyTorch's swaps (position i with i + word % (n - i)) resolved in NumPy passes
  (a sort of the swaps' targets and pointer jumping) instead of a Python loop;
* 64-bit words (float64 uniforms, ``randint`` over 2**32 and more, float64 ``bernoulli``, ``exponential_``...) from
  4096 on drawn as uint32 halves swapped in place;
* float64 ``uniform_`` with a power-of-two span or a lower bound of 0: one rounding without the emulated fused
  multiply-add;
* one-by-one (serial) normals (``log_normal_``, ``normal_`` of a tensor that is not contiguous) past 32 pairs in
  arrays, libm's log1p kept;
* avx_mathfun's sincos selects and negates by bit operations and its log takes ``m`` by a product, not np.where
  (whose random masks cost ten times more): randn/normal_ in float32 bit for bit as before;
* (parity) ``randint``/``random_(from, to)``/``random_(from)`` take 64-bit words for ranges from 2**28 on (PyTorch's
  uniform_int_from_to_distribution; 2**32 before), a float tensor's bounds move as PyTorch's update_from/update_to
  move them (the ones a float cannot tell from their neighbour), ``random_(-2**63)`` is the full 64-bit range.

The references without torch: a Mersenne Twister seeded by hand (init_genrand, as PyTorch seeds it) running in
Python's ``random`` module (whose generator is mt19937 too), PyTorch's transformations written out in Python floats,
exact rationals for the roundings.
"""
import itertools
import math
import random
import subprocess
import sys
import warnings
from fractions import Fraction

import numpy as np
import pytest

import torchless
from torchless import random as tl_random


# ---------------------------------------------------------------------------- independent references
def _mt19937_words(seed):
    """A function drawing the 32-bit words of PyTorch's stream for ``seed``: its init_genrand from the reference
    algorithm (Matsumoto and Nishimura), the state handed to Python's own mt19937."""
    state = [seed & 0xFFFFFFFF]
    for i in range(1, 624):
        state.append((1812433253 * (state[-1] ^ (state[-1] >> 30)) + i) & 0xFFFFFFFF)
    source = random.Random()
    source.setstate((3, tuple(state) + (624,), None))  # position 624: twist before the first word
    return lambda count: [source.getrandbits(32) for _ in range(count)]


def _reference_permutation(words, n):
    order = list(range(n))
    for i, word in enumerate(words(max(n - 1, 0))):
        j = i + word % (n - i)
        order[i], order[j] = order[j], order[i]
    return order


def _reference_uniforms53(words, count):
    drawn = words(2 * count)
    return [((high << 32 | low) & (2**53 - 1)) / 2**53 for high, low in zip(drawn[::2], drawn[1::2])]


def _generator(seed):
    return torchless.Generator().manual_seed(seed)


def test_the_hand_seeded_twister_is_the_generators_stream():
    for seed in (0, 1, 5489, 2**32 + 3):
        expected = _mt19937_words(seed)(1300)  # past two twists
        np.testing.assert_array_equal(_generator(seed).words(1300), expected)


@pytest.mark.parametrize("count", [1, 7, 4095, 4096, 4097, 9001])
def test_long_words_are_word_pairs_high_first(count):
    words = _mt19937_words(11)(2 * count)
    expected = np.array([high << 32 | low for high, low in zip(words[::2], words[1::2])], np.uint64)
    generator = _generator(11)
    np.testing.assert_array_equal(generator.long_words(count), expected)
    masked = _generator(11).long_words(count, (1 << 21) - 1)
    np.testing.assert_array_equal(masked, expected & np.uint64(2**53 - 1))
    # the stream moves on by 2 * count words either way
    np.testing.assert_array_equal(generator.words(3), _generator(11).words(2 * count + 3)[-3:])


@pytest.mark.parametrize("n", [0, 1, 2, 3, 17, 399, 400, 401, 402, 1001, 4097, 30011])
def test_randperm_is_the_reference_swaps(n):
    for seed in (0, 3):
        expected = _reference_permutation(_mt19937_words(seed), n)
        got = torchless.randperm(n, generator=_generator(seed))
        assert got.dtype == torchless.int64
        assert got.tolist() == expected


def test_permutation_of_swaps_is_every_sequence_of_swaps():
    """Every sequence of offsets for n up to 6 (n! of them, each a different permutation), and extreme ones."""
    for n in range(2, 7):
        seen = set()
        for offsets in itertools.product(*[range(n - i) for i in range(n - 1)]):
            order = list(range(n))
            for i, offset in enumerate(offsets):
                order[i], order[i + offset] = order[i + offset], order[i]
            got = tl_random._permutation_of_swaps(np.array(offsets, np.int64)).tolist()
            assert got == order, offsets
            seen.add(tuple(got))
        assert len(seen) == math.factorial(n)
    n = 5000
    steps = np.arange(n - 1)
    for offsets in (np.zeros(n - 1, np.int64), n - 1 - steps, np.minimum(steps % 3, n - 1 - steps)):
        order = list(range(n))
        for i, offset in enumerate(offsets.tolist()):
            order[i], order[i + offset] = order[i + offset], order[i]
        assert tl_random._permutation_of_swaps(offsets.astype(np.int64)).tolist() == order


@pytest.mark.parametrize("count", [1, 4095, 4097])
def test_float64_rand_and_power_of_two_spans_round_once(count):
    uniforms = _reference_uniforms53(_mt19937_words(2), count)
    np.testing.assert_array_equal(torchless.rand(count, dtype=torchless.float64, generator=_generator(2)).numpy(),
                                  uniforms)
    for low, high in ((-1.0, 1.0), (0.0, 3.7), (1.5, 1.75), (-3.0, 5.0), (0.0, 1e-310)):
        got = torchless.empty(count, dtype=torchless.float64).uniform_(low, high, generator=_generator(2)).numpy()
        span = Fraction(high - low)
        expected = [float(Fraction(u) * span + Fraction(low)) for u in uniforms]  # (float(): nearest, ties to even)
        expected = [low if value == high else value for value in expected]
        np.testing.assert_array_equal(got, expected, err_msg=f"{low}, {high}")


@pytest.mark.parametrize("count", [4095, 4097])
def test_wide_randint_is_word_pairs_modulo_the_span(count):
    words = _mt19937_words(9)(2 * count)
    span = 2**40 + 3
    expected = [((high << 32 | low) % span) - 2**39 for high, low in zip(words[::2], words[1::2])]
    got = torchless.randint(-2**39, 2**40 + 3 - 2**39, (count,), generator=_generator(9))
    assert got.tolist() == expected


def _reference_serial_normals(words, count):
    values = []
    while len(values) < count:
        theta_u, radius_u = _reference_uniforms53(words, 2)
        radius, theta = math.sqrt(-2.0 * math.log1p(-radius_u)), 2.0 * math.pi * theta_u
        values += (radius * math.cos(theta), radius * math.sin(theta))
    return values


@pytest.mark.parametrize("count", [63, 64, 65, 66, 67, 501])
def test_serial_normals_are_box_muller_pairs_one_by_one(count):
    words = _mt19937_words(4)
    expected = _reference_serial_normals(words, count + 1)
    generator = _generator(4)
    column = torchless.zeros(count, 2, dtype=torchless.float64)[:, 0]  # not contiguous: PyTorch's serial path
    column.normal_(generator=generator)
    np.testing.assert_array_equal(column.numpy(), expected[:count])
    # the pair's second value of an odd count is kept for the next draw, then the stream goes on
    following = torchless.randn(3, dtype=torchless.float64, generator=generator).numpy()
    after = expected[count:] + _reference_serial_normals(words, 3 + count % 2)
    np.testing.assert_array_equal(following, after[:3])


def test_log_normal_is_exp_of_the_serial_normals():
    count = 301
    normals = _reference_serial_normals(_mt19937_words(8), count)
    got = torchless.empty(count, dtype=torchless.float64).log_normal_(0.5, 0.25, generator=_generator(8)).numpy()
    expected = [math.exp(float(Fraction(z) * Fraction(0.25) + Fraction(0.5))) for z in normals[:count]]  # (fused)
    np.testing.assert_array_equal(got, expected)


def test_state_round_trip_after_the_new_paths():
    torchless.manual_seed(21)
    torchless.randperm(5000)
    torchless.empty(100, 2)[:, 0].normal_()  # 50 pairs in arrays, none kept
    torchless.empty(101, 2)[:, 0].normal_()  # one kept
    state = torchless.get_rng_state()
    first = [torchless.randn(1), torchless.randperm(777), torchless.rand(5000, dtype=torchless.float64)]
    torchless.set_rng_state(state)
    second = [torchless.randn(1), torchless.randperm(777), torchless.rand(5000, dtype=torchless.float64)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_works_under_python_OO():
    program = ("import torchless; g = torchless.Generator().manual_seed(1); "
               "print(torchless.randperm(1000, generator=g)[:3].tolist(), "
               "torchless.rand(5000, dtype=torchless.float64, generator=g).shape)")
    output = subprocess.run([sys.executable, "-OO", "-c", program], capture_output=True, text=True, check=True)
    expected = _reference_permutation(_mt19937_words(1), 1000)[:3]
    assert output.stdout.strip() == f"{expected} torchless.Size([5000])"


@pytest.mark.parametrize("span", [2**28 - 1, 2**28, 2**31])
def test_ranges_from_2_to_28_take_64_bit_words(span):
    count = 9
    words = _mt19937_words(6)(2 * count)
    if span >= 2**28:
        draws = [high << 32 | low for high, low in zip(words[::2], words[1::2])]
    else:
        draws = words[:count]
    expected = [word % span - 3 for word in draws]
    assert torchless.randint(-3, span - 3, (count,), generator=_generator(6)).tolist() == expected
    column = torchless.empty(count, dtype=torchless.int32).random_(-3, span - 3, generator=_generator(6))
    assert column.tolist() == expected


def test_float_bounds_move_as_pytorchs():
    """float32 holds 2**25 - 1 as 2**25 (the nearest, even): [0, 2**25) becomes [0, 2**25 - 2), drawn as the words
    modulo 2**25 - 2; a lower bound moves up where its successor rounds below it."""
    count = 9
    words = _mt19937_words(2)(count)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (bounds past 2**24 warn, as PyTorch's)
        got = torchless.empty(count).random_(0, 2**25, generator=_generator(2))
    np.testing.assert_array_equal(got.numpy(), np.array([w % (2**25 - 2) for w in words], np.float32))
    assert tl_random.float_random_range(0, 2**25, 24) == (0, 2**25 - 2)
    assert tl_random.float_random_range(0, 2**24 + 2, 24) == (0, 2**24 + 2)  # (2**24 + 1 rounds down: a tie)
    assert tl_random.float_random_range(-2**24 - 4, 5, 24) == (-2**24 - 4, 5)  # (-2**24 - 3 rounds onto it)
    assert tl_random.float_random_range(-2**25 - 7, 5, 24) == (-2**25 - 4, 5)  # (-2**25 - 6 rounds past it)
    assert tl_random.float_random_range(2**53 - 1, None, 53) == (2**53 - 1, None)
    with pytest.raises(RuntimeError, match=r"to be less than or equal to 'to_inc' casted to dtype, but got "
                                           r"from=16777219 > to_inc=16777216"):
        torchless.empty(3).random_(2**24 + 3, None)
    with pytest.raises(RuntimeError, match=r"casted to dtype to be less than 'to' casted to dtype, but got "
                                           r"from=33554436 >= to=33554434"):
        torchless.empty(3).random_(2**25 + 1, 2**25 + 2)


def test_sincos_octants_and_signs():
    """Every octant, both signs: sin odd and cos even to the bit, within float32 rounding of the true values, and
    exact at the multiples of pi/2 the reduction lands on."""
    from torchless._kernels import avx_mathfun

    x = np.linspace(0, 8 * np.pi, 20001, dtype=np.float32)
    sin_x, cos_x = avx_mathfun.sincos(x)
    minus_sin, minus_cos = avx_mathfun.sincos(-x)
    np.testing.assert_array_equal((-sin_x).view(np.int32), minus_sin.view(np.int32))
    np.testing.assert_array_equal(cos_x.view(np.int32), minus_cos.view(np.int32))
    wide = x.astype(np.float64)
    np.testing.assert_allclose(sin_x, np.sin(wide), rtol=0, atol=4e-7 * 8)
    np.testing.assert_allclose(cos_x, np.cos(wide), rtol=0, atol=4e-7 * 8)
    sin_0, cos_0 = avx_mathfun.sincos(np.array([0.0, -0.0], np.float32))
    assert sin_0.view(np.int32).tolist() == [0, -2**31] and cos_0.tolist() == [1.0, 1.0]
    log = avx_mathfun.log(np.array([1.0, 0.5, 2.0, 0.70710677, 0.7071068], np.float32))
    np.testing.assert_allclose(log, np.log([1.0, 0.5, 2.0, 0.70710677, 0.7071068]), rtol=2e-7)
    assert log[0] == 0


# ---------------------------------------------------------------------------- against torch
def _bits(tensor):
    array = np.ascontiguousarray(tensor.detach().numpy())
    return array.dtype, array.shape, array.tobytes()


def _same_streams(torch, make, seeds=(0, 1, 2**40 + 5)):
    for seed in seeds:
        torch.manual_seed(seed)
        torchless.manual_seed(seed)
        theirs, ours = make(torch), make(torchless)
        for mine, reference in zip(ours if isinstance(ours, tuple) else (ours,),
                                   theirs if isinstance(theirs, tuple) else (theirs,)):
            assert _bits(mine) == _bits(reference)
        # the generators' states equal afterwards (the words used, a cached normal)
        assert torchless.get_rng_state().numpy().tobytes() == torch.get_rng_state().numpy().tobytes()


@pytest.mark.parametrize("n", [0, 1, 2, 399, 400, 401, 1000, 4097, 100003])
def test_randperm_is_torchs(n):
    torch = pytest.importorskip("torch")
    _same_streams(torch, lambda L: (L.randperm(n), L.randperm(n, dtype=L.int32), L.rand(2)))
    for seed in (7, 2**33 + 1):
        assert torchless.randperm(n, generator=torchless.Generator().manual_seed(seed)).tolist() == \
            torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()


@pytest.mark.parametrize("count", [1, 4095, 4096, 4097, 70001])
def test_word_pair_draws_are_torchs(count):
    torch = pytest.importorskip("torch")
    _same_streams(torch, lambda L: (
        L.rand(count, dtype=L.float64), L.randint(-2**40, 2**40, (count,)), L.empty(count, dtype=L.int64).random_(),
        L.empty(count).exponential_(), L.empty(count, dtype=L.float64).exponential_(0.5),
        L.empty(count, dtype=L.float64).cauchy_(), L.empty(count).geometric_(0.3),
        L.bernoulli(L.full((count,), 0.25, dtype=L.float64)), L.rand_like(L.empty(count, dtype=L.float64)),
        L.randint_like(L.empty(count, dtype=L.int64), 2**35)))


@pytest.mark.parametrize("count", [1, 4097])
def test_float64_uniform_bounds_are_torchs(count):
    torch = pytest.importorskip("torch")
    bounds = [(0, 1), (0, 3.7), (-1, 1), (-2, 2), (1.5, 1.75), (3, 7), (0.1, 0.6), (-2, 3), (-1e-300, 1e-300),
              (0, 1e-310), (-3, -3 + 2**-40), (-2.0**1000, 2.0**1000)]
    _same_streams(torch, lambda L: tuple(L.empty(count, dtype=L.float64).uniform_(low, high) for low, high in bounds),
                  seeds=(0, 5))


@pytest.mark.parametrize("count", [1, 2, 63, 64, 65, 66, 67, 1001])
def test_serial_normals_are_torchs(count):
    torch = pytest.importorskip("torch")
    _same_streams(torch, lambda L: (L.randn(1), L.empty(count).log_normal_(0.5, 0.7),
                                    L.empty(count, 2, dtype=L.float64)[:, 0].normal_(1, 2),
                                    L.empty(count, 2)[:, 1].normal_(), L.randn_like(L.empty(count, 3).t()),
                                    L.empty(count, dtype=L.float64).log_normal_(), L.randn(1)))


_RANGE_SPANS = [2**20, 2**28 - 1, 2**28, 2**31 - 1, 2**32 - 1, 2**32]


@pytest.mark.parametrize("dtype", ["int64", "int32", "float64", "float32", "float16"])
def test_random_ranges_are_torchs(dtype):
    torch = pytest.importorskip("torch")

    def draws(L):
        kind = getattr(L, dtype)
        results = [L.empty(0, dtype=kind)]
        limit = {"int32": 2**31, "float16": 65504}.get(dtype, 2**62)
        for span in _RANGE_SPANS:
            for low in (0, -7):
                if -low + span <= limit and span - 7 <= limit:
                    results += [L.empty(9, dtype=kind).random_(low, low + span), L.randint(low, low + span, (9,),
                                                                                           dtype=kind)]
        for low in (0, 3, -3, 2**11 - 1, 2**11 + 1, 2**24 - 1, 2**24 + 1):
            if low < {"float16": 2**11, "float32": 2**24}.get(dtype, 2**31):
                results.append(L.empty(9, dtype=kind).random_(low, None))
        for bounds in ((0, 2**11 + 3), (0, 2**25), (2**24 + 1, 2**26), (-2**25 - 3, 2**25 + 5), (-2**25 - 7, 5)):
            if dtype != "float16" and (dtype != "int32" or bounds[1] < 2**31):
                results.append(L.empty(9, dtype=kind).random_(*bounds))
        if dtype in ("int64", "float64", "float32"):
            results.append(L.empty(9, dtype=kind).random_(-2**63, None))
        return tuple(results + [L.empty(9, dtype=kind).random_()])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (bounds past the integers a float holds exactly warn, in both)
        _same_streams(torch, draws, seeds=(0, 3))


@pytest.mark.parametrize("dtype, low, error", [
    ("float32", 2**24 + 3, RuntimeError), ("float16", 2**11, RuntimeError), ("float16", 16777215, RuntimeError),
    ("int32", -2**63, RuntimeError), ("float16", -2**63, NotImplementedError), ("bool", -2**63, NotImplementedError),
    ("complex64", 3, RuntimeError)])
def test_random_from_refusals_are_torchs(dtype, low, error):
    torch = pytest.importorskip("torch")
    messages = []
    for L in (torch, torchless):
        with pytest.raises(error) as caught:
            L.empty(3, dtype=getattr(L, dtype)).random_(low, None)
        messages.append(str(caught.value).split("\n")[0])
    assert messages[0] == messages[1]


@pytest.mark.parametrize("count", [16, 17, 1000, 32768 + 5])
def test_float32_normals_are_torchs(count):
    torch = pytest.importorskip("torch")
    _same_streams(torch, lambda L: (L.randn(count), L.empty(count).normal_(-1.5, 0.25),
                                    L.randn(count, generator=L.Generator().manual_seed(count))))
