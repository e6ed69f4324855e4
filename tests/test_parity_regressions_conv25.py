"""Convolution and pooling on cases earlier sessions missed (session 25), each run on torch and on torchless from
the same arrays: node names, whether gradients require grad, shapes, dtypes and values (float32 precision), or the
exception's type and message (torchless's names read as torch's)."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def described(value):
    """A tensor as (shape, dtype, values rounded to float32 precision), a node as its name, anything else as is."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        return [described(item) for item in value]
    if hasattr(value, "next_functions"):
        return value.name()
    return tuple(value.shape), str(value.dtype).split(".")[-1], np.round(value.detach().numpy().astype(np.float64),
                                                                         4).tolist()


def outcome(lib, make):
    try:
        return described(make(lib))
    except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
        return type(error).__name__, str(error).replace("torchless", "torch")


def same_in_both(make):
    expected, got = outcome(torch, make), outcome(torchless, make)
    assert got == expected
    return expected


def random_array(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def gradient_graph(gradient):
    """What PyTorch shows of a gradient computed under create_graph=True: whether it requires grad, its node and
    that node's next functions."""
    node = gradient.grad_fn
    return [gradient.requires_grad, node, None if node is None else [edge for edge, _ in node.next_functions],
            gradient]


# ---------------------------------------------------------------- double backward through an empty batch
# An empty batch takes PyTorch's "Empty" convolution backend, whose gradients still come from convolution_backward:
# under create_graph they require grad when the input or weight does (ConvolutionBackwardBackward0), and their own
# gradients are nothing for the input and weight, the empty sum's expansion for the output's gradient.

@pytest.mark.parametrize("name, x_shape, w_shape, kwargs", [
    ("conv1d", (0, 4, 5), (4, 4, 3), {}),
    ("conv2d", (0, 4, 5, 5), (4, 2, 3, 3), {"groups": 2, "stride": 2}),
    ("conv3d", (0, 2, 3, 4, 3), (2, 2, 2, 3, 1), {"padding": "same"}),
    ("conv_transpose1d", (0, 6, 6), (6, 2, 2), {"stride": 3, "groups": 3, "output_padding": 1}),
    ("conv_transpose2d", (0, 4, 3, 3), (4, 1, 3, 2), {"stride": 2, "groups": 2}),
    ("conv_transpose3d", (0, 2, 2, 3, 2), (2, 1, 2, 2, 2), {}),
])
@pytest.mark.parametrize("with_bias", [False, True])
@pytest.mark.parametrize("grad_requires_grad", [False, True])
@pytest.mark.parametrize("inputs_requiring_grad", [(0, 1), (1,), (0,), (2,)])
def test_empty_batch_convolution_double_backward(name, x_shape, w_shape, kwargs, with_bias, grad_requires_grad,
                                                 inputs_requiring_grad):
    if 2 in inputs_requiring_grad and not with_bias:
        pytest.skip("no bias to differentiate")
    transposed = "transpose" in name
    bias_size = w_shape[1] * kwargs.get("groups", 1) if transposed else w_shape[0]

    def make(lib):
        x = lib.tensor(random_array(x_shape))
        w = lib.tensor(random_array(w_shape, 1))
        b = lib.tensor(random_array(bias_size, 2)) if with_bias else None
        wanted = [t.requires_grad_() for i, t in enumerate((x, w, b)) if i in inputs_requiring_grad]
        y = getattr(lib.nn.functional, name)(x, w, b, **kwargs)
        g = lib.tensor(random_array(tuple(y.shape), 3)).requires_grad_(grad_requires_grad)
        gradients = lib.autograd.grad(y, wanted, g, create_graph=True)
        out = [y.grad_fn] + [gradient_graph(gradient) for gradient in gradients]
        total = sum(gradient.sum() for gradient in gradients)
        if total.requires_grad:
            out.append(lib.autograd.grad(total, wanted + [g] * grad_requires_grad, allow_unused=True))
        return out
    same_in_both(make)


@pytest.mark.parametrize("x_shape, w_shape", [((2, 0, 3), (2, 0, 2)), ((1, 0, 1, 4), (3, 0, 1, 1)),
                                             ((0, 0, 3, 1), (1, 0, 2, 2))])
def test_convolution_gradients_of_an_input_without_channels_under_create_graph(x_shape, w_shape):
    """Its gradients are zeros shaped as each tensor, the bias's too (its output has no channels)."""
    def make(lib):
        x = lib.tensor(random_array(x_shape)).requires_grad_()
        w = lib.tensor(random_array(w_shape, 1)).requires_grad_()
        b = lib.tensor(random_array(w_shape[0], 2)).requires_grad_()
        y = getattr(lib.nn.functional, f"conv{len(x_shape) - 2}d")(x, w, b)
        gradients = lib.autograd.grad(y, (x, w, b), lib.ones_like(y), create_graph=True)
        return [y] + [gradient_graph(gradient) for gradient in gradients]
    same_in_both(make)


@pytest.mark.parametrize("call", [
    lambda F, x: F.max_pool1d(x, 3, 2, dilation=2),
    lambda F, x: F.max_pool2d(x, 2, ceil_mode=True, padding=1),
    lambda F, x: F.max_pool2d(x, 2, return_indices=True)[0],
    lambda F, x: F.max_pool3d(x.unsqueeze(-1).expand(*x.shape, 3), 2),
    lambda F, x: F.adaptive_max_pool2d(x, (3, 2)),
    lambda F, x: F.adaptive_max_pool3d(x.unsqueeze(-1).expand(*x.shape, 3), (3, 2, 1)),
    lambda F, x: F.fractional_max_pool2d(x, 2, output_size=3, _random_samples=x.new_full((0, 2, 2), 0.3)),
    lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2),
    lambda F, x: F.avg_pool2d(x, 3, 2, 1, True, False, 5),
    lambda F, x: F.avg_pool3d(x.unsqueeze(-1).expand(*x.shape, 3), 2, ceil_mode=True),
    lambda F, x: F.avg_pool1d(x.flatten(2), 3, 2, 1),
])
def test_empty_batch_pooling_double_backward(call):
    def make(lib):
        x = lib.tensor(random_array((0, 2, 7, 7))).requires_grad_()
        y = call(lib.nn.functional, x)
        g = lib.tensor(random_array(tuple(y.shape), 1)).requires_grad_()
        (gradient,) = lib.autograd.grad(y, x, g, create_graph=True)
        return [gradient_graph(gradient), lib.autograd.grad(gradient.sum(), (x, g), allow_unused=True)]
    same_in_both(make)


