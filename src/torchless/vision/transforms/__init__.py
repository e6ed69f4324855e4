"""Image transforms with torchvision's interface (``torchvision.transforms``); see ``functional`` for the
image types accepted."""
from . import functional
from .functional import InterpolationMode
from .transforms import (CenterCrop, ColorJitter, Compose, ConvertImageDtype, FiveCrop, GaussianBlur, Grayscale,
                         Lambda, Normalize, Pad, PILToTensor, RandomAdjustSharpness, RandomAffine, RandomApply,
                         RandomAutocontrast, RandomChoice, RandomCrop, RandomEqualize, RandomErasing, RandomGrayscale,
                         RandomHorizontalFlip, RandomInvert, RandomOrder, RandomPerspective, RandomPosterize,
                         RandomResizedCrop, RandomRotation, RandomSolarize, RandomTransforms, RandomVerticalFlip,
                         Resize, TenCrop, ToPILImage, ToTensor)

__all__ = ["CenterCrop", "ColorJitter", "Compose", "ConvertImageDtype", "FiveCrop", "GaussianBlur", "Grayscale",
           "InterpolationMode", "Lambda", "Normalize", "Pad", "PILToTensor", "RandomAdjustSharpness", "RandomAffine",
           "RandomApply", "RandomAutocontrast", "RandomChoice", "RandomCrop", "RandomEqualize", "RandomErasing",
           "RandomGrayscale", "RandomHorizontalFlip", "RandomInvert", "RandomOrder", "RandomPerspective",
           "RandomPosterize", "RandomResizedCrop", "RandomRotation", "RandomSolarize", "RandomTransforms",
           "RandomVerticalFlip", "Resize", "TenCrop", "ToPILImage", "ToTensor", "functional"]
