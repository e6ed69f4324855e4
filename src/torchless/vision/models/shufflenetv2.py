"""ShuffleNetV2 ("ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design")."""
from typing import Optional

from ... import cat, nn, transpose
from ._api import register_model
from ._utils import _load_weights, _verify_weights
from ._weights import weights_enum

__all__ = ["ShuffleNetV2", "InvertedResidual", "channel_shuffle", "ShuffleNet_V2_X0_5_Weights",
           "ShuffleNet_V2_X1_0_Weights", "ShuffleNet_V2_X1_5_Weights", "ShuffleNet_V2_X2_0_Weights",
           "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0"]


def channel_shuffle(x, groups):
    """Interleave the channels of ``x`` (N, C, H, W) across ``groups`` groups: channel ``g * (C // groups) + i``
    moves to ``i * groups + g``."""
    batchsize, num_channels, height, width = x.size()
    x = x.view(batchsize, groups, num_channels // groups, height, width)
    x = transpose(x, 1, 2).contiguous()
    return x.view(batchsize, num_channels, height, width)


class InvertedResidual(nn.Module):
    """ShuffleNetV2's unit. At stride 1 the input's channels are split in two halves: the first passes unchanged,
    the second through ``branch2`` (1x1 conv, depthwise 3x3, 1x1 conv, with batch norms and ReLUs). At stride 2
    the whole input goes through both ``branch1`` (depthwise 3x3/2, 1x1 conv) and ``branch2``, halving the
    resolution. The two halves are concatenated and their channels shuffled.

    Args:
        inp (int): channels of the input.
        oup (int): channels of the output (each branch gives half); at stride 1, ``inp`` must be ``oup``.
        stride (int): 1, 2 or 3.
    """

    def __init__(self, inp, oup, stride):
        super().__init__()
        if not (1 <= stride <= 3):
            raise ValueError("illegal stride value")
        self.stride = stride

        branch_features = oup // 2
        if (self.stride == 1) and (inp != branch_features << 1):
            raise ValueError(f"Invalid combination of stride {stride}, inp {inp} and oup {oup} values. If stride == 1 "
                             f"then inp should be equal to oup // 2 << 1.")

        if self.stride > 1:
            self.branch1 = nn.Sequential(
                self.depthwise_conv(inp, inp, kernel_size=3, stride=self.stride, padding=1),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()

        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if self.stride > 1 else branch_features, branch_features, kernel_size=1, stride=1,
                      padding=0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
            self.depthwise_conv(branch_features, branch_features, kernel_size=3, stride=self.stride, padding=1),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
        )

    @staticmethod
    def depthwise_conv(i, o, kernel_size, stride=1, padding=0, bias=False):
        return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = cat((x1, self.branch2(x2)), dim=1)
        else:
            out = cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNetV2: a 3x3/2 convolution with batch norm and ReLU (``conv1``), a 3x3/2 max pooling, three stages
    of units each starting at stride 2 (``stage2`` to ``stage4``), a 1x1 convolution with batch norm and ReLU
    (``conv5``), global average pooling and a Linear layer (``fc``).

    Args:
        stages_repeats (list of 3 ints): units per stage.
        stages_out_channels (list of 5 ints): output channels of ``conv1``, the three stages and ``conv5``.
        num_classes (int, optional): Default: 1000.
        inverted_residual (callable, optional): builds a unit from (inp, oup, stride).
            Default: :class:`InvertedResidual`.

    Every layer keeps PyTorch's default initialisation.

    Shape:
        - Input: (N, 3, H, W) (224 x 224 for ImageNet)
        - Output: (N, num_classes)
    """

    def __init__(self, stages_repeats, stages_out_channels, num_classes=1000, inverted_residual=InvertedResidual):
        super().__init__()
        if len(stages_repeats) != 3:
            raise ValueError("expected stages_repeats as list of 3 positive ints")
        if len(stages_out_channels) != 5:
            raise ValueError("expected stages_out_channels as list of 5 positive ints")
        self._stage_out_channels = stages_out_channels

        input_channels = 3
        output_channels = self._stage_out_channels[0]
        self.conv1 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 3, 2, 1, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        input_channels = output_channels
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

        for name, repeats, output_channels in zip(("stage2", "stage3", "stage4"), stages_repeats,
                                                  self._stage_out_channels[1:]):
            units = [inverted_residual(input_channels, output_channels, 2)]
            units.extend(inverted_residual(output_channels, output_channels, 1) for _ in range(repeats - 1))
            setattr(self, name, nn.Sequential(*units))
            input_channels = output_channels

        output_channels = self._stage_out_channels[-1]
        self.conv5 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 1, 1, 0, bias=False),
            nn.BatchNorm2d(output_channels),
            nn.ReLU(inplace=True),
        )
        self.fc = nn.Linear(output_channels, num_classes)

    def _forward_impl(self, x):
        x = self.maxpool(self.conv1(x))
        x = self.stage4(self.stage3(self.stage2(x)))
        x = self.conv5(x)
        x = x.mean([2, 3])  # global pooling
        return self.fc(x)

    def forward(self, x):
        return self._forward_impl(x)


def _shufflenetv2(weights_enum, weights, progress, stages_repeats, stages_out_channels, kwargs):
    weights = _verify_weights(weights_enum, weights, kwargs)
    return _load_weights(ShuffleNetV2(stages_repeats, stages_out_channels, **kwargs), weights, progress)


ShuffleNet_V2_X0_5_Weights = weights_enum("ShuffleNet_V2_X0_5_Weights", __name__)
ShuffleNet_V2_X1_0_Weights = weights_enum("ShuffleNet_V2_X1_0_Weights", __name__)
ShuffleNet_V2_X1_5_Weights = weights_enum("ShuffleNet_V2_X1_5_Weights", __name__)
ShuffleNet_V2_X2_0_Weights = weights_enum("ShuffleNet_V2_X2_0_Weights", __name__)

_DOC = """ShuffleNetV2 with {width} output channels, from `ShuffleNet V2: Practical Guidelines for Efficient CNN
    Architecture Design <https://arxiv.org/abs/1807.11164>`__.

    Args:
        weights (:class:`~torchless.vision.models.{enum}`, optional): The pretrained weights to use. See
            :class:`~torchless.vision.models.{enum}` for more details, and possible values. By default, no
            pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`ShuffleNetV2` (``num_classes``, ``inverted_residual``).
    """


@register_model()
def shufflenet_v2_x0_5(weights: Optional[ShuffleNet_V2_X0_5_Weights] = None, progress=True, **kwargs):
    return _shufflenetv2(ShuffleNet_V2_X0_5_Weights, weights, progress, [4, 8, 4], [24, 48, 96, 192, 1024], kwargs)


@register_model()
def shufflenet_v2_x1_0(weights: Optional[ShuffleNet_V2_X1_0_Weights] = None, progress=True, **kwargs):
    return _shufflenetv2(ShuffleNet_V2_X1_0_Weights, weights, progress, [4, 8, 4], [24, 116, 232, 464, 1024], kwargs)


@register_model()
def shufflenet_v2_x1_5(weights: Optional[ShuffleNet_V2_X1_5_Weights] = None, progress=True, **kwargs):
    return _shufflenetv2(ShuffleNet_V2_X1_5_Weights, weights, progress, [4, 8, 4], [24, 176, 352, 704, 1024], kwargs)


@register_model()
def shufflenet_v2_x2_0(weights: Optional[ShuffleNet_V2_X2_0_Weights] = None, progress=True, **kwargs):
    return _shufflenetv2(ShuffleNet_V2_X2_0_Weights, weights, progress, [4, 8, 4], [24, 244, 488, 976, 2048], kwargs)


for _builder, _width in ((shufflenet_v2_x0_5, "0.5x"), (shufflenet_v2_x1_0, "1.0x"), (shufflenet_v2_x1_5, "1.5x"),
                         (shufflenet_v2_x2_0, "2.0x")):
    _builder.__doc__ = _DOC.format(width=_width, enum=_builder.__annotations__["weights"].__args__[0].__name__)
del _builder, _width
