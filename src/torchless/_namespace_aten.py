"""ATen's own entry points for CNN work in the ``torch`` namespace (``torchless.convolution``,
``torchless.native_batch_norm``, ``torchless.grid_sampler``, ``torchless.rnn_tanh_cell``, ...).

These are the native functions that ``torch.nn.functional`` and the modules end in, called directly: each takes
its arguments as PyTorch's argument parser reads them for the native schema (positions, keyword names, int lists,
the parser's TypeErrors), checks what the native kernel checks first, and then calls the torchless function
doing the work. Where the native function returns more than the F one (native_batch_norm's saved mean and
inverse standard deviation, native_dropout's mask), the extra outputs are computed here, without autograd as in
PyTorch unless PyTorch's are differentiable. nn.functional is imported on the first call, keeping ``import
torchless`` fast.
"""
import math
import warnings

import numpy as np

from . import _memory_format, _parser_errors
from .autograd.graph import autocast_cast

_ENTRY_POINTS = []


def _functional():
    from .nn import functional

    return functional


def _torch():
    import torchless

    return torchless


def _native(*overloads, name=None, shown=None):
    """The decorated function as the entry point ``name`` (by default the function's) of PyTorch's parser for
    ``overloads``: see _parser_errors.native_entry."""
    def wrap(impl):
        entry = _parser_errors.native_entry(name or impl.__name__, overloads, impl, shown)
        _ENTRY_POINTS.append(entry)
        return entry

    return wrap


def _warn_deprecated_once(name, replacement, line):
    """PyTorch's TORCH_WARN_ONCE for the ops kept only for TorchScript (once per process per op)."""
    if name in _deprecation_warned:
        return
    _deprecation_warned.add(name)
    warnings.warn(f"at::{name} is deprecated and it is just left for JIT compatibility. It will be removed in a future "
                  f"PyTorch release. Please use `{replacement}` instead (Triggered internally at "
                  f"/__w/pytorch/pytorch/aten/src/ATen/native/LinearAlgebra.cpp:{line}.)", UserWarning, stacklevel=3)


_deprecation_warned = set()


# ---------------------------------------------------------------------------- convolution
def _convolve(*args):
    from .nn._functional.conv import native_convolution

    return native_convolution(*args)


_CONVOLUTION = ("Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] dilation, "
                "bool transposed, int[] output_padding, int groups")


@_native(_CONVOLUTION)
def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """N-d convolution (or transposed convolution) with the dims given by ``weight``: 3-D weight, conv1d; 4-D,
    conv2d; 5-D, conv3d. Each of ``stride``, ``padding``, ``dilation`` and ``output_padding`` is a list of one
    value per spatial dim, or of a single value for all."""
    return _convolve(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups)


@_native(_CONVOLUTION + ", bool benchmark, bool deterministic, bool cudnn_enabled",
         _CONVOLUTION + ", bool benchmark, bool deterministic, bool cudnn_enabled, bool allow_tf32")
def _convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups, benchmark,
                 deterministic, cudnn_enabled, allow_tf32=None, overload=0):
    """:func:`convolution` with the backend flags, which have no effect on CPU."""
    return _convolve(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups)


@_native("Tensor input, Tensor weight, Tensor? bias, int[] stride, str padding, int[] dilation, int groups")
def _convolution_mode(input, weight, bias, stride, padding, dilation, groups):
    """:func:`convolution` with ``padding`` ``'valid'`` or ``'same'``."""
    return _convolve(input, weight, bias, stride, padding, dilation, False, [0], groups)


@_native("Tensor input, Tensor weight, Tensor bias, int pad=0")
def conv_tbc(input, weight, bias, pad=0):
    """1-D convolution of a time-batch-channel ``input`` (T, B, C_in) with a ``weight`` (K, C_in, C_out) and a
    ``bias`` (C_out), ``pad`` steps of zeros added at both ends of time (negative: steps cut); returns
    (T + 2 * pad - K + 1, B, C_out)."""
    input, weight, bias = autocast_cast("lower", input, weight, bias)
    if input.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, out_channels.")
    if bias.dim() != 1:
        raise RuntimeError("Bias must be 1-D")
    steps, batch, _ = input.shape
    kernel, channels, out_channels = weight.shape
    if input.shape[2] != channels:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if bias.shape[0] != out_channels:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    out_steps = steps + 2 * pad - kernel + 1
    if out_steps < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {out_steps}: "
                           f"[{out_steps}, {batch}, {out_channels}]")
    if input.dtype != weight.dtype:  # (the kernel is a matrix product per kernel tap)
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {input.dtype.scalar_name} and "
                           f"{weight.dtype.scalar_name}")
    from .nn._functional.conv_tbc import ConvTbc

    return ConvTbc.apply(input, weight, bias, pad=pad)


