"""Layers and losses on the cases earlier sessions missed, each run on torch and on torchless and compared: what
is returned (shapes, dtypes, values to float32 precision), the warnings raised, or the exception's type and message
(torchless's names read as torch's)."""
import warnings

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def outcome(lib, make, describe=None):
    """``make(lib)`` after seeding the generator: a comparable record of its tensors (``describe``, by default
    ``record``), or the exception, with the warnings raised."""
    lib.manual_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = (describe or record)(make(lib))
        except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
            result = type(error).__name__, str(error).replace("torchless", "torch")
    return result, sorted(str(warning.message).replace("torchless", "torch") for warning in caught)


class Values:
    """A tensor's values, equal to another's to float32 precision (NaN equal to NaN)."""

    def __init__(self, array):
        self.array = array

    def __eq__(self, other):
        return (isinstance(other, Values) and self.array.shape == other.array.shape
                and np.allclose(self.array, other.array, rtol=1e-5, atol=1e-6, equal_nan=True))

    def __repr__(self):
        return repr(self.array)


def record(value):
    if isinstance(value, (tuple, list)):
        return tuple(record(item) for item in value)
    if hasattr(value, "detach"):
        return tuple(value.shape), str(value.dtype).replace("torchless", "torch"), Values(value.detach().numpy())
    return repr(value).replace("torchless", "torch")


def same_in_both(make):
    expected, got = outcome(torch, make), outcome(torchless, make)
    assert got == expected
    return expected


# ---------------------------------------------------------------- alpha dropout of a complex input


@pytest.mark.parametrize("function", ["alpha_dropout", "feature_alpha_dropout"])
@pytest.mark.parametrize("inplace", [False, True])
def test_alpha_dropout_refuses_a_complex_input_before_drawing(function, inplace):
    def make(lib):
        x = lib.ones(2, 3, 4, dtype=lib.complex64)
        try:
            getattr(lib.nn.functional, function)(x, 0.3, training=True, inplace=inplace)
        finally:
            drawn_after = lib.rand(3)  # the generator is untouched by the refused call
        return drawn_after

    result, _ = same_in_both(make)
    assert result[0] == "NotImplementedError"


# ---------------------------------------------------------------- the vector norms behind pairwise distances


def test_norm_of_order_zero_passes_no_gradient_under_create_graph():
    def make(lib):
        a = lib.tensor([[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]], requires_grad=True)
        b = lib.tensor([[1.0, 1.0], [3.0, 0.0]], requires_grad=True)
        total = a.norm(0, 1).sum() + (b * b).sum()
        grads = lib.autograd.grad(total, [a, b], create_graph=True, allow_unused=True)
        return grads[0], grads[1], grads[1].requires_grad

    assert same_in_both(make)[0][0] == "None"


def test_triplet_margin_loss_of_order_zero_under_create_graph():
    def make(lib):
        anchor, positive, negative = (lib.tensor(np.random.RandomState(seed).randn(3, 4), requires_grad=seed < 2)
                                      for seed in range(3))
        loss = lib.nn.functional.triplet_margin_loss(anchor, positive, negative, p=0)
        return lib.autograd.grad(loss, [anchor, positive], create_graph=True, allow_unused=True)

    same_in_both(make)


@pytest.mark.parametrize("order", [-1, -0.5, -3, 300.0, 1e30, -1e30])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_norms_of_extreme_orders_overflow_silently(order, dtype):
    """A zero under a negative order, powers beyond the dtype's range: inf or 0 without NumPy's warnings."""
    def make(lib):
        x = lib.tensor([[0.0, 1.0, 2.0], [0.0, 0.0, 0.0], [1.0, 2.0, 4.0], [1e-30, 1e30, 0.5]],
                       dtype=getattr(lib, dtype), requires_grad=True)
        norm = x.norm(order, 1)
        norm.sum().backward()
        return norm, x.grad, lib.nn.functional.pairwise_distance(x, x * 0, p=order, eps=0.0)

    assert same_in_both(make)[1] == []


# ---------------------------------------------------------------- grid_sample's gradient under create_graph


def _grid_sample_gradient_graph(lib, dims, mode, grid_requires_grad, grad_requires_grad):
    x = lib.tensor(np.random.RandomState(0).randn(*(1, 2) + (3,) * dims), requires_grad=True)
    grid = lib.tensor(np.random.RandomState(1).uniform(-1, 1, (1,) + (2,) * dims + (dims,)),
                      requires_grad=grid_requires_grad)
    y = lib.nn.functional.grid_sample(x, grid, mode=mode, align_corners=False)
    grad = lib.tensor(np.random.RandomState(2).randn(*y.shape), requires_grad=grad_requires_grad)
    inputs = [x, grid] if grid_requires_grad else [x]
    gradients = lib.autograd.grad(y, inputs, grad, create_graph=True)
    shown = [(g.requires_grad, g.grad_fn.name(), [node is None for node, _ in g.grad_fn.next_functions])
             for g in gradients]
    penalty = sum((g * g).sum() for g in gradients)
    return shown, lib.autograd.grad(penalty, inputs + [grad] * grad_requires_grad, allow_unused=True)


