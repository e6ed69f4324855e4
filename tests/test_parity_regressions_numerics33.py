"""Session 33 numerics: last bits and special values against torch 2.13 (gelu's oneDNN and ATen kernels, ...)."""
import math

import numpy as np
import pytest

import torchless
import torchless.nn.functional as TF
from torchless import _cpu_features as cpu_features
from torchless._kernels.cpu_loops import vector_bytes
from torchless.nn._functional import activation


def _torch():
    return pytest.importorskip("torch")


def _bits(array):
    array = np.ascontiguousarray(array)
    return array.view({2: np.int16, 4: np.int32, 8: np.int64}[array.itemsize])


def _assert_same_bits(ours, theirs):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    # (NaN's sign and payload aside: they are not PyTorch's API)
    nan = np.isnan(ours) & np.isnan(theirs)
    mismatched = (_bits(ours) != _bits(theirs)) & ~nan
    assert not mismatched.any(), (ours[mismatched][:5], theirs[mismatched][:5])


def _gelu_grid():
    dense = np.linspace(-20, 20, 200_001, dtype=np.float32)
    tails = np.logspace(-45, 38, 4001).astype(np.float32)
    special = np.float32([np.inf, -np.inf, np.nan, 0.0, -0.0, 3e38, -3e38, 1e-45, -1e-45])
    grid = np.concatenate([dense, tails, -tails, special])
    return np.concatenate([grid, np.zeros(-len(grid) % 64, np.float32)])


# ---- 1. gelu -----------------------------------------------------------------------------------------------------

needs_avx512 = pytest.mark.skipif(vector_bytes() != 64, reason="oneDNN's AVX-512 gelu kernels are reproduced")


@needs_avx512
def test_float32_gelu_of_a_contiguous_tensor_is_onednns_bit_for_bit():
    torch = _torch()
    x = _gelu_grid()
    _assert_same_bits(TF.gelu(torchless.tensor(x)).numpy(), torch.nn.functional.gelu(torch.tensor(x)).numpy())


@needs_avx512
def test_float32_gelu_tails_are_onednns():
    # oneDNN's erf touches -1 before its saturation at |x| = 5.54: gelu is -0 at -5.51 where the float32 formula
    # with a correctly rounded erf (and ATen's kernel) still gives -1.64e-7; it is exactly x from 5.33 on
    x = np.float32([-5.51, -6.0, -100.0, 5.34, 6.0, 1e30])
    out = TF.gelu(torchless.tensor(x)).numpy()
    assert _bits(out[:3]).tolist() == _bits(np.float32([-0.0] * 3)).tolist()
    np.testing.assert_array_equal(out[3:], x[3:])


def test_float32_gelu_is_accurate_where_it_does_not_cancel():
    # torch-free: against the float64 formula (oneDNN's polynomials and ATen's erf are within a few ulp here)
    x = np.linspace(-3, 8, 100_001, dtype=np.float32)
    exact = 0.5 * x.astype(np.float64) * (1 + np.vectorize(math.erf)(x.astype(np.float64) / math.sqrt(2)))
    for layout in (lambda t: t, lambda t: t.reshape(-1, 1).expand(-1, 2)[:, 0]):  # oneDNN's; ATen's
        out = TF.gelu(layout(torchless.tensor(x))).numpy().astype(np.float64)
        np.testing.assert_allclose(out, exact, rtol=4e-6, atol=1.5e-6)


@pytest.mark.parametrize("layout", ["transposed", "channels_last", "strided", "narrowed", "0-d", "one", "expanded",
                                    "33"])
def test_float32_gelu_of_other_layouts_runs_atens_kernel(layout):
    # ATen's own kernel: Abramowitz and Stegun's erf in its vectors (+inf goes to NaN... in oneDNN's too), libm's
    # erf in its scalar loop (glibc's erff misses by an ulp now and then: the strided inputs are compared loosely)
    torch = _torch()
    x = (np.random.default_rng(3).standard_normal(4096) * 3).astype(np.float32)
    x[[5, 9, 11, 40]] = [np.inf, -np.inf, np.nan, -5.52]

    def view(lib):
        t = lib.tensor(x)
        return {"transposed": t.reshape(64, 64).T, "strided": t[::2], "narrowed": t.reshape(64, 64)[:, :40],
                "channels_last": t.reshape(1, 4, 32, 32).contiguous(memory_format=lib.channels_last),
                "0-d": t[40], "one": t[40:41], "expanded": t[:3].reshape(3, 1).expand(3, 50), "33": t[:33]}[layout]

    ours, theirs = TF.gelu(view(torchless)).numpy(), torch.nn.functional.gelu(view(torch)).numpy()
    if layout in ("strided", "narrowed"):
        np.testing.assert_allclose(ours, theirs, rtol=3e-7, atol=2e-7, equal_nan=True)
    else:
        _assert_same_bits(ours, theirs)