@_native("Tensor input, int[] pad, Number value=0")
def constant_pad_nd(input, pad, value=0):
    """``input`` padded with ``value``: ``pad`` (before, after) pairs for the last dims, last dim first; negative
    widths cut."""
    if len(pad) % 2:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    if len(pad) > 2 * input.dim():
        # (PyTorch's message lacks the two spaces)
        raise RuntimeError(f"Length of pad should be no more than twice the number of dimensions of the input. Pad "
                           f"length is {len(pad)}while the input has {input.dim()}dimensions.")
    if not any(p > 0 for p in pad):
        value = None  # (a crop reads no value)
    elif not input.is_complex():
        # the Scalar converted to the input's dtype here, where F's float would lose an int's (uint8 takes -1)
        from ._dtype import fill_value

        value = fill_value(value.item() if hasattr(value, "item") else value, input._data.dtype)
    return _functional().pad(input, pad, "constant", value)


# ---------------------------------------------------------------------------- normalization
def _statistics(x, axes, eps, dtype=None, keepdims=False):
    """The mean and 1 / sqrt(biased variance + eps) of the array ``x`` over ``axes``, computed in the accumulation
    dtype (float32 for half) and given as tensors of ``dtype`` (by default that one), outside autograd."""
    from .nn._functional._moments import centred_rows

    compute = np.promote_types(x.dtype, np.float32)
    axes = tuple(np.atleast_1d(axes) % max(x.ndim, 1))
    kept = tuple(1 if axis in axes else n for axis, n in enumerate(x.shape)) if keepdims else \
        tuple(n for axis, n in enumerate(x.shape) if axis not in axes)
    rows = np.moveaxis(x.astype(compute, copy=False), axes, tuple(range(-len(axes), 0)))
    count = int(np.prod([x.shape[axis] for axis in axes]))  # (explicit: an empty array reshapes no -1)
    mean, _, var = centred_rows(rows.reshape(rows.shape[:rows.ndim - len(axes)] + (count,)))
    mean, var = mean.reshape(kept), var.reshape(kept)
    if count == 0:  # PyTorch's Welford mean of no values is its starting 0 (the variance 0 / 0, NaN)
        mean = np.zeros_like(mean)
    with np.errstate(divide="ignore", invalid="ignore"):  # (a zero variance with eps 0: inf, silently, as PyTorch)
        rstd = 1 / np.sqrt(var + compute.type(eps))
    dtype = dtype or compute  # (C-ordered whatever the input's layout, as PyTorch allocates them, empty ones too)
    return tuple(_wrap(_memory_format.with_c_strides(np.ascontiguousarray(values, dtype))) for values in (mean, rstd))


def _channel_statistics(input, eps):
    """The per-channel batch mean and inverse standard deviation of (N, C, *) ``input`` (float32 for half)."""
    x = input._data
    mean, invstd = _statistics(x, (0,) + tuple(range(2, x.ndim)), eps)
    if not eps:  # ATen's InvStd: with eps 0, a zero variance has 1 / std 0 (the output its bias), not inf
        invstd._data[np.isinf(invstd._data)] = 0
    return mean, invstd


def _wrap(array):
    from ._tensor import Tensor

    return Tensor._wrap(array)


def _no_statistics(input):
    dtype = np.promote_types(input._data.dtype, np.float32)
    return _wrap(np.empty(0, dtype)), _wrap(np.empty(0, dtype))


def _batch_norm_with_statistics(input, weight, bias, running_mean, running_var, training, momentum, eps):
    from .nn._functional import normalization

    if training and input.numel() == 0:  # (torch.batch_norm's answer for it is not the native function's)
        raise RuntimeError(f"input tensor must have at least one element, but got input_sizes = {list(input.shape)}")
    input.size(1)  # (the native function reads the channels first)
    out = normalization.native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)
    # (the statistics are the input's: the running ones, updated above, do not enter them)
    return (out,) + (_channel_statistics(input, eps) if training else _no_statistics(input))


_BATCH_NORM = ("Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, "
               "bool training, float momentum, float eps")


@_native(_BATCH_NORM)
def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """Batch normalization returning ``(output, save_mean, save_invstd)``: in training, the batch's per-channel
    mean and 1 / sqrt(var + eps) (the running statistics, if given, updated in place); out of it, two empty
    tensors."""
    return _batch_norm_with_statistics(input, weight, bias, running_mean, running_var, training, momentum, eps)


@_native(_BATCH_NORM.replace("Tensor? running", "Tensor running") + ", *, TensorList? out=None",
         "Tensor input, Tensor? weight, Tensor? bias, bool training, float momentum, float eps, *, "
         "TensorList? out=None")  # (an out tuple is not taken: the parser here checks no list of tensors)
def _native_batch_norm_legit(input, weight, bias, training, momentum, eps, running_mean=None, running_var=None,
                             overload=0):
    """:func:`native_batch_norm` with running statistics required, or (the second overload) none."""
    return _batch_norm_with_statistics(input, weight, bias, running_mean, running_var, training, momentum, eps)


@_native("Tensor input, Tensor? weight, Tensor? bias, Tensor running_mean, Tensor running_var, float momentum, "
         "float eps")
