"""``functional_call``: a module called with some of its parameters and buffers swapped for given tensors."""
from collections.abc import Sequence


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    r"""Calls ``module`` with some of its parameters and buffers swapped for the tensors given, by dotted name;
    the module's own tensors are back in place when the call returns (or raises).

    Parametrized tensors passed under their plain name bypass the parametrization for this call. In-place
    changes the forward makes to a swapped-in tensor land in the tensor passed.

    Args:
        module (torchless.nn.Module): the module to call.
        parameter_and_buffer_dicts (dict or sequence of dicts): ``{dotted name: tensor}``; several dicts are
            merged, and must not share a key.
        args (tuple or any): the call's positional arguments; a non-tuple is the only one.
        kwargs (dict, optional): the call's keyword arguments.
        tie_weights (bool, optional): names that share one tensor in ``module`` share the replacement too;
            giving them different ones is an error. Default: ``True``.
        strict (bool, optional): the names given must be exactly the module's parameters and buffers.
            Default: ``False``.

    Returns:
        whatever ``module(*args, **kwargs)`` returns.
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
    from ..nn.utils.stateless import _functional_call  # torchless.nn loads on first use, not with torchless

    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