def test_float32_gelu_without_mkldnn_runs_atens_kernel():
    torch = _torch()
    x = (np.random.default_rng(4).standard_normal(4096) * 3).astype(np.float32)
    x[:4] = [-5.52, -5.6, np.inf, -np.inf]
    before = torchless.backends.mkldnn.enabled, torch.backends.mkldnn.enabled
    try:
        torchless.backends.mkldnn.enabled = torch.backends.mkldnn.enabled = False
        ours, theirs = TF.gelu(torchless.tensor(x)).numpy(), torch.nn.functional.gelu(torch.tensor(x)).numpy()
    finally:
        torchless.backends.mkldnn.enabled, torch.backends.mkldnn.enabled = before
    _assert_same_bits(ours, theirs)
    assert ours[0] != 0  # (ATen's erf(-3.90) is not -1 yet: oneDNN's gelu would be -0 here)


@needs_avx512
@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("how", ["sum", "grad"])
def test_gelu_backward_of_a_contiguous_tensor_as_torchs(dtype, how):
    # oneDNN's kernel for float32, and for float16 on CPUs with AVX512-FP16; ATen's own for float16 on the others
    # (an AMD EPYC). float16: bit for bit; float32 takes the plain formula (emulated fused multiply-adds cost 50x)
    torch = _torch()
    x = _gelu_grid()[::4]
    with np.errstate(over="ignore"):
        x = np.clip(x, -7e4, 7e4).astype(dtype)  # (float16: the ends infinite)
    g = (np.random.default_rng(5).standard_normal(x.shape) * 2).astype(dtype)

    def grad(lib, functional):
        t = lib.tensor(x).requires_grad_()
        y = functional.gelu(t)
        y.sum().backward() if how == "sum" else y.backward(lib.tensor(g))
        return t.grad.numpy()

    ours, theirs = grad(torchless, TF), grad(torch, torch.nn.functional)
    if dtype == "float16":
        _assert_same_bits(ours, theirs)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=2e-6 * np.abs(g).max(), equal_nan=True)


def _contiguous_float16_gelu_input():
    x = (np.random.RandomState(0).randn(30000) * 3).astype(np.float16)
    x[:8] = [np.inf, -np.inf, np.nan, 0, -0.0, 65504, -65504, 6e-8]
    return x


@needs_avx512
@pytest.mark.skipif(not cpu_features.has("AVX512FP16"), reason="ATen hands float16 gelu to oneDNN with AVX512-FP16")
def test_float16_gelu_of_a_contiguous_tensor_is_onednns_where_it_has_avx512_fp16():
    torch = _torch()
    x = _contiguous_float16_gelu_input()
    assert activation._onednn_gelu(x)
    _assert_same_bits(TF.gelu(torchless.tensor(x)).numpy(), torch.nn.functional.gelu(torch.tensor(x)).numpy())


@needs_avx512
@pytest.mark.skipif(cpu_features.has("AVX512FP16"), reason="ATen hands float16 gelu to oneDNN with AVX512-FP16")
@pytest.mark.parametrize("threads", [1, 2])
def test_float16_gelu_of_a_contiguous_tensor_is_atens_without_avx512_fp16(threads):
    # ATen's own kernel: with two threads each takes half of the 30000 elements (gelu's grain size), and the first
    # half's scalar tail (libm's erf) ends at element 14999 (see gelu_threads40)
    torch = _torch()
    x = _contiguous_float16_gelu_input()
    assert not activation._onednn_gelu(x)
    before = torchless.get_num_threads(), torch.get_num_threads()
    try:
        torchless.set_num_threads(threads)
        torch.set_num_threads(threads)
        ours, theirs = TF.gelu(torchless.tensor(x)).numpy(), torch.nn.functional.gelu(torch.tensor(x)).numpy()
    finally:
        torchless.set_num_threads(before[0])
        torch.set_num_threads(before[1])
    _assert_same_bits(ours, theirs)


@needs_avx512
def test_onednn_gelu_derivative_against_finite_differences():
    # torch-free: the derivative oneDNN's backward computes is gelu's to float32 accuracy
    from torchless._kernels import onednn_gelu
    x = np.linspace(-6, 6, 2001)
    step = 1e-6
    gelu64 = np.vectorize(lambda v: 0.5 * v * (1 + math.erf(v / math.sqrt(2))))
    central = (gelu64(x + step) - gelu64(x - step)) / (2 * step)
    np.testing.assert_allclose(onednn_gelu.gelu_erf_derivative(x.astype(np.float32)), central, atol=3e-6)


