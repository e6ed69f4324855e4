"""The autograd graph: each of torchless's differentiable operations is a Node subclass with its forward and
backward side by side (PyTorch's ``torch.autograd.graph.Node``, which ``grad_fn`` objects are).

Calling ``SomeOp.apply(*tensors, **params)`` runs ``forward`` on the tensors' arrays and, when gradients are being
recorded and some input requires grad, returns a tensor whose ``grad_fn`` is the Node instance: it remembers
where each input's gradient goes (``edges``) and whatever ``forward`` saved for ``backward``. (User-written
operations on tensors are ``autograd.Function``s, in ``function.py``, whose calls make such nodes.)

The engine that runs backward through these nodes is in _engine.py; what ``create_graph=True`` records is in
_graph_backward.py.
"""
import collections
import inspect
import itertools
import re
import weakref

import numpy as np

from .. import _memory_format
from .._floating_point import FLAG_ERRORS, is_flag_warning
from . import _view_checks, anomaly_mode, forward_ad, grad_mode, saved_hooks, saved_values
from ._released import FREED_MESSAGE, released

_grad_state = grad_mode.state
_saved_hooks_state = saved_hooks.state  # (per thread: apply asks whether its stack is empty)
_dual_state = forward_ad.state  # (apply asks whether a forward AD level is open or vmap runs)

# Each recorded node's number, in the order they were made: PyTorch's engine runs, of the nodes ready, the most
# recent first (see _engine._execution_order)
_sequence_numbers = itertools.count(1)

OUTPUT = "output"  # in ``Node.saves``: the result is saved (as exp's, relu's), not only inputs


class SavedVersion:
    """A tensor saved for backward, and its version then: backward refuses to run on a tensor an in-place op
    has changed since (its version counter, shared with its views, has moved on)."""

    __slots__ = ("counter", "version", "tensor", "array")

    def __init__(self, counter, version, tensor, array):
        self.counter, self.version = counter, version
        # A saved input is kept to name it (its grad_fn) in the error, ``array`` then the view of it PyTorch saved
        # (see Node.saved_as_views), or False; a saved output is its node's own result, kept as its array only:
        # the tensor would hold its grad_fn, that is the node, in a cycle.
        self.tensor, self.array = tensor, array


def save_tensor_versions(result, *tensors):
    """Record on ``result``'s node the versions of tensors outside the graph that it reads in backward (indices,
    masks, targets, running statistics), as PyTorch's nodes save them: changing one in place before backward is
    then PyTorch's error, where the node, holding the same memory, would silently read the new values. Returns
    ``result``."""
    node = result._grad_fn
    tensors = [t for t in tensors if t is not None and hasattr(t, "_version_counter")]
    if node is not None and tensors:
        node._checked_versions = tuple(node._checked_versions) + tuple(
            SavedVersion(t._version_counter(), t._version_counter()[0], t, False) for t in tensors)
        node._saves_tensors = True  # (the engine checks the saved versions of such nodes)
    return result


bfloat16_state = [False]  # whether bfloat16 tensors can exist (see _opmath.activate)


def autocast_cast(policy, *tensors):
    """``tensors`` (or None) as PyTorch's CPU autocast casts the operands of an op of its list ``policy`` ("lower",
    "float32" or "promote") before the op's checks, for public functions whose checks come before their node."""
    if not bfloat16_state[0]:  # (no autocast lowers anything before bfloat16 exists)
        return tensors
    from .. import _opmath

    return _opmath.autocast_inputs(policy, *tensors)



