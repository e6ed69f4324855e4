"""ResNet ("Deep Residual Learning for Image Recognition"), ResNeXt and Wide ResNet, as torchvision builds them
(ResNet v1.5: a Bottleneck strides in its 3x3 convolution)."""
from typing import Optional

from ... import flatten, nn
from ._api import _get_enum_from_fn, register_model
from ._utils import _load_weights, _ovewrite_named_param, _verify_weights
from ._weights import weights_enum

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "conv1x1", "conv3x3", "ResNet18_Weights", "ResNet34_Weights",
           "ResNet50_Weights", "ResNet101_Weights", "ResNet152_Weights", "ResNeXt50_32X4D_Weights",
           "ResNeXt101_32X8D_Weights", "ResNeXt101_64X4D_Weights", "Wide_ResNet50_2_Weights",
           "Wide_ResNet101_2_Weights", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
           "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2"]


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    """3x3 convolution without bias, padded to keep the size at stride 1."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, groups=groups,
                     bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    """1x1 convolution without bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a shortcut: relu(bn2(conv2(relu(bn1(conv1(x))))) + identity),
    where identity is ``downsample(x)`` when given, else x.

    Shape:
        - Input: (N, inplanes, H, W)
        - Output: (N, planes, H_out, W_out), H_out = ceil(H / stride)
    """

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        # conv1 and downsample both stride, so that the two branches keep the same size
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x

        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)

        out = self.conv2(out)
        out = self.bn2(out)

        if self.downsample is not None:
            identity = self.downsample(x)

        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (grouped, strided), 1x1 expand by 4, each with batch norm, and a shortcut:
    relu(bn3(conv3(...)) + identity), identity being ``downsample(x)`` when given, else x.

    The inner width is ``int(planes * base_width / 64) * groups`` (ResNeXt and Wide ResNet widen it).

    Shape:
        - Input: (N, inplanes, H, W)
        - Output: (N, planes * 4, H_out, W_out), H_out = ceil(H / stride)
    """

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        # conv2 and downsample both stride, so that the two branches keep the same size
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x

        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)

        out = self.conv2(out)
        out = self.bn2(out)
        out = self.relu(out)

        out = self.conv3(out)
        out = self.bn3(out)

        if self.downsample is not None:
            identity = self.downsample(x)

        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    """ResNet: a 7x7/2 convolution and a 3x3/2 max pool, four stages of residual blocks (``layer1`` to ``layer4``,
    64/128/256/512 planes, the last three halving the size), global average pooling and ``fc``.

    Args:
        block (type): :class:`BasicBlock` or :class:`Bottleneck`.
        layers (list of 4 ints): blocks per stage.
        num_classes (int, optional): Default: 1000.
        zero_init_residual (bool, optional): zero the weight of each block's last batch norm, so that every block
            starts as the identity (https://arxiv.org/abs/1706.02677). Default: False.
        groups (int, optional): groups of the 3x3 convolutions (ResNeXt). Default: 1.
        width_per_group (int, optional): Default: 64.
        replace_stride_with_dilation (list of 3 bools, optional): dilate stages 2-4 instead of striding them.
        norm_layer (callable, optional): Default: BatchNorm2d.

    Convolutions are initialised kaiming-normal (fan_out, ReLU), norm layers with weight 1 and bias 0; ``fc`` keeps
    PyTorch's default Linear initialisation.

    Shape:
        - Input: (N, 3, H, W) (224 x 224 for ImageNet)
        - Output: (N, num_classes)
    """

    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1, width_per_group=64,
                 replace_stride_with_dilation=None, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer

        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None "
                             f"or a 3-element tuple, got {replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        # The shortcut needs a projection wherever the block changes the size or the channel count.
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )

        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, previous_dilation,
                        norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                                dilation=self.dilation, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def _forward_impl(self, x):
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)

        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)

        x = self.avgpool(x)
        x = flatten(x, 1)
        return self.fc(x)

    def forward(self, x):
        return self._forward_impl(x)


ResNet18_Weights = weights_enum("ResNet18_Weights", __name__)
ResNet34_Weights = weights_enum("ResNet34_Weights", __name__)
ResNet50_Weights = weights_enum("ResNet50_Weights", __name__)
ResNet101_Weights = weights_enum("ResNet101_Weights", __name__)
ResNet152_Weights = weights_enum("ResNet152_Weights", __name__)
ResNeXt50_32X4D_Weights = weights_enum("ResNeXt50_32X4D_Weights", __name__)
ResNeXt101_32X8D_Weights = weights_enum("ResNeXt101_32X8D_Weights", __name__)
ResNeXt101_64X4D_Weights = weights_enum("ResNeXt101_64X4D_Weights", __name__)
Wide_ResNet50_2_Weights = weights_enum("Wide_ResNet50_2_Weights", __name__)
Wide_ResNet101_2_Weights = weights_enum("Wide_ResNet101_2_Weights", __name__)


_WEIGHTS_ARGS = """
    Args:
        weights (:class:`~torchless.vision.models.{enum}`, optional): The pretrained weights to use. See
            :class:`~torchless.vision.models.{enum}` for more details, and possible values. By default, no
            pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`ResNet` (``num_classes``, ``zero_init_residual``, ``norm_layer``, ...).
    """


def _documented(summary):
    def decorate(fn):
        fn.__doc__ = summary + "\n" + _WEIGHTS_ARGS.format(enum=_get_enum_from_fn(fn).__name__)
        return fn

    return decorate


