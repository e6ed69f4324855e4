"""BatchNorm1d / BatchNorm2d and F.batch_norm: normalisation, running statistics, gradients, errors, reprs."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import (assert_same_error, examples, finite_difference_check, modules_with_same_repr,
                     state_dict_from_torch, tensor)

FAST = examples(25)


def reference_batch_norm(x, weight, bias, eps):
    """Per channel (axis 1): (x - mean) / sqrt(biased var + eps) * weight + bias, in float64."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = [1, -1] + [1] * (x.ndim - 2)
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * weight.reshape(shape) + bias.reshape(shape)


# --------------------------------------------------------------------------- independent of torch
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_training_normalises_with_batch_statistics(shape):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal(shape) * 3 + 2, rng.standard_normal(3), rng.standard_normal(3)
    out = F.batch_norm(tensor(x), None, None, tensor(w), tensor(b), training=True, eps=1e-3)
    np.testing.assert_allclose(out.numpy(), reference_batch_norm(x, w, b, 1e-3), rtol=1e-10, atol=1e-12)


def test_running_statistics_follow_momentum_with_unbiased_variance():
    rng = np.random.default_rng(2)
    bn = nn.BatchNorm2d(3, momentum=0.3).double()
    mean, var = np.zeros(3), np.ones(3)
    for step in range(4):
        x = rng.standard_normal((4, 3, 2, 3)) * (step + 1) + step
        bn(tensor(x))
        mean = 0.7 * mean + 0.3 * x.mean(axis=(0, 2, 3))
        var = 0.7 * var + 0.3 * x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.running_mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), var, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 4


def test_momentum_none_is_a_cumulative_average():
    rng = np.random.default_rng(3)
    bn = nn.BatchNorm1d(2, momentum=None).double()
    batches = [rng.standard_normal((5, 2)) + i for i in range(3)]
    for x in batches:
        bn(tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.mean(axis=0) for x in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([x.var(axis=0, ddof=1) for x in batches], axis=0),
                               rtol=1e-12)


def test_eval_uses_running_statistics_and_leaves_them():
    bn = nn.BatchNorm1d(2).double()
    bn.running_mean.copy_(tensor([1.0, -1.0]))
    bn.running_var.copy_(tensor([4.0, 0.25]))
    bn.eval()
    x = np.array([[3.0, 0.0], [1.0, -1.0]])
    out = bn(tensor(x)).detach().numpy()
    np.testing.assert_allclose(out, (x - [1.0, -1.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5), rtol=1e-12)
    np.testing.assert_array_equal(bn.running_mean.numpy(), [1.0, -1.0])
    assert bn.num_batches_tracked.item() == 0


def test_without_running_stats_eval_still_uses_the_batch():
    bn = nn.BatchNorm1d(2, track_running_stats=False, affine=False).double().eval()
    x = np.random.default_rng(4).standard_normal((8, 2))
    np.testing.assert_allclose(bn(tensor(x)).numpy(), reference_batch_norm(x, np.ones(2), np.zeros(2), 1e-5),
                               rtol=1e-10)
    assert bn.running_mean is None and bn.weight is None and list(bn.state_dict()) == []


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(5, 2), (3, 2, 4), (2, 2, 3, 3)])
def test_gradients_finite_differences(training, shape):
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal(shape), rng.standard_normal(2), rng.standard_normal(2)
    running_mean, running_var = rng.standard_normal(2), rng.uniform(0.5, 2, 2)

    def fn(x, w, b):
        # Fresh running buffers each call: training updates them in place.
        return F.batch_norm(x, tensor(running_mean.copy()), tensor(running_var.copy()), w, b, training=training)

    finite_difference_check(fn, [x, w, b])


def test_gradient_without_affine_finite_differences():
    x = np.random.default_rng(6).standard_normal((4, 3, 2))
    finite_difference_check(lambda t: F.batch_norm(t, None, None, training=True), [x])


def test_float32_stays_float32():
    bn = nn.BatchNorm2d(3)
    x = torchless.randn(2, 3, 4, 4, requires_grad=True)
    out = bn(x)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == bn.weight.grad.dtype == bn.running_mean.dtype == torchless.float32


