"""Parity regressions (session 39): a differential fuzz of the CNN surface against torch 2.13.0, and the
differences it found, each fixed in torchless and kept here.

The fuzzer draws wider argument spaces than the earlier ones (test_parity_fuzz_cnn.py, conv33's): combinations of
odd values (NumPy integers and bools as sizes, one-element and too-long tuples, paddings beyond the kernel, windows
larger than the input, empty batches and spatial dims, float16/bfloat16/int/bool inputs, operands of two dtypes,
weights of the wrong rank), every padding mode, interpolation with sizes and scale factors together, the norms'
running statistics after the call, seeded dropout masks, the CNN losses with every reduction and malformed
targets, and the modules' reprs, state_dict keys and seeded parameters. Each case compares output values, dtypes,
shapes and strides, the gradients of every input (and double backward where drawn), and the type and message of
each error. The file runs a reduced, seeded form of it; ``python tests/test_parity_regressions_cnnfuzz39.py N``
runs N cases per area and prints the differences by kind.
"""
import sys
import warnings

import numpy as np
import pytest

import torchless

_LAYOUTS = ("contiguous", "contiguous", "contiguous", "channels_last", "transposed", "sliced", "expanded")


# ---------------------------------------------------------------------------- drawing
def _draw(rng, choices):
    return choices[int(rng.integers(len(choices)))]


def _odd_int(rng, value):
    """``value`` as an int, sometimes a NumPy integer (PyTorch's parsers take both)."""
    return np.int64(value) if rng.random() < 0.1 else int(value)


def _size(rng, dims, low, high, odd=0.0):
    """An int, a tuple or a list of ``dims`` ints in [low, high]; with probability ``odd``, a malformed one."""
    if rng.random() < odd:
        return _draw(rng, ((), (1,) * (dims + 1), -1, 0, 2.0, (2.5,) * dims, "2", True, (low,), [low] * dims))
    if rng.random() < 0.45:
        return _odd_int(rng, rng.integers(low, high + 1))
    values = tuple(_odd_int(rng, rng.integers(low, high + 1)) for _ in range(dims))
    return values if rng.random() < 0.75 else list(values)


def _per_dim(value, dims, default):
    if value is None:
        return [default] * dims
    if isinstance(value, (tuple, list)):
        return list(value) * dims if len(value) == 1 else list(value)
    return [value] * dims


def _operand(rng, shape, dtype="float32", layout=None, requires_grad=True, values=None):
    """What both libraries build the same tensor from: values, dtype name, layout, whether it requires grad."""
    if values is None:
        if dtype in ("int64", "int32", "uint8"):
            values = rng.integers(0 if dtype == "uint8" else -3, 4, size=shape)
        elif dtype == "bool":
            values = rng.random(shape) < 0.5
        else:
            values = rng.standard_normal(shape)
    floating = dtype.startswith("float") or dtype == "bfloat16"
    return values, dtype, layout or _draw(rng, _LAYOUTS), requires_grad and floating


def _built(lib, operand):
    values, dtype, layout, requires_grad = operand
    tensor = lib.tensor(values, dtype=getattr(lib, dtype))
    if layout == "channels_last" and tensor.dim() in (4, 5):
        tensor = tensor.contiguous(memory_format=lib.channels_last if tensor.dim() == 4 else lib.channels_last_3d)
    elif layout == "transposed" and tensor.dim() >= 2:
        tensor = tensor.transpose(-1, -2).contiguous().transpose(-1, -2)
    elif layout == "sliced" and tensor.dim() >= 1:
        tensor = lib.cat([tensor, tensor], -1)[..., ::2]
    elif layout == "expanded" and tensor.dim() >= 1 and tensor.shape[0] >= 1:
        tensor = tensor[:1].expand(*tensor.shape)
    return tensor.requires_grad_() if requires_grad else tensor


def _float_dtype(rng, low_precision=0.04):
    draw = rng.random()
    if draw < low_precision:
        return _draw(rng, ("float16", "bfloat16"))
    return "float64" if draw < 0.25 else "float32"


class _Case:
    """A call drawn for both libraries: ``call(lib, *tensors)``, its operands, and how to compare it."""

    def __init__(self, call, operands, seed=None, double=False, grad=True):
        self.call, self.operands, self.seed, self.double, self.grad = call, operands, seed, double, grad


# ---------------------------------------------------------------------------- convolutions
def _conv(rng):
    dims = int(rng.integers(1, 4))
    transposed = rng.random() < 0.4
    groups = _draw(rng, (1, 1, 1, 2, 3, 4))
    in_channels = groups * int(rng.integers(0 if rng.random() < 0.04 else 1, 3))
    out_per_group = int(rng.integers(1, 3))
    kernel = tuple(int(rng.integers(1, 5)) for _ in range(dims))
    size = tuple(int(rng.integers(0 if rng.random() < 0.03 else 1, 8)) for _ in range(dims))
    batch = _draw(rng, (1, 0, None, 3)) if rng.random() < 0.35 else 2
    dtype = _draw(rng, ("float32",) * 6 + ("float64", "float64", "int64", "bool", "float16", "bfloat16"))
    kwargs = {}
    if rng.random() < 0.6:
        kwargs["stride"] = _size(rng, dims, 1, 3, odd=0.08)
    if rng.random() < 0.5:
        kwargs["dilation"] = _size(rng, dims, 1, 3, odd=0.08)
    if transposed:
        weight_shape = (in_channels, out_per_group) + kernel
        if rng.random() < 0.5:
            kwargs["padding"] = _size(rng, dims, 0, 3, odd=0.08)
        if rng.random() < 0.4:
            kwargs["output_padding"] = _size(rng, dims, 0, 2, odd=0.05)
    else:
        weight_shape = (out_per_group * groups, in_channels // groups) + kernel
        if rng.random() < 0.3:
            kwargs["padding"] = _draw(rng, ("same", "valid", "same", "SAME", "full", ""))
        elif rng.random() < 0.5:
            kwargs["padding"] = _size(rng, dims, 0, 4, odd=0.08)
    if rng.random() < 0.04:
        weight_shape = weight_shape[:-1] if rng.random() < 0.5 else weight_shape + (1,)
    if rng.random() < 0.04:
        weight_shape = (weight_shape[0], weight_shape[1] + 1) + weight_shape[2:]
    if groups != 1 or rng.random() < 0.05:
        kwargs["groups"] = groups if rng.random() < 0.93 else _draw(rng, (0, -1, 5, np.int64(groups)))
    input_shape = (() if batch is None else (batch,)) + (in_channels,) + size
    if rng.random() < 0.03:
        input_shape = input_shape[1:] if rng.random() < 0.5 else input_shape + (2,)
    out_channels = out_per_group * groups
    bias_shape = (out_channels + (rng.random() < 0.03),) if rng.random() < 0.97 else (1, out_channels)
    weight_dtype = dtype if rng.random() < 0.94 else _draw(rng, ("float64", "float32", "int64", "float16"))
    bias_dtype = weight_dtype if rng.random() < 0.95 else _draw(rng, ("float64", "float32"))
    bias = _operand(rng, bias_shape, bias_dtype, "contiguous") if rng.random() < 0.7 else None
    name = ("conv_transpose%dd" if transposed else "conv%dd") % dims
    positional = rng.random() < 0.2 and not transposed and isinstance(kwargs.get("padding", 0), (int, tuple))

    def call(lib, x, w, b):
        function = getattr(lib.nn.functional, name)
        if positional:
            return function(x, w, b, kwargs.get("stride", 1), kwargs.get("padding", 0), kwargs.get("dilation", 1),
                            kwargs.get("groups", 1))
        return function(x, w, b, **kwargs)

    operands = [_operand(rng, input_shape, dtype), _operand(rng, weight_shape, weight_dtype), bias]
    return _Case(call, operands, double=rng.random() < 0.2)


def _conv_module(rng):
    dims = int(rng.integers(1, 4))
    transposed = rng.random() < 0.35
    groups = _draw(rng, (1, 1, 2, 3))
    in_channels, out_channels = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    kernel = _size(rng, dims, 1, 4)
    options = {}
    if rng.random() < 0.3:
        options["bias"] = False
    if rng.random() < 0.5:
        options["stride"] = _size(rng, dims, 1, 3)
    if rng.random() < 0.4:
        options["dilation"] = _size(rng, dims, 1, 2)
    if rng.random() < 0.7:
        options["padding"] = (_draw(rng, ("same", "valid")) if not transposed and rng.random() < 0.35
                              else _size(rng, dims, 0, 3))
    if rng.random() < 0.7:
        options["padding_mode"] = _draw(rng, ("zeros", "reflect", "replicate", "circular", "symmetric"))
    if transposed and rng.random() < 0.3:
        options["output_padding"] = _size(rng, dims, 0, 1)
    if groups != 1:
        options["groups"] = groups
    dtype = _float_dtype(rng)
    batched = rng.random() < 0.75
    channels = in_channels if rng.random() < 0.95 else in_channels + 1
    size = tuple(int(rng.integers(1, 8)) for _ in range(dims))
    input_shape = ((_draw(rng, (2, 1, 0)),) if batched else ()) + (channels,) + size
    seed = int(rng.integers(1 << 30))
    extra_output = int(rng.integers(-1, 3)) if transposed and rng.random() < 0.3 else None
    name = ("ConvTranspose%dd" if transposed else "Conv%dd") % dims

    def call(lib, x):
        lib.manual_seed(seed)
        module = getattr(lib.nn, name)(in_channels, out_channels, kernel, dtype=getattr(lib, dtype), **options)
        state = [(key, tuple(value.shape), value.detach().clone()) for key, value in module.state_dict().items()]
        description = (repr(module), module.extra_repr(), [k for k, _, _ in state], [s for _, s, _ in state])
        if extra_output is None:
            out = module(x)
        else:
            natural = module(x.detach()).shape[2 if batched else 1:]
            out = module(x, output_size=[n + extra_output for n in natural])
        return (out, description) + tuple(value for _, _, value in state)

    return _Case(call, [_operand(rng, input_shape, dtype)])


# ---------------------------------------------------------------------------- pooling
def _window_wholly_in_padding(size, kernel, stride, padding, dilation, ceil_mode):
    """Whether a max pooling window reads the padding alone: PyTorch's backward then writes out of bounds."""
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation):
        if not (isinstance(s, (int, np.integer)) and s > 0):
            continue
        span = n + 2 * p - d * (k - 1) - 1
        out = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (out - 1) * s >= n + p:
            out -= 1
        if any(all(not 0 <= i * s - p + j * d < n for j in range(k)) for i in range(out)):
            return True
    return False


