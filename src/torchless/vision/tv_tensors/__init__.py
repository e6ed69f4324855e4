"""``torchvision.tv_tensors``: tensor subclasses that tell the v2 transforms what a tensor is -- an ``Image``
(..., C, H, W), a ``Video`` (..., T, C, H, W), a segmentation or detection ``Mask`` (..., H, W),
``BoundingBoxes`` (N, 4) with their ``format`` and ``canvas_size`` or ``KeyPoints`` (..., 2) -- so that one
transform call treats each item of a sample as what it is (boxes and points are moved as coordinates, masks
resized with nearest neighbours).

As in torchvision, operations on a TVTensor return plain tensors, except ``clone``, ``to``, ``detach`` and
``requires_grad_``, which keep the subclass and its metadata; the v2 functionals and transforms return the type
they were given. torchless supports the axis-aligned box formats (``XYXY``, ``XYWH``, ``CXCYWH``) in the
transforms; the rotated formats exist as names and are refused there.
"""
from ._bounding_boxes import BoundingBoxes, BoundingBoxFormat, is_rotated_bounding_format
from ._image import Image
from ._keypoints import KeyPoints
from ._mask import Mask
from ._torch_function_helpers import set_return_type
from ._tv_tensor import TVTensor, _as_subclass, _pure, wrap  # noqa: F401  (_as_subclass, _pure: the kernels' helpers)
from ._video import Video

__all__ = ["BoundingBoxFormat", "BoundingBoxes", "Image", "KeyPoints", "Mask", "TVTensor", "Video",
           "is_rotated_bounding_format", "set_return_type", "wrap"]
