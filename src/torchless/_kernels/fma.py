"""Fused multiply-adds (``a * b + c`` rounded once, as the FMA instructions compilers put in PyTorch's kernels),
emulated with NumPy's separately rounded operations."""
import numpy as np

# The float64 bits below a float32's 24-bit mantissa (53 - 24 = 29 of them) at a float32 rounding midpoint, shifted
# to the top of the word (where one integer pass puts them): a float64 sum landing there may be a rounded-to-the-
# midpoint value that was not one (see fused_multiply_add32)
_MIDPOINT_SHIFTED = np.int64(-(1 << 63))
_BITS_ABOVE_FLOAT32 = 64 - 29


def fused_multiply_add32(a, b, c):
    """float32 ``a * b + c`` rounded once, as an FMA instruction does (for results that are normal float32 numbers).

    The product of two float32 values is exact in float64, and so is the float64 sum unless it rounds; a sum
    rounded onto a float32 midpoint would then be rounded a second time, possibly the wrong way, so those (about
    one in 2**28) are nudged one float64 step towards the exact value first, which breaks the tie as it should.
    """
    # (_in_float64 and _float32_of_sum inlined, NumPy's ndim/shape/count_nonzero wrappers skipped, the repair's
    # closure made only when a midpoint needs it: 1024 floats 7.5 -> 4.4 us, a few floats 5.5 -> 2.6, per call,
    # which Box-Muller's randn makes 16 of)
    if isinstance(a, _ndarray) and a.dtype != _FLOAT64:
        a = a.astype(_FLOAT64)
    if isinstance(b, _ndarray) and b.dtype != _FLOAT64:
        b = b.astype(_FLOAT64)
    if isinstance(c, _ndarray) and c.dtype != _FLOAT64:
        c = c.astype(_FLOAT64)
    total = _multiply(a, b, dtype=_FLOAT64)
    if isinstance(total, _ndarray):
        c_shape = c.shape if isinstance(c, (_ndarray, np.generic)) else np.shape(c)
        if not c_shape or c_shape == total.shape:
            _add(total, c, out=total)  # (in place: a Box-Muller piece's fill 20% faster than with a new array)
        else:
            total = total + c
    else:
        total = total + c
    if _count_nonzero(_equal(_left_shift(total.view(_INT64), _SHIFT), _MIDPOINT)):
        return _float32_of_sum(total, lambda where: _taken(a, where, total.shape) * _taken(b, where, total.shape), c)
    return total.astype(_FLOAT32)


_ndarray, _FLOAT64, _FLOAT32, _INT64 = np.ndarray, np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.int64)
_multiply, _add, _left_shift, _equal = np.multiply, np.add, np.left_shift, np.equal
# (as 0-d arrays: a ufunc takes them 0.2 us sooner than scalars, whose dtype it resolves each call)
_SHIFT, _MIDPOINT = np.array(_BITS_ABOVE_FLOAT32, np.int64), np.array(_MIDPOINT_SHIFTED)
try:  # (the C function behind np.count_nonzero(x), without its Python wrapper)
    from numpy._core.multiarray import count_nonzero as _count_nonzero
except ImportError:  # (NumPy 1)
    from numpy.core.multiarray import count_nonzero as _count_nonzero


def _in_float64(operand):
    """An array operand converted to float64 by itself: NumPy's ufuncs on mixed float32 and float64 arrays cast
    through small buffers, 4-7 times slower than astype followed by a float64 ufunc (32768 elements: multiply 106
    us vs 6 + 12, add 40 vs 6 + 6). Scalars as they are (a ufunc casts them once)."""
    if isinstance(operand, np.ndarray) and operand.dtype != np.float64:
        return operand.astype(np.float64)
    return operand


def _rounded_to_float32(product, c):
    """float32 ``product + c`` rounded once, for a float64 ``product`` exact (of two float32 values): see
    fused_multiply_add32."""
    c = _in_float64(c)
    total = product + c
    return _float32_of_sum(total, lambda where: _taken(product, where, total.shape), c)


