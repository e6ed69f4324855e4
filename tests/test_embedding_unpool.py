"""Embedding (F.embedding, nn.Embedding), max unpooling (F.max_unpool2d, nn.MaxUnpool2d), power-average pooling
(F.lp_pool2d, nn.LPPool2d) and the distance layers (nn.CosineSimilarity, nn.PairwiseDistance).

Checked against direct NumPy formulas, float64 finite differences and PyTorch (values, node names,
gradients, errors, reprs).
"""
import re
import warnings

import numpy as np
import pytest

import torchless
import torchless.nn as nn
import torchless.nn.functional as F
from helpers import Raised, assert_same_error, finite_difference_check, modules_with_same_repr, outcome, tensor

RNG = np.random.default_rng(0)
W = RNG.standard_normal((6, 3))
INDICES = np.array([[0, 2, 2], [5, 2, 1]])


# --------------------------------------------------------------------------- embedding: formulas
def reference_embedding_grad(indices, grad, rows, padding_idx=None, scale_grad_by_freq=False):
    """d sum(out * grad) / d weight, by a loop over the looked-up positions."""
    flat, grads = indices.reshape(-1), grad.reshape(indices.size, -1)
    counts = {i: (flat == i).sum() for i in flat}
    gw = np.zeros((rows, grads.shape[1]))
    for i, g in zip(flat, grads):
        if i != padding_idx:
            gw[i] += g / counts[i] if scale_grad_by_freq else g
    return gw


def test_embedding_looks_up_rows():
    out = F.embedding(tensor(INDICES), tensor(W))
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.numpy(), W[INDICES])
    np.testing.assert_array_equal(F.embedding(tensor(4), tensor(W)).numpy(), W[4])
    np.testing.assert_array_equal(F.embedding(tensor(INDICES.astype(np.int32)), tensor(W)).numpy(), W[INDICES])


@pytest.mark.parametrize("padding_idx, stored", [(None, None), (2, 2), (-4, 2), (0, 0)])
@pytest.mark.parametrize("scale_grad_by_freq", [False, True])
def test_embedding_gradient_skips_padding_and_scales_by_frequency(padding_idx, stored, scale_grad_by_freq):
    weight = tensor(W, requires_grad=True)
    grad = RNG.standard_normal((2, 3, 3))
    out = F.embedding(tensor(INDICES), weight, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)
    assert out.grad_fn.name() == "EmbeddingBackward0"
    out.backward(tensor(grad))
    np.testing.assert_allclose(weight.grad.numpy(),
                               reference_embedding_grad(INDICES, grad, 6, stored, scale_grad_by_freq), rtol=1e-12)


def test_embedding_gradient_finite_differences():
    indices = tensor(INDICES)
    # (padding_idx and scale_grad_by_freq change the gradient on purpose: checked against the formula above)
    finite_difference_check(lambda w: F.embedding(indices, w) ** 2, [W])
    finite_difference_check(lambda w: F.embedding(indices, w, max_norm=100.0) * 3, [W])


@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (0.5, 1.0), (0.7, float("inf")), (100.0, 2.0)])
def test_embedding_max_norm_renormalises_the_rows_looked_up(max_norm, norm_type):
    weight = tensor(W.copy(), requires_grad=True)
    out = F.embedding(tensor(INDICES), weight, max_norm=max_norm, norm_type=norm_type)
    expected = W.copy()
    for i in np.unique(INDICES):
        norm = np.linalg.norm(expected[i], ord=norm_type)
        if norm > max_norm:
            expected[i] *= max_norm / (norm + 1e-7)
    np.testing.assert_allclose(weight.detach().numpy(), expected, rtol=1e-12)  # in place, rows 3 and 4 untouched
    np.testing.assert_allclose(out.detach().numpy(), expected[INDICES], rtol=1e-12)
    out.sum().backward()  # the renormalisation is not differentiated
    np.testing.assert_allclose(weight.grad.numpy(), reference_embedding_grad(INDICES, np.ones((2, 3, 3)), 6))


def test_embedding_index_errors():
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(tensor([6]), tensor(W))
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(tensor([-1]), tensor(W))
    with pytest.raises(RuntimeError, match="to have one of the following scalar types: Long, Int"):
        F.embedding(tensor([1.0]), tensor(W))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F.embedding(tensor([1]), tensor(W), padding_idx=6)


def test_embedding_sparse_gradients_are_refused():
    weight = tensor(W, requires_grad=True)
    with pytest.raises(NotImplementedError, match="sparse"):
        F.embedding(tensor([1]), weight, sparse=True)
    with torchless.no_grad():
        np.testing.assert_array_equal(F.embedding(tensor([1]), weight, sparse=True).numpy(), W[[1]])


