"""Run PyTorch code unchanged: ``import torch`` (and ``torchvision``) resolving to torchless.

::

    python -m torchless.as_torch train.py --epochs 2     # run a script as it is
    torchless run train.py --epochs 2                     # the same, through the command line

or, in code, before anything imports torch::

    import torchless.as_torch
    torchless.as_torch.install()
    import torch, torchvision                             # torchless, torchless.vision
    from torch.utils.data import DataLoader               # torchless.utils.data.DataLoader

Every ``torch.X.Y`` module is ``torchless.X.Y`` itself (one module object under both names, so
``torch.nn.functional is torchless.nn.functional``), and ``torchvision.X`` is
``torchless.vision.X``. A module torchless does not have fails to import, naming it.
"""

import builtins
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import os
import runpy
import sys
import types
import zipfile

# What each aliased top-level name stands for.
ALIASES = {"torch": "torchless", "torchvision": "torchless.vision"}


def _target(fullname):
    """The torchless module ``fullname`` (``torch.nn``, ``torchvision.transforms``) stands for, or None."""
    top, dot, rest = fullname.partition(".")
    target = ALIASES.get(top)
    return None if target is None else target + dot + rest


class _AliasLoader(importlib.abc.Loader):
    """Gives the torchless module itself: importing it under its alias runs no code twice."""

    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self.own_spec = module.__spec__
        return module

    def exec_module(self, module):
        # Importing under the alias gave the module the alias's spec: its own goes back, or every relative import
        # run later inside it (a lazy one in a function) would warn that ``__package__ != __spec__.parent``.
        alias = module.__spec__.name
        module.__spec__ = self.own_spec
        # Its submodules already imported are entered under the alias too: importing one under the alias for the
        # first time would set it as an attribute of its package, hiding what the package binds to that name
        # (``torch.autograd.gradcheck`` is the function, not its module, after ``from torch.autograd.gradcheck
        # import gradcheck``), which their import under torchless's name did not.
        prefix = self.target + "."
        for name, submodule in list(sys.modules.items()):
            if name.startswith(prefix):
                sys.modules.setdefault(alias + name[len(self.target):], submodule)


class AliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``torch[.X]`` and ``torchvision[.X]`` as torchless's modules."""

    def find_spec(self, fullname, path=None, target=None):
        name = _target(fullname)
        if name is None:
            return None
        if importlib.util.find_spec(name) is None:
            raise ModuleNotFoundError(f"No module named {fullname!r} (torchless has no {name!r})", name=fullname)
        return importlib.util.spec_from_loader(fullname, _AliasLoader(name))


def install():
    """Make ``import torch`` and ``import torchvision`` (and their submodules) give torchless's modules.

    Call it before the code that imports them: a torch already imported stays what it is, and then this
    raises RuntimeError rather than leave two libraries mixed.
    """
    for alias, target in ALIASES.items():
        loaded = sys.modules.get(alias)
        if loaded is not None and loaded.__name__ != target:
            raise RuntimeError(f"{alias} is already imported (from {getattr(loaded, '__file__', '?')}): install the "
                               f"torchless aliases before the code that imports {alias}")
    if not any(isinstance(finder, AliasFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, AliasFinder())
    _alias_in_spawned_children()


# (torchless's directory is appended for the import only: the child has the parent's sys.path only afterwards)
_CHILD_PRELUDE = ("import sys; sys.path.append({root!r}); import torchless.as_torch; sys.path.pop(); "
                  "torchless.as_torch.install(); ")


def _alias_in_spawned_children():
    """Make processes started by 'spawn' (DataLoader workers with that context, torch.multiprocessing.spawn, the
    default on macOS and Windows) install the aliases before they import the script's main module."""
    import multiprocessing.spawn as spawn

    if getattr(spawn.get_command_line, "installs_torch_aliases", False):
        return
    original = spawn.get_command_line

    def get_command_line(**kwds):
        command = original(**kwds)
        if "-c" in command:  # (a frozen executable takes no code)
            index = command.index("-c") + 1
            root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            command[index] = _CHILD_PRELUDE.format(root=root) + command[index]
        return command

    get_command_line.installs_torch_aliases = True
    spawn.get_command_line = get_command_line


def run_script(path, arguments=()):
    """Run the Python file ``path`` as ``__main__`` with ``sys.argv = [path, *arguments]``, torch being torchless."""
    install()
    sys.argv = [path, *arguments]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    if os.path.isfile(path) and not zipfile.is_zipfile(path):
        _run_source_file_as_main(path)
    else:  # a directory or zip archive with a __main__.py
        runpy.run_path(path, run_name="__main__")


def _run_source_file_as_main(path):
    """Run a script as ``python path`` does: its ``__file__`` (so tracebacks and warnings) the absolute path,
    ``sys.argv[0]`` the path as given (``runpy.run_path`` makes both the path as given)."""
    absolute = os.path.abspath(path)
    with io.open_code(absolute) as source:
        code = compile(source.read(), absolute, "exec")
    main = types.ModuleType("__main__")
    main.__file__, main.__cached__, main.__builtins__, main.__annotations__ = absolute, None, builtins, {}
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", absolute)
    previous = sys.modules.get("__main__")
    sys.modules["__main__"] = main
    try:
        exec(code, vars(main))
    finally:
        sys.modules["__main__"] = previous


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m torchless.as_torch SCRIPT [ARG ...]\n\nRun a PyTorch script with torch and "
              "torchvision resolving to torchless.", file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    run_script(argv[0], argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
