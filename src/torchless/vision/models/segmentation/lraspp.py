"""Lite R-ASPP, the segmentation head of "Searching for MobileNetV3", on a dilated MobileNetV3-Large, as
torchvision builds it."""
from collections import OrderedDict
from typing import Optional

from .... import nn
from ....nn import functional as F
from .._api import WeightsEnum, register_model
from .._utils import IntermediateLayerGetter, _legacy_weights, _load_weights
from ..mobilenetv3 import MobileNet_V3_Large_Weights, mobilenet_v3_large
from ._utils import _coco_voc_weights, _documented, _verify_segmentation_weights
from .deeplabv3 import _mobilenet_v3_stages

__all__ = ["LRASPP", "LRASPP_MobileNet_V3_Large_Weights", "lraspp_mobilenet_v3_large"]


class LRASPP(nn.Module):
    """The Lite R-ASPP network of `Searching for MobileNetV3 <https://arxiv.org/abs/1905.02244>`_.

    Args:
        backbone (nn.Module): computes the features: an OrderedDict with the high-level feature map under
            ``"high"`` and the low-level one under ``"low"``.
        low_channels (int): channels of the low-level features.
        high_channels (int): channels of the high-level features.
        num_classes (int): number of output classes of the model (including the background).
        inter_channels (int, optional): channels of the intermediate computations. Default: 128.

    Shape:
        - Input: (N, 3, H, W)
        - Output: OrderedDict ``{"out": (N, num_classes, H, W)}``.
    """

    def __init__(self, backbone, low_channels, high_channels, num_classes, inter_channels=128):
        super().__init__()
        self.backbone = backbone
        self.classifier = LRASPPHead(low_channels, high_channels, num_classes, inter_channels)

    def forward(self, input):
        features = self.backbone(input)
        out = self.classifier(features)
        out = F.interpolate(out, size=input.shape[-2:], mode="bilinear", align_corners=False)

        result = OrderedDict()
        result["out"] = out
        return result


class LRASPPHead(nn.Module):
    """The high-level features through a 1x1 convolution, batch norm and ReLU (``cbr``), gated by a sigmoid of
    their global average projected the same way (``scale``), upsampled to the low-level features' size and
    classified (``high_classifier``); added to the low-level features' own classification (``low_classifier``)."""

    def __init__(self, low_channels, high_channels, num_classes, inter_channels):
        super().__init__()
        self.cbr = nn.Sequential(
            nn.Conv2d(high_channels, inter_channels, 1, bias=False),
            nn.BatchNorm2d(inter_channels),
            nn.ReLU(inplace=True),
        )
        self.scale = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(high_channels, inter_channels, 1, bias=False),
            nn.Sigmoid(),
        )
        self.low_classifier = nn.Conv2d(low_channels, num_classes, 1)
        self.high_classifier = nn.Conv2d(inter_channels, num_classes, 1)

    def forward(self, input):
        low = input["low"]
        high = input["high"]

        x = self.cbr(high)
        s = self.scale(high)
        x = x * s
        x = F.interpolate(x, size=low.shape[-2:], mode="bilinear", align_corners=False)

        return self.low_classifier(low) + self.high_classifier(x)


def _lraspp_mobilenetv3(backbone, num_classes):
    """LR-ASPP reading ``backbone``'s features of output stride 8 (low) and its last layer (high)."""
    backbone = backbone.features
    stage_indices = _mobilenet_v3_stages(backbone)
    low_pos = stage_indices[-4]
    high_pos = stage_indices[-1]
    low_channels = backbone[low_pos].out_channels
    high_channels = backbone[high_pos].out_channels
    backbone = IntermediateLayerGetter(backbone, return_layers={str(low_pos): "low", str(high_pos): "high"})
    return LRASPP(backbone, low_channels, high_channels, num_classes)


def _lraspp_weights(*args):
    """``_coco_voc_weights``, its meta keys in torchvision's order for LRASPP (the parameter count first)."""
    weights = _coco_voc_weights(*args)
    for key in ("categories", "min_size", "recipe", "_metrics", "_ops", "_file_size", "_docs"):
        weights.meta[key] = weights.meta.pop(key)
    return weights


class LRASPP_MobileNet_V3_Large_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = _lraspp_weights("lraspp_mobilenet_v3_large-d234d4ea.pth", 3221538, 57.9, 91.2, 2.086,
                                              12.49, "lraspp_mobilenet_v3_large")
    DEFAULT = COCO_WITH_VOC_LABELS_V1


@register_model()
@_legacy_weights(weights=("pretrained", LRASPP_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1),
                 weights_backbone=("pretrained_backbone", MobileNet_V3_Large_Weights.IMAGENET1K_V1))
@_documented("Constructs a Lite R-ASPP Network model with a MobileNetV3-Large backbone from `Searching for "
             "MobileNetV3 <https://arxiv.org/abs/1905.02244>`_ paper.", LRASPP_MobileNet_V3_Large_Weights,
             MobileNet_V3_Large_Weights)
def lraspp_mobilenet_v3_large(*, weights: Optional[LRASPP_MobileNet_V3_Large_Weights] = None, progress=True,
                              num_classes=None,
                              weights_backbone: Optional[MobileNet_V3_Large_Weights] = (
                                  MobileNet_V3_Large_Weights.IMAGENET1K_V1),
                              **kwargs):
    if kwargs.pop("aux_loss", False):
        raise NotImplementedError("This model does not use auxiliary loss")
    weights, weights_backbone, num_classes, _ = _verify_segmentation_weights(
        LRASPP_MobileNet_V3_Large_Weights, weights, MobileNet_V3_Large_Weights, weights_backbone, num_classes, None)
    backbone = mobilenet_v3_large(weights=weights_backbone, dilated=True)
    return _load_weights(_lraspp_mobilenetv3(backbone, num_classes), weights, progress)
