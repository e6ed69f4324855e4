"""Image transforms with the interface of ``torchvision.transforms.v2``, as modern tutorials write them::

    from torchless.vision.transforms import v2
    transform = v2.Compose([v2.ToImage(), v2.ToDtype(torchless.float32, scale=True),
                            v2.Normalize(mean, std)])

The geometric transforms are v1's classes (v2's act the same on one image); the colour transforms whose v2
functionals differ (``RandomPosterize``/``RandomEqualize`` of float images, v2's errors, batch dimensions) call
v2's functionals; ``ToImage``, ``ToDtype``, ``ToPureTensor``, ``ConvertImageDtype`` and the deprecated
``ToTensor`` are v2's own, and so are the automatic augmentations (``AutoAugment``, ``RandAugment``,
``TrivialAugmentWide``, ``AugMix``: v2's magnitude tables and fills). The reprs are v2's (``_v1_based`` gives the
v1 classes v2's arguments and reprs).

Limitation: torchless's v2 transforms act on one image (tensor, array or PIL image). torchvision's v2 also
transforms bounding boxes, masks and videos jointly with the image (``tv_tensors``) and takes nested
samples such as ``(image, target)``; torchless has no ``tv_tensors`` and does neither.
"""
from .. import InterpolationMode
from . import functional
from ._box_transforms import (ClampBoundingBoxes, ConvertBoundingBoxFormat, RandomIoUCrop, SanitizeBoundingBoxes,
                              SetClampingMode)
from ._auto_augment import AugMix, AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from ._color_transforms import (GaussianBlur, Grayscale, RandomAdjustSharpness, RandomAutocontrast, RandomEqualize,
                                RandomGrayscale, RandomInvert, RandomPosterize, RandomSolarize)
from ._extra_transforms import (JPEG, RGB, GaussianNoise, Identity, LinearTransformation, RandomChannelPermutation,
                                RandomPhotometricDistort, RandomResize, RandomShortestSize, RandomZoomOut, ScaleJitter,
                                UniformTemporalSubsample)
from ._mixing import CutMix, MixUp
from ._conversion_transforms import ConvertImageDtype, ToDtype, ToImage, ToPureTensor, ToTensor
from ._transform import Transform
from ._v1_based import (CenterCrop, ColorJitter, Compose, ElasticTransform, FiveCrop, TenCrop, Lambda, Normalize, Pad, PILToTensor,
                        RandomAffine, RandomApply, RandomChoice, RandomCrop, RandomErasing, RandomHorizontalFlip,
                        RandomOrder, RandomPerspective, RandomResizedCrop, RandomRotation, RandomVerticalFlip, Resize,
                        ToPILImage)

__all__ = ["AugMix", "AutoAugment", "AutoAugmentPolicy", "CenterCrop", "ClampBoundingBoxes", "ConvertBoundingBoxFormat",
           "SanitizeBoundingBoxes", "SetClampingMode", "ColorJitter", "Compose", "ConvertImageDtype",
           "CutMix", "ElasticTransform", "FiveCrop", "GaussianBlur", "GaussianNoise", "Grayscale", "Identity",
           "InterpolationMode", "JPEG", "Lambda", "LinearTransformation", "MixUp", "Normalize", "PILToTensor", "Pad",
           "RGB", "RandAugment", "RandomAdjustSharpness", "RandomAffine", "RandomApply", "RandomAutocontrast",
           "RandomChannelPermutation", "RandomChoice", "RandomCrop", "RandomEqualize", "RandomErasing",
           "RandomGrayscale", "RandomHorizontalFlip", "RandomInvert", "RandomIoUCrop", "RandomOrder", "RandomPerspective",
           "RandomPhotometricDistort", "RandomPosterize", "RandomResize", "RandomResizedCrop", "RandomRotation",
           "RandomShortestSize", "RandomSolarize", "RandomVerticalFlip", "RandomZoomOut", "Resize", "ScaleJitter",
           "TenCrop", "ToDtype", "ToImage", "ToPILImage", "ToPureTensor", "ToTensor", "Transform",
           "TrivialAugmentWide", "UniformTemporalSubsample", "functional"]
