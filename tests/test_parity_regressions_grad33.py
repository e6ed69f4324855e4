"""Parity regressions of session 33's grad33: gradients' remaining gaps (bilinear's second order, det's 1x1 and
complex gradients, ravel of a strided view, pdist's empty result)."""
import numpy as np
import pytest

import torchless
from helpers import grad_fn_chain, numerical_gradients


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


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
    return ([grad_fn_chain(g) for g in grads], grad_fn_chain(y),
            [(g.detach().numpy(), g.stride(), grad_fn_chain(g)) for g in second])


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
    numeric, = numerical_gradients(lambda arrays: loss(arrays[0])[1].item(), [x1s])
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
    result = [g.detach().numpy(), g.stride(), grad_fn_chain(g, 4)]
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
        return (flat.tolist(), flat.stride(), flat._is_view(), flat._base is x, grad_fn_chain(flat),
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


# ------------------------------------------------------------------ layouts of gradients


def _laid_out(lib, array, layout):
    if layout == "T":
        return lib.tensor(np.ascontiguousarray(np.swapaxes(array, -1, -2))).transpose(-1, -2)
    if layout == "CL":
        return lib.tensor(array).contiguous(memory_format=lib.channels_last)
    if layout == "CL3":
        return lib.tensor(array).contiguous(memory_format=lib.channels_last_3d)
    return lib.tensor(array)


@pytest.mark.parametrize("dim", [2, 3])
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("input_layout,weight_gradient_layout,output_gradient_layout",
                         [("C", "C", "C"), ("CL", "C", "C"), ("C", "CL", "C"), ("C", "C", "CL"), ("CL", "CL", "CL")])
def test_conv_input_gradient_through_the_weight_gradient_laid_out_as_torch(torch, dim, transposed, input_layout,
                                                                           weight_gradient_layout,
                                                                           output_gradient_layout):
    # PyTorch's double backward gives the input the convolution of the output gradient by the weight gradient's
    # gradient: channels-last when either of those suggests it (not the forward input's layout); volumes in
    # float64 go through the slow 3-D kernels, contiguous
    def run(lib):
        rng = np.random.default_rng(0)
        suffix = "" if dim == 2 else "3"
        x = _laid_out(lib, rng.standard_normal((2, 4) + (5,) * dim), input_layout.replace("CL", "CL" + suffix))
        x.requires_grad_()
        w = lib.tensor(rng.standard_normal(((4, 3) if transposed else (3, 4)) + (3,) * dim), requires_grad=True)
        conv = getattr(lib.nn.functional, ("conv_transpose%dd" if transposed else "conv%dd") % dim)
        y = conv(x, w, stride=2) if transposed else conv(x, w, padding=1, stride=2)
        gy = _laid_out(lib, rng.standard_normal(tuple(y.shape)), output_gradient_layout.replace("CL", "CL" + suffix))
        gw, = lib.autograd.grad(y, w, gy, create_graph=True)
        r = _laid_out(lib, rng.standard_normal(tuple(gw.shape)), weight_gradient_layout.replace("CL", "CL" + suffix))
        gx, = lib.autograd.grad((gw * r).sum(), x)
        return gx.numpy(), gx.stride()
    ours, theirs = run(torchless), run(torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, atol=1e-12)
    assert ours[1] == theirs[1]


def test_conv_input_gradient_through_the_weight_gradient_matches_finite_differences():
    # d/dx sum(dW * r), dW = conv2d's weight gradient for gy: an independent float64 check, channels-last input
    rng = np.random.default_rng(4)
    xs, gys, r = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((1, 3, 3, 3)), rng.standard_normal((3, 2, 3, 3))

    def loss(x_values):
        x = torchless.tensor(x_values).contiguous(memory_format=torchless.channels_last).requires_grad_()
        w = torchless.tensor(np.ones((3, 2, 3, 3)), requires_grad=True)
        gw, = torchless.autograd.grad(torchless.nn.functional.conv2d(x, w), w, torchless.tensor(gys),
                                      create_graph=True)
        return x, (gw * torchless.tensor(r)).sum()

    x, value = loss(xs)
    analytic, = torchless.autograd.grad(value, x)
    numeric, = numerical_gradients(lambda arrays: loss(arrays[0])[1].item(), [xs])
    np.testing.assert_allclose(analytic.numpy(), numeric, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("exponent_shape", [(2, 3, 4, 5), (1, 3, 1, 1), (5,)])
@pytest.mark.parametrize("base_layout,exponent_layout", [("C", "CL"), ("CL", "C"), ("CL", "T"), ("C", "T")])
@pytest.mark.parametrize("gradient", ["C", "CL", "sum"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_pow_gradients_laid_out_as_torch(torch, exponent_shape, base_layout, exponent_layout, gradient, create_graph):
    # the base's gradient by a tensor exponent is pow_backward_self's where(exponent == 0, 0, grad * ...): the
    # exponent's layout leads; the exponent's is grad * where(...), grad's
    rng = np.random.default_rng(1)
    base, exponent = np.abs(rng.standard_normal((2, 3, 4, 5))) + 0.3, rng.standard_normal(exponent_shape)
    output_gradient = rng.standard_normal((2, 3, 4, 5))

    def run(lib):
        a = _laid_out(lib, base, base_layout).requires_grad_()
        b = _laid_out(lib, exponent, exponent_layout if len(exponent_shape) == 4 else "C").requires_grad_()
        y = a ** b
        if gradient == "sum":
            grads = lib.autograd.grad(y.sum(), (a, b), create_graph=create_graph)
        else:
            grads = lib.autograd.grad(y, (a, b), _laid_out(lib, output_gradient, gradient), create_graph=create_graph)
        return [(g.detach().numpy(), g.stride()) for g in grads]

    for (value, stride), (expected, expected_stride) in zip(run(torchless), run(torch)):
        np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)
        assert stride == expected_stride


def test_pow_gradients_match_the_formula():
    a, b = np.array([[0.5, 2.0], [1.5, 3.0]]), np.array([[2.0, -1.0], [0.0, 0.5]])
    at, bt = torchless.tensor(a, requires_grad=True), torchless.tensor(b, requires_grad=True)
    ga, gb = torchless.autograd.grad((at ** bt).sum(), (at, bt))
    np.testing.assert_allclose(ga.numpy(), b * a ** (b - 1), rtol=1e-14)
    np.testing.assert_allclose(gb.numpy(), a ** b * np.log(a), rtol=1e-14)


BINARY_OPS = ["fmax", "fmin", "atan2", "hypot", "logaddexp", "logaddexp2", "copysign", "xlogy"]


@pytest.mark.parametrize("op", BINARY_OPS)
@pytest.mark.parametrize("layouts", ["CT", "TC", "TT"])
@pytest.mark.parametrize("gradient", ["C", "T", "sum"])
@pytest.mark.parametrize("other_shape", [(4, 3), (3,)])
@pytest.mark.parametrize("create_graph", [False, True])
def test_binary_gradients_laid_out_and_recorded_as_torch(torch, op, layouts, gradient, other_shape, create_graph):
    # each gradient laid out as PyTorch's formula computes it (masked_fill's C-ordered copy for fmax/fmin, xlogy's
    # self; grad * other * recip for atan2, ...), recorded by its nodes (MaskedFillBackward0, DivBackward0, a
    # constant zeros for copysign's other)
    rng = np.random.default_rng(2)
    first, second = rng.standard_normal((4, 3)), np.abs(rng.standard_normal(other_shape)) + 0.1
    output_gradient = rng.standard_normal((4, 3))

    def run(lib):
        a = _laid_out(lib, first, layouts[0]).requires_grad_()
        b = _laid_out(lib, second, layouts[1] if len(other_shape) == 2 else "C").requires_grad_()
        y = getattr(lib, op)(a, b)
        if gradient == "sum":
            grads = lib.autograd.grad(y.sum(), (a, b), create_graph=create_graph)
        else:
            gy = _laid_out(lib, output_gradient, gradient).requires_grad_(create_graph)
            grads = lib.autograd.grad(y, (a, b), gy, create_graph=create_graph)
        return [(g.detach().numpy(), g.stride(), None if g.grad_fn is None else g.grad_fn.name()) for g in grads]

    for (value, stride, name), (expected, expected_stride, expected_name) in zip(run(torchless), run(torch)):
        np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)
        assert (stride, name) == (expected_stride, expected_name)


def test_binary_gradients_match_their_formulas():
    a, b = np.array([[0.5, -2.0], [1.5, 3.0]]), np.array([[2.0, 1.0], [0.25, 0.5]])
    at, bt = torchless.tensor(a, requires_grad=True), torchless.tensor(b, requires_grad=True)
    expected = {"atan2": (b / (a * a + b * b), -a / (a * a + b * b)),
                "logaddexp": (1 / (1 + np.exp(b - a)), 1 / (1 + np.exp(a - b))),
                "fmax": (a >= b, a < b), "xlogy": (np.log(b), a / b)}
    for op, (da, db) in expected.items():
        ga, gb = torchless.autograd.grad(getattr(torchless, op)(at, bt).sum(), (at, bt))
        np.testing.assert_allclose(ga.numpy(), da, rtol=1e-14)
        np.testing.assert_allclose(gb.numpy(), db, rtol=1e-14)


@pytest.mark.parametrize("mask,is_causal", [(None, False), ("bool", False), ("dead", False), (None, True)])
@pytest.mark.parametrize("scale", [None, -0.5])
def test_attention_records_torchs_math_graph(torch, mask, is_causal, scale):
    # PyTorch's math kernel: the query and the key's transpose each scaled by the factor's square root (Scalar
    # products, MulBackward1; the query's negated for a negative factor), _safe_softmax (SafeSoftmaxBackward0)
    rng = np.random.default_rng(3)
    arrays = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 4))
    keep = rng.standard_normal((3, 5)) > -0.5
    if mask == "dead":
        keep[1] = False  # (a row attending to nothing: zeros, not NaN)

    def run(lib):
        q, k, v = (lib.tensor(a, requires_grad=True) for a in arrays)
        attn_mask = None if mask is None else lib.tensor(keep)
        y = lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal,
                                                           scale=scale)
        grads = lib.autograd.grad((y * y).sum(), (q, k, v), create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), (q, k, v))
        return (y.detach().numpy(), grad_fn_chain(y, 8), [g.detach().numpy() for g in grads],
                [grad_fn_chain(g, 5) for g in grads], [g.numpy() for g in second])

    ours, theirs = run(torchless), run(torch)
    assert (ours[1], ours[3]) == (theirs[1], theirs[3])
    for value, expected in zip([ours[0]] + ours[2] + ours[4], [theirs[0]] + theirs[2] + theirs[4]):
        np.testing.assert_allclose(value, expected, rtol=1e-10, atol=1e-12)
    if mask == "dead":
        assert not np.isnan(ours[0]).any() and not ours[0][:, 1].any()


