"""Convolution, pooling and padding on cases earlier sessions missed (session 26), each checked against torch run on
the same arrays, or against an independent reference where torch is not needed."""
import numpy as np
import pytest

import torchless


def c_strides(shape):
    """The strides (in elements) PyTorch allocates a tensor of ``shape`` with: C order, size-1 dims included."""
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


# ---------------------------------------------------------------- constant padding's gradient is a new tensor
# Padding one side and cropping another: the backward is constant_pad_nd of the gradient, which PyTorch allocates
# in C order; NumPy's view of the grown gradient kept that array's strides on size-1 dims.

PAD_CASES = [((1, 3), (-3, 3)), ((1, 3), (-1, 1)), ((1, 3), (1, -1)), ((1, 1, 4), (-3, 3)), ((1, 1, 4), (1, -1)),
             ((1, 3), (2, -1, -1, 0)), ((1, 1, 4), (2, -1, -1, 0)), ((1, 1, 4), (0, 0, -1, 1)), ((2, 1, 1, 5), (1, -2, 0, 1)),
             ((2, 3, 4), (-1, 1)), ((1, 1, 4), (-1, -1)), ((1, 2, 1, 4), (1, 1, 1, 1))]


@pytest.mark.parametrize("shape, pad", PAD_CASES)
def test_constant_pad_gradient_strides(shape, pad):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    results = []
    for lib in (torch, torchless):
        x = lib.tensor(data, requires_grad=True)
        out = lib.nn.functional.pad(x, pad, value=0.5)
        out.backward(lib.ones_like(out))
        results.append((tuple(out.shape), out.stride(), x.grad.stride(), x.grad.numpy().tolist()))
    assert results[1] == results[0]


def test_constant_pad_gradient_strides_without_torch():
    x = torchless.ones(1, 1, 4, requires_grad=True)
    out = torchless.nn.functional.pad(x, (-3, 3))
    out.backward(torchless.ones_like(out))
    assert x.grad.stride() == c_strides((1, 1, 4))
    assert x.grad.numpy().tolist() == [[[0.0, 0.0, 0.0, 1.0]]]  # [x3, 0, 0, 0]: the first three cropped
    y = torchless.arange(3.0).reshape(1, 3).requires_grad_()
    out = torchless.nn.functional.pad(y, (1, -1))  # [0, y0, y1]: y2 cropped
    out.backward(torchless.tensor([[10.0, 20.0, 30.0]]))
    assert y.grad.stride() == c_strides((1, 3))
    assert y.grad.numpy().tolist() == [[20.0, 30.0, 0.0]]
