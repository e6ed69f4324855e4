"""PolynomialLR, CyclicLR, CosineAnnealingWarmRestarts, OneCycleLR, SequentialLR, ChainedScheduler:
learning-rate (and momentum) sequences vs closed forms and vs PyTorch, state_dict, warnings, errors."""
import math
import warnings

import pytest

import torchless
from helpers import assert_same_error
from torchless.nn import Parameter
from torchless.optim import SGD, Adam, lr_scheduler

EPOCHS = 60

SCHEDULERS = {
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=12, power=2.0),
    "PolynomialLR-default": lambda m, o: m.PolynomialLR(o),
    "CyclicLR": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4),
    "CyclicLR-triangular2": lambda m, o: m.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=4,
                                                    step_size_down=7, mode="triangular2"),
    "CyclicLR-exp_range": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range",
                                                  gamma=0.97, base_momentum=0.7, max_momentum=0.95),
    "CyclicLR-scale_fn": lambda m, o: m.CyclicLR(o, 0.001, 0.01, step_size_up=3, scale_fn=lambda x: 1 / (1 + x),
                                                 scale_mode="iterations", cycle_momentum=False),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7),
    "CosineAnnealingWarmRestarts-mult": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-3),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=EPOCHS),
    "OneCycleLR-per-group": lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.4], epochs=6, steps_per_epoch=10,
                                                      pct_start=0.2, div_factor=10.0, final_div_factor=100.0),
    "OneCycleLR-three-phase-linear": lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=EPOCHS, three_phase=True,
                                                               anneal_strategy="linear", base_momentum=[0.8, 0.7]),
    "SequentialLR": lambda m, o: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=5),
                                                    m.ExponentialLR(o, gamma=0.9), m.StepLR(o, 3, gamma=0.5)],
                                                milestones=[5, 20]),
    "SequentialLR-cosine": lambda m, o: m.SequentialLR(o, [m.ConstantLR(o, factor=0.2, total_iters=3),
                                                           m.CosineAnnealingLR(o, T_max=10)], milestones=[8]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.5, total_iters=4),
                                                         m.ExponentialLR(o, gamma=0.95)]),
    "ChainedScheduler-poly": lambda m, o: m.ChainedScheduler([m.PolynomialLR(o, total_iters=30),
                                                              m.MultiStepLR(o, milestones=[10, 15], gamma=0.5)], o),
}


def make_optimizer(lib, name="SGD"):
    a, b = lib.nn.Parameter(lib.ones(1)), lib.nn.Parameter(lib.ones(1))
    groups = [{"params": [a]}, {"params": [b], "lr": 0.03}]
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9) if name == "SGD" else lib.optim.Adam(groups, lr=0.1)


def momenta(opt):
    return [group["betas"][0] if "betas" in group else group["momentum"] for group in opt.param_groups]


def lr_sequence(lib, make, epochs=EPOCHS, optimizer="SGD"):
    """(learning rates, momenta) of two parameter groups over ``epochs`` epochs (initial ones first)."""
    opt = make_optimizer(lib, optimizer)
    scheduler = make(lib.optim.lr_scheduler, opt)
    sequence = [(scheduler.get_last_lr(), momenta(opt))]
    for _ in range(epochs):
        opt.step()
        scheduler.step()
        sequence.append((scheduler.get_last_lr(), momenta(opt)))
        assert scheduler.get_last_lr() == [g["lr"] for g in opt.param_groups]
    return sequence


def lrs(sequence, group=0):
    return [lr[group] for lr, _ in sequence]


# ---------------------------------------------------------------------------- PyTorch as oracle
@pytest.mark.parametrize("name", SCHEDULERS)
def test_sequence_matches_torch(name):
    torch = pytest.importorskip("torch")
    assert lr_sequence(torchless, SCHEDULERS[name]) == lr_sequence(torch, SCHEDULERS[name])


@pytest.mark.parametrize("name", ["OneCycleLR", "CyclicLR-exp_range", "OneCycleLR-three-phase-linear"])
def test_beta1_cycles_with_adam_as_in_torch(name):
    torch = pytest.importorskip("torch")
    ours = lr_sequence(torchless, SCHEDULERS[name], optimizer="Adam")
    assert ours == lr_sequence(torch, SCHEDULERS[name], optimizer="Adam")
    assert len({m[0] for _, m in ours}) > 10  # beta1 moved


@pytest.mark.parametrize("name", SCHEDULERS)
def test_state_dict_matches_torch(name):
    torch = pytest.importorskip("torch")
    states = []
    for lib in (torchless, torch):
        opt = make_optimizer(lib)
        scheduler = SCHEDULERS[name](lib.optim.lr_scheduler, opt)
        for _ in range(7):
            opt.step()
            scheduler.step()
        states.append(scheduler.state_dict())
    assert states[0] == states[1]
    assert "optimizer" not in states[0]


