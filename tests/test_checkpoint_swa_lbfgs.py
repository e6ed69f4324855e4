"""torchless.utils.checkpoint, torchless.optim.swa_utils and torchless.optim.LBFGS, against PyTorch and on their own."""
import copy
import warnings

import numpy as np
import pytest

import torchless
from torchless.optim import LBFGS
from torchless.optim import swa_utils
from torchless.utils.checkpoint import checkpoint, checkpoint_sequential
from helpers import assert_same_error, outcome, state_dict_from_torch

torch = pytest.importorskip("torch")
import torch.utils.checkpoint  # noqa: E402  (a submodule torch does not import by itself)

RNG = np.random.default_rng(0)
IMAGES = RNG.standard_normal((6, 1, 8, 8)).astype(np.float32)
LABELS = RNG.integers(0, 4, 6)


def small_cnn(lib, dropout=0.0):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.Tanh(), nn.Dropout(dropout), nn.Flatten(),
                         nn.Linear(3 * 6 * 6, 4))


def twin_cnns(seed=0, dropout=0.0):
    torch.manual_seed(seed)
    theirs = small_cnn(torch, dropout)
    ours = small_cnn(torchless, dropout)
    ours.load_state_dict(state_dict_from_torch(theirs))
    return theirs, ours


def recorded_warnings(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [str(w.message).replace("torch.", "torchless.") for w in caught]


# ============================================================================ checkpoint
def grads(model, x):
    return [p.grad.numpy().copy() for p in model.parameters()] + [x.grad.numpy().copy()]


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_gradients_equal_unchecked_ones(use_reentrant):
    """The recomputation draws the same dropout mask as the forward: gradients are those without checkpoint."""
    torchless.manual_seed(0)
    model = small_cnn(torchless, dropout=0.5)
    x = torchless.tensor(IMAGES, requires_grad=True)
    state = torchless.get_rng_state()
    out = checkpoint(model, x, use_reentrant=use_reentrant)
    torchless.randn(3)  # the generator moves on between forward and backward
    out.square().sum().backward()
    checked = grads(model, x)
    model.zero_grad()
    x.grad = None
    torchless.set_rng_state(state)
    expected = model(x)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    expected.square().sum().backward()
    for ours, theirs in zip(checked, grads(model, x), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_matches_torch(use_reentrant):
    theirs, ours = twin_cnns(1)
    x_theirs = torch.tensor(IMAGES, requires_grad=True)
    x_ours = torchless.tensor(IMAGES, requires_grad=True)
    out_theirs = torch.utils.checkpoint.checkpoint(theirs, x_theirs, use_reentrant=use_reentrant)
    out_ours = checkpoint(ours, x_ours, use_reentrant=use_reentrant)
    assert out_ours.grad_fn.name() == out_theirs.grad_fn.name()
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    out_theirs.sum().backward()
    out_ours.sum().backward()
    # Some gradients are sums that cancel to ~1e-7, where float32 rounding (which differs with each machine's
    # BLAS kernels) decides the sign: torch.testing's float32 tolerance, atol 1e-5, covers them.
    for p_ours, p_theirs in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p_ours.grad.numpy(), p_theirs.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("use_reentrant", [True, False])
@pytest.mark.parametrize("segments", [1, 2, 3])
def test_checkpoint_sequential_matches_torch(use_reentrant, segments):
    theirs, ours = twin_cnns(2)
    x_theirs = torch.tensor(IMAGES, requires_grad=True)
    x_ours = torchless.tensor(IMAGES, requires_grad=True)
    out_theirs = torch.utils.checkpoint.checkpoint_sequential(theirs, segments, x_theirs, use_reentrant=use_reentrant)
    out_ours = checkpoint_sequential(ours, segments, x_ours, use_reentrant=use_reentrant)
    assert out_ours.grad_fn.name() == out_theirs.grad_fn.name()
    out_theirs.sum().backward()
    out_ours.sum().backward()
    for p_ours, p_theirs in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p_ours.grad.numpy(), p_theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_checkpoint_warnings_match_torch():
    for lib, module in ((torch, torch.utils.checkpoint), (torchless, torchless.utils.checkpoint)):
        layer = lib.nn.Linear(3, 2)
        x = lib.ones(2, 3, requires_grad=True)
        results = [recorded_warnings(lambda: module.checkpoint(layer, x)),
                   recorded_warnings(lambda: module.checkpoint(layer, x, use_reentrant=False)),
                   recorded_warnings(lambda: module.checkpoint_sequential([layer, layer.__class__(2, 2)], 2, x)),
                   # reentrant without an input requiring grad: nothing is recorded, the layer gets no grad
                   recorded_warnings(lambda: module.checkpoint(layer, lib.ones(2, 3), use_reentrant=True))]
        if lib is torch:
            expected = [(w, r.requires_grad) for r, w in results]
        else:
            assert [(w, r.requires_grad) for r, w in results] == expected
    assert expected[3] == (["None of the inputs have requires_grad=True. Gradients will be None"], False)


def test_checkpoint_errors_match_torch():
    def cases(lib, module):
        layer = lib.nn.Linear(3, 2)
        x = lib.ones(2, 3, requires_grad=True)
        return [
            lambda: module.checkpoint(layer, x, use_reentrant=True, extra=1, other=2),
            lambda: module.checkpoint(layer, x, use_reentrant=True, debug=True),
            lambda: module.checkpoint(layer, x, use_reentrant=True, context_fn=module.noop_context_fn.__call__),
            lambda: module.checkpoint(layer, x, use_reentrant=False, determinism_check="all"),
            lambda: module.checkpoint(layer, x, use_reentrant=False, debug=True, context_fn=lambda: (None, None)),
            lambda: module.checkpoint_sequential([layer], 1, x, use_reentrant=False, extra=1),
            lambda: module.detach_variable([x]),
        ]

    for expected, actual in zip(cases(torch, torch.utils.checkpoint),
                                cases(torchless, torchless.utils.checkpoint), strict=True):
        assert_same_error(expected, actual)


def test_checkpoint_passes_keyword_arguments_without_reentrance():
    x = torchless.ones(2, requires_grad=True)
    out = checkpoint(lambda a, scale: a * scale, x, scale=3.0, use_reentrant=False, preserve_rng_state=False)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


# ============================================================================ swa_utils
def parameter_sequence(model, count, seed):
    """``count`` state dicts for ``model`` (as NumPy arrays): random parameters and BatchNorm statistics."""
    rng = np.random.default_rng(seed)
    def draw(key, value):
        if value.dtype != torch.float32:
            return np.array(rng.integers(0, 10), np.int64)
        array = rng.standard_normal(value.shape).astype(np.float32)
        return np.abs(array) + np.float32(0.5) if key.endswith("running_var") else array

    return [{k: draw(k, v) for k, v in model.state_dict().items()} for _ in range(count)]


# name: (keyword of AveragedModel, the swa_utils function making it, its arguments)
AVERAGING = {
    "swa": None,
    "ema_avg_fn": ("avg_fn", "get_ema_avg_fn", (0.9,)),
    "swa_avg_fn": ("avg_fn", "get_swa_avg_fn", ()),
    "ema_multi": ("multi_avg_fn", "get_ema_multi_avg_fn", (0.8,)),
    "swa_multi": ("multi_avg_fn", "get_swa_multi_avg_fn", ()),
}


def averaged_models(lib, module, name, use_buffers, states):
    model = small_cnn(lib)
    kwargs = {}
    if AVERAGING[name] is not None:
        keyword, factory, args = AVERAGING[name]
        kwargs[keyword] = getattr(module, factory)(*args)
    averaged = module.AveragedModel(model, use_buffers=use_buffers, **kwargs)
    for state in states:
        model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        outcome_ = outcome(lambda: averaged.update_parameters(model))
        if outcome_ is not None:
            return outcome_
    return averaged


@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("name", list(AVERAGING))
def test_averaged_model_matches_torch(name, use_buffers):
    states = parameter_sequence(small_cnn(torch), 4, seed=3)
    theirs = averaged_models(torch, torch.optim.swa_utils, name, use_buffers, states)
    ours = averaged_models(torchless, swa_utils, name, use_buffers, states)
    if not isinstance(theirs, torch.nn.Module):  # PyTorch's integer SWA through addcdiv fails: so does ours
        assert ours == (theirs.type, theirs.message.replace("torch.", "torchless.")), ours
        return
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(ours.state_dict())[:2] == ["n_averaged", "module.0.weight"]
    for key, value in theirs.state_dict().items():
        actual = ours.state_dict()[key]
        assert actual.dtype.name == str(value.dtype).replace("torch.", ""), key
        np.testing.assert_allclose(actual.numpy(), value.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)
    x = torch.tensor(IMAGES)
    theirs.eval()
    ours.eval()
    np.testing.assert_allclose(ours(torchless.tensor(IMAGES)).detach().numpy(), theirs(x).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


def test_swa_is_the_mean_of_the_models_seen():
    states = parameter_sequence(small_cnn(torch), 5, seed=4)
    averaged = averaged_models(torchless, swa_utils, "swa", False, states)
    assert int(averaged.n_averaged) == 5
    np.testing.assert_allclose(averaged.module[0].weight.detach().numpy(),
                               np.mean([s["0.weight"] for s in states], axis=0), rtol=1e-5, atol=1e-6)
    # without use_buffers the statistics are the last model's
    np.testing.assert_array_equal(averaged.module[1].running_mean.numpy(), states[-1]["1.running_mean"])


def test_swa_errors_match_torch():
    def cases(lib, module):
        model = lib.nn.Linear(2, 2)
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
        return [
            lambda: module.AveragedModel(model, avg_fn=module.get_swa_avg_fn(),
                                         multi_avg_fn=module.get_swa_multi_avg_fn()),
            lambda: module.get_ema_avg_fn(1.5),
            lambda: module.get_ema_multi_avg_fn(-0.1),
            lambda: module.SWALR(optimizer, swa_lr=0.05, anneal_strategy="exp"),
            lambda: module.SWALR(optimizer, swa_lr=0.05, anneal_epochs=-1),
            lambda: module.SWALR(optimizer, swa_lr=0.05, anneal_epochs=2.0),
            lambda: module.SWALR(optimizer, swa_lr=[0.05, 0.01]),
        ]

    for expected, actual in zip(cases(torch, torch.optim.swa_utils), cases(torchless, swa_utils), strict=True):
        assert_same_error(expected, actual)


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 5])
def test_swalr_learning_rates_match_torch(strategy, anneal_epochs):
    def lrs(lib, module):
        params = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))]
        optimizer = lib.optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.3}], lr=0.1)
        cosine = lib.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=20)
        swa = module.SWALR(optimizer, swa_lr=[0.05, 0.01], anneal_epochs=anneal_epochs, anneal_strategy=strategy)
        seen = [swa.get_last_lr()]
        for epoch in range(12):
            optimizer.step()
            (cosine if epoch < 4 else swa).step()
            seen.append(swa.get_last_lr())
        return seen, swa.state_dict()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, expected_state = lrs(torch, torch.optim.swa_utils)
        actual, actual_state = lrs(torchless, swa_utils)
    np.testing.assert_allclose(actual, expected, rtol=1e-12)
    assert sorted(actual_state) == sorted(expected_state)
    assert "anneal_func" not in actual_state and actual_state["_anneal_strategy"] == strategy


