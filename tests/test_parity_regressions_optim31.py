"""Regressions found by session 31's fuzzing of optimizers, schedulers, SWA and gradient clipping against
PyTorch 2.13."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


# ------------------------------------------------------------------------------------------------ LBFGS
def _lbfgs_first_iteration(lib, initial, gradient):
    """The parameters after one L-BFGS iteration (no line search) from ``initial`` along a fixed ``gradient``."""
    params = [lib.tensor(a.copy(), requires_grad=True) for a in initial]
    optimizer = lib.optim.LBFGS(params, max_iter=1, lr=0.7)

    def closure():
        offset = 0
        for p in params:
            p.grad = lib.tensor(gradient[offset:offset + p.numel()].reshape(p.shape).copy())
            offset += p.numel()
        return lib.tensor(1.0)

    optimizer.step(closure)
    return [p.detach().numpy() for p in params]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes", [[(5,)], [(37,)], [(6, 7), (11,)], [(130,), ()]])
@pytest.mark.parametrize("seed", range(3))
def test_lbfgs_first_step_is_torchs_to_the_last_bit(dtype, shapes, seed):
    # torchless scaled the first step by the gradient's L1 norm summed in NumPy's order (not torch.sum's cascade)
    # and moved the parameters by a product and a sum rounded each (PyTorch's add_ with alpha rounds once).
    rng = np.random.default_rng(seed)
    initial = [rng.standard_normal(s).astype(dtype) for s in shapes]
    gradient = rng.standard_normal(sum(int(np.prod(s)) for s in shapes)).astype(dtype)
    expected = _lbfgs_first_iteration(torch, initial, gradient)
    for ours, theirs in zip(_lbfgs_first_iteration(torchless, initial, gradient), expected):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("lib_name", ["torch", "torchless"])
def test_lbfgs_step_refuses_a_group_added_after_construction(lib_name):
    # add_param_group gave LBFGS a second group that its step silently ignored; PyTorch's step refuses it.
    lib = torch if lib_name == "torch" else torchless
    first, second = lib.zeros(2, requires_grad=True), lib.zeros(1, requires_grad=True)
    optimizer = lib.optim.LBFGS([first])
    optimizer.add_param_group({"params": [second]})
    with pytest.raises(AssertionError, match=r"^Expected exactly one param_group, but got 2$"):
        optimizer.step(lambda: (first.sum() + second.sum()))
