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
