"""torch.linalg functions torchless lacked before session 21 (matmul, vecdot, diagonal, solve_triangular, inv_ex,
cholesky_ex, solve_ex, cond, tensorinv, tensorsolve, lstsq, lu_factor(_ex), lu, lu_solve; torch.lu, lu_solve,
lu_unpack), and what they changed in inv / solve / cholesky: values, dtypes, strides, grad_fn names, gradients and
errors against PyTorch's."""
import math
import warnings

import numpy as np
import pytest

import torchless
from helpers import Raised, outcome

torch = pytest.importorskip("torch")

LIBS = (torch, torchless)


def _error_type(name):
    return "LinAlgError" if name == "_LinAlgError" else name


def _as_tuple(value):
    return tuple(value) if isinstance(value, tuple) else (value,)


def assert_same(call, tol=1e-5, strides=False):
    """``call(lib)`` gives the same in both libraries: the same error (type and message, ``torch.`` read as
    ``torchless.``), or results of the same type name, shapes, dtypes, values (non-finite ones too) and grad_fn
    names (and strides if asked)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, actual = outcome(lambda: call(torch)), outcome(lambda: call(torchless))
    if isinstance(expected, Raised):
        assert isinstance(actual, Raised), actual
        assert (_error_type(actual.type), actual.message) == (
            _error_type(expected.type), expected.message.replace("torch.", "torchless.")), actual
        return
    assert not isinstance(actual, Raised), actual
    assert type(actual).__name__ == type(expected).__name__
    for theirs, ours in zip(_as_tuple(expected), _as_tuple(actual), strict=True):
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().resolve_conj().numpy(), rtol=tol,
                                   atol=tol)
        assert (ours.grad_fn and ours.grad_fn.name()) == (theirs.grad_fn and theirs.grad_fn.name())
        if strides and theirs.numel():
            assert ours.stride() == theirs.stride()


def gradients_match(forward, arrays, tol=1e-7, rng=None):
    """The gradients of a random weighting of ``forward(lib, *leaves)``'s outputs agree (float64 leaves)."""
    rng = rng or np.random.default_rng(0)
    grads = []
    weights = None
    for lib in LIBS:
        leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
        outputs = [o for o in _as_tuple(forward(lib, *leaves)) if o.requires_grad and o.numel()]
        if weights is None:
            weights = [rng.standard_normal(tuple(o.shape)) for o in outputs]
        loss = sum((o * lib.tensor(w)).sum() for o, w in zip(outputs, weights))
        loss.backward()
        grads.append([leaf.grad.numpy() for leaf in leaves])
    for theirs, ours in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol)


RNG = np.random.default_rng(21)


def random(*shape, dtype=np.float64):
    array = RNG.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        array = array + 1j * RNG.standard_normal(shape)
    return array.astype(dtype)


def well_conditioned(*shape, dtype=np.float64):
    return (random(*shape, dtype=dtype) + 3 * np.eye(shape[-1])).astype(dtype)


# ---------------------------------------------------------------- matmul, vecdot, diagonal
@pytest.mark.parametrize("x_shape, y_shape, dim", [((3, 4), (3, 4), -1), ((2, 3, 4), (4,), -1), ((3, 4), (1, 4), 0),
                                                   ((3, 4), (3, 3), -1), ((3, 4), (3, 4), 2)])
def test_vecdot_broadcasts_conjugates_and_checks(x_shape, y_shape, dim):
    x, y = random(*x_shape, dtype=np.complex128), random(*y_shape, dtype=np.complex128)
    assert_same(lambda lib: lib.linalg.vecdot(lib.tensor(x), lib.tensor(y), dim=dim))
    assert_same(lambda lib: lib.linalg.vecdot(lib.tensor(x.real, requires_grad=True), lib.tensor(y.real), dim=dim))


