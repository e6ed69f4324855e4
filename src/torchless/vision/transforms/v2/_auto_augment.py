"""v2's automatic augmentations (``torchvision.transforms.v2._auto_augment``): v1's operations through v2's
functionals, v2's magnitude tables (solarize thresholds as fractions of the dtype's maximum, so float images
work too), v2's draws (each probability and sign drawn when needed), ``fill`` per input type, interpolation as a
string too, and v2's reprs. Like every torchless v2 transform they take one image (tensor, PIL image or array),
not a sample of several inputs."""
import numbers

import numpy as np

from .... import _creation
from ...._tensor import Tensor
from ..._pillow import is_pil_image
from .. import autoaugment as _v1
from ..autoaugment import AutoAugmentPolicy
from .._transform_base import _rand, _randint
from . import _color
from . import functional as F
from ._transform import Transform, image_leaf
from ._v1_based import _v1_interpolation

__all__ = ["AutoAugment", "AutoAugmentPolicy", "AugMix", "RandAugment", "TrivialAugmentWide"]


def _check_fill_arg(fill):
    if isinstance(fill, dict):
        for value in fill.values():
            _check_fill_arg(value)
    elif fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg, only Numbers, tuples, lists and dicts are allowed.")


def _convert_fill_arg(fill):
    # a number stays a number (fill=0 is not fill=None: it fills, None leaves zeros); sequences become floats (and
    # other numbers, NumPy's, meet torchvision's list(fill))
    if fill is None or isinstance(fill, (int, float)):
        return fill
    return [float(v) for v in list(fill)]


def _setup_fill_arg(fill):
    """``fill`` as v2 keeps it: a dict from input type (or ``"others"``) to the fill of that type."""
    _check_fill_arg(fill)
    if isinstance(fill, dict):
        for key, value in fill.items():  # in place, as torchvision does
            fill[key] = _convert_fill_arg(value)
        return fill
    return {"others": _convert_fill_arg(fill)}


def _get_fill(fill_dict, inpt_type):
    if inpt_type in fill_dict:
        return fill_dict[inpt_type]
    return fill_dict.get("others")


def _uniform_bins(end):
    """A signed table of ``num_bins`` magnitudes from 0 to ``end``."""
    return lambda num_bins, height, width: _creation.linspace(0.0, end, num_bins), True


def _posterize_bins(highest, levels):
    return lambda num_bins, height, width: _v1._posterize_bits(highest, num_bins, levels), False


_NO_MAGNITUDE = (lambda num_bins, height, width: None, False)
_SOLARIZE = (lambda num_bins, height, width: _creation.linspace(1.0, 0.0, num_bins), False)
_COLOUR = {name: _uniform_bins(0.9) for name in ("Brightness", "Color", "Contrast", "Sharpness")}


def _shared_space():
    """What AutoAugment's and RandAugment's tables share: fn(num_bins, height, width) -> magnitudes, and signed."""
    return {
        "ShearX": _uniform_bins(0.3), "ShearY": _uniform_bins(0.3),
        "TranslateX": (lambda num_bins, height, width: _creation.linspace(0.0, 150.0 / 331.0 * width, num_bins), True),
        "TranslateY": (lambda num_bins, height, width: _creation.linspace(0.0, 150.0 / 331.0 * height, num_bins),
                       True),
        "Rotate": _uniform_bins(30.0), **_COLOUR, "Posterize": _posterize_bins(8, 4), "Solarize": _SOLARIZE,
        "AutoContrast": _NO_MAGNITUDE, "Equalize": _NO_MAGNITUDE,
    }


# The docstring entries the automatic augmentations share, as they stand in them (stripped: filled in at their
# indentation)
_AUGMENT_DOCS = {
    "images_only": """
    Only images (and videos) are transformed: a uint8 tensor of shape [..., 1 or 3, H, W] (any number of
    leading dimensions) or a PIL image in mode "L" or "RGB".
    """.strip(),
    "num_magnitude_bins": """
        num_magnitude_bins (int, optional): how many magnitude bins each operation's range is split into.
            Default: 31.
    """.strip(),
    "fill": """
        fill (sequence or number, optional): value of the pixels outside the transformed image: one per
            channel, or one number for all channels. Default: ``None``.
    """.strip(),
}


