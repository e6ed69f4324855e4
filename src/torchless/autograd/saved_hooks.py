"""Hooks on the tensors autograd saves for backward (PyTorch's ``torch.autograd.graph.saved_tensors_hooks``): inside
the context, ``pack_hook`` gets each tensor a recorded node saves, when it saves it, and what it returns is kept;
``unpack_hook`` gets that back whenever the tensor is needed (the node's backward, a read of ``grad_fn._saved_*``,
``ctx.saved_tensors``) and its tensor is used in the saved one's place. People use them to move activations to
the CPU or to disk, or to count and inspect what training keeps.

A node's saved tensors are those its ``_saved_*`` attributes show (see saved_values), packed in that order; the
nodes PyTorch records before the op and torchless folds into it (cross_entropy's log_softmax) are packed first.
"""
import contextlib
import threading

import numpy as np

from ._released import FREED_MESSAGE


class _State(threading.local):
    """Per-thread, as in PyTorch: hooks a thread enters (or disables) leave the recording of other threads alone."""

    def __init__(self):
        # The (pack_hook, unpack_hook) pairs of the saved_tensors_hooks contexts entered, innermost last: only that
        # one applies.
        self.stack = []
        self.disabled_message = None  # the error disable_saved_tensors_hooks gives, while it is in force
        self.mutation_context = None  # the allow_mutation_on_saved_tensors context entered, if any


state = _State()

_PACK_IN_PLACE = ("A saved tensor pack hook is modifying its input in place. Tensors provided as input to pack hook "
                  "cannot be modified by in-place operations as this can lead to unexpected side-effects. Please open "
                  "an issue if you need to perform in-place operations on the input to a pack hook.")


class saved_tensors_hooks:
    """Context manager calling ``pack_hook(tensor)`` on each tensor saved for backward within it, and
    ``unpack_hook(packed)`` on what it returned when the tensor is used; unpack_hook must return a tensor."""

    __module__ = "torchless.autograd.graph"  # (its public home, as PyTorch's)

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        if state.disabled_message is not None:
            raise RuntimeError(state.disabled_message)
        if not (callable(self.pack_hook) and callable(self.unpack_hook)):
            invoked = f"{self.pack_hook!r}, {self.unpack_hook!r}"
            raise TypeError("_push_saved_tensors_default_hooks(): incompatible function arguments. The following "
                            "argument types are supported:\n    1. (arg0: collections.abc.Callable, arg1: "
                            f"collections.abc.Callable) -> None\n\nInvoked with: {invoked}")
        state.stack.append((self.pack_hook, self.unpack_hook))

    def __exit__(self, *exc):
        state.stack.pop()
        return False


