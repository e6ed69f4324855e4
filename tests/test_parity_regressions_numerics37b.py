"""Column sums in ATen's order at NumPy's speed (session 37, numerics37b).

sum_order's direct path for the leading dims of a C-contiguous array (a bias gradient, a sum over the batch):
blocks of four 8-float vectors of columns through multi_row_sum, the other columns through row_sum's four
accumulators, in at most two cascade levels, and over 32768 elements one range of columns per thread. Checked
against torch at run time and, without torch, against reduce_order's step-by-step transcription of the kernel's
loops.
"""

import numpy as np
import pytest

import torchless
from torchless._kernels import parallel, sum_order
from torchless._kernels.reduce_order import _multi_row_sum, _row_sum


def random(shape, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * rng.uniform(0.5, 5) + rng.uniform(-2, 2)).astype(dtype)


def assert_same_bits(ours, theirs):
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_array_equal(np.ascontiguousarray(np.atleast_1d(ours)).view(np.uint8),
                                  np.ascontiguousarray(np.atleast_1d(theirs)).view(np.uint8))


@pytest.fixture(params=[1, 2])
def threads(request):
    before = parallel.get_num_threads()
    parallel.set_num_threads(request.param)
    yield request.param
    parallel.set_num_threads(before)


def outer_sum(matrix):
    """ATen's loop down the columns of a C-contiguous matrix, step by step, from 0."""
    width = 32 // matrix.itemsize
    columns = matrix.shape[1]
    out = np.zeros(columns, matrix.dtype)
    block = 4 * width if columns >= width else 4
    j = 0
    while j + block <= columns:
        out[j:j + block] = _multi_row_sum(matrix[:, j:j + block])
        j += block
    while columns >= width and j + width <= columns:
        out[j:j + width] = _row_sum(matrix[:, j:j + width])
        j += width
    for k in range(j, columns):
        out[k] = _row_sum(matrix[:, k])
    return out + matrix.dtype.type(0)


def split_outer_sum(matrix, threads):
    """outer_sum per thread's range of columns (parallel_dim_reduction: even chunks, bounds rounded down to 128
    bytes) where the matrix has 32768 elements or more."""
    columns = matrix.shape[1]
    if matrix.size < 32768 or threads < 2:
        return outer_sum(matrix)
    chunk = -(-columns // min(threads, columns))
    multiple = 128 // matrix.itemsize
    parts = []
    for begin in range(0, columns, chunk):
        end = min(columns, begin + chunk)
        begin -= begin % multiple
        if end != columns:
            end -= end % multiple
        if begin != end:
            parts.append(outer_sum(np.ascontiguousarray(matrix[:, begin:end])))
    return np.concatenate(parts)


# rows: one level, two full levels; columns: blocks only, single columns only, both (other sums: NumPy's order)
SHAPES = [(64, 10), (64, 128), (16, 40), (128, 7), (256, 34), (64, 32, 26, 26), (8, 16, 5, 5)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_leading_sums_as_the_kernels_loops(threads, shape, dtype):
    x = random(shape, dtype, seed=shape[0] + len(shape))
    matrix = x.reshape(shape[0], -1)
    expected = split_outer_sum(matrix, threads).reshape(shape[1:])
    assert_same_bits(torchless.from_numpy(x).sum(0).numpy(), expected)
    assert_same_bits(torchless.from_numpy(x).sum(0, keepdim=True).numpy(), expected[None])


def test_two_leading_dims_as_one():
    x = random((8, 16, 5, 5), seed=3)
    assert_same_bits(torchless.from_numpy(x).sum((0, 1)).numpy(), outer_sum(x.reshape(128, 25)).reshape(5, 5))
    assert_same_bits(torchless.from_numpy(x).sum((1, 0)).numpy(), outer_sum(x.reshape(128, 25)).reshape(5, 5))


def test_leading_sums_as_torch_fuzzed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(37)
    before, torch_before = parallel.get_num_threads(), torch.get_num_threads()
    try:
        mismatches, checked = [], 0
        for threads in (1, 2):
            parallel.set_num_threads(threads)
            torch.set_num_threads(threads)
            for _ in range(120):
                rows = int(rng.choice([2, 4, 12, 16, 32, 48, 64, 128, 192, 256, 272, 512, 1024]))
                columns = int(rng.integers(2, 300))
                dtype = rng.choice([np.float32, np.float64])
                x = random((rows, columns), dtype, seed=int(rng.integers(1 << 30)))
                if sum_order.aten_sum(x, (0,)) is None:  # (rows or columns outside the direct path: NumPy's order)
                    continue
                checked += 1
                if not np.array_equal(torchless.from_numpy(x).sum(0).numpy().view(np.uint8),
                                      torch.from_numpy(x).sum(0).numpy().view(np.uint8)):
                    mismatches.append((threads, rows, columns, dtype))
        assert not mismatches and checked >= 80
    finally:
        parallel.set_num_threads(before)
        torch.set_num_threads(torch_before)


def test_bias_gradients_as_torch():
    # the course CNN's fc bias (batch 64, 10 classes) and a conv bias broadcast over (N, H, W)
    torch = pytest.importorskip("torch")
    for shape, bias_shape in [((64, 10), (10,)), ((64, 128), (128,)), ((32, 8, 6, 6), (8, 6, 6))]:
        grad_out = random(shape, seed=len(shape))
        grads = []
        for lib in (torchless, torch):
            bias = lib.zeros(bias_shape, requires_grad=True)
            (lib.from_numpy(np.zeros(shape, np.float32)) + bias).backward(lib.from_numpy(grad_out))
            grads.append(bias.grad.numpy())
        assert_same_bits(*grads)


def test_direct_path_results():
    # a sum of -0.0s is +0.0 (ATen's zero-filled output); results are new C-ordered arrays owning their memory
    for shape, keepdims in [((64, 10), False), ((64, 4, 5), False), ((64, 10), True), ((256, 200), False)]:
        zeros = sum_order.aten_sum(np.full(shape, -0.0, np.float32), (0,), keepdims)
        assert not np.signbit(zeros).any()
        total = sum_order.aten_sum(random(shape), (0,), keepdims)
        assert total.flags.c_contiguous and total.flags.owndata
        assert total.shape == ((1,) + shape[1:] if keepdims else shape[1:])


def test_leading_sums_near_the_float64_sum():
    x = random((256, 40), seed=5) + 3
    exact = x.astype(np.float64).sum(0)
    magnitude = np.abs(x.astype(np.float64)).sum(0)
    assert np.all(np.abs(torchless.from_numpy(x).sum(0).numpy() - exact) <= 2e-7 * 16 * magnitude)
