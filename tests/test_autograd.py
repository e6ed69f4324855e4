"""Autograd: gradients by finite differences in float64 and against PyTorch; backward semantics and errors."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import torchless
from helpers import examples, numerical_gradients


def autograd_grads(lib, fn, arrays, weights):
    inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *inputs)
    (out * lib.tensor(weights, dtype=out.dtype)).sum().backward()
    return [None if x.grad is None else x.grad.numpy() for x in inputs], out


def check_against_finite_differences(fn, *arrays, seed=0, rtol=1e-5, atol=1e-7):
    """Autograd's float64 gradients of sum(fn(torchless, *tensors) * w), w uniform in [0.5, 1.5), against
    central differences."""
    arrays = [np.asarray(a, np.float64) for a in arrays]
    with torchless.no_grad():
        out_shape = fn(torchless, *[torchless.tensor(a) for a in arrays]).shape
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, out_shape)
    grads, out = autograd_grads(torchless, fn, arrays, weights)

    def loss(values):
        with torchless.no_grad():
            out = fn(torchless, *[torchless.tensor(v) for v in values])
        return float((out.numpy().astype(np.float64) * weights).sum())

    expected = numerical_gradients(loss, arrays)
    for got, want, array in zip(grads, expected, arrays):
        assert got.shape == array.shape and got.dtype == np.float64
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def check_against_torch(fn, *arrays, dtype=np.float32, seed=0):
    torch = pytest.importorskip("torch")
    arrays = [np.ascontiguousarray(a, dtype) for a in arrays]
    with torchless.no_grad():
        out_shape = fn(torchless, *[torchless.tensor(a) for a in arrays]).shape
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, out_shape)
    expected, torch_out = autograd_grads(torch, fn, arrays, weights)
    got, out = autograd_grads(torchless, fn, arrays, weights)
    assert out.grad_fn.name() == torch_out.grad_fn.name()
    for g, e in zip(got, expected):
        assert (g is None) == (e is None)
        if e is not None:
            assert g.dtype == e.dtype and g.shape == e.shape
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- each differentiable op
rng = np.random.default_rng(42)
M23 = rng.uniform(0.5, 2.0, (2, 3)) * rng.choice([-1, 1], (2, 3))  # distinct values away from kinks
P23 = rng.uniform(0.5, 2.0, (2, 3))                                 # positive: log, sqrt, fractional powers
V3 = rng.uniform(-2, 2, 3)
R3 = rng.uniform(0.5, 2.0, (1, 3))
T234 = rng.permutation(24).reshape(2, 3, 4) / 7.0 - 1.5             # distinct: unique max/min

OPS = {
    "add": (lambda L, a, b: a + b, [M23, V3]),
    "sub": (lambda L, a, b: a - b, [M23, R3]),
    "rsub_scalar": (lambda L, a: 2.5 - a, [M23]),
    "mul": (lambda L, a, b: a * b, [M23, R3]),
    "div": (lambda L, a, b: a / b, [M23, P23]),
    "rdiv_scalar": (lambda L, a: 3.0 / a, [P23]),
    "add_alpha": (lambda L, a, b: a.add(b, alpha=2.5), [M23, V3]),
    "sub_alpha": (lambda L, a, b: a.sub(b, alpha=-1.5), [M23, V3]),
    "pow_scalar": (lambda L, a: a ** 3, [M23]),
    "pow_fractional": (lambda L, a: a ** 1.5, [P23]),
    "pow_tensor": (lambda L, a, b: a ** b, [P23, M23]),
    "rpow_scalar": (lambda L, a: 2.0 ** a, [M23]),
    "neg": (lambda L, a: -a, [M23]),
    "matmul_2d": (lambda L, a, b: a @ b, [M23, M23.T]),
    "matmul_vec_vec": (lambda L, a, b: a @ b, [V3, V3[::-1].copy()]),
    "matmul_mat_vec": (lambda L, a, b: a @ b, [M23, V3]),
    "matmul_vec_mat": (lambda L, a, b: a @ b, [V3, M23.T]),
    "matmul_batched_broadcast": (lambda L, a, b: a @ b, [T234, rng.standard_normal((4, 2))]),
    "matmul_batch_vec": (lambda L, a, b: a @ b, [T234, rng.standard_normal(4)]),
    "matmul_vec_batch": (lambda L, a, b: a @ b, [rng.standard_normal(3), T234]),
    "sum": (lambda L, a: a.sum(), [T234]),
    "sum_dim": (lambda L, a: a.sum(1), [T234]),
    "sum_dims_keepdim": (lambda L, a: a.sum((0, 2), keepdim=True), [T234]),
    "mean": (lambda L, a: a.mean(), [T234]),
    "mean_dim": (lambda L, a: a.mean(-1, keepdim=True), [T234]),
    "max": (lambda L, a: a.max(), [T234]),
    "min": (lambda L, a: a.min(), [T234]),
    "max_dim": (lambda L, a: a.max(1)[0], [T234]),
    "min_dim_keepdim": (lambda L, a: a.min(2, keepdim=True).values, [T234]),
    "amax": (lambda L, a: a.amax((0, 2)), [T234]),
    "amin": (lambda L, a: a.amin(1), [T234]),
    "torch_max_binary": (lambda L, a, b: L.max(a, b), [M23, M23[::-1].copy()]),
    "maximum": (lambda L, a, b: a.maximum(b), [M23, V3]),
    "minimum": (lambda L, a, b: a.minimum(b), [M23, V3]),
    "exp": (lambda L, a: a.exp(), [M23]),
    "log": (lambda L, a: a.log(), [P23]),
    "sqrt": (lambda L, a: a.sqrt(), [P23]),
    "abs": (lambda L, a: a.abs(), [M23]),
    "clamp": (lambda L, a: a.clamp(-1.0, 1.0), [M23]),
    "clamp_min": (lambda L, a: a.clamp(min=0.8), [M23]),
    "relu": (lambda L, a: a.relu(), [M23]),
    "sigmoid": (lambda L, a: a.sigmoid(), [M23]),
    "tanh": (lambda L, a: a.tanh(), [M23]),
    "var": (lambda L, a: a.var(1), [T234]),
    "std": (lambda L, a: a.std(), [T234]),
    "view": (lambda L, a: a.view(4, 6) * L.arange(6.0, dtype=L.float64), [T234]),
    "reshape": (lambda L, a: a.reshape(-1, 2), [T234]),
    "flatten": (lambda L, a: a.flatten(1), [T234]),
    "permute": (lambda L, a: a.permute(2, 0, 1), [T234]),
    "transpose": (lambda L, a: a.transpose(0, 2), [T234]),
    "t": (lambda L, a: a.t(), [M23]),
    "unsqueeze": (lambda L, a: a.unsqueeze(1), [M23]),
    "squeeze": (lambda L, a: a.squeeze(0), [R3]),
    "expand": (lambda L, a: a.expand(4, 2, 3), [R3]),
    "contiguous_of_transpose": (lambda L, a: a.t().contiguous().view(-1), [M23]),
    "clone": (lambda L, a: a.clone(), [M23]),
    "flip": (lambda L, a: a.flip(0), [M23]),
    "index_basic": (lambda L, a: a[1, :, 1:3], [T234]),
    "index_int": (lambda L, a: a[0], [T234]),
    "index_advanced_repeats": (lambda L, a: a[L.tensor([0, 1, 0, 0])], [T234]),
    "index_mask": (lambda L, a: a[a > 0], [T234]),
    "index_mixed": (lambda L, a: a[:, L.tensor([2, 0, 2]), 1:], [T234]),
    "cat": (lambda L, a, b: L.cat([a, b, a], 0), [M23, R3]),
    "stack": (lambda L, a, b: L.stack([a, b], 1), [M23, P23]),
    "where": (lambda L, a, b: L.where(a > 0, a, b), [M23, V3]),
    "where_scalar": (lambda L, a: L.where(a > 0, a, 0.0), [M23]),
    "to_double": (lambda L, a: a.to(L.float64) * 2, [M23]),
    "log2": (lambda L, a: a.log2(), [P23]),
    "log10": (lambda L, a: L.log10(a), [P23]),
    "log1p": (lambda L, a: a.log1p(), [P23]),
    "expm1": (lambda L, a: a.expm1(), [M23]),
    "reciprocal": (lambda L, a: a.reciprocal(), [M23]),
    "sin": (lambda L, a: a.sin(), [M23]),
    "cos": (lambda L, a: L.cos(a), [M23]),
    "frac": (lambda L, a: a.frac(), [M23]),
    "trunc": (lambda L, a: a.trunc() * a, [M23]),
    "fmod_scalar": (lambda L, a: a.fmod(0.7), [M23]),
    "fmod_tensor": (lambda L, a, b: a.fmod(b), [M23, P23]),
    "remainder_method": (lambda L, a, b: a.remainder(b), [M23, P23]),
    "lerp_scalar": (lambda L, a, b: a.lerp(b, 0.3), [M23, V3]),
    "lerp_large_weight": (lambda L, a, b: L.lerp(a, b, 0.8), [M23, V3]),
    "lerp_tensor_weight": (lambda L, a, b, w: a.lerp(b, w), [M23, V3, P23 / 2]),
    "nan_to_num": (lambda L, a: a.nan_to_num(), [M23]),
    "cumsum": (lambda L, a: a.cumsum(1), [T234]),
    "logsumexp": (lambda L, a: a.logsumexp(1), [T234]),
    "logsumexp_dims_keepdim": (lambda L, a: L.logsumexp(a, (0, 2), keepdim=True), [T234]),
    "median": (lambda L, a: a.median(), [T234]),
    "median_dim": (lambda L, a: a.median(1).values, [T234]),
    "kthvalue_keepdim": (lambda L, a: a.kthvalue(2, 0, True).values, [T234]),
    "movedim": (lambda L, a: a.movedim(0, 2), [T234]),
    "narrow": (lambda L, a: a.narrow(2, 1, 2), [T234]),
    "roll": (lambda L, a: a.roll((1, -1), (0, 2)), [T234]),
    "roll_flattened": (lambda L, a: a.roll(5), [T234]),
    "rot90": (lambda L, a: a.rot90(1, (1, 2)), [T234]),
    "rot90_three_turns": (lambda L, a: a.rot90(3), [M23]),
    "fliplr": (lambda L, a: a.fliplr(), [M23]),
    "repeat_interleave": (lambda L, a: a.repeat_interleave(L.tensor([1, 0, 2]), dim=1), [T234]),
    "tensor_split": (lambda L, a: a.tensor_split(3, dim=2)[1], [T234]),
    "diff": (lambda L, a: a.diff(dim=1), [T234]),
    "diagonal": (lambda L, a: a.diagonal(1, 1, 2), [T234]),
    "diag_of_vector": (lambda L, a: a.diag(1), [V3]),
    "diag_of_matrix": (lambda L, a: a.diag(), [M23]),
    "trace": (lambda L, a: a.trace(), [M23]),
    "tril": (lambda L, a: a.tril(), [T234]),
    "triu": (lambda L, a: L.triu(a, 1), [T234]),
    "outer": (lambda L, a, b: a.outer(b), [V3, V3[::-1].copy()]),
    "mv": (lambda L, a, b: a.mv(b), [M23, V3]),
    "index_select": (lambda L, a: a.index_select(1, L.tensor([2, 0, 2])), [T234]),
    "masked_select": (lambda L, a: a.masked_select(a > 0), [T234]),
    "take": (lambda L, a: a.take(L.tensor([[0, 23], [5, 5]])), [T234]),
    "scatter": (lambda L, a, b: a.scatter(1, L.tensor([[[0, 1, 2, 0]], [[2, 2, 1, 0]]]), b), [T234, T234[:, :1] * 2]),
    "scatter_value": (lambda L, a: a.scatter(1, L.tensor([[[0, 1, 2, 0]], [[2, 2, 1, 0]]]), 2.0), [T234]),
    "scatter_add": (lambda L, a, b: a.scatter_add(1, L.tensor([[[0, 0, 2, 0], [0, 1, 1, 1]]]), b), [T234, T234[:1, :2] * 2]),
    "where_method": (lambda L, a, b: a.where(a > 0, b), [M23, V3]),
    "meshgrid_xy": (lambda L, a, b: L.stack(L.meshgrid(a, b, indexing="xy")), [V3, V3[:2].copy()]),
    "cartesian_prod": (lambda L, a, b: L.cartesian_prod(a, b), [V3, V3[:2].copy()]),
    "broadcast_to": (lambda L, a: L.broadcast_to(a, (2, 2, 3)), [M23]),
    "chain": (lambda L, a, b: ((a * b).exp() / (1 + (a - b) ** 2)).sum(0).sqrt(), [M23, R3]),
    "reuse": (lambda L, a: a * a + a.sum() * a, [M23]),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_gradient_matches_finite_differences(name):
    fn, arrays = OPS[name]
    check_against_finite_differences(fn, *arrays)


@pytest.mark.parametrize("name", sorted(OPS))
def test_gradient_and_grad_fn_match_torch(name):
    fn, arrays = OPS[name]
    check_against_torch(fn, *arrays)
    check_against_torch(fn, *arrays, dtype=np.float64)


@pytest.mark.parametrize("case", [
    ("max_ties", lambda L, a: a.max(), [[1.0, 3.0, 3.0, 2.0]]),
    ("min_ties", lambda L, a: a.min(), [[1.0, 1.0, 3.0]]),
    ("max_dim_ties", lambda L, a: a.max(0).values, [[[1.0, 2.0], [1.0, 0.0]]]),
    ("amax_ties", lambda L, a: a.amax(1), [[[1.0, 1.0], [0.0, 1.0]]]),
    ("maximum_ties", lambda L, a, b: a.maximum(b), [[1.0, 2.0], [1.0, 3.0]]),
    ("clamp_at_bounds", lambda L, a: a.clamp(0.0, 1.0), [[0.0, 1.0, 0.5, -1.0]]),
    ("abs_at_zero", lambda L, a: a.abs(), [[0.0, -1.0]]),
    ("relu_at_zero", lambda L, a: a.relu(), [[0.0, -1.0, 2.0]]),
    ("sqrt_at_zero", lambda L, a: a.sqrt(), [[0.0, 4.0]]),
    ("pow_zero_base", lambda L, a, b: a ** b, [[0.0, 0.0, 2.0], [2.0, 0.5, 0.0]]),
    ("log_at_zero", lambda L, a: a.log(), [[0.0, 1.0]]),
    ("div_by_zero", lambda L, a, b: a / b, [[1.0, 0.0], [0.0, 0.0]]),
    ("max_at_nan", lambda L, a: a.max(), [[np.nan, 1.0, 2.0]]),  # the NaN is the maximum: it gets the gradient
    ("min_at_two_nans", lambda L, a: a.min(), [[np.nan, 1.0, np.nan]]),
    ("std_without_degrees_of_freedom", lambda L, a: a.std(-1), [[2.0]]),
    ("var_correction_beyond_size", lambda L, a: a.var(1, correction=2), [[[1.0, 3.0], [2.0, 2.0]]]),
    ("std_correction_beyond_size", lambda L, a: a.std(1, correction=3), [[[1.0, 3.0], [2.0, 2.0]]]),
    ("var_of_all_without_degrees_of_freedom", lambda L, a: a.var(correction=3), [[1.0, 3.0, 3.0]]),
    ("std_of_constant_values", lambda L, a: a.std(), [[2.0, 2.0]]),
    ("sort_descending_with_nan", lambda L, a: a.sort(descending=True).values, [[1.0, np.nan, 3.0, 3.0]]),
    ("topk_of_0d", lambda L, a: a.topk(1).values, [2.0]),
    ("median_ties", lambda L, a: a.median(), [[1.0, 2.0, 3.0, 2.0, 2.0]]),
    ("median_dim_with_nan", lambda L, a: a.median(0).values, [[1.0, np.nan, 3.0, np.nan]]),
    ("nan_to_num_of_nan_and_inf", lambda L, a: a.nan_to_num(), [[np.nan, np.inf, -np.inf, 1.0]]),
    ("lerp_weight_one", lambda L, a, b: a.lerp(b, 1.0), [[1.0, 2.0], [3.0, -4.0]]),

], ids=lambda c: c[0])
def test_gradients_at_ties_and_kinks_match_torch(case):
    _, fn, arrays = case
    check_against_torch(fn, *arrays)


# ---------------------------------------------------------------- broadcasting and random shapes
finite = st.floats(-3, 3, allow_nan=False, width=32).filter(lambda v: abs(v) > 0.1)


@st.composite
def broadcast_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
    return [draw(hnp.arrays(np.float64, s, elements=finite)) for s in shapes.input_shapes]


BINARY = {"add": lambda L, a, b: a + b, "sub": lambda L, a, b: a - b, "mul": lambda L, a, b: a * b,
          "div": lambda L, a, b: a / b, "pow": lambda L, a, b: a.abs() ** b,
          "where": lambda L, a, b: L.where(a > b, a, b * 2)}


@examples(40)
@given(broadcast_pair(), st.sampled_from(sorted(BINARY)))
def test_broadcast_gradients_are_reduced_to_input_shapes(pair, name):
    if name == "where" and np.any(np.abs(np.subtract(*pair)) < 0.05):
        return  # where(a > b, ...) has no derivative where a == b
    check_against_finite_differences(BINARY[name], *pair, rtol=1e-4, atol=1e-6)


@examples(40)
@given(broadcast_pair(), st.sampled_from(sorted(BINARY)))
def test_broadcast_gradients_match_torch(pair, name):
    check_against_torch(BINARY[name], *pair)


@st.composite
def tensor_and_dim(draw):
    # Distinct values at least 0.1 apart: no ties, and no kinks within a finite-difference step.
    array = draw(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), unique=True,
                            elements=st.integers(-50, 50).map(lambda v: v / 10)))
    return array, draw(st.integers(-array.ndim, array.ndim - 1)), draw(st.booleans())


REDUCTIONS = {
    "sum": lambda L, a, d, k: a.sum(d, keepdim=k), "mean": lambda L, a, d, k: a.mean(d, keepdim=k),
    "max": lambda L, a, d, k: a.max(d, keepdim=k).values, "min": lambda L, a, d, k: a.min(d, keepdim=k)[0],
    "amax": lambda L, a, d, k: a.amax(d, keepdim=k), "var": lambda L, a, d, k: a.var(d, keepdim=k),
    "std": lambda L, a, d, k: a.std(d, keepdim=k) + 0 * a.sum(),
}


@examples(40)
@given(tensor_and_dim(), st.sampled_from(sorted(REDUCTIONS)))
def test_reduction_gradients_match_torch(case, name):
    array, dim, keepdim = case
    if name in ("var", "std") and array.shape[dim] < 2:
        return
    check_against_torch(lambda L, a: REDUCTIONS[name](L, a, dim, keepdim), array, dtype=np.float64)


@examples(25)
@given(tensor_and_dim(), st.sampled_from(sorted(REDUCTIONS)))
def test_reduction_gradients_match_finite_differences(case, name):
    array, dim, keepdim = case
    if name in ("var", "std") and array.shape[dim] < 2:
        return
    check_against_finite_differences(lambda L, a: REDUCTIONS[name](L, a, dim, keepdim), array, rtol=1e-4, atol=1e-6)


@examples(30)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2), st.integers(0, 2**31 - 1))
def test_matmul_gradients_match_torch_for_random_shapes(n, k, m, batch, seed):
    g = np.random.default_rng(seed)
    a = g.standard_normal((batch + 1, n, k) if batch else (n, k))
    b = g.standard_normal((k, m) if seed % 2 else (k,))
    check_against_torch(lambda L, x, y: x @ y, a, b, dtype=np.float64)


# ---------------------------------------------------------------- backward semantics
def grad_of(lib, build, **backward_kwargs):
    x = lib.tensor([[1.5, -2.0, 3.0], [0.5, 2.0, -1.0]], requires_grad=True)
    build(lib, x).backward(**backward_kwargs)
    return x.grad


def test_backward_of_a_scalar_defaults_to_a_gradient_of_one():
    x = torchless.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


def test_backward_with_an_explicit_gradient():
    x = torchless.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * 3).backward(torchless.tensor([1.0, 0.0, 2.0]))
    assert x.grad.tolist() == [3.0, 0.0, 6.0]
    y = torchless.tensor(2.0, requires_grad=True)
    (y * y).backward(torchless.tensor(0.5))
    assert y.grad.item() == 2.0


def test_an_explicit_gradient_is_cast_to_the_output_dtype_like_torch():
    """A float32 gradient for a float64 output: PyTorch casts it first, so the graph computes in float64."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    grads = []
    for lib in (torch, torchless):
        xt = lib.tensor(x, requires_grad=True)
        lib.nn.functional.conv2d(xt, lib.tensor(w)).backward(lib.ones(2, 3, 4, 4))
        assert xt.grad.dtype == lib.float64
        grads.append(xt.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12, atol=1e-12)


