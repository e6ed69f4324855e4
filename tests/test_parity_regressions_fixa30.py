"""Parity regressions (session 30, fixa30): indexing keys of several Ellipses or empty index tensors, strides of
size-1 dims, storage offsets of empty views, nansum into an integer dtype, norm over repeated empty dims, var's
overflow, all compared with PyTorch at run time."""
import math

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _outcome(lib, fn):
    """What ``fn(lib)`` gives, comparable across the two libraries: a value as a nested list with its shape and
    dtype name, or an exception's type name and message."""
    try:
        result = fn(lib)
    except Exception as error:  # noqa: BLE001 (the exception is what we compare)
        return type(error).__name__, str(error)
    if isinstance(result, (lib.Tensor,)):
        return "tensor", tuple(result.shape), str(result.dtype).split(".")[-1], result.tolist()
    return "value", result


def _same(fn):
    expected = _outcome(torch, fn)
    assert _outcome(torchless, fn) == expected


def _key(lib, parts):
    """A key whose ("bool", ...) and ("long", ...) parts become tensors of ``lib``."""
    def part(p):
        if isinstance(p, tuple):
            return lib.tensor(list(p[1:]), dtype=getattr(lib, p[0]))
        return p
    return tuple(part(p) for p in parts)


def _read_and_write(shape, parts):
    def read(lib):
        return lib.arange(float(math.prod(shape))).reshape(shape)[_key(lib, parts)]

    def write(lib):
        x = lib.arange(float(math.prod(shape))).reshape(shape)
        x[_key(lib, parts)] = -1.0
        return x
    _same(read)
    _same(write)


@pytest.mark.parametrize("shape, parts", [
    ((3, 2, 1), (..., 7, ..., ("bool", False, True, True))),
    ((3, 2, 1), (..., -3, ..., ("bool", False, True, True))),
    ((3, 2, 1), (..., 1, ..., ("bool", False, True, True))),
    ((2, 3), (..., 5, ...)),
    ((2, 3), (..., -4, ..., None)),
    ((2, 3), (None, ..., 2, ...)),
    ((2, 3, 4), (..., ("bool", True, False, True), ..., 9)),
    ((2, 3, 4), (1, ..., ..., 3)),
    ((2, 3, 4), (1, ..., ..., 4)),
    ((0, 2), (..., 0, ...)),
])
def test_several_ellipses_check_each_int_in_its_dim(shape, parts):
    _read_and_write(shape, parts)


@pytest.mark.parametrize("shape, parts", [
    ((0, 0), (("bool",), None, [0])),
    ((0, 0), (("bool",), [0])),
    ((0, 0), (("bool",), None, [5])),
    ((0, 0), (("long",), None, [0])),
    ((0, 0), (("long",), [3])),
    ((0, 0), (slice(None), None, [0])),
    ((0, 2), (("bool",), [1, 0])),
    ((2, 0), (("bool", False, False), [0])),
    ((2, 0), (("bool", True, False), [0])),
    ((0, 0, 2), (("bool",), ..., [2])),
])
def test_empty_index_broadcast_reads_no_index(shape, parts):
    _read_and_write(shape, parts)
