"""RegNet ("Designing Network Design Spaces"): RegNetX and RegNetY (with Squeeze-and-Excitation)."""
import math
from collections import OrderedDict
from functools import partial
from typing import Optional

import numpy as np

from ... import nn
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ._api import register_model
from ._utils import _load_weights, _make_divisible, _verify_weights
from ._weights import weights_enum

__all__ = ["RegNet", "RegNet_Y_400MF_Weights", "RegNet_Y_800MF_Weights", "RegNet_Y_1_6GF_Weights",
           "RegNet_Y_3_2GF_Weights", "RegNet_Y_8GF_Weights", "RegNet_Y_16GF_Weights", "RegNet_Y_32GF_Weights",
           "RegNet_Y_128GF_Weights", "RegNet_X_400MF_Weights", "RegNet_X_800MF_Weights", "RegNet_X_1_6GF_Weights",
           "RegNet_X_3_2GF_Weights", "RegNet_X_8GF_Weights", "RegNet_X_16GF_Weights", "RegNet_X_32GF_Weights",
           "regnet_y_400mf", "regnet_y_800mf", "regnet_y_1_6gf", "regnet_y_3_2gf", "regnet_y_8gf", "regnet_y_16gf",
           "regnet_y_32gf", "regnet_y_128gf", "regnet_x_400mf", "regnet_x_800mf", "regnet_x_1_6gf", "regnet_x_3_2gf",
           "regnet_x_8gf", "regnet_x_16gf", "regnet_x_32gf"]


class SimpleStemIN(Conv2dNormActivation):
    """The ImageNet stem: a 3x3/2 convolution, norm layer and activation."""

    def __init__(self, width_in, width_out, norm_layer, activation_layer):
        super().__init__(width_in, width_out, kernel_size=3, stride=2, norm_layer=norm_layer,
                         activation_layer=activation_layer)


class BottleneckTransform(nn.Sequential):
    """The bottleneck: a 1x1 convolution to ``width_out * bottleneck_multiplier`` channels (``a``), a grouped 3x3
    one of ``group_width`` channels per group (``b``), Squeeze-and-Excitation to ``se_ratio * width_in`` channels
    if ``se_ratio`` (``se``), and a 1x1 convolution to ``width_out`` without activation (``c``)."""

    def __init__(self, width_in, width_out, stride, norm_layer, activation_layer, group_width, bottleneck_multiplier,
                 se_ratio):
        layers = OrderedDict()
        w_b = int(round(width_out * bottleneck_multiplier))
        g = w_b // group_width
        layers["a"] = Conv2dNormActivation(width_in, w_b, kernel_size=1, stride=1, norm_layer=norm_layer,
                                           activation_layer=activation_layer)
        layers["b"] = Conv2dNormActivation(w_b, w_b, kernel_size=3, stride=stride, groups=g, norm_layer=norm_layer,
                                           activation_layer=activation_layer)
        if se_ratio:
            layers["se"] = SqueezeExcitation(input_channels=w_b, squeeze_channels=int(round(se_ratio * width_in)),
                                             activation=activation_layer)
        layers["c"] = Conv2dNormActivation(w_b, width_out, kernel_size=1, stride=1, norm_layer=norm_layer,
                                           activation_layer=None)
        super().__init__(layers)


class ResBottleneckBlock(nn.Module):
    """``activation(x + f(x))``, ``x`` first projected by a 1x1 convolution with norm layer (``proj``) when the
    width or resolution changes; ``f`` is a :class:`BottleneckTransform`."""

    def __init__(self, width_in, width_out, stride, norm_layer, activation_layer, group_width=1,
                 bottleneck_multiplier=1.0, se_ratio=None):
        super().__init__()
        self.proj = None
        if width_in != width_out or stride != 1:
            self.proj = Conv2dNormActivation(width_in, width_out, kernel_size=1, stride=stride, norm_layer=norm_layer,
                                             activation_layer=None)
        self.f = BottleneckTransform(width_in, width_out, stride, norm_layer, activation_layer, group_width,
                                     bottleneck_multiplier, se_ratio)
        self.activation = activation_layer(inplace=True)

    def forward(self, x):
        if self.proj is not None:
            x = self.proj(x) + self.f(x)
        else:
            x = x + self.f(x)
        return self.activation(x)