def test_gradients_accumulate_until_zeroed():
    x = torchless.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]
    x.grad.zero_()
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    x.grad = None
    x.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_retain_graph_allows_a_second_backward():
    x = torchless.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


@pytest.mark.parametrize("build", [
    lambda L, x: (x * x).sum(), lambda L, x: x.exp().sum(), lambda L, x: (x / (x + 5)).mean(),
    lambda L, x: (x @ x.t()).sum(), lambda L, x: x.max(), lambda L, x: x.abs().sqrt().sum(),
])
def test_second_backward_through_freed_buffers_fails_like_torch(build):
    torch = pytest.importorskip("torch")
    outcomes = []
    for lib in (torch, torchless):
        x = lib.tensor([[1.5, -2.0, 3.0], [0.5, 2.0, -1.0]], requires_grad=True)
        y = build(lib, x)
        y.backward()
        with pytest.raises(RuntimeError) as info:
            y.backward()
        outcomes.append(str(info.value))
    assert outcomes[1] == outcomes[0]


@pytest.mark.parametrize("build", [
    lambda L, x: (x + x).sum(), lambda L, x: (x * 2).sum(), lambda L, x: x.view(-1)[1:].sum(), lambda L, x: x.sum(),
])
def test_second_backward_without_saved_tensors_matches_torch(build):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, torchless):
        x = lib.tensor([[1.5, -2.0, 3.0], [0.5, 2.0, -1.0]], requires_grad=True)
        y = build(lib, x)
        y.backward()
        try:
            y.backward()
            results.append(x.grad.tolist())
        except RuntimeError as error:
            results.append(str(error))
    assert results[1] == results[0]


