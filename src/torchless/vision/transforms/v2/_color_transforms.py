"""v2's colour transforms: v1's classes calling v2's functionals (``posterize``/``equalize`` of float images,
v2's errors for bool images and thresholds, any number of batch dimensions), with v2's reprs for the random
ones (``p`` first, as v2's ``extra_repr`` lists the attributes)."""
from .. import transforms as _v1
from . import _color as F
from ._repr import V2Repr
from ._transform import SampleTransform, TransformModule, image_leaf
from ._utils import query_chw


def _check_p(p):
    # v2's _RandomApplyTransform refuses a probability outside [0, 1] (v1 takes any)
    if not 0.0 <= p <= 1.0:
        raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")


class _RandomApplied(SampleTransform):
    """A v1 colour transform of probability ``p`` made v2's: one draw per sample, then every image changed."""

    _v2_random_apply = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _check_p(self.p)

    def _transform_one(self, inpt):
        return self._apply(inpt)


class RandomInvert(_RandomApplied, _v1.RandomInvert, TransformModule):
    __doc__ = _v1.RandomInvert.__doc__
    _function = staticmethod(F.invert)


class RandomAutocontrast(_RandomApplied, _v1.RandomAutocontrast, TransformModule):
    __doc__ = _v1.RandomAutocontrast.__doc__
    _function = staticmethod(F.autocontrast)


class RandomEqualize(_RandomApplied, _v1.RandomEqualize, TransformModule):
    """Equalize the histogram of the image with probability ``p``; v2 takes float images too (equalized on
    their uint8 conversion)."""
    _function = staticmethod(F.equalize)


class _V2Repr(V2Repr):
    """v2's repr of p and the setting (v1's names the setting first, and shows one of any type)."""

    @property
    def _v2_repr_attrs(self):
        return [("p", self.p), (self._setting, getattr(self, self._setting))]


class RandomPosterize(_RandomApplied, _V2Repr, _v1.RandomPosterize, TransformModule):
    """Posterize the image with probability ``p``, keeping ``bits`` bits; v2 takes float images too
    (quantised to ``2 ** bits`` levels)."""
    _function = staticmethod(F.posterize)


class RandomSolarize(_RandomApplied, _V2Repr, _v1.RandomSolarize, TransformModule):
    __doc__ = _v1.RandomSolarize.__doc__
    _function = staticmethod(F.solarize)


class RandomAdjustSharpness(_RandomApplied, _V2Repr, _v1.RandomAdjustSharpness, TransformModule):
    __doc__ = _v1.RandomAdjustSharpness.__doc__
    _function = staticmethod(F.adjust_sharpness)


class GaussianBlur(SampleTransform, V2Repr, _v1.GaussianBlur, TransformModule):
    __doc__ = _v1.GaussianBlur.__doc__

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        from ._v1_based import _number_or_pair

        super().__init__(kernel_size, 1.0)  # v1's kernel size checks; v2 checks sigma its own way
        # v2 keeps sigma as a list of two floats (one number or a one-element sequence for both)
        self.sigma = _number_or_pair(sigma, "sigma")
        if not 0.0 < self.sigma[0] <= self.sigma[1]:
            raise ValueError(f"sigma values should be positive and of the form (min, max). Got {self.sigma}")
        self._v2_repr_attrs = [("kernel_size", self.kernel_size), ("sigma", [float(s) for s in self.sigma])]

    def forward(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def make_params(self, flat_inputs):
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return {"sigma": [sigma, sigma]}

    def transform(self, inpt, params):
        return image_leaf(inpt, lambda image: F.gaussian_blur(image, self.kernel_size, params["sigma"]))


class Grayscale(SampleTransform, _v1.Grayscale, TransformModule):
    __doc__ = _v1.Grayscale.__doc__
    _transforms_videos = False

    def forward(self, img):
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)


class RandomGrayscale(SampleTransform, _v1.RandomGrayscale, TransformModule):
    """v1's ``RandomGrayscale`` through v2's ``rgb_to_grayscale``: an image of neither 1 nor 3 channels is refused
    with v2's message (its channel count is the number of output channels asked for)."""

    def __init__(self, p=0.1):
        _check_p(p)
        super().__init__(p)

    def forward(self, img):
        num_output_channels, _, _ = _v1.F.get_dimensions(img)
        if _v1._rand() < self.p:
            return F.rgb_to_grayscale(img, num_output_channels=num_output_channels)
        return img

    _v2_random_apply = True

    def make_params(self, flat_inputs):
        return {"num_input_channels": query_chw(flat_inputs)[0]}

    def transform(self, inpt, params):
        channels = params["num_input_channels"]
        return image_leaf(inpt, lambda image: F.rgb_to_grayscale(image, num_output_channels=channels), videos=False)
