"""``kl_divergence(p, q)`` for the pairs registered here (with ``register_kl`` for more)."""
_KL_REGISTRY = {}


def register_kl(type_p, type_q):
    def decorator(fun):
        _KL_REGISTRY[type_p, type_q] = fun
        return fun
    return decorator


def kl_divergence(p, q):
    for type_p in type(p).__mro__:
        for type_q in type(q).__mro__:
            fun = _KL_REGISTRY.get((type_p, type_q))
            if fun is not None:
                return fun(p, q)
    raise NotImplementedError(f"No KL(p || q) is implemented for p type {p.__class__.__name__} and q type "
                              f"{q.__class__.__name__}")


def _register_builtin():
    import math

    import torchless as _t
    from torchless.nn.functional import softplus

    from .bernoulli import Bernoulli
    from .categorical import Categorical
    from .dirichlet import Beta, Dirichlet
    from .exp_family import ExponentialFamily
    from .normal import Normal
    from .uniform import Uniform

    inf = float("inf")

    @register_kl(ExponentialFamily, ExponentialFamily)
    def _kl_expfamily_expfamily(p, q):
        if type(p) is not type(q):
            raise NotImplementedError("The cross KL-divergence between different exponential families cannot "
                                      "                            be computed using Bregman divergences")
        raise NotImplementedError(f"No KL(p || q) is implemented for p type {p.__class__.__name__} and q type "
                                  f"{q.__class__.__name__}")

    @register_kl(Normal, Normal)
    def _kl_normal_normal(p, q):
        var_ratio = (p.scale / q.scale).pow(2)
        t1 = ((p.loc - q.loc) / q.scale).pow(2)
        return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())

    @register_kl(Categorical, Categorical)
    def _kl_categorical_categorical(p, q):
        t = p.probs * (p.logits - q.logits)
        t[(q.probs == 0).expand_as(t)] = inf
        t[(p.probs == 0).expand_as(t)] = 0
        return t.sum(-1)

    @register_kl(Bernoulli, Bernoulli)
    def _kl_bernoulli_bernoulli(p, q):
        t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
        t1[q.probs == 0] = inf
        t1[p.probs == 0] = 0
        t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
        t2[q.probs == 1] = inf
        t2[p.probs == 1] = 0
        return t1 + t2

    @register_kl(Beta, Beta)
    def _kl_beta_beta(p, q):
        sum_params_p = p.concentration1 + p.concentration0
        sum_params_q = q.concentration1 + q.concentration0
        t1 = q.concentration1.lgamma() + q.concentration0.lgamma() + sum_params_p.lgamma()
        t2 = p.concentration1.lgamma() + p.concentration0.lgamma() + sum_params_q.lgamma()
        t3 = (p.concentration1 - q.concentration1) * _t.digamma(p.concentration1)
        t4 = (p.concentration0 - q.concentration0) * _t.digamma(p.concentration0)
        t5 = (sum_params_q - sum_params_p) * _t.digamma(sum_params_p)
        return t1 - t2 + t3 + t4 + t5

    @register_kl(Dirichlet, Dirichlet)
    def _kl_dirichlet_dirichlet(p, q):
        sum_p_concentration = p.concentration.sum(-1)
        sum_q_concentration = q.concentration.sum(-1)
        t1 = sum_p_concentration.lgamma() - sum_q_concentration.lgamma()
        t2 = (p.concentration.lgamma() - q.concentration.lgamma()).sum(-1)
        t3 = p.concentration - q.concentration
        t4 = p.concentration.digamma() - sum_p_concentration.digamma().unsqueeze(-1)
        return t1 - t2 + (t3 * t4).sum(-1)

    @register_kl(Uniform, Uniform)
    def _kl_uniform_uniform(p, q):
        result = ((q.high - q.low) / (p.high - p.low)).log()
        result[(q.low > p.low) | (q.high < p.high)] = inf
        return result

    @register_kl(Beta, Normal)
    def _kl_beta_normal(p, q):
        e_beta = p.concentration1 / (p.concentration1 + p.concentration0)
        var_normal = q.scale.pow(2)
        t1 = -p.entropy()
        t2 = 0.5 * (var_normal * 2 * math.pi).log()
        t3 = (e_beta * (1 - e_beta) / (p.concentration1 + p.concentration0 + 1) + e_beta.pow(2)) * 0.5
        t4 = q.loc * e_beta
        t5 = q.loc.pow(2) * 0.5
        return t1 + t2 + (t3 - t4 + t5) / var_normal

    @register_kl(Beta, Uniform)
    def _kl_beta_uniform(p, q):
        result = -p.entropy() + (q.high - q.low).log()
        result[(q.low > p.support.lower_bound) | (q.high < p.support.upper_bound)] = inf
        return result

    @register_kl(Normal, Beta)
    @register_kl(Normal, Uniform)
    def _kl_normal_infinity(p, q):
        return _t.full_like(p.loc, inf)

    @register_kl(Uniform, Normal)
    def _kl_uniform_normal(p, q):
        common_term = p.high - p.low
        t1 = (math.sqrt(math.pi * 2) * q.scale / common_term).log()
        t2 = common_term.pow(2) / 12
        t3 = ((p.high + p.low - 2 * q.loc) / 2).pow(2)
        return t1 + 0.5 * (t2 + t3) / q.scale.pow(2)


_register_builtin()