def test_empty_batch_double_backward_without_torch():
    F = torchless.nn.functional
    x = torchless.zeros(0, 2, 4, 4, 4, dtype=torchless.float64, requires_grad=True)
    w = torchless.ones(3, 2, 1, 1, 1, dtype=torchless.float64, requires_grad=True)
    y = F.conv3d(x, w)
    gx, gw = torchless.autograd.grad(y, (x, w), torchless.ones_like(y), create_graph=True)
    assert gx.requires_grad and gw.requires_grad and gw.grad_fn.name() == "ConvolutionBackwardBackward0"
    assert gw.tolist() == np.zeros((3, 2, 1, 1, 1)).tolist()
    assert torchless.autograd.grad(gw.sum(), (x, w), allow_unused=True) == (None, None)
    pooled = F.avg_pool3d(x, 2)
    g = torchless.ones_like(pooled, requires_grad=True)
    (gx,) = torchless.autograd.grad(pooled, x, g, create_graph=True)
    assert gx.shape == x.shape and gx.grad_fn.name() == "AvgPool3DBackwardBackward0"
    assert torchless.autograd.grad(gx.sum(), g)[0].shape == g.shape


# ---------------------------------------------------------------- transposed convolutions to an empty output
# oneDNN (float32 with a batch or groups) accepts padding that leaves an output axis empty; the 3-D kernels failed to
# reshape the empty result of a kernel of one tap in depth.

