"""float32 log, sincos and exp as PyTorch's x86 CPU kernels compute them, bit for bit, in NumPy.

PyTorch turns float32 uniforms into normals (``randn``, ``normal_``) with Box-Muller over Cephes-derived polynomial
approximations of log, sin and cos (ATen's ``avx_mathfun.h``, after Pommier's ``sse_mathfun``), not libm's; GCC
compiles them with its default ``-ffp-contract=fast``, which fuses each product into the sum that consumes it. Both
decide the last bits, so the arithmetic below follows that code step by step, each fused multiply-add rounded once
(measured against torch 2.13 on 320,000 normals: every bit equal; libm's functions or unfused products differed in
about a third of them, respectively one in a thousand).

``exp`` is SLEEF's ``expf`` (u10), which ``Vectorized<float>::exp`` calls inside fused kernels such as softmax
(``torch.exp`` itself calls MKL's, which is not reproduced here).
"""
import numpy as np

from .fma import _BITS_ABOVE_FLOAT32, _MIDPOINT_SHIFTED, _float32_of_sum, fused_multiply_add32

_F32 = np.float32

_SQRT_HALF = _F32(0.707106781186547524)
_LOG_POLYNOMIAL = [_F32(c) for c in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
                                     1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
                                     3.3333331174e-1)]
_LN2_LOW, _LN2_HIGH = _F32(-2.12194440e-4), _F32(0.693359375)  # ln 2 split in two for an exact e * ln 2
_SMALLEST_NORMAL = np.array(0x00800000, np.int32).view(_F32)
_SIGN_BIT = np.int32(-2**31)

_LOG2_E = _F32(1.442695040888963407359924681001892137426645954152985934135449406931)
_MINUS_LN2 = [_F32(-0.693145751953125), _F32(-1.428606765330187045e-06)]  # in 2 parts, as _LN2_LOW/_HIGH
_EXP_POLYNOMIAL = [_F32(c) for c in (0.000198527617612853646278381, 0.00139304355252534151077271,
                                     0.00833336077630519866943359, 0.0416664853692054748535156,
                                     0.166666671633720397949219, 0.5)]

_FOUR_OVER_PI = _F32(1.27323954473516)
_MINUS_PI_OVER_4 = [_F32(-0.78515625), _F32(-2.4187564849853515625e-4), _F32(-3.77489497744594108e-8)]  # in 3 parts
_SIN_POLYNOMIAL = [_F32(c) for c in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)]
_COS_POLYNOMIAL = [_F32(c) for c in (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2)]
# both as one (degree + 1, 2) stack, which sincos evaluates in one pass per degree rather than two
_COS_SIN_POLYNOMIALS = np.array([_COS_POLYNOMIAL, _SIN_POLYNOMIAL], _F32).T.copy()


def _polynomial(coefficients, x):
    """Horner's rule, each step one fused multiply-add. Coefficients that are arrays (of one shape, broadcast
    against x's) evaluate several polynomials of one degree at once. ``x`` float32 values, faster held in a float64
    array (converted once rather than at each step)."""
    y = coefficients[0]  # (broadcast by the first step)
    for coefficient in coefficients[1:]:
        y = fused_multiply_add32(y, x, coefficient)
    return y


def log(x):
    """Natural logarithm of positive float32 ``x`` (Cephes' logf: x = m 2**e with m in [sqrt(1/2), sqrt(2)),
    log(m) by a degree-9 polynomial in m - 1)."""
    bits = np.maximum(x, _SMALLEST_NORMAL).view(np.int32)
    exponent = ((bits >> 23) - 0x7F).astype(_F32) + _F32(1)
    mantissa = ((bits & ~0x7F800000) | np.array(0.5, _F32).view(np.int32)).view(_F32)  # in [0.5, 1)
    small = mantissa < _SQRT_HALF  # then take 2m - 1 and one less in the exponent
    exponent = exponent - small.astype(_F32)
    m = (mantissa - _F32(1)) + mantissa * small  # (m or +0: a select costs more)
    m_squared = m * m
    y = _polynomial(_LOG_POLYNOMIAL, m.astype(np.float64)) * m
    y = fused_multiply_add32(y, m_squared, exponent * _LN2_LOW)
    # The last two multiply-adds' products are float32 numbers (m**2 times a power of two, at least 2**-49 or 0; an
    # exponent of 8 bits times ln 2's high part of 9): fused or not, one rounding of an exact sum, a float32 add.
    # (Their float64 sums often end on a float32 midpoint, exactly: fused_multiply_add32 would check each of them.)
    y = y - m_squared * _F32(0.5)
    return exponent * _LN2_HIGH + (m + y)


