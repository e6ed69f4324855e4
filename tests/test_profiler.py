"""torchless.profiler and torchless.autograd.profiler against PyTorch's: names, counts, shapes, FLOPs, schedules."""
import gzip
import json
import sys
import warnings

import pytest

import torchless
import torchless.nn as tnn
from torchless.autograd import profiler as legacy
from torchless.profiler import ProfilerAction, profile, record_function, schedule, tensorboard_trace_handler


def _cnn(nn):
    return nn.Sequential(nn.Conv2d(1, 5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(980, 10))


def _training_names(lib, nn, profiler, steps=2, **options):
    """Names in key_averages, and the profiler, after ``steps`` training steps of a small CNN."""
    lib.manual_seed(0)
    model = _cnn(nn)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
    images = lib.randn(4, 1, 28, 28)
    with profiler.profile(**options) as prof:
        for _ in range(steps):
            optimizer.zero_grad()
            with profiler.record_function("forward_pass"):
                loss = model(images).sum()
            loss.backward()
            optimizer.step()
    return {event.key: event for event in prof.key_averages()}, prof


def test_recorded_names_are_pytorchs_names():
    torch = pytest.importorskip("torch")

    ours, _ = _training_names(torchless, tnn, torchless.profiler)
    theirs, _ = _training_names(torch, torch.nn, torch.profiler)
    expected = {"aten::conv2d", "aten::relu", "aten::max_pool2d", "aten::flatten", "aten::linear", "aten::sum",
                "ConvolutionBackward0", "autograd::engine::evaluate_function: ConvolutionBackward0",
                "MaxPool2DWithIndicesBackward0", "AddmmBackward0", "Optimizer.step#SGD.step",
                "Optimizer.zero_grad#SGD.zero_grad", "forward_pass"}
    assert expected <= set(theirs)  # the oracle itself names them so
    assert expected <= set(ours)
    assert set(ours) <= set(theirs), set(ours) - set(theirs)  # nothing PyTorch would not name


def test_counts_match_pytorchs():
    torch = pytest.importorskip("torch")

    ours, _ = _training_names(torchless, tnn, torchless.profiler, steps=3)
    theirs, _ = _training_names(torch, torch.nn, torch.profiler, steps=3)
    for name in ("aten::conv2d", "aten::linear", "ConvolutionBackward0", "Optimizer.step#SGD.step", "forward_pass"):
        assert ours[name].count == theirs[name].count == 3, name


def test_times_nest():
    ours, prof = _training_names(torchless, tnn, torchless.profiler)
    events = prof.events()
    assert all(event.cpu_time_total >= 0 and event.self_cpu_time_total >= -1e-9 for event in events)
    for event in events:
        assert sum(child.cpu_time_total for child in event.cpu_children) <= event.cpu_time_total + 1e-6
        for child in event.cpu_children:
            assert child.cpu_parent is event
            assert event.start_us <= child.start_us and child.end_us <= event.end_us
    forward = ours["forward_pass"]
    assert forward.cpu_time_total >= ours["aten::conv2d"].cpu_time_total
    assert forward.is_user_annotation and not ours["aten::conv2d"].is_user_annotation


def test_input_shapes_and_flops_match_pytorchs():
    torch = pytest.importorskip("torch")

    def grouped(lib, nn, profiler):
        lib.manual_seed(0)
        model = _cnn(nn)
        with profiler.profile(record_shapes=True, with_flops=True) as prof:
            model(lib.randn(6, 1, 28, 28))
        return prof

    ours, theirs = grouped(torchless, tnn, torchless.profiler), grouped(torch, torch.nn, torch.profiler)

    def event(prof, name):
        return next(e for e in prof.key_averages(group_by_input_shape=True) if e.key == name)

    for name in ("aten::conv2d", "aten::linear", "aten::relu", "aten::max_pool2d"):
        mine, reference = event(ours, name), event(theirs, name)
        # PyTorch lists every argument, defaults included; the tensors come first in both
        tensors = [shape for shape in reference.input_shapes if shape]
        assert [shape for shape in mine.input_shapes if shape] == tensors, name
    assert event(ours, "aten::conv2d").flops == event(theirs, "aten::conv2d").flops == 2 * 6 * 5 * 28 * 28 * 9
    # PyTorch counts a linear layer's FLOPs on the addmm it runs
    assert event(ours, "aten::linear").flops == event(theirs, "aten::addmm").flops
    table = ours.key_averages().table(sort_by="cpu_time_total")
    assert "Total KFLOPs" in table


def test_table_layout_is_pytorchs():
    torch = pytest.importorskip("torch")

    _, ours = _training_names(torchless, tnn, torchless.profiler)
    _, theirs = _training_names(torch, torch.nn, torch.profiler)
    mine = ours.key_averages().table(sort_by="self_cpu_time_total", row_limit=5).splitlines()
    reference = theirs.key_averages().table(sort_by="self_cpu_time_total", row_limit=5).splitlines()
    assert mine[:3] == reference[:3]  # rule, headers, rule
    assert len(mine) == len(reference) == 3 + 5 + 2
    assert [len(line) for line in mine[3:8]] == [len(line) for line in reference[3:8]]
    assert mine[-1].startswith("Self CPU time total: ") and reference[-1].startswith("Self CPU time total: ")
    total = sum(event.self_cpu_time_total for event in ours.key_averages())
    assert abs(ours.events().self_cpu_time_total - total) <= 1e-6 * max(1.0, total)


@pytest.mark.parametrize("arguments", [dict(wait=1, warmup=1, active=2), dict(wait=2, warmup=1, active=3, repeat=2),
                                       dict(wait=0, warmup=2, active=1, repeat=1, skip_first=3),
                                       dict(wait=3, warmup=1, active=2, repeat=3, skip_first_wait=1)])
def test_schedule_matches_pytorchs(arguments):
    torch = pytest.importorskip("torch")

    ours = schedule(**arguments)
    theirs = torch.profiler.schedule(**arguments)
    assert [ours(step).name for step in range(30)] == [theirs(step).name for step in range(30)]


def test_schedule_errors_and_warnings_match_pytorchs():
    torch = pytest.importorskip("torch")

    for bad in (dict(wait=-1, warmup=1, active=1), dict(wait=0, warmup=1, active=0)):
        with pytest.raises(AssertionError) as theirs:
            torch.profiler.schedule(**bad)
        with pytest.raises(AssertionError) as ours:
            schedule(**bad)
        assert str(ours.value) == str(theirs.value)
    with pytest.warns(UserWarning, match="won't be using warmup"):
        schedule(wait=1, warmup=0, active=1)


def _scheduled_cycles(lib, nn, profiler, **options):
    lib.manual_seed(0)
    model = _cnn(nn)
    images = lib.randn(2, 1, 28, 28)
    cycles = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with profiler.profile(schedule=profiler.schedule(wait=1, warmup=1, active=2, repeat=2),
                              on_trace_ready=lambda prof: cycles.append(
                                  sorted(event.name for event in prof.events()
                                         if event.name.startswith("ProfilerStep"))),
                              **options) as prof:
            for _ in range(10):
                model(images).sum().backward()
                prof.step()
    return cycles, prof


def test_scheduled_profile_saves_as_pytorch_does():
    torch = pytest.importorskip("torch")

    ours, _ = _scheduled_cycles(torchless, tnn, torchless.profiler)
    theirs, _ = _scheduled_cycles(torch, torch.nn, torch.profiler)
    assert ours == theirs and len(ours) == 2


def test_scheduled_steps_are_numbered_in_the_trace(tmp_path):
    _, prof = _scheduled_cycles(torchless, tnn, torchless.profiler, acc_events=True)
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    steps = sorted(event["name"] for event in json.loads(path.read_text())["traceEvents"]
                   if event["name"].startswith("ProfilerStep"))
    assert steps == ["ProfilerStep#2", "ProfilerStep#3", "ProfilerStep#6", "ProfilerStep#7"]  # both cycles kept
    assert [event.key for event in prof.key_averages() if event.key.startswith("ProfilerStep")] == ["ProfilerStep*"]


def test_chrome_trace_and_tensorboard_handler(tmp_path):
    model = _cnn(tnn)
    images = torchless.randn(2, 1, 28, 28)
    with profile(record_shapes=True, on_trace_ready=tensorboard_trace_handler(str(tmp_path), "worker",
                                                                              use_gzip=True)) as prof:
        model(images)
    (written,) = tmp_path.iterdir()
    assert written.name.startswith("worker.") and written.name.endswith(".pt.trace.json.gz")
    events = json.loads(gzip.decompress(written.read_bytes()))["traceEvents"]
    convolutions = [event for event in events if event["name"] == "aten::conv2d"]
    assert len(convolutions) == 1 and convolutions[0]["args"]["Input Dims"][:2] == [[2, 1, 28, 28], [5, 1, 3, 3]]
    assert convolutions[0]["dur"] >= 0 and {event["ph"] for event in events} == {"X"}
    assert len(events) == len(prof.events())


def test_record_function_outside_a_profiler_and_as_decorator():
    @record_function("my_block")
    def block(x):
        return (x * 2).sum()

    assert block(torchless.ones(3)).item() == 6.0  # no profiler: nothing recorded, nothing fails
    with profile() as prof:
        block(torchless.ones(3))
        block(torchless.ones(3))
    averages = {event.key: event for event in prof.key_averages()}
    assert averages["my_block"].count == 2
    assert averages["aten::mul"].count == 2 and averages["aten::mul"].cpu_parent.name == "my_block"


def test_profiling_hook_is_removed_and_errors_end_their_events():
    before = sys.getprofile()
    with pytest.raises(RuntimeError), profile() as prof:
        torchless.nn.functional.conv2d(torchless.ones(1, 2, 4, 4), torchless.ones(3, 1, 3, 3))
    assert sys.getprofile() is before
    (failed,) = [event for event in prof.events() if event.name == "aten::conv2d"]
    assert failed.cpu_time_total >= 0


def test_nothing_is_recorded_with_the_profiler_off():
    with profile(schedule=schedule(wait=5, warmup=1, active=1)) as prof:
        torchless.ones(2).relu()
    with pytest.raises(AssertionError):
        prof.events()  # never recorded: PyTorch's error too
    with legacy.profile(enabled=False) as off:
        torchless.ones(2).relu()
    assert off.function_events is None


def test_legacy_profiler_prints_its_table():
    torch = pytest.importorskip("torch")

    def run(lib):
        lib.manual_seed(0)
        model = _cnn(lib.nn)
        with lib.autograd.profiler.profile(record_shapes=True) as prof:
            model(lib.randn(2, 1, 28, 28))
        return prof

    ours, theirs = run(torchless), run(torch)

    def headers(text):
        return [header.strip() for header in text.splitlines()[1].split("  ") if header.strip()]

    assert headers(str(ours)) == headers(str(theirs))  # Input Shapes included: shapes were recorded
    assert headers(ours.key_averages().table()) == headers(theirs.key_averages().table())
    assert {event.name for event in ours.function_events} <= {event.name for event in theirs.function_events}
    assert isinstance(ours.function_events, legacy.EventList)
    assert ours.self_cpu_time_total > 0


def test_profile_actions_are_pytorchs():
    torch = pytest.importorskip("torch")

    assert [action.name for action in ProfilerAction] == list(torch.profiler.ProfilerAction.__members__)
    assert {activity.name for activity in torchless.profiler.ProfilerActivity} == set(
        torch.profiler.ProfilerActivity.__members__)
    assert torchless.profiler.ProfilerActivity.CPU in torchless.profiler.supported_activities()
