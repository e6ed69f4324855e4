"""F.conv1d, F.conv2d, F.conv_transpose1d and F.conv_transpose2d: values, gradients, dtypes and errors.

Checked three ways:
  * against a slow, direct float64 convolution written below (loops over kernel offsets and groups,
    independent of the im2col kernels), and by central finite differences in float64: no torch needed;
  * against PyTorch (outputs and input/weight/bias gradients) over random shapes and arguments;
  * bad calls against PyTorch: same exception type and same message, with torch. -> torchless.
"""
import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import torchless
import torchless.nn.functional as F
from helpers import central_difference, examples, numerical_gradients

TOLERANCE = {"float32": 1e-4, "float64": 1e-10}
SETTINGS = examples(40)


# ---------------------------------------------------------------------------- independent references
def direct_conv(x, w, b, stride, pads, dilation, groups):
    """Cross-correlation in float64 over any number of spatial dims; ``pads`` is ((lo, hi), ...) per dim."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
    kernel = w.shape[2:]
    out = [(n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(xp.shape[2:], kernel, stride, dilation)]
    cin, cout = w.shape[1], w.shape[0] // groups
    y = np.zeros((x.shape[0], w.shape[0], *out))
    for g in range(groups):
        ins, outs = slice(g * cin, (g + 1) * cin), slice(g * cout, (g + 1) * cout)
        for offset in itertools.product(*map(range, kernel)):
            taps = xp[(slice(None), ins) + tuple(slice(i * d, i * d + s * (o - 1) + 1, s)
                                                 for i, d, s, o in zip(offset, dilation, stride, out))]
            y[:, outs] += np.einsum("nc...,oc->no...", taps, w[(outs, slice(None)) + offset])
    if b is not None:
        y += np.asarray(b, np.float64).reshape((1, -1) + (1,) * len(kernel))
    return y


def direct_conv_transpose(x, w, b, stride, padding, output_padding, dilation, groups):
    """Transposed convolution by scattering: input pixel p adds x[p] * w[tap] at output p * stride + tap * dilation."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    kernel, spatial = w.shape[2:], x.shape[2:]
    full = [(n - 1) * s + d * (k - 1) + 1 + op for n, s, d, k, op in zip(spatial, stride, dilation, kernel,
                                                                           output_padding)]
    cin, cout = x.shape[1] // groups, w.shape[1]
    y = np.zeros((x.shape[0], cout * groups, *full))
    for g in range(groups):
        ins, outs = slice(g * cin, (g + 1) * cin), slice(g * cout, (g + 1) * cout)
        for offset in itertools.product(*map(range, kernel)):
            target = tuple(slice(i * d, i * d + s * (n - 1) + 1, s) for i, d, s, n in zip(offset, dilation, stride,
                                                                                        spatial))
            y[(slice(None), outs) + target] += np.einsum("nc...,co->no...", x[:, ins], w[(ins, slice(None)) + offset])
    y = y[(slice(None), slice(None)) + tuple(slice(p, n - p) for p, n in zip(padding, full))]
    if b is not None:
        y += np.asarray(b, np.float64).reshape((1, -1) + (1,) * len(kernel))
    return y


def same_pads(kernel, dilation):
    """padding='same' as documented by PyTorch: total d * (k - 1), the odd cell at the end."""
    return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation))


