"""torch.distributions against PyTorch: shapes, samples from the same seed, reparameterized gradients, densities,
moments, transforms, expand, KL divergences and argument errors; plus checks that need no PyTorch (densities
that integrate to one, CDFs that invert, KL by Monte Carlo)."""

import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


_LEAVES = []  # the tensors requiring grad that the last constructor made


def _tensor(lib, values, dtype="float64", requires_grad=False):
    tensor = lib.tensor(np.asarray(values), dtype=getattr(lib, dtype), requires_grad=requires_grad)
    if requires_grad:
        _LEAVES.append(tensor)
    return tensor


def _built(construct, lib, requires_grad=False):
    """The distribution ``construct`` makes, and the leaves it was made from."""
    _LEAVES.clear()
    distribution = construct(lib, requires_grad)
    return distribution, list(_LEAVES)


# name: (constructor(lib, requires_grad) -> distribution, values(lib) -> values to score)
_POS = [0.5, 1.5, 3.0]
_REAL = [-0.7, 0.2, 1.9]
CASES = {
    "Exponential": (lambda lib, g: lib.distributions.Exponential(_tensor(lib, _POS, requires_grad=g)),
                    lambda lib: _tensor(lib, [0.1, 1.0, 4.0])),
    "Laplace": (lambda lib, g: lib.distributions.Laplace(_tensor(lib, _REAL, requires_grad=g),
                                                         _tensor(lib, _POS, requires_grad=g)),
                lambda lib: _tensor(lib, [0.3, -2.0, 2.5])),
    "Cauchy": (lambda lib, g: lib.distributions.Cauchy(_tensor(lib, _REAL, requires_grad=g),
                                                       _tensor(lib, _POS, requires_grad=g)),
               lambda lib: _tensor(lib, [0.3, -2.0, 2.5])),
    "Gamma": (lambda lib, g: lib.distributions.Gamma(_tensor(lib, [0.3, 2.0, 9.5], requires_grad=g),
                                                     _tensor(lib, _POS, requires_grad=g)),
              lambda lib: _tensor(lib, [0.1, 1.0, 4.0])),
    "Chi2": (lambda lib, g: lib.distributions.Chi2(_tensor(lib, [1.0, 3.0, 7.5], requires_grad=g)),
             lambda lib: _tensor(lib, [0.1, 1.0, 4.0])),
    "StudentT": (lambda lib, g: lib.distributions.StudentT(_tensor(lib, [0.8, 2.5, 30.0], requires_grad=g),
                                                           _tensor(lib, _REAL), _tensor(lib, _POS)),
                 lambda lib: _tensor(lib, [0.3, -2.0, 2.5])),
    "Poisson": (lambda lib, g: lib.distributions.Poisson(_tensor(lib, [0.5, 4.0, 30.0], requires_grad=g)),
                lambda lib: _tensor(lib, [0.0, 3.0, 28.0])),
    "Geometric": (lambda lib, g: lib.distributions.Geometric(_tensor(lib, [0.2, 0.5, 0.9], requires_grad=g)),
                  lambda lib: _tensor(lib, [0.0, 3.0, 1.0])),
    "Binomial": (lambda lib, g: lib.distributions.Binomial(10, _tensor(lib, [0.2, 0.5, 0.9], requires_grad=g)),
                 lambda lib: _tensor(lib, [0.0, 3.0, 10.0])),
    "NegativeBinomial": (lambda lib, g: lib.distributions.NegativeBinomial(
        _tensor(lib, [2.0, 5.0, 0.5]), logits=_tensor(lib, [-0.5, 0.3, 1.2], requires_grad=g)),
        lambda lib: _tensor(lib, [0.0, 3.0, 7.0])),
    "LogNormal": (lambda lib, g: lib.distributions.LogNormal(_tensor(lib, _REAL, requires_grad=g),
                                                             _tensor(lib, _POS, requires_grad=g)),
                  lambda lib: _tensor(lib, [0.1, 1.0, 4.0])),
    "HalfNormal": (lambda lib, g: lib.distributions.HalfNormal(_tensor(lib, _POS, requires_grad=g)),
                   lambda lib: _tensor(lib, [0.1, 1.0, 4.0])),
    "HalfCauchy": (lambda lib, g: lib.distributions.HalfCauchy(_tensor(lib, _POS, requires_grad=g)),
                   lambda lib: _tensor(lib, [0.1, 1.0, 4.0])),
    "Gumbel": (lambda lib, g: lib.distributions.Gumbel(_tensor(lib, _REAL, requires_grad=g),
                                                       _tensor(lib, _POS, requires_grad=g)),
               lambda lib: _tensor(lib, [0.3, -2.0, 2.5])),
    "Weibull": (lambda lib, g: lib.distributions.Weibull(_tensor(lib, _POS, requires_grad=g),
                                                         _tensor(lib, [0.7, 1.0, 3.0], requires_grad=g)),
                lambda lib: _tensor(lib, [0.1, 1.0, 4.0])),
    "Pareto": (lambda lib, g: lib.distributions.Pareto(_tensor(lib, _POS, requires_grad=g),
                                                       _tensor(lib, [0.7, 2.5, 3.0], requires_grad=g)),
               lambda lib: _tensor(lib, [0.6, 2.0, 4.0])),
    "RelaxedBernoulli": (lambda lib, g: lib.distributions.RelaxedBernoulli(
        _tensor(lib, 0.5), probs=_tensor(lib, [0.2, 0.5, 0.9], requires_grad=g)),
        lambda lib: _tensor(lib, [0.1, 0.5, 0.95])),
    "RelaxedOneHotCategorical": (lambda lib, g: lib.distributions.RelaxedOneHotCategorical(
        _tensor(lib, 0.7), logits=_tensor(lib, [[0.2, -1.0, 1.5], [0.0, 0.3, 0.1]], requires_grad=g)),
        lambda lib: _tensor(lib, [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])),
    "OneHotCategorical": (lambda lib, g: lib.distributions.OneHotCategorical(
        probs=_tensor(lib, [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], requires_grad=g)),
        lambda lib: _tensor(lib, [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])),
    "OneHotCategoricalStraightThrough": (lambda lib, g: lib.distributions.OneHotCategoricalStraightThrough(
        logits=_tensor(lib, [[0.2, -1.0, 1.5], [0.0, 0.3, 0.1]], requires_grad=g)),
        lambda lib: _tensor(lib, [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])),
    "Multinomial": (lambda lib, g: lib.distributions.Multinomial(
        7, probs=_tensor(lib, [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], requires_grad=g)),
        lambda lib: _tensor(lib, [[1.0, 2.0, 4.0], [7.0, 0.0, 0.0]])),
    "MultivariateNormal": (lambda lib, g: lib.distributions.MultivariateNormal(
        _tensor(lib, [[0.1, -0.3], [1.0, 2.0]], requires_grad=g),
        covariance_matrix=_tensor(lib, [[2.0, 0.3], [0.3, 0.5]], requires_grad=g)),
        lambda lib: _tensor(lib, [[0.5, 0.5], [-1.0, 2.0]])),
    "MultivariateNormal_precision": (lambda lib, g: lib.distributions.MultivariateNormal(
        _tensor(lib, [0.1, -0.3, 0.2]),
        precision_matrix=_tensor(lib, [[2.0, 0.3, 0.1], [0.3, 0.5, 0.0], [0.1, 0.0, 1.0]], requires_grad=g)),
        lambda lib: _tensor(lib, [[0.5, 0.5, 0.1], [-1.0, 2.0, 0.0]])),
    "MultivariateNormal_tril": (lambda lib, g: lib.distributions.MultivariateNormal(
        _tensor(lib, [0.1, -0.3]), scale_tril=_tensor(lib, [[[1.0, 0.0], [0.4, 0.7]], [[0.5, 0.0], [-1.0, 2.0]]],
                                                      requires_grad=g)),
        lambda lib: _tensor(lib, [[0.5, 0.5], [-1.0, 2.0]])),
    "Independent": (lambda lib, g: lib.distributions.Independent(lib.distributions.Normal(
        _tensor(lib, [[0.1, -0.3], [1.0, 2.0]], requires_grad=g), _tensor(lib, [[1.0, 0.5], [2.0, 0.3]])), 1),
        lambda lib: _tensor(lib, [[0.5, 0.5], [-1.0, 2.0]])),
    "MixtureSameFamily": (lambda lib, g: lib.distributions.MixtureSameFamily(
        lib.distributions.Categorical(logits=_tensor(lib, [0.2, -1.0, 1.5], requires_grad=g)),
        lib.distributions.Normal(_tensor(lib, _REAL, requires_grad=g), _tensor(lib, _POS))),
        lambda lib: _tensor(lib, [0.3, -2.0, 2.5])),
    "TransformedDistribution": (lambda lib, g: lib.distributions.TransformedDistribution(
        lib.distributions.Normal(_tensor(lib, _REAL, requires_grad=g), _tensor(lib, _POS)),
        [lib.distributions.transforms.AffineTransform(1.0, 2.0), lib.distributions.transforms.SigmoidTransform()]),
        lambda lib: _tensor(lib, [0.1, 0.5, 0.95])),
    "ContinuousBernoulli": (lambda lib, g: lib.distributions.ContinuousBernoulli(
        probs=_tensor(lib, [0.2, 0.4995, 0.9], requires_grad=g)), lambda lib: _tensor(lib, [0.1, 0.5, 0.95])),
    "ContinuousBernoulli_logits": (lambda lib, g: lib.distributions.ContinuousBernoulli(
        logits=_tensor(lib, [-2.0, 0.001, 3.0], requires_grad=g)), lambda lib: _tensor(lib, [0.1, 0.5, 0.95])),
    "FisherSnedecor": (lambda lib, g: lib.distributions.FisherSnedecor(_tensor(lib, [1.5, 3.0, 9.0], requires_grad=g),
                                                                       _tensor(lib, [2.0, 5.0, 12.0])),
                       lambda lib: _tensor(lib, [0.1, 1.0, 4.0])),
    "GeneralizedPareto": (lambda lib, g: lib.distributions.GeneralizedPareto(
        _tensor(lib, [0.0, 0.5, 1.0], requires_grad=g), _tensor(lib, _POS), _tensor(lib, [-0.2, 0.0, 0.4])),
        lambda lib: _tensor(lib, [0.1, 1.0, 4.0])),
    "InverseGamma": (lambda lib, g: lib.distributions.InverseGamma(_tensor(lib, [0.7, 2.0, 3.5], requires_grad=g),
                                                                   _tensor(lib, _POS, requires_grad=g)),
                     lambda lib: _tensor(lib, [0.1, 1.0, 4.0])),
    "Kumaraswamy": (lambda lib, g: lib.distributions.Kumaraswamy(_tensor(lib, [0.5, 2.0, 3.0], requires_grad=g),
                                                                 _tensor(lib, [1.5, 0.7, 3.0])),
                    lambda lib: _tensor(lib, [0.1, 0.5, 0.95])),
    "LogisticNormal": (lambda lib, g: lib.distributions.LogisticNormal(_tensor(lib, [0.1, -0.3], requires_grad=g),
                                                                       _tensor(lib, [1.0, 0.5])),
                       lambda lib: _tensor(lib, [0.2, 0.3, 0.5])),
    "LowRankMultivariateNormal": (lambda lib, g: lib.distributions.LowRankMultivariateNormal(
        _tensor(lib, [[0.1, -0.3, 0.2], [1.0, 2.0, 0.0]], requires_grad=g),
        _tensor(lib, [[0.5], [-0.2], [1.0]], requires_grad=g), _tensor(lib, [1.0, 0.5, 2.0], requires_grad=g)),
        lambda lib: _tensor(lib, [[0.5, 0.5, 0.1], [-1.0, 2.0, 0.3]])),
    "VonMises": (lambda lib, g: lib.distributions.VonMises(_tensor(lib, [0.5, -2.0, 3.0], requires_grad=g),
                                                           _tensor(lib, [0.5, 4.0, 1e-6])),
                 lambda lib: _tensor(lib, [0.3, -2.0, 2.5])),
    "Wishart": (lambda lib, g: lib.distributions.Wishart(
        _tensor(lib, [3.0, 5.5]), covariance_matrix=_tensor(lib, [[2.0, 0.3], [0.3, 0.5]], requires_grad=g)),
        lambda lib: _tensor(lib, [[[1.0, 0.2], [0.2, 0.7]], [[3.0, -0.5], [-0.5, 1.0]]])),
    "Wishart_precision": (lambda lib, g: lib.distributions.Wishart(
        4.0, precision_matrix=_tensor(lib, [[2.0, 0.3, 0.1], [0.3, 0.5, 0.0], [0.1, 0.0, 1.0]], requires_grad=g)),
        lambda lib: _tensor(lib, [[1.0, 0.2, 0.0], [0.2, 0.7, 0.1], [0.0, 0.1, 2.0]])),
    "LKJCholesky": (lambda lib, g: lib.distributions.LKJCholesky(3, _tensor(lib, [0.5, 2.0], requires_grad=g)),
                    lambda lib: lib.linalg.cholesky(_tensor(lib, [[1.0, 0.3, 0.1], [0.3, 1.0, -0.2],
                                                                  [0.1, -0.2, 1.0]]))),
    "Beta": (lambda lib, g: lib.distributions.Beta(_tensor(lib, [0.5, 2.0, 3.0], requires_grad=g),
                                                   _tensor(lib, [1.5, 0.7, 3.0], requires_grad=g)),
             lambda lib: _tensor(lib, [0.1, 0.5, 0.95])),
    "Dirichlet": (lambda lib, g: lib.distributions.Dirichlet(_tensor(lib, [[0.5, 2.0, 3.0], [9.0, 7.5, 0.2]],
                                                                     requires_grad=g)),
                  lambda lib: _tensor(lib, [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])),
}

