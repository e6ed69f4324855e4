"""nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d: constructor, attributes, initialisation,
repr, forward (all padding modes, output_size) and errors, against hand-written expectations, a direct
float64 reference and PyTorch."""
import math
import re
import warnings

import numpy as np
import pytest

import torchless
import torchless.nn as nn
from helpers import state_dict_from_torch
from test_conv_functional import direct_conv, direct_conv_transpose

CLASSES = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]


def spatial_of(name):
    return 1 if name.endswith("1d") else 2


# ---------------------------------------------------------------------------- without torch
def test_repr_and_attributes_of_the_course_layer():
    layer = nn.Conv2d(in_channels=3, out_channels=1, kernel_size=5, stride=1, padding=0)
    assert repr(layer) == "Conv2d(3, 1, kernel_size=(5, 5), stride=(1, 1))"
    assert (layer.kernel_size, layer.stride, layer.padding, layer.dilation) == ((5, 5), (1, 1), (0, 0), (1, 1))
    assert (layer.weight.shape, layer.bias.shape) == ((1, 3, 5, 5), (1,))
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]


def test_repr_lists_every_non_default_setting():
    layer = nn.Conv2d(4, 6, (3, 5), stride=2, padding=(1, 2), dilation=2, groups=2, bias=False, padding_mode="reflect")
    assert repr(layer) == ("Conv2d(4, 6, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2), dilation=(2, 2), groups=2, "
                           "bias=False, padding_mode=reflect)")
    assert repr(nn.ConvTranspose1d(2, 3, 3, stride=2, output_padding=1)) == (
        "ConvTranspose1d(2, 3, kernel_size=(3,), stride=(2,), output_padding=(1,))")


def test_layer_without_bias_registers_none():
    layer = nn.Conv1d(2, 3, 3, bias=False)
    assert layer.bias is None
    assert list(layer.state_dict()) == ["weight"]


@pytest.mark.parametrize("name", CLASSES)
def test_default_initialisation_is_kaiming_uniform_with_bias_in_one_over_sqrt_fan_in(name):
    from scipy import stats

    torchless.manual_seed(0)
    n = spatial_of(name)
    layer = getattr(nn, name)(48, 64, (5,) * n, groups=2)
    fan_in = layer.weight.shape[1] * 5 ** n  # kaiming_uniform(a=sqrt(5)) reduces to U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    bound = 1 / math.sqrt(fan_in)
    for values in (layer.weight.detach().numpy().ravel(), layer.bias.detach().numpy()):
        assert np.abs(values).max() <= bound
        assert stats.kstest(values, stats.uniform(-bound, 2 * bound).cdf).pvalue > 1e-3
    w = layer.weight.detach().numpy().ravel()
    assert abs(w.mean()) < 5 * bound / math.sqrt(3 * w.size)
    assert w.var() == pytest.approx(bound ** 2 / 3, rel=0.05)
    assert np.abs(w).max() > 0.99 * bound


def test_initialisation_is_reproducible_under_manual_seed():
    torchless.manual_seed(123)
    first = [p.detach().numpy().copy() for p in nn.Conv2d(3, 4, 3).parameters()]
    torchless.manual_seed(123)
    again = [p.detach().numpy() for p in nn.Conv2d(3, 4, 3).parameters()]
    following = [p.detach().numpy() for p in nn.Conv2d(3, 4, 3).parameters()]
    for a, b, c in zip(first, again, following):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


@pytest.mark.parametrize("dtype", [torchless.float32, torchless.float64])
def test_dtype_argument_sets_parameters_and_output(dtype):
    layer = nn.Conv2d(2, 3, 3, dtype=dtype)
    assert layer.weight.dtype == layer.bias.dtype == dtype
    assert layer(torchless.ones(1, 2, 5, 5, dtype=dtype)).dtype == dtype


def test_forward_matches_the_direct_reference():
    torchless.manual_seed(1)
    layer = nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2, dtype=torchless.float64)
    x = np.random.default_rng(0).standard_normal((2, 4, 9, 8))
    expected = direct_conv(x, layer.weight.detach().numpy(), layer.bias.detach().numpy(), (2, 1), ((1, 1), (0, 0)),
                           (1, 2), 2)
    np.testing.assert_allclose(layer(torchless.tensor(x)).detach().numpy(), expected, atol=1e-12)


