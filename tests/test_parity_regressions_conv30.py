"""Parity regressions (session 30): the convolution family against torch 2.13.0.

* the layers' bias when there is no fan-in (no input channels, an empty kernel): zeros drawn by uniform_ as in
  PyTorch, so the random numbers drawn after building the layer are PyTorch's;
* complex convolutions composed as PyTorch composes them (a - b + i (c - a - b) of three real convolutions of the
  parts, AddBackward0 on top);
* torch.convolution, torch._convolution and torch._convolution_mode: at::convolution's checks in its order (no
  batching of an unbatched input, no up-front check of the bias's dtype), 'same' padding's own messages, and the
  errors of complex tensors, which only the conv*d functions split into real convolutions.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import outcome_named_as_torch

torch = pytest.importorskip("torch")


def _both(scenario):
    """``scenario(lib)`` for torch and torchless: their results (or errors) must be equal."""
    expected, got = scenario(torch), scenario(torchless)
    assert got == expected
    return expected


# ---------------------------------------------------------------------------- initialisation without fan-in
@pytest.mark.parametrize("name, args", [
    ("Conv1d", (0, 4, 3)), ("Conv2d", (0, 4, 3)), ("Conv3d", (0, 2, 2)), ("Conv2d", (3, 4, (0, 3))),
    ("ConvTranspose2d", (4, 2, (0, 3))), ("ConvTranspose1d", (3, 5, 0)), ("ConvTranspose3d", (2, 4, (2, 0, 1))),
])
def test_bias_without_fan_in_is_drawn_as_zeros(name, args):
    def scenario(lib):
        lib.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (kaiming_uniform_'s warning on an empty weight)
            layer = getattr(lib.nn, name)(*args)
        return layer.bias.tolist(), lib.rand(3).tolist()

    bias, following = _both(scenario)
    assert bias == [0.0] * len(bias)
    torch.manual_seed(0)
    assert bias == [] or following != torch.rand(3).tolist()  # the bias's numbers were drawn


# ---------------------------------------------------------------------------- complex convolutions
def _complex_arrays(x_shape, w_shape, bias):
    rng = np.random.default_rng(0)

    def draw(shape):
        return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)

    return draw(x_shape), draw(w_shape), draw(w_shape[0] if bias else 0) if bias else None


def _graph(fn, depth=3):
    """The names of a graph's nodes, depth first, to ``depth`` levels."""
    if fn is None or depth == 0:
        return []
    return [fn.name()] + [name for child, _ in fn.next_functions for name in _graph(child, depth - 1)]