# ---- 2. sigmoid --------------------------------------------------------------------------------------------------

def _sigmoid_grid():
    tails = np.logspace(-44, 38, 20001).astype(np.float32)
    return np.concatenate([np.linspace(-100, 100, 200_001, dtype=np.float32), tails, -tails,
                           np.float32([np.inf, -np.inf, np.nan, 0.0, -0.0, -88.72, -88.73, -103.0])])


def test_float32_sigmoid_underflows_to_zero_as_torch():
    # 1 / (1 + e^-x): e^-x overflows below x = -88.7228, and the result is 0 there (e / (1 + e), stable as it is,
    # gave subnormals down to -103)
    torch = _torch()
    x = np.float32([-88.72, -88.73, -95.0, -103.0, -104.0, -1e30, -np.inf])
    ours = torchless.sigmoid(torchless.tensor(x)).numpy()
    _assert_same_bits(ours, torch.sigmoid(torch.tensor(x)).numpy())
    assert ours[0] > 0 and (ours[1:] == 0).all()


def test_float32_sigmoid_within_an_ulp_of_torch_over_a_dense_grid():
    torch = _torch()
    x = _sigmoid_grid()
    ours, theirs = torchless.sigmoid(torchless.tensor(x)).numpy(), torch.sigmoid(torch.tensor(x)).numpy()
    finite = ~np.isnan(theirs)
    assert np.array_equal(np.isnan(ours), ~finite)
    distance = np.abs(_bits(ours[finite]).astype(np.int64) - _bits(theirs[finite]))
    # (SLEEF's e^x in torch's vectors is within an ulp of the correctly rounded one taken here)
    assert distance.max() <= 4 and np.count_nonzero(distance) < 0.05 * distance.size


def test_float32_sigmoid_against_float64():
    # torch-free: 1 / (1 + e^-x) with e^-x rounded to float32 is within 2 ulp where the result is normal
    x = np.linspace(-87, 40, 300_001, dtype=np.float32)
    ours = torchless.sigmoid(torchless.tensor(x)).numpy().astype(np.float64)
    exact = 1 / (1 + np.exp(-x.astype(np.float64)))
    np.testing.assert_allclose(ours, exact, rtol=2.5e-7, atol=0)


# ---- 3. binary ops' special values ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logaddexp2_adds_the_scaled_log1p_in_one_rounding(dtype):
    # max(a, b) + log1p(2^-|a - b|) * (1 / ln 2), the product fused into the sum: logaddexp2(-1, -1) is not 0
    torch = _torch()
    a = np.array([-1.0, 3.0, 0.5, np.inf, -np.inf, np.inf, np.nan, -7.25], dtype)
    b = np.array([-1.0, 3.0, -2.0, np.inf, -np.inf, -np.inf, 1.0, -7.25], dtype)
    ours = torchless.logaddexp2(torchless.tensor(a), torchless.tensor(b)).numpy()
    _assert_same_bits(ours, torch.logaddexp2(torch.tensor(a), torch.tensor(b)).numpy())
    # torch-free: the rounding of 1 / ln 2 shows: ln 2 / 1 rounded twice is 1 - 1.06e-8 (float32), not 1
    reciprocal = np.dtype(dtype).type(1 / math.log(2))
    expected = float(np.log1p(np.dtype(dtype).type(1))) * float(reciprocal) - 1  # (exact in float64 for float32)
    assert ours[0] != 0 and (dtype == "float64" or ours[0] == np.float32(expected))


def test_float16_nextafter_of_equal_values_is_the_target():
    # C's nextafter(x, y) is y where x == y: the sign of a zero target shows (NumPy's float16 one gave x)
    torch = _torch()
    a = np.float16([0.0, -0.0, 0.0, -0.0, 1.0, 65504])
    b = np.float16([-0.0, 0.0, 0.0, -0.0, 2.0, np.inf])
    ours = torchless.nextafter(torchless.tensor(a), torchless.tensor(b)).numpy()
    _assert_same_bits(ours, torch.nextafter(torch.tensor(a), torch.tensor(b)).numpy())
    assert np.signbit(ours[:4]).tolist() == [True, False, False, True]


# ---- 4. complex negation -------------------------------------------------------------------------------------------

_COMPLEX_ZEROS = np.array([100j, 0j, -1 + 0j, 0.5 - 0j, complex(-0.0, 0.0), complex(np.nan, 0.0)] * 8, np.complex64)


