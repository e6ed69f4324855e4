"""Convolution, pooling and padding on cases earlier sessions missed (session 26), each checked against torch run on
the same arrays, or against an independent reference where torch is not needed."""
import warnings

import numpy as np
import pytest

import torchless


def c_strides(shape):
    """The strides (in elements) PyTorch allocates a tensor of ``shape`` with: C order, size-1 dims included."""
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


# ---------------------------------------------------------------- constant padding's gradient is a new tensor
# Padding one side and cropping another: the backward is constant_pad_nd of the gradient, which PyTorch allocates
# in C order; NumPy's view of the grown gradient kept that array's strides on size-1 dims.

PAD_CASES = [((1, 3), (-3, 3)), ((1, 3), (-1, 1)), ((1, 3), (1, -1)), ((1, 1, 4), (-3, 3)), ((1, 1, 4), (1, -1)),
             ((1, 3), (2, -1, -1, 0)), ((1, 1, 4), (2, -1, -1, 0)), ((1, 1, 4), (0, 0, -1, 1)), ((2, 1, 1, 5), (1, -2, 0, 1)),
             ((2, 3, 4), (-1, 1)), ((1, 1, 4), (-1, -1)), ((1, 2, 1, 4), (1, 1, 1, 1))]


@pytest.mark.parametrize("shape, pad", PAD_CASES)
def test_constant_pad_gradient_strides(shape, pad):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(data, requires_grad=True)
        out = lib.nn.functional.pad(x, pad, value=0.5)
        out.backward(lib.ones_like(out))
        results.append((tuple(out.shape), out.stride(), x.grad.stride(), x.grad.numpy().tolist()))
    assert results[1] == results[0]


def test_constant_pad_gradient_strides_without_torch():
    x = torchless.ones(1, 1, 4, requires_grad=True)
    out = torchless.nn.functional.pad(x, (-3, 3))
    out.backward(torchless.ones_like(out))
    assert x.grad.stride() == c_strides((1, 1, 4))
    assert x.grad.numpy().tolist() == [[[0.0, 0.0, 0.0, 1.0]]]  # [x3, 0, 0, 0]: the first three cropped
    y = torchless.arange(3.0).reshape(1, 3).requires_grad_()
    out = torchless.nn.functional.pad(y, (1, -1))  # [0, y0, y1]: y2 cropped
    out.backward(torchless.tensor([[10.0, 20.0, 30.0]]))
    assert y.grad.stride() == c_strides((1, 3))
    assert y.grad.numpy().tolist() == [[20.0, 30.0, 0.0]]


# ---------------------------------------------------------------- half convolutions by PyTorch's reference kernels
# A CPU without AVX-512 FP16 convolves float16 tensors with PyTorch's reference kernels, which store their GEMMs'
# results in half: the adjoint (the input's gradient, a transposed convolution's output) is rounded tap by tap as
# col2im adds the columns up, a weight's gradient sample by sample, a dilated convolution's bias gradient too.

def assert_same_half_bits(ours, theirs):
    """The same float16 bits, but for a rare float32 sum that its order of additions rounds to the other
    neighbour."""
    assert ours.dtype == theirs.dtype == np.float16
    differ = ours != theirs
    assert differ.mean() < 0.02
    np.testing.assert_array_equal(np.abs(ours[differ].view(np.int16) - theirs[differ].view(np.int16)), 1)


