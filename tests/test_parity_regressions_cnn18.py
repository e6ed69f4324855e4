"""Differences from PyTorch found by an eighteenth differential fuzz of the CNN core (random combinations of
convolution, pooling, normalisation, activation and loss arguments), each compared with torch.

* layer_norm: PyTorch's kernel writes its output and input gradient C-contiguous; for a channels-last batch of
  one (whose rows over the normalised dims are a strided view) torchless kept the input's layout;
* views of empty tensors: NumPy sees no memory shared with an empty array, so a transpose (or any view) of an
  empty tensor was not marked as a view, and an in-place op on such a view made a leaf requiring grad was worded
  for a leaf, not for a view of one.
"""
import numpy as np
import pytest

import torchless
from helpers import outcome

torch = pytest.importorskip("torch")


def _channels_last(lib, t):
    return t.contiguous(memory_format=lib.channels_last if t.dim() == 4 else lib.channels_last_3d)


def _large_strides(t):
    """The strides of the dims of size above 1, those a layout decides."""
    return [stride for stride, size in zip(t.stride(), t.shape) if size > 1]


# ---------------------------------------------------------------------------- layer_norm layouts
@pytest.mark.parametrize("shape, normalized_shape", [
    ((1, 4, 2, 3), (2, 3)), ((1, 4, 1, 2), (1, 2)), ((1, 3, 4, 5, 2), (4, 5, 2)), ((2, 4, 2, 3), (2, 3)),
    ((1, 4, 2, 3), (3,)),
])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("grad_layout", ["c", "cl"])
def test_layer_norm_of_a_channels_last_input_is_c_contiguous(shape, normalized_shape, affine, grad_layout):
    def run(lib):
        values = np.linspace(-2, 3, int(np.prod(shape))).reshape(shape) ** 2
        x = _channels_last(lib, lib.tensor(values)).requires_grad_(True)
        weight = lib.tensor(np.linspace(0.5, 1.5, int(np.prod(normalized_shape))).reshape(normalized_shape),
                            requires_grad=True) if affine else None
        y = lib.nn.functional.layer_norm(x, normalized_shape, weight, weight)
        g = lib.tensor(np.linspace(-1, 1, y.numel()).reshape(shape))
        g = _channels_last(lib, g) if grad_layout == "cl" else g
        return (y,) + lib.autograd.grad(y, (x, weight) if affine else (x,), g)

    for theirs, ours in zip(run(torch), run(torchless), strict=True):
        assert ours.stride() == theirs.stride()
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_layer_norm_output_is_c_contiguous_without_torch():
    x = torchless.arange(24.0).reshape(1, 4, 2, 3).contiguous(memory_format=torchless.channels_last)
    y = torchless.nn.LayerNorm((2, 3))(x)
    assert y.stride() == (24, 6, 3, 1)
    rows = x.detach().numpy().reshape(4, 6)
    expected = (rows - rows.mean(1, keepdims=True)) / np.sqrt(rows.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(y.detach().numpy().reshape(4, 6), expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- views of empty tensors
VIEWS = {
    "t": lambda x: x.t(), "slice": lambda x: x[:, 1:], "permute": lambda x: x.permute(1, 0),
    "unsqueeze": lambda x: x.unsqueeze(0), "view": lambda x: x.view(-1), "expand": lambda x: x.expand(2, 0, 3),
    "transposed_reshape": lambda x: x.t().reshape(3, 0), "narrow": lambda x: x.narrow(1, 0, 2),
}


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_views_of_an_empty_tensor_have_it_as_base(view):
    for lib in (torch, torchless):
        x = lib.zeros(0, 3, requires_grad=True)
        assert VIEWS[view](x)._base is x, lib.__name__


IN_PLACE = {"relu_": lambda lib, t: t.relu_(), "mul_": lambda lib, t: t.mul_(2),
            "selu": lambda lib, t: lib.nn.functional.selu(t, inplace=True)}


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 1, 4, 4)])
@pytest.mark.parametrize("op", sorted(IN_PLACE))
def test_in_place_op_on_an_empty_view_made_a_leaf(shape, op):
    expected, actual = (outcome(lambda: IN_PLACE[op](lib, lib.zeros(shape).transpose(-1, -2).requires_grad_(True)))
                        for lib in (torch, torchless))
    assert expected.message == "a view of a leaf Variable that requires grad is being used in an in-place operation."
    assert actual == expected


