"""Second derivatives (create_graph=True, then a gradient of the gradient) of ops that raised NotImplementedError,
compared with PyTorch 2.13 and, in float64, with central differences of the ordinary first gradient.

Each case differentiates sum(u * f(x)) with create_graph=True, then sum_i sum(w_i * g_i) with respect to the inputs
and to u (the gradient is linear in u), u and w_i drawn from a seeded generator. Ops whose PyTorch backward has no
derivative must give their gradient under create_graph=True and raise PyTorch's error when it is differentiated.
"""
import numpy as np
import pytest

import torchless
from helpers import numerical_second_gradients

torch = pytest.importorskip("torch")


def F(lib):
    return lib.nn.functional


def _second(lib, fn, arrays, dtype="float64", seed=0):
    """(first gradients, second gradients with respect to each input and then u), None for an unused one."""
    rng = np.random.default_rng(seed)
    dt = getattr(lib, dtype)
    xs = [lib.tensor(a, dtype=dt, requires_grad=True) for a in arrays]
    out = fn(lib, *xs)
    u = lib.tensor(rng.standard_normal(tuple(out.shape)), dtype=out.dtype, requires_grad=True)
    firsts = lib.autograd.grad(out, xs, u, create_graph=True, allow_unused=True)
    w = [lib.tensor(rng.standard_normal(a.shape), dtype=dt) for a in arrays]
    total = sum((g * v).sum() for g, v in zip(firsts, w) if g is not None and g.requires_grad)
    seconds = lib.autograd.grad(total, xs + [u], allow_unused=True)
    return ([None if g is None else g.detach().numpy() for g in firsts],
            [None if s is None else s.detach().numpy() for s in seconds])


def _close(mine, theirs, rtol, atol):
    if mine is None or theirs is None:  # an unused input: PyTorch's None and a zero gradient agree
        other = theirs if mine is None else mine
        assert other is None or not np.any(other)
        return
    assert mine.shape == theirs.shape
    np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=atol, equal_nan=True)


def assert_second_matches_torch(fn, arrays, dtype="float64"):
    rtol, atol = (1e-7, 1e-9) if dtype == "float64" else (1e-4, 1e-5)
    mine, theirs = _second(torchless, fn, arrays, dtype), _second(torch, fn, arrays, dtype)
    for a, b in zip(mine[0] + mine[1], theirs[0] + theirs[1]):
        _close(a, b, rtol, atol)


def assert_second_matches_differences(fn, arrays, seed=0):
    """The second gradients with respect to the inputs against central differences of the array first gradient."""
    numerical = numerical_second_gradients(fn, arrays, seed)
    _, seconds = _second(torchless, fn, arrays, seed=seed)
    for mine, expected in zip(seconds, numerical):
        np.testing.assert_allclose(np.zeros_like(expected) if mine is None else mine, expected, rtol=1e-5, atol=1e-6)


def assert_second_raises_like_torch(fn, arrays):
    """PyTorch builds the gradient with create_graph=True and fails only when it is differentiated."""
    outcomes = []
    for lib in (torch, torchless):
        with pytest.raises(Exception) as info:
            _second(lib, fn, arrays)
        outcomes.append((type(info.value).__name__, str(info.value)))
    assert outcomes[1] == outcomes[0]


def _rng(seed=3):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------------------- binary elementwise
BINARY = ["atan2", "hypot", "logaddexp", "logaddexp2", "copysign", "fmax", "fmin", "xlogy"]
ZEROS_A = np.array([0., 0., 2., 0., -1., 3.])
ZEROS_B = np.array([0., 3., -1., -2., 0., 0.])


@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_binary_second_derivatives(op, dtype):
    rng = _rng()
    assert_second_matches_torch(lambda L, a, b: getattr(L, op)(a, b) ** 2 * a,
                                [rng.standard_normal((3, 4)), rng.standard_normal(4)], dtype)


@pytest.mark.parametrize("op", BINARY)
def test_binary_second_derivatives_at_zeros(op):
    # atan2 at the origin, xlogy at x = 0 and y <= 0, hypot at 0: PyTorch's zeros and NaNs
    assert_second_matches_torch(lambda L, a, b: getattr(L, op)(a, b) ** 2 * a, [ZEROS_A, ZEROS_B])


@pytest.mark.parametrize("op", ["atan2", "hypot", "logaddexp", "xlogy"])
def test_binary_second_derivatives_against_differences(op):
    rng = _rng()
    a, b = np.abs(rng.standard_normal((2, 3))) + 0.5, np.abs(rng.standard_normal(3)) + 0.5
    assert_second_matches_differences(lambda L, x, y: getattr(L, op)(x, y) ** 2, [a, b])


def test_xlogy_number_self_and_method():
    rng = _rng()
    assert_second_matches_torch(lambda L, b: L.xlogy(2.0, b) ** 2, [np.abs(rng.standard_normal(4)) + 0.1])
    assert_second_matches_torch(lambda L, a, b: a.atan2(b) * b, [rng.standard_normal((3, 4)), rng.standard_normal(4)])


