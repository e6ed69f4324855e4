"""MobileNetV2 ("MobileNetV2: Inverted Residuals and Linear Bottlenecks")."""
from typing import Optional

from ... import flatten, nn
from ...nn import functional as F
from ._api import register_model
from ..ops.misc import Conv2dNormActivation
from ._utils import _init_mobile_weights, _load_weights, _make_divisible, _verify_weights
from ._weights import weights_enum

__all__ = ["MobileNetV2", "InvertedResidual", "MobileNet_V2_Weights", "mobilenet_v2"]


class InvertedResidual(nn.Module):
    """Expand with a 1x1 convolution (unless ``expand_ratio`` is 1), filter with a depthwise 3x3, project with a
    linear 1x1 (no activation), all with batch norm and ReLU6; the input is added back when the shapes allow
    (stride 1 and ``inp == oup``).

    Shape:
        - Input: (N, inp, H, W)
        - Output: (N, oup, ceil(H / stride), ceil(W / stride))
    """

    def __init__(self, inp, oup, stride, expand_ratio, norm_layer=None):
        super().__init__()
        self.stride = stride
        if stride not in [1, 2]:
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d

        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = self.stride == 1 and inp == oup

        layers = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=nn.ReLU6))
        layers.extend([
            Conv2dNormActivation(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim, norm_layer=norm_layer,
                                 activation_layer=nn.ReLU6),
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
            norm_layer(oup),
        ])
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x):
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV2(nn.Module):
    """MobileNetV2: a 3x3/2 Conv2dNormActivation, 17 inverted residual blocks and a 1x1 Conv2dNormActivation to
    ``last_channel`` (``features``), global average pooling, then dropout and a Linear layer (``classifier``).

    Args:
        num_classes (int, optional): Default: 1000.
        width_mult (float, optional): scales every layer's channels (rounded by ``round_nearest``). Default: 1.0.
        inverted_residual_setting (list of [t, c, n, s], optional): per stage, the expansion factor, output
            channels, repeats and first stride. Default: the paper's seven stages.
        round_nearest (int, optional): channels are rounded to a multiple of this; 1 turns rounding off. Default: 8.
        block (callable, optional): Default: :class:`InvertedResidual`.
        norm_layer (callable, optional): Default: BatchNorm2d.
        dropout (float, optional): Default: 0.2.

    Convolutions are initialised kaiming-normal (fan_out) with zero bias, norm layers with weight 1 and bias 0,
    Linear layers N(0, 0.01) with zero bias.

    Shape:
        - Input: (N, 3, H, W) (224 x 224 for ImageNet)
        - Output: (N, num_classes)
    """

    def __init__(self, num_classes=1000, width_mult=1.0, inverted_residual_setting=None, round_nearest=8,
                 block=None, norm_layer=None, dropout=0.2):
        super().__init__()
        if block is None:
            block = InvertedResidual
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d

        input_channel = 32
        last_channel = 1280
        if inverted_residual_setting is None:
            inverted_residual_setting = [
                # t, c, n, s
                [1, 16, 1, 1],
                [6, 24, 2, 2],
                [6, 32, 3, 2],
                [6, 64, 4, 2],
                [6, 96, 3, 1],
                [6, 160, 3, 2],
                [6, 320, 1, 1],
            ]
        # only the first entry is checked, as torchvision does
        if len(inverted_residual_setting) == 0 or len(inverted_residual_setting[0]) != 4:
            raise ValueError(f"inverted_residual_setting should be non-empty or a 4-element list, got "
                             f"{inverted_residual_setting}")

        input_channel = _make_divisible(input_channel * width_mult, round_nearest)
        self.last_channel = _make_divisible(last_channel * max(1.0, width_mult), round_nearest)
        features = [Conv2dNormActivation(3, input_channel, stride=2, norm_layer=norm_layer,
                                         activation_layer=nn.ReLU6)]
        for t, c, n, s in inverted_residual_setting:
            output_channel = _make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                stride = s if i == 0 else 1
                features.append(block(input_channel, output_channel, stride, expand_ratio=t, norm_layer=norm_layer))
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, kernel_size=1, norm_layer=norm_layer,
                                             activation_layer=nn.ReLU6))
        self.features = nn.Sequential(*features)

        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(self.last_channel, num_classes),
        )

        _init_mobile_weights(self, lambda linear: nn.init.normal_(linear.weight, 0, 0.01))

    def _forward_impl(self, x):
        x = self.features(x)
        # adaptive pooling rather than squeeze, which would also drop a batch dimension of 1
        x = F.adaptive_avg_pool2d(x, (1, 1))
        x = flatten(x, 1)
        return self.classifier(x)

    def forward(self, x):
        return self._forward_impl(x)


MobileNet_V2_Weights = weights_enum("MobileNet_V2_Weights", __name__)


@register_model()
def mobilenet_v2(weights: Optional[MobileNet_V2_Weights] = None, progress=True, **kwargs):
    """MobileNetV2 architecture from `MobileNetV2: Inverted Residuals and Linear Bottlenecks
    <https://arxiv.org/abs/1801.04381>`__.

    Args:
        weights (:class:`~torchless.vision.models.MobileNet_V2_Weights`, optional): The pretrained weights to use. See
            :class:`~torchless.vision.models.MobileNet_V2_Weights` for more details, and possible values. By default, no
            pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`MobileNetV2` (``num_classes``, ``width_mult``, ``dropout``, ...).
    """
    weights = _verify_weights(MobileNet_V2_Weights, weights, kwargs)
    return _load_weights(MobileNetV2(**kwargs), weights, progress)