HALF_CASES = [
    ("conv2d", (3, 4, 6, 5), (3, 4, 3, 3), {"padding": 1}, False),
    ("conv2d", (3, 4, 7, 6), (4, 2, 3, 2), {"padding": 1, "groups": 2, "stride": 2}, False),
    ("conv2d", (2, 4, 6, 5), (3, 4, 3, 3), {"padding": 1, "dilation": 2}, False),
    ("conv2d", (2, 4, 6, 5), (3, 4, 2, 2), {"padding": "same"}, False),
    ("conv2d", (3, 4, 6, 5), (3, 4, 3, 3), {"padding": 1}, True),
    ("conv2d", (3, 4, 6, 5), (3, 4, 3, 2), {"dilation": 2, "stride": (1, 2)}, True),
    ("conv1d", (3, 4, 9), (3, 4, 3), {"padding": 1}, False),
    ("conv1d", (3, 4, 9), (3, 4, 3), {"padding": 1, "dilation": 2, "stride": 2}, False),
    ("conv3d", (2, 2, 4, 5, 4), (3, 2, 2, 2, 2), {"padding": 1, "stride": 2}, False),
    ("conv3d", (2, 2, 5, 5, 4), (3, 2, 2, 2, 2), {"dilation": 2}, False),
    ("conv_transpose2d", (3, 4, 6, 5), (4, 3, 3, 3), {"padding": 1}, False),
    ("conv_transpose2d", (3, 4, 6, 5), (4, 2, 3, 2), {"stride": 2, "groups": 2}, True),
    ("conv_transpose2d", (3, 4, 6, 5), (4, 2, 3, 3), {"stride": 2, "dilation": 2, "output_padding": 1}, False),
    ("conv_transpose1d", (3, 4, 9), (4, 3, 3), {"stride": 2}, False),
    ("conv_transpose3d", (2, 2, 4, 5, 4), (2, 3, 2, 3, 2), {"stride": 2, "padding": 1}, False),
]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("name, x_shape, w_shape, kwargs, channels_last", HALF_CASES)
def test_half_convolution_rounds_where_pytorch_does(name, x_shape, w_shape, kwargs, channels_last, create_graph):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x0 = (rng.standard_normal(x_shape) * 3).astype(np.float16)
    w0 = rng.standard_normal(w_shape).astype(np.float16)
    b0 = rng.standard_normal(w_shape[1] * kwargs.get("groups", 1) if "transpose" in name else w_shape[0])
    b0 = b0.astype(np.float16)
    results = []
    for lib in (torch, torchless):
        x, w, b = (lib.tensor(a).requires_grad_() for a in (x0, w0, b0))
        seen = x.contiguous(memory_format=lib.channels_last) if channels_last else x
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (padding='same' with an even kernel)
            y = getattr(lib.nn.functional, name)(seen, w, b, **kwargs)
        g = lib.tensor(np.random.default_rng(8).standard_normal(tuple(y.shape)).astype(np.float16))
        gradients = lib.autograd.grad(y, [x, w, b], g, create_graph=create_graph)
        results.append([(y.detach().numpy(), y.stride())] + [(t.detach().numpy(), t.stride()) for t in gradients])
    for (theirs, their_strides), (ours, our_strides) in zip(*results):
        assert our_strides == their_strides
        assert_same_half_bits(ours, theirs)


def test_col2im_rounds_tap_by_tap_in_the_layouts_order():
    from torchless._kernels import conv_half

    # input pixel 2 of a 3-tap convolution of 5 pixels gets 2048 (tap 0), 1 (tap 1), 1 (tap 2): half has no 2049
    y = np.array([[[[1.0, 1.0, 2048.0]]]], np.float16)
    w = np.ones((1, 1, 1, 3), np.float16)
    args = (1, 5), (1, 1), ((0, 0), (0, 0)), (1, 1), 1
    assert conv_half.col2im(y, w, *args)[0, 0, 0].tolist() == [1.0, 2.0, 2048.0, 2048.0, 2048.0]
    # channels last, the taps in reverse: 1 + 1 + 2048 = 2050, which half holds
    assert conv_half.col2im(y, w, *args, taps_reversed=True)[0, 0, 0].tolist() == [1.0, 2.0, 2050.0, 2048.0, 2048.0]


def test_weight_gradient_rounds_sample_by_sample():
    from torchless._kernels import conv_half

    terms = [np.float32(2048.0), np.float32(1.0), np.float32(1.0)]
    assert conv_half.summed_per_sample(lambda i: np.array([terms[i]]), 3).tolist() == [2048.0]
    assert conv_half.summed_per_sample(lambda i: np.array([terms[2 - i]]), 3).tolist() == [2050.0]