# --------------------------------------------------------------------------- embedding: layer
def test_embedding_layer():
    torchless.manual_seed(0)
    layer = nn.Embedding(10, 4, padding_idx=-2)
    assert layer.padding_idx == 8 and layer.weight.shape == (10, 4) and layer.weight.requires_grad
    np.testing.assert_array_equal(layer.weight[8].detach().numpy(), np.zeros(4))
    assert list(layer.state_dict()) == ["weight"]
    out = layer(tensor([[8, 1]]))
    np.testing.assert_array_equal(out.detach().numpy(), layer.weight.detach().numpy()[[[8, 1]]])
    assert nn.Embedding(3, 2, dtype=torchless.float64).weight.dtype == torchless.float64


def test_embedding_from_pretrained_shares_and_freezes():
    weights = tensor(W)
    layer = nn.Embedding.from_pretrained(weights, padding_idx=0)
    assert (layer.num_embeddings, layer.embedding_dim) == W.shape and not layer.weight.requires_grad
    np.testing.assert_array_equal(layer.weight.detach().numpy(), W)  # the padding row is kept as given
    weights._data[1, 1] = 42.0
    assert layer.weight[1, 1].item() == 42.0
    assert nn.Embedding.from_pretrained(weights, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(tensor(W[0]))


# --------------------------------------------------------------------------- embedding: against PyTorch
def run(lib, fn, arrays, grad_mask, kwargs):
    """F.<fn> in ``lib``: its value, node name and the gradients of one random backward (or what raised)."""
    inputs = [lib.tensor(a, requires_grad=g) if isinstance(a, np.ndarray) else a for a, g in zip(arrays, grad_mask)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = outcome(lambda: getattr(lib.nn.functional, fn)(*inputs, **kwargs))
    if isinstance(out, Raised):
        return [Raised(out.type, out.message.replace("torch.", "torchless."))]
    result = [out.detach().numpy(), out.grad_fn and out.grad_fn.name()]
    if out.grad_fn is not None:
        grad = np.random.default_rng(1).standard_normal(out.shape).astype(out.detach().numpy().dtype)
        raised = outcome(lambda: out.backward(lib.tensor(grad)))
        result.append(raised or [t.grad.numpy() for t in inputs if getattr(t, "requires_grad", False)])
    result.append([t.detach().numpy() for t in inputs if hasattr(t, "detach")])  # in-place changes
    return result


def assert_same_as_torch(fn, arrays, grad_mask, rtol=1e-5, message=None, **kwargs):
    """Both libraries give the same results, or raise the same errors (their messages seen through ``message``)."""
    pytest.importorskip("torch")
    import torch

    expected = run(torch, fn, [a.copy() if isinstance(a, np.ndarray) else a for a in arrays], grad_mask, kwargs)
    actual = run(torchless, fn, [a.copy() if isinstance(a, np.ndarray) else a for a in arrays], grad_mask, kwargs)
    assert len(actual) == len(expected), (actual, expected)
    for ours, theirs in zip(actual, expected):
        if isinstance(theirs, Raised):
            assert isinstance(ours, Raised) and ours.type == theirs.type
            same = message or (lambda text: text)
            assert same(ours.message) == same(theirs.message)
            continue
        if isinstance(theirs, str) or theirs is None:
            assert ours == theirs
            continue
        for a, b in zip(*([ours, theirs] if isinstance(theirs, list) else [[ours], [theirs]])):
            assert a.shape == b.shape and a.dtype == b.dtype, (a, b)
            np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-6)


W32 = W.astype(np.float32)


@pytest.mark.parametrize("kwargs", [
    {}, dict(padding_idx=2), dict(padding_idx=-1), dict(padding_idx=6), dict(padding_idx=-7),
    dict(scale_grad_by_freq=True), dict(scale_grad_by_freq=True, padding_idx=2), dict(max_norm=1.0),
    dict(max_norm=0.5, norm_type=1), dict(max_norm=0.5, norm_type=float("inf")),
])
@pytest.mark.parametrize("indices, weight", [
    (INDICES, W32), (np.array(3), W32), (INDICES[0], W), (INDICES.astype(np.int32), W32), (INDICES * 1.0, W32),
    (INDICES.astype(np.int16), W32), (INDICES.astype(np.uint8), W32), (INDICES > 0, W32), (np.array([6]), W32),
    (np.array([-1]), W32), (np.array([-9]), W32), (INDICES, W32[0]), (INDICES, np.ones((2, 3, 4), np.float32)),
    (INDICES, W.astype(np.int64)), (np.zeros(0, np.int64), W32), (INDICES, np.zeros((6, 0), np.float32)),
])
def test_embedding_matches_torch(indices, weight, kwargs):
    assert_same_as_torch("embedding", [indices, weight], [False, weight.dtype.kind == "f"], **kwargs)


def test_embedding_non_tensor_arguments_match_torch():
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: torch.nn.functional.embedding([1], torch.ones(2, 2)),
                      lambda: F.embedding([1], torchless.ones(2, 2)))
    assert_same_error(lambda: torch.nn.functional.embedding(torch.tensor([1]), [[1.0]]),
                      lambda: F.embedding(tensor([1]), [[1.0]]))


