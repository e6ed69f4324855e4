"""Last-bit gaps earlier sessions left (session 31), each run on torch and on torchless from the same arrays and
compared bit for bit: PyTorch's order of additions in its kernels, its moments, its rounding."""
import itertools

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def bits(tensor):
    """The tensor's values as a NumPy array (float16 and bfloat16 widened exactly to float32)."""
    tensor = tensor.detach()
    if str(tensor.dtype).endswith(("float16", "bfloat16")):
        tensor = tensor.float()
    return tensor.numpy()


def assert_same_bits(make):
    """``make(lib)``'s tensors from torch and from torchless: the same dtypes, shapes and bits (NaNs alike)."""
    expected, got = make(torch), make(torchless)
    expected, got = (expected, got) if isinstance(expected, tuple) else ((expected,), (got,))
    assert len(got) == len(expected)
    for want, have in zip(expected, got):
        assert str(have.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        np.testing.assert_array_equal(bits(have), bits(want), strict=True)


def random_array(shape, seed=0, dtype=np.float32, loc=0.0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale + loc).astype(dtype)


# ---------------------------------------------------------------- avg_pool2d: a window summed row by row
# PyTorch's kernels (NCHW and channels-last) sum each window tap after tap, row by row, and its backward adds each
# window's share into the input's gradient window after window: where the kernel is 2-D the float32 bits depend on
# that order (a separable sum, rows then columns, differs in the last bit).

POOLINGS = [(3, 2, 0), (3, 1, 1), (3, 2, 1), (2, 1, 0), (3, 3, 0), (2, 2, 0), ((3, 2), (2, 1), (1, 0)),
            ((2, 4), (1, 3), (1, 2))]


@pytest.mark.parametrize("kernel, stride, padding", POOLINGS)
@pytest.mark.parametrize("ceil_mode, count_include_pad, divisor_override",
                         list(itertools.product([False, True], [True, False], [None, 5])))
@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_avg_pool2d_sums_and_spreads_in_pytorchs_order(kernel, stride, padding, ceil_mode, count_include_pad,
                                                       divisor_override, layout):
    x, gy_seed = random_array((2, 3, 9, 11)), 1

    def make(lib):
        leaf = lib.tensor(x, requires_grad=True)
        inp = leaf.contiguous(memory_format=lib.channels_last) if layout == "channels_last" else leaf
        y = lib.nn.functional.avg_pool2d(inp, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
        y.backward(lib.tensor(random_array(tuple(y.shape), gy_seed)))
        return y, leaf.grad
    assert_same_bits(make)


@pytest.mark.parametrize("dtype", ["float64", "float16"])
@pytest.mark.parametrize("kernel, stride, padding", POOLINGS[:4])
def test_avg_pool2d_in_pytorchs_order_in_other_dtypes(dtype, kernel, stride, padding):
    x = random_array((2, 3, 9, 11))

    def make(lib):
        leaf = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
        y = lib.nn.functional.avg_pool2d(leaf, kernel, stride, padding, True, False)
        y.backward(lib.tensor(random_array(tuple(y.shape), 1), dtype=getattr(lib, dtype)))
        return y, leaf.grad
    assert_same_bits(make)


@pytest.mark.parametrize("kernel, stride, padding",
                         [(3, 2, 0), (3, 1, 1), (2, 2, 0), ((2, 3, 1), (1, 2, 1), (1, 1, 0))])
@pytest.mark.parametrize("ceil_mode, count_include_pad, divisor_override", [(False, True, None), (True, False, None),
                                                                            (True, True, 5)])
@pytest.mark.parametrize("layout", ["contiguous", "channels_last_3d"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_avg_pool3d_sums_and_spreads_in_pytorchs_order(kernel, stride, padding, ceil_mode, count_include_pad,
                                                       divisor_override, layout, dtype):
    x = random_array((2, 3, 5, 9, 8), dtype=dtype)

    def make(lib):
        leaf = lib.tensor(x, requires_grad=True)
        inp = leaf.contiguous(memory_format=lib.channels_last_3d) if layout == "channels_last_3d" else leaf
        y = lib.nn.functional.avg_pool3d(inp, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
        y.backward(lib.tensor(random_array(tuple(y.shape), 1, dtype=dtype)))
        return y, leaf.grad
    assert_same_bits(make)


def test_avg_pool2d_of_a_batch_sized_input_in_pytorchs_order():
    x = random_array((4, 8, 28, 28), seed=2)
    assert_same_bits(lambda lib: lib.nn.functional.avg_pool2d(lib.tensor(x), 3, 2, 1))


# ---------------------------------------------------------------- group_norm of a channels-last input
# PyTorch's channels-last kernel takes each group's moments from its sums of x and x^2 (lane by lane, or split
# between threads past 1024 pixels per plane), whose cancellation shows wherever the mean is large against the
# spread (outputs hundreds off at a mean of 1e3 in float32), then outputs x * scale + shift without weight and bias
# too: where a group's mean lies beyond 4 spreads, its outputs and statistics (native_group_norm's mean and rstd)
# bit for bit.

GROUPINGS = [((2, 8, 5, 7), 2), ((2, 6, 3, 4, 5), 3), ((3, 12, 4, 4), 12), ((2, 40, 6, 5), 2), ((1, 8, 32, 33), 4),
             ((1, 6, 40, 30), 3)]


@pytest.mark.parametrize("shape, groups", GROUPINGS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("loc", [0.0, 3.0, 1e3])
@pytest.mark.parametrize("affine", ["none", "both", "bias"])
def test_group_norm_of_a_channels_last_input_as_its_kernel(shape, groups, dtype, loc, affine):
    x = random_array(shape, seed=3, dtype=dtype, loc=loc, scale=0.5)
    weight, bias = random_array(shape[1], seed=4, dtype=dtype), random_array(shape[1], seed=5, dtype=dtype)

    def make(lib):
        layout = lib.channels_last if len(shape) == 4 else lib.channels_last_3d
        inp = lib.tensor(x).contiguous(memory_format=layout)
        w = lib.tensor(weight) if affine in ("both", "weight") else None
        b = lib.tensor(bias) if affine in ("both", "bias") else None
        y = lib.nn.functional.group_norm(inp, groups, w, b)
        assert y.stride() == inp.stride()
        n, c = shape[:2]
        _, mean, rstd = lib.native_group_norm(inp, w, b, n, c, int(np.prod(shape[2:])), groups, 1e-5)
        return y, mean, rstd
    if loc:
        assert_same_bits(make)
    else:  # no cancellation: torchless keeps its two-pass moments, a last bit away (see group_norm._cancels)
        for have, want in zip(make(torchless), make(torch)):
            np.testing.assert_allclose(have.numpy(), want.numpy(), rtol=1e-5 if dtype == "float32" else 1e-12,
                                       atol=1e-6 if dtype == "float32" else 1e-14)


@pytest.mark.parametrize("loc", [0.0, 30.0])
def test_group_norm_gradients_of_a_channels_last_input(loc):
    x = random_array((2, 6, 5, 4), seed=6, dtype=np.float64, loc=loc)
    gy = random_array((2, 6, 5, 4), seed=7, dtype=np.float64)

    def gradients(lib):
        leaf = lib.tensor(x, requires_grad=True)
        weight = lib.tensor(random_array(6, seed=8, dtype=np.float64), requires_grad=True)
        y = lib.nn.functional.group_norm(leaf.contiguous(memory_format=lib.channels_last), 3, weight)
        y.backward(lib.tensor(gy))
        return leaf.grad.numpy(), weight.grad.numpy()
    for have, want in zip(gradients(torchless), gradients(torch)):
        np.testing.assert_allclose(have, want, rtol=1e-7, atol=1e-9)


# ---------------------------------------------------------------- number / tensor
# PyTorch's Tensor.__rtruediv__ is self.reciprocal() * number: both rounded in the result's dtype, which differs from
# number / x in the last bit for about a third of float32 values.

@pytest.mark.parametrize("number",
                         [3, 0.1, 2.5, -7, 1e-3, 1e30, 1e40, True, np.float64(0.1), np.float32(0.1), np.int64(3)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_number_over_a_tensor_is_its_reciprocal_times_the_number(number, dtype):
    x = random_array((50, 40), seed=9, scale=3.0)
    assert_same_bits(lambda lib: number / lib.tensor(x, dtype=getattr(lib, dtype)))


@pytest.mark.parametrize("make", [
    lambda lib: 3 / lib.arange(0, 5),
    lambda lib: 0.1 / lib.tensor([1, 2, 3], dtype=lib.int32),
    lambda lib: 0.1 / lib.tensor(2.7),
    lambda lib: 3 / lib.tensor([0.0, -0.0, np.inf, np.nan, 1e-40]),
    lambda lib: 0.1 / lib.tensor(random_array((5, 4), seed=10)).t(),
    lambda lib: (1 + 2j) / lib.tensor(random_array((3,), seed=11)),
    lambda lib: 2 / lib.tensor(random_array((3,), seed=12).astype(np.complex64)),
])
def test_number_over_a_tensor_of_other_kinds(make):
    assert_same_bits(make)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_number_over_a_tensor_gradient(dtype):
    x = random_array((6, 5), seed=13, scale=3.0, dtype=dtype)

    def make(lib):
        leaf = lib.tensor(x, requires_grad=True)
        y = 0.3 / leaf
        y.backward(lib.tensor(random_array((6, 5), seed=14, dtype=dtype)))
        assert type(y.grad_fn).__name__ == "MulBackward0"
        return y, leaf.grad
    assert_same_bits(make)


@pytest.mark.parametrize("number", [np.float64(0.1), np.float32(0.1), np.int64(3), np.uint8(7)])
@pytest.mark.parametrize("operation", ["mul", "rmul", "div", "rdiv"])
def test_numpy_scalars_beside_a_half_tensor_are_numbers(number, operation):
    """PyTorch reads NumPy's scalars as numbers: beside a float16 tensor, in float32 (its opmath) and rounded once."""
    x = random_array(200, seed=15, scale=3.0, dtype=np.float16)
    apply = {"mul": lambda t: t * number, "rmul": lambda t: number * t, "div": lambda t: t / number,
             "rdiv": lambda t: number / t}[operation]
    assert_same_bits(lambda lib: apply(lib.tensor(x)))


# ---------------------------------------------------------------- linear under allow_mutation_on_saved_tensors
# PyTorch's linear saves views of its operands (weight.t(), a 1-D or N-D input as rows): changed in place after the
# forward (the input, or the weight by an optimizer step), backward still uses the values saved, inside
# allow_mutation_on_saved_tensors; under plain identity hooks the changed ones; outside any, the change is an error.

def _linear_after_mutation(lib, shape, weight_shape, mutate, context, bias):
    rng = np.random.default_rng(16)
    x, w = rng.standard_normal(shape), rng.standard_normal(weight_shape + shape[-1:])
    leaf_x, leaf_w = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
    b = lib.tensor(rng.standard_normal(3), requires_grad=True) if bias else None
    contexts = {"allow": lib.autograd.graph.allow_mutation_on_saved_tensors,
                "hooks": lambda: lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t)}
    try:
        with contexts[context]():
            x_in, w_in = leaf_x.clone(), leaf_w.clone() if mutate != "leaf weight" else leaf_w
            y = lib.nn.functional.linear(x_in, w_in, b)
            with lib.no_grad():
                if mutate in ("input", "both"):
                    x_in.mul_(2)
                if mutate in ("weight", "both", "leaf weight"):
                    w_in.add_(1)
            y.sum().backward()
    except RuntimeError as error:
        return "RuntimeError", str(error).replace("torchless", "torch")
    return leaf_x.grad.numpy().tolist(), leaf_w.grad.numpy().tolist()


@pytest.mark.parametrize("shape", [(4,), (2, 4), (2, 3, 4), (2, 1, 3, 4)])
@pytest.mark.parametrize("mutate", ["input", "weight", "both", "leaf weight"])
@pytest.mark.parametrize("context, bias", [("allow", True), ("allow", False), ("hooks", False)])
def test_linear_with_its_saved_views_changed_in_place(shape, mutate, context, bias):
    expected = _linear_after_mutation(torch, shape, (3,), mutate, context, bias)
    assert _linear_after_mutation(torchless, shape, (3,), mutate, context, bias) == expected


@pytest.mark.parametrize("shape", [(4,), (2, 3, 4)])
def test_linear_with_a_saved_view_changed_outside_any_context_is_an_error(shape):
    def run(lib):
        leaf_w = lib.tensor(np.ones((3, 4)), requires_grad=True)
        y = lib.nn.functional.linear(lib.tensor(np.ones(shape), requires_grad=True), leaf_w)
        with lib.no_grad():
            leaf_w.add_(1)
        try:
            y.sum().backward()
        except RuntimeError as error:
            return str(error).replace("torchless", "torch")
    message = run(torch)
    assert message is not None and run(torchless) == message


# ---------------------------------------------------------------- float16 layer_norm
# PyTorch's float16 layer norm takes each row's moments by its Welford algorithm on 16-half vectors, each as two
# float vectors (in float32), then x * rstd - mean * rstd and the affine map as fused multiply-adds in float32:
# bit for bit its float16 outputs, at large means too (a half-ulp off before, in hundreds of elements).

@pytest.mark.parametrize("size", [5, 33, 100, 300, 1000])
@pytest.mark.parametrize("loc", [0.0, 10.0, 1e3])
@pytest.mark.parametrize("affine", ["none", "both", "weight", "bias"])
def test_float16_layer_norm_as_its_kernel(size, loc, affine):
    x = random_array((6, size), seed=17, dtype=np.float16, loc=loc, scale=0.5)
    weight, bias = random_array(size, seed=18, dtype=np.float16), random_array(size, seed=19, dtype=np.float16)

    def make(lib):
        w = lib.tensor(weight) if affine in ("both", "weight") else None
        b = lib.tensor(bias) if affine in ("both", "bias") else None
        return lib.nn.functional.layer_norm(lib.tensor(x), (size,), w, b)
    assert_same_bits(make)


def test_float16_layer_norm_statistics_as_its_kernel():
    x = random_array((4, 3, 300), seed=20, dtype=np.float16, loc=500.0)
    assert_same_bits(lambda lib: lib.native_layer_norm(lib.tensor(x), (300,), None, None, 1e-5))