@pytest.mark.parametrize("dims, mode", [(2, "bilinear"), (2, "nearest"), (2, "bicubic"), (3, "bilinear"),
                                        (3, "nearest")])
@pytest.mark.parametrize("grid_requires_grad", [False, True])
@pytest.mark.parametrize("grad_requires_grad", [False, True])
def test_grid_sample_gradients_are_recorded_under_its_backward_op(dims, mode, grid_requires_grad,
                                                                  grad_requires_grad):
    """PyTorch records them under GridSampler2DBackwardBackward0, reading the input: they require grad even when
    only the input does (nothing flows back to it), and nearest's zero grid gradient has zero derivative."""
    same_in_both(lambda lib: _grid_sample_gradient_graph(lib, dims, mode, grid_requires_grad, grad_requires_grad))


def test_a_grid_sample_gradient_penalty_leaves_the_input_without_gradient():
    def make(lib):
        x = lib.ones(1, 1, 3, 3, requires_grad=True)
        grid = lib.tensor([[[[0.1, -0.2], [0.5, 0.3]]]])
        y = lib.nn.functional.grid_sample(x, grid, align_corners=False)
        (gradient,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        gradient.pow(2).sum().backward()
        return gradient.requires_grad, x.grad

    assert same_in_both(make)[0] == ("True", "None")


# ---------------------------------------------------------------- embedding_bag's offsets


@pytest.mark.parametrize("offsets", [[4], [2, 6], [3, 3], [0], [0, 6]])
@pytest.mark.parametrize("include_last_offset", [False, True])
def test_embedding_bag_checks_the_first_offset_given_even_when_it_ends_the_last_bag(offsets, include_last_offset):
    def make(lib):
        weight = lib.arange(6.0).reshape(3, 2)
        return lib.nn.functional.embedding_bag(lib.tensor([0, 1, 2, 1, 0, 1]), weight, lib.tensor(offsets),
                                               include_last_offset=include_last_offset)

    same_in_both(make)


# ---------------------------------------------------------------- the layers' __constants__


def _layers_with_constants():
    """The nn classes (the convolutions' and poolings' aside) whose PyTorch class lists __constants__."""
    return sorted(name for name in dir(torch.nn)
                  if isinstance(getattr(torch.nn, name), type) and issubclass(getattr(torch.nn, name), torch.nn.Module)
                  and hasattr(getattr(torch.nn, name), "__constants__")
                  and getattr(torch.nn, name).__module__.rsplit(".", 1)[-1] not in ("conv", "pooling"))


@pytest.mark.parametrize("name", _layers_with_constants())
def test_layers_list_pytorchs_constants(name):
    """Code extending a layer reads them (``__constants__ = nn.Linear.__constants__ + [...]``)."""
    assert getattr(torchless.nn, name).__constants__ == getattr(torch.nn, name).__constants__


# ---------------------------------------------------------------- CrossMapLRN2d


@pytest.mark.parametrize("size", [1, 2, 3])
@pytest.mark.parametrize("shape", [(2, 5, 3, 3), (1, 1, 2, 2)])
def test_cross_map_lrn2d_backward_of_a_single_channel_window_fails_as_pytorchs(size, shape):
    def make(lib):
        x = lib.tensor(np.random.RandomState(0).randn(*shape).astype(np.float32), requires_grad=True)
        y = lib.nn.CrossMapLRN2d(size, 1e-3, 0.75, 2)(x)
        y.sum().backward()
        return y, x.grad

    same_in_both(make)


# ---------------------------------------------------------------- elu's saved tensors


@pytest.mark.parametrize("function", ["elu", "selu", "celu"])
@pytest.mark.parametrize("inplace", [False, True])
def test_elu_results_may_change_in_place_unless_the_node_saved_them(function, inplace):
    """The out-of-place forms' node saves the input alone (the in-place forms' saves the result)."""
    def make(lib):
        x = lib.tensor(np.random.RandomState(0).randn(3, 4), requires_grad=True)
        y = getattr(lib.nn.functional, function)(x * 1, inplace=inplace)
        lib.nn.functional.relu(y, inplace=True)
        y.sum().backward()
        return x.grad

    same_in_both(make)