PROPERTIES = ("batch_shape", "event_shape", "mean", "mode", "variance", "stddev", "support", "has_rsample",
              "has_enumerate_support")


def _outcome(function):
    try:
        return "value", function()
    except Exception as error:  # the same exception type and message are part of the contract
        return "error", (type(error).__name__, str(error))


def _same(expected, actual, rtol=1e-7, atol=1e-10):
    kind_expected, value_expected = expected
    kind_actual, value_actual = actual
    assert kind_expected == kind_actual, (value_expected, value_actual)
    if kind_expected == "error":
        assert value_expected == tuple(text.replace("torchless", "torch") for text in value_actual)
    elif isinstance(value_expected, torch.Tensor):
        assert tuple(value_expected.shape) == tuple(value_actual.shape)
        assert str(value_expected.dtype).split(".")[1] == str(value_actual.dtype).split(".")[1]
        np.testing.assert_allclose(value_actual.detach().numpy(), value_expected.detach().numpy(), rtol=rtol,
                                   atol=atol, equal_nan=True)
    elif isinstance(value_expected, (tuple, list)) and value_expected and isinstance(value_expected[0], torch.Tensor):
        for e, a in zip(value_expected, value_actual):
            _same(("value", e), ("value", a), rtol, atol)
    else:
        assert repr(value_expected) == repr(value_actual).replace("torchless", "torch")


