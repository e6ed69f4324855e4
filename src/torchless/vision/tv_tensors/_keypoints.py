"""tv_tensors.KeyPoints."""
from ._tv_tensor import TVTensor, _as_subclass


class KeyPoints(TVTensor):
    """Points (x, y) on an image of ``canvas_size`` (height, width), of shape [..., 2] (one point [2] gains its
    first axis): polygons [N, P, 2], skeletons [N, B, 2, 2], ...

    Args:
        data: anything ``torchless.as_tensor`` takes.
        canvas_size (tuple of two ints): height and width of the image the points belong to.
        dtype, device, requires_grad: as for ``torchless.as_tensor``.

    Raises:
        ValueError: for data whose last dimension is not 2.
    """

    @classmethod
    def _wrap(cls, tensor, *, canvas_size=None, check_dims=True):
        if canvas_size is None:  # Tensor._wrap's use: a new tensor around an array
            return super()._wrap(tensor)
        if check_dims:
            if tensor.ndim == 1:
                tensor = tensor.unsqueeze(0)
            elif tensor.shape[-1] != 2:
                raise ValueError(f"Expected a tensor of shape (..., 2), not {tensor.shape}")
        points = _as_subclass(tensor, cls)
        points.canvas_size = canvas_size
        return points

    @classmethod
    def wrap(cls, tensor, like, **kwargs):
        return cls._wrap(tensor, canvas_size=kwargs.get("canvas_size", like.canvas_size))

    def __new__(cls, data, *, canvas_size, dtype=None, device=None, requires_grad=None):
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        return cls._wrap(tensor, canvas_size=canvas_size)

    def __init__(self, *args, **kwargs):
        pass

    def _metadata(self):
        return {"canvas_size": self.canvas_size}

    def __repr__(self):
        return self._make_repr(canvas_size=self.canvas_size)