class Node:
    """A differentiable operation on arrays.

    Subclasses define ``forward(self, *arrays, **params) -> array`` and
    ``backward(self, grad) -> tuple`` returning one gradient (or None) per tensor input. ``forward``
    stores what ``backward`` needs as attributes, and lists their names in ``saved`` so they can be
    freed after backward; ``self.needs_input_grad`` tells ``backward`` which gradients to compute.
    """

    saved = ()  # names of attributes holding saved arrays, released after backward
    edges = ()
    _sequence = 0  # its number among recorded nodes (see _sequence_numbers)
    needs_input_grad = ()
    _freed = False
    _retained = None  # weak reference to a non-leaf output that asked retain_grad()
    _tensor_hooks = None  # {handle id: hook} registered on the output with Tensor.register_hook
    # The OutputSlots of the outputs of a node of several that have tensor hooks, in the order they got their first:
    # the node runs their hooks (see _engine._run_output_hooks)
    _hooked_outputs = ()
    _joined_as = None  # for a part of a JointNode (see _joint), the OutputSlot of the output it computed
    is_view = False  # the output shares its input's memory (and so its version counter)
    # _edge goes through _checked_edge for its tensors: the outputs of a node of several, which all have it as
    # grad_fn (PyTorch's one node) and each reach it through an OutputSlot of their own (see share_among), and views
    # whose use after an in-place change PyTorch refuses (see _view_checks)
    checks_edges = False
    routes_outputs = False  # (those outputs' node)
    # PyTorch's backward is one native op with a derivative of its own, whose node names the gradients computed
    # under create_graph=True: backward_graph's results get that name, this node's with "Backward" inserted
    # (ConvolutionBackwardBackward0) if True, else the name given (the op is not named after the forward's); a
    # property may say so per node (False: not for this call).
    backward_is_one_op = False
    # {input position: shape} of gradients that backward op gives in a broadcast shape, which PyTorch's engine sums
    # to the input's shape after the op's node (prelu's weight's); backward_graph returns them unsummed.
    summed_to = {}
    # The tensors that backward op reads after the gradient, whose nodes its node lists in next_functions: input
    # positions, OUTPUT (this node's result: this node) or None (a tensor outside the graph, as layer_norm's mean);
    # None: every input (see BackwardOfBackward).
    backward_inputs = None
    # {input position: backward_inputs} for a gradient PyTorch computes by another call of that op, which reads
    # the tensors in another order (mse_loss_backward(grad, target, self) gives the target's)
    backward_inputs_of = {}
    # Whether that backward op's gradients require grad whenever a tensor it reads (backward_inputs) does, even
    # where nothing flows back to it (grid_sampler_2d_backward's to the input): they are recorded under its node.
    backward_op_ties_inputs = False
    # whether backward follows PyTorch's complex convention itself (else complex gradients go through
    # _holomorphic_backward)
    complex_aware = False
    complex_aware_graph = False  # whether backward_graph alone follows PyTorch's complex convention itself
    # The tensors PyTorch saves for backward, whose in-place change before backward is an error: input
    # positions and OUTPUT. None reads them off ``saved`` and forward's parameter names (see _saved_tensors).
    saves = None
    # Tensors PyTorch saves only for some input's gradient, as a*b saves a for b's: {input or OUTPUT: (inputs,)}.
    saved_only_for = {}
    # Inputs PyTorch saves as a view of theirs, which its error describes: {input: the view of its array}, as
    # linear's weight is saved as w.t() (np.transpose) and a 1-D pooling's input as its unsqueeze(-2).
    saved_as_views = {}
    # A node PyTorch's graph has none of: next_functions list its input in its place (see shown_edge).
    listed_through = False
    _checked_versions = ()  # SavedVersion of each saved input, checked before backward
    _checked_output = None  # SavedVersion of the result when it is saved
    _output_view = None  # weak reference to the view the result was written in place into (base's node CopySlices)
    _checked_inputs, _saves_output, _saves_tensors = (), False, False  # set per subclass by __init_subclass__
    _saves_only_tensors = False  # (set per subclass too: ``saved`` names only forward's tensors and its output)
    # PyTorch's node saved no tensor this time (each was needed only for gradients no input needs, or was no
    # tensor: lerp's number weight): a second backward through it is no error
    _kept_no_tensor = False
    _packed = None  # {(node name, saved name): Packed} of what saved_tensors_hooks packed (see saved_hooks)
    _holders = {}  # {(node name, saved name): names of the attributes holding a packed tensor's array} (ditto)
    _restored = {}  # {(node name, saved name): the Saved spec restoring a packed tensor's attribute} (ditto)
    # What PyTorch's node shows of its saved values as ``_saved_<name>`` attributes: {name: spec} (see
    # saved_values), read off the node's fields when asked; its PyTorch-named class gets them as properties.
    torch_saved = {}
    folded_saved = {}  # {name of a FoldedNode it lists: its torch_saved, read off this node}
    # An op whose result apply lays out as PyTorch allocates it (see laid_out): an elementwise op as
    # TensorIterator does by default; a node overriding laid_out (a reduction's) as that says.
    elementwise = False
    # Whether backward runs when no gradient reached the node (every edge into it carried None): PyTorch's engine
    # runs every node it reaches, but its built-in ones then give their inputs no gradient without computing; a
    # custom Function's backward runs (on zeros, unless its ctx turned materialize_grads off).
    runs_without_gradient = False
    # Whether PyTorch computes the op in float32 for bfloat16 operands, rounding its results (see _opmath); None:
    # if it is elementwise; "kernel": the op's forward computes bfloat16 itself (autocast still casts its operands)
    bfloat16_in_float32 = None
    # The op's list in PyTorch's CPU autocast: "lower" (its dtype, bfloat16), "float32", or None (neither: it runs in
    # its operands' dtypes); see _opmath
    autocast = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._widens_bfloat16 = cls.elementwise if cls.bfloat16_in_float32 is None else cls.bfloat16_in_float32
        cls._checked_inputs, cls._saves_output = _saved_tensors(cls)
        cls._saves_tensors = bool(cls._checked_inputs) or cls._saves_output
        cls._saves_only_tensors = _saves_only_tensors(cls)

    @classmethod
    def apply(cls, *inputs, **params):
        if bfloat16_state[0] and cls._widens_bfloat16:  # (False until a bfloat16 tensor can exist)
            from .. import _opmath  # (imported by then: see _opmath.activate)

            result = _opmath.apply_in_float32(cls, inputs, params)
            if result is not None:
                return result
        node = cls()
        # One loop collects the arrays and whether any input requires grad (this runs for every
        # operation, and a loop measured faster than two comprehensions).
        arrays, any_requires_grad = [], False
        for t in inputs:
            if t is None:
                arrays.append(None)
            else:
                arrays.append(t._data)
                if t._requires_grad:
                    any_requires_grad = True
        try:
            out = node.forward(*arrays, **params)
        except FLAG_ERRORS as warning:  # NumPy's inf or NaN under a user's 'error' filter: see _floating_point
            if not is_flag_warning(warning):
                raise
            with np.errstate(all="ignore"):
                out = node.forward(*arrays, **params)
        result = _wrap(node.laid_out(out, arrays) if cls.elementwise and (out.ndim > 1 or not out.size) else out)
        # Without a graph the node is dropped right here, and what forward saved with it: no
        # bookkeeping (and no release) is needed.
        if any_requires_grad and _grad_state.enabled:
            # (one loop: two comprehensions cost a sixth of a view's recording)
            needs, edges = [], []
            for t in inputs:
                need = t is not None and t._requires_grad
                needs.append(need)
                edges.append(_edge(t) if need else None)
            node.needs_input_grad = needs = tuple(needs)
            node.edges = tuple(edges)
            result._requires_grad = True
            result._grad_fn = node
            node._sequence = next(_sequence_numbers)
            node.__class__ = _named_class.get(cls) or _torch_named_class(node)  # named_as_pytorch, inlined
            if node._saves_tensors:
                _record_saved_versions(node, inputs, needs, result)
            if _saved_hooks_state.stack:
                saved_hooks.pack_node(node, result)
            if anomaly_mode.state.enabled:
                node._forward_stack = anomaly_mode.forward_stack()
        if _dual_state.tracing:
            forward_ad.propagate(node, inputs, arrays, params, result)
        # (a reshape may copy; NumPy sees no memory shared with an empty array, which PyTorch always views)
        if node.is_view and (np.may_share_memory(result._data, inputs[0]._data) or not result._data.size):
            inputs[0]._as_view(result)
        return result

    def laid_out(self, out, arrays):
        """An elementwise op's result ``out`` in the layout PyTorch gives it from the op's operands ``arrays``."""
        return _memory_format.iterator_layout(out, arrays)

    def laid_out_like_input(self, out, arrays):
        """``laid_out`` for an op whose PyTorch kernel writes into ``empty_like(input)``, which keeps the input's
        strides when it is dense (size-1 dims' too, which TensorIterator would give C order's): set it as
        ``laid_out = Node.laid_out_like_input``."""
        return _memory_format.preserving(out, arrays[0])

    def forward(self, *arrays, **params):  # pragma: no cover - interface
        raise NotImplementedError

    def backward(self, grad):  # pragma: no cover - interface
        raise NotImplementedError

    def jvp(self, tangents, arrays, params, out):
        """Forward-mode AD: the tangent of the result (an array) from the tangents of the inputs (arrays, None for an
        input without one), given forward's ``arrays``, ``params`` and result ``out``. Each op defines its formula
        next to its backward (forward_ad has those shared by kinds of ops); one without goes through its
        differentiable backward (forward_ad.transposed_jvp), and raises PyTorch's error if it has none."""
        return forward_ad.transposed_jvp(self, tangents, arrays, params, out)

    def forward_ad_name(self):
        """The name of the aten op that PyTorch's error for a missing forward AD formula gives."""
        name = re.sub(r"Backward\d*$", "", self.name().removeprefix(_CPP_NAMESPACE))
        return re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()  # (Im2Col: im2col)

    def backward_graph(self, grad):
        """``backward`` for ``create_graph=True``: ``grad`` is a tensor and the gradients returned are tensors
        (or None) computed with differentiable tensor operations, so that the graph records them and they can be
        differentiated in turn. Saved arrays enter the formula through :meth:`graph_input` and
        :meth:`graph_output`. The engine calls it only when the class defining ``backward`` defines it too (a
        subclass with a backward of its own does not inherit its parent's)."""
        raise NotImplementedError(no_graph_backward_message(self))

    def graph_input(self, index, array):
        """``array``, what forward saw of input ``index``, as a tensor of the graph: the leaf itself for a leaf
        input, a tensor flowing into the input's node for a computed one, a constant for an input that needs no
        gradient."""
        from .._tensor import Tensor

        edge = self.edges[index] if index < len(self.edges) else None
        if edge is None:
            return Tensor._wrap(array)
        if not isinstance(edge, Node):
            return edge
        tensor = Tensor._wrap(array)
        give_edge(tensor, edge)
        return self._with_forward_tangent(tensor, index)

    def graph_output(self, array):
        """The saved result ``array`` as a tensor of the graph: its gradient flows back into this node (or, for a
        part of a JointNode, into that node's output it computed)."""
        from .._tensor import Tensor

        tensor = Tensor._wrap(array)
        if self._joined_as is not None:
            give_edge(tensor, self._joined_as)
            return tensor
        tensor._requires_grad, tensor._grad_fn = True, self
        return self._with_forward_tangent(tensor)

    def _with_forward_tangent(self, tensor, index=None):
        """``tensor`` with the tangent the value it holds had in forward, if a dual level saw this node run."""
        if "_fw_tangents" not in self.__dict__:
            return tensor
        from .forward_ad import with_forward_tangent

        return with_forward_tangent(self, tensor, index)

    def name(self):
        """The name PyTorch gives this node, e.g. ``ConvolutionBackward0``."""
        return type(self).__name__ + "Backward0"

    def _sequence_nr(self):
        """The node's number in the order nodes were recorded (PyTorch's ``Node._sequence_nr()``)."""
        return self._sequence

    def record_sequence(self):
        """Number this node, made outside ``apply``, as the latest recorded (see _execution_order)."""
        self._sequence = next(_sequence_numbers)

    def release(self):
        """Drop the arrays saved for backward (called once backward has used them)."""
        if self._kept_no_tensor:  # (what backward reads stays: PyTorch's node kept sizes and numbers, no tensors)
            return
        for attr in self.saved:
            setattr(self, attr, released(getattr(self, attr, None)))
        if self.saved:
            self._freed = True
        if self._packed is not None:
            self._packed = None
        self._checked_versions, self._checked_output = (), None

    def check_saved_versions(self):
        """PyTorch's error if an in-place op changed a tensor this node saved, since it saved it."""
        for saved in self._checked_versions:
            if saved.counter[0] != saved.version:
                tensor = saved.tensor
                if tensor._view_creation is not None and tensor._grad_fn is not None:
                    # PyTorch's unpacking asks the saved view for its grad_fn first, which refuses the view of a
                    # custom Function or of split whose memory changed (see _view_checks)
                    _view_checks.check_unchanged(tensor)
                raise RuntimeError(_saved_input_modified(saved))
        saved = self._checked_output
        if saved is not None and saved.counter[0] != saved.version:
            node = self
            view = None if self._output_view is None else self._output_view()
            if view is not None and view.__dict__.get("_rebased_at") != view._version_counter()[0]:
                # the output written in place into a view still alive, whose memory changed since by another way
                # than an in-place op on the view itself: PyTorch names the view's node, which it would replay
                node = Node()
                node.is_view = True
            raise RuntimeError(_modified_message(saved, node, saved.array))

    def rebase_saved_versions(self, tensor):
        """``tensor`` became this node's result in place (x.relu_()): its saved result is the tensor at its new
        version, and the old value of ``tensor`` saved as an input is a copy no later change can reach (the graph
        keeps the replaced array), as PyTorch's in-place ops save the original self."""
        if self._checked_versions:
            # only the entry of the op's own operand: the same tensor saved again as another operand
            # (y.mul_(y)) is saved as it is, which the in-place write then changes (PyTorch's error)
            saved = list(self._checked_versions)
            for i, entry in enumerate(saved):
                if entry.tensor is tensor:
                    del saved[i]
                    break
            self._checked_versions = tuple(saved)
        if self._checked_output is not None:
            counter = tensor._version_counter()
            self._checked_output = SavedVersion(counter, counter[0], None, self._checked_output.array)

    @property
    def next_functions(self):
        listed = self._listed
        if listed is None:
            listed = self.pytorch_inputs()
            if listed is None:
                return self.listed_edges()
            self._listed = listed  # the same node objects at every look, as PyTorch's
        return listed

    _listed = None

    # The order in which the gradients of this node's leaf inputs reach them (None: the edges' order), where
    # PyTorch's graph has more nodes than torchless records: its leaves' AccumulateGrad nodes run as soon as they
    # are ready, those behind a node it runs later (a linear layer's weight behind its TBackward0) after them, and
    # leaf hooks fire in that order.
    leaf_arrival_order = None

    # The inputs PyTorch's node has edges for, in its order (None: all, in order): not a number its Scalar overload
    # takes as an argument (pow(x, 2), masked_fill(mask, 1.0)), which torchless passes as a wrapped tensor input.
    listed_inputs = None

    def listed_edges(self):
        """This node's edges as ``next_functions`` lists them."""
        edges = self.edges
        if self.listed_inputs is not None and edges:
            edges = [edges[i] for i in self.listed_inputs]
        return tuple(listed_pair(e) for e in edges)

    def pytorch_inputs(self):
        """``next_functions`` where PyTorch's graph has more nodes than torchless records (the views and ops it runs
        that torchless folds into this node, listed as FoldedNodes), else None."""
        return None

    _pre_hooks = None  # {handle id: hook(grad_outputs)}, see register_prehook
    _post_hooks = None  # {handle id: hook(grad_inputs, grad_outputs)}, see register_hook

    def register_prehook(self, fn):
        """Call ``fn(grad_outputs)`` (a tuple of tensors) before this node computes its inputs' gradients; a tuple
        it returns replaces ``grad_outputs``. Returns a RemovableHandle."""
        from ..utils.hooks import RemovableHandle

        if self._pre_hooks is None:
            self._pre_hooks = {}
        handle = RemovableHandle(self._pre_hooks)
        self._pre_hooks[handle.id] = fn
        return handle

    def register_hook(self, fn):
        """Call ``fn(grad_inputs, grad_outputs)`` (tuples of tensors, None where there is none) once this node has
        computed its inputs' gradients; a tuple it returns replaces ``grad_inputs``. Returns a RemovableHandle."""
        from ..utils.hooks import RemovableHandle

        if self._post_hooks is None:
            self._post_hooks = {}
        handle = RemovableHandle(self._post_hooks)
        self._post_hooks[handle.id] = fn
        return handle

    @property
    def metadata(self):
        """A dict for the user's own records on this node (PyTorch's ``Node.metadata``)."""
        metadata = self.__dict__.get("_metadata")
        if metadata is None:
            metadata = self.__dict__["_metadata"] = {}
        return metadata

    def __repr__(self):
        return f"<{self.name().removeprefix(_CPP_NAMESPACE)} object at {hex(id(self))}>"


