"""Parity regressions (session 34): the CNN-facing functionals over the arguments PyTorch accepts.

A seeded fuzz of each family against torch 2.13.0 (values, shapes, dtypes, strides, gradients of every input, the
type and message of each error): max/avg/Lp/adaptive pooling in 1-3 dimensions, interpolate in every mode, pad in
every mode (negative pads too), unfold/fold, pixel (un)shuffle, transposed convolutions, the normalisations,
eval-mode dropouts, cross entropy / nll_loss, embedding and grid sampling, on contiguous, channels-last,
transposed and sliced inputs in float32, float64 and float16, with malformed arguments among the valid ones.

The difference it found: PyTorch's channels-last-3d max pooling kernel starts a window's index at its first tap
past the padding, where nothing beats the dtype's lowest value (an all -inf window, or one wholly in the padding),
but its scalar loop over the channels past the last full 32-byte vector leaves the depth term out of that start:
those windows' indices, and their gradients, name slice 0. The torch-free tests check it, and plain 3-D max
pooling, against a direct loop written from ATen's kernel.

Left out of the comparisons: PyTorch reads uninitialised memory for a circular pad that first crops a dimension
to nothing (or less) and then pads it, and for a reflection pad's backward of an empty output; its contiguous
max-pooling backward writes outside the gradient for a window without a tap inside the input (heap corruption),
so max pooling is differentiated only with dilation 1, where every window has one; and its group_norm backward
crashes (segmentation fault) for a channels-last input that does not require grad beside a weight that does.
"""
import math
import warnings

import numpy as np

import pytest

import torchless
from helpers import pool_output_size

_LAYOUTS = ("contiguous", "contiguous", "channels_last", "transposed", "sliced")


# ---------------------------------------------------------------------------- torch-free references
def _reference_max_pool3d(x, kernel, stride, padding, dilation, ceil_mode, scalar_channels_from=None):
    """ATen's CPU max pooling loop for x (N, C, D, H, W) in float64: first maximum in (d, h, w) order, a NaN wins,
    the index starting at the first tap past the padding; from channel ``scalar_channels_from`` on, that start
    without its depth term (the channels-last kernel's scalar loop)."""
    N, C = x.shape[:2]
    sizes = x.shape[2:]
    outs = [pool_output_size(*axis, ceil_mode) for axis in zip(sizes, kernel, stride, padding, dilation)]
    values = np.empty((N, C) + tuple(outs))
    indices = np.empty((N, C) + tuple(outs), np.int64)
    D, H, W = sizes
    lowest = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    for n in range(N):
        for c in range(C):
            for window in np.ndindex(*outs):
                starts, ends = [], []
                for o, k, s, p, d, size in zip(window, kernel, stride, padding, dilation, sizes):
                    start = o * s - p
                    ends.append(min(start + (k - 1) * d + 1, size))
                    while start < 0:
                        start += d
                    starts.append(start)
                d0, h0, w0 = starts
                index = h0 * W + w0 if scalar_channels_from is not None and c >= scalar_channels_from \
                    else d0 * H * W + h0 * W + w0
                best = lowest
                for d in range(d0, ends[0], dilation[0]):
                    for h in range(h0, ends[1], dilation[1]):
                        for w in range(w0, ends[2], dilation[2]):
                            value = x[n, c, d, h, w]
                            if value > best or np.isnan(value):
                                best, index = value, d * H * W + h * W + w
                values[(n, c) + window] = best
                indices[(n, c) + window] = index
    return values, indices


def _mostly_minus_inf(rng, shape, dtype):
    values = rng.standard_normal(shape)
    values[rng.random(shape) < 0.6] = -np.inf
    if np.dtype(dtype).kind == "i":
        values = np.where(np.isfinite(values), np.round(3 * values), np.iinfo(dtype).min)
    return values.astype(dtype)


@pytest.mark.parametrize("dtype, channels, scalar_from", [
    ("float32", 20, 16), ("float32", 2, 0), ("float32", 8, None), ("float64", 6, 4), ("float16", 20, 16),
    ("float16", 9, 0), ("int32", 9, 8), ("int64", 4, None)])