def _pool(rng):
    dims = int(rng.integers(1, 4))
    kind = _draw(rng, ("max", "avg", "max", "avg", "lp"))
    kernel = _size(rng, dims, 1, 5, odd=0.06)
    kwargs = {}
    if rng.random() < 0.6:
        kwargs["stride"] = _size(rng, dims, 1, 4, odd=0.06) if rng.random() < 0.9 else _draw(rng, (None, [], ()))
    if kind != "lp" and rng.random() < 0.6:
        kwargs["padding"] = _size(rng, dims, 0, 3, odd=0.03)
    if rng.random() < 0.4:
        kwargs["ceil_mode"] = True
    if kind == "max":
        if rng.random() < 0.4:
            kwargs["dilation"] = _size(rng, dims, 1, 3, odd=0.04)
        if rng.random() < 0.4:
            kwargs["return_indices"] = True
    elif kind == "avg":
        if rng.random() < 0.4:
            kwargs["count_include_pad"] = False
        if dims > 1 and rng.random() < 0.3:
            kwargs["divisor_override"] = _draw(rng, (0, -1, 1, 2, 3, 5, None))
    size = tuple(int(rng.integers(0 if rng.random() < 0.03 else 1, 9)) for _ in range(dims))
    channels = int(rng.integers(0 if rng.random() < 0.04 else 1, 4))
    shape = ((_draw(rng, (2, 2, 1, 0)),) if rng.random() < 0.8 else ()) + (channels,) + size
    if rng.random() < 0.03:
        shape = shape + (2,) if rng.random() < 0.5 else shape[1:]
    dtype = _draw(rng, ("float32",) * 5 + ("float64", "float64", "int64", "bool", "bfloat16", "float16"))
    operand = _operand(rng, shape, dtype)
    if kind == "lp":
        norm_type = _draw(rng, (1, 2, 3, 1.5, float("inf"), 2.0, 0.5))
        if dtype.startswith("float"):
            operand = (np.abs(operand[0]) + 0.1,) + operand[1:]
    elif dtype.startswith("float") and rng.random() < 0.35:  # ties, infinities and NaNs
        values = np.round(operand[0])
        if values.size and rng.random() < 0.5:
            values.reshape(-1)[int(rng.integers(values.size))] = _draw(rng, (np.nan, np.inf, -np.inf))
        operand = (values,) + operand[1:]
    if kind == "max":
        try:
            wholly = _window_wholly_in_padding(
                size, _per_dim(kernel, dims, 1), _per_dim(kwargs.get("stride") or kernel, dims, 1),
                _per_dim(kwargs.get("padding"), dims, 0), _per_dim(kwargs.get("dilation"), dims, 1),
                kwargs.get("ceil_mode", False))
        except (TypeError, ValueError):
            wholly = False
        if wholly:
            operand = operand[:3] + (False,)
    name = "%s_pool%dd" % (kind, dims)

    def call(lib, x):
        if kind == "lp":
            return getattr(lib.nn.functional, name)(x, norm_type, kernel, **kwargs)
        return getattr(lib.nn.functional, name)(x, kernel, **kwargs)

    return _Case(call, [operand], double=kind == "avg" and rng.random() < 0.2)


def _adaptive(rng):
    dims = int(rng.integers(1, 4))
    kind = _draw(rng, ("max", "avg"))
    draw = rng.random()
    if draw < 0.35:
        output_size = _odd_int(rng, rng.integers(0 if rng.random() < 0.1 else 1, 6))
    elif draw < 0.95:
        output_size = tuple(None if rng.random() < 0.25 else int(rng.integers(1, 7)) for _ in range(dims))
        if rng.random() < 0.2:
            output_size = list(output_size)
    else:
        output_size = _draw(rng, ((1,) * (dims + 1), (), None, -1, (2.0,) * dims, [None] * dims))
    size = tuple(int(rng.integers(0 if rng.random() < 0.03 else 1, 9)) for _ in range(dims))
    shape = ((_draw(rng, (2, 1, 0)),) if rng.random() < 0.8 else ()) + (int(rng.integers(1, 3)),) + size
    kwargs = {"return_indices": True} if kind == "max" and rng.random() < 0.4 else {}
    name = "adaptive_%s_pool%dd" % (kind, dims)
    dtype = _draw(rng, ("float32", "float32", "float64", "int64", "bfloat16"))

    def call(lib, x):
        return getattr(lib.nn.functional, name)(x, output_size, **kwargs)

    return _Case(call, [_operand(rng, shape, dtype)], double=kind == "avg" and rng.random() < 0.3)


def _fractional(rng):
    dims = _draw(rng, (2, 3))
    batch = _draw(rng, (2, 1, None))
    shape = (() if batch is None else (batch,)) + (2,) + tuple(int(rng.integers(2, 9)) for _ in range(dims))
    dtype = "float64" if rng.random() < 0.4 else "float32"
    kernel = _size(rng, dims, 1, 4, odd=0.04)
    kwargs = {"return_indices": rng.random() < 0.4}
    draw = rng.random()
    if draw < 0.45:
        kwargs["output_size"] = _size(rng, dims, 1, 5, odd=0.05)
    elif draw < 0.95:
        kwargs["output_ratio"] = _draw(rng, (0.5, 0.7, (0.5, 0.6, 0.9)[:dims], 1.0, 0.0, 1.5, [0.5] * dims))
    else:
        kwargs.update(output_size=2, output_ratio=0.5)
    seeded = rng.random() < 0.5
    samples_shape = (batch or 1, 2 + (rng.random() < 0.05), dims)
    samples = (rng.random(samples_shape), dtype, "contiguous", False)
    name = "fractional_max_pool%dd" % dims

    def call(lib, x, random_samples):
        if seeded:
            return getattr(lib.nn.functional, name)(x, kernel, **kwargs)
        return getattr(lib.nn.functional, name)(x, kernel, _random_samples=random_samples, **kwargs)

    return _Case(call, [_operand(rng, shape, dtype), samples], seed=int(rng.integers(1 << 30)))


