"""fx's :class:`Graph`: the operations a traced function performs, as a list of :class:`Node`, and the Python code
that performs them again (:meth:`Graph.python_code`), written as PyTorch writes it."""
import builtins
import copy
import inspect
import keyword
import math
import re
import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple

from .node import _OPS, Node, _get_qualified_name, _torch_repr, map_arg

__all__ = ["Graph", "PythonCode"]

_snake_case_sub = re.compile(r"(?<=[a-z])([A-Z])").sub
_illegal_char_regex = re.compile("[^0-9a-zA-Z_]+")
_name_regex = re.compile(r"^([a-zA-Z_][0-9a-zA-Z_]*?)(?:_(\d+))?$")

_illegal_names = {k: object() for k in keyword.kwlist}
_illegal_names.update(builtins.__dict__)  # a name may not shadow a builtin


def _custom_builtins():
    """Names the generated code may use without defining them, as PyTorch's: ``torch`` is torchless."""
    import torchless
    from torchless.utils import _pytree as pytree
    from . import _pytree as fx_pytree
    return {"inf": math.inf, "nan": math.nan, "NoneType": type(None), "torch": torchless,
            "device": torchless.device, "fx_pytree": fx_pytree, "pytree": pytree}


class _PyTreeInfo(NamedTuple):
    """How a graph traced with container ``concrete_args`` takes and returns values: its function's parameter
    names, the structure of its inputs and of its output (its code flattens and rebuilds them)."""

    orig_args: list
    in_spec: Any
    out_spec: Any


def _snake_case(s):
    return _snake_case_sub(r"_\1", s).lower()


def _is_magic(x):
    return x.startswith("__") and x.endswith("__")


class _Namespace:
    """Unique names for the nodes of a graph (and the globals of its code): each object one name, no name twice,
    and none that shadows a builtin or keyword (``sum`` becomes ``sum_1``)."""

    def __init__(self):
        self._obj_to_name = {}
        self._used_names = set()
        self._base_count = {}

    def create_name(self, candidate, obj):
        if obj is not None and obj in self._obj_to_name:
            return self._obj_to_name[obj]
        match = _name_regex.match(candidate)
        if match is None:
            candidate = _illegal_char_regex.sub("_", candidate)
            if not candidate:
                candidate = "_unnamed"
            if candidate[0].isdigit():
                candidate = f"_{candidate}"
            match = _name_regex.match(candidate)
        base, num = match.group(1, 2)
        if num is None or candidate in self._used_names:
            num = self._base_count.get(base, 0)
            if _illegal_names.get(candidate, obj) is not obj:
                num += 1
                candidate = f"{base}_{num}"
        else:
            num = int(num)
        while candidate in self._used_names:
            num += 1
            candidate = f"{base}_{num}"
        self._used_names.add(candidate)
        self._base_count[base] = num
        if obj is not None:
            self._obj_to_name[obj] = candidate
        return candidate

    def associate_name_with_obj(self, name, obj):
        self._obj_to_name.setdefault(obj, name)


@dataclass
class PythonCode:
    """The source of a graph's function and the globals it needs to run."""

    src: str
    globals: dict


def _format_target(base, target):
    r = base
    for e in target.split("."):
        r = f"{r}.{e}" if e.isidentifier() else f'getattr({r}, "{e}")'
    return r


_reflectable_magic_methods = {
    "add": "{} + {}", "sub": "{} - {}", "mul": "{} * {}", "floordiv": "{} // {}", "truediv": "{} / {}",
    "div": "{} / {}", "mod": "{} % {}", "pow": "{} ** {}", "lshift": "{} << {}", "rshift": "{} >> {}",
    "and_": "{} & {}", "or_": "{} | {}", "xor": "{} ^ {}", "getitem": "{}[{}]", "matmul": "{} @ {}",
}
_magic_methods = {
    "eq": "{} == {}", "ne": "{} != {}", "lt": "{} < {}", "gt": "{} > {}", "le": "{} <= {}", "ge": "{} >= {}",
    "pos": "+{}", "neg": "-{}", "invert": "~{}", **_reflectable_magic_methods,
}
_inplace_methods = {
    "iadd": "{} += {}", "iand": "{} &= {}", "ifloordiv": "{} //= {}", "ilshift": "{} <<= {}", "imod": "{} %= {}",
    "imul": "{} *= {}", "imatmul": "{} @= {}", "ior": "{} |= {}", "ipow": "{} **= {}", "irshift": "{} >>= {}",
    "isub": "{} -= {}", "itruediv": "{} /= {}", "ixor": "{} ^= {}", "setitem": "{}[{}] = {}",
}


