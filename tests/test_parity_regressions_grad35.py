"""Parity regressions of session 35's grad35: gradients of rectangular LU factorisations, column-major results of
degenerate shapes (size-1 and empty matrices), and the graphs, layouts and values of further gradients."""
import numpy as np
import pytest

import torchless
from helpers import grad_fn_chain, numerical_gradients


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _leaf(lib, array, layout="C", dtype="float64"):
    """A leaf of ``array``'s values, C-contiguous or ("T", a matrix) the transpose of a C-contiguous tensor."""
    if dtype == "float64" and array.dtype.kind == "c":
        dtype = "complex128"
    if layout == "T" and array.ndim > 1:
        tensor = lib.tensor(np.ascontiguousarray(np.swapaxes(array, -1, -2)), dtype=getattr(lib, dtype)).mT
    else:
        tensor = lib.tensor(array, dtype=getattr(lib, dtype))
    return tensor.detach().requires_grad_(True)


def _gradients(lib, fn, arrays, layouts, dtype="float64", create_graph=False, seed=7):
    """The output's strides and graph, and the gradients (values, strides, graph) of ``fn(lib, *leaves)`` for a
    random output gradient."""
    leaves = [_leaf(lib, a, layout, dtype) for a, layout in zip(arrays, layouts)]
    out = fn(lib, *leaves)
    rng = np.random.default_rng(seed)
    grad = rng.standard_normal(tuple(out.shape))
    if out.is_complex():
        grad = grad + 1j * rng.standard_normal(tuple(out.shape))
    grads = lib.autograd.grad(out, leaves, lib.tensor(grad, dtype=out.dtype), create_graph=create_graph,
                              allow_unused=True)
    return (out.stride(), grad_fn_chain(out, 2),
            [None if g is None else (g.detach().resolve_conj().numpy(), g.stride(), grad_fn_chain(g, 4))
             for g in grads])


def _assert_same_gradients(ours, theirs, rtol=1e-12, atol=1e-12):
    assert ours[:2] == theirs[:2]
    for mine, expected in zip(ours[2], theirs[2]):
        assert (mine is None) == (expected is None)
        if mine is not None:
            np.testing.assert_allclose(mine[0], expected[0], rtol=rtol, atol=atol)
            assert mine[1:] == expected[1:]


def _second_gradient(lib, fn, arrays, seed=3):
    """d/dA of the sum of squares of the gradient of <fn(A), G> (create_graph=True)."""
    leaves = [_leaf(lib, a) for a in arrays]
    out = fn(lib, *leaves)
    grad = lib.tensor(np.random.default_rng(seed).standard_normal(tuple(out.shape)), dtype=out.dtype)
    first = lib.autograd.grad(out, leaves, grad, create_graph=True)
    return [g.detach().numpy() for g in lib.autograd.grad(sum((g * g).sum() for g in first), leaves)]


RNG = np.random.default_rng(35)


# ------------------------------------------------------------------ rectangular LU: PyTorch's linalg_lu_backward
LU_SHAPES = [(3, 5), (5, 3), (2, 3, 5), (2, 5, 3), (1, 4), (4, 1)]
LU_OUTPUTS = {
    "L": lambda lib, a: lib.linalg.lu(a)[1],
    "U": lambda lib, a: lib.linalg.lu(a)[2],
    "LU": lambda lib, a: lib.linalg.lu(a)[1].sum(-1, keepdim=True) * lib.linalg.lu(a)[2].sum(-2, keepdim=True),
    "lu_factor": lambda lib, a: lib.linalg.lu_factor(a)[0],
}


def _assert_second_derivative(op, array, g):
    """The gradient of |d(g . op(x))/dx|^2 by double backward against central differences of the first gradient."""
    def first(values, create_graph=False):
        leaf = torchless.tensor(values, requires_grad=True)
        grad, = torchless.autograd.grad(op(leaf), leaf, torchless.tensor(g), create_graph=create_graph)
        return leaf, grad

    leaf, grad = first(array, create_graph=True)
    analytic, = torchless.autograd.grad((grad * grad).sum(), leaf)
    numeric = numerical_gradients(lambda arrays: float((first(arrays[0])[1] ** 2).sum()), [array])[0]
    np.testing.assert_allclose(analytic.numpy(), numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("shape", LU_SHAPES)
@pytest.mark.parametrize("output", sorted(LU_OUTPUTS))
@pytest.mark.parametrize("create_graph", [False, True])
def test_rectangular_lu_gradients_are_torchs(torch, shape, output, create_graph):
    # wide and tall factors carry U's (L's) extra block straight through; a factor without a gradient is a block
    # of zeros joined after the triangular solves, as PyTorch's graph shows
    a = RNG.standard_normal(shape)
    ours, theirs = (_gradients(lib, LU_OUTPUTS[output], [a], "T", create_graph=create_graph)
                    for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3)])
