"""Resizing and encoding: interpolate (every mode of PyTorch's), the deprecated upsample wrappers, one_hot.

Every interpolation is separable: along each spatial axis an output pixel reads a few input pixels
(its *taps*) with fixed weights, so a resize is one small gather-and-weigh per axis, and its gradient
the adjoint scatter. The weights are PyTorch's, computed in the same precision (float32 for float16
and float32 input, float64 for float64) so that discrete choices such as nearest's floor agree, and stored
as PyTorch's generic kernel stores them (in half for a float16 input).
"""
import functools
import math
import operator

import numpy as np

from ... import _cpu_features, _memory_format
from ..._kernels import parallel
from ..._kernels.fma import fused_multiply_add32 as _fma32
from ..._kernels.fma import fused_multiply_add64 as _fma64
from ..._ops._util import checked_int64
from ..._tensor import Tensor
from ...autograd import forward_ad
from ...overrides import handle_torch_function, has_torch_function
from ...autograd.graph import Node
from ._args import BOOL_SYMINT, Param, _described_with_items, _is_list_int, _tp_name, native
from ._pool_args import _check_output_storage
from .adaptive_pooling import adaptive_avg_pool1d, adaptive_avg_pool2d
from .pooling3d import adaptive_avg_pool3d
from .sampling_uint8 import resample_uint8, rows_of_unit_stride

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "one_hot"]

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_AXES = {1: "W", 2: "HW", 3: "DHW"}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    if type(input) is not Tensor and has_torch_function((input,)):
        return handle_torch_function(interpolate, (input,), input, size=size, scale_factor=scale_factor, mode=mode,
                                     align_corners=align_corners, recompute_scale_factor=recompute_scale_factor,
                                     antialias=antialias)
    out = _interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias)
    # PyTorch's upsampling kernels lay their output out channels-last for such an input ('area' is an adaptive
    # average pooling, which lays out its own)
    x = getattr(input, "_data", None)
    return _memory_format.keep_channels_last(out, x) if x is not None and x.ndim > 3 and mode != "area" and \
        _memory_format.may_suggest_channels_last(x) else out


def _interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None, antialias=False):
    """Down/up sample a batch, (N, C, W), (N, C, H, W) or (N, C, D, H, W), to ``size`` or by ``scale_factor``.

    Modes: ``'nearest'`` (output i reads input floor(i * scale), scale = in / out or 1 / scale_factor),
    ``'nearest-exact'`` (floor((i + 0.5) * scale), as Pillow and scikit-image), ``'linear'`` (3-D input),
    ``'bilinear'`` (4-D), ``'trilinear'`` (5-D) and ``'bicubic'`` (4-D; cubic convolution with A = -0.75, taps
    clamped at the border), which place output i at the source position (i + 0.5) * scale - 0.5, or at
    i * (in - 1) / (out - 1) with ``align_corners=True``; ``'area'`` (adaptive average pooling to the output
    size); ``'lanczos'`` (4-D, ``antialias=True`` only).

    ``antialias=True`` (4-D bilinear, bicubic and lanczos) widens the filter by the scale when downsampling,
    as Pillow does; bicubic then uses A = -0.5.

    ``recompute_scale_factor=True`` computes the output size from ``scale_factor`` and then interpolates with
    the scale that size implies, in / out, rather than 1 / scale_factor.

    Shape: (N, C, *in) -> (N, C, *out) with out_i = size_i, or floor(in_i * scale_factor_i).
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False

    dim = input.dim() - 2
    # Exactly one of output_size and scale_factors leaves this block non-None, as a list (or tuple).
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    elif size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError("Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {list(input.shape[2:])} and output size of {size}. "
                                 "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                                 "(o1, o2, ...,oK) format.")
            if not all(_is_integer(x) for x in size):
                types = ", ".join("<class 'torchless.Tensor'>" if type(x) is Tensor else repr(type(x)) for x in size)
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or Tuple[int, int, "
                                f"int], but got size with types [{types}]")
            output_size = size
        else:
            output_size = [size for _ in range(dim)]
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError("Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(input.shape[2:])} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = scale_factor
        else:
            scale_factors = [scale_factor for _ in range(dim)]
    else:
        raise ValueError("either size or scale_factor should be defined")

    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    # 'area' pools to an explicit size, which the recompute path computes
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor is not None and recompute_scale_factor:
        # int() truncates, and raises for inf and nan, as PyTorch's sym_int does
        output_size = [int(input.size(i + 2) * scale_factors[i]) for i in range(dim)]
        scale_factors = None

    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                         "tensor as input")

    if mode in ("nearest", "nearest-exact") and dim in (1, 2, 3):
        return _upsample(input, output_size, scale_factors, mode, dim)
    if mode == "area" and dim in (1, 2, 3):
        # PyTorch's parser of adaptive_avg_pool*d refuses a size beyond int64, which the pooling would not see
        output_size = _int64_list(output_size, f"adaptive_avg_pool{dim}d")
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[dim - 1](input, output_size)
    if (dim, mode) in ((1, "linear"), (2, "bilinear"), (3, "trilinear"), (2, "bicubic")):
        return _upsample(input, output_size, scale_factors, mode + ("-aa" if antialias else ""), dim, align_corners)
    if dim == 2 and mode == "lanczos":
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
        return _upsample(input, output_size, scale_factors, "lanczos-aa", dim, align_corners)
    needs = {"linear": 3, "bilinear": 4, "trilinear": 5}.get(mode) if isinstance(mode, str) else None  # ([2]: no key)
    if needs and input.dim() in (3, 4, 5):
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {needs}D input")
    raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the "
                              f"modes: {_MODES} (got {mode})")


def _is_integer(x):
    """PyTorch's test of a size entry: ints (bool included), NumPy integers, tensors of an integer dtype."""
    if isinstance(x, (int, np.integer)):
        return True
    return isinstance(x, Tensor) and not x.is_floating_point()