# A recorded node's class becomes a subclass named as PyTorch's class for that node ("AddBackward0"), since
# graph drawings (torchviz's make_dot) and teaching code label nodes with type(grad_fn).__name__: one subclass
# per op class and name, made on first use. _named_class maps classes with a fixed name() straight to theirs
# (the hot path); a name that depends on the call goes through _torch_named_class.
_named_class = {}
_torch_named_classes = {}  # (op class, name) -> its named subclass


def _torch_named_class(node):
    # An op applied through a recorded node's class (type(self).apply) starts from the op class again.
    cls = node.__class__.__dict__.get("_named_from", node.__class__)
    named = _named_subclass(cls, node.name())
    if cls.name is Node.name:
        _named_class[cls] = _named_class[named] = named
    return named


def _named_subclass(cls, name):
    """The subclass of the op class ``cls`` named ``name`` as PyTorch's node class, made on first use."""
    named = _torch_named_classes.get((cls, name))
    if named is None:
        short = name.removeprefix(_CPP_NAMESPACE)
        namespace = {"__module__": "builtins", "__qualname__": short, "_named_from": cls,
                     **saved_values.properties(saved_values.specs_for(cls, name))}
        if cls.name is Node.name:  # the default name() reads the class's name, which is now PyTorch's own
            namespace["name"] = lambda self: name
        named = _torch_named_classes[(cls, name)] = type(cls)(short, (cls,), namespace)
    return named