@pytest.mark.parametrize("name", sorted(CASES))
def test_distribution_matches_torch(name):
    construct, values = CASES[name]
    expected, actual = construct(torch, False), construct(torchless, False)
    for attribute in PROPERTIES:
        _same(_outcome(lambda: getattr(expected, attribute)), _outcome(lambda: getattr(actual, attribute)))
    assert repr(actual).replace("torchless", "torch") == repr(expected)
    for method in ("entropy", "enumerate_support"):
        _same(_outcome(lambda: getattr(expected, method)()), _outcome(lambda: getattr(actual, method)()))
    for method in ("log_prob", "cdf", "icdf"):
        argument = (lambda lib: values(lib).clamp(0.05, 0.95)) if method == "icdf" else values
        _same(_outcome(lambda: getattr(expected, method)(argument(torch))),
              _outcome(lambda: getattr(actual, method)(argument(torchless))))


@pytest.mark.parametrize("name", sorted(CASES))
def test_samples_are_torchs_draws(name):
    construct, _ = CASES[name]
    expected, actual = construct(torch, False), construct(torchless, False)
    for shape in ((), (4,), (2, 3)):
        torch.manual_seed(7)
        torchless.manual_seed(7)
        _same(_outcome(lambda: expected.sample(shape)), _outcome(lambda: actual.sample(shape)), rtol=1e-12)
        # the generator is left where torch's is
        assert torch.rand(1).item() == torchless.rand(1).item()


