"""3-D pooling: max, average, adaptive and power-average (Lp) pooling over (D, H, W) windows, and max unpooling.

The autograd Functions are those of :mod:`.pooling`, run on the kernels of ``torchless._kernels.pool3d``
over the input viewed as (planes, 1, D, H, W), so batched (N, C, D, H, W) and unbatched (C, D, H, W)
inputs share one path. Each functional is split as in PyTorch: a Python-level part (default strides,
``None`` output sizes, unpooling sizes) and a native part with PyTorch's argument parsing (see
:func:`._args.native`), its checks in PyTorch's order and its messages.
"""
import numpy as np

from ... import _memory_format
from ..._tensor import Tensor
from ...autograd import forward_ad
from ...autograd.graph import autocast_cast, save_tensor_versions
from ._args import Param, native
from ._pool_args import (_check_float, _check_output_resize, _check_output_storage, _check_window_argument,
                         _output_size, _torch_triple, dispatch_on_return_indices)
from ._pool_nodes import AdaptiveAvgPool, AvgPool, _keep_channels_last
from .adaptive_pooling import _adaptive_max, _adaptive_output_size, _mean_in_input_format
from .pooling import _lp_pool, _max_pool
from .unpooling import MaxUnpool, _check_unpool_indices, _check_unpool_shapes, _unpool_output_size

__all__ = ["max_pool3d", "max_pool3d_with_indices", "avg_pool3d", "adaptive_avg_pool3d", "adaptive_max_pool3d",
           "adaptive_max_pool3d_with_indices", "max_unpool3d", "lp_pool3d"]


def _triple(values, default=None):
    """An int[] of length 0, 1 or 3 as a triple: one value stands for all three axes, none for ``default``."""
    if not values:
        return default
    return tuple(values) * 3 if len(values) == 1 else tuple(values)


def _pool3d_shape_check(shape, kernel, stride, padding, dilation, out, fn, check_input_size=False):
    """PyTorch's pool3d_shape_check (after the output sizes, whose own checks come first)."""
    (kT, kH, kW), (dT, dH, dW), (pT, pH, pW), (dilT, dilH, dilW) = kernel, stride, padding, dilation
    if kT <= 0 or kH <= 0 or kW <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {kT} kH: {kH} kW: {kW}")
    if dT <= 0 or dH <= 0 or dW <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dT: {dT} dH: {dH} dW: {dW}")
    if dilT <= 0 or dilH <= 0 or dilW <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {dilT} dilationH: {dilH} "
                           f"dilationW: {dilW}")
    for axis in range(len(shape) == 5, len(shape)):  # a batch of 0 is allowed
        if shape[axis] == 0:
            # PyTorch names the dimension by its length (always 0), not its index.
            raise RuntimeError(f"{fn}: Expected input's non-batch dimensions to have positive length, but input has a "
                               f"shape of {list(shape)} and non-batch dimension 0 has length zero!")
    T, H, W = shape[-3:]
    if check_input_size and (T < kT or H < kH or W < kW):
        raise RuntimeError(f"input image (T: {T} H: {H} W: {W}) smaller than kernel size (kT: {kT} kH: {kH} kW: {kW})")
    if kT // 2 < pT or kW // 2 < pW or kH // 2 < pH:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got kT: {kT} kW: {kW} "
                           f"kH: {kH} padT: {pT} padW: {pW} padH: {pH}")
    if min(out) < 1:
        C = shape[-4]
        raise RuntimeError(f"Given input size: ({C}x{T}x{H}x{W}). Calculated output size: "
                           f"({C}x{out[0]}x{out[1]}x{out[2]}). Output size is too small")


def _output_sizes(shape, kernel, stride, padding, dilation, ceil_mode):
    """(D_out, H_out, W_out), with the checks of PyTorch's pooling_output_shape, depth first."""
    return tuple(_output_size(n, k, p, s, d, ceil_mode)
                 for n, k, p, s, d in zip(shape[-3:], kernel, padding, stride, dilation))


