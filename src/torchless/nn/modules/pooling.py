"""Pooling layers: MaxPool1d/2d/3d, AvgPool1d/2d/3d, the adaptive poolings, MaxUnpool1d/2d/3d, LPPool1d/2d/3d and
FractionalMaxPool2d/3d, thin wrappers of the functionals."""
from .._functional import adaptive_pooling as F_adaptive
from .._functional import fractional_pooling as F_fractional
from .._functional import pooling as F_pool
from .._functional import pooling3d as F_pool3d
from .._functional import unpooling as F_unpool
from .._functional._pool_args import _torch_ntuple
from ._owned import owns
from .module import Module
from .utils import _single


# What a star-import gives (PyTorch's list)
__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "AvgPool1d",
           "AvgPool2d", "AvgPool3d", "FractionalMaxPool2d", "FractionalMaxPool3d", "LPPool1d", "LPPool2d", "LPPool3d",
           "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
           "AdaptiveAvgPool3d"]


# The docstring entries the pooling layers share, each as it stands in them (stripped: it is filled in at its
# indentation): how their windows are laid, their common arguments and the shapes of the adaptive poolings (by
# dimension, whichever the reduction)
_POOL_DOCS = {
    "max_pool_windows": """
    Each output value is the maximum over a kernel_size window of one channel; windows start every ``stride``
    elements of the input padded with -inf by ``padding``, and ``dilation`` spaces the elements of a window.
    """.strip(),
    "avg_pool_windows": """
    Each output value is the mean over a kernel_size window of one channel; windows start every ``stride``
    elements of the input zero-padded by ``padding``.
    """.strip(),
    "adaptive_pool_windows": """
    The window of output index i spans input indices floor(i * L_in / L_out) to
    ceil((i + 1) * L_in / L_out) - 1 along each dimension, so the windows cover the input and may overlap.
    """.strip(),
    "max_pool_window_args": """
        kernel_size (int or tuple): size of the window
        stride (int or tuple, optional): step between windows. Default: ``kernel_size``
        padding (int or tuple, optional): implicit -inf padding on every side; at most half the kernel. Default: ``0``
        dilation (int or tuple, optional): spacing of the window's elements. Default: ``1``
    """.strip(),
    "max_pool_ceil_mode": """
        ceil_mode (bool, optional): use ceil instead of floor in the output size, so that a last partial window
            starting inside the input or left padding is kept. Default: ``False``
    """.strip(),
    "avg_pool_divisor_args": """
        kernel_size (int or tuple): size of the window
        stride (int or tuple, optional): step between windows. Default: ``kernel_size``
        padding (int or tuple, optional): implicit zero padding on every side; at most half the kernel. Default: ``0``
        ceil_mode (bool, optional): use ceil instead of floor in the output size. Default: ``False``
        count_include_pad (bool, optional): count the padding zeros in the divisor. Default: ``True``
        divisor_override (int, optional): divide every window's sum by this instead. Default: ``None``
    """.strip(),
    "adaptive_output_size": """
        output_size (int or tuple): the target output size; an entry ``None`` keeps that input size
    """.strip(),
    "adaptive_return_indices": """
        return_indices (bool, optional): also return the flat indices of the maxima. Default: ``False``
    """.strip(),
    "adaptive_shape_1d": """
        - Input: (N, C, L_in) or (C, L_in)
        - Output: (N, C, L_out) or (C, L_out), where

          L_out = output_size
    """.strip(),
    "adaptive_shape_2d": """
        - Input: (N, C, H_in, W_in) or (C, H_in, W_in)
        - Output: (N, C, H_out, W_out) or (C, H_out, W_out), where

          H_out = output_size[0]
          W_out = output_size[1]
    """.strip(),
    "adaptive_shape_3d": """
        - Input: (N, C, D_in, H_in, W_in) or (C, D_in, H_in, W_in)
        - Output: (N, C, D_out, H_out, W_out) or (C, D_out, H_out, W_out), where

          D_out = output_size[0]
          H_out = output_size[1]
          W_out = output_size[2]
    """.strip(),
}


