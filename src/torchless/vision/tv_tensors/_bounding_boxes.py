"""tv_tensors.BoundingBoxes and their formats."""
import enum

from ._tv_tensor import TVTensor, _as_subclass


class BoundingBoxFormat(enum.Enum):
    """Coordinate format of a bounding box: ``XYXY`` (corners), ``XYWH`` (top left corner, width, height),
    ``CXCYWH`` (centre, width, height); the rotated ``XYWHR``, ``CXCYWHR`` (angle in degrees) and ``XYXYXYXY``
    (four corners)."""

    XYXY = "XYXY"
    XYWH = "XYWH"
    CXCYWH = "CXCYWH"
    XYWHR = "XYWHR"
    CXCYWHR = "CXCYWHR"
    XYXYXYXY = "XYXYXYXY"


def is_rotated_bounding_format(format):
    """Whether ``format`` (a BoundingBoxFormat or its name) is one of the rotated box formats."""
    if isinstance(format, BoundingBoxFormat):
        return format in (BoundingBoxFormat.XYWHR, BoundingBoxFormat.CXCYWHR, BoundingBoxFormat.XYXYXYXY)
    if isinstance(format, str):
        return format in ("XYWHR", "CXCYWHR", "XYXYXYXY")
    raise ValueError(f"format should be str or BoundingBoxFormat, got {type(format)}")


class BoundingBoxes(TVTensor):
    """Bounding boxes of shape [N, K] (a single box [K] gains its first axis), in ``format``, on an image of
    ``canvas_size`` (height, width).

    Args:
        data: anything ``torchless.as_tensor`` takes.
        format (BoundingBoxFormat or str): the coordinate format.
        canvas_size (tuple of two ints): height and width of the image the boxes belong to.
        clamping_mode (str or None): "soft", "hard" or None (do not clamp after a transform). Default: "soft".
        dtype, device, requires_grad: as for ``torchless.as_tensor``.
    """

    @classmethod
    def _wrap(cls, tensor, *, format=None, canvas_size=None, clamping_mode="soft", check_dims=True):
        if format is None:  # Tensor._wrap's use: a new tensor around an array
            return super()._wrap(tensor)
        if check_dims:
            if tensor.ndim == 1:
                tensor = tensor.unsqueeze(0)
            elif tensor.ndim != 2:
                raise ValueError(f"Expected a 1D or 2D tensor, got {tensor.ndim}D")
        if clamping_mode is not None and clamping_mode not in ("hard", "soft"):
            raise ValueError(f"clamping_mode must be None, hard or soft, got {clamping_mode}.")
        if isinstance(format, str):
            format = BoundingBoxFormat[format.upper()]
        boxes = _as_subclass(tensor, cls)
        boxes.format = format
        boxes.canvas_size = canvas_size
        boxes.clamping_mode = clamping_mode
        return boxes

    @classmethod
    def wrap(cls, tensor, like, **kwargs):
        return cls._wrap(tensor, format=kwargs.get("format", like.format),
                         canvas_size=kwargs.get("canvas_size", like.canvas_size),
                         clamping_mode=kwargs.get("clamping_mode", like.clamping_mode))

    def __new__(cls, data, *, format, canvas_size, clamping_mode="soft", dtype=None, device=None,
                requires_grad=None):
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if not tensor.is_floating_point() and is_rotated_bounding_format(format):
            raise ValueError(f"Rotated bounding boxes should be floating point tensors, got {tensor.dtype}.")
        return cls._wrap(tensor, format=format, canvas_size=canvas_size, clamping_mode=clamping_mode)

    def __init__(self, *args, **kwargs):
        pass

    def _metadata(self):
        return {"format": self.format, "canvas_size": self.canvas_size, "clamping_mode": self.clamping_mode}

    def __repr__(self):
        return self._make_repr(format=self.format, canvas_size=self.canvas_size, clamping_mode=self.clamping_mode)
