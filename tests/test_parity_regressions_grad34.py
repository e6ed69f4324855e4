"""Parity regressions of session 34's grad34: gradients' layouts and graphs (polygamma, addr, the *_scatter ops, qr,
matrix_exp, solve, lu, cholesky), digamma's third derivative, group_norm's input gradient at large means."""
import numpy as np
import pytest

import torchless
from helpers import grad_fn_chain, numerical_gradients


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _leaf(lib, array, layout="C", dtype="float64"):
    """A leaf of ``array``'s values, C-contiguous or ("T") the transpose of a C-contiguous tensor."""
    if layout == "T":
        tensor = lib.tensor(np.ascontiguousarray(np.swapaxes(array, -1, -2)), dtype=getattr(lib, dtype)).mT
    else:
        tensor = lib.tensor(array, dtype=getattr(lib, dtype))
    return tensor.detach().requires_grad_(True)


def _gradients(lib, fn, arrays, layouts, dtype="float64", create_graph=False, seed=7):
    """The output's strides and graph, and the gradients (values, strides) of ``fn(lib, *leaves)`` for a random
    output gradient."""
    leaves = [_leaf(lib, a, layout, dtype) for a, layout in zip(arrays, layouts)]
    out = fn(lib, *leaves)
    rng = np.random.default_rng(seed)
    grad = lib.tensor(rng.standard_normal(tuple(out.shape)), dtype=out.dtype)
    grads = lib.autograd.grad(out, leaves, grad, create_graph=create_graph, allow_unused=True)
    return (out.stride(), grad_fn_chain(out, 2),
            [None if g is None else (g.detach().numpy(), g.stride(), grad_fn_chain(g, 3)) for g in grads])


def _assert_same_gradients(ours, theirs, rtol=1e-12, atol=1e-12):
    assert ours[:2] == theirs[:2]
    for mine, expected in zip(ours[2], theirs[2]):
        assert (mine is None) == (expected is None)
        if mine is not None:
            np.testing.assert_allclose(mine[0], expected[0], rtol=rtol, atol=atol)
            assert mine[1:] == expected[1:]


RNG = np.random.default_rng(34)
POSITIVE = np.abs(RNG.standard_normal((3, 4))) + 0.5


# ------------------------------------------------------------------ polygamma, mvlgamma, digamma's third order
@pytest.mark.parametrize("n", [0, 1, 2, 3])
@pytest.mark.parametrize("layout", ["C", "T"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_polygamma_keeps_its_input_layout_as_torch(torch, n, layout, dtype):
    fn = lambda lib, x: lib.polygamma(n, x)  # noqa: E731
    ours, theirs = (_gradients(lib, fn, [POSITIVE], [layout], dtype) for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs, rtol=1e-5 if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("layout", ["C", "T"])
def test_mvlgamma_result_is_c_ordered_as_torch(torch, layout):
    fn = lambda lib, x: lib.mvlgamma(x + 2, 2)  # noqa: E731
    ours, theirs = (_gradients(lib, fn, [POSITIVE], [layout]) for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs)
    assert torchless.mvlgamma(torchless.tensor(3.0), 2).shape == ()  # a 0-d input keeps a 0-d result


def _digamma_derivatives(lib, values):
    x = lib.tensor(values, requires_grad=True)
    first, = lib.autograd.grad(x.digamma().sum(), x, create_graph=True)
    second, = lib.autograd.grad(first.sum(), x, create_graph=True)
    third, = lib.autograd.grad(second.sum(), x)
    return second.grad_fn.name(), second.detach().numpy(), third.numpy()


def test_digamma_third_derivative_is_torchs_polygamma(torch):
    values = np.array([0.7, 2.0, 5.5, -0.3])
    ours, theirs = _digamma_derivatives(torchless, values), _digamma_derivatives(torch, values)
    assert ours[0] == theirs[0] == "MulBackward0"
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-12)


def test_digamma_third_derivative_matches_finite_differences():
    values = np.array([0.7, 2.0, 5.5])

    def second(arrays):
        x = torchless.tensor(arrays[0], requires_grad=True)
        first, = torchless.autograd.grad(x.digamma().sum(), x, create_graph=True)
        return torchless.autograd.grad(first.sum(), x, create_graph=True)[0]

    x = torchless.tensor(values, requires_grad=True)
    first, = torchless.autograd.grad(x.digamma().sum(), x, create_graph=True)
    second_value, = torchless.autograd.grad(first.sum(), x, create_graph=True)
    third, = torchless.autograd.grad(second_value.sum(), x)
    numeric, = numerical_gradients(lambda arrays: float(second(arrays).detach().sum()), [values], eps=1e-5)
    np.testing.assert_allclose(third.numpy(), numeric, rtol=1e-6)
    # and the second derivative itself, trigamma's derivative, against differences of trigamma = polygamma(1, x)
    trigamma = lambda arrays: float(torchless.polygamma(1, torchless.tensor(arrays[0])).sum())  # noqa: E731
    np.testing.assert_allclose(second_value.detach().numpy(), numerical_gradients(trigamma, [values])[0], rtol=1e-6)


# ------------------------------------------------------------------ addr
@pytest.mark.parametrize("layouts", ["CCC", "TCC"])
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 2.0)])
def test_addr_is_laid_out_as_its_tensor_iterator(torch, layouts, beta, alpha):
    fn = lambda lib, m, a, b: lib.addr(m, a, b, beta=beta, alpha=alpha)  # noqa: E731
    arrays = [RNG.standard_normal((3, 4)), RNG.standard_normal(3), RNG.standard_normal(4)]
    ours, theirs = (_gradients(lib, fn, arrays, layouts) for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs)