def test_hessian_of_atan2_matches_torch():
    point = np.array([0.3, -1.2, 0.7])
    expected = torch.autograd.functional.hessian(lambda v: torch.atan2(v[0] * v[1], v[2]), torch.tensor(point))
    mine = torchless.autograd.functional.hessian(lambda v: torchless.atan2(v[0] * v[1], v[2]),
                                                 torchless.tensor(point))
    np.testing.assert_allclose(mine.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------- kron, cdist
@pytest.mark.parametrize("shapes", [((2, 3), (4, 1)), ((3,), (2,)), ((2, 1, 2), (1, 3, 2)), ((2, 2), (3,))])
def test_kron_second_derivatives(shapes):
    rng = _rng()
    arrays = [rng.standard_normal(s) for s in shapes]
    assert_second_matches_torch(lambda L, x, y: L.kron(x, y) ** 2 * L.kron(y, x).sum(), arrays)
    assert_second_matches_differences(lambda L, x, y: L.kron(x, y) ** 2, arrays)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cdist_matrix_product_path_is_twice_differentiable(dtype):
    rng = _rng()
    same = np.array([[1., 2.], [0., 0.], [1., 2.]])  # identical points: PyTorch's 0 subgradient
    for x1, x2 in ((rng.standard_normal((3, 4)), rng.standard_normal((2, 4))), (same, same[:2]),
                   (rng.standard_normal((2, 3, 4)), rng.standard_normal((1, 30, 4)))):
        assert_second_matches_torch(lambda L, a, b: L.cdist(a, b, compute_mode="use_mm_for_euclid_dist") ** 2 * 0.5
                                    + L.cdist(a, b, compute_mode="use_mm_for_euclid_dist"), [x1, x2], dtype)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, float("inf"), 0.0])
def test_cdist_direct_path_raises_torch_error_when_differentiated_twice(p):
    rng = _rng()
    arrays = [rng.standard_normal((3, 4)), rng.standard_normal((2, 4))]
    fn = lambda L, a, b: L.cdist(a, b, p=p, compute_mode="donot_use_mm_for_euclid_dist") ** 2  # noqa: E731
    assert_second_raises_like_torch(fn, arrays)
    # the gradient itself, under create_graph=True, is the ordinary one
    for lib in (torch, torchless):
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        firsts = lib.autograd.grad(fn(lib, *xs).sum(), xs, create_graph=True)
        assert all(g.requires_grad for g in firsts)
        if lib is torch:
            expected = [g.detach().numpy() for g in firsts]
        else:
            for g, e in zip(firsts, expected):
                np.testing.assert_allclose(g.detach().numpy(), e, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------- scans and quantiles
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_logcumsumexp_second_derivatives(dim, dtype):
    rng = _rng()
    assert_second_matches_torch(lambda L, a: L.logcumsumexp(a * a, dim) ** 2, [rng.standard_normal((3, 4))], dtype)


def test_logcumsumexp_second_derivatives_edges():
    assert_second_matches_torch(lambda L, a: a.logcumsumexp(0) ** 3, [np.array(0.7)])
    assert_second_matches_torch(lambda L, a: a.logcumsumexp(0) ** 3, [np.array([0.7, 0.7, -1e3, 2.])])
    assert_second_matches_differences(lambda L, a: a.logcumsumexp(1).sin(), [_rng().standard_normal((2, 3))])


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_second_derivatives(interpolation):
    rng = _rng()
    assert_second_matches_torch(lambda L, a: L.quantile(a * a, 0.3, dim=1, interpolation=interpolation) ** 2,
                                [rng.standard_normal((3, 4))])
    assert_second_matches_torch(
        lambda L, a: L.nanquantile(a.log(), L.tensor([0.2, 0.9], dtype=a.dtype), dim=-1, keepdim=True,
                                   interpolation=interpolation) ** 2, [rng.standard_normal((2, 3, 4))])


# ---------------------------------------------------------------------------- linalg
def _invertible(n, batch=()):
    return _rng().standard_normal(batch + (n, n)) + 3 * np.eye(n)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_det_inv_slogdet_solve_second_derivatives(dtype):
    m, mb, v = _invertible(3), _invertible(4, (2,)), _rng().standard_normal((3, 2))
    for fn, arrays in [(lambda L, a: L.linalg.det(a) ** 2, [m]), (lambda L, a: L.det(a) * a, [m]),
                       (lambda L, a: a.det() * a.sum(), [mb]), (lambda L, a: L.linalg.det(a) ** 3, [np.array([[2.]])]),
                       (lambda L, a: L.linalg.inv(a) ** 2, [m]), (lambda L, a: L.inverse(a) * a, [m]),
                       (lambda L, a: a.inverse().sin(), [mb]), (lambda L, a: L.linalg.slogdet(a)[1] ** 2, [mb]),
                       (lambda L, a, b: L.linalg.solve(a, b) ** 2, [m, v]),
                       (lambda L, a, b: L.linalg.solve(a, b[:, 0]) ** 2, [mb, v[:, :1].repeat(4, 0)[:4]]),
                       (lambda L, a: L.linalg.matrix_power(a, -2) ** 2, [m])]:
        assert_second_matches_torch(fn, arrays, dtype)


def test_det_second_derivative_at_singular_matrices():
    rank2 = np.array([[1., 2., 3.], [2., 4., 6.], [0., 1., 5.]])
    rank1_2x2 = np.array([[1., 2.], [2., 4.]])
    # PyTorch's branch depends on whether its LU rounds the determinant of a singular matrix to exactly 0, as
    # NumPy's does (det(rank2) is 0 on an AMD EPYC, 3.3e-16 on an Intel Xeon, where PyTorch then takes the
    # invertible matrix's formula): compared where both take the singular branch.
    compared = 0
    for matrix in (rank2, rank1_2x2, np.stack([rank2, _invertible(3)])):
        if np.array_equal(torch.linalg.det(torch.tensor(matrix)).numpy() == 0, np.linalg.det(matrix) == 0):
            assert_second_matches_torch(lambda L, a: L.linalg.det(a) * a.sum() + L.linalg.det(a) ** 2, [matrix])
            compared += 1
    assert compared, "PyTorch took the singular branch for none of the matrices"
    # where PyTorch's SVD formula degenerates (NaN), the cofactors give the exact derivative: central differences
    # of NumPy's cofactor matrix (a polynomial, exact at singular matrices too)
    def cofactors(a):
        n = len(a)
        return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(n)]
                         for i in range(n)])

    rng = _rng()
    for matrix in (np.zeros((2, 2)), np.outer([1., 2., 3.], [2., -1., 1.]), np.zeros((3, 3))):
        u, w = rng.standard_normal(), rng.standard_normal(matrix.shape)
        a = torchless.tensor(matrix, requires_grad=True)
        (g,) = torchless.autograd.grad(torchless.linalg.det(a), a, torchless.tensor(u), create_graph=True)
        (second,) = torchless.autograd.grad((g * torchless.tensor(w)).sum(), a)
        np.testing.assert_allclose(g.detach().numpy(), u * cofactors(matrix), atol=1e-12)
        expected = np.zeros(matrix.shape)
        for index in np.ndindex(matrix.shape):
            step = np.zeros(matrix.shape)
            step[index] = 1e-6
            expected[index] = u * ((w * cofactors(matrix + step)).sum() - (w * cofactors(matrix - step)).sum()) / 2e-6
        np.testing.assert_allclose(second.numpy(), expected, rtol=1e-6, atol=1e-8)