@pytest.mark.parametrize("call", [
    "(P * 2).backward()", "(P * 2).backward(L.ones(3))", "(P * 2).backward(L.ones(2, 3).double())",
    "L.ones(2).backward()", "L.ones(2).sum().backward()", "P.sum().backward(L.tensor([1.0, 2.0]))",
    "(P * 2).detach().sum().backward()", "P.sum().backward(L.tensor(2.0))",
])
def test_backward_errors_match_torch(call):
    torch = pytest.importorskip("torch")
    outcomes = []
    for lib in (torch, torchless):
        p = lib.tensor([[1.5, -2.0, 3.0], [0.5, 2.0, -1.0]], requires_grad=True)
        try:
            eval(call, {"L": lib, "P": p})
            outcomes.append(("ok", p.grad.tolist()))
        except Exception as error:  # noqa: BLE001
            outcomes.append((type(error).__name__, str(error).replace("torch.", "torchless.")))
    assert outcomes[1] == outcomes[0]


@pytest.mark.parametrize("call", [
    # % passes the gradient to the dividend (a tensor divisor gets -floor(x / y) times it); step functions and
    # division with rounding record a node with zero gradient; // and scalar % tensor record one that refuses
    "x % 1.5", "x % y", "x % y.detach()", "x.detach() % y", "2.0 % x", "x // 1.5", "2.0 // x", "x // y",
    "x.div(y, rounding_mode='floor')", "x.div(2.0, rounding_mode='trunc')", "x.floor()", "x.ceil()", "x.round()",
    "x.round(decimals=1)", "x.sign()", "(x * 2).floor() + x", "x.detach().floor()", "(x * y).round() * y",
    # norm(p=0) counts nonzeros and passes no gradient at all (x.grad stays None)
    "x.norm(p=0)", "(x - 3).norm(0)", "(x - 3).norm(p=0) + y.sum()", "x.double().norm(p=0, dim=0, keepdim=True)",
    "(x / y.detach().sign().clamp(min=0)).norm(p=0)",
])
def test_rounding_ops_and_zero_norm_record_torch_nodes_and_gradients(call):
    torch = pytest.importorskip("torch")
    outcomes = []
    for lib in (torch, torchless):
        x = lib.tensor([1.7, -2.5, 3.0], requires_grad=True)
        y = lib.tensor([0.5, 2.0, -1.5], requires_grad=True)
        out = eval(call, {"x": x, "y": y})
        node = out.grad_fn and out.grad_fn.name()
        try:
            out.sum().backward()
            grads = [None if t.grad is None else t.grad.tolist() for t in (x, y)]
        except RuntimeError as error:
            grads = str(error)
        outcomes.append((out.tolist(), str(out.dtype).split(".")[-1], out.requires_grad, node, grads))
    assert outcomes[1] == outcomes[0]


