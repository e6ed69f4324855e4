"""Row-wise float sums (``x.sum(-1)``, ``x.mean(-1)``, the trailing dims of a C-contiguous tensor) added in the order
of ATen's inner reduction: per row, four accumulators over 32-byte vectors with their cascade levels, the leftover
elements, then the vector's lanes one by one (NumPy adds a contiguous row pairwise: about half the float32 rows of
a (5, 5) or (64, 10) tensor differed from PyTorch's in their last bit)."""
import numpy as np
import pytest

import torchless
from torchless._kernels.reduce_order import cascade_sum, short_cascade_row_sums

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
