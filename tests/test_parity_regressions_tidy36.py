"""Behaviour the tidy36 merges must keep: the activation layers that now share a base (inplace-only, alpha,
lambd), ZeroPad1d/2d/3d (one mixin), the convolutions (their __init__ an owned copy of their base's) and
dropout2d/dropout3d's rank warning (one helper). Constructors' TypeErrors, reprs, attributes and values are
compared with PyTorch at run time; a first section checks them against hand-written expectations without torch."""
import ast
import inspect
import os
import subprocess
import sys

import numpy as np
import pytest

import torchless
from torchless import nn

_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")

# The merged classes, with constructor arguments to build each (positional, keyword)
_INPLACE_ONLY = ["ReLU", "SiLU", "SELU", "Mish", "Hardsigmoid", "Hardswish"]
_ALPHA = ["ELU", "CELU"]
_SHRINK = ["Hardshrink", "Softshrink"]
_ZERO_PADS = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d"]
_CONVS = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

_CONSTRUCTIONS = (
    [(name, (), {}) for name in _INPLACE_ONLY] + [(name, (True,), {}) for name in _INPLACE_ONLY]
    + [(name, (), {"inplace": True}) for name in _INPLACE_ONLY]
    + [(name, (), {}) for name in _ALPHA] + [(name, (2.5, True), {}) for name in _ALPHA]
    + [(name, (), {"alpha": 0.5}) for name in _ALPHA]
    + [(name, (), {}) for name in _SHRINK] + [(name, (0.25,), {}) for name in _SHRINK]
    + [(name, (), {"lambd": 2}) for name in _SHRINK]
    + [(name, (1,), {}) for name in _ZERO_PADS] + [(name, (), {"padding": 3}) for name in _ZERO_PADS]
    + [("ZeroPad1d", ((1, 2),), {}), ("ZeroPad2d", ((1, 2, 3, 4),), {}), ("ZeroPad3d", ((1, 2, 3, 4, 5, 6),), {})]
    + [(name, (2, 4, 3), {}) for name in _CONVS]
    + [(name, (2, 4, 3), {"stride": 2, "padding": 1, "bias": False, "groups": 2}) for name in _CONVS]
    + [("Conv2d", (2, 4, (3, 1)), {"padding": "same", "dilation": 2, "padding_mode": "reflect"}),
       ("ConvTranspose2d", (2, 4, 3), {"output_padding": 1, "stride": 2, "dilation": (1, 2)})]
)

# Bad constructor calls: each must raise the same exception, with the same message, as PyTorch's
_BAD_CALLS = (
    [(name, (True, 1), {}) for name in _INPLACE_ONLY] + [(name, (), {"bogus": 1}) for name in _INPLACE_ONLY]
    + [(name, (1.0, True, 3), {}) for name in _ALPHA] + [(name, (), {"lambd": 1}) for name in _ALPHA]
    + [(name, (0.5, 1), {}) for name in _SHRINK] + [(name, (), {"alpha": 1}) for name in _SHRINK]
    + [(name, (), {}) for name in _ZERO_PADS] + [(name, (1, 2), {}) for name in _ZERO_PADS]
    + [(name, (1,), {"value": 2.0}) for name in _ZERO_PADS]
    + [(name, (), {}) for name in _CONVS] + [(name, (1, 2), {}) for name in _CONVS]
    + [(name, (1, 1, 1), {"bogus": 1}) for name in _CONVS]
    + [(name, (1, 1, 1, 1, 0, 1, 1, True, "zeros", None, None, 12), {}) for name in _CONVS]
    + [("Conv2d", (2, 4, 3), {"output_padding": 1}), ("ConvTranspose2d", (2, 4, 3), {"padding_mode": "reflect"}),
       ("Conv2d", (3, 4, 3), {"groups": 2}), ("Conv2d", (2, 4, 3), {"padding_mode": "wrap"})]
)


def _outcome(factory):
    """What a call gives: ("ok", repr) or (exception type name, message)."""
    try:
        return "ok", repr(factory())
    except Exception as error:  # noqa: BLE001  (any exception is compared)
        return type(error).__name__, str(error)


def _public_attributes(module):
    """The module's own settings in the order they were set (vars without Module's bookkeeping)."""
    return [key for key in vars(module) if not key.startswith("_") and key != "training"]


