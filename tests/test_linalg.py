"""torchless.linalg: values against NumPy float64 references and PyTorch, gradients against finite differences
and PyTorch, and errors against PyTorch's."""
import math

import numpy as np
import pytest

import torchless
import torchless.linalg as LA

RNG = np.random.default_rng(0)


def well_conditioned(*shape):
    """Random matrices with the identity added to keep them far from singular."""
    n = shape[-1]
    return RNG.standard_normal(shape) * 0.3 + np.eye(n)


def spd(*shape):
    """Symmetric positive-definite matrices with distinct eigenvalues."""
    n = shape[-1]
    q, _ = np.linalg.qr(RNG.standard_normal(shape))
    values = np.arange(1, n + 1, dtype=np.float64) * 1.5
    return (q * values[..., None, :]) @ np.swapaxes(q, -1, -2)


def T(array, requires_grad=False):
    return torchless.tensor(np.array(array), requires_grad=requires_grad)


# ---------------------------------------------------------------- values vs NumPy references
def test_vector_and_matrix_norms_match_numpy():
    x = RNG.standard_normal((3, 4))
    assert np.isclose(LA.vector_norm(T(x)).item(), np.sqrt((x ** 2).sum()))
    np.testing.assert_allclose(LA.vector_norm(T(x), ord=1, dim=1).numpy(), np.abs(x).sum(1))
    np.testing.assert_allclose(LA.vector_norm(T(x), ord=math.inf, dim=0).numpy(), np.abs(x).max(0))
    assert LA.vector_norm(T(x), ord=0).item() == 12
    for ord in ("fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2):
        np.testing.assert_allclose(LA.matrix_norm(T(x), ord=ord).numpy(), np.linalg.norm(x, ord=ord), rtol=1e-12)
    np.testing.assert_allclose(LA.norm(T(x)).numpy(), np.linalg.norm(x.ravel()))
    np.testing.assert_allclose(LA.norm(T(x), ord=1).numpy(), np.abs(x).sum(0).max())


def test_inverse_solve_determinant_match_numpy():
    a = well_conditioned(2, 3, 3)
    b = RNG.standard_normal((2, 3, 2))
    np.testing.assert_allclose(LA.inv(T(a)).numpy() @ a, np.broadcast_to(np.eye(3), a.shape), atol=1e-12)
    x = LA.solve(T(a), T(b)).numpy()
    np.testing.assert_allclose(a @ x, b, atol=1e-12)
    np.testing.assert_allclose(LA.det(T(a)).numpy(), [np.prod(np.linalg.eigvals(m)).real for m in a], rtol=1e-10)
    sign, logabsdet = LA.slogdet(T(a))
    np.testing.assert_allclose(sign.numpy() * np.exp(logabsdet.numpy()), np.linalg.det(a), rtol=1e-10)
    np.testing.assert_allclose(LA.matrix_power(T(a[0]), 3).numpy(), a[0] @ a[0] @ a[0], rtol=1e-12)
    np.testing.assert_allclose(LA.matrix_power(T(a[0]), -2).numpy(), np.linalg.inv(a[0] @ a[0]), rtol=1e-10)
    np.testing.assert_allclose(LA.matrix_power(T(a[0]), 0).numpy(), np.eye(3))


def test_factorisations_reconstruct_their_input():
    a = RNG.standard_normal((2, 4, 3))
    u, s, vh = LA.svd(T(a), full_matrices=False)
    np.testing.assert_allclose((u.numpy() * s.numpy()[..., None, :]) @ vh.numpy(), a, atol=1e-12)
    assert LA.svd(T(a)).U.shape == (2, 4, 4)
    q, r = LA.qr(T(a))
    np.testing.assert_allclose(q.numpy() @ r.numpy(), a, atol=1e-12)
    assert np.allclose(np.tril(r.numpy(), -1), 0)
    m = spd(2, 3, 3)
    lower = LA.cholesky(T(m)).numpy()
    np.testing.assert_allclose(lower @ np.swapaxes(lower, -1, -2), m, atol=1e-12)
    np.testing.assert_allclose(LA.cholesky(T(m), upper=True).numpy(), np.swapaxes(lower, -1, -2))
    w, v = LA.eigh(T(m))
    np.testing.assert_allclose(w.numpy(), np.broadcast_to(np.arange(1, 4) * 1.5, (2, 3)), rtol=1e-12)
    np.testing.assert_allclose((v.numpy() * w.numpy()[..., None, :]) @ np.swapaxes(v.numpy(), -1, -2), m, atol=1e-12)
    assert LA.matrix_rank(T(np.outer([1.0, 2, 3], [1.0, 0, 1]))).item() == 1
    np.testing.assert_allclose(LA.pinv(T(a)).numpy() @ a, np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-12)


def test_cross_and_multi_dot_match_numpy():
    x, y = RNG.standard_normal((4, 3)), RNG.standard_normal((1, 3))
    np.testing.assert_allclose(LA.cross(T(x), T(y)).numpy(), np.cross(x, y))
    a, b, c = RNG.standard_normal(3), RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    np.testing.assert_allclose(LA.multi_dot([T(a), T(b), T(c)]).numpy(), a @ b @ c)
    assert LA.multi_dot([T(b.T), T(b)]).shape == (4, 4)


def test_lazy_submodule():
    assert torchless.linalg.norm is LA.norm


# ---------------------------------------------------------------- values vs PyTorch
FUNCTIONS = {
    "vector_norm": (lambda L, a: L.vector_norm(a, ord=3, dim=-1), "general"),
    "matrix_norm_fro": (lambda L, a: L.matrix_norm(a), "general"),
    "matrix_norm_nuc": (lambda L, a: L.matrix_norm(a, ord="nuc"), "general"),
    "matrix_norm_inf": (lambda L, a: L.matrix_norm(a, ord=math.inf, keepdim=True), "general"),
    "matrix_norm_m2": (lambda L, a: L.matrix_norm(a, ord=-2), "general"),
    "norm": (lambda L, a: L.norm(a, dim=(0, -1)), "general"),
    "inv": (lambda L, a: L.inv(a), "square"),
    "det": (lambda L, a: L.det(a), "square"),
    "slogdet": (lambda L, a: L.slogdet(a).logabsdet, "square"),
    "solve": (lambda L, a: L.solve(a, a[..., 0].sin()), "square"),
    "solve_right": (lambda L, a: L.solve(a, a.cos(), left=False), "square"),
    "cholesky": (lambda L, a: L.cholesky(a), "spd"),
    "cholesky_upper": (lambda L, a: L.cholesky(a, upper=True), "spd"),
    "eigvalsh": (lambda L, a: L.eigvalsh(a), "spd"),
    "eigh_vectors": (lambda L, a: (lambda v: v * v)(L.eigh(a).eigenvectors), "spd"),
    "eigh_projector": (lambda L, a: (lambda v: v[..., :1] @ v[..., :1].mT)(L.eigh(a, UPLO="U").eigenvectors), "spd"),
    "svdvals": (lambda L, a: L.svdvals(a), "general"),
    "matrix_power": (lambda L, a: L.matrix_power(a, -3), "square"),
    "multi_dot": (lambda L, a: L.multi_dot([a[0], a[1].mT, a[0]]), "square"),
    "cross": (lambda L, a: L.cross(a[..., :3], a[..., 1:4]), "square4"),
    "pinv": (lambda L, a: L.pinv(a), "general"),
    "matrix_rank": (lambda L, a: L.matrix_rank(a), "general"),
}


def make_input(kind, batched):
    batch = (2,) if batched else ()
    if kind == "general":
        return RNG.standard_normal(batch + (2, 4, 3)) if batched else RNG.standard_normal((4, 3))
    if kind == "spd":
        return spd(*batch, 4, 4)
    if kind == "square4":
        return well_conditioned(*batch, 4, 4)
    return well_conditioned(*batch, 3, 3)


def as_array(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_values_match_torch(name, dtype, batched):
    torch = pytest.importorskip("torch")
    fn, kind = FUNCTIONS[name]
    data = make_input(kind, batched or name in ("multi_dot",)).astype(dtype)
    if name == "multi_dot":
        data = data.reshape((-1,) + data.shape[-2:])[:2]
    expected = fn(torch.linalg, torch.tensor(data))
    got = fn(LA, torchless.tensor(data))
    assert str(got.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
    assert tuple(got.shape) == tuple(expected.shape)
    tol = 1e-4 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(as_array(got), expected.numpy(), rtol=tol, atol=tol)


# ---------------------------------------------------------------- gradients
DIFFERENTIABLE = sorted(set(FUNCTIONS) - {"pinv", "matrix_rank"})


def loss_weights(shape):
    return np.random.default_rng(1).standard_normal(shape)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_gradient_matches_finite_differences(name):
    fn, kind = FUNCTIONS[name]
    data = make_input(kind, name == "multi_dot")
    if name == "multi_dot":
        data = data.reshape((-1,) + data.shape[-2:])[:2]
    weights = loss_weights(fn(LA, T(data)).shape)

    def loss(array):
        return float((fn(LA, T(array)).numpy() * weights).sum())

    a = T(data, requires_grad=True)
    (fn(LA, a) * T(weights)).sum().backward()
    numeric = np.zeros_like(data)
    eps = 1e-6
    for index in np.ndindex(data.shape):
        step = np.zeros_like(data)
        step[index] = eps
        if kind == "spd":  # stay symmetric: torch's convention differentiates through the symmetrised input
            step = 0.5 * (step + np.swapaxes(step, -1, -2))
        numeric[index] = (loss(data + step) - loss(data - step)) / (2 * eps)
    analytic = a.grad.numpy()
    if kind == "spd":  # only the symmetric part of the gradient is defined for symmetric inputs
        analytic = 0.5 * (analytic + np.swapaxes(analytic, -1, -2))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_gradient_matches_torch(name):
    torch = pytest.importorskip("torch")
    fn, kind = FUNCTIONS[name]
    data = make_input(kind, True)
    if name == "multi_dot":
        data = data.reshape((-1,) + data.shape[-2:])[:2]
    ours, theirs = T(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out_ours, out_theirs = fn(LA, ours), fn(torch.linalg, theirs)
    weights = loss_weights(tuple(out_theirs.shape))
    (out_ours * T(weights)).sum().backward()
    (out_theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-7, atol=1e-9)


def test_gradient_not_implemented_only_when_requested():
    a = T(RNG.standard_normal((3, 3)), requires_grad=True)
    factors, tau = torchless.geqrf(a)  # computing is fine (geqrf has no derivative, in PyTorch neither)
    with pytest.raises(NotImplementedError, match="the derivative for 'geqrf' is not implemented"):
        factors.sum().backward()


# ---------------------------------------------------------------- errors vs PyTorch
def ones(lib, *shape, dtype="float32"):
    return lib.ones(*shape, dtype=getattr(lib, dtype))


def eye(lib, n, dtype="float32"):
    return lib.eye(n, dtype=getattr(lib, dtype))


BAD_CALLS = {
    "inv_nonsquare": lambda lib: lib.linalg.inv(ones(lib, 2, 3)),
    "inv_1d": lambda lib: lib.linalg.inv(ones(lib, 3)),
    "inv_int": lambda lib: lib.linalg.inv(ones(lib, 2, 2, dtype="int64")),
    "inv_singular": lambda lib: lib.linalg.inv(lib.zeros(2, 2)),
    "inv_singular_batch": lambda lib: lib.linalg.inv(lib.stack([eye(lib, 2), lib.tensor([[1.0, 2], [2, 4]])])),
    "det_nonsquare": lambda lib: lib.linalg.det(ones(lib, 2, 3)),
    "det_int": lambda lib: lib.linalg.det(ones(lib, 2, 2, dtype="int64")),
    "slogdet_1d": lambda lib: lib.linalg.slogdet(ones(lib, 3)),
    "solve_singular": lambda lib: lib.linalg.solve(lib.zeros(2, 2), ones(lib, 2)),
    "solve_shapes": lambda lib: lib.linalg.solve(eye(lib, 2), ones(lib, 3, 1)),
    "solve_dtypes": lambda lib: lib.linalg.solve(eye(lib, 2), ones(lib, 2, dtype="float64")),
    "cholesky_not_pd": lambda lib: lib.linalg.cholesky(-eye(lib, 2)),
    "cholesky_not_pd_batch": lambda lib: lib.linalg.cholesky(lib.stack([eye(lib, 2), -eye(lib, 2)])),
    "cholesky_int": lambda lib: lib.linalg.cholesky(eye(lib, 2, dtype="int64")),
    "eigh_nonsquare": lambda lib: lib.linalg.eigh(ones(lib, 2, 3)),
    "eigh_uplo": lambda lib: lib.linalg.eigh(eye(lib, 2), UPLO="X"),
    "eigh_int": lambda lib: lib.linalg.eigh(eye(lib, 2, dtype="int64")),
    "svd_1d": lambda lib: lib.linalg.svd(ones(lib, 2)),
    "svdvals_int": lambda lib: lib.linalg.svdvals(ones(lib, 2, 2, dtype="int64")),
    "qr_mode": lambda lib: lib.linalg.qr(ones(lib, 2, 2), mode="foo"),
    "pinv_int": lambda lib: lib.linalg.pinv(ones(lib, 2, 2, dtype="int64")),
    "matrix_rank_1d": lambda lib: lib.linalg.matrix_rank(ones(lib, 2)),
    "cross_length": lambda lib: lib.linalg.cross(ones(lib, 2), ones(lib, 2)),
    "cross_dim": lambda lib: lib.linalg.cross(ones(lib, 3, 3), ones(lib, 3, 3), dim=2),
    "multi_dot_one": lambda lib: lib.linalg.multi_dot([ones(lib, 2, 2)]),
    "multi_dot_3d": lambda lib: lib.linalg.multi_dot([ones(lib, 2, 2, 2), ones(lib, 2, 2)]),
    "multi_dot_middle_1d": lambda lib: lib.linalg.multi_dot([ones(lib, 2, 2), ones(lib, 2), ones(lib, 2, 2)]),
    "multi_dot_shapes": lambda lib: lib.linalg.multi_dot([ones(lib, 2, 3), ones(lib, 2, 2)]),
    "multi_dot_dtypes": lambda lib: lib.linalg.multi_dot([ones(lib, 2, 2), ones(lib, 2, 2, dtype="float64")]),
    "matrix_power_nonsquare": lambda lib: lib.linalg.matrix_power(ones(lib, 2, 3), 2),
    "matrix_power_singular": lambda lib: lib.linalg.matrix_power(lib.zeros(2, 2), -1),
    "vector_norm_int": lambda lib: lib.linalg.vector_norm(ones(lib, 2, dtype="int64")),
    "vector_norm_empty_inf": lambda lib: lib.linalg.vector_norm(ones(lib, 0), ord=math.inf),
    "vector_norm_str_ord": lambda lib: lib.linalg.vector_norm(ones(lib, 2), ord="fro"),
    "matrix_norm_1d": lambda lib: lib.linalg.matrix_norm(ones(lib, 2)),
    "matrix_norm_order": lambda lib: lib.linalg.matrix_norm(ones(lib, 2, 2), ord=3),
    "matrix_norm_same_dims": lambda lib: lib.linalg.matrix_norm(ones(lib, 2, 2), dim=(0, 0)),
    "norm_3d_with_ord": lambda lib: lib.linalg.norm(ones(lib, 2, 2, 2), ord=2),
    "norm_three_dims": lambda lib: lib.linalg.norm(ones(lib, 2, 2, 2), dim=(0, 1, 2)),
}


def error_type_name(error):
    name = type(error).__name__
    return "LinAlgError" if name == "_LinAlgError" else name


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_errors_match_torch(name):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as expected:
        BAD_CALLS[name](torch)
    with pytest.raises(Exception) as got:
        BAD_CALLS[name](torchless)
    assert error_type_name(got.value) == error_type_name(expected.value)
    assert str(got.value) == str(expected.value).replace("torch.", "torchless.")
    if error_type_name(expected.value) == "LinAlgError":
        assert isinstance(got.value, RuntimeError)
