"""Regression tests of autograd23, each against PyTorch: saved_tensors_hooks and disable_saved_tensors_hooks are
per thread."""
import threading

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _error(fn):
    try:
        fn()
    except Exception as error:  # (the tests compare the type and message with PyTorch's)
        return type(error).__name__, str(error)
    return None


def _in_thread(fn):
    """What ``fn()`` returns (or the error it raises) when run in a new thread."""
    outcome = {}

    def run():
        outcome["value"] = _error(fn) or fn.__name__

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    return outcome["value"]


def _hooks_entered_in_another_thread(lib):
    """The threads whose recording pack_hook saw: hooks entered in one thread leave the other's alone."""
    x = lib.ones(3, requires_grad=True)
    seen = []

    def pack(tensor):
        seen.append(threading.current_thread() is threading.main_thread())
        return tensor

    def record_elsewhere():
        (x * x).exp()

    with lib.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        _in_thread(record_elsewhere)
        x * x
    return seen


def _hooks_entered_by_a_worker(lib):
    x = lib.ones(3, requires_grad=True)
    seen = []

    def record_in_worker():
        with lib.autograd.graph.saved_tensors_hooks(lambda t: seen.append("packed") or t, lambda t: t):
            y = x * x
        (x * x).sum().backward()
        y.sum().backward()

    _in_thread(record_in_worker)
    x * x  # (the main thread has no hooks)
    return seen, x.grad.tolist()


def _disabled_in_another_thread(lib):
    def enter_hooks():
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            pass

    with lib.autograd.graph.disable_saved_tensors_hooks("off in the main thread"):
        return _in_thread(enter_hooks), _error(enter_hooks)


@pytest.mark.parametrize("case", [_hooks_entered_in_another_thread, _hooks_entered_by_a_worker,
                                  _disabled_in_another_thread])
def test_saved_tensors_hooks_are_per_thread(case):
    assert case(torchless) == case(torch)


def _disable_not_a_string(lib, message):
    def enter():
        with lib.autograd.graph.disable_saved_tensors_hooks(message):
            pass

    def hooks_after():
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            pass

    def hooks_inside():
        with lib.autograd.graph.disable_saved_tensors_hooks(message):
            hooks_after()

    return _error(enter), _error(hooks_after), _error(hooks_inside)


@pytest.mark.parametrize("message", [3, None, b"bytes", np.str_("numpy text")])
def test_disable_saved_tensors_hooks_wants_a_string(message):
    assert _disable_not_a_string(torchless, message) == _disable_not_a_string(torch, message)


def _disable_as_decorator(lib):
    @lib.autograd.graph.disable_saved_tensors_hooks("decorated")
    def enter_hooks():
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            pass

    return _error(enter_hooks), _error(lambda: lib.autograd.graph.saved_tensors_hooks(id, id).__enter__())


def _disable_restored_after_error(lib):
    def raising():
        with lib.autograd.graph.disable_saved_tensors_hooks("first"):
            raise ValueError("inside")

    raised = _error(raising)
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        entered = _error(lambda: lib.autograd.graph.disable_saved_tensors_hooks("inside hooks").__enter__())
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):  # (the failed disable left no trace)
        pass
    return raised, entered


@pytest.mark.parametrize("case", [_disable_as_decorator, _disable_restored_after_error])
def test_disable_saved_tensors_hooks_as_pytorch(case):
    try:
        assert case(torchless) == case(torch)
    finally:
        for lib in (torchless, torch):  # (a hooks context entered by hand above, left on the stack)
            while _error(lambda: lib.autograd.graph.saved_tensors_hooks(id, id).__exit__(None, None, None)) is None:
                pass


def test_disable_saved_tensors_hooks_is_a_function_as_pytorch():
    ours, theirs = torchless.autograd.graph.disable_saved_tensors_hooks, torch.autograd.graph.disable_saved_tensors_hooks
    assert type(ours).__name__ == type(theirs).__name__
    assert type(ours("m")).__name__ == type(theirs("m")).__name__