@pytest.mark.parametrize("epochs", [[0.5, 1.25, 3, 7.5, 8, 20.2, 2], [4, 9, 21, 45.5, 46]])
@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_with_explicit_epochs_match_torch(epochs, T_mult):
    torch = pytest.importorskip("torch")
    sequences = []
    for lib in (torchless, torch):
        opt = make_optimizer(lib)
        scheduler = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=T_mult, eta_min=0.01)
        sequence = []
        for epoch in epochs:
            opt.step()
            scheduler.step(epoch)
            sequence.append((scheduler.get_last_lr(), scheduler.T_cur, scheduler.T_i, scheduler.last_epoch))
        sequences.append(sequence)
    assert sequences[0] == sequences[1]


def warnings_of(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in caught]


@pytest.mark.parametrize("name", ["PolynomialLR", "CyclicLR", "OneCycleLR", "CosineAnnealingWarmRestarts"])
def test_step_order_warnings_match_torch(name):
    torch = pytest.importorskip("torch")
    found = []
    for lib in (torchless, torch):
        scheduler = SCHEDULERS[name](lib.optim.lr_scheduler, make_optimizer(lib))
        found.append(warnings_of(scheduler.step))
    assert found[0] == found[1]
    if name != "CosineAnnealingWarmRestarts":  # it overrides step() without the check, in PyTorch too
        assert any("before `optimizer.step()`" in message for message in found[0])


def test_composite_schedulers_warn_like_torch():
    torch = pytest.importorskip("torch")
    for name in ("SequentialLR", "ChainedScheduler"):
        found = []
        for lib in (torchless, torch):
            opt = make_optimizer(lib)
            scheduler = SCHEDULERS[name](lib.optim.lr_scheduler, opt)
            found.append(warnings_of(lambda: [scheduler.step() for _ in range(3)]))
            found.append(warnings_of(lambda: (opt.step(), scheduler.step())))
        assert found[:2] == found[2:]


def test_one_cycle_stepping_too_far_raises_like_torch():
    torch = pytest.importorskip("torch")
    schedulers = []
    for lib in (torchless, torch):
        opt = make_optimizer(lib)
        scheduler = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=3)
        for _ in range(3):
            opt.step()
            scheduler.step()
        schedulers.append(scheduler)
    assert_same_error(schedulers[1].step, schedulers[0].step)
    with pytest.raises(ValueError, match="^Tried to step 5 times. The specified number of total steps is 3$"):
        schedulers[0].step()


ERROR_CASES = [
    ("OneCycleLR", lambda m, o: m.OneCycleLR(o, max_lr=0.1)),
    ("OneCycleLR", lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=0)),
    ("OneCycleLR", lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=2.5)),
    ("OneCycleLR", lambda m, o: m.OneCycleLR(o, max_lr=0.1, epochs=-1, steps_per_epoch=3)),
    ("OneCycleLR", lambda m, o: m.OneCycleLR(o, max_lr=0.1, epochs=2, steps_per_epoch=0)),
    ("OneCycleLR", lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5)),
    ("OneCycleLR", lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1)),
    ("OneCycleLR", lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp")),
    ("OneCycleLR", lambda m, o: m.OneCycleLR(o, max_lr=[0.1, 0.2, 0.3], total_steps=10)),
    ("OneCycleLR", lambda m, o: m.OneCycleLR([], max_lr=0.1, total_steps=10)),
    ("CyclicLR", lambda m, o: m.CyclicLR(o, 0.01, 0.1, mode="square")),
    ("CyclicLR", lambda m, o: m.CyclicLR(o, [0.01], 0.1)),
    ("CyclicLR", lambda m, o: m.CyclicLR(o, 0.01, 0.1, base_momentum=[0.8])),
    ("CosineAnnealingWarmRestarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0)),
    ("CosineAnnealingWarmRestarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2.5)),
    ("CosineAnnealingWarmRestarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0)),
    ("CosineAnnealingWarmRestarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5)),
    ("CosineAnnealingWarmRestarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0")),
    ("CosineAnnealingWarmRestarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2).step(-1)),
    ("SequentialLR", lambda m, o: m.SequentialLR(o, [], milestones=[])),
    ("SequentialLR", lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), m.StepLR(o, 3)], milestones=[])),
    ("SequentialLR", lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), m.ReduceLROnPlateau(o)], milestones=[3])),
    ("SequentialLR", lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2), object()], milestones=[3])),
    ("ChainedScheduler", lambda m, o: m.ChainedScheduler([])),
    ("ChainedScheduler", lambda m, o: m.ChainedScheduler([m.StepLR(o, 2), m.ReduceLROnPlateau(o)])),
]


