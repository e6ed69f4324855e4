"""``kl_divergence(p, q)`` for the registered pairs of distribution types (``register_kl`` adds more)."""
import importlib

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


# The built-in pairs register themselves when their modules are imported (they import register_kl from here).
for _pairs in ("_kl_same_family", "_kl_cross_family"):
    importlib.import_module(f"{__package__}.{_pairs}")
