"""v2's per-type kernels under torchvision's public names and signatures (``resize_image``, ``resize_mask``,
``resize_bounding_boxes(bounding_boxes, canvas_size, size, ...)``, ``rotate_keypoints``, ...): plain tensors in,
plain tensors (and, where the canvas changes, the new canvas size) out. The functionals dispatch to the same
code (``_tv_kernels``)."""
from ...tv_tensors import BoundingBoxFormat
from .. import functional as _v1
from .._interpolation import InterpolationMode
from . import _tv_kernels as K

_XYXY = BoundingBoxFormat.XYXY


def _format(format):
    return BoundingBoxFormat[format.upper()] if isinstance(format, str) else format


# ---------------------------------------------------------------- bounding boxes

def horizontal_flip_bounding_boxes(bounding_boxes, format, canvas_size):
    return K.horizontal_flip_bounding_boxes(bounding_boxes, _format(format), canvas_size)[0]


def vertical_flip_bounding_boxes(bounding_boxes, format, canvas_size):
    return K.vertical_flip_bounding_boxes(bounding_boxes, _format(format), canvas_size)[0]


def resize_bounding_boxes(bounding_boxes, canvas_size, size, max_size=None, format=_XYXY, clamping_mode="soft"):
    return K.resize_bounding_boxes(bounding_boxes, _format(format), tuple(canvas_size), clamping_mode, size,
                                   max_size=max_size)


def crop_bounding_boxes(bounding_boxes, format, top, left, height, width, clamping_mode="soft"):
    return K.crop_bounding_boxes(bounding_boxes, _format(format), None, clamping_mode, top, left, height, width)


def center_crop_bounding_boxes(bounding_boxes, format, canvas_size, output_size, clamping_mode="soft"):
    return K.center_crop_bounding_boxes(bounding_boxes, _format(format), tuple(canvas_size), clamping_mode,
                                        output_size)


def resized_crop_bounding_boxes(bounding_boxes, format, top, left, height, width, size, clamping_mode="soft"):
    return K.resized_crop_bounding_boxes(bounding_boxes, _format(format), None, clamping_mode, top, left, height,
                                         width, size)


def pad_bounding_boxes(bounding_boxes, format, canvas_size, padding, padding_mode="constant", clamping_mode="soft"):
    return K.pad_bounding_boxes(bounding_boxes, _format(format), tuple(canvas_size), clamping_mode, padding,
                                padding_mode=padding_mode)


def affine_bounding_boxes(bounding_boxes, format, canvas_size, angle, translate, scale, shear, center=None,
                          clamping_mode="soft"):
    return K.affine_bounding_boxes(bounding_boxes, _format(format), tuple(canvas_size), clamping_mode, angle,
                                   translate, scale, shear, center=center)[0]


def rotate_bounding_boxes(bounding_boxes, format, canvas_size, angle, expand=False, center=None,
                          clamping_mode="soft"):
    return K.rotate_bounding_boxes(bounding_boxes, _format(format), tuple(canvas_size), clamping_mode, angle,
                                   expand=expand, center=center)


def perspective_bounding_boxes(bounding_boxes, format, canvas_size, startpoints, endpoints, coefficients=None,
                               clamping_mode="soft"):
    return K.perspective_bounding_boxes(bounding_boxes, _format(format), tuple(canvas_size), clamping_mode,
                                        startpoints, endpoints, coefficients=coefficients)[0]


def elastic_bounding_boxes(bounding_boxes, format, canvas_size, displacement, clamping_mode="soft"):
    return K.elastic_bounding_boxes(bounding_boxes, _format(format), tuple(canvas_size), clamping_mode,
                                    displacement)[0]


# ---------------------------------------------------------------- keypoints

def horizontal_flip_keypoints(keypoints, canvas_size):
    return K._flip_points(keypoints, tuple(canvas_size), 0)[0]


def vertical_flip_keypoints(keypoints, canvas_size):
    return K._flip_points(keypoints, tuple(canvas_size), 1)[0]


def resize_keypoints(keypoints, size, canvas_size, max_size=None):
    return K.resize_keypoints(keypoints, tuple(canvas_size), size, max_size=max_size)


def crop_keypoints(keypoints, top, left, height, width):
    return K.crop_keypoints(keypoints, None, top, left, height, width)


def center_crop_keypoints(inpt, canvas_size, output_size):
    return K.center_crop_keypoints(inpt, tuple(canvas_size), output_size)