def _native_batch_norm_legit_no_training(input, weight, bias, running_mean, running_var, momentum, eps):
    """:func:`native_batch_norm` out of training (normalized by the running statistics)."""
    return _batch_norm_with_statistics(input, weight, bias, running_mean, running_var, False, momentum, eps)


@_native(_BATCH_NORM + ", bool cudnn_enabled")
def _batch_norm_impl_index(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    """:func:`native_batch_norm`'s three tensors, then the (empty, uint8) reserve of a cuDNN kernel and the index
    of the kernel used (0: the native one)."""
    out = _batch_norm_with_statistics(input, weight, bias, running_mean, running_var, training, momentum, eps)
    return out + (_wrap(np.empty(0, np.uint8)), 0)


@_native("Tensor input, Tensor? running_mean, Tensor? running_var, float momentum")
def batch_norm_update_stats(input, running_mean, running_var, momentum):
    """The per-channel batch mean and biased variance of (N, C, *) ``input``, the running statistics (if given)
    updated in place with them as batch_norm's training does (the variance unbiased)."""
    x = input._data
    axes = (0,) + tuple(range(2, x.ndim))
    compute = np.promote_types(x.dtype, np.float32)
    mean, var = x.mean(axes, dtype=compute), x.var(axes, dtype=compute)
    count = x.size // max(x.shape[1], 1)
    for running, value in ((running_mean, mean), (running_var, var * count / max(count - 1, 1))):
        if running is not None:
            running._data *= 1 - momentum
            running._data += (momentum * value).astype(running._data.dtype)
    return _wrap(mean.astype(x.dtype)), _wrap(var.astype(x.dtype))


@_native("Tensor input, int[] normalized_shape, Tensor? weight, Tensor? bias, float eps")
def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """Layer normalization returning ``(output, mean, rstd)``, the statistics of each normalized slice (size 1
    along the normalized dims, in the input's dtype, without autograd)."""
    from .nn._functional import layer_norm

    out = _functional().layer_norm(input, normalized_shape, weight, bias, eps)
    x = input._data
    mean, rstd = _statistics(x, tuple(range(x.ndim - len(normalized_shape), x.ndim)), eps, x.dtype, True)
    if x.dtype in (np.float32, np.float64) and x.size:  # (C-ordered statistics: their reshapes are views)
        layer_norm.renormalize_statistics(x.reshape(mean.numel(), -1), mean._data.reshape(-1, 1),
                                          rstd._data.reshape(-1, 1), eps)
    return out, mean, rstd


@_native("Tensor input, Tensor? weight, Tensor? bias, int N, int C, int HxW, int group, float eps")
def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """Group normalization of ``input`` (N, C, *) with ``HxW`` elements per channel, returning ``(output, mean,
    rstd)``, each group's statistics (N, group), all three outputs of one node (differentiable, as in PyTorch)."""
    from .nn._functional import group_norm

    if input.numel() != N * C * HxW:
        raise RuntimeError("Expected X.numel() == N * C * HxW to be true, but got false.  (Could this error message "
                           "be improved?  If so, please report an enhancement request to PyTorch.)")
    group_norm._check_group_norm_inputs(input, weight, bias, C, group)  # (showing the input's own shape)
    channels_last = None
    if tuple(input.shape[:2]) == (N, C):  # (the input itself: its layout, channels last say, is kept)
        out = group_norm.native_group_norm(input, group, weight, bias, eps)
        if _memory_format.suggested_channels_last(input._data) is not None:
            channels_last = input._data
    else:
        out = group_norm.native_group_norm(input.reshape(N, C, HxW), group, weight, bias, eps).reshape(input.shape)
    per_group = C // group * HxW  # (explicit: an empty batch reshapes no -1)
    rows = input._data.reshape(N, group, per_group)
    mean, rstd = _statistics(rows, -1, eps, rows.dtype)
    if rows.dtype in (np.float32, np.float64):
        group_norm.renormalize_statistics(rows, mean._data[..., None], rstd._data[..., None], eps, channels_last)
    return group_norm.with_statistics(out, input, mean, rstd)


@_native("Tensor input, int[] normalized_shape, Tensor? weight, float? eps")
def _fused_rms_norm(input, normalized_shape, weight, eps):
    """RMS normalization returning ``(output, rstd)``, rstd = 1 / sqrt(mean(x^2) + eps) over the normalized dims
    (size 1 along them; float32 for a half input; eps None: the machine epsilon of that dtype)."""
    out = _functional().rms_norm(input, normalized_shape, weight, eps)
    x = input._data
    compute = np.promote_types(x.dtype, np.float32)
    eps = np.finfo(compute).eps if eps is None else eps
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    squares = np.square(x, dtype=compute).mean(axes, keepdims=True)
    return out, _wrap((1 / np.sqrt(squares + compute.type(eps))).astype(compute))


# ---------------------------------------------------------------------------- dropout
@_native("Tensor input, float p, bool? train")
def native_dropout(input, p, train):
    """Dropout returning ``(output, mask)``, the bool mask of the elements kept. Out of training (``train`` False;
    None means training) the output is a copy of ``input`` and the mask all True."""
    from .nn._functional import dropout

    if input.numel() == 0:
        return input, _torch().empty_like(input)
    if train is False:
        return input.clone(), _torch().ones_like(input, dtype=_torch().bool)
    if not 0 <= 1 - p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={1 - p:g}")
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(f"result type Float can't be cast to the desired output type {input.dtype.scalar_name}")
    keep = dropout._keep_mask(input._data.shape, p, input._data)
    mask = _wrap(keep.astype(bool))
    scale = 0.0 if p == 1 else 1 / (1 - p)
    return input * mask * scale, mask


# ---------------------------------------------------------------------------- grid sampling
_INTERPOLATION_MODES = ("bilinear", "nearest", "bicubic")
_PADDING_MODES = ("zeros", "border", "reflection")


def _grid_sample(input, grid, interpolation_mode, padding_mode, align_corners):
    return _functional().grid_sample(input, grid, _INTERPOLATION_MODES[interpolation_mode],
                                     _PADDING_MODES[padding_mode], align_corners)


_GRID_SAMPLER = "Tensor input, Tensor grid, int interpolation_mode, int padding_mode, bool align_corners"


@_native(_GRID_SAMPLER)
def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """``grid_sample`` with its modes as ints: interpolation 0 bilinear, 1 nearest, 2 bicubic; padding 0 zeros, 1
    border, 2 reflection."""
    return _grid_sample(input, grid, interpolation_mode, padding_mode, align_corners)


def _grid_sampler_nd(name, dims):
    @_native(_GRID_SAMPLER, name=name)
    def fn(input, grid, interpolation_mode, padding_mode, align_corners):
        if input.dim() != dims + 2 or grid.dim() != dims + 2:
            from .nn._functional import grid as grid_functions

            grid_functions._check_grid_sampler(input, grid, "bilinear")  # (the checks made before the rank's)
            raise RuntimeError(f"grid_sampler(): expected {dims + 2}D input and grid with same number of dimensions, "
                               f"but got input with sizes {list(input.shape)} and grid with sizes "
                               f"{list(grid.shape)}")
        return _grid_sample(input, grid, interpolation_mode, padding_mode, align_corners)

    fn.__doc__ = f":func:`grid_sampler` for {dims + 2}-D inputs only."
    return fn


grid_sampler_2d, grid_sampler_3d = _grid_sampler_nd("grid_sampler_2d", 2), _grid_sampler_nd("grid_sampler_3d", 3)
_grid_sampler_2d_cpu_fallback = _grid_sampler_nd("_grid_sampler_2d_cpu_fallback", 2)


@_native("Tensor theta, int[] size, bool align_corners")
def affine_grid_generator(theta, size, align_corners):
    """The sampling grid of the affine transforms ``theta`` (N, 2, 3) or (N, 3, 4) for an output ``size`` (N, C,
    H, W) or (N, C, D, H, W)."""
    from .nn._functional import grid

    if len(size) not in (4, 5):
        raise RuntimeError("AffineGridGenerator needs 4d (spatial) or 5d (volumetric) inputs.")
    spatial, points = size[2:], math.prod(size[2:])
    theta.transpose(1, 2)  # (PyTorch's product with the base grid: theta's rank is checked here)
    if theta.shape[0] != size[0] or theta.shape[2] != len(spatial) + 1:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, "
                           f"{len(spatial) + 1}] but got: [{theta.shape[0]}, {theta.shape[2]}].")
    if theta.shape[1] != len(spatial):
        raise RuntimeError(f"shape '{[size[0], *spatial, len(spatial)]}' is invalid for input of size "
                           f"{size[0] * points * theta.shape[1]}")
    if points == 0:
        return theta.new_zeros([size[0], *spatial, len(spatial)])
    return grid.AffineGridGenerator.apply(theta, spatial=tuple(spatial), align_corners=align_corners)


