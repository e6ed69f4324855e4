"""What autograd nodes show of the values they saved for backward, as PyTorch's do: ``grad_fn._saved_<name>`` (a
saved tensor, or a number, size, flag ... of the op's derivative formula) and ``grad_fn._raw_saved_<name>`` (the
SavedTensor object of each saved tensor). People read them to learn what autograd keeps, and torchviz's
``make_dot(..., show_saved=True)`` draws them.

A Node class declares them in ``torch_saved``: {name: how to read it off the node}, or {node name: such a dict}
when the op's PyTorch node (hence what it saved) depends on the call (SumBackward0 / SumBackward1). Nothing is
computed or kept for them at recording or backward: each is read off the node's own fields when asked, through a
property of the node's PyTorch-named class (see graph._torch_named_class), so that ``dir(grad_fn)`` lists them.
A spec is a Saved (or SavedInput, saved_result, SavedTuple) or a function of the node giving a value
(int, tuple, None ...).
"""
import numbers

import numpy as np

from . import graph, saved_hooks
from ._released import FREED_MESSAGE

_UNSIGNED = 1 << 64


def int64(value):
    """An int64 argument as PyTorch's nodes show it: a negative one read back as unsigned (dim -1 is
    18446744073709551615); tuples element by element, None kept."""
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return tuple(int(v) % _UNSIGNED for v in value)
    return int(value) % _UNSIGNED


def number(array):
    """A number the op holds as a 0-d array it computed (not the call's own), as the Python number PyTorch's node
    shows: an int when integral."""
    value = array.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def given_number(node, array):
    """The Python number the call gave for the operand ``array`` (an input the node saved, made by
    _tensor.number_operand), else None."""
    for saved in node._checked_versions:
        tensor = saved.tensor
        if tensor is not None and tensor._data is array:
            return vars(tensor).get("_number")
    return None


def scalar(attr):
    """A spec showing the number argument the op holds in the 0-d array ``attr`` as PyTorch's node does
    (``_saved_exponent``, ``_saved_other`` of div.Scalar): the call's own number, of its own type (2, 2.0 and True
    differ; a NumPy number as the Python one), else ``number`` of the array."""
    def read(node):
        array = getattr(node, attr)
        given = given_number(node, array)
        if given is None:
            return number(array)
        kind = bool if isinstance(given, (bool, np.bool_)) else int if isinstance(given, numbers.Integral) else \
            float if isinstance(given, numbers.Real) else complex
        return kind(given)
    return read


def _wrapped_number(number):
    """PyTorch's tensor of a Python number given as a tensor operand (a wrapped number): int64, float64, bool or
    complex128, whatever the op computed in."""
    dtype = np.bool_ if isinstance(number, (bool, np.bool_)) else np.int64 if isinstance(number, numbers.Integral) \
        else np.float64 if isinstance(number, numbers.Real) else np.complex128
    tensor = graph.tensor_class()._wrap(np.asarray(number, dtype))
    tensor._number = number  # (still a wrapped number: saved_tensors_hooks never see it, as PyTorch's)
    return tensor


def sizes(array):
    """An array's sizes as a node shows them (``_saved_self_sym_sizes``)."""
    return tuple(array.shape)