@pytest.mark.parametrize("output", ["L", "U", "lu_factor"])
def test_complex_rectangular_lu_gradients_are_torchs(torch, shape, output):
    a = RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)
    ours, theirs = (_gradients(lib, LU_OUTPUTS[output], [a], "C") for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3)])
def test_rectangular_lu_double_backward_is_torchs(torch, shape):
    a = RNG.standard_normal(shape)
    ours, theirs = (_second_gradient(lib, LU_OUTPUTS["LU"], [a]) for lib in (torchless, torch))
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (2, 4)])
@pytest.mark.parametrize("output", ["L", "U", "lu_factor"])
def test_rectangular_lu_gradient_matches_finite_differences(shape, output):
    # the pivots stay put under the small steps of a well-separated matrix
    a = np.random.default_rng(sum(shape)).standard_normal(shape)
    w = np.random.default_rng(1).standard_normal(tuple(LU_OUTPUTS[output](torchless, torchless.tensor(a)).shape))
    fn = LU_OUTPUTS[output]
    loss = lambda arrays: float((fn(torchless, torchless.tensor(arrays[0])) * torchless.tensor(w)).sum())  # noqa: E731
    leaf = torchless.tensor(a, requires_grad=True)
    analytic, = torchless.autograd.grad(LU_OUTPUTS[output](torchless, leaf), leaf, torchless.tensor(w))
    np.testing.assert_allclose(analytic.numpy(), numerical_gradients(loss, [a])[0], rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------ column-major results of degenerate shapes
@pytest.mark.parametrize("shape", [(1, 4), (4, 1), (2, 1, 3), (0, 3), (3, 0), (2, 0, 3), (2, 3, 0), (0, 0)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_factors_of_degenerate_shapes_strided_as_torch(torch, shape, mode):
    # LAPACK's column-major layout counts a size-0 dim as 1, and a size-1 dim has a stride too
    a = np.ones(shape)
    ours, theirs = ([(t.shape, t.stride()) for t in lib.linalg.qr(lib.tensor(a), mode=mode)]
                    for lib in (torchless, torch))
    assert ours == theirs


@pytest.mark.parametrize("shape", [(1, 4), (4, 1), (2, 1, 3), (3, 1, 1)])
def test_lu_factor_of_a_vector_matrix_strided_as_torch(torch, shape):
    a = RNG.standard_normal(shape) + 2
    ours, theirs = (lib.linalg.lu_factor(lib.tensor(a))[0].stride() for lib in (torchless, torch))
    assert ours == theirs


# ------------------------------------------------------------------ mm's gradients laid out as a column-major factor
MM_PRODUCTS = {
    "linear": (lambda lib, x, w, b: lib.nn.functional.linear(x, w, b), [(4, 5), (3, 5), (3,)]),
    "linear_no_bias": (lambda lib, x, w: lib.nn.functional.linear(x, w), [(4, 5), (3, 5)]),
    "addmm": (lambda lib, b, x, y: lib.addmm(b, x, y, beta=0.5, alpha=2), [(3,), (4, 5), (5, 3)]),
    "matmul_folded": (lambda lib, x, y: x @ y, [(2, 4, 5), (5, 3)]),
}


@pytest.mark.parametrize("name", sorted(MM_PRODUCTS))
@pytest.mark.parametrize("layout", ["C", "T"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matrix_product_gradients_laid_out_as_torch(torch, name, layout, dtype):
    # PyTorch's mm_mat1_backward / mm_mat2_backward compute a column-major factor's gradient transposed
    fn, shapes = MM_PRODUCTS[name]
    arrays = [RNG.standard_normal(shape) for shape in shapes]
    ours, theirs = (_gradients(lib, fn, arrays, layout * len(arrays), dtype) for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6)


def test_linear_layer_grad_of_a_transposed_weight_is_torchs(torch):
    # .grad of a column-major weight (a tied or transposed parameter) is laid out as the weight
    x, w = RNG.standard_normal((6, 4)), RNG.standard_normal((4, 3))
    results = []
    for lib in (torchless, torch):
        weight = lib.tensor(w).t().detach().requires_grad_(True)
        inputs = lib.tensor(x.T.copy()).t().detach().requires_grad_(True)
        (lib.nn.functional.linear(inputs, weight) ** 2).sum().backward()
        results.append((weight.grad.stride(), inputs.grad.stride(), weight.grad.numpy(), inputs.grad.numpy()))
    assert results[0][:2] == results[1][:2]
    for mine, expected in zip(results[0][2:], results[1][2:]):
        np.testing.assert_allclose(mine, expected, rtol=1e-12)


def test_linear_gradients_match_the_formula():
    x, w, g = RNG.standard_normal((6, 4)), RNG.standard_normal((3, 4)), RNG.standard_normal((6, 3))
    leaves = [torchless.tensor(x.T.copy()).t().detach().requires_grad_(True),
              torchless.tensor(w.T.copy()).t().detach().requires_grad_(True)]
    gx, gw = torchless.autograd.grad(torchless.nn.functional.linear(*leaves), leaves, torchless.tensor(g))
    np.testing.assert_allclose(gx.numpy(), g @ w, rtol=1e-12)
    np.testing.assert_allclose(gw.numpy(), g.T @ x, rtol=1e-12)


# ------------------------------------------------------------------ SVD-based gradients: one decomposition's node
SINGULAR = {
    "svdvals": lambda lib, a: lib.linalg.svdvals(a),
    "cond": lambda lib, a: lib.linalg.cond(a),
    "cond_nuc": lambda lib, a: lib.linalg.cond(a, "nuc"),
    "matrix_norm_2": lambda lib, a: lib.linalg.matrix_norm(a, 2),
    "matrix_norm_nuc": lambda lib, a: lib.linalg.matrix_norm(a, "nuc"),
    "svd_u": lambda lib, a: lib.linalg.svd(a, full_matrices=False)[0].abs(),
    "svd_vh": lambda lib, a: lib.linalg.svd(a, full_matrices=False)[2].abs(),
}


@pytest.mark.parametrize("name", sorted(SINGULAR))
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_svd_based_double_backward_recorded_as_torch(torch, name, shape, dtype):
    # svdvals of a matrix needing a gradient is output 1 of the reduced SVD's node, whose U and Vh (column-major,
    # as LAPACK writes them) the double backward differentiates through that node, in the input's dtype
    if name == "cond_nuc" and shape[0] != shape[1]:
        pytest.skip("cond's 'nuc' order takes square matrices")
    a = RNG.standard_normal(shape)
    ours, theirs = (_gradients(lib, SINGULAR[name], [a], "C", dtype, create_graph=True) for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs, rtol=1e-4 if dtype == "float32" else 1e-10, atol=1e-5)


def test_svdvals_is_the_svd_nodes_second_output(torch):
    ours, theirs = (lib.linalg.svdvals(lib.tensor(np.eye(3) + 1, requires_grad=True)) for lib in (torchless, torch))
    assert ours.output_nr == theirs.output_nr == 1
    assert ours.grad_fn.name() == theirs.grad_fn.name()


@pytest.mark.parametrize("shape", [(3, 5), (4, 4)])
def test_svdvals_second_derivative_matches_finite_differences(shape):
    # d/dA of |dS/dA . G|^2 by central differences of the first derivative
    a = np.random.default_rng(3).standard_normal(shape)
    g = np.random.default_rng(4).standard_normal(min(shape))

    _assert_second_derivative(lambda x: torchless.linalg.svdvals(x), a, g)


@pytest.mark.parametrize("shape", [(4, 5), (5, 4), (2, 4, 5), (3, 3)])
@pytest.mark.parametrize("full_matrices", [True, False])
def test_svd_factors_are_column_major_as_torch(torch, shape, full_matrices):
    a = RNG.standard_normal(shape)
    ours, theirs = ([t.stride() for t in lib.linalg.svd(lib.tensor(a), full_matrices=full_matrices)]
                    for lib in (torchless, torch))
    assert ours == theirs


@pytest.mark.parametrize("name", ["eigh", "eig"])
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3)])
def test_eigenvectors_are_column_major_as_torch(torch, name, shape):
    a = RNG.standard_normal(shape)
    a = a + np.swapaxes(a, -1, -2)
    ours, theirs = ([t.stride() for t in getattr(lib.linalg, name)(lib.tensor(a))] for lib in (torchless, torch))
    assert ours == theirs


# ------------------------------------------------------------------ complex products: grad * other.conj()
COMPLEX_PRODUCTS = {
    "conj_times_self": lambda lib, a, b: a.conj() * a,
    "product": lambda lib, a, b: a * b,
    "conj_chain": lambda lib, a, b: (a.conj() * 2).conj() * b * a,
}


@pytest.mark.parametrize("name", sorted(COMPLEX_PRODUCTS))
def test_complex_product_double_backward_conjugates_the_factor_as_torch(torch, name):
    # PyTorch's MulBackward0 multiplies by other.conj() (a ConjBackward0 under it), not conj(conj(grad) * other)
    a, b = (RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3)) for _ in range(2))
    ours, theirs = (_gradients(lib, COMPLEX_PRODUCTS[name], [a, b], "CC", create_graph=True)
                    for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs)


