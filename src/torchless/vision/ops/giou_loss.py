"""The generalized IoU loss (`Generalized Intersection over Union <https://arxiv.org/abs/1902.09630>`_)."""
from ... import max as maximum_of
from ... import min as minimum_of
from ._utils import box_loss_docstring, loss_inter_union, reduced_loss, upcast_non_float

__all__ = ["generalized_box_iou_loss"]


@box_loss_docstring
def generalized_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    """1 - GIoU of paired boxes: 1 - IoU, plus the part of their smallest enclosing box that their union leaves
    empty (non-zero, and so a gradient, even for boxes that do not overlap). Symmetric.

    Args:
        {args}

    Returns:
        {returns}
    """
    boxes1, boxes2 = upcast_non_float(boxes1), upcast_non_float(boxes2)
    intersection, union = loss_inter_union(boxes1, boxes2)
    iou = intersection / (union + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    enclosing_area = (maximum_of(x2, x2g) - minimum_of(x1, x1g)) * (maximum_of(y2, y2g) - minimum_of(y1, y1g))
    giou = iou - ((enclosing_area - union) / (enclosing_area + eps))
    return reduced_loss(1 - giou, reduction)
