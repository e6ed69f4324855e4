"""torchvision's ``ops`` for torchless: the building blocks its classification models share --
:class:`Conv2dNormActivation` (and :class:`Conv3dNormActivation`), :class:`SqueezeExcitation`, :class:`Permute`,
stochastic depth (:func:`stochastic_depth`, :class:`StochasticDepth`), :class:`FrozenBatchNorm2d`, :class:`MLP` and DropBlock
(:func:`drop_block2d`, :class:`DropBlock2d` and their 3-d forms) -- the box operations of ``ops.boxes``
(conversion, areas, the IoU family, clipping, non-maximum suppression), the detection losses
(:func:`sigmoid_focal_loss`, the generalized, distance and complete IoU losses), deformable convolution
(:func:`deform_conv2d`, :class:`DeformConv2d`), the :class:`FeaturePyramidNetwork` and the RoI poolers
(:func:`roi_align`, :func:`roi_pool`, :func:`ps_roi_align`, :func:`ps_roi_pool`, :class:`MultiScaleRoIAlign`)."""
from .boxes import (batched_nms, box_area, box_convert, box_iou, clip_boxes_to_image, complete_box_iou,
                    distance_box_iou, generalized_box_iou, masks_to_boxes, nms, remove_small_boxes)
from .ciou_loss import complete_box_iou_loss
from .deform_conv import DeformConv2d, deform_conv2d
from .diou_loss import distance_box_iou_loss
from .feature_pyramid_network import FeaturePyramidNetwork
from .focal_loss import sigmoid_focal_loss
from .giou_loss import generalized_box_iou_loss
from .drop_block import DropBlock2d, DropBlock3d, drop_block2d, drop_block3d
from .misc import MLP, Conv2dNormActivation, Conv3dNormActivation, FrozenBatchNorm2d, Permute, SqueezeExcitation
from .poolers import MultiScaleRoIAlign
from .ps_roi_align import PSRoIAlign, ps_roi_align
from .ps_roi_pool import PSRoIPool, ps_roi_pool
from .roi_align import RoIAlign, roi_align
from .roi_pool import RoIPool, roi_pool
from .stochastic_depth import StochasticDepth, stochastic_depth

__all__ = ["Conv2dNormActivation", "Conv3dNormActivation", "DeformConv2d", "DropBlock2d", "DropBlock3d",
           "FeaturePyramidNetwork", "FrozenBatchNorm2d", "MLP", "MultiScaleRoIAlign", "PSRoIAlign", "PSRoIPool",
           "Permute", "RoIAlign", "RoIPool", "SqueezeExcitation", "StochasticDepth", "batched_nms", "box_area",
           "box_convert", "box_iou", "clip_boxes_to_image", "complete_box_iou", "complete_box_iou_loss",
           "deform_conv2d", "distance_box_iou", "distance_box_iou_loss", "drop_block2d", "drop_block3d",
           "generalized_box_iou", "generalized_box_iou_loss", "masks_to_boxes", "nms", "ps_roi_align", "ps_roi_pool",
           "remove_small_boxes", "roi_align", "roi_pool", "sigmoid_focal_loss", "stochastic_depth"]
