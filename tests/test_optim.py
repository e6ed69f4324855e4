"""torchless.optim optimizers: update rules (vs a float64 reference and vs PyTorch), state_dict, errors."""
import copy
import warnings

import numpy as np
import pytest

import torchless
from torchless.nn import Parameter
from helpers import Raised, optimizer_problem, outcome, run_optimizer, take_steps
from torchless.optim import SGD, Adam, AdamW, Optimizer

STEPS = 20

SGD_OPTIONS = [
    {},
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.5},
    {"lr": 0.05, "momentum": 0.8, "nesterov": True},
    {"lr": 0.1, "weight_decay": 0.1},
    {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01, "nesterov": True, "maximize": True},
    {"lr": 0.1, "momentum": 0.5, "dampening": 0.1, "weight_decay": 0.2, "maximize": True},
]
ADAM_OPTIONS = [
    {},
    {"lr": 0.01},
    {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.01, "amsgrad": True},
    {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True, "maximize": True},
    {"lr": 0.02, "betas": (0.3, 0.5)},  # beta1 < 0.5 takes the other branch of lerp
    {"lr": 0.01, "weight_decay": 0.05, "decoupled_weight_decay": True},
]
ADAMW_OPTIONS = [
    {},
    {"lr": 0.01},
    {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True},
    {"lr": 0.01, "weight_decay": 0.0, "maximize": True},
]
CASES = ([("SGD", o) for o in SGD_OPTIONS] + [("Adam", o) for o in ADAM_OPTIONS]
         + [("AdamW", o) for o in ADAMW_OPTIONS])
TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


def make_problem(dtype, seed=0, steps=STEPS):
    return optimizer_problem(dtype, seed, steps)


run = run_optimizer


# ---------------------------------------------------------------------------- independent float64 reference
def reference_sgd(theta, grads, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    """SGD as PyTorch documents it, written out plainly in float64."""
    theta, buf = theta.astype(np.float64), None
    for g in grads:
        g = -g if maximize else g.astype(np.float64)
        g = g + weight_decay * theta
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        theta = theta - lr * g
    return theta


def reference_adam(theta, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                   maximize=False, decoupled_weight_decay=False):
    """Adam/AdamW as PyTorch documents them, written out plainly in float64."""
    theta = theta.astype(np.float64)
    m = v = v_max = np.zeros_like(theta)
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g.astype(np.float64)
        if decoupled_weight_decay:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g * g
        v_max = np.maximum(v_max, v)
        v_hat = (v_max if amsgrad else v) / (1 - betas[1] ** t)
        theta = theta - lr * (m / (1 - betas[0] ** t)) / (np.sqrt(v_hat) + eps)
    return theta


@pytest.mark.parametrize("name,options", CASES)
def test_float64_matches_reference(name, options):
    initial, grads = make_problem(np.float64, seed=1)
    params, _ = run(torchless, name, options, initial, grads)
    if name == "SGD":
        reference = reference_sgd
    else:
        reference = reference_adam
        if name == "AdamW":
            options = {"weight_decay": 1e-2, **options, "decoupled_weight_decay": True}
    for i, p in enumerate(params):
        expected = reference(initial[i], [g[i] for g in grads], **options)
        np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-9, atol=1e-12)


def test_sgd_one_step_by_hand():
    p = Parameter(torchless.tensor([1.0, -2.0]))
    p.grad = torchless.tensor([0.5, 0.25])
    SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.detach().numpy(), [0.95, -2.025], rtol=1e-7)


def test_adam_first_step_moves_each_weight_by_lr():
    # at step 1, m_hat = g and sqrt(v_hat) = |g|, so each weight moves by lr * sign(g) (up to eps)
    p = Parameter(torchless.tensor([1.0, -2.0, 3.0]))
    p.grad = torchless.tensor([0.5, -4.0, 1e-3])
    Adam([p], lr=0.1).step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9, -1.9, 2.9], rtol=1e-5)


# ---------------------------------------------------------------------------- PyTorch as oracle
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,options", CASES)
def test_matches_torch_after_20_steps(name, options, dtype):
    torch = pytest.importorskip("torch")
    initial, grads = make_problem(dtype)
    theirs, their_opt = run(torch, name, options, initial, grads)
    ours, our_opt = run(torchless, name, options, initial, grads)
    for p, q in zip(ours, theirs):
        assert p.dtype.numpy == dtype
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), **TOLERANCE[dtype])
    assert_same_state_dict(our_opt.state_dict(), their_opt.state_dict(), dtype)


