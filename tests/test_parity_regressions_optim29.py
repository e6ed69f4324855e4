"""Regressions of the twenty-ninth optim session: PyTorch's functional updates of Adamax, NAdam, RAdam, ASGD, Rprop,
Adadelta and SparseAdam (torch.optim.<name>.<name>, torch.optim._functional), run on the classes' own update code."""
import importlib
import inspect
import sys

import numpy as np
import pytest
from helpers import outcome, take_steps

import torchless
import torchless.optim._functional  # noqa: F401

torch = pytest.importorskip("torch")
import torch.optim._functional  # noqa: E402, F401


# ---------------------------------------------------------------------------- the functional optimizer API
def _functional(lib, name):
    """``<lib>.optim.<name>.<name>``, imported as PyTorch code imports it."""
    return getattr(importlib.import_module(f"{lib.__name__}.optim.{name}"), name)


def _signature(function):
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


_NAMES = ["adamax", "nadam", "radam", "asgd", "rprop", "adadelta"]


@pytest.mark.parametrize("name", _NAMES)
def test_functional_optimizers_have_pytorchs_signatures(name):
    assert _signature(_functional(torchless, name)) == _signature(_functional(torch, name))
    assert getattr(sys.modules["torchless.optim._functional"], name) is _functional(torchless, name)


def test_functional_module_offers_what_pytorchs_re_exports():
    ours, theirs = sys.modules["torchless.optim._functional"], sys.modules["torch.optim._functional"]
    public = {name for name in dir(theirs) if not name.startswith("_") and callable(getattr(theirs, name))
              and name.islower() and name != "math"}
    assert public <= set(dir(ours))
    assert _signature(ours.sparse_adam) == _signature(theirs.sparse_adam)


_SHAPES = [(3, 4), (5,), (), (2, 0)]

# (the functional's name, its state lists in its argument order, its keyword arguments, the class and its arguments)
_CONFIGS = [
    ("adamax", ["exp_avg", "exp_inf", "step"], dict(eps=1e-8, beta1=0.9, beta2=0.999, lr=0.01, weight_decay=0.01),
     ("Adamax", dict(lr=0.01, weight_decay=0.01))),
    ("adamax", ["exp_avg", "exp_inf", "step"], dict(eps=1e-3, beta1=0.8, beta2=0.99, lr=0.01, weight_decay=0,
                                                    maximize=True),
     ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-3, maximize=True))),
    ("nadam", ["exp_avg", "exp_avg_sq", "mu_product", "step"],
     dict(beta1=0.9, beta2=0.999, lr=0.01, weight_decay=0.01, momentum_decay=4e-3, eps=1e-8),
     ("NAdam", dict(lr=0.01, weight_decay=0.01))),
    ("nadam", ["exp_avg", "exp_avg_sq", "mu_product", "step"],
     dict(beta1=0.8, beta2=0.99, lr=0.01, weight_decay=0.1, momentum_decay=1e-2, eps=1e-8,
          decoupled_weight_decay=True, maximize=True),
     ("NAdam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=1e-2, decoupled_weight_decay=True,
                    maximize=True))),
    ("radam", ["exp_avg", "exp_avg_sq", "step"], dict(beta1=0.9, beta2=0.999, lr=0.01, weight_decay=0.01, eps=1e-8),
     ("RAdam", dict(lr=0.01, weight_decay=0.01))),
    ("radam", ["exp_avg", "exp_avg_sq", "step"],  # (beta2 0.9: rectified from the sixth step)
     dict(beta1=0.9, beta2=0.9, lr=0.01, weight_decay=0.1, eps=1e-8, decoupled_weight_decay=True, maximize=True),
     ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1, decoupled_weight_decay=True, maximize=True))),
    ("asgd", ["ax", "mu", "eta", "step"], dict(lambd=1e-2, lr=0.05, t0=5, alpha=0.75, weight_decay=0.01),
     ("ASGD", dict(lr=0.05, lambd=1e-2, t0=5, weight_decay=0.01))),
    ("asgd", ["ax", "mu", "eta", "step"], dict(lambd=1e-4, lr=0.01, t0=1e6, alpha=0.5, weight_decay=0, maximize=True),
     ("ASGD", dict(lr=0.01, alpha=0.5, maximize=True))),
    ("rprop", ["prev", "step_size", "step"], dict(step_size_min=1e-6, step_size_max=50, etaminus=0.5, etaplus=1.2),
     ("Rprop", dict(lr=0.01))),
    ("rprop", ["prev", "step_size", "step"],
     dict(step_size_min=1e-3, step_size_max=0.05, etaminus=0.3, etaplus=1.5, maximize=True),
     ("Rprop", dict(lr=0.01, etas=(0.3, 1.5), step_sizes=(1e-3, 0.05), maximize=True))),
    ("adadelta", ["square_avg", "acc_delta", "step"],
     dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.01, maximize=False), ("Adadelta", dict(weight_decay=0.01))),
    ("adadelta", ["square_avg", "acc_delta", "step"], dict(lr=0.5, rho=0.8, eps=1e-6, weight_decay=0, maximize=True),
     ("Adadelta", dict(lr=0.5, rho=0.8, maximize=True))),
]
_FLAGS = [{}, {"foreach": True}, {"foreach": False}, {"differentiable": True}]
_CASES = [pytest.param(config, flags, id=f"{config[0]}-{index}-{flags}") for index, config in enumerate(_CONFIGS)
          for flags in _FLAGS]