def test_gradient_does_not_flow_through_detach_or_data():
    x = torchless.tensor([1.0, 2.0], requires_grad=True)
    (x * x.detach()).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0]
    x.grad = None
    (x * x.data).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0]


def test_non_leaf_grad_is_none_unless_retained():
    x = torchless.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = x * 4
    z.retain_grad()
    (y * z).sum().backward()
    assert y.grad is None
    assert z.grad.tolist() == (y.detach()).tolist()
    assert x.grad.tolist() == [24.0, 48.0]


def test_hooks_see_and_may_replace_the_gradient():
    x = torchless.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    x.register_hook(lambda g: g * 10)
    (x * 2).sum().backward()
    assert seen == [[2.0, 2.0]] and x.grad.tolist() == [20.0, 20.0]


def test_autograd_grad_returns_instead_of_accumulating():
    x = torchless.tensor([1.0, 2.0], requires_grad=True)
    (g,) = torchless.autograd.grad((x ** 3).sum(), x)
    assert g.tolist() == [3.0, 12.0] and x.grad is None


# ---------------------------------------------------------------- grad modes
def test_no_grad_context_manager_and_decorator():
    x = torchless.ones(2, requires_grad=True)
    with torchless.no_grad():
        y = x * 2
        assert not torchless.is_grad_enabled()
    assert torchless.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf

    @torchless.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad and torchless.is_grad_enabled()
    assert double.__name__ == "double"


