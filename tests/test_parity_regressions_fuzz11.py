"""Differences from PyTorch in the CNN layers and the Module API found by an eleventh differential fuzz (padding
modes, poolings, functional checks, state_dict and container behaviour), each compared with torch:

* Module.to takes complex dtypes as PyTorch's does (with its warning that complex modules are a new feature):
  floating-point and complex parameters and buffers take the dtype, integer ones stay; it refused them.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome as _assert_same_outcome

torch = pytest.importorskip("torch")


def assert_same_outcome(fn, rtol=1e-5, atol=1e-6):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_same_outcome(fn, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------- Module.to
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("memory_format", [None, "channels_last"])
def test_module_to_complex_dtype(dtype, memory_format):
    def run(lib):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Conv2d(2, 3, 1), lib.nn.BatchNorm2d(3), lib.nn.Flatten(), lib.nn.Linear(3, 2))
        kwargs = {} if memory_format is None else {"memory_format": getattr(lib, memory_format)}
        with pytest.warns(UserWarning, match="Complex modules are a new feature"):
            model.to(getattr(lib, dtype), **kwargs)
        return tuple(model.state_dict().values())

    expected, actual = run(torch), run(torchless)
    assert [str(t.dtype) for t in actual] == [str(t.dtype).replace("torch.", "torchless.") for t in expected]
    for ours, theirs in zip(actual, expected):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_module_to_complex_and_back():
    def run(lib):
        lib.manual_seed(0)
        model = lib.nn.Linear(3, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.to(lib.complex64)
            y = model(lib.ones(1, 3, dtype=lib.complex64))
            model.to(lib.float64)
        return (y.real, model.weight)

    assert_same_outcome(run)