def test_swalr_state_dict_round_trip():
    optimizer = torchless.optim.SGD([torchless.nn.Parameter(torchless.ones(2))], lr=0.1)
    scheduler = swa_utils.SWALR(optimizer, swa_lr=0.02, anneal_strategy="linear", anneal_epochs=4)
    optimizer.step()
    scheduler.step()
    other = swa_utils.SWALR(torchless.optim.SGD([torchless.nn.Parameter(torchless.ones(2))], lr=0.1), swa_lr=0.5)
    other.load_state_dict(scheduler.state_dict())
    assert other.anneal_func(0.25) == 0.25 and other.anneal_epochs == 4


def test_update_bn_matches_torch():
    theirs, ours = twin_cnns(5)
    batches = [RNG.standard_normal((4, 1, 8, 8)).astype(np.float32) for _ in range(3)]
    theirs.eval()
    ours.eval()
    torch.optim.swa_utils.update_bn([(torch.tensor(b), 0) for b in batches], theirs)
    swa_utils.update_bn([torchless.tensor(b) for b in batches], ours)
    assert not ours.training and ours[1].momentum == 0.1
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)
    # the cumulative average of the batches' statistics, independent of PyTorch
    means = [b.mean() for b in batches]
    conv = ours[0]
    activations = [conv(torchless.tensor(b)).detach().numpy() for b in batches]
    np.testing.assert_allclose(ours[1].running_mean.numpy(), np.mean([a.mean(axis=(0, 2, 3)) for a in activations],
                                                                     axis=0), rtol=1e-5, atol=1e-6)
    assert len(means) == int(ours[1].num_batches_tracked)


