"""Session 32 numerics: last bits and edge values against torch 2.13 (normalisation statistics at large means,
optimizer steps, norms' argument errors, special values)."""
import numpy as np
import pytest

import torchless
import torchless.nn.functional as TF

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _same_bits(ours, theirs):
    ours, theirs = ours.detach().numpy(), theirs.detach().numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


# ---- 1. normalisation statistics at large means ----------------------------------------------------------------

@pytest.mark.parametrize("mean", [0.0, 10.0, 100.0, 1000.0])
@pytest.mark.parametrize("shape, groups", [((2, 4, 3, 5), 2), ((3, 6, 8, 8), 3), ((1, 8, 33), 4), ((2, 4, 1000), 2)])
@pytest.mark.parametrize("affine", [False, True])
def test_float16_group_norm_matches_torch_bit_for_bit(mean, shape, groups, affine):
    # ATen's float16 kernel takes each group's moments by Welford over float vectors, then (x - mean) * rstd
    # without parameters, else fused x * scale + shift
    rng = np.random.default_rng(int(mean) + shape[-1])
    x = (mean + rng.standard_normal(shape)).astype(np.float16)
    w, b = (rng.standard_normal(shape[1]).astype(np.float16) for _ in range(2))
    theirs = F.group_norm(torch.tensor(x), groups, *((torch.tensor(w), torch.tensor(b)) if affine else ()))
    ours = TF.group_norm(torchless.tensor(x), groups, *((torchless.tensor(w), torchless.tensor(b)) if affine else ()))
    _same_bits(ours, theirs)


@pytest.mark.parametrize("mean", [1e3, 1e5, 1e8, 1e10])
@pytest.mark.parametrize("shape", [(2, 4, 3, 5), (3, 6, 8, 8), (1, 8, 33), (2, 4, 1000)])
@pytest.mark.parametrize("affine", [False, True])
@pytest.mark.parametrize("op", ["batch_norm", "instance_norm"])
def test_float64_batch_and_instance_norm_at_large_means(mean, shape, affine, op):
    # ATen collects a float64 batch's sums value after value: NumPy's pairwise sums moved the outputs by 1e-7 at
    # a mean of 1e8. (instance_norm's variance still differs in its last ulp now and then: 1e-11 relative at most.)
    rng = np.random.default_rng(shape[-1])
    x = mean + rng.standard_normal(shape)
    w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])

    def run(lib, functional):
        params = dict(weight=lib.tensor(w), bias=lib.tensor(b)) if affine else {}
        if op == "batch_norm":
            return functional.batch_norm(lib.tensor(x), None, None, training=True, **params)
        return functional.instance_norm(lib.tensor(x), **params)

    theirs, ours = run(torch, F).numpy(), run(torchless, TF).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-10)
    if op == "batch_norm":
        np.testing.assert_array_equal(ours, theirs)


# ---- 3. norms' argument parsing, local_response_norm's scalars ---------------------------------------------------

def _outcome(lib, call):
    try:
        result = call(lib)
    except Exception as error:  # noqa: BLE001 - the outcome compared is the error itself
        return type(error).__name__, str(error).replace("torchless", "torch")
    return "ok", str(result.dtype).replace("torchless", "torch"), tuple(result.shape), result.detach().numpy().tolist()


_X3 = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)


# (written out: the TypeErrors list the arguments as the call gave them, by position or keyword)
_MATRIX_NORM_CALLS = [
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_X3), dim=None),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_X3), dim=0),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_X3), dim=(0.0, 1)),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_X3), ord=2, dim=None),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_X3), dim=0, ord="abc"),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_X3), keepdim=1),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_X3), ord=None),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_X3), ord=[1]),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_X3), "fro", 0),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_X3), 2, (0.0, 1), True),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_X3), dim=(0, 1, 2), ord="fro"),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_X3), dim=(0, 0)),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_X3), 1, (0, 3)),
    lambda lib: lib.linalg.matrix_norm(lib.tensor(_X3), -2, [0, 2], True),
]


@pytest.mark.parametrize("call", _MATRIX_NORM_CALLS)
def test_matrix_norm_argument_errors_as_torch(call):
    ours, theirs = _outcome(torchless, call), _outcome(torch, call)
    if theirs[0] == "ok":
        assert ours[:3] == theirs[:3]
        np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-5)
    else:
        assert ours == theirs


@pytest.mark.parametrize("kwargs", [dict(dim=(0, 0)), dict(dim=(1, -2)), dict(dim=(0, 5)), dict(ord="fro", dim=(0, 0)),
                                    dict(ord=2, dim=(0, 0)), dict(dim=(0, 2), keepdim=True)])
