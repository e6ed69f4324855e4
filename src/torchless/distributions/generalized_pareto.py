import math
import numbers

import torchless as _t

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all


class GeneralizedPareto(Distribution):
    """The generalized Pareto distribution of ``loc``, ``scale`` and shape ``concentration`` (exponential at 0,
    bounded above for negative shapes), sampled by its inverse CDF."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True
    _expanded_params = ("loc", "scale", "concentration")

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        numbers_only = all(isinstance(v, numbers.Number) for v in (loc, scale, concentration))
        super().__init__(_t.Size() if numbers_only else self.loc.size(), validate_args=validate_args)

    def rsample(self, sample_shape=_t.Size()):
        return self.icdf(_t.rand(self._extended_shape(sample_shape), dtype=self.loc.dtype))

    def _safe_concentration(self):
        """(whether the shape is 0, the shape with 1 put where it is 0, to keep the other branch finite)"""
        at_zero = _t.isclose(self.concentration, _t.tensor(0.0))
        return at_zero, _t.where(at_zero, _t.ones_like(self.concentration), self.concentration)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        at_zero, concentration = self._safe_concentration()
        y = 1 / concentration + _t.ones_like(z)
        nonzero = _t.where(y == 0, y, y * _t.log1p(concentration * z))
        log_scale = math.log(self.scale) if isinstance(self.scale, numbers.Real) else self.scale.log()
        return -log_scale - _t.where(at_zero, z, nonzero)

    def log_survival_function(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        at_zero, concentration = self._safe_concentration()
        return _t.where(at_zero, -z, -_t.log1p(concentration * z) / concentration)

    def log_cdf(self, value):
        return _t.log1p(-_t.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return _t.exp(self.log_cdf(value))

    def icdf(self, value):
        at_zero = _t.isclose(self.concentration, _t.zeros_like(self.concentration))
        concentration = _t.where(at_zero, _t.ones_like(self.concentration), self.concentration)
        log_u = _t.log1p(-value)
        nonzero = self.loc + self.scale / concentration * _t.expm1(-concentration * log_u)
        return _t.where(at_zero, self.loc - self.scale * log_u, nonzero)

    def _z(self, x):
        return (x - self.loc) / self.scale

    @property
    def mean(self):
        valid = self.concentration < 1
        concentration = _t.where(valid, self.concentration, 0.5)
        return _t.where(valid, self.loc + self.scale / (1 - concentration), math.nan)

    @property
    def variance(self):
        valid = self.concentration < 0.5
        concentration = _t.where(valid, self.concentration, 0.25)
        return _t.where(valid, self.scale ** 2 / ((1 - concentration) ** 2 * (1 - 2 * concentration)), math.nan)

    def entropy(self):
        return _t.broadcast_to(_t.log(self.scale) + self.concentration + 1, self._batch_shape)

    @property
    def mode(self):
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        upper = _t.where(self.concentration < 0, self.loc - self.scale / self.concentration, math.inf)
        return constraints.interval(self.loc, upper)