def test_vecdot_dtype_errors_and_matmul_diagonal():
    x = random(3, 4)
    assert_same(lambda lib: lib.linalg.vecdot(lib.tensor(x), lib.tensor(x, dtype=lib.float32)))
    assert_same(lambda lib: lib.linalg.vecdot(lib.tensor(x).int(), lib.tensor(x).int()))
    assert_same(lambda lib: lib.linalg.matmul(lib.tensor(x, requires_grad=True), lib.tensor(x.T)))
    assert_same(lambda lib: lib.linalg.matmul(lib.tensor(x), lib.tensor(x)))
    cube = random(2, 3, 4)
    assert_same(lambda lib: lib.linalg.diagonal(lib.tensor(cube, requires_grad=True), offset=1))
    assert_same(lambda lib: lib.linalg.diagonal(lib.tensor(x[0])))
    assert_same(lambda lib: lib.linalg.vecdot(lib.tensor(x)))


# ---------------------------------------------------------------- solve_triangular
@pytest.mark.parametrize("upper", [True, False])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("unitriangular", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_solve_triangular_values_gradients_and_layout(upper, left, unitriangular, dtype):
    a = well_conditioned(2, 1, 3, 3, dtype=dtype)
    b = random(4, 3, 2, dtype=dtype) if left else random(4, 2, 3, dtype=dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    assert_same(lambda lib: lib.linalg.solve_triangular(lib.tensor(a, requires_grad=True), lib.tensor(b),
                                                        upper=upper, left=left, unitriangular=unitriangular),
                tol=tol, strides=True)
    if dtype == np.float64:
        gradients_match(lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=upper, left=left,
                                                                      unitriangular=unitriangular), [a, b])


def test_solve_triangular_zero_diagonal_gives_infinities_and_b_takes_a_dtype():
    a, b, c = np.triu(random(3, 3)), random(3, 2), well_conditioned(3, 3)
    a[1, 1] = 0
    assert_same(lambda lib: lib.linalg.solve_triangular(lib.tensor(a), lib.tensor(b), upper=True))
    assert_same(lambda lib: lib.linalg.solve_triangular(lib.tensor(c), lib.tensor(b).float(), upper=False))


@pytest.mark.parametrize("a_shape, b_shape, kwargs", [
    ((3,), (3, 2), {"upper": True}), ((2, 3), (3, 2), {"upper": True}), ((3, 3), (3,), {"upper": True}),
    ((3, 3), (2, 2), {"upper": True}), ((3, 3), (3, 2), {"upper": True, "left": False}),
    ((2, 3, 3), (3, 3, 2), {"upper": False}), ((3, 3), (3, 2), {})])
def test_solve_triangular_errors(a_shape, b_shape, kwargs):
    a, b = random(*a_shape), random(*b_shape)
    assert_same(lambda lib: lib.linalg.solve_triangular(lib.tensor(a), lib.tensor(b), **kwargs))


def test_solve_triangular_integer_and_half_kernels_are_missing():
    a = np.eye(3)
    assert_same(lambda lib: lib.linalg.solve_triangular(lib.tensor(a).int(), lib.tensor(a), upper=True))
    assert_same(lambda lib: lib.linalg.solve_triangular(lib.tensor(a).half(), lib.tensor(a).half(), upper=True))


def test_solve_triangular_double_backward():
    a, b = well_conditioned(3, 3), random(3, 2)
    results = []
    for lib in LIBS:
        ta, tb = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        x = lib.linalg.solve_triangular(ta, tb, upper=True)
        (ga,) = lib.autograd.grad((x ** 2).sum(), ta, create_graph=True)
        ga.sum().backward()
        results.append((ta.grad.numpy(), tb.grad.numpy()))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)


# ---------------------------------------------------------------- the _ex functions
def _batch_with_singular(n=3, dtype=np.float64):
    a = well_conditioned(3, n, n, dtype=dtype)
    a[1] = 0
    a[2, 1] = 2 * a[2, 0]  # rows proportional: an exact zero pivot further down
    return a


