"""fx's :class:`GraphModule`: a Module whose ``forward`` is Python code generated from a :class:`Graph`, holding the
submodules, parameters and buffers the graph uses (under their paths in the traced module)."""
import copy
import itertools
import linecache

from ..nn import Module
from .graph import Graph

__all__ = ["GraphModule"]

_next_id = itertools.count()


def _exec_with_source(src, globals_):
    """Compile ``src`` under a fake file name whose lines linecache knows, so tracebacks show the generated code."""
    key = f"<eval_with_key>.{next(_next_id)}"
    linecache.cache[key] = (len(src), None, src.splitlines(True), key)
    exec(compile(src, key, "exec"), globals_)


def _forward_from_src(src, globals_):
    globals_copy = dict(globals_)
    _exec_with_source(src, globals_copy)
    return globals_copy.pop("forward")


def _addindent(s_, num_spaces):
    s = s_.split("\n")
    if len(s) == 1:
        return s_
    first = s.pop(0)
    return first + "\n" + "\n".join((num_spaces * " ") + line if line.strip() else "" for line in s)


def _copy_attr(from_module, to_module, target):
    """Install ``from_module``'s attribute at the dotted path ``target`` on ``to_module``, creating plain Modules
    for the path's parents; a tensor that is not a parameter becomes a buffer."""
    from .. import Tensor
    from ..nn import Parameter
    *prefix, field = target.split(".")
    for item in prefix:
        f = getattr(from_module, item)
        t = getattr(to_module, item, None)
        if f is t:  # a parent already installed whole
            return
        if t is None:
            t = Module()
            setattr(to_module, item, t)
        from_module, to_module = f, t
    orig = getattr(from_module, field)
    if isinstance(orig, Tensor) and not isinstance(orig, Parameter):
        to_module.register_buffer(field, orig)
    else:
        setattr(to_module, field, orig)


def _assign_attr(from_obj, to_module, target):
    from .. import Tensor
    from ..nn import Parameter
    *prefix, field = target.split(".")
    for item in prefix:
        t = getattr(to_module, item, None)
        if t is None:
            t = Module()
            setattr(to_module, item, t)
        to_module = t
    if isinstance(from_obj, Tensor) and not isinstance(from_obj, Parameter):
        to_module.register_buffer(field, from_obj)
    else:
        setattr(to_module, field, from_obj)


