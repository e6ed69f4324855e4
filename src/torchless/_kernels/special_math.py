"""Special functions of torch.special that NumPy lacks, on float64 arrays (no autograd).

Every function takes and returns float64 arrays; callers cast to the tensor's dtype. The methods are chosen to
reach about float64 precision without tables of fitted coefficients:

* modified Bessel I0/I1: their power series (positive terms) below 30, the Hankel asymptotic series above;
* modified Bessel K0/K1 and Airy Ai (x > 0): the trapezoidal rule on K_nu(x) = int_0^inf e^(-x cosh t)
  cosh(nu t) dt, an even integrand that decays double-exponentially, for which the rule converges
  exponentially in the step;
* Bessel J0/J1/Y0/Y1: J_m(x) for all m at once from the discrete Fourier transform of e^(i x sin theta)
  (Jacobi-Anger), Y from Neumann's series in J_2k, J_2k+1, up to 25; Hankel's asymptotic series beyond;
* the Hurwitz zeta function: a direct sum and the Euler-Maclaurin tail;
* the regularized incomplete gamma functions: the power series of P below a + 1, the continued fraction of Q
  (modified Lentz) above.
"""
import math

import numpy as np

from .._ops.special import _erfc_fraction, erfc

_EULER_GAMMA = 0.57721566490153286061
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _errstate():
    return np.errstate(all="ignore")


# ---------------------------------------------------------------------------- error-function family
def erfcx(x):
    """exp(x^2) erfc(x) without overflow: erfc's continued fraction already has that form from 1.5 on."""
    x = np.asarray(x, np.float64)
    a = np.abs(x)
    with _errstate():
        positive = np.where(a < 1.5, erfc(np.minimum(a, 1.5)) * np.exp(a * a), _erfc_fraction(np.maximum(a, 1.5), 100))
        negative = 2 * np.exp(a * a) - positive  # erfcx(-a) = 2 exp(a^2) - erfcx(a)
    out = np.where(x >= 0, positive, negative)
    out[x == np.inf] = 0.0
    return np.where(np.isnan(x), x, out)


def log_ndtr(x):
    """log of the normal CDF, kept accurate in the left tail through erfcx."""
    x = np.asarray(x, np.float64)
    t = x * math.sqrt(0.5)
    with _errstate():
        left = np.log(erfcx(-t) / 2) - t * t
        right = np.log1p(-erfc(t) / 2)
    return np.where(x < -1, left, right)


def ndtri(p):
    """The inverse of the normal CDF: a tail or central first guess, polished by Newton steps on log ndtr (which
    keep the relative accuracy of p down to the smallest doubles). ndtri(0) = -inf, ndtri(1) = inf."""
    p = np.asarray(p, np.float64)
    upper = p > 0.5
    q = np.where(upper, 1 - p, p)  # exact for p >= 1/2
    inside = (q > 0) & (q <= 0.5)
    q_in = np.where(inside, q, 0.25)
    with _errstate():
        log_q = np.log(q_in)
        s = -2 * log_q
        tail = -np.sqrt(s - np.log(s) - math.log(2 * math.pi))
        from .._ops.special import erfinv

        central = math.sqrt(2) * erfinv(2 * q_in - 1)
        x = np.where(q_in < 1e-3, tail, central)
        for _ in range(6):
            # Newton on log Phi(x) = log q: Phi / phi = sqrt(2 pi) exp(log Phi(x) + x^2 / 2)
            log_phi = log_ndtr(x)
            x = x - (log_phi - log_q) * np.exp(log_phi + 0.5 * x * x + _LOG_SQRT_2PI)
    x = np.where(upper, -x, x)
    out = np.where(inside, x, np.nan)
    out[p == 0] = -np.inf
    out[p == 1] = np.inf
    return out


def entr(x):
    """-x log x for x > 0, 0 at 0, -inf below, NaN at NaN."""
    x = np.asarray(x, np.float64)
    with _errstate():
        out = np.where(x > 0, -x * np.log(x), np.where(x == 0, 0.0, -np.inf))
    return np.where(np.isnan(x), x, out)