# --------------------------------------------------------------------------- against PyTorch
@FAST
@given(st.sampled_from([(1, (6, 3)), (1, (4, 3, 5)), (2, (2, 3, 4, 3))]), st.sampled_from([0.1, 0.5, None]),
       st.booleans(), st.sampled_from([np.float32, np.float64]))
def test_several_training_steps_match_torch(case, momentum, affine, dtype):
    torch = pytest.importorskip("torch")
    spatial, shape = case
    name = f"BatchNorm{spatial}d"
    module = getattr(nn, name)(3, momentum=momentum, affine=affine, dtype=getattr(torchless, np.dtype(dtype).name))
    expected_module = getattr(torch.nn, name)(3, momentum=momentum, affine=affine,
                                              dtype=getattr(torch, np.dtype(dtype).name))
    if affine:
        weight, bias = np.random.default_rng(7).standard_normal((2, 3)).astype(dtype)
        with torch.no_grad():
            expected_module.weight.copy_(torch.tensor(weight))
            expected_module.bias.copy_(torch.tensor(bias))
        module.weight.data = tensor(weight)
        module.bias.data = tensor(bias)
    tol = dict(rtol=2e-4, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    rng = np.random.default_rng(8)
    for step in range(3):
        x = (rng.standard_normal(shape) * (1 + step) + step).astype(dtype)
        grad = rng.standard_normal(shape).astype(dtype)
        xt, xl = torch.tensor(x, requires_grad=True), tensor(x, requires_grad=True)
        expected, actual = expected_module(xt), module(xl)
        assert actual.grad_fn.name() == expected.grad_fn.name()
        np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), **tol)
        expected.backward(torch.tensor(grad))
        actual.backward(tensor(grad))
        np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), **tol)
        if affine:
            np.testing.assert_allclose(module.weight.grad.numpy(), expected_module.weight.grad.numpy(), **tol)
            np.testing.assert_allclose(module.bias.grad.numpy(), expected_module.bias.grad.numpy(), **tol)
            module.weight.grad = module.bias.grad = None
            expected_module.weight.grad = expected_module.bias.grad = None
        for key, value in expected_module.state_dict().items():
            np.testing.assert_allclose(module.state_dict()[key].numpy(), value.numpy(), **tol)
    module.eval()
    expected_module.eval()
    x = rng.standard_normal(shape).astype(dtype)
    np.testing.assert_allclose(module(tensor(x)).detach().numpy(), expected_module(torch.tensor(x)).detach().numpy(),
                               **tol)


MODULES = [
    ("BatchNorm2d", (3,), {}),
    ("BatchNorm2d", (3,), dict(eps=1e-3, momentum=None, affine=False, track_running_stats=False)),
    ("BatchNorm1d", (3,), dict(momentum=0.2)),
    ("BatchNorm1d", (4,), dict(bias=False)),
    ("BatchNorm2d", (2,), dict(track_running_stats=False)),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES)
def test_reprs_and_state_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    expected, actual = modules_with_same_repr(name, *args, **kwargs)
    expected_state, state = expected.state_dict(), actual.state_dict()
    assert list(state) == list(expected_state)
    for key in state:
        assert state[key].dtype.name == str(expected_state[key].dtype).replace("torch.", "")
        np.testing.assert_array_equal(state[key].numpy(), expected_state[key].numpy())


def test_state_dict_round_trip_from_torch():
    torch = pytest.importorskip("torch")
    expected = torch.nn.BatchNorm2d(3)
    expected(torch.randn(4, 3, 2, 2))
    bn = nn.BatchNorm2d(3)
    bn.load_state_dict(state_dict_from_torch(expected))
    assert bn.num_batches_tracked.item() == 1
    np.testing.assert_array_equal(bn.running_var.numpy(), expected.running_var.numpy())


