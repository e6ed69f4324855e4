"""Pooling, resampling and the other spatial layers on cases earlier sessions missed (session 22), each run on torch
and on torchless from the same arrays: shapes, dtypes, strides, values (float32 precision), gradients, or the
exception's type and message (torchless's names read as torch's)."""
import numpy as np
import pytest

import torchless
from helpers import outcome_named_as_torch

torch = pytest.importorskip("torch")


def layout(lib, make):
    """``make(lib)``'s tensors as (shape, strides, values rounded to float32 precision), or the exception."""
    try:
        result = make(lib)
    except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
        return type(error).__name__, str(error).replace("torchless", "torch")
    results = result if isinstance(result, tuple) else (result,)
    return [(tuple(t.shape), t.stride(), np.round(t.detach().numpy().astype(np.float64), 5).tolist())
            for t in results]


def same_layout_in_both(make):
    expected, got = layout(torch, make), layout(torchless, make)
    assert got == expected
    return expected


def input_gradient(pool, shape, seed=0):
    """``make(lib)`` for same_layout_in_both: the gradient that a random output gradient gives a random input of
    ``shape`` through ``pool(lib, input)``."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape).astype(np.float32)

    def make(lib):
        x = lib.tensor(values, requires_grad=True)
        y = pool(lib, x)
        y.backward(lib.tensor(np.random.default_rng(seed + 1).standard_normal(tuple(y.shape)).astype(np.float32)))
        return x.grad
    return make


# ---------------------------------------------------------------- strides of size-1 dims and of empty results
# NumPy's C flag overlooks the strides of size-1 dims (and gives empty arrays all-zero ones); PyTorch's stride()
# shows C order's strides for them.


@pytest.mark.parametrize("shape, output_size", [((1, 1, 10, 1), 11), ((1, 1, 4, 6), (10, 4)), ((1, 1, 7, 10), (None, 6)),
                                                ((1, 3, 5), (4, 2)), ((2, 1, 3, 4), 5)])
@pytest.mark.parametrize("return_indices", [False, True])
def test_adaptive_max_pool2d_output_strides_on_size_one_dims(shape, output_size, return_indices):
    values = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    same_layout_in_both(lambda lib: lib.nn.functional.adaptive_max_pool2d(lib.tensor(values), output_size,
                                                                           return_indices=return_indices))


@pytest.mark.parametrize("spatial, shape, output_size", [(2, (2, 1, 1, 1), (1, 6)), (2, (1, 1, 3, 1), (4, 2)),
                                                         (3, (1, 1, 6, 3, 1), (9, 3, 2)), (1, (1, 1, 4), 7)])
def test_adaptive_avg_pool_gradient_strides_on_size_one_dims(spatial, shape, output_size):
    pool = lambda lib, x: getattr(lib.nn.functional, f"adaptive_avg_pool{spatial}d")(x, output_size)
    same_layout_in_both(input_gradient(pool, shape))


def test_area_interpolation_gradient_strides_on_size_one_dims():
    pool = lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=(1.5, 1.0, 2.5), mode="area")
    same_layout_in_both(input_gradient(pool, (1, 1, 6, 3, 1)))


@pytest.mark.parametrize("shape", [(0, 5, 4, 1), (0, 5, 4, 3), (0, 2, 6, 6)])
@pytest.mark.parametrize("kernel_size, ceil_mode", [(1, False), (1, True), (2, False), ((2, 1), True)])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_max_pool2d_of_an_empty_batch_has_c_strides(shape, kernel_size, ceil_mode, requires_grad):
    # (the path of windows tiling the input reshaped the empty input: all-zero strides)
    same_layout_in_both(lambda lib: lib.nn.functional.max_pool2d(
        lib.zeros(shape, requires_grad=requires_grad), kernel_size, ceil_mode=ceil_mode))


# ---------------------------------------------------------------- what grid_sample's node shows as saved


def saved_record(lib, make):
    """The ``_saved_*`` attributes of the node of ``make(lib)``'s output: names, and the tensors' shapes and values
    or the other values' reprs."""
    node = make(lib).grad_fn
    names = sorted(name for name in dir(node) if name.startswith("_saved_"))
    record = []
    for name in names:
        value = getattr(node, name)
        if hasattr(value, "detach"):
            value = (tuple(value.shape), np.round(value.detach().numpy(), 5).tolist())
        else:
            value = (type(value).__name__, repr(value))
        record.append((name, value))
    return node.name(), record


