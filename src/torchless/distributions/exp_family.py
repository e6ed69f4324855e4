from .distribution import Distribution


class ExponentialFamily(Distribution):
    """Base class of the exponential-family distributions (Normal, Bernoulli, Categorical, Beta, Dirichlet)."""
