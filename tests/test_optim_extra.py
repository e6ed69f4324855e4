"""RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop: vs float64 references, vs PyTorch, state, errors."""
import copy

import numpy as np
import pytest

import torchless
from torchless.nn import Parameter
from helpers import optimizer_problem, run_optimizer, take_steps

STEPS = 10
TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}

OPTIONS = {
    "RMSprop": [
        {},
        {"lr": 0.01, "alpha": 0.9, "eps": 1e-6},
        {"lr": 0.01, "momentum": 0.9},
        {"lr": 0.01, "centered": True},
        {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1},
        {"lr": 0.02, "alpha": 0.3, "weight_decay": 0.05, "maximize": True},  # 1 - alpha > 0.5: lerp's other formula
    ],
    "Adagrad": [
        {},
        {"lr": 0.1, "lr_decay": 0.05},
        {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6},
        {"lr": 0.1, "weight_decay": 0.1, "lr_decay": 0.01, "maximize": True},
    ],
    "Adadelta": [
        {},
        {"lr": 0.5, "rho": 0.5},
        {"lr": 1.0, "rho": 0.95, "eps": 1e-3, "weight_decay": 0.1},
        {"maximize": True, "weight_decay": 0.01},
    ],
    "Adamax": [
        {},
        {"lr": 0.01, "betas": (0.8, 0.99)},
        {"lr": 0.01, "betas": (0.3, 0.9), "eps": 1e-4},
        {"lr": 0.01, "weight_decay": 0.1, "maximize": True},
    ],
    "NAdam": [
        {},
        {"lr": 0.01, "momentum_decay": 0.01},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {"lr": 0.02, "betas": (0.3, 0.8), "maximize": True},
    ],
    "RAdam": [
        {},
        {"lr": 0.01, "betas": (0.9, 0.9)},  # rho_t passes 5 within the steps: both branches run
        {"lr": 0.01, "betas": (0.5, 0.8), "weight_decay": 0.1},
        {"lr": 0.01, "betas": (0.8, 0.9), "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True},
    ],
    "ASGD": [
        {},
        {"lr": 0.1, "lambd": 0.01, "alpha": 0.5, "t0": 3},  # averaging starts mid-run
        {"lr": 0.05, "t0": 0, "weight_decay": 0.1, "maximize": True},
    ],
    "Rprop": [
        {},
        {"lr": 0.1, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.2)},  # both clamps reached
        {"lr": 0.05, "maximize": True},
    ],
}
CASES = [(name, options) for name, all_options in OPTIONS.items() for options in all_options]


def make_problem(dtype, seed=0, steps=STEPS):
    return optimizer_problem(dtype, seed, steps)


run = run_optimizer


@pytest.fixture
def float64_default():
    """Default dtype float64, so the 0-d state (step, NAdam's mu_product, ASGD's eta and mu) is float64 too."""
    torchless.set_default_dtype(torchless.float64)
    yield
    torchless.set_default_dtype(torchless.float32)


# ---------------------------------------------------------------------------- independent float64 references
# Each is PyTorch's documented algorithm written out plainly, one parameter at a time, in float64.

def reference_rmsprop(theta, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                      maximize=False):
    v = b = g_avg = np.zeros_like(theta)
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g ** 2
        v_tilde = v
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g
            v_tilde = v - g_avg ** 2
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            theta = theta - lr * b
        else:
            theta = theta - lr * g / (np.sqrt(v_tilde) + eps)
    return theta


def reference_adagrad(theta, grads, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                      maximize=False):
    state_sum = np.full_like(theta, initial_accumulator_value)
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        lr_t = lr / (1 + (t - 1) * lr_decay)
        g = g + weight_decay * theta
        state_sum = state_sum + g ** 2
        theta = theta - lr_t * g / (np.sqrt(state_sum) + eps)
    return theta


