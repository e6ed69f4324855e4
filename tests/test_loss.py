"""Losses: cross_entropy, nll_loss, mse_loss, l1_loss, binary_cross_entropy (with logits), and their layers.

Checked against direct NumPy formulas, float64 finite differences and PyTorch (values, gradients,
node names, errors, warnings, reprs).
"""
import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import (Raised, assert_matches_torch, assert_same_error, examples, finite_difference_check,
                     modules_with_same_repr, outcome, tensor)

FAST = examples(40)
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def log_softmax(x, axis=1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def reference_cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0):
    """Direct formula, classes on axis 1: per element -sum_c q_c log p_c with q the smoothed weighted target."""
    classes = x.shape[1]
    logp = np.moveaxis(log_softmax(x), 1, -1)  # (N, ..., C)
    w = np.ones(classes) if weight is None else weight
    valid = target != ignore_index
    safe = np.where(valid, target, 0)
    nll = -np.take_along_axis(logp, safe[..., None], -1)[..., 0] * w[safe] * valid
    smooth = -(logp * w).sum(-1) * valid
    losses = (1 - smoothing) * nll + smoothing / classes * smooth
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.sum() / (w[safe] * valid).sum()


# --------------------------------------------------------------------------- cross entropy, independent of torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2, 3)])
def test_cross_entropy_matches_formula(reduction, smoothing, weighted, shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape) * 3
    target = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    target.flat[0] = -100  # one ignored element
    weight = rng.uniform(0.5, 2, shape[1]) if weighted else None
    out = F.cross_entropy(tensor(x), tensor(target), None if weight is None else tensor(weight),
                          reduction=reduction, label_smoothing=smoothing)
    np.testing.assert_allclose(out.numpy(), reference_cross_entropy(x, target, weight, -100, reduction, smoothing),
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_gradient_finite_differences(reduction, smoothing):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3, 2))
    target = tensor(np.array([[0, 2], [1, -100], [2, 2], [1, 0]]))
    weight = tensor(rng.uniform(0.5, 2, 3))
    finite_difference_check(lambda t: F.cross_entropy(t, target, weight, reduction=reduction,
                                                      label_smoothing=smoothing), [x])
    finite_difference_check(lambda t: F.cross_entropy(t, target[:, 0], reduction=reduction,
                                                      label_smoothing=smoothing), [x[:, :, 0].copy()])


def test_cross_entropy_probability_targets_gradient_finite_differences():
    rng = np.random.default_rng(3)
    x, target = rng.standard_normal((3, 4)), rng.dirichlet(np.ones(4), 3)
    finite_difference_check(lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1), [x, target])


def test_cross_entropy_is_stable_for_huge_logits():
    x = tensor(np.array([[1e4, 0.0, -1e4]], np.float32), requires_grad=True)
    loss = F.cross_entropy(x, tensor([1]))
    assert loss.item() == pytest.approx(1e4, rel=1e-6)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, -1.0, 0.0]], atol=1e-6)


def test_cross_entropy_keeps_float32_and_unbatched_input():
    x = torchless.randn(4, 5, requires_grad=True)
    loss = F.cross_entropy(x, torchless.tensor([0, 1, 2, 3]))
    loss.backward()
    assert loss.dtype == x.grad.dtype == torchless.float32
    single = F.cross_entropy(x[1], torchless.tensor(1), reduction="none")
    assert single.shape == () and single.item() == pytest.approx(
        F.cross_entropy(x[1:2], torchless.tensor([1])).item(), rel=1e-6)


def test_nll_loss_of_log_softmax_is_cross_entropy():
    rng = np.random.default_rng(4)
    x, target = tensor(rng.standard_normal((6, 5))), tensor(rng.integers(0, 5, 6))
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(x, 1), target).numpy(), F.cross_entropy(x, target).numpy(),
                               rtol=1e-12)


def test_nll_loss_gradient_finite_differences():
    rng = np.random.default_rng(5)
    target, weight = tensor(np.array([[1, 0, -100], [2, 2, 1]])), tensor(rng.uniform(0.5, 2, 3))
    for reduction in ("mean", "sum", "none"):
        finite_difference_check(lambda t: F.nll_loss(t, target, weight, reduction=reduction),
                                [rng.standard_normal((2, 3, 3))])


# --------------------------------------------------------------------------- regression and binary losses
def test_regression_losses_match_formulas():
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    assert F.mse_loss(tensor(x), tensor(y)).item() == pytest.approx(np.mean((x - y) ** 2), rel=1e-12)
    assert F.l1_loss(tensor(x), tensor(y), reduction="sum").item() == pytest.approx(np.abs(x - y).sum(), rel=1e-12)
    np.testing.assert_allclose(F.mse_loss(tensor(x), tensor(y), reduction="none").numpy(), (x - y) ** 2)
    w = rng.uniform(0, 1, (3, 4))
    assert F.mse_loss(tensor(x), tensor(y), weight=tensor(w)).item() == pytest.approx(
        ((x - y) ** 2 * w).sum() / w.sum(), rel=1e-12)


