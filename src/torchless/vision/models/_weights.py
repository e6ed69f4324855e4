"""The ImageNet-1K weights torchvision publishes for these architectures, as one table of facts copied from
torchvision 0.29's ``*_Weights`` enums (file, parameter count, accuracies, GFLOPS, file size in MB, training recipe);
:func:`weights_enum` makes each builder's enum from it."""
import functools

from ._api import Weights, WeightsEnum
from ._meta import _IMAGENET_CATEGORIES

_DOWNLOAD_ROOT = "https://download.pytorch.org/models/"
_RECIPES = "https://github.com/pytorch/vision/tree/main/references/classification#"
_NEW_RECIPE = "https://github.com/pytorch/vision/issues/3995#"

# meta["_docs"]: what each kind of weights is (torchvision words this prose its own way)
_SIMPLE = "Close to the paper's results, trained with a simple recipe."
_SIMPLIFIED = "Close to the paper's results, trained with a simplified recipe."
_FROM_SCRATCH = "Trained from scratch with a simplified recipe."
_LUATORCH = "Ported from LuaTorch."
_NEW_RECIPE_DOCS = ("Better than the paper's results, trained with TorchVision's new recipe "
                    "(https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/).")
_MODIFIED_RECIPE_DOCS = "Better than the paper's results, trained with a modified version of TorchVision's new recipe."
_FEATURES_DOCS = ("For feature extraction only: the classifier's values are missing and only `features` holds valid "
                  "ones; trained with the paper's original input standardisation.")


def _image_classification(**kwargs):
    """``ImageClassification(**kwargs)``. torchvision's partials hold the class itself; importing it with the
    models would import torchless.vision.transforms, which takes longer than all the models."""
    from ..transforms._presets import ImageClassification

    return ImageClassification(**kwargs)


def _weights(file, num_params, acc1, acc5, ops, file_size, *, min_size, recipe, docs, preset=(),
             categories=_IMAGENET_CATEGORIES):
    return Weights(
        url=_DOWNLOAD_ROOT + file,
        transforms=functools.partial(_image_classification, **{"crop_size": 224, **dict(preset)}),
        meta={"min_size": min_size, "categories": categories, "recipe": recipe, "num_params": num_params,
              "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}}, "_ops": ops, "_file_size": file_size,
              "_docs": docs},
    )


_alexnet = functools.partial(_weights, min_size=(63, 63), recipe=_RECIPES + "alexnet-and-vgg", docs=_SIMPLIFIED)
_vgg = functools.partial(_weights, min_size=(32, 32), recipe=_RECIPES + "alexnet-and-vgg", docs=_FROM_SCRATCH)
_resnet = functools.partial(_weights, min_size=(1, 1), recipe=_RECIPES + "resnet", docs=_SIMPLE)
_mobilenet = functools.partial(_weights, min_size=(1, 1), recipe=_RECIPES + "mobilenetv2", docs=_SIMPLE)
# the V2 weights were trained with the new recipe and evaluated on images resized to 232 before the 224 crop
_new_recipe = functools.partial(_weights, min_size=(1, 1), recipe=_NEW_RECIPE + "new-recipe", docs=_NEW_RECIPE_DOCS,
                                preset={"resize_size": 232})
_squeezenet = functools.partial(_weights, recipe="https://github.com/pytorch/vision/pull/49#issuecomment-277560717",
                                docs=_SIMPLE)
_densenet = functools.partial(_weights, min_size=(29, 29), recipe="https://github.com/pytorch/vision/pull/116",
                              docs=_LUATORCH)

_SCRATCH_SIMPLE = "Trained from scratch with a simple recipe."
_BETTER_SIMPLE = "Better than the paper's results, trained with a simple recipe."
_SCRATCH_CLOSE = "Close to the paper's results, trained from scratch."
_NEW_RECIPE_SCRATCH = ("Trained from scratch with TorchVision's new recipe "
                       "(https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-primitives/).")
_mobilenet_v3 = functools.partial(_weights, min_size=(1, 1), recipe=_RECIPES + "mobilenetv3-large--small",
                                  docs=_BETTER_SIMPLE)
_shufflenet = functools.partial(_weights, min_size=(1, 1), docs=_SCRATCH_CLOSE,
                                recipe="https://github.com/ericsun99/Shufflenet-v2-Pytorch")
_shufflenet_new_recipe = functools.partial(_weights, min_size=(1, 1), docs=_NEW_RECIPE_SCRATCH,
                                           recipe="https://github.com/pytorch/vision/pull/5906",
                                           preset={"resize_size": 232})
_PORTED = "Ported from the paper's TensorFlow weights."
_PAPER_PORTED = "Ported from the original paper's weights."
_googlenet = functools.partial(_weights, min_size=(15, 15), recipe=_RECIPES + "googlenet", docs=_PAPER_PORTED)
_convnext = functools.partial(_weights, min_size=(32, 32), recipe=_RECIPES + "convnext", docs=_MODIFIED_RECIPE_DOCS)
_mnasnet = functools.partial(_weights, min_size=(1, 1), recipe="https://github.com/1e100/mnasnet_trainer",
                              docs="Close to the paper's results.")