def reference_adadelta(theta, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    v = u = np.zeros_like(theta)
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * theta
        v = rho * v + (1 - rho) * g ** 2
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta ** 2
        theta = theta - lr * delta
    return theta


def reference_adamax(theta, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
    m = u = np.zeros_like(theta)
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        g = g + weight_decay * theta
        m = betas[0] * m + (1 - betas[0]) * g
        u = np.maximum(betas[1] * u, np.abs(g) + eps)
        theta = theta - lr * m / ((1 - betas[0] ** t) * u)
    return theta


def reference_nadam(theta, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                    decoupled_weight_decay=False, maximize=False):
    beta1, beta2 = betas
    m = v = np.zeros_like(theta)

    def mu(t):
        return beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))

    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        if decoupled_weight_decay:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        product_t = np.prod([mu(i) for i in range(1, t + 1)])
        product_next = product_t * mu(t + 1)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        m_hat = mu(t + 1) * m / (1 - product_next) + (1 - mu(t)) * g / (1 - product_t)
        v_hat = v / (1 - beta2 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta


def reference_radam(theta, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                    decoupled_weight_decay=False, maximize=False):
    beta1, beta2 = betas
    m = v = np.zeros_like(theta)
    rho_inf = 2 / (1 - beta2) - 1
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        if decoupled_weight_decay:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        m_hat = m / (1 - beta1 ** t)
        rho_t = rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)
        if rho_t > 5:
            l_t = np.sqrt(1 - beta2 ** t) / (np.sqrt(v) + eps)
            r_t = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            theta = theta - lr * m_hat * l_t * r_t
        else:
            theta = theta - lr * m_hat
    return theta


def reference_asgd(theta, grads, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, maximize=False):
    """Returns the parameter and its average ``ax``."""
    eta, mu, ax = lr, 1.0, np.zeros_like(theta)
    for t, g in enumerate(grads, 1):
        g = -g if maximize else g
        g = g + weight_decay * theta
        theta = theta * (1 - lambd * eta) - eta * g
        ax = ax + mu * (theta - ax)
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)
    return theta, ax


def reference_rprop(theta, grads, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False):
    """Rprop elementwise, as in Riedmiller and Braun's paper (with PyTorch's choice of iRprop-: no backtracking)."""
    theta = np.array(theta, np.float64)
    step_size = np.full(theta.shape, lr)
    prev = np.zeros(theta.shape)
    for g in grads:
        g = np.array(-g if maximize else g, np.float64)
        for i in np.ndindex(theta.shape):
            if g[i] * prev[i] > 0:
                step_size[i] = min(step_size[i] * etas[1], step_sizes[1])
            elif g[i] * prev[i] < 0:
                step_size[i] = max(step_size[i] * etas[0], step_sizes[0])
                g[i] = 0.0
            theta[i] -= np.sign(g[i]) * step_size[i]
        prev = g
    return theta


REFERENCES = {"RMSprop": reference_rmsprop, "Adagrad": reference_adagrad, "Adadelta": reference_adadelta,
              "Adamax": reference_adamax, "NAdam": reference_nadam, "RAdam": reference_radam,
              "ASGD": lambda *a, **k: reference_asgd(*a, **k)[0], "Rprop": reference_rprop}


@pytest.mark.usefixtures("float64_default")
@pytest.mark.parametrize("name,options", CASES)
def test_float64_matches_reference(name, options):
    initial, grads = make_problem(np.float64, seed=1)
    params, _ = run(torchless, name, options, initial, grads)
    for i, p in enumerate(params):
        expected = REFERENCES[name](initial[i], [g[i] for g in grads], **options)
        np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-9, atol=1e-12)