def test_binary_losses_match_formulas():
    rng = np.random.default_rng(7)
    logits, y, w = rng.standard_normal((3, 4)) * 3, rng.uniform(0, 1, (3, 4)), rng.uniform(0, 2, 4)
    p = 1 / (1 + np.exp(-logits))
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p)) * w
    assert F.binary_cross_entropy(tensor(p), tensor(y), tensor(w)).item() == pytest.approx(bce.mean(), rel=1e-10)
    assert F.binary_cross_entropy_with_logits(tensor(logits), tensor(y), tensor(w)).item() == pytest.approx(
        bce.mean(), rel=1e-10)
    pos = rng.uniform(0.5, 3, 4)
    weighted = -(pos * y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(tensor(logits), tensor(y), pos_weight=tensor(pos),
                                                                  reduction="none").numpy(), weighted, rtol=1e-10)
    # log clamps at -100: a confident wrong prediction costs 100, not inf.
    assert F.binary_cross_entropy(tensor([0.0, 1.0]), tensor([1.0, 0.0])).item() == 100.0


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_and_binary_gradients_finite_differences(reduction):
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal((3, 4)), rng.uniform(0.1, 0.9, (3, 4))
    finite_difference_check(lambda a, b: F.mse_loss(a, b, reduction=reduction), [x, y])
    finite_difference_check(lambda a, b: F.mse_loss(a, b, reduction=reduction), [x, y[0].copy()])
    finite_difference_check(lambda a, b: F.l1_loss(a, b, reduction=reduction), [x, y])
    p = rng.uniform(0.1, 0.9, (3, 4))
    w = tensor(rng.uniform(0.5, 2, 4))
    finite_difference_check(lambda a, b: F.binary_cross_entropy(a, b, w, reduction=reduction), [p, y])
    pos = tensor(rng.uniform(0.5, 2, 4))
    finite_difference_check(lambda a, b: F.binary_cross_entropy_with_logits(a, b, w, reduction=reduction,
                                                                            pos_weight=pos), [x, y])


# --------------------------------------------------------------------------- against PyTorch
def compare(torch, fn_name, arrays, grad_mask, kwargs, dtype):
    """F.<fn_name>(*arrays, **kwargs) in both libraries; outputs, node names and gradients of float inputs."""
    expected_inputs = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grad_mask)]
    inputs = [tensor(a, requires_grad=g) for a, g in zip(arrays, grad_mask)]

    def convert(lib, value):
        return lib.tensor(value) if isinstance(value, np.ndarray) else value

    expected = getattr(torch.nn.functional, fn_name)(*expected_inputs, **{k: convert(torch, v) for k, v in
                                                                          kwargs.items()})
    actual = getattr(F, fn_name)(*inputs, **{k: convert(torchless, v) for k, v in kwargs.items()})
    assert_matches_torch(actual, expected, inputs, expected_inputs, TOL[dtype], np.random.default_rng(9))


dtypes = st.sampled_from([np.float32, np.float64])
reductions = st.sampled_from(["mean", "sum", "none"])


@FAST
@given(st.integers(1, 4), st.integers(1, 5), st.lists(st.integers(1, 3), max_size=2), reductions,
       st.sampled_from([0.0, 0.25]), st.booleans(), st.sampled_from([-100, 0]), dtypes)
