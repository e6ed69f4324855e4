"""``torch.nn.utils.skip_init``: build a module without initializing its parameters and buffers."""
import inspect
import itertools

from ... import random
from ...autograd import grad_mode
from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """Build ``module_cls(*args, **kwargs)`` without running its parameter and buffer initialization.

    Handy when the default initialization is costly or is about to be overwritten anyway. As in PyTorch, the
    constructor must take a ``device`` argument, and must do nothing with its parameters beyond initializing
    them (with functions from :mod:`torchless.nn.init`).

    PyTorch builds the module on its ``meta`` device (no memory, no random draws) and then allocates empty
    storage. torchless, which has no meta device, builds it normally, then zeroes every parameter and buffer
    (what :func:`torchless.empty` holds) and restores the default generator's state, so that later random
    draws are those PyTorch would make.

    Args:
        module_cls: a subclass of :class:`torchless.nn.Module`
        args: positional arguments for the constructor
        kwargs: keyword arguments for the constructor

    Returns:
        the new module, its parameters and buffers left uninitialized

    Example::

        >>> m = torchless.nn.utils.skip_init(torchless.nn.Linear, 5, 1)
        >>> m.weight.shape
        torchless.Size([1, 5])
    """
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs.setdefault("device", "cpu")
    state = random.get_rng_state()
    try:
        module = module_cls(*args, **kwargs)
    finally:
        random.set_rng_state(state)
    with grad_mode.no_grad():
        for tensor in itertools.chain(module.parameters(), module.buffers()):
            tensor.zero_()
    return module