# ---------------------------------------------------------------------------- max pooling
def _max_pool3d_params(input, kernel, stride, padding, dilation, ceil_mode):
    """max_pool3d's checks, in PyTorch's order; (kernel, stride, padding, dilation) as triples."""
    fn = "max_pool3d"
    _check_window_argument(fn, "kernel_size", kernel, 3)
    _check_window_argument(fn, "stride", stride, 3, may_omit=True)
    _check_window_argument(fn, "padding", padding, 3)
    _check_window_argument(fn, "dilation", dilation, 3, wording="must be either")
    kernel = _triple(kernel)
    stride, padding, dilation = _triple(stride, kernel), _triple(padding), _triple(dilation)
    if input.dim() == 4:  # unbatched: strides suggesting (2-D) channels_last reach no kernel
        _memory_format.check_kernel_supports(input._data, _memory_format.channels_last_3d)
    elif input.dim() != 5:
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    shape = tuple(input.shape)
    out = _output_sizes(shape, kernel, stride, padding, dilation, ceil_mode)
    _pool3d_shape_check(shape, kernel, stride, padding, dilation, out, "max_pool3d_with_indices_out_cpu_template()")
    if input.dtype.name == "bool" or input.dtype.is_complex:  # (PyTorch's kernel has neither)
        raise NotImplementedError(f"\"{_memory_format.kernel_name(fn, input._data)}\" not implemented for "
                                  f"'{input.dtype.scalar_name}'")
    return kernel, stride, padding, dilation


def _shown(*int_lists):
    """The parsed int[3] arguments as PyTorch's node shows them (an omitted stride as ())."""
    return tuple(tuple(value) for value in int_lists)


_MAX_POOL3D_SIGNATURE = [Param("input", "Tensor"), Param("kernel_size", "int[]"), Param("stride", "int[]", "[]", []),
                         Param("padding", "int[]", "0", 0), Param("dilation", "int[]", "1", 1),
                         Param("ceil_mode", "bool", "False", False)]


@native("max_pool3d", _MAX_POOL3D_SIGNATURE, list_size=3)
def _max_pool3d_native(input, kernel_size, stride, padding, dilation, ceil_mode):
    params = _max_pool3d_params(input, kernel_size, stride, padding, dilation, ceil_mode)
    return _max_pool(input, 3, *params, ceil_mode, False, "MaxPool3DWithIndicesBackward0",
                     _shown(kernel_size, stride, padding, dilation))