def test_enable_grad_inside_no_grad_and_as_decorator():
    x = torchless.ones(2, requires_grad=True)

    @torchless.enable_grad()
    def double(t):
        return t * 2

    with torchless.no_grad():
        with torchless.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
        assert double(x).requires_grad
    assert torchless.is_grad_enabled()


def test_set_grad_enabled_as_function_and_context_manager():
    x = torchless.ones(2, requires_grad=True)
    with torchless.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    torchless.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        torchless.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with torchless.no_grad():
            raise ValueError
    assert torchless.is_grad_enabled()


def test_requires_grad_propagates_only_from_inputs_that_require_it():
    a = torchless.ones(2, requires_grad=True)
    b = torchless.ones(2)
    assert (a + b).requires_grad and not (b + b).requires_grad
    assert not (a > b).requires_grad and not a.argmax().requires_grad
    (a * b).sum().backward()
    assert b.grad is None


# ---------------------------------------------------------------- in-place operations in the graph
INPLACE_CHAINS = {
    "add_mul": lambda L, x: (x * 2).add_(1).mul_(x),
    "sub_div": lambda L, x: (x + 0).sub_(x * x, alpha=2).div_(3),
    "clamp_": lambda L, x: (x * 1).clamp_(-1, 1),
    "setitem": lambda L, x: _assign(x * 1, (0, slice(1, None)), x[1, :2] * 5),
    "setitem_mask": lambda L, x: _assign(x * 1, x > 0, 0.0),
    "setitem_leading_ones": lambda L, x: _assign(x * 1, 0, x[1:] * 5),  # the value's (1, 3) fills a row
    "setitem_advanced_leading_ones": lambda L, x: _assign(x * 1, L.tensor([1, 0]), (x * x)[None, None]),
    "zero_": lambda L, x: (x * 1).zero_() + x,
    "fill_": lambda L, x: (x * 1).fill_(2.0) * x,
    "copy_": lambda L, x: (x * 1).copy_(x[0] * 3),
    "copy_into_plain": lambda L, x: L.zeros(2, 3, dtype=x.dtype).copy_(x * 3),
    "iadd": lambda L, x: _iadd(x * 1, x.exp()),
}