@pytest.mark.parametrize("name", sorted(CASES))
def test_rsample_and_log_prob_gradients(name):
    construct, values = CASES[name]
    (expected, leaves), (actual, _) = _built(construct, torch, True), _built(construct, torchless, True)
    if not leaves:
        pytest.skip("no parameter requires grad")
    torch.manual_seed(3)
    torchless.manual_seed(3)
    kind, draw = _outcome(lambda: expected.rsample((5,)))
    kind_actual, draw_actual = _outcome(lambda: actual.rsample((5,)))
    assert kind == kind_actual, (draw, draw_actual)
    losses = [lambda d, lib: d.log_prob(values(lib)).sum()]
    if kind == "value" and draw.requires_grad:
        _same((kind, draw), (kind_actual, draw_actual), rtol=1e-9)
        losses.append(lambda d, lib: (d.rsample((5,)) ** 2).sum())
    for loss in losses:
        (expected, leaves), (actual, leaves_actual) = _built(construct, torch, True), _built(construct, torchless, True)
        torch.manual_seed(3)
        torchless.manual_seed(3)
        value, value_actual = _outcome(lambda: loss(expected, torch)), _outcome(lambda: loss(actual, torchless))
        if value[0] == "error":  # (float64 GeneralizedPareto.log_prob fails in PyTorch: it compares with float32)
            _same(value, value_actual)
            continue
        grads = _outcome(lambda: torch.autograd.grad(value[1], leaves, allow_unused=True))
        grads_actual = _outcome(lambda: torchless.autograd.grad(value_actual[1], leaves_actual, allow_unused=True))
        if grads[0] == "error":  # (Wishart.rsample writes into the mask its backward saved, in PyTorch too)
            assert grads_actual[0] == "error" and grads_actual[1][0] == grads[1][0], grads_actual
            continue
        grads, grads_actual = grads[1], grads_actual[1]
        for g, g_actual in zip(grads, grads_actual):
            assert (g is None) == (g_actual is None)
            if g is not None:
                np.testing.assert_allclose(g_actual.numpy(), g.numpy(), rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("name", sorted(CASES))
def test_expand(name):
    construct, values = CASES[name]
    expected, actual = construct(torch, False), construct(torchless, False)
    shape = (2,) + tuple(expected.batch_shape)
    expected, actual = expected.expand(shape), actual.expand(torchless.Size(shape))
    assert type(actual).__name__ == type(expected).__name__
    assert tuple(actual.batch_shape) == shape and tuple(actual.event_shape) == tuple(expected.event_shape)
    torch.manual_seed(11)
    torchless.manual_seed(11)
    _same(_outcome(lambda: expected.sample()), _outcome(lambda: actual.sample()), rtol=1e-12)
    _same(_outcome(lambda: expected.log_prob(values(torch))), _outcome(lambda: actual.log_prob(values(torchless))))
    if name != "Multinomial":  # (PyTorch's expanded Multinomial lacks the _binomial its entropy needs: a bug)
        _same(_outcome(lambda: expected.entropy()), _outcome(lambda: actual.entropy()))


@pytest.mark.parametrize("name", ["Exponential", "Gamma", "StudentT", "Laplace", "Gumbel", "MultivariateNormal",
                                  "RelaxedOneHotCategorical", "Beta", "Weibull"])
def test_float32_samples(name):
    """float32 parameters draw float32 samples, the same as PyTorch's (gamma draws compute part in float)."""
    construct, _ = CASES[name]

    for lib in (torch, torchless):
        lib.manual_seed(5)
    samples = []
    for lib in (torch, torchless):
        values = {"Exponential": lambda: lib.distributions.Exponential(lib.tensor(_POS).float()),
                  "Gamma": lambda: lib.distributions.Gamma(lib.tensor([0.3, 2.0, 9.5]).float(), 1.5),
                  "StudentT": lambda: lib.distributions.StudentT(lib.tensor([0.8, 2.5, 30.0]).float()),
                  "Laplace": lambda: lib.distributions.Laplace(lib.tensor(_REAL).float(), 2.0),
                  "Gumbel": lambda: lib.distributions.Gumbel(lib.tensor(_REAL).float(), 2.0),
                  "MultivariateNormal": lambda: lib.distributions.MultivariateNormal(
                      lib.zeros(2), lib.tensor([[2.0, 0.3], [0.3, 0.5]])),
                  "RelaxedOneHotCategorical": lambda: lib.distributions.RelaxedOneHotCategorical(
                      lib.tensor(0.3), logits=lib.tensor([0.2, -1.0, 1.5])),
                  "Beta": lambda: lib.distributions.Beta(lib.tensor([0.5, 2.0]), lib.tensor([1.5, 0.7])),
                  "Weibull": lambda: lib.distributions.Weibull(lib.tensor(_POS).float(), 0.7)}[name]()
        lib.manual_seed(5)
        samples.append(values.sample((64,)))
    assert samples[1].dtype == torchless.float32
    # the same draws; the float32 transforms of them (log1p, exp, ...) may differ in the last bits
    np.testing.assert_allclose(samples[1].numpy(), samples[0].numpy(), rtol=1e-5, atol=1e-6)


KL_PAIRS = [
    ("Normal", "Normal"), ("Laplace", "Laplace"), ("Exponential", "Exponential"), ("Gamma", "Gamma"),
    ("Exponential", "Gamma"), ("Gamma", "Exponential"), ("Poisson", "Poisson"), ("Geometric", "Geometric"),
    ("Binomial", "Binomial"), ("Gumbel", "Gumbel"), ("Normal", "Gumbel"), ("Laplace", "Normal"),
    ("Normal", "Laplace"), ("Cauchy", "Cauchy"), ("Pareto", "Pareto"), ("HalfNormal", "HalfNormal"),
    ("LogNormal", "LogNormal"), ("OneHotCategorical", "OneHotCategorical"),
    ("MultivariateNormal", "MultivariateNormal"), ("Independent", "Independent"), ("Chi2", "Chi2"),
    ("Beta", "Beta"), ("Normal", "Exponential"), ("Bernoulli", "Bernoulli"),
    ("ContinuousBernoulli", "ContinuousBernoulli"), ("Beta", "ContinuousBernoulli"), ("Uniform", "ContinuousBernoulli"),
    ("ContinuousBernoulli", "Normal"), ("ContinuousBernoulli", "Exponential"), ("ContinuousBernoulli", "Uniform"),
    ("Normal", "ContinuousBernoulli"), ("LowRankMultivariateNormal", "LowRankMultivariateNormal"),
    ("MultivariateNormal", "LowRankMultivariateNormal"), ("LowRankMultivariateNormal", "MultivariateNormal"),
    ("Uniform", "Beta"), ("Uniform", "Gamma"), ("Uniform", "Gumbel"), ("Uniform", "Pareto"), ("Uniform", "Exponential"),
    ("Exponential", "Gumbel"), ("Exponential", "Normal"), ("Gamma", "Gumbel"), ("Gamma", "Normal"),
    ("Gumbel", "Normal"), ("Pareto", "Exponential"), ("Pareto", "Gamma"), ("Pareto", "Normal"), ("Beta", "Gamma"),
    ("Beta", "Exponential"), ("Bernoulli", "Poisson"), ("Poisson", "Binomial"), ("Gamma", "Uniform"),
]


def _kl_operand(lib, name, shift):
    D = lib.distributions
    t = lambda values: lib.tensor(np.asarray(values) * shift, dtype=lib.float64)  # noqa: E731
    return {
        "Normal": lambda: D.Normal(t([0.1, -0.3]), t([1.0, 2.0])),
        "Laplace": lambda: D.Laplace(t([0.1, -0.3]), t([1.0, 2.0])),
        "Exponential": lambda: D.Exponential(t([1.0, 2.0])),
        "Gamma": lambda: D.Gamma(t([0.5, 3.0]), t([1.0, 2.0])),
        "Chi2": lambda: D.Chi2(t([1.5, 3.0])),
        "Poisson": lambda: D.Poisson(t([1.0, 2.0])),
        "Geometric": lambda: D.Geometric(t([0.2, 0.4])),
        "Binomial": lambda: D.Binomial(5, t([0.2, 0.4])),
        "Gumbel": lambda: D.Gumbel(t([0.1, -0.3]), t([1.0, 2.0])),
        "Cauchy": lambda: D.Cauchy(t([0.1, -0.3]), t([1.0, 2.0])),
        "Pareto": lambda: D.Pareto(t([1.0, 2.0]), t([1.5, 2.5])),
        "HalfNormal": lambda: D.HalfNormal(t([1.0, 2.0])),
        "LogNormal": lambda: D.LogNormal(t([0.1, -0.3]), t([1.0, 2.0])),
        "OneHotCategorical": lambda: D.OneHotCategorical(t([0.2, 0.3, 0.5])),
        "MultivariateNormal": lambda: D.MultivariateNormal(t([0.1, -0.3]), lib.tensor(
            [[2.0, 0.3], [0.3, 0.5 * shift]], dtype=lib.float64)),
        "Independent": lambda: D.Independent(D.Normal(t([[0.1, -0.3]]), t([[1.0, 2.0]])), 1),
        "Beta": lambda: D.Beta(t([0.5, 3.0]), t([1.0, 2.0])),
        "Bernoulli": lambda: D.Bernoulli(t([0.2, 0.4])),
        "ContinuousBernoulli": lambda: D.ContinuousBernoulli(t([0.2, 0.4])),
        "Uniform": lambda: D.Uniform(t([0.1, 0.2]), t([0.5, 0.7])),
        "LowRankMultivariateNormal": lambda: D.LowRankMultivariateNormal(
            t([0.1, -0.3]), lib.tensor([[0.5], [-0.2 * shift]], dtype=lib.float64), t([1.0, 0.5])),
    }[name]()


@pytest.mark.parametrize("p_name,q_name", KL_PAIRS)
def test_kl_divergence(p_name, q_name):
    outcomes = [_outcome(lambda: lib.distributions.kl_divergence(_kl_operand(lib, p_name, 1.0),
                                                                 _kl_operand(lib, q_name, 1.2)))
                for lib in (torch, torchless)]
    _same(*outcomes)


def test_kl_divergence_of_an_unregistered_pair_names_the_types():
    for lib in (torch, torchless):
        D = lib.distributions
        with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p type Cauchy and q "
                                                      "type Gamma"):
            D.kl_divergence(D.Cauchy(0.0, 1.0), D.Gamma(1.0, 1.0))