@native("max_pool3d_with_indices", _MAX_POOL3D_SIGNATURE, list_size=3)
def _max_pool3d_with_indices_native(input, kernel_size, stride, padding, dilation, ceil_mode):
    params = _max_pool3d_params(input, kernel_size, stride, padding, dilation, ceil_mode)
    return _max_pool(input, 3, *params, ceil_mode, True, "MaxPool3DWithIndicesBackward0",
                     _shown(kernel_size, stride, padding, dilation))


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    r"""3-D max pooling over an input of shape (N, C, D, H, W) or (C, D, H, W).

    Args:
        kernel_size, stride (default: kernel_size), padding (implicit -inf, at most half the kernel),
            dilation: an int for all three axes or a triple (kD, kH, kW).
        ceil_mode: ceil instead of floor in the output size; the last window may then hang past the
            input, if it starts inside the input or the left padding.
        return_indices: also return the int64 flat index d * H * W + h * W + w of each maximum in its
            (D, H, W) volume (the first maximum in (d, h, w) order; a NaN wins), as ``max_unpool3d`` takes.

    Shape: D_out = floor((D + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) / stride[0]) + 1
    (ceil with ceil_mode), likewise H_out and W_out.
    """
    input, = autocast_cast("float32", input)
    if return_indices and not isinstance(input, Tensor):
        # PyTorch's max_pool3d_with_indices reads input.is_cuda before its parser: a non-tensor's AttributeError
        input.is_cuda
    native_pool = _max_pool3d_with_indices_native if return_indices else _max_pool3d_native
    out = native_pool(input, kernel_size, [] if stride is None else stride, padding, dilation, ceil_mode)
    x = getattr(input, "_data", None)  # PyTorch's kernel: channels-last-3d for such an input
    if x is None or not _memory_format.may_suggest_channels_last(x):
        return out
    if x.ndim == 5:
        return _keep_channels_last(out, x)
    # an unbatched volume, seen by the kernel as a batch of one (a view, whose batch stride is the element count):
    # C order unless that suggests channels-last-3d, then laid out as that batch's channels-last-3d output
    batch = np.lib.stride_tricks.as_strided(x, (1,) + x.shape, (max(x.size, 1) * x.itemsize,) + x.strides,
                                            writeable=False)
    format_ = _memory_format.output_format(batch)
    if format_ is None:
        return _memory_format.in_c_order(out)
    for tensor in out if isinstance(out, tuple) else (out,):
        tensor._data = _memory_format.in_format(tensor._data[None], format_)[0]
    return out


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """3-D max pooling that returns ``(output, indices)``: :func:`max_pool3d` with ``return_indices=True``.

    Shape:
        - Input: (N, C, D_in, H_in, W_in) or (C, D_in, H_in, W_in)
        - Output and indices: (N, C, D_out, H_out, W_out) or (C, D_out, H_out, W_out), with each size
          X_out = floor((X_in + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1)

    Examples::

        >>> out, idx = F.max_pool3d_with_indices(torch.randn(1, 2, 4, 4, 4), 2)
        >>> out.shape, idx.dtype
        (torchless.Size([1, 2, 2, 2, 2]), torchless.int64)
    """
    return _max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---------------------------------------------------------------------------- average pooling
@native("avg_pool3d", [Param("input", "Tensor"), Param("kernel_size", "int[]"), Param("stride", "int[]", "[]", []),
                       Param("padding", "int[]", "0", 0), Param("ceil_mode", "bool", "False", False),
                       Param("count_include_pad", "bool", "True", True),
                       Param("divisor_override", "int?", "None", None)], list_size=3)
def avg_pool3d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    r"""3-D average pooling over an input of shape (N, C, D, H, W) or (C, D, H, W).

    avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
    divisor_override=None). stride defaults to kernel_size; padding is zero and counts in the divisor
    when count_include_pad (except where a ceil-mode window hangs past it); divisor_override, if given,
    replaces every window's divisor.

    Shape: D_out = floor((D + 2 * padding[0] - kernel_size[0]) / stride[0]) + 1 (ceil with ceil_mode),
    likewise H_out and W_out.
    """
    input, = autocast_cast("float32", input)
    fn = "avg_pool3d"
    _check_window_argument(fn, "kernel_size", kernel_size, 3, wording="must be")
    _check_window_argument(fn, "stride", stride, 3, wording="must be", may_omit=True)
    _check_window_argument(fn, "padding", padding, 3, wording="must be")
    kernel = _triple(kernel_size)
    stride_given, padding_given = stride, padding  # (as the node shows them: an omitted stride as ())
    stride, padding = _triple(stride, kernel), _triple(padding)
    if input.dim() not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    shape = tuple(input.shape)
    out = _output_sizes(shape, kernel, stride, padding, (1, 1, 1), ceil_mode)
    _pool3d_shape_check(shape, kernel, stride, padding, (1, 1, 1), out, f"{fn}()", check_input_size=True)
    if input.dtype.name not in ("float32", "float64", "int64"):
        raise NotImplementedError(f"\"avg_pool3d_out_frame\" not implemented for '{input.dtype.scalar_name}'")
    return AvgPool.apply(input, spatial=3, kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                         count_include_pad=count_include_pad, divisor_override=divisor_override,
                         shown=_shown(kernel_size, stride_given, padding_given))


# ---------------------------------------------------------------------------- adaptive pooling
@native("adaptive_avg_pool3d", [Param("input", "Tensor"), Param("output_size", "int[]", symbolic=True)],
        list_size=3)