def test_half_input_gradient_without_torch():
    from torchless import _cpu_features

    x = torchless.zeros(1, 1, 5, dtype=torchless.float16, requires_grad=True)
    y = torchless.nn.functional.conv1d(x, torchless.ones(1, 1, 3, dtype=torchless.float16))
    (gradient,) = torchless.autograd.grad(y, x, torchless.tensor([[[1.0, 1.0, 2048.0]]], dtype=torchless.float16))
    # oneDNN rounds the sum once; the reference kernels after each tap (2048 + 1 is 2048 in half)
    middle = 2050.0 if _cpu_features.has("AVX512FP16") else 2048.0
    assert gradient.dtype == torchless.float16 and gradient[0, 0, 2].item() == middle


# ---------------------------------------------------------------- conv_tbc in half
# PyTorch's kernel adds each tap's matrix product (summed in float32) into the half output, rounding once a tap;
# its bias gradient is dOutput.sum(0).sum(0), two sums each rounded to half. NumPy's half matmul and sums rounded
# every partial sum.

@pytest.mark.parametrize("shape", [(7, 2, 3, 3, 4, 1), (9, 3, 5, 4, 2, 0), (5, 1, 2, 2, 3, 2), (12, 4, 6, 5, 3, 3),
                                   (6, 3, 2, 1, 2, 0)])
def test_conv_tbc_in_half(shape):
    torch = pytest.importorskip("torch")
    steps, batch, channels, kernel, out_channels, pad = shape
    rng = np.random.default_rng(0)
    x0 = (rng.standard_normal((steps, batch, channels)) * 3).astype(np.float16)
    w0 = rng.standard_normal((kernel, channels, out_channels)).astype(np.float16)
    b0 = rng.standard_normal(out_channels).astype(np.float16)
    results = []
    for lib in (torch, torchless):
        x, w, b = (lib.tensor(a).requires_grad_() for a in (x0, w0, b0))
        y = lib.conv_tbc(x, w, b, pad)
        g = lib.tensor(np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(np.float16))
        results.append([y.detach().numpy()] + [t.numpy() for t in lib.autograd.grad(y, [x, w, b], g)])
    for theirs, ours in zip(*results):
        assert_same_half_bits(ours, theirs)


def test_conv_tbc_in_half_without_torch():
    # against the kernel's loops in float64: each tap's product rounded into the half output; the bias gradient
    # summed over time, rounded, then over the batch
    rng = np.random.default_rng(3)
    x0 = (rng.standard_normal((9, 3, 5)) * 3).astype(np.float16)
    w0 = rng.standard_normal((3, 5, 4)).astype(np.float16)
    b0 = rng.standard_normal(4).astype(np.float16)
    g0 = rng.standard_normal((9, 3, 4)).astype(np.float16)  # (pad 1: as many steps out as in)
    expected = np.broadcast_to(b0, (9, 3, 4)).copy()
    for k in range(3):
        first_in, first_out = max(0, k - 1), max(0, 1 - k)
        steps = min(9 + 1 - k, 9) - first_out
        product = np.einsum("tbc,co->tbo", x0[first_in:first_in + steps].astype(np.float64), w0[k].astype(np.float64))
        expected[first_out:first_out + steps] = (expected[first_out:first_out + steps] + product).astype(np.float16)
    expected_gb = g0.astype(np.float64).sum(0).astype(np.float16).astype(np.float64).sum(0).astype(np.float16)
    b = torchless.tensor(b0, requires_grad=True)
    y = torchless.conv_tbc(torchless.tensor(x0), torchless.tensor(w0), b, 1)
    (gb,) = torchless.autograd.grad(y, b, torchless.tensor(g0))
    assert_same_half_bits(y.detach().numpy(), expected)
    assert_same_half_bits(gb.numpy(), expected_gb)