# ---------------------------------------------------------------------------- modified Bessel functions
def _bessel_i_scaled(a, order):
    """exp(-a) I_order(a) for a >= 0 (order 0 or 1)."""
    out = np.empty_like(a)
    small = a <= 30
    s = a[small]
    half_sq = 0.25 * s * s
    term = np.ones_like(s) if order == 0 else 0.5 * s
    total = term.copy()
    k = 0
    while term.size and np.any(term > 1e-17 * total):
        k += 1
        term = term * half_sq / (k * (k + order))
        total += term
    out[small] = total * np.exp(-s)
    big = a[~small]
    mu, inv8x, term = 4.0 * order * order, 1 / (8 * big), np.ones_like(big)
    total = term.copy()
    for k in range(1, 30):  # the series' smallest term, about exp(-2a), is far below float64's epsilon
        term = -term * (mu - (2 * k - 1) ** 2) * inv8x / k
        total += term
    with _errstate():
        out[~small] = total / (math.sqrt(2 * math.pi) * np.sqrt(big))  # (2 pi a would overflow from 2.9e307)
    return out


def _odd(value, x):
    """An odd function's ``value`` at |x|, negated where x < 0, as PyTorch's Cephes kernels do: +0.0 at -0.0."""
    return np.where(x < 0, -value, value)


def i0e(x):
    x = np.asarray(x, np.float64)
    with _errstate():
        out = _bessel_i_scaled(np.where(np.isnan(x), 0.0, np.abs(x)), 0)
    out[np.isinf(x)] = 0.0
    return np.where(np.isnan(x), x, out)


def i1e(x):
    x = np.asarray(x, np.float64)
    with _errstate():
        out = _bessel_i_scaled(np.where(np.isnan(x), 0.0, np.abs(x)), 1)
    out[np.isinf(x)] = 0.0
    return np.where(np.isnan(x), x, _odd(out, x))


def i0(x):
    x = np.asarray(x, np.float64)
    a = np.abs(x)
    with _errstate():
        out = i0e(a) * np.exp(a)  # inf from 709.8 on, as PyTorch's exp(x) factor overflows there
    out[np.isinf(x)] = np.nan  # PyTorch's value (inf / inf in its formula)
    return np.where(np.isnan(x), x, out)


def i1(x):
    x = np.asarray(x, np.float64)
    a = np.abs(x)
    with _errstate():
        out = i1e(a) * np.exp(a)
    out[np.isinf(x)] = np.nan
    return np.where(np.isnan(x), x, _odd(out, x))


_K_STEP = 0.1


def _bessel_k_scaled(a, order):
    """exp(a) K_order(a) for a > 0 (order any real), by the trapezoidal rule on the even integrand
    exp(-a (cosh t - 1)) cosh(order t), over t up to where it falls below exp(-60)."""
    out = np.empty_like(a)
    tiny, large = a < 1e-9, a > 1000
    # near 0 (orders 0 and 1 only reach here): the leading terms of the series, times exp(a)
    out[tiny] = (-np.log(a[tiny] / 2) - _EULER_GAMMA if order == 0 else 1 / a[tiny]) * (1 + a[tiny])
    # far out: the asymptotic series sqrt(pi / 2a) sum_k a_k(order) / a^k, converged in a few terms
    big = a[large]
    term, total = np.ones_like(big), np.ones_like(big)
    for k in range(1, 12):
        term = term * (4 * order * order - (2 * k - 1) ** 2) / (k * 8 * big)
        total += term
    out[large] = np.sqrt(math.pi / (2 * big)) * total
    rest = ~(tiny | large)
    if rest.any():
        out[rest] = _bessel_k_scaled_integral(a[rest], order)
    return out


def _bessel_k_scaled_integral(a, order):
    out = np.empty_like(a)
    reach = np.arccosh(1 + 60 / a)
    # the integrand's width shrinks as 1/sqrt(a): at least 40 steps across it
    step = np.minimum(_K_STEP, reach / 40)
    steps = np.ceil(reach / step).astype(np.int64) + 1
    # group rows by their number of steps (a power of 2), so small arguments (long tails) do not lengthen all
    bins = np.ceil(np.log2(steps))
    for count in np.unique(bins):
        rows = bins == count
        t = np.arange(int(2 ** count) + 1) * step[rows, None]
        weights = np.ones(t.shape[1])
        weights[0] = 0.5
        values = np.exp(-a[rows, None] * (np.cosh(t) - 1)) * np.cosh(order * t)
        out[rows] = (values @ weights) * step[rows]
    return out


