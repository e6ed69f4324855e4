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


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode):
    """PyTorch's debug mode for non-deterministic operations: 0 / "default" (allowed), 1 / "warn", 2 / "error";
    the same switch as use_deterministic_algorithms."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    """0, 1 or 2, as set by set_deterministic_debug_mode (or use_deterministic_algorithms)."""
    return 0 if not _deterministic else 1 if _warn_only else 2
