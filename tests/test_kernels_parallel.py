"""Kernel calls split over threads (torchless._kernels.parallel): same numbers as the whole call,
checked against the direct float64 reference of test_kernels_conv, on helper threads that really
run at once, with BLAS's thread count restored afterwards."""

import os
import threading

import numpy as np
import pytest

import torchless
from torchless._kernels import blas, conv, parallel
from test_kernels_conv import (
    assert_close, reference_backward_input, reference_backward_weight, reference_forward,
)

needs_threadpoolctl = pytest.mark.skipif(not blas.thread_controls(), reason="splitting needs threadpoolctl")


@pytest.fixture
def split_everything(monkeypatch):
    """Split every call, however small, over two threads."""
    monkeypatch.setattr(parallel, "MIN_PARALLEL_FLOP", 0)
    monkeypatch.setattr(conv, "CONV_SPLIT_MIN_FLOP", 0)
    previous = parallel.get_num_threads()
    parallel.set_num_threads(2)
    yield
    parallel.set_num_threads(previous)


@pytest.mark.parametrize("items, shards", [(2, 2), (5, 2), (7, 3), (64, 2), (3, 3)])
def test_split_covers_every_item_once_in_order(items, shards):
    slices = parallel.split(items, shards)
    assert len(slices) == shards
    covered = [i for part in slices for i in range(items)[part]]
    assert covered == list(range(items))
    sizes = [len(range(items)[part]) for part in slices]
    assert max(sizes) - min(sizes) <= 1


@needs_threadpoolctl
def test_shards_run_at_once_on_different_threads(split_everything):
    # Each shard waits for the other at a barrier: this only returns if they run concurrently.
    barrier = threading.Barrier(2, timeout=10)

    def shard(name):
        barrier.wait()
        return name, threading.get_ident()

    (first, first_thread), (second, second_thread) = parallel.run_shards(shard, [("a",), ("b",)])
    assert (first, second) == ("a", "b")
    assert first_thread == threading.get_ident() != second_thread


def failing_at(failing, error):
    """A shard function returning its argument, an index, and raising ``error`` at index ``failing``."""
    def shard(index):
        if index == failing:
            raise error
        return index
    return shard


needs_two_cores_to_pin = pytest.mark.skipif(
    parallel._current_cpu is None or len(getattr(os, "sched_getaffinity", lambda _: ())(0)) < 2,
    reason="needs sched_getcpu, sched_setaffinity and two usable cores")


@needs_two_cores_to_pin
def test_shards_run_on_different_cores_and_the_callers_affinity_is_restored(split_everything):
    before = os.sched_getaffinity(0)
    barrier = threading.Barrier(2, timeout=10)

    def shard():
        barrier.wait()  # both running: neither can be waiting for the other's core
        return parallel._current_cpu(), os.sched_getaffinity(0)

    (caller_cpu, caller_allowed), (helper_cpu, helper_allowed) = parallel.run_shards(shard, [(), ()])
    assert caller_allowed == {caller_cpu}
    assert caller_cpu not in helper_allowed and helper_cpu != caller_cpu
    assert os.sched_getaffinity(0) == before


@needs_two_cores_to_pin
def test_a_caller_held_to_one_core_is_left_alone_and_errors_restore_the_affinity(split_everything):
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(before)})
        assert parallel.run_shards(lambda: os.sched_getaffinity(0), [(), ()])[0] == {min(before)}
        assert os.sched_getaffinity(0) == {min(before)}
    finally:
        os.sched_setaffinity(0, before)

    with pytest.raises(OSError, match="shard 0 failed"):
        parallel.run_shards(failing_at(0, OSError("shard 0 failed")), [(0,), (1,)])
    assert os.sched_getaffinity(0) == before
    assert parallel._current_cpu is not None  # a shard's OSError does not turn the pinning off


@needs_threadpoolctl
def test_blas_runs_on_one_thread_inside_shards_and_is_restored_after(split_everything):
    before = [library.get_num_threads() for library in blas.thread_controls()]
    inside = parallel.run_shards(lambda: [lib.get_num_threads() for lib in blas.thread_controls()], [(), ()])
    assert inside == [[1] * len(before)] * 2
    assert [library.get_num_threads() for library in blas.thread_controls()] == before


@needs_threadpoolctl
def test_an_exception_in_a_helper_shard_reaches_the_caller(split_everything):
    shard = failing_at(1, ValueError("shard 1 failed"))
    with pytest.raises(ValueError, match="shard 1 failed"):
        parallel.run_shards(shard, [(0,), (1,)])
    assert parallel.run_shards(shard, [(0,), (2,)]) == [0, 2]   # the helper survives


@needs_threadpoolctl
def test_a_busy_helper_leaves_its_shards_to_the_caller(split_everything):
    parallel.run_shards(lambda: None, [(), ()])  # the helper exists
    release = threading.Event()
    parallel._helpers[0].put(lambda: release.wait(10))  # the helper is busy elsewhere
    try:
        ran_on = parallel.run_shards(lambda index: (index, threading.get_ident()), [(0,), (1,), (2,)])
        assert ran_on == [(index, threading.get_ident()) for index in range(3)]
    finally:
        release.set()
    # Once free, the helper takes shards again (the barrier needs both threads).
    barrier = threading.Barrier(2, timeout=10)
    threads = parallel.run_shards(lambda: (barrier.wait(), threading.get_ident())[1], [(), ()])
    assert threads[0] != threads[1]


