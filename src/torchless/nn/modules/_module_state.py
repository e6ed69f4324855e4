"""A Module's state: state_dict (parameters, persistent buffers and extra state by dotted name, with each module's
version in ``_metadata``) and load_state_dict (strict or not, copying or assigning), with PyTorch's messages.

Methods of torchless.nn.Module: see ``module.py``, which copies them onto the class.
"""
import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from ..._tensor import Tensor
from ...autograd import grad_mode
from ..parameter import Parameter, is_lazy

# The state_dict key of a module's get_extra_state(), and PyTorch's error of the base class's methods.
_EXTRA_STATE_KEY = "_extra_state"
_UNREACHABLE = ("Reached a code path in Module.{}() that should never be called. Please file an issue at "
                "https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to report this bug.")


# PyTorch's class is torch.nn.modules.module's (which re-exports it here): its type and pickles name it there
_HOME = "torchless.nn.modules.module"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"], module=_HOME)):
    __module__ = _HOME
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"

    __str__ = __repr__


class StateDictMethods:
    """Module's state_dict and load_state_dict, and the methods subclasses override to take part."""

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
            result = hook(self, destination, prefix, local_metadata)
            if not getattr(hook, "_from_public_api", False):  # the private API's hook may return a new dict
                destination = destination if result is None else result
            elif result is not None:
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
        # (StateDictMethods.get_extra_state is Module's own: module.py copies the function onto the class)
        if type(self).get_extra_state is not StateDictMethods.get_extra_state:
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
        if metadata is not None:
            state_dict._metadata = metadata

        def load(module, local_state_dict, prefix):
            local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            # strict=True whatever load_state_dict's: PyTorch tells the hooks and _load_from_state_dict so too
            module._load_from_state_dict(local_state_dict, prefix, local_metadata, True, missing, unexpected, errors)
            for name, child in module._modules.items():
                if child is not None:
                    # as PyTorch: each child (and its hooks) sees a plain dict of its own entries only
                    child_prefix = prefix + name + "."
                    load(child, {k: v for k, v in local_state_dict.items() if k.startswith(child_prefix)},
                         child_prefix)
            incompatible = _IncompatibleKeys(missing, unexpected)  # the hooks may edit the lists in place
            for hook in module._load_state_dict_post_hooks.values():
                if hook(module, incompatible) is not None:
                    raise AssertionError("Hooks registered with ``register_load_state_dict_post_hook`` are not "
                                         "expected to return new values, if incompatible_keys need to be modified, "
                                         "it should be done inplace.")

        load(self, state_dict, "")
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
        this module's entries or children are reported as unexpected. The load_state_dict pre-hooks run first,
        here (so not at all for an override that does not call this one)."""
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing, unexpected, errors)
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
                with grad_mode.no_grad():  # (only here: the hooks run with gradients enabled, as in PyTorch)
                    self._load_entry(name, target, source, assign)
            except Exception as error:  # noqa: BLE001 - reported with the others, as PyTorch does
                errors.append(f'While copying the parameter named "{key}", whose dimensions in the model are '
                              f"{target.size()} and whose dimensions in the checkpoint are {source.size()}, an "
                              f"exception occurred : {error.args}.")
        extra_key = prefix + _EXTRA_STATE_KEY
        if type(self).set_extra_state is not StateDictMethods.set_extra_state:
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

    def _load_entry(self, name, target, source, assign):
        """Copy ``source`` into the parameter or buffer ``target`` (registered as ``name``), or with ``assign``
        register ``source`` in its place (a parameter keeping the model's requires_grad)."""
        if not assign:
            target.copy_(source)
            return
        if isinstance(target, Parameter):
            if isinstance(source, Parameter):
                source.requires_grad_(target.requires_grad)
            else:
                source = Parameter(source, requires_grad=target.requires_grad)
        setattr(self, name, source)