def _transform(lib, name):
    T = lib.distributions.transforms
    t = lambda values: lib.tensor(values, dtype=lib.float64)  # noqa: E731
    return {
        "exp": lambda: T.ExpTransform(),
        "power": lambda: T.PowerTransform(t([0.5, 2.0, 3.0])),
        "sigmoid": lambda: T.SigmoidTransform(),
        "softplus": lambda: T.SoftplusTransform(),
        "tanh": lambda: T.TanhTransform(),
        "abs": lambda: T.AbsTransform(),
        "affine": lambda: T.AffineTransform(t([1.0, -2.0, 0.5]), t([2.0, -0.5, 3.0])),
        "affine_event": lambda: T.AffineTransform(1.0, t([2.0, -0.5, 3.0]), event_dim=1),
        "softmax": lambda: T.SoftmaxTransform(),
        "stick_breaking": lambda: T.StickBreakingTransform(),
        "compose": lambda: T.ComposeTransform([T.AffineTransform(0.5, 2.0), T.ExpTransform(),
                                               T.PowerTransform(t([0.5, 2.0, 3.0]))]),
        "independent": lambda: T.IndependentTransform(T.ExpTransform(), 1),
        "reshape": lambda: T.ReshapeTransform((3,), (3, 1)),
        "inverse_exp": lambda: T.ExpTransform().inv,
        "identity": lambda: T.identity_transform,
        "corr_cholesky": lambda: T.CorrCholeskyTransform(),
        "positive_definite": lambda: T.PositiveDefiniteTransform(),
        "cat": lambda: T.CatTransform([T.ExpTransform(), T.AffineTransform(1.0, 2.0)], dim=-1, lengths=[1, 2]),
        "stack": lambda: T.StackTransform([T.ExpTransform(), T.TanhTransform()], dim=0),
        "cdf": lambda: T.CumulativeDistributionTransform(lib.distributions.Normal(t(0.5), t(2.0))),
    }[name]()


