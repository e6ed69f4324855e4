"""Differences from PyTorch in the CNN layers found by a tenth differential fuzz (random shapes, arguments, memory
layouts and bad inputs of the convolutions, poolings, resampling, paddings, norms and losses), each compared with
torch:

* PyTorch's max pooling and pixel (un)shuffle kernels take contiguous inputs and one channels-last format only:
  max_pool3d of an unbatched (C, D, H, W) input whose strides suggest channels_last fails with "Unsupported memory
  format. Supports only ChannelsLast3d, Contiguous" (before its size and dtype checks), max_pool2d of a 5-D input
  suggesting channels_last_3d with "... Supports only ChannelsLast, Contiguous" (instead of the rank message), as
  do pixel_shuffle and pixel_unshuffle of such an input after their checks (they returned results);
* a transposed convolution to a negative output size whose input or weight suggests a channels-last format fails
  in PyTorch's own allocation of the channels-last output ("numel: integer multiplication overflow"), not in
  oneDNN's memory descriptor.
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


def _x(lib, *shape, dtype="float32", requires_grad=False, memory_format=None):
    values = np.linspace(-2, 1.5, int(np.prod(shape))).reshape(shape).astype(dtype)
    x = lib.tensor(values, requires_grad=requires_grad)
    return x if memory_format is None else x.contiguous(memory_format=getattr(lib, memory_format))


# ---------------------------------------------------------------------------- kernels of one channels-last format
@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.max_pool3d(x, 2),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 2, return_indices=True),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 2, 0),
    lambda lib, x: lib.nn.functional.max_pool3d(x, 5, padding=3),
    lambda lib, x: lib.nn.functional.max_pool3d(x > 0, 2),
    lambda lib, x: lib.nn.functional.max_pool3d(x, (2, 2)),
    lambda lib, x: lib.nn.MaxPool3d(2, dilation=2)(x),
])
@pytest.mark.parametrize("shape, memory_format", [
    ((2, 3, 4, 4), "channels_last"), ((2, 3, 4, 4), None), ((2, 1, 4, 4), "channels_last"),
    ((0, 3, 4, 4), "channels_last"), ((2, 3, 1, 1), "channels_last"),
])
def test_max_pool3d_of_an_unbatched_channels_last_input(call, shape, memory_format):
    assert_same_outcome(lambda lib: call(lib, _x(lib, *shape, memory_format=memory_format)))


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.max_pool2d(x, 2),
    lambda lib, x: lib.nn.functional.max_pool2d(x, 2, return_indices=True),
    lambda lib, x: lib.nn.functional.max_pool2d(x, 2, 0, ceil_mode=True),
    lambda lib, x: lib.nn.functional.max_pool2d(x, (2, 2, 2)),
    lambda lib, x: lib.nn.functional.max_pool2d(x.half(), 2),
    lambda lib, x: lib.nn.MaxPool2d(2)(x),
    lambda lib, x: lib.nn.functional.pixel_shuffle(x, 2),
    lambda lib, x: lib.nn.functional.pixel_shuffle(x, 1),
    lambda lib, x: lib.nn.functional.pixel_shuffle(x, 0),
    lambda lib, x: lib.nn.functional.pixel_shuffle(x, 3),
    lambda lib, x: lib.nn.PixelShuffle(2)(x.long()),
    lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 2),
    lambda lib, x: lib.nn.functional.pixel_unshuffle(x, 3),
    lambda lib, x: lib.nn.PixelUnshuffle(1)(x),
])
@pytest.mark.parametrize("shape, memory_format", [
    ((2, 3, 4, 4, 4), "channels_last_3d"), ((2, 3, 4, 4, 4), None), ((2, 1, 4, 4, 4), "channels_last_3d"),
    ((2, 3, 4, 0, 4), "channels_last_3d"), ((1, 2, 4, 4, 4), "channels_last_3d"),
])
def test_2d_kernels_of_a_channels_last_3d_input(call, shape, memory_format):
    assert_same_outcome(lambda lib: call(lib, _x(lib, *shape, requires_grad=True, memory_format=memory_format)))


def test_pixel_shuffle_of_a_permuted_5d_input():
    assert_same_outcome(lambda lib: lib.nn.functional.pixel_shuffle(_x(lib, 2, 4, 4, 4, 4).permute(0, 2, 3, 4, 1), 2))


# ---------------------------------------------------------------------------- transposed convolution, negative size
@pytest.mark.parametrize("x_shape, x_format, w_shape, w_format, kwargs", [
    ((2, 2, 3, 5), "channels_last", (2, 1, 1, 2), None, {"padding": 2}),
    ((2, 2, 1, 5), "channels_last", (2, 1, 1, 2), None, {"padding": 1, "dilation": (1, 2)}),
    ((2, 2, 3, 5), None, (2, 1, 1, 2), None, {"padding": 2}),
    ((2, 2, 3, 5), None, (2, 1, 2, 2), "channels_last", {"padding": 2}),
    ((2, 2, 3, 5), "channels_last", (2, 1, 1, 2), None, {"padding": 2, "groups": 2}),
    ((2, 2, 3, 5), "channels_last", (2, 1, 1, 2), None, {"padding": 2, "stride": 2, "output_padding": 1}),
    ((2, 2, 3, 5, 4), "channels_last_3d", (2, 1, 1, 1, 2), None, {"padding": 2}),
    ((2, 2, 3, 5, 4), None, (2, 3, 1, 2, 2), "channels_last_3d", {"padding": 2}),
    ((2, 2, 3), None, (2, 1, 1), None, {"padding": 2}),
])
def test_transposed_convolution_to_a_negative_size(x_shape, x_format, w_shape, w_format, kwargs):
    def call(lib):
        x = _x(lib, *x_shape, requires_grad=True, memory_format=x_format)
        w = _x(lib, *w_shape, memory_format=w_format)
        return getattr(lib.nn.functional, f"conv_transpose{len(x_shape) - 2}d")(x, w, **kwargs)

    assert_same_outcome(call)