# ---------------------------------------------------------------------------- the deprecated wrappers
def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """upsample(input, size=None, scale_factor=None, mode='nearest', align_corners=None) -> Tensor

    Deprecated alias of :func:`interpolate` (which also takes ``recompute_scale_factor`` and ``antialias``),
    with a deprecation warning.

    Args:
        input (Tensor): the input, with a batch and a channel dimension
        size (int or tuple, optional): the output spatial size. Default: ``None``
        scale_factor (float or tuple, optional): the multiplier of the spatial size. Default: ``None``
        mode (str, optional): ``'nearest'``, ``'linear'``, ``'bilinear'``, ``'bicubic'``, ``'trilinear'``,
            ``'area'`` or ``'nearest-exact'``. Default: ``'nearest'``
        align_corners (bool, optional): for the linear modes, align the corner pixels' centres. Default: ``None``

    Shape:
        - Input: (N, C, W_in), (N, C, H_in, W_in) or (N, C, D_in, H_in, W_in)
        - Output: (N, C, W_out), (N, C, H_out, W_out) or (N, C, D_out, H_out, W_out), each size
          ``size`` if given, else floor(X_in * scale_factor)

    Examples::

        >>> F.upsample(torch.tensor([[[1.0, 2.0]]]), scale_factor=2)
        tensor([[[1., 1., 2., 2.]]])
    """
    _warn_deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """upsample_nearest(input, size=None, scale_factor=None) -> Tensor

    Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``, with a deprecation warning.

    Args:
        input (Tensor): the input, with a batch and a channel dimension
        size (int or tuple, optional): the output spatial size. Default: ``None``
        scale_factor (int, optional): the multiplier of the spatial size. Default: ``None``

    Shape:
        - Input: (N, C, W_in), (N, C, H_in, W_in) or (N, C, D_in, H_in, W_in)
        - Output: (N, C, W_out), (N, C, H_out, W_out) or (N, C, D_out, H_out, W_out), each size
          ``size`` if given, else floor(X_in * scale_factor)

    Examples::

        >>> F.upsample_nearest(torch.tensor([[[1.0, 2.0]]]), size=4)
        tensor([[[1., 1., 2., 2.]]])
    """
    _warn_deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """upsample_bilinear(input, size=None, scale_factor=None) -> Tensor

    Deprecated: ``interpolate(input, size, scale_factor, mode='bilinear', align_corners=True)``, with a
    deprecation warning.

    Args:
        input (Tensor): the 4-D input
        size (int or pair, optional): the output size (H_out, W_out). Default: ``None``
        scale_factor (int or pair, optional): the multiplier of the spatial size. Default: ``None``

    Shape:
        - Input: (N, C, H_in, W_in)
        - Output: (N, C, H_out, W_out), each size ``size`` if given, else floor(X_in * scale_factor)

    Examples::

        >>> F.upsample_bilinear(torch.tensor([[[[0.0, 3.0]]]]), size=(1, 4))
        tensor([[[[0., 1., 2., 3.]]]])
    """
    _warn_deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def _warn_deprecated(name):
    import warnings

    # stacklevel 3: the warning names the caller of the wrapper, as PyTorch's stacklevel=2 does for its own
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=3)


# ---------------------------------------------------------------------------- the native upsample functions
# kind -> (PyTorch's function name, grad_fn name), "{}" standing for the number of spatial dims
_KINDS = {
    "nearest": ("upsample_nearest{}d", "UpsampleNearest{}DBackward0"),
    "nearest-exact": ("_upsample_nearest_exact{}d", "UpsampleNearestExact{}DBackward0"),
    "linear": ("upsample_linear1d", "UpsampleLinear1DBackward0"),
    "bilinear": ("upsample_bilinear2d", "UpsampleBilinear2DBackward0"),
    "trilinear": ("upsample_trilinear3d", "UpsampleTrilinear3DBackward0"),
    "bicubic": ("upsample_bicubic2d", "UpsampleBicubic2DBackward0"),
    "bilinear-aa": ("_upsample_bilinear2d_aa", "UpsampleBilinear2DAaBackward0"),
    "bicubic-aa": ("_upsample_bicubic2d_aa", "UpsampleBicubic2DAaBackward0"),
    "lanczos-aa": ("_upsample_lanczos2d_aa", "UpsampleLanczos2DAaBackward0"),
}


def _channels_last_kernel(input, output_size, dim, kind):
    """Whether PyTorch's 2-D or 3-D nearest, bilinear or trilinear resampling runs its channels-last kernel rather
    than its generic one: for a channels-last contiguous input of more than 3 channels, in 2-D for any output of
    H + W <= 128, and in bilinear 2-D for a 3-channel image run on one thread (faster there, its benchmarks
    found)."""
    if dim == 1:
        return False
    format_ = _memory_format.channels_last if dim == 2 else _memory_format.channels_last_3d
    if input.shape[1] > 3 and _memory_format.is_contiguous(input._data, format_):
        return True
    if dim == 2 and kind == "bilinear" and input.shape[1] == 3 and parallel.get_num_threads() == 1:
        return True
    return dim == 2 and output_size[0] + output_size[1] <= 128


def _kernel_dtype_name(kind, dim, channels_last_kernel):
    """The name of the AT_DISPATCH that refuses an unsupported dtype."""
    if kind.endswith("-aa"):
        return "compute_index_ranges_weights"
    if kind == "bicubic":
        return "compute_indices_weights_cubic"
    if channels_last_kernel:
        return f"upsample_{'nearest' if kind.startswith('nearest') else kind}{dim}d_channels_last"
    return "compute_indices_weights_nearest" if kind.startswith("nearest") else "compute_indices_weights_linear"


# The dtypes the upsample kernels take: antialiasing ones, linear (and trilinear) ones, the others
_FLOAT_DTYPES = tuple(np.dtype(name) for name in ("float16", "float32", "float64"))
_AA_DTYPES = _FLOAT_DTYPES[1:] + (np.dtype(np.uint8),)
_NEAREST_DTYPES = _FLOAT_DTYPES + (np.dtype(np.uint8),)