# ============================================================================ LBFGS
def run_lbfgs(lib, model, steps, inputs, labels, **options):
    optimizer = lib.optim.LBFGS(model.parameters(), **options)

    def closure():
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(inputs), labels)
        loss.backward()
        return loss

    trajectory = []
    for _ in range(steps):
        loss = optimizer.step(closure)
        trajectory.append((float(loss.detach()), [p.detach().numpy().copy() for p in model.parameters()]))
    return trajectory, optimizer


LBFGS_OPTIONS = [
    {"max_iter": 3},
    {"max_iter": 4, "history_size": 2, "lr": 0.5},
    {"max_iter": 3, "line_search_fn": "strong_wolfe"},
    {"max_iter": 5, "history_size": 3, "line_search_fn": "strong_wolfe", "max_eval": 6},
    {"max_iter": 20, "tolerance_change": 1e-3},
]


@pytest.mark.parametrize("options", LBFGS_OPTIONS)
def test_lbfgs_trajectory_on_a_cnn_matches_torch(options):
    theirs, ours = twin_cnns(6)
    theirs.eval()
    ours.eval()
    # two steps (the second one resuming from the state) take the loss below 1e-2; then the data are separated and
    # the trajectory, drifting along flat directions, amplifies float32 rounding differences
    expected, torch_optimizer = run_lbfgs(torch, theirs, 2, torch.tensor(IMAGES), torch.tensor(LABELS), **options)
    actual, optimizer = run_lbfgs(torchless, ours, 2, torchless.tensor(IMAGES), torchless.tensor(LABELS), **options)
    for (loss, params), (expected_loss, expected_params) in zip(actual, expected, strict=True):
        np.testing.assert_allclose(loss, expected_loss, rtol=1e-4, atol=1e-6)
        for ours_p, theirs_p in zip(params, expected_params, strict=True):
            np.testing.assert_allclose(ours_p, theirs_p, rtol=1e-4, atol=1e-5)
    state, expected_state = optimizer.state_dict()["state"][0], torch_optimizer.state_dict()["state"][0]
    assert list(state) == list(expected_state)
    for key in ("func_evals", "n_iter"):
        assert state[key] == expected_state[key]
    assert len(state["old_dirs"]) == len(expected_state["old_dirs"])
    assert type(state["t"]).__name__ == type(expected_state["t"]).__name__
    assert optimizer.state_dict()["param_groups"] == torch_optimizer.state_dict()["param_groups"]


