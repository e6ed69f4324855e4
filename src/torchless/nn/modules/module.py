"""Module: the base class of every layer and model, with PyTorch's registration, state and repr rules.

This file keeps the core of the class -- construction, the call that runs forward and its hooks, the registration
of parameters, buffers and submodules and the attribute access to them -- and the global hooks of every module
(``register_module_forward_hook``, ...). The rest of its methods are grouped by topic, one class a file, and copied
onto it as this file ends (the groups look the class up here, so they cannot be its bases): _module_hooks.py (its
own hooks), _module_state.py (state_dict, load_state_dict), _module_traversal.py (named_modules, named_parameters,
get_submodule, ...), _module_to.py (train/eval, apply, to and the dtype conversions), _module_repr.py (repr).
"""
import functools
import inspect
import warnings
import weakref
from collections import OrderedDict
from typing import Any, TypeVar

from ..._tensor import Tensor, typename
from ...utils.hooks import BackwardHook, RemovableHandle
from ..parameter import Buffer, Parameter

# What ``from torch.nn.modules.module import *`` gives (PyTorch's list)
__all__ = ["register_module_forward_pre_hook", "register_module_forward_hook", "register_module_full_backward_pre_hook",
           "register_module_backward_hook", "register_module_full_backward_hook",
           "register_module_buffer_registration_hook", "register_module_module_registration_hook",
           "register_module_parameter_registration_hook", "Module"]

# Backward hooks of every module (register_module_full_backward_hook and _pre_hook), run before each module's own.
_global_backward_hooks = OrderedDict()
_global_backward_pre_hooks = OrderedDict()
# Forward hooks and pre-hooks of every module (register_module_forward_hook / _pre_hook), run before each
# module's own; which forward hooks take kwargs and which run even when the call raises.
_global_forward_hooks = OrderedDict()
_global_forward_hooks_with_kwargs = OrderedDict()
_global_forward_hooks_always_called = OrderedDict()
_global_forward_pre_hooks = OrderedDict()
# Hooks that see (and may replace) every buffer, parameter and child module as a module registers it.
_global_buffer_registration_hooks = OrderedDict()
_global_parameter_registration_hooks = OrderedDict()
_global_module_registration_hooks = OrderedDict()
# Whether a backward hook or a global forward hook was ever registered: until then a call skips looking for them,
# which measured ~0.2 us of every layer's call.
_backward_hooks_used = False

# Which kind the global backward hooks are (True: full, False: the deprecated kind, None: none registered yet).
_global_is_full_backward_hook = None
_MIXED_GLOBAL_BACKWARD_HOOKS = ("Cannot use both regular backward hooks and full backward hooks as a global Module "
                                "hook. Please use only one of them.")


# Every module's hook registries, {handle id: hook} (the with_kwargs and always_called ones: {handle id: True}).
# In PyTorch's order of a module's instance dict (which vars(module) shows).
_HOOK_REGISTRIES = ("_backward_pre_hooks", "_backward_hooks", "_forward_hooks", "_forward_hooks_with_kwargs",
                    "_forward_hooks_always_called", "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs",
                    "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
                    "_load_state_dict_post_hooks")


class _WrappedHook:
    """A load_state_dict pre-hook as PyTorch keeps it: called with the module first if one is given, which it
    holds by a weak reference (no cycle through the module's own registry). PyTorch's class, as it pickles: a
    model saved whole with such hooks (any lazy layer) loads in either library."""

    def __init__(self, hook, module=None):
        self.hook = hook
        functools.update_wrapper(self, hook)
        self.with_module = False
        if module is not None:
            self.module = weakref.ref(module)
            self.with_module = True

    def __call__(self, *args, **kwargs):
        if self.with_module:
            module = self.module()
            if module is None:
                raise RuntimeError("You are trying to call the hook of a dead Module!")
            return self.hook(module, *args, **kwargs)
        return self.hook(*args, **kwargs)

    def __getstate__(self):
        state = {"hook": self.hook, "with_module": self.with_module}
        if self.with_module:
            state["module"] = self.module()
        return state

    def __setstate__(self, state):
        self.hook = state["hook"]
        self.with_module = state["with_module"]
        if self.with_module:
            if state["module"] is None:
                raise RuntimeError("You are trying to revive the hook of a dead Module!")
            self.module = weakref.ref(state["module"])


