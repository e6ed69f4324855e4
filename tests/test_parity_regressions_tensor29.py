"""Parity regressions found by tensor29 (session 29): the print options held in ``torch._tensor_str.PRINT_OPTS``
(read by get_printoptions, changed for a block by printoptions)."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(lib, statement):
    """Run ``statement`` (binding ``r``) with ``torch`` bound to ``lib``, the print options reset afterwards: the
    error's type and message, or r's repr with the library's name read as torch's."""
    scope = {"torch": lib, "np": np}
    try:
        exec(statement, scope)
    except Exception as exc:  # noqa: BLE001 - compared with PyTorch's
        return type(exc).__name__, str(exc).replace("torchless", "torch")
    finally:
        lib.set_printoptions(profile="default")
    return repr(scope["r"]).replace("torchless", "torch")


def _same_as_torch(statement):
    assert _outcome(torchless, statement) == _outcome(torch, statement)


PRINT_OPTIONS = [
    "r = torch._tensor_str.PRINT_OPTS",
    "torch.set_printoptions(profile='full'); r = torch._tensor_str.PRINT_OPTS.threshold",
    "torch.set_printoptions(precision=2, linewidth=50, sci_mode=True); r = torch._tensor_str.get_printoptions()",
    "torch.set_printoptions(profile='short'); r = torch._tensor_str.get_printoptions()",
    # the options of a block, and those before it back afterwards
    "with torch._tensor_str.printoptions(precision=2):\n"
    "    inside = repr(torch.tensor([1.123456]))\n"
    "r = inside, repr(torch.tensor([1.123456])), torch._tensor_str.get_printoptions()",
    "torch.set_printoptions(precision=2, sci_mode=True)\n"
    "with torch._tensor_str.printoptions(linewidth=30, edgeitems=1, threshold=3):\n"
    "    inside = repr(torch.arange(10.))\n"
    "r = inside, repr(torch.arange(10.)), torch._tensor_str.get_printoptions()",
    # the object is the one the printing reads
    "torch._tensor_str.PRINT_OPTS.precision = 1; r = repr(torch.tensor([1.26, 3.0]))",
    "torch._tensor_str.PRINT_OPTS.sci_mode = True; r = repr(torch.tensor([1.26, 3.0]))",
]


@pytest.mark.parametrize("statement", PRINT_OPTIONS)
def test_print_options_object_as_pytorch(statement):
    _same_as_torch(statement)
