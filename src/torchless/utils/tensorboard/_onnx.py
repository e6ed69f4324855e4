"""``add_onnx_graph``: the graph of an ONNX model file as a TensorBoard ``GraphDef`` (needs ``onnx``)."""
from tensorboard.compat.proto.attr_value_pb2 import AttrValue
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.compat.proto.node_def_pb2 import NodeDef
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.compat.proto.versions_pb2 import VersionDef


def load_onnx_graph(fname):
    """Read the ONNX file ``fname`` and convert its graph."""
    import onnx
    return parse(onnx.load(fname).graph)


def parse(graph):
    """One ``Variable`` node per graph input and output, then one node per operator, named by its first output."""
    nodes = []
    for value in list(graph.input) + list(graph.output):
        tensor_type = value.type.tensor_type
        shape = TensorShapeProto(dim=[TensorShapeProto.Dim(size=d.dim_value) for d in tensor_type.shape.dim])
        nodes.append(NodeDef(name=value.name, op="Variable", input=[],
                             attr={"dtype": AttrValue(type=tensor_type.elem_type), "shape": AttrValue(shape=shape)}))
    for op in graph.node:
        # each attribute shown as its set fields joined by " = " (name = value)
        params = ", ".join(" = ".join(str(field[1]) for field in a.ListFields()) for a in op.attribute)
        nodes.append(NodeDef(name=op.output[0], op=op.op_type, input=op.input,
                             attr={"parameters": AttrValue(s=params.encode("utf_8"))}))
    return GraphDef(node=nodes, versions=VersionDef(producer=22))
