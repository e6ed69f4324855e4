"""Session 40: gelu's ATen kernel splits its loop among the threads by a grain size of its own (GeluKernelImpl:
n / threads above 16384 elements), its backward by at::internal::GRAIN_SIZE, and each thread's chunk (each piece of a
run within it) ends in a scalar tail with libm's erf, not the vectorised one: torchless's masks against torch 2.13's
kernels, with oneDNN off (ATen's kernel on any x86 host, with or without AVX512-FP16)."""
import contextlib

import numpy as np
import pytest

import torchless
import torchless.nn.functional as TF
from torchless._kernels import cpu_loops
from torchless._kernels.cpu_loops import vector_bytes

# Values whose gelu (and float16's gradient) ATen's vectorised erf and libm's erf round differently (measured with
# torch 2.13): an array of one of them shows which elements the kernel computed in its scalar code.
_MARKERS = {"float16": -5.254, "float32": -5.1445723}
_ATEN_GRAIN_SIZE = 32768  # at::internal::GRAIN_SIZE
_GELU_MIN_ELEMENTS_FOR_MULTI_THREADING = 16384  # (aten/src/ATen/native/cpu/Activation.cpp, not C10_MOBILE)


def _torch():
    return pytest.importorskip("torch")


@contextlib.contextmanager
def _atens_kernels_on(threads):
    """Both libraries with oneDNN off and ``threads`` threads."""
    torch = _torch()
    before = (torchless.backends.mkldnn.enabled, torch.backends.mkldnn.enabled, torchless.get_num_threads(),
              torch.get_num_threads())
    try:
        torchless.backends.mkldnn.enabled = torch.backends.mkldnn.enabled = False
        torchless.set_num_threads(threads)
        torch.set_num_threads(threads)
        yield torch
    finally:
        torchless.backends.mkldnn.enabled, torch.backends.mkldnn.enabled = before[:2]
        torchless.set_num_threads(before[2])
        torch.set_num_threads(before[3])


def _bits(array):
    array = np.ascontiguousarray(array)
    return array.view({2: np.int16, 4: np.int32}[array.itemsize])


