"""v2's transforms of bounding boxes and keypoints alone: ``ConvertBoundingBoxFormat``, ``ClampBoundingBoxes``,
``ClampKeyPoints``, ``SetClampingMode``, ``SanitizeBoundingBoxes`` (which also drops the masks and labels of the
boxes it removes), ``SanitizeKeyPoints`` and ``RandomIoUCrop``."""
from ...._tensor import Tensor
from ... import tv_tensors as tv
from . import functional as F
from ._mixing import _parse_labels_getter
from ._transform import Transform
from ._utils import get_bounding_boxes, get_keypoints, tree_flatten, tree_unflatten


class ConvertBoundingBoxFormat(Transform):
    """Convert the bounding boxes of a sample to ``format`` (a BoundingBoxFormat or its name)."""

    _transformed_types = (tv.BoundingBoxes,)

    def __init__(self, format):
        self.format = format

    def transform(self, inpt, params):
        return F.convert_bounding_box_format(inpt, new_format=self.format)


class ClampBoundingBoxes(Transform):
    """Clamp the bounding boxes of a sample to their canvas (``clamping_mode`` "auto": each box set's own)."""

    _transformed_types = (tv.BoundingBoxes,)

    def __init__(self, clamping_mode="auto"):
        self.clamping_mode = clamping_mode

    def transform(self, inpt, params):
        return F.clamp_bounding_boxes(inpt, clamping_mode=self.clamping_mode)


class ClampKeyPoints(Transform):
    """Clamp the keypoints of a sample into their canvas."""

    _transformed_types = (tv.KeyPoints,)

    def transform(self, inpt, params):
        return F.clamp_keypoints(inpt)


class SetClampingMode(Transform):
    """Set the ``clamping_mode`` of the bounding boxes of a sample ("soft", "hard" or None)."""

    _transformed_types = (tv.BoundingBoxes,)

    def __init__(self, clamping_mode):
        self.clamping_mode = clamping_mode
        if self.clamping_mode not in (None, "soft", "hard"):
            raise ValueError(f"clamping_mode must be soft, hard or None, got {clamping_mode}")

    def transform(self, inpt, params):
        return tv.wrap(inpt.clone(), like=inpt, clamping_mode=self.clamping_mode)


def _valid_boxes(boxes, format, canvas_size, min_size, min_area):
    """Which boxes are at least ``min_size`` wide and high, of ``min_area``, and inside the canvas."""
    from ._tv_kernels import convert_format

    rotated = tv.is_rotated_bounding_format(format)
    boxes = convert_format(tv._pure(boxes), format,
                           tv.BoundingBoxFormat.XYXYXYXY if rotated else tv.BoundingBoxFormat.XYXY)
    if rotated:
        # the sides' lengths as torchvision measures them: the second from coordinates (y2 - y3, x3 - x4)
        widths = (boxes[..., 0] - boxes[..., 2]).pow(2).add((boxes[..., 1] - boxes[..., 3]).pow(2)).sqrt()
        heights = (boxes[..., 3] - boxes[..., 5]).pow(2).add((boxes[..., 4] - boxes[..., 6]).pow(2)).sqrt()
    else:
        widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    valid = (widths >= min_size) & (heights >= min_size) & (boxes >= 0).all(dim=-1) & (widths * heights >= min_area)
    image_h, image_w = canvas_size
    valid &= (boxes[:, 0] <= image_w) & (boxes[:, 2] <= image_w)
    valid &= (boxes[:, 1] <= image_h) & (boxes[:, 3] <= image_h)
    if rotated:
        valid &= (boxes[..., 4] <= image_w) & (boxes[..., 5] <= image_h)
        valid &= (boxes[..., 6] <= image_w) & (boxes[..., 7] <= image_h)
    return valid


def sanitize_bounding_boxes(bounding_boxes, format=None, canvas_size=None, min_size=1.0, min_area=1.0):
    """The boxes that are not degenerate (smaller than ``min_size`` or ``min_area``) nor outside their canvas, and
    the boolean mask that selects them (to select their labels with)."""
    from ._utils import is_pure_tensor

    if is_pure_tensor(bounding_boxes):
        if format is None or canvas_size is None:
            raise ValueError(
                "format and canvas_size cannot be None if bounding_boxes is a pure tensor. "
                f"Got format={format} and canvas_size={canvas_size}."
                "Set those to appropriate values or pass bounding_boxes as a tv_tensors.BoundingBoxes object.")
        if isinstance(format, str):
            format = tv.BoundingBoxFormat[format.upper()]
        valid = _valid_boxes(bounding_boxes, format, canvas_size, min_size, min_area)
        return bounding_boxes[valid], valid
    if not isinstance(bounding_boxes, tv.BoundingBoxes):
        raise ValueError("bounding_boxes must be a tv_tensors.BoundingBoxes instance or a pure tensor.")
    if format is not None or canvas_size is not None:
        raise ValueError(
            "format and canvas_size must be None when bounding_boxes is a tv_tensors.BoundingBoxes instance. "
            f"Got format={format} and canvas_size={canvas_size}. "
            "Leave those to None or pass bounding_boxes as a pure tensor.")
    valid = _valid_boxes(bounding_boxes, bounding_boxes.format, bounding_boxes.canvas_size, min_size, min_area)
    return tv.wrap(tv._pure(bounding_boxes)[valid], like=bounding_boxes), valid