def test_channels_last_3d_max_pool_indices_of_lowest_windows(dtype, channels, scalar_from):
    rng = np.random.default_rng(channels)
    x = _mostly_minus_inf(rng, (2, channels, 4, 3, 3), dtype)
    args = ((2, 2, 1), (1, 1, 2), (1, 0, 0), (1, 1, 1), True)
    tensor = torchless.tensor(x).contiguous(memory_format=torchless.channels_last_3d)
    out, idx = torchless.nn.functional.max_pool3d(tensor, *args[:4], ceil_mode=True, return_indices=True)
    values, indices = _reference_max_pool3d(x, *args, scalar_channels_from=scalar_from)
    np.testing.assert_array_equal(out.float().numpy() if dtype == "float16" else out.numpy(), values)
    np.testing.assert_array_equal(idx.numpy(), indices)
    if scalar_from is not None:  # the rule matters here: some windows of the scalar channels keep their start
        assert (indices[:, scalar_from:] != _reference_max_pool3d(x, *args)[1][:, scalar_from:]).any()
    # C order runs the plain kernel: every channel's start has its depth
    out, idx = torchless.nn.functional.max_pool3d(torchless.tensor(x), *args[:4], ceil_mode=True, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), _reference_max_pool3d(x, *args)[1])


def test_channels_last_3d_max_pool_gradient_follows_the_indices():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 10, 3, 2, 2)).astype(np.float32)
    x[:, :, 1:] = -np.inf  # the windows of depths 1-2 are all -inf: their start is slice 1 (slice 0 from channel 8)
    tensor = torchless.tensor(x).contiguous(memory_format=torchless.channels_last_3d).requires_grad_()
    out, idx = torchless.nn.functional.max_pool3d(tensor, (2, 2, 2), 1, return_indices=True)
    grad = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(torchless.tensor(grad))
    _, indices = _reference_max_pool3d(x.astype(np.float64), (2, 2, 2), (1, 1, 1), (0, 0, 0), (1, 1, 1), False,
                                       scalar_channels_from=8)
    np.testing.assert_array_equal(idx.numpy(), indices)
    expected = np.zeros((10, 12))
    for c in range(10):
        np.add.at(expected[c], indices[0, c].reshape(-1), grad[0, c].reshape(-1))
    np.testing.assert_allclose(tensor.grad.numpy().reshape(10, 12), expected, rtol=1e-6)
    assert tensor.grad.is_contiguous(memory_format=torchless.channels_last_3d)
    assert indices[0, 8:, 1].max() < 4 <= indices[0, :8, 1].min()  # slice 0 vs slice 1


@pytest.mark.parametrize("seed", range(4))
def test_max_pool3d_against_the_loop(seed):
    """Random windows, NaN and -inf values, channels-last and C-order inputs, float64 and int32."""
    rng = np.random.default_rng(100 + seed)
    for _ in range(8):
        kernel = tuple(int(rng.integers(1, 4)) for _ in range(3))
        padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
        stride = tuple(int(rng.integers(1, 3)) for _ in range(3))
        dilation = tuple(int(rng.integers(1, 3)) for _ in range(3))
        ceil_mode = bool(rng.random() < 0.5)
        dtype = ("float64", "int32")[int(rng.integers(2))]
        channels = int(rng.integers(1, 12))
        x = _mostly_minus_inf(rng, (1, channels) + tuple(int(rng.integers(3, 6)) for _ in range(3)), dtype)
        if min(pool_output_size(*axis, ceil_mode) for axis in zip(x.shape[2:], kernel, stride, padding, dilation)) < 1:
            continue
        if dtype == "float64":
            x[rng.random(x.shape) < 0.05] = np.nan
        channels_last = bool(rng.random() < 0.5)
        tensor = torchless.tensor(x)
        if channels_last:
            tensor = tensor.contiguous(memory_format=torchless.channels_last_3d)
        lanes = 32 // x.itemsize
        scalar_from = channels - channels % lanes if channels_last and channels > 1 else None
        out, idx = torchless.nn.functional.max_pool3d(tensor, kernel, stride, padding, dilation, ceil_mode, True)
        values, indices = _reference_max_pool3d(x, kernel, stride, padding, dilation, ceil_mode, scalar_from)
        np.testing.assert_array_equal(out.numpy(), values)
        np.testing.assert_array_equal(idx.numpy(), indices)


# ---------------------------------------------------------------------------- the fuzz against torch
def _draw(rng, choices):
    return choices[int(rng.integers(len(choices)))]


