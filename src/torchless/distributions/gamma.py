import torchless as _t

from . import constraints
from .exp_family import ExponentialFamily
from .utils import broadcast_all, loc_scale_batch_shape


class Gamma(ExponentialFamily):
    """The gamma distribution of shape ``concentration`` and ``rate`` (1 / scale). Its samples are PyTorch's
    draws, and ``rsample`` is differentiable in both parameters (PyTorch's implicit reparameterization)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0
    _expanded_params = ("concentration", "rate")

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(loc_scale_batch_shape(concentration, rate, self.concentration), validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=_t.Size()):
        shape = self._extended_shape(sample_shape)
        value = _t._standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=_t.finfo(value.dtype).tiny)  # (outside the graph)
        return value

    def log_prob(self, value):
        value = _t.as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        return (_t.xlogy(self.concentration, self.rate) + _t.xlogy(self.concentration - 1, value)
                - self.rate * value - _t.lgamma(self.concentration))

    def entropy(self):
        return (self.concentration - _t.log(self.rate) + _t.lgamma(self.concentration)
                + (1.0 - self.concentration) * _t.digamma(self.concentration))

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return _t.lgamma(x + 1) + (x + 1) * _t.log(-y.reciprocal())

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return _t.special.gammainc(self.concentration, self.rate * value)