@pytest.mark.parametrize("call, x_shape, w_shape, kwargs", [
    ("conv2d", (2, 3, 5, 5), (4, 3, 3, 3), {}),
    ("conv2d", (2, 3, 5, 5), (4, 3, 2, 2), {"padding": "same"}),
    ("conv1d", (3, 7), (2, 3, 3), {"stride": 2}),
    ("conv_transpose2d", (2, 4, 3, 3), (4, 3, 3, 3), {"stride": 2, "output_padding": 1}),
])
@pytest.mark.parametrize("bias", [False, True])
def test_complex_convolution_is_composed_as_in_pytorch(call, x_shape, w_shape, kwargs, bias):
    x, w, b = _complex_arrays(x_shape, w_shape, bias)
    if b is not None and call.startswith("conv_transpose"):
        b = b[:w_shape[1]]

    def run(lib):
        tensors = [None if a is None else lib.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = getattr(lib.nn.functional, call)(*tensors, **kwargs)
        wanted = [t for t in tensors if t is not None]
        grads = lib.autograd.grad(y, wanted, lib.ones_like(y) * (1 - 2j))
        return _graph(y.grad_fn), [y.detach().numpy()] + [g.numpy() for g in grads]

    (graph, arrays), (graph_l, arrays_l) = run(torch), run(torchless)
    assert graph_l == graph
    assert graph[graph.index("AddBackward0") + 1] == "SubBackward0"  # (below the unbatched input's squeeze)
    for expected, got in zip(arrays, arrays_l):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (NumPy's, for inf - inf, which torchless silences but pytest
def test_complex_convolution_of_an_infinity_as_in_pytorch():  # shows again)
    def run(lib):
        x = lib.tensor([[[[complex("inf"), 1 + 0j]]]], dtype=lib.complex64)
        y = lib.nn.functional.conv2d(x, lib.ones(1, 1, 1, 1, dtype=lib.complex64))
        return str(y.numpy().tolist())

    _both(run)


# ---------------------------------------------------------------------------- torch.convolution and friends
def _zeros(lib, shape, dtype="float32"):
    return lib.zeros(*shape, dtype=getattr(lib, dtype))


NATIVE_CALLS = {
    # (at::_convolution expands the int lists, then check_shape_forward checks them before the input's rank)
    "stride length before rank": lambda L: L.convolution(
        _zeros(L, (2, 5, 5)), _zeros(L, (3, 2, 3, 3)), None, [1, 1, 1], [0], [1], False, [0], 1),
    "negative padding before rank": lambda L: L.convolution(
        _zeros(L, (2, 5, 5)), _zeros(L, (3, 2, 3, 3)), None, [1], [-1], [1], False, [0], 1),
    "zero stride before rank": lambda L: L.convolution(
        _zeros(L, (2, 5, 5)), _zeros(L, (3, 2, 3, 3)), None, [0], [0], [1], False, [0], 1),
    "negative dilation before rank": lambda L: L.convolution(
        _zeros(L, (2, 5, 5)), _zeros(L, (3, 2, 3, 3)), None, [1], [0], [-1], False, [0], 1),
    "output padding length before rank": lambda L: L.convolution(
        _zeros(L, (2, 5, 5)), _zeros(L, (2, 3, 3, 3)), None, [1], [0], [1], True, [0, 0, 0], 1),
    "negative output padding before rank": lambda L: L.convolution(
        _zeros(L, (2, 5, 5)), _zeros(L, (2, 3, 3, 3)), None, [1], [0], [1], True, [-1], 1),
    "_convolution's order": lambda L: L._convolution(
        _zeros(L, (2, 5, 5)), _zeros(L, (3, 2, 3, 3)), None, [1, 1, 1], [0], [1], False, [0], 1, False, False, True,
        True),
    "bias dtype after the lists": lambda L: L.convolution(
        _zeros(L, (2, 2, 5, 5)), _zeros(L, (3, 2, 3, 3)), _zeros(L, (3,), "float64"), [1, 1, 1], [0], [1], False,
        [0], 1),
    "bias dtype after the padding": lambda L: L.convolution(
        _zeros(L, (2, 2, 5, 5)), _zeros(L, (3, 2, 3, 3)), _zeros(L, (3,), "float64"), [1], [-1], [1], False, [0],
        1),
    "valid: rank after the lists": lambda L: L._convolution_mode(
        _zeros(L, (2, 5, 5)), _zeros(L, (3, 2, 3, 3)), None, [1, 1, 1], "valid", [1], 1),
    "same: rank first, in its own words": lambda L: L._convolution_mode(
        _zeros(L, (2, 5, 5)), _zeros(L, (3, 2, 3, 3)), None, [1, 1, 1], "same", [1], 1),
    "same: stride broadcast": lambda L: L._convolution_mode(
        _zeros(L, (1, 2, 5, 5)), _zeros(L, (3, 2, 3, 3)), None, [1, 1, 1], "same", [1], 1),
    "same: dilation broadcast": lambda L: L._convolution_mode(
        _zeros(L, (1, 2, 5, 5)), _zeros(L, (3, 2, 3, 3)), None, [1], "same", [1, 1, 1], 1),
    "invalid padding string first": lambda L: L._convolution_mode(
        _zeros(L, (2, 5, 5)), _zeros(L, (3, 2)), None, [1], "foo", [1], 0),
    "same: weight rank before groups": lambda L: L._convolution_mode(
        _zeros(L, (2, 5, 5)), _zeros(L, (3, 2)), None, [1], "same", [1], 0),
    "valid: weight rank before groups": lambda L: L._convolution_mode(
        _zeros(L, (2, 5, 5)), _zeros(L, (3, 2)), None, [1], "valid", [1], 0),
    "weight and bias dtypes": lambda L: L.convolution(
        _zeros(L, (1, 2, 5, 5)), _zeros(L, (3, 2, 3, 3), "float64"), _zeros(L, (3,), "float64"), [1], [0], [1],
        False, [0], 1),
    "integer output, float bias, transposed": lambda L: L.convolution(
        _zeros(L, (1, 2, 5, 5), "int64"), _zeros(L, (2, 3, 3, 3), "int64"), _zeros(L, (3,)), [1], [0], [1], True,
        [0], 1),
    "oneDNN's bias dtype": lambda L: L.convolution(
        _zeros(L, (2, 2, 5, 5)), _zeros(L, (3, 2, 3, 3)), _zeros(L, (3,), "float64"), [1], [0], [1], False, [0], 1),
}


@pytest.mark.parametrize("name", NATIVE_CALLS)
def test_native_convolution_errors(name):
    result = _both(lambda lib: outcome_named_as_torch(lambda: NATIVE_CALLS[name](lib)))
    assert isinstance(result, tuple) and result[0] in ("RuntimeError", "NotImplementedError")


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("dtypes", [("float64", "float32"), ("int64", "float32"), ("float64", "int64"),
                                    ("float32", "float64"), ("float16", "float32")])
def test_native_convolution_takes_a_bias_of_another_dtype_as_pytorch(transposed, batch, dtypes):
    """at::convolution has no up-front check of the bias's dtype (F.conv2d's at::conv2d has): the backend's
    checks decide, and the slow kernels add the bias in the output's dtype."""
    x_dtype, b_dtype = dtypes
    rng = np.random.default_rng(batch)
    x = rng.integers(-3, 4, (batch, 2, 5, 5))
    w = rng.integers(-3, 4, (2, 2, 3, 3))
    b = rng.integers(-3, 4, 2)

    def run(lib):
        def call():
            y = lib.convolution(lib.tensor(x).to(getattr(lib, x_dtype)), lib.tensor(w).to(getattr(lib, x_dtype)),
                                lib.tensor(b).to(getattr(lib, b_dtype)), [1], [1], [1], transposed, [0], 1)
            return str(y.dtype).split(".")[-1], y.shape, y.double().numpy().tolist()
        return outcome_named_as_torch(call)

    _both(run)


@pytest.mark.parametrize("args", [
    ((1, 3, 6), (2, 3, 3), [1], [0], [1], False),
    ((1, 3, 6, 6), (2, 3, 3, 3), [1], [0], [1], False),
    ((1, 3, 6, 6), (2, 3, 3, 3), [1], [0], [2], False),
    ((2, 3, 4, 4, 4), (2, 3, 3, 3, 3), [1], [0], [1], False),
    ((1, 3, 4, 4, 4), (2, 3, 1, 1, 1), [1], [0], [1], False),
    ((1, 3, 6, 6), (3, 2, 3, 3), [1], [0], [1], True),
    ((1, 3, 4, 4, 4), (3, 2, 3, 3, 3), [1], [0], [1], True),
])
@pytest.mark.parametrize("weight_dtype", ["complex64", "float32"])
def test_native_convolution_of_complex_tensors_fails_in_its_kernel(args, weight_dtype):
    x_shape, w_shape, stride, padding, dilation, transposed = args

    def run(lib):
        x, w = _zeros(lib, x_shape, "complex64"), _zeros(lib, w_shape, weight_dtype)
        return outcome_named_as_torch(lambda: lib.convolution(x, w, None, stride, padding, dilation, transposed, [0],
                                                              1))

    assert _both(run)[0] == "NotImplementedError"


@pytest.mark.parametrize("padding", [[1], "same", "valid"])
def test_native_convolution_of_an_empty_complex_batch_refuses_autograd(padding):
    def run(lib):
        x = lib.zeros(0, 2, 5, 5, dtype=lib.complex64, requires_grad=True)
        w = lib.zeros(3, 2, 3, 3, dtype=lib.complex64)
        if isinstance(padding, str):
            call = lambda: lib._convolution_mode(x, w, None, [1], padding, [1], 1)  # noqa: E731
        else:
            call = lambda: lib.convolution(x, w, None, [1], padding, [1], False, [0], 1)  # noqa: E731
        with_grad = outcome_named_as_torch(call)
        with lib.no_grad():
            shape = tuple(call().shape)
        return with_grad, shape

    error, shape = _both(run)
    assert error[0] == "RuntimeError" and shape == (0, 3, 5 if padding in ([1], "same") else 3, 5 if padding in
                                                    ([1], "same") else 3)


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("transposed", [False, True])
def test_native_convolution_values_and_gradients(dim, transposed):
    """torch.convolution computes what the conv*d functions compute (checked against torch, float64)."""
    rng = np.random.default_rng(dim)
    size = (5,) * dim
    x = rng.standard_normal((2, 4) + size)
    w = rng.standard_normal(((4, 3) if transposed else (6, 2)) + (3,) * dim)
    b = rng.standard_normal(6 if transposed else 6)

    def run(lib):
        tensors = [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = lib.convolution(*tensors, [2], [1], [1], transposed, [1] if transposed else [0], 2)
        grads = lib.autograd.grad(y, tensors, lib.ones_like(y))
        return [y.detach().numpy()] + [g.numpy() for g in grads], y.grad_fn.name(), y.stride()

    (expected, name, strides), (got, name_l, strides_l) = run(torch), run(torchless)
    assert (name_l, strides_l) == (name, strides)
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------------------- weight gradients' strides
def _weight_in_layout(lib, array, layout):
    """``array`` as a weight tensor laid out as named: C order, made channels-last by .contiguous() (which keeps C
    strides where size-1 dims allow), allocated channels-last, transposed (H and W), or a slice of channels."""
    rank_format = lib.channels_last if array.ndim == 4 else lib.channels_last_3d
    if layout == "contiguous":
        return lib.tensor(array)
    if layout == "made channels-last":
        return lib.tensor(array).contiguous(memory_format=rank_format)
    if layout == "allocated channels-last":
        return lib.empty(array.shape, dtype=lib.float64, memory_format=rank_format).copy_(lib.tensor(array))
    if layout == "transposed":
        return lib.tensor(np.ascontiguousarray(np.swapaxes(array, -1, -2))).transpose(-1, -2)
    wider = np.concatenate([array, array], axis=1)
    return lib.tensor(wider)[:, :array.shape[1]]


@pytest.mark.parametrize("call", ["conv2d", "conv_transpose2d", "conv3d", "conv_transpose3d"])
@pytest.mark.parametrize("layout", ["contiguous", "made channels-last", "allocated channels-last", "transposed",
                                    "a slice of channels"])
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("create_graph", [False, True])
def test_weight_gradient_strides_of_the_reference_kernels(call, layout, groups, create_graph):
    """PyTorch's reference kernels (float64) allocate the weight's gradient of a channels-last convolution like the
    weight made contiguous in that layout: the weight's own strides where its size-1 dim lets it be so already,
    fresh channels-last strides otherwise (a transposed weight, or a slice)."""
    dim = 3 if call.endswith("3d") else 2
    rng = np.random.default_rng(groups)
    x = rng.standard_normal((2, 2 * groups) + (4,) * dim)
    w = rng.standard_normal(((2 * groups, 1) if "transpose" in call else (groups, 2)) + (2,) * dim)
    if "transpose" not in call:  # (the size-1 dim: one input channel per group)
        x, w = x[:, :groups], w[:, :1]

    def run(lib):
        rank_format = lib.channels_last if dim == 2 else lib.channels_last_3d
        X = lib.tensor(x).contiguous(memory_format=rank_format).requires_grad_()
        W = _weight_in_layout(lib, w, layout).requires_grad_()
        y = getattr(lib.nn.functional, call)(X, W, groups=groups)
        gx, gw = lib.autograd.grad(y, [X, W], lib.ones_like(y), create_graph=create_graph)
        return W.stride(), gw.stride(), gx.stride(), y.stride(), gw.detach().numpy()

    expected, got = run(torch), run(torchless)
    assert got[:4] == expected[:4]
    np.testing.assert_allclose(got[4], expected[4], rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------- SymInt arguments
@pytest.mark.parametrize("call", [
    lambda L, g: L.nn.functional.conv2d(L.ones(1, 4, 6, 6), L.ones(4, 2, 3, 3), groups=g),
    lambda L, g: L.nn.functional.conv_transpose1d(L.ones(1, 4, 6), L.ones(4, 2, 3), groups=g),
    lambda L, g: L.nn.functional.conv3d(L.ones(4, 3, 3, 3), L.ones(4, 2, 2, 2, 2), None, 1, "same", 1, g),
    lambda L, g: L.nn.functional.channel_shuffle(L.ones(1, 4, 2, 2), g),
])
@pytest.mark.parametrize("groups", ["bool", "bool list", "int", "int list"])
def test_symint_groups_given_as_a_tensor(call, groups):
    """A SymInt (groups) takes a one-element integral tensor; a bool one fails pybind's caster's assertion."""
    def run(lib):
        value = {"bool": lib.tensor(True), "bool list": lib.tensor([False]), "int": lib.tensor(2),
                 "int list": lib.tensor([[2]])}[groups]
        return outcome_named_as_torch(lambda: tuple(call(lib, value).shape))

    result = _both(run)
    assert (result[0] == "RuntimeError") == groups.startswith("bool")
