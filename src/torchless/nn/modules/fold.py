"""Fold and Unfold layers: col2im and im2col as modules, thin wrappers of the functionals."""
from .._functional.fold import fold, unfold
from .module import Module


# What a star-import gives (PyTorch's list)
__all__ = ["Fold", "Unfold"]


class Unfold(Module):
    r"""Extract sliding local blocks from an image-like tensor (im2col); see ``torchless.nn.functional.unfold``.

    Args: kernel_size, dilation=1, padding=0, stride=1 (ints or (h, w) pairs), kept as given.

    Shape: input (N, C, H, W) or (C, H, W); output (N, C * kH * kW, L) or (C * kH * kW, L), where
    L = L_H * L_W, L_H = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0]) + 1, likewise L_W.
    """
    __constants__ = ["kernel_size", "dilation", "padding", "stride"]

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, stride={self.stride}"


class Fold(Module):
    r"""Sum sliding local blocks into an image-like tensor (col2im); see ``torchless.nn.functional.fold``.

    Args: output_size, kernel_size, dilation=1, padding=0, stride=1 (ints or (h, w) pairs), kept as given.

    Shape: input (N, C * kH * kW, L) or (C * kH * kW, L), with L = L_H * L_W as for :class:`Unfold`
    applied to an output_size image; output (N, C, output_size[0], output_size[1]) or
    (C, output_size[0], output_size[1]).
    """
    __constants__ = ["output_size", "kernel_size", "dilation", "padding", "stride"]

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
