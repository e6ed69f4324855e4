"""Differences from PyTorch found by a fourth differential fuzz audit of the CNN core, each compared with torch.

* F.interpolate(mode='area') of a 5-D input ran its own copy of adaptive_avg_pool3d, whose backward took an empty
  output dimension that PyTorch's adaptive_avg_pool3d_backward refuses; of a 3-D or 4-D input, an output size
  beyond int64 failed in NumPy instead of adaptive_avg_pool*d's TypeError;
* dropout and its feature and alpha variants: PyTorch returns an input without elements as is and multiplies by
  a zero of the input's dtype when p == 1, both before its rank and dtype checks (torchless raised for integer,
  0-D and 1-D inputs); an unbatched dropout1d returns a new view even when nothing is dropped; alpha dropout of
  a bool input fails naming Long (its shifted noise is int64), not Bool;
* F.pad: reflection and replication padding refuse bool inputs (after the shape checks), while circular padding,
  slicing in PyTorch, takes a non-batch dimension of size 0;
* F.instance_norm of an input without elements: with the input's statistics, the running statistics repeated over
  the batch are viewed as (N, C) and their mean copied back, which fails for a running statistic of the wrong size.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import Raised, assert_same_outcome as _assert_same_outcome, outcome

torch = pytest.importorskip("torch")


def assert_same_outcome(fn):
    """As helpers.assert_same_outcome, warnings silenced (dropout2d/3d warn about ranks on both sides)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_same_outcome(fn, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- interpolate(mode='area'), 5-D
@pytest.mark.parametrize("shape, kwargs", [
    ((1, 2, 2, 4, 4), {"size": (0, 1, 1)}),
    ((0, 2, 2, 4, 4), {"scale_factor": 0.3, "recompute_scale_factor": True}),
    ((2, 1, 3, 4, 4), {"size": (2, 0, 3)}),
    ((2, 1, 3, 4, 5), {"size": (2, 3, 2)}),  # the ordinary case, through the same adaptive_avg_pool3d
    ((2, 1, 3, 4, 5), {"scale_factor": (0.5, 1.5, 0.7)}),
])
def test_area_interpolation_of_a_5d_input_is_adaptive_avg_pool3d(shape, kwargs):
    def call(lib):
        x = lib.tensor(np.linspace(-2, 3, int(np.prod(shape))).reshape(shape).astype(np.float32), requires_grad=True)
        y = lib.nn.functional.interpolate(x, mode="area", **kwargs)
        y.backward(lib.tensor(np.linspace(1, 2, y.numel()).reshape(tuple(y.shape)).astype(np.float32)))
        return y, x.grad

    assert_same_outcome(call)


@pytest.mark.parametrize("shape", [(1, 1, 2), (1, 1, 2, 2), (1, 1, 2, 2, 2)])
@pytest.mark.parametrize("kwargs", [{"scale_factor": -1e30}, {"scale_factor": 1e30}, {"size": 2 ** 63}])
def test_area_interpolation_to_a_size_beyond_int64(shape, kwargs):
    """adaptive_avg_pool*d's parser refuses it; PyTorch's message goes on with a C++ stack, which torchless leaves
    out."""
    expected, actual = (outcome(lambda: lib.nn.functional.interpolate(lib.zeros(*shape), mode="area", **kwargs))
                        for lib in (torch, torchless))
    assert actual.type == expected.type == "TypeError"
    assert expected.message.startswith(actual.message[:-1]) and actual.message.endswith('long long"')


# ---------------------------------------------------------------------------- dropout
DROPOUTS = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


@pytest.mark.parametrize("fn", DROPOUTS)
@pytest.mark.parametrize("shape", [(), (3,), (0,), (2, 3), (0, 3), (2, 3, 4), (1, 2, 0, 2, 1)])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
@pytest.mark.parametrize("p", [0.0, 1.0])
@pytest.mark.parametrize("inplace", [False, True])
def test_dropout_without_randomness(fn, shape, dtype, p, inplace):
    """p == 0 and p == 1 (and empty inputs, for any p) draw nothing: values, dtypes and errors compare exactly."""
    def call(lib):
        x = lib.ones(*shape, dtype=getattr(lib, dtype))
        y = getattr(lib.nn.functional, fn)(x, p, True, inplace=inplace)
        return y, x, lib.tensor(y is x)

    assert_same_outcome(call)
    if 0 in shape:
        assert_same_outcome(lambda lib: getattr(lib.nn.functional, fn)(lib.ones(*shape, dtype=getattr(lib, dtype)),
                                                                       0.5, True, inplace=inplace))


@pytest.mark.parametrize("fn", DROPOUTS)
@pytest.mark.parametrize("dtype", ["int64", "bool"])
@pytest.mark.parametrize("inplace", [False, True])
def test_dropout_of_an_integer_input_fails_naming_the_noise_dtype(fn, dtype, inplace):
    shape = (2, 3, 2, 2, 2) if fn == "dropout3d" else (2, 3, 4)
    assert_same_outcome(lambda lib: getattr(lib.nn.functional, fn)(lib.ones(*shape, dtype=getattr(lib, dtype)), 0.5,
                                                                   True, inplace=inplace))


@pytest.mark.parametrize("training, p", [(False, 0.5), (True, 0.0)])
def test_unbatched_dropout1d_returns_a_view(training, p):
    def call(lib):
        x = lib.ones(2, 3, requires_grad=True)
        y = lib.nn.functional.dropout1d(x, p, training)
        return y is x, y.grad_fn.name()

    assert call(torchless) == call(torch)


@pytest.mark.parametrize("name", ["Dropout1d", "Dropout2d", "Dropout3d", "FeatureAlphaDropout"])
def test_feature_dropout_modules_of_p_one_take_any_rank(name):
    def call(lib):
        x = lib.arange(6.0).reshape(2, 3) if name == "Dropout1d" else lib.tensor(3.0)
        return getattr(lib.nn, name)(1.0)(x)

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- pad
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, pad", [
    ((2, 4), (1, 1)), ((0, 2, 4), (1, 1)), ((1, 2, 4), (5, 5)), ((1, 2, 4), (-2, -2)), ((2, 3, 4), (-1, -1)),
    ((2, 4, 4), (1, 1, 1, 1)), ((0, 2, 4, 4), (1, 1, 1, 1)), ((0, 2, 4, 4, 4), (1, 1, 1, 1, 1, 1)),
])
def test_reflection_and_replication_padding_refuse_bool_inputs(mode, shape, pad):
    assert_same_outcome(lambda lib: lib.nn.functional.pad(lib.ones(*shape, dtype=lib.bool), pad, mode=mode))