def test_cross_entropy_class_targets_match_torch(batch, classes, spatial, reduction, smoothing, weighted, ignore_index,
                                                 dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    x = (rng.standard_normal((batch, classes) + tuple(spatial)) * 3).astype(dtype)
    target = rng.integers(0, classes, (batch,) + tuple(spatial))
    kwargs = dict(reduction=reduction, label_smoothing=smoothing, ignore_index=ignore_index)
    if weighted:
        kwargs["weight"] = rng.uniform(0.5, 2, classes).astype(dtype)
    compare(torch, "cross_entropy", [x, target], [True, False], kwargs, dtype)
    compare(torch, "nll_loss", [log_softmax(x).astype(dtype), target], [True, False],
            {k: v for k, v in kwargs.items() if k != "label_smoothing"}, dtype)


@FAST
@given(st.integers(1, 4), st.integers(1, 5), st.lists(st.integers(1, 3), max_size=2), reductions,
       st.sampled_from([0.0, 0.25]), st.booleans(), dtypes)
def test_cross_entropy_probability_targets_match_torch(batch, classes, spatial, reduction, smoothing, weighted, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    shape = (batch, classes) + tuple(spatial)
    x = rng.standard_normal(shape).astype(dtype)
    target = np.moveaxis(rng.dirichlet(np.ones(classes), (batch,) + tuple(spatial)), -1, 1).astype(dtype)
    kwargs = dict(reduction=reduction, label_smoothing=smoothing)
    if weighted:
        kwargs["weight"] = rng.uniform(0.5, 2, classes).astype(dtype)
    expected_out = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(target), **{
        k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()})
    actual = F.cross_entropy(tensor(x), tensor(target), **{k: tensor(v) if isinstance(v, np.ndarray) else v
                                                            for k, v in kwargs.items()})
    np.testing.assert_allclose(actual.numpy(), expected_out.numpy(), **TOL[dtype])
    xt, xl = torch.tensor(x, requires_grad=True), tensor(x, requires_grad=True)
    torch.nn.functional.cross_entropy(xt, torch.tensor(target), label_smoothing=smoothing).backward()
    F.cross_entropy(xl, tensor(target), label_smoothing=smoothing).backward()
    np.testing.assert_allclose(xl.grad.numpy(), xt.grad.numpy(), **TOL[dtype])


def test_unbatched_and_empty_inputs_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(12).standard_normal(5)
    for reduction in ("mean", "none"):
        compare(torch, "cross_entropy", [x, np.array(2)], [True, False], dict(reduction=reduction), np.float64)
        # A (1,) target works forward, though PyTorch's backward then fails on it.
        expected = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor([2]), reduction=reduction)
        actual = F.cross_entropy(tensor(x), tensor([2]), reduction=reduction)
        assert actual.shape == tuple(expected.shape)
        np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-12)
    for reduction in ("mean", "sum", "none"):
        expected = torch.nn.functional.cross_entropy(torch.zeros(0, 5), torch.zeros(0, dtype=torch.long),
                                                     reduction=reduction)
        actual = F.cross_entropy(torchless.zeros(0, 5), torchless.zeros(0, dtype=torchless.int64), reduction=reduction)
        np.testing.assert_array_equal(actual.numpy(), expected.numpy())
    ignored = torch.tensor([-100, -100])
    assert np.isnan(F.cross_entropy(torchless.zeros(2, 3), tensor([-100, -100])).item())
    assert np.isnan(torch.nn.functional.cross_entropy(torch.zeros(2, 3), ignored).item())


def test_byte_targets_match_torch():
    torch = pytest.importorskip("torch")
    x, target = np.random.default_rng(13).standard_normal((3, 5)), np.array([1, 4, 0], np.uint8)
    compare(torch, "cross_entropy", [x, target], [True, False], {}, np.float64)


def behaviour(lib, fn, arrays, grad_mask, kwargs, grad):
    """F.<fn>(*arrays, **kwargs) in ``lib``, then the loss's backward of ``grad`` (resized to the loss).

    A list of what each step gave: the loss (an array) or what the forward raised, then the gradients
    of the inputs of ``grad_mask`` or what the backward raised.
    """
    inputs = [lib.tensor(a, requires_grad=g) for a, g in zip(arrays, grad_mask)]
    kwargs = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss = outcome(lambda: getattr(lib.nn.functional, fn)(*inputs, **kwargs))
    if isinstance(loss, Raised):
        return [loss]
    value = loss.detach().numpy()
    raised = outcome(lambda: loss.backward(lib.tensor(np.resize(grad, value.shape).astype(value.dtype))))
    return [value, raised or [t.grad.numpy() for t in inputs if t.requires_grad]]


def assert_same_behaviour(fn, arrays, grad_mask, kwargs, rtol=1e-5):
    """Both libraries give the same loss (nan where PyTorch's is) and gradients, or raise the same errors."""
    import torch

    grad = np.random.default_rng(18).standard_normal(max(arrays[0].size, 1))
    expected = behaviour(torch, fn, arrays, grad_mask, kwargs, grad)
    actual = behaviour(torchless, fn, arrays, grad_mask, kwargs, grad)
    assert len(actual) == len(expected), (actual, expected)
    for ours, theirs in zip(actual, expected):
        if isinstance(theirs, Raised):
            expected_error = Raised(theirs.type, theirs.message.replace("torch.", "torchless."))
            assert isinstance(ours, Raised) and ours == expected_error, (ours, theirs)
            continue
        assert not isinstance(ours, Raised), (ours, theirs)
        for a, b in zip(*([ours, theirs] if isinstance(theirs, list) else [[ours], [theirs]])):
            assert a.shape == b.shape and a.dtype == b.dtype, (a, b)
            np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("fn, shapes", [
    ("mse_loss", [(0,), (0,)]), ("mse_loss", [(0, 3), (3,)]), ("l1_loss", [(0,), (0,)]), ("l1_loss", [(0, 3), (3,)]),
    ("binary_cross_entropy", [(0,), (0,)]), ("binary_cross_entropy_with_logits", [(0, 2), (0, 2)]),
    ("cross_entropy", [(0, 4), (0, 4)]), ("cross_entropy", [(3, 0), (3, 0)]), ("cross_entropy", [(0,), (0,)]),
])
def test_empty_inputs_forward_and_backward_match_torch(fn, shapes, reduction):
    pytest.importorskip("torch")
    # mse_loss's 'mean' of nothing is nan, and its backward an empty gradient (it divided by zero).
    arrays = [np.zeros(shape, np.float32) for shape in shapes]
    for smoothing in [0.0, 0.3] if fn == "cross_entropy" else [0.0]:
        kwargs = dict(reduction=reduction, label_smoothing=smoothing) if smoothing else dict(reduction=reduction)
        assert_same_behaviour(fn, arrays, [True, True], kwargs)


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("shape, target", [((2, 2), [1, 1]), ((2, 3, 2), [[1, 1], [2, 1]]), ((3,), 1),
                                           ((1, 3, 2, 1), [[[1], [1]]]), ((3, 3), [1, 0, 2])])
