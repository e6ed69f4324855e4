"""Convolutions: conv1d, conv2d, conv3d and their transposes.

The argument checks follow the path a call takes through PyTorch (``conv2d`` -> ``_convolution`` ->
``check_shape_forward`` -> a CPU backend), in the same order, so a bad call fails with the message
PyTorch gives: the functions here normalise the arguments, :mod:`._conv_backends` checks them and picks the
node of :mod:`._conv_nodes` that runs the call.
"""
import functools
import warnings
from typing import NamedTuple

import numpy as np

from ... import _dtype, _memory_format
from ..._kernels import conv as conv_kernels
from ..._kernels import parallel
from ..._kernels.conv import _float32_precision as _conv_precision  # (the setting itself: read on every call)
from ..._tensor import Tensor
from ..._user_warnings import warns_once
from ...autograd.graph import bfloat16_state, records
from ._args import CheckedCalls, Param, _numpy_name, call_key, native
from ._conv_backends import _batchify, _check_backend, _check_shape_forward, _empty_backend, _expand
from ._conv_nodes import (_HALF_NODES, _KERNELS, Convolution, EmptyConvolution, HalfConvolution,
                          TransposedConvolution, _in_output_format, _output_format, _reference_gemm_algorithm,
                          _skipped_padding)
from .padding import ConstantPadNd

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]


def _convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups, extra=None):
    """PyTorch's ``_convolution`` checks on a batched input: (Node, params) to run it with.

    ``extra`` is the odd right/bottom padding of padding='same'.
    """
    in_shape, w_shape = list(input.shape), list(weight.shape)
    if extra:
        # PyTorch pads the input explicitly for an odd 'same' padding: its messages show the padded size.
        in_shape[2:] = [n + e for n, e in zip(in_shape[2:], extra)]
    dim = weight.dim() - 2
    if dim <= 0:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    stride, padding, dilation, output_padding = (_expand(values, name, dim) for values, name in (
        (stride, "stride"), (padding, "padding"), (dilation, "dilation"), (output_padding, "output_padding")))
    _check_shape_forward(in_shape, w_shape, bias, stride, padding, dilation, transposed, output_padding, groups)
    extra = extra or [0] * dim
    if dim == 1:
        in_shape, w_shape = in_shape[:2] + [1] + in_shape[2:], w_shape[:2] + [1] + w_shape[2:]
        stride, padding, dilation, output_padding = [1] + stride, [0] + padding, [1] + dilation, [0] + output_padding
        extra = [0] + extra
    if in_shape[0] == 0 or in_shape[1] == 0:
        return _empty_backend(in_shape, w_shape, input, weight, bias, stride, padding, dilation, transposed,
                              output_padding, groups)
    dilation, output_padding = _check_backend(in_shape, w_shape, input, weight, bias, stride, padding, dilation,
                                              transposed, output_padding, groups)
    pads = tuple((p, p + e) for p, e in zip(padding, extra))
    params = {"stride": tuple(stride), "padding": pads, "dilation": tuple(dilation), "groups": groups}
    function = TransposedConvolution if transposed else Convolution
    if input._data.dtype == np.float16:
        function = _HALF_NODES[function]
    return function, dict(params, output_padding=tuple(output_padding)) if transposed else params


# PyTorch's TORCH_WARN_ONCE text, with the C++ source location every warning from ATen carries.
_ASYMMETRIC_SAME_WARNING = ("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded "
                            "copy of the input be created (Triggered internally at "
                            "/__w/pytorch/pytorch/aten/src/ATen/native/Convolution.cpp:1101.)")


def _warn_asymmetric_same_once():
    """PyTorch's warning that an odd total 'same' padding needs a padded copy of the input.

    TORCH_WARN_ONCE (see warns_once), whatever the warning filters say (even "always"). The warning is
    attributed to the frame calling the functional (through convolve, native's parser, conv*d, _conv and
    _convolution_same), as PyTorch attributes its C++ warnings to the Python caller.
    """
    if warns_once("asymmetric same padding"):
        warnings.warn(_ASYMMETRIC_SAME_WARNING, UserWarning, stacklevel=7)