def renamed(node, name):
    """``node`` shown as PyTorch's node ``name`` (its class's name and ``name()``): the last node of an op that
    torchless composes of others where PyTorch records one node."""
    named = _named_subclass(node.__class__.__dict__.get("_named_from", node.__class__), name)
    if "name" not in vars(named):  # (made for an op class computing its own name, which returned this one)
        named.name = lambda self: name
    node.__class__ = named
    return node


def output_renamed(output, name):
    """``output``, its node (when it records one) shown as PyTorch's node ``name`` (see :func:`renamed`): the result
    of an op torchless composes of others (a deprecated alias computed by its successor, a norm of a difference)."""
    if output._grad_fn is not None:
        renamed(output._grad_fn, name)
    return output


def named_as_pytorch(node):
    """``node``, its class now the subclass named as PyTorch's class for it (see _torch_named_class)."""
    node.__class__ = _named_class.get(node.__class__) or _torch_named_class(node)
    return node


def _saves_only_tensors(cls):
    """Whether every attribute ``cls`` names in ``saved`` holds one of forward's tensors or its output (so that
    what it saved is what _record_saved_versions recorded)."""
    if cls.saves is not None or not cls.saved or cls.forward is Node.forward:
        return False
    parameters = list(inspect.signature(cls.forward).parameters.values())[1:]
    tensors = {p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty}
    return all(name in tensors or name == "out" for name in cls.saved)


