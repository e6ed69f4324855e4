"""torchless.optim.lr_scheduler: learning-rate sequences (vs closed forms and vs PyTorch), state, warnings."""
import math
import warnings

import pytest

import torchless
from torchless.nn import Parameter
from torchless.optim import SGD, lr_scheduler

EPOCHS = 50

SCHEDULERS = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "StepLR-default-gamma": lambda m, o: m.StepLR(o, 3),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[3, 9, 9, 20], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.93),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "CosineAnnealingLR-long": lambda m, o: m.CosineAnnealingLR(o, T_max=17),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lr_lambda=lambda epoch: 1 / (epoch + 1)),
    "LambdaLR-per-group": lambda m, o: m.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: e % 4]),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lr_lambda=lambda epoch: 0.97),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=12),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.4, total_iters=6),
}


def lr_sequence(lib, make, epochs=EPOCHS):
    """The learning rates of two parameter groups over ``epochs`` epochs (initial ones first)."""
    a, b = lib.nn.Parameter(lib.ones(1)), lib.nn.Parameter(lib.ones(1))
    opt = lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.03}], lr=0.1)
    scheduler = make(lib.optim.lr_scheduler, opt)
    sequence = [scheduler.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        scheduler.step()
        sequence.append(scheduler.get_last_lr())
        assert scheduler.get_last_lr() == [g["lr"] for g in opt.param_groups]
    return sequence


@pytest.mark.parametrize("name", SCHEDULERS)
def test_sequence_matches_torch(name):
    torch = pytest.importorskip("torch")
    assert lr_sequence(torchless, SCHEDULERS[name]) == lr_sequence(torch, SCHEDULERS[name])


def test_step_lr_closed_form():
    sequence = lr_sequence(torchless, SCHEDULERS["StepLR"])
    for epoch, (lr, _) in enumerate(sequence):
        assert lr == pytest.approx(0.1 * 0.5 ** (epoch // 7), rel=1e-12)


def test_multistep_lr_closed_form():
    sequence = lr_sequence(torchless, SCHEDULERS["MultiStepLR"])
    for epoch, (lr, _) in enumerate(sequence):
        decays = sum(epoch >= m for m in (3, 9, 9, 20))
        assert lr == pytest.approx(0.1 * 0.3 ** decays, rel=1e-12)


def test_cosine_annealing_follows_the_cosine():
    sequence = lr_sequence(torchless, SCHEDULERS["CosineAnnealingLR"])
    for epoch, (lr_a, lr_b) in enumerate(sequence):
        cosine = 1 + math.cos(math.pi * epoch / 10)
        assert lr_a == pytest.approx(0.001 + (0.1 - 0.001) * cosine / 2, rel=1e-9, abs=1e-12)
        assert lr_b == pytest.approx(0.001 + (0.03 - 0.001) * cosine / 2, rel=1e-9, abs=1e-12)


def test_exponential_and_lambda_closed_forms():
    for epoch, (lr, _) in enumerate(lr_sequence(torchless, SCHEDULERS["ExponentialLR"])):
        assert lr == pytest.approx(0.1 * 0.93 ** epoch, rel=1e-12)
    for epoch, (lr, lr_b) in enumerate(lr_sequence(torchless, SCHEDULERS["LambdaLR-per-group"])):
        assert lr == pytest.approx(0.1 * 0.9 ** epoch, rel=1e-12)
        assert lr_b == pytest.approx(0.03 * (epoch % 4), rel=1e-12)


def test_scheduler_changes_what_the_optimizer_does():
    p = Parameter(torchless.tensor([0.0]))
    opt = SGD([p], lr=1.0)
    scheduler = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = torchless.tensor([1.0])
        opt.step()
        scheduler.step()
    assert p.item() == pytest.approx(-(1.0 + 0.5 + 0.25))
    assert opt.param_groups[0]["initial_lr"] == 1.0


def make_optimizer(lr=0.1):
    return SGD([Parameter(torchless.ones(1))], lr=lr)


def advance(opt, scheduler, epochs):
    """Run ``epochs`` epochs (optimizer step, then scheduler step); the first group's lr after each."""
    lrs = []
    for _ in range(epochs):
        opt.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    return lrs


def test_state_dict_resume_continues_the_sequence():
    opt = make_optimizer()
    uninterrupted = advance(opt, lr_scheduler.CosineAnnealingLR(opt, T_max=8), 12)

    opt = make_optimizer()
    scheduler = lr_scheduler.CosineAnnealingLR(opt, T_max=8)
    resumed = advance(opt, scheduler, 5)
    saved_scheduler, saved_optimizer = scheduler.state_dict(), opt.state_dict()
    assert "optimizer" not in saved_scheduler and saved_scheduler["last_epoch"] == 5

    opt = make_optimizer(lr=5.0)
    scheduler = lr_scheduler.CosineAnnealingLR(opt, T_max=8)
    opt.load_state_dict(saved_optimizer)
    scheduler.load_state_dict(saved_scheduler)
    resumed += advance(opt, scheduler, 7)
    assert resumed == uninterrupted


def test_state_dict_matches_torch():
    torch = pytest.importorskip("torch")
    ours = lr_scheduler.StepLR(make_optimizer(), step_size=3).state_dict()
    theirs = torch.optim.lr_scheduler.StepLR(
        torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1), step_size=3).state_dict()
    assert ours == theirs


def test_lambda_state_dict_skips_plain_functions():
    class Factor:
        def __init__(self):
            self.base = 0.5

        def __call__(self, epoch):
            return self.base ** epoch

    opt = SGD([{"params": [Parameter(torchless.ones(1))]}, {"params": [Parameter(torchless.ones(1))]}], lr=0.1)
    factor = Factor()
    scheduler = lr_scheduler.LambdaLR(opt, [lambda e: 1.0, factor])
    saved = scheduler.state_dict()
    assert saved["lr_lambdas"] == [None, {"base": 0.5}]
    factor.base = 0.9
    scheduler.load_state_dict(saved)
    assert factor.base == 0.5 and "lr_lambdas" in saved


def test_stepping_scheduler_before_optimizer_warns():
    scheduler = lr_scheduler.StepLR(make_optimizer(), step_size=2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        scheduler.step()


def test_right_order_does_not_warn():
    opt = make_optimizer()
    scheduler = lr_scheduler.StepLR(opt, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        advance(opt, scheduler, 3)


def test_get_lr_outside_step_warns():
    scheduler = lr_scheduler.ExponentialLR(make_optimizer(), gamma=0.5)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        scheduler.get_lr()


def test_step_with_epoch_uses_closed_form_and_warns():
    opt = make_optimizer()
    scheduler = lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="The epoch parameter"):
        scheduler.step(7)
    assert scheduler.last_epoch == 7 and scheduler.get_last_lr() == [0.1 * 0.5 ** 2]


def test_resuming_without_initial_lr_raises_key_error():
    with pytest.raises(KeyError, match=r"param 'initial_lr' is not specified in param_groups\[0\]"):
        lr_scheduler.StepLR(make_optimizer(), step_size=2, last_epoch=4)


def test_resuming_with_last_epoch():
    torch = pytest.importorskip("torch")
    sequences = []
    for lib in (torchless, torch):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.ones(1))], lr=0.1)
        opt.param_groups[0]["initial_lr"] = 0.2
        scheduler = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, last_epoch=3)
        sequences.append([scheduler.get_last_lr()[0]] + advance(opt, scheduler, 5))
    assert sequences[0] == sequences[1]


