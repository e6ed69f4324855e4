import math

import torchless as _t

from .cauchy import Cauchy
from .half_normal import _Folded
from .transforms import AbsTransform


class HalfCauchy(_Folded):
    """|X| for X ~ Cauchy(0, ``scale``)."""

    _expanded_params = ()

    def __init__(self, scale, validate_args=None):
        super().__init__(Cauchy(0, scale, validate_args=False), AbsTransform(), validate_args=validate_args)

    @property
    def mean(self):
        return _t.full(self._extended_shape(), math.inf, dtype=self.scale.dtype)

    @property
    def variance(self):
        return self.base_dist.variance

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        # (PyTorch's half-Cauchy, unlike its half-normal, reads the value in the scale's dtype)
        value = _t.as_tensor(value, dtype=self.base_dist.scale.dtype)
        return _t.where(value >= 0, self.base_dist.log_prob(value) + math.log(2), -math.inf)
