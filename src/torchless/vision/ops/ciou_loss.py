"""The complete IoU loss (`Enhancing Geometric Factors in Model Learning and Inference for Object Detection and
Instance Segmentation <https://arxiv.org/abs/2005.03572>`_)."""
import math

from ... import atan, no_grad, pow
from ._utils import box_loss_docstring, reduced_loss, upcast_non_float
from .diou_loss import diou_iou_loss

__all__ = ["complete_box_iou_loss"]


@box_loss_docstring
def complete_box_iou_loss(boxes1, boxes2, reduction="none", eps=1e-7):
    """The distance IoU loss of paired boxes plus a penalty on the difference of their aspect ratios, weighted by
    a factor that is a constant of the graph. Symmetric.

    Args:
        {args}

    Returns:
        {returns}
    """
    boxes1, boxes2 = upcast_non_float(boxes1), upcast_non_float(boxes2)
    diou_loss, iou = diou_iou_loss(boxes1, boxes2)  # (torchvision's eps stays its default here)
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    v = (4 / (math.pi ** 2)) * pow((atan((x2g - x1g) / (y2g - y1g)) - atan((x2 - x1) / (y2 - y1))), 2)
    with no_grad():
        alpha = v / (1 - iou + v + eps)
    return reduced_loss(diou_loss + alpha * v, reduction)