def test_det_gradient_at_an_exactly_singular_matrix_is_torchs_zero():
    matrix = np.array([[1., 2.], [2., 4.]])
    grads = []
    for lib in (torch, torchless):
        a = lib.tensor(matrix, requires_grad=True)
        (g,) = lib.autograd.grad(lib.linalg.det(a), a)  # was LinAlgError
        grads.append(g.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cross_second_derivatives(dtype):
    rng = _rng()
    v, v2, v3 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.standard_normal((3, 2, 3))
    assert_second_matches_torch(lambda L, a, b: L.linalg.cross(a, b) ** 2, [v, v2], dtype)
    assert_second_matches_torch(lambda L, a, b: L.cross(a, b, dim=0) ** 2, [v3, v3 * 2 + 1], dtype)
    assert_second_matches_torch(lambda L, a, b: a.cross(b, dim=-1) * a, [v, v2], dtype)
    assert_second_matches_torch(lambda L, a, b: L.linalg.cross(a, b) ** 2, [v3, v2[:1, None]], dtype)


def test_linalg_cross_refuses_inputs_of_different_ndim():
    for make in (lambda L: L.linalg.cross(L.ones(3, 2, 3), L.ones(1, 3)), lambda L: L.linalg.cross(L.ones(3),
                                                                                                   L.ones(2, 3)),
                 lambda L: L.cross(L.ones(2, 3), L.ones(3), dim=1)):
        with pytest.raises(RuntimeError) as expected:
            make(torch)
        with pytest.raises(RuntimeError) as mine:
            make(torchless)
        assert str(mine.value) == str(expected.value) == "linalg.cross: inputs must have the same number of dimensions."


# ---------------------------------------------------------------------------- grid_sample, affine_grid
def _grid_case(spatial, mode, padding, align_corners, dtype="float64"):
    rng = _rng()
    x = rng.standard_normal((2, 2, 3, 4, 5)[:spatial + 2])
    grid = rng.uniform(-1.3, 1.3, (2, 3, 2, 4)[:spatial + 1] + (spatial,))
    fn = lambda L, a, g: F(L).grid_sample(a, g, mode=mode, padding_mode=padding,  # noqa: E731
                                          align_corners=align_corners) ** 2
    assert_second_matches_torch(fn, [x, grid], dtype)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "nearest"])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
def test_grid_sample_2d_second_derivatives(mode, padding):
    _grid_case(2, mode, padding, False)
    _grid_case(2, mode, padding, True, "float32")


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
def test_grid_sample_3d_second_derivatives(mode, padding):
    _grid_case(3, mode, padding, True)
    _grid_case(3, mode, padding, False, "float32")