class save_on_cpu(saved_tensors_hooks):
    """PyTorch's hooks moving the tensors saved for backward to the CPU (and back when backward uses them):
    torchless's tensors are all in CPU memory already, so they keep each tensor as it is."""

    __module__ = "torchless.autograd.graph"  # (its public home, as PyTorch's)

    def __init__(self, pin_memory=False, device_type="cuda"):
        self.pin_memory, self.device_type = pin_memory, device_type
        super().__init__(lambda tensor: (tensor.device, tensor), lambda packed: packed[1])


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Context manager in which entering saved_tensors_hooks raises RuntimeError(``error_message``); entering it
    inside saved_tensors_hooks raises that error at once. The previous message comes back on exit."""
    previous = state.disabled_message
    try:
        if isinstance(error_message, bytes):  # (PyTorch's binding reads bytes as UTF-8 text)
            error_message = error_message.decode()
        if not isinstance(error_message, str):
            raise TypeError("_saved_tensors_hooks_disable(): incompatible function arguments. The following argument "
                            "types are supported:\n    1. (error_message: str, fail_if_non_empty: bool = True) -> "
                            f"None\n\nInvoked with: {error_message!r}")
        state.disabled_message = error_message
        if state.stack:
            raise RuntimeError(error_message)
        yield
    finally:
        state.disabled_message = previous


disable_saved_tensors_hooks.__module__ = "torchless.autograd.graph"  # (its public home, as PyTorch's)


_BACKWARD_OUTSIDE = ("Trying to backward outside of the 'allow_mutation_on_saved_tensors' context"
                     "in which the graph was originally recorded.")  # (PyTorch's words, without their space)


class _AllowMutationOnSavedContext:
    """The saved_tensors_hooks of an allow_mutation_on_saved_tensors context: each tensor saved is kept with its
    version and a copy of its values, which backward uses if the tensor has changed in place since. (PyTorch copies
    on the first in-place change, which its dispatch mode sees; torchless copies when the tensor is saved.)"""

    def __init__(self):
        self.hooks = saved_tensors_hooks(self._pack, self._unpack)

    @staticmethod
    def _pack(tensor):
        return tensor, tensor._version, tensor.detach().clone()

    def _unpack(self, kept):
        if state.mutation_context is not self:
            raise AssertionError(_BACKWARD_OUTSIDE)
        tensor, version, values = kept
        return tensor if tensor._version == version else values


@contextlib.contextmanager
def allow_mutation_on_saved_tensors():
    """Context manager under which tensors saved for backward may be changed in place: backward uses their values
    as they were saved. Run both forward and backward inside it. (Where torchless's backward of an op reads a saved
    tensor through a view of its own that its saved values do not give back, changing that tensor in place stays an
    error.)

    Example::

        >>> with torchless.autograd.graph.allow_mutation_on_saved_tensors():
        ...     a = torchless.ones(2, 3, requires_grad=True)
        ...     b = a.clone()
        ...     out = (b ** 2).sum()
        ...     b.sin_()
        ...     out.sum().backward()  # a.grad is 2 everywhere, the gradient at b before sin_
    """
    ctx = _AllowMutationOnSavedContext()
    with ctx.hooks:
        try:
            if state.mutation_context is not None:
                raise RuntimeError("allow_mutation_on_saved_tensors contexts cannot be nested")
            state.mutation_context = ctx
            yield ctx
        finally:
            state.mutation_context = None


allow_mutation_on_saved_tensors.__module__ = "torchless.autograd.graph"  # (its public home, as PyTorch's)


_OWN_OUTPUT = object()  # a Packed's grad_fn for the output of the node that saved it


class Packed:
    """A saved tensor as a pack_hook kept it: what the hook returned, the unpack_hook of the same context, and the
    saved tensor's place in the graph (whether it requires grad, its grad_fn; _OWN_OUTPUT for the node's own output,
    which would make a cycle)."""

    __slots__ = ("value", "unpack_hook", "requires_grad", "grad_fn")

    def __init__(self, value, unpack_hook, requires_grad, grad_fn):
        self.value, self.unpack_hook = value, unpack_hook
        self.requires_grad, self.grad_fn = requires_grad, grad_fn

    def unpacked(self, node):
        """A tensor of the values unpack_hook gives back (which must be a tensor) in the saved tensor's place in
        the graph, as PyTorch's SavedVariable unpacks; ``node`` is the node that saved it."""
        from .graph import give_edge, tensor_class

        values = self.unpack_hook(self.value)
        if not isinstance(values, tensor_class()):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                            f"{type(values).__name__}")
        tensor = tensor_class()._wrap(values._data)
        if self.requires_grad:
            give_edge(tensor, node if self.grad_fn is _OWN_OUTPUT else self.grad_fn)
        return tensor


def packed(tensor, node, hooks=None):
    """``tensor``, saved by ``node``, as the innermost pack_hook (or that of the pair ``hooks``) keeps it (a
    Packed); PyTorch's error when pack_hook changed the tensor in place."""
    pack_hook, unpack_hook = state.stack[-1] if hooks is None else hooks
    counter = tensor._version_counter()
    version = counter[0]
    kept = pack_hook(tensor)
    if counter[0] != version:
        raise RuntimeError(_PACK_IN_PLACE)
    from .graph import output_node

    grad_fn = output_node(tensor)
    return Packed(kept, unpack_hook, tensor._requires_grad, _OWN_OUTPUT if grad_fn is node else grad_fn)


def _unpacked(kept, node):
    """The tensor (or tuple of tensors and None) of a Packed (or tuple of them)."""
    if isinstance(kept, tuple):
        return tuple(None if k is None else k.unpacked(node) for k in kept)
    return kept.unpacked(node)


