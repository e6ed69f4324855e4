"""Differences from PyTorch 2.13 found by the twenty-second differential fuzz of the Tensor API, each compared with
torch.

* casts: a float64 tensor converts to uint8 through int64, wrapping values beyond 255 (also under to(memory_format=));
* printing: set_printoptions(edgeitems=0) names the size and summarises to "...".
"""
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _same_values(theirs, ours):
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---------------------------------------------------------------------------- casts
OUT_OF_RANGE_DOUBLES = [6067851765.7, 4.308515941154889e17, -300.5, 300.5, 1e10, float("nan"), float("inf"), -1e19,
                        3e9, -3e9, 70000.0, -70000.0, 2**31 + 0.5, 255.9, -0.9]


@pytest.mark.parametrize("convert", [
    lambda lib, x: x.to(lib.uint8),
    lambda lib, x: x.byte(),
    lambda lib, x: x.type(lib.uint8),
    lambda lib, x: x.to(lib.complex128).to(lib.uint8),
    lambda lib, x: lib.zeros(len(OUT_OF_RANGE_DOUBLES), dtype=lib.uint8).copy_(x),
    lambda lib, x: x.reshape(1, 3, 5, 1).to(lib.uint8, memory_format=lib.channels_last),
    lambda lib, x: x.float().to(lib.uint8),
    lambda lib, x: x.to(lib.int8),
], ids=["to", "byte", "type", "complex", "copy_", "channels_last", "float32", "int8"])
def test_double_to_uint8_wraps_through_int64(convert):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, ours = (convert(lib, lib.tensor(OUT_OF_RANGE_DOUBLES, dtype=lib.float64)) for lib in (torch, torchless))
    _same_values(theirs, ours)


# ---------------------------------------------------------------------------- printing
@pytest.fixture
def restore_printoptions():
    yield
    for lib in (torch, torchless):
        lib.set_printoptions(profile="default")


@pytest.mark.parametrize("make", [
    lambda lib: lib.arange(6.0).reshape(2, 3),
    lambda lib: lib.tensor(1.5, dtype=lib.float64),
    lambda lib: lib.arange(5, dtype=lib.int8),
    lambda lib: lib.ones(3, 2, 2, 1, dtype=lib.bool),
    lambda lib: lib.arange(2000.0),
    lambda lib: lib.arange(2000.0).reshape(2, 10, 100),
    lambda lib: lib.arange(12.0).reshape(3, 4) * (1 + 1j),
    lambda lib: lib.zeros(0, 3),
    lambda lib: lib.ones(3, requires_grad=True).sum(),
])
@pytest.mark.parametrize("options", [{"edgeitems": 0}, {"edgeitems": 0, "threshold": 0, "linewidth": 10},
                                     {"edgeitems": 0, "threshold": 1000, "profile": "full"}])
def test_printing_without_edge_items(restore_printoptions, make, options):
    reprs = []
    for lib in (torch, torchless):
        lib.set_printoptions(**options)
        reprs.append(repr(make(lib)).replace("torch.", "torchless."))
    assert reprs[1] == reprs[0]