# ---------------------------------------------------------------------------- random configurations
@st.composite
def conv_configs(draw, transposed=False, spatial=None):
    n = draw(st.sampled_from([1, 2])) if spatial is None else spatial
    groups = draw(st.integers(1, 3))
    cfg = dict(spatial=n, groups=groups, batch=draw(st.integers(1, 3)), batched=draw(st.booleans()),
               cin=groups * draw(st.integers(1, 2)), cout=groups * draw(st.integers(1, 2)),
               kernel=tuple(draw(st.integers(1, 5)) for _ in range(n)),
               stride=tuple(draw(st.integers(1, 3)) for _ in range(n)),
               dilation=tuple(draw(st.integers(1, 3)) for _ in range(n)), bias=draw(st.booleans()))
    spans = [d * (k - 1) + 1 for k, d in zip(cfg["kernel"], cfg["dilation"])]
    if transposed:
        cfg["padding"] = tuple(draw(st.integers(0, 2)) for _ in range(n))
        cfg["output_padding"] = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(cfg["stride"],
                                                                                          cfg["dilation"]))
        cfg["size"] = tuple(draw(st.integers(max(1, (2 * p - sp + s) // s + 1), 5))
                            for p, sp, s in zip(cfg["padding"], spans, cfg["stride"]))
        return cfg
    kind = draw(st.sampled_from(["int", "tuple", "valid", "same"]))
    if kind == "same":
        cfg["stride"] = (1,) * n
        cfg["padding"] = "same"
        pads = [0] * n
    elif kind == "valid":
        cfg["padding"], pads = "valid", [0] * n
    else:
        pads = [draw(st.integers(0, 2))] * n if kind == "int" else [draw(st.integers(0, 2)) for _ in range(n)]
        cfg["padding"] = pads[0] if kind == "int" else tuple(pads)
    cfg["size"] = tuple(max(1, sp - 2 * p) + draw(st.integers(0, 4)) for sp, p in zip(spans, pads))
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
    n = cfg["spatial"]
    if transposed:
        fn = functional.conv_transpose1d if n == 1 else functional.conv_transpose2d
        return fn(x, w, b, stride=cfg["stride"], padding=cfg["padding"], output_padding=cfg["output_padding"],
                  groups=cfg["groups"], dilation=cfg["dilation"])
    fn = functional.conv1d if n == 1 else functional.conv2d
    return fn(x, w, b, stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"], groups=cfg["groups"])


def reference(cfg, x, w, b, transposed):
    if transposed:
        return direct_conv_transpose(x, w, b, cfg["stride"], cfg["padding"], cfg["output_padding"], cfg["dilation"],
                                     cfg["groups"])
    padding = cfg["padding"]
    if padding == "same":
        pads = same_pads(cfg["kernel"], cfg["dilation"])
    elif padding == "valid":
        pads = ((0, 0),) * cfg["spatial"]
    else:
        pads = tuple((p, p) for p in ((padding,) * cfg["spatial"] if isinstance(padding, int) else padding))
    return direct_conv(x, w, b, cfg["stride"], pads, cfg["dilation"], cfg["groups"])


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
@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "conv_transpose"])
@SETTINGS
@given(data=st.data())
def test_output_matches_direct_reference(transposed, data):
    cfg = data.draw(conv_configs(transposed))
    x, w, b = make_arrays(cfg, transposed)
    out, _ = run_torchless(cfg, x, w, b, transposed, torchless.float64)
    expected = reference(cfg, x, w, b, transposed)
    assert_close(out, expected if cfg["batched"] else expected[0], "float64")


def test_padding_same_with_even_kernel_puts_the_extra_cell_at_the_end():
    x = np.arange(1.0, 6.0).reshape(1, 1, 5)
    w = np.array([[[1.0, 10.0]]])  # y[i] = x[i] + 10 * x[i + 1], x[5] = 0
    y = F.conv1d(torchless.tensor(x), torchless.tensor(w), padding="same").numpy()
    np.testing.assert_array_equal(y, [[[21.0, 32.0, 43.0, 54.0, 5.0]]])


def test_padding_same_with_dilation_keeps_the_size_in_two_dims():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 2, 3))
    y = F.conv2d(torchless.tensor(x), torchless.tensor(w), padding="same", dilation=(3, 2)).numpy()
    assert y.shape == (2, 4, 7, 6)
    np.testing.assert_allclose(y, direct_conv(x, w, None, (1, 1), same_pads((2, 3), (3, 2)), (3, 2), 1), atol=1e-12)


def test_unbatched_input_gives_the_first_item_of_the_batched_result():
    rng = np.random.default_rng(2)
    x, w = torchless.tensor(rng.standard_normal((3, 8, 7))), torchless.tensor(rng.standard_normal((2, 3, 3, 2)))
    np.testing.assert_array_equal(F.conv2d(x, w, stride=2).numpy(), F.conv2d(x.unsqueeze(0), w, stride=2)[0].numpy())


def test_empty_batch_gives_an_empty_output_and_zero_weight_gradient():
    w = torchless.ones(2, 3, 3, 3, requires_grad=True)
    y = F.conv2d(torchless.ones(0, 3, 5, 5), w, padding=1)
    assert y.shape == (0, 2, 5, 5)
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((2, 3, 3, 3)))


def test_integer_convolution_stays_integer():
    x = torchless.arange(16).reshape(1, 1, 4, 4)
    w = torchless.ones(1, 1, 2, 2, dtype=torchless.int64)
    y = F.conv2d(x, w, torchless.tensor([1]))
    assert y.dtype == torchless.int64
    np.testing.assert_array_equal(y.numpy()[0, 0], [[11, 15, 19], [27, 31, 35], [43, 47, 51]])


@pytest.mark.parametrize("dtype", [torchless.float32, torchless.float64])
@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "conv_transpose"])
def test_output_and_gradients_keep_the_dtype(dtype, transposed):
    fn = F.conv_transpose2d if transposed else F.conv2d
    x = torchless.ones(2, 2, 4, 4, dtype=dtype, requires_grad=True)
    w = torchless.ones(2, 1, 3, 3, dtype=dtype, requires_grad=True)
    b = torchless.zeros(2, dtype=dtype, requires_grad=True)
    y = fn(x, w, b, stride=2, padding=1, groups=2)
    y.sum().backward()
    assert [t.dtype for t in (y, x.grad, w.grad, b.grad)] == [dtype] * 4


# ---------------------------------------------------------------------------- finite differences (float64)
@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "conv_transpose"])
@examples(15)
@given(data=st.data())
def test_gradients_match_central_differences(transposed, data):
    cfg = data.draw(conv_configs(transposed))
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


