"""MobileNetV3 ("Searching for MobileNetV3"): the Large and Small networks."""
import functools
from collections.abc import Sequence
from typing import Optional

from ... import flatten, nn
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation as SElayer
from ._api import register_model
from ._utils import _init_mobile_weights, _load_weights, _make_divisible, _verify_weights
from ._weights import weights_enum

__all__ = ["MobileNetV3", "InvertedResidualConfig", "InvertedResidual", "MobileNet_V3_Large_Weights",
           "MobileNet_V3_Small_Weights", "mobilenet_v3_large", "mobilenet_v3_small"]


class InvertedResidualConfig:
    """One row of the paper's Tables 1 and 2: a block's input channels, kernel size, expanded and output channels
    (each scaled by ``width_mult`` and rounded to a multiple of 8), whether it has a Squeeze-and-Excitation gate,
    its activation ("RE" for ReLU, "HS" for hard-swish), stride and dilation."""

    def __init__(self, input_channels, kernel, expanded_channels, out_channels, use_se, activation, stride, dilation,
                 width_mult):
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.kernel = kernel
        self.expanded_channels = self.adjust_channels(expanded_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.use_se = use_se
        self.use_hs = activation == "HS"
        self.stride = stride
        self.dilation = dilation

    @staticmethod
    def adjust_channels(channels, width_mult):
        return _make_divisible(channels * width_mult, 8)


class InvertedResidual(nn.Module):
    """The block of the paper's section 5: a 1x1 expansion (left out when the expanded width is the input's), a
    depthwise ``kernel`` x ``kernel`` convolution, an optional Squeeze-and-Excitation gate (hard-sigmoid scale) and
    a linear 1x1 projection, each convolution with batch norm; ReLU or hard-swish as ``cnf`` says. The input is
    added back when stride is 1 and the channels match. A dilated block keeps stride 1.

    Args:
        cnf (InvertedResidualConfig): the block's configuration.
        norm_layer (callable): builds the norm layers.
        se_layer (callable, optional): builds the gate from (channels, squeeze channels).
    """

    def __init__(self, cnf, norm_layer, se_layer=functools.partial(SElayer, scale_activation=nn.Hardsigmoid)):
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")

        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        activation_layer = nn.Hardswish if cnf.use_hs else nn.ReLU

        layers = []
        if cnf.expanded_channels != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, cnf.expanded_channels, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=activation_layer))
        stride = 1 if cnf.dilation > 1 else cnf.stride
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.expanded_channels, kernel_size=cnf.kernel,
                                           stride=stride, dilation=cnf.dilation, groups=cnf.expanded_channels,
                                           norm_layer=norm_layer, activation_layer=activation_layer))
        if cnf.use_se:
            layers.append(se_layer(cnf.expanded_channels, _make_divisible(cnf.expanded_channels // 4, 8)))
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))

        self.block = nn.Sequential(*layers)
        self.out_channels = cnf.out_channels
        self._is_cn = cnf.stride > 1

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result += input
        return result


class MobileNetV3(nn.Module):
    """MobileNetV3: a 3x3/2 Conv2dNormActivation with hard-swish, one :class:`InvertedResidual` per configuration
    and a 1x1 Conv2dNormActivation to six times the last block's channels (``features``), global average pooling
    (``avgpool``), then Linear, hard-swish, dropout and Linear (``classifier``).

    Args:
        inverted_residual_setting (list of InvertedResidualConfig): the blocks.
        last_channel (int): width of the classifier's hidden layer.
        num_classes (int, optional): Default: 1000.
        block (callable, optional): builds a block from (config, norm_layer). Default: :class:`InvertedResidual`.
        norm_layer (callable, optional): Default: BatchNorm2d with ``eps=0.001, momentum=0.01``.
        dropout (float, optional): Default: 0.2.

    Convolutions are initialised kaiming-normal (fan_out) with zero bias, norm layers with weight 1 and bias 0,
    Linear layers N(0, 0.01) with zero bias.

    Shape:
        - Input: (N, 3, H, W) (224 x 224 for ImageNet)
        - Output: (N, num_classes)
    """

    def __init__(self, inverted_residual_setting, last_channel, num_classes=1000, block=None, norm_layer=None,
                 dropout=0.2, **kwargs):
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        elif not (isinstance(inverted_residual_setting, Sequence)
                  and all(isinstance(s, InvertedResidualConfig) for s in inverted_residual_setting)):
            raise TypeError("The inverted_residual_setting should be List[InvertedResidualConfig]")
        if block is None:
            block = InvertedResidual
        if norm_layer is None:
            norm_layer = functools.partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)

        first_channels = inverted_residual_setting[0].input_channels
        layers = [Conv2dNormActivation(3, first_channels, kernel_size=3, stride=2, norm_layer=norm_layer,
                                       activation_layer=nn.Hardswish)]
        layers.extend(block(cnf, norm_layer) for cnf in inverted_residual_setting)
        lastconv_input_channels = inverted_residual_setting[-1].out_channels
        lastconv_output_channels = 6 * lastconv_input_channels
        layers.append(Conv2dNormActivation(lastconv_input_channels, lastconv_output_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(lastconv_output_channels, last_channel),
            nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(last_channel, num_classes),
        )

        _init_mobile_weights(self, lambda linear: nn.init.normal_(linear.weight, 0, 0.01))

    def _forward_impl(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(flatten(x, 1))

    def forward(self, x):
        return self._forward_impl(x)


def _mobilenet_v3_conf(arch, width_mult=1.0, reduced_tail=False, dilated=False, **kwargs):
    """The block configurations and ``last_channel`` of ``arch``: ``reduced_tail`` halves the channels of the
    last stage, ``dilated`` replaces its stride by dilation 2 (both for segmentation backbones)."""
    divider = 2 if reduced_tail else 1
    dilation = 2 if dilated else 1
    conf = functools.partial(InvertedResidualConfig, width_mult=width_mult)

    if arch == "mobilenet_v3_large":
        setting = [
            # input, kernel, expanded, output, SE, activation, stride, dilation
            conf(16, 3, 16, 16, False, "RE", 1, 1),
            conf(16, 3, 64, 24, False, "RE", 2, 1),  # C1
            conf(24, 3, 72, 24, False, "RE", 1, 1),
            conf(24, 5, 72, 40, True, "RE", 2, 1),  # C2
            conf(40, 5, 120, 40, True, "RE", 1, 1),
            conf(40, 5, 120, 40, True, "RE", 1, 1),
            conf(40, 3, 240, 80, False, "HS", 2, 1),  # C3
            conf(80, 3, 200, 80, False, "HS", 1, 1),
            conf(80, 3, 184, 80, False, "HS", 1, 1),
            conf(80, 3, 184, 80, False, "HS", 1, 1),
            conf(80, 3, 480, 112, True, "HS", 1, 1),
            conf(112, 3, 672, 112, True, "HS", 1, 1),
            conf(112, 5, 672, 160 // divider, True, "HS", 2, dilation),  # C4
            conf(160 // divider, 5, 960 // divider, 160 // divider, True, "HS", 1, dilation),
            conf(160 // divider, 5, 960 // divider, 160 // divider, True, "HS", 1, dilation),
        ]
        last_channel = InvertedResidualConfig.adjust_channels(1280 // divider, width_mult)  # C5
    elif arch == "mobilenet_v3_small":
        setting = [
            conf(16, 3, 16, 16, True, "RE", 2, 1),  # C1
            conf(16, 3, 72, 24, False, "RE", 2, 1),  # C2
            conf(24, 3, 88, 24, False, "RE", 1, 1),
            conf(24, 5, 96, 40, True, "HS", 2, 1),  # C3
            conf(40, 5, 240, 40, True, "HS", 1, 1),
            conf(40, 5, 240, 40, True, "HS", 1, 1),
            conf(40, 5, 120, 48, True, "HS", 1, 1),
            conf(48, 5, 144, 48, True, "HS", 1, 1),
            conf(48, 5, 288, 96 // divider, True, "HS", 2, dilation),  # C4
            conf(96 // divider, 5, 576 // divider, 96 // divider, True, "HS", 1, dilation),
            conf(96 // divider, 5, 576 // divider, 96 // divider, True, "HS", 1, dilation),
        ]
        last_channel = InvertedResidualConfig.adjust_channels(1024 // divider, width_mult)  # C5
    else:
        raise ValueError(f"Unsupported model type {arch}")
    return setting, last_channel


def _mobilenet_v3(arch, weights_enum, weights, progress, kwargs):
    weights = _verify_weights(weights_enum, weights, kwargs)
    setting, last_channel = _mobilenet_v3_conf(arch, **kwargs)
    # the configuration keywords stay in kwargs, which MobileNetV3 accepts and ignores (as torchvision's does)
    return _load_weights(MobileNetV3(setting, last_channel, **kwargs), weights, progress)


MobileNet_V3_Large_Weights = weights_enum("MobileNet_V3_Large_Weights", __name__)
MobileNet_V3_Small_Weights = weights_enum("MobileNet_V3_Small_Weights", __name__)


@register_model()
def mobilenet_v3_large(weights: Optional[MobileNet_V3_Large_Weights] = None, progress=True, **kwargs):
    """The large MobileNetV3 of `Searching for MobileNetV3 <https://arxiv.org/abs/1905.02244>`__.

    Args:
        weights (:class:`~torchless.vision.models.MobileNet_V3_Large_Weights`, optional): The pretrained weights to
            use. See :class:`~torchless.vision.models.MobileNet_V3_Large_Weights` for more details, and possible
            values. By default, no pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: ``width_mult``, ``reduced_tail`` and ``dilated`` shape the configuration; the rest is passed to
            :class:`MobileNetV3` (``num_classes``, ``dropout``, ``norm_layer``, ...).
    """
    return _mobilenet_v3("mobilenet_v3_large", MobileNet_V3_Large_Weights, weights, progress, kwargs)


@register_model()
def mobilenet_v3_small(weights: Optional[MobileNet_V3_Small_Weights] = None, progress=True, **kwargs):
    """The small MobileNetV3 of `Searching for MobileNetV3 <https://arxiv.org/abs/1905.02244>`__.

    Args:
        weights (:class:`~torchless.vision.models.MobileNet_V3_Small_Weights`, optional): The pretrained weights to
            use. See :class:`~torchless.vision.models.MobileNet_V3_Small_Weights` for more details, and possible
            values. By default, no pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: ``width_mult``, ``reduced_tail`` and ``dilated`` shape the configuration; the rest is passed to
            :class:`MobileNetV3` (``num_classes``, ``dropout``, ``norm_layer``, ...).
    """
    return _mobilenet_v3("mobilenet_v3_small", MobileNet_V3_Small_Weights, weights, progress, kwargs)