def _saved_tensors(cls):
    """(input positions, whether the output is saved) for a Node class: ``saves`` if given; else the
    attributes named in ``saved`` that are forward's tensor parameters (those without a default) or ``out``."""
    if cls.saves is not None:
        return tuple(i for i in cls.saves if i != OUTPUT), OUTPUT in cls.saves
    if not cls.saved or cls.forward is Node.forward:
        return (), False
    parameters = list(inspect.signature(cls.forward).parameters.values())[1:]
    tensors = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty]
    return tuple(i for i, name in enumerate(tensors) if name in cls.saved), "out" in cls.saved


def _record_saved_versions(node, inputs, needs, result):
    """Remember the versions of the tensors ``node`` saved, for check_saved_versions."""
    saved = []
    only_for = node.saved_only_for
    for i in node._checked_inputs:
        tensor = inputs[i] if i < len(inputs) else None
        if tensor is None or (i in only_for and not any(needs[j] for j in only_for[i])):
            continue
        if tensor._inference:
            raise RuntimeError(_INFERENCE_SAVED)
        counter = tensor._version_counter()
        saved.append(SavedVersion(counter, counter[0], tensor, node.saved_as_views.get(i, False)))
    node._checked_versions = saved
    if node._saves_output and (OUTPUT not in only_for or any(needs[j] for j in only_for[OUTPUT])):
        counter = result._counter = [0]
        node._checked_output = SavedVersion(counter, 0, None, result._data)
    if node._saves_only_tensors and not saved and node._checked_output is None:
        node._kept_no_tensor = True


_INFERENCE_SAVED = ("Inference tensors cannot be saved for backward. Please do not use Tensors created in inference "
                    "mode in computation tracked by autograd. To work around this, you can make a clone to get a "
                    "normal tensor and use it in autograd, or use `torchless.no_grad()` instead of "
                    "`torchless.inference_mode()`.")


def _saved_input_modified(saved):
    """The error for a saved input; ``saved.array`` is the view of its array PyTorch saved instead (see
    Node.saved_as_views), if any: a view whose node, AsStrided once its base changed, the error names when it
    requires grad."""
    tensor = saved.tensor
    if not saved.array:
        return _modified_message(saved, tensor._grad_fn, tensor._data)
    grad_fn = Node() if tensor._requires_grad else None
    if grad_fn is not None:
        grad_fn.is_view = True
    return _modified_message(saved, grad_fn, saved.array(tensor._data))


def _modified_message(saved, grad_fn, array):
    from .._dtype import from_numpy_dtype, type_text

    # (PyTorch names a bfloat16 tensor by its type's C++ name here, which has no legacy tensor type)
    kind = "CPUBFloat16Type" if array.dtype.kind == "V" else type_text(from_numpy_dtype(array.dtype))
    described = f"[{kind} {list(array.shape)}]"
    if grad_fn is not None:
        described += f", which is output 0 of {_short_node_name(grad_fn)},"
    return ("one of the variables needed for gradient computation has been modified by an inplace operation: "
            f"{described} is at version {saved.counter[0]}; expected version {saved.version} instead. Hint: enable "
            "anomaly detection to find the operation that failed to compute its gradient, with "
            "torchless.autograd.set_detect_anomaly(True, check_nan=False).")


# PyTorch's nodes written in C++ (CopySlices, CopyBackwards) give their class's full name from name(), and print
# the short one in their repr
_CPP_NAMESPACE = "torch::autograd::"
COPY_SLICES = _CPP_NAMESPACE + "CopySlices"


def _short_node_name(node):
    """How PyTorch names a node in that error: ReluBackward0 as Relu, ClampBackward1 as Clamp1; a view whose
    base changed in place is replayed as AsStrided."""
    if node.is_view:
        return "AsStrided"
    name = node.name()
    if name.startswith(_CPP_NAMESPACE):  # CopySlices, CopyBackwards: PyTorch's C++ classes, named in full
        return name
    return re.sub(r"Backward0?$|Backward(?=\d+$)", "", name)  # (a custom Function's MyFnBackward as MyFn)


class ContiguousResult(Node):
    """A node whose result PyTorch allocates C-contiguous (size-1 dims' strides too) whatever the input's layout:
    reductions (TensorIterator's reduce output), scans (cumsum, cummax) and roll, where NumPy's result follows a
    permuted or channels-last input's."""
    elementwise = True  # (apply lays the result out: laid_out)

    def laid_out(self, out, arrays):
        return _memory_format.c_ordered(out)


