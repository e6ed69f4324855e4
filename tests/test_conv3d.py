"""F.conv3d, F.conv_transpose3d, nn.Conv3d, nn.ConvTranspose3d and their array kernels.

Checked three ways:
  * against a slow, direct float64 3-D convolution written below (a loop over the kernel's depth,
    height and width offsets and the groups), and by central finite differences in float64: no torch
    needed;
  * against PyTorch (outputs and input/weight/bias gradients, float32 and float64) over random shapes
    and arguments, and for the layers' construction, repr and padding modes;
  * bad calls against PyTorch: same exception type and same message, with torch. -> torchless.
"""
import itertools
import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import central_difference, examples, numerical_gradients, state_dict_from_torch
from torchless._kernels import conv3d as kernels3d

TOLERANCE = {"float32": 1e-4, "float64": 1e-10}


# ---------------------------------------------------------------------------- independent references
def _taps(start, dilation, stride, count):
    """The slice of positions start * dilation, + stride, ... (count of them)."""
    return slice(start * dilation, start * dilation + stride * (count - 1) + 1, stride)


def direct_conv3d(x, w, b, stride, pads, dilation, groups):
    """Cross-correlation in float64, one kernel offset (kd, kh, kw) and group at a time; ``pads`` is
    ((front, back), (top, bottom), (left, right))."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
    kd, kh, kw = w.shape[2:]
    out = [(n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(xp.shape[2:], (kd, kh, kw), stride, dilation)]
    cin, cout = w.shape[1], w.shape[0] // groups
    y = np.zeros((x.shape[0], w.shape[0], *out))
    for g in range(groups):
        ins, outs = slice(g * cin, (g + 1) * cin), slice(g * cout, (g + 1) * cout)
        for i in range(kd):
            for j in range(kh):
                for k in range(kw):
                    taps = xp[:, ins, _taps(i, dilation[0], stride[0], out[0]),
                              _taps(j, dilation[1], stride[1], out[1]), _taps(k, dilation[2], stride[2], out[2])]
                    y[:, outs] += np.einsum("ncdhw,oc->nodhw", taps, w[outs, :, i, j, k])
    if b is not None:
        y += np.asarray(b, np.float64).reshape(1, -1, 1, 1, 1)
    return y


def direct_conv_transpose3d(x, w, b, stride, padding, output_padding, dilation, groups):
    """Transposed convolution by scattering: input voxel p adds x[p] * w[tap] at output p * stride + tap * dilation."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    kernel, spatial = w.shape[2:], x.shape[2:]
    full = [(n - 1) * s + d * (k - 1) + 1 + op for n, s, d, k, op in zip(spatial, stride, dilation, kernel,
                                                                           output_padding)]
    cin, cout = x.shape[1] // groups, w.shape[1]
    y = np.zeros((x.shape[0], cout * groups, *full))
    for g in range(groups):
        ins, outs = slice(g * cin, (g + 1) * cin), slice(g * cout, (g + 1) * cout)
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                for k in range(kernel[2]):
                    target = tuple(_taps(t, d, s, n) for t, d, s, n in zip((i, j, k), dilation, stride, spatial))
                    y[(slice(None), outs) + target] += np.einsum("ncdhw,co->nodhw", x[:, ins], w[ins, :, i, j, k])
    y = y[(slice(None), slice(None)) + tuple(slice(p, n - p) for p, n in zip(padding, full))]
    if b is not None:
        y += np.asarray(b, np.float64).reshape(1, -1, 1, 1, 1)
    return y


def same_pads(kernel, dilation):
    """padding='same' as documented by PyTorch: total d * (k - 1), the odd cell at the end."""
    return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation))


def test_reference_matches_a_hand_computed_convolution():
    """The reference itself: a 2x1x1 kernel over a 3x1x2 input, y[d, w] = x[d, w] + 10 x[d + 1, w] (+ bias)."""
    x = np.arange(1.0, 7.0).reshape(1, 1, 3, 1, 2)
    w = np.array([1.0, 10.0]).reshape(1, 1, 2, 1, 1)
    y = direct_conv3d(x, w, [0.5], (1, 1, 1), ((0, 0),) * 3, (1, 1, 1), 1)
    np.testing.assert_array_equal(y.reshape(2, 2), [[31.5, 42.5], [53.5, 64.5]])
    # and its transpose scatters: x[d] * w[k] lands at output d + k
    y = direct_conv_transpose3d(np.array([1.0, 2.0]).reshape(1, 1, 2, 1, 1), w, None, (1, 1, 1), (0, 0, 0),
                                (0, 0, 0), (1, 1, 1), 1)
    np.testing.assert_array_equal(y.ravel(), [1.0, 12.0, 20.0])


