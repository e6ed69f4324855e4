"""The 3-D (volumetric) layers other than convolution and pooling: BatchNorm3d, InstanceNorm3d, Dropout3d
(and F.dropout3d) and the 3-D padding layers.

Checked against direct NumPy references (statistics per channel or per instance, np.pad), float64 finite
differences, statistics of the dropout masks, and PyTorch (values, gradients, running statistics, errors,
warnings, reprs).
"""
import warnings

import numpy as np
import pytest

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import assert_same_error, finite_difference_check, modules_with_same_repr, state_dict_from_torch, tensor

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


def values(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# --------------------------------------------------------------------------- BatchNorm3d
def reference_batch_norm(x, weight, bias, eps):
    """Per channel: statistics over the batch and the three volume axes, biased variance."""
    axes = (0, 2, 3, 4)
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    shape = (1, -1, 1, 1, 1)
    return (x - mean) / np.sqrt(var + eps) * weight.reshape(shape) + bias.reshape(shape)


def test_batch_norm3d_training_matches_reference_and_updates_running_statistics():
    x = values((3, 4, 2, 3, 5)) * 2 + 1
    layer = nn.BatchNorm3d(4, momentum=0.3).double()
    weight, bias = values(4, seed=1), values(4, seed=2)
    layer.weight.data = tensor(weight)
    layer.bias.data = tensor(bias)
    np.testing.assert_allclose(layer(tensor(x)).detach().numpy(), reference_batch_norm(x, weight, bias, 1e-5),
                               rtol=1e-10, atol=1e-12)
    count = x.size // 4
    channel_mean = x.mean(axis=(0, 2, 3, 4))
    unbiased_var = x.var(axis=(0, 2, 3, 4)) * count / (count - 1)
    np.testing.assert_allclose(layer.running_mean.numpy(), 0.3 * channel_mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var.numpy(), 0.7 + 0.3 * unbiased_var, rtol=1e-12)
    assert layer.num_batches_tracked.item() == 1
    layer.eval()
    expected = (x - layer.running_mean.numpy().reshape(1, -1, 1, 1, 1)) / np.sqrt(
        layer.running_var.numpy().reshape(1, -1, 1, 1, 1) + 1e-5) * weight.reshape(1, -1, 1, 1, 1) + bias.reshape(
        1, -1, 1, 1, 1)
    np.testing.assert_allclose(layer(tensor(x)).detach().numpy(), expected, rtol=1e-10, atol=1e-12)


def test_batch_norm3d_gradient_finite_differences():
    x, weight, bias = values((2, 3, 2, 3, 2), seed=3), values(3, seed=4), values(3, seed=5)
    finite_difference_check(lambda t, w, b: F.batch_norm(t, None, None, w, b, training=True), [x, weight, bias])
    layer = nn.BatchNorm3d(3).double()
    finite_difference_check(lambda t: layer(t), [x])


@pytest.mark.parametrize("rank", [2, 3, 4, 6])
def test_batch_norm3d_refuses_other_ranks(rank):
    with pytest.raises(ValueError, match=f"expected 5D input \\(got {rank}D input\\)"):
        nn.BatchNorm3d(2)(torchless.zeros((2,) * rank))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", [{}, dict(momentum=None), dict(affine=False), dict(track_running_stats=False),
                                    dict(eps=1e-3, momentum=0.5, bias=False)])