def test_grid_sample_second_derivatives_against_differences():
    rng = _rng()
    x, grid = rng.standard_normal((1, 2, 3, 4)), rng.uniform(-0.9, 0.9, (1, 2, 3, 2))
    assert_second_matches_differences(lambda L, a, g: F(L).grid_sample(a, g, align_corners=False) ** 2, [x, grid])
    assert_second_matches_differences(
        lambda L, a, g: F(L).grid_sample(a, g, mode="bicubic", align_corners=True) ** 2, [x, grid])


def test_grid_sample_with_one_input_requiring_grad():
    rng = _rng()
    x, grid = rng.standard_normal((2, 2, 3, 4)), rng.uniform(-1, 1, (2, 3, 2, 2))
    for mode in ("bilinear", "nearest"):
        assert_second_matches_torch(lambda L, a: F(L).grid_sample(a, L.tensor(grid), mode=mode,
                                                                  align_corners=False) ** 2, [x])
        assert_second_matches_torch(lambda L, g: F(L).grid_sample(L.tensor(x), g, mode=mode,
                                                                  align_corners=False) ** 2, [grid])


@pytest.mark.parametrize("align_corners", [False, True])
def test_spatial_transformer_second_derivatives(align_corners):
    rng = _rng()
    x, theta = rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((2, 2, 3)) * 0.5
    x3, theta3 = rng.standard_normal((2, 1, 3, 4, 5)), rng.standard_normal((2, 3, 4)) * 0.5
    assert_second_matches_torch(lambda L, a, t: F(L).grid_sample(
        a, F(L).affine_grid(t, (2, 2, 3, 6), align_corners=align_corners), align_corners=align_corners) ** 2,
        [x, theta])
    assert_second_matches_torch(lambda L, a, t: F(L).grid_sample(
        a, F(L).affine_grid(t, (2, 1, 2, 3, 2), align_corners=align_corners), align_corners=align_corners) ** 2,
        [x3, theta3])


# ---------------------------------------------------------------------------- pooling, normalisation
@pytest.mark.parametrize("spatial", [1, 2, 3])
def test_max_unpool_second_derivatives(spatial):
    shape = {1: (2, 3, 8), 2: (2, 2, 4, 6), 3: (1, 2, 4, 2, 4)}[spatial]

    def fn(L, x):
        pooled, indices = getattr(F(L), f"max_pool{spatial}d")(x, 2, return_indices=True)
        return getattr(F(L), f"max_unpool{spatial}d")(pooled * pooled, indices, 2) ** 3

    assert_second_matches_torch(fn, [_rng().standard_normal(shape)])
    assert_second_matches_torch(
        lambda L, x: getattr(L.nn, f"MaxUnpool{spatial}d")(2)(*getattr(F(L), f"max_pool{spatial}d")(
            x, 2, return_indices=True)).tanh(), [_rng().standard_normal(shape)], "float32")


@pytest.mark.parametrize("size", [2, 3, 8])
@pytest.mark.parametrize("shape", [(2, 6, 3), (2, 3, 2, 1, 2)])
def test_local_response_norm_second_derivatives(size, shape):
    assert_second_matches_torch(
        lambda L, x: F(L).local_response_norm(x, size, alpha=0.3, beta=0.75, k=1.5) ** 2,
        [_rng().standard_normal(shape)])


def test_local_response_norm_module_and_cross_map_lrn2d():
    x = _rng().standard_normal((2, 4, 3, 3))
    assert_second_matches_torch(lambda L, a: L.nn.LocalResponseNorm(2, 1e-2, 0.5, 2.0)(a).sin(), [x], "float32")
    assert_second_matches_differences(lambda L, a: F(L).local_response_norm(a, 3, alpha=0.5) ** 2, [x[:1, :, :2]])
    # PyTorch's CrossMapLRN2d backward writes out=: recording it for create_graph=True is its RuntimeError
    assert_second_raises_like_torch(lambda L, a: L.nn.CrossMapLRN2d(3, 1e-2, 0.5, 2.0)(a) ** 2, [x])


@pytest.mark.parametrize("output_size", [1, 2, 3, (2, 1), (None, 2)])
def test_adaptive_avg_pool2d_second_derivatives(output_size):
    rng = _rng()
    assert_second_matches_torch(lambda L, x: F(L).adaptive_avg_pool2d(x, output_size) ** 2
                                * F(L).adaptive_avg_pool2d(x, output_size).sum(), [rng.standard_normal((2, 3, 5, 4))])
    assert_second_matches_torch(lambda L, x: F(L).adaptive_avg_pool2d(x * x, output_size) ** 2,
                                [rng.standard_normal((3, 5, 4))], "float32")


def test_adaptive_avg_pool_1d_3d_and_node_names():
    rng = _rng()
    for output_size in (1, 2, 3):
        assert_second_matches_torch(lambda L, x: F(L).adaptive_avg_pool1d(x, output_size) ** 2,
                                    [rng.standard_normal((2, 3, 7))])
        assert_second_matches_torch(lambda L, x: F(L).adaptive_avg_pool3d(x, output_size) ** 2,
                                    [rng.standard_normal((1, 2, 3, 5, 4))])
    names = []
    for lib in (torch, torchless):
        found = []
        for shape, pool in (((1, 2, 4, 4), "adaptive_avg_pool2d"), ((1, 2, 4, 4, 4), "adaptive_avg_pool3d"),
                            ((1, 2, 4), "adaptive_avg_pool1d")):
            x = lib.ones(*shape, requires_grad=True)
            (g,) = lib.autograd.grad(getattr(F(lib), pool)(x, 3).pow(2).sum(), x, create_graph=True)
            found.append(g.grad_fn.name())
        names.append(found)
    assert names[1] == names[0]


