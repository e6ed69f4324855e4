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
# Whether a backward hook was ever registered: until then a call skips looking for them, which measured ~0.2 us
# of every layer's call.
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

    def __init__(self, *args, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")
        if args:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but {len(args) + 1} were given")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers"] = set()
        d["_modules"] = OrderedDict()
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
                or _global_backward_pre_hooks))):
            return self.forward(*args, **kwargs)
        result = None
        always_called = set()  # the always_call hooks that have run
        try:
            for hook_id, hook in list(self._forward_pre_hooks.items()):
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
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called:
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
            # become warnings so that the original error propagates.
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
        if hook_id in self._forward_hooks_with_kwargs:
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
            d["_modules"][name] = value
        elif d.get("_modules") is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{typename(value)}' as child module '{name}' "
                                "(torchless.nn.Module or None expected)")
            d["_modules"][name] = None
        elif isinstance(value, Buffer) or (d.get("_buffers") is not None and name in d["_buffers"]):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{typename(value)}' as buffer '{name}' "
                                "(torchless.nn.Buffer, torchless.Tensor or None expected)")
            persistent = value.persistent if isinstance(value, Buffer) else name not in d["_non_persistent_buffers"]
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
        d["_non_persistent_buffers"].discard(name)

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
                d["_non_persistent_buffers"].discard(name)
                return
        object.__delattr__(self, name)

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
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a tensor that is part of the state but not trained (e.g. BatchNorm's running mean)."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer", "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{typename(tensor)}' object to buffer '{name}' "
                            "(torchless Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

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
        self._modules[name] = module

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
                p.grad._data[...] = 0

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
            if buf is not None and key not in self._non_persistent_buffers:
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
            version = {} if metadata is None else metadata.get(prefix[:-1], {})
            for hook in module._load_state_dict_pre_hooks.values():
                # strict=True whatever load_state_dict's: PyTorch's hooks are told so too
                hook(state_dict, prefix, version, True, missing, unexpected, errors)
            module._load_from_state_dict(state_dict, prefix, version, missing, unexpected, errors, assign)
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

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, missing, unexpected, errors, assign):
        """Load this module's own entries (keys ``prefix + name``), in PyTorch's order and with its messages.

        ``local_metadata`` is what the state dict's ``_metadata`` says of this module (its ``version``)."""
        persistent = {k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers}
        local = {k: v for k, v in list(self._parameters.items()) + list(persistent.items()) if v is not None}
        for name, target in local.items():
            key = prefix + name
            if key not in state_dict:
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
            else:
                missing.append(extra_key)
        elif extra_key in state_dict:
            unexpected.append(extra_key)
        for key in state_dict:
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

    def _convert(self, dtype):
        from ..._tensor import Tensor as T

        for module in self.modules():
            for key, param in module._parameters.items():
                if param is not None and param.is_floating_point():
                    # .data rather than ._data: an uninitialized parameter allows the former only
                    param.data = param.data._data.astype(dtype.numpy)
                    if param.grad is not None:
                        param.grad._data = param.grad._data.astype(dtype.numpy)
            for key, buf in module._buffers.items():
                if isinstance(buf, T) and buf.is_floating_point():
                    buf.data = buf.data._data.astype(dtype.numpy)
        return self

    def to(self, *args, **kwargs):
        """Convert floating-point parameters and buffers to a dtype (devices other than 'cpu' are refused)."""
        from ..._dtype import dtype as dtype_cls
        from ..._tensor import _require_cpu

        dtype = kwargs.get("dtype")
        for a in list(args) + [kwargs.get("device")]:
            if isinstance(a, dtype_cls):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif a is not None:
                _require_cpu(a)
        if dtype is not None:
            if not dtype.is_floating_point:
                raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={dtype}")
            self._convert(dtype)
        return self

    def type(self, dst_type):
        """Cast every parameter and buffer, integer ones included, to ``dst_type`` (a dtype or a type name)."""
        for module in self.modules():
            for param in module._parameters.values():
                if param is not None:
                    param.data = param.data.type(dst_type)
                    if param.grad is not None:
                        param.grad.data = param.grad.data.type(dst_type)
            buffers = module._buffers
            for key, buf in buffers.items():
                if buf is not None:
                    buffers[key] = buf.type(dst_type)
        return self

    def float(self):
        from ... import _dtype

        return self._convert(_dtype.float32)

    def half(self):
        from ... import _dtype

        return self._convert(_dtype.float16)

    def double(self):
        from ... import _dtype

        return self._convert(_dtype.float64)

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
        from ..._tensor import _require_cpu

        _require_cpu("cuda" if device is None else device)  # raises: no CUDA here
        return self

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


def _add_global_hook(registry, hook):
    global _backward_hooks_used
    _backward_hooks_used = True
    handle = RemovableHandle(registry)
    registry[handle.id] = hook
    return handle