_mnasnet_new_recipe = functools.partial(_weights, min_size=(1, 1), recipe="https://github.com/pytorch/vision/pull/6019",
                                        docs=_NEW_RECIPE_SCRATCH, preset={"resize_size": 232})
_inception_v3 = functools.partial(_weights, min_size=(75, 75), recipe=_RECIPES + "inception-v3", docs=_PAPER_PORTED,
                                  preset={"crop_size": 299, "resize_size": 342})


def _image_classification_interpolated(*, interpolation, **kwargs):
    """``ImageClassification(**kwargs)`` resizing with the ``InterpolationMode`` whose value is ``interpolation``
    ("bicubic", ...): the partials hold the name, the enum living in torchless.vision.transforms."""
    from ..transforms._interpolation import InterpolationMode

    return _image_classification(interpolation=InterpolationMode(interpolation), **kwargs)


def _efficientnet(file, num_params, acc1, acc5, ops, file_size, *, crop_size, resize_size, interpolation="bicubic",
                  recipe=_RECIPES + "efficientnet-v1", docs=_PORTED, min_size=(1, 1), **preset):
    """EfficientNet's weights, evaluated at their own resolution (``crop_size``, ``resize_size``; ``preset``: more
    ImageClassification keywords)."""
    weights = _weights(file, num_params, acc1, acc5, ops, file_size, min_size=min_size, recipe=recipe, docs=docs)
    weights.transforms = functools.partial(_image_classification_interpolated, crop_size=crop_size,
                                           resize_size=resize_size, interpolation=interpolation, **preset)
    return weights


_efficientnet_v2 = functools.partial(_efficientnet, min_size=(33, 33), recipe=_RECIPES + "efficientnet-v2",
                                     docs=_MODIFIED_RECIPE_DOCS, interpolation="bilinear")


_DEIT_DOCS = "Trained from scratch with a modified version of DeIT's recipe (https://arxiv.org/abs/2012.12877)."
_SWAG_LICENSE = "https://github.com/facebookresearch/SWAG/blob/main/LICENSE"
_SWAG_E2E_DOCS = ("Fine-tuned end to end on ImageNet-1K from the SWAG weights (https://arxiv.org/abs/2201.08371), "
                  "learnt by weakly supervised pre-training.")
_SWAG_LINEAR_DOCS = ("The frozen SWAG trunk (https://arxiv.org/abs/2201.08371) with a linear classifier trained on "
                     "ImageNet-1K.")


def _vit(file, num_params, acc1, acc5, ops, file_size, *, recipe_anchor, docs=_DEIT_DOCS, preset=()):
    """A ViT's own ImageNet-1K weights, at 224 x 224 (the image size the builder then fixes)."""
    return _weights(file, num_params, acc1, acc5, ops, file_size, min_size=(224, 224), recipe=_RECIPES + recipe_anchor,
                    docs=docs, preset=preset)


def _swag(file, num_params, acc1, acc5, ops, file_size, *, crop_size, min_size=(1, 1)):
    """Weights from SWAG's weakly supervised pre-training, evaluated at ``crop_size`` with bicubic resizing: fine-tuned
    end to end (at more than 224 pixels) or, at 224, a linear classifier on the frozen trunk."""
    end_to_end = crop_size != 224
    weights = _efficientnet(file, num_params, acc1, acc5, ops, file_size, crop_size=crop_size, resize_size=crop_size,
                            recipe="https://github.com/facebookresearch/SWAG" if end_to_end
                            else "https://github.com/pytorch/vision/pull/5793",
                            docs=_SWAG_E2E_DOCS if end_to_end else _SWAG_LINEAR_DOCS)
    weights.meta.update(min_size=min_size, license=_SWAG_LICENSE)
    return weights


_SWIN_DOCS = "These weights reproduce closely the results of the paper using a similar training recipe."


_MAXVIT_DOCS = """These weights reproduce closely the results of the paper using a similar training recipe.
            They were trained with a BatchNorm2D momentum of 0.99 instead of the more correct 0.01."""


def _swin(file, num_params, acc1, acc5, ops, file_size, *, crop_size, resize_size, recipe_anchor, docs=_SWIN_DOCS):
    """A Swin Transformer's (or MaxViT's) weights, evaluated at ``crop_size`` (their smallest input) with bicubic
    resizing."""
    return _efficientnet(file, num_params, acc1, acc5, ops, file_size, crop_size=crop_size, resize_size=resize_size,
                         recipe=_RECIPES + recipe_anchor, docs=docs, min_size=(crop_size, crop_size))


def _regnet_v1(file, num_params, acc1, acc5, ops, file_size, size_anchor):
    """RegNet's V1 weights, trained with the reference scripts' recipe for models of their size."""
    return _weights(file, num_params, acc1, acc5, ops, file_size, min_size=(1, 1), recipe=_RECIPES + size_anchor,
                    docs=_SIMPLE)


def _regnet_v2(file, num_params, acc1, acc5, ops, file_size, recipe_anchor):
    return _new_recipe(file, num_params, acc1, acc5, ops, file_size, recipe=_NEW_RECIPE + recipe_anchor,
                       docs=_MODIFIED_RECIPE_DOCS)


# enum name -> {member name: Weights}; DEFAULT is added as an alias of IMAGENET1K_V2 if there is one, else of V1,
# else of IMAGENET1K_SWAG_E2E_V1
_TABLE = {
    "AlexNet_Weights": {"IMAGENET1K_V1": _alexnet("alexnet-owt-7be5be79.pth", 61100840, 56.522, 79.066, 0.714,
                                                  233.087)},
    "VGG11_Weights": {"IMAGENET1K_V1": _vgg("vgg11-8a719046.pth", 132863336, 69.020, 88.628, 7.609, 506.84)},
    "VGG11_BN_Weights": {"IMAGENET1K_V1": _vgg("vgg11_bn-6002323d.pth", 132868840, 70.370, 89.810, 7.609, 506.881)},
    "VGG13_Weights": {"IMAGENET1K_V1": _vgg("vgg13-19584684.pth", 133047848, 69.928, 89.246, 11.308, 507.545)},
    "VGG13_BN_Weights": {"IMAGENET1K_V1": _vgg("vgg13_bn-abd245e5.pth", 133053736, 71.586, 90.374, 11.308, 507.59)},
    "VGG16_Weights": {
        "IMAGENET1K_V1": _vgg("vgg16-397923af.pth", 138357544, 71.592, 90.382, 15.47, 527.796),
        # ported from https://github.com/amdegroot/ssd.pytorch/: a feature extractor (the classifier is not trained)
        # for images scaled to [0, 255] with only the mean subtracted
        "IMAGENET1K_FEATURES": _vgg(
            "vgg16_features-amdegroot-88682ab5.pth", 138357544, float("nan"), float("nan"), 15.47, 527.802,
            categories=None, recipe="https://github.com/amdegroot/ssd.pytorch#training-ssd", docs=_FEATURES_DOCS,
            preset={"mean": (0.48235, 0.45882, 0.40784), "std": (1.0 / 255.0, 1.0 / 255.0, 1.0 / 255.0)}),
    },
    "VGG16_BN_Weights": {"IMAGENET1K_V1": _vgg("vgg16_bn-6c64b313.pth", 138365992, 73.360, 91.516, 15.47, 527.866)},
    "VGG19_Weights": {"IMAGENET1K_V1": _vgg("vgg19-dcbb9e9d.pth", 143667240, 72.376, 90.876, 19.632, 548.051)},
    "VGG19_BN_Weights": {"IMAGENET1K_V1": _vgg("vgg19_bn-c79401a0.pth", 143678248, 74.218, 91.842, 19.632, 548.143)},
    "ResNet18_Weights": {"IMAGENET1K_V1": _resnet("resnet18-f37072fd.pth", 11689512, 69.758, 89.078, 1.814, 44.661)},
    "ResNet34_Weights": {"IMAGENET1K_V1": _resnet("resnet34-b627a593.pth", 21797672, 73.314, 91.420, 3.664, 83.275)},
    "ResNet50_Weights": {
        "IMAGENET1K_V1": _resnet("resnet50-0676ba61.pth", 25557032, 76.130, 92.862, 4.089, 97.781),
        "IMAGENET1K_V2": _new_recipe("resnet50-11ad3fa6.pth", 25557032, 80.858, 95.434, 4.089, 97.79,
                                     recipe=_NEW_RECIPE + "issuecomment-1013906621"),
    },
    "ResNet101_Weights": {
        "IMAGENET1K_V1": _resnet("resnet101-63fe2227.pth", 44549160, 77.374, 93.546, 7.801, 170.511),
        "IMAGENET1K_V2": _new_recipe("resnet101-cd907fc2.pth", 44549160, 81.886, 95.780, 7.801, 170.53),
    },
    "ResNet152_Weights": {
        "IMAGENET1K_V1": _resnet("resnet152-394f9c45.pth", 60192808, 78.312, 94.046, 11.514, 230.434),
        "IMAGENET1K_V2": _new_recipe("resnet152-f82ba261.pth", 60192808, 82.284, 96.002, 11.514, 230.474),
    },
    "ResNeXt50_32X4D_Weights": {
        "IMAGENET1K_V1": _resnet("resnext50_32x4d-7cdf4587.pth", 25028904, 77.618, 93.698, 4.23, 95.789,
                                 recipe=_RECIPES + "resnext"),
        "IMAGENET1K_V2": _new_recipe("resnext50_32x4d-1a0047aa.pth", 25028904, 81.198, 95.340, 4.23, 95.833),
    },
    "ResNeXt101_32X8D_Weights": {
        "IMAGENET1K_V1": _resnet("resnext101_32x8d-8ba56ff5.pth", 88791336, 79.312, 94.526, 16.414, 339.586,
                                 recipe=_RECIPES + "resnext"),
        "IMAGENET1K_V2": _new_recipe("resnext101_32x8d-110c445d.pth", 88791336, 82.834, 96.228, 16.414, 339.673,
                                     recipe=_NEW_RECIPE + "new-recipe-with-fixres"),
    },
    "ResNeXt101_64X4D_Weights": {
        "IMAGENET1K_V1": _new_recipe("resnext101_64x4d-173b62eb.pth", 83455272, 83.246, 96.454, 15.46, 319.318,
                                     recipe="https://github.com/pytorch/vision/pull/5935", docs=_NEW_RECIPE_SCRATCH),
    },
    "Wide_ResNet50_2_Weights": {
        "IMAGENET1K_V1": _resnet("wide_resnet50_2-95faca4d.pth", 68883240, 78.468, 94.086, 11.398, 131.82,
                                 recipe="https://github.com/pytorch/vision/pull/912#issue-445437439"),
        "IMAGENET1K_V2": _new_recipe("wide_resnet50_2-9ba9bcbe.pth", 68883240, 81.602, 95.758, 11.398, 263.124,
                                     recipe=_NEW_RECIPE + "new-recipe-with-fixres"),
    },
    "Wide_ResNet101_2_Weights": {
        "IMAGENET1K_V1": _resnet("wide_resnet101_2-32ee1156.pth", 126886696, 78.848, 94.284, 22.753, 242.896,
                                 recipe="https://github.com/pytorch/vision/pull/912#issue-445437439"),
        "IMAGENET1K_V2": _new_recipe("wide_resnet101_2-d733dc28.pth", 126886696, 82.51, 96.02, 22.753, 484.747),
    },
    "MobileNet_V2_Weights": {
        "IMAGENET1K_V1": _mobilenet("mobilenet_v2-b0353104.pth", 3504872, 71.878, 90.286, 0.301, 13.555),
        "IMAGENET1K_V2": _new_recipe("mobilenet_v2-7ebf99e0.pth", 3504872, 72.154, 90.822, 0.301, 13.598,
                                     recipe=_NEW_RECIPE + "new-recipe-with-reg-tuning", docs=_MODIFIED_RECIPE_DOCS),
    },
    "SqueezeNet1_0_Weights": {"IMAGENET1K_V1": _squeezenet("squeezenet1_0-b66bff10.pth", 1248424, 58.092, 80.420,
                                                           0.819, 4.778, min_size=(21, 21))},
    "SqueezeNet1_1_Weights": {"IMAGENET1K_V1": _squeezenet("squeezenet1_1-b8a52dc0.pth", 1235496, 58.178, 80.624,
                                                           0.349, 4.729, min_size=(17, 17))},
    "DenseNet121_Weights": {"IMAGENET1K_V1": _densenet("densenet121-a639ec97.pth", 7978856, 74.434, 91.972, 2.834,
                                                       30.845)},
    "DenseNet161_Weights": {"IMAGENET1K_V1": _densenet("densenet161-8d451a50.pth", 28681000, 77.138, 93.560, 7.728,
                                                       110.369)},
    "DenseNet169_Weights": {"IMAGENET1K_V1": _densenet("densenet169-b2777c0a.pth", 14149480, 75.600, 92.806, 3.36,
                                                       54.708)},
    "DenseNet201_Weights": {"IMAGENET1K_V1": _densenet("densenet201-c1103571.pth", 20013928, 76.896, 93.370, 4.291,
                                                       77.373)},
    "GoogLeNet_Weights": {"IMAGENET1K_V1": _googlenet("googlenet-1378be20.pth", 6624904, 69.778, 89.530, 1.498,
                                                      49.731)},
    "MobileNet_V3_Large_Weights": {
        "IMAGENET1K_V1": _mobilenet_v3("mobilenet_v3_large-8738ca79.pth", 5483032, 74.042, 91.340, 0.217, 21.114,
                                       docs=_SCRATCH_SIMPLE),
        "IMAGENET1K_V2": _new_recipe("mobilenet_v3_large-5c1a4163.pth", 5483032, 75.274, 92.566, 0.217, 21.107,
                                     recipe=_NEW_RECIPE + "new-recipe-with-reg-tuning", docs=_MODIFIED_RECIPE_DOCS),
    },
    "MobileNet_V3_Small_Weights": {
        "IMAGENET1K_V1": _mobilenet_v3("mobilenet_v3_small-047dcff4.pth", 2542856, 67.668, 87.402, 0.057, 9.829),
    },
    "ShuffleNet_V2_X0_5_Weights": {"IMAGENET1K_V1": _shufflenet("shufflenetv2_x0.5-f707e7126e.pth", 1366792, 60.552,
                                                                81.746, 0.04, 5.282)},
    "ShuffleNet_V2_X1_0_Weights": {"IMAGENET1K_V1": _shufflenet("shufflenetv2_x1-5666bf0f80.pth", 2278604, 69.362,
                                                                88.316, 0.145, 8.791)},
    "ShuffleNet_V2_X1_5_Weights": {"IMAGENET1K_V1": _shufflenet_new_recipe("shufflenetv2_x1_5-3c479a10.pth", 3503624,
                                                                           72.996, 91.086, 0.296, 13.557)},
    "ShuffleNet_V2_X2_0_Weights": {"IMAGENET1K_V1": _shufflenet_new_recipe("shufflenetv2_x2_0-8be3c8ee.pth", 7393996,
                                                                           76.230, 93.006, 0.583, 28.433)},
    "EfficientNet_B0_Weights": {"IMAGENET1K_V1": _efficientnet("efficientnet_b0_rwightman-7f5810bc.pth", 5288548,
                                                               77.692, 93.532, 0.386, 20.451, crop_size=224,
                                                               resize_size=256)},
    "EfficientNet_B1_Weights": {
        "IMAGENET1K_V1": _efficientnet("efficientnet_b1_rwightman-bac287d4.pth", 7794184, 78.642, 94.186, 0.687,
                                       30.134, crop_size=240, resize_size=256),
        "IMAGENET1K_V2": _efficientnet("efficientnet_b1-c27df63c.pth", 7794184, 79.838, 94.934, 0.687, 30.136,
                                       crop_size=240, resize_size=255, interpolation="bilinear",
                                       recipe=_NEW_RECIPE + "new-recipe-with-lr-wd-crop-tuning",
                                       docs=_MODIFIED_RECIPE_DOCS),
    },
    "EfficientNet_B2_Weights": {"IMAGENET1K_V1": _efficientnet("efficientnet_b2_rwightman-c35c1473.pth", 9109994,
                                                               80.608, 95.310, 1.088, 35.174, crop_size=288,
                                                               resize_size=288)},
    "EfficientNet_B3_Weights": {"IMAGENET1K_V1": _efficientnet("efficientnet_b3_rwightman-b3899882.pth", 12233232,
                                                               82.008, 96.054, 1.827, 47.184, crop_size=300,
                                                               resize_size=320)},
    "EfficientNet_B4_Weights": {"IMAGENET1K_V1": _efficientnet("efficientnet_b4_rwightman-23ab8bcd.pth", 19341616,
                                                               83.384, 96.594, 4.394, 74.489, crop_size=380,
                                                               resize_size=384)},
    "EfficientNet_B5_Weights": {"IMAGENET1K_V1": _efficientnet("efficientnet_b5_lukemelas-1a07897c.pth", 30389784,
                                                               83.444, 96.628, 10.266, 116.864, crop_size=456,
                                                               resize_size=456)},
    "EfficientNet_B6_Weights": {"IMAGENET1K_V1": _efficientnet("efficientnet_b6_lukemelas-24a108a5.pth", 43040704,
                                                               84.008, 96.916, 19.068, 165.362, crop_size=528,
                                                               resize_size=528)},
    "EfficientNet_B7_Weights": {"IMAGENET1K_V1": _efficientnet("efficientnet_b7_lukemelas-c5b4e57e.pth", 66347960,
                                                               84.122, 96.908, 37.746, 254.675, crop_size=600,
                                                               resize_size=600)},
    "EfficientNet_V2_S_Weights": {"IMAGENET1K_V1": _efficientnet_v2("efficientnet_v2_s-dd5fe13b.pth", 21458488,
                                                                     84.228, 96.878, 8.366, 82.704, crop_size=384,
                                                                     resize_size=384)},
    "EfficientNet_V2_M_Weights": {"IMAGENET1K_V1": _efficientnet_v2("efficientnet_v2_m-dc08266a.pth", 54139356,
                                                                     85.112, 97.156, 24.582, 208.01, crop_size=480,
                                                                     resize_size=480)},
    # ported, with TensorFlow's input standardisation
    "EfficientNet_V2_L_Weights": {"IMAGENET1K_V1": _efficientnet_v2("efficientnet_v2_l-59c71312.pth", 118515272,
                                                                     85.808, 97.788, 56.08, 454.573, crop_size=480,
                                                                     resize_size=480, interpolation="bicubic",
                                                                     mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5),
                                                                     docs="Ported from the original paper's weights.")},
    "ConvNeXt_Tiny_Weights": {"IMAGENET1K_V1": _convnext("convnext_tiny-983f1562.pth", 28589128, 82.520, 96.146,
                                                         4.456, 109.119, preset={"resize_size": 236})},
    "ConvNeXt_Small_Weights": {"IMAGENET1K_V1": _convnext("convnext_small-0c510722.pth", 50223688, 83.616, 96.650,
                                                          8.684, 191.703, preset={"resize_size": 230})},
    "ConvNeXt_Base_Weights": {"IMAGENET1K_V1": _convnext("convnext_base-6075fbad.pth", 88591464, 84.062, 96.870,
                                                         15.355, 338.064, preset={"resize_size": 232})},
    "ConvNeXt_Large_Weights": {"IMAGENET1K_V1": _convnext("convnext_large-ea097f82.pth", 197767336, 84.414, 96.976,
                                                          34.361, 754.537, preset={"resize_size": 232})},
    "MNASNet0_5_Weights": {"IMAGENET1K_V1": _mnasnet("mnasnet0.5_top1_67.823-3ffadce67e.pth", 2218512, 67.734, 87.490,
                                                     0.104, 8.591)},
    "MNASNet0_75_Weights": {"IMAGENET1K_V1": _mnasnet_new_recipe("mnasnet0_75-7090bc5f.pth", 3170208, 71.180, 90.496,
                                                                 0.215, 12.303)},
    "MNASNet1_0_Weights": {"IMAGENET1K_V1": _mnasnet("mnasnet1.0_top1_73.512-f206786ef8.pth", 4383312, 73.456, 91.510,
                                                     0.314, 16.915)},
    "MNASNet1_3_Weights": {"IMAGENET1K_V1": _mnasnet_new_recipe("mnasnet1_3-a4c69d6f.pth", 6282256, 76.506, 93.522,
                                                                0.526, 24.246)},
    "ViT_B_16_Weights": {
        "IMAGENET1K_V1": _vit("vit_b_16-c867db91.pth", 86567656, 81.072, 95.318, 17.564, 330.285,
                              recipe_anchor="vit_b_16"),
        "IMAGENET1K_SWAG_E2E_V1": _swag("vit_b_16_swag-9ac1b537.pth", 86859496, 85.304, 97.650, 55.484, 331.398,
                                        crop_size=384, min_size=(384, 384)),
        "IMAGENET1K_SWAG_LINEAR_V1": _swag("vit_b_16_lc_swag-4e70ced5.pth", 86567656, 81.886, 96.180, 17.564,
                                           330.285, crop_size=224, min_size=(224, 224)),
    },
    "ViT_B_32_Weights": {"IMAGENET1K_V1": _vit("vit_b_32-d86f8d99.pth", 88224232, 75.912, 92.466, 4.409, 336.604,
                                               recipe_anchor="vit_b_32")},
    "ViT_L_16_Weights": {
        "IMAGENET1K_V1": _vit("vit_l_16-852ce7e3.pth", 304326632, 79.662, 94.638, 61.555, 1161.023,
                              recipe_anchor="vit_l_16", docs=_MODIFIED_RECIPE_DOCS, preset={"resize_size": 242}),
        "IMAGENET1K_SWAG_E2E_V1": _swag("vit_l_16_swag-4f3808c9.pth", 305174504, 88.064, 98.512, 361.986, 1164.258,
                                        crop_size=512, min_size=(512, 512)),
        "IMAGENET1K_SWAG_LINEAR_V1": _swag("vit_l_16_lc_swag-4d563306.pth", 304326632, 85.146, 97.422, 61.555,
                                           1161.023, crop_size=224, min_size=(224, 224)),
    },
    "ViT_L_32_Weights": {"IMAGENET1K_V1": _vit("vit_l_32-c7638314.pth", 306535400, 76.972, 93.070, 15.378, 1169.449,
                                               recipe_anchor="vit_l_32")},
    "ViT_H_14_Weights": {
        "IMAGENET1K_SWAG_E2E_V1": _swag("vit_h_14_swag-80465313.pth", 633470440, 88.552, 98.694, 1016.717, 2416.643,
                                        crop_size=518, min_size=(518, 518)),
        "IMAGENET1K_SWAG_LINEAR_V1": _swag("vit_h_14_lc_swag-c1eb923e.pth", 632045800, 85.708, 97.730, 167.295,
                                           2411.209, crop_size=224, min_size=(224, 224)),
    },
    "Swin_T_Weights": {"IMAGENET1K_V1": _swin("swin_t-704ceda3.pth", 28288354, 81.474, 95.776, 4.491, 108.19,
                                              crop_size=224, resize_size=232, recipe_anchor="swintransformer")},
    "Swin_S_Weights": {"IMAGENET1K_V1": _swin("swin_s-5e29d889.pth", 49606258, 83.196, 96.360, 8.741, 189.786,
                                              crop_size=224, resize_size=246, recipe_anchor="swintransformer")},
    "Swin_B_Weights": {"IMAGENET1K_V1": _swin("swin_b-68c6b09e.pth", 87768224, 83.582, 96.640, 15.431, 335.364,
                                              crop_size=224, resize_size=238, recipe_anchor="swintransformer")},
    "Swin_V2_T_Weights": {"IMAGENET1K_V1": _swin("swin_v2_t-b137f0e2.pth", 28351570, 82.072, 96.132, 5.94, 108.626,
                                                 crop_size=256, resize_size=260, recipe_anchor="swintransformer-v2")},
    "Swin_V2_S_Weights": {"IMAGENET1K_V1": _swin("swin_v2_s-637d8ceb.pth", 49737442, 83.712, 96.816, 11.546,
                                                 190.675, crop_size=256, resize_size=260,
                                                 recipe_anchor="swintransformer-v2")},
    "Swin_V2_B_Weights": {"IMAGENET1K_V1": _swin("swin_v2_b-781e5279.pth", 87930848, 84.112, 96.864, 20.325,
                                                 336.372, crop_size=256, resize_size=272,
                                                 recipe_anchor="swintransformer-v2")},
    "MaxVit_T_Weights": {"IMAGENET1K_V1": _swin("maxvit_t-bc5ab103.pth", 30919624, 83.700, 96.722, 5.558, 118.769,
                                                crop_size=224, resize_size=224, recipe_anchor="maxvit",
                                                docs=_MAXVIT_DOCS)},
    "RegNet_Y_400MF_Weights": {
        "IMAGENET1K_V1": _regnet_v1("regnet_y_400mf-c65dace8.pth", 4344144, 74.046, 91.716, 0.402, 16.806,
                                    "small-models"),
        "IMAGENET1K_V2": _regnet_v2("regnet_y_400mf-e6988f5f.pth", 4344144, 75.804, 92.742, 0.402, 16.806,
                                    "new-recipe"),
    },
    "RegNet_Y_800MF_Weights": {
        "IMAGENET1K_V1": _regnet_v1("regnet_y_800mf-1b27b58c.pth", 6432512, 76.420, 93.136, 0.834, 24.774,
                                    "small-models"),
        "IMAGENET1K_V2": _regnet_v2("regnet_y_800mf-58fc7688.pth", 6432512, 78.828, 94.502, 0.834, 24.774,
                                    "new-recipe"),
    },
    "RegNet_Y_1_6GF_Weights": {
        "IMAGENET1K_V1": _regnet_v1("regnet_y_1_6gf-b11a554e.pth", 11202430, 77.950, 93.966, 1.612, 43.152,
                                    "small-models"),
        "IMAGENET1K_V2": _regnet_v2("regnet_y_1_6gf-0d7bc02a.pth", 11202430, 80.876, 95.444, 1.612, 43.152,
                                    "new-recipe"),
    },
    "RegNet_Y_3_2GF_Weights": {
        "IMAGENET1K_V1": _regnet_v1("regnet_y_3_2gf-b5a9779c.pth", 19436338, 78.948, 94.576, 3.176, 74.567,
                                    "medium-models"),
        "IMAGENET1K_V2": _regnet_v2("regnet_y_3_2gf-9180c971.pth", 19436338, 81.982, 95.972, 3.176, 74.567,
                                    "new-recipe"),
    },
    "RegNet_Y_8GF_Weights": {
        "IMAGENET1K_V1": _regnet_v1("regnet_y_8gf-d0d0e4a8.pth", 39381472, 80.032, 95.048, 8.473, 150.701,
                                    "medium-models"),
        "IMAGENET1K_V2": _regnet_v2("regnet_y_8gf-dc2b1b54.pth", 39381472, 82.828, 96.330, 8.473, 150.701,
                                    "new-recipe"),
    },
    "RegNet_Y_16GF_Weights": {
        "IMAGENET1K_V1": _regnet_v1("regnet_y_16gf-9e6ed7dd.pth", 83590140, 80.424, 95.240, 15.912, 319.49,
                                    "large-models"),
        "IMAGENET1K_V2": _regnet_v2("regnet_y_16gf-3e4a00f9.pth", 83590140, 82.886, 96.328, 15.912, 319.49,
                                    "new-recipe"),
        "IMAGENET1K_SWAG_E2E_V1": _swag("regnet_y_16gf_swag-43afe44d.pth", 83590140, 86.012, 98.054, 46.735, 319.49,
                                        crop_size=384),
        "IMAGENET1K_SWAG_LINEAR_V1": _swag("regnet_y_16gf_lc_swag-f3ec0043.pth", 83590140, 83.976, 97.244,
                                           15.912, 319.49, crop_size=224),
    },
    "RegNet_Y_32GF_Weights": {
        "IMAGENET1K_V1": _regnet_v1("regnet_y_32gf-4dee3f7a.pth", 145046770, 80.878, 95.340, 32.28, 554.076,
                                    "large-models"),
        "IMAGENET1K_V2": _regnet_v2("regnet_y_32gf-8db6d4b5.pth", 145046770, 83.368, 96.498, 32.28, 554.076,
                                    "new-recipe"),
        "IMAGENET1K_SWAG_E2E_V1": _swag("regnet_y_32gf_swag-04fdfa75.pth", 145046770, 86.838, 98.362, 94.826, 554.076,
                                        crop_size=384),
        "IMAGENET1K_SWAG_LINEAR_V1": _swag("regnet_y_32gf_lc_swag-e1583746.pth", 145046770, 84.622, 97.480,
                                           32.28, 554.076, crop_size=224),
    },
    "RegNet_Y_128GF_Weights": {
        "IMAGENET1K_SWAG_E2E_V1": _swag("regnet_y_128gf_swag-c8ce3e52.pth", 644812894, 88.228, 98.682, 374.57, 2461.564,
                                        crop_size=384),
        "IMAGENET1K_SWAG_LINEAR_V1": _swag("regnet_y_128gf_lc_swag-cbe8ce12.pth", 644812894, 86.068, 97.844,
                                           127.518, 2461.564, crop_size=224),
    },
    "RegNet_X_400MF_Weights": {
        "IMAGENET1K_V1": _regnet_v1("regnet_x_400mf-adf1edd5.pth", 5495976, 72.834, 90.950, 0.414, 21.258,
                                    "small-models"),
        "IMAGENET1K_V2": _regnet_v2("regnet_x_400mf-62229a5f.pth", 5495976, 74.864, 92.322, 0.414, 21.257,
                                    "new-recipe-with-fixres"),
    },
    "RegNet_X_800MF_Weights": {
        "IMAGENET1K_V1": _regnet_v1("regnet_x_800mf-ad17e45c.pth", 7259656, 75.212, 92.348, 0.8, 27.945,
                                    "small-models"),
        "IMAGENET1K_V2": _regnet_v2("regnet_x_800mf-94a99ebd.pth", 7259656, 77.522, 93.826, 0.8, 27.945,
                                    "new-recipe-with-fixres"),
    },
    "RegNet_X_1_6GF_Weights": {
        "IMAGENET1K_V1": _regnet_v1("regnet_x_1_6gf-e3633e7f.pth", 9190136, 77.040, 93.440, 1.603, 35.339,
                                    "small-models"),
        "IMAGENET1K_V2": _regnet_v2("regnet_x_1_6gf-a12f2b72.pth", 9190136, 79.668, 94.922, 1.603, 35.339,
                                    "new-recipe-with-fixres"),
    },
    "RegNet_X_3_2GF_Weights": {
        "IMAGENET1K_V1": _regnet_v1("regnet_x_3_2gf-f342aeae.pth", 15296552, 78.364, 93.992, 3.177, 58.756,
                                    "medium-models"),
        "IMAGENET1K_V2": _regnet_v2("regnet_x_3_2gf-7071aa85.pth", 15296552, 81.196, 95.430, 3.177, 58.756,
                                    "new-recipe"),
    },
    "RegNet_X_8GF_Weights": {
        "IMAGENET1K_V1": _regnet_v1("regnet_x_8gf-03ceed89.pth", 39572648, 79.344, 94.686, 7.995, 151.456,
                                    "medium-models"),
        "IMAGENET1K_V2": _regnet_v2("regnet_x_8gf-2b70d774.pth", 39572648, 81.682, 95.678, 7.995, 151.456,
                                    "new-recipe"),
    },
    "RegNet_X_16GF_Weights": {
        "IMAGENET1K_V1": _regnet_v1("regnet_x_16gf-2007eb11.pth", 54278536, 80.058, 94.944, 15.941, 207.627,
                                    "medium-models"),
        "IMAGENET1K_V2": _regnet_v2("regnet_x_16gf-ba3796d7.pth", 54278536, 82.716, 96.196, 15.941, 207.627,
                                    "new-recipe"),
    },
    "RegNet_X_32GF_Weights": {
        "IMAGENET1K_V1": _regnet_v1("regnet_x_32gf-9d47f8d0.pth", 107811560, 80.622, 95.248, 31.736, 412.039,
                                    "large-models"),
        "IMAGENET1K_V2": _regnet_v2("regnet_x_32gf-6eb8fdc6.pth", 107811560, 83.014, 96.288, 31.736, 412.039,
                                    "new-recipe"),
    },
    "Inception_V3_Weights": {"IMAGENET1K_V1": _inception_v3("inception_v3_google-0cc3c7bd.pth", 27161264, 77.294,
                                                            93.450, 5.713, 103.903)},
}


