"""Differences from PyTorch in float32 numbers, found by the audit of tests/close8_audit.py (every CNN op in
torchless and torch on the same inputs, forward values and gradients compared by ``torch.testing.assert_close``
at its default tolerances), where torchless was farther from the exact result than PyTorch:

* cumsum (and its backward, a running sum from the end) of float32 accumulates in float64 and rounds each
  running sum once, as PyTorch's CPU kernel does: NumPy's float32 running sums drifted (100000 terms of about
  10: 5.4 off; 1000: 0.02);
* sum and mean of float32 over an outer dim (dim 0 of a matrix, (0, 2, 3) of an image batch) are accumulated
  in float64: NumPy adds those rows one after another in float32 (1000 rows of about 10: 0.015 off, where
  PyTorch's cascade sum is 0.002 off);
"""
import numpy as np
import pytest

import torchless
from close8_audit import compare, randn

torch = pytest.importorskip("torch")


def _values(fn, array):
    """fn(torchless tensor of array) and fn(torch tensor of array), as numpy arrays."""
    ours = fn(torchless.tensor(array)).numpy()
    theirs = fn(torch.tensor(array)).numpy()
    return ours, theirs


@pytest.mark.parametrize("shape,dim", [((100_000,), 0), ((1000, 1003), 1), ((1000, 1003), 0), ((7, 300, 5), 1)])
def test_float32_cumsum_is_accumulated_in_float64(shape, dim):
    x = (randn(*shape, scale=3) + 10).astype(np.float32)
    ours, theirs = _values(lambda t: t.cumsum(dim), x)
    torch.testing.assert_close(torch.from_numpy(ours), torch.from_numpy(theirs))
    exact = np.cumsum(x.astype(np.float64), axis=dim)
    np.testing.assert_array_equal(ours, exact.astype(np.float32))  # correctly rounded running sums


def test_float32_cumsum_backward_matches_torch():
    assert compare("cumsum", lambda lib, x: x.cumsum(0), [randn(20_000, 3, scale=3) + 10], dtypes=(np.float32,)) == []


@pytest.mark.parametrize("fn", [lambda t: t.sum(0), lambda t: t.mean(0), lambda t: t.sum((0, 2)),
                                lambda t: t.mean((0, 2)), lambda t: t.sum(1, keepdim=True)])
def test_float32_sum_over_outer_dims_matches_torch(fn):
    x = (randn(1000, 40, 31, scale=3) + 10).astype(np.float32)
    ours, theirs = _values(fn, x)
    torch.testing.assert_close(torch.from_numpy(ours), torch.from_numpy(theirs))
    exact = fn(torch.tensor(x.astype(np.float64))).numpy()
    assert np.abs(ours - exact).max() <= np.abs(theirs - exact).max()
