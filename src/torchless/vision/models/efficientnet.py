"""EfficientNet B0 to B7 ("EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks") and
EfficientNetV2 S, M, L ("EfficientNetV2: Smaller Models and Faster Training")."""
import copy
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, Optional

from ... import flatten, nn
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..ops.stochastic_depth import StochasticDepth
from ._api import register_model
from ._utils import _init_mobile_weights, _load_weights, _make_divisible, _verify_weights
from ._weights import weights_enum

__all__ = ["EfficientNet", "MBConv", "MBConvConfig", "FusedMBConv", "FusedMBConvConfig", "EfficientNet_B0_Weights",
           "EfficientNet_B1_Weights", "EfficientNet_B2_Weights", "EfficientNet_B3_Weights", "EfficientNet_B4_Weights",
           "EfficientNet_B5_Weights", "EfficientNet_B6_Weights", "EfficientNet_B7_Weights", "efficientnet_b0",
           "efficientnet_b1", "efficientnet_b2", "efficientnet_b3", "efficientnet_b4", "efficientnet_b5",
           "efficientnet_b6", "efficientnet_b7", "EfficientNet_V2_S_Weights", "EfficientNet_V2_M_Weights",
           "EfficientNet_V2_L_Weights", "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"]


@dataclass
class _MBConvConfig:
    expand_ratio: float
    kernel: int
    stride: int
    input_channels: int
    out_channels: int
    num_layers: int
    block: Callable

    @staticmethod
    def adjust_channels(channels, width_mult, min_value=None):
        return _make_divisible(channels * width_mult, 8, min_value)


class MBConvConfig(_MBConvConfig):
    """One stage of EfficientNet: expansion ratio, kernel size, first stride, input and output channels (scaled by
    ``width_mult``, rounded to a multiple of 8) and number of blocks (scaled by ``depth_mult``, rounded up)."""

    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, width_mult=1.0,
                 depth_mult=1.0, block=None):
        input_channels = self.adjust_channels(input_channels, width_mult)
        out_channels = self.adjust_channels(out_channels, width_mult)
        num_layers = self.adjust_depth(num_layers, depth_mult)
        if block is None:
            block = MBConv
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block)

    @staticmethod
    def adjust_depth(num_layers, depth_mult):
        return int(math.ceil(num_layers * depth_mult))


class FusedMBConvConfig(_MBConvConfig):
    """One stage of EfficientNetV2 built of :class:`FusedMBConv` blocks (Table 4 of the paper): expansion ratio,
    kernel size, first stride, input and output channels and number of blocks, unscaled."""

    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block=None):
        if block is None:
            block = FusedMBConv
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block)


