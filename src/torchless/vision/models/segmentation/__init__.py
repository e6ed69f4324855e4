"""torchvision's semantic segmentation models (``torchvision.models.segmentation``): FCN and DeepLabV3 on dilated
ResNet-50/101, DeepLabV3 and Lite R-ASPP on a dilated MobileNetV3-Large, with torchvision's module trees, state_dict
keys, initialisation, builders and ``*_Weights`` enums (COCO images, Pascal VOC's 21 classes).

Each model returns an OrderedDict: ``"out"``, the per-class scores upsampled (bilinearly) to the input's height and
width, and for ``aux_loss=True`` also ``"aux"``, those of the auxiliary head on an earlier stage.
"""
from .deeplabv3 import (
    DeepLabV3, DeepLabV3_MobileNet_V3_Large_Weights, DeepLabV3_ResNet50_Weights, DeepLabV3_ResNet101_Weights,
    deeplabv3_mobilenet_v3_large, deeplabv3_resnet50, deeplabv3_resnet101,
)
from .fcn import FCN, FCN_ResNet50_Weights, FCN_ResNet101_Weights, fcn_resnet50, fcn_resnet101
from .lraspp import LRASPP, LRASPP_MobileNet_V3_Large_Weights, lraspp_mobilenet_v3_large

__all__ = [
    "DeepLabV3", "DeepLabV3_ResNet50_Weights", "DeepLabV3_ResNet101_Weights", "DeepLabV3_MobileNet_V3_Large_Weights",
    "deeplabv3_mobilenet_v3_large", "deeplabv3_resnet50", "deeplabv3_resnet101",
    "FCN", "FCN_ResNet50_Weights", "FCN_ResNet101_Weights", "fcn_resnet50", "fcn_resnet101",
    "LRASPP", "LRASPP_MobileNet_V3_Large_Weights", "lraspp_mobilenet_v3_large",
]
