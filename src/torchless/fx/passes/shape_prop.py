"""``ShapeProp``: run a GraphModule on example inputs and record each node's tensor shape and dtype in
``node.meta['tensor_meta']``."""
from typing import Any, NamedTuple

from ..interpreter import Interpreter
from ..node import map_aggregate

__all__ = ["TensorMetadata", "ShapeProp"]


class TensorMetadata(NamedTuple):
    """What ShapeProp records of a tensor value."""

    shape: Any
    dtype: Any
    requires_grad: bool
    stride: Any
    memory_format: Any
    is_quantized: bool
    qparams: dict


def _extract_tensor_metadata(result):
    import torchless
    memory_format = None
    for query_format in (torchless.contiguous_format, torchless.channels_last, torchless.channels_last_3d):
        if result.is_contiguous(memory_format=query_format):
            memory_format = query_format
            break
    return TensorMetadata(result.shape, result.dtype, result.requires_grad, result.stride(), memory_format,
                          False, {})


class ShapeProp(Interpreter):
    """Run the graph node by node, storing in each node's ``meta['tensor_meta']`` the :class:`TensorMetadata` of
    its value (a structure of them for tuples and lists) and in ``meta['type']`` the value's type.

    Example::

        >>> gm = torch.fx.symbolic_trace(model)
        >>> ShapeProp(gm).propagate(torch.randn(1, 1, 28, 28))
        >>> [n.meta['tensor_meta'].shape for n in gm.graph.nodes if 'tensor_meta' in n.meta]
    """

    def __init__(self, gm, fake_mode=None):
        super().__init__(gm)

    def run_node(self, n):
        import torchless
        result = super().run_node(n)
        found_tensor = False

        def extract_tensor_meta(obj):
            nonlocal found_tensor
            if isinstance(obj, torchless.Tensor):
                found_tensor = True
                return _extract_tensor_metadata(obj)
            return obj

        meta = map_aggregate(result, extract_tensor_meta)
        if found_tensor:
            n.meta["tensor_meta"] = meta
        n.meta["type"] = type(result)
        return result

    def propagate(self, *args):
        """Run the graph on ``args``, recording the metadata; returns the output."""
        return super().run(*args)