def test_addr_of_broadcast_inputs_laid_out_as_torch(torch):
    for shape in [(4, 1), (1, 3)]:
        strides = [lib.addr(lib.ones(shape).expand(4, 3), lib.ones(4), lib.ones(3)).stride()
                   for lib in (torchless, torch)]
        assert strides[0] == strides[1]


def test_addr_value_is_the_formula():
    m, a, b = RNG.standard_normal((3, 4)), RNG.standard_normal(3), RNG.standard_normal(4)
    out = torchless.addr(torchless.tensor(m).mT.contiguous().mT, torchless.tensor(a), torchless.tensor(b), beta=0.5,
                         alpha=2.0)
    np.testing.assert_allclose(out.numpy(), 0.5 * m + 2.0 * np.outer(a, b), rtol=1e-14)


# ------------------------------------------------------------------ the *_scatter ops
SCATTERS = {
    "select": (lambda lib, x, s: lib.select_scatter(x, s, 1, -1), (3, 4), (3,)),
    "select3": (lambda lib, x, s: lib.select_scatter(x, s, 1, 2), (2, 3, 4), (2, 4)),
    "slice": (lambda lib, x, s: lib.slice_scatter(x, s, 1, 0, 5, 2), (4, 5), (4, 3)),
    "slice3": (lambda lib, x, s: lib.slice_scatter(x, s, 1, 1, None), (2, 4, 5), (2, 3, 5)),
    "diagonal": (lambda lib, x, s: lib.diagonal_scatter(x, s), (4, 4), (4,)),
    "diagonal_offset": (lambda lib, x, s: lib.diagonal_scatter(x, s, 1), (4, 5), (4,)),
    "diagonal3": (lambda lib, x, s: lib.diagonal_scatter(x, s, 0, 1, 2), (2, 3, 3), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(SCATTERS))
@pytest.mark.parametrize("layout", ["C", "T"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_scatter_layouts_and_src_gradient_views_as_torch(torch, name, layout, create_graph):
    # the output keeps self's layout (a clone); src's gradient is the view of grad PyTorch's formula takes
    fn, self_shape, src_shape = SCATTERS[name]
    arrays = [RNG.standard_normal(self_shape), RNG.standard_normal(src_shape)]
    layouts = [layout, layout if len(src_shape) > 1 else "C"]
    ours, theirs = (_gradients(lib, fn, arrays, layouts, create_graph=create_graph) for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs, rtol=0, atol=0)


@pytest.mark.parametrize("size,stride,offset", [((2, 2), (1, 2), 0), ((2, 3), (4, 1), 1)])
def test_as_strided_scatter_src_gradient_is_a_strided_view_as_torch(torch, size, stride, offset):
    strides = []
    for lib in (torchless, torch):
        x = lib.zeros(3, 4, requires_grad=True)
        src = lib.zeros(size, requires_grad=True)
        grad = lib.arange(12.0).reshape(3, 4)
        g_src, = lib.autograd.grad(lib.as_strided_scatter(x, src, size, stride, offset), src, grad)
        strides.append((g_src.stride(), g_src.numpy().tolist()))
    assert strides[0] == strides[1]


def test_scatter_gradients_match_finite_differences():
    # the scatters are linear: each gradient is the output gradient where its input's values land
    fn, self_shape, src_shape = SCATTERS["diagonal_offset"]
    x, src = RNG.standard_normal(self_shape), RNG.standard_normal(src_shape)
    weights = RNG.standard_normal(self_shape)

    def loss(arrays):
        return float((fn(torchless, torchless.tensor(arrays[0]), torchless.tensor(arrays[1])) *
                      torchless.tensor(weights)).sum())

    xs = [torchless.tensor(a, requires_grad=True) for a in (x, src)]
    analytic = torchless.autograd.grad(fn(torchless, *xs), xs, torchless.tensor(weights))
    for got, expected in zip(analytic, numerical_gradients(loss, [x, src])):
        np.testing.assert_allclose(got.numpy(), expected, atol=1e-8)


# ------------------------------------------------------------------ qr, matrix_exp
@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 4, 3), (3, 4)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_factors_are_column_major_as_torch(torch, shape, mode):
    a = RNG.standard_normal(shape)
    ours, theirs = (lib.linalg.qr(lib.tensor(a), mode=mode) for lib in (torchless, torch))
    kept = slice(1, 2) if mode == "r" else slice(0, 2)  # (mode 'r''s empty Q aside)
    assert [t.stride() for t in ours[kept]] == [t.stride() for t in theirs[kept]]


def test_qr_gradient_matches_finite_differences():
    a = RNG.standard_normal((4, 3))
    u, v = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 3))

    def loss(arrays):
        q, r = torchless.linalg.qr(torchless.tensor(arrays[0]))
        return float((q * torchless.tensor(u)).sum() + (r * torchless.tensor(v)).sum())

    x = torchless.tensor(a, requires_grad=True)
    q, r = torchless.linalg.qr(x)
    ((q * torchless.tensor(u)).sum() + (r * torchless.tensor(v)).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), numerical_gradients(loss, [a])[0], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3), (1, 1)])
