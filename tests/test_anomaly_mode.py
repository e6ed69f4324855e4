"""Anomaly detection (torch.autograd.detect_anomaly / set_detect_anomaly) against PyTorch's."""
import warnings

import numpy as np
import pytest

import torchless
from helpers import outcome


def _backward_of_x_over_x(lib, mode):
    """x / x at x = [0, 1]: the gradient for the divisor is NaN at 0 (the numerator's is inf, not NaN)."""
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    with mode(lib):
        (x / x).sum().backward()
    return x.grad.numpy().tolist()


MODES = {
    "detect_anomaly": lambda lib: lib.autograd.detect_anomaly(),
    "set_detect_anomaly": lambda lib: lib.autograd.set_detect_anomaly(True),
    "without check_nan": lambda lib: lib.autograd.detect_anomaly(check_nan=False),
    "switched off": lambda lib: lib.autograd.set_detect_anomaly(False),
}


@pytest.mark.parametrize("mode", MODES)
def test_nan_gradients_raise_as_in_torch(mode):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = outcome(lambda: _backward_of_x_over_x(torch, MODES[mode]))
        actual = outcome(lambda: _backward_of_x_over_x(torchless, MODES[mode]))
    if isinstance(expected, list):
        np.testing.assert_array_equal(actual, expected)
    else:
        assert actual == expected


def test_the_switches_report_and_restore_the_mode_as_in_torch():
    torch = pytest.importorskip("torch")

    def states(lib):
        seen = [(lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled())]
        with lib.autograd.set_detect_anomaly(True, check_nan=False):
            seen.append((lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()))
        seen.append((lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()))
        lib.autograd.set_detect_anomaly(True)  # called, not entered: on until switched off
        seen.append(lib.is_anomaly_enabled())
        lib.autograd.set_detect_anomaly(False)
        seen.append(lib.is_anomaly_enabled())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly():
                seen.append(lib.is_anomaly_enabled())
        seen.append(lib.is_anomaly_enabled())
        return seen

    assert states(torchless) == states(torch)


def test_detect_anomaly_warns_as_torch_does():
    torch = pytest.importorskip("torch")
    messages = []
    for lib in (torch, torchless):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with lib.autograd.detect_anomaly():
                pass
        messages.append([(w.category, str(w.message)) for w in caught])
    assert messages[1] == messages[0]


def test_a_failing_backward_names_its_node_and_the_forward_line():
    """The warning before the error points at the forward call that made the failing node."""
    x = torchless.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with torchless.autograd.detect_anomaly():
            y = (x / x).sum()  # the forward call the warning must show
            with pytest.raises(RuntimeError, match="returned nan values in its 1th output"):
                y.backward()
    detected = [str(w.message) for w in caught if "Error detected in" in str(w.message)]
    assert len(detected) == 1
    assert detected[0].startswith("Error detected in DivBackward0. Traceback of forward call that caused the error:")
    assert "y = (x / x).sum()  # the forward call the warning must show" in detected[0]


def test_finite_gradients_are_unchanged_under_anomaly_detection():
    x = torchless.tensor([0.5, 2.0], requires_grad=True, dtype=torchless.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torchless.autograd.detect_anomaly():
            (x.log() * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.log([0.5, 2.0]) + 1)
