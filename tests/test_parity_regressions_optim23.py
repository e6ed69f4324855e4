"""Parity regressions of session 23 for torch.optim, its lr schedulers and swa_utils (torchless vs PyTorch 2.13)."""
import numpy as np
import pytest

import torchless


def _outcome(error):
    """An error as its type and message, named as PyTorch's (the autograd hint left out)."""
    return f"{type(error).__name__}: {str(error).replace('torchless', 'torch').split(' Hint:')[0]}"


def _unrolled_training(lib, name, options, dtype, tensor_lr, group_differentiable=True):
    """Four steps of ``name`` with ``differentiable=True`` on non-leaf copies of two weight tensors (two groups, the
    second setting ``differentiable=group_differentiable`` and momentum-free options of its own), the gradients
    made with create_graph; the final weights and the gradients of a loss of them with respect to the initial
    weights (and a tensor lr), or the error raised."""
    rng = np.random.default_rng(0)
    initial = [lib.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True) for shape in ((4,), (2, 3))]
    weights = [tensor.clone() for tensor in initial]
    options = dict(options)
    if tensor_lr:
        options["lr"] = lib.tensor(options["lr"], dtype=getattr(lib, dtype), requires_grad=True)
    try:
        optimizer = getattr(lib.optim, name)(
            [{"params": [weights[0]]}, {"params": [weights[1]], "differentiable": group_differentiable}],
            differentiable=True, **options)
        for _ in range(4):
            inputs = [lib.tensor(rng.standard_normal(w.shape).astype(dtype)) for w in weights]
            loss = ((weights[0] * inputs[0]).sum() - (weights[1] * inputs[1]).sum().tanh() - 1) ** 2
            grads = lib.autograd.grad(loss, weights, create_graph=True)
            for weight, grad in zip(weights, grads):
                weight.grad = grad
            optimizer.step()
        sources = initial + ([options["lr"]] if tensor_lr else [])
        gradients = lib.autograd.grad((weights[0] ** 2).sum() + (weights[1] ** 3).sum(), sources, allow_unused=True)
    except (RuntimeError, TypeError, AssertionError) as error:
        return _outcome(error)
    return [w.detach().numpy() for w in weights] + [None if g is None else g.numpy() for g in gradients]


def _assert_same_training(name, options, dtype, tensor_lr, group_differentiable=True):
    torch = pytest.importorskip("torch")
    expected = _unrolled_training(torch, name, options, dtype, tensor_lr, group_differentiable)
    got = _unrolled_training(torchless, name, options, dtype, tensor_lr, group_differentiable)
    if isinstance(expected, str):
        assert got == expected
        return
    assert not isinstance(got, str), got
    assert len(got) == len(expected)
    for actual, wanted in zip(got, expected):
        if wanted is None:
            assert actual is None
        else:
            np.testing.assert_allclose(actual, wanted, rtol=2e-5 if dtype == "float32" else 1e-9, atol=1e-6)


