"""Parity regressions found by differential fuzzing of losses, optimizers and LR schedulers against PyTorch
(session 42, train42)."""
import numpy as np
import pytest

import torchless


# ---------------------------------------------------------------- binary_cross_entropy's second derivatives

_PROBABILITIES = [1e-3, 0.5, 0.0, 1.0, 1e-7, 0.9]
_TARGETS = [0.3, 0.2, 0.5, 0.5, 1.0, 0.0]


def _bce_second_derivatives(lib, reduction, weighted):
    """The derivatives in the input, the target and the incoming gradient of binary_cross_entropy's input
    gradient (float64), as create_graph=True records it."""
    x = lib.tensor(_PROBABILITIES, dtype=lib.float64, requires_grad=True)
    t = lib.tensor(_TARGETS, dtype=lib.float64, requires_grad=True)
    weight = lib.tensor([0.5, 2.0, 1.0, 1.5, 0.25, 3.0], dtype=lib.float64) if weighted else None
    loss = lib.nn.functional.binary_cross_entropy(x, t, weight=weight, reduction=reduction)
    incoming = lib.full(loss.shape, 0.7, dtype=lib.float64, requires_grad=True)
    gx, = lib.autograd.grad(loss, x, incoming, create_graph=True)
    scaled = gx * lib.tensor([1.0, 2.0, 3.0, 1.0, 2.0, 3.0], dtype=lib.float64)
    return [g.detach().numpy() for g in lib.autograd.grad(scaled.sum(), [x, t, incoming])]


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_second_derivatives_are_pytorchs_formulas(reduction, weighted):
    torch = pytest.importorskip("torch")
    expected = _bce_second_derivatives(torch, reduction, weighted)
    for ours, theirs in zip(_bce_second_derivatives(torchless, reduction, weighted), expected, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=0)


def test_binary_cross_entropy_second_derivatives_shift_the_input_by_1e_12():
    # PyTorch's double backward: (x^2 - 2xt + t) / ((x + 1e-12)^2 (1 - x + 1e-12)^2) in the input,
    # (x - t) / ((x + 1e-12)(1 - x + 1e-12)) in the incoming gradient, -1 / max(x (1 - x), 1e-12) in the target
    x, t = np.array(_PROBABILITIES), np.array(_TARGETS)
    scale = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 3.0])
    dx, dt, dg = _bce_second_derivatives(torchless, "none", False)
    eps = 1e-12
    np.testing.assert_allclose(dx, 0.7 * scale * (x * x - 2 * x * t + t) / ((x + eps) ** 2 * (1 - x + eps) ** 2),
                               rtol=1e-14)
    np.testing.assert_allclose(dg, scale * (x - t) / ((x + eps) * (1 - x + eps)), rtol=1e-14)
    np.testing.assert_allclose(dt, -0.7 * scale / np.maximum((1 - x) * x, eps), rtol=1e-14)
    assert dx[2] == pytest.approx(3 * 0.7 * 0.5 / 1e-24, rel=1e-11)  # (finite at 0, where the gradient clamps)
