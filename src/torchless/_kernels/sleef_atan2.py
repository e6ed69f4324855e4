"""float32 atan2 as PyTorch's vectorised CPU kernel computes it: SLEEF's ``atan2f_u10`` (``Vectorized<float>::atan2``
calls ``Sleef_atan2f16_u10`` with AVX-512, ``Sleef_atan2f8_u10`` with AVX2), step by step in NumPy.

SLEEF reduces the quotient to [0, 1] by octant, divides, squares and evaluates its polynomial in "double-float"
arithmetic (a value carried as a float32 pair, high + low, whose products keep their rounding errors by fused
multiply-adds), and rounds the pair once at the end. Its result is within 1 ulp, not correctly rounded: about 2% of
results differ in their last bit from the correctly rounded atan2. ATen's scalar loop calls the C library's atan2f
instead, which ``libm_atan2`` calls too.
"""
import functools

import numpy as np

from .fma import fused_multiply_add32

_F32 = np.float32
_TINY = _F32(2.9387372783541830947e-39)  # inputs below are scaled up by 2 ** 24 first (their quotient's bits kept)
_POLYNOMIAL = [_F32(c) for c in (-0.00176397908944636583328247, 0.0107900900766253471374512,
                                 -0.0309564601629972457885742, 0.0577365085482597351074219,
                                 -0.0838950723409652709960938, 0.109463557600975036621094,
                                 -0.142626821994781494140625, 0.199983194470405578613281)]
_THIRD = _F32(-0.333332866430282592773438)
_HALF_PI = (_F32(1.5707963705062866211), _F32(-4.3711388286737928865e-08))  # pi / 2 as a float32 pair
_F32_HALF_PI, _F32_QUARTER_PI, _F32_PI = _F32(np.pi / 2), _F32(np.pi / 4), _F32(np.pi)


def _fma(a, b, c):
    return _F32(fused_multiply_add32(a, b, c))


def _atan2_pair(y, x):
    """SLEEF's atan2kf_u1 of y >= 0 and x (each a float32 with a zero low part): atan2 as a (high, low) pair."""
    zero = np.zeros_like(x)
    negative = x < 0
    quadrant = np.where(negative, -2, 0)
    x = np.where(negative, -x, x)
    x_low = np.where(negative, -zero, zero)
    steep = x < y
    quadrant = np.where(steep, quadrant + 1, quadrant)
    # s / t with |s / t| <= 1: (-x) / y in the steep octants, y / x in the others
    s, s_low = np.where(steep, -x, y), np.where(steep, -x_low, zero)
    t, t_low = np.where(steep, y, x), np.where(steep, zero, x_low)
    # dfdiv: the quotient and its error, from the reciprocal's
    reciprocal = _F32(1) / t
    q = s * reciprocal
    u = _fma(reciprocal, s, -q)
    q_low = _fma(-t_low, reciprocal, _fma(-t, reciprocal, _F32(1)))
    q_low = _fma(q, q_low, _fma(s_low, reciprocal, u))
    # dfsqu, then normalised
    square = q * q
    square_low = _fma(q + q, q_low, _fma(q, q, -square))
    t = square + square_low
    t_low = (square - t) + square_low
    u = _POLYNOMIAL[0]
    for coefficient in _POLYNOMIAL[1:]:
        u = _fma(u, t, coefficient)
    # t * (-1/3 + u * t), as a pair
    tail = u * t
    a = _THIRD + tail
    a_low = (_THIRD - a) + tail
    product = t * a
    product_low = _fma(t, a_low, _fma(t_low, a, _fma(t, a, -product)))
    # s * (1 + that)
    one = _F32(1) + product
    one_low = ((_F32(1) - one) + product) + product_low
    atan = q * one
    atan_low = _fma(q, one_low, _fma(q_low, one, _fma(q, one, -atan)))
    # + quadrant * pi / 2
    turns = quadrant.astype(_F32)
    base = _HALF_PI[0] * turns
    base_low = _fma(_HALF_PI[1], turns, _fma(_HALF_PI[0], turns, -base))
    high = base + atan
    low = (((base - high) + atan) + base_low) + atan_low
    return high, low


def _xor_sign(value, of):
    """``value`` with its sign flipped where ``of`` is negative (SLEEF's mulsign: -0 counts as negative)."""
    return (value.view(np.uint32) ^ (of.view(np.uint32) & np.uint32(0x80000000))).view(_F32)


def _or_sign(value, of):
    """``value`` with the sign bit of ``of`` or'ed in (SLEEF's visinf2 where ``of`` is infinite)."""
    return (value.view(np.uint32) | (of.view(np.uint32) & np.uint32(0x80000000))).view(_F32)


def atan2(y, x):
    """atan2(y, x) of float32 arrays (broadcast together) as SLEEF's atan2f_u10: see the module's docstring."""
    y, x = (np.ascontiguousarray(v, _F32) for v in np.broadcast_arrays(np.asarray(y, _F32), np.asarray(x, _F32)))
    with np.errstate(all="ignore"):
        small = np.abs(x) < _TINY
        xs = np.where(small, x * _F32(1 << 24), x)
        ys = np.where(small, y * _F32(1 << 24), y)
        high, low = _atan2_pair(np.abs(ys), xs)
        r = high + low
        r = _xor_sign(r, xs)
        # (the special cases tested on the scaled inputs, as SLEEF does: a huge y scaled to infinity gives pi / 2)
        x_inf = np.isinf(xs)
        x_edge = x_inf | (xs == 0)
        r = np.where(x_edge, _F32_HALF_PI - np.where(x_inf, _or_sign(np.copysign(_F32_HALF_PI, xs), xs), _F32(0)), r)
        quarter = _F32_HALF_PI - np.where(x_inf, _or_sign(np.copysign(_F32_QUARTER_PI, xs), xs), _F32(0))
        r = np.where(np.isinf(ys), quarter, r)
        r = np.where(ys == 0, np.where(np.signbit(xs), _F32_PI, _F32(0)), r)
        r = _xor_sign(r, ys)
        return np.where(np.isnan(xs) | np.isnan(ys), _F32(np.nan), r)


@functools.cache
def _libm_atan2f():
    """The C library's atan2f (glibc's is not correctly rounded: 15% of its float32 results differ from the
    correctly rounded ones), or None where there is none to load."""
    import ctypes.util  # (here: it imports subprocess and shutil, which torchless's import does not need)

    try:
        function = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6").atan2f
    except (OSError, AttributeError):
        return None
    function.restype, function.argtypes = ctypes.c_float, [ctypes.c_float, ctypes.c_float]
    return function


def libm_atan2(y, x):
    """atan2 of float32 arrays of one shape as the C library's atan2f (ATen's scalar code calls it), element by
    element; rounded from float64 where no C library loads."""
    function = _libm_atan2f()
    if function is None:
        return np.arctan2(y.astype(np.float64), x.astype(np.float64)).astype(_F32)
    return np.array([function(a, b) for a, b in zip(y.ravel().tolist(), x.ravel().tolist())], _F32).reshape(y.shape)
