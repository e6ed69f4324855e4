"""Regression tests for train22's findings: losses, activations, normalisation, optimizers and schedulers against
PyTorch."""
import numpy as np
import pytest

import torchless


def _softplus_second_derivative(lib, values, dtype, beta, threshold):
    x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
    y = lib.nn.functional.softplus(x, beta=beta, threshold=threshold)
    (gradient,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
    (curvature,) = lib.autograd.grad((gradient * gradient).sum(), x)
    return gradient.detach().numpy(), curvature.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("beta, threshold", [(1, 1), (1, 0), (0.5, 0.5), (2, 0.5), (-1.0, 1), (2, 20)])
def test_softplus_double_backward_drops_curvature_at_the_threshold(dtype, beta, threshold):
    # PyTorch's softplus_double_backward keeps sigmoid's derivative only where beta x < threshold, while forward and
    # backward take the linear branch only where beta x > threshold: at beta x == threshold the gradient is the
    # smooth one but its derivative through x is 0. torchless differentiated the smooth branch there.
    torch = pytest.importorskip("torch")
    values = [0.0, -3.0, 3.0, 1.0, 0.25, -0.25, 0.5, -1.0, 10.0]
    expected = _softplus_second_derivative(torch, values, dtype, beta, threshold)
    got = _softplus_second_derivative(torchless, values, dtype, beta, threshold)
    for actual, wanted in zip(got, expected):
        np.testing.assert_allclose(actual, wanted, rtol=1e-6, atol=1e-7)