def _k_scaled_everywhere(x, order):
    x = np.asarray(x, np.float64)
    positive = x > 0
    with _errstate():
        out = np.where(x == 0, np.inf, np.nan)
        finite = positive & np.isfinite(x)
        out[finite] = _bessel_k_scaled(x[finite], order)
    out[x == np.inf] = 0.0
    return out


def scaled_modified_bessel_k0(x):
    return _k_scaled_everywhere(x, 0.0)


def scaled_modified_bessel_k1(x):
    return _k_scaled_everywhere(x, 1.0)


def modified_bessel_k0(x):
    x = np.asarray(x, np.float64)
    with _errstate():
        return _k_scaled_everywhere(x, 0.0) * np.exp(-x)


def modified_bessel_k1(x):
    x = np.asarray(x, np.float64)
    with _errstate():
        return _k_scaled_everywhere(x, 1.0) * np.exp(-x)


# ---------------------------------------------------------------------------- Bessel functions of the first and
# second kind
_FOURIER_POINTS = 128  # J_m(x) for m < 64 and |x| <= 25: the aliased J_(128 - m)(x) is below 1e-20
_HANKEL_FROM = 25.0


def _bessel_j_all(x):
    """J_m(x) for m = 0 .. 63 (the last axis), by the FFT of exp(i x sin theta) = sum_m J_m(x) exp(i m theta)."""
    theta = 2 * math.pi * np.arange(_FOURIER_POINTS) / _FOURIER_POINTS
    samples = np.exp(1j * x[:, None] * np.sin(theta))
    return (np.fft.fft(samples, axis=-1).real / _FOURIER_POINTS)[:, :_FOURIER_POINTS // 2]


def _hankel(a, order):
    """(J_order(a), Y_order(a)) for large a from Hankel's asymptotic series P, Q."""
    mu = 4.0 * order * order
    p, q = np.ones_like(a), np.zeros_like(a)
    term = np.ones_like(a)
    for k in range(1, 40):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8 * a)
        if k % 2:
            q += term if k % 4 == 1 else -term
        else:
            p += term if k % 4 == 0 else -term
    s, c = np.sin(a), np.cos(a)
    if order == 0:  # chi = a - pi/4
        cos_chi, sin_chi = (c + s) * math.sqrt(0.5), (s - c) * math.sqrt(0.5)
    else:  # chi = a - 3 pi/4
        cos_chi, sin_chi = (s - c) * math.sqrt(0.5), -(s + c) * math.sqrt(0.5)
    scale = np.sqrt(2 / (math.pi * a))
    return scale * (p * cos_chi - q * sin_chi), scale * (p * sin_chi + q * cos_chi)


