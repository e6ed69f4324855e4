"""Session 34 numerics: the faster element-wise kernels and random draws keep their values, against torch 2.13 and
independent references (float64 math, exact rational arithmetic, the Mersenne Twister's words by hand)."""
import math
from fractions import Fraction

import numpy as np
import pytest

import torchless
import torchless.nn.functional as TF
from helpers import run_python
from torchless._kernels import cpu_loops, onednn_gelu
from torchless._kernels.cpu_loops import vector_bytes
from torchless._ops import special


def _torch():
    return pytest.importorskip("torch")


def _bits(array):
    array = np.ascontiguousarray(array)
    return array.view({1: np.uint8, 2: np.int16, 4: np.int32, 8: np.int64}[array.itemsize])


def _assert_same_bits(ours, theirs):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    nan = np.isnan(ours) & np.isnan(theirs)  # (NaN's sign and payload aside)
    mismatched = (_bits(ours) != _bits(theirs)) & ~nan
    assert not mismatched.any(), (np.flatnonzero(mismatched)[:5], ours[mismatched][:5], theirs[mismatched][:5])


_SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 3e38, -3e38, 5.5, -5.5, 88.8, -88.8, -104.0, 1e-3]


def _values(count, dtype=np.float32, seed=0, scale=3.0):
    """``count`` values over several scales, the special ones first: more than one piece of the kernels' loops."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(count) * scale
    values[::7] *= 1e-3
    values[::11] *= 30
    values[:len(_SPECIAL)] = _SPECIAL
    with np.errstate(over="ignore"):
        return values.astype(dtype)


def _float32_nearest(exact):
    """The float32 nearest to the Fraction ``exact`` (ties to even), exactly: the float64 nearest, then its float32
    neighbours compared as fractions (no double rounding)."""
    guess = np.float32(float(exact))
    below, above = np.nextafter(guess, np.float32(-np.inf)), np.nextafter(guess, np.float32(np.inf))
    best = None
    for candidate in (below, guess, above):
        distance = abs(Fraction(float(candidate)) - exact)
        even = int(np.float32(candidate).view(np.int32)) % 2 == 0
        if best is None or distance < best[0] or (distance == best[0] and even):
            best = (distance, candidate)
    return best[1]


# ---- 1. gelu's oneDNN kernels, now computed in pieces ------------------------------------------------------------

needs_avx512 = pytest.mark.skipif(vector_bytes() != 64, reason="oneDNN's AVX-512 gelu kernels are reproduced")


def test_onednn_erf_polynomials_match_exact_fused_multiply_adds():
    # An independent evaluation of the kernel's arithmetic: the same table, each Horner step rounded once from the
    # exact rational value (an FMA), over every one of the 25 ranges
    rng = np.random.default_rng(1)
    magnitudes = np.concatenate([np.float32(2.0) ** np.arange(-14, 4, 0.25, dtype=np.float32),
                                 rng.uniform(0, 6, 300).astype(np.float32)])
    x = np.concatenate([magnitudes, -magnitudes[::3]]).astype(np.float32)
    expected = []
    for value in x.tolist():
        magnitude = abs(value)
        biased = int(np.float32(magnitude).view(np.int32)) + int(onednn_gelu._INDEX_BIAS)
        index = ((biased + 2**31) % 2**32 - 2**31) >> 21  # (int32 arithmetic wraps around)
        index = 23 if magnitude > onednn_gelu._SATURATION else min(max(index, 1), 24)
        coefficients = [float(c) for c in onednn_gelu._COEFFICIENTS[:, index]]
        polynomial = np.float32(coefficients[5])
        for degree in range(4, -1, -1):
            exact = Fraction(float(polynomial)) * Fraction(magnitude) + Fraction(coefficients[degree])
            polynomial = _float32_nearest(exact)
        expected.append(-polynomial if math.copysign(1, value) < 0 else polynomial)
    # in one call (pieces of 8192 and more: the tail piece's boundary too) and in small calls alike
    repeated = np.tile(x, 40)
    whole = onednn_gelu.erf_of_scaled(repeated)
    _assert_same_bits(whole, np.tile(np.float32(expected), 40))
    _assert_same_bits(onednn_gelu.erf_of_scaled(x[:5]), np.float32(expected[:5]))


def test_onednn_erf_is_erf_of_x_over_sqrt2_to_float32_accuracy():
    x = _values(20_000, scale=2.0)
    x = x[np.isfinite(x)]
    reference = np.array([math.erf(v / math.sqrt(2)) for v in x.astype(np.float64).tolist()])
    np.testing.assert_allclose(onednn_gelu.erf_of_scaled(x), reference, rtol=0, atol=1e-6)  # (its polynomials)


def test_onednn_gelu_derivative_in_pieces_is_the_derivative():
    x = _values(30_001, scale=2.0)
    x = x[np.isfinite(x) & (np.abs(x) < 20)]
    derivative = onednn_gelu.gelu_erf_derivative(x.reshape(-1, 1))
    assert derivative.shape == (x.size, 1) and derivative.dtype == np.float32
    wide = x.astype(np.float64)
    reference = 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in wide.tolist()])) + \
        wide * np.exp(-wide * wide / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(derivative[:, 0], reference, rtol=0, atol=3e-6)
    # each element as computed alone
    _assert_same_bits(derivative[[0, 8191, 8192, 8193, -1], 0],
                      np.concatenate([onednn_gelu.gelu_erf_derivative(x[[i]]) for i in (0, 8191, 8192, 8193, -1)]))


@needs_avx512
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_large_gelu_forward_and_backward_as_torchs(dtype):
    torch = _torch()
    x = _values(3 * 41 * 257, getattr(np, dtype)).reshape(3, 41, 257)
    grad = _values(x.size, getattr(np, dtype), seed=2, scale=1.0).reshape(x.shape)
    grad[~np.isfinite(grad)] = 1
    ours = torchless.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    _assert_same_bits(TF.gelu(ours).detach().numpy(), torch.nn.functional.gelu(theirs).detach().numpy())
    TF.gelu(ours).backward(torchless.tensor(grad))
    torch.nn.functional.gelu(theirs).backward(torch.tensor(grad))
    if dtype == "float16":
        _assert_same_bits(ours.grad.numpy(), theirs.grad.numpy())
    else:  # (float32's derivative is oneDNN's to about an ulp of the gradient: see numerics33)
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=2e-6, atol=2e-6 * np.abs(grad).max())


def test_float16_gelu_is_accurate():
    x = np.linspace(-6, 6, 20_001).astype(np.float16)
    wide = x.astype(np.float64)
    reference = wide * 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in wide.tolist()]))
    out = TF.gelu(torchless.tensor(x)).numpy()
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.astype(np.float64), reference, rtol=2e-3, atol=2e-5)


# ---- 2. erf's series in pieces -----------------------------------------------------------------------------------

def test_erf_is_erf_to_float64_precision():
    x = _values(40_000, np.float64, scale=1.5)
    out = special.erf(x)
    reference = np.array([math.erf(v) for v in x.tolist()])
    finite = np.isfinite(x)
    np.testing.assert_allclose(out[finite], reference[finite], rtol=2e-15, atol=1e-300)  # (a few ulps)
    assert np.isnan(out[np.isnan(x)]).all()
    assert math.copysign(1, out[1]) == -1  # erf(-0) = -0


def test_erf_of_an_element_does_not_depend_on_its_neighbours():
    # summed in pieces: small values alone in theirs, or each beside a 2.9 (whose terms settle last), or alone
    rng = np.random.default_rng(3)
    small = rng.uniform(0, 1.5, 3 * 8192)
    alone = special.erf(np.concatenate([small, [2.9]]))[:-1]
    interleaved = np.empty(2 * small.size)
    interleaved[0::2], interleaved[1::2] = small, 2.9
    _assert_same_bits(alone, special.erf(interleaved)[0::2])
    _assert_same_bits(alone[8190:8194], np.concatenate([special.erf(small[[i]]) for i in range(8190, 8194)]))


def test_torch_erf_of_float32_stays_close_to_torchs():
    torch = _torch()
    x = _values(50_000, scale=1.5)
    ours = torchless.erf(torchless.tensor(x)).numpy()
    theirs = torch.erf(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1.2e-7)


# ---- 3. activations in pieces ------------------------------------------------------------------------------------

_ACTIVATIONS = {
    "sigmoid": lambda lib, t: lib.sigmoid(t),
    "silu": lambda lib, t: lib.nn.functional.silu(t),
    "elu": lambda lib, t: lib.nn.functional.elu(t),
    "elu_negative_alpha": lambda lib, t: lib.nn.functional.elu(t, alpha=-0.7),
    "celu": lambda lib, t: lib.nn.functional.celu(t, alpha=1.3),
    "selu": lambda lib, t: lib.nn.functional.selu(t),
    "leaky_relu": lambda lib, t: lib.nn.functional.leaky_relu(t),
    "leaky_relu_3": lambda lib, t: lib.nn.functional.leaky_relu(t, 3.0),
}


def _reference(name, x):
    """The activation in float64 from its definition."""
    with np.errstate(all="ignore"):
        sigmoid = 1 / (1 + np.exp(-x))
        elu = lambda alpha: np.where(x > 0, x, alpha * np.expm1(x))  # noqa: E731
        return {"sigmoid": sigmoid, "silu": x * sigmoid, "elu": elu(1.0), "elu_negative_alpha": elu(-0.7),
                "celu": np.where(x > 0, x, 1.3 * np.expm1(x / 1.3)),
                "selu": 1.0507009873554804934193349852946 * elu(1.6732632423543772848170429916717),
                "leaky_relu": np.where(x > 0, x, 0.01 * x), "leaky_relu_3": np.where(x > 0, x, 3.0 * x)}[name]


@pytest.mark.parametrize("name", sorted(_ACTIVATIONS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activation_in_pieces_equals_the_whole_array_path_and_is_accurate(name, dtype):
    x = _values(5 * cpu_loops.PIECE + 127, getattr(np, dtype)).reshape(-1, 3)
    large = _ACTIVATIONS[name](torchless, torchless.tensor(x)).numpy()
    # a transposed view (not C-contiguous) and a small slice take the NumPy passes over the whole array
    strided = _ACTIVATIONS[name](torchless, torchless.tensor(x.T.copy()).t()).numpy()
    _assert_same_bits(large, np.ascontiguousarray(strided))
    _assert_same_bits(large[:100], _ACTIVATIONS[name](torchless, torchless.tensor(x[:100])).numpy())
    finite = np.isfinite(x) & (np.abs(x) < 80)
    reference = _reference(name, x.astype(np.float64))
    tiny = np.finfo(dtype).smallest_normal  # (subnormal results: to an absolute ulp)
    np.testing.assert_allclose(large[finite], reference[finite], rtol=4 * np.finfo(dtype).eps, atol=tiny)


@pytest.mark.parametrize("name", sorted(_ACTIVATIONS))
def test_large_activations_match_torch(name):
    torch = _torch()
    x = _values(4 * cpu_loops.PIECE + 5)
    ours = _ACTIVATIONS[name](torchless, torchless.tensor(x)).numpy()
    theirs = _ACTIVATIONS[name](torch, torch.tensor(x)).numpy()
    if name.startswith("leaky_relu"):  # bit for bit; the others within about an ulp (their exp is not libm's)
        _assert_same_bits(ours, theirs)
    # (silu's far negative side: a tiny negative number where PyTorch's exp underflows to -0 first)
    np.testing.assert_allclose(ours, theirs, rtol=4e-7, atol=1e-36)
    assert (np.isnan(ours) == np.isnan(theirs)).all()
    assert (np.signbit(ours) == np.signbit(theirs))[~np.isnan(ours)].all()


def test_large_silu_and_leaky_relu_gradients_match_torch():
    torch = _torch()
    x = _values(3 * cpu_loops.PIECE)
    x = x[np.isfinite(x)]
    for fn in ("silu", "leaky_relu", "elu"):
        ours, theirs = torchless.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        getattr(TF, fn)(ours).sum().backward()
        getattr(torch.nn.functional, fn)(theirs).sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=4e-7, atol=1e-6)


def test_in_place_large_leaky_relu_and_elu_match_torch():
    torch = _torch()
    x = _values(2 * cpu_loops.PIECE + 1)
    for fn in ("leaky_relu_", "elu_"):
        ours, theirs = torchless.tensor(x), torch.tensor(x)
        getattr(TF, fn)(ours)
        getattr(torch.nn.functional, fn)(theirs)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=4e-7, atol=1e-36)


def test_select_is_where_bit_for_bit():
    rng = np.random.default_rng(4)
    for dtype in (np.float16, np.float32, np.float64):
        a = _values(1000, dtype, seed=5)
        b = -_values(1000, dtype, seed=6)
        mask = rng.random(1000) < 0.5
        _assert_same_bits(cpu_loops.select(mask, a, b), np.where(mask, a, b))
        assert cpu_loops.select(mask, a, b).dtype == dtype


def test_large_activations_warn_about_nothing():
    source = (
        "import warnings; warnings.simplefilter('error')\n"
        "import numpy as np, torchless\n"
        "import torchless.nn.functional as F\n"
        "x = torchless.tensor(np.float32([np.inf, -np.inf, np.nan, 3e38, -3e38, -100.0, 100.0] * 20000))\n"
        "for f in (torchless.sigmoid, F.silu, F.elu, F.celu, F.selu, F.leaky_relu, F.gelu,\n"
        "          lambda t: F.gelu(t.half()), torchless.erf, lambda t: torchless.erf(t.double())):\n"
        "    f(x)\n"
        "print('quiet')\n")
    out, err = run_python(["-c", source])
    assert out.strip() == "quiet" and "Warning" not in err


# ---- 4. random draws ---------------------------------------------------------------------------------------------

def _mersenne_words(seed, count):
    """The first ``count`` 32-bit words of PyTorch's CPU generator after manual_seed(seed), by NumPy's legacy
    RandomState (the same Mersenne Twister, seeded the same way)."""
    return np.random.RandomState(seed).randint(0, 2**32, size=count, dtype=np.uint64).tolist()


def test_small_float64_normals_are_box_muller_of_the_twisters_words():
    # fewer than 16 values are drawn one pair at a time: u = 53 bits of two words / 2**53, r = sqrt(-2 log(1 - u2)),
    # theta = 2 pi u1, r cos and r sin; an odd count keeps the last sine for the next draw
    words = _mersenne_words(2024, 16)
    uniforms = [((words[2 * i] << 32 | words[2 * i + 1]) & (2**53 - 1)) * 2.0**-53 for i in range(8)]
    expected = []
    for theta_u, radius_u in zip(uniforms[::2], uniforms[1::2]):
        radius = math.sqrt(-2.0 * math.log1p(-radius_u))
        expected += [radius * math.cos(2 * math.pi * theta_u), radius * math.sin(2 * math.pi * theta_u)]
    torchless.manual_seed(2024)
    first = torchless.randn(5, dtype=torchless.float64).numpy().tolist()
    second = torchless.randn(3, dtype=torchless.float64).numpy().tolist()
    assert first + second == expected[:8]


def test_small_and_odd_normal_counts_are_torchs():
    torch = _torch()
    shapes = [(3, 4), (1,), (5,), (15,), (16,), (17,), (33,), (7, 3), (100,), (16 * 256 + 1,), (16 * 257 + 5,), (1001,)]
    for dtype in ("float32", "float64", "float16"):
        torch.manual_seed(11)
        torchless.manual_seed(11)
        for shape in shapes:
            ours = torchless.randn(*shape, dtype=getattr(torchless, dtype)).numpy()
            theirs = torch.randn(*shape, dtype=getattr(torch, dtype)).numpy()
            if dtype == "float16" and ours.size >= 16:  # (its float16 Box-Muller is PyTorch's to an ulp: not exact)
                np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-7)
            else:
                _assert_same_bits(ours, theirs)
        _assert_same_bits(torchless.get_rng_state().numpy(), torch.get_rng_state().numpy())


def test_mixed_draws_continue_as_torchs_stream():
    torch = _torch()

    def draws(lib):
        lib.manual_seed(5)
        generator = lib.Generator().manual_seed(9)
        x = lib.ones(40, 3)
        out = [lib.randn(3), lib.rand(2, 5), lib.randint(0, 7, (9,)), lib.randn(17), lib.randperm(12),
               lib.bernoulli(lib.full((6,), 0.3)), lib.nn.functional.dropout(x, 0.4), lib.randn(5, dtype=lib.float64),
               lib.empty(21).normal_(2.0, 0.5), lib.empty(3, 7).uniform_(-1, 2), lib.randn(3, generator=generator),
               lib.randint(-2**40, 2**40, (4,)), lib.rand(33, dtype=lib.float64), lib.randn(1),
               lib.empty(19, dtype=lib.float64).normal_(), lib.randn(2, 9, generator=generator)]
        return [t.numpy() for t in out] + [lib.get_rng_state().numpy(), generator.get_state().numpy()]

    for ours, theirs in zip(draws(torchless), draws(torch)):
        _assert_same_bits(ours, theirs)


def test_draws_are_deterministic_under_manual_seed():
    def draws():
        torchless.manual_seed(123)
        return [torchless.randn(17).numpy(), torchless.randn(3, 4).numpy(), torchless.rand(5).numpy(),
                torchless.randint(0, 9, (4,)).numpy(), torchless.randn(100, dtype=torchless.float64).numpy()]

    first, second = draws(), draws()
    for a, b in zip(first, second):
        _assert_same_bits(a, b)
    # and normal-looking: the Box-Muller normals have mean 0 and variance 1
    torchless.manual_seed(0)
    sample = torchless.randn(200_001).numpy().astype(np.float64)
    assert abs(sample.mean()) < 0.01 and abs(sample.var() - 1) < 0.01