def _adaptive_avg_pool3d_native(input, output_size):
    fn = "adaptive_avg_pool3d"
    if len(output_size) != 3:
        raise RuntimeError(f"{fn}: output_size must be 3")
    if min(output_size) < 0:
        d, h, w = output_size
        raise RuntimeError(f"{fn}: elements of output_size must be greater than or equal to 0 but received "
                           f"{{{d}, {h},{w}}}")
    if tuple(output_size) == (1, 1, 1):
        # PyTorch takes the mean over the last three axes here, with the mean's checks only.
        return _mean_in_input_format(input.mean((-1, -2, -3), keepdim=True), input, _memory_format.channels_last_3d)
    shape = tuple(input.shape)
    for axis in range(1, len(shape)):
        if shape[axis] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {list(shape)} with dimension {axis} being empty")
    if len(shape) not in (4, 5):
        raise RuntimeError(f"{fn}(): Expected 4D or 5D tensor, but got {list(shape)}")
    _check_output_resize(shape[:-3] + tuple(output_size), input)
    _check_float(input, "adaptive_avg_pool3d_cpu")
    # (PyTorch's kernel has no channels-last variant)
    return _memory_format.in_c_order(AdaptiveAvgPool.apply(input, spatial=3, output_size=tuple(output_size)))


def adaptive_avg_pool3d(input, output_size):
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) to a fixed (D_out, H_out, W_out) = output_size.

    output_size is an int or a triple whose None entries keep the input's size. Window i along D spans
    [floor(i * D / D_out), ceil((i + 1) * D / D_out)), likewise along H and W.
    """
    input, = autocast_cast("float32", input)
    return _adaptive_avg_pool3d_native(input, _adaptive_output_size(output_size, input.size(), 3))


@native("adaptive_max_pool3d", [Param("input", "Tensor"), Param("output_size", "int[]")], list_size=3)
def _adaptive_max_pool3d_native(input, output_size):
    fn = "adaptive_max_pool3d"
    shape = tuple(input.shape)
    if len(shape) not in (4, 5):
        raise RuntimeError(f"{fn}(): Expected 4D or 5D tensor, but got: {list(shape)}")
    for axis in range(1, len(shape)):
        if shape[axis] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {list(shape)} with dimension {axis} being empty")
    if len(output_size) != 3:
        raise RuntimeError(f"{fn}(): internal error: output_size.size() must be 3")
    if min(output_size) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(output_size)}: "
                           f"{list(shape[:-3]) + list(output_size)}")
    _check_output_storage(shape[:-3] + tuple(output_size), input)
    _check_float(input, "adaptive_max_pool3d_cpu")
    return _adaptive_max(input, tuple(output_size), 3, True, "AdaptiveMaxPool3DBackward0")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) to a fixed (D_out, H_out, W_out), windows as in
    adaptive_avg_pool3d; with return_indices, also the int64 flat index d * H * W + h * W + w of each maximum."""
    input, = autocast_cast("float32", input)
    out, indices = _adaptive_max_pool3d_native(input, _adaptive_output_size(output_size, input.size(), 3))
    return (out, indices) if return_indices else out


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """adaptive_max_pool3d_with_indices(input, output_size, return_indices=False)

    3-D adaptive max pooling that returns ``(output, indices)``. See :class:`~torchless.nn.AdaptiveMaxPool3d`.

    Shape:
        - Input: (N, C, D_in, H_in, W_in) or (C, D_in, H_in, W_in)
        - Output and indices: (N, C, *output_size) or (C, *output_size)

    Examples::

        >>> out, idx = F.adaptive_max_pool3d_with_indices(torch.randn(1, 2, 5, 6, 7), (2, 3, 4))
        >>> out.shape
        torchless.Size([1, 2, 2, 3, 4])
    """
    return _adaptive_max_pool3d(input, output_size, return_indices=True)


