"""Differences from PyTorch in the CNN layers and the Module API found by an eleventh differential fuzz (padding
modes, poolings, functional checks, state_dict and container behaviour), each compared with torch:

* Module.to takes complex dtypes as PyTorch's does (with its warning that complex modules are a new feature):
  floating-point and complex parameters and buffers take the dtype, integer ones stay; it refused them;
* the CNN kernels' outputs are laid out as PyTorch's allocate them, C-contiguous or in the channels-last format
  the input suggests, whatever the input's layout: batch norm (train and eval), 1-D to 3-D max, average, power and
  adaptive pooling (a 1-D one as its 2-D kernel sees the input, unsqueezed; adaptive 3-D ones always C-contiguous)
  and padding of a transposed input, where torchless kept NumPy's order of the input (so ``.view`` of the output
  failed) and adaptive max pooling gave an order of NumPy's fancy indexing even for a contiguous input; a constant
  padding that only crops is PyTorch's clone of a narrowed view, in that view's layout (it was C-contiguous);
  instance norm (of input.contiguous() in PyTorch) and group norm of an unbatched input are C-contiguous, channel
  and pixel (un)shuffling keep a channels-last input's format, 'area' interpolation lays out as its adaptive
  pooling does (C-contiguous in 3-D, where it was channels-last-3d);
* random fills (normal_, exponential_, log_normal_, geometric_, nn.init's normal fills) of an empty integer or
  bool tensor succeed, as PyTorch's kernels check the dtype only when they run; nn.init.sparse_ refuses an integer
  tensor as PyTorch's normal_ fill does.
"""
import warnings

import numpy as np
import pytest

import torchless
from helpers import Raised, outcome
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


# ---------------------------------------------------------------------------- output layouts of the CNN kernels
def _strides(t):
    """The strides of the dims of more than one element (those of size-1 dims do not matter to a layout)."""
    return tuple(s for s, n in zip(t.stride(), t.shape) if n > 1)


_LAYOUTS = {
    # a (N, L, C) sequence transposed to (N, C, L), as before a Conv1d or a BatchNorm1d
    "transposed_1d": lambda lib: lib.arange(48.).reshape(2, 6, 4).transpose(1, 2),
    "unbatched_transposed_1d": lambda lib: lib.arange(24.).reshape(6, 4).t(),
    "transposed_hw": lambda lib: lib.arange(240.).reshape(2, 4, 5, 6).transpose(2, 3),
    "batch_and_channels_swapped": lambda lib: lib.arange(240.).reshape(4, 2, 6, 5).transpose(0, 1),
    "channels_last": lambda lib: lib.arange(240.).reshape(2, 4, 6, 5).contiguous(memory_format=lib.channels_last),
    "transposed_3d": lambda lib: lib.arange(480.).reshape(2, 4, 3, 5, 4).transpose(3, 4),
    "channels_last_3d": lambda lib: lib.arange(480.).reshape(2, 4, 3, 4, 5).contiguous(
        memory_format=lib.channels_last_3d),
}


def _f(lib):
    return lib.nn.functional


_LAYERS = {
    "batch_norm": lambda lib, x: _f(lib).batch_norm(x, None, None, training=True),
    "batch_norm_eval": lambda lib, x: _f(lib).batch_norm(x, lib.zeros(x.shape[1]), lib.ones(x.shape[1])),
    "max_pool": lambda lib, x: getattr(_f(lib), f"max_pool{x.dim() - 2 or 1}d")(x, 2),
    "max_pool_indices": lambda lib, x: getattr(_f(lib), f"max_pool{x.dim() - 2 or 1}d")(x, 2, return_indices=True),
    "avg_pool": lambda lib, x: getattr(_f(lib), f"avg_pool{x.dim() - 2 or 1}d")(x, 2),
    "lp_pool": lambda lib, x: getattr(_f(lib), f"lp_pool{x.dim() - 2 or 1}d")(x, 2, 2),
    "adaptive_avg_pool": lambda lib, x: getattr(_f(lib), f"adaptive_avg_pool{x.dim() - 2 or 1}d")(x, 2),
    "adaptive_max_pool": lambda lib, x: getattr(_f(lib), f"adaptive_max_pool{x.dim() - 2 or 1}d")(x, 3, True),
    "pad": lambda lib, x: _f(lib).pad(x, (1, 2)),
    "pad_crop": lambda lib, x: _f(lib).pad(x, (-1, 0)),
    "pad_nothing": lambda lib, x: _f(lib).pad(x, (0, 0)),
    "reflection_pad": lambda lib, x: _f(lib).pad(x, (1, 2), mode="reflect"),
    "instance_norm_affine": lambda lib, x: _f(lib).instance_norm(
        x, lib.zeros(x.shape[1]), lib.ones(x.shape[1]), lib.ones(x.shape[1]), lib.zeros(x.shape[1])),
    "group_norm": lambda lib, x: _f(lib).group_norm(x, 2, lib.ones(x.shape[1]), lib.zeros(x.shape[1])),
    "channel_shuffle": lambda lib, x: _f(lib).channel_shuffle(x, 2),
    "pixel_shuffle_1": lambda lib, x: _f(lib).pixel_shuffle(x, 1),
    "pixel_unshuffle_1": lambda lib, x: _f(lib).pixel_unshuffle(x, 1),
    "area": lambda lib, x: _f(lib).interpolate(x, size=(3,) * (x.dim() - 2 or 1), mode="area"),
}


