"""NumPy's keyword names for PyTorch's arguments: ``x.sum(axis=1, keepdims=True)``, ``y_hat.argmax(axis=1)``,
``torchless.cat(ts, axis=1)``.

PyTorch's argument parser, which every natively bound function and Tensor method goes through, takes a keyword
argument under NumPy's name where the schema has PyTorch's: ``axis`` for ``dim``, ``keepdims`` for ``keepdim``,
``x``, ``a`` or ``x1`` for ``input`` and ``x2`` for ``other``. Teaching code leans on it (Dive into Deep
Learning's ``argmax(y_hat, axis=1)``, ``X.sum(axis=0, keepdims=True)``). What PyTorch writes in Python (split,
norm, unique, unflatten, tensordot, ...) takes only its own names, so those are left alone here.

A wrapper renames a NumPy name only when the PyTorch name is given neither as a keyword nor in its position, and
the callable takes it (a parameter of that name, or ``**kwargs`` that it parses itself); given both ways, the
call fails as PyTorch's does, naming the NumPy keyword as unexpected (or, for a method whose failures are parsed,
with the parser's message for the keywords as written). Methods take the ``dim``/``keepdim`` spellings only:
renaming ``x2`` would put a wrapper on every binary method for a spelling nobody writes there.
"""
import functools
import inspect
import sys

from ._written_call import is_user_code


_METHOD_ALIASES = {"axis": "dim", "keepdims": "keepdim"}
_FUNCTION_ALIASES = dict(_METHOD_ALIASES, x="input", a="input", x1="input", x2="other")

# Written in Python in PyTorch (torch._tensor, torch.functional): no NumPy names there. (torch.unflatten and
# torch.istft are native, their methods are not.)
_PYTHON_METHODS = frozenset("split norm unique unique_consecutive unflatten stft istft lu".split())
_PYTHON_FUNCTIONS = frozenset("split norm unique unique_consecutive stft lu tensordot einsum cdist meshgrid "
                              "cartesian_prod block_diag broadcast_tensors chain_matmul unravel_index atleast_1d "
                              "atleast_2d atleast_3d compile".split())


def _accepted(function, aliases, skip_self):
    """{NumPy name: (PyTorch name, its position or None)} for the PyTorch names ``function`` takes."""
    # read off the code object rather than inspect.signature: this runs for every method at import
    inner = inspect.unwrap(function)
    code = getattr(inner, "__code__", None)
    if code is None:
        return {}
    positional = code.co_varnames[skip_self:code.co_argcount]
    named = set(code.co_varnames[skip_self:code.co_argcount + code.co_kwonlyargcount])
    by_kwargs = bool(code.co_flags & inspect.CO_VARKEYWORDS)
    accepted = {}
    for alias, name in aliases.items():
        if name in named or by_kwargs:
            position = positional.index(name) + skip_self if name in positional else None
            accepted[alias] = (name, position)
    return accepted


def _renaming(name, function, accepted, binding_error=None, failure_parse=None):
    """``binding_error(name, args, kwargs, error)``: the TypeError to raise instead of Python's own for a call
    ``function`` cannot take (missing or extra arguments), as PyTorch's parser words it; None keeps Python's.
    ``failure_parse(name, args, kwargs)``: for a call the user wrote that failed in ``function``, (the parser's
    TypeError where PyTorch's parser refuses the call, before anything else is checked; the arguments by keyword
    where only a deprecated overload of PyTorch's takes it, to call ``function`` with), each None otherwise."""
    aliases = frozenset(accepted)

    @functools.wraps(function)
    def call(*args, **kwargs):
        written = kwargs
        try:
            if kwargs and not aliases.isdisjoint(kwargs):
                kwargs = _renamed(name, args, kwargs, accepted)
            return function(*args, **kwargs)
        except Exception as error:  # (free unless raised: the common call pays nothing)
            # (torchless's own calls, a function form's too, are not parsed: their arguments are not the user's;
            # the keywords are parsed as written, as PyTorch's parser names a NumPy one it cannot place)
            if failure_parse is not None and is_user_code(sys._getframe(1)):
                parsed, rebound = failure_parse(name, args[1:], written)
                if parsed is not None:
                    raise parsed from None
                if rebound is not None:  # a deprecated overload's call, which PyTorch still takes
                    return function(args[0], **rebound)
            if isinstance(error, TypeError) and binding_error is not None and error.__traceback__.tb_next is None:
                raise binding_error(name, args[1:], kwargs, error) from None
            raise

    return call


# The code of the wrappers, whose frames show how a failing call was written (see _written_call)
RENAMING_CODE = _renaming("", None, {}).__code__


def _renamed(function_name, args, kwargs, accepted):
    renamed = {}
    for key, value in kwargs.items():
        if key in accepted:
            name, position = accepted[key]
            if name in kwargs or name in renamed or (position is not None and len(args) > position):
                # the parser has matched the PyTorch name already: the NumPy one is left over
                raise TypeError(f"{function_name}() got an unexpected keyword argument '{key}'")
            key = name
        renamed[key] = value
    return renamed


def install_methods(cls, binding_error=None, failure_parse=None, parsed_on_failure=frozenset(),
                    parsed_when_wrapped=frozenset()):
    """Wrap the methods of ``cls`` taking ``dim``/``keepdim``, and those marked ``parser_arity`` (whose wrong
    arguments ``binding_error`` words as PyTorch's parser does, for all of them). Those marked ``own_keywords``
    parse their ``**kwargs`` themselves and take no NumPy name (view, reshape: no dim in PyTorch either). Those
    named in ``parsed_on_failure``, and those in ``parsed_when_wrapped`` that are wrapped for the reasons above,
    have a failing call parsed by ``failure_parse`` (see _renaming)."""
    for name, value in list(vars(cls).items()):
        if name.startswith("_") or name in _PYTHON_METHODS or not inspect.isfunction(value):
            continue
        accepted = {} if getattr(value, "own_keywords", False) else _accepted(value, _METHOD_ALIASES, skip_self=True)
        arity = getattr(value, "parser_arity", False)
        parsed = name in parsed_on_failure or (name in parsed_when_wrapped and bool(accepted or arity))
        if accepted or parsed or arity:
            setattr(cls, name, _renaming(name, value, accepted, binding_error, failure_parse if parsed else None))


def install_functions(namespace, prefix=""):
    """Wrap the public functions of ``namespace`` (a module's globals) taking PyTorch names that NumPy's stand for;
    ``prefix``: that of the names PyTorch's parser gives them in its messages (``fft_`` for torch.fft's)."""
    for name, value in list(namespace.items()):
        if name.startswith("_") or name in _PYTHON_FUNCTIONS or not inspect.isfunction(value):
            continue
        accepted = _accepted(value, _FUNCTION_ALIASES, skip_self=False)
        if accepted:
            namespace[name] = _renaming(prefix + name, value, accepted)
