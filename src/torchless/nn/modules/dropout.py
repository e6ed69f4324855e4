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


# The docstring entries the dropout layers share, as they stand in them (stripped: filled in at their
# indentation): what channel-wise dropout does, and the arguments
_DROPOUT_DOCS = {
    "channel_dropout": """
    In training mode each channel ``input[n, c]`` is zeroed as a whole with probability ``p`` and the others
    are scaled by 1 / (1 - p); in eval mode the module is the identity. Adjacent pixels of a feature map are
    strongly correlated, so dropping whole maps regularises convolutional layers better than element-wise dropout.
    """.strip(),
    "args": """
        p (float, optional): probability of an element being zeroed. Default: ``0.5``
        inplace (bool, optional): do the operation in place. Default: ``False``
    """.strip(),
}


@owns("forward")
class Dropout(_DropoutNd):
    __doc__ = """Randomly zeroes elements of the input during training (Srivastava et al., 2014).

    In training mode each element is zeroed independently with probability ``p`` (a Bernoulli draw) and the
    survivors are scaled by 1 / (1 - p), so the expected value of every element is unchanged; in eval mode the
    module is the identity.

    Args:
        {args}

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.Dropout(p=0.5)
        >>> m(torch.ones(2, 3)).shape
        torchless.Size([2, 3])
        >>> m.eval()(torch.ones(3))
        tensor([1., 1., 1.])
    """.format(**_DROPOUT_DOCS)

    _functional = staticmethod(F_drop.dropout)


@owns("forward")
class Dropout1d(_DropoutNd):
    __doc__ = """Randomly zeroes whole channels (the 1-D feature maps) of the input during training.

    {channel_dropout}

    Args:
        {args}

    Shape:
        - Input: (N, C, L) or (C, L)
        - Output: same shape as the input

    Examples::

        >>> m = nn.Dropout1d(p=0.2)
        >>> m(torch.randn(4, 3, 5)).shape
        torchless.Size([4, 3, 5])
    """.format(**_DROPOUT_DOCS)

    _functional = staticmethod(F_drop.dropout1d)


@owns("forward")
class Dropout2d(_DropoutNd):
    __doc__ = """Randomly zeroes whole channels (the 2-D feature maps) of the input during training.

    {channel_dropout}

    A 3-D input is read, as in PyTorch 2.x and with its warning, as (N, C, L): whole rows input[n, c] are
    zeroed (channel-wise 1-D dropout); use :class:`Dropout1d` for such inputs.

    Args:
        {args}

    Shape:
        - Input: (N, C, H, W) or (N, C, L)
        - Output: same shape as the input

    Examples::

        >>> m = nn.Dropout2d(p=0.2)
        >>> m(torch.randn(4, 3, 5, 5)).shape
        torchless.Size([4, 3, 5, 5])
    """.format(**_DROPOUT_DOCS)

    _functional = staticmethod(F_drop.dropout2d)


@owns("forward")
class Dropout3d(_DropoutNd):
    __doc__ = """Randomly zeroes whole channels (the 3-D feature maps) of the input during training.

    {channel_dropout}

    Args:
        {args}

    Shape:
        - Input: (N, C, D, H, W) or (C, D, H, W)
        - Output: same shape as the input

    Examples::

        >>> m = nn.Dropout3d(p=0.2)
        >>> m(torch.randn(4, 3, 2, 5, 5)).shape
        torchless.Size([4, 3, 2, 5, 5])
    """.format(**_DROPOUT_DOCS)

    _functional = staticmethod(F_drop.dropout3d)


class AlphaDropout(_DropoutNd):
    """Applies alpha dropout, the dropout of self-normalising (SELU) networks.

    In training mode each element is set with probability ``p`` to SELU's negative saturation value
    -scale * alpha, then all elements are scaled and shifted by the affine map that restores zero mean and unit
    variance; in eval mode the module is the identity.

    Args:
        p (float, optional): probability of an element being dropped. Default: ``0.5``
        inplace (bool, optional): accepted for compatibility; the operation is never in place. Default: ``False``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> m = nn.AlphaDropout(p=0.2)
        >>> m(torch.randn(16)).shape
        torchless.Size([16])
    """

    _functional = staticmethod(F_drop.alpha_dropout)

    def forward(self, input):
        return F_drop.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Applies alpha dropout to whole channels.

    As :class:`AlphaDropout`, but a whole channel ``input[n, c]`` is dropped (set to SELU's saturation value)
    or kept at once; in eval mode the module is the identity.

    Args:
        p (float, optional): probability of a channel being dropped. Default: ``0.5``
        inplace (bool, optional): accepted for compatibility; the operation is never in place. Default: ``False``

    Shape:
        - Input: (N, C, *) or (C, *)
        - Output: same shape as the input

    Examples::

        >>> m = nn.FeatureAlphaDropout(p=0.2)
        >>> m(torch.randn(2, 3, 4, 4)).shape
        torchless.Size([2, 3, 4, 4])
    """

    _functional = staticmethod(F_drop.feature_alpha_dropout)

    def forward(self, input):
        return F_drop.feature_alpha_dropout(input, self.p, self.training)
