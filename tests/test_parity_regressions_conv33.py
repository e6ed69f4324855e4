"""Parity regressions (session 33): seeded random calls of the convolution, pooling and fold families against torch
2.13.0 (values, shapes, strides, dtypes, gradients of every input, and the type and message of each error), and
torch-free checks of a few of them against float64 references (NumPy formulas, finite differences).

The generators draw arguments a course's tests might: int, tuple, list and string paddings, strides, dilations,
output paddings, groups, missing biases, empty batches or channels, unbatched inputs, channels-last, transposed,
sliced and expanded operands, float64 and integer dtypes, ceil_mode, count_include_pad, divisor_override,
return_indices, None in adaptive output sizes, and malformed values of each.
"""
import numpy as np

import pytest

import torchless

_LAYOUTS = ("contiguous", "contiguous", "channels_last", "transposed", "sliced", "expanded")


def _draw(rng, choices):
    return choices[int(rng.integers(len(choices)))]


def _size_argument(rng, dims, low, high):
    """An int, a tuple or a list of ``dims`` ints in [low, high]."""
    if rng.random() < 0.5:
        return int(rng.integers(low, high + 1))
    values = tuple(int(rng.integers(low, high + 1)) for _ in range(dims))
    return values if rng.random() < 0.8 else list(values)


def _malformed_or(rng, dims, low, high):
    """Mostly a well-formed size argument, sometimes one of the wrong length, empty, zero or negative, or a float."""
    draw = rng.random()
    if draw < 0.06:
        return tuple(int(rng.integers(1, 3)) for _ in range(dims + 1))
    if draw < 0.09:
        return ()
    if draw < 0.12:
        return int(rng.integers(-1, 1))
    if draw < 0.14:
        return 2.0
    return _size_argument(rng, dims, low, high)


def _operand(rng, shape, dtype="float32", layout=None, requires_grad=True):
    """What both libraries build the same tensor from: values, dtype name, layout, whether it requires grad."""
    if dtype.startswith("float"):
        values = rng.standard_normal(shape)
    else:
        values = rng.integers(-3, 4, size=shape)
    return values, dtype, layout or _draw(rng, _LAYOUTS), requires_grad and dtype.startswith("float")


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


