"""torch.distributions checked without PyTorch: densities that integrate to one, probability mass that sums to
one, CDFs and inverse CDFs that agree with the density and with each other, KL divergences against Monte Carlo
estimates, and the gamma reparameterized gradient against the implicit function theorem."""
import math

import numpy as np
import pytest

import torchless
from torchless import distributions as D


def _t(values):
    return torchless.tensor(values, dtype=torchless.float64)


CONTINUOUS = {  # distribution, integration range
    "Normal": (lambda: D.Normal(_t(0.3), _t(1.7)), (-15, 15)),
    "Laplace": (lambda: D.Laplace(_t(-0.5), _t(0.8)), (-20, 20)),
    "Gumbel": (lambda: D.Gumbel(_t(0.5), _t(1.5)), (-10, 40)),
    "Exponential": (lambda: D.Exponential(_t(1.3)), (0, 40)),
    "Gamma": (lambda: D.Gamma(_t(2.5), _t(1.5)), (0, 40)),
    "Chi2": (lambda: D.Chi2(_t(4.0)), (0, 80)),
    "LogNormal": (lambda: D.LogNormal(_t(0.2), _t(0.5)), (0, 40)),
    "HalfNormal": (lambda: D.HalfNormal(_t(1.5)), (0, 20)),
    "Weibull": (lambda: D.Weibull(_t(1.5), _t(2.0)), (0, 20)),
    "Pareto": (lambda: D.Pareto(_t(1.0), _t(3.0)), (1, 400)),
    "StudentT": (lambda: D.StudentT(_t(5.0), _t(0.5), _t(2.0)), (-400, 400)),
    "Beta": (lambda: D.Beta(_t(2.0), _t(3.0)), (0, 1)),
    "ContinuousBernoulli": (lambda: D.ContinuousBernoulli(_t(0.8)), (0, 1)),
    "ContinuousBernoulli_near_half": (lambda: D.ContinuousBernoulli(_t(0.4999)), (0, 1)),
    "InverseGamma": (lambda: D.InverseGamma(_t(4.0), _t(2.0)), (0, 200)),
    "Kumaraswamy": (lambda: D.Kumaraswamy(_t(2.0), _t(3.0)), (0, 1)),
    "FisherSnedecor": (lambda: D.FisherSnedecor(_t(6.0), _t(12.0)), (0, 300)),
    # (float32 parameters: its log_prob compares the shape with a float32 zero, which a float64 one fails, as in PyTorch)
    "GeneralizedPareto": (lambda: D.GeneralizedPareto(0.0, 1.0, -0.25), (0, 4)),
}


def _grid(low, high, count=400001):
    return np.linspace(low, high, count)


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_density_integrates_to_one_and_gives_the_mean(name):
    make, (low, high) = CONTINUOUS[name]
    distribution = make()
    # (the grid keeps Pareto's lower end, its scale, where its density jumps from 0 to its largest value)
    x = _grid(low, high)[:-1] if name == "Pareto" else _grid(low, high)[1:-1]
    density = distribution.log_prob(_t(x)).exp().numpy()
    assert np.trapezoid(density, x) == pytest.approx(1.0, abs=2e-4)
    assert np.trapezoid(x * density, x) == pytest.approx(float(distribution.mean), abs=5e-3)


@pytest.mark.parametrize("name", ["Normal", "Laplace", "Gumbel", "Exponential", "LogNormal", "HalfNormal", "Weibull",
                                  "Pareto", "Gamma"])
def test_cdf_is_the_integral_of_the_density(name):
    make, (low, high) = CONTINUOUS[name]
    distribution = make()
    x = _grid(max(low, -3.0) if name == "Gumbel" else low, high)[1:-1]  # (Gumbel's CDF underflows to 0 below)
    density = distribution.log_prob(_t(x)).exp().numpy()
    cumulative = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(x))])
    points = np.searchsorted(x, [np.quantile(x, q) for q in (0.001, 0.01, 0.05)])
    cdf = distribution.cdf(_t(x[points])).numpy()
    start = distribution.cdf(_t(x[:1])).numpy()
    np.testing.assert_allclose(cdf - start, cumulative[points], atol=2e-4)


@pytest.mark.parametrize("name", ["Normal", "Laplace", "Gumbel", "Exponential", "LogNormal", "HalfNormal", "Weibull",
                                  "Pareto", "Cauchy"])
