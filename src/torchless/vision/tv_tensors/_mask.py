"""tv_tensors.Mask."""
from .._pillow import is_pil_image
from ._tv_tensor import TVTensor, _as_subclass, _pure


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