class MBConv(nn.Module):
    """The mobile inverted bottleneck: a 1x1 expansion by ``expand_ratio`` (left out at ratio 1), a depthwise
    ``kernel`` x ``kernel`` convolution, a Squeeze-and-Excitation gate (squeezing to a quarter of the block's input
    channels) and a linear 1x1 projection, with batch norms and SiLU. When stride is 1 and the channels match, the
    result, passed through stochastic depth (per sample), is added to the input.

    Args:
        cnf (MBConvConfig): the block's configuration.
        stochastic_depth_prob (float): the probability of dropping the residual branch while training.
        norm_layer (callable): builds the norm layers.
        se_layer (callable, optional): builds the gate. Default: :class:`~torchless.vision.ops.SqueezeExcitation`.
    """

    def __init__(self, cnf, stochastic_depth_prob, norm_layer, se_layer=SqueezeExcitation):
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")

        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        activation_layer = nn.SiLU

        layers = []
        expanded_channels = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded_channels != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded_channels, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=activation_layer))
        layers.append(Conv2dNormActivation(expanded_channels, expanded_channels, kernel_size=cnf.kernel,
                                           stride=cnf.stride, groups=expanded_channels, norm_layer=norm_layer,
                                           activation_layer=activation_layer))
        squeeze_channels = max(1, cnf.input_channels // 4)
        layers.append(se_layer(expanded_channels, squeeze_channels,
                               activation=functools.partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded_channels, cnf.out_channels, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=None))

        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += input
        return result


class FusedMBConv(nn.Module):
    """EfficientNetV2's fused block: MBConv's expansion and depthwise convolution fused into one ``kernel`` x
    ``kernel`` convolution, then a linear 1x1 projection (a single convolution with SiLU when ``expand_ratio`` keeps
    the channels), with batch norms and no Squeeze-and-Excitation. When stride is 1 and the channels match, the
    result, passed through stochastic depth (per sample), is added to the input.

    Args:
        cnf (FusedMBConvConfig): the block's configuration.
        stochastic_depth_prob (float): the probability of dropping the residual branch while training.
        norm_layer (callable): builds the norm layers.
    """

    def __init__(self, cnf, stochastic_depth_prob, norm_layer):
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")

        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        activation_layer = nn.SiLU

        expanded_channels = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded_channels != cnf.input_channels:
            layers = [
                Conv2dNormActivation(cnf.input_channels, expanded_channels, kernel_size=cnf.kernel, stride=cnf.stride,
                                     norm_layer=norm_layer, activation_layer=activation_layer),
                Conv2dNormActivation(expanded_channels, cnf.out_channels, kernel_size=1, norm_layer=norm_layer,
                                     activation_layer=None),
            ]
        else:
            layers = [Conv2dNormActivation(cnf.input_channels, cnf.out_channels, kernel_size=cnf.kernel,
                                           stride=cnf.stride, norm_layer=norm_layer,
                                           activation_layer=activation_layer)]
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    forward = MBConv.forward


def _init_classifier(linear):
    """EfficientNet's linear layers: uniform in +-1/sqrt(out_features)."""
    init_range = 1.0 / math.sqrt(linear.out_features)
    nn.init.uniform_(linear.weight, -init_range, init_range)


class EfficientNet(nn.Module):
    """EfficientNet: a 3x3/2 Conv2dNormActivation with SiLU, one Sequential of blocks per stage configuration and
    a 1x1 Conv2dNormActivation to ``last_channel`` (default: four times the last stage's channels) (``features``),
    global average pooling (``avgpool``), then dropout and a Linear layer (``classifier``). The stochastic depth
    probability grows linearly with the block's index, from 0 to ``stochastic_depth_prob``.

    Args:
        inverted_residual_setting (list of MBConvConfig): the stages.
        dropout (float): the classifier's dropout probability.
        stochastic_depth_prob (float, optional): Default: 0.2.
        num_classes (int, optional): Default: 1000.
        norm_layer (callable, optional): Default: BatchNorm2d.
        last_channel (int, optional): Default: None.

    Convolutions are initialised kaiming-normal (fan_out) with zero bias, norm layers with weight 1 and bias 0,
    Linear layers U(-1/sqrt(out_features), 1/sqrt(out_features)) with zero bias.

    Shape:
        - Input: (N, 3, H, W)
        - Output: (N, num_classes)
    """

    def __init__(self, inverted_residual_setting, dropout, stochastic_depth_prob=0.2, num_classes=1000,
                 norm_layer=None, last_channel=None):
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        elif not (isinstance(inverted_residual_setting, Sequence)
                  and all(isinstance(s, _MBConvConfig) for s in inverted_residual_setting)):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d

        layers = [Conv2dNormActivation(3, inverted_residual_setting[0].input_channels, kernel_size=3, stride=2,
                                       norm_layer=norm_layer, activation_layer=nn.SiLU)]
        total_stage_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        stage_block_id = 0
        for cnf in inverted_residual_setting:
            stage = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:  # the stage's later blocks keep its output width and resolution
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                sd_prob = stochastic_depth_prob * float(stage_block_id) / total_stage_blocks
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
                stage_block_id += 1
            layers.append(nn.Sequential(*stage))

        lastconv_input_channels = inverted_residual_setting[-1].out_channels
        lastconv_output_channels = last_channel if last_channel is not None else 4 * lastconv_input_channels
        layers.append(Conv2dNormActivation(lastconv_input_channels, lastconv_output_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(lastconv_output_channels, num_classes),
        )

        _init_mobile_weights(self, _init_classifier)

    def _forward_impl(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(flatten(x, 1))

    def forward(self, x):
        return self._forward_impl(x)


# the ported TensorFlow weights' batch norm settings
_TF_NORM = functools.partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
_V2_NORM = functools.partial(nn.BatchNorm2d, eps=1e-03)

# builder -> (width_mult, depth_mult, default dropout, the norm layer its weights need or None)
_SCALING = {
    "efficientnet_b0": (1.0, 1.0, 0.2, None),
    "efficientnet_b1": (1.0, 1.1, 0.2, None),
    "efficientnet_b2": (1.1, 1.2, 0.3, None),
    "efficientnet_b3": (1.2, 1.4, 0.3, None),
    "efficientnet_b4": (1.4, 1.8, 0.4, None),
    "efficientnet_b5": (1.6, 2.2, 0.4, _TF_NORM),
    "efficientnet_b6": (1.8, 2.6, 0.5, _TF_NORM),
    "efficientnet_b7": (2.0, 3.1, 0.5, _TF_NORM),
}

_F, _M = FusedMBConvConfig, MBConvConfig
# builder -> (stages as (block config, expand ratio, kernel, stride, input channels, output channels, layers),
# default dropout); EfficientNetV2's last convolution has 1280 channels and its batch norms eps=1e-3
_V2_STAGES = {
    "efficientnet_v2_s": ([(_F, 1, 3, 1, 24, 24, 2), (_F, 4, 3, 2, 24, 48, 4), (_F, 4, 3, 2, 48, 64, 4),
                           (_M, 4, 3, 2, 64, 128, 6), (_M, 6, 3, 1, 128, 160, 9), (_M, 6, 3, 2, 160, 256, 15)], 0.2),
    "efficientnet_v2_m": ([(_F, 1, 3, 1, 24, 24, 3), (_F, 4, 3, 2, 24, 48, 5), (_F, 4, 3, 2, 48, 80, 5),
                           (_M, 4, 3, 2, 80, 160, 7), (_M, 6, 3, 1, 160, 176, 14), (_M, 6, 3, 2, 176, 304, 18),
                           (_M, 6, 3, 1, 304, 512, 5)], 0.3),
    "efficientnet_v2_l": ([(_F, 1, 3, 1, 32, 32, 4), (_F, 4, 3, 2, 32, 64, 7), (_F, 4, 3, 2, 64, 96, 7),
                           (_M, 4, 3, 2, 96, 192, 10), (_M, 6, 3, 1, 192, 224, 19), (_M, 6, 3, 2, 224, 384, 25),
                           (_M, 6, 3, 1, 384, 640, 7)], 0.4),
}
del _F, _M


def _efficientnet_conf(arch):
    """The stages of ``arch``, its last convolution's channels (None: four times the last stage's), default dropout
    and the norm layer its weights need (None: BatchNorm2d, the caller may choose)."""
    if arch in _V2_STAGES:
        stages, dropout = _V2_STAGES[arch]
        return [config(*stage) for config, *stage in stages], 1280, dropout, _V2_NORM
    width_mult, depth_mult, dropout, norm_layer = _SCALING[arch]
    conf = functools.partial(MBConvConfig, width_mult=width_mult, depth_mult=depth_mult)
    setting = [
        # expand ratio, kernel, stride, input channels, output channels, layers
        conf(1, 3, 1, 32, 16, 1),
        conf(6, 3, 2, 16, 24, 2),
        conf(6, 5, 2, 24, 40, 2),
        conf(6, 3, 2, 40, 80, 3),
        conf(6, 5, 1, 80, 112, 3),
        conf(6, 5, 2, 112, 192, 4),
        conf(6, 3, 1, 192, 320, 1),
    ]
    return setting, None, dropout, norm_layer


def _efficientnet(arch, weights_enum, weights, progress, kwargs):
    weights = _verify_weights(weights_enum, weights, kwargs)
    setting, last_channel, dropout, norm_layer = _efficientnet_conf(arch)
    if norm_layer is not None:  # a norm_layer of the caller's collides with the builder's, as in torchvision
        # (where it is passed twice)
        if "norm_layer" in kwargs:
            raise TypeError(f"{__name__}._efficientnet() got multiple values for keyword argument 'norm_layer'")
        kwargs["norm_layer"] = norm_layer
    model = EfficientNet(setting, kwargs.pop("dropout", dropout), last_channel=last_channel, **kwargs)
    return _load_weights(model, weights, progress)


EfficientNet_B0_Weights = weights_enum("EfficientNet_B0_Weights", __name__)
EfficientNet_B1_Weights = weights_enum("EfficientNet_B1_Weights", __name__)
EfficientNet_B2_Weights = weights_enum("EfficientNet_B2_Weights", __name__)
EfficientNet_B3_Weights = weights_enum("EfficientNet_B3_Weights", __name__)
EfficientNet_B4_Weights = weights_enum("EfficientNet_B4_Weights", __name__)
EfficientNet_B5_Weights = weights_enum("EfficientNet_B5_Weights", __name__)
EfficientNet_B6_Weights = weights_enum("EfficientNet_B6_Weights", __name__)
EfficientNet_B7_Weights = weights_enum("EfficientNet_B7_Weights", __name__)
EfficientNet_V2_S_Weights = weights_enum("EfficientNet_V2_S_Weights", __name__)
EfficientNet_V2_M_Weights = weights_enum("EfficientNet_V2_M_Weights", __name__)
EfficientNet_V2_L_Weights = weights_enum("EfficientNet_V2_L_Weights", __name__)

_DOC = """EfficientNet {variant} from `EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks
    <https://arxiv.org/abs/1905.11946>`__.

    Args:
        weights (:class:`~torchless.vision.models.{enum}`, optional): The pretrained weights to use. See
            :class:`~torchless.vision.models.{enum}` for more details, and possible values. By default, no
            pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`EfficientNet` (``num_classes``, ``dropout`` (default {dropout}),
            ``stochastic_depth_prob``, ``norm_layer``{norm_note}).
    """


@register_model()
def efficientnet_b0(weights: Optional[EfficientNet_B0_Weights] = None, progress=True, **kwargs):
    return _efficientnet("efficientnet_b0", EfficientNet_B0_Weights, weights, progress, kwargs)


@register_model()
def efficientnet_b1(weights: Optional[EfficientNet_B1_Weights] = None, progress=True, **kwargs):
    return _efficientnet("efficientnet_b1", EfficientNet_B1_Weights, weights, progress, kwargs)


@register_model()
def efficientnet_b2(weights: Optional[EfficientNet_B2_Weights] = None, progress=True, **kwargs):
    return _efficientnet("efficientnet_b2", EfficientNet_B2_Weights, weights, progress, kwargs)


@register_model()
def efficientnet_b3(weights: Optional[EfficientNet_B3_Weights] = None, progress=True, **kwargs):
    return _efficientnet("efficientnet_b3", EfficientNet_B3_Weights, weights, progress, kwargs)


@register_model()
def efficientnet_b4(weights: Optional[EfficientNet_B4_Weights] = None, progress=True, **kwargs):
    return _efficientnet("efficientnet_b4", EfficientNet_B4_Weights, weights, progress, kwargs)


@register_model()
def efficientnet_b5(weights: Optional[EfficientNet_B5_Weights] = None, progress=True, **kwargs):
    return _efficientnet("efficientnet_b5", EfficientNet_B5_Weights, weights, progress, kwargs)


@register_model()
def efficientnet_b6(weights: Optional[EfficientNet_B6_Weights] = None, progress=True, **kwargs):
    return _efficientnet("efficientnet_b6", EfficientNet_B6_Weights, weights, progress, kwargs)


@register_model()
def efficientnet_b7(weights: Optional[EfficientNet_B7_Weights] = None, progress=True, **kwargs):
    return _efficientnet("efficientnet_b7", EfficientNet_B7_Weights, weights, progress, kwargs)


for _builder in (efficientnet_b0, efficientnet_b1, efficientnet_b2, efficientnet_b3, efficientnet_b4, efficientnet_b5,
                 efficientnet_b6, efficientnet_b7):
    _variant = _builder.__name__[-2:].upper()
    _builder.__doc__ = _DOC.format(
        variant=_variant, enum=f"EfficientNet_{_variant}_Weights", dropout=_SCALING[_builder.__name__][2],
        norm_note=": fixed to BatchNorm2d(eps=0.001, momentum=0.01), the\n            ported weights' settings"
        if _SCALING[_builder.__name__][3] is not None else "")
del _builder, _variant


@register_model()
def efficientnet_v2_s(weights: Optional[EfficientNet_V2_S_Weights] = None, progress=True, **kwargs):
    return _efficientnet("efficientnet_v2_s", EfficientNet_V2_S_Weights, weights, progress, kwargs)


@register_model()
def efficientnet_v2_m(weights: Optional[EfficientNet_V2_M_Weights] = None, progress=True, **kwargs):
    return _efficientnet("efficientnet_v2_m", EfficientNet_V2_M_Weights, weights, progress, kwargs)


@register_model()
def efficientnet_v2_l(weights: Optional[EfficientNet_V2_L_Weights] = None, progress=True, **kwargs):
    return _efficientnet("efficientnet_v2_l", EfficientNet_V2_L_Weights, weights, progress, kwargs)


_V2_DOC = """Constructs an EfficientNetV2-{variant} architecture from `EfficientNetV2: Smaller Models and Faster
    Training <https://arxiv.org/abs/2104.00298>`__.

    Args:
        weights (:class:`~torchless.vision.models.{enum}`, optional): The pretrained weights to use. See
            :class:`~torchless.vision.models.{enum}` for more details, and possible values. By default, no
            pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`EfficientNet` (``num_classes``, ``dropout`` (default {dropout}),
            ``stochastic_depth_prob``; the norm layer is fixed to BatchNorm2d(eps=0.001)).
    """

for _builder in (efficientnet_v2_s, efficientnet_v2_m, efficientnet_v2_l):
    _variant = _builder.__name__[-1].upper()
    _builder.__doc__ = _V2_DOC.format(variant=_variant, enum=f"EfficientNet_V2_{_variant}_Weights",
                                      dropout=_V2_STAGES[_builder.__name__][1])
del _builder, _variant
