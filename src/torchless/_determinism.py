"""``torch.use_deterministic_algorithms``: the switch is kept, and every torchless kernel is deterministic anyway.

Results depend only on the inputs, shapes and thread count, never on timing (see ``_kernels/parallel.py``),
so there is no non-deterministic algorithm to refuse or warn about.
"""
_deterministic = False
_warn_only = False


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Ask for deterministic algorithms (``mode``), as PyTorch; torchless's always are."""
    global _deterministic, _warn_only
    for name, value, where in (("mode", mode, " (position 1)"), ("warn_only", warn_only, "")):
        if type(value) is not bool:
            from .nn._functional._args import _tp_name
            raise TypeError(f"_set_deterministic_algorithms(): argument '{name}'{where} must be bool, "
                            f"not {_tp_name(value)}")
    _deterministic, _warn_only = mode, warn_only


def are_deterministic_algorithms_enabled():
    return _deterministic


def is_deterministic_algorithms_warn_only_enabled():
    return _warn_only
