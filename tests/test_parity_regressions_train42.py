"""Parity regressions found by differential fuzzing of losses, optimizers and LR schedulers against PyTorch
(session 42, train42)."""
import numpy as np
import pytest

import torchless


# ---------------------------------------------------------------- binary_cross_entropy's second derivatives

_PROBABILITIES = [1e-3, 0.5, 0.0, 1.0, 1e-7, 0.9]
_TARGETS = [0.3, 0.2, 0.5, 0.5, 1.0, 0.0]


def _bce_second_derivatives(lib, reduction, weighted):
    """The derivatives in the input, the target and the incoming gradient of binary_cross_entropy's input
    gradient (float64), as create_graph=True records it."""
    x = lib.tensor(_PROBABILITIES, dtype=lib.float64, requires_grad=True)
    t = lib.tensor(_TARGETS, dtype=lib.float64, requires_grad=True)
    weight = lib.tensor([0.5, 2.0, 1.0, 1.5, 0.25, 3.0], dtype=lib.float64) if weighted else None
    loss = lib.nn.functional.binary_cross_entropy(x, t, weight=weight, reduction=reduction)
    incoming = lib.full(loss.shape, 0.7, dtype=lib.float64, requires_grad=True)
    gx, = lib.autograd.grad(loss, x, incoming, create_graph=True)
    scaled = gx * lib.tensor([1.0, 2.0, 3.0, 1.0, 2.0, 3.0], dtype=lib.float64)
    return [g.detach().numpy() for g in lib.autograd.grad(scaled.sum(), [x, t, incoming])]


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_second_derivatives_are_pytorchs_formulas(reduction, weighted):
    torch = pytest.importorskip("torch")
    expected = _bce_second_derivatives(torch, reduction, weighted)
    for ours, theirs in zip(_bce_second_derivatives(torchless, reduction, weighted), expected, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=0)


def test_binary_cross_entropy_second_derivatives_shift_the_input_by_1e_12():
    # PyTorch's double backward: (x^2 - 2xt + t) / ((x + 1e-12)^2 (1 - x + 1e-12)^2) in the input,
    # (x - t) / ((x + 1e-12)(1 - x + 1e-12)) in the incoming gradient, -1 / max(x (1 - x), 1e-12) in the target
    x, t = np.array(_PROBABILITIES), np.array(_TARGETS)
    scale = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 3.0])
    dx, dt, dg = _bce_second_derivatives(torchless, "none", False)
    eps = 1e-12
    np.testing.assert_allclose(dx, 0.7 * scale * (x * x - 2 * x * t + t) / ((x + eps) ** 2 * (1 - x + eps) ** 2),
                               rtol=1e-14)
    np.testing.assert_allclose(dg, scale * (x - t) / ((x + eps) * (1 - x + eps)), rtol=1e-14)
    np.testing.assert_allclose(dt, -0.7 * scale / np.maximum((1 - x) * x, eps), rtol=1e-14)
    assert dx[2] == pytest.approx(3 * 0.7 * 0.5 / 1e-24, rel=1e-11)  # (finite at 0, where the gradient clamps)


# ---------------------------------------------------------------- float16 steps past the last whole vector

def _half_trajectory(lib, name, options, dtype, size, steps=6):
    """A parameter of ``size`` elements after each of ``steps`` steps, as float32 arrays."""
    rng = np.random.default_rng(7)
    param = lib.nn.Parameter(lib.tensor(rng.standard_normal(size), dtype=getattr(lib, dtype)))
    optimizer = getattr(lib.optim, name)([param], **options)
    steps_taken = []
    for _ in range(steps):
        param.grad = lib.tensor(rng.standard_normal(size), dtype=getattr(lib, dtype))
        optimizer.step()
        steps_taken.append(param.detach().float().numpy().copy())
    return steps_taken


