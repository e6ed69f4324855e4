"""Differences from PyTorch 2.13 found by the session-22 differential hunt of the convolution surface, each against
torch.

* circular padding with a negative width: PyTorch crops by slicing, copies what is left into the output's centre,
  then fills the padding by copies within the output; its gradient is those copies' (CopySlices) undone in
  reverse. torchless summed, for each input cell, the gradients of every output cell repeating it, which differs
  where a padding is wider than the cells kept (PyTorch's copy then reads cells it has just written, and its
  gradient moves only the last copy's).
"""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(22)


# ---------------------------------------------------------------------------- circular padding's negative widths
@pytest.mark.parametrize("shape, pad", [
    ((2, 5), (-3, 4)),  # the right padding (4) wider than the 2 cells kept
    ((3, 4), (-2, 1)),
    ((1, 3, 4), (-2, 2)),
    ((3, 1, 4), (-3, 4)),
    ((2, 5, 5, 5, 2), (-1, 2, -1, 0, 2, 0)),
    ((2, 2, 3, 4), (1, -2, 3, -1)),  # a left padding beside a right crop
    ((1, 2, 3, 4, 5), (-2, 3, 2, -1, 1, 1)),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_circular_pad_gradient_of_a_crop_undoes_pytorchs_copies(shape, pad, dtype):
    x = RNG.standard_normal(shape).astype(dtype)

    def gradient(lib):
        t = lib.tensor(x, requires_grad=True)
        out = lib.nn.functional.pad(t, pad, mode="circular")
        grad = np.linspace(-9, 9, out.numel()).reshape(tuple(out.shape)).astype(dtype)
        return lib.autograd.grad(out, t, lib.tensor(grad))[0]

    np.testing.assert_allclose(gradient(torchless).numpy(), gradient(torch).numpy(), rtol=1e-6, atol=1e-6)


def test_circular_pad_gradient_of_a_crop_without_torch():
    """(-2, 3) on 4 cells keeps cells 2 and 3 and pads them to [2 3 | 2 3 2]. Undone in reverse: the right copy
    (out[2:5] = out[0:3]) moves out[2:5]'s gradient onto out[0:3], zeroing it first, so out[4]'s lands on out[2],
    outside the centre copied from the input, and is lost: cell 2 gets 1 + 4, cell 3 gets 2 + 8 (16 is dropped;
    a sum over the repeats would give 21 and 10)."""
    x = torchless.zeros(2, 1, 4, requires_grad=True)  # (one row only would be a copy_ PyTorch refuses)
    torchless.nn.functional.pad(x, (-2, 3), mode="circular").backward(torchless.tensor([[[1.0, 2, 4, 8, 16]]] * 2))
    assert x.grad.tolist() == [[[0.0, 0.0, 5.0, 10.0]]] * 2
