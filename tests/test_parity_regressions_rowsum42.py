"""Row-wise float sums (``x.sum(-1)``, ``x.mean(-1)``, the trailing dims of a C-contiguous tensor) added in the order
of ATen's inner reduction: per row, four accumulators over 32-byte vectors with their cascade levels, the leftover
elements, then the vector's lanes one by one (NumPy adds a contiguous row pairwise: about half the float32 rows of
a (5, 5) or (64, 10) tensor differed from PyTorch's in their last bit); and whole sums past 8192 elements (a mean
loss over a batch of images) with all four cascade levels, split among the threads as ATen splits them (NumPy's
pairwise order gave other last bits in about four of five sums past 32768 elements)."""
import numpy as np
import pytest

import torchless
from torchless._kernels.reduce_order import (GRAIN_SIZE, cascade_sum, long_cascade_sum, short_cascade_row_sums,
                                           threads_cascade_sum)

SHAPES_AND_DIMS = [((5, 5), 1), ((64, 10), 1), ((3, 17), -1), ((4, 33), 1), ((2, 100), 1), ((8, 1000), 1),
                   ((10, 64), 1), ((1, 100), 1), ((2, 3, 40), (1, 2)), ((2, 3, 40), (-1, -2)), ((6, 7, 9), 2),
                   ((3, 2049), 1), ((2, 4), 1), ((3, 7), 1)]


def _values(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 10 ** rng.uniform(-3, 3, shape)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 3, 4, 5, 7, 8, 9, 31, 32, 33, 100, 511, 512, 513, 2048, 4095])
def test_row_sums_add_each_row_as_the_one_row_model(size, dtype):
    # independent of torch: every row as cascade_sum adds a single row, element by element in Python
    rows = _values((5, size), dtype, size)
    expected = np.array([cascade_sum(row) for row in rows])
    np.testing.assert_array_equal(short_cascade_row_sums(rows), expected)
    assert short_cascade_row_sums(rows).dtype == dtype


def test_row_sums_differ_from_numpy_pairwise_order():
    # the rows these tests pick are not all summed alike by NumPy's own order (else they would prove nothing)
    rows = _values((64, 10), np.float32, 0)
    assert (short_cascade_row_sums(rows) != rows.sum(1)).any()


def test_row_sums_of_long_rows_are_left_to_numpy():
    assert short_cascade_row_sums(np.ones((2, 8192), np.float32)) is None


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, dims", SHAPES_AND_DIMS)
def test_sum_and_mean_over_trailing_dims_match_torch_bit_for_bit(shape, dims, dtype):
    torch = pytest.importorskip("torch")
    for seed in range(4):
        x = _values(shape, getattr(np, dtype), seed)
        for name, keepdim in (("sum", False), ("mean", False), ("sum", True)):
            ours = getattr(torchless.tensor(x), name)(dims, keepdim=keepdim)
            theirs = getattr(torch.tensor(x), name)(dims, keepdim=keepdim)
            assert tuple(ours.shape) == tuple(theirs.shape)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=f"{name} seed {seed}")


def test_row_sums_keep_infinities_and_zero_signs_as_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, np.inf, 2.0], [-np.inf, np.inf, 0.0], [-0.0, -0.0, -0.0], [3e38, 3e38, 1.0]], np.float32)
    with np.errstate(all="raise"):  # silently, as PyTorch
        ours = torchless.tensor(x).sum(1).numpy()
    theirs = torch.tensor(x).sum(1).numpy()
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))


# ---------------------------------------------------------------- sums past the short cascade: all four levels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [8192, 8200, 16384 + 37, 40000])
def test_long_cascade_sum_is_the_kernel_loops_transcription(size, dtype):
    # independent of torch: reduce_order.cascade_sum steps through ATen's loops one row at a time
    values = _values(size, dtype, size)
    assert long_cascade_sum(values) == cascade_sum(values)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_threads_split_a_long_sum_into_contiguous_ranges(threads):
    # independent of torch: each thread's range (one per GRAIN_SIZE elements at most) summed alone, the sums then
    # added in a zeroed buffer of one slot per thread
    values = _values(3 * GRAIN_SIZE + 11, np.float32, threads)
    used = min(threads, -(-values.size // GRAIN_SIZE))
    chunk = -(-values.size // used)
    buffer = np.zeros(threads, np.float32)
    buffer[:used] = [cascade_sum(values[start:start + chunk]) for start in range(0, values.size, chunk)]
    assert threads_cascade_sum(values, threads) == cascade_sum(buffer)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("shape, dims", [((64, 1, 28, 28), None), ((50176,), 0), ((3, 20000), 1), ((1, 70000), 1),
                                         ((2, 9000), -1), ((1000, 1000), None)])
def test_long_sums_and_means_match_torch_bit_for_bit(shape, dims, threads):
    torch = pytest.importorskip("torch")
    before = torchless.get_num_threads(), torch.get_num_threads()
    try:
        torchless.set_num_threads(threads)
        torch.set_num_threads(threads)
        for dtype in (np.float32, np.float64):
            x = _values(shape, dtype, 7)
            for name in ("sum", "mean"):
                args = () if dims is None else (dims,)
                np.testing.assert_array_equal(getattr(torchless.tensor(x), name)(*args).numpy(),
                                              getattr(torch.tensor(x), name)(*args).numpy())
    finally:
        torchless.set_num_threads(before[0])
        torch.set_num_threads(before[1])


def test_mse_loss_over_a_batch_of_images_matches_torch_bit_for_bit():
    # a mean over 64 x 784 squared errors (an autoencoder's loss, printed with loss.item())
    torch = pytest.importorskip("torch")
    x, y = _values((64, 1, 28, 28), np.float32, 1), _values((64, 1, 28, 28), np.float32, 2)
    ours = torchless.nn.functional.mse_loss(torchless.tensor(x), torchless.tensor(y)).item()
    assert ours == torch.nn.functional.mse_loss(torch.tensor(x), torch.tensor(y)).item()