@pytest.mark.parametrize("name, args", [("ReflectionPad1d", (1,)), ("ReplicationPad2d", (1,)),
                                        ("ReplicationPad3d", (1,)), ("CircularPad1d", (1,))])
def test_padding_modules_of_bool_inputs(name, args):
    assert_same_outcome(lambda lib: getattr(lib.nn, name)(*args)(lib.ones(1, 2, 3, 3, 3, dtype=lib.bool)[0]))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, pad", [((1, 0, 4), (1, 1)), ((2, 0, 4, 4), (1, 1, 1, 1)), ((2, 3, 0), (0, 0)),
                                        ((2, 3, 0), (-1, 0)), ((2, 0), (1, 1)), ((0, 0, 3), (1, 2))])
def test_padding_of_empty_dimensions(mode, shape, pad):
    """Circular padding slices and copies: no check of empty dimensions, unlike the other modes' kernels."""
    def call(lib):
        x = lib.ones(*shape, requires_grad=True)
        y = lib.nn.functional.pad(x, pad, mode=mode)
        y.sum().backward()
        return y, x.grad

    assert_same_outcome(call)


# ---------------------------------------------------------------------------- instance_norm of empty inputs
@pytest.mark.parametrize("shape", [(0, 3, 2), (1, 0, 4), (2, 0, 4), (1, 3, 0), (0, 2, 4), (0, 1, 3), (1, 1, 0)])
@pytest.mark.parametrize("given", ["both", "running_mean", "running_var"])
@pytest.mark.parametrize("size", [1, 2, 3])
@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm_of_an_empty_input_with_running_statistics(shape, given, size, use_input_stats):
    def call(lib):
        running_mean = lib.zeros(size) if given != "running_var" else None
        running_var = lib.ones(size) if given != "running_mean" else None
        out = lib.nn.functional.instance_norm(lib.ones(*shape), running_mean, running_var,
                                              use_input_stats=use_input_stats)
        return (out,) + tuple(t for t in (running_mean, running_var) if t is not None)

    assert_same_outcome(call)


def test_instance_norm_module_on_an_unbatched_input_without_channels():
    """InstanceNorm1d(4) reads (0, 4) as 0 channels of length 4: the running statistics cannot be viewed as (1, 0)."""
    def call(lib):
        module = lib.nn.InstanceNorm1d(4, track_running_stats=True)
        return module(lib.ones(0, 4))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # num_features not matching, on both sides
        expected, actual = outcome(lambda: call(torch)), outcome(lambda: call(torchless))
    assert isinstance(expected, Raised)
    assert actual == expected