TRANSFORMS = ["exp", "power", "sigmoid", "softplus", "tanh", "abs", "affine", "affine_event", "softmax",
              "stick_breaking", "compose", "independent", "reshape", "inverse_exp", "identity", "corr_cholesky",
              "positive_definite", "cat", "stack", "cdf"]


@pytest.mark.parametrize("name", TRANSFORMS)
def test_transform_matches_torch(name):
    expected, actual = _transform(torch, name), _transform(torchless, name)
    x = np.array([[0.3, -1.2, 2.0], [1.5, 0.1, -0.4]])
    inputs = [lib.tensor(np.abs(x) if name in ("power", "inverse_exp", "compose") else x, dtype=lib.float64)
              for lib in (torch, torchless)]
    y = _outcome(lambda: expected(inputs[0]))
    y_actual = _outcome(lambda: actual(inputs[1]))
    _same(y, y_actual)
    if y[0] == "value":
        _same(_outcome(lambda: expected.inv(y[1])), _outcome(lambda: actual.inv(y_actual[1])))
        _same(_outcome(lambda: expected.log_abs_det_jacobian(inputs[0], y[1])),
              _outcome(lambda: actual.log_abs_det_jacobian(inputs[1], y_actual[1])))
    for attribute in ("domain", "codomain", "bijective", "sign", "event_dim"):
        _same(_outcome(lambda: getattr(expected, attribute)), _outcome(lambda: getattr(actual, attribute)))
    assert repr(actual).replace("torchless", "torch") == repr(expected)
    for shape in ((2, 3), (3,), ()):
        _same(_outcome(lambda: expected.forward_shape(torch.Size(shape))),
              _outcome(lambda: actual.forward_shape(torchless.Size(shape))))
        _same(_outcome(lambda: expected.inverse_shape(torch.Size(shape))),
              _outcome(lambda: actual.inverse_shape(torchless.Size(shape))))
    assert (actual == _transform(torchless, name)) == (expected == _transform(torch, name))


def test_matrix_transforms_round_trip_as_torchs():
    for name, x in (("corr_cholesky", np.array([[0.3, -1.2, 2.0], [1.5, 0.1, -0.4]])),
                    ("positive_definite", np.array([[[0.3, -1.2], [2.0, 0.5]], [[1.5, 0.1], [-0.4, 0.2]]]))):
        outputs = []
        for lib in (torch, torchless):
            transform = _transform(lib, name)
            y = transform(lib.tensor(x, dtype=lib.float64))
            outputs.append((y.numpy(), transform.inv(y).numpy(),
                            transform.log_abs_det_jacobian(lib.tensor(x, dtype=lib.float64), y).numpy()
                            if name == "corr_cholesky" else None))
        for expected, actual in zip(*outputs):
            if expected is not None:
                np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12)


CONSTRAINTS = {
    "real": lambda c, t: c.real, "positive": lambda c, t: c.positive, "nonnegative": lambda c, t: c.nonnegative,
    "greater_than": lambda c, t: c.greater_than(t([1.0, -2.0, 0.5])), "less_than": lambda c, t: c.less_than(3.0),
    "unit_interval": lambda c, t: c.unit_interval, "interval": lambda c, t: c.interval(-1.0, 4.0),
    "half_open_interval": lambda c, t: c.half_open_interval(0.0, 2.0), "simplex": lambda c, t: c.simplex,
    "independent": lambda c, t: c.independent(c.positive, 1), "real_vector": lambda c, t: c.real_vector,
    "lower_cholesky": lambda c, t: c.lower_cholesky, "positive_definite": lambda c, t: c.positive_definite,
    "corr_cholesky": lambda c, t: c.corr_cholesky, "boolean": lambda c, t: c.boolean,
    "cat": lambda c, t: c.cat([c.positive, c.real], dim=-1, lengths=[1, 2]),
    "stack": lambda c, t: c.stack([c.positive, c.unit_interval, c.real], dim=-1),
}