def _unpool(rng):
    dims = int(rng.integers(1, 4))
    kernel, stride = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    padding = int(rng.integers(0, kernel // 2 + 1))
    size = tuple(int(rng.integers(kernel, 8)) for _ in range(dims))
    shape = ((2,) if rng.random() < 0.8 else ()) + (2,) + size
    extra = int(rng.integers(-1, 3)) if rng.random() < 0.5 else None
    with_batch = rng.random() < 0.5
    module = rng.random() < 0.3
    unpool_kernel = _size(rng, dims, 1, 3) if rng.random() < 0.2 else kernel
    unpool_stride = _draw(rng, (None, 1, 2, 3)) if rng.random() < 0.3 else stride
    unpool_padding = int(rng.integers(0, 2)) if rng.random() < 0.3 else padding
    index_dtype = _draw(rng, ("int64",) * 8 + ("int32", "float32"))

    def call(lib, x):
        functional = lib.nn.functional
        pooled, indices = getattr(functional, "max_pool%dd" % dims)(x, kernel, stride, padding, return_indices=True)
        pooled = pooled.detach().requires_grad_()
        indices = indices.to(getattr(lib, index_dtype))
        kwargs = {}
        if extra is not None:
            output_size = [n + extra for n in size]
            kwargs["output_size"] = list(x.shape[:-dims]) + output_size if with_batch else output_size
        if module:
            unpool = getattr(lib.nn, "MaxUnpool%dd" % dims)(unpool_kernel, unpool_stride, unpool_padding)
            return unpool(pooled, indices, **kwargs), repr(unpool)
        return getattr(functional, "max_unpool%dd" % dims)(pooled, indices, unpool_kernel, unpool_stride,
                                                           unpool_padding, **kwargs)

    return _Case(call, [_operand(rng, shape, _float_dtype(rng, 0), "contiguous", False)], grad=False)


def _fold(rng):
    kernel = _size(rng, 2, 1, 3, odd=0.05)
    kwargs = {}
    for name, low in (("dilation", 1), ("padding", 0), ("stride", 1)):
        if rng.random() < 0.5:
            kwargs[name] = _size(rng, 2, low, low + 2, odd=0.05)
    dtype = _float_dtype(rng)
    batch = (_draw(rng, (2, 1, 0)),) if rng.random() < 0.8 else ()
    module = rng.random() < 0.3
    if rng.random() < 0.5:
        shape = batch + (2,) + tuple(int(rng.integers(0 if rng.random() < 0.03 else 1, 7)) for _ in range(2))
        if rng.random() < 0.05:
            shape = shape + (2,)

        def unfold(lib, x):
            if module:
                layer = lib.nn.Unfold(kernel, **kwargs)
                return layer(x), repr(layer)
            return lib.nn.functional.unfold(x, kernel, **kwargs)

        return _Case(unfold, [_operand(rng, shape, dtype)], double=rng.random() < 0.2)
    output_size = tuple(int(rng.integers(1, 7)) for _ in range(2))
    try:
        k, d = _per_dim(kernel, 2, 1), _per_dim(kwargs.get("dilation"), 2, 1)
        p, s = _per_dim(kwargs.get("padding"), 2, 0), _per_dim(kwargs.get("stride"), 2, 1)
        blocks = int(np.prod([max(0, (o + 2 * pi - di * (ki - 1) - 1) // si + 1)
                              for o, ki, di, pi, si in zip(output_size, k, d, p, s)]))
        channels = 2 * int(k[0]) * int(k[1])
    except (TypeError, ValueError, ZeroDivisionError, IndexError):  # (malformed arguments: any shape will do)
        blocks, channels = 4, 4
    shape = batch + (max(channels, 0) + (rng.random() < 0.05), max(blocks, 0) + (rng.random() < 0.08))
    size_argument = output_size if rng.random() < 0.7 else _draw(rng, (output_size[0], list(output_size),
                                                                        output_size + (1,)))

    def fold(lib, x):
        if module:
            layer = lib.nn.Fold(size_argument, kernel, **kwargs)
            return layer(x), repr(layer)
        return lib.nn.functional.fold(x, size_argument, kernel, **kwargs)

    return _Case(fold, [_operand(rng, shape, dtype)], double=rng.random() < 0.2)


# ---------------------------------------------------------------------------- pad, interpolate, shuffles
def _pad(rng):
    mode = _draw(rng, ("constant", "constant", "reflect", "replicate", "circular", "zeros", "Reflect"))
    rank = int(rng.integers(1, 7))
    shape = tuple(int(rng.integers(0 if rng.random() < 0.05 else 1, 6)) for _ in range(rank))
    pairs = int(rng.integers(1, 4)) if rng.random() < 0.9 else int(rng.integers(4, 5))
    pad = [int(rng.integers(-3, 5)) if rng.random() < 0.3 else int(rng.integers(0, 3)) for _ in range(2 * pairs)]
    if rng.random() < 0.04:
        pad = pad[:-1]
    pad = tuple(pad) if rng.random() < 0.7 else pad
    kwargs = {"mode": mode} if mode != "constant" or rng.random() < 0.5 else {}
    if rng.random() < 0.3:
        kwargs["value"] = _draw(rng, (1.5, -2, 0.0, None, float("nan"), True))
    dtype = _draw(rng, ("float32",) * 4 + ("float64", "int64", "bool", "bfloat16", "uint8"))
    module = rng.random() < 0.2 and mode in ("constant", "reflect", "replicate", "circular")
    pairs_given = list(zip(pad[0::2], pad[1::2]))
    if mode == "circular" and len(pad) % 2 == 0 and any(
            max(left, right) > n + min(left, right, 0) for (left, right), n in zip(pairs_given, shape[::-1])):
        # PyTorch's circular padding copies from outside what its negative pads kept: uninitialized memory
        pad = tuple(max(v, 0) for v in pad)
    sizes = [n + left + right for (left, right), n in zip(pairs_given, shape[::-1])]
    grad = mode not in ("reflect", "replicate") or all(n > 0 for n in sizes)  # (else PyTorch's gradient: np.empty)

    def call(lib, x):
        if module:
            name = {"constant": "ConstantPad%dd", "reflect": "ReflectionPad%dd", "replicate": "ReplicationPad%dd",
                    "circular": "CircularPad%dd"}[mode] % min(max(pairs, 1), 3)
            args = (list(pad[:2 * min(pairs, 3)]) if isinstance(pad, list) else tuple(pad[:2 * min(pairs, 3)]),)
            layer = getattr(lib.nn, name)(*(args + ((kwargs.get("value") or 0.5,) if mode == "constant" else ())))
            return layer(x), repr(layer)
        return lib.nn.functional.pad(x, pad, **kwargs)

    return _Case(call, [_operand(rng, shape, dtype)], double=rng.random() < 0.2, grad=grad)


_MODES = {1: ("nearest", "linear", "area", "nearest-exact"), 2: ("nearest", "bilinear", "bicubic", "area",
                                                                  "nearest-exact"),
          3: ("nearest", "trilinear", "area", "nearest-exact")}


def _interpolate(rng):
    dims = int(rng.integers(1, 4))
    rank = dims + 2 if rng.random() < 0.93 else _draw(rng, (dims + 1, dims + 3, 2))
    mode = _draw(rng, _MODES[dims]) if rng.random() < 0.93 else _draw(rng, ("linear", "bilinear", "bicubic",
                                                                            "trilinear", "cubic"))
    size = tuple(int(rng.integers(0 if rng.random() < 0.02 else 1, 7)) for _ in range(max(rank - 2, 0)))
    shape = (_draw(rng, (2, 1, 0)) if rng.random() < 0.3 else 2, int(rng.integers(1, 3)))[:rank] + size
    kwargs = {}
    draw = rng.random()
    if draw < 0.4:
        kwargs["size"] = _size(rng, dims, 0 if rng.random() < 0.03 else 1, 9, odd=0.03)
    elif draw < 0.95:
        if rng.random() < 0.5:
            kwargs["scale_factor"] = _draw(rng, (0.5, 1.5, 2, 2.0, 0.3, 1.0, 3, 0.75, 1.7, 0.0, -1.0))
        else:
            kwargs["scale_factor"] = tuple(_draw(rng, (0.5, 1.5, 2, 0.3, 1.0, 2.5)) for _ in range(dims))
        if rng.random() < 0.4:
            kwargs["recompute_scale_factor"] = _draw(rng, (True, False, None))
    elif draw < 0.98:
        kwargs.update(size=3, scale_factor=2)
    if mode in ("linear", "bilinear", "bicubic", "trilinear") and rng.random() < 0.5:
        kwargs["align_corners"] = bool(rng.random() < 0.5)
    elif rng.random() < 0.05:
        kwargs["align_corners"] = True
    if mode in ("bilinear", "bicubic") and rng.random() < 0.4 or rng.random() < 0.03:
        kwargs["antialias"] = True
    dtype = _draw(rng, ("float32",) * 5 + ("float64", "float64", "uint8", "int64", "bfloat16", "float16"))
    variant = _draw(rng, ("interpolate",) * 6 + ("upsample", "Upsample", "upsample_nearest", "upsample_bilinear"))

    def call(lib, x):
        functional = lib.nn.functional
        if variant == "Upsample":
            layer = lib.nn.Upsample(mode=mode, **{k: v for k, v in kwargs.items()
                                                  if k in ("size", "scale_factor", "align_corners",
                                                           "recompute_scale_factor")})
            return layer(x), repr(layer)
        if variant in ("upsample_nearest", "upsample_bilinear"):
            return getattr(functional, variant)(x, kwargs.get("size"), kwargs.get("scale_factor"))
        return getattr(functional, variant)(x, mode=mode, **kwargs)

    return _Case(call, [_operand(rng, shape, dtype)], double=rng.random() < 0.15)


def _shuffle(rng):
    kind = _draw(rng, ("pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "PixelShuffle", "PixelUnshuffle",
                       "ChannelShuffle"))
    factor = _draw(rng, (1, 2, 2, 3, 0, -1, 2.0, np.int64(2)))
    rank = int(rng.integers(1, 7))
    shape = [int(rng.integers(1, 4)) for _ in range(rank)]
    lower = kind.lower()
    if "unshuffle" in lower and rank >= 2 and isinstance(factor, (int, np.integer)) and factor > 0:
        shape[-1] *= int(factor) if rng.random() < 0.9 else 1
        shape[-2] *= int(factor)
    elif "pixel" in lower and rank >= 3 and isinstance(factor, (int, np.integer)) and factor > 0:
        shape[-3] *= int(factor) ** 2 if rng.random() < 0.9 else 1
    elif "channel" in lower and rank >= 2 and isinstance(factor, (int, np.integer)) and factor > 0:
        shape[1] *= int(factor) if rng.random() < 0.9 else 1
    if rng.random() < 0.05 and rank >= 1:
        shape[0] = 0
    dtype = _draw(rng, ("float32", "float32", "float64", "int64", "bool"))

    def call(lib, x):
        if kind[0].isupper():
            layer = getattr(lib.nn, kind)(factor)
            return layer(x), repr(layer)
        return getattr(lib.nn.functional, kind)(x, factor)

    return _Case(call, [_operand(rng, tuple(shape), dtype)])


# ---------------------------------------------------------------------------- normalization
def _norm(rng):
    kind = _draw(rng, ("batch", "batch", "instance", "group", "layer", "lrn"))
    channels = int(rng.integers(1, 5))
    rank = int(rng.integers(2, 6)) if rng.random() < 0.95 else _draw(rng, (1, 6))
    shape = (_draw(rng, (2, 3, 1, 0)), channels) + tuple(int(rng.integers(1, 5)) for _ in range(rank - 2))
    shape = shape[:rank]
    dtype = _float_dtype(rng, 0.03)
    module = rng.random() < 0.5
    training = rng.random() < 0.6
    options = {}
    if rng.random() < 0.3:
        options["affine"] = False
    if kind in ("batch", "instance") and rng.random() < 0.3:
        options["track_running_stats"] = not (kind == "batch")
    if kind in ("batch", "instance") and rng.random() < 0.3:
        options["momentum"] = _draw(rng, (None, 0.5, 0.0, 1.0))
    if rng.random() < 0.2:
        options["eps"] = _draw(rng, (1e-3, 0.0, 1.0))
    groups = _draw(rng, (1, channels, 2, 3))
    normalized = tuple(shape[-int(rng.integers(1, min(rank, 3) + 1)):]) if rank >= 1 else ()
    lrn_size = int(rng.integers(1, 6))
    weight = (rng.standard_normal(channels if kind != "layer" else normalized), dtype, "contiguous", True)
    bias = (rng.standard_normal(channels if kind != "layer" else normalized), dtype, "contiguous", True)
    steps = int(rng.integers(1, 3))

    def call(lib, x, w, b):
        F, nn = lib.nn.functional, lib.nn
        if kind == "lrn":
            if module:
                layer = nn.LocalResponseNorm(lrn_size, alpha=1e-2, beta=0.75, k=1.5)
                return layer(x), repr(layer)
            return F.local_response_norm(x, lrn_size, alpha=1e-2, beta=0.75, k=1.5)
        if module:
            dt = getattr(lib, dtype)
            if kind == "batch":
                layer = getattr(nn, "BatchNorm%dd" % max(min(rank - 2, 3), 1))(channels, dtype=dt, **options)
            elif kind == "instance":
                layer = getattr(nn, "InstanceNorm%dd" % max(min(rank - 2, 3), 1))(channels, dtype=dt, **options)
            elif kind == "group":
                layer = nn.GroupNorm(groups, channels, affine=options.get("affine", True),
                                     eps=options.get("eps", 1e-5), dtype=dt)
            else:
                layer = nn.LayerNorm(normalized, elementwise_affine=options.get("affine", True),
                                     bias=options.get("momentum", 1) is not None, dtype=dt)
            layer.train(training)
            outs = [layer(x) for _ in range(steps)]
            state = [value.detach().clone() for value in layer.state_dict().values()]
            return tuple(outs) + (repr(layer), list(layer.state_dict())) + tuple(state)
        eps = options.get("eps", 1e-5)
        affine = options.get("affine", True)
        if kind == "batch":
            mean = lib.zeros(channels, dtype=getattr(lib, dtype))
            var = lib.ones(channels, dtype=getattr(lib, dtype))
            out = F.batch_norm(x, mean if training or rng_free else None, var if training or rng_free else None,
                               w if affine else None, b if affine else None, training,
                               options.get("momentum", 0.1) or 0.1, eps)
            return out, mean, var
        if kind == "instance":
            return F.instance_norm(x, weight=w if affine else None, bias=b if affine else None, eps=eps)
        if kind == "group":
            return F.group_norm(x, groups, w if affine else None, b if affine else None, eps)
        return F.layer_norm(x, normalized, w if affine else None, b if affine else None, eps)

    rng_free = rng.random() < 0.8
    return _Case(call, [_operand(rng, shape, dtype), weight, bias], double=rng.random() < 0.2)


# ---------------------------------------------------------------------------- dropout
def _dropout(rng):
    name = _draw(rng, ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
                       "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"))
    p = _draw(rng, (0.5, 0.2, 0.0, 1.0, 0.9, -0.1, 1.5))
    rank = int(rng.integers(1, 6))
    shape = tuple(int(rng.integers(1, 5)) for _ in range(rank))
    training = rng.random() < 0.8
    inplace = rng.random() < 0.2
    dtype = _draw(rng, ("float32", "float32", "float64", "bfloat16"))

    def call(lib, x):
        if name[0].isupper():
            layer = getattr(lib.nn, name)(p, inplace)
            layer.train(training)
            return layer(x * 1), repr(layer)
        return getattr(lib.nn.functional, name)(x * 1, p, training, inplace)

    return _Case(call, [_operand(rng, shape, dtype)], seed=int(rng.integers(1 << 30)))


# ---------------------------------------------------------------------------- losses
def _loss(rng):
    name = _draw(rng, ("cross_entropy", "cross_entropy", "cross_entropy", "nll_loss", "binary_cross_entropy",
                       "binary_cross_entropy_with_logits", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
                       "kl_div", "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
                       "multi_margin_loss", "multilabel_margin_loss", "soft_margin_loss",
                       "multilabel_soft_margin_loss", "triplet_margin_loss", "ctc_loss", "poisson_nll_loss",
                       "gaussian_nll_loss"))
    reduction = _draw(rng, ("mean", "mean", "sum", "none", "elementwise_mean", "batchmean"))
    batch = _draw(rng, (4, 3, 1, 0)) if rng.random() < 0.3 else 4
    classes = int(rng.integers(1, 5))
    spatial = tuple(int(rng.integers(1, 4)) for _ in range(_draw(rng, (0, 0, 1, 2))))
    dtype = _float_dtype(rng, 0.02)
    kwargs = {} if reduction == "mean" and rng.random() < 0.5 else {"reduction": reduction}
    unbatched = rng.random() < 0.08
    x_shape = (batch, classes) + spatial
    operands = []
    module = rng.random() < 0.25
    if name in ("cross_entropy", "nll_loss"):
        x_shape = x_shape[1:] if unbatched else x_shape
        probabilities = name == "cross_entropy" and rng.random() < 0.3
        if probabilities:
            values = rng.random(x_shape)
            target = (values / max(values.sum(), 1e-3), dtype if rng.random() < 0.95 else "float64", "contiguous",
                      rng.random() < 0.3)
        else:
            t_shape = (x_shape[:1] + x_shape[2:]) if not unbatched else x_shape[1:]
            if rng.random() < 0.04:
                t_shape = t_shape + (1,)
            values = rng.integers(0, classes + (rng.random() < 0.04), size=t_shape)
            ignore = _draw(rng, (None, None, 0, 1, -100, -1))
            if ignore is not None:
                kwargs["ignore_index"] = ignore
                if ignore == -100 and values.size:
                    values.reshape(-1)[0] = -100
            target = (values, _draw(rng, ("int64",) * 12 + ("int32", "uint8")), "contiguous", False)
        if rng.random() < 0.3:
            operands.append((rng.random(classes + (rng.random() < 0.03)) + 0.1, dtype, "contiguous", False))
        if name == "cross_entropy" and rng.random() < 0.35:
            kwargs["label_smoothing"] = _draw(rng, (0.1, 0.5, 0.0, 1.0, 1.2, -0.1))
        if name == "nll_loss":
            x = _operand(rng, x_shape, dtype)
        else:
            x = _operand(rng, x_shape, dtype)
        operands = [x, target] + operands
    elif name in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        x_shape = x_shape if rng.random() < 0.9 else (batch,)
        if name == "binary_cross_entropy":
            x = _operand(rng, x_shape, dtype, values=rng.random(x_shape) * 0.98 + 0.01)
        else:
            x = _operand(rng, x_shape, dtype)
        t_shape = x_shape if rng.random() < 0.93 else x_shape[:-1] + (x_shape[-1] + 1,)
        operands = [x, _operand(rng, t_shape, dtype, "contiguous", rng.random() < 0.3, values=rng.random(t_shape))]
        if rng.random() < 0.3:
            operands.append((rng.random(x_shape[-1:]) + 0.5, dtype, "contiguous", False))
            kwargs["weight"] = True
        if name == "binary_cross_entropy_with_logits" and rng.random() < 0.4:
            operands.append((rng.random(x_shape[-1:]) * 3, dtype, "contiguous", rng.random() < 0.3))
            kwargs["pos_weight"] = True
    elif name in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss", "poisson_nll_loss"):
        t_shape = x_shape if rng.random() < 0.85 else _draw(rng, (x_shape[1:], (1,) + x_shape[1:], (3,)))
        operands = [_operand(rng, x_shape, dtype), _operand(rng, t_shape, _draw(rng, (dtype,) * 8 + ("float64",
                                                                                             "int64")),
                                                            "contiguous", rng.random() < 0.5)]
        if name == "smooth_l1_loss" and rng.random() < 0.6:
            kwargs["beta"] = _draw(rng, (0.0, 0.5, 2.0, -1.0))
        if name == "huber_loss" and rng.random() < 0.6:
            kwargs["delta"] = _draw(rng, (0.5, 2.0, 0.0, -1.0))
        if name == "poisson_nll_loss" and rng.random() < 0.5:
            kwargs["log_input"] = False
            operands[0] = _operand(rng, x_shape, dtype, values=rng.random(x_shape) + 0.1)
        if name == "poisson_nll_loss" and rng.random() < 0.3:
            kwargs["full"] = True
            operands[1] = _operand(rng, t_shape, dtype, "contiguous", False, values=rng.random(t_shape) * 3)
    elif name == "gaussian_nll_loss":
        v_shape = _draw(rng, (x_shape, x_shape[:-1] + (1,), x_shape[:1], (1,)))
        operands = [_operand(rng, x_shape, dtype), _operand(rng, x_shape, dtype),
                    _operand(rng, v_shape, dtype, values=rng.random(v_shape) * _draw(rng, (1, 1, 1, -1)))]
        if rng.random() < 0.3:
            kwargs["full"] = True
    elif name == "kl_div":
        log_target = rng.random() < 0.4
        x = np.log(rng.random(x_shape) + 0.05)
        t = rng.random(x_shape)
        operands = [_operand(rng, x_shape, dtype, values=x),
                    _operand(rng, x_shape, dtype, "contiguous", rng.random() < 0.5, values=np.log(t) if log_target
                             else t)]
        if log_target or rng.random() < 0.2:
            kwargs["log_target"] = log_target
    elif name in ("margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss"):
        shape = (batch,) if rng.random() < 0.7 else x_shape
        target = rng.choice([-1.0, 1.0], size=shape)
        operands = [_operand(rng, shape, dtype)]
        if name == "margin_ranking_loss":
            operands.append(_operand(rng, shape, dtype))
        operands.append(_operand(rng, shape, dtype, "contiguous", False, values=target))
        if rng.random() < 0.4:
            kwargs["margin"] = _draw(rng, (0.5, 0.0, -1.0, 2))
    elif name == "cosine_embedding_loss":
        d = int(rng.integers(1, 4))
        shape = (batch, d) if rng.random() < 0.9 else (d,)
        target_shape = shape[:1] if len(shape) == 2 else ()
        operands = [_operand(rng, shape, dtype), _operand(rng, shape, dtype),
                    _operand(rng, target_shape, _draw(rng, (dtype, "int64")), "contiguous", False,
                             values=rng.choice([-1, 1], size=target_shape))]
        if rng.random() < 0.4:
            kwargs["margin"] = _draw(rng, (0.5, 0.0, -0.5))
    elif name in ("multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss"):
        shape = (batch, classes) if rng.random() < 0.85 else (classes,)
        x = _operand(rng, shape, dtype)
        if name == "multi_margin_loss":
            if shape[0] == 0 and len(shape) == 2:  # (PyTorch's mean over no rows reads uninitialized memory)
                shape = (1,) + shape[1:]
                x = _operand(rng, shape, dtype)
            target = rng.integers(0, classes, size=shape[:-1])
            operands = [x, (target, "int64", "contiguous", False)]
            if rng.random() < 0.3:
                kwargs["p"] = _draw(rng, (1, 2, 3))
            if rng.random() < 0.3:
                kwargs["margin"] = _draw(rng, (0.5, 2.0))
            if rng.random() < 0.3:
                operands.append((rng.random(classes) + 0.5, dtype, "contiguous", False))
                kwargs["weight"] = True
        elif name == "multilabel_margin_loss":
            if shape[0] == 0:  # (PyTorch's sum over no rows reads uninitialized memory)
                shape = (1,) + shape[1:]
                x = _operand(rng, shape, dtype)
            target = rng.integers(-1, classes, size=shape)
            operands = [x, (target, "int64", "contiguous", False)]
        else:
            operands = [x, (rng.integers(0, 2, size=shape).astype(float), dtype, "contiguous", False)]
            if rng.random() < 0.3:
                operands.append((rng.random(classes) + 0.5, dtype, "contiguous", False))
                kwargs["weight"] = True
    elif name == "triplet_margin_loss":
        d = int(rng.integers(1, 4))
        shape = (batch, d) if rng.random() < 0.9 else (d,)
        operands = [_operand(rng, shape, dtype) for _ in range(3)]
        if rng.random() < 0.4:
            kwargs["swap"] = True
        if rng.random() < 0.3:
            kwargs["p"] = _draw(rng, (1, 2, 3.0))
        if rng.random() < 0.3:
            kwargs["margin"] = _draw(rng, (0.5, 0.0, 2.0))
    else:  # ctc
        t_len, n, c = int(rng.integers(1, 8)), max(batch, 1), int(rng.integers(2, 5))
        log_probs = np.log(np.exp(rng.standard_normal((t_len, n, c))) /
                           np.exp(rng.standard_normal((t_len, n, c))).sum(-1, keepdims=True))
        s_len = int(rng.integers(0, t_len + 2))
        targets = rng.integers(1, c, size=(n, s_len))
        input_lengths = rng.integers(1, t_len + 1, size=n)
        input_lengths[0] = t_len
        target_lengths = rng.integers(0, s_len + 1, size=n)
        operands = [_operand(rng, (t_len, n, c), dtype, "contiguous", values=log_probs),
                    (targets, "int64", "contiguous", False), (input_lengths, "int64", "contiguous", False),
                    (target_lengths, "int64", "contiguous", False)]
        if rng.random() < 0.3:
            kwargs["zero_infinity"] = True
        if rng.random() < 0.2:
            kwargs["blank"] = _draw(rng, (0, c - 1, c))
        return _loss_case(rng, name, operands, kwargs, module)
    return _loss_case(rng, name, operands, kwargs, module)


_LOSS_MODULES = {"cross_entropy": "CrossEntropyLoss", "nll_loss": "NLLLoss", "binary_cross_entropy": "BCELoss",
                 "binary_cross_entropy_with_logits": "BCEWithLogitsLoss", "mse_loss": "MSELoss",
                 "l1_loss": "L1Loss", "smooth_l1_loss": "SmoothL1Loss", "huber_loss": "HuberLoss",
                 "kl_div": "KLDivLoss", "margin_ranking_loss": "MarginRankingLoss",
                 "hinge_embedding_loss": "HingeEmbeddingLoss", "cosine_embedding_loss": "CosineEmbeddingLoss",
                 "multi_margin_loss": "MultiMarginLoss", "multilabel_margin_loss": "MultiLabelMarginLoss",
                 "soft_margin_loss": "SoftMarginLoss", "multilabel_soft_margin_loss": "MultiLabelSoftMarginLoss",
                 "triplet_margin_loss": "TripletMarginLoss", "ctc_loss": "CTCLoss",
                 "poisson_nll_loss": "PoissonNLLLoss", "gaussian_nll_loss": "GaussianNLLLoss"}


def _loss_case(rng, name, operands, kwargs, module):
    named = [key for key in ("weight", "pos_weight") if kwargs.get(key) is True]
    positional = len(operands) - len(named) - (name == "cross_entropy" or name == "nll_loss") * 0
    if name in ("cross_entropy", "nll_loss") and len(operands) == 3:
        named, positional = ["weight"], 2

    def call(lib, *tensors):
        options = {key: value for key, value in kwargs.items() if value is not True or key in ("full", "swap",
                                                                                                "log_target",
                                                                                                "zero_infinity")}
        options.update(zip(named, tensors[positional:]))
        if module:
            layer = getattr(lib.nn, _LOSS_MODULES[name])(**options)
            return layer(*tensors[:positional]), repr(layer)
        return getattr(lib.nn.functional, name)(*tensors[:positional], **options)

    return _Case(call, operands, double=rng.random() < 0.2)


# ---------------------------------------------------------------------------- linear, flatten, reshape, init
def _linear_flatten(rng):
    kind = _draw(rng, ("Linear", "Linear", "Bilinear", "Flatten", "Unflatten", "Identity", "flatten", "view",
                       "reshape", "LazyLinear"))
    rank = int(rng.integers(1, 6))
    shape = tuple(int(rng.integers(0 if rng.random() < 0.05 else 1, 5)) for _ in range(rank))
    dtype = _float_dtype(rng, 0.03)
    layout = _draw(rng, _LAYOUTS)
    seed = int(rng.integers(1 << 30))
    bias = rng.random() < 0.8
    out_features = int(rng.integers(0 if rng.random() < 0.05 else 1, 5))
    start, end = int(rng.integers(-rank - 1, rank + 1)), int(rng.integers(-rank - 1, rank + 1))
    in_features = shape[-1] if rng.random() < 0.93 or not shape else shape[-1] + 1
    unflatten_dim = int(rng.integers(-rank, rank)) if rank else 0
    sizes = _draw(rng, ((-1, 1), (1, -1), (2, -1), (-1,), (-1, -1), (1, 1)))
    view_shape = _draw(rng, ((-1,), (shape[0] if shape else 1, -1), (-1, 1), (2, -1), (0, -1)))

    def call(lib, x):
        lib.manual_seed(seed)
        nn = lib.nn
        if kind in ("Linear", "LazyLinear", "Bilinear"):
            if kind == "Linear":
                layer = nn.Linear(in_features, out_features, bias=bias, dtype=getattr(lib, dtype))
            elif kind == "LazyLinear":
                layer = nn.LazyLinear(out_features, bias=bias, dtype=getattr(lib, dtype))
            else:
                layer = nn.Bilinear(in_features, in_features, out_features, bias=bias, dtype=getattr(lib, dtype))
            out = layer(x) if kind != "Bilinear" else layer(x, x * 2)
            state = [value.detach().clone() for value in layer.state_dict().values()]
            return (out, repr(layer), list(layer.state_dict())) + tuple(state)
        if kind == "Flatten":
            layer = nn.Flatten(start, end)
            return layer(x), repr(layer)
        if kind == "Unflatten":
            layer = nn.Unflatten(unflatten_dim, sizes)
            return layer(x), repr(layer)
        if kind == "Identity":
            layer = nn.Identity(3, unused=True)
            return layer(x), repr(layer), layer(x) is x
        if kind == "flatten":
            return lib.flatten(x, start, end)
        return getattr(x, kind)(*view_shape)

    return _Case(call, [_operand(rng, shape, dtype, layout)])


def _init(rng):
    name = _draw(rng, ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
                       "Linear", "BatchNorm2d", "GroupNorm", "LayerNorm", "Bilinear", "Embedding", "PReLU"))
    seed = int(rng.integers(1 << 30))
    a, b = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    groups = _draw(rng, (1, 1, a))
    init = _draw(rng, (None, None, "kaiming_uniform_", "kaiming_normal_", "xavier_uniform_", "xavier_normal_",
                       "orthogonal_", "trunc_normal_", "uniform_", "normal_", "sparse_"))

    def call(lib):
        lib.manual_seed(seed)
        nn = lib.nn
        if name.startswith("Conv"):
            layer = getattr(nn, name)(a * groups, b * groups, 3, groups=groups, bias=seed % 3 != 0)
        elif name == "Linear":
            layer = nn.Linear(a, b)
        elif name == "BatchNorm2d":
            layer = nn.BatchNorm2d(a, affine=seed % 2 == 0)
        elif name == "GroupNorm":
            layer = nn.GroupNorm(1, a)
        elif name == "LayerNorm":
            layer = nn.LayerNorm([a, b])
        elif name == "Bilinear":
            layer = nn.Bilinear(a, b, 2)
        elif name == "Embedding":
            layer = nn.Embedding(a + 2, b, padding_idx=seed % 2 or None, max_norm=None)
        else:
            layer = nn.PReLU(a, init=0.3)
        weight = getattr(layer, "weight", None)
        if init is not None and weight is not None:
            if init == "sparse_" and weight.dim() == 2:
                nn.init.sparse_(weight, 0.5)
            elif init == "orthogonal_" and weight.dim() >= 2:
                nn.init.orthogonal_(weight)
            elif init != "sparse_" and init != "orthogonal_":
                if init.startswith(("kaiming", "xavier")) and weight.dim() < 2:
                    getattr(nn.init, "normal_")(weight)
                else:
                    getattr(nn.init, init)(weight)
        state = layer.state_dict()
        return ((repr(layer), layer.extra_repr(), list(state), [tuple(v.shape) for v in state.values()],
                 [p.requires_grad for p in layer.parameters()]) + tuple(v.detach().clone() for v in state.values()))

    return _Case(call, [])


AREAS = {"conv": _conv, "conv module": _conv_module, "pool": _pool, "adaptive pool": _adaptive,
         "fractional pool": _fractional, "unpool": _unpool, "fold": _fold, "pad": _pad, "interpolate": _interpolate,
         "shuffle": _shuffle, "norm": _norm, "dropout": _dropout, "loss": _loss, "linear/flatten": _linear_flatten,
         "init": _init}


# ---------------------------------------------------------------------------- running and comparing
def _tensor_record(lib, value):
    dtype = str(value.dtype).split(".")[-1]
    data = value.detach()
    if dtype in ("bfloat16", "float16"):
        data = data.float()
    array = data.numpy(force=True)  # (PyTorch's zero tensors, of a double backward, need force)
    return ("T", tuple(value.shape), value.stride(), dtype, array.astype(np.float64) if dtype != "bool" else array,
            value.requires_grad)


def _flat(lib, value, out):
    if isinstance(value, lib.Tensor):
        out.append(_tensor_record(lib, value))
    elif isinstance(value, (tuple, list)) and not (value and all(isinstance(v, str) for v in value)) and \
            any(isinstance(v, (lib.Tensor, tuple, list)) for v in value):
        for item in value:
            _flat(lib, item, out)
    else:
        out.append(("V", repr(value).replace("torchless", "torch")))
    return out


def _error(error):
    # (PyTorch's messages from C++ may go on with the stack they were raised from, which torchless leaves out)
    message = str(error).split("\nException raised from ")[0]
    return ("E", type(error).__name__, message.replace("torchless", "torch"))


def run(lib, case):
    """The case's outcome in ``lib``: outputs, gradients of the inputs, second-order gradients, warnings."""
    tensors = [None if operand is None else _built(lib, operand) for operand in case.operands]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if case.seed is not None:
            lib.manual_seed(case.seed)
        try:
            result = case.call(lib, *tensors)
        except Exception as error:  # noqa: BLE001 - the error is the outcome compared
            return {"out": _error(error), "warn": _warnings(caught)}
    try:
        record = {"out": _flat(lib, result, []), "warn": _warnings(caught)}
    except Exception as error:  # noqa: BLE001 - a result that cannot be read (a broken dtype) is a difference
        return {"out": ("E", "unreadable result", str(error)), "warn": _warnings(caught)}
    if not case.grad:
        return record
    results = _flat_tensors(lib, result)
    leaves = [t for t in tensors if t is not None and t.requires_grad]
    outputs = [r for r in results if r.requires_grad and r.dtype.is_floating_point]
    if not leaves or not outputs:
        return record
    rng = np.random.default_rng(7)
    seeds = [lib.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype) for o in outputs]
    try:
        grads = lib.autograd.grad(outputs, leaves, seeds, allow_unused=True, create_graph=case.double)
        record["grad"] = [None if g is None else _tensor_record(lib, g)[:5] for g in grads]
    except Exception as error:  # noqa: BLE001
        record["grad"] = _error(error)
        return record
    if case.double:
        used = [(g, t) for g, t in zip(grads, leaves) if g is not None and g.requires_grad]
        if used:
            total = sum((g * lib.tensor(rng.standard_normal(tuple(g.shape)), dtype=g.dtype)).sum() for g, _ in used)
            try:
                second = lib.autograd.grad(total, leaves, allow_unused=True)
                record["double"] = [None if g is None else _tensor_record(lib, g)[:5] for g in second]
            except Exception as error:  # noqa: BLE001
                record["double"] = _error(error)
    return record


