"""Float sums added in the order of ATen's kernel: over leading dims (``x.sum(0)``, a bias gradient) of any number of
rows, as its loops down the columns add them (multi_row_sum's four cascade levels, row_sum's four accumulators);
over leading and trailing dims around kept ones (``x.sum((0, 2, 3))``, ``x.mean(dim=(0, 2, 3))``: a channel's
statistics), each row of the trailing dims as its inner reduction adds it, those rows' sums then one after the other
from 0 into the zero-filled output; and sums whose kept dims all have size 1, which ATen adds as whole sums.
NumPy's order (pairwise along rows, in turn down columns) gave other last bits in about three of four float32
channels of a (64, 5, 28, 28) batch, and in most columns of a (1000, 10) one."""
import contextlib

import numpy as np
import pytest

import torchless
from torchless._kernels.reduce_order import cascade_sum

SHAPES_AND_DIMS = [((64, 5, 28, 28), (0, 2, 3)), ((64, 10, 14, 14), (0, 2, 3)), ((2, 3, 4, 5), (0, 2, 3)),
                   ((7, 3, 2), (0, 2)), ((1, 3, 5, 5), (0, 2, 3)), ((3, 4, 2, 5, 6), (0, 1, 4)),
                   ((3, 4, 2, 5, 6), (0, 3, 4)), ((100, 64, 9), (0, 2)), ((33, 4, 17), (0, -1)),
                   ((16, 32, 1000), (0, 2)), ((4, 3, 100, 100), (0, 2, 3)), ((5, 1, 7), (0, 2)),
                   ((5, 1, 7, 1), (0, 2)), ((2, 1, 1, 9000), (0, 3))]


@contextlib.contextmanager
def _on_threads(torch, threads):
    """Both libraries on ``threads`` threads (their splits of long sums decide the order), restored after."""
    before = torch.get_num_threads(), torchless.get_num_threads()
    torch.set_num_threads(threads)
    torchless.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before[0])
        torchless.set_num_threads(before[1])


def _values(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 10 ** rng.uniform(-3, 3, shape)).astype(dtype)


def _model(x, lead, first):
    """Independent of torch: for each index of the kept dims, from 0, each leading index's row of the trailing dims
    added as cascade_sum adds one row (element by element in Python)."""
    kept = x.shape[lead:first]
    rows = x.reshape(int(np.prod(x.shape[:lead])), int(np.prod(kept)), -1)
    totals = np.zeros(rows.shape[1], x.dtype)
    for channel in range(rows.shape[1]):
        for row in rows[:, channel]:
            totals[channel] += cascade_sum(row)
    return totals.reshape(kept)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, lead, first", [((6, 5, 4, 4), 1, 2), ((3, 7, 33), 1, 2), ((2, 3, 4, 5, 6), 2, 4),
                                                ((9, 2, 100), 1, 2), ((4, 8, 3), 1, 2)])
def test_channel_sums_are_the_loop_model(shape, lead, first, dtype):
    x = _values(shape, dtype, sum(shape))
    dims = (*range(lead), *range(first, len(shape)))
    ours = torchless.tensor(x).sum(dims).numpy()
    np.testing.assert_array_equal(ours, _model(x, lead, first))


def test_channel_sums_differ_from_numpy_order():
    # (else the tests would prove nothing)
    x = _values((64, 5, 28, 28), np.float32, 0)
    assert (torchless.tensor(x).sum((0, 2, 3)).numpy() != x.sum((0, 2, 3))).any()


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, dims", SHAPES_AND_DIMS)
def test_sum_and_mean_over_outer_and_inner_dims_match_torch_bit_for_bit(shape, dims, dtype, threads):
    torch = pytest.importorskip("torch")
    with _on_threads(torch, threads):
        for seed in range(3):
            x = _values(shape, getattr(np, dtype), seed)
            for name, keepdim in (("sum", False), ("mean", False), ("sum", True), ("mean", True)):
                ours = getattr(torchless.tensor(x), name)(dims, keepdim=keepdim)
                theirs = getattr(torch.tensor(x), name)(dims, keepdim=keepdim)
                assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype == getattr(torchless, dtype)
                np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=f"{name} seed {seed}")


def test_channel_sums_keep_zero_signs_and_infinities_as_torch():
    torch = pytest.importorskip("torch")
    x = np.full((3, 2, 2, 2), -0.0, np.float32)
    x[0, 1, 0, 0], x[1, 1, 1, 1] = np.inf, -np.inf
    with np.errstate(all="raise"):  # silently, as PyTorch
        ours = torchless.tensor(x).sum((0, 2, 3)).numpy()
    theirs = torch.tensor(x).sum((0, 2, 3)).numpy()
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(np.signbit(ours), np.signbit(theirs))