INPLACE_INPUT = [[1.5, -2.0, 3.0], [0.5, 2.0, -0.7]]  # away from the clamp bounds


def _assign(t, key, value):
    t[key] = value
    return t


def _iadd(t, other):
    t += other
    return t


@pytest.mark.parametrize("name", sorted(INPLACE_CHAINS))
def test_recorded_inplace_ops_give_torch_gradients(name):
    check_against_torch(lambda L, x: INPLACE_CHAINS[name](L, x), INPLACE_INPUT)


@pytest.mark.parametrize("name", sorted(INPLACE_CHAINS))
def test_recorded_inplace_ops_match_finite_differences(name):
    check_against_finite_differences(lambda L, x: INPLACE_CHAINS[name](L, x), INPLACE_INPUT)


def test_optimizer_style_update_under_no_grad_keeps_a_leaf():
    w = torchless.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with torchless.no_grad():
        w.sub_(w.grad, alpha=0.5)
    assert w.is_leaf and w.requires_grad and w.tolist() == [0.0, 0.0]
    w.grad.zero_()
    (w + 1).sum().backward()
    assert w.grad.tolist() == [1.0, 1.0]


def test_grad_mode_is_per_thread():
    """A no_grad() block in one thread leaves recording on in another, as in PyTorch."""
    import threading

    inside, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with torchless.no_grad():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    x = torchless.ones(2, requires_grad=True)
    seen["enabled"], seen["recorded"] = torchless.is_grad_enabled(), (x * 2).requires_grad
    release.set()
    thread.join()
    assert seen == {"enabled": True, "recorded": True}


