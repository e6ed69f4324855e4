"""``torch._sample_dirichlet(alpha)``: Dirichlet draws from PyTorch's stream; ``torch._dirichlet_grad(x, alpha,
total)``: their reparameterized gradient of Dirichlet draws ``x`` with respect
to their concentration ``alpha`` (``total`` = its sum), -(d/dalpha CDF) / pdf of each coordinate's Beta(alpha,
total - alpha) marginal, by PyTorch's approximations: series near 0 and 1, Rice's saddle-point expansion when both
parameters are large, a rational correction of an analytic approximation elsewhere."""
import numpy as np

from .. import _parser_errors
from .._tensor import Tensor
from .special_functions import _digamma

# PyTorch's coefficients of the rational correction: [numerator, denominator][power of u][power of a][power of b]
_CORRECTION = np.array([
    [[[1.003668233, -0.01061107488, -0.0657888334, 0.01201642863],
      [0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033],
      [-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013]],
     [[0.221950385, -0.3187676331, 0.01799915743, 0.01074823814],
      [-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057],
      [0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05]],
     [[-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565],
      [0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181],
      [0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05]]],
    [[[1, -0.02924021934, -0.04438342661, 0.007285809825],
      [0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521],
      [-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149]],
     [[0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273],
      [0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956],
      [-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05]],
     [[0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05],
      [0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05],
      [-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06]]],
])


def _grad_alpha_small(x, alpha, beta):
    """Near x = 0: a Taylor series."""
    factor = _digamma(alpha) - _digamma(alpha + beta) - np.log(x)
    numer = np.ones_like(x)
    series = numer / alpha * (factor + 1 / alpha)
    for i in range(1, 11):
        numer = numer * ((i - beta) * x / i)
        denom = alpha + i
        series = series + numer / denom * (factor + 1 / denom)
    result = x * np.power(1 - x, -beta) * series
    return np.where(np.isnan(result), 0.0, result)


def _grad_beta_small(x, alpha, beta):
    """The gradient with respect to beta near x = 0 (by symmetry: alpha's near 1)."""
    factor = _digamma(alpha + beta) - _digamma(beta)
    numer, betas, dbetas = np.ones_like(x), np.ones_like(x), np.zeros_like(x)
    series = factor / alpha
    for i in range(1, 9):
        numer = numer * (-x / i)
        dbetas = dbetas * (beta - i) + betas
        betas = betas * (beta - i)
        series = series + numer / (alpha + i) * (dbetas + factor * betas)
    result = -np.power(1 - x, 1 - beta) * series
    return np.where(np.isnan(result), 0.0, result)


def _grad_alpha_mid(x, alpha, beta):
    """Both parameters large: Rice's saddle-point expansion, a polynomial near the mean where it is singular."""
    total = alpha + beta
    mean = alpha / total
    std = np.sqrt(alpha * beta / (total + 1)) / total
    poly = 47 * x * (beta * beta) * (beta * beta) + alpha * (
        (43 + 20 * (16 + 27 * beta) * x) * (beta * beta) * beta + alpha * (
            3 * (59 + 180 * beta - 90 * x) * (beta * beta) + alpha * (
                (453 + 1620 * beta * (1 - x) - 455 * x) * beta + alpha * (8 * (1 - x) * (135 * beta - 11)))))
    prefactor_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
    prefactor_den = 12960 * alpha * alpha * alpha * beta * beta * (1 + 12 * total)
    near_mean = prefactor_num / (1 - x) * poly / prefactor_den
    prefactor = -x / np.sqrt(2 * alpha * beta / total)
    stirling = ((1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha)) * (1 + 1 / (12 * beta) + 1 / (288 * beta * beta))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    term1_num = 2 * (alpha * alpha) * (x - 1) + alpha * beta * (x - 1) - x * (beta * beta)
    axbx = alpha * (x - 1) + beta * x
    term1 = term1_num / (np.sqrt(2 * alpha / beta) * np.power(total, 1.5) * axbx * axbx)
    term2 = 0.5 * np.log(alpha / (total * x))
    term3 = np.sqrt(8 * alpha * beta / total) / (beta * x + alpha * (x - 1))
    term4 = np.power(beta * np.log(beta / (total * (1 - x))) + alpha * np.log(alpha / (total * x)), -1.5)
    far = stirling * prefactor * (term1 + term2 * (term3 + np.where(x < mean, term4, -term4)))
    return np.where((mean - 0.1 * std <= x) & (x <= mean + 0.1 * std), near_mean, far)


def _rational_correction(x, alpha, total):
    u = np.log(x)
    a = np.log(alpha) - u
    b = np.log(total) - a
    powers_u, powers_a = (np.ones_like(u), u, u * u), (np.ones_like(a), a, a * a)
    p = q = 0.0
    for i in range(3):
        for j in range(3):
            ua = powers_u[i] * powers_a[j]
            cp, cq = _CORRECTION[0, i, j], _CORRECTION[1, i, j]
            p = p + ua * (cp[0] + b * (cp[1] + b * (cp[2] + b * cp[3])))
            q = q + ua * (cq[0] + b * (cq[1] + b * (cq[2] + b * cq[3])))
    approx = x * (_digamma(total) - _digamma(alpha)) / (total - alpha)
    return p / q * approx


def dirichlet_grad(x, alpha, total):
    """PyTorch's dirichlet_grad_one for arrays (broadcast), in float64, returned in x's dtype."""
    dtype = np.result_type(x, alpha, total)
    x, alpha, total = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (x, alpha, total)))
    beta = total - alpha
    boundary = total * x * (1 - x)
    result = np.empty(x.shape)
    near_zero = (x <= 0.5) & (boundary < 2.5)
    near_one = ~near_zero & (x >= 0.5) & (boundary < 0.75)
    both_large = ~near_zero & ~near_one & (alpha > 6) & (beta > 6)
    elsewhere = ~(near_zero | near_one | both_large)
    with np.errstate(all="ignore"):
        result[near_zero] = _grad_alpha_small(x[near_zero], alpha[near_zero], beta[near_zero])
        result[near_one] = -_grad_beta_small(1 - x[near_one], beta[near_one], alpha[near_one])
        result[both_large] = _grad_alpha_mid(x[both_large], alpha[both_large], beta[both_large])
        result[elsewhere] = _rational_correction(x[elsewhere], alpha[elsewhere], total[elsewhere])
    return result.astype(dtype)


def _sample_dirichlet(input, generator=None):
    """Dirichlet draws of concentrations ``input`` (the last dimension), from PyTorch's stream (no gradient)."""
    from ..random import sample_dirichlet

    if not isinstance(input, Tensor):
        raise _parser_errors.not_tensor("_sample_dirichlet", "input", 1, input)
    _float_or_double(input, "dirichlet")
    return Tensor._wrap(sample_dirichlet(np.ascontiguousarray(input._data), generator))


def _dirichlet_grad(x, alpha, total):
    """``torch._dirichlet_grad``: d x / d alpha of Dirichlet draws ``x`` (no gradient of its own)."""
    for position, (name, value) in enumerate((("x", x), ("alpha", alpha), ("total", total)), 1):
        if not isinstance(value, Tensor):
            raise _parser_errors.not_tensor("_dirichlet_grad", name, position, value)
    _float_or_double(x, "_dirichlet_grad_cpu")
    return Tensor._wrap(dirichlet_grad(x._data, alpha._data, total._data))


def _float_or_double(tensor, kernel):
    if tensor._data.dtype not in (np.float32, np.float64):  # (PyTorch's kernels: float and double only)
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{tensor.dtype.scalar_name}'")