class _Operand:
    """What both libraries build the same tensor from."""

    def __init__(self, values, dtype="float32", layout="contiguous", requires_grad=True):
        self.values, self.dtype, self.layout, self.requires_grad = values, dtype, layout, requires_grad

    def build(self, lib):
        tensor = lib.tensor(self.values, dtype=getattr(lib, self.dtype))
        if self.layout == "channels_last" and tensor.dim() in (4, 5):
            tensor = tensor.contiguous(memory_format=lib.channels_last if tensor.dim() == 4 else lib.channels_last_3d)
        elif self.layout == "channels_last_3d_unbatched" and tensor.dim() == 4:
            tensor = tensor.unsqueeze(0).contiguous(memory_format=lib.channels_last_3d)[0]
        elif self.layout == "transposed" and tensor.dim() >= 2:
            tensor = tensor.transpose(-1, -2).contiguous().transpose(-1, -2)
        elif self.layout == "sliced" and tensor.dim() >= 1:
            tensor = lib.cat([tensor, tensor], -1)[..., ::2]
        if self.requires_grad and self.dtype.startswith("float"):
            tensor.requires_grad_()
        return tensor

    def __repr__(self):
        return f"<{np.shape(self.values)} {self.dtype} {self.layout} grad={self.requires_grad}>"


def _built(lib, value):
    if isinstance(value, _Operand):
        return value.build(lib)
    if isinstance(value, (tuple, list)):
        return type(value)(_built(lib, v) for v in value)
    if isinstance(value, dict):
        return {k: _built(lib, v) for k, v in value.items()}
    return value


def _operand(rng, shape, dtype=None, layout=None, requires_grad=None, values=None):
    if dtype is None:
        dtype = _draw(rng, ("float32", "float32", "float64", "float16")) if rng.random() < 0.4 else "float32"
    return _Operand(rng.standard_normal(shape) if values is None else values, dtype, layout or _draw(rng, _LAYOUTS),
                    bool(rng.random() < 0.7) if requires_grad is None else requires_grad)


def _sizes(rng, dims, low, high):
    return tuple(int(rng.integers(low, high)) for _ in range(dims))


def _size_argument(rng, dims, low, high):
    """An int or a tuple of ints in [low, high]; now and then a malformed one."""
    draw = rng.random()
    if draw < 0.04:
        return _sizes(rng, dims + 1, 1, 3)
    if draw < 0.06:
        return int(rng.integers(-1, 1))
    if draw < 0.5:
        return int(rng.integers(low, high + 1))
    return _sizes(rng, dims, low, high + 1)


def _lead(rng):
    return _draw(rng, ((2,), (2,), (1,), (0,), ()))


def _max_pool(rng):
    dims = int(rng.integers(1, 4))
    shape = _lead(rng) + (int(rng.integers(1, 4)),) + _sizes(rng, dims, 1, 8)
    values = rng.standard_normal(shape)
    draw = rng.random()
    if draw < 0.2:
        values = np.round(values)  # ties: the first maximum in scan order wins
    elif draw < 0.3:
        values[rng.random(shape) < 0.3] = -np.inf
    elif draw < 0.4:
        values[rng.random(shape) < 0.2] = np.nan
    kwargs = {"kernel_size": _size_argument(rng, dims, 1, 4)}
    if rng.random() < 0.6:
        kwargs["stride"] = _size_argument(rng, dims, 1, 3)
    if rng.random() < 0.5:
        kwargs["padding"] = _size_argument(rng, dims, 0, 2)
    dilated = rng.random() < 0.4
    if dilated:
        kwargs["dilation"] = _size_argument(rng, dims, 1, 3)
    kwargs["ceil_mode"] = bool(rng.random() < 0.4)
    kwargs["return_indices"] = bool(rng.random() < 0.5)
    x = _operand(rng, shape, values=values, requires_grad=False if dilated else None)
    return f"max_pool{dims}d", (x,), kwargs