# ---------------------------------------------------------------------------- sums over leading dims (x.sum(0))
def _multi_row_sum(column):
    """SumKernel.cpp's multi_row_sum of one column, transcribed loop for loop (Python floats rounded to the
    column's dtype at every step)."""
    dtype = column.dtype.type
    size = len(column)
    ceil_log2 = 1 if size <= 2 else int(size - 1).bit_length()
    power = max(4, ceil_log2 // 4)
    step, mask = 1 << power, (1 << power) - 1
    acc = [dtype(0)] * 4
    i = 0
    while i + step <= size:
        for _ in range(step):
            acc[0] = dtype(acc[0] + column[i])
            i += 1
        for j in range(1, 4):
            acc[j] = dtype(acc[j] + acc[j - 1])
            acc[j - 1] = dtype(0)
            if i & (mask << (j * power)):
                break
    for i in range(i, size):
        acc[0] = dtype(acc[0] + column[i])
    for j in range(1, 4):
        acc[0] = dtype(acc[0] + acc[j])
    return acc[0]


def _row_sum(column):
    """SumKernel.cpp's row_sum of one column: four multi_row_sums of every fourth term, the rest into the first."""
    dtype = column.dtype.type
    whole = len(column) // 4 * 4
    partial = [_multi_row_sum(column[k:whole:4]) for k in range(4)]
    for value in column[whole:]:
        partial[0] = dtype(partial[0] + value)
    for k in range(1, 4):
        partial[0] = dtype(partial[0] + partial[k])
    return partial[0]


def _leading_model(x):
    """x.sum(0) of a C-contiguous 2-D float array on one thread: vectorized_outer_sum's blocks of four 32-byte
    vectors of columns by multi_row_sum, the rest by row_sum (scalar_outer_sum's blocks of four columns when fewer
    than a vector), each added into the zero-filled output."""
    rows, columns = x.shape
    width = 32 // x.itemsize
    blocked = columns // (4 * width) * (4 * width) if columns >= width else columns // 4 * 4
    return np.array([x.dtype.type(0) + (_multi_row_sum(x[:, c]) if c < blocked else _row_sum(x[:, c]))
                     for c in range(columns)], x.dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 3), (5, 8), (17, 10), (64, 10), (100, 33), (257, 40), (300, 5), (1000, 3),
                                   (4099, 9), (70000, 2)])
def test_leading_sums_are_the_kernel_loops_transcription(shape, dtype, monkeypatch):
    monkeypatch.setattr(torchless._kernels.parallel, "get_num_threads", lambda: 1)
    x = _values(shape, dtype, shape[0])
    np.testing.assert_array_equal(torchless.tensor(x).sum(0).numpy(), _leading_model(x))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, dims", [((1000, 10), 0), ((70000, 3), 0), ((100, 64), 0), ((17, 5), 0),
                                         ((300, 33), 0), ((5, 4, 9), (0, 1)), ((3, 1000), 0), ((9, 8), 0),
                                         ((100000, 40), 0), ((1048577, 2), 0), ((33, 7, 2), 0)])
def test_sum_and_mean_over_leading_dims_match_torch_bit_for_bit(shape, dims, dtype, threads):
    torch = pytest.importorskip("torch")
    with _on_threads(torch, threads):
        x = _values(shape, getattr(np, dtype), 0)
        for name, keepdim in (("sum", False), ("mean", True)):
            ours = getattr(torchless.tensor(x), name)(dims, keepdim=keepdim)
            theirs = getattr(torch.tensor(x), name)(dims, keepdim=keepdim)
            assert tuple(ours.shape) == tuple(theirs.shape)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=name)


def test_linear_bias_gradient_of_an_odd_batch_matches_torch():
    torch = pytest.importorskip("torch")
    x, grad = _values((100, 490), np.float32, 1), _values((100, 10), np.float32, 2)
    layers = []
    for lib in (torchless, torch):
        lib.manual_seed(0)
        layer = lib.nn.Linear(490, 10)
        layer(lib.tensor(x)).backward(lib.tensor(grad))
        layers.append(layer)
    np.testing.assert_array_equal(layers[0].bias.grad.numpy(), layers[1].bias.grad.numpy())


