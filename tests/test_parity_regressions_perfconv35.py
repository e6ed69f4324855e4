"""A convolution's backward computes only the gradients the graph needs (perfconv35).

A network's first convolution reads the images, which do not require grad: its input gradient (in the classic
MNIST CNN as costly as its forward) must not be computed, nor a frozen weight's gradient. These tests count the
kernel calls a backward makes and hold the gradients it does compute to a float64 direct convolution written here
and to PyTorch at run time.
"""

import numpy as np
import pytest

import torchless
from torchless._kernels import conv


def reference_conv(x, w, padding):
    """float64 direct cross-correlation, stride 1, symmetric padding: a sum over the taps of shifted windows."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    kH, kW = w.shape[2:]
    Ho, Wo = xp.shape[2] - kH + 1, xp.shape[3] - kW + 1
    y = np.zeros((x.shape[0], w.shape[0], Ho, Wo))
    for i in range(kH):
        for j in range(kW):
            y += np.einsum("nchw,oc->nohw", xp[:, :, i:i + Ho, j:j + Wo], w[:, :, i, j])
    return y


def reference_gradients(x, w, gy, padding):
    """float64 (input gradient, weight gradient) of the convolution above, by its definition tap by tap."""
    x, w, gy = (np.asarray(a, np.float64) for a in (x, w, gy))
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    gxp = np.zeros_like(xp)
    gw = np.zeros_like(w)
    kH, kW = w.shape[2:]
    Ho, Wo = gy.shape[2:]
    for i in range(kH):
        for j in range(kW):
            gw[:, :, i, j] = np.einsum("nohw,nchw->oc", gy, xp[:, :, i:i + Ho, j:j + Wo])
            gxp[:, :, i:i + Ho, j:j + Wo] += np.einsum("nohw,oc->nchw", gy, w[:, :, i, j])
    H, W = x.shape[2:]
    return gxp[:, :, padding:padding + H, padding:padding + W], gw


class CallCounter:
    """A kernel of torchless._kernels.conv, wrapped to record the shapes of the gy it was called with (the per-shard
    kernels: a split call computes a gradient, or both, image slice by image slice)."""

    def __init__(self, monkeypatch, name):
        self.calls = []
        original = getattr(conv, name)

        def counted(gy, *args, **kwargs):
            self.calls.append(gy.shape)
            return original(gy, *args, **kwargs)
        monkeypatch.setattr(conv, name, counted)


def gradients_of(calls):
    """The gy shapes of the gradients computed, a split call's shards (slices of one gy's images) put together."""
    images = {}
    for shape in calls:
        images[shape[1:]] = images.get(shape[1:], 0) + shape[0]
    return sorted((count, *rest) for rest, count in images.items())


def assert_float32_close(got, reference):
    reference = np.asarray(reference, np.float64)
    scale = max(1.0, float(np.abs(reference).max()))
    np.testing.assert_allclose(np.asarray(got, np.float64), reference, rtol=1e-4, atol=1e-5 * scale)


# (batch, channels, size, first layer's outputs, second layer's outputs, padding): the course CNN's layers
# (shifted gathered columns in chunks), the classic MNIST CNN's first two (unpadded), a small odd one
TWO_LAYERS = [(64, 1, 28, 5, 10, 1), (4, 1, 28, 32, 64, 0), (3, 2, 9, 3, 4, 1)]


@pytest.mark.parametrize("batch, channels, size, hidden, outputs, padding", TWO_LAYERS)
def test_first_layer_input_gradient_is_not_computed(monkeypatch, batch, channels, size, hidden, outputs, padding):
    rng = np.random.default_rng(batch * 100 + hidden)
    x = rng.random((batch, channels, size, size), dtype=np.float32)
    w1 = (rng.standard_normal((hidden, channels, 3, 3)) / 3).astype(np.float32)
    w2 = (rng.standard_normal((outputs, hidden, 3, 3)) / (3 * hidden ** 0.5)).astype(np.float32)
    inner = size + 2 * padding - 2
    gy = rng.standard_normal((batch, outputs, inner + 2 * padding - 2, inner + 2 * padding - 2)).astype(np.float32)
    inputs = CallCounter(monkeypatch, "_backward_input_whole")
    weights = CallCounter(monkeypatch, "_backward_weight_whole")
    F = torchless.nn.functional
    tw1, tw2 = torchless.tensor(w1, requires_grad=True), torchless.tensor(w2, requires_grad=True)
    hidden_map = F.conv2d(torchless.tensor(x), tw1, padding=padding)
    F.conv2d(hidden_map, tw2, padding=padding).backward(torchless.tensor(gy))
    # one input gradient (the second layer's, into the hidden map), two weight gradients
    assert gradients_of(inputs.calls) == [gy.shape]
    assert len(gradients_of(weights.calls)) == 2
    h = reference_conv(x, w1, padding)
    gh, gw2 = reference_gradients(h, w2, gy, padding)
    _, gw1 = reference_gradients(x, w1, gh, padding)
    assert_float32_close(tw2.grad.numpy(), gw2)
    assert_float32_close(tw1.grad.numpy(), gw1)


def test_frozen_weight_gradient_is_not_computed(monkeypatch):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((8, 5, 14, 14)).astype(np.float32)
    w = (rng.standard_normal((10, 5, 3, 3)) / 7).astype(np.float32)
    gy = rng.standard_normal((8, 10, 14, 14)).astype(np.float32)
    weights = CallCounter(monkeypatch, "_backward_weight_whole")
    tx = torchless.tensor(x, requires_grad=True)
    tw = torchless.tensor(w)
    torchless.nn.functional.conv2d(tx, tw, padding=1).backward(torchless.tensor(gy))
    assert weights.calls == []
    assert tw.grad is None
    assert_float32_close(tx.grad.numpy(), reference_gradients(x, w, gy, 1)[0])


def mnist_cnn(nn):
    """PyTorch's examples/mnist CNN (benchmarks/run.py's classic MNIST CNN), written for either library."""
    class MnistCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = nn.functional.relu(self.conv1(x))
            x = nn.functional.max_pool2d(nn.functional.relu(self.conv2(x)), 2).flatten(1)
            return self.fc2(nn.functional.relu(self.fc1(x)))
    return MnistCNN()


def test_mnist_cnn_backward_computes_one_input_gradient_and_matches_torch(monkeypatch):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(35)
    images = rng.random((4, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 4)
    torch.manual_seed(0)
    theirs = mnist_cnn(torch.nn)
    ours = mnist_cnn(torchless.nn)
    ours.load_state_dict({key: torchless.tensor(value.detach().numpy()) for key, value in theirs.state_dict().items()})
    inputs = CallCounter(monkeypatch, "_backward_input_whole")
    torchless.nn.functional.cross_entropy(ours(torchless.tensor(images)), torchless.tensor(labels)).backward()
    torch.nn.functional.cross_entropy(theirs(torch.tensor(images)), torch.tensor(labels)).backward()
    assert gradients_of(inputs.calls) == [(4, 64, 24, 24)]  # conv2's, never conv1's
    their_grads = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        reference = their_grads[name].grad.numpy()
        scale = max(1e-3, float(np.abs(reference).max()))
        np.testing.assert_allclose(parameter.grad.numpy(), reference, rtol=1e-3, atol=1e-4 * scale, err_msg=name)