class AccumulateGrad(Node):
    """How ``next_functions`` shows a leaf that requires grad, as PyTorch's AccumulateGrad node: ``variable`` is the
    leaf. The engine sends gradients to the leaf itself; this node only stands for it in the graph's listing."""

    def __init__(self, variable):
        self.variable = variable

    def register_prehook(self, fn):
        self.variable.__dict__["_hooked_accumulator"] = self  # hooked: as long-lived as its leaf
        return super().register_prehook(fn)

    def register_hook(self, fn):
        self.variable.__dict__["_hooked_accumulator"] = self
        return super().register_hook(fn)

    def name(self):
        return _CPP_NAMESPACE + "AccumulateGrad"

    @property
    def next_functions(self):
        return ()


def accumulate_grad_node(leaf):
    """The AccumulateGrad of ``leaf``: the same object as long as one is alive, as PyTorch's (the leaf refers to
    it weakly, so that the pair makes no reference cycle)."""
    import weakref

    ref = leaf.__dict__.get("_grad_accumulator")
    node = ref() if ref is not None else None
    if node is None:
        node = named_as_pytorch(AccumulateGrad(leaf))
        leaf.__dict__["_grad_accumulator"] = weakref.ref(node)
    return node


def shown_edge(edge):
    """How ``next_functions`` lists an edge: the node it leads to, a leaf's AccumulateGrad, or None. A node
    PyTorch's graph has no counterpart of (``listed_through``, an operand's type promotion) is looked through."""
    while isinstance(edge, Node) and edge.listed_through:
        edge = edge.edges[0]
    if edge is None or isinstance(edge, Node):
        return edge
    return accumulate_grad_node(edge)


class FoldedNode(Node):
    """A node of PyTorch's graph that torchless folds into the node listing it: the TBackward0 of the weight's
    transpose under a linear layer's AddmmBackward0, the LogSoftmaxBackward0 under cross_entropy's
    NllLossBackward0. Listed in ``next_functions`` where PyTorch has it, so that printed graphs and drawings of
    them (torchviz) have PyTorch's shape; the gradient passes through the node that folded it in, so hooks belong
    there."""

    def __init__(self, name, next_functions, folded_into, saved=None):
        self._name, self._next_functions = name, tuple(next_functions)
        self._folded_into = folded_into.name()
        # weakly: the node lists its folded nodes, and reads of their saved values go to its fields
        self._owner = weakref.ref(folded_into)
        self._own_specs = saved  # its own specs (functions of the owner), else the owner class's folded_saved
        named_as_pytorch(self)

    def name(self):
        return self._name

    def _properties_of_saved(self):
        """The ``_saved_*`` properties of this node: its owner class's ``folded_saved`` for its name."""
        owner = self._owner()
        if self._own_specs is not None:
            specs = self._own_specs
        else:
            specs = {} if owner is None else type(owner).folded_saved.get(self._name, {})
        return saved_values.properties(specs, owner=lambda node: node._live_owner())

    def _live_owner(self):
        owner = self._owner()
        if owner is None:
            raise RuntimeError(FREED_MESSAGE)
        return owner

    def __getattr__(self, attr):
        if attr.startswith(("_saved_", "_raw_saved_")):
            saved = self._properties_of_saved().get(attr)
            if saved is not None:
                return saved.fget(self)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{attr}'")

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._properties_of_saved()))

    @property
    def next_functions(self):
        return self._next_functions

    def register_prehook(self, fn):
        raise RuntimeError(f"torchless computes {self._name}'s gradient inside {self._folded_into}: "
                           f"register the hook on that node instead")

    register_hook = register_prehook


def folded(name, edge, folded_into):
    """The FoldedNode ``name`` over ``edge`` (a shown edge), or None when no gradient flows there; ``folded_into``
    is the node that computes its gradient."""
    return None if edge is None else FoldedNode(name, ((edge, 0),), folded_into)


saved_tensors_hooks = saved_hooks.saved_tensors_hooks
save_on_cpu = saved_hooks.save_on_cpu
disable_saved_tensors_hooks = saved_hooks.disable_saved_tensors_hooks
allow_mutation_on_saved_tensors = saved_hooks.allow_mutation_on_saved_tensors


def increment_version(tensor):
    """Move on the version counter of ``tensor`` (or of each tensor of an iterable), as an in-place change does:
    for code that changes a tensor's values behind autograd's back, so that backward refuses stale saved values."""
    tensors = (tensor,) if isinstance(tensor, tensor_class()) else tensor
    for t in tensors:
        t._version_counter()[0] += 1


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """Register ``fn`` to run once per backward on the gradients of ``tensors``.

    With ``mode="all"``, ``fn(grads)`` runs once the gradients of all the tensors the backward reaches are
    computed, ``grads`` holding None for the others. With ``mode="any"``, ``fn(grad)`` runs on the first gradient
    computed among the tensors (those requiring grad). Returns a handle whose ``remove()`` removes the hook.
    """
    from ..utils.hooks import _MultiHandle
    from ._engine import current_backward, will_execute

    supported_modes = ("all", "any")
    if mode not in supported_modes:
        raise ValueError(f"Expects mode to be one of {supported_modes} but got {mode}")
    if mode == "any":
        ran = set()  # the backward runs that have called fn

        def first_only(grad):
            run = current_backward()
            if run not in ran:
                ran.add(run)
                fn(grad)

        return _MultiHandle(tuple(t.register_hook(first_only) for t in tensors if t.requires_grad))

    nodes = [t if t.grad_fn is None else t.grad_fn for t in tensors]  # (a leaf stands for its accumulator)
    if not all(t.requires_grad for t in tensors):
        raise AssertionError("Expected gradient function to be set")
    arrived, buffers, expected = {}, {}, {}

    def collector(index):
        def collect(grad):
            run = current_backward()
            if run not in arrived:  # the first of this backward: how many of the tensors it reaches
                arrived[run], buffers[run] = 0, [None] * len(tensors)
                expected[run] = sum(map(will_execute, nodes))
            arrived[run] += 1
            buffers[run][index] = grad
            if arrived[run] == expected[run]:
                grads = buffers.pop(run)
                del arrived[run], expected[run]
                fn(grads)
        return collect

    return _MultiHandle(tuple(t.register_hook(collector(i)) for i, t in enumerate(tensors)))