class _MaxPoolNd(Module):
    __constants__ = ["kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"]
    _functional = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        # (by position, as PyTorch's F.max_pool2d passes them on: the dispatch on return_indices is then cheapest)
        return type(self)._functional(input, self.kernel_size, self.stride, self.padding, self.dilation,
                                      self.ceil_mode, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


@owns("forward")
class MaxPool1d(_MaxPoolNd):
    __doc__ = """Applies 1-D max pooling: the maximum of each window of the input.

    {max_pool_windows}

    Args:
        kernel_size (int): size of the window
        stride (int, optional): step between windows. Default: ``kernel_size``
        padding (int, optional): implicit -inf padding on every side; at most half the kernel. Default: ``0``
        dilation (int, optional): spacing of the window's elements. Default: ``1``
        return_indices (bool, optional): also return the flat indices of the maxima (for :class:`MaxUnpool1d`).
            Default: ``False``
        {max_pool_ceil_mode}

    Shape:
        - Input: (N, C, L_in) or (C, L_in)
        - Output: (N, C, L_out) or (C, L_out), where

          L_out = floor((L_in + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1)

    Examples::

        >>> m = nn.MaxPool1d(3, stride=2)
        >>> m(torch.randn(20, 16, 50)).shape
        torchless.Size([20, 16, 24])
    """.format(**_POOL_DOCS)

    _functional = staticmethod(F_pool.max_pool1d)


@owns("forward")
class MaxPool2d(_MaxPoolNd):
    __doc__ = """Applies 2-D max pooling: the maximum of each window of the input.

    {max_pool_windows}

    Args:
        {max_pool_window_args}
        return_indices (bool, optional): also return the flat indices of the maxima (for :class:`MaxUnpool2d`).
            Default: ``False``
        {max_pool_ceil_mode}

    Shape:
        - Input: (N, C, H_in, W_in) or (C, H_in, W_in)
        - Output: (N, C, H_out, W_out) or (C, H_out, W_out), where

          H_out = floor((H_in + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) / stride[0] + 1)
          W_out = floor((W_in + 2 * padding[1] - dilation[1] * (kernel_size[1] - 1) - 1) / stride[1] + 1)

    Examples::

        >>> m = nn.MaxPool2d(3, stride=2)
        >>> m(torch.randn(20, 16, 50, 32)).shape
        torchless.Size([20, 16, 24, 15])
    """.format(**_POOL_DOCS)

    _functional = staticmethod(F_pool.max_pool2d)


@owns("forward")
class MaxPool3d(_MaxPoolNd):
    __doc__ = """Applies 3-D max pooling: the maximum of each window of the input.

    {max_pool_windows}

    Args:
        {max_pool_window_args}
        return_indices (bool, optional): also return the flat indices of the maxima (for :class:`MaxUnpool3d`).
            Default: ``False``
        {max_pool_ceil_mode}

    Shape:
        - Input: (N, C, D_in, H_in, W_in) or (C, D_in, H_in, W_in)
        - Output: (N, C, D_out, H_out, W_out) or (C, D_out, H_out, W_out), where

          D_out = floor((D_in + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) / stride[0] + 1)
          H_out = floor((H_in + 2 * padding[1] - dilation[1] * (kernel_size[1] - 1) - 1) / stride[1] + 1)
          W_out = floor((W_in + 2 * padding[2] - dilation[2] * (kernel_size[2] - 1) - 1) / stride[2] + 1)

    Examples::

        >>> m = nn.MaxPool3d(3, stride=2)
        >>> m(torch.randn(2, 4, 10, 12, 12)).shape
        torchless.Size([2, 4, 4, 5, 5])
    """.format(**_POOL_DOCS)

    _functional = staticmethod(F_pool3d.max_pool3d)


class _AvgPoolNd(Module):
    """What the average poolings share (their repr), as a base ``isinstance`` checks can name."""
    __constants__ = ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"]

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    __doc__ = """Applies 1-D average pooling: the mean of each window of the input.

    {avg_pool_windows}

    Args:
        kernel_size (int): size of the window
        stride (int, optional): step between windows. Default: ``kernel_size``
        padding (int, optional): implicit zero padding on every side; at most half the kernel. Default: ``0``
        ceil_mode (bool, optional): use ceil instead of floor in the output size. Default: ``False``
        count_include_pad (bool, optional): count the padding zeros in the divisor. Default: ``True``

    Shape:
        - Input: (N, C, L_in) or (C, L_in)
        - Output: (N, C, L_out) or (C, L_out), where

          L_out = floor((L_in + 2 * padding - kernel_size) / stride + 1)

    Examples::

        >>> m = nn.AvgPool1d(3, stride=2)
        >>> m(torch.randn(20, 16, 50)).shape
        torchless.Size([20, 16, 24])
    """.format(**_POOL_DOCS)

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return F_pool.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                 self.count_include_pad)