def _bessel_jy(x, order, kind):
    """J (kind "j") or Y (kind "y") of order 0 or 1 at the float64 array x."""
    x = np.asarray(x, np.float64)
    a = np.abs(x)
    out = np.full(x.shape, np.nan)
    with _errstate():
        near = a <= _HANKEL_FROM  # False for NaN
        far = (a > _HANKEL_FROM) & np.isfinite(a)
        if near.any():
            s = a[near]
            j = _bessel_j_all(s)
            if kind == "j":
                value = j[:, order]
                if order == 1:  # tiny arguments: the series, as the FFT's absolute error exceeds J1 itself
                    tiny = s < 1e-3
                    value[tiny] = 0.5 * s[tiny] * (1 - 0.125 * s[tiny] ** 2)
            else:
                log_term = np.log(s / 2) + _EULER_GAMMA
                k = np.arange(1, _FOURIER_POINTS // 4)
                if order == 0:  # (pi/2) Y0 = (log(x/2) + gamma) J0 + 2 sum_k (-1)^(k+1) J_2k / k
                    series = (j[:, 2 * k] * ((-1.0) ** (k + 1) / k)).sum(-1)
                    value = 2 / math.pi * (log_term * j[:, 0] + 2 * series)
                else:  # Y1 = -Y0', with J_n' = (J_(n-1) - J_(n+1)) / 2
                    odd = (j[:, 2 * k - 1] - j[:, 2 * k + 1]) * ((-1.0) ** (k + 1) / k)
                    value = -2 / math.pi * (j[:, 0] / s - log_term * j[:, 1] + odd.sum(-1))
            out[near] = value
        if far.any():
            jv, yv = _hankel(a[far], order)
            out[far] = jv if kind == "j" else yv
    # +-inf stay NaN, PyTorch's value
    if kind == "j":
        return np.where(np.signbit(x), -out, out) if order == 1 else out  # (odd: -0.0 at -0.0, as PyTorch's x * ...)
    out[x == 0] = -np.inf
    out[x < 0] = np.nan
    return out


def bessel_j0(x):
    return _bessel_jy(x, 0, "j")


def bessel_j1(x):
    return _bessel_jy(x, 1, "j")


def bessel_y0(x):
    return _bessel_jy(x, 0, "y")


def bessel_y1(x):
    return _bessel_jy(x, 1, "y")


def modified_bessel_i0(x):
    return i0(x)


def modified_bessel_i1(x):
    return i1(x)


def spherical_bessel_j0(x):
    """sin(x) / x, by its series near 0; 0 at +-inf."""
    x = np.asarray(x, np.float64)
    with _errstate():
        x2 = x * x
        series = 1 - x2 / 6 * (1 - x2 / 20 * (1 - x2 / 42 * (1 - x2 / 72 * (1 - x2 / 110 * (1 - x2 / 156)))))
        out = np.where(np.abs(x) < 0.5, series, np.sin(x) / x)
    out[np.isinf(x)] = 0.0
    return out


# ---------------------------------------------------------------------------- Airy Ai
_AI0 = 0.355028053887817239260  # Ai(0)
_AIP0 = 0.258819403792806798405  # -Ai'(0)


def _airy_series(x):
    """Ai(x) = Ai(0) f(x) - |Ai'(0)| g(x) from the Maclaurin series of f and g."""
    z = x * x * x
    f, g = np.ones_like(x), x.copy()
    m, n = np.ones_like(x), x.copy()
    k = 1.0
    for _ in range(200):
        m = m * z / ((k + 1) * (k + 2))
        n = n * z / ((k + 2) * (k + 3))
        k += 3
        f += m
        g += n
        if not np.any(np.abs(m) > 1e-17 * np.abs(f)) and not np.any(np.abs(n) > 1e-17 * np.abs(g)):
            break
    return _AI0 * f - _AIP0 * g


def _airy_oscillating(a):
    """Ai(-a) for large a: a^(-1/4) / sqrt(pi) (sin(zeta + pi/4) P - cos(zeta + pi/4) Q), zeta = 2/3 a^(3/2)."""
    zeta = 2 / 3 * a * np.sqrt(a)
    p, q = np.ones_like(a), np.zeros_like(a)
    u = 1.0
    term = np.ones_like(a)
    best = np.full(a.shape, np.inf)
    for k in range(1, 40):
        u *= (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / ((2 * k - 1) * 216 * k)
        term = u / zeta ** k
        use = term < best  # stop each row at its smallest term (the series is asymptotic)
        best = np.where(use, term, best)
        signed = term * (1 if (k // 2) % 2 == 0 else -1)
        if k % 2:
            q = np.where(use, q + signed, q)
        else:
            p = np.where(use, p + signed, p)
    phase = zeta + math.pi / 4
    return (np.sin(phase) * p - np.cos(phase) * q) / (math.sqrt(math.pi) * np.sqrt(np.sqrt(a)))


def airy_ai(x):
    x = np.asarray(x, np.float64)
    out = np.full(x.shape, np.nan)
    with _errstate():
        positive = (x > 1) & np.isfinite(x)
        a = x[positive]
        zeta = 2 / 3 * a * np.sqrt(a)
        # Ai(x) = sqrt(x / 3) / pi K_(1/3)(zeta)
        out[positive] = np.sqrt(a / 3) / math.pi * _bessel_k_scaled(zeta, 1 / 3) * np.exp(-zeta)
        middle = (x <= 1) & (x >= -7)
        out[middle] = _airy_series(x[middle])
        far = (x < -7) & np.isfinite(x)
        out[far] = _airy_oscillating(-x[far])
    out[(x > 103.892) & np.isfinite(x)] = 0.0
    return out


# ---------------------------------------------------------------------------- zeta and incomplete gamma
# B_2k / (2k)! for k = 1 .. 12: the Euler-Maclaurin coefficients
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798,
              -174611 / 330, 854513 / 138, -236364091 / 2730)
_EM_COEFFICIENTS = tuple(b / math.factorial(2 * k) for k, b in enumerate(_BERNOULLI, 1))


def zeta(s, q):
    """The Hurwitz zeta function sum_k (k + q)^-s: inf at s = 1, NaN for s < 1; for q <= 0 inf at the poles
    (integer q) and NaN for non-integer s, as PyTorch (Cephes) defines it."""
    s, q = np.broadcast_arrays(np.asarray(s, np.float64), np.asarray(q, np.float64))
    s, q = s.copy(), q.copy()
    with _errstate():
        total = np.zeros_like(s)
        shifted = q.copy()
        # direct terms until the start of the tail passes 9 (and at least 12 of them): its Euler-Maclaurin
        # remainder is then below float64's epsilon
        for count in range(1, 100001):
            total += shifted ** -s
            shifted = shifted + 1
            if count >= 12 and not np.any(shifted <= 9):
                break
        w = shifted
        tail = w ** (1 - s) / (s - 1) + 0.5 * w ** -s
        rising, factor = s.copy(), w ** (-s - 1)  # s (s+1) ... (s+2j-2) and w^(-s-2j+1), j = 1, 2, ...
        for j, c in enumerate(_EM_COEFFICIENTS):
            if j:
                rising = rising * (s + 2 * j - 1) * (s + 2 * j)
            tail = tail + c * rising * factor
            factor = factor / (w * w)
        out = total + tail
    # s = inf: PyTorch's 1 at q = 1, inf below (its first term), NaN above (its tail's 0 * inf)
    out = np.where(s == np.inf, np.where(q == 1, 1.0, np.where(q < 1, np.inf, np.nan)), out)
    out = np.where(q == np.inf, np.nan, out)
    out = np.where(np.isnan(s) | np.isnan(q), np.nan, out)
    # Cephes's tests, in its order (a NaN s passes them: inf at the poles of q all the same)
    out = np.where(s == 1, np.inf, out)
    out = np.where(s < 1, np.nan, out)
    nonpositive = q <= 0
    out = np.where(nonpositive & (q == np.floor(q)) & ~(s < 1) & (s != 1), np.inf, out)
    return np.where(nonpositive & (q != np.floor(q)) & (s != np.floor(s)) & (s > 1), np.nan, out)


def _log_gamma(a):
    from .._ops.special_functions import _lgamma

    return _lgamma(a)


def _gamma_series(a, x):
    """P(a, x) by its power series: x^a e^-x / Gamma(a + 1) sum_n x^n / ((a + 1) ... (a + n))."""
    term = np.ones_like(a)
    total = term.copy()
    denominator = a.copy()
    for _ in range(100000):
        denominator = denominator + 1
        term = term * x / denominator
        total += term
        if not np.any(term > 1e-17 * total):
            break
    return total * np.exp(a * np.log(x) - x - _log_gamma(a + 1))


def _gamma_fraction(a, x):
    """Q(a, x) by its continued fraction (modified Lentz), for x >= a + 1."""
    tiny = 1e-300
    b = x + 1 - a
    c = np.full_like(x, 1 / tiny)
    d = 1 / b
    h = d.copy()
    for i in range(1, 100000):
        an = -i * (i - a)
        b = b + 2
        d = an * d + b
        d = np.where(np.abs(d) < tiny, tiny, d)
        c = b + an / c
        c = np.where(np.abs(c) < tiny, tiny, c)
        d = 1 / d
        delta = d * c
        h = h * delta
        if not np.any(np.abs(delta - 1) > 1e-16):
            break
    return np.exp(a * np.log(x) - x - _log_gamma(a)) * h


def gammainc(a, x, upper=False):
    """The regularized lower incomplete gamma function P(a, x) (Q(a, x) = 1 - P with ``upper``): NaN for a < 0
    or x < 0 and where both are 0; P(0, x > 0) = 1; P(a, inf) = 1, P(inf, x finite) = 0."""
    a, x = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(x, np.float64))
    out = np.full(a.shape, np.nan)
    with _errstate():
        regular = (a > 0) & (x > 0) & np.isfinite(a) & np.isfinite(x)
        series = regular & (x < a + 1)
        fraction = regular & ~series
        p = _gamma_series(a[series], x[series])
        q = _gamma_fraction(a[fraction], x[fraction])
        out[series] = 1 - p if upper else p
        out[fraction] = q if upper else 1 - q
    out = np.where((a == 0) & (x > 0), 0.0 if upper else 1.0, out)
    out = np.where((x == 0) & (a > 0), 1.0 if upper else 0.0, out)
    out = np.where((x == np.inf) & (a >= 0) & np.isfinite(a), 0.0 if upper else 1.0, out)
    out = np.where((a == np.inf) & (x >= 0) & np.isfinite(x), 1.0 if upper else 0.0, out)
    out = np.where((a < 0) | (x < 0), np.nan, out)
    return out


# ---------------------------------------------------------------------------- orthogonal polynomials
# Evaluated in float64 by the three-term recurrences, with PyTorch's trigonometric forms for high degrees inside
# the interval and its exact values at its ends. A degree n is truncated toward zero to an integer; negative (and
# NaN or infinite) degrees give 0.


def _degrees(n):
    with _errstate():
        n = np.asarray(n, np.float64)
        valid = np.isfinite(n) & (n > -1)
        return np.where(valid, np.trunc(np.where(valid, n, 0)), -1).astype(np.int64)


def _recurrence(x, n, first, step):
    """The degree-n value from p_0 = 1, p_1 = ``first``(x) and p_(m+1) = ``step``(m, p_(m-1), p_m)."""
    one = np.ones_like(x)
    p, q = one, first(x)
    out = np.where(n == 0, one, np.where(n == 1, q, np.zeros_like(x)))
    top = int(n.max(initial=0))
    for m in range(1, top):
        p, q = q, step(m, p, q)
        out = np.where(n == m + 1, q, out)
    return out


def _polynomial(kind, x, n):
    x, n = np.broadcast_arrays(x, _degrees(n))
    dt = x.dtype.type
    with _errstate():
        if kind.startswith("shifted_"):
            base = kind[len("shifted_"):]
            y = x + x - dt(1)
        else:
            base, y = kind, x
        if base in ("chebyshev_t", "chebyshev_u", "chebyshev_v", "chebyshev_w"):
            firsts = {"chebyshev_t": lambda v: v, "chebyshev_u": lambda v: v + v,
                      "chebyshev_v": lambda v: v + v - dt(1), "chebyshev_w": lambda v: v + v + dt(1)}
            out = _recurrence(y, n, firsts[base], lambda m, p, q: (y + y) * q - p)
            out = _chebyshev_special_values(base, kind != base, x, y, n, out)
        elif kind == "hermite_h":
            out = _recurrence(x, n, lambda v: v + v, lambda m, p, q: (x + x) * q - dt(2 * m) * p)
        elif kind == "hermite_he":
            out = _recurrence(x, n, lambda v: v, lambda m, p, q: x * q - dt(m) * p)
        elif kind == "laguerre_l":
            out = _recurrence(x, n, lambda v: dt(1) - v,
                              lambda m, p, q: ((dt(2 * m) + (dt(1) - x)) * q - dt(m) * p) / dt(m + 1))
            out = np.where((x == 0) & (n >= 0), dt(1), out)
        elif kind == "legendre_p":
            out = _recurrence(x, n, lambda v: v, lambda m, p, q: (dt(2 * m + 1) * x * q - dt(m) * p) / dt(m + 1))
            edge = np.abs(x) == 1
            out = np.where(edge & (n >= 0), np.where((x > 0) | (n % 2 == 0), dt(1), dt(-1)), out)
        else:  # pragma: no cover - the callers name one of the above
            raise AssertionError(kind)
    return np.where(n < 0, np.zeros_like(out), out).astype(x.dtype, copy=False)


def _chebyshev_special_values(base, shifted, x, y, n, out):
    """PyTorch's exact values at the ends of the interval and its trigonometric forms for high degrees."""
    dt = x.dtype.type
    nf = n.astype(x.dtype)
    odd = n % 2 == 1
    sign = np.where(odd, dt(-1), dt(1))
    # the ends: x = +-1 (shifted: x = 1, 0)
    at_top = (x == 1) if shifted else (x == 1)
    at_bottom = (x == 0) if shifted else (x == -1)
    top_value = {"chebyshev_t": np.ones_like(nf), "chebyshev_u": nf + 1, "chebyshev_v": np.ones_like(nf),
                 "chebyshev_w": nf + nf + 1}[base]
    bottom_value = {"chebyshev_t": sign, "chebyshev_u": sign * (nf + 1), "chebyshev_v": sign * (nf + nf + 1),
                    "chebyshev_w": sign}[base]
    threshold = {"chebyshev_t": 6, "chebyshev_u": 8, "chebyshev_v": 8, "chebyshev_w": 8}[base]
    if shifted:
        threshold = {"chebyshev_t": 6, "chebyshev_u": 6, "chebyshev_v": 6, "chebyshev_w": 4}[base]
    inside = (n > threshold) & (np.abs(y) < 1)
    if inside.any():
        theta = np.arccos(y)
        if base == "chebyshev_t":
            trig = np.cos(nf * theta)
        elif base == "chebyshev_u":
            s = np.sin(theta)
            trig = np.where(s != 0, np.sin((nf + 1) * theta) / np.where(s != 0, s, 1),
                            (nf + 1) * np.cos((nf + 1) * theta) * y)
        elif base == "chebyshev_v":
            half = np.sin(theta / 2)
            trig = np.where(half != 1, np.cos((nf + dt(0.5)) * theta) / np.cos(theta / 2), sign * (nf + nf + 1))
        else:
            half = np.cos(theta / 2)
            trig = np.where(half != 1, np.sin((nf + dt(0.5)) * theta) / np.sin(theta / 2),
                            np.where(y > 0, nf + nf + 1, sign))
        out = np.where(inside, trig, out)
    out = np.where(at_bottom & (n >= 0), bottom_value, out)
    return np.where(at_top & (n >= 0), top_value, out)


POLYNOMIALS = ("chebyshev_t", "chebyshev_u", "chebyshev_v", "chebyshev_w", "shifted_chebyshev_t",
               "shifted_chebyshev_u", "shifted_chebyshev_v", "shifted_chebyshev_w", "hermite_h", "hermite_he",
               "laguerre_l", "legendre_p")


def polynomial(kind, x, n):
    """The orthogonal polynomial ``kind`` (a name in POLYNOMIALS) of degree n at x."""
    return _polynomial(kind, np.asarray(x, np.float64), n)


def trigamma_at_poles(x, dtype):
    """PyTorch's trigamma at its poles x = -1, -2, ...: its reflection's pi^2 / sin(pi x)^2, finite there in floating
    point, computed in the input's ``dtype`` (float32's sin(pi x) is 8.7e-8 at -1, where float64's is 1.2e-16), NaN
    where pi x overflows."""
    dtype = np.float32 if dtype == np.float32 else np.float64
    pi = dtype(math.pi)
    with _errstate():
        sin = np.sin((pi * x.astype(dtype)).astype(np.float64)).astype(dtype)  # (correctly rounded, as libm's)
        return (pi * pi) / (sin * sin)


def trigamma(x, dtype=np.float64):
    """PyTorch's trigamma (calc_trigamma) in float64, computed as its kernel does in the input's ``dtype`` (float32
    for float32 and narrower): the reflection below 1/2, six steps of the recurrence, then four terms of the
    asymptotic series. Its truncation is PyTorch's values' (1e-9 off the true ones near 0.5), which gradients of
    digamma and lgamma carry."""
    real = np.float64 if np.dtype(dtype) == np.float64 else np.float32
    x = given = np.asarray(x).astype(real)
    with _errstate():
        pi = real(math.pi)
        reflected = x < real(0.5)
        sin_pi_x = np.sin(pi * x)
        result = np.where(reflected, -(pi * pi) / (sin_pi_x * sin_pi_x), real(0))
        x = np.where(reflected, real(1) - x, x)
        for _ in range(6):
            result = result + real(1) / (x * x)
            x = x + real(1)
        ixx = real(1) / (x * x)
        result = result + (real(1) + real(1) / (real(2) * x)
                           + ixx * (real(1 / 6) - ixx * (real(1 / 30) - ixx * real(1 / 42)))) / x
        result = np.where(reflected, -result, result).astype(np.float64)
        poles = (given < 0) & (given == np.floor(given)) & np.isfinite(given)
        result[poles] = trigamma_at_poles(given[poles], dtype)
    return result


def polygamma(n, x, dtype=np.float64):
    """The n-th derivative of digamma: digamma itself for n = 0, else (-1)^(n+1) n! zeta(n + 1, x). ``dtype``: the
    input's, whose roundings trigamma's poles take (see trigamma_at_poles)."""
    from .._ops.special_functions import _digamma

    x = np.asarray(x, np.float64)
    if n == 0:
        return _digamma(x, dtype)
    if n == 1:
        return trigamma(x, dtype)
    with _errstate():
        return (-1.0) ** (n + 1) * math.exp(math.lgamma(n + 1)) * zeta(np.float64(n + 1), x)
