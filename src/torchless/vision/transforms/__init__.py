"""Image transforms with torchvision's interface (``torchvision.transforms``); see ``functional`` for the
image types accepted."""
from . import functional
from .functional import InterpolationMode
from .transforms import CenterCrop, Compose, Grayscale, Lambda, Normalize, Pad, Resize, ToTensor

__all__ = ["CenterCrop", "Compose", "Grayscale", "InterpolationMode", "Lambda", "Normalize", "Pad", "Resize",
           "ToTensor", "functional"]