def sincos(x):
    """(sin x, cos x) of float32 ``x`` (Cephes' sinf/cosf: reduced by multiples of pi/4 in extended precision, then
    a polynomial on [-pi/4, pi/4] for each)."""
    sign = np.asarray(x, _F32).view(np.int32)  # (the sign bit at 31)
    x = np.abs(x)
    octant = (x * _FOUR_OVER_PI).astype(np.int32)
    octant = (octant + 1) & ~1  # rounded up to even: y pi/4 is the multiple of pi/2 nearest to x
    y = octant.astype(_F32).astype(np.float64)  # (converted to float64 once, not by each multiply-add)
    for part in _MINUS_PI_OVER_4:
        x = fused_multiply_add32(y, part, x)
    z = x * x
    z_wide = z.astype(np.float64)
    cosine, sine = _polynomial(_COS_SIN_POLYNOMIALS.reshape(_COS_SIN_POLYNOMIALS.shape + (1,) * z.ndim), z_wide) * z
    cosine = fused_multiply_add32(cosine, z_wide, -(z * _F32(0.5))) + _F32(1)
    x_wide = x.astype(np.float64)
    sine = fused_multiply_add32(sine, x_wide, x_wide)
    # The selections and negations below as bit operations (NumPy's where on a random mask costs ten times more)
    cosine_bits, sine_bits = cosine.view(np.int32), sine.view(np.int32)
    # in the octants with bit 1 set sin is the cosine polynomial's and cos the sine one's: both swapped by xor
    swapped = np.bitwise_and(cosine_bits ^ sine_bits, -((octant >> 1) & 1))
    sin_x = (sine_bits ^ swapped).view(_F32) + _F32(0)  # (+ 0: the kernel's select by masks turns -0 into +0)
    cos_x = (cosine_bits ^ swapped).view(_F32) + _F32(0)
    # sin negated where x's sign and the octant's bit 2 differ, cos where (octant - 2)'s bit 2 is clear: that bit
    # moved to the sign's place (bit 31) and flipped in
    sin_bits, cos_bits = sin_x.view(np.int32), cos_x.view(np.int32)
    sin_bits ^= ((octant << 29) ^ sign) & _SIGN_BIT
    cos_bits ^= ~((octant - 2) << 29) & _SIGN_BIT
    return sin_x, cos_x


def exp(x):
    """e ** x of float32 ``x`` (SLEEF's expf: x = q ln 2 + s with q an integer, e ** s by a degree-7 polynomial,
    scaled by 2 ** q in two steps so that subnormal results keep their bits)."""
    x = np.asarray(x, _F32)
    out = np.empty_like(x)  # (in x's layout, as ATen's element-wise outputs)
    flat_x, flat_out = x.ravel(order="K"), out.ravel(order="K")  # (in the same order: out is dense as x is laid)
    work = np.empty((3, min(flat_x.size, _PIECE)))
    # (in cache-sized pieces: a 16384-element piece's float64 temporaries stay in L2)
    for start in range(0, flat_x.size, _PIECE):
        _exp_into(flat_x[start:start + _PIECE], flat_out[start:start + _PIECE], work)
    return out


_PIECE = 16384
_EXP_POLYNOMIAL64 = [np.float64(c) for c in _EXP_POLYNOMIAL]