def _resnet(block, layers, weights_enum, weights, progress, kwargs, **fixed):
    """The builders' ResNet of ``block`` x ``layers``: ``weights`` checked against ``weights_enum`` (and the
    caller's ``num_classes`` against theirs), then the ``fixed`` arguments of a ResNeXt's grouped or a Wide ResNet's
    wider 3x3 convolutions set (PyTorch's builders refuse a caller's different value), then ``weights`` loaded."""
    weights = _verify_weights(weights_enum, weights, kwargs)
    for name, value in fixed.items():
        _ovewrite_named_param(kwargs, name, value)
    return _load_weights(ResNet(block, layers, **kwargs), weights, progress)


_RESNET_PAPER = "`Deep Residual Learning for Image Recognition <https://arxiv.org/abs/1512.03385>`__"


@register_model()
@_documented(f"ResNet-18 from {_RESNET_PAPER}: BasicBlock x [2, 2, 2, 2].")
def resnet18(weights: Optional[ResNet18_Weights] = None, progress=True, **kwargs):
    return _resnet(BasicBlock, [2, 2, 2, 2], ResNet18_Weights, weights, progress, kwargs)


@register_model()
@_documented(f"ResNet-34 from {_RESNET_PAPER}: BasicBlock x [3, 4, 6, 3].")
def resnet34(weights: Optional[ResNet34_Weights] = None, progress=True, **kwargs):
    return _resnet(BasicBlock, [3, 4, 6, 3], ResNet34_Weights, weights, progress, kwargs)


@register_model()
@_documented(f"ResNet-50 from {_RESNET_PAPER}: Bottleneck x [3, 4, 6, 3].")
def resnet50(weights: Optional[ResNet50_Weights] = None, progress=True, **kwargs):
    return _resnet(Bottleneck, [3, 4, 6, 3], ResNet50_Weights, weights, progress, kwargs)


@register_model()
@_documented(f"ResNet-101 from {_RESNET_PAPER}: Bottleneck x [3, 4, 23, 3].")
def resnet101(weights: Optional[ResNet101_Weights] = None, progress=True, **kwargs):
    return _resnet(Bottleneck, [3, 4, 23, 3], ResNet101_Weights, weights, progress, kwargs)


@register_model()
@_documented(f"ResNet-152 from {_RESNET_PAPER}: Bottleneck x [3, 8, 36, 3].")
def resnet152(weights: Optional[ResNet152_Weights] = None, progress=True, **kwargs):
    return _resnet(Bottleneck, [3, 8, 36, 3], ResNet152_Weights, weights, progress, kwargs)


@register_model()
@_documented("ResNeXt-50 32x4d from `Aggregated Residual Transformation for Deep Neural Networks "
             "<https://arxiv.org/abs/1611.05431>`__: ResNet-50 with 32 groups of width 4 in the 3x3 convolutions.")
def resnext50_32x4d(weights: Optional[ResNeXt50_32X4D_Weights] = None, progress=True, **kwargs):
    return _resnet(Bottleneck, [3, 4, 6, 3], ResNeXt50_32X4D_Weights, weights, progress, kwargs,
                   groups=32, width_per_group=4)


_RESNEXT_PAPER = "`Aggregated Residual Transformation for Deep Neural Networks <https://arxiv.org/abs/1611.05431>`__"


@register_model()
@_documented(f"ResNeXt-101 32x8d from {_RESNEXT_PAPER}: ResNet-101 with 32 groups of width 8 in the 3x3 "
             "convolutions.")
def resnext101_32x8d(weights: Optional[ResNeXt101_32X8D_Weights] = None, progress=True, **kwargs):
    return _resnet(Bottleneck, [3, 4, 23, 3], ResNeXt101_32X8D_Weights, weights, progress, kwargs,
                   groups=32, width_per_group=8)


@register_model()
@_documented(f"ResNeXt-101 64x4d from {_RESNEXT_PAPER}: ResNet-101 with 64 groups of width 4 in the 3x3 "
             "convolutions.")
def resnext101_64x4d(weights: Optional[ResNeXt101_64X4D_Weights] = None, progress=True, **kwargs):
    return _resnet(Bottleneck, [3, 4, 23, 3], ResNeXt101_64X4D_Weights, weights, progress, kwargs,
                   groups=64, width_per_group=4)


@register_model()
@_documented("Wide ResNet-50-2 from `Wide Residual Networks <https://arxiv.org/abs/1605.07146>`__: ResNet-50 with "
             "twice the channels inside each Bottleneck (e.g. 2048-1024-2048 in the last block instead of "
             "2048-512-2048).")
def wide_resnet50_2(weights: Optional[Wide_ResNet50_2_Weights] = None, progress=True, **kwargs):
    return _resnet(Bottleneck, [3, 4, 6, 3], Wide_ResNet50_2_Weights, weights, progress, kwargs, width_per_group=64 * 2)


@register_model()
@_documented("Wide ResNet-101-2 from `Wide Residual Networks <https://arxiv.org/abs/1605.07146>`__: ResNet-101 with "
             "twice the channels inside each Bottleneck.")
def wide_resnet101_2(weights: Optional[Wide_ResNet101_2_Weights] = None, progress=True, **kwargs):
    return _resnet(Bottleneck, [3, 4, 23, 3], Wide_ResNet101_2_Weights, weights, progress, kwargs,
                   width_per_group=64 * 2)
