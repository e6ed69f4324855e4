"""Functional v2 transforms (``torchvision.transforms.v2.functional``): v1's functionals plus ``to_image``
and ``to_dtype``, with v2's own ``posterize``, ``equalize`` (float images too), ``invert``, ``solarize``,
``autocontrast`` (v2's bool-tensor behaviour and messages), ``adjust_sharpness``, ``gaussian_blur`` (any batch
dimensions) and ``rgb_to_grayscale`` (1 channel to 3); ``to_tensor`` warns that it is deprecated, as in torchvision."""
import warnings

from .. import functional as _v1
from ..functional import *  # noqa: F401,F403  (v1's functionals are v2's on a single image)
from ..functional import __all__ as _v1_names
from ._color import (adjust_brightness, adjust_contrast, adjust_gamma, adjust_hue, adjust_saturation, adjust_sharpness,
                     autocontrast, equalize, gaussian_blur, invert, posterize, rgb_to_grayscale, solarize)
from ._geometry import affine, elastic, elastic_transform, erase, pad, perspective, rotate
from ._type_conversion import convert_image_dtype, to_dtype, to_image
from .._interpolation import InterpolationMode
from ...._creation import as_tensor
from ...._tensor import Tensor

__all__ = sorted(set(_v1_names) | {"elastic", "to_dtype", "to_image"})


def resize(inpt, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """v1's ``resize`` with v2's ``size=None`` (the longer edge resized to ``max_size``, an int then, keeping the
    aspect ratio, the shorter edge rounded down), interpolation strings, and v2's tensor kernels: uint8 images
    resized by torch's integer kernel (bilinear, bicubic, Lanczos), and Lanczos for tensors, antialiased only."""
    from ._v1_based import _check_interpolation

    interpolation = _check_interpolation(interpolation)
    antialias = False if antialias is None else antialias
    if isinstance(inpt, Tensor) and inpt.ndim < 3:
        # v2 unpacks (C, H, W) from the last three dimensions before any other check
        raise ValueError(f"not enough values to unpack (expected 3, got {inpt.ndim})")
    if isinstance(size, int):
        size = [size]
    elif max_size is not None and size is not None and len(size) != 1:
        raise ValueError("max_size should only be passed if size is None or specifies the length of the smaller edge, "
                         "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
    return _v1._resize(inpt, size, interpolation, max_size, antialias, v2=True)


def resized_crop(inpt, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    """Crop the ``height`` x ``width`` region at (``top``, ``left``) and resize it to ``size`` with v2's ``resize``."""
    return resize(_v1.crop(inpt, top, left, height, width), size, interpolation, antialias=antialias)


def to_tensor(inpt):
    """[DEPRECATED] Use ``to_image`` followed by ``to_dtype(..., dtype=torchless.float32, scale=True)``."""
    warnings.warn(
        "The function `to_tensor(...)` is deprecated and will be removed in a future release. "
        "Instead, please use `to_image(...)` followed by `to_dtype(..., dtype=torch.float32, scale=True)`."
    )
    return _v1.to_tensor(inpt)


def normalize(inpt, mean, std, inplace=False):
    """v2's ``normalize``: ``(image - mean) / std`` out of place unless ``inplace`` (so the mean and std may
    broadcast the image to more channels), refusing only a std that is zero as given (v1 checks it after the
    conversion to the image's dtype), with v2's messages."""
    if not isinstance(inpt, Tensor):
        raise TypeError(f"Functional F.normalize supports inputs of type torch.Tensor, but got {type(inpt)} instead.")
    if not inpt.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {inpt.dtype}.")
    if inpt.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got {inpt.shape}.")
    if isinstance(std, (tuple, list)):
        divzero = not all(std)
    else:
        divzero = isinstance(std, (int, float)) and std == 0
    if divzero:
        raise ValueError("std evaluated to zero, leading to division by zero.")
    mean = as_tensor(mean, dtype=inpt.dtype)
    std = as_tensor(std, dtype=inpt.dtype)
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    out = inpt.sub_(mean) if inplace else inpt.sub(mean)
    return out.div_(std)