def _max_pool_channels_last(rng):
    dims = _draw(rng, (3, 3, 2))
    channels = int(rng.integers(1, 40))
    shape = _draw(rng, ((2,), (1,), ())) + (channels,) + _sizes(rng, dims, 1, 6)
    dtype = _draw(rng, ("float32", "float64", "float16", "int32", "int64"))
    values = _mostly_minus_inf(rng, shape, "float64" if dtype.startswith("float") else dtype)
    layout = _draw(rng, ("channels_last", "channels_last", "contiguous"))
    if len(shape) == 4 and dims == 3 and rng.random() < 0.5:
        layout = "channels_last_3d_unbatched"
    kernel = _sizes(rng, dims, 1, 4)
    kwargs = {"kernel_size": kernel, "stride": _sizes(rng, dims, 1, 3),
              "padding": tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel),
              "ceil_mode": bool(rng.random() < 0.4), "return_indices": True}
    dilated = rng.random() < 0.4
    if dilated:
        kwargs["dilation"] = _sizes(rng, dims, 1, 3)
    return f"max_pool{dims}d", (_Operand(values, dtype, layout, not dilated and rng.random() < 0.7),), kwargs


def _avg_pool(rng):
    dims = int(rng.integers(1, 4))
    x = _operand(rng, _lead(rng) + (int(rng.integers(1, 4)),) + _sizes(rng, dims, 1, 8))
    kwargs = {"kernel_size": _size_argument(rng, dims, 1, 4)}
    if rng.random() < 0.6:
        kwargs["stride"] = _size_argument(rng, dims, 1, 3)
    if rng.random() < 0.5:
        kwargs["padding"] = _size_argument(rng, dims, 0, 2)
    kwargs["ceil_mode"] = bool(rng.random() < 0.4)
    kwargs["count_include_pad"] = bool(rng.random() < 0.6)
    if dims > 1 and rng.random() < 0.3:
        kwargs["divisor_override"] = int(rng.integers(0, 5))
    return f"avg_pool{dims}d", (x,), kwargs


def _lp_pool(rng):
    dims = int(rng.integers(1, 4))
    x = _operand(rng, _lead(rng) + (int(rng.integers(1, 4)),) + _sizes(rng, dims, 1, 8))
    kwargs = {"norm_type": _draw(rng, (1, 2, 2.0, 3, 1.5, float("inf"))),
              "kernel_size": _size_argument(rng, dims, 1, 3), "ceil_mode": bool(rng.random() < 0.3)}
    if rng.random() < 0.5:
        kwargs["stride"] = _size_argument(rng, dims, 1, 3)
    return f"lp_pool{dims}d", (x,), kwargs


def _adaptive_pool(rng):
    dims = int(rng.integers(1, 4))
    x = _operand(rng, _lead(rng) + (int(rng.integers(1, 4)),) + _sizes(rng, dims, 1, 8))
    out = [int(rng.integers(1, 10)) for _ in range(dims)]  # larger than the input too
    if dims > 1 and rng.random() < 0.3:
        out[int(rng.integers(dims))] = None
    output_size = out[0] if dims == 1 or rng.random() < 0.3 else tuple(out)
    if rng.random() < 0.08:
        output_size = _draw(rng, (0, -1, (2,) * (dims + 1), (2.0,) * dims))
    kind = _draw(rng, ("avg", "max"))
    kwargs = {"return_indices": True} if kind == "max" and rng.random() < 0.5 else {}
    return f"adaptive_{kind}_pool{dims}d", (x, output_size), kwargs


def _interpolate(rng):
    dims = int(rng.integers(1, 4))
    mode = _draw(rng, {1: ("nearest", "nearest-exact", "linear", "area"),
                       2: ("nearest", "nearest-exact", "bilinear", "bicubic", "area"),
                       3: ("nearest", "nearest-exact", "trilinear", "area")}[dims])
    if rng.random() < 0.05:
        mode = _draw(rng, ("linear", "bilinear", "bicubic", "trilinear", "bogus"))
    x = _operand(rng, (_draw(rng, (2, 2, 1, 0)), int(rng.integers(1, 4))) + _sizes(rng, dims, 1, 7))
    kwargs = {"mode": mode}
    if rng.random() < 0.5:
        size = _sizes(rng, dims, 1, 10)
        kwargs["size"] = size[0] if dims == 1 or rng.random() < 0.3 else size
    else:
        scales = tuple(float(_draw(rng, (0.5, 1.5, 2.0, 3.0, 0.3, 1.7, 0.75, 1.0, 2.5))) for _ in range(dims))
        kwargs["scale_factor"] = scales if rng.random() < 0.6 else scales[0]
        if rng.random() < 0.4:
            kwargs["recompute_scale_factor"] = bool(rng.random() < 0.5)
    if mode in ("linear", "bilinear", "bicubic", "trilinear") and rng.random() < 0.5 or rng.random() < 0.05:
        kwargs["align_corners"] = bool(rng.random() < 0.5)
    if mode in ("bilinear", "bicubic") and rng.random() < 0.4 or rng.random() < 0.03:
        kwargs["antialias"] = True
    draw = rng.random()
    if draw < 0.04:
        kwargs["size"], kwargs["scale_factor"] = 3, 2.0
    elif draw < 0.07:
        kwargs.pop("size", None), kwargs.pop("scale_factor", None)
    return "interpolate", (x,), kwargs