@pytest.mark.usefixtures("float64_default")
@pytest.mark.parametrize("options", OPTIONS["ASGD"])
def test_asgd_average_matches_reference(options):
    initial, grads = make_problem(np.float64, seed=2)
    params, optimizer = run(torchless, "ASGD", options, initial, grads)
    for i, p in enumerate(params):
        _, ax = reference_asgd(initial[i], [g[i] for g in grads], **options)
        np.testing.assert_allclose(optimizer.state[p]["ax"].numpy(), ax, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name,options", CASES)
def test_float32_stays_close_to_reference(name, options):
    initial, grads = make_problem(np.float32, seed=4, steps=5)
    params, _ = run(torchless, name, options, initial, grads)
    for i, p in enumerate(params):
        assert p.dtype == torchless.float32
        expected = REFERENCES[name](initial[i].astype(np.float64), [g[i].astype(np.float64) for g in grads],
                                    **options)
        np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------- single steps by hand
def one_step(name, value, grad, **options):
    p = Parameter(torchless.tensor(value, dtype=torchless.float64))
    p.grad = torchless.tensor(grad, dtype=torchless.float64)
    getattr(torchless.optim, name)([p], **options).step()
    return p.tolist()


def test_first_steps_by_hand():
    # RMSprop: v = 0.01 g^2, so the step is lr * g / (0.1 |g|) = 10 lr sign(g)
    assert one_step("RMSprop", [1.0, 1.0], [2.0, -0.5], lr=0.01, eps=0.0) == pytest.approx([0.9, 1.1])
    # Adagrad: sum = g^2, step lr * sign(g)
    assert one_step("Adagrad", [1.0, 1.0], [3.0, -0.25], lr=0.1, eps=0.0) == pytest.approx([0.9, 1.1])
    # Adadelta: v = 0.1 g^2, delta = sqrt(eps) / sqrt(0.1 g^2 + eps) g
    delta = np.sqrt(1e-6) / np.sqrt(0.1 * 4 + 1e-6) * 2
    assert one_step("Adadelta", [0.0], [2.0]) == pytest.approx([-delta])
    # Adamax: m = 0.1 g, u = |g| + eps, bias correction 0.1: step lr * sign(g)
    assert one_step("Adamax", [0.0, 0.0], [4.0, -1.0], lr=0.5, eps=0.0) == pytest.approx([-0.5, 0.5])
    # RAdam's first steps are un-rectified SGD with momentum: theta - lr * m_hat = theta - lr * g
    assert one_step("RAdam", [1.0], [3.0], lr=0.1) == pytest.approx([0.7])
    # ASGD: theta (1 - lambd lr) - lr g
    assert one_step("ASGD", [2.0], [1.0], lr=0.1, lambd=0.5) == pytest.approx([2.0 * 0.95 - 0.1])
    # Rprop: the first step moves by lr against the gradient's sign
    assert one_step("Rprop", [1.0, 1.0, 1.0], [0.3, -7.0, 0.0], lr=0.25) == pytest.approx([0.75, 1.25, 1.0])


def test_nadam_first_step_by_hand(float64_default):
    beta1, psi = 0.9, 4e-3
    mu1, mu2 = (beta1 * (1 - 0.5 * 0.96 ** (t * psi)) for t in (1, 2))
    g, lr = 2.0, 0.1
    m = (1 - beta1) * g  # and sqrt(v_hat) = |g|
    expected = -lr * ((1 - mu1) * g / (1 - mu1) + mu2 * m / (1 - mu1 * mu2)) / (abs(g) + 1e-8)
    assert one_step("NAdam", [0.0], [g], lr=lr) == pytest.approx([expected], rel=1e-12)


def test_nadam_mu_product_has_the_default_dtype():
    # under a float32 default the product of momentum coefficients is a float32 even for float64 weights
    # (PyTorch's choice), which moves the first step by about 1e-8 relative
    mu1 = 0.9 * (1 - 0.5 * 0.96 ** 4e-3)
    p = Parameter(torchless.zeros(1, dtype=torchless.float64))
    p.grad = torchless.ones(1, dtype=torchless.float64)
    opt = torchless.optim.NAdam([p])
    opt.step()
    product = opt.state[p]["mu_product"]
    assert product.dtype == torchless.float32 and product.item() == float(np.float32(mu1))


# ---------------------------------------------------------------------------- PyTorch as oracle
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,options", CASES)
def test_matches_torch(name, options, dtype):
    torch = pytest.importorskip("torch")
    initial, grads = make_problem(dtype)
    theirs, their_opt = run(torch, name, options, initial, grads)
    ours, our_opt = run(torchless, name, options, initial, grads)
    for p, q in zip(ours, theirs):
        assert p.dtype.numpy == dtype
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), **TOLERANCE[dtype])
    assert_same_state_dict(our_opt.state_dict(), their_opt.state_dict(), dtype)
    assert repr(our_opt) == repr(their_opt)