def _upsample(input, output_size, scale_factors, kind, dim, align_corners=None):
    """PyTorch's upsample_* kernels: argument parsing, output size, checks, then the resampling itself."""
    fn, grad_name = (pattern.format(dim) for pattern in _KINDS[kind])
    output_size, scale_factors = _parse_native(fn, dim, input, output_size, scale_factors, align_corners,
                                               has_align=kind not in ("nearest", "nearest-exact"))
    in_sizes = input._data.shape[2:]  # (the array's: Size's indexing costs more than a small resampling's taps)
    if output_size is None:
        output_size = [checked_int64(n * s) for n, s in zip(in_sizes, scale_factors)]
    if min(in_sizes) <= 0 or min(output_size) <= 0:
        got_in = ", ".join(f"{a}: {n}" for a, n in zip(_AXES[dim], in_sizes))
        got_out = ", ".join(f"{a}: {n}" for a, n in zip(_AXES[dim], output_size))
        joint = " and output" if dim == 1 else " output"
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({got_in}){joint} "
                           f"({got_out})")
    if input._data.size == 0 and math.prod(input._data.shape[1:]) == 0:
        raise RuntimeError(f"Non-empty {input.dim()}D data tensor expected but got a tensor with sizes "
                           f"{list(input.shape)}")
    _check_output_storage(input._data.shape[:2] + tuple(output_size), input)
    dtype = input._data.dtype
    if kind.endswith("-aa"):
        allowed = _AA_DTYPES
    elif kind in ("linear", "trilinear"):
        allowed = _FLOAT_DTYPES
    else:
        allowed = _NEAREST_DTYPES
    channels_last_kernel = _channels_last_kernel(input, output_size, dim, kind)
    # the antialiasing kernel copies an input whose size does not change, before its dtype dispatch; its
    # backward, for floating types only, does not
    unresized_aa = kind.endswith("-aa") and list(in_sizes) == list(output_size)
    backward_error = None
    if unresized_aa and dtype not in _FLOAT_DTYPES[1:]:
        backward_error = f"\"{fn.lstrip('_')}_backward_cpu\" not implemented for '{input.dtype.scalar_name}'"
    elif dtype not in allowed and (dtype.kind != "V" or kind.endswith("-aa")):  # (bfloat16's kind is V)
        raise NotImplementedError(f"\"{_kernel_dtype_name(kind, dim, channels_last_kernel)}\" not implemented for "
                                  f"'{input.dtype.scalar_name}'")
    scales = [None] * dim if scale_factors is None else list(scale_factors)
    if dtype == np.uint8 and kind not in ("nearest", "nearest-exact") and not unresized_aa:
        # (bilinear, bicubic and lanczos: the others refuse uint8 above; an integer tensor records no gradient)
        return Tensor._wrap(resample_uint8(input._data, output_size, scales, align_corners, kind.removesuffix("-aa"),
                                           antialias=kind.endswith("-aa")))
    shown = tuple(output_size), tuple(None if scale is None else float(scale) for scale in scales), align_corners
    compute = np.float64 if dtype == np.float64 else np.float32
    if kind in ("nearest", "nearest-exact"):
        # the channels-last kernel computes source indices in float32 whatever the dtype, with copies or halvings
        # of the index when out is in or 2 * in (nearest); the generic one in the opmath type, with no shortcut
        exact = kind == "nearest-exact"
        maps = [_nearest_taps(n, out, s, exact, np.float32 if channels_last_kernel else compute,
                              shortcuts=channels_last_kernel and not exact, rounded=not channels_last_kernel)
                for n, out, s in zip(in_sizes, output_size, scales)]
        # every backward computes as the channels-last kernel: a gradient can differ from the forward's adjoint,
        # as PyTorch's does
        adjoints = maps if channels_last_kernel else [_nearest_taps(n, out, s, exact, np.float32, shortcuts=not exact)
                                                      for n, out, s in zip(in_sizes, output_size, scales)]
    elif kind.endswith("-aa"):
        filter_kind = kind[:-3]
        adjoints = [_antialias_taps(n, out, align_corners, s, filter_kind, compute)
                    for n, out, s in zip(in_sizes, output_size, scales)]
        # the forward kernel skips an axis whose size does not change, even when the scale_factor is not 1;
        # its backward does not
        maps = [None if n == out else taps for n, out, taps in zip(in_sizes, output_size, adjoints)]
        if output_size[1] == 1 and maps[0] is not None and rows_of_unit_stride(input._data):
            # PyTorch's vertical pass into an output of width 1 whose rows' stride is 1 gives every row the weights
            # of row 0 (a channels-last output of several channels is spared, and so is the backward)
            rows, first_row = maps[0], [0] * output_size[0]
            maps[0] = _Taps(rows.index[first_row], rows.weight[first_row], rows.size,
                             None if rows.unfused is None else rows.unfused[first_row], count=rows.count[first_row])
        if backward_error is not None:
            return Resample.apply(input, maps=maps, adjoints=adjoints, name=grad_name, backward_error=backward_error,
                                  shown=shown)
    else:
        weights = _cubic_taps if kind == "bicubic" else _linear_taps
        maps = adjoints = [weights(n, out, align_corners, s, compute)
                           for n, out, s in zip(in_sizes, output_size, scales)]
        # Along an axis whose size does not change, PyTorch's linear kernels still interpolate, between a pixel
        # and itself with weights 1 and 0: the 0 * inf makes every output reading an infinite input NaN (and
        # every input an infinite gradient reaches).
        infinite_to_nan = None in maps
        if kind == "bilinear" and dtype != np.float16 and channels_last_kernel and _cpu_features.has("AVX2"):
            joint = _ChannelsLastBilinear.of(*(_linear_pair_taps(n, out, align_corners, s, compute)
                                               for n, out, s in zip(in_sizes, output_size, scales)))
            return Resample.apply(input, maps=maps, adjoints=adjoints, name=grad_name, shown=shown, joint=joint,
                                  infinite_to_nan=infinite_to_nan)
        reduced = dtype.kind == "V" or dtype == np.float16  # (half or bfloat16)
        if dtype in (np.float32, np.float64) or (reduced and kind != "bilinear"):
            # (a half or bfloat16 input's generic kernel computes in float, compiled as for float32; its 2-D
            # bilinear one not)
            maps = [None if taps is None else _Taps(taps.index, taps.weight, taps.size, fused_sum=True)
                    for taps in maps]
        if reduced and kind != "bilinear":
            maps = [_half_weighted(taps, dtype) for taps in maps]
        if kind == "bicubic" and list(in_sizes) == list(output_size):
            adjoints = [None, None]  # PyTorch's bicubic backward copies when no size changes; its forward does not
        return Resample.apply(input, maps=maps, adjoints=adjoints, name=grad_name, infinite_to_nan=infinite_to_nan,
                              shown=shown)
    return Resample.apply(input, maps=maps, adjoints=adjoints, name=grad_name, shown=shown)


