"""Functional v2 transforms (``torchvision.transforms.v2.functional``): v1's functionals plus ``to_image``
and ``to_dtype``, with v2's own ``posterize``, ``equalize`` (float images too), ``invert``, ``solarize``,
``autocontrast`` (v2's bool-tensor behaviour and messages), ``adjust_sharpness``, ``gaussian_blur`` (any batch
dimensions) and ``rgb_to_grayscale`` (1 channel to 3); ``to_tensor`` warns that it is deprecated, as in torchvision."""
import warnings

from .. import functional as _v1
from .._conversion import pil_through_tensor
from ..functional import *  # noqa: F401,F403  (v1's functionals are v2's on a single image)
from ..functional import __all__ as _v1_names
from ._color import (adjust_brightness, adjust_contrast, adjust_gamma, adjust_hue, adjust_saturation, adjust_sharpness,
                     autocontrast, equalize, gaussian_blur, invert, posterize, rgb_to_grayscale, solarize)
from ._geometry import affine, crop, elastic, erase, five_crop, pad, perspective, rotate, ten_crop
from ._type_conversion import convert_image_dtype, to_dtype, to_image
from .._interpolation import InterpolationMode
from ...._creation import as_tensor
from ...._tensor import Tensor
from ...._dtype import float32 as _float32

__all__ = sorted(set(_v1_names) | {"elastic", "gaussian_noise", "get_num_channels", "get_size", "grayscale_to_rgb",
                                   "horizontal_flip", "jpeg", "permute_channels", "to_dtype", "to_image",
                                   "vertical_flip"})


def _image_dims(inpt, count):
    """The last ``count`` sizes of a tensor image, with v2's TypeError for one of fewer dimensions."""
    dims = list(inpt.shape[-count:]) if inpt.ndim else []
    if len(dims) < 2:
        raise TypeError(f"Input tensor should have at least two dimensions, but got {len(dims)}")
    return dims


def get_dimensions(inpt):
    """``[channels, height, width]`` of a tensor (..., C, H, W) (1 channel for a 2-D one) or PIL image."""
    if isinstance(inpt, Tensor):
        dims = _image_dims(inpt, 3)
        return dims if len(dims) == 3 else [1] + dims
    return _v1.get_dimensions(inpt)


def get_size(inpt):
    """``[height, width]`` of a tensor (..., H, W) or PIL image."""
    if isinstance(inpt, Tensor):
        return _image_dims(inpt, 2)
    width, height = _v1.get_image_size(inpt)
    return [height, width]


def get_num_channels(inpt):
    """The channels of a tensor (..., C, H, W) (1 for a 2-D one) or PIL image."""
    if isinstance(inpt, Tensor):
        dims = _image_dims(inpt, 3)
        return dims[0] if len(dims) == 3 else 1
    return _v1.get_image_num_channels(inpt)


get_image_num_channels = get_num_channels


def get_image_size(inpt):
    """[DEPRECATED] ``[width, height]``: use ``get_size``, which gives ``[height, width]``."""
    warnings.warn("The function `get_image_size(...)` is deprecated and will be removed in a future release. "
                  "Instead, please use `get_size(...)` which returns `[h, w]` instead of `[w, h]`.")
    return _v1.get_image_size(inpt)


def horizontal_flip(inpt):
    """Flip left to right; v2 flips a tensor's last dimension whatever its number of dimensions."""
    if isinstance(inpt, Tensor):
        return inpt.flip(-1)
    return _v1.hflip(inpt)


def vertical_flip(inpt):
    """Flip top to bottom; v2 flips a tensor's second last dimension whatever its number of dimensions."""
    if isinstance(inpt, Tensor):
        return inpt.flip(-2)
    return _v1.vflip(inpt)


def grayscale_to_rgb(inpt):
    """A grayscale image as RGB: a tensor with 3 or more channels is returned as it is, a 1-channel one is repeated
    (others fail in v2's ``rgb_to_grayscale``); a PIL image is converted to mode RGB."""
    if isinstance(inpt, Tensor):
        return inpt if inpt.shape[-3] >= 3 else rgb_to_grayscale(inpt, num_output_channels=3)
    if _v1._is_pil_image(inpt):
        return inpt.convert(mode="RGB")
    raise TypeError(f"Functional F.grayscale_to_rgb supports inputs of type torch.Tensor and PIL.Image.Image, but got "
                    f"{type(inpt)} instead.")