# ---------------------------------------------------------------------------- embedding
@_native("Tensor input, Tensor indices, float max_norm, float norm_type")
def embedding_renorm_(input, indices, max_norm, norm_type):
    """Scale in place the rows of ``input`` picked by ``indices`` whose ``norm_type``-norm exceeds ``max_norm``
    down to ``max_norm``; returns ``input``."""
    from .autograd import grad_mode
    from .nn._functional import embedding

    if input.requires_grad and input.is_leaf and grad_mode.is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    embedding._renorm_(input, indices, max_norm, norm_type)
    return input


# ---------------------------------------------------------------------------- matrix norms
@_native("Tensor input, int[1] dim, bool keepdim=False, *, Tensor? out=None")
def frobenius_norm(input, dim, keepdim=False):
    """The 2-norm of ``input`` over ``dim`` (at most two dims; none: all). Deprecated in PyTorch."""
    _warn_deprecated_once("frobenius_norm", "linalg.vector_norm(A, 2., dim, keepdim)", 3175)
    if len(dim) > 2:
        raise RuntimeError(f"Expected at most 2 dimensions, but got {len(dim)} dimensions instead.")
    if not (input.is_floating_point() or input.is_complex()):
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{input.dtype.scalar_name} instead.")
    return _torch().linalg.vector_norm(input, 2, dim, keepdim)


