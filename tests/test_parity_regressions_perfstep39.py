"""Regression tests for perfstep39: the course CNN's step with less per-call overhead. Adam updates a group of small
parameters as one update of their concatenation (Adam._step_together), and the flipped convolution's stacked-rows
input gradient holds BLAS to one thread only where a product could use more. Values, states and errors must stay as
they were: checked against float64 NumPy references written from PyTorch's formulas and, where installed, PyTorch."""
import numpy as np
import pytest

import torchless
from helpers import assert_same_error, course_cnn, course_cnn_batches
from torchless._kernels import blas
from torchless._kernels import im2col

# The course CNN's parameter shapes (conv1, conv2, fc weights and biases), plus a 0-d and a 1-element one
SHAPES = [(5, 1, 3, 3), (5,), (10, 5, 3, 3), (10,), (10, 490), (10,)]


def _adam_reference(params, grads_per_step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                    maximize=False, decoupled=False, amsgrad=False):
    """PyTorch's single-tensor Adam (its documented algorithm) in float64: the parameters and moments after
    each step's gradients (None: the parameter has no gradient that step, its state untouched)."""
    params = [np.array(p, np.float64) for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    v_max = [np.zeros_like(p) for p in params]
    steps = [0] * len(params)
    beta1, beta2 = betas
    for grads in grads_per_step:
        for i, g in enumerate(grads):
            if g is None:
                continue
            g = -np.float64(g) if maximize else np.float64(g)
            steps[i] += 1
            if weight_decay:
                if decoupled:
                    params[i] = params[i] * (1 - lr * weight_decay)
                else:
                    g = g + weight_decay * params[i]
            m[i] = m[i] + (1 - beta1) * (g - m[i])
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            second = v[i]
            if amsgrad:
                v_max[i] = np.maximum(v_max[i], v[i])
                second = v_max[i]
            bias1, bias2 = 1 - beta1 ** steps[i], 1 - beta2 ** steps[i]
            params[i] = params[i] - lr / bias1 * m[i] / (np.sqrt(second) / np.sqrt(bias2) + eps)
    return params, m, v, steps


def _problem(shapes=SHAPES, steps=4, seed=0, dtype=np.float32, missing=()):
    """Initial parameters and per-step gradients (``missing``: (step, index) pairs without a gradient)."""
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(shape).astype(dtype) * 0.1 for shape in shapes]
    grads = [[None if (step, i) in missing else rng.standard_normal(shape).astype(dtype)
              for i, shape in enumerate(shapes)] for step in range(steps)]
    return params, grads


def _run(lib, params, grads_per_step, optimizer="Adam", between=None, **options):
    """Parameters and states of ``lib``'s optimizer after the steps; ``between(optimizer, step)`` runs after each."""
    tensors = [lib.nn.Parameter(lib.tensor(p.copy())) for p in params]
    opt = getattr(lib.optim, optimizer)(tensors, **options)
    for step, grads in enumerate(grads_per_step):
        for t, g in zip(tensors, grads):
            t.grad = None if g is None else lib.tensor(g.copy())
        opt.step()
        if between is not None:
            between(opt, step)
    states = [opt.state[t] if t in opt.state else {} for t in tensors]
    return ([t.detach().numpy().copy() for t in tensors],
            [{k: v.detach().numpy().copy() for k, v in s.items()} for s in states])


OPTIONS = [
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"maximize": True, "eps": 1e-3}),
    ("Adam", {"amsgrad": True}),
    ("AdamW", {"weight_decay": 0.05}),
    ("Adam", {"decoupled_weight_decay": True, "weight_decay": 0.2, "foreach": True}),
]


