"""Rotated bounding boxes (XYWHR, CXCYWHR, XYXYXYXY) under the v2 geometry kernels, as torchvision computes them:
a moved box is four corners that may no longer make a rectangle (``parallelogram_to_boxes`` squares them up), and
clamping to the canvas (``clamp_rotated``) keeps each box's angle, cutting it to the canvas ("hard") or to the
smallest box holding what of it lies inside ("soft")."""
import math

from .... import _dtype
from ...._creation import ones_like, zeros_like
from ...._functions import stack, where
from ...tv_tensors import BoundingBoxFormat


def parallelogram_to_boxes(parallelogram):
    """Rectangles (..., 8) from parallelograms (..., 8): the longer diagonal's two corners stay, the other two move
    to square the box up (integer boxes computed in float32 and cast back)."""
    original_shape, dtype = parallelogram.shape, parallelogram.dtype
    need_cast = dtype not in (_dtype.float32, _dtype.float64)
    if need_cast:  # squares of integers would overflow
        parallelogram = parallelogram.to(_dtype.float32)
    x1, y1, x2, y2, x3, y3, x4, y4 = parallelogram.unbind(-1)
    cx, cy = (x1 + x3) / 2, (y1 + y3) / 2
    side_w = ((x2 - x1).pow(2) + (y2 - y1).pow(2)).sqrt()
    side_h = ((x4 - x1).pow(2) + (y4 - y1).pow(2)).sqrt()
    r12 = (y1 - y2).atan2(x2 - x1)
    r14 = (y1 - y4).atan2(x4 - x1)
    between = r12 - r14
    sign = where(between > math.pi / 2, -1, 1)
    cos, sin = between.cos(), between.sin()
    w = where(side_w < side_h, side_w * sin, side_w + side_h * cos * sign)
    h = where(side_w > side_h, side_h * sin, side_h + side_w * cos * sign)
    angle = where(side_h > side_w, r14 + math.pi / 2, r12)
    cos, sin = angle.cos(), angle.sin()
    corners = (cx - w / 2 * cos - h / 2 * sin, cy - h / 2 * cos + w / 2 * sin,
               cx + w / 2 * cos - h / 2 * sin, cy - h / 2 * cos - w / 2 * sin,
               cx + w / 2 * cos + h / 2 * sin, cy + h / 2 * cos - w / 2 * sin,
               cx - w / 2 * cos + h / 2 * sin, cy + h / 2 * cos + w / 2 * sin)
    out = stack(corners, dim=-1).reshape(original_shape)
    return out.to(dtype) if need_cast else out


def _ordered(boxes, indices=None):
    """(indices, boxes with their corners rolled by indices): by default so that the first corner is the leftmost
    one (the upper of two equally far left)."""
    if indices is None:
        boxes8 = boxes.reshape(-1, 8)
        x, y = boxes8[..., 0::2], boxes8[..., 1::2]
        y_max = y.abs().max(dim=1, keepdim=True)[0]
        x_max = x.abs().max(dim=1, keepdim=True)[0]
        _, first = (y / y_max + (x / x_max) * 100).min(dim=1)
        indices = ones_like(boxes8)
        indices[..., 0] = first.mul(2)
        indices.cumsum_(1).remainder_(8)
    return indices, boxes.gather(1, indices.to(_dtype.int64))


def _slopes_and_intercepts(boxes):
    """(a, b) of the lines y = a x + b through each pair of consecutive corners."""
    x, y = boxes[..., ::2], boxes[..., 1::2]
    a = y.diff(append=y[..., 0:1]) / x.diff(append=x[..., 0:1])
    return a, y - a * x


def _intersections(a, b):
    """The corners where consecutive lines meet, (N, 8)."""
    x = b.diff(prepend=b[..., 3:4]).neg() / a.diff(prepend=a[..., 3:4])
    y = a * x + b
    return stack([x, y], dim=-1).reshape(a.shape[0], 8)


