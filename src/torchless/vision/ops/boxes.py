"""torchvision's box operations (``torchvision.ops.boxes``) on tensors of boxes: format conversion, areas, the IoU
family (IoU, generalized, distance, complete), clipping, removing small boxes, boxes of masks, and non-maximum
suppression. Axis-aligned boxes are (x1, y1, x2, y2) unless a ``fmt`` says otherwise; the arithmetic is
torchvision's, in the boxes' dtype (small integer and half boxes upcast as torchvision upcasts them)."""
import math

import numpy as np

from ... import _dtype
from ..._creation import empty, zeros, zeros_like
from ..._functions import stack, where
from ..._tensor import Tensor

_AXIS_ALIGNED = ("xyxy", "xywh", "cxcywh")
_ROTATED = ("cxcywhr", "xywhr", "xyxyxyxy")


def _upcast(t):
    # protects the products from overflowing, as torchvision's: half to float, small integers to int
    if t.is_floating_point():
        return t if t.dtype in (_dtype.float32, _dtype.float64) else t.float()
    return t if t.dtype in (_dtype.int32, _dtype.int64) else t.int()


def _rounded_back(boxes, dtype):
    # integer boxes of the rotated conversions are computed in floats and rounded back
    if dtype.is_floating_point:
        return boxes
    return boxes.round_().to(dtype)


def _cxcywh_to_xyxy(boxes):
    cx, cy, w, h = boxes.unbind(-1)
    return stack((cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h), dim=-1)


def _xyxy_to_cxcywh(boxes):
    x1, y1, x2, y2 = boxes.unbind(-1)
    return stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)


def _xywh_to_xyxy(boxes):
    x, y, w, h = boxes.unbind(-1)
    return stack([x, y, x + w, y + h], dim=-1)


def _xyxy_to_xywh(boxes):
    x1, y1, x2, y2 = boxes.unbind(-1)
    return stack((x1, y1, x2 - x1, y2 - y1), dim=-1)


def _cos_sin(degrees):
    radians = degrees * math.pi / 180.0
    return radians.cos(), radians.sin()


def _cxcywhr_to_xywhr(boxes):
    cx, cy, w, h, r = boxes.unbind(-1)
    cos, sin = _cos_sin(r)
    out = stack((cx - w / 2 * cos - h / 2 * sin, cy - h / 2 * cos + w / 2 * sin, w, h, r), dim=-1)
    return _rounded_back(out, boxes.dtype)


def _xywhr_to_cxcywhr(boxes):
    x1, y1, w, h, r = boxes.unbind(-1)
    cos, sin = _cos_sin(r)
    out = stack([x1 + w / 2 * cos + h / 2 * sin, y1 - w / 2 * sin + h / 2 * cos, w, h, r], dim=-1)
    return _rounded_back(out, boxes.dtype)


def _xywhr_to_xyxyxyxy(boxes):
    x1, y1, w, h, r = boxes.unbind(-1)
    cos, sin = _cos_sin(r)
    x2, y2 = x1 + w * cos, y1 - w * sin
    out = stack((x1, y1, x2, y2, x2 + h * sin, y2 + h * cos, x1 + h * sin, y1 + h * cos), dim=-1)
    return _rounded_back(out, boxes.dtype)


def _xyxyxyxy_to_xywhr(boxes):
    x1, y1, x2, y2, x3, y3, x4, y4 = boxes.unbind(-1)
    r = (y1 - y2).atan2(x2 - x1) * 180 / math.pi
    w = ((x2 - x1) ** 2 + (y1 - y2) ** 2).sqrt()
    h = ((x3 - x2) ** 2 + (y3 - y2) ** 2).sqrt()
    return _rounded_back(stack((x1, y1, w, h, r), dim=-1), boxes.dtype)


