"""Walking a Module's tree: its submodules, parameters and buffers by dotted name (named_modules, named_parameters,
...) and the dotted-path lookups get_submodule / set_submodule / get_parameter / get_buffer.

Methods of torchless.nn.Module: see ``module.py``, which copies them onto the class.
"""
from ..parameter import Parameter


def _is_module(value):
    from .module import Module  # (module.py imports this file as it ends)

    return isinstance(value, Module)


class TraversalMethods:
    """Module's traversal of its tree and lookups by dotted path."""

    def get_submodule(self, target):
        """The submodule at the dotted path ``target`` ("" is this module); PyTorch's AttributeError for a
        missing name, or for one naming an attribute that is not a module (``"fc.weight"``)."""
        if target == "":
            return self
        module = self
        for part in target.split("."):  # (as PyTorch's: a target not a str fails here, None and 0 too)
            if not hasattr(module, part):
                raise AttributeError(f"{module._get_name()} has no attribute `{part}`")
            module = getattr(module, part)
            if not _is_module(module):
                raise AttributeError(f"`{part}` is not an nn.Module")
        return module

    def set_submodule(self, target, module, strict=False):
        """Put ``module`` at the dotted path ``target``, whose parent must exist; with ``strict``, the path must
        name an existing submodule."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        *path, name = target.split(".")  # (PyTorch's order of errors: the target's, then the module's)
        if not _is_module(module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent = self.get_submodule(".".join(path))
        if hasattr(parent, name):
            if not _is_module(getattr(parent, name)):
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

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(name, module) pairs of this module and every submodule, depth first; ``memo``, a set of modules
        (as PyTorch's, which the caller may pass), holds those already yielded: none of them is yielded again."""
        memo = set() if memo is None else memo
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                # (concatenated, as PyTorch: a prefix that is not a string fails with its TypeError)
                yield from module.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self, remove_duplicate=True):
        for _, module in self.named_modules(remove_duplicate=remove_duplicate):
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, get_members_fn, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, member) pairs of the (name, member) pairs ``get_members_fn(module)`` gives for this module
        (and its descendants, with ``recurse``): PyTorch's helper, which code outside it calls too."""
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in get_members_fn(module):
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(name, Parameter) pairs with PyTorch's dotted names (``conv1.weight``)."""
        # (module._parameters: PyTorch's error for a module without Module.__init__)
        yield from self._named_members(lambda module: module._parameters.items(), prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members(lambda module: module._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf
