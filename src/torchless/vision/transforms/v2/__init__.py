"""Image transforms with the interface of ``torchvision.transforms.v2``, as modern tutorials write them::

    from torchless.vision.transforms import v2
    transform = v2.Compose([v2.ToImage(), v2.ToDtype(torchless.float32, scale=True),
                            v2.Normalize(mean, std)])

A transform takes a whole sample -- ``t(img)``, ``t(img, target)``, ``t((img, target))``, lists and dicts --
and transforms the images, videos, masks, bounding boxes and keypoints in it (``torchless.vision.tv_tensors``)
with parameters drawn once for the sample, passing the other items through (a pure tensor is the image only when
the sample holds no ``tv_tensors.Image`` / ``Video`` / PIL image, and only the first one); the functionals
dispatch on the tv_tensor type (see ``_tv_kernels``). The geometric transforms keep v1's argument checks and
parameter draws (v1's classes underneath, with v2's reprs, ``_v1_based``); the colour transforms whose v2
functionals differ call v2's; ``ToImage``, ``ToDtype``, ``ToPureTensor``, ``ConvertImageDtype``, the deprecated
``ToTensor``, the box transforms and the automatic augmentations are v2's own.
"""
from .. import InterpolationMode
from . import functional
from ._box_transforms import (ClampBoundingBoxes, ClampKeyPoints, ConvertBoundingBoxFormat, RandomIoUCrop,
                              SanitizeBoundingBoxes, SanitizeKeyPoints, SetClampingMode)
from ._auto_augment import AugMix, AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from ._color_transforms import (GaussianBlur, Grayscale, RandomAdjustSharpness, RandomAutocontrast, RandomEqualize,
                                RandomGrayscale, RandomInvert, RandomPosterize, RandomSolarize)
from ._extra_transforms import (JPEG, RGB, GaussianNoise, Identity, LinearTransformation, RandomChannelPermutation,
                                RandomPhotometricDistort, RandomResize, RandomShortestSize, RandomZoomOut, ScaleJitter,
                                UniformTemporalSubsample)
from ._mixing import CutMix, MixUp
from ._conversion_transforms import ConvertImageDtype, ToDtype, ToImage, ToPureTensor, ToTensor
from ._transform import Transform
from ._utils import check_type, get_bounding_boxes, get_keypoints, has_all, has_any, query_chw, query_size
from ._v1_based import (CenterCrop, ColorJitter, Compose, ElasticTransform, FiveCrop, Lambda, Normalize, Pad,
                        PILToTensor, RandomAffine, RandomApply, RandomChoice, RandomCrop, RandomErasing,
                        RandomHorizontalFlip, RandomOrder, RandomPerspective, RandomResizedCrop, RandomRotation,
                        RandomVerticalFlip, Resize, TenCrop, ToPILImage)

__all__ = ["AugMix", "AutoAugment", "AutoAugmentPolicy", "CenterCrop", "ClampBoundingBoxes", "ClampKeyPoints",
           "ColorJitter", "Compose", "ConvertBoundingBoxFormat", "ConvertImageDtype", "CutMix", "ElasticTransform",
           "FiveCrop", "GaussianBlur", "GaussianNoise", "Grayscale", "Identity", "InterpolationMode", "JPEG",
           "Lambda", "LinearTransformation", "MixUp", "Normalize", "PILToTensor", "Pad", "RGB", "RandAugment",
           "RandomAdjustSharpness", "RandomAffine", "RandomApply", "RandomAutocontrast", "RandomChannelPermutation",
           "RandomChoice", "RandomCrop", "RandomEqualize", "RandomErasing", "RandomGrayscale", "RandomHorizontalFlip",
           "RandomInvert", "RandomIoUCrop", "RandomOrder", "RandomPerspective", "RandomPhotometricDistort",
           "RandomPosterize", "RandomResize", "RandomResizedCrop", "RandomRotation", "RandomShortestSize",
           "RandomSolarize", "RandomVerticalFlip", "RandomZoomOut", "Resize", "SanitizeBoundingBoxes",
           "SanitizeKeyPoints", "ScaleJitter", "SetClampingMode", "TenCrop", "ToDtype", "ToImage", "ToPILImage",
           "ToPureTensor", "ToTensor", "Transform", "TrivialAugmentWide", "UniformTemporalSubsample", "check_type",
           "functional", "get_bounding_boxes", "get_keypoints", "has_all", "has_any", "query_chw", "query_size"]
