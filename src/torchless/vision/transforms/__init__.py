"""Image transforms with torchvision's interface (``torchvision.transforms``); see ``functional`` for the
image types accepted."""
from . import functional
from .functional import InterpolationMode
from .transforms import (CenterCrop, ColorJitter, Compose, GaussianBlur, Grayscale, Lambda, Normalize, Pad,
                         RandomAffine, RandomApply, RandomAutocontrast, RandomChoice, RandomCrop, RandomErasing,
                         RandomHorizontalFlip, RandomInvert, RandomOrder, RandomResizedCrop, RandomRotation,
                         RandomTransforms, RandomVerticalFlip, Resize, ToTensor)

__all__ = ["CenterCrop", "ColorJitter", "Compose", "GaussianBlur", "Grayscale", "InterpolationMode", "Lambda",
           "Normalize", "Pad", "RandomAffine", "RandomApply", "RandomAutocontrast", "RandomChoice", "RandomCrop",
           "RandomErasing", "RandomHorizontalFlip", "RandomInvert", "RandomOrder", "RandomResizedCrop",
           "RandomRotation", "RandomTransforms", "RandomVerticalFlip", "Resize", "ToTensor", "functional"]