@pytest.mark.parametrize("x_shape, w_shape, kwargs", [
    ((2, 2, 3, 3, 2), (2, 2, 1, 1, 1), {"padding": (0, 0, 1)}),
    ((1, 2, 3, 3, 2), (2, 1, 1, 1, 1), {"padding": (0, 0, 1), "groups": 2}),
    ((2, 2, 3, 3, 1), (2, 2, 1, 1, 2), {"padding": (0, 0, 1)}),
    ((3, 4, 2, 4, 2), (4, 1, 1, 1, 2), {"padding": (0, 2, 0), "groups": 2}),
    ((2, 2, 3, 2), (2, 2, 1, 1), {"padding": (0, 1)}),
])
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("create_graph", [False, True])
def test_transposed_convolution_to_an_empty_output(x_shape, w_shape, kwargs, channels_last, create_graph):
    def make(lib):
        x = lib.tensor(random_array(x_shape)).float()
        if channels_last:
            x = x.contiguous(memory_format=lib.channels_last if len(x_shape) == 4 else lib.channels_last_3d)
        x.requires_grad_()
        w = lib.tensor(random_array(w_shape, 1)).float().requires_grad_()
        b = lib.tensor(random_array(w_shape[1] * kwargs.get("groups", 1), 2)).float().requires_grad_()
        y = getattr(lib.nn.functional, f"conv_transpose{len(x_shape) - 2}d")(x, w, b, **kwargs)
        gradients = lib.autograd.grad(y, (x, w, b), lib.ones_like(y), create_graph=create_graph)
        return [y, list(y.stride())] + [[gradient, list(gradient.stride())] for gradient in gradients]
    same_in_both(make)


def test_transposed_convolution_to_an_empty_output_without_torch():
    x = torchless.ones(2, 2, 3, 3, 2, requires_grad=True)
    y = torchless.nn.functional.conv_transpose3d(x, torchless.ones(2, 2, 1, 1, 1), padding=(0, 0, 1))
    assert y.shape == (2, 2, 3, 3, 0)
    (gradient,) = torchless.autograd.grad(y, x, torchless.ones(2, 2, 3, 3, 0))
    assert gradient.tolist() == np.zeros((2, 2, 3, 3, 2)).tolist()


# ---------------------------------------------------------------- float16 gradients keep their layout
# A float16 convolution computes in float32 and rounds each gradient once; the rounding kept NumPy's strides, which
# differ from the gradient's on size-1 dims (a 1x1 kernel's weight gradient of a channels-last input, whose strides
# PyTorch's oneDNN path makes exactly channels-last).