def _flat_tensors(lib, value):
    if isinstance(value, lib.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _flat_tensors(lib, item)]
    return []


def _warnings(caught):
    return sorted({(w.category.__name__, str(w.message).replace("torchless", "torch")) for w in caught})


def _tolerance(dtype):
    return {"float16": (2e-2, 2e-2), "bfloat16": (5e-2, 5e-2), "float64": (1e-7, 1e-9)}.get(dtype, (1e-4, 2e-5))


def _compare_records(expected, got, prefix, kinds, stats):
    if isinstance(expected, tuple) and expected and expected[0] == "E" or isinstance(got, tuple) and got and \
            got[0] == "E":
        if not (isinstance(got, tuple) and got[0] == "E"):
            kinds.append(prefix + "missing error " + expected[1])
        elif not (isinstance(expected, tuple) and expected[0] == "E"):
            kinds.append(prefix + "unexpected error " + got[1])
        elif got[1] != expected[1]:
            kinds.append(prefix + "error type")
        elif got[2] != expected[2]:
            kinds.append(prefix + "error message")
        return
    if expected is None or got is None:
        if (expected is None) != (got is None):
            kinds.append(prefix + "grad presence")
        return
    if len(expected) != len(got):
        kinds.append(prefix + "result count")
        return
    for theirs, ours in zip(expected, got):
        if theirs is None or ours is None:
            if (theirs is None) != (ours is None):
                kinds.append(prefix + "grad presence")
            continue
        if theirs[0] != ours[0]:
            kinds.append(prefix + "result kind")
        elif theirs[0] == "V":
            if theirs[1] != ours[1]:
                kinds.append(prefix + "value/repr")
        else:
            if theirs[1] != ours[1]:
                kinds.append(prefix + "shape")
                continue
            if theirs[3] != ours[3]:
                kinds.append(prefix + "dtype")
            if theirs[2] != ours[2] and 0 not in theirs[1]:
                kinds.append(prefix + "strides")
            if len(theirs) > 5 and theirs[5] != ours[5]:
                kinds.append(prefix + "requires_grad")
            a, b = np.asarray(theirs[4]), np.asarray(ours[4])
            if a.dtype == bool or b.dtype == bool:
                same = np.array_equal(a, b)
                exact = same
            else:
                with np.errstate(invalid="ignore"):
                    exact = np.array_equal(a, b, equal_nan=True)
                    rtol, atol = _tolerance(theirs[3])
                    # (atol relative to the largest finite magnitude: sums of large terms round at its scale)
                    finite = np.abs(a[np.isfinite(a)])
                    scale = max(1.0, float(finite.max())) if finite.size else 1.0
                    same = exact or bool(np.allclose(b, a, rtol=rtol, atol=atol * scale, equal_nan=True)
                                         and np.array_equal(np.isinf(a), np.isinf(b)))
            stats["tensors"] = stats.get("tensors", 0) + 1
            stats["exact"] = stats.get("exact", 0) + bool(exact)
            if not same:
                kinds.append(prefix + "values")


