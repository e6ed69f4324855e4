r"""The deprecated, hook-based ``torch.nn.utils.weight_norm``: ``weight_g`` and ``weight_v`` parameters, the
weight recomputed from them by a forward pre-hook (see https://arxiv.org/abs/1602.07868)."""
import warnings

from ..parameter import Parameter, is_lazy
from ._weight_norm_math import weight_norm as _weight_norm

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    @staticmethod
    def apply(module, name, dim):
        warnings.warn("`torchless.nn.utils.weight_norm` is deprecated in favor of "
                      "`torchless.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if is_lazy(weight):
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized parameters. "
                             "Make sure to run the dummy forward before applying weight normalization")
        del module._parameters[name]
        from ... import norm_except_dim  # PyTorch's native function, with its parser's errors (a str dim)

        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).data))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    r"""Split ``module.<name>`` into a length and a direction, with a forward pre-hook putting them back together.

    .. math::
        w = g \, \frac{v}{\lVert v \rVert}

    The parameter is deleted and two parameters take its place: ``<name>_g``, the length (the weight's norm at
    the time of the call), and ``<name>_v``, the direction (the weight itself). Before each call of
    :meth:`~Module.forward`, a hook sets ``module.<name>`` to the weight computed from them. The norm is taken
    separately for each index of dimension :attr:`dim` (with ``dim=0``, one length per output channel), or over the
    whole tensor with ``dim=None``.

    .. warning::
        Deprecated, with a ``FutureWarning``: :func:`torchless.nn.utils.parametrizations.weight_norm` does the
        same as a parametrization, and loads the state dicts this one produces.

    Args:
        module (Module): the module owning the weight
        name (str, optional): which parameter to split. Default: ``"weight"``
        dim (int, optional): the dimension that keeps one length per index; ``None`` for a single length.
            Default: ``0``

    Returns:
        ``module``, with the hook registered

    Raises:
        RuntimeError: when :attr:`name` already has such a hook
        ValueError: when the weight is still an uninitialized (lazy) parameter
    """
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    r"""Undo :func:`weight_norm`: ``<name>_g`` and ``<name>_v`` are dropped with the hook, and ``module.<name>`` is an
    ordinary parameter again, holding the weight they last gave.

    Args:
        module (Module): the module that :func:`weight_norm` changed
        name (str, optional): the parameter that was split. Default: ``"weight"``

    Returns:
        ``module``

    Raises:
        ValueError: when :attr:`name` of ``module`` has no weight normalization hook
    """
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
