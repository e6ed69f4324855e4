"""Regressions found by the lead in the nineteenth session, each checked against PyTorch."""
import numpy as np
import pytest

import torchless

try:
    import torch
except ImportError:  # the tests against an independent reference still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is the oracle")


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_with_logits_target_gradient_computed_in_the_inputs_dtype(reduction, weighted):
    # PyTorch's target gradient is input.mul(-grad) (a 0-d grad does not promote it), then cast to the target's
    # dtype: a float32 input gives a float64 target float32-rounded values
    rng = np.random.default_rng(19)
    logits, targets, weights = rng.standard_normal((5, 7)) * 3, rng.random((5, 7)), rng.random(7) + 0.5
    grads = []
    for lib in (torch, torchless):
        x = lib.tensor(logits, dtype=lib.float32, requires_grad=True)
        t = lib.tensor(targets, dtype=lib.float64, requires_grad=True)
        weight = lib.tensor(weights, dtype=lib.float32) if weighted else None
        loss = lib.nn.functional.binary_cross_entropy_with_logits(x, t, weight=weight, reduction=reduction)
        (gt,) = lib.autograd.grad(loss, t)
        assert str(gt.dtype).endswith("float64")
        grads.append(gt.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])


_SPREAD_CASES = [((1000,), None), ((37, 53), 1), ((37, 53), 0), ((8, 16, 9), (1, 2)), ((16, 8, 14, 14), (0, 2, 3)),
                 ((3, 4, 5), -1), ((7, 2000), 1)]


@pytest.mark.parametrize("shape, dim", _SPREAD_CASES)
@pytest.mark.parametrize("correction", [0, 1])
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_float32_and_half_spreads_are_the_double_results_rounded_once(shape, dim, correction, dtype):
    # PyTorch's var/std kernels (Welford, or two passes over all elements) accumulate in double: the float32 result
    # is the exact one rounded once; var_mean's mean comes from the same double accumulation
    data = (np.random.default_rng(sum(shape)).standard_normal(shape) * 3 + 1).astype(dtype)
    exact = data.astype(np.float64)
    mean = exact.mean(axis=dim)
    var = ((exact - exact.mean(axis=dim, keepdims=True)) ** 2).sum(axis=dim) / (exact.size // np.size(mean) - correction)
    x = torchless.tensor(data)
    expected = {"var": var, "std": np.sqrt(var)}
    for name in ("var", "std"):
        np.testing.assert_array_equal(getattr(torchless, name)(x, dim=dim, correction=correction).numpy(),
                                      expected[name].astype(dtype))
        spread, mean_out = getattr(torchless, f"{name}_mean")(x, dim=dim, correction=correction)
        np.testing.assert_array_equal(spread.numpy(), expected[name].astype(dtype))
        np.testing.assert_array_equal(mean_out.numpy(), mean.astype(dtype))
        if torch is None:
            continue
        theirs = getattr(torch, f"{name}_mean")(torch.tensor(data), dim=dim, correction=correction)
        np.testing.assert_array_equal(spread.numpy(), theirs[0].numpy())
        np.testing.assert_array_equal(mean_out.numpy(), theirs[1].numpy())


_NUMBER_OPERAND_OPS = {  # ops whose Python-number operand is no input of PyTorch's node
    "rsub": lambda lib, x: 2 - x,
    "masked_fill": lambda lib, x: x.masked_fill(x > 0, 1.0),
    "pow": lambda lib, x: x ** 2,
    "rpow": lambda lib, x: 2 ** x,
    "fmod": lambda lib, x: x.fmod(2),
    "div": lambda lib, x: x / 2,
    "where": lambda lib, x: lib.where(x > 0, x, 0.0),
}


@needs_torch
@pytest.mark.parametrize("op", sorted(_NUMBER_OPERAND_OPS))
def test_node_hooks_see_the_gradients_of_pytorchs_node_inputs(op):
    # a node hook gets (and may replace) one gradient per input of PyTorch's node: none for a number operand
    def record(lib):
        x = lib.tensor([-1.5, 0.5, 2.0], requires_grad=True)
        y = _NUMBER_OPERAND_OPS[op](lib, x)
        seen = []

        def hook(grad_inputs, grad_outputs):
            seen.append([None if g is None else tuple(g.shape) for g in grad_inputs])
            return tuple(None if g is None else g * 10 for g in grad_inputs)

        y.grad_fn.register_hook(hook)
        y.sum().backward()
        return seen, x.grad.tolist()

    assert record(torchless) == record(torch)


@pytest.mark.parametrize("dtype", ["float16", "float32", "int64", "uint8"])
@pytest.mark.parametrize("bounds", [(float("nan"), 1e6), (-1e6, float("nan")), (float("nan"), float("nan")),
                                    (-1, float("nan"))])
def test_clamp_with_a_nan_bound_fills_nan_before_checking_the_other(dtype, bounds):
    # PyTorch's clamp with both bounds fills its result with NaN when either is NaN, before its kernel converts the
    # bounds (so the other one, out of float16's range, raises no overflow error); the gradient is 0 everywhere
    x = torchless.tensor([1, 2, 200], dtype=getattr(torchless, dtype))
    out = x.clamp(*bounds)
    expected_dtype = dtype if dtype.startswith("float") else "float32"
    assert str(out.dtype) == f"torchless.{expected_dtype}"
    assert np.isnan(out.numpy()).all()
    leaf = torchless.tensor([1.0, 2.0], requires_grad=True)
    leaf.clamp(*bounds).sum().backward()
    assert leaf.grad.tolist() == [0.0, 0.0]
    if torch is not None:
        theirs = torch.tensor([1, 2, 200], dtype=getattr(torch, dtype)).clamp(*bounds)
        assert str(theirs.dtype) == f"torch.{expected_dtype}" and torch.isnan(theirs).all()
