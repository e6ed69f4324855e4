import torchless as _t

from .distribution import Distribution


class ExponentialFamily(Distribution):
    """Base class of the exponential-family distributions: p(x) = h(x) exp(<t(x), theta> - F(theta)).

    A subclass that gives its natural parameters theta (``_natural_params``), its log normaliser F
    (``_log_normalizer``) and E[log h(x)] (``_mean_carrier_measure``) gets its entropy from them, through
    F's gradient (its Bregman divergence).
    """

    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        result = -self._mean_carrier_measure
        natural_params = [p.detach().requires_grad_() for p in self._natural_params]
        log_normalizer = self._log_normalizer(*natural_params)
        gradients = _t.autograd.grad(log_normalizer.sum(), natural_params, create_graph=True)
        result += log_normalizer
        for param, gradient in zip(natural_params, gradients):
            result -= (param * gradient).reshape(self._batch_shape + (-1,)).sum(-1)
        return result
