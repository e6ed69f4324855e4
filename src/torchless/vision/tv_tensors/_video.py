"""tv_tensors.Video."""
from ._tv_tensor import TVTensor, _as_subclass


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
