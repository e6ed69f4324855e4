"""LayerNorm, GroupNorm, InstanceNorm1d/2d, LocalResponseNorm and RMSNorm with their functional forms: values
against NumPy float64 formulas, gradients by finite differences, running statistics, and against PyTorch
(values, grad_fn names, gradients, dtype rules, errors, reprs, state dicts)."""
import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import (assert_matches_torch, assert_same_error, examples, finite_difference_check,
                     modules_with_same_repr, outcome, Raised, state_dict_from_torch, tensor)

FAST = examples(25)
F32 = dict(rtol=1e-5, atol=1e-5)
F64 = dict(rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- NumPy float64 references
def reference_layer_norm(x, ndim, weight=None, bias=None, eps=1e-5):
    axes = tuple(range(x.ndim - ndim, x.ndim))
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    return y * (1 if weight is None else weight) + (0 if bias is None else bias)


def reference_group_norm(x, groups, weight=None, bias=None, eps=1e-5):
    n, c = x.shape[:2]
    g = x.reshape(n, groups, -1)
    y = ((g - g.mean(axis=2, keepdims=True)) / np.sqrt(g.var(axis=2, keepdims=True) + eps)).reshape(x.shape)
    channel = (1, c) + (1,) * (x.ndim - 2)
    return y * (1 if weight is None else weight.reshape(channel)) + (0 if bias is None else bias.reshape(channel))


def reference_instance_norm(x, weight=None, bias=None, eps=1e-5):
    return reference_group_norm(x, x.shape[1], weight, bias, eps)


def reference_local_response_norm(x, size, alpha=1e-4, beta=0.75, k=1.0):
    """b_c = a_c / (k + alpha / size * sum of a_j^2 for j in [c - size // 2, c + (size - 1) // 2]) ** beta."""
    out = np.empty_like(x)
    channels = x.shape[1]
    for c in range(channels):
        lo, hi = max(0, c - size // 2), min(channels - 1, c + (size - 1) // 2)
        squares = np.square(x[:, lo:hi + 1]).sum(axis=1)
        out[:, c] = x[:, c] / (k + alpha / size * squares) ** beta
    return out


def reference_rms_norm(x, ndim, weight=None, eps=None):
    eps = np.finfo(np.float64).eps if eps is None else eps
    axes = tuple(range(x.ndim - ndim, x.ndim))
    y = x / np.sqrt(np.square(x).mean(axis=axes, keepdims=True) + eps)
    return y * (1 if weight is None else weight)


def data(seed, *shapes, scale=2.0, offset=0.5):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) * scale + offset for shape in shapes]


# --------------------------------------------------------------------------- values, independent of torch
@pytest.mark.parametrize("shape, ndim", [((4, 6), 1), ((2, 3, 5), 1), ((2, 3, 4, 5), 2), ((3, 4), 2)])
def test_layer_norm_values(shape, ndim):
    x, w, b = data(1, shape, shape[-ndim:], shape[-ndim:])
    out = F.layer_norm(tensor(x), shape[-ndim:], tensor(w), tensor(b), eps=1e-3)
    np.testing.assert_allclose(out.numpy(), reference_layer_norm(x, ndim, w, b, 1e-3), **F64)
    np.testing.assert_allclose(F.layer_norm(tensor(x), list(shape[-ndim:])).numpy(), reference_layer_norm(x, ndim),
                               **F64)


@pytest.mark.parametrize("shape, groups", [((4, 6), 3), ((2, 6, 5), 2), ((2, 4, 3, 3), 4), ((3, 4, 2, 2), 1)])
def test_group_norm_values(shape, groups):
    x, w, b = data(2, shape, shape[1:2], shape[1:2])
    out = F.group_norm(tensor(x), groups, tensor(w), tensor(b), eps=1e-4)
    np.testing.assert_allclose(out.numpy(), reference_group_norm(x, groups, w, b, 1e-4), **F64)
    np.testing.assert_allclose(F.group_norm(tensor(x), groups).numpy(), reference_group_norm(x, groups), **F64)


@pytest.mark.parametrize("shape", [(4, 3, 5), (2, 3, 4, 4), (1, 2, 7)])
def test_instance_norm_values(shape):
    x, w, b = data(3, shape, shape[1:2], shape[1:2])
    out = F.instance_norm(tensor(x), weight=tensor(w), bias=tensor(b), eps=1e-3)
    np.testing.assert_allclose(out.numpy(), reference_instance_norm(x, w, b, 1e-3), **F64)
    np.testing.assert_allclose(nn.InstanceNorm2d(shape[1]).double()(tensor(x)).numpy() if len(shape) == 4 else
                               nn.InstanceNorm1d(shape[1]).double()(tensor(x)).numpy(), reference_instance_norm(x),
                               **F64)


@pytest.mark.parametrize("shape, size", [((2, 5, 4), 3), ((2, 5, 4), 2), ((2, 6, 3, 3), 4), ((1, 3, 2, 2, 2), 7),
                                         ((2, 4, 3), 1)])