def test_resnet_head_gradient_penalty():
    rng = _rng()
    assert_second_matches_torch(
        lambda L, x, w: F(L).linear(L.flatten(L.nn.AdaptiveAvgPool2d((1, 1))(F(L).relu(x)), 1), w).tanh(),
        [rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((5, 3))])


def test_channel_shuffle_fractional_max_pool_and_empty_convolution():
    rng = _rng()
    assert_second_matches_torch(lambda L, x: F(L).channel_shuffle(x, 3) ** 2 * x, [rng.standard_normal((2, 6, 2, 2))])
    assert_second_matches_torch(lambda L, x: L.nn.ChannelShuffle(2)(x).sin() * x, [rng.standard_normal((2, 4, 3))])
    for spatial, shape in ((2, (2, 2, 7, 6)), (3, (1, 2, 5, 6, 5))):
        samples = np.full(shape[:2] + (spatial,), 0.4)
        assert_second_matches_torch(lambda L, x: getattr(F(L), f"fractional_max_pool{spatial}d")(
            x, 2, output_size=3, _random_samples=L.tensor(samples, dtype=x.dtype)) ** 3, [rng.standard_normal(shape)])
    assert_second_matches_torch(lambda L, x, w: F(L).conv2d(x, w) ** 2,
                                [np.zeros((0, 2, 4, 4)), rng.standard_normal((3, 2, 2, 2))])


@pytest.mark.parametrize("p", [1, 2, 3, 1.5, 0.5, 4, float("inf"), -float("inf")])
def test_vector_norm_second_derivatives(p):
    a = _rng().standard_normal((3, 4))
    zero_row = np.array([[0., 0., 0.], [1., -2., 0.], [3., 3., -3.]])
    for dim, keepdim in ((None, False), (1, False), (0, True), ((0, 1), False)):
        assert_second_matches_torch(
            lambda L, x: L.linalg.vector_norm(x, p, dim=dim, keepdim=keepdim) ** 2 * x.sum(), [a])
        # a zero norm: PyTorch's masked formulas, NaN where they divide by 0
        assert_second_matches_torch(lambda L, x: L.linalg.vector_norm(x, p, dim=dim, keepdim=keepdim) ** 2,
                                    [zero_row])
    assert_second_matches_torch(lambda L, x: x.norm(p) * x, [a], "float32")


def test_normalize_with_p1_second_derivatives():
    assert_second_matches_torch(lambda L, x: F(L).normalize(x, p=1, dim=1) ** 2, [_rng().standard_normal((3, 4))])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_rms_norm_second_derivatives(dtype):
    rng = _rng()
    x = rng.standard_normal((2, 3, 4))
    assert_second_matches_torch(lambda L, a: F(L).rms_norm(a, (4,)) ** 3, [x], dtype)
    assert_second_matches_torch(lambda L, a: F(L).rms_norm(a, (3, 4), eps=0.1).tanh(), [x], dtype)
    assert_second_matches_torch(lambda L, a, w: F(L).rms_norm(a, (3, 4), weight=w) ** 3,
                                [x, rng.standard_normal((3, 4))], dtype)


def test_rms_norm_input_changed_in_place_before_backward_is_an_error():
    messages = []
    for lib in (torch, torchless):
        x = lib.randn(2, 4, requires_grad=True)
        y = x * 1
        z = F(lib).rms_norm(y, (4,))
        y.add_(1)
        with pytest.raises(RuntimeError) as info:
            z.sum().backward()
        messages.append(str(info.value).replace("torchless", "torch"))
    assert messages[1] == messages[0]


# ---------------------------------------------------------------------------- PyTorch's backward without derivative
@pytest.mark.parametrize("case", ["pdist", "embedding_bag", "embedding_bag_max", "multi_margin", "multilabel_margin",
                                  "ctc"])
def test_gradients_without_derivative_raise_torch_error(case):
    fn = {
        "pdist": lambda L, x: F(L).pdist(x) ** 3,
        "embedding_bag": lambda L, x: F(L).embedding_bag(L.tensor([0, 2, 1, 3]), x, L.tensor([0, 2])) ** 2,
        "embedding_bag_max": lambda L, x: F(L).embedding_bag(L.tensor([0, 2, 1, 3]), x, L.tensor([0, 2]),
                                                             mode="max") ** 2,
        "multi_margin": lambda L, x: F(L).multi_margin_loss(x, L.tensor([1, 0, 3, 2])) ** 2,
        "multilabel_margin": lambda L, x: F(L).multilabel_margin_loss(x, L.tensor([[1, 0, -1, 0, 0]] * 4)) ** 2,
        "ctc": lambda L, x: F(L).ctc_loss(x[:, None, :].log_softmax(2), L.tensor([[1, 2]]), L.tensor([4]),
                                          L.tensor([2])) ** 2,
    }[case]
    assert_second_raises_like_torch(fn, [_rng().standard_normal((4, 5))])