@pytest.mark.parametrize("name,make", ERROR_CASES)
def test_errors_match_torch(name, make):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: make(torch.optim.lr_scheduler, make_optimizer(torch)),
                      lambda: make(lr_scheduler, make_optimizer(torchless)))


def test_cycle_momentum_needs_momentum_like_torch():
    torch = pytest.importorskip("torch")
    for make in (lambda m, o: m.CyclicLR(o, 0.01, 0.1), lambda m, o: m.OneCycleLR(o, 0.1, total_steps=5)):
        theirs = torch.optim.Rprop([torch.nn.Parameter(torch.ones(1))])
        ours = torchless.optim.Rprop([Parameter(torchless.ones(1))])
        assert_same_error(lambda: make(torch.optim.lr_scheduler, theirs), lambda: make(lr_scheduler, ours))


def test_schedulers_of_another_optimizer_are_refused():
    with pytest.raises(ValueError, match="^SequentialLR expects all schedulers to belong to the same optimizer"):
        other = make_optimizer(torchless)
        lr_scheduler.SequentialLR(make_optimizer(torchless), [lr_scheduler.StepLR(other, 2)], milestones=[])


# ---------------------------------------------------------------------------- closed forms
def test_polynomial_closed_form():
    for epoch, lr in enumerate(lrs(lr_sequence(torchless, SCHEDULERS["PolynomialLR"]))):
        assert lr == pytest.approx(0.1 * (1 - min(epoch, 12) / 12) ** 2, rel=1e-9, abs=1e-15)


def test_polynomial_step_with_epoch_uses_closed_form():
    opt = make_optimizer(torchless)
    scheduler = lr_scheduler.PolynomialLR(opt, total_iters=4, power=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="The epoch parameter"):
        scheduler.step(3)
    assert scheduler.get_last_lr() == pytest.approx([0.1 * 0.25 ** 0.5, 0.03 * 0.25 ** 0.5], rel=1e-12)


def test_cyclic_triangle_closed_form():
    sequence = lr_sequence(torchless, SCHEDULERS["CyclicLR-triangular2"])
    for iteration, ((lr_a, lr_b), (m_a, _)) in enumerate(sequence):
        cycle, position = divmod(iteration, 11)
        rise = position / 4 if position <= 4 else (11 - position) / 7  # up in 4 steps, down in 7
        amplitude = 0.5 ** cycle
        assert lr_a == pytest.approx(0.01 + (0.1 - 0.01) * rise * amplitude, rel=1e-9)
        assert lr_b == pytest.approx(0.02 + (0.3 - 0.02) * rise * amplitude, rel=1e-9)
        assert m_a == pytest.approx(0.9 - (0.9 - 0.8) * rise * amplitude, rel=1e-9)


def test_warm_restarts_closed_form():
    sequence = lrs(lr_sequence(torchless, SCHEDULERS["CosineAnnealingWarmRestarts-mult"]))
    start, period = 0, 3
    for epoch, lr in enumerate(sequence):
        if epoch - start == period:
            start, period = epoch, period * 2
        t_cur = epoch - start
        assert lr == pytest.approx(1e-3 + (0.1 - 1e-3) * (1 + math.cos(math.pi * t_cur / period)) / 2, rel=1e-9)
    assert sequence[3] == sequence[9] == sequence[21] == sequence[45] == 0.1  # restarts at 3, 3+6, 9+12, 21+24


def test_one_cycle_closed_form():
    sequence = lr_sequence(torchless, SCHEDULERS["OneCycleLR"])
    lr_a, momentum_a = lrs(sequence), [m[0] for _, m in sequence]
    initial, peak_step = 1.0 / 25, 0.3 * EPOCHS - 1
    for step, (lr, momentum) in enumerate(zip(lr_a, momentum_a)):
        if step <= peak_step:
            pct, start, end, m_start, m_end = step / peak_step, initial, 1.0, 0.95, 0.85
        else:
            pct = (step - peak_step) / (EPOCHS - 1 - peak_step)
            start, end, m_start, m_end = 1.0, initial / 1e4, 0.85, 0.95
        cosine = (1 + math.cos(math.pi * pct)) / 2
        assert lr == pytest.approx(end + (start - end) * cosine, rel=1e-9, abs=1e-15)
        assert momentum == pytest.approx(m_end + (m_start - m_end) * cosine, rel=1e-9)
    assert lr_a[0] == pytest.approx(0.04) and lr_a[int(peak_step)] == pytest.approx(1.0)
    assert lr_a[EPOCHS - 1] == pytest.approx(0.04 / 1e4)


