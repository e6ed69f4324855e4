"""ConvNeXt Tiny, Small, Base and Large ("A ConvNet for the 2020s")."""
from collections.abc import Sequence
from functools import partial
from typing import Optional

from ... import nn, ones
from ...nn import functional as F
from ..ops.misc import Conv2dNormActivation, Permute
from ..ops.stochastic_depth import StochasticDepth
from ._api import register_model
from ._utils import _load_weights, _verify_weights
from ._weights import weights_enum

__all__ = ["ConvNeXt", "CNBlock", "CNBlockConfig", "LayerNorm2d", "ConvNeXt_Tiny_Weights", "ConvNeXt_Small_Weights",
           "ConvNeXt_Base_Weights", "ConvNeXt_Large_Weights", "convnext_tiny", "convnext_small", "convnext_base",
           "convnext_large"]


class LayerNorm2d(nn.LayerNorm):
    """:class:`~torchless.nn.LayerNorm` over the channels of an (N, C, H, W) input: each pixel's C values are
    normalised (``normalized_shape`` is ``C``)."""

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class CNBlock(nn.Module):
    """ConvNeXt's block: a 7x7 depthwise convolution, then, channels-last, a norm layer, a Linear layer to four
    times the channels, GELU and a Linear layer back (``block``); the result, scaled per channel by the learnable
    ``layer_scale`` and passed through stochastic depth (per sample), is added to the input.

    Args:
        dim (int): channels of the input and output.
        layer_scale (float): the initial value of the per-channel scale.
        stochastic_depth_prob (float): the probability of dropping the residual branch while training.
        norm_layer (callable, optional): builds the norm layer (channels-last). Default: LayerNorm with eps=1e-6.
    """

    def __init__(self, dim, layer_scale, stochastic_depth_prob, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]),
            norm_layer(dim),
            nn.Linear(in_features=dim, out_features=4 * dim, bias=True),
            nn.GELU(),
            nn.Linear(in_features=4 * dim, out_features=dim, bias=True),
            Permute([0, 3, 1, 2]),
        )
        self.layer_scale = nn.Parameter(ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, input):
        result = self.layer_scale * self.block(input)
        result = self.stochastic_depth(result)
        result += input
        return result


class CNBlockConfig:
    """One stage of ConvNeXt (Section 3 of the paper): its channels, the channels the downsampling layer after it
    produces (None for the last stage, which has none) and its number of blocks."""

    def __init__(self, input_channels, out_channels, num_layers):
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers

    def __repr__(self):
        return (f"{self.__class__.__name__}(input_channels={self.input_channels}, "
                f"out_channels={self.out_channels}, num_layers={self.num_layers})")


class ConvNeXt(nn.Module):
    """ConvNeXt: a 4x4/4 patchify convolution with a norm layer, then per stage a Sequential of blocks followed
    (except after the last stage) by a norm layer and a 2x2/2 convolution (``features``), global average pooling
    (``avgpool``), then a norm layer, Flatten and a Linear layer (``classifier``). The stochastic depth probability
    grows linearly with the block's index, from 0 for the first block to ``stochastic_depth_prob`` for the last.

    Args:
        block_setting (list of CNBlockConfig): the stages.
        stochastic_depth_prob (float, optional): Default: 0.0.
        layer_scale (float, optional): the blocks' initial per-channel scale. Default: 1e-6.
        num_classes (int, optional): Default: 1000.
        block (callable, optional): builds a block from ``(channels, layer_scale, stochastic_depth_prob)``.
            Default: :class:`CNBlock`.
        norm_layer (callable, optional): builds the channels-first norm layers. Default: :class:`LayerNorm2d` with
            eps=1e-6.
        **kwargs: ignored, as in torchvision.

    Convolutions and Linear layers are initialised with a normal of std 0.02 truncated to [-2, 2], zero biases.

    Shape:
        - Input: (N, 3, H, W)
        - Output: (N, num_classes)
    """

    def __init__(self, block_setting, stochastic_depth_prob=0.0, layer_scale=1e-6, num_classes=1000, block=None,
                 norm_layer=None, **kwargs):
        super().__init__()
        if not block_setting:
            raise ValueError("The block_setting should not be empty")
        elif not (isinstance(block_setting, Sequence) and all(isinstance(s, CNBlockConfig) for s in block_setting)):
            raise TypeError("The block_setting should be List[CNBlockConfig]")
        if block is None:
            block = CNBlock
        if norm_layer is None:
            norm_layer = partial(LayerNorm2d, eps=1e-6)

        layers = [Conv2dNormActivation(3, block_setting[0].input_channels, kernel_size=4, stride=4, padding=0,
                                       norm_layer=norm_layer, activation_layer=None, bias=True)]
        total_stage_blocks = sum(cnf.num_layers for cnf in block_setting)
        stage_block_id = 0
        for cnf in block_setting:
            stage = []
            for _ in range(cnf.num_layers):
                sd_prob = stochastic_depth_prob * stage_block_id / (total_stage_blocks - 1.0)
                stage.append(block(cnf.input_channels, layer_scale, sd_prob))
                stage_block_id += 1
            layers.append(nn.Sequential(*stage))
            if cnf.out_channels is not None:  # downsampling
                layers.append(nn.Sequential(
                    norm_layer(cnf.input_channels),
                    nn.Conv2d(cnf.input_channels, cnf.out_channels, kernel_size=2, stride=2),
                ))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)

        last_block = block_setting[-1]
        lastconv_output_channels = (last_block.out_channels if last_block.out_channels is not None
                                    else last_block.input_channels)
        self.classifier = nn.Sequential(norm_layer(lastconv_output_channels), nn.Flatten(1),
                                        nn.Linear(lastconv_output_channels, num_classes))

        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def _forward_impl(self, x):
        return self.classifier(self.avgpool(self.features(x)))

    def forward(self, x):
        return self._forward_impl(x)