ERRORS = [
    lambda lib: lib.nn.BatchNorm2d(3)(lib.zeros(4, 3)),
    lambda lib: lib.nn.BatchNorm2d(3)(lib.zeros(3, 4, 4)),
    lambda lib: lib.nn.BatchNorm1d(3)(lib.zeros(2, 3, 4, 4)),
    lambda lib: lib.nn.BatchNorm1d(3)(lib.zeros(3)),
    lambda lib: lib.nn.BatchNorm1d(3)(lib.zeros(1, 3)),
    lambda lib: lib.nn.BatchNorm1d(3)(lib.zeros(1, 3, 1)),
    lambda lib: lib.nn.BatchNorm2d(3)(lib.zeros(1, 3, 1, 1)),
    lambda lib: lib.nn.BatchNorm2d(3)(lib.zeros(4, 2, 3, 3)),
    lambda lib: lib.nn.BatchNorm1d(3)(lib.zeros(4, 2)),
    lambda lib: lib.nn.BatchNorm2d(3)(lib.zeros(2, 3, 2, 2, dtype=lib.float64)),
    lambda lib: lib.nn.functional.batch_norm(lib.zeros(2, 3, 4, 4), None, None),
    lambda lib: lib.nn.functional.batch_norm(lib.zeros(2, 3, 4, 4), lib.zeros(3), None),
    lambda lib: lib.nn.functional.batch_norm(lib.zeros(2, 3, 4, 4), lib.zeros(2), lib.ones(3), training=True),
    lambda lib: lib.nn.functional.batch_norm(lib.zeros(2, 3, 4, 4), lib.zeros(3), lib.ones(3), lib.ones(2)),
    lambda lib: lib.nn.functional.batch_norm(lib.zeros(2, 3, 4, 4), None, None, None, lib.ones(4), training=True),
    lambda lib: lib.nn.functional.batch_norm(lib.zeros(2, 3, 4, 4, dtype=lib.float64), lib.zeros(3), lib.ones(3),
                                             training=True),
    lambda lib: lib.nn.functional.batch_norm(lib.zeros(2, 3, 4, 4), lib.zeros(3, dtype=lib.float64), lib.ones(3),
                                             training=True),
    lambda lib: lib.nn.functional.batch_norm(lib.zeros(2, 3, 4, 4), None, None, lib.ones(3, dtype=lib.float64),
                                             training=True),
    lambda lib: lib.nn.functional.batch_norm(lib.zeros(1, 3), None, None, training=True),
    lambda lib: lib.nn.functional.batch_norm(lib.zeros(4, 3, dtype=lib.int64), None, None, training=True),
    lambda lib: lib.nn.functional.batch_norm(lib.zeros(3), None, None, training=True),
    # eps: positive while training, non-negative otherwise; checked after the batch size, before the channels
    lambda lib: lib.nn.BatchNorm2d(1, eps=-1)(lib.ones(2, 3, 4, 4)),
    lambda lib: lib.nn.BatchNorm2d(3, eps=0.0)(lib.ones(2, 3, 4, 4)),
    lambda lib: lib.nn.BatchNorm2d(3, eps=-1e-3).eval()(lib.ones(2, 3, 4, 4)),
    lambda lib: lib.nn.functional.batch_norm(lib.zeros(1, 3), None, None, training=True, eps=-1),
    lambda lib: lib.nn.functional.batch_norm(lib.zeros(2, 3), lib.zeros(3), lib.ones(3), eps=-1),
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_match_torch(call):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: call(torch), lambda: call(torchless))


def test_a_state_dict_without_metadata_keeps_the_batch_count_as_in_torch():
    """num_batches_tracked came with BatchNorm's version 2: a state dict without _metadata (a plain
    dict) or of an older version keeps the module's own count; one saying version 2 misses it."""
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, torchless):
        model = lib.nn.Sequential(lib.nn.Conv2d(1, 3, 1), lib.nn.BatchNorm2d(3))
        model(lib.ones(2, 1, 4, 4))  # one training batch: the count is 1
        state = model.state_dict()
        del state["1.num_batches_tracked"]
        plain = dict(state)
        results.append((str(model.load_state_dict(plain)), model[1].num_batches_tracked.item(),
                        str(model.load_state_dict(state, strict=False)), dict(state._metadata)))
    assert results[1] == results[0]
