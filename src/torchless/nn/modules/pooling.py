"""Pooling layers: MaxPool1d/2d, AvgPool1d/2d, the adaptive poolings, MaxUnpool2d and LPPool2d, thin wrappers of the
functionals."""
from .._functional import pooling as F_pool
from .module import Module


class _MaxPoolNd(Module):
    _functional = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return type(self)._functional(input, self.kernel_size, self.stride, self.padding, self.dilation,
                                      ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling over (N, C, L) or (C, L); see ``torchless.nn.functional.max_pool1d``.

    L_out = floor((L + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1 (ceil with ceil_mode).
    """

    _functional = staticmethod(F_pool.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling over (N, C, H, W) or (C, H, W); see ``torchless.nn.functional.max_pool2d``.

    Args: kernel_size, stride=None (= kernel_size), padding=0, dilation=1, return_indices=False, ceil_mode=False.
    H_out = floor((H + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) / stride[0]) + 1, likewise W_out.
    """

    _functional = staticmethod(F_pool.max_pool2d)


def _single(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


class AvgPool1d(Module):
    """1-D average pooling over (N, C, L) or (C, L); L_out = floor((L + 2 * padding - kernel_size) / stride) + 1."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return F_pool.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                 self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """2-D average pooling over (N, C, H, W) or (C, H, W); see ``torchless.nn.functional.avg_pool2d``.

    Args: kernel_size, stride=None (= kernel_size), padding=0, ceil_mode=False, count_include_pad=True,
    divisor_override=None. H_out = floor((H + 2 * padding[0] - kernel_size[0]) / stride[0]) + 1, likewise W_out.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return F_pool.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                 self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(Module):
    _functional = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return type(self)._functional(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):
        return type(self)._functional(input, self.output_size, self.return_indices)


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average pooling of (N, C, L) or (C, L) to length output_size."""

    _functional = staticmethod(F_pool.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average pooling of (N, C, H, W) or (C, H, W) to output_size (int, or pair whose None entries keep the size)."""

    _functional = staticmethod(F_pool.adaptive_avg_pool2d)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """Max pooling of (N, C, L) or (C, L) to length output_size."""

    _functional = staticmethod(F_pool.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """Max pooling of (N, C, H, W) or (C, H, W) to output_size (int, or pair whose None entries keep the size)."""

    _functional = staticmethod(F_pool.adaptive_max_pool2d)


class MaxUnpool2d(Module):
    r"""The partial inverse of MaxPool2d: values back at the positions of their maxima, zeros elsewhere.

    See ``torchless.nn.functional.max_unpool2d``. Args: kernel_size, stride=None (= kernel_size), padding=0
    (each an int or a pair). ``forward(input, indices, output_size=None)`` takes the indices returned by
    ``MaxPool2d(..., return_indices=True)``. Shape: (N, C, H_in, W_in) or (C, H_in, W_in) to
    H_out = (H_in - 1) * stride[0] - 2 * padding[0] + kernel_size[0] (or output_size), likewise W_out.
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = F_pool._torch_pair(kernel_size)
        self.stride = F_pool._torch_pair(stride if stride is not None else kernel_size)
        self.padding = F_pool._torch_pair(padding)

    def forward(self, input, indices, output_size=None):
        return F_pool.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class LPPool2d(Module):
    r"""2-D power-average pooling, (sum of x^p over each window)^(1/p), p = norm_type.

    See ``torchless.nn.functional.lp_pool2d``. Args: norm_type, kernel_size, stride=None (= kernel_size),
    ceil_mode=False. Shape: (N, C, H, W) or (C, H, W) to H_out = floor((H - kernel_size[0]) / stride[0]) + 1,
    likewise W_out.
    """

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, input):
        return F_pool.lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")
