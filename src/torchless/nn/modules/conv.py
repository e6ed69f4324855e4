"""Convolution layers: Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, and their lazy
forms (LazyConv1d, ..., LazyConvTranspose3d), whose ``in_channels`` is inferred from the first input.

Constructors, attributes, initialisation and repr follow ``torch.nn.modules.conv``: the layer
stores its arguments as tuples (``stride == (1, 1)``) and leaves argument checking that PyTorch does
at call time to ``torchless.nn.functional``. Each layer owns a copy of its base's ``__init__`` and ``forward``
(``owns``), so that a call missing arguments raises PyTorch's TypeError, which names ``Conv2d.__init__``.
"""
import collections.abc
import math

from ... import _creation
from .. import init
from .._functional import conv as F_conv
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin
from ._owned import owns
from .module import Module, _registered
from .utils import _single

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "LazyConv1d",
           "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d"]


def _ntuple(value, n):
    """PyTorch's ``_single``/``_pair``: a sequence becomes a tuple as is, anything else is repeated."""
    if isinstance(value, collections.abc.Iterable):
        return tuple(value)
    return (value,) * n


# The docstring entries Conv1d/2d/3d and ConvTranspose1d/2d/3d share, as they stand in them (stripped: filled in at
# their indentation): their arguments and the bias attribute
_BIAS_ATTRIBUTE = """
        bias (Tensor): learnable, of shape (out_channels), drawn from the same distribution; ``None`` if not bias
""".strip()
_CONV_DOCS = {
    "args": """
        in_channels (int): number of channels C_in of the input
        out_channels (int): number of channels C_out produced
        kernel_size (int or tuple): size of the kernel
        stride (int or tuple, optional): step of the kernel. Default: ``1``
        padding (int or tuple or str, optional): padding added to every side, or ``'valid'`` (none) or
            ``'same'`` (an output as long as the input; stride 1 only). Default: ``0``
        dilation (int or tuple, optional): spacing between kernel elements. Default: ``1``
        groups (int, optional): number of blocked connections; divides C_in and C_out. Default: ``1``
        bias (bool, optional): add a learnable bias. Default: ``True``
        padding_mode (str, optional): ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
            Default: ``'zeros'``
        device, dtype (optional): where and of which floating dtype the parameters are created. Default: ``None``
    """.strip(),
    "bias_attribute": _BIAS_ATTRIBUTE,
}
_CONV_TRANSPOSE_DOCS = {
    "args": """
        in_channels (int): number of channels C_in of the input
        out_channels (int): number of channels C_out produced
        kernel_size (int or tuple): size of the kernel
        stride (int or tuple, optional): step of the kernel in the output. Default: ``1``
        padding (int or tuple, optional): dilation * (kernel_size - 1) - padding zeros are added to both sides of the
            input, so that a convolution with the same padding inverts the shape. Default: ``0``
        output_padding (int or tuple, optional): extra size added to one side of the output, to pick among the input
            sizes a strided convolution maps to the same output; smaller than stride or dilation. Default: ``0``
        groups (int, optional): number of blocked connections; divides C_in and C_out. Default: ``1``
        bias (bool, optional): add a learnable bias. Default: ``True``
        dilation (int or tuple, optional): spacing between kernel elements. Default: ``1``
        padding_mode (str, optional): only ``'zeros'``. Default: ``'zeros'``
        device, dtype (optional): where and of which floating dtype the parameters are created. Default: ``None``
    """.strip(),
    "bias_attribute": _BIAS_ATTRIBUTE,
}


