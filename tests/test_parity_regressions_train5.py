"""Differences from PyTorch found by a fifth differential fuzz of the training surface, each compared with torch.

* nn.Linear / F.linear with no elements to multiply (in_features or out_features 0, an empty batch of any rank):
  forward, backward and create_graph backward;
* nn.Unflatten: its size checks whatever ``dim`` is, Python ints only.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import Raised, outcome

torch = pytest.importorskip("torch")


def _both(fn):
    """``fn(torch)`` and ``fn(torchless)``, warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return outcome(lambda: fn(torch)), outcome(lambda: fn(torchless))


def assert_same_outcome(fn, compare=lambda theirs, ours: theirs == ours):
    """``fn(lib)`` raises the same error in both libraries (``torch.`` read as ``torchless.``), or returns
    results for which ``compare(torch's, torchless's)`` holds."""
    expected, actual = _both(fn)
    if isinstance(expected, Raised):
        assert actual == (expected.type, expected.message.replace("torch.", "torchless.")), actual
        return
    assert not isinstance(actual, Raised), actual
    assert compare(expected, actual), (expected, actual)


def _arrays(value):
    """Tensors (nested in tuples/lists) as NumPy arrays, other values as they are."""
    if isinstance(value, (tuple, list)):
        return type(value)(_arrays(v) for v in value)
    if hasattr(value, "detach"):
        return value.detach().numpy()
    return value


def _close(theirs, ours, rtol=1e-5, atol=1e-6):
    theirs, ours = _arrays(theirs), _arrays(ours)
    if isinstance(theirs, (tuple, list)):
        return len(theirs) == len(ours) and all(_close(t, o, rtol, atol) for t, o in zip(theirs, ours))
    if isinstance(theirs, np.ndarray):
        return (isinstance(ours, np.ndarray) and theirs.shape == ours.shape and theirs.dtype == ours.dtype
                and np.allclose(theirs, ours, rtol=rtol, atol=atol, equal_nan=True))
    return theirs == ours


# ---------------------------------------------------------------------------- Linear with no elements
@pytest.mark.parametrize("input_shape, features", [((2, 0), (0, 4)), ((2, 5, 0), (0, 4)), ((2, 3), (3, 0)),
                                                   ((2, 5, 3), (3, 0)), ((0, 3), (3, 2)), ((0,), (0, 2))])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_with_no_elements_to_multiply(input_shape, features, bias):
    def run(lib):
        layer = lib.nn.Linear(*features, bias=bias)
        with lib.no_grad():
            for p in layer.parameters():
                p.fill_(0.5)
        x = lib.ones(input_shape, requires_grad=True)
        y = layer(x)
        y.sum().backward()
        (gx,) = lib.autograd.grad(layer(x).sum(), x, create_graph=True)
        return y, x.grad, layer.weight.grad, gx

    assert_same_outcome(run, _close)


# ---------------------------------------------------------------------------- Unflatten
@pytest.mark.parametrize("dim, sizes", [(1, (2, 3)), ("a", (("x", 2),)), (1, (np.int64(2), 3)), (1, (True, 3)),
                                        (1, 6), ("a", (2, 3)), (1, [2, 3])])
def test_unflatten_checks_its_sizes(dim, sizes):
    assert_same_outcome(lambda lib: repr(lib.nn.Unflatten(dim, sizes)))
