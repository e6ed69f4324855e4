"""Upsampling layers: Upsample and its fixed-mode forms UpsamplingNearest2d and UpsamplingBilinear2d."""
from .._functional.sampling import interpolate
from .module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class Upsample(Module):
    r"""Upsample (or downsample) multi-channel 1-D, 2-D or 3-D data; see ``torchless.nn.functional.interpolate``.

    Args: size (int or tuple of ints, the output spatial size), scale_factor (float or tuple of floats,
    stored as floats; 0 or None means unset), mode='nearest' ('nearest' | 'linear' | 'bilinear' | 'bicubic'
    | 'trilinear' | 'area' | 'nearest-exact'), align_corners=None, recompute_scale_factor=None. Give one of
    size and scale_factor.

    Shape: input (N, C, W_in), (N, C, H_in, W_in) or (N, C, D_in, H_in, W_in); output (N, C, W_out),
    (N, C, H_out, W_out) or (N, C, D_out, H_out, W_out), where
    D_out = floor(D_in * scale_factor), H_out = floor(H_in * scale_factor), W_out = floor(W_in * scale_factor)
    (or the given size).
    """
    __constants__ = ["size", "scale_factor", "mode", "align_corners", "name", "recompute_scale_factor"]

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(factor) for factor in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def __setstate__(self, state):
        # modules pickled before recompute_scale_factor existed recomputed the scale
        state.setdefault("recompute_scale_factor", True)
        super().__setstate__(state)

    def extra_repr(self):
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class UpsamplingNearest2d(Upsample):
    r"""2-D nearest-neighbour upsampling of (N, C, H, W): ``Upsample(size, scale_factor, mode='nearest')``.

    Shape: (N, C, H_in, W_in) -> (N, C, H_out, W_out), H_out = floor(H_in * scale_factor),
    W_out = floor(W_in * scale_factor) (or the given size).
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    r"""2-D bilinear upsampling of (N, C, H, W) with corners aligned:
    ``Upsample(size, scale_factor, mode='bilinear', align_corners=True)``.

    Shape: (N, C, H_in, W_in) -> (N, C, H_out, W_out), H_out = floor(H_in * scale_factor),
    W_out = floor(W_in * scale_factor) (or the given size).
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
