"""The autograd graph and its engine: each of torchless's differentiable operations is a Node subclass with its
forward and backward side by side (PyTorch's ``torch.autograd.graph.Node``, which ``grad_fn`` objects are).

Calling ``SomeOp.apply(*tensors, **params)`` runs ``forward`` on the tensors' arrays and, when gradients are being
recorded and some input requires grad, returns a tensor whose ``grad_fn`` is the Node instance: it remembers
where each input's gradient goes (``edges``) and whatever ``forward`` saved for ``backward``. (User-written
operations on tensors are ``autograd.Function``s, in ``function.py``, whose calls make such nodes.)

Backward propagates NumPy arrays (``run_backward``). For ``create_graph=True`` a separate propagation
(``run_backward_graph``) calls each node's ``backward_graph`` instead, written with tensor operations that are
recorded in turn, so that gradients can be differentiated again.
"""
import heapq
import inspect
import itertools
import math
import re
import threading
import weakref

import numpy as np

from .. import _memory_format
from . import anomaly_mode, grad_mode, saved_values

_ndarray = np.ndarray
# A 0-d gradient can arrive as a NumPy scalar (NumPy's arithmetic on 0-d arrays returns them): complex ones too
_COMPLEX_SCALARS = frozenset({np.complex64, np.complex128})

_grad_state = grad_mode.state

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward."
)

# Each recorded node's number, in the order they were made: PyTorch's engine runs, of the nodes ready, the most
# recent first (see _execution_order)
_sequence_numbers = itertools.count(1)

OUTPUT = "output"  # in ``Node.saves``: the result is saved (as exp's, relu's), not only inputs


class SavedVersion:
    """A tensor saved for backward, and its version then: backward refuses to run on a tensor an in-place op
    has changed since (its version counter, shared with its views, has moved on)."""

    __slots__ = ("counter", "version", "tensor", "array")

    def __init__(self, counter, version, tensor, array):
        self.counter, self.version = counter, version
        # A saved input is kept to name it (its grad_fn) in the error, ``array`` then saying whether it was saved
        # as its transpose; a saved output is its node's own result, kept as its array only: the tensor would hold
        # its grad_fn, that is the node, in a cycle.
        self.tensor, self.array = tensor, array


