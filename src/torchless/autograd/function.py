"""The autograd graph: a Function is one differentiable operation, forward and backward side by side.

Calling ``SomeFunction.apply(*tensors, **params)`` runs ``forward`` on the tensors' arrays and, when
gradients are being recorded and some input requires grad, returns a tensor whose ``grad_fn`` is the
Function instance. The instance is the graph node: it remembers where each input's gradient goes
(``edges``) and whatever ``forward`` saved for ``backward``.
"""
import numpy as np

from . import grad_mode

_grad_state = grad_mode.state

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward."
)


class Function:
    """A differentiable operation on arrays.

    Subclasses define ``forward(self, *arrays, **params) -> array`` and
    ``backward(self, grad) -> tuple`` returning one gradient (or None) per tensor input. ``forward``
    stores what ``backward`` needs as attributes, and lists their names in ``saved`` so they can be
    freed after backward; ``self.needs_input_grad`` tells ``backward`` which gradients to compute.
    """

    saved = ()  # names of attributes holding saved arrays, released after backward
    edges = ()
    needs_input_grad = ()
    _freed = False
    _retained = None  # weak reference to a non-leaf output that asked retain_grad()
    _tensor_hooks = None  # {handle id: hook} registered on the output with Tensor.register_hook

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
        result = _wrap(node.forward(*arrays, **params))
        # Without a graph the node is dropped right here, and what forward saved with it: no
        # bookkeeping (and no release) is needed.
        if any_requires_grad and _grad_state.enabled:
            needs = tuple([t is not None and t._requires_grad for t in inputs])
            node.needs_input_grad = needs
            node.edges = tuple([_edge(t) if need else None for t, need in zip(inputs, needs)])
            result._requires_grad = True
            result.grad_fn = node
        return result

    def forward(self, *arrays, **params):  # pragma: no cover - interface
        raise NotImplementedError

    def backward(self, grad):  # pragma: no cover - interface
        raise NotImplementedError

    def name(self):
        """The name PyTorch gives this node, e.g. ``ConvolutionBackward0``."""
        return type(self).__name__ + "Backward0"

    def release(self):
        """Drop the arrays saved for backward (called once backward has used them)."""
        for attr in self.saved:
            setattr(self, attr, None)
        if self.saved:
            self._freed = True

    @property
    def next_functions(self):
        return tuple((e if isinstance(e, Function) else None, 0) for e in self.edges)

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"


def records(*tensors):
    """Whether an operation on ``tensors`` (None entries allowed) records a graph node, as
    Function.apply decides: gradients are being recorded and some input requires grad. Fast paths
    that skip apply where it would record nothing ask this first."""
    if not _grad_state.enabled:
        return False
    for t in tensors:
        if t is not None and t._requires_grad:
            return True
    return False


def _wrap(array):
    """Tensor._wrap, imported on first use (the tensor module imports this one)."""
    global _wrap
    from .._tensor import Tensor

    _wrap = Tensor._wrap
    return _wrap(array)


def _edge(tensor):
    """Where a gradient for ``tensor`` goes: its producing node, or the leaf tensor itself."""
    return tensor.grad_fn if tensor.grad_fn is not None else tensor


def _topological_order(root):
    """Nodes reachable from ``root``, each after every node that feeds gradient into it."""
    order, visited = [], {id(root)}
    stack = [(root, iter(root.edges))]
    while stack:
        node, children = stack[-1]
        for child in children:
            if isinstance(child, Function) and id(child) not in visited:
                visited.add(id(child))
                stack.append((child, iter(child.edges)))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order


def run_backward(tensor, grad, retain_graph=False):
    """Propagate ``grad`` (an array shaped like ``tensor``) back through the graph into leaves' ``.grad``."""
    root = tensor.grad_fn
    if root is None:
        _accumulate_leaf(tensor, grad)
        return
    pending = {id(root): grad}
    # Gradients of log, sqrt, division, ... at 0 are inf or nan, which PyTorch produces without warnings.
    with grad_mode.no_grad(), np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for node in _topological_order(root):
            g = pending.pop(id(node), None)
            if g is None:
                continue
            if node._freed:
                raise RuntimeError(_FREED_MESSAGE)
            if node._tensor_hooks:
                g = run_tensor_hooks(node._tensor_hooks, g)
            if node._retained is not None:
                kept = node._retained()
                if kept is not None:
                    _accumulate_leaf(kept, g)
            input_grads = node.backward(g)
            for edge, g_in in zip(node.edges, input_grads):
                if edge is None or g_in is None:
                    continue
                if isinstance(edge, Function):
                    previous = pending.get(id(edge))
                    pending[id(edge)] = g_in if previous is None else previous + g_in
                else:
                    _accumulate_leaf(edge, g_in)
            if not retain_graph:
                node.release()


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


def _accumulate_leaf(tensor, grad):
    from .._tensor import Tensor

    if tensor._hooks:
        grad = run_tensor_hooks(tensor._hooks, grad)
    if tensor.grad is None:
        # A fresh, writable array: incoming gradients may be views or shared between inputs.
        tensor.grad = Tensor._wrap(np.array(grad, dtype=tensor._data.dtype, copy=True))
    else:
        tensor.grad._data = (tensor.grad._data + grad).astype(tensor._data.dtype, copy=False)
