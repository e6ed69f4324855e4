"""Autograd parity leftovers (grad37): complex sgn / abs / angle / polar gradients and their second derivatives,
linalg.matrix_power's products, and the FFTs' gradients under create_graph=True.

Graphs and values are compared with torch's at run time (node names down a few levels, leaves by identity); the
values are also checked without torch, against float64 finite differences (torchless.autograd.gradcheck /
gradgradcheck on real parameterisations of the complex inputs) or formulas computed here in NumPy.
"""
import numpy as np
import pytest

import torchless
from helpers import graph_tree


def _numpy(tensor):
    return tensor.detach().resolve_conj().numpy()


def _first_and_second(lib, fn, arrays, grad_seed=1, depth=6):
    """fn's output, its gradients under create_graph=True (values and graphs) and the gradients of a weighted sum of
    their real and imaginary parts (the second derivatives)."""
    leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *leaves)
    rng = np.random.default_rng(grad_seed)
    shape = tuple(out.shape)
    g = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if out.is_complex() else 0)
    grads = lib.autograd.grad(out, leaves, lib.tensor(g), create_graph=True)
    total = 0
    for k, grad in enumerate(grads):
        w = np.random.default_rng(10 + k).standard_normal(tuple(grad.shape))
        total = total + ((grad * lib.tensor(w)).real if grad.is_complex() else grad * lib.tensor(w)).sum()
    second = lib.autograd.grad(total, leaves, allow_unused=True)
    trees = [graph_tree(x.grad_fn, leaves, depth) for x in grads]
    return dict(out=_numpy(out), grads=[_numpy(x) for x in grads], trees=trees,
                second=[None if s is None else _numpy(s) for s in second])


def _assert_matches_torch(fn, arrays, depth=6):
    torch = pytest.importorskip("torch")
    theirs = _first_and_second(torch, fn, arrays, depth=depth)
    ours = _first_and_second(torchless, fn, arrays, depth=depth)
    np.testing.assert_allclose(ours["out"], theirs["out"], rtol=1e-12, atol=1e-12)
    assert ours["trees"] == theirs["trees"]
    for mine, their in zip(ours["grads"] + ours["second"], theirs["grads"] + theirs["second"]):
        assert (mine is None) == (their is None)
        if mine is not None:
            np.testing.assert_allclose(mine, their, rtol=1e-10, atol=1e-10, equal_nan=True)


def _complex(lib, xy):
    """The complex tensor x + iy of a real (..., 2) tensor: gradcheck's real parameterisation of a complex input."""
    return lib.view_as_complex(xy)


def _assert_gradgradcheck(fn, arrays):
    leaves = tuple(torchless.tensor(a, dtype=torchless.float64, requires_grad=True) for a in arrays)
    assert torchless.autograd.gradcheck(fn, leaves, eps=1e-6, atol=1e-6)
    assert torchless.autograd.gradgradcheck(fn, leaves, eps=1e-6, atol=1e-6)


_Z = np.array([0.3 + 0.4j, -1.0 + 0.5j, 0.25 - 2.0j, 2.0 - 1.0j, -0.7 - 0.6j])
_ZXY = np.stack([_Z.real, _Z.imag], -1)


# ---------------------------------------------------------------------------- complex sgn, abs, angle
def test_complex_sgn_gradient_matches_pytorchs_sgn_backward():
    _assert_matches_torch(lambda lib, z: z.sgn(), [_Z])
    _assert_matches_torch(lambda lib, z: lib.sgn(z * z).abs() + z.sgn().real, [_Z])


def test_complex_sgn_gradient_by_finite_differences():
    # (it was a zero gradient: sgn recorded as a real step function)
    _assert_gradgradcheck(lambda xy: torchless.view_as_real(_complex(torchless, xy).sgn()), [_ZXY])


