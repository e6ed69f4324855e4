"""Regression tests for train22's findings: losses, activations, normalisation, optimizers and schedulers against
PyTorch."""
import numpy as np
import pytest

import torchless


def _softplus_second_derivative(lib, values, dtype, beta, threshold):
    x = lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=True)
    y = lib.nn.functional.softplus(x, beta=beta, threshold=threshold)
    (gradient,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
    (curvature,) = lib.autograd.grad((gradient * gradient).sum(), x)
    return gradient.detach().numpy(), curvature.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("beta, threshold", [(1, 1), (1, 0), (0.5, 0.5), (2, 0.5), (-1.0, 1), (2, 20)])
def test_softplus_double_backward_drops_curvature_at_the_threshold(dtype, beta, threshold):
    # PyTorch's softplus_double_backward keeps sigmoid's derivative only where beta x < threshold, while forward and
    # backward take the linear branch only where beta x > threshold: at beta x == threshold the gradient is the
    # smooth one but its derivative through x is 0. torchless differentiated the smooth branch there.
    torch = pytest.importorskip("torch")
    values = [0.0, -3.0, 3.0, 1.0, 0.25, -0.25, 0.5, -1.0, 10.0]
    expected = _softplus_second_derivative(torch, values, dtype, beta, threshold)
    got = _softplus_second_derivative(torchless, values, dtype, beta, threshold)
    for actual, wanted in zip(got, expected):
        np.testing.assert_allclose(actual, wanted, rtol=1e-6, atol=1e-7)


def _asgd_trajectory(lib, dtype, options, reload_at=None, steps=30):
    """The parameters and ASGD state after each of ``steps`` steps on fixed random gradients; the optimizer is
    rebuilt from its state_dict after step ``reload_at``."""
    rng = np.random.default_rng(0)
    shapes = [(2, 3), (4,), ()]
    params = [lib.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True) for shape in shapes]
    optimizer = lib.optim.ASGD(params, **options)
    trajectory = []
    for step in range(steps):
        for param in params:
            param.grad = lib.tensor(rng.standard_normal(param.shape).astype(dtype))
        optimizer.step()
        if step == reload_at:
            state = optimizer.state_dict()
            optimizer = lib.optim.ASGD(params, **options)
            optimizer.load_state_dict(state)
        trajectory.append([param.detach().numpy().copy() for param in params]
                          + [value.numpy().copy() for param in params for value in optimizer.state[param].values()])
    return trajectory


def _assert_same_trajectory(got, expected):
    for step, (actual, wanted) in enumerate(zip(got, expected)):
        for index, (a, w) in enumerate(zip(actual, wanted)):
            assert a.dtype == w.dtype and np.array_equal(a, w), (step, index, a, w)


@pytest.mark.parametrize("options", [{"lr": 0.1, "lambd": 0.1, "t0": 3},
                                     {"lr": 0.01, "lambd": 0.1, "alpha": 0.5, "t0": 3, "weight_decay": 0.1,
                                      "maximize": True}])
def test_asgd_rounds_eta_and_mu_to_the_default_dtype_after_load_state_dict(options):
    # load_state_dict casts eta and mu to a float64 parameter's dtype, but PyTorch's for-loop still makes each new
    # value as a 0-d tensor of the default dtype (torch.as_tensor of a Python float) before copying it in: float32
    # rounding at every step. torchless stored the float64 value whole once the state was loaded.
    torch = pytest.importorskip("torch")
    expected = _asgd_trajectory(torch, "float64", options, reload_at=4)
    _assert_same_trajectory(_asgd_trajectory(torchless, "float64", options, reload_at=4), expected)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", [{"lr": 0.05, "lambd": 0.3, "alpha": 2.0, "t0": 0},
                                     {"lr": 0.05, "lambd": 0.3, "alpha": 1.0, "t0": 2, "weight_decay": 0.2,
                                      "maximize": True}])
