import torchless as _t
from torchless.autograd.function import Function, once_differentiable

from . import constraints
from .exp_family import ExponentialFamily


class _Dirichlet(Function):
    """Dirichlet draws of ``concentration``'s shape (``torch._sample_dirichlet``'s, from torch's stream), with
    their reparameterized gradient: each coordinate's through its Beta marginal (``torch._dirichlet_grad``), then
    projected onto the simplex's tangent space."""

    @staticmethod
    def forward(ctx, concentration):
        x = _t._sample_dirichlet(concentration.detach())
        ctx.save_for_backward(x, concentration)
        return x

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        x, concentration = ctx.saved_tensors
        total = concentration.sum(-1, True).expand_as(concentration)
        grad = _t._dirichlet_grad(x, concentration, total)
        return grad * (grad_output - (x * grad_output).sum(-1, True))


class Dirichlet(ExponentialFamily):
    """The Dirichlet distribution over the simplex of the last dimension of ``concentration``."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    _expanded_params = ("concentration",)
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return _Dirichlet.apply(self.concentration.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (_t.xlogy(self.concentration - 1.0, value).sum(-1) + _t.lgamma(self.concentration.sum(-1))
                - _t.lgamma(self.concentration).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        concentration_m1 = (self.concentration - 1).clamp(min=0.0)
        mode = concentration_m1 / concentration_m1.sum(-1, True)
        # below 1 in every class the density peaks at a corner: the largest class's
        below_one = (self.concentration < 1).all(dim=-1)
        mode[below_one] = _t.nn.functional.one_hot(mode[below_one].argmax(dim=-1), concentration_m1.shape[-1]).to(mode)
        return mode

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        k = self.concentration.size(-1)
        a0 = self.concentration.sum(-1)
        return (_t.lgamma(self.concentration).sum(-1) - _t.lgamma(a0) - (k - a0) * _t.digamma(a0)
                - ((self.concentration - 1.0) * _t.digamma(self.concentration)).sum(-1))