def test_complex_sgn_gradient_by_hand():
    # d/dz of a real loss L = Re(conj(c) sgn(z)) by PyTorch's convention (dL/dx + i dL/dy): with s = z/|z|,
    # dL = Re(conj(c) (dz - s Re(conj(s) dz)) / |z|), so grad = (c - s Re(conj(s) c)) / |z|
    c = np.array([1 + 2j, -0.5 + 1j, 1 + 1j, 0.25 - 1j, 2 - 0.5j])
    z = torchless.tensor(_Z, requires_grad=True)
    (torchless.view_as_real(z.sgn()) * torchless.view_as_real(torchless.tensor(c))).sum().backward()
    s = _Z / np.abs(_Z)
    np.testing.assert_allclose(z.grad.numpy(), (c - s * (np.conj(s) * c).real) / np.abs(_Z), rtol=1e-12)


def test_complex_sgn_at_zero_and_its_saved_values():
    torch = pytest.importorskip("torch")
    a = np.array([0j, 1 + 1j, -2 + 0j])
    results = []
    for lib in (torch, torchless):
        z = lib.tensor(a, requires_grad=True)
        s = z.sgn()
        node = s.grad_fn
        saved = (_numpy(node._saved_self), _numpy(node._saved_result))
        (grad,) = lib.autograd.grad(lib.view_as_real(s).sum(), z)
        results.append((node.name(), saved, _numpy(grad)))
    assert results[0][0] == results[1][0] == "SgnBackward0"
    for mine, their in zip(results[1][1] + (results[1][2],), results[0][1] + (results[0][2],)):
        np.testing.assert_allclose(mine, their, rtol=1e-15, atol=0)


def test_complex_sgn_in_place_change_of_its_input_is_refused_as_pytorch():
    torch = pytest.importorskip("torch")
    messages = []
    for lib in (torch, torchless):
        z = lib.tensor(_Z, requires_grad=True) * 1
        s = z.sgn()
        z.mul_(2)
        with pytest.raises(RuntimeError) as info:
            s.abs().sum().backward()
        messages.append(str(info.value).split(". Hint")[0])
    assert messages[0] == messages[1]


def test_complex_abs_second_derivative():
    # abs's gradient is grad * sgn(z): its own derivative went through sgn's, which was zero
    _assert_matches_torch(lambda lib, z: z.abs(), [_Z])
    _assert_gradgradcheck(lambda xy: _complex(torchless, xy).abs(), [_ZXY])


def test_complex_abs_second_derivative_by_hand():
    # r = |z|: d2r/dx2 = y^2 / r^3, d2r/dxdy = -xy / r^3, d2r/dy2 = x^2 / r^3
    xy = torchless.tensor(_ZXY, requires_grad=True)
    (g,) = torchless.autograd.grad(_complex(torchless, xy).abs().sum(), xy, create_graph=True)
    (h,) = torchless.autograd.grad(g[:, 0].sum(), xy)
    x, y = _ZXY[:, 0], _ZXY[:, 1]
    r3 = np.hypot(x, y) ** 3
    np.testing.assert_allclose(h.numpy(), np.stack([y * y / r3, -x * y / r3], -1), rtol=1e-12)


def test_complex_angle_double_backward():
    _assert_matches_torch(lambda lib, z: z.angle(), [_Z])
    _assert_gradgradcheck(lambda xy: _complex(torchless, xy).angle(), [_ZXY])


def test_complex_angle_second_derivative_by_hand():
    # theta = atan2(y, x): d2theta/dx2 = 2xy / r^4
    xy = torchless.tensor(_ZXY, requires_grad=True)
    (g,) = torchless.autograd.grad(_complex(torchless, xy).angle().sum(), xy, create_graph=True)
    (h,) = torchless.autograd.grad(g[:, 0].sum(), xy)
    x, y = _ZXY[:, 0], _ZXY[:, 1]
    np.testing.assert_allclose(h.numpy()[:, 0], 2 * x * y / np.hypot(x, y) ** 4, rtol=1e-12)


