"""v2's functionals dispatching on ``tv_tensors``: an ``Image`` or ``Video`` goes through the plain-tensor kernel
and comes back wrapped like the input; a ``Mask`` through the image kernel with nearest-neighbour interpolation
(a 2-D mask given a channel axis for it); ``BoundingBoxes`` through kernels that move their coordinates and
give their new canvas size. A TVTensor a functional has no kernel for is refused (a TypeError), as torchvision's
``_get_kernel`` refuses it; the transforms pass such inputs through instead."""
import functools
import math

import numpy as np

from .... import _dtype
from ...._creation import tensor as _tensor
from ...._functions import cat
from ...._tensor import Tensor
from ..._pillow import is_pil_image
from ... import tv_tensors as tv
from ...tv_tensors import BoundingBoxFormat, _pure
from .._interpolation import InterpolationMode
from .._warp import _affine_matrix
from ._rotated_boxes import clamp_rotated, parallelogram_to_boxes


def dispatching(functional, **kernels):
    """``functional`` (the kernel of plain tensors and PIL images) made to dispatch TVTensors: ``Image`` and
    ``Video`` through ``functional`` itself unless ``kernels`` names theirs (by class name), the others through
    the ``kernels`` given."""
    @functools.wraps(functional)
    def dispatcher(inpt, *args, **kwargs):
        if isinstance(inpt, tv.TVTensor):
            return get_kernel(dispatcher, type(inpt))(inpt, *args, **kwargs)
        if not isinstance(inpt, Tensor) and not ((isinstance(inpt, np.ndarray) or is_pil_image(inpt))
                                                 and "PIL.Image.Image" in _supported(dispatcher)):
            _refuse(dispatcher, type(inpt))  # (arrays stand for PIL images in torchless)
        return functional(inpt, *args, **kwargs)

    # in torchvision's registration order: the image, the other tv_tensors, the video
    registry = {tv.Image: _wrapped(functional)}
    registry.update({getattr(tv, name): kernel for name, kernel in kernels.items()})
    registry.setdefault(tv.Video, _wrapped(functional))
    dispatcher._tv_kernels = registry
    dispatcher._plain_kernel = functional
    return dispatcher


def _wrapped(kernel):
    def run(inpt, *args, **kwargs):
        return tv.wrap(kernel(_pure(inpt), *args, **kwargs), like=inpt)

    return run


def _passthrough(inpt, *args, **kwargs):
    return inpt


def get_kernel(functional, input_type, allow_passthrough=False):
    """The kernel ``functional`` runs for ``input_type``: a pure tensor's, a PIL image's or a TVTensor's (found
    along the class's MRO, stopping at TVTensor so that a user's subclass never gets the plain-tensor kernel);
    with ``allow_passthrough`` an identity for a type without one, else a TypeError."""
    registry = getattr(functional, "_tv_kernels", None)
    if registry is None:  # a functional without TVTensor kernels works on plain tensors and PIL images
        if not issubclass(input_type, tv.TVTensor):
            return functional
        registry = {}
    elif not issubclass(input_type, tv.TVTensor):
        return functional._plain_kernel
    for cls in input_type.__mro__:
        if cls in registry:
            return registry[cls]
        if cls is tv.TVTensor:
            break
    if allow_passthrough:
        return _passthrough
    _refuse(functional, input_type)


def _supported(functional):
    """The input types of ``functional`` as torchvision's registry lists them: ``_shown_types`` where its kernels
    were registered in another order (or for fewer types), else the image kernel's types (Image, Tensor, PIL
    images), then the others."""
    shown = getattr(functional, "_shown_types", None)
    if shown is not None:
        return shown
    return [tv.Image, Tensor, "PIL.Image.Image"] + [cls for cls in functional._tv_kernels if cls is not tv.Image]


def _refuse(functional, input_type):
    shown = ", ".join(f"<class '{cls}'>" if isinstance(cls, str) else repr(cls) for cls in _supported(functional))
    name = getattr(functional, "__name__", "functional")
    raise TypeError(f"Functional F.{name} supports inputs of type dict_keys([{shown}]), but got {input_type} instead.")


# ---------------------------------------------------------------- masks

def mask_kernel(image_kernel, interpolation_at=None):
    """The mask kernel of an image kernel: a 2-D mask gains a channel axis for it, and ``interpolation`` (the
    keyword, or the positional argument at index ``interpolation_at`` past the mask) is forced to nearest
    (NEAREST_EXACT is kept)."""
    def run(inpt, *args, **kwargs):
        mask = _pure(inpt)
        squeeze = mask.ndim < 3
        if squeeze:
            mask = mask.unsqueeze(0)
        if interpolation_at is not None:
            args = list(args)
            if len(args) > interpolation_at:
                args[interpolation_at] = _nearest(args[interpolation_at])
            else:
                kwargs["interpolation"] = _nearest(kwargs.get("interpolation"))
        out = image_kernel(mask, *args, **kwargs)
        return tv.wrap(out.squeeze(0) if squeeze else out, like=inpt)

    return run


def _nearest(interpolation):
    if interpolation in (InterpolationMode.NEAREST_EXACT, "nearest-exact"):
        return InterpolationMode.NEAREST_EXACT
    return InterpolationMode.NEAREST


def pad_mask_kernel(pad_image):
    def run(inpt, padding, fill=None, padding_mode="constant"):
        if fill is None:
            fill = 0
        if isinstance(fill, (tuple, list)):
            raise ValueError("Non-scalar fill value is not supported")
        return mask_kernel(pad_image)(inpt, padding, fill, padding_mode)

    return run


