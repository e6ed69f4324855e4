"""torch.special, torch.fft and complex tensors, which torchless lacked (AttributeError / TypeError):

* ``torchless.special``: every public function of torch.special. The ones torchless had as ops (erf, expit =
  sigmoid, gammaln = lgamma, softmax, xlogy, ...) under their special names with special_* argument errors; the
  others (entr, erfcx, ndtr, ndtri, log_ndtr, i0/i0e/i1/i1e, xlog1py, zeta, polygamma, multigammaln,
  gammainc/gammaincc, Bessel J0/J1/Y0/Y1, modified Bessel I0/I1/K0/K1 and scaled K, spherical_bessel_j0,
  airy_ai, the Chebyshev/Hermite/Laguerre/Legendre polynomials) computed in NumPy to float64 precision;
  integer inputs give the default float dtype, float16 is refused where PyTorch has no Half kernel, out= works,
  gradients (and their node names) where PyTorch defines them, none (no grad_fn) where it does not, and zeta's
  and gammainc's first-argument derivatives raise PyTorch's NotImplementedError on backward;
* complex64 / complex128 tensors: made from complex Python numbers, NumPy arrays, dtype=, or a real tensor
  meeting a complex number (float32 * 1j is complex64), printed as PyTorch prints them, with real / imag /
  abs / angle / conj, torchless.complex, view_as_real and view_as_complex, and PyTorch's autograd convention
  (conjugate Wirtinger) through them and through every holomorphic op (mul, div, pow, exp, matmul, einsum,
  tanh, ...: the engine runs a node's real backward on the conjugate gradient and conjugates the result); a
  real tensor that entered a complex computation receives the real part of its gradient;
* ``torchless.fft``: fft/ifft/fft2/ifft2/fftn/ifftn, rfft/irfft/rfft2/irfft2/rfftn/irfftn,
  hfft/ihfft/hfft2/ihfft2/hfftn/ihfftn with n/s, dim and norm, PyTorch's output dtypes (float32 in, complex64
  out), its errors, the exact zero imaginary parts of a real input's spectrum, fftfreq/rfftfreq,
  fftshift/ifftshift, and gradients for all of them.
"""
import math
from fractions import Fraction

import numpy as np
import pytest

import torchless

rng = np.random.default_rng(8)


def _torch():
    return pytest.importorskip("torch")


def _to_numpy(t):
    if hasattr(t, "resolve_conj"):
        t = t.resolve_conj()
    return t.detach().numpy()


def _same_error(torch_call, torchless_call):
    torch = _torch()
    with pytest.raises(Exception) as expected:
        torch_call(torch)
    with pytest.raises(type(expected.value)) as got:
        torchless_call(torchless)
    assert str(got.value) == str(expected.value)


# ---------------------------------------------------------------------------- torch.special: values
WIDE = np.concatenate([rng.uniform(-5, 5, 200), rng.uniform(-60, 60, 100), 10 ** rng.uniform(-8, 2.5, 100),
                       -(10 ** rng.uniform(-8, 2.5, 100)),
                       [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 1e-30, 25.0, 25.0001, -7.0, -7.01, 2.09,
                        103.0, 104.0, 700.0, 710.0, 1e5]])
UNARY_EXACT = ["entr", "erfcx", "log_ndtr", "i0", "i0e", "i1", "i1e", "modified_bessel_i0", "modified_bessel_i1",
               "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
               "spherical_bessel_j0", "ndtr"]
# PyTorch's own CPU Bessel J/Y and Airy functions are only good to about 3e-7 (absolute) in float64 between 3 and
# 25: torchless's are closer to the true values (see the Fraction-series references below)
UNARY_LOOSE = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "airy_ai"]


def _compare(ours, theirs, rtol, atol=0.0):
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("name", UNARY_EXACT + UNARY_LOOSE)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_special_values_match_torch(name, dtype):
    torch = _torch()
    x = WIDE.astype(dtype)
    with np.errstate(all="ignore"):
        expected = _to_numpy(getattr(torch.special, name)(torch.tensor(x)))
        got = getattr(torchless.special, name)(torchless.tensor(x))
    assert str(got.dtype) == str(expected.dtype).replace("float", "torchless.float")
    if name in UNARY_LOOSE:
        # large arguments: float32 phase rounding in PyTorch's kernel differs from a float64 computation
        keep = np.abs(x) < (80 if dtype == "float32" else 1e4)
        _compare(got.numpy()[keep], expected[keep], rtol=1e-5, atol=1e-5 if dtype == "float32" else 1e-6)
    else:
        # float32: PyTorch computes in float32, torchless in float64 rounded once
        _compare(got.numpy(), expected, rtol=1e-5 if dtype == "float32" else 1e-12,
                 atol=1e-7 if dtype == "float32" else 1e-15)


