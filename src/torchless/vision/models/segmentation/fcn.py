"""FCN ("Fully Convolutional Networks for Semantic Segmentation") on a dilated ResNet, as torchvision builds it."""
from typing import Optional

from .... import nn
from .._api import WeightsEnum, register_model
from .._utils import _legacy_weights
from ..resnet import ResNet50_Weights, ResNet101_Weights, resnet50, resnet101
from ._utils import (_coco_voc_weights, _dilated_resnet_model, _documented, _resnet_layers, _SEGMENTATION_MODEL_DOCS,
                     _SimpleSegmentationModel)

__all__ = ["FCN", "FCN_ResNet50_Weights", "FCN_ResNet101_Weights", "fcn_resnet50", "fcn_resnet101"]


class FCN(_SimpleSegmentationModel):
    __doc__ = """The FCN model of `Fully Convolutional Networks for Semantic Segmentation
    <https://arxiv.org/abs/1411.4038>`_.

    Args:
        {args}

    Shape:
        {shape}
    """.format(**_SEGMENTATION_MODEL_DOCS)


class FCNHead(nn.Sequential):
    """3x3 convolution to a quarter of ``in_channels`` (no bias), batch norm, ReLU, dropout (p=0.1) and a 1x1
    convolution to ``channels``.

    Args:
        in_channels (int): channels of the features read.
        channels (int): output channels (the classes).
    """

    def __init__(self, in_channels, channels):
        inter_channels = in_channels // 4
        layers = [
            nn.Conv2d(in_channels, inter_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(inter_channels),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Conv2d(inter_channels, channels, 1),
        ]
        super().__init__(*layers)


class FCN_ResNet50_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = _coco_voc_weights("fcn_resnet50_coco-1167a1af.pth", 35322218, 60.5, 91.4, 152.717,
                                                135.009, "fcn_resnet50")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


class FCN_ResNet101_Weights(WeightsEnum):
    # (torchvision's recipe link for these weights is deeplabv3_resnet101's)
    COCO_WITH_VOC_LABELS_V1 = _coco_voc_weights("fcn_resnet101_coco-7ecb50ca.pth", 54314346, 63.7, 91.9, 232.738,
                                                207.711, "deeplabv3_resnet101")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


def _fcn_resnet(backbone, num_classes, aux):
    """FCN on ``backbone``'s layer4 (2048 channels), with an auxiliary FCNHead on layer3 (1024) when ``aux``."""
    backbone = _resnet_layers(backbone, aux)
    aux_classifier = FCNHead(1024, num_classes) if aux else None
    classifier = FCNHead(2048, num_classes)
    return FCN(backbone, classifier, aux_classifier)


@register_model()
@_legacy_weights(weights=("pretrained", FCN_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1),
                 weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
@_documented("Fully-Convolutional Network model with a ResNet-50 backbone from the `Fully Convolutional Networks for "
             "Semantic Segmentation <https://arxiv.org/abs/1411.4038>`_ paper.", FCN_ResNet50_Weights,
             ResNet50_Weights)
def fcn_resnet50(*, weights: Optional[FCN_ResNet50_Weights] = None, progress=True, num_classes=None, aux_loss=None,
                 weights_backbone: Optional[ResNet50_Weights] = ResNet50_Weights.IMAGENET1K_V1, **kwargs):
    return _dilated_resnet_model(_fcn_resnet, resnet50, FCN_ResNet50_Weights, weights, ResNet50_Weights,
                                 weights_backbone, num_classes, aux_loss, progress)


@register_model()
@_legacy_weights(weights=("pretrained", FCN_ResNet101_Weights.COCO_WITH_VOC_LABELS_V1),
                 weights_backbone=("pretrained_backbone", ResNet101_Weights.IMAGENET1K_V1))
@_documented("Fully-Convolutional Network model with a ResNet-101 backbone from the `Fully Convolutional Networks "
             "for Semantic Segmentation <https://arxiv.org/abs/1411.4038>`_ paper.", FCN_ResNet101_Weights,
             ResNet101_Weights)
def fcn_resnet101(*, weights: Optional[FCN_ResNet101_Weights] = None, progress=True, num_classes=None,
                  aux_loss=None, weights_backbone: Optional[ResNet101_Weights] = ResNet101_Weights.IMAGENET1K_V1,
                  **kwargs):
    return _dilated_resnet_model(_fcn_resnet, resnet101, FCN_ResNet101_Weights, weights, ResNet101_Weights,
                                 weights_backbone, num_classes, aux_loss, progress)
