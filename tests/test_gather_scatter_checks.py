"""gather / scatter / scatter_add: index checks (dtype, rank, sizes, range) and 0-d tensors, as PyTorch.

An out-of-range or negative index must be PyTorch's RuntimeError naming the index, never NumPy's
IndexError or a silent wrap-around.
"""
import numpy as np
import pytest

import torchless
from helpers import assert_same_error


def calls(lib):
    t, zeros, ones = lib.tensor, lib.zeros, lib.ones
    return {
        "scatter past the end": lambda: zeros(3).scatter(0, t([5]), 1.0),
        "scatter negative": lambda: zeros(3).scatter(0, t([-1]), 1.0),
        "scatter along dim 1": lambda: zeros(2, 3).scatter(1, t([[0, 4]]), 1.0),
        "scatter first bad index in order": lambda: zeros(2, 3).scatter(1, t([[1, 9], [8, 1]]), 1.0),
        "scatter index larger than self": lambda: zeros(2, 3).scatter(1, t([[0], [1], [2]]), 1.0),
        "scatter index larger than src": lambda: zeros(3, 3).scatter(1, t([[0, 1, 2]]), ones(1, 2)),
        "scatter_add index larger than src": lambda: zeros(3, 3).scatter_add(1, t([[0, 1, 2]]), ones(1, 2)),
        "scatter_add past the end": lambda: zeros(3).scatter_add(0, t([3]), ones(1)),
        "scatter 0-d out of range": lambda: t(5.0).scatter(0, t(1), 3.0),
        "gather past the end": lambda: zeros(3).gather(0, t([5])),
        "gather negative": lambda: zeros(2, 3).gather(1, t([[-1]])),
        "gather float index": lambda: zeros(3).gather(0, t([1.0])),
        "gather rank": lambda: zeros(3).gather(0, t([[1]])),
        "gather first bad index in order": lambda: zeros(2, 3).gather(1, t([[7, 9], [8, 1]])),
        "gather index larger than self": lambda: zeros(2, 3).gather(1, t([[0], [1], [2]])),
        "gather 0-d out of range": lambda: t(5.0).gather(0, t(1)),
    }


@pytest.mark.parametrize("case", sorted(calls(torchless)))
def test_bad_indices_raise_pytorchs_error(case):
    torch = pytest.importorskip("torch")
    assert_same_error(calls(torch)[case], calls(torchless)[case])


def test_bad_indices_are_runtime_errors_without_torch():
    for case, call in calls(torchless).items():
        with pytest.raises(RuntimeError):
            call()


def test_zero_dim_tensors_and_indices_count_as_one_element():
    t = torchless.tensor
    assert t(5.0).scatter(0, t(0), 3.0).item() == 3.0
    assert t(5.0).scatter(-1, t(0), 3.0).shape == ()
    assert t(5.0).scatter_add(0, t(0), t(2.0)).item() == 7.0
    z = t(5.0)
    z.scatter_(0, t(0), 3.0)
    assert z.item() == 3.0
    np.testing.assert_array_equal(t(5.0).gather(0, t([0, 0])).numpy(), [5.0, 5.0])
    assert t([4.0, 6.0]).gather(0, t(1)).item() == 6.0
    np.testing.assert_array_equal(torchless.zeros(3).scatter(0, t(1), 2.0).numpy(), [0.0, 2.0, 0.0])


def test_zero_dim_gather_keeps_its_gradient():
    x = torchless.tensor(5.0, requires_grad=True)
    x.gather(0, torchless.tensor([0, 0])).sum().backward()
    assert x.grad.item() == 2.0
