"""torchvision's ``ops.misc`` blocks: Conv2dNormActivation and the Squeeze-and-Excitation gate."""
from ... import nn
from ..models._conv_norm_activation import Conv2dNormActivation

__all__ = ["Conv2dNormActivation", "SqueezeExcitation"]


class SqueezeExcitation(nn.Module):
    """The Squeeze-and-Excitation gate of `Squeeze-and-Excitation Networks <https://arxiv.org/abs/1709.01507>`_
    (Fig. 1): each channel of the input is multiplied by a weight in (0, 1) computed from the global average of all
    channels by two 1x1 convolutions (``fc1``, ``fc2``) -- ``activation`` between them and ``scale_activation``
    after (``delta`` and ``sigma`` of the paper's eq. 3).

    Args:
        input_channels (int): channels of the input (and of the output).
        squeeze_channels (int): channels between ``fc1`` and ``fc2``.
        activation (callable, optional): builds the ``delta`` activation. Default: ReLU.
        scale_activation (callable, optional): builds the ``sigma`` activation. Default: Sigmoid.

    Shape:
        - Input: (N, input_channels, H, W)
        - Output: (N, input_channels, H, W)
    """

    def __init__(self, input_channels, squeeze_channels, activation=nn.ReLU, scale_activation=nn.Sigmoid):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, input):
        scale = self.activation(self.fc1(self.avgpool(input)))
        return self.scale_activation(self.fc2(scale))

    def forward(self, input):
        return self._scale(input) * input