def test_ignored_and_zero_weight_targets_match_torch(fn, shape, target):
    """Every target ignored, or weighted 0: a nan 'mean', and no gradient where a target is ignored."""
    pytest.importorskip("torch")
    x = (np.arange(np.prod(shape), dtype=np.float32).reshape(shape) - 2) / 3
    classes = shape[0] if len(shape) == 1 else shape[1]
    weights = [None, np.zeros(classes, np.float32), np.array([1, 0, 2][:classes], np.float32)]
    for reduction, weight, ignore_index, smoothing in itertools.product(
            ["mean", "sum", "none"], weights, [1, -100], [0.0, 0.2] if fn == "cross_entropy" else [0.0]):
        kwargs = dict(reduction=reduction, ignore_index=ignore_index)
        if weight is not None:
            kwargs["weight"] = weight
        if smoothing:
            kwargs["label_smoothing"] = smoothing
        assert_same_behaviour(fn, [x, np.array(target)], [True, False], kwargs)


def test_all_ignored_targets_give_no_gradient():
    x = tensor(np.array([[0.5, 1.0], [2.0, 0.1]]), requires_grad=True)
    loss = F.cross_entropy(x, tensor([1, 1]), ignore_index=1)
    loss.backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 2)))
    x.grad = None
    F.nll_loss(x, tensor([0, 0]), ignore_index=0).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 2)))


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("shape", [(3,), (1,), (2, 3), (0, 3), (1, 3, 2), (0, 3, 2), (1, 3, 0), (2, 3, 2, 2),
                                   (0, 3, 2, 2), (1, 3, 2, 1, 2)])
def test_byte_targets_of_every_rank_match_torch(fn, shape):
    """Byte targets: taken by nll_loss (1-2 dims), refused by nll_loss2d, in its backward for no targets."""
    pytest.importorskip("torch")
    x = np.random.default_rng(19).standard_normal(shape).astype(np.float32)
    classes = shape[0] if len(shape) == 1 else shape[1]
    target_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
    targets = [np.arange(int(np.prod(target_shape))).reshape(target_shape) % classes]
    if len(shape) == 1:
        targets.append(np.array([shape[0] - 1]))  # a (1) target for a (C) input: its backward fails
    for target, reduction, weighted, smoothing in itertools.product(
            targets, ["mean", "sum", "none"], [False, True], [0.0, 0.2] if fn == "cross_entropy" else [0.0]):
        kwargs = dict(reduction=reduction, label_smoothing=smoothing) if smoothing else dict(reduction=reduction)
        if weighted:
            kwargs["weight"] = np.arange(1, classes + 1, dtype=np.float32)
        assert_same_behaviour(fn, [x, target.astype(np.uint8)], [True, False], kwargs)


@pytest.mark.parametrize("ignore_index", [-100, -1, 0, 2, 255, 257, -254])
def test_byte_targets_with_any_ignore_index_match_torch(ignore_index):
    """A Byte target is compared with ignore_index as int64 by nll_loss, but wrapped to uint8 by label smoothing."""
    pytest.importorskip("torch")
    x = np.random.default_rng(20).standard_normal((4, 3)).astype(np.float32)
    for target in ([2, 1, 2, 0], [255, 1, 0, 2]):
        for fn, reduction, weighted, smoothing in itertools.product(
                ["cross_entropy", "nll_loss"], ["mean", "sum", "none"], [False, True], [0.0, 0.3]):
            if fn == "nll_loss" and smoothing:
                continue
            kwargs = dict(reduction=reduction, ignore_index=ignore_index)
            if smoothing:
                kwargs["label_smoothing"] = smoothing
            if weighted:
                kwargs["weight"] = np.array([0.5, 1.0, 2.0], np.float32)
            assert_same_behaviour(fn, [x, np.array(target, np.uint8)], [True, False], kwargs)


