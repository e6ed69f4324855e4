"""Regressions of session 37's per-op overhead work (perfop37): Adam reads a group's hyper-parameters once per
group when no tensor's value enters them, and every update stays PyTorch's (bit for bit in float32)."""
import numpy as np
import pytest

import torchless


def _adam_reference(params, grads_per_step, lr, betas, eps, weight_decay=0.0):
    """PyTorch's Adam (for-loop form) in float64 from its documented formulas."""
    beta1, beta2 = betas
    params = [p.astype(np.float64) for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for step, grads in enumerate(grads_per_step, 1):
        for i, g in enumerate(grads):
            g = g.astype(np.float64) + weight_decay * params[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            denom = np.sqrt(v[i]) / np.sqrt(1 - beta2 ** step) + eps
            params[i] = params[i] - lr / (1 - beta1 ** step) * m[i] / denom
    return params


def _run_adam(lib, params, grads_per_step, groups, **options):
    tensors = [lib.tensor(p.copy(), requires_grad=True) for p in params]
    param_groups = [dict(spec, params=[tensors[i] for i in indices]) for indices, spec in groups]
    optimizer = lib.optim.Adam(param_groups, **options)
    for grads in grads_per_step:
        for t, g in zip(tensors, grads):
            t.grad = None if g is None else lib.tensor(g.copy())
        optimizer.step()
    return [t.detach().numpy().copy() for t in tensors]


def _problem(seed=0, steps=4):
    rng = np.random.default_rng(seed)
    shapes = [(5, 1, 3, 3), (5,), (10, 5, 3, 3), (10,), (10, 490), (10,)]
    params = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(steps)]
    return params, grads


GROUPS = [((0, 1), dict(lr=1e-2, betas=(0.8, 0.99))), ((2, 3), dict(lr=3e-3, weight_decay=0.1)),
          ((4, 5), dict(eps=1e-3))]


def test_adam_groups_keep_their_own_hyperparameters_reference():
    params, grads = _problem()
    ours = _run_adam(torchless, params, grads, GROUPS, lr=1e-3)
    for indices, spec in GROUPS:
        full = dict(dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0), **spec)
        expected = _adam_reference([params[i] for i in indices], [[g[i] for i in indices] for g in grads], **full)
        for i, e in zip(indices, expected):
            np.testing.assert_allclose(ours[i], e, rtol=1e-5, atol=1e-6)


def test_adam_groups_torch():
    torch = pytest.importorskip("torch")
    params, grads = _problem(1)
    ours = _run_adam(torchless, params, grads, GROUPS, lr=1e-3)
    theirs = _run_adam(torch, params, grads, GROUPS, lr=1e-3, foreach=False)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


def test_adam_parameter_without_grad_in_a_step_torch():
    torch = pytest.importorskip("torch")
    params, grads = _problem(2)
    grads[1][0] = None  # (the group's first parameter skipped: the second reads the hyper-parameters first)
    grads[2][4] = None
    ours = _run_adam(torchless, params, grads, GROUPS, lr=1e-3)
    theirs = _run_adam(torch, params, grads, GROUPS, lr=1e-3, foreach=False)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("tensor_beta", [False, True])