def _data(dtype, steps=12):
    rng = np.random.default_rng(0)
    params = [rng.standard_normal(shape).astype(dtype) for shape in _SHAPES]
    grads = [[rng.standard_normal(shape).astype(dtype) for shape in _SHAPES] for _ in range(steps)]
    return params, grads


def _fresh_states(lib, state_names, params, kwargs):
    """The functional's state lists for fresh ``params``, as the classes start them."""
    def fresh(state_name):
        if state_name == "step":
            return [lib.tensor(0.0) for _ in params]
        if state_name in ("mu_product", "mu"):
            return [lib.tensor(1.0) for _ in params]
        if state_name == "eta":
            return [lib.tensor(kwargs["lr"]) for _ in params]
        if state_name == "step_size":
            return [lib.full_like(p, 0.01) for p in params]
        return [lib.zeros_like(p) for p in params]
    return {state_name: fresh(state_name) for state_name in state_names}


def _functional_run(lib, config, flags, dtype):
    name, state_names, kwargs, _ = config
    arrays, grads = _data(dtype)
    params = [lib.tensor(a.copy()) for a in arrays]
    states = _fresh_states(lib, state_names, params, kwargs)
    for step_grads in grads:
        _functional(lib, name)(params, [lib.tensor(g.copy()) for g in step_grads],
                               *(states[state_name] for state_name in state_names), **flags, **kwargs)
    return [p.numpy() for p in params], states


def _class_run(config, flags, dtype):
    class_name, class_kwargs = config[3]
    arrays, grads = _data(dtype)
    params = [torchless.tensor(a.copy(), requires_grad=not flags.get("differentiable")) for a in arrays]
    optimizer = getattr(torchless.optim, class_name)(params, **class_kwargs, **flags)
    take_steps(torchless, optimizer, params, grads)
    return [p.detach().numpy() for p in params], optimizer.state, params