def test_local_response_norm_values(shape, size):
    (x,) = data(4, shape)
    out = F.local_response_norm(tensor(x), size, alpha=0.3, beta=0.6, k=1.5)
    np.testing.assert_allclose(out.numpy(), reference_local_response_norm(x, size, 0.3, 0.6, 1.5), **F64)
    np.testing.assert_allclose(nn.LocalResponseNorm(size)(tensor(x)).numpy(), reference_local_response_norm(x, size),
                               **F64)


def test_local_response_norm_of_int64_truncates_the_average_as_torch():
    # channels 3, 4, 5 with size 2: windows {0, 3}, {3, 4}, {4, 5} of squares average (truncated) to 4, 12, 20
    x = torchless.tensor([[[3], [4], [5]]])
    out = F.local_response_norm(x, 2, alpha=1.0, beta=1.0, k=1.0)
    assert out.dtype == torchless.float32
    np.testing.assert_allclose(out.numpy().ravel(), [3 / 5, 4 / 13, 5 / 21], rtol=1e-6)
    integral = F.local_response_norm(x, 2, alpha=1, beta=2, k=1)  # stays int64 until the final true division
    np.testing.assert_allclose(integral.numpy().ravel(), [3 / 25, 4 / 169, 5 / 441], rtol=1e-6)


@pytest.mark.parametrize("shape, ndim, eps", [((4, 6), 1, None), ((2, 3, 5), 2, 1e-3), ((2, 3, 4, 5), 1, 0.5)])
def test_rms_norm_values(shape, ndim, eps):
    x, w = data(5, shape, shape[-ndim:])
    out = F.rms_norm(tensor(x), shape[-ndim:], tensor(w), eps=eps)
    np.testing.assert_allclose(out.numpy(), reference_rms_norm(x, ndim, w, eps), **F64)
    np.testing.assert_allclose(nn.RMSNorm(shape[-ndim:], eps=eps).double()(tensor(x)).detach().numpy(),
                               reference_rms_norm(x, ndim, None, eps), **F64)


def test_rms_norm_default_eps_is_the_machine_epsilon_of_the_computation():
    tiny = np.full((1, 4), 1e-4)  # mean square 1e-8: float32's eps (1.2e-7) dominates, float64's does not
    expected32 = 1e-4 / np.sqrt(1e-8 + np.finfo(np.float32).eps)
    np.testing.assert_allclose(F.rms_norm(tensor(tiny.astype(np.float32)), (4,)).numpy(), expected32, rtol=1e-5)
    np.testing.assert_allclose(F.rms_norm(tensor(tiny), (4,)).numpy(), 1e-4 / np.sqrt(1e-8 + 2.0 ** -52), rtol=1e-12)


def test_modules_start_with_unit_weights_and_zero_biases():
    for module, shape in [(nn.LayerNorm((2, 3)), (2, 3)), (nn.GroupNorm(2, 4), (4,)), (nn.RMSNorm(5), (5,)),
                          (nn.InstanceNorm2d(3, affine=True), (3,))]:
        assert module.weight.shape == shape and module.weight.requires_grad
        np.testing.assert_array_equal(module.weight.detach().numpy(), np.ones(shape))
        if getattr(module, "bias", None) is not None:
            np.testing.assert_array_equal(module.bias.detach().numpy(), np.zeros(shape))
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None and nn.LayerNorm(4, bias=False).bias is None
    assert nn.InstanceNorm1d(3).weight is None and nn.InstanceNorm1d(3).running_mean is None


# --------------------------------------------------------------------------- gradients by finite differences
@pytest.mark.parametrize("shape, ndim", [((3, 4), 1), ((2, 2, 3), 2)])
def test_layer_norm_gradients(shape, ndim):
    x, w, b = data(6, shape, shape[-ndim:], shape[-ndim:])
    finite_difference_check(lambda x, w, b: F.layer_norm(x, shape[-ndim:], w, b, eps=1e-3), [x, w, b])
    finite_difference_check(lambda x: F.layer_norm(x, shape[-ndim:]), [x])


@pytest.mark.parametrize("shape, groups", [((2, 4, 3), 2), ((3, 4), 4), ((2, 2, 2, 2), 1)])
def test_group_norm_gradients(shape, groups):
    x, w, b = data(7, shape, shape[1:2], shape[1:2])
    finite_difference_check(lambda x, w, b: F.group_norm(x, groups, w, b), [x, w, b])
    finite_difference_check(lambda x: F.group_norm(x, groups), [x])


@pytest.mark.parametrize("use_input_stats", [True, False])
@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 2, 2, 3)])
def test_instance_norm_gradients(shape, use_input_stats):
    x, w, b = data(8, shape, shape[1:2], shape[1:2])
    mean, var = data(9, shape[1:2])[0], np.random.default_rng(10).uniform(0.5, 2, shape[1])

    def fn(x, w, b):
        # fresh running statistics each call: with use_input_stats they are updated in place
        return F.instance_norm(x, tensor(mean.copy()), tensor(var.copy()), w, b, use_input_stats=use_input_stats)

    finite_difference_check(fn, [x, w, b])