def assert_same_state_dict(ours, theirs, dtype=np.float32):
    torch = pytest.importorskip("torch")
    assert ours["param_groups"] == theirs["param_groups"]
    assert list(ours["state"]) == list(theirs["state"])
    for index, their_state in theirs["state"].items():
        our_state = ours["state"][index]
        assert list(our_state) == list(their_state)
        for key, value in their_state.items():
            assert isinstance(value, torch.Tensor)
            ours_value = our_state[key]
            assert isinstance(ours_value, torchless.Tensor)
            assert str(ours_value.dtype).split(".")[1] == str(value.dtype).split(".")[1]
            assert tuple(ours_value.shape) == tuple(value.shape)
            np.testing.assert_allclose(ours_value.numpy(), value.numpy(), **TOLERANCE[dtype])


def test_param_groups_with_different_lrs_match_torch():
    torch = pytest.importorskip("torch")
    initial, grads = make_problem(np.float32, seed=3)
    results = []
    for lib in (torchless, torch):
        params = [lib.nn.Parameter(lib.tensor(a.copy())) for a in initial]
        opt = lib.optim.Adam([{"params": params[:2], "lr": 0.1}, {"params": [params[2]], "betas": (0.5, 0.6)}],
                             lr=0.01, amsgrad=True)
        take_steps(lib, opt, params, grads)
        results.append((params, opt.state_dict()))
    (ours, our_sd), (theirs, their_sd) = results
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-5)
    assert_same_state_dict(our_sd, their_sd)
    assert our_sd["param_groups"][0]["params"] == [0, 1] and our_sd["param_groups"][1]["params"] == [2]


def test_each_group_uses_its_own_lr():
    a, b = Parameter(torchless.tensor([1.0])), Parameter(torchless.tensor([1.0]))
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = torchless.tensor([1.0]), torchless.tensor([1.0])
    opt.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.5)
    assert opt.param_groups[1]["momentum"] == 0  # defaults fill what the group leaves out


def test_lr_changed_in_param_groups_takes_effect():
    p = Parameter(torchless.tensor([0.0]))
    opt = SGD([p], lr=0.1)
    opt.param_groups[0]["lr"] = 1.0
    p.grad = torchless.tensor([1.0])
    opt.step()
    assert p.item() == pytest.approx(-1.0)


# ---------------------------------------------------------------------------- behaviour
@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps, lr=0.1)])
def test_params_without_grad_are_skipped(make):
    a, b = Parameter(torchless.tensor([1.0, 2.0])), Parameter(torchless.tensor([3.0]))
    opt = make([a, b])
    a.grad = torchless.tensor([1.0, 1.0])
    opt.step()
    assert b.tolist() == [3.0]
    assert b not in opt.state
    assert list(opt.state_dict()["state"]) == [0]
    assert a.tolist() != [1.0, 2.0]


def test_zero_grad_sets_to_none_by_default():
    p = Parameter(torchless.tensor([1.0, 2.0]))
    p.grad = torchless.tensor([3.0, 4.0])
    SGD([p]).zero_grad()
    assert p.grad is None


def test_zero_grad_set_to_none_false_zeroes_in_place():
    p = Parameter(torchless.tensor([1.0, 2.0]))
    grad = torchless.tensor([3.0, 4.0])
    p.grad = grad
    opt = SGD([p], lr=0.1, weight_decay=1.0)
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and grad.tolist() == [0.0, 0.0] and not grad.requires_grad
    opt.step()  # a zero gradient is still a step: weight decay moves the weight
    np.testing.assert_allclose(p.detach().numpy(), [0.9, 1.8], rtol=1e-6)


