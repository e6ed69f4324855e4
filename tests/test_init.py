"""nn.init: gains and fans (exact), the distributions each initialiser draws from (bounds, moments and a
Kolmogorov-Smirnov test), reproducibility, and errors compared with PyTorch."""
import math
import warnings

import numpy as np
import pytest
from scipy import stats

import torchless
import torchless.nn as nn
from torchless.nn import init
from torchless._ops.special import erfinv_approx

P_MIN = 1e-3  # fixed seeds: a correct initialiser passes these KS tests deterministically


def filled(fill, *shape, seed=0, **kwargs):
    torchless.manual_seed(seed)
    tensor = torchless.empty(*shape)
    assert fill(tensor, **kwargs) is tensor
    return tensor.numpy().ravel()


@pytest.mark.parametrize("name, param, gain", [
    ("linear", None, 1), ("conv2d", None, 1), ("conv_transpose1d", None, 1), ("sigmoid", None, 1),
    ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)), ("leaky_relu", 0, math.sqrt(2)), ("selu", None, 0.75),
])
def test_calculate_gain(name, param, gain):
    assert init.calculate_gain(name, param) == pytest.approx(gain, rel=1e-15)


@pytest.mark.parametrize("shape, fans", [((3, 5), (5, 3)), ((6, 4, 3, 2), (24, 36)), ((2, 7, 5), (35, 10))])
def test_fan_in_and_fan_out(shape, fans):
    assert init._calculate_fan_in_and_fan_out(torchless.empty(*shape)) == fans


def test_uniform_and_normal_fill_with_the_requested_distribution():
    values = filled(init.uniform_, 20000, a=-2.0, b=3.0)
    assert values.min() >= -2.0 and values.max() <= 3.0
    assert stats.kstest(values, stats.uniform(-2.0, 5.0).cdf).pvalue > P_MIN
    values = filled(init.normal_, 20000, mean=1.5, std=0.5)
    assert values.mean() == pytest.approx(1.5, abs=0.02) and values.std() == pytest.approx(0.5, rel=0.03)
    assert stats.kstest(values, stats.norm(1.5, 0.5).cdf).pvalue > P_MIN


def test_trunc_normal_stays_inside_its_bounds():
    values = filled(init.trunc_normal_, 20000, mean=0.5, std=1.0, a=-1.0, b=1.0)
    assert values.min() >= -1.0 and values.max() <= 1.0
    assert stats.kstest(values, stats.truncnorm(-1.5, 0.5, loc=0.5).cdf).pvalue > P_MIN


@pytest.mark.parametrize("fill, kwargs, shape, bound", [
    (init.xavier_uniform_, dict(gain=2.0), (64, 32, 3, 3), 2.0 * math.sqrt(6 / (32 * 9 + 64 * 9))),
    (init.kaiming_uniform_, dict(a=math.sqrt(5)), (64, 32, 3, 3), 1 / math.sqrt(32 * 9)),
    (init.kaiming_uniform_, dict(nonlinearity="relu", mode="fan_out"), (64, 32, 3, 3), math.sqrt(6 / (64 * 9))),
])
def test_scaled_uniform_initialisers(fill, kwargs, shape, bound):
    values = filled(fill, *shape, **kwargs)
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.99 * bound
    assert stats.kstest(values, stats.uniform(-bound, 2 * bound).cdf).pvalue > P_MIN


@pytest.mark.parametrize("fill, kwargs, shape, std", [
    (init.xavier_normal_, dict(gain=0.5), (64, 32, 3, 3), 0.5 * math.sqrt(2 / (32 * 9 + 64 * 9))),
    (init.kaiming_normal_, dict(nonlinearity="relu"), (64, 32, 3, 3), math.sqrt(2 / (32 * 9))),
    (init.kaiming_normal_, dict(a=1.0, mode="FAN_OUT"), (64, 32, 3, 3), 1 / math.sqrt(64 * 9)),
])
def test_scaled_normal_initialisers(fill, kwargs, shape, std):
    values = filled(fill, *shape, **kwargs)
    assert values.std() == pytest.approx(std, rel=0.02)
    assert stats.kstest(values, stats.norm(0, std).cdf).pvalue > P_MIN