@pytest.mark.parametrize("check_errors", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inv_ex_and_solve_ex_report_info(check_errors, dtype):
    a = _batch_with_singular(dtype=dtype)
    b = random(3, 2, dtype=dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10

    def finite_part(call):
        def call_keeping_info(lib):
            value, info = call(lib)
            return value[info == 0], info
        return call_keeping_info

    assert_same(finite_part(lambda lib: lib.linalg.inv_ex(lib.tensor(a), check_errors=check_errors)), tol=tol)
    assert_same(finite_part(lambda lib: lib.linalg.solve_ex(lib.tensor(a), lib.tensor(b), check_errors=check_errors)),
                tol=tol)
    assert_same(lambda lib: lib.linalg.inv(lib.tensor(a)))
    assert_same(lambda lib: lib.linalg.solve(lib.tensor(a), lib.tensor(b)))
    assert_same(lambda lib: lib.linalg.solve(lib.tensor(a[2]), lib.tensor(b[0])))


def test_inv_ex_solve_ex_results_and_gradients():
    a, b = well_conditioned(2, 3, 3), random(2, 3, 2)
    assert_same(lambda lib: lib.linalg.inv_ex(lib.tensor(a, requires_grad=True)), tol=1e-10, strides=True)
    assert_same(lambda lib: lib.linalg.solve_ex(lib.tensor(a, requires_grad=True), lib.tensor(b)), tol=1e-10,
                strides=True)
    for left in (True, False):
        gradients_match(lambda lib, a, b: lib.linalg.solve_ex(a, b, left=left).result,
                        [a, b if left else np.swapaxes(b, -1, -2)])
    gradients_match(lambda lib, a: lib.linalg.inv_ex(a).inverse, [a])


@pytest.mark.parametrize("a_shape, b_shape, left", [((2, 3, 3), (3,), True), ((2, 3, 3), (2, 3), True),
                                                    ((3, 3, 3), (3, 3), True), ((2, 3, 3), (2, 3), False),
                                                    ((1, 1), (1,), False), ((3, 3), (3, 3), False)])
def test_solve_vectors_batches_and_left_false(a_shape, b_shape, left):
    a, b = well_conditioned(*a_shape), random(*b_shape)
    assert_same(lambda lib: lib.linalg.solve(lib.tensor(a, requires_grad=True), lib.tensor(b), left=left),
                tol=1e-10, strides=True)
    assert_same(lambda lib: lib.linalg.solve_ex(lib.tensor(a), lib.tensor(b), left=left), tol=1e-10)
    if outcome(lambda: torch.linalg.solve(torch.tensor(a), torch.tensor(b), left=left)).__class__ is not Raised:
        gradients_match(lambda lib, a, b: lib.linalg.solve(a, b, left=left), [a, b])


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("check_errors", [False, True])
def test_cholesky_ex_info_partial_factor_and_upper_triangle(upper, check_errors):
    spd = random(3, 3)
    spd = spd @ spd.T + np.eye(3)
    failing = np.array([[4.0, 2, 1], [2, 1, 5], [1, 5, 9]])  # fails at order 2
    last_fails = np.array([[4.0, 2, 1], [2, 5, 1], [1, 1, -9]])
    batch = np.stack([spd + np.triu(random(3, 3), 1), failing, last_fails])
    assert_same(lambda lib: lib.linalg.cholesky_ex(lib.tensor(batch), upper=upper, check_errors=check_errors))
    assert_same(lambda lib: lib.linalg.cholesky(lib.tensor(batch[0], requires_grad=True), upper=upper), tol=1e-10,
                strides=True)
    gradients_match(lambda lib, a: lib.linalg.cholesky_ex(a, upper=upper).L, [spd])


def test_ex_functions_refuse_what_their_base_refuses():
    for name in ("inv_ex", "cholesky_ex"):
        assert_same(lambda lib: getattr(lib.linalg, name)(lib.eye(3).int()))
        assert_same(lambda lib: getattr(lib.linalg, name)(lib.ones(2, 3)))
    assert_same(lambda lib: lib.linalg.solve_ex(lib.eye(3).int(), lib.ones(3)))
    assert_same(lambda lib: lib.linalg.cholesky_ex(lib.eye(2).half()))


# ---------------------------------------------------------------- cond
ORDERS = [None, "fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf, 1.0, True]


@pytest.mark.parametrize("p", ORDERS)
def test_cond_every_order(p):
    a = random(2, 3, 3)
    singular = a.copy()
    singular[1, 2] = 0
    assert_same(lambda lib: lib.linalg.cond(lib.tensor(a, requires_grad=True), p), tol=1e-8)
    assert_same(lambda lib: lib.linalg.cond(lib.tensor(singular), p), tol=1e-6)
    wide = random(2, 3)
    assert_same(lambda lib: lib.linalg.cond(lib.tensor(random(0, 3, 3)), p))
    assert_same(lambda lib: lib.linalg.cond(lib.tensor(wide), p))
    if p is None or p in (2, -2):  # (PyTorch's other orders fail their backward: inv_ex's result is masked in place)
        gradients_match(lambda lib, a: lib.linalg.cond(a, p), [a])


@pytest.mark.parametrize("p", [0, 2.5, 3, "foo", -1e20])
def test_cond_invalid_orders_and_ranks(p):
    assert_same(lambda lib: lib.linalg.cond(lib.tensor(random(3, 3)), p))
    assert_same(lambda lib: lib.linalg.cond(lib.tensor(random(2, 3)), p))
    assert_same(lambda lib: lib.linalg.cond(lib.tensor(random(3)), p))


def test_cond_of_integer_half_and_complex_inputs():
    assert_same(lambda lib: lib.linalg.cond(lib.eye(3).int()))
    assert_same(lambda lib: lib.linalg.cond(lib.eye(3).int(), 1))
    complex_matrices = random(2, 3, 3, dtype=np.complex128)
    assert_same(lambda lib: lib.linalg.cond(lib.tensor(complex_matrices), "fro"), tol=1e-8)
    assert_same(lambda lib: lib.linalg.cond(lib.tensor(complex_matrices)), tol=1e-8)


# ---------------------------------------------------------------- tensorinv, tensorsolve
@pytest.mark.parametrize("shape, ind", [((4, 6, 8, 3), 2), ((4, 6, 2, 12), 2), ((4, 2, 2), 1), ((4, 6, 8, 3), 1),
                                        ((4, 6, 8, 3), 0), ((4, 4), 3), ((4,), 1)])
def test_tensorinv(shape, ind):
    a = random(*shape)
    assert_same(lambda lib: lib.linalg.tensorinv(lib.tensor(a, requires_grad=True), ind=ind), tol=1e-8)
    assert_same(lambda lib: lib.linalg.tensorinv(lib.zeros(4, 2, 2), ind=1))


@pytest.mark.parametrize("shape, other_shape, dims", [((2, 3, 6), (2, 3), None), ((6, 4), (6,), None),
                                                      ((6, 4), (4,), None), ((2, 3, 6), (6,), (0, 1)),
                                                      ((6, 2, 3), (6,), (5,)), ((3, 2, 6), (6,), (0, 1))])
def test_tensorsolve(shape, other_shape, dims):
    a, b = random(*shape), random(*other_shape)
    assert_same(lambda lib: lib.linalg.tensorsolve(lib.tensor(a, requires_grad=True), lib.tensor(b), dims=dims),
                tol=1e-8)


# ---------------------------------------------------------------- lstsq
@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("m, n", [(4, 3), (3, 4), (3, 3)])
def test_lstsq_fields_per_driver(driver, m, n):
    a, b = random(2, m, n), random(2, m, 2)
    assert_same(lambda lib: lib.linalg.lstsq(lib.tensor(a, requires_grad=True), lib.tensor(b), driver=driver),
                tol=1e-8, strides=True)
    assert_same(lambda lib: lib.linalg.lstsq(lib.tensor(a[0]), lib.tensor(b[0, :, 0]), driver=driver), tol=1e-8)
    if driver != "gels" or m >= n:
        gradients_match(lambda lib, a, b: lib.linalg.lstsq(a, b, driver=driver)[:2], [a, b], tol=1e-6)


def test_lstsq_rank_deficient_rcond_and_broadcasting():
    a = random(5, 3)
    a[:, 2] = 2 * a[:, 0]
    b = random(2, 5, 2)
    for driver in ("gelsy", "gelsd", "gelss"):
        assert_same(lambda lib: lib.linalg.lstsq(lib.tensor(a), lib.tensor(b), driver=driver), tol=1e-8)
    full_rank = random(5, 3)
    assert_same(lambda lib: lib.linalg.lstsq(lib.tensor(full_rank), lib.tensor(b), rcond=0.9, driver="gelsd"),
                tol=1e-8)


@pytest.mark.parametrize("a_shape, b_shape, kwargs", [
    ((4, 3), (4, 2), {"driver": "foo"}), ((4, 3), (3, 2), {}), ((5, 3), (4,), {"driver": "foo"}), ((4,), (4,), {}),
    ((4, 3), (), {}), ((4, 3), (2, 3, 4, 2), {})])
def test_lstsq_errors(a_shape, b_shape, kwargs):
    a, b = random(*a_shape), random(*b_shape)
    assert_same(lambda lib: lib.linalg.lstsq(lib.tensor(a), lib.tensor(b), **kwargs))
    assert_same(lambda lib: lib.linalg.lstsq(lib.tensor(a), lib.tensor(b).float(), **kwargs))


def test_lstsq_integer_inputs():
    assert_same(lambda lib: lib.linalg.lstsq(lib.ones(3, 2).int(), lib.ones(3, 1).int()))
    assert_same(lambda lib: lib.linalg.lstsq(lib.ones(3, 2).int(), lib.ones(3, 1).int(), rcond=0.1))


# ---------------------------------------------------------------- LU
def _integer_rank_deficient(count, rng):
    """Small integer matrices, many singular: their exact zero pivots decide info and the pivots."""
    matrices = []
    for _ in range(count):
        n = int(rng.integers(2, 6))
        rank = int(rng.integers(1, n + 1))
        matrices.append((rng.integers(-3, 4, (n, rank)) @ rng.integers(-3, 4, (rank, n))).astype(np.float64))
    return matrices


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lu_factor_pivots_and_info_match_on_singular_integer_matrices(dtype):
    rng = np.random.default_rng(5)
    mismatches = 0
    for matrix in _integer_rank_deficient(200, rng):
        expected = torch.linalg.lu_factor_ex(torch.tensor(matrix.astype(dtype)))
        actual = torchless.linalg.lu_factor_ex(torchless.tensor(matrix.astype(dtype)))
        same = (expected.info.item() == actual.info.item()
                and (expected.pivots.numpy() == actual.pivots.numpy()).all()
                and np.allclose(expected.LU.numpy(), actual.LU.numpy(), rtol=1e-5, atol=1e-5))
        mismatches += not same
    assert mismatches <= 4  # (MKL's exact rounding is not reproduced everywhere: a few in a thousand differ)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (3, 5), (5, 3), (0, 3, 3), (2, 0, 0), (1, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_lu_factor_lu_and_lu_unpack(shape, dtype):
    a = random(*shape, dtype=dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    assert_same(lambda lib: lib.linalg.lu_factor_ex(lib.tensor(a, requires_grad=True)), tol=tol, strides=True)
    assert_same(lambda lib: lib.linalg.lu_factor(lib.tensor(a)), tol=tol)
    assert_same(lambda lib: lib.linalg.lu(lib.tensor(a)), tol=tol)
    assert_same(lambda lib: lib.lu_unpack(*lib.linalg.lu_factor(lib.tensor(a, requires_grad=True))), tol=tol)
    for unpack_data, unpack_pivots in ((False, True), (True, False)):
        assert_same(lambda lib: lib.lu_unpack(*lib.linalg.lu_factor(lib.tensor(a)), unpack_data=unpack_data,
                                              unpack_pivots=unpack_pivots), tol=tol)


def test_lu_gradients_of_square_matrices():
    a = random(2, 4, 4)
    gradients_match(lambda lib, a: lib.linalg.lu_factor(a).LU, [a])
    gradients_match(lambda lib, a: lib.linalg.lu(a)[1:], [a])


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_lu_solve(left, adjoint, dtype):
    a = well_conditioned(2, 3, 3, dtype=dtype)
    b = random(2, 3, 2, dtype=dtype) if left else random(2, 2, 3, dtype=dtype)
    lu, pivots = (t.numpy() for t in torch.linalg.lu_factor(torch.tensor(a)))

    def solved(lib, lu_tensor=None, b_tensor=None):
        return lib.linalg.lu_solve(lib.tensor(lu) if lu_tensor is None else lu_tensor, lib.tensor(pivots),
                                   lib.tensor(b) if b_tensor is None else b_tensor, left=left, adjoint=adjoint)

    assert_same(lambda lib: solved(lib, lib.tensor(lu, requires_grad=True)), tol=1e-10, strides=True)
    if dtype == np.float64:
        gradients_match(lambda lib, lu_tensor, b_tensor: solved(lib, lu_tensor, b_tensor), [lu, b])


def test_lu_errors():
    lu, pivots = torch.linalg.lu_factor(torch.tensor(random(2, 3, 3)))
    lu, pivots = lu.numpy(), pivots.numpy()
    singular = np.zeros((2, 3, 3))
    calls = [
        lambda lib: lib.linalg.lu_factor(lib.tensor(singular)),
        lambda lib: lib.linalg.lu_factor(lib.tensor(singular[0])),
        lambda lib: lib.linalg.lu_factor_ex(lib.tensor(singular), check_errors=True),
        lambda lib: lib.linalg.lu_factor(lib.zeros(3)),
        lambda lib: lib.linalg.lu_factor(lib.zeros(3, 3).int()),
        lambda lib: lib.linalg.lu_factor(lib.zeros(3, 3), pivot=False),
        lambda lib: lib.linalg.lu(lib.zeros(3, 3).half()),
        lambda lib: lib.linalg.lu_solve(lib.tensor(lu), lib.tensor(pivots), lib.tensor(random(2, 3))),
        lambda lib: lib.linalg.lu_solve(lib.tensor(lu), lib.tensor(pivots).long(), lib.tensor(random(2, 3, 1))),
        lambda lib: lib.linalg.lu_solve(lib.tensor(lu), lib.tensor(pivots), lib.tensor(random(2, 3, 1)).float()),
        lambda lib: lib.linalg.lu_solve(lib.tensor(lu), lib.tensor(pivots), lib.tensor(random(2, 3, 1)), left=False),
        lambda lib: lib.linalg.lu_solve(lib.tensor(lu), lib.tensor(pivots[:, :2]), lib.tensor(random(2, 3, 1))),
        lambda lib: lib.linalg.lu_solve(lib.tensor(lu[:, :2]), lib.tensor(pivots), lib.tensor(random(2, 3, 1))),
        lambda lib: lib.lu_unpack(lib.tensor(lu), lib.tensor(pivots).long()),
        lambda lib: lib.lu_unpack(lib.tensor(lu), lib.tensor(pivots + 5)),
    ]
    for call in calls:
        assert_same(call)


def test_deprecated_lu_forms_and_tensor_methods():
    a, b = well_conditioned(2, 3, 3), random(2, 3, 2)
    assert_same(lambda lib: lib.lu(lib.tensor(a, requires_grad=True)), tol=1e-10)
    assert_same(lambda lib: lib.lu(lib.tensor(a), get_infos=True), tol=1e-10)
    assert_same(lambda lib: lib.lu(lib.zeros(2, 3, 3)))  # (a zero pivot is no error here)
    assert_same(lambda lib: lib.tensor(a).lu(get_infos=True), tol=1e-10)
    assert_same(lambda lib: lib.lu_solve(lib.tensor(b), *lib.linalg.lu_factor(lib.tensor(a))), tol=1e-10)
    assert_same(lambda lib: lib.tensor(b).lu_solve(*lib.linalg.lu_factor(lib.tensor(a))), tol=1e-10)
    with pytest.warns(UserWarning, match="torch.lu_solve is deprecated"):
        torchless._user_warnings._spent_once.discard(("deprecated linalg", "lu_solve"))
        torchless.lu_solve(torchless.tensor(b), *torchless.linalg.lu_factor(torchless.tensor(a)))


def test_results_repr_as_torch_return_types():
    a = well_conditioned(3, 3)
    for call in (lambda lib: lib.linalg.inv_ex(lib.tensor(a)), lambda lib: lib.linalg.lu_factor(lib.tensor(a)),
                 lambda lib: lib.linalg.lstsq(lib.tensor(a), lib.tensor(a))):
        ours, theirs = call(torchless), call(torch)
        assert type(ours).__name__ == type(theirs).__name__
        assert ours._fields == tuple(theirs._fields) if hasattr(theirs, "_fields") else True
        assert repr(ours).split("(")[0].replace("torchless", "torch") == repr(theirs).split("(")[0]


def test_out_arguments():
    a, b = well_conditioned(3, 3), random(3, 2)
    for lib in LIBS:
        inverse, info = lib.empty(0, dtype=lib.float64), lib.empty(0, dtype=lib.int32)
        returned = lib.linalg.inv_ex(lib.tensor(a), out=(inverse, info))
        assert returned.inverse is inverse and returned.info is info
        out = lib.empty(0, dtype=lib.float64)
        assert lib.linalg.solve_triangular(lib.tensor(a), lib.tensor(b), upper=True, out=out) is out
        np.testing.assert_allclose(out.numpy(), torch.linalg.solve_triangular(torch.tensor(a), torch.tensor(b),
                                                                              upper=True).numpy(), rtol=1e-10)


# ---------------------------------------------------------------- eig, eigvals
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_eig_values_unit_vectors_and_gauge_invariant_gradients(dtype):
    a = random(2, 4, 4, dtype=dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-9
    (w, v), (w2, v2) = (lib.linalg.eig(lib.tensor(a)) for lib in LIBS)
    assert type(w2).__name__ == "Tensor" and w2.dtype.name == str(w.dtype).replace("torch.", "")
    np.testing.assert_allclose(w2.numpy(), w.numpy(), rtol=tol, atol=tol)
    # (each eigenvector is PyTorch's up to its sign or phase, which MKL's geev and NumPy's pick differently)
    np.testing.assert_allclose(np.abs(v2.numpy()), np.abs(v.numpy()), rtol=tol * 10, atol=tol * 10)
    assert_same(lambda lib: lib.linalg.eigvals(lib.tensor(a)), tol=tol)
    if dtype != np.float32:
        weights = random(2, 4), random(2, 4, 4)
        gradients_match(lambda lib, x: (lib.linalg.eig(x).eigenvalues.real * lib.tensor(weights[0])
                                        + lib.linalg.eigvals(x).imag,
                                        lib.linalg.eig(x).eigenvectors.abs() ** 2), [a], tol=1e-6)


def test_eig_errors():
    nan = np.array([[1.0, np.nan], [0, 1]])
    for name in ("eig", "eigvals"):
        assert_same(lambda lib: getattr(lib.linalg, name)(lib.ones(2, 3)))
        assert_same(lambda lib: getattr(lib.linalg, name)(lib.ones(3)))
        assert_same(lambda lib: getattr(lib.linalg, name)(lib.eye(3).int()))
        assert_same(lambda lib: getattr(lib.linalg, name)(lib.eye(3).half()))
    assert_same(lambda lib: lib.linalg.eig(lib.tensor(nan)))
    assert_same(lambda lib: lib.linalg.eig(lib.zeros(0, 3, 3)))


# ---------------------------------------------------------------- geqrf, householder_product / orgqr, ormqr
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 4), (3, 3), (0, 2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128])
def test_geqrf_and_householder_products(shape, dtype):
    a = random(*shape, dtype=dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-9
    requires_grad = dtype != np.complex128  # (PyTorch refuses a complex geqrf requiring grad: checked below)
    assert_same(lambda lib: lib.geqrf(lib.tensor(a, requires_grad=requires_grad)), tol=tol, strides=True)
    packed, tau = (t.numpy() for t in torch.geqrf(torch.tensor(a)))
    if shape[-2] >= shape[-1]:
        assert_same(lambda lib: lib.linalg.householder_product(lib.tensor(packed, requires_grad=True),
                                                               lib.tensor(tau)), tol=tol)
        assert_same(lambda lib: lib.tensor(packed).orgqr(lib.tensor(tau)), tol=tol)
    for left in (True, False):
        for transpose in (True, False):
            other = random(*shape[:-2], shape[-2], 2, dtype=dtype)
            other = other if left else np.swapaxes(other, -1, -2).copy()
            assert_same(lambda lib: lib.ormqr(lib.tensor(packed, requires_grad=True), lib.tensor(tau),
                                              lib.tensor(other), left, transpose), tol=tol)
            if dtype == np.float64 and shape[-2] >= shape[-1]:
                gradients_match(lambda lib, p, t, c: lib.ormqr(p, t, c, left, transpose), [packed, tau, other])
    if dtype == np.float64 and shape[-2] >= shape[-1]:
        gradients_match(lambda lib, p, t: lib.linalg.householder_product(p, t), [packed, tau])


def test_householder_errors():
    packed, tau = (t.numpy() for t in torch.geqrf(torch.tensor(random(2, 4, 3))))
    other = random(2, 4, 2)
    calls = [
        lambda lib: lib.geqrf(lib.ones(3)), lambda lib: lib.geqrf(lib.ones(3, 3).int()),
        lambda lib: lib.geqrf(lib.tensor(random(3, 3, dtype=np.complex128), requires_grad=True)),
        lambda lib: lib.linalg.householder_product(lib.tensor(packed), lib.tensor(random(2, 4))),
        lambda lib: lib.linalg.householder_product(lib.tensor(packed).mT, lib.tensor(tau)),
        lambda lib: lib.linalg.householder_product(lib.tensor(packed), lib.tensor(tau).float()),
        lambda lib: lib.linalg.householder_product(lib.tensor(packed[0, 0]), lib.tensor(tau)),
        lambda lib: lib.linalg.householder_product(lib.tensor(packed), lib.tensor(tau[0])),
        lambda lib: lib.linalg.householder_product(lib.tensor(packed), lib.tensor(tau[:1])),
        lambda lib: lib.linalg.householder_product(lib.tensor(packed).int(), lib.tensor(tau).int()),
        lambda lib: lib.ormqr(lib.tensor(packed), lib.tensor(tau), lib.tensor(other[:, :3])),
        lambda lib: lib.ormqr(lib.tensor(packed), lib.tensor(tau), lib.tensor(other).float()),
        lambda lib: lib.ormqr(lib.tensor(packed), lib.tensor(tau).float(), lib.tensor(other)),
        lambda lib: lib.ormqr(lib.tensor(packed), lib.tensor(tau[:1]), lib.tensor(other)),
        lambda lib: lib.ormqr(lib.tensor(packed), lib.tensor(tau), lib.tensor(other), False),
        lambda lib: lib.ormqr(lib.tensor(packed), lib.tensor(tau), lib.tensor(other[0])),
        lambda lib: lib.ormqr(lib.tensor(packed), lib.tensor(tau), lib.tensor(other[:1])),
        lambda lib: lib.ormqr(lib.tensor(packed[:, :, :2]), lib.tensor(tau), lib.tensor(other)),
        lambda lib: lib.ormqr(lib.tensor(packed).int(), lib.tensor(tau).int(), lib.tensor(other).int()),
    ]
    for call in calls:
        assert_same(call)
