import torchless as _t
from torchless.nn import functional as F

from . import constraints
from .binomial import _CountOfTrials
from .gamma import Gamma
from .utils import lazy_property


class NegativeBinomial(_CountOfTrials):
    """The number of successes before ``total_count`` failures of Bernoulli trials of success ``probs``; sampled
    as PyTorch does, a Poisson of a Gamma draw."""

    arg_constraints = {"total_count": constraints.greater_than_eq(0), "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    _expanded_params = _CountOfTrials._expanded_params

    @property
    def mean(self):
        return self.total_count * _t.exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / _t.sigmoid(-self.logits)

    @lazy_property
    def _gamma(self):
        return Gamma(concentration=self.total_count, rate=_t.exp(-self.logits), validate_args=False)

    def sample(self, sample_shape=_t.Size()):
        with _t.no_grad():
            return _t.poisson(self._gamma.sample(sample_shape=sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_unnormalized_prob = self.total_count * F.logsigmoid(-self.logits) + value * F.logsigmoid(self.logits)
        log_normalization = (-_t.lgamma(self.total_count + value) + _t.lgamma(1.0 + value)
                             + _t.lgamma(self.total_count))
        log_normalization = log_normalization.masked_fill(self.total_count + value == 0.0, 0.0)
        return log_unnormalized_prob - log_normalization
