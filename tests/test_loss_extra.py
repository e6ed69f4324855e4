"""The losses beyond the basic ones: smooth_l1 / huber, kl_div, poisson / gaussian NLL, the margin losses
(soft, ranking, hinge, multi-class, multi-label) and the embedding losses (cosine, triplet), with their layers.

Checked against direct NumPy float64 formulas, float64 finite differences and PyTorch (values, dtypes,
reductions, node names, gradients, warnings, errors, reprs).
"""
import math
import warnings

import numpy as np
import pytest

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import Raised, assert_same_error, finite_difference_check, modules_with_same_repr, outcome, tensor

REDUCTIONS = ["none", "mean", "sum"]


def reduce(losses, reduction):
    return losses if reduction == "none" else losses.sum() if reduction == "sum" else losses.mean()


def log_sigmoid(x):
    return -np.logaddexp(0, -x)


# --------------------------------------------------------------------------- NumPy references (float64)
def ref_smooth_l1(x, y, beta=1.0):
    d = np.abs(x - y)
    return np.where(d < beta, 0.5 * d ** 2 / beta, d - 0.5 * beta)


def ref_huber(x, y, delta=1.0):
    d = np.abs(x - y)
    return np.where(d < delta, 0.5 * d ** 2, delta * (d - 0.5 * delta))


def ref_kl_div(x, y, log_target=False):
    if log_target:
        return np.exp(y) * (y - x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y > 0, y * (np.log(y) - x), -y * x)


def ref_poisson(x, y, log_input=True, full=False, eps=1e-8):
    loss = np.exp(x) - y * x if log_input else x - y * np.log(x + eps)
    if full:
        safe = np.where(y > 1, y, 2.0)
        loss = loss + np.where(y > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * np.pi * safe), 0)
    return loss


def ref_gaussian(x, y, var, full=False, eps=1e-6):
    v = np.maximum(var, eps)
    return 0.5 * (np.log(v) + (x - y) ** 2 / v) + (0.5 * np.log(2 * np.pi) if full else 0)


def ref_soft_margin(x, y):
    return np.log1p(np.exp(-y * x))


def ref_margin_ranking(x1, x2, y, margin=0.0):
    return np.maximum(0, -y * (x1 - x2) + margin)


def ref_hinge(x, y, margin=1.0):
    return np.where(y == 1, x, 0) + np.where(y == -1, np.maximum(0, margin - x), 0)


def ref_multi_margin(x, target, p=1, margin=1.0, weight=None):
    """Per sample: sum over i != y of w_y max(0, margin - x_y + x_i)^p / C, by loops."""
    x = np.atleast_2d(x)
    out = np.zeros(len(x))
    for n, (row, y) in enumerate(zip(x, np.atleast_1d(target))):
        for i, value in enumerate(row):
            if i != y:
                out[n] += max(0.0, margin - row[y] + value) ** p * (1 if weight is None else weight[y])
        out[n] /= len(row)
    return out


def ref_multilabel(x, y, weight=None):
    terms = y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x)
    if weight is not None:
        terms = terms * weight
    return -terms.mean(-1)


def ref_cosine_embedding(x1, x2, y, margin=0.0):
    cos = (x1 * x2).sum(-1) / np.sqrt(((x1 ** 2).sum(-1) + 1e-12) * ((x2 ** 2).sum(-1) + 1e-12))
    return np.where(y == 1, 1 - cos, 0) + np.where(y == -1, np.maximum(0, cos - margin), 0)


def ref_triplet(a, pos, neg, margin=1.0, p=2.0, eps=1e-6, swap=False):
    def dist(u, v):
        return (np.abs(u - v + eps) ** p).sum(-1) ** (1 / p)

    d_neg = dist(a, neg)
    if swap:
        d_neg = np.minimum(d_neg, dist(pos, neg))
    return np.maximum(0, margin + dist(a, pos) - d_neg)