def _parse_native(fn, dim, input, output_size, scale_factors, align_corners, has_align):
    """PyTorch's argument parser on (input, output_size, [align_corners,] scale_factors): its TypeErrors, and
    the two lists converted (ints, floats)."""
    size_ok = output_size is None or (isinstance(output_size, (list, tuple)) and (
        not output_size or _is_list_int(output_size[0])))
    scales_ok = scale_factors is None or (isinstance(scale_factors, (list, tuple)) and (
        not scale_factors or _is_float(scale_factors[0]) or isinstance(scale_factors[0], complex)))
    align_ok = not has_align or type(align_corners) is bool
    if not (size_ok and scales_ok and align_ok):
        args = [input, output_size] + ([align_corners] if has_align else []) + [scale_factors]
        raise TypeError(_invalid_combination(fn, dim, args, has_align))
    # PyTorch converts the arguments right to left
    if scale_factors is not None:
        converted = []
        for pos, value in enumerate(scale_factors, start=1):
            if not (_is_float(value) or (isinstance(value, Tensor) and value.dim() == 0)):
                raise TypeError(f"{fn}(): argument 'scale_factors' must be tuple of floats, but found element of "
                                f"type {_tp_name(value)} at pos {pos}")
            converted.append(float(value))
        scale_factors = converted
    if output_size is not None:
        converted = []
        for pos, value in enumerate(output_size, start=1):
            if not (_is_list_int(value) or isinstance(value, bool)):
                raise TypeError(f"{fn}(): argument 'output_size' failed to unpack the object at pos {pos} with error "
                                f"\"type must be tuple of ints,but got {_tp_name(value)}\"")
            if isinstance(value, Tensor) and value._data.dtype == np.bool_:  # (a SymInt list's)
                raise RuntimeError(BOOL_SYMINT)
            converted.append(operator.index(value))
        output_size = _int64_list(converted, fn)
    return output_size, scale_factors


def _int64_list(values, fn):
    """``values``, or PyTorch's TypeError for one that int64 cannot hold (without the C++ stack it appends).
    Values of other types are left to the caller's parser."""
    for pos, value in enumerate(values, start=1):
        if isinstance(value, (int, np.integer)) and not -2 ** 63 <= value < 2 ** 63:
            raise TypeError(f"{fn}(): argument 'output_size' failed to unpack the object at pos {pos} with error "
                            "\"Overflow when unpacking long long\"")
    return values


def _is_float(value):
    """What PyTorch's parser unpacks as a float list's entry: Python ints and floats (bool too) and any NumPy
    number, a NumPy bool or complex one too (read through ``__float__``); its check of the first entry also takes
    a Python complex, whose unpacking then fails."""
    return isinstance(value, (int, float, np.number, np.bool_))


def _invalid_combination(fn, dim, args, has_align):
    """PyTorch's "received an invalid combination of arguments" for an upsample function, its two overloads."""
    def marked(value, ok):
        return _described_with_items(value) if ok else f"!{_described_with_items(value)}!"

    # PyTorch's message never finds the optional lists valid, whatever they hold
    marks = ["Tensor", marked(args[1], False)] + ([marked(args[2], type(args[2]) is bool)] if has_align else [])
    marks.append(marked(args[-1], False))
    align = "bool align_corners, " if has_align else ""
    per_axis = ", ".join(f"float scales{'_' + a.lower() if dim > 1 else ''} = None" for a in _AXES[dim])
    return (f"{fn}() received an invalid combination of arguments - got ({', '.join(_tp_name(a) for a in args)}), "
            f"but expected one of:\n"
            f" * (Tensor input, tuple of ints output_size, {align}tuple of floats scale_factors)\n"
            f"      didn't match because some of the arguments have invalid types: ({', '.join(marks)})\n"
            f" * (Tensor input, tuple of ints output_size, {align}{per_axis}, *, Tensor out = None)\n")


