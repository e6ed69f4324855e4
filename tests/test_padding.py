"""F.pad (constant, reflect, replicate, circular) and the padding layers.

Checked against numpy.pad, float64 finite differences and PyTorch (values, gradients, node names,
errors, reprs).
"""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import torchless
import torchless.nn.functional as F
from helpers import (Raised, assert_same_error, examples, finite_difference_check, modules_with_same_repr, outcome,
                     tensor)

FAST = examples(40)
NUMPY_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def numpy_widths(pad, ndim):
    widths = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        widths[ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return widths


# --------------------------------------------------------------------------- independent of torch
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape, pad", [((2, 3, 4, 5), (1, 2, 3, 0)), ((2, 3, 5), (2, 1)), ((3, 4, 4), (0, 3, 2, 1)),
                                        ((1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2))])
def test_positive_padding_matches_numpy_pad(mode, shape, pad):
    x = np.random.default_rng(0).standard_normal(shape)
    out = F.pad(tensor(x), pad, mode=mode)
    np.testing.assert_array_equal(out.numpy(), np.pad(x, numpy_widths(pad, x.ndim), mode=NUMPY_MODES[mode]))


def test_constant_value_and_negative_crop():
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(F.pad(tensor(x), (1, 0), value=-7).numpy(), np.pad(x, [(0, 0), (1, 0)],
                                                                                      constant_values=-7))
    np.testing.assert_array_equal(F.pad(tensor(x), (-1, 2, 0, -2)).numpy(), np.pad(x[:1, 1:], [(0, 0), (0, 2)]))
    np.testing.assert_array_equal(F.pad(tensor(x), (1, 1), mode="reflect").numpy()[:, 0], x[:, 1])


def test_output_never_aliases_the_input():
    x = tensor(np.zeros((2, 3)))
    for pad in [(0, 0), (), (-1, 0)]:
        out = F.pad(x, pad)
        out.numpy()[...] = 1
        assert x.numpy().sum() == 0


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_gradients_finite_differences(mode):
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    pad = (2, 1, -1, 2) if mode != "reflect" else (2, 1, 1, 2)
    finite_difference_check(lambda t: F.pad(t, pad, mode=mode), [x], rtol=1e-7, atol=1e-8, seed=2)


# --------------------------------------------------------------------------- against PyTorch
@st.composite
def pad_case(draw):
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    padded = draw(st.integers(1, 3))
    ndim = draw(st.integers(padded + 1, padded + 2)) if mode != "constant" else draw(st.integers(padded, 4))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(ndim))
    pad = tuple(draw(st.integers(-2, 3)) for _ in range(2 * padded))
    return mode, shape, pad


@FAST
@given(pad_case(), st.sampled_from([np.float32, np.float64]))
def test_pad_matches_torch(case, dtype):
    torch = pytest.importorskip("torch")
    mode, shape, pad = case
    x = np.random.default_rng(3).standard_normal(shape).astype(dtype)
    xt, xl = torch.tensor(x, requires_grad=True), tensor(x, requires_grad=True)
    expected = outcome(lambda: torch.nn.functional.pad(xt, pad, mode=mode))
    actual = outcome(lambda: F.pad(xl, pad, mode=mode))
    # PyTorch's circular pad can trip over its own memory-overlap check when a width exceeds what its
    # crop left (an implementation artefact, not an argument check); torchless pads those cases.
    assume(not (isinstance(expected, Raised) and "single memory location" in expected.message))
    if isinstance(expected, Raised):
        assert actual == expected
        return
    # PyTorch's circular padding reads uninitialised memory when a width exceeds what its crop left.
    assume(mode != "circular" or all(lo <= n + min(hi, 0) and hi <= n + min(lo, 0)
                                     for n, (lo, hi) in zip(shape[::-1], zip(pad[::2], pad[1::2]))))
    assume(expected.numel() > 0)
    np.testing.assert_array_equal(actual.detach().numpy(), expected.detach().numpy())
    assert actual.grad_fn.name() == expected.grad_fn.name()
    grad = np.random.default_rng(4).standard_normal(tuple(expected.shape)).astype(dtype)
    expected.backward(torch.tensor(grad))
    actual.backward(tensor(grad))
    np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_integer_and_tensor_values_match_torch():
    torch = pytest.importorskip("torch")
    x = np.arange(6).reshape(2, 3)
    for value in (1.5, 7):
        expected = torch.nn.functional.pad(torch.tensor(x), (1, 1), value=value)
        actual = F.pad(tensor(x), (1, 1), value=value)
        assert actual.dtype == torchless.int64
        np.testing.assert_array_equal(actual.numpy(), expected.numpy())
    expected = torch.nn.functional.pad(torch.tensor(x * 1.0), (1, 0), value=torch.tensor(2.0))
    np.testing.assert_array_equal(F.pad(tensor(x * 1.0), (1, 0), value=tensor(2.0)).numpy(), expected.numpy())


