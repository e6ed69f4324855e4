"""fx's :class:`Interpreter`: runs a :class:`GraphModule`'s graph node by node (a base for analyses that look at
each value, such as :class:`~torchless.fx.passes.shape_prop.ShapeProp`)."""
import inspect

from .node import map_aggregate, map_arg

__all__ = ["Interpreter", "Transformer"]


class Interpreter:
    """Run a GraphModule's graph one node at a time; override ``run_node`` or the per-op methods
    (``placeholder``, ``get_attr``, ``call_function``, ``call_method``, ``call_module``, ``output``) to change what
    a node does.

    Args:
        module (torch.nn.Module): The module to be executed
        garbage_collect_values (bool): Whether to delete values after their last use within the Module's execution.
        graph (Optional[Graph]): the graph to run instead of ``module.graph``
    """

    def __init__(self, module, garbage_collect_values=True, graph=None):
        self.module = module
        self.submodules = dict(self.module.named_modules())
        self.graph = graph if graph is not None else self.module.graph
        self.env = {}
        self.name = "Interpreter"
        self.garbage_collect_values = garbage_collect_values
        self.extra_traceback = True
        # Each value is dropped right after the last node reading it runs: walking the graph backwards, the first
        # reader met is the last one.
        self.user_to_last_uses = {}
        if garbage_collect_values:
            seen = set()
            for reader in reversed(self.graph.nodes):
                for value in reader._input_nodes:
                    if value not in seen:
                        seen.add(value)
                        self.user_to_last_uses.setdefault(reader, []).append(value)

    def run(self, *args, initial_env=None, enable_io_processing=True):
        """Run the graph on ``args`` and return its output."""
        self.env = initial_env if initial_env is not None else {}
        if enable_io_processing:  # (a graph traced with container concrete_args takes their leaves)
            args = self.graph.process_inputs(*args)
        self.args_iter = iter(args)
        for node in self.graph.nodes:
            if node in self.env:
                continue
            self.env[node] = self.run_node(node)
            for finished in self.user_to_last_uses.get(node, ()):
                del self.env[finished]
            if node.op == "output":
                result = self.env[node]
                return self.graph.process_outputs(result) if enable_io_processing else result
        return None

    def boxed_run(self, args_list):
        """Run the graph on the arguments in ``args_list``, which is emptied (so that they can be freed)."""
        inputs = [node for node in self.graph.nodes if node.op == "placeholder"]
        if len(args_list) != len(inputs):
            detail = "extra arguments" if len(args_list) > len(inputs) else "missing arguments"
            raise RuntimeError(f"Interpreter.boxed_run expected {len(inputs)} arguments for placeholders "
                               f"but received {len(args_list)} ({detail})")
        values = dict(zip(inputs, args_list))
        args_list.clear()
        return self.run(initial_env=values)

    def run_node(self, n):
        """Run node ``n`` and return its value."""
        args, kwargs = self.fetch_args_kwargs_from_env(n)
        return getattr(self, n.op)(n.target, args, kwargs)

    def placeholder(self, target, args, kwargs):
        """The next positional argument (its default if it was not given)."""
        if target.startswith("**"):
            return {}
        if target.startswith("*"):
            return list(self.args_iter)
        try:
            return next(self.args_iter)
        except StopIteration as si:
            if len(args) > 0:
                return args[0]
            raise RuntimeError(f"Expected positional argument for parameter {target}, but one was not passed "
                               f"in!") from si

    def get_attr(self, target, args, kwargs):
        return self.fetch_attr(target)

    def call_function(self, target, args, kwargs):
        return target(*args, **kwargs)

    def call_method(self, target, args, kwargs):
        receiver, *rest = args
        return getattr(receiver, target)(*rest, **kwargs)

    def call_module(self, target, args, kwargs):
        return self.fetch_attr(target)(*args, **kwargs)

    def output(self, target, args, kwargs):
        return args[0]

    def fetch_attr(self, target):
        """The module's attribute at the dotted path ``target``."""
        names = target.split(".")
        found = self.module
        for depth, name in enumerate(names, 1):
            if not hasattr(found, name):
                raise RuntimeError(f"Node referenced nonexistent target {'.'.join(names[:depth])}")
            found = getattr(found, name)
        return found

    def fetch_args_kwargs_from_env(self, n):
        """``n``'s args and kwargs with its input nodes replaced by their values."""
        args = self.map_nodes_to_values(n.args, n)
        kwargs = self.map_nodes_to_values(n.kwargs, n)
        return args, kwargs

    def map_nodes_to_values(self, args, n):
        def load_arg(n_arg):
            if n_arg not in self.env:
                raise RuntimeError(f"Node {n} referenced nonexistent value {n_arg}! Run Graph.lint() to diagnose "
                                   f"such issues")
            return self.env[n_arg]
        return map_arg(args, load_arg)


class Transformer(Interpreter):
    """An Interpreter that builds a new graph: each node's handler returns a Proxy recording into it, so that
    overriding ``call_function`` (say) rewrites those calls; :meth:`transform` returns the new GraphModule.

    Args:
        module (GraphModule): The ``Module`` to be transformed.
    """

    def __init__(self, module):
        from ._symbolic_trace import Tracer
        from .graph import Graph
        super().__init__(module)
        self.new_graph = Graph()

        class TransformerTracer(Tracer):
            def __init__(self, graph):
                super().__init__()
                self.graph = graph

            def is_leaf_module(self, _, __):
                return True

        self.tracer = TransformerTracer(self.new_graph)
        self.tracer.root = module

    def placeholder(self, target, args, kwargs):
        """A placeholder of the new graph, as a Proxy."""
        from .proxy import Proxy
        default = args[0] if args else inspect.Signature.empty
        return Proxy(self.new_graph.placeholder(target, default_value=default), self.tracer)

    def get_attr(self, target, args, kwargs):
        """A ``get_attr`` node of the new graph, as a Proxy."""
        return self.tracer.create_proxy("get_attr", target, args, kwargs)

    def call_module(self, target, args, kwargs):
        """A ``call_module`` node of the new graph, as a Proxy."""
        module = self.fetch_attr(target)
        return self.tracer.call_module(module, module.forward, args, kwargs)

    def call_function(self, target, args, kwargs):
        """A ``call_function`` node of the new graph, as a Proxy."""
        return self.tracer.create_proxy("call_function", target, args, kwargs)

    def transform(self):
        """Run the transformation and return the new GraphModule."""
        from ._symbolic_trace import _Patcher, _record_torch_functions
        from .graph_module import GraphModule
        from .proxy import Proxy
        with _Patcher() as patcher:  # (torch functions an override calls on Proxies record, as in a trace)
            _record_torch_functions(patcher)
            result = super().run(enable_io_processing=False)
        if result is not None:
            self.new_graph.output(map_aggregate(result, lambda a: a.node if isinstance(a, Proxy) else a))
        return GraphModule(self.module, self.new_graph)
