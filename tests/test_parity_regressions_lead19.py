"""Regressions found by the lead in the nineteenth session, each checked against PyTorch."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_with_logits_target_gradient_computed_in_the_inputs_dtype(reduction, weighted):
    # PyTorch's target gradient is input.mul(-grad) (a 0-d grad does not promote it), then cast to the target's
    # dtype: a float32 input gives a float64 target float32-rounded values
    rng = np.random.default_rng(19)
    logits, targets, weights = rng.standard_normal((5, 7)) * 3, rng.random((5, 7)), rng.random(7) + 0.5
    grads = []
    for lib in (torch, torchless):
        x = lib.tensor(logits, dtype=lib.float32, requires_grad=True)
        t = lib.tensor(targets, dtype=lib.float64, requires_grad=True)
        weight = lib.tensor(weights, dtype=lib.float32) if weighted else None
        loss = lib.nn.functional.binary_cross_entropy_with_logits(x, t, weight=weight, reduction=reduction)
        (gt,) = lib.autograd.grad(loss, t)
        assert str(gt.dtype).endswith("float64")
        grads.append(gt.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])
