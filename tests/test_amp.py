"""torch.amp on torchless: GradScaler's loss-scaling algorithm on the CPU, and the CUDA scaler and autocast
disabled with the warnings of a CPU-only PyTorch."""
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_error


def scaled_training(lib, device, steps=7, inf_steps=(2,), **scaler_args):
    """(scale, growth tracker, weights) after each step of a scaled SGD run whose input is inf at inf_steps."""
    m = lib.nn.Linear(3, 2)
    with lib.no_grad():
        m.weight.copy_(lib.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]))
        m.bias.zero_()
    opt = lib.optim.SGD(m.parameters(), lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scaler = lib.amp.GradScaler(device, **scaler_args)
    history = []
    for step in range(steps):
        opt.zero_grad()
        x = lib.tensor([[1.0, 2.0, 3.0]]) * (float("inf") if step in inf_steps else 1.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NaN losses
            scaler.scale(m(x).sum()).backward()
        scaler.step(opt)
        scaler.update()
        tracker = scaler._get_growth_tracker() if scaler.is_enabled() else None
        history.append((scaler.get_scale(), int(tracker) if tracker is not None else None,
                        m.weight.detach().numpy().copy()))
    return history, scaler.state_dict()


def reference_scaled_sgd(steps, inf_steps, init_scale=2.0 ** 16, growth_interval=2, lr=0.1):
    """The same run computed from the algorithm's definition in float64: skip steps with inf gradients and
    halve the scale, double it after growth_interval clean steps; the update uses the true gradient."""
    w = np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]])
    scale, tracker, history = init_scale, 0, []
    for step in range(steps):
        if step in inf_steps:
            scale, tracker = scale * 0.5, 0
        else:
            w = w - lr * np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
            tracker += 1
            if tracker == growth_interval:
                scale, tracker = scale * 2.0, 0
        history.append((scale, tracker, w.copy()))
    return history


@pytest.mark.parametrize("inf_steps", [(), (2,), (0, 1, 5)])
def test_grad_scaler_on_the_cpu_follows_the_algorithm(inf_steps):
    ours, _ = scaled_training(torchless, "cpu", inf_steps=inf_steps, growth_interval=2)
    for (scale, tracker, w), (want_scale, want_tracker, want_w) in zip(ours, reference_scaled_sgd(7, inf_steps)):
        assert (scale, tracker) == (want_scale, want_tracker)
        np.testing.assert_allclose(w, want_w, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_grad_scaler_matches_torch(device):
    torch = pytest.importorskip("torch")
    ours, our_state = scaled_training(torchless, device, growth_interval=2, growth_factor=4.0, backoff_factor=0.25)
    theirs, their_state = scaled_training(torch, device, growth_interval=2, growth_factor=4.0, backoff_factor=0.25)
    assert our_state == their_state
    for (s1, t1, w1), (s2, t2, w2) in zip(ours, theirs):
        assert (s1, t1) == (s2, t2)
        np.testing.assert_allclose(w1, w2, rtol=1e-6, atol=1e-7)


def warnings_of(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [(w.category.__name__, str(w.message)) for w in caught]


@pytest.mark.parametrize("make", [
    lambda lib: lib.amp.GradScaler(),
    lambda lib: lib.amp.GradScaler("cuda", enabled=False),
    lambda lib: lib.cuda.amp.GradScaler(),
    lambda lib: lib.autocast(device_type="cuda"),
    lambda lib: lib.amp.autocast("cuda"),
    lambda lib: lib.cuda.amp.autocast(),
    lambda lib: lib.autocast("cpu", enabled=False),
])
def test_cuda_amp_is_disabled_with_torchs_warnings(make):
    torch = pytest.importorskip("torch")
    assert warnings_of(lambda: make(torchless)) == warnings_of(lambda: make(torch))


def test_disabled_scaler_passes_everything_through():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scaler = torchless.amp.GradScaler()
    loss = torchless.tensor(2.0, requires_grad=True)
    assert scaler.scale(loss) is loss
    assert (scaler.is_enabled(), scaler.get_scale(), scaler.state_dict()) == (False, 1.0, {})
    param = torchless.nn.Parameter(torchless.ones(2))
    opt = torchless.optim.SGD([param], lr=0.5)
    param.grad = torchless.ones(2)
    scaler.step(opt)
    scaler.update()
    assert param.tolist() == [0.5, 0.5]


def misuse(lib, case):
    param = lib.nn.Parameter(lib.ones(2))
    opt = lib.optim.SGD([param], lr=0.1)
    scaler = lib.amp.GradScaler("cpu")
    if case == "step before scale":
        return scaler.step(opt)
    if case == "update before scale":
        return scaler.update()
    if case == "load empty":
        return scaler.load_state_dict({})
    if case == "bad factors":
        return lib.amp.GradScaler("cpu", backoff_factor=1.5)
    scaler.scale(param.sum()).backward()
    if case == "unscale twice":
        scaler.unscale_(opt)
        return scaler.unscale_(opt)
    if case == "step twice":
        scaler.step(opt)
        return scaler.step(opt)
    if case == "unscale after step":
        scaler.step(opt)
        return scaler.unscale_(opt)
    if case == "closure":
        return scaler.step(opt, closure=lambda: 0.0)
    if case == "update without a step":
        return scaler.update()
    if case == "scale a number":
        return scaler.scale(3)
    if case == "new scale tensor":
        scaler.step(opt)
        scaler.update(lib.tensor([8.0, 2.0]))
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["step before scale", "update before scale", "load empty", "bad factors",
                                  "unscale twice", "step twice", "unscale after step", "closure",
                                  "update without a step", "scale a number", "new scale tensor"])
def test_scaler_misuse_fails_as_in_torch(case):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: misuse(torch, case), lambda: misuse(torchless, case))


def test_scale_of_nested_outputs_and_state_round_trip():
    scaler = torchless.amp.GradScaler("cpu", init_scale=4.0)
    a, b = torchless.tensor([1.0]), torchless.tensor([2.0, 3.0])
    scaled = scaler.scale([a, (b, a)])
    assert isinstance(scaled, list) and isinstance(scaled[1], tuple)
    assert [scaled[0].tolist(), scaled[1][0].tolist(), scaled[1][1].tolist()] == [[4.0], [8.0, 12.0], [4.0]]
    other = torchless.amp.GradScaler("cpu")
    other.load_state_dict(scaler.state_dict())
    assert other.state_dict() == scaler.state_dict() and other.get_scale() == 4.0


def test_cpu_autocast_keeps_float32_and_tracks_its_region():
    conv = torchless.nn.Conv2d(1, 2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torchless.autocast(device_type="cpu", dtype=torchless.float16):
            assert torchless.is_autocast_enabled("cpu") and not torchless.is_autocast_enabled()
            y = conv(torchless.ones(1, 1, 5, 5))
    assert y.dtype == torchless.float32 and not torchless.is_autocast_enabled("cpu")

    @torchless.autocast("cpu", enabled=False)
    def forward(x):
        return conv(x), torchless.is_autocast_enabled("cpu")
    assert forward(torchless.ones(1, 1, 5, 5))[1] is False


@pytest.mark.parametrize("device_type", ["foo", 3])
def test_autocast_device_errors_match_torch(device_type):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: torch.autocast(device_type), lambda: torchless.autocast(device_type))
