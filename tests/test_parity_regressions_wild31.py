"""Teaching and training programs run unchanged under ``python -m torchless.as_torch``, each compared with PyTorch
running the same script: every printed line and, within float32's precision, the tensors a script saves.

Fixed on the way:

- Deterministic mode (``torch.use_deterministic_algorithms(True)``, as reproducibility recipes set it) fills
  uninitialised memory as PyTorch does: ``empty``, ``empty_like``, ``empty_strided``, ``new_empty``, the legacy
  constructors' sizes (``torch.Tensor(3)``, ``t.new(2)``) and what ``resize_`` adds beyond the old storage hold NaN
  (floating, complex) or the dtype's largest value (integers; True for bool), unless
  ``torch.utils.deterministic.fill_uninitialized_memory`` (a module that was missing) is set to False.
- ``torch.backends.cudnn.flags(...)``, the context manager seeding recipes and test suites use, was missing, and
  ``cudnn.benchmark_limit`` was 10 where PyTorch without cuDNN has None.
"""
import pytest

import torchless

torch = pytest.importorskip("torch")


@pytest.fixture
def deterministic():
    """Deterministic mode on in both libraries for the test, off again after it."""
    for lib in (torch, torchless):
        lib.use_deterministic_algorithms(True)
    yield
    for lib in (torch, torchless):
        lib.use_deterministic_algorithms(False)
        lib.utils.deterministic.fill_uninitialized_memory = True


UNINITIALIZED = {
    "empty": lambda lib, dtype: lib.empty(2, 3, dtype=dtype),
    "empty channels_last": lambda lib, dtype: lib.empty(1, 2, 2, 2, dtype=dtype, memory_format=lib.channels_last),
    "empty_like": lambda lib, dtype: lib.empty_like(lib.ones(3, 2, dtype=dtype).t()),
    "empty_strided": lambda lib, dtype: lib.empty_strided((2, 3), (1, 2), dtype=dtype),
    "empty_permuted": lambda lib, dtype: lib.empty_permuted((2, 3), (1, 0), dtype=dtype),
    "new_empty": lambda lib, dtype: lib.ones(2, dtype=dtype).new_empty((3,)),
    "new_empty_strided": lambda lib, dtype: lib.ones(2, dtype=dtype).new_empty_strided((2,), (2,)),
    "new": lambda lib, dtype: lib.ones(2, dtype=dtype).new(2, 2),
    "new Size": lambda lib, dtype: lib.ones(2, dtype=dtype).new(lib.Size([3])),
    "resize_ grows": lambda lib, dtype: lib.ones(2, 3, dtype=dtype).resize_(3, 3),
    "resize_ of a transposed tensor": lambda lib, dtype: lib.ones(2, 2, dtype=dtype).t().resize_(3, 2),
    "resize_ within the storage": lambda lib, dtype: lib.ones(6, dtype=dtype).resize_(2).resize_(5),
    "resize_as_": lambda lib, dtype: lib.ones(2, dtype=dtype).resize_as_(lib.ones(3)),
    "empty out=": lambda lib, dtype: lib.empty(3, dtype=dtype, out=lib.ones(2, dtype=dtype)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "int64", "int32", "int8", "uint8", "bool"])
@pytest.mark.parametrize("make", UNINITIALIZED.values(), ids=UNINITIALIZED.keys())
def test_deterministic_mode_fills_uninitialized_memory_as_pytorch(deterministic, make, dtype):
    expected = make(torch, getattr(torch, dtype))
    got = make(torchless, getattr(torchless, dtype))
    assert str(got.dtype).replace("torchless.", "torch.") == str(expected.dtype)
    assert got.shape == expected.shape and got.stride() == expected.stride()
    torch.testing.assert_close(torch.from_numpy(got.numpy().copy()), expected, rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("name", ["Tensor", "FloatTensor", "LongTensor", "IntTensor", "BoolTensor", "DoubleTensor"])
def test_deterministic_mode_fills_the_legacy_constructors_sizes(deterministic, name):
    expected, got = getattr(torch, name)(2, 2), getattr(torchless, name)(2, 2)
    torch.testing.assert_close(torch.from_numpy(got.numpy().copy()), expected, rtol=0, atol=0, equal_nan=True)


def test_fill_uninitialized_memory_switches_the_fill_off(deterministic):
    for lib in (torch, torchless):
        assert lib.utils.deterministic.fill_uninitialized_memory is True
        lib.utils.deterministic.fill_uninitialized_memory = False
        assert lib.utils.deterministic.fill_uninitialized_memory is False
    assert torchless.empty(3).tolist() == [0.0, 0.0, 0.0]  # (torchless's memory is zeroed; PyTorch's stale)
    assert torchless.ones(2).resize_(4).tolist() == [1.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize("value", [None, 1, 1.0, "True"])
def test_fill_uninitialized_memory_takes_a_bool_only(value):
    messages = []
    for lib in (torch, torchless):
        with pytest.raises(RuntimeError) as caught:
            lib.utils.deterministic.fill_uninitialized_memory = value
        messages.append(str(caught.value))
        assert lib.utils.deterministic.fill_uninitialized_memory is True
    assert messages[1] == messages[0]


def test_without_deterministic_mode_empty_stays_zeroed():
    assert not torchless.are_deterministic_algorithms_enabled()
    assert torchless.empty(2, dtype=torchless.int64).tolist() == [0, 0]
    assert torchless.ones(2).new(2).tolist() == [0.0, 0.0]


def test_cudnn_flags_set_every_flag_for_the_block_and_restore_them():
    outcomes = []
    for lib in (torch, torchless):
        cudnn = lib.backends.cudnn
        cudnn.benchmark, cudnn.deterministic = True, True
        try:
            seen = []
            with cudnn.flags(enabled=True, deterministic=True):  # the others go to flags's defaults for the block
                seen.append((cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32,
                             cudnn.benchmark_limit))
                with cudnn.flags():
                    seen.append((cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32))
            seen.append((cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.benchmark_limit))
            seen.append(cudnn.set_flags(False, None, 5, None))
            seen.append(cudnn.set_flags(*seen[-1]))
            seen.append((cudnn.fp32_precision, cudnn.depthwise_kernel))
        finally:
            cudnn.benchmark, cudnn.deterministic, cudnn.enabled = False, False, True
        outcomes.append(seen)
    assert outcomes[1] == outcomes[0]