def resized_crop_keypoints(keypoints, top, left, height, width, size):
    return K.resized_crop_keypoints(keypoints, None, top, left, height, width, size)


def pad_keypoints(keypoints, canvas_size, padding, padding_mode="constant"):
    return K.pad_keypoints(keypoints, tuple(canvas_size), padding, padding_mode=padding_mode)


def affine_keypoints(keypoints, canvas_size, angle, translate, scale, shear, center=None):
    return K._affine_points(keypoints, tuple(canvas_size), angle, translate, scale, shear, center, False)


def rotate_keypoints(keypoints, canvas_size, angle, expand=False, center=None):
    return K.rotate_keypoints(keypoints, tuple(canvas_size), angle, expand=expand, center=center)


def perspective_keypoints(keypoints, canvas_size, startpoints, endpoints, coefficients=None):
    return K.perspective_keypoints(keypoints, tuple(canvas_size), startpoints, endpoints,
                                   coefficients=coefficients)[0]


def elastic_keypoints(keypoints, canvas_size, displacement):
    return K.elastic_keypoints(keypoints, tuple(canvas_size), displacement)[0]


# ---------------------------------------------------------------- masks

def _mask(function, mask, *args, **kwargs):
    squeeze = mask.ndim < 3
    out = function(mask.unsqueeze(0) if squeeze else mask, *args, **kwargs)
    return out.squeeze(0) if squeeze else out


def _nearest(interpolation):
    return K._nearest(interpolation)


def horizontal_flip_mask(mask):
    return mask.flip(-1)


def vertical_flip_mask(mask):
    return mask.flip(-2)


def make_mask_kernels(F):
    """The mask kernels over the image kernels of ``F`` (the v2 functional module)."""
    def resize_mask(mask, size, interpolation=InterpolationMode.BILINEAR, max_size=None):
        return _mask(F.resize, mask, size, _nearest(interpolation), max_size=max_size)

    def crop_mask(mask, top, left, height, width):
        return _mask(F.crop, mask, top, left, height, width)

    def center_crop_mask(mask, output_size):
        return _mask(F.center_crop, mask, output_size)

    def resized_crop_mask(mask, top, left, height, width, size):
        return _mask(F.resized_crop, mask, top, left, height, width, size, InterpolationMode.NEAREST)

    def pad_mask(mask, padding, fill=None, padding_mode="constant"):
        fill = 0 if fill is None else fill
        if isinstance(fill, (tuple, list)):
            raise ValueError("Non-scalar fill value is not supported")
        return _mask(F.pad, mask, padding, fill, padding_mode)

    def rotate_mask(mask, angle, expand=False, center=None, fill=None):
        return _mask(F.rotate, mask, angle, InterpolationMode.NEAREST, expand, center, fill)

    def affine_mask(mask, angle, translate, scale, shear, fill=None, center=None):
        return _mask(F.affine, mask, angle, translate, scale, shear, InterpolationMode.NEAREST, fill, center)

    def perspective_mask(mask, startpoints, endpoints, fill=None, coefficients=None):
        return _mask(F.perspective, mask, startpoints, endpoints, InterpolationMode.NEAREST, fill,
                     coefficients=coefficients)

    def elastic_mask(mask, displacement, fill=None):
        return _mask(F.elastic, mask, displacement, InterpolationMode.NEAREST, fill)

    return {function.__name__: function for function in (
        resize_mask, crop_mask, center_crop_mask, resized_crop_mask, pad_mask, rotate_mask, affine_mask,
        perspective_mask, elastic_mask)}


# images and videos: the plain-tensor kernels themselves
_IMAGE_KERNELS = ("adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue", "adjust_saturation",
                  "adjust_sharpness", "affine", "autocontrast", "center_crop", "crop", "elastic", "equalize", "erase",
                  "five_crop", "gaussian_blur", "gaussian_noise", "get_dimensions", "get_num_channels", "get_size",
                  "horizontal_flip", "invert", "jpeg", "normalize", "pad", "permute_channels", "perspective",
                  "posterize", "resize", "resized_crop", "rotate", "solarize", "ten_crop", "to_dtype",
                  "vertical_flip")
_IMAGE_ONLY = ("grayscale_to_rgb", "rgb_to_grayscale")

__all__ = [name for name in dir() if name.endswith(("_bounding_boxes", "_keypoints")) and not name.startswith("_")]
del _v1