def test_adam_tensor_lr_changed_between_steps_torch(tensor_beta):
    torch = pytest.importorskip("torch")
    params, grads = _problem(3)
    results = []
    for lib in (torchless, torch):
        tensors = [lib.tensor(p.copy(), requires_grad=True) for p in params]
        lr = lib.tensor(1e-2)
        betas = (lib.tensor(0.9), lib.tensor(0.999)) if tensor_beta else (0.9, 0.999)
        optimizer = lib.optim.Adam(tensors, lr=lr, betas=betas, foreach=False)
        for k, step_grads in enumerate(grads):
            for t, g in zip(tensors, step_grads):
                t.grad = lib.tensor(g.copy())
            optimizer.step()
            with lib.no_grad():
                lr.mul_(0.5 + k)
        results.append([t.detach().numpy().copy() for t in tensors])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_adam_tensor_lr_among_the_parameters_torch():
    """A tensor lr that is itself updated by the step: each parameter after it reads its new value, as PyTorch's
    for-loop does."""
    torch = pytest.importorskip("torch")
    params, grads = _problem(4, steps=3)
    results = []
    for lib in (torchless, torch):
        lr = lib.tensor(0.05, requires_grad=True)
        tensors = [lr] + [lib.tensor(p.copy(), requires_grad=True) for p in params[:2]]
        optimizer = lib.optim.Adam(tensors, lr=lr, foreach=False)
        for step_grads in grads:
            lr.grad = lib.tensor(0.5)
            for t, g in zip(tensors[1:], step_grads):
                t.grad = lib.tensor(g.copy())
            optimizer.step()
        results.append([t.detach().numpy().copy() for t in tensors])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_adam_malformed_lr_error_only_with_grads_torch():
    torch = pytest.importorskip("torch")
    for lib in (torchless, torch):
        t = lib.zeros(3, requires_grad=True)
        optimizer = lib.optim.Adam([t], foreach=False)
        optimizer.param_groups[0]["lr"] = lib.ones(2)
        optimizer.step()  # (no gradient: nothing reads lr)
        t.grad = lib.ones(3)
        with pytest.raises(TypeError, match="must be Number, not Tensor"):
            optimizer.step()


def test_course_step_torch():
    """A few Adam steps of the course CNN: losses and parameters as PyTorch's."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    images = rng.standard_normal((4, 16, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, (4, 16))
    runs = []
    for lib in (torchless, torch):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Conv2d(1, 5, 3, padding=1), lib.nn.ReLU(), lib.nn.MaxPool2d(2),
                                  lib.nn.Conv2d(5, 10, 3, padding=1), lib.nn.ReLU(), lib.nn.MaxPool2d(2),
                                  lib.nn.Flatten(), lib.nn.Linear(490, 10))
        runs.append((lib, model))
    (_, ours), (_, theirs) = runs
    with torch.no_grad():
        for a, b in zip(ours.parameters(), theirs.parameters()):
            b.copy_(torch.from_numpy(a.detach().numpy().copy()))
    losses = []
    for lib, model in runs:
        optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
        criterion = lib.nn.CrossEntropyLoss()
        row = []
        for x, y in zip(images, labels):
            optimizer.zero_grad()
            loss = criterion(model(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            optimizer.step()
            row.append(loss.item())
        losses.append(row)
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
    for a, b in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5)


def _next_function_names(lib, which):
    a = lib.randn(2, 3, requires_grad=True)
    b = lib.randn(2, 3)
    c = lib.randn(2, 3).exp().requires_grad_(False)
    d = lib.randn(2, 3, requires_grad=True) * 2
    out = {"mixed": lambda: lib.addcmul(a, b, d), "none_first": lambda: lib.addcmul(c, b, a),
           "where": lambda: lib.where(b > 0, d, c)}[which]()
    return [(None if f is None else type(f).__name__, i) for f, i in out.grad_fn.next_functions]


@pytest.mark.parametrize("which", ["mixed", "none_first", "where"])
def test_recorded_edges_of_mixed_inputs_torch(which):
    torch = pytest.importorskip("torch")
    assert _next_function_names(torchless, which) == _next_function_names(torch, which)


def test_recorded_edges_of_mixed_inputs_reference():
    # first principles: an input needing no gradient has no edge; leaves go to AccumulateGrad
    assert _next_function_names(torchless, "mixed") == [("AccumulateGrad", 0), (None, 0), ("MulBackward0", 0)]


def test_custom_function_needs_input_grad_torch():
    torch = pytest.importorskip("torch")
    seen = []
    for lib in (torchless, torch):
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y, k):
                return x * y * k

            @staticmethod
            def backward(ctx, grad):
                seen.append(ctx.needs_input_grad)
                return grad, grad, None

        Scale.apply(lib.ones(2, requires_grad=True), lib.ones(2), 3.0).sum().backward()
    assert seen[0] == seen[1] == (True, False, False)