def test_step_updates_in_place_and_keeps_dtype():
    for dtype in (torchless.float32, torchless.float64):
        p = Parameter(torchless.ones(3, dtype=dtype))
        array = p._data
        opt = Adam([p], lr=0.1, weight_decay=0.1, amsgrad=True)
        p.grad = torchless.ones(3, dtype=dtype)
        opt.step()
        assert p._data is array and p.dtype == dtype
        state = opt.state[p]
        assert state["step"].dtype == torchless.float32 and state["step"].shape == ()
        assert all(state[k].dtype == dtype for k in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"))


def test_step_counter_follows_default_dtype():
    torchless.set_default_dtype(torchless.float64)
    try:
        p = Parameter(torchless.ones(2))
        opt = Adam([p])
        p.grad = torchless.ones(2)
        opt.step()
        assert opt.state[p]["step"].dtype == torchless.float64
    finally:
        torchless.set_default_dtype(torchless.float32)


def test_step_works_inside_and_outside_no_grad():
    p = Parameter(torchless.tensor([1.0]))
    opt = SGD([p], lr=0.5)
    p.grad = torchless.tensor([1.0])
    opt.step()
    with torchless.no_grad():
        opt.step()
    assert p.item() == pytest.approx(0.0) and p.requires_grad and p.is_leaf


def test_closure_is_evaluated_with_grad_enabled():
    p = Parameter(torchless.tensor([2.0]))
    opt = SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with torchless.no_grad():
        loss = opt.step(closure)
    assert loss.item() == pytest.approx(4.0)
    assert p.item() == pytest.approx(2.0 - 0.1 * 4.0)


def test_add_param_group_fills_defaults():
    a, b = Parameter(torchless.ones(1)), Parameter(torchless.ones(1))
    opt = Adam([a], lr=0.1, betas=(0.8, 0.9))
    opt.add_param_group({"params": b, "lr": 0.5})
    group = opt.param_groups[1]
    assert group["params"] == [b] and group["lr"] == 0.5 and group["betas"] == (0.8, 0.9)


def test_named_parameters_are_recorded():
    a, b = Parameter(torchless.ones(1)), Parameter(torchless.ones(1))
    opt = SGD([("w", a), ("b", b)])
    assert opt.param_groups[0]["params"] == [a, b]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


def test_adamw_defaults():
    opt = AdamW([Parameter(torchless.ones(1))])
    group = opt.param_groups[0]
    assert group["weight_decay"] == 1e-2 and group["decoupled_weight_decay"] is True
    assert isinstance(opt, Adam) and isinstance(opt, Optimizer)


@pytest.mark.parametrize("name,options", [("SGD", {"lr": 0.1}), ("SGD", {"momentum": 0.9, "weight_decay": 0.01}),
                                          ("Adam", {"lr": 0.01, "amsgrad": True}), ("AdamW", {})])
def test_repr_matches_torch(name, options):
    torch = pytest.importorskip("torch")
    ours = getattr(torchless.optim, name)([Parameter(torchless.ones(1))], **options)
    theirs = getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))], **options)
    assert repr(ours) == repr(theirs)


def test_repr_by_hand():
    opt = SGD([Parameter(torchless.ones(1))], lr=0.5)
    assert repr(opt) == ("SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n"
                         "    fused: None\n    lr: 0.5\n    maximize: False\n    momentum: 0\n    nesterov: False\n"
                         "    weight_decay: 0\n)")


# ---------------------------------------------------------------------------- state_dict
@pytest.mark.parametrize("name,options", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.01}),
                                          ("Adam", {"lr": 0.01, "amsgrad": True}), ("AdamW", {"lr": 0.01})])
