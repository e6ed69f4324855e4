"""The emulated fused multiply-adds round once, checked against exact rational arithmetic; the emulated float32
log and sincos (PyTorch's Box-Muller functions) stay within a few units in the last place of float64's."""
from fractions import Fraction

import numpy as np
import pytest

from torchless._kernels import avx_mathfun
from torchless._kernels.fma import fused_multiply_add32, fused_multiply_add64


def exact_fma(a, b, c, dtype):
    return np.array([dtype(float(Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))))
                     if dtype is np.float64 else _round_to_float32(Fraction(float(x)) * Fraction(float(y))
                                                                   + Fraction(float(z)))
                     for x, y, z in zip(a, b, c)], dtype)


def _round_to_float32(value):
    """The float32 nearest the rational ``value`` (ties to even), by bracketing it between neighbours."""
    guess = np.float32(float(value))  # within a float32 step (float() rounds once to float64)
    below, above = (guess, np.nextafter(guess, np.float32(np.inf))) if Fraction(float(guess)) <= value else \
        (np.nextafter(guess, np.float32(-np.inf)), guess)
    low_gap, high_gap = value - Fraction(float(below)), Fraction(float(above)) - value
    if low_gap != high_gap:
        return below if low_gap < high_gap else above
    return below if below.view(np.int32) % 2 == 0 else above


def float32_operands(rng, count):
    a = rng.standard_normal(count).astype(np.float32)
    b = rng.standard_normal(count).astype(np.float32)
    c = (rng.standard_normal(count) * 10.0 ** rng.integers(-8, 3, count)).astype(np.float32)
    return a, b, c


def test_float32_fma_rounds_once():
    a, b, c = float32_operands(np.random.default_rng(0), 3000)
    np.testing.assert_array_equal(fused_multiply_add32(a, b, c), exact_fma(a, b, c, np.float32))


def test_float32_fma_breaks_double_rounding_ties():
    """(1 + 2**-12)**2 = 1 + 2**-11 + 2**-24 is a float32 rounding midpoint: a tiny addend moves the exact sum off
    it, but not its float64 rounding, which a second rounding then sends to the even neighbour."""
    a = np.full(4, 1 + 2.0 ** -12, np.float32)
    c = np.array([2.0 ** -60, -(2.0 ** -60), 0.0, 2.0 ** -30], np.float32)
    expected = exact_fma(a, a, c, np.float32)
    np.testing.assert_array_equal(fused_multiply_add32(a, a, c), expected)
    naive = (a.astype(np.float64) * a + c).astype(np.float32)
    assert naive[0] != expected[0]  # rounding twice picks the wrong neighbour
    assert expected[0] != expected[1]


def test_float64_fma_rounds_once():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(2000), rng.standard_normal(2000)
    c = rng.standard_normal(2000) * 10.0 ** rng.integers(-20, 5, 2000)
    np.testing.assert_array_equal(fused_multiply_add64(a, b, c), exact_fma(a, b, c, np.float64))
    assert np.any(a * b + c != exact_fma(a, b, c, np.float64))  # unfused, they differ


@pytest.mark.parametrize("scale", [1e-30, 1e-6, 0.5, 1.0, 3.0, 1e20])
def test_log_is_accurate(scale):
    x = (np.random.default_rng(2).random(5000) * scale + scale * 1e-3).astype(np.float32)
    reference = np.log(x.astype(np.float64))
    np.testing.assert_allclose(avx_mathfun.log(x), reference, rtol=3e-7, atol=1e-30)


def test_sincos_is_accurate_on_a_turn_and_beyond():
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, np.pi / 4, np.pi / 2, np.pi]]).astype(np.float32)
    sin, cos = avx_mathfun.sincos(x)
    np.testing.assert_allclose(sin, np.sin(x.astype(np.float64)), rtol=0, atol=2e-7)
    np.testing.assert_allclose(cos, np.cos(x.astype(np.float64)), rtol=0, atol=2e-7)
    assert sin.dtype == cos.dtype == np.float32


def test_float64_fma_of_infinities_is_ieee():
    """An infinite product or addend gives IEEE's infinity (or NaN for inf - inf), not the NaN its error terms make."""
    from torchless._kernels.fma import fused_multiply_add64

    a = np.array([np.inf, -np.inf, 2.0, 2.0, np.inf, np.inf, 1.5, np.nan])
    b = np.array([-0.01, 2.0, 3.0, 3.0, 0.0, 1.0, 2.0, 1.0])
    c = np.array([1.0, 3.0, np.inf, -np.inf, 1.0, -np.inf, 0.25, 1.0])
    expected = np.array([-np.inf, -np.inf, np.inf, -np.inf, np.nan, np.nan, 3.25, np.nan])
    np.testing.assert_array_equal(fused_multiply_add64(a, b, c), expected)