@pytest.mark.parametrize("layout", list(_LAYOUTS))
@pytest.mark.parametrize("layer", list(_LAYERS))
@pytest.mark.parametrize("requires_grad", [False, True])
def test_output_layout_of_cnn_layers(layout, layer, requires_grad):
    """PyTorch's kernels allocate their output C-contiguous or in the channels-last format the input suggests (a
    1-D pooling as its 2-D kernel sees the input, unsqueezed); torchless followed NumPy, which keeps a transposed
    input's order (so that ``.view`` of the output failed where PyTorch's works) or, for adaptive max pooling, an
    order of its fancy indexing. A constant padding that only crops is a clone of a view: in that view's layout."""
    def run(lib):
        x = _LAYOUTS[layout](lib).requires_grad_(requires_grad)
        out = _LAYERS[layer](lib, x)
        return tuple(_strides(t) for t in (out if isinstance(out, tuple) else (out,)))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = outcome(lambda: run(torch))
        actual = outcome(lambda: run(torchless))
    if isinstance(expected, Raised):
        assert isinstance(actual, Raised) and actual.type == expected.type
    else:
        assert actual == expected


def test_view_after_adaptive_max_pool():
    """The common flatten of a pooled feature map by ``view``: adaptive max pooling's output is C-contiguous."""
    def run(lib):
        x = lib.tensor(np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32))
        return lib.nn.AdaptiveMaxPool2d(3)(x).view(2, -1)

    assert_same_outcome(run)


def test_view_after_batch_norm_of_transposed_sequence():
    def run(lib):
        lib.manual_seed(0)
        x = lib.tensor(np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32))
        return lib.nn.BatchNorm1d(3)(x.transpose(1, 2)).view(2, -1)

    assert_same_outcome(run)


# ---------------------------------------------------------------------------- random fills of empty and integer tensors
_FILLS = {
    "normal_": lambda lib, t: t.normal_(),
    "uniform_": lambda lib, t: t.uniform_(),
    "exponential_": lambda lib, t: t.exponential_(),
    "log_normal_": lambda lib, t: t.log_normal_(),
    "geometric_": lambda lib, t: t.geometric_(0.5),
    "init.normal_": lambda lib, t: lib.nn.init.normal_(t),
    "init.trunc_normal_": lambda lib, t: lib.nn.init.trunc_normal_(t),
    "init.xavier_normal_": lambda lib, t: lib.nn.init.xavier_normal_(t),
    "init.sparse_": lambda lib, t: lib.nn.init.sparse_(t, 0.5),
}


@pytest.mark.parametrize("fill", list(_FILLS))
@pytest.mark.parametrize("dtype", ["int64", "bool"])
@pytest.mark.parametrize("rows", [0, 3])
def test_random_fill_dtype_checks(fill, dtype, rows):
    """PyTorch's random kernels check the dtype when they run, which they do not on an empty tensor (uniform_
    checks it before); nn.init.sparse_ fills by normal_, so refuses an integer tensor (torchless filled it)."""
    def run(lib):
        lib.manual_seed(0)
        t = lib.zeros(rows, 3, dtype=getattr(lib, dtype))
        _FILLS[fill](lib, t)
        return t.shape

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, actual = outcome(lambda: run(torch)), outcome(lambda: run(torchless))
    if isinstance(expected, Raised):
        assert actual == (expected.type, expected.message)
    else:
        assert tuple(actual) == tuple(expected)
