"""float32 GELU (erf form) and its derivative as oneDNN's AVX-512 eltwise kernels compute them, bit for bit, in NumPy.

ATen hands a contiguous float32 ``gelu`` of more than one element to oneDNN (``use_mkldnn``), whose AVX-512 code
approximates erf(x / sqrt 2) by 25 degree-5 polynomials in |x|, one per range picked from the exponent and two
mantissa bits, Horner's rule one fused multiply-add a step, then x (1 + erf) / 2. The tails differ from ATen's own
kernel by far: it is -0 here and there from x = -5.49 on and throughout from -5.54 (ATen's: from -5.54), exactly x
from 5.33 (measured against torch 2.13
on 1,040,000 values from -3e38 to 3e38, infinities and NaN among them: every bit equal). Its gelu_backward goes
to oneDNN likewise, whose derivative takes Abramowitz and Stegun's erf and oneDNN's own exp (every bit equal on
400,000 values from -12 to 12 and the special ones). float16 on CPUs with AVX-512 FP16 goes the same way, in float32.
"""
import numpy as np

from .fma import _float32_of_sum, fused_multiply_add32


def _float32s(*words):
    return np.array(words, np.uint32).view(np.float32)


# The polynomials' coefficients by degree (0 to 5), each a row of 25 (oneDNN's table, as float32 bit patterns):
# polynomial 23 is the constant 1 (past the last range), 24 |x| (where NaN lands), 0 never picked (indices start
# at 1).
_COEFFICIENTS = np.stack([_float32s(*row) for row in (
    (0xa6f2cb94, 0x32827792, 0x3381cc0c, 0x34523d4a, 0x351ac44d, 0x35f36d88, 0x36ee8229, 0x37b8a3bb, 0x3867a213,
     0x3940033b, 0x3a2a5a1d, 0x3ae35863, 0x3b7828f2, 0x3c08b14b, 0x3c515ed3, 0xbb503236, 0xbd8d8e5e, 0xbe8abcd9,
     0xbf0c19a2, 0xbeccb328, 0x3e176ced, 0x3f470d99, 0x3f7abb28, 0x3f800000, 0),
    (0x3f4c422a, 0x3f4c421f, 0x3f4c4207, 0x3f4c41cb, 0x3f4c413b, 0x3f4c3fad, 0x3f4c3a2f, 0x3f4c2d40, 0x3f4c146a,
     0x3f4bc341, 0x3f4ad08c, 0x3f48f8cf, 0x3f45fac7, 0x3f404e07, 0x3f3b980f, 0x3f48dff3, 0x3f78b21b, 0x3fbb0704,
     0x40019c32, 0x3fe536d6, 0x3f81331e, 0x3e6c8684, 0x3c98f936, 0, 0x3f800000),
    (0xb62173f4, 0x3735e4cf, 0x37f2ff89, 0x388c23be, 0x3917535c, 0x39ab2ab0, 0x3a60fadb, 0x3af9b960, 0x3b6e5491,
     0x3c0a4ec5, 0x3ca5aa8c, 0x3d2138d9, 0x3d8737d4, 0x3ddfb660, 0x3e0f27ab, 0x3d94004b, 0xbe0efdeb, 0xbf1d96c3,
     0xbf89db58, 0xbf6d9897, 0xbef69fb8, 0xbdc4f8a8, 0xbbde6422, 0, 0),
    (0xbe081a19, 0xbe084570, 0xbe08639b, 0xbe089837, 0xbe08f409, 0xbe09ab95, 0xbe0b66d0, 0xbe0e400a, 0xbe124df8,
     0xbe1bde02, 0xbe2f19c9, 0xbe4931bf, 0xbe685fbc, 0xbe89c95f, 0xbe96cbca, 0xbe8044aa, 0xbe0550f2, 0x3dcfd6a1,
     0x3e94c826, 0x3e79345f, 0x3decec91, 0x3ca46568, 0x3aa1e00a, 0, 0),
    (0xba3d61db, 0x39f097a3, 0x3a5845dc, 0x3ab1fa35, 0x3b0cefb8, 0x3b653ab6, 0x3bcae527, 0x3c221712, 0x3c6c5840,
     0x3cc0a703, 0x3d1dcc19, 0x3d63656d, 0x3d955907, 0x3dbf9910, 0x3dd53f69, 0x3db7dcef, 0x3d639ebe, 0xba6ede48,
     0xbd22be69, 0xbd041cf1, 0xbc64f5ab, 0xbb097a32, 0xb8ebf380, 0, 0),
    (0x3cb7d80c, 0x3c9b6050, 0x3c978d11, 0x3c92e850, 0x3c8d058b, 0x3c848454, 0x3c6cd623, 0x3c4c824b, 0x3c2a7935,
     0x3be0b390, 0x3b0651ac, 0xbb232f53, 0xbbd42fa0, 0xbc2c5366, 0xbc492c9e, 0xbc2a7aa6, 0xbbd55d04, 0xba823a76,
     0x3b102aa8, 0x3ae25a7e, 0x3a31f792, 0x38b84375, 0x3689bb5a, 0, 0),
)])
_BY_POLYNOMIAL = np.ascontiguousarray(_COEFFICIENTS.T)
_INDEX_BIAS = np.int32(np.uint32(0xc21fffff).view(np.int32))  # moves |x| = 2**-12 (times 1.25) to polynomial 1
_SATURATION = _float32s(0x40b15cee)[0]  # from this |x| on, erf(x / sqrt 2) is 1 (polynomial 23)


