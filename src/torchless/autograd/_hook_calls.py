"""Calling the hooks users register on the graph: on a node (``grad_fn.register_prehook``/``register_hook``), on a
tensor (``Tensor.register_hook``), on a leaf's AccumulateGrad and after a leaf's accumulation, with PyTorch's
checks of what they return."""
from .graph import OutputGrads, tensor_class


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
        if value is None:
            replaced.append(None)
            continue
        if old is None:
            raise RuntimeError("can't replace a None gradient with a non-None value")
        array = checked_hook_result(name, value, old._data if graph else old)
        replaced.append(value if graph else array)
    return replaced


def run_node_prehooks(hooks, grad, graph):
    """``grad`` (one gradient, or OutputGrads) through a node's pre-hooks."""
    several = isinstance(grad, OutputGrads)
    grads = list(grad.grads) if several else [grad]
    for hook in list(hooks.values()):
        returned = hook(_as_hook_tensors(grads, graph))
        if returned is not None:
            grads = _hook_replacement(hook, returned, grads, graph)
    return OutputGrads(grads) if several else grads[0]


def run_node_posthooks(hooks, input_grads, grad, graph, listed=None):
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


def accumulator_hooks(tensor):
    """The hooks registered on the AccumulateGrad node of the leaf ``tensor`` (pre, post), None without any."""
    node = tensor.__dict__.get("_hooked_accumulator")
    return (None, None) if node is None else (node._pre_hooks, node._post_hooks)


def run_tensor_hooks_on_none(hooks):
    """The hooks of Tensor.register_hook (``{id: hook}``) of a tensor no gradient reached in a backward that reached
    its node: PyTorch calls them with None, which none may replace."""
    for hook in list(hooks.values()):
        if hook(None) is not None:
            raise RuntimeError("can't replace a None gradient with a non-None value")


def run_tensor_hooks(hooks, grad):
    """``grad`` passed through the hooks of Tensor.register_hook (``{id: hook}``), each maybe replacing it (None:
    see run_tensor_hooks_on_none)."""
    from .._tensor import Tensor

    if grad is None:
        return run_tensor_hooks_on_none(hooks)
    for hook in list(hooks.values()):
        replaced = hook(Tensor._wrap(grad))
        if replaced is not None:
            grad = checked_hook_result(getattr(hook, "__name__", type(hook).__name__), replaced, grad)
    return grad


def run_tensor_hooks_graph(hooks, grad):
    """run_tensor_hooks for a gradient tensor recorded in the graph: hooks get it, and what they return replaces
    it as it is."""
    if grad is None:
        return run_tensor_hooks_on_none(hooks)
    for hook in list(hooks.values()):
        replaced = hook(grad)
        if replaced is not None:
            checked_hook_result(getattr(hook, "__name__", type(hook).__name__), replaced, grad._data)
            grad = replaced
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


def run_post_accumulate_hooks(tensor):
    """The hooks of Tensor.register_post_accumulate_grad_hook, once ``tensor.grad`` holds its new value."""
    for hook in list(tensor._post_accumulate_grad_hooks.values()):
        returned = hook(tensor)
        if returned is not None:
            if not isinstance(returned, tensor_class()):  # (PyTorch's check of a tensor hook's result comes first)
                raise TypeError(f"expected Variable, but hook returned '{type(returned).__name__}'")
            raise RuntimeError("Tensor post accumulate grad hooks should return None.")
