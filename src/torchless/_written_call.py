"""How a failing call of a Tensor method was written: which arguments its caller passed by keyword.

PyTorch's parser sees the call as written, so its TypeErrors say "argument 'keepdim' (position 2)" for
``x.sum(0, 1)`` but no position for ``x.sum(0, keepdim=1)``, and list "got (int, int)" or "got (int, keepdim=int)".
A Python method only sees the values bound to its parameters, and parsing every call would cost every call. The
methods taking ``dim`` are called through the wrapper that takes NumPy's names for it (_numpy_names), and function
forms through their own wrapper: both hold the call's ``args`` and ``kwargs``, which are read from their frames
once a call has already failed.
"""
import os
import sys

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def method_call(name, self_type):
    """How the failing call of the method ``name`` of a ``self_type`` instance on the stack was written, or None
    where it cannot be read: (keywords, positional, input), the names passed by keyword, how many arguments came by
    position after self, and the input of the torchless function form it came through (whose positions count the
    input too), else None."""
    from ._functions import FUNCTION_FORM_CODE
    from ._numpy_names import RENAMING_CODE

    frame = sys._getframe(1)
    while frame is not None and not (frame.f_code.co_name == name and
                                     isinstance(frame.f_locals.get("self"), self_type)):
        frame = frame.f_back
    caller = frame.f_back if frame is not None else None
    if caller is None or caller.f_code is not RENAMING_CODE:
        return None
    written, caller = caller.f_locals, caller.f_back
    if caller is not None and caller.f_code is FUNCTION_FORM_CODE:
        function_form = caller.f_locals
        return tuple(function_form["kwargs"]), len(function_form["args"]), function_form["input"]
    if caller is None or caller.f_code.co_filename.startswith(_PACKAGE):  # a call of torchless's own
        return None
    return tuple(written["kwargs"]), len(written["args"]) - 1, None