def _parameters(cls):
    """A constructor's parameters: name, kind and default (PyTorch's annotations left out)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(cls).parameters.values()]


# ---------------------------------------------------------------------------- without torch

@pytest.mark.parametrize("make, expected", [
    (lambda: nn.ReLU(inplace=True), "ReLU(inplace=True)"),
    (lambda: nn.SiLU(), "SiLU()"),
    (lambda: nn.Hardsigmoid(True), "Hardsigmoid()"),
    (lambda: nn.Hardswish(inplace=True), "Hardswish()"),
    (lambda: nn.ELU(2.0, True), "ELU(alpha=2.0, inplace=True)"),
    (lambda: nn.CELU(), "CELU(alpha=1.0)"),
    (lambda: nn.Hardshrink(0.3), "Hardshrink(0.3)"),
    (lambda: nn.Softshrink(), "Softshrink(0.5)"),
    (lambda: nn.ZeroPad2d((1, 1, 2, 0)), "ZeroPad2d((1, 1, 2, 0))"),
    (lambda: nn.ZeroPad1d(2), "ZeroPad1d((2, 2))"),
    (lambda: nn.Conv2d(2, 4, 3), "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1))"),
    (lambda: nn.ConvTranspose1d(2, 4, 3, bias=False),
     "ConvTranspose1d(2, 4, kernel_size=(3,), stride=(1,), bias=False)"),
])
def test_repr_by_hand(make, expected):
    assert repr(make()) == expected


@pytest.mark.parametrize("make, expected", [
    (lambda: nn.ReLU(True, 1), "ReLU.__init__() takes from 1 to 2 positional arguments but 3 were given"),
    (lambda: nn.Hardswish(bogus=1), "Hardswish.__init__() got an unexpected keyword argument 'bogus'"),
    (lambda: nn.CELU(1.0, True, 3), "CELU.__init__() takes from 1 to 3 positional arguments but 4 were given"),
    (lambda: nn.Softshrink(alpha=1), "Softshrink.__init__() got an unexpected keyword argument 'alpha'"),
    (lambda: nn.ZeroPad3d(), "ZeroPad3d.__init__() missing 1 required positional argument: 'padding'"),
    (lambda: nn.Conv3d(1), "Conv3d.__init__() missing 2 required positional arguments: 'out_channels' and "
                           "'kernel_size'"),
    (lambda: nn.ConvTranspose2d(1, 1, 1, bogus=1), "ConvTranspose2d.__init__() got an unexpected keyword argument "
                                                   "'bogus'"),
    (lambda: nn.ReLU().extra_repr(1), "ReLU.extra_repr() takes 1 positional argument but 2 were given"),
    (lambda: nn.ZeroPad2d(1).extra_repr(1), "ZeroPad2d.extra_repr() takes 1 positional argument but 2 were given"),
])
def test_type_errors_name_the_public_class(make, expected):
    with pytest.raises(TypeError) as caught:
        make()
    assert str(caught.value) == expected


def test_merged_layers_keep_their_attributes_and_classes():
    assert isinstance(nn.ZeroPad2d(1), nn.ConstantPad2d) and nn.ZeroPad2d(1).value == 0.0
    assert _public_attributes(nn.ELU(2.0)) == ["alpha", "inplace"]
    assert _public_attributes(nn.Softshrink(0.1)) == ["lambd"]
    assert nn.ReLU.__constants__ == ["inplace"] and nn.CELU.__constants__ == ["alpha", "inplace"]
    assert list(inspect.signature(nn.Conv2d).parameters) == [
        "in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
        "padding_mode", "device", "dtype"]
    transposed = list(inspect.signature(nn.ConvTranspose2d).parameters)
    assert transposed[5:9] == ["output_padding", "groups", "bias", "dilation"]


def test_values_against_numpy_float64():
    x64 = np.linspace(-3.0, 3.0, 13)
    x = torchless.tensor(x64.astype(np.float32))
    x32 = x64.astype(np.float32).astype(np.float64)  # the float32 inputs, exactly
    expected = {
        "relu": np.maximum(x32, 0),
        "elu": np.where(x32 > 0, x32, 2.0 * np.expm1(x32)),
        "celu": np.maximum(x32, 0) + np.minimum(0, 2.0 * np.expm1(x32 / 2.0)),
        "hardshrink": np.where(np.abs(x32) > 1.0, x32, 0.0),
        "softshrink": np.where(x32 > 1.0, x32 - 1.0, np.where(x32 < -1.0, x32 + 1.0, 0.0)),
        "hardsigmoid": np.clip(x32 / 6 + 0.5, 0, 1),
    }
    got = {"relu": nn.ReLU()(x), "elu": nn.ELU(2.0)(x), "celu": nn.CELU(2.0)(x), "hardshrink": nn.Hardshrink(1.0)(x),
           "softshrink": nn.Softshrink(1.0)(x), "hardsigmoid": nn.Hardsigmoid()(x)}
    for name, want in expected.items():
        np.testing.assert_allclose(got[name].numpy(), want, rtol=1e-6, atol=1e-7, err_msg=name)
    inplace = x.clone()
    assert nn.ReLU(inplace=True)(inplace) is inplace and np.array_equal(inplace.numpy(), np.maximum(x32, 0))
    image = np.arange(6.0, dtype=np.float32).reshape(1, 2, 3)
    padded = nn.ZeroPad2d((1, 0, 2, 1))(torchless.tensor(image)).numpy()
    assert np.array_equal(padded, np.pad(image, ((0, 0), (2, 1), (1, 0))))


_WARNING_SCRIPT = """
import sys, warnings
sys.path.insert(0, sys.argv[1])
import {lib} as torch
warnings.simplefilter("always")
rows = []
for name, shape in (("dropout2d", (2, 3)), ("dropout2d", (2, 3, 4, 5, 6)), ("dropout3d", (2, 3, 4)),
                    ("dropout3d", (2, 3, 4, 5, 6, 7))):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        getattr(torch.nn.functional, name)(torch.ones(*shape), 0.5, True)
        line = sys._getframe().f_lineno - 1
    rows.append([(str(w.message), w.category.__name__, w.filename == __file__, w.lineno == line) for w in caught])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        getattr(torch.nn, name.capitalize())(0.5)(torch.ones(*shape))
    rows.append([(str(w.message), w.category.__name__) for w in caught])