def _convolution_call(rng):
    dims = int(rng.integers(1, 4))
    transposed = rng.random() < 0.4
    groups = _draw(rng, (1, 1, 1, 2, 3))
    in_channels = groups * int(rng.integers(0 if rng.random() < 0.05 else 1, 3))
    out_per_group = int(rng.integers(1, 3))
    kernel = tuple(int(rng.integers(1, 4)) for _ in range(dims))
    size = tuple(int(rng.integers(1, 7)) for _ in range(dims))
    batch = _draw(rng, (1, 0, None)) if rng.random() < 0.3 else 2
    dtype = _draw(rng, ("float32", "float32", "float64", "int64"))
    kwargs = {}
    if rng.random() < 0.6:
        kwargs["stride"] = _malformed_or(rng, dims, 1, 3)
    if rng.random() < 0.5:
        kwargs["dilation"] = _malformed_or(rng, dims, 1, 3)
    if transposed:
        weight_shape = (in_channels, out_per_group) + kernel
        if rng.random() < 0.5:
            kwargs["padding"] = _malformed_or(rng, dims, 0, 2)
        if rng.random() < 0.4:
            kwargs["output_padding"] = _size_argument(rng, dims, 0, 2)
    else:
        weight_shape = (out_per_group * groups, in_channels // groups) + kernel
        if rng.random() < 0.25:
            kwargs["padding"] = _draw(rng, ("same", "valid", "same", "full"))
        elif rng.random() < 0.5:
            kwargs["padding"] = _malformed_or(rng, dims, 0, 2)
    if rng.random() < 0.05:  # a weight for another number of input channels
        weight_shape = (weight_shape[0], weight_shape[1] + 1) + weight_shape[2:]
    if groups != 1 or rng.random() < 0.03:
        kwargs["groups"] = groups if rng.random() < 0.95 else 0
    input_shape = (() if batch is None else (batch,)) + (in_channels,) + size
    if rng.random() < 0.03:
        input_shape = input_shape + (2,)
    bias_size = out_per_group * groups + (rng.random() < 0.03)
    weight_dtype = dtype if rng.random() < 0.95 else "float64"
    bias = _operand(rng, (bias_size,), weight_dtype, "contiguous") if rng.random() < 0.7 else None
    name = ("conv_transpose%dd" if transposed else "conv%dd") % dims
    operands = [_operand(rng, input_shape, dtype), _operand(rng, weight_shape, weight_dtype), bias]

    def call(lib, x, w, b):
        return getattr(lib.nn.functional, name)(x, w, b, **kwargs)

    return call, operands


def _convolution_module_call(rng):
    dims = int(rng.integers(1, 4))
    transposed = rng.random() < 0.35
    groups = _draw(rng, (1, 1, 2))
    in_channels, out_channels = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    kernel = _size_argument(rng, dims, 1, 3)
    options = {"bias": rng.random() < 0.7}
    if rng.random() < 0.5:
        options["stride"] = _size_argument(rng, dims, 1, 2)
    if rng.random() < 0.4:
        options["dilation"] = _size_argument(rng, dims, 1, 2)
    if rng.random() < 0.6:
        options["padding"] = (_draw(rng, ("same", "valid")) if not transposed and rng.random() < 0.3
                              else _size_argument(rng, dims, 0, 2))
    if rng.random() < 0.6:
        options["padding_mode"] = _draw(rng, ("zeros", "reflect", "replicate", "circular"))
    if transposed and rng.random() < 0.3:
        options["output_padding"] = _size_argument(rng, dims, 0, 1)
    if groups != 1:
        options["groups"] = groups
    dtype = "float64" if rng.random() < 0.3 else "float32"
    batched = rng.random() < 0.8
    input_channels = in_channels if rng.random() < 0.93 else in_channels + 1
    input_shape = ((2,) if batched else ()) + (input_channels,) + tuple(int(rng.integers(2, 7)) for _ in range(dims))
    if rng.random() < 0.04:
        input_shape = input_shape + (2,)
    seed = int(rng.integers(1 << 30))
    extra_output = int(rng.integers(0, 3)) if transposed and batched and rng.random() < 0.3 else None
    name = ("ConvTranspose%dd" if transposed else "Conv%dd") % dims

    def call(lib, x):
        lib.manual_seed(seed)  # the parameters' draws compared too
        module = getattr(lib.nn, name)(in_channels, out_channels, kernel, dtype=getattr(lib, dtype), **options)
        parameters = (module.weight,) if module.bias is None else (module.weight, module.bias)
        if extra_output is None:
            out = module(x)
        else:
            natural = module(x.detach()).shape[2:]
            out = module(x, output_size=[n + extra_output for n in natural])
        return (out,) + tuple(p.detach().clone() for p in parameters) + (repr(module),)

    return call, [_operand(rng, input_shape, dtype)]


def _window_wholly_in_padding(size, kernel, stride, padding, dilation, ceil_mode):
    """Whether a max pooling window reads the padding alone: PyTorch's backward then writes out of bounds (its
    heap corrupted, the process aborts later), so such calls are compared without gradients."""
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation):
        if s <= 0:
            continue
        span = n + 2 * p - d * (k - 1) - 1
        out = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (out - 1) * s >= n + p:
            out -= 1
        if any(all(not 0 <= i * s - p + j * d < n for j in range(k)) for i in range(out)):
            return True
    return False


def _per_dim(value, dims, default):
    if value is None:
        return [default] * dims
    if isinstance(value, (tuple, list)):
        return list(value) * dims if len(value) == 1 else list(value)
    return [value] * dims


def _pooling_call(rng):
    dims = int(rng.integers(1, 4))
    kind = _draw(rng, ("max", "avg"))
    kernel = _malformed_or(rng, dims, 1, 4)
    kwargs = {}
    if rng.random() < 0.7:
        kwargs["stride"] = _malformed_or(rng, dims, 1, 3)
    if rng.random() < 0.6:
        kwargs["padding"] = _size_argument(rng, dims, 0, 2)
    if rng.random() < 0.4:
        kwargs["ceil_mode"] = True
    if kind == "max":
        if rng.random() < 0.4:
            kwargs["dilation"] = _size_argument(rng, dims, 1, 3)
        if rng.random() < 0.4:
            kwargs["return_indices"] = True
    else:
        if rng.random() < 0.4:
            kwargs["count_include_pad"] = False
        if dims > 1 and rng.random() < 0.3:
            kwargs["divisor_override"] = int(rng.integers(-1, 4))
    size = tuple(int(rng.integers(1, 8)) for _ in range(dims))
    channels = int(rng.integers(0 if rng.random() < 0.05 else 1, 3))
    shape = ((0 if rng.random() < 0.05 else 2,) if rng.random() < 0.8 else ()) + (channels,) + size
    dtype = _draw(rng, ("float32", "float32", "float64", "int64"))
    operand = _operand(rng, shape, dtype)
    if dtype.startswith("float") and rng.random() < 0.4:  # ties, and the infinities and NaNs pooling passes on
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
        except TypeError:  # (a float kernel: the call fails before any backward)
            wholly = False
        if wholly:
            operand = operand[:3] + (False,)
    name = "%s_pool%dd" % (kind, dims)

    def call(lib, x):
        return getattr(lib.nn.functional, name)(x, kernel, **kwargs)

    return call, [operand]