@pytest.mark.parametrize("kernel, stride, padding, output_padding, dilation, size", [
    ((1,), (1,), (0,), (1,), (2,), (1,)), ((2,), (1,), (0,), (2,), (3,), (2,)), ((2,), (1,), (2,), (1,), (2,), (3,)),
    ((1, 2), (2, 1), (1, 0), (2, 1), (3, 2), (3, 2)),
])
def test_conv_transpose_with_output_padding_beyond_the_stride(kernel, stride, padding, output_padding, dilation, size):
    cfg = dict(spatial=len(stride), groups=1, batch=2, batched=True, cin=2, cout=3, kernel=kernel,
               stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, bias=True, size=size)
    x, w, b = make_arrays(cfg, True, seed=9)
    expected = reference(cfg, x, w, b, True)
    grad_out = np.random.default_rng(10).standard_normal(expected.shape)
    out, grads = run_torchless(cfg, x, w, b, True, torchless.float64, grad_out)
    assert_close(out, expected, "float64")

    def loss(arrays):
        return float(np.sum(reference(cfg, *arrays, True) * grad_out))

    for got, numeric in zip(grads, numerical_gradients(loss, [x, w, b])):
        np.testing.assert_allclose(got, numeric, rtol=0, atol=1e-7)


def test_full_jacobian_of_a_tiny_strided_dilated_grouped_conv2d():
    rng = np.random.default_rng(6)
    x, w, b = rng.standard_normal((1, 2, 5, 4)), rng.standard_normal((2, 1, 2, 3)), rng.standard_normal(2)
    args = dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2)

    def out(xa, wa, ba):
        return F.conv2d(torchless.tensor(xa), torchless.tensor(wa), torchless.tensor(ba), **args).numpy()

    y = out(x, w, b)
    eps = 1e-6
    for which, base in enumerate((x, w, b)):
        numeric = np.zeros((y.size, base.size))
        for k in range(base.size):
            step = np.zeros(base.size)
            step[k] = eps
            shifted = [a.copy() for a in (x, w, b)]
            shifted[which] = base + step.reshape(base.shape)
            up = out(*shifted)
            shifted[which] = base - step.reshape(base.shape)
            numeric[:, k] = (up - out(*shifted)).ravel() / (2 * eps)
        tensors = [torchless.tensor(a, requires_grad=True) for a in (x, w, b)]
        analytic = np.zeros_like(numeric)
        for row in range(y.size):
            for t in tensors:
                t.grad = None
            seed = np.zeros(y.size)
            seed[row] = 1.0
            F.conv2d(*tensors, **args).backward(torchless.tensor(seed.reshape(y.shape)))
            analytic[row] = tensors[which].grad.numpy().ravel()
        np.testing.assert_allclose(analytic, numeric, atol=1e-7)


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
@SETTINGS
@given(data=st.data())
def test_output_and_gradients_match_torch(dtype_name, transposed, data):
    torch = pytest.importorskip("torch")
    cfg = data.draw(conv_configs(transposed))
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