class GradientEdge(collections.namedtuple("GradientEdge", ("node", "output_nr", "ownership_token"),
                                          defaults=(None,))):
    """Object representing a given gradient edge within the autograd graph: where the gradient of output
    ``output_nr`` of ``node`` goes. ``get_gradient_edge(tensor)`` gives a tensor's; ``autograd.grad`` and
    ``autograd.backward`` take them in place of tensors, as outputs and as inputs."""


def get_gradient_edge(tensor):
    """Get the gradient edge for computing the gradient of the given Tensor.

    In particular, it is equivalent to call ``g = autograd.grad(loss, input)`` and
    ``g = autograd.grad(loss, get_gradient_edge(input))``.
    """
    from .function import BackwardCFunction

    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does not require gradients")
    node = tensor.grad_fn
    token = None
    if node is None:
        node = accumulate_grad_node(tensor)
    elif isinstance(node, BackwardCFunction):  # (a Python node: PyTorch adds a token, a node that owns it)
        with grad_mode.enable_grad():
            token = tensor.view_as(tensor).grad_fn
    edge = GradientEdge(node, tensor.output_nr, token)
    edge._stand_in = tensor if tensor._grad_fn is None else _stand_in(_edge(tensor), tensor._data.shape,
                                                                      tensor._data.dtype)
    return edge


def _stand_in(edge, shape, dtype):
    """A tensor of the graph of ``shape`` and ``dtype`` (zeros it holds no memory for) whose gradient goes to
    ``edge``, a node or an OutputSlot: what the engine differentiates with respect to, or from, for a GradientEdge."""
    tensor = _wrap(np.broadcast_to(np.zeros((), dtype), shape))
    give_edge(tensor, edge)
    return tensor


def graph_tensor(value):
    """``value``, a tensor or a GradientEdge, as a tensor of the graph: a GradientEdge's stand-in (see _stand_in;
    the leaf itself for a leaf's AccumulateGrad). An edge made by hand rather than by get_gradient_edge tells no
    output's shape: its stand-in is a float32 scalar."""
    if not isinstance(value, GradientEdge):
        return value
    tensor = value.__dict__.get("_stand_in")
    if tensor is None:
        node = value.node
        if getattr(node, "routes_outputs", False):  # (which of the node's OutputSlots it is, only its tensor knows)
            raise NotImplementedError("torchless: a GradientEdge to an output of a node of several outputs must come "
                                      "from torchless.autograd.graph.get_gradient_edge")
        tensor = node.variable if isinstance(node, AccumulateGrad) else _stand_in(node, (), np.float32)
        value._stand_in = tensor
    return tensor


def differentiable_result(result):
    """``result`` of an out-of-place op, refused as PyTorch refuses to record a result whose dtype carries no
    gradient (an integer or bool tensor filled with a value requiring grad); the in-place forms write one."""
    if result._requires_grad and not (result.dtype.is_floating_point or result.dtype.is_complex):
        raise RuntimeError(f"Autograd not support dtype: {result.dtype.scalar_name}")
    return result


def records(*tensors):
    """Whether an operation on ``tensors`` (None entries allowed) must go through Node.apply: gradients are being
    recorded and some input requires grad (apply records a node), or some input carries a tangent (a forward AD
    level is open) or is batched (inside vmap), which apply's hook propagates. Fast paths that skip apply where it
    would do nothing of this ask this first."""
    if _grad_state.enabled:
        for t in tensors:
            if t is not None and t._requires_grad:
                return True
    return _dual_state.tracing and forward_ad.traced(tensors)


def observed(*tensors):
    """Whether anything could read what an operation on ``tensors`` saves for its backward (its saved values, masks):
    ``records(*tensors)``, or a torch.func transform or vmap running. Ops skip that work where this is False."""
    return bool(records(*tensors) or _grad_state.transform_epoch or _dual_state.vmap_levels)

def tensor_class():
    """The Tensor class, imported on use (the tensor module imports this one)."""
    from .._tensor import Tensor

    return Tensor


def _wrap(array):
    """Tensor._wrap, imported on first use (the tensor module imports this one)."""
    global _wrap
    from .._tensor import Tensor

    _wrap = Tensor._wrap
    return _wrap(array)


def _edge(tensor):
    """Where a gradient for ``tensor`` goes: its producing node (the OutputSlot of its output, for a node of several
    outputs), or the leaf tensor itself (None for a view whose gradient goes nowhere: see Tensor._grad_goes_nowhere)."""
    node = tensor._grad_fn
    if node is None:
        if tensor._view_creation is not None:  # (a view made in no_grad or inference mode)
            _view_checks.check_unchanged(tensor)
            if tensor._grad_goes_nowhere:
                return None
        return tensor
    if node.checks_edges:
        return _checked_edge(tensor, node)
    return node


def _checked_edge(tensor, node):
    if tensor._view_creation is not None:
        _view_checks.check_unchanged(tensor)
    slot = tensor.__dict__.get("_output_slot")
    return slot if slot is not None and slot.node is node else node