class ReleasedArray:
    """What a node keeps of a saved array once backward has freed it: its layout, not its values. PyTorch's nodes
    keep the sizes, strides and numbers of their formulas after backward (only saved tensors are freed), so what
    ``next_functions``, ``name()`` and ``_saved_<sizes>`` read off a node's arrays stays readable, through the
    layout-only parts of NumPy's interface (shape, strides, ``T``, ``reshape``); reading the values (a saved
    tensor) raises PyTorch's error (see saved_values.read)."""

    __slots__ = ("shape", "strides", "dtype", "_value")

    def __init__(self, array, shape=None, strides=None):
        self.dtype = array.dtype
        self.shape = array.shape if shape is None else tuple(shape)
        self.strides = array.strides if strides is None else tuple(strides)
        # a 0-d array is a number of the formula (pow's exponent, div's divisor), which PyTorch's node keeps
        self._value = array.item() if not self.shape and isinstance(array, (_ndarray, np.generic)) else None

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def T(self):
        return ReleasedArray(self, self.shape[::-1], self.strides[::-1])

    def reshape(self, *shape):
        """The layout of ``reshape``: a view's strides (c10's computeStride), else a copy's (C order)."""
        shape = list(shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape)
        if -1 in shape:
            known = math.prod(n for n in shape if n != -1)
            shape[shape.index(-1)] = self.size // known if known else 0
        itemsize = self.itemsize
        element_strides = [s // itemsize for s in self.strides]
        strides = _memory_format.view_strides(self.shape, element_strides, shape)
        if strides is None:
            strides = _memory_format.strides_for(shape, _memory_format.contiguous_format)
        return ReleasedArray(self, shape, [s * itemsize for s in strides])

    def item(self):
        if self.shape:
            raise RuntimeError(_FREED_MESSAGE)
        return self._value


class _ReleasedObject:
    """A saved object of which a node keeps nothing after backward: not None (which says none was saved), and
    without attributes (reading one raises AttributeError, which saved_values.read reports as freed)."""

    __slots__ = ()

    def __repr__(self):
        return "<released>"


RELEASED_OBJECT = _ReleasedObject()
_KEPT_AS_THEY_ARE = frozenset({type(None), bool, int, float, complex, str, slice, type(Ellipsis)})


def released(value):
    """A saved value as its node keeps it after backward: an array's layout (ReleasedArray), tuples and lists of
    them element by element, None, numbers, strings, slices and dtypes as they are; an object holding arrays gives
    what its ``released()`` method returns; anything else RELEASED_OBJECT."""
    kind = type(value)
    if kind in _KEPT_AS_THEY_ARE:
        return value
    if kind is _ndarray or isinstance(value, np.generic):
        return ReleasedArray(value)
    if kind is tuple or kind is list:
        return kind([released(v) for v in value])
    if isinstance(value, np.dtype):
        return value
    keep = getattr(value, "released", None)
    return keep() if callable(keep) else RELEASED_OBJECT


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
    is_view = False  # the output shares its input's memory (and so its version counter)
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
    # whether backward follows PyTorch's complex convention itself (else complex gradients go through
    # _holomorphic_backward)
    complex_aware = False
    # The tensors PyTorch saves for backward, whose in-place change before backward is an error: input
    # positions and OUTPUT. None reads them off ``saved`` and forward's parameter names (see _saved_tensors).
    saves = None
    # Tensors PyTorch saves only for some input's gradient, as a*b saves a for b's: {input or OUTPUT: (inputs,)}.
    saved_only_for = {}
    # Inputs PyTorch saves as their transpose (linear's weight, as w.t()), which its error describes.
    saved_transposed = ()
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
    # What PyTorch's node shows of its saved values as ``_saved_<name>`` attributes: {name: spec} (see
    # saved_values), read off the node's fields when asked; its PyTorch-named class gets them as properties.
    torch_saved = {}
    folded_saved = {}  # {name of a FoldedNode it lists: its torch_saved, read off this node}
    # An op whose result apply lays out as PyTorch allocates it (see laid_out): an elementwise op as
    # TensorIterator does by default; a node overriding laid_out (a reduction's) as that says.
    elementwise = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._checked_inputs, cls._saves_output = _saved_tensors(cls)
        cls._saves_tensors = bool(cls._checked_inputs) or cls._saves_output
        cls._saves_only_tensors = _saves_only_tensors(cls)

    @classmethod
    def apply(cls, *inputs, **params):
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
        out = node.forward(*arrays, **params)
        result = _wrap(node.laid_out(out, arrays) if cls.elementwise and (out.ndim > 1 or not out.size) else out)
        # Without a graph the node is dropped right here, and what forward saved with it: no
        # bookkeeping (and no release) is needed.
        if any_requires_grad and _grad_state.enabled:
            needs = tuple([t is not None and t._requires_grad for t in inputs])
            node.needs_input_grad = needs
            node.edges = tuple([_edge(t) if need else None for t, need in zip(inputs, needs)])
            result._requires_grad = True
            result.grad_fn = node
            node._sequence = next(_sequence_numbers)
            node.__class__ = _named_class.get(cls) or _torch_named_class(node)  # named_as_pytorch, inlined
            if node._saves_tensors:
                _record_saved_versions(node, inputs, needs, result)
            if anomaly_mode.state.enabled:
                node._forward_stack = anomaly_mode.forward_stack()
        # (a reshape may copy; NumPy sees no memory shared with an empty array, which PyTorch always views)
        if node.is_view and (np.may_share_memory(result._data, inputs[0]._data) or not result._data.size):
            inputs[0]._as_view(result)
        return result

    def laid_out(self, out, arrays):
        """An elementwise op's result ``out`` in the layout PyTorch gives it from the op's operands ``arrays``."""
        return _memory_format.iterator_layout(out, arrays)

    def forward(self, *arrays, **params):  # pragma: no cover - interface
        raise NotImplementedError

    def backward(self, grad):  # pragma: no cover - interface
        raise NotImplementedError

    def backward_graph(self, grad):
        """``backward`` for ``create_graph=True``: ``grad`` is a tensor and the gradients returned are tensors
        (or None) computed with differentiable tensor operations, so that the graph records them and they can be
        differentiated in turn. Saved arrays enter the formula through :meth:`graph_input` and
        :meth:`graph_output`. The engine calls it only when the class defining ``backward`` defines it too (a
        subclass with a backward of its own does not inherit its parent's)."""
        raise NotImplementedError(_no_graph_backward(self))

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
        tensor._requires_grad, tensor.grad_fn = True, edge
        return tensor

    def graph_output(self, array):
        """The saved result ``array`` as a tensor of the graph: its gradient flows back into this node."""
        from .._tensor import Tensor

        tensor = Tensor._wrap(array)
        tensor._requires_grad, tensor.grad_fn = True, self
        return tensor

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
        self._checked_versions, self._checked_output = (), None

    def check_saved_versions(self):
        """PyTorch's error if an in-place op changed a tensor this node saved, since it saved it."""
        for saved in self._checked_versions:
            if saved.counter[0] != saved.version:
                raise RuntimeError(_saved_input_modified(saved))
        saved = self._checked_output
        if saved is not None and saved.counter[0] != saved.version:
            node = self
            if self._output_view is not None and self._output_view() is not None:
                # the output written in place into a view still alive: PyTorch names the view's node
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

    # The inputs PyTorch's node has edges for, in its order (None: all, in order): not a number its Scalar overload
    # takes as an argument (pow(x, 2), masked_fill(mask, 1.0)), which torchless passes as a wrapped tensor input.
    listed_inputs = None

    def listed_edges(self):
        """This node's edges as ``next_functions`` lists them."""
        edges = self.edges
        if self.listed_inputs is not None and edges:
            edges = [edges[i] for i in self.listed_inputs]
        return tuple((shown_edge(e), 0) for e in edges)

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
    name = node.name()
    named = _torch_named_classes.get((cls, name))
    if named is None:
        short = name.removeprefix(_CPP_NAMESPACE)
        namespace = {"__module__": "builtins", "__qualname__": short, "_named_from": cls,
                     **saved_values.properties(saved_values.specs_for(cls, name))}
        if cls.name is Node.name:  # the default name() reads the class's name, which is now PyTorch's own
            namespace["name"] = lambda self: name
        named = _torch_named_classes[(cls, name)] = type(cls)(short, (cls,), namespace)
        if cls.name is Node.name:
            _named_class[cls] = _named_class[named] = named
    return named


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
        saved.append(SavedVersion(counter, counter[0], tensor, i in node.saved_transposed))
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
    """The error for a saved input; ``saved.array`` is True for one PyTorch saved as its transpose, a view (whose
    node, AsStrided once its base changed, the error names when it requires grad)."""
    tensor = saved.tensor
    if not saved.array:
        return _modified_message(saved, tensor.grad_fn, tensor._data)
    grad_fn = Node() if tensor._requires_grad else None
    if grad_fn is not None:
        grad_fn.is_view = True
    return _modified_message(saved, grad_fn, tensor._data.T)


def _modified_message(saved, grad_fn, array):
    from .._dtype import TENSOR_TYPE_NAMES, from_numpy_dtype

    dtype = from_numpy_dtype(array.dtype)
    described = f"[torchless.{TENSOR_TYPE_NAMES.get(dtype, dtype.scalar_name + 'Tensor')} {list(array.shape)}]"
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
            raise RuntimeError(_FREED_MESSAGE)
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


def increment_version(tensor):
    """Move on the version counter of ``tensor`` (or of each tensor of an iterable), as an in-place change does:
    for code that changes a tensor's values behind autograd's back, so that backward refuses stale saved values."""
    tensors = (tensor,) if isinstance(tensor, tensor_class()) else tensor
    for t in tensors:
        t._version_counter()[0] += 1


class save_on_cpu:
    """PyTorch's context manager that moves the tensors saved for backward to the CPU (and back when backward uses
    them): torchless's tensors are all in CPU memory already, so it changes nothing."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        self.pin_memory, self.device_type = pin_memory, device_type

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def records(*tensors):
    """Whether an operation on ``tensors`` (None entries allowed) records a graph node, as
    Node.apply decides: gradients are being recorded and some input requires grad. Fast paths
    that skip apply where it would record nothing ask this first."""
    if not _grad_state.enabled:
        return False
    for t in tensors:
        if t is not None and t._requires_grad:
            return True
    return False


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
    """Where a gradient for ``tensor`` goes: its producing node, or the leaf tensor itself."""
    return tensor.grad_fn if tensor.grad_fn is not None else tensor


def listed_edge(tensor):
    """How a node's ``next_functions`` lists its input ``tensor``: (its node, a leaf's AccumulateGrad or None, 0)."""
    return (shown_edge(_edge(tensor)) if tensor._requires_grad else None, 0)


class OutputGrads:
    """The gradients reaching the outputs of a node with several (None for an output none reached).

    Each output has its own OutputSlot node, and the engine sums what several nodes send to one node: summing
    these merges them, so that the shared node receives every output's gradient at once."""

    __slots__ = ("grads",)

    def __init__(self, grads):
        self.grads = grads

    def __add__(self, other):
        return OutputGrads([a if b is None else b if a is None else a + b for a, b in zip(self.grads, other.grads)])


