"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d."""
import math

from ... import _creation, _dtype
from .. import init
from .._functional import conv as F_conv
from .._functional._args import ntuple
from ..parameter import Parameter
from .module import Module

_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


class _ConvNd(Module):
    """Shared constructor, initialisation and repr of the convolution layers."""

    _spatial = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None, output_padding=0):
        super().__init__()
        n = self._spatial
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'same', 'valid'}}")
            if padding == "same" and any(s != 1 for s in ntuple(stride, n, "stride")):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = ntuple(kernel_size, n, "kernel_size")
        self.stride = ntuple(stride, n, "stride")
        self.padding = padding if isinstance(padding, str) else ntuple(padding, n, "padding")
        self.dilation = ntuple(dilation, n, "dilation")
        self.output_padding = ntuple(output_padding, n, "output_padding")
        self.groups, self.padding_mode = groups, padding_mode
        self._reversed_padding_repeated_twice = self._explicit_padding()
        shape = ((in_channels, out_channels // groups) if self.transposed else (out_channels, in_channels // groups))
        for size in shape:
            if size < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {size}: "
                                   f"{list(shape + self.kernel_size)}")
        factory_dtype = dtype or _dtype.get_default_dtype()
        self.weight = Parameter(_creation.empty(shape + self.kernel_size, dtype=factory_dtype))
        self.bias = Parameter(_creation.empty(out_channels, dtype=factory_dtype)) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _explicit_padding(self):
        """F.pad's (left, right, top, bottom) widths for non-zero padding modes."""
        if isinstance(self.padding, str):
            if self.padding == "valid":
                return [0, 0] * self._spatial
            pads = []
            for k, d in zip(reversed(self.kernel_size), reversed(self.dilation)):
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]
            return pads
        return [p for p in reversed(self.padding) for _ in range(2)]

    def reset_parameters(self):
        """PyTorch's default: kaiming-uniform weights (a=sqrt(5)), bias uniform in ±1/sqrt(fan_in)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        n = self._spatial
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    _functional = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)

    def _conv_forward(self, input, weight, bias):
        convolve = type(self)._functional
        if self.padding_mode != "zeros":
            from .._functional.padding import pad

            padded = pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return convolve(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return convolve(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    r"""1-D convolution over an input of shape (N, C_in, L) or (C_in, L).

    Output (N, C_out, L_out), L_out = floor((L + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1.
    Weight (C_out, C_in / groups, kernel_size), bias (C_out,).
    """

    _spatial = 1
    _functional = staticmethod(F_conv.conv1d)


class Conv2d(_Conv):
    r"""2-D convolution over an input of shape (N, C_in, H, W) or (C_in, H, W).

    Args: in_channels, out_channels, kernel_size (int or (kH, kW)), stride=1, padding=0 (int, pair,
    'valid' or 'same'), dilation=1, groups=1, bias=True, padding_mode='zeros' ('reflect',
    'replicate' or 'circular'), dtype=None.

    Output (N, C_out, H_out, W_out) with
    H_out = floor((H + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) / stride[0]) + 1,
    likewise W_out. Weight (C_out, C_in / groups, kH, kW), bias (C_out,), both initialised as PyTorch.
    """

    _spatial = 2
    _functional = staticmethod(F_conv.conv2d)


class _ConvTransposeNd(_ConvNd):
    transposed = True
    _functional = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype, output_padding=output_padding)

    def _output_padding(self, input, output_size):
        """The output_padding that makes the output exactly ``output_size`` (PyTorch's rule)."""
        if output_size is None:
            return self.output_padding
        n = self._spatial
        output_size = list(output_size)[-n:]
        if len(output_size) != n:
            raise ValueError(f"ConvTranspose{n}D: for {input.dim()}D input, output_size must have {n} or "
                             f"{n + 2} elements (got {len(output_size) + 2})")
        spatial_in = input.shape[-n:]
        min_sizes = [(spatial_in[d] - 1) * self.stride[d] - 2 * self.padding[d]
                     + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(n)]
        max_sizes = [m + self.stride[d] - 1 for d, m in enumerate(min_sizes)]
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if not lo <= size <= hi:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from {min_sizes} "
                                 f"to {max_sizes} (for an input of {list(spatial_in)})")
        return tuple(size - lo for size, lo in zip(output_size, min_sizes))

    def forward(self, input, output_size=None):
        output_padding = self._output_padding(input, output_size)
        return type(self)._functional(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                      self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution; L_out = (L - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1."""

    _spatial = 1
    _functional = staticmethod(F_conv.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution over (N, C_in, H, W); weight (C_in, C_out / groups, kH, kW).

    H_out = (H - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kH - 1) + output_padding[0] + 1, likewise W_out.
    """

    _spatial = 2
    _functional = staticmethod(F_conv.conv_transpose2d)