@pytest.mark.parametrize("name", ["NAdam", "ASGD", "Adagrad", "RMSprop"])
def test_matches_torch_under_float64_default(name, float64_default):
    torch = pytest.importorskip("torch")
    torch_default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        initial, grads = make_problem(np.float64)
        options = OPTIONS[name][-1]
        theirs, their_opt = run(torch, name, options, initial, grads)
        ours, our_opt = run(torchless, name, options, initial, grads)
    finally:
        torch.set_default_dtype(torch_default)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), **TOLERANCE[np.float64])
    assert_same_state_dict(our_opt.state_dict(), their_opt.state_dict(), np.float64)
    assert our_opt.state_dict()["state"][0]["step"].dtype == torchless.float64


def assert_same_state_dict(ours, theirs, dtype=np.float32):
    torch = pytest.importorskip("torch")
    assert ours["param_groups"] == theirs["param_groups"]
    assert list(ours["state"]) == list(theirs["state"])
    for index, their_state in theirs["state"].items():
        our_state = ours["state"][index]
        assert list(our_state) == list(their_state)
        for key, value in their_state.items():
            assert isinstance(value, torch.Tensor)
            assert isinstance(our_state[key], torchless.Tensor)
            assert str(our_state[key].dtype) == str(value.dtype).replace("torch.", "torchless.")
            assert tuple(our_state[key].shape) == tuple(value.shape)
            np.testing.assert_allclose(our_state[key].numpy(), value.numpy(), **TOLERANCE[dtype])


def test_param_groups_and_missing_grads_match_torch():
    torch = pytest.importorskip("torch")
    initial, grads = make_problem(np.float32, seed=3)
    for name in OPTIONS:
        results = []
        for lib in (torchless, torch):
            params = [lib.nn.Parameter(lib.tensor(a.copy())) for a in initial]
            opt = getattr(lib.optim, name)([{"params": params[:2], "lr": 0.03}, {"params": [params[2]]}])
            for step_grads in grads:
                params[0].grad = lib.tensor(step_grads[0].copy())  # params[1] never gets a gradient
                params[2].grad = lib.tensor(step_grads[2].copy())
                opt.step()
            results.append((params, opt.state_dict()))
        (ours, our_sd), (theirs, their_sd) = results
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), **TOLERANCE[np.float32])
        assert ours[1].tolist() == initial[1].tolist()
        # Adagrad alone creates the state of every parameter up front
        assert list(our_sd["state"]) == ([0, 1, 2] if name == "Adagrad" else [0, 2])
        assert_same_state_dict(our_sd, their_sd)


@pytest.mark.parametrize("name", list(OPTIONS))
def test_default_repr_matches_torch(name):
    torch = pytest.importorskip("torch")
    ours = getattr(torchless.optim, name)([Parameter(torchless.ones(1))])
    theirs = getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))])
    assert repr(ours) == repr(theirs)
    assert ours.defaults == theirs.defaults


@pytest.mark.parametrize("name", list(OPTIONS))
def test_foreach_keyword_is_accepted(name):
    for foreach in (None, False, True):
        opt = getattr(torchless.optim, name)([Parameter(torchless.ones(1))], foreach=foreach)
        assert opt.param_groups[0]["foreach"] is foreach