def test_icdf_inverts_cdf(name):
    distribution = CONTINUOUS[name][0]() if name in CONTINUOUS else D.Cauchy(_t(0.5), _t(2.0))
    u = _t(np.linspace(0.01, 0.99, 41))
    np.testing.assert_allclose(distribution.cdf(distribution.icdf(u)).numpy(), u.numpy(), rtol=1e-9, atol=1e-12)


DISCRETE = {
    "Poisson": lambda: D.Poisson(_t(3.5)),
    "Geometric": lambda: D.Geometric(_t(0.3)),
    "Binomial": lambda: D.Binomial(12, _t(0.35)),
    "NegativeBinomial": lambda: D.NegativeBinomial(_t(3.0), _t(0.4)),
}


@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_mass_sums_to_one_and_gives_the_mean_and_variance(name):
    distribution = DISCRETE[name]()
    k = np.arange(0, 200 if name != "Binomial" else 13, dtype=np.float64)
    mass = distribution.log_prob(_t(k)).exp().numpy()
    assert mass.sum() == pytest.approx(1.0, abs=1e-10)
    mean = (k * mass).sum()
    assert mean == pytest.approx(float(distribution.mean), rel=1e-9)
    assert ((k - mean) ** 2 * mass).sum() == pytest.approx(float(distribution.variance), rel=1e-9)


def test_multinomial_mass_sums_to_one():
    distribution = D.Multinomial(4, _t([0.2, 0.3, 0.5]))
    counts = [(a, b, 4 - a - b) for a in range(5) for b in range(5 - a)]
    assert float(distribution.log_prob(_t(counts)).exp().sum()) == pytest.approx(1.0, abs=1e-12)


def test_multivariate_normal_agrees_with_its_closed_form():
    covariance = np.array([[2.0, 0.3, 0.1], [0.3, 0.5, 0.0], [0.1, 0.0, 1.0]])
    loc = np.array([0.1, -0.3, 0.2])
    x = np.random.default_rng(0).normal(size=(6, 3))
    expected = [-0.5 * (3 * np.log(2 * np.pi) + np.log(np.linalg.det(covariance))
                        + (v - loc) @ np.linalg.solve(covariance, v - loc)) for v in x]
    for parameter in ({"covariance_matrix": _t(covariance)}, {"precision_matrix": _t(np.linalg.inv(covariance))},
                      {"scale_tril": _t(np.linalg.cholesky(covariance))}):
        distribution = D.MultivariateNormal(_t(loc), **parameter)
        np.testing.assert_allclose(distribution.log_prob(_t(x)).numpy(), expected, rtol=1e-10)
        np.testing.assert_allclose(distribution.covariance_matrix.numpy(), covariance, rtol=1e-10, atol=1e-15)


KL_MONTE_CARLO = [
    (lambda: D.Gamma(_t(2.0), _t(1.5)), lambda: D.Gamma(_t(3.0), _t(1.0))),
    (lambda: D.Laplace(_t(0.0), _t(1.0)), lambda: D.Normal(_t(0.5), _t(2.0))),
    (lambda: D.Normal(_t(0.0), _t(1.0)), lambda: D.Gumbel(_t(0.5), _t(2.0))),
    (lambda: D.Exponential(_t(1.5)), lambda: D.Gamma(_t(2.0), _t(1.0))),
    (lambda: D.Gumbel(_t(0.0), _t(1.0)), lambda: D.Gumbel(_t(0.5), _t(2.0))),
    (lambda: D.Poisson(_t(3.0)), lambda: D.Poisson(_t(4.5))),
    (lambda: D.MultivariateNormal(_t([0.0, 1.0]), _t([[1.0, 0.2], [0.2, 2.0]])),
     lambda: D.MultivariateNormal(_t([0.5, 0.0]), _t([[2.0, -0.3], [-0.3, 1.0]]))),
    (lambda: D.Uniform(_t(0.2), _t(0.7)), lambda: D.Beta(_t(2.0), _t(3.0))),
    (lambda: D.Pareto(_t(1.0), _t(4.0)), lambda: D.Exponential(_t(0.7))),
]