@pytest.mark.parametrize("layout", ["contiguous", "five", "37", "strided", "transposed", "complex128", "in-place"])
def test_complex_negation_keeps_torchs_signed_zeros(layout):
    # the kernel's vectors take 0 - z (a zero part comes out +0), its scalar loop -z (-0)
    torch = _torch()

    def negated(lib):
        z = lib.tensor(_COMPLEX_ZEROS.astype(np.complex128) if layout == "complex128" else _COMPLEX_ZEROS)
        z = {"five": z[:5], "37": z[:37], "strided": z[::2], "transposed": z.reshape(6, 8).T}.get(layout, z)
        return z.neg_() if layout == "in-place" else -z

    ours, theirs = (np.ascontiguousarray(negated(lib).numpy()) for lib in (torchless, torch))
    _assert_same_bits(ours.view(ours.real.dtype), theirs.view(theirs.real.dtype))
    # torch-free: 0 - z gives +0 for zero parts in the vectorised head, -z gives -0 in a short tensor
    if layout == "contiguous":
        assert not np.signbit(ours[1].real) and not np.signbit(ours[1].imag)
    if layout == "five":
        assert np.signbit(ours[1].real) and np.signbit(ours[1].imag)


def test_complex_negation_gradient_as_torch():
    torch = _torch()

    def gradient(lib):
        z = lib.tensor(_COMPLEX_ZEROS, requires_grad=True)
        z.neg().backward(lib.tensor(_COMPLEX_ZEROS))
        return z.grad.numpy()

    ours, theirs = gradient(torchless), gradient(torch)
    _assert_same_bits(ours.view(np.float32), theirs.view(np.float32))


# ---- 5. complex add and sub: alpha b is a complex product ------------------------------------------------------

_INFINITE_PARTS = np.array([complex(np.inf, -1), complex(-np.inf, 0.5), complex(np.nan, -2.5), complex(1, np.inf),
                            complex(-0.0, -0.0), 0j, complex(-0.0, 0.0), 3 + 4j] * 5, np.complex64)
_COMPLEX_SELF = np.array([100j, 0j, complex(-0.0, -0.0), 1 - 1j, complex(np.inf, 2)] * 8, np.complex64)
_REAL_SELF = np.float32([0.0, -0.0, np.inf, -np.inf, 1.5] * 8)


@pytest.mark.parametrize("case", ["add", "sub", "add alpha", "sub alpha", "float + complex", "complex - float",
                                  "number", "add_", "sub_", "rsub", "short", "complex128"])
def test_complex_add_and_sub_multiply_the_other_operand_by_alpha(case):
    # a + alpha b with (alpha + 0j) b a complex product even for alpha = 1: 100j + (inf - 1j) is inf + nanj
    torch = _torch()

    def result(lib):
        a, b, f = lib.tensor(_COMPLEX_SELF), lib.tensor(_INFINITE_PARTS), lib.tensor(_REAL_SELF)
        return {"add": lambda: a + b, "sub": lambda: a - b, "add alpha": lambda: lib.add(a, b, alpha=2),
                "sub alpha": lambda: lib.sub(a, b, alpha=2), "float + complex": lambda: f + b,
                "complex - float": lambda: a - f, "number": lambda: a + complex(np.inf, 1), "add_": lambda: a.add_(b),
                "sub_": lambda: a.sub_(b), "rsub": lambda: lib.rsub(a, b), "short": lambda: a[:3] + b[:3],
                "complex128": lambda: a.to(lib.complex128) + b}[case]()

    ours, theirs = result(torchless).numpy(), result(torch).numpy()
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)  # (NaN in the same parts)
    if case == "add":  # torch-free: the imaginary part of 100j + (inf - 1j) is inf * 0
        assert np.isinf(ours[0].real) and np.isnan(ours[0].imag)


def test_real_add_keeps_finite_parts():
    x = torchless.tensor(np.float32([np.inf, 1.0]))
    np.testing.assert_array_equal((x + x).numpy(), [np.inf, 2.0])


@pytest.mark.parametrize("op", ["add", "sub", "rsub"])
@pytest.mark.parametrize("alpha", [1, 2, -1])
def test_complex_add_and_sub_signed_zeros_and_infinities_bit_for_bit(op, alpha):
    # sub is a + (-alpha + 0j) b: (-0 - 100j) - 100j keeps its real -0
    torch = _torch()
    parts = [0.0, -0.0, 1.0, -100.0, np.inf, -np.inf, np.nan]
    values = np.array([complex(r, i) for r in parts for i in parts], np.complex64)
    a, b = np.repeat(values, values.size), np.tile(values, values.size)

    def result(lib):
        return getattr(lib, op)(lib.tensor(a), lib.tensor(b), alpha=alpha).numpy()

    ours, theirs = result(torchless), result(torch)
    _assert_same_bits(ours.view(np.float32), theirs.view(np.float32))
