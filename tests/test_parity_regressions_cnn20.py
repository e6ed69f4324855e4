"""Differences from PyTorch 2.13 found by the session-20 differential hunt of the CNN surface, each against torch.

* affine_grid's theta gradient: PyTorch's affine_grid_generator_backward returns (base^T bmm grad).transpose(1, 2),
  a transposed view (strides (k * (k + 1), 1, k)); torchless returned it C-contiguous, and recorded its
  create_graph gradient under other nodes than PyTorch's TransposeBackward0 <- BmmBackward0.
"""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(20)


def _graph(fn, depth=4):
    """The names of a grad_fn's nodes, depth first, ``depth`` levels down."""
    if fn is None or depth == 0:
        return None
    return fn.name(), [_graph(next_fn, depth - 1) for next_fn, _ in fn.next_functions]


# ---------------------------------------------------------------------------- affine_grid's theta gradient
@pytest.mark.parametrize("theta_shape, size", [((2, 2, 3), (2, 1, 3, 4)), ((1, 2, 3), (1, 5, 1, 4)),
                                               ((2, 3, 4), (2, 1, 3, 4, 2))])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("theta_transposed", [False, True])
def test_affine_grid_theta_gradient_is_a_transposed_product(theta_shape, size, dtype, theta_transposed):
    theta = RNG.standard_normal(theta_shape).astype(dtype)
    grad = RNG.standard_normal((size[0], *size[2:], theta_shape[1])).astype(dtype)

    def gradients(lib):
        t = lib.tensor(np.swapaxes(theta, 1, 2).copy()).transpose(1, 2) if theta_transposed else lib.tensor(theta)
        t.requires_grad_(True)
        g = lib.tensor(grad, requires_grad=True)
        first, = lib.autograd.grad(lib.nn.functional.affine_grid(t, size, align_corners=False), t, g,
                                   create_graph=True)
        second, = lib.autograd.grad((first * first).sum(), g)
        return first, second

    (first, second), (ours, ours_second) = gradients(torch), gradients(torchless)
    assert ours.stride() == first.stride()
    assert _graph(ours.grad_fn) == _graph(first.grad_fn)
    np.testing.assert_allclose(ours.detach().numpy(), first.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert ours_second.stride() == second.stride()
    np.testing.assert_allclose(ours_second.numpy(), second.numpy(), rtol=1e-5, atol=1e-6)


def test_affine_grid_theta_gradient_without_create_graph():
    theta = RNG.standard_normal((2, 2, 3))
    grad = RNG.standard_normal((2, 3, 4, 2))
    expected, actual = (lib.autograd.grad(lib.nn.functional.affine_grid(t, (2, 1, 3, 4), align_corners=True), t,
                                          lib.tensor(grad))[0]
                        for lib in (torch, torchless) for t in [lib.tensor(theta, requires_grad=True)])
    assert actual.stride() == expected.stride() == (6, 1, 2)
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-12)


def test_affine_grid_theta_gradient_without_torch():
    """grad_theta[n] = grad[n]^T @ base: for one point at the centre (a 1x1 grid), the last column is the sum."""
    theta = torchless.zeros(1, 2, 3, requires_grad=True)
    grid = torchless.nn.functional.affine_grid(theta, (1, 1, 1, 1), align_corners=False)
    grid.backward(torchless.tensor([[[[2.0, 3.0]]]]))
    np.testing.assert_array_equal(theta.grad.numpy(), [[[0, 0, 2], [0, 0, 3]]])
