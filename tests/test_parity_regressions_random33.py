"""Large random fills made faster keep PyTorch's bits (random33).

* fused_multiply_add32 converts its float32 operands itself and tests float32 midpoints with one shift: still one
  rounding, checked against exact rational arithmetic at the midpoints where double rounding goes wrong;
* avx_mathfun.log's last two multiply-adds are float32 adds (their products are float32-exact): checked against the
  fused formula computed with exact rationals;
* normal_/randn (float32 Box-Muller in pieces shared by the cores), rand/uniform_ (one conversion, the comparison
  with ``high`` skipped when no draw can reach it) and the initialisations that use them, bit for bit as torch's,
  split over threads or not.
"""
from fractions import Fraction

import numpy as np
import pytest

import torchless
from torchless._kernels import avx_mathfun
from torchless._kernels.fma import fused_multiply_add32


def _float32_nearest(value):
    """The float32 nearest the rational ``value``, ties to even."""
    guess = np.float32(float(value))
    below, above = (guess, np.nextafter(guess, np.float32(np.inf))) if Fraction(float(guess)) <= value else \
        (np.nextafter(guess, np.float32(-np.inf)), guess)
    low_gap, high_gap = value - Fraction(float(below)), Fraction(float(above)) - value
    if low_gap != high_gap:
        return below if low_gap < high_gap else above
    return below if below.view(np.int32) % 2 == 0 else above


def _exact_fma32(a, b, c):
    return np.array([_float32_nearest(Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z)))
                     for x, y, z in zip(np.ravel(a), np.ravel(b), np.ravel(c))], np.float32)


def test_fma32_at_float32_midpoints_rounds_once():
    # (1 + i 2**-12)(1 + j 2**-12) for odd i, j < 64 is a float32 midpoint exactly (its last bit 2**-24); plus
    # c = +-2**-60 the float64 sum rounds back onto it (a second rounding, to even, then goes the wrong way half the
    # time), plus 0 it is a true tie
    odd = np.arange(1, 64, 2, dtype=np.float64)
    x = np.repeat(1 + odd * 2.0 ** -12, odd.size).astype(np.float32)
    y = np.tile(1 + odd * 2.0 ** -12, odd.size).astype(np.float32)
    a, b = np.tile(x, 3), np.tile(y, 3)
    c = np.repeat(np.array([2.0 ** -60, -(2.0 ** -60), 0], np.float32), x.size)
    expected = _exact_fma32(a, b, c)
    twice_rounded = (np.float64(a) * np.float64(b) + np.float64(c)).astype(np.float32)
    assert (twice_rounded != expected).sum() >= x.size // 2  # the cases are there
    np.testing.assert_array_equal(fused_multiply_add32(a, b, c).view(np.int32), expected.view(np.int32))
    # broadcast shapes and scalars, as the callers pass them
    got = fused_multiply_add32(x.reshape(odd.size, odd.size), y[:odd.size], np.float32(2.0 ** -60))
    np.testing.assert_array_equal(got.ravel().view(np.int32),
                                  _exact_fma32(x, y, np.full(x.size, 2.0 ** -60)).view(np.int32))
    scalar = fused_multiply_add32(x[1], y[1], np.float32(-(2.0 ** -60)))
    assert scalar.dtype == np.float32 and scalar == _exact_fma32(x[1:2], y[1:2], [-(2.0 ** -60)])[0]