# the order of each family's meta keys in torchvision (printed metas, ``list(meta)``): its modules spread a common
# dict of some keys into each weights' own; weights carrying a licence (SWAG's) spread recipe and licence first
_META_ORDERS = {
    ("num_params", "min_size", "categories", "recipe"): ("AlexNet", "GoogLeNet", "Inception_V3", "MobileNet_V2"),
    ("min_size", "categories", "recipe", "_docs", "num_params"): ("ConvNeXt", "DenseNet", "VGG"),
    ("categories", "min_size", "_docs", "num_params", "recipe"): ("DeepLabV3", "FCN"),
    ("categories", "min_size", "recipe", "num_params"): ("EfficientNet",),
    ("num_params", "categories", "min_size", "recipe"): ("LRASPP",),
    ("categories", "num_params", "min_size", "recipe"): ("MaxVit", "Swin", "ViT"),
    ("min_size", "categories", "num_params", "recipe"): ("MobileNet_V3", "RegNet", "ResNe", "Wide_ResNet"),
    ("categories", "recipe", "_docs", "min_size", "num_params"): ("SqueezeNet",),
}
_META_TAIL = ("_metrics", "_ops", "_file_size", "_docs")


def _in_torchvisions_order(name, meta):
    """``meta`` of a member of the enum ``name`` with its keys in torchvision's order."""
    head = next((order for order, families in _META_ORDERS.items() if name.startswith(families)), ())
    if "license" in meta and "recipe" in head:
        head = tuple(key for key in head if key != "recipe")
        cut = head.index("num_params")
        head = head[:cut] + ("recipe", "license") + head[cut:]
    order = head + tuple(key for key in meta if key not in head and key not in _META_TAIL) + _META_TAIL
    return {key: meta[key] for key in sorted(meta, key=order.index)}


def weights_enum(name, module):
    """The WeightsEnum subclass ``name`` of ``_TABLE``, as defined in ``module`` (whose attribute it must become,
    for pickling)."""
    members = _TABLE[name]
    for weights in members.values():
        ordered = _in_torchvisions_order(name, weights.meta)
        weights.meta.clear()
        weights.meta.update(ordered)
    # torchvision's DEFAULT: the best ImageNet-1K-only weights, the end-to-end SWAG ones where there are no others
    default = next(members[name] for name in ("IMAGENET1K_V2", "IMAGENET1K_V1", "IMAGENET1K_SWAG_E2E_V1")
                   if name in members)
    # an equal value makes DEFAULT an alias of that member, as `DEFAULT = IMAGENET1K_V1` does in a class body
    return WeightsEnum(name, [*members.items(), ("DEFAULT", default)], module=module, qualname=name)