@pytest.mark.parametrize("volume, mode", [(False, "bilinear"), (False, "nearest"), (False, "bicubic"),
                                          (True, "bilinear"), (True, "nearest")])  # (no bicubic for volumes)
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_node_shows_its_saved_values(volume, mode, padding_mode, align_corners):
    rng = np.random.default_rng(0)
    spatial = (3, 4, 2) if volume else (4, 5)
    values, points = rng.standard_normal((1, 2) + spatial), rng.uniform(-1.2, 1.2, (1, 2, 3) + (1,) * volume +
                                                                               (len(spatial),))

    def make(lib):
        return lib.nn.functional.grid_sample(lib.tensor(values, requires_grad=True), lib.tensor(points), mode=mode,
                                             padding_mode=padding_mode, align_corners=align_corners)
    assert saved_record(torchless, make) == saved_record(torch, make)


@pytest.mark.parametrize("input_requires_grad", [False, True])
def test_grid_sample_saved_tensors_are_its_inputs_until_backward(input_requires_grad):
    def scenario(lib):
        x = lib.ones(1, 1, 3, 3, requires_grad=input_requires_grad)
        grid = lib.zeros(1, 2, 2, 2, requires_grad=True)
        out = lib.nn.functional.grid_sample(x, grid * 1, align_corners=False)
        node = out.grad_fn
        before = (node._saved_input is x, node._saved_grid is grid, node._saved_grid.grad_fn.name())
        out.sum().backward()
        try:
            node._saved_input
        except RuntimeError as error:  # freed by backward
            return before, str(error)
        return before, None
    expected = scenario(torch)
    assert scenario(torchless) == expected
    assert expected[1] is not None


# ---------------------------------------------------------------- a 1-D pooling's saved tensors, as the 2-D kernel's
# PyTorch pools 1-D inputs as (..., 1, L) through the 2-D kernel: its node saves the input's unsqueeze(-2) and, for
# max pooling, the 2-D kernel's indices, whose strides follow the input's layout (channels-last when the channels
# have stride 1).

ONE_D_LAYOUTS = {
    "contiguous": lambda lib, values: lib.tensor(values, requires_grad=True),
    "channels stride 1": lambda lib, values: lib.tensor(values.transpose(0, 2, 1).copy(),
                                                        requires_grad=True).transpose(1, 2),
    "batch of one, channels stride 1": lambda lib, values: lib.tensor(values[:1].transpose(0, 2, 1).copy(),
                                                                      requires_grad=True).transpose(1, 2),
    "batch of one": lambda lib, values: lib.tensor(values[:1], requires_grad=True),
    "unbatched": lambda lib, values: lib.tensor(values[0], requires_grad=True),
    "every other step": lambda lib, values: lib.tensor(values, requires_grad=True)[..., ::2],
}
ONE_D_POOLS = {
    "max_pool1d": lambda lib, x: lib.nn.functional.max_pool1d(x, 2, 1, return_indices=True)[0],
    "max_pool1d padded": lambda lib, x: lib.nn.functional.max_pool1d(x, 3, 2, 1, return_indices=True)[0],
    "adaptive_max_pool1d": lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x, 2),
    "avg_pool1d": lambda lib, x: lib.nn.functional.avg_pool1d(x, 2, 1),
    "adaptive_avg_pool1d": lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x, 2),
}


