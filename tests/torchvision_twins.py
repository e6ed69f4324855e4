"""Independent PyTorch definitions of torchvision's AlexNet, ResNet, VGG, MobileNetV2, SqueezeNet and DenseNet-121:
the oracle of tests/test_vision_models.py (torchvision itself cannot be installed here).

Written from torchvision's source (torchvision/models/{alexnet,resnet,vgg,mobilenetv2,squeezenet,densenet}.py and
torchvision/ops/misc.py), but laid out differently from torchless's code: each network is spelled out layer by
layer. Class and attribute names, registration order, layer arguments and forward computations are torchvision's,
so that state_dict keys, shapes and reprs can be compared. Weights keep PyTorch's defaults: the tests copy them
into the torchless model, so the initialisation schemes are checked separately.

Imported only after ``pytest.importorskip("torch")``.
"""
from collections import OrderedDict

import torch
from torch import nn


# ---------------------------------------------------------------------------- AlexNet
def _conv_relu(cin, cout, kernel_size, stride, padding):
    return [nn.Conv2d(cin, cout, kernel_size=kernel_size, stride=stride, padding=padding), nn.ReLU(inplace=True)]


class AlexNet(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        pool = lambda: nn.MaxPool2d(kernel_size=3, stride=2)  # noqa: E731
        self.features = nn.Sequential(
            *_conv_relu(3, 64, 11, 4, 2), pool(),
            *_conv_relu(64, 192, 5, 1, 2), pool(),
            *_conv_relu(192, 384, 3, 1, 1), *_conv_relu(384, 256, 3, 1, 1), *_conv_relu(256, 256, 3, 1, 1), pool(),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


# ---------------------------------------------------------------------------- ResNet
class BasicBlock(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = _projection(cin, planes, stride)
        self.stride = stride

    def forward(self, x):
        residual = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        shortcut = x if self.downsample is None else self.downsample(x)
        return torch.relu(residual + shortcut)


class Bottleneck(nn.Module):
    def __init__(self, cin, planes, stride, groups=1, width_per_group=64):
        super().__init__()
        width = int(planes * width_per_group / 64) * groups
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, groups=groups, bias=False)  # v1.5: stride here
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _projection(cin, planes * 4, stride)
        self.stride = stride

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        shortcut = x if self.downsample is None else self.downsample(x)
        return torch.relu(y + shortcut)


def _projection(cin, cout, stride):
    if stride == 1 and cin == cout:
        return None
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


class ResNet(nn.Module):
    def __init__(self, bottleneck, depths, num_classes=1000, **block_options):
        super().__init__()
        expansion = 4 if bottleneck else 1
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = 64
        for stage, (planes, depth) in enumerate(zip((64, 128, 256, 512), depths)):
            blocks = []
            for i in range(depth):
                stride = 2 if stage > 0 and i == 0 else 1
                if bottleneck:
                    blocks.append(Bottleneck(cin, planes, stride, **block_options))
                else:
                    blocks.append(BasicBlock(cin, planes, stride))
                cin = planes * expansion
            setattr(self, f"layer{stage + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * expansion, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def resnet18(num_classes=1000):
    return ResNet(False, (2, 2, 2, 2), num_classes)


def resnext50_32x4d(num_classes=1000):
    return ResNet(True, (3, 4, 6, 3), num_classes, groups=32, width_per_group=4)


# ---------------------------------------------------------------------------- VGG
class VGG(nn.Module):
    def __init__(self, cfg, batch_norm, num_classes=1000):
        super().__init__()
        layers, cin = [], 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
                continue
            layers.append(nn.Conv2d(cin, v, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU(inplace=True))
            cin = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=0.5),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=0.5),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def vgg11_bn(num_classes=1000):
    return VGG([64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"], True, num_classes)


# ---------------------------------------------------------------------------- MobileNetV2
class Conv2dNormActivation(nn.Sequential):
    def __init__(self, cin, cout, kernel_size=3, stride=1, groups=1):
        super().__init__(
            nn.Conv2d(cin, cout, kernel_size, stride, (kernel_size - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU6(inplace=True),
        )
        self.out_channels = cout


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand_ratio):
        super().__init__()
        self.stride = stride
        hidden = int(round(cin * expand_ratio))
        self.use_res_connect = stride == 1 and cin == cout
        expand = [Conv2dNormActivation(cin, hidden, kernel_size=1)] if expand_ratio != 1 else []
        self.conv = nn.Sequential(
            *expand,
            Conv2dNormActivation(hidden, hidden, stride=stride, groups=hidden),  # depthwise
            nn.Conv2d(hidden, cout, 1, 1, 0, bias=False),  # linear bottleneck: no activation
            nn.BatchNorm2d(cout),
        )
        self.out_channels = cout
        self._is_cn = stride > 1

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    # (expansion t, channels c, repeats n, first stride s): the paper's Table 2, channels already multiples of 8
    SETTING = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
               (6, 320, 1, 1)]

    def __init__(self, num_classes=1000):
        super().__init__()
        blocks, cin = [Conv2dNormActivation(3, 32, stride=2)], 32
        for t, c, n, s in self.SETTING:
            for i in range(n):
                blocks.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        blocks.append(Conv2dNormActivation(cin, 1280, kernel_size=1))
        self.last_channel = 1280
        self.features = nn.Sequential(*blocks)
        self.classifier = nn.Sequential(nn.Dropout(p=0.2), nn.Linear(1280, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x).mean(dim=(2, 3)))


# ---------------------------------------------------------------------------- SqueezeNet
class Fire(nn.Module):
    def __init__(self, inplanes, squeeze, expand1x1, expand3x3):
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze, expand1x1, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze, expand3x3, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        s = torch.relu(self.squeeze(x))
        return torch.cat([torch.relu(self.expand1x1(s)), torch.relu(self.expand3x3(s))], dim=1)


class SqueezeNet(nn.Module):
    def __init__(self, version, num_classes=1000):
        super().__init__()
        self.num_classes = num_classes
        pool = lambda: nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)  # noqa: E731
        if version == "1_0":
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=7, stride=2), nn.ReLU(inplace=True), pool(),
                Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128), pool(),
                Fire(256, 32, 128, 128), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256),
                pool(),
                Fire(512, 64, 256, 256),
            )
        else:  # 1_1: a cheaper stem and earlier pooling
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=3, stride=2), nn.ReLU(inplace=True), pool(),
                Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), pool(),
                Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), pool(),
                Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), Fire(512, 64, 256, 256),
            )
        self.classifier = nn.Sequential(
            nn.Dropout(p=0.5), nn.Conv2d(512, num_classes, kernel_size=1), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d((1, 1)),
        )

    def forward(self, x):
        return self.classifier(self.features(x)).flatten(1)