# ---------------------------------------------------------------- bounding boxes: formats and clamping

def _as_format(format):
    return BoundingBoxFormat[format.upper()] if isinstance(format, str) else format


def _xywh_to_xyxy(boxes, inplace):
    xyxy = boxes if inplace else boxes.clone()
    xyxy[..., 2:] += xyxy[..., :2]
    return xyxy


def _xyxy_to_xywh(boxes, inplace):
    xywh = boxes if inplace else boxes.clone()
    xywh[..., 2:] -= xywh[..., :2]
    return xywh


def _floor_or_true_half(values):
    return values.div(2, rounding_mode=None if values.is_floating_point() else "floor")


def _xywh_to_cxcywh(boxes, inplace):
    if not inplace:
        boxes = boxes.clone()
    boxes[..., :2] += _floor_or_true_half(boxes[..., 2:])
    return boxes


def _cxcywh_to_xywh(boxes, inplace):
    # integer boxes go through floats, truncating the corners, as the two-step conversion through XYXY does
    original, dtype, need_cast = boxes, boxes.dtype, not boxes.is_floating_point()
    boxes = boxes.float() if need_cast else (boxes if inplace else boxes.clone())
    boxes[..., :2] -= boxes[..., 2:] / 2
    if need_cast:
        corners = (boxes[..., :2] + boxes[..., 2:]).to(dtype)
        boxes = boxes.to(dtype)
        boxes[..., 2:] = corners - boxes[..., :2]
        if inplace:
            original[...] = boxes
            return original
    return boxes


def _cxcywh_to_xyxy(boxes, inplace):
    original, dtype, need_cast = boxes, boxes.dtype, not boxes.is_floating_point()
    boxes = boxes.float() if need_cast else (boxes if inplace else boxes.clone())
    boxes[..., :2] -= boxes[..., 2:] / 2
    boxes[..., 2:] += boxes[..., :2]
    if need_cast:
        boxes = boxes.to(dtype)
        if inplace:
            original[...] = boxes
            return original
    return boxes


def _xyxy_to_cxcywh(boxes, inplace):
    if not inplace:
        boxes = boxes.clone()
    boxes[..., 2:] -= boxes[..., :2]
    boxes[..., :2] = _floor_or_true_half(boxes[..., :2] * 2 + boxes[..., 2:])
    return boxes


def _half_sizes(boxes):
    # the width and height halved, as torchvision's ``div(-2, ...).abs_()`` halves them (flooring integers)
    return boxes[..., 2:-1].div(-2, rounding_mode=None if boxes.is_floating_point() else "floor").abs_()


def _angle_cos_sin(boxes):
    radians = boxes[..., 4].mul(math.pi).div(180.0)
    return radians.cos(), radians.sin()


def _cxcywhr_to_xywhr(boxes, inplace):
    if not inplace:
        boxes = boxes.clone()
    half_wh = _half_sizes(boxes)
    cos, sin = _angle_cos_sin(boxes)
    boxes[..., 0].sub_(half_wh[..., 0].mul(cos)).sub_(half_wh[..., 1].mul(sin))
    boxes[..., 1].add_(half_wh[..., 0].mul(sin)).sub_(half_wh[..., 1].mul(cos))
    return boxes


def _xywhr_to_cxcywhr(boxes, inplace):
    if not inplace:
        boxes = boxes.clone()
    half_wh = _half_sizes(boxes)
    cos, sin = _angle_cos_sin(boxes)
    boxes[..., 0].add_(half_wh[..., 0].mul(cos)).add_(half_wh[..., 1].mul(sin))
    boxes[..., 1].sub_(half_wh[..., 0].mul(sin)).add_(half_wh[..., 1].mul(cos))
    return boxes


def _xywhr_to_xyxyxyxy(boxes, inplace):
    """The four corners, clockwise from (x1, y1) on screen: the top-left corner turned by the angle (degrees,
    counter-clockwise). As torchvision's ``tile((1, 4))`` does, a single box (5,) becomes a (1, 8) one."""
    if not inplace:
        boxes = boxes.clone()
    wh = boxes[..., 2:-1]
    cos, sin = _angle_cos_sin(boxes)
    corners = boxes[..., :2].tile((1, 4))
    corners[..., 2].add_(wh[..., 0].mul(cos))
    corners[..., 3].sub_(wh[..., 0].mul(sin))
    corners[..., 4].add_(wh[..., 0].mul(cos).add(wh[..., 1].mul(sin)))
    corners[..., 5].sub_(wh[..., 0].mul(sin).sub(wh[..., 1].mul(cos)))
    corners[..., 6].add_(wh[..., 1].mul(sin))
    corners[..., 7].add_(wh[..., 1].mul(cos))
    return corners


def _xyxyxyxy_to_xywhr(boxes, inplace):
    """The first corner, the lengths of the first two sides and the first side's angle (degrees); integer boxes
    are computed in float32 (torchvision's guard against overflowing squares) and cast back."""
    if not inplace:
        boxes = boxes.clone()
    dtype = boxes.dtype
    need_cast = dtype not in (_dtype.float32, _dtype.float64)
    if need_cast:
        boxes = boxes.to(_dtype.float32)
    radians = boxes[..., 1].sub(boxes[..., 3]).atan2(boxes[..., 2].sub(boxes[..., 0]))
    boxes[..., 4:6].sub_(boxes[..., 2:4])
    boxes[..., 2:4].sub_(boxes[..., :2])
    boxes[..., 2] = boxes[..., 2].pow(2).add(boxes[..., 3].pow(2)).sqrt()
    boxes[..., 3] = boxes[..., 4].pow(2).add(boxes[..., 5].pow(2)).sqrt()
    boxes[..., 4] = radians.div_(math.pi).mul_(180.0)
    if need_cast:
        boxes = boxes.to(dtype)
    return boxes[..., :5]