# ---------------------------------------------------------------------------- further ops given backward_graph
def _copy_into_new(L, x):
    out = L.empty(2, 3, 4, dtype=x.dtype)
    out.copy_(x[:1].exp())  # broadcast
    return out ** 2


def _copy_into_graph(L, x):
    y = x * 1
    y.copy_(x.flip(0) ** 2)
    return y * x


def _copy_cast(L, x):
    out = L.zeros(3, 4, dtype=L.float32)
    out.copy_(x[0] * 2)
    return (out.double() * x[1]) ** 2


def _fill_and_zero(L, x):
    y = x * 1
    y[0].fill_(2.)
    y[1].zero_()
    return y ** 2 * x


FURTHER = {
    "copy_": (_copy_into_new, [(2, 3, 4)]),
    "copy_graph": (_copy_into_graph, [(2, 3, 4)]),
    "copy_cast": (_copy_cast, [(2, 3, 4)]),
    "fill_zero": (_fill_and_zero, [(2, 3, 4)]),
    "diag_embed": (lambda L, x: L.diag_embed(x, 1, 0, 2) ** 2 * x.sum(), [(2, 3)]),
    "diag": (lambda L, x: L.diag(x, -1) ** 2 * x.sum(), [(3,)]),
    "diagflat": (lambda L, x: L.diagflat(x) ** 2 * x.sum(), [(2, 2)]),
    "masked_scatter": (lambda L, x: x.masked_scatter(x > 0, x.flip(0) * 2) ** 2, [(2, 3)]),
    "exp2": (lambda L, x: x.exp2() ** 2, [(3,)]),
    "lgamma": (lambda L, x: (x * x + 0.5).lgamma() ** 2, [(3,)]),
    "angle": (lambda L, x: x.angle() * x, [(4,)]),
    "bilinear": (lambda L, a, b, w: F(L).bilinear(a, b, w, w[:, 0, 0]) ** 2, [(2, 2, 3), (2, 2, 4), (5, 3, 4)]),
    "slice_scatter": (lambda L, a, s: L.slice_scatter(a, s * s, 1, 0, 4, 2) ** 2 * a, [(3, 4), (3, 2)]),
    "select_scatter": (lambda L, a, s: L.select_scatter(a, s.sin(), 0, 1) ** 2, [(3, 4), (4,)]),
    "diagonal_scatter": (lambda L, a, s: L.diagonal_scatter(a, s.sin(), 1) ** 2 * a, [(3, 4), (3,)]),
}


@pytest.mark.parametrize("name", sorted(FURTHER))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_further_second_derivatives(name, dtype):
    fn, shapes = FURTHER[name]
    rng = _rng()
    assert_second_matches_torch(fn, [rng.standard_normal(s) for s in shapes], dtype)


def test_nan_to_num_second_derivative_keeps_torchs_nan():
    assert_second_matches_torch(lambda L, x: x.log().nan_to_num(posinf=2., neginf=-3.) ** 2 * x,
                                [np.array([0., 1., -1., 2.])])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_soft_margin_loss_second_derivatives(reduction):
    x = _rng().standard_normal((2, 3))
    for target in ([[1., -1., 1.], [-1., -1., 1.]], [1., -1., 1.]):
        assert_second_matches_torch(lambda L, a: F(L).soft_margin_loss(a, L.tensor(target, dtype=a.dtype),
                                                                       reduction=reduction) ** 2, [x])


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_recurrent_layers_second_derivatives(kind):
    def fn(L, x, scale):
        layer = getattr(L.nn, kind)(3, 2, batch_first=True).to(x.dtype)
        with L.no_grad():
            for p in layer.parameters():
                p.copy_(L.linspace(-0.5, 0.5, p.numel(), dtype=x.dtype).reshape(p.shape))
        return layer(x * scale.sum())[0] ** 2

    rng = _rng()
    assert_second_matches_torch(fn, [rng.standard_normal((2, 4, 3)), rng.standard_normal(2)])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_matrix_exp_cholesky_eigh_second_derivatives(dtype):
    rng = _rng()
    m, mb = rng.standard_normal((3, 3)), rng.standard_normal((2, 4, 4))
    for fn, arrays in [(lambda L, a: L.linalg.matrix_exp(a * 0.5) ** 2, [m]),
                       (lambda L, a: L.matrix_exp(a * 0.3).sin(), [mb]),
                       (lambda L, a: L.linalg.cholesky(a @ a.mT + L.eye(3, dtype=a.dtype)) ** 2, [m]),
                       (lambda L, a: L.linalg.cholesky(a @ a.mT + L.eye(4, dtype=a.dtype), upper=True).sin(), [mb]),
                       (lambda L, a: L.linalg.eigh(a + a.mT)[0] ** 2, [m]),
                       (lambda L, a: L.linalg.eigh(a + a.mT)[1] ** 2 * L.arange(3, dtype=a.dtype), [m]),
                       (lambda L, a: L.linalg.eigvalsh(a @ a.mT) ** 2, [mb])]:
        assert_second_matches_torch(fn, arrays, dtype)