@pytest.mark.parametrize("size", [5, 15, 37])
@pytest.mark.parametrize("name, options", [
    ("SGD", {"lr": 0.1, "momentum": 0.9}), ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("RMSprop", {"centered": True, "momentum": 0.9}), ("ASGD", {"weight_decay": 0.1}),
])
def test_float16_add_with_alpha_rounds_the_product_first_past_the_last_vector_as_torch(name, options, size):
    # PyTorch's add_(other, alpha=...) on float16, as on bfloat16: a fused multiply-add over whole vectors, but its
    # scalar loop over the last size % lanes elements rounds alpha * other to float16 before the sum
    torch = pytest.importorskip("torch")
    options = dict(options, foreach=False)
    expected = _half_trajectory(torch, name, options, "float16", size)
    for step, (ours, theirs) in enumerate(zip(_half_trajectory(torchless, name, options, "float16", size), expected)):
        np.testing.assert_array_equal(ours, theirs, err_msg=f"step {step}")


def test_float16_sgd_step_of_a_few_elements_rounds_the_product_first():
    # fewer elements than one vector's lanes: all of them in the scalar loop, lr * grad rounded to float16 first
    p0 = np.array([0.23, -0.35, -0.28, -0.67, -1.06], np.float16)
    g = np.array([-0.39, 0.48, -0.24, 0.96, -0.2], np.float16)
    param = torchless.nn.Parameter(torchless.tensor(p0))
    param.grad = torchless.tensor(g)
    torchless.optim.SGD([param], lr=0.1, foreach=False).step()
    np.testing.assert_array_equal(param.detach().numpy(), p0 + (np.float16(-0.1) * g).astype(np.float16))


# ---------------------------------------------------------------- foreach kernels' in-place scalar products

_FOREACH_CONFIGS = [
    ("SGD", {"lr": 0.1, "momentum": 0.9}), ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "maximize": True}),
    ("RMSprop", {"alpha": 0.8, "momentum": 0.7}), ("Adagrad", {"maximize": True}),
    ("Adagrad", {"lr_decay": 0.1, "weight_decay": 0.1}), ("Adadelta", {"rho": 0.8}), ("ASGD", {"weight_decay": 0.1}),
    ("Adamax", {"betas": (0.8, 0.9), "weight_decay": 0.1}), ("NAdam", {"betas": (0.8, 0.9)}),
    ("NAdam", {"lr": 0.1, "weight_decay": 0.3, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.1, "weight_decay": 0.3, "decoupled_weight_decay": True, "eps": 1e-3}),
]


def _foreach_steps(lib, name, options, dtype, steps=6):
    """Two parameters (64 elements: whole vectors) and their state tensors after each step, as float32 arrays;
    the second parameter has no gradient on the third step."""
    rng = np.random.default_rng(3)
    params = [lib.nn.Parameter(lib.tensor(rng.standard_normal(shape), dtype=getattr(lib, dtype)))
              for shape in ((64,), (8, 8))]
    optimizer = getattr(lib.optim, name)(params, foreach=True, **options)
    record = []
    for step in range(steps):
        for i, param in enumerate(params):
            grad = rng.standard_normal(param.shape)
            param.grad = None if (step, i) == (2, 1) else lib.tensor(grad, dtype=getattr(lib, dtype))
        optimizer.step()
        record.append([t.detach().float().numpy().copy() for p in params
                       for t in (p, *optimizer.state[p].values()) if getattr(t, "ndim", 0)])
    return record


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name, options", _FOREACH_CONFIGS)
def test_foreach_steps_take_mul_scalars_in_the_parameters_dtype_as_torch(name, options, dtype):
    # PyTorch's _foreach_mul_(tensors, number) runs the C++ mul_, whose number becomes the product's first operand,
    # a tensor of the tensors' dtype: beta2, rho, alpha, momentum, 1 - lr * weight_decay (and Adagrad's -clr)
    # are rounded to float16 or bfloat16 first, where Python's tensor.mul_(number) multiplies by a float32 number
    torch = pytest.importorskip("torch")
    expected = _foreach_steps(torch, name, options, dtype)
    for step, (ours, theirs) in enumerate(zip(_foreach_steps(torchless, name, options, dtype), expected)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b, err_msg=f"step {step}")