@pytest.mark.parametrize("shape, size", [((2, 5, 3), 3), ((1, 4, 2, 2), 2), ((2, 3, 2), 6)])
def test_local_response_norm_gradients(shape, size):
    (x,) = data(11, shape)
    finite_difference_check(lambda x: F.local_response_norm(x, size, alpha=0.5, beta=0.7, k=1.2), [x])


@pytest.mark.parametrize("shape, ndim", [((3, 4), 1), ((2, 2, 3), 2)])
def test_rms_norm_gradients(shape, ndim):
    x, w = data(12, shape, shape[-ndim:])
    finite_difference_check(lambda x, w: F.rms_norm(x, shape[-ndim:], w, eps=1e-3), [x, w])
    finite_difference_check(lambda x: F.rms_norm(x, shape[-ndim:]), [x])


# --------------------------------------------------------------------------- instance norm's running statistics
def test_instance_norm_running_statistics_follow_momentum_with_batch_averaged_unbiased_variance():
    rng = np.random.default_rng(13)
    layer = nn.InstanceNorm1d(3, momentum=0.3, track_running_stats=True).double()
    mean, var = np.zeros(3), np.ones(3)
    for step in range(3):
        x = rng.standard_normal((4, 3, 5)) * (step + 1) + step
        layer(tensor(x))
        mean = 0.7 * mean + 0.3 * x.mean(axis=2).mean(axis=0)
        var = 0.7 * var + 0.3 * x.var(axis=2, ddof=1).mean(axis=0)
    np.testing.assert_allclose(layer.running_mean.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var.numpy(), var, rtol=1e-12)
    assert layer.num_batches_tracked.item() == 0  # instance norm never counts batches

    layer.eval()
    x = rng.standard_normal((2, 3, 5))
    expected = (x - mean.reshape(1, 3, 1)) / np.sqrt(var.reshape(1, 3, 1) + 1e-5)
    np.testing.assert_allclose(layer(tensor(x)).numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(layer.running_mean.numpy(), mean, rtol=1e-12)  # eval leaves them


def test_instance_norm_momentum_none_leaves_running_statistics():
    layer = nn.InstanceNorm2d(2, momentum=None, track_running_stats=True)
    layer(torchless.randn(3, 2, 4, 4) * 5 + 3)
    np.testing.assert_array_equal(layer.running_mean.numpy(), np.zeros(2))
    np.testing.assert_array_equal(layer.running_var.numpy(), np.ones(2))


def test_instance_norm_without_running_stats_uses_instance_statistics_in_eval():
    (x,) = data(14, (2, 3, 6))
    layer = nn.InstanceNorm1d(3).double().eval()
    np.testing.assert_allclose(layer(tensor(x)).numpy(), reference_instance_norm(x), **F64)


def test_unbatched_instance_norm_is_the_batch_of_one():
    (x,) = data(15, (3, 4, 5))
    layer = nn.InstanceNorm2d(3, affine=True).double()
    np.testing.assert_allclose(layer(tensor(x)).detach().numpy(), reference_instance_norm(x[None])[0], **F64)


def test_float32_stays_float32_and_float16_is_computed_in_float32():
    x = torchless.randn(2, 4, 3, requires_grad=True)
    for layer in (nn.LayerNorm(3), nn.GroupNorm(2, 4), nn.InstanceNorm1d(4, affine=True), nn.RMSNorm(3),
                  nn.LocalResponseNorm(2)):
        out = layer(x)
        out.sum().backward()
        assert out.dtype == x.grad.dtype == torchless.float32
        assert all(p.grad.dtype == torchless.float32 for p in layer.parameters())
    (half,) = data(16, (3, 8), scale=1.0)
    out = F.layer_norm(tensor(half.astype(np.float16)), (8,), torchless.ones(8), torchless.zeros(8))
    assert out.dtype == torchless.float16
    np.testing.assert_allclose(out.numpy(), reference_layer_norm(half.astype(np.float16).astype(np.float64), 1),
                               rtol=2e-3, atol=2e-3)


# --------------------------------------------------------------------------- against PyTorch
def _torch_and_ours(torch, arrays, grads):
    theirs = [None if a is None else torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    ours = [None if a is None else tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    return theirs, ours


def _compare(fn, arrays, grads, tol, seed):
    torch = pytest.importorskip("torch")
    theirs, ours = _torch_and_ours(torch, arrays, grads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's "cannot dispatch to fused implementation"
        expected = fn(torch, theirs)
    given = [i for i, t in enumerate(theirs) if t is not None]
    assert_matches_torch(fn(torchless, ours), expected, [ours[i] for i in given], [theirs[i] for i in given], tol,
                         np.random.default_rng(seed))


DTYPES = st.sampled_from([np.float32, np.float64])


@FAST
@given(st.sampled_from([((4, 6), 1), ((2, 3, 5), 1), ((2, 3, 4, 5), 3)]), st.booleans(), st.booleans(), DTYPES,
       st.integers(0, 1000))
def test_layer_norm_matches_torch(case, affine, grad_x, dtype, seed):
    shape, ndim = case
    x, w, b = (a.astype(dtype) for a in data(seed, shape, shape[-ndim:], shape[-ndim:]))
    params = [w, b] if affine else [None, None]
    _compare(lambda lib, t: lib.nn.functional.layer_norm(t[0], shape[-ndim:], t[1], t[2], 1e-4), [x] + params,
             [grad_x or not affine, True, True], F32 if dtype == np.float32 else F64, seed)


@FAST
@given(st.sampled_from([((4, 12), 2), ((2, 6, 5), 3), ((2, 4, 3, 3), 4), ((2, 4, 3, 3), 1)]), st.booleans(), DTYPES,
       st.integers(0, 1000))
def test_group_norm_matches_torch(case, affine, dtype, seed):
    shape, groups = case
    x, w, b = (a.astype(dtype) for a in data(seed, shape, shape[1:2], shape[1:2]))
    params = [w, b] if affine else [None, None]
    _compare(lambda lib, t: lib.nn.functional.group_norm(t[0], groups, t[1], t[2]), [x] + params, [True] * 3,
             F32 if dtype == np.float32 else F64, seed)


@FAST
@given(st.sampled_from([(4, 3, 5), (2, 3, 4, 4)]), st.booleans(), st.booleans(), DTYPES, st.integers(0, 1000))
def test_instance_norm_matches_torch(shape, affine, use_input_stats, dtype, seed):
    x, w, b, mean = (a.astype(dtype) for a in data(seed, shape, shape[1:2], shape[1:2], shape[1:2]))
    var = np.random.default_rng(seed).uniform(0.5, 2, shape[1]).astype(dtype)
    params = [w, b] if affine else [None, None]
    _compare(lambda lib, t: lib.nn.functional.instance_norm(t[0], lib.tensor(mean), lib.tensor(var), t[1], t[2],
                                                            use_input_stats, 0.2, 1e-3),
             [x] + params, [True] * 3, F32 if dtype == np.float32 else F64, seed)


@FAST
@given(st.sampled_from([((2, 5, 4), 3), ((2, 6, 3, 3), 2), ((1, 3, 2, 2, 2), 5), ((2, 4, 3), 9)]),
       st.floats(0.1, 2), st.floats(0.3, 1.5), st.floats(0.5, 2), DTYPES, st.integers(0, 1000))
def test_local_response_norm_matches_torch(case, alpha, beta, k, dtype, seed):
    shape, size = case
    (x,) = (a.astype(dtype) for a in data(seed, shape))
    _compare(lambda lib, t: lib.nn.functional.local_response_norm(t[0], size, alpha, beta, k), [x], [True],
             F32 if dtype == np.float32 else F64, seed)


@FAST
@given(st.sampled_from([((4, 6), 1), ((2, 3, 5), 2)]), st.booleans(), st.sampled_from([None, 1e-3]), DTYPES,
       st.integers(0, 1000))
def test_rms_norm_matches_torch(case, affine, eps, dtype, seed):
    shape, ndim = case
    x, w = (a.astype(dtype) for a in data(seed, shape, shape[-ndim:]))
    _compare(lambda lib, t: lib.nn.functional.rms_norm(t[0], shape[-ndim:], t[1], eps), [x, w if affine else None],
             [True, True], F32 if dtype == np.float32 else F64, seed)


HALF = dict(rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("name, call, param_shape", [
    ("layer_norm", lambda lib, t: lib.nn.functional.layer_norm(t[0], (5,), t[1], t[2]), (5,)),
    ("group_norm", lambda lib, t: lib.nn.functional.group_norm(t[0], 2, t[1], t[2]), (4,)),
    ("instance_norm", lambda lib, t: lib.nn.functional.instance_norm(t[0], None, None, t[1], t[2]), (4,)),
])
def test_float16_input_with_float32_parameters_matches_torch(name, call, param_shape):
    x, w, b = data(17, (3, 4, 5), param_shape, param_shape, scale=1.0)
    _compare(call, [x.astype(np.float16), w.astype(np.float32), b.astype(np.float32)], [True] * 3, HALF, 17)


@pytest.mark.parametrize("input_dtype, weight_dtype", list(itertools.product(
    [np.float16, np.float32, np.float64], [None, np.float16, np.float32, np.float64])))
def test_rms_norm_dtypes_and_grad_fn_match_torch(input_dtype, weight_dtype):
    """The product with a weight of another dtype promotes, then casts back to the input's dtype
    (ToCopyBackward0): float16 input is always upcast, float32 input by a float64 weight only."""
    x, w = data(18, (3, 5), (5,), scale=1.0)
    tol = HALF if np.float16 in (input_dtype, weight_dtype) else F32
    _compare(lambda lib, t: lib.nn.functional.rms_norm(t[0], (5,), t[1]),
             [x.astype(input_dtype), None if weight_dtype is None else w.astype(weight_dtype)], [True, True], tol, 18)


def test_instance_norm_of_a_constant_with_eps_zero_is_zero_as_torch():
    """PyTorch's batch-norm kernel, which instance norm goes through, takes 1 / std = 0 for a zero
    variance with eps = 0; layer norm's gives NaN."""
    torch = pytest.importorskip("torch")
    for lib in (torch, torchless):
        x = lib.ones(2, 3, 4, requires_grad=True)
        out = lib.nn.functional.instance_norm(x, bias=lib.ones(3), eps=0.0)
        out.sum().backward()
        np.testing.assert_array_equal(out.detach().numpy(), np.ones((2, 3, 4)))
        np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3, 4)))
        assert np.isnan(lib.nn.functional.layer_norm(lib.ones(2, 3), (3,), eps=0.0).numpy()).all()


def _outcomes(call, lib, combos):
    results = []
    for dtypes in combos:
        made = [None if d is None else lib.ones(*shape, dtype=getattr(lib, d)) for d, shape in zip(*dtypes)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = outcome(lambda: call(lib, *made))
        results.append(result if isinstance(result, Raised) else str(result.dtype).split(".")[-1])
    return results


NAMES = ["float16", "float32", "float64", "int64", "bool"]


@pytest.mark.parametrize("name, call", [
    ("layer_norm", lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (4,), w, b)),
    ("group_norm", lambda lib, x, w, b: lib.nn.functional.group_norm(x, 2, w, b)),
    ("instance_norm", lambda lib, x, w, b: lib.nn.functional.instance_norm(x, None, None, w, b)),
])
def test_dtype_rules_of_input_weight_and_bias_match_torch(name, call):
    """Output dtype or exception for every dtype of input, weight and bias (None: not given)."""
    pytest.importorskip("torch")
    import torch
    shapes = [(2, 4, 4), (4,), (4,)]
    combos = [((x, w, b), shapes) for x, w, b in itertools.product(NAMES, [None] + NAMES, [None] + NAMES)]
    expected, actual = _outcomes(call, torch, combos), _outcomes(call, torchless, combos)
    mismatches = [(c[0], e, a) for c, e, a in zip(combos, expected, actual) if e != a]
    assert not mismatches, mismatches[:5]


def test_dtype_rules_of_instance_norm_running_statistics_match_torch():
    pytest.importorskip("torch")
    import torch
    floats = ["float16", "float32", "float64"]
    combos = [((x, m, v, w), [(2, 3, 4), (3,), (3,), (3,)])
              for x, m, v, w in itertools.product(floats, floats, floats, [None, "float32", "float64"])]
    for use_input_stats in (True, False):
        def call(lib, x, mean, var, weight):
            return lib.nn.functional.instance_norm(x, mean, var, weight, None, use_input_stats)

        expected, actual = _outcomes(call, torch, combos), _outcomes(call, torchless, combos)
        mismatches = [(c[0], e, a) for c, e, a in zip(combos, expected, actual) if e != a]
        assert not mismatches, mismatches[:5]


ERRORS = [
    # layer_norm: argument parsing, then mixed dtypes, normalized_shape, weight, bias, input, kernel dtype
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), 4),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), None),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), (4.0,)),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), (3, 4.0)),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), (True,)),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), (3, True)),
    lambda lib: lib.nn.functional.layer_norm([1.0], (4,)),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), (4,), [1.0] * 4),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), (4,), eps="a"),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), (4,), eps=None),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), ()),
    lambda lib: lib.nn.functional.layer_norm(lib.tensor(1.0), ()),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), (5,)),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), [2, 4]),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), (1, 2, 3, 4)),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), (4,), lib.ones(3)),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), (3, 4), lib.ones(12)),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), (4,), None, lib.ones(3)),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), (5,), lib.ones(3)),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), (), lib.ones(3, dtype=lib.float64)),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4, dtype=lib.int64), (5,)),
    lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4, dtype=lib.int64), (4,), lib.ones(3)),
    # rms_norm
    lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3, 4), 4),
    lambda lib: lib.nn.functional.rms_norm([1.0], (4,)),
    lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3, 4), (4.0,), [1.0]),
    lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3, 4), (4,), eps="a"),
    lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3, 4), ()),
    lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3, 4), (3,)),
    lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3, 4), (2, 4)),
    lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3, 4), (1, 1, 3, 4)),
    lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3, 4), (1, 1, 3, 4), lib.ones(3)),
    lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3, 4), (4,), lib.ones(1, 4)),
    lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3, 4, dtype=lib.int64), (4,)),
    lambda lib: lib.nn.functional.rms_norm(lib.ones(2, 3, 4, dtype=lib.bool), (4,)),
    # group_norm: Python checks (rank, values per group), parsing, then groups, channels, weight, bias, dtypes
    lambda lib: lib.nn.functional.group_norm(lib.ones(6), 3),
    lambda lib: lib.nn.functional.group_norm(lib.tensor(1.0), 3),
    lambda lib: lib.nn.functional.group_norm(lib.ones(1, 6), 6),
    lambda lib: lib.nn.functional.group_norm(lib.ones(1, 2, 1), 2),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 4), 0),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 4), None),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 4), 3.0),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 4), True),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 4), 3, [1.0] * 6),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 4), 3, eps="a"),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 4), -3),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 4), 4),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 4), 12),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 4), 3, lib.ones(3)),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 4), 3, lib.ones(2, 3)),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 4), 3, None, lib.ones(3)),  # shows the weight's shape
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 4), 3, lib.ones(6), lib.ones(3)),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 4, dtype=lib.int64), 4),
    lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6, 4, dtype=lib.int64), 3),
    # instance_norm: Python's spatial check, parsing, running statistics, repeat, sizes, dtypes
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3)),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 1)),
    lambda lib: lib.nn.functional.instance_norm(lib.tensor(1.0)),
    lambda lib: lib.nn.functional.instance_norm([1.0]),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), weight=[1.0] * 3),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), [0.0] * 3, [1.0] * 3),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), use_input_stats=1),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), momentum=None),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), eps="a"),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), use_input_stats=False),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), lib.zeros(3), use_input_stats=False),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(3), lib.zeros(3), lib.ones(3), use_input_stats=False),
    lambda lib: lib.nn.functional.instance_norm(lib.tensor(1.0), lib.zeros(3), lib.ones(3), use_input_stats=False),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), weight=lib.ones(1, 3)),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), lib.zeros(2), lib.ones(3), bias=lib.ones(1, 3)),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), lib.zeros(4), lib.ones(4), lib.ones(4)),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), lib.zeros(3), lib.ones(2), lib.ones(2)),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), weight=lib.ones(2), bias=lib.ones(2)),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), bias=lib.ones(4)),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), weight=lib.tensor(1.0)),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4, dtype=lib.int64), weight=lib.ones(2)),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4, dtype=lib.int64), weight=lib.ones(3)),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), lib.zeros(3), None),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), None, lib.ones(3), lib.ones(3, dtype=lib.float64)),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), lib.zeros(3, dtype=lib.float16), None),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), lib.zeros(3), None, lib.ones(3, dtype=lib.float64)),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4, dtype=lib.int64), lib.zeros(3), None),
    lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 4), lib.zeros(4), None),
    # local_response_norm: its composite's steps (pad, pool, scale, shift, power) and their errors
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3), 2),
    lambda lib: lib.nn.functional.local_response_norm([1.0], 2),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3, 4), "2"),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3, 4), None),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3, 4), 2.0),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3, 4, 4), 2.5),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 1, 4), -3),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 1, 4, 4), -1),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3, 4), True),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3, 4, 4), False),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3, 4), 0),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3, 4, 4), -2),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3, 4, dtype=lib.bool), 2),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3, 4, 4, dtype=lib.int32), 2),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3, 4, 4, dtype=lib.uint8), 0),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3, 4), 2, alpha="a"),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3, 4), 2, k=None),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3, 4), 2, beta="a"),
    lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 3, 4, dtype=lib.int64), 2, 1, -1, 1),
    # modules
    lambda lib: lib.nn.GroupNorm(3, 4),
    lambda lib: lib.nn.GroupNorm(0, 4),
    lambda lib: lib.nn.LayerNorm(4.0),
    lambda lib: lib.nn.LayerNorm(-1),
    lambda lib: lib.nn.LayerNorm(4)(lib.ones(2, 5)),
    lambda lib: lib.nn.RMSNorm([2, 4])(lib.ones(2, 5)),
    lambda lib: lib.nn.GroupNorm(2, 4)(lib.ones(2, 6)),
    lambda lib: lib.nn.LocalResponseNorm(2)(lib.ones(2, 6)),
    lambda lib: lib.nn.InstanceNorm1d(3)(lib.ones(2, 3, 4, 4)),
    lambda lib: lib.nn.InstanceNorm1d(3)(lib.ones(3)),
    lambda lib: lib.nn.InstanceNorm2d(3)(lib.ones(3, 4)),
    lambda lib: lib.nn.InstanceNorm2d(3)(lib.ones(1, 3, 4, 4, 4)),
    lambda lib: lib.nn.InstanceNorm1d(3, affine=True)(lib.ones(2, 4, 5)),
    lambda lib: lib.nn.InstanceNorm2d(3, affine=True)(lib.ones(4, 5, 5)),
    lambda lib: lib.nn.InstanceNorm1d(3)(lib.ones(2, 3, 1)),
    lambda lib: lib.nn.InstanceNorm1d(3).eval()(lib.ones(2, 3, 1)),
    lambda lib: lib.nn.InstanceNorm1d(3, track_running_stats=True)(lib.ones(2, 4, 5)),
    lambda lib: lib.nn.InstanceNorm2d(3, affine=True)(lib.ones(2, 3, 5, 5, dtype=lib.float64)),
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_match_torch(call):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: call(torch), lambda: call(torchless))