# torchvision's conversions go through XYXY (axis-aligned formats) or XYWHR (rotated ones)
_TO_HUB = {BoundingBoxFormat.XYWH: _xywh_to_xyxy, BoundingBoxFormat.CXCYWH: _cxcywh_to_xyxy,
           BoundingBoxFormat.CXCYWHR: _cxcywhr_to_xywhr, BoundingBoxFormat.XYXYXYXY: _xyxyxyxy_to_xywhr}
_FROM_HUB = {BoundingBoxFormat.XYWH: _xyxy_to_xywh, BoundingBoxFormat.CXCYWH: _xyxy_to_cxcywh,
             BoundingBoxFormat.CXCYWHR: _xywhr_to_cxcywhr, BoundingBoxFormat.XYXYXYXY: _xywhr_to_xyxyxyxy}


def convert_format(boxes, old_format, new_format, inplace=False):
    """Plain-tensor boxes from ``old_format`` to ``new_format`` (torchvision's ``_convert_bounding_box_format``)."""
    if new_format == old_format:
        return boxes
    if tv.is_rotated_bounding_format(old_format) ^ tv.is_rotated_bounding_format(new_format):
        raise ValueError("Cannot convert between rotated and unrotated bounding boxes.")
    if old_format == BoundingBoxFormat.XYWH and new_format == BoundingBoxFormat.CXCYWH:
        return _xywh_to_cxcywh(boxes, inplace)
    if old_format == BoundingBoxFormat.CXCYWH and new_format == BoundingBoxFormat.XYWH:
        return _cxcywh_to_xywh(boxes, inplace)
    if old_format in _TO_HUB:
        boxes = _TO_HUB[old_format](boxes, inplace)
    if new_format in _FROM_HUB:
        boxes = _FROM_HUB[new_format](boxes, inplace)
    return boxes


def clamp(boxes, format, canvas_size, clamping_mode):
    """Plain-tensor boxes clamped to the canvas (through float XYXY, back to their dtype); None leaves them."""
    if tv.is_rotated_bounding_format(format):
        return clamp_rotated(boxes, format, canvas_size, clamping_mode, convert_format)
    if clamping_mode is None:
        return boxes.clone()
    in_dtype = boxes.dtype
    boxes = boxes.clone() if boxes.is_floating_point() else boxes.float()
    xyxy = convert_format(boxes, format, BoundingBoxFormat.XYXY, inplace=True)
    xyxy[..., 0::2] = xyxy[..., 0::2].clamp(min=0, max=canvas_size[1])
    xyxy[..., 1::2] = xyxy[..., 1::2].clamp(min=0, max=canvas_size[0])
    return convert_format(xyxy, BoundingBoxFormat.XYXY, format, inplace=True).to(in_dtype)


def convert_bounding_box_format(inpt, old_format=None, new_format=None, inplace=False):
    """Boxes converted to ``new_format``: ``BoundingBoxes`` from their own format, plain tensors from
    ``old_format``."""
    from ._utils import is_pure_tensor

    if new_format is None:
        raise TypeError("convert_bounding_box_format() missing 1 required argument: 'new_format'")
    old_format, new_format = _as_format(old_format), _as_format(new_format)
    if is_pure_tensor(inpt):
        if old_format is None:
            raise ValueError("For pure tensor inputs, `old_format` has to be passed.")
        return convert_format(inpt, old_format, new_format, inplace)
    if isinstance(inpt, tv.BoundingBoxes):
        if old_format is not None:
            raise ValueError("For bounding box tv_tensor inputs, `old_format` must not be passed.")
        out = convert_format(_pure(inpt), inpt.format, new_format, inplace)
        return tv.wrap(out, like=inpt, format=new_format)
    raise TypeError(f"Input can either be a plain tensor or a bounding box tv_tensor, but got {type(inpt)} instead.")


def clamp_bounding_boxes(inpt, format=None, canvas_size=None, clamping_mode="auto"):
    """Boxes clamped to their canvas: ``BoundingBoxes`` with their own format, canvas and (for "auto") clamping
    mode; plain tensors with the ``format``, ``canvas_size`` and ``clamping_mode`` given."""
    from ._utils import is_pure_tensor

    if clamping_mode is not None and clamping_mode not in ("soft", "hard", "auto"):
        raise ValueError(f"clamping_mode must be soft, hard, auto or None, got {clamping_mode}")
    if is_pure_tensor(inpt):
        if format is None or canvas_size is None or clamping_mode == "auto":
            raise ValueError("For pure tensor inputs, `format`, `canvas_size` and `clamping_mode` have to be passed.")
        return clamp(inpt, _as_format(format), canvas_size, clamping_mode)
    if isinstance(inpt, tv.BoundingBoxes):
        if format is not None or canvas_size is not None:
            raise ValueError("For bounding box tv_tensor inputs, `format` and `canvas_size` must not be passed.")
        if clamping_mode == "auto":
            clamping_mode = inpt.clamping_mode
        return tv.wrap(clamp(_pure(inpt), inpt.format, inpt.canvas_size, clamping_mode), like=inpt)
    raise TypeError(f"Input can either be a plain tensor or a bounding box tv_tensor, but got {type(inpt)} instead.")