@pytest.mark.parametrize("layout", list(ONE_D_LAYOUTS))
@pytest.mark.parametrize("pool", list(ONE_D_POOLS))
def test_one_d_pooling_saved_tensor_strides(layout, pool):
    values = np.random.default_rng(0).standard_normal((2, 5, 6))

    def strides(lib):
        out = ONE_D_POOLS[pool](lib, ONE_D_LAYOUTS[layout](lib, values))
        node = out.grad_fn.next_functions[0][0]  # the 2-D pooling under the squeeze
        saved = {name: getattr(node, name) for name in ("_saved_self", "_saved_result1") if hasattr(node, name)}
        return node.name(), {name: (tuple(t.shape), t.stride(), t.tolist()) for name, t in saved.items()}
    assert strides(torchless) == strides(torch)


CHANNELS_LAST_POOLS = {
    "max_pool2d": lambda lib, x: lib.nn.functional.max_pool2d(x, 2, 1, 1, return_indices=True)[0],
    "max_pool2d without indices": lambda lib, x: lib.nn.functional.max_pool2d(x, 3, 2, ceil_mode=True),
    "adaptive_max_pool2d": lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, (2, 3)),
    "max_pool3d": lambda lib, x: lib.nn.functional.max_pool3d(x, 2, 1, 1),
    "adaptive_max_pool3d": lambda lib, x: lib.nn.functional.adaptive_max_pool3d(x, (2, 1, 3)),
}


@pytest.mark.parametrize("pool", list(CHANNELS_LAST_POOLS))
@pytest.mark.parametrize("batch", [1, 2])
def test_max_pooling_saves_channels_last_indices_of_a_channels_last_input(pool, batch):
    # (the node saved the indices C-ordered while returning them channels-last)
    volume = "3d" in pool
    values = np.random.default_rng(0).standard_normal((batch, 3, 5, 4) + (3,) * volume)

    def saved(lib):
        x = lib.tensor(values, requires_grad=True)
        x = x.contiguous(memory_format=lib.channels_last_3d if volume else lib.channels_last)
        node = CHANNELS_LAST_POOLS[pool](lib, x).grad_fn
        return node.name(), [(t.stride(), t.tolist()) for t in (node._saved_result1, node._saved_self)]
    assert saved(torchless) == saved(torch)


@pytest.mark.parametrize("layout", list(ONE_D_LAYOUTS))
def test_adaptive_avg_pool1d_to_one_cell_keeps_the_channels_last_format(layout):
    # PyTorch pools (..., 1, L) to one cell as a mean laid out (as_strided_) channels-last when the unsqueezed input
    # suggests it; the 1-D shortcut skipped that step
    values = np.random.default_rng(0).standard_normal((2, 5, 6))

    def record(lib):
        out = lib.nn.functional.adaptive_avg_pool1d(ONE_D_LAYOUTS[layout](lib, values), 1)
        names, node = [], out.grad_fn
        while node is not None and "AccumulateGrad" not in node.name():
            names.append(node.name())
            node = node.next_functions[0][0]
        return out.stride(), np.round(out.detach().numpy(), 6).tolist(), names
    assert record(torchless) == record(torch)


@pytest.mark.parametrize("spatial", [2, 3])
@pytest.mark.parametrize("input_format", ["channels_last", "channels_last_3d"])
def test_adaptive_avg_pool_to_one_cell_checks_only_its_own_channels_last_format(spatial, input_format):
    # PyTorch lays the mean out channels-last only for the format of its own rank: a channels_last 4-D input of
    # adaptive_avg_pool3d (unbatched) and a channels_last_3d input of adaptive_avg_pool2d keep the mean's C order
    rank = 4 if input_format == "channels_last" else 5
    values = np.random.default_rng(0).standard_normal((2, 3, 4, 5, 2)[:rank])

    def record(lib):
        x = lib.tensor(values).contiguous(memory_format=getattr(lib, input_format)).requires_grad_()
        out = getattr(lib.nn.functional, f"adaptive_avg_pool{spatial}d")(x, 1)
        out.backward(lib.ones_like(out))
        return out.stride(), out.grad_fn.name(), np.round(out.detach().numpy(), 6).tolist(), x.grad.stride()
    assert record(torchless) == record(torch)