def test_batch_norm3d_matches_torch(kwargs, dtype):
    torch = pytest.importorskip("torch")
    theirs, ours = modules_with_same_repr("BatchNorm3d", 3, **kwargs)
    if dtype == np.float64:
        theirs, ours = theirs.double(), ours.double()
    ours.load_state_dict(state_dict_from_torch(theirs))
    rng = np.random.default_rng(6)
    for step in range(3):
        x = (rng.standard_normal((2, 3, 3, 2, 4)) * (step + 1)).astype(dtype)
        xt, xl = torch.tensor(x, requires_grad=True), tensor(x, requires_grad=True)
        yt, yl = theirs(xt), ours(xl)
        np.testing.assert_allclose(yl.detach().numpy(), yt.detach().numpy(), **TOL[dtype])
        assert yl.grad_fn.name() == yt.grad_fn.name()
        gy = rng.standard_normal(x.shape).astype(dtype)
        yt.backward(torch.tensor(gy))
        yl.backward(tensor(gy))
        np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), **TOL[dtype])
    for name, buffer in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].numpy(), buffer.numpy(), **TOL[dtype])
    theirs.eval(), ours.eval()
    np.testing.assert_allclose(ours(tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               **TOL[dtype])


def test_batch_norm3d_errors_match_torch():
    torch = pytest.importorskip("torch")
    for shape in [(2, 3, 4, 5), (2, 3)]:
        assert_same_error(lambda: torch.nn.BatchNorm3d(3)(torch.zeros(shape)),
                          lambda: nn.BatchNorm3d(3)(torchless.zeros(shape)))
    assert_same_error(lambda: torch.nn.BatchNorm3d(3)(torch.zeros(1, 3, 1, 1, 1)),
                      lambda: nn.BatchNorm3d(3)(torchless.zeros(1, 3, 1, 1, 1)))
    assert_same_error(lambda: torch.nn.BatchNorm3d(4)(torch.zeros(2, 3, 2, 2, 2)),
                      lambda: nn.BatchNorm3d(4)(torchless.zeros(2, 3, 2, 2, 2)))


# --------------------------------------------------------------------------- InstanceNorm3d
def reference_instance_norm(x, eps, weight=None, bias=None):
    """Per sample and channel: statistics over the three volume axes, biased variance."""
    axes = (-3, -2, -1)
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    if weight is not None:
        shape = (-1, 1, 1, 1)
        y = y * weight.reshape(shape) + bias.reshape(shape)
    return y


@pytest.mark.parametrize("shape", [(2, 3, 2, 3, 4), (3, 2, 3, 4)])
def test_instance_norm3d_matches_reference(shape):
    x = values(shape, seed=7) * 3 - 1
    np.testing.assert_allclose(nn.InstanceNorm3d(3)(tensor(x)).numpy(), reference_instance_norm(x, 1e-5),
                               rtol=1e-10, atol=1e-12)
    layer = nn.InstanceNorm3d(3, affine=True).double()
    weight, bias = values(3, seed=8), values(3, seed=9)
    layer.weight.data, layer.bias.data = tensor(weight), tensor(bias)
    np.testing.assert_allclose(layer(tensor(x)).detach().numpy(), reference_instance_norm(x, 1e-5, weight, bias),
                               rtol=1e-10, atol=1e-12)


def test_instance_norm3d_running_statistics_follow_the_batch_average():
    x = values((2, 3, 2, 3, 4), seed=10) * 2 + 0.5
    layer = nn.InstanceNorm3d(3, momentum=0.25, track_running_stats=True).double()
    layer(tensor(x))
    count = 2 * 3 * 4
    instance_mean = x.mean(axis=(2, 3, 4))
    instance_var = x.var(axis=(2, 3, 4)) * count / (count - 1)
    np.testing.assert_allclose(layer.running_mean.numpy(), 0.25 * instance_mean.mean(0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var.numpy(), 0.75 + 0.25 * instance_var.mean(0), rtol=1e-12)
    layer.eval()
    expected = (x - layer.running_mean.numpy().reshape(1, -1, 1, 1, 1)) / np.sqrt(
        layer.running_var.numpy().reshape(1, -1, 1, 1, 1) + 1e-5)
    np.testing.assert_allclose(layer(tensor(x)).numpy(), expected, rtol=1e-10, atol=1e-12)


def test_instance_norm3d_gradient_finite_differences():
    x, weight, bias = values((2, 3, 2, 2, 3), seed=11), values(3, seed=12), values(3, seed=13)
    finite_difference_check(lambda t, w, b: F.instance_norm(t, weight=w, bias=b), [x, weight, bias])
    finite_difference_check(lambda t: nn.InstanceNorm3d(3)(t), [x[0]])  # unbatched


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kwargs", [{}, dict(affine=True), dict(track_running_stats=True),
                                    dict(affine=True, track_running_stats=True, momentum=0.2)])