# Products with no zero, one zero and two zeros in a row, over all elements and along each dim.
PROD_INPUTS = [
    np.array([[1.5, -2.0, 0.5], [3.0, 0.25, -1.25]]),
    np.array([[1.5, 0.0, 0.5], [3.0, 0.25, -1.25]]),
    np.array([[0.0, 2.0, 0.0], [3.0, 0.25, -1.25]]),
]
PROD_CALLS = {
    "all": lambda T, x: x.prod(),
    "dim 0": lambda T, x: x.prod(0),
    "dim -1 keepdim": lambda T, x: x.prod(-1, keepdim=True),
    "function dim 1": lambda T, x: T.prod(x, 1),
}


@pytest.mark.parametrize("call", sorted(PROD_CALLS))
@pytest.mark.parametrize("x", PROD_INPUTS, ids=["no zero", "one zero", "two zeros"])
def test_prod_gradients_match_torch_and_finite_differences(call, x):
    check_against_torch(PROD_CALLS[call], x)
    check_against_finite_differences(PROD_CALLS[call], x)


def test_prod_of_a_0d_tensor_and_a_tuple_of_dims_as_in_torch():
    torch = pytest.importorskip("torch")
    for lib in (torchless, torch):
        x = lib.tensor(3.0, requires_grad=True)
        y = x.prod(0)
        y.backward()
        assert (y.item(), x.grad.item(), y.grad_fn.name()) == (3.0, 1.0, "ProdBackward1")
    with pytest.raises(TypeError, match=r"prod\(\) received an invalid combination of arguments - got \(dim=tuple"):
        torchless.ones(2, 3).prod(dim=(0, 1))