def _convolution_same(input, weight, bias, stride, dilation, groups):
    """padding='same': PyTorch's ``convolution_same``, an odd total padding going to the right/bottom."""
    k = weight.dim()
    if k <= 2:
        raise RuntimeError("weight should have at least three dimensions")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    dim = k - 2
    if k != input.dim():
        raise RuntimeError(f"Expected {k}-dimensional input for {k}-dimensional weight{list(weight.shape)}, but got "
                           f"{input.dim()}-dimensional input of size {list(input.shape)} instead")
    for values, name in ((stride, "stride"), (dilation, "dilation")):
        if len(values) not in (dim, 1):
            raise RuntimeError(f"{name} cannot broadcast to {dim} dimensions")
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    totals = [(dilation[0] if len(dilation) == 1 else dilation[i]) * (weight.shape[i + 2] - 1) for i in range(dim)]
    # C++ division truncates; a negative total (an empty kernel) crops the input by one instead of padding it
    left = [int(t / 2) for t in totals]
    extra = [t - 2 * half for t, half in zip(totals, left)]
    if any(extra):
        _warn_asymmetric_same_once()
        # PyTorch crops (or pads) the input by constant_pad_nd before any convolution check: an empty
        # dimension cannot be cropped.
        if any(n + e < 0 for n, e in zip(input.shape[2:], extra)):
            raise RuntimeError("narrow(): length must be non-negative.")
    function, params = _convolution(input, weight, bias, stride, left, dilation, False, [0] * dim, groups, extra)
    if not any(extra) or function not in (Convolution, HalfConvolution, EmptyConvolution):
        return function, params
    # PyTorch's graph: constant_pad_nd of the input by the difference (after; a crop before, if negative), then
    # the convolution with the padding left symmetric (an empty input's too, then the "Empty" backend's)
    widths = ((0, 0),) * 2 + tuple((0, e) if e > 0 else (e, 0) for e in extra)
    if function is EmptyConvolution:
        return _PaddedSame(function, widths), params
    pads = tuple((min(lo, hi), min(lo, hi)) for lo, hi in params["padding"])
    return _PaddedSame(function, widths), dict(params, padding=pads)


class _PaddedSame(NamedTuple):
    """padding='same' needing more after than before, run as PyTorch's convolution_same runs it: the input padded
    by ``widths`` (a ConstantPadNd node of the graph), then convolved by ``real`` (a Node's class)."""

    real: type
    widths: tuple

    def apply(self, x, w, b, **params):
        pad = tuple(width for pair in reversed(self.widths[2:]) for width in pair)  # (as F.pad's, all dims)
        padded = ConstantPadNd.apply(x, widths=self.widths, value=0, pad=pad)
        if _memory_format.may_suggest_channels_last(x._data):  # (constant_pad_nd keeps a channels-last layout)
            padded = _memory_format.keep_channels_last(padded, x._data)
        return self.real.apply(padded, w, b, **params)


def _check_bias_dtype(input, bias):
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_dtype.cpp_name(input.dtype)}) and bias type ({_dtype.cpp_name(bias.dtype)}) "
                           "should be the same")


class _ComplexConvolution(NamedTuple):
    """PyTorch's convolution of complex tensors (its complex_convolution): three real convolutions (``real``, a
    Node's class, with the same parameters) of the parts, by Gauss's trick:
    a = conv(xr, wr, br), b = conv(xi, wi), c = conv(xr + xi, wr + wi, br + bi); the result a - b + i (c - a - b),
    composed of PyTorch's ops (its graph: AddBackward0 on top, the parts SelectBackward0s of ViewAsRealBackward0s)."""

    real: type

    def apply(self, x, w, b, **params):
        from ..._ops.arithmetic import mul_scalar
        from ..._ops.complex_ops import view_as_real

        def parts(t):
            pairs = view_as_real(t.resolve_conj())
            return pairs.select(-1, 0), pairs.select(-1, 1)

        (xr, xi), (wr, wi) = parts(x), parts(w)
        br, bi = (None, None) if b is None else parts(b)
        a = self.real.apply(xr, wr, br, **params)
        b_ = self.real.apply(xi, wi, None, **params)
        c = self.real.apply(xr + xi, wr + wi, None if b is None else br + bi, **params)
        # i times the real difference: PyTorch's C++ mul.Scalar (MulBackward1), computing in the complex dtype
        # without a node of the graph for the promotion
        imaginary = (c - a - b_)._promoted(x._data.dtype)
        return a - b_ + mul_scalar(imaginary, 1j)


def _complex_conv(checks, input, weight, bias, *args):
    """The checks (``checks``: _conv or _conv_transpose, given ``args`` after the tensors) of a complex input or
    weight: PyTorch's check of the three dtypes, then the real convolution's checks on the parts' shapes
    (batched, _ComplexConvolution, params)."""
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and param.dtype != input.dtype:
            raise RuntimeError(f"Input type ({_dtype.type_text(input.dtype)}) and {name} type "
                               f"({_dtype.type_text(param.dtype)}) should be the same")
    real = [None if t is None else Tensor._wrap(t._data.real) for t in (input, weight, bias)]
    batched, function, params = checks(*real, *args)
    return batched, _ComplexConvolution(function), params