def output_node(tensor):
    """The node receiving ``tensor``'s gradient (that node's retain_grad and hooks are the tensor's): its grad_fn,
    or for an output of a node of several, that output's OutputSlot; None for a leaf."""
    node = tensor._grad_fn
    if node is not None and node.routes_outputs:
        slot = tensor.__dict__.get("_output_slot")
        if slot is not None and slot.node is node:
            return slot
    return node


def checked_output_node(tensor):
    """output_node, after PyTorch's error for a view whose node it cannot rewrite after an in-place change (as
    PyTorch's grad_fn refuses: a user's look at the tensor's place in the graph)."""
    if tensor._view_creation is not None:
        _view_checks.check_unchanged(tensor)
    return output_node(tensor)


def share_among(node, tensors):
    """Make ``node`` the grad_fn of each of ``tensors``, its outputs in order, as PyTorch's one node: each tensor
    holds the OutputSlot through which its gradient reaches the node (see _edge)."""
    for index, tensor in enumerate(tensors):
        share_output(node, tensor, index, len(tensors))


def share_output(node, tensor, index, count):
    """Make ``node`` the grad_fn of ``tensor``, its output ``index`` of ``count`` (see share_among)."""
    node.checks_edges = node.routes_outputs = True
    tensor._requires_grad = True
    tensor._grad_fn = node
    tensor.__dict__["_output_slot"] = OutputSlot(node, index, count)


def give_edge(tensor, edge):
    """Make ``tensor`` a tensor of the graph whose gradient goes to ``edge`` (a node or an OutputSlot of a node
    that routes its outputs, whose node it then shows as grad_fn)."""
    tensor._requires_grad = True
    if isinstance(edge, OutputSlot) and edge.node.routes_outputs:
        tensor._grad_fn = edge.node
        tensor.__dict__["_output_slot"] = edge
    else:
        tensor._grad_fn = edge


def listed_pair(edge):
    """How ``next_functions`` lists an edge: (shown_edge(edge), which output of that node the gradient goes to)."""
    shown = shown_edge(edge)
    if isinstance(shown, OutputSlot):
        return (shown.node if shown.node.routes_outputs else shown), shown.index
    return shown, 0


def listed_edge(tensor):
    """How a node's ``next_functions`` lists its input ``tensor``: (its node, a leaf's AccumulateGrad or None; the
    node's output it is)."""
    return listed_pair(_edge(tensor)) if tensor._requires_grad else (None, 0)


class OutputGrads:
    """The gradients reaching the outputs of a node with several (None for an output none reached).

    Each output has its own OutputSlot node, and the engine sums what several nodes send to one node: summing
    these merges them, so that the shared node receives every output's gradient at once. Only the gradients that
    arrived are held (``reached``, by output), and a sum merges the smaller into the larger in place -- the engine
    owns both -- so that the k outputs of one node (unbind's rows) cost k merges of one gradient, not k of k."""

    __slots__ = ("count", "reached")

    def __init__(self, grads):
        self.count = len(grads)
        self.reached = {index: grad for index, grad in enumerate(grads) if grad is not None}

    @classmethod
    def of_one(cls, index, count, grad):
        """The gradient ``grad`` of output ``index`` of ``count`` outputs, alone (none for None)."""
        one = cls.__new__(cls)
        one.count, one.reached = count, {} if grad is None else {index: grad}
        return one

    @property
    def grads(self):
        """Every output's gradient, in order (None for those none reached)."""
        reached = self.reached
        return [reached.get(index) for index in range(self.count)]

    @property
    def nbytes(self):
        """The bytes of gradient held (as ``ndarray.nbytes``)."""
        return sum(grad.nbytes for grad in self.reached.values())

    def __add__(self, other):
        larger, smaller = (self, other) if len(self.reached) >= len(other.reached) else (other, self)
        reached = larger.reached
        for index, grad in smaller.reached.items():
            previous = reached.get(index)
            reached[index] = grad if previous is None else previous + grad
        return larger


class OutputSlot(Node):
    """The ``grad_fn`` of output ``index`` of ``node``, a node with ``count`` outputs whose backward takes
    OutputGrads: passes its gradient on to that node, under whose name it shows."""

    complex_aware = True  # (it passes a complex gradient on as it is: the node's backward follows the convention)
    runs_without_gradient = True  # (it passes None on as no gradient of its output, so that the node runs)

    def __init__(self, node, index, count):
        self.node, self.index, self.count = node, index, count
        self._sequence = node._sequence  # (one node of PyTorch's graph)
        self.edges = (node,)
        self.needs_input_grad = (True,)

    def backward(self, grad):
        return (OutputGrads.of_one(self.index, self.count, grad),)

    backward_graph = backward  # OutputGrads holds tensors as well as arrays

    def name(self):
        return self.node.name()

    def __getattr__(self, attr):  # what the node saved, as PyTorch's one node shows it (grad_fn._saved_dim)
        if attr.startswith(("_saved_", "_raw_saved_")):
            return getattr(self.node, attr)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{attr}'")

    @property
    def next_functions(self):  # PyTorch has one node for all outputs: show the inputs' nodes as it does
        return self.node.next_functions

    def register_prehook(self, fn):  # the one node of all outputs, as in PyTorch
        return self.node.register_prehook(fn)

    def register_hook(self, fn):
        return self.node.register_hook(fn)

    @property
    def metadata(self):
        return self.node.metadata


def no_graph_backward_message(node):
    return (f"torchless cannot differentiate through {node.name()} (create_graph=True): this operation has no "
            "differentiable formulation of its backward yet, so gradients of its gradient are not available")
