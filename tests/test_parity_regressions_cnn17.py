"""Differences from PyTorch found by a differential fuzz of the CNN surface (convolution, pooling,
normalisation, losses, optimizers), each compared with torch.

* normalisation gradients' layouts: batch norm and group norm write the input's gradient in the memory format the
  input suggests (channels-last or C order), whatever the incoming gradient's layout; instance norm (a batch norm
  of ``input.contiguous()``) writes it C-contiguous.
"""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _laid_out(lib, array, layout):
    """A float64 tensor of ``array``: "c" (C order), "cl" (channels-last) or "t" (last two dims transposed)."""
    if layout == "cl":
        return lib.tensor(array).contiguous(memory_format=lib.channels_last if array.ndim == 4 else
                                            lib.channels_last_3d)
    if layout == "t":
        return lib.tensor(np.ascontiguousarray(np.swapaxes(array, -1, -2))).transpose(-1, -2)
    return lib.tensor(array)


def _assert_same_tensors(expected, actual, rtol=1e-10, atol=1e-12):
    """Same shapes, dtypes, strides and values (float64 ones to ``rtol``/``atol``, float32 ones to their precision)."""
    for theirs, ours in zip(expected, actual, strict=True):
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
        assert tuple(ours.stride()) == tuple(theirs.stride())
        single = theirs.dtype == torch.float32
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6 if single else rtol,
                                   atol=1e-7 if single else atol)


# ---------------------------------------------------------------------------- normalisation gradient layouts
_NORMS = {
    "batch": lambda lib, shape: getattr(lib.nn, f"BatchNorm{len(shape) - 2}d")(shape[1]),
    "batch_eval": lambda lib, shape: getattr(lib.nn, f"BatchNorm{len(shape) - 2}d")(shape[1]).eval(),
    "group": lambda lib, shape: lib.nn.GroupNorm(2, shape[1]),
    "instance": lambda lib, shape: getattr(lib.nn, f"InstanceNorm{len(shape) - 2}d")(shape[1], affine=True),
}


def _norm_outputs_and_gradients(lib, norm, array, input_layout, grad_layout):
    layer = _NORMS[norm](lib, array.shape).double()
    x = _laid_out(lib, array, input_layout).requires_grad_(True)
    y = layer(x)
    grad = _laid_out(lib, np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)), grad_layout)
    return (y,) + lib.autograd.grad(y, [x, *layer.parameters()], grad)


@pytest.mark.parametrize("norm", sorted(_NORMS))
@pytest.mark.parametrize("shape, input_layout, grad_layout", [
    ((2, 4, 3, 5), "cl", "c"),
    ((2, 4, 3, 5), "c", "cl"),
    ((2, 4, 3, 5), "cl", "cl"),
    ((2, 4, 3, 5), "t", "cl"),
    ((2, 4, 3, 2, 2), "cl", "c"),
    ((2, 4, 3, 2, 2), "c", "cl"),
    ((4, 4, 5), "t", "t"),
])
def test_normalisation_input_gradient_layout_is_the_kernels(norm, shape, input_layout, grad_layout):
    array = np.random.default_rng(17).standard_normal(shape)
    expected = _norm_outputs_and_gradients(torch, norm, array, input_layout, grad_layout)
    actual = _norm_outputs_and_gradients(torchless, norm, array, input_layout, grad_layout)
    _assert_same_tensors(expected, actual)


# ---------------------------------------------------------------------------- BCE with logits, mixed dtypes
@pytest.mark.parametrize("input_dtype, target_dtype", [("float32", "float64"), ("float64", "float32")])
@pytest.mark.parametrize("pos_weight", [None, "float32", "float64"])
@pytest.mark.parametrize("weight", [None, "float64"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_bce_with_logits_of_mixed_dtypes_rounds_as_pytorch(input_dtype, target_dtype, pos_weight, weight, reduction):
    rng = np.random.default_rng(17)
    logits, targets = rng.standard_normal((4, 3)) * 3, rng.random((4, 3))
    pos_weights, weights = rng.random(3) * 2, rng.random((4, 1)) * 2

    def loss_and_input_gradient(lib):
        x = lib.tensor(logits.astype(input_dtype), requires_grad=True)
        loss = lib.nn.functional.binary_cross_entropy_with_logits(
            x, lib.tensor(targets.astype(target_dtype)), reduction=reduction,
            weight=None if weight is None else lib.tensor(weights.astype(weight)),
            pos_weight=None if pos_weight is None else lib.tensor(pos_weights.astype(pos_weight)))
        # (PyTorch's input gradient with a pos_weight is a product in the lower precision, not reproduced)
        return (loss,) if pos_weight and input_dtype == "float64" else (loss, lib.autograd.grad(loss.sum(), x)[0])

    _assert_same_tensors(loss_and_input_gradient(torch), loss_and_input_gradient(torchless), rtol=1e-13, atol=1e-15)