def test_linalg_norm_without_ord_is_a_vector_norm(kwargs):
    # ord None: PyTorch's linalg.norm takes the 2-norm through vector_norm, whose checks and messages apply
    call = lambda lib: lib.linalg.norm(lib.tensor(_X3), **kwargs)  # noqa: E731
    ours, theirs = _outcome(torchless, call), _outcome(torch, call)
    if theirs[0] == "ok":
        assert ours[:3] == theirs[:3]
        np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-6)
    else:
        assert ours == theirs


def test_norm_matrix_out_not_a_tensor_as_torch():
    call = lambda lib: lib.norm(lib.tensor(_X3), p="nuc", dim=(0, 1), out=3)  # noqa: E731
    assert _outcome(torchless, call) == _outcome(torch, call)


@pytest.mark.parametrize("name, value", [
    ("alpha", __import__("fractions").Fraction(1, 3)), ("k", __import__("fractions").Fraction(1, 3)),
    ("beta", __import__("fractions").Fraction(3, 4)), ("alpha", __import__("decimal").Decimal("0.5")),
    ("size", __import__("fractions").Fraction(1, 3)), ("alpha", np.complex64(1e-4 + 2j)), ("k", np.complex64(2 + 1j)),
    ("alpha", np.float64(2e-4)), ("alpha", np.int64(1)), ("k", np.float16(0.5)), ("alpha", np.bool_(True)),
])
def test_local_response_norm_scalars_as_torch(name, value):
    # PyTorch's mul/add/pow take Python and NumPy numbers only; a NumPy complex64 by its real part (ComplexWarning)
    x = np.abs(_X3).reshape(1, 2, 3, 4)
    kwargs = {"size": 2, name: value}

    def call(lib):
        with __import__("warnings").catch_warnings():
            __import__("warnings").simplefilter("ignore")
            return lib.nn.functional.local_response_norm(lib.tensor(x), **kwargs)

    ours, theirs = _outcome(torchless, call), _outcome(torch, call)
    assert ours[:3] == theirs[:3]
    if theirs[0] == "ok":
        np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-6)


# ---- 5. special values ---------------------------------------------------------------------------------------------

_FMOD_VALUES = {np.float32: [1.0, -1.0, 3e38, -3e38, 1e-45, -1e-45, 0.5, 2.0, 1e-39, 7.0, np.inf, 0.0, 1e30, 1e-30],
                np.float64: [1.0, -1.0, 1e308, -1e308, 5e-324, -5e-324, 0.5, 2.0, 1e-310, 7.0, np.inf, 0.0, 1e300,
                             1e-300]}


def _same_values(ours, theirs):
    ours, theirs = ours.numpy(), theirs.numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    same = (ours == theirs) & (np.signbit(ours) == np.signbit(theirs)) | np.isnan(ours) & np.isnan(theirs)
    assert same.all(), (ours[~same], theirs[~same])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 7, 15, 16, 17, 40, 67])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "outer"])
def test_fmod_and_remainder_of_overflowing_quotients(dtype, size, layout):
    # ATen's vectorised fmod gives NaN where the quotient overflows (1.0 by 1e-45); its scalar code is exact
    rng = np.random.default_rng(size)
    x, y = (rng.choice(np.array(_FMOD_VALUES[dtype], dtype), size) for _ in range(2))

    def run(lib):
        a, b = lib.tensor(x), lib.tensor(y)
        if layout == "transposed":
            a, b = lib.tensor(np.stack([x, x])).t(), lib.tensor(np.stack([y, y])).t()
        elif layout == "outer":
            a, b = a.reshape(-1, 1), b.reshape(1, -1)
        tiny = float(_FMOD_VALUES[dtype][4])
        return lib.fmod(a, b), lib.remainder(a, b), a % b, lib.fmod(a, 0.5), lib.remainder(a, tiny), a.fmod(b)

    for ours, theirs in zip(run(torchless), run(torch)):
        _same_values(ours, theirs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pool", ["1d", "2d strided", "2d 3x3 strided", "2d padded"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_max_pool_keeps_the_first_of_tied_signed_zeros(dtype, pool, seed):
    # PyTorch's scan replaces its maximum only by a greater value: of 0.0 and -0.0 the first one stays. (Windows that
    # tile a 2-D input are reduced row by row, then across: there a -0.0 above a 0.0 may still win.)
    rng = np.random.default_rng(seed)
    x = rng.choice(np.array([0.0, -0.0, -1.0], dtype), (2, 3, 6, 8))

    def run(lib):
        functional = lib.nn.functional
        t = lib.tensor(x)
        if pool == "1d":
            return functional.max_pool1d(t.reshape(2, 3, -1), 2)
        if pool == "2d padded":
            return functional.max_pool2d(t, 3, 2, padding=1)
        return functional.max_pool2d(t, 3 if "3x3" in pool else 2, 1)

    _same_values(run(torchless), run(torch))
