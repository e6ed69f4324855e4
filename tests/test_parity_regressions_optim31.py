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


# ------------------------------------------------------------------------------------------ 2-norms
def _wide_range_array(seed, shape, dtype):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 10 ** rng.uniform(-3, 3, shape)).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, dim", [((n,), None) for n in (1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 31, 100, 1001)]
                         + [((3, 4, 21), None), ((6, 13), -1), ((2, 3, 11), (-2, -1)), ((5, 40), 1), ((4, 1), -1),
                            ((3, 13, 1), 1), ((1, 6, 1, 5), (1, 3)), ((9, 1), 0)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_vector_norm_two_rounds_as_torchs_kernel(dtype, shape, dim, keepdim):
    # torchless summed the squares in NumPy's pairwise order; ATen adds them into the lanes of a 32-byte vector,
    # folds those, then adds the leftovers (a block of four plainly, the rest as fused multiply-adds): a quarter
    # of float32 norms were one ulp off, and clip_grad_norm_ and Adafactor carried it into their updates.
    for seed in range(4):
        x = _wide_range_array(seed, shape, dtype)
        expected = torch.linalg.vector_norm(torch.tensor(x), 2, dim=dim, keepdim=keepdim)
        actual = torchless.linalg.vector_norm(torchless.tensor(x), 2, dim=dim, keepdim=keepdim)
        assert actual.shape == tuple(expected.shape)
        np.testing.assert_array_equal(actual.numpy(), expected.numpy())
    assert torchless.tensor(x).norm().item() == torch.tensor(x).norm().item()


@pytest.mark.parametrize("dims", [(1, 0), (2, 1, 0), (0, 2, 1), (1, 0, 2), (2, 0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_vector_norm_two_of_a_permuted_tensor_walks_its_memory_in_order_as_torch(dims, keepdim):
    # ATen reduces a whole tensor in memory order, so a transposed or permuted contiguous tensor (a transposed
    # gradient, say) has the norm of its storage; torchless summed it in NumPy's order.
    for seed in range(4):
        x = _wide_range_array(seed, (7, 5, 3)[:len(dims)], "float32")
        expected = torch.linalg.vector_norm(torch.tensor(x).permute(*dims), keepdim=keepdim)
        actual = torchless.linalg.vector_norm(torchless.tensor(x).permute(*dims), keepdim=keepdim)
        assert actual.shape == tuple(expected.shape)
        np.testing.assert_array_equal(actual.numpy(), expected.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("foreach", [None, True, False])
@pytest.mark.parametrize("seed", range(4))
def test_clip_grad_norm_total_and_clipped_gradients_are_torchs_to_the_last_bit(dtype, foreach, seed):
    rng = np.random.default_rng(seed)
    shapes = [(5, 7), (13,), (), (3, 2, 6)]
    grads = [(rng.standard_normal(s) * 10 ** rng.uniform(-1, 1)).astype(dtype) for s in shapes]
    results = []
    for lib in (torch, torchless):
        params = [lib.zeros(s, dtype=getattr(lib, dtype), requires_grad=True) for s in shapes]
        for p, g in zip(params, grads):
            p.grad = lib.tensor(g.copy())
        params[0].grad = lib.tensor(grads[0].T.copy()).t()  # (a transposed gradient: its norm in memory order)
        total = lib.nn.utils.clip_grad_norm_(params, 0.5, foreach=foreach)
        results.append((total.item(), [p.grad.numpy() for p in params]))
    (expected_total, expected), (total, clipped) = results
    assert total == expected_total
    for ours, theirs in zip(clipped, expected):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(2, 3), (3, 5, 4), (7,), (9, 3, 1), (2, 2, 2, 5)])
@pytest.mark.parametrize("foreach", [False, True])
def test_adafactor_steps_round_as_torch(dtype, shape, foreach):
    # A (2, 3) parameter with gradients of ones: torchless's update norm came out an ulp below PyTorch's, so its
    # step size (divided by that norm over sqrt(numel)) was 1 instead of PyTorch's 1.0000001. Also: the row
    # variances' mean is torch.sum's cascade over the rows (not NumPy's pairwise sum), and foreach=True scales the
    # update and adds it in two roundings (the for-loop's add_ with alpha rounds once).
    rng = np.random.default_rng(1)
    grads = [np.ones(shape, dtype)] + [rng.standard_normal(shape).astype(dtype) for _ in range(3)]
    results = []
    for lib in (torch, torchless):
        p = lib.zeros(shape, dtype=getattr(lib, dtype), requires_grad=True)
        optimizer = lib.optim.Adafactor([p], lr=0.1, foreach=foreach)
        values = []
        for g in grads:
            p.grad = lib.tensor(g.copy())
            optimizer.step()
            values.append(p.detach().numpy().copy())
        results.append(values)
    for ours, theirs in zip(*reversed(results)):
        np.testing.assert_array_equal(ours, theirs)