def _adaptive_call(rng):
    dims = int(rng.integers(1, 4))
    kind = _draw(rng, ("max", "avg"))
    if rng.random() < 0.4:
        output_size = int(rng.integers(0 if rng.random() < 0.1 else 1, 5))
    else:
        output_size = tuple(None if dims > 1 and rng.random() < 0.3 else int(rng.integers(1, 6))
                            for _ in range(dims))
        if rng.random() < 0.05:
            output_size = output_size + (1,)
    shape = ((2,) if rng.random() < 0.8 else ()) + (int(rng.integers(1, 3)),) + tuple(
        int(rng.integers(1, 8)) for _ in range(dims))
    kwargs = {"return_indices": True} if kind == "max" and rng.random() < 0.4 else {}
    name = "adaptive_%s_pool%dd" % (kind, dims)
    operand = _operand(rng, shape, "float64" if rng.random() < 0.3 else "float32")

    def call(lib, x):
        return getattr(lib.nn.functional, name)(x, output_size, **kwargs)

    return call, [operand]


def _lp_pool_call(rng):
    dims = int(rng.integers(1, 4))
    norm_type = _draw(rng, (1, 2, 3, 1.5, float("inf")))
    kernel = _size_argument(rng, dims, 1, 3)
    kwargs = {}
    if rng.random() < 0.5:
        kwargs["stride"] = _size_argument(rng, dims, 1, 3)
    if rng.random() < 0.3:
        kwargs["ceil_mode"] = True
    shape = ((2,) if rng.random() < 0.8 else ()) + (2,) + tuple(int(rng.integers(1, 7)) for _ in range(dims))
    values, dtype, layout, requires_grad = _operand(rng, shape, "float64" if rng.random() < 0.4 else "float32")
    operand = (np.abs(values) + 0.1, dtype, layout, requires_grad)  # (a finite gradient of the root)
    name = "lp_pool%dd" % dims

    def call(lib, x):
        return getattr(lib.nn.functional, name)(x, norm_type, kernel, **kwargs)

    return call, [operand]