def _exp_into(x, out, work):
    """exp of the 1-D float32 piece ``x`` into ``out``, ``work`` three float64 buffers at least as long."""
    n = x.size
    wide, s, total = (buffer[:n] for buffer in work)
    with np.errstate(all="ignore"):  # (the ends, NaN and beyond +-100, are set apart below)
        q = np.rint(x * _LOG2_E)  # (float32 product, as the kernel's, then rounded to an integer)
        # beyond +-160 the result is 0 or inf: clipped, 2 ** q stays finite and q an int32 (np.clip: 50x slower)
        np.minimum(q, _F32(160), out=q)
        np.maximum(q, _F32(-160), out=q)
        # (every ufunc below on operands of one dtype: mixed float32 and float64 ones cast through slow buffers)
        q64 = q.astype(np.float64)
        np.multiply(q64, _F64_MINUS_LN2[0], out=wide)  # Cody and Waite: both products exact, both sums too
        np.add(wide, x.astype(np.float64), out=wide)
        s32 = wide.astype(_F32)
        np.multiply(q64, _F64_MINUS_LN2[1], out=wide)
        s[...] = s32
        np.add(wide, s, out=wide)
        s32 = wide.astype(_F32)
        s[...] = s32
        # Horner's rule, each step a fused multiply-add: float64 products of float32 values are exact, their sums
        # rounded to float32 once but where the float64 sum landed on a float32 midpoint (fma._float32_of_sum)
        u32 = np.full(n, _EXP_POLYNOMIAL[0])
        bits, midpoint = np.empty(n, np.int64), np.empty(n, bool)
        for coefficient in _EXP_POLYNOMIAL64[1:]:
            total[...] = u32
            np.multiply(total, s, out=total)
            np.add(total, coefficient, out=total)
            u32 = _rounded(total, lambda where: u32[where].astype(np.float64) * s[where], coefficient, u32, bits,
                           midpoint)
        np.multiply(s, s, out=wide)
        wide[...] = wide.astype(_F32)  # (the kernel's s * s, rounded)
        total[...] = u32
        np.multiply(total, wide, out=total)
        np.add(total, s, out=total)
        u32 = _rounded(total, lambda where: wide[where] * u32[where], s, np.empty(n, _F32), bits, midpoint)
        y = _F32(1) + u32
        half = q.astype(np.int32) >> 1
        y *= np.ldexp(_F32(1), half)
        y *= np.ldexp(_F32(1), q.astype(np.int32) - half)
    y[x < -104] = 0
    y[x > 100] = np.inf
    nan = np.isnan(x)
    y[nan] = x[nan]
    out[...] = y


_F64_MINUS_LN2 = [np.float64(c) for c in _MINUS_LN2]


def _rounded(total, product_at, c, out, bits, midpoint):
    """fma._float32_of_sum into the float32 ``out`` (returned), its test for float32 midpoints in the scratch
    ``bits`` and ``midpoint``: without its new arrays (a third of a piece's time went to allocating them)."""
    np.left_shift(total.view(np.int64), _BITS_ABOVE_FLOAT32, out=bits)
    np.equal(bits, _MIDPOINT_SHIFTED, out=midpoint)
    if np.count_nonzero(midpoint):  # (rare: the careful way)
        return _float32_of_sum(total, product_at, c)
    out[...] = total
    return out


_ERF_P = _F32(0.3275911)
_ERF_POLYNOMIAL = [_F32(c) for c in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)]


def erf(x):
    """erf of float32 ``x`` as ATen's ``Vectorized<float>::erf`` computes it (Abramowitz and Stegun 7.1.26:
    1 - (t p(t)) e^(-x^2) with t = 1 / (1 + 0.3275911 |x|), p of degree 4, each step a fused multiply-add, e^ SLEEF's),
    the sign of x put back."""
    x = np.asarray(x, _F32)
    one = np.ones_like(x)
    with np.errstate(all="ignore"):
        t = one / fused_multiply_add32(np.full_like(x, _ERF_P), np.abs(x), one)
        r = np.full_like(x, _ERF_POLYNOMIAL[0])
        for c in _ERF_POLYNOMIAL[1:]:
            r = fused_multiply_add32(r, t, np.full_like(x, c))
        result = fused_multiply_add32(-exp(-(x * x)) * t, r, one)
    return np.where(np.signbit(x), -result, result).astype(_F32)