@FAST
@given(st.integers(0, 2**32 - 1), st.sampled_from([(3,), (4, 3), (2, 3, 2), (2, 2, 1, 3)]),
       st.sampled_from([np.int64, np.uint8]), st.sampled_from([-100, -1, 0, 2, 258]), reductions,
       st.sampled_from([None, "uniform", "zeros", "some zeros"]), st.sampled_from([0.0, 0.4]))
def test_class_target_edge_cases_match_torch(seed, shape, target_dtype, ignore_index, reduction, weight, smoothing):
    pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 2).astype(np.float32)
    classes = shape[0] if len(shape) == 1 else shape[1]
    target = rng.integers(0, classes, () if len(shape) == 1 else shape[:1] + shape[2:])
    target[rng.random(target.shape) < 0.4] = ignore_index % 256 if target_dtype == np.uint8 else ignore_index
    kwargs = dict(reduction=reduction, ignore_index=ignore_index)
    if weight is not None:
        kwargs["weight"] = {"uniform": rng.uniform(0.5, 2, classes), "zeros": np.zeros(classes),
                            "some zeros": rng.choice([0.0, 1.5], classes)}[weight].astype(np.float32)
    assert_same_behaviour("nll_loss", [x, target.astype(target_dtype)], [True, False], kwargs)
    assert_same_behaviour("cross_entropy", [x, target.astype(target_dtype)], [True, False],
                          dict(kwargs, label_smoothing=smoothing))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("target, ignore_index", [([-3, -2], 1), ([-3, -2], -100), ([-3, -2], -3), ([-3, 1, -2], -2),
                                                  ([1, -2, 7], -100), ([5, -2, -7], 1), ([-100, -2, -3], 1)])
def test_out_of_bounds_target_is_named_like_torch(target, ignore_index, reduction):
    """The first target out of bounds in PyTorch's scan, skipping ignored ones (on one thread: its 2-D 'none'
    loop split over threads names whichever thread fails first)."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for shape in [(len(target), 3), (1, 3, len(target))]:
            t = np.array(target).reshape(shape[:1] + shape[2:])
            for fn in ("nll_loss", "cross_entropy"):
                assert_same_behaviour(fn, [np.zeros(shape, np.float32), t], [True, False],
                                      dict(reduction=reduction, ignore_index=ignore_index))
        # A 2-D 'none' loop prints a Byte target as a character (and fails to decode one from 128 up).
        for byte in (7, 65, 200, 0xC3):
            assert_same_behaviour("nll_loss", [np.zeros((2, 3), np.float32), np.array([1, byte], np.uint8)],
                                  [True, False], dict(reduction=reduction))
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss", "cross_entropy", "binary_cross_entropy",
                                "binary_cross_entropy_with_logits"])
def test_elementwise_mean_reduction_matches_torch(fn):
    """The deprecated 'elementwise_mean' is 'mean', with PyTorch's warning (refused with a weight by mse/l1)."""
    torch = pytest.importorskip("torch")
    x, y = np.full((2, 3), 0.25, np.float32), np.full((2, 3), 0.5, np.float32)
    for lib in (torch, torchless):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loss = getattr(lib.nn.functional, fn)(lib.tensor(x), lib.tensor(y), reduction="elementwise_mean")
        expected = getattr(lib.nn.functional, fn)(lib.tensor(x), lib.tensor(y), reduction="mean")
        assert loss.item() == expected.item()
        assert [str(w.message) for w in caught] == [
            "reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead."]
    assert_same_behaviour("mse_loss", [x, y], [True, True], dict(reduction="elementwise_mean", weight=x))