def test_sequential_closed_form():
    sequence = lrs(lr_sequence(torchless, SCHEDULERS["SequentialLR"]))
    for epoch, lr in enumerate(sequence):
        if epoch < 5:
            expected = 0.1 * (0.1 + 0.9 * epoch / 5)
        elif epoch < 20:
            expected = 0.1 * 0.9 ** (epoch - 5)
        else:
            expected = 0.1 * 0.5 ** ((epoch - 20) // 3)
        assert lr == pytest.approx(expected, rel=1e-9)


def test_chained_closed_form():
    sequence = lrs(lr_sequence(torchless, SCHEDULERS["ChainedScheduler"]), group=1)
    for epoch, lr in enumerate(sequence):
        assert lr == pytest.approx(0.03 * (0.5 if epoch < 4 else 1.0) * 0.95 ** epoch, rel=1e-9)


# ---------------------------------------------------------------------------- state
@pytest.mark.parametrize("name", ["OneCycleLR-per-group", "CyclicLR-exp_range", "SequentialLR", "ChainedScheduler",
                                  "CosineAnnealingWarmRestarts-mult", "PolynomialLR"])
def test_state_dict_resume_continues_the_sequence(name):
    make = SCHEDULERS[name]
    uninterrupted = lr_sequence(torchless, make, epochs=30)

    opt = make_optimizer(torchless)
    scheduler = make(lr_scheduler, opt)
    for _ in range(12):
        opt.step()
        scheduler.step()
    saved_scheduler, saved_optimizer = scheduler.state_dict(), opt.state_dict()

    opt = make_optimizer(torchless)
    scheduler = make(lr_scheduler, opt)
    opt.load_state_dict(saved_optimizer)
    scheduler.load_state_dict(saved_scheduler)
    resumed = []
    for _ in range(18):
        opt.step()
        scheduler.step()
        resumed.append((scheduler.get_last_lr(), momenta(opt)))
    assert resumed == uninterrupted[13:]


def test_cyclic_scale_fn_state():
    class Halving:
        def __init__(self):
            self.base = 0.5

        def __call__(self, cycle):
            return self.base ** (cycle - 1)

    fn = Halving()
    scheduler = lr_scheduler.CyclicLR(make_optimizer(torchless), 0.01, 0.1, scale_fn=fn)
    saved = scheduler.state_dict()
    assert saved["_scale_fn_custom"] == {"base": 0.5} and "_scale_fn_ref" not in saved
    fn.base = 0.9
    scheduler.load_state_dict(saved)
    assert fn.base == 0.5 and "_scale_fn_custom" not in saved  # popped, as PyTorch does

    plain = lr_scheduler.CyclicLR(make_optimizer(torchless), 0.01, 0.1, scale_fn=lambda x: 1.0)
    assert plain.state_dict()["_scale_fn_custom"] is None


def test_sequential_state_dict_nests_the_schedulers():
    opt = SGD([Parameter(torchless.ones(1))], lr=0.1)
    first, second = lr_scheduler.ConstantLR(opt, total_iters=2), lr_scheduler.ExponentialLR(opt, gamma=0.5)
    scheduler = lr_scheduler.SequentialLR(opt, [first, second], milestones=[2])
    state = scheduler.state_dict()
    assert set(state) == {"_schedulers", "_milestones", "last_epoch", "_last_lr"}
    assert state["_schedulers"][1] == second.state_dict() and state["last_epoch"] == 0


def test_cyclic_sets_momentum_and_bounds_in_groups():
    opt = Adam([Parameter(torchless.ones(1))], lr=0.5, betas=(0.5, 0.99))
    lr_scheduler.CyclicLR(opt, base_lr=0.001, max_lr=0.01, step_size_up=2)
    group = opt.param_groups[0]
    assert group["lr"] == 0.001 and group["betas"] == (0.9, 0.99)
    # the group's lr is set to base_lr before the scheduler records it as initial_lr
    assert group["base_momentum"] == 0.8 and group["max_momentum"] == 0.9 and group["initial_lr"] == 0.001


def test_scheduled_lr_reaches_the_optimizer():
    p = Parameter(torchless.tensor([0.0]))
    opt = SGD([p], lr=1.0)
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=4, cycle_momentum=False, anneal_strategy="linear",
                                        pct_start=0.5)
    expected = 0.0
    for _ in range(3):
        expected -= opt.param_groups[0]["lr"]
        p.grad = torchless.tensor([1.0])
        opt.step()
        scheduler.step()
    assert p.item() == pytest.approx(expected)
    assert p.item() == pytest.approx(-(0.04 + 1.0 + (1.0 + 0.04 / 1e4) / 2), rel=1e-6)