class _ConvNd(Module):
    """What every convolution layer shares: argument checks, parameters, initialisation and repr."""
    __constants__ = ["stride", "padding", "dilation", "groups", "padding_mode", "output_padding", "in_channels",
                     "out_channels", "kernel_size"]

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        valid_padding_strings = {"same", "valid"}
        if isinstance(padding, str):
            if padding not in valid_padding_strings:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {valid_padding_strings}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        # The order the message lists the modes in is the set's: PyTorch's set is a copy of its compiled module's
        # frozenset constant, which the installed .pyc (CPython 3.11) rebuilds in the order zeros, reflect, circular,
        # replicate; built in that order here, the message lists them as PyTorch's does under any hash seed.
        valid_padding_modes = set(("zeros", "reflect", "circular", "replicate"))
        if padding_mode not in valid_padding_modes:
            raise ValueError(f"padding_mode must be one of {valid_padding_modes}, but got padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = self._explicit_padding()
        channels = (in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(_creation.empty(channels + tuple(kernel_size), dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(_creation.empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def __setstate__(self, state):
        super().__setstate__(state)
        self.__dict__.setdefault("padding_mode", "zeros")  # as PyTorch: pickled before padding_mode existed

    def _explicit_padding(self):
        """``F.pad`` widths (last dimension first) for the padding modes other than 'zeros'.

        'same' puts the odd extra cell at the end (right, bottom, back), as ``F.conv2d(padding='same')`` does.
        """
        if not isinstance(self.padding, str):
            return tuple(p for p in reversed(self.padding) for _ in range(2))
        widths = [0, 0] * len(self.kernel_size)
        if self.padding == "same":
            for d, k, i in zip(self.dilation, self.kernel_size, range(len(self.kernel_size) - 1, -1, -1)):
                total = d * (k - 1)
                widths[2 * i], widths[2 * i + 1] = total // 2, total - total // 2
        return widths

    def reset_parameters(self):
        """PyTorch's default: kaiming-uniform weight (a=sqrt(5)), bias uniform in ±1/sqrt(fan_in).

        An empty kernel or no input channels (fan_in 0) makes the bias zeros, drawn all the same: the
        random numbers that follow are PyTorch's.
        """
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    """Conv1d, Conv2d and Conv3d: the non-zero padding modes pad explicitly, then convolve without padding."""

    _spatial = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        n = self._spatial
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, n), _ntuple(stride, n),
                         padding if isinstance(padding, str) else _ntuple(padding, n), _ntuple(dilation, n),
                         False, _ntuple(0, n), groups, bias, padding_mode, device, dtype)

    def _conv_forward(self, input, weight, bias):
        if self.padding_mode != "zeros":
            from .._functional.padding import pad

            padded = pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return self._convolve(padded, weight, bias, self.stride, _ntuple(0, self._spatial), self.dilation,
                                  self.groups)
        return self._convolve(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        parameters = self._parameters
        return self._conv_forward(input, _registered(self, parameters, "weight"), _registered(self, parameters, "bias"))


@owns("__init__", "forward")
class Conv1d(_Conv):
    __doc__ = """Applies a 1-D convolution (a cross-correlation) over an input of C_in channels.

    out(N_i, C_out_j) = bias(C_out_j) + sum over k of weight(C_out_j, k) * input(N_i, k), the product being the
    1-D cross-correlation; with ``groups`` = g the channels are split into g groups, each convolved with its own
    C_out / g filters.

    Args:
        {args}

    Shape:
        - Input: (N, C_in, L_in) or (C_in, L_in)
        - Output: (N, C_out, L_out) or (C_out, L_out), where

          L_out = floor((L_in + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1)

    Attributes:
        weight (Tensor): learnable, of shape (out_channels, in_channels / groups, kernel_size), initialised from
            U(-sqrt(k), sqrt(k)) with k = groups / (C_in * kernel_size)
        {bias_attribute}

    Examples::

        >>> m = nn.Conv1d(16, 33, 3, stride=2)
        >>> m(torch.randn(20, 16, 50)).shape
        torchless.Size([20, 33, 24])
    """.format(**_CONV_DOCS)

    _spatial = 1
    _convolve = staticmethod(F_conv.conv1d)


@owns("__init__", "forward")
class Conv2d(_Conv):
    __doc__ = """Applies a 2-D convolution (a cross-correlation) over an input of C_in channels.

    out(N_i, C_out_j) = bias(C_out_j) + sum over k of weight(C_out_j, k) * input(N_i, k), the product being the
    2-D cross-correlation; with ``groups`` = g the channels are split into g groups, each convolved with its own
    C_out / g filters.

    Args:
        {args}

    Shape:
        - Input: (N, C_in, H_in, W_in) or (C_in, H_in, W_in)
        - Output: (N, C_out, H_out, W_out) or (C_out, H_out, W_out), where

          H_out = floor((H_in + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) / stride[0] + 1)
          W_out = floor((W_in + 2 * padding[1] - dilation[1] * (kernel_size[1] - 1) - 1) / stride[1] + 1)

    Attributes:
        weight (Tensor): learnable, of shape (out_channels, in_channels / groups, kH, kW), initialised from
            U(-sqrt(k), sqrt(k)) with k = groups / (C_in * kH * kW)
        {bias_attribute}

    Examples::

        >>> m = nn.Conv2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2))
        >>> m(torch.randn(20, 16, 50, 100)).shape
        torchless.Size([20, 33, 28, 100])
    """.format(**_CONV_DOCS)

    _spatial = 2
    _convolve = staticmethod(F_conv.conv2d)


@owns("__init__", "forward")
class Conv3d(_Conv):
    __doc__ = """Applies a 3-D convolution (a cross-correlation) over an input of C_in channels.

    out(N_i, C_out_j) = bias(C_out_j) + sum over k of weight(C_out_j, k) * input(N_i, k), the product being the
    3-D cross-correlation; with ``groups`` = g the channels are split into g groups, each convolved with its own
    C_out / g filters.

    Args:
        {args}

    Shape:
        - Input: (N, C_in, D_in, H_in, W_in) or (C_in, D_in, H_in, W_in)
        - Output: (N, C_out, D_out, H_out, W_out) or (C_out, D_out, H_out, W_out), where

          D_out = floor((D_in + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) / stride[0] + 1)
          H_out = floor((H_in + 2 * padding[1] - dilation[1] * (kernel_size[1] - 1) - 1) / stride[1] + 1)
          W_out = floor((W_in + 2 * padding[2] - dilation[2] * (kernel_size[2] - 1) - 1) / stride[2] + 1)

    Attributes:
        weight (Tensor): learnable, of shape (out_channels, in_channels / groups, kD, kH, kW), initialised from
            U(-sqrt(k), sqrt(k)) with k = groups / (C_in * kD * kH * kW)
        {bias_attribute}

    Examples::

        >>> m = nn.Conv3d(16, 33, 3, stride=2)
        >>> m(torch.randn(2, 16, 10, 50, 50)).shape
        torchless.Size([2, 33, 4, 24, 24])
    """.format(**_CONV_DOCS)

    _spatial = 3
    _convolve = staticmethod(F_conv.conv3d)


class _ConvTransposeNd(_ConvNd):
    """ConvTranspose1d, 2d and 3d: zero padding only, and an optional exact ``output_size``."""

    _spatial = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        n = self._spatial
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, n), _ntuple(stride, n), _ntuple(padding, n),
                         _ntuple(dilation, n), True, _ntuple(output_padding, n), groups, bias, padding_mode,
                         device, dtype)

    def _output_padding(self, input, output_size, stride, padding, kernel_size, num_spatial_dims, dilation=None):
        """The output_padding that makes the output exactly ``output_size`` (PyTorch's rule and messages).

        PyTorch's signature, which subclasses of the transposed convolutions call with their own geometry;
        ``dilation`` None counts as 1.
        """
        if output_size is None:
            return _single(self.output_padding)
        n = num_spatial_dims
        non_spatial = 2 if input.dim() == n + 2 else 1
        if len(output_size) == non_spatial + n:
            output_size = output_size[non_spatial:]
        if len(output_size) != n:
            raise ValueError(f"ConvTranspose{n}D: for {input.dim()}D input, output_size must have {n} or "
                             f"{non_spatial + n} elements (got {len(output_size)})")
        min_sizes = [(input.size(d + non_spatial) - 1) * stride[d] - 2 * padding[d]
                     + (1 if dilation is None else dilation[d]) * (kernel_size[d] - 1) + 1 for d in range(n)]
        max_sizes = [low + stride[d] - 1 for d, low in enumerate(min_sizes)]
        # (output_size read by position, as PyTorch reads it: any sequence, not any iterable)
        for d in range(n):
            if output_size[d] < min_sizes[d] or output_size[d] > max_sizes[d]:
                # input.size()[2:] even for unbatched input: PyTorch's own message does the same.
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from {min_sizes} "
                                 f"to {max_sizes} (for an input of {input.size()[2:]})")
        return [output_size[d] - min_sizes[d] for d in range(n)]

    def forward(self, input, output_size=None):
        # (PyTorch's forward checks the attributes again: they may have been set after construction)
        if self.padding_mode != "zeros":
            raise ValueError(f"Only `zeros` padding mode is supported for ConvTranspose{self._spatial}d")
        if not isinstance(self.padding, tuple):
            raise AssertionError("self.padding must be a tuple")
        output_padding = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size,
                                              self._spatial, self.dilation)
        return self._convolve(input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                              self.dilation)


