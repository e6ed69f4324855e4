"""Parity regressions of session 33's grad33: gradients' remaining gaps (bilinear's second order, det's 1x1 and
complex gradients, ravel of a strided view, pdist's empty result)."""
import numpy as np
import pytest

import torchless


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _grad_fn_chain(tensor, depth=6):
    """The names of the first ``depth`` nodes of a tensor's graph along each node's first input."""
    names, node = [], tensor.grad_fn
    while node is not None and len(names) < depth:
        names.append(node.name())
        inputs = [f for f, _ in node.next_functions if f is not None]
        node = inputs[0] if inputs else None
    return names


# ------------------------------------------------------------------ F.bilinear's second order


def _bilinear_second_order(lib, shape1, shape2, bias, first):
    """The first-order gradients' graphs and the second-order gradients (values, strides, graphs) of
    sum(g * g) for the first-order gradients ``g`` of sum(y * y) wrt the inputs ``first``."""
    x1 = lib.tensor(np.random.default_rng(1).standard_normal(shape1), requires_grad=True)
    x2 = lib.tensor(np.random.default_rng(2).standard_normal(shape2), requires_grad=True)
    w = lib.tensor(np.random.default_rng(3).standard_normal((2, shape1[-1], shape2[-1])), requires_grad=True)
    b = lib.tensor(np.random.default_rng(4).standard_normal(2), requires_grad=True) if bias else None
    y = lib.nn.functional.bilinear(x1, x2, w, b)
    inputs = (x1, x2, w)
    grads = lib.autograd.grad((y * y).sum(), [inputs[i] for i in first], create_graph=True)
    second = lib.autograd.grad(sum((g * g).sum() for g in grads), inputs, create_graph=True)
    return ([_grad_fn_chain(g) for g in grads], _grad_fn_chain(y),
            [(g.detach().numpy(), g.stride(), _grad_fn_chain(g)) for g in second])


@pytest.mark.parametrize("shape1,shape2", [((3, 4), (3, 5)), ((4,), (5,)), ((2, 3, 4), (2, 3, 5))])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("first", [(0,), (1,), (2,), (0, 1, 2)])
def test_bilinear_second_order_gradients_meet_at_the_inputs_rows_as_torch(torch, shape1, shape2, bias, first):
    # PyTorch's bilinear records views of its inputs as rows, _trilinear, and a view: the second-order gradient
    # of an input adds its parts at its rows' view (ViewBackward0 of AddBackward0), not after the view
    ours = _bilinear_second_order(torchless, shape1, shape2, bias, first)
    theirs = _bilinear_second_order(torch, shape1, shape2, bias, first)
    assert ours[:2] == theirs[:2]
    for (value, stride, chain), (expected, expected_stride, expected_chain) in zip(ours[2], theirs[2]):
        np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)
        assert (stride, chain) == (expected_stride, expected_chain)


def test_bilinear_second_order_matches_finite_differences():
    # d/dx1 of sum(g2 * g2), g2 = bilinear's gradient wrt x2 = sum_o gy[o] W[o]^T x1: an independent float64 check
    rng = np.random.default_rng(5)
    x1s, x2s, ws = rng.standard_normal((3, 4)), rng.standard_normal((3, 5)), rng.standard_normal((2, 4, 5))

    def loss(x1_values):
        x1 = torchless.tensor(x1_values, requires_grad=True)
        x2 = torchless.tensor(x2s, requires_grad=True)
        y = torchless.nn.functional.bilinear(x1, x2, torchless.tensor(ws))
        g2, = torchless.autograd.grad((y * y).sum(), x2, create_graph=True)
        return x1, (g2 * g2).sum()

    x1, value = loss(x1s)
    analytic, = torchless.autograd.grad(value, x1)
    numeric = np.zeros_like(x1s)
    for index in np.ndindex(x1s.shape):
        step = np.zeros_like(x1s)
        step[index] = 1e-6
        numeric[index] = (loss(x1s + step)[1].item() - loss(x1s - step)[1].item()) / 2e-6
    np.testing.assert_allclose(analytic.numpy(), numeric, rtol=1e-6, atol=1e-6)