@pytest.mark.parametrize("config, flags", _CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_functional_optimizers_update_as_the_classes_bit_for_bit(config, flags, dtype):
    got, states = _functional_run(torchless, config, flags, dtype)
    expected, class_state, params = _class_run(config, flags, dtype)
    for have, want in zip(got, expected):
        np.testing.assert_array_equal(have, want)
    for state_name, tensors in states.items():
        for i, tensor in enumerate(tensors):
            want = class_state[params[i]][state_name]
            assert tensor.dtype == want.dtype
            np.testing.assert_array_equal(tensor.detach().numpy(), want.detach().numpy())


@pytest.mark.parametrize("config, flags", _CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_functional_optimizers_update_as_pytorchs(config, flags, dtype):
    got, our_states = _functional_run(torchless, config, flags, dtype)
    expected, their_states = _functional_run(torch, config, flags, dtype)
    # NAdam's float32 0-d mu_product enters its recorded float64 update through ``number / tensor``, whose rounding
    # follows torchless's tensor arithmetic; the others' last bits as their classes'
    float32_like = dtype == np.float32 or (config[0] == "nadam" and flags.get("differentiable"))
    tolerance = dict(rtol=1e-6, atol=1e-7) if float32_like else dict(rtol=1e-14, atol=1e-15)
    for have, want in zip(got, expected):
        np.testing.assert_allclose(have, want, **tolerance)
    for state_name in our_states:
        for mine, their in zip(our_states[state_name], their_states[state_name]):
            assert str(mine.dtype) == str(their.dtype).replace("torch", "torchless")
            assert mine.shape == tuple(their.shape)
            np.testing.assert_allclose(mine.detach().numpy(), their.detach().numpy(), **tolerance)


def _recorded_run(lib, config, steps=4):
    """Differentiable functional steps of a parameter computed from a leaf, on gradients that require grad; the
    gradients of a weighted sum of the result with respect to the leaf and those gradients."""
    name, state_names, kwargs, _ = config
    rng = np.random.default_rng(1)
    leaf = lib.tensor(rng.standard_normal(4), requires_grad=True)
    param = leaf * 1.0
    states = _fresh_states(lib, state_names, [param.detach()], kwargs)
    grads = [lib.tensor(rng.standard_normal(4), requires_grad=True) for _ in range(steps)]
    for grad in grads:
        _functional(lib, name)([param], [grad * 1.0], *(states[state_name] for state_name in state_names),
                               differentiable=True, **kwargs)
    (param * lib.arange(4.0)).sum().backward()
    return [param.detach().numpy(), leaf.grad.numpy()] + [grad.grad.numpy() for grad in grads]


@pytest.mark.parametrize("config", [c for c in _CONFIGS if c[0] in ("nadam", "radam", "asgd", "adadelta")],
                         ids=lambda config: config[0])
def test_differentiable_functional_updates_record_gradients_as_pytorchs(config):
    got, expected = _recorded_run(torchless, config), _recorded_run(torch, config)
    for have, want in zip(got, expected):
        # (NAdam: its float32 mu_product, see above)
        np.testing.assert_allclose(have, want, rtol=1e-6 if config[0] == "nadam" else 1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["adamax", "rprop"])
def test_differentiable_functional_steps_that_overwrite_saved_state_fail_as_pytorchs(name):
    config = next(c for c in _CONFIGS if c[0] == name)
    got, expected = outcome(lambda: _recorded_run(torchless, config)), outcome(lambda: _recorded_run(torch, config))
    assert (got.type, got.message.replace("torchless", "torch")) == expected


def _error_calls(lib):
    F = sys.modules[f"{lib.__name__}.optim._functional"]
    adamax = dict(eps=1e-8, beta1=0.9, beta2=0.99, lr=0.1, weight_decay=0)
    nadam = dict(beta1=0.9, beta2=0.99, lr=0.1, weight_decay=0, momentum_decay=4e-3, eps=1e-8)
    radam = dict(beta1=0.9, beta2=0.99, lr=0.1, weight_decay=0, eps=1e-8)
    asgd = dict(lambd=1e-4, lr=0.1, t0=1e6, alpha=0.75, weight_decay=0)
    rprop = dict(step_size_min=1e-6, step_size_max=50, etaminus=0.5, etaplus=1.2)
    adadelta = dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False)
    sparse_adam = dict(eps=1e-8, beta1=0.9, beta2=0.99, lr=0.1, maximize=False)

    def ones():
        return [lib.ones(3)]

    def steps():
        return [lib.tensor(0.0)]

    calls = {}
    for flags in [{}, dict(foreach=True), dict(capturable=True), dict(capturable=True, foreach=True),
                  dict(differentiable=True, foreach=True), dict(differentiable=True, foreach=True, capturable=True),
                  dict(differentiable=True, capturable=True)]:
        for empty in (False, True):
            t, s = ((lambda: []), (lambda: [])) if empty else (ones, steps)
            key = f"{flags}{' no params' if empty else ''}"
            calls[f"adamax {key}"] = lambda t=t, s=s, f=flags: F.adamax(t(), t(), t(), t(), s(), **f, **adamax)
            calls[f"nadam {key}"] = lambda t=t, s=s, f=flags: F.nadam(t(), t(), t(), t(), s(), s(), **f, **nadam)
            calls[f"radam {key}"] = lambda t=t, s=s, f=flags: F.radam(t(), t(), t(), t(), s(), **f, **radam)
            calls[f"asgd {key}"] = lambda t=t, s=s, f=flags: F.asgd(t(), t(), t(), s(), s(), s(), **f, **asgd)
            calls[f"rprop {key}"] = lambda t=t, s=s, f=flags: F.rprop(t(), t(), t(), t(), s(), **f, **rprop)
            calls[f"adadelta {key}"] = lambda t=t, s=s, f=flags: F.adadelta(t(), t(), t(), t(), s(), **f, **adadelta)
    calls.update({
        "adamax int steps": lambda: F.adamax(ones(), ones(), ones(), ones(), [0], **adamax),
        "nadam float mu_products": lambda: F.nadam(ones(), ones(), ones(), ones(), [1.0], steps(), **nadam),
        "nadam int steps": lambda: F.nadam(ones(), ones(), ones(), ones(), [1.0], [1], **nadam),
        "radam int steps": lambda: F.radam(ones(), ones(), ones(), ones(), [0], **radam),
        "rprop int steps": lambda: F.rprop(ones(), ones(), ones(), ones(), [0], **rprop),
        "adadelta int steps": lambda: F.adadelta(ones(), ones(), ones(), ones(), [0], **adadelta),
        "adamax missing keywords": lambda: F.adamax(ones(), ones(), ones(), ones(), steps(), lr=0.1),
        "adamax short grads": lambda: F.adamax(ones(), [], ones(), ones(), steps(), **adamax),
        "sparse_adam dense": lambda: F.sparse_adam(ones(), ones(), ones(), ones(), [1], **sparse_adam),
        "sparse_adam maximize": lambda: F.sparse_adam(ones(), ones(), ones(), ones(), [1],
                                                      **{**sparse_adam, "maximize": True}),
        "sparse_adam no params": lambda: F.sparse_adam([], [], [], [], [], **sparse_adam),
        "sparse_adam short grads": lambda: F.sparse_adam(ones(), [], ones(), ones(), [1], **sparse_adam),
    })
    return calls


@pytest.mark.parametrize("case", list(_error_calls(torch)))
def test_functional_optimizer_errors_as_pytorchs(case):
    def run(lib):
        result = outcome(_error_calls(lib)[case])
        return (result.type, result.message.replace("torchless", "torch")) if result is not None else "returned"
    assert run(torchless) == run(torch)


def test_functional_asgd_counts_a_step_given_as_a_number_as_pytorchs_for_loop():
    def run(lib):
        steps, etas, mus, axs = [0], [lib.tensor(0.1)], [lib.tensor(1.0)], [lib.zeros(3)]
        params = [lib.ones(3)]
        _functional(lib, "asgd")(params, [lib.ones(3)], axs, mus, etas, steps, lambd=0.1, lr=0.1, t0=0, alpha=0.75,
                                 weight_decay=0)
        return steps, etas[0].item(), mus[0].item(), params[0].tolist(), axs[0].tolist()
    assert run(torchless) == run(torch)


# ---------------------------------------------------------------------------- tensor learning rates in foreach kernels
def _tensor_lr_trajectory(lib, name, options, dtype, foreach, steps=8):
    rng = np.random.default_rng(5)
    shapes = [(4, 3), (7,), ()]
    params = [lib.nn.Parameter(lib.tensor(rng.standard_normal(shape).astype(dtype))) for shape in shapes]
    optimizer = getattr(lib.optim, name)(params, lr=lib.tensor(0.01), foreach=foreach, **options)
    for _ in range(steps):
        for param, shape in zip(params, shapes):
            param.grad = lib.tensor(rng.standard_normal(shape).astype(dtype))
        optimizer.step()
    counters = [float(value) for state in optimizer.state.values() for key, value in state.items()
                if key in ("eta", "mu")]
    return [param.detach().numpy() for param in params], counters


@pytest.mark.parametrize("name, options", [("Adamax", dict(weight_decay=0.1)),
                                           ("ASGD", dict(lambd=0.01, t0=3, weight_decay=0.01)),
                                           ("ASGD", dict(lambd=0.3, alpha=0.3))])
@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tensor_lr_step_sizes_round_as_pytorchs_kernels(name, options, foreach, dtype):
    # PyTorch's foreach Adamax reads a tensor lr's value as a double, its for-loop divides the 0-d tensor; foreach
    # ASGD divides the tensor lr by a tensor (a true division, not a reciprocal times a number)
    got, got_counters = _tensor_lr_trajectory(torchless, name, options, dtype, foreach)
    expected, expected_counters = _tensor_lr_trajectory(torch, name, options, dtype, foreach)
    for have, want in zip(got, expected):
        np.testing.assert_array_equal(have, want)
    assert got_counters == expected_counters


# ---------------------------------------------------------------------------- Adafactor's functional form, the namespace
_ADAFACTOR_SHAPES = [(3, 4), (5,), (), (2, 3, 2)]
_ADAFACTOR_OPTIONS = [
    (dict(d=1.0, lr=0.01, beta2_decay=-0.8, weight_decay=0.0, eps1=None, eps2=1e-3, maximize=False), dict()),
    (dict(d=1.5, lr=0.1, beta2_decay=-0.5, weight_decay=0.1, eps1=1e-20, eps2=1e-2, maximize=True),
     dict(d=1.5, lr=0.1, beta2_decay=-0.5, weight_decay=0.1, eps=(1e-20, 1e-2), maximize=True)),
]


def _adafactor_functional_run(lib, options, dtype, foreach, steps=6):
    rng = np.random.default_rng(0)
    params = [lib.tensor(rng.standard_normal(shape).astype(dtype)) for shape in _ADAFACTOR_SHAPES]
    matrices = [len(shape) > 1 for shape in _ADAFACTOR_SHAPES]
    row_vars = [lib.zeros(s[:-1] + (1,), dtype=p.dtype) if m else None
                for s, p, m in zip(_ADAFACTOR_SHAPES, params, matrices)]
    col_vars = [lib.zeros(s[:-2] + (1,) + s[-1:], dtype=p.dtype) if m else None
                for s, p, m in zip(_ADAFACTOR_SHAPES, params, matrices)]
    variances = [None if m else lib.zeros_like(p) for p, m in zip(params, matrices)]
    steps_list = [lib.tensor(0.0) for _ in params]
    adafactor = importlib.import_module(f"{lib.__name__}.optim._adafactor").adafactor
    for _ in range(steps):
        grads = [lib.tensor(rng.standard_normal(shape).astype(dtype)) for shape in _ADAFACTOR_SHAPES]
        adafactor(params, grads, row_vars, col_vars, variances, steps_list, foreach=foreach, **options)
    states = [t.numpy() for t in row_vars + col_vars + variances + steps_list if t is not None]
    return [p.numpy() for p in params], states


@pytest.mark.parametrize("options, class_options", _ADAFACTOR_OPTIONS)
@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_functional_adafactor_updates_as_the_class_and_as_pytorch(options, class_options, foreach, dtype):
    got, got_states = _adafactor_functional_run(torchless, options, dtype, foreach)
    rng = np.random.default_rng(0)
    params = [torchless.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
              for shape in _ADAFACTOR_SHAPES]
    optimizer = torchless.optim.Adafactor(params, foreach=foreach, **class_options)
    for _ in range(6):
        for param, shape in zip(params, _ADAFACTOR_SHAPES):
            param.grad = torchless.tensor(rng.standard_normal(shape).astype(dtype))
        optimizer.step()
    for have, want in zip(got, params):
        np.testing.assert_array_equal(have, want.detach().numpy())
    expected, expected_states = _adafactor_functional_run(torch, options, dtype, foreach)
    tolerance = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)
    for have, want in zip(got + got_states, expected + expected_states):
        assert have.dtype == want.dtype
        np.testing.assert_allclose(have, want, **tolerance)