def squeezenet1_0(num_classes=1000):
    return SqueezeNet("1_0", num_classes)


def squeezenet1_1(num_classes=1000):
    return SqueezeNet("1_1", num_classes)


# ---------------------------------------------------------------------------- DenseNet-121
class _DenseLayer(nn.Module):
    def __init__(self, cin, growth, bn_size):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(cin)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(cin, bn_size * growth, kernel_size=1, stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth, growth, kernel_size=3, stride=1, padding=1, bias=False)

    def forward(self, x):
        return self.conv2(torch.relu(self.norm2(self.conv1(torch.relu(self.norm1(x))))))


class _DenseBlock(nn.Module):
    def __init__(self, n, cin, growth, bn_size):
        super().__init__()
        for i in range(n):
            self.add_module(f"denselayer{i + 1}", _DenseLayer(cin + i * growth, growth, bn_size))

    def forward(self, x):
        # each layer reads the input and every earlier output, concatenated in that order
        for layer in self.children():
            x = torch.cat([x, layer(x)], 1)
        return x


class _Transition(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(OrderedDict([
            ("norm", nn.BatchNorm2d(cin)),
            ("relu", nn.ReLU(inplace=True)),
            ("conv", nn.Conv2d(cin, cout, kernel_size=1, stride=1, bias=False)),
            ("pool", nn.AvgPool2d(kernel_size=2, stride=2)),
        ]))


class DenseNet(nn.Module):
    def __init__(self, growth=32, blocks=(6, 12, 24, 16), init_features=64, bn_size=4, num_classes=1000):
        super().__init__()
        stages = [
            ("conv0", nn.Conv2d(3, init_features, kernel_size=7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]
        channels = init_features
        for i, n in enumerate(blocks):
            stages.append((f"denseblock{i + 1}", _DenseBlock(n, channels, growth, bn_size)))
            channels += n * growth
            if i < len(blocks) - 1:
                stages.append((f"transition{i + 1}", _Transition(channels, channels // 2)))
                channels //= 2
        stages.append(("norm5", nn.BatchNorm2d(channels)))
        self.features = nn.Sequential(OrderedDict(stages))
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x):
        return self.classifier(torch.relu(self.features(x)).mean(dim=(2, 3)))


def densenet121(num_classes=1000):
    return DenseNet(num_classes=num_classes)
