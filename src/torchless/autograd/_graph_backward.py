"""Backward under ``create_graph=True``: how the engine finds a node's ``backward_graph`` and records the gradients
it computes as PyTorch's graph has them (the nodes of its backward ops, ``ConvolutionBackwardBackward0``; the zero
derivatives its formulas declare; the ops whose backward is not differentiable)."""
import re

import numpy as np

from .. import _memory_format
from .graph import OUTPUT, Node, _edge, listed_edge, listed_pair, no_graph_backward_message

_graph_backwards = {}  # node class -> its backward_graph function


def backward_graph_method(node):
    """The backward_graph function of ``node``'s class: the one defined next to the ``backward`` the class uses,
    for a subclass that overrides backward alone would otherwise inherit a formula that is not its own; a node
    without one raises NotImplementedError naming it."""
    return backward_graph_method_of(type(node))


def backward_graph_method_of(cls):
    """``backward_graph_method`` of a node of class ``cls``."""
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


def set_backward_graph_method(cls, method):
    """Make ``method`` the backward_graph of the nodes of class ``cls`` as it stands (no wrapping: a subclass whose
    method calls its parent's, wrapped already)."""
    _graph_backwards[cls] = method


def _laid_out_as_backward(method, layout):
    """``method`` (a backward_graph) with its gradients laid out by ``layout``, the rule by which the node's
    ``backward`` lays out its arrays (see _ops._util.laid_out_gradients): the same PyTorch op computes both."""
    if getattr(layout, "by_position", False):
        def backward_graph(node, grad):
            return tuple(relaid(g, layout(node, grad._data, g._data, i), grad) if g is not None and hasattr(g, "_data")
                         else g for i, g in enumerate(method(node, grad)))
        return backward_graph

    def backward_graph(node, grad):
        return tuple(relaid(g, layout(node, grad._data, g._data), grad) if g is not None and hasattr(g, "_data")
                     else g for g in method(node, grad))
    return backward_graph


def relaid(gradient, array, grad):
    """The gradient tensor ``gradient`` holding ``array``, its values laid out anew: the tensor itself (a fresh
    result of the formula, which nothing else holds yet) unless it is ``grad`` or a view, which are copied."""
    if array is gradient._data:
        return gradient
    if gradient is grad or gradient._view_base is not None or getattr(gradient._grad_fn, "is_view", False):
        gradient = gradient.clone() if gradient._requires_grad else gradient._wrap(array)
    gradient._data = array
    return gradient


class BackwardOfBackward(Node):
    """The gradients a node's backward_graph computed, recorded as coming from one node named after PyTorch's
    backward op, as PyTorch's are (``ConvolutionBackwardBackward0``): an identity. ``listed``: what PyTorch's node
    lists as next_functions, the nodes of that op's inputs (the gradient, then the forward's tensors it reads),
    where torchless computed through a chain of ops."""

    def forward(self, value, *read, node_name=None, listed=None):
        """``read``: tensors of the graph the op reads whose own gradient through it is nothing, recorded so that
        the result requires grad as they do."""
        self.node_name, self.listed = node_name, listed
        return value

    def backward(self, grad):
        return (grad,) + (None,) * (len(self.edges) - 1)

    def backward_graph(self, grad):
        return self.backward(grad)

    def name(self):
        return self.node_name

    def pytorch_inputs(self):
        return self.listed


class GradientLaidOut(Node):
    """An identity in front of a tensor a backward_graph reads, which lays that tensor's gradient out by
    ``lay_out`` (array -> array): where PyTorch's double backward op computes the gradient by its own ops, which
    lay it out otherwise than the backward of the ops torchless composes would."""
    listed_through = True

    def forward(self, value, lay_out=None):
        self.lay_out = lay_out
        return value

    tangent_is_input = True  # (forward over reverse: see forward_ad.propagate)

    def backward(self, grad):
        return (self.lay_out(grad),)

    def backward_graph(self, grad):
        return (relaid(grad, self.lay_out(grad._data), grad),)


class SeenGradient(Node):
    """An identity on a backward_graph's result that keeps the gradient reaching it (an array), which the
    GradientLaidOut in front of the tensors that backward_graph read lay theirs out by (see
    laid_out_as_iterator_of_gradient)."""
    listed_through = True
    seen = None

    def forward(self, value):
        return value

    tangent_is_input = True  # (forward over reverse: see forward_ad.propagate)

    def backward(self, grad):
        self.seen = grad
        return (grad,)

    def backward_graph(self, grad):
        self.seen = grad._data
        return (grad,)


