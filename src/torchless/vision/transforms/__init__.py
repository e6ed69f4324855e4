"""Image transforms with torchvision's interface (``torchvision.transforms``); see ``functional`` for the
image types accepted."""
from . import autoaugment, functional
from .autoaugment import AugMix, AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from .functional import InterpolationMode
from .transforms import (CenterCrop, ColorJitter, Compose, ConvertImageDtype, ElasticTransform, FiveCrop,
                         GaussianBlur, Grayscale, Lambda, LinearTransformation, Normalize, Pad, PILToTensor, RandomAdjustSharpness,
                         RandomAffine, RandomApply, RandomAutocontrast, RandomChoice, RandomCrop, RandomEqualize,
                         RandomErasing, RandomGrayscale, RandomHorizontalFlip, RandomInvert, RandomOrder,
                         RandomPerspective, RandomPosterize, RandomResizedCrop, RandomRotation, RandomSolarize,
                         RandomTransforms, RandomVerticalFlip, Resize, TenCrop, ToPILImage, ToTensor)

__all__ = ["AugMix", "AutoAugment", "AutoAugmentPolicy", "CenterCrop", "ColorJitter", "Compose", "ConvertImageDtype",
           "ElasticTransform", "FiveCrop", "GaussianBlur", "Grayscale", "InterpolationMode", "Lambda",
           "LinearTransformation", "Normalize",
           "Pad", "PILToTensor", "RandomAdjustSharpness", "RandomAffine", "RandAugment", "RandomApply",
           "RandomAutocontrast", "RandomChoice", "RandomCrop", "RandomEqualize", "RandomErasing", "RandomGrayscale",
           "RandomHorizontalFlip", "RandomInvert", "RandomOrder", "RandomPerspective", "RandomPosterize",
           "RandomResizedCrop", "RandomRotation", "RandomSolarize", "RandomTransforms", "RandomVerticalFlip",
           "Resize", "TenCrop", "ToPILImage", "ToTensor", "TrivialAugmentWide", "autoaugment", "functional"]
