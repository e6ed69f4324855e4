"""Differences from PyTorch found by a fifth differential fuzz audit of the CNN surface, each compared with torch.

* F.avg_pool1d / F.avg_pool2d go through PyTorch's native argument parser: a bad argument is named with its
  position only when it was passed by position (lp_pool1d/2d and the AvgPool modules pass positionally, a
  user's keyword does not), a one-element sequence from the modules blames its element, and a missing or
  unexpected argument has the parser's message;
* adaptive_max_pool2d checks its input for empty non-batch dimensions before the length of output_size.
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


# ---------------------------------------------------------------------------- avg_pool1d/2d argument parsing
def _x(lib, spatial):
    return lib.tensor(np.linspace(-1, 1, 2 * 4 ** spatial).reshape((1, 2) + (4,) * spatial).astype(np.float32))


@pytest.mark.parametrize("spatial", [1, 2])
@pytest.mark.parametrize("args, kwargs", [
    ((2.0,), {}), ((), {"kernel_size": 2.0}), ((2, 2.0), {}), ((2,), {"stride": 2.0}), ((2, 2, None), {}),
    ((2,), {"padding": None}), ((2, 2, 0, 1), {}), ((2,), {"ceil_mode": 1}), ((2, 2, 0, False, None), {}),
    ((2,), {"count_include_pad": None}), (((2, 2.0),), {}), ((2, (2, 2.0)), {}), ((), {}), ((2,), {"foo": 1}),
    ((2, 2, 0, False, True, None, 5, 6), {}), ((2, None), {}), ((2, ()), {}), (((),), {}), ((True,), {}),
    ((2,), {"self": 1}), ((2,), {"divisor_override": 2.5}), ((2, 2, 0, False, True, 2.5), {}),
    ((2,), {"divisor_override": 3}),
])
def test_avg_pool_arguments_as_the_native_parser_reads_them(spatial, args, kwargs):
    assert_same_outcome(lambda lib: getattr(F(lib), f"avg_pool{spatial}d")(_x(lib, spatial), *args, **kwargs))


def test_avg_pool_by_keyword_only():
    assert_same_outcome(lambda lib: F(lib).avg_pool2d(input=_x(lib, 2), kernel_size=2, stride=1))
    assert_same_outcome(lambda lib: F(lib).avg_pool2d(kernel_size=2))
    assert_same_outcome(lambda lib: F(lib).avg_pool1d(1.0, 2))


@pytest.mark.parametrize("spatial", [1, 2])
@pytest.mark.parametrize("stride", [2.0, (2, 2.0), None, 1])
@pytest.mark.parametrize("ceil_mode", [False, 1])
def test_lp_pool_passes_avg_pool_its_arguments_by_position(spatial, stride, ceil_mode):
    def call(lib):
        x = _x(lib, spatial).abs().requires_grad_(True)
        y = getattr(F(lib), f"lp_pool{spatial}d")(x, 2, 2, stride, ceil_mode)
        y.sum().backward()
        return y, x.grad

    assert_same_outcome(call)


@pytest.mark.parametrize("spatial", [1, 2])
@pytest.mark.parametrize("kwargs", [{"stride": 2.0}, {"divisor_override": 2.5}, {"padding": 1.0},
                                    {"kernel_size": 2.0}, {"stride": 1, "padding": 1, "ceil_mode": True}])
def test_avg_pool_modules_pass_their_arguments_by_position(spatial, kwargs):
    if spatial == 1 and "divisor_override" in kwargs:
        pytest.skip("AvgPool1d has no divisor_override")
    kwargs = {"kernel_size": 2, **kwargs}
    assert_same_outcome(lambda lib: getattr(lib.nn, f"AvgPool{spatial}d")(**kwargs)(_x(lib, spatial)))


# ---------------------------------------------------------------------------- adaptive_max_pool2d check order
@pytest.mark.parametrize("shape", [(1, 0, 4, 4), (2, 3, 4, 0), (0, 4, 4), (3, 4, 0)])
@pytest.mark.parametrize("output_size", [(2, 2, 2), (2,), 2])
def test_adaptive_max_pool2d_checks_empty_dims_before_output_size_length(shape, output_size):
    assert_same_outcome(lambda lib: F(lib).adaptive_max_pool2d(lib.ones(*shape), output_size))