def test_accepted_edge_cases_match_torch():
    """Calls PyTorch accepts, some surprisingly: the same output shape, dtype and values."""
    torch = pytest.importorskip("torch")
    calls = [
        lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 3, 4), (lib.tensor(3), 4), eps=lib.tensor(0.5)),
        lambda lib: lib.nn.functional.layer_norm(lib.ones(0, 4), (4,)),
        lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 0), (0,), lib.ones(0)),
        lambda lib: lib.nn.functional.group_norm(lib.ones(2, 6), 6),
        lambda lib: lib.nn.functional.group_norm(lib.ones(2, 0, 4), 3),
        lambda lib: lib.nn.functional.group_norm(lib.arange(12.0).reshape(2, 6), lib.tensor(3), eps=True),
        lambda lib: lib.nn.functional.instance_norm(lib.arange(6.0).reshape(2, 3, 1), lib.zeros(3), lib.ones(3),
                                                    use_input_stats=False),
        lambda lib: lib.nn.functional.instance_norm(lib.arange(24.0).reshape(2, 3, 4), eps=-1.0),
        lambda lib: lib.nn.functional.instance_norm(lib.ones(2, 3, 0)),
        lambda lib: lib.nn.functional.rms_norm(lib.arange(8.0).reshape(2, 4), (4,), lib.arange(4), eps=1),
        lambda lib: lib.nn.functional.local_response_norm(lib.arange(24.0).reshape(2, 3, 4), 10, alpha=lib.tensor(2.0)),
        lambda lib: lib.nn.functional.local_response_norm(lib.arange(24.0).reshape(2, 3, 4), 1, k=-1.0),
        lambda lib: lib.nn.functional.local_response_norm(lib.ones(2, 0, 4, 4), 0),
        lambda lib: lib.nn.InstanceNorm1d(3, track_running_stats=True).eval()(lib.arange(6.0).reshape(2, 3, 1)),
    ]
    for call in calls:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected, actual = call(torch), call(torchless)
        assert actual.shape == tuple(expected.shape)
        assert actual.dtype.name == str(expected.dtype).replace("torch.", "")
        np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), rtol=1e-6, atol=1e-6)


