"""The error function and its relatives, which NumPy lacks: erf, erfc and erfinv on arrays.

Shared by the tensor ops (``torchless.erf``, ...), GELU (nn.functional) and trunc_normal_ (nn.init).
"""
import math

import numpy as np

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _erf_series(a):
    """erf(a) for 0 <= a (< 3 for accuracy): 2/sqrt(pi) * exp(-a^2) * sum_n a (2a^2)^n / (1*3*...*(2n+1)),
    a series of positive terms (no cancellation), summed in a's dtype to its precision."""
    term, total, two_a2 = a.copy(), a.copy(), 2 * a * a
    if term.size <= _CHUNK:
        _add_terms(term, total, two_a2, 0)
        return _TWO_OVER_SQRT_PI * np.exp(-a * a) * total
    flat = (term.reshape(-1), total.reshape(-1), two_a2.reshape(-1))
    # Summed in cache-sized pieces (2-3 times faster on large arrays), each first until its own terms settle, then
    # on to the count the slowest piece took: every element gets as many terms as one pass over the whole array
    # gives it, the same sums by construction (the terms past settling are below half an ulp in practice).
    pieces = [tuple(array[start:start + _CHUNK] for array in flat) for start in range(0, term.size, _CHUNK)]
    counts = [_add_terms(*piece, 0) for piece in pieces]
    for piece, count in zip(pieces, counts):
        _add_terms(*piece, count, max(counts))
    return _TWO_OVER_SQRT_PI * np.exp(-a * a) * total


_CHUNK = 8192


def _add_terms(term, total, two_a2, n, stop=None):
    """Adds the series' terms after the n-th to ``total`` in place, up to the ``stop``-th or else until each term is
    below total's precision; the count of terms then added in all."""
    eps = np.finfo(term.dtype).eps
    scratch, unsettled = np.empty_like(term), np.empty(term.shape, bool)  # (reused: the loop runs up to ~30 times)
    while n < stop if stop is not None else np.greater(term, np.multiply(eps, total, out=scratch), out=unsettled).any():
        # terms shrink once 2n + 1 > 2a^2 (< 18)
        n += 1
        term *= np.divide(two_a2, 2 * n + 1, out=scratch)
        total += term
    return n


def _erfc_fraction(a, terms):
    """erfc(a) * exp(a^2) for a > 0, from the continued fraction 1/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a
    + ...)))), evaluated bottom-up (``terms`` levels: 40 suffice from a = 3, 100 from a = 1.5)."""
    fraction = np.zeros_like(a)
    for k in range(terms, 0, -1):
        fraction = (k / 2) / (a + fraction)
    return 1 / math.sqrt(math.pi) / (a + fraction)


def erf(x):
    """erf(x) to about machine precision in x's dtype (float32 or float64); erf(+-inf) = +-1, erf(-0) = -0."""
    a = np.abs(x)
    near = a < 3
    if near.all():  # (the common case, without the copies in and out and the fraction's loop over nothing)
        return np.copysign(_erf_series(a.reshape(-1)).reshape(a.shape), x)
    out = np.empty_like(a)
    out[near] = _erf_series(a[near])
    large = a[~near]
    with np.errstate(invalid="ignore"):  # NaN stays NaN
        out[~near] = 1 - np.exp(-large * large) * _erfc_fraction(large, 40)
    return np.copysign(out, x)


def erfc(x):
    """1 - erf(x) without the cancellation of that difference for large x (erfc(10) is 2.1e-45, not 0)."""
    a = np.abs(x)
    out = np.empty_like(a)
    near = a < 1.5
    out[near] = 1 - _erf_series(a[near])
    large = a[~near]
    with np.errstate(invalid="ignore", under="ignore"):
        out[~near] = np.exp(-large * large) * _erfc_fraction(large, 100)
    return np.where(x < 0, 2 - out, out)


def erfinv_approx(x):
    """The inverse error function on [-1, 1], to float32 accuracy: M. Giles's polynomials ("Approximating
    the erfinv function", 2010) where they hold, 1 - |x| >= 1e-7, and past them the tail's asymptotics,
    erfc(y) ~ exp(-y^2) / (y sqrt(pi)), solved for y."""
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1.0 - x) * (1.0 + x))
    central = w < 5.0
    t = np.where(central, w - 2.5, np.sqrt(np.clip(w, 5.0, _ERFINV_POLYNOMIAL_MAX_W)) - 3.0)
    inner = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
             -0.00417768164, 0.246640727, 1.50140941)
    outer = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
             0.00943887047, 1.00167406, 2.83297682)
    p_inner, p_outer = np.zeros_like(t), np.zeros_like(t)
    for c_inner, c_outer in zip(inner, outer):
        p_inner, p_outer = p_inner * t + c_inner, p_outer * t + c_outer
    y = np.asarray(np.where(central, p_inner, p_outer) * x)  # (an array even for a 0-d x, for the tail's writes)
    tail = w > _ERFINV_POLYNOMIAL_MAX_W
    if tail.any():
        with np.errstate(divide="ignore"):
            log_q = -np.log1p(-np.abs(x[tail]))  # -log(1 - |x|), inf at |x| = 1
        finite_log_q = np.minimum(log_q, 1e300)
        z = np.sqrt(finite_log_q)
        for _ in range(4):  # fixed point of z^2 = -log(1 - |x|) - log(z sqrt(pi))
            z = np.sqrt(np.maximum(finite_log_q - np.log(z) - 0.5 * math.log(math.pi), 1.0))
        y[tail] = np.copysign(np.where(np.isinf(log_q), np.inf, z), x[tail])
    return y


_ERFINV_POLYNOMIAL_MAX_W = 16.0


def erfinv(x):
    """erfinv(x) to about float64 precision (the result in x's dtype): erfinv_approx refined by Newton steps
    in float64, on erf(y) = x for |x| <= 1/2 and on erfc(y) = 1 - |x| (exact there) beyond, so the tails keep
    their relative accuracy. +-1 give +-inf, |x| > 1 and NaN give NaN."""
    x64 = np.asarray(x, np.float64)
    a = np.abs(x64)
    with np.errstate(invalid="ignore"):
        y = np.abs(erfinv_approx(x64))
        inside = a < 1  # False for NaN
    y = np.where(inside, y, 0.0)
    central = inside & (a <= 0.5)
    tail = inside & ~central
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        for _ in range(3):
            yc, yt = y[central], y[tail]
            y[central] = yc - (erf(yc) - a[central]) / (_TWO_OVER_SQRT_PI * np.exp(-yc * yc))
            # erfc(y) = exp(-y^2) C(y): the Newton step (erfc(y) - q) / (2/sqrt(pi) exp(-y^2)) as
            # (C(y) - q exp(y^2)) sqrt(pi)/2, which neither underflows nor overflows in the far tail.
            q = 1 - a[tail]
            ratio = np.where(yt < 1.5, erfc(yt) * np.exp(yt * yt), _erfc_fraction(np.maximum(yt, 1.5), 100))
            y[tail] = yt + (ratio - np.exp(yt * yt + np.log(q))) / _TWO_OVER_SQRT_PI
    out = np.where(inside, y, np.where(a == 1, np.inf, np.nan))
    return np.copysign(out, x64).astype(np.result_type(x), copy=False)