def test_state_dict_round_trip_continues_like_uninterrupted(name, options):
    initial, grads = make_problem(np.float32, seed=5)
    uninterrupted, _ = run(torchless, name, options, initial, grads)

    first, opt = run(torchless, name, options, initial, grads[:10])
    saved = opt.state_dict()
    params = [Parameter(torchless.tensor(p.detach().numpy().copy())) for p in first]
    resumed = getattr(torchless.optim, name)(params, lr=123.0)  # hyper-parameters come from the state dict
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == options["lr"]
    take_steps(torchless, resumed, params, grads[10:])
    for p, q in zip(params, uninterrupted):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_state_dict_layout():
    a, b, c = (Parameter(torchless.ones(2)) for _ in range(3))
    opt = SGD([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1, momentum=0.9)
    for p in (a, c):
        p.grad = torchless.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert list(sd["state"]) == [0, 2]
    assert sd["state"][0]["momentum_buffer"] is opt.state[a]["momentum_buffer"]
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.5
    assert opt.param_groups[0]["params"] == [a, b]  # the optimizer itself keeps the tensors


def test_load_state_dict_casts_and_shares_the_rest():
    # As PyTorch's Tensor.to: cast state is new, state needing no cast (step here) is the loaded tensor itself
    p = Parameter(torchless.ones(2, dtype=torchless.float64))
    opt = Adam([p])
    saved = {"state": {0: {"step": torchless.tensor(3.0), "exp_avg": torchless.ones(2),
                           "exp_avg_sq": torchless.ones(2)}},
             "param_groups": [dict(opt.state_dict()["param_groups"][0])]}
    opt.load_state_dict(saved)
    state = opt.state[p]
    assert state["exp_avg"].dtype == torchless.float64
    assert state["step"].dtype == torchless.float32 and state["step"].item() == 3.0
    saved["state"][0]["step"].fill_(7.0)
    saved["state"][0]["exp_avg"].fill_(7.0)
    assert state["step"].item() == 7.0 and state["exp_avg"].tolist() == [1.0, 1.0]


def test_load_state_dict_accepts_python_number_step():
    p = Parameter(torchless.ones(2))
    opt = Adam([p])
    opt.load_state_dict({"state": {0: {"step": 4, "exp_avg": torchless.zeros(2), "exp_avg_sq": torchless.zeros(2)}},
                         "param_groups": opt.state_dict()["param_groups"]})
    step = opt.state[p]["step"]
    assert isinstance(step, torchless.Tensor) and step.item() == 4.0 and step.dtype == torchless.float32


def test_load_state_dict_errors_match_torch():
    torch = pytest.importorskip("torch")
    messages = []
    for lib, make in ((torchless, lambda: Parameter(torchless.ones(1))),
                      (torch, lambda: torch.nn.Parameter(torch.ones(1)))):
        one_group = lib.optim.SGD([make(), make()]).state_dict()
        two_groups = lib.optim.SGD([{"params": [make()]}, {"params": [make()]}])
        three = lib.optim.SGD([make(), make(), make()])
        found = []
        for opt in (two_groups, three):
            with pytest.raises(ValueError) as info:
                opt.load_state_dict(one_group)
            found.append(str(info.value))
        messages.append(found)
    assert messages[0] == messages[1]
    assert messages[0] == ["loaded state dict has a different number of parameter groups",
                           "loaded state dict contains a parameter group that doesn't match the size of "
                           "optimizer's group"]


# ---------------------------------------------------------------------------- errors
ERROR_CASES = [
    ("SGD", lambda P: ([], {}), ValueError),
    ("SGD", lambda P: ([P()], {"lr": -1}), ValueError),
    ("SGD", lambda P: ([P()], {"lr": -0.5}), ValueError),
    ("SGD", lambda P: ([P()], {"momentum": -0.1}), ValueError),
    ("SGD", lambda P: ([P()], {"weight_decay": -1e-4}), ValueError),
    ("SGD", lambda P: ([P()], {"nesterov": True}), ValueError),
    ("SGD", lambda P: ([P()], {"nesterov": True, "momentum": 0.9, "dampening": 0.1}), ValueError),
    ("Adam", lambda P: ([], {}), ValueError),
    ("Adam", lambda P: ([P()], {"lr": -1}), ValueError),
    ("Adam", lambda P: ([P()], {"eps": -1e-8}), ValueError),
    ("Adam", lambda P: ([P()], {"betas": (1.0, 0.999)}), ValueError),
    ("Adam", lambda P: ([P()], {"betas": (0.9, -0.1)}), ValueError),
    ("Adam", lambda P: ([P()], {"betas": (0, 0.9)}), ValueError),
    ("Adam", lambda P: ([P()], {"weight_decay": -1}), ValueError),
    ("AdamW", lambda P: ([P()], {"lr": -2.5}), ValueError),
    ("SGD", lambda P: ([P(), 1.5], {}), TypeError),
    ("SGD", lambda P: ([{"params": {P()}}], {}), TypeError),
    ("SGD", lambda P: (P(), {}), TypeError),
    ("SGD", lambda P: ([P() * 2], {}), ValueError),
    ("SGD", lambda P: ([{"params": [P()]}, [P()]], {}), TypeError),
]


@pytest.mark.parametrize("name,make_args,error", ERROR_CASES)
def test_errors_match_torch(name, make_args, error):
    torch = pytest.importorskip("torch")
    found = []
    for lib, make in ((torchless, lambda: Parameter(torchless.ones(1))),
                      (torch, lambda: torch.nn.Parameter(torch.ones(1)))):
        params, kwargs = make_args(make)
        with pytest.raises(error) as info:
            getattr(lib.optim, name)(params, **kwargs)
        found.append(str(info.value).replace("torchless.", "torch."))
    assert found[0] == found[1]


def test_error_messages_by_hand():
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        SGD([])
    with pytest.raises(ValueError, match="^Invalid learning rate: -1$"):
        SGD([Parameter(torchless.ones(1))], lr=-1)
    with pytest.raises(ValueError, match="^Nesterov momentum requires a momentum and zero dampening$"):
        SGD([Parameter(torchless.ones(1))], nesterov=True)
    with pytest.raises(ValueError, match="^can't optimize a non-leaf Tensor$"):
        SGD([Parameter(torchless.ones(1)) * 2])


def test_same_param_in_two_groups_is_refused():
    torch = pytest.importorskip("torch")
    found = []
    for lib, make in ((torchless, lambda: Parameter(torchless.ones(1))),
                      (torch, lambda: torch.nn.Parameter(torch.ones(1)))):
        p = make()
        with pytest.raises(ValueError) as info:
            lib.optim.SGD([{"params": [p]}, {"params": [p]}])
        found.append(str(info.value))
    assert found[0] == found[1] == "some parameters appear in more than one parameter group"


def test_duplicate_params_warn():
    p = Parameter(torchless.ones(1))
    with pytest.warns(UserWarning, match="duplicate parameters"):
        SGD([p, p])


@pytest.mark.filterwarnings("ignore:optimizer contains a parameter group with duplicate parameters")
@pytest.mark.parametrize("name,options", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("SGD", {"lr": 0.1}),
                                          ("Adam", {"lr": 0.1})])
