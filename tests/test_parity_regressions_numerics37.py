"""Float sums over any dims in ATen's order (session 37, numerics37).

torch.sum of float32 and float64 tensors is ATen's cascade_sum driven by TensorIterator: its dims reordered and
merged, contiguous rows summed in 8-float vectors, columns in blocks of four vectors, four accumulators of four
cascade levels each, and (two threads, over 32768 elements) whole sums split in two. sum, mean and the gradients
summed over broadcast dims now give PyTorch's bits beyond the 8192 elements short_cascade_sum covered, along dims
too; BatchNorm's running statistics are updated as its kernel updates them. (numerics37b: sums whose innermost dim
in memory is reduced, whole sums of dense tensors among them, are left to NumPy's faster order, close to torch's.)

Checked against torch at run time, and without torch against a literal, one-step-at-a-time transcription of the
kernel's loops (reduce_order's cascade_sum and its helpers, independent of sum_order's vectorised NumPy) and the
float64 sum.
"""

import numpy as np
import pytest

import torchless
from torchless._kernels import parallel
from torchless._kernels.reduce_order import cascade_sum
from test_parity_regressions_numerics37b import outer_sum


def random(shape, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * rng.uniform(0.5, 5) + rng.uniform(-2, 2)).astype(dtype)


def bits(array):
    return np.ascontiguousarray(np.atleast_1d(array)).view(np.uint8)


def assert_same_bits(ours, theirs):
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_array_equal(bits(ours), bits(theirs))


@pytest.fixture
def two_threads():
    """Both libraries on two threads (ATen splits a whole sum over 32768 elements among them)."""
    torch = pytest.importorskip("torch")
    before, torch_before = parallel.get_num_threads(), torch.get_num_threads()
    parallel.set_num_threads(2)
    torch.set_num_threads(2)
    yield torch
    parallel.set_num_threads(before)
    torch.set_num_threads(torch_before)


# (shape, dims) summed in ATen's order: the leading dims of a C-contiguous array (a bias gradient's sum)
CASES = [((64, 10), (0,)), ((256, 40), (0,)), ((64, 32, 13, 13), (0,)), ((16, 3), (0,)), ((8, 4, 20), (0, 1))]
# the other classes are added in NumPy's order (modelled in NumPy, ATen's order cost two to six times NumPy's sum:
# see sum_order): whole sums of dense tensors, rows, BatchNorm's (0, 2, 3), global pooling's (2, 3), columns in
# more than two cascade levels or not in full runs, a middle dim. Those sums stay within float32's precision of
# torch's.
NUMPY_ORDER_CASES = [
    ((9000,), None), ((40001,), None), ((300000,), None),
    ((37, 1000), (1,)), ((5, 20000), (1,)), ((64, 7), (1,)),
    ((64, 32, 13, 13), (0, 2, 3)), ((8, 3, 40, 40), (0, 2, 3)),
    ((64, 64, 7, 7), (2, 3)), ((2, 512, 3, 3), (2, 3)),
    ((300, 200), None), ((30, 40, 50), (0, 2)),
    ((3000, 5), (0,)), ((1000, 77), (0,)), ((70, 130), (0,)), ((30, 40, 50), (1,)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,dims", CASES)
def test_sum_and_mean_bits_as_torch(two_threads, shape, dims, dtype):
    torch = two_threads
    x = random(shape, dtype, seed=len(shape) + shape[0])
    ours, theirs = torchless.from_numpy(x), torch.from_numpy(x)
    for name in ("sum", "mean"):
        if dims is None:
            assert_same_bits(getattr(ours, name)().numpy(), getattr(theirs, name)().numpy())
        else:
            for keepdim in (False, True):
                assert_same_bits(getattr(ours, name)(dims, keepdim=keepdim).numpy(),
                                 getattr(theirs, name)(dims, keepdim=keepdim).numpy())


@pytest.mark.parametrize("shape,dims", NUMPY_ORDER_CASES)
def test_sums_in_numpy_order_close_to_torch(two_threads, shape, dims):
    torch = two_threads
    x = random(shape, seed=len(shape) + shape[0])
    ours = torchless.from_numpy(x).sum() if dims is None else torchless.from_numpy(x).sum(dims)
    theirs = torch.from_numpy(x).sum() if dims is None else torch.from_numpy(x).sum(dims)
    magnitude = np.abs(x.astype(np.float64)).sum(axis=dims)
    assert ours.shape == theirs.shape
    assert np.all(np.abs(ours.numpy().astype(np.float64) - theirs.numpy()) <= 2e-6 * magnitude)


def layouts(x):
    yield "transposed", x.T
    yield "strided", x[..., ::3]
    yield "sliced", x[..., 1:]
    if x.ndim == 4:
        yield "channels_last", np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(300, 401), (16, 24, 30, 31), (50, 60, 40)])
def test_sums_of_other_layouts_close_to_torch(two_threads, shape, dtype):
    torch = two_threads
    x = random(shape, dtype, seed=3)
    rng = np.random.default_rng(4)
    for _, view in layouts(x):
        for dims in [None, (0,), (view.ndim - 1,)] + [tuple(sorted(rng.choice(view.ndim, 2, replace=False)))]:
            ours = torchless.from_numpy(view).sum() if dims is None else torchless.from_numpy(view).sum(dims)
            theirs = torch.from_numpy(view).sum() if dims is None else torch.from_numpy(view).sum(dims)
            magnitude = np.abs(view.astype(np.float64)).sum(axis=dims)
            tolerance = (2e-6 if dtype == np.float32 else 1e-14) * magnitude
            assert ours.shape == theirs.shape
            assert np.all(np.abs(ours.numpy().astype(np.float64) - theirs.numpy()) <= tolerance)


