import math

import torchless as _t

from . import constraints
from .binomial import Binomial
from .categorical import Categorical
from .distribution import Distribution
from .relaxed_categorical import _OverCategorical
from .utils import broadcast_all


class Multinomial(_OverCategorical):
    """Counts of ``total_count`` draws of a Categorical of ``probs`` / ``logits`` (event shape: the classes)."""

    _expanded_params = ()

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        Distribution.__init__(self, self._categorical.batch_shape, self._categorical.param_shape[-1:],
                              validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = super().expand(batch_shape, _instance)
        new._binomial = self._binomial.expand(batch_shape + self.event_shape)
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=_t.Size()):
        sample_shape = _t.Size(sample_shape)
        samples = self._categorical.sample(_t.Size((self.total_count,)) + sample_shape)
        # the draws' axis last, then counted into the classes
        samples = samples.permute(*range(1, samples.dim()), 0)
        counts = samples.new(self._extended_shape(sample_shape)).zero_()
        counts.scatter_add_(-1, samples, _t.ones_like(samples))
        return counts.type_as(self.probs)

    def entropy(self):
        n = _t.tensor(self.total_count)
        term1 = n * self._categorical.entropy() - _t.lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = _t.exp(self._binomial.log_prob(support))
        return term1 + (binomial_probs * _t.lgamma(support + 1)).sum([0, -1])

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        logits = logits.clone(memory_format=_t.contiguous_format)
        log_factorial_n = _t.lgamma(value.sum(-1) + 1)
        log_factorial_xs = _t.lgamma(value + 1).sum(-1)
        logits[(value == 0) & (logits == -math.inf)] = 0  # 0 * log(0) = 0
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)