ERRORS = [
    ((2, 3, 4, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9, 10), {}),
    ((2, 3, 4, 5), (1,), {}),
    ((2, 3, 4, 5), (1, 2, 3), dict(mode="reflect")),
    ((2, 3, 4, 5), (1, 2), dict(mode="reflect")),
    ((2, 3, 4, 5), (1, 2), dict(mode="replicate")),
    ((2, 3, 4, 5), (1, 2), dict(mode="circular")),
    ((2, 3, 4, 5), (1, 2, 3, 4), dict(mode="reflect")),
    ((2, 3, 4, 5), (5, 2, 1, 1), dict(mode="reflect")),
    ((1, 2, 3, 4, 5), (1, 1, 1, 1, 3, 3), dict(mode="reflect")),
    ((2, 3, 4, 5), (1, 2), dict(mode="foo")),
    ((2, 3, 4, 5), (1, 1, 1, 1, 1), dict(mode="foo")),
    ((2, 3, 4, 5), (1, 1, 1, 1), dict(mode="reflect", value=1)),
    ((2, 3, 4, 5), (6, 1, 0, 0), dict(mode="circular")),
    ((2, 3, 4, 5), (-3, -3, 0, 0), dict(mode="circular")),
    ((2, 3, 4, 5), (-3, -3, 0, 0), dict(mode="reflect")),
    ((2, 3), (0, -3), dict(mode="reflect")),
    ((2, 3), (-1, -3), dict(mode="replicate")),
    ((2, 3, 4), (0, -4, 0, -3), dict(mode="reflect")),
    ((2, 3, 4), (0, -4, 0, -3), dict(mode="replicate")),
    ((2, 3, 4), (0, -5, 0, 0), dict(mode="replicate")),
    ((1, 2, 3, 4), (0, -4, 0, -3, 0, -2), dict(mode="replicate")),
    ((1, 2, 3, 4), (0, -5, 0, 0, 0, 0), dict(mode="reflect")),
    ((2, 3, 4, 5), (-3, -3, 0, 0), dict(mode="replicate")),
    ((2, 3, 4, 5), (-6, 1), {}),
    ((4,), (1, 2), dict(mode="reflect")),
    ((3, 4), (1, 2, 1, 1), dict(mode="replicate")),
    ((2, 0, 4, 5), (1, 1, 1, 1), dict(mode="reflect")),
    ((2, 3, 0, 5), (1, 1, 1, 1), dict(mode="replicate")),
    ((3,), (1, 1, 1, 1), {}),
]


@pytest.mark.parametrize("shape, pad, kwargs", ERRORS)
def test_errors_match_torch(shape, pad, kwargs):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: torch.nn.functional.pad(torch.zeros(shape), pad, **kwargs),
                      lambda: F.pad(torchless.zeros(shape), pad, **kwargs))


@pytest.mark.parametrize("pad", [1, (1.5, 2), (True, 1), None])
def test_pad_argument_type_errors_match_torch(pad):
    torch = pytest.importorskip("torch")
    assert outcome(lambda: F.pad(torchless.zeros(2, 3), pad)) == \
           outcome(lambda: torch.nn.functional.pad(torch.zeros(2, 3), pad))
    assert outcome(lambda: F.pad(None, (1, 1))) == outcome(lambda: torch.nn.functional.pad(None, (1, 1)))


MODULES = [
    ("ZeroPad2d", (2,)), ("ZeroPad2d", ((1, 2, 3, 4),)), ("ZeroPad1d", (1,)), ("ConstantPad2d", (2, 3.5)),
    ("ConstantPad1d", ((1, 2), 3)), ("ReflectionPad2d", (1,)), ("ReflectionPad1d", (2,)),
    ("ReplicationPad2d", ((1, 2, 3, 0),)), ("ReplicationPad1d", (2,)), ("CircularPad2d", (1,)), ("CircularPad1d", (2,)),
]


@pytest.mark.parametrize("name, args", MODULES)
def test_modules_match_torch(name, args):
    torch = pytest.importorskip("torch")
    expected_module, module = modules_with_same_repr(name, *args)
    assert module.padding == expected_module.padding
    x = np.random.default_rng(5).standard_normal((2, 3, 4, 5) if "2d" in name else (2, 3, 5))
    np.testing.assert_array_equal(module(tensor(x)).numpy(), expected_module(torch.tensor(x)).numpy())
