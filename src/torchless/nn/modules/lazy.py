"""LazyModuleMixin: modules whose parameter shapes are inferred from their first input (``LazyLinear``, ...)."""
import itertools

from ..parameter import is_lazy

__all__ = ["LazyModuleMixin"]


class LazyModuleMixin:
    r"""Mixin for "lazy" modules: layers that work out the sizes of their tensors from the first input they get.

    A lazy layer is built without one of its size arguments (``in_features`` for :class:`LazyLinear`,
    ``num_features`` for the lazy normalisations). In its place, its parameters and buffers are
    :class:`torchless.nn.UninitializedParameter` and :class:`torchless.nn.UninitializedBuffer` placeholders, which
    have a dtype but no shape and refuse to take part in any computation. The first call of the module runs
    :meth:`initialize_parameters` on the call's arguments, from a forward pre-hook, before ``forward``: the
    placeholders get their shapes and values (the eager layer's initialisation), and the module's class is
    swapped for :attr:`cls_to_become` (a :class:`LazyLinear` turns into a :class:`Linear`). The hook then removes
    itself, and from there on the module is indistinguishable from one built eagerly.

    Such a first call, the "dry run", is best made once the network has its final dtype: build the network,
    convert it, then pass it one batch of the intended size and dtype. The placeholders are filled in place, not
    replaced, so an optimizer may already hold them.

    >>> net = nn.Sequential(nn.LazyLinear(10), nn.ReLU(), nn.LazyLinear(1))
    >>> net(torchless.ones(10, 4)).shape  # the dry run
    torchless.Size([10, 1])
    >>> net[0]
    Linear(in_features=4, out_features=10, bias=True)

    The values are drawn from the random generator during the dry run, whereas an eager layer draws them when it
    is constructed: from the same seed, a network with lazy layers and its eager twin start from different values.

    ``state_dict()`` works on either side of the dry run; before it, the entries are the placeholders themselves.
    Loading a state dict whose entries have shapes gives the placeholders those shapes and values, which the
    dry run then leaves as they are.
    """

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, True)
        if not keep_vars:  # detached, but for the uninitialized entries: they have no data to detach
            for name in itertools.chain(self._parameters, self._buffers):
                value = destination.get(prefix + name)
                if value is not None and not is_lazy(value):
                    destination[prefix + name] = value.detach()

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                        error_msgs):
        """load_state_dict pre-hook: an uninitialized parameter or buffer takes the shape of its entry in
        ``state_dict`` (when that entry has one), so that a module saved before or after its dry run loads into
        a lazy module either way."""
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None and is_lazy(param) and not is_lazy(state_dict[key]):
                param.materialize(state_dict[key].shape)

    def initialize_parameters(self, *args, **kwargs):
        r"""Give the placeholder parameters and buffers their shapes, read off the given inputs, and their values.

        Each lazy layer defines it; the pre-hook of the first call runs it with that call's arguments, so that
        shape inference stays out of ``forward``. Calling it directly fills the placeholders without a forward
        pass (the class swap still waits for the first call).
        """
        raise NotImplementedError(f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def has_uninitialized_params(self):
        r"""Check if a module has parameters that are not initialized."""
        return any(is_lazy(value) for value in itertools.chain(self._parameters.values(), self._buffers.values()))

    def _infer_parameters(self, module, args, kwargs=None):
        r"""Forward pre-hook: infer the parameter shapes from the first call's arguments, initialize them, then
        remove this hook (and the load hook) and turn the module into ``cls_to_become``."""
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become