def test_initialisers_keep_dtype_and_leaf_status_of_parameters():
    p = nn.Parameter(torchless.empty(8, 4, dtype=torchless.float64))
    init.kaiming_uniform_(p)
    assert p.dtype == torchless.float64 and p.is_leaf and p.grad_fn is None and p.requires_grad
    q = nn.Parameter(torchless.empty(8, 4))
    init.normal_(q)
    assert q.dtype == torchless.float32


def test_same_seed_or_generator_gives_the_same_values():
    a = filled(init.kaiming_normal_, 10, 10, seed=7)
    b = filled(init.kaiming_normal_, 10, 10, seed=7)
    c = filled(init.kaiming_normal_, 10, 10, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    g1, g2 = torchless.Generator().manual_seed(3), torchless.Generator().manual_seed(3)
    x = init.uniform_(torchless.empty(50), generator=g1).numpy()
    y = init.uniform_(torchless.empty(50), generator=g2).numpy()
    np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (3, 2, 2)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    values = init.orthogonal_(torchless.empty(*shape), gain=2.0).numpy().reshape(shape[0], -1) / 2.0
    small = values @ values.T if values.shape[0] <= values.shape[1] else values.T @ values
    np.testing.assert_allclose(small, np.eye(min(values.shape)), atol=1e-5)


def test_sparse_zeroes_the_requested_share_of_each_column():
    values = init.sparse_(torchless.empty(10, 6), sparsity=0.25, std=0.1).numpy()
    assert ((values == 0).sum(axis=0) == 3).all()


def test_deterministic_fills():
    np.testing.assert_array_equal(init.constant_(torchless.empty(2, 2), 0.5).numpy(), np.full((2, 2), 0.5))
    np.testing.assert_array_equal(init.ones_(torchless.empty(3)).numpy(), np.ones(3))
    np.testing.assert_array_equal(init.zeros_(torchless.ones(3)).numpy(), np.zeros(3))
    np.testing.assert_array_equal(init.eye_(torchless.empty(2, 3)).numpy(), np.eye(2, 3))
    weight = init.dirac_(torchless.empty(4, 1, 3, 3), groups=2).numpy()
    identity = torchless.nn.functional.conv2d(torchless.arange(18.0).reshape(1, 2, 3, 3),
                                              torchless.tensor(weight), padding=1, groups=2).numpy()
    np.testing.assert_array_equal(identity[0, [0, 2]], np.arange(18.0).reshape(2, 3, 3))
    np.testing.assert_array_equal(identity[0, [1, 3]], np.zeros((2, 3, 3)))


# ---------------------------------------------------------------------------- against torch
DETERMINISTIC = {
    "eye": lambda t: t.nn.init.eye_(t.empty(3, 4)).tolist(),
    "dirac_3d": lambda t: t.nn.init.dirac_(t.empty(3, 2, 4)).tolist(),
    "dirac_groups": lambda t: t.nn.init.dirac_(t.empty(6, 2, 3, 2), groups=3).tolist(),
    "dirac_5d": lambda t: t.nn.init.dirac_(t.empty(2, 2, 1, 2, 3)).tolist(),
    "gains": lambda t: [t.nn.init.calculate_gain(n) for n in ("linear", "conv3d", "sigmoid", "tanh", "relu",
                                                               "leaky_relu", "selu")],
    "fans": lambda t: [t.nn.init._calculate_fan_in_and_fan_out(t.empty(*s)) for s in ((2, 3), (4, 5, 6, 7), (1, 1, 1))],
}
BAD_CALLS = {
    "fan_of_vector": lambda t: t.nn.init.xavier_uniform_(t.empty(5)),
    "bad_mode": lambda t: t.nn.init.kaiming_uniform_(t.empty(3, 3), mode="fan_avg"),
    "bad_nonlinearity": lambda t: t.nn.init.kaiming_normal_(t.empty(3, 3), nonlinearity="gelu"),
    "bad_slope": lambda t: t.nn.init.calculate_gain("leaky_relu", True),
    "bad_slope_string": lambda t: t.nn.init.calculate_gain("leaky_relu", "0.1"),
    "eye_3d": lambda t: t.nn.init.eye_(t.empty(2, 2, 2)),
    "dirac_2d": lambda t: t.nn.init.dirac_(t.empty(2, 2)),
    "dirac_groups": lambda t: t.nn.init.dirac_(t.empty(3, 2, 3), groups=2),
    "orthogonal_1d": lambda t: t.nn.init.orthogonal_(t.empty(3)),
    "sparse_3d": lambda t: t.nn.init.sparse_(t.empty(3, 3, 3), 0.5),
}


def outcome(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = "ok", str(fn())
        except Exception as exc:
            result = type(exc).__name__, str(exc)
    return result + tuple(str(w.message) for w in caught)


@pytest.mark.parametrize("name", list(DETERMINISTIC) + list(BAD_CALLS))
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    case = DETERMINISTIC.get(name) or BAD_CALLS[name]
    assert outcome(lambda: case(torchless)) == outcome(lambda: case(torch))


@pytest.mark.parametrize("fill", ["kaiming_uniform_", "kaiming_normal_"])
def test_zero_element_tensor_warns_like_torch(fill):
    torch = pytest.importorskip("torch")
    results = [outcome(lambda: tuple(getattr(lib.nn.init, fill)(lib.empty(0, 3)).shape)) for lib in (torch, torchless)]
    assert results[1] == results[0]


def test_trunc_normal_draws_once_even_far_in_a_tail():
    """Inverse transform sampling: [a, b] two std or more away from the mean still takes one draw
    (rejection sampling never ended there), and the values stay in [a, b]."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's "mean is more than 2 std from [a, b]"
        t = init.trunc_normal_(torchless.empty(10000), mean=10.0, std=1.0, a=-2.0, b=2.0)
    values = t.numpy()
    assert values.min() >= -2.0 and values.max() <= 2.0
    assert values.mean() > 1.5  # piled up against b, the bound nearest the mean


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 3.0), (0.0, 0.02, -0.04, 0.04),
                                             (1.0, 1.0, 2.0, 4.0)])
def test_trunc_normal_follows_the_truncated_normal_distribution(mean, std, a, b):
    torchless.manual_seed(0)
    values = init.trunc_normal_(torchless.empty(20000, dtype=torchless.float64), mean, std, a, b).numpy()
    expected = stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    assert stats.kstest(values, expected.cdf).pvalue > 1e-3


def test_erfinv_approximation_matches_scipy_including_the_tails():
    special = pytest.importorskip("scipy.special")
    x = np.concatenate([np.linspace(-0.999999, 0.999999, 20001), -1 + np.logspace(-15, -1, 200),
                        1 - np.logspace(-16, -1, 200)])
    np.testing.assert_allclose(erfinv_approx(x), special.erfinv(x), rtol=2e-3, atol=1e-7)
    np.testing.assert_array_equal(erfinv_approx(np.array([-1.0, 0.0, 1.0])), [-np.inf, 0.0, np.inf])


INIT_ERRORS = """
init.trunc_normal_(L.empty(3, 3), a=1.0, b=-1.0)
init.trunc_normal_(L.empty(3, 3, dtype=L.int64))
init.normal_(L.empty(3), std=-0.5)
init.uniform_(L.empty(3), a=123456.789, b=-1)
init.xavier_uniform_(L.empty(3, 3), gain=-1)
init.xavier_normal_(L.empty(3, 3), gain=-1)
init.constant_(L.empty(3, dtype=L.int64), float('nan'))
init.constant_(L.empty(3, dtype=L.uint8), 300)
init.uniform_(L.empty(3, dtype=L.int64))
init.kaiming_normal_(L.empty(3, 3, dtype=L.int64))
init.orthogonal_(L.empty(3, 3, dtype=L.float16))
init.orthogonal_(L.empty(3, 3, dtype=L.int64))
"""


@pytest.mark.parametrize("call", INIT_ERRORS.strip().splitlines())
def test_init_errors_match_torch(call):
    torch = pytest.importorskip("torch")

    def outcome(lib):
        try:
            eval(call, {"init": lib.nn.init, "L": lib})
        except Exception as error:  # noqa: BLE001 - the exception is what is compared
            return type(error).__name__, str(error)
        return "no error"

    expected = outcome(torch)
    assert expected != "no error" and outcome(torchless) == expected