def test_attention_matches_its_formula():
    rng = np.random.default_rng(4)
    q, k, v = rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    scores = q @ k.T * 0.7
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    out = torchless.nn.functional.scaled_dot_product_attention(*map(torchless.tensor, (q, k, v)), scale=0.7)
    np.testing.assert_allclose(out.numpy(), weights @ v, rtol=1e-12)


@pytest.mark.parametrize("op", ["masked_select", "take", "masked_scatter"])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("gradient", ["ones", "sum"])
def test_index_gradients_laid_out_as_torch(torch, op, create_graph, gradient):
    # masked_select's and take's gradients are written into zeros_like(self) (a transposed input's layout);
    # masked_scatter's self's is grad.masked_fill(mask, 0) (C order), its source's masked_scatter_backward's node
    rng = np.random.default_rng(5)
    values, source, keep = rng.standard_normal((3, 4)), rng.standard_normal((4, 3)), rng.standard_normal((4, 3)) > 0

    def run(lib):
        x = lib.tensor(values).t().requires_grad_()
        s = lib.tensor(source, requires_grad=True)
        inputs = (x, s) if op == "masked_scatter" else (x,)
        y = {"masked_select": lambda: x.masked_select(lib.tensor(keep)),
             "take": lambda: lib.take(x, lib.tensor([0, 5, 5, 11])),
             "masked_scatter": lambda: x.masked_scatter(lib.tensor(keep), s)}[op]()
        if gradient == "sum":
            grads = lib.autograd.grad(y.sum(), inputs, create_graph=create_graph)
        else:
            grads = lib.autograd.grad(y, inputs, lib.ones_like(y).requires_grad_(create_graph),
                                      create_graph=create_graph)
        return [(g.detach().numpy(), g.stride(), None if g.grad_fn is None else g.grad_fn.name()) for g in grads]

    for (value, stride, name), (expected, expected_stride, expected_name) in zip(run(torchless), run(torch)):
        np.testing.assert_array_equal(value, expected)
        assert (stride, name) == (expected_stride, expected_name)
    take_gradient = run(torchless)[0][0] if op == "take" else None
    if take_gradient is not None:  # (index 5 twice: its gradient adds up)
        assert take_gradient.reshape(-1)[[0, 5, 11]].tolist() == [1.0, 2.0, 1.0]