@pytest.mark.parametrize("name", sorted(CONSTRAINTS))
@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_constraint_registry(name, registry):
    x = np.array([[0.3, -1.2, 2.0], [1.5, 0.1, -0.4], [0.7, 0.2, -0.9]])
    outcomes = []
    for lib in (torch, torchless):
        constraint = CONSTRAINTS[name](lib.distributions.constraints, lambda v: lib.tensor(v, dtype=lib.float64))
        outcome = _outcome(lambda: getattr(lib.distributions, registry)(constraint))
        if outcome[0] == "value":
            transform = outcome[1]
            y = _outcome(lambda: transform(lib.tensor(x, dtype=lib.float64)))
            checked = _outcome(lambda: constraint.check(y[1]))
            outcome = ("value", (repr(transform).replace("torchless", "torch"), y, checked))
        outcomes.append(outcome)
    expected, actual = outcomes
    assert expected[0] == actual[0], (expected, actual)
    if expected[0] == "error":
        _same(expected, actual)
        return
    assert actual[1][0] == expected[1][0]
    _same(expected[1][1], actual[1][1])
    _same(expected[1][2], actual[1][2])


def test_tril_vector_conversions():
    from torch.distributions.utils import tril_matrix_to_vec, vec_to_tril_matrix

    from torchless.distributions import utils

    matrix = np.arange(2 * 16, dtype=np.float64).reshape(2, 4, 4)
    for diag in (-2, -1, 0, 1):
        expected = tril_matrix_to_vec(torch.tensor(matrix), diag)
        actual = utils.tril_matrix_to_vec(torchless.tensor(matrix), diag)
        np.testing.assert_array_equal(actual.numpy(), expected.numpy())
        np.testing.assert_array_equal(utils.vec_to_tril_matrix(actual, diag).numpy(),
                                      vec_to_tril_matrix(expected, diag).numpy())
    for lib, module in ((torch, None), (torchless, utils)):
        with pytest.raises(ValueError, match="The size of last dimension is 5 which cannot be expressed"):
            (module.vec_to_tril_matrix if module else vec_to_tril_matrix)(lib.zeros(5))


def test_transform_cache_returns_the_input_of_a_computed_output():
    for lib in (torch, torchless):
        absolute = lib.distributions.transforms.AbsTransform(cache_size=1)
        x = lib.tensor([-1.0, 2.0])
        assert absolute.inv(absolute(x)) is x
        with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
            lib.distributions.transforms.ExpTransform(cache_size=2)
        with pytest.raises(TypeError, match="unhashable type"):
            hash(lib.distributions.transforms.ExpTransform())


def test_transformed_distribution_of_transforms_that_change_the_event_shape():
    """A stick-breaking Normal over R^2 is a distribution on the 3-simplex (LogisticNormal's construction)."""
    outcomes = []
    for lib in (torch, torchless):
        D = lib.distributions
        base = D.Normal(lib.tensor([[0.1, -0.2], [0.5, 0.3]], dtype=lib.float64),
                        lib.tensor([1.0, 2.0], dtype=lib.float64))
        distribution = D.TransformedDistribution(base, [D.transforms.StickBreakingTransform()])
        lib.manual_seed(1)
        sample = distribution.sample((3,))
        outcomes.append((tuple(distribution.batch_shape), tuple(distribution.event_shape), sample,
                         distribution.log_prob(sample), repr(distribution.support)))
    (shapes, events, sample, log_prob, support), actual = outcomes
    assert actual[:2] == (shapes, events) and actual[4] == support
    np.testing.assert_allclose(actual[2].numpy(), sample.numpy(), rtol=1e-12)
    np.testing.assert_allclose(actual[3].numpy(), log_prob.numpy(), rtol=1e-10)