@pytest.mark.parametrize("optimizer,options", OPTIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_small_group_matches_reference(optimizer, options, dtype):
    """The course CNN's six parameters (one update of their concatenation) end where PyTorch's algorithm, computed
    in float64, puts each of them, with each parameter's own moments and step count."""
    params, grads = _problem(dtype=dtype)
    ours, states = _run(torchless, params, grads, optimizer, **options)
    reference = dict(options, decoupled=optimizer == "AdamW" or options.get("decoupled_weight_decay", False))
    reference.pop("decoupled_weight_decay", None)
    reference.pop("foreach", None)
    if optimizer == "AdamW":
        reference.setdefault("weight_decay", 1e-2)
    expected, m, v, steps = _adam_reference(params, grads, **reference)
    tol = 2e-6 if dtype == np.float32 else 1e-12
    for i in range(len(params)):
        assert ours[i].dtype == dtype and states[i]["exp_avg"].dtype == dtype
        np.testing.assert_allclose(ours[i], expected[i], rtol=tol, atol=tol)
        np.testing.assert_allclose(states[i]["exp_avg"], m[i], rtol=tol, atol=tol)
        np.testing.assert_allclose(states[i]["exp_avg_sq"], v[i], rtol=tol, atol=tol * 1e-3)
        assert float(states[i]["step"]) == steps[i]


@pytest.mark.parametrize("optimizer,options", OPTIONS)
def test_adam_small_group_matches_torch(optimizer, options):
    """With PyTorch: the same parameters and states (keys, dtypes, values) after four steps."""
    torch = pytest.importorskip("torch")
    params, grads = _problem(shapes=SHAPES + [(), (1,)])
    ours, our_states = _run(torchless, params, grads, optimizer, **options)
    theirs, their_states = _run(torch, params, grads, optimizer, **options)
    for a, b, sa, sb in zip(ours, theirs, our_states, their_states):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        assert list(sa) == list(sb)
        for key in sb:
            assert sa[key].dtype == sb[key].dtype and sa[key].shape == sb[key].shape, key
            # (PyTorch's lerp_ rounds once, a fused multiply-add: the moments a few float32 roundings apart)
            np.testing.assert_allclose(sa[key], sb[key], rtol=1e-5, atol=1e-7)


def test_adam_parameters_without_gradients_and_uneven_steps_match_torch():
    """A parameter without a gradient is skipped (no state made); once the step counts differ between parameters
    each keeps its own bias corrections."""
    torch = pytest.importorskip("torch")
    params, grads = _problem(steps=5, missing={(0, 1), (0, 4), (1, 4), (3, 2)})
    ours, our_states = _run(torchless, params, grads)
    theirs, their_states = _run(torch, params, grads)
    expected, _, _, steps = _adam_reference(params, grads)
    assert steps == [5, 4, 4, 5, 3, 5]
    for i, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(a, expected[i], rtol=2e-6, atol=2e-6)
        assert float(our_states[i]["step"]) == float(their_states[i]["step"]) == steps[i]


def test_adam_first_step_with_a_missing_gradient_makes_no_state():
    """Before any step with its gradient, a parameter has no state, as in PyTorch (the others have theirs)."""
    params, grads = _problem(steps=1, missing={(0, 2)})
    _, states = _run(torchless, params, grads)
    assert [sorted(s) for s in states] == [[] if i == 2 else ["exp_avg", "exp_avg_sq", "step"] for i in range(6)]


def test_adam_states_stay_separate_tensors():
    """Each parameter's moments are its own memory: a state zeroed in place between steps changes only its
    parameter's next update (as in PyTorch and the float64 reference)."""
    params, grads = _problem(steps=3)

    def zero_one(opt, step):
        if step == 1:
            first = next(iter(opt.param_groups[0]["params"]))
            opt.state[first]["exp_avg"].zero_()
            opt.state[first]["exp_avg_sq"].zero_()

    ours, states = _run(torchless, params, grads, between=zero_one)
    arrays = [s[key] for s in states for key in ("exp_avg", "exp_avg_sq")]
    # the reference: parameter 0 restarts its moments (not its step count) after step 2
    expected_rest, _, _, _ = _adam_reference(params, grads)
    lr, beta1, beta2, eps = 1e-3, 0.9, 0.999, 1e-8
    p0, _, _, _ = _adam_reference([params[0]], [[g[0]] for g in grads[:2]])
    g = grads[2][0].astype(np.float64)
    m, v = (1 - beta1) * g, (1 - beta2) * g * g
    p0 = p0[0] - lr / (1 - beta1 ** 3) * m / (np.sqrt(v) / np.sqrt(1 - beta2 ** 3) + eps)
    np.testing.assert_allclose(ours[0], p0, rtol=2e-6, atol=2e-6)
    np.testing.assert_allclose(states[0]["exp_avg"], m, rtol=2e-6, atol=1e-9)
    for i in range(1, len(params)):
        np.testing.assert_allclose(ours[i], expected_rest[i], rtol=2e-6, atol=2e-6)
    assert not any(np.shares_memory(a, b) for k, a in enumerate(arrays) for b in arrays[k + 1:])


def test_adam_state_dict_round_trip_continues_as_torch():
    """States saved and loaded into a new optimizer (other tensors than the ones it made) carry on as PyTorch's."""
    torch = pytest.importorskip("torch")
    params, grads = _problem(steps=6)

    def reloaded(lib):
        tensors = [lib.nn.Parameter(lib.tensor(p.copy())) for p in params]
        opt = lib.optim.Adam(tensors, lr=0.01)
        for step, step_grads in enumerate(grads):
            if step == 3:
                saved = opt.state_dict()
                opt = lib.optim.Adam(tensors, lr=0.01)
                opt.load_state_dict(saved)
            for t, g in zip(tensors, step_grads):
                t.grad = lib.tensor(g.copy())
            opt.step()
        return [t.detach().numpy().copy() for t in tensors]

    for a, b in zip(reloaded(torchless), reloaded(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_adam_large_group_and_mixed_dtypes_match_torch():
    """A group over the size that is updated together, and one mixing float32 and float64 parameters, update each
    parameter as PyTorch does."""
    torch = pytest.importorskip("torch")
    for shapes, dtypes in ((SHAPES + [(200, 200)], None), (SHAPES, [np.float32, np.float64] * 3)):
        params, grads = _problem(shapes=shapes, steps=3, seed=3)
        if dtypes is not None:
            params = [p.astype(d) for p, d in zip(params, dtypes)]
            grads = [[g.astype(d) for g, d in zip(step, dtypes)] for step in grads]
        for a, b in zip(_run(torchless, params, grads)[0], _run(torch, params, grads)[0]):
            assert a.dtype == b.dtype
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("group", [{"weight_decay": True}, {"eps": None}, {"lr": "0.1"}, {"betas": (0.9, None)}])
def test_adam_malformed_group_values_raise_as_torch(group):
    """Hyper-parameters set on a group after construction that PyTorch's update refuses are refused alike (the
    together update leaves them to the loop over parameters)."""
    pytest.importorskip("torch")
    import torch

    def call(lib):
        def run():
            params, grads = _problem(steps=1)
            tensors = [lib.nn.Parameter(lib.tensor(p)) for p in params]
            opt = lib.optim.Adam(tensors)
            opt.param_groups[0].update(group)
            for t, g in zip(tensors, grads[0]):
                t.grad = lib.tensor(g)
            opt.step()
        return run

    assert_same_error(call(torch), call(torchless))


def test_adam_duplicate_parameter_updates_as_torch():
    """A parameter listed twice in a group (PyTorch warns) is updated twice, its step counted twice."""
    torch = pytest.importorskip("torch")
    params, grads = _problem(steps=3)

    def run(lib):
        tensors = [lib.nn.Parameter(lib.tensor(p.copy())) for p in params]
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt = lib.optim.Adam(tensors + tensors[:1])
        for step_grads in grads:
            for t, g in zip(tensors, step_grads):
                t.grad = lib.tensor(g.copy())
            opt.step()
        return [t.detach().numpy().copy() for t in tensors], float(opt.state[tensors[0]]["step"])

    (ours, our_step), (theirs, their_step) = run(torchless), run(torch)
    assert our_step == their_step == 6
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_course_cnn_steps_match_torch():
    """Three Adam steps of the course CNN from PyTorch's initial weights: the same losses and parameters."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = course_cnn(torch.nn)
    ours = course_cnn(torchless.nn)
    ours.load_state_dict({k: torchless.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    losses = {}
    for lib, model in ((torch, theirs), (torchless, ours)):
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        criterion = lib.nn.CrossEntropyLoss()
        losses[lib.__name__] = []
        for x, y in course_cnn_batches(3):
            opt.zero_grad()
            loss = criterion(model(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            opt.step()
            losses[lib.__name__].append(loss.item())
    np.testing.assert_allclose(losses["torchless"], losses["torch"], rtol=1e-5)
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


# ---------------------------------------------------------------------------- the stacked-rows input gradient
def _input_gradient_reference(gy, w, input_hw, padding):
    """float64 input gradient of a stride-1 convolution, tap by tap: each output's gradient times each weight goes
    back to the input cell that weight read."""
    N, O, Ho, Wo = gy.shape
    _, C, kH, kW = w.shape
    (top, _), (left, _) = padding
    H, W = input_hw
    gx = np.zeros((N, C, H + kH + Ho, W + kW + Wo))
    for i in range(kH):
        for j in range(kW):
            gx[:, :, i:i + Ho, j:j + Wo] += np.einsum("nohw,oc->nchw", gy.astype(np.float64), w[:, :, i, j])
    return gx[:, :, top:top + H, left:left + W]


@pytest.mark.parametrize("shape,held", [((64, 10, 14, 14, 5), False), ((8, 3, 20, 20, 4), False),
                                        ((8, 5, 28, 28, 10), True), ((2, 64, 20, 20, 32), True)])
def test_rowstack_input_gradient_holds_blas_only_for_large_products(monkeypatch, shape, held):
    """The stacked-rows input gradient (the course CNN's second layer's, a small one, and two whose products
    exceed the 64**3 multiply-adds OpenBLAS keeps on one thread) equals the float64 reference; BLAS is held to one
    thread only for the large products."""
    N, O, H, W, C = shape
    rng = np.random.default_rng(5)
    gy = rng.standard_normal((N, O, H, W)).astype(np.float32)
    w = rng.standard_normal((O, C, 3, 3)).astype(np.float32)
    entered = []
    original = blas.single_threaded

    def counted():
        entered.append(1)
        return original()

    monkeypatch.setattr(blas, "single_threaded", counted)
    gx = im2col.conv2d_backward_input_rowstack_rows(gy, w, (H, W), ((1, 1), (1, 1)), (1, 1), 1)
    assert bool(entered) == held
    assert gx.dtype == np.float32 and gx.shape == (N, C, H, W)
    np.testing.assert_allclose(gx, _input_gradient_reference(gy, w, (H, W), ((1, 1), (1, 1))), rtol=1e-4,
                               atol=1e-4)


def test_course_cnn_input_gradient_matches_torch():
    """With PyTorch: the course CNN's second convolution's input gradient through autograd."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((64, 5, 14, 14)).astype(np.float32)
    w = rng.standard_normal((10, 5, 3, 3)).astype(np.float32)
    gy = rng.standard_normal((64, 10, 14, 14)).astype(np.float32)
    grads = []
    for lib in (torchless, torch):
        xt = lib.tensor(x, requires_grad=True)
        lib.nn.functional.conv2d(xt, lib.tensor(w), padding=1).backward(lib.tensor(gy))
        grads.append(xt.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-4)
