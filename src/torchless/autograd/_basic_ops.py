"""The nodes whose backward is an error, as PyTorch's (torch/csrc/autograd/functions/basic_ops.h): ``Error``, the
node of values that are right but not differentiable, which DelayedError makes, and ``NotImplemented``, the node of
an op PyTorch records without a derivative formula."""
from . import forward_ad
from .graph import Node, _edge, listed_pair, named_as_pytorch, share_output, tensor_class

ERROR = "torch::autograd::Error"
NOT_IMPLEMENTED = "torch::autograd::NotImplemented"


class DelayedError(Node):
    """PyTorch's DelayedError: its input passed through, its node an ``Error`` whose backward raises ``message``
    (a gradient computed under create_graph=True that PyTorch does not differentiate)."""

    node_name = ERROR

    def forward(self, a, message=""):
        self.message = message
        return a

    def backward(self, grad):
        raise RuntimeError(self.message)

    backward_graph = backward

    def name(self):
        return self.node_name


def delayed_errors(tensors, message):
    """DelayedError of several ``tensors`` (None passing as None): their values, the outputs of one Error node, as
    PyTorch's ``DelayedError(message, len(tensors))`` applied to them."""
    Tensor = tensor_class()
    node = DelayedError()
    node.message = message
    node.needs_input_grad = tuple(t is not None and t._requires_grad for t in tensors)
    node.edges = tuple(_edge(t) if needs else None for t, needs in zip(tensors, node.needs_input_grad))
    node.record_sequence()
    named_as_pytorch(node)
    outputs = []
    for index, tensor in enumerate(tensors):
        output = None if tensor is None else Tensor._wrap(tensor._data)
        if output is not None and node.needs_input_grad[index]:
            share_output(node, output, index, len(tensors))
        outputs.append(output)
    return tuple(outputs)


class NotImplementedDerivative(DelayedError):
    """PyTorch's ``NotImplemented`` node: the grad_fn of an op it records without a derivative formula (floor
    division, heaviside, detach_copy), whose backward raises ``derivative for aten::<op> is not implemented``.
    ``kernel(*arrays)`` computes the op; ``op`` is its aten name."""

    node_name = NOT_IMPLEMENTED

    def forward(self, *arrays, kernel=None, op=None):
        self.op, self.message = op, f"derivative for aten::{op} is not implemented"
        return kernel(*arrays)

    jvp = forward_ad.not_differentiable_jvp

    def listed_edges(self):
        # PyTorch's node has edges for the inputs that require grad only (x // c lists x's alone)
        return tuple(listed_pair(edge) for edge in self.edges if edge is not None)