class _DivisorAvgPoolNd(_AvgPoolNd):
    """AvgPool2d and AvgPool3d: their arguments as given, divisor_override included."""
    __constants__ = ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"]

    _functional = None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return type(self)._functional(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                      self.count_include_pad, self.divisor_override)


@owns("__init__", "forward")
class AvgPool2d(_DivisorAvgPoolNd):
    __doc__ = """Applies 2-D average pooling: the mean of each window of the input.

    {avg_pool_windows}

    Args:
        {avg_pool_divisor_args}

    Shape:
        - Input: (N, C, H_in, W_in) or (C, H_in, W_in)
        - Output: (N, C, H_out, W_out) or (C, H_out, W_out), where

          H_out = floor((H_in + 2 * padding[0] - kernel_size[0]) / stride[0] + 1)
          W_out = floor((W_in + 2 * padding[1] - kernel_size[1]) / stride[1] + 1)

    Examples::

        >>> m = nn.AvgPool2d(3, stride=2)
        >>> m(torch.randn(20, 16, 50, 32)).shape
        torchless.Size([20, 16, 24, 15])
    """.format(**_POOL_DOCS)

    _functional = staticmethod(F_pool.avg_pool2d)


@owns("__init__", "forward")
class AvgPool3d(_DivisorAvgPoolNd):
    __doc__ = """Applies 3-D average pooling: the mean of each window of the input.

    {avg_pool_windows}

    Args:
        {avg_pool_divisor_args}

    Shape:
        - Input: (N, C, D_in, H_in, W_in) or (C, D_in, H_in, W_in)
        - Output: (N, C, D_out, H_out, W_out) or (C, D_out, H_out, W_out), where

          D_out = floor((D_in + 2 * padding[0] - kernel_size[0]) / stride[0] + 1)
          H_out = floor((H_in + 2 * padding[1] - kernel_size[1]) / stride[1] + 1)
          W_out = floor((W_in + 2 * padding[2] - kernel_size[2]) / stride[2] + 1)

    Examples::

        >>> m = nn.AvgPool3d(3, stride=2)
        >>> m(torch.randn(2, 4, 10, 12, 12)).shape
        torchless.Size([2, 4, 4, 5, 5])
    """.format(**_POOL_DOCS)

    _functional = staticmethod(F_pool3d.avg_pool3d)

    def __setstate__(self, state):
        super().__setstate__(state)
        for name, default in (("padding", 0), ("ceil_mode", False), ("count_include_pad", True)):
            self.__dict__.setdefault(name, default)  # as PyTorch: pickled before these existed


