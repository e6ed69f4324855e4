"""Scripted and traced modules: copies of a module tree that share its parameters and buffers and run its forward.

PyTorch's ``torch.jit.script(model)`` compiles ``forward`` into TorchScript and returns a new tree of
``RecursiveScriptModule``s, one per submodule, holding the same parameter and buffer tensors; the copies have
their own ``training`` flags and hooks. Here each copy is an instance of a class derived from both
RecursiveScriptModule and the module's own class, so the original Python methods run on the copy's attributes.
"""
import copy as copy_module
import functools
import inspect
import warnings

from ..nn.modules.module import Module

_MODULE_STATE = ("_parameters", "_buffers", "_modules")


class ScriptModule(Module):
    """Base class of scripted and traced modules."""

    def save(self, f, _extra_files=None):
        """Write this module to ``f`` (a path or a binary file object), for :func:`torchless.jit.load`."""
        from ._serialization import write

        write(self, f, _extra_files)

    def save_to_buffer(self, _extra_files=None):
        import io

        buffer = io.BytesIO()
        self.save(buffer, _extra_files)
        return buffer.getvalue()

    @property
    def code(self):
        """The Python source of ``forward`` (PyTorch shows the TorchScript it compiled)."""
        return inspect.getsource(self._original_class.forward)

    @property
    def original_name(self):
        return self._original_class.__name__

    def _original(self):
        """A module of the original classes, with this tree's parameters, buffers and training flags."""
        original = self._original_class.__new__(self._original_class)
        original.__dict__.update(self.__dict__)
        original.__dict__["_modules"] = {name: child._original() if isinstance(child, ScriptModule) else child
                                         for name, child in self._modules.items()}
        return original


class RecursiveScriptModule(ScriptModule):
    """What :func:`script` returns for a module (and makes of each submodule)."""

    def _get_name(self):
        return "RecursiveScriptModule"

    def extra_repr(self):
        return f"original_name={self.original_name}"


class TopLevelTracedModule(ScriptModule):
    """What :func:`trace` returns for a module; it prints under the module's own name, as PyTorch's does."""

    def _get_name(self):
        return self.original_name

    def extra_repr(self):
        return f"original_name={self.original_name}"


class _TracedSubmodule(TopLevelTracedModule):
    pass


@functools.lru_cache(maxsize=None)
def _derived_class(kind, cls):
    """``kind`` (a ScriptModule class) combined with the module class ``cls``, whose methods it runs."""
    return type(kind.__name__, (kind, cls), {"_original_class": cls, "__module__": kind.__module__})


def _copy_tree(module, kind, child_kind):
    """A copy of ``module`` of class ``kind`` + its class, sharing its tensors, with copies of its submodules."""
    if isinstance(module, ScriptModule):
        return module
    copy = _derived_class(kind, type(module)).__new__(_derived_class(kind, type(module)))
    state = {key: (copy_module.copy(value) if isinstance(value, dict) else value) for key, value in module.__dict__.items()}
    state["_modules"] = {name: None if child is None else _copy_tree(child, child_kind, child_kind)
                         for name, child in module._modules.items()}
    copy.__dict__.update(state)
    return copy


class ScriptFunction:
    """What :func:`script` and :func:`trace` return for a function: it calls the function."""

    def __init__(self, function):
        functools.update_wrapper(self, function)
        self._function = function

    def __call__(self, *args, **kwargs):
        return self._function(*args, **kwargs)

    @property
    def code(self):
        return inspect.getsource(self._function)


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """A scripted form of the module or function ``obj``: for a module, a RecursiveScriptModule tree sharing
    its parameters and buffers (with training flags of its own), running the module's Python ``forward``."""
    deprecated("script")
    if isinstance(obj, Module):
        return _copy_tree(obj, RecursiveScriptModule, RecursiveScriptModule)
    if isinstance(obj, ScriptFunction) or isinstance(obj, type):
        return obj
    if callable(obj):
        return ScriptFunction(obj)
    raise RuntimeError(f"Type '{type(obj)}' cannot be compiled since it inherits from nn.Module, pass an instance "
                       "instead")


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-05,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None, example_kwarg_inputs=None,
          _store_inputs=True):
    """A traced form of ``func`` (a module or a function), after running it once on ``example_inputs`` (a tensor
    or a tuple of them), as PyTorch's tracer does. The result runs the Python code again on each call rather
    than replaying the recorded operations, so data-dependent control flow is not frozen."""
    deprecated("trace")
    if example_inputs is None and example_kwarg_inputs is None:
        raise RuntimeError("example_kwarg_inputs or example_inputs should be given for tracing")
    args = example_inputs if isinstance(example_inputs, tuple) else (() if example_inputs is None else
                                                                     (example_inputs,))
    func(*args, **(example_kwarg_inputs or {}))
    if isinstance(func, Module):
        return _copy_tree(func, TopLevelTracedModule, _TracedSubmodule)
    return ScriptFunction(func)


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    """``mod`` itself (PyTorch inlines its parameters as constants; here there is nothing to inline)."""
    if not isinstance(mod, ScriptModule):
        raise RuntimeError("Freezing expects a ScriptModule as input. Please use torch.jit.script or "
                           "torch.jit.trace to script your 'nn.Module'.")
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. Please call .eval() on "
                           "your module before freezing.")
    return mod


def optimize_for_inference(mod, other_methods=None):
    """``mod`` frozen (see :func:`freeze`); a module in training mode is put in eval mode first, as PyTorch does."""
    if not isinstance(mod, ScriptModule):
        raise RuntimeError("optimize_for_inference expects a ScriptModule as input. Please use torch.jit.script or "
                           "torch.jit.trace to script your 'nn.Module'.")
    if mod.training:
        mod = mod.eval()
    return freeze(mod)


def deprecated(name, replacement="`torch.compile` or `torch.export`"):
    """PyTorch 2.13's warning on each use of its TorchScript entry points, attributed as PyTorch's is to the library
    (so that the default filters, which show DeprecationWarnings of ``__main__`` only, hide it from scripts)."""
    warnings.warn(f"`torch.jit.{name}` is deprecated. Please switch to {replacement}.", DeprecationWarning)


def _identity_decorator(fn=None, **_options):
    """PyTorch's compiler directives (``@torch.jit.ignore``, ``@torch.jit.unused``, ...): nothing to direct here."""
    if fn is None:
        return lambda f: f
    return fn


ignore = unused = export = interface = _identity_decorator


def is_scripting():
    """False: code never runs inside a TorchScript compiler here."""
    return False


def is_tracing():
    """False: tracing runs the Python code as it is."""
    return False


def annotate(the_type, the_value):
    """``the_value`` (a type hint for the TorchScript compiler)."""
    return the_value