# ---------------------------------------------------------------------------- max unpooling
@native("max_unpool3d", [Param("input", "Tensor"), Param("indices", "Tensor"),
                         Param("output_size", "int[]", symbolic=True),
                         Param("stride", "int[]"), Param("padding", "int[]")], list_size=3)
def _max_unpool3d_native(input, indices, output_size, stride, padding):
    """PyTorch's native max_unpool3d: its checks in order, then the unpooling."""
    if indices._data.dtype != np.int64:
        raise RuntimeError("elements in indices should be type int64")
    if input.dim() not in (4, 5):
        raise RuntimeError(f"Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor with "
                           f"{input.dim()} dimensions.")
    if len(output_size) != 3:
        raise RuntimeError(f"There should be exactly three elements (depth, height, width) in output_size, but got "
                           f"{len(output_size)} elements.")
    for name, values in (("stride", stride), ("padding", padding)):
        if len(values) != 3:
            raise RuntimeError(f"There should be exactly three elements (depth, height, width) in {name}, but got: "
                               f"{len(values)} elements.")
    _check_unpool_shapes(input, indices, "max_unpooling3d_forward_out_cpu()")
    if min(stride) <= 0:
        raise RuntimeError(f"strides should be greater than zero, but got stride: {list(stride)}")
    _check_unpool_indices(input, indices, output_size, "max_unpool3d")
    return save_tensor_versions(MaxUnpool.apply(input, indices=indices._data, output_size=tuple(output_size)),
                                indices)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    r"""The partial inverse of :func:`max_pool3d`: each value goes back to the position its ``indices`` (from
    ``max_pool3d(..., return_indices=True)``) name in its volume, every other position is zero.

    Args:
        input (Tensor): (N, C, D_in, H_in, W_in) or (C, D_in, H_in, W_in).
        indices (Tensor): int64, the input's shape: flat positions d * H_out * W_out + h * W_out + w.
        kernel_size, stride (default: kernel_size), padding: those of the max pooling undone.
        output_size (optional): (D_out, H_out, W_out), or the full output shape, to pick among the sizes
            the pooling maps onto the input's (each must be within ``stride`` of the default).

    Shape: D_out = (D_in - 1) * stride[0] - 2 * padding[0] + kernel_size[0] by default, likewise H_out, W_out.
    """
    kernel_size = _torch_triple(kernel_size)
    stride = _torch_triple(stride) if stride is not None else kernel_size
    padding = _torch_triple(padding)
    output_size = _unpool_output_size(input, kernel_size, stride, padding, output_size)
    if forward_ad.state.vmap_levels:  # (from this line, as from PyTorch's Python wrapper's)
        forward_ad.warn_fallback("aten::max_unpool3d", (input, indices), stacklevel=1)
    return _max_unpool3d_native(input, indices, output_size, stride, padding)


# ---------------------------------------------------------------------------- power-average pooling
def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""3-D power-average pooling: :math:`f(X) = \left(\sum_{x \in X} x^p\right)^{1/p}` over each window.

    p = ``norm_type``; p = inf is max pooling of |x|, p = -inf the min of |x|. Computed as PyTorch does,
    from avg_pool3d of x^p (a negative window sum, possible for odd p, counts as 0).

    Shape: input (N, C, D, H, W) or (C, D, H, W); D_out = floor((D - kernel_size[0]) / stride[0]) + 1
    (ceil with ceil_mode), likewise H_out and W_out; stride defaults to kernel_size.
    """
    kd, kw, kh = _torch_triple(kernel_size)
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool3d, avg_pool3d, lambda: kd * kw * kh)


# PyTorch's private functions, behind its dispatch on return_indices (as in pooling.py).
_max_pool3d, _adaptive_max_pool3d = max_pool3d, adaptive_max_pool3d
max_pool3d = dispatch_on_return_indices(6, max_pool3d_with_indices, _max_pool3d)
adaptive_max_pool3d = dispatch_on_return_indices(2, adaptive_max_pool3d_with_indices, _adaptive_max_pool3d)