class _AdaptivePool(Module):
    __constants__ = ["output_size"]
    _functional = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return type(self)._functional(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


@owns("__init__")
class _AdaptiveAvgPoolNd(_AdaptivePool):
    """The adaptive average poolings' base, which ``isinstance`` checks can name (as the max ones' below)."""


class _AdaptiveMaxPoolNd(_AdaptivePool):
    __constants__ = ["output_size", "return_indices"]

    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):
        return type(self)._functional(input, self.output_size, self.return_indices)


@owns("forward")
class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    __doc__ = """Applies 1-D average pooling that produces a given output size.

    {adaptive_pool_windows}

    Args:
        output_size (int): the target output size

    Shape:
        {adaptive_shape_1d}

    Examples::

        >>> m = nn.AdaptiveAvgPool1d(5)
        >>> m(torch.randn(1, 64, 8)).shape
        torchless.Size([1, 64, 5])
    """.format(**_POOL_DOCS)

    _functional = staticmethod(F_adaptive.adaptive_avg_pool1d)


@owns("forward")
class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    __doc__ = """Applies 2-D average pooling that produces a given output size.

    {adaptive_pool_windows}

    Args:
        {adaptive_output_size}

    Shape:
        {adaptive_shape_2d}

    Examples::

        >>> m = nn.AdaptiveAvgPool2d((5, 7))
        >>> m(torch.randn(1, 64, 8, 9)).shape
        torchless.Size([1, 64, 5, 7])
    """.format(**_POOL_DOCS)

    _functional = staticmethod(F_adaptive.adaptive_avg_pool2d)


@owns("forward")
class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    __doc__ = """Applies 3-D average pooling that produces a given output size.

    {adaptive_pool_windows}

    Args:
        {adaptive_output_size}

    Shape:
        {adaptive_shape_3d}

    Examples::

        >>> m = nn.AdaptiveAvgPool3d((5, 7, 9))
        >>> m(torch.randn(1, 64, 8, 9, 10)).shape
        torchless.Size([1, 64, 5, 7, 9])
    """.format(**_POOL_DOCS)

    _functional = staticmethod(F_pool3d.adaptive_avg_pool3d)


@owns("forward")
class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    __doc__ = """Applies 1-D max pooling that produces a given output size.

    {adaptive_pool_windows}

    Args:
        output_size (int): the target output size
        {adaptive_return_indices}

    Shape:
        {adaptive_shape_1d}

    Examples::

        >>> m = nn.AdaptiveMaxPool1d(5)
        >>> m(torch.randn(1, 64, 8)).shape
        torchless.Size([1, 64, 5])
    """.format(**_POOL_DOCS)

    _functional = staticmethod(F_adaptive.adaptive_max_pool1d)


@owns("forward")
class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    __doc__ = """Applies 2-D max pooling that produces a given output size.

    {adaptive_pool_windows}

    Args:
        {adaptive_output_size}
        {adaptive_return_indices}

    Shape:
        {adaptive_shape_2d}

    Examples::

        >>> m = nn.AdaptiveMaxPool2d((5, 7))
        >>> m(torch.randn(1, 64, 8, 9)).shape
        torchless.Size([1, 64, 5, 7])
    """.format(**_POOL_DOCS)

    _functional = staticmethod(F_adaptive.adaptive_max_pool2d)


@owns("forward")
class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    __doc__ = """Applies 3-D max pooling that produces a given output size.

    {adaptive_pool_windows}

    Args:
        {adaptive_output_size}
        {adaptive_return_indices}

    Shape:
        {adaptive_shape_3d}

    Examples::

        >>> m = nn.AdaptiveMaxPool3d((5, 7, 9))
        >>> m(torch.randn(1, 64, 8, 9, 10)).shape
        torchless.Size([1, 64, 5, 7, 9])
    """.format(**_POOL_DOCS)

    _functional = staticmethod(F_pool3d.adaptive_max_pool3d)