@_native("Tensor input, int[2] dim, bool keepdim=False, *, Tensor? out=None",
         "Tensor input, bool keepdim=False, *, Tensor? out=None")
def nuclear_norm(input, keepdim=False, dim=(-2, -1), overload=0):
    """The sum of the singular values of the matrices over ``dim`` (the last two). Deprecated in PyTorch."""
    _warn_deprecated_once("nuclear_norm", "linalg.matrix_norm(A, 'nuc', dim, keepdim)", 3229)
    return _torch().linalg.matrix_norm(input, "nuc", tuple(dim), keepdim)


# ---------------------------------------------------------------------------- recurrent cells
def _check_cell_weights(w_ih, w_hh, gates):
    """ATen's check of the weights' first dims: ``gates`` rows of w_hh's width (the hidden size) each."""
    hidden_size = w_hh.size(1)
    for label, weight in (("weight_ih", w_ih), ("weight_hh", w_hh)):
        if weight.size(0) != gates * hidden_size:
            raise RuntimeError(f"{label} first dim must be {gates} * hidden_size = {gates * hidden_size}, but got "
                               f"{weight.size(0)}")


def _check_cell_input(input, w_ih):
    """ATen's check_rnn_cell_forward_input."""
    if input.size(1) != w_ih.size(1):
        raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected {w_ih.size(1)}")


def _check_cell_states(input, states, w_hh):
    """ATen's check_rnn_cell_forward_hidden, for each state (hidden0, hidden1)."""
    for label, hidden in enumerate(states):
        if input.size(0) != hidden.size(0):
            raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{label} batch size "
                               f"{hidden.size(0)}")
        if hidden.size(1) != w_hh.size(1):
            raise RuntimeError(f"hidden{label} has inconsistent hidden_size: got {hidden.size(1)}, expected "
                               f"{w_hh.size(1)}")


_CELL = "Tensor input, Tensor hx, Tensor w_ih, Tensor w_hh, Tensor? b_ih=None, Tensor? b_hh=None"


