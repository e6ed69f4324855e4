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


def test_avg_pool2d_of_a_batch_sized_input_in_pytorchs_order():
    x = random_array((4, 8, 28, 28), seed=2)
    assert_same_bits(lambda lib: lib.nn.functional.avg_pool2d(lib.tensor(x), 3, 2, 1))
