import math

import torchless as _t
from torchless.nn.functional import binary_cross_entropy_with_logits

from . import constraints
from .exp_family import ExponentialFamily
from ._binary import BinaryProbability
from .utils import broadcast_all, clamp_probs, lazy_property, logits_to_probs


class ContinuousBernoulli(BinaryProbability, ExponentialFamily):
    """The continuous Bernoulli distribution on [0, 1] (Loaiza-Ganem and Cunningham, 2019): the normalised
    Bernoulli likelihood of a pixel intensity, as a VAE's decoder of [0, 1] images should use. Near
    probs = 0.5, inside ``lims``, its normaliser and moments are Taylor series (their closed forms cancel)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True
    _expanded_params = ("probs", "logits", "_param")

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        batch_shape = self._set_probability(probs, logits)
        if probs is not None:
            # (checked before clamping, which would hide values outside [0, 1])
            if validate_args is not None and not self.arg_constraints["probs"].check(self.probs).all():
                raise ValueError("The parameter probs has invalid values")
            self.probs = self._param = clamp_probs(self.probs)
        self._lims = lims
        super().__init__(batch_shape, validate_args=validate_args)

    def _outside_unstable_region(self):
        return _t.max(_t.le(self.probs, self._lims[0]), _t.gt(self.probs, self._lims[1]))

    def _cut_probs(self):
        return _t.where(self._outside_unstable_region(), self.probs, self._lims[0] * _t.ones_like(self.probs))

    def _cont_bern_log_norm(self):
        """log C(probs), the normaliser: log(|log(1 - p) - log p| / |1 - 2p|)."""
        cut_probs = self._cut_probs()
        below_half = _t.where(_t.le(cut_probs, 0.5), cut_probs, _t.zeros_like(cut_probs))
        above_half = _t.where(_t.ge(cut_probs, 0.5), cut_probs, _t.ones_like(cut_probs))
        log_norm = (_t.log(_t.abs(_t.log1p(-cut_probs) - _t.log(cut_probs)))
                    - _t.where(_t.le(cut_probs, 0.5), _t.log1p(-2.0 * below_half), _t.log(2.0 * above_half - 1.0)))
        x = _t.pow(self.probs - 0.5, 2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return _t.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self):
        cut_probs = self._cut_probs()
        means = cut_probs / (2.0 * cut_probs - 1.0) + 1.0 / (_t.log1p(-cut_probs) - _t.log(cut_probs))
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * _t.pow(x, 2)) * x
        return _t.where(self._outside_unstable_region(), means, taylor)

    @property
    def stddev(self):
        return _t.sqrt(self.variance)

    @property
    def variance(self):
        cut_probs = self._cut_probs()
        variances = (cut_probs * (cut_probs - 1.0) / _t.pow(1.0 - 2.0 * cut_probs, 2)
                     + 1.0 / _t.pow(_t.log1p(-cut_probs) - _t.log(cut_probs), 2))
        x = _t.pow(self.probs - 0.5, 2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return _t.where(self._outside_unstable_region(), variances, taylor)

    @lazy_property
    def probs(self):
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    def sample(self, sample_shape=_t.Size()):
        u = _t.rand(self._extended_shape(sample_shape), dtype=self.probs.dtype)
        with _t.no_grad():
            return self.icdf(u)

    def rsample(self, sample_shape=_t.Size()):
        return self.icdf(_t.rand(self._extended_shape(sample_shape), dtype=self.probs.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none") + self._cont_bern_log_norm()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        cut_probs = self._cut_probs()
        cdfs = ((_t.pow(cut_probs, value) * _t.pow(1.0 - cut_probs, 1.0 - value) + cut_probs - 1.0)
                / (2.0 * cut_probs - 1.0))
        unbounded = _t.where(self._outside_unstable_region(), cdfs, value)
        return _t.where(_t.le(value, 0.0), _t.zeros_like(value),
                        _t.where(_t.ge(value, 1.0), _t.ones_like(value), unbounded))

    def icdf(self, value):
        cut_probs = self._cut_probs()
        inverse = ((_t.log1p(-cut_probs + value * (2.0 * cut_probs - 1.0)) - _t.log1p(-cut_probs))
                   / (_t.log(cut_probs) - _t.log1p(-cut_probs)))
        return _t.where(self._outside_unstable_region(), inverse, value)

    def entropy(self):
        log_probs0, log_probs1 = _t.log1p(-self.probs), _t.log(self.probs)
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        unstable = _t.max(_t.le(x, self._lims[0] - 0.5), _t.gt(x, self._lims[1] - 0.5))
        cut = _t.where(unstable, x, (self._lims[0] - 0.5) * _t.ones_like(x))
        log_norm = _t.log(_t.abs(_t.special.expm1(cut))) - _t.log(_t.abs(cut))
        taylor = 0.5 * x + _t.pow(x, 2) / 24.0 - _t.pow(x, 4) / 2880.0
        return _t.where(unstable, log_norm, taylor)