def _adafactor_error_calls(lib):
    adafactor = importlib.import_module(f"{lib.__name__}.optim._adafactor").adafactor
    options = dict(d=1.0, lr=0.01, beta2_decay=-0.8, weight_decay=0.0, eps1=None, eps2=1e-3, maximize=False)

    def matrix():
        return [lib.ones(2, 3)]

    def vector():
        return [lib.ones(3)]

    def steps():
        return [lib.tensor(0.0)]

    return {
        "float steps": lambda: adafactor(vector(), vector(), [None], [None], vector(), [0.0], **options),
        "grad_scale": lambda: adafactor(vector(), vector(), [None], [None], vector(), steps(),
                                        grad_scale=lib.tensor(1.0), **options),
        "found_inf foreach": lambda: adafactor(vector(), vector(), [None], [None], vector(), steps(), foreach=True,
                                               found_inf=lib.tensor(0.0), **options),
        "found_inf foreach no params": lambda: adafactor([], [], [], [], [], [], foreach=True,
                                                         found_inf=lib.tensor(0.0), **options),
        "matrix without row_var": lambda: adafactor(matrix(), matrix(), [None], [lib.zeros(1, 3)], [None], steps(),
                                                    **options),
        "vector without variance": lambda: adafactor(vector(), vector(), [None], [None], [None], steps(), **options),
    }


