"""Dropout layers: Dropout (elements), Dropout1d, Dropout2d and Dropout3d (whole channels), AlphaDropout and
FeatureAlphaDropout (for SELU networks). Identity in eval mode."""
from .._functional import dropout as F_drop
from ._owned import owns
from .module import Module


# What a star-import gives (PyTorch's list)
__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    __constants__ = ["p", "inplace"]
    _functional = None

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return type(self)._functional(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


@owns("forward")
class Dropout(_DropoutNd):
    """In training, zero each element with probability p and scale the others by 1 / (1 - p)."""

    _functional = staticmethod(F_drop.dropout)


@owns("forward")
class Dropout1d(_DropoutNd):
    """In training, zero whole channels of (N, C, L) or (C, L) input with probability p."""

    _functional = staticmethod(F_drop.dropout1d)


@owns("forward")
class Dropout2d(_DropoutNd):
    """In training, zero whole channels of (N, C, H, W) input with probability p."""

    _functional = staticmethod(F_drop.dropout2d)


@owns("forward")
class Dropout3d(_DropoutNd):
    """In training, zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability p."""

    _functional = staticmethod(F_drop.dropout3d)


class AlphaDropout(_DropoutNd):
    """In training, set each element to SELU's negative saturation value with probability p, then scale and shift
    all to keep zero mean and unit variance. Shape: any, output the same."""

    _functional = staticmethod(F_drop.alpha_dropout)

    def forward(self, input):
        return F_drop.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels of (N, C, *) input. Shape: (N, C, *), output the same."""

    _functional = staticmethod(F_drop.feature_alpha_dropout)

    def forward(self, input):
        return F_drop.feature_alpha_dropout(input, self.p, self.training)
