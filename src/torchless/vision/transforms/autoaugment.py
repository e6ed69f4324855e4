"""Automatic augmentation policies (``torchvision.transforms.autoaugment``): ``AutoAugment`` with the learned
``AutoAugmentPolicy`` sub-policies, ``RandAugment``, ``TrivialAugmentWide`` and ``AugMix``.

Every operation is one of the v1 functionals (affine, rotate, the colour adjustments, posterize, solarize,
autocontrast, equalize, invert) with torchvision's magnitudes, so a given operation at a given magnitude gives
torchvision's pixels. The random choices (which operation, its magnitude bin and sign, AugMix's Dirichlet
weights) come from torchless's default generator: ``torchless.manual_seed`` makes them reproducible, but they
are not the draws torch's generator would make.
"""
import enum
import math
from collections.abc import Hashable

import numpy as np

from ... import _creation, _dtype
from ..._tensor import Tensor
from ...random import sample_dirichlet, stream
from .._pillow import is_pil_image
from . import functional as F
from ._interpolation import InterpolationMode
from ._transform_base import _randint, _Transform

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]


def _shear(F, img, magnitude, interpolation, fill, axis):
    # torchvision shears by atan(magnitude) degrees about the top-left corner, so that the pixel map is the
    # official AutoAugment's (1, magnitude, 0, 0, 1, 0)
    shear = [0.0, 0.0]
    shear[axis] = math.degrees(math.atan(magnitude))
    return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=shear, interpolation=interpolation, fill=fill,
                    center=[0, 0])


def _translate(F, img, magnitude, interpolation, fill, axis):
    translate = [0, 0]
    translate[axis] = int(magnitude)
    return F.affine(img, angle=0.0, translate=translate, scale=1.0, interpolation=interpolation, shear=[0.0, 0.0],
                    fill=fill)


# op name -> fn(functional module, img, magnitude, interpolation, fill): v1 and v2 apply the same operations,
# each with its own functionals
_OPS = {
    "Identity": lambda F, img, m, interpolation, fill: img,
    "ShearX": lambda F, img, m, interpolation, fill: _shear(F, img, m, interpolation, fill, 0),
    "ShearY": lambda F, img, m, interpolation, fill: _shear(F, img, m, interpolation, fill, 1),
    "TranslateX": lambda F, img, m, interpolation, fill: _translate(F, img, m, interpolation, fill, 0),
    "TranslateY": lambda F, img, m, interpolation, fill: _translate(F, img, m, interpolation, fill, 1),
    "Rotate": lambda F, img, m, interpolation, fill: F.rotate(img, m, interpolation=interpolation, fill=fill),
    "Brightness": lambda F, img, m, interpolation, fill: F.adjust_brightness(img, 1.0 + m),
    "Color": lambda F, img, m, interpolation, fill: F.adjust_saturation(img, 1.0 + m),
    "Contrast": lambda F, img, m, interpolation, fill: F.adjust_contrast(img, 1.0 + m),
    "Sharpness": lambda F, img, m, interpolation, fill: F.adjust_sharpness(img, 1.0 + m),
    "Posterize": lambda F, img, m, interpolation, fill: F.posterize(img, int(m)),
    "Solarize": lambda F, img, m, interpolation, fill: F.solarize(img, m),
    "AutoContrast": lambda F, img, m, interpolation, fill: F.autocontrast(img),
    "Equalize": lambda F, img, m, interpolation, fill: F.equalize(img),
    "Invert": lambda F, img, m, interpolation, fill: F.invert(img),
}


def _apply_op(img, op_name, magnitude, interpolation, fill):
    """``img`` transformed by the operation ``op_name`` at ``magnitude`` (torchvision's ``_apply_op``)."""
    if op_name not in _OPS:
        raise ValueError(f"The provided operator {op_name} is not recognized.")
    return _OPS[op_name](F, img, magnitude, interpolation, fill)


def _tensor_fill(fill, img, channels):
    """Tensor images take ``fill`` as one float per channel, as torchvision's auto-augmentations pass it."""
    if not isinstance(img, Tensor):
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * channels
    if fill is not None:
        return [float(f) for f in fill]
    return fill


