"""Which public torchless function the user's code called, read from the interpreter's frames.

PyTorch names the function a misuse went through (``Attempted to use an uninitialized parameter in <function
uniform_ ...>``) because every public function dispatches through ``__torch_function__``. torchless has no such
dispatch, so on the error path it walks the frames instead: from the frame that touched the tensor outwards, as
long as the frames run torchless code, the outermost one that runs a public function or a ``Tensor`` method is
the one the user called (frames of a layer's ``forward`` or of private helpers are passed over).
"""
import inspect
import sys

# Where public functions live; looked up in sys.modules when needed, so nothing here is imported early.
_PUBLIC_NAMESPACES = ("torchless", "torchless.nn.functional", "torchless.nn.init", "torchless.nn.utils")


def _levels(function):
    """(function, f) for ``function`` and each function it decorates: a decorated functional runs its wrappers'
    code, then its own."""
    level = function
    while level is not None:
        yield function, level
        level = getattr(level, "__wrapped__", None)


def _public_functions():
    """Code object -> [(public function, the function of its decorator chain that runs that code)]."""
    from ._tensor import Tensor

    namespaces = [vars(Tensor)] + [vars(sys.modules[name]) for name in _PUBLIC_NAMESPACES if name in sys.modules]
    by_code = {}
    for namespace in namespaces:
        for name, function in namespace.items():
            if inspect.isfunction(function) and not (name.startswith("_") and not name.startswith("__")):
                for pair in _levels(function):
                    by_code.setdefault(pair[1].__code__, []).append(pair)
    return by_code


def _candidates(frame, by_code):
    yield from by_code.get(frame.f_code, ())
    for name in _PUBLIC_NAMESPACES:  # and the functions a module provides on first access (torchless.save)
        function = getattr(sys.modules.get(name), frame.f_code.co_name, None)
        if inspect.isfunction(function):
            yield from _levels(function)


def _runs_torchless(frame):
    module = frame.f_globals.get("__name__", "")
    # (pickle's pure-Python pickler runs between torchless.save and the reducers it gives it)
    return module == "torchless" or module.startswith("torchless.") or module == "pickle"


def _is_running(frame, level):
    """Whether ``frame`` runs ``level`` rather than another closure made from the same code (``F.conv1d`` and
    ``F.conv2d`` share their wrapper's code, not its closure)."""
    cells = level.__closure__ or ()
    variables = frame.f_locals if cells else {}
    return all(variables.get(name) is cell.cell_contents for name, cell in zip(level.__code__.co_freevars, cells))


def entry_point(frame):
    """The public torchless function (or Tensor method) that code outside torchless called and that is running
    ``frame``, or None when ``frame`` is not torchless code or no public function is on the way."""
    called, by_code = None, None
    while frame is not None and _runs_torchless(frame):
        by_code = by_code or _public_functions()
        for function, level in _candidates(frame, by_code):
            if level.__code__ is frame.f_code and _is_running(frame, level):
                called = function
                break
        frame = frame.f_back
    return called


def describe(function):
    """``<function uniform_>``, ``<function Tensor.dim>``: how an error names a function."""
    name = function.__qualname__ if "<locals>" not in function.__qualname__ else function.__name__
    return f"<function {name}>"