# ---------------------------------------------------------------------------- linalg.matrix_power
_A = np.random.default_rng(37).standard_normal((2, 3, 3)) * 0.5 + 2 * np.eye(3)


@pytest.mark.parametrize("n", [-3, -2, -1, 0, 1, 2, 3, 4, 5, 7])
def test_matrix_power_graph_and_gradient(n):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, torchless):
        a = lib.tensor(_A, requires_grad=True)
        y = lib.linalg.matrix_power(a, n)
        (grad,) = lib.autograd.grad(y, a, lib.tensor(_A[::-1].copy()))
        results.append((graph_tree(y.grad_fn, [a], 10), y.stride(), y.detach().numpy(), grad.numpy()))
    (tree, strides, value, grad), theirs = results[1], results[0]
    assert tree == theirs[0]
    assert strides == theirs[1]
    np.testing.assert_allclose(value, theirs[2], rtol=1e-12)
    np.testing.assert_allclose(grad, theirs[3], rtol=1e-10, atol=1e-12)


def test_matrix_power_one_is_a_copy_and_zero_has_zero_gradient():
    a = torchless.tensor(_A, requires_grad=True)
    once = torchless.linalg.matrix_power(a, 1)
    assert once is not a and once.data_ptr() != a.data_ptr()
    np.testing.assert_array_equal(once.detach().numpy(), _A)
    identity = torchless.linalg.matrix_power(a, 0)
    np.testing.assert_array_equal(identity.detach().numpy(), np.broadcast_to(np.eye(3), _A.shape))
    identity.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.zeros_like(_A))


@pytest.mark.parametrize("n", [3, -3])
def test_matrix_power_gradients_by_finite_differences(n):
    _assert_gradgradcheck(lambda a: torchless.linalg.matrix_power(a, n), [_A[0]])


# ---------------------------------------------------------------------------- polar
_R = np.array([[0.5, 1.5, 0.0], [-0.75, 2.0, 1.0]])  # (a zero and a negative modulus: PyTorch's sgn(result) rules)
_T = np.array([[0.3, -1.2, 2.0], [0.7, 3.0, -0.4]])


def test_polar_gradients_and_double_backward():
    _assert_matches_torch(lambda lib, r, t: lib.polar(r, t), [_R, _T])


def test_polar_gradients_are_strided_real_parts_as_pytorchs():
    torch = pytest.importorskip("torch")
    strides = []
    for lib in (torch, torchless):
        r, t = (lib.tensor(a, requires_grad=True) for a in (_R, _T))
        grads = lib.autograd.grad(lib.polar(r, t), [r, t], lib.tensor(_R + 1j * _T))
        strides.append([g.stride() for g in grads])
    assert strides[0] == strides[1]


def test_polar_gradients_by_finite_differences():
    positive = np.abs(_R) + 0.25  # (away from 0, where PyTorch's gradient of the modulus is not the derivative)
    _assert_gradgradcheck(lambda r, t: torchless.view_as_real(torchless.polar(r, t)), [positive, _T])


# ---------------------------------------------------------------------------- FFTs under create_graph=True
_S = np.random.default_rng(7).standard_normal((3, 6))
_SC = _S + 1j * np.random.default_rng(8).standard_normal((3, 6))
_FFTS = {  # (each through a nonlinearity, so that the gradient depends on the input)
    "rfft": (lambda lib, x: lib.fft.rfft(x).abs(), _S),
    "rfft2": (lambda lib, x: lib.fft.rfft2(x, norm="ortho").abs(), _S),
    "fft": (lambda lib, x: lib.fft.fft(x, norm="forward").abs(), _SC),
    "ifft_dim0": (lambda lib, x: lib.fft.ifft(x, dim=0).abs(), _SC),
    "fft2": (lambda lib, x: lib.fft.fft2(x).abs(), _SC),
    "irfft": (lambda lib, x: lib.fft.irfft(x).tanh(), _SC),
    "irfft2": (lambda lib, x: lib.fft.irfft2(x).tanh(), _SC),
    "hfft": (lambda lib, x: lib.fft.hfft(x).tanh(), _SC),
    "ihfft": (lambda lib, x: lib.fft.ihfft(x).abs(), _S),
}