def _forward_unimplemented(self, *input):
    """Module.forward until a subclass defines it (PyTorch's function: its name and signature show in errors)."""
    raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')


class Module:
    """Base class for all neural network modules.

    Subclasses call ``super().__init__()``, assign layers and ``Parameter``s as attributes (they are
    registered automatically) and define ``forward``. Calling the module runs ``forward``.
    """

    training: bool
    # The state-dict format version of this class, saved in a state dict's _metadata (PyTorch's).
    _version = 1
    # PyTorch's class switches: whether Module.__init__ calls the next class's __init__ in the MRO, with the
    # arguments it was given (otherwise it refuses any), and the legacy flag for printing source changes when
    # unpickling.
    call_super_init = False
    dump_patches = False
    # the type variable of state_dict's destination, a class attribute in PyTorch (which dir lists)
    T_destination = TypeVar("T_destination", bound=dict[str, Any])

    def __init__(self, *args, **kwargs):
        """Initialize internal Module state, shared by both nn.Module and ScriptModule."""
        if not self.call_super_init:
            name = type(self).__name__
            if kwargs:
                raise TypeError(f"{name}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")
            if args:
                raise TypeError(f"{name}.__init__() takes 1 positional argument but {len(args) + 1} were given")
        d = self.__dict__
        d["training"] = True
        # plain dicts, as PyTorch's registries are now (print(model._modules) shows {...})
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        for name in _HOOK_REGISTRIES:
            d[name] = OrderedDict()
            if name == "_backward_hooks":
                d["_is_full_backward_hook"] = None  # which kind it holds: True full, False the deprecated kind
        d["_modules"] = {}
        if self.call_super_init:  # (cooperative multiple inheritance: a mixin after Module in the MRO)
            super().__init__(*args, **kwargs)

    forward = _forward_unimplemented

    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or (_backward_hooks_used and (
                self._backward_hooks or self._backward_pre_hooks or _global_backward_hooks
                or _global_backward_pre_hooks or _global_forward_hooks or _global_forward_pre_hooks))):
            return self.forward(*args, **kwargs)
        result = None
        always_called = set()  # the always_call hooks that have run
        try:
            for hook_id, hook in [*_global_forward_pre_hooks.items(), *self._forward_pre_hooks.items()]:
                if hook_id in self._forward_pre_hooks_with_kwargs:
                    replaced = hook(self, args, kwargs)
                    if replaced is not None:
                        if not (isinstance(replaced, tuple) and len(replaced) == 2):
                            raise RuntimeError("forward pre-hook must return None or a tuple of "
                                               f"(new_args, new_kwargs), but got {replaced}.")
                        args, kwargs = replaced
                else:
                    replaced = hook(self, args)
                    if replaced is not None:
                        args = replaced if isinstance(replaced, tuple) else (replaced,)
            backward_hooks = non_full_backward_hooks = ()
            if self._backward_hooks or _global_backward_hooks:  # (a forward-hooked call skips the lookup)
                backward_hooks, non_full_backward_hooks = self._get_backward_hooks()
            backward_pre_hooks = self._get_backward_pre_hooks()
            backward_hook = None
            if backward_hooks or backward_pre_hooks:
                backward_hook = BackwardHook(self, backward_hooks, backward_pre_hooks)
                args = backward_hook.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            for hook_id, hook in [*_global_forward_hooks.items(), *self._forward_hooks.items()]:
                if hook_id in self._forward_hooks_always_called or hook_id in _global_forward_hooks_always_called:
                    always_called.add(hook_id)
                replaced = self._call_forward_hook(hook_id, hook, args, kwargs, result)
                if replaced is not None:
                    result = replaced
            if backward_hook is not None:
                if not isinstance(result, (Tensor, tuple)):
                    warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple of "
                                  f"Tensors but received {type(result)}", stacklevel=2)
                result = backward_hook.setup_output_hook(result)
            if non_full_backward_hooks:
                self._register_non_full_backward_hooks(non_full_backward_hooks, args, result)
            return result
        except Exception:
            # As in PyTorch, hooks registered with always_call=True that have not run yet still run when a pre-hook,
            # forward or another hook raises (with the output so far, None if forward raised); their own errors
            # become warnings so that the original error propagates. The global ones run first, without kwargs.
            for hook_id, hook in list(_global_forward_hooks.items()):
                if hook_id in _global_forward_hooks_always_called and hook_id not in always_called:
                    try:
                        replaced = hook(self, args, result)
                        if replaced is not None:
                            result = replaced
                    except Exception as error:
                        warnings.warn("global module forward hook with ``always_call=True`` raised an exception that "
                                      f"was silenced as another error was raised in forward: {error}", stacklevel=2)
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called and hook_id not in always_called:
                    try:
                        replaced = self._call_forward_hook(hook_id, hook, args, kwargs, result)
                        if replaced is not None:
                            result = replaced
                    except Exception as error:
                        warnings.warn("module forward hook with ``always_call=True`` raised an exception that was "
                                      f"silenced as another error was raised in forward: {error}", stacklevel=2)
            raise

    # PyTorch's names of the call, which libraries call or wrap (its __call__ is _wrapped_call_impl, which runs
    # _call_impl or, once compiled, _compiled_call_impl): here all one.
    _call_impl = _wrapped_call_impl = __call__
    _compiled_call_impl = None

    def _get_backward_hooks(self):
        """(full backward hooks, hooks of the deprecated kind) to run for this module: the global ones first (of
        the kind register_module_full_backward_hook or register_module_backward_hook made them), then its own."""
        full, non_full = [], []
        for hooks, is_full in ((_global_backward_hooks, _global_is_full_backward_hook),
                               (self._backward_hooks, self._is_full_backward_hook)):
            if is_full is not None:
                (full if is_full else non_full).extend(hooks.values())
        return full, non_full

    def _get_backward_pre_hooks(self):
        """The full backward pre-hooks to run for this module: the global ones first, then its own."""
        return [*_global_backward_pre_hooks.values(), *self._backward_pre_hooks.values()]

    def _call_forward_hook(self, hook_id, hook, args, kwargs, result):
        if hook_id in self._forward_hooks_with_kwargs or hook_id in _global_forward_hooks_with_kwargs:
            return hook(self, args, kwargs, result)
        return hook(self, args, result)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{typename(value)}' as parameter '{name}' "
                                "(torchless.nn.Parameter or None expected)")
            self.register_parameter(name, None)
        elif isinstance(value, Module):
            if d.get("_modules") is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep="_modules")
            d["_modules"][name] = _registration_hooks(_global_module_registration_hooks, self, name, value)
        elif d.get("_modules") is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{typename(value)}' as child module '{name}' "
                                "(torchless.nn.Module or None expected)")
            d["_modules"][name] = _registration_hooks(_global_module_registration_hooks, self, name, None)
        elif isinstance(value, Buffer) or (d.get("_buffers") is not None and name in d["_buffers"]):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{typename(value)}' as buffer '{name}' "
                                "(torchless.nn.Buffer, torchless.Tensor or None expected)")
            persistent = value.persistent if isinstance(value, Buffer) else \
                name not in d["_non_persistent_buffers_set"]
            self._register_assigned_buffer(name, value, persistent)
        else:
            object.__setattr__(self, name, value)

    def _register_assigned_buffer(self, name, value, persistent):
        """register_buffer for an assignment, as PyTorch calls it: a subclass's register_buffer without a
        ``persistent`` argument (written before it existed) is called without one, and refuses a non-persistent
        buffer."""
        if getattr(self.register_buffer, "__func__", None) is not Module.register_buffer and \
                "persistent" not in inspect.signature(self.register_buffer).parameters:
            if not persistent:
                raise RuntimeError("Registering a non-persistent buffer on a Module subclass that implements "
                                   "register_buffer() without the persistent argument is not allowed.")
            self.register_buffer(name, value)
        else:
            self.register_buffer(name, value, persistent)

    def _forget(self, name, keep):
        """Remove ``name`` from the instance dict and every registry but ``keep`` (re-assignment keeps its place)."""
        d = self.__dict__
        d.pop(name, None)
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry != keep:
                d[registry].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name):
        # Every self.conv1 / self.weight of a forward lands here; the three registries are looked up
        # by hand rather than in a loop, which measured ~10% of this call's cost.
        d = self.__dict__
        params = d.get("_parameters")
        if params is not None and name in params:
            return params[name]
        buffers = d.get("_buffers")
        if buffers is not None and name in buffers:
            return buffers[name]
        modules = d.get("_modules")
        if modules is not None and name in modules:
            return modules[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for registry in ("_parameters", "_buffers", "_modules"):
            # (as attributes: a module whose __init__ skipped Module's gets PyTorch's AttributeError naming it)
            entries = getattr(self, registry)
            if name in entries:
                del entries[name]
                self._non_persistent_buffers_set.discard(name)
                return
        object.__delattr__(self, name)

    def __setstate__(self, state):
        # modules pickled by torchless before the set took PyTorch's name
        if "_non_persistent_buffers" in state:
            state["_non_persistent_buffers_set"] = state.pop("_non_persistent_buffers")
        self.__dict__.update(state)
        # as PyTorch: modules pickled by older versions (of either library) get the registries they lacked
        for name in _HOOK_REGISTRIES:
            self.__dict__.setdefault(name, OrderedDict())
        self.__dict__.setdefault("_non_persistent_buffers_set", set())
        self.__dict__.setdefault("_is_full_backward_hook", None)

    def __dir__(self):
        # PyTorch's list, duplicates and all, without the names no attribute syntax can reach (Sequential's "0")
        keys = [*dir(type(self)), *self.__dict__, *self._parameters, *self._modules, *self._buffers]
        return sorted(key for key in keys if not key[0].isdigit())

    def _check_name(self, name, kind, registry):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {typename(name)}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if hasattr(self, name) and name not in self.__dict__[registry]:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name, param):
        """Add a parameter (or None) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name(name, "parameter", "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{typename(param)}' object to parameter '{name}' "
                            "(torchless.nn.Parameter or None required)")
        if param is not None and param._grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created explicitly. "
                f"To express '{name}' as a function of another Tensor, compute the value in the forward() method."
            )
        if param is not None:
            param = _registration_hooks(_global_parameter_registration_hooks, self, name, param)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a tensor that is part of the state but not trained (e.g. BatchNorm's running mean)."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer", "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")  # PyTorch's words (no "torch." to rename)
        self._buffers[name] = _registration_hooks(_global_buffer_registration_hooks, self, name, tensor)
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add a child module under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = _registration_hooks(_global_module_registration_hooks, self, name, module)

    def register_module(self, name, module):
        """Alias for :meth:`add_module` (a method of its own, whose name PyTorch's errors give)."""
        self.add_module(name, module)

    def compile(self, *args, **kwargs):
        """Compile this module's forward in place (PyTorch's ``Module.compile``): torchless has no compiler, so
        calls run as they did (see :func:`torchless.compile`); the arguments are those of torchless.compile."""
        from ..._compile import compile as compile_function

        compile_function(self, *args, **kwargs)


def _registered(module, parameters, name):
    """``getattr(module, name)`` for a layer's own parameter, read from its registry ``parameters``
    directly: as an attribute it would first fail the instance lookup and then go through
    __getattr__, ~1 us per parameter of every batch-1 call. A parameter replaced by something
    else (a plain tensor after pruning, a parametrization's property) is looked up as usual."""
    return parameters[name] if name in parameters else getattr(module, name)


def register_module_full_backward_hook(hook):
    """Register a full backward hook (see :meth:`Module.register_full_backward_hook`) on every module, run
    before each module's own backward hooks.

    Returns:
        RemovableHandle: a handle whose ``remove()`` unregisters the hook.
    """
    _set_global_backward_hook_kind(True)
    return _add_global_hook(_global_backward_hooks, hook)


def register_module_backward_hook(hook):
    """Register a backward hook of the deprecated kind (see :meth:`Module.register_backward_hook`) on every module,
    run before each module's own; use :func:`register_module_full_backward_hook`.

    Returns:
        RemovableHandle: a handle whose ``remove()`` unregisters the hook.
    """
    _set_global_backward_hook_kind(False)
    return _add_global_hook(_global_backward_hooks, hook)


def _set_global_backward_hook_kind(full):
    """As PyTorch: the global backward hooks are all of one kind, fixed by the first registered (for good)."""
    global _global_is_full_backward_hook
    if _global_is_full_backward_hook is (not full):
        raise RuntimeError(_MIXED_GLOBAL_BACKWARD_HOOKS)
    _global_is_full_backward_hook = full


def register_module_full_backward_pre_hook(hook):
    """Register a backward pre-hook (see :meth:`Module.register_full_backward_pre_hook`) on every module, run
    before each module's own backward pre-hooks.

    Returns:
        RemovableHandle: a handle whose ``remove()`` unregisters the hook.
    """
    return _add_global_hook(_global_backward_pre_hooks, hook)


def note_backward_hooks():
    """From now on, every call looks for backward hooks and global forward hooks (see _backward_hooks_used)."""
    global _backward_hooks_used
    _backward_hooks_used = True


def _add_global_hook(registry, hook, extra_dict=None):
    note_backward_hooks()
    handle = RemovableHandle(registry, extra_dict=extra_dict)
    registry[handle.id] = hook
    return handle


def register_module_forward_pre_hook(hook):
    """Register a forward pre-hook (see :meth:`Module.register_forward_pre_hook`, without kwargs) on every module,
    run before each module's own.

    Returns:
        RemovableHandle: a handle whose ``remove()`` unregisters the hook.
    """
    return _add_global_hook(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, with_kwargs=False, always_call=False):
    """Register a forward hook (see :meth:`Module.register_forward_hook`) on every module, run before each
    module's own; ``with_kwargs`` and ``always_call`` as there.

    Returns:
        RemovableHandle: a handle whose ``remove()`` unregisters the hook.
    """
    handle = _add_global_hook(_global_forward_hooks, hook,
                              [_global_forward_hooks_always_called, _global_forward_hooks_with_kwargs])
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_buffer_registration_hook(hook):
    """Register ``hook(module, name, buffer)``, called whenever any module registers a buffer; a non-None result
    is registered instead.

    Returns:
        RemovableHandle: a handle whose ``remove()`` unregisters the hook.
    """
    return _add_registration_hook(_global_buffer_registration_hooks, hook)


def register_module_parameter_registration_hook(hook):
    """Register ``hook(module, name, param)``, called whenever any module registers a parameter (not None); a
    non-None result is registered instead.

    Returns:
        RemovableHandle: a handle whose ``remove()`` unregisters the hook.
    """
    return _add_registration_hook(_global_parameter_registration_hooks, hook)


def register_module_module_registration_hook(hook):
    """Register ``hook(module, name, submodule)``, called whenever any module registers a child module; a
    non-None result is registered instead.

    Returns:
        RemovableHandle: a handle whose ``remove()`` unregisters the hook.
    """
    return _add_registration_hook(_global_module_registration_hooks, hook)


def _add_registration_hook(registry, hook):
    handle = RemovableHandle(registry)
    registry[handle.id] = hook
    return handle


def _registration_hooks(registry, module, name, value):
    """``value`` as the global registration hooks in ``registry`` leave it (each may replace it)."""
    for hook in list(registry.values()):
        output = hook(module, name, value)
        if output is not None:
            value = output
    return value


# The groups of methods, and what PyTorch's torch.nn.modules.module namespace also holds.
from ... import _tensor_methods  # noqa: E402 - the groups look the class up in this module
from ._module_hooks import HookMethods  # noqa: E402
from ._module_repr import ReprMethods, addindent as _addindent  # noqa: E402, F401
from ._module_state import StateDictMethods, _IncompatibleKeys  # noqa: E402, F401
from ._module_to import ConversionMethods  # noqa: E402
from ._module_traversal import TraversalMethods  # noqa: E402

_tensor_methods.attach(Module, (TraversalMethods, ConversionMethods, StateDictMethods, HookMethods, ReprMethods),
                       rehome=True)
