"""SqueezeNet 1.0 and 1.1 ("SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size")."""
from typing import Optional

from ... import cat, flatten, nn
from ...nn import init
from ._api import register_model
from ._utils import _load_weights, _verify_weights
from ._weights import weights_enum

__all__ = ["SqueezeNet", "Fire", "SqueezeNet1_0_Weights", "SqueezeNet1_1_Weights", "squeezenet1_0", "squeezenet1_1"]


class Fire(nn.Module):
    """A 1x1 "squeeze" convolution, then 1x1 and 3x3 "expand" convolutions side by side, each followed by ReLU; the
    two expansions are concatenated along channels (1x1 first).

    Shape:
        - Input: (N, inplanes, H, W)
        - Output: (N, expand1x1_planes + expand3x3_planes, H, W)
    """

    def __init__(self, inplanes, squeeze_planes, expand1x1_planes, expand3x3_planes):
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return cat([self.expand1x1_activation(self.expand1x1(x)), self.expand3x3_activation(self.expand3x3(x))], 1)


class SqueezeNet(nn.Module):
    """SqueezeNet: a stem convolution, Fire modules between ceil-mode 3x3/2 max pools (``features``), and a
    classifier made of dropout, a 1x1 convolution to ``num_classes`` channels, ReLU and global average pooling.

    Args:
        version (str, optional): "1_0" (7x7/2 stem, 96 channels) or "1_1" (3x3/2 stem, 64 channels, pooling
            earlier: 2.4x less computation). Default: "1_0".
        num_classes (int, optional): Default: 1000.
        dropout (float, optional): Default: 0.5.

    Convolutions are initialised kaiming-uniform, except the final one, N(0, 0.01); all biases are zero.

    Shape:
        - Input: (N, 3, H, W), H and W at least 21 for 1_0 and 17 for 1_1 (224 for ImageNet)
        - Output: (N, num_classes)
    """

    def __init__(self, version="1_0", num_classes=1000, dropout=0.5):
        super().__init__()
        self.num_classes = num_classes
        if version == "1_0":
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=7, stride=2),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(96, 16, 64, 64),
                Fire(128, 16, 64, 64),
                Fire(128, 32, 128, 128),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(256, 32, 128, 128),
                Fire(256, 48, 192, 192),
                Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(512, 64, 256, 256),
            )
        elif version == "1_1":
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=3, stride=2),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(64, 16, 64, 64),
                Fire(128, 16, 64, 64),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(128, 32, 128, 128),
                Fire(256, 32, 128, 128),
                nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
                Fire(256, 48, 192, 192),
                Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256),
                Fire(512, 64, 256, 256),
            )
        else:
            raise ValueError(f"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected")

        final_conv = nn.Conv2d(512, self.num_classes, kernel_size=1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1))
        )

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is final_conv:
                    init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    init.kaiming_uniform_(m.weight)
                if m.bias is not None:
                    init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.features(x)
        x = self.classifier(x)
        return flatten(x, 1)


SqueezeNet1_0_Weights = weights_enum("SqueezeNet1_0_Weights", __name__)
SqueezeNet1_1_Weights = weights_enum("SqueezeNet1_1_Weights", __name__)


def _squeezenet(weights_enum, version, weights, progress, kwargs):
    weights = _verify_weights(weights_enum, weights, kwargs)
    return _load_weights(SqueezeNet(version, **kwargs), weights, progress)


@register_model()
def squeezenet1_0(weights: Optional[SqueezeNet1_0_Weights] = None, progress=True, **kwargs):
    """SqueezeNet model architecture from the `SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and
    <0.5MB model size <https://arxiv.org/abs/1602.07360>`__ paper.

    Args:
        weights (:class:`~torchless.vision.models.SqueezeNet1_0_Weights`, optional): The pretrained weights to
            use. See :class:`~torchless.vision.models.SqueezeNet1_0_Weights` for more details, and possible values.
            By default, no pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`SqueezeNet` (``num_classes``, ``dropout``).
    """
    return _squeezenet(SqueezeNet1_0_Weights, "1_0", weights, progress, kwargs)


@register_model()
def squeezenet1_1(weights: Optional[SqueezeNet1_1_Weights] = None, progress=True, **kwargs):
    """SqueezeNet 1.1 model from the `official SqueezeNet repo
    <https://github.com/DeepScale/SqueezeNet/tree/master/SqueezeNet_v1.1>`__: 2.4x less computation and slightly
    fewer parameters than SqueezeNet 1.0, without sacrificing accuracy.

    Args:
        weights (:class:`~torchless.vision.models.SqueezeNet1_1_Weights`, optional): The pretrained weights to
            use. See :class:`~torchless.vision.models.SqueezeNet1_1_Weights` for more details, and possible values.
            By default, no pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`SqueezeNet` (``num_classes``, ``dropout``).
    """
    return _squeezenet(SqueezeNet1_1_Weights, "1_1", weights, progress, kwargs)
