"""torch.fx on torchless: symbolic tracing of modules and functions into graphs of their operations
(:func:`symbolic_trace`, :class:`Tracer`, :class:`Graph`, :class:`Node`, :class:`Proxy`), modules generated from
graphs (:class:`GraphModule`), running graphs node by node (:class:`Interpreter`) and rewriting them
(:func:`replace_pattern`)."""
from .graph import Graph
from .graph_module import GraphModule
from .interpreter import Interpreter, Transformer
from .node import Node, has_side_effect, map_arg
from .proxy import Proxy
from ._symbolic_trace import PH, ProxyableClassMeta, Tracer, symbolic_trace, wrap
from .subgraph_rewriter import replace_pattern

__all__ = ["symbolic_trace", "Tracer", "wrap", "Graph", "GraphModule", "Interpreter", "Transformer", "Node", "Proxy",
           "map_arg", "PH", "ProxyableClassMeta", "replace_pattern",
           "has_side_effect"]
