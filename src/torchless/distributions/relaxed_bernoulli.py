import torchless as _t

from . import constraints
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import SigmoidTransform
from ._binary import BinaryProbability
from .utils import broadcast_all, clamp_probs


class LogitRelaxedBernoulli(BinaryProbability, Distribution):
    """The logit of a RelaxedBernoulli sample (Concrete / Gumbel-sigmoid relaxation at ``temperature``)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    _expanded_params = ("probs", "logits", "_param")

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.temperature = temperature
        super().__init__(self._set_probability(probs, logits), validate_args=validate_args)

    def rsample(self, sample_shape=_t.Size()):
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        uniforms = clamp_probs(_t.rand(shape, dtype=probs.dtype))
        return (uniforms.log() - (-uniforms).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value.mul(self.temperature)
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class RelaxedParameters:
    """Mixin of a relaxed distribution over a base distribution that holds its ``temperature``, ``logits`` and
    ``probs``."""

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs


class RelaxedBernoulli(RelaxedParameters, TransformedDistribution):
    """A continuous relaxation of Bernoulli on (0, 1) at ``temperature`` (Concrete, Gumbel-sigmoid): samples are
    reparameterized, so gradients reach ``probs`` / ``logits``."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True
    _expanded_params = ()

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        super().__init__(LogitRelaxedBernoulli(temperature, probs, logits), SigmoidTransform(),
                         validate_args=validate_args)
