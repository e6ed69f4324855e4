"""torchvision's ``ops`` for torchless: the building blocks its classification models share --
:class:`Conv2dNormActivation`, :class:`SqueezeExcitation`, :class:`Permute` and stochastic depth
(:func:`stochastic_depth`, :class:`StochasticDepth`)."""
from .misc import Conv2dNormActivation, Permute, SqueezeExcitation
from .stochastic_depth import StochasticDepth, stochastic_depth

__all__ = ["Conv2dNormActivation", "Permute", "SqueezeExcitation", "StochasticDepth", "stochastic_depth"]
