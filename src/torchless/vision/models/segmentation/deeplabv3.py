"""DeepLabV3 ("Rethinking Atrous Convolution for Semantic Image Segmentation") on a dilated ResNet or MobileNetV3,
as torchvision builds it: Atrous Spatial Pyramid Pooling (ASPP) on the backbone's last features."""
from typing import Optional

from .... import cat, nn
from ....nn import functional as F
from .._api import WeightsEnum, register_model
from .._utils import IntermediateLayerGetter, _legacy_weights, _load_weights
from ..mobilenetv3 import MobileNet_V3_Large_Weights, mobilenet_v3_large
from ..resnet import ResNet50_Weights, ResNet101_Weights, resnet50, resnet101
from ._utils import (_coco_voc_weights, _dilated_resnet_model, _documented, _resnet_layers, _SEGMENTATION_MODEL_DOCS,
                     _SimpleSegmentationModel, _verify_segmentation_weights)
from .fcn import FCNHead

__all__ = ["DeepLabV3", "DeepLabV3_ResNet50_Weights", "DeepLabV3_ResNet101_Weights",
           "DeepLabV3_MobileNet_V3_Large_Weights", "deeplabv3_mobilenet_v3_large", "deeplabv3_resnet50",
           "deeplabv3_resnet101"]


class DeepLabV3(_SimpleSegmentationModel):
    __doc__ = """The DeepLabV3 model of `Rethinking Atrous Convolution for Semantic Image Segmentation
    <https://arxiv.org/abs/1706.05587>`_.

    Args:
        {args}

    Shape:
        {shape}
    """.format(**_SEGMENTATION_MODEL_DOCS)


class DeepLabHead(nn.Sequential):
    """:class:`ASPP` to 256 channels, a 3x3 convolution (no bias), batch norm, ReLU and a 1x1 convolution to
    ``num_classes``.

    Args:
        in_channels (int): channels of the features read.
        num_classes (int): output channels.
        atrous_rates (sequence of int, optional): dilations of ASPP's 3x3 branches. Default: (12, 24, 36).
    """

    def __init__(self, in_channels, num_classes, atrous_rates=(12, 24, 36)):
        super().__init__(
            ASPP(in_channels, atrous_rates),
            nn.Conv2d(256, 256, 3, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(),
            nn.Conv2d(256, num_classes, 1),
        )


class ASPPConv(nn.Sequential):
    """A 3x3 convolution dilated by ``dilation`` (padded to keep the size, no bias), batch norm and ReLU."""

    def __init__(self, in_channels, out_channels, dilation):
        modules = [
            nn.Conv2d(in_channels, out_channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        ]
        super().__init__(*modules)


class ASPPPooling(nn.Sequential):
    """The image-level branch of ASPP: global average pooling, a 1x1 convolution (no bias), batch norm and ReLU,
    spread back (bilinearly) over the input's height and width."""

    def __init__(self, in_channels, out_channels):
        super().__init__(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )

    def forward(self, x):
        size = x.shape[-2:]
        for mod in self:
            x = mod(x)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    """Atrous Spatial Pyramid Pooling: parallel branches -- a 1x1 convolution, one :class:`ASPPConv` per rate of
    ``atrous_rates`` and :class:`ASPPPooling`, each to ``out_channels`` -- concatenated, then projected back to
    ``out_channels`` by a 1x1 convolution, batch norm, ReLU and dropout (p=0.5).

    Args:
        in_channels (int): channels of the input.
        atrous_rates (sequence of int): the dilations of the 3x3 branches.
        out_channels (int, optional): Default: 256.
    """

    def __init__(self, in_channels, atrous_rates, out_channels=256):
        super().__init__()
        modules = [nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels),
                                 nn.ReLU())]
        modules.extend(ASPPConv(in_channels, out_channels, rate) for rate in tuple(atrous_rates))
        modules.append(ASPPPooling(in_channels, out_channels))
        self.convs = nn.ModuleList(modules)

        self.project = nn.Sequential(
            nn.Conv2d(len(self.convs) * out_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.Dropout(0.5),
        )

    def forward(self, x):
        return self.project(cat([conv(x) for conv in self.convs], dim=1))


def _deeplabv3_resnet(backbone, num_classes, aux):
    """DeepLabV3 on ``backbone``'s layer4 (2048 channels), with an auxiliary FCNHead on layer3 (1024) when
    ``aux``."""
    backbone = _resnet_layers(backbone, aux)
    aux_classifier = FCNHead(1024, num_classes) if aux else None
    classifier = DeepLabHead(2048, num_classes)
    return DeepLabV3(backbone, classifier, aux_classifier)


def _mobilenet_v3_stages(features):
    """The indices in a MobileNetV3's ``features`` of the last block of each stage of output stride 2, 4, 8,
    16...: the stem, each block before a strided one, and the last layer (torchvision's C0, ..., Cn)."""
    return [0] + [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)] + [len(features) - 1]