def test_bilinear_without_gradients_keeps_its_values(torch):
    rng = np.random.default_rng(6)
    x1, x2, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 5)), rng.standard_normal((2, 4, 5))
    for dtype in ("float32", "float64"):
        ours = torchless.nn.functional.bilinear(*(torchless.tensor(a, dtype=getattr(torchless, dtype))
                                                  for a in (x1, x2, w)))
        theirs = torch.nn.functional.bilinear(*(torch.tensor(a, dtype=getattr(torch, dtype)) for a in (x1, x2, w)))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-5 if dtype == "float32" else 1e-13)
        assert ours.grad_fn is None and ours.stride() == theirs.stride()
    expected = np.einsum("ni,oij,nj->no", x1, w, x2)
    np.testing.assert_allclose(torchless.nn.functional.bilinear(*map(torchless.tensor, (x1, x2, w))).numpy(),
                               expected, rtol=1e-12)


# ------------------------------------------------------------------ det: 1x1 matrices, complex matrices


def _det_1x1_gradients(lib, dtype, create_graph):
    a = lib.tensor([[[2.5]], [[-1.0]]], dtype=getattr(lib, dtype), requires_grad=True)
    d = lib.linalg.det(a)
    loss = (d * d).sum()
    if dtype.startswith("complex"):
        loss = loss.abs()
    g, = lib.autograd.grad(loss if create_graph else d.sum().real, a, create_graph=create_graph)
    result = [g.detach().numpy(), g.stride(), _grad_fn_chain(g, 4)]
    if create_graph:
        gg, = lib.autograd.grad(g.abs().sum(), a)
        result += [gg.numpy(), gg.stride()]
    return result


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_det_of_1x1_matrices_passes_the_gradient_on_as_torch(torch, dtype, create_graph):
    # d det/dA = 1: PyTorch's gradient is grad.unsqueeze(-1).unsqueeze(-1).expand_as(A), a sum's gradient keeping
    # its stride 0 (and no graph: a second backward has nothing to differentiate)
    ours, theirs = _det_1x1_gradients(torchless, dtype, create_graph), _det_1x1_gradients(torch, dtype, create_graph)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    assert ours[2] == theirs[2]
    if create_graph or dtype == "float64":  # (a complex sum's gradient is made contiguous: see the report)
        assert ours[1] == theirs[1]
    if create_graph:
        np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-12)
        assert ours[4] == theirs[4]
        np.testing.assert_allclose(ours[3].real.ravel(), [2.0, -2.0])  # d|2 det|/dA = 2 sign(det)


def test_det_of_a_1x1_matrix_has_no_second_derivative(torch):
    def run(lib):
        a = lib.tensor([[3.0]], requires_grad=True)
        g, = lib.autograd.grad(lib.linalg.det(a), a, create_graph=True)
        with pytest.raises(RuntimeError) as caught:
            lib.autograd.grad(g.sum(), a)
        return g.requires_grad, g.stride(), str(caught.value)
    assert run(torchless) == run(torch)


COMPLEX_MATRICES = {
    "3x3": np.array([[1 + 2j, 0.5 - 1j, 0.3], [0.2j, 2 - 1j, 1], [1, 1j, -1 + 0.5j]]),
    "batch": (np.random.default_rng(7).standard_normal((2, 3, 3))
              + 1j * np.random.default_rng(8).standard_normal((2, 3, 3))),
    "2x2": np.array([[1 + 1j, 2], [0.5j, -1 + 0.25j]]),
}