def test_foreach_sgd_momentum_buffer_decays_by_the_momentum_in_bfloat16():
    import ml_dtypes

    bf16 = ml_dtypes.bfloat16
    g1 = np.array([0.3, -1.7, 2.2, 0.05, -0.6, 1.1, -0.35, 0.77], np.float32).astype(bf16)
    g2 = np.array([0.5, 0.25, -1.0, 0.125, 2.0, -0.75, 0.375, 1.5], np.float32).astype(bf16)
    momenta = {}
    for foreach in (True, False):
        param = torchless.nn.Parameter(torchless.zeros(8, dtype=torchless.bfloat16))
        optimizer = torchless.optim.SGD([param], lr=0.1, momentum=0.9, foreach=foreach)
        for g in (g1, g2):
            param.grad = torchless.tensor(g.astype(np.float32)).to(torchless.bfloat16)
            optimizer.step()
        momenta[foreach] = optimizer.state[param]["momentum_buffer"].float().numpy()
    rounded = (g1.astype(np.float32) * np.float32(bf16(0.9))).astype(bf16)  # (the momentum rounded first)
    np.testing.assert_array_equal(momenta[True], (rounded.astype(np.float32) + g2.astype(np.float32)).astype(bf16))
    unrounded = (g1.astype(np.float32) * np.float32(0.9)).astype(bf16)
    np.testing.assert_array_equal(momenta[False], (unrounded.astype(np.float32) + g2.astype(np.float32)).astype(bf16))
    assert not np.array_equal(momenta[True], momenta[False])


# ---------------------------------------------------------------- fused Adam's scalar loop

def _fused_adam_steps(lib, options, dtype, steps=4):
    """Parameters of sizes with elements past the fused kernel's last vector (a 0-d one, 5, 21, 37, a transposed
    9 x 5), their moments, after each step."""
    rng = np.random.default_rng(5)
    params = [lib.nn.Parameter(lib.tensor(rng.standard_normal(shape), dtype=getattr(lib, dtype)))
              for shape in ((), (5,), (3, 7), (37,))]
    params.append(lib.nn.Parameter(lib.tensor(rng.standard_normal((5, 9)), dtype=getattr(lib, dtype)).t()))
    optimizer = lib.optim.Adam(params, fused=True, **options)
    record = []
    for _ in range(steps):
        for param in params:
            param.grad = lib.tensor(rng.standard_normal(tuple(param.shape)), dtype=getattr(lib, dtype))
        optimizer.step()
        record.append([p.detach().numpy().copy() for p in params] +
                      [optimizer.state[p][key].numpy().copy() for p in params for key in ("exp_avg", "exp_avg_sq")])
    return record


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", [{"lr": 0.1, "betas": (0.3, 0.5)},
                                     {"amsgrad": True, "betas": (0.6, 0.9), "weight_decay": 0.1},
                                     {"maximize": True, "betas": (0.3, 0.5), "weight_decay": 0.2,
                                      "decoupled_weight_decay": True}])
def test_fused_adam_scalar_loop_fuses_the_decay_of_exp_avg_sq_as_torch(options, dtype):
    # past the last whole vector the compiler fuses exp_avg_sq * beta2 into the multiply-add that adds
    # (1 - beta2) * grad * grad; the vector code rounds that product and fuses (1 - beta2) * grad times grad
    torch = pytest.importorskip("torch")
    expected = _fused_adam_steps(torch, options, dtype)
    for step, (ours, theirs) in enumerate(zip(_fused_adam_steps(torchless, options, dtype), expected)):
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b, err_msg=f"step {step}")
