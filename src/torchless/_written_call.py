"""How a failing call of a Tensor method or torchless function was written: which arguments its caller passed by
keyword, how many by position.

PyTorch's parser sees the call as written, so its TypeErrors say "argument 'keepdim' (position 2)" for
``x.sum(0, 1)`` but no position for ``x.sum(0, keepdim=1)``, and list "got (int, int)" or "got (int, keepdim=int)".
A Python method only sees the values bound to its parameters, and parsing every call would cost every call. So the
call is read back only once it has failed: from the frames of the wrappers that hold its ``args`` and ``kwargs``
(NumPy's names for the methods taking ``dim``, the function forms), or from the caller's bytecode, whose keyword
calls name their keywords before the CALL (CPython 3.11 to 3.13). Where neither tells (a call with ``*args`` or
``**kwargs``, a call made by torchless itself), the callers keep their own reading of the arguments.
"""
import collections
import dis
import functools
import os
import sys

from ._user_warnings import DISPATCHING_FILENAME  # (the functions' __torch_function__ wrappers)

_HERE = os.path.dirname(os.path.abspath(__file__))
_PACKAGE = _HERE + os.sep
_FUNCTIONS = os.path.join(_HERE, "_functions.py")
# (and the check of self of a method taken from the class, Tensor.view(x, ...): _unbound)
_UNBOUND = os.path.join(_HERE, "_unbound.py")
_WRAPPERS = frozenset(os.path.join(_HERE, file) for file in ("_functions.py", "_out_argument.py", "_numpy_names.py",
                                                            "_unbound.py")) | {DISPATCHING_FILENAME}
_PASSING_ON = frozenset((_UNBOUND, DISPATCHING_FILENAME))


def _unless_unreadable(read):
    """``read``, answering None where the frames are not as it expects (it runs while a TypeError is being built:
    never raise another error instead)."""
    @functools.wraps(read)
    def reading(*args):
        try:
            return read(*args)
        except Exception:  # noqa: BLE001
            return None

    return reading


@_unless_unreadable
def method_call(name, self_type):
    """How the failing call of the method ``name`` of a ``self_type`` instance on the stack was written, or None
    where it cannot be read: (keywords, positional, input), the names passed by keyword, how many arguments came by
    position after self, and the input of the torchless function form it came through (whose positions count the
    input too), else None."""
    from ._functions import FUNCTION_FORM_CODES
    from ._numpy_names import RENAMING_CODE

    frame = sys._getframe(1)
    while frame is not None and not (frame.f_code.co_name == name and
                                     isinstance(frame.f_locals.get("self"), self_type)):
        frame = frame.f_back
    caller = frame.f_back if frame is not None else None
    if caller is None or caller.f_code is not RENAMING_CODE:
        return None
    written, caller = caller.f_locals, caller.f_back
    if caller is not None and caller.f_code.co_filename == _UNBOUND:
        caller = caller.f_back
    if caller is not None and caller.f_code in FUNCTION_FORM_CODES:
        function_form = caller.f_locals
        return tuple(function_form["kwargs"]), len(function_form["args"]), function_form["input"]
    if caller is None or caller.f_code.co_filename.startswith(_PACKAGE):  # a call of torchless's own
        return None
    return tuple(written["kwargs"]), len(written["args"]) - 1, None


def _call_keywords(frame):
    """(keyword names, number of arguments) of the call ``frame`` is executing, from its bytecode (CPython 3.11 to
    3.13: a keyword call puts its names before the CALL), or None where it cannot be read (``f(*args, **kwargs)``)."""
    code, previous, current = frame.f_code, None, None
    for instruction in dis.get_instructions(code):
        if instruction.offset > frame.f_lasti:
            break
        if instruction.opname not in ("CACHE", "PRECALL"):
            previous, current = current, instruction
    if current is None or current.arg is None:
        return None
    if current.opname == "CALL":  # 3.11, 3.12: KW_NAMES gives the index of the names in co_consts
        names = code.co_consts[previous.arg] if previous is not None and previous.opname == "KW_NAMES" else ()
        return names, current.arg
    if current.opname == "CALL_KW" and previous is not None and previous.opname == "LOAD_CONST":  # 3.13
        return previous.argval, current.arg
    return None



