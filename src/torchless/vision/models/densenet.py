"""DenseNet-BC ("Densely Connected Convolutional Networks")."""
import re
from collections import OrderedDict
from typing import Optional

from ... import Tensor, cat, flatten, nn
from ...nn import functional as F
from ._api import register_model
from ._utils import _load_weights, _verify_weights
from ._weights import weights_enum

__all__ = ["DenseNet", "DenseNet121_Weights", "DenseNet161_Weights", "DenseNet169_Weights", "DenseNet201_Weights",
           "densenet121", "densenet161", "densenet169", "densenet201", "rename_legacy_keys"]


class _DenseLayer(nn.Module):
    """BN-ReLU-1x1 conv to ``bn_size * growth_rate`` channels, then BN-ReLU-3x3 conv to ``growth_rate`` channels,
    applied to the concatenation of all the block's previous feature maps.

    Shape:
        - Input: a tensor (N, num_input_features, H, W), or a list of tensors whose channels add up to it
        - Output: (N, growth_rate, H, W)
    """

    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate, memory_efficient=False):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1, stride=1, bias=False)

        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1, padding=1, bias=False)

        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient

    def bn_function(self, inputs):
        concated_features = cat(inputs, 1)
        return self.conv1(self.relu1(self.norm1(concated_features)))

    def forward(self, input):
        prev_features = [input] if isinstance(input, Tensor) else input
        # memory_efficient selects gradient checkpointing in torchvision; torchless has none, and the values are
        # the same either way, so the bottleneck is always computed directly.
        bottleneck_output = self.bn_function(prev_features)
        new_features = self.conv2(self.relu2(self.norm2(bottleneck_output)))
        if self.drop_rate > 0:
            new_features = F.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features


class _DenseBlock(nn.ModuleDict):
    """``num_layers`` dense layers ("denselayer1", ...), each fed every earlier output; returns them all
    concatenated after the input, in order.

    Shape:
        - Input: (N, num_input_features, H, W)
        - Output: (N, num_input_features + num_layers * growth_rate, H, W)
    """

    _version = 2

    def __init__(self, num_layers, num_input_features, bn_size, growth_rate, drop_rate, memory_efficient=False):
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(num_input_features + i * growth_rate, growth_rate=growth_rate, bn_size=bn_size,
                                drop_rate=drop_rate, memory_efficient=memory_efficient)
            self.add_module("denselayer%d" % (i + 1), layer)

    def forward(self, init_features):
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return cat(features, 1)


class _Transition(nn.Sequential):
    """BN-ReLU-1x1 conv to ``num_output_features`` channels, then a 2x2 average pool of stride 2.

    Shape:
        - Input: (N, num_input_features, H, W)
        - Output: (N, num_output_features, floor(H / 2), floor(W / 2))
    """

    def __init__(self, num_input_features, num_output_features):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """Densenet-BC model class, from `Densely Connected Convolutional Networks <https://arxiv.org/abs/1608.06993>`__.

    ``features`` holds conv0/norm0/relu0/pool0, the dense blocks with halving transitions between them, and norm5;
    the forward pass ends with ReLU, global average pooling and the Linear ``classifier``.

    Args:
        growth_rate (int, optional): channels each layer adds (``k`` in the paper). Default: 32.
        block_config (tuple of 4 ints, optional): layers per dense block. Default: (6, 12, 24, 16).
        num_init_features (int, optional): channels of the first convolution. Default: 64.
        bn_size (int, optional): bottleneck width factor (``bn_size * k`` channels). Default: 4.
        drop_rate (float, optional): dropout after each dense layer. Default: 0.
        num_classes (int, optional): Default: 1000.
        memory_efficient (bool, optional): accepted for compatibility; torchvision then checkpoints each bottleneck
            to save memory, torchless always computes it directly (same values). Default: False.

    Convolutions are initialised kaiming-normal (fan_in), batch norms with weight 1 and bias 0, the classifier's
    bias with 0 (its weight keeps PyTorch's default Linear initialisation).

    Shape:
        - Input: (N, 3, H, W), H and W at least 29 (224 for ImageNet)
        - Output: (N, num_classes)
    """

    def __init__(self, growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64, bn_size=4, drop_rate=0,
                 num_classes=1000, memory_efficient=False):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))

        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(num_layers=num_layers, num_input_features=num_features, bn_size=bn_size,
                                growth_rate=growth_rate, drop_rate=drop_rate, memory_efficient=memory_efficient)
            self.features.add_module("denseblock%d" % (i + 1), block)
            num_features = num_features + num_layers * growth_rate
            if i != len(block_config) - 1:
                trans = _Transition(num_input_features=num_features, num_output_features=num_features // 2)
                self.features.add_module("transition%d" % (i + 1), trans)
                num_features = num_features // 2

        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        features = self.features(x)
        out = F.relu(features, inplace=True)
        out = F.adaptive_avg_pool2d(out, (1, 1))
        out = flatten(out, 1)
        return self.classifier(out)


# torchvision's published DenseNet checkpoints predate the ban on "." in module names: their dense layers' keys
# read "norm.1", "conv.2", ... where the modules are now norm1, conv2.
_LEGACY_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$"
)