def quadratic_problem(lib, matrix, target):
    x = lib.nn.Parameter(lib.zeros(len(target), dtype=lib.float64))
    a, b = lib.tensor(matrix), lib.tensor(target)

    def loss():
        return 0.5 * x @ (a @ x) - b @ x

    return x, loss


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_reaches_the_minimum_of_a_quadratic(line_search_fn):
    """Independent of PyTorch: the minimizer of x.A x / 2 - b.x solves A x = b (float64)."""
    rng = np.random.default_rng(7)
    basis = rng.standard_normal((6, 6))
    matrix = basis @ basis.T + 6 * np.eye(6)
    target = rng.standard_normal(6)
    trajectories = []
    for lib in (torchless, torch):
        x, loss_fn = quadratic_problem(lib, matrix, target)
        optimizer = lib.optim.LBFGS([x], lr=1 if line_search_fn else 0.2, max_iter=100, tolerance_grad=1e-12,
                                    tolerance_change=0, line_search_fn=line_search_fn)

        def closure():
            optimizer.zero_grad()
            loss = loss_fn()
            loss.backward()
            return loss

        for _ in range(3):
            optimizer.step(closure)
        trajectories.append(x.detach().numpy())
    np.testing.assert_allclose(trajectories[0], np.linalg.solve(matrix, target), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(trajectories[0], trajectories[1], rtol=1e-8, atol=1e-10)


def test_lbfgs_state_dict_resumes_the_same_trajectory():
    _, model = twin_cnns(8)
    model.eval()
    inputs, labels = torchless.tensor(IMAGES), torchless.tensor(LABELS)
    resumed = copy.deepcopy(model)
    trajectory, optimizer = run_lbfgs(torchless, model, 2, inputs, labels, max_iter=3)
    _, first = run_lbfgs(torchless, resumed, 1, inputs, labels, max_iter=3)
    second = LBFGS(resumed.parameters(), max_iter=3)
    second.load_state_dict(first.state_dict())

    def closure():
        second.zero_grad()
        loss = torchless.nn.functional.cross_entropy(resumed(inputs), labels)
        loss.backward()
        return loss

    second.step(closure)
    for ours, expected in zip(resumed.parameters(), trajectory[1][1], strict=True):
        np.testing.assert_array_equal(ours.detach().numpy(), expected)
    assert second.state_dict()["state"][0]["n_iter"] == optimizer.state_dict()["state"][0]["n_iter"]


def test_lbfgs_errors_match_torch():
    def cases(lib):
        params = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))]

        def closure():
            loss = params[0].square().sum()
            loss.backward()
            return loss

        return [
            lambda: lib.optim.LBFGS(params, lr=-1),
            lambda: lib.optim.LBFGS([{"params": params[:1]}, {"params": params[1:]}]),
            lambda: lib.optim.LBFGS(params, lr=lib.ones(2)),
            lambda: lib.optim.LBFGS(params).step(),
            lambda: lib.optim.LBFGS(params, line_search_fn="armijo").step(closure),
        ]

    for expected, actual in zip(cases(torch), cases(torchless), strict=True):
        assert_same_error(expected, actual)


def test_lbfgs_stops_at_once_when_the_gradient_is_small():
    x = torchless.nn.Parameter(torchless.zeros(3))
    optimizer = LBFGS([x])
    calls = []

    def closure():
        calls.append(1)
        optimizer.zero_grad()
        loss = (x * 0).sum()
        loss.backward()
        return loss

    assert float(optimizer.step(closure)) == 0.0
    assert len(calls) == 1 and optimizer.state_dict()["state"][0] == {"func_evals": 1, "n_iter": 0}