@owns("__init__", "forward")
class ConvTranspose1d(_ConvTransposeNd):
    __doc__ = """Applies a 1-D transposed convolution over an input of C_in channels.

    It is the gradient of :class:`Conv1d` with respect to its input (sometimes called a "deconvolution" or a
    fractionally-strided convolution): each input value scatters a weighted copy of the kernel into the output,
    ``stride`` apart, which makes it the usual upsampling layer of decoders and generators.

    Args:
        {args}

    Shape:
        - Input: (N, C_in, L_in) or (C_in, L_in)
        - Output: (N, C_out, L_out) or (C_out, L_out), where

          L_out = (L_in - 1) * stride - 2 * padding + dilation * (kernel_size - 1)
                  + output_padding + 1

          or exactly ``output_size`` when ``forward(input, output_size)`` is given one.

    Attributes:
        weight (Tensor): learnable, of shape (in_channels, out_channels / groups, kernel_size), initialised from
            U(-sqrt(k), sqrt(k)) with k = groups / (C_out * kernel_size)
        {bias_attribute}

    Examples::

        >>> m = nn.ConvTranspose1d(16, 33, 3, stride=2)
        >>> m(torch.randn(20, 16, 50)).shape
        torchless.Size([20, 33, 101])
    """.format(**_CONV_TRANSPOSE_DOCS)

    _spatial = 1
    _convolve = staticmethod(F_conv.conv_transpose1d)