# ---------------------------------------------------------------- bounding boxes: geometry

def _boxes_kernel(compute):
    """A BoundingBoxes kernel from ``compute(boxes, format, canvas_size, clamping_mode, *args, **kwargs)``, which
    gives the new boxes and canvas size."""
    def run(inpt, *args, **kwargs):
        out, canvas_size = compute(_pure(inpt), inpt.format, tuple(inpt.canvas_size), inpt.clamping_mode,
                                   *args, **kwargs)
        return tv.wrap(out, like=inpt, canvas_size=canvas_size)

    return run


_BOX_WIDTHS = {BoundingBoxFormat.XYWHR: 5, BoundingBoxFormat.CXCYWHR: 5, BoundingBoxFormat.XYXYXYXY: 8}


def _flip(boxes, format, canvas_size, axis):
    """Boxes mirrored along ``axis`` (0: x, 1: y). A rotated box turns the other way: its angle is negated (and
    mirrored vertically, turned by 180 degrees more); an XYWHR box's first corner moves to the end of its first side,
    and a four-corner box lists its corners in the same turning order again."""
    shape = boxes.shape
    boxes = boxes.clone().reshape(-1, _BOX_WIDTHS.get(format, 4))
    extent = canvas_size[1 - axis]
    if format == BoundingBoxFormat.XYXY:
        first, second = axis, axis + 2
        boxes[:, [second, first]] = boxes[:, [first, second]].sub(extent).neg()
    elif format == BoundingBoxFormat.XYWH:
        boxes[:, axis] = boxes[:, axis].add(boxes[:, axis + 2]).sub(extent).neg()
    elif format == BoundingBoxFormat.XYXYXYXY:
        boxes[:, axis::2] = boxes[:, axis::2].sub(extent).neg()
        boxes = boxes[:, [2, 3, 0, 1, 6, 7, 4, 5]]
    elif format == BoundingBoxFormat.XYWHR:
        cos, sin = _angle_cos_sin(boxes)
        # the end of the first side: (x + w cos, y - w sin)
        ends = (boxes[:, 0].add(boxes[:, 2].mul(cos)), boxes[:, 1].sub(boxes[:, 2].mul(sin)))
        boxes[:, axis] = ends[axis].sub(extent).neg()
        boxes[:, 1 - axis] = ends[1 - axis]
        boxes[:, 4] = _mirrored_angle(boxes[:, 4], axis)
    else:  # CXCYWH, CXCYWHR: the centre mirrors
        boxes[:, axis] = boxes[:, axis].sub(extent).neg()
        if format == BoundingBoxFormat.CXCYWHR:
            boxes[:, 4] = _mirrored_angle(boxes[:, 4], axis)
    return boxes.reshape(shape)


def _mirrored_angle(angle, axis):
    return angle.neg() if axis == 0 else angle.neg().add(180)


def horizontal_flip_bounding_boxes(boxes, format, canvas_size, clamping_mode="soft"):
    return _flip(boxes, format, canvas_size, 0), canvas_size


def vertical_flip_bounding_boxes(boxes, format, canvas_size, clamping_mode="soft"):
    return _flip(boxes, format, canvas_size, 1), canvas_size


def resize_bounding_boxes(boxes, format, canvas_size, clamping_mode, size, interpolation=None, max_size=None,
                          antialias=None):
    from ..functional import _compute_resized_output_size

    if isinstance(size, int):
        size = [size]
    old_height, old_width = canvas_size
    new_height, new_width = _compute_resized_output_size(canvas_size, size, max_size, allow_size_none=True)
    if (new_height, new_width) == (old_height, old_width):
        return boxes, canvas_size
    ratios = [new_width / old_width, new_height / old_height]
    if not tv.is_rotated_bounding_format(format):
        return boxes.mul(_tensor(ratios * 2)).to(boxes.dtype), (new_height, new_width)
    # the corners scaled, squared up and clamped, back in the boxes' format
    corners = convert_format(boxes, format, BoundingBoxFormat.XYXYXYXY).reshape(-1, 8)
    corners = parallelogram_to_boxes(corners.mul(_tensor(ratios * 4)))
    corners = clamp(corners, BoundingBoxFormat.XYXYXYXY, (new_height, new_width), clamping_mode)
    out = convert_format(corners, BoundingBoxFormat.XYXYXYXY, format).to(boxes.dtype).reshape(boxes.shape)
    return out, (new_height, new_width)


def _corner_shift(format, left, top):
    """What moving a box by (left, top) adds to each of its coordinates in ``format``."""
    if format == BoundingBoxFormat.XYXYXYXY:
        return [left, top] * 4
    if format == BoundingBoxFormat.XYXY:
        return [left, top] * 2
    return [left, top, 0, 0] + [0] * tv.is_rotated_bounding_format(format)


def crop_bounding_boxes(boxes, format, canvas_size, clamping_mode, top, left, height, width):
    boxes = boxes - _tensor(_corner_shift(format, left, top), dtype=boxes.dtype)
    canvas_size = (height, width)
    if format == BoundingBoxFormat.XYXYXYXY:
        boxes = parallelogram_to_boxes(boxes)
    return clamp(boxes, format, canvas_size, clamping_mode), canvas_size


