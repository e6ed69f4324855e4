"""The model graph of ``SummaryWriter.add_graph``, built from the module tree instead of a JIT trace.

PyTorch traces the model with ``torch.jit.trace`` and logs one node per ATen operation. torchless has no tracer,
so it runs the model once with forward hooks on its leaf modules (modules without children) and logs:

* one node per leaf-module call, in call order, named by its place in the tree the way PyTorch's scopes are
  (``Net/Sequential[features]/Conv2d[0]``; a module called again gets ``.1``, ``.2`` ... appended), with the
  module class name as its op, ``_output_shapes`` (which TensorBoard draws on the edges), ``input_shapes`` and the
  module's ``extra_repr()`` under ``attr``;
* one ``IO Node`` per model input (``input/<forward argument name>``) and per output tensor (``output/output.N``).

An edge joins a node to the node whose output tensor it received. A tensor made outside any leaf module (a
functional op in ``forward``, such as ``torch.flatten`` or a residual ``+``) has no producing node, so the edge
comes from the previous node in call order: the graph shows the order and nesting of the layers, not the
functional arithmetic between them.
"""
import inspect

from tensorboard.compat.proto.attr_value_pb2 import AttrValue
from tensorboard.compat.proto.config_pb2 import RunMetadata
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.compat.proto.node_def_pb2 import NodeDef
from tensorboard.compat.proto.step_stats_pb2 import DeviceStepStats, StepStats
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.versions_pb2 import VersionDef

_IO_OP = "IO Node"


def _tensors_in(value):
    """The tensors found in ``value``, walking tuples, lists and dict values (in order)."""
    from ..._tensor import Tensor
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _tensors_in(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _tensors_in(item)]
    return []


def _shape_proto(tensor):
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in tensor.shape])


def _shapes_attr(tensors):
    return AttrValue(list=AttrValue.ListValue(shape=[_shape_proto(t) for t in tensors]))


def _scope_names(model):
    """module -> its scope: root class name, then ``Class[attribute]`` for each step down the tree."""
    names = {}
    root = type(model).__name__

    def visit(module, scope):
        names.setdefault(module, scope)
        for attr, child in module.named_children():
            if child is not None:
                visit(child, f"{scope}/{type(child).__name__}[{attr}]")

    visit(model, root)
    return names


def _input_names(model, count):
    try:
        params = [p for p in inspect.signature(model.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [f"input/{params[i].name}" if i < len(params) else f"input/input.{i}" for i in range(count)]


def graph(model, args, verbose=False):
    """``(GraphDef, RunMetadata)`` of one forward pass of ``model`` on ``args`` (a tuple is unpacked)."""
    from ... import no_grad

    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    scopes = _scope_names(model)
    leaves = [m for m in scopes if next(iter(m.children()), None) is None]

    nodes = []
    producer = {}   # id(tensor) -> name of the node that made it
    alive = []      # the tensors keyed in ``producer``, held so that their ids are not reused
    used = {}       # scope -> number of calls so far

    input_tensors = _tensors_in(list(args))
    for name, tensor in zip(_input_names(model, len(input_tensors)), input_tensors):
        nodes.append(NodeDef(name=name, op=_IO_OP, attr={"_output_shapes": _shapes_attr([tensor])}))
        producer[id(tensor)] = name
        alive.append(tensor)

    def previous():
        return nodes[-1].name if nodes else None

    def hook(module, inputs, output):
        scope = scopes[module]
        calls = used.get(scope, 0)
        used[scope] = calls + 1
        name = scope if calls == 0 else f"{scope}.{calls}"
        in_tensors = _tensors_in(list(inputs))
        sources = []
        for t in in_tensors:
            src = producer.get(id(t)) or previous()
            if src is not None and src not in sources:
                sources.append(src)
        if not in_tensors and previous() is not None:
            sources.append(previous())
        out_tensors = _tensors_in(output)
        attr = {"_output_shapes": _shapes_attr(out_tensors), "input_shapes": _shapes_attr(in_tensors),
                "attr": AttrValue(s=module.extra_repr().encode("utf_8"))}
        nodes.append(NodeDef(name=name, op=type(module).__name__, input=sources, attr=attr))
        for t in out_tensors:
            producer[id(t)] = name
            alive.append(t)

    handles = [m.register_forward_hook(hook) for m in leaves]
    was_training = model.training
    model.train(False)  # traced in eval mode, as PyTorch's add_graph does
    try:
        with no_grad():
            result = model(*args)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()

    for i, t in enumerate(_tensors_in(result)):
        src = producer.get(id(t)) or previous()
        nodes.append(NodeDef(name=f"output/output.{i + 1}", op=_IO_OP, input=[src] if src else [],
                             attr={"_output_shapes": _shapes_attr([t])}))
    if verbose:
        for node in nodes:
            shapes = [list(d.size for d in s.dim) for s in node.attr["_output_shapes"].list.shape]
            print(f"{node.name} = {node.op}({', '.join(node.input)}) -> {shapes}")
    stats = RunMetadata(step_stats=StepStats(dev_stats=[DeviceStepStats(device="/device:CPU:0")]))
    return GraphDef(node=nodes, versions=VersionDef(producer=22)), stats