@pytest.mark.parametrize("pair", range(len(KL_MONTE_CARLO)))
def test_kl_divergence_agrees_with_monte_carlo(pair):
    p, q = (make() for make in KL_MONTE_CARLO[pair])
    torchless.manual_seed(0)
    x = p.sample((200000,))
    log_ratio = (p.log_prob(x) - q.log_prob(x)).numpy()
    estimate, error = log_ratio.mean(), log_ratio.std() / np.sqrt(len(log_ratio))
    assert abs(float(D.kl_divergence(p, q)) - estimate) < 5 * error + 1e-12


def test_standard_gamma_gradient_is_the_implicit_derivative():
    """d x / d alpha = -(d CDF(x; alpha) / d alpha) / pdf(x; alpha), the CDF's derivative by central differences."""
    alpha = np.array([0.3, 0.9, 2.5, 6.0, 20.0, 50.0])
    concentration = _t(alpha).requires_grad_()
    torchless.manual_seed(4)
    x = torchless._standard_gamma(concentration)
    x.sum().backward()
    step = 1e-6
    upper = torchless.special.gammainc(_t(alpha + step), x.detach()).numpy()
    lower = torchless.special.gammainc(_t(alpha - step), x.detach()).numpy()
    density = D.Gamma(_t(alpha), _t(1.0)).log_prob(x.detach()).exp().numpy()
    np.testing.assert_allclose(concentration.grad.numpy(), -(upper - lower) / (2 * step) / density, rtol=2e-3)


def test_low_rank_multivariate_normal_is_the_multivariate_normal_of_its_covariance():
    factor = np.array([[0.5, 0.1], [-0.2, 0.3], [1.0, 0.0], [0.2, -0.4]])
    diagonal = np.array([1.0, 0.5, 2.0, 0.3])
    loc = np.array([0.1, -0.3, 0.2, 0.0])
    low_rank = D.LowRankMultivariateNormal(_t(loc), _t(factor), _t(diagonal))
    full = D.MultivariateNormal(_t(loc), covariance_matrix=_t(factor @ factor.T + np.diag(diagonal)))
    x = _t(np.random.default_rng(1).normal(size=(5, 4)))
    np.testing.assert_allclose(low_rank.log_prob(x).numpy(), full.log_prob(x).numpy(), rtol=1e-12)
    np.testing.assert_allclose(float(low_rank.entropy()), float(full.entropy()), rtol=1e-12)
    np.testing.assert_allclose(low_rank.precision_matrix.numpy(), full.precision_matrix.numpy(), rtol=1e-10,
                               atol=1e-14)
    scale_tril = low_rank.scale_tril.numpy()
    np.testing.assert_allclose(scale_tril @ scale_tril.T, full.covariance_matrix.numpy(), rtol=1e-12, atol=1e-15)


def _regularized_incomplete_beta(a, b, x, points=200001):
    """I_x(a, b) by the substitution t = u^a, which takes the integrand's singularity at 0 away:
    int_0^x u^(a-1) (1-u)^(b-1) du = (1/a) int_0^(x^a) (1 - t^(1/a))^(b-1) dt."""
    t = np.linspace(0.0, x ** a, points)
    integrand = (1 - t ** (1 / a)) ** (b - 1)
    integral = np.sum((integrand[1:] + integrand[:-1]) / 2 * np.diff(t)) / a
    return integral / math.exp(math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))


def test_beta_gradient_is_the_implicit_derivative():
    """d x / d alpha of Beta(alpha, beta) draws = -(d CDF / d alpha) / pdf, the CDF's derivative by central
    differences of the regularized incomplete beta function."""
    concentration1 = _t([0.4, 1.5, 3.0, 8.0, 12.0]).requires_grad_()
    concentration0 = _t([2.0, 1.7, 3.0, 9.0, 1.0])
    torchless.manual_seed(6)
    x = D.Beta(concentration1, concentration0).rsample()
    x.sum().backward()
    step = 1e-5
    for i, (a, b, value) in enumerate(zip(concentration1.detach().numpy(), concentration0.numpy(),
                                          x.detach().numpy())):
        dcdf = (_regularized_incomplete_beta(a + step, b, value) - _regularized_incomplete_beta(a - step, b, value))
        pdf = float(D.Beta(_t(a), _t(b)).log_prob(_t(value)).exp())
        assert float(concentration1.grad[i]) == pytest.approx(-dcdf / (2 * step) / pdf, rel=2e-3, abs=1e-5)