@needs_threadpoolctl
def test_no_split_with_one_thread_inside_a_shard_or_without_threadpoolctl(split_everything, monkeypatch):
    assert parallel.shard_count(8, 10 ** 9) == 2
    assert parallel.run_shards(lambda: parallel.shard_count(8, 10 ** 9), [(), ()]) == [1, 1]
    parallel.set_num_threads(1)
    assert parallel.shard_count(8, 10 ** 9) == 1
    parallel.set_num_threads(2)
    monkeypatch.setattr(blas, "thread_controls", lambda: [])
    assert parallel.shard_count(8, 10 ** 9) == 1


def test_small_problems_are_not_split():
    assert parallel.shard_count(64, parallel.MIN_PARALLEL_FLOP - 1) == 1
    assert parallel.shard_count(1, 10 ** 12) == 1


# (N, C, H, W, O, kernel, stride, padding, dilation, groups): a batch splits over images, one image
# runs whole.
PROBLEMS = [
    (4, 3, 9, 8, 5, (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
    (5, 6, 12, 12, 8, (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),      # Winograd-sized channels
    (3, 4, 11, 10, 6, (3, 2), (2, 3), ((2, 0), (1, 2)), (2, 1), 2),
    (2, 8, 7, 7, 4, (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),
    (1, 7, 10, 9, 5, (3, 3), (1, 2), ((1, 1), (0, 1)), (1, 1), 1),
    (1, 4, 8, 8, 4, (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 2),
]


def _arrays(problem, dtype, seed=0):
    N, C, H, W, O, kernel, stride, padding, dilation, groups = problem
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((O, C // groups, *kernel)).astype(dtype)
    y = reference_forward(x, w, stride, padding, dilation, groups)
    gy = rng.standard_normal(y.shape).astype(dtype)
    return x, w, gy, (stride, padding, dilation, groups)


@needs_threadpoolctl
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("algorithm", [None, "im2col"])
def test_split_calls_match_the_reference(split_everything, problem, dtype, algorithm):
    x, w, gy, args = _arrays(problem, dtype)
    hw = x.shape[2:]
    assert_close(conv.conv2d_forward(x, w, *args, algorithm=algorithm), reference_forward(x, w, *args), dtype)
    backward_input = None if algorithm is None else "col2im"
    assert_close(conv.conv2d_backward_input(gy, w, hw, *args, algorithm=backward_input),
                 reference_backward_input(gy, w, hw, *args), dtype)
    assert_close(conv.conv2d_backward_weight(gy, x, w.shape[2:], *args, algorithm=algorithm),
                 reference_backward_weight(gy, x, w.shape[2:], *args), dtype)


@needs_threadpoolctl
@pytest.mark.parametrize("problem", PROBLEMS[:2] + PROBLEMS[4:5])
def test_split_calls_are_deterministic(split_everything, problem):
    x, w, gy, args = _arrays(problem, np.float32, seed=3)
    runs = [(conv.conv2d_forward(x, w, *args), conv.conv2d_backward_input(gy, w, x.shape[2:], *args),
             conv.conv2d_backward_weight(gy, x, w.shape[2:], *args)) for _ in range(3)]
    for run in runs[1:]:
        for got, first in zip(run, runs[0]):
            np.testing.assert_array_equal(got, first)


def test_public_thread_count_follows_torch():
    previous = torchless.get_num_threads()
    try:
        torchless.set_num_threads(1)
        assert torchless.get_num_threads() == 1 == parallel.get_num_threads()
        with pytest.raises(RuntimeError, match="^set_num_threads expects a positive integer$"):
            torchless.set_num_threads(0)
        with pytest.raises(RuntimeError, match="^set_num_threads expects an int, but got float$"):
            torchless.set_num_threads(2.5)
        with pytest.raises(RuntimeError, match="^set_num_threads expects an int, but got bool$"):
            torchless.set_num_threads(True)
        assert torchless.get_num_threads() == 1
    finally:
        torchless.set_num_threads(previous)


@needs_threadpoolctl
def test_elementwise_updates_every_slice_in_place(split_everything):
    values, scale = np.arange(11, dtype=np.float64), np.full(11, 2.0)

    def double_in_place(values, unused, scale, offset):
        values *= scale
        values += offset
        assert unused is None

    parallel.elementwise(double_in_place, (values, None, scale), flop_per_element=1, offset=1.0)
    np.testing.assert_array_equal(values, 2 * np.arange(11) + 1)


@pytest.mark.parametrize("optimizer", ["Adam", "AdamW"])
def test_split_adam_steps_equal_whole_ones_bit_for_bit(monkeypatch, optimizer):
    """Adam is element-wise, so slices on two threads must give exactly the single-thread update."""
    monkeypatch.setattr(parallel, "MIN_PARALLEL_FLOP", 0)
    results = []
    for threads in (1, 2):
        torchless.manual_seed(0)
        weight = torchless.nn.Parameter(torchless.randn(37, 29))
        make = getattr(torchless.optim, optimizer)
        opt = make([weight], lr=1e-2, weight_decay=0.1, amsgrad=True)
        previous = parallel.get_num_threads()
        parallel.set_num_threads(threads)
        try:
            for step in range(3):
                weight.grad = torchless.randn(37, 29)
                opt.step()
        finally:
            parallel.set_num_threads(previous)
        results.append(weight.detach().numpy().copy())
    np.testing.assert_array_equal(results[0], results[1])
    torchless.manual_seed(0)
    assert np.abs(results[0] - torchless.randn(37, 29).numpy()).min() > 0   # every weight moved


@needs_threadpoolctl
@pytest.mark.parametrize("shape, kernel, stride, padding, dilation", [
    ((3, 5, 9, 8), (2, 2), (2, 2), (0, 0), (1, 1)),      # tiling windows
    ((2, 3, 11, 10), (3, 3), (2, 2), (1, 1), (1, 1)),    # overlapping, padded
    ((1, 7, 12, 12), (3, 2), (1, 2), (1, 0), (2, 1)),    # dilated
])
def test_split_max_pooling_equals_whole_bit_for_bit(split_everything, shape, kernel, stride, padding, dilation):
    from torchless._kernels import pool

    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    x[0, 0, 0, :3] = x[0, 0, 1, :3] = 5.0   # ties: the first in scan order must win either way
    results = []
    for threads in (2, 1):
        parallel.set_num_threads(threads)
        y, winners = pool.max_pool2d_forward_winners(x, kernel, stride, padding, dilation, False)
        gy = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
        results.append((y, winners.flat_indices(), pool.max_pool2d_backward_winners(gy, winners)))
    for split_result, whole_result in zip(*results):
        np.testing.assert_array_equal(split_result, whole_result)


@needs_threadpoolctl
@pytest.mark.parametrize("problem", PROBLEMS)
def test_bias_is_added_in_every_shard(split_everything, problem):
    x, w, _, args = _arrays(problem, np.float64)
    bias = np.random.default_rng(5).standard_normal(w.shape[0])
    expected = reference_forward(x, w, *args) + bias.reshape(1, -1, 1, 1)
    assert_close(conv.conv2d_forward(x, w, *args, bias=bias), expected, np.float64)


@needs_threadpoolctl
def test_split_relu_forward_and_backward_keep_pytorchs_rules(split_everything):
    """max(x, 0) and threshold_backward, on slices on two threads: NaN outputs pass their gradient,
    inf and NaN gradients reach only positions whose output is not <= 0."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(20000).astype(np.float32)
    x[:4] = [np.nan, -0.0, 0.0, np.inf]
    grad = rng.standard_normal(20000).astype(np.float32)
    grad[4:8] = [np.inf, np.nan, -np.inf, np.nan]
    x[4:8] = [1.0, 2.0, -1.0, -2.0]
    t = torchless.tensor(x, requires_grad=True)
    out = torchless.nn.functional.relu(t)
    out.backward(torchless.tensor(grad))
    expected_out = np.where(np.isnan(x), np.nan, np.maximum(x, 0))
    np.testing.assert_array_equal(out.detach().numpy(), expected_out)
    expected_grad = np.where(~(expected_out <= 0), grad, 0).astype(np.float32)
    np.testing.assert_array_equal(t.grad.numpy(), expected_grad)


def _split_convolution_in_child(queue):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 3, 9, 9)), rng.standard_normal((5, 3, 3, 3))
    args = ((1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    queue.put(float(np.abs(conv.conv2d_forward(x, w, *args) - reference_forward(x, w, *args)).max()))


@needs_threadpoolctl
@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_starts_its_own_helpers(split_everything):
    import multiprocessing

    parallel.run_shards(lambda: None, [(), ()])   # the parent's helper thread exists now
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_split_convolution_in_child, args=(results,))
    child.start()
    child.join(timeout=60)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive, "the child hung waiting for its parent's helper thread"
    assert results.get(timeout=5) < 1e-9


@pytest.mark.parametrize("wanted", [(True, True), (True, False), (False, True)])
def test_wanted_gradients_match_the_reference(split_everything, wanted):
    """conv2d_backward computes the gradients asked for, and only those, with every split allowed (a
    batch of one image is never split)."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((1, 4, 9, 8)), rng.standard_normal((6, 4, 3, 3))
    args = ((1, 1), ((1, 1), (0, 2)), (1, 1), 1)
    gy = rng.standard_normal(reference_forward(x, w, *args).shape)
    gx, gw = conv.conv2d_backward(gy, x, w, *args, input_grad=wanted[0], weight_grad=wanted[1])
    if wanted[0]:
        assert_close(gx, reference_backward_input(gy, w, x.shape[2:], *args), np.float64)
    else:
        assert gx is None
    if wanted[1]:
        assert_close(gw, reference_backward_weight(gy, x, (3, 3), *args), np.float64)
    else:
        assert gw is None