@pytest.mark.parametrize("p", [0, 1, 3, float("inf")])
def test_cdist_gradients_are_c_ordered_as_torch(torch, p):
    # PyTorch's _cdist_backward allocates both gradients C-contiguous, whatever the inputs' layouts
    rng = np.random.default_rng(6)
    first, second = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))

    def run(lib):
        a = lib.tensor(np.ascontiguousarray(first.T)).t().requires_grad_()
        b = lib.tensor(np.ascontiguousarray(second.T)).t().requires_grad_()
        return [(g.numpy(), g.stride()) for g in lib.autograd.grad(lib.cdist(a, b, p=p).sum(), (a, b))]

    for (value, stride), (expected, expected_stride) in zip(run(torchless), run(torch)):
        np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)
        assert stride == expected_stride
    if p == 1:  # d/da sum_ij |a_i - b_j|_1 = sum_j sign(a_i - b_j)
        expected = np.sign(first[:, None] - second[None]).sum(1)
        np.testing.assert_allclose(run(torchless)[0][0], expected)


@pytest.mark.parametrize("input_layout,gradient_layout", [("C", "T"), ("T", "C"), ("CL", "C"), ("C", "CL")])
def test_hardswish_output_gradient_second_order_laid_out_as_torch(torch, input_layout, gradient_layout):
    # the output gradient's gradient is hardswish_backward(the gradient reaching it, self): that gradient's layout
    rng = np.random.default_rng(7)
    values, output_gradient = rng.standard_normal((2, 3, 4, 5)) * 3, rng.standard_normal((2, 3, 4, 5))

    def run(lib):
        x = _laid_out(lib, values, input_layout).requires_grad_()
        gy = _laid_out(lib, output_gradient, gradient_layout).requires_grad_()
        g, = lib.autograd.grad(lib.nn.functional.hardswish(x), x, gy, create_graph=True)
        return [(h.numpy(), h.stride()) for h in lib.autograd.grad((g * g).sum(), (x, gy))]

    for (value, stride), (expected, expected_stride) in zip(run(torchless), run(torch)):
        np.testing.assert_allclose(value, expected, rtol=1e-12, atol=1e-12)
        assert stride == expected_stride
    middle = np.abs(values) < 3  # d(g^2)/dgy = 2 gy hardswish'(x)^2, hardswish'(x) = x / 3 + 1 / 2 inside (-3, 3)
    slope = np.where(middle, values / 3 + 0.5, (values >= 3).astype(float))
    np.testing.assert_allclose(run(torchless)[1][0], 2 * output_gradient * slope ** 2, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("create_graph", [False, True])
def test_logdet_of_a_negative_determinant_has_no_gradient(torch, create_graph):
    # PyTorch's real logdet is where(sign == -1, nan, logabsdet) (WhereBackward0): NaN, and a zero gradient, where
    # the determinant is negative (log|det|'s A^-T passed through an addition before)
    matrices = np.array([[[0.0, 1.0], [1.0, 0.0]], [[2.0, 0.0], [0.5, 1.0]]])

    def run(lib):
        a = lib.tensor(matrices, requires_grad=True)
        y = lib.logdet(a)
        g, = lib.autograd.grad(y.sum(), a, create_graph=create_graph)
        return y.detach().tolist(), y.grad_fn.name(), g.detach().numpy(), g.stride()

    ours, theirs = run(torchless), run(torch)
    assert np.isnan(ours[0][0]) and ours[0][1] == pytest.approx(np.log(2.0))
    assert ours[1] == theirs[1] and ours[3] == theirs[3]
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-14)
    np.testing.assert_allclose(ours[2], [np.zeros((2, 2)), np.linalg.inv(matrices[1]).T], rtol=1e-14)