class AnyStage(nn.Sequential):
    """``depth`` blocks of the same output width (``block{stage_index}-{i}``), the first with ``stride``."""

    def __init__(self, width_in, width_out, stride, depth, block_constructor, norm_layer, activation_layer,
                 group_width, bottleneck_multiplier, se_ratio=None, stage_index=0):
        super().__init__()
        for i in range(depth):
            block = block_constructor(width_in if i == 0 else width_out, width_out, stride if i == 0 else 1,
                                      norm_layer, activation_layer, group_width, bottleneck_multiplier, se_ratio)
            self.add_module(f"block{stage_index}-{i}", block)


class BlockParams:
    """Per stage: depth, width, group width, bottleneck multiplier and stride; and the SE ratio of every block."""

    def __init__(self, depths, widths, group_widths, bottleneck_multipliers, strides, se_ratio=None):
        self.depths = depths
        self.widths = widths
        self.group_widths = group_widths
        self.bottleneck_multipliers = bottleneck_multipliers
        self.strides = strides
        self.se_ratio = se_ratio

    @classmethod
    def from_init_params(cls, depth, w_0, w_a, w_m, group_width, bottleneck_multiplier=1.0, se_ratio=None,
                         **kwargs):
        """The stages of the RegNet of ``depth`` blocks whose widths grow linearly (``w_0 + w_a * i``) and are
        quantised in log space with step ``w_m`` (``w_0 * w_m ** round(log(width / w_0) / log(w_m))``, rounded to
        a multiple of 8): the blocks of one width form a stage. Computed in float32, as torchvision's tensors do.
        ``kwargs`` are ignored (the builders pass their model keywords along)."""
        QUANT = 8
        STRIDE = 2
        if w_a < 0 or w_0 <= 0 or w_m <= 1 or w_0 % 8 != 0:
            raise ValueError("Invalid RegNet settings")
        f32 = np.float32
        widths_cont = np.arange(depth, dtype=f32) * f32(w_a) + f32(w_0)
        block_capacity = np.round(np.log(widths_cont / f32(w_0)) / f32(math.log(w_m)))
        block_widths = (np.round(f32(w_0) * np.power(f32(w_m), block_capacity) / f32(QUANT)) * QUANT)
        block_widths = block_widths.astype(np.int32).tolist()
        num_stages = len(set(block_widths))
        # a stage starts wherever the width changes
        split_helper = zip(block_widths + [0], [0] + block_widths, block_widths + [0], [0] + block_widths)
        splits = [w != wp or r != rp for w, wp, r, rp in split_helper]
        stage_widths = [w for w, t in zip(block_widths, splits[:-1]) if t]
        stage_depths = np.diff([d for d, t in enumerate(splits) if t]).astype(np.int32).tolist()

        strides = [STRIDE] * num_stages
        bottleneck_multipliers = [bottleneck_multiplier] * num_stages
        group_widths = [group_width] * num_stages
        stage_widths, group_widths = cls._adjust_widths_groups_compatibilty(stage_widths, bottleneck_multipliers,
                                                                            group_widths)
        return cls(depths=stage_depths, widths=stage_widths, group_widths=group_widths,
                   bottleneck_multipliers=bottleneck_multipliers, strides=strides, se_ratio=se_ratio)

    def _get_expanded_params(self):
        return zip(self.widths, self.strides, self.depths, self.group_widths, self.bottleneck_multipliers)

    @staticmethod
    def _adjust_widths_groups_compatibilty(stage_widths, bottleneck_ratios, group_widths):
        """Widths whose bottlenecks are multiples of their group widths (no more than the bottleneck's)."""
        widths = [int(w * b) for w, b in zip(stage_widths, bottleneck_ratios)]
        group_widths_min = [min(g, w_bot) for g, w_bot in zip(group_widths, widths)]
        ws_bot = [_make_divisible(w_bot, g) for w_bot, g in zip(widths, group_widths_min)]
        stage_widths = [int(w_bot / b) for w_bot, b in zip(ws_bot, bottleneck_ratios)]
        return stage_widths, group_widths_min