# ---------------------------------------------------------------------------- state_dict round trip
@pytest.mark.parametrize("name,options", [(name, all_options[-1]) for name, all_options in OPTIONS.items()])
def test_state_dict_resume_is_exact(name, options):
    initial, grads = make_problem(np.float32, seed=5)
    uninterrupted, _ = run(torchless, name, options, initial, grads)

    params, optimizer = run(torchless, name, options, initial, grads[:4])
    saved = copy.deepcopy(optimizer.state_dict())
    resumed = getattr(torchless.optim, name)(params, lr=123.0)
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] != 123.0
    take_steps(torchless, resumed, params, grads[4:])
    for p, q in zip(params, uninterrupted):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


@pytest.mark.parametrize("name,keys", [
    ("NAdam", ["step", "mu_product"]), ("ASGD", ["step", "eta", "mu"]), ("RAdam", ["step"]),
])
def test_old_checkpoints_with_python_numbers_load(name, keys):
    p = Parameter(torchless.ones(2))
    opt = getattr(torchless.optim, name)([p])
    p.grad = torchless.ones(2)
    opt.step()
    saved = opt.state_dict()
    for key in keys:
        saved["state"][0][key] = saved["state"][0][key].item()
    opt.load_state_dict(saved)
    for key in keys:
        value = opt.state[p][key]
        assert isinstance(value, torchless.Tensor) and value.dtype == torchless.float32 and value.shape == ()


# ---------------------------------------------------------------------------- errors
ERROR_CASES = [
    ("RMSprop", {"lr": -0.1}), ("RMSprop", {"eps": -1.0}), ("RMSprop", {"momentum": -0.5}),
    ("RMSprop", {"weight_decay": -1e-3}), ("RMSprop", {"alpha": -0.9}),
    ("Adagrad", {"lr": -1}), ("Adagrad", {"lr_decay": -0.1}), ("Adagrad", {"weight_decay": -2}),
    ("Adagrad", {"initial_accumulator_value": -0.5}), ("Adagrad", {"eps": -1e-10}),
    ("Adadelta", {"lr": -1.0}), ("Adadelta", {"rho": 1.5}), ("Adadelta", {"rho": -0.1}),
    ("Adadelta", {"eps": -1e-6}), ("Adadelta", {"weight_decay": -0.1}),
    ("Adamax", {"lr": -2e-3}), ("Adamax", {"eps": -1.0}), ("Adamax", {"betas": (1.0, 0.999)}),
    ("Adamax", {"betas": (0.9, -0.1)}), ("Adamax", {"weight_decay": -1}),
    ("NAdam", {"lr": -1}), ("NAdam", {"eps": -1}), ("NAdam", {"betas": (-0.1, 0.9)}),
    ("NAdam", {"betas": (0.9, 1.0)}), ("NAdam", {"weight_decay": -1}), ("NAdam", {"momentum_decay": -4e-3}),
    ("RAdam", {"lr": -1}), ("RAdam", {"eps": -1}), ("RAdam", {"betas": (1.5, 0.9)}),
    ("RAdam", {"betas": (0.9, 1.0)}), ("RAdam", {"weight_decay": -0.5}),
    ("ASGD", {"lr": -0.01}), ("ASGD", {"weight_decay": -1}),
    ("Rprop", {"lr": -0.01}), ("Rprop", {"etas": (1.5, 1.2)}), ("Rprop", {"etas": (0.5, 0.9)}),
    ("Rprop", {"etas": (0.0, 1.2)}),
]


@pytest.mark.parametrize("name,kwargs", ERROR_CASES)
def test_argument_errors_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    found = []
    for lib, make in ((torchless, lambda: Parameter(torchless.ones(1))),
                      (torch, lambda: torch.nn.Parameter(torch.ones(1)))):
        with pytest.raises(Exception) as info:
            getattr(lib.optim, name)([make()], **kwargs)
        found.append((type(info.value), str(info.value)))
    assert found[0] == found[1]
    assert found[0][0] is ValueError


