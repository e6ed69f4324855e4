"""Pixel rearranging layers: PixelShuffle and PixelUnshuffle, thin wrappers of the functionals."""
from .._functional.pixel_shuffle import pixel_shuffle, pixel_unshuffle
from .module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    """Rearranges channels into space: (*, C * r^2, H, W) to (*, C, H * r, W * r), r the ``upscale_factor``.

    Each group of r^2 channels becomes one channel of r x r blocks: output[c, h * r + i, w * r + j] is
    input[c * r^2 + i * r + j, h, w]. A convolution followed by it upsamples by r at the cost of a convolution at
    the low resolution (the sub-pixel convolution of Shi et al., 2016).

    Args:
        upscale_factor (int): the factor r by which the spatial size grows

    Shape:
        - Input: (*, C_in, H_in, W_in), * zero or more batch dimensions
        - Output: (*, C_out, H_out, W_out), where

          C_out = C_in / upscale_factor^2
          H_out = H_in * upscale_factor
          W_out = W_in * upscale_factor

    Examples::

        >>> m = nn.PixelShuffle(3)
        >>> m(torch.randn(1, 9, 4, 4)).shape
        torchless.Size([1, 1, 12, 12])
    """
    __constants__ = ["upscale_factor"]

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Rearranges space into channels: the inverse of :class:`PixelShuffle`.

    Each r x r block of a channel becomes r^2 channels, r the ``downscale_factor``: output[c * r^2 + i * r + j,
    h, w] is input[c, h * r + i, w * r + j].

    Args:
        downscale_factor (int): the factor r by which the spatial size shrinks

    Shape:
        - Input: (*, C_in, H_in, W_in), * zero or more batch dimensions
        - Output: (*, C_out, H_out, W_out), where

          C_out = C_in * downscale_factor^2
          H_out = H_in / downscale_factor
          W_out = W_in / downscale_factor

    Examples::

        >>> m = nn.PixelUnshuffle(3)
        >>> m(torch.randn(1, 1, 12, 12)).shape
        torchless.Size([1, 9, 4, 4])
    """
    __constants__ = ["downscale_factor"]

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