@pytest.mark.parametrize("op", sorted(_FFTS))
def test_fft_double_backward_matches_pytorch(op):
    fn, x = _FFTS[op]
    _assert_matches_torch(fn, [x], depth=8)


@pytest.mark.parametrize("op", ["rfft", "rfft_n8", "irfft_n7", "fft_real"])
def test_fft_second_derivatives_by_finite_differences(op):
    fn = {"rfft": lambda x: torchless.fft.rfft(x).abs(),
          "rfft_n8": lambda x: torchless.fft.rfft(x, n=8, norm="ortho").abs(),
          "irfft_n7": lambda xy: torchless.fft.irfft(_complex(torchless, xy), n=7).tanh(),
          "fft_real": lambda x: torchless.fft.fft(x[:, :4]).abs()}[op]
    _assert_gradgradcheck(fn, [np.stack([_SC.real, _SC.imag], -1) if op == "irfft_n7" else _S])


def test_irfft_gradient_by_hand():
    # irfft of a length-3 half spectrum X (n = 4): x[t] = (X0 + 2 Re(X1 e^{i pi t / 2}) + X2 (-1)^t) / 4, only the
    # real parts of X0 and X2 used; so d sum(c x) / dX1 (PyTorch's conj. Wirtinger) = sum_t c[t] e^{-i pi t / 2} / 2
    c = np.array([0.5, -1.0, 2.0, 0.25])
    spectrum = torchless.tensor(np.array([1 + 2j, 0.5 - 1j, -1 + 0.5j]), requires_grad=True)
    (torchless.fft.irfft(spectrum) * torchless.tensor(c)).sum().backward()
    t = np.arange(4)
    expected = [c.sum() / 4, (c * np.exp(-1j * np.pi * t / 2)).sum() / 2, (c * (-1.0) ** t).sum() / 4]
    np.testing.assert_allclose(spectrum.grad.numpy(), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fft_gradient_layouts_match_pytorchs(dtype):
    # a real input's gradient is the real part of the adjoint transform (a strided view), transforms lay their
    # results out as PyTorch's CPU transforms do (a transposed input's too), a crop or pad's gradient is dense
    torch = pytest.importorskip("torch")
    cases = [(lambda lib, x: lib.fft.rfft(x), _S), (lambda lib, x: lib.fft.fft(x), _S),
             (lambda lib, x: lib.fft.ifft(x, dim=0), _SC), (lambda lib, x: lib.fft.rfft(x, n=8), _S),
             (lambda lib, x: lib.fft.rfft(x, n=4), _S), (lambda lib, x: lib.fft.irfft(x.mT, dim=0), _SC),
             (lambda lib, x: lib.fft.fft2(x.mT), _SC), (lambda lib, x: lib.fft.rfft2(x.mT), _S)]
    for fn, a in cases:
        results = []
        for lib in (torch, torchless):
            kind = ("complex128" if dtype == "float64" else "complex64") if a.dtype.kind == "c" else dtype
            x = lib.tensor(a, dtype=getattr(lib, kind), requires_grad=True)
            y = fn(lib, x)
            rng = np.random.default_rng(3)
            shape = tuple(y.shape)
            g = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if y.is_complex() else 0)
            (grad,) = lib.autograd.grad(y, x, lib.tensor(g, dtype=y.dtype))
            results.append((grad.stride(), grad.resolve_conj().numpy()))
        assert results[1][0] == results[0][0]
        np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------- eigh under create_graph=True
_M = np.random.default_rng(11).standard_normal((4, 4))
_SPD = _M @ _M.T + 4 * np.eye(4)