class _AutoAugmentBase(Transform):
    # torchless's arrays stand in for PIL images here (as in v1's classes)
    _transformed_types = (Tensor, is_pil_image, np.ndarray)

    def __init__(self, *, interpolation="nearest", fill=None):
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill_arg(fill)

    def check_inputs(self, flat_inputs):
        from ... import tv_tensors as tv

        images = 0
        for inpt, needs in zip(flat_inputs, self._needs_transform_list(flat_inputs)):
            unsupported = isinstance(inpt, (tv.BoundingBoxes, tv.Mask, tv.KeyPoints))
            if needs and not unsupported:
                images += 1
            elif unsupported:
                raise TypeError(f"Inputs of type {type(inpt).__name__} are not supported by {type(self).__name__}()")
        if not images:
            raise TypeError("Found no image in the sample.")
        if images > 1:
            raise TypeError(f"Auto augment transformations are only properly defined for a single image or video, "
                             f"but found {images}.")

    def _get_random_item(self, dct):
        keys = tuple(dct.keys())
        key = keys[_randint(0, len(keys))]
        return key, dct[key]

    @staticmethod
    def _image_size(inpt):
        """(height, width) of the image; TypeError, as v2 raises, for anything but an image."""
        if not (isinstance(inpt, (Tensor, np.ndarray)) or is_pil_image(inpt)):
            raise TypeError("Found no image in the sample.")
        _, height, width = F.get_dimensions(inpt)
        return height, width

    def _signed_magnitude(self, magnitudes_fn, signed, num_bins, height, width, draw_index):
        magnitudes = magnitudes_fn(num_bins, height, width)
        if magnitudes is None:
            return 0.0
        magnitude = float(magnitudes[draw_index()])
        if signed and _rand() <= 0.5:
            magnitude *= -1
        return magnitude

    def _apply_image_or_video_transform(self, image, transform_id, magnitude, interpolation, fill):
        """``image`` transformed by ``transform_id`` at ``magnitude`` with v2's functionals; ``fill`` is the
        dict of fills by input type."""
        fill_ = _get_fill(fill, type(image))
        if transform_id not in _v1._OPS:
            raise ValueError(f"No transform available for {transform_id}")
        if transform_id == "Solarize":
            magnitude = (_color._max_value(image) if isinstance(image, Tensor) else 255.0) * magnitude
        return _v1._OPS[transform_id](F, image, magnitude, _v1_interpolation(interpolation), fill_)


class AutoAugment(_AutoAugmentBase):
    __doc__ = """AutoAugment, from `"AutoAugment: Learning Augmentation Strategies from Data"
    <https://arxiv.org/pdf/1805.09501.pdf>`_: apply one randomly chosen sub-policy (two operations, each with
    its own probability and magnitude) of a policy learned on a dataset.

    {images_only}

    Args:
        policy (AutoAugmentPolicy, optional): which learned policy to use, a
            :class:`torchless.vision.transforms.autoaugment.AutoAugmentPolicy`. Default:
            ``AutoAugmentPolicy.IMAGENET``.
        interpolation (str or InterpolationMode, optional): resampling for the geometric operations: a
            :class:`torchless.vision.transforms.v2.InterpolationMode`, its string value (``"nearest"``,
            ``"nearest-exact"``, ``"bilinear"``, ``"bicubic"``, and, for PIL images only, ``"box"``,
            ``"hamming"``, ``"lanczos"``) or a Pillow constant such as ``PIL.Image.BILINEAR``.
            Default: ``"nearest"``.
        fill (sequence or number, optional): value of the pixels outside the transformed image: one per
            channel, or one number for all channels. Default: ``None``.
    """.format(**_AUGMENT_DOCS)

    _AUGMENTATION_SPACE = {**_shared_space(), "Invert": _NO_MAGNITUDE}

    def __init__(self, policy=AutoAugmentPolicy.IMAGENET, interpolation="nearest", fill=None):
        super().__init__(interpolation=interpolation, fill=fill)
        self.policy = policy
        self._policies = self._get_policies(policy)

    def _get_policies(self, policy):
        return _v1._get_policies(policy)

    def _transform(self, inpt):
        height, width = self._image_size(inpt)
        policy = self._policies[_randint(0, len(self._policies))]
        for transform_id, probability, magnitude_idx in policy:
            if not _rand() <= probability:
                continue
            magnitudes_fn, signed = self._AUGMENTATION_SPACE[transform_id]
            magnitude = self._signed_magnitude(magnitudes_fn, signed, 10, height, width, lambda: magnitude_idx)
            inpt = self._apply_image_or_video_transform(inpt, transform_id, magnitude,
                                                        interpolation=self.interpolation, fill=self._fill)
        return inpt