class OutputSlot(Node):
    """The ``grad_fn`` of output ``index`` of ``node``, a node with ``count`` outputs whose backward takes
    OutputGrads: passes its gradient on to that node, under whose name it shows."""

    def __init__(self, node, index, count):
        self.node, self.index, self.count = node, index, count
        self._sequence = node._sequence  # (one node of PyTorch's graph)
        self.edges = (node,)
        self.needs_input_grad = (True,)

    def backward(self, grad):
        grads = [None] * self.count
        grads[self.index] = grad
        return (OutputGrads(grads),)

    backward_graph = backward  # OutputGrads holds tensors as well as arrays

    def name(self):
        return self.node.name()

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


def root_gradient(output, gradient, index=0):
    """The gradient array that backward starts from at ``output`` (element ``index`` of the outputs), given
    ``gradient`` (a tensor, an array-like or None for a scalar's 1), with PyTorch's checks."""
    if gradient is not None:
        grad = check_root_gradient(output, gradient, index)
    if not output._requires_grad:
        raise RuntimeError(f"element {index} of tensors does not require grad and does not have a grad_fn")
    array = output._data
    if gradient is None:
        if array.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        return np.ones(array.shape, array.dtype)
    # PyTorch casts the gradient to the output's dtype first: a float32 one must not make the graph of a float64
    # output compute in float32
    return grad.astype(array.dtype, copy=False)


def check_root_gradient(output, gradient, index=0, positions=None):
    """The array of ``gradient`` given for ``output``, after PyTorch's first check (before any of whether the
    outputs require grad): its shape; or for None, that an output requiring grad is a scalar. ``positions``: a
    function giving the positions the shape error names (see autograd._root_gradients), else ``index``."""
    array = output._data
    if gradient is None:
        if output._requires_grad and array.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        return None
    from .._size import Size
    from .._tensor import Tensor

    grad = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient, array.dtype)
    if grad.shape != array.shape:
        grad_index, output_index = (index, index) if positions is None else positions()
        raise RuntimeError(f"Mismatch in shape: grad_output[{grad_index}] has a shape of {Size(grad.shape)} and "
                           f"output[{output_index}] has a shape of {Size(array.shape)}.")
    return grad