def _pad(rng):
    dims = int(rng.integers(1, 4))
    mode = _draw(rng, ("constant", "constant", "reflect", "replicate", "circular"))
    shape = _lead(rng) + (int(rng.integers(1, 4)),) + _sizes(rng, dims, 1, 6)
    if mode == "constant" and rng.random() < 0.2:
        shape = _sizes(rng, int(rng.integers(1, 5)), 1, 5)
    pads = int(rng.integers(1, dims + 1 + (mode == "constant"))) * 2
    pad = _sizes(rng, pads, -2, 4)
    if mode == "circular":  # (a dimension cropped to nothing and padded again reads uninitialised memory)
        pad = tuple(max(p, -1) for p in pad)
        for axis in range(pads // 2):
            if shape[-1 - axis] + min(pad[2 * axis], 0) + min(pad[2 * axis + 1], 0) <= 0:
                pad = pad[:2 * axis] + (0, 0) + pad[2 * axis + 2:]
    kwargs = {"mode": mode}
    if mode == "constant" and rng.random() < 0.5:
        kwargs["value"] = float(rng.standard_normal())
    if rng.random() < 0.04:
        pad += (1,)
    requires_grad = False if mode == "reflect" else None  # (see the module's docstring)
    return "pad", (_operand(rng, shape, requires_grad=requires_grad), pad), kwargs


def _fold(rng):
    if rng.random() < 0.5:
        shape = _lead(rng) + (int(rng.integers(1, 4)),) + _sizes(rng, 2, 1, 7)
        kwargs = {"kernel_size": _size_argument(rng, 2, 1, 3), "dilation": _size_argument(rng, 2, 1, 2),
                  "padding": _size_argument(rng, 2, 0, 2), "stride": _size_argument(rng, 2, 1, 3)}
        return "unfold", (_operand(rng, shape),), kwargs
    channels, kernel, stride = int(rng.integers(1, 3)), _sizes(rng, 2, 1, 3), _sizes(rng, 2, 1, 3)
    out = _sizes(rng, 2, 2, 6)
    blocks = math.prod((o - k) // s + 1 for o, k, s in zip(out, kernel, stride)) + (rng.random() < 0.1)
    x = _operand(rng, _lead(rng) + (channels * kernel[0] * kernel[1], blocks))
    return "fold", (x, out), {"kernel_size": kernel, "stride": stride}


def _pixel_shuffle(rng):
    factor = int(rng.integers(1, 4))
    if rng.random() < 0.1:
        factor = _draw(rng, (0, -1))
    if rng.random() < 0.5:
        channels = int(rng.integers(1, 3)) * factor * factor + (rng.random() < 0.1)
        return "pixel_shuffle", (_operand(rng, _lead(rng) + (channels,) + _sizes(rng, 2, 1, 4)), factor), {}
    shape = _lead(rng) + (int(rng.integers(1, 3)),) + tuple(abs(factor) * v for v in _sizes(rng, 2, 1, 4))
    return "pixel_unshuffle", (_operand(rng, shape), factor), {}


def _conv_transpose(rng):
    dims = int(rng.integers(1, 4))
    groups = _draw(rng, (1, 1, 2))
    in_channels, out_channels = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    dtype = _draw(rng, ("float32", "float32", "float64"))
    x = _operand(rng, _lead(rng) + (in_channels,) + _sizes(rng, dims, 1, 5), dtype=dtype)
    weight = _operand(rng, (in_channels, out_channels // groups) + _sizes(rng, dims, 1, 4), dtype, "contiguous")
    kwargs = {"groups": groups, "stride": _size_argument(rng, dims, 1, 3), "dilation": _size_argument(rng, dims, 1, 2)}
    if rng.random() < 0.5:
        kwargs["padding"] = _size_argument(rng, dims, 0, 2)
    if rng.random() < 0.5:
        kwargs["output_padding"] = _size_argument(rng, dims, 0, 2)
    if rng.random() < 0.5:
        kwargs["bias"] = _operand(rng, (out_channels,), dtype, "contiguous")
    return f"conv_transpose{dims}d", (x, weight), kwargs


def _normalization(rng):
    which = _draw(rng, ("batch", "instance", "group", "layer", "local_response"))
    channels = _draw(rng, (1, 2, 3, 4, 6))
    shape = (_draw(rng, (2, 2, 1, 3, 0)), channels) + _sizes(rng, int(rng.integers(0, 4)), 1, 5)
    dtype = _draw(rng, ("float32", "float32", "float64"))
    x = _operand(rng, shape, dtype)

    def per_channel(requires_grad=None, size=channels):
        return _operand(rng, (size + (rng.random() < 0.05),), dtype, "contiguous", requires_grad)

    def variance():
        return _Operand(rng.random(channels) + 0.5, dtype, "contiguous", False)

    affine = {"weight": per_channel(), "bias": per_channel()} if rng.random() < 0.5 else {}
    if which == "batch":
        stats = (per_channel(False), variance()) if rng.random() < 0.8 else (None, None)
        kwargs = {"training": bool(rng.random() < 0.6), "momentum": _draw(rng, (0.1, 0.3)),
                  "eps": _draw(rng, (1e-5, 1e-3)), **affine}
        return "batch_norm", (x,) + stats, kwargs
    if which == "instance":
        kwargs = dict(affine)
        if rng.random() < 0.4:
            kwargs.update(running_mean=per_channel(False), running_var=variance(),
                          use_input_stats=bool(rng.random() < 0.7))
        return "instance_norm", (x,), kwargs
    if which == "group":
        if x.layout == "channels_last":  # (see the module's docstring)
            x.requires_grad = True
        return "group_norm", (x, _draw(rng, (1, 2, 3))), affine
    if which == "layer":
        normalized = shape[-int(rng.integers(1, len(shape) + 1)):]
        kwargs = {}
        for name in ("weight", "bias"):
            if rng.random() < 0.5:
                kwargs[name] = _operand(rng, normalized, dtype, "contiguous")
        return "layer_norm", (x, normalized if rng.random() < 0.7 else list(normalized)), kwargs
    kwargs = {"alpha": _draw(rng, (1e-4, 0.1)), "beta": _draw(rng, (0.75, 0.5)), "k": _draw(rng, (1.0, 2.0))}
    return "local_response_norm", (x, int(rng.integers(1, 5))), kwargs


def _dropout(rng):
    which = _draw(rng, ("dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout", "dropout"))
    x = _operand(rng, _sizes(rng, int(rng.integers(1, 6)), 0, 4))
    return which, (x,), {"training": False, "p": _draw(rng, (0.0, 0.5, 1.0, 1.5))}


def _cross_entropy(rng):
    classes, batch = int(rng.integers(1, 5)), _draw(rng, (3, 1, 0, None))
    spatial = _sizes(rng, int(rng.integers(0, 3)) if batch is not None else 0, 1, 4)
    lead = () if batch is None else (batch,)
    dtype = _draw(rng, ("float32", "float32", "float64"))
    which = _draw(rng, ("cross_entropy", "cross_entropy", "nll_loss"))
    kwargs = {}
    if which == "cross_entropy" and rng.random() < 0.3:  # class probabilities
        p = rng.random(lead + (classes,) + spatial)
        target = _Operand(p / p.sum(axis=0 if batch is None else 1, keepdims=True), dtype, "contiguous", False)
    else:
        labels = rng.integers(0, classes, size=lead + spatial)
        if rng.random() < 0.3:
            kwargs["ignore_index"] = _draw(rng, (0, -100, 1, classes - 1))
            labels = np.where(rng.random(labels.shape) < 0.3, kwargs["ignore_index"], labels)
        if labels.size and rng.random() < 0.05:
            labels.flat[0] = classes + 2
        target = _Operand(labels, "int64", "contiguous", False)
    if rng.random() < 0.4:
        kwargs["weight"] = _Operand(rng.random(classes + (rng.random() < 0.05)) + 0.1, dtype, "contiguous",
                                    bool(rng.random() < 0.3))
    if rng.random() < 0.5:
        kwargs["reduction"] = _draw(rng, ("none", "sum", "mean"))
    if which == "cross_entropy" and rng.random() < 0.4:
        kwargs["label_smoothing"] = _draw(rng, (0.1, 0.5, 1.0, -0.1))
    return which, (_operand(rng, lead + (classes,) + spatial, dtype), target), kwargs


def _embedding(rng):
    rows, width = int(rng.integers(1, 8)), int(rng.integers(1, 5))
    indices = _Operand(rng.integers(0, rows, size=_sizes(rng, int(rng.integers(0, 3)), 0, 4)), "int64",
                       "contiguous", False)
    kwargs = {}
    if rng.random() < 0.4:
        kwargs["padding_idx"] = int(rng.integers(-rows - 1, rows + 1))
    if rng.random() < 0.3:  # renormalised in place: a weight without grad, as PyTorch wants it
        kwargs["max_norm"], kwargs["norm_type"] = _draw(rng, (0.5, 1.0, 2.0)), _draw(rng, (2.0, 1.0, 3.0))
        weight = _Operand(rng.standard_normal((rows, width)), "float32", "contiguous", False)
    else:
        weight = _operand(rng, (rows, width), _draw(rng, ("float32", "float64")), "contiguous")
    if rng.random() < 0.2:
        kwargs["scale_grad_by_freq"] = True
    return "embedding", (indices, weight), kwargs


def _grid_sample(rng):
    dims = _draw(rng, (2, 2, 3))
    batch, channels = _draw(rng, (1, 2, 0)), int(rng.integers(1, 3))
    dtype = _draw(rng, ("float32", "float64"))
    if rng.random() < 0.3:
        theta = _operand(rng, (batch, dims, dims + 1), dtype, "contiguous")
        size = [batch, channels] + list(_sizes(rng, dims, 1, 5))
        return "affine_grid", (theta, size), {"align_corners": bool(rng.random() < 0.5)}
    x = _operand(rng, (batch, channels) + _sizes(rng, dims, 1, 5), dtype)
    grid_shape = (batch,) + _sizes(rng, dims, 1, 4) + (dims,)
    grid = _operand(rng, grid_shape, dtype, values=rng.uniform(-1.3, 1.3, grid_shape))
    kwargs = {"mode": _draw(rng, ("bilinear", "nearest", "bicubic") if dims == 2 else ("bilinear", "nearest")),
              "padding_mode": _draw(rng, ("zeros", "border", "reflection")),
              "align_corners": bool(rng.random() < 0.5)}
    return "grid_sample", (x, grid), kwargs


_FAMILIES = {
    "max_pool": (_max_pool, 90), "max_pool_channels_last": (_max_pool_channels_last, 120),
    "avg_pool": (_avg_pool, 70), "lp_pool": (_lp_pool, 50), "adaptive_pool": (_adaptive_pool, 70),
    "interpolate": (_interpolate, 90), "pad": (_pad, 80), "fold": (_fold, 50), "pixel_shuffle": (_pixel_shuffle, 40),
    "conv_transpose": (_conv_transpose, 60), "normalization": (_normalization, 80), "dropout": (_dropout, 30),
    "cross_entropy": (_cross_entropy, 80), "embedding": (_embedding, 50), "grid_sample": (_grid_sample, 50),
}

_TOLERANCES = {"float32": 2e-5, "float64": 1e-10, "float16": 2e-3}


def _name(dtype):
    return str(dtype).rsplit(".", 1)[-1]


def _numpy(tensor):
    tensor = tensor.detach()
    return (tensor.float() if _name(tensor.dtype) == "float16" else tensor).numpy()


def _call(lib, name, args, kwargs):
    args, kwargs = _built(lib, args), _built(lib, kwargs)
    try:
        out = getattr(lib.nn.functional, name)(*args, **kwargs)
    except Exception as error:  # noqa: BLE001  (the type and message are compared)
        return ("error", type(error).__name__, str(error).replace("torchless", "torch")), args, kwargs
    return ("ok", out if isinstance(out, tuple) else (out,)), args, kwargs


def _leaves(*values):
    found = []
    for value in values:
        if isinstance(value, (tuple, list)):
            found += _leaves(*value)
        elif isinstance(value, dict):
            found += _leaves(*value.values())
        elif getattr(value, "requires_grad", False) and value.is_leaf:
            found.append(value)
    return found


def _compare(torch, name, args, kwargs):
    """The first difference between the two libraries' call, or None."""
    (theirs, t_args, t_kwargs), (ours, l_args, l_kwargs) = (_call(lib, name, args, kwargs)
                                                            for lib in (torch, torchless))
    if theirs[0] == "error" or ours[0] == "error":
        return None if theirs == ours else f"outcome {theirs[:3] if theirs[0] == 'error' else 'ok'} vs " \
                                           f"{ours[:3] if ours[0] == 'error' else 'ok'}"
    if len(theirs[1]) != len(ours[1]):
        return "number of outputs"
    for i, (a, b) in enumerate(zip(theirs[1], ours[1])):
        if tuple(a.shape) != tuple(b.shape) or _name(a.dtype) != _name(b.dtype):
            return f"output {i}: {tuple(a.shape)} {a.dtype} vs {tuple(b.shape)} {b.dtype}"
        if a.numel() > 1 and a.stride() != b.stride():
            return f"output {i} strides {a.stride()} vs {b.stride()}"
        if a.requires_grad != b.requires_grad:
            return f"output {i} requires_grad"
        tol = _TOLERANCES.get(_name(a.dtype), 0)
        if not np.allclose(_numpy(a), _numpy(b), rtol=tol, atol=tol, equal_nan=True):
            return f"output {i} values"
    first_t, first_l = theirs[1][0], ours[1][0]
    if not (first_t.requires_grad and first_t.dtype.is_floating_point):
        return None
    grad = np.random.default_rng(1).standard_normal(tuple(first_t.shape))
    outcomes = []
    for lib, out in ((torch, first_t), (torchless, first_l)):
        try:
            out.backward(lib.tensor(grad, dtype=out.dtype))
            outcomes.append(None)
        except Exception as error:  # noqa: BLE001
            outcomes.append((type(error).__name__, str(error).replace("torchless", "torch")))
    if outcomes[0] != outcomes[1] or outcomes[0]:
        return None if outcomes[0] == outcomes[1] else f"backward {outcomes}"
    for i, (a, b) in enumerate(zip(_leaves(t_args, t_kwargs), _leaves(l_args, l_kwargs))):
        if (a.grad is None) != (b.grad is None):
            return f"gradient {i} missing"
        if a.grad is None:
            continue
        if a.grad.numel() > 1 and a.grad.stride() != b.grad.stride():
            return f"gradient {i} strides {a.grad.stride()} vs {b.grad.stride()}"
        tol = 5 * _TOLERANCES.get(_name(a.dtype), 0)
        if not np.allclose(_numpy(a.grad), _numpy(b.grad), rtol=tol, atol=tol, equal_nan=True):
            return f"gradient {i} values"
    return None


@pytest.mark.parametrize("family", sorted(_FAMILIES))
def test_fuzz_against_torch(family):
    torch = pytest.importorskip("torch")
    generate, count = _FAMILIES[family]
    rng = np.random.default_rng(sum(map(ord, family)))
    differences = []
    for _ in range(count):
        name, args, kwargs = generate(rng)
        with warnings.catch_warnings():  # (deprecation warnings of some calls: not what is compared here)
            warnings.simplefilter("ignore")
            difference = _compare(torch, name, args, kwargs)
        if difference:
            differences.append(f"F.{name}{args!r} {kwargs!r}: {difference}")
    assert not differences, "\n".join(differences[:10])


def test_channels_last_3d_max_pool_gradient_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = _mostly_minus_inf(rng, (2, 19, 3, 3, 2), "float64")
    grad = rng.standard_normal((2, 19, 4, 2, 2))
    results = []
    for lib in (torch, torchless):
        tensor = lib.tensor(x, dtype=lib.float32).contiguous(memory_format=lib.channels_last_3d).requires_grad_()
        out, idx = lib.nn.functional.max_pool3d(tensor, (2, 2, 1), (1, 2, 1), (1, 0, 0), ceil_mode=True,
                                                return_indices=True)
        out.backward(lib.tensor(grad, dtype=lib.float32))
        results.append((idx.numpy(), tensor.grad.numpy(), tensor.grad.stride()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)
    assert results[0][2] == results[1][2]