# ---------------------------------------------------------------------------- any C-contiguous layout
def test_sums_over_random_dims_match_torch_bit_for_bit():
    """Random shapes (size-1 dims among them) and dims: whatever blocks of reduced and kept dims the iterator makes,
    (N, C, L) summed over C (columns down a middle dim), (A, R, B, K) over A and B (row_sum down a strided dim, the
    sums in turn), on one thread and two."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(43)
    for trial in range(300):
        threads = 1 + trial % 2
        shape = tuple(int(rng.choice([1, 2, 3, 5, 8, 9, 17, 33, 64, 100])) for _ in range(rng.integers(1, 5)))
        dims = tuple(sorted(rng.choice(len(shape), int(rng.integers(1, len(shape) + 1)), replace=False).tolist()))
        x = _values(shape, np.float32 if trial % 3 else np.float64, trial)
        with _on_threads(torch, threads):
            ours, theirs = torchless.tensor(x).sum(dims), torch.tensor(x).sum(dims)
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=f"{shape} {dims} {threads} threads")


@pytest.mark.parametrize("shape, dims", [((6, 5, 33), (1,)), ((7, 3, 9, 4), (0, 2)), ((2, 9, 3, 5, 2), (1, 3))])
def test_middle_and_interleaved_sums_are_the_kernel_loops_transcription(shape, dims, monkeypatch):
    """Independent of torch, on one thread: over one middle dim, each call's columns as _leading_model adds them;
    over interleaved dims, for each output, row_sum down the innermost reduced dim, the sums added in turn from 0."""
    monkeypatch.setattr(torchless._kernels.parallel, "get_num_threads", lambda: 1)
    x = _values(shape, np.float32, len(dims))
    ours = torchless.tensor(x).sum(dims).numpy()
    if len(dims) == 1:
        expected = np.stack([_leading_model(x[n].reshape(shape[1], -1)) for n in range(shape[0])])
    else:
        last = dims[-1]
        strided = np.moveaxis(x, last, -1)  # (each output's terms along the last axis, the outer reduced dims first)
        outer = [axis if axis < last else axis - 1 for axis in dims[:-1]]
        kept = [axis for axis in range(strided.ndim - 1) if axis not in outer]
        terms = np.transpose(strided, outer + kept + [strided.ndim - 1])
        terms = terms.reshape(-1, int(np.prod([strided.shape[a] for a in kept])), shape[last])
        expected = np.zeros(terms.shape[1], np.float32)
        for output in range(terms.shape[1]):
            for term in terms[:, output]:
                expected[output] += _row_sum(term)
    np.testing.assert_array_equal(ours.reshape(-1), expected.reshape(-1))


# ---------------------------------------------------------------------------- var and std of one output
def _offset_vectors(seed, count=40):
    """float32 vectors whose mean is large against their spread (an image's pixel values, a sensor's readings)."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(2, 5000))
        yield (rng.standard_normal(n) * 10 ** rng.uniform(-4, 0) + 10 ** rng.uniform(0, 5)).astype(np.float32)


def test_variance_of_one_output_is_centred_by_the_float32_mean(monkeypatch):
    """std_var_all_cpu: each x - x.mean() (the float32 mean) and its square in double, added one after the other,
    divided by n - 1 once, rounded to float32 once (a double mean gave other last bits in three of four vectors)."""
    monkeypatch.setattr(torchless._kernels.parallel, "get_num_threads", lambda: 1)
    for a in _offset_vectors(1):
        mean = np.float64(torchless.tensor(a).mean().item())
        total = 0.0
        for value in a.astype(np.float64):
            total += (value - mean) * (value - mean)
        assert torchless.tensor(a).var().item() == np.float32(total / (a.size - 1))
        assert torchless.tensor(a).std().item() == np.float32(np.sqrt(total / (a.size - 1)))


@pytest.mark.parametrize("threads", [1, 2])
def test_variance_of_one_output_matches_torch_bit_for_bit(threads):
    torch = pytest.importorskip("torch")
    with _on_threads(torch, threads):
        for a in [*_offset_vectors(2), np.full(300, 1e36, np.float32), _values((70001,), np.float32, 3) + 100]:
            for name in ("var", "std"):
                ours = getattr(torchless.tensor(a), name)()
                theirs = getattr(torch.tensor(a), name)()
                assert ours.numpy().tobytes() == theirs.numpy().tobytes(), (name, a.size)
            ours = torchless.tensor(a).requires_grad_().var(0, correction=0)
            assert ours.detach().numpy().tobytes() == torch.tensor(a).var(0, correction=0).numpy().tobytes()