def compare(expected, got, stats=None):
    """The kinds of difference between two ``run`` records (empty when they agree)."""
    stats = {} if stats is None else stats
    kinds = []
    _compare_records(expected["out"], got["out"], "", kinds, stats)
    for key in ("grad", "double"):
        if key in expected or key in got:
            _compare_records(expected.get(key), got.get(key), key + " ", kinds, stats)
    if expected["warn"] != got["warn"]:
        kinds.append("warnings")
    return kinds


def case_for(area, index, base=39):
    return AREAS[area](np.random.default_rng([base, index, sum(map(ord, area))]))


# ---------------------------------------------------------------------------- the reduced fuzz
# (each area's first cases: the full run's counts are in the session's report)
_REDUCED = {"conv": 200, "conv module": 80, "pool": 200, "adaptive pool": 80, "fractional pool": 50, "unpool": 50,
            "fold": 80, "pad": 120, "interpolate": 150, "shuffle": 60, "norm": 120, "dropout": 80, "loss": 200,
            "linear/flatten": 80, "init": 40}

# PyTorch's own quirks the fuzz meets, left as they are: (area, index) -> the kinds of difference tolerated there.
_TORCH_QUIRKS = {
    # the second-order weight gradient of a bfloat16 grouped conv2d through oneDNN: a stride of 24 at a size-1 dim
    ("conv", 78): {"double strides"},
    # float16 layer_norm over a single element, double backward: PyTorch's half-precision formula overflows to NaN
    ("norm", 105): {"double values"},
}


