"""Convolution and pooling on cases earlier sessions missed (session 24), each run on torch and on torchless from
the same arrays: shapes, dtypes, strides, values (float32 precision), gradients, or the exception's type and
message (torchless's names read as torch's)."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def described(lib, make):
    """``make(lib)``'s tensors as (shape, strides, values rounded to float32 precision), or the exception."""
    try:
        result = make(lib)
    except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    results = result if isinstance(result, (tuple, list)) else (result,)
    return [(tuple(t.shape), str(t.dtype).split(".")[-1], t.stride(),
             np.round(t.detach().numpy().astype(np.float64), 4).tolist()) for t in results]


def same_in_both(make):
    expected, got = described(torch, make), described(torchless, make)
    assert got == expected
    return expected


def random_array(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------- weight gradient strides of the reference kernels
# PyTorch's reference (non-oneDNN) convolutions of a channels-last input write the weight's gradient in C order,
# then make it channels-last contiguous: a weight whose size-1 dims make C order channels-last already keeps
# C strides. oneDNN (float32 with a batch or groups) writes channels-last strides throughout.

def weight_gradient(name, x_shape, w_shape, dtype, create_graph, **kwargs):
    x_values, w_values = random_array(x_shape, dtype), random_array(w_shape, dtype, seed=1)

    def make(lib):
        x = lib.tensor(x_values).contiguous(memory_format=lib.channels_last).requires_grad_()
        w = lib.tensor(w_values, requires_grad=True)
        y = getattr(lib.nn.functional, name)(x, w, **kwargs)
        grad = lib.tensor(random_array(tuple(y.shape), dtype, seed=2))
        return lib.autograd.grad(y, (x, w), grad, create_graph=create_graph)
    return make


@pytest.mark.parametrize("name, x_shape, w_shape, kwargs", [
    ("conv2d", (1, 2, 4, 2), (2, 2, 1, 1), {}),
    ("conv2d", (2, 2, 5, 4), (2, 1, 1, 2), {"groups": 2}),
    ("conv2d", (1, 1, 5, 4), (3, 1, 2, 3), {"stride": 2}),
    ("conv2d", (1, 2, 4, 3), (2, 2, 3, 1), {}),  # not C-ordered channels-last: channels-last strides
    ("conv_transpose2d", (2, 2, 3, 5), (2, 1, 2, 3), {"stride": 2, "dilation": 2, "output_padding": 1}),
    ("conv_transpose2d", (1, 2, 2, 3), (2, 2, 1, 1), {}),
    ("conv_transpose2d", (1, 4, 4, 2), (4, 1, 2, 2), {"groups": 2}),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("create_graph", [False, True])
def test_weight_gradient_of_a_channels_last_input_keeps_c_strides_that_are_channels_last(name, x_shape, w_shape,
                                                                                         kwargs, dtype, create_graph):
    same_in_both(weight_gradient(name, x_shape, w_shape, dtype, create_graph, **kwargs))


def test_reference_kernel_weight_gradient_strides_without_torch():
    x = torchless.ones(1, 2, 4, 2, dtype=torchless.float64).contiguous(memory_format=torchless.channels_last)
    w = torchless.ones(3, 2, 1, 1, dtype=torchless.float64, requires_grad=True)
    torchless.nn.functional.conv2d(x, w).sum().backward()
    assert w.grad.stride() == (2, 1, 1, 1)
    np.testing.assert_array_equal(w.grad.numpy(), np.full((3, 2, 1, 1), 8.0))


# ---------------------------------------------------------------- average pooling gradient of a cropped plane
@pytest.mark.parametrize("shape, kernel, stride, padding, ceil_mode", [
    ((1, 1, 6, 1), (4, 1), None, 0, True),
    ((1, 1, 6, 1), (3, 1), (1, 2), (1, 0), False),
    ((1, 1, 1, 3), (3, 1), (1, 2), (1, 0), False),
    ((2, 1, 7, 1), 2, None, 1, True),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_avg_pool2d_gradient_has_c_strides_on_size_one_dims(shape, kernel, stride, padding, ceil_mode, dtype):
    values = random_array(shape, dtype)

    def make(lib):
        x = lib.tensor(values, requires_grad=True)
        y = lib.nn.functional.avg_pool2d(x, kernel, stride, padding, ceil_mode=ceil_mode)
        y.backward(lib.ones_like(y))
        return x.grad
    same_in_both(make)


def test_avg_pool2d_gradient_strides_without_torch():
    x = torchless.ones(1, 1, 6, 1, requires_grad=True)
    torchless.nn.functional.avg_pool2d(x, (4, 1), ceil_mode=True).sum().backward()
    assert x.grad.stride() == (6, 6, 1, 1)
    np.testing.assert_allclose(x.grad.numpy().ravel(), [0.25] * 4 + [0.5] * 2)


# ---------------------------------------------------------------- the namespace's pooling with a NumPy stride
@pytest.mark.parametrize("call", [
    "lib.max_pool1d_with_indices(x, (3,), np.int64(1), 0)",
    "lib.max_pool1d(x, 3, np.int32(2))",
    "lib.avg_pool1d(x, 3, np.int64(2))",
    "lib.max_pool2d(x, 3, np.int64(2))",
    "lib.max_pool3d(x[None], 1, lib.tensor(2))",
    "lib.max_pool1d(x, 3, [])",
])
def test_namespace_pooling_takes_a_numpy_number_as_stride(call):
    values = random_array((2, 3, 5), np.float32)
    same_in_both(lambda lib: eval(call, {"lib": lib, "np": np, "x": lib.tensor(values)}))


# ---------------------------------------------------------------- conv_tbc
# PyTorch's own kernel and node (ConvTbcBackward0): the bias cast to the output's dtype, C-strided results and
# gradients, an empty output in the graph of all three inputs, an error where a tap's steps do not view as rows.
def conv_tbc_outcome(steps, batch, channels, out_channels, kernel, pad, dtype=np.float64, bias_dtype=None,
                     time_innermost=False, create_graph=False):
    x_values = random_array((steps, batch, channels), dtype)
    w_values = random_array((kernel, channels, out_channels), dtype, seed=1)
    b_values = random_array((out_channels,), bias_dtype or dtype, seed=2)

    def make(lib):
        x = lib.tensor(x_values)
        if time_innermost:
            x = x.transpose(0, 1).contiguous().transpose(0, 1)
        x.requires_grad_()
        w, b = lib.tensor(w_values, requires_grad=True), lib.tensor(b_values, requires_grad=True)
        y = lib.conv_tbc(x, w, b, pad)
        grad = lib.tensor(random_array(tuple(y.shape), dtype, seed=3), requires_grad=create_graph)
        gradients = lib.autograd.grad(y, (x, w, b), grad, create_graph=create_graph)
        if not create_graph:
            return (y, *gradients)
        total = sum((g * g).sum() for g in gradients[:2])
        return (y, *gradients, *lib.autograd.grad(total, (x, w, grad), allow_unused=True, materialize_grads=True))
    return make


@pytest.mark.parametrize("shape", [(5, 3, 2, 4, 2, 1), (5, 3, 3, 3, 1, -2), (2, 2, 2, 1, 3, 0), (4, 0, 2, 4, 2, 0),
                                   (5, 3, 0, 4, 2, 0), (0, 1, 1, 2, 4, 2), (4, 2, 3, 2, 2, -1), (3, 2, 2, 2, 4, 3)])
@pytest.mark.parametrize("create_graph", [False, True])
def test_conv_tbc_values_strides_and_gradients(shape, create_graph):
    same_in_both(conv_tbc_outcome(*shape, create_graph=create_graph))


@pytest.mark.parametrize("dtype, bias_dtype", [(np.float32, np.float64), (np.float64, np.float32)])
def test_conv_tbc_casts_the_bias(dtype, bias_dtype):
    same_in_both(conv_tbc_outcome(5, 2, 2, 3, 2, 1, dtype, bias_dtype))


@pytest.mark.parametrize("shape", [(5, 3, 3, 3, 1, -2), (2, 2, 3, 2, 1, 0), (3, 1, 2, 2, 2, 0), (2, 2, 1, 3, 2, 3)])
def test_conv_tbc_of_a_time_innermost_input(shape):
    same_in_both(conv_tbc_outcome(*shape, time_innermost=True))


def test_conv_tbc_node_without_torch():
    x = torchless.ones(3, 2, 1, requires_grad=True)
    w = torchless.ones(3, 1, 2, requires_grad=True)
    y = torchless.conv_tbc(x, w, torchless.zeros(2, dtype=torchless.float64), 1)
    assert (y.grad_fn.name(), y.dtype, y.stride()) == ("ConvTbcBackward0", torchless.float32, (4, 2, 1))
    np.testing.assert_array_equal(y.detach().numpy()[:, 0, 0], [2, 3, 2])
    empty = torchless.conv_tbc(torchless.ones(2, 2, 1), w, torchless.zeros(2), 0)
    assert tuple(empty.shape) == (0, 2, 2) and empty.requires_grad and empty.stride() == (4, 2, 1)


# ---------------------------------------------------------------- slow_conv3d's dtype error
@pytest.mark.parametrize("kernel, kwargs", [((1, 1, 1), {}), ((1, 1, 1), {"stride": 2}), ((1, 1, 1), {"padding": 1}),
                                            ((1, 1, 1), {"groups": 2}), ((2, 1, 1), {}), ((1, 1, 1), {"padding": "valid"})])
@pytest.mark.parametrize("shape", [(1, 2, 3, 3, 3), (2, 3, 3, 3)])
def test_bool_conv3d_names_the_kernel_that_refuses_it(kernel, kwargs, shape):
    """slow_conv3d unfolds the input first (compute_columns3d refuses), but for a 1x1x1 kernel of one group without
    stride or padding, where its own dispatch does."""
    out_channels, in_channels = (2, 1) if kwargs.get("groups") else (1, 2)
    same_in_both(lambda lib: lib.nn.functional.conv3d(lib.ones(*shape, dtype=lib.bool),
                                                      lib.ones(out_channels, in_channels, *kernel, dtype=lib.bool),
                                                      **kwargs))


# ---------------------------------------------------------------- fractional max pooling of empty windows
@pytest.mark.parametrize("spatial, shape, kernel_size, output_size", [
    (2, (1, 1, 7, 6), (0, 3), 2), (2, (2, 3, 7, 5), (0, 3), 3), (2, (1, 1, 1, 7), (0, 2), 2), (2, (1, 2, 4, 4), 0, 2),
    (3, (2, 1, 5, 3, 2), 0, 1), (3, (1, 1, 4, 4, 4), (1, 0, 2), 2)])
@pytest.mark.parametrize("create_graph", [False, True])
def test_fractional_max_pool_backward_asserts_indices_of_empty_windows(spatial, shape, kernel_size, output_size,
                                                                       create_graph):
    """The forward takes a kernel size of 0 (its windows' maxima are -inf, their indices one past the plane);
    the backward kernel's assert then fails."""
    values = random_array(shape)

    def make(lib):
        x = lib.tensor(values, requires_grad=True)
        samples = lib.full((shape[0], shape[1], spatial), 0.5, dtype=lib.float64)
        y, indices = getattr(lib.nn.functional, f"fractional_max_pool{spatial}d")(
            x, kernel_size, output_size=output_size, return_indices=True, _random_samples=samples)
        return (y, indices, *lib.autograd.grad(y, x, lib.ones_like(y), create_graph=create_graph))
    outcome = same_in_both(make)
    assert outcome[0] == "RuntimeError" and "INTERNAL ASSERT FAILED" in outcome[1]


# ---------------------------------------------------------------- a 0-d NumPy array for an int list
# PyTorch's parser takes it (it converts through __index__) and then asserts in the unpacking, which expects a
# list: its line differs for the convolutions' (and unpooling's output) SymInt[] and the pools' int[].
@pytest.mark.parametrize("call", [
    "F.conv2d(x, lib.ones(1, 2, 1, 1), stride=a)", "F.conv1d(x[0], lib.ones(1, 4, 1), padding=a)",
    "F.conv_transpose2d(x, lib.ones(2, 1, 1, 1), output_padding=a)", "F.conv3d(x[None], lib.ones(1, 1, 1, 1, 1), None, 1, 0, a)",
    "F.conv2d(x, lib.ones(1, 2, 1, 1), None, 1, a)", "lib.conv_transpose1d(x[0], lib.ones(2, 1, 1), None, a)",
    "F.max_pool2d(x, 2, a)", "F.max_pool2d(x, a, return_indices=True)", "F.max_pool1d(x[0], 2, 2, 0, a)",
    "F.avg_pool2d(x, 2, 2, a)", "F.avg_pool1d(x[0], a)", "F.avg_pool3d(x[None], a)", "F.max_pool3d(x, 2, 1, a)",
    "F.lp_pool1d(x[0], 2, a)", "F.lp_pool2d(x, 2, 2, a)", "F.fractional_max_pool2d(x, a, output_size=2)",
    "F.adaptive_avg_pool1d(x[0], a)", "F.adaptive_avg_pool3d(x[None], a)", "F.adaptive_max_pool3d(x[None], a)",
    "F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2, output_size=a)",
    "F.max_unpool3d(*F.max_pool3d(x[None], 2, return_indices=True), a)",
    "lib.max_pool2d(x, 2, a)", "lib.max_pool1d_with_indices(x[0], a)", "lib.avg_pool1d(x[0], a)",
    "nn.MaxPool2d(a)(x)", "nn.AvgPool2d(2, a)(x)",
    "F.max_pool2d(x, 2, np.array(2.0))", "F.conv2d(x, lib.ones(1, 2, 1, 1), stride=np.array([2, 2]))",
    "nn.Conv2d(2, 2, 1, stride=a)(x)", "F.max_pool2d(x, 2, np.int64(2))",
])
def test_zero_dim_numpy_array_for_an_int_list(call):
    values = random_array((1, 2, 4, 4), np.float32)
    same_in_both(lambda lib: eval(call, {"lib": lib, "F": lib.nn.functional, "nn": lib.nn, "np": np,
                                         "x": lib.tensor(values), "a": np.array(2)}))


def test_zero_dim_numpy_array_for_a_stride_without_torch():
    import torchless.nn.functional as F
    with pytest.raises(RuntimeError, match=r'python_arg_parser\.h":573, .* expected tuple or list'):
        F.conv2d(torchless.ones(1, 1, 3, 3), torchless.ones(1, 1, 1, 1), stride=np.array(2))
    with pytest.raises(RuntimeError, match=r'python_arg_parser\.h":658, .* expected tuple or list'):
        F.max_pool2d(torchless.ones(1, 1, 3, 3), 2, np.array(2))
    assert tuple(F.max_pool2d(torchless.ones(1, 1, 4, 4), 2, np.int64(2)).shape) == (1, 1, 2, 2)
