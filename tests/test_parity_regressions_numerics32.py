"""Session 32 numerics: last bits and edge values against torch 2.13 (normalisation statistics at large means,
optimizer steps, norms' argument errors, special values)."""
import numpy as np
import pytest

import torchless
import torchless.nn.functional as TF

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _same_bits(ours, theirs):
    ours, theirs = ours.detach().numpy(), theirs.detach().numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


# ---- 1. normalisation statistics at large means ----------------------------------------------------------------

@pytest.mark.parametrize("mean", [0.0, 10.0, 100.0, 1000.0])
@pytest.mark.parametrize("shape, groups", [((2, 4, 3, 5), 2), ((3, 6, 8, 8), 3), ((1, 8, 33), 4), ((2, 4, 1000), 2)])
@pytest.mark.parametrize("affine", [False, True])
def test_float16_group_norm_matches_torch_bit_for_bit(mean, shape, groups, affine):
    # ATen's float16 kernel takes each group's moments by Welford over float vectors, then (x - mean) * rstd
    # without parameters, else fused x * scale + shift
    rng = np.random.default_rng(int(mean) + shape[-1])
    x = (mean + rng.standard_normal(shape)).astype(np.float16)
    w, b = (rng.standard_normal(shape[1]).astype(np.float16) for _ in range(2))
    theirs = F.group_norm(torch.tensor(x), groups, *((torch.tensor(w), torch.tensor(b)) if affine else ()))
    ours = TF.group_norm(torchless.tensor(x), groups, *((torchless.tensor(w), torchless.tensor(b)) if affine else ()))
    _same_bits(ours, theirs)


@pytest.mark.parametrize("mean", [1e3, 1e5, 1e8, 1e10])
@pytest.mark.parametrize("shape", [(2, 4, 3, 5), (3, 6, 8, 8), (1, 8, 33), (2, 4, 1000)])
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("op", ["batch_norm", "instance_norm"])
def test_float64_batch_and_instance_norm_at_large_means(mean, shape, affine, op):
    # ATen collects a float64 batch's sums value after value: NumPy's pairwise sums moved the outputs by 1e-7 at
    # a mean of 1e8. (Its variance's last ulp still differs now and then: 1e-11 relative at most.)
    rng = np.random.default_rng(shape[-1])
    x = mean + rng.standard_normal(shape)
    w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])

    def run(lib, functional):
        params = dict(weight=lib.tensor(w), bias=lib.tensor(b)) if affine else {}
        if op == "batch_norm":
            return functional.batch_norm(lib.tensor(x), None, None, training=True, **params)
        return functional.instance_norm(lib.tensor(x), **params)

    theirs, ours = run(torch, F).numpy(), run(torchless, TF).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-10)
    if op == "batch_norm":
        np.testing.assert_array_equal(ours, theirs)


def test_float64_batch_norm_saved_mean_is_torchs():
    rng = np.random.default_rng(3)
    x = 1e8 + rng.standard_normal((4, 3, 500))
    t = torch.tensor(x, requires_grad=True)
    ours = torchless.tensor(x, requires_grad=True)
    theirs_out = F.batch_norm(t, None, None, training=True)
    ours_out = TF.batch_norm(ours, None, None, training=True)
    np.testing.assert_array_equal(ours_out.grad_fn._saved_result1.numpy(), theirs_out.grad_fn._saved_result1.numpy())
