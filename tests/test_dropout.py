"""Dropout, Dropout1d, Dropout2d: masks, scaling, statistics, determinism, train/eval, errors and reprs."""
import warnings

import numpy as np
import pytest

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import assert_same_error


def test_training_output_is_zero_or_scaled_input():
    x = torchless.rand(200, 50) + 1  # no zeros in the input
    out = F.dropout(x, 0.3).numpy()
    kept = out != 0
    np.testing.assert_allclose(out[kept], x.numpy()[kept] / 0.7, rtol=1e-6)
    assert out.dtype == np.float32


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_drop_fraction_and_mean_are_statistically_right(p):
    torchless.manual_seed(0)
    n = 200_000
    out = F.dropout(torchless.ones(n), p).numpy()
    dropped = np.mean(out == 0)
    sigma = np.sqrt(p * (1 - p) / n)
    assert abs(dropped - p) < 5 * sigma
    assert abs(out.mean() - 1) < 5 * np.sqrt(p / (1 - p) / n)  # inverted dropout keeps the mean


def test_masks_are_independent_between_calls():
    torchless.manual_seed(1)
    a = F.dropout(torchless.ones(10_000), 0.5).numpy() == 0
    b = F.dropout(torchless.ones(10_000), 0.5).numpy() == 0
    assert abs(np.mean(a & b) - 0.25) < 0.03  # independent masks overlap a quarter of the time


def test_manual_seed_makes_dropout_reproducible():
    x = torchless.ones(1000)
    torchless.manual_seed(123)
    first = F.dropout(x, 0.4).numpy()
    torchless.manual_seed(123)
    np.testing.assert_array_equal(F.dropout(x, 0.4).numpy(), first)
    torchless.manual_seed(124)
    assert not np.array_equal(F.dropout(x, 0.4).numpy(), first)


@pytest.mark.parametrize("shape, dtype", [((7, 3), torchless.float64), ((1,), torchless.float32),
                                          ((), torchless.float32), ((64, 9216), torchless.float32),
                                          ((5, 0), torchless.float16)])
def test_mask_follows_the_default_generator_state(shape, dtype):
    """Masks come from the default generator: restoring its state repeats them, for any element count
    (odd ones included, since the draws come two per 64-bit word) and any float dtype."""
    x = torchless.ones(shape, dtype=dtype)
    state = torchless.get_rng_state()
    first = F.dropout(x, 0.3).numpy()
    second = F.dropout(x, 0.3).numpy()
    torchless.set_rng_state(state)
    np.testing.assert_array_equal(F.dropout(x, 0.3).numpy(), first)
    np.testing.assert_array_equal(F.dropout(x, 0.3).numpy(), second)
    assert first.dtype == x.numpy().dtype and first.shape == tuple(shape)
    scale = np.asarray(1 / 0.7, first.dtype)
    assert np.all((first == 0) | (first == scale))
    if first.size > 1000:
        assert not np.array_equal(first, second)


def test_gradient_is_the_mask():
    x = torchless.tensor(np.random.default_rng(0).uniform(1, 2, (30, 30)), requires_grad=True)
    out = F.dropout(x, 0.25)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (out.detach().numpy() != 0) / 0.75, rtol=1e-12)


def test_eval_mode_and_zero_probability_return_the_input():
    x = torchless.randn(3, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    layer = nn.Dropout(0.5).eval()
    assert layer(x) is x
    layer.train()
    assert not np.array_equal(layer(torchless.ones(1000)).numpy(), np.ones(1000))


def test_probability_one_drops_everything():
    x = torchless.randn(5, requires_grad=True)
    out = F.dropout(x, 1.0)
    assert np.all(out.detach().numpy() == 0)
    out.sum().backward()
    assert np.all(x.grad.numpy() == 0)


def test_inplace_overwrites_the_input():
    x = torchless.ones(1000)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x and np.any(x.numpy() == 0) and np.any(x.numpy() == 2)


@pytest.mark.parametrize("shape", [(8, 6, 5, 5), (8, 6, 7)])
def test_dropout2d_zeros_whole_channels(shape):
    torchless.manual_seed(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = F.dropout2d(torchless.ones(*shape), 0.5).numpy()
    per_channel = out.reshape(shape[0], shape[1], -1)
    assert np.all((per_channel == 0).all(axis=2) | (per_channel == 2).all(axis=2))
    assert 0 < np.mean(per_channel[:, :, 0] == 0) < 1


@pytest.mark.parametrize("shape", [(8, 6, 5), (6, 5)])
def test_dropout1d_zeros_whole_channels(shape):
    torchless.manual_seed(3)
    out = F.dropout1d(torchless.ones(*shape), 0.5).numpy()
    assert np.all((out == 0).all(axis=-1) | (out == 2).all(axis=-1))


# --------------------------------------------------------------------------- against PyTorch
MODULES = [("Dropout", (), {}), ("Dropout", (0.2, True), {}), ("Dropout2d", (0.3,), {}), ("Dropout1d", (), {})]


@pytest.mark.parametrize("name, args, kwargs", MODULES)
def test_module_reprs_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    assert repr(getattr(nn, name)(*args, **kwargs)) == repr(getattr(torch.nn, name)(*args, **kwargs))


ERRORS = [
    lambda lib: lib.nn.Dropout(1.5),
    lambda lib: lib.nn.Dropout(-0.1),
    lambda lib: lib.nn.Dropout2d(1.2),
    lambda lib: lib.nn.functional.dropout(lib.zeros(3), 1.5),
    lambda lib: lib.nn.functional.dropout(None, 0.5),
    lambda lib: lib.nn.functional.dropout(lib.tensor([1, 2]), 0.5),
    lambda lib: lib.nn.functional.dropout(lib.zeros(3, requires_grad=True), 0.5, inplace=True),
    lambda lib: lib.nn.functional.dropout1d(lib.zeros(2, 3, 4, 5)),
    lambda lib: lib.nn.functional.dropout1d(lib.zeros(3)),
    lambda lib: lib.nn.functional.dropout2d(lib.zeros(3), 0.5),
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_match_torch(call):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: call(torch), lambda: call(torchless))


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (2, 3, 4, 4), (2, 3, 4, 4, 2)])
def test_dropout2d_warnings_match_torch(shape):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings(record=True) as expected:
        warnings.simplefilter("always")
        torch.nn.functional.dropout2d(torch.ones(shape), 0.5)
    with warnings.catch_warnings(record=True) as actual:
        warnings.simplefilter("always")
        F.dropout2d(torchless.ones(*shape), 0.5)
    assert [str(w.message) for w in actual] == [str(w.message) for w in expected]


def test_node_names_and_passthrough_match_torch():
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.dropout(torch.ones(3, requires_grad=True), 0.5)
    assert F.dropout(torchless.ones(3, requires_grad=True), 0.5).grad_fn.name() == expected.grad_fn.name()
    expected2d = torch.nn.functional.dropout2d(torch.ones(2, 3, 4, 4, requires_grad=True), 0.5)
    assert F.dropout2d(torchless.ones(2, 3, 4, 4, requires_grad=True), 0.5).grad_fn.name() == expected2d.grad_fn.name()
    ints, expected_ints = torchless.tensor([1, 2]), torch.tensor([1, 2])
    assert torch.nn.functional.dropout(expected_ints, 0.5, training=False) is expected_ints
    assert F.dropout(ints, 0.5, training=False) is ints
