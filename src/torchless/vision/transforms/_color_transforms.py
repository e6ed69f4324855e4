"""Colour transforms: Grayscale, ColorJitter, RandomGrayscale, RandomInvert, RandomAutocontrast,
RandomPosterize, RandomSolarize, RandomAdjustSharpness, RandomEqualize.
"""
import numbers

from ..._tensor import Tensor
from ...random import stream
from . import functional as F
from ._transform_base import _Transform, _WithProbability, _WithProbabilityAndSetting, _rand_tensor, _uniform


class Grayscale(_Transform):
    """Convert an RGB image to grayscale (ITU-R 601-2 luma) with 1 or 3 output channels."""

    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self):
        return f"{self.__class__.__name__}(num_output_channels={self.num_output_channels})"


class ColorJitter(_Transform):
    """Randomly change the brightness, contrast, saturation and hue, in a random order.

    Args:
        brightness (float or (min, max)): factor drawn from [max(0, 1 - b), 1 + b] or the given range.
        contrast (float or (min, max)): likewise.
        saturation (float or (min, max)): likewise.
        hue (float or (min, max)): shift drawn from [-h, h] (0 <= h <= 0.5) or the given range in [-0.5, 0.5].
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    def _check_input(self, value, name, center=1, bound=(0, float("inf")), clip_first_on_zero=True):
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        if value[0] == value[1] == center:  # the identity: skip it
            return None
        return tuple(value)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """(order of the four adjustments, brightness, contrast, saturation, hue factors or None)."""
        fn_idx = Tensor._wrap(stream().permutation(4))
        b = None if brightness is None else _uniform(brightness[0], brightness[1])
        c = None if contrast is None else _uniform(contrast[0], contrast[1])
        s = None if saturation is None else _uniform(saturation[0], saturation[1])
        h = None if hue is None else _uniform(hue[0], hue[1])
        return fn_idx, b, c, s, h

    def forward(self, img):
        fn_idx, brightness_factor, contrast_factor, saturation_factor, hue_factor = self.get_params(
            self.brightness, self.contrast, self.saturation, self.hue)
        for fn_id in fn_idx.tolist():
            if fn_id == 0 and brightness_factor is not None:
                img = F.adjust_brightness(img, brightness_factor)
            elif fn_id == 1 and contrast_factor is not None:
                img = F.adjust_contrast(img, contrast_factor)
            elif fn_id == 2 and saturation_factor is not None:
                img = F.adjust_saturation(img, saturation_factor)
            elif fn_id == 3 and hue_factor is not None:
                img = F.adjust_hue(img, hue_factor)
        return img

    def __repr__(self):
        return (f"{self.__class__.__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class RandomGrayscale(_Transform):
    """Convert the image to grayscale with probability ``p`` (default 0.1), keeping its number of channels
    (an RGB image gives three equal channels)."""

    def __init__(self, p=0.1):
        self.p = p

    def forward(self, img):
        num_output_channels, _, _ = F.get_dimensions(img)
        if _rand_tensor() < self.p:
            return F.rgb_to_grayscale(img, num_output_channels=num_output_channels)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class RandomInvert(_WithProbability):
    """Invert the colours with probability ``p`` (default 0.5)."""

    _function = staticmethod(F.invert)


class RandomAutocontrast(_WithProbability):
    """Autocontrast the image with probability ``p`` (default 0.5)."""

    _function = staticmethod(F.autocontrast)


class RandomPosterize(_WithProbabilityAndSetting):
    """Posterize the image (keep ``bits`` bits per channel) with probability ``p`` (default 0.5)."""

    _function, _setting = staticmethod(F.posterize), "bits"

    def __init__(self, bits, p=0.5):
        super().__init__(bits, p)


class RandomSolarize(_WithProbabilityAndSetting):
    """Solarize the image (invert the pixels at or above ``threshold``) with probability ``p`` (default 0.5)."""

    _function, _setting = staticmethod(F.solarize), "threshold"

    def __init__(self, threshold, p=0.5):
        super().__init__(threshold, p)


class RandomAdjustSharpness(_WithProbabilityAndSetting):
    """Adjust the sharpness by ``sharpness_factor`` with probability ``p`` (default 0.5)."""

    _function, _setting = staticmethod(F.adjust_sharpness), "sharpness_factor"

    def __init__(self, sharpness_factor, p=0.5):
        super().__init__(sharpness_factor, p)


class RandomEqualize(_WithProbability):
    """Equalize the histogram of the image with probability ``p`` (default 0.5)."""

    _function = staticmethod(F.equalize)