@owns("__init__", "forward")
class ConvTranspose2d(_ConvTransposeNd):
    __doc__ = """Applies a 2-D transposed convolution over an input of C_in channels.

    It is the gradient of :class:`Conv2d` with respect to its input (sometimes called a "deconvolution" or a
    fractionally-strided convolution): each input value scatters a weighted copy of the kernel into the output,
    ``stride`` apart, which makes it the usual upsampling layer of decoders and generators.

    Args:
        {args}

    Shape:
        - Input: (N, C_in, H_in, W_in) or (C_in, H_in, W_in)
        - Output: (N, C_out, H_out, W_out) or (C_out, H_out, W_out), where

          H_out = (H_in - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kernel_size[0] - 1)
                  + output_padding[0] + 1
          W_out = (W_in - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kernel_size[1] - 1)
                  + output_padding[1] + 1

          or exactly ``output_size`` when ``forward(input, output_size)`` is given one.

    Attributes:
        weight (Tensor): learnable, of shape (in_channels, out_channels / groups, kH, kW), initialised from
            U(-sqrt(k), sqrt(k)) with k = groups / (C_out * kH * kW)
        {bias_attribute}

    Examples::

        >>> m = nn.ConvTranspose2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2))
        >>> m(torch.randn(20, 16, 50, 100)).shape
        torchless.Size([20, 33, 93, 100])

        >>> up = nn.ConvTranspose2d(16, 16, 3, stride=2, padding=1)
        >>> up(torch.randn(1, 16, 6, 6), output_size=[12, 12]).shape
        torchless.Size([1, 16, 12, 12])
    """.format(**_CONV_TRANSPOSE_DOCS)

    _spatial = 2
    _convolve = staticmethod(F_conv.conv_transpose2d)


@owns("__init__", "forward")
class ConvTranspose3d(_ConvTransposeNd):
    __doc__ = """Applies a 3-D transposed convolution over an input of C_in channels.

    It is the gradient of :class:`Conv3d` with respect to its input (sometimes called a "deconvolution" or a
    fractionally-strided convolution): each input value scatters a weighted copy of the kernel into the output,
    ``stride`` apart, which makes it the usual upsampling layer of decoders and generators.

    Args:
        {args}

    Shape:
        - Input: (N, C_in, D_in, H_in, W_in) or (C_in, D_in, H_in, W_in)
        - Output: (N, C_out, D_out, H_out, W_out) or (C_out, D_out, H_out, W_out), where

          D_out = (D_in - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kernel_size[0] - 1)
                  + output_padding[0] + 1
          H_out = (H_in - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kernel_size[1] - 1)
                  + output_padding[1] + 1
          W_out = (W_in - 1) * stride[2] - 2 * padding[2] + dilation[2] * (kernel_size[2] - 1)
                  + output_padding[2] + 1

          or exactly ``output_size`` when ``forward(input, output_size)`` is given one.

    Attributes:
        weight (Tensor): learnable, of shape (in_channels, out_channels / groups, kD, kH, kW), initialised from
            U(-sqrt(k), sqrt(k)) with k = groups / (C_out * kD * kH * kW)
        {bias_attribute}

    Examples::

        >>> m = nn.ConvTranspose3d(16, 33, 3, stride=2)
        >>> m(torch.randn(2, 16, 5, 10, 10)).shape
        torchless.Size([2, 33, 11, 21, 21])
    """.format(**_CONV_TRANSPOSE_DOCS)

    _spatial = 3
    _convolve = staticmethod(F_conv.conv_transpose3d)