@pytest.mark.parametrize("area", list(AREAS))
def test_fuzzed_calls_as_in_torch(area):
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # (unpooling's error names the invalid index one thread met last)
    failures = []
    try:
        for index in range(_REDUCED[area]):
            case = case_for(area, index)
            kinds = [k for k in compare(run(torch, case), run(torchless, case))
                     if k != "warnings" and k not in _TORCH_QUIRKS.get((area, index), ())]
            if kinds:
                failures.append((index, kinds))
    finally:
        torch.set_num_threads(threads)
    assert not failures, failures


# ---------------------------------------------------------------------------- what the fuzz found, fixed
def _bf16_or_skip():
    try:
        return torchless.zeros(1, dtype=torchless.bfloat16)
    except TypeError:
        pytest.skip("bfloat16 tensors need the ml_dtypes package")


def _as_torch(torch, tensor):
    return torch.tensor(tensor.float().numpy()).to(getattr(torch, str(tensor.dtype).split(".")[-1]))


@pytest.mark.parametrize("fn, shape, kernel", [("max_pool2d", (2, 3, 5, 6), 2), ("max_pool1d", (2, 3, 7), 3),
                                               ("max_pool3d", (2, 2, 5, 8, 3), (2, 5, 2))])
def test_bfloat16_max_pooling_with_indices_against_float32(fn, shape, kernel):
    """The winners of bfloat16 values (exact in float32) are float32's: the indices and the gradient's places."""
    _bf16_or_skip()
    rng = np.random.default_rng(1)
    values = np.round(rng.standard_normal(shape) * 4) / 4  # (ties too)
    values.reshape(-1)[3] = np.nan
    results = []
    for dtype in (torchless.float32, torchless.bfloat16):
        x = torchless.tensor(values, dtype=dtype, requires_grad=True)
        out, indices = getattr(torchless.nn.functional, fn)(x, kernel, return_indices=True)
        out.float().sum().backward()
        results.append((out.detach().float().numpy(), indices.numpy(), x.grad.float().numpy()))
        assert out.dtype == dtype and x.grad.dtype == dtype
    for single, half in zip(*results):
        np.testing.assert_array_equal(half, single)