@pytest.mark.parametrize("part", ["values", "vectors", "both"])
def test_eigh_double_backward_is_pytorchs_linalg_eig_backward(part):
    def fn(lib, a):
        values, vectors = lib.linalg.eigh(a)
        if part == "values":
            return values
        return vectors.abs() if part == "vectors" else values.unsqueeze(-1) * vectors.abs()

    _assert_matches_torch(fn, [_SPD], depth=6)


def test_eigh_second_derivatives_by_finite_differences():
    # (a symmetric A from any square X: eigh reads one triangle)
    def fn(x):
        values, vectors = torchless.linalg.eigh(x + x.mT)
        return values.unsqueeze(-1) * vectors.abs()

    _assert_gradgradcheck(fn, [_M + 2 * np.eye(4)])


# ---------------------------------------------------------------------------- kron
_KA, _KB = np.random.default_rng(12).standard_normal((2, 3)), np.random.default_rng(13).standard_normal((2, 2))


def test_kron_double_backward_graph_is_pytorchs_composite():
    _assert_matches_torch(lambda lib, a, b: lib.kron(a, b).tanh(), [_KA, _KB], depth=5)
    _assert_gradgradcheck(lambda a, b: torchless.kron(a, b).tanh(), [_KA, _KB])


def test_kron_of_transposed_operands_is_laid_out_as_pytorchs_product():
    torch = pytest.importorskip("torch")
    strides = []
    for lib in (torch, torchless):
        a = lib.tensor(np.ascontiguousarray(_KA.T)).mT
        b = lib.tensor(np.ascontiguousarray(_KB.T)).mT
        result = lib.kron(a, b)
        np.testing.assert_allclose(result.numpy(), np.kron(_KA, _KB), rtol=1e-15)  # (NumPy's kron: the reference)
        strides.append(result.stride())
    assert strides[1] == strides[0]


# ---------------------------------------------------------------------------- cov, corrcoef, torch.complex
_V = np.random.default_rng(14).standard_normal((3, 5))
_FW, _AW = np.array([1, 2, 1, 3, 1]), np.random.default_rng(15).uniform(0.5, 1.5, 5)


@pytest.mark.parametrize("case", ["cov", "cov_1d", "cov_fweights", "cov_both_weights", "corrcoef"])
def test_cov_and_corrcoef_graphs_are_pytorchs(case):
    # (the average a sum over a count, unsqueezed; the weights on the product's right operand; corrcoef's
    # standard deviations viewed as a column and a row)
    fn = {"cov": lambda lib, x: lib.cov(x), "cov_1d": lambda lib, x: lib.cov(x[0]),
          "cov_fweights": lambda lib, x: lib.cov(x, fweights=lib.tensor(_FW)),
          "cov_both_weights": lambda lib, x: lib.cov(x, fweights=lib.tensor(_FW), aweights=lib.tensor(_AW)),
          "corrcoef": lambda lib, x: lib.corrcoef(x)}[case]
    _assert_matches_torch(lambda lib, x: fn(lib, x).tanh(), [_V], depth=10)


def test_weighted_cov_by_hand():
    w = _FW * _AW
    mean = (_V * w).sum(1) / w.sum()
    centred = _V - mean[:, None]
    expected = (centred * w) @ centred.T / (w.sum() - (w * _AW).sum() / w.sum())
    result = torchless.cov(torchless.tensor(_V), fweights=torchless.tensor(_FW), aweights=torchless.tensor(_AW))
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-12)


def test_complex_construction_double_backward():
    _assert_matches_torch(lambda lib, re, im: lib.complex(re, im).abs(), [_V, _V[::-1].copy()])
    _assert_gradgradcheck(lambda re, im: torchless.complex(re, im).abs(), [_V, _V[::-1].copy()])


# ---------------------------------------------------------------------------- scatter_reduce's src gradient layout
@pytest.mark.parametrize("reduce, create_graph", [("prod", False), ("amax", False), ("amin", False),
                                                  ("amax", True), ("amin", True)])