def test_argument_error_messages_by_hand():
    p = Parameter(torchless.ones(1))
    with pytest.raises(ValueError, match=r"^Invalid alpha value: -0.9$"):
        torchless.optim.RMSprop([p], alpha=-0.9)
    with pytest.raises(ValueError, match=r"^Invalid rho value: 1.5$"):
        torchless.optim.Adadelta([p], rho=1.5)
    with pytest.raises(ValueError, match=r"^Invalid eta values: 0.5, 0.9$"):
        torchless.optim.Rprop([p], etas=(0.5, 0.9))
    with pytest.raises(ValueError, match=r"^Invalid momentum_decay value: -1$"):
        torchless.optim.NAdam([p], momentum_decay=-1)
    with pytest.raises(ValueError, match=r"^Invalid initial_accumulator_value value: -1$"):
        torchless.optim.Adagrad([p], initial_accumulator_value=-1)
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        torchless.optim.RAdam([])


@pytest.mark.parametrize("name,flag", [("RMSprop", "capturable"), ("Adagrad", "fused"), ("Adadelta", "differentiable"),
                                       ("NAdam", "capturable"), ("RAdam", "differentiable"), ("ASGD", "capturable"),
                                       ("Rprop", "capturable"), ("Adamax", "capturable")])
def test_speed_and_graph_flags_are_taken_by_the_constructor_as_in_torch(name, flag):
    """PyTorch takes these flags when the optimizer is built (capturable/differentiable fail only in step())."""
    torch = pytest.importorskip("torch")
    expected = getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(1))], **{flag: True}).param_groups[0]
    actual = getattr(torchless.optim, name)([Parameter(torchless.ones(1))], **{flag: True}).param_groups[0]
    assert {k: v for k, v in actual.items() if k != "params"} == {k: v for k, v in expected.items() if k != "params"}


# ---------------------------------------------------------------------------- behaviour
@pytest.mark.parametrize("name", list(OPTIONS))
def test_step_updates_in_place_keeps_dtype_and_grad(name):
    for dtype in (torchless.float32, torchless.float64):
        p = Parameter(torchless.ones(3, dtype=dtype))
        array = p._data
        grad = torchless.tensor([0.5, -1.0, 2.0], dtype=dtype)
        p.grad = grad
        opt = getattr(torchless.optim, name)([p], weight_decay=0.1) if name != "Rprop" else torchless.optim.Rprop([p])
        opt.step()
        opt.step()
        assert p._data is array and p.dtype == dtype
        assert grad.tolist() == [0.5, -1.0, 2.0]  # the gradient is never written to
        assert p.tolist() != [1.0, 1.0, 1.0]
        assert opt.state[p]["step"].item() == 2.0 and opt.state[p]["step"].dtype == torchless.float32


@pytest.mark.parametrize("name", list(OPTIONS))
def test_closure_loss_is_returned(name):
    p = Parameter(torchless.tensor([2.0]))
    opt = getattr(torchless.optim, name)([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 4.0 and p.item() < 2.0


@pytest.mark.parametrize("name", list(OPTIONS))
def test_minimizes_a_quadratic(name):
    target = np.array([1.0, -2.0, 0.5])
    p = Parameter(torchless.zeros(3))
    opt = getattr(torchless.optim, name)([p], lr={"Adadelta": 5.0, "Adagrad": 0.5, "ASGD": 0.1}.get(name, 0.05))
    for _ in range(400):
        opt.zero_grad()
        ((p - torchless.tensor(target, dtype=torchless.float32)) ** 2).sum().backward()
        opt.step()
    np.testing.assert_allclose(p.detach().numpy(), target, atol=0.1)