def _conv(input, weight, bias, stride, padding, dilation, groups, spatial, fn):
    """conv1d / conv2d / conv3d checks: (batched, Node, params)."""
    if input._data.dtype.kind == "c":  # (a real input with a complex weight: the real path's error)
        if not isinstance(padding, str):
            _check_bias_dtype(input, bias)
        return _complex_conv(_conv, input, weight, bias, stride, padding, dilation, groups, spatial, fn)
    if isinstance(padding, str):
        x, batched = _batchify(input, spatial, fn)
        if padding == "same":
            return (batched,) + _convolution_same(x, weight, bias, stride, dilation, groups)
        if padding == "valid":
            return (batched,) + _convolution(x, weight, bias, stride, [0], dilation, False, [0], groups)
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    _check_bias_dtype(input, bias)
    x, batched = _batchify(input, spatial, fn)
    return (batched,) + _convolution(x, weight, bias, stride, padding, dilation, False, [0] * spatial, groups)


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, spatial, fn):
    """conv_transpose1d / conv_transpose2d / conv_transpose3d checks: (batched, Node, params)."""
    if input._data.dtype.kind == "c":
        _batchify(input, spatial, fn)  # (PyTorch's conv_transpose checks the input's dims before its dtypes)
        return _complex_conv(_conv_transpose, input, weight, bias, stride, padding, output_padding, groups, dilation,
                             spatial, fn)
    x, batched = _batchify(input, spatial, fn)
    return (batched,) + _convolution(x, weight, bias, stride, padding, dilation, True, output_padding, groups)


def _autocast_arguments(args, kwargs):
    """A convolution's arguments with its input, weight and bias cast as autocast casts them (else as given)."""
    from ... import _opmath

    if _opmath.autocast_state[0] is None:
        return args, kwargs
    tensors = _opmath.autocast_inputs("lower", *(value if isinstance(value, Tensor) else None for value in args[:3]))
    args = tuple(cast if cast is not None else value for cast, value in zip(tensors, args[:3])) + args[3:]
    named = [name for name in ("input", "weight", "bias") if isinstance(kwargs.get(name), Tensor)]
    if named:
        kwargs = dict(kwargs, **dict(zip(named, _opmath.autocast_inputs("lower", *(kwargs[n] for n in named)))))
    return args, kwargs


def _checked_once(checks):
    """The convolution functional whose argument parsing and checks are ``checks``.

    ``checks`` returns (batched, Node, params) or raises PyTorch's error. Those depend only on
    the arguments' call_key, so valid calls are remembered and a repeated call (every training or
    inference step) skips straight to the arithmetic.
    """
    plans = CheckedCalls()

    def planned(checked, args, kwargs):
        """checks' (batched, Node, params) and, where a call recording nothing can go straight to the array kernel,
        that kernel, its arguments after x and w (taken out of params once, not passed by keyword on each call)
        and the padding it skips for a channels-first call: all follow from the call_key. (checks runs in
        convolve itself: its warnings name the functional's caller by a fixed stack level.)"""
        batched, function, params = checked
        direct = None
        if batched and function is Convolution:
            input, weight, _ = _tensors(args, kwargs)
            x, w = input._data, weight._data
            if x.ndim != 3:  # (a 1-D convolution runs as a 2-D one, through Node.apply)
                stride, padding, dilation, groups = (params[name]
                                                     for name in ("stride", "padding", "dilation", "groups"))
                skipped = _skipped_padding(x.shape, w.shape, x.dtype, stride, padding, dilation, groups, False)
                # one image's algorithm, chosen once (per float32 precision), or the one with PyTorch's roundings
                single = (conv_kernels.single_image_algorithm(x.shape, w.shape, stride, padding, dilation, groups,
                                                              x.dtype) if x.ndim == 4 else None)
                rounded_as = _reference_gemm_algorithm(x.shape, w.shape, x.dtype, stride, padding, dilation, groups)
                direct = _KERNELS[x.ndim].forward, (stride, padding, dilation, groups), skipped, single, rounded_as
        return batched, function, params, direct

    @functools.wraps(checks)
    def convolve(*args, **kwargs):
        if bfloat16_state[0]:  # (once bfloat16 tensors exist: under autocast, the operands cast first, see _opmath)
            args, kwargs = _autocast_arguments(args, kwargs)
        key = call_key(args, kwargs)
        if key is not None:  # (PyTorch's backend selection reads its thread count: see _uses_mkldnn)
            key = key, parallel.get_num_threads() == 1
        plan = plans.get(key)
        if plan is None:
            plan = plans.remember(key, planned(checks(*args, **kwargs), args, kwargs))
        batched, function, params, direct = plan
        input, weight, bias = args[:3] if len(args) >= 3 else _tensors(args, kwargs)
        if direct is not None and not records(input, weight, bias) and not bfloat16_state[0]:
            # no graph node to record: Node.apply would only wrap the result
            forward, (stride, padding, dilation, groups), skipped, single, rounded_as = direct
            x, w = input._data, weight._data
            format_suggested = not (x.flags.c_contiguous and x.strides[1] != x.itemsize
                                    and w.flags.c_contiguous and w.strides[1] != w.itemsize)
            if format_suggested:
                skipped = _skipped_padding(x.shape, w.shape, x.dtype, stride, padding, dilation, groups,
                                           _output_format(x, w, groups, False, stride, (), dilation) is not None)
            b = None if bias is None else bias._data
            if rounded_as is not None:
                y = forward(x, w, stride, padding, dilation, groups, rounded_as, b, skipped)
            elif single is not None and single[0] == _conv_precision[0]:  # (conv2d_forward's algorithm argument)
                y = forward(x, w, stride, padding, dilation, groups, single[1], b, skipped)
            else:
                y = forward(x, w, stride, padding, dilation, groups, bias=b, skipped_padding=skipped)
            if format_suggested:  # (inline: _memory_format.may_suggest_...)
                # PyTorch's: channels-last for such an input or weight
                y = _in_output_format(y, x, w, groups, stride, dilation)
            return Tensor._wrap(y.astype(x.dtype, copy=False))
        y = _recorded(function.apply(input if batched else input.unsqueeze(0), weight, bias, **params))
        return y if batched else y.squeeze(0)

    return convolve


