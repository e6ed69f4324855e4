"""Transform classes with torchvision's interface (``torchvision.transforms.transforms``): every class is importable
from here as torchvision users import them. They live by concept in ``_conversion_transforms`` (ToTensor,
PILToTensor, ToPILImage, ConvertImageDtype, LinearTransformation, Normalize), ``_geometry_transforms`` (Resize,
crops, Pad, flips, RandomRotation, RandomAffine, RandomPerspective, ElasticTransform), ``_color_transforms``
(Grayscale, ColorJitter and the random colour adjustments), ``_container_transforms`` (Compose, Lambda,
RandomApply/Order/Choice), ``_erasing_blur_transforms`` (RandomErasing, GaussianBlur); the shared base class,
argument checks and random draws are in ``_transform_base``. Random transforms draw from torchless's default
generator as torchvision's draw from torch's; PIL images in give PIL images out.
"""
from . import functional as F  # as torchvision.transforms.transforms.F
from ._color_transforms import (ColorJitter, Grayscale, RandomAdjustSharpness, RandomAutocontrast, RandomEqualize,
                                RandomGrayscale, RandomInvert, RandomPosterize, RandomSolarize)
from ._container_transforms import Compose, Lambda, RandomApply, RandomChoice, RandomOrder, RandomTransforms
from ._conversion_transforms import (ConvertImageDtype, LinearTransformation, Normalize, PILToTensor, ToPILImage,
                                     ToTensor)
from ._erasing_blur_transforms import GaussianBlur, RandomErasing
from ._geometry_transforms import (CenterCrop, ElasticTransform, FiveCrop, Pad, RandomAffine, RandomCrop,
                                   RandomHorizontalFlip, RandomPerspective, RandomResizedCrop, RandomRotation,
                                   RandomVerticalFlip, Resize, TenCrop)
from ._interpolation import InterpolationMode
# the shared helpers, imported from here by v2 and autoaugment
from ._transform_base import (TransformModule, _check_sequence_input, _fill_per_channel, _log, _rand, _randint,
                              _setup_angle, _setup_size, _Transform, _uniform, _WithProbability,
                              _WithProbabilityAndSetting)

__all__ = ["CenterCrop", "ColorJitter", "Compose", "ConvertImageDtype", "ElasticTransform", "FiveCrop",
           "GaussianBlur", "Grayscale", "InterpolationMode", "Lambda", "LinearTransformation", "Normalize", "Pad",
           "PILToTensor", "RandomAdjustSharpness", "RandomAffine", "RandomApply", "RandomAutocontrast",
           "RandomChoice", "RandomCrop", "RandomEqualize", "RandomErasing", "RandomGrayscale",
           "RandomHorizontalFlip", "RandomInvert", "RandomOrder", "RandomPerspective", "RandomPosterize",
           "RandomResizedCrop", "RandomRotation", "RandomSolarize", "RandomTransforms", "RandomVerticalFlip",
           "Resize", "TenCrop", "ToPILImage", "ToTensor", "TransformModule"]

# the classes report this module as theirs, as torchvision's do (reprs, pickles and docs name the public path)
_SPLIT_MODULES = {f"{__package__}.{part}" for part in ("_color_transforms", "_container_transforms",
                                                        "_conversion_transforms", "_erasing_blur_transforms",
                                                        "_geometry_transforms", "_transform_base")}
for _name in __all__:
    if globals()[_name].__module__ in _SPLIT_MODULES:
        globals()[_name].__module__ = __name__
del _name