@pytest.mark.parametrize("args, kwargs", [
    ((5, 3), {}), ((5, 3), dict(padding_idx=-1, max_norm=1, norm_type=1.0, scale_grad_by_freq=True, sparse=True)),
    ((7, 2), dict(padding_idx=0, norm_type=2)),
])
def test_embedding_layer_repr_matches_torch(args, kwargs):
    pytest.importorskip("torch")
    theirs, ours = modules_with_same_repr("Embedding", *args, **kwargs)
    assert ours.padding_idx == theirs.padding_idx


@pytest.mark.parametrize("build", [
    lambda lib: lib.nn.Embedding(5, 3, padding_idx=5), lambda lib: lib.nn.Embedding(5, 3, padding_idx=-6),
    lambda lib: lib.nn.Embedding(5, 3, _weight=lib.zeros(4, 3)),
    lambda lib: lib.nn.Embedding.from_pretrained(lib.zeros(3)),
])
def test_embedding_layer_errors_match_torch(build):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: build(torch), lambda: build(torchless))


def test_embedding_from_pretrained_matches_torch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(W32), padding_idx=1, max_norm=0.8)
    ours = nn.Embedding.from_pretrained(tensor(W32), padding_idx=1, max_norm=0.8)
    assert repr(ours) == repr(theirs)
    np.testing.assert_allclose(ours(tensor(INDICES)).numpy(), theirs(torch.tensor(INDICES)).numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-6)


# --------------------------------------------------------------------------- max_unpool2d
def reference_unpool(x, indices, out_hw):
    """Each value at its flat index in its plane, by a loop; zeros elsewhere."""
    lead = x.shape[:-2]
    planes = x.reshape(-1, x.shape[-2] * x.shape[-1])
    idx = indices.reshape(planes.shape)
    out = np.zeros((planes.shape[0], out_hw[0] * out_hw[1]))
    for p in range(planes.shape[0]):
        for value, i in zip(planes[p], idx[p]):
            out[p, i] = value
    return out.reshape(lead + tuple(out_hw))


POOLED_INPUT = RNG.standard_normal((2, 3, 6, 4))


def pooled(x=POOLED_INPUT, kernel=2, **kwargs):
    out, indices = F.max_pool2d(tensor(x), kernel, return_indices=True, **kwargs)
    return out.numpy(), indices.numpy()


@pytest.mark.parametrize("kernel, kwargs, out_hw", [
    (2, {}, (6, 4)), (2, dict(output_size=(7, 5)), (7, 5)), (2, dict(output_size=[2, 3, 7, 5]), (7, 5)),
    ((2, 2), dict(stride=2, padding=0), (6, 4)),
])
def test_max_unpool2d_matches_formula(kernel, kwargs, out_hw):
    values, indices = pooled()
    out = F.max_unpool2d(tensor(values), tensor(indices), kernel, **kwargs)
    np.testing.assert_array_equal(out.numpy(), reference_unpool(values, indices, out_hw))
    # Unpooling puts every maximum back where it came from.
    if out_hw == (6, 4):
        kept = out.numpy() != 0
        np.testing.assert_array_equal(out.numpy()[kept], POOLED_INPUT[kept])


def test_max_unpool2d_unbatched_and_layer():
    values, indices = pooled(POOLED_INPUT[0], 3, stride=1)
    layer = nn.MaxUnpool2d(3, stride=1)
    out = layer(tensor(values), tensor(indices))
    assert out.shape == (3, 6, 4)
    np.testing.assert_array_equal(out.numpy(), reference_unpool(values, indices, (6, 4)))
    assert repr(layer) == "MaxUnpool2d(kernel_size=(3, 3), stride=(1, 1), padding=(0, 0))"


def test_max_unpool2d_gradient_finite_differences():
    values, indices = pooled()
    idx = tensor(indices)
    finite_difference_check(lambda x: F.max_unpool2d(x, idx, 2) * 2, [values])
    finite_difference_check(lambda x: F.max_unpool2d(x, idx, 2, output_size=(7, 5)), [values])