class GradientOfGradientLaidOut(Node):
    """An identity on a gradient a backward_graph computed, which lays out the gradient, one order up, with respect
    to the gradient that differentiates it (the ``grad`` its own backward_graph receives): where PyTorch computes
    that one by ops of its double backward (a convolution's, in which the weight's gradient's gradient is a weight)
    whose layout the ops torchless composes do not give."""
    listed_through = True

    def forward(self, value, strides=None):
        self.strides = strides
        return value

    tangent_is_input = True  # (forward over reverse: see forward_ad.propagate)

    def backward(self, grad):
        return (grad,)

    def backward_graph(self, grad):
        return (with_gradient_strides(grad, self.strides),)


def with_gradient_laid_out(tensor, lay_out):
    """``tensor`` as a backward_graph reads it, its gradient through that read laid out by ``lay_out`` (see
    GradientLaidOut)."""
    return GradientLaidOut.apply(tensor, lay_out=lay_out) if tensor._requires_grad else tensor


def with_gradient_strides(tensor, strides):
    """``tensor`` as a backward_graph reads it, its gradient through that read laid out with ``strides``."""
    strides = tuple(strides)
    return with_gradient_laid_out(tensor, lambda array: _memory_format.with_strides(array, strides))


def laid_out_as_iterator_of_gradient(formula, tensors, operands):
    """``formula(*tensors)``, a gradient computed by backward_graph, whose own gradients (those of ``tensors``)
    are laid out as PyTorch's double backward formulas allocate theirs: by TensorIterator over the gradient that
    reaches the result first, then the arrays ``operands`` (the first to order the dims decides), where a where()
    of torchless's formula would follow its condition's layout."""
    seen = []

    def lay_out(array):
        return _memory_format.with_strides(array, _memory_format.iterator_strides(array.shape, (seen[0].seen,
                                                                                                   *operands)))

    result = formula(*(with_gradient_laid_out(t, lay_out) for t in tensors))
    if result._requires_grad:
        result = SeenGradient.apply(result)
        seen.append(result._grad_fn)
    return result


def _backward_op_inputs(node, grad, positions=None):
    """next_functions of PyTorch's node of ``node``'s backward op: the gradient's node, then those of the tensors
    the op reads (see Node.backward_inputs; ``positions``, the op's call for one gradient, backward_inputs_of)."""
    if positions is None:
        positions = range(len(node.edges)) if node.backward_inputs is None else node.backward_inputs
    listed = [_edge(grad) if grad._requires_grad else None]
    for position in positions:
        listed.append(node if position == OUTPUT else None if position is None or position >= len(node.edges)
                      else node.edges[position])
    return tuple(listed_pair(edge) for edge in listed)


def _read_by_backward_op(node):
    """The tensors of the graph (requiring grad) that ``node``'s backward op reads besides the gradient."""
    positions = range(len(node.edges)) if node.backward_inputs is None else node.backward_inputs
    return [node.graph_input(position, np.zeros(())) for position in positions
            if position is not None and position != OUTPUT and position < len(node.edges)
            and node.edges[position] is not None]


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
                positions = node.backward_inputs_of.get(i)
                g = grads[i] = BackwardOfBackward.apply(g, node_name=name, listed=listed if positions is None
                                                        else _backward_op_inputs(node, grad, positions))
            elif g is not None and node.backward_op_ties_inputs:
                g = grads[i] = BackwardOfBackward.apply(g, *_read_by_backward_op(node), node_name=name, listed=listed)
            if g is not None and i in summed_to:
                grads[i] = unbroadcast_tensor(g, summed_to[i])
        return tuple(grads)
    return backward_graph


def recorded_as_backward_op(node, gradient, grad, name):
    """``gradient`` (a tensor backward_graph computed for one input of ``node`` from ``grad``) recorded under the
    node of PyTorch's backward op ``name``, for a node whose other gradients that op does not give (see
    backward_is_one_op for a node whose all are)."""
    if gradient is None or not gradient._requires_grad:
        return gradient
    return BackwardOfBackward.apply(gradient, node_name=name, listed=_backward_op_inputs(node, grad))