@pytest.mark.parametrize("name", ["conv", "conv_transpose"])
@pytest.mark.parametrize("spatial", [1, 2, 3])
@pytest.mark.parametrize("groups", [1, 3])
@pytest.mark.parametrize("input_requires_grad", [False, True])
@pytest.mark.parametrize("create_graph", [False, True])
def test_float16_gradients_keep_the_strides_of_their_layout(name, spatial, groups, input_requires_grad,
                                                             create_graph):
    def make(lib):
        x = lib.tensor(random_array((2, 6, 4, 3, 6)[:spatial + 2])).half()
        if spatial > 1:
            x = x.contiguous(memory_format=lib.channels_last if spatial == 2 else lib.channels_last_3d)
        x.requires_grad_(input_requires_grad)
        w = lib.tensor(random_array((6, 6 // groups) + (1,) * spatial, 1)).half().requires_grad_()
        y = getattr(lib.nn.functional, f"{name}{spatial}d")(x, w, stride=2, groups=groups)
        gradients = lib.autograd.grad(y, [x, w] if input_requires_grad else [w], lib.ones_like(y),
                                      create_graph=create_graph)
        return [y, list(y.stride())] + [[gradient, list(gradient.stride())] for gradient in gradients]
    same_in_both(make)


def test_float16_weight_gradient_strides_without_torch():
    from torchless.nn._functional._conv_nodes import HalfConvolution

    x = np.random.default_rng(0).standard_normal((2, 6, 4, 3)).astype(np.float16)
    node = HalfConvolution()
    node.needs_input_grad = (False, True, False)
    y = node.forward(np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2),
                     np.ones((6, 6, 1, 1), np.float16), None, stride=(2, 2), padding=((0, 0), (0, 0)),
                     dilation=(1, 1), groups=1)
    _, gw, _ = node.backward(np.ones_like(y))
    expected = (6, 1, 6, 6) if node.uses_mkldnn else (6, 1, 1, 1)
    assert gw.dtype == np.float16 and tuple(s // 2 for s in gw.strides) == expected


# ---------------------------------------------------------------- create_graph gradients laid out as backward's
# Under create_graph=True the gradients are computed as tensor ops, then laid out as the backward kernels lay them
# out: padding's (reflect, replicate, circular) kept odd strides on size-1 dims (contiguous() overlooks those), and
# pooling's of a channels-last input came out C-contiguous.

@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape", [(1, 1, 6, 3), (1, 3, 1, 3), (1, 1, 5), (2, 1, 5), (1, 1, 3, 3, 2), (2, 2, 4, 3)])
@pytest.mark.parametrize("channels_last", [False, True])
def test_padding_gradient_under_create_graph_has_backwards_strides(mode, shape, channels_last):
    def make(lib):
        x = lib.tensor(random_array(shape))
        if channels_last and len(shape) > 3:
            x = x.contiguous(memory_format=lib.channels_last if len(shape) == 4 else lib.channels_last_3d)
        x.requires_grad_()
        y = lib.nn.functional.pad(x, (1, 1) * (len(shape) - 2), mode=mode)
        g = lib.tensor(random_array(tuple(y.shape), 1))
        return [[gradient, list(gradient.stride())] for create_graph in (False, True)
                for gradient in lib.autograd.grad(y, x, g, create_graph=create_graph, retain_graph=True)]
    same_in_both(make)


@pytest.mark.parametrize("call, shape", [
    (lambda F, x: F.max_pool2d(x, 2, ceil_mode=True, padding=1), (2, 2, 5, 5)),
    (lambda F, x: F.max_pool2d(x, 2, return_indices=True)[0], (1, 3, 5, 5)),
    (lambda F, x: F.max_pool3d(x, 2), (1, 2, 4, 4, 4)),
    (lambda F, x: F.avg_pool2d(x, 3, 2, 1, True, False, 5), (2, 2, 6, 6)),
    (lambda F, x: F.avg_pool3d(x, 2, ceil_mode=True), (1, 2, 3, 4, 5)),
    (lambda F, x: F.lp_pool2d(x.abs() + 0.5, 3, 2), (1, 2, 6, 6)),
    (lambda F, x: F.adaptive_max_pool2d(x, (3, 2)), (2, 2, 7, 5)),
    (lambda F, x: F.adaptive_avg_pool2d(x, (3, 2)), (2, 2, 7, 5)),
    (lambda F, x: F.max_pool1d(x.flatten(2).transpose(1, 2), 2), (2, 3, 2, 3)),
    (lambda F, x: F.avg_pool1d(x.flatten(2).transpose(1, 2), 2, padding=1), (2, 3, 2, 3)),
])
def test_pooling_gradient_under_create_graph_has_backwards_strides(call, shape):
    def make(lib):
        x = lib.tensor(random_array(shape))
        x = x.contiguous(memory_format=lib.channels_last if len(shape) == 4 else lib.channels_last_3d)
        x.requires_grad_()
        y = call(lib.nn.functional, x)
        g = lib.tensor(random_array(tuple(y.shape), 1))
        out = []
        for create_graph in (False, True):
            (gradient,) = lib.autograd.grad(y, x, g, create_graph=create_graph, retain_graph=True)
            out += [gradient, list(gradient.stride())]
        out.append(lib.autograd.grad(gradient.sum(), x, allow_unused=True))
        return out
    same_in_both(make)


def test_create_graph_gradient_strides_without_torch():
    F = torchless.nn.functional
    x = torchless.ones(1, 1, 6, 3, dtype=torchless.float64, requires_grad=True)
    y = F.pad(x, (1, 1, 1, 1), mode="replicate")
    (gradient,) = torchless.autograd.grad(y, x, torchless.ones_like(y), create_graph=True)
    assert gradient.stride() == (18, 18, 3, 1)
    x = torchless.ones(2, 3, 4, 4, dtype=torchless.float64).contiguous(memory_format=torchless.channels_last)
    x.requires_grad_()
    y = F.max_pool2d(x, 2)
    (gradient,) = torchless.autograd.grad(y, x, torchless.ones_like(y), create_graph=True)
    assert gradient.stride() == (48, 1, 12, 3) and gradient.grad_fn.name() == "MaxPool2DWithIndicesBackwardBackward0"


# ---------------------------------------------------------------- unfold's gradient of a single plane
# col2im crops the padding off its image: of one plane (batch and channels 1) a contiguous view whose size-1 dims
# kept the padded image's strides, where PyTorch's col2im allocates C strides.

@pytest.mark.parametrize("shape, kwargs", [
    ((1, 1, 3, 6), {"kernel_size": (3, 2), "dilation": (1, 2), "padding": (1, 0), "stride": (2, 1)}),
    ((1, 1, 3, 1), {"kernel_size": 1, "dilation": (1, 2), "padding": (1, 0)}),
    ((1, 3, 1), {"kernel_size": (2, 1), "padding": (1, 0)}),
    ((2, 1, 3, 4), {"kernel_size": 2, "padding": 1}),
])
@pytest.mark.parametrize("create_graph", [False, True])
def test_unfold_gradient_of_one_plane_has_c_strides(shape, kwargs, create_graph):
    def make(lib):
        x = lib.tensor(random_array(shape)).requires_grad_()
        y = lib.nn.functional.unfold(x, **kwargs)
        (gradient,) = lib.autograd.grad(y, x, lib.tensor(random_array(tuple(y.shape), 1)), create_graph=create_graph)
        return [gradient, list(gradient.stride())]
    same_in_both(make)


def test_unfold_gradient_strides_without_torch():
    x = torchless.ones(1, 1, 3, 6, requires_grad=True)
    y = torchless.nn.functional.unfold(x, (3, 2), padding=(1, 0))
    (gradient,) = torchless.autograd.grad(y, x, torchless.ones_like(y))
    assert gradient.stride() == (18, 18, 6, 1)


# ---------------------------------------------------------------- weight gradient of the dilated backend
# PyTorch's dilated convolution (SlowDilated2d, a 1-D one run as 2-D) writes the weight's gradient exactly in the
# channels-last layout its input suggests, as oneDNN does, where its reference kernel writes it in C order first
# (which keeps C strides on size-1 dims that make them channels-last too).

@pytest.mark.parametrize("x_shape, w_shape, kwargs", [
    ((1, 1, 6), (2, 1, 3), {"dilation": 2}),
    ((2, 1, 6), (2, 1, 3), {"dilation": 2}),
    ((1, 1, 6), (1, 1, 3), {"dilation": 2}),
    ((1, 1, 6), (2, 1, 3), {"stride": 2}),
    ((1, 3, 1), (3, 1, 2), {"dilation": 2, "groups": 3, "padding": 2, "stride": 2}),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_dilated_1d_convolution_weight_gradient_of_a_channels_innermost_input(x_shape, w_shape, kwargs, dtype,
                                                                              create_graph):
    if dtype == "float32" and kwargs.get("groups", 1) > 1:
        pytest.skip("oneDNN's")

    def make(lib):
        values = random_array(x_shape[:1] + x_shape[2:] + x_shape[1:2])
        x = lib.tensor(values).to(getattr(lib, dtype)).transpose(1, 2)  # (strides: channels innermost)
        w = lib.tensor(random_array(w_shape, 1)).to(getattr(lib, dtype)).requires_grad_()
        y = lib.nn.functional.conv1d(x, w, **kwargs)
        (gradient,) = lib.autograd.grad(y, w, lib.ones_like(y), create_graph=create_graph)
        return [y, list(y.stride()), gradient, list(gradient.stride())]
    same_in_both(make)


@pytest.mark.parametrize("spatial", [2, 3])
@pytest.mark.parametrize("groups", [1, 3])
@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("kernel", [1, 2])
def test_channels_last_convolution_gradient_layouts(spatial, groups, dilation, kernel):
    def make(lib):
        x = lib.tensor(random_array((1, 3) + (5,) * spatial))
        x = x.contiguous(memory_format=lib.channels_last if spatial == 2 else lib.channels_last_3d).requires_grad_()
        w = lib.tensor(random_array((3, 3 // groups) + (kernel,) * spatial, 1)).requires_grad_()
        y = getattr(lib.nn.functional, f"conv{spatial}d")(x, w, dilation=dilation, groups=groups)
        gradients = lib.autograd.grad(y, (x, w), lib.ones_like(y))
        return [list(y.stride())] + [[gradient, list(gradient.stride())] for gradient in gradients]
    same_in_both(make)
