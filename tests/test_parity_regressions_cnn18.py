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
