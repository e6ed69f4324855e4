"""Flatten and Unflatten: reshaping a range of dimensions into one, and one into several."""
from .module import Module


# What a star-import gives (PyTorch's list)
__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Flattens the contiguous range of dimensions start_dim..end_dim into one.

    Args:
        start_dim (int, optional): first dimension to flatten. Default: ``1`` (the batch dimension is kept)
        end_dim (int, optional): last dimension to flatten. Default: ``-1``

    Shape:
        - Input: (*, S_start, ..., S_end, *)
        - Output: (*, S_start * ... * S_end, *); a (N, C, H, W) input gives (N, C * H * W) by default

    Examples::

        >>> m = nn.Flatten()
        >>> m(torch.zeros(32, 1, 5, 5)).shape
        torchless.Size([32, 25])
        >>> nn.Flatten(0, 2)(torch.zeros(32, 1, 5, 5)).shape
        torchless.Size([160, 5])
    """
    __constants__ = ["start_dim", "end_dim"]

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands one dimension of the input into several: the inverse of :class:`Flatten`.

    Args:
        dim (int): the dimension to expand
        unflattened_size (tuple or list of int): its new sizes; their product must equal the size of ``dim``, and
            one of them may be -1 (inferred)

    Shape:
        - Input: (*, S_dim, *)
        - Output: (*, U_1, ..., U_n, *), with U = unflattened_size and U_1 * ... * U_n = S_dim

    Examples::

        >>> m = nn.Unflatten(1, (2, 5, 5))
        >>> m(torch.zeros(2, 50)).shape
        torchless.Size([2, 2, 5, 5])
    """
    __constants__ = ["dim", "unflattened_size"]

    def __init__(self, dim, unflattened_size):
        super().__init__()
        # PyTorch checks the sizes whatever ``dim`` is (named dims are gone) and takes Python ints only:
        # a NumPy integer or a (name, size) pair is refused here rather than in forward
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"unflattened_size must be a tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        for i, n in enumerate(unflattened_size):
            if not isinstance(n, int):
                raise TypeError(f"unflattened_size must be tuple of ints, but found element of type "
                                f"{type(n).__name__} at pos {i}")
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