class _InsertPoint:
    def __init__(self, graph, new_insert):
        self.graph = graph
        self.orig_insert, graph._insert = graph._insert, new_insert

    def __enter__(self):
        pass

    def __exit__(self, type, value, tb):
        self.graph._insert = self.orig_insert


class _NodeList:
    def __init__(self, graph, direction="_next"):
        self.graph = graph
        self.direction = direction

    def __len__(self):
        return self.graph._len

    def __iter__(self):
        root = self.graph._root
        cur = getattr(root, self.direction)
        while cur is not root:
            if not cur._erased:
                yield cur
            cur = getattr(cur, self.direction)

    def __reversed__(self):
        return _NodeList(self.graph, "_prev" if self.direction == "_next" else "_next")


def _get_attr_reference_exists(mod, qualified_name):
    """Whether ``mod`` has a submodule, parameter or buffer at ``qualified_name``."""
    from ..nn import Module, Parameter
    module_path, _, name = qualified_name.rpartition(".")
    try:
        submod = mod.get_submodule(module_path)
    except AttributeError:
        warnings.warn(f"Failed to fetch module {module_path}!")
        return False
    if not hasattr(submod, name):
        return False
    res = getattr(submod, name)
    return isinstance(res, (Module, Parameter)) or name in submod._buffers