# ---------------------------------------------------------------------------- random configurations
@st.composite
def conv3d_configs(draw, transposed=False):
    groups = draw(st.integers(1, 3))
    cfg = dict(groups=groups, batch=draw(st.integers(1, 2)), batched=draw(st.booleans()),
               cin=groups * draw(st.integers(1, 2)), cout=groups * draw(st.integers(1, 2)),
               kernel=tuple(draw(st.integers(1, 3)) for _ in range(3)),
               stride=tuple(draw(st.integers(1, 3)) for _ in range(3)),
               dilation=tuple(draw(st.integers(1, 2)) for _ in range(3)), bias=draw(st.booleans()))
    spans = [d * (k - 1) + 1 for k, d in zip(cfg["kernel"], cfg["dilation"])]
    if transposed:
        cfg["padding"] = tuple(draw(st.integers(0, 2)) for _ in range(3))
        cfg["output_padding"] = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(cfg["stride"],
                                                                                          cfg["dilation"]))
        # at least one output cell: (n - 1) * s + span > 2 * padding
        smallest = [max(1, (2 * p - sp + s) // s + 1) for p, sp, s in zip(cfg["padding"], spans, cfg["stride"])]
        cfg["size"] = tuple(draw(st.integers(n, n + 2)) for n in smallest)
        return cfg
    kind = draw(st.sampled_from(["int", "tuple", "valid", "same"]))
    if kind == "same":
        cfg["stride"], cfg["padding"], pads = (1, 1, 1), "same", [0, 0, 0]
    elif kind == "valid":
        cfg["padding"], pads = "valid", [0, 0, 0]
    else:
        pads = [draw(st.integers(0, 2))] * 3 if kind == "int" else [draw(st.integers(0, 2)) for _ in range(3)]
        cfg["padding"] = pads[0] if kind == "int" else tuple(pads)
    cfg["size"] = tuple(max(1, sp - 2 * p) + draw(st.integers(0, 3)) for sp, p in zip(spans, pads))
    return cfg


def make_arrays(cfg, transposed, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((cfg["batch"], cfg["cin"], *cfg["size"]))
    wshape = (cfg["cin"], cfg["cout"] // cfg["groups"]) if transposed else (cfg["cout"], cfg["cin"] // cfg["groups"])
    w = rng.standard_normal(wshape + cfg["kernel"])
    b = rng.standard_normal(cfg["cout"]) if cfg["bias"] else None
    return x, w, b


def call(lib, cfg, x, w, b, transposed):
    """Run the configured convolution with library ``lib`` (torch or torchless) on tensors x, w, b."""
    functional = lib.nn.functional
    if transposed:
        return functional.conv_transpose3d(x, w, b, stride=cfg["stride"], padding=cfg["padding"],
                                           output_padding=cfg["output_padding"], groups=cfg["groups"],
                                           dilation=cfg["dilation"])
    return functional.conv3d(x, w, b, stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"],
                             groups=cfg["groups"])


def reference(cfg, x, w, b, transposed):
    if transposed:
        return direct_conv_transpose3d(x, w, b, cfg["stride"], cfg["padding"], cfg["output_padding"],
                                       cfg["dilation"], cfg["groups"])
    padding = cfg["padding"]
    if padding == "same":
        pads = same_pads(cfg["kernel"], cfg["dilation"])
    elif padding == "valid":
        pads = ((0, 0),) * 3
    else:
        pads = tuple((p, p) for p in ((padding,) * 3 if isinstance(padding, int) else padding))
    return direct_conv3d(x, w, b, cfg["stride"], pads, cfg["dilation"], cfg["groups"])


def run_torchless(cfg, x, w, b, transposed, dtype, grad_out=None):
    """Output and (with ``grad_out``) the input, weight and bias gradients, as NumPy arrays."""
    tensors = [None if a is None else torchless.tensor(a, dtype=dtype, requires_grad=grad_out is not None)
               for a in (x, w, b)]
    xt = tensors[0] if cfg["batched"] else tensors[0][0]
    y = call(torchless, cfg, xt, tensors[1], tensors[2], transposed)
    if grad_out is None:
        return y.detach().numpy(), None
    y.backward(torchless.tensor(grad_out if cfg["batched"] else grad_out[0], dtype=dtype))
    return y.detach().numpy(), [None if t is None else t.grad.numpy() for t in tensors]


def assert_close(actual, expected, dtype_name):
    rtol = TOLERANCE[dtype_name]
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * max(1.0, np.abs(expected).max(initial=0)))


# ---------------------------------------------------------------------------- against the direct reference
@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "conv_transpose"])
@examples(30)
@given(data=st.data())
def test_output_matches_direct_reference(transposed, dtype_name, data):
    cfg = data.draw(conv3d_configs(transposed))
    x, w, b = make_arrays(cfg, transposed)
    dtype = getattr(torchless, dtype_name)
    # the reference sees the values the library sees (float32 inputs are rounded)
    x, w, b = (None if a is None else a.astype(dtype_name) for a in (x, w, b))
    out, _ = run_torchless(cfg, x, w, b, transposed, dtype)
    assert out.dtype == np.dtype(dtype_name)
    expected = reference(cfg, x, w, b, transposed)
    assert_close(out, expected if cfg["batched"] else expected[0], dtype_name)


# Named shapes: (x shape, w shape, stride, padding as pairs per dim, dilation, groups).
NAMED_SHAPES = {
    "cubic_3": ((2, 3, 6, 7, 8), (4, 3, 3, 3, 3), (1, 1, 1), ((1, 1),) * 3, (1, 1, 1), 1),
    "non_cubic_kernel": ((2, 2, 5, 6, 7), (3, 2, 1, 2, 3), (1, 1, 1), ((0, 0), (1, 1), (2, 2)), (1, 1, 1), 1),
    "pointwise": ((2, 5, 3, 4, 6), (7, 5, 1, 1, 1), (1, 1, 1), ((0, 0),) * 3, (1, 1, 1), 1),
    "pointwise_strided": ((2, 5, 5, 4, 6), (3, 5, 1, 1, 1), (2, 1, 3), ((0, 0),) * 3, (1, 1, 1), 1),
    "pointwise_padded_depth": ((1, 2, 3, 4, 4), (3, 2, 1, 1, 1), (1, 1, 1), ((1, 1), (0, 0), (0, 0)), (1, 1, 1), 1),
    "depthwise": ((2, 4, 5, 6, 6), (4, 1, 3, 3, 3), (1, 1, 1), ((1, 1),) * 3, (1, 1, 1), 4),
    "depthwise_multiplier": ((1, 3, 4, 5, 5), (6, 1, 2, 3, 2), (2, 1, 2), ((1, 1), (0, 0), (1, 1)), (1, 2, 1), 3),
    "grouped_strided_dilated": ((2, 6, 9, 8, 7), (4, 3, 3, 2, 3), (2, 3, 1), ((2, 2), (1, 1), (0, 0)), (2, 1, 2), 2),
    "batch_1_deep_stride": ((1, 3, 11, 5, 5), (2, 3, 4, 3, 3), (3, 2, 2), ((2, 2), (1, 1), (1, 1)), (1, 1, 1), 1),
    "kernel_equals_input": ((2, 2, 3, 4, 2), (3, 2, 3, 4, 2), (1, 1, 1), ((0, 0),) * 3, (1, 1, 1), 1),
    "depth_padding_beyond_kernel": ((1, 2, 2, 3, 3), (2, 2, 2, 1, 1), (2, 1, 1), ((3, 3), (0, 0), (0, 0)), (1, 1, 1),
                                    1),
    "same_even_kernel": ((1, 2, 5, 4, 6), (3, 2, 2, 4, 3), (1, 1, 1), ((0, 1), (1, 2), (2, 2)), (1, 1, 2), 1),
}


def _named_call(x_shape, w_shape, stride, pads, dilation, groups, dtype, bias=True):
    rng = np.random.default_rng(11)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype) if bias else None
    if any(lo != hi for lo, hi in pads):
        assert stride == (1, 1, 1)  # padding='same', the only way to pad unevenly
        padding = "same"
    else:
        padding = tuple(lo for lo, _ in pads)
    return x, w, b, padding


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(NAMED_SHAPES))
def test_named_shapes_match_direct_reference(name, dtype):
    x_shape, w_shape, stride, pads, dilation, groups = NAMED_SHAPES[name]
    x, w, b, padding = _named_call(x_shape, w_shape, stride, pads, dilation, groups, dtype)
    y = F.conv3d(torchless.tensor(x), torchless.tensor(w), torchless.tensor(b), stride=stride, padding=padding,
                 dilation=dilation, groups=groups).numpy()
    assert y.dtype == np.dtype(dtype)
    assert_close(y, direct_conv3d(x, w, b, stride, pads, dilation, groups), dtype)


def test_padding_same_with_even_kernel_puts_the_extra_cell_at_the_back():
    x = np.arange(1.0, 6.0).reshape(1, 1, 5, 1, 1)
    w = np.array([1.0, 10.0]).reshape(1, 1, 2, 1, 1)  # y[d] = x[d] + 10 * x[d + 1], x[5] = 0
    y = F.conv3d(torchless.tensor(x), torchless.tensor(w), padding="same").numpy()
    np.testing.assert_array_equal(y.ravel(), [21.0, 32.0, 43.0, 54.0, 5.0])


def test_unbatched_input_gives_the_first_item_of_the_batched_result():
    rng = np.random.default_rng(2)
    x, w = torchless.tensor(rng.standard_normal((3, 5, 6, 7))), torchless.tensor(rng.standard_normal((2, 3, 3, 2, 2)))
    np.testing.assert_array_equal(F.conv3d(x, w, stride=2).numpy(), F.conv3d(x.unsqueeze(0), w, stride=2)[0].numpy())
    wt = torchless.tensor(rng.standard_normal((3, 2, 2, 3, 2)))
    np.testing.assert_array_equal(F.conv_transpose3d(x, wt, stride=2).numpy(),
                                  F.conv_transpose3d(x.unsqueeze(0), wt, stride=2)[0].numpy())


def test_integer_convolution_stays_integer_and_exact():
    x = torchless.arange(2 * 3 * 3 * 3).reshape(1, 2, 3, 3, 3)
    w = torchless.ones(1, 2, 2, 2, 2, dtype=torchless.int64)
    y = F.conv3d(x, w, torchless.tensor([1]))
    assert y.dtype == torchless.int64
    expected = direct_conv3d(x.numpy(), w.numpy(), [1], (1, 1, 1), ((0, 0),) * 3, (1, 1, 1), 1)
    np.testing.assert_array_equal(y.numpy(), expected.astype(np.int64))


def test_empty_batch_gives_an_empty_output_and_zero_weight_gradient():
    w = torchless.ones(2, 3, 3, 3, 3, requires_grad=True)
    y = F.conv3d(torchless.ones(0, 3, 4, 5, 5), w, padding=1)
    assert y.shape == (0, 2, 4, 5, 5)
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((2, 3, 3, 3, 3)))