class RandAugment(_AutoAugmentBase):
    __doc__ = """RandAugment, from `"RandAugment: Practical automated data augmentation with a reduced search space"
    <https://arxiv.org/abs/1909.13719>`_: apply ``num_ops`` operations drawn uniformly at random, all at the
    same ``magnitude``.

    {images_only}

    Args:
        num_ops (int, optional): how many operations to apply in a row, an integer >= 0. Default: 2.
        magnitude (int, optional): the magnitude bin used by every operation. Default: 9.
        {num_magnitude_bins}
        interpolation (str or InterpolationMode, optional): resampling for the geometric operations, as for
            ``AutoAugment``. Default: ``"nearest"``.
        fill (sequence or number, optional): value of the pixels outside the transformed image: one per
            channel, or one number for all channels. Default: ``None``.
    """.format(**_AUGMENT_DOCS)

    _AUGMENTATION_SPACE = {"Identity": _NO_MAGNITUDE, **_shared_space()}

    def __init__(self, num_ops=2, magnitude=9, num_magnitude_bins=31, interpolation="nearest", fill=None):
        super().__init__(interpolation=interpolation, fill=fill)
        if not isinstance(num_ops, int) or (num_ops < 0):
            raise ValueError(f"num_ops should be a non-negative integer, but got {num_ops} instead.")
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins

    def _transform(self, inpt):
        height, width = self._image_size(inpt)
        for _ in range(self.num_ops):
            transform_id, (magnitudes_fn, signed) = self._get_random_item(self._AUGMENTATION_SPACE)
            magnitude = self._signed_magnitude(magnitudes_fn, signed, self.num_magnitude_bins, height, width,
                                               lambda: self.magnitude)
            inpt = self._apply_image_or_video_transform(inpt, transform_id, magnitude,
                                                        interpolation=self.interpolation, fill=self._fill)
        return inpt


class TrivialAugmentWide(_AutoAugmentBase):
    __doc__ = """TrivialAugment Wide, from `"TrivialAugment: Tuning-free Yet State-of-the-Art Data Augmentation"
    <https://arxiv.org/abs/2103.10158>`_: apply one operation drawn at random, at a magnitude drawn at
    random; nothing depends on the dataset.

    {images_only}

    Args:
        {num_magnitude_bins}
        interpolation (str or InterpolationMode, optional): resampling for the geometric operations, as for
            ``AutoAugment``. Default: ``"nearest"``.
        fill (sequence or number, optional): value of the pixels outside the transformed image: one per
            channel, or one number for all channels. Default: ``None``.
    """.format(**_AUGMENT_DOCS)

    _AUGMENTATION_SPACE = {
        "Identity": _NO_MAGNITUDE, "ShearX": _uniform_bins(0.99), "ShearY": _uniform_bins(0.99),
        "TranslateX": _uniform_bins(32.0), "TranslateY": _uniform_bins(32.0), "Rotate": _uniform_bins(135.0),
        **{name: _uniform_bins(0.99) for name in _COLOUR}, "Posterize": _posterize_bins(8, 6),
        "Solarize": _SOLARIZE, "AutoContrast": _NO_MAGNITUDE, "Equalize": _NO_MAGNITUDE,
    }

    def __init__(self, num_magnitude_bins=31, interpolation="nearest", fill=None):
        super().__init__(interpolation=interpolation, fill=fill)
        self.num_magnitude_bins = num_magnitude_bins

    def _transform(self, inpt):
        height, width = self._image_size(inpt)
        transform_id, (magnitudes_fn, signed) = self._get_random_item(self._AUGMENTATION_SPACE)
        magnitude = self._signed_magnitude(magnitudes_fn, signed, self.num_magnitude_bins, height, width,
                                           lambda: _randint(0, self.num_magnitude_bins))
        return self._apply_image_or_video_transform(inpt, transform_id, magnitude, interpolation=self.interpolation,
                                                    fill=self._fill)


