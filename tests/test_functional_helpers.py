"""Functional helpers outside the layers: one_hot, interpolate (nearest, linear, bilinear), softplus, normalize, cosine_similarity,
pairwise_distance.

Checked against PyTorch (values, dtypes, errors, gradients and node names) and float64 finite differences.
"""
import numpy as np
import pytest

import torchless
from helpers import assert_matches_torch, finite_difference_check, outcome, tensor


@pytest.mark.parametrize("call", [
    'F.one_hot(L.tensor([1, 2]).int())',
    'F.one_hot(L.tensor([-1]))',
    'F.one_hot(L.tensor([3]), 2)',
    'F.one_hot(L.zeros(0, dtype=L.long))',
    'F.one_hot(L.zeros(0, dtype=L.long), 3)',
    'F.one_hot(L.tensor([[1], [0]]), 3)',
    'F.one_hot(L.tensor([2, 0, 1]))',
    'F.one_hot(L.tensor(2), 4)',
    'F.interpolate(L.arange(4.).reshape(1, 1, 2, 2), size=3)',
    'F.interpolate(L.arange(4.).reshape(1, 1, 2, 2), scale_factor=2)',
    'F.interpolate(L.arange(4.).reshape(1, 1, 2, 2), scale_factor=1.5)',
    'F.interpolate(L.arange(4.).reshape(1, 1, 2, 2), scale_factor=1.5, recompute_scale_factor=True)',
    'F.interpolate(L.arange(12.).reshape(1, 1, 3, 4), size=(2, 5), mode="nearest")',
    'F.interpolate(L.arange(12.).reshape(1, 2, 6), scale_factor=0.5)',
    'F.interpolate(L.arange(12.).reshape(1, 2, 6), size=4)',
    'F.interpolate(L.zeros(1, 2), size=3)',
    'F.interpolate(L.zeros(1, 1, 2, 2), size=3, scale_factor=2)',
    'F.interpolate(L.zeros(1, 1, 2, 2))',
    'F.interpolate(L.zeros(1, 1, 2, 2), size=(1, 2, 3))',
    'F.interpolate(L.zeros(1, 1, 2, 2), size=3, mode="foo")',
    'F.softplus(L.tensor([-30., -1., 0., 1., 15., 25.]))',
    'F.softplus(L.tensor([-1., 0., 1., 15.]), beta=2, threshold=10)',
    'F.softplus(L.tensor([1, 2]))',
    'F.normalize(L.tensor([[3., 4.], [0., 0.]]))',
    'F.normalize(L.tensor([[3., 4.], [1., 2.]]), dim=0, p=1)',
    'F.normalize(L.tensor([1, 2]))',
    'F.cosine_similarity(L.tensor([[1., 2.], [0., 1.]]), L.tensor([[2., 4.], [1., 0.]]))',
    'F.cosine_similarity(L.tensor([[1., 2.], [0., 0.]]), L.tensor([[2., 4.]]), dim=-1)',
    'F.cosine_similarity(L.tensor([1., 2.]), L.tensor([3., 1.]), dim=0)',
    'F.cosine_similarity(L.tensor([[1, 2]]), L.tensor([[1, 2]]))',
    'F.pairwise_distance(L.tensor([[1., 2.], [0., 1.]]), L.tensor([[2., 4.], [1., 0.]]))',
    'F.pairwise_distance(L.tensor([[1., 2.]]), L.tensor([[2., 4.]]), p=1, keepdim=True)',
    'F.interpolate(L.arange(12.).reshape(1, 1, 3, 4), size=(5, 7), mode="bilinear")',
    'F.interpolate(L.arange(12.).reshape(1, 1, 3, 4), scale_factor=2, mode="bilinear", align_corners=True)',
    'F.interpolate(L.arange(12.).reshape(1, 1, 3, 4), size=(1, 1), mode="bilinear", align_corners=True)',
    'F.interpolate(L.arange(20.).reshape(1, 1, 4, 5), scale_factor=0.5, mode="bilinear")',
    'F.interpolate(L.arange(20.).reshape(1, 1, 4, 5), scale_factor=0.7, mode="bilinear", recompute_scale_factor=True)',
    'F.interpolate(L.arange(12.).reshape(1, 2, 6), scale_factor=1.5, mode="linear")',
    'F.interpolate(L.arange(12.).reshape(1, 2, 6), size=4, mode="linear", align_corners=True)',
    'F.interpolate(L.arange(12.).double().reshape(1, 2, 6), size=9, mode="linear")',
    'F.interpolate(L.arange(12.).reshape(1, 2, 6), size=4, mode="bilinear")',
    'F.interpolate(L.zeros(1, 1, 2, 2), size=3, align_corners=True)',
], ids=range(42))
def test_functional_helpers_match_torch(call):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F_torch

    import torchless.nn.functional as F_torchless

    def run(L, F):
        result = outcome(lambda: eval(call, {"L": L, "F": F}))
        if hasattr(result, "message"):  # an exception: its type and message, torch's module name aside
            return result.type, result.message.replace("torch.", "torchless.")
        return str(result.dtype).split(".")[-1], tuple(result.shape), np.asarray(result)

    expected, got = run(torch, F_torch), run(torchless, F_torchless)
    assert got[:2] == expected[:2]
    if len(expected) == 3:
        np.testing.assert_allclose(got[2], expected[2], rtol=2e-6, atol=1e-6)