@pytest.mark.parametrize("mode, numpy_mode", [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")])
@pytest.mark.parametrize("padding", [(2, 1), "same"])
def test_padding_modes_pad_explicitly_then_convolve(mode, numpy_mode, padding):
    pytest.importorskip("torchless.nn._functional.padding", reason="F.pad (padding modes) is not written yet")
    layer = nn.Conv2d(2, 3, (3, 4), padding=padding, padding_mode=mode, dtype=torchless.float64)
    x = np.random.default_rng(1).standard_normal((1, 2, 5, 6))
    pads = ((2, 2), (1, 1)) if padding != "same" else ((1, 1), (1, 2))
    padded = np.pad(x, ((0, 0), (0, 0)) + pads, mode=numpy_mode)
    expected = direct_conv(padded, layer.weight.detach().numpy(), layer.bias.detach().numpy(), (1, 1),
                           ((0, 0), (0, 0)), (1, 1), 1)
    np.testing.assert_allclose(layer(torchless.tensor(x)).detach().numpy(), expected, atol=1e-12)


def test_conv_transpose_output_size_picks_the_output_padding():
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, dtype=torchless.float64)
    x = np.random.default_rng(2).standard_normal((1, 2, 4, 5))
    y = layer(torchless.tensor(x), output_size=[8, 9])
    assert y.shape == (1, 3, 8, 9)
    expected = direct_conv_transpose(x, layer.weight.detach().numpy(), layer.bias.detach().numpy(), (2, 2), (1, 1),
                                     (1, 0), (1, 1), 1)
    np.testing.assert_allclose(y.detach().numpy(), expected, atol=1e-12)
    with pytest.raises(ValueError, match=re.escape("valid sizes range from [7, 9] to [8, 10]")):
        layer(torchless.tensor(x), output_size=[9, 9])


def test_gradients_reach_weight_and_bias():
    layer = nn.Conv1d(2, 2, 3, padding=1, dtype=torchless.float64)
    x = torchless.tensor(np.random.default_rng(3).standard_normal((2, 2, 6)))
    layer(x).sum().backward()
    x_np = x.numpy()
    # d(sum y)/d w[o, c, k] = sum over batch and positions of the input tap x[n, c, l + k - 1]
    padded = np.pad(x_np, ((0, 0), (0, 0), (1, 1)))
    expected = np.stack([padded[:, :, k:k + 6].sum(axis=(0, 2)) for k in range(3)], axis=-1)
    np.testing.assert_allclose(layer.weight.grad.numpy(), np.broadcast_to(expected, (2, 2, 3)), atol=1e-12)
    np.testing.assert_allclose(layer.bias.grad.numpy(), [12.0, 12.0])


# ---------------------------------------------------------------------------- against torch
CONSTRUCTIONS = [
    ("Conv2d", (3, 1, 5), {}),
    ("Conv2d", (3, 6, (3, 5)), dict(stride=2, padding=(1, 2), dilation=2, groups=3, bias=False, padding_mode="reflect")),
    ("Conv2d", (3, 6, [3, 2]), dict(stride=[1, 2], padding=[0, 1])),
    ("Conv2d", (2, 4, 4), dict(padding="same", dilation=(1, 3))),
    ("Conv2d", (2, 4, 3), dict(padding="valid", padding_mode="circular")),
    ("Conv2d", (2, 4, 3), dict(padding=(0, 0), dilation=1, groups=1)),
    ("Conv2d", (2, 4, 3), dict(padding_mode="replicate", padding=1)),
    ("Conv2d", (4, 0, 3), {}),
    ("Conv2d", (0, 4, 3), {}),
    ("Conv2d", (2, 4, (3, 3, 3)), {}),
    ("Conv1d", (3, 6, 3), dict(padding=2, padding_mode="circular")),
    ("Conv1d", (3, 6, 4), dict(padding="same", dilation=2)),
    ("ConvTranspose2d", (4, 6, 3), dict(groups=2, stride=2, output_padding=1, dilation=2)),
    ("ConvTranspose2d", (4, 6, (2, 3)), dict(padding=(1, 0), bias=False)),
    ("ConvTranspose1d", (3, 6, 3), dict(stride=3, output_padding=2)),
]
ATTRIBUTES = ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "transposed",
              "output_padding", "groups", "padding_mode", "_reversed_padding_repeated_twice"]


def describe(layer):
    return ({a: getattr(layer, a) for a in ATTRIBUTES}, repr(layer).replace("torchless", "torch"),
            tuple(layer.weight.shape), None if layer.bias is None else tuple(layer.bias.shape),
            [name for name, _ in layer.named_parameters()], str(layer.weight.dtype).replace("torchless", "torch"))


@pytest.mark.parametrize("name, args, kwargs", CONSTRUCTIONS)
def test_constructor_attributes_repr_and_warnings_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, torchless):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layer = getattr(lib.nn, name)(*args, **kwargs)
        results.append((describe(layer), [str(w.message) for w in caught]))
    assert results[1] == results[0]


def outcome(fn):
    try:
        return "ok", repr(fn()).replace("torchless", "torch")
    except Exception as exc:
        text = str(exc).replace("torchless", "torch")
        # PyTorch prints Python sets, whose order changes from run to run: compare their contents.
        text = re.sub(r"\{[^{}]*\}", lambda m: "{" + ", ".join(sorted(m.group(0)[1:-1].split(", "))) + "}", text)
        return type(exc).__name__, text