@FAST
@given(st.sampled_from([((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (2, 5, 3))]), reductions, dtypes)
def test_regression_losses_match_torch(shapes, reduction, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(14)
    x, y = (rng.standard_normal(s).astype(dtype) for s in shapes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(torch, "mse_loss", [x, y], [True, True], dict(reduction=reduction), dtype)
        compare(torch, "l1_loss", [x, y], [True, True], dict(reduction=reduction), dtype)


@FAST
@given(reductions, st.booleans(), st.booleans(), dtypes)
def test_binary_losses_match_torch(reduction, weighted, pos_weighted, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(15)
    x, y = rng.standard_normal((3, 4)).astype(dtype) * 4, rng.uniform(0, 1, (3, 4)).astype(dtype)
    kwargs = dict(reduction=reduction)
    if weighted:
        kwargs["weight"] = rng.uniform(0.5, 2, 4).astype(dtype)
    p = (1 / (1 + np.exp(-x))).astype(dtype)
    compare(torch, "binary_cross_entropy", [p, y], [True, True], kwargs, dtype)
    if pos_weighted:
        kwargs["pos_weight"] = rng.uniform(0.5, 2, 4).astype(dtype)
    compare(torch, "binary_cross_entropy_with_logits", [x, y], [True, True], kwargs, dtype)


@pytest.mark.parametrize("fn, dtypes", [
    ("binary_cross_entropy", (np.float32, np.float32, np.float64, None)),
    ("binary_cross_entropy", (np.float64, np.float64, np.int64, None)),
    ("binary_cross_entropy_with_logits", (np.float64, np.float32, np.float64, np.float64)),
    ("binary_cross_entropy_with_logits", (np.float32, np.float64, np.int64, np.float32)),
])
def test_binary_losses_mixed_dtypes_match_torch(fn, dtypes):
    """The loss keeps the dtype of the tensor PyTorch writes it into (input, resp. target), whatever the weights'."""
    pytest.importorskip("torch")
    rng = np.random.default_rng(21)
    x_dtype, t_dtype, w_dtype, p_dtype = dtypes
    x, t = rng.uniform(0.1, 0.9, (2, 3)).astype(x_dtype), rng.uniform(0, 1, (2, 3)).astype(t_dtype)
    kwargs = dict(weight=rng.uniform(0, 2, 3).astype(w_dtype))
    if p_dtype is not None:
        kwargs["pos_weight"] = rng.uniform(0, 2, (2, 3)).astype(p_dtype)
    for reduction in ("mean", "sum", "none"):
        assert_same_behaviour(fn, [x, t], [True, True], dict(kwargs, reduction=reduction))


def test_mixed_precision_regression_matches_torch():
    torch = pytest.importorskip("torch")
    x, y = np.ones((2, 3), np.float32), np.zeros((2, 3), np.float64)
    assert F.mse_loss(tensor(x), tensor(y)).dtype.name == str(
        torch.nn.functional.mse_loss(torch.tensor(x), torch.tensor(y)).dtype).replace("torch.", "")


ERRORS = [
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0, 10])),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0, -1])),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0])),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), lib.tensor([1.0, 0.0, 2.0])),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0, 2], dtype=lib.int32)),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), lib.zeros(3, 4)),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0, 2]), weight=lib.ones(4)),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0, 2]), weight=lib.ones(5, 1)),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0, 2]),
                                                weight=lib.ones(5, dtype=lib.float64)),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0, 2]),
                                                weight=lib.tensor([1, 2, 3, 4, 5])),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0, 2]), label_smoothing=1.5),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), lib.zeros(3, 5), label_smoothing=1.5),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), lib.zeros(3, 5), ignore_index=1),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0, 2]), reduction="foo"),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), lib.tensor([1, 0, 2]).unsqueeze(1)),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), lib.tensor(2)),
    lambda lib: lib.nn.functional.cross_entropy(lib.tensor(2.0), lib.tensor(2)),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(5), lib.tensor([1, 2])),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5, dtype=lib.int64), lib.tensor([1, 0, 2])),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(2, 5, 3, 4), lib.zeros(2, 3, 3, dtype=lib.int64)),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(2, 5, 3, 4), lib.zeros(2, 3, dtype=lib.int64)),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(2, 5, 3), lib.zeros(2, 4, dtype=lib.int64)),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(2, 5, 3, 4, 2), lib.zeros(2, 3, 4, dtype=lib.int64)),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(2, 5, 3), lib.zeros(2, 3, dtype=lib.int64),
                                                weight=lib.ones(3)),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(2, 5, 3, 4), lib.zeros(2, 3, 4)),
    lambda lib: lib.nn.functional.nll_loss(lib.zeros(3, 5), lib.tensor([1, 0, 10])),
    lambda lib: lib.nn.functional.nll_loss(lib.zeros(3, 5), lib.zeros(3, 5)),
    lambda lib: lib.nn.functional.nll_loss(lib.tensor(1.0), lib.tensor(1)),
    lambda lib: lib.nn.functional.nll_loss(lib.zeros(3, 5, dtype=lib.int64), lib.tensor([1, 0, 2])),
    lambda lib: lib.nn.functional.nll_loss(lib.zeros(3, 5), lib.tensor([1.0, 0, 2]), weight=lib.ones(5).double()),
    lambda lib: lib.nn.functional.mse_loss(lib.zeros(3, 5), lib.zeros(2, 5)),
    lambda lib: lib.nn.functional.mse_loss(lib.zeros(3, 5), lib.zeros(3, 5), reduction="foo"),
    lambda lib: lib.nn.functional.mse_loss(lib.zeros(3, 5), lib.zeros(3, 5), weight=lib.ones(5)),
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.full((3,), 2.0), lib.zeros(3)),
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.zeros(3, 5), lib.zeros(5)),
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.zeros(3), lib.zeros(3, dtype=lib.float64)),
    lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(lib.zeros(3, 5), lib.zeros(5)),
    lambda lib: lib.nn.CrossEntropyLoss(reduction="foo")(lib.zeros(3, 5), lib.tensor([1, 0, 2])),
    # The target's dtype is checked before the 1-D target size, the weight, spatial sizes and the input's dtype.
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3), lib.zeros(2, dtype=lib.int32)),
    lambda lib: lib.nn.functional.nll_loss(lib.zeros(1, 2, 1, 1), lib.zeros(1, 1, 1, dtype=lib.int32),
                                           weight=lib.ones(3)),
    lambda lib: lib.nn.functional.nll_loss(lib.zeros(2, 3), lib.zeros(2, dtype=lib.int32), weight=lib.ones(4)),
    lambda lib: lib.nn.functional.nll_loss(lib.zeros(2, 3, 4, 4), lib.zeros(2, 4, 5, dtype=lib.int32)),
    lambda lib: lib.nn.functional.nll_loss(lib.zeros(2, 3, dtype=lib.int64), lib.zeros(2, dtype=lib.int32)),
    # ... and the input's dtype after the weight's shape; nll_loss2d names its own kernel.
    lambda lib: lib.nn.functional.nll_loss(lib.zeros(2, 3, dtype=lib.int64), lib.tensor([1, 0]), weight=lib.ones(4)),
    lambda lib: lib.nn.functional.nll_loss(lib.zeros(2, 3, 1, 1, dtype=lib.int64), lib.zeros(2, 1, 1, dtype=lib.int64)),
    lambda lib: lib.nn.functional.nll_loss(lib.zeros(2, 3, 2), lib.zeros(2, 2, dtype=lib.uint8), weight=lib.ones(4)),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(1, 5, 2), lib.zeros(1, 2, dtype=lib.uint8)),
    # Probability targets: their dtype, ignore_index, the weight, the input's dtype, then label_smoothing.
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(4, 3), lib.full((4, 3), 1 / 3), weight=lib.ones(4)),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(4, 3), lib.full((4, 3), 1 / 3), weight=lib.ones(3, 1)),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(2, 4), lib.zeros(2, 4, dtype=lib.int64),
                                                label_smoothing=1.5),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(2, 4), lib.zeros(2, 4, dtype=lib.int64), ignore_index=1),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(2, 4, dtype=lib.int64), lib.zeros(2, 4),
                                                label_smoothing=1.5),
    lambda lib: lib.nn.functional.cross_entropy(lib.tensor(2.0), lib.tensor(1.0)),
    # Label smoothing views a spatial input's weight by its first size; 'mean' gathers it as 1-D.
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(2, 4, 2), lib.zeros(2, 2, dtype=lib.int64),
                                                weight=lib.ones(2, 2), label_smoothing=0.2),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(2, 3, 2), lib.zeros(2, 2, dtype=lib.int64),
                                                weight=lib.ones(3, 1), label_smoothing=0.2, ignore_index=1),
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3), lib.tensor([1]), label_smoothing=0.2),
    # Argument types after the reduction.
    lambda lib: lib.nn.functional.cross_entropy(lib.zeros(3, 5), "x", reduction="foo"),
    lambda lib: lib.nn.functional.cross_entropy("x", lib.tensor([1])),
    lambda lib: lib.nn.functional.nll_loss(lib.zeros(2, 3), lib.tensor([1, 0]), weight=[1.0, 2.0, 3.0]),
    # mse_loss / l1_loss broadcast before checking the reduction, which a weight checks after its size.
    lambda lib: lib.nn.functional.mse_loss(lib.zeros(3), lib.zeros(3, 2), reduction="bogus"),
    lambda lib: lib.nn.functional.l1_loss(lib.zeros(3), lib.zeros(3, 2), reduction="bogus"),
    lambda lib: lib.nn.functional.mse_loss(lib.zeros(3), lib.zeros(3), reduction="bogus", weight=lib.ones(3)),
    lambda lib: lib.nn.functional.l1_loss(lib.zeros(3), lib.zeros(3), reduction="bogus", weight=lib.ones(2)),
    lambda lib: lib.nn.functional.mse_loss(lib.zeros(3, dtype=lib.int32), lib.zeros(3, dtype=lib.int64)),
    lambda lib: lib.nn.functional.mse_loss(lib.zeros(3, dtype=lib.bool), lib.zeros(3), weight=lib.ones(3)),
    # Binary cross entropy: the weight broadcast, dtypes, then input and target ranges element by element.
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.full((3,), 2.0), lib.zeros(3), weight=lib.ones(2)),
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.zeros(2, 3), lib.zeros(2, 3), weight=lib.ones(4, 3)),
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.zeros(3), lib.zeros(3), weight=lib.ones(2, 3)),
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.tensor([0.5, 2.0]), lib.tensor([2.0, 0.5])),
    lambda lib: lib.nn.functional.binary_cross_entropy(lib.zeros(3, dtype=lib.int64), lib.zeros(3, dtype=lib.int64)),
    lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(lib.zeros(3), lib.zeros(3), weight=lib.ones(2)),
    lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(lib.zeros(3), lib.zeros(3),
                                                                   pos_weight=lib.ones(2, 3)),
    lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(lib.zeros(3, dtype=lib.int64), lib.zeros(3),
                                                                   weight=lib.ones(2)),
    lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(lib.zeros(3), lib.zeros(3, dtype=lib.int64)),
    lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(lib.zeros(3), lib.zeros(3, dtype=lib.bool)),
]