def test_max_unpool2d_errors():
    values, indices = pooled()
    bad = indices.copy()
    bad[1, 2, 1, 1] = 24
    with pytest.raises(RuntimeError, match=r"Found an invalid max index: 24 \(output volumes are of size 6x4\)"):
        F.max_unpool2d(tensor(values), tensor(bad), 2)
    with pytest.raises(ValueError, match="dim 0 must be between 4 and 8"):
        F.max_unpool2d(tensor(values), tensor(indices), 2, output_size=(8, 4))
    with pytest.raises(RuntimeError, match="elements in indices should be type int64 but got: Int"):
        F.max_unpool2d(tensor(values), tensor(indices.astype(np.int32)), 2)


UNPOOL_VALUES, UNPOOL_INDICES = (a.astype(np.float32) if a.dtype.kind == "f" else a for a in pooled())
ONE_BAD = UNPOOL_INDICES.copy()
ONE_BAD[1, 2, 1, 1] = -3


@pytest.mark.parametrize("args, kwargs", [
    ((2,), {}), ((2,), dict(output_size=(7, 5))), ((2,), dict(output_size=(2, 3, 7, 5))),
    ((2,), dict(output_size=(8, 5))),
    ((2,), dict(output_size=(7,))), ((2,), dict(output_size=(6, 4, 1))), ((1,), dict(padding=1)), (((2, 3),), {}),
    ((2,), dict(stride=3)), ((0,), {}), (((2,),), {}), ((3,), dict(stride=1, padding=1)),
])
@pytest.mark.parametrize("values, indices", [
    (UNPOOL_VALUES, UNPOOL_INDICES), (UNPOOL_VALUES[0], UNPOOL_INDICES[0]), (UNPOOL_VALUES[0, 0], UNPOOL_INDICES[0, 0]),
    (UNPOOL_VALUES[None], UNPOOL_INDICES[None]), (UNPOOL_VALUES, UNPOOL_INDICES.astype(np.int32)),
    (UNPOOL_VALUES, UNPOOL_INDICES * 1.0), (UNPOOL_VALUES, UNPOOL_INDICES[:, :2]),
    (UNPOOL_VALUES.astype(np.int64), UNPOOL_INDICES), (UNPOOL_VALUES.astype(np.float64), UNPOOL_INDICES),
    (UNPOOL_VALUES, ONE_BAD), (np.zeros((0, 3, 3, 2), np.float32), np.zeros((0, 3, 3, 2), np.int64)),
    (np.zeros((2, 0, 3, 2), np.float32), np.zeros((2, 0, 3, 2), np.int64)),
])
def test_max_unpool2d_matches_torch(values, indices, args, kwargs):
    # Of several invalid indices, PyTorch's threads race to report one: only a single one is compared.
    def message(text):
        return re.sub(r"index: -?\d+", "index: ?", text) if text.startswith("Found an invalid") else text

    assert_same_as_torch("max_unpool2d", [values, indices, *args], [values.dtype.kind == "f", False, False],
                         message=None if indices is ONE_BAD and args == (2,) and not kwargs else message, **kwargs)


@pytest.mark.parametrize("args, kwargs", [((2,), {}), ((2,), dict(stride=1, padding=(1, 0))), (([2, 3],), {})])
def test_max_unpool2d_layer_repr_matches_torch(args, kwargs):
    pytest.importorskip("torch")
    modules_with_same_repr("MaxUnpool2d", *args, **kwargs)


# --------------------------------------------------------------------------- lp_pool2d
def reference_lp_pool(x, p, k, s):
    """(sum of x^p over each k x k window, stride s) ^ (1 / p), by a loop over the windows."""
    h, w = (x.shape[-2] - k) // s + 1, (x.shape[-1] - k) // s + 1
    out = np.zeros(x.shape[:-2] + (h, w))
    for i in range(h):
        for j in range(w):
            out[..., i, j] = (x[..., i * s:i * s + k, j * s:j * s + k] ** p).sum((-1, -2)) ** (1 / p)
    return out


POSITIVE = RNG.uniform(0.1, 2.0, (2, 3, 7, 6))