def test_local_response_norm_of_an_empty_input_returns_it():
    empty = torchless.ones(2, 0, 3, requires_grad=True)
    assert F.local_response_norm(empty, 3) is empty


def test_instance_norm_feature_mismatch_warns_as_torch():
    torch = pytest.importorskip("torch")
    messages = []
    for lib in (torch, torchless):
        with pytest.warns(UserWarning) as record:
            lib.nn.InstanceNorm1d(3)(lib.ones(4, 5))
        messages.append([str(w.message) for w in record])
    assert messages[1] == messages[0]


MODULES = [
    ("LayerNorm", (4,), {}),
    ("LayerNorm", ([3, 4],), dict(eps=1e-3, elementwise_affine=False)),
    ("LayerNorm", ((2, 4),), dict(bias=False)),
    ("GroupNorm", (2, 4), {}),
    ("GroupNorm", (2, 4), dict(eps=0.1, affine=False)),
    ("GroupNorm", (1, 4), dict(bias=False)),
    ("InstanceNorm1d", (3,), {}),
    ("InstanceNorm2d", (3,), dict(affine=True)),
    ("InstanceNorm2d", (3,), dict(track_running_stats=True, momentum=None)),
    ("InstanceNorm1d", (3,), dict(affine=True, bias=False, eps=1e-3)),
    ("LocalResponseNorm", (2,), {}),
    ("LocalResponseNorm", (3, 1e-3, 0.5, 2), {}),
    ("RMSNorm", (4,), {}),
    ("RMSNorm", ([2, 3],), dict(eps=1e-6, elementwise_affine=False)),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES)
