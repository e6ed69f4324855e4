"""The binomial distribution, and what it shares with the negative binomial: a ``total_count`` and a success
``probs`` / ``logits``."""
import torchless as _t

from . import constraints
from .distribution import Distribution
from ._binary import BinaryProbability, check_probs_or_logits
from .utils import broadcast_all


class _CountOfTrials(BinaryProbability, Distribution):
    """A count distribution of ``total_count`` (a float tensor, broadcast) and ``probs`` or ``logits``."""

    support = constraints.nonnegative_integer
    _expanded_params = ("total_count", "probs", "logits", "_param")

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        check_probs_or_logits(probs, logits)
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
        self._param = self.probs if probs is not None else self.logits
        Distribution.__init__(self, self._param.size(), validate_args=validate_args)


class Binomial(_CountOfTrials):
    """The number of successes in ``total_count`` Bernoulli trials of success ``probs`` (or ``logits``)."""

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True
    _expanded_params = _CountOfTrials._expanded_params

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=_t.Size()):
        shape = self._extended_shape(sample_shape)
        with _t.no_grad():
            return _t.binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_factorial_n = _t.lgamma(self.total_count + 1)
        log_factorial_k = _t.lgamma(value + 1)
        log_factorial_nmk = _t.lgamma(self.total_count - value + 1)
        # n * log(1 + exp(logits)), written to stay finite: n * max(logits, 0) + n * log1p(exp(-|logits|)), with
        # PyTorch's max(x, 0) whose gradient at 0 is 1/2
        logits = self.logits
        positive_part = (logits.clamp(min=0) + logits - logits.clamp(max=0)) / 2
        normalize_term = (self.total_count * positive_part
                          + self.total_count * _t.log1p(_t.exp(-_t.abs(self.logits))) - log_factorial_n)
        return value * self.logits - log_factorial_k - log_factorial_nmk - normalize_term

    def entropy(self):
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(_t.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = self._homogeneous_count("enumerate_support")
        values = _t.arange(1 + total_count, dtype=self._param.dtype).view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + self._batch_shape) if expand else values

    def _homogeneous_count(self, method):
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{method}`.")
        return total_count
