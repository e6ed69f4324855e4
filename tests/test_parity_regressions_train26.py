"""Regression tests for train26's findings: default_collate, losses and optimizers against PyTorch."""
import numpy as np
import pytest

import torchless


def _collated(lib, make_batch):
    result = lib.utils.data.default_collate(make_batch(lib))
    return str(result.dtype).split(".")[-1], result.numpy().tolist()


_SCALAR_BATCHES = {
    "float32 then float": lambda lib: [np.float32(1.5), 2.5],
    "float then float32": lambda lib: (np.float32(1.5), 2.5),
    "float16 then int": lambda lib: [np.float16(0.5), 3],
    "float16 then float": lambda lib: [np.float16(0.5), 2.5],
    "int32 then float": lambda lib: [np.int32(4), 2.5],
    "int32 then int": lambda lib: [np.int32(4), 3],
    "uint8 then bool": lambda lib: [np.uint8(5), True],
    "bool_ then float": lambda lib: [np.bool_(False), 2.5],
    "float64 then float32": lambda lib: [np.float64(2.5), np.float32(1.5)],
    "complex64 then float": lambda lib: [np.complex64(1j), 2.5],
    "float32 then 0-d tensor": lambda lib: [np.float32(1.5), lib.tensor(1.0)],
}


@pytest.mark.parametrize("case", sorted(_SCALAR_BATCHES))
def test_default_collate_of_numpy_scalars_infers_the_dtype_as_torch_as_tensor(case):
    # PyTorch collates a batch starting with a NumPy scalar by torch.as_tensor(batch): a Python number among the
    # scalars counts as of the default dtype. torchless went through np.asarray, where 2.5 is float64, so a float32
    # scalar with a Python float gave a float64 batch.
    torch = pytest.importorskip("torch")
    make_batch = _SCALAR_BATCHES[case]
    assert _collated(torchless, make_batch) == _collated(torch, make_batch)


def test_dataloader_batches_float32_scalars_with_python_floats_as_float32():
    torch = pytest.importorskip("torch")
    samples = [(np.float32(i) / 2, float(i)) for i in range(5)]
    expected = [[(str(t.dtype), t.tolist()) for t in batch] for batch in torch.utils.data.DataLoader(samples, 2)]
    got = [[(str(t.dtype).replace("torchless", "torch"), t.tolist()) for t in batch]
           for batch in torchless.utils.data.DataLoader(samples, 2)]
    assert got == expected


def _bce_gradients(lib, dtype, reduction, weighted, create_graph=False):
    rng = np.random.default_rng(3)
    x, t, w = rng.random((3, 5)), rng.random((3, 5)), rng.random(5) + 0.5
    x[0, :2] = 0.0, 1.0  # (the input's ends: infinite gradients)
    d = getattr(lib, dtype)
    input, target = lib.tensor(x, dtype=d, requires_grad=True), lib.tensor(t, dtype=d, requires_grad=True)
    loss = lib.nn.functional.binary_cross_entropy(input, target, weight=lib.tensor(w, dtype=d) if weighted else None,
                                                  reduction=reduction)
    return lib.autograd.grad(loss.sum(), [input, target], create_graph=create_graph)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_gradients_are_pytorchs_to_the_last_bit(dtype, reduction, weighted):
    # PyTorch's input gradient is grad (x - t) / max((1 - x) x, EPSILON) (EPSILON the float32 1e-12), then times
    # the weight, then over the count; the target's is -logit(x) times grad, weight and 1 / count, unclamped, so
    # infinite at x = 0 or 1. torchless divided by the count first and took the target's from the forward's logs
    # clamped at -100 (a finite 100 w where PyTorch gives inf; float16 gradients off by several units).
    torch = pytest.importorskip("torch")
    got = _bce_gradients(torchless, dtype, reduction, weighted)
    expected = _bce_gradients(torch, dtype, reduction, weighted)
    np.testing.assert_array_equal(got[0].numpy(), expected[0].numpy())
    # (PyTorch's vectorized float32 and float64 logs may differ from NumPy's in the last bit)
    np.testing.assert_allclose(got[1].numpy(), expected[1].numpy(), rtol=0 if dtype == "float16" else 1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_target_gradient_is_infinite_at_the_input_ends_with_create_graph(weighted):
    torch = pytest.importorskip("torch")
    got = _bce_gradients(torchless, "float64", "sum", weighted, create_graph=True)[1].detach().numpy()
    expected = _bce_gradients(torch, "float64", "sum", weighted, create_graph=True)[1].detach().numpy()
    assert np.isposinf(got[0, 0]) and np.isneginf(got[0, 1])
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_binary_cross_entropy_target_gradient_is_minus_logit_of_the_input():
    # an independent reference: d/dt of -(t log x + (1 - t) log(1 - x)) is log(1 - x) - log(x)
    x = np.array([1e-3, 0.25, 0.5, 0.9])
    target = torchless.tensor([0.3, 0.1, 0.7, 0.5], dtype=torchless.float64, requires_grad=True)
    loss = torchless.nn.functional.binary_cross_entropy(torchless.tensor(x), target, reduction="sum")
    (gradient,) = torchless.autograd.grad(loss, target)
    np.testing.assert_allclose(gradient.numpy(), np.log1p(-x) - np.log(x), rtol=1e-12)


def _bce_with_logits_input_gradient(lib, reduction, pos_weighted, weighted):
    rng = np.random.default_rng(4)
    x, t = rng.standard_normal((4, 6)) * 4, rng.random((4, 6))
    half = lib.float16
    input, target = lib.tensor(x, dtype=half, requires_grad=True), lib.tensor(t, dtype=half)
    extra = {"pos_weight": lib.tensor(rng.random(6) + 0.5, dtype=half) if pos_weighted else None,
             "weight": lib.tensor(rng.random(6) + 0.5, dtype=half) if weighted else None}
    loss = lib.nn.functional.binary_cross_entropy_with_logits(input, target, reduction=reduction, **extra)
    (gradient,) = lib.autograd.grad(loss.sum(), input)
    return gradient.numpy()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("pos_weighted", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_with_logits_float16_input_gradient_is_pytorchs(reduction, pos_weighted, weighted):
    # PyTorch's sigmoid of a float16 input is computed in float32 and rounded once, and with pos_weight the
    # gradient is (pos_weight * target + 1 - target) * sigmoid - pos_weight * target; torchless computed the
    # sigmoid in float16 steps (several units off) and the pos_weight factor in another order.
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(_bce_with_logits_input_gradient(torchless, reduction, pos_weighted, weighted),
                                  _bce_with_logits_input_gradient(torch, reduction, pos_weighted, weighted))