# ---------------------------------------------------------------------------- gradients recorded for double backward
def _first_and_second_order(lib, fn, arrays, layouts):
    """``fn``'s first-order gradients with create_graph=True, and the gradients of their squared sum."""
    inputs = []
    for array, layout in zip(arrays, layouts):
        t = lib.tensor(array)
        inputs.append((_channels_last(lib, t) if layout == "cl" else t).requires_grad_(True))
    y = fn(lib, *inputs)
    grads = lib.autograd.grad(y, inputs, lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape))),
                              create_graph=True)
    return grads, lib.autograd.grad(sum((g * g).sum() for g in grads), inputs)


CONVOLUTIONS = {
    "conv1d": (lambda lib, x, w: lib.nn.functional.conv1d(x, w, stride=2, padding=1, groups=2), (2, 4, 5), (4, 2, 2)),
    "conv2d": (lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding=1, dilation=2), (2, 4, 5, 4), (3, 4, 2, 2)),
    "conv3d": (lambda lib, x, w: lib.nn.functional.conv3d(x, w, stride=2, groups=2), (1, 4, 5, 4, 3), (4, 2, 2, 2, 2)),
    "conv_transpose1d": (lambda lib, x, w: lib.nn.functional.conv_transpose1d(x, w, stride=2, padding=1),
                         (2, 2, 4), (2, 4, 2)),
    "conv_transpose2d": (lambda lib, x, w: lib.nn.functional.conv_transpose2d(x, w, groups=2), (2, 4, 3, 5), (4, 1, 2, 2)),
    "conv_transpose3d": (lambda lib, x, w: lib.nn.functional.conv_transpose3d(x, w, stride=2, padding=1, dilation=2),
                         (2, 2, 4, 4, 3), (2, 2, 2, 2, 2)),
}


@pytest.mark.parametrize("name, layouts", [(name, layouts) for name in sorted(CONVOLUTIONS)
                                            for layouts in [("c", "c"), ("cl", "c"), ("c", "cl")]
                                            if "1d" not in name or layouts == ("c", "c")])
def test_gradients_recorded_for_double_backward_are_laid_out_as_pytorchs(name, layouts):
    """PyTorch's convolution_backward writes the gradients contiguous (or channels-last with the convolution)
    also when it records a graph; torchless's formula left the weight's a permuted view, and the input's followed
    the output gradient's layout."""
    fn, x_shape, w_shape = CONVOLUTIONS[name]
    rng = np.random.default_rng(18)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape)]
    (expected, expected_second), (actual, actual_second) = (_first_and_second_order(lib, fn, arrays, layouts)
                                                            for lib in (torch, torchless))
    for theirs, ours in zip(expected + expected_second, actual + actual_second, strict=True):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    for theirs, ours in zip(expected, actual, strict=True):
        assert _large_strides(ours) == _large_strides(theirs)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "constant"])
@pytest.mark.parametrize("shape, layout", [((2, 3, 5), "c"), ((2, 3, 4, 5), "c"), ((2, 3, 4, 5), "cl"),
                                           ((1, 2, 3, 4, 5), "c"), ((1, 2, 3, 4, 5), "cl")])
