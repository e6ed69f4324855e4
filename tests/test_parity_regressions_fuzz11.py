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
  tensor as PyTorch's normal_ fill does;
* instance norm runs batch norm's dtype checks on its running statistics as it converts them (both to the weight's
  or input's dtype when the running mean is of another), in batch norm's order, and updates them in that dtype
  before copying them back; a running mean without its variance fails in that conversion, before the size checks;
* a float64 3-D (transposed) convolution of a channels-last-3d input or weight gives a contiguous output, as
  PyTorch's slow 3-D kernels do (oneDNN has no double); torchless laid it out channels-last-3d;
* max_unpool2d lays its output out channels-last for channels-last values; unsqueeze gives the new axis PyTorch's
  stride (1 at the end, where NumPy's reshape repeated the previous axis' stride).
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
    "unbatched_transposed_3d": lambda lib: lib.arange(240.).reshape(4, 3, 5, 4).transpose(2, 3),
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


# ---------------------------------------------------------------------------- instance norm's dtype checks
@pytest.mark.parametrize("input_dtype", ["float32", "float64"])
@pytest.mark.parametrize("dtypes", [
    (None, "float32", None, None),  # a float32 bias before running statistics converted to a float64 input's dtype
    ("float32", None, "float32", "float16"),  # a running mean of the weight's dtype is not converted, nor its var
    ("float32", None, "float32", "float64"),
    ("float32", "float16", "float32", "float64"),  # in training, the running statistics are read first
    ("float32", "float64", "float32", "float16"),
    ("float32", "float64", "float64", "float16"),
])
@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm_parameter_dtypes(input_dtype, dtypes, use_input_stats):
    """Instance norm converts its running statistics to the weight's (or input's) dtype when the running mean is
    of another, then runs batch norm's dtype checks on them as converted: "mixed dtype (CPU): expect parameter to
    have scalar type of Float" for any non-float32 one once the first given parameter's dtype differs from the
    input's, else "expected scalar type ..." in the order batch norm reads them (running statistics first in
    training). torchless checked the statistics apart and in another order."""
    def run(lib):
        x = lib.tensor(np.random.default_rng(0).standard_normal((4, 3, 5)).astype(input_dtype))
        weight, bias, mean, var = (None if d is None else lib.full((3,), v, dtype=getattr(lib, d))
                                   for d, v in zip(dtypes, (1.5, 0.5, 0.1, 2.0)))
        if mean is None:
            mean, var = lib.zeros(3, dtype=getattr(lib, input_dtype)), lib.ones(3, dtype=getattr(lib, input_dtype))
        return lib.nn.functional.instance_norm(x, mean, var, weight, bias, use_input_stats=use_input_stats)

    assert_same_outcome(run)


def test_instance_norm_missing_running_var_fails_before_the_size_checks():
    assert_same_outcome(lambda lib: lib.nn.functional.instance_norm(
        lib.ones(4, 3, 5, dtype=lib.float64), lib.ones(4)))


def test_instance_norm_running_statistics_updated_in_the_converted_dtype():
    """PyTorch updates float16 running statistics of a float32 input converted to float32 (no weight here), then
    copies them back, rounded once (torchless computed in float16)."""
    def run(lib):
        x = lib.tensor(np.random.default_rng(0).standard_normal((4, 3, 5)).astype(np.float32))
        mean, var = lib.full((3,), 0.1, dtype=lib.float16), lib.full((3,), 2.0, dtype=lib.float16)
        lib.nn.functional.instance_norm(x, mean, var, momentum=0.3)
        return mean, var

    assert_same_outcome(run, rtol=0, atol=0)


# ---------------------------------------------------------------------------- float64 volumes convolved contiguous
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("channels_last", ["input", "weight"])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_conv3d_output_layout_by_dtype(dtype, transposed, channels_last, requires_grad):
    """PyTorch convolves float64 volumes with its slow 3-D kernels (oneDNN has no double): a channels-last-3d input
    or weight gives a contiguous output, where float32 gives a channels-last-3d one (torchless gave it for both)."""
    def run(lib):
        x = lib.tensor(np.random.default_rng(0).standard_normal((2, 4, 5, 5, 5)).astype(dtype))
        w = lib.tensor(np.random.default_rng(1).standard_normal((4, 4, 2, 2, 2)).astype(dtype))
        if channels_last == "input":
            x = x.contiguous(memory_format=lib.channels_last_3d)
        else:
            w = w.contiguous(memory_format=lib.channels_last_3d)
        x.requires_grad_(requires_grad)
        conv = lib.nn.functional.conv_transpose3d if transposed else lib.nn.functional.conv3d
        y = conv(x, w, stride=2 if transposed else 1)
        return y.is_contiguous(), y.is_contiguous(memory_format=lib.channels_last_3d), _strides(y)

    assert run(torchless) == run(torch)


# ---------------------------------------------------------------------------- max unpooling's layout, unsqueeze's stride
@pytest.mark.parametrize("layout", ["channels_last", "transposed"])
def test_max_unpool2d_output_layout(layout):
    """PyTorch's max_unpool2d lays its output out channels-last for values that suggest it (whatever the indices'
    layout), as its pooling does; torchless gave a contiguous output."""
    def run(lib):
        x = lib.tensor(np.random.default_rng(0).standard_normal((2, 4, 6, 6)).astype(np.float32))
        x = x.contiguous(memory_format=lib.channels_last) if layout == "channels_last" else x.transpose(2, 3)
        values, indices = lib.nn.functional.max_pool2d(x, 2, return_indices=True)
        out = lib.nn.functional.max_unpool2d(values, indices, 2)
        return out.stride(), out.numpy().tolist()

    assert run(torchless) == run(torch)


@pytest.mark.parametrize("dim", [0, 1, 2, 3, -1])
def test_unsqueeze_stride_of_the_new_axis(dim):
    """unsqueeze gives the new axis PyTorch's stride (that of the axis after it times its size, 1 at the end),
    which layout decisions read (a 1-D max unpooling of a transposed (N, L, C) sequence, run as 2-D over the
    input unsqueezed, came out channels-last); NumPy's reshape gave the last axis the stride of the one before."""
    def run(lib):
        x = lib.arange(24.).reshape(2, 3, 4).transpose(1, 2)
        return x.unsqueeze(dim).stride()

    assert run(torchless) == run(torch)


def test_max_unpool1d_of_a_transposed_sequence_is_contiguous():
    def run(lib):
        x = lib.tensor(np.random.default_rng(0).standard_normal((2, 6, 4)).astype(np.float32)).transpose(1, 2)
        values, indices = lib.nn.functional.max_pool1d(x, 2, return_indices=True)
        return lib.nn.functional.max_unpool1d(values, indices, 2).stride()

    assert run(torchless) == run(torch)


@pytest.mark.parametrize("kernel", [1, 2])
@pytest.mark.parametrize("return_indices", [False, True])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_max_pool3d_of_an_unbatched_transposed_volume_is_contiguous(kernel, return_indices, requires_grad):
    def run(lib):
        x = lib.tensor(np.random.default_rng(0).standard_normal((4, 3, 7, 6)).astype(np.float32)).transpose(2, 3)
        out = lib.nn.functional.max_pool3d(x.requires_grad_(requires_grad), kernel, return_indices=return_indices)
        return [_strides(t) for t in (out if return_indices else (out,))]

    assert run(torchless) == run(torch)
