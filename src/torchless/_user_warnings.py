"""Warnings raised as PyTorch's C++ warnings are: pointing at the user's line, not at torchless's."""
import os
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# The file name of overrides' wrappers that hand torch.* and F.* calls to __torch_function__: in the package, and
# skipped by warnings' stacklevel (see skipped_by_warnings)
DISPATCHING_FILENAME = os.path.join(_PACKAGE_DIR,
                                    "<dispatching wrapper, skipped by warnings as importlib._bootstrap frames are>")


def warn_from_user_code(message, category=UserWarning):
    """A UserWarning (or ``category``) pointing at the first caller outside torchless (as PyTorch's C++ warnings
    do)."""
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += frame is None or not skipped_by_warnings(frame)
    warnings.warn(message, category, stacklevel=level)


def skipped_by_warnings(frame):
    """Whether warnings' stacklevel steps over ``frame`` (CPython's rule for the import machinery's frames, which
    the __torch_function__ wrappers of overrides borrow)."""
    filename = frame.f_code.co_filename
    return "importlib" in filename and "_bootstrap" in filename


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