NORM_CALLS = {
    "fro": lambda T, x: x.norm(),
    "2, dim 1": lambda T, x: x.norm(2, dim=1),
    "1, dim 0 keepdim": lambda T, x: x.norm(1, dim=0, keepdim=True),
    "3": lambda T, x: x.norm(3),
    "1.5, dim -1": lambda T, x: x.norm(1.5, dim=-1),
    "0.5, dim 1": lambda T, x: x.norm(0.5, dim=1),
    "inf, dim 1": lambda T, x: x.norm(float("inf"), dim=1),
    "-inf": lambda T, x: x.norm(float("-inf")),
    "normalize": lambda T, x: T.nn.functional.normalize(x),
}


@pytest.mark.parametrize("call", sorted(NORM_CALLS))
def test_norm_gradients_match_torch_and_finite_differences(call):
    check_against_torch(NORM_CALLS[call], M23)
    check_against_finite_differences(NORM_CALLS[call], M23)


@pytest.mark.parametrize("call", sorted(NORM_CALLS))
def test_norm_gradients_at_zero_vectors_match_torch(call):
    """PyTorch's backward gives 0 where the norm is 0 (and where x is 0 for p < 1): no NaN."""
    check_against_torch(NORM_CALLS[call], np.array([[0.0, 0.0, 0.0], [3.0, 0.0, -4.0]]))


REPEAT_CALLS = {
    "repeat rows": lambda T, x: x.repeat(2, 1),
    "repeat with a new dim": lambda T, x: x.repeat(2, 1, 3),
    "repeat none": lambda T, x: x.repeat(1, 1),
    "repeat zero times": lambda T, x: x.repeat(0, 2),
    "tile": lambda T, x: x.tile(2),
}


@pytest.mark.parametrize("call", sorted(REPEAT_CALLS))
def test_repeat_is_one_node_whose_gradient_sums_the_copies(call):
    check_against_torch(REPEAT_CALLS[call], M23)
    check_against_finite_differences(REPEAT_CALLS[call], M23)


def test_a_leaf_keeps_its_dtype_when_gradients_of_another_dtype_accumulate():
    """A float32 leaf used again in float64 receives float64 gradients; torch.grad stays float32."""
    x = torchless.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * 2).sum().backward()
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == torchless.float32
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0, 5.0])


def test_inf_norm_gradient_keeps_float32():
    x = torchless.tensor([[1.0, -3.0], [3.0, 2.0]], requires_grad=True)
    x.norm(p=float("inf")).backward()
    assert x.grad.dtype == torchless.float32
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, -0.5], [0.5, 0.0]])
