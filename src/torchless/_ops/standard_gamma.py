"""``torch._standard_gamma(alpha)``: Gamma(alpha, 1) draws as PyTorch's CPU kernel makes them from its stream, and
their reparameterized gradient ``torch._standard_gamma_grad(alpha, x)`` = -(d/dalpha CDF(x; alpha)) / pdf(x; alpha),
by PyTorch's approximations: a series for small x, Rice's saddle-point expansion for large alpha, a rational fit
in (log(x / alpha), log(alpha)) between."""
import numpy as np

from .. import _parser_errors
from .._tensor import Tensor
from ..autograd.graph import Node
from .special_functions import _digamma


class StandardGamma(Node):
    elementwise = True
    saved = ("alpha", "out")

    def forward(self, alpha, source=None):
        from ..random import sample_standard_gamma

        self.alpha = alpha
        self.out = sample_standard_gamma(alpha, source)
        return self.out

    def backward(self, grad):
        return (grad * standard_gamma_grad(self.alpha, self.out),)

    def name(self):
        return "StandardGammaBackward0"


def _standard_gamma(input, generator=None):
    """Draws of Gamma(``input``, 1), each element's from PyTorch's stream in row-major order."""
    from ..random import stream

    if not isinstance(input, Tensor):
        raise _parser_errors.not_tensor("_standard_gamma", "input", 1, input)
    if input._data.dtype not in (np.float32, np.float64):  # (PyTorch's kernel: float and double only)
        raise NotImplementedError(f"\"gamma_cpu\" not implemented for '{input.dtype.scalar_name}'")
    return StandardGamma.apply(input, source=stream(generator))


def _standard_gamma_grad(input, output):
    """d(sample)/d(alpha) of Gamma(``input``, 1) draws ``output`` (no gradient of its own)."""
    return Tensor._wrap(standard_gamma_grad(input._data, output._data))


# PyTorch's coefficients of the rational fit (float literals, used in double)
_COEFFICIENTS = np.array([
    [0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089, 0.0014179084],
    [0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113, -0.0035938915, -0.00058392623],
    [0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326, 0.00085092367,
     -1.5247877e-07]])


def standard_gamma_grad(alpha, x):
    """The reparameterized gradient for arrays ``alpha`` and draws ``x`` (broadcast), computed in float64 and
    returned in ``x``'s dtype, as PyTorch's standard_gamma_grad_one."""
    dtype = np.result_type(alpha, x)
    alpha, x = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(x, np.float64))
    result = np.empty(alpha.shape, np.float64)
    with np.errstate(all="ignore"):
        small_x = x < 0.8
        large_alpha = ~small_x & (alpha > 8.0)
        between = ~small_x & ~large_alpha
        result[small_x] = _small_x(alpha[small_x], x[small_x])
        result[large_alpha] = _large_alpha(alpha[large_alpha], x[large_alpha])
        result[between] = _rational_fit(alpha[between], x[between])
    return result.astype(dtype)


def _small_x(alpha, x):
    """By the series of the lower incomplete gamma function (six terms)."""
    numer, denom = np.ones_like(x), alpha.copy()
    series1, series2 = numer / denom, numer / (denom * denom)
    for i in range(1, 6):
        numer = numer * (-x / i)
        denom = denom + 1
        series1 = series1 + numer / denom
        series2 = series2 + numer / (denom * denom)
    pow_x_alpha = np.power(x, alpha)
    pdf = np.power(x, alpha - 1) * np.exp(-x)
    cdf_alpha = (np.log(x) - _digamma(alpha)) * (pow_x_alpha * series1) - pow_x_alpha * series2
    result = -cdf_alpha / pdf
    return np.where(np.isnan(result), 0.0, result)


def _large_alpha(alpha, x):
    """Rice's saddle-point expansion; a polynomial near the mode, where it is singular."""
    near = (0.9 * alpha <= x) & (x <= 1.1 * alpha)
    numer_1 = 1 + 24 * alpha * (1 + 12 * alpha)
    numer_2 = 1440 * (alpha * alpha) + 6 * x * (53 - 120 * x) - 65 * x * x / alpha + alpha * (107 + 3600 * x)
    near_mode = numer_1 * numer_2 / (1244160 * (alpha * alpha) * (alpha * alpha))
    denom = np.sqrt(8 * alpha)
    term2 = denom / (alpha - x)
    term3 = np.power(x - alpha - alpha * np.log(x / alpha), -1.5)
    term23 = np.where(x < alpha, term2 - term3, term2 + term3)
    term1 = np.log(x / alpha) * term23 - np.sqrt(2 / alpha) * (alpha + x) / ((alpha - x) * (alpha - x))
    stirling = 1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))
    return np.where(near, near_mode, -stirling * (x * term1) / denom)


def _rational_fit(alpha, x):
    u, v = np.log(x / alpha), np.log(alpha)
    coef = _COEFFICIENTS[0][:, None] + u * (_COEFFICIENTS[1][:, None] + u * _COEFFICIENTS[2][:, None])
    p = coef[0] + v * (coef[1] + v * (coef[2] + v * coef[3]))
    q = coef[4] + v * (coef[5] + v * (coef[6] + v * coef[7]))
    return np.exp(p / q)