def _tensors(args, kwargs):
    """(input, weight, bias) of a convolution's call that passed its checks, given by position or keyword."""
    if len(args) >= 3:
        return args[:3]
    input, weight, bias = (args[i] if i < len(args) else kwargs.get(name)
                           for i, name in enumerate(("input", "weight", "bias")))
    if input is None:  # given under a NumPy name (x=), which the parser took
        input = kwargs[_numpy_name("input", kwargs)]
    return input, weight, bias


def _recorded(y):
    """A convolution's output ``y``, which PyTorch records in the graph after the forward, refusing an integer output
    (from integer input and weight, and a float bias requiring grad, which only a padding string or
    torch.convolution lets by)."""
    if y._grad_fn is not None and not (y.dtype.is_floating_point or y.dtype.is_complex):
        raise RuntimeError(f"Autograd not support dtype: {y.dtype.scalar_name}")
    return y


def native_convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """PyTorch's ``at::convolution`` (``padding`` a list) and ``at::_convolution_mode`` (``padding`` 'same' or
    'valid'), which ``torch.convolution`` and ``torch._convolution_mode`` call directly: the conv*d functions'
    path without their parsing, the batching of an unbatched input, their check of the bias's dtype and their
    splitting of complex tensors (the int lists as the parser gave them)."""
    if not isinstance(padding, str):
        function, params = _convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                                        groups)
    elif padding == "same":
        function, params = _convolution_same(input, weight, bias, stride, dilation, groups)
    elif padding == "valid":
        function, params = _convolution(input, weight, bias, stride, [0], dilation, False, [0], groups)
    else:
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    y = _recorded(function.apply(input, weight, bias, **params))
    if y._grad_fn is not None and y.dtype.is_complex:  # (an empty one: a complex one fails in its kernel)
        raise RuntimeError("convolution does not support automatic differentiation for outputs with complex dtype.")
    return y


# ---------------------------------------------------------------------------- public functions
def _sizes(name, shown, default):
    """One of the convolutions' int lists, SymInt[] in their schemas."""
    return Param(name, "int[]", shown, default, symbolic=True)


def _conv_signatures():
    head = [Param("input", "Tensor"), Param("weight", "Tensor"), Param("bias", "Tensor?", "None"),
            _sizes("stride", "1", 1)]
    tail = [_sizes("dilation", "1", 1), Param("groups", "SymInt", "1", 1)]
    return (head + [_sizes("padding", "0", 0)] + tail,
            head + [Param("padding", "str", '"valid"', "valid")] + tail)