def _posterize_bits(highest, num_bins, levels):
    """``highest`` down to ``highest - levels`` bits over ``num_bins`` bins, as torchvision rounds them (int32)."""
    return highest - (_creation.arange(num_bins) / ((num_bins - 1) / levels)).round().int()


def _no_magnitude():
    return _creation.tensor(0.0)


def _signed_magnitude(magnitudes, signed, draw_index):
    """The magnitude at bin ``draw_index()`` of a table (0.0 for the operations without one, 0-d tables),
    negated at random when the operation is ``signed``."""
    magnitude = float(magnitudes[draw_index()].item()) if magnitudes.ndim > 0 else 0.0
    if signed and _randint(0, 2):
        magnitude *= -1.0
    return magnitude


def _shared_space(num_bins, translate_height, translate_width):
    """The geometric and colour operations AutoAugment and RandAugment share (RandAugment adds Identity)."""
    return {
        "ShearX": (_creation.linspace(0.0, 0.3, num_bins), True),
        "ShearY": (_creation.linspace(0.0, 0.3, num_bins), True),
        "TranslateX": (_creation.linspace(0.0, translate_width, num_bins), True),
        "TranslateY": (_creation.linspace(0.0, translate_height, num_bins), True),
        "Rotate": (_creation.linspace(0.0, 30.0, num_bins), True),
        "Brightness": (_creation.linspace(0.0, 0.9, num_bins), True),
        "Color": (_creation.linspace(0.0, 0.9, num_bins), True),
        "Contrast": (_creation.linspace(0.0, 0.9, num_bins), True),
        "Sharpness": (_creation.linspace(0.0, 0.9, num_bins), True),
        "Posterize": (_posterize_bits(8, num_bins, 4), False),
        "Solarize": (_creation.linspace(255.0, 0.0, num_bins), False),
        "AutoContrast": (_no_magnitude(), False),
        "Equalize": (_no_magnitude(), False),
    }


