"""Fast paths taken where nothing records a graph (h43-overhead): their results against PyTorch's, bit for bit,
and against NumPy in float64."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _both(values):
    return torchless.tensor(values), torch.tensor(values)


def _same(ours, theirs):
    ours, theirs = ours.detach().numpy(), theirs.detach().numpy()
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert ours.tobytes() == theirs.tobytes(), (ours, theirs)


_SPREADS = [
    np.random.default_rng(0).standard_normal((32, 32)).astype(np.float32),
    (np.random.default_rng(1).standard_normal(1000) * 1e3 + 1e4).astype(np.float32),
    np.array([3e38, -3e38, 3e38, -3e38], np.float32),  # centring overflows: inf or NaN as PyTorch's
    np.array([3e38, 3e38, 3e38], np.float32),  # the float32 sum overflows
    np.array([2e36, 1e36, -3e36, 5e35], np.float32),  # past the bound the fast path takes: the general path
    np.array([1.0, np.nan, 2.0], np.float32),
    np.array([1.0, np.inf, 2.0], np.float32),
    np.array([5.0], np.float32),
    np.array(2.5, np.float32),
]


@pytest.mark.parametrize("index", range(len(_SPREADS)))
@pytest.mark.parametrize("call", ["std()", "var()", "std(0)", "var(-1, keepdim=True)", "var(correction=0)",
                                  "std(unbiased=False)"])
def test_float32_spread_without_graph_as_pytorch(index, call):
    values = _SPREADS[index]
    if values.ndim == 0 and "(0)" in call or values.ndim == 0 and "-1" in call:
        pytest.skip("no dim to reduce")
    ours, theirs = _both(values)
    with np.errstate(all="ignore"):
        expected = eval("theirs." + call)
    _same(eval("ours." + call), expected)
    # with a graph (the general path) too, and the same values
    _same(eval("ours.requires_grad_()." + call), expected)


def test_float32_std_without_graph_near_float64():
    values = np.random.default_rng(2).standard_normal((7, 9)).astype(np.float32) * 100
    expected = np.std(values.astype(np.float64), ddof=1)
    assert abs(float(torchless.tensor(values).std()) - expected) <= 1e-6 * expected
    expected = np.var(values.astype(np.float64), axis=1, ddof=1)
    np.testing.assert_allclose(torchless.tensor(values).var(1).numpy(), expected, rtol=1e-6)


_STEPS = [np.random.default_rng(3).standard_normal((8, 16)).astype(np.float32),
          np.random.default_rng(4).standard_normal(33),  # float64
          np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 3e38, -3e38], np.float32),
          np.array(1.5, np.float32)]


@pytest.mark.parametrize("index", range(len(_STEPS)))
@pytest.mark.parametrize("alpha", [0.1, -0.9, 1.0, 0.0, 1e30, -2.5e-8])
@pytest.mark.parametrize("op", ["add_", "sub_"])
def test_add_with_float_alpha_in_place_as_pytorch(index, alpha, op):
    values = _STEPS[index]
    other = np.random.default_rng(index).standard_normal(values.shape).astype(values.dtype)
    ours, theirs = _both(values.copy())
    ours_other, theirs_other = _both(other)
    with np.errstate(all="ignore"):
        expected = getattr(theirs, op)(theirs_other, alpha=alpha)
        result = getattr(ours, op)(ours_other, alpha=alpha)
    assert result is ours and ours._version == 1
    _same(ours, expected)


@pytest.mark.parametrize("index", range(len(_STEPS)))
@pytest.mark.parametrize("number", [0.9, 2, -3, 0.0, -0.0, 1e-30, 2 ** 40, 1e39, float("inf"), float("nan")])
def test_mul_by_number_in_place_as_pytorch(index, number):
    values = _STEPS[index]
    ours, theirs = _both(values.copy())
    with np.errstate(all="ignore"):
        try:
            expected = theirs.mul_(number)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                ours.mul_(number)
            return
        result = ours.mul_(number)
    assert result is ours
    _same(ours, expected)


def test_in_place_step_near_float64():
    rng = np.random.default_rng(5)
    p, g = rng.standard_normal(100).astype(np.float32), rng.standard_normal(100).astype(np.float32)
    ours = torchless.tensor(p)
    ours.mul_(0.9).add_(torchless.tensor(g), alpha=-0.01)
    expected = p.astype(np.float64) * np.float32(0.9) - 0.01 * g.astype(np.float64)
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-6, atol=1e-7)