print(repr(rows))
"""


def _warnings_of(lib, tmp_path):
    script = tmp_path / f"warn_{lib}.py"
    script.write_text(_WARNING_SCRIPT.format(lib=lib))
    done = subprocess.run([sys.executable, str(script), _SRC], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return ast.literal_eval(done.stdout)


def test_dropout_rank_warnings_by_hand(tmp_path):
    rows = _warnings_of("torchless", tmp_path)
    assert rows[0] == [("dropout2d: Received a 2-D input to dropout2d, which is deprecated and will result in an "
                        "error in a future release. To retain the behavior and silence this warning, please use "
                        "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                        "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                        "inputs).", "UserWarning", True, True)]
    assert rows[4][0][0].startswith("dropout3d: Received a 3-D input to dropout3d,")
    assert "with 3 spatial dimensions" in rows[4][0][0] and rows[4][0][0].endswith("(i.e. 4D or 5D inputs).")
    assert rows[4][0][2:] == (True, True)
    assert [len(row) for row in rows] == [1, 1, 1, 1, 1, 1, 1, 1]


# ---------------------------------------------------------------------------- against torch

@pytest.mark.parametrize("name, args, kwargs", _CONSTRUCTIONS + _BAD_CALLS)
def test_construction_matches_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    ours = _outcome(lambda: getattr(nn, name)(*args, **kwargs))
    theirs = _outcome(lambda: getattr(torch.nn, name)(*args, **kwargs))
    assert ours == theirs


@pytest.mark.parametrize("name, args, kwargs", _CONSTRUCTIONS)
def test_attributes_constants_and_signature_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    if name in _ZERO_PADS:  # (PyTorch sets value before padding, torchless after: left as it was)
        assert sorted(_public_attributes(ours)) == sorted(_public_attributes(theirs))
    else:
        assert _public_attributes(ours) == _public_attributes(theirs)
    for key in _public_attributes(theirs):
        if key not in ("weight", "bias"):
            assert getattr(ours, key) == getattr(theirs, key), key
    assert type(ours).__constants__ == type(theirs).__constants__
    assert _parameters(type(ours)) == _parameters(type(theirs))
    assert isinstance(ours, getattr(nn, type(theirs).__mro__[1].__name__, object))
    assert _outcome(lambda: ours.extra_repr(1)) == _outcome(lambda: theirs.extra_repr(1))
    assert _outcome(lambda: ours.forward()) == _outcome(lambda: theirs.forward())


@pytest.mark.parametrize("name, args, kwargs", [c for c in _CONSTRUCTIONS if c[0] not in _CONVS])
def test_forward_matches_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(36).standard_normal((2, 3, 4, 5, 3)).astype(np.float32) * 3
    rank = {"ZeroPad1d": 3, "ZeroPad2d": 4}.get(name, 5)
    values = values.reshape(values.shape[:rank - 1] + (-1,))
    ours_input, theirs_input = torchless.tensor(values), torch.tensor(values)
    ours = getattr(nn, name)(*args, **kwargs)(ours_input)
    theirs = getattr(torch.nn, name)(*args, **kwargs)(theirs_input)
    if name in ("SiLU", "SELU", "Mish", "ELU", "CELU"):  # (exp / log1p / tanh: within float32 rounding)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-6, atol=1e-7)
        np.testing.assert_allclose(ours_input.numpy(), theirs_input.numpy(), rtol=2e-6, atol=1e-7)
    else:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        np.testing.assert_array_equal(ours_input.numpy(), theirs_input.numpy())  # (in place or not, alike)


def test_dropout_rank_warnings_match_torch(tmp_path):
    pytest.importorskip("torch")
    assert _warnings_of("torchless", tmp_path) == _warnings_of("torch", tmp_path)