_DIFFERENTIABLE_CASES = [
    ("NAdam", {"lr": 0.1}), ("NAdam", {"lr": 0.1, "weight_decay": 0.1, "momentum_decay": 0.01}),
    ("NAdam", {"lr": 0.1, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {"lr": 0.1}), ("RAdam", {"lr": 0.1, "betas": (0.9, 0.5), "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.1, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("Rprop", {"lr": 0.1}), ("Rprop", {"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (0.01, 0.12),
                                       "maximize": True}),
    ("ASGD", {"lr": 0.1}), ("ASGD", {"lr": 0.1, "weight_decay": 0.1, "t0": 2}),
    ("ASGD", {"lr": 0.1, "lambd": 0.1, "t0": 1, "maximize": True}),
    ("Adadelta", {"lr": 0.5}), ("Adadelta", {"lr": 0.5, "rho": 0.5, "weight_decay": 0.1, "maximize": True}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("tensor_lr", [False, True])
@pytest.mark.parametrize("name, options", _DIFFERENTIABLE_CASES)
def test_differentiable_nadam_radam_rprop_asgd_adadelta_record_their_updates(name, options, dtype, tensor_lr):
    # differentiable=True runs PyTorch's for-loop under autograd, so that the trained weights stay functions of the
    # initial ones and of a tensor lr (NAdam and RAdam differentiate through it; ASGD's eta and Adadelta's add_ alpha
    # take it as a number, Rprop's full_like refuses it), or fail with autograd's version error where PyTorch's
    # in-place updates overwrite what the graph saved (Rprop's clamped step sizes). torchless refused any
    # parameter or gradient requiring grad for these five.
    _assert_same_training(name, options, dtype, tensor_lr)


@pytest.mark.parametrize("tensor_lr", [False, True])
@pytest.mark.parametrize("name, options", _DIFFERENTIABLE_CASES[::2] + [
    ("Adam", {"lr": 0.1}), ("Adam", {"lr": 0.1, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.1, "maximize": True}), ("Adamax", {"lr": 0.1}), ("Adagrad", {"lr": 0.1}),
    ("RMSprop", {"lr": 0.01}), ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5})])
def test_a_group_without_differentiable_runs_torchs_plain_for_loop_under_autograd(name, options, tensor_lr):
    # PyTorch records a step when the optimizer's default says differentiable, but each group's own flag picks the
    # for-loop's branch: without it NAdam, RAdam, Adagrad and RMSprop add eps in place to the root the graph saved
    # (version error at backward), Rprop multiplies by ``prev`` itself, Adadelta divides its root in place, Adam
    # computes Python-number bias corrections and hands its step size to addcdiv_ as a number (refused for a tensor
    # lr requiring grad), Adam's amsgrad and Adamax take their maximum with out= (refused by autograd). torchless
    # took the differentiable branch for these groups too.
    _assert_same_training(name, options, "float64", tensor_lr, group_differentiable=False)


@pytest.mark.parametrize("name", ["NAdam", "RAdam", "Rprop", "ASGD", "Adadelta"])
def test_differentiable_with_foreach_is_refused_as_torch(name):
    torch = pytest.importorskip("torch")

    def outcome(lib):
        weights = lib.ones(3, requires_grad=True).clone()
        weights.grad = lib.ones(3)
        try:
            getattr(lib.optim, name)([weights], lr=0.1, differentiable=True, foreach=True).step()
        except AssertionError as error:
            return _outcome(error)
        return "stepped"

    assert outcome(torchless) == outcome(torch)


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True to a scalar")
@pytest.mark.parametrize("complex_parameter", [False, True])
def test_rprop_refuses_a_tensor_lr_that_requires_grad_as_torchs_full_like(complex_parameter):
    # PyTorch fills the first step sizes with full_like(grad, lr), whose argument parser refuses a tensor requiring
    # grad (a complex parameter's complex(lr, lr) converts it); torchless took float(lr) and stepped.
    torch = pytest.importorskip("torch")

    def outcome(lib):
        param = lib.ones(3, dtype=lib.complex64 if complex_parameter else lib.float32, requires_grad=True)
        param.grad = lib.ones_like(param) * 2
        optimizer = lib.optim.Rprop([param], lr=lib.tensor(0.5, requires_grad=True))
        try:
            optimizer.step()
        except TypeError as error:
            return _outcome(error)
        return param.detach().numpy().tolist(), optimizer.state[param]["step_size"].numpy().tolist()

    assert outcome(torchless) == outcome(torch)


@pytest.mark.parametrize("initial", [0.5, "0-d tensor", "1-d tensor"])
@pytest.mark.parametrize("dtype", ["complex64", "float64"])
def test_adagrad_fills_its_sums_as_torchs_full_like(initial, dtype):
    # PyTorch fills a complex parameter's sum with complex(v, v) (its real and imaginary parts are updated as
    # independent reals) through full_like, which refuses a 1-d tensor: torchless filled the real parts only and
    # took any one-element tensor.
    torch = pytest.importorskip("torch")

    def outcome(lib):
        value = {"0-d tensor": lib.tensor(0.5), "1-d tensor": lib.tensor([0.5])}.get(initial, initial)
        param = lib.tensor([1 + 2j, -3 + 0.5j] if dtype == "complex64" else [1.0, -3.0], dtype=getattr(lib, dtype),
                           requires_grad=True)
        late = lib.ones(2, dtype=getattr(lib, dtype), requires_grad=True)
        try:
            optimizer = lib.optim.Adagrad([param], lr=0.1, initial_accumulator_value=value)
        except TypeError as error:
            return _outcome(error)
        optimizer.add_param_group({"params": [late], "initial_accumulator_value": 2.0})  # (the default's taken)
        for tensor in (param, late):
            tensor.grad = lib.ones_like(tensor) * (0.5 - 1j if dtype == "complex64" else 0.5)
        optimizer.step()
        return [t.detach().numpy().tolist() for t in (param, late, optimizer.state[param]["sum"],
                                                        optimizer.state[late]["sum"])]

    assert outcome(torchless) == outcome(torch)


def _sgd_unrolled(lib, options, tensor_lr, foreach):
    """Three differentiable SGD steps on two non-leaf weights; the weights, the gradients the last step read (and
    whether the first is still the ``.grad`` tensor), and the gradients of a loss with respect to the initial
    weights, or the error raised."""
    initial = [lib.tensor([1.0, -2.0, 0.5], requires_grad=True), lib.tensor([0.3, 0.2], requires_grad=True)]
    weights = [tensor.clone() for tensor in initial]
    lr = lib.tensor(0.1, requires_grad=True) if tensor_lr else 0.1
    optimizer = lib.optim.SGD(weights, lr=lr, differentiable=True, foreach=foreach, **options)
    try:
        for _ in range(3):
            grads = lib.autograd.grad((weights[0] ** 2).sum() * weights[1].sum(), weights, create_graph=True)
            for weight, grad in zip(weights, grads):
                weight.grad = grad
            optimizer.step()
        meta = lib.autograd.grad((weights[0] ** 3).sum() + weights[1].sum(), initial)
    except (TypeError, RuntimeError) as error:
        return _outcome(error)
    return [t.detach().numpy() for t in (*weights, *grads, *meta)] + [grads[0] is weights[0].grad]


@pytest.mark.parametrize("tensor_lr", [False, True])
@pytest.mark.parametrize("options", [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True},
                                     {"momentum": 0.9, "nesterov": True, "maximize": True},
                                     {"momentum": 0.5, "dampening": 0.5, "weight_decay": 0.1},
                                     {"maximize": True}])
