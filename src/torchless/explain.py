"""Worked explanations of layer arithmetic for learners: ``torchless.explain.conv(...)``.

``conv`` answers the questions a first convolution raises: how big is the output (PyTorch's formula
with the numbers substituted), how many weights are learnt, how much work is done, and how often
each input pixel is looked at -- which is why padding exists: without it a corner pixel is used by
a single kernel position while a centre pixel is used by ``k x k`` of them.
"""
import math
import textwrap
import warnings

import numpy as np

__all__ = ["conv", "ConvExplanation"]

USAGE_MAP_MAX = 12  # print the per-pixel usage grid only for inputs this small


def conv(input_size, out_channels=1, kernel_size=3, stride=1, padding=0, dilation=1, groups=1, bias=True):
    """Explain ``nn.Conv2d(C, out_channels, kernel_size, stride, padding, dilation, groups, bias)`` on one input.

    Args:
        input_size (tuple): ``(C, H, W)`` or ``(H, W)`` (one channel) of one image.
        out_channels (int): number of filters.
        kernel_size, stride, dilation (int or tuple): as for ``nn.Conv2d``.
        padding (int, tuple, 'valid' or 'same'): as for ``nn.Conv2d``.
        groups (int), bias (bool): as for ``nn.Conv2d``.

    Returns:
        ConvExplanation: ``str()`` is the worked explanation; attributes hold the numbers
        (``output_shape``, ``weights``, ``biases``, ``mult_adds``, ``usage``, ...).

    Shape:
        ``H_out = floor((H + 2*padding[0] - dilation[0]*(kernel_size[0] - 1) - 1) / stride[0]) + 1``,
        and the same for ``W_out`` with index 1.
    """
    return ConvExplanation(input_size, out_channels, kernel_size, stride, padding, dilation, groups, bias)


