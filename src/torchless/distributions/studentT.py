import math

import torchless as _t

from . import constraints
from .distribution import Distribution
from .chi2 import Chi2
from .utils import _standard_normal, broadcast_all


class StudentT(Distribution):
    """Student's t-distribution of ``df`` degrees of freedom, location ``loc`` and scale ``scale``."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.size(), validate_args=validate_args)

    _expanded_params = ("df", "loc", "scale")

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        new._chi2 = self._chi2.expand(batch_shape)
        return new

    @property
    def mean(self):
        mean = self.loc.clone(memory_format=_t.contiguous_format)
        mean[self.df <= 1] = math.nan
        return mean

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        variance = self.df.clone(memory_format=_t.contiguous_format)
        finite = self.df > 2
        variance[finite] = self.scale[finite].pow(2) * self.df[finite] / (self.df[finite] - 2)
        variance[(self.df <= 2) & (self.df > 1)] = math.inf
        variance[self.df <= 1] = math.nan
        return variance

    def rsample(self, sample_shape=_t.Size()):
        # X / sqrt(Z / df) with X standard normal and Z chi-squared: the normal first, as PyTorch draws them
        normal = _standard_normal(self._extended_shape(sample_shape), dtype=self.df.dtype)
        chi2 = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * (normal * _t.rsqrt(chi2 / self.df))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        log_normalizer = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
                          + _t.lgamma(0.5 * self.df) - _t.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * _t.log1p(y ** 2.0 / self.df) - log_normalizer

    def entropy(self):
        log_beta = _t.lgamma(0.5 * self.df) + math.lgamma(0.5) - _t.lgamma(0.5 * (self.df + 1))
        return (self.scale.log()
                + 0.5 * (self.df + 1) * (_t.digamma(0.5 * (self.df + 1)) - _t.digamma(0.5 * self.df))
                + 0.5 * self.df.log() + log_beta)
