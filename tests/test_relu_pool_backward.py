"""max_pool2d(relu(x)): max pooling's backward does the ReLU's mask for it (Relu.masked_by_consumer).

The input gradient must be the one of the two backwards run apart, bit for bit, whether or not the
shortcut is taken, and the shortcut must step aside wherever something else sees the gradient
reaching the ReLU's output (retain_grad, hooks, autograd.grad, create_graph, a second consumer).
The independent reference is a direct NumPy computation: each window's gradient goes to its first
maximum, then only where the ReLU's output is not 0 passes.
"""

import numpy as np
import pytest

import torchless
import torchless.nn.functional as F
from torchless._ops import unary


def pooled_gradient(r, gy, k):
    """What max pooling by tiling k x k windows sends back to its input r: each window's gradient at its
    first maximum (at its last NaN, if any), 0 elsewhere."""
    gr = np.zeros_like(r)
    N, C, Ho, Wo = gy.shape
    for n, c, i, j in np.ndindex(N, C, Ho, Wo):
        window = r[n, c, i * k:(i + 1) * k, j * k:(j + 1) * k].reshape(-1)
        nan = np.isnan(window)
        first = np.flatnonzero(nan)[-1] if nan.any() else int(np.argmax(window))
        gr[n, c, i * k + first // k, j * k + first % k] += gy[n, c, i, j]
    return gr


def reference_input_grad(x, gy, k):
    """d/dx of sum(gy * max_pool2d(relu(x), k)), in NumPy."""
    r = np.maximum(x, 0)
    return np.where(np.isnan(r) | (r > 0), pooled_gradient(r, gy, k), 0)


def inputs(dtype, shape=(3, 4, 8, 8), seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    x[0, 0, :2, :2] = -1.0           # a window of negatives: its maximum's ReLU is 0, its gradient dropped
    x[1, 2, 2:4, 4:6] = 0.0          # a window of zeros
    x[-1, 1, 4, 4] = np.nan          # NaN passes its gradient, as PyTorch's threshold_backward
    gy = rng.standard_normal((shape[0], shape[1], shape[2] // 2, shape[3] // 2)).astype(dtype)
    return x, gy


def grad_of(x_np, gy_np, forward=lambda x: F.max_pool2d(F.relu(x), 2)):
    x = torchless.tensor(x_np, requires_grad=True)
    forward(x).backward(torchless.tensor(gy_np))
    return x.grad.numpy()


def shortcut_taken(monkeypatch):
    """Records each gradient a ReLU node is handed by its consumer."""
    taken = []
    original = unary.Relu.masked_by_consumer

    def spy(self, grad):
        taken.append(grad)
        return original(self, grad)

    monkeypatch.setattr(unary.Relu, "masked_by_consumer", spy)
    return taken


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_matches_the_direct_reference(dtype, monkeypatch):
    taken = shortcut_taken(monkeypatch)
    x, gy = inputs(dtype)
    got = grad_of(x, gy)
    assert taken, "max pooling of a ReLU's output should mask for the ReLU"
    np.testing.assert_array_equal(got, reference_input_grad(x, gy, 2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_is_bitwise_the_unshortcut_one(dtype, monkeypatch):
    x, gy = inputs(dtype, shape=(4, 3, 10, 12), seed=3)
    gy[0, 0, 0, 0], gy[1, 1, 1, 1] = np.inf, np.nan  # an inf or NaN gradient reaches its winner only
    shortcut = grad_of(x, gy)
    monkeypatch.setattr(torchless.nn._functional._pool_nodes, "gradient_unwatched", lambda node: False)
    plain = grad_of(x, gy)
    bits = np.dtype(f"u{np.dtype(dtype).itemsize}")
    np.testing.assert_array_equal(shortcut.view(bits), plain.view(bits))


@pytest.mark.parametrize("pool", [
    lambda F, x: F.max_pool2d(F.relu(x), 3, 2, 1),                     # overlapping windows over padding
    lambda F, x: F.max_pool2d(F.relu(x), 3, 1, 1, ceil_mode=True),
    lambda F, x: F.max_pool2d(F.relu(x), 2, dilation=2),
    lambda F, x: F.max_pool1d(F.relu(x.flatten(2)), 3, 2),             # 1-D pooling
    lambda F, x: F.max_pool2d(F.relu(x[0]), 2),                        # an unbatched (C, H, W) input
])
def test_other_windows_match_pytorch(pool, monkeypatch):
    torch = pytest.importorskip("torch")
    taken = shortcut_taken(monkeypatch)
    x, _ = inputs(np.float32, shape=(2, 3, 9, 9), seed=5)
    grads = []
    for lib in (torchless, torch):
        xt = lib.tensor(x, requires_grad=True)
        y = pool(lib.nn.functional, xt)
        y.backward(lib.tensor(np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(np.float32)))
        grads.append(xt.grad.numpy())
    assert taken
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6, atol=1e-6)


def test_a_second_consumer_of_the_relu_output(monkeypatch):
    taken = shortcut_taken(monkeypatch)
    x, gy = inputs(np.float64)
    x = np.nan_to_num(x)  # r * r of a NaN would be NaN in either term

    def two_consumers(t):
        r = F.relu(t)
        return F.max_pool2d(r, 2) + (r * r)[:, :, ::2, ::2]
    x_t = torchless.tensor(x, requires_grad=True)
    two_consumers(x_t).backward(torchless.tensor(gy))
    expected = reference_input_grad(x, gy, 2)
    r = np.maximum(x, 0)
    square = np.zeros_like(x)
    square[:, :, ::2, ::2] = 2 * r[:, :, ::2, ::2] * gy
    assert taken  # offered, but the ReLU receives the sum, a new array, and masks it itself
    np.testing.assert_allclose(x_t.grad.numpy(), expected + np.where(r > 0, square, 0), rtol=1e-12)


def _retained(r, y, gy, xt):
    r.retain_grad()
    y.backward(gy)
    return r.grad, xt.grad


def _hooked(r, y, gy, xt):
    seen = []
    r.register_hook(seen.append)
    y.backward(gy)
    return seen[0], xt.grad


def _asked_for(r, y, gy, xt):
    return torchless.autograd.grad(y, (r, xt), gy)


@pytest.mark.parametrize("watch", [_retained, _hooked, _asked_for])
def test_whatever_watches_the_relu_gradient_sees_it_unmasked(watch, monkeypatch):
    taken = shortcut_taken(monkeypatch)
    x, gy = inputs(np.float64)
    xt = torchless.tensor(x, requires_grad=True)
    r = F.relu(xt)
    seen, gx = watch(r, F.max_pool2d(r, 2), torchless.tensor(gy), xt)
    assert not taken
    # The pooled gradient itself, even at winners whose ReLU output is 0 (the window of negatives).
    np.testing.assert_array_equal(seen.numpy(), pooled_gradient(np.maximum(x, 0), gy, 2))
    np.testing.assert_array_equal(gx.numpy(), reference_input_grad(x, gy, 2))


def test_double_backward_through_the_pair():
    x, gy = inputs(np.float64)
    xt = torchless.tensor(x, requires_grad=True)
    (gx,) = torchless.autograd.grad(F.max_pool2d(F.relu(xt), 2), xt, torchless.tensor(gy), create_graph=True)
    np.testing.assert_array_equal(gx.detach().numpy(), reference_input_grad(x, gy, 2))


def test_pooled_output_changed_in_place_before_backward():
    # PyTorch lets the pooled output change in place (max pooling saves its input and indices, not its
    # output): the mask is the one of the values pooled, not of what the output holds later.
    x, gy = inputs(np.float64)
    xt = torchless.tensor(x, requires_grad=True)
    y = F.max_pool2d(F.relu(xt), 2)
    z = y.clone()
    with torchless.no_grad():
        y.fill_(0.0)
    (y * 1 + z * 0).backward(torchless.tensor(gy))
    np.testing.assert_array_equal(xt.grad.numpy(), reference_input_grad(x, gy, 2))


def test_retain_graph_second_backward_gives_the_same_gradient():
    x, gy = inputs(np.float32)
    xt = torchless.tensor(x, requires_grad=True)
    y = F.max_pool2d(F.relu(xt), 2)
    y.backward(torchless.tensor(gy), retain_graph=True)
    first = xt.grad.numpy().copy()
    y.backward(torchless.tensor(gy))
    np.testing.assert_array_equal(xt.grad.numpy(), 2 * first)
    np.testing.assert_array_equal(first, reference_input_grad(x, gy, 2))