def _simple_cell(name, step):
    @_native(_CELL, name=name)
    def fn(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
        if step == "gru_step":  # (the GRU cell checks its weights last, the others first)
            _check_cell_input(input, w_ih)
            _check_cell_states(input, (hx,), w_hh)
            _check_cell_weights(w_ih, w_hh, 3)
        else:
            _check_cell_weights(w_ih, w_hh, 1)
            _check_cell_input(input, w_ih)
            _check_cell_states(input, (hx,), w_hh)
        from .nn._functional import linear, recurrent_steps

        return getattr(recurrent_steps, step)(linear.linear(input, w_ih, b_ih), hx, w_hh, b_hh)

    return fn


rnn_tanh_cell = _simple_cell("rnn_tanh_cell", "rnn_tanh_step")
rnn_tanh_cell.__doc__ = "One Elman RNN step: tanh(input W_ih^T + b_ih + hx W_hh^T + b_hh)."
rnn_relu_cell = _simple_cell("rnn_relu_cell", "rnn_relu_step")
rnn_relu_cell.__doc__ = "One Elman RNN step: relu(input W_ih^T + b_ih + hx W_hh^T + b_hh)."
gru_cell = _simple_cell("gru_cell", "gru_step")
gru_cell.__doc__ = "One GRU step (gates r, z, n in ``w_ih``'s and ``w_hh``'s rows)."


def _hidden_pair(hx):
    """lstm_cell's ``hx`` checked as PyTorch's parser checks a Tensor[]: a list or tuple of tensors."""
    from ._parser_errors import check_tensor_list

    check_tensor_list("lstm_cell", hx, "hx", 2)
    return tuple(hx)


def lstm_cell(*args, **kwargs):
    """One LSTM step from ``hx`` = (h, c): returns (h', c') (gates i, f, g, o in ``w_ih``'s and ``w_hh``'s rows)."""
    args, hx = list(args), None
    if len(args) > 6:
        _parser_errors.parse("lstm_cell", (_CELL,), tuple(args), kwargs)  # (raises: too many)
    if len(args) > 1:  # (the parser's schema below reads a stand-in tensor for the list)
        hx, args[1] = _hidden_pair(args[1]), args[0]
    elif "hx" in kwargs:
        hx, kwargs = _hidden_pair(kwargs["hx"]), {**kwargs, "hx": args[0] if args else kwargs.get("input")}
    arguments = _parser_errors.parse("lstm_cell", (_CELL,), tuple(args), kwargs)
    if len(hx) != 2:
        raise RuntimeError("lstm_cell expects two hidden states")
    h, c = hx
    input, w_ih, w_hh = arguments["input"], arguments["w_ih"], arguments["w_hh"]
    _check_cell_input(input, w_ih)
    _check_cell_weights(w_ih, w_hh, 4)
    _check_cell_states(input, hx, w_hh)
    from .nn._functional import linear, recurrent_steps

    return recurrent_steps.lstm_step(linear.linear(input, w_ih, arguments["b_ih"]), h, c, w_hh, arguments["b_hh"])


_ENTRY_POINTS.append(lstm_cell)


# ---------------------------------------------------------------------------- multi-layer recurrences
# ATen's lstm / gru / rnn_tanh / rnn_relu: an input form (batch_first last) and a packed one (data, batch_sizes), as
# nn.modules.rnn.native_overloads gives them.


def _recurrent_module(name, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """The nn module running ``name``'s recurrence with ``params`` (its own initial weights are not used: built
    outside the default generator's stream)."""
    from .nn.modules import rnn

    per_layer = len(params) // (num_layers * (2 if bidirectional else 1))
    projection = params[per_layer - 1] if per_layer > 2 + 2 * has_biases else None
    hidden_size = params[1].size(1) if projection is None else projection.size(1)
    options = dict(num_layers=num_layers, bias=has_biases, batch_first=batch_first, dropout=dropout,
                   bidirectional=bidirectional, dtype=params[0].dtype)
    if name == "lstm":
        options["proj_size"] = 0 if projection is None else projection.size(0)
    elif name != "gru":
        options["nonlinearity"] = name[len("rnn_"):]
    module_type = {"lstm": rnn.LSTM, "gru": rnn.GRU}.get(name, rnn.RNN)
    state = _torch().get_rng_state()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the module's one-layer dropout warning is not the native function's)
        module = module_type(params[0].size(1), hidden_size, **options)
    _torch().set_rng_state(state)
    return module.train(train)


def _recurrence(name):
    def fn(*args, **kwargs):
        from . import func
        from .nn.modules.rnn import native_overloads
        from .nn.utils import rnn

        form, bound = _parser_errors.parse_overload(name, native_overloads(name), args, kwargs)
        packed = form == 0  # (the packed form is listed first)
        module = _recurrent_module(name, bound["params"], bound["has_biases"], bound["num_layers"], bound["dropout"],
                                   bound["train"], bound["bidirectional"], bound.get("batch_first", False))
        weights = dict(zip(module._flat_weights_names, bound["params"]))
        input = rnn.PackedSequence(bound["data"], bound["batch_sizes"]) if packed else bound["input"]
        hx = tuple(bound["hx"]) if name == "lstm" else bound["hx"]
        output, state = func.functional_call(module, weights, (input, hx))
        output = output.data if packed else output
        return (output,) + tuple(state) if name == "lstm" else (output, state)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"The multi-layer {name} recurrence of ``input`` (or of the packed ``data``, ``batch_sizes``) from "
                  "``hx`` with the flat weight list ``params``; returns the output and the final state"
                  f"{' (h, c)' * (name == 'lstm')}.")
    _ENTRY_POINTS.append(fn)
    return fn


lstm, gru, rnn_tanh, rnn_relu = (_recurrence(name) for name in ("lstm", "gru", "rnn_tanh", "rnn_relu"))


# ---------------------------------------------------------------------------- softmax, activations, pooling
def _softmax_entry(name):
    @_native("Tensor input, int dim, bool half_to_float, *, Tensor? out=None", name=name)
    def fn(input, dim, half_to_float):
        if half_to_float:
            raise RuntimeError("softmax with half to float conversion is not supported on CPU")
        _refuse_integer_softmax(input, name)
        return getattr(_functional(), name.lstrip("_"))(input, dim)

    fn.__doc__ = f"``{name.lstrip('_')}`` over ``dim`` (``half_to_float``, a CUDA option, must be False)."
    return fn


def _refuse_integer_softmax(input, name="_softmax"):
    if not (input.is_floating_point() or input.is_complex()):
        kernel = f"{name.lstrip('_')}_kernel_impl"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{input.dtype.scalar_name}\'')


_softmax, _log_softmax = _softmax_entry("_softmax"), _softmax_entry("_log_softmax")


@_native("Tensor input, int dim, dtype? dtype=None")
def _safe_softmax(input, dim, dtype=None):
    """softmax over ``dim`` giving 0 (not NaN) along the slices that are all -inf (fully masked attention rows)."""
    if dtype is None:
        _refuse_integer_softmax(input)
    out = _functional().softmax(input, dim, dtype=dtype)
    masked = (input == float("-inf")).all(dim, keepdim=True)
    return out.masked_fill(masked, 0)