def test_parameter_listed_twice_matches_torch(name, options):
    """PyTorch updates it once per occurrence, an SGD step reading the momentum buffer before either update, and
    its state_dict numbers it by its last occurrence."""
    torch = pytest.importorskip("torch")
    initial, grads = make_problem(np.float32, steps=3)
    results = []
    for lib in (torchless, torch):
        params = [lib.nn.Parameter(lib.tensor(a.copy())) for a in initial]
        optimizer = getattr(lib.optim, name)([params[0], params[1], params[0]], **options)
        take_steps(lib, optimizer, params, grads)
        results.append((params, optimizer.state_dict()))
    (ours, our_sd), (theirs, their_sd) = results
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), **TOLERANCE[np.float32])
    assert our_sd["param_groups"][0]["params"] == [2, 1, 2]
    assert_same_state_dict(our_sd, their_sd)


def test_no_warning_for_ordinary_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = Parameter(torchless.ones(1))
        opt = SGD([p], lr=0.1)
        p.grad = torchless.ones(1)
        opt.step()


@pytest.mark.parametrize("flag", ["fused", "differentiable"])
def test_fused_and_differentiable_steps_behave_as_torch(flag):
    """fused=True is another kernel for the same update; differentiable=True fails when step() would update a
    leaf that requires grad in place (PyTorch's autograd error)."""
    torch = pytest.importorskip("torch")

    def run(lib):
        p = lib.nn.Parameter(lib.ones(2))
        optimizer = lib.optim.Adam([p], lr=0.1, **{flag: True})
        p.grad = lib.tensor([0.5, -2.0])
        optimizer.step()
        return p.detach().numpy().tolist()
    expected, actual = outcome(lambda: run(torch)), outcome(lambda: run(torchless))
    if isinstance(expected, Raised):
        assert actual == expected
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-6)


def test_deepcopy_of_state_dict_is_independent():
    p = Parameter(torchless.ones(2))
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = torchless.ones(2)
    opt.step()
    saved = copy.deepcopy(opt.state_dict())
    opt.step()
    assert saved["state"][0]["momentum_buffer"].tolist() == [1.0, 1.0]
