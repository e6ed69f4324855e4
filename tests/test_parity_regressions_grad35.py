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
    """A leaf of ``array``'s values, C-contiguous or ("T") the transpose of a C-contiguous tensor."""
    if dtype == "float64" and array.dtype.kind == "c":
        dtype = "complex128"
    if layout == "T":
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
            [None if g is None else (g.detach().numpy(), g.stride(), grad_fn_chain(g, 4)) for g in grads])


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
