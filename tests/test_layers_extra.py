"""bilinear / nn.Bilinear, pdist, adaptive_max_pool{1,2}d_with_indices, alpha_dropout / feature_alpha_dropout and
nn.AlphaDropout / nn.FeatureAlphaDropout.

Values against float64 NumPy references written from the definitions, gradients by float64 finite differences, and
against PyTorch: values, gradients, grad_fn names, dtypes, error types and messages, module reprs.
"""
import itertools
import math

import numpy as np
import pytest

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import assert_matches_torch, assert_same_error, finite_difference_check, modules_with_same_repr, tensor

TOL32 = dict(rtol=2e-5, atol=2e-5)
SELU_ALPHA = 1.0507009873554805 * 1.6732632423543772  # scale * alpha: minus SELU's saturation value


# --------------------------------------------------------------------------- bilinear
def reference_bilinear(x1, x2, w, b=None):
    out = np.zeros(x1.shape[:-1] + (w.shape[0],))
    for index in np.ndindex(*x1.shape[:-1]):
        for o in range(w.shape[0]):
            out[index + (o,)] = x1[index] @ w[o] @ x2[index] + (0 if b is None else b[o])
    return out


def test_bilinear_matches_reference_and_finite_differences():
    rng = np.random.default_rng(0)
    for lead in [(), (4,), (2, 3)]:
        x1, x2 = rng.standard_normal(lead + (3,)), rng.standard_normal(lead + (5,))
        w, b = rng.standard_normal((2, 3, 5)), rng.standard_normal(2)
        np.testing.assert_allclose(F.bilinear(tensor(x1), tensor(x2), tensor(w), tensor(b)).numpy(),
                                   reference_bilinear(x1, x2, w, b), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(F.bilinear(tensor(x1), tensor(x2), tensor(w)).numpy(),
                                   reference_bilinear(x1, x2, w), rtol=1e-12, atol=1e-12)
        finite_difference_check(F.bilinear, [x1, x2, w, b])
        finite_difference_check(F.bilinear, [x1, x2, w])


def test_bilinear_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    for lead, with_bias in itertools.product([(), (4,), (2, 3)], [True, False]):
        arrays = [rng.standard_normal(lead + (3,)), rng.standard_normal(lead + (5,)),
                  rng.standard_normal((2, 3, 5))] + ([rng.standard_normal(2)] if with_bias else [])
        arrays = [a.astype(np.float32) for a in arrays]
        ours = [tensor(a, requires_grad=True) for a in arrays]
        theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
        assert_matches_torch(F.bilinear(*ours), torch.nn.functional.bilinear(*theirs), ours, theirs, TOL32, rng)


def test_bilinear_errors_match_torch():
    torch = pytest.importorskip("torch")
    x1, x2 = np.zeros((4, 3), np.float32), np.zeros((4, 5), np.float32)
    w, b = np.zeros((2, 3, 5), np.float32), np.zeros(2, np.float32)
    cases = [(x1, x2[:3], w, b), (x1, x2, w[:, :2], b), (x1, x2, w, b[:1]), (x1, x2, w[0], b),
             (x1.astype(np.float64), x2, w, b), (x1, x2.astype(np.float64), w, None), (x1, x2[:, :4], w, b),
             (np.zeros((2, 4, 3), np.float32), x2, w, None), (x1, x2, w, np.zeros((2, 1), np.float32)),
             (x1, x2, w, np.zeros((), np.float32))]
    for arrays in cases:
        assert_same_error(
            lambda: torch.nn.functional.bilinear(*[None if a is None else torch.tensor(a) for a in arrays]),
            lambda: F.bilinear(*[None if a is None else tensor(a) for a in arrays]))


def test_bilinear_module_matches_torch():
    torch = pytest.importorskip("torch")
    theirs, ours = modules_with_same_repr("Bilinear", 3, 5, 2)
    modules_with_same_repr("Bilinear", 3, 5, 2, bias=False)
    assert ours.weight.shape == (2, 3, 5) and ours.bias.shape == (2,)
    bound = 1 / math.sqrt(3)
    assert np.abs(ours.weight.detach().numpy()).max() <= bound and np.abs(ours.bias.detach().numpy()).max() <= bound
    ours.load_state_dict({k: tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(2)
    x1, x2 = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(ours(tensor(x1), tensor(x2)).detach().numpy(),
                               theirs(torch.tensor(x1), torch.tensor(x2)).detach().numpy(), **TOL32)
    assert_same_error(lambda: torch.nn.Bilinear(0, 5, 2), lambda: nn.Bilinear(0, 5, 2))


# --------------------------------------------------------------------------- pdist
def reference_pdist(x, p):
    out = []
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            d = np.abs(x[i] - x[j])
            out.append(np.count_nonzero(d) if p == 0 else d.max() if p == np.inf else (d ** p).sum() ** (1 / p))
    return np.array(out)


@pytest.mark.parametrize("p", [0, 0.5, 1, 1.5, 2, 3, np.inf])
def test_pdist_matches_reference_and_finite_differences(p):
    x = np.random.default_rng(3).standard_normal((5, 4))
    np.testing.assert_allclose(F.pdist(tensor(x), p).numpy(), reference_pdist(x, p), rtol=1e-12, atol=1e-12)
    if p != 0:
        finite_difference_check(lambda t: F.pdist(t, p), [x], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("p", [0, 0.5, 1, 2, 3, np.inf])
def test_pdist_matches_torch(p):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 3)).astype(np.float32)
    x[3] = x[1]  # a zero distance, where the gradient is taken as 0
    ours, theirs = [tensor(x, requires_grad=True)], [torch.tensor(x, requires_grad=True)]
    assert_matches_torch(F.pdist(ours[0], p), torch.nn.functional.pdist(theirs[0], p), ours, theirs, TOL32, rng)


def test_pdist_edge_cases_and_errors_match_torch():
    torch = pytest.importorskip("torch")
    for rows in (0, 1):
        x = np.zeros((rows, 3), np.float32)
        assert F.pdist(tensor(x)).shape == tuple(torch.nn.functional.pdist(torch.tensor(x)).shape)
    x = np.zeros((4, 3), np.float32)
    for array, p in [(x, -1), (x[0], 2), (x.astype(np.int64), 2), (np.zeros((2, 3, 4), np.float32), 2)]:
        assert_same_error(lambda: torch.nn.functional.pdist(torch.tensor(array), p),
                          lambda: F.pdist(tensor(array), p))


# --------------------------------------------------------------------------- adaptive max pooling with indices
def test_adaptive_max_pool_with_indices_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x2, x1 = rng.standard_normal((2, 3, 7, 5)).astype(np.float32), rng.standard_normal((2, 3, 7)).astype(np.float32)
    for ours_fn, theirs_fn, x, size in [
            (F.adaptive_max_pool2d_with_indices, torch.nn.functional.adaptive_max_pool2d_with_indices, x2, (3, 2)),
            (F.adaptive_max_pool1d_with_indices, torch.nn.functional.adaptive_max_pool1d_with_indices, x1, 3)]:
        for return_indices in (False, True):  # both names return (output, indices) regardless
            (out, idx), (t_out, t_idx) = ours_fn(tensor(x), size, return_indices), \
                theirs_fn(torch.tensor(x), size, return_indices)
            np.testing.assert_array_equal(out.numpy(), t_out.numpy())
            np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())
            assert idx.dtype == torchless.int64


# --------------------------------------------------------------------------- alpha dropout
def test_alpha_dropout_is_the_identity_unless_training():
    x = tensor(np.random.default_rng(6).standard_normal((3, 4)))
    assert F.alpha_dropout(x) is x  # training defaults to False, as in PyTorch
    assert F.feature_alpha_dropout(x, 0.3) is x
    assert F.alpha_dropout(x, 0.0, True) is x
    for layer in (nn.AlphaDropout(0.3), nn.FeatureAlphaDropout(0.3)):
        assert layer.eval()(x) is x


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_alpha_dropout_values_are_the_affine_map_of_the_definition(p):
    x = np.random.default_rng(7).standard_normal((200, 50))
    torchless.manual_seed(0)
    out = F.alpha_dropout(tensor(x), p, True).numpy()
    a = 1 / math.sqrt((SELU_ALPHA ** 2 * p + 1) * (1 - p))
    b = SELU_ALPHA * a * p
    kept = np.isclose(out, a * x + b, rtol=1e-12, atol=1e-12)
    dropped = np.isclose(out, -SELU_ALPHA * a + b, rtol=1e-12, atol=1e-12)
    assert np.all(kept | dropped)
    assert abs(dropped.mean() - p) < 0.02
    # the point of alpha dropout: standardised input keeps (about) zero mean and unit variance
    assert abs(out.mean()) < 0.05 and abs(out.std() - 1) < 0.05


def test_alpha_dropout_is_seeded_by_the_default_generator():
    x = tensor(np.ones((5, 6), np.float32))
    torchless.manual_seed(3)
    first = F.alpha_dropout(x, 0.5, True).numpy()
    torchless.manual_seed(3)
    assert np.array_equal(first, F.alpha_dropout(x, 0.5, True).numpy())
    assert not np.array_equal(first, F.alpha_dropout(x, 0.5, True).numpy())


def test_feature_alpha_dropout_drops_whole_channels():
    x = np.ones((8, 16, 3, 3))
    torchless.manual_seed(1)
    out = F.feature_alpha_dropout(tensor(x), 0.5, True).numpy()
    assert np.all(out == out[:, :, :1, :1])  # one draw per (sample, channel)
    assert len(np.unique(out.round(12))) == 2


def test_alpha_dropout_gradient_is_the_scale_of_kept_elements():
    p = 0.4
    a = 1 / math.sqrt((SELU_ALPHA ** 2 * p + 1) * (1 - p))
    x = tensor(np.random.default_rng(8).standard_normal((10, 10)), requires_grad=True)
    torchless.manual_seed(2)
    out = F.alpha_dropout(x, p, True)
    out.sum().backward()
    kept = np.isclose(out.detach().numpy(), a * x.detach().numpy() + SELU_ALPHA * a * p)
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, a, 0.0), rtol=1e-12)