def _clamped_intercepts(boxes, original_boxes, canvas_size, clamping_mode):
    """The lines' intercepts moved into the canvas (torchvision's ``_clamp_y_intercept``); "hard" also keeps the
    corners inside."""
    a, b = _slopes_and_intercepts(boxes)
    a1, a2, a3, a4 = a.unbind(-1)
    b1, b2, b3, b4 = b.unbind(-1)
    _, original_b = _slopes_and_intercepts(original_boxes)
    b1m, b2m, b3m, b4m = original_b.unbind(-1)
    b1 = b2.clamp(b1, b3).clamp(0, canvas_size[0])
    b4 = b3.clamp(b2, b4).clamp(0, canvas_size[0])
    if clamping_mode == "hard":
        b1 = b4 = (b1 + b4) / 2  # one tensor, clamped twice below, as torchvision's
        height, width = canvas_size
        b2 = stack([b1 * a2 / a1, b3 * a2 / a3, (a1 - a2) * width + b1, (a3 - a2) * width + b3],
                   dim=1).max(dim=1)[0].clamp(max=b2)
        b3 = stack([height * (1 - a3 / a4) + b4 * a3 / a4, height * (1 - a3 / a2) + b2 * a3 / a2,
                    (a2 - a3) * width + b2, (a4 - a3) * width + b4], dim=1).min(dim=1)[0].clamp(min=b3)
    b1.clamp_(b1m, b3m)
    b3.clamp_(b1m, b3m)
    b2.clamp_(b2m, b4m)
    b4.clamp_(b2m, b4m)
    return stack([b1, b2, b3, b4], dim=-1)


def _clamped_on_the_left(boxes, original_boxes, canvas_size, clamping_mode):
    """Boxes (first corner leftmost) cut at x = 0 (torchvision's ``_clamp_along_y_axis``)."""
    original_shape = boxes.shape
    boxes = boxes.reshape(-1, 8)
    original_boxes = original_boxes.reshape(-1, 8)
    a, _ = _slopes_and_intercepts(boxes)
    x1, y1, x2, y2, x3, y3, x4, y4 = boxes.unbind(-1)
    b = _clamped_intercepts(boxes, original_boxes, canvas_size, clamping_mode)
    crossing = _intersections(a, b)
    shifted = boxes.clone()
    shifted[..., 0].clamp_(0)
    shifted[..., 6].clamp_(0)
    vanished = zeros_like(shifted)
    use_crossing = (x1 < 0) & ~crossing.isnan().any(-1)  # the first corner lies left of the canvas
    upright = y1.isclose(y2) | y3.isclose(y4)
    use_vanished = (x1 <= 0) & (x2 <= 0) & (x3 <= 0) & (x4 <= 0)
    use_vanished = use_vanished | y1.isclose(y4) | y2.isclose(y3) | (upright & x1.isclose(x2))
    for condition, candidate in ((use_crossing, crossing), (upright, shifted), (use_vanished, vanished)):
        boxes = where(condition.unsqueeze(1).repeat(1, 8), candidate.reshape(-1, 8), boxes)
    return boxes.reshape(original_shape)


def clamp_rotated(boxes, format, canvas_size, clamping_mode, convert_format):
    """Rotated boxes clamped to the canvas: each side in turn (the canvas turned by 90 degrees between them),
    through XYXYXYXY. ``convert_format(boxes, old, new, inplace)`` is the format conversion."""
    if clamping_mode is None:
        return boxes.clone()
    original_shape = boxes.shape
    out = convert_format(boxes.clone(), format, BoundingBoxFormat.XYXYXYXY, True).reshape(-1, 8)
    original = out.clone()
    for _ in range(4):
        indices, out = _ordered(out)
        _, original = _ordered(original, indices)
        out = _clamped_on_the_left(out, original, canvas_size, clamping_mode)
        _, out = _ordered(out, indices)
        _, original = _ordered(original, indices)
        out = _turned_left(out, canvas_size)
        original = _turned_left(original, canvas_size)
        canvas_size = (canvas_size[1], canvas_size[0])
    return convert_format(out, BoundingBoxFormat.XYXYXYXY, format, True).reshape(original_shape)


def _turned_left(boxes, canvas_size):
    # a quarter turn counter-clockwise: (x, y) -> (y, width - x)
    x, y = boxes[:, ::2].clone(), boxes[:, 1::2].clone()
    boxes[:, ::2], boxes[:, 1::2] = y, canvas_size[1] - x
    return boxes
