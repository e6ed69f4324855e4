"""tv_tensors.Image."""
from .._pillow import is_pil_image
from ._tv_tensor import TVTensor, _as_subclass


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