def test_sgd_records_its_foreach_step_under_autograd_as_torch(options, tensor_lr):
    # SGD's foreach kernel, alone among PyTorch's, runs with differentiable=True: the same recorded update, but a
    # Nesterov momentum is added into the .grad tensors in place, and a tensor lr requiring grad is refused by
    # _foreach_add_ (naming the list or tuple the directions come in); autograd's version errors follow. torchless
    # refused foreach=True with differentiable=True for any parameter or gradient requiring grad.
    torch = pytest.importorskip("torch")
    expected = _sgd_unrolled(torch, options, tensor_lr, foreach=True)
    got = _sgd_unrolled(torchless, options, tensor_lr, foreach=True)
    if isinstance(expected, str):
        assert got == expected
        return
    assert not isinstance(got, str), got
    assert got[-1] == expected[-1]
    for actual, wanted in zip(got[:-1], expected[:-1]):
        np.testing.assert_allclose(actual, wanted, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("name, options", [
    ("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "weight_decay": 0.1, "maximize": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "foreach": True}),
    ("ASGD", {"lr": 0.1}), ("ASGD", {"lr": 0.1, "weight_decay": 0.1, "t0": 1, "maximize": True}),
    ("ASGD", {"lr": 0.1, "lambd": 0.1, "t0": 2, "foreach": True}),
])
def test_sgd_and_asgd_update_complex_parameters_as_torch(name, options, dtype):
    # PyTorch's SGD updates a complex parameter with complex arithmetic (its add with alpha rounds the product and
    # the sum each), ASGD as the pairs of reals it holds: torchless fed the complex arrays of both to its float
    # multiply-add and failed with a NumPy casting error.
    torch = pytest.importorskip("torch")

    def trained(lib):
        rng = np.random.default_rng(3)
        params = [lib.tensor((rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype),
                             requires_grad=True) for shape in ((40,), (3, 5), ())]
        optimizer = getattr(lib.optim, name)(params, **options)
        for _ in range(4):
            for param in params:
                param.grad = lib.tensor((rng.standard_normal(param.shape)
                                         + 1j * rng.standard_normal(param.shape)).astype(dtype))
            optimizer.step()
        state = [value.numpy() for param in params for value in optimizer.state[param].values()]
        return [param.detach().numpy() for param in params] + state

    expected = trained(torch)
    got = trained(torchless)
    assert len(got) == len(expected)
    for actual, wanted in zip(got, expected):
        np.testing.assert_array_equal(actual, wanted)


_RADAM_OPTIONS = [{}, {"betas": (0.9, 0.5), "weight_decay": 0.1},
                  {"decoupled_weight_decay": True, "weight_decay": 0.1, "maximize": True}]


# (float16 without weight decay: PyTorch's scalar loop, which takes tensors too small for its vector loop, rounds
# a float16 add with alpha twice, which torchless does not follow)
@pytest.mark.parametrize("options, dtype, eps", [
    (options, dtype, eps) for options in _RADAM_OPTIONS
    for dtype, eps in (("float32", 0.0), ("float64", 0.0), ("float64", 1e-8), ("complex64", 1e-8))
] + [({}, "float16", 1e-8), ({"maximize": True}, "float16", 1e-8)])
def test_radam_foreach_computes_its_own_formula_as_torch(options, dtype, eps):
    # PyTorch's foreach RAdam folds both phases into buffer = 1 / ((sqrt(v) + eps) / step_size) + unrectified step
    # size: a zero sqrt(v) + eps (eps 0, or rounded away in float16) then makes the parameter NaN during the
    # unrectified steps, where its for-loop (which torchless ran for foreach=True too) stays finite; other values
    # differ in their last bits.
    torch = pytest.importorskip("torch")

    def trained(lib):
        rng = np.random.default_rng(5)
        params = [lib.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True) for shape in ((9,), (2, 3))]
        optimizer = lib.optim.RAdam(params, lr=0.01, eps=eps, foreach=True, **options)
        for _ in range(8):
            for param in params:
                grad = rng.standard_normal(param.shape).astype(dtype)
                grad[0] = 0  # (a zero second moment)
                param.grad = lib.tensor(grad)
            optimizer.step()
        return [param.detach().numpy() for param in params]

    for actual, wanted in zip(trained(torchless), trained(torch)):
        np.testing.assert_array_equal(actual, wanted)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64"])
def test_rprop_takes_a_nan_gradients_sign_as_zero_as_torch(dtype, foreach):
    # PyTorch's sign of NaN is 0: a NaN gradient leaves its weight and step size as they are (and is kept in prev);
    # NumPy's sign made both NaN in torchless.
    torch = pytest.importorskip("torch")
    nan, inf = float("nan"), float("inf")
    gradients = [[1.0, 1.0, 1.0], [inf, 1.0, -1.0], [1.0, 1.0, 1.0], [nan, 2.0, 1.0], [1.0, nan, 1.0], [1.0] * 3]

    def trained(lib):
        param = lib.ones(3, dtype=getattr(lib, dtype), requires_grad=True)
        optimizer = lib.optim.Rprop([param], foreach=foreach)
        history = []
        for grad in gradients:
            param.grad = lib.tensor(grad, dtype=getattr(lib, dtype)) * (1 - 2j if dtype == "complex64" else 1)
            optimizer.step()
            history.append([t.detach().numpy().copy() for t in (param, *optimizer.state[param].values())])
        return history

    for got, expected in zip(trained(torchless), trained(torch)):
        for actual, wanted in zip(got, expected):
            np.testing.assert_array_equal(actual, wanted)


@pytest.mark.parametrize("dtype", ["float32", "complex64"])
@pytest.mark.parametrize("name", ["SGD", "Adam", "Adamax", "Adagrad", "RMSprop", "NAdam", "RAdam", "Rprop", "ASGD",
                                  "Adadelta"])
def test_a_differentiable_step_refuses_a_leaf_as_its_first_in_place_update_does(name, dtype):
    # The recorded step's own in-place ops refuse a leaf requiring grad; for a complex one PyTorch updates its real
    # view, "a view of a leaf Variable" (SGD and Adadelta update the complex tensor itself). torchless refused every
    # leaf up front with the plain message.
    torch = pytest.importorskip("torch")

    def outcome(lib):
        param = lib.ones(3, dtype=getattr(lib, dtype), requires_grad=True)
        param.grad = lib.ones_like(param)
        try:
            getattr(lib.optim, name)([param], lr=0.1, differentiable=True).step()
        except RuntimeError as error:
            return _outcome(error)
        return "stepped"

    assert outcome(torchless) == outcome(torch)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
@pytest.mark.parametrize("options", [{}, {"decoupled_weight_decay": True, "weight_decay": 0.1},
                                     {"weight_decay": 0.1, "maximize": True, "momentum_decay": 0.1}])
def test_nadam_takes_the_root_of_its_foreach_kernel(options, dtype, foreach):
    # PyTorch's foreach NAdam divides sqrt(v) by sqrt(1 - beta2^t) where its for-loop takes sqrt(v / (1 - beta2^t)):
    # torchless ran the for-loop for both, a last bit off with foreach=True (now bit-exact).
    torch = pytest.importorskip("torch")

    def trained(lib):
        rng = np.random.default_rng(1)
        params = [lib.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True) for shape in ((37,), (5, 7))]
        optimizer = lib.optim.NAdam(params, foreach=foreach, **options)
        for _ in range(8):
            for param in params:
                param.grad = lib.tensor(rng.standard_normal(param.shape).astype(dtype))
            optimizer.step()
        return [param.detach().numpy() for param in params]

    for actual, wanted in zip(trained(torchless), trained(torch)):
        np.testing.assert_array_equal(actual, wanted)