@pytest.mark.parametrize("layout", ["C", "T"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_matrix_exp_layouts_and_graph_as_torch(torch, shape, layout, create_graph):
    # C order whatever A's layout; the gradient a block view of the 2n x 2n exponential (built by CopySlices)
    fn = lambda lib, a: lib.linalg.matrix_exp(a)  # noqa: E731
    arrays = [RNG.standard_normal(shape) * 0.5]
    ours, theirs = (_gradients(lib, fn, arrays, [layout], create_graph=create_graph) for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs, rtol=1e-10, atol=1e-12)


def test_matrix_exp_leaf_gradient_of_a_1x1_matrix_is_strided_as_torch(torch):
    strides = []
    for lib in (torchless, torch):
        a = lib.tensor([[0.3]], dtype=lib.float64, requires_grad=True)
        lib.linalg.matrix_exp(a).sum().backward()
        strides.append(a.grad.stride())
    assert strides[0] == strides[1] == (2, 1)


def test_matrix_exp_gradient_matches_finite_differences():
    a, w = RNG.standard_normal((3, 3)) * 0.5, RNG.standard_normal((3, 3))
    loss = lambda arrays: float((torchless.linalg.matrix_exp(torchless.tensor(arrays[0])) *  # noqa: E731
                                 torchless.tensor(w)).sum())
    x = torchless.tensor(a, requires_grad=True)
    g, = torchless.autograd.grad(torchless.linalg.matrix_exp(x), x, torchless.tensor(w), create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), numerical_gradients(loss, [a])[0], rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------ solve, lu, cholesky
def _spd(n, batch=()):
    a = RNG.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


LINALG = {
    "solve": (lambda lib, a, b: lib.linalg.solve(a, b), lambda: [_spd(3), RNG.standard_normal((3, 2))]),
    "solve_right": (lambda lib, a, b: lib.linalg.solve(a, b, left=False),
                    lambda: [_spd(3), RNG.standard_normal((2, 3))]),
    "solve_batch": (lambda lib, a, b: lib.linalg.solve(a, b), lambda: [_spd(3, (2,)), RNG.standard_normal((2, 3, 2))]),
    "solve_vector": (lambda lib, a, b: lib.linalg.solve(a, b), lambda: [_spd(3), RNG.standard_normal(3)]),
    "lu_L": (lambda lib, a: lib.linalg.lu(a)[1], lambda: [RNG.standard_normal((3, 3))]),
    "lu_U": (lambda lib, a: lib.linalg.lu(a)[2], lambda: [RNG.standard_normal((3, 3))]),
    "lu_factor": (lambda lib, a: lib.linalg.lu_factor(a)[0], lambda: [RNG.standard_normal((3, 3))]),
    "cholesky": (lambda lib, a: lib.linalg.cholesky(a), lambda: [_spd(3)]),
    "cholesky_upper": (lambda lib, a: lib.linalg.cholesky(a, upper=True), lambda: [_spd(3)]),
    "cholesky_ex": (lambda lib, a: lib.linalg.cholesky_ex(a)[0], lambda: [_spd(3, (2,))]),
}


@pytest.mark.parametrize("name", sorted(LINALG))
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linalg_gradients_laid_out_and_recorded_as_torch(torch, name, create_graph, dtype):
    fn, make = LINALG[name]
    arrays = make()
    ours, theirs = (_gradients(lib, fn, arrays, ["C"] * len(arrays), dtype, create_graph) for lib in (torchless, torch))
    tolerance = 1e-4 if dtype == "float32" else 1e-10
    _assert_same_gradients(ours, theirs, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("upper", [False, True])
def test_deprecated_cholesky_gradient_recorded_as_torch(torch, upper):
    import warnings

    chains = []
    for lib in (torchless, torch):
        a = lib.tensor(_spd(3), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            factor = lib.cholesky(a, upper=upper)
        g, = lib.autograd.grad(factor, a, lib.ones(3, 3, dtype=lib.float64), create_graph=True)
        chains.append((grad_fn_chain(factor, 2), g.stride(), grad_fn_chain(g.sum(), 3)))
    assert chains[0] == chains[1]


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_gradient_matches_finite_differences(upper):
    # A symmetric: the gradient of a function of A's one triangle, read by the factorisation, symmetrised
    a, w = _spd(3), RNG.standard_normal((3, 3))

    def loss(arrays):
        symmetric = (arrays[0] + arrays[0].T) / 2
        return float((torchless.linalg.cholesky(torchless.tensor(symmetric), upper=upper) * torchless.tensor(w)).sum())

    x = torchless.tensor(a, requires_grad=True)
    for create_graph in (False, True):
        g, = torchless.autograd.grad(torchless.linalg.cholesky(x, upper=upper), x, torchless.tensor(w),
                                     create_graph=create_graph)
        g = g.detach().numpy()
        np.testing.assert_allclose((g + g.T) / 2, numerical_gradients(loss, [a])[0], rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------ group_norm at large means
def _group_norm_input_gradient(lib, x, dy, w, groups):
    xt = lib.tensor(x, requires_grad=True)
    wt = None if w is None else lib.tensor(w, requires_grad=True)
    out = lib.nn.functional.group_norm(xt, groups, wt)
    grads = lib.autograd.grad(out, [xt] + ([] if w is None else [wt]), lib.tensor(dy))
    return [g.numpy() for g in grads]


# (sample count, channels, spatial shape, groups): channels per group below a vector, and whole vectors of 8
@pytest.mark.parametrize("shape,groups", [((2, 4, 3, 3), 2), ((2, 6, 7, 3), 3), ((3, 16, 5, 7), 2), ((2, 9, 4, 5), 3),
                                          ((4, 24, 4, 5), 3)])
@pytest.mark.parametrize("weight", [True, False])
def test_group_norm_large_mean_float32_gradient_is_torchs_bit_for_bit(torch, shape, groups, weight):
    # PyTorch's kernel forms dx = c1 dy + c2 x + c3 from x itself, which cancels where the mean is large against
    # the spread: its rounding is the gradient's value there
    rng = np.random.default_rng(sum(shape) + groups)
    x = (rng.standard_normal(shape) * 0.01 + 100).astype(np.float32)
    dy = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(shape[1]).astype(np.float32) if weight else None
    ours, theirs = (_group_norm_input_gradient(lib, x, dy, w, groups) for lib in (torchless, torch))
    for mine, expected in zip(ours, theirs):
        np.testing.assert_array_equal(mine, expected)


def test_group_norm_large_mean_float32_gradient_near_torchs_elsewhere(torch):
    # six channels per group: a remainder of PyTorch's lane sums rounded otherwise; within its cancellation's noise
    rng = np.random.default_rng(0)
    shape = (4, 18, 5, 5)
    x = (rng.standard_normal(shape) * 0.01 + 100).astype(np.float32)
    dy, w = rng.standard_normal(shape).astype(np.float32), rng.standard_normal(18).astype(np.float32)
    ours, theirs = (_group_norm_input_gradient(lib, x, dy, w, 3)[0] for lib in (torchless, torch))
    assert np.abs(ours - theirs).max() <= 2e-4 * np.abs(theirs).max()


def test_group_norm_float64_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    x, dy, w = rng.standard_normal((2, 4, 3)) + 50, rng.standard_normal((2, 4, 3)), rng.standard_normal(4)

    def loss(arrays):
        out = torchless.nn.functional.group_norm(torchless.tensor(arrays[0]), 2, torchless.tensor(arrays[1]))
        return float((out * torchless.tensor(dy)).sum())

    gx, gw = _group_norm_input_gradient(torchless, x, dy, w, 2)
    numeric = numerical_gradients(loss, [x, w])
    np.testing.assert_allclose(gx, numeric[0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gw, numeric[1], rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------ cholesky_solve, cholesky_inverse: PyTorch's nodes
def _factor(upper):
    lower = np.linalg.cholesky(_spd(3))
    return lower.T.copy() if upper else lower


FACTORED = {
    "cholesky_solve": lambda lib, b, factor, upper: lib.cholesky_solve(b, factor, upper),
    "cholesky_inverse": lambda lib, b, factor, upper: lib.cholesky_inverse(factor, upper) * b.sum(),
}


@pytest.mark.parametrize("name", sorted(FACTORED))
@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("create_graph", [False, True])
def test_cholesky_solve_and_inverse_recorded_as_torch(torch, name, upper, create_graph):
    # one node each, reading the factor itself (not its Gram matrix's solve), with PyTorch's backward formulas
    fn = lambda lib, b, factor: FACTORED[name](lib, b, factor, upper)  # noqa: E731
    arrays = [RNG.standard_normal((3, 2)), _factor(upper)]
    ours, theirs = (_gradients(lib, fn, arrays, "CC", create_graph=create_graph) for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("upper", [False, True])
def test_complex_cholesky_solve_gradients_are_torchs(torch, upper):
    rng = np.random.default_rng(5)
    lower = np.tril(rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))) + 3 * np.eye(3)
    factor = lower.conj().T.copy() if upper else lower
    b, g = (rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2)) for _ in range(2))
    results = []
    for lib in (torchless, torch):
        inputs = [lib.tensor(b, requires_grad=True), lib.tensor(factor, requires_grad=True)]
        grads = lib.autograd.grad(lib.cholesky_solve(*inputs, upper=upper), inputs, lib.tensor(g))
        results.append([grad.numpy() for grad in grads])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_cholesky_solve_gradients_match_finite_differences():
    b, factor, w = RNG.standard_normal((3, 2)), _factor(False), RNG.standard_normal((3, 2))
    loss = lambda arrays: float((torchless.cholesky_solve(*(torchless.tensor(a) for a in arrays)) *  # noqa: E731
                                 torchless.tensor(w)).sum())
    inputs = [torchless.tensor(a, requires_grad=True) for a in (b, factor)]
    analytic = torchless.autograd.grad(torchless.cholesky_solve(*inputs), inputs, torchless.tensor(w))
    for got, expected in zip(analytic, numerical_gradients(loss, [b, factor])):
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-8)
