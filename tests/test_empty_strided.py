"""torchless.empty_strided and Tensor.new_empty_strided: PyTorch's shapes, strides, storage sizes and errors."""

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("size, stride", [((2, 3), (1, 2)), ((2, 3), (3, 1)), ((2, 3), (0, 1)), ((2, 0), (5, 1)),
                                          ((4,), (3,)), ((), ()), ((2, 3, 4), (1, 8, 2)), ([3, 2], [2, 1])])
def test_layout_matches_pytorch(size, stride):
    ours, theirs = torchless.empty_strided(size, stride), torch.empty_strided(size, stride)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.stride() == theirs.stride()
    assert ours.is_contiguous() == theirs.is_contiguous()
    assert ours.dtype == torchless.float32
    assert ours.untyped_storage().nbytes() == theirs.untyped_storage().nbytes()
    assert ours._base is None


def test_writes_land_where_the_strides_say():
    ours = torchless.empty_strided((2, 3), (1, 2), dtype=torchless.float64)
    theirs = torch.empty_strided((2, 3), (1, 2), dtype=torch.float64)
    values = np.arange(6.0).reshape(2, 3)
    ours.copy_(torchless.tensor(values))
    theirs.copy_(torch.tensor(values))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(ours.as_strided((6,), (1,)).numpy(), theirs.as_strided((6,), (1,)).numpy())


def test_keywords_and_the_method_form():
    x = torchless.empty_strided([2, 3], [3, 1], dtype=torchless.float64, requires_grad=True)
    assert x.dtype == torchless.float64 and x.requires_grad
    base = torchless.zeros(1, dtype=torchless.int32)
    made = base.new_empty_strided((2, 2), (1, 2))
    reference = torch.zeros(1, dtype=torch.int32).new_empty_strided((2, 2), (1, 2))
    assert str(made.dtype).split(".")[-1] == str(reference.dtype).split(".")[-1]
    assert made.stride() == reference.stride()


@pytest.mark.parametrize("args", [((2, 3), (1,)), ((2, 3), (-1, 1)), ((-2, 3), (1, 1)), ((2, 3), (1.5, 1)),
                                  ("ab", (1,)), ((2, 3), None)])
def test_errors_match_pytorch(args):
    with pytest.raises(Exception) as theirs:
        torch.empty_strided(*args)
    with pytest.raises(type(theirs.value)) as ours:
        torchless.empty_strided(*args)
    assert str(ours.value) == str(theirs.value)
