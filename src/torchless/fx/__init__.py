"""torch.fx on torchless: symbolic tracing of modules and functions into graphs of their operations
(:func:`symbolic_trace`, :class:`Tracer`, :class:`Graph`, :class:`Node`, :class:`Proxy`), modules generated from
graphs (:class:`GraphModule`) and running graphs node by node (:class:`Interpreter`)."""
from .graph import Graph
from .graph_module import GraphModule
from .interpreter import Interpreter, Transformer
from .node import Node, map_arg
from .proxy import Proxy
from ._symbolic_trace import PH, ProxyableClassMeta, Tracer, symbolic_trace, wrap

__all__ = ["symbolic_trace", "Tracer", "wrap", "Graph", "GraphModule", "Interpreter", "Transformer", "Node", "Proxy",
           "map_arg", "PH", "ProxyableClassMeta"]
