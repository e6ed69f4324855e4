"""Module: the base class of every layer and model, with PyTorch's registration, state and repr rules."""
import functools
import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from ..._tensor import Tensor, typename
from ...autograd import grad_mode
from ...utils.hooks import BackwardHook, RemovableHandle
from ..parameter import Buffer, Parameter, is_lazy

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

# The state_dict key of a module's get_extra_state(), and PyTorch's error of the base class's methods.
_EXTRA_STATE_KEY = "_extra_state"
_UNREACHABLE = ("Reached a code path in Module.{}() that should never be called. Please file an issue at "
                "https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to report this bug.")


def _addindent(text, spaces):
    first, *rest = text.split("\n")
    if not rest:
        return text
    return first + "\n" + "\n".join(" " * spaces + line for line in rest)


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"

    __str__ = __repr__


class Module:
    """Base class for all neural network modules.

    Subclasses call ``super().__init__()``, assign layers and ``Parameter``s as attributes (they are
    registered automatically) and define ``forward``. Calling the module runs ``forward``.
    """

    training: bool
    # The state-dict format version of this class, saved in a state dict's _metadata (PyTorch's).
    _version = 1
    # PyTorch's class switches: whether Module.__init__ passes extra arguments on to the next class in the MRO
    # (never, here: it refuses them), and the legacy flag for printing source changes when unpickling.
    call_super_init = False
    dump_patches = False

    def __init__(self, *args, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")
        if args:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but {len(args) + 1} were given")
        d = self.__dict__
        d["training"] = True
        # plain dicts, as PyTorch's registries are now (print(model._modules) shows {...})
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        d["_forward_hooks"] = OrderedDict()
        d["_forward_hooks_with_kwargs"] = OrderedDict()
        d["_forward_hooks_always_called"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()
        d["_load_state_dict_pre_hooks"] = OrderedDict()
        d["_load_state_dict_post_hooks"] = OrderedDict()
        d["_state_dict_pre_hooks"] = OrderedDict()
        d["_state_dict_hooks"] = OrderedDict()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

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
            backward_hooks = [*_global_backward_hooks.values(), *self._backward_hooks.values()]
            backward_pre_hooks = [*_global_backward_pre_hooks.values(), *self._backward_pre_hooks.values()]
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
            params[name] = None
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
            self.register_buffer(name, value, persistent)
        else:
            object.__setattr__(self, name, value)

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
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in d[registry]:
                del d[registry][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __setstate__(self, state):
        # modules pickled by torchless before the set took PyTorch's name
        if "_non_persistent_buffers" in state:
            state["_non_persistent_buffers_set"] = state.pop("_non_persistent_buffers")
        self.__dict__.update(state)

    def __dir__(self):
        return sorted(set(object.__dir__(self)) | set(self._parameters) | set(self._buffers) | set(self._modules))

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
        if param is not None and param.grad_fn is not None:
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
                            "(torchless Tensor or None required)")
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

    register_module = add_module

    def get_submodule(self, target):
        """The submodule at the dotted path ``target`` ("" is this module); PyTorch's AttributeError for a
        missing name, or for one naming an attribute that is not a module (``"fc.weight"``)."""
        module = self
        for part in target.split(".") if target else ():
            if not hasattr(module, part):
                raise AttributeError(f"{module._get_name()} has no attribute `{part}`")
            module = getattr(module, part)
            if not isinstance(module, Module):
                raise AttributeError(f"`{part}` is not an nn.Module")
        return module

    def compile(self, *args, **kwargs):
        """Compile this module's forward in place (PyTorch's ``Module.compile``): torchless has no compiler, so
        calls run as they did (see :func:`torchless.compile`); the arguments are those of torchless.compile."""
        from ..._compile import compile as compile_function

        compile_function(self, *args, **kwargs)

    def set_submodule(self, target, module, strict=False):
        """Put ``module`` at the dotted path ``target``, whose parent must exist; with ``strict``, the path must
        name an existing submodule."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        path, _, name = target.rpartition(".")
        parent = self.get_submodule(path)
        if hasattr(parent, name):
            if not isinstance(getattr(parent, name), Module):
                raise AttributeError(f"`{name}` is not an nn.Module")
        elif strict:
            raise AttributeError(f"{parent._get_name()} has no attribute `{name}`")
        setattr(parent, name, module)

    def _get_leaf(self, target):
        """(the module holding the last name of the dotted path ``target``, that name, its value)."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if not hasattr(module, name):
            raise AttributeError(f"{module._get_name()} has no attribute `{name}`")
        return module, name, getattr(module, name)

    def get_parameter(self, target):
        """The parameter at the dotted path ``target`` (``"features.0.weight"``)."""
        _, name, value = self._get_leaf(target)
        if not isinstance(value, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return value

    def get_buffer(self, target):
        """The buffer at the dotted path ``target`` (``"bn.running_mean"``)."""
        module, name, value = self._get_leaf(target)
        if name not in module._buffers:
            raise AttributeError(f"`{name}` is not a buffer")
        return value

    # ------------------------------------------------------------------ traversal
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, prefix, recurse, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in module.__dict__[registry].items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(name, Parameter) pairs with PyTorch's dotted names (``conv1.weight``)."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    # ------------------------------------------------------------------ modes and gradients
    def train(self, mode=True):
        """Set training mode (affects Dropout and BatchNorm) on this module and its children."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                # as PyTorch: the gradient leaves any graph it was part of, then is zeroed in place
                if p.grad.grad_fn is not None:
                    p.grad.detach_()
                else:
                    p.grad.requires_grad_(False)
                p.grad.zero_()

    # ------------------------------------------------------------------ state
    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An OrderedDict of parameters and persistent buffers by dotted name (detached, sharing memory)."""
        if args:  # PyTorch's old positional form: state_dict(destination, prefix, keep_vars)
            warnings.warn("Positional args are being deprecated, use kwargs instead. Refer to "
                          "https://pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.state_dict"
                          " for details.", FutureWarning, stacklevel=2)
            destination, prefix, keep_vars = (list(args) + [destination, prefix, keep_vars][len(args):])[:3]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()  # each module's version, read back by load_state_dict
        local_metadata = {"version": self._version}
        metadata = getattr(destination, "_metadata", None)
        if metadata is not None:
            metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            if hook(self, destination, prefix, local_metadata) is not None:
                raise RuntimeError("state_dict post-hook must return None")
        return destination

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        """Put this module's own parameters and persistent buffers in ``destination`` (keys ``prefix + name``)."""
        for key, param in self._parameters.items():
            if param is not None:
                destination[prefix + key] = param if keep_vars else param.detach()
        for key, buf in self._buffers.items():
            if buf is not None and key not in self._non_persistent_buffers_set:
                destination[prefix + key] = buf if keep_vars else buf.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + _EXTRA_STATE_KEY] = self.get_extra_state()

    def get_extra_state(self):
        """The extra state a subclass stores in its state_dict (under ``_extra_state``); overridden with
        :meth:`set_extra_state`, which loads it back."""
        raise RuntimeError(_UNREACHABLE.format("get_extra_state"))

    def set_extra_state(self, state):
        """Load the state :meth:`get_extra_state` returned; overridden with it."""
        raise RuntimeError(_UNREACHABLE.format("set_extra_state"))

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and persistent buffers from ``state_dict``; with ``strict``, its keys must match exactly.

        Returns ``(missing_keys, unexpected_keys)``, reported either way; size mismatches are errors even when not
        strict.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)  # a module's loading may add entries (see BatchNorm)

        def load(module, prefix):
            local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            # strict=True whatever load_state_dict's: PyTorch tells the hooks and _load_from_state_dict so too
            for hook in module._load_state_dict_pre_hooks.values():
                hook(state_dict, prefix, local_metadata, True, missing, unexpected, errors)
            module._load_from_state_dict(state_dict, prefix, local_metadata, True, missing, unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    load(child, prefix + name + ".")
            incompatible = _IncompatibleKeys(missing, unexpected)  # the hooks may edit the lists in place
            for hook in module._load_state_dict_post_hooks.values():
                if hook(module, incompatible) is not None:
                    raise AssertionError("Hooks registered with ``register_load_state_dict_post_hook`` are not "
                                         "expected to return new values, if incompatible_keys need to be modified, "
                                         "it should be done inplace.")

        with grad_mode.no_grad():
            load(self, "")
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(type(self).__name__,
                                                                                      "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        """Load this module's own entries (keys ``prefix + name``), in PyTorch's order and with its messages.

        PyTorch's signature, which subclasses override: ``local_metadata`` is what the state dict's ``_metadata``
        says of this module (its ``version``, and ``assign_to_params_buffers`` for ``load_state_dict(...,
        assign=True)``); with ``strict`` (always True from load_state_dict) keys under ``prefix`` that are none of
        this module's entries or children are reported as unexpected."""
        assign = local_metadata.get("assign_to_params_buffers", False)
        persistent = {k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers_set}
        local = {k: v for k, v in list(self._parameters.items()) + list(persistent.items()) if v is not None}
        for name, target in local.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing.append(key)
                continue
            source = state_dict[key]
            if not isinstance(source, Tensor):
                errors.append(f'While copying the parameter named "{key}", expected torchless.Tensor or Tensor-like '
                              f"object from checkpoint but received {type(source)}")
                continue
            if is_lazy(target):
                # Still uninitialized after the lazy modules' load pre-hook, which gives it the checkpoint's shape:
                # the checkpoint's entry is uninitialized too, and there is nothing to check or copy.
                continue
            if target.dim() == 0 and len(source.shape) == 1 and source.shape[0] == 1:
                source = source[0]  # checkpoints of old PyTorch versions stored scalars as shape (1,)
            if source.shape != target.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape {source.shape} from checkpoint, "
                              f"the shape in current model is {target.shape}.")
                continue
            try:
                if not assign:
                    target._data[...] = source._data
                    target._bump_version()  # PyTorch copies in place
                elif isinstance(target, Parameter):
                    if isinstance(source, Parameter):
                        source.requires_grad_(target.requires_grad)
                    else:
                        source = Parameter(source, requires_grad=target.requires_grad)
                    setattr(self, name, source)
                else:
                    setattr(self, name, source)
            except Exception as error:  # noqa: BLE001 - reported with the others, as PyTorch does
                errors.append(f'While copying the parameter named "{key}", whose dimensions in the model are '
                              f"{target.size()} and whose dimensions in the checkpoint are {source.size()}, an "
                              f"exception occurred : {error.args}.")
        extra_key = prefix + _EXTRA_STATE_KEY
        if type(self).set_extra_state is not Module.set_extra_state:
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected.append(extra_key)
        for key in state_dict if strict else ():
            if not key.startswith(prefix) or key == extra_key:
                continue
            head = key[len(prefix):].split(".", 1)
            if (len(head) > 1 and head[0] not in self._modules) or (len(head) == 1 and head[0] not in local):
                unexpected.append(key)

    # ------------------------------------------------------------------ conversion
    def apply(self, fn):
        """Call ``fn`` on every submodule (children first) and on this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply(self, fn, recurse=True):
        """Replace every parameter's, gradient's and buffer's data by ``fn`` of it (children first, when
        ``recurse``): what :meth:`to`, :meth:`float`, :meth:`double`, :meth:`half`, :meth:`type` and :meth:`to_empty`
        run, and what subclasses override to convert tensors of their own.

        As in PyTorch (for CPU tensors): a parameter and its gradient stay the same objects, given the new data;
        a buffer is replaced by ``fn``'s result (the same object when ``fn`` returns it unchanged).
        """
        if recurse:
            for module in self.children():
                module._apply(fn)
        for param in self._parameters.values():
            if param is None:
                continue
            with grad_mode.no_grad():
                param.data = fn(param)
            if param.grad is not None:
                with grad_mode.no_grad():
                    param.grad.data = fn(param.grad)
        for key, buf in self._buffers.items():
            if buf is None:
                continue
            applied = fn(buf)
            if is_lazy(buf):
                # fn ran on a plain alias of the empty data, and only a dtype can change: as in PyTorch, the buffer
                # stays uninitialized, itself when its dtype is kept, else a new one of the new dtype
                if applied.dtype == buf.dtype:
                    applied = buf
                else:
                    applied = type(buf)(requires_grad=buf.requires_grad, dtype=applied.dtype,
                                        persistent=getattr(buf, "persistent", True))
            self._buffers[key] = applied
        return self

    def to(self, *args, **kwargs):
        """Convert floating-point parameters and buffers to a dtype: ``to(device=None, dtype=None,
        non_blocking=False)``, ``to(dtype, non_blocking=False)`` or ``to(tensor, non_blocking=False)``, read as
        PyTorch's parser reads them (devices other than the CPU are refused)."""
        from ..._tensor import _require_cpu

        device, dtype = _parse_to(args, kwargs)
        if device is not None:
            _require_cpu(device)
        memory_format = kwargs.get("memory_format")
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={dtype}")
        if memory_format is not None:
            # as PyTorch: 4-D and 5-D parameters and buffers are converted to the format (channels_last refusing
            # the 5-D ones), the others only cast
            def convert(t):
                target = dtype if dtype is not None and t.is_floating_point() else None
                if t.dim() in (4, 5):
                    return t.to(target, memory_format=memory_format)
                return t if target is None else t.to(target)

            return self._apply(convert)
        if dtype is None:
            return self
        return self._apply(lambda t: t.to(dtype) if t.is_floating_point() else t)

    def to_empty(self, *, device, recurse=True):
        """Give every parameter and buffer new, uninitialized memory of its shape and dtype on ``device`` (the CPU
        here): PyTorch's way out of a model built on the meta device."""
        from ... import _creation
        from ..._tensor import _require_cpu

        if device is not None:
            _require_cpu(device)
        return self._apply(lambda t: _creation.empty_like(t), recurse=recurse)

    def type(self, dst_type):
        """Cast every parameter and buffer, integer ones included, to ``dst_type`` (a dtype or a type name)."""
        return self._apply(lambda t: t.type(dst_type))

    def _floating_to(self, dtype):
        return self._apply(lambda t: t.to(dtype) if t.is_floating_point() else t)

    def float(self):
        from ... import _dtype

        return self._floating_to(_dtype.float32)

    def half(self):
        from ... import _dtype

        return self._floating_to(_dtype.float16)

    def double(self):
        from ... import _dtype

        return self._floating_to(_dtype.float64)

    def bfloat16(self):
        """PyTorch's cast to bfloat16, which torchless cannot store: its TypeError saying so (not a missing method)."""
        from ... import _dtype

        return self._floating_to(_dtype.bfloat16)

    def cpu(self):
        return self

    def share_memory(self):
        """Mark every parameter and buffer (and gradient) as shared (Tensor.share_memory_); the module itself."""
        for module in self.modules():
            for tensor in list(module._parameters.values()) + list(module._buffers.values()):
                if tensor is not None:
                    tensor.share_memory_()
                    if tensor.grad is not None:
                        tensor.grad.share_memory_()
        return self

    def cuda(self, device=None):
        """Move to a CUDA device, which this CPU-only build refuses (with PyTorch's error) for the first parameter
        or buffer: a module with none moves nowhere without complaint, as in PyTorch."""
        return self._apply(lambda t: _to_accelerator(t, "cuda", device))

    def xpu(self, device=None):
        """Move to an XPU device: refused as :meth:`cuda` is."""
        return self._apply(lambda t: _to_accelerator(t, "xpu", device))

    # ------------------------------------------------------------------ hooks
    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        r"""Register a forward hook on the module, called after every :meth:`forward` as
        ``hook(module, args, output)``, or ``hook(module, args, kwargs, output)`` with ``with_kwargs``; a non-None
        return replaces the output.

        Args:
            hook (Callable): the user-defined hook.
            prepend (bool): run this hook before the hooks already registered (default: after them).
            with_kwargs (bool): pass the keyword arguments given to ``forward`` too (default: False).
            always_call (bool): run the hook even when the call raises (a pre-hook, ``forward`` or another hook),
                before the exception propagates (default: False).

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        handle = self._add_hook(self._forward_hooks, self._forward_hooks_with_kwargs, hook, prepend, with_kwargs,
                                self._forward_hooks_always_called)
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        r"""Register a backward hook, called as ``hook(module, grad_input, grad_output)`` once the gradients with
        respect to the module's inputs have been computed.

        ``grad_input`` and ``grad_output`` are tuples with one entry per positional argument of ``forward`` and per
        output (a tensor, or the entries of a tuple): the gradient with respect to that tensor, None for the
        arguments and outputs that are not tensors and for outputs no gradient reached (inputs that do not require
        grad get zeros while another input does). Keyword arguments are not seen. A tuple the hook returns (of the
        same length, tensors or None) replaces ``grad_input`` in what flows on. When no input requires grad, the
        hook is called as soon as ``grad_output`` is known, with ``grad_input`` all None, and must return None.

        The module's output is then the output of an identity node: modifying it in place is an error.

        Args:
            hook (Callable): the user-defined hook.
            prepend (bool): run this hook before the backward hooks already registered (default: after them).

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        global _backward_hooks_used
        _backward_hooks_used = True
        return self._add_hook(self._backward_hooks, {}, hook, prepend, False)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        r"""Register a backward pre-hook, called as ``hook(module, grad_output)`` once the gradients with respect
        to the module's outputs have been computed (before the backward hooks); a tuple it returns (of the same
        length) replaces ``grad_output``, also in what flows into the module.

        Args:
            hook (Callable): the user-defined hook.
            prepend (bool): run this hook before the pre-hooks already registered (default: after them).

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        global _backward_hooks_used
        _backward_hooks_used = True
        return self._add_hook(self._backward_pre_hooks, {}, hook, prepend, False)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before every forward; a non-None return replaces the arguments
        (with ``with_kwargs``: ``hook(module, args, kwargs)`` returning ``(args, kwargs)``)."""
        return self._add_hook(self._forward_pre_hooks, self._forward_pre_hooks_with_kwargs, hook, prepend, with_kwargs)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        r"""See :meth:`register_load_state_dict_pre_hook`; without ``with_module`` the hook is called without the
        module: ``hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)``.
        """
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = functools.partial(hook, self) if with_module else hook
        return handle

    def register_load_state_dict_pre_hook(self, hook):
        r"""Register a pre-hook to be run before module's :meth:`load_state_dict` loads this module's entries.

        It is called as ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs)``, and may edit ``state_dict`` (the copy being loaded) and the three lists.

        Args:
            hook (Callable): the user-defined hook.

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def register_load_state_dict_post_hook(self, hook):
        r"""Register a hook run after :meth:`load_state_dict` has loaded this module and its children, as
        ``hook(module, incompatible_keys)``; it may edit ``incompatible_keys.missing_keys`` and
        ``.unexpected_keys`` in place (what a strict load then checks) and must return None.

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle

    def register_state_dict_pre_hook(self, hook):
        r"""Register a hook run by :meth:`state_dict` before it saves this module, as
        ``hook(module, prefix, keep_vars)``.

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        handle = RemovableHandle(self._state_dict_pre_hooks)
        self._state_dict_pre_hooks[handle.id] = hook
        return handle

    def register_state_dict_post_hook(self, hook):
        r"""Register a hook run by :meth:`state_dict` once this module and its children are saved, as
        ``hook(module, state_dict, prefix, local_metadata)``; it may edit ``state_dict`` in place and must
        return None.

        Returns:
            RemovableHandle: a handle whose ``remove()`` unregisters the hook.
        """
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    @staticmethod
    def _add_hook(hooks, with_kwargs_ids, hook, prepend, with_kwargs, *extra):
        handle = RemovableHandle(hooks, with_kwargs_ids, *extra)
        hooks[handle.id] = hook
        if with_kwargs:
            with_kwargs_ids[handle.id] = True
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    # ------------------------------------------------------------------ printing
    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """The layer's own settings, shown inside its repr; override in subclasses."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            body = extra_lines[0] if len(extra_lines) == 1 and not child_lines else "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"


def _to_accelerator(tensor, kind, where):
    """``tensor.cuda(where)`` / ``tensor.xpu(where)`` in a CPU-only build: PyTorch's error for ``where``."""
    from ..._tensor import _require_cpu, device

    if where is not None and not isinstance(where, (str, int, device)) or isinstance(where, bool):
        shown = type(where).__name__ if type(where).__module__ == "builtins" else typename(type(where))
        raise TypeError(f"{kind}(): argument 'device' (position 1) must be torchless.device, not {shown}")
    target = device(kind if where is None else where)
    if target.type != kind:
        raise RuntimeError(f"Invalid device, must be {kind} device")
    _require_cpu(target)  # raises: no accelerator here
    return tensor


# The overloads of Module.to as PyTorch's parser prints them (its messages list all three).
_TO_OVERLOADS = (
    "torchless.device device = None, torchless.dtype dtype = None, bool non_blocking = False, bool copy = False, *, "
    "torchless.memory_format memory_format = None",
    "torchless.dtype dtype, bool non_blocking = False, bool copy = False, *, torchless.memory_format memory_format = "
    "None",
    "Tensor tensor, bool non_blocking = False, bool copy = False, *, torchless.memory_format memory_format = None",
)
_TO_PARAMETERS = (("device", "dtype", "non_blocking", "copy"), ("dtype", "non_blocking", "copy"),
                  ("tensor", "non_blocking", "copy"))


def _parse_to(args, kwargs):
    """(device, dtype) of a ``Module.to`` call, bound to the first of PyTorch's three overloads that takes it, or
    PyTorch's TypeError; a ``copy`` argument is refused as PyTorch refuses it."""
    from ..._dtype import dtype as dtype_class
    from ..._memory_format import memory_format as memory_format_class
    from ..._tensor import device as device_class

    if len(args) > 4:
        raise TypeError(f"to() takes from 0 to 4 positional arguments but {len(args)} were given")
    accepts = {"device": lambda v: v is None or isinstance(v, (str, int, device_class)) and not isinstance(v, bool),
               "dtype": lambda v: isinstance(v, dtype_class), "tensor": lambda v: isinstance(v, Tensor),
               "non_blocking": lambda v: isinstance(v, bool), "copy": lambda v: isinstance(v, bool)}
    for names in _TO_PARAMETERS:
        if len(args) > len(names):
            continue
        bound = dict(zip(names, args))
        memory_format = kwargs.get("memory_format")
        if memory_format is not None and type(memory_format) is not memory_format_class:
            break
        extra = {k: v for k, v in kwargs.items() if k != "memory_format"}
        if any(k not in names or k in bound for k in extra):
            continue
        bound.update(extra)
        if names[0] != "device" and names[0] not in bound:
            continue
        if not all(accepts[k](v) or (k == "dtype" and v is None and names[0] == "device")
                   for k, v in bound.items()):
            continue
        if "copy" in bound:  # even copy=False: Module.to refuses the argument outright
            raise RuntimeError(".to() does not accept copy argument")
        tensor = bound.get("tensor")
        return bound.get("device"), tensor.dtype if tensor is not None else bound.get("dtype")
    from ..._parser_errors import invalid_combination

    raise invalid_combination("to", _TO_OVERLOADS, args, kwargs)


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
    return _add_global_hook(_global_backward_hooks, hook)


def register_module_full_backward_pre_hook(hook):
    """Register a backward pre-hook (see :meth:`Module.register_full_backward_pre_hook`) on every module, run
    before each module's own backward pre-hooks.

    Returns:
        RemovableHandle: a handle whose ``remove()`` unregisters the hook.
    """
    return _add_global_hook(_global_backward_pre_hooks, hook)


def _add_global_hook(registry, hook, *extra):
    global _backward_hooks_used
    _backward_hooks_used = True
    handle = RemovableHandle(registry, *extra)
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
    handle = _add_global_hook(_global_forward_hooks, hook, _global_forward_hooks_always_called,
                              _global_forward_hooks_with_kwargs)
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