def test_pad_gradient_recorded_for_double_backward_is_laid_out_as_pytorchs(mode, shape, layout):
    """As its backward's: circular padding's C-contiguous (the graph's gathers left it moved), reflection and
    replication ones in the format the input suggests (they were made contiguous)."""
    widths = (1, 2) * (len(shape) - 2)
    arrays = [np.random.default_rng(18).standard_normal(shape)]
    (expected, expected_second), (actual, actual_second) = (
        _first_and_second_order(lib, lambda lib, x: lib.nn.functional.pad(x, widths, mode=mode) ** 2, arrays, [layout])
        for lib in (torch, torchless))
    for theirs, ours in zip(expected + expected_second, actual + actual_second, strict=True):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert actual[0].stride() == expected[0].stride()


# ---------------------------------------------------------------------------- float16 instance_norm
@pytest.mark.parametrize("shape", [(8, 4, 5, 5), (2, 3, 7), (1, 2, 3, 3, 3)])
@pytest.mark.parametrize("parameters", [None, "float16"])
def test_float16_instance_norm_rounds_as_pytorchs_batch_norm(shape, parameters):
    """PyTorch's batch norm of the (1, N * C, *) view keeps a float16 input's instance means and 1 / std as
    float16, and the parameters' gradients are its per-instance sums (in float16) added up over the batch by the
    repeat's backward."""
    rng = np.random.default_rng(18)
    x = (rng.standard_normal(shape) * 3).astype(np.float16)
    channels = shape[1]

    def run(lib):
        inputs = [lib.tensor(x, requires_grad=True)]
        if parameters:
            inputs += [lib.tensor(np.linspace(start, stop, channels).astype(np.float16), requires_grad=True)
                       for start, stop in ((0.5, 1.5), (-1, 1))]
        y = lib.nn.functional.instance_norm(inputs[0], weight=inputs[1] if parameters else None,
                                            bias=inputs[2] if parameters else None)
        return (y,) + lib.autograd.grad(y, inputs, lib.tensor(np.cos(np.arange(y.numel())).reshape(shape)
                                                             .astype(np.float16)))

    for theirs, ours in zip(run(torch), run(torchless), strict=True):
        assert ours.dtype == torchless.float16
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def test_float16_instance_norm_statistics_in_half_without_torch():
    x = np.array([[[0.1, 0.7, 2.3, -1.9, 0.33]]], np.float16)
    y = torchless.nn.functional.instance_norm(torchless.tensor(x)).numpy()
    rows = x.astype(np.float32)
    mean = rows.mean(-1, keepdims=True)
    rstd = (1 / np.sqrt(((rows - mean) ** 2).mean(-1, keepdims=True) + 1e-5)).astype(np.float16).astype(np.float32)
    expected = ((rows - mean.astype(np.float16).astype(np.float32)) * rstd).astype(np.float16)
    np.testing.assert_array_equal(y, expected)


# ---------------------------------------------------------------------------- float16 sigmoid and tanh gradients
@pytest.mark.parametrize("op", ["sigmoid", "tanh"])
def test_float16_sigmoid_and_tanh_gradients_round_as_pytorchs_kernels(op):
    """sigmoid_backward rounds each step of grad * (1 - out) * out to float16; tanh_backward computes
    grad * (1 - out * out) in float32 and rounds once (torchless rounded each step of other formulas)."""
    rng = np.random.default_rng(18)
    x, g = (rng.standard_normal(4096) * 3).astype(np.float16), rng.standard_normal(4096).astype(np.float16)

    def gradient(lib):
        t = lib.tensor(x, requires_grad=True)
        getattr(t, op)().backward(lib.tensor(g))
        return t.grad.numpy()

    np.testing.assert_array_equal(gradient(torchless), gradient(torch))


def test_float16_sigmoid_gradient_without_torch():
    x = torchless.tensor(np.array([0.957], np.float16), requires_grad=True)
    x.sigmoid().backward(torchless.tensor(np.array([-0.2494], np.float16)))
    s = np.float16(1 / (1 + np.exp(np.float32(-0.957))))
    expected = np.float16(np.float16(-0.2494) * np.float16(1 - s)) * s  # each step rounded to float16
    assert x.grad.numpy()[0] == expected == np.float16(-0.05)