@pytest.mark.parametrize("fn, shape, kernel", [
    ("max_pool2d", (2, 3, 5, 6), 2), ("max_pool3d", (2, 2, 5, 8, 3), (2, 5, 2)),
    ("adaptive_max_pool2d", (2, 3, 5, 6), 3),
])
def test_bfloat16_max_pooling_with_indices_as_in_torch(fn, shape, kernel):
    torch = pytest.importorskip("torch")
    _bf16_or_skip()
    x = torchless.tensor(np.random.default_rng(2).standard_normal(shape), dtype=torchless.bfloat16)
    ours = getattr(torchless.nn.functional, fn)(x, kernel, return_indices=True)
    theirs = getattr(torch.nn.functional, fn)(_as_torch(torch, x), kernel, return_indices=True)
    for a, b in zip(ours, theirs):
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
        np.testing.assert_array_equal(a.float().numpy(), b.float().numpy())


def test_empty_basic_views_of_bfloat16_keep_their_dtype():
    x = _bf16_or_skip().new_zeros(0, 2, 6)
    for view in (x[..., ::2], x[:, 1:], x[0:0], x[:, :, 2:4]):
        assert view.dtype == torchless.bfloat16 and view.numel() == 0
        assert torchless.nn.functional.avg_pool1d(view.requires_grad_() if view.is_leaf else view, 1).dtype == \
            torchless.bfloat16


@pytest.mark.parametrize("batch", [2, 0])
def test_bfloat16_fold_and_unfold_against_float32(batch):
    """Small integers: every sum of overlapping blocks is exact in bfloat16, so it equals float32's."""
    _bf16_or_skip()
    values = np.random.default_rng(3).integers(-4, 5, size=(batch, 18, 16)).astype(np.float64)
    results = []
    for dtype in (torchless.float32, torchless.bfloat16):
        cols = torchless.tensor(values, dtype=dtype, requires_grad=True)
        image = torchless.nn.functional.fold(cols, (4, 4), 3, padding=1)
        blocks = torchless.nn.functional.unfold(image, 2)
        blocks.backward(torchless.ones_like(blocks))
        assert image.dtype == blocks.dtype == cols.grad.dtype == dtype
        results.append([t.detach().float().numpy() for t in (image, blocks, cols.grad)])
    for single, half in zip(*results):
        np.testing.assert_array_equal(half, single)


def test_bfloat16_fold_as_in_torch():
    torch = pytest.importorskip("torch")
    _bf16_or_skip()
    cols = torchless.tensor(np.random.default_rng(4).standard_normal((2, 18, 16)), dtype=torchless.bfloat16)
    ours = torchless.nn.functional.fold(cols, (4, 4), 3, padding=1)
    theirs = torch.nn.functional.fold(_as_torch(torch, cols), (4, 4), 3, padding=1)
    np.testing.assert_array_equal(ours.float().numpy(), theirs.float().numpy())