@pytest.mark.parametrize("dtype", [torchless.float32, torchless.float64])
@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "conv_transpose"])
def test_output_and_gradients_keep_the_dtype(dtype, transposed):
    fn = F.conv_transpose3d if transposed else F.conv3d
    x = torchless.ones(2, 2, 3, 4, 4, dtype=dtype, requires_grad=True)
    w = torchless.ones(2, 1, 3, 3, 3, dtype=dtype, requires_grad=True)
    b = torchless.zeros(2, dtype=dtype, requires_grad=True)
    y = fn(x, w, b, stride=2, padding=1, groups=2)
    y.sum().backward()
    assert [t.dtype for t in (y, x.grad, w.grad, b.grad)] == [dtype] * 4


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv3d_without_a_graph_gives_the_recorded_call_s_output(dtype):
    """Where no graph node is recorded, conv3d calls its kernel directly: the same output, no graph."""
    torchless.manual_seed(0)
    x = torchless.randn(2, 3, 5, 6, 5, dtype=getattr(torchless, dtype))
    w = torchless.randn(4, 3, 3, 2, 3, dtype=x.dtype, requires_grad=True)
    b = torchless.randn(4, dtype=x.dtype, requires_grad=True)
    recorded = F.conv3d(x, w, b, stride=(2, 1, 1), padding=1)
    assert recorded.grad_fn is not None
    with torchless.no_grad():
        direct = F.conv3d(x, w, b, stride=(2, 1, 1), padding=1)
    assert direct.grad_fn is None and not direct.requires_grad and direct.dtype == x.dtype
    assert torchless.equal(direct, recorded.detach())


# ---------------------------------------------------------------------------- finite differences (float64)
@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "conv_transpose"])
@examples(10)
@given(data=st.data())
def test_gradients_match_central_differences(transposed, data):
    cfg = data.draw(conv3d_configs(transposed))
    cfg["bias"] = True
    x, w, b = make_arrays(cfg, transposed, seed=3)
    expected_out = reference(cfg, x, w, b, transposed)
    grad_out = np.random.default_rng(4).standard_normal(expected_out.shape)
    _, grads = run_torchless(cfg, x, w, b, transposed, torchless.float64, grad_out)

    def loss(arrays):
        out, _ = run_torchless(cfg, *arrays, transposed, torchless.float64)
        return float(np.sum(out * (grad_out if cfg["batched"] else grad_out[0])))

    arrays = [x, w, b]
    pick = np.random.default_rng(5)
    for which in range(3):
        for _ in range(4):
            index = tuple(int(pick.integers(n)) for n in arrays[which].shape)
            numeric = central_difference(loss, arrays, which, index)
            assert grads[which][index] == pytest.approx(numeric, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "conv_transpose"])