# ---------------------------------------------------------------------------- per-axis taps
class _Taps:
    """One axis of a separable resampling: output i = sum_k weight[i, k] * input[index[i, k]].

    ``weight`` None means a single tap of weight 1 (nearest). Each tap's indices never decrease with i,
    which lets the adjoint add up runs of equal indices with reduceat instead of a scatter. ``count``: how many
    of its taps each output reads (None: all), the others never touched (not even weighed 0: an infinite
    pixel there would make a NaN).
    """

    def __init__(self, index, weight, size, unfused=None, fused_sum=False, count=None):
        self.index, self.weight, self.size, self.count = index, weight, size, count
        # None: the taps added up as products rounded then summed; else, per output, how many of the taps after
        # the first are so added before the others go through fused multiply-adds (float32 only; see apply)
        self.unfused = unfused
        # the taps summed as PyTorch's generic kernel compiles ``t0 * w0 + t1 * w1 + ...``: the second product
        # rounded, the first fused into their sum, each later one fused into the running sum (float32 and float64)
        self.fused_sum = fused_sum

    def apply(self, x, axis):
        if self.weight is None:
            return np.take(x, self.index[:, 0], axis=axis)
        shape = [1] * x.ndim
        shape[axis] = -1
        if self.fused_sum and x.dtype in (np.float32, np.float64):
            fma = _fma32 if x.dtype == np.float32 else _fma64

            def tap(k):
                return np.take(x, self.index[:, k], axis=axis), self.weight[:, k].reshape(shape)

            out = fma(*tap(0), np.multiply(*tap(1)))
            for k in range(2, self.index.shape[1]):
                out = fma(*tap(k), out)
            return out
        fused = self.unfused is not None and x.dtype == np.float32
        out = None
        for k in range(self.index.shape[1]):  # a few taps (hundreds at most when antialiasing a big reduction)
            pixels, weight = np.take(x, self.index[:, k], axis=axis), self.weight[:, k].reshape(shape)
            reading = self._reading(k, shape)
            if out is None:
                out = pixels * weight
            elif fused:
                summed = np.where((k <= self.unfused).reshape(shape), out + pixels * weight,
                                  _fma32(pixels, weight, out))
                out = summed if reading is None else np.where(reading, summed, out)
            elif reading is None:
                out = np.add(out, pixels * weight, out=out)
            else:
                out = np.where(reading, out + pixels * weight, out)
        return out

    def _reading(self, k, shape):
        """None if every output reads tap ``k``, else where they do (broadcastable along the axis by ``shape``)."""
        if self.count is None or k < self.count.min():
            return None
        return (k < self.count).reshape(shape)

    def adjoint(self, grad, axis):
        shape = list(grad.shape)
        shape[axis] = self.size
        out = np.zeros(shape, grad.dtype)
        weight_shape = [1] * grad.ndim
        weight_shape[axis] = -1
        for k in range(self.index.shape[1]):
            index = self.index[:, k]
            part = grad if self.weight is None else grad * self.weight[:, k].reshape(weight_shape)
            reading = self._reading(k, weight_shape)
            if reading is not None:  # (a tap an output never reads gets nothing from it)
                part = np.where(reading, part, part.dtype.type(0))
            starts = np.flatnonzero(np.concatenate(([True], index[1:] != index[:-1])))
            sums = np.add.reduceat(part, starts, axis=axis)
            where = [slice(None)] * grad.ndim
            where[axis] = index[starts]  # distinct, since the indices never decrease
            out[tuple(where)] += sums
        return out


def _area_pixel_scale(size, out, align_corners, scale, dtype):
    """PyTorch's area_pixel_compute_scale in ``dtype``: input pixels per output pixel."""
    if align_corners:
        return dtype(size - 1) / dtype(out - 1) if out > 1 else dtype(0)
    if scale is not None and scale > 0:
        return dtype(1.0 / scale)
    return dtype(size) / dtype(out)


def _source_index(scale, out, align_corners, cubic, dtype):
    """PyTorch's area_pixel_compute_source_index for every output pixel: where it falls in the input."""
    i = np.arange(out).astype(dtype)
    if align_corners:
        return scale * i
    if dtype == np.float32:
        # PyTorch's compiled kernel fuses this multiply-add (one rounding); float64 holds the float32 product
        # exactly, so one cast back reproduces it
        source = ((i.astype(np.float64) + 0.5) * np.float64(scale) - 0.5).astype(np.float32)
    else:  # (fused in float64 too: a source index just past a pixel stays past it, as a weight of 1e-17 shows)
        source = _fma64(scale, i + dtype(0.5), dtype(-0.5))
    # linear modes clamp at the first pixel (OpenCV's convention); cubic extrapolates then clamps its taps
    return source if cubic else np.maximum(source, dtype(0))


def _guard_index_and_lambda(source, size):
    """The pixel at or left of ``source`` (floorf: in float32) and the fraction past it, in [0, 1]."""
    first = np.minimum(np.floor(source.astype(np.float32)).astype(np.intp), size - 1)
    fraction = np.clip(source - first.astype(source.dtype), 0, 1).astype(source.dtype)
    return first, fraction


@functools.lru_cache(maxsize=256)
def _nearest_taps(size, out, scale, exact, dtype, shortcuts=False, rounded=False):
    """Output i reads input floor(i * scale) (nearest) or floor((i + 0.5) * scale) (nearest-exact, which the
    1-D and 3-D forwards compute as round-half-up of (i + 0.5) * scale - 0.5: ``rounded``). Kept per axis (a model
    resamples the same shapes at every call), read-only."""
    if shortcuts and out == size:  # the 2-D kernel copies, or halves the index, with no arithmetic
        return _read_only_taps(np.arange(out)[:, None], size)
    if shortcuts and out == 2 * size:
        return _read_only_taps((np.arange(out) >> 1)[:, None], size)
    scale = _area_pixel_scale(size, out, False, scale, dtype)
    i = np.arange(out)
    if exact and rounded:
        # floor(source + 0.5) of the linear modes' source index; the C++ fuses its multiply-add, which
        # float64 reproduces for float32 (the product is exact there)
        if dtype == np.float32:
            source = ((i + 0.5) * np.float64(scale) - 0.5).astype(np.float32)
        else:
            source = scale * (i + 0.5) - 0.5
        source = np.maximum(source, dtype(0)) + dtype(0.5)
    else:
        source = (i.astype(dtype) + dtype(0.5)) * scale if exact else i.astype(dtype) * scale
    index = np.minimum(np.floor(source.astype(np.float32)).astype(np.intp), size - 1)
    return _read_only_taps(index[:, None], size)


def _read_only_taps(index, size):
    index.flags.writeable = False
    return _Taps(index, None, size)


def _linear_taps(size, out, align_corners, scale, dtype):
    if out == size:  # PyTorch copies whatever the scale_factor
        return None
    return _linear_pair_taps(size, out, align_corners, scale, dtype)


