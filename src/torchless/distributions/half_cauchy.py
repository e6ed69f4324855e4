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
