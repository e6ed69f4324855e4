"""Differences from PyTorch in the CNN layers found by a tenth differential fuzz (random shapes, arguments, memory
layouts and bad inputs of the convolutions, poolings, resampling, paddings, norms and losses), each compared with
torch:

* PyTorch's max pooling and pixel (un)shuffle kernels take contiguous inputs and one channels-last format only:
  max_pool3d of an unbatched (C, D, H, W) input whose strides suggest channels_last fails with "Unsupported memory
  format. Supports only ChannelsLast3d, Contiguous" (before its size and dtype checks), max_pool2d of a 5-D input
  suggesting channels_last_3d with "... Supports only ChannelsLast, Contiguous" (instead of the rank message), as
  do pixel_shuffle and pixel_unshuffle of such an input after their checks (they returned results);
* a transposed convolution to a negative output size whose input or weight suggests a channels-last format fails
  in PyTorch's own allocation of the channels-last output ("numel: integer multiplication overflow", the product
  of the sizes as uint64) or, when a 0 size comes before the negative ones, in oneDNN's descriptor of its strides,
  not in oneDNN's memory descriptor of a format tag;
* batch_norm and instance_norm refuse running statistics that require grad when a graph would be recorded, as
  native_batch_norm's autograd wrapper does ("The function 'native_batch_norm' is not differentiable with respect
  to argument 'running_mean'. ..."), after the size checks and before the dtype ones (instance_norm first converts
  them to the weight's or input's dtype, after which an integer one no longer requires grad); instance_norm of an
  input without elements copies the running statistics back through an alias, which autograd records, and refuses
  for a leaf that requires grad ("a view of a leaf Variable that requires grad ...");
* the backward of channel_shuffle of an input without channels fails as PyTorch's does, which shuffles the
  gradient into C / groups = 0 groups ("Number of groups to divide channels in must be positive ...");
* the backward of pixel_shuffle and pixel_unshuffle of an input without elements is PyTorch's: the inverse
  rearrangement of the gradient, where pixel_unshuffle returns an empty gradient as it is and pixel_shuffle checks
  its channels, so the gradient mostly has another shape than the input, which the engine refuses ("Function
  PixelShuffleBackward0 returned an invalid gradient at index 0 - got [...] but expected shape compatible with
  [...]"); torchless gave the input's shape;
* the dtype errors of the CPU kernels with a channels-last variant name that variant, as PyTorch's do, for an
  input whose strides (as the kernel sees them: a 1-D input unsqueezed to 2-D) suggest a channels-last format:
  max_pool2d / max_pool1d with indices, avg_pool2d / avg_pool1d, adaptive average and max pooling 2-D / 1-D (and
  'area' interpolation), max_pool3d, batched reflection and replication padding ('"avg_pool2d_channels_last" not
  implemented for 'Bool'');
* nearest and nearest-exact interpolation pick PyTorch's kernel: its channels-last one (float32 source indices,
  copies and halvings of the index when a size stays or doubles) for a channels-last contiguous input of more than
  3 channels, and in 2-D for any output of H + W <= 128; otherwise its generic one (indices in the opmath type,
  float64 for a float64 input, no shortcut; nearest-exact rounding its linear source index), which 2-D inputs took
  as the former and 3-D channels-last inputs of more than 3 channels as the latter. The dtype errors of nearest,
  bilinear and trilinear interpolation name the kernel so picked ("compute_indices_weights_nearest" /
  "upsample_nearest2d_channels_last", ...);
* nll_loss of a 4-D input in a non-contiguous dense layout (transposed, permuted, channels-last) fails in its
  backward as PyTorch's nll_loss2d does, whose gradient zeros_like(input) must be contiguous ("grad_input must be
  contiguous"; cross_entropy's log_softmax output is contiguous, an input not dense gets a contiguous gradient);
* batch_norm in training of an integer or bool input in no contiguous layout (C order or channels-last), with no
  parameter of another dtype, fails in PyTorch's at::mean of the statistics ("mean(): could not infer output
  dtype. ..."), not in its kernel's dtype dispatch;
* antialiased bilinear / bicubic interpolation to the input's own size copies the input of any dtype, as
  PyTorch's kernel does before its dtype dispatch; its backward refuses what is not float32 or float64
  ('"upsample_bilinear2d_aa_backward_cpu" not implemented for 'Half'');
* register_buffer of what is not a tensor (a loss module's weight given by position, as CrossEntropyLoss(3))
  says PyTorch's words, "(torch Tensor or None required)", which hold no "torch." to read as "torchless.";
* circular padding wider than what negative padding leaves of an axis fails as PyTorch's does when its copies
  within the output overlap and both slices are dense ("unsupported operation: some elements of the input tensor
  and the written-to tensor refer to a single memory location. ..."); torchless wrapped around again.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome as _assert_same_outcome

torch = pytest.importorskip("torch")


def assert_same_outcome(fn, rtol=1e-5, atol=1e-6):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_same_outcome(fn, rtol=rtol, atol=atol)


def _x(lib, *shape, dtype="float32", requires_grad=False, memory_format=None):
    values = np.linspace(-2, 1.5, int(np.prod(shape))).reshape(shape).astype(dtype)
    x = lib.tensor(values, requires_grad=requires_grad)
    return x if memory_format is None else x.contiguous(memory_format=getattr(lib, memory_format))


# ---------------------------------------------------------------------------- kernels of one channels-last format
@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.max_pool3d(x, 2),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 2, return_indices=True),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 2, 0),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 5, padding=3),
    lambda lib, x: lib.nn.functional.max_pool3d(x > 0, 2),
    lambda lib, x: lib.nn.functional.max_pool3d(x, (2, 2)),
    lambda lib, x: lib.nn.MaxPool3d(2, dilation=2)(x),
])
@pytest.mark.parametrize("shape, memory_format", [
    ((2, 3, 4, 4), "channels_last"), ((2, 3, 4, 4), None), ((2, 1, 4, 4), "channels_last"),
    ((0, 3, 4, 4), "channels_last"), ((2, 3, 1, 1), "channels_last"),
])
def test_max_pool3d_of_an_unbatched_channels_last_input(call, shape, memory_format):
    assert_same_outcome(lambda lib: call(lib, _x(lib, *shape, memory_format=memory_format)))


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.max_pool2d(x, 2),
    lambda lib, x: lib.nn.functional.max_pool2d(x, 2, return_indices=True),
    lambda lib, x: lib.nn.functional.max_pool2d(x, 2, 0, ceil_mode=True),
    lambda lib, x: lib.nn.functional.max_pool2d(x, (2, 2, 2)),
    lambda lib, x: lib.nn.functional.max_pool2d(x.half(), 2),
    lambda lib, x: lib.nn.MaxPool2d(2)(x),
    lambda lib, x: lib.nn.functional.pixel_shuffle(x, 2),
    lambda lib, x: lib.nn.functional.pixel_shuffle(x, 1),
    lambda lib, x: lib.nn.functional.pixel_shuffle(x, 0),
    lambda lib, x: lib.nn.functional.pixel_shuffle(x, 3),
    lambda lib, x: lib.nn.PixelShuffle(2)(x.long()),
    lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 2),
    lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 3),
    lambda lib, x: lib.nn.PixelUnshuffle(1)(x),
])
@pytest.mark.parametrize("shape, memory_format", [
    ((2, 3, 4, 4, 4), "channels_last_3d"), ((2, 3, 4, 4, 4), None), ((2, 1, 4, 4, 4), "channels_last_3d"),
    ((2, 3, 4, 0, 4), "channels_last_3d"), ((1, 2, 4, 4, 4), "channels_last_3d"),
])
def test_2d_kernels_of_a_channels_last_3d_input(call, shape, memory_format):
    assert_same_outcome(lambda lib: call(lib, _x(lib, *shape, requires_grad=True, memory_format=memory_format)))


def test_pixel_shuffle_of_a_permuted_5d_input():
    assert_same_outcome(lambda lib: lib.nn.functional.pixel_shuffle(_x(lib, 2, 4, 4, 4, 4).permute(0, 2, 3, 4, 1), 2))


# ---------------------------------------------------------------------------- transposed convolution, negative size
@pytest.mark.parametrize("x_shape, x_format, w_shape, w_format, kwargs", [
    ((2, 2, 3, 5), "channels_last", (2, 1, 1, 2), None, {"padding": 2}),
    ((2, 2, 1, 5), "channels_last", (2, 1, 1, 2), None, {"padding": 1, "dilation": (1, 2)}),
    ((2, 2, 3, 5), None, (2, 1, 1, 2), None, {"padding": 2}),
    ((2, 2, 3, 5), None, (2, 1, 2, 2), "channels_last", {"padding": 2}),
    ((2, 2, 3, 5), "channels_last", (2, 1, 1, 2), None, {"padding": 2, "groups": 2}),
    ((2, 2, 3, 5), "channels_last", (2, 1, 1, 2), None, {"padding": 2, "stride": 2, "output_padding": 1}),
    ((2, 2, 3, 5, 4), "channels_last_3d", (2, 1, 1, 1, 2), None, {"padding": 2}),
    ((2, 2, 3, 5, 4), None, (2, 3, 1, 2, 2), "channels_last_3d", {"padding": 2}),
    ((2, 2, 3), None, (2, 1, 1), None, {"padding": 2}),
    ((1, 6, 1, 3, 1), "channels_last_3d", (6, 1, 2, 1, 1), None, {"padding": (1, 2, 1), "dilation": (1, 2, 2),
                                                                  "groups": 3}),
    ((1, 6, 1, 3, 4), "channels_last_3d", (6, 1, 2, 1, 1), None, {"padding": (1, 2, 0), "dilation": (1, 2, 2),
                                                                  "groups": 3}),
    ((1, 6, 1, 3, 4), "channels_last_3d", (6, 1, 1, 1, 1), None, {"padding": (1, 0, 0), "groups": 3}),
    ((2, 2, 1, 5), "channels_last", (2, 1, 2, 1), None, {"padding": (1, 3)}),
])
def test_transposed_convolution_to_a_negative_size(x_shape, x_format, w_shape, w_format, kwargs):
    def call(lib):
        x = _x(lib, *x_shape, requires_grad=True, memory_format=x_format)
        w = _x(lib, *w_shape, memory_format=w_format)
        return getattr(lib.nn.functional, f"conv_transpose{len(x_shape) - 2}d")(x, w, **kwargs)

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- running statistics requiring grad
def _norm_call(lib, fn, x_shape, x_dtype="float32", mean="leaf", var="plain", training=True, weight=None,
               no_grad=False):
    def statistic(kind, fill):
        if kind is None:
            return None
        size = x_shape[1] if len(x_shape) > 1 else 1
        if kind == "wrong_size":
            return lib.full((size + 1,), fill, requires_grad=True)
        t = lib.full((size,), fill, requires_grad=kind in ("leaf", "nonleaf"))
        return t * 1 if kind == "nonleaf" else t

    x = _x(lib, *x_shape, dtype=x_dtype)
    running_mean, running_var = statistic(mean, 0.5), statistic(var, 2.0)
    w = None if weight is None else lib.ones(x_shape[1], dtype=getattr(lib, weight))
    F = lib.nn.functional
    with lib.no_grad() if no_grad else lib.enable_grad():
        if fn == "batch_norm":
            out = F.batch_norm(x, running_mean, running_var, w, None, training)
        else:
            out = F.instance_norm(x, running_mean, running_var, w, None, use_input_stats=training)
    return (out,) + tuple(t for t in (running_mean, running_var) if t is not None)


@pytest.mark.parametrize("fn", ["batch_norm", "instance_norm"])
@pytest.mark.parametrize("kwargs", [
    {}, {"mean": "plain", "var": "leaf"}, {"mean": "nonleaf"}, {"training": False}, {"mean": "leaf", "var": None},
    {"mean": None, "var": "leaf"}, {"mean": "wrong_size"}, {"x_dtype": "int64"}, {"x_dtype": "float64"},
    {"x_dtype": "float16"}, {"weight": "float64"}, {"no_grad": True}, {"mean": "plain"},
    {"x_dtype": "int64", "mean": "plain", "var": "leaf"}, {"x_dtype": "int64", "var": None},
    {"x_shape": (1, 3)}, {"x_shape": (2, 3, 1)}, {"x_shape": (0, 3, 4)}, {"x_shape": (2, 3, 0)},
    {"x_shape": (0, 3, 4), "mean": "nonleaf"}, {"x_shape": (2, 3, 0), "mean": "nonleaf", "var": "nonleaf"},
    {"x_shape": (0, 3, 4), "no_grad": True}, {"x_shape": (0, 3, 4), "training": False},
    {"x_shape": (2, 0, 4), "mean": "leaf"}, {"x_shape": (0, 3, 4), "mean": None, "var": "leaf"},
])
def test_running_statistics_that_require_grad(fn, kwargs):
    kwargs = {"x_shape": (2, 3, 4), **kwargs}
    assert_same_outcome(lambda lib: _norm_call(lib, fn, **kwargs))


@pytest.mark.parametrize("name, kwargs", [("BatchNorm1d", {}), ("InstanceNorm1d", {"track_running_stats": True})])
def test_norm_modules_with_running_statistics_that_require_grad(name, kwargs):
    def call(lib):
        module = getattr(lib.nn, name)(3, **kwargs)
        module.running_var.requires_grad_()
        return module(_x(lib, 2, 3, 4))

    assert_same_outcome(call)


def test_instance_norm_of_an_empty_input_records_the_copy_of_its_running_statistics():
    def call(lib):
        running_mean = lib.zeros(3, requires_grad=True) * 1
        lib.nn.functional.instance_norm(lib.ones(0, 3, 4), running_mean, lib.ones(3))
        return running_mean.grad_fn.name(), running_mean._version

    assert call(torchless) == call(torch)


# ---------------------------------------------------------------------------- channel_shuffle's backward
@pytest.mark.parametrize("shape, groups", [((2, 0, 3), 2), ((1, 0, 0, 0), 3), ((2, 0, 1, 2), 1), ((2, 4, 3), 2),
                                           ((0, 6, 2), 3)])
@pytest.mark.parametrize("create_graph", [False, True])
def test_channel_shuffle_backward(shape, groups, create_graph):
    def call(lib):
        x = _x(lib, *shape, requires_grad=True)
        y = lib.nn.functional.channel_shuffle(x * x, groups)
        weights = lib.arange(float(y.numel())).reshape(y.shape)
        grad, = lib.autograd.grad((y * weights).sum(), x, create_graph=create_graph)
        if not create_graph:
            return grad
        return grad, lib.autograd.grad(grad.sum(), x)[0]

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- pixel (un)shuffle of empty inputs
@pytest.mark.parametrize("fn", ["pixel_shuffle", "pixel_unshuffle"])
@pytest.mark.parametrize("shape", [(2, 4, 0, 4), (2, 0, 2, 4), (4, 0, 4), (1, 0, 8), (2, 1, 0, 4), (0, 1, 2, 4),
                                   (0, 4, 2, 2), (2, 0, 4, 2, 2), (3, 5, 0, 4), (1, 4, 0, 0), (1, 4, 2, 2)])
@pytest.mark.parametrize("factor", [1, 2])
@pytest.mark.parametrize("create_graph", [False, True])
def test_pixel_shuffle_backward_of_an_empty_input(fn, shape, factor, create_graph):
    def call(lib):
        x = _x(lib, *shape, requires_grad=True)
        y = getattr(lib.nn.functional, fn)(x * 1, factor)
        grad, = lib.autograd.grad((y * y).sum(), x, create_graph=create_graph)
        return y, grad

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- channels-last kernels' dtype errors
def _strided_input(lib, dtype, layout):
    if layout == "channels_last":
        return lib.ones(2, 3, 4, 4, dtype=dtype).contiguous(memory_format=lib.channels_last)
    if layout == "channels_last_3d":
        return lib.ones(2, 3, 4, 4, 4, dtype=dtype).contiguous(memory_format=lib.channels_last_3d)
    if layout == "transposed_1d":
        return lib.ones(2, 5, 3, dtype=dtype).transpose(1, 2)
    if layout == "unbatched_cl":  # a 4-D (C, D, H, W) input of a 3-D layer, strides of channels_last
        return lib.ones(3, 4, 4, 4, dtype=dtype).contiguous(memory_format=lib.channels_last)
    return lib.ones(2, 3, 4, 4, dtype=dtype)


@pytest.mark.parametrize("call, layouts", [
    (lambda F, x: F.max_pool2d(x, 2), ("channels_last", None)),
    (lambda F, x: F.max_pool2d(x, 2, return_indices=True), ("channels_last",)),
    (lambda F, x: F.max_pool1d(x, 2, return_indices=True), ("transposed_1d",)),
    (lambda F, x: F.max_pool1d(x, 2), ("transposed_1d",)),
    (lambda F, x: F.max_pool3d(x, 2), ("channels_last_3d",)),
    (lambda F, x: F.avg_pool2d(x, 2), ("channels_last", None)),
    (lambda F, x: F.avg_pool1d(x, 2), ("transposed_1d",)),
    (lambda F, x: F.avg_pool3d(x, 2), ("channels_last_3d",)),
    (lambda F, x: F.adaptive_avg_pool2d(x, 3), ("channels_last",)),
    (lambda F, x: F.adaptive_avg_pool1d(x, 3), ("transposed_1d",)),
    (lambda F, x: F.adaptive_avg_pool3d(x, 3), ("channels_last_3d",)),
    (lambda F, x: F.adaptive_max_pool2d(x, 3), ("channels_last",)),
    (lambda F, x: F.adaptive_max_pool1d(x, 3), ("transposed_1d",)),
    (lambda F, x: F.adaptive_max_pool3d(x, 3), ("channels_last_3d",)),
    (lambda F, x: F.interpolate(x, scale_factor=0.5, mode="area"), ("channels_last", "transposed_1d")),
    (lambda F, x: F.pad(x, (1, 1, 1, 1), mode="reflect"), ("channels_last",)),
    (lambda F, x: F.pad(x, (1, 1, 1, 1), mode="replicate"), ("channels_last",)),
    (lambda F, x: F.pad(x, (1,) * 6, mode="reflect"), ("channels_last_3d", "unbatched_cl")),
    (lambda F, x: F.pad(x, (1,) * 6, mode="replicate"), ("channels_last_3d", "unbatched_cl")),
    (lambda F, x: F.pad(x, (1, 1), mode="reflect"), ("transposed_1d",)),
    (lambda F, x: F.pad(x, (1, 1), mode="replicate"), ("transposed_1d",)),
])
@pytest.mark.parametrize("dtype", ["bool", "int64", "int32", "uint8"])
def test_dtype_errors_of_channels_last_kernels(call, layouts, dtype):
    for layout in layouts:
        assert_same_outcome(lambda lib: call(lib.nn.functional, _strided_input(lib, getattr(lib, dtype), layout)))


# ---------------------------------------------------------------------------- nearest interpolation's two kernels
@pytest.mark.parametrize("sizes, channels, scale_factor, mode, dtype, layout", [
    ((41, 77), 3, (1.0, 2.3), "nearest", "float64", None),
    ((38, 18), 1, (2.7, 1.762711), "nearest", "float64", None),
    ((38, 1), 1, (2.7, 1.0), "nearest", "float64", None),
    ((78, 9), 3, (2.01, 3.7), "nearest", "float32", None),
    ((6, 39), 1, (1.146022, 3.239929), "nearest", "float16", None),
    ((6, 5), 1, (1.146022, 1.5), "nearest", "float32", None),
    ((64, 45), 3, (3.7, 1.09), "nearest-exact", "float64", None),
    ((54, 72), 4, (1.282134, 2.7), "nearest-exact", "float64", "transposed"),
    ((15, 70), 4, (1.03, 1.7), "nearest", "float16", "channels_last"),
    ((15, 70), 3, (1.03, 1.7), "nearest", "float32", "channels_last"),
    ((2, 3, 7), 4, (2.25, 2.543122, 2.1), "nearest", "float32", "channels_last_3d"),
    ((8, 9, 1), 8, (2.041039, 1.308045, 2.0), "nearest", "float64", "channels_last_3d"),
    ((3, 5, 5), 4, (1.0, 2.11, 3.3), "nearest", "float64", "channels_last_3d"),
    ((3, 5, 5), 4, (1.0, 2.11, 3.3), "nearest-exact", "float64", "channels_last_3d"),
    ((3, 5, 5), 3, (1.0, 2.11, 3.3), "nearest", "float64", "channels_last_3d"),
    ((11, 5, 8), 4, (1.703439, 3.82, 2.03136), "nearest", "float16", "channels_last_3d"),
    ((6,), 1, (1.146022,), "nearest", "float32", None),
])
def test_nearest_interpolation_kernels(sizes, channels, scale_factor, mode, dtype, layout):
    def call(lib):
        shape = (1, channels) + sizes
        x = lib.tensor(np.arange(np.prod(shape)).reshape(shape).astype(dtype), requires_grad=dtype != "float16")
        source = x
        if layout == "transposed":
            source = x.transpose(-1, -2)
        elif layout is not None:
            source = x.contiguous(memory_format=getattr(lib, layout))
        y = lib.nn.functional.interpolate(source, scale_factor=scale_factor, mode=mode)
        if dtype == "float16":
            return y
        (y * lib.tensor(np.linspace(1, 2, y.numel()).reshape(tuple(y.shape)).astype(dtype))).sum().backward()
        return y, x.grad

    assert_same_outcome(call)  # a wrong index moves an output by 1 or more


@pytest.mark.parametrize("shape, scale_factor, layout", [
    ((1, 1, 38, 18), (2.7, 1.8), None), ((1, 1, 3, 3), (2.0, 2.0), None), ((1, 4, 30, 30), (3.0, 3.0), "channels_last"),
    ((1, 3, 70, 70), (1.0, 1.0), "channels_last"), ((1, 4, 3, 3, 3), (2.0, 2.0, 2.0), "channels_last_3d"),
    ((1, 3, 3, 3, 3), (2.0, 2.0, 2.0), "channels_last_3d"), ((1, 4, 3, 3, 3), (2.0, 2.0, 2.0), None),
])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic", "trilinear"])
def test_interpolation_dtype_errors_name_the_kernel(shape, scale_factor, layout, mode):
    def call(lib):
        x = lib.ones(*shape, dtype=lib.long)
        if layout is not None:
            x = x.contiguous(memory_format=getattr(lib, layout))
        return lib.nn.functional.interpolate(x, scale_factor=scale_factor, mode=mode)

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- nll_loss2d's contiguous gradient
@pytest.mark.parametrize("layout", ["transposed", "permuted", "channels_last", "sliced", "sliced_transposed",
                                    "contiguous", "3d_transposed", "5d_transposed", "cross_entropy"])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_nll_loss_of_a_non_contiguous_4d_input(layout, reduction):
    def call(lib):
        shape = {"3d_transposed": (2, 4, 3), "5d_transposed": (1, 2, 2, 2, 3)}.get(layout, (1, 2, 4, 4))
        x = _x(lib, *shape, requires_grad=True)
        source = {"transposed": lambda: x.transpose(-1, -2), "permuted": lambda: x.permute(0, 1, 3, 2),
                  "channels_last": lambda: x.contiguous(memory_format=lib.channels_last),
                  "sliced": lambda: x[:, :, ::2], "sliced_transposed": lambda: x[:, :, ::2].transpose(-1, -2),
                  "3d_transposed": lambda: x.transpose(1, 2), "5d_transposed": lambda: x.transpose(-1, -2)
                  }.get(layout, lambda: x)()
        target = lib.zeros((source.shape[0],) + tuple(source.shape[2:]), dtype=lib.long)
        if layout == "cross_entropy":
            loss = lib.nn.functional.cross_entropy(source.transpose(-1, -2), target, reduction=reduction)
        else:
            loss = lib.nn.functional.nll_loss(source, target, reduction=reduction)
        loss.sum().backward()
        return loss, x.grad

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- batch_norm of integer inputs
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("layout", ["transposed", "sliced", "expanded", "channels_last", "contiguous"])
@pytest.mark.parametrize("parameters", [None, "int", "float"])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_of_an_integer_input_in_another_layout(dtype, layout, parameters, training):
    def call(lib):
        if layout == "transposed":
            x = lib.ones(2, 2, 3, dtype=getattr(lib, dtype)).transpose(-1, -2)
        elif layout == "sliced":
            x = lib.ones(2, 3, 4, dtype=getattr(lib, dtype))[:, :, ::2]
        elif layout == "expanded":
            x = lib.ones(1, 3, 1, dtype=getattr(lib, dtype)).expand(2, 3, 4)
        elif layout == "channels_last":
            x = lib.ones(2, 3, 2, 2, dtype=getattr(lib, dtype)).contiguous(memory_format=lib.channels_last)
        else:
            x = lib.ones(2, 3, 2, dtype=getattr(lib, dtype))
        stats = (None, None)
        if parameters is not None or not training:
            stats_dtype = x.dtype if parameters == "int" else lib.float32
            stats = lib.zeros(3, dtype=stats_dtype), lib.ones(3, dtype=stats_dtype)
        return lib.nn.functional.batch_norm(x, *stats, training=training)

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- antialiasing to the same size
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("kwargs", [{"size": (2, 6)}, {"scale_factor": 1.0}, {"size": (3, 6)},
                                    {"scale_factor": 1.1}])
def test_antialiased_interpolation_to_the_same_size(mode, dtype, kwargs):
    if dtype == "uint8" and kwargs == {"size": (3, 6)}:
        pytest.skip("torchless resizes floating-point tensors only (PyTorch's uint8 kernels round in fixed point)")

    def call(lib):
        x = lib.tensor(np.arange(12).reshape(1, 1, 2, 6).astype(dtype))
        if x.is_floating_point():
            x.requires_grad_()
        y = lib.nn.functional.interpolate(x, mode=mode, antialias=True, **kwargs)
        if not x.requires_grad:
            return y
        y.backward(lib.ones(y.shape, dtype=y.dtype))
        return y, x.grad

    assert_same_outcome(call, rtol=1e-3, atol=1e-3)


# ---------------------------------------------------------------------------- register_buffer's message
@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.Module().register_buffer("w", 3),
    lambda lib: lib.nn.CrossEntropyLoss(3),
    lambda lib: lib.nn.BCEWithLogitsLoss("mean"),
])
def test_register_buffer_of_a_non_tensor(call):
    assert_same_outcome(call)


# ---------------------------------------------------------------------------- circular padding's overlapping copies
@pytest.mark.parametrize("shape, pad", [
    ((1, 1, 2), (-1, 2)), ((1, 1, 2), (2, -1)), ((1, 1, 3), (-1, 3)), ((1, 1, 3), (2, -2)), ((1, 1, 3), (-2, 2)),
    ((3,), (-1, 3)), ((1, 3), (-1, 3)), ((1, 1, 2, 3), (0, 0, -1, 2)), ((1, 1, 1, 3, 2), (-1, 2, 0, 0)),
    ((1, 1, 3, 2), (-1, 2, 1, 1)), ((2, 3), (-1, 3)), ((1, 2, 3), (-1, 3)), ((1, 1, 3), (1, 1)),
    ((1, 1, 3), (-1, 2)), ((2, 1, 3), (-1, 2)), ((1, 2, 1, 3), (-1, 3)),
])
def test_circular_padding_wider_than_what_is_kept(shape, pad):
    def call(lib):
        x = lib.arange(float(np.prod(shape))).reshape(shape)
        return lib.nn.functional.pad(x, pad, mode="circular")

    assert_same_outcome(call)