def _topological_order(roots):
    """Nodes reachable from ``roots``, each after every node that feeds gradient into it."""
    order, visited = [], set()
    for root in roots:
        if id(root) in visited:
            continue
        visited.add(id(root))
        stack = [(root, iter(root.edges))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if isinstance(child, Node) and id(child) not in visited:
                    visited.add(id(child))
                    stack.append((child, iter(child.edges)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def _execution_order(order):
    """The nodes of ``order`` (topological) in the order PyTorch's engine runs them: of the nodes whose consumers
    have all run, the most recently recorded first (its ready queue's priority). The order in which gradients
    reach a node sets the order of their sum, whose layout is the first's. A chain (one root, and no node feeding
    two others: the common CNN's graph) has one order, ``order`` itself."""
    waiting, branches = {}, False
    for node in order:
        feeds = 0
        for edge in node.edges:
            if isinstance(edge, Node):
                feeds += 1
                waiting[id(edge)] = waiting.get(id(edge), 0) + 1
        branches = branches or feeds > 1
    if not branches and len(order) - len(waiting) > 1:  # (several roots: their chains interleave)
        branches = True
    return _by_priority(order, waiting) if branches else order


def _by_priority(order, waiting):
    """_execution_order's nodes, ``waiting`` counting each node's consumers not yet run."""
    ties = itertools.count()  # (equal numbers, as the outputs' slots of one node: topological order)
    ready = [(-node._sequence, next(ties), node) for node in order if id(node) not in waiting]
    heapq.heapify(ready)
    while ready:
        node = heapq.heappop(ready)[2]
        yield node
        for edge in node.edges:
            if isinstance(edge, Node):
                left = waiting[id(edge)] - 1
                waiting[id(edge)] = left
                if not left:
                    heapq.heappush(ready, (-edge._sequence, next(ties), edge))


def _leading_to(order, targets):
    """The ids of the nodes in ``order`` (topological) with a path to one of ``targets`` (ids of nodes and
    leaves) through their edges: only those need to run for the targets' gradients."""
    leading = set()
    for node in reversed(order):
        for edge in node.edges:
            if edge is not None and (id(edge) in targets or id(edge) in leading):
                leading.add(id(node))
                break
    return leading


def _start(roots, inputs):
    """What a propagation from ``roots`` starts with: the gradients pending per node id, the roots that are
    leaves, the nodes in topological order and, with ``inputs``, {id of an input's edge: its positions}, the
    list capturing their gradients and the ids of the nodes leading to them."""
    targets, captured, leading = {}, None, None
    pending, leaf_roots = {}, []
    for tensor, grad in roots:
        node = tensor.grad_fn
        if node is None:
            leaf_roots.append((tensor, grad))
        else:
            previous = pending.get(id(node))
            pending[id(node)] = grad if previous is None else _sum_of(previous, grad)
    order = _topological_order([t.grad_fn for t, _ in roots if t.grad_fn is not None])
    if inputs is not None:
        for position, tensor in enumerate(inputs):
            targets.setdefault(id(_edge(tensor)), []).append(position)
        captured = [None] * len(inputs)
        leading = _leading_to(order, targets)
    return pending, leaf_roots, order, targets, captured, leading


def run_backward(roots, retain_graph=False, inputs=None, accumulate=True):
    """Propagate gradients back through the graph from ``roots``, pairs (tensor, gradient array shaped like it).

    Without ``inputs``, every leaf reached accumulates its gradient into ``.grad``. With ``inputs`` (tensors,
    leaves or not) only the part of the graph leading to them runs and only they receive gradients: accumulated
    into their ``.grad`` (``Tensor.backward(inputs=...)``) or, without ``accumulate``, returned as a list, None
    where none arrived (``autograd.grad``).
    """
    return _propagate(roots, retain_graph, inputs, accumulate, graph=False)


def run_backward_graph(roots, retain_graph=True, inputs=None, accumulate=True):
    """run_backward for ``create_graph=True``: gradients are tensors recorded in the graph (``roots`` pairs a
    tensor with a gradient tensor), each node contributing through its ``backward_graph``; leaves accumulate
    ``.grad`` out of place, as a tensor with a graph; hooks get and may replace tensors."""
    return _propagate(roots, retain_graph, inputs, accumulate, graph=True)


class _Propagation(threading.local):
    plain = False  # the running backward is run_backward's for every leaf: arrays, no ``inputs``


_propagation = _Propagation()


def gradient_unwatched(node):
    """Whether the gradient reaching ``node`` in the running backward is seen by nothing but ``node``'s own
    backward: a plain ``backward()`` (no ``inputs``, no ``create_graph``) and no hook or ``retain_grad``
    on the node or its output. A consumer may then do part of ``node``'s backward for it (see
    ``Relu.masked_by_consumer``)."""
    return (_propagation.plain and node._retained is None and not node._tensor_hooks and not node._pre_hooks
            and not node._post_hooks)


def _propagate(roots, retain_graph, inputs, accumulate, graph):
    """_propagate_gradients, with ``_propagation.plain`` telling its nodes what kind of run it is."""
    outer, _propagation.plain = _propagation.plain, inputs is None and not graph
    try:
        return _propagate_gradients(roots, retain_graph, inputs, accumulate, graph)
    finally:
        _propagation.plain = outer


def _propagate_gradients(roots, retain_graph, inputs, accumulate, graph):
    """The propagation of run_backward (arrays, ``node.backward``, gradient recording off) or, with ``graph``,
    of run_backward_graph (tensors, ``backward_graph``, recording on).

    A leaf's gradients are summed as they arrive and handed over once, at the end, as PyTorch's AccumulateGrad
    receives their sum: its hooks see the total, once, and ``.grad`` grows by one addition.
    """
    pending, leaf_roots, order, targets, captured, leading = _start(roots, inputs)
    accumulate_leaf = _accumulate_leaf_graph if graph else _accumulate_leaf
    leaf_grads = {}  # id of a leaf -> [the leaf, the sum of its gradients so far]

    def arrive(leaf, grad):
        entry = leaf_grads.get(id(leaf))
        if entry is None:
            leaf_grads[id(leaf)] = [leaf, grad]
        else:
            entry[1] = _sum_of(entry[1], grad)

    def deliver(tensor, positions, grad):
        if not graph and grad.dtype.kind == "c" and tensor._data.dtype.kind != "c":
            grad = grad.real  # a real tensor that entered a complex computation: the real part, as in PyTorch
        if accumulate:
            accumulate_leaf(tensor, grad)
            return
        if tensor.grad_fn is None and tensor._hooks:
            grad = (_run_tensor_hooks_graph if graph else run_tensor_hooks)(tensor._hooks, grad)
        for position in positions:
            previous = captured[position]
            captured[position] = grad if previous is None else _sum_of(previous, grad)

    for tensor, grad in leaf_roots:
        if inputs is None or id(tensor) in targets:
            arrive(tensor, grad)
    recording = grad_mode.enable_grad() if graph else grad_mode.no_grad()
    # Gradients of log, sqrt, division, ... at 0 are inf or nan, which PyTorch produces without warnings.
    with recording, np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for node in _execution_order(order):
            g = pending.pop(id(node), None)
            if g is None:
                continue
            if node._freed:
                raise RuntimeError(_FREED_MESSAGE)
            if node._saves_tensors:
                node.check_saved_versions()
            if node._tensor_hooks:
                g = (_run_tensor_hooks_graph if graph else run_tensor_hooks)(node._tensor_hooks, g)
            if inputs is not None:
                target, needed = id(node) in targets, id(node) in leading
                if not (target or needed):  # a node PyTorch does not run: its output keeps no gradient
                    continue
            # A tensor that asked retain_grad() keeps the gradient of every run reaching it, autograd.grad's too
            kept = None
            if node._retained is not None:
                kept = node._retained()
                if kept is not None:
                    accumulate_leaf(kept, g)
            if inputs is not None:
                if target:
                    positions = targets[id(node)]
                    if not (accumulate and kept is inputs[positions[0]]):  # backward(inputs=) retains non-leaves
                        deliver(inputs[positions[0]], positions, g)
                if not needed:
                    continue
            method = _graph_backward(node) if graph else None
            if node._pre_hooks:
                g = _run_node_prehooks(node._pre_hooks, g, graph)
            if anomaly_mode.state.enabled:
                input_grads = _backward_watched(node, g, method)
            elif method is not None:
                input_grads = method(node, g)
            elif (g.__class__ is _ndarray or g.__class__ in _COMPLEX_SCALARS) and g.dtype.kind == "c" \
                    and not node.complex_aware:
                input_grads = _holomorphic_backward(node, g)
            else:
                input_grads = node.backward(g)
            if node._post_hooks:
                input_grads = _run_node_posthooks(node._post_hooks, input_grads, g, graph, node.listed_inputs)
            for edge, g_in in zip(node.edges, input_grads):
                if edge is None or g_in is None:
                    continue
                if isinstance(edge, Node):
                    previous = pending.get(id(edge))
                    pending[id(edge)] = g_in if previous is None else _sum_of(previous, g_in)
                elif inputs is None or id(edge) in targets:
                    arrive(edge, g_in)
            if not retain_graph:
                node.release()
        for leaf, grad in leaf_grads.values():
            if inputs is None:
                accumulate_leaf(leaf, grad)
            else:
                deliver(leaf, targets[id(leaf)], grad)
    return captured


def _sum_of(previous, grad):
    """``previous + grad``, two gradients reaching one place, as PyTorch's engine sums them: laid out as
    TensorIterator lays out the sum, the first arrived's order first (NumPy's falls back to C order where the two
    orders differ). Tensors (create_graph) and OutputGrads add as they do."""
    total = previous + grad
    if total.__class__ is _ndarray and total.ndim > 1 and previous.__class__ is _ndarray and grad.__class__ is _ndarray:
        return _memory_format.iterator_layout(total, (previous, grad))
    return total


def _as_hook_tensors(grads, graph):
    """Gradients (arrays, or tensors with ``graph``; None kept) as the tensors a node hook gets."""
    if graph:
        return tuple(grads)
    wrap = tensor_class()._wrap
    return tuple(None if g is None else wrap(g) for g in grads)


def _hook_replacement(hook, returned, grads, graph):
    """The gradients a node hook returned in place of ``grads`` (arrays or, with ``graph``, tensors), checked as
    PyTorch checks them."""
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(returned, tuple):
        raise TypeError(f"expected tuple, but hook returned '{type(returned).__name__}'")
    if len(returned) != len(grads):
        raise RuntimeError(f"hook '{name}' has returned an incorrect number of values (got {len(returned)}, but "
                           f"expected {len(grads)})")
    replaced = []
    for value, old in zip(returned, grads):
        if value is None or old is None:
            replaced.append(None if value is None else value if graph else value._data)
            continue
        array = checked_hook_result(name, value, old._data if graph else old)
        replaced.append(value if graph else array)
    return replaced


def _run_node_prehooks(hooks, grad, graph):
    """``grad`` (one gradient, or OutputGrads) through a node's pre-hooks."""
    several = isinstance(grad, OutputGrads)
    grads = list(grad.grads) if several else [grad]
    for hook in list(hooks.values()):
        returned = hook(_as_hook_tensors(grads, graph))
        if returned is not None:
            grads = _hook_replacement(hook, returned, grads, graph)
    return OutputGrads(grads) if several else grads[0]


def _run_node_posthooks(hooks, input_grads, grad, graph, listed=None):
    """A node's input gradients through its hooks, which also see the gradients of its outputs, ``grad``; ``listed``:
    the node's Node.listed_inputs, the inputs of PyTorch's node in its order, the only ones its hooks see (a number
    passed as a wrapped input has none)."""
    outputs = _as_hook_tensors(grad.grads if isinstance(grad, OutputGrads) else [grad], graph)
    shown = list(input_grads) if listed is None else [input_grads[i] for i in listed]
    for hook in list(hooks.values()):
        returned = hook(_as_hook_tensors(shown, graph), outputs)
        if returned is not None:
            shown = _hook_replacement(hook, returned, shown, graph)
    if listed is None:
        return tuple(shown)
    input_grads = list(input_grads)
    for position, value in zip(listed, shown):
        input_grads[position] = value
    return tuple(input_grads)


def _accumulator_hooks(tensor):
    """The hooks registered on the AccumulateGrad node of the leaf ``tensor`` (pre, post), None without any."""
    node = tensor.__dict__.get("_hooked_accumulator")
    return (None, None) if node is None else (node._pre_hooks, node._post_hooks)


_graph_backwards = {}  # node class -> its backward_graph function


def _graph_backward(node):
    """The backward_graph function of ``node``'s class: the one defined next to the ``backward`` the class uses,
    for a subclass that overrides backward alone would otherwise inherit a formula that is not its own; a node
    without one raises NotImplementedError naming it."""
    cls = type(node)
    method = _graph_backwards.get(cls)
    if method is None:
        owner = next(klass for klass in cls.__mro__ if "backward" in klass.__dict__)
        method = owner.__dict__.get("backward_graph") or _refuse_graph_backward
        if cls.backward_is_one_op and method is not _refuse_graph_backward:
            method = _named_after_backward(method)
        layout = getattr(owner.__dict__["backward"], "gradient_layout", None)
        if layout is not None and method is not _refuse_graph_backward:
            method = _laid_out_as_backward(method, layout)
        _graph_backwards[cls] = method
    return method


def _laid_out_as_backward(method, layout):
    """``method`` (a backward_graph) with its gradients laid out by ``layout``, the rule by which the node's
    ``backward`` lays out its arrays (see _ops._util.laid_out_gradients): the same PyTorch op computes both."""
    def backward_graph(node, grad):
        return tuple(_relaid(g, layout(node, grad._data, g._data), grad) if g is not None and hasattr(g, "_data")
                     else g for g in method(node, grad))
    return backward_graph


def _relaid(gradient, array, grad):
    """The gradient tensor ``gradient`` holding ``array``, its values laid out anew: the tensor itself (a fresh
    result of the formula, which nothing else holds yet) unless it is ``grad`` or a view, which are copied."""
    if array is gradient._data:
        return gradient
    if gradient is grad or gradient._view_base is not None or getattr(gradient.grad_fn, "is_view", False):
        gradient = gradient.clone() if gradient._requires_grad else gradient._wrap(array)
    gradient._data = array
    return gradient


class BackwardOfBackward(Node):
    """The gradients a node's backward_graph computed, recorded as coming from one node named after PyTorch's
    backward op, as PyTorch's are (``ConvolutionBackwardBackward0``): an identity. ``listed``: what PyTorch's node
    lists as next_functions, the nodes of that op's inputs (the gradient, then the forward's tensors it reads),
    where torchless computed through a chain of ops."""

    def forward(self, value, node_name=None, listed=None):
        self.node_name, self.listed = node_name, listed
        return value

    def backward(self, grad):
        return (grad,)

    def backward_graph(self, grad):
        return (grad,)

    def name(self):
        return self.node_name

    def pytorch_inputs(self):
        return self.listed


def _backward_op_inputs(node, grad):
    """next_functions of PyTorch's node of ``node``'s backward op: the gradient's node, then those of the tensors
    the op reads (see Node.backward_inputs)."""
    positions = range(len(node.edges)) if node.backward_inputs is None else node.backward_inputs
    listed = [_edge(grad) if grad._requires_grad else None]
    for position in positions:
        listed.append(node if position == OUTPUT else None if position is None or position >= len(node.edges)
                      else node.edges[position])
    return tuple((shown_edge(edge), 0) for edge in listed)


def _named_after_backward(method):
    def backward_graph(node, grad):
        name = node.backward_is_one_op
        if not name:  # (a node whose backward is one op for some calls only: not this one)
            return method(node, grad)
        if name is True:  # ConvolutionBackward0 -> ConvolutionBackwardBackward0 (an in-place form's EluBackward1 too)
            name = re.sub(r"Backward\d+$", "BackwardBackward0", node.name())
        from .._ops._util import unbroadcast_tensor

        grads = list(method(node, grad))
        listed, summed_to = _backward_op_inputs(node, grad), node.summed_to
        for i, g in enumerate(grads):
            if g is not None and g._requires_grad:
                g = grads[i] = BackwardOfBackward.apply(g, node_name=name, listed=listed)
            if g is not None and i in summed_to:
                grads[i] = unbroadcast_tensor(g, summed_to[i])
        return tuple(grads)
    return backward_graph


def _no_graph_backward(node):
    return (f"torchless cannot differentiate through {node.name()} (create_graph=True): this operation has no "
            "differentiable formulation of its backward yet, so gradients of its gradient are not available")


def _refuse_graph_backward(node, grad):
    raise NotImplementedError(_no_graph_backward(node))


class GradientWithoutDerivative(Node):
    """A gradient computed under create_graph=True by an op whose PyTorch backward has no derivative of its own:
    recorded in the graph (it requires grad, as PyTorch's), and differentiating it raises PyTorch's error."""

    def forward(self, grad, anchor, value=None, error=None, node_name=None):
        self.error, self.node_name = error, node_name
        return value

    def backward(self, grad):
        kind, message = self.error
        raise kind(message)

    def backward_graph(self, grad):
        return self.backward(grad)

    def name(self):
        return self.node_name


class ZeroDerivativeOf(Node):
    """A gradient computed under create_graph=True that PyTorch's backward formula computes from a tensor of the
    graph (the op's input or result) whose derivative it declares zero (``zeros_like``): that tensor's part of the
    graph gets a zero gradient through it, so the gradient requires grad, and backward through it reaches (with
    zeros) what PyTorch's reaches, even when nothing else depends on the graph (``self: zeros_like(grad)`` of
    threshold_backward, max_pool2d_with_indices_backward's ``self: zeros_like(self)``)."""

    def forward(self, value, anchor, node_name=None, listed=None):
        """``listed``: next_functions of PyTorch's node (see BackwardOfBackward), else the inputs."""
        self.node_name, self.anchor_shape, self.anchor_dtype = node_name, anchor.shape, anchor.dtype
        self.listed = listed
        return value

    def pytorch_inputs(self):
        return self.listed

    def _zeros(self, grad):
        """The anchor's zero gradient: PyTorch's ``zeros_like(grad)``, in grad's layout, where grad has the
        anchor's shape (the elementwise backward ops'), else C-contiguous."""
        if not self.needs_input_grad[1]:
            return None
        if grad.shape == self.anchor_shape and grad.ndim > 1:
            return _memory_format.empty_like(grad, self.anchor_dtype, _memory_format.preserve_format)
        return np.zeros(self.anchor_shape, self.anchor_dtype)

    def backward(self, grad):
        return grad, self._zeros(grad)

    def backward_graph(self, grad):
        zeros = self._zeros(grad._data)
        return grad, None if zeros is None else grad._wrap(zeros)

    def name(self):
        return self.node_name


def with_zero_derivative_of(gradient, anchor, name, grad=None):
    """``gradient`` (a tensor) recorded as depending, with derivative zero, on ``anchor``: see ZeroDerivativeOf.
    ``grad``: the gradient the backward op read, listed with ``anchor`` as PyTorch's node of that op lists its
    inputs (else its inputs are listed)."""
    listed = None
    if grad is not None:
        listed = tuple((shown_edge(_edge(t)) if t._requires_grad else None, 0) for t in (grad, anchor))
    return ZeroDerivativeOf.apply(gradient, anchor, node_name=name, listed=listed)


def gradients_without_derivative(node, grad, error, name="torch::autograd::NotImplemented"):
    """The backward_graph of ``node`` when PyTorch's backward of that op is not differentiable: ``node.backward``'s
    gradients, each recorded as a GradientWithoutDerivative named ``name`` whose own backward raises ``error``,
    (exception class, message)."""
    # the node itself as an input: its inputs require grad, so PyTorch's recorded gradients do too
    anchor = node.graph_output(np.zeros((), grad._data.dtype))
    return tuple(None if value is None else
                 GradientWithoutDerivative.apply(grad, anchor, value=value, error=error, node_name=name)
                 for value in node.backward(grad._data))


def _run_tensor_hooks_graph(hooks, grad):
    """run_tensor_hooks for a gradient tensor recorded in the graph: hooks get it, and what they return replaces
    it as it is."""
    for hook in list(hooks.values()):
        replaced = hook(grad)
        if replaced is not None:
            checked_hook_result(getattr(hook, "__name__", type(hook).__name__), replaced, grad._data)
            grad = replaced
    return grad


def _accumulate_leaf_graph(tensor, grad):
    """_accumulate_leaf for a gradient tensor recorded in the graph: as PyTorch's AccumulateGrad under
    create_graph, ``.grad`` becomes a copy of it the first time (a copy recorded in the graph), then the sum out
    of place, so that earlier ``.grad`` tensors and their graphs stay valid."""
    if tensor._view_creation == "no_grad" and tensor.grad_fn is None:  # (see _accumulate_leaf)
        return
    if tensor._hooks:
        grad = _run_tensor_hooks_graph(tensor._hooks, grad)
    pre, post = _accumulator_hooks(tensor)
    if pre:
        grad = _run_node_prehooks(pre, grad, True)
    grad = grad._cast(tensor._data.dtype)
    tensor._grad = grad.clone() if tensor._grad is None else tensor._grad + grad
    if tensor._post_accumulate_grad_hooks:
        run_post_accumulate_hooks(tensor)
    if post:
        _run_node_posthooks(post, (), grad, True)


def run_post_accumulate_hooks(tensor):
    """The hooks of Tensor.register_post_accumulate_grad_hook, once ``tensor.grad`` holds its new value."""
    for hook in list(tensor._post_accumulate_grad_hooks.values()):
        returned = hook(tensor)
        if returned is not None:
            if not isinstance(returned, tensor_class()):  # (PyTorch's check of a tensor hook's result comes first)
                raise TypeError(f"expected Variable, but hook returned '{type(returned).__name__}'")
            raise RuntimeError("Tensor post accumulate grad hooks should return None.")


def _holomorphic_backward(node, grad):
    """A complex gradient through a node whose backward multiplies by its (complex) derivative as for real
    numbers: PyTorch's convention (the conjugate Wirtinger derivative) wants the conjugate derivative, which
    conj(backward(conj(grad))) gives for every holomorphic op (matmul, sigmoid, exp, ...) and leaves the linear
    ops with real coefficients (sums, reshapes, indexing) unchanged. The ops that are not holomorphic (abs,
    angle, real, imag, the FFTs' adjoints) say so with ``complex_aware``."""
    return tuple(None if g is None else np.conj(g) if g.dtype.kind == "c" else g
                 for g in node.backward(np.conj(grad)))


def _backward_watched(node, grad, method=None):
    """``node.backward(grad)`` (``method(node, grad)`` if given) under anomaly detection: its gradients checked for
    NaN, its failure shown with the stack of the forward call that made it."""
    try:
        if method is None:
            complex_grad = (grad.__class__ is _ndarray or grad.__class__ in _COMPLEX_SCALARS) and \
                grad.dtype.kind == "c" and not node.complex_aware
            input_grads = checked = _holomorphic_backward(node, grad) if complex_grad else node.backward(grad)
        else:
            input_grads = method(node, grad)
            checked = [getattr(g, "_data", None) for g in input_grads]  # OutputGrads pass unchecked
        if anomaly_mode.state.check_nan:
            anomaly_mode.check_gradients(node, checked)
    except Exception:
        anomaly_mode.warn_failed(node)
        raise
    return input_grads


def run_tensor_hooks(hooks, grad):
    """``grad`` passed through the hooks of Tensor.register_hook (``{id: hook}``), each maybe replacing it."""
    from .._tensor import Tensor

    for hook in list(hooks.values()):
        replaced = hook(Tensor._wrap(grad))
        if replaced is not None:
            grad = checked_hook_result(getattr(hook, "__name__", type(hook).__name__), replaced, grad)
    return grad


def checked_hook_result(name, value, grad):
    """The array of ``value``, which the hook called ``name`` returned in place of the gradient ``grad``;
    PyTorch's errors unless it is a tensor of the same shape and dtype."""
    from .._tensor import Tensor

    if not isinstance(value, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(value).__name__}'")
    if value._data.shape != grad.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")
    if value._data.dtype != grad.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {Tensor._wrap(grad).type()} got "
                           f"{value.type()})")
    return value._data


def _obeys_layout(grad, data):
    """PyTorch's gradient layout contract for a dense leaf: the gradient's strides are the leaf's at every dim
    but those of size 1, where any but 0 goes (AccumulateGrad then keeps the gradient's strides)."""
    if not isinstance(grad, np.ndarray) or grad.shape != data.shape:
        return False
    for size, theirs, ours in zip(data.shape, grad.strides, data.strides):
        if (theirs // grad.itemsize != ours // data.itemsize) if size != 1 else theirs == 0:
            return False
    return True


def _accumulate_leaf(tensor, grad):
    from .._tensor import Tensor

    if tensor._view_creation == "no_grad" and tensor.grad_fn is None:
        return  # a view made with grad mode off of a tensor requiring grad: PyTorch keeps its gradient nowhere
    if tensor._hooks:
        grad = run_tensor_hooks(tensor._hooks, grad)
    pre, post = _accumulator_hooks(tensor) if tensor.grad_fn is None else (None, None)
    if pre:
        grad = _run_node_prehooks(pre, grad, False)
    if tensor._grad is None:
        # A fresh, writable array (incoming gradients may be views or shared between inputs), laid out as PyTorch's
        # gradient layout contract says: in the leaf's own memory order when that is dense (a transposed or permuted
        # parameter), else contiguous.
        data = tensor._data
        if _memory_format.is_dense(data):
            fresh = np.empty_like(data, order="K")
            if fresh.strides != data.strides or getattr(grad, "strides", data.strides) != data.strides:
                # strides differing at size-1 dims (a channels-last N1HW leaf), or a gradient in another layout
                fresh = _memory_format.empty_with_strides_of(grad if _obeys_layout(grad, data) else data, data.dtype)
        else:
            fresh = np.empty(data.shape, data.dtype)
        fresh[...] = grad
        tensor.grad = Tensor._wrap(fresh)
    else:
        old = tensor._grad._data
        if old.flags.writeable and old.dtype == tensor._data.dtype and old.shape == np.shape(grad):
            # in place, as PyTorch's AccumulateGrad: the .grad tensor (and its views) keep their memory and layout
            old += grad
            tensor._grad._bump_version()
        else:
            tensor._grad._data = (old + grad).astype(tensor._data.dtype, copy=False)
    if tensor._post_accumulate_grad_hooks:
        run_post_accumulate_hooks(tensor)
    if post:
        _run_node_posthooks(post, (), grad, False)
