"""The 18-layer video ResNets of "A Closer Look at Spatiotemporal Convolutions for Action Recognition" as torchvision
builds them: R3D (3x3x3 convolutions throughout), MC3 (3x3x3 in the first stage, 1x3x3 after) and R(2+1)D (each 3x3x3
convolution factored into a spatial 1x3x3 and a temporal 3x1x1 one)."""
from typing import Optional

from .... import nn
from .._api import WeightsEnum, register_model
from .._utils import _legacy_weights, _load_weights, _verify_weights
from ._utils import _documented, _resnet_weights

__all__ = ["VideoResNet", "R3D_18_Weights", "MC3_18_Weights", "R2Plus1D_18_Weights", "r3d_18", "mc3_18",
           "r2plus1d_18"]


class Conv3DSimple(nn.Conv3d):
    """3x3x3 convolution without bias, padded to keep the size at stride 1 (``midplanes`` unused)."""

    def __init__(self, in_planes, out_planes, midplanes=None, stride=1, padding=1):
        super().__init__(in_channels=in_planes, out_channels=out_planes, kernel_size=(3, 3, 3), stride=stride,
                         padding=padding, bias=False)

    @staticmethod
    def get_downsample_stride(stride):
        return stride, stride, stride


class Conv2Plus1D(nn.Sequential):
    """A 3x3x3 convolution factored: 1x3x3 (spatial, to ``midplanes``), batch norm, ReLU, then 3x1x1 (temporal),
    neither with bias."""

    def __init__(self, in_planes, out_planes, midplanes, stride=1, padding=1):
        super().__init__(
            nn.Conv3d(in_planes, midplanes, kernel_size=(1, 3, 3), stride=(1, stride, stride),
                      padding=(0, padding, padding), bias=False),
            nn.BatchNorm3d(midplanes),
            nn.ReLU(inplace=True),
            nn.Conv3d(midplanes, out_planes, kernel_size=(3, 1, 1), stride=(stride, 1, 1), padding=(padding, 0, 0),
                      bias=False),
        )

    @staticmethod
    def get_downsample_stride(stride):
        return stride, stride, stride


class Conv3DNoTemporal(nn.Conv3d):
    """1x3x3 convolution without bias: spatial only, striding in space only (``midplanes`` unused)."""

    def __init__(self, in_planes, out_planes, midplanes=None, stride=1, padding=1):
        super().__init__(in_channels=in_planes, out_channels=out_planes, kernel_size=(1, 3, 3),
                         stride=(1, stride, stride), padding=(0, padding, padding), bias=False)

    @staticmethod
    def get_downsample_stride(stride):
        return 1, stride, stride


def _midplanes(inplanes, planes):
    # R(2+1)D's factored convolutions get about the parameters of the 3x3x3 one they replace
    return (inplanes * planes * 3 * 3 * 3) // (inplanes * 3 * 3 + 3 * planes)