def _center_crop_box(canvas_size, output_size):
    """(top, left, height, width) of center_crop's window on a canvas, torchvision's rounding."""
    if isinstance(output_size, int):
        output_size = [output_size, output_size]
    elif len(output_size) == 1:
        output_size = [output_size[0], output_size[0]]
    crop_height, crop_width = output_size
    top = int(round((canvas_size[0] - crop_height) / 2.0))
    left = int(round((canvas_size[1] - crop_width) / 2.0))
    return top, left, crop_height, crop_width


def center_crop_bounding_boxes(boxes, format, canvas_size, clamping_mode, output_size):
    top, left, crop_height, crop_width = _center_crop_box(canvas_size, output_size)
    return crop_bounding_boxes(boxes, format, canvas_size, clamping_mode, top, left, crop_height, crop_width)


def resized_crop_bounding_boxes(boxes, format, canvas_size, clamping_mode, top, left, height, width, size,
                                interpolation=None, antialias=None):
    boxes, canvas_size = crop_bounding_boxes(boxes, format, canvas_size, clamping_mode, top, left, height, width)
    return resize_bounding_boxes(boxes, format, canvas_size, clamping_mode, size)


def pad_bounding_boxes(boxes, format, canvas_size, clamping_mode, padding, fill=None, padding_mode="constant"):
    from ._v1_based import _parse_pad_padding

    if padding_mode not in ["constant"]:
        raise ValueError(f"Padding mode '{padding_mode}' is not supported with bounding boxes")
    left, right, top, bottom = _parse_pad_padding(padding)
    boxes = boxes + _tensor(_corner_shift(format, left, top), dtype=boxes.dtype)
    canvas_size = (canvas_size[0] + top + bottom, canvas_size[1] + left + right)
    return clamp(boxes, format, canvas_size, clamping_mode), canvas_size


def _corners_format(format):
    # rotated boxes move as their four corners, the others as the corners of their XYXY form
    return BoundingBoxFormat.XYXYXYXY if tv.is_rotated_bounding_format(format) else BoundingBoxFormat.XYXY


_WIDTHS = {BoundingBoxFormat.XYXYXYXY: 8, BoundingBoxFormat.XYXY: 4}


def _corners(boxes):
    """The (x, y) corners, one per row, of (N, 8) XYXYXYXY boxes or of (N, 4) XYXY ones (four each)."""
    if boxes.shape[-1] == 8:
        return boxes.reshape(-1, 2)
    return boxes[:, [[0, 1], [2, 1], [2, 3], [0, 3]]].reshape(-1, 2)


def _box_of_corners(moved, corners_format):
    """Boxes from their moved corners (rows of ``_corners``): XYXYXYXY ones squared up into rectangles, XYXY
    ones the corners' bounds."""
    if corners_format == BoundingBoxFormat.XYXYXYXY:
        return parallelogram_to_boxes(moved.reshape(-1, 8))
    moved = moved.reshape(-1, 4, 2)
    return cat([moved.amin(dim=1), moved.amax(dim=1)], dim=1)


def _rows_times(points, matrix):
    """``[x, y, 1] @ matrix.T`` for each point (x, y), summed in order in the points' dtype as torch's small matrix
    product sums it (x * a + y * b, then + c; a BLAS product fuses some of these and can end an ulp away, enough to
    move a box edge past an integer when boxes are cast back)."""
    return points[:, :1] * matrix[:, 0] + points[:, 1:2] * matrix[:, 1] + matrix[:, 2]


def _check_affine_arguments(angle, translate, scale, shear, center):
    """torchvision's ``_affine_parse_args`` checks, for the kernels that do not warp pixels."""
    import numbers

    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    if isinstance(shear, (list, tuple)) and len(shear) not in (1, 2):
        raise ValueError(f"Shear should be a sequence containing two values. Got {list(shear)}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")