BAD_CONSTRUCTIONS = [
    ("Conv2d", (3, 6, 3), dict(groups=2)),
    ("Conv2d", (4, 6, 3), dict(groups=4)),
    ("Conv2d", (4, 6, 3), dict(groups=0)),
    ("Conv2d", (4, 6, 3), dict(groups=-2)),
    ("Conv2d", (4, 6, 3), dict(padding="full")),
    ("Conv1d", (4, 6, 3), dict(padding="same", stride=2)),
    ("Conv2d", (4, 6, 3), dict(padding="same", stride=(1, 2))),
    ("Conv2d", (4, 6, 3), dict(padding_mode="zero")),
    ("ConvTranspose2d", (4, 6, 3), dict(padding_mode="reflect")),
    ("ConvTranspose1d", (4, 6, 3), dict(padding_mode="nope")),
    ("Conv2d", (4, -6, 3), {}),
    ("Conv2d", (2, 4, -1), {}),
    ("Conv2d", (2, 4), {}),
    ("ConvTranspose2d", (2,), {}),
    ("Conv2d", (2, 4, 3), dict(dtype="float64")),
]


@pytest.mark.parametrize("name, args, kwargs", BAD_CONSTRUCTIONS)
def test_constructor_errors_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, torchless):
        kw = {k: getattr(lib, v) if k == "dtype" else v for k, v in kwargs.items()}
        results.append(outcome(lambda: getattr(lib.nn, name)(*args, **kw)))
    assert results[1] == results[0]


def copy_layer(torch, name, args, kwargs, dtype="float64"):
    """The same layer in both libraries, torch's parameters copied into torchless's."""
    theirs = getattr(torch.nn, name)(*args, **kwargs, dtype=getattr(torch, dtype))
    ours = getattr(nn, name)(*args, **kwargs, dtype=getattr(torchless, dtype))
    ours.load_state_dict(state_dict_from_torch(theirs))
    return theirs, ours


FORWARDS = [
    ("Conv2d", (3, 4, 3), dict(padding=1), (2, 3, 7, 6)),
    ("Conv2d", (4, 6, (2, 3)), dict(stride=(2, 1), dilation=(1, 2), groups=2),
     (3, 4, 9, 9)),
    ("Conv2d", (2, 4, 4), dict(padding="same", dilation=(1, 3)), (2, 7, 8)),
    ("Conv2d", (2, 4, 3), dict(padding=(2, 1), padding_mode="reflect"), (1, 2, 5, 6)),
    ("Conv2d", (2, 4, 4), dict(padding="same", padding_mode="circular"), (1, 2, 5, 6)),
    ("Conv2d", (2, 4, 3), dict(padding=1, padding_mode="replicate", bias=False), (2, 5, 6)),
    ("Conv1d", (3, 2, 5), dict(stride=2, padding=2, padding_mode="circular"), (2, 3, 11)),
    ("Conv1d", (3, 2, 2), dict(padding="same"), (3, 7)),
    ("ConvTranspose2d", (4, 6, 3), dict(groups=2, stride=2, output_padding=1, dilation=2), (2, 4, 3, 4)),
    ("ConvTranspose1d", (3, 2, 4), dict(stride=3, padding=1, output_padding=2), (3, 5)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, args, kwargs, shape", FORWARDS)
def test_forward_and_gradients_match_torch(name, args, kwargs, shape, dtype):
    torch = pytest.importorskip("torch")
    if "padding_mode" in kwargs:
        pytest.importorskip("torchless.nn._functional.padding", reason="F.pad (padding modes) is not written yet")
    theirs, ours = copy_layer(torch, name, args, kwargs, dtype)
    x = np.random.default_rng(4).standard_normal(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = theirs(torch.tensor(x, dtype=getattr(torch, dtype)))
    expected.square().sum().backward()
    got = ours(torchless.tensor(x, dtype=getattr(torchless, dtype)))
    got.square().sum().backward()
    rtol = 1e-4 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=rtol, atol=rtol)
    for (key, theirs_p), ours_p in zip(theirs.named_parameters(), ours.parameters()):
        np.testing.assert_allclose(ours_p.grad.numpy(), theirs_p.grad.numpy(), rtol=rtol, atol=rtol * 10, err_msg=key)


@pytest.mark.parametrize("input_shape, output_size", [
    ((1, 2, 5, 5), [10, 10]), ((1, 2, 5, 5), [1, 4, 12, 11]), ((1, 2, 5, 5), [13, 10]), ((1, 2, 5, 5), [1, 10]),
    ((1, 2, 5, 5), [4, 10, 10]), ((2, 5, 5), [10, 10]), ((2, 5, 5), [4, 11, 12]), ((1, 2, 5, 5), (11, 12)),
    ((1, 2, 5, 5), "size"),
])
def test_conv_transpose_output_size_matches_torch(input_shape, output_size):
    torch = pytest.importorskip("torch")
    theirs, ours = copy_layer(torch, "ConvTranspose2d", (2, 4, 3), dict(stride=2))
    results = []
    for lib, layer in ((torch, theirs), (torchless, ours)):
        size = lib.zeros(1, 4, 11, 12).shape if output_size == "size" else output_size
        results.append(outcome(lambda: layer(lib.ones(*input_shape, dtype=lib.float64), output_size=size).shape))
    assert results[1] == results[0]