def _deeplabv3_mobilenetv3(backbone, num_classes, aux):
    """DeepLabV3 on the last layer of ``backbone``'s features (output stride 16 when dilated), with an auxiliary
    FCNHead on the output of stride 8 when ``aux``."""
    backbone = backbone.features
    stage_indices = _mobilenet_v3_stages(backbone)
    out_pos = stage_indices[-1]
    out_inplanes = backbone[out_pos].out_channels
    aux_pos = stage_indices[-4]
    aux_inplanes = backbone[aux_pos].out_channels
    return_layers = {str(out_pos): "out"}
    if aux:
        return_layers[str(aux_pos)] = "aux"
    backbone = IntermediateLayerGetter(backbone, return_layers=return_layers)

    aux_classifier = FCNHead(aux_inplanes, num_classes) if aux else None
    classifier = DeepLabHead(out_inplanes, num_classes)
    return DeepLabV3(backbone, classifier, aux_classifier)


class DeepLabV3_ResNet50_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = _coco_voc_weights("deeplabv3_resnet50_coco-cd0a2569.pth", 42004074, 66.4, 92.4,
                                                178.722, 160.515, "deeplabv3_resnet50")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


class DeepLabV3_ResNet101_Weights(WeightsEnum):
    # (torchvision's recipe link for these weights is fcn_resnet101's)
    COCO_WITH_VOC_LABELS_V1 = _coco_voc_weights("deeplabv3_resnet101_coco-586e9e4e.pth", 60996202, 67.4, 92.4,
                                                258.743, 233.217, "fcn_resnet101")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


class DeepLabV3_MobileNet_V3_Large_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = _coco_voc_weights("deeplabv3_mobilenet_v3_large-fc3c493d.pth", 11029328, 60.3, 91.2,
                                                10.452, 42.301, "deeplabv3_mobilenet_v3_large")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


_REFERENCE = ("Reference: `Rethinking Atrous Convolution for Semantic Image Segmentation "
              "<https://arxiv.org/abs/1706.05587>`__.")


@register_model()
@_legacy_weights(weights=("pretrained", DeepLabV3_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1),
                 weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
@_documented(f"Constructs a DeepLabV3 model with a ResNet-50 backbone.\n\n    {_REFERENCE}",
             DeepLabV3_ResNet50_Weights, ResNet50_Weights)
def deeplabv3_resnet50(*, weights: Optional[DeepLabV3_ResNet50_Weights] = None, progress=True, num_classes=None,
                       aux_loss=None, weights_backbone: Optional[ResNet50_Weights] = ResNet50_Weights.IMAGENET1K_V1,
                       **kwargs):
    return _dilated_resnet_model(_deeplabv3_resnet, resnet50, DeepLabV3_ResNet50_Weights, weights, ResNet50_Weights,
                                 weights_backbone, num_classes, aux_loss, progress)


@register_model()
@_legacy_weights(weights=("pretrained", DeepLabV3_ResNet101_Weights.COCO_WITH_VOC_LABELS_V1),
                 weights_backbone=("pretrained_backbone", ResNet101_Weights.IMAGENET1K_V1))
@_documented(f"Constructs a DeepLabV3 model with a ResNet-101 backbone.\n\n    {_REFERENCE}",
             DeepLabV3_ResNet101_Weights, ResNet101_Weights)
def deeplabv3_resnet101(*, weights: Optional[DeepLabV3_ResNet101_Weights] = None, progress=True, num_classes=None,
                        aux_loss=None,
                        weights_backbone: Optional[ResNet101_Weights] = ResNet101_Weights.IMAGENET1K_V1, **kwargs):
    return _dilated_resnet_model(_deeplabv3_resnet, resnet101, DeepLabV3_ResNet101_Weights, weights, ResNet101_Weights,
                                 weights_backbone, num_classes, aux_loss, progress)


@register_model()
@_legacy_weights(weights=("pretrained", DeepLabV3_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1),
                 weights_backbone=("pretrained_backbone", MobileNet_V3_Large_Weights.IMAGENET1K_V1))
@_documented(f"Constructs a DeepLabV3 model with a MobileNetV3-Large backbone.\n\n    {_REFERENCE}",
             DeepLabV3_MobileNet_V3_Large_Weights, MobileNet_V3_Large_Weights)
def deeplabv3_mobilenet_v3_large(*, weights: Optional[DeepLabV3_MobileNet_V3_Large_Weights] = None, progress=True,
                                 num_classes=None, aux_loss=None,
                                 weights_backbone: Optional[MobileNet_V3_Large_Weights] = (
                                     MobileNet_V3_Large_Weights.IMAGENET1K_V1),
                                 **kwargs):
    weights, weights_backbone, num_classes, aux_loss = _verify_segmentation_weights(
        DeepLabV3_MobileNet_V3_Large_Weights, weights, MobileNet_V3_Large_Weights, weights_backbone, num_classes,
        aux_loss)
    backbone = mobilenet_v3_large(weights=weights_backbone, dilated=True)
    return _load_weights(_deeplabv3_mobilenetv3(backbone, num_classes, aux_loss), weights, progress)