# ---------------------------------------------------------------------------- Hessians
HESSIANS = {
    "logcumsumexp": lambda L, v: (L.logcumsumexp(v, 0) * v).sum(),
    "kron": lambda L, v: L.kron(v[:2], v[2:]).pow(2).sum(),
    "det": lambda L, v: L.linalg.det(v[:4].reshape(2, 2)) * v[4:].sum(),
    "inv": lambda L, v: L.linalg.inv(v[:4].reshape(2, 2) + 2 * L.eye(2, dtype=v.dtype)).sum() * v[5],
    "cross": lambda L, v: L.linalg.cross(v[:3], v[3:]).pow(2).sum(),
    "quantile": lambda L, v: L.quantile(v * v, 0.4) ** 2,
    "hypot": lambda L, v: L.hypot(v[:3], v[3:]).sum(),
    "lrn": lambda L, v: F(L).local_response_norm(v.reshape(1, 6, 1), 3, alpha=0.5).pow(2).sum(),
    "vector_norm_3": lambda L, v: L.linalg.vector_norm(v, 3),
    "grid_sample": lambda L, v: F(L).grid_sample(
        L.arange(12, dtype=v.dtype).reshape(1, 1, 3, 4).sin(), v.reshape(1, 1, 3, 2) * 0.4, mode="bicubic",
        align_corners=False).pow(2).sum(),
}


@pytest.mark.parametrize("name", sorted(HESSIANS))
def test_hessian_matches_torch(name):
    point = np.array([0.3, -1.2, 0.7, 0.5, -0.4, 1.1])
    fn = HESSIANS[name]
    expected = torch.autograd.functional.hessian(lambda v: fn(torch, v), torch.tensor(point))
    mine = torchless.autograd.functional.hessian(lambda v: fn(torchless, v), torchless.tensor(point))
    np.testing.assert_allclose(mine.numpy(), expected.numpy(), rtol=1e-9, atol=1e-11)


# ---------------------------------------------------------------------------- PyTorch's NaN and inf at zeros
POW_BASE = np.array([[0., 1., -1., 2.], [0.5, 0., 3., 0.]])
POW_EXPONENT = np.array([[0., 2., 3., -1.], [0.5, -2., 0., 1.5]])


@pytest.mark.filterwarnings("ignore:invalid value encountered in reduce:RuntimeWarning")  # the test's inf - inf sums
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_pow_second_derivatives_at_a_zero_base(dtype):
    for fn, arrays in [(lambda L, a, b: a ** b, [POW_BASE, POW_EXPONENT]),
                       (lambda L, a, b: a ** b, [POW_BASE, POW_EXPONENT[0]]),
                       (lambda L, b: 0.0 ** b, [POW_EXPONENT]),
                       (lambda L, b: L.tensor(POW_BASE, dtype=b.dtype) ** b, [POW_EXPONENT]),
                       (lambda L, a: a ** L.tensor(POW_EXPONENT, dtype=a.dtype), [POW_BASE]),
                       (lambda L, a: a ** 3.0 + a ** 0.5 + a ** 0, [POW_BASE])]:
        assert_second_matches_torch(fn, arrays, dtype)


def test_pow_exponent_gradient_at_zero_base_and_negative_exponent():
    grads = []
    for lib in (torch, torchless):
        b = lib.tensor([-1., -2., 1.], requires_grad=True)
        (g,) = lib.autograd.grad((lib.tensor([0., 0., 0.]) ** b).sum(), b)
        grads.append(g.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])  # -inf, -inf, 0 (was NaN)


def test_x_to_the_zero_has_a_constant_gradient():
    for lib in (torch, torchless):
        x = lib.tensor([0., 1.5], requires_grad=True)
        (g,) = lib.autograd.grad((x ** 0).sum(), x, create_graph=True)
        assert not g.requires_grad and not g.detach().numpy().any()


@pytest.mark.parametrize("dim, keepdim", [(1, False), (1, True), (None, False), (0, False)])
def test_std_second_derivatives_at_a_zero_std(dim, keepdim):
    x = np.array([[0., 1., -1., 0.], [2., 2., 2., 2.], [0., 0., 0., 0.]])
    for dtype in ("float64", "float32"):
        assert_second_matches_torch(lambda L, a: a.std(dim, keepdim=keepdim) ** 2 * a.sum(), [x], dtype)
        assert_second_matches_torch(lambda L, a: L.std_mean(a, dim, correction=0)[0] ** 3, [x], dtype)


