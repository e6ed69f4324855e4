"""``torch.utils.module_tracker``: which modules are running, forward and backward, by their qualified names."""
import logging
import weakref

from ._pytree import tree_flatten

__all__ = ["ModuleTracker"]

logger = logging.getLogger(__name__)


class ModuleTracker:
    """A context manager whose ``parents`` is the set of the qualified names (``ResNet.layer1.0.conv1``) of the
    modules running now, always with ``"Global"``.

    A module is entered in the backward when the gradients of its outputs are all computed and left when those
    of its inputs are (never, for a module whose inputs need no gradient: the backward's end resets ``parents``).
    """

    def __init__(self):
        self._parents = {"Global"}
        self._known_modules = weakref.WeakKeyDictionary()
        self._seen_modules = weakref.WeakSet()
        self._backward_entered = 0  # the backward run (see _engine.current_backward) that entered a module, or 0
        self._hooks = []

    @property
    def is_bw(self):
        from ..autograd._engine import current_backward

        return current_backward() != 0

    @property
    def parents(self):
        """PyTorch resets ``parents`` in a callback at the end of the backward that entered a module; torchless
        does it when ``parents`` is next looked at after that backward."""
        if self._backward_entered:
            from ..autograd._engine import current_backward

            if current_backward() != self._backward_entered:
                self._parents = {"Global"}
                self._backward_entered = 0
        return self._parents

    @parents.setter
    def parents(self, value):
        self._parents = value

    def _get_mod_name(self, mod):
        if mod not in self._known_modules:
            self._known_modules[mod] = type(mod).__name__
        mod_name = self._known_modules[mod]
        if mod not in self._seen_modules:
            for name, submod in mod.named_children():
                self._known_modules[submod] = f"{mod_name}.{name}"
                self._get_mod_name(submod)
            self._seen_modules.add(mod)
        return mod_name

    def _get_append_fn(self, name, is_bw):
        def fn(*args):
            parents = self.parents
            if is_bw and not self._backward_entered:
                from ..autograd._engine import current_backward

                self._backward_entered = current_backward()
            if name in parents:
                logger.info("The module hierarchy tracking seems to be broken as this Module was already entered. "
                            "%s during %s", name, "backward" if is_bw else "forward")
            parents.add(name)

        return fn

    def _get_pop_fn(self, name, is_bw):
        def fn(*args):
            if name in self.parents:
                self.parents.remove(name)
            else:
                logger.info("The Module hierarchy tracking is confused as we're exiting a Module that was never "
                            "entered. %s during %s", name, "backward" if is_bw else "forward")

        return fn

    def _fw_pre_hook(self, mod, input):
        from ..autograd.graph import register_multi_grad_hook

        name = self._get_mod_name(mod)
        self._get_append_fn(name, False)()
        tensors = _requiring_grad(input)
        if tensors:
            self._hooks.append(register_multi_grad_hook(tensors, self._get_pop_fn(name, True)))

    def _fw_post_hook(self, mod, input, output):
        from ..autograd.graph import register_multi_grad_hook

        name = self._get_mod_name(mod)
        self._get_pop_fn(name, False)()
        tensors = _requiring_grad(output)
        if tensors:
            self._hooks.append(register_multi_grad_hook(tensors, self._get_append_fn(name, True)))

    def __enter__(self):
        from ..nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook

        self._fw_pre_handle = register_module_forward_pre_hook(self._fw_pre_hook)
        self._fw_post_handle = register_module_forward_hook(self._fw_post_hook)
        return self

    def __exit__(self, *args):
        self._fw_pre_handle.remove()
        self._fw_post_handle.remove()
        for hook in self._hooks:
            hook.remove()
        self._hooks.clear()


def _requiring_grad(tree):
    from .._tensor import Tensor

    return [leaf for leaf in tree_flatten(tree)[0] if isinstance(leaf, Tensor) and leaf.requires_grad]