def _is_wrapped_number(tensor):
    """Whether ``tensor`` is a Python number given as an operand (x * 2's 2), which PyTorch never shows a hook."""
    return "_number" in vars(tensor)


def pack_node(node, result, skip=frozenset()):
    """Pack the tensors ``node`` (just recorded, its output ``result``) saved, as PyTorch's node saves them: the
    nodes folded into it first, then its own (``_saved_*`` order). ``skip``: the (node name, saved name) of tensors
    packed already (by another part of one node, see _joint). Returns the keys of those it packed."""
    from . import saved_values

    kept = {}
    own = node.name()
    replaced, read_as_saved = [], []  # the tensors packed whose unpacked values backward reads, and the others
    keys, restored = {}, {}  # id(tensor): its key in kept; key: the spec of a replaced tensor
    for owner_name, shown, specs in _saved_tensor_specs(node):
        for name, spec in specs:
            if (owner_name, name) in skip:
                continue
            tensor = saved_values.read(spec, node, shown)
            if tensor is None or not isinstance(tensor, tuple) and _is_wrapped_number(tensor):
                continue
            if isinstance(tensor, tuple):
                kept[owner_name, name] = tuple(None if t is None else packed(t, node) for t in tensor)
                continue
            if result is not None and tensor._grad_fn is node and tensor._data is result._data:
                tensor = result  # the output itself, as PyTorch passes it
            viewed = _input_viewed(node, spec)
            if viewed is not None:  # a view of an input (w.T): its version is the input's, as PyTorch's view's
                tensor._counter = viewed._version_counter()
            kept[owner_name, name] = packed(tensor, node)
            keys[id(tensor)] = owner_name, name
            if _replaceable(node, spec) and (owner_name == own or spec.restores is not None):
                replaced.append(tensor if viewed is None else viewed)
                restored[owner_name, name] = spec
            else:
                read_as_saved.append(tensor)
    for tensor in replaced:
        if all(tensor is not other for other in read_as_saved):
            _unchecked(node, tensor, result)
    if restored:
        node._restored = restored
    # The others, where backward reads the tensor's array from attributes of the node, as PyTorch reads its saved
    # tensor: those attributes take the unpacked values too (where no other array of the node may share the memory,
    # which backward would read changed: its changes then stay an error)
    holders = {}
    for tensor in read_as_saved:
        names = _attributes_holding(node, tensor._data)
        if names is not None:
            holders[keys[id(tensor)]] = names
            _unchecked(node, tensor, result)
    if holders:
        node._holders = holders
    if kept:
        node._packed = kept
    return kept.keys()


def _attributes_holding(node, array):
    """The names of ``node``'s attributes holding ``array`` itself, whose values the unpacked tensor replaces;
    None when another of its arrays may share that memory (a view of it), which backward would read changed."""
    names = []
    for name, value in vars(node).items():
        if value is array:
            names.append(name)
        elif isinstance(value, np.ndarray) and np.may_share_memory(value, array):
            return None
        elif isinstance(value, (tuple, list)) and any(
                isinstance(item, np.ndarray) and np.may_share_memory(item, array) for item in value):
            return None
    return names


def _replaceable(node, spec):
    """Whether the tensor ``spec`` describes is read by ``node``'s backward from an attribute that an unpack_hook's
    tensor replaces (see unpack_node)."""
    attribute = getattr(spec, "attribute", None)
    return attribute is not None and getattr(node, attribute, None) is not None


def _input_viewed(node, spec):
    """The input (a tensor whose version ``node`` checks) of which the saved tensor ``spec`` describes a view that
    an unpack_hook's values give back (see Saved's ``restores``), else None."""
    if getattr(spec, "restores", None) is None:
        return None
    array = getattr(node, spec.attribute, None)
    return next((saved.tensor for saved in node._checked_versions
                 if saved.tensor is not None and saved.tensor._data is array), None)


def _unchecked(node, tensor, result):
    """Stop checking the version of ``tensor``, saved by ``node`` and packed: as in PyTorch, backward uses what the
    unpack_hook gives, whatever in-place changes the tensor saw. (A tensor backward reads otherwise stays checked:
    its changes would reach backward.)"""
    if tensor is result:
        node._checked_output = None
    else:
        node._checked_versions = [saved for saved in node._checked_versions if saved.tensor is not tensor]


def _saved_tensor_specs(node):
    """[(node name, node showing them, [(name, Saved spec)])] of ``node``'s saved tensors, folded nodes first."""
    from . import graph, saved_values

    found = []
    for edge, _ in node.next_functions:  # (the folded nodes PyTorch's graph lists, the same objects at every look)
        if isinstance(edge, graph.FoldedNode):
            specs = edge._own_specs if edge._own_specs is not None else type(node).folded_saved.get(edge.name(), {})
            found.append((edge.name(), edge, _tensor_specs(edge.name(), specs)))
    name = node.name()
    found.append((name, node, _tensor_specs(name, saved_values.specs_for(_op_class(node), name))))
    return found


# PyTorch's nodes save their tensors in the order its derivative formulas first use them, which for these differs
# from the order of their arguments (a name not listed comes after those listed)
_SAVING_ORDER = {
    "MulBackward0": ("other", "self"), "DivBackward0": ("other", "self"), "MmBackward0": ("mat2", "self"),
    "BmmBackward0": ("mat2", "self"), "MaximumBackward0": ("other", "self"), "MinimumBackward0": ("other", "self"),
    "PowBackward1": ("exponent", "self", "result"), "LinalgVectorNormBackward0": ("self", "result"),
    "NativeLayerNormBackward0": ("weight", "input", "bias"),
    "NativeBatchNormBackward0": ("input", "running_mean", "running_var", "weight"),
}


def _tensor_specs(node_name, specs):
    """[(name, spec)] of the saved tensors among ``specs`` of PyTorch's node ``node_name``, in its saving order."""
    from . import saved_values

    tensors = [(name, spec) for name, spec in specs.items() if isinstance(spec, saved_values.Saved)]
    order = _SAVING_ORDER.get(node_name)
    if order is not None:
        tensors.sort(key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    return tensors


def unpack_node(node):
    """Unpack what ``node`` packed, before its backward runs: each unpacked tensor replaces the values the node
    reads for it (where the node keeps them as one attribute), the node's own first, as PyTorch's backward unpacks."""
    if node._freed:
        raise RuntimeError(FREED_MESSAGE)
    own = node.name()
    for (owner_name, name), kept in sorted(node._packed.items(), key=lambda item: item[0][0] != own):
        tensors = _unpacked(kept, node)
        spec = node._restored.get((owner_name, name))
        if spec is not None and not isinstance(tensors, tuple):
            spec.restore(node, tensors._data)
        for attribute in node._holders.get((owner_name, name), ()):
            setattr(node, attribute, tensors._data)


def _op_class(node):
    """The op class of a recorded node (its class is the subclass named as PyTorch's node, see graph)."""
    return type(node).__dict__.get("_named_from", type(node))


def pack_with(node, owner_name, name, tensor, hooks):
    """Pack ``tensor``, the saved tensor ``name`` of ``node`` (of its folded node ``owner_name``), with the hooks
    given to its SavedTensor's register_hooks."""
    key = (owner_name, name)
    if node._packed is not None and key in node._packed:
        raise RuntimeError("Calling register_hooks on a saved tensor whose hooks have already been set. Hint: only "
                           "one pair of hooks is allowed at a time.")
    kept = packed(tensor, node, hooks)
    if node._packed is None:
        node._packed = {}
    node._packed[key] = kept
    spec = next((dict(specs).get(name) for owner, _, specs in _saved_tensor_specs(node) if owner == owner_name), None)
    if _replaceable(node, spec) and (owner_name == node.name() or spec.restores is not None):
        node._restored = {**node._restored, key: spec}  # (backward reads the unpacked values)


def unpacked_saved(node, owner_name, name):
    """The tensor unpack_hook gives for the saved tensor ``name`` of ``node`` (PyTorch unpacks at every read of
    ``_saved_<name>``), or None when it was not packed."""
    kept = node._packed.get((owner_name, name))
    return None if kept is None else _unpacked(kept, node)