def test_argument_errors():
    with pytest.raises(TypeError, match="^list is not an Optimizer$"):
        lr_scheduler.StepLR([], step_size=1)
    with pytest.raises(ValueError, match="^Expected 1 lr_lambdas, but got 2$"):
        lr_scheduler.LambdaLR(make_optimizer(), [lambda e: 1, lambda e: 1])
    with pytest.raises(ValueError, match="Constant multiplicative factor expected to be between 0 and 1."):
        lr_scheduler.ConstantLR(make_optimizer(), factor=2.0)
    with pytest.raises(ValueError, match="Starting multiplicative factor expected"):
        lr_scheduler.LinearLR(make_optimizer(), start_factor=0)


PLATEAU_METRICS = [5.0, 4.0, 4.0, 3.9999, 4.1, 4.2, 3.0, 3.0, 3.5, 3.6, 3.7, 3.8, 2.0, 2.5, 2.6, 2.7, 2.8, 2.9, 3.0]


@pytest.mark.parametrize("options", [
    {"patience": 1},
    {"patience": 0, "factor": 0.5, "cooldown": 2},
    {"mode": "max", "patience": 1, "threshold": 0.1, "threshold_mode": "abs"},
    {"patience": 1, "min_lr": [0.01, 0.02], "factor": 0.2},
    {"patience": 0, "mode": "max", "threshold_mode": "rel"},
])
def test_reduce_on_plateau_matches_torch(options):
    torch = pytest.importorskip("torch")
    sequences = []
    for lib in (torchless, torch):
        opt = lib.optim.SGD([{"params": [lib.nn.Parameter(lib.ones(1))]},
                             {"params": [lib.nn.Parameter(lib.ones(1))], "lr": 0.05}], lr=0.1)
        scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **options)
        sequence = []
        for metric in PLATEAU_METRICS:
            opt.step()
            scheduler.step(lib.tensor(metric))
            sequence.append((scheduler.get_last_lr(), scheduler.num_bad_epochs, scheduler.best))
        sequences.append(sequence)
    assert sequences[0] == sequences[1]


def test_reduce_on_plateau_by_hand():
    opt = make_optimizer(lr=1.0)
    scheduler = lr_scheduler.ReduceLROnPlateau(opt, patience=2, factor=0.5)
    lrs = []
    for loss in [3.0, 3.0, 3.0, 3.0, 2.0, 2.0, 2.0]:
        scheduler.step(loss)
        lrs.append(opt.param_groups[0]["lr"])
    # no improvement at epochs 2, 3, 4: the third bad epoch (> patience) halves the lr
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]


def test_reduce_on_plateau_errors():
    with pytest.raises(ValueError, match=r"^Factor should be < 1.0.$"):
        lr_scheduler.ReduceLROnPlateau(make_optimizer(), factor=1.0)
    with pytest.raises(ValueError, match="^mode avg is unknown!$"):
        lr_scheduler.ReduceLROnPlateau(make_optimizer(), mode="avg")
    with pytest.raises(ValueError, match="^expected 1 min_lrs, got 2$"):
        lr_scheduler.ReduceLROnPlateau(make_optimizer(), min_lr=[0, 0])


def test_old_base_class_name():
    assert issubclass(lr_scheduler._LRScheduler, lr_scheduler.LRScheduler)
