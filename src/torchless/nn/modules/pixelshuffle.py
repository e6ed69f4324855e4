"""Pixel rearranging layers: PixelShuffle and PixelUnshuffle, thin wrappers of the functionals."""
from .._functional.pixel_shuffle import pixel_shuffle, pixel_unshuffle
from .module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle"]


class PixelShuffle(Module):
    r"""Rearrange (*, C * r^2, H, W) into (*, C, H * r, W * r), r the ``upscale_factor`` (sub-pixel convolution,
    Shi et al. 2016); see ``torchless.nn.functional.pixel_shuffle``.

    Shape: input (*, C_in, H_in, W_in); output (*, C_out, H_out, W_out), where
    C_out = C_in / upscale_factor^2, H_out = H_in * upscale_factor, W_out = W_in * upscale_factor.
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
    r"""The inverse of :class:`PixelShuffle`: (*, C, H * r, W * r) -> (*, C * r^2, H, W), r the ``downscale_factor``.

    Shape: input (*, C_in, H_in, W_in); output (*, C_out, H_out, W_out), where
    C_out = C_in * downscale_factor^2, H_out = H_in / downscale_factor, W_out = W_in / downscale_factor.
    """
    __constants__ = ["downscale_factor"]

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