@pytest.mark.parametrize("call", ERRORS)
def test_errors_match_torch(call):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: call(torch), lambda: call(torchless))


@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss"])
def test_size_warning_matches_torch(fn):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings(record=True) as expected:
        warnings.simplefilter("always")
        getattr(torch.nn.functional, fn)(torch.zeros(3, 5), torch.zeros(5))
    with warnings.catch_warnings(record=True) as actual:
        warnings.simplefilter("always")
        getattr(F, fn)(torchless.zeros(3, 5), torchless.zeros(5))
    assert [str(w.message).replace("torchless.", "torch.") for w in actual] == [str(w.message) for w in expected]
    assert all(w.filename == __file__ for w in actual)


def test_legacy_reduction_flags_match_torch():
    torch = pytest.importorskip("torch")
    x, y = np.random.default_rng(16).standard_normal((3, 5)), np.array([1, 0, 4])
    for size_average, reduce in [(False, None), (None, False), (True, True)]:
        with warnings.catch_warnings(record=True) as expected_warnings:
            warnings.simplefilter("always")
            expected = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(y), size_average=size_average,
                                                         reduce=reduce)
            expected_module = torch.nn.CrossEntropyLoss(size_average=size_average, reduce=reduce)
        with warnings.catch_warnings(record=True) as actual_warnings:
            warnings.simplefilter("always")
            actual = F.cross_entropy(tensor(x), tensor(y), size_average=size_average, reduce=reduce)
            module = nn.CrossEntropyLoss(size_average=size_average, reduce=reduce)
        np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=1e-12)
        assert module.reduction == expected_module.reduction
        assert [str(w.message) for w in actual_warnings] == [str(w.message) for w in expected_warnings]