def test_bias_gradient_over_256_rows_as_torch(two_threads):
    # the gradient of a broadcast bias is a sum over the batch's rows (ATen's sum_to_size): 16 runs of 16
    torch = two_threads
    x = random((256, 24), seed=6)
    grads = []
    for lib in (torchless, torch):
        bias = lib.zeros(24, requires_grad=True)
        (lib.from_numpy(x) + bias).backward(lib.from_numpy(x))
        grads.append(bias.grad.numpy())
    assert_same_bits(*grads)


@pytest.mark.parametrize("momentum", [0.1, 0.37, None])
def test_batch_norm_running_statistics_as_torch(momentum):
    torch = pytest.importorskip("torch")
    modules = [lib.nn.BatchNorm2d(6, momentum=momentum) for lib in (torchless, torch)]
    for step in range(3):
        x = random((10, 6, 5, 7), seed=10 + step) * 3
        outputs = [module(lib.from_numpy(x)) for module, lib in zip(modules, (torchless, torch))]
        assert_same_bits(*(m.running_mean.numpy() for m in modules))
        assert_same_bits(*(m.running_var.numpy() for m in modules))
        assert_same_bits(*(out.grad_fn._saved_result2.numpy() for out in outputs))  # (1 / std, from the same sums)


# -- without torch: a literal transcription of the kernel's loops, and the float64 sum


@pytest.mark.parametrize("shape", [(48, 8), (128, 77), (16, 130), (64, 10), (256, 40), (16, 6)])
def test_column_sums_as_the_kernels_loops(shape):
    x = random(shape, seed=shape[0])
    assert_same_bits(torchless.from_numpy(x).sum(0).numpy(), outer_sum(x))


@pytest.mark.parametrize("shape,dims", [((200000,), None), ((4000, 50), (0,)), ((50, 4000), (1,)),
                                        ((64, 16, 15, 15), (0, 2, 3))])
def test_sums_near_the_float64_sum(shape, dims):
    # the cascade keeps float32 sums within a few ulp of their magnitude, where a running sum would drift
    x = random(shape, seed=11) + 3
    ours = torchless.from_numpy(x).sum() if dims is None else torchless.from_numpy(x).sum(dims)
    exact = x.astype(np.float64).sum(axis=dims)
    magnitude = np.abs(x.astype(np.float64)).sum(axis=dims)
    assert np.all(np.abs(ours.numpy() - exact) <= 8e-7 * magnitude)  # (a running sum: 2e-6 to 3e-6 here)


def test_zero_sums_are_positive_zero():
    # ATen adds into a zero-filled output: a sum of -0.0s is +0.0, whatever the path
    for shape, dims in [((40000,), None), ((64, 10), (0,)), ((10, 64), (1,)), ((4, 3, 9, 9), (0, 2, 3))]:
        out = torchless.from_numpy(np.full(shape, -0.0, np.float32)).sum(dims) if dims else \
            torchless.from_numpy(np.full(shape, -0.0, np.float32)).sum()
        assert not np.signbit(out.numpy()).any()


def test_non_finite_sums_without_warnings(recwarn):
    x = np.ones((100, 70), np.float32)
    x[3, 5], x[50, 5], x[7, 9] = np.inf, -np.inf, np.nan
    x[:, 20] = 3e38
    out = torchless.from_numpy(x).sum(0).numpy()
    assert np.isnan(out[5]) and np.isnan(out[9]) and out[20] == np.inf and out[0] == 100
    assert not [w for w in recwarn.list if issubclass(w.category, RuntimeWarning)]


def test_batch_norm_running_var_from_first_principles():
    # running_var = momentum * var_sum / (n - 1) + (1 - momentum) * running_var, of the batch's squared deviations
    x = random((10, 4, 6, 6), seed=12)
    bn = torchless.nn.BatchNorm2d(4, momentum=0.25)
    bn(torchless.from_numpy(x))
    x64 = x.astype(np.float64)
    unbiased = x64.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.25 * unbiased + 0.75, rtol=2e-7)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.25 * x64.mean(axis=(0, 2, 3)), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("shape", [(300,), (70, 90), (1, 50000), (40001,)])
def test_float64_variance_of_one_output_as_torch(two_threads, shape):
    # std_var_all_cpu: the mean as torch.mean gives it, then the squared deviations added one after the other in
    # double (per thread past 32768 elements), not Welford's updates
    torch = two_threads
    x = random(shape, np.float64, seed=13) * 3
    for name in ("var", "std"):
        for kwargs in ({}, {"correction": 0}):
            ours = getattr(torchless.from_numpy(x), name)(**kwargs)
            theirs = getattr(torch.from_numpy(x), name)(**kwargs)
            assert_same_bits(ours.numpy(), theirs.numpy())
    assert_same_bits(torchless.from_numpy(x.reshape(1, -1)).var(1).numpy(), torch.from_numpy(x.reshape(1, -1)).var(1)
                     .numpy())


def test_float64_variance_of_one_output_from_first_principles():
    x = random((5000,), np.float64, seed=14) * 3
    mean = float(cascade_sum(x) + 0.0) / x.size  # (torch.mean: the kernel's sum, then divided)
    squares = (x - mean) * (x - mean)
    expected = np.add.accumulate(squares)[-1] / (x.size - 1)  # term after term, one thread under 32768
    assert float(torchless.from_numpy(x).var()) == expected