@pytest.mark.parametrize("case", list(_adafactor_error_calls(torch)))
def test_functional_adafactor_errors_as_pytorchs(case):
    def run(lib):
        result = outcome(_adafactor_error_calls(lib)[case])
        return (result.type, result.message) if result is not None else "returned"
    assert run(torchless) == run(torch)


def test_optim_namespace_as_pytorchs():
    # the submodules' names dropped (still importable), the functional interface's module held, Adafactor's private
    import torchless.optim.adam  # noqa: F401

    def public_names(lib):  # (swa_utils is there once imported)
        return {name for name in dir(lib.optim) if not name.startswith("_")} - {"swa_utils"}
    for name in ("adam", "sgd", "optimizer", "lbfgs", "sparse_adam"):
        assert outcome(lambda: getattr(torchless.optim, name)).message == \
            outcome(lambda: getattr(torch.optim, name)).message.replace("torch", "torchless")
    assert public_names(torchless) == public_names(torch)
    assert torchless.optim._functional is sys.modules["torchless.optim._functional"]
    assert importlib.import_module("torchless.optim._adafactor").Adafactor is torchless.optim.Adafactor
    assert _signature(importlib.import_module("torchless.optim._adafactor").adafactor) == \
        _signature(importlib.import_module("torch.optim._adafactor").adafactor)


