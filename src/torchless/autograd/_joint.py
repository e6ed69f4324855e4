"""One node for the outputs of an op that PyTorch records as one node with several differentiable outputs
(var_mean, std_mean, aminmax, slogdet, lstsq, native_group_norm), where torchless computes each output with a node of
its own from the same inputs (each output's formula is an existing op's: a variance's, a mean's).

PyTorch shows one ``grad_fn`` for all of them (``out[0].grad_fn is out[1].grad_fn``, ``output_nr`` their position)
and runs its backward once with every output's gradient. A JointNode takes the place of the per-output nodes (its
parts) in the graph: it is the grad_fn of every output, receives their gradients together (OutputGrads) and sums
what its parts' backwards compute from them; its parts keep what they saved and check, as they did on their own.
"""
import contextlib

from . import saved_hooks, saved_values
from .graph import Node, named_as_pytorch, share_output


class JointNode(Node):
    """The one node of outputs each computed by a ``part`` node of the same inputs (None for an output whose
    gradient PyTorch's formula ignores, as a real determinant's sign): named as the parts are."""

    complex_aware = True  # (each part's backward is run as the engine would run it: see backward)

    def __init__(self, parts):
        self.parts = parts
        shown = self.shown = next(part for part in parts if part is not None)
        self.edges, self.needs_input_grad = shown.edges, shown.needs_input_grad
        self._saves_tensors = any(part._saves_tensors for part in self._recorded())
        self._node_name = shown.name()
        if hasattr(shown, "_forward_stack"):
            self._forward_stack = shown._forward_stack

    def _recorded(self):
        return [part for part in self.parts if part is not None]

    def name(self):
        return self._node_name

    def check_saved_versions(self):
        for part in self._recorded():
            if part._saves_tensors:
                part.check_saved_versions()

    def backward(self, grad):
        from ._engine import _holomorphic_backward

        def run(part, part_grad):
            if part_grad.dtype.kind == "c" and not part.complex_aware:
                return _holomorphic_backward(part, part_grad)
            return part.backward(part_grad)
        return self._summed(grad, run)

    def backward_graph(self, grad):
        from ._engine import _graph_backward
        from ._graph_backward import backward_graph_method

        return self._summed(grad, lambda part, part_grad: _graph_backward(backward_graph_method(part), part,
                                                                          part_grad))

    def _summed(self, grad, run):
        """The sum over the outputs reached of what ``run(part, gradient)`` gives for each input."""
        from ._engine import _sum_of

        for part in self._recorded():
            if part._packed is not None:  # (what saved_tensors_hooks packed, unpacked once, as PyTorch's node does)
                saved_hooks.unpack_node(part)
        total = [None] * len(self.edges)
        for index, part_grad in sorted(grad.reached.items()):
            part = self.parts[index]
            if part is None:
                continue
            for position, input_grad in enumerate(run(part, part_grad)):
                if input_grad is not None:
                    previous = total[position]
                    total[position] = input_grad if previous is None else _sum_of(previous, input_grad)
        return tuple(total)

    def release(self):
        for part in self._recorded():
            part.release()
            self._freed = self._freed or part._freed

    @property
    def next_functions(self):
        return self.shown.next_functions

    def output_slot_of(self, part):
        """The OutputSlot of the output ``part`` computed (whose saved result is that output)."""
        return self.slots[self.parts.index(part)]

    def __getattr__(self, attr):
        # what PyTorch's node saved, as the first part that saved it shows it (aminmax's parts each save their own
        # result): None if no part did
        if attr.startswith(("_saved_", "_raw_saved_")):
            name = attr.removeprefix("_raw_saved_" if attr.startswith("_raw_") else "_saved_")
            found, value = False, None
            for part in self._recorded():
                spec = saved_values.specs_for(saved_hooks._op_class(part), part.name()).get(name)
                if spec is not None:
                    getter = saved_values.properties({name: spec}, owner=lambda node, part=part: part)[attr]
                    found, value = True, getter.fget(self)
                    if value is not None and getattr(value, "data", True) is not None:
                        return value
            if found:
                return value
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{attr}'")

    def __dir__(self):
        names = set(super().__dir__())
        for part in self._recorded():
            names.update(attr for attr in dir(part) if attr.startswith(("_saved_", "_raw_saved_")))
        return sorted(names)


@contextlib.contextmanager
def recording_parts():
    """The block computing the outputs that joint_outputs then joins: their nodes pack nothing for
    saved_tensors_hooks there, as joint_outputs packs what PyTorch's one node saves, each tensor once."""
    stack = saved_hooks.state.stack
    saved_hooks.state.stack = []
    try:
        yield
    finally:
        saved_hooks.state.stack = stack


def joint_outputs(tensors):
    """Make ``tensors``, the outputs of one op (computed under recording_parts), the outputs of one node as PyTorch
    records them: each computed by a node of its own (or, for an output whose gradient PyTorch's formula ignores, by
    none) becomes an output of a JointNode of those nodes. Nothing changes when no output was recorded (no input
    requires grad). Returns ``tensors``."""
    parts = [tensor._grad_fn for tensor in tensors]
    if all(part is None for part in parts):
        return tensors
    if saved_hooks.state.stack:
        packed = set()
        for part, tensor in zip(parts, tensors):
            if part is not None and part._packed is not None:  # (recorded outside recording_parts: packed)
                packed.update(part._packed)
            elif part is not None:
                packed.update(saved_hooks.pack_node(part, tensor, skip=packed))
    node = JointNode(parts)
    node.record_sequence()
    named_as_pytorch(node)
    for index, tensor in enumerate(tensors):
        share_output(node, tensor, index, len(tensors))
    node.slots = [tensor.__dict__["_output_slot"] for tensor in tensors]
    for part, slot in zip(parts, node.slots):
        if part is not None:
            part._joined_as = slot
    return tensors
