"""fx's :class:`Proxy`: the stand-in for a value during symbolic tracing. Every operation on a Proxy (an operator,
a method, a torch function it is passed to) records a :class:`~torchless.fx.Node` and returns a new Proxy."""
import collections
import copy
import dis
import inspect
import operator
import sys

from .graph import Graph, _magic_methods, _reflectable_magic_methods
from .node import Node

__all__ = ["TracerBase", "GraphAppendingTracer", "TraceError", "Proxy", "Attribute", "ParameterProxy"]


class TraceError(ValueError):
    """Raised when tracing meets what a symbolic value cannot do: control flow on it, iterating it."""


class TracerBase:
    """What a :class:`Proxy` records into: a graph, and how to turn values into node arguments."""

    graph: Graph
    record_stack_traces = False
    trace_asserts = False
    proxy_buffer_attributes = False
    scope = None

    def create_node(self, kind, target, args, kwargs, name=None, type_expr=None):
        """Add a node to the graph; subclasses may attach metadata."""
        node = self.graph.create_node(kind, target, args, kwargs, name, type_expr)
        module_stack = getattr(self, "module_stack", None)
        if module_stack:  # (the modules whose forward is being traced: {path[@call]: (path, class)})
            node.meta["nn_module_stack"] = copy.copy(module_stack)
        return node

    def proxy(self, node):
        return Proxy(node, self)

    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None, proxy_factory_fn=None):
        """Record the operation and return the :class:`Proxy` of its result."""
        args_ = self.create_arg(args)
        kwargs_ = self.create_arg(kwargs)
        node = self.create_node(kind, target, args_, kwargs_, name, type_expr)
        return self.proxy(node) if proxy_factory_fn is None else proxy_factory_fn(node)

    def create_arg(self, a):
        """An argument as a node argument: proxies become their nodes, containers are mapped."""
        if isinstance(a, Proxy):
            return a.node
        if isinstance(a, tuple):
            t = tuple(self.create_arg(elem) for elem in a)
            return t if not hasattr(a, "_fields") else type(a)(*t)
        if isinstance(a, list):
            return [self.create_arg(elem) for elem in a]
        if isinstance(a, dict):
            r = {}
            for k, v in a.items():
                k = self.create_arg(k)
                if isinstance(k, Node):
                    raise RuntimeError(f"Keys for dictionaries used as an argument cannot contain a Node. Got key: {k}")
                r[k] = self.create_arg(v)
            return r
        if isinstance(a, slice):
            return slice(self.create_arg(a.start), self.create_arg(a.stop), self.create_arg(a.step))
        if isinstance(a, range):
            return range(self.create_arg(a.start), self.create_arg(a.stop), self.create_arg(a.step))
        if a is None or a is ... or isinstance(a, (str, int, float, bool, complex)) or _is_torch_value(a):
            return a
        raise NotImplementedError(f"argument of type: {type(a)}")

    def to_bool(self, obj):
        """Called when a Proxy's truth is needed (control flow): it is not known while tracing."""
        raise TraceError("symbolically traced variables cannot be used as inputs to control flow")

    def iter(self, obj):
        """Called when a Proxy is iterated: its length is not known while tracing."""
        raise TraceError("Proxy object cannot be iterated. This can be attempted when the Proxy is used in a loop "
                         "or as a *args or **kwargs function argument. See the torch.fx docs on pytorch.org for a "
                         "more detailed explanation of what types of control flow can be traced, and check out the "
                         "Proxy docstring for help troubleshooting Proxy iteration errors")

    def keys(self, obj):
        """Called for ``**proxy``."""
        return Attribute(obj, "keys")()


def _is_torch_value(a):
    """dtypes, devices, memory formats, layouts, sizes: torchless constants a node may hold as they are."""
    module = type(a).__module__ or ""
    return module == "torchless" or module.startswith("torchless.") or isinstance(a, (Node, type))


class GraphAppendingTracer(TracerBase):
    """A tracer appending to an existing ``graph`` (to build graphs with Proxies by hand)."""

    def __init__(self, graph):
        super().__init__()
        self.graph = graph
        self.module_stack = collections.OrderedDict()