def test_alpha_dropout_against_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(9).standard_normal((3, 4)).astype(np.float32)
    for fn in ("alpha_dropout", "feature_alpha_dropout"):
        for p, training in [(0.5, True), (1.0, True), (0.5, False)]:
            theirs = getattr(torch.nn.functional, fn)(torch.tensor(x, requires_grad=True), p, training)
            ours = getattr(F, fn)(tensor(x, requires_grad=True), p, training)
            assert ours.shape == tuple(theirs.shape) and ours.dtype == torchless.float32
            assert (ours.grad_fn and ours.grad_fn.name()) == (theirs.grad_fn and theirs.grad_fn.name())
        np.testing.assert_array_equal(getattr(F, fn)(tensor(x), 1.0, True).numpy(),
                                      getattr(torch.nn.functional, fn)(torch.tensor(x), 1.0, True).numpy())
        for args in [(x, 1.5, True), (x, -0.1, False), (x[0], 0.5, True), (x.astype(np.int64), 0.5, True)]:
            if fn == "alpha_dropout" and args[0].ndim == 1:
                continue
            assert_same_error(lambda: getattr(torch.nn.functional, fn)(torch.tensor(args[0]), *args[1:]),
                              lambda: getattr(F, fn)(tensor(args[0]), *args[1:]))
    for name in ("AlphaDropout", "FeatureAlphaDropout"):
        modules_with_same_repr(name)
        modules_with_same_repr(name, 0.2, True)
        assert_same_error(lambda: getattr(torch.nn, name)(1.5), lambda: getattr(nn, name)(1.5))