def test_complex_product_gradient_is_the_conjugate_wirtinger_one():
    # f = sum(G' * a * b) (G' the conjugate of the output gradient): dL/da* = G conj(b)
    a, b, g = (RNG.standard_normal(3) + 1j * RNG.standard_normal(3) for _ in range(3))
    leaves = [torchless.tensor(a, requires_grad=True), torchless.tensor(b, requires_grad=True)]
    ga, gb = torchless.autograd.grad(leaves[0] * leaves[1], leaves, torchless.tensor(g), create_graph=True)
    np.testing.assert_allclose(ga.detach().numpy(), g * b.conj(), rtol=1e-14)
    np.testing.assert_allclose(gb.detach().numpy(), g * a.conj(), rtol=1e-14)


# ------------------------------------------------------------------ group_norm of a non-contiguous input
@pytest.mark.parametrize("layout", ["T", "channels_last", "sliced_channels_last"])
def test_group_norm_runs_on_a_contiguous_copy_as_torch(torch, layout):
    def fn(lib, x, w, b):
        if layout != "T":
            x = x.to(memory_format=lib.channels_last)
            x = x[:, :, 1:] if layout == "sliced_channels_last" else x
        return lib.nn.functional.group_norm(x, 3, w, b)

    arrays = [RNG.standard_normal((2, 6, 4, 4)), RNG.standard_normal(6), RNG.standard_normal(6)]
    ours, theirs = (_gradients(lib, fn, arrays, "TCC" if layout == "T" else "CCC", create_graph=True)
                    for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs, rtol=1e-10, atol=1e-12)


