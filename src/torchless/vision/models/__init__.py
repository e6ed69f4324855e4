"""torchvision's classic CNN architectures (``torchvision.models``), with torchvision's module trees, state_dict
keys, initialisation and builders: AlexNet, VGG, ResNet/ResNeXt/Wide ResNet, MobileNetV2, SqueezeNet, DenseNet.

Builders take ``weights=None`` only: torchless downloads no pretrained weights. A torchvision checkpoint file
loads with ``model.load_state_dict(torchless.load("resnet18-f37072fd.pth"))``.
"""
from ._api import get_model, get_model_builder, list_models
from ._utils import PretrainedWeightsUnavailable
from .alexnet import AlexNet, alexnet
from .densenet import DenseNet, densenet121
from .mobilenetv2 import MobileNetV2, mobilenet_v2
from .resnet import (
    BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50, resnet101, resnet152, resnext50_32x4d,
    wide_resnet50_2,
)
from .squeezenet import SqueezeNet, squeezenet1_0, squeezenet1_1
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn

__all__ = [
    "AlexNet", "alexnet",
    "VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "wide_resnet50_2",
    "MobileNetV2", "mobilenet_v2",
    "SqueezeNet", "squeezenet1_0", "squeezenet1_1",
    "DenseNet", "densenet121",
    "get_model", "get_model_builder", "list_models", "PretrainedWeightsUnavailable",
]