class Proxy:
    """A value being traced: operations on it record :class:`Node` s in its tracer's graph.

    Tracing cannot take a branch on a Proxy's value (``if x.sum() > 0``), iterate it (``for row in x``) or take
    its ``len``: each raises (:class:`TraceError`, or RuntimeError for ``len``).
    """

    def __init__(self, node, tracer=None):
        if tracer is None:
            tracer = GraphAppendingTracer(node.graph)
        self.tracer = tracer
        self.node = node

    def __repr__(self):
        return f"Proxy({self.node.name})"

    def __getattr__(self, k):
        if k.startswith("__") and k.endswith("__"):  # (copy, pickle probe dunders: not recorded)
            raise AttributeError(k)
        return Attribute(self, k)

    def __getstate__(self):
        return self.__dict__

    def __setstate__(self, d):
        self.__dict__ = d

    def __call__(self, *args, **kwargs):
        return self.tracer.create_proxy("call_method", "__call__", (self,) + args, kwargs)

    def __iter__(self):
        frame = inspect.currentframe()
        calling_frame = frame.f_back
        instructions = list(dis.get_instructions(calling_frame.f_code))
        if sys.version_info >= (3, 11):
            from bisect import bisect_left
            inst_idx = bisect_left(instructions, calling_frame.f_lasti, key=lambda x: x.offset)
        else:
            inst_idx = calling_frame.f_lasti // 2
        inst = instructions[inst_idx]
        if inst.opname == "UNPACK_SEQUENCE":  # `a, b = proxy`: as many items as the statement unpacks
            return (self[i] for i in range(inst.argval))
        return self.tracer.iter(self)

    def __abs__(self):
        return self.tracer.create_proxy("call_function", operator.abs, (self,), {})

    def __bool__(self):
        return self.tracer.to_bool(self)

    def keys(self):
        return self.tracer.keys(self)

    def __len__(self):
        raise RuntimeError("'len' is not supported in symbolic tracing by default. If you want this call to be "
                           "recorded, please call torch.fx.wrap('len') at module scope")


class Attribute(Proxy):
    """``proxy.name``: recorded as a ``getattr`` node only when used as a value, as a ``call_method`` node when
    called."""

    def __init__(self, root, attr):
        self.root = root
        self.attr = attr
        self.tracer = root.tracer
        self._node = None

    @property
    def node(self):
        if self._node is None:
            self._node = self.tracer.create_proxy("call_function", getattr, (self.root, self.attr), {}).node
        return self._node

    def __call__(self, *args, **kwargs):
        return self.tracer.create_proxy("call_method", self.attr, (self.root,) + args, kwargs)


class ParameterProxy(Proxy):
    """The Proxy of a module's parameter: its shape, size, dim and number of elements are known while tracing."""

    def __init__(self, tracer, node, name, param):
        super().__init__(node, tracer)
        self.param = param
        self.name = name

    def __repr__(self):
        return f"ParameterProxy({self.name})"

    @property
    def shape(self):
        return self.param.shape

    def size(self):
        return self.param.size()

    def dim(self):
        return self.param.dim()

    @property
    def ndim(self):
        return self.param.ndim

    def numel(self):
        return self.param.numel()

    def nelement(self):
        return self.param.nelement()


def _define_magic(method):
    def impl(*args, **kwargs):
        # (looked up when called: operator has no `div`, and __div__ is never called)
        return args[0].tracer.create_proxy("call_function", getattr(operator, method), args, kwargs)

    impl.__name__ = method
    as_magic = f'__{method.strip("_")}__'
    setattr(Proxy, as_magic, impl)


for _method in _magic_methods:
    _define_magic(_method)


def _define_reflectable(orig_method_name):
    method_name = f'__r{orig_method_name.strip("_")}__'

    def impl(self, rhs):
        return self.tracer.create_proxy("call_function", getattr(operator, orig_method_name), (rhs, self), {})

    impl.__name__ = method_name
    setattr(Proxy, method_name, impl)


for _method in _reflectable_magic_methods:
    _define_reflectable(_method)