# ---------------------------------------------------------------- F's private helpers of max unpooling


@pytest.mark.parametrize("kernel_size, stride, padding, output_size", [
    ((2, 2), (2, 2), (0, 0), None), ((2, 2), (2, 2), (1, 1), None), ((2, 2), (2, 2), (0, 0), (7, 8)),
    ((2, 2), (2, 2), (0, 0), [1, 2, 7, 8]), ((3, 3), (1, 1), (0, 0), (4,)), ((2, 2), (2, 2), (0, 0), (10, 8)),
    ((5, 5), (1, 1), (0, 0), (8, 9)), ((3, 3), (3, 3), (2, 2), None)])
def test_unpool_output_size(kernel_size, stride, padding, output_size):
    def scenario(lib):
        return outcome_named_as_torch(lambda: lib.nn.functional._unpool_output_size(lib.zeros(1, 1, 4, 4), kernel_size, stride,
                                                                         padding, output_size))
    assert scenario(torchless) == scenario(torch)


@pytest.mark.parametrize("output_size, dim", [([3, -1], 1), ([3, -1], 0), ([0], 0), ([np.int64(2)], 0)])
def test_check_unpool_output_size(output_size, dim):
    def scenario(lib):
        return outcome_named_as_torch(lambda: lib.nn.functional._check_unpool_output_size(output_size, dim))
    assert scenario(torchless) == scenario(torch)


# ---------------------------------------------------------------- float16 grid_sample of images


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_half_grid_sample_of_images_computes_in_half(mode, padding_mode, align_corners):
    # PyTorch's 2-D kernel rounds every step to float16 (as its 3-D one): positions and weights computed in float32
    # picked other nearest pixels and gave other sums; bicubic sums row by row, then the rows
    rng = np.random.default_rng(31)  # (points near half-pixel boundaries for every padding mode)
    values = rng.standard_normal((2, 3, 5, 6)).astype(np.float16)
    points = rng.uniform(-1.2, 1.2, (2, 4, 7, 2)).astype(np.float16)
    out_grad = rng.standard_normal((2, 3, 4, 7)).astype(np.float16)

    def sampled(lib):
        x, grid = lib.tensor(values, requires_grad=True), lib.tensor(points, requires_grad=True)
        out = lib.nn.functional.grid_sample(x, grid, mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        out.backward(lib.tensor(out_grad))
        return out.detach().numpy(), x.grad.numpy(), grid.grad.numpy()
    (out, input_grad, grid_grad), expected = sampled(torchless), sampled(torch)
    np.testing.assert_array_equal(out, expected[0])
    # (the gradients add in float16 in an order of PyTorch's kernel's own: a few last bits of their largest terms
    # apart)
    for got, want in ((input_grad, expected[1]), (grid_grad, expected[2])):
        np.testing.assert_allclose(got, want, rtol=1e-2, atol=2e-3 * np.abs(want.astype(np.float32)).max())


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_half_nearest_grid_sample_input_gradient_adds_in_half(padding_mode, align_corners):
    # PyTorch adds each point's gradient into the float16 input gradient point after point, rounding every sum
    # (torchless summed in float64, then rounded once)
    rng = np.random.default_rng(3)
    values = rng.standard_normal((2, 2, 3, 4)).astype(np.float16)
    points = rng.uniform(-1.2, 1.2, (2, 6, 9, 2)).astype(np.float16)  # many points per pixel
    out_grad = rng.standard_normal((2, 2, 6, 9)).astype(np.float16)

    def input_grad(lib):
        x = lib.tensor(values, requires_grad=True)
        lib.nn.functional.grid_sample(x, lib.tensor(points), mode="nearest", padding_mode=padding_mode,
                                      align_corners=align_corners).backward(lib.tensor(out_grad))
        return x.grad.numpy()
    np.testing.assert_array_equal(input_grad(torchless), input_grad(torch))
