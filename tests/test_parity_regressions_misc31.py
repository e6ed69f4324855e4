"""Parity regressions found in session 31's last sweep (misc31): each compared with PyTorch at run time."""
import re

import pytest

import torchless

torch = pytest.importorskip("torch")


def _error(call, library):
    """(type name, message with torchless's name spelt as PyTorch's) of the error ``call(library)`` raises."""
    with pytest.raises(Exception) as caught:
        call(library)
    return type(caught.value).__name__, str(caught.value).replace("torchless", "torch")


@pytest.mark.parametrize("make", [lambda lib: lib.Generator(), lambda lib: lib.manual_seed(0)])
def test_generator_prints_as_the_compiled_class(make):
    def shown(library):
        return re.sub(r"0x[0-9a-f]+", "0x", repr(make(library))).replace("torchless", "torch")
    assert shown(torchless) == shown(torch)
