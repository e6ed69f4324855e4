"""Parity regressions (session 31): the convolution family against torch 2.13.0.

* the node of a convolution without batch or channels (PyTorch's "Empty" backend) saves what any convolution's
  node saves: the input, the weight, the bias's size and every argument (``grad_fn._saved_stride``, ...);
* a padding string given as bytes, which PyTorch's argument parser reads as a string;
* torch.nn.grad as PyTorch's convolution_backward: its dispatcher's, its own and its CPU backends' checks (oneDNN's,
  the reference kernels'), the part of a larger grad_output those kernels read, the Empty backend's zeros, the
  layout the weight suggests and the ConvolutionBackwardBackward0 node that records the result.
"""
import warnings

import numpy as np

import pytest

import torchless
from helpers import outcome_named_as_torch, same_in_both

torch = pytest.importorskip("torch")

_SAVED_ARGUMENTS = ("bias_sym_sizes_opt", "stride", "padding", "dilation", "groups", "transposed", "output_padding")


# ---------------------------------------------------------------------------- the empty backend's saved values
@pytest.mark.parametrize("fn, x_shape, w_shape, bias_size, kwargs", [
    ("conv1d", (0, 2, 5), (3, 2, 3), 3, {}),
    ("conv1d", (2, 0, 5), (3, 0, 3), None, dict(stride=2, dilation=2)),
    ("conv2d", (0, 2, 5, 5), (3, 2, 2, 2), 3, dict(padding="same")),  # (the input padded by one cell first)
    ("conv2d", (0, 2, 5, 5), (3, 2, 3, 3), 3, dict(padding="same", dilation=2)),
    ("conv2d", (0, 2, 5, 4), (4, 1, 3, 2), None, dict(padding=(1, 0), stride=(2, 1), groups=2)),
    ("conv_transpose2d", (0, 2, 5, 5), (2, 3, 3, 3), 6, dict(groups=2, stride=2, output_padding=1, padding=1)),
    ("conv_transpose1d", (0, 2, 4), (2, 3, 3), None, dict(stride=3, output_padding=2)),
    ("conv3d", (2, 0, 5, 5, 5), (3, 0, 3, 3, 3), 3, dict(padding=(1, 2, 0), dilation=(1, 2, 1), stride=3)),
    ("conv_transpose3d", (0, 3, 2, 2, 2), (3, 1, 2, 2, 2), 1, dict(dilation=(2, 1, 1))),
])
@pytest.mark.parametrize("input_requires_grad", [True, False])
def test_empty_convolution_saves_the_arguments(fn, x_shape, w_shape, bias_size, kwargs, input_requires_grad):
    def scenario(lib):
        x = lib.ones(x_shape, requires_grad=input_requires_grad)
        w = lib.ones(w_shape, requires_grad=True)
        b = None if bias_size is None else lib.ones(bias_size, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (the asymmetric 'same' padding's warning)
            node = getattr(lib.nn.functional, fn)(x, w, b, **kwargs).grad_fn
        saved_input, saved_weight = node._saved_input, node._saved_weight
        return (node.name(), [getattr(node, "_saved_" + name) for name in _SAVED_ARGUMENTS],
                tuple(saved_input.shape), saved_input.stride(), saved_input is x, saved_weight is w)

    same_in_both(scenario)


def test_empty_convolution_of_an_unbatched_input_saves_the_unsqueezed_input_until_backward():
    def scenario(lib):
        x = lib.ones(0, 5, requires_grad=True)
        y = lib.nn.functional.conv1d(x, lib.ones(3, 0, 3, requires_grad=True), stride=2)
        node = y.grad_fn.next_functions[0][0]
        saved = node._saved_input
        before = node.name(), tuple(saved.shape), type(saved.grad_fn).__name__, node._saved_stride
        y.sum().backward()
        return before, outcome_named_as_torch(lambda: node._saved_input), node._saved_stride

    same_in_both(scenario)


def test_empty_convolution_saved_values_without_torch():
    x = torchless.ones(0, 2, 7, 6, requires_grad=True)
    w = torchless.ones(4, 1, 3, 2, requires_grad=True)
    node = torchless.nn.functional.conv2d(x, w, None, (2, 1), (1, 0), (3, 1), 2).grad_fn
    assert node._saved_input is x and node._saved_weight is w
    assert (node._saved_stride, node._saved_padding, node._saved_dilation, node._saved_groups) == \
        ((2, 1), (1, 0), (3, 1), 2)
    assert (node._saved_transposed, node._saved_output_padding, node._saved_bias_sym_sizes_opt) == \
        (False, (0, 0), (0,))


# ---------------------------------------------------------------------------- padding strings as bytes
@pytest.mark.parametrize("fn, x_shape, w_shape", [
    ("conv1d", (1, 2, 5), (3, 2, 2)), ("conv2d", (2, 5, 5), (3, 2, 2, 3)), ("conv3d", (1, 2, 3, 4, 5), (3, 2, 2, 1, 3)),
])
@pytest.mark.parametrize("padding", [b"same", b"valid", b"full"])
def test_padding_string_given_as_bytes(fn, x_shape, w_shape, padding):
    def scenario(lib):
        def call():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y = getattr(lib.nn.functional, fn)(lib.ones(x_shape), lib.ones(w_shape), None, 1, padding)
            return tuple(y.shape), y.sum().item()
        return outcome_named_as_torch(call)

    same_in_both(scenario)


def test_padding_string_given_as_bytes_without_torch():
    y = torchless.conv1d(torchless.ones(1, 1, 4), torchless.ones(1, 1, 3), padding=b"same")
    assert y.tolist() == [[[2.0, 3.0, 3.0, 2.0]]]


# ---------------------------------------------------------------------------- torch.nn.grad: convolution_backward
def _nn_grad(lib, dims, gradient, input_size, weight_size, grad_shape, dtypes=("float64", "float64"), **kwargs):
    """torch.nn.grad.conv<dims>d_<gradient> of seeded values: the tensor given (the weight, or the input) of
    dtypes[0], grad_output of dtypes[1], both requiring grad where their dtype can."""
    rng = np.random.default_rng(0)

    def tensor(size, dtype):
        return lib.tensor(rng.standard_normal(size).astype(dtype), requires_grad=np.dtype(dtype).kind in "fc")

    grad_output = tensor(grad_shape, dtypes[1])
    if gradient == "input":
        given = tensor(weight_size, dtypes[0])
        result = getattr(lib.nn.grad, f"conv{dims}d_input")(input_size, given, grad_output, **kwargs)
    else:
        given = tensor(input_size, dtypes[0])
        result = getattr(lib.nn.grad, f"conv{dims}d_weight")(given, weight_size, grad_output, **kwargs)
    return result, given, grad_output


@pytest.mark.parametrize("dims, gradient, input_size, weight_size, grad_shape, dtypes, kwargs", [
    # the reference kernels (float64, or float32 of one sample): slow_conv2d's checks, channels first
    (2, "input", (1, 2, 6, 6), (3, 2, 3, 3), (1, 3, 5, 5), ("float64", "float64"), {}),
    (2, "weight", (1, 2, 6, 6), (3, 2, 3, 3), (1, 3, 4, 5), ("float32", "float32"), {}),
    (2, "input", (1, 2, 6, 6), (3, 2, 3, 3), (1, 4, 4, 4), ("float64", "float64"), {}),
    (2, "input", (1, 4, 6, 6), (4, 2, 3, 3), (1, 6, 4, 4), ("float64", "float64"), dict(groups=2)),  # by group
    (2, "input", (1, 2, 6, 6), (3, 2, 3, 3), (1, 3, 2, 3), ("float64", "float64"), dict(stride=2)),
    (1, "weight", (1, 2, 6), (3, 2, 3), (1, 3, 5), ("float64", "float64"), {}),  # (as 2-D: size[3])
    # slow_conv3d's, all groups at once
    (3, "input", (1, 2, 6, 6, 6), (3, 2, 3, 3, 3), (1, 3, 4, 4, 5), ("float64", "float64"), {}),
    (3, "weight", (1, 4, 6, 6, 6), (4, 2, 3, 3, 3), (1, 5, 4, 4, 4), ("float64", "float64"), dict(groups=2)),
    # the dilated kernels': batch, channels, then the spatial sizes
    (2, "input", (1, 2, 6, 6), (3, 2, 3, 3), (2, 3, 2, 2), ("float64", "float64"), dict(dilation=2)),
    (2, "input", (1, 2, 6, 6), (3, 2, 3, 3), (1, 4, 2, 2), ("float64", "float64"), dict(dilation=2)),
    (3, "weight", (1, 2, 6, 6, 6), (3, 2, 3, 3, 3), (1, 3, 2, 2, 3), ("float64", "float64"), dict(dilation=2)),
    (1, "input", (1, 2, 6), (3, 2, 3), (1, 3, 5), ("float64", "float64"), dict(dilation=2)),
    # oneDNN's (float32 batches): any other size fails to make its primitive
    (2, "input", (2, 2, 6, 6), (3, 2, 3, 3), (2, 3, 5, 5), ("float32", "float32"), {}),
    (2, "weight", (2, 2, 6, 6), (3, 2, 3, 3), (3, 3, 4, 4), ("float32", "float32"), {}),
    # grad_output of another rank
    (2, "input", (1, 4, 6, 6), (4, 2, 3, 3), (1, 4, 4, 4, 4), ("float64", "float64"), dict(groups=2)),
    (1, "weight", (1, 2, 6), (3, 2, 3), (1, 3, 4, 4), ("float64", "float64"), {}),
    # dtypes: the reference kernels' dispatch, then their mismatch; oneDNN's own words
    (2, "input", (1, 2, 6, 6), (3, 2, 3, 3), (1, 3, 4, 4), ("int64", "int64"), {}),
    (3, "weight", (1, 2, 6, 6, 6), (3, 2, 3, 3, 3), (1, 3, 4, 4, 4), ("int64", "int64"), {}),
    (2, "input", (1, 2, 6, 6), (3, 2, 3, 3), (1, 3, 4, 4), ("float64", "float32"), {}),
    (2, "weight", (1, 2, 6, 6), (3, 2, 3, 3), (1, 3, 4, 4), ("float32", "float64"), {}),
    (2, "input", (2, 2, 6, 6), (3, 2, 3, 3), (2, 3, 4, 4), ("float64", "float32"), {}),
    (2, "weight", (2, 2, 6, 6), (3, 2, 3, 3), (2, 3, 4, 5), ("float32", "int64"), {}),
    (2, "input", (1, 2, 6, 6), (3, 2, 3, 3), (1, 3, 5, 5), ("float64", "float32"), {}),  # (the sizes first)
    # the weight's gradient unfolds the input first (its dispatch), the dilated kernels take no int but int64
    (2, "weight", (1, 2, 6, 6), (2, 2, 3, 3), (1, 2, 4, 4), ("bool", "bool"), {}),
    (3, "weight", (1, 2, 6, 6, 6), (2, 2, 1, 1, 1), (1, 2, 3, 3, 3), ("complex64", "complex64"), dict(stride=2)),
    (2, "weight", (1, 2, 6, 6), (2, 2, 1, 1), (1, 2, 6, 6), ("complex64", "complex64"), {}),
    (2, "input", (1, 2, 6, 6), (2, 2, 3, 3), (1, 2, 2, 2), ("int32", "int32"), dict(dilation=2)),
    (3, "weight", (1, 2, 6, 6, 6), (2, 2, 3, 3, 3), (1, 2, 2, 2, 2), ("complex64", "complex64"), dict(dilation=2)),
    # convolution_backward's own check of groups, and the sizes as expand reads them
    (2, "input", (1, 4, 6, 6), (4, 2, 3, 3), (1, 4, 4, 4), ("float64", "float64"), dict(groups=0)),
    (3, "weight", (1, 4, 6, 6, 6), (4, 2, 3, 3, 3), (1, 4, 4, 4, 4), ("float32", "float32"), dict(groups=-2)),
    (2, "input", (1, 4, 6.0, 6), (4, 2, 3, 3), (1, 4, 4, 4), ("float64", "float64"), dict(groups=2)),
    (2, "input", (1, 4, -2, 2), (4, 2, 3, 3), (1, 4, 4, 4), ("float64", "float64"), dict(groups=2)),
    (1, "weight", (1, 4, 6), None, (1, 4, 4), ("float64", "float64"), {}),
    # values no int64 of the op's schema, refused by PyTorch's dispatcher (the first such argument)
    (2, "input", (1, 2, 6, 6), (3, 2, 3, 3), (1, 3, 4, 4), ("float64", "float64"), dict(stride=1.0, groups=2.0)),
    (2, "weight", (1, 2, 6, 6), (3, 2, 3, 3), (1, 3, 4, 4), ("float64", "float64"), dict(padding=(0, 1.5))),
    (1, "input", (1, 2, 6), (3, 2, 3), (1, 3, 4), ("float64", "float64"), dict(dilation=[None])),
    (3, "input", (1, 2, 6, 6, 6), (3, 2, 3, 3, 3), (1, 3, 4, 4, 4), ("float64", "float64"), dict(groups=None)),
    (2, "input", (1, 2, 6, 6), (3, 2, 3, 3), (1, 3, 4, 4), ("float64", "float64"), dict(padding=2 ** 70)),
    (2, "input", (1, 2, 6, 6), (3, 2, 3, 3), (1, 3, 4, 4), ("float64", "float64"), dict(stride="a")),
])
def test_nn_grad_checks_as_convolution_backward(dims, gradient, input_size, weight_size, grad_shape, dtypes, kwargs):
    def scenario(lib):
        return outcome_named_as_torch(lambda: _nn_grad(lib, dims, gradient, input_size, weight_size, grad_shape,
                                                       dtypes, **kwargs)[0].shape)

    assert isinstance(same_in_both(scenario), tuple)  # (torch raised)


@pytest.mark.parametrize("dims, gradient, input_size, weight_size, grad_shape, dtypes, kwargs", [
    # the reference kernels read the input's batch of grad_output, and each group its first channels
    (2, "input", (1, 2, 6, 6), (3, 2, 3, 3), (3, 3, 4, 4), ("float64", "float64"), {}),
    (2, "weight", (1, 2, 6, 6), (3, 2, 3, 3), (3, 3, 4, 4), ("float64", "float64"), {}),
    (3, "weight", (1, 2, 4, 4, 4), (3, 2, 3, 3, 3), (2, 3, 2, 2, 2), ("float64", "float64"), {}),
    (2, "input", (1, 4, 6, 6), (4, 2, 3, 3), (1, 5, 4, 4), ("float64", "float64"), dict(groups=2)),
    (2, "weight", (1, 4, 6, 6), (4, 2, 3, 3), (1, 5, 4, 4), ("float64", "float64"), dict(groups=2)),
    (1, "weight", (1, 1, 3), (2, 1, 1), (2, 2, 5), ("float64", "float64"), dict(padding=1)),
    # the "Empty" backend: zeros, whatever grad_output's size, in its dtype
    (2, "input", (0, 2, 6, 6), (3, 2, 3, 3), (0, 3, 5, 4), ("float64", "float32"), {}),
    (2, "weight", (0, 2, 6, 6), (3, 2, 3, 3), (2, 3, 5, 4), ("float64", "float32"), {}),
    (2, "weight", (2, 0, 6, 6), (3, 0, 3, 3), (2, 3, 4, 4), ("float32", "float32"), {}),
    # well-sized calls, whose double backward PyTorch runs too (not for the sizes above)
    (2, "input", (1, 4, 7, 6), (4, 1, 3, 2), (1, 4, 3, 3), ("float64", "float64"), dict(groups=4, stride=2)),
    (1, "weight", (2, 2, 7), (3, 2, 2), (2, 3, 3), ("float64", "float64"), dict(dilation=2, stride=2)),
    (2, "input", (1, 2, 6, 6), (3, 2, 3, 3), (1, 3, 2, 2), ("int64", "int64"), dict(dilation=2)),
    # ints as the dispatcher casts them
    (2, "input", (1, 2, 6, 6), (3, 2, 3, 3), (1, 3, 4, 4), ("float64", "float64"), dict(groups=True, stride=True)),
    (2, "weight", (1, 2, 6, 6), (3, 2, 3, 3), (1, 3, 4, 4), ("float64", "float64"), dict(padding=np.int64(0))),
])
def test_nn_grad_values_and_graph(dims, gradient, input_size, weight_size, grad_shape, dtypes, kwargs):
    def scenario(lib):
        result, given, grad_output = _nn_grad(lib, dims, gradient, input_size, weight_size, grad_shape, dtypes,
                                              **kwargs)
        record = (tuple(result.shape), result.stride(), str(result.dtype).split(".")[-1], type(result.grad_fn).__name__,
                  result.grad_fn and [None if node is None else type(node).__name__
                                      for node, _ in result.grad_fn.next_functions],
                  np.round(result.detach().numpy().astype(np.float64), 4).tolist())
        if "stride" in kwargs:
            result.pow(2).sum().backward()
            record += (np.round(given.grad.numpy().astype(np.float64), 3).tolist(),)
        return record

    same_in_both(scenario)


def test_nn_grad_of_a_larger_grad_output_without_torch():
    # the reference kernel reads the first sample of grad_output only: the gradient of that sample's convolution
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 1, 4)).astype(np.float64)
    w = rng.standard_normal((1, 1, 2))
    grad_output = rng.standard_normal((2, 1, 3))
    expected = np.array([[[x[0, 0, j:j + 3] @ grad_output[0, 0] for j in range(2)]]])
    got = torchless.nn.grad.conv1d_weight(torchless.tensor(x), w.shape, torchless.tensor(grad_output))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("dims, weight_layout, grad_layout", [
    (2, None, "channels_last"), (2, "channels_last", None), (2, "channels_last", "channels_last"),
    (3, None, "channels_last_3d"), (3, "channels_last_3d", None),
])
@pytest.mark.parametrize("batch, groups, dtype", [(1, 1, "float64"), (2, 2, "float32"), (1, 2, "float32")])
def test_nn_grad_input_gradient_is_laid_out_as_the_weight_suggests(dims, weight_layout, grad_layout, batch, groups,
                                                                   dtype):
    # not as grad_output: PyTorch's input is an expanded scalar, which suggests no layout, and the weight decides
    def scenario(lib):
        def laid_out(t, layout):
            return t if layout is None else t.contiguous(memory_format=getattr(lib, layout))
        weight = laid_out(lib.ones((4, 4 // groups) + (3,) * dims, dtype=getattr(lib, dtype)), weight_layout)
        grad_output = laid_out(lib.ones((batch, 4) + (4,) * dims, dtype=getattr(lib, dtype)), grad_layout)
        result = getattr(lib.nn.grad, f"conv{dims}d_input")((batch, 4) + (6,) * dims, weight, grad_output,
                                                           groups=groups)
        return result.stride(), result.sum().item()

    same_in_both(scenario)