def _fold_call(rng):
    kernel = _size_argument(rng, 2, 1, 3)
    kwargs = {}
    for name, low in (("dilation", 1), ("padding", 0), ("stride", 1)):
        if rng.random() < 0.5:
            kwargs[name] = _size_argument(rng, 2, low, low + 2 - (name == "dilation"))
    dtype = "float64" if rng.random() < 0.4 else "float32"
    batch = (2,) if rng.random() < 0.8 else ()
    if rng.random() < 0.5:
        shape = batch + (2,) + tuple(int(rng.integers(1, 7)) for _ in range(2))

        def unfold(lib, x):
            return lib.nn.functional.unfold(x, kernel, **kwargs)

        return unfold, [_operand(rng, shape, dtype)]
    output_size = tuple(int(rng.integers(1, 7)) for _ in range(2))
    k, d = _per_dim(kernel, 2, 1), _per_dim(kwargs.get("dilation"), 2, 1)
    p, s = _per_dim(kwargs.get("padding"), 2, 0), _per_dim(kwargs.get("stride"), 2, 1)
    blocks = int(np.prod([max(0, (o + 2 * pi - di * (ki - 1) - 1) // si + 1)
                          for o, ki, di, pi, si in zip(output_size, k, d, p, s)]))
    shape = batch + (2 * k[0] * k[1] + (rng.random() < 0.05), blocks + (rng.random() < 0.1))
    size_argument = output_size if rng.random() < 0.7 else output_size[0]

    def fold(lib, x):
        return lib.nn.functional.fold(x, size_argument, kernel, **kwargs)

    return fold, [_operand(rng, shape, dtype)]


def _unpooling_call(rng):
    dims = int(rng.integers(1, 4))
    kernel, stride = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    padding = int(rng.integers(0, kernel // 2 + 1))
    size = tuple(int(rng.integers(kernel, 8)) for _ in range(dims))
    shape = ((2,) if rng.random() < 0.8 else ()) + (2,) + size
    extra = int(rng.integers(-1, 3)) if rng.random() < 0.5 else None
    with_batch = rng.random() < 0.5
    unpool_stride = int(rng.integers(1, 4)) if rng.random() < 0.3 else stride
    unpool_padding = int(rng.integers(0, 2)) if rng.random() < 0.3 else padding

    def call(lib, x):
        functional = lib.nn.functional
        pooled, indices = getattr(functional, "max_pool%dd" % dims)(x, kernel, stride, padding, return_indices=True)
        pooled = pooled.detach().requires_grad_()
        kwargs = {}
        if extra is not None:
            output_size = [n + extra for n in size]
            kwargs["output_size"] = list(x.shape[:-dims]) + output_size if with_batch else output_size
        return getattr(functional, "max_unpool%dd" % dims)(pooled, indices, kernel, unpool_stride, unpool_padding,
                                                           **kwargs)

    return call, [_operand(rng, shape, "float64" if rng.random() < 0.4 else "float32", "contiguous", False)]


def _fractional_call(rng):
    dims = _draw(rng, (2, 3))
    batch = 2 if rng.random() < 0.8 else None
    shape = (() if batch is None else (batch,)) + (2,) + tuple(int(rng.integers(3, 9)) for _ in range(dims))
    dtype = "float64" if rng.random() < 0.4 else "float32"
    kernel = _size_argument(rng, dims, 1, 3)
    kwargs = {"return_indices": rng.random() < 0.4}
    if rng.random() < 0.5:
        kwargs["output_size"] = _size_argument(rng, dims, 1, 3)
    else:
        kwargs["output_ratio"] = _draw(rng, (0.5, 0.7, (0.5, 0.6, 0.9)[:dims], 1.0))
    samples_shape = (batch or 1, 2 + (rng.random() < 0.05), dims)
    samples = (rng.random(samples_shape), dtype, "contiguous", False)
    name = "fractional_max_pool%dd" % dims

    def call(lib, x, random_samples):
        return getattr(lib.nn.functional, name)(x, kernel, _random_samples=random_samples, **kwargs)

    return call, [_operand(rng, shape, dtype), samples]


def _pooling_module_call(rng):
    dims = int(rng.integers(1, 4))
    name = _draw(rng, ("MaxPool%dd", "AvgPool%dd", "AdaptiveAvgPool%dd", "AdaptiveMaxPool%dd", "LPPool%dd")) % dims
    arguments = (2, 2) if name.startswith("LP") else (2,)
    rank = _draw(rng, (dims + 1, dims + 2, dims + 2, dims, dims + 3))  # wrong ranks too
    operand = _operand(rng, tuple(int(rng.integers(2, 6)) for _ in range(rank)))

    def call(lib, x):
        module = getattr(lib.nn, name)(*arguments)
        return module(x), repr(module)

    return call, [operand]


_GENERATORS = {"convolution": _convolution_call, "convolution module": _convolution_module_call,
               "pooling": _pooling_call, "adaptive pooling": _adaptive_call, "lp pooling": _lp_pool_call,
               "fold": _fold_call, "unpooling": _unpooling_call, "fractional pooling": _fractional_call,
               "pooling module": _pooling_module_call}


def _outcome(lib, call, operands):
    """The call's outputs (shape, strides, dtype, float64 values; other values by repr) and the gradients of its
    inputs given the first output's seeded gradient, or its error's type and message."""
    import warnings

    tensors = [None if operand is None else _built(lib, operand) for operand in operands]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = call(lib, *tensors)
    except Exception as error:  # noqa: BLE001 - the error is the outcome compared
        return "error", type(error).__name__, str(error).replace("torchless", "torch")
    results = result if isinstance(result, tuple) else (result,)
    outputs = [(tuple(r.shape), r.stride(), str(r.dtype).split(".")[-1], r.detach().double().numpy())
               if isinstance(r, lib.Tensor) else repr(r) for r in results]
    leaves = [t for t in tensors if t is not None and t.requires_grad]
    first = results[0]
    if not leaves or not isinstance(first, lib.Tensor) or not first.requires_grad:
        return outputs, None
    seeded = lib.tensor(np.random.default_rng(7).standard_normal(tuple(first.shape)), dtype=first.dtype)
    try:
        grads = lib.autograd.grad(first, leaves, seeded, allow_unused=True)
    except Exception as error:  # noqa: BLE001
        return outputs, ("error", type(error).__name__, str(error).replace("torchless", "torch"))
    return outputs, [None if g is None else (tuple(g.shape), g.stride(), g.double().numpy()) for g in grads]


def _assert_same(expected, got, context):
    if expected[0] == "error" or got[0] == "error":
        assert got == expected, context
        return
    (outputs, grads), (expected_outputs, expected_grads) = got, expected
    assert len(outputs) == len(expected_outputs), context
    for ours, theirs in zip(outputs, expected_outputs):
        if isinstance(theirs, str):
            assert ours == theirs.replace("torchless", "torch"), context
            continue
        assert ours[:3] == theirs[:3] or (0 in theirs[0] and ours[0::2] == theirs[0::2]), context
        np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-4, atol=1e-5, equal_nan=True, err_msg=context)
    if expected_grads is None or isinstance(expected_grads, tuple):
        assert grads == expected_grads, context
        return
    assert grads is not None and len(grads) == len(expected_grads), context
    for ours, theirs in zip(grads, expected_grads):
        assert (ours is None) == (theirs is None), context
        if theirs is not None:
            assert ours[0] == theirs[0] and (ours[1] == theirs[1] or 0 in theirs[0]), context
            np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-4, atol=1e-4, equal_nan=True, err_msg=context)


@pytest.mark.parametrize("family", list(_GENERATORS))
@pytest.mark.parametrize("chunk", range(2))
def test_seeded_calls_as_in_torch(family, chunk):
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    # PyTorch's unpooling splits its loop between threads, each reporting the invalid index it met last: one
    # thread reports the last in the kernel's order, as torchless does.
    torch.set_num_threads(1 if family == "unpooling" else max(threads, 2))
    try:
        for index in range(chunk * 30, chunk * 30 + 30):
            rng = np.random.default_rng([33, index, sum(map(ord, family))])
            call, operands = _GENERATORS[family](rng)
            context = f"{family} #{index}"
            _assert_same(_outcome(torch, call, operands), _outcome(torchless, call, operands), context)
    finally:
        torch.set_num_threads(threads)


# ---------------------------------------------------------------------------- without torch: float64 references
def _numerical_gradient(loss, array, eps=1e-6):
    gradient = np.zeros_like(array)
    for index in np.ndindex(*array.shape):
        saved = array[index]
        array[index] = saved + eps
        above = loss()
        array[index] = saved - eps
        below = loss()
        array[index] = saved
        gradient[index] = (above - below) / (2 * eps)
    return gradient


@pytest.mark.parametrize("transposed, weight_shape, kwargs", [
    (False, (4, 2, 2, 3), dict(stride=2, padding=1, dilation=(1, 2), groups=2)),
    (False, (2, 4, 2, 2), dict(padding="same", dilation=2)),
    (True, (4, 1, 2, 3), dict(stride=(2, 1), padding=1, output_padding=(1, 0), groups=2)),
    (True, (4, 3, 3, 2), dict(stride=2, dilation=2, output_padding=1)),
])
def test_convolution_gradients_match_finite_differences(transposed, weight_shape, kwargs):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 4, 5, 4)), rng.standard_normal(weight_shape)
    b = rng.standard_normal(weight_shape[1] * kwargs.get("groups", 1) if transposed else weight_shape[0])
    function = torchless.nn.functional.conv_transpose2d if transposed else torchless.nn.functional.conv2d

    def output():
        return function(torchless.tensor(x), torchless.tensor(w), torchless.tensor(b), **kwargs).numpy()

    projection = rng.standard_normal(output().shape)

    def loss():
        return float((output() * projection).sum())

    tensors = [torchless.tensor(a, requires_grad=True) for a in (x, w, b)]
    function(*tensors, **kwargs).backward(torchless.tensor(projection))
    for tensor, array in zip(tensors, (x, w, b)):
        np.testing.assert_allclose(tensor.grad.numpy(), _numerical_gradient(loss, array), rtol=1e-6, atol=1e-6)