# --------------------------------------------------------------------------- values against the formulas
RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal((4, 5)) * 2, RNG.standard_normal((4, 5))
SIGNS = np.where(RNG.standard_normal((4, 5)) > 0, 1.0, -1.0)
PROBS = RNG.dirichlet(np.ones(5), 4)
COUNTS = RNG.integers(0, 6, (4, 5)).astype(np.float64)
VAR = RNG.uniform(0.2, 2.0, (4, 5))
X_REV, PROBS_REV = X[::-1].copy(), PROBS[::-1].copy()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", [
    ("smooth_l1_loss", (X, Y), {}, lambda: ref_smooth_l1(X, Y)),
    ("smooth_l1_loss", (X, Y), dict(beta=0.4), lambda: ref_smooth_l1(X, Y, 0.4)),
    ("smooth_l1_loss", (X, Y), dict(beta=0.0), lambda: np.abs(X - Y)),
    ("huber_loss", (X, Y), {}, lambda: ref_huber(X, Y)),
    ("huber_loss", (X, Y), dict(delta=2.5), lambda: ref_huber(X, Y, 2.5)),
    ("kl_div", (np.log(PROBS_REV), PROBS), {}, lambda: ref_kl_div(np.log(PROBS_REV), PROBS)),
    ("kl_div", (X, Y), dict(log_target=True), lambda: ref_kl_div(X, Y, True)),
    ("poisson_nll_loss", (X, COUNTS), {}, lambda: ref_poisson(X, COUNTS)),
    ("poisson_nll_loss", (np.abs(X), COUNTS), dict(log_input=False, full=True),
     lambda: ref_poisson(np.abs(X), COUNTS, False, True)),
    ("poisson_nll_loss", (X, COUNTS), dict(full=True), lambda: ref_poisson(X, COUNTS, full=True)),
    ("gaussian_nll_loss", (X, Y, VAR), {}, lambda: ref_gaussian(X, Y, VAR)),
    ("gaussian_nll_loss", (X, Y, VAR * 1e-8), dict(full=True), lambda: ref_gaussian(X, Y, VAR * 1e-8, True)),
    ("soft_margin_loss", (X, SIGNS), {}, lambda: ref_soft_margin(X, SIGNS)),
    ("margin_ranking_loss", (X[0], Y[0], SIGNS[0]), dict(margin=0.3),
     lambda: ref_margin_ranking(X[0], Y[0], SIGNS[0], 0.3)),
    ("hinge_embedding_loss", (X, SIGNS), dict(margin=1.5), lambda: ref_hinge(X, SIGNS, 1.5)),
    ("multilabel_soft_margin_loss", (X, (SIGNS > 0) * 1.0), {}, lambda: ref_multilabel(X, (SIGNS > 0) * 1.0)),
    ("cosine_embedding_loss", (X, Y, SIGNS[:, 0]), dict(margin=-0.2),
     lambda: ref_cosine_embedding(X, Y, SIGNS[:, 0], -0.2)),
    ("triplet_margin_loss", (X, Y, X_REV), {}, lambda: ref_triplet(X, Y, X_REV)),
    ("triplet_margin_loss", (X, Y, X_REV), dict(p=1.0, swap=True, margin=3.0),
     lambda: ref_triplet(X, Y, X_REV, 3.0, 1.0, swap=True)),
], ids=lambda case: case[0] + "-" + ",".join(case[2]))
def test_losses_match_formulas(case, reduction):
    fn, arrays, kwargs, reference = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's warning about 'mean'
        out = getattr(F, fn)(*[tensor(a) for a in arrays], reduction=reduction, **kwargs)
    np.testing.assert_allclose(out.numpy(), reduce(reference(), reduction), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p, margin, weighted", [(1, 1.0, False), (2, 0.5, True), (1, 3.0, True)])
def test_multi_margin_loss_matches_formula(reduction, p, margin, weighted):
    rng = np.random.default_rng(1)
    x, target = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    weight = rng.uniform(0.5, 2, 4) if weighted else None
    out = F.multi_margin_loss(tensor(x), tensor(target), p=p, margin=margin,
                              weight=None if weight is None else tensor(weight), reduction=reduction)
    np.testing.assert_allclose(out.numpy(), reduce(ref_multi_margin(x, target, p, margin, weight), reduction),
                               rtol=1e-12)
    single = F.multi_margin_loss(tensor(x[2]), tensor(target[2]), p=p, margin=margin, reduction="none")
    assert single.shape == ()
    np.testing.assert_allclose(single.numpy(), ref_multi_margin(x[2], target[2], p, margin)[0], rtol=1e-12)


def test_kl_div_batchmean_is_the_divergence_per_sample():
    p, q = PROBS, PROBS_REV
    expected = (p * np.log(p / q)).sum() / len(p)
    assert F.kl_div(tensor(np.log(q)), tensor(p), reduction="batchmean").item() == pytest.approx(expected, rel=1e-12)
    logq = tensor(np.log(q))
    assert F.kl_div(logq, tensor(np.log(p)), reduction="batchmean", log_target=True).item() == pytest.approx(
        expected, rel=1e-12)


def test_kl_div_zero_targets_contribute_nothing():
    out = F.kl_div(tensor([0.3, -2.0]), tensor([0.0, 0.5]), reduction="none")
    np.testing.assert_allclose(out.numpy(), [0.0, 0.5 * (np.log(0.5) + 2.0)], rtol=1e-12)


def test_huber_is_delta_times_smooth_l1():
    for delta in (0.5, 1.0, 3.0):
        huber = F.huber_loss(tensor(X), tensor(Y), delta=delta, reduction="none").numpy()
        smooth = F.smooth_l1_loss(tensor(X), tensor(Y), beta=delta, reduction="none").numpy()
        np.testing.assert_allclose(huber, delta * smooth, rtol=1e-12)


def test_huber_weight_scales_each_loss_then_takes_a_plain_mean():
    w = RNG.uniform(0, 2, (4, 5))
    out = F.huber_loss(tensor(X), tensor(Y), weight=tensor(w))
    assert out.item() == pytest.approx((ref_huber(X, Y) * w).mean(), rel=1e-12)


def test_gaussian_nll_loss_variance_shapes():
    v = VAR[:, :1]
    expected = ref_gaussian(X, Y, v).mean()
    assert F.gaussian_nll_loss(tensor(X), tensor(Y), tensor(v)).item() == pytest.approx(expected, rel=1e-12)
    assert F.gaussian_nll_loss(tensor(X), tensor(Y), tensor(v[:, 0])).item() == pytest.approx(expected, rel=1e-12)
    assert F.gaussian_nll_loss(tensor(X), tensor(Y), 0.5).item() == pytest.approx(ref_gaussian(X, Y, 0.5).mean(),
                                                                                  rel=1e-12)
    for bad in (VAR[:, :2], VAR[:1, :1], VAR[0, :3]):
        with pytest.raises(ValueError, match="var is of incorrect size"):
            F.gaussian_nll_loss(tensor(X), tensor(Y), tensor(bad))
    with pytest.raises(ValueError, match="var has negative entry"):
        F.gaussian_nll_loss(tensor(X), tensor(Y), tensor(-VAR))


# --------------------------------------------------------------------------- gradients by finite differences
@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides", "ignore:Using a target size")
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradients_of_every_input_finite_differences(reduction):
    rng = np.random.default_rng(2)
    x, y, z = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    p, q = rng.uniform(0.2, 1.0, (3, 4)), rng.uniform(0.2, 1.0, (3, 4))
    counts, var = rng.uniform(1.5, 5, (3, 4)), rng.uniform(0.3, 2, (3, 4))
    signs = tensor(np.where(rng.standard_normal((3, 4)) > 0, 1.0, -1.0))
    checks = [
        (lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.7), [x, y]),
        (lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction), [x, y[0].copy()]),
        (lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=0.8), [x, y]),
        (lambda a, b: F.kl_div(a, b, reduction=reduction), [x, p]),
        (lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=True), [x, y]),
        (lambda a, b: F.poisson_nll_loss(a, b, reduction=reduction, full=True), [x, counts]),
        (lambda a, b: F.poisson_nll_loss(a, b, log_input=False, full=True, reduction=reduction), [q, counts]),
        (lambda a, b, v: F.gaussian_nll_loss(a, b, v, full=True, reduction=reduction), [x, y, var]),
        (lambda a: F.soft_margin_loss(a, signs, reduction=reduction), [x]),
        (lambda a, b: F.margin_ranking_loss(a, b, signs[0], margin=0.2, reduction=reduction), [x[0], y[0]]),
        (lambda a: F.hinge_embedding_loss(a, signs, margin=0.5, reduction=reduction), [x]),
        (lambda a, b: F.multilabel_soft_margin_loss(a, b, reduction=reduction), [x, q]),
        (lambda a, b: F.cosine_embedding_loss(a, b, signs[:, 0], margin=-0.5, reduction=reduction), [x, y]),
        (lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=2.0, reduction=reduction), [x, y, z]),
        (lambda a, b, c: F.triplet_margin_loss(a, b, c, p=3, swap=True, margin=2.0, reduction=reduction), [x, y, z]),
    ]
    for fn, arrays in checks:
        finite_difference_check(fn, arrays, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_loss_gradient_finite_differences(reduction, p):
    rng = np.random.default_rng(3)
    target, weight = tensor(rng.integers(0, 4, 5)), tensor(rng.uniform(0.5, 2, 4))
    finite_difference_check(lambda a: F.multi_margin_loss(a, target, p=p, margin=0.7, weight=weight,
                                                          reduction=reduction), [rng.standard_normal((5, 4))],
                            rtol=1e-5, atol=1e-8)


def test_gaussian_nll_loss_does_not_differentiate_the_clamp():
    var = tensor([1e-9, 0.5], requires_grad=True)
    F.gaussian_nll_loss(tensor([0.3, 0.0]), tensor([0.0, 0.0]), var, reduction="sum").backward()
    # The clamped variance 1e-6 still gets 0.5 (1 / v - d^2 / v^2) at v = 1e-6, as if it were unclamped.
    np.testing.assert_allclose(var.grad.numpy(), [0.5 * (1e6 - 0.09 * 1e12), 0.5 * 2.0], rtol=1e-9)


# --------------------------------------------------------------------------- against PyTorch
def run(lib, fn, arrays, grad_mask, kwargs):
    """F.<fn> in ``lib``: its value, dtype, node name and the gradients of one random backward (or what raised),
    and the warnings it gave."""
    def convert(value, requires_grad=False):
        value = np.asarray(value) if isinstance(value, np.generic) else value
        if isinstance(value, np.ndarray):
            return lib.tensor(value, requires_grad=requires_grad and value.dtype.kind == "f")
        return value

    inputs = [convert(a, g) for a, g in zip(arrays, grad_mask)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss = outcome(lambda: getattr(lib.nn.functional, fn)(*inputs, **{k: convert(v) for k, v in kwargs.items()}))
    said = [str(w.message).replace("torch.", "torchless.") for w in caught]
    if isinstance(loss, Raised):
        return [Raised(loss.type, loss.message.replace("torch.", "torchless."))], said
    result = [loss.detach().numpy(), str(loss.dtype).split(".")[-1], loss.grad_fn and loss.grad_fn.name()]
    if loss.grad_fn is not None:
        grad = np.random.default_rng(4).standard_normal(loss.shape).astype(loss.detach().numpy().dtype)
        raised = outcome(lambda: loss.backward(lib.tensor(grad)))
        result.append(raised or [None if t.grad is None else t.grad.numpy()
                                 for t in inputs if getattr(t, "requires_grad", False)])
    return result, said


def assert_same_as_torch(fn, arrays, grad_mask=None, rtol=1e-5, **kwargs):
    pytest.importorskip("torch")
    import torch

    grad_mask = grad_mask or [True] * len(arrays)
    (expected, expected_warnings) = run(torch, fn, arrays, grad_mask, kwargs)
    (actual, actual_warnings) = run(torchless, fn, arrays, grad_mask, kwargs)
    assert actual_warnings == expected_warnings
    assert len(actual) == len(expected), (actual, expected)
    if isinstance(expected[0], Raised):
        assert actual == expected
        return
    value, dtype, node = actual[:3]
    assert (value.shape, dtype, node) == (expected[0].shape, expected[1], expected[2])
    np.testing.assert_allclose(value, expected[0], rtol=rtol, atol=1e-6)
    if len(expected) > 3:
        if isinstance(expected[3], Raised):
            assert actual[3] == expected[3]
            return
        assert len(actual[3]) == len(expected[3])
        for ours, theirs in zip(actual[3], expected[3]):
            assert (ours is None) == (theirs is None)
            if theirs is None:
                continue
            assert ours.dtype == theirs.dtype
            np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=1e-6)


F32 = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
G32 = np.random.default_rng(6).standard_normal((3, 4)).astype(np.float32)
PM32 = np.sign(np.random.default_rng(7).standard_normal((3, 4))).astype(np.float32)
INTS = np.random.default_rng(8).integers(0, 4, (3, 4))


@pytest.mark.parametrize("reduction", REDUCTIONS + ["elementwise_mean", "bad"])
@pytest.mark.parametrize("fn", ["smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss", "soft_margin_loss"])
@pytest.mark.parametrize("arrays", [
    (F32, G32), (F32.astype(np.float64), G32), (F32, G32.astype(np.float64)), (F32, G32[0]), (F32[0], G32),
    (F32, G32[:, :2]), (F32, INTS), (INTS, G32), (INTS, INTS), (F32, INTS > 1), (np.zeros((0, 3), np.float32),) * 2,
], ids=lambda arrays: "-".join(f"{a.dtype}{list(a.shape)}" for a in arrays))
def test_two_tensor_losses_match_torch(fn, arrays, reduction):
    """Dtype promotion (or the output in the input's dtype), broadcasting and its warning, errors."""
    grad_mask = [True, fn != "soft_margin_loss"]  # soft_margin_loss refuses a target requiring grad
    assert_same_as_torch(fn, list(arrays), grad_mask, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("fn, kwargs", [
    ("smooth_l1_loss", dict(beta=0.0)), ("smooth_l1_loss", dict(beta=0.3)), ("smooth_l1_loss", dict(beta=-1.0)),
    ("smooth_l1_loss", dict(size_average=False)), ("smooth_l1_loss", dict(reduce=False)),
    ("huber_loss", dict(delta=0.3)), ("huber_loss", dict(delta=0.0)), ("huber_loss", dict(weight=np.abs(G32))),
    ("huber_loss", dict(weight=np.abs(G32[0]))),
    ("kl_div", dict(log_target=True)), ("kl_div", dict(size_average=True, reduce=True)),
    ("poisson_nll_loss", dict(full=True)), ("poisson_nll_loss", dict(log_input=False, eps=0.1)),
    ("soft_margin_loss", dict(reduce=False)),
])
def test_loss_options_match_torch(fn, kwargs, reduction):
    x = np.abs(F32) if fn == "poisson_nll_loss" else F32
    target = np.abs(G32) * 3 if fn == "poisson_nll_loss" else PM32 if fn == "soft_margin_loss" else G32
    assert_same_as_torch(fn, [x, target], [True, fn != "soft_margin_loss"], reduction=reduction, **kwargs)


@pytest.mark.parametrize("reduction", ["batchmean", "mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(3, 4), (5,), ()])
def test_kl_div_batchmean_and_its_warning_match_torch(reduction, shape):
    rng = np.random.default_rng(9)
    log_q, p = np.log(rng.uniform(0.1, 1, shape)), rng.uniform(0, 1, shape)
    p.flat[0] = 0.0  # its target gradient is nan there, in both
    assert_same_as_torch("kl_div", [log_q, p], reduction=reduction)
    assert_same_as_torch("kl_div", [log_q, p], reduction=reduction, reduce=False)


@pytest.mark.parametrize("reduction", REDUCTIONS + ["bad"])
@pytest.mark.parametrize("arrays, kwargs", [
    ((F32[0], G32[0], PM32[0]), {}), ((F32[0], G32[0], PM32[0]), dict(margin=0.5)),
    ((F32[0].astype(np.float64), G32[0], PM32[0].astype(np.int64)), dict(margin=1)),
    ((INTS[0], INTS[1], PM32[0].astype(np.int64)), dict(margin=0)), ((F32, G32[:1], PM32[:1]), {}),
    ((F32[:1], G32[0], PM32[0]), {}), ((F32[0], G32[0], PM32[0, :3]), {}), ((F32[0], G32[0], PM32[0] > 0), {}),
    ((F32[0], G32[0], PM32[0]), dict(size_average=False)),
])
def test_margin_ranking_loss_matches_torch(arrays, kwargs, reduction):
    assert_same_as_torch("margin_ranking_loss", list(arrays), reduction=reduction, **kwargs)


@pytest.mark.parametrize("reduction", REDUCTIONS + ["bad"])
@pytest.mark.parametrize("arrays, kwargs", [
    ((F32, PM32), {}), ((F32, PM32), dict(margin=0.2)), ((F32, np.array([0, 2, 1, -1], np.float32)), {}),
    ((F32[:, :1], PM32), {}), ((F32, PM32[0]), {}), ((INTS, PM32.astype(np.int64)), dict(margin=1.5)),
    ((F32.astype(np.float64), PM32), {}), ((F32, PM32[:2, :3]), {}), ((F32, PM32), dict(reduce=False)),
])
def test_hinge_embedding_loss_matches_torch(arrays, kwargs, reduction):
    assert_same_as_torch("hinge_embedding_loss", list(arrays), reduction=reduction, **kwargs)


TARGET = np.array([0, 3, 1])


@pytest.mark.parametrize("reduction", REDUCTIONS + ["bad"])
@pytest.mark.parametrize("arrays, kwargs", [
    ((F32, TARGET), {}), ((F32, TARGET), dict(p=2, margin=0.4)), ((F32, TARGET), dict(weight=np.abs(G32[0]))),
    ((F32.astype(np.float64), TARGET), dict(p=2.0, weight=np.abs(G32[0]).astype(np.float64))),
    ((F32[0], TARGET[:1]), {}), ((F32[0], TARGET[1]), {}), ((F32[0, 0], TARGET[0]), {}),
    ((F32[0, 0], TARGET[:1]), {}), ((F32, TARGET), dict(size_average=False)),
    # errors, in PyTorch's order
    ((F32, TARGET), dict(p=3)), ((F32, TARGET), dict(weight=np.ones((1, 4), np.float32))),
    ((F32, TARGET), dict(weight=np.ones(3, np.float32))), ((F32, TARGET), dict(weight=np.ones(4))),
    ((F32, TARGET[:2]), {}), ((F32, TARGET[:, None]), {}), ((F32[0], TARGET), {}), ((F32[None], TARGET), {}),
    ((F32[:, :0], TARGET), {}), ((INTS, TARGET), {}), ((F32, TARGET.astype(np.float32)), {}),
    ((F32, TARGET.astype(np.int32)), {}), ((F32, TARGET.astype(np.float32)), dict(weight=np.ones(4))),
    ((F32, np.array([0, 4, 1])), {}), ((F32, np.array([0, -1, 1])), {}),
    ((np.zeros((0, 4), np.float32), np.zeros(0, np.int64)), {}),
])
def test_multi_margin_loss_matches_torch(arrays, kwargs, reduction):
    if arrays[0].size == 0 and reduction in ("mean", "sum"):
        pytest.skip("PyTorch leaves the reduced loss of no samples unwritten (an arbitrary value)")
    assert_same_as_torch("multi_margin_loss", list(arrays), reduction=reduction, **kwargs)


def test_multi_margin_and_soft_margin_refuse_gradients_they_do_not_compute():
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    assert_same_error(lambda: TF.multi_margin_loss(torch.tensor(F32), torch.tensor(TARGET),
                                                   weight=torch.ones(4, requires_grad=True)),
                      lambda: F.multi_margin_loss(tensor(F32), tensor(TARGET),
                                                  weight=torchless.ones(4, requires_grad=True)))
    assert_same_error(lambda: TF.soft_margin_loss(torch.tensor(F32), torch.tensor(PM32, requires_grad=True)),
                      lambda: F.soft_margin_loss(tensor(F32), tensor(PM32, requires_grad=True)))
    with torchless.no_grad():  # nothing is recorded, so nothing is refused
        F.soft_margin_loss(tensor(F32), tensor(PM32, requires_grad=True))


@pytest.mark.parametrize("reduction", REDUCTIONS + ["bad"])
@pytest.mark.parametrize("arrays, kwargs", [
    ((F32, PM32 > 0), {}), ((F32, (PM32 > 0) * 1.0), dict(weight=np.abs(G32[0]))),
    ((F32, INTS), dict(weight=np.abs(G32[:, :1]))), ((F32[0], PM32[0] > 0), {}), ((F32, PM32[0] > 0), {}),
    ((F32 * 40, (PM32 > 0) * 1.0), {}), ((INTS, PM32), {}), ((F32, PM32[:, :2]), {}),
    ((np.float32(1.0) * np.ones((), np.float32), np.ones((), np.float32)), {}),
    ((F32, (PM32 > 0) * 1.0), dict(reduce=False)),
])
def test_multilabel_soft_margin_loss_matches_torch(arrays, kwargs, reduction):
    arrays = [a.astype(np.float32) if a.dtype == bool else a for a in arrays]
    assert_same_as_torch("multilabel_soft_margin_loss", list(arrays), reduction=reduction, **kwargs)


@pytest.mark.parametrize("reduction", REDUCTIONS + ["bad"])
@pytest.mark.parametrize("arrays, kwargs", [
    ((F32, G32, PM32[:, 0]), {}), ((F32, G32, PM32[:, 0]), dict(margin=0.5)), ((F32, G32[:1], PM32[:, 0]), {}),
    ((F32.astype(np.float64), G32, np.array([1, -1, 0])), {}), ((INTS, INTS[::-1].copy(), PM32[:, 0]), {}),
    ((F32[0], G32[0], PM32[0, 0] * np.ones((), np.float32)), {}), ((F32 * 0, G32, PM32[:, 0]), {}),
    ((F32, G32, PM32[:, :1]), {}), ((F32[0], G32, PM32[:, 0]), {}), ((F32[0], G32, PM32[0, 0] * np.ones(())), {}),
    ((F32, G32[:2], PM32[:, 0]), {}), ((F32, G32, PM32[:2, 0]), {}), ((F32, G32, PM32[:, 0]), dict(reduce=False)),
])
def test_cosine_embedding_loss_matches_torch(arrays, kwargs, reduction):
    assert_same_as_torch("cosine_embedding_loss", list(arrays), reduction=reduction, **kwargs)


@pytest.mark.parametrize("reduction", REDUCTIONS + ["bad"])
@pytest.mark.parametrize("kwargs", [
    {}, dict(margin=0.5, swap=True), dict(p=1), dict(p=3, eps=1e-3), dict(margin=0), dict(margin=-1.0),
    dict(reduce=False),
    dict(p=float("inf")),
])
@pytest.mark.parametrize("arrays", [(F32, G32, G32[::-1].copy()), (F32[0], G32[0], G32[1]), (F32, G32[:1], G32),
                                    (INTS, INTS[::-1].copy(), INTS * 2), (F32, G32[0], G32), (F32, G32, G32[:2]),
                                    (F32.astype(np.float64), G32, G32)])
def test_triplet_margin_loss_matches_torch(arrays, kwargs, reduction):
    assert_same_as_torch("triplet_margin_loss", list(arrays), reduction=reduction, **kwargs)


@pytest.mark.parametrize("reduction", REDUCTIONS + ["bad"])
@pytest.mark.parametrize("var", [np.abs(G32) + 0.1, np.abs(G32[:, 0]) + 0.1, np.abs(G32[:, :1]), np.abs(G32[:1]),
                                 np.abs(G32[:1, :1]), np.abs(G32[:, :2]), -np.abs(G32), np.zeros((3, 4), np.float32),
                                 np.abs(G32).astype(np.float64), 0.5, -0.5])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss_matches_torch(var, full, reduction):
    assert_same_as_torch("gaussian_nll_loss", [F32, G32, var], reduction=reduction, full=full)


def test_non_tensor_arguments_match_torch():
    torch = pytest.importorskip("torch")
    for fn in ("soft_margin_loss", "kl_div", "poisson_nll_loss"):
        for args in (([1.0], torch.ones(1)), (torch.ones(1), [1.0])):
            ours = [tensor(np.ones(1, np.float32)) if isinstance(a, torch.Tensor) else a for a in args]
            assert_same_error(lambda: getattr(torch.nn.functional, fn)(*args), lambda: getattr(F, fn)(*ours))


# --------------------------------------------------------------------------- warnings and gradients in detail
def test_kl_div_mean_warns_and_batchmean_does_not():
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(tensor(X), tensor(PROBS))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.kl_div(tensor(X), tensor(PROBS), reduction="batchmean")


def test_size_warning_points_at_the_caller():
    with pytest.warns(UserWarning, match="target size") as caught:
        F.smooth_l1_loss(tensor(X), tensor(Y[0]))
    assert caught[0].filename == __file__


def test_losses_keep_float32():
    x = torchless.randn(3, 4, requires_grad=True)
    for loss in (F.smooth_l1_loss(x, torchless.zeros(3, 4)), F.soft_margin_loss(x, torchless.ones(3, 4)),
                 F.multi_margin_loss(x, torchless.tensor([0, 1, 2])),
                 F.triplet_margin_loss(x, x.detach() * 2, torchless.zeros(3, 4))):
        x.grad = None
        loss.backward()
        assert loss.dtype == x.grad.dtype == torchless.float32


# --------------------------------------------------------------------------- layers
LAYERS = [
    ("SmoothL1Loss", (), dict(beta=0.5), 2), ("HuberLoss", (), dict(delta=2.0, reduction="sum"), 2),
    ("KLDivLoss", (), dict(reduction="batchmean", log_target=True), 2), ("PoissonNLLLoss", (), dict(full=True), 2),
    ("GaussianNLLLoss", (), dict(full=True, eps=1e-3), 3), ("SoftMarginLoss", (), dict(reduction="none"), 2),
    ("MarginRankingLoss", (0.2,), {}, 3), ("HingeEmbeddingLoss", (), dict(margin=2.0), 2),
    ("MultiMarginLoss", (2, 0.5), {}, 2), ("MultiLabelSoftMarginLoss", (), dict(reduction="sum"), 2),
    ("CosineEmbeddingLoss", (), dict(margin=0.1), 3), ("TripletMarginLoss", (), dict(p=1.0, swap=True), 3),
    ("SmoothL1Loss", (), dict(size_average=False), 2),
]


def layer_inputs(name, lib):
    rng = np.random.default_rng(10)
    x, y, s = (rng.standard_normal((3, 4)) for _ in range(3))
    arrays = {"PoissonNLLLoss": [x, np.abs(y) * 3], "GaussianNLLLoss": [x, y, np.abs(s)],
              "SoftMarginLoss": [x, np.sign(y)], "MarginRankingLoss": [x[0], y[0], np.sign(s[0])],
              "HingeEmbeddingLoss": [x, np.sign(y)], "MultiMarginLoss": [x, np.array([0, 3, 2])],
              "MultiLabelSoftMarginLoss": [x, (y > 0) * 1.0], "CosineEmbeddingLoss": [x, y, np.sign(s[:, 0])],
              "TripletMarginLoss": [x, y, s]}.get(name, [x, y])
    return [lib.tensor(a) for a in arrays]


@pytest.mark.filterwarnings("ignore:size_average and reduce")
@pytest.mark.parametrize("name, args, kwargs, arity", LAYERS, ids=lambda v: str(v))
def test_loss_layers_match_torch(name, args, kwargs, arity):
    torch = pytest.importorskip("torch")
    theirs, ours = modules_with_same_repr(name, *args, **kwargs)
    assert ours.reduction == theirs.reduction
    expected = theirs(*layer_inputs(name, torch))
    actual = ours(*layer_inputs(name, torchless))
    np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-10)


def test_loss_layers_have_no_parameters_but_their_weight_buffer():
    weight = torchless.tensor([1.0, 2.0, 0.5])
    layer = nn.MultiMarginLoss(weight=weight)
    assert list(layer.parameters()) == [] and list(layer.state_dict()) == ["weight"]
    assert layer.weight is weight
    assert repr(nn.MultiLabelSoftMarginLoss(weight=weight)) == "MultiLabelSoftMarginLoss()"


@pytest.mark.parametrize("build", [
    lambda lib: lib.nn.HuberLoss(delta="1"), lambda lib: lib.nn.MultiMarginLoss(p=3),
    lambda lib: lib.nn.MultiMarginLoss(weight=lib.ones(2, 2)), lambda lib: lib.nn.TripletMarginLoss(margin=0.0),
    lambda lib: lib.nn.GaussianNLLLoss(True),
])
def test_loss_layer_constructor_errors_match_torch(build):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: build(torch), lambda: build(torchless))


def test_legacy_flags_choose_the_reduction_with_a_warning():
    with pytest.warns(UserWarning, match="reduction='sum'"):
        layer = nn.SoftMarginLoss(size_average=False)
    assert layer.reduction == "sum"
    x, y = tensor(X), tensor(SIGNS)
    assert layer(x, y).item() == pytest.approx(ref_soft_margin(X, SIGNS).sum(), rel=1e-12)
    with pytest.warns(UserWarning, match="reduction='none'"):
        out = F.margin_ranking_loss(x[0], tensor(Y[0]), y[0], reduce=False, reduction="sum")
    assert out.shape == (5,)
    assert math.isclose(F.poisson_nll_loss(x, tensor(COUNTS), reduction="sum").item(),
                        ref_poisson(X, COUNTS).sum(), rel_tol=1e-12)