class RegNet(nn.Module):
    """RegNet: a stem (``stem``), the stages of ``block_params`` (``trunk_output``, ``block1`` ...), global
    average pooling and a Linear layer (``fc``).

    Args:
        block_params (BlockParams): the stages.
        num_classes (int, optional): Default: 1000.
        stem_width (int, optional): Default: 32.
        stem_type (callable, optional): Default: :class:`SimpleStemIN`.
        block_type (callable, optional): Default: :class:`ResBottleneckBlock`.
        norm_layer (callable, optional): Default: BatchNorm2d.
        activation (callable, optional): Default: ReLU.

    Convolutions are initialised N(0, 2 / fan_out), norm layers with weight 1 and bias 0, the Linear layer
    N(0, 0.01) with zero bias.

    Shape:
        - Input: (N, 3, H, W)
        - Output: (N, num_classes)
    """

    def __init__(self, block_params, num_classes=1000, stem_width=32, stem_type=None, block_type=None,
                 norm_layer=None, activation=None):
        super().__init__()
        if stem_type is None:
            stem_type = SimpleStemIN
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if block_type is None:
            block_type = ResBottleneckBlock
        if activation is None:
            activation = nn.ReLU

        self.stem = stem_type(3, stem_width, norm_layer, activation)
        current_width = stem_width
        blocks = []
        for i, (width_out, stride, depth, group_width, bottleneck_multiplier) in enumerate(
                block_params._get_expanded_params()):
            blocks.append((f"block{i + 1}", AnyStage(current_width, width_out, stride, depth, block_type, norm_layer,
                                                     activation, group_width, bottleneck_multiplier,
                                                     block_params.se_ratio, stage_index=i + 1)))
            current_width = width_out
        self.trunk_output = nn.Sequential(OrderedDict(blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(in_features=current_width, out_features=num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, mean=0.0, std=math.sqrt(2.0 / fan_out))
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0.0, std=0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.stem(x)
        x = self.trunk_output(x)
        x = self.avgpool(x)
        x = x.flatten(start_dim=1)
        return self.fc(x)


# builder -> BlockParams.from_init_params's settings
_SETTINGS = {
    "regnet_y_400mf": dict(depth=16, w_0=48, w_a=27.89, w_m=2.09, group_width=8, se_ratio=0.25),
    "regnet_y_800mf": dict(depth=14, w_0=56, w_a=38.84, w_m=2.4, group_width=16, se_ratio=0.25),
    "regnet_y_1_6gf": dict(depth=27, w_0=48, w_a=20.71, w_m=2.65, group_width=24, se_ratio=0.25),
    "regnet_y_3_2gf": dict(depth=21, w_0=80, w_a=42.63, w_m=2.66, group_width=24, se_ratio=0.25),
    "regnet_y_8gf": dict(depth=17, w_0=192, w_a=76.82, w_m=2.19, group_width=56, se_ratio=0.25),
    "regnet_y_16gf": dict(depth=18, w_0=200, w_a=106.23, w_m=2.48, group_width=112, se_ratio=0.25),
    "regnet_y_32gf": dict(depth=20, w_0=232, w_a=115.89, w_m=2.53, group_width=232, se_ratio=0.25),
    "regnet_y_128gf": dict(depth=27, w_0=456, w_a=160.83, w_m=2.52, group_width=264, se_ratio=0.25),
    "regnet_x_400mf": dict(depth=22, w_0=24, w_a=24.48, w_m=2.54, group_width=16),
    "regnet_x_800mf": dict(depth=16, w_0=56, w_a=35.73, w_m=2.28, group_width=16),
    "regnet_x_1_6gf": dict(depth=18, w_0=80, w_a=34.01, w_m=2.25, group_width=24),
    "regnet_x_3_2gf": dict(depth=25, w_0=88, w_a=26.31, w_m=2.25, group_width=48),
    "regnet_x_8gf": dict(depth=23, w_0=80, w_a=49.56, w_m=2.88, group_width=120),
    "regnet_x_16gf": dict(depth=22, w_0=216, w_a=55.59, w_m=2.1, group_width=128),
    "regnet_x_32gf": dict(depth=23, w_0=320, w_a=69.86, w_m=2.0, group_width=168),
}


def _regnet(arch, weights_enum, weights, progress, kwargs):
    weights = _verify_weights(weights_enum, weights, kwargs)
    # as torchvision's builders, the model keywords are passed to from_init_params too (which ignores them)
    params = BlockParams.from_init_params(**_SETTINGS[arch], **kwargs)
    norm_layer = kwargs.pop("norm_layer", partial(nn.BatchNorm2d, eps=1e-05, momentum=0.1))
    return _load_weights(RegNet(params, norm_layer=norm_layer, **kwargs), weights, progress)


def _enum_name(arch):
    """"regnet_y_1_6gf" -> "RegNet_Y_1_6GF_Weights"."""
    return "RegNet_" + arch[len("regnet_"):].upper() + "_Weights"


RegNet_Y_400MF_Weights = weights_enum("RegNet_Y_400MF_Weights", __name__)
RegNet_Y_800MF_Weights = weights_enum("RegNet_Y_800MF_Weights", __name__)
RegNet_Y_1_6GF_Weights = weights_enum("RegNet_Y_1_6GF_Weights", __name__)
RegNet_Y_3_2GF_Weights = weights_enum("RegNet_Y_3_2GF_Weights", __name__)
RegNet_Y_8GF_Weights = weights_enum("RegNet_Y_8GF_Weights", __name__)
RegNet_Y_16GF_Weights = weights_enum("RegNet_Y_16GF_Weights", __name__)
RegNet_Y_32GF_Weights = weights_enum("RegNet_Y_32GF_Weights", __name__)
RegNet_Y_128GF_Weights = weights_enum("RegNet_Y_128GF_Weights", __name__)
RegNet_X_400MF_Weights = weights_enum("RegNet_X_400MF_Weights", __name__)
RegNet_X_800MF_Weights = weights_enum("RegNet_X_800MF_Weights", __name__)
RegNet_X_1_6GF_Weights = weights_enum("RegNet_X_1_6GF_Weights", __name__)
RegNet_X_3_2GF_Weights = weights_enum("RegNet_X_3_2GF_Weights", __name__)
RegNet_X_8GF_Weights = weights_enum("RegNet_X_8GF_Weights", __name__)
RegNet_X_16GF_Weights = weights_enum("RegNet_X_16GF_Weights", __name__)
RegNet_X_32GF_Weights = weights_enum("RegNet_X_32GF_Weights", __name__)


@register_model()
def regnet_y_400mf(weights: Optional[RegNet_Y_400MF_Weights] = None, progress=True, **kwargs):
    return _regnet("regnet_y_400mf", RegNet_Y_400MF_Weights, weights, progress, kwargs)


@register_model()
def regnet_y_800mf(weights: Optional[RegNet_Y_800MF_Weights] = None, progress=True, **kwargs):
    return _regnet("regnet_y_800mf", RegNet_Y_800MF_Weights, weights, progress, kwargs)


@register_model()
def regnet_y_1_6gf(weights: Optional[RegNet_Y_1_6GF_Weights] = None, progress=True, **kwargs):
    return _regnet("regnet_y_1_6gf", RegNet_Y_1_6GF_Weights, weights, progress, kwargs)


@register_model()
def regnet_y_3_2gf(weights: Optional[RegNet_Y_3_2GF_Weights] = None, progress=True, **kwargs):
    return _regnet("regnet_y_3_2gf", RegNet_Y_3_2GF_Weights, weights, progress, kwargs)


@register_model()
def regnet_y_8gf(weights: Optional[RegNet_Y_8GF_Weights] = None, progress=True, **kwargs):
    return _regnet("regnet_y_8gf", RegNet_Y_8GF_Weights, weights, progress, kwargs)


@register_model()
def regnet_y_16gf(weights: Optional[RegNet_Y_16GF_Weights] = None, progress=True, **kwargs):
    return _regnet("regnet_y_16gf", RegNet_Y_16GF_Weights, weights, progress, kwargs)


@register_model()
def regnet_y_32gf(weights: Optional[RegNet_Y_32GF_Weights] = None, progress=True, **kwargs):
    return _regnet("regnet_y_32gf", RegNet_Y_32GF_Weights, weights, progress, kwargs)


@register_model()
def regnet_y_128gf(weights: Optional[RegNet_Y_128GF_Weights] = None, progress=True, **kwargs):
    return _regnet("regnet_y_128gf", RegNet_Y_128GF_Weights, weights, progress, kwargs)


@register_model()
def regnet_x_400mf(weights: Optional[RegNet_X_400MF_Weights] = None, progress=True, **kwargs):
    return _regnet("regnet_x_400mf", RegNet_X_400MF_Weights, weights, progress, kwargs)


@register_model()
def regnet_x_800mf(weights: Optional[RegNet_X_800MF_Weights] = None, progress=True, **kwargs):
    return _regnet("regnet_x_800mf", RegNet_X_800MF_Weights, weights, progress, kwargs)


@register_model()
def regnet_x_1_6gf(weights: Optional[RegNet_X_1_6GF_Weights] = None, progress=True, **kwargs):
    return _regnet("regnet_x_1_6gf", RegNet_X_1_6GF_Weights, weights, progress, kwargs)


@register_model()
def regnet_x_3_2gf(weights: Optional[RegNet_X_3_2GF_Weights] = None, progress=True, **kwargs):
    return _regnet("regnet_x_3_2gf", RegNet_X_3_2GF_Weights, weights, progress, kwargs)


@register_model()
def regnet_x_8gf(weights: Optional[RegNet_X_8GF_Weights] = None, progress=True, **kwargs):
    return _regnet("regnet_x_8gf", RegNet_X_8GF_Weights, weights, progress, kwargs)


@register_model()
def regnet_x_16gf(weights: Optional[RegNet_X_16GF_Weights] = None, progress=True, **kwargs):
    return _regnet("regnet_x_16gf", RegNet_X_16GF_Weights, weights, progress, kwargs)


@register_model()
def regnet_x_32gf(weights: Optional[RegNet_X_32GF_Weights] = None, progress=True, **kwargs):
    return _regnet("regnet_x_32gf", RegNet_X_32GF_Weights, weights, progress, kwargs)


_DOC = """Constructs a {name} architecture from `Designing Network Design Spaces
    <https://arxiv.org/abs/2003.13678>`__.

    Args:
        weights (:class:`~torchless.vision.models.{enum}`, optional): The pretrained weights to use. See
            :class:`~torchless.vision.models.{enum}` for more details, and possible values. By default, no
            pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`RegNet` (``num_classes``, ``stem_width``, ``stem_type``, ``block_type``,
            ``norm_layer`` (default BatchNorm2d), ``activation``).
    """

for _arch in _SETTINGS:
    _builder = globals()[_arch]
    _builder.__doc__ = _DOC.format(name="RegNet" + _arch[len("regnet_"):].upper(), enum=_enum_name(_arch))
del _arch, _builder