class SanitizeBoundingBoxes(Transform):
    """Remove the degenerate bounding boxes of a sample (smaller than ``min_size`` / ``min_area`` or outside the
    canvas), with their masks and their labels (found by ``labels_getter``: by default a "labels" key of the
    sample's dict, or of the dict that is its second item).

    Raises:
        ValueError: for ``min_size`` or ``min_area`` below 1, or labels that are not tensors.
    """

    def __init__(self, min_size=1.0, min_area=1.0, labels_getter="default"):
        if min_size < 1:
            raise ValueError(f"min_size must be >= 1, got {min_size}.")
        self.min_size = min_size
        if min_area < 1:
            raise ValueError(f"min_area must be >= 1, got {min_area}.")
        self.min_area = min_area
        self.labels_getter = labels_getter
        self._labels_getter = _parse_labels_getter(labels_getter)

    def forward(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        labels = _labels_as_tensors(self._labels_getter(inputs))
        flat_inputs, spec = tree_flatten(inputs)
        boxes = get_bounding_boxes(flat_inputs)
        if labels is not None:
            for label in labels:
                if boxes.shape[0] != label.shape[0]:
                    raise ValueError(f"Number of boxes (shape={boxes.shape}) and must match the number of labels."
                                     f"Found labels with shape={label.shape}).")
        valid = _valid_boxes(boxes, boxes.format, boxes.canvas_size, self.min_size, self.min_area)
        params = {"valid": valid, "labels": labels}
        return tree_unflatten([self.transform(inpt, params) for inpt in flat_inputs], spec)

    def transform(self, inpt, params):
        is_label = params["labels"] is not None and any(inpt is label for label in params["labels"])
        if not (is_label or isinstance(inpt, (tv.BoundingBoxes, tv.Mask))):
            return inpt
        try:
            output = tv._pure(inpt)[params["valid"]]
        except IndexError:
            return inpt
        return output if is_label else tv.wrap(output, like=inpt)


def _labels_as_tensors(labels):
    """What a labels getter found, as a tuple of tensors to sanitize with the boxes or points (None: nothing)."""
    if labels is None:
        return None
    message = "The labels in the input to forward() must be a tensor or None, got {type} instead."
    if isinstance(labels, Tensor):
        return (labels,)
    if not isinstance(labels, (tuple, list)):
        raise ValueError(message.format(type=type(labels)))
    for entry in labels:
        if not isinstance(entry, Tensor):
            raise ValueError(message.format(type=type(entry)))
    return labels


def _valid_keypoints(points, canvas_size):
    """Which points (or groups of points: all of a group's) lie inside the canvas."""
    height, width = canvas_size
    x, y = points[..., 0], points[..., 1]
    valid = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    return valid.flatten(start_dim=1).all(dim=1) if valid.ndim > 1 else valid


def sanitize_keypoints(key_points, canvas_size=None):
    """The key points (or groups of them, of shape [..., 2]) inside their canvas, and the boolean mask that selects
    them (to select their labels with)."""
    from ._utils import is_pure_tensor

    if is_pure_tensor(key_points):
        if canvas_size is None:
            raise ValueError("canvas_size cannot be None if key_points is a pure tensor. "
                             "Set it to an appropriate value or pass key_points as a tv_tensors.KeyPoints object.")
        valid = _valid_keypoints(key_points, canvas_size)
        return key_points[valid], valid
    if not isinstance(key_points, tv.KeyPoints):
        raise ValueError("key_points must be a tv_tensors.KeyPoints instance or a pure tensor.")
    if canvas_size is not None:
        raise ValueError("canvas_size must be None when key_points is a tv_tensors.KeyPoints instance. "
                         f"Got canvas_size={canvas_size}. Leave it to None or pass key_points as a pure tensor.")
    valid = _valid_keypoints(key_points, key_points.canvas_size)
    return tv.wrap(key_points[valid], like=key_points), valid


class SanitizeKeyPoints(Transform):
    """Remove the key points of a sample that lie outside the canvas (a group of points, of a tensor of 3 or more
    dimensions, as a whole when any of its points does), with their labels (found by ``labels_getter``, by default
    none; "default" looks for a "labels" key as ``SanitizeBoundingBoxes`` does).

    Raises:
        ValueError: for a sample without key points, labels that are not tensors or not one per point (group).
    """

    def __init__(self, labels_getter=None):
        self.labels_getter = labels_getter
        self._labels_getter = _parse_labels_getter(labels_getter)

    def forward(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        labels = _labels_as_tensors(self._labels_getter(inputs))
        flat_inputs, spec = tree_flatten(inputs)
        points = get_keypoints(flat_inputs)
        for label in labels or ():
            if points.shape[0] != label.shape[0]:
                # (sic: torchvision's spelling)
                raise ValueError(f"Number of kepyoints (shape={points.shape}) must match the number of labels."
                                 f"Found labels with shape={label.shape}).")
        params = {"valid": _valid_keypoints(points, points.canvas_size), "labels": labels}
        return tree_unflatten([self.transform(inpt, params) for inpt in flat_inputs], spec)

    def transform(self, inpt, params):
        is_label = params["labels"] is not None and any(inpt is label for label in params["labels"])
        if not (is_label or isinstance(inpt, tv.KeyPoints)):
            return inpt
        output = inpt[params["valid"]]
        return output if is_label else tv.wrap(output, like=inpt)


def _largest_iou(boxes, crop):
    """The largest intersection over union of XYXY ``boxes`` with the ``crop`` box, as ``box_iou`` computes it."""
    import numpy as np

    b = boxes.numpy().astype(np.float64)
    left, top, right, bottom = crop
    areas = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    widths = np.clip(np.minimum(b[:, 2], right) - np.maximum(b[:, 0], left), 0, None)
    heights = np.clip(np.minimum(b[:, 3], bottom) - np.maximum(b[:, 1], top), 0, None)
    inter = widths * heights
    return float((inter / (areas + (right - left) * (bottom - top) - inter)).max())


class RandomIoUCrop(Transform):
    """SSD's random crop: draw a minimal IoU among ``sampler_options`` (1.0 or more: leave the sample), then up to
    ``trials`` crops of ``min_scale``..``max_scale`` of the size and an aspect ratio in
    [``min_aspect_ratio``, ``max_aspect_ratio``] until one holds a box centre and overlaps some such box by that
    IoU; the image, masks and boxes are cropped, the boxes whose centre fell outside set to zeros (remove them with
    ``SanitizeBoundingBoxes``).

    Raises:
        TypeError: for a sample without bounding boxes or an image.
    """

    def __init__(self, min_scale=0.3, max_scale=1.0, min_aspect_ratio=0.5, max_aspect_ratio=2.0, sampler_options=None,
                 trials=40):
        self.min_scale = min_scale
        self.max_scale = max_scale
        self.min_aspect_ratio = min_aspect_ratio
        self.max_aspect_ratio = max_aspect_ratio
        if sampler_options is None:
            sampler_options = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]
        self.options = sampler_options
        self.trials = trials

    def check_inputs(self, flat_inputs):
        from ..._pillow import is_pil_image
        from ._utils import has_all, has_any, is_pure_tensor

        if not (has_all(flat_inputs, tv.BoundingBoxes) and has_any(flat_inputs, is_pil_image, tv.Image,
                                                                   is_pure_tensor)):
            raise TypeError(f"{type(self).__name__}() requires input sample to contain tensor or PIL images "
                            "and bounding boxes. Sample can also contain masks.")

    def make_params(self, flat_inputs):
        from .... import rand
        from .._transform_base import _randint
        from ._tv_kernels import convert_format
        from ._utils import query_size

        orig_h, orig_w = query_size(flat_inputs)
        boxes = get_bounding_boxes(flat_inputs)
        while True:
            min_jaccard_overlap = self.options[_randint(0, len(self.options))]
            if min_jaccard_overlap >= 1.0:  # the option of leaving the sample as it is
                return {}
            for _ in range(self.trials):
                r = self.min_scale + (self.max_scale - self.min_scale) * rand(2)
                new_w, new_h = int(orig_w * r[0]), int(orig_h * r[1])
                if not self.min_aspect_ratio <= new_w / new_h <= self.max_aspect_ratio:
                    continue
                r = rand(2)
                left, top = int((orig_w - new_w) * r[0]), int((orig_h - new_h) * r[1])
                right, bottom = left + new_w, top + new_h
                if left == right or top == bottom:
                    continue
                xyxy = convert_format(tv._pure(boxes), boxes.format, tv.BoundingBoxFormat.XYXY)
                cx = 0.5 * (xyxy[..., 0] + xyxy[..., 2])
                cy = 0.5 * (xyxy[..., 1] + xyxy[..., 3])
                within = (left < cx) & (cx < right) & (top < cy) & (cy < bottom)
                if not within.any():
                    continue
                if _largest_iou(xyxy[within], (left, top, right, bottom)) < min_jaccard_overlap:
                    continue
                return {"top": top, "left": left, "height": new_h, "width": new_w, "within": within}

    def transform(self, inpt, params):
        if not params:
            return inpt
        output = self._call_kernel(F.crop, inpt, params["top"], params["left"], params["height"], params["width"])
        if isinstance(output, tv.BoundingBoxes):
            # boxes whose centre fell outside are marked degenerate, for SanitizeBoundingBoxes to remove
            output[~params["within"]] = 0
        return output