@functools.lru_cache(maxsize=256)
def _linear_pair_taps(size, out, align_corners, scale, dtype):
    """PyTorch's compute_source_index_and_lambda for every output pixel: the two input pixels it reads and their
    weights (an unchanged size reads each pixel with weights 1 and 0). Kept per axis (a model resamples the same
    shapes at every call), read-only."""
    if out == size:
        index = np.arange(out)
        index, weight = np.stack([index, index], 1), np.tile(np.array([1, 0], dtype), (out, 1))
    else:
        scale = _area_pixel_scale(size, out, align_corners, scale, dtype)
        first, fraction = _guard_index_and_lambda(_source_index(scale, out, align_corners, False, dtype), size)
        index, weight = np.stack([first, first + (first < size - 1)], 1), np.stack([1 - fraction, fraction], 1)
    index.flags.writeable = weight.flags.writeable = False
    return _Taps(index, weight, size)


class _ChannelsLastBilinear:
    """PyTorch's channels-last 2-D bilinear kernel on float32 or float64 (as compiled for AVX2, with fused
    multiply-adds), which is not separable: each output pixel weighs its four corners by products of the two axes'
    lambdas, and the channels are summed in whole vectors (8 floats, 4 doubles) as
    ``i00 w00 + (i01 w01 + (i10 w10 + i11 w11))``, the remaining ones in its scalar loop's order
    ``((i00 w00 + i01 w01) + i10 w10) + i11 w11``."""

    @staticmethod
    @functools.lru_cache(maxsize=256)
    def of(rows, columns):
        """The kernel of two axes' taps, kept for them (themselves kept per shape by _linear_pair_taps)."""
        return _ChannelsLastBilinear(rows, columns)

    def __init__(self, rows, columns):
        self.rows, self.columns = rows, columns
        # the four corners' offsets in a row-major (height * width) plane, so that one take gathers them all
        self.offsets = np.stack([rows.index[:, i][:, None] * columns.size + columns.index[:, j][None, :]
                                 for i in (0, 1) for j in (0, 1)])
        self.weights = [rows.weight[:, i][:, None] * columns.weight[:, j][None, :] for i in (0, 1) for j in (0, 1)]

    def apply(self, x):
        channels = x.shape[-3]
        vectorised = channels - channels % (32 // x.itemsize)  # (a 256-bit vector's lanes)
        fma = _fma32 if x.dtype == np.float32 else _fma64
        parts = [self._summed(part, order, fma) for part, order in (
            (x[..., :vectorised, :, :], self._vector_sum), (x[..., vectorised:, :, :], self._scalar_sum))
            if part.shape[-3]]  # (3 channels, say, have no whole vector: no passes over nothing)
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-3)

    def _summed(self, x, order, fma):
        planes = x.reshape(x.shape[:-2] + (x.shape[-2] * x.shape[-1],))
        gathered = np.take(planes, self.offsets, axis=-1)
        return order(fma, *((gathered[..., k, :, :], weight) for k, weight in enumerate(self.weights)))

    @staticmethod
    def _vector_sum(fma, c00, c01, c10, c11):
        return fma(*c00, fma(*c01, fma(*c11, np.multiply(*c10))))

    @staticmethod
    def _scalar_sum(fma, c00, c01, c10, c11):
        return fma(*c11, fma(*c10, fma(*c00, np.multiply(*c01))))


def _half_weighted(taps, dtype=np.float16):
    """Taps (None: none) whose weights are rounded to ``dtype`` (half or bfloat16), as PyTorch's generic upsampling
    kernel stores them for an input of that dtype (its 2-D bilinear kernel keeps float ones): a linear pair as
    lambda and 1 - lambda, that difference rounded to ``dtype`` (exact in float32)."""
    if taps is None:
        return None
    weight = taps.weight.astype(dtype)
    if weight.shape[1] == 2:
        weight[:, 0] = (np.float32(1) - weight[:, 1].astype(np.float32)).astype(dtype)
    return _Taps(taps.index, weight.astype(np.float32), taps.size, taps.unfused, taps.fused_sum)


def _cubic_convolution1(x, a):
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _cubic_convolution2(x, a):
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def _fma_of(x):
    return _fma32 if x.dtype == np.float32 else _fma64


def _cubic_convolution1_contracted(x, a):
    """``_cubic_convolution1`` as PyTorch's AVX2 build computes the upsampling weights: the first multiply-add
    fused, the final "+ 1" not (measured; the antialiasing filter's fuses that one too)."""
    return _fma_of(x)(a + 2, x, -(a + 3)) * x * x + 1


def _cubic_convolution2_contracted(x, a):
    """``_cubic_convolution2`` likewise: its first two multiply-adds fused, the final "- 4a" not."""
    fma = _fma_of(x)
    return fma(fma(a, x, -5 * a), x, 8 * a) * x - 4 * a


def _cubic_taps(size, out, align_corners, scale, dtype):
    scale = _area_pixel_scale(size, out, align_corners, scale, dtype)
    first, t = _guard_index_and_lambda(_source_index(scale, out, align_corners, True, dtype), size)
    a = dtype(-0.75)
    near, far = _cubic_convolution1, _cubic_convolution2
    if dtype in (np.float32, np.float64) and _cpu_features.has("AVX2"):
        near, far = _cubic_convolution1_contracted, _cubic_convolution2_contracted
    weights = np.stack([far(t + 1, a), near(t, a), near(1 - t, a), far((1 - t) + 1, a)], 1)
    index = np.clip(first[:, None] + np.arange(-1, 3), 0, size - 1)  # border pixels repeat
    return _Taps(index, weights.astype(dtype), size)


def _triangle(x):
    x = np.abs(x)
    return np.where(x < 1, 1 - x, 0).astype(x.dtype)