@pytest.mark.parametrize("fn, x_shape, w_shape, kwargs", [
    ("conv1d", (2, 3, 9), (4, 3, 2), dict(padding="same", dilation=2)),
    ("conv2d", (3, 8, 8), (2, 3, 3, 3), dict(stride=2)),
    ("conv_transpose1d", (2, 3, 5), (3, 2, 3), dict(stride=2, output_padding=1)),
    ("conv_transpose2d", (1, 4, 3, 3), (4, 1, 2, 2), dict(stride=2, groups=2)),
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


# ---------------------------------------------------------------------------- errors
def test_channel_mismatch_message_without_torch():
    image, filt = torchless.rand(16, 3, 32, 32), torchless.rand(3, 5, 5, 5)
    with pytest.raises(RuntimeError) as info:
        F.conv2d(image, filt, stride=1, padding=1)
    assert str(info.value) == ("Given groups=1, weight of size [3, 5, 5, 5], expected input[16, 3, 32, 32] to have 5 "
                               "channels, but got 3 channels instead")


@pytest.mark.parametrize("call_, message", [
    (lambda: F.conv2d(torchless.rand(3, 4), torchless.rand(2, 3, 1, 1)),
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [3, 4]"),
    (lambda: F.conv2d(torchless.rand(1, 1, 3, 3), torchless.rand(1, 1, 5, 5)),
     "Calculated padded input size per channel: (3 x 3). Kernel size: (5 x 5). Kernel size can't be greater than "
     "actual input size"),
    (lambda: F.conv2d(torchless.rand(1, 1, 8, 8), torchless.rand(1, 1, 3, 3), stride=2, padding="same"),
     "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv1d(torchless.rand(1, 1, 8), torchless.rand(1, 1, 3), padding="full"),
     "Invalid padding string: 'full'"),
    (lambda: F.conv2d(torchless.rand(1, 4, 8, 8), torchless.rand(3, 2, 3, 3), groups=2),
     "Given groups=2, expected weight to be divisible by 2 at dimension 0, but got weight of size [[3, 2, 3, 3]] "
     "instead"),
    (lambda: F.conv2d(torchless.rand(1, 1, 8, 8), torchless.rand(1, 1, 3, 3), padding=-1),
     "negative padding is not supported"),
    (lambda: F.conv2d(torchless.rand(1, 1, 8, 8), torchless.rand(1, 1, 3, 3), stride=0),
     "non-positive stride is not supported"),
    (lambda: F.conv2d(torchless.rand(1, 1, 8, 8), torchless.rand(1, 1, 3, 3, dtype=torchless.float64)),
     "expected scalar type Float but found Double"),
    (lambda: F.conv2d(torchless.rand(1, 1, 8, 8), torchless.rand(2, 1, 3, 3), torchless.rand(3)),
     "Given weight of size [2, 1, 3, 3], expected bias to be 1-dimensional with 2 elements, but got bias of size [3] "
     "instead"),
    (lambda: F.conv_transpose2d(torchless.rand(1, 1, 4, 4), torchless.rand(1, 1, 3, 3), stride=2, output_padding=2),
     "output padding must be smaller than either stride or dilation, but got output_padding_height: 2 "
     "output_padding_width: 2 stride_height: 2 stride_width: 2 dilation_height: 1 dilation_width: 1"),
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


def assert_same_outcome(torch, build, label=""):
    """``build(lib)`` makes the call; torch's and torchless's outcomes must agree (oneDNN's own errors included)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, got = outcome(lambda: build(torch)), outcome(lambda: build(torchless))
    assert got == expected, label


def _set(**kwargs):
    return lambda call_: call_["kw"].update(kwargs)


# Each fault alone and every pair of faults: PyTorch checks in a fixed order, and so must we.
COMMON_FAULTS = {
    "rank": lambda c: c.update(x=c["x"][-2:]),
    "weight_2d": lambda c: c.update(w=c["w"][:2]),
    "weight_5d": lambda c: c.update(w=c["w"][:2] + (1,) + c["w"][2:]),
    "stride_len": _set(stride=(1, 1, 1)),
    "padding_len": _set(padding=(1, 1, 1)),
    "dilation_len": _set(dilation=(1, 1, 1)),
    "groups_0": _set(groups=0),
    "padding_negative": _set(padding=-1),
    "stride_0": _set(stride=0),
    "dilation_0": _set(dilation=0),
    "dilation_negative": _set(dilation=-1),
    "weight_not_divisible": lambda c: c.update(w=(3,) + c["w"][1:]),
    "channels": lambda c: c.update(x=c["x"][:1] + (6,) + c["x"][2:]),
    "bias_size": lambda c: c.update(b=(5,)),
    "input_small": lambda c: c.update(x=c["x"][:2] + (2,) * (len(c["x"]) - 2)),
    "weight_dtype": lambda c: c.update(w_dtype="float64"),
    "bias_dtype": lambda c: c.update(b_dtype="float64"),
    "kernel_0": lambda c: c.update(w=c["w"][:2] + (0,) + c["w"][3:]),
    "weight_empty": lambda c: c.update(w=(0,) + c["w"][1:]),
    "single_batch": lambda c: c.update(x=(1,) + c["x"][1:]),
}
CONV_FAULTS = {**COMMON_FAULTS,
               "same_strided": _set(padding="same", stride=2), "padding_string": _set(padding="foo"),
               "same": _set(padding="same"), "integer": lambda c: c.update(x_dtype="int64", w_dtype="int64",
                                                                            b_dtype="int64")}
TRANSPOSED_FAULTS = {**COMMON_FAULTS,
                     "output_padding": _set(output_padding=2), "output_padding_negative": _set(output_padding=-1),
                     "output_padding_len": _set(output_padding=(1, 1, 1)), "padding_string": _set(padding="same"),
                     "output_small": lambda c: (c.update(x=c["x"][:2] + (1,) * (len(c["x"]) - 2)),
                                                c["kw"].update(padding=2))}


def fault_cases(faults):
    names = list(faults)
    return [(a,) for a in names] + list(itertools.combinations(names, 2))


def build_call(fn_name, spatial, transposed, faults, combo):
    def build(lib):
        c = dict(x=(2, 4) + (6,) * spatial, w=((4, 1) if transposed else (4, 2)) + (3,) * spatial,
                 b=(2,) if transposed else (4,), kw=dict(groups=2))
        for fault in combo:
            faults[fault](c)
        tensors = [lib.rand(*c[k]).to(getattr(lib, c.get(f"{k}_dtype", "float32"))) for k in ("x", "w", "b")]
        return getattr(lib.nn.functional, fn_name)(*tensors, **c["kw"])
    return build


@pytest.mark.parametrize("fn_name, spatial, transposed", [
    ("conv1d", 1, False), ("conv2d", 2, False), ("conv_transpose1d", 1, True), ("conv_transpose2d", 2, True)])
def test_every_fault_and_pair_of_faults_fails_as_in_torch(fn_name, spatial, transposed):
    torch = pytest.importorskip("torch")
    faults = TRANSPOSED_FAULTS if transposed else CONV_FAULTS
    for combo in fault_cases(faults):
        assert_same_outcome(torch, build_call(fn_name, spatial, transposed, faults, combo), combo)


def _t(lib, *shape, dtype="float32"):
    return lib.ones(*shape, dtype=getattr(lib, dtype))


SPECIFIC_CALLS = {
    "seed_channel_mismatch": lambda t, F: F.conv2d(t.rand(16, 3, 32, 32), t.rand(3, 5, 5, 5), stride=1, padding=1),
    "unbatched_channels": lambda t, F: F.conv2d(_t(t, 3, 32, 32), _t(t, 3, 5, 5, 5)),
    "same_odd_padding_channels": lambda t, F: F.conv2d(_t(t, 1, 3, 8, 8), _t(t, 1, 5, 2, 2), padding="same"),
    "same_empty_kernel_channels": lambda t, F: F.conv2d(_t(t, 1, 2, 8, 8), _t(t, 1, 1, 0, 2), padding="same"),
    "same_empty_kernel_small": lambda t, F: F.conv2d(_t(t, 1, 1, 1, 1), _t(t, 1, 1, 0, 2), padding="same"),
    "same_stride_list_1d": lambda t, F: F.conv1d(_t(t, 1, 3, 8), _t(t, 1, 3, 2), padding="same", stride=(1, 1)),
    "valid_stride_list_1d": lambda t, F: F.conv1d(_t(t, 1, 3, 8), _t(t, 1, 3, 2), padding="valid", stride=(1, 1)),
    "conv1d_4d_weight": lambda t, F: F.conv1d(_t(t, 1, 8), _t(t, 1, 1, 3, 3)),
    "conv_transpose1d_4d_weight": lambda t, F: F.conv_transpose1d(_t(t, 1, 1, 8), _t(t, 1, 1, 3, 3)),
    "empty_spatial_input": lambda t, F: F.conv2d(_t(t, 1, 1, 0, 6), _t(t, 1, 1, 1, 3), padding=1),
    "slow_path_dtype": lambda t, F: F.conv2d(_t(t, 1, 1, 6, 6, dtype="float64"), _t(t, 1, 1, 3, 3)),
    "slow_path_dilated_dtype": lambda t, F: F.conv2d(_t(t, 1, 1, 6, 6), _t(t, 1, 1, 3, 3, dtype="float64"),
                                                     dilation=2),
    "slow_path_dilation_0": lambda t, F: F.conv2d(_t(t, 1, 1, 6, 6), _t(t, 1, 1, 3, 3), dilation=(0, 1)),
    "slow_path_kernel_0_dilated": lambda t, F: F.conv2d(_t(t, 1, 1, 6, 6), _t(t, 1, 1, 0, 3), dilation=2),
    "transposed_dilation_0": lambda t, F: F.conv_transpose2d(_t(t, 1, 1, 6, 6), _t(t, 1, 1, 3, 3), dilation=(1, 0)),
    "transposed_output_zero": lambda t, F: F.conv_transpose1d(_t(t, 1, 1, 2), _t(t, 1, 1, 1), padding=1),
    "transposed_dtype_oneDNN": lambda t, F: F.conv_transpose2d(_t(t, 2, 1, 6, 6), _t(t, 1, 1, 3, 3, dtype="float64")),
    "transposed_dtype_slow": lambda t, F: F.conv_transpose2d(_t(t, 1, 1, 6, 6), _t(t, 1, 1, 3, 3, dtype="float64")),
    "half_weight_dtype": lambda t, F: F.conv2d(_t(t, 2, 1, 4, 4, dtype="float16"), _t(t, 1, 1, 2, 2)),
    "bool_input": lambda t, F: F.conv2d(_t(t, 1, 1, 4, 4, dtype="bool"), _t(t, 1, 1, 2, 2, dtype="bool")),
    "int32_dilated": lambda t, F: F.conv2d(_t(t, 1, 1, 4, 4, dtype="int32"), _t(t, 1, 1, 2, 2, dtype="int32"),
                                           dilation=2),
    "int16_transposed": lambda t, F: F.conv_transpose2d(_t(t, 1, 1, 4, 4, dtype="int16"),
                                                        _t(t, 1, 1, 2, 2, dtype="int16")),
    "bias_dtype_names": lambda t, F: F.conv2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 2, 2), _t(t, 1, dtype="int16")),
    "int_weight_requires_grad": lambda t, F: F.conv2d(_t(t, 1, 1, 4, 4), t.ones(1, 1, 2, 2, dtype=t.int64,
                                                                                 requires_grad=True)),
    # an empty batch: PyTorch's "Empty" backend multiplies by the weight's first element and views
    # the product as the output size, unchecked
    "empty_batch_negative_size": lambda t, F: F.conv_transpose2d(_t(t, 0, 3, 11, 1), _t(t, 3, 1, 5, 2), padding=3,
                                                                 dilation=(2, 3)),
    "empty_batch_size_minus_one": lambda t, F: F.conv_transpose1d(_t(t, 0, 3, 2), _t(t, 3, 2, 4), padding=3),
    "empty_batch_two_sizes_minus_one": lambda t, F: F.conv_transpose2d(_t(t, 0, 3, 2, 2), _t(t, 3, 2, 4, 4),
                                                                       padding=3),
    "empty_batch_minus_one_then_negative": lambda t, F: F.conv_transpose2d(_t(t, 0, 3, 2, 2), _t(t, 3, 2, 4, 4),
                                                                           padding=(3, 4)),
    "empty_batch_empty_kernel": lambda t, F: F.conv2d(_t(t, 0, 1, 3, 2), _t(t, 2, 1, 1, 0), padding=3),
    "empty_batch_empty_kernel_module": lambda t, F: t.nn.Conv2d(1, 2, (1, 0), padding=3, bias=False)(_t(t, 0, 1, 3, 2)),
    "empty_batch_transposed_no_out_channels": lambda t, F: F.conv_transpose1d(_t(t, 0, 2, 4), _t(t, 2, 0, 3)),
    "empty_batch_float_bias_on_int": lambda t, F: F.conv_transpose1d(_t(t, 0, 3, 10, dtype="int64"),
                                                                     _t(t, 3, 2, 2, dtype="int64"), _t(t, 6), groups=3),
    "empty_batch_same_float_bias_on_int": lambda t, F: F.conv2d(_t(t, 0, 2, 5, 5, dtype="int64"),
                                                                _t(t, 3, 2, 2, 2, dtype="int64"), _t(t, 3),
                                                                padding="same"),
    "integer_output_requiring_grad": lambda t, F: F.conv2d(_t(t, 1, 2, 3, 3, dtype="int64"),
                                                           _t(t, 1, 2, 2, 2, dtype="int64"),
                                                           t.ones(1, requires_grad=True), padding="valid"),
    # the reference transposed backend adds the bias in place too
    "slow_transposed_float_bias_on_int": lambda t, F: F.conv_transpose2d(_t(t, 1, 2, 3, 3, dtype="int64"),
                                                                         _t(t, 2, 2, 2, 2, dtype="int64"), _t(t, 4),
                                                                         groups=2),
    "slow_transposed_output_size_0": lambda t, F: F.conv_transpose2d(_t(t, 1, 3, 3, 5), _t(t, 3, 1, 4, 3), padding=3),
    "slow_transposed_output_size_0_double": lambda t, F: F.conv_transpose1d(_t(t, 2, 3, 2, dtype="float64"),
                                                                            _t(t, 3, 2, 5, dtype="float64"), padding=3),
    "slow_transposed_dilation_0": lambda t, F: F.conv_transpose1d(_t(t, 1, 2, 5), _t(t, 2, 3, 3), dilation=0),
    # oneDNN: its own errors for a negative output size, an inconsistent zero dilation, an empty kernel
    "onednn_transposed_negative_size": lambda t, F: F.conv_transpose1d(_t(t, 3, 2, 1), _t(t, 2, 3, 2), stride=3,
                                                                       padding=2, output_padding=1),
    "onednn_transposed_negative_size_groups": lambda t, F: F.conv_transpose1d(_t(t, 1, 3, 2), _t(t, 3, 2, 5),
                                                                              padding=4, groups=3),
    "onednn_transposed_dilation_0": lambda t, F: F.conv_transpose1d(_t(t, 2, 2, 5), _t(t, 2, 3, 3), dilation=0),
    "onednn_transposed_dilation_0_module": lambda t, F: t.nn.ConvTranspose2d(3, 2, 3, padding=1, dilation=0)(
        _t(t, 2, 3, 4, 4)),
    "onednn_transposed_empty_kernel": lambda t, F: F.conv_transpose2d(_t(t, 2, 2, 4, 4), _t(t, 2, 3, 0, 2)),
    "onednn_empty_kernel": lambda t, F: F.conv2d(_t(t, 2, 2, 5, 5), _t(t, 3, 2, 0, 3)),
    "onednn_empty_kernel_1d": lambda t, F: F.conv1d(_t(t, 2, 2, 5), _t(t, 3, 2, 0), dilation=2),
    # argument parsing
    "input_list": lambda t, F: F.conv2d([1.0], _t(t, 1, 1, 3, 3)),
    "stride_float_positional": lambda t, F: F.conv2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), None, 1.5),
    "stride_float_keyword": lambda t, F: F.conv2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), stride=1.5),
    "stride_second_float": lambda t, F: F.conv2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), stride=(1, 1.5)),
    "two_second_elements_bad": lambda t, F: F.conv2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), None, (1, 1.5), (1, "a")),
    "groups_float": lambda t, F: F.conv2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), groups=1.0),
    "stride_bool": lambda t, F: F.conv2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), stride=True),
    "unknown_keyword": lambda t, F: F.conv2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), pad=1),
    "keywords_only": lambda t, F: F.conv2d(input=_t(t, 1, 1, 4, 4), weight=_t(t, 1, 1, 3, 3), stride=1.5),
    "too_many_positional": lambda t, F: F.conv2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), None, 1, 1, 1, 1, 1),
    "missing_weight": lambda t, F: F.conv1d(_t(t, 1, 1, 4)),
    "padding_empty_tuple": lambda t, F: F.conv2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), padding=()),
    "numpy_int_padding": lambda t, F: F.conv2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), padding=np.int64(1)),
    "tr_stride_float_keyword": lambda t, F: F.conv_transpose2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), stride=1.5),
    "tr_stride_float_positional": lambda t, F: F.conv_transpose2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), None, 1.5),
    "tr_tuple_first_float_positional": lambda t, F: F.conv_transpose2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), None,
                                                                       (1.5, 2)),
    "tr_tuple_first_float_keyword": lambda t, F: F.conv_transpose2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3),
                                                                    stride=(1.5, 2)),
    "tr_padding_string": lambda t, F: F.conv_transpose2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), padding="same"),
    "tr_groups_none": lambda t, F: F.conv_transpose2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), groups=None),
    "tr_bias_float": lambda t, F: F.conv_transpose2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), bias=1.5),
    "tr_unknown_keyword": lambda t, F: F.conv_transpose2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), pad=1),
    "tr_missing_weight": lambda t, F: F.conv_transpose2d(_t(t, 1, 1, 4, 4)),
    "tr_too_many": lambda t, F: F.conv_transpose2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), None, 1, 1, 1, 1, 1, 1),
    "tr_twice": lambda t, F: F.conv_transpose2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), input=_t(t, 1, 1, 4, 4)),
    "tr_range": lambda t, F: F.conv_transpose2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), stride=range(1, 2)),
    "tr_numpy_float": lambda t, F: F.conv_transpose2d(_t(t, 1, 1, 4, 4), _t(t, 1, 1, 3, 3), stride=np.float64(2)),
}


@pytest.mark.parametrize("name", list(SPECIFIC_CALLS))
def test_specific_bad_calls_fail_as_in_torch(name):
    torch = pytest.importorskip("torch")
    assert_same_outcome(torch, lambda lib: SPECIFIC_CALLS[name](lib, lib.nn.functional))


def results(lib, build):
    """``build(lib, make)``'s output (shape, dtype, values), grad_fn name and gradients, or what it raised.

    ``make(*shape, dtype="float32", parameter=False)`` makes the same random tensor (or Parameter) in
    either library, requiring grad when floating point; the output's gradient is random too.
    """
    rng = np.random.default_rng(0)
    leaves = []

    def make(*shape, dtype="float32", parameter=False):
        floating = dtype.startswith("float")
        values = rng.standard_normal(shape) if floating else rng.integers(-3, 4, shape)
        leaf = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=floating)
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


def assert_same_results(torch, build):
    expected, got = results(torch, build), results(torchless, build)
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


def _random_parameters(layer, make):
    """``layer`` with its weight and bias replaced by ``make``'s (the same in torch and torchless)."""
    layer.weight = make(*layer.weight.shape, parameter=True)
    if layer.bias is not None:
        layer.bias = make(*layer.bias.shape, parameter=True)
    return layer


EDGE_RESULTS = {
    # oneDNN takes a transposed convolution's empty output; the reference backend says it is too small
    "onednn_output_size_0_groups_1d": lambda t, m: t.nn.functional.conv_transpose1d(m(1, 3, 2), m(3, 2, 5), m(6),
                                                                                    padding=3, groups=3),
    "onednn_output_size_0_groups_2d": lambda t, m: t.nn.functional.conv_transpose2d(m(1, 3, 3, 5), m(3, 1, 4, 3),
                                                                                    padding=3, groups=3),
    "onednn_output_size_0_batch_2": lambda t, m: t.nn.functional.conv_transpose1d(m(2, 3, 2), m(3, 2, 5), padding=3),
    "onednn_output_size_0_unbatched": lambda t, m: t.nn.functional.conv_transpose1d(m(3, 2), m(3, 2, 5), padding=3,
                                                                                    groups=3),
    "onednn_output_size_0_module": lambda t, m: _random_parameters(
        t.nn.ConvTranspose2d(3, 3, (4, 3), padding=3, groups=3), m)(m(1, 3, 3, 5)),
    # oneDNN with a zero dilation: PyTorch's size, computed with a dilation of 1
    "onednn_dilation_0_kernel_1": lambda t, m: t.nn.functional.conv_transpose1d(m(2, 2, 8), m(2, 3, 1), padding=1,
                                                                                dilation=0),
    "onednn_dilation_0_cropped": lambda t, m: t.nn.functional.conv_transpose1d(m(2, 2, 1), m(2, 3, 2), m(3),
                                                                               stride=2, dilation=0),
    "onednn_dilation_0_and_2": lambda t, m: t.nn.functional.conv_transpose2d(m(2, 2, 1, 3), m(2, 3, 2, 2), m(3),
                                                                             stride=2, dilation=(0, 2)),
    "onednn_dilation_0_module": lambda t, m: _random_parameters(t.nn.ConvTranspose2d(3, 2, 1, dilation=0), m)(
        m(2, 3, 4, 4)),
    # an empty batch: the output's dtype is the input's times the weight's first element
    "empty_batch_int_input": lambda t, m: t.nn.functional.conv2d(m(0, 3, 10, 9, dtype="int64"), m(9, 1, 2, 3),
                                                                 groups=3),
    "empty_batch_int_input_1d": lambda t, m: t.nn.functional.conv1d(m(0, 3, 10, dtype="int64"), m(9, 1, 2), groups=3),
    "empty_batch_int_input_transposed": lambda t, m: t.nn.functional.conv_transpose2d(
        m(0, 3, 5, 5, dtype="int64"), m(3, 2, 2, 2), m(6, dtype="int64"), groups=3),
    "empty_batch_int32_long_weight": lambda t, m: t.nn.functional.conv2d(m(0, 3, 4, 4, dtype="int32"),
                                                                         m(2, 3, 2, 2, dtype="int64")),
    "empty_batch_bool_long_weight": lambda t, m: t.nn.functional.conv2d(m(0, 3, 4, 4, dtype="bool"),
                                                                        m(2, 3, 2, 2, dtype="int64")),
    "empty_batch_double_weight": lambda t, m: t.nn.functional.conv1d(m(0, 2, 6), m(3, 2, 2, dtype="float64"), m(3)),
    "empty_batch_float_weight": lambda t, m: t.nn.functional.conv_transpose1d(m(0, 2, 6, dtype="float64"), m(2, 3, 2),
                                                                              m(3, dtype="float64")),
    "empty_batch_float_bias_transposed": lambda t, m: t.nn.functional.conv_transpose2d(m(0, 2, 3, 3), m(2, 1, 2, 2),
                                                                                       m(1, dtype="float64")),
    "zero_channels_promote": lambda t, m: t.nn.functional.conv1d(m(2, 0, 10), m(9, 0, 2, dtype="float64"), m(9),
                                                                 groups=3),
    "empty_batch_output_size_0": lambda t, m: t.nn.functional.conv_transpose1d(m(0, 3, 2), m(3, 2, 5), padding=3),
    "empty_batch_transposed_dilation_0": lambda t, m: t.nn.functional.conv_transpose2d(m(0, 2, 4, 4), m(2, 3, 3, 3),
                                                                                       dilation=0),
    "empty_batch_dilation_0": lambda t, m: t.nn.functional.conv2d(m(0, 2, 5, 5), m(3, 2, 3, 3), dilation=0),
    "empty_batch_same": lambda t, m: t.nn.functional.conv2d(m(0, 2, 5, 5, dtype="int64"), m(3, 2, 2, 2),
                                                            padding="same"),
}


@pytest.mark.parametrize("name", list(EDGE_RESULTS))
def test_edge_case_results_match_torch(name):
    torch = pytest.importorskip("torch")
    assert_same_results(torch, EDGE_RESULTS[name])


@examples(60)
@given(data=st.data())
def test_transposed_convolution_where_torch_picks_onednn_matches_torch(data):
    """oneDNN (float32, more than one image or group) sizes the output without checks and, with a zero
    dilation, computes with a dilation of 1 where its own size check allows: outcomes and values as torch."""
    torch = pytest.importorskip("torch")
    n = data.draw(st.sampled_from([1, 2]))
    ints = lambda low, high: tuple(data.draw(st.integers(low, high)) for _ in range(n))  # noqa: E731
    size, kernel, stride, padding = ints(1, 4), ints(0, 4), ints(1, 3), ints(0, 3)
    dilation = tuple(data.draw(st.sampled_from([0, 1, 2])) for _ in range(n))
    output_padding = tuple(data.draw(st.integers(0, s - 1)) for s in stride)
    batch, groups = data.draw(st.sampled_from([(2, 1), (1, 2), (2, 2)]))

    def build(lib, make):
        fn = lib.nn.functional.conv_transpose1d if n == 1 else lib.nn.functional.conv_transpose2d
        return fn(make(batch, 2 * groups, *size), make(2 * groups, 2, *kernel), make(2 * groups), stride=stride,
                  padding=padding, output_padding=output_padding, groups=groups, dilation=dilation)

    assert_same_results(torch, build)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv2d_without_a_graph_gives_the_recorded_call_s_output(dtype):
    """Where no graph node is recorded (no_grad, or nothing requires grad), conv2d calls its kernel
    directly; the output must be the one the recorded call gives, and carry no graph."""
    torchless.manual_seed(0)
    x = torchless.randn(2, 3, 9, 8, dtype=getattr(torchless, dtype))
    w = torchless.randn(4, 3, 3, 3, dtype=x.dtype, requires_grad=True)
    b = torchless.randn(4, dtype=x.dtype, requires_grad=True)
    recorded = torchless.nn.functional.conv2d(x, w, b, stride=(2, 1), padding=1)
    assert recorded.grad_fn is not None
    with torchless.no_grad():
        direct = torchless.nn.functional.conv2d(x, w, b, stride=(2, 1), padding=1)
    plain = torchless.nn.functional.conv2d(x, w.detach(), None, stride=(2, 1), padding=1)
    assert direct.grad_fn is None and not direct.requires_grad and direct.dtype == x.dtype
    assert torchless.equal(direct, recorded.detach())
    assert plain.grad_fn is None
    assert torchless.allclose(plain + b.detach().reshape(1, -1, 1, 1), direct, rtol=1e-5, atol=1e-5)
