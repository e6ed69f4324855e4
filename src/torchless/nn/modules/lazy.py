"""LazyModuleMixin: modules whose parameter shapes are inferred from their first input (``LazyLinear``, ...)."""
import itertools

from ..parameter import is_lazy

__all__ = ["LazyModuleMixin"]


class LazyModuleMixin:
    r"""A mixin for modules that lazily initialize parameters, also known as "lazy modules".

    Modules that lazily initialize parameters, or "lazy modules", derive the shapes of their parameters from the
    first input(s) to their forward method. Until that first forward they contain
    :class:`torchless.nn.UninitializedParameter` s that should not be accessed or used, and afterward they contain
    regular :class:`torchless.nn.Parameter` s. Lazy modules are convenient since they don't require computing some
    module arguments, like the :attr:`in_features` argument of a typical :class:`torchless.nn.Linear`.

    After construction, networks with lazy modules should first be converted to the desired dtype. The lazy
    modules should then perform "dry runs" to initialize all the components in the module: an input of the right
    size and dtype sent through the network reaches each lazy module, which materializes its parameters (in
    place: an optimizer created beforehand holds them) and becomes the class named by :attr:`cls_to_become`
    (a :class:`LazyLinear` becomes a :class:`Linear`). After this the network can be used as usual.

    >>> net = nn.Sequential(nn.LazyLinear(10), nn.ReLU(), nn.LazyLinear(1))
    >>> net(torchless.ones(10, 4)).shape  # the dry run
    torchless.Size([10, 1])
    >>> net[0]
    Linear(in_features=4, out_features=10, bias=True)

    The initialization draws from the random generator at the dry run, after the eager modules were initialized
    at construction: a network with lazy modules gets different values than its eager twin from the same seed.

    Lazy modules can be serialized with a state dict like other modules; loading one whose entries have shapes
    materializes the parameters with those shapes (and they are not replaced by the dry run).
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
        r"""Initialize parameters according to the input batch properties.

        This adds an interface to isolate parameter initialization from the forward pass when doing parameter
        shape inference.
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