def test_ndtri_matches_torch_down_to_the_smallest_probabilities():
    torch = _torch()
    p = np.concatenate([rng.uniform(0, 1, 300), 10 ** rng.uniform(-300, 0, 100), 1 - 10 ** rng.uniform(-16, 0, 50),
                        [0, 1, -0.1, 1.1, np.nan, 0.5]])
    _compare(torchless.special.ndtri(torchless.tensor(p)).numpy(), _to_numpy(torch.special.ndtri(torch.tensor(p))),
             rtol=1e-12)


def test_float64_references_without_torch():
    x = np.array([-3.0, -0.5, 0.0, 0.25, 1.5, 4.0])
    special = torchless.special
    t = torchless.tensor(x)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(special.erfcx(t).numpy(), [math.exp(v * v) * math.erfc(v) for v in x], rtol=1e-13)
        np.testing.assert_allclose(special.ndtr(t).numpy(), [0.5 * math.erfc(-v / math.sqrt(2)) for v in x],
                                   rtol=1e-13)
        np.testing.assert_allclose(special.log_ndtr(t).numpy(),
                                   [math.log(0.5 * math.erfc(-v / math.sqrt(2))) for v in x], rtol=1e-13)
        np.testing.assert_allclose(special.entr(torchless.tensor([0.5, 2.0, 0.0], dtype=torchless.float64)).numpy(),
                                   [0.5 * math.log(2), -2 * math.log(2), 0.0], rtol=1e-15)
    p = np.array([1e-300, 1e-20, 0.01, 0.3, 0.5, 0.9, 1 - 1e-12])
    q = special.ndtri(torchless.tensor(p)).numpy()
    np.testing.assert_allclose([0.5 * math.erfc(-v / math.sqrt(2)) for v in q], p, rtol=1e-12)
    # I0 and J0 from their power series in exact rational arithmetic
    for v in (0.3, 2.5, 7.0, 19.0):
        vf, i0, j0, term = Fraction(v), Fraction(0), Fraction(0), Fraction(1)
        for k in range(120):
            if k:
                term = term * vf * vf / 4 / (k * k)
            i0 += term
            j0 += term if k % 2 == 0 else -term
        v64 = torchless.tensor([v], dtype=torchless.float64)
        np.testing.assert_allclose(special.i0(v64).item(), float(i0), rtol=1e-14)
        np.testing.assert_allclose(special.bessel_j0(v64).item(), float(j0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(special.zeta(torchless.tensor([2.0, 4.0], dtype=torchless.float64), 1.0).numpy(),
                               [math.pi ** 2 / 6, math.pi ** 4 / 90], rtol=1e-14)
    xs = torchless.tensor([0.1, 1.0, 3.0, 20.0], dtype=torchless.float64)
    np.testing.assert_allclose(special.gammainc(torchless.ones(4, dtype=torchless.float64), xs).numpy(),
                               1 - np.exp(-xs.numpy()), rtol=1e-13)
    np.testing.assert_allclose(special.gammaincc(torchless.full((4,), 0.5, dtype=torchless.float64), xs).numpy(),
                               [math.erfc(math.sqrt(v)) for v in xs.numpy()], rtol=1e-12)
    one = torchless.tensor([1.0], dtype=torchless.float64)
    np.testing.assert_allclose(special.polygamma(3, one).item(), math.pi ** 4 / 15, rtol=1e-13)
    np.testing.assert_allclose(special.multigammaln(one * 2.5, 2).item(),
                               math.log(math.pi) / 2 + math.lgamma(2.5) + math.lgamma(2.0), rtol=1e-14)


@pytest.mark.parametrize("name,reference", [
    ("chebyshev_polynomial_t", np.polynomial.chebyshev.Chebyshev.basis),
    ("hermite_polynomial_h", np.polynomial.hermite.Hermite.basis),
    ("hermite_polynomial_he", np.polynomial.hermite_e.HermiteE.basis),
    ("legendre_polynomial_p", np.polynomial.legendre.Legendre.basis),
    ("laguerre_polynomial_l", np.polynomial.laguerre.Laguerre.basis),
])
def test_polynomials_against_numpy(name, reference):
    x = np.linspace(-0.95, 0.95, 9)
    for n in range(0, 9):
        got = getattr(torchless.special, name)(torchless.tensor(x), n).numpy()
        np.testing.assert_allclose(got, reference(n)(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in (
    "chebyshev_polynomial_t chebyshev_polynomial_u chebyshev_polynomial_v chebyshev_polynomial_w "
    "shifted_chebyshev_polynomial_t shifted_chebyshev_polynomial_u shifted_chebyshev_polynomial_v "
    "shifted_chebyshev_polynomial_w hermite_polynomial_h hermite_polynomial_he laguerre_polynomial_l "
    "legendre_polynomial_p").split()])
def test_polynomials_match_torch(name):
    torch = _torch()
    x = np.concatenate([rng.uniform(-1.2, 1.2, 200), rng.uniform(-5, 5, 100), [1, -1, 0, 0.5, 1, -1, 0, 1, 0, 0]])
    n = np.concatenate([rng.integers(-2, 30, 200).astype(float), rng.uniform(-2, 12, 100),
                        [3, 3, 3, 0, 10, 11, 12, 20, np.nan, -0.5]])
    expected = _to_numpy(getattr(torch.special, name)(torch.tensor(x), torch.tensor(n)))
    _compare(getattr(torchless.special, name)(torchless.tensor(x), torchless.tensor(n)).numpy(), expected, 1e-9)
    # a Python number on either side, integer tensors to float32
    assert torch.equal(getattr(torch.special, name)(torch.tensor([0.5, 2.0]), 3),
                       torch.tensor(getattr(torchless.special, name)(torchless.tensor([0.5, 2.0]), 3).numpy()))
    got = getattr(torchless.special, name)(2, torchless.tensor([1, 3]))
    expected = getattr(torch.special, name)(2, torch.tensor([1, 3]))
    assert got.dtype == torchless.float32 and np.allclose(got.numpy(), expected.numpy())


def test_zeta_and_incomplete_gamma_match_torch():
    torch = _torch()
    s = np.concatenate([rng.uniform(1, 10, 200), [1, 0.5, 2, 2, 3, 2.5, np.inf, 2, 4, 3, np.inf]])
    q = np.concatenate([rng.uniform(-10, 10, 200), [1, 1, 0, -1, -1.5, -1.5, 1, np.inf, -2.5, 1e-10, 0.5]])
    _compare(torchless.special.zeta(torchless.tensor(s), torchless.tensor(q)).numpy(),
             _to_numpy(torch.special.zeta(torch.tensor(s), torch.tensor(q))), 1e-10)
    a = np.concatenate([rng.uniform(0, 10, 200), 10 ** rng.uniform(-3, 2, 100), [0, 0, 1, 1, np.inf, np.nan, -1, 2]])
    x = np.concatenate([rng.uniform(0, 10, 200), 10 ** rng.uniform(-3, 2, 100), [0, 1, 0, np.inf, 2, 1, 1, -1]])
    for name in ("gammainc", "gammaincc"):
        _compare(getattr(torchless.special, name)(torchless.tensor(a), torchless.tensor(x)).numpy(),
                 _to_numpy(getattr(torch.special, name)(torch.tensor(a), torch.tensor(x))), 1e-9)


@pytest.mark.parametrize("name", ["expit", "erf", "erfc", "exp2", "expm1", "log1p", "gammaln", "digamma", "psi",
                                  "sinc", "i0", "entr", "erfcx", "log_ndtr", "ndtr", "i0e", "i1", "i1e"])
def test_differentiable_unary_gradients_and_nodes_match_torch(name):
    torch = _torch()
    x = rng.uniform(0.05, 4, (3, 4))
    if name not in ("gammaln", "digamma", "psi", "entr"):
        x[0] = -x[0]
    t, ours = torch.tensor(x, requires_grad=True), torchless.tensor(x, requires_grad=True)
    expected, got = getattr(torch.special, name)(t), getattr(torchless.special, name)(ours)
    _compare(got.detach().numpy(), _to_numpy(expected), 1e-9)
    expected.sum().backward()
    got.sum().backward()
    _compare(ours.grad.numpy(), t.grad.numpy(), 1e-9)
    if name != "ndtr":  # PyTorch's composite ends in its MulBackward1, torchless's in MulBackward0
        assert got.grad_fn.name() == expected.grad_fn.name()
    integer = getattr(torchless.special, name)(torchless.tensor([1, 2]))
    assert integer.dtype == torchless.float32


def test_binary_gradients_and_nodes_match_torch():
    torch = _torch()
    x, y = rng.uniform(-2, 3, (3, 1)), rng.uniform(0.2, 3, (1, 4))
    for op, args in (("xlog1py", (x, y)), ("gammainc", (y + 1, x + 2)), ("gammaincc", (y + 1, x + 2))):
        ta, tb = (torch.tensor(a, requires_grad=op == "xlog1py") for a in args[:1]), None
        ta = torch.tensor(args[0], requires_grad=op == "xlog1py")
        tb = torch.tensor(args[1], requires_grad=True)
        la = torchless.tensor(args[0], requires_grad=op == "xlog1py")
        lb = torchless.tensor(args[1], requires_grad=True)
        expected, got = getattr(torch.special, op)(ta, tb), getattr(torchless.special, op)(la, lb)
        assert got.grad_fn.name() == expected.grad_fn.name()
        expected.sum().backward()
        got.sum().backward()
        _compare(lb.grad.numpy(), tb.grad.numpy(), 1e-9)
        if op == "xlog1py":
            _compare(la.grad.numpy(), ta.grad.numpy(), 1e-12)
    for n in (0, 1, 2, 4):
        t, ours = torch.tensor(x + 3, requires_grad=True), torchless.tensor(x + 3, requires_grad=True)
        torch.special.polygamma(n, t).sum().backward()
        torchless.special.polygamma(n, ours).sum().backward()
        _compare(ours.grad.numpy(), t.grad.numpy(), 1e-9)
    t, ours = torch.tensor(x + 3, requires_grad=True), torchless.tensor(x + 3, requires_grad=True)
    expected, got = torch.special.multigammaln(t, 3), torchless.special.multigammaln(ours, 3)
    assert got.grad_fn.name() == expected.grad_fn.name() == "MvlgammaBackward0"
    expected.sum().backward()
    got.sum().backward()
    _compare(ours.grad.numpy(), t.grad.numpy(), 1e-9)
    assert torchless.special.xlog1py(2.0, lb).grad_fn.name() == torch.special.xlog1py(2.0, tb).grad_fn.name()


@pytest.mark.parametrize("name", UNARY_LOOSE + ["modified_bessel_i0", "modified_bessel_k1", "spherical_bessel_j0",
                                                "scaled_modified_bessel_k0"])
def test_functions_without_derivative_return_tensors_without_grad(name):
    torch = _torch()
    x = torchless.tensor([0.5, 1.5], requires_grad=True)
    assert getattr(torch.special, name)(torch.tensor([0.5, 1.5], requires_grad=True)).requires_grad is False
    assert getattr(torchless.special, name)(x).requires_grad is False
    assert torchless.special.chebyshev_polynomial_t(x, 2).requires_grad is False


@pytest.mark.parametrize("call", [
    lambda L: L.special.zeta(L.tensor([2.0], requires_grad=True), 1.0).sum().backward(),
    lambda L: L.special.gammainc(L.tensor([2.0], requires_grad=True), L.tensor([1.0])).sum().backward(),
    lambda L: L.special.entr(1.0),
    lambda L: L.special.expit([1.0]),
    lambda L: L.special.xlog1py(1.0, 2.0),
    lambda L: L.special.zeta(1.0, 2),
    lambda L: L.special.chebyshev_polynomial_t(1.0, 2.0),
    lambda L: L.special.gammainc(1.0, L.tensor([1.0])),
    lambda L: L.special.gammainc(L.tensor([1.0]), 2),
    lambda L: L.special.gammainc(L.tensor([1]), L.tensor([2])),
    lambda L: L.special.multigammaln(L.tensor([True]), 2),
    lambda L: L.special.multigammaln(L.tensor([3.0]), 0),
    lambda L: L.special.multigammaln(L.tensor([3.0]), 2.5),
    lambda L: L.special.polygamma(-1, L.tensor([1.0])),
    lambda L: L.special.polygamma(1.5, L.tensor([1.0])),
    lambda L: L.special.xlog1py(L.tensor([1.0, 2.0]), L.tensor([1.0, 2.0, 3.0])),
    lambda L: L.special.xlogy(1.0, 2.0),
    lambda L: L.special.entr(L.tensor([0.5]), out=L.empty(1, dtype=L.int64)),
    lambda L: L.special.erfcx(L.tensor([1.0], dtype=L.float16)),
    lambda L: L.special.bessel_j0(L.tensor([1.0], dtype=L.float16)),
    lambda L: L.special.zeta(L.tensor([1.0], dtype=L.float16), 2.0),
    lambda L: L.special.log_softmax(L.tensor([1, 2]), 0),
])
def test_special_errors_match_torch(call):
    _same_error(call, call)


def test_special_out_and_aliases():
    torch = _torch()
    out = torchless.empty(2, dtype=torchless.float64)
    result = torchless.special.entr(torchless.tensor([0.5, 0.25]), out=out)
    assert result is out and np.allclose(out.numpy(), torch.special.entr(torch.tensor([0.5, 0.25])).numpy())
    x = np.array([0.1, 0.5, 0.9])
    for name, args in (("logit", {"eps": 0.2}), ("round", {"decimals": 1}), ("softmax", {"dim": 0}),
                       ("log_softmax", {"dim": 0, "dtype": "float64"}), ("logsumexp", {"dim": 0})):
        kwargs = {k: getattr(torch, v) if k == "dtype" else v for k, v in args.items()}
        ours = {k: getattr(torchless, v) if k == "dtype" else v for k, v in args.items()}
        expected = getattr(torch.special, name)(torch.tensor(x), **kwargs)
        got = getattr(torchless.special, name)(torchless.tensor(x), **ours)
        _compare(got.numpy(), expected.numpy(), 1e-12)
    import torchless.special as module

    assert module is torchless.special
    assert set(torch.special.__all__) <= set(dir(torchless.special))


# ---------------------------------------------------------------------------- complex tensors
def test_complex_tensors_basics_match_torch():
    torch = _torch()
    for make in (lambda L: L.tensor([1 + 2j, -0.5 - 1j]), lambda L: L.tensor([1.0, 2.0]) * 1j,
                 lambda L: L.tensor([[1.5, -2.0]], dtype=L.float64) + 0.5j, lambda L: L.zeros(2, dtype=L.cfloat),
                 lambda L: L.complex(L.tensor([1.0, 2.0]), L.tensor([0.5, -3.0])),
                 lambda L: L.view_as_complex(L.tensor([[1.0, 2.0], [3.0, 4.0]]))):
        expected, got = make(torch), make(torchless)
        assert repr(got).replace("torchless.", "torch.") == repr(expected)
        for part in (lambda t: t.real, lambda t: t.imag, lambda t: t.abs(), lambda t: t.angle(),
                     lambda t: t.conj(), lambda L_t: L_t * L_t, lambda t: t / (t + 3)):
            _compare_complex(part(got), part(expected))
    x = torchless.tensor([1 + 1j, 2 - 1j])
    assert x.is_complex() and x.dtype == torchless.complex64
    assert torchless.view_as_real(x).numpy().tolist() == [[1.0, 1.0], [2.0, -1.0]]
    _same_error(lambda L: L.tensor([1.0]).imag, lambda L: L.tensor([1.0]).imag)
    _same_error(lambda L: L.view_as_complex(L.ones(3)), lambda L: L.view_as_complex(L.ones(3)))


def _compare_complex(got, expected, rtol=1e-6):
    assert str(got.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
    np.testing.assert_allclose(got.detach().numpy(), _to_numpy(expected), rtol=rtol, atol=1e-7)


# ---------------------------------------------------------------------------- torch.fft
X = rng.standard_normal((3, 4, 6))
XC = rng.standard_normal((3, 4, 6)) + 1j * rng.standard_normal((3, 4, 6))


@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"])
def test_one_dimensional_transforms_match_torch(name, norm):
    torch = _torch()
    for n in (None, 3, 8):
        for dim in (-1, 0, 1):
            for array in ((X,) if name in ("rfft", "ihfft") else (X, XC)):
                for dtype in ((np.float32, np.float64) if array is X else (np.complex64, np.complex128)):
                    a = array.astype(dtype)
                    expected = getattr(torch.fft, name)(torch.tensor(a), n=n, dim=dim, norm=norm)
                    got = getattr(torchless.fft, name)(torchless.tensor(a), n=n, dim=dim, norm=norm)
                    _compare_complex(got, expected, rtol=1e-4 if dtype in (np.float32, np.complex64) else 1e-10)


@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2", "fftn", "ifftn", "rfftn",
                                  "irfftn", "hfftn", "ihfftn"])
def test_multi_dimensional_transforms_match_torch(name):
    torch = _torch()
    for norm in (None, "ortho", "forward"):
        for s, dim in ((None, None), ((3, 5), None), ((3, 5), (0, 2)), (None, (0,)), ((-1, 4), (1, 2)),
                       ((2, 3, 4), None), (None, (2, 0))):
            for array in ((X,) if name.startswith(("rfft", "ihfft")) else (X, XC)):
                kwargs = {k: v for k, v in (("s", s), ("dim", dim)) if v is not None}
                try:
                    expected = getattr(torch.fft, name)(torch.tensor(array), norm=norm, **kwargs)
                except Exception as error:  # noqa: BLE001 - the same error expected
                    with pytest.raises(type(error), match=None) as got:
                        getattr(torchless.fft, name)(torchless.tensor(array), norm=norm, **kwargs)
                    assert str(got.value) == str(error)
                    continue
                got = getattr(torchless.fft, name)(torchless.tensor(array), norm=norm, **kwargs)
                _compare_complex(got, expected, rtol=1e-10)


def test_fft_of_a_real_input_has_pytorchs_exact_zeros_and_numpys_values():
    torch = _torch()
    for name in ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn"):
        expected = _to_numpy(getattr(torch.fft, name)(torch.tensor(X)))
        got = getattr(torchless.fft, name)(torchless.tensor(X)).numpy()
        zeros = expected.imag == 0
        assert ((got.imag == 0) == zeros).all()
        assert (np.signbit(got.imag[zeros]) == np.signbit(expected.imag[zeros])).all()


def test_fft_against_numpy_without_torch():
    for name in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn",
                 "ifftn", "rfftn", "irfftn"):
        source = X if name.startswith(("rfft", "ihfft")) else XC
        for norm in ("backward", "ortho", "forward"):
            got = getattr(torchless.fft, name)(torchless.tensor(source), norm=norm).numpy()
            np.testing.assert_allclose(got, getattr(np.fft, name)(source, norm=norm), rtol=1e-10, atol=1e-12)
    spectrum = torchless.fft.rfft2(torchless.tensor(X.astype(np.float32)))
    assert spectrum.dtype == torchless.complex64 and spectrum.shape == (3, 4, 4)
    assert torchless.fft.fft(torchless.tensor([1, 2, 3])).dtype == torchless.complex64
    np.testing.assert_allclose(torchless.fft.irfft2(spectrum, s=(4, 6)).numpy(), X, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("call", [
    lambda L: L.fft.fft(L.ones(4), n=0), lambda L: L.fft.fft(L.ones(4), norm="xx"),
    lambda L: L.fft.fft(L.ones(4, 6), dim=2), lambda L: L.fft.rfft(L.ones(4) * 1j),
    lambda L: L.fft.irfft(L.ones(4, 1)), lambda L: L.fft.fftn(L.ones(4, 6), s=(3,), dim=(0, 1)),
    lambda L: L.fft.fftn(L.ones(4, 6), dim=(0, 0)), lambda L: L.fft.fft(L.ones(4, dtype=L.float16)),
    lambda L: L.fft.fft(L.tensor(1.0)), lambda L: L.fft.fft2(L.ones(3)), lambda L: L.fft.fft([1.0]),
    lambda L: L.fft.fftfreq(-1), lambda L: L.fft.fft(L.ones(4), n=-1), lambda L: L.fft.fft(L.ones(4), dim=(0,)),
    lambda L: L.fft.fft2(L.ones(4, 4), s=(2,)), lambda L: L.fft.ihfft(L.ones(3) * 1j),
    lambda L: L.fft.fftfreq(4, dtype=L.int64), lambda L: L.fft.fft(L.ones(0)),
])
def test_fft_errors_match_torch(call):
    _same_error(call, call)


def test_frequencies_and_shifts_match_torch():
    torch = _torch()
    for n in (0, 1, 5, 6):
        for d in (1.0, 0.5):
            for name in ("fftfreq", "rfftfreq"):
                expected = getattr(torch.fft, name)(n, d).numpy()
                got = getattr(torchless.fft, name)(n, d)
                assert got.dtype == torchless.float32
                np.testing.assert_array_equal(got.numpy(), expected)
    assert torchless.fft.fftfreq(4, dtype=torchless.float64).dtype == torchless.float64
    a = np.arange(30).reshape(5, 6)
    for dim in (None, 0, 1, (0, 1), (-1,)):
        for shift in ("fftshift", "ifftshift"):
            expected = getattr(torch.fft, shift)(torch.tensor(a), dim=dim)
            assert (getattr(torchless.fft, shift)(torchless.tensor(a), dim=dim).numpy() == expected.numpy()).all()


LOSSES = {
    "rfft_abs": lambda L, t: L.fft.rfft(t).abs().sum(),
    "rfft2_power": lambda L, t: (L.fft.rfft2(t, s=(5, 7)).abs() ** 2).mean(),
    "fft_real_imag": lambda L, t: (L.fft.fft(t, n=4, dim=1).real.sum()
                                   + (L.fft.fft(t, dim=0, norm="ortho").imag ** 2).sum()),
    "irfft_filter": lambda L, t: (L.fft.irfft(L.fft.rfft(t) * 2.0, n=6) * L.tensor(X)).sum(),
    "irfft2_weighted": lambda L, t: (L.fft.irfft2(L.fft.rfft2(t), s=(4, 6), norm="forward") * L.tensor(X)).sum(),
    "angle": lambda L, t: (L.fft.fft2(t) + 0.1).angle().sum(),
    "hfft": lambda L, t: (L.fft.hfft(L.fft.ifft(t), n=7) ** 2).sum(),
    "ihfft": lambda L, t: L.fft.ihfft(t, n=5).abs().sum(),
    "spectrum_product": lambda L, t: (L.fft.fftn(t) * L.fft.fftn(t).conj()).real.sum(),
    "view_as_real": lambda L, t: (L.view_as_real(L.fft.rfftn(t, dim=(0, 2))) * 2).pow(2).sum(),
    "fftshift": lambda L, t: (L.fft.fftshift(L.fft.fft2(t)).abs() * L.tensor(X)).sum(),
    "complex_arithmetic": lambda L, t: ((L.fft.fft(t) * L.fft.fft(t * 2 + 1)) / (L.fft.fft(t) + 3)).abs().sum(),
    "exp_log_sqrt_pow": lambda L, t: (L.exp(L.fft.fft(t) * 0.1).abs() + L.log(L.fft.fft(t)).real
                                      + L.sqrt(L.fft.fft(t)).abs() + (L.fft.fft(t) ** 2).abs()).sum(),
    "ifftn_crop": lambda L, t: L.fft.ifftn(t, s=(2, 5), norm="ortho").abs().sum(),
}
REAL_ONLY = {"rfft_abs", "rfft2_power", "irfft_filter", "irfft2_weighted", "ihfft", "view_as_real"}


def _assert_same_loss_and_gradient(torch, loss_of, array):
    """``loss_of(lib, t)`` of ``array`` and its gradient, in torchless as in torch."""
    results = []
    for lib in (torch, torchless):
        t = lib.tensor(array, requires_grad=True)
        loss = loss_of(lib, t)
        loss.backward()
        results.append((loss.item(), _to_numpy(t.grad)))
    (expected_loss, expected_grad), (loss, grad) = results
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-10)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_fft_gradients_match_torch(name):
    torch = _torch()
    for array in ((X,) if name in REAL_ONLY else (X, XC)):
        _assert_same_loss_and_gradient(torch, LOSSES[name], array)