def _conv_transpose_signature():
    return [Param("input", "Tensor"), Param("weight", "Tensor"), Param("bias", "Tensor?", "None"),
            _sizes("stride", "1", 1), _sizes("padding", "0", 0), _sizes("output_padding", "0", 0),
            Param("groups", "SymInt", "1", 1), _sizes("dilation", "1", 1)]


@_checked_once
@native("conv1d", *_conv_signatures(), list_size=1)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) over an input of shape (N, C_in, L) or (C_in, L).

    weight: (C_out, C_in / groups, kL); bias: (C_out,) or None. stride, padding and dilation are
    ints or 1-tuples; padding may also be 'valid' (none) or 'same' (L_out = L, stride 1 only).
    Output (N, C_out, L_out), L_out = floor((L + 2 * padding - dilation * (kL - 1) - 1) / stride) + 1.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


@_checked_once
@native("conv2d", *_conv_signatures(), list_size=2)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) over an input of shape (N, C_in, H, W) or (C_in, H, W).

    weight: (C_out, C_in / groups, kH, kW); bias: (C_out,) or None. stride, padding and dilation are
    ints or (h, w) pairs; padding may also be 'valid' (none) or 'same' (output size = input size,
    stride 1 only; an odd total padding puts the extra cell at the bottom/right, as PyTorch).
    Output: (N, C_out, H_out, W_out) with
    H_out = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0]) + 1, likewise W_out.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


@_checked_once
@native("conv3d", *_conv_signatures(), list_size=3)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation) over an input of shape (N, C_in, D, H, W) or (C_in, D, H, W).

    weight: (C_out, C_in / groups, kD, kH, kW); bias: (C_out,) or None. stride, padding and dilation
    are ints or (d, h, w) triples; padding may also be 'valid' (none) or 'same' (output size = input
    size, stride 1 only; an odd total padding puts the extra cell at the back/bottom/right, as PyTorch).
    Output: (N, C_out, D_out, H_out, W_out) with
    D_out = floor((D + 2 * padding[0] - dilation[0] * (kD - 1) - 1) / stride[0]) + 1, likewise H_out
    and W_out.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


@_checked_once
@native("conv_transpose1d", _conv_transpose_signature(), list_size=1)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
            dilation=1) -> Tensor

    Applies a 1-D transposed convolution (the gradient of :func:`conv1d` with respect to its input, sometimes
    called "deconvolution"). See :class:`~torchless.nn.ConvTranspose1d`.

    Args:
        input (Tensor): (N, C_in, L_in) or (C_in, L_in)
        weight (Tensor): filters of shape (C_in, C_out / groups, kL)
        bias (Tensor, optional): of shape (C_out). Default: ``None``
        stride (int or 1-tuple, optional): the stride of the convolution. Default: ``1``
        padding (int or 1-tuple, optional): dilation * (kL - 1) - padding zeros are added to each side of the input.
            Default: ``0``
        output_padding (int or 1-tuple, optional): extra size added to one side of the output; smaller than stride
            or dilation. Default: ``0``
        groups (int, optional): splits the channels into groups; divides C_in. Default: ``1``
        dilation (int or 1-tuple, optional): spacing between kernel elements. Default: ``1``

    Shape:
        - Input: (N, C_in, L_in) or (C_in, L_in)
        - Output: (N, C_out, L_out) or (C_out, L_out), where

          L_out = (L_in - 1) * stride - 2 * padding + dilation * (kL - 1) + output_padding + 1

    Examples::

        >>> F.conv_transpose1d(torch.ones(1, 1, 3), torch.ones(1, 1, 2))
        tensor([[[1., 2., 2., 1.]]])
        >>> F.conv_transpose1d(torch.randn(20, 16, 50), torch.randn(16, 33, 5), stride=2).shape
        torchless.Size([20, 33, 103])
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


@_checked_once
@native("conv_transpose2d", _conv_transpose_signature(), list_size=2)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution ("deconvolution"), the gradient of conv2d with respect to its input.

    input: (N, C_in, H, W) or (C_in, H, W); weight: (C_in, C_out / groups, kH, kW); bias: (C_out,).
    H_out = (H - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kH - 1) + output_padding[0] + 1,
    likewise W_out.
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


@_checked_once
@native("conv_transpose3d", _conv_transpose_signature(), list_size=3)
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution ("deconvolution"), the gradient of conv3d with respect to its input.

    input: (N, C_in, D, H, W) or (C_in, D, H, W); weight: (C_in, C_out / groups, kD, kH, kW);
    bias: (C_out,). Output (N, C_out, D_out, H_out, W_out) with
    D_out = (D - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kD - 1) + output_padding[0] + 1,
    likewise H_out and W_out.
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                           "conv_transpose3d")
