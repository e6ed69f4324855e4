"""Pooling and unpooling on cases earlier sessions missed (session 30), each run on torch and on torchless from the
same arrays: shapes, strides, values (float32 precision, NaN and inf where they fall), gradients, or the exception's
type and message (torchless's names read as torch's)."""
import numpy as np
import pytest

import torchless
from helpers import recorded_tensors

torch = pytest.importorskip("torch")


def same_in_both(make):
    expected, got = recorded_tensors(torch, make), recorded_tensors(torchless, make)
    assert got == expected
    return expected


@pytest.fixture
def torch_on_one_thread():
    """PyTorch's unpooling kernel splits its loop between threads, each of which may report the invalid index it
    met last: on one thread that is the last in the kernel's order (which torchless reports)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ---------------------------------------------------------------- max unpooling of a channels-last input
# PyTorch's 2-D unpooling runs its channels-last kernel for an input suggesting that format: its dtype error names
# that kernel, and it reads the indices pixel by pixel (N, H, W, C), so reports the last invalid one in that order.


def test_unpool2d_of_a_channels_last_integer_input_names_the_channels_last_kernel():
    values = np.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2)
    same_in_both(lambda lib: lib.nn.functional.max_unpool2d(
        lib.tensor(values).contiguous(memory_format=lib.channels_last), lib.zeros(2, 3, 2, 2, dtype=lib.int64), 2))


@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_unpool2d_reports_the_last_invalid_index_in_the_kernel_order(layout, torch_on_one_thread):
    indices = np.zeros((1, 2, 3, 2), np.int64)
    indices[0, 0, 2, 1] = 40  # last in (N, C, H, W) order
    indices[0, 1, 0, 0] = 41
    indices[0, 1, 1, 0] = 42  # last in (N, H, W, C) order
    expected = 40 if layout == "channels_last" else 42

    def make(lib):
        x = lib.ones(1, 2, 3, 2)
        if layout == "channels_last":
            x = x.contiguous(memory_format=lib.channels_last)
        return lib.nn.functional.max_unpool2d(x, lib.tensor(indices), 2)
    error = same_in_both(make)
    assert error[1].startswith(f"Found an invalid max index: {expected} ")


# ---------------------------------------------------------------- average pooling's double backward, laid out
# The derivative of PyTorch's avg_pool2d_backward (adaptive_avg_pool2d_backward) in the output's gradient is
# avg_pool2d (adaptive_avg_pool2d) of the input gradient's gradient: channels-last for a channels-last one, as those
# kernels lay out their output (in 3-D, C-contiguous).

AVERAGE_POOLINGS = {
    "avg_pool1d": lambda F, x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    "avg_pool2d": lambda F, x: F.avg_pool2d(x, (3, 2), (2, 1), 1, ceil_mode=True, count_include_pad=False),
    "avg_pool2d_divisor": lambda F, x: F.avg_pool2d(x, 2, 1, 1, divisor_override=3),
    "avg_pool3d": lambda F, x: F.avg_pool3d(x, 2, 1, 1, count_include_pad=False),
    "adaptive_avg_pool1d": lambda F, x: F.adaptive_avg_pool1d(x, 4),
    "adaptive_avg_pool2d": lambda F, x: F.adaptive_avg_pool2d(x, (4, 3)),
    "adaptive_avg_pool3d": lambda F, x: F.adaptive_avg_pool3d(x, (2, 3, 2)),
}


def _in_layout(lib, x, layout):
    if layout == "transposed":
        return x.transpose(-1, -2).contiguous().transpose(-1, -2)
    if layout == "channels_last":
        return x.contiguous(memory_format=lib.channels_last if x.dim() == 4 else lib.channels_last_3d)
    return x


@pytest.mark.parametrize("pooling", AVERAGE_POOLINGS)
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "channels_last"])
def test_average_pooling_double_backward_values_and_layout(pooling, layout):
    spatial = 3 if pooling.endswith("3d") else 2 if pooling.endswith("2d") or pooling == "avg_pool2d_divisor" else 1
    if layout == "channels_last" and spatial == 1:
        pytest.skip("no channels-last format for a 3-D tensor")
    rng = np.random.default_rng(0)
    values = rng.standard_normal((2, 3) + (5, 6, 7)[-spatial:])
    weights = rng.standard_normal(values.shape)

    def make(lib):
        x = _in_layout(lib, lib.tensor(values), layout).requires_grad_()
        y = AVERAGE_POOLINGS[pooling](lib.nn.functional, x)
        g = lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)), requires_grad=True)
        gx, = lib.autograd.grad(y, x, g, create_graph=True)
        gg, = lib.autograd.grad((gx * _in_layout(lib, lib.tensor(weights), layout) * gx.detach().sin()).sum(), g,
                                create_graph=True)
        ggg, = lib.autograd.grad((gg * gg).sum(), g)  # the pooling's own gradient, recorded again
        return gx, gg, ggg
    same_in_both(make)


# ---------------------------------------------------------------- max pooling windows wholly in the padding
# With dilation a window can lie wholly in the padding: PyTorch reports an index past it (its first tap past the
# padding) and its backward kernel writes that window's gradient past the plane (memory it does not own), so
# torchless drops it; under create_graph=True too, where it raised NumPy's IndexError.


@pytest.mark.parametrize("create_graph", [False, True])
def test_max_pool1d_gradient_of_windows_wholly_in_the_padding_is_dropped(create_graph):
    values = np.array([[0.5], [-2.0], [3.0]])
    pooled, indices = torch.nn.functional.max_pool1d(torch.tensor(values), 3, None, 1, 2, True, return_indices=True)
    x = torchless.tensor(values, requires_grad=True)
    y, got_indices = torchless.nn.functional.max_pool1d(x, 3, None, 1, 2, True, return_indices=True)
    assert got_indices.tolist() == indices.tolist() == [[1], [1], [1]]  # past each one-cell plane
    assert y.tolist() == pooled.tolist()
    gradient, = torchless.autograd.grad(y, x, torchless.ones_like(y), create_graph=create_graph)
    assert gradient.tolist() == [[0.0], [0.0], [0.0]]


def test_max_pool3d_double_backward_with_windows_wholly_in_the_padding_matches_backward():
    # depth 1, kernel 2, padding 1, dilation 2: every window's depth taps are padding; its index lands in the plane
    values = np.random.default_rng(5).standard_normal((1, 4, 6, 1))
    x = torchless.tensor(values, requires_grad=True)
    y = torchless.nn.functional.max_pool3d(x, 2, None, 1, 2, True)
    g = torchless.ones_like(y, requires_grad=True)
    plain, = torchless.autograd.grad(y, x, g, retain_graph=True)
    recorded, = torchless.autograd.grad(y, x, g, create_graph=True)
    np.testing.assert_array_equal(recorded.detach().numpy(), plain.numpy())
    second, = torchless.autograd.grad(recorded.sum(), g)
    indices = torchless.nn.functional.max_pool3d(x, 2, None, 1, 2, True, return_indices=True)[1].numpy()
    # the linear map's adjoint: 1 where a window's index lies in the plane (4 * 6 * 1 cells), else 0
    np.testing.assert_array_equal(second.numpy(), (indices < 24).astype(np.float64))


# ---------------------------------------------------------------- max pooling's gradient, bit for bit
# Where windows overlap, a cell wins several of them: PyTorch's backward adds their gradients to it in window order
# (row-major), rounding each sum to the dtype; torchless adds them in that order too, so float16 and float32
# gradients have the same bits.


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("kernel, stride, padding, dilation, ceil_mode",
                         [(3, 1, 1, 1, False), (3, 2, 1, 1, True), (4, 2, 1, 2, True), ((2, 3), (1, 2), 0, (2, 1), False)])
@pytest.mark.parametrize("channels_last", [False, True])
def test_max_pool2d_gradient_sums_overlapping_windows_in_window_order(dtype, kernel, stride, padding, dilation,
                                                                        ceil_mode, channels_last):
    rng = np.random.default_rng(7)
    values = np.round(rng.standard_normal((2, 3, 9, 11)), 1).astype(dtype)  # ties: one cell wins many windows
    gradients = {}
    for lib in (torch, torchless):
        x = lib.tensor(values)
        if channels_last:
            x = x.contiguous(memory_format=lib.channels_last)
        x.requires_grad_()
        y = lib.nn.functional.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
        g = np.random.default_rng(8).standard_normal(tuple(y.shape)).astype(dtype) * 10
        y.backward(lib.tensor(g))
        gradients[lib.__name__] = (x.grad.stride(), x.grad.numpy())
    (expected_strides, expected), (got_strides, got) = gradients["torch"], gradients["torchless"]
    assert got_strides == expected_strides
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_max_pool1d_gradient_sums_overlapping_windows_in_window_order(dtype):
    values = np.round(np.random.default_rng(9).standard_normal((3, 4, 40)), 1).astype(dtype)
    gradients = []
    for lib in (torch, torchless):
        x = lib.tensor(values, requires_grad=True)
        y = lib.nn.functional.max_pool1d(x, 5, 1, 2)
        y.backward(lib.tensor(np.random.default_rng(10).standard_normal(tuple(y.shape)).astype(dtype) * 10))
        gradients.append(x.grad.numpy())
    np.testing.assert_array_equal(gradients[1], gradients[0])


# Where windows overlap along one axis only, the separable kernels of average pooling's backward and of 3-D max
# pooling's sum a cell's windows in window order too: the same bits as PyTorch.
ONE_AXIS_OVERLAPS = {
    "avg_pool1d": ((2, 3, 30), lambda F, x: F.avg_pool1d(x, 4, 1, 2, True, False)),
    "avg_pool2d_w": ((2, 3, 8, 8), lambda F, x: F.avg_pool2d(x, (2, 3), (2, 1), (0, 1))),
    "avg_pool2d_h": ((2, 3, 8, 8), lambda F, x: F.avg_pool2d(x, (3, 2), (1, 2), (1, 0), divisor_override=3)),
    "avg_pool3d_d": ((2, 3, 6, 8, 8), lambda F, x: F.avg_pool3d(x, (3, 2, 2), (1, 2, 2), (1, 0, 0))),
    "max_pool3d_d": ((2, 3, 6, 8, 8), lambda F, x: F.max_pool3d(x, (3, 2, 2), (1, 2, 2), (1, 0, 0))),
    "max_pool3d_h": ((2, 3, 6, 8, 8), lambda F, x: F.max_pool3d(x, (2, 3, 2), (2, 1, 2), (0, 1, 0))),
}


@pytest.mark.parametrize("pooling", ONE_AXIS_OVERLAPS)
@pytest.mark.parametrize("channels_last", [False, True])
def test_separable_pooling_gradients_sum_overlapping_windows_in_window_order(pooling, channels_last):
    shape, pool = ONE_AXIS_OVERLAPS[pooling]
    if channels_last and len(shape) == 3:
        pytest.skip("no channels-last format for a 3-D tensor")
    values = np.round(np.random.default_rng(11).standard_normal(shape), 1).astype(np.float32)
    gradients = []
    for lib in (torch, torchless):
        x = lib.tensor(values)
        if channels_last:
            x = x.contiguous(memory_format=lib.channels_last if len(shape) == 4 else lib.channels_last_3d)
        x.requires_grad_()
        y = pool(lib.nn.functional, x)
        y.backward(lib.tensor(np.random.default_rng(12).standard_normal(tuple(y.shape)).astype(np.float32) * 10))
        gradients.append(x.grad.numpy())
    np.testing.assert_array_equal(gradients[1], gradients[0])


# ---------------------------------------------------------------- adaptive average pooling's divisions
# PyTorch divides a window's sum (its forward) or its gradient (its backward) by the window's extent along each axis
# in turn, sum / kd / kh / kw, which rounds differently from one division by their product: on sums without
# rounding (integer values) its results have the same bits.


@pytest.mark.parametrize("shape, output_size", [((2, 3, 9, 11), (4, 5)), ((2, 3, 16, 16), (5, 7)),
                                                ((2, 3, 6, 7, 8), (4, 5, 3)), ((2, 3, 8, 12), (4, 3)),
                                                ((2, 3, 6, 9, 12), (3, 3, 4))])
@pytest.mark.parametrize("channels_last", [False, True])
def test_adaptive_avg_pool_divides_by_each_extent_in_turn(shape, output_size, channels_last):
    values = np.round(np.random.default_rng(13).standard_normal(shape) * 8).astype(np.float32)
    outputs = []
    for lib in (torch, torchless):
        x = lib.tensor(values)
        if channels_last:
            x = x.contiguous(memory_format=lib.channels_last if len(shape) == 4 else lib.channels_last_3d)
        pool = lib.nn.functional.adaptive_avg_pool2d if len(shape) == 4 else lib.nn.functional.adaptive_avg_pool3d
        outputs.append(pool(x, output_size).numpy())
    np.testing.assert_array_equal(outputs[1], outputs[0])


@pytest.mark.parametrize("shape, output_size", [((2, 3, 9, 8), (4, 4)), ((2, 3, 7, 11), (7, 4)),
                                                ((2, 3, 4, 6, 10), (4, 3, 3))])
def test_adaptive_avg_pool_gradient_divides_by_each_extent_in_turn(shape, output_size):
    # windows overlapping along one axis at most: PyTorch's order of additions is then the window order torchless sums in
    gradients = []
    for lib in (torch, torchless):
        x = lib.zeros(shape, requires_grad=True)
        pool = lib.nn.functional.adaptive_avg_pool2d if len(shape) == 4 else lib.nn.functional.adaptive_avg_pool3d
        y = pool(x, output_size)
        y.backward(lib.tensor(np.round(np.random.default_rng(14).standard_normal(tuple(y.shape)) * 8).astype(np.float32)))
        gradients.append(x.grad.numpy())
    np.testing.assert_array_equal(gradients[1], gradients[0])


# ---------------------------------------------------------------- fractional max pooling's own samples
# Without _random_samples, both draw them with rand from the default generator: after the same manual_seed, the same
# windows.


@pytest.mark.parametrize("spatial, shape", [(2, (2, 3, 11, 9)), (2, (3, 10, 10)), (3, (2, 2, 7, 8, 9)),
                                            (3, (2, 6, 7, 8))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("as_module", [False, True])
def test_fractional_max_pool_draws_the_samples_torch_draws(spatial, shape, dtype, as_module):
    values = np.random.default_rng(15).standard_normal(shape).astype(dtype)

    def make(lib):
        lib.manual_seed(1234)
        if as_module:
            pool = getattr(lib.nn, f"FractionalMaxPool{spatial}d")(2, output_ratio=0.6, return_indices=True)
            first = pool(lib.tensor(values))
        else:
            first = getattr(lib.nn.functional, f"fractional_max_pool{spatial}d")(lib.tensor(values), (2,) * spatial,
                                                                                  output_size=4, return_indices=True)
        return first + (lib.rand(2),)  # (the generator's state after the draw)
    same_in_both(make)


# ---------------------------------------------------------------- adaptive max pooling's recorded gradient
# PyTorch's adaptive_max_pool2d_backward refuses an empty output plane under create_graph=True too (fractional max
# pooling's backward has no such check).


@pytest.mark.parametrize("pooling, shape, output_size", [
    ("adaptive_max_pool1d", (2, 3, 7), 0), ("adaptive_max_pool2d", (2, 3, 7, 8), (0, 4)),
    ("adaptive_max_pool3d", (1, 2, 4, 5, 4), (2, 0, 2)), ("fractional_max_pool2d", (2, 3, 7, 8), (0, 3))])
def test_recorded_gradient_of_an_empty_output_plane(pooling, shape, output_size):
    def make(lib):
        x = lib.zeros(shape, dtype=lib.float64, requires_grad=True)
        if pooling.startswith("fractional"):
            y = lib.nn.functional.fractional_max_pool2d(x, 2, output_size=output_size,
                                                        _random_samples=lib.full((2, 3, 2), 0.3, dtype=lib.float64))
        else:
            y = getattr(lib.nn.functional, pooling)(x, output_size)
        g = lib.ones(y.shape, dtype=lib.float64, requires_grad=True)
        gx, = lib.autograd.grad(y, x, g, create_graph=True)
        return gx, lib.autograd.grad(gx.sum(), g)[0]
    same_in_both(make)


# ---------------------------------------------------------------- a 1-D pooling's input changed in place
# PyTorch's 1-D pooling saves its input as the 2-D pooling it runs sees it, unsqueezed to (..., 1, L): the error of an
# in-place change before backward describes that view (AsStrided once its base changed).


@pytest.mark.parametrize("pooling", ["max_pool1d", "max_pool1d_indices", "avg_pool1d", "adaptive_avg_pool1d",
                                     "adaptive_max_pool1d"])
@pytest.mark.parametrize("source", ["product", "slice", "transpose"])
def test_in_place_change_of_a_1d_pooling_input_is_described_unsqueezed(pooling, source):
    values = np.random.default_rng(16).standard_normal((3, 6, 6))

    def make(lib):
        leaf = lib.tensor(values, requires_grad=True)
        x = {"product": lambda: leaf * 2, "slice": lambda: (leaf * 2)[1:],
             "transpose": lambda: (leaf * 2).transpose(1, 2)}[source]()
        F = lib.nn.functional
        y = {"max_pool1d": lambda: F.max_pool1d(x, 2), "avg_pool1d": lambda: F.avg_pool1d(x, 3, 1, 1),
             "max_pool1d_indices": lambda: F.max_pool1d(x, 3, 2, 1, return_indices=True)[0],
             "adaptive_avg_pool1d": lambda: F.adaptive_avg_pool1d(x, 4),
             "adaptive_max_pool1d": lambda: F.adaptive_max_pool1d(x, 4)}[pooling]()
        x.add_(1)
        y.sum().backward()
        return leaf.grad
    error = same_in_both(make)
    assert error[0] == "RuntimeError" and ", 1, 6]], which is output 0 of AsStrided," in error[1]