def test_rfft_gradient_against_finite_differences_without_torch():
    x = rng.standard_normal((4, 5))
    weights = rng.standard_normal((4, 3))

    def loss_of(array):
        return float((np.abs(np.fft.rfft2(array, norm="ortho")) * weights).sum())

    t = torchless.tensor(x, requires_grad=True)
    (torchless.fft.rfft2(t, norm="ortho").abs() * torchless.tensor(weights)).sum().backward()
    numeric = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        step = np.zeros_like(x)
        step[index] = 1e-6
        numeric[index] = (loss_of(x + step) - loss_of(x - step)) / 2e-6
    np.testing.assert_allclose(t.grad.numpy(), numeric, rtol=1e-5, atol=1e-7)
    assert t.grad.dtype == torchless.float64


@pytest.mark.parametrize("call", [
    lambda L: L.i0(L.tensor([1.0, 2.0], dtype=L.float64)),
    lambda L: L.polygamma(2, L.tensor([1.0, 2.0], dtype=L.float64)),
    lambda L: L.tensor([1.0, 2.0], dtype=L.float64).polygamma(1),
    lambda L: L.tensor([1.0, 2.0], dtype=L.float64).igamma(L.tensor([1.0, 3.0], dtype=L.float64)),
    lambda L: L.igammac(L.tensor([1.0, 2.0], dtype=L.float64), L.tensor([0.5], dtype=L.float64)),
    lambda L: L.mvlgamma(L.tensor([3.0, 2.0], dtype=L.float64), 2),
    lambda L: L.tensor([3.0, 2.0], dtype=L.float64).mvlgamma(2),
    lambda L: L.tensor([3.0, 2.0], dtype=L.float64).i0(),
])
def test_torch_namespace_forms_match_torch(call):
    torch = _torch()
    # (PyTorch's float64 trigamma, polygamma(1, x), is off by up to 1e-9; torchless's is exact to rounding)
    np.testing.assert_allclose(call(torchless).numpy(), call(torch).numpy(), rtol=1e-8)


