"""The lead's own fixes of session 29, each compared with PyTorch at run time."""
import pytest

import torchless
from torchless.autograd import grad_mode

torch = pytest.importorskip("torch")


def _multithreading_states(lib, is_enabled):
    """The switch's state after each use of set_multithreading_enabled: as a call, inside and after a block, in and
    after a decorated function."""
    switch = lib.autograd.set_multithreading_enabled
    states = []
    switch(False)
    states.append(is_enabled())
    with switch(True):
        states.append(is_enabled())
    states.append(is_enabled())

    @switch(False)
    def decorated():
        return is_enabled()

    states += [is_enabled(), decorated(), is_enabled()]
    switch(True)
    return states


def test_set_multithreading_enabled_switches_as_pytorchs():
    expected = _multithreading_states(torch, torch._C._is_multithreading_enabled)
    assert _multithreading_states(torchless, lambda: grad_mode.state.multithreading) == expected
    assert "set_multithreading_enabled" in torchless.autograd.__all__