def test_reprs_parameters_and_state_match_torch(name, args, kwargs):
    pytest.importorskip("torch")
    expected, actual = modules_with_same_repr(name, *args, **kwargs)
    assert list(actual._parameters) == list(expected._parameters)
    assert list(actual._buffers) == list(expected._buffers)
    expected_state, state = expected.state_dict(), actual.state_dict()
    assert list(state) == list(expected_state)
    assert dict(state._metadata) == dict(expected_state._metadata)  # InstanceNorm's version 2
    for key in state:
        assert state[key].dtype.name == str(expected_state[key].dtype).replace("torch.", "")
        np.testing.assert_array_equal(state[key].numpy(), expected_state[key].numpy())


@pytest.mark.parametrize("name, args, kwargs, shape", [
    ("LayerNorm", ((3, 4),), {}, (2, 3, 4)),
    ("GroupNorm", (2, 4), {}, (2, 4, 3)),
    ("RMSNorm", (4,), dict(eps=1e-4), (2, 3, 4)),
    ("InstanceNorm2d", (3,), dict(affine=True, track_running_stats=True), (2, 3, 4, 4)),
])
def test_state_dict_round_trip_from_torch(name, args, kwargs, shape):
    torch = pytest.importorskip("torch")
    expected = getattr(torch.nn, name)(*args, **kwargs)
    with torch.no_grad():
        for p in expected.parameters():
            p.copy_(torch.randn(p.shape))
    expected(torch.randn(shape) * 3 + 1)  # moves InstanceNorm's running statistics
    expected.eval()
    actual = getattr(nn, name)(*args, **kwargs).eval()
    assert str(actual.load_state_dict(state_dict_from_torch(expected))) == "<All keys matched successfully>"
    x = np.random.default_rng(19).standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(actual(tensor(x)).detach().numpy(), expected(torch.tensor(x)).detach().numpy(), **F32)
    assert list(actual.state_dict()) == list(expected.state_dict())


