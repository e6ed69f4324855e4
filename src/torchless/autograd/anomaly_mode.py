"""Anomaly detection: ``detect_anomaly`` and ``set_detect_anomaly``, as in ``torch.autograd``.

While it is on, every graph node keeps the stack of the forward call that made it, and backward
- raises ``RuntimeError("Function 'XBackward0' returned nan values in its i-th output.")`` when a
  node's gradient for its i-th input holds a NaN (with ``check_nan``), and
- before re-raising an error of a node's backward, warns with that node's forward stack,
so that the operation behind a NaN or a failure can be found. It slows every operation down.
"""
import os
import threading
import traceback
import warnings

import numpy as np


class _State(threading.local):
    enabled = False
    check_nan = True


state = _State()


def is_anomaly_enabled():
    """Whether anomaly detection is on (in this thread)."""
    return state.enabled


def is_anomaly_check_nan_enabled():
    """Whether anomaly detection also checks every gradient for NaN."""
    return state.check_nan


class _AnomalyMode:
    """Sets the mode on construction or on entering (subclasses choose), restores it on exit."""

    def _set(self, mode, check_nan):
        previous = state.enabled, state.check_nan
        set_anomaly_enabled(mode, check_nan)  # (PyTorch's call: its parser refuses what is no bool)
        self._previous = previous

    def __exit__(self, *exc):
        state.enabled, state.check_nan = self._previous


class detect_anomaly(_AnomalyMode):
    """Context manager turning anomaly detection on inside its block.

    Args:
        check_nan (bool): also raise when a backward node returns NaN. Default: True.
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)

    def __enter__(self):
        self._set(True, self.check_nan)


class set_detect_anomaly(_AnomalyMode):
    """Sets anomaly detection on or off: at once when called, and back to what it was at the end of a
    ``with`` block it opens.

    Args:
        mode (bool): on (True) or off (False).
        check_nan (bool): also raise when a backward node returns NaN. Default: True.
    """

    def __init__(self, mode, check_nan=True):
        self._set(mode, check_nan)

    def __enter__(self):
        pass


def set_anomaly_enabled(enabled, check_nan=True):
    """``torch.set_anomaly_enabled``: anomaly detection on or off from now on (no block to end it)."""
    for position, (name, value) in enumerate((("enabled", enabled), ("check_nan", check_nan)), start=1):
        if type(value) is not bool:
            from .._parser_errors import wrong_type

            raise wrong_type("set_anomaly_enabled", name, position, value, "bool")
    state.enabled, state.check_nan = enabled, check_nan


_PACKAGE_DIRECTORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_SCRIPT_RUNNER = os.path.join(_PACKAGE_DIRECTORY, "as_torch.py")
_WARNING_SOURCE = " (Triggered internally at /__w/pytorch/pytorch/torch/csrc/autograd/python_anomaly_mode.cpp:122.)"


def forward_stack():
    """The stack of the forward call making a node, to show if its backward fails: the Python frames PyTorch's
    traceback shows. The op's own frames stand for PyTorch's C++ code, which it does not show, and a script run
    through ``torchless.as_torch`` starts at its own first line, as when Python runs it."""
    frames = traceback.extract_stack()[:-2]
    runner = [index for index, frame in enumerate(frames) if frame.filename == _SCRIPT_RUNNER]
    if runner:
        frames = frames[runner[-1] + 1:]
    while frames and frames[-1].filename.startswith(_PACKAGE_DIRECTORY):
        frames.pop()
    return traceback.format_list(frames)


def check_gradients(node, gradients):
    """PyTorch's NaN check of one node's input gradients."""
    for index, gradient in enumerate(gradients):
        if gradient is not None and np.isnan(gradient).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {index}th output.")


def warn_failed(node):
    """The warning PyTorch gives before re-raising an error of ``node``'s backward: where its forward ran."""
    stack = getattr(node, "_forward_stack", None)
    if stack is not None:
        warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n"
                      + "".join(stack) + _WARNING_SOURCE, stacklevel=2)