def _float32_of_sum(total, product_at, c):
    """float32 of the float64 ``total`` of an exact product and ``c``, rounded once: the sums on a float32 midpoint
    repaired, with the product's values there, ``product_at(where)``."""
    midpoint = _equal(_left_shift(total.view(_INT64), _SHIFT), _MIDPOINT)
    if _count_nonzero(midpoint):  # (ndarray.any's Python wrapper cost more than this whole test on small arrays)
        total = total if isinstance(total, np.ndarray) else np.array(total)  # (a new array, but for scalars)
        where = np.nonzero(midpoint) if midpoint.ndim else midpoint  # (by index: few, in large broadcasts too)
        p, addend, rounded = product_at(where), _taken(c, where, total.shape), _taken(total, where, total.shape)
        p_part = rounded - addend
        lost = (p - p_part) + (addend - (rounded - p_part))  # TwoSum's error term (0: the sum was exact)
        total[where] = np.where(lost == 0, rounded, np.nextafter(rounded, np.copysign(np.inf, lost)))
    return total.astype(np.float32)


def _taken(operand, where, shape):
    """The float64 values of ``operand`` (broadcast to ``shape``) at ``where``; a scalar as it is."""
    operand = np.asarray(operand)
    if operand.ndim:
        operand = (operand if operand.shape == shape else np.broadcast_to(operand, shape))[where]
    return operand.astype(np.float64, copy=False)


def fused_multiply_add(a, b, c):
    """``a * b + c`` rounded once in the dtype the operands promote to, float32 or float64 (an FMA instruction's
    result); other dtypes as written."""
    dtype = np.result_type(a, b, c)
    if dtype == np.float32:
        return fused_multiply_add32(a, b, c)
    if dtype == np.float64:
        return fused_multiply_add64(a, b, c)
    return a * b + c


# Veltkamp's splitter for float64: 2**27 + 1 cuts a 53-bit mantissa into two halves whose products are exact
_SPLITTER = np.float64(2 ** 27 + 1)


def fused_multiply_add64(a, b, c):
    """float64 ``a * b + c`` rounded once (to within ties nothing here meets): Dekker's exact product as a sum of two
    float64 values, added to ``c`` with TwoSum's error kept (Ogita, Rump and Oishi's accurate sum of three)."""
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    product, product_error = _two_product(a, b)
    corrected, total = _sum_of_three(product, product_error, c)
    lost = ~np.isfinite(corrected) & np.isfinite(total)
    if lost.any():  # Veltkamp's split overflowed (past about 2**996): again, scaled down by a power of two (exact)
        a, b, c = (np.broadcast_to(v, lost.shape)[lost] for v in (a, b, c))
        larger_a = np.abs(a) >= np.abs(b)
        a, b = np.where(larger_a, a * _DOWN, a), np.where(larger_a, b, b * _DOWN)
        corrected = np.array(corrected)
        corrected[lost] = fused_multiply_add64(a, b, c * _DOWN) / _DOWN
    return corrected


def _two_product(a, b):
    """Dekker's product of float64 arrays: (a * b rounded, its error), whose sum is a * b exactly."""
    with np.errstate(invalid="ignore", over="ignore"):
        product = a * b
        a_high, a_low = _split(a)
        b_high, b_low = _split(b)
        return product, ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low


def _sum_of_three(product, product_error, c):
    """(product + product_error + c rounded once, product + c rounded): TwoSum's error of the latter kept (Ogita,
    Rump and Oishi); an infinite (or NaN) sum is the result, where its error terms are inf - inf, NaN."""
    with np.errstate(invalid="ignore", over="ignore"):
        total = product + c
        c_part = total - product
        sum_error = (product - (total - c_part)) + (c - c_part)
        corrected = total + (sum_error + product_error)
    return np.where(np.isfinite(total), corrected, total), total


class ExactProducts:
    """The products a * b of two float32 (or float64) arrays, held exactly (in float64, or as Dekker's pairs), for a
    loop of fused multiply-adds on slices of them: ``fused_add(index, c)`` is fused_multiply_add(a[index],
    b[index], c) without computing the product again (finite values: no overflow rescaling)."""

    def __init__(self, a, b):
        self.single = a.dtype == np.float32
        self.parts = (np.multiply(a, b, dtype=np.float64),) if self.single else _two_product(a, b)

    def fused_add(self, index, c):
        if self.single:
            return _rounded_to_float32(self.parts[0][index], c)
        product, product_error = (part[index] for part in self.parts)
        return _sum_of_three(product, product_error, c)[0]


_DOWN = 2.0 ** -80


def _split(x):
    scaled = _SPLITTER * x
    high = scaled - (scaled - x)
    return high, x - high