ERROR_CASES = {
    "negative rate": lambda D, t: D.Exponential(t([-1.0, 1.0])),
    "probs and logits": lambda D, t: D.Geometric(probs=t([0.5]), logits=t([0.1])),
    "zero probs": lambda D, t: D.Geometric(probs=t([0.0, 0.5])),
    "not a simplex": lambda D, t: D.OneHotCategorical(probs=t([0.5, -0.5])).log_prob(t([0.0, 1.0])),
    "non-integer count": lambda D, t: D.Binomial(2.5, t([0.5])),
    "bad Binomial value": lambda D, t: D.Binomial(3, t([0.5])).log_prob(t([4.0])),
    "Poisson value": lambda D, t: D.Poisson(t([2.0])).log_prob(t([0.5])),
    "inhomogeneous multinomial": lambda D, t: D.Multinomial(t(3.0), t([0.5, 0.5])),
    "two covariances": lambda D, t: D.MultivariateNormal(t([0.0, 0.0]), covariance_matrix=t([[1.0, 0.0], [0.0, 1.0]]),
                                                         scale_tril=t([[1.0, 0.0], [0.0, 1.0]])),
    "not positive definite": lambda D, t: D.MultivariateNormal(t([0.0, 0.0]),
                                                               covariance_matrix=t([[1.0, 2.0], [2.0, 1.0]])),
    "scalar loc": lambda D, t: D.MultivariateNormal(t(0.0), covariance_matrix=t([[1.0]])),
    "vector covariance": lambda D, t: D.MultivariateNormal(t([0.0]), covariance_matrix=t([1.0])),
    "Independent too deep": lambda D, t: D.Independent(D.Normal(t([0.0]), t([1.0])), 2),
    "mixture of non-categorical": lambda D, t: D.MixtureSameFamily(D.Normal(t([0.0]), t([1.0])),
                                                                  D.Normal(t([0.0]), t([1.0]))),
    "mixture sizes": lambda D, t: D.MixtureSameFamily(D.Categorical(t([0.5, 0.5])),
                                                      D.Normal(t([0.0, 1.0, 2.0]), t([1.0, 1.0, 1.0]))),
    "transforms not a list": lambda D, t: D.TransformedDistribution(D.Normal(t([0.0]), t([1.0])), "exp"),
    "Laplace support": lambda D, t: D.Pareto(t([1.0]), t([2.0])).log_prob(t([0.5])),
    "StudentT df": lambda D, t: D.StudentT(t([0.0])),
    "Gamma value": lambda D, t: D.Gamma(t([1.0]), t([1.0])).log_prob(t([-1.0])),
    "KL event shapes": lambda D, t: D.kl_divergence(
        D.MultivariateNormal(t([0.0]), t([[1.0]])), D.MultivariateNormal(t([0.0, 0.0]), t([[1.0, 0.0], [0.0, 1.0]]))),
    "KL Binomial counts": lambda D, t: D.kl_divergence(D.Binomial(2, t([0.5])), D.Binomial(3, t([0.5]))),
    "KL Bregman": lambda D, t: D.kl_divergence(D.Poisson(t([1.0])), D.Exponential(t([1.0]))),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_errors_match_torch(case):
    outcomes = [_outcome(lambda: ERROR_CASES[case](lib.distributions, lambda v: lib.tensor(v, dtype=lib.float64)))
                for lib in (torch, torchless)]
    if outcomes[0][0] == "error":
        # the messages show the offending values as each library prints tensors
        assert outcomes[1][0] == "error" and outcomes[1][1][0] == outcomes[0][1][0], outcomes
        first_line = lambda message: message.split("\n")[0].replace("torchless", "torch")  # noqa: E731
        assert first_line(outcomes[1][1][1]) == first_line(outcomes[0][1][1])
    else:
        _same(*outcomes)


def test_sample_n_is_deprecated():
    for lib in (torch, torchless):
        with pytest.warns(FutureWarning, match=r"`sample_n\(n\)` will be deprecated. Use `sample\(\(n,\)\)` instead."):
            assert tuple(lib.distributions.Exponential(1.0).sample_n(3).shape) == (3,)


def test_a_subclass_with_its_own_init_needs_its_own_expand():
    for lib in (torch, torchless):
        class Shifted(lib.distributions.Normal):
            def __init__(self, loc):
                super().__init__(loc, 1.0)

        with pytest.raises(NotImplementedError, match="Subclass Shifted of Normal that defines a custom __init__ "
                                                      "method must also define a custom .expand\\(\\) method."):
            Shifted(lib.zeros(2)).expand((3, 2))


def test_standard_gamma_and_its_gradient_match_torch():
    for dtype in ("float32", "float64"):
        alpha = np.random.default_rng(0).uniform(0.01, 12.0, 500)
        results = []
        for lib in (torch, torchless):
            concentration = lib.tensor(alpha, dtype=getattr(lib, dtype), requires_grad=True)
            lib.manual_seed(2)
            draws = lib._standard_gamma(concentration)
            draws.sum().backward()
            results.append((draws.detach().numpy(), concentration.grad.numpy(), draws.grad_fn.name()))
        (draws, grad, node), (draws_actual, grad_actual, node_actual) = results
        np.testing.assert_array_equal(draws_actual, draws)
        np.testing.assert_allclose(grad_actual, grad, rtol=1e-6 if dtype == "float32" else 1e-9)
        assert node_actual == node


def test_validate_args_reaches_the_base_distribution_and_values_keep_their_dtype():
    outcomes = []
    for lib in (torch, torchless):
        D = lib.distributions
        kumaraswamy = D.Kumaraswamy(lib.tensor([2.0, 3.0], dtype=lib.float64),
                                    lib.tensor([1.5, 0.5], dtype=lib.float64), validate_args=False)
        value = lib.tensor([0.3, 1.2], dtype=lib.float64)
        outcomes.append([kumaraswamy.log_prob(lib.tensor([-0.5, 0.4], dtype=lib.float64)),
                         D.HalfNormal(1.7).log_prob(value), D.HalfCauchy(1.7).log_prob(value)])
    for expected, actual in zip(*outcomes):
        _same(("value", expected), ("value", actual))


def test_gamma_and_dirichlet_kernels_refuse_what_pytorchs_lack():
    def calls(lib):
        half = lib.ones(3, dtype=lib.float16)
        return [lambda: lib._standard_gamma(lib.ones(2, dtype=lib.int64)), lambda: lib._standard_gamma(half),
                lambda: lib._sample_dirichlet(half), lambda: lib._dirichlet_grad(half / 3, half, half * 3),
                lambda: lib.distributions.Dirichlet(half).sample()]

    outcomes = [[_outcome(call)[1] for call in calls(lib)] for lib in (torch, torchless)]
    assert outcomes[1] == outcomes[0]


def test_sample_dirichlet_draws_pytorchs_numbers():
    concentration = np.random.default_rng(3).uniform(0.1, 5.0, (4, 3))
    draws = []
    for lib in (torch, torchless):
        lib.manual_seed(8)
        draws.append(lib._sample_dirichlet(lib.tensor(concentration)).numpy())
    np.testing.assert_array_equal(draws[1], draws[0])