@pytest.mark.parametrize("shape", [(2, 3, 2, 3, 4), (3, 4, 2, 3)])
def test_instance_norm3d_matches_torch(shape, kwargs, dtype):
    torch = pytest.importorskip("torch")
    theirs, ours = modules_with_same_repr("InstanceNorm3d", 3, **kwargs)
    if dtype == np.float64:
        theirs, ours = theirs.double(), ours.double()
    ours.load_state_dict(state_dict_from_torch(theirs))
    x = values(shape, seed=14).astype(dtype)
    xt, xl = torch.tensor(x, requires_grad=True), tensor(x, requires_grad=True)
    yt, yl = theirs(xt), ours(xl)
    np.testing.assert_allclose(yl.detach().numpy(), yt.detach().numpy(), **TOL[dtype])
    assert yl.grad_fn.name() == yt.grad_fn.name()
    gy = values(shape, seed=15).astype(dtype)
    yt.backward(torch.tensor(gy))
    yl.backward(tensor(gy))
    np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), **TOL[dtype])
    for name, buffer in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].detach().numpy(), buffer.detach().numpy(), **TOL[dtype])
    theirs.eval(), ours.eval()
    np.testing.assert_allclose(ours(tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               **TOL[dtype])


def test_instance_norm3d_errors_and_warnings_match_torch():
    torch = pytest.importorskip("torch")
    for shape in [(3, 4, 5), (1, 2, 3, 4, 5, 6)]:
        assert_same_error(lambda: torch.nn.InstanceNorm3d(3)(torch.zeros(shape)),
                          lambda: nn.InstanceNorm3d(3)(torchless.zeros(shape)))
    for shape in [(3, 4, 5, 6), (2, 3, 4, 5, 6)]:
        assert_same_error(lambda: torch.nn.InstanceNorm3d(4, affine=True)(torch.zeros(shape)),
                          lambda: nn.InstanceNorm3d(4, affine=True)(torchless.zeros(shape)))
        with warnings.catch_warnings(record=True) as theirs:
            warnings.simplefilter("always")
            torch.nn.InstanceNorm3d(4)(torch.zeros(shape))
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            nn.InstanceNorm3d(4)(torchless.zeros(shape))
        assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
        assert len(ours) == 1


# --------------------------------------------------------------------------- Dropout3d
@pytest.mark.parametrize("shape", [(4, 6, 2, 3, 2), (6, 2, 3, 2)])
def test_dropout3d_zeroes_whole_channels_and_scales_the_rest(shape):
    torchless.manual_seed(0)
    x = np.abs(values(shape, seed=16)) + 1  # no zeros in the input
    out = nn.Dropout3d(0.4)(tensor(x)).numpy()
    volumes, inputs = out.reshape(-1, 12), x.reshape(-1, 12)
    dropped = (volumes == 0).all(axis=1)
    assert ((volumes != 0).all(axis=1) | dropped).all()  # each channel volume wholly kept or wholly dropped
    np.testing.assert_allclose(volumes[~dropped], inputs[~dropped] / 0.6, rtol=1e-12)
    assert dropped.any() and not dropped.all()


def test_dropout3d_drop_fraction_is_statistically_right():
    torchless.manual_seed(1)
    p, channels = 0.3, 40_000
    out = F.dropout3d(torchless.ones(4, channels // 4, 1, 2, 1), p).numpy()
    dropped = np.mean(out[:, :, 0, 0, 0] == 0)
    assert abs(dropped - p) < 5 * np.sqrt(p * (1 - p) / channels)


def test_dropout3d_is_the_identity_in_eval_mode_and_for_p_zero():
    x = torchless.randn(2, 3, 2, 2, 2)
    assert F.dropout3d(x, training=False) is x
    assert F.dropout3d(x, 0.0) is x
    layer = nn.Dropout3d(0.5).eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    unbatched = x[0]
    np.testing.assert_array_equal(F.dropout3d(unbatched, training=False).numpy(), unbatched.numpy())


def test_dropout3d_in_place_masks_the_input_itself():
    torchless.manual_seed(2)
    for shape in [(3, 8, 2, 2, 2), (8, 2, 2, 2)]:
        x = torchless.ones(shape)
        out = F.dropout3d(x, 0.5, inplace=True)
        assert out is x and x.shape == shape
        volumes = x.numpy().reshape(-1, 8)
        assert set(np.unique(volumes)) <= {0.0, 2.0}
        assert ((volumes == volumes[:, :1]).all(axis=1)).all()


def test_dropout3d_gradient_is_the_mask():
    torchless.manual_seed(3)
    x = tensor(np.ones((2, 5, 2, 2, 2)), requires_grad=True)
    out = F.dropout3d(x, 0.5)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.detach().numpy())


@pytest.mark.parametrize("shape", [(4, 5, 6), (5, 6), (6,), (1, 2, 3, 1, 1, 1)])
def test_dropout3d_warnings_for_other_ranks_match_torch(shape):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        expected = torch.nn.functional.dropout3d(torch.ones(shape), 0.5)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        actual = F.dropout3d(torchless.ones(shape), 0.5)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert len(ours) == 1
    assert actual.shape == tuple(expected.shape)
    # Taken as unbatched: the leading axis holds the channels (one draw each; one per element in 1-D).
    values_per_channel = actual.numpy().reshape(shape[0], -1) if len(shape) > 1 else actual.numpy()[:, None]
    assert (values_per_channel == values_per_channel[:, :1]).all()


def test_dropout3d_errors_match_torch():
    torch = pytest.importorskip("torch")
    for lib_call in [lambda lib: lib.nn.functional.dropout3d(lib.ones(2, 3, 2, 2, 2), 1.5),
                     lambda lib: lib.nn.functional.dropout3d(lib.ones(2, 3, 2, 2, 2), -0.1),
                     lambda lib: lib.nn.functional.dropout3d(lib.tensor(1.0), 0.5),
                     lambda lib: lib.nn.functional.dropout3d(lib.tensor(np.ones((2, 3, 2, 2, 2), np.int64)), 0.5),
                     lambda lib: lib.nn.functional.dropout3d(np.ones((2, 3, 2, 2, 2)), 0.5),
                     lambda lib: lib.nn.Dropout3d(2.0)]:
        assert_same_error(lambda: lib_call(torch), lambda: lib_call(torchless))


# --------------------------------------------------------------------------- 3-D padding layers
NUMPY_MODES = {"ReflectionPad3d": "reflect", "ReplicationPad3d": "edge", "CircularPad3d": "wrap"}


def numpy_widths(padding, ndim):
    """(before, after) per axis from PyTorch's (left, right, top, bottom, front, back)."""
    widths = [(0, 0)] * ndim
    for i in range(3):
        widths[ndim - 1 - i] = (padding[2 * i], padding[2 * i + 1])
    return widths


@pytest.mark.parametrize("padding", [1, (1, 2, 0, 3, 2, 1)])
@pytest.mark.parametrize("shape", [(2, 3, 4, 5, 6), (3, 4, 5, 6)])
def test_padding3d_layers_match_numpy_pad(shape, padding):
    x = values(shape, seed=17)
    widths = numpy_widths((padding,) * 6 if isinstance(padding, int) else padding, len(shape))
    for name, mode in NUMPY_MODES.items():
        np.testing.assert_array_equal(getattr(nn, name)(padding)(tensor(x)).numpy(), np.pad(x, widths, mode=mode))
    np.testing.assert_array_equal(nn.ConstantPad3d(padding, 2.5)(tensor(x)).numpy(),
                                  np.pad(x, widths, constant_values=2.5))
    np.testing.assert_array_equal(nn.ZeroPad3d(padding)(tensor(x)).numpy(), np.pad(x, widths))


@pytest.mark.parametrize("name, args", [("ReflectionPad3d", (1,)), ("ReplicationPad3d", ((1, 2, 0, 3, 2, 1),)),
                                        ("CircularPad3d", ((2, 1, 1, 0, 1, 2),)), ("ConstantPad3d", (1, -1.5)),
                                        ("ZeroPad3d", ((1, 0, 2, 1, 0, 1),)), ("ZeroPad3d", ((1, -1, 2, 0, -1, 1),))])
def test_padding3d_layers_gradients_and_torch(name, args):
    torch = pytest.importorskip("torch")
    x = values((2, 2, 3, 4, 3), seed=18)
    theirs, ours = modules_with_same_repr(name, *args)
    finite_difference_check(lambda t: ours(t), [x])
    xt, xl = torch.tensor(x, requires_grad=True), tensor(x, requires_grad=True)
    yt, yl = theirs(xt), ours(xl)
    np.testing.assert_array_equal(yl.detach().numpy(), yt.detach().numpy())
    assert yl.grad_fn.name() == yt.grad_fn.name()
    gy = values(tuple(yt.shape), seed=19)
    yt.backward(torch.tensor(gy))
    yl.backward(tensor(gy))
    np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


PADDING_ERRORS = [
    ("CircularPad3d", (1,), (3, 4, 5)), ("CircularPad3d", (1,), (1, 2, 3, 4, 5, 6)), ("CircularPad2d", (1,), (4, 4)),
    ("CircularPad2d", (1,), (1, 1, 2, 3, 4)), ("CircularPad1d", (1,), (4,)), ("CircularPad1d", (1,), (1, 2, 3, 4)),
    ("ReflectionPad3d", (1,), (3, 4, 5)), ("ReflectionPad3d", (4,), (2, 3, 4, 5, 6)),
    ("ReplicationPad3d", (1,), (4, 5)), ("ConstantPad3d", (1, 2.0), (4,)), ("ZeroPad3d", (1,), (4, 5)),
    ("ReflectionPad3d", ((1, 1, 1, 1),), (2, 3, 4, 5, 6)), ("CircularPad3d", (4,), (1, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("name, args, shape", PADDING_ERRORS)
def test_padding_layer_errors_match_torch(name, args, shape):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: getattr(torch.nn, name)(*args)(torch.zeros(shape)),
                      lambda: getattr(nn, name)(*args)(torchless.zeros(shape)))


# --------------------------------------------------------------------------- reprs
REPRS = [
    ("BatchNorm3d", (4,), {}),
    ("BatchNorm3d", (4, 1e-3, None, False, False), {}),
    ("InstanceNorm3d", (4,), {}),
    ("InstanceNorm3d", (4,), dict(affine=True, track_running_stats=True, momentum=0.2)),
    ("Dropout3d", (), {}),
    ("Dropout3d", (0.2, True), {}),
    ("ConstantPad3d", (1, 2.5), {}),
    ("ConstantPad3d", ((1, 2, 3, 4, 5, 6), -1), {}),
    ("ZeroPad3d", (2,), {}),
    ("ZeroPad3d", ((1, 2, 3, 4, 5, 6),), {}),
    ("ZeroPad3d", ((1, 1, 1, 1),), {}),
    ("ReflectionPad3d", (1,), {}),
    ("ReplicationPad3d", ((1, 2, 3, 4, 5, 6),), {}),
    ("CircularPad3d", (2,), {}),
]


@pytest.mark.parametrize("name, args, kwargs", REPRS)
def test_reprs_match_torch(name, args, kwargs):
    pytest.importorskip("torch")
    theirs, ours = modules_with_same_repr(name, *args, **kwargs)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
