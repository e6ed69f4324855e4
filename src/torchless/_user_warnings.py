"""Warnings raised as PyTorch's C++ warnings are: pointing at the user's line, not at torchless's."""
import os
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def warn_from_user_code(message):
    """A UserWarning pointing at the first caller outside torchless (as PyTorch's C++ warnings do)."""
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)