class AutoAugmentPolicy(enum.Enum):
    """The dataset an AutoAugment policy was searched on: IMAGENET, CIFAR10 or SVHN."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# (operation, probability, magnitude bin) pairs of the sub-policies, as in the AutoAugment paper's appendix
_POLICIES = {
    AutoAugmentPolicy.IMAGENET: [
        (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)), (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)), (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)), (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
        (("Solarize", 0.6, 3), ("Equalize", 0.6, None)), (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
        (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)), (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
        (("Rotate", 0.8, 8), ("Color", 0.4, 0)), (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
        (("Equalize", 0.0, None), ("Equalize", 0.8, None)), (("Invert", 0.6, None), ("Equalize", 1.0, None)),
        (("Color", 0.6, 4), ("Contrast", 1.0, 8)), (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
        (("Color", 0.8, 8), ("Solarize", 0.8, 7)), (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
        (("ShearX", 0.6, 5), ("Equalize", 1.0, None)), (("Color", 0.4, 0), ("Equalize", 0.6, None)),
        (("Equalize", 0.4, None), ("Solarize", 0.2, 4)), (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
        (("Invert", 0.6, None), ("Equalize", 1.0, None)), (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
        (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    ],
    AutoAugmentPolicy.CIFAR10: [
        (("Invert", 0.1, None), ("Contrast", 0.2, 6)), (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
        (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)), (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)), (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
        (("Color", 0.4, 3), ("Brightness", 0.6, 7)), (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
        (("Equalize", 0.6, None), ("Equalize", 0.5, None)), (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
        (("Color", 0.7, 7), ("TranslateX", 0.5, 8)), (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
        (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)), (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
        (("Solarize", 0.5, 2), ("Invert", 0.0, None)), (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
        (("Equalize", 0.2, None), ("Equalize", 0.6, None)), (("Color", 0.9, 9), ("Equalize", 0.6, None)),
        (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)), (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
        (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)), (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
        (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)), (("Equalize", 0.8, None), ("Invert", 0.1, None)),
        (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None)),
    ],
    AutoAugmentPolicy.SVHN: [
        (("ShearX", 0.9, 4), ("Invert", 0.2, None)), (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.6, None), ("Solarize", 0.6, 6)), (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Equalize", 0.6, None), ("Rotate", 0.9, 3)), (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
        (("ShearY", 0.9, 8), ("Invert", 0.4, None)), (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
        (("Invert", 0.9, None), ("AutoContrast", 0.8, None)), (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
        (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)), (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
        (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)), (("Invert", 0.9, None), ("Equalize", 0.6, None)),
        (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)), (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
        (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)), (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
        (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)), (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
        (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)), (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
        (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)), (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
        (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
    ],
}


def _get_policies(policy):
    """The sub-policies of ``policy`` (fresh lists: a transform may edit its own)."""
    if not isinstance(policy, Hashable) or policy not in _POLICIES:  # (a list is not a policy either)
        raise ValueError(f"The provided policy {policy} is not recognized.")
    return list(_POLICIES[policy])


def _sample_dirichlet(params):
    """One Dirichlet draw per row of ``params``: ``torch._sample_dirichlet``'s, from torch's stream (whose CPU kernel
    has no integer version: an int ``alpha`` makes a Long tensor of concentrations)."""
    check_dirichlet_dtype(params.dtype)
    return Tensor._wrap(sample_dirichlet(np.ascontiguousarray(params._data)))


def check_dirichlet_dtype(dtype):
    if not dtype.is_floating_point:
        raise NotImplementedError(f"\"dirichlet\" not implemented for '{dtype.scalar_name}'")


class AutoAugment(_Transform):
    """AutoAugment, from `"AutoAugment: Learning Augmentation Strategies from Data"
    <https://arxiv.org/pdf/1805.09501.pdf>`_: apply one randomly chosen sub-policy (two operations, each with
    its own probability and magnitude) of a policy learned on a dataset.

    Input: a uint8 tensor of shape [..., 1 or 3, H, W] (any number of leading dimensions) or a PIL image in
    mode "L" or "RGB".

    Args:
        policy (AutoAugmentPolicy): which learned policy to use, a
            :class:`torchless.vision.transforms.autoaugment.AutoAugmentPolicy`. Default:
            ``AutoAugmentPolicy.IMAGENET``.
        interpolation (InterpolationMode): resampling for the geometric operations, a
            :class:`torchless.vision.transforms.InterpolationMode`. Default: ``InterpolationMode.NEAREST``.
            Tensors support only ``NEAREST`` and ``BILINEAR``.
        fill (sequence or number, optional): value of the pixels outside the transformed image: one per
            channel, or one number for all channels. Default: ``None``.
    """

    def __init__(self, policy=AutoAugmentPolicy.IMAGENET, interpolation=InterpolationMode.NEAREST, fill=None):
        self.policy = policy
        self.interpolation = interpolation
        self.fill = fill
        self.policies = self._get_policies(policy)

    def _get_policies(self, policy):
        return _get_policies(policy)

    def _augmentation_space(self, num_bins, image_size):
        space = _shared_space(num_bins, 150.0 / 331.0 * image_size[0], 150.0 / 331.0 * image_size[1])
        space["Invert"] = (_no_magnitude(), False)
        return space

    @staticmethod
    def get_params(transform_num):
        """Draw the random choices of one call.

        Args:
            transform_num (int): number of sub-policies to choose from.

        Returns:
            the sub-policy's index, the two probabilities (float32 tensor) its operations are applied against and
            their two signs (int64 tensor, 0 negates)
        """
        policy_id = _randint(0, transform_num)
        probs = Tensor._wrap(stream().uniform((2,), np.float32))
        signs = Tensor._wrap(stream().integers(0, 2, (2,)))
        return policy_id, probs, signs

    def forward(self, img):
        """Args:
            img (PIL Image or Tensor): the image to augment.

        Returns:
            PIL Image or Tensor: the augmented image.
        """
        channels, height, width = F.get_dimensions(img)
        fill = _tensor_fill(self.fill, img, channels)
        transform_id, probs, signs = self.get_params(len(self.policies))
        op_meta = self._augmentation_space(10, (height, width))
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            if probs[i] <= p:
                magnitudes, signed = op_meta[op_name]
                magnitude = float(magnitudes[magnitude_id].item()) if magnitude_id is not None else 0.0
                if signed and signs[i] == 0:
                    magnitude *= -1.0
                img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(policy={self.policy}, fill={self.fill})"


class RandAugment(_Transform):
    """RandAugment, from `"RandAugment: Practical automated data augmentation with a reduced search space"
    <https://arxiv.org/abs/1909.13719>`_: apply ``num_ops`` operations drawn uniformly at random, all at the
    same ``magnitude``.

    Input: a uint8 tensor of shape [..., 1 or 3, H, W] (any number of leading dimensions) or a PIL image in
    mode "L" or "RGB".

    Args:
        num_ops (int): how many operations to apply in a row. Default: ``2``.
        magnitude (int): the magnitude bin used by every operation. Default: ``9``.
        num_magnitude_bins (int): how many magnitude bins each operation's range is split into. Default: ``31``.
        interpolation (InterpolationMode): resampling for the geometric operations, a
            :class:`torchless.vision.transforms.InterpolationMode`. Default: ``InterpolationMode.NEAREST``.
            Tensors support only ``NEAREST`` and ``BILINEAR``.
        fill (sequence or number, optional): value of the pixels outside the transformed image: one per
            channel, or one number for all channels. Default: ``None``.
    """

    def __init__(self, num_ops=2, magnitude=9, num_magnitude_bins=31, interpolation=InterpolationMode.NEAREST,
                 fill=None):
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins, image_size):
        space = {"Identity": (_no_magnitude(), False)}
        space.update(_shared_space(num_bins, 150.0 / 331.0 * image_size[0], 150.0 / 331.0 * image_size[1]))
        return space

    def forward(self, img):
        """Args:
            img (PIL Image or Tensor): the image to augment.

        Returns:
            PIL Image or Tensor: the augmented image.
        """
        channels, height, width = F.get_dimensions(img)
        fill = _tensor_fill(self.fill, img, channels)
        op_meta = self._augmentation_space(self.num_magnitude_bins, (height, width))
        for _ in range(self.num_ops):
            op_name = list(op_meta)[_randint(0, len(op_meta))]
            magnitudes, signed = op_meta[op_name]
            magnitude = _signed_magnitude(magnitudes, signed, lambda: self.magnitude)
            img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def __repr__(self):
        return (f"{self.__class__.__name__}(num_ops={self.num_ops}, magnitude={self.magnitude}, "
                f"num_magnitude_bins={self.num_magnitude_bins}, interpolation={self.interpolation}, "
                f"fill={self.fill})")


class TrivialAugmentWide(_Transform):
    """TrivialAugment Wide, from `"TrivialAugment: Tuning-free Yet State-of-the-Art Data Augmentation"
    <https://arxiv.org/abs/2103.10158>`_: apply one operation drawn at random, at a magnitude drawn at
    random; nothing depends on the dataset.

    Input: a uint8 tensor of shape [..., 1 or 3, H, W] (any number of leading dimensions) or a PIL image in
    mode "L" or "RGB".

    Args:
        num_magnitude_bins (int): how many magnitude bins each operation's range is split into. Default: ``31``.
        interpolation (InterpolationMode): resampling for the geometric operations, a
            :class:`torchless.vision.transforms.InterpolationMode`. Default: ``InterpolationMode.NEAREST``.
            Tensors support only ``NEAREST`` and ``BILINEAR``.
        fill (sequence or number, optional): value of the pixels outside the transformed image: one per
            channel, or one number for all channels. Default: ``None``.
    """

    def __init__(self, num_magnitude_bins=31, interpolation=InterpolationMode.NEAREST, fill=None):
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins):
        return {
            "Identity": (_no_magnitude(), False),
            "ShearX": (_creation.linspace(0.0, 0.99, num_bins), True),
            "ShearY": (_creation.linspace(0.0, 0.99, num_bins), True),
            "TranslateX": (_creation.linspace(0.0, 32.0, num_bins), True),
            "TranslateY": (_creation.linspace(0.0, 32.0, num_bins), True),
            "Rotate": (_creation.linspace(0.0, 135.0, num_bins), True),
            "Brightness": (_creation.linspace(0.0, 0.99, num_bins), True),
            "Color": (_creation.linspace(0.0, 0.99, num_bins), True),
            "Contrast": (_creation.linspace(0.0, 0.99, num_bins), True),
            "Sharpness": (_creation.linspace(0.0, 0.99, num_bins), True),
            "Posterize": (_posterize_bits(8, num_bins, 6), False),
            "Solarize": (_creation.linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": (_no_magnitude(), False),
            "Equalize": (_no_magnitude(), False),
        }

    def forward(self, img):
        """Args:
            img (PIL Image or Tensor): the image to augment.

        Returns:
            PIL Image or Tensor: the augmented image.
        """
        channels, _, _ = F.get_dimensions(img)
        fill = _tensor_fill(self.fill, img, channels)
        op_meta = self._augmentation_space(self.num_magnitude_bins)
        op_name = list(op_meta)[_randint(0, len(op_meta))]
        magnitudes, signed = op_meta[op_name]
        magnitude = _signed_magnitude(magnitudes, signed, lambda: _randint(0, len(magnitudes)))
        return _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)

    def __repr__(self):
        return (f"{self.__class__.__name__}(num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")


def _augmix_space(num_bins, image_size, all_ops):
    """AugMix's operations: AutoAugment's without Invert, translations to a third of the image, posterize to
    4 bits at most; the colour adjustments only with ``all_ops`` (they overlap ImageNet-C's corruptions)."""
    space = {
        "ShearX": (_creation.linspace(0.0, 0.3, num_bins), True),
        "ShearY": (_creation.linspace(0.0, 0.3, num_bins), True),
        "TranslateX": (_creation.linspace(0.0, image_size[1] / 3.0, num_bins), True),
        "TranslateY": (_creation.linspace(0.0, image_size[0] / 3.0, num_bins), True),
        "Rotate": (_creation.linspace(0.0, 30.0, num_bins), True),
        "Posterize": (_posterize_bits(4, num_bins, 4), False),
        "Solarize": (_creation.linspace(255.0, 0.0, num_bins), False),
        "AutoContrast": (_no_magnitude(), False),
        "Equalize": (_no_magnitude(), False),
    }
    if all_ops:
        space.update({name: (_creation.linspace(0.0, 0.9, num_bins), True)
                      for name in ("Brightness", "Color", "Contrast", "Sharpness")})
    return space


def _check_severity(severity, parameter_max):
    if not (1 <= severity <= parameter_max):
        raise ValueError(f"The severity must be between [1, {parameter_max}]. Got {severity} instead.")


def _augmix(image, batch_ndim, alpha, mixture_width, chain_depth, sample_dirichlet, draw_op):
    """AugMix's convex mixture of ``image`` (a tensor) and ``mixture_width`` chains of operations, in the
    image's dtype (truncated, as ``Tensor.to`` converts). ``draw_op(aug)`` applies one random operation."""
    orig_dims = list(image.shape)
    batch = image.reshape([1] * max(batch_ndim - image.ndim, 0) + orig_dims)
    batch_dims = [batch.size(0)] + [1] * (batch.ndim - 1)
    # Beta weights of the original and the augmented image, as a 2-parameter Dirichlet: column 0 weights the
    # original, column 1 the mixture of the chains
    m = sample_dirichlet(_creation.tensor([alpha, alpha]).expand(batch_dims[0], -1))
    combined_weights = sample_dirichlet(_creation.tensor([alpha] * mixture_width).expand(batch_dims[0], -1)) \
        * m[:, 1].reshape([batch_dims[0], -1])
    mix = m[:, 0].reshape(batch_dims) * batch
    for i in range(mixture_width):
        aug = batch
        depth = chain_depth if chain_depth > 0 else _randint(1, 4)
        for _ in range(depth):
            aug = draw_op(aug)
        mix.add_(combined_weights[:, i].reshape(batch_dims) * aug)
    return mix.reshape(orig_dims).to(dtype=image.dtype)


def _tensor_as_array(tensor, like):
    """A C x H x W tensor as an array image in the H x W[ x C] layout of ``like`` (arrays stand in for PIL images,
    which AugMix mixes as their ``pil_to_tensor``)."""
    hwc = tensor.numpy().transpose(1, 2, 0)
    return hwc[..., 0].copy() if like.ndim == 2 else hwc.copy()


class AugMix(_Transform):
    """AugMix, from `"AugMix: A Simple Data Processing Method to Improve Robustness and Uncertainty"
    <https://arxiv.org/abs/1912.02781>`_: mix the image with several chains of random operations, with
    Dirichlet and Beta weights.

    Input: a uint8 tensor of shape [..., 1 or 3, H, W] (any number of leading dimensions) or a PIL image in
    mode "L" or "RGB".

    Args:
        severity (int): strength of the operations, from 1 to 10. Default: ``3``.
        mixture_width (int): how many chains are mixed. Default: ``3``.
        chain_depth (int): operations per chain; a negative value draws it from [1, 3] for each chain.
            Default: ``-1``.
        alpha (float): parameter of the Dirichlet and Beta distributions of the weights. Default: ``1.0``.
        all_ops (bool): also use the colour operations (brightness, contrast, color, sharpness).
            Default: ``True``.
        interpolation (InterpolationMode): resampling for the geometric operations, a
            :class:`torchless.vision.transforms.InterpolationMode`. Default: ``InterpolationMode.BILINEAR``.
            Tensors support only ``NEAREST`` and ``BILINEAR``.
        fill (sequence or number, optional): value of the pixels outside the transformed image: one per
            channel, or one number for all channels. Default: ``None``.
    """

    def __init__(self, severity=3, mixture_width=3, chain_depth=-1, alpha=1.0, all_ops=True,
                 interpolation=InterpolationMode.BILINEAR, fill=None):
        self._PARAMETER_MAX = 10
        _check_severity(severity, self._PARAMETER_MAX)
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins, image_size):
        return _augmix_space(num_bins, image_size, self.all_ops)

    def _pil_to_tensor(self, img):
        return F.pil_to_tensor(img)

    def _tensor_to_pil(self, img):
        return F.to_pil_image(img)

    def _sample_dirichlet(self, params):
        # a method of its own so that tests can replace it, as in torchvision
        return _sample_dirichlet(params)

    def forward(self, orig_img):
        """Args:
            orig_img (PIL Image or Tensor): the image to augment.

        Returns:
            PIL Image or Tensor: the augmented image, of the input's type and dtype.
        """
        channels, height, width = F.get_dimensions(orig_img)
        fill = _tensor_fill(self.fill, orig_img, channels)
        img = orig_img if isinstance(orig_img, Tensor) else self._pil_to_tensor(orig_img)
        op_meta = self._augmentation_space(self._PARAMETER_MAX, (height, width))

        def draw_op(aug):
            op_name = list(op_meta)[_randint(0, len(op_meta))]
            magnitudes, signed = op_meta[op_name]
            # torchvision's torch.randint(self.severity, (1,), dtype=torch.long): its errors for a float severity
            magnitude = _signed_magnitude(magnitudes, signed,
                                          lambda: int(_creation.randint(self.severity, (1,), dtype=_dtype.long)))
            return _apply_op(aug, op_name, magnitude, interpolation=self.interpolation, fill=fill)

        mix = _augmix(img, 4, self.alpha, self.mixture_width, self.chain_depth, self._sample_dirichlet, draw_op)
        if isinstance(orig_img, Tensor):
            return mix
        if is_pil_image(orig_img):
            return self._tensor_to_pil(mix)
        return _tensor_as_array(mix, orig_img)

    def __repr__(self):
        return (f"{self.__class__.__name__}(severity={self.severity}, mixture_width={self.mixture_width}, "
                f"chain_depth={self.chain_depth}, alpha={self.alpha}, all_ops={self.all_ops}, "
                f"interpolation={self.interpolation}, fill={self.fill})")