class _MaxUnpoolNd(Module):
    _functional = None
    _spatial = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _torch_ntuple(kernel_size, self._spatial)
        self.stride = _torch_ntuple(stride if stride is not None else kernel_size, self._spatial)
        self.padding = _torch_ntuple(padding, self._spatial)

    def forward(self, input, indices, output_size=None):
        return type(self)._functional(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


@owns("__init__", "forward")
class MaxUnpool1d(_MaxUnpoolNd):
    r"""The partial inverse of MaxPool1d: values back at the positions of their maxima, zeros elsewhere.

    See ``torchless.nn.functional.max_unpool1d``. Args: kernel_size, stride=None (= kernel_size), padding=0.
    ``forward(input, indices, output_size=None)`` takes the indices returned by ``MaxPool1d(...,
    return_indices=True)``. Shape: (N, C, L_in) or (C, L_in) to L_out = (L_in - 1) * stride - 2 * padding +
    kernel_size (or output_size).
    """

    _functional, _spatial = staticmethod(F_unpool.max_unpool1d), 1


@owns("__init__", "forward")
class MaxUnpool2d(_MaxUnpoolNd):
    r"""The partial inverse of MaxPool2d: values back at the positions of their maxima, zeros elsewhere.

    See ``torchless.nn.functional.max_unpool2d``. Args: kernel_size, stride=None (= kernel_size), padding=0
    (each an int or a pair). ``forward(input, indices, output_size=None)`` takes the indices returned by
    ``MaxPool2d(..., return_indices=True)``. Shape: (N, C, H_in, W_in) or (C, H_in, W_in) to
    H_out = (H_in - 1) * stride[0] - 2 * padding[0] + kernel_size[0] (or output_size), likewise W_out.
    """

    _functional = staticmethod(F_unpool.max_unpool2d)


@owns("__init__", "forward")
class MaxUnpool3d(_MaxUnpoolNd):
    r"""The partial inverse of MaxPool3d: values back at the positions of their maxima, zeros elsewhere.

    See ``torchless.nn.functional.max_unpool3d``. Args: kernel_size, stride=None (= kernel_size), padding=0
    (each an int or a triple). ``forward(input, indices, output_size=None)`` takes the indices returned by
    ``MaxPool3d(..., return_indices=True)``. Shape: (N, C, D_in, H_in, W_in) or (C, D_in, H_in, W_in) to
    D_out = (D_in - 1) * stride[0] - 2 * padding[0] + kernel_size[0] (or output_size), likewise H_out, W_out.
    """

    _functional, _spatial = staticmethod(F_pool3d.max_unpool3d), 3


class _LPPoolNd(Module):
    __constants__ = ["norm_type", "kernel_size", "stride", "ceil_mode"]
    _functional = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, input):
        return type(self)._functional(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


@owns("forward")
class LPPool1d(_LPPoolNd):
    r"""1-D power-average pooling, (sum of x^p over each window)^(1/p), p = norm_type.

    See ``torchless.nn.functional.lp_pool1d``. Args: norm_type, kernel_size, stride=None (= kernel_size),
    ceil_mode=False. Shape: (N, C, L) or (C, L) to L_out = floor((L - kernel_size) / stride) + 1.
    """

    _functional = staticmethod(F_pool.lp_pool1d)


@owns("forward")
class LPPool2d(_LPPoolNd):
    r"""2-D power-average pooling, (sum of x^p over each window)^(1/p), p = norm_type.

    See ``torchless.nn.functional.lp_pool2d``. Args: norm_type, kernel_size, stride=None (= kernel_size),
    ceil_mode=False. Shape: (N, C, H, W) or (C, H, W) to H_out = floor((H - kernel_size[0]) / stride[0]) + 1,
    likewise W_out.
    """

    _functional = staticmethod(F_pool.lp_pool2d)


@owns("forward")
class LPPool3d(_LPPoolNd):
    r"""3-D power-average pooling, (sum of x^p over each window)^(1/p), p = norm_type.

    See ``torchless.nn.functional.lp_pool3d``. Args: norm_type, kernel_size, stride=None (= kernel_size),
    ceil_mode=False. Shape: (N, C, D, H, W) or (C, D, H, W) to D_out = floor((D - kernel_size[0]) / stride[0])
    + 1, likewise H_out and W_out.
    """

    _functional = staticmethod(F_pool3d.lp_pool3d)


class _FractionalMaxPoolNd(Module):
    __constants__ = ["kernel_size", "return_indices", "output_size", "output_ratio"]
    _functional = None
    _spatial = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = _torch_ntuple(kernel_size, self._spatial)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _torch_ntuple(output_size, self._spatial) if output_size is not None else None
        self.output_ratio = _torch_ntuple(output_ratio, self._spatial) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(
                0 < self.output_ratio[axis] < 1 for axis in range(self._spatial)):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        return type(self)._functional(input, self.kernel_size, self.output_size, self.output_ratio,
                                      self.return_indices, _random_samples=self._random_samples)


@owns("__init__", "forward")
class FractionalMaxPool2d(_FractionalMaxPoolNd):
    r"""2-D fractional max pooling over (N, C, H_in, W_in) or (C, H_in, W_in), as described in
    `Fractional MaxPooling <http://arxiv.org/abs/1412.6071>`_ by Ben Graham: :math:`kH \times kW` windows
    placed with a pseudo-random step, drawn per plane, so that the output has the size asked for.

    See ``torchless.nn.functional.fractional_max_pool2d``.

    Args:
        kernel_size: the window size, an int or a pair (kH, kW).
        output_size: the output size (H_out, W_out), or one int for both.
        output_ratio: instead of output_size, the output size as a ratio (or pair of ratios) of the input's,
            in (0, 1).
        return_indices: also return the indices of the maxima (for ``nn.MaxUnpool2d``). Default: ``False``.
        _random_samples: an (N, C, 2) tensor fixing the window placement (a buffer); drawn from torchless's
            generator on every call when None.

    Shape: output (N, C, H_out, W_out) or (C, H_out, W_out), where (H_out, W_out) = output_size or
    (int(H_in * output_ratio[0]), int(W_in * output_ratio[1])).
    """

    _functional = staticmethod(F_fractional.fractional_max_pool2d)


@owns("forward")
class FractionalMaxPool3d(_FractionalMaxPoolNd):
    r"""3-D fractional max pooling over (N, C, T_in, H_in, W_in) or (C, T_in, H_in, W_in):
    :math:`kT \times kH \times kW` windows placed with a pseudo-random step, drawn per plane, so that the
    output has the size asked for. See ``torchless.nn.functional.fractional_max_pool3d``.

    Args:
        kernel_size: the window size, an int or a triple (kT, kH, kW), each positive.
        output_size: the output size (T_out, H_out, W_out), or one int for all three.
        output_ratio: instead of output_size, the output size as a ratio (or triple of ratios) of the
            input's, in (0, 1).
        return_indices: also return the indices of the maxima (for ``nn.MaxUnpool3d``). Default: ``False``.
        _random_samples: an (N, C, 3) tensor fixing the window placement (a buffer).

    Shape: output (N, C, T_out, H_out, W_out) or (C, T_out, H_out, W_out), where (T_out, H_out, W_out) =
    output_size or the input's sizes times output_ratio, rounded down.
    """

    _functional, _spatial = staticmethod(F_fractional.fractional_max_pool3d), 3

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
        if (isinstance(kernel_size, int) and kernel_size <= 0) or (
                isinstance(kernel_size, (tuple, list)) and not all(k > 0 for k in kernel_size)):
            raise ValueError(f"kernel_size must be greater than 0, but got {kernel_size}")
        super().__init__(kernel_size, output_size, output_ratio, return_indices, _random_samples)