@_unless_unreadable
def written_keywords():
    """The keyword names, in their order, of the user's call that torchless is running (its outermost frame's), or
    None where that cannot be read."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    written = _call_keywords(frame)
    return None if written is None else written[0]


def in_written_order(keywords):
    """``keywords`` ({name: value}, read back from a failing call's parameters) in the order the user's call wrote
    them, where it can be read and names them all (PyTorch's messages list unknown keywords by that order)."""
    written = written_keywords()
    order = [name for name in written or () if name in keywords]
    return {name: keywords[name] for name in order} if len(order) == len(keywords) else keywords


def is_users_call(frame):
    """Whether the function running in ``frame`` was called by the user (its caller is no code of torchless's)."""
    return frame.f_back is not None and is_user_code(frame.f_back)


def is_user_code(frame):
    """Whether ``frame`` runs the user's code: no code of torchless's but the check of self of a method taken from
    the class (``Tensor.view(x, ...)``) and a function's __torch_function__ wrapper, which pass the user's call on as
    written."""
    while frame is not None and frame.f_code.co_filename in _PASSING_ON:
        frame = frame.f_back
    return frame is not None and not frame.f_code.co_filename.startswith(_PACKAGE)


@_unless_unreadable
def user_call(name):
    """How the user wrote the failing call of the op ``name`` (a Tensor method or a torchless function): (keywords,
    positional, function_form), the names given by keyword and the number of arguments given by position (after
    self, or after the input of a function form), or None where that cannot be read (a call with ``*args`` or
    ``**kwargs``, a call made by torchless itself)."""
    frame, chain = sys._getframe(1), []
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        chain.append(frame)
        frame = frame.f_back
    wrappers = len(chain)
    while wrappers and chain[wrappers - 1].f_code.co_filename in _WRAPPERS:
        wrappers -= 1
    # the op must be what the user called: nothing but its wrappers (function form, out=, NumPy's names) above it,
    # or a function form's checks, by themselves
    op = next((i for i in reversed(range(len(chain))) if chain[i].f_code.co_name == name), wrappers)
    if frame is None or op < wrappers - 1 or op == len(chain):
        return None
    method = _is_method(chain[op])
    function_form = any(f.f_code.co_filename == _FUNCTIONS for f in chain[op + 1:])
    code = chain[op].f_code
    params = code.co_varnames[:code.co_argcount]
    written = _call_keywords(frame)
    if written is not None:
        keywords, count = written
        unbound = any(f.f_code.co_filename == _UNBOUND for f in chain[op + 1:])  # (self counted among the arguments)
        return Written(keywords, count - len(keywords) - function_form - unbound, function_form, method, params)
    # f(*args, **kwargs): the call as the outermost wrapper holding it has it
    from ._functions import FUNCTION_FORM_CODES
    from ._numpy_names import RENAMING_CODE

    for wrapper in reversed(chain[op + 1:]):
        if wrapper.f_code is RENAMING_CODE or wrapper.f_code in FUNCTION_FORM_CODES:
            call = wrapper.f_locals
            positional = len(call["args"]) - (wrapper.f_code is RENAMING_CODE)  # (less self, or the input)
            return Written(tuple(call["kwargs"]), positional, function_form, method, params)
    return None


def _is_method(frame):
    from ._tensor import Tensor

    return isinstance(frame.f_locals.get("self"), Tensor)


# How a call was written: ``method``: the op is a Tensor method (reached through the function form, its positions
# are one short of the function's); ``params``: the names of its positional parameters, self or input first
Written = collections.namedtuple("Written", "keywords positional function_form method params")