@pytest.mark.parametrize("reload_at", [None, 10])
def test_asgd_foreach_updates_as_pytorchs_foreach_kernel(dtype, options, reload_at):
    # PyTorch's foreach ASGD moves the parameter by eta * (g + weight_decay p + lambd p) and ax by mu * (p - ax) even
    # while mu is 1, and computes the next eta in the float32 step counter's arithmetic (lr / (1 + lambd lr step) **
    # alpha with step a tensor). torchless ran the for-loop's update: eta off by float32 ulps, float64 parameters
    # off from the second step on. (Exponents other than 1 and 2 go through PyTorch's vectorized pow, whose last bit
    # NumPy does not reproduce, hence these two.)
    torch = pytest.importorskip("torch")
    options = {**options, "foreach": True}
    expected = _asgd_trajectory(torch, dtype, options, reload_at)
    _assert_same_trajectory(_asgd_trajectory(torchless, dtype, options, reload_at), expected)


def _fused_sgd_run(lib, dtype, shape, transposed, options, steps=4):
    rng = np.random.default_rng(sum(shape) + 7 * len(shape))
    values = rng.standard_normal(shape[::-1] if transposed else shape).astype(dtype)
    param = lib.tensor(values)
    param = (param.t() if transposed else param).detach().requires_grad_()
    optimizer = lib.optim.SGD([param], lr=0.1, fused=True, **options)
    for _ in range(steps):
        param.grad = lib.tensor(rng.standard_normal(shape).astype(dtype))
        optimizer.step()
    return param.detach().numpy(), optimizer.state[param]["momentum_buffer"].numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, transposed", [((n,), False) for n in (1, 3, 7, 8, 12, 15, 17, 23, 31, 45)]
                         + [((3, 5), True), ((4, 7), True), ((5, 5), False)])
@pytest.mark.parametrize("options", [{"momentum": 0.9}, {"momentum": 0.9, "dampening": 0.3, "maximize": True},
                                     {"momentum": 0.8, "nesterov": True, "weight_decay": 0.1}])
def test_fused_sgd_momentum_of_the_last_elements_as_the_kernels_scalar_loop(dtype, shape, transposed, options):
    # PyTorch's CPU fused SGD updates the elements past its last whole vector (and past one half-width vector) in
    # scalar code where buf * momentum + grad * (1 - dampening) fuses the first product into the sum; its vector code
    # rounds that product and fuses the second. torchless computed every element as the vectors do: the last
    # elements of the momentum buffer (and then of the parameter) were off by an ulp.
    torch = pytest.importorskip("torch")
    expected = _fused_sgd_run(torch, dtype, shape, transposed, options)
    got = _fused_sgd_run(torchless, dtype, shape, transposed, options)
    for actual, wanted in zip(got, expected):
        np.testing.assert_array_equal(actual, wanted)


@pytest.mark.parametrize("norm_type", [float("inf"), -float("inf"), -1.0, 0.0, 2.0])
@pytest.mark.parametrize("foreach", [None, True, False])
@pytest.mark.parametrize("clip", [False, True])
def test_total_norm_of_an_empty_gradient_fails_as_the_kernel_pytorch_picks(norm_type, foreach, clip):
    # On the CPU PyTorch takes the gradients' norms with _foreach_norm unless foreach=False, and that kernel refuses
    # the infinity norm of an empty tensor with its own message (other orders fall back to linalg.vector_norm).
    # torchless always gave vector_norm's message, and clip_grad_norm_ dropped its foreach argument.
    from helpers import outcome_named_as_torch, same_in_both

    def scenario(lib):
        params = [lib.zeros(0, requires_grad=True), lib.ones(2, requires_grad=True)]
        for param in params:
            param.grad = lib.ones_like(param) * 3
        if clip:
            call = lambda: lib.nn.utils.clip_grad_norm_(params, 1.0, norm_type, foreach=foreach).item()
        else:
            call = lambda: lib.nn.utils.get_total_norm([p.grad for p in params], norm_type, foreach=foreach).item()
        return outcome_named_as_torch(call)

    pytest.importorskip("torch")
    same_in_both(scenario)