def test_xlogy_and_kl_div_of_bfloat16_stay_bfloat16():
    _bf16_or_skip()
    rng = np.random.default_rng(5)
    p, q = rng.random((4, 3)) + 0.05, rng.random((4, 3)) + 0.05
    x, y = (torchless.tensor(a, dtype=torchless.bfloat16) for a in (p, q))
    rounded = [t.double().numpy() for t in (x, y)]
    assert torchless.xlogy(x, y).dtype == torchless.xlogy(x, 2.0).dtype == torchless.bfloat16
    np.testing.assert_allclose(torchless.xlogy(x, y).double().numpy(), rounded[0] * np.log(rounded[1]), rtol=2 ** -7)
    for reduction in ("batchmean", "sum", "none"):
        loss = torchless.nn.functional.kl_div(y.log(), x, reduction=reduction)
        assert loss.dtype == torchless.bfloat16
    expected = (rounded[0] * (np.log(rounded[0]) - np.log(rounded[1]))).sum() / 4
    np.testing.assert_allclose(torchless.nn.functional.kl_div(y.log(), x, reduction="batchmean").item(), expected,
                               rtol=3e-2)


def test_bfloat16_bilinear_backward_against_float64():
    _bf16_or_skip()
    rng = np.random.default_rng(6)
    a, b, w = rng.standard_normal((5, 3)), rng.standard_normal((5, 2)), rng.standard_normal((4, 3, 2))
    for n in (5, 0):
        x1, x2, weight = (torchless.tensor(v, dtype=torchless.bfloat16, requires_grad=True) for v in (a[:n], b[:n], w))
        out = torchless.nn.functional.bilinear(x1, x2, weight)
        out.backward(torchless.ones_like(out))
        r1, r2, rw = (t.detach().double().numpy() for t in (x1, x2, weight))
        np.testing.assert_allclose(x1.grad.double().numpy(), np.einsum("oij,nj->ni", rw, r2).reshape(n, 3) * 1,
                                   rtol=2e-2, atol=2e-2)
        np.testing.assert_allclose(weight.grad.double().numpy(), np.einsum("ni,nj->ij", r1, r2)[None].repeat(4, 0),
                                   rtol=2e-2, atol=2e-2)
        assert x2.grad.dtype == torchless.bfloat16 and tuple(x2.grad.shape) == (n, 2)


def test_float16_layer_norm_of_no_rows_gives_zero_parameter_gradients():
    x = torchless.zeros(0, 2, dtype=torchless.float16, requires_grad=True)
    module = torchless.nn.LayerNorm(2, dtype=torchless.float16)
    module(x).sum().backward()
    assert tuple(x.grad.shape) == (0, 2)
    for grad in (module.weight.grad, module.bias.grad):
        assert grad.dtype == torchless.float16 and grad.tolist() == [0.0, 0.0]


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("bias_dtype", ["float64", "float32"])
def test_bfloat16_convolution_with_a_bias_of_another_dtype(transposed, bias_dtype):
    """On an AVX-512 CPU (ATen's mkldnn_bf16_device_check), PyTorch runs bfloat16 convolutions through oneDNN,
    which refuses the bias, naming bfloat16 by its type's C++ name (ATen has no legacy tensor type for it)."""
    _bf16_or_skip()
    from torchless import _cpu_features

    if not all(_cpu_features.has(f) for f in ("AVX512BW", "AVX512VL", "AVX512DQ")):
        pytest.skip("PyTorch's slow convolutions take this call where the CPU lacks AVX-512")
    x = torchless.ones(2, 2, 5, dtype=torchless.bfloat16)
    weight = torchless.ones(2, 2, 3, dtype=torchless.bfloat16)
    bias = torchless.ones(2, dtype=getattr(torchless, bias_dtype))
    fn = torchless.nn.functional.conv_transpose1d if transposed else torchless.nn.functional.conv1d
    legacy = {"float64": "DoubleTensor", "float32": "FloatTensor"}[bias_dtype]
    with pytest.raises(RuntimeError) as raised:
        fn(x, weight, bias)
    expected = (f"Input type (CPUBFloat16Type) and bias type (torchless.{legacy}) should be the same or input should "
                "be a MKLDNN tensor and bias is a dense tensor") if transposed else (
        f"Input type (c10::BFloat16) and bias type ({'double' if bias_dtype == 'float64' else 'float'}) should be "
        "the same")
    assert str(raised.value) == expected


@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
@pytest.mark.parametrize("transposed", [False, True])
def test_bfloat16_convolution_layouts_as_in_torch(layout, transposed):
    torch = pytest.importorskip("torch")
    _bf16_or_skip()
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 4, 6, 1, 1) if transposed else (2, 4, 5, 6))
    w = rng.standard_normal((4, 1, 2, 3, 4) if transposed else (8, 2, 3, 3))

    def call(lib):
        data = lib.tensor(x, dtype=lib.bfloat16)
        if layout == "channels_last":
            data = data.contiguous(memory_format=lib.channels_last_3d if transposed else lib.channels_last)
        data.requires_grad_()
        weight = lib.tensor(w, dtype=lib.bfloat16, requires_grad=True)
        fn = lib.nn.functional.conv_transpose3d if transposed else lib.nn.functional.conv2d
        out = fn(data, weight, groups=4 if transposed else 2)
        out.backward(lib.ones_like(out))
        return [(tuple(t.shape), t.stride(), str(t.dtype).split(".")[-1]) for t in (out, data.grad, weight.grad)]

    assert call(torchless) == call(torch)


def test_embedding_names_bfloat16_indices_by_their_type():
    _bf16_or_skip()
    with pytest.raises(RuntimeError, match=r"but got CPUBFloat16Type instead"):
        torchless.nn.functional.embedding(torchless.ones(2, dtype=torchless.bfloat16), torchless.ones(3, 2))
    assert torchless.ones(1, dtype=torchless.bfloat16).type() == "torchless.BFloat16Tensor"


@pytest.mark.parametrize("shape, layout", [((4, 1, 1), "transposed"), ((4, 1), "contiguous"),
                                           ((1, 2, 1, 2), "expanded"), ((4, 3, 1, 2), "contiguous")])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_soft_margin_loss_input_gradient_is_c_contiguous(shape, layout, reduction):
    """PyTorch allocates the gradient C-contiguous, size-1 dims' strides included; its values are
    -y e^(-y x) / (1 + e^(-y x)) (/ the count for 'mean') times the output's gradient."""
    rng = np.random.default_rng(8)
    values, target = rng.standard_normal(shape), rng.choice([-1.0, 1.0], size=shape)
    x = _built(torchless, (values, "float64", layout, True))
    loss = torchless.nn.functional.soft_margin_loss(x, torchless.tensor(target), reduction=reduction)
    (grad,) = torchless.autograd.grad(loss.sum(), x)
    strides = tuple(int(np.prod(shape[i + 1:])) for i in range(len(shape)))
    assert grad.stride() == strides
    x_values = x.detach().numpy()
    z = np.exp(-target * x_values)
    expected = -target * z / (1 + z) / (x_values.size if reduction == "mean" else 1)
    np.testing.assert_allclose(grad.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("rows", [(3, 1), (2, 4, 1, 4, 1)])
def test_layer_norm_parameter_gradients_of_size_one(rows):
    """Over one element the normalized input is 0 (but for float32's rounding of the statistics): the weight's
    gradient is about 0, the bias's the gradients' sum."""
    x = torchless.randn(*rows, requires_grad=True)
    weight, bias = torchless.ones(1, requires_grad=True), torchless.zeros(1, requires_grad=True)
    out = torchless.nn.functional.layer_norm(x, (1,), weight, bias)
    seed = torchless.tensor(np.random.default_rng(9).standard_normal(rows), dtype=torchless.float32)
    _, grad_weight, grad_bias = torchless.autograd.grad(out, (x, weight, bias), seed)
    assert grad_weight.stride() == grad_bias.stride() == (1,)
    assert abs(grad_weight.item()) < 1e-3
    np.testing.assert_allclose(grad_bias.numpy(), [seed.double().sum().item()], rtol=1e-6)


def _main(count):
    import collections
    import torch

    torch.set_num_threads(1)
    totals = collections.Counter()
    stats = {}
    for area in AREAS:
        per_area = collections.Counter()
        examples = {}
        for index in range(count):
            case = case_for(area, index)
            kinds = compare(run(torch, case), run(torchless, case), stats)
            per_area["cases"] += 1
            per_area["differing"] += bool(kinds)
            for kind in set(kinds):
                per_area[kind] += 1
                examples.setdefault(kind, []).append(index)
        totals.update(per_area)
        print(area, dict(per_area))
        for kind, indices in examples.items():
            print("   ", kind, indices[:12])
    print("total", dict(totals), "exact tensors %d/%d" % (stats.get("exact", 0), stats.get("tensors", 0)))


if __name__ == "__main__":
    _main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
