"""Regressions found while merging the 31st session's helpers, each compared with PyTorch at run time."""
import warnings

import pytest

import torchless

torch = pytest.importorskip("torch")


def mkldnn_flags_story(lib):
    """What a seeding recipe sees of torch.backends.mkldnn's flags: set_flags' returned originals, the values inside
    and after a flags() block."""
    mkldnn = lib.backends.mkldnn
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (PyTorch's note that TF32 on oneDNN needs an Intel GPU)
        original = mkldnn.set_flags(False, True)
        seen.append((original, mkldnn.enabled, mkldnn.deterministic))
        with mkldnn.flags(enabled=True, deterministic=False):
            seen.append((mkldnn.enabled, mkldnn.deterministic))
        seen.append((mkldnn.enabled, mkldnn.deterministic))
        mkldnn.set_flags(*original)
        seen.append((mkldnn.enabled, mkldnn.deterministic))
    return seen


def test_mkldnn_flags_are_set_and_restored_as_pytorchs():
    assert mkldnn_flags_story(torchless) == mkldnn_flags_story(torch)


def backward_event_names(lib):
    a = lib.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    loss = sum(out.sum() for out in lib.linalg.lu(a))
    with lib.profiler.profile() as prof:
        loss.backward()
    return [event.name for event in prof.events() if "Backward" in event.name]


def test_profiler_events_keep_their_start_order_when_the_clock_stands_still(monkeypatch):
    """The recorder's clock, less the profiling hook's estimated cost, can stand still over several events (CI's
    loaded machine once estimated that cost high): its events still list parents before children, in PyTorch's
    order."""
    from torchless.autograd import _recording

    expected = backward_event_names(torch)
    monkeypatch.setattr(_recording.Recorder, "_now_us", lambda self: 0.0)
    assert backward_event_names(torchless) == expected
