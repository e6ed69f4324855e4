"""Differences from PyTorch found by a twelfth differential fuzz audit (randomised CNN-training calls), each compared
with torch.

* l1_loss and mse_loss compute on the two tensors broadcast together, as PyTorch's functional does: a 0-dim tensor's
  dtype then counts as a dimensioned one's (an f32 input and a 0-dim f64 target give an f64 loss);
* torch.broadcast_tensors returns a tensor already of the common shape itself (no view, no ExpandBackward0).
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome

torch = pytest.importorskip("torch")


# ---------------------------------------------------------------------------- broadcast regression losses
@pytest.mark.parametrize("fn", ["l1_loss", "mse_loss"])
@pytest.mark.parametrize("shapes", [((3,), ()), ((), (3,)), ((2, 3), (3,)), ((3,), (3,))])
@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float64", "float32")])
@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_regression_loss_promotes_the_broadcast_tensors(fn, shapes, dtypes, reduction, weighted):
    def call(lib):
        x = lib.tensor(np.linspace(-1, 2, int(np.prod(shapes[0]))).reshape(shapes[0]),
                       dtype=getattr(lib, dtypes[0]), requires_grad=True)
        t = lib.tensor(np.linspace(0, 1, int(np.prod(shapes[1]))).reshape(shapes[1]),
                       dtype=getattr(lib, dtypes[1]), requires_grad=True)
        weight = lib.full(shapes[0], 2.0) if weighted else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loss = getattr(lib.nn.functional, fn)(x, t, reduction=reduction, weight=weight)
        loss.sum().backward()
        return loss, x.grad, t.grad

    assert_same_outcome(call)


def test_broadcast_tensors_returns_a_tensor_of_the_common_shape_itself():
    for lib in (torch, torchless):
        a, b = lib.ones(2, 3, requires_grad=True), lib.ones(3, dtype=lib.float64)
        x, y = lib.broadcast_tensors(a, b)
        assert x is a and x.grad_fn is None and not x._is_view()
        assert y._is_view() and type(y.grad_fn).__name__ == "NoneType"
        assert lib.broadcast_tensors(a, a.detach() + 1)[0] is a
