"""``torch.use_deterministic_algorithms``: the switch is kept, and every torchless kernel is deterministic anyway.

Results depend only on the inputs, shapes and thread count, never on timing (see ``_kernels/parallel.py``),
so there is no non-deterministic algorithm to refuse or warn about. What the switch does change, as in PyTorch,
is uninitialised memory (``empty``, ``new_empty``, what ``resize_`` adds): while it is on, and
``torch.utils.deterministic.fill_uninitialized_memory`` (default True), such memory is filled with NaN (floating
and complex) or the dtype's largest value (integers, True for bool), so that a program reading it by mistake
shows it; otherwise torchless's is zeros.
"""
import numpy as np

_deterministic = False
_warn_only = False
_fill_uninitialized_memory = True


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


def fill_uninitialized(array):
    """``array``, new memory no one has written yet, filled as PyTorch fills it in deterministic mode (see the
    module's docstring); left as it is otherwise."""
    if _deterministic and _fill_uninitialized_memory and array.size:
        kind = array.dtype.kind
        array.fill(np.nan if kind in "fc" else True if kind == "b" else np.iinfo(array.dtype).max)
    return array


def get_fill_uninitialized_memory():
    return _fill_uninitialized_memory


def set_fill_uninitialized_memory(mode):
    global _fill_uninitialized_memory
    if type(mode) is not bool:
        raise RuntimeError(f"expected a bool, but got {type(mode).__name__}")
    _fill_uninitialized_memory = mode