def erf_of_scaled(x):
    """erf(x / sqrt 2) of float32 ``x`` as oneDNN's AVX-512 gelu kernel approximates it (its x (1 + erf) / 2 is the
    gelu)."""
    x = np.asarray(x, np.float32)
    out = np.empty(x.shape, np.float32)
    flat_x, flat_out = x.reshape(-1), out.reshape(-1)
    # (in pieces that keep the float64 temporaries in cache: 5-8 times faster on a 64x256x14x14 input)
    for start in range(0, flat_x.size, _CHUNK):
        _erf_of_scaled_into(flat_x[start:start + _CHUNK], flat_out[start:start + _CHUNK])
    return out


_CHUNK = 8192
_COEFFICIENTS64 = _COEFFICIENTS.astype(np.float64)  # (exactly the float32 values, gathered without a conversion)


def _erf_of_scaled_into(x, out):
    """erf_of_scaled of the 1-D ``x`` written into ``out``: each Horner step a fused multiply-add, as
    fused_multiply_add32 rounds it (the same float64 sum and midpoint repair) without its conversions."""
    magnitude = np.abs(x)
    # (int32 arithmetic wraps around as the kernel's: the biased bits of a small |x| go negative, then clip to 1)
    index = (magnitude.view(np.int32) + _INDEX_BIAS) >> 21
    np.clip(index, 1, 24, out=index)
    index[magnitude > _SATURATION] = 23
    wide = magnitude.astype(np.float64)
    total = _COEFFICIENTS64[5].take(index)
    polynomial = total.astype(np.float32)
    with np.errstate(all="ignore"):
        for degree in range(4, -1, -1):
            coefficient = _COEFFICIENTS64[degree].take(index)
            np.multiply(total, wide, out=total)  # (exact: two float32 values)
            np.add(total, coefficient, out=total)
            previous = polynomial
            polynomial = _float32_of_sum(total, lambda where: previous[where].astype(np.float64) * wide[where],
                                         coefficient)
            if degree:
                np.copyto(total, polynomial)
    np.negative(polynomial, out=polynomial, where=np.signbit(x))  # (not copysign: a tiny |x|'s value is negative)
    out[...] = polynomial


_LOG2_E, _LN2 = _float32s(0x3fb8aa3b, 0x3f317218)
_EXP_LIMITS = _float32s(0xc2aeac50, 0x42b17218)  # log of the smallest normal float32, log of the largest
_EXP_POLYNOMIAL = _float32s(0x3c07cfce, 0x3d2b9d0d, 0x3e2aad40, 0x3efffee3, 0x3f7ffffb, 0x3f800000)  # degree 5 to 0
_ONE_OVER_SQRT2, _ONE_OVER_SQRTPI = _float32s(0x3f3504f3, 0x3f106eba)
_ERF_P = _float32s(0x3ea7ba05)[0]
_ERF_POLYNOMIAL = _float32s(0x3f87dc22, 0xbfba00e3, 0x3fb5f0e3, 0xbe91a98e, 0x3e827906)  # degree 5 to 1


def exp(x):
    """e ** x of float32 ``x`` as oneDNN's kernels compute it: x = n ln 2 + r with n = floor(x log2(e) + 1/2),
    e ** r by a degree-5 polynomial, scaled by 2 ** (n - 1) and 2; 0 below the log of the smallest normal."""
    x = np.asarray(x, np.float32)
    flushed = x < _EXP_LIMITS[0]
    x = np.clip(x, *_EXP_LIMITS)
    n = np.floor(x * _LOG2_E + np.float32(0.5))
    remainder = fused_multiply_add32(-n, _LN2, x)
    scale = ((n - np.float32(1)).astype(np.int32) + 127) << 23
    scale[flushed] = 0
    polynomial = np.full_like(x, _EXP_POLYNOMIAL[0])
    for coefficient in _EXP_POLYNOMIAL[1:]:
        polynomial = fused_multiply_add32(polynomial, remainder, coefficient)
    return polynomial * scale.view(np.float32) * np.float32(2)


def gelu_erf_derivative(x):
    """d/dx of x (1 + erf(x / sqrt 2)) / 2 at float32 ``x`` as oneDNN's gelu backward computes it (on every ISA):
    (1 + erf(x / sqrt 2)) / 2 + (x / sqrt 2) e^(-x^2 / 2) / sqrt(pi), its erf Abramowitz and Stegun's 7.1.26."""
    x = np.asarray(x, np.float32)
    if x.size <= _CHUNK:
        return _gelu_erf_derivative(x)
    out = np.empty(x.shape, np.float32)
    flat_x, flat_out = x.reshape(-1), out.reshape(-1)
    for start in range(0, flat_x.size, _CHUNK):  # (in cache-sized pieces, as erf_of_scaled)
        flat_out[start:start + _CHUNK] = _gelu_erf_derivative(flat_x[start:start + _CHUNK])
    return out


def _gelu_erf_derivative(x):
    with np.errstate(all="ignore"):
        scaled = x * _ONE_OVER_SQRT2
        gaussian = exp(-(scaled * scaled))
        density_term = scaled * _ONE_OVER_SQRTPI * gaussian
        t = np.float32(1) / fused_multiply_add32(_ERF_P, np.abs(scaled), np.float32(1))
        polynomial = np.full_like(x, _ERF_POLYNOMIAL[0])
        for coefficient in _ERF_POLYNOMIAL[1:]:
            polynomial = fused_multiply_add32(polynomial, t, coefficient)
        error_function = fused_multiply_add32(-gaussian * t, polynomial, np.float32(1))
        error_function = np.where(np.signbit(scaled), -error_function, error_function)
        return fused_multiply_add32(error_function, np.float32(0.5), density_term + np.float32(0.5))