class ConvExplanation:
    """The numbers of one convolution and their derivation; ``str()`` explains them step by step.

    Attributes:
        in_channels, input_hw: the input image's channels and (H, W).
        out_channels, kernel_size, stride, dilation, groups, bias: the layer's settings (pairs for (H, W)).
        padding: per axis, the zeros added (before, after); equal unless ``padding='same'`` needs an odd total.
        output_hw, output_shape: (H_out, W_out) and (C_out, H_out, W_out).
        weights, biases, params: learnt numbers: ``C_out x C_in/groups x kH x kW``, ``C_out`` (or 0), their sum.
        mult_adds: multiply-accumulates for one image, ``C_out x H_out x W_out x C_in/groups x kH x kW``.
        usage: (H, W) int array: how many kernel positions cover each input pixel (for one filter).
        usage_without_padding: the same with ``padding=0``, or None if the kernel would not fit.
    """

    def __init__(self, input_size, out_channels, kernel_size, stride, padding, dilation, groups, bias):
        if len(input_size) not in (2, 3):
            raise ValueError(f"input_size must be (C, H, W) or (H, W), got {tuple(input_size)}")
        *channels, height, width = (int(v) for v in input_size)
        self.in_channels = channels[0] if channels else 1
        self.input_hw = (height, width)
        self.out_channels, self.groups, self.bias = int(out_channels), int(groups), bool(bias)
        self.kernel_size, self.stride, self.dilation = _pair(kernel_size), _pair(stride), _pair(dilation)
        self.padding_arg = padding
        self._check_like_torch()
        self.padding = self._padding(padding)
        self.output_hw = tuple(_output_length(n, k, s, sum(p), d) for n, k, s, p, d in self._axes())
        self.output_shape = (self.out_channels,) + self.output_hw
        per_output = self.in_channels // self.groups * math.prod(self.kernel_size)
        self.weights = self.out_channels * per_output
        self.biases = self.out_channels if self.bias else 0
        self.params = self.weights + self.biases
        self.mult_adds = math.prod(self.output_shape) * per_output
        self.usage = self._usage(self.padding)
        fits_unpadded = all(n >= d * (k - 1) + 1 for n, k, _, _, d in self._axes())
        self.usage_without_padding = self._usage(((0, 0), (0, 0))) if fits_unpadded else None

    # ------------------------------------------------------------------ numbers
    def _check_like_torch(self):
        """Raise what ``nn.Conv2d(...)(input)`` raises for these settings, PyTorch's type and message.

        The layer's constructor checks groups and the padding string; the call checks the sizes (in an
        order and with messages that depend on which backend PyTorch picks), so an impossible layer is
        called on zeros to get its error. A possible one is not called: that would be a whole convolution.
        """
        from . import _creation, nn
        from .autograd import grad_mode

        # (the warnings of an empty kernel's initialization and of 'same' padding an even kernel: no news here)
        with warnings.catch_warnings(), grad_mode.no_grad():
            warnings.simplefilter("ignore")
            layer = nn.Conv2d(self.in_channels, self.out_channels, self.kernel_size, self.stride, self.padding_arg,
                              self.dilation, self.groups, self.bias)
            pads = (0, 0) if isinstance(self.padding_arg, str) else _pair(self.padding_arg)
            positive = min(self.kernel_size + self.stride + self.dilation + self.input_hw) >= 1 and min(pads) >= 0
            spans = [d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation)]
            padded = [n + (d * (k - 1) if self.padding_arg == "same" else 2 * p)
                      for n, k, d, p in zip(self.input_hw, self.kernel_size, self.dilation, pads)]
            channels = min(self.in_channels, self.out_channels)
            if positive and channels >= 1 and all(n >= k for n, k in zip(padded, spans)):
                return
            layer(_creation.zeros((self.in_channels,) + self.input_hw))
        # (a layer PyTorch runs without channels: nothing to explain)
        raise ValueError("channels and sizes must be positive")

    def _padding(self, padding):
        """Per axis (before, after); 'same' splits d*(k-1) with the odd cell after, as PyTorch does."""
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding == "same":
            totals = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
            return tuple((t // 2, t - t // 2) for t in totals)
        return tuple((p, p) for p in _pair(padding))

    def _axes(self):
        """Per axis (H, then W): (input length, kernel, stride, (pad before, pad after), dilation)."""
        return zip(self.input_hw, self.kernel_size, self.stride, self.padding, self.dilation)

    def _usage(self, padding):
        counts = [_axis_usage(n, k, s, p, d) for (n, k, s, _, d), p in zip(self._axes(), padding)]
        return np.outer(*counts)

    def formulas(self):
        """PyTorch's output-size formula with this layer's numbers, one line per axis: ["H_out = ...", ...]."""
        return [f"{axis}_out = {_formula(*numbers)}" for axis, numbers in zip("HW", self._axes())]

    @property
    def corner_uses(self):
        return int(self.usage[0, 0])

    @property
    def edge_uses(self):
        """Uses of the pixel in the middle of the top edge."""
        return int(self.usage[0, self.input_hw[1] // 2])

    @property
    def centre_uses(self):
        return int(self.usage[self.input_hw[0] // 2, self.input_hw[1] // 2])

    @property
    def unused_pixels(self):
        return int((self.usage == 0).sum())

    # ------------------------------------------------------------------ text
    def layer_repr(self):
        text = (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding_arg in ("same", "valid"):
            text += f", padding={self.padding_arg!r}"
        elif any(sum(p) for p in self.padding):
            text += f", padding={tuple(p for p, _ in self.padding)}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias else ", bias=False") + ")"

    def __str__(self):
        c, (h, w) = self.in_channels, self.input_hw
        lines = [f"{self.layer_repr()} on a {c}x{h}x{w} input", "",
                 "Output size, PyTorch's formula for each spatial dimension:",
                 "  out = floor((in + 2*padding - dilation*(kernel_size - 1) - 1) / stride) + 1"]
        lines += ["  " + line for line in self.formulas()]
        if self.padding_arg == "same":
            lines += _paragraph(f"(padding='same' pads dilation*(kernel_size - 1) in total: {self.padding[0]} rows and "
                                f"{self.padding[1]} columns (before, after), so that the output keeps the input's "
                                "size)")
        co, ho, wo = self.output_shape
        lines += [f"  Output: {co}x{ho}x{wo}, one {ho}x{wo} map per filter; a batch of N images gives "
                  f"N x {co} x {ho} x {wo}.", ""]
        kh, kw = self.kernel_size
        per_group = f"{c}/{self.groups}" if self.groups != 1 else f"{c}"
        lines += ["Parameters:",
                  f"  weights = out_channels x in_channels/groups x kH x kW = {co} x {per_group} x {kh} x {kw}"
                  f" = {self.weights:,}",
                  f"  biases  = out_channels = {self.biases}" if self.bias else "  biases  = 0 (bias=False)",
                  f"  total   = {self.params:,}",
                  "Multiply-accumulates for one image = out_channels x H_out x W_out x in_channels/groups x kH x kW",
                  f"  = {co} x {ho} x {wo} x {per_group} x {kh} x {kw} = {self.mult_adds:,}", ""]
        return "\n".join(lines + self._usage_lines())

    def _usage_lines(self):
        pad = self.padding_arg if isinstance(self.padding_arg, str) else _axes_text(tuple(p for p, _ in self.padding))
        lines = ["How many kernel positions use each input pixel (for each filter):"]
        rows = [("corner pixel", (0, 0)), ("middle of an edge", (0, self.input_hw[1] // 2)),
                ("centre pixel", (self.input_hw[0] // 2, self.input_hw[1] // 2))]
        padded = self.usage if any(sum(p) for p in self.padding) else None
        if padded is not None and self.usage_without_padding is not None:
            lines.append(f"  {'':<20}{'padding=' + pad:>14}{'padding=0':>12}")
            lines += [f"  {name:<20}{padded[at]:>14}{self.usage_without_padding[at]:>12}" for name, at in rows]
        else:
            lines += [f"  {name:<20}{self.usage[at]:>4}" for name, at in rows]
        unpadded = self.usage_without_padding
        if unpadded is not None and unpadded[0, 0] < unpadded[rows[2][1]]:
            lines += _paragraph(f"Without padding a corner pixel is used {_times(unpadded[0, 0])} and a centre pixel "
                                f"{_times(unpadded[rows[2][1]])}: the border counts less, and each layer shrinks "
                                "the map.")
        if padded is not None:
            lines += _paragraph(f"With padding the corner pixel is used {_times(padded[0, 0])} and the output is "
                                f"{self.output_hw[0]}x{self.output_hw[1]} instead of {_unpadded_size_text(self)}.")
        if self.unused_pixels:
            lines += _paragraph(f"{self.unused_pixels} of the {self.usage.size} input pixels are never used: the "
                                "stride or dilation steps over them, or the last positions do not fit a whole kernel.")
        if max(self.input_hw) <= USAGE_MAP_MAX:
            width = len(str(self.usage.max()))
            lines += ["", "Uses of every input pixel:"] + ["  " + " ".join(f"{v:>{width}}" for v in row)
                                                             for row in self.usage]
        return lines

    __repr__ = __str__


def _pair(value):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"expected an int or a pair, got {tuple(value)}")
        return tuple(int(v) for v in value)
    return (int(value), int(value))


def _output_length(n, kernel, stride, total_padding, dilation):
    return (n + total_padding - dilation * (kernel - 1) - 1) // stride + 1


def _axis_usage(n, kernel, stride, padding, dilation):
    """For each of the n input positions, how many kernel placements read it (padding = (before, after))."""
    out = _output_length(n, kernel, stride, sum(padding), dilation)
    taps = (np.arange(out) * stride - padding[0])[:, None] + np.arange(kernel) * dilation
    return np.bincount(taps[(taps >= 0) & (taps < n)], minlength=n)


def _formula(n, kernel, stride, padding, dilation):
    before, after = padding
    pad = f"2*{before}" if before == after else f"({before} + {after})"
    numerator = n + before + after - dilation * (kernel - 1) - 1
    out = numerator // stride + 1
    return (f"floor(({n} + {pad} - {dilation}*({kernel} - 1) - 1) / {stride}) + 1 = floor({numerator} / {stride}) + 1"
            f" = {numerator // stride} + 1 = {out}")


def _unpadded_size_text(explanation):
    sizes = [_output_length(n, k, s, 0, d) for n, k, s, _, d in explanation._axes()]
    if min(sizes) < 1:
        return "nothing (the kernel would not fit)"
    return f"{sizes[0]}x{sizes[1]} without it"


def _paragraph(text):
    return textwrap.wrap(text, width=100, initial_indent="  ", subsequent_indent="  ")


def _axes_text(values):
    return str(values[0]) if values[0] == values[1] else str(values)


def _times(count):
    return {0: "never", 1: "once", 2: "twice"}.get(int(count), f"{int(count)} times")
