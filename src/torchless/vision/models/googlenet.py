"""GoogLeNet, Inception v1 ("Going Deeper with Convolutions"), with torchvision's module tree and state_dict keys."""
import warnings
from collections import namedtuple
from typing import Optional

from ... import cat, flatten, nn, unsqueeze
from ...nn import functional as F
from ._api import register_model
from ._utils import _load_weights, _ovewrite_named_param
from ._weights import weights_enum

__all__ = ["GoogLeNet", "GoogLeNetOutputs", "_GoogLeNetOutputs", "GoogLeNet_Weights", "googlenet"]

# what a training-mode GoogLeNet with auxiliary heads returns (the second head comes first, as in torchvision)
GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])
_GoogLeNetOutputs = GoogLeNetOutputs  # torchvision's older name


class BasicConv2d(nn.Module):
    """Convolution without bias, batch norm (eps 0.001), ReLU; ``kwargs`` go to the convolution."""

    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)), inplace=True)


class Inception(nn.Module):
    """Four parallel branches concatenated along channels: a 1x1 convolution; 1x1 then 3x3; 1x1 then another 3x3
    (the paper has 5x5 there; torchvision's weights were trained with 3x3, and so it stays); and a 3x3/1 max pool
    then a 1x1 projection.

    Shape:
        - Input: (N, in_channels, H, W)
        - Output: (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W)
    """

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj, conv_block=None):
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.branch1 = conv_block(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(conv_block(in_channels, ch3x3red, kernel_size=1),
                                     conv_block(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(conv_block(in_channels, ch5x5red, kernel_size=1),
                                     conv_block(ch5x5red, ch5x5, kernel_size=3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
                                     conv_block(in_channels, pool_proj, kernel_size=1))

    def _forward(self, x):
        return [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]

    def forward(self, x):
        return cat(self._forward(x), 1)


class InceptionAux(nn.Module):
    """An auxiliary classifier on an intermediate feature map: 4x4 adaptive average pool, 1x1 convolution to 128
    channels, then Linear(2048, 1024), ReLU, dropout and Linear(1024, num_classes)."""

    def __init__(self, in_channels, num_classes, conv_block=None, dropout=0.7):
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.conv = conv_block(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x):
        x = flatten(self.conv(F.adaptive_avg_pool2d(x, (4, 4))), 1)
        return self.fc2(self.dropout(F.relu(self.fc1(x), inplace=True)))


class GoogLeNet(nn.Module):
    """GoogLeNet (Inception v1) from `Going Deeper with Convolutions <https://arxiv.org/abs/1409.4842>`__.

    A stem of convolutions and ceil-mode max pools, nine Inception blocks (3a-3b, 4a-4e, 5a-5b) with max pools
    between the stages, global average pooling, dropout and the Linear ``fc``. In training mode with
    ``aux_logits``, two auxiliary classifiers read the outputs of 4a (``aux1``) and 4d (``aux2``) and the forward
    returns :data:`GoogLeNetOutputs` ``(logits, aux_logits2, aux_logits1)``; otherwise the logits alone.

    Args:
        num_classes (int, optional): Default: 1000.
        aux_logits (bool, optional): build the auxiliary classifiers. Default: True.
        transform_input (bool, optional): map inputs normalised with ImageNet's mean and std to the [-1, 1]
            scaling the ported weights expect. Default: False.
        init_weights (bool, optional): truncated-normal initialisation (std 0.01 within two std) of convolutions
            and linear layers, unit/zero batch norms; None does it too, with torchvision's FutureWarning.
        blocks (list of 3 classes, optional): replacements for BasicConv2d, Inception and InceptionAux.
        dropout (float, optional): before ``fc``. Default: 0.2.
        dropout_aux (float, optional): in the auxiliary classifiers. Default: 0.7.

    Shape:
        - Input: (N, 3, H, W), H and W at least 15 (224 for ImageNet)
        - Output: (N, num_classes)
    """

    __constants__ = ["aux_logits", "transform_input"]

    def __init__(self, num_classes=1000, aux_logits=True, transform_input=False, init_weights=None, blocks=None,
                 dropout=0.2, dropout_aux=0.7):
        super().__init__()
        if blocks is None:
            blocks = [BasicConv2d, Inception, InceptionAux]
        if init_weights is None:
            warnings.warn("The default weight initialization of GoogleNet will be changed in future releases of "
                          "torchvision. If you wish to keep the old behavior (which leads to long initialization "
                          "times due to scipy/scipy#11299), please set init_weights=True.", FutureWarning)
            init_weights = True
        if len(blocks) != 3:
            raise ValueError(f"blocks length should be 3 instead of {len(blocks)}")
        conv_block, inception_block, inception_aux_block = blocks

        self.aux_logits = aux_logits
        self.transform_input = transform_input

        self.conv1 = conv_block(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = conv_block(64, 64, kernel_size=1)
        self.conv3 = conv_block(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        # (in, 1x1, 3x3 reduce, 3x3, "5x5" reduce, "5x5", pool projection) of each block
        self.inception3a = inception_block(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = inception_block(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception4a = inception_block(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = inception_block(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = inception_block(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = inception_block(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = inception_block(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)

        self.inception5a = inception_block(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = inception_block(832, 384, 192, 384, 48, 128, 128)

        if aux_logits:
            self.aux1 = inception_aux_block(512, num_classes, dropout=dropout_aux)
            self.aux2 = inception_aux_block(528, num_classes, dropout=dropout_aux)
        else:
            self.aux1 = None
            self.aux2 = None

        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)

        if init_weights:
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

    def _transform_input(self, x):
        if not self.transform_input:
            return x
        # undo ImageNet's per-channel standardisation, then scale [0, 1] to [-1, 1]
        channels = [unsqueeze(x[:, c], 1) * (std / 0.5) + (mean - 0.5) / 0.5
                    for c, (mean, std) in enumerate(((0.485, 0.229), (0.456, 0.224), (0.406, 0.225)))]
        return cat(channels, 1)

    def _forward(self, x):
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.maxpool4(self.inception4e(x))
        x = self.avgpool(self.inception5b(self.inception5a(x)))
        x = self.fc(self.dropout(flatten(x, 1)))
        return x, aux2, aux1

    def eager_outputs(self, x, aux2, aux1):
        if self.training and self.aux_logits:
            return _GoogLeNetOutputs(x, aux2, aux1)
        return x

    def forward(self, x):
        x, aux2, aux1 = self._forward(self._transform_input(x))
        return self.eager_outputs(x, aux2, aux1)


GoogLeNet_Weights = weights_enum("GoogLeNet_Weights", __name__)


def _checkpoint_arguments(kwargs, weights):
    """The builder arguments a checkpoint of ``weights`` needs (GoogLeNet's and Inception v3's alike): its inputs
    rescaled unless asked otherwise, the auxiliary classifiers it holds, no random initialisation, its classes."""
    if "transform_input" not in kwargs:
        _ovewrite_named_param(kwargs, "transform_input", True)
    _ovewrite_named_param(kwargs, "aux_logits", True)
    _ovewrite_named_param(kwargs, "init_weights", False)
    _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))


@register_model()
def googlenet(weights: Optional[GoogLeNet_Weights] = None, progress=True, **kwargs):
    """GoogLeNet (Inception v1) model architecture from `Going Deeper with Convolutions
    <http://arxiv.org/abs/1409.4842>`__.

    With weights, the model is built with ``transform_input=True`` (unless given) and without the random
    initialisation; the auxiliary classifiers, which the checkpoint does not train, are dropped unless
    ``aux_logits=True`` is asked for (then with a warning).

    Args:
        weights (:class:`~torchless.vision.models.GoogLeNet_Weights`, optional): The pretrained weights to use. See
            :class:`~torchless.vision.models.GoogLeNet_Weights` for more details, and possible values. By default,
            no pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`GoogLeNet` (``num_classes``, ``aux_logits``, ``init_weights``, ...).
    """
    weights = GoogLeNet_Weights.verify(weights)
    original_aux_logits = kwargs.get("aux_logits", False)
    if weights is not None:
        _checkpoint_arguments(kwargs, weights)
    model = _load_weights(GoogLeNet(**kwargs), weights, progress)
    if weights is not None:
        if not original_aux_logits:
            model.aux_logits = False
            model.aux1 = None
            model.aux2 = None
        else:
            warnings.warn("auxiliary heads in the pretrained googlenet model are NOT pretrained, so make sure to "
                          "train them")
    return model
