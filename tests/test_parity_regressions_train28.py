"""Parity regressions found by differential fuzzing of losses, optimizers and LR schedulers against PyTorch
(session 28, train28)."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import torchless


def _run_silently(code):
    """Run ``code`` in a fresh interpreter with every warning an error (pytest resets torchless's own filters, so
    this cannot be tested in-process) and return its stdout."""
    script = "import warnings\nwarnings.simplefilter('error')\nimport torchless as torch\n" + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


# ---------------------------------------------------------------- inf and NaN without NumPy's warnings

def test_optimizer_steps_are_silent_on_inf_and_nan_under_error_filters():
    out = _run_silently("""
        import itertools
        configs = [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)), ("Adam", dict(amsgrad=True)),
                   ("Adam", dict(fused=True)), ("AdamW", {}), ("Adamax", {}), ("NAdam", {}), ("RAdam", {}),
                   ("RMSprop", dict(centered=True, momentum=0.9)), ("Rprop", {}), ("Adagrad", dict(lr_decay=0.1)),
                   ("Adadelta", {}), ("ASGD", {}), ("Adafactor", {})]
        specials = [float("inf"), float("-inf"), float("nan"), 0.0, 1e38]
        nan_count = 0
        for (name, config), dtype in itertools.product(configs, (torch.float32, torch.float64, torch.float16)):
            for value, grad in itertools.product(specials, specials):
                p = torch.tensor([value, 1.0, -2.0], dtype=dtype, requires_grad=True)
                optimizer = getattr(torch.optim, name)([p], **config)
                for _ in range(2):
                    p.grad = torch.tensor([grad, grad, 0.0], dtype=dtype)
                    optimizer.step()
                nan_count += int(p.isnan().any())
        # a parameter large enough for the update to be split over threads
        big = torch.zeros(300000, requires_grad=True)
        big.grad = torch.full((300000,), float("inf"))
        torch.optim.Adam([big]).step()
        print(nan_count > 0, big.isnan().all().item())
    """)
    assert out.split() == ["True", "True"]


def test_averaged_model_is_silent_on_inf_under_error_filters():
    out = _run_silently("""
        from torchless.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
        model = torch.nn.Linear(2, 2)
        for averaged in (AveragedModel(model), AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))):
            model.weight.data.fill_(float("inf"))
            averaged.update_parameters(model)
            averaged.update_parameters(model)
            model.weight.data.fill_(-float("inf"))
            averaged.update_parameters(model)
            print(averaged.module.weight.isnan().all().item())
    """)
    assert out.split() == ["True", "True"]


def test_losses_are_silent_on_inf_and_nan_under_error_filters():
    out = _run_silently("""
        import torchless.nn.functional as F
        inf, nan = float("inf"), float("nan")
        values = [inf, -inf, nan, 0.0, 1e38, -1e38, 1.0, -1.0]
        def x():
            return torch.tensor([values, values[::-1]], requires_grad=True)
        def probabilities():
            return torch.tensor([values, values[::-1]]).abs().clamp(max=1.0).nan_to_num()
        classes = torch.tensor([1, 3])
        calls = [
            lambda: F.mse_loss(x(), x()), lambda: F.l1_loss(x(), x()), lambda: F.smooth_l1_loss(x(), x()),
            lambda: F.huber_loss(x(), x()), lambda: F.cross_entropy(x(), classes, label_smoothing=0.2),
            lambda: F.cross_entropy(x(), probabilities()), lambda: F.nll_loss(x(), classes),
            lambda: F.binary_cross_entropy_with_logits(x(), probabilities(), pos_weight=torch.full((8,), 2.0)),
            lambda: F.kl_div(x(), x(), reduction="batchmean"), lambda: F.poisson_nll_loss(x(), x()),
            lambda: F.poisson_nll_loss(x(), x(), log_input=False, full=True),
            lambda: F.gaussian_nll_loss(x(), x(), probabilities()), lambda: F.hinge_embedding_loss(x(), x()),
            lambda: F.soft_margin_loss(x(), x().detach()), lambda: F.multilabel_soft_margin_loss(x(), probabilities()),
            lambda: F.multi_margin_loss(x(), classes),
            lambda: F.multilabel_margin_loss(x(), torch.tensor([[1, 2, -1, 0, 0, 0, 0, 0]] * 2)),
            lambda: F.cosine_embedding_loss(x(), x(), torch.tensor([1, -1])),
            lambda: F.margin_ranking_loss(x()[0], x()[1], torch.ones(8)),
            lambda: F.triplet_margin_loss(x(), x(), x()), lambda: F.triplet_margin_with_distance_loss(x(), x(), x()),
            lambda: torch.nn.L1Loss()(x(), x()), lambda: torch.nn.PoissonNLLLoss()(x(), x()),
        ]
        for call in calls:
            call().backward()
        print(len(calls))
    """)
    assert out.split() == ["23"]


def test_size_warning_of_regression_losses_names_the_callers_line():
    torch = pytest.importorskip("torch")
    import warnings

    for lib in (torch, torchless):
        functional = lib.nn.functional
        input, target = lib.ones(3, 2), lib.ones(2)
        for loss in (functional.mse_loss, functional.l1_loss, functional.smooth_l1_loss, functional.huber_loss):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                loss(input, target)
            assert [(w.filename, w.category) for w in caught] == [(__file__, UserWarning)]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            functional.kl_div(input, input)
        assert [(w.filename, w.category) for w in caught] == [(__file__, UserWarning)]


# ---------------------------------------------------------------- margin losses and complex outputs

def _outcome(call):
    try:
        return call()
    except Exception as error:  # noqa: BLE001 - the type and message are what is compared
        return type(error), str(error).replace("torchless", "torch")


@pytest.mark.parametrize("case", ["bool_input2", "complex_target", "complex_all", "hinge_complex", "cosine_complex"])
def test_margin_losses_refuse_as_pytorch(case):
    torch = pytest.importorskip("torch")

    def call(lib):
        functional = lib.nn.functional
        x = lib.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
        if case == "bool_input2":
            return lambda: functional.margin_ranking_loss(x, lib.tensor([[True, False]] * 2), lib.ones(2, 2))
        if case == "complex_target":
            return lambda: functional.margin_ranking_loss(x, x.detach() * 1j, lib.ones(2, 2) * 1j)
        if case == "complex_all":
            z = x.detach() * (1 + 1j)
            return lambda: functional.margin_ranking_loss(z, z, z)
        if case == "hinge_complex":
            return lambda: functional.hinge_embedding_loss(x.detach() * 1j, lib.ones(2, 2) * 1j)
        return lambda: functional.cosine_embedding_loss(x.detach() * 1j, x.detach() * 1j, lib.ones(2) * 1j)

    expected, got = _outcome(call(torch)), _outcome(call(torchless))
    assert isinstance(expected, tuple) and isinstance(got, tuple)
    assert got[0].__name__ == expected[0].__name__ and got[1] == expected[1]


@pytest.mark.parametrize("how", ["backward", "grad", "grad_list"])
def test_implicit_gradient_of_a_complex_scalar_is_refused(how):
    torch = pytest.importorskip("torch")

    def call(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * lib.tensor([1j, 2])).sum()
        if how == "backward":
            return lambda: y.backward()
        if how == "grad":
            return lambda: lib.autograd.grad(y, x)
        return lambda: lib.autograd.grad([y, x.sum()], x)

    expected, got = _outcome(call(torch)), _outcome(call(torchless))
    assert got[0].__name__ == expected[0].__name__ and got[1] == expected[1]
    # an explicit complex gradient is accepted, as in PyTorch
    x = torchless.tensor([1.0, 2.0], requires_grad=True)
    (grad,) = torchless.autograd.grad((x * torchless.tensor([1j, 2])).sum(), x, grad_outputs=torchless.tensor(1 + 0j))
    assert grad.tolist() == [0.0, 2.0]


# ---------------------------------------------------------------- optimizers step by step

def _trajectories(lib, optimizer_class, arrays, grads, dtype, **config):
    """The parameters and the state of ``optimizer_class`` after each step on ``grads``, as NumPy arrays and floats."""
    params = [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True) for a in arrays]
    optimizer = getattr(lib.optim, optimizer_class)(params, **config)
    steps = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = lib.tensor(g, dtype=p.dtype)
        optimizer.step()
        state = optimizer.state[params[0]]
        steps.append(([p.detach().numpy().copy() for p in params],
                      {k: v.item() for k, v in state.items() if v.dim() == 0}))
    return steps


def _optimizer_case(seed, steps=25):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    return arrays, [[rng.standard_normal(a.shape) for a in arrays] for _ in range(steps)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", [dict(foreach=True), dict(foreach=True, maximize=True, weight_decay=0.1),
                                    dict(foreach=True, lambd=0.01, alpha=0.6, t0=3)])
def test_asgd_foreach_eta_is_rounded_as_pytorchs_float32_pow(dtype, config):
    torch = pytest.importorskip("torch")
    arrays, grads = _optimizer_case(0)
    expected = _trajectories(torch, "ASGD", arrays, grads, dtype, **config)
    got = _trajectories(torchless, "ASGD", arrays, grads, dtype, **config)
    for (want_params, want_state), (got_params, got_state) in zip(expected, got):
        assert got_state == want_state  # eta, mu and step bit for bit
        for want, have in zip(want_params, got_params):
            np.testing.assert_array_equal(have, want)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", [dict(), dict(maximize=True), dict(weight_decay=0.1),
                                    dict(decoupled_weight_decay=True, weight_decay=0.1)])
def test_nadam_foreach_takes_a_tensor_lr_as_a_float(dtype, config):
    torch = pytest.importorskip("torch")
    arrays, grads = _optimizer_case(1)
    expected = _trajectories(torch, "NAdam", arrays, grads, dtype, lr=torch.tensor(0.01), foreach=True, **config)
    got = _trajectories(torchless, "NAdam", arrays, grads, dtype, lr=torchless.tensor(0.01), foreach=True, **config)
    for (want_params, want_state), (got_params, got_state) in zip(expected, got):
        assert got_state == want_state
        for want, have in zip(want_params, got_params):
            np.testing.assert_allclose(have, want, rtol=1e-12 if dtype == "float64" else 1e-6, atol=0)


# ---------------------------------------------------------------- ctc_loss's parser

@pytest.mark.parametrize("keywords", [dict(blank=1.5), dict(blank=True), dict(blank=None), dict(blank="x"),
                                      dict(blank=np.float64(0.0)), dict(zero_infinity=1), dict(zero_infinity=None),
                                      dict(zero_infinity=np.int64(1)), dict(blank=2), dict(blank=np.int64(2)),
                                      dict(zero_infinity=True)])
@pytest.mark.parametrize("tensor_lengths", [True, False])
def test_ctc_loss_checks_blank_and_zero_infinity_as_pytorchs_parser(keywords, tensor_lengths):
    torch = pytest.importorskip("torch")
    log_probs = np.log(np.random.default_rng(0).dirichlet(np.ones(3), size=(4, 1)))

    def call(lib):
        lengths = (lib.tensor([4]), lib.tensor([1])) if tensor_lengths else ((4,), (1,))
        return lambda: lib.nn.functional.ctc_loss(lib.tensor(log_probs), lib.tensor([[1]]), *lengths, **keywords)

    expected, got = _outcome(call(torch)), _outcome(call(torchless))
    if isinstance(expected, tuple):
        assert got[0].__name__ == expected[0].__name__ and got[1] == expected[1]
    else:
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12)


# ---------------------------------------------------------------- odd hyper-parameters reaching a step

def _one_step(lib, optimizer_class, **config):
    p = lib.ones(3, requires_grad=True)
    p.grad = lib.tensor([0.5, -1.0, 2.0])
    getattr(lib.optim, optimizer_class)([p], **config).step()
    return p.detach().tolist()


@pytest.mark.parametrize("optimizer_class", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam", "RAdam", "Adamax",
                                             "Adadelta", "ASGD", "Rprop"])
@pytest.mark.parametrize("flags", [dict(), dict(foreach=True), dict(fused=True), dict(maximize=True)])
def test_bool_weight_decay_reaches_add_as_pytorchs(optimizer_class, flags):
    torch = pytest.importorskip("torch")
    config = dict(flags, weight_decay=True, **({"lr": 0.1} if optimizer_class == "SGD" else {}))
    expected = _outcome(lambda: _one_step(torch, optimizer_class, **config))
    got = _outcome(lambda: _one_step(torchless, optimizer_class, **config))
    if isinstance(expected, tuple):  # fused kernels take it as 1.0; add_ refuses a bool alpha
        assert got[0].__name__ == expected[0].__name__ and got[1] == expected[1]
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("optimizer_class", ["Adam", "AdamW"])
@pytest.mark.parametrize("flags", [dict(), dict(foreach=True), dict(fused=True), dict(differentiable=True)])
@pytest.mark.parametrize("with_grad", [True, False])
def test_adam_step_unpacks_its_betas_first(optimizer_class, flags, with_grad):
    torch = pytest.importorskip("torch")

    def step(lib):
        p = lib.ones(3, requires_grad=True)
        if with_grad:
            p.grad = lib.ones(3)
        getattr(lib.optim, optimizer_class)([p], betas=(0.9, 0.99, 0.5), **flags).step()

    expected, got = _outcome(lambda: step(torch)), _outcome(lambda: step(torchless))
    assert got[0].__name__ == expected[0].__name__ == "ValueError" and got[1] == expected[1]


@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("layout", ["transposed", "channels_last"])
def test_poisson_nll_loss_gradient_keeps_the_layout_pytorch_gives_it(log_input, full, layout):
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(0).random((2, 3, 4, 5)) + 0.1

    def gradients(lib):
        def leaf(array):
            tensor = lib.tensor(array, dtype=lib.float64)
            tensor = tensor.transpose(0, -1) if layout == "transposed" else \
                tensor.contiguous(memory_format=lib.channels_last)
            return tensor.detach().requires_grad_()

        input, target = leaf(values), leaf(values * 3)
        loss = lib.nn.functional.poisson_nll_loss(input, target, log_input=log_input, full=full, reduction="none")
        return lib.autograd.grad(loss.sum(), [input, target])

    for want, have in zip(gradients(torch), gradients(torchless)):
        assert have.stride() == want.stride()
        np.testing.assert_allclose(have.numpy(), want.numpy(), rtol=1e-12)