def rename_legacy_keys(state_dict):
    """``state_dict`` with the old dense-layer key names ("...denselayer1.norm.1.weight") renamed to the current
    ones ("...denselayer1.norm1.weight"), as torchvision does when it loads its own DenseNet checkpoints; other keys
    are kept, in order."""
    renamed = OrderedDict()
    for key, value in state_dict.items():
        match = _LEGACY_KEY.match(key)
        renamed[match.group(1) + match.group(2) if match else key] = value
    return renamed


DenseNet121_Weights = weights_enum("DenseNet121_Weights", __name__)
DenseNet161_Weights = weights_enum("DenseNet161_Weights", __name__)
DenseNet169_Weights = weights_enum("DenseNet169_Weights", __name__)
DenseNet201_Weights = weights_enum("DenseNet201_Weights", __name__)


def _densenet(weights_enum, growth_rate, block_config, num_init_features, weights, progress, kwargs):
    weights = _verify_weights(weights_enum, weights, kwargs)
    model = DenseNet(growth_rate, block_config, num_init_features, **kwargs)
    return _load_weights(model, weights, progress, convert=rename_legacy_keys)


_BUILDER_DOC = """Densenet-{depth} model from `Densely Connected Convolutional Networks
    <https://arxiv.org/abs/1608.06993>`__: growth rate {growth}, blocks of {blocks} layers, {init} initial features.

    Args:
        weights (:class:`~torchless.vision.models.DenseNet{depth}_Weights`, optional): The pretrained weights to use.
            See :class:`~torchless.vision.models.DenseNet{depth}_Weights` for more details, and possible values. By
            default, no pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`DenseNet` (``num_classes``, ``drop_rate``, ``memory_efficient``, ...).
    """


@register_model()
def densenet121(weights: Optional[DenseNet121_Weights] = None, progress=True, **kwargs):
    return _densenet(DenseNet121_Weights, 32, (6, 12, 24, 16), 64, weights, progress, kwargs)


@register_model()
def densenet161(weights: Optional[DenseNet161_Weights] = None, progress=True, **kwargs):
    return _densenet(DenseNet161_Weights, 48, (6, 12, 36, 24), 96, weights, progress, kwargs)


@register_model()
def densenet169(weights: Optional[DenseNet169_Weights] = None, progress=True, **kwargs):
    return _densenet(DenseNet169_Weights, 32, (6, 12, 32, 32), 64, weights, progress, kwargs)


@register_model()
def densenet201(weights: Optional[DenseNet201_Weights] = None, progress=True, **kwargs):
    return _densenet(DenseNet201_Weights, 32, (6, 12, 48, 32), 64, weights, progress, kwargs)


for _builder, _depth, _growth, _blocks, _init in ((densenet121, 121, 32, (6, 12, 24, 16), 64),
                                                  (densenet161, 161, 48, (6, 12, 36, 24), 96),
                                                  (densenet169, 169, 32, (6, 12, 32, 32), 64),
                                                  (densenet201, 201, 32, (6, 12, 48, 32), 64)):
    _builder.__doc__ = _BUILDER_DOC.format(depth=_depth, growth=_growth, blocks=_blocks, init=_init)
del _builder, _depth, _growth, _blocks, _init