MODULES = [
    ("CrossEntropyLoss", (), {}), ("CrossEntropyLoss", (), dict(ignore_index=2, reduction="sum", label_smoothing=0.1)),
    ("NLLLoss", (), dict(reduction="none")), ("MSELoss", (), {}), ("MSELoss", (), dict(reduction="sum")),
    ("L1Loss", (), {}), ("BCELoss", (), {}), ("BCEWithLogitsLoss", (), {}),
]


@pytest.mark.parametrize("name, args, kwargs", MODULES)
def test_module_reprs_and_attributes_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    expected, actual = modules_with_same_repr(name, *args, **kwargs)
    for attribute in ("reduction", "ignore_index", "label_smoothing"):
        assert getattr(actual, attribute, None) == getattr(expected, attribute, None)


def test_weighted_modules_register_buffers_and_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(17)
    weight, x, y = rng.uniform(0.5, 2, 4).astype(np.float32), rng.standard_normal((6, 4)).astype(np.float32), \
        rng.integers(0, 4, 6)
    expected = torch.nn.CrossEntropyLoss(weight=torch.tensor(weight), label_smoothing=0.1)
    actual = nn.CrossEntropyLoss(weight=tensor(weight), label_smoothing=0.1)
    assert list(actual.state_dict()) == list(expected.state_dict()) == ["weight"]
    assert nn.CrossEntropyLoss().weight is None
    np.testing.assert_allclose(actual(tensor(x), tensor(y)).numpy(), expected(torch.tensor(x), torch.tensor(y)).numpy(),
                               rtol=1e-5)
    pos = rng.uniform(0.5, 2, 4).astype(np.float32)
    target = rng.uniform(0, 1, (6, 4)).astype(np.float32)
    expected_bce = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos))
    actual_bce = nn.BCEWithLogitsLoss(pos_weight=tensor(pos))
    assert list(actual_bce.state_dict()) == list(expected_bce.state_dict())
    np.testing.assert_allclose(actual_bce(tensor(x), tensor(target)).numpy(),
                               expected_bce(torch.tensor(x), torch.tensor(target)).numpy(), rtol=1e-5)
    for name in ("MSELoss", "L1Loss"):
        np.testing.assert_allclose(getattr(nn, name)()(tensor(x), tensor(target)).numpy(),
                                   getattr(torch.nn, name)()(torch.tensor(x), torch.tensor(target)).numpy(), rtol=1e-5)
    p = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(nn.BCELoss()(tensor(p), tensor(target)).numpy(),
                               torch.nn.BCELoss()(torch.tensor(p), torch.tensor(target)).numpy(), rtol=1e-5)
    logp = log_softmax(x).astype(np.float32)
    np.testing.assert_allclose(nn.NLLLoss()(tensor(logp), tensor(y)).numpy(),
                               torch.nn.NLLLoss()(torch.tensor(logp), torch.tensor(y)).numpy(), rtol=1e-5)