# each conversion torchvision makes, as the steps it takes
_CONVERSIONS = {
    ("xywh", "xyxy"): (_xywh_to_xyxy,), ("cxcywh", "xyxy"): (_cxcywh_to_xyxy,), ("xyxy", "xywh"): (_xyxy_to_xywh,),
    ("xyxy", "cxcywh"): (_xyxy_to_cxcywh,), ("xywh", "cxcywh"): (_xywh_to_xyxy, _xyxy_to_cxcywh),
    ("cxcywh", "xywh"): (_cxcywh_to_xyxy, _xyxy_to_xywh), ("cxcywhr", "xywhr"): (_cxcywhr_to_xywhr,),
    ("xywhr", "cxcywhr"): (_xywhr_to_cxcywhr,), ("cxcywhr", "xyxyxyxy"): (_cxcywhr_to_xywhr, _xywhr_to_xyxyxyxy),
    ("xyxyxyxy", "cxcywhr"): (_xyxyxyxy_to_xywhr, _xywhr_to_cxcywhr), ("xywhr", "xyxyxyxy"): (_xywhr_to_xyxyxyxy,),
    ("xyxyxyxy", "xywhr"): (_xyxyxyxy_to_xywhr,),
}


def box_convert(boxes, in_fmt, out_fmt):
    """Boxes (..., K) converted from ``in_fmt`` to ``out_fmt``: "xyxy", "xywh", "cxcywh" (K = 4) or the rotated
    "xywhr", "cxcywhr" (K = 5, the angle in degrees counter-clockwise) and "xyxyxyxy" (K = 8, the four corners).

    Raises:
        ValueError: for a format not among these.
        NotImplementedError: between an axis-aligned and a rotated format.
    """
    if in_fmt not in _AXIS_ALIGNED + _ROTATED or out_fmt not in _AXIS_ALIGNED + _ROTATED:
        raise ValueError(f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and out_fmt {out_fmt}")
    if in_fmt == out_fmt:
        return boxes.clone()
    steps = _CONVERSIONS.get((in_fmt, out_fmt))
    if steps is None:
        raise NotImplementedError(f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and out_fmt "
                                  f"{out_fmt}")
    for step in steps:
        boxes = step(boxes)
    return boxes


def box_area(boxes, fmt="xyxy"):
    """The areas of boxes (..., 4) in an axis-aligned ``fmt``."""
    if fmt not in _AXIS_ALIGNED:
        raise ValueError(f"Unsupported Bounding Box area for given format {fmt}")
    boxes = _upcast(boxes)
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


def _corners(boxes, fmt):
    """The (x1, y1) and (x2, y2) corners of boxes in an axis-aligned ``fmt``, as torchvision's IoU computes them."""
    if fmt == "xyxy":
        return boxes[..., :2], boxes[..., 2:]
    if fmt == "xywh":
        return boxes[..., :2], boxes[..., :2] + boxes[..., 2:]
    return boxes[..., :2] - boxes[..., 2:] / 2, boxes[..., :2] + boxes[..., 2:] / 2


def _inter_union(boxes1, boxes2, fmt="xyxy"):
    area1, area2 = box_area(boxes1, fmt=fmt), box_area(boxes2, fmt=fmt)
    (lt1, rb1), (lt2, rb2) = _corners(boxes1, fmt), _corners(boxes2, fmt)
    lt = lt1[..., None, :].maximum(lt2[..., None, :, :])  # [..., N, M, 2]
    rb = rb1[..., None, :].minimum(rb2[..., None, :, :])
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, area1[..., None] + area2[..., None, :] - inter


def box_iou(boxes1, boxes2, fmt="xyxy"):
    """The intersection over union of each pair of boxes (..., N, 4) and (..., M, 4): (..., N, M).

    Raises:
        ValueError: for an unknown format.
        NotImplementedError: for the rotated formats (torchvision's polygon-clipping kernel is not ported).
    """
    if fmt in _AXIS_ALIGNED:
        inter, union = _inter_union(boxes1, boxes2, fmt=fmt)
        return inter / union
    if fmt in _ROTATED:
        raise NotImplementedError(f"torchless's box_iou has no kernel for the rotated format '{fmt}'")
    raise ValueError(f"Unsupported format '{fmt}'. Supported axis-aligned formats: {_AXIS_ALIGNED}. "
                     f"Supported rotated formats: {_ROTATED}.")


def _enclosing_wh(boxes1, boxes2):
    # the width and height of the smallest box holding each pair
    lti = boxes1[..., None, :2].minimum(boxes2[..., None, :, :2])
    rbi = boxes1[..., None, 2:].maximum(boxes2[..., None, :, 2:])
    return _upcast(rbi - lti).clamp(min=0)


def generalized_box_iou(boxes1, boxes2):
    """The generalized IoU of each pair of (x1, y1, x2, y2) boxes: IoU minus the share of the enclosing box that
    neither covers."""
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / union
    whi = _enclosing_wh(boxes1, boxes2)
    areai = whi[..., 0] * whi[..., 1]
    return iou - (areai - union) / areai


def _diou_iou(boxes1, boxes2, eps):
    iou = box_iou(boxes1, boxes2)
    whi = _enclosing_wh(boxes1, boxes2)
    diagonal_squared = (whi[..., 0] ** 2) + (whi[..., 1] ** 2) + eps
    x_p, y_p = (boxes1[..., 0] + boxes1[..., 2]) / 2, (boxes1[..., 1] + boxes1[..., 3]) / 2
    x_g, y_g = (boxes2[..., 0] + boxes2[..., 2]) / 2, (boxes2[..., 1] + boxes2[..., 3]) / 2
    centres_squared = (_upcast(x_p[..., None] - x_g[..., None, :]) ** 2) + (
        _upcast(y_p[..., None] - y_g[..., None, :]) ** 2)
    return iou - (centres_squared / diagonal_squared), iou


def distance_box_iou(boxes1, boxes2, eps=1e-7):
    """The distance IoU of each pair of (x1, y1, x2, y2) boxes: IoU minus the squared distance of their centres
    over the squared diagonal of the box enclosing both."""
    diou, _ = _diou_iou(_upcast(boxes1), _upcast(boxes2), eps)
    return diou


def complete_box_iou(boxes1, boxes2, eps=1e-7):
    """The complete IoU of each pair of (x1, y1, x2, y2) boxes: the distance IoU minus a term for the difference
    of their aspect ratios (whose weight carries no gradient)."""
    from ...autograd.grad_mode import no_grad

    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    diou, iou = _diou_iou(boxes1, boxes2, eps)
    w_pred = boxes1[..., None, 2] - boxes1[..., None, 0]
    h_pred = boxes1[..., None, 3] - boxes1[..., None, 1]
    w_gt = boxes2[..., None, :, 2] - boxes2[..., None, :, 0]
    h_gt = boxes2[..., None, :, 3] - boxes2[..., None, :, 1]
    v = (4 / (math.pi ** 2)) * ((w_pred / h_pred).atan() - (w_gt / h_gt).atan()).pow(2)
    with no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


def clip_boxes_to_image(boxes, size):
    """(x1, y1, x2, y2) boxes clipped to an image of ``size`` (height, width)."""
    height, width = size
    boxes_x = boxes[..., 0::2].clamp(min=0, max=width)
    boxes_y = boxes[..., 1::2].clamp(min=0, max=height)
    return stack((boxes_x, boxes_y), dim=boxes.dim()).reshape(boxes.shape)


def remove_small_boxes(boxes, min_size):
    """The indices of the (x1, y1, x2, y2) boxes at least ``min_size`` wide and high."""
    ws, hs = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    return where((ws >= min_size) & (hs >= min_size))[0]


def masks_to_boxes(masks):
    """The (x1, y1, x2, y2) float boxes around the nonzero pixels of each of masks (N, H, W); zeros for empty
    masks."""
    if masks.numel() == 0:
        return zeros((0, 4), dtype=_dtype.float32)
    n, h, w = masks.shape
    masks_bool = masks.bool()
    rows, cols = masks_bool.any(dim=2), masks_bool.any(dim=1)
    empty_masks = ~rows.any(dim=1)
    rows_f, cols_f = rows.float(), cols.float()
    y1, x1 = rows_f.argmax(dim=1), cols_f.argmax(dim=1)
    y2 = (h - 1) - rows_f.flip(dims=[1]).argmax(dim=1)
    x2 = (w - 1) - cols_f.flip(dims=[1]).argmax(dim=1)
    boxes = stack([x1, y1, x2, y2], dim=1).float()
    boxes[empty_masks] = 0
    return boxes


_NMS_DECLARATION = "torchvision::nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor"


def nms(boxes, scores, iou_threshold):
    """Non-maximum suppression: the indices (int64) of the (x1, y1, x2, y2) boxes kept, by decreasing score, each
    box dropped when its IoU with a kept box of a higher score exceeds ``iou_threshold`` (ties of scores kept in
    their order, as torchvision's CPU kernel sorts them).

    Raises:
        RuntimeError: for boxes that are not (N, 4) floats, scores that are not (N,) of the boxes' dtype, or a
            threshold that is not a number, with torchvision's messages.
    """
    from ..io._file import check_op_arguments

    check_op_arguments(_NMS_DECLARATION, boxes, scores, iou_threshold)
    if boxes.dim() != 2:
        raise RuntimeError(f"boxes should be a 2d tensor, got {boxes.dim()}D")
    if boxes.size(1) != 4:
        raise RuntimeError(f"boxes should have 4 elements in dimension 1, got {boxes.size(1)}")
    if scores.dim() != 1:
        raise RuntimeError(f"scores should be a 1d tensor, got {scores.dim()}D")
    if boxes.size(0) != scores.size(0):
        raise RuntimeError("boxes and scores should have same number of elements in dimension 0, got "
                           f"{boxes.size(0)} and {scores.size(0)}")
    if boxes.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(f'"nms_kernel" not implemented for \'{boxes.dtype.scalar_name}\'')
    if boxes.dtype != scores.dtype:
        raise RuntimeError("dets should have the same type as scores")
    if boxes.numel() == 0:
        return empty((0,), dtype=_dtype.int64)
    order = scores.sort(stable=True, dim=0, descending=True)[1].numpy()
    return Tensor._wrap(_greedy_keep(boxes.numpy(), order, float(iou_threshold)))


def _greedy_keep(dets, order, threshold):
    """torchvision's CPU kernel: in score order, keep a box not yet suppressed and suppress the later boxes
    overlapping it by more than ``threshold``, in the boxes' dtype (std::max / std::min's choices on NaN)."""
    x1, y1, x2, y2 = (dets[:, k] for k in range(4))
    areas = (x2 - x1) * (y2 - y1)
    suppressed = np.zeros(len(dets), bool)
    keep = []
    for position, i in enumerate(order):
        if suppressed[i]:
            continue
        keep.append(i)
        later = order[position + 1:]
        xx1 = np.where(x1[i] < x1[later], x1[later], x1[i])
        yy1 = np.where(y1[i] < y1[later], y1[later], y1[i])
        xx2 = np.where(x2[later] < x2[i], x2[later], x2[i])
        yy2 = np.where(y2[later] < y2[i], y2[later], y2[i])
        zero = dets.dtype.type(0)
        w = np.where(zero < xx2 - xx1, xx2 - xx1, zero)
        h = np.where(zero < yy2 - yy1, yy2 - yy1, zero)
        inter = w * h
        with np.errstate(divide="ignore", invalid="ignore"):
            overlap = inter / (areas[i] + areas[later] - inter)
        # the threshold is a double in the kernel: the comparison is made in float64
        suppressed[later[overlap.astype(np.float64) > threshold]] = True
    return np.array(keep, np.int64)


def batched_nms(boxes, scores, idxs, iou_threshold):
    """``nms`` within each category of ``idxs`` (boxes of different categories never suppress each other): the
    indices kept, by decreasing score. As torchvision, up to 4,000 boxes' coordinates are offset per category
    and suppressed at once; more go category by category."""
    if boxes.numel() > 4000:
        return _batched_nms_by_category(boxes, scores, idxs, iou_threshold)
    if boxes.numel() == 0:
        return empty((0,), dtype=_dtype.int64)
    max_coordinate = boxes.max()
    from ..._creation import tensor

    offsets = idxs.to(boxes) * (max_coordinate + tensor(1).to(boxes))
    return nms(boxes + offsets[:, None], scores, iou_threshold)


def _batched_nms_by_category(boxes, scores, idxs, iou_threshold):
    keep_mask = zeros_like(scores, dtype=_dtype.bool)
    for class_id in idxs.unique():
        current = where(idxs == class_id)[0]
        keep_mask[current[nms(boxes[current], scores[current], iou_threshold)]] = True
    keep = where(keep_mask)[0]
    return keep[scores[keep].sort(descending=True)[1]]
