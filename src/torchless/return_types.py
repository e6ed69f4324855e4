"""``torch.return_types``: the named tuples of reductions that give two results, e.g.
``torch.max(x, dim)`` -> ``max(values, indices)``, so code can check ``isinstance(r, torch.return_types.max)``."""
from ._ops.math_methods import _MinMax as aminmax
from ._tensor import _RETURN_TYPES

globals().update(_RETURN_TYPES)

__all__ = sorted(_RETURN_TYPES) + ["aminmax"]