def _unrolled_training(lib, name, options, dtype, tensor_lr):
    """Four differentiable steps of ``name`` on a non-leaf copy of the weights; the final weights and the gradient
    of their squared norm with respect to the initial weights (and a tensor lr), or the error raised."""
    rng = np.random.default_rng(0)
    initial = lib.tensor(rng.standard_normal(4).astype(dtype), requires_grad=True)
    weights = initial.clone()
    options = dict(options)
    if tensor_lr:
        options["lr"] = lib.tensor(options["lr"], dtype=getattr(lib, dtype), requires_grad=True)
    optimizer = getattr(lib.optim, name)([weights], differentiable=True, **options)
    try:
        for _ in range(4):
            x = lib.tensor(rng.standard_normal(4).astype(dtype))
            (weights.grad,) = lib.autograd.grad(((weights * x).sum() - 1) ** 2, weights, create_graph=True)
            optimizer.step()
        inputs = [initial] + ([options["lr"]] if tensor_lr else [])
        gradients = lib.autograd.grad((weights ** 2).sum(), inputs)
    except RuntimeError as error:
        return str(error).replace("torchless", "torch").split(" Hint:")[0]
    return [weights.detach().numpy()] + [gradient.numpy() for gradient in gradients]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("tensor_lr", [False, True])
@pytest.mark.parametrize("name, options", [("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9}),
                                           ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
                                           ("SGD", {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "maximize": True}),
                                           ("Adam", {"lr": 0.1}), ("Adam", {"lr": 0.1, "weight_decay": 0.1}),
                                           ("Adam", {"lr": 0.1, "amsgrad": True}),
                                           ("AdamW", {"lr": 0.1, "maximize": True})])
def test_differentiable_sgd_and_adam_record_their_updates(name, options, dtype, tensor_lr):
    # differentiable=True runs PyTorch's for-loop under autograd: the trained weights stay functions of the initial
    # ones and of a tensor lr (meta-learning unrolls training this way), and in-place updates of tensors the graph
    # saved fail with autograd's version error. torchless refused any parameter or gradient requiring grad.
    torch = pytest.importorskip("torch")
    expected = _unrolled_training(torch, name, options, dtype, tensor_lr)
    got = _unrolled_training(torchless, name, options, dtype, tensor_lr)
    if isinstance(expected, str):
        assert got == expected
        return
    assert not isinstance(got, str), got
    for actual, wanted in zip(got, expected):
        # (float32 bias corrections: PyTorch's pow and number / tensor round their last bit otherwise)
        np.testing.assert_allclose(actual, wanted, rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, options", [("Adamax", {"lr": 0.1}), ("Adamax", {"lr": 0.1, "weight_decay": 0.1}),
                                           ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
                                           ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "maximize": True}),
                                           ("RMSprop", {"lr": 0.01}), ("RMSprop", {"lr": 0.01, "centered": True}),
                                           ("RMSprop", {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.1,
                                                        "maximize": True})])
def test_differentiable_adamax_adagrad_rmsprop_record_their_updates(name, options, dtype):
    # As SGD and Adam (above): Adamax's in-place moment update (and centered RMSprop's) then fails with autograd's
    # version error, as in PyTorch; Adagrad's and RMSprop's unrolled steps are differentiable. (A tensor lr is left
    # out: PyTorch's addcdiv_ refuses a tensor value, which torchless's accepts.)
    torch = pytest.importorskip("torch")
    expected = _unrolled_training(torch, name, options, dtype, tensor_lr=False)
    got = _unrolled_training(torchless, name, options, dtype, tensor_lr=False)
    if isinstance(expected, str):
        assert got == expected
        return
    assert not isinstance(got, str), got
    for actual, wanted in zip(got, expected):
        # (PyTorch's float32 sqrt is not correctly rounded everywhere)
        np.testing.assert_allclose(actual, wanted, rtol=1e-5 if dtype == "float32" else 2e-6, atol=1e-7)