@pytest.mark.parametrize("module", ["adadelta", "adagrad", "adam", "adamax", "adamw", "asgd", "lbfgs", "nadam",
                                    "optimizer", "radam", "rmsprop", "rprop", "sgd", "sparse_adam", "_adafactor"])
def test_optim_submodules_export_what_pytorchs_do(module):
    ours = importlib.import_module(f"torchless.optim.{module}")
    theirs = importlib.import_module(f"torch.optim.{module}")
    assert getattr(ours, "__all__", None) == theirs.__all__


@pytest.mark.parametrize("shape", [(2, 2), (3, 5), (4, 3, 2), (1, 7)])
@pytest.mark.parametrize("foreach", [False, True])
def test_adafactor_row_and_column_means_are_squared_norms_as_pytorchs(shape, foreach):
    # PyTorch averages g * g as norm(g) ** 2 / n: a row of ones gives 1 - 2**-24 in float32, not 1
    def run(lib):
        params = [lib.nn.Parameter(lib.ones(shape))]
        optimizer = lib.optim.Adafactor(params, foreach=foreach)
        for scale in (1.0, 3.0):
            params[0].grad = lib.full(shape, scale)
            optimizer.step()
        state = optimizer.state[params[0]]
        return [state[key].numpy() for key in ("row_var", "col_var")] + [params[0].detach().numpy()]
    for have, want in zip(run(torchless), run(torch)):
        np.testing.assert_array_equal(have, want)


# ---------------------------------------------------------------------------- complex parameters' weight decay
def _complex_first_step(lib, name, foreach, dtype, state_key):
    rng = np.random.default_rng(7)

    def complex_array(shape):
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    params = [lib.nn.Parameter(lib.tensor(complex_array(shape))) for shape in [(40, 30), (7,), ()]]
    optimizer = getattr(lib.optim, name)(params, weight_decay=0.1, foreach=foreach)
    for param in params:
        param.grad = lib.tensor(complex_array(tuple(param.shape)))
    optimizer.step()
    if state_key is None:
        return [param.detach().numpy() for param in params]
    return [optimizer.state[param][state_key].numpy() for param in params]


@pytest.mark.parametrize("name, state_key", [("Adamax", None), ("Adamax", "exp_inf"), ("Adagrad", "sum"),
                                             ("RMSprop", "square_avg"), ("Adadelta", "square_avg")])
@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_weight_decay_rounds_as_pytorchs_for_loop_and_foreach_kernels(name, state_key, foreach, dtype):
    # the for-loops add it as complex numbers (product and sum rounded each), the foreach kernels to the real views
    # (fused); the first step's moments hold the decayed gradient alone (no square root, whose last bit is the
    # CPU's), Adamax's parameters too
    got = _complex_first_step(torchless, name, foreach, dtype, state_key)
    expected = _complex_first_step(torch, name, foreach, dtype, state_key)
    for have, want in zip(got, expected):
        np.testing.assert_array_equal(have, want)
