"""Differences from PyTorch in the errors of the CNN layers, found by a differential fuzz of bad arguments and
inputs, each compared with torch (type and message):

* max_pool1d / max_pool2d (and their with_indices forms) parse as PyTorch's native parser: every argument's
  type is checked first (a sequence by its first element, ceil_mode as a bool), then the int lists are
  unpacked from the last to the first, so a later non-int in two of them is reported for the last one.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import assert_same_outcome as _assert_same_outcome

torch = pytest.importorskip("torch")


def assert_same_outcome(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_same_outcome(fn, rtol=1e-5, atol=1e-6)


def F(lib):
    return lib.nn.functional


def _x(lib, *shape, dtype="float32"):
    return lib.tensor(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape).astype(dtype))


# ---------------------------------------------------------------------------- max pooling's int lists
@pytest.mark.parametrize("spatial", [1, 2])
@pytest.mark.parametrize("return_indices", [False, True])
@pytest.mark.parametrize("kwargs", [
    {"kernel_size": (2, 2.0), "stride": (2, 2.0)}, {"kernel_size": (2, 2.0), "padding": (0, 1.0)},
    {"kernel_size": (2, 2.0), "dilation": (1, 1.0)}, {"kernel_size": 2, "stride": (2, 2.0), "padding": (0, 1.0)},
    {"kernel_size": 2, "padding": (0, 1.0), "dilation": (1, "a")}, {"kernel_size": (2, 2.0), "stride": (2.0, 2)},
    {"kernel_size": (2, 2.0), "ceil_mode": 1}, {"kernel_size": (2, 2.0), "padding": None},
    {"kernel_size": (2, 2.0), "stride": None}, {"kernel_size": (2, 2.0), "stride": []},
])
def test_max_pool_checks_types_then_unpacks_last_first(spatial, return_indices, kwargs):
    pool = f"max_pool{spatial}d"
    assert_same_outcome(lambda lib: getattr(F(lib), pool)(_x(lib, 2, 3, *(8,) * spatial),
                                                          return_indices=return_indices, **kwargs))
    if return_indices:  # positionally, too
        args = [kwargs.get(k, d) for k, d in (("kernel_size", 2), ("stride", None), ("padding", 0), ("dilation", 1))]
        assert_same_outcome(lambda lib: getattr(F(lib), pool)(_x(lib, 2, 3, *(8,) * spatial), *args))


def test_max_pool_module_reports_the_stride():
    assert_same_outcome(lambda lib: lib.nn.MaxPool2d((2, 2.0), (2, 2.0))(_x(lib, 2, 3, 8, 8)))