def test_every_gradient_entry_of_a_tiny_strided_dilated_grouped_convolution(transposed):
    rng = np.random.default_rng(6)
    if transposed:
        x, w = rng.standard_normal((1, 2, 2, 3, 2)), rng.standard_normal((2, 1, 2, 1, 2))
        args = dict(stride=(2, 1, 2), padding=(1, 0, 0), output_padding=(1, 0, 1), dilation=(1, 2, 1), groups=2)
        fn = F.conv_transpose3d
    else:
        x, w = rng.standard_normal((1, 2, 5, 3, 4)), rng.standard_normal((2, 1, 2, 1, 3))
        args = dict(stride=(2, 1, 1), padding=(1, 0, 1), dilation=(2, 1, 1), groups=2)
        fn = F.conv3d
    b = rng.standard_normal(2)
    tensors = [torchless.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = fn(*tensors, **args)
    seed = rng.standard_normal(y.shape)
    y.backward(torchless.tensor(seed))

    def loss(arrays):
        return float(np.sum(fn(*map(torchless.tensor, arrays), **args).numpy() * seed))

    for t, numeric in zip(tensors, numerical_gradients(loss, [x, w, b])):
        np.testing.assert_allclose(t.grad.numpy(), numeric, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("kernel, stride, padding, output_padding, dilation, size", [
    ((1, 1, 2), (1, 1, 1), (0, 0, 0), (1, 0, 0), (2, 1, 1), (1, 2, 2)),
    ((2, 2, 1), (1, 2, 1), (1, 0, 0), (2, 1, 0), (3, 2, 1), (2, 2, 3)),
])
def test_conv_transpose_with_output_padding_beyond_the_stride(kernel, stride, padding, output_padding, dilation, size):
    """PyTorch allows an output padding below the dilation but not the stride; the extra cells are zeros."""
    cfg = dict(groups=1, batch=2, batched=True, cin=2, cout=3, kernel=kernel, stride=stride, padding=padding,
               output_padding=output_padding, dilation=dilation, bias=True, size=size)
    x, w, b = make_arrays(cfg, True, seed=9)
    expected = reference(cfg, x, w, b, True)
    grad_out = np.random.default_rng(10).standard_normal(expected.shape)
    out, grads = run_torchless(cfg, x, w, b, True, torchless.float64, grad_out)
    assert_close(out, expected, "float64")

    def loss(arrays):
        return float(np.sum(reference(cfg, *arrays, True) * grad_out))

    for got, numeric in zip(grads, numerical_gradients(loss, [x, w, b])):
        np.testing.assert_allclose(got, numeric, rtol=0, atol=1e-7)


# ---------------------------------------------------------------------------- the array kernels
@pytest.mark.parametrize("kernel, stride, padding, dilation, groups", [
    ((3, 2, 2), (2, 1, 1), ((1, 2), (1, 0), (0, 1)), (2, 1, 1), 2),
    ((1, 1, 3), (1, 1, 2), ((0, 0), (0, 0), (1, 1)), (1, 1, 1), 1),  # depth and height not convolved
    ((2, 1, 1), (3, 1, 1), ((4, 4), (0, 0), (0, 0)), (1, 1, 1), 1),  # planes that see only padding
])
def test_kernel_backward_is_the_adjoint_of_the_forward(kernel, stride, padding, dilation, groups):
    """<conv(x, w), gy> = <x, backward_input(gy, w)> = <w, backward_weight(gy, x)>, for any x, w, gy."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 2 * groups, 5, 4, 6))
    w = rng.standard_normal((3 * groups, 2) + kernel)
    y = kernels3d.conv3d_forward(x, w, stride, padding, dilation, groups)
    gy = rng.standard_normal(y.shape)
    gx = kernels3d.conv3d_backward_input(gy, w, x.shape[2:], stride, padding, dilation, groups)
    gw = kernels3d.conv3d_backward_weight(gy, x, kernel, stride, padding, dilation, groups)
    assert gx.shape == x.shape and gw.shape == w.shape
    assert np.vdot(y, gy) == pytest.approx(np.vdot(x, gx), rel=1e-12)
    assert np.vdot(y, gy) == pytest.approx(np.vdot(w, gw), rel=1e-12)
    both = kernels3d.conv3d_backward(gy, x, w, stride, padding, dilation, groups)
    np.testing.assert_allclose(both[0], gx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(both[1], gw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y, direct_conv3d(x, w, None, stride, padding, dilation, groups), atol=1e-10)


def test_depth_columns_hold_each_output_plane_s_input_planes():
    x = np.arange(2 * 4 * 3 * 1 * 1, dtype=np.float64).reshape(2, 4, 3, 1, 1)  # value = 12 n + 3 c + d
    columns = kernels3d.depth_columns(x, kernel_depth=2, out_depth=2, stride=2, front=1, dilation=1, groups=2)
    assert columns.shape == (2 * 2, 2 * 2 * 2, 1, 1)
    planes = columns.reshape(2, 2, 2, 2, 2)  # (n, do, g, kd, c): input plane 2 do - 1 + kd of channel 2 g + c
    for n, do, g, kd, c in itertools.product(range(2), range(2), range(2), range(2), range(2)):
        d = 2 * do - 1 + kd
        assert planes[n, do, g, kd, c] == (12 * n + 3 * (2 * g + c) + d if 0 <= d < 3 else 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_kernels_keep_the_dtype(dtype):
    x = np.ones((1, 2, 3, 4, 4), dtype)
    w = np.ones((2, 2, 2, 2, 2), dtype)
    y = kernels3d.conv3d_forward(x, w, (1, 1, 1), ((0, 0),) * 3, (1, 1, 1), 1)
    assert y.dtype == dtype and (y == 16).all()
    assert kernels3d.conv3d_backward(y, x, w, (1, 1, 1), ((0, 0),) * 3, (1, 1, 1), 1)[1].dtype == dtype


# ---------------------------------------------------------------------------- layers, without torch
def test_layer_repr_and_attributes():
    layer = nn.Conv3d(4, 6, (3, 1, 2), stride=2, padding=(1, 0, 1), dilation=(2, 1, 1), groups=2, bias=False,
                      padding_mode="replicate")
    assert repr(layer) == ("Conv3d(4, 6, kernel_size=(3, 1, 2), stride=(2, 2, 2), padding=(1, 0, 1), "
                           "dilation=(2, 1, 1), groups=2, bias=False, padding_mode=replicate)")
    assert layer.weight.shape == (6, 2, 3, 1, 2) and layer.bias is None
    assert layer._reversed_padding_repeated_twice == (1, 1, 0, 0, 1, 1)
    assert repr(nn.ConvTranspose3d(2, 3, 3, stride=2, output_padding=1)) == (
        "ConvTranspose3d(2, 3, kernel_size=(3, 3, 3), stride=(2, 2, 2), output_padding=(1, 1, 1))")
    assert nn.ConvTranspose3d(4, 6, 2, groups=2).weight.shape == (4, 3, 2, 2, 2)


@pytest.mark.parametrize("name", ["Conv3d", "ConvTranspose3d"])
def test_default_initialisation_is_kaiming_uniform_with_bias_in_one_over_sqrt_fan_in(name):
    from scipy import stats

    torchless.manual_seed(0)
    layer = getattr(nn, name)(16, 32, (3, 4, 5), groups=2)
    fan_in = layer.weight.shape[1] * 3 * 4 * 5  # kaiming_uniform(a=sqrt(5)) is U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    bound = 1 / math.sqrt(fan_in)
    for values in (layer.weight.detach().numpy().ravel(), layer.bias.detach().numpy()):
        assert np.abs(values).max() <= bound
        assert stats.kstest(values, stats.uniform(-bound, 2 * bound).cdf).pvalue > 1e-3
    w = layer.weight.detach().numpy().ravel()
    assert w.var() == pytest.approx(bound ** 2 / 3, rel=0.05)


@pytest.mark.parametrize("mode, numpy_mode", [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")])
@pytest.mark.parametrize("padding", [(2, 1, 0), "same"])
def test_padding_modes_pad_explicitly_then_convolve(mode, numpy_mode, padding):
    layer = nn.Conv3d(2, 3, (3, 2, 3), padding=padding, padding_mode=mode, dtype=torchless.float64)
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 5, 6))
    pads = ((2, 2), (1, 1), (0, 0)) if padding != "same" else ((1, 1), (0, 1), (1, 1))
    padded = np.pad(x, ((0, 0), (0, 0)) + pads, mode=numpy_mode)
    expected = direct_conv3d(padded, layer.weight.detach().numpy(), layer.bias.detach().numpy(), (1, 1, 1),
                             ((0, 0),) * 3, (1, 1, 1), 1)
    np.testing.assert_allclose(layer(torchless.tensor(x)).detach().numpy(), expected, atol=1e-12)


def test_conv_transpose_output_size_picks_the_output_padding():
    layer = nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1, dtype=torchless.float64)
    x = np.random.default_rng(2).standard_normal((1, 2, 3, 4, 5))
    y = layer(torchless.tensor(x), output_size=[6, 8, 9])
    assert y.shape == (1, 3, 6, 8, 9)
    expected = direct_conv_transpose3d(x, layer.weight.detach().numpy(), layer.bias.detach().numpy(), (2, 2, 2),
                                       (1, 1, 1), (1, 1, 0), (1, 1, 1), 1)
    np.testing.assert_allclose(y.detach().numpy(), expected, atol=1e-12)
    with pytest.raises(ValueError, match=re.escape("valid sizes range from [5, 7, 9] to [6, 8, 10]")):
        layer(torchless.tensor(x), output_size=[7, 8, 9])


# ---------------------------------------------------------------------------- against PyTorch
def run_torch(torch, cfg, x, w, b, transposed, dtype, grad_out):
    tensors = [None if a is None else torch.tensor(a, dtype=dtype, requires_grad=True) for a in (x, w, b)]
    xt = tensors[0] if cfg["batched"] else tensors[0][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # padding='same' with an even kernel warns
        y = call(torch, cfg, xt, tensors[1], tensors[2], transposed)
    y.backward(torch.tensor(grad_out if cfg["batched"] else grad_out[0], dtype=dtype))
    return y.detach().numpy(), [None if t is None else t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "conv_transpose"])
@examples(30)
@given(data=st.data())
def test_output_and_gradients_match_torch(dtype_name, transposed, data):
    torch = pytest.importorskip("torch")
    cfg = data.draw(conv3d_configs(transposed))
    x, w, b = make_arrays(cfg, transposed, seed=7)
    grad_out = np.random.default_rng(8).standard_normal(reference(cfg, x, w, b, transposed).shape)
    expected_out, expected_grads = run_torch(torch, cfg, x, w, b, transposed, getattr(torch, dtype_name), grad_out)
    out, grads = run_torchless(cfg, x, w, b, transposed, getattr(torchless, dtype_name), grad_out)
    assert out.dtype == expected_out.dtype
    assert_close(out, expected_out, dtype_name)
    for got, want in zip(grads, expected_grads):
        assert (got is None) == (want is None)
        if want is not None:
            assert got.dtype == want.dtype
            assert_close(got, want, dtype_name)


@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
@pytest.mark.parametrize("name", list(NAMED_SHAPES))
def test_named_shapes_and_gradients_match_torch(name, dtype_name):
    torch = pytest.importorskip("torch")
    x_shape, w_shape, stride, pads, dilation, groups = NAMED_SHAPES[name]
    arrays = _named_call(x_shape, w_shape, stride, pads, dilation, groups, dtype_name)
    grad = None
    results = []
    for lib in (torch, torchless):
        x, w, b = (lib.tensor(a, requires_grad=True) for a in arrays[:3])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = lib.nn.functional.conv3d(x, w, b, stride=stride, padding=arrays[3], dilation=dilation, groups=groups)
        if grad is None:
            grad = np.random.default_rng(13).standard_normal(tuple(y.shape)).astype(dtype_name)
        y.backward(lib.tensor(grad))
        results.append([t.detach().numpy() for t in (y, x.grad, w.grad, b.grad)])
    for got, want in zip(results[1], results[0]):
        assert got.dtype == want.dtype
        assert_close(got, want, dtype_name)


@pytest.mark.parametrize("fn, x_shape, w_shape, kwargs", [
    ("conv3d", (2, 3, 5, 5, 5), (4, 3, 2, 2, 2), dict(padding="same", dilation=2)),
    ("conv3d", (3, 6, 6, 6), (2, 3, 3, 3, 3), dict(stride=2)),
    ("conv_transpose3d", (1, 4, 3, 3, 3), (4, 1, 2, 2, 2), dict(stride=2, groups=2, output_padding=1)),
])
def test_grad_fn_names_match_torch(fn, x_shape, w_shape, kwargs):
    torch = pytest.importorskip("torch")
    names = []
    for lib in (torch, torchless):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = getattr(lib.nn.functional, fn)(lib.ones(*x_shape), lib.ones(*w_shape, requires_grad=True), **kwargs)
        names.append(type(y.grad_fn).__name__ if lib is torch else y.grad_fn.name())
    assert names[1] == names[0]


# ---------------------------------------------------------------------------- layers against PyTorch
CONSTRUCTIONS = [
    ("Conv3d", (3, 1, 5), {}),
    ("Conv3d", (3, 6, (3, 5, 1)), dict(stride=2, padding=(1, 2, 0), dilation=2, groups=3, bias=False,
                                       padding_mode="reflect")),
    ("Conv3d", (3, 6, [3, 2, 1]), dict(stride=[1, 2, 3], padding=[0, 1, 2])),
    ("Conv3d", (2, 4, 4), dict(padding="same", dilation=(1, 3, 2))),
    ("Conv3d", (2, 4, 3), dict(padding="valid", padding_mode="circular")),
    ("Conv3d", (2, 4, 3), dict(padding_mode="replicate", padding=1)),
    ("Conv3d", (4, 0, 3), {}),
    ("Conv3d", (2, 4, (3, 3)), {}),
    ("ConvTranspose3d", (4, 6, 3), dict(groups=2, stride=2, output_padding=1, dilation=2)),
    ("ConvTranspose3d", (4, 6, (2, 3, 1)), dict(padding=(1, 0, 2), bias=False)),
]
ATTRIBUTES = ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "transposed",
              "output_padding", "groups", "padding_mode", "_reversed_padding_repeated_twice"]


def describe(layer):
    return ({a: getattr(layer, a) for a in ATTRIBUTES}, repr(layer).replace("torchless", "torch"),
            tuple(layer.weight.shape), None if layer.bias is None else tuple(layer.bias.shape),
            [name for name, _ in layer.named_parameters()], str(layer.weight.dtype).replace("torchless", "torch"))


@pytest.mark.parametrize("name, args, kwargs", CONSTRUCTIONS)
def test_constructor_attributes_repr_and_warnings_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, torchless):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layer = getattr(lib.nn, name)(*args, **kwargs)
        results.append((describe(layer), [str(w.message) for w in caught]))
    assert results[1] == results[0]


def layer_outcome(fn):
    try:
        return "ok", repr(fn()).replace("torchless", "torch")
    except Exception as exc:  # the exception itself is what is compared
        text = str(exc).replace("torchless", "torch")
        # PyTorch prints Python sets, whose order changes from run to run: compare their contents.
        text = re.sub(r"\{[^{}]*\}", lambda m: "{" + ", ".join(sorted(m.group(0)[1:-1].split(", "))) + "}", text)
        return type(exc).__name__, text


@pytest.mark.parametrize("name, args, kwargs", [
    ("Conv3d", (3, 6, 3), dict(groups=2)),
    ("Conv3d", (4, 6, 3), dict(groups=4)),
    ("Conv3d", (4, 6, 3), dict(groups=0)),
    ("Conv3d", (4, 6, 3), dict(padding="full")),
    ("Conv3d", (4, 6, 3), dict(padding="same", stride=(1, 1, 2))),
    ("Conv3d", (4, 6, 3), dict(padding_mode="zero")),
    ("ConvTranspose3d", (4, 6, 3), dict(padding_mode="reflect")),
    ("ConvTranspose3d", (4, 6, 3), dict(groups=4)),
    ("Conv3d", (2, 4, -1), {}),
    ("Conv3d", (2, 4), {}),
    ("ConvTranspose3d", (2,), {}),
])
def test_constructor_errors_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    results = [layer_outcome(lambda: getattr(lib.nn, name)(*args, **kwargs)) for lib in (torch, torchless)]
    assert results[1] == results[0]


def copy_layer(torch, name, args, kwargs, dtype="float64"):
    """The same layer in both libraries, torch's parameters copied into torchless's."""
    theirs = getattr(torch.nn, name)(*args, **kwargs, dtype=getattr(torch, dtype))
    ours = getattr(nn, name)(*args, **kwargs, dtype=getattr(torchless, dtype))
    ours.load_state_dict(state_dict_from_torch(theirs))
    return theirs, ours


FORWARDS = [
    ("Conv3d", (3, 4, 3), dict(padding=1), (2, 3, 5, 7, 6)),
    ("Conv3d", (4, 6, (2, 3, 1)), dict(stride=(2, 1, 2), dilation=(1, 2, 1), groups=2), (3, 4, 7, 9, 8)),
    ("Conv3d", (2, 4, 4), dict(padding="same", dilation=(2, 1, 3)), (2, 6, 7, 8)),
    ("Conv3d", (2, 4, 3), dict(padding=(2, 1, 0), padding_mode="reflect"), (1, 2, 4, 5, 6)),
    ("Conv3d", (2, 4, 2), dict(padding="same", padding_mode="circular"), (1, 2, 4, 5, 6)),
    ("Conv3d", (2, 4, 3), dict(padding=1, padding_mode="replicate", bias=False), (2, 4, 5, 6)),
    ("Conv3d", (8, 8, 1), dict(groups=8), (2, 8, 3, 4, 5)),
    ("ConvTranspose3d", (4, 6, 3), dict(groups=2, stride=2, output_padding=1, dilation=2), (2, 4, 3, 2, 4)),
    ("ConvTranspose3d", (3, 2, (2, 4, 3)), dict(stride=(3, 1, 2), padding=1, output_padding=(2, 0, 1)), (3, 3, 4, 5)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, args, kwargs, shape", FORWARDS)
def test_layer_forward_and_gradients_match_torch(name, args, kwargs, shape, dtype):
    torch = pytest.importorskip("torch")
    theirs, ours = copy_layer(torch, name, args, kwargs, dtype)
    x = np.random.default_rng(4).standard_normal(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x_theirs = torch.tensor(x, dtype=getattr(torch, dtype), requires_grad=True)
        expected = theirs(x_theirs)
    expected.square().sum().backward()
    x_ours = torchless.tensor(x, dtype=getattr(torchless, dtype), requires_grad=True)
    got = ours(x_ours)
    got.square().sum().backward()
    assert got.shape == tuple(expected.shape)
    rtol = TOLERANCE[dtype]
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), rtol=rtol, atol=rtol * 10)
    for (key, theirs_p), ours_p in zip(theirs.named_parameters(), ours.parameters()):
        np.testing.assert_allclose(ours_p.grad.numpy(), theirs_p.grad.numpy(), rtol=rtol, atol=rtol * 10, err_msg=key)


@pytest.mark.parametrize("input_shape, output_size", [
    ((1, 2, 3, 4, 4), [7, 8, 8]), ((1, 2, 3, 4, 4), [1, 4, 8, 9, 10]), ((1, 2, 3, 4, 4), [9, 8, 8]),
    ((1, 2, 3, 4, 4), [8, 8]), ((2, 3, 4, 4), [7, 9, 9]), ((2, 3, 4, 4), [4, 8, 9, 9]), ((1, 2, 3, 4, 4), "size"),
])
def test_conv_transpose_output_size_matches_torch(input_shape, output_size):
    torch = pytest.importorskip("torch")
    theirs, ours = copy_layer(torch, "ConvTranspose3d", (2, 4, 3), dict(stride=2))
    results = []
    for lib, layer in ((torch, theirs), (torchless, ours)):
        size = lib.zeros(1, 4, 8, 9, 10).shape if output_size == "size" else output_size
        results.append(layer_outcome(lambda: layer(lib.ones(*input_shape, dtype=lib.float64), output_size=size).shape))
    assert results[1] == results[0]


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call_, message", [
    (lambda: F.conv3d(torchless.rand(3, 4, 4), torchless.rand(2, 3, 1, 1, 1)),
     "Expected 4D (unbatched) or 5D (batched) input to conv3d, but got input of size: [3, 4, 4]"),
    (lambda: F.conv_transpose3d(torchless.rand(1, 1, 1, 3, 4, 4), torchless.rand(1, 3, 1, 1, 1)),
     "Expected 4D (unbatched) or 5D (batched) input to conv_transpose3d, but got input of size: [1, 1, 1, 3, 4, 4]"),
    (lambda: F.conv3d(torchless.rand(1, 1, 3, 3, 3), torchless.rand(1, 1, 5, 5, 5)),
     "Calculated padded input size per channel: (3 x 3 x 3). Kernel size: (5 x 5 x 5). Kernel size can't be greater "
     "than actual input size"),
    (lambda: F.conv3d(torchless.rand(1, 1, 8, 8, 8), torchless.rand(1, 1, 3, 3, 3), stride=2, padding="same"),
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv3d(torchless.rand(1, 1, 8, 8, 8), torchless.rand(1, 1, 3, 3, 3), padding="full"),
     "Invalid padding string: 'full'"),
    (lambda: F.conv3d(torchless.rand(1, 1, 8, 8, 8), torchless.rand(1, 1, 3, 3, 3), stride=(1, 1)),
     "expected stride to be a single integer value or a list of 3 values to match the convolution dimensions, but "
     "got stride=[1, 1]"),
    (lambda: F.conv3d(torchless.rand(1, 1, 8, 8, 8), torchless.rand(1, 1, 3, 3, 3, dtype=torchless.float64)),
     "expected scalar type Float but found Double"),
    (lambda: F.conv3d(torchless.rand(2, 1, 8, 8, 8), torchless.rand(1, 1, 3, 3, 3, dtype=torchless.float64)),
     "Input type (torchless.FloatTensor) and weight type (torchless.DoubleTensor) should be the same or input should "
     "be a MKLDNN tensor and weight is a dense tensor"),
    (lambda: F.conv3d(torchless.rand(1, 1, 8, 8, 8), torchless.rand(1, 1, 0, 3, 3, dtype=torchless.float32)),
     "kernel size should be greater than zero, but got: 0 x 3 x 3 (TxHxW)"),
    (lambda: F.conv_transpose3d(torchless.rand(1, 1, 4, 4, 4, dtype=torchless.float64),
                                torchless.rand(1, 1, 3, 3, 3, dtype=torchless.float64), dilation=(1, 1, 0)),
     "dilation should be greater than zero, but got dilation_depth: 1, dilation_height: 1, dilation_width: 0"),
    (lambda: F.conv_transpose3d(torchless.rand(1, 1, 4, 4, 4), torchless.rand(1, 1, 3, 3, 3), stride=2,
                                output_padding=(1, 2, 1)),
     "output padding must be smaller than either stride or dilation, but got output_padding_depth: 1 "
     "output_padding_height: 2 output_padding_width: 1 stride_depth: 2 stride_height: 2 stride_width: 2 "
     "dilation_depth: 1 dilation_height: 1 dilation_width: 1"),
    (lambda: F.conv_transpose3d(torchless.rand(1, 1, 2, 2, 2), torchless.rand(1, 1, 1, 1, 1), padding=1),
     "Given input size per channel: (2 x 2 x 2). Calculated output size per channel: (0 x 0 x 0). Output size is too "
     "small"),
    (lambda: F.conv_transpose3d(torchless.rand(1, 4, 4, 4, 4, dtype=torchless.float64),
                                torchless.rand(4, 1, 0, 3, 3, dtype=torchless.float64), groups=2),
     "non-empty 5D (n_output_plane x n_input_plane x kernel_depth x kernel_height x kernel_width) tensor expected "
     "for weight, but got: [2, 1, 0, 3, 3]"),
])
def test_documented_errors_without_torch(call_, message):
    with pytest.raises(RuntimeError) as info:
        call_()
    assert str(info.value) == message


def outcome(fn):
    try:
        fn()
    except Exception as exc:  # the exception itself is what is compared
        return type(exc).__name__, str(exc).replace("torchless.", "torch.")
    return "ok", ""


def _set(**kwargs):
    return lambda call_: call_["kw"].update(kwargs)


# Each fault alone and every pair of faults: PyTorch checks in a fixed order, and so must we. The base
# call (float32, batch 2, groups 2) goes to oneDNN; faults move it to the reference backends (a batch
# of 1, float64, a dilation), to the Empty one (no batch or channels) or make it fail at any check.
COMMON_FAULTS = {
    "rank": lambda c: c.update(x=c["x"][-3:]),
    "rank_6": lambda c: c.update(x=(1,) + c["x"]),
    "unbatched": lambda c: c.update(x=c["x"][1:]),
    "weight_4d": lambda c: c.update(w=c["w"][:4]),
    "weight_6d": lambda c: c.update(w=c["w"][:2] + (1,) + c["w"][2:]),
    "stride_len": _set(stride=(1, 1)),
    "padding_len": _set(padding=(1, 1, 1, 1)),
    "dilation_len": _set(dilation=(1, 1)),
    "groups_0": _set(groups=0),
    "groups_1": _set(groups=1),
    "groups_4": _set(groups=4),
    "padding_negative": _set(padding=(0, -1, 0)),
    "stride_0": _set(stride=0),
    "stride_negative": _set(stride=(1, 1, -2)),
    "stride_2": _set(stride=2),
    "dilation_0": _set(dilation=0),
    "dilation_0_height": _set(dilation=(1, 0, 1)),
    "dilation_negative": _set(dilation=-1),
    "dilation_2_depth": _set(dilation=(2, 1, 1)),
    "weight_not_divisible": lambda c: c.update(w=(3,) + c["w"][1:]),
    "weight_empty": lambda c: c.update(w=(0,) + c["w"][1:]),
    "weight_no_channels": lambda c: c.update(w=c["w"][:1] + (0,) + c["w"][2:]),
    "kernel_0_depth": lambda c: c.update(w=c["w"][:2] + (0,) + c["w"][3:]),
    "kernel_0_width": lambda c: c.update(w=c["w"][:4] + (0,)),
    "kernel_4x4": lambda c: c.update(w=c["w"][:3] + (4, 4)),
    "channels": lambda c: c.update(x=c["x"][:1] + (6,) + c["x"][2:]),
    "bias_size": lambda c: c.update(b=(5,)),
    "bias_2d": lambda c: c.update(b=(1,) + c["b"]),
    "no_bias": lambda c: c.update(b=None),
    "input_small": lambda c: c.update(x=c["x"][:2] + (2, 2, 2)),
    "input_shallow": lambda c: c.update(x=c["x"][:2] + (1,) + c["x"][3:]),
    "single_batch": lambda c: c.update(x=(1,) + c["x"][1:]),
    "empty_batch": lambda c: c.update(x=(0,) + c["x"][1:]),
    "empty_channels": lambda c: c.update(x=c["x"][:1] + (0,) + c["x"][2:]),
    "empty_depth": lambda c: c.update(x=c["x"][:2] + (0,) + c["x"][3:]),
    "weight_double": lambda c: c.update(w_dtype="float64"),
    "bias_double": lambda c: c.update(b_dtype="float64"),
    "input_double": lambda c: c.update(x_dtype="float64"),
    "int64": lambda c: c.update(x_dtype="int64", w_dtype="int64", b_dtype="int64"),
    "int32": lambda c: c.update(x_dtype="int32", w_dtype="int32", b_dtype="int32"),
    "bool": lambda c: c.update(x_dtype="bool", w_dtype="bool", b_dtype="bool"),
    "half": lambda c: c.update(x_dtype="float16", w_dtype="float16", b_dtype="float16"),
}
CONV_FAULTS = {**COMMON_FAULTS, "same_strided": _set(padding="same", stride=2), "padding_string": _set(padding="foo"),
               "same": _set(padding="same"), "valid": _set(padding="valid")}
TRANSPOSED_FAULTS = {**COMMON_FAULTS,
                     "output_padding": _set(output_padding=2), "output_padding_height": _set(output_padding=(0, 1, 0)),
                     "output_padding_negative": _set(output_padding=-1),
                     "output_padding_len": _set(output_padding=(1, 1)), "padding_string": _set(padding="same"),
                     "output_small": lambda c: (c.update(x=c["x"][:2] + (1, 1, 1)), c["kw"].update(padding=2))}


def build_call(fn_name, transposed, faults, combo):
    def build(lib):
        c = dict(x=(2, 4, 5, 5, 5), w=((4, 1) if transposed else (4, 2)) + (3, 3, 3), b=(2,) if transposed else (4,),
                 kw=dict(groups=2))
        for fault in combo:
            faults[fault](c)
        tensors = [None if c[k] is None else lib.rand(*c[k]).to(getattr(lib, c.get(f"{k}_dtype", "float32")))
                   for k in ("x", "w", "b")]
        return getattr(lib.nn.functional, fn_name)(*tensors, **c["kw"])
    return build


@pytest.mark.parametrize("fn_name, transposed", [("conv3d", False), ("conv_transpose3d", True)])
def test_every_fault_and_pair_of_faults_fails_as_in_torch(fn_name, transposed):
    torch = pytest.importorskip("torch")
    faults = TRANSPOSED_FAULTS if transposed else CONV_FAULTS
    names = list(faults)
    mismatches = []
    for combo in [(a,) for a in names] + list(itertools.combinations(names, 2)):
        build = build_call(fn_name, transposed, faults, combo)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected, got = outcome(lambda: build(torch)), outcome(lambda: build(torchless))
        if got != expected:
            mismatches.append((combo, expected, got))
    assert not mismatches, mismatches[:5]


def _t(lib, *shape, dtype="float32"):
    return lib.ones(*shape, dtype=getattr(lib, dtype))


SPECIFIC_CALLS = {
    "unbatched_channels": lambda t, F: F.conv3d(_t(t, 3, 8, 8, 8), _t(t, 3, 5, 3, 3, 3)),
    "conv3d_4d_weight": lambda t, F: F.conv3d(_t(t, 1, 1, 8, 8, 8), _t(t, 1, 1, 3, 3)),
    "conv_transpose3d_4d_weight": lambda t, F: F.conv_transpose3d(_t(t, 1, 1, 8, 8, 8), _t(t, 1, 1, 3, 3)),
    "conv2d_5d_weight": lambda t, F: F.conv2d(_t(t, 1, 1, 8, 8), _t(t, 1, 1, 3, 3, 3)),
    "same_empty_kernel": lambda t, F: F.conv3d(_t(t, 1, 2, 8, 8, 8), _t(t, 1, 2, 0, 2, 2), padding="same"),
    "same_stride_list": lambda t, F: F.conv3d(_t(t, 1, 3, 8, 8, 8), _t(t, 1, 3, 2, 2, 2), padding="same",
                                              stride=(1, 1)),
    "same_odd_padding_message": lambda t, F: F.conv3d(_t(t, 1, 3, 4, 4, 4), _t(t, 1, 5, 2, 2, 2), padding="same"),
    "valid_dilation_list": lambda t, F: F.conv3d(_t(t, 1, 3, 8, 8, 8), _t(t, 1, 3, 2, 2, 2), padding="valid",
                                                 dilation=(1, 2)),
    # the mkldnn rule counts the first four input sizes (N * C * D * H) and the last two kernel sizes
    "mkldnn_by_size": lambda t, F: F.conv3d(_t(t, 1, 2, 20, 513, 1), _t(t, 1, 2, 1, 1, 1, dtype="float64")),
    "slow_by_size": lambda t, F: F.conv3d(_t(t, 1, 1, 20, 1024, 2), _t(t, 1, 1, 1, 1, 1, dtype="float64")),
    "mkldnn_by_kernel": lambda t, F: F.conv3d(_t(t, 1, 1, 6, 6, 6), _t(t, 1, 1, 1, 4, 4, dtype="float64")),
    "slow_by_kernel": lambda t, F: F.conv3d(_t(t, 1, 1, 6, 6, 6), _t(t, 1, 1, 4, 4, 3, dtype="float64")),
    "slow_long_float_weight": lambda t, F: F.conv3d(_t(t, 1, 1, 4, 4, 4, dtype="int64"), _t(t, 1, 1, 3, 3, 3)),
    "slow_bool_float_weight": lambda t, F: F.conv3d(_t(t, 1, 1, 4, 4, 4, dtype="bool"), _t(t, 1, 1, 3, 3, 3)),
    "dilated_int32": lambda t, F: F.conv3d(_t(t, 1, 1, 6, 6, 6, dtype="int32"), _t(t, 1, 1, 3, 3, 3, dtype="int32"),
                                           dilation=2),
    "transposed_int16": lambda t, F: F.conv_transpose3d(_t(t, 1, 1, 4, 4, 4, dtype="int16"),
                                                        _t(t, 1, 1, 2, 2, 2, dtype="int16")),
    "transposed_long_float_bias": lambda t, F: F.conv_transpose3d(_t(t, 1, 2, 4, 4, 4, dtype="int64"),
                                                                  _t(t, 2, 2, 3, 3, 3, dtype="int64"), _t(t, 4),
                                                                  groups=2),
    "transposed_double_float_bias": lambda t, F: F.conv_transpose3d(_t(t, 1, 1, 4, 4, 4, dtype="float64"),
                                                                    _t(t, 1, 1, 3, 3, 3, dtype="float64"), _t(t, 1)),
    "transposed_float_double_bias_onednn": lambda t, F: F.conv_transpose3d(_t(t, 2, 1, 4, 4, 4), _t(t, 1, 1, 3, 3, 3),
                                                                           _t(t, 1, dtype="float64")),
    "transposed_no_out_channels_slow": lambda t, F: F.conv_transpose3d(_t(t, 1, 2, 4, 4, 4), _t(t, 2, 0, 3, 3, 3)),
    "transposed_no_out_channels_onednn": lambda t, F: F.conv_transpose3d(_t(t, 2, 2, 4, 4, 4), _t(t, 2, 0, 3, 3, 3)),
    "onednn_transposed_dilation_0_negative_size": lambda t, F: F.conv_transpose3d(
        _t(t, 2, 2, 1, 1, 1), _t(t, 2, 3, 3, 3, 3), padding=1, dilation=0),
    "onednn_transposed_dilation_0": lambda t, F: F.conv_transpose3d(_t(t, 2, 2, 4, 4, 4), _t(t, 2, 3, 1, 1, 1),
                                                                    dilation=(0, 1, 1)),
    "onednn_transposed_empty_kernel": lambda t, F: F.conv_transpose3d(_t(t, 2, 2, 4, 4, 4), _t(t, 2, 3, 0, 2, 2)),
    "onednn_empty_kernel": lambda t, F: F.conv3d(_t(t, 2, 2, 5, 5, 5), _t(t, 3, 2, 0, 3, 3)),
    "empty_batch_negative_size": lambda t, F: F.conv_transpose3d(_t(t, 0, 3, 11, 1, 2), _t(t, 3, 1, 5, 2, 1),
                                                                 padding=3, dilation=(2, 3, 1)),
    "empty_batch_float_bias_on_int": lambda t, F: F.conv_transpose3d(_t(t, 0, 3, 4, 4, 4, dtype="int64"),
                                                                     _t(t, 3, 2, 2, 2, 2, dtype="int64"), _t(t, 6),
                                                                     groups=3),
    "integer_output_requiring_grad": lambda t, F: F.conv3d(_t(t, 1, 2, 3, 3, 3, dtype="int64"),
                                                           _t(t, 1, 2, 2, 2, 2, dtype="int64"),
                                                           t.ones(1, requires_grad=True), padding="valid"),
    # argument parsing
    "input_list": lambda t, F: F.conv3d([1.0], _t(t, 1, 1, 3, 3, 3)),
    "stride_float_positional": lambda t, F: F.conv3d(_t(t, 1, 1, 4, 4, 4), _t(t, 1, 1, 3, 3, 3), None, 1.5),
    "stride_float_keyword": lambda t, F: F.conv3d(_t(t, 1, 1, 4, 4, 4), _t(t, 1, 1, 3, 3, 3), stride=1.5),
    "stride_third_float": lambda t, F: F.conv3d(_t(t, 1, 1, 4, 4, 4), _t(t, 1, 1, 3, 3, 3), stride=(1, 1, 1.5)),
    "groups_float": lambda t, F: F.conv3d(_t(t, 1, 1, 4, 4, 4), _t(t, 1, 1, 3, 3, 3), groups=1.0),
    "unknown_keyword": lambda t, F: F.conv3d(_t(t, 1, 1, 4, 4, 4), _t(t, 1, 1, 3, 3, 3), pad=1),
    "too_many_positional": lambda t, F: F.conv3d(_t(t, 1, 1, 4, 4, 4), _t(t, 1, 1, 3, 3, 3), None, 1, 1, 1, 1, 1),
    "missing_weight": lambda t, F: F.conv3d(_t(t, 1, 1, 4, 4, 4)),
    "tr_stride_float_keyword": lambda t, F: F.conv_transpose3d(_t(t, 1, 1, 4, 4, 4), _t(t, 1, 1, 3, 3, 3),
                                                               stride=1.5),
    "tr_padding_string": lambda t, F: F.conv_transpose3d(_t(t, 1, 1, 4, 4, 4), _t(t, 1, 1, 3, 3, 3), padding="same"),
    "tr_output_padding_float": lambda t, F: F.conv_transpose3d(_t(t, 1, 1, 4, 4, 4), _t(t, 1, 1, 3, 3, 3),
                                                               output_padding=(0, 0.5, 0)),
    "tr_missing_weight": lambda t, F: F.conv_transpose3d(_t(t, 1, 1, 4, 4, 4)),
}


@pytest.mark.parametrize("name", list(SPECIFIC_CALLS))
def test_specific_bad_calls_fail_as_in_torch(name):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = outcome(lambda: SPECIFIC_CALLS[name](torch, torch.nn.functional))
        got = outcome(lambda: SPECIFIC_CALLS[name](torchless, torchless.nn.functional))
    assert expected[0] != "ok"  # each of these calls is a bad one
    assert got == expected


def results(lib, build):
    """``build(lib, make)``'s output (shape, dtype, values), grad_fn name and gradients, or what it raised.

    ``make(*shape, dtype="float32", parameter=False, grad=True)`` makes the same random tensor (or
    Parameter) in either library, requiring grad when floating point and ``grad``; the output's
    gradient is random too.
    """
    rng = np.random.default_rng(0)
    leaves = []

    def make(*shape, dtype="float32", parameter=False, grad=True):
        floating = dtype.startswith("float")
        values = rng.standard_normal(shape) if floating else rng.integers(-3, 4, shape)
        leaf = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=floating and grad)
        leaves.append(lib.nn.Parameter(leaf) if parameter else leaf)
        return leaves[-1]

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = build(lib, make)
    except Exception as exc:  # the exception itself is what is compared
        return type(exc).__name__, str(exc).replace("torchless.", "torch.")
    summary = [tuple(y.shape), str(y.dtype).split(".")[-1], y.detach().numpy()]
    if y.requires_grad:
        summary.append(type(y.grad_fn).__name__ if lib is not torchless else y.grad_fn.name())
        y.backward(lib.tensor(np.random.default_rng(1).standard_normal(tuple(y.shape)), dtype=y.dtype))
        summary += [(str(t.grad.dtype).split(".")[-1], t.grad.numpy()) for t in leaves if t.requires_grad]
    return summary


EDGE_RESULTS = {
    # oneDNN takes a transposed convolution's empty output; the reference backend says it is too small
    "onednn_output_size_0": lambda t, m: t.nn.functional.conv_transpose3d(m(2, 3, 2, 3, 3), m(3, 2, 5, 1, 1), m(2),
                                                                          padding=(3, 0, 0)),
    "onednn_output_size_0_groups": lambda t, m: t.nn.functional.conv_transpose3d(m(1, 3, 2, 3, 3), m(3, 2, 5, 1, 1),
                                                                                 m(6), padding=(3, 0, 0), groups=3),
    # an empty batch or no channels: PyTorch's "Empty" backend
    "empty_batch_int_input": lambda t, m: t.nn.functional.conv3d(m(0, 3, 4, 5, 6, dtype="int64"), m(9, 1, 2, 3, 1),
                                                                 groups=3),
    "empty_batch_double_weight": lambda t, m: t.nn.functional.conv3d(m(0, 2, 4, 4, 4), m(3, 2, 2, 2, 2,
                                                                                         dtype="float64"), m(3)),
    "zero_channels_promote": lambda t, m: t.nn.functional.conv3d(m(2, 0, 4, 4, 4), m(9, 0, 2, 2, 2, dtype="float64"),
                                                                 m(9), groups=3),
    "empty_batch_transposed": lambda t, m: t.nn.functional.conv_transpose3d(m(0, 2, 3, 3, 3), m(2, 1, 2, 2, 2),
                                                                            stride=2, output_padding=1),
    # integers run on the reference backends, exactly; a float bias (allowed by a padding string) is truncated
    "int64_conv": lambda t, m: t.nn.functional.conv3d(m(2, 4, 4, 5, 3, dtype="int64"), m(2, 2, 2, 3, 2, dtype="int64"),
                                                      m(2, dtype="int64"), groups=2, padding=1),
    "int64_dilated": lambda t, m: t.nn.functional.conv3d(m(1, 2, 6, 5, 5, dtype="int64"),
                                                         m(2, 2, 2, 2, 2, dtype="int64"), dilation=(2, 1, 2)),
    "int64_transposed": lambda t, m: t.nn.functional.conv_transpose3d(m(1, 2, 3, 2, 3, dtype="int64"),
                                                                      m(2, 1, 2, 2, 2, dtype="int64"),
                                                                      m(2, dtype="int64"), stride=2, groups=2),
    "int64_valid_float_bias": lambda t, m: t.nn.functional.conv3d(m(1, 2, 4, 4, 4, dtype="int64"),
                                                                  m(3, 2, 2, 2, 2, dtype="int64"),
                                                                  m(3, grad=False) * 3, padding="valid"),
    "double_same_float_bias": lambda t, m: t.nn.functional.conv3d(m(1, 2, 4, 4, 4, dtype="float64"),
                                                                  m(3, 2, 2, 3, 2, dtype="float64"),
                                                                  m(3, grad=False), padding="same"),
    "float_valid_double_bias_slow": lambda t, m: t.nn.functional.conv3d(m(1, 2, 4, 4, 4), m(3, 2, 2, 3, 2),
                                                                        m(3, dtype="float64", grad=False),
                                                                        padding="valid"),
    # padding modes of the layer, through F.pad
    "module_circular": lambda t, m: _random_parameters(t.nn.Conv3d(2, 3, 3, padding=(1, 2, 0),
                                                                   padding_mode="circular"), m)(m(2, 2, 4, 5, 3)),
    "module_reflect_unbatched": lambda t, m: _random_parameters(t.nn.Conv3d(2, 3, 2, padding="same",
                                                                            padding_mode="reflect"), m)(m(2, 3, 4, 5)),
    "module_transposed_output_size": lambda t, m: _random_parameters(t.nn.ConvTranspose3d(2, 4, 3, stride=2, groups=2),
                                                                     m)(m(1, 2, 2, 3, 2), output_size=[6, 8, 5]),
}


def _random_parameters(layer, make):
    """``layer`` with its weight and bias replaced by ``make``'s (the same in torch and torchless)."""
    layer.weight = make(*layer.weight.shape, parameter=True)
    if layer.bias is not None:
        layer.bias = make(*layer.bias.shape, parameter=True)
    return layer


@pytest.mark.parametrize("name", list(EDGE_RESULTS))
def test_edge_case_results_match_torch(name):
    torch = pytest.importorskip("torch")
    expected, got = results(torch, EDGE_RESULTS[name]), results(torchless, EDGE_RESULTS[name])
    if isinstance(expected, tuple):  # an error: same type and message
        assert got == expected
        return
    assert isinstance(got, list), got
    assert got[:2] == expected[:2]  # shape and dtype
    np.testing.assert_allclose(got[2], expected[2], rtol=1e-5, atol=1e-5)
    assert len(got) == len(expected) and got[3:4] == expected[3:4]  # grad_fn name
    for (got_dtype, got_grad), (dtype, grad) in zip(got[4:], expected[4:]):
        assert got_dtype == dtype
        np.testing.assert_allclose(got_grad, grad, rtol=1e-5, atol=1e-5)