class _LazyConvXdMixin(LazyModuleMixin):
    """What the lazy convolutions share: ``in_channels`` and the weight's shape come from the first input."""

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                self.weight.materialize((self.in_channels, self.out_channels // self.groups, *self.kernel_size))
            else:
                self.weight.materialize((self.out_channels, self.in_channels // self.groups, *self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()

    def _uninitialized(self, out_channels, bias, device, dtype):
        """Give the layer (built with in_channels 0 and no bias) its uninitialised weight and bias."""
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def _get_in_channels(self, input):
        unbatched = self._get_num_spatial_dims() + 1  # the channel dimension, then the spatial ones
        if input.dim() not in (unbatched, unbatched + 1):
            raise RuntimeError(f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) input to "
                               f"{self.__class__.__name__}, but got input of size: {input.shape}")
        return input.shape[1] if input.dim() == unbatched + 1 else input.shape[0]

    def _get_num_spatial_dims(self):
        """The input's spatial dimensions (PyTorch's hook, which a subclass may override)."""
        return self._spatial


class _LazyConv(_LazyConvXdMixin):
    """LazyConv1d/2d/3d's construction: their convolution's arguments but ``in_channels``."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        # bias=False: no bias tensor to create only to be replaced
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, device, dtype)
        self._uninitialized(out_channels, bias, device, dtype)


class _LazyConvTranspose(_LazyConvXdMixin):
    """LazyConvTranspose1d/2d/3d's construction: their convolution's arguments but ``in_channels``."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        # bias=False: no bias tensor to create only to be replaced
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation, padding_mode,
                         device, dtype)
        self._uninitialized(out_channels, bias, device, dtype)


@owns("__init__")
class LazyConv1d(_LazyConv, Conv1d):
    """:class:`Conv1d` whose ``in_channels`` (and so the weight's shape) is ``input.size(1)`` of the first input
    (``input.size(0)`` unbatched); the other arguments are Conv1d's. See :class:`LazyModuleMixin`."""

    cls_to_become = Conv1d


@owns("__init__")
class LazyConv2d(_LazyConv, Conv2d):
    """:class:`Conv2d` whose ``in_channels`` (and so the weight's shape) is ``input.size(1)`` of the first input
    (``input.size(0)`` unbatched); the other arguments are Conv2d's. See :class:`LazyModuleMixin`."""

    cls_to_become = Conv2d


@owns("__init__")
class LazyConv3d(_LazyConv, Conv3d):
    """:class:`Conv3d` whose ``in_channels`` (and so the weight's shape) is ``input.size(1)`` of the first input
    (``input.size(0)`` unbatched); the other arguments are Conv3d's. See :class:`LazyModuleMixin`."""

    cls_to_become = Conv3d


@owns("__init__")
class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """:class:`ConvTranspose1d` whose ``in_channels`` (and so the weight's shape) is ``input.size(1)`` of the first
    input (``input.size(0)`` unbatched); the other arguments are ConvTranspose1d's. See :class:`LazyModuleMixin`."""

    cls_to_become = ConvTranspose1d


@owns("__init__")
class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """:class:`ConvTranspose2d` whose ``in_channels`` (and so the weight's shape) is ``input.size(1)`` of the first
    input (``input.size(0)`` unbatched); the other arguments are ConvTranspose2d's. See :class:`LazyModuleMixin`."""

    cls_to_become = ConvTranspose2d


@owns("__init__")
class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """:class:`ConvTranspose3d` whose ``in_channels`` (and so the weight's shape) is ``input.size(1)`` of the first
    input (``input.size(0)`` unbatched); the other arguments are ConvTranspose3d's. See :class:`LazyModuleMixin`."""

    cls_to_become = ConvTranspose3d
