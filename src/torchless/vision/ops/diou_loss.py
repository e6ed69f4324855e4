"""The distance IoU loss (`Distance-IoU Loss <https://arxiv.org/abs/1911.08287>`_)."""
from ... import max as maximum_of
from ... import min as minimum_of
from ._utils import box_loss_docstring, loss_inter_union, reduced_loss, upcast_non_float

__all__ = ["distance_box_iou_loss"]


@box_loss_docstring
def distance_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    """1 - IoU of paired boxes plus the squared distance of their centres over the squared diagonal of their
    smallest enclosing box (a gradient even for boxes that do not overlap). Symmetric.

    Args:
        {args}

    Returns:
        {returns}
    """
    boxes1, boxes2 = upcast_non_float(boxes1), upcast_non_float(boxes2)
    loss, _ = diou_iou_loss(boxes1, boxes2, eps)
    return reduced_loss(loss, reduction)


def diou_iou_loss(boxes1, boxes2, eps=1e-7):
    """(the distance IoU loss, the IoU) of paired boxes, unreduced."""
    intersection, union = loss_inter_union(boxes1, boxes2)
    iou = intersection / (union + eps)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    diagonal_squared = ((maximum_of(x2, x2g) - minimum_of(x1, x1g)) ** 2) + \
        ((maximum_of(y2, y2g) - minimum_of(y1, y1g)) ** 2) + eps
    centres_squared = (((x2 + x1) / 2 - (x1g + x2g) / 2) ** 2) + (((y2 + y1) / 2 - (y1g + y2g) / 2) ** 2)
    return 1 - iou + (centres_squared / diagonal_squared), iou
