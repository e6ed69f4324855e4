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
    """A float64 tensor of ``array``: "c" (C order), "cl" (channels-last) or "t" (last two dims transposed), C
    order for a rank that has not the layout."""
    if layout == "cl" and array.ndim in (4, 5):
        return lib.tensor(array).contiguous(memory_format=lib.channels_last if array.ndim == 4 else
                                            lib.channels_last_3d)
    if layout == "t" and array.ndim >= 2:
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


# ---------------------------------------------------------------------------- elementwise backward layouts
_LAYOUT_CASES = {
    "relu": (lambda lib, x: lib.relu(x), 1),
    "relu_module_in_place": (lambda lib, x: lib.nn.ReLU(inplace=True)(x * 1), 1),
    "leaky_relu": (lambda lib, x: lib.nn.functional.leaky_relu(x, 0.1), 1),
    "sigmoid": (lambda lib, x: x.sigmoid(), 1),
    "tanh": (lambda lib, x: x.tanh(), 1),
    "cross_entropy_spatial": (lambda lib, x: lib.nn.functional.cross_entropy(
        x, lib.tensor(np.arange(60).reshape(2, 5, 6) % 3), reduction="none"), 1),
    "cross_entropy_smoothed": (lambda lib, x: lib.nn.functional.cross_entropy(
        x, lib.tensor(np.arange(60).reshape(2, 5, 6) % 3), label_smoothing=0.1), 1),
    "mse_loss": (lambda lib, x, t: lib.nn.functional.mse_loss(x, t, reduction="none"), 2),
    "bce_with_logits": (lambda lib, x, t: lib.nn.functional.binary_cross_entropy_with_logits(
        x, t.sigmoid(), reduction="none"), 2),
    "bce_with_logits_pos_weight": (lambda lib, x, t: lib.nn.functional.binary_cross_entropy_with_logits(
        x, t.sigmoid(), reduction="none", pos_weight=lib.linspace(0.5, 2, 6)), 2),
}


def _layout_outputs_and_gradients(lib, case, layouts, grad_layout):
    fn, arity = _LAYOUT_CASES[case]
    arrays = [np.random.default_rng(k).standard_normal((2, 3, 5, 6)) for k in range(arity)]
    inputs = [_laid_out(lib, a, layout).requires_grad_(True) for a, layout in zip(arrays, layouts)]
    y = fn(lib, *inputs)
    grad = _laid_out(lib, np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)), grad_layout)
    return (y,) + lib.autograd.grad(y, inputs, grad)


@pytest.mark.parametrize("case", sorted(_LAYOUT_CASES))
@pytest.mark.parametrize("layouts, grad_layout", [
    (("cl", "c"), "c"), (("c", "cl"), "cl"), (("cl", "cl"), "cl"), (("t", "t"), "t"), (("t", "cl"), "c"),
    (("c", "t"), "t"),
])
def test_elementwise_backward_layout_is_pytorchs(case, layouts, grad_layout):
    expected = _layout_outputs_and_gradients(torch, case, layouts, grad_layout)
    actual = _layout_outputs_and_gradients(torchless, case, layouts, grad_layout)
    _assert_same_tensors(expected, actual)
