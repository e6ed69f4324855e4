"""A least-squares solve rounded step by step as torch.linalg.lstsq's ``gels`` driver rounds it with MKL.

torchvision solves a perspective transform's eight coefficients with ``lstsq(driver="gels")``; the coefficients
that should be zero keep the solver's rounding residue, which still moves Pillow's resampling by whole levels, so
matching torchvision's warped pixels means matching MKL's rounding, not just solving the system. Plain Python
floats (IEEE doubles, one rounding per operation) follow LAPACK's reference steps one by one.
"""
import math


class RankDeficient(ArithmeticError):
    """The triangular factor has a zero on its diagonal, first in ``column`` (1-based, as LAPACK's info)."""

    def __init__(self, column):
        super().__init__(column)
        self.column = column


def solve_as_mkl_gels(a, b):
    """The solution of the full-rank square system ``a x = b`` (lists of Python floats) as torch.linalg.lstsq's
    ``gels`` driver computes it with MKL: LAPACK's Householder QR (dgeqr2: reflectors from dnrm2's scaled sum of
    squares and dlapy2, the trailing columns' dot products summed in two interleaved halves), Q^T b (dorm2r: the
    reflector's leading 1 added last), then back substitution by columns (dtrsm). Each step rounds as MKL does on
    these 8 x 8 systems on AMD CPUs (measured on AMD EPYC hosts: the coefficients come out bit for bit; MKL's
    kernels for Intel CPUs may leave other residues in the coefficients that should be zero).

    Raises:
        RankDeficient: where dtrtrs refuses the triangle.
    """
    a = [list(row) for row in a]
    n = len(a)
    taus = []
    for i in range(n):
        alpha, below = a[i][i], [a[r][i] for r in range(i + 1, n)]
        norm = _scaled_norm(below)
        if norm == 0:
            taus.append(0.0)
            continue
        beta = -math.copysign(_hypot(alpha, norm), alpha)
        tau, scale = (beta - alpha) / beta, 1.0 / (alpha - beta)
        for r in range(i + 1, n):
            a[r][i] *= scale
        a[i][i] = beta
        taus.append(tau)
        reflector = [1.0] + [a[r][i] for r in range(i + 1, n)]
        for j in range(i + 1, n):
            column = [a[r][j] for r in range(i, n)]
            step = -tau * _two_lane_dot(column, reflector)
            for k, r in enumerate(range(i, n)):
                a[r][j] = column[k] + reflector[k] * step
    b = list(b)
    for i, tau in enumerate(taus):
        if tau != 0:
            reflector = [a[r][i] for r in range(i + 1, n)]
            step = -tau * (b[i] + _sum_products(b[i + 1:], reflector))
            b[i] += step
            for k, r in enumerate(range(i + 1, n)):
                b[r] += reflector[k] * step
    # dtrtrs refuses a triangle with a zero on its diagonal
    zeros = [j for j in range(n) if a[j][j] == 0]
    if zeros:
        raise RankDeficient(zeros[0] + 1)
    for j in range(n - 1, -1, -1):
        if b[j] != 0:
            b[j] /= a[j][j]
            for r in range(j):
                b[r] -= b[j] * a[r][j]
    return b


def _sum_products(x, y):
    total = 0.0
    for p, q in zip(x, y):
        total += p * q
    return total


def _two_lane_dot(x, y):
    # even and odd terms in two running sums, added, then an odd length's last term
    even = odd = 0.0
    paired = len(x) // 2 * 2
    for k in range(0, paired, 2):
        even += x[k] * y[k]
        odd += x[k + 1] * y[k + 1]
    return (even + odd) + _sum_products(x[paired:], y[paired:])


def _scaled_norm(x):
    # LAPACK's classic dnrm2: a running scale and sum of squares, free of overflow
    scale, squares = 0.0, 1.0
    for value in x:
        if value != 0:
            size = abs(value)
            if scale < size:
                squares, scale = 1 + squares * (scale / size) ** 2, size
            else:
                squares += (size / scale) ** 2
    return scale * math.sqrt(squares)


def _hypot(x, y):
    # dlapy2
    big, small = max(abs(x), abs(y)), min(abs(x), abs(y))
    return big if small == 0 else big * math.sqrt(1 + (small / big) ** 2)