# builder -> (stages as (channels, next stage's channels or None, blocks), default stochastic depth probability)
_SETTINGS = {
    "convnext_tiny": ([(96, 192, 3), (192, 384, 3), (384, 768, 9), (768, None, 3)], 0.1),
    "convnext_small": ([(96, 192, 3), (192, 384, 3), (384, 768, 27), (768, None, 3)], 0.4),
    "convnext_base": ([(128, 256, 3), (256, 512, 3), (512, 1024, 27), (1024, None, 3)], 0.5),
    "convnext_large": ([(192, 384, 3), (384, 768, 3), (768, 1536, 27), (1536, None, 3)], 0.5),
}


def _convnext(arch, weights_enum, weights, progress, kwargs):
    weights = _verify_weights(weights_enum, weights, kwargs)
    stages, stochastic_depth_prob = _SETTINGS[arch]
    block_setting = [CNBlockConfig(*stage) for stage in stages]
    stochastic_depth_prob = kwargs.pop("stochastic_depth_prob", stochastic_depth_prob)
    model = ConvNeXt(block_setting, stochastic_depth_prob=stochastic_depth_prob, **kwargs)
    return _load_weights(model, weights, progress)


ConvNeXt_Tiny_Weights = weights_enum("ConvNeXt_Tiny_Weights", __name__)
ConvNeXt_Small_Weights = weights_enum("ConvNeXt_Small_Weights", __name__)
ConvNeXt_Base_Weights = weights_enum("ConvNeXt_Base_Weights", __name__)
ConvNeXt_Large_Weights = weights_enum("ConvNeXt_Large_Weights", __name__)

_DOC = """ConvNeXt {variant} model architecture from `A ConvNet for the 2020s <https://arxiv.org/abs/2201.03545>`__.

    Args:
        weights (:class:`~torchless.vision.models.{enum}`, optional): The pretrained weights to use. See
            :class:`~torchless.vision.models.{enum}` for more details, and possible values. By default, no
            pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`ConvNeXt` (``num_classes``, ``stochastic_depth_prob`` (default {sd_prob}),
            ``layer_scale``, ``block``, ``norm_layer``).
    """


@register_model()
def convnext_tiny(weights: Optional[ConvNeXt_Tiny_Weights] = None, progress=True, **kwargs):
    return _convnext("convnext_tiny", ConvNeXt_Tiny_Weights, weights, progress, kwargs)


@register_model()
def convnext_small(weights: Optional[ConvNeXt_Small_Weights] = None, progress=True, **kwargs):
    return _convnext("convnext_small", ConvNeXt_Small_Weights, weights, progress, kwargs)


@register_model()
def convnext_base(weights: Optional[ConvNeXt_Base_Weights] = None, progress=True, **kwargs):
    return _convnext("convnext_base", ConvNeXt_Base_Weights, weights, progress, kwargs)


@register_model()
def convnext_large(weights: Optional[ConvNeXt_Large_Weights] = None, progress=True, **kwargs):
    return _convnext("convnext_large", ConvNeXt_Large_Weights, weights, progress, kwargs)


for _builder in (convnext_tiny, convnext_small, convnext_base, convnext_large):
    _variant = _builder.__name__.split("_")[1].capitalize()
    _builder.__doc__ = _DOC.format(variant=_variant, enum=f"ConvNeXt_{_variant}_Weights",
                                   sd_prob=_SETTINGS[_builder.__name__][1])
del _builder, _variant