def _softmax_backward(name, formula):
    @_native("Tensor grad_output, Tensor output, int dim, dtype input_dtype", name=name)
    def fn(grad_output, output, dim, input_dtype):
        if output.dtype != grad_output.dtype:
            raise RuntimeError(f"expected scalar type {grad_output.dtype.scalar_name} but found "
                               f"{output.dtype.scalar_name}")
        if input_dtype.itemsize == 2 and input_dtype.is_floating_point and grad_output.dtype.itemsize == 4:
            # (the half-to-float kernel's gradient, a CUDA one, is refused)
            raise RuntimeError(f"expected scalar type Float but found {input_dtype.scalar_name}")
        if grad_output.dtype.name == "float16":  # (PyTorch's kernel computes half in float)
            return formula(grad_output.float(), output.float(), dim).half()
        return formula(grad_output, output, dim)

    fn.__doc__ = f"The gradient of ``{name[1:-len('_backward_data')]}`` over ``dim`` from its ``output``."
    return fn


_softmax_backward_data = _softmax_backward(
    "_softmax_backward_data", lambda grad, output, dim: output * (grad - (grad * output).sum(dim, keepdim=True)))
_log_softmax_backward_data = _softmax_backward(
    "_log_softmax_backward_data", lambda grad, output, dim: grad - output.exp() * grad.sum(dim, keepdim=True))


def _adaptive_avg_pool(name, dims):
    @_native(f"Tensor input, int[{dims}] output_size", name=name)
    def fn(input, output_size):
        if dims == 3:  # (F's form, Python in PyTorch, reads the input's size for None entries first)
            from .nn._functional import pooling3d

            return pooling3d._adaptive_avg_pool3d_native(input, output_size)
        # the kernel's checks, which F's form (at::adaptive_avg_pool2d, a mean for a 1 x 1 output) skips
        if len(output_size) != 2:
            raise RuntimeError("adaptive_avg_pool2d: output_size must be 2")
        if input.dim() not in (3, 4):
            raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
        if not (input.is_floating_point() or input.is_complex()):
            raise NotImplementedError(f"\"adaptive_avg_pool2d\" not implemented for '{input.dtype.scalar_name}'")
        return _functional().adaptive_avg_pool2d(input, output_size)

    fn.__doc__ = f"``adaptive_avg_pool{dims}d`` (its native form: ``output_size`` ints only, no None)."
    return fn


_adaptive_avg_pool2d, _adaptive_avg_pool3d = _adaptive_avg_pool("_adaptive_avg_pool2d", 2), \
    _adaptive_avg_pool("_adaptive_avg_pool3d", 3)


@_native("Tensor input, Tensor other, *, Number alpha=1, Tensor? out=None",
         "Tensor input, Number other, Number alpha=1")
def _add_relu(input, other, alpha=1, overload=0):
    """relu(input + alpha * other), fused in PyTorch."""
    return _torch().add(input, other, alpha=_fused_alpha(input, other, alpha)).relu()


@_native("Tensor input, Tensor other, *, Number alpha=1", "Tensor input, Number other, Number alpha=1")
def _add_relu_(input, other, alpha=1, overload=0):
    """In-place :func:`_add_relu`."""
    return input.add_(other, alpha=_fused_alpha(input, other, alpha)).relu_()


def _fused_alpha(input, other, alpha):
    """``alpha`` as the fused kernel takes it, in the computation's dtype (a float truncated for integers), which
    must be one of the kernel's: float32, float64 or a signed integer."""
    from ._dtype import CPP_SCALAR_NAMES

    dtype = _torch().result_type(input, other)
    if dtype.name not in ("float32", "float64", "int8", "int16", "int32", "int64"):
        name = CPP_SCALAR_NAMES.get(dtype.name, f"c10::{dtype.scalar_name}")
        raise RuntimeError('false INTERNAL ASSERT FAILED at "/__w/pytorch/pytorch/aten/src/ATen/native/BinaryOps.cpp'
                           f'":835, please report a bug to PyTorch. Unsupported datatype for add_relu:{name}')
    return int(alpha) if not dtype.is_floating_point and isinstance(alpha, float) else alpha


@_native("Tensor input, Tensor weight")
def _prelu_kernel(input, weight):
    """``input`` where it is positive, ``weight * input`` elsewhere, ``weight`` broadcast against ``input``."""
    if weight.dtype != input.dtype:
        raise RuntimeError(f"Found dtype {weight.dtype.scalar_name} but expected {input.dtype.scalar_name}")
    if not input.is_floating_point():
        raise NotImplementedError(f"\"prelu_cpu\" not implemented for '{input.dtype.scalar_name}'")
    return _torch().where(input > 0, input, input * weight)


@_native("Tensor v, Tensor g, int dim=0")
def _weight_norm_interface(v, g, dim=0):
    """The weight ``v * (g / norm_except_dim(v, 2, dim))`` and the norms, shaped as ``g``, as ``(w, norms)``; ``dim``
    is the first or the last (the fused kernels')."""
    from .nn.utils import _weight_norm_math

    if dim not in (0, v.dim() - 1):
        raise RuntimeError('dim == 0 || dim == v.dim() - 1 INTERNAL ASSERT FAILED at '
                           '"/__w/pytorch/pytorch/aten/src/ATen/native/cpu/WeightNormKernel.cpp":408, please report a '
                           'bug to PyTorch. fused kernels can only be applied for first or last dim')
    if g.dtype != v.dtype:
        raise RuntimeError(f"expected scalar type {v.dtype.scalar_name} but found {g.dtype.scalar_name}")
    norms = _weight_norm_math.norm_except_dim(v, 2, dim)
    return _weight_norm_math.weight_norm(v, g, dim), norms.detach().reshape(g.shape)  # (norms: no gradient)