def permute_channels(inpt, permutation):
    """The channels reordered: output channel ``i`` is input channel ``permutation[i]`` (tensor (..., C, H, W) or
    PIL image, which goes through its ``pil_to_tensor`` and back).

    Raises:
        ValueError: if ``permutation`` does not have one entry per channel.
    """
    if _v1._is_pil_image(inpt):
        return pil_through_tensor(inpt, lambda pixels: permute_channels(pixels, permutation))
    channels, height, width = inpt.shape[-3:]
    if len(permutation) != channels:
        raise ValueError(f"Length of permutation does not match number of channels: {len(permutation)} != {channels}")
    if inpt.numel() == 0:
        return inpt
    shape = inpt.shape
    return inpt.reshape(-1, channels, height, width)[:, list(permutation), :, :].reshape(shape)


def resize(inpt, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """v1's ``resize`` with v2's ``size=None`` (the longer edge resized to ``max_size``, an int then, keeping the
    aspect ratio, the shorter edge rounded down), interpolation strings, and v2's tensor kernels: uint8 images
    resized by torch's integer kernel (bilinear, bicubic, Lanczos), and Lanczos for tensors, antialiased only."""
    from ._v1_based import _check_interpolation

    interpolation = _check_interpolation(interpolation)
    antialias = False if antialias is None else antialias
    if isinstance(inpt, Tensor):
        # v2's tensor kernel checks the interpolation, then unpacks (C, H, W), before it looks at the size
        if interpolation == InterpolationMode.LANCZOS and not antialias:
            raise ValueError("InterpolationMode.LANCZOS requires antialias=True")
        if inpt.ndim < 3:
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


def gaussian_noise(inpt, mean=0.0, sigma=0.1, clip=True):
    """The image plus Gaussian noise of ``mean`` and ``sigma`` (in the units of a float image; a uint8 image gets
    the noise scaled by 255, truncated to integers), clipped to the image's range unless ``clip`` is False.

    Raises:
        ValueError: for a negative ``sigma``, an image neither float nor uint8, or a PIL image.
    """
    from ...._creation import randn_like
    from ...._dtype import float32, int16, uint8

    if _v1._is_pil_image(inpt):
        raise ValueError("Gaussian Noise is not implemented for PIL images.")
    if sigma < 0:
        raise ValueError(f"sigma shouldn't be negative. Got {sigma}")
    if inpt.is_floating_point():
        out = inpt + (mean + randn_like(inpt) * sigma)
        return out.clamp(0, 1) if clip else out
    if inpt.dtype != uint8:
        raise ValueError(f"Input tensor is expected to be in uint8 or float dtype, got dtype={inpt.dtype}")
    # the noise goes through int16, as in torchvision: truncated toward zero, and wrapping past 255 when not clipped
    noise = (mean * 255 + randn_like(inpt, dtype=float32) * (sigma * 255)).to(int16)
    out = inpt + noise
    return (out.clamp(0, 255) if clip else out).to(uint8)


def jpeg(image, quality):
    """The image after a JPEG round trip at ``quality`` (1 to 100): tensors (..., C, H, W) of uint8 through
    ``encode_jpeg`` / ``decode_jpeg`` one image at a time, PIL images through Pillow."""
    if _v1._is_pil_image(image):
        import io

        from PIL import Image

        encoded = io.BytesIO()
        image.save(encoded, format="JPEG", quality=quality)
        return Image.open(encoded).copy()
    from ...io import decode_jpeg, encode_jpeg

    shape = image.shape
    images = image.reshape((-1,) + tuple(shape[-3:]))
    if images.shape[0] == 0:
        return images.reshape(shape).clone()
    from ...._functions import stack

    return stack([decode_jpeg(encode_jpeg(one, quality=quality)) for one in images], dim=0).view(shape)


# ---------------------------------------------------------------- tv_tensors
# Each functional above is the kernel of plain tensors and PIL images; below, they become dispatchers that also
# take tv_tensors (an Image or Video through the same kernel, re-wrapped; Masks and BoundingBoxes through their
# own kernels), as torchvision's v2 functionals are.
import sys as _sys  # noqa: E402

from ... import tv_tensors as _tv  # noqa: E402
from . import _tv_kernels  # noqa: E402
from ._box_transforms import sanitize_bounding_boxes, sanitize_keypoints  # noqa: E402,F401
from ._tv_kernels import (clamp_bounding_boxes, clamp_keypoints, convert_bounding_box_format,  # noqa: E402,F401
                          register_kernel)
from ._utils import is_pure_tensor  # noqa: E402,F401

_MASK_INTERPOLATION_AT = {"resize": 1, "resized_crop": 5, "rotate": 1, "affine": 4, "perspective": 2, "elastic": 1}
# functionals whose mask kernel torchvision registers after its keypoints' and boxes' kernels
_MASK_REGISTERED_LAST = {"crop", "center_crop", "resized_crop", "rotate", "affine", "perspective", "elastic"}
# the input types torchvision's registry lists for functionals registered in another order (or without PIL images)
_SHOWN_TYPES = {"gaussian_noise": ["Image", "Tensor", "Video", "PIL.Image.Image"],
                "jpeg": ["Image", "Tensor", "Video", "PIL.Image.Image"],
                "normalize": ["Image", "Tensor", "Video"],
                "to_dtype": ["Image", "Tensor", "Video", "Mask", "BoundingBoxes", "KeyPoints"]}


def _mask_size(inpt):
    return list(inpt.shape[-2:])


def _install_tv_tensor_kernels(names):
    tv = _tv

    scope = globals()
    for name in names:
        plain = scope[name]
        kernels = {}
        if name in ("horizontal_flip", "vertical_flip", "crop", "center_crop", "resize", "resized_crop", "rotate",
                    "affine", "perspective", "elastic", "pad"):
            if name == "pad":
                mask = _tv_kernels.pad_mask_kernel(plain)
            elif name in ("horizontal_flip", "vertical_flip"):
                mask = _tv_kernels._wrapped(plain)
            else:
                mask = _tv_kernels.mask_kernel(plain, _MASK_INTERPOLATION_AT.get(name))
            shaped = {}
            if name in _tv_kernels.keypoints_kernels:
                shaped["KeyPoints"] = _tv_kernels.keypoints_kernels[name]
            if name in _tv_kernels.boxes_kernels:
                shaped["BoundingBoxes"] = _tv_kernels.boxes_kernels[name]
            # the order of torchvision's registrations, which its error message lists
            kernels = {**shaped, "Mask": mask} if name in _MASK_REGISTERED_LAST else {"Mask": mask, **shaped}
        elif name == "to_dtype":  # masks and boxes are cast, never scaled
            kernels["Mask"] = kernels["BoundingBoxes"] = kernels["KeyPoints"] = (
                lambda inpt, dtype=_float32, scale=False: inpt.to(dtype))
        dispatcher = _tv_kernels.dispatching(plain, **kernels)
        if name in ("rgb_to_grayscale", "grayscale_to_rgb"):  # images only, as in torchvision
            del dispatcher._tv_kernels[tv.Video]
        if name in _SHOWN_TYPES:
            dispatcher._shown_types = [Tensor if cls == "Tensor" else getattr(tv, cls, cls)
                                       for cls in _SHOWN_TYPES[name]]
        scope[name] = dispatcher


def _install_tv_tensor_crops():
    """five_crop / ten_crop: an Image's (or Video's) crops wrapped like it."""
    tv = _tv

    scope = globals()
    for name in ("five_crop", "ten_crop"):
        plain = scope[name]
        crops = (lambda kernel: lambda inpt, *args, **kwargs: tuple(
            tv.wrap(piece, like=inpt) for piece in kernel(_tv_kernels._pure(inpt), *args, **kwargs)))(plain)
        dispatcher = _tv_kernels.dispatching(plain)
        dispatcher._tv_kernels = {tv.Image: crops, tv.Video: crops}
        scope[name] = dispatcher


def _install_tv_tensor_queries():
    tv = _tv

    scope = globals()
    for name in ("get_dimensions", "get_num_channels", "get_size"):
        plain = scope[name]
        dispatcher = _tv_kernels.dispatching(plain)
        unwrapped = (lambda kernel: lambda inpt: kernel(_tv_kernels._pure(inpt)))(plain)
        dispatcher._tv_kernels = {tv.Image: unwrapped, tv.Video: unwrapped}
        if name == "get_size":
            dispatcher._tv_kernels.update({tv.Mask: _mask_size, tv.BoundingBoxes: lambda inpt: list(inpt.canvas_size),
                                           tv.KeyPoints: lambda inpt: list(inpt.canvas_size)})
        scope[name] = dispatcher


_install_tv_tensor_kernels(["horizontal_flip", "vertical_flip", "crop", "center_crop", "resize", "resized_crop",
                            "rotate", "affine", "perspective", "elastic", "pad", "erase", "normalize",
                            "gaussian_blur", "gaussian_noise", "adjust_brightness", "adjust_contrast",
                            "adjust_saturation", "adjust_hue", "adjust_gamma", "adjust_sharpness", "autocontrast",
                            "equalize", "invert", "posterize", "solarize", "rgb_to_grayscale", "grayscale_to_rgb",
                            "permute_channels", "to_dtype", "jpeg"])
_install_tv_tensor_queries()
_install_tv_tensor_crops()
to_grayscale = rgb_to_grayscale  # v2's alias (v1's to_grayscale takes PIL images only)


def _uniform_temporal_subsample(video, num_samples):
    from ...._creation import linspace

    indices = linspace(0, video.shape[-4] - 1, num_samples).long()
    return video.index_select(-4, indices)


uniform_temporal_subsample = _tv_kernels.dispatching(_uniform_temporal_subsample)
uniform_temporal_subsample._shown_types = [_tv.Video, Tensor]
uniform_temporal_subsample.__name__ = uniform_temporal_subsample.__qualname__ = "uniform_temporal_subsample"
uniform_temporal_subsample.__doc__ = """``num_samples`` frames of a video (..., T, C, H, W) evenly spaced in time
(the first and last included)."""
del uniform_temporal_subsample._tv_kernels[_tv.Image]  # videos (and pure tensors) only
elastic_transform = elastic
hflip = horizontal_flip
vflip = vertical_flip
get_image_num_channels = get_num_channels


def _get_num_frames(inpt):
    return inpt.shape[-4]


get_num_frames = _tv_kernels.dispatching(_get_num_frames)
get_num_frames._tv_kernels = {_tv.Video: lambda inpt: _get_num_frames(_tv_kernels._pure(inpt))}  # videos only
get_num_frames._shown_types = [_tv.Video, Tensor]
get_num_frames.__name__ = get_num_frames.__qualname__ = "get_num_frames"
get_num_frames.__doc__ = """The number of frames of a video (..., T, C, H, W)."""


def _install_named_kernels():
    """torchvision's per-type kernels under their public names (``resize_image``, ``resize_mask``, ...)."""
    from . import _named_kernels

    scope = globals()
    names = list(_named_kernels.__all__)
    for name in names:
        scope[name] = getattr(_named_kernels, name)
    for name, kernel in _named_kernels.make_mask_kernels(_sys.modules[__name__]).items():
        scope[name] = kernel
        names.append(name)
    scope["horizontal_flip_mask"], scope["vertical_flip_mask"] = (_named_kernels.horizontal_flip_mask,
                                                                  _named_kernels.vertical_flip_mask)
    names += ["horizontal_flip_mask", "vertical_flip_mask"]
    for base in _named_kernels._IMAGE_KERNELS + _named_kernels._IMAGE_ONLY:
        plain = getattr(scope[base], "_plain_kernel", scope[base])
        scope[f"{base}_image"] = plain
        names.append(f"{base}_image")
        if base not in _named_kernels._IMAGE_ONLY:
            scope[f"{base}_video"] = plain
            names.append(f"{base}_video")
    scope["uniform_temporal_subsample_video"] = _uniform_temporal_subsample
    scope["get_size_mask"] = _mask_size
    scope["get_size_bounding_boxes"] = scope["get_size_keypoints"] = lambda inpt: list(inpt.canvas_size)
    names += ["get_size_mask", "get_size_bounding_boxes", "get_size_keypoints"]
    scope["get_num_frames_video"] = _get_num_frames
    return names + ["uniform_temporal_subsample_video", "get_num_frames", "get_num_frames_video"]


__all__ = sorted(set(__all__) | set(_install_named_kernels()) | {
    "clamp_bounding_boxes", "clamp_keypoints", "convert_bounding_box_format", "is_pure_tensor", "register_kernel",
    "sanitize_bounding_boxes", "sanitize_keypoints", "uniform_temporal_subsample"})