def _refuse_graph_backward(node, grad):
    raise NotImplementedError(no_graph_backward_message(node))


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

    def pytorch_inputs(self):
        # PyTorch's NotImplemented node lists the inputs requiring grad alone (a node named after an op, all)
        if self.node_name == NOT_IMPLEMENTED:
            return tuple(listed_pair(edge) for edge in self.edges if edge is not None)
        return None


NOT_IMPLEMENTED = "torch::autograd::NotImplemented"  # the node of a gradient whose op has no derivative


class ZeroDerivativeOf(Node):
    """A gradient computed under create_graph=True that PyTorch's backward formula computes from a tensor of the
    graph (the op's input or result) whose derivative it declares zero (``zeros_like``): that tensor's part of the
    graph gets a zero gradient through it, so the gradient requires grad, and backward through it reaches (with
    zeros) what PyTorch's reaches, even when nothing else depends on the graph (``self: zeros_like(grad)`` of
    threshold_backward, max_pool2d_with_indices_backward's ``self: zeros_like(self)``)."""

    def forward(self, value, anchor, node_name=None, listed=None, like_anchor=False):
        """``listed``: next_functions of PyTorch's node (see BackwardOfBackward), else the inputs; ``like_anchor``:
        the formula is ``zeros_like(self)`` of the anchor, which PyTorch's generated code makes from its saved sizes
        and options alone (``self_info.zeros()``: C-contiguous, whatever the anchor's layout)."""
        self.node_name, self.anchor_shape, self.anchor_dtype = node_name, anchor.shape, anchor.dtype
        self.listed, self.like_anchor = listed, like_anchor
        return value

    def pytorch_inputs(self):
        return self.listed

    def _zeros(self, grad):
        """The anchor's zero gradient: PyTorch's ``zeros_like(grad)``, in grad's layout, where grad has the
        anchor's shape (the elementwise backward ops'), else C-contiguous."""
        if not self.needs_input_grad[1]:
            return None
        if grad.shape == self.anchor_shape and grad.ndim > 1 and not self.like_anchor:
            return _memory_format.empty_like(grad, self.anchor_dtype, _memory_format.preserve_format)
        return np.zeros(self.anchor_shape, self.anchor_dtype)

    def backward(self, grad):
        return grad, self._zeros(grad)

    def backward_graph(self, grad):
        zeros = self._zeros(grad._data)
        return grad, None if zeros is None else grad._wrap(zeros)

    def name(self):
        return self.node_name


def with_zero_derivative_of(gradient, anchor, name, grad=None, like_anchor=False):
    """``gradient`` (a tensor) recorded as depending, with derivative zero, on ``anchor``: see ZeroDerivativeOf.
    ``grad``: the gradient the backward op read, listed with ``anchor`` as PyTorch's node of that op lists its
    inputs (else its inputs are listed); ``like_anchor``: the formula's zeros are ``zeros_like(self)``, not
    ``zeros_like(grad)``."""
    listed = None
    if grad is not None:
        listed = tuple(listed_edge(t) for t in (grad, anchor))
    return ZeroDerivativeOf.apply(gradient, anchor, node_name=name, listed=listed, like_anchor=like_anchor)


def gradients_without_derivative(node, grad, error, name=NOT_IMPLEMENTED):
    """The backward_graph of ``node`` when PyTorch's backward of that op is not differentiable: ``node.backward``'s
    gradients, each recorded as a GradientWithoutDerivative named ``name`` whose own backward raises ``error``,
    (exception class, message)."""
    # the node itself as an input: its inputs require grad, so PyTorch's recorded gradients do too
    anchor = node.graph_output(np.zeros((), grad._data.dtype))
    return tuple(gradient_without_derivative(value, grad, anchor, error, name) for value in node.backward(grad._data))


def gradient_without_derivative(value, grad, read, error, name=NOT_IMPLEMENTED):
    """``value``, a gradient computed under create_graph=True from ``grad`` and the tensor ``read`` of the graph by a
    backward op of PyTorch's that is not differentiable, recorded as a GradientWithoutDerivative (see
    gradients_without_derivative): it requires grad where grad or ``read`` does."""
    return None if value is None else GradientWithoutDerivative.apply(grad, read, value=value, error=error,
                                                                      node_name=name)