@pytest.mark.parametrize("p, k, s", [(2, 2, 2), (1, 3, 1), (3.5, 2, 1), (2, 3, 2)])
def test_lp_pool2d_matches_formula(p, k, s):
    out = F.lp_pool2d(tensor(POSITIVE), p, k, stride=s)
    np.testing.assert_allclose(out.numpy(), reference_lp_pool(POSITIVE, p, k, s), rtol=1e-12)
    layer = nn.LPPool2d(p, k, stride=s)
    np.testing.assert_allclose(layer(tensor(POSITIVE[0])).numpy(), reference_lp_pool(POSITIVE[0], p, k, s), rtol=1e-12)


def test_lp_pool2d_infinite_orders_are_max_and_min_of_magnitudes():
    x = RNG.standard_normal((1, 2, 4, 4))
    windows = np.abs(x).reshape(1, 2, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(1, 2, 2, 2, 4)
    np.testing.assert_array_equal(F.lp_pool2d(tensor(x), float("inf"), 2).numpy(), windows.max(-1))
    np.testing.assert_array_equal(F.lp_pool2d(tensor(x), -float("inf"), 2).numpy(), windows.min(-1))


@pytest.mark.parametrize("p", [1.5, 2, 3])
def test_lp_pool2d_gradient_finite_differences(p):
    finite_difference_check(lambda x: F.lp_pool2d(x, p, 2, stride=1), [POSITIVE[:1, :2, :4, :5]], rtol=1e-5)


@pytest.mark.parametrize("args, kwargs", [
    ((2, 2), {}), ((1, 2), {}), ((3, 2), dict(stride=1)), ((float("inf"), 2), {}), ((-float("inf"), 2), {}),
    ((2, (2, 3)), dict(ceil_mode=True)), ((2, (2, 3, 4)), {}), ((0, 2), {}), ((2, 8), {}),
    ((2.5, [2, 2]), dict(stride=(1, 2))),
])
@pytest.mark.parametrize("x", [POSITIVE.astype(np.float32), POSITIVE[0], POSITIVE[0, 0], POSITIVE - 1,
                               (POSITIVE * 2).astype(np.int64)])
def test_lp_pool2d_matches_torch(x, args, kwargs):
    assert_same_as_torch("lp_pool2d", [x] + list(args), [x.dtype.kind == "f", False, False], rtol=1e-4, **kwargs)


@pytest.mark.parametrize("args, kwargs", [((2, 3), {}), ((2.5, (2, 3)), dict(stride=1, ceil_mode=True))])
def test_lp_pool2d_layer_repr_matches_torch(args, kwargs):
    pytest.importorskip("torch")
    modules_with_same_repr("LPPool2d", *args, **kwargs)


# --------------------------------------------------------------------------- distance layers
def test_cosine_similarity_layer():
    x1, x2 = RNG.standard_normal((3, 5, 2)), RNG.standard_normal((3, 5, 2))
    expected = (x1 * x2).sum(1) / (np.linalg.norm(x1, axis=1) * np.linalg.norm(x2, axis=1))
    np.testing.assert_allclose(nn.CosineSimilarity()(tensor(x1), tensor(x2)).numpy(), expected, rtol=1e-12)
    along_last = nn.CosineSimilarity(dim=-1, eps=1e-3)(tensor(x1), tensor(x2))
    assert along_last.shape == (3, 5)


def test_pairwise_distance_layer():
    x1, x2 = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    for p in (1.0, 2.0, 3.0):
        expected = (np.abs(x1 - x2 + 1e-6) ** p).sum(-1) ** (1 / p)
        np.testing.assert_allclose(nn.PairwiseDistance(p=p)(tensor(x1), tensor(x2)).numpy(), expected, rtol=1e-12)
    assert nn.PairwiseDistance(keepdim=True)(tensor(x1), tensor(x2)).shape == (4, 1)
    finite_difference_check(lambda a, b: nn.PairwiseDistance(p=3.0)(a, b), [x1, x2])


@pytest.mark.parametrize("name, kwargs", [("CosineSimilarity", {}), ("CosineSimilarity", dict(dim=0, eps=1e-3)),
                                          ("PairwiseDistance", {}), ("PairwiseDistance", dict(p=1, keepdim=True))])
def test_distance_layers_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    theirs, ours = modules_with_same_repr(name, **kwargs)
    x1, x2 = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    a, b = torch.tensor(x1, requires_grad=True), torch.tensor(x2, requires_grad=True)
    c, d = tensor(x1, requires_grad=True), tensor(x2, requires_grad=True)
    expected, actual = theirs(a, b), ours(c, d)
    np.testing.assert_allclose(actual.detach().numpy(), expected.detach().numpy(), rtol=1e-10)
    expected.sum().backward()
    actual.sum().backward()
    np.testing.assert_allclose(c.grad.numpy(), a.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(d.grad.numpy(), b.grad.numpy(), rtol=1e-10)
