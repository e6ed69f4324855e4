"""Warnings raised as PyTorch's C++ warnings are: pointing at the user's line, not at torchless's."""
import os
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def warn_from_user_code(message, category=UserWarning):
    """A UserWarning (or ``category``) pointing at the first caller outside torchless (as PyTorch's C++ warnings
    do)."""
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


_spent_once = set()


def warns_once(key):
    """Whether PyTorch's TORCH_WARN_ONCE named ``key`` warns now: the first time in the process (whatever the warning
    filters say), and at every call under ``set_warn_always(True)``, which leaves that first time unspent."""
    from ._info import is_warn_always_enabled

    if is_warn_always_enabled():
        return True
    if key in _spent_once:
        return False
    _spent_once.add(key)
    return True