def _ceil_mode_size(n, kernel_span, stride, padding):
    out = -(-(n + 2 * padding - kernel_span) // stride) + 1
    return out - 1 if (out - 1) * stride >= n + padding else out


def test_pooling_values_match_numpy_windows():
    rng = np.random.default_rng(5)
    x = np.round(rng.standard_normal((2, 3, 6, 7)), 1)  # (ties)
    x[0, 1, 2, 3] = np.nan
    # kernel 3, stride 2, padding 1, dilation 2 (a span of 5), ceil_mode: the windows' rows and columns clipped
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    out_h, out_w = _ceil_mode_size(6, 5, 2, 1), _ceil_mode_size(7, 5, 2, 1)
    expected_max = np.empty((2, 3, out_h, out_w))
    for i, j in np.ndindex(out_h, out_w):
        window = padded[:, :, 2 * i:2 * i + 5:2, 2 * j:2 * j + 5:2].reshape(2, 3, -1)
        expected_max[:, :, i, j] = np.where(np.isnan(window).any(-1), np.nan, np.max(window, -1))
    got = torchless.nn.functional.max_pool2d(torchless.tensor(x), 3, 2, 1, 2, ceil_mode=True)
    np.testing.assert_array_equal(got.numpy(), expected_max)

    x = np.where(np.isnan(x), 0.5, x)[:, :, :5, :]
    # kernel 2, stride 2, padding 1, ceil_mode, count_include_pad=False: divided by the window's cells in the input
    zero_padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out_h, out_w = _ceil_mode_size(5, 2, 2, 1), _ceil_mode_size(7, 2, 2, 1)
    expected_avg = np.empty((2, 3, out_h, out_w))
    for i, j in np.ndindex(out_h, out_w):
        inside = (min(2 * i + 2, 6) - max(2 * i, 1)) * (min(2 * j + 2, 8) - max(2 * j, 1))
        expected_avg[:, :, i, j] = zero_padded[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].sum((-1, -2)) / inside
    got = torchless.nn.functional.avg_pool2d(torchless.tensor(x), 2, 2, 1, ceil_mode=True, count_include_pad=False)
    np.testing.assert_allclose(got.numpy(), expected_avg, rtol=1e-12)


# ---------------------------------------------------------------------------- .grad of an expanded (not dense) leaf
def _expanded_leaf_grad_strides(lib):
    """The .grad strides of expanded leaves: PyTorch takes a contiguous gradient nothing else holds as it is (its
    strides at size-1 dims too), and clones any other contiguous."""
    weight = lib.randn(1, 1, 1, 2, 2).expand(4, 1, 1, 2, 2).requires_grad_()
    x = lib.randn(2, 2, 3, 3, 3).contiguous(memory_format=lib.channels_last_3d)
    lib.nn.functional.conv3d(x, weight, groups=2).sum().backward()  # a channels-last weight gradient
    strides = [weight.grad.stride()]
    leaf = lib.randn(1, 1, 3).expand(2, 1, 3).requires_grad_()
    held = lib.randn(2, 3, 1).permute(0, 2, 1)  # contiguous, its size-1 dim strided 1
    leaf.backward(held)  # held by the caller: cloned
    strides.append(leaf.grad.stride())
    leaf.grad = None
    leaf.clone().backward(held)  # passed on as it is by the clone's node: still held
    strides.append(leaf.grad.stride())
    leaf.grad = None
    (leaf * 2).backward(held.clone(memory_format=lib.contiguous_format))  # a new gradient nothing else holds
    strides.append(leaf.grad.stride())
    leaf.grad = None
    leaf.backward(held, inputs=[leaf])
    strides.append(leaf.grad.stride())
    return strides


def test_gradient_of_an_expanded_leaf_is_laid_out_as_in_torch():
    torch = pytest.importorskip("torch")
    assert _expanded_leaf_grad_strides(torchless) == _expanded_leaf_grad_strides(torch)


def test_gradient_of_an_expanded_leaf_without_torch():
    assert _expanded_leaf_grad_strides(torchless) == [(4, 1, 4, 2, 1), (3, 3, 1), (3, 3, 1), (3, 3, 1), (3, 3, 1)]
    weight = torchless.randn(1, 1, 1, 2, 2).expand(4, 1, 1, 2, 2).requires_grad_()
    x = torchless.randn(2, 2, 3, 3, 3).contiguous(memory_format=torchless.channels_last_3d)
    torchless.nn.functional.conv3d(x, weight, groups=2).sum().backward()
    # each weight cell's gradient: the sum of its group's input over the windows it slides through
    values = x.numpy()
    windows = values[..., :2, :2], values[..., :2, 1:], values[..., 1:, :2], values[..., 1:, 1:]
    expected = np.array([[w[:, g].sum() for w in windows] for g in (0, 0, 1, 1)]).reshape(4, 1, 1, 2, 2)
    np.testing.assert_allclose(weight.grad.numpy(), expected, rtol=1e-5)