@pytest.mark.parametrize("call", [
    lambda L: L.i0(1.0), lambda L: L.polygamma(2.5, L.tensor([1.0])), lambda L: L.igammac(L.tensor([1.0]), 3),
    lambda L: L.tensor([3.0]).mvlgamma(2.0), lambda L: L.mvlgamma(L.tensor([3.0]), 2.0),
])
def test_torch_namespace_form_errors_match_torch(call):
    _same_error(call, call)


@pytest.mark.parametrize("call", [
    lambda L: L.zeros(2, dtype=L.complex64).type(),
    lambda L: L.tensor([1 + 2j, 3 - 1j]).mean(),
    lambda L: L.tensor([1 + 2j, 3 - 1j]).sum(),
    lambda L: L.tensor([1j]).requires_grad_(),
    lambda L: L.tensor([1 + 2j, 3 - 1j]).tolist(),
    lambda L: L.tensor([1.0, 2.0]).to(L.complex64),
    lambda L: L.tensor([1j, 2j]) * L.tensor([1.0, 2.0], dtype=L.float64),
])
def test_complex_tensor_methods_match_torch(call):
    torch = _torch()
    assert repr(call(torchless)).replace("torchless", "torch") == repr(call(torch))


def test_complex_tensors_save_and_load(tmp_path):
    path = tmp_path / "complex.pt"
    torchless.save({"spectrum": torchless.tensor([1 + 2j, -3j])}, path)
    loaded = torchless.load(path)["spectrum"]
    assert loaded.dtype == torchless.complex64 and loaded.tolist() == [1 + 2j, -3j]


W = rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4))
HOLOMORPHIC = {
    "matmul": lambda L, t: (t @ L.tensor(W)).abs().sum(),
    "matmul_self": lambda L, t: (t @ t).abs().sum(),
    "einsum": lambda L, t: L.einsum("ij,jk->ik", t, L.tensor(W)).abs().sum(),
    "reciprocal_square": lambda L, t: (t.reciprocal() + t.square()).abs().sum(),
    "tanh_sin": lambda L, t: (L.tanh(t * 0.1) + L.sin(t * 0.1)).abs().sum(),
    "power_of_itself": lambda L, t: (t ** t).abs().sum(),
    "real_part_times_complex": lambda L, t: (t.real * L.tensor(W)).abs().sum() + (t.imag / L.tensor(W)).angle().sum(),
    "complex_of_parts": lambda L, t: (L.complex(t.real, t.imag * 2) @ L.tensor(W)).abs().sum(),
    "view_as_complex": lambda L, t: (L.view_as_complex(L.view_as_real(t) * 2) * L.tensor(W)).abs().sum(),
    "spectral_filter": lambda L, t: (L.fft.ifft2(L.fft.fft2(t) * L.tensor(W)).real ** 2).sum(),
}


@pytest.mark.parametrize("name", sorted(HOLOMORPHIC))
def test_complex_gradients_through_ordinary_ops_match_torch(name):
    torch = _torch()
    x = rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4))
    _assert_same_loss_and_gradient(torch, HOLOMORPHIC[name], x)


def test_a_real_input_of_a_complex_computation_gets_a_real_gradient():
    torch = _torch()
    x = rng.standard_normal((4, 4))
    grads = []
    for lib in (torch, torchless):
        t = lib.tensor(x, requires_grad=True)
        ((t * (1 + 2j)) @ lib.tensor(W)).abs().sum().backward()
        grads.append(t.grad)
    assert grads[1].dtype == torchless.float64
    np.testing.assert_allclose(grads[1].numpy(), grads[0].numpy(), rtol=1e-10)