def test_scatter_reduce_src_gradient_laid_out_as_src(reduce, create_graph):
    # (PyTorch's src gradient: elementwise ops whose first operand is src, which lead TensorIterator's layout;
    # prod's under create_graph is composed otherwise, a leftover)
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(16)
    x, src = rng.standard_normal((4, 5)), np.round(rng.standard_normal((4, 3)), 1)
    src[2, 2] = src[2, 1]  # (a tie: amax/amin share the gradient)
    index = np.array([[0, 2, 2], [4, 4, 1], [1, 1, 1], [3, 0, 3]])
    results = []
    for lib in (torch, torchless):
        a = lib.tensor(x, requires_grad=True)
        s = lib.tensor(np.ascontiguousarray(src.T)).mT.requires_grad_()
        y = a.scatter_reduce(1, lib.tensor(index), s, reduce)
        grads = lib.autograd.grad((y * lib.tensor(x[::-1].copy())).sum(), [a, s], create_graph=create_graph)
        results.append([(g.stride(), g.detach().numpy()) for g in grads])
    for mine, theirs in zip(results[1], results[0]):
        assert mine[0] == theirs[0]
        np.testing.assert_allclose(mine[1], theirs[1], rtol=1e-12)


def test_scatter_reduce_amax_gradient_by_hand():
    # amax into one slot from a tie between self and a src value: each gets half the gradient
    a = torchless.tensor([[1.0, 5.0]], requires_grad=True)
    s = torchless.tensor([[5.0, 2.0]], requires_grad=True)
    y = a.scatter_reduce(1, torchless.tensor([[1, 1]]), s, "amax")
    (y * torchless.tensor([[3.0, 4.0]])).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[3.0, 2.0]])
    np.testing.assert_array_equal(s.grad.numpy(), [[2.0, 0.0]])


def test_fft_of_a_real_input_cast_to_complex_first_as_pytorch():
    # (the n-dim complex transforms and the inverse one-sided ones cast a real input to complex, ToCopyBackward0,
    # whose gradient is the real part: a strided view, conjugated by nothing under create_graph)
    _assert_matches_torch(lambda lib, x: lib.fft.fft2(x).abs(), [_S], depth=8)
    _assert_matches_torch(lambda lib, x: lib.fft.irfft(x).tanh(), [_S], depth=8)
    _assert_gradgradcheck(lambda x: torchless.fft.fft2(x).abs(), [_S])


def test_complex_sgn_gradient_of_a_zero_dim_tensor():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (torch, torchless):
        z = lib.tensor(0.6 - 0.8j, dtype=lib.complex128, requires_grad=True)
        (grad,) = lib.autograd.grad(lib.view_as_real(z.sgn())[0], z)
        grads.append(complex(grad))
    assert grads[1] == pytest.approx(grads[0], rel=1e-12)
    # by hand: d Re(z/|z|) / dz with |z| = 1, s = z: (1 - s Re(conj(s))) = 1 - s * Re(s)
    assert grads[1] == pytest.approx(1 - (0.6 - 0.8j) * 0.6, rel=1e-12)


@pytest.mark.filterwarnings("ignore:Casting complex values to real")
@pytest.mark.parametrize("case", ["complex64_to_complex128", "real_to_complex", "complex_to_real"])
def test_casts_between_real_and_complex_under_create_graph(case):
    z = np.array([1 + 2j, -0.5 + 0.3j, 2 - 1j])
    fn, a = {"complex64_to_complex128": (lambda lib, t: (t.to(lib.complex128) * (1 + 1j)).abs(),
                                         z.astype(np.complex64)),
             "real_to_complex": (lambda lib, t: (t.to(lib.complex128) * lib.tensor(z)).abs(), z.real.copy()),
             "complex_to_real": (lambda lib, t: (t.to(lib.float64) * 3).sin(), z)}[case]
    _assert_matches_torch(fn, [a], depth=6)