def _chunks(size, threads, grain_size):
    """at::parallel_for's split of ``size`` elements (TensorIterator::for_each: whole below the grain size)."""
    if size <= grain_size or threads == 1:
        return [(0, size)]
    count = min(threads, -(-size // grain_size))
    chunk = -(-size // count)
    return [(start, min(start + chunk, size)) for start in range(0, size, chunk)]


def _expected_scalar_positions(size, run, threads, grain_size, block):
    """Where the kernel's scalar code runs, flat in memory order: the last (length % block) elements of each piece,
    a piece being the elements of one run of ``run`` adjacent elements within one thread's chunk."""
    scalar = np.zeros(size, bool)
    for begin, end in _chunks(size, threads, grain_size):
        piece_starts = sorted({begin} | set(range(-(-begin // run) * run, end, run)))
        for start, stop in zip(piece_starts, piece_starts[1:] + [end]):
            scalar[start + (stop - start) // block * block:stop] = True
    return scalar


def _forward_grain_size(size, threads):
    return size // threads if size > _GELU_MIN_ELEMENTS_FOR_MULTI_THREADING else _ATEN_GRAIN_SIZE


def _marked(lib, dtype, size, run):
    """The marker in ``size`` elements, as runs of ``run`` (rows of a wider array, narrowed) when run < size."""
    value = np.float32(_MARKERS[dtype]).astype(dtype)
    if run == size:
        return lib.tensor(np.full(size, value)).requires_grad_()
    return lib.tensor(np.full((size // run, run + 3), value)).requires_grad_()


def _narrowed(t, size, run):
    return t if run == size else t[:, :run]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("size, run", [(16384, 16384), (16385, 16385), (30000, 30000), (31611, 31611),
                                       (65537, 65537), (100003, 100003), (16000, 1000), (41000, 1000)], ids=str)
@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_gelu_forward_splits_its_loop_by_its_own_grain_size(dtype, size, run, threads):
    with _atens_kernels_on(threads) as torch:
        theirs = torch.nn.functional.gelu(_narrowed(_marked(torch, dtype, size, run), size, run)).detach().numpy()
        ours = TF.gelu(_narrowed(_marked(torchless, dtype, size, run), size, run)).detach().numpy()
        scalar_value = torch.nn.functional.gelu(torch.tensor([_MARKERS[dtype]], dtype=getattr(torch, dtype))).item()
    block = 2 * vector_bytes() // np.dtype(dtype).itemsize
    expected = _expected_scalar_positions(size, run, threads, _forward_grain_size(size, threads), block)
    # (PyTorch's own chunks first: what the test assumes of ATen; then torchless's values, bit for bit)
    np.testing.assert_array_equal(theirs.reshape(-1) == np.asarray(scalar_value, dtype), expected)
    assert not np.array_equal(ours, np.full_like(ours, scalar_value))  # (the marker tells the two erfs apart)
    np.testing.assert_array_equal(_bits(ours), _bits(theirs))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("size, run", [(16385, 16385), (30000, 30000), (65537, 65537), (41000, 1000)], ids=str)
@pytest.mark.parametrize("how", ["ones", "sum"])
def test_float16_gelu_backward_splits_its_loop_by_the_default_grain_size(how, size, run, threads):
    # (float32's backward takes the plain formula, not bit for bit: see numerics33)
    def gradient(lib):
        leaf = _marked(lib, "float16", size, run)
        out = lib.nn.functional.gelu(_narrowed(leaf, size, run))
        out.sum().backward() if how == "sum" else out.backward(lib.ones(out.shape, dtype=lib.float16))
        return _narrowed(leaf.grad, size, run).numpy()

    with _atens_kernels_on(threads) as torch:
        theirs, ours = gradient(torch), gradient(torchless)
        one = torch.tensor([_MARKERS["float16"]], dtype=torch.float16, requires_grad=True)
        torch.nn.functional.gelu(one).backward(torch.ones(1, dtype=torch.float16))
        scalar_value = one.grad.item()
    expected = _expected_scalar_positions(size, run, threads, _ATEN_GRAIN_SIZE, vector_bytes())
    np.testing.assert_array_equal(theirs.reshape(-1) == np.float16(scalar_value), expected)
    np.testing.assert_array_equal(_bits(ours), _bits(theirs))


def test_float16_gelu_backward_rounds_x_times_the_density_before_the_sum():
    # ATen's kernel computes cdf + x pdf as written, in float32, the product rounded first (no fused multiply-add,
    # in its vectors and in its scalar code); near the derivative's zero (x = -0.7518) a fused one differs
    torch = _torch()
    x = np.float16([-0.752] * 64 + [-0.752])
    grads = []
    for lib in (torchless, torch):
        t = lib.tensor(x, requires_grad=True)
        lib.nn.functional.gelu(t).sum().backward()
        grads.append(t.grad.numpy())
    np.testing.assert_array_equal(_bits(grads[0]), _bits(grads[1]))


def test_thread_chunk_follows_at_parallel_for():
    before = torchless.get_num_threads()
    try:
        torchless.set_num_threads(2)
        assert cpu_loops.thread_chunk(30000, 15000) == 15000
        assert cpu_loops.thread_chunk(31611, 31611 // 2) == 15806  # (two chunks, not three of 15805)
        assert cpu_loops.thread_chunk(32768) == 32768  # (not more than the grain size: whole)
        assert cpu_loops.thread_chunk(32769) == 16385
        torchless.set_num_threads(4)
        assert cpu_loops.thread_chunk(70000) == 23334  # (three chunks: at most one per grain size)
        torchless.set_num_threads(1)
        assert cpu_loops.thread_chunk(100000, 10) == 100000
    finally:
        torchless.set_num_threads(before)


def test_scalar_tail_of_runs_split_by_a_chunk_boundary():
    before = torchless.get_num_threads()
    try:
        torchless.set_num_threads(2)
        x = np.zeros((3, 70), np.float16)[:, :66]  # 3 runs of 66, split into chunks of 99 elements
        tail = cpu_loops.scalar_tail(x, vectors=2, grain_size=99)
    finally:
        torchless.set_num_threads(before)
    block = 2 * vector_bytes() // 2
    # pieces [0, 66), [66, 99), [99, 132), [132, 198): each ends in its own tail
    expected = np.zeros(198, bool)
    for start, stop in [(0, 66), (66, 99), (99, 132), (132, 198)]:
        expected[start + (stop - start) // block * block:stop] = True
    np.testing.assert_array_equal(tail.reshape(-1), expected)