class GraphModule(Module):
    """A Module generated from an fx :class:`Graph`: its ``forward`` is the graph's code (``.code``).

    Args:
        root (Union[torch.nn.Module, Dict[str, Any]): the module the graph's ``get_attr`` and ``call_module``
            targets are taken from (or a dict from target to object)
        graph (Graph): the graph to generate code from
        class_name (str): the name the module's class prints with
    """

    def __new__(cls, *args, **kwargs):
        # each instance gets its own class, so that the generated forward is this instance's only
        for t in cls.__mro__:
            c = t.__qualname__.split(".")[-1]
            if c != "GraphModuleImpl":
                cls = t
                break

        class GraphModuleImpl(cls):
            pass
        return super().__new__(GraphModuleImpl)

    def __init__(self, root, graph, class_name="GraphModule"):
        super().__init__()
        self.__class__.__name__ = class_name
        if isinstance(root, Module):
            if hasattr(root, "training"):
                self.training = root.training
            for node in graph.nodes:
                if node.op in ("get_attr", "call_module"):
                    _copy_attr(root, self, node.target)
        elif isinstance(root, dict):
            targets_to_copy = []
            for node in graph.nodes:
                if node.op in ("get_attr", "call_module"):
                    if node.target not in root:
                        raise RuntimeError(f"Node {node} referenced target {node.target} but that target was "
                                           f"not provided in ``root``!")
                    targets_to_copy.append(node.target)
            targets_to_copy.sort(key=lambda t: t.count("."))  # parents before their attributes
            for target_to_copy in targets_to_copy:
                _assign_attr(root[target_to_copy], self, target_to_copy)
        else:
            raise RuntimeError("Unsupported type " + str(root) + " passed for root!")
        self.graph = graph
        self._tracer_cls = graph._tracer_cls
        self.meta = {}

    @property
    def graph(self):
        """The :class:`Graph` of this module; assigning one regenerates the code."""
        return self._graph

    @graph.setter
    def graph(self, g):
        if not isinstance(g, Graph):
            raise AssertionError(f"Expected a Graph instance, but got {type(g)}")
        self._graph = g
        g.owning_module = self
        self.recompile()

    @property
    def code(self):
        """The Python code of ``forward``, generated from the graph."""
        if not hasattr(self, "_code"):
            raise RuntimeError("Code has not been generated! Please report a bug to PyTorch")
        return self._code

    def recompile(self):
        """Regenerate ``forward`` from the graph (after editing it)."""
        info = self._graph._pytree_info
        if info is not None:  # (the structures the code flattens its inputs along and rebuilds its output in)
            self._in_spec = info.in_spec
            self._out_spec = info.out_spec
        python_code = self._graph.python_code(root_module="self")
        self._code = python_code.src
        cls = type(self)
        cls.forward = _forward_from_src(self._code, python_code.globals)
        return python_code

    def to_folder(self, folder, module_name="FxModule"):
        """Dump this module to ``folder`` as a package (``module.py``, ``__init__.py``, the state dict and any
        submodule without an evaluable repr pickled), so that ``from <folder> import <module_name>`` builds it
        again (with ``torch`` resolving to torchless).

        Args:
            folder (Union[str, os.PathLike]): The folder to write the code out to
            module_name (str): Top-level name to use for the ``Module`` while writing out the code
        """
        import warnings
        from pathlib import Path

        import torchless
        from .. import nn
        from .node import _torch_repr
        folder = Path(folder)
        Path(folder).mkdir(exist_ok=True)
        torchless.save(self.state_dict(), folder / "state_dict.pt")
        tab = " " * 4
        custom_builtins = "\n".join(["from math import inf", "from math import nan", "NoneType = type(None)",
                                     "import torch", "from torch import device",
                                     "import torch.fx._pytree as fx_pytree", "import torch.utils._pytree as pytree"])
        model_str = f"""
import torch
{custom_builtins}

from torch.nn import *
class {module_name}(torch.nn.Module):
    def __init__(self):
        super().__init__()
"""
        safe_reprs = [nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d]
        blobified_modules = []
        for name, module in self.named_children():
            if type(module) in safe_reprs:
                model_str += f"{tab * 2}setattr(self, '{name}', {module.__repr__()})\n"
            else:
                module_file = folder / f"{name}.pt"
                torchless.save(module, module_file)
                blobified_modules.append(name)
                module_repr = module.__repr__().replace("\r", " ").replace("\n", " ")
                module_load_str = f"torch.load(r'{module_file}', weights_only=False)"
                model_str += f"{tab * 2}setattr(self, '{name}', {module_load_str}) # {module_repr}\n"
        for buffer_name, buffer in self._buffers.items():
            if buffer is not None:
                model_str += (f"{tab * 2}self.register_buffer('{buffer_name}', torch.empty({list(buffer.shape)}, "
                              f"dtype={_torch_repr(buffer.dtype)}))\n")
        for param_name, param in self._parameters.items():
            if param is not None:
                model_str += (f"{tab * 2}setattr(self, '{param_name}', torch.nn.Parameter(torch.empty("
                              f"{list(param.shape)}, dtype={_torch_repr(param.dtype)})))\n")
        model_str += f"{tab * 2}self.load_state_dict(torch.load(r'{folder}/state_dict.pt'))\n"
        model_str += f"{_addindent(self.code, 4)}\n"
        (folder / "module.py").write_text(model_str)
        (folder / "__init__.py").write_text("from .module import *")
        if len(blobified_modules) > 0:
            warnings.warn("Was not able to save the following children modules as reprs -"
                          f"saved as pickled files instead: {blobified_modules}")

    def add_submodule(self, target, m):
        """Install ``m`` at the dotted path ``target``, creating plain Modules for missing parents; False if a
        parent on the path is not a Module."""
        *prefix, field = target.split(".")
        mod = self
        for item in prefix:
            submod = getattr(mod, item, None)
            if submod is None:
                submod = Module()
                mod.add_module(item, submod)
            if not isinstance(submod, Module):
                return False
            mod = submod
        mod.add_module(field, m)
        return True

    def delete_submodule(self, target):
        """Remove the submodule at the dotted path ``target``; False if there is none."""
        atoms = target.split(".")
        path, target_submod = atoms[:-1], atoms[-1]
        mod = self
        for item in path:
            if not hasattr(mod, item):
                return False
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                return False
        if not hasattr(mod, target_submod) or not isinstance(getattr(mod, target_submod), Module):
            return False
        delattr(mod, target_submod)
        return True

    def delete_all_unused_submodules(self):
        """Remove the submodules no ``call_module`` or ``get_attr`` node of the graph reaches."""
        used = []
        for node in self.graph.nodes:
            if node.op in ("call_module", "get_attr"):
                used.extend(itertools.accumulate(node.target.split("."), lambda x, y: ".".join([x, y] if y else [x])))
                if node.op == "call_module":
                    try:
                        submod = self.get_submodule(node.target)
                    except AttributeError:
                        continue
                    used.extend(".".join([node.target, name]) for name, _ in submod.named_modules() if name != "")
        for name in [name for name, _ in self.named_modules() if name not in used]:
            self.delete_submodule(name)

    def print_readable(self, print_output=True, include_stride=False, include_device=False, colored=False):
        """The code of this module (and of its GraphModule children) as a class, printed and returned."""
        verbose_python_code = self._graph.python_code(root_module="self", verbose=True)
        module_code = verbose_python_code.src.lstrip("\n")
        module_code = f"class {self._get_name()}(torch.nn.Module):\n" + module_code
        module_code = _addindent(module_code, 4)
        submodule_code_list = [""]
        for submodule_name, submodule in self.named_children():
            if hasattr(submodule, "graph") and hasattr(submodule, "print_readable"):
                submodule_code_list.append(submodule.print_readable(print_output=False))
        submodule_code = "\n".join(submodule_code_list)
        submodule_code = _addindent(submodule_code, 4)
        output = module_code + submodule_code
        if print_output:
            print(module_code + submodule_code)
        return output

    def __str__(self):
        orig_str = super().__str__()
        print_readable_reminder = "# To see more debug info, please use `graph_module.print_readable()`"
        return "\n".join([orig_str, self._code, print_readable_reminder])

    def __deepcopy__(self, memo):
        res = type(self).__new__(type(self))  # (a class of its own, as every GraphModule)
        memo[id(self)] = res
        fake_mod = Module()
        fake_mod.__dict__ = copy.deepcopy(self.__dict__, memo)
        GraphModule.__init__(res, fake_mod, fake_mod.__dict__["_graph"])  # (named GraphModule, as PyTorch's copy)
        return res

    def __copy__(self):
        res = GraphModule(self, self.graph, self.__class__.__name__)
        res.meta = getattr(self, "meta", {})
        return res

    def __reduce__(self):
        # as PyTorch: the instance's state and its code (not its class's name); unpickling runs the code and traces
        # it again
        python_code = self.recompile()
        dict_without_graph = self.__dict__.copy()
        del dict_without_graph["_graph"]
        import_globals = {name: value for name, value in python_code.globals.items()
                          if name not in _custom_builtin_names()}
        return (reduce_graph_module, (dict_without_graph, import_globals))


def _custom_builtin_names():
    from .graph import _custom_builtins
    return set(_custom_builtins())


def reduce_graph_module(body, import_globals):
    """Rebuild a pickled GraphModule: its forward from its code, its graph by tracing that forward."""
    from .graph import _custom_builtins
    forward = _forward_from_src(body["_code"], {**_custom_builtins(), **import_globals})

    class CodeOnlyModule(Module):
        def __init__(self, body):
            super().__init__()
            self.__dict__ = body

    CodeOnlyModule.forward = forward
    from ._symbolic_trace import Tracer

    class KeepModules(Tracer):
        def is_leaf_module(self, _, __):
            return True

    com = CodeOnlyModule(body)
    graph = KeepModules().trace(com)
    graph._tracer_cls = None
    return GraphModule(com, graph, class_name=body.get("_graphmodule_cls_name", "GraphModule"))