def _keys_cubic(x):
    """Pillow's bicubic filter (cubic convolution with A = -0.5), which antialiased bicubic uses."""
    x, a = np.abs(x), x.dtype.type(-0.5)
    if x.dtype == np.float32 and _cpu_features.has("AVX2"):
        # PyTorch's AVX2 build contracts the polynomials' "* x + c" steps into fused multiply-adds
        near = _fma32(_fma32(a + 2, x, -(a + 3)) * x, x, 1)
        far = _fma32(_fma32(_fma32(a, x, -5 * a), x, 8 * a), x, -4 * a)
    else:
        near, far = _cubic_convolution1(x, a), _cubic_convolution2(x, a)
    return np.where(x < 1, near, np.where(x < 2, far, 0)).astype(x.dtype)


def _lanczos3(x):
    """Pillow's Lanczos filter: sinc(x) sinc(x / 3) on [-3, 3)."""
    xd = x.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.sinc(xd) * np.sinc(xd / 3)
    return np.where((xd >= -3) & (xd < 3), value, 0).astype(x.dtype)


_FILTERS = {"bilinear": (_triangle, 2), "bicubic": (_keys_cubic, 4), "lanczos": (_lanczos3, 6)}


def _antialias_taps(size, out, align_corners, scale, kind, dtype):
    """PyTorch's antialiased weights (after Pillow): when downsampling, the filter stretched by the scale
    covers every input pixel of the output's footprint; the weights of each output are normalised to sum 1."""
    filter_fn, interp_size = _FILTERS[kind]
    scale = _area_pixel_scale(size, out, align_corners, scale, dtype)
    support = dtype(interp_size * 0.5 * scale) if scale >= 1 else dtype(interp_size * 0.5)
    taps = int(math.ceil(support)) * 2 + 1
    center = (scale * (np.arange(out) + 0.5)).astype(dtype)
    inverse = dtype(1.0 / scale) if scale >= 1 else dtype(1.0)
    # the C++ adds 0.5 (a double) to float differences: the sums below are rounded as there
    first = np.maximum(np.trunc((center - support).astype(np.float64) + 0.5), 0).astype(np.intp)
    last = np.trunc((center + support).astype(np.float64) + 0.5).astype(np.intp)
    count = np.clip(np.minimum(last, size) - first, 0, taps)
    k = np.arange(taps)
    offset = (k[None, :] + first[:, None]).astype(dtype) - center[:, None]
    distance = ((offset.astype(np.float64) + 0.5) * np.float64(inverse)).astype(dtype)
    weights = np.where(k[None, :] < count[:, None], filter_fn(distance), dtype(0))
    total = np.zeros((out, 1), weights.dtype)
    for j in range(taps):  # added up tap by tap as the C++ loop does (NumPy's sum is pairwise from 8 terms)
        total += weights[:, j:j + 1]
    weights = np.where(total != 0, weights / np.where(total != 0, total, 1), weights).astype(dtype)
    index = np.minimum(first[:, None] + k[None, :], size - 1)
    if not _cpu_features.has("AVX2"):
        return _Taps(index, weights, size, count=count)
    # PyTorch's AVX2 build compiles the loop "t += src[j] * w[j]" over the taps after the first into blocks of 4
    # products added in order, then fused multiply-adds for the rest (as measured against torch 2.13)
    return _Taps(index, weights, size, unfused=np.maximum(count - 1, 0) // 4 * 4, count=count)


def _upsample_saved(dim, align_corners):
    """What PyTorch's upsampling node of ``dim`` spatial dims saves: the input's sizes, the output size, the
    scales (None where a size was asked for) [and align_corners]."""
    axes = ("",) if dim == 1 else ("_d", "_h", "_w")[3 - dim:]
    specs = {"self_sym_sizes": lambda node: node.input_shape, "output_size": lambda node: node.shown[0]}
    specs.update({f"scales{axis}": (lambda node, i=i: node.shown[1][i]) for i, axis in enumerate(axes)})
    if align_corners:
        specs["align_corners"] = lambda node: node.shown[2]
    return specs


_UPSAMPLE_NODES = {**{f"UpsampleNearest{dim}DBackward0": (dim, False) for dim in (1, 2, 3)},
                   **{f"UpsampleNearestExact{dim}DBackward0": (dim, False) for dim in (1, 2, 3)},
                   "UpsampleLinear1DBackward0": (1, True), "UpsampleBilinear2DBackward0": (2, True),
                   "UpsampleTrilinear3DBackward0": (3, True), "UpsampleBicubic2DBackward0": (2, True),
                   "UpsampleBilinear2DAaBackward0": (2, True), "UpsampleBicubic2DAaBackward0": (2, True)}


# The backward kernels that allocate the input's gradient in the format the output's gradient suggests (the
# others, bicubic and 3-D nearest ones, C-contiguous)
_GRAD_OUTPUT_FORMAT_NODES = frozenset({"UpsampleNearest2DBackward0", "UpsampleNearestExact2DBackward0",
                                       "UpsampleBilinear2DBackward0", "UpsampleBilinear2DAaBackward0",
                                       "UpsampleTrilinear3DBackward0"})


class Resample(Node):
    """A separable resampling: ``maps[d]`` along spatial axis d (None leaves the axis alone), the last axis
    first; backward applies the adjoints of ``adjoints`` (the same maps unless PyTorch's backward differs).
    ``shown``: (output size, scales, align_corners) of the call, which PyTorch's node shows (grad_fn._saved_*)."""

    torch_saved = {name: _upsample_saved(*node) for name, node in _UPSAMPLE_NODES.items()}
    bfloat16_in_float32 = True  # (PyTorch computes it in float32 for bfloat16, see _opmath)
    # PyTorch's backward is one upsample_*_backward op of the gradient alone (UpsampleNearest2DBackwardBackward0)
    backward_is_one_op, backward_inputs = True, ()

    def forward(self, x, maps=None, adjoints=None, name=None, infinite_to_nan=False, backward_error=None, shown=None,
                joint=None):
        # joint: a kernel that resamples all the axes at once, in place of the maps (which then give the adjoints)
        self.input_shape, self.shown, self.maps, self.joint = x.shape, shown, maps, joint
        self.adjoints, self._name = adjoints if adjoints is not None else maps, name
        self.backward_error = backward_error  # PyTorch's backward kernel refusing the dtype
        self.infinite_to_nan = infinite_to_nan  # (its backward adds the gradient times 0 too)
        out = x.astype(np.float32) if x.dtype == np.float16 else x  # half computes in float, as opmath
        # an infinite pixel weighed 0 gives NaN, a sum beyond the dtype's range inf: silently, as in PyTorch
        with np.errstate(invalid="ignore", over="ignore"):
            return _resampled(_infinities_as_nan(out) if infinite_to_nan else out, maps, x, joint)

    def backward(self, grad):
        if self.backward_error is not None:
            raise NotImplementedError(self.backward_error)
        out = grad.astype(np.float32) if grad.dtype == np.float16 else grad
        if self.infinite_to_nan:
            out = _infinities_as_nan(out)
        first = grad.ndim - len(self.adjoints)
        for axis, taps in enumerate(self.adjoints):
            if taps is not None:
                out = taps.adjoint(out, first + axis)
        out = _c_contiguous(out, grad)
        if self._name in _GRAD_OUTPUT_FORMAT_NODES and _memory_format.may_suggest_channels_last(grad):
            out = _memory_format.in_format_of(out, grad)
        return (out,)

    def backward_graph(self, grad):
        if self.backward_error is not None:
            raise NotImplementedError(self.backward_error)
        return (ResampleGradient.apply(grad, resample=self),)

    def name(self):
        return self._name


def _infinities_as_nan(values):
    """``values`` with NaN for its infinities: what a pixel (or gradient) weighed 1 and again 0 gives."""
    return np.where(np.isinf(values), values.dtype.type(np.nan), values) if np.isinf(values).any() else values


def _resampled(out, maps, x, joint=None):
    """``out`` (``x``, or its float32 copy) resampled by ``maps``, the last axis first (or by the ``joint`` kernel),
    in ``x``'s dtype."""
    if joint is not None:
        return np.ascontiguousarray(joint.apply(out), dtype=x.dtype)
    first = out.ndim - len(maps)
    for axis in reversed(range(len(maps))):
        if maps[axis] is not None:
            out = maps[axis].apply(out, first + axis)
    return _c_contiguous(out, x)


def _c_contiguous(out, x):
    """``out``, resampled from ``x``, as a new C-contiguous array of x's dtype, an empty one C-strided too (NumPy
    gives those all-zero strides, PyTorch allocates them contiguous)."""
    out = np.ascontiguousarray(out, dtype=x.dtype) if out is not x else out.copy()
    return out if out.size else _memory_format.with_c_strides(out)


class ResampleGradient(Node):
    """A Resample's gradient as an op of the graph (create_graph=True): PyTorch's upsample_*_backward, whose own
    derivative is the forward resampling, by the forward's maps (which the backward's adjoints differ from when
    antialiasing). Named after it by the Resample node (UpsampleBicubic2DAaBackwardBackward0)."""

    def forward(self, grad, resample=None):
        self.resample = resample
        return resample.backward(grad)[0]

    def backward(self, grad):
        resample = self.resample
        return (_resampled(grad.astype(np.float32) if grad.dtype == np.float16 else grad, resample.maps, grad,
                           resample.joint),)

    def backward_graph(self, grad):
        resample = self.resample
        return (Resample.apply(grad, maps=resample.maps, adjoints=resample.adjoints, name=resample.name(),
                               shown=resample.shown, joint=resample.joint),)


# ---------------------------------------------------------------------------- one_hot
@native("one_hot", [Param("input", "Tensor"), Param("num_classes", "int", "-1", -1)], list_size=1)
def one_hot(input, num_classes=-1):
    """one_hot(input, num_classes=-1) -> LongTensor

    Returns the one-hot encoding of the class indices ``input``: a new last dimension of size ``num_classes`` that is
    1 at each index and 0 elsewhere.

    Args:
        input (LongTensor): class indices, in [0, num_classes - 1]
        num_classes (int, optional): the number of classes; -1 infers it as ``input.max() + 1``. Default: ``-1``

    Shape:
        - Input: (*), int64
        - Output: (*, num_classes), int64

    Examples::

        >>> F.one_hot(torch.tensor([0, 2, 1]))
        tensor([[1, 0, 0],
                [0, 0, 1],
                [0, 1, 0]])
        >>> F.one_hot(torch.tensor([[0], [1]]), num_classes=4).shape
        torchless.Size([2, 1, 4])
    """
    if input.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    mapped = forward_ad.state.vmap_levels and forward_ad.batched(input)
    if mapped and input.numel():  # (a grad transform inside vmap runs PyTorch's one_hot, reading min().item())
        forward_ad.refuse_read_through_transform(input)
    if mapped and num_classes <= 0:  # (PyTorch's batched tensor cannot read its values to count the classes)
        raise RuntimeError("When vmap-ing torch.nn.functional.one_hot, please provide an explicit positive "
                           "num_classes argument.")
    values = input._data
    if num_classes == -1 or (not values.size and num_classes <= 0):
        if not values.size:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(values.max()) + 1
    if values.size and values.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if values.size and values.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    try:
        hot = (values[..., None] == np.arange(num_classes)).astype(np.int64)
    except (ValueError, MemoryError):  # (more classes than memory holds: PyTorch's allocation error)
        from ..._creation._common import allocation_error

        raise allocation_error(values.shape + (num_classes,), np.int64) from None
    result = Tensor._wrap(_memory_format.c_ordered(hot))
    if mapped:  # (batched, the batch where the indices have it, as embedding's)
        forward_ad.mark_batch_rank(forward_ad.mark_batched(result, (input,)), input.__dict__.get("_vmap_rank", 0))
    return result


interpolate.__doc__ = _interpolate.__doc__