def test_old_instance_norm_checkpoints_load_as_in_torch():
    """A state dict without version (before PyTorch 0.4) with running statistics: refused by a layer
    that does not track them, with PyTorch's explanation; a tracking layer keeps its batch count."""
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, torchless):
        plain = {"running_mean": lib.zeros(3), "running_var": lib.ones(3)}
        refused = outcome(lambda: lib.nn.InstanceNorm2d(3).load_state_dict(dict(plain)))
        tracking = lib.nn.InstanceNorm2d(3, track_running_stats=True)
        results.append((Raised(refused.type, refused.message.replace("torch.", "torchless.")),
                        str(tracking.load_state_dict(dict(plain))), tracking.num_batches_tracked.item()))
    assert results[1] == results[0]


@FAST
@given(st.sampled_from([("InstanceNorm1d", (4, 3, 5)), ("InstanceNorm2d", (2, 3, 4, 3)), ("InstanceNorm1d", (3, 5))]),
       st.sampled_from([0.1, 0.5, None]), st.booleans(), st.sampled_from([np.float32, np.float64]))
def test_instance_norm_training_and_eval_steps_match_torch(case, momentum, affine, dtype):
    torch = pytest.importorskip("torch")
    name, shape = case
    ours = getattr(nn, name)(3, momentum=momentum, affine=affine, track_running_stats=True,
                             dtype=getattr(torchless, np.dtype(dtype).name))
    theirs = getattr(torch.nn, name)(3, momentum=momentum, affine=affine, track_running_stats=True,
                                     dtype=getattr(torch, np.dtype(dtype).name))
    if affine:
        state = {k: torch.tensor(v) for k, v in zip(["weight", "bias"], data(20, (3,), (3,)))}
        theirs.load_state_dict({**theirs.state_dict(), **{k: v.to(theirs.weight.dtype) for k, v in state.items()}})
        ours.load_state_dict(state_dict_from_torch(theirs))
    tol = F32 if dtype == np.float32 else F64
    rng = np.random.default_rng(21)
    for step in range(3):
        x = (rng.standard_normal(shape) * (1 + step) + step).astype(dtype)
        xt, xl = torch.tensor(x, requires_grad=True), tensor(x, requires_grad=True)
        expected, actual = theirs(xt), ours(xl)
        assert actual.grad_fn.name() == expected.grad_fn.name()
        np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), **tol)
        grad = rng.standard_normal(shape).astype(dtype)
        expected.backward(torch.tensor(grad))
        actual.backward(tensor(grad))
        np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), **tol)
        if affine:
            np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), **tol)
            np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), **tol)
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), **tol)
    theirs.eval()
    ours.eval()
    x = rng.standard_normal(shape).astype(dtype)
    np.testing.assert_allclose(ours(tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), **tol)


@pytest.mark.parametrize("name, args, shape", [
    ("LayerNorm", ((4,),), (2, 3, 4)),
    ("GroupNorm", (2, 4), (2, 4, 3)),
    ("RMSNorm", (4,), (2, 3, 4)),
    ("LocalResponseNorm", (3,), (2, 4, 3)),
    ("InstanceNorm2d", (3,), (2, 3, 4, 4)),
])
def test_modules_in_eval_match_torch_with_same_grad_fn(name, args, shape):
    """No running statistics: train and eval alike, and the same graph node as PyTorch's module."""
    torch = pytest.importorskip("torch")
    expected_module, actual_module = getattr(torch.nn, name)(*args).eval(), getattr(nn, name)(*args).eval()
    (x,) = data(22, shape)
    x = x.astype(np.float32)
    xt, xl = torch.tensor(x, requires_grad=True), tensor(x, requires_grad=True)
    assert_matches_torch(actual_module(xl), expected_module(xt), [xl], [xt], F32, np.random.default_rng(22))