def strides(array):
    """An array's strides in elements, as a node shows them (``_saved_mat1_sym_strides``)."""
    return tuple(stride // array.itemsize for stride in array.strides)


def constant(value):
    """A spec showing ``value`` whatever node it is read from (an argument fixed when the node was listed)."""
    return lambda node: value


def constants(values):
    """{name: constant(value)} of ``values``."""
    return {name: constant(value) for name, value in values.items()}


def first_listed(node, shown):
    """The ``grad_fn`` of a tensor the node ``shown`` saved from its first listed input (a view PyTorch records
    before the op, which torchless lists as a folded node)."""
    return shown.next_functions[0][0]


def _reader(array):
    """A function of the node from an attribute name or such a function (None for no tensor)."""
    if array is None or callable(array):
        return array
    return lambda node: getattr(node, array)


class Saved:
    """A saved tensor: ``array`` (an attribute name, or a function of the node) holds its values; ``grad_fn``, a
    function of (node, node read), gives the node of the graph it comes out of, None for a tensor outside the
    graph (argmax indices, a target, a mask)."""

    def __init__(self, array, grad_fn=None, needed_for=None, restores=None):
        self.array, self.grad_fn, self.needed_for = _reader(array), grad_fn, needed_for
        # the node's attribute holding the values, which an unpack_hook's tensor replaces (see saved_hooks); for
        # values that view an attribute (w.T, x's rows), ``restores`` is (that attribute, a function of (node,
        # values) giving it back)
        self.restores = restores
        self.attribute = array if isinstance(array, str) else restores[0] if restores else None

    def restore(self, node, values):
        """Puts an unpack_hook's ``values`` (an array) where the node reads these saved values."""
        setattr(node, self.attribute, values if self.restores is None else self.restores[1](node, values))

    def tensor(self, node, shown):
        """The tensor ``shown`` (the node the user reads it from) exposes, from ``node`` (whose fields hold it)."""
        if not _needed(node, self.needed_for):
            return None
        array = self.array(node)
        return None if array is None else self.wrap(node, shown, array)

    def freed(self, node):
        """What reading the tensor gives once backward has freed the node's: None for a tensor it never saved (not
        needed, or none given: PyTorch's undefined saved tensor), else PyTorch's error."""
        if not _needed(node, self.needed_for):
            return None
        try:
            undefined = self.array is not None and self.array(node) is None
        except Exception:  # noqa: BLE001 - read through fields backward released, whatever it raised: a tensor
            undefined = False
        if undefined:
            return None
        raise RuntimeError(FREED_MESSAGE)

    def wrap(self, node, shown, array):
        tensor = graph.tensor_class()._wrap(array)
        grad_fn = None if self.grad_fn is None else self.grad_fn(node, shown)
        if grad_fn is not None:
            graph.give_edge(tensor, _slot_among(node, grad_fn) if grad_fn.routes_outputs else grad_fn)
        return tensor


def _slot_among(node, shared):
    """The OutputSlot of ``shared`` (a node of several outputs) among the edges of ``node`` that leads there; for
    ``node`` one of the parts of ``shared``, a JointNode, the slot of the output ``node`` computed (its saved
    result)."""
    slot = next((edge for edge in node.edges if getattr(edge, "node", None) is shared), None)
    return shared.output_slot_of(node) if slot is None else slot


class SavedInput(Saved):
    """Input ``index`` of the op, saved as it is: the input tensor itself when the node still knows it (a leaf, or
    a tensor whose version the node checks), else its values ``array`` as a tensor of the input's graph."""

    def __init__(self, index, array=None, needed_for=None):
        super().__init__(array, needed_for=needed_for)
        self.index = index

    def tensor(self, node, shown):
        if self.array is None:  # a node that keeps the input's version only, not its values
            return self._original(node) if _needed(node, self.needed_for) else None
        return super().tensor(node, shown)

    def _original(self, node):
        """The input tensor itself, or None when the node has lost track of it."""
        edge = node.edges[self.index] if self.index < len(node.edges) else None
        if edge is not None and not isinstance(edge, graph.Node):
            return edge  # a leaf requiring grad
        if self.index in node._checked_inputs:
            position, versions = node._checked_inputs.index(self.index), node._checked_versions
            if position < len(versions) and versions[position].tensor is not None:
                return versions[position].tensor
        return None

    def wrap(self, node, shown, array):
        edge = node.edges[self.index] if self.index < len(node.edges) else None
        if edge is not None and not isinstance(edge, graph.Node) and edge._data.shape == array.shape:
            return edge
        for saved in node._checked_versions:  # the tensor holding these values whose gradient goes where the input's
            tensor = saved.tensor
            if tensor is not None and tensor._data is array and \
                    (graph._edge(tensor) if tensor._requires_grad else None) is edge:
                given = vars(tensor).get("_number")
                return tensor if given is None else _wrapped_number(given)
        return node.graph_input(self.index, array)


def _needed(node, inputs):
    """Whether a value saved only for the gradients of ``inputs`` (positions; None: for any) was saved."""
    return inputs is None or any(node.needs_input_grad[i] for i in inputs if i < len(node.needs_input_grad))


def needed_for(inputs, value, otherwise=()):
    """A value (a function of the node) PyTorch saves only for the gradients of ``inputs``; ``otherwise`` shows
    where it did not (an empty size list)."""
    return lambda node: value(node) if _needed(node, inputs) else otherwise


def saved_result(array):
    """The op's result (or one of its results), saved: a new tensor at each read, of the node's graph (PyTorch
    saves its output without its grad_fn, to make no reference cycle, and puts it back when unpacking)."""
    return Saved(array, grad_fn=lambda node, shown: shown)


class SavedTuple(Saved):
    """A tuple of saved tensors (index's ``indices``): ``array`` gives a tuple of arrays (None entries kept)."""

    def tensor(self, node, shown):
        arrays = self.array(node)
        wrap = graph.tensor_class()._wrap
        return None if arrays is None else tuple(None if a is None else wrap(a) for a in arrays)


def specs_for(cls, name):
    """The ``torch_saved`` specs of the node class ``cls`` recorded under PyTorch's node name ``name``."""
    specs = cls.torch_saved
    if specs and isinstance(next(iter(specs.values())), dict):
        return specs.get(name, {})
    return specs


def read(spec, node, shown=None):
    """The value of ``spec`` for ``node``; PyTorch's error for a saved tensor once backward has freed it."""
    shown = node if shown is None else shown
    if isinstance(spec, Saved):
        if node._freed:
            return spec.freed(node)
        return spec.tensor(node, shown)
    try:
        return spec(node)
    except (AttributeError, TypeError):
        if node._freed:  # read off an object backward released (see _released.released)
            raise RuntimeError(FREED_MESSAGE) from None
        raise


def properties(specs, owner=None):
    """{attribute: property} of ``_saved_<name>`` and ``_raw_saved_<name>`` for ``specs``; ``owner`` maps the
    node read to the node holding the values (a folded node's owner), else the node itself."""
    namespace = {}
    for name, spec in specs.items():
        namespace["_saved_" + name] = property(_saved_getter(name, spec, owner))
        if isinstance(spec, Saved):
            namespace["_raw_saved_" + name] = property(_raw_getter(name, spec, owner))
    return namespace


def _saved_getter(name, spec, owner):
    def getter(node):
        holder = node if owner is None else owner(node)
        if holder._packed is not None:  # what saved_tensors_hooks packed: unpacked at every read, as in PyTorch
            tensor = saved_hooks.unpacked_saved(holder, node.name(), name)
            if tensor is not None:
                return tensor
        return read(spec, holder, node)
    return getter


def _raw_getter(name, spec, owner):
    def getter(node):
        return SavedTensor(node if owner is None else owner(node), node, name, spec)
    return getter


class SavedTensor:
    """PyTorch's ``torch._C._autograd.SavedTensor``: a tensor a node saved for backward, as ``_raw_saved_<name>``
    gives it."""

    def __init__(self, node, shown, name, spec):
        self._node, self._shown, self._name, self._spec = node, shown, name, spec

    def register_hooks(self, *hooks):
        """Pack the saved tensor now with ``pack_hook`` and unpack it with ``unpack_hook`` wherever it is used, as
        saved_tensors_hooks does for a whole context (see saved_hooks)."""
        if len(hooks) != 2 or not all(callable(hook) for hook in hooks):
            invoked = ", ".join(map(repr, (self, *hooks)))
            raise TypeError("register_hooks(): incompatible function arguments. The following argument types are "
                            "supported:\n    1. (self: torch._C._autograd.SavedTensor, arg0: collections.abc.Callable, "
                            f"arg1: collections.abc.Callable) -> None\n\nInvoked with: {invoked}")
        if self._node._freed:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor after it has been freed. Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need "
                "to backward through the graph a second time or if you need to access saved variables after calling "
                "backward.")
        tensor = read(self._spec, self._node, self._shown)
        if tensor is None:
            raise RuntimeError("Calling register_hooks on a saved tensor with value None is forbidden")
        saved_hooks.pack_with(self._node, self._shown.name(), self._name, tensor, hooks)

    @property
    def data(self):
        """The saved tensor's values, as a tensor outside the graph."""
        tensor = read(self._spec, self._node, self._shown)
        return None if tensor is None else tensor.detach()

    def __repr__(self):
        return f"<torch._C._autograd.SavedTensor object at {hex(id(self))}>"
