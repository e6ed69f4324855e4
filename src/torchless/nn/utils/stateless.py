"""``torch.nn.utils.stateless``: call a module with some of its parameters and buffers replaced for the call
(the engine of :func:`torchless.func.functional_call`)."""
import contextlib
import warnings

from ..._tensor import Tensor
from ..modules.module import Module

__all__ = ["functional_call"]

_MISSING = object()  # a name the module does not have (yet): swapping it back deletes it


def _submodule(module, path, memo):
    """The submodule at dotted ``path`` ("" is the module itself), with PyTorch's NamedMemberAccessor errors."""
    if not path:
        return module
    if path not in memo:
        prefix, dot, attr = path.rpartition(".")
        parent = _submodule(module, prefix, memo) if dot else module
        try:
            submodule = getattr(parent, attr)
        except AttributeError as ex:
            raise AttributeError(f"{parent._get_name()} has no attribute `{attr}`") from ex
        if not isinstance(submodule, Module):
            raise TypeError(f"submodule `{path}`: {submodule} is not an instance of torchless.nn.Module")
        memo[path] = submodule
    return memo[path]


def _swap_tensor(module, name, tensor):
    """Put ``tensor`` (or, for _MISSING, nothing) at ``module.<name>``; return what was there (or _MISSING).

    A registered parameter or buffer is replaced in its registry, whatever the new value's type, so that a
    plain tensor can stand in for a Parameter; any other name is set as an attribute.
    """
    if tensor is not _MISSING and not isinstance(tensor, Tensor) and tensor is not None:
        raise TypeError(f"{tensor} is not an instance of torchless.Tensor")
    if "." in name:
        raise KeyError('tensor name can\'t contain "."')
    if name == "":
        raise KeyError('tensor name can\'t be empty string ""')
    for registry in (module._parameters, module._buffers):
        if name in registry:
            original = registry[name]
            if tensor is _MISSING:
                del registry[name]
            else:
                registry[name] = tensor
            return original
    original = getattr(module, name) if hasattr(module, name) else _MISSING
    if original is not _MISSING and not isinstance(original, Tensor) and original is not None:
        raise TypeError(f"attribute `{name}`: {original} is not an instance of torchless.Tensor")
    if tensor is not _MISSING:
        setattr(module, name, tensor)
    elif hasattr(module, name):
        delattr(module, name)
    return original


def _swap_tensors(module, named_tensors, memo):
    """Swap every dotted name of ``named_tensors`` in; the originals by name (all swapped back on an error)."""
    originals = {}
    try:
        for name, tensor in named_tensors.items():
            prefix, _, attr = name.rpartition(".")
            originals[name] = _swap_tensor(_submodule(module, prefix, memo), attr, tensor)
    except Exception:
        for name, original in originals.items():
            prefix, _, attr = name.rpartition(".")
            _swap_tensor(_submodule(module, prefix, memo), attr, original)
        raise
    return originals


def _untie_named_tensors_map(module, parameters_and_buffers):
    """``parameters_and_buffers`` plus, for each given name of a tensor the module holds under several names
    (tied weights), the same value under its other names; an error if tied names were given different values."""
    all_named_tensors = dict(module.named_parameters(remove_duplicate=False))
    all_named_tensors.update(module.named_buffers(remove_duplicate=False))
    names_of_tensor = {}
    for name, tensor in all_named_tensors.items():
        names_of_tensor.setdefault(id(tensor), set()).add(name)
    tied_names_map = {name: names for names in names_of_tensor.values() if len(names) > 1 for name in names}
    given_tied = {name for name in parameters_and_buffers.keys() if name in tied_names_map}
    for given_name in given_tied:
        tied_names = tied_names_map[given_name]
        # (PyTorch compares the values of all the tied names: a KeyError if one of them was not given)
        if len(tied_names & given_tied) > 1 and len({id(parameters_and_buffers[tied]) for tied in tied_names}) != 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(tied_names)}, which are tied. "
                             "Consider using tie_weights=False")
    untied = dict(parameters_and_buffers)
    for given_name in given_tied:
        for tied_name in tied_names_map[given_name]:
            untied[tied_name] = parameters_and_buffers[given_name]
    return untied


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers, tie_weights=False, strict=False):
    """Within the context, ``module``'s tensors at the dotted names of ``parameters_and_buffers`` are those
    values; afterwards the originals are back, and the dict holds what the module left at its names (so that
    in-place updates of buffers, like BatchNorm's running statistics, reach the caller's tensors)."""
    untied = _untie_named_tensors_map(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        valid = {name for name, _ in module.named_parameters(remove_duplicate=False)}
        valid |= {name for name, _ in module.named_buffers(remove_duplicate=False)}
        missing_keys, unexpected_keys = sorted(valid - set(untied)), sorted(set(untied) - valid)
        error_msgs = []
        if unexpected_keys:
            error_msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected_keys))}.")
        if missing_keys:
            error_msgs.append(f"Missing key(s): {', '.join(map(repr, missing_keys))}.")
        if error_msgs:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(module._get_name(),
                                                                                 "\n\t".join(error_msgs)))
    memo = {}
    originals = {}
    try:
        originals = _swap_tensors(module, untied, memo)
        yield
    finally:
        current = _swap_tensors(module, originals, memo)
        parameters_and_buffers.update({k: current[k] for k in parameters_and_buffers if k in current})


def _functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    from ... import jit  # only now: a jit module can only have come from there

    if jit.is_tracing() or jit.is_scripting() or isinstance(module, (jit.ScriptModule, jit.ScriptFunction)):
        raise RuntimeError("The stateless API can't be used with Jitted modules")
    from ..parallel import DataParallel

    if isinstance(module, DataParallel):
        raise RuntimeError("The stateless API can't be used with nn.DataParallel module")
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Call ``module`` with some of its parameters and buffers temporarily replaced by the given tensors.

    .. warning::
        Deprecated (a ``FutureWarning``, as in PyTorch 2.0): :func:`torchless.func.functional_call` is the
        drop-in replacement.

    Args:
        module (torchless.nn.Module): the module to call.
        parameters_and_buffers (dict of str and Tensor): replacement tensors by dotted name (``"0.weight"``);
            parameters and buffers not named keep their values.
        args (Any or tuple): positional arguments of the call; anything but a tuple is a single argument.
        kwargs (dict): keyword arguments of the call.
        tie_weights (bool, optional): if ``True``, names tied in ``module`` (one tensor under several names)
            stay tied: replacing one replaces them all, and different values for tied names are an error.
            Default: True.
        strict (bool, optional): if ``True``, the names given must be exactly all of the module's parameters
            and buffers. Default: False.

    Returns:
        Any: what ``module`` returns. In-place updates of buffers during the call (BatchNorm's running
        statistics) are made on the given tensors, not the module's.
    """
    warnings.warn("`torchless.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be "
                  "removed in a future version of PyTorch. Please use `torchless.func.functional_call` instead which "
                  "is a drop-in replacement.", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
