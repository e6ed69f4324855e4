"""``torchvision.tv_tensors``: tensor subclasses that tell the v2 transforms what a tensor is -- an ``Image``
(..., C, H, W), a ``Video`` (..., T, C, H, W), a segmentation or detection ``Mask`` (..., H, W) or
``BoundingBoxes`` (N, 4) with their ``format`` and ``canvas_size`` -- so that one transform call treats each
item of a sample as what it is (boxes are flipped as coordinates, masks resized with nearest neighbours).

As in torchvision, operations on a TVTensor return plain tensors, except ``clone``, ``to``, ``detach`` and
``requires_grad_``, which keep the subclass and its metadata; the v2 functionals and transforms return the type
they were given. torchless supports the axis-aligned box formats (``XYXY``, ``XYWH``, ``CXCYWH``) in the
transforms; the rotated formats exist as names and are refused there.
"""
import enum

from ..._creation import as_tensor
from ..._tensor import Tensor
from .._pillow import is_pil_image

__all__ = ["BoundingBoxFormat", "BoundingBoxes", "Image", "Mask", "TVTensor", "Video", "is_rotated_bounding_format",
           "set_return_type", "wrap"]


def _as_subclass(tensor, cls):
    """``tensor.as_subclass(cls)``: a ``cls`` instance sharing the tensor's values and autograd state."""
    out = object.__new__(cls)
    for name in _TENSOR_SLOTS:
        try:
            setattr(out, name, getattr(tensor, name))
        except AttributeError:  # a slot never set (no hooks, no version counter yet)
            pass
    out.__dict__.update(tensor.__dict__)
    return out


_TENSOR_SLOTS = [name for name in Tensor.__slots__ if name not in ("__weakref__", "__dict__")]


def _pure(tensor):
    """The plain-tensor view of a TVTensor (``inpt.as_subclass(torch.Tensor)``)."""
    return _as_subclass(tensor, Tensor) if type(tensor) is not Tensor else tensor


class TVTensor(Tensor):
    """The base class of torchvision's tensor subclasses: operations on them give plain tensors, except the
    copies and conversions (``clone``, ``to``, ``detach``, ``requires_grad_``), which keep the subclass."""

    @staticmethod
    def _to_tensor(data, dtype=None, device=None, requires_grad=None):
        if requires_grad is None:
            requires_grad = data.requires_grad if isinstance(data, Tensor) else False
        return as_tensor(data, dtype=dtype, device=device).requires_grad_(requires_grad)

    @classmethod
    def wrap(cls, tensor, like, **kwargs):
        return _as_subclass(tensor, cls)

    def _rewrap(self, output):
        return wrap(output, like=self) if isinstance(output, Tensor) and output is not self else output

    def clone(self, memory_format=None):
        return self._rewrap(super().clone(memory_format))

    def to(self, *args, **kwargs):
        return self._rewrap(super().to(*args, **kwargs))

    def detach(self):
        return self._rewrap(super().detach())

    def __deepcopy__(self, memo):
        return self.detach().clone().requires_grad_(self.requires_grad)

    # the other conversions give plain tensors, as torch's do on a TVTensor (torchless implements some of them
    # with ``to``, or returns the tensor itself, which would keep the subclass)
    for _name in ("float", "double", "half", "bfloat16", "int", "long", "short", "char", "byte", "bool", "type", "cpu",
                  "contiguous"):
        locals()[_name] = (lambda name: lambda self, *args, **kwargs: getattr(Tensor, name)(_pure(self), *args,
                                                                                             **kwargs))(_name)
    del _name

    def __reduce_ex__(self, protocol):
        return (_rebuild_tv_tensor, (type(self), _pure(self).__reduce_ex__(protocol), self._metadata()))

    def _metadata(self):
        return {}

    def _make_repr(self, **kwargs):
        from ..._tensor_str import tensor_repr

        extra = ", ".join(f"{key}={value}" for key, value in kwargs.items())
        return f"{tensor_repr(_pure(self), prefix=type(self).__name__ + '(')[:-1]}, {extra})"

    def __repr__(self):
        return self._make_repr()


def _rebuild_tv_tensor(cls, reduced, metadata):
    rebuild, args = reduced
    out = _as_subclass(rebuild(*args), cls)
    out.__dict__.update(metadata)
    return out


class Image(TVTensor):
    """A tensor image of shape [..., C, H, W] (an H x W tensor gains its channel axis; a PIL image is converted
    with ``pil_to_tensor``).

    Raises:
        ValueError: for data of fewer than two dimensions.
    """

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        if is_pil_image(data):
            from ..transforms.functional import pil_to_tensor

            data = pil_to_tensor(data)
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if tensor.ndim < 2:
            raise ValueError(f"Tensor must be 2D or higher, got {tensor.ndim}D tensor.")
        if tensor.ndim == 2:
            tensor = tensor.unsqueeze(0)
        return _as_subclass(tensor, cls)

    def __init__(self, *args, **kwargs):
        pass


class Video(TVTensor):
    """A tensor video of shape [..., T, C, H, W].

    Raises:
        ValueError: for data of fewer than four dimensions.
    """

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if data.ndim < 4:
            raise ValueError
        return _as_subclass(tensor, cls)

    def __init__(self, *args, **kwargs):
        pass


class Mask(TVTensor):
    """A segmentation or detection mask of shape [..., H, W] (a PIL image is converted with ``pil_to_tensor``)."""

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        if is_pil_image(data):
            from ..transforms.functional import pil_to_tensor

            data = pil_to_tensor(data)
        return _as_subclass(cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad), cls)

    def __init__(self, *args, **kwargs):
        pass

    def __repr__(self):
        # torchvision's Mask keeps torch.Tensor's repr (its class name, no extra fields)
        from ..._tensor_str import tensor_repr

        return tensor_repr(_pure(self), prefix="Mask(")


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


def wrap(wrappee, *, like, **kwargs):
    """Convert the tensor ``wrappee`` into the TVTensor subclass of ``like``, with ``like``'s metadata (format,
    canvas_size, ...) unless ``kwargs`` overrides it."""
    wrap_method = getattr(type(like), "wrap", None)
    if wrap_method is not None:
        return wrap_method(wrappee, like, **kwargs)
    return _as_subclass(wrappee, type(like))


class _ReturnTypeContext:
    def __init__(self, to_restore):
        self.to_restore = to_restore

    def __enter__(self):
        return self

    def __exit__(self, *args):
        global _RETURN_TVTENSOR
        _RETURN_TVTENSOR = self.to_restore


_RETURN_TVTENSOR = False


def set_return_type(return_type):
    """Set what torch operations on TVTensors return: "Tensor" (the default) or "TVTensor"; usable as a context
    manager. torchless records the setting but its operations always return plain tensors (the transforms and
    functionals return their input's type either way).

    Raises:
        ValueError: for any other string.
    """
    global _RETURN_TVTENSOR
    to_restore = _RETURN_TVTENSOR
    try:
        _RETURN_TVTENSOR = {"tensor": False, "tvtensor": True}[return_type.lower()]
    except KeyError:
        raise ValueError(f"return_type must be 'TVTensor' or 'Tensor', got {return_type}") from None
    return _ReturnTypeContext(to_restore)
