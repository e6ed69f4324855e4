"""``torch.distributions``: the distributions CNN training code reaches for (Beta for mixup and CutMix,
Categorical and Bernoulli for sampling, Normal and Uniform for noise), with PyTorch's shapes, formulas and
argument checks. Normal, Uniform, Bernoulli, Categorical, Beta and Dirichlet draw from the same streams as
PyTorch's."""
from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .dirichlet import Beta, Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .kl import kl_divergence, register_kl
from .normal import Normal
from .uniform import Uniform

__all__ = ["Bernoulli", "Beta", "Categorical", "Dirichlet", "Distribution", "ExponentialFamily", "Normal", "Uniform", "constraints",
           "kl_divergence", "register_kl"]