rng = np.random.default_rng(3)
X = rng.uniform(-2, 2, (2, 3, 4, 5))


@pytest.mark.parametrize("name, call", [
    ("interpolate_2d", lambda F, a: F.interpolate(a, size=(3, 7))),
    ("interpolate_1d_scale", lambda F, a: F.interpolate(a.flatten(2), scale_factor=0.6)),
    ("bilinear_up", lambda F, a: F.interpolate(a, size=(7, 9), mode="bilinear")),
    ("bilinear_down_corners", lambda F, a: F.interpolate(a, scale_factor=0.5, mode="bilinear", align_corners=True)),
    ("linear_up", lambda F, a: F.interpolate(a.flatten(2), scale_factor=1.7, mode="linear")),
    ("softplus", lambda F, a: F.softplus(a * 12, beta=2, threshold=15)),
    ("normalize", lambda F, a: F.normalize(a, dim=2)),
    ("cosine_similarity", lambda F, a: F.cosine_similarity(a, a.flip(1) + 1, dim=-1)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_functional_helper_gradients_match_torch(name, call, dtype):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F_torch

    import torchless.nn.functional as F_torchless

    ours, theirs = tensor(X.astype(dtype), requires_grad=True), torch.tensor(X.astype(dtype), requires_grad=True)
    # float32: sums of a dozen terms in another order than torch's differ by a few ulps of their largest term
    tol = dict(rtol=1e-5, atol=5e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    assert_matches_torch(call(F_torchless, ours), call(F_torch, theirs), [ours], [theirs], tol, rng)


@pytest.mark.parametrize("call", [
    lambda a, b: torchless.nn.functional.pairwise_distance(a, b),
    lambda a, b: torchless.nn.functional.pairwise_distance(a, b, p=3, keepdim=True),
    lambda a, b: torchless.nn.functional.cosine_similarity(a, b),
    lambda a, b: torchless.nn.functional.softplus(a * 10 - b),
    lambda a, b: torchless.nn.functional.interpolate((a * b)[None, None], size=(5, 2), mode="bilinear"),
    lambda a, b: torchless.nn.functional.interpolate((a - b)[None], scale_factor=2.5, mode="linear", align_corners=True),
])
def test_functional_helper_gradients_match_finite_differences(call):
    finite_difference_check(call, [X[0, :, :, 0], X[1, :, :, 1]])
