"""VGG 11/13/16/19, with and without batch normalisation ("Very Deep Convolutional Networks for Large-Scale Image
Recognition")."""
from typing import Optional

from ... import flatten, nn
from ._api import _get_enum_from_fn, register_model
from ._utils import _load_weights, _verify_weights
from ._weights import weights_enum

__all__ = ["VGG", "make_layers", "cfgs", "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights",
           "VGG16_Weights", "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights", "vgg11", "vgg11_bn", "vgg13",
           "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]


class VGG(nn.Module):
    """VGG: the convolutional stack ``features``, a 7x7 adaptive average pool and three Linear layers with dropout.

    Args:
        features (nn.Module): the convolutional part, e.g. ``make_layers(cfgs["D"])``; must give 512 channels.
        num_classes (int, optional): Default: 1000.
        init_weights (bool, optional): torchvision's initialisation: convolutions kaiming-normal (fan_out, ReLU)
            with zero bias, batch norms weight 1 and bias 0, Linear layers N(0, 0.01) with zero bias. Default: True.
        dropout (float, optional): Default: 0.5.

    Shape:
        - Input: (N, 3, H, W), H and W at least 32 (224 for ImageNet)
        - Output: (N, num_classes)
    """

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = flatten(x, 1)
        return self.classifier(x)


def make_layers(cfg, batch_norm=False):
    """The ``features`` Sequential of a configuration: an int is a 3x3 convolution (padding 1) with that many output
    channels, followed by BatchNorm2d if ``batch_norm``, and ReLU; "M" is a 2x2 max pool of stride 2."""
    layers = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            conv2d = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
            if batch_norm:
                layers += [conv2d, nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
            else:
                layers += [conv2d, nn.ReLU(inplace=True)]
            in_channels = v
    return nn.Sequential(*layers)


# The paper's configurations A (11 weight layers), B (13), D (16) and E (19).
cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


VGG11_Weights = weights_enum("VGG11_Weights", __name__)
VGG11_BN_Weights = weights_enum("VGG11_BN_Weights", __name__)
VGG13_Weights = weights_enum("VGG13_Weights", __name__)
VGG13_BN_Weights = weights_enum("VGG13_BN_Weights", __name__)
VGG16_Weights = weights_enum("VGG16_Weights", __name__)
VGG16_BN_Weights = weights_enum("VGG16_BN_Weights", __name__)
VGG19_Weights = weights_enum("VGG19_Weights", __name__)
VGG19_BN_Weights = weights_enum("VGG19_BN_Weights", __name__)


def _vgg(weights_enum, cfg, batch_norm, weights, progress, kwargs):
    weights = _verify_weights(weights_enum, weights, kwargs)
    if weights is not None:
        kwargs["init_weights"] = False  # the weights replace every value: initialising 130M of them is wasted time
    return _load_weights(VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs), weights, progress)


_BUILDER_DOC = """VGG-{depth}{bn_title} from `Very Deep Convolutional Networks for Large-Scale Image Recognition
    <https://arxiv.org/abs/1409.1556>`__ (configuration "{cfg}"{bn_text}).

    Args:
        weights (:class:`~torchless.vision.models.{enum}`, optional): The pretrained weights to use. See
            :class:`~torchless.vision.models.{enum}` for more details, and possible values. By default, no
            pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`VGG` (``num_classes``, ``init_weights``, ``dropout``).
    """


def _documented(depth, cfg, batch_norm):
    def decorate(fn):
        fn.__doc__ = _BUILDER_DOC.format(depth=depth, cfg=cfg, enum=_get_enum_from_fn(fn).__name__,
                                         bn_title="-BN" if batch_norm else "",
                                         bn_text=", with batch normalisation" if batch_norm else "")
        return fn

    return decorate


@register_model()
@_documented(11, "A", False)
def vgg11(weights: Optional[VGG11_Weights] = None, progress=True, **kwargs):
    return _vgg(VGG11_Weights, "A", False, weights, progress, kwargs)


@register_model()
@_documented(11, "A", True)
def vgg11_bn(weights: Optional[VGG11_BN_Weights] = None, progress=True, **kwargs):
    return _vgg(VGG11_BN_Weights, "A", True, weights, progress, kwargs)


@register_model()
@_documented(13, "B", False)
def vgg13(weights: Optional[VGG13_Weights] = None, progress=True, **kwargs):
    return _vgg(VGG13_Weights, "B", False, weights, progress, kwargs)


@register_model()
@_documented(13, "B", True)
def vgg13_bn(weights: Optional[VGG13_BN_Weights] = None, progress=True, **kwargs):
    return _vgg(VGG13_BN_Weights, "B", True, weights, progress, kwargs)


@register_model()
@_documented(16, "D", False)
def vgg16(weights: Optional[VGG16_Weights] = None, progress=True, **kwargs):
    return _vgg(VGG16_Weights, "D", False, weights, progress, kwargs)


@register_model()
@_documented(16, "D", True)
def vgg16_bn(weights: Optional[VGG16_BN_Weights] = None, progress=True, **kwargs):
    return _vgg(VGG16_BN_Weights, "D", True, weights, progress, kwargs)


@register_model()
@_documented(19, "E", False)
def vgg19(weights: Optional[VGG19_Weights] = None, progress=True, **kwargs):
    return _vgg(VGG19_Weights, "E", False, weights, progress, kwargs)


@register_model()
@_documented(19, "E", True)
def vgg19_bn(weights: Optional[VGG19_BN_Weights] = None, progress=True, **kwargs):
    return _vgg(VGG19_BN_Weights, "E", True, weights, progress, kwargs)
