import torchless as _t
from torchless.nn.functional import binary_cross_entropy_with_logits

from . import constraints
from .distribution import Distribution
from ._binary import BinaryProbability
from .utils import broadcast_all


class Geometric(BinaryProbability, Distribution):
    """The number of failures before the first success of Bernoulli trials of success ``probs`` (or ``logits``)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer
    _expanded_params = ("probs", "logits", "_param")

    def __init__(self, probs=None, logits=None, validate_args=None):
        super().__init__(self._set_probability(probs, logits), validate_args=validate_args)
        if self._validate_args and probs is not None:
            positive = self.probs > 0
            if not positive.all():
                raise ValueError(f"Expected parameter probs ({type(self.probs).__name__} of shape "
                                 f"{tuple(self.probs.shape)}) of distribution {self!r} to be positive but found "
                                 f"invalid values:\n{self.probs.data[~positive]}")

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return _t.zeros_like(self.probs)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=_t.Size()):
        with _t.no_grad():
            u = self.probs.new(self._extended_shape(sample_shape)).uniform_(_t.finfo(self.probs.dtype).tiny, 1)
            return (u.log() / (-self.probs).log1p()).floor()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        probs = probs.clone(memory_format=_t.contiguous_format)
        probs[(probs == 1) & (value == 0)] = 0  # 0 * log(0) = 0: a sure success at once
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none") / self.probs