class BasicBlock(nn.Module):
    """Two ``conv_builder`` convolutions with batch norm and a shortcut: relu(conv2(conv1(x)) + identity), identity
    being ``downsample(x)`` when given, else x; ``conv1`` ends with a ReLU.

    Args:
        inplanes (int): channels of the input.
        planes (int): channels of the output.
        conv_builder (type): Conv3DSimple, Conv3DNoTemporal or Conv2Plus1D.
        stride (int, optional): stride of ``conv1``. Default: 1.
        downsample (nn.Module, optional): the shortcut's projection. Default: None.
    """

    expansion = 1

    def __init__(self, inplanes, planes, conv_builder, stride=1, downsample=None):
        midplanes = _midplanes(inplanes, planes)

        super().__init__()
        self.conv1 = nn.Sequential(conv_builder(inplanes, planes, midplanes, stride), nn.BatchNorm3d(planes),
                                   nn.ReLU(inplace=True))
        self.conv2 = nn.Sequential(conv_builder(planes, planes, midplanes), nn.BatchNorm3d(planes))
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        residual = x

        out = self.conv1(x)
        out = self.conv2(out)
        if self.downsample is not None:
            residual = self.downsample(x)

        out += residual
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1x1 reduce, ``conv_builder`` (strided), 1x1x1 expand by 4, each with batch norm, and a shortcut:
    relu(conv3(conv2(conv1(x))) + identity), identity being ``downsample(x)`` when given, else x.

    Args:
        inplanes (int): channels of the input.
        planes (int): inner channels (the output has ``4 * planes``).
        conv_builder (type): Conv3DSimple, Conv3DNoTemporal or Conv2Plus1D.
        stride (int, optional): stride of ``conv2``. Default: 1.
        downsample (nn.Module, optional): the shortcut's projection. Default: None.
    """

    expansion = 4

    def __init__(self, inplanes, planes, conv_builder, stride=1, downsample=None):
        super().__init__()
        midplanes = _midplanes(inplanes, planes)

        self.conv1 = nn.Sequential(nn.Conv3d(inplanes, planes, kernel_size=1, bias=False), nn.BatchNorm3d(planes),
                                   nn.ReLU(inplace=True))
        self.conv2 = nn.Sequential(conv_builder(planes, planes, midplanes, stride), nn.BatchNorm3d(planes),
                                   nn.ReLU(inplace=True))
        self.conv3 = nn.Sequential(nn.Conv3d(planes, planes * self.expansion, kernel_size=1, bias=False),
                                   nn.BatchNorm3d(planes * self.expansion))
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        residual = x

        out = self.conv1(x)
        out = self.conv2(out)
        out = self.conv3(out)

        if self.downsample is not None:
            residual = self.downsample(x)

        out += residual
        return self.relu(out)


class BasicStem(nn.Sequential):
    """The default conv-batchnorm-relu stem: 3x7x7 convolution to 64 channels, striding (1, 2, 2)."""

    def __init__(self):
        super().__init__(
            nn.Conv3d(3, 64, kernel_size=(3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False),
            nn.BatchNorm3d(64),
            nn.ReLU(inplace=True),
        )


class R2Plus1dStem(nn.Sequential):
    """R(2+1)D's stem: the 3x7x7 convolution factored into 1x7x7 (to 45 channels) and 3x1x1 (to 64), each followed
    by batch norm and ReLU."""

    def __init__(self):
        super().__init__(
            nn.Conv3d(3, 45, kernel_size=(1, 7, 7), stride=(1, 2, 2), padding=(0, 3, 3), bias=False),
            nn.BatchNorm3d(45),
            nn.ReLU(inplace=True),
            nn.Conv3d(45, 64, kernel_size=(3, 1, 1), stride=(1, 1, 1), padding=(1, 0, 0), bias=False),
            nn.BatchNorm3d(64),
            nn.ReLU(inplace=True),
        )


class VideoResNet(nn.Module):
    """torchvision's generic video ResNet: ``stem``, four stages of ``block`` (64, 128, 256 and 512 planes, the last
    three striding 2 in time and space, or in space only for Conv3DNoTemporal), global average pooling and a linear
    classifier.

    Args:
        block (type): BasicBlock or Bottleneck.
        conv_makers (sequence of type): the convolution of each stage's blocks (Conv3DSimple, Conv3DNoTemporal or
            Conv2Plus1D).
        layers (list of int): number of blocks per stage.
        stem (callable): builds the stem (BasicStem or R2Plus1dStem).
        num_classes (int, optional): outputs of the final linear layer. Default: 400.
        zero_init_residual (bool, optional): zero the last batch-norm scale of each Bottleneck. Default: False.

    Shape:
        - Input: (N, 3, T, H, W)
        - Output: (N, num_classes)
    """

    def __init__(self, block, conv_makers, layers, stem, num_classes=400, zero_init_residual=False):
        super().__init__()
        self.inplanes = 64

        self.stem = stem()

        self.layer1 = self._make_layer(block, conv_makers[0], 64, layers[0], stride=1)
        self.layer2 = self._make_layer(block, conv_makers[1], 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, conv_makers[2], 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, conv_makers[3], 512, layers[3], stride=2)

        self.avgpool = nn.AdaptiveAvgPool3d((1, 1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.constant_(m.bias, 0)

        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    # (as in torchvision, whose Bottleneck has no bn3: an AttributeError)
                    nn.init.constant_(m.bn3.weight, 0)

    def forward(self, x):
        x = self.stem(x)

        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)

        x = self.avgpool(x)
        x = x.flatten(1)
        return self.fc(x)

    def _make_layer(self, block, conv_builder, planes, blocks, stride=1):
        downsample = None

        if stride != 1 or self.inplanes != planes * block.expansion:
            ds_stride = conv_builder.get_downsample_stride(stride)
            downsample = nn.Sequential(
                nn.Conv3d(self.inplanes, planes * block.expansion, kernel_size=1, stride=ds_stride, bias=False),
                nn.BatchNorm3d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, conv_builder, stride, downsample)]

        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, conv_builder))

        return nn.Sequential(*layers)


class R3D_18_Weights(WeightsEnum):
    KINETICS400_V1 = _resnet_weights("r3d_18-b3b3357e.pth", 33371472, 63.200, 83.479, 40.697, 127.359)
    DEFAULT = KINETICS400_V1


class MC3_18_Weights(WeightsEnum):
    KINETICS400_V1 = _resnet_weights("mc3_18-a90a0ba3.pth", 11695440, 63.960, 84.130, 43.343, 44.672)
    DEFAULT = KINETICS400_V1


class R2Plus1D_18_Weights(WeightsEnum):
    KINETICS400_V1 = _resnet_weights("r2plus1d_18-91a641e6.pth", 31505325, 67.463, 86.175, 40.519, 120.318)
    DEFAULT = KINETICS400_V1


def _video_resnet(conv_makers, stem, weights_enum, weights, progress, kwargs):
    """An 18-layer VideoResNet (BasicBlock x [2, 2, 2, 2]) with ``weights`` loaded; ``num_classes`` fixed to
    theirs."""
    weights = _verify_weights(weights_enum, weights, kwargs)
    return _load_weights(VideoResNet(BasicBlock, conv_makers, [2, 2, 2, 2], stem, **kwargs), weights, progress)


_PAPER = "`A Closer Look at Spatiotemporal Convolutions for Action Recognition <https://arxiv.org/abs/1711.11248>`__"
_ARGUMENTS = "``num_classes``, ``zero_init_residual``"


@register_model()
@_legacy_weights(weights=("pretrained", R3D_18_Weights.KINETICS400_V1))
@_documented(f"18-layer ResNet3D (R3D-18) of {_PAPER}: 3x3x3 convolutions throughout.", R3D_18_Weights,
             "VideoResNet", _ARGUMENTS)
def r3d_18(*, weights: Optional[R3D_18_Weights] = None, progress=True, **kwargs):
    return _video_resnet([Conv3DSimple] * 4, BasicStem, R3D_18_Weights, weights, progress, kwargs)


@register_model()
@_legacy_weights(weights=("pretrained", MC3_18_Weights.KINETICS400_V1))
@_documented(f"18-layer Mixed Convolution network (MC3-18) of {_PAPER}: 3x3x3 convolutions in the first stage, "
             "spatial 1x3x3 ones after.", MC3_18_Weights, "VideoResNet", _ARGUMENTS)
def mc3_18(*, weights: Optional[MC3_18_Weights] = None, progress=True, **kwargs):
    return _video_resnet([Conv3DSimple] + [Conv3DNoTemporal] * 3, BasicStem, MC3_18_Weights, weights, progress,
                         kwargs)


@register_model()
@_legacy_weights(weights=("pretrained", R2Plus1D_18_Weights.KINETICS400_V1))
@_documented(f"18-layer R(2+1)D network of {_PAPER}: each 3x3x3 convolution factored into a spatial 1x3x3 and a "
             "temporal 3x1x1 one.", R2Plus1D_18_Weights, "VideoResNet", _ARGUMENTS)
def r2plus1d_18(*, weights: Optional[R2Plus1D_18_Weights] = None, progress=True, **kwargs):
    return _video_resnet([Conv2Plus1D] * 4, R2Plus1dStem, R2Plus1D_18_Weights, weights, progress, kwargs)
