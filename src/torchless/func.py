"""``torch.func``, reduced to :func:`functional_call` (torchless has no function transforms: no vmap, grad or
jacrev)."""
from collections.abc import Sequence

__all__ = ["functional_call"]


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    r"""Performs a functional call on the module by replacing the module parameters and buffers with the
    provided ones.

    .. note:: If the module has active parametrizations, passing a value in the
        :attr:`parameter_and_buffer_dicts` argument with the name set to the regular parameter name will
        completely disable the parametrization.

    .. note:: If the module performs in-place operations on parameters/buffers, these will be reflected in the
        ``parameter_and_buffer_dicts`` input.

    Args:
        module (torchless.nn.Module): the module to call
        parameter_and_buffer_dicts (Dict[str, Tensor] or tuple of Dict[str, Tensor]): the parameters that will
            be used in the module call, by dotted name. If given a tuple of dictionaries, they must have
            distinct keys so that all dictionaries can be used together
        args (Any or tuple): arguments to be passed to the module call. If not a tuple, considered a single
            argument.
        kwargs (dict): keyword arguments to be passed to the module call
        tie_weights (bool, optional): If True, then parameters and buffers tied in the original model will be
            treated as tied in the reparameterized version. Therefore, if True and different values are passed
            for the tied parameters and buffers, it will error. Default: True.
        strict (bool, optional): If True, then the parameters and buffers passed in must match the parameters
            and buffers in the original module. Default: False.

    Returns:
        Any: the result of calling ``module``.
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        parameters_and_buffers = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        counts = {}
        for key in (k for d in parameter_and_buffer_dicts for k in d):
            counts[key] = counts.get(key, 0) + 1
        repeated_keys = [key for key, n in counts.items() if n > 1]
        if repeated_keys:
            raise ValueError(f"{repeated_keys} appeared in multiple dictionaries; behavior of functional call is "
                             "ambiguous")
        parameters_and_buffers = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(parameter_and_buffer_dicts)}")
    from .nn.utils.stateless import _functional_call  # torchless.nn loads on first use, not with torchless

    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