class Graph:
    """The intermediate representation of torch.fx: a list of :class:`Node` in execution order.

    Example::

        >>> gm = torch.fx.symbolic_trace(model)
        >>> print(gm.graph)
        graph():
            %x : [num_users=1] = placeholder[target=x]
            ...
    """

    def __init__(self, owning_module=None, tracer_cls=None, tracer_extras=None):
        self._root = Node(self, "", "root", "", (), {})
        self._used_names = {}
        self._insert = self._root.prepend
        self._len = 0
        self._graph_namespace = _Namespace()
        self._owning_module = owning_module
        self._tracer_cls = tracer_cls
        self._tracer_extras = tracer_extras
        self._pytree_info = None

    @property
    def owning_module(self):
        return self._owning_module

    @owning_module.setter
    def owning_module(self, mod):
        self._owning_module = mod

    @property
    def nodes(self):
        """The nodes of this graph, in order (a view: it follows later changes)."""
        return _NodeList(self)

    def find_nodes(self, *, op, target=None, sort=True):
        """The nodes with ``op`` (and ``target``, if given)."""
        return [n for n in self.nodes if n.op == op and (target is None or n.target == target)]

    def _target_to_str(self, target):
        if callable(target):
            op = target.__name__
        else:
            op = target
            if _is_magic(op):
                op = op[2:-2]
        return _snake_case(op)

    def create_node(self, op, target=None, args=None, kwargs=None, name=None, type_expr=None):
        """Add a node (after the current insert point) and return it; ``name`` defaults to one made from
        ``target``."""
        args = () if args is None else args
        kwargs = {} if kwargs is None else kwargs
        candidate = name if name is not None else self._target_to_str(target)
        name = self._graph_namespace.create_name(candidate, None)
        n = Node(self, name, op, target, args, kwargs, type_expr)
        self._graph_namespace.associate_name_with_obj(name, n)
        self._insert(n)
        self._len += 1
        return n

    def erase_node(self, to_erase):
        """Remove a node without users from the graph."""
        if len(to_erase.users) > 0:
            raise RuntimeError(f"Tried to erase Node {to_erase} but it still had {len(to_erase.users)} "
                               f"users in the graph: {to_erase.users}!")
        if to_erase.graph is not self:
            raise RuntimeError(f"Attempting to remove {to_erase} from wrong graph!")
        if to_erase._erased:
            return
        to_erase._remove_from_list()
        to_erase._erased = True
        self._len -= 1
        to_erase._update_args_kwargs((), {})

    def inserting_before(self, n=None):
        """Context manager: nodes created inside it go before ``n`` (the graph's start if None)."""
        if n is None:
            return self.inserting_after(self._root)
        return _InsertPoint(self, n.prepend)

    def inserting_after(self, n=None):
        """Context manager: nodes created inside it go after ``n`` (the graph's end if None)."""
        if n is None:
            return self.inserting_before(self._root)
        return _InsertPoint(self, n.append)

    def placeholder(self, name, type_expr=None, default_value=inspect.Signature.empty):
        """Add an input named ``name``."""
        args = () if default_value is inspect.Signature.empty else (default_value,)
        return self.create_node("placeholder", name, args=args, type_expr=type_expr)

    def get_attr(self, qualified_name, type_expr=None):
        """Add a fetch of the module's attribute at ``qualified_name``. With an owning module that has no such
        submodule, parameter or buffer, warns (the attribute is to be added)."""
        if self.owning_module is not None and not _get_attr_reference_exists(self.owning_module, qualified_name):
            warnings.warn("Attempted to insert a get_attr Node with no underlying reference in the owning "
                          "GraphModule! Call GraphModule.add_submodule to add the necessary submodule, "
                          "GraphModule.add_parameter to add the necessary Parameter, or nn.Module.register_buffer "
                          "to add the necessary buffer", stacklevel=2)
        return self.create_node("get_attr", qualified_name, type_expr=type_expr)

    def call_module(self, module_name, args=None, kwargs=None, type_expr=None):
        """Add a call of the submodule at ``module_name`` (with an owning module, one it has: AttributeError
        otherwise)."""
        if self.owning_module is not None:
            self.owning_module.get_submodule(module_name)
        return self.create_node("call_module", module_name, args, kwargs, type_expr=type_expr)

    def call_method(self, method_name, args=None, kwargs=None, type_expr=None):
        """Add a call of the method ``method_name`` of ``args[0]``."""
        return self.create_node("call_method", method_name, args, kwargs, type_expr=type_expr)

    def call_function(self, the_function, args=None, kwargs=None, type_expr=None):
        """Add a call of ``the_function``."""
        return self.create_node("call_function", the_function, args, kwargs, type_expr=type_expr)

    def output(self, result, type_expr=None):
        """Add the output node, returning ``result``."""
        return self.create_node(op="output", target="output", args=(result,), type_expr=type_expr)

    def node_copy(self, node, arg_transform=lambda x: x):
        """Copy ``node`` (of another graph) into this one, its node arguments mapped by ``arg_transform``."""
        args = map_arg(node.args, arg_transform)
        kwargs = map_arg(node.kwargs, arg_transform)
        result = self.create_node(node.op, node.target, args, kwargs, node.name, node.type)
        result.meta = dict(node.meta)
        return result

    def graph_copy(self, g, val_map, return_output_node=False):
        """Copy the nodes of ``g`` into this graph (``val_map`` maps g's nodes to the copies); returns the value
        of g's output."""
        for node in g.nodes:
            if node in val_map:
                continue
            if node.op == "output":
                rv = map_arg(node.args[0], lambda n: val_map[n])
                return (rv, node) if return_output_node else rv
            val_map[node] = self.node_copy(node, lambda n: val_map[n])
        return None

    def __deepcopy__(self, memo=None):
        # a copy of the nodes only (not of the owning module, which holds this graph)
        memo = memo if memo else {}
        g = Graph(tracer_cls=self._tracer_cls)
        g._pytree_info = copy.deepcopy(self._pytree_info)
        output_vals = g.graph_copy(self, val_map=memo, return_output_node=True)
        if output_vals is not None:
            output_val, old_output_node = output_vals
            new_output_node = g.output(output_val, type_expr=getattr(old_output_node, "type", None))
            new_output_node.meta = dict(old_output_node.meta)
        return g

    def eliminate_dead_code(self, is_impure_node=None):
        """Remove the nodes whose values nothing uses and that have no side effects (``Node.is_impure``: in-place
        calls are not seen as such); returns whether any was. Subgraphs (GraphModules reached by ``get_attr``)
        are cleaned too.

        Args:
            is_impure_node (Optional[Callable[[Node], bool]]): whether a node is impure, instead of
                ``Node.is_impure``
        """
        self.lint()
        changed = False
        for node in reversed(list(self.nodes)):
            impure = is_impure_node(node) if is_impure_node is not None else node.is_impure()
            if not impure and len(node.users) == 0:
                self.erase_node(node)
                changed = True
        if self.owning_module is not None:
            from .graph_module import GraphModule
            subgraph_names = {x.target for x in self.find_nodes(op="get_attr")}
            for child_name, child_module in self.owning_module.named_children():
                if child_name in subgraph_names and isinstance(child_module, GraphModule):
                    changed |= child_module.graph.eliminate_dead_code()
                    child_module.recompile()
        return changed

    def lint(self):
        """Runs various checks on this Graph to make sure it is well-formed. In particular:
        - Checks Nodes have correct ownership (owned by this graph)
        - Checks Nodes appear in topological order
        - If this Graph has an owning GraphModule, checks that targets exist in that GraphModule
        """
        seen = set()
        seen_names = set()
        for node in self.nodes:
            if node.op not in _OPS:
                raise RuntimeError(f"Node {node} had unknown opcode {node.op}!")
            if node.graph is not self:
                raise RuntimeError(f"Node '{node}' does not belong to this Graph!")
            for arg in node._input_nodes:
                if arg.graph is not self:
                    raise RuntimeError(f"Argument '{arg}' of Node '{node}' does not belong to this Graph, "
                                       f"but was used as an argument! If you are copying nodes from another "
                                       f"graph, make sure to use ``arg_transform`` on node_copy() to remap values"
                                       f"\n{self}")
                if arg not in seen:
                    raise RuntimeError(f"Argument '{arg}' of Node '{node}' was used before it has been defined! "
                                       f"Please check that Nodes in the graph are topologically ordered\n{self}")
            seen.add(node)
            if node.name in seen_names:
                raise RuntimeError(f"Node redefined name {node.name}!")
            seen_names.add(node.name)
        if self.owning_module:
            self._lint_targets()

    def _lint_targets(self):
        """The owning module's check of ``lint``: call_function targets are callables, the others names, and the
        get_attr and call_module ones lead to attributes of the module (modules, for call_module)."""
        from .._tensor import typename
        from ..nn import Module
        for node in self.nodes:
            if node.op == "call_function":
                if not callable(node.target):
                    raise ValueError(f"Node {node} target {node.target} has type {typename(node.target)} but "
                                     f"a Callable is expected")
            elif not isinstance(node.target, str):
                raise ValueError(f"Node {node} target {node.target} has type {typename(node.target)} but "
                                 f"a str is expected")
            if node.op in ("get_attr", "call_module"):
                atoms = node.target.split(".")
                owner = self.owning_module
                for i, atom in enumerate(atoms):
                    # (an attribute holding None counts as missing, as in PyTorch)
                    value = getattr(owner, atom, None)
                    seen_qualname = ".".join(atoms[:i])
                    if value is None:
                        raise RuntimeError(f"Node {node} target {node.target} references nonexistent attribute "
                                           f"{atom} of {seen_qualname}")
                    if node.op == "call_module" and not isinstance(value, Module):
                        raise RuntimeError(f"Node {node} target {node.target} {atom} of {seen_qualname} does "
                                           f"not reference an nn.Module")
                    owner = value

    def __str__(self):
        placeholder_names = []
        node_strs = [node.format_node(placeholder_names) for node in self.nodes]
        s = f"graph({', '.join(placeholder_names)}):"
        for node_str in node_strs:
            if node_str:
                s += "\n    " + node_str
        return s

    def print_tabular(self):
        """Print the nodes as a table (opcode, name, target, args, kwargs), made by the ``tabulate`` package."""
        try:
            from tabulate import tabulate
        except ImportError:
            print("`print_tabular` relies on the library `tabulate`, which could not be found on this machine. "
                  "Run `pip install tabulate` to install the library.")
            raise
        node_specs = [[n.op, n.name, n.target, n.args, n.kwargs] for n in self.nodes]
        print(tabulate(node_specs, headers=["opcode", "name", "target", "args", "kwargs"]))

    def output_node(self):
        """The graph's output node (the last node)."""
        output_node = next(iter(reversed(self.nodes)))
        if output_node.op != "output":
            raise AssertionError(f"Expected output node, got op={output_node.op}")
        return output_node

    def process_inputs(self, *args):
        """The inputs the graph's nodes take, from those given: as they are, or their leaves when the graph was
        traced with container ``concrete_args``."""
        if self._pytree_info is None:
            return args
        from ..utils._pytree import tree_leaves
        return tree_leaves(args)

    def process_outputs(self, out):
        """The output given, from the graph's: as it is, or rebuilt into the traced function's structure."""
        info = self._pytree_info
        if info is None or info.out_spec is None:
            return out
        from ..utils._pytree import tree_unflatten
        return tree_unflatten(out if isinstance(out, (list, tuple)) else [out], info.out_spec)

    def python_code(self, root_module, *, verbose=False):
        """The Python source of a function ``forward`` performing this graph (``root_module`` names its module
        argument, ``self``), and the globals it needs."""
        namespace = _Namespace()
        for node in self.nodes:
            namespace.create_name(node.name, node)
        return self._gen_python_code(self.nodes, root_module, namespace, verbose)

    def _gen_python_code(self, nodes, root_module, namespace, verbose=False):
        free_vars = []
        body = []
        globals_ = {}
        wrapped_fns = {}

        def add_global(name_hint, obj):
            qualified = _torch_qualified_name(obj)
            if qualified is not None:
                return qualified
            global_name = namespace.create_name(name_hint, obj)
            globals_[global_name] = obj
            return global_name

        for name, obj in _custom_builtins().items():
            add_global(name, obj)

        def _get_repr(arg):
            if isinstance(arg, Node):
                return repr(arg)
            if isinstance(arg, tuple) and hasattr(arg, "_fields"):
                global_name = add_global(_get_qualified_name(type(arg)), type(arg))
                return f"{global_name}{repr(tuple(arg))}"
            if isinstance(arg, tuple):
                if len(arg) == 1:
                    return f"({_get_repr(arg[0])},)"
                return "(" + ", ".join(_get_repr(a) for a in arg) + ")"
            if isinstance(arg, list):
                return "[" + ", ".join(_get_repr(a) for a in arg) + "]"
            if isinstance(arg, slice):
                return f"slice({_get_repr(arg.start)}, {_get_repr(arg.stop)}, {_get_repr(arg.step)})"
            return _torch_repr(arg)

        def _format_args(args, kwargs):
            res = [_get_repr(a) for a in args]
            res.extend([f"{k} = {_get_repr(v)}" for k, v in kwargs.items()])
            return ", ".join(res)

        node_to_last_use = {}
        user_to_last_uses = {}
        for node in reversed(nodes):
            for input_node in node._input_nodes:
                if input_node not in node_to_last_use:
                    node_to_last_use[input_node] = node
                    user_to_last_uses.setdefault(node, []).append(input_node)

        def delete_unused_values(user):
            if user.op == "placeholder":
                return
            if user.op == "output":
                body.append("\n")
                return
            nodes_to_delete = user_to_last_uses.get(user, [])
            if len(user.users) == 0:
                nodes_to_delete.append(user)
            if nodes_to_delete:
                body.append(f";  {' = '.join([repr(n) for n in nodes_to_delete] + ['None'])}\n")
            else:
                body.append("\n")

        def emit_node(node):
            if node.op == "placeholder":
                maybe_default_arg = "" if not node.args else f" = {_get_repr(node.args[0])}"
                free_vars.append(f"{node.target}{maybe_default_arg}")
                raw_name = node.target.replace("*", "")
                if raw_name != repr(node):
                    body.append(f"{repr(node)} = {raw_name}\n")
            elif node.op == "call_method":
                body.append(f"{repr(node)} = {_format_target(_get_repr(node.args[0]), node.target)}"
                            f"({_format_args(node.args[1:], node.kwargs)})")
            elif node.op == "call_function":
                name = getattr(node.target, "__name__", "")
                if getattr(node.target, "__module__", "") == "_operator" and name in _magic_methods:
                    body.append(f"{repr(node)} = "
                                f"{_magic_methods[name].format(*(_get_repr(a) for a in node.args))}")
                    return
                if getattr(node.target, "__module__", "") == "_operator" and name in _inplace_methods:
                    body.append(f"{_inplace_methods[name].format(*(_get_repr(a) for a in node.args))};  "
                                f"{repr(node)} = {_get_repr(node.args[0])}")
                    return
                global_name = add_global(_get_qualified_name(node.target), node.target)
                if (global_name == "getattr" and isinstance(node.args, tuple) and len(node.args) == 2
                        and isinstance(node.args[1], str) and node.args[1].isidentifier()):
                    body.append(f"{repr(node)} = {_format_target(_get_repr(node.args[0]), node.args[1])}")
                    return
                body.append(f"{repr(node)} = {global_name}({_format_args(node.args, node.kwargs)})")
                if node.meta.get("is_wrapped", False):
                    wrapped_fns.setdefault(global_name)
            elif node.op == "call_module":
                body.append(f"{repr(node)} = {_format_target(root_module, node.target)}"
                            f"({_format_args(node.args, node.kwargs)})")
            elif node.op == "get_attr":
                body.append(f"{repr(node)} = {_format_target(root_module, node.target)}")
            elif node.op == "output":
                if self._pytree_info is not None and self._pytree_info.out_spec is not None:
                    body.append(f"return pytree.tree_unflatten({_get_repr(node.args[0])}, self._out_spec)")
                else:
                    body.append(f"return {_get_repr(node.args[0])}")
            else:
                raise NotImplementedError(f"node: {node.op} {node.target}")

        prev_summary_str = None
        for node in nodes:
            if verbose and node.op not in ("placeholder", "output"):
                summary = node.stack_trace or "No stacktrace found for following nodes"
                summary_str = f"\n# {summary}\n"
                if summary_str != prev_summary_str:
                    prev_summary_str = summary_str
                    body.append(summary_str)
            emit_node(node)
            delete_unused_values(node)
        if len(body) == 0:
            body.append("pass\n")
        if wrapped_fns:
            from ._symbolic_trace import wrap
            wrap_name = add_global("wrap", wrap)
            wrap_stmts = "\n".join([f'{wrap_name}("{name}")' for name in wrapped_fns])
        else:
            wrap_stmts = ""
        info = self._pytree_info
        if info is None:
            if len(free_vars) == 0 or free_vars[0] != "self":
                free_vars.insert(0, "self")
            prologue = f"def forward({', '.join(free_vars)}):"
        else:  # (the function's own parameters, flattened into the placeholders along the input structure)
            fn_args = list(info.orig_args)
            if fn_args and fn_args[0] == "self":
                free_vars.insert(0, "self")
            prologue = f"def forward({', '.join(fn_args if fn_args[:1] == ['self'] else ['self', *fn_args])}):"
            if free_vars:
                names = [x.split(":")[0].split("#")[0] for x in free_vars]
                prologue += (f"\n    {', '.join(names)}, = fx_pytree.tree_flatten_spec([{', '.join(fn_args)}], "
                             f"self._in_spec)")
        code = "".join(body).lstrip("\n")
        code = "\n".join("    " + line for line in code.split("\n"))
        fn_code = f"""
{wrap_stmts}

{prologue}
{code}"""
        return PythonCode(fn_code, globals_)


def _torch_qualified_name(obj):
    """``torch.flatten`` for a torchless function, which the code reaches through its ``torch`` global; None for
    anything else, which gets a global of its own."""
    if obj is _custom_builtins().get("torch") or obj is getattr(_custom_builtins().get("torch"), "device", None):
        return None
    module = getattr(obj, "__module__", None) or ""
    if not (module == "torchless" or module.startswith("torchless.")) or isinstance(obj, type):
        return None
    name = _get_qualified_name(obj) if callable(obj) else None
    return name if name is not None and name.startswith("torch.") else None
