"""DropBlock (`DropBlock: A regularization method for convolutional networks <https://arxiv.org/abs/1810.12890>`_):
square (cubic) blocks of a feature map zeroed at random while training, the rest scaled up, as torchvision.ops."""
import math

from ... import empty, nn
from ...nn import functional as F

__all__ = ["drop_block2d", "drop_block3d", "DropBlock2d", "DropBlock3d"]


def drop_block2d(input, p, block_size, inplace=False, eps=1e-06, training=True):
    """Zero blocks of ``block_size`` x ``block_size`` pixels, each pixel dropped with probability about ``p``, and
    scale the rest by (the number of elements) / (the number kept + ``eps``).

    Args:
        input (Tensor[N, C, H, W]): the feature maps.
        p (float): the probability of an element to be dropped, in [0, 1].
        block_size (int): the blocks' side (odd once limited to the map's sides).
        inplace (bool): change ``input`` itself. Default: False
        eps (float): keeps the scale finite. Default: 1e-06
        training (bool): when False, ``input`` is returned unchanged. Default: True

    Returns:
        Tensor[N, C, H, W]
    """
    return _drop_block(input, p, block_size, inplace, eps, training, F.max_pool2d)


def drop_block3d(input, p, block_size, inplace=False, eps=1e-06, training=True):
    """:func:`drop_block2d` of (N, C, D, H, W) volumes, with cubic blocks."""
    return _drop_block(input, p, block_size, inplace, eps, training, F.max_pool3d)


def _drop_block(input, p, block_size, inplace, eps, training, max_pool):
    spatial = 2 if max_pool is F.max_pool2d else 3
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}.")
    if input.ndim != spatial + 2:
        raise ValueError(f"input should be {spatial + 2} dimensional. Got {input.ndim} dimensions.")
    if not training or p == 0.0:
        return input
    sizes = tuple(input.size())[2:]
    block_size = min(block_size, *reversed(sizes))
    if block_size % 2 == 0:
        raise ValueError(f"block size should be odd. Got {block_size} which is even.")
    # the Bernoulli probability of a block's centre, which makes about p of the elements dropped
    gamma = (p * math.prod(sizes)) / ((block_size ** spatial) * math.prod(size - block_size + 1 for size in sizes))
    noise = empty(tuple(input.size())[:2] + tuple(size - block_size + 1 for size in sizes), dtype=input.dtype,
                  device=input.device)
    noise.bernoulli_(gamma)
    noise = F.pad(noise, [block_size // 2] * (2 * spatial), value=0)
    noise = max_pool(noise, stride=(1,) * spatial, kernel_size=(block_size,) * spatial, padding=block_size // 2)
    noise = 1 - noise
    normalize_scale = noise.numel() / (eps + noise.sum())
    if inplace:
        return input.mul_(noise).mul_(normalize_scale)
    return input * noise * normalize_scale


class DropBlock2d(nn.Module):
    """:func:`drop_block2d` as a module, active in training mode only."""

    def __init__(self, p, block_size, inplace=False, eps=1e-06):
        super().__init__()
        self.p = p
        self.block_size = block_size
        self.inplace = inplace
        self.eps = eps

    def forward(self, input):
        return drop_block2d(input, self.p, self.block_size, self.inplace, self.eps, self.training)

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p}, block_size={self.block_size}, inplace={self.inplace})"


class DropBlock3d(DropBlock2d):
    """:func:`drop_block3d` as a module, active in training mode only."""

    def forward(self, input):
        return drop_block3d(input, self.p, self.block_size, self.inplace, self.eps, self.training)
