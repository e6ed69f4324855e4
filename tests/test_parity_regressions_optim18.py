"""Regression tests for optim18's findings: optimizer trajectories and errors compared with PyTorch."""
import numpy as np
import pytest

import torchless


def _trajectory(lib, name, params, grads, options):
    """The parameters (as NumPy arrays) after each of ``name``'s steps on ``grads``; ``options(lib)`` gives the
    optimizer's keyword arguments (tensors of that library where wanted)."""
    tensors = [lib.tensor(p.copy(), requires_grad=True) for p in params]
    optimizer = getattr(lib.optim, name)(tensors, **options(lib))
    steps = []
    for step_grads in grads:
        for tensor, grad in zip(tensors, step_grads):
            tensor.grad = lib.tensor(grad)
        optimizer.step()
        steps.append([t.detach().numpy().copy() for t in tensors])
    return steps


def _float64_problem(steps=5):
    rng = np.random.default_rng(18)
    params = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    grads = [[rng.standard_normal(p.shape) for p in params] for _ in range(steps)]
    return params, grads


def _assert_same_trajectory(name, options, rtol=1e-13):
    torch = pytest.importorskip("torch")
    params, grads = _float64_problem()
    expected = _trajectory(torch, name, params, grads, options)
    got = _trajectory(torchless, name, params, grads, options)
    for step, (expected_step, got_step) in enumerate(zip(expected, got)):
        for e, g in zip(expected_step, got_step):
            np.testing.assert_allclose(g, e, rtol=rtol, atol=1e-15, err_msg=f"step {step}")


def _tensor_betas(lib):
    return (lib.tensor(0.8), lib.tensor(0.3))


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("tensor_lr", [False, True])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_float32_tensor_betas_round_bias_corrections_as_tensor_arithmetic(name, tensor_lr, amsgrad):
    # Betas given as float32 tensors make PyTorch's bias corrections (1 - beta ** step, its square root) and step size
    # float32 tensors, a Python lr over them a reciprocal times the lr: for float64 parameters the updates differed
    # from torchless's (Python-float arithmetic) by ~2e-9 relative.
    def options(lib):
        return {"lr": lib.tensor(0.01) if tensor_lr else 0.01, "betas": _tensor_betas(lib), "amsgrad": amsgrad,
                "weight_decay": 0.1}

    _assert_same_trajectory(name, options)


FUSED_CASES = [(name, extra, tensor_betas) for name, extra in [
    ("Adam", {}), ("Adam", {"weight_decay": 0.1}), ("AdamW", {}), ("AdamW", {"amsgrad": True})]
    for tensor_betas in (False, True)] + [
    ("Adagrad", {"lr_decay": 0.1}, False), ("Adagrad", {"lr_decay": 0.1, "weight_decay": 0.1}, False)]


@pytest.mark.parametrize("name, extra, tensor_betas", FUSED_CASES)
def test_fused_kernels_take_tensor_hyperparameters_as_doubles(name, extra, tensor_betas):
    # PyTorch's fused kernels read a tensor lr (and betas) as a double and compute in double for float64 parameters,
    # where the for-loop kernel's 0-d tensor arithmetic rounds to float32: torchless's fused steps followed the
    # latter (up to 7e-8 relative for AdamW, whose decay 1 - lr * weight_decay lost most digits in float32).
    def options(lib):
        chosen = {"lr": lib.tensor(0.01), "fused": True, **extra}
        if tensor_betas:
            chosen["betas"] = _tensor_betas(lib)
        return chosen

    _assert_same_trajectory(name, options)


def _fused_sgd_after_a_missed_gradient(lib, dtypes, first_step_grads):
    """Two fused SGD steps, the first without the gradients ``first_step_grads`` leaves out: the second step's
    outcome, the parameters afterwards and which have a momentum buffer."""
    params = [lib.nn.Parameter(lib.ones(2, dtype=getattr(lib, dtype))) for dtype in dtypes]
    optimizer = lib.optim.SGD(params, lr=0.1, momentum=0.9, fused=True)
    for param, has_grad in zip(params, first_step_grads):
        param.grad = lib.ones(2, dtype=param.dtype) if has_grad else None
    optimizer.step()
    for param in params:
        param.grad = lib.ones(2, dtype=param.dtype)
    try:
        optimizer.step()
        outcome = None
    except TypeError as error:
        outcome = str(error)
    values = [round(param.detach()[0].item(), 6) for param in params]
    return outcome, values, ["momentum_buffer" in optimizer.state[param] for param in params]


@pytest.mark.parametrize("dtypes, first_step_grads", [
    (["float32"] * 3, [1, 0, 1]), (["float32"] * 3, [0, 1, 1]), (["float32", "float64", "float32"], [1, 1, 0]),
    (["float64", "float32", "float32", "float64"], [1, 1, 0, 0]),
    (["float64", "float32", "float32", "float64"], [0, 1, 1, 1]),
    (["float64", "float32", "float32", "float64"], [0, 0, 0, 0]),
])
def test_fused_sgd_refuses_a_missing_momentum_buffer_as_torch(dtypes, first_step_grads):
    # PyTorch's fused SGD makes momentum buffers only when none exists; a parameter whose first gradient came after
    # the others' has none, and the fused kernel refuses the list with a TypeError (after updating the dtype groups
    # it took first). torchless updated it as the for-loop kernel does.
    torch = pytest.importorskip("torch")
    expected = _fused_sgd_after_a_missed_gradient(torch, dtypes, first_step_grads)
    assert _fused_sgd_after_a_missed_gradient(torchless, dtypes, first_step_grads) == expected


def _clipped_float16_grads(lib, max_norm):
    rng = np.random.default_rng(16)
    params = [lib.nn.Parameter(lib.zeros(200, dtype=lib.float16)), lib.nn.Parameter(lib.zeros(3, 5))]
    for param in params:
        param.grad = lib.tensor(rng.standard_normal(param.shape) * 10).to(param.dtype)
    total_norm = lib.nn.utils.clip_grad_norm_(params, max_norm)
    return float(total_norm), [param.grad.numpy() for param in params]


@pytest.mark.parametrize("max_norm", [1.0, 0.37])
def test_clipping_scales_float16_gradients_at_float32_precision(max_norm):
    # PyTorch multiplies a float16 gradient by the 0-d clip factor computing in float32 with the factor's own value;
    # torchless rounded the factor to float16 first, a last-bit difference in a quarter of the gradient's elements.
    torch = pytest.importorskip("torch")
    expected_norm, expected = _clipped_float16_grads(torch, max_norm)
    got_norm, got = _clipped_float16_grads(torchless, max_norm)
    assert got_norm == pytest.approx(expected_norm, rel=1e-6)
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(g, e)