def test_log_matches_the_fused_formula_computed_exactly():
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.random(1000).astype(np.float32),  # Box-Muller's 1 - u
                        rng.integers(1, 0x7F800000, 1000).astype(np.int32).view(np.float32)])
    x = x[x > 0]
    got = avx_mathfun.log(x)
    # the reference: Cephes' steps with every multiply-add rounded once from its exact rational value
    bits = np.maximum(x, np.array(0x00800000, np.int32).view(np.float32)).view(np.int32)
    exponent = ((bits >> 23) - 0x7F).astype(np.float32) + np.float32(1)
    mantissa = ((bits & ~0x7F800000) | np.array(0.5, np.float32).view(np.int32)).view(np.float32)
    small = mantissa < np.float32(0.707106781186547524)
    exponent = exponent - small.astype(np.float32)
    m = (mantissa - np.float32(1)) + np.where(small, mantissa, np.float32(0))
    m_squared = m * m
    coefficients = avx_mathfun._LOG_POLYNOMIAL
    y = np.full_like(m, coefficients[0])
    for coefficient in coefficients[1:]:
        y = _exact_fma32(y, m, np.full_like(m, coefficient))
    y = y * m
    y = _exact_fma32(y, m_squared, exponent * avx_mathfun._LN2_LOW)
    y = _exact_fma32(m_squared, np.full_like(m, -0.5), y)
    expected = _exact_fma32(exponent, np.full_like(m, avx_mathfun._LN2_HIGH), m + y)
    np.testing.assert_array_equal(got.view(np.int32), expected.view(np.int32))
    normal = x >= np.finfo(np.float32).tiny  # (subnormal inputs are taken as the smallest normal, as Cephes')
    np.testing.assert_allclose(got[normal], np.log(x[normal].astype(np.float64)), rtol=2.5e-7, atol=1.2e-7)


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(params=[1, 2], ids=["one-thread", "two-threads"])
def threads(request):
    previous = torchless.get_num_threads()
    torchless.set_num_threads(request.param)
    yield request.param
    torchless.set_num_threads(previous)


def _same_bits(ours, theirs):
    ours, theirs = ours.detach().numpy(), theirs.detach().numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours.view(np.uint8), theirs.view(np.uint8))


# around the 16-value blocks, the 2048-row pieces (32768 values) and odd sizes
_SIZES = [16, 17, 1000, 32767, 32768, 32769, 65536 + 15, 3 * 32768 + 7]


@pytest.mark.parametrize("seed", [0, 11])
def test_float32_normals_and_uniforms_are_torchs(torch, threads, seed):
    for size in _SIZES:
        torch.manual_seed(seed + size)
        torchless.manual_seed(seed + size)
        _same_bits(torchless.randn(size), torch.randn(size))
        _same_bits(torchless.empty(size).normal_(0.25, 0.01), torch.empty(size).normal_(0.25, 0.01))
        _same_bits(torchless.rand(size), torch.rand(size))
        _same_bits(torchless.empty(size).uniform_(-0.3, 0.7), torch.empty(size).uniform_(-0.3, 0.7))


def test_other_dtypes_and_reachable_high_are_torchs(torch, threads):
    torch.manual_seed(5)
    torchless.manual_seed(5)
    for size in [17, 1000, 70000]:  # (70000: two of the 65536-value pieces uniforms are drawn in)
        _same_bits(torchless.rand(size, dtype=torchless.float64), torch.rand(size, dtype=torch.float64))
        _same_bits(torchless.empty(size, dtype=torchless.float64).uniform_(-2, 3),
                   torch.empty(size, dtype=torch.float64).uniform_(-2, 3))
        # float16: draws that round up to 1 become 0, as PyTorch's
        _same_bits(torchless.rand(size, dtype=torchless.float16), torch.rand(size, dtype=torch.float16))
        # a span of one float32 step: half the draws round to high, which PyTorch replaces by low
        high = float(np.nextafter(np.float32(1), np.float32(2)))
        ours = torchless.empty(size).uniform_(1.0, high)
        _same_bits(ours, torch.empty(size).uniform_(1.0, high))
        assert (ours.numpy() == np.float32(1)).all()
    _same_bits(torchless.randn(1000, dtype=torchless.float64), torch.randn(1000, dtype=torch.float64))


def test_initialisations_are_torchs(torch, threads):
    for seed in [0, 3]:
        torch.manual_seed(seed)
        torchless.manual_seed(seed)
        for name, kwargs in [("kaiming_normal_", {}), ("kaiming_uniform_", {"a": 5 ** 0.5}), ("xavier_normal_", {}),
                             ("xavier_uniform_", {}), ("trunc_normal_", {"std": 0.02}), ("normal_", {"std": 0.01})]:
            ours = getattr(torchless.nn.init, name)(torchless.empty(128, 64, 3, 3), **kwargs)
            _same_bits(ours, getattr(torch.nn.init, name)(torch.empty(128, 64, 3, 3), **kwargs))
        _same_bits(torchless.nn.Linear(700, 130).weight, torch.nn.Linear(700, 130).weight)
        _same_bits(torchless.nn.Conv2d(64, 96, 3).weight, torch.nn.Conv2d(64, 96, 3).weight)
