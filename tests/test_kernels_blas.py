"""The BLAS thread policy: same products as np.matmul, on one BLAS thread, large ones split, counts restored."""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import torchless
from torchless._kernels import blas


class FakeLibrary:
    """Stands in for a threadpoolctl controller and records every thread count it is given."""

    def __init__(self, threads):
        self.threads = threads
        self.history = []

    def get_num_threads(self):
        return self.threads

    def set_num_threads(self, threads):
        self.history.append(threads)
        self.threads = threads


class Spy:
    """np.matmul that notes the thread count of the fake library at the moment it runs."""

    def __init__(self, library):
        self.library = library
        self.seen = []
        self.matmul = np.matmul

    def __call__(self, a, b, out=None):
        self.seen.append(self.library.threads)
        return self.matmul(a, b, out=out)


@pytest.fixture
def fake_blas(monkeypatch):
    library = FakeLibrary(threads=2)
    spy = Spy(library)
    monkeypatch.setattr(blas, "_blas_libraries", [library])
    # (a fake library has no OpenBLAS SkylakeX kernels, whatever the real one made _has_small_kernels remember)
    monkeypatch.setattr(blas, "_small_kernels", None)
    monkeypatch.setattr(blas.np, "matmul", spy)
    return library, spy


def test_small_product_runs_on_one_thread_and_restores_the_count(fake_blas):
    library, spy = fake_blas
    a, b = np.ones((64, 64), np.float32), np.ones((64, 128), np.float32)  # above BLAS's own limit
    blas.matmul(a, b)
    assert spy.seen == [1]
    assert library.threads == 2 and library.history == [1, 2]


def test_products_blas_keeps_on_one_thread_skip_the_switch(fake_blas):
    library, spy = fake_blas
    blas.matmul(np.ones((4, 5), np.float32), np.ones((5, 6), np.float32))
    blas.matmul(np.ones((3, 64, 64), np.float32), np.ones((64, 64), np.float32))
    assert library.history == [] and spy.seen == [2, 2]


def _large_side():
    return int(round((blas.SPLIT_MIN_FLOP / 2) ** (1 / 3))) + 1


@pytest.mark.parametrize("shapes", [
    lambda n: ((n, n), (n, n)),                    # split along the rows of a
    lambda n: ((4, n // 2, n), (n, n // 2)),       # along the batch of a; b shared
    lambda n: ((1, n, n), (3, n, n // 2)),         # along the batch of b; a broadcast
])
def test_large_product_is_split_and_never_wakes_blas_threads(fake_blas, shapes):
    """OpenBLAS's workers spin after a multi-threaded product; torchless's own threads take the parts."""
    library, spy = fake_blas
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(shape).astype(np.float32) for shape in shapes(_large_side()))
    expected = np.matmul(a, b)
    result = blas.matmul(a, b)
    assert len(spy.seen) - 1 == torchless.get_num_threads() > 1 and set(spy.seen[1:]) == {1}
    assert library.threads == 2
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-3)
    out = np.full_like(expected, np.nan)
    assert blas.matmul(a, b, out=out) is out
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("transposed_b", [False, True])
@pytest.mark.parametrize("m, k, n, by_columns", [
    (64, 9216, 128, True),    # the classic MNIST CNN's fc1 forward: its weight is the larger operand
    (64, 128, 9216, True),    # its input gradient
    (128, 64, 9216, True),    # its weight gradient
    (2048, 64, 512, False),   # a tall left operand: by rows, as before
])
def test_a_product_is_split_along_its_larger_operand_with_the_whole_products_bits(m, k, n, by_columns, transposed_b):
    """Each part shares the smaller operand and keeps the whole depth: the same bits as one product on one thread."""
    rng = np.random.default_rng(m + n)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((n, k)).astype(np.float32).T if transposed_b else rng.standard_normal((k, n)).astype(
        np.float32)
    flop = 2 * m * k * n
    assert flop >= blas.SPLIT_MIN_FLOP
    if torchless.get_num_threads() < 2 or not blas.thread_controls():
        pytest.skip("products are split only with threadpoolctl and two threads")
    _, shards = blas._parts(a, b, None, flop)
    assert len(shards) == torchless.get_num_threads()
    assert all(shard[0] is a for shard in shards) == by_columns  # (by columns: a shared, b's columns split)
    assert all(shard[1] is b for shard in shards) != by_columns  # (by rows: b shared)
    with threadpool_limits(1):
        whole = np.matmul(a, b)
    np.testing.assert_array_equal(blas.matmul(a, b).view(np.uint32), whole.view(np.uint32))


def test_large_product_runs_whole_on_one_thread_when_splitting_is_off(fake_blas):
    library, spy = fake_blas
    side = _large_side()
    previous = torchless.get_num_threads()
    torchless.set_num_threads(1)
    try:
        blas.matmul(np.ones((side, side), np.float32), np.ones((side, side), np.float32))
    finally:
        torchless.set_num_threads(previous)
    assert spy.seen == [1] and library.history == [1, 2]


def test_count_is_restored_when_the_product_fails(fake_blas):
    library, _ = fake_blas
    with pytest.raises(ValueError):
        blas.matmul(np.ones((100, 100)), np.ones((101, 100)))
    assert library.threads == 2


def test_batched_products_count_the_batch(fake_blas):
    library, spy = fake_blas
    # One (70 x 70) @ (70 x 70) product is below the split size; a batch of 128 of them is not.
    b = np.ones((70, 70), np.float32)
    blas.matmul(np.ones((70, 70), np.float32), b)
    assert spy.seen == [1]
    blas.matmul(np.ones((128, 70, 70), np.float32), b)
    assert len(spy.seen) - 1 == torchless.get_num_threads() and set(spy.seen) == {1}


@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 6))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_numpy_with_and_without_out(shapes, dtype):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(shape).astype(dtype) for shape in shapes)
    expected = np.matmul(a, b)
    np.testing.assert_array_equal(blas.matmul(a, b), expected)
    out = np.empty_like(expected)
    assert blas.matmul(a, b, out=out) is out
    np.testing.assert_array_equal(out, expected)


def test_real_thread_count_is_unchanged_after_products():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]
    blas.matmul(np.ones((8, 8), np.float32), np.ones((8, 8), np.float32))
    after = [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]
    assert after == before