class AugMix(_AutoAugmentBase):
    __doc__ = """AugMix, from `"AugMix: A Simple Data Processing Method to Improve Robustness and Uncertainty"
    <https://arxiv.org/abs/1912.02781>`_: mix the image with several chains of random operations, with
    Dirichlet and Beta weights.

    {images_only}

    Args:
        severity (int, optional): strength of the operations, from 1 to 10. Default: ``3``.
        mixture_width (int, optional): how many chains are mixed. Default: ``3``.
        chain_depth (int, optional): operations per chain; a negative value draws it from [1, 3] for each
            chain. Default: ``-1``.
        alpha (float, optional): parameter of the Dirichlet and Beta distributions of the weights.
            Default: ``1.0``.
        all_ops (bool, optional): also use the colour operations (brightness, contrast, color, sharpness).
            Default: ``True``.
        interpolation (str or InterpolationMode, optional): resampling for the geometric operations, as for
            ``AutoAugment``. Default: ``"bilinear"``.
        fill (sequence or number, optional): value of the pixels outside the transformed image: one per
            channel, or one number for all channels. Default: ``None``.
    """.format(**_AUGMENT_DOCS)

    _PARTIAL_AUGMENTATION_SPACE = {
        "ShearX": _uniform_bins(0.3), "ShearY": _uniform_bins(0.3),
        "TranslateX": (lambda num_bins, height, width: _creation.linspace(0.0, width / 3.0, num_bins), True),
        "TranslateY": (lambda num_bins, height, width: _creation.linspace(0.0, height / 3.0, num_bins), True),
        "Rotate": _uniform_bins(30.0), "Posterize": _posterize_bins(4, 4), "Solarize": _SOLARIZE,
        "AutoContrast": _NO_MAGNITUDE, "Equalize": _NO_MAGNITUDE,
    }
    _AUGMENTATION_SPACE = {**_PARTIAL_AUGMENTATION_SPACE, **_COLOUR}

    def __init__(self, severity=3, mixture_width=3, chain_depth=-1, alpha=1.0, all_ops=True,
                 interpolation="bilinear", fill=None):
        super().__init__(interpolation=interpolation, fill=fill)
        self._PARAMETER_MAX = 10
        _v1._check_severity(severity, self._PARAMETER_MAX)
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops

    def _sample_dirichlet(self, params):
        # a method of its own so that tests can replace it, as in torchvision
        return _v1._sample_dirichlet(params)

    def transform(self, inpt, params):
        from ... import tv_tensors as tv

        # a video's frames are mixed with one set of weights, a batch's images each with its own
        batch_ndim = 5 if isinstance(inpt, tv.Video) else 4
        return image_leaf(inpt, lambda image: self._mixed(image, batch_ndim), self._transforms_videos)

    def _transform(self, inpt):
        return self._mixed(inpt, 4)

    def _mixed(self, inpt, batch_ndim):
        height, width = self._image_size(inpt)
        image = inpt if isinstance(inpt, Tensor) else F.pil_to_tensor(inpt)
        space = self._AUGMENTATION_SPACE if self.all_ops else self._PARTIAL_AUGMENTATION_SPACE

        def draw_op(aug):
            transform_id, (magnitudes_fn, signed) = self._get_random_item(space)
            magnitude = self._signed_magnitude(magnitudes_fn, signed, self._PARAMETER_MAX, height, width,
                                               lambda: int(_creation.randint(self.severity, ())))
            return self._apply_image_or_video_transform(aug, transform_id, magnitude,
                                                        interpolation=self.interpolation, fill=self._fill)

        mix = _v1._augmix(image, batch_ndim, self.alpha, self.mixture_width, self.chain_depth,
                          self._sample_dirichlet, draw_op)
        if isinstance(inpt, Tensor):
            return mix
        if is_pil_image(inpt):
            return F.to_pil_image(mix)
        return _v1._tensor_as_array(mix, inpt)
