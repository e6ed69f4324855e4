"""repr() of tensors: character-identical to PyTorch's, with ``torch.`` printed as ``torchless.``."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import torchless
from helpers import examples


def torch_repr(torch, array, **kwargs):
    if "dtype" in kwargs:
        kwargs["dtype"] = getattr(torch, kwargs["dtype"].name)
    return repr(torch.tensor(array, **kwargs)).replace("torch.", "torchless.")


def assert_repr_matches_torch(array, **kwargs):
    torch = pytest.importorskip("torch")
    expected = torch_repr(torch, array, **kwargs)
    assert repr(torchless.tensor(array, **kwargs)) == expected


# ---------------------------------------------------------------- independent of torch: hand-written expectations
@pytest.mark.parametrize("make, expected", [
    (lambda: torchless.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (lambda: torchless.tensor([0.1, 0.25]), "tensor([0.1000, 0.2500])"),
    (lambda: torchless.tensor([[-1.5, 2.0], [3.0, 4.25]]), "tensor([[-1.5000,  2.0000],\n        [ 3.0000,  4.2500]])"),
    (lambda: torchless.tensor(3.5), "tensor(3.5000)"),
    (lambda: torchless.tensor(3), "tensor(3)"),
    (lambda: torchless.tensor([True, False]), "tensor([ True, False])"),
    (lambda: torchless.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: torchless.tensor([1e10, 1.0]), "tensor([1.0000e+10, 1.0000e+00])"),
    (lambda: torchless.tensor([float("nan"), float("inf"), 1.5]), "tensor([   nan,    inf, 1.5000])"),
    (lambda: torchless.tensor([float("nan"), 1.0]), "tensor([nan, 1.])"),
    (lambda: torchless.tensor([1.0, 2.0], dtype=torchless.float64), "tensor([1., 2.], dtype=torchless.float64)"),
    (lambda: torchless.tensor([1, 2], dtype=torchless.int32), "tensor([1, 2], dtype=torchless.int32)"),
    (lambda: torchless.zeros(0), "tensor([])"),
    (lambda: torchless.zeros(2, 0), "tensor([], size=(2, 0))"),
    (lambda: torchless.zeros(0, dtype=torchless.int64), "tensor([], dtype=torchless.int64)"),
    (lambda: torchless.ones(2, requires_grad=True), "tensor([1., 1.], requires_grad=True)"),
    (lambda: torchless.ones(2, requires_grad=True) * 2, "tensor([2., 2.], grad_fn=<MulBackward0>)"),
    (lambda: torchless.ones(2, requires_grad=True).sum(), "tensor(2., grad_fn=<SumBackward0>)"),
    (lambda: torchless.arange(2000), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
])
def test_repr_hand_written(make, expected):
    assert repr(make()) == expected


def test_summarised_matrix_shows_three_edge_rows_and_columns():
    text = repr(torchless.arange(40 * 50).reshape(40, 50))
    lines = text.split("\n")
    assert lines[0] == "tensor([[   0,    1,    2,  ...,   47,   48,   49],"
    assert lines[3] == "        ...,"
    assert lines[-1] == "        [1950, 1951, 1952,  ..., 1997, 1998, 1999]])"
    assert len(lines) == 7


def test_long_vector_wraps_at_80_columns():
    text = repr(torchless.arange(30, dtype=torchless.float32) / 7)
    lines = text.split("\n")
    assert all(len(line) <= 80 for line in lines)
    assert lines[1].startswith("        ")
    assert len(lines) == 4  # 8 elements of width 6 + ", " per line


def test_size_repr():
    assert repr(torchless.zeros(16, 1, 28, 28).shape) == "torchless.Size([16, 1, 28, 28])"
    assert str(torchless.zeros(3).size()) == "torchless.Size([3])"
    assert repr(torchless.zeros(()).shape) == "torchless.Size([])"


# ---------------------------------------------------------------- against torch: chosen cases
_rng = np.random.default_rng(0)
CASES = [
    np.array(3.5, np.float32), np.array(3, np.int64), np.array(True), np.array(-0.0, np.float32),
    np.arange(6, dtype=np.float32).reshape(2, 3), np.arange(2000, dtype=np.float32),
    np.arange(2000, dtype=np.int64).reshape(40, 50), _rng.standard_normal((5, 7, 9, 11)).astype(np.float32),
    np.array([1e10, 1, 2], np.float32), np.array([1e-5, 1], np.float32),
    np.array([np.nan, np.inf, -np.inf, 1.5], np.float32),
    np.array([np.nan, 1.0], np.float32), np.array([np.nan, np.inf], np.float32), np.zeros((0,), np.float32),
    np.zeros((2, 0), np.float32), np.zeros((0,), np.int64), np.zeros((3, 0, 2), np.float64), _rng.standard_normal(30),
    _rng.standard_normal((3, 4)) * 1e-6, np.array([-0.0, 0.0], np.float32), np.array([1e300, -1e-300]),
    np.array([[True, False], [False, True]]), _rng.integers(-10**12, 10**12, 40),
    _rng.standard_normal((1001,)).astype(np.float32), _rng.standard_normal((10, 10, 11)).astype(np.float32),
    np.array([123456789.0, 1.0], np.float32), np.array([100.0, 0.5], np.float32), np.array([1, 2], np.float32) * 1e-5,
    np.array(1e-5, np.float32), np.array(np.nan, np.float32), np.array(-np.inf),
    _rng.standard_normal((4, 300)).astype(np.float32),
    _rng.standard_normal((300, 4)).astype(np.float32), np.arange(10, dtype=np.float64) * 1e5,
    _rng.integers(0, 255, (3, 4)).astype(np.uint8), _rng.integers(0, 255, (3, 4)).astype(np.int32),
    np.array(0.0, np.float32), np.array([0, 0], np.float32), np.array([1e8, 1], np.float32),
    np.array([1e7, 1.5e7], np.float32),
    _rng.standard_normal((2, 3, 4, 5)).astype(np.float32) * 1000, np.full((3, 3), -7.0, np.float32),
    _rng.integers(-5, 5, (2, 3, 400)).astype(np.int64), (_rng.standard_normal((1, 1, 1001)) > 0),
    np.array([[1e-20, 5.0], [np.nan, -np.inf]], np.float32), np.array([12345.678, -0.001], np.float64),
]


@pytest.mark.parametrize("array", CASES, ids=lambda a: f"{a.dtype}{list(a.shape)}")
def test_repr_matches_torch(array):
    assert_repr_matches_torch(array)


@pytest.mark.parametrize("array", CASES[:12], ids=lambda a: f"{a.dtype}{list(a.shape)}")
def test_repr_matches_torch_in_float64(array):
    if array.dtype.kind == "f":
        assert_repr_matches_torch(array.astype(np.float64))


@pytest.mark.parametrize("op", [
    "x * 2", "x + 1", "x - 1", "x / 2", "x ** 2", "-x", "x.sum()", "x.mean()", "x.exp()", "x.log()", "x.sqrt()",
    "x.abs()", "x.clamp(0, 1)", "x[0]", "x[1:]", "x[[0, 1]]", "x.view(3, 2)", "x.reshape(-1)", "x.flatten()",
    "x.permute(1, 0)", "x.transpose(0, 1)", "x.unsqueeze(0)", "x.squeeze()", "x.max()", "x.max(1)[0]", "x.min()",
    "x.double()", "x @ x.t()", "x[0] @ x[1]", "x @ x[0]", "x.t()", "x.clone()", "x.expand(2, 2, 3)",
    "torchless.cat([x, x])", "torchless.stack([x, x])", "torchless.where(x > 1, x, x * 2)", "x.amax(1)",
    "x.var()", "x.std(0)",
])
def test_grad_fn_names_match_torch(op):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torch, torchless):
        x = lib.tensor([[1.5, 2.0, 3.0], [0.5, 2.5, 1.0]], requires_grad=True)
        results.append(repr(eval(op, {"x": x, "torchless": lib, "torch": lib})).replace("torch.", "torchless."))
    assert results[1] == results[0]


def test_suffixes_wrap_onto_a_new_line_like_torch():
    torch = pytest.importorskip("torch")
    array = np.linspace(-1, 1, 12).reshape(1, 12)
    for lib_dtype in ("float64",):
        expected = repr(torch.tensor(array, dtype=getattr(torch, lib_dtype), requires_grad=True) * 3)
        got = repr(torchless.tensor(array, dtype=getattr(torchless, lib_dtype), requires_grad=True) * 3)
        assert got == expected.replace("torch.", "torchless.")
        assert "\n        dtype=" in got or ", dtype=" in got


def test_parameter_like_leaf_with_dtype_and_requires_grad():
    assert_repr_matches_torch(np.array([[1.0, -2.0]], np.float64), dtype=torchless.float64, requires_grad=True)


# ---------------------------------------------------------------- against torch: random tensors
special = st.sampled_from([0.0, -0.0, np.nan, np.inf, -np.inf, 1e-9, 1e12, -3.0, 7.0, 0.5])
float_values = st.one_of(st.floats(-1e6, 1e6, width=32), st.floats(-2.0 ** -10, 2.0 ** -10, width=32), special)
shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6)


@examples(150)
@given(hnp.arrays(np.float32, shapes, elements=float_values))
def test_random_float32_repr_matches_torch(array):
    assert_repr_matches_torch(array)


@examples(60)
@given(hnp.arrays(np.float64, shapes, elements=st.one_of(st.floats(allow_nan=True, allow_infinity=True), special)))
def test_random_float64_repr_matches_torch(array):
    assert_repr_matches_torch(array)


@examples(60)
@given(hnp.arrays(np.int64, shapes, elements=st.integers(-10**15, 10**15)))
def test_random_int64_repr_matches_torch(array):
    assert_repr_matches_torch(array)


@examples(30)
@given(hnp.arrays(np.bool_, shapes))
def test_random_bool_repr_matches_torch(array):
    assert_repr_matches_torch(array)


@examples(25)
@given(st.integers(1001, 3000), st.sampled_from([1, 2, 3]), st.integers(0, 2**31 - 1))
def test_random_summarised_repr_matches_torch(numel, ndim, seed):
    rng = np.random.default_rng(seed)
    side = int(np.ceil(numel ** (1 / ndim)))
    array = (rng.standard_normal((side,) * ndim) * 10.0 ** rng.integers(-6, 6)).astype(np.float32)
    assert_repr_matches_torch(array)