@pytest.mark.parametrize("name", sorted(COMPLEX_MATRICES))
def test_complex_det_gradient_is_torchs_solve(torch, name):
    # PyTorch's create_graph formula is linalg.solve(A^H, diag(grad conj(det))): a LinalgSolveExBackward0 (not a
    # conjugate of the real formula's), with its values, strides and second derivative
    def run(lib):
        a = lib.tensor(COMPLEX_MATRICES[name], requires_grad=True)
        d = lib.linalg.det(a)
        loss = (d * d.conj()).real.sum()
        first, = lib.autograd.grad(loss, a, retain_graph=True)
        g, = lib.autograd.grad(loss, a, create_graph=True)
        gg, = lib.autograd.grad((g.conj() * g).real.sum(), a)
        return first.numpy(), first.stride(), g.detach().numpy(), g.stride(), g.grad_fn.name(), gg.numpy(), gg.stride()
    ours, theirs = run(torchless), run(torch)
    for position in (0, 2, 5):
        np.testing.assert_allclose(ours[position], theirs[position], rtol=1e-10, atol=1e-12)
    assert (ours[1], ours[3], ours[4], ours[6]) == (theirs[1], theirs[3], theirs[4], theirs[6])


def test_complex_det_gradient_matches_finite_differences():
    # |det A|^2's gradient in PyTorch's convention is d/dRe + i d/dIm: an independent float64 check
    a0 = COMPLEX_MATRICES["3x3"]
    a = torchless.tensor(a0, requires_grad=True)
    d = torchless.linalg.det(a)
    g, = torchless.autograd.grad((d * d.conj()).real.sum(), a)
    numeric = np.zeros_like(a0)
    for index in np.ndindex(a0.shape):
        for unit in (1, 1j):
            step = np.zeros_like(a0)
            step[index] = 1e-6 * unit
            change = abs(np.linalg.det(a0 + step)) ** 2 - abs(np.linalg.det(a0 - step)) ** 2
            numeric[index] += unit * change / 2e-6
    np.testing.assert_allclose(g.numpy(), numeric, rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------ ravel, pdist


@pytest.mark.parametrize("view", ["contiguous", "step", "transposed", "columns", "rows"])
def test_ravel_is_a_view_of_a_contiguous_tensor(torch, view):
    # PyTorch's ravel is contiguous().view(-1): stride 1 always, a copy (CloneBackward0) of a strided input
    def run(lib):
        x = lib.tensor(np.arange(12.0), requires_grad=True)
        source = {"contiguous": lambda: x, "step": lambda: x[::2], "transposed": lambda: x.reshape(3, 4).t(),
                  "columns": lambda: x.reshape(3, 4)[:, 1:3], "rows": lambda: x.reshape(3, 4)[:2]}[view]()
        flat = source.ravel()
        flat_function = lib.ravel(source)
        g, = lib.autograd.grad((flat * flat).sum(), x)
        return (flat.tolist(), flat.stride(), flat._is_view(), flat._base is x, _grad_fn_chain(flat),
                flat_function.stride(), g.tolist())
    assert run(torchless) == run(torch)


def test_ravel_of_an_integer_view(torch):
    def run(lib):
        flat = lib.arange(12).reshape(3, 4)[:, ::2].ravel()
        return flat.tolist(), flat.stride()
    assert run(torchless) == run(torch)
    assert run(torchless)[0] == [0, 2, 4, 6, 8, 10]


@pytest.mark.parametrize("p", [0, 1, 2, 3, float("inf")])
def test_pdist_of_one_row_is_empty_with_stride_1(torch, p):
    # no pair: an empty result, with PyTorch's contiguous stride (NumPy's empty fancy index gave stride 0)
    def run(lib):
        x = lib.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        y = lib.nn.functional.pdist(x, p)
        g, = lib.autograd.grad(y.sum(), x)
        return tuple(y.shape), y.stride(), lib.pdist(x.detach(), p).stride(), g.stride(), g.tolist()
    assert run(torchless) == run(torch)
    assert run(torchless)[0] == (0,)
