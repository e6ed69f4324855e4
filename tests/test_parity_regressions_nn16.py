"""Regression tests of nn16: activations, losses, normalization, dropout, linear and embedding against PyTorch."""
import numpy as np
import pytest

import torchless
import torchless.nn.functional as F


def _error(fn):
    try:
        fn()
    except Exception as error:  # noqa: BLE001 - the exception itself is compared
        return type(error), str(error).replace("torchless", "torch")
    return None


def _same_error(call):
    torch = pytest.importorskip("torch")
    expected, actual = _error(lambda: call(torch)), _error(lambda: call(torchless))
    assert expected is not None and actual == expected


@pytest.mark.parametrize("call", [
    lambda t: t.nn.functional.linear(t.ones(2, 3)),
    lambda t: t.nn.functional.linear(weight=t.ones(2, 3)),
    lambda t: t.nn.functional.linear(),
    lambda t: t.nn.functional.linear(1),
    lambda t: t.nn.functional.linear(t.ones(2, 3), t.ones(4, 3), None, 1),
    lambda t: t.nn.functional.bilinear(t.ones(2, 3), weight=t.ones(2, 3, 3)),
    lambda t: t.nn.functional.bilinear(1),
    lambda t: t.nn.functional.bilinear(),
])
def test_linear_and_bilinear_missing_arguments_have_the_parsers_message(call):
    _same_error(call)


def test_missing_argument_message_torch_free():
    with pytest.raises(TypeError) as info:
        F.linear(torchless.ones(2, 3))
    assert str(info.value) == 'linear() missing 1 required positional arguments: "weight"'
    with pytest.raises(TypeError) as info:
        F.threshold_(torchless.ones(2))
    assert str(info.value) == 'threshold_() missing 2 required positional argument: "threshold", "value"'


@pytest.mark.parametrize("call", [
    lambda t: t.nn.functional.elu_(),
    lambda t: t.nn.functional.rrelu_(lower=0.1),
    lambda t: t.nn.functional.softplus(),
    lambda t: t.nn.functional.gelu(approximate="tanh"),
    lambda t: t.nn.functional.logsigmoid(),
    lambda t: t.nn.functional.hardshrink(),
    lambda t: t.nn.functional.softshrink(),
    lambda t: t.nn.functional.leaky_relu_(),
    lambda t: t.nn.functional.hardtanh_(),
    lambda t: t.nn.functional.celu_(),
    lambda t: t.nn.functional.threshold_(t.ones(2), value=1),
    lambda t: t.nn.functional.threshold_(1, value=1),
    lambda t: t.nn.functional.threshold_(t.ones(2), "a"),
])
def test_native_activations_missing_arguments_have_the_parsers_message(call):
    _same_error(call)


@pytest.mark.parametrize("args, kwargs", [((2.0, 0.5, 3), {}), ((), {"scale": 2, "input_scale": 0.25}),
                                          ((-1.0, 2.0), {}), ((1, 1, 1, 1), {})])
def test_elu_in_place_takes_scale_and_input_scale(args, kwargs):
    torch = pytest.importorskip("torch")
    x = np.random.RandomState(0).randn(3, 4)

    def run(lib):
        a = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.elu_(a * 1, *args, **kwargs)
        y.sum().backward()
        return y.detach().numpy(), a.grad.numpy()

    expected, actual = _error(lambda: run(torch)), _error(lambda: run(torchless))
    assert expected == actual
    if expected is None:
        for e, a in zip(run(torch), run(torchless)):
            np.testing.assert_allclose(a, e, rtol=1e-10)


def test_elu_in_place_scale_torch_free():
    x = np.random.RandomState(1).randn(3, 4)
    out = F.elu_(torchless.tensor(x), 2.0, 0.5, 3).numpy()  # scale * x, or alpha * scale * (e^(input_scale x) - 1)
    np.testing.assert_allclose(out, np.where(x > 0, 0.5 * x, 2.0 * 0.5 * np.expm1(3 * x)), rtol=1e-12)


def test_rrelu_takes_its_generator():
    torch = pytest.importorskip("torch")
    x = np.random.RandomState(0).randn(3, 4)

    def run(lib, fn, **kwargs):
        return fn(lib)(lib.tensor(x), 0.1, 0.3, True, lib.Generator().manual_seed(3), **kwargs).numpy()

    for fn in (lambda lib: lib.rrelu, lambda lib: lib.rrelu_, lambda lib: lib.nn.functional.rrelu_):
        np.testing.assert_allclose(run(torchless, fn), run(torch, fn), rtol=1e-6)
    # torch-free: the same generator seed gives the same slopes, the default generator's state is untouched
    torchless.manual_seed(0)
    first = torchless.rrelu(torchless.tensor(x), 0.1, 0.3, True, torchless.Generator().manual_seed(3))
    after = torchless.rand(2)
    torchless.manual_seed(0)
    second = torchless.rrelu(torchless.tensor(x), 0.1, 0.3, True, torchless.Generator().manual_seed(3))
    assert np.array_equal(first.numpy(), second.numpy()) and np.array_equal(torchless.rand(2).numpy(), after.numpy())
    _same_error(lambda t: t.nn.functional.rrelu_(t.ones(2), generator=3))