def _affine_boxes(boxes, format, canvas_size, clamping_mode, angle, translate, scale, shear, center, expand):
    import numbers

    _check_affine_arguments(angle, translate, scale, shear, center)
    if boxes.numel() == 0:
        return boxes, canvas_size
    original_shape, dtype = boxes.shape, boxes.dtype
    need_cast = not boxes.is_floating_point()
    boxes = boxes.float() if need_cast else boxes.clone()
    corners_format = _corners_format(format)
    boxes = convert_format(boxes, format, corners_format, inplace=True).reshape(-1, _WIDTHS[corners_format])
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if center is None:
        height, width = canvas_size
        center = [width * 0.5, height * 0.5]
    matrix = _tensor(_affine_matrix(center, float(angle), list(translate), scale, shear, inverted=False),
                     dtype=boxes.dtype).reshape(2, 3)
    out = _box_of_corners(_rows_times(_corners(boxes), matrix), corners_format)
    if expand:
        from .._warp import _compute_affine_output_size

        height, width = canvas_size
        corners = _tensor([[0.0, 0.0], [0.0, float(height)], [float(width), float(height)], [float(width), 0.0]],
                          dtype=boxes.dtype)
        offset = _rows_times(corners, matrix).amin(dim=0, keepdim=True)
        out = out - offset.repeat(1, _WIDTHS[corners_format] // 2)
        inverse = _affine_matrix(center, float(angle), list(translate), scale, shear, inverted=True)
        new_width, new_height = _compute_affine_output_size(inverse, width, height)
        canvas_size = (new_height, new_width)
    out = clamp(out, corners_format, canvas_size, clamping_mode)
    out = convert_format(out, corners_format, format, inplace=True).reshape(original_shape)
    return (out.to(dtype) if need_cast else out), canvas_size


def affine_bounding_boxes(boxes, format, canvas_size, clamping_mode, angle, translate, scale, shear,
                          interpolation=None, fill=None, center=None):
    out, _ = _affine_boxes(boxes, format, canvas_size, clamping_mode, angle, translate, scale, shear, center, False)
    return out, canvas_size


def rotate_bounding_boxes(boxes, format, canvas_size, clamping_mode, angle, interpolation=None, expand=False,
                          center=None, fill=None):
    return _affine_boxes(boxes, format, canvas_size, clamping_mode, -angle, [0.0, 0.0], 1.0, [0.0, 0.0], center,
                         expand)


def _perspective_coefficients(startpoints, endpoints, coefficients):
    from .._warp import _get_perspective_coeffs

    if coefficients is not None:
        if startpoints is not None and endpoints is not None:
            raise ValueError("The startpoints/endpoints and the coefficients shouldn't be defined concurrently.")
        if len(coefficients) != 8:
            raise ValueError("Argument coefficients should have 8 float values")
        return list(coefficients)
    if startpoints is not None and endpoints is not None:
        return _get_perspective_coeffs(startpoints, endpoints)
    raise ValueError("Either the startpoints/endpoints or the coefficients must have non `None` values.")


def _perspective_thetas(c, denom, dtype):
    """The numerator and denominator rows of the homography's inverse (input pixel to output pixel)."""
    inverse = [(c[4] - c[5] * c[7]) / denom, (-c[1] + c[2] * c[7]) / denom, (c[1] * c[5] - c[2] * c[4]) / denom,
               (-c[3] + c[5] * c[6]) / denom, (c[0] - c[2] * c[6]) / denom, (-c[0] * c[5] + c[2] * c[3]) / denom,
               (-c[4] * c[6] + c[3] * c[7]) / denom, (-c[0] * c[7] + c[1] * c[6]) / denom]
    theta1 = _tensor([inverse[0:3], inverse[3:6]], dtype=dtype)
    theta2 = _tensor([[inverse[6], inverse[7], 1.0], [inverse[6], inverse[7], 1.0]], dtype=dtype)
    return theta1, theta2


def perspective_bounding_boxes(boxes, format, canvas_size, clamping_mode, startpoints, endpoints, interpolation=None,
                               fill=None, coefficients=None):
    """Each box's corners through the homography (the inverse of the image's output-to-input map), then their
    bounding box, clamped."""
    if boxes.numel() == 0:
        return boxes, canvas_size
    c = _perspective_coefficients(startpoints, endpoints, coefficients)
    original_shape, original_dtype = boxes.shape, boxes.dtype
    corners_format = _corners_format(format)
    boxes = convert_format(boxes, format, corners_format).reshape(-1, _WIDTHS[corners_format])
    dtype = boxes.dtype if boxes.is_floating_point() else _dtype.float32
    denom = c[0] * c[4] - c[1] * c[3]
    if denom == 0:
        raise RuntimeError(f"Provided perspective_coeffs {c} can not be inverted to transform bounding boxes. "
                           f"Denominator is zero, denom={denom}")
    theta1, theta2 = _perspective_thetas(c, denom, dtype)
    # the corners join a float32 column of ones, as torchvision's: integer boxes become float32, float64 stay
    points = _corners(boxes)
    points = points.to(_dtype.float64 if points.dtype == _dtype.float64 else _dtype.float32)
    out = _box_of_corners(_rows_times(points, theta1) / _rows_times(points, theta2), corners_format)
    out = clamp(out, corners_format, canvas_size, clamping_mode)
    out = convert_format(out, corners_format, format, inplace=True).reshape(original_shape)
    return out.to(original_dtype), canvas_size


def _identity_grid(canvas_size, dtype):
    from ...._creation import empty, linspace

    sy, sx = canvas_size
    grid = empty(1, sy, sx, 2, dtype=dtype)
    grid[..., 0] = linspace((-sx + 1) / sx, (sx - 1) / sx, sx, dtype=dtype)
    grid[..., 1] = linspace((-sy + 1) / sy, (sy - 1) / sy, sy, dtype=dtype).unsqueeze(-1)
    return grid


def _check_displacement(displacement, canvas_size):
    """Elastic's displacement must be a (1, H, W, 2) tensor over the canvas, as torchvision checks it."""
    expected_shape = (1, canvas_size[0], canvas_size[1], 2)
    if not isinstance(displacement, Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    if tuple(displacement.shape) != expected_shape:
        raise ValueError(f"Argument displacement shape should be {expected_shape}, but given {displacement.shape}")


def elastic_bounding_boxes(boxes, format, canvas_size, clamping_mode, displacement, interpolation=None, fill=None):
    """Each box's corners moved by the displacement at their (ceiled) pixels, then their bounding box, clamped."""
    _check_displacement(displacement, canvas_size)
    if boxes.numel() == 0:
        return boxes, canvas_size
    dtype = boxes.dtype if boxes.is_floating_point() else _dtype.float32
    displacement = displacement.to(dtype)
    original_shape = boxes.shape
    # rotated boxes move with their centre, keeping their size and angle; the others as their corners' bounds
    rotated = tv.is_rotated_bounding_format(format)
    moved_format = BoundingBoxFormat.CXCYWHR if rotated else BoundingBoxFormat.XYXY
    boxes = convert_format(boxes.clone(), format, moved_format).reshape(-1, 5 if rotated else 4)
    inverse_grid = _identity_grid(canvas_size, dtype) - displacement
    points = boxes[:, :2] if rotated else _corners(boxes)
    if points.is_floating_point():
        points = points.ceil()
    index = points.to(_dtype.int64)
    index_x = index[:, 0].clamp(0, inverse_grid.shape[2] - 1)
    index_y = index[:, 1].clamp(0, inverse_grid.shape[1] - 1)
    size = _tensor(list(canvas_size[::-1]), dtype=displacement.dtype)
    moved = (inverse_grid[0, index_y, index_x, :] + 1) * (0.5 * size) - 0.5
    if rotated:
        out = cat([moved, boxes[:, 2:]], dim=1).to(boxes.dtype)
    else:
        out = _box_of_corners(moved, BoundingBoxFormat.XYXY).to(boxes.dtype)
    out = clamp(out, moved_format, canvas_size, clamping_mode)
    return convert_format(out, moved_format, format).reshape(original_shape), canvas_size


# ---------------------------------------------------------------- keypoints

def _points_kernel(compute):
    """A KeyPoints kernel from ``compute(points, canvas_size, *args, **kwargs)`` giving the new points and canvas."""
    def run(inpt, *args, **kwargs):
        out, canvas_size = compute(_pure(inpt), tuple(inpt.canvas_size), *args, **kwargs)
        return tv.wrap(out, like=inpt, canvas_size=canvas_size)

    return run


def _flip_points(points, canvas_size, axis):
    shape = points.shape
    points = points.clone().reshape(-1, 2)
    points[..., axis] = points[..., axis].sub(canvas_size[1 - axis] - 1).neg()
    return points.reshape(shape), canvas_size


def resize_keypoints(points, canvas_size, size, interpolation=None, max_size=None, antialias=None):
    from ..functional import _compute_resized_output_size

    if isinstance(size, int):
        size = [size]
    old_height, old_width = canvas_size
    new_height, new_width = _compute_resized_output_size(canvas_size, size, max_size, allow_size_none=True)
    if (new_height, new_width) == (old_height, old_width):
        return points, canvas_size
    ratios = _tensor([new_width / old_width, new_height / old_height])
    return points.mul(ratios).to(points.dtype), (new_height, new_width)


def crop_keypoints(points, canvas_size, top, left, height, width):
    return points - _tensor([left, top], dtype=points.dtype), (height, width)


def center_crop_keypoints(points, canvas_size, output_size):
    top, left, crop_height, crop_width = _center_crop_box(canvas_size, output_size)
    return crop_keypoints(points, canvas_size, top, left, crop_height, crop_width)


def resized_crop_keypoints(points, canvas_size, top, left, height, width, size, interpolation=None,
                           antialias=None):
    points, canvas_size = crop_keypoints(points, canvas_size, top, left, height, width)
    return resize_keypoints(points, canvas_size, size)


def pad_keypoints(points, canvas_size, padding, fill=None, padding_mode="constant"):
    from ._v1_based import _parse_pad_padding

    if padding_mode not in ["constant"]:
        raise ValueError(f"Padding mode '{padding_mode}' is not supported with KeyPoints (supported modes are "
                         "constant)")
    left, right, top, bottom = _parse_pad_padding(padding)
    canvas_size = (canvas_size[0] + top + bottom, canvas_size[1] + left + right)
    return points + _tensor([left, top], dtype=points.dtype), canvas_size


def _affine_points(points, canvas_size, angle, translate, scale, shear, center, expand):
    import numbers

    _check_affine_arguments(angle, translate, scale, shear, center)
    if points.numel() == 0:
        return points, canvas_size
    original_dtype, original_shape = points.dtype, points.shape
    points = points.clone() if points.is_floating_point() else points.float()
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if center is None:
        center = [canvas_size[1] * 0.5, canvas_size[0] * 0.5]
    matrix = _tensor(_affine_matrix(center, float(angle), list(translate), scale, shear, inverted=False),
                     dtype=points.dtype).reshape(2, 3)
    moved = _rows_times(points.reshape(-1, 2), matrix)
    if expand:
        from .._warp import _compute_affine_output_size

        height, width = canvas_size
        corners = _tensor([[0.0, 0.0], [0.0, float(height)], [float(width), float(height)], [float(width), 0.0]],
                          dtype=points.dtype)
        moved = moved - _rows_times(corners, matrix).amin(dim=0, keepdim=True)
        inverse = _affine_matrix(center, float(angle), list(translate), scale, shear, inverted=True)
        new_width, new_height = _compute_affine_output_size(inverse, width, height)
        canvas_size = (new_height, new_width)
    return moved.reshape(original_shape).to(original_dtype), canvas_size


def affine_keypoints(points, canvas_size, angle, translate, scale, shear, interpolation=None, fill=None,
                     center=None):
    out, _ = _affine_points(points, canvas_size, angle, translate, scale, shear, center, False)
    return out, canvas_size


def rotate_keypoints(points, canvas_size, angle, interpolation=None, expand=False, center=None, fill=None):
    return _affine_points(points, canvas_size, -angle, [0.0, 0.0], 1.0, [0.0, 0.0], center, expand)


def perspective_keypoints(points, canvas_size, startpoints, endpoints, interpolation=None, fill=None,
                          coefficients=None):
    if points.numel() == 0:
        return points, canvas_size
    dtype = points.dtype if points.is_floating_point() else _dtype.float32
    original_shape = points.shape
    c = _perspective_coefficients(startpoints, endpoints, coefficients)
    denom = c[0] * c[4] - c[1] * c[3]
    if denom == 0:
        raise RuntimeError(f"Provided perspective_coeffs {c} can not be inverted to transform keypoints. "
                           f"Denominator is zero, denom={denom}")
    theta1, theta2 = _perspective_thetas(c, denom, dtype)
    flat = points.reshape(-1, 2)
    flat = flat.to(_dtype.float64 if flat.dtype == _dtype.float64 else _dtype.float32)
    moved = _rows_times(flat, theta1) / _rows_times(flat, theta2)
    return moved.to(points.dtype).reshape(original_shape), canvas_size


def elastic_keypoints(points, canvas_size, displacement, interpolation=None, fill=None):
    _check_displacement(displacement, canvas_size)
    if points.numel() == 0:
        return points, canvas_size
    dtype = points.dtype if points.is_floating_point() else _dtype.float32
    displacement = displacement.to(dtype)
    original_shape = points.shape
    flat = points.reshape(-1, 2)
    inverse_grid = _identity_grid(canvas_size, dtype) - displacement
    index = flat.to(_dtype.int64)
    index_x = index[:, 0].clamp(0, inverse_grid.shape[2] - 1)
    index_y = index[:, 1].clamp(0, inverse_grid.shape[1] - 1)
    size = _tensor(list(canvas_size[::-1]), dtype=displacement.dtype)
    moved = (inverse_grid[0, index_y, index_x, :] + 1) * (0.5 * size) - 0.5
    return moved.to(points.dtype).reshape(original_shape), canvas_size


def clamp_keypoints(inpt, canvas_size=None):
    """Points clamped into their canvas (x to [0, width - 1], y to [0, height - 1]): ``KeyPoints`` to their own
    canvas, plain tensors to the ``canvas_size`` given."""
    from ._utils import is_pure_tensor

    def clamped(points, canvas_size):
        dtype = points.dtype
        points = points.clone() if points.is_floating_point() else points.float()
        points[..., 0] = points[..., 0].clamp(min=0, max=canvas_size[1] - 1)
        points[..., 1] = points[..., 1].clamp(min=0, max=canvas_size[0] - 1)
        return points.to(dtype)

    if is_pure_tensor(inpt):
        if canvas_size is None:
            raise ValueError("For pure tensor inputs, `canvas_size` has to be passed.")
        return clamped(inpt, canvas_size)
    if isinstance(inpt, tv.KeyPoints):
        if canvas_size is not None:
            raise ValueError("For keypoints tv_tensor inputs, `canvas_size` must not be passed.")
        return tv.wrap(clamped(_pure(inpt), inpt.canvas_size), like=inpt)
    raise TypeError(f"Input can either be a plain tensor or a keypoints tv_tensor, but got {type(inpt)} instead.")


keypoints_kernels = {name: _points_kernel(compute) for name, compute in (
    ("horizontal_flip", lambda points, canvas_size: _flip_points(points, canvas_size, 0)),
    ("vertical_flip", lambda points, canvas_size: _flip_points(points, canvas_size, 1)),
    ("resize", resize_keypoints), ("crop", crop_keypoints), ("center_crop", center_crop_keypoints),
    ("resized_crop", resized_crop_keypoints), ("pad", pad_keypoints), ("affine", affine_keypoints),
    ("rotate", rotate_keypoints), ("perspective", perspective_keypoints), ("elastic", elastic_keypoints))}


boxes_kernels = {name: _boxes_kernel(compute) for name, compute in (
    ("horizontal_flip", horizontal_flip_bounding_boxes), ("vertical_flip", vertical_flip_bounding_boxes),
    ("resize", resize_bounding_boxes), ("crop", crop_bounding_boxes), ("center_crop", center_crop_bounding_boxes),
    ("resized_crop", resized_crop_bounding_boxes), ("pad", pad_bounding_boxes), ("affine", affine_bounding_boxes),
    ("rotate", rotate_bounding_boxes), ("perspective", perspective_bounding_boxes),
    ("elastic", elastic_bounding_boxes))}


def register_kernel(functional, tv_tensor_cls):
    """Decorate a kernel to register it for a v2 functional (or its name) and a custom TVTensor subclass; the
    kernel is called with the TVTensor itself and returns what the functional returns.

    Raises:
        ValueError: for a function that is not a v2 functional, a class that is not a TVTensor subclass, one of
            the built-in tv_tensors, or a type the functional already has a kernel for.
    """
    from . import functional as F

    if isinstance(functional, str):
        name = functional
        functional = getattr(F, name, None)
        if functional is None:
            raise ValueError(f"Could not find functional with name '{name}' in "
                             "torchless.vision.transforms.v2.functional.")
    elif not (callable(functional) and getattr(functional, "_tv_kernels", None) is not None):
        raise ValueError("Kernels can only be registered on functionals from the torchless.vision.transforms.v2."
                         f"functional namespace, but got {functional}.")
    if not (isinstance(tv_tensor_cls, type) and issubclass(tv_tensor_cls, tv.TVTensor)):
        raise ValueError("Kernels can only be registered for subclasses of torchless.vision.tv_tensors.TVTensor, "
                         f"but got {tv_tensor_cls}.")
    if tv_tensor_cls in (tv.Image, tv.Video, tv.Mask, tv.BoundingBoxes, tv.KeyPoints, tv.TVTensor):
        raise ValueError(f"Kernels cannot be registered for the builtin tv_tensor classes, but got {tv_tensor_cls}")
    if tv_tensor_cls in functional._tv_kernels:
        raise ValueError(f"Functional {functional} already has a kernel registered for type {tv_tensor_cls}.")

    def decorator(kernel):
        functional._tv_kernels[tv_tensor_cls] = kernel
        return kernel

    return decorator