# ------------------------------------------------------------------ complex cholesky_inverse: PyTorch's one node
def _complex_cholesky_factor(rng):
    """A complex lower Cholesky factor: a real positive diagonal (LAPACK's potri reads the diagonal's real part)."""
    return np.tril(rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3)), -1) + np.diag(rng.random(3) + 2)


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("layout", ["C", "T"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_complex_cholesky_inverse_recorded_as_torch(torch, upper, layout, create_graph):
    # one CholeskyInverseBackward0 reading the factor, its formula (grad + grad^H between two inverses) for every
    # dtype, complex ones too
    lower = _complex_cholesky_factor(np.random.default_rng(11))
    factor = lower.conj().T.copy() if upper else lower
    fn = lambda lib, f: lib.cholesky_inverse(f, upper)  # noqa: E731
    ours, theirs = (_gradients(lib, fn, [factor], layout, create_graph=create_graph) for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs, rtol=1e-11, atol=1e-12)


def test_complex_cholesky_inverse_gradient_matches_finite_differences():
    # the conjugate Wirtinger gradient of the real loss Re<G, f(L)>: d/dRe L + i d/dIm L
    rng = np.random.default_rng(12)
    lower = _complex_cholesky_factor(rng)
    g = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))

    def loss(arrays):
        inverse = torchless.cholesky_inverse(torchless.tensor(arrays[0] + 1j * arrays[1])).numpy()
        return float(np.real(np.sum(np.conj(g) * inverse)))

    leaf = torchless.tensor(lower, requires_grad=True)
    analytic, = torchless.autograd.grad(torchless.cholesky_inverse(leaf), leaf, torchless.tensor(g))
    d_real, d_imag = numerical_gradients(loss, [lower.real.copy(), lower.imag.copy()])
    np.testing.assert_allclose(analytic.numpy(), d_real + 1j * d_imag, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------ in-place writes into views of views
def _nested_writes(lib, x, y):
    b = x * 1
    b[1:3][:, 2].mul_(y)
    b.t()[2:4][1, 1:3].add_(y)
    b.diagonal()[:2].mul_(y)
    return b


@pytest.mark.parametrize("layout", ["C", "T"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_copy_slices_gradient_is_strided_as_the_base(torch, layout, dtype):
    # CopySlices writes the base's gradient into a tensor of the base's strides (a transposed base's: column-major)
    arrays = [RNG.standard_normal((4, 6)), RNG.standard_normal(2)]
    ours, theirs = (_gradients(lib, _nested_writes, arrays, layout + "C", dtype) for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6)


def test_copy_slices_gradient_matches_finite_differences():
    x, y, w = RNG.standard_normal((4, 6)), RNG.standard_normal(2), RNG.standard_normal((4, 6))
    loss = lambda arrays: float((_nested_writes(torchless, *map(torchless.tensor, arrays)) *  # noqa: E731
                                 torchless.tensor(w)).sum())
    leaves = [torchless.tensor(a, requires_grad=True) for a in (x, y)]
    analytic = torchless.autograd.grad(_nested_writes(torchless, *leaves), leaves, torchless.tensor(w))
    for got, expected in zip(analytic, numerical_gradients(loss, [x, y])):
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------ layouts and node names of further gradients
FURTHER = {
    "rot90": (lambda lib, x: x.rot90(1, (0, 1)) * x.rot90(1, (0, 1)), [(4, 4)]),
    "rot90_twice": (lambda lib, x: x.rot90(2, (1, 0)) * x, [(4, 4)]),
    "rot90_back": (lambda lib, x: x.rot90(-1, (0, 1)), [(3, 5)]),
    "rot90_half_turn": (lambda lib, x: x.rot90(2, (0, 1)), [(3, 5)]),
    "index_add": (lambda lib, x, y: x.index_add(1, lib.tensor([0, 2, 2]), y), [(4, 5), (4, 3)]),
    "index_copy": (lambda lib, x, y: x.index_copy(1, lib.tensor([0, 2, 3]), y), [(4, 5), (4, 3)]),
    "clamp_tensor": (lambda lib, x, low: x.clamp(min=low), [(4, 5), (4, 5)]),
    "clamp_both": (lambda lib, x, low, high: x.clamp(low, high + 1), [(4, 5), (4, 5), (4, 5)]),
    "pdist": (lambda lib, x: lib.nn.functional.pdist(x), [(4, 5)]),
    "margin_ranking": (lambda lib, x, y: lib.nn.functional.margin_ranking_loss(x, y, lib.ones(4, 5, dtype=x.dtype),
                                                                               margin=0.3), [(4, 5), (4, 5)]),
    "triplet": (lambda lib, x, y, z: lib.nn.functional.triplet_margin_loss(x, y, z), [(4, 5), (4, 5), (4, 5)]),
    "take_along_dim": (lambda lib, x: lib.take_along_dim(x, lib.tensor([[0, 2], [4, 1], [3, 3], [1, 0]]), 1),
                       [(4, 5)]),
    "take_along_dim_broadcast": (lambda lib, x: lib.take_along_dim(x, lib.tensor([[0, 2]]), 1), [(4, 5)]),
    "logaddexp": (lambda lib, x, y: lib.logaddexp(x, y), [(4, 5), (4, 5)]),
    "logaddexp2": (lambda lib, x, y: lib.logaddexp2(x, y), [(4, 5), (5,)]),
}


@pytest.mark.parametrize("name", sorted(FURTHER))
@pytest.mark.parametrize("layout", ["C", "T"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_further_gradients_laid_out_and_recorded_as_torch(torch, name, layout, create_graph):
    # rot90's gradient turned back by its own composition (no negative strides), index_add/index_copy's source
    # gradient an index_select, clamp's where() laid out as its mask, pdist on a contiguous copy, the losses'
    # margins added as add.Scalar (AddBackward1), as logaddexp's 1 + exp(b - a); take_along_dim's broadcast_to
    # (an ExpandBackward0 even to the same shape)
    if name == "pdist" and create_graph:
        pytest.skip("the inputs PdistBackwardBackward0 lists are in another order here (left alone)")
    fn, shapes = FURTHER[name]
    arrays = [RNG.standard_normal(shape) for shape in shapes]
    ours, theirs = (_gradients(lib, fn, arrays, layout * len(arrays), create_graph=create_graph)
                    for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3, -1])
def test_rot90_gradient_matches_finite_differences(k):
    x, w = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 3) if k % 2 else (3, 4))
    loss = lambda arrays: float((torchless.tensor(arrays[0]).rot90(k) * torchless.tensor(w)).sum())  # noqa: E731
    leaf = torchless.tensor(x, requires_grad=True)
    analytic, = torchless.autograd.grad(leaf.rot90(k), leaf, torchless.tensor(w))
    assert all(s > 0 for s in analytic.stride())
    np.testing.assert_allclose(analytic.numpy(), numerical_gradients(loss, [x])[0], rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------ solve_triangular's B gradient, std/var graphs
@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("left", [False, True])
@pytest.mark.parametrize("unitriangular", [False, True])
def test_solve_triangular_b_gradient_is_column_major_as_torch(torch, upper, left, unitriangular):
    # B's gradient is itself a triangular solve, written column by column as LAPACK's trsm writes it
    def fn(lib, a, b):
        a = (a.triu() if upper else a.tril()) + 3 * lib.eye(4, dtype=a.dtype)
        return lib.linalg.solve_triangular(a, b, upper=upper, left=left, unitriangular=unitriangular)

    arrays = [RNG.standard_normal((4, 4)), RNG.standard_normal((4, 2) if left else (2, 4))]
    ours, theirs = (_gradients(lib, fn, arrays, "CC") for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs, rtol=1e-11, atol=1e-12)


SPREADS = {
    "std": lambda lib, x: x.std(1),
    "std_all": lambda lib, x: x.std(),
    "std_keepdim": lambda lib, x: x.std(0, keepdim=True),
    "var": lambda lib, x: x.var(1, correction=0),
    "std_of_constant_rows": lambda lib, x: (x * lib.tensor([[1.0], [0.0], [1.0], [0.0]], dtype=x.dtype)).std(1),
}


@pytest.mark.parametrize("name", sorted(SPREADS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_std_and_var_double_backward_recorded_as_torch(torch, name, dtype):
    # std_backward: (grad / (result * 2)).masked_fill_(result == 0, 0); var_backward: (2 / dof) * grad, numbers
    # times tensors as mul.Scalar (MulBackward1)
    x = RNG.standard_normal((4, 5))
    ours, theirs = (_gradients(lib, SPREADS[name], [x], "C", dtype, create_graph=True) for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6)


def test_std_second_derivative_matches_finite_differences():
    x, g = RNG.standard_normal((3, 4)), RNG.standard_normal(3)

    _assert_second_derivative(lambda x: x.std(1), x, g)


# ------------------------------------------------------------------ inv: -Y^H (dY Y^H), complex matrices too
@pytest.mark.parametrize("name", ["inv", "matrix_power"])
@pytest.mark.parametrize("kind", ["real", "complex"])
def test_inverse_double_backward_recorded_as_torch(torch, name, kind):
    fn = (lambda lib, a: lib.linalg.inv(a)) if name == "inv" else (lambda lib, a: lib.linalg.matrix_power(a, -2))
    a = RNG.standard_normal((4, 4)) + 2 * np.eye(4)
    if kind == "complex":
        a = a + 1j * RNG.standard_normal((4, 4))
    ours, theirs = (_gradients(lib, fn, [a], "C", create_graph=True) for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs, rtol=1e-10, atol=1e-12)


def test_inverse_second_derivative_matches_finite_differences():
    a, g = RNG.standard_normal((3, 3)) + 3 * np.eye(3), RNG.standard_normal((3, 3))

    _assert_second_derivative(lambda x: torchless.linalg.inv(x), a, g)
