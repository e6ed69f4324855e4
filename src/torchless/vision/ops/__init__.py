"""torchvision's ``ops`` for torchless: the building blocks its classification models share --
:class:`Conv2dNormActivation`, :class:`SqueezeExcitation` and stochastic depth (:func:`stochastic_depth`,
:class:`StochasticDepth`)."""
from .misc import Conv2dNormActivation, SqueezeExcitation
from .stochastic_depth import StochasticDepth, stochastic_depth

__all__ = ["Conv2dNormActivation", "SqueezeExcitation", "StochasticDepth", "stochastic_depth"]