@_native("Tensor input, Tensor mat1, Tensor mat2, *, Number beta=1, Number alpha=1, bool use_gelu=False, "
         "Tensor? out=None")
def _addmm_activation(input, mat1, mat2, beta=1, alpha=1, use_gelu=False):
    """relu (or, with ``use_gelu``, gelu) of ``beta * input + alpha * mat1 @ mat2``."""
    out = _torch().addmm(input, mat1, mat2, beta=beta, alpha=alpha)
    return _functional().gelu(out) if use_gelu else out.relu()


# ---------------------------------------------------------------------------- distances and products
@_native("Tensor x1, Tensor x2")
def _euclidean_dist(x1, x2):
    """The Euclidean distances between the rows of ``x1`` (*, P, M) and of ``x2`` (*, R, M) by matrix products
    (cdist's fast form): sqrt(max(|a|^2 - 2 a.b + |b|^2, 1e-30))."""
    torch = _torch()
    x1_norm, x2_norm = x1.pow(2).sum(-1, keepdim=True), x2.pow(2).sum(-1, keepdim=True)
    x1_ = torch.cat([x1.mul(-2), x1_norm, torch.ones_like(x1_norm)], -1)
    x2_ = torch.cat([x2, torch.ones_like(x2_norm), x2_norm], -1)
    return x1_.matmul(x2_.mT).clamp_min(1e-30).sqrt()


@_native("Tensor i1, Tensor i2, Tensor i3, int[] expand1, int[] expand2, int[] expand3, int[] sumdim, "
         "int unroll_dim=1")
def _trilinear(i1, i2, i3, expand1, expand2, expand3, sumdim, unroll_dim=1):
    """sum over ``sumdim`` of i1 * i2 * i3, each unsqueezed at its ``expand`` dims (bilinear's kernel)."""
    expanded = []
    for tensor, dims in ((i1, expand1), (i2, expand2), (i3, expand3)):
        for dim in sorted(dims):
            tensor = tensor.unsqueeze(dim)
        expanded.append(tensor)
    product = expanded[0] * expanded[1] * expanded[2]
    return product.sum(tuple(sumdim)) if sumdim else product


# ---------------------------------------------------------------------------- packed sequences
def _check_lengths(lengths):
    if lengths.dim() != 1 or lengths.dtype.name != "int64":
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D cpu "
                           f"{lengths.dtype.scalar_name} tensor")


@_native("Tensor input, Tensor lengths, bool batch_first")
def _pack_padded_sequence(input, lengths, batch_first):
    """The ``(data, batch_sizes)`` of ``input`` packed, its sequences' ``lengths`` in decreasing order."""
    from .nn.utils import rnn

    _check_lengths(lengths)
    return rnn._pack_rows(input, lengths, batch_first)


@_native("Tensor data, Tensor batch_sizes, bool batch_first, Number padding_value, int total_length")
def _pad_packed_sequence(data, batch_sizes, batch_first, padding_value, total_length):
    """The packed ``data`` padded with ``padding_value`` to ``total_length`` steps (0 or less: the longest
    sequence's), and the sequences' lengths, as ``(padded, lengths)``."""
    from .nn.utils import rnn

    _check_lengths(batch_sizes)
    sizes = batch_sizes.numpy()
    steps = sizes.size
    if total_length > 0:
        if total_length < steps:
            raise RuntimeError("Expected total_length to be at least the length of the longest sequence in input, "
                               f"but got total_length={total_length} and max sequence length being {steps}")
        steps = total_length
    padded, lengths = rnn._padded_from_packed(data, sizes, batch_first, padding_value, steps)
    return padded, _wrap(lengths)


# ---------------------------------------------------------------------------- losses
_CTC = "Tensor log_probs, Tensor targets, {0} input_lengths, {0} target_lengths, int blank=0, int reduction=0, " \
       "bool zero_infinity=False"
_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


@_native(_CTC.format("int[]"), _CTC.format("Tensor"),
         shown=("int reduction = 0", "int reduction = at::Reduction::Mean"))
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1, zero_infinity=False,
             overload=0):
    """The CTC loss with ``reduction`` as an int (0 'none', 1 'mean', 2 'sum'; omitted, the binding gives 0, its
    printed default, at::Reduction::Mean, not parsing)."""
    return _functional().ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                                  _REDUCTIONS.get(reduction, "none"), zero_infinity)


def install(namespace):
    """Put the entry points into ``namespace`` (the torchless module's globals)."""
    for fn in _ENTRY_POINTS:
        namespace[fn.__name__] = fn