@pytest.mark.filterwarnings("ignore:invalid value encountered in multiply:RuntimeWarning")  # -inf * 0 at 0
def test_digamma_second_derivatives():
    rng = _rng()
    for dtype in ("float64", "float32"):
        assert_second_matches_torch(lambda L, x: (x * x + 0.5).digamma() ** 2, [rng.standard_normal(3)], dtype)
        assert_second_matches_torch(lambda L, x: x.digamma() * x, [np.array([-2.5, -0.3, 0.7, 12.0, 0.0])], dtype)
    # the third derivative goes through PyTorch's polygamma(2, x), whose node is PolygammaBackward0
    thirds = []
    for lib in (torchless, torch):
        x = lib.tensor([0.7, 2.0], dtype=lib.float64, requires_grad=True)
        (first,) = lib.autograd.grad(x.digamma().sum(), x, create_graph=True)
        (second,) = lib.autograd.grad(first.sum(), x, create_graph=True)
        (third,) = lib.autograd.grad(second.sum(), x)
        thirds.append((second.grad_fn.name(), second.detach().numpy(), third.numpy()))
    assert thirds[0][0] == thirds[1][0]
    np.testing.assert_allclose(thirds[0][1], thirds[1][1], rtol=1e-12)
    np.testing.assert_allclose(thirds[0][2], thirds[1][2], rtol=1e-12)


def test_tetragamma_against_torch_polygamma():
    from torchless._ops.special_functions import _tetragamma

    x = np.concatenate([np.linspace(-7.3, 30, 1001), [0., -1., 1e-3, 9.999, 10., 1e6, np.inf, -np.inf, np.nan]])
    np.testing.assert_allclose(_tetragamma(x), torch.polygamma(2, torch.tensor(x)).numpy(), rtol=1e-11, atol=0)


@pytest.mark.parametrize("padding", ["zeros", "border"])  # (PyTorch 2.13 crashes on an inf grid with reflection)
def test_grid_sample_recorded_gradient_at_non_finite_grid_points(padding):
    rng = _rng()
    x, grid = rng.standard_normal((1, 2, 3, 4)), rng.uniform(-1, 1, (1, 2, 3, 2))
    grid[0, 0, 0, 0], grid[0, 1, 1, 1], grid[0, 0, 2, 1] = np.inf, -np.inf, 5.
    firsts = []
    for lib in (torch, torchless):
        xs = [lib.tensor(a, requires_grad=True) for a in (x, grid)]
        out = F(lib).grid_sample(*xs, padding_mode=padding, align_corners=False)
        firsts.append([g.detach().numpy() for g in lib.autograd.grad((out ** 2).sum(), xs, create_graph=True)])
    for mine, expected in zip(firsts[1], firsts[0]):
        np.testing.assert_allclose(mine, expected, rtol=1e-10, atol=1e-12)


def _layouts(lib, array):
    t = lib.tensor(array)
    found = {"contiguous": t, "step": t[..., ::2]}
    if t.dim() >= 2:
        found.update({"t": t.transpose(0, 1), "mT": t.mT, "rows": t[::2], "cols": t[:, 1:],
                      "reversed": t.permute(*reversed(range(t.dim()))), "expanded": t[:1].expand(*t.shape)})
    if t.dim() >= 3:
        found["rolled"] = t.permute(1, 2, 0, *range(3, t.dim()))
    return found


@pytest.mark.parametrize("shapes", [((3, 2), (2, 4)), ((2, 3, 4), (3, 2, 2)), ((1, 3), (3, 1)),
                                    ((2, 3, 4, 1), (1, 2, 3)), ((4,), (3, 2)), ((2, 1, 3), (1, 4, 2))])
def test_kron_of_non_contiguous_inputs_fails_where_torch_does(shapes):
    # PyTorch views its elementwise product, laid out after the inputs' strides, as the result: some layouts of the
    # inputs (kron(a.t(), b) for instance) make that view impossible, a RuntimeError
    rng = _rng()
    a, b = (rng.standard_normal(s) for s in shapes)
    theirs, mine = (_layouts(torch, a), _layouts(torch, b)), (_layouts(torchless, a), _layouts(torchless, b))
    failures = 0
    for ka in theirs[0]:
        for kb in theirs[1]:
            try:
                expected = torch.kron(theirs[0][ka], theirs[1][kb]).numpy()
            except RuntimeError as error:
                failures += 1
                with pytest.raises(RuntimeError) as info:
                    torchless.kron(mine[0][ka], mine[1][kb])
                assert str(info.value) == str(error)
                continue
            np.testing.assert_array_equal(torchless.kron(mine[0][ka], mine[1][kb]).numpy(), expected)
    if shapes[0] == (3, 2):
        assert failures  # kron(a.t(), b) among them


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 5), (2, 3, 4)])
def test_singular_values_second_derivatives(shape):
    a = _rng().standard_normal(shape)
    for dtype in ("float64", "float32"):
        assert_second_matches_torch(lambda L, x: L.linalg.svdvals(x) ** 2 * L.linalg.svdvals(x).sum(), [a], dtype)
        assert_second_matches_torch(lambda L, x: L.linalg.svd(x, full_matrices=False)[1] ** 3, [a], dtype)
        assert_second_matches_torch(lambda L, x: L.linalg.matrix_norm(x, "nuc") ** 2, [a], dtype)
        assert_second_matches_torch(lambda L, x: L.linalg.matrix_norm(x, 2)[..., None, None] * x, [a], dtype)
