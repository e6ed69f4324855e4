"""torch.func's autodiff transforms: grad, grad_and_value, vjp, jvp, linearize, jacrev, jacfwd and hessian, built on
torchless's reverse-mode autograd.

A transform differentiates ``func`` with respect to fresh copies of the inputs it is given (aliases of those
that require grad already, so that an outer transform, or ordinary autograd around the call, differentiates
through it: ``hessian`` is ``jacfwd(jacrev(f))``, ``grad(grad(f))`` a second derivative). Gradients keep their
graph only then, or when ``func`` captured a tensor requiring grad (a model's weights, for a meta-gradient).

jvp and jacfwd run ``func`` in forward mode (autograd.forward_ad: dual tensors carrying the tangents), as PyTorch's
do, so that ``func`` may read values (``.item()``) and return tensors of any dtype. Composed with other transforms
(inside one, around one such as ``hessian``'s ``jacfwd(jacrev(f))``, or with inputs requiring grad) they differentiate
the vector-Jacobian product with respect to its cotangent instead (the "double backward" trick), whose results
reverse mode can differentiate in turn.
"""
import functools
import itertools
import sys

import numpy as np

from ..autograd import forward_ad, grad_mode
from ..autograd.graph import tensor_class as _tensor_class
from ..utils._pytree import tree_flatten, tree_unflatten
from ._vmap import chunk_sizes

# Transforms running, innermost last: inside one, gradients keep their graph for the one outside
_running = []
# Forward-mode transforms (jvp, jacfwd) running their function on dual tensors
_forward_running = []
# The number of forward-mode transforms (jvp, jacfwd) called so far, in a list to count in place
_forward_calls = [0]
# The transforms running their function, innermost last: (its number, the ids of its inputs and of their bases)
_epochs = []
_epoch_numbers = itertools.count(1)
# PyTorch's overloads of the in-place ops its refusal names (aten::add_.Tensor): those taking a number as a Scalar
# overload and a tensor as a Tensor one, and those always dispatched as Tensor (a number wrapped)
_SCALAR_OR_TENSOR = {"fill_", "masked_fill_", "lerp_", "pow_", "index_fill_"}
_TENSOR_OVERLOAD = {"add_", "sub_", "mul_", "div_", "eq_", "ne_", "lt_", "le_", "gt_", "ge_"}


class _ComposedWithForward(Exception):
    """Raised inside a forward-mode transform's function by a transform given its dual tensors (reverse mode,
    which drops tangents, or a nested forward transform, which needs a level of its own): the forward-mode
    transform then runs again by the double-backward trick, which composes."""


def _positions(argnums, count):
    """The positions ``argnums`` selects among ``count`` positional arguments, with PyTorch's errors (each argnum
    checked in turn, then the tuple, wrapped: non-empty, without repeats)."""
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    chosen = []
    for argnum in (argnums,) if isinstance(argnums, int) else argnums:
        if not isinstance(argnum, int):
            raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
        if not -count <= argnum < count:
            raise RuntimeError(f"Got argnum={argnum}, but only {count} positional inputs")
        chosen.append(argnum % count)
    if isinstance(argnums, tuple):
        if not chosen:
            raise RuntimeError("argnums must be non-empty")
        if len(set(chosen)) != len(chosen):
            raise RuntimeError(f"argnums elements must be unique, got {tuple(chosen)}")
    return chosen


def _differentiable(tree, api="transform API"):
    """(the leaves of ``tree`` as tensors to differentiate with respect to, its spec, whether gradients keep their
    graph)."""
    from ..autograd.grad_mode import enable_grad, is_grad_enabled

    Tensor = _tensor_class()
    leaves, spec = tree_flatten(tree)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise ValueError(f"Thing passed to {api} must be Tensor, got {type(leaf)}")
    if _forward_running and forward_ad.has_tangent(leaves):
        raise _ComposedWithForward  # (reverse mode drops tangents: the forward transform starts over composably)
    keep_graph = bool(_running) or (is_grad_enabled() and any(leaf.requires_grad for leaf in leaves))
    with enable_grad():
        inputs = [leaf.view_as(leaf) if leaf.requires_grad else leaf.detach().requires_grad_() for leaf in leaves]
    return inputs, spec, keep_graph


def _traced_with_respect_to(func, argnums, args, kwargs):
    """``func(*args, **kwargs)`` recorded with respect to the arguments ``argnums``: (its output, the inputs
    differentiated with respect to, their spec, whether gradients keep their graph)."""
    positions = _positions(argnums, len(args))
    selected = args[positions[0]] if isinstance(argnums, int) else tuple(args[p] for p in positions)
    inputs, spec, keep_graph = _differentiable(selected)
    output = _traced(func, _with_selected(args, positions, argnums, inputs, spec), kwargs, inputs)
    return output, inputs, spec, _keeps_graph(keep_graph, output, inputs)


def _keeps_graph(keep_graph, output, inputs):
    """Whether results keep their graph: ``keep_graph`` (from the inputs), or, with grad mode on, when ``output``
    depends on a tensor requiring grad that ``func`` captured (a model's weights): as PyTorch's do, gradients then
    stay differentiable with respect to it."""
    from ..autograd.grad_mode import is_grad_enabled

    if keep_graph or not is_grad_enabled():
        return keep_graph
    Tensor = _tensor_class()
    own = {id(tensor) for tensor in inputs}
    nodes = [leaf._grad_fn for leaf in tree_flatten(output)[0] if isinstance(leaf, Tensor) and leaf._grad_fn]
    seen = set()
    while nodes:
        node = nodes.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for edge in node.edges:
            if isinstance(edge, Tensor):
                if id(edge) not in own:
                    return True
            elif edge is not None:
                nodes.append(edge)
    return False


def _with_selected(args, positions, argnums, inputs, spec):
    """``args`` with those at ``positions`` replaced by the differentiable ``inputs``."""
    replaced = tree_unflatten(inputs, spec)
    args = list(args)
    for index, position in enumerate(positions):
        args[position] = replaced if isinstance(argnums, int) else replaced[index]
    return args


def _traced(func, args, kwargs, inputs=()):
    """``func(*args, **kwargs)`` recorded for differentiation, as one transform level (``inputs``: the tensors
    given to ``func`` to differentiate with respect to)."""
    from ..autograd.grad_mode import enable_grad

    Tensor = _tensor_class()
    # (PyTorch's grad transforms wrap every tensor argument, not only those differentiated: ``func`` may write
    # the others in place, a module's buffers given to functional_call)
    given = [leaf for leaf in tree_flatten((args, kwargs))[0] if isinstance(leaf, Tensor)]
    _running.append(func)
    try:
        with enable_grad(), _transform_epoch(inputs, given):
            return func(*args, **kwargs)
    finally:
        _running.pop()


class _transform_epoch:
    """A transform running its function: the tensors made meanwhile are stamped with its number, and its
    ``inputs`` and its other tensor ``arguments`` (with the tensors they view) are its own, the only ones ``func``
    may write in place (see refuse_mutating_captured)."""

    def __init__(self, inputs, arguments=()):
        self.inputs = inputs
        self.arguments = arguments

    def __enter__(self):
        number = next(_epoch_numbers)
        owned = {id(t) for tensors in (self.inputs, self.arguments) for tensor in tensors
                 for t in (tensor, tensor._view_base)}
        _epochs.append((number, owned))
        for tensor in self.inputs:  # (and what they make, detach()'s alias, is the transform's too)
            tensor.__dict__["_transform_epoch"] = number
        self.previous, grad_mode.state.transform_epoch = grad_mode.state.transform_epoch, number
        grad_mode.update_stamps()

    def __exit__(self, *exc):
        grad_mode.state.transform_epoch = self.previous
        grad_mode.update_stamps()
        _epochs.pop()


def refuse_mutating_captured(tensor, operand=None, name=None):
    """PyTorch's refusal of an in-place op, inside a function a grad transform runs, on a tensor the function did
    not make nor get as an input to differentiate (a tensor it captured, or a view of one): ``name``, the op's
    aten name, else its method's read from the caller's frames; ``operand``: its value (a number picks the Scalar
    overload of some ops)."""
    if not _epochs:
        return
    number, owned = _epochs[-1]
    base = tensor if tensor._view_base is None else tensor._view_base
    if id(tensor) in owned or id(base) in owned or base._transform_epoch >= number:
        return
    name = name or _aten_inplace_name(operand)
    raise RuntimeError(f"During a grad (vjp, jvp, grad, etc) transform, the function provided attempted to call "
                       f"in-place operation ({name}) that would mutate a captured Tensor. This "
                       "is not supported; please rewrite the function being transformed to explicitly accept the "
                       "mutated Tensor(s) as inputs.")


def _aten_inplace_name(operand):
    """The aten name of the in-place method running (the innermost caller named as one: ``relu_``, ``add_``; an
    assignment ``t[key] = v`` is named by its caller), with PyTorch's overload."""
    frame = sys._getframe(2)
    for _ in range(4):  # (the method is a few frames up: add_ -> _inplace -> here; __iadd__ calls add_)
        name = frame.f_code.co_name
        if name.endswith("_") and not name.startswith("_"):
            break
        frame = frame.f_back
    else:
        return "aten::copy_"
    if name in _TENSOR_OVERLOAD:
        return f"aten::{name}.Tensor"
    if name in _SCALAR_OR_TENSOR:
        return f"aten::{name}.{'Tensor' if isinstance(operand, _tensor_class()) else 'Scalar'}"
    return f"aten::{name}"


def _split_aux(output, has_aux, api):
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return output


def _checked_aux(aux, keep_graph):
    Tensor = _tensor_class()
    leaves, spec = tree_flatten(aux)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(leaf)}")
    return tree_unflatten([_kept(leaf, keep_graph) for leaf in leaves], spec)


def _kept(tensor, keep_graph):
    return tensor if keep_graph else tensor.detach()


def _output_tensors(output, api):
    Tensor = _tensor_class()
    leaves, spec = tree_flatten(output)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got unsupported type {type(leaf)}")
    return leaves, spec


def _differentiable_outputs(output, api):
    """:func:`_nonempty_outputs`, refusing (as vjp, and jacrev through it) outputs of a dtype without gradients."""
    leaves, spec = _nonempty_outputs(output, api)
    for leaf in leaves:
        if not (leaf.is_floating_point() or leaf.is_complex()):
            raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got Tensor "
                               f"with dtype {leaf.dtype}")
    return leaves, spec


def _gradients(outputs, inputs, cotangents, keep_graph, batched=False):
    """The gradients of ``outputs`` (weighted by ``cotangents``) with respect to ``inputs``, zeros where they do
    not depend on one; inside vmap, with ``batched``, marked batched as PyTorch's are."""
    from .. import autograd

    pairs = [(output, cotangent) for output, cotangent in zip(outputs, cotangents) if output.requires_grad]
    grads = [None] * len(inputs)
    if pairs:
        grads = autograd.grad([output for output, _ in pairs], inputs, [cotangent for _, cotangent in pairs],
                              retain_graph=True, create_graph=keep_graph, allow_unused=True)
    results = [_unused_gradient(input) if grad is None else _kept(grad, keep_graph)
               for input, grad in zip(inputs, grads)]
    if batched and forward_ad.state.vmap_levels:  # (PyTorch's backward runs on batched outputs and cotangents:
        # every gradient it computes is batched, however its samples compare; a zero one, if its input is)
        sources = [t for t in list(outputs) + list(cotangents) if t is not None and forward_ad.batched(t)]
        for input, grad, result in zip(inputs, grads, results):
            if not forward_ad.batched(result):
                forward_ad.mark_batched(result, sources if grad is not None else (input,))
                layout = None
                if grad is not None and cotangents == [None] and len(forward_ad.state.vmap_levels) == 1 and \
                        forward_ad.batched(input):
                    layout = _gradient_layout(outputs[0], input)
                if layout == "expanded" and input.dim():  # (the batched cotangent expanded: no new tensor)
                    result.__dict__["_vmap_expanded"] = (result.reshape(-1)[0], (1,) * input.dim())
                elif layout == "front":  # (a new tensor, C-contiguous, the batch in front)
                    if not result._data.flags.c_contiguous:
                        result._data = np.ascontiguousarray(result._data)
                    forward_ad.mark_batch_rank(result, 0)
                elif forward_ad.batched(input) and input.shape == result.shape:  # (laid out as its input)
                    forward_ad.mark_batch_rank(result, input.__dict__.get("_vmap_rank", 0))
    return results


# How the backward nodes of PyTorch's formulas lay out, under vmap, the gradient they pass on (see _gradient_layout),
# by torchless node class: those allocating a new tensor (the batch in front), the pointwise ones multiplying the
# gradient by a tensor laid out as their input (which a gradient expanded from the cotangent follows), and those
# computing from the gradient alone
_NEW_GRADIENT = {"Convolution", "TransposedConvolution", "Linear", "MatMul", "MaxPool", "AvgPool", "AdaptiveAvgPool",
                 "Softmax", "LogSoftmax", "Cumsum", "Index"}
_INPUT_LAID_OUT = {"Exp", "Tanh", "Sigmoid", "Relu", "Pow", "Gelu", "LeakyRelu", "Silu", "Clamp", "Sin", "Cos",
                   "Log", "Sqrt", "Abs"}
_GRADIENT_ONLY = {"Neg", "Sub"}


def _gradient_layout(output, input):
    """How PyTorch lays out, inside one vmap, grad's gradient of the scalar ``output`` with respect to the batched
    ``input``: its backward starts from the batched cotangent, expanded by the reductions ("expanded"), which each
    node on the path to ``input`` keeps (views, sums, additions), turns into a new tensor with the batch in front
    ("front"), or multiplies by a tensor laid out as the input, TensorIterator then following that one ("input").
    None where the path is not one chain or its last nodes are not known here (the gradients of a node reading the
    input twice summed, if they agree)."""
    Tensor = _tensor_class()
    root = output._grad_fn
    if root is None:
        return None
    order, seen, stack = [], set(), [(root, False)]
    while stack:  # (the nodes in post-order, to find those from which the input is reached)
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((edge, False) for edge in node.edges if edge is not None and not isinstance(edge, Tensor))
    reaching = set()
    for node in order:
        if any(edge is input or id(edge) in reaching for edge in node.edges if edge is not None):
            reaching.add(id(node))
    node, state, scalar = root, "expanded", True  # (scalar: the gradient is still one number per sample)
    while True:
        paths = [(position, edge) for position, edge in enumerate(node.edges)
                 if edge is input or edge is not None and not isinstance(edge, Tensor) and id(edge) in reaching]
        if len(paths) == 1 or paths and all(edge is input for _, edge in paths):
            after = {_layout_after(node, position, state, scalar) for position, _ in paths}
        else:
            return None
        if len(after) != 1:
            return None
        state, scalar = after.pop()  # (None, unknown, goes on: a node allocating its gradient anew sets it)
        if paths[0][1] is input:
            return state
        node = paths[0][1]


def _layout_after(node, position, state, scalar):
    """(layout, still a number per sample) of the gradient ``node`` passes to its input at ``position``, from those
    of the gradient it gets (see _gradient_layout); a layout None if unknown."""
    name = type(node).__dict__.get("_named_from", type(node)).__name__
    operands = (getattr(node, "a", None), getattr(node, "b", None))  # (a product's or a quotient's: saved)
    if name in ("Mul", "Div"):
        scalar = scalar and np.ndim(operands[position]) == 0
    elif name in ("Sum", "Mean"):
        scalar = False
    if name in _NEW_GRADIENT or name in ("Expand", "Diagonal"):  # (a view's gradient written into zeros, or summed)
        return "front", False
    if state is None:
        return None, scalar
    shapes = getattr(node, "shapes", None)
    if name in ("Add", "Sub") and shapes and tuple(shapes[position]) != np.broadcast_shapes(*shapes) and not scalar:
        return "front", scalar  # (summed to the broadcast operand's shape)
    if name in ("Reshape", "Permute", "Add") or name == "Sub" and position == 0 or name == "Sum" and \
            state == "expanded":
        return state, scalar
    if scalar and (name in _INPUT_LAID_OUT or name in _GRADIENT_ONLY or name in ("Mul", "Div")):
        return state, scalar  # (one number per sample: no layout to take)
    if name == "Mean" and state == "expanded":
        return "front", scalar
    if state != "expanded":
        known = name in _INPUT_LAID_OUT or name in _GRADIENT_ONLY or name in ("Mul", "Div")
        return (state if known else None), scalar
    if name in _INPUT_LAID_OUT:
        return "input", scalar
    if name in _GRADIENT_ONLY or node.__dict__.get("_drawn_operand"):  # (a mask drawn under vmap: batch in front)
        return "front", scalar
    if name in ("Mul", "Div"):
        other = operands[1 - position]  # (the operand the gradient is multiplied or divided by)
        return ("input" if np.size(other) > 1 else "front"), scalar
    return None, scalar


def _unused_gradient(input):
    """The gradient with respect to ``input`` of outputs not depending on it: zeros laid out as it is (PyTorch's
    zeros_like), marked as depending on nothing (a Jacobian of such rows is the one row expanded)."""
    from .._creation.filled import zeros_like

    zeros = zeros_like(input.detach())  # (a new tensor: no graph to keep)
    zeros.__dict__["_independent"] = True
    return zeros


def grad_and_value(func, argnums=0, has_aux=False):
    r"""``func`` transformed to return (its gradient with respect to the arguments ``argnums``, its value).

    Args:
        func (callable): a function returning a scalar tensor (with ``has_aux``, ``(scalar, aux)``).
        argnums (int or tuple of ints): the positional arguments to differentiate with respect to; with a tuple the
            gradient is a tuple too. Default: 0.
        has_aux (bool): ``func`` returns an auxiliary value as well, passed through. Default: ``False``.

    Returns:
        a function returning ``(gradients, value)``, or ``(gradients, (value, aux))`` with ``has_aux``; each
        gradient is shaped (and nested) as its argument.
    """
    @functools.wraps(func)
    def transformed(*args, **kwargs):
        output, inputs, spec, keep_graph = _traced_with_respect_to(func, argnums, args, kwargs)
        output, aux = _split_aux(output, has_aux, "grad_and_value(f)(*args)")
        if not isinstance(output, _tensor_class()):
            raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(output)}")
        if output.dim() != 0:
            raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor "
                               f"with {output.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?")
        grads = tree_unflatten(_gradients([output], inputs, [None], keep_graph, batched=True), spec)
        value = _kept(output, keep_graph)
        return (grads, (value, _checked_aux(aux, keep_graph))) if has_aux else (grads, value)

    return transformed


def grad(func, argnums=0, has_aux=False):
    r"""``func`` transformed to return its gradient with respect to the arguments ``argnums`` (see
    :func:`grad_and_value`); with ``has_aux``, ``(gradients, aux)``.

    Example::

        >>> torchless.func.grad(lambda x: (x ** 2).sum())(torchless.tensor([1., 2.]))
        tensor([2., 4.])
    """
    with_value = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def transformed(*args, **kwargs):
        grads, value = with_value(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return transformed


def vjp(func, *primals, has_aux=False):
    r"""(``func(*primals)``, a function of cotangents shaped as that output returning the vector-Jacobian products,
    one per primal); with ``has_aux``, the auxiliary output third."""
    inputs, spec, keep_graph = _differentiable(primals)
    output = _traced(func, tree_unflatten(inputs, spec), {}, inputs)
    keep_graph = _keeps_graph(keep_graph, output, inputs)
    output, aux = _split_aux(output, has_aux, "vjp(f, *primals)")
    outputs, out_spec = _differentiable_outputs(output, "vjp(f, *primals)")

    def vjp_fn(cotangents, *, retain_graph=True, create_graph=None):
        given, given_spec = tree_flatten(cotangents)
        if given_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of outputs "
                               f"to the function. cotangents: {_pretty(given_spec)}, primal output: "
                               f"{_pretty(out_spec)}")
        keep = keep_graph if create_graph is None else create_graph
        return tree_unflatten(_gradients(outputs, inputs, given, keep, batched=True), spec)

    primal_out = tree_unflatten([_kept(output, keep_graph) for output in outputs], out_spec)
    return (primal_out, vjp_fn, _checked_aux(aux, keep_graph)) if has_aux else (primal_out, vjp_fn)


def _pretty(spec):
    """A structure as PyTorch's messages print it: ``*`` for a leaf, ``(*, *)`` for a pair."""
    if spec.is_leaf():
        return "*"
    children = [_pretty(child) for child in spec.children_specs]
    if spec.type is dict:
        return "{" + ", ".join(f"{key!r}: {child}" for key, child in zip(spec.context, children)) + "}"
    if spec.type is list:
        return "[" + ", ".join(children) + "]"
    return "(" + ", ".join(children) + ("," if len(children) == 1 else "") + ")"


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    r"""(``func(*primals)``, its Jacobian-vector product with ``tangents``); with ``has_aux``, the auxiliary
    output third. ``primals`` and ``tangents`` are tuples of the same structure."""
    api = "jvp(f, primals, tangents)"
    _forward_calls[0] += 1
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{api}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    primal_leaves, primal_spec = tree_flatten(primals)
    tangent_leaves, tangent_spec = tree_flatten(tangents)
    if tangent_spec != primal_spec:
        raise RuntimeError(f"{api}: Expected primals and tangents to have the same python structure. For example, if "
                           "primals is a tuple of 3 tensors, tangents also must be. Got primals with structure "
                           f"{primal_spec} and tangents with structure {tangent_spec}")
    Tensor = _tensor_class()
    for kind, leaves in (("primals", primal_leaves), ("tangents", tangent_leaves)):
        for leaf in leaves:
            if not isinstance(leaf, Tensor):
                raise RuntimeError(f"{api}: Expected {kind} to only contain Tensors, got {type(leaf)}")
    _check_dual_pairs(primal_leaves, tangent_leaves)
    if _composable(primal_leaves):
        return _jvp_by_double_backward(func, primals, tangent_leaves, has_aux)
    try:
        with _forward_level(func):
            duals = [forward_ad.make_dual(primal, tangent) for primal, tangent in zip(primal_leaves, tangent_leaves)]
            output = func(*tree_unflatten(duals, primal_spec))
            output, aux = _split_aux(output, has_aux, api)
            outputs, out_spec = _nonempty_outputs(output, api)
            result = (tree_unflatten([forward_ad.unpack_dual(o).primal for o in outputs], out_spec),
                      tree_unflatten([_output_tangent(o) for o in outputs], out_spec))
            return result + (_forward_aux(aux),) if has_aux else result
    except _ComposedWithForward:
        return _jvp_by_double_backward(func, primals, tangent_leaves, has_aux)


class _forward_level:
    """A dual level for a forward transform running ``func``: composing it with reverse mode (a transform inside,
    a captured tensor requiring grad) raises _ComposedWithForward, for the transform to start over composably."""

    def __init__(self, func):
        self.func = func

    def __enter__(self):
        _forward_running.append(self.func)
        forward_ad.enter_dual_level()
        forward_ad.state.graph_refused = _ComposedWithForward
        self.epoch = _transform_epoch(())
        self.epoch.__enter__()

    def __exit__(self, *exc):
        self.epoch.__exit__(*exc)
        forward_ad.state.graph_refused = None
        forward_ad.exit_dual_level()
        _forward_running.pop()


def _check_dual_pairs(primals, tangents):
    """make_dual's checks of each primal and its tangent (dtypes, then shapes), before ``func`` runs."""
    for primal, tangent in zip(primals, tangents):
        for name, tensor in (("primal", primal), ("tangent", tangent)):
            if not (tensor.is_floating_point() or tensor.is_complex()):
                raise ValueError(f"Expected {name} to be floating point or complex, but got: {tensor.dtype}")
        if primal.shape != tangent.shape:
            raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                               f"Tensor, this is not supported. Tensor is of size {list(primal.shape)} while the given "
                               f"forward gradient is of size {list(tangent.shape)}.")


def _composable(primals):
    """Whether a forward transform must run by the double-backward trick: inside another transform or a dual level
    (forward_ad has one level), or with inputs requiring grad (reverse mode may differentiate its results)."""
    from ..autograd.grad_mode import is_grad_enabled

    return bool(_running) or forward_ad.state.level is not None or (
        is_grad_enabled() and any(primal.requires_grad for primal in primals))


def _nonempty_outputs(output, api):
    """The output's leaves (tensors, with PyTorch's errors for an empty output or another leaf) and structure."""
    leaves, spec = tree_flatten(output)
    if not leaves or (len(leaves) == 1 and leaves[0] is None):
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output (got output = {leaves})")
    return _output_tensors(output, api)


def _output_tangent(output):
    """The tangent of one output: zeros (of its dtype) where it depends on no input."""
    tangent = forward_ad.unpack_dual(output).tangent
    return output.detach().new_zeros(output.shape) if tangent is None else tangent


def _forward_aux(aux):
    """The auxiliary output, its tensors without their tangents."""
    leaves, spec = tree_flatten(aux)
    for leaf in leaves:
        if not isinstance(leaf, _tensor_class()):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(leaf)}")
    return tree_unflatten([forward_ad.unpack_dual(leaf).primal for leaf in leaves], spec)


def _jvp_by_double_backward(func, primals, tangent_leaves, has_aux):
    """jvp for composition with other transforms: J v as the gradient of J^T u with respect to u."""
    api = "jvp(f, primals, tangents)"
    inputs, spec, keep_graph = _differentiable(primals)
    output = _traced(func, tree_unflatten(inputs, spec), {}, inputs)
    keep_graph = _keeps_graph(keep_graph, output, inputs)
    output, aux = _split_aux(output, has_aux, api)
    outputs, out_spec = _nonempty_outputs(output, api)
    products = _jacobian_vector_products(outputs, inputs, tangent_leaves, keep_graph)
    result = (tree_unflatten([_kept(output, keep_graph) for output in outputs], out_spec),
              tree_unflatten(products, out_spec))
    return result + (_checked_aux(aux, keep_graph),) if has_aux else result


def _jacobian_vector_products(outputs, inputs, tangents, keep_graph):
    """J v for each output: the vector-Jacobian product u -> J^T u is linear in u, and its own vector-Jacobian
    product with ``tangents`` is J v."""
    from ..autograd.grad_mode import enable_grad

    with enable_grad():
        cotangents = [output.new_zeros(output.shape).requires_grad_() for output in outputs]
        transposed = _gradients(outputs, inputs, cotangents, True)
        return _gradients(transposed, cotangents, tangents, keep_graph)


def linearize(func, *primals):
    r"""(``func(*primals)``, a function of tangents returning the Jacobian-vector products at ``primals``).

    ``primals`` may be nested in tuples, lists and dicts; the tangents given to the function returned are nested as
    they are, each of its primal's shape and dtype. Outputs of ``func`` that are not tensors come back as they are,
    the tangents of integer outputs (or of outputs depending on no primal) are zeros.
    """
    output = func(*primals)
    flat_primals, primals_spec = tree_flatten(primals)
    for primal in flat_primals:
        if not isinstance(primal, _tensor_class()):  # (PyTorch reads each primal's new_empty first)
            raise AttributeError(f"'{type(primal).__name__}' object has no attribute 'new_empty'")
    _check_dual_pairs(flat_primals, flat_primals)
    for primal in flat_primals:  # (PyTorch traces make_dual with tangents expanded from one element: see make_dual)
        forward_ad.check_dual_overlap(primal, (0,) * primal.dim())

    def jvp_fn(*tangents):
        flat_tangents, tangents_spec = tree_flatten(tangents)
        if tangents_spec != primals_spec:
            raise RuntimeError(f"Expected the tangents {tangents_spec} to have the same argspec as the primals "
                               f"{primals_spec}")
        for index, (tangent, primal) in enumerate(zip(flat_tangents, flat_primals)):
            for what in ("shape", "device", "dtype"):
                if getattr(tangent, what) != getattr(primal, what):
                    raise RuntimeError(f"tangent:{index} with {what} {getattr(tangent, what)} in flattened pytree "
                                       f"doesn't match the {what} {getattr(primal, what)} of the corresponding primal.")
        leaves, output_spec = tree_flatten(output)
        if not any(isinstance(leaf, _tensor_class()) for leaf in leaves):
            return output

        def tensor_outputs(*args):
            return tuple(leaf for leaf in tree_flatten(func(*args))[0] if isinstance(leaf, _tensor_class()))

        products = iter(jvp(tensor_outputs, primals, tangents)[1])
        return tree_unflatten([next(products) if isinstance(leaf, _tensor_class()) else leaf for leaf in leaves],
                              output_spec)

    return output, jvp_fn


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    r"""``func`` transformed to return its Jacobian with respect to the arguments ``argnums``, by reverse mode
    (one vector-Jacobian product per output element).

    Shape:
        - Output: for an output of shape :math:`S_o` and an input of shape :math:`S_i`, :math:`(*S_o, *S_i)`;
          nested as the outputs, each leaf nested as the inputs (a tuple with a tuple ``argnums``).
    """
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")
    return _jacobian(func, argnums, has_aux, chunk_size)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    r"""``func``'s Jacobian with respect to the arguments ``argnums`` (shaped as :func:`jacrev`'s), by forward mode:
    one Jacobian-vector product per input element. ``randomness``: as vmap's (PyTorch maps the products),
    ``"error"`` refusing random operations in ``func``, ``"same"`` drawing the same numbers for every product."""
    @functools.wraps(func)
    def transformed(*args):
        _forward_calls[0] += 1
        positions = _positions(argnums, len(args))
        selected = args[positions[0]] if isinstance(argnums, int) else tuple(args[p] for p in positions)
        primals, spec = tree_flatten(selected)
        for primal in primals:
            if not isinstance(primal, _tensor_class()):
                raise ValueError(f"Thing passed to transform API must be Tensor, got {type(primal)}")
        if randomness not in ("error", "different", "same"):  # (checked by the vmap PyTorch's call runs)
            raise RuntimeError("Only allowed values for randomness are 'error', 'different', or 'same'. Got "
                               f"{randomness}")
        _check_dual_pairs(primals, primals)
        if not _composable(primals):
            try:
                return _forward_jacobian(func, args, positions, argnums, primals, spec, has_aux, randomness)
            except _ComposedWithForward:
                pass
        result, outputs = _jacobian(func, argnums, has_aux, with_outputs=True)(*args)
        jacobians = result[0] if has_aux else result
        flat, out_spec = tree_flatten(jacobians)
        in_shapes = [tuple(primal.shape) for primal in primals] * (len(flat) // max(len(primals), 1))
        outputs = [output for output in outputs for _ in primals]
        jacobians = tree_unflatten([_in_forward_layout(jacobian, shape, output)
                                    for jacobian, shape, output in zip(flat, in_shapes, outputs)], out_spec)
        return (jacobians, result[1]) if has_aux else jacobians

    return transformed


def _in_forward_layout(jacobian, in_shape, output):
    """``jacobian`` (of ``output``, of shape out + ``in_shape``) laid out as PyTorch's jacfwd gives it: one column
    per input element, each column laid out as ``output`` (its tangent), the columns' dim moved last and
    unflattened (the Jacobian's transpose in memory)."""
    count = 1
    for size in in_shape:
        count *= size
    out_shape = tuple(jacobian.shape[:jacobian.dim() - len(in_shape)])
    if not count or not jacobian.numel():
        return jacobian
    from .._creation.filled import zeros_like

    if "_independent" in jacobian.__dict__:  # (no tangent: the zeros of the output, unbatched over the basis,
        return _expanded_zeros(output, in_shape, jacobian)  # expanded)
    strides = zeros_like(output.detach()).stride()  # (PyTorch's tangents: empty_like the output, dense)
    order = sorted(range(len(out_shape)), key=lambda d: -strides[d])
    columns = jacobian.reshape(out_shape + (count,)).movedim(-1, 0)
    columns = columns.permute([0] + [1 + d for d in order]).contiguous().permute(
        [0] + [1 + order.index(d) for d in range(len(out_shape))])
    return _unflattened_last(columns.movedim(0, -1), in_shape)


def _expanded_zeros(output, in_shape, source):
    """A forward-mode Jacobian of ``output`` with respect to an input (of shape ``in_shape``) it does not depend
    on: its zeros (zeros_like), expanded over the input's dims, as PyTorch's vmap over the basis of tangents expands
    the one undefined tangent's zeros; batched as ``source`` where vmap runs."""
    from .._creation.filled import zeros_like

    zeros = zeros_like(output.detach())
    shape = tuple(zeros.shape) + (1,) * len(in_shape)
    result = zeros.view(shape).expand(tuple(zeros.shape) + tuple(in_shape))
    if forward_ad.state.vmap_levels:
        forward_ad.mark_batched(result, (source,))
        result.__dict__["_vmap_expanded"] = (zeros, shape)
    return result


def _unflattened_last(tensor, shape):
    """``tensor``'s last dim unflattened into ``shape`` (a 0-d input's: removed), as torch.func's safe_unflatten."""
    return tensor.squeeze(-1) if not shape else tensor.unflatten(-1, shape)


def _forward_jacobian(func, args, positions, argnums, primals, spec, has_aux, randomness):
    """The Jacobian column by column: the jvp of each unit tangent of each input element (the columns stacked in
    front, each keeping its layout, as PyTorch's vmap over the basis gives them)."""
    from ._vmap import _randomness, _stacked_samples

    api = "jvp(f, primals, tangents)"
    units = [(index, element) for index, primal in enumerate(primals) for element in range(primal.numel())]
    columns, undefined, outputs, aux = [], [], None, None
    with _randomness(randomness) as before_each:
        for index, element in units or [(None, None)]:  # (no element: one run, for the outputs' shapes)
            before_each()
            with _forward_level(func):
                duals = [forward_ad.make_dual(primal, _unit_tangent(primal, element if i == index else None))
                         for i, primal in enumerate(primals)]
                output = func(*_with_selected(args, positions, argnums, duals, spec))
                output, aux_output = _split_aux(output, has_aux, api)
                flat, out_spec = _nonempty_outputs(output, api)
                columns.append([_output_tangent(o) for o in flat])
                undefined.append([forward_ad.unpack_dual(o).tangent is None for o in flat])
                if outputs is None:
                    outputs = [forward_ad.unpack_dual(o).primal for o in flat]
                    aux = _forward_aux(aux_output) if has_aux else None
    per_output = []
    counts = [primal.numel() for primal in primals]
    for position, output in enumerate(outputs):
        if units:  # (PyTorch's layout: the columns stacked first, that dim moved last, split per primal)
            moved = _stacked_samples([column[position] for column in columns], 0).movedim(0, -1)
            blocks = [_unflattened_last(block, tuple(primal.shape)) if count else
                      output.new_zeros(tuple(output.shape) + tuple(primal.shape))
                      for block, primal, count in zip(moved.split(counts, dim=-1), primals, counts)]
            for i, primal in enumerate(primals):  # (no tangent for any of the primal's columns: expanded zeros)
                if counts[i] and all(flags[position] for (index, _), flags in zip(units, undefined) if index == i):
                    blocks[i] = _expanded_zeros(output, tuple(primal.shape), output)
        else:
            blocks = [output.new_zeros(tuple(output.shape) + tuple(primal.shape)) for primal in primals]
        per_output.append(tree_unflatten(_batched_as_primals(blocks, primals), spec))
    jacobians = tree_unflatten(per_output, out_spec)
    return (jacobians, aux) if has_aux else jacobians


def _batched_as_primals(blocks, primals):
    """``blocks``, Jacobians with respect to ``primals``, marked batched (the batch in front) where a primal is,
    inside vmap: PyTorch's basis of unit tangents is made by new_zeros of the primals, batched then, so that every
    column it computes is batched, however the samples' columns compare (a linear function's are all equal)."""
    if forward_ad.state.vmap_levels:
        for block in blocks:
            if not forward_ad.batched(block):
                forward_ad.mark_batch_rank(forward_ad.mark_batched(block, primals), 0)
    return blocks


def _unit_tangent(primal, element):
    """Zeros shaped as ``primal``, with a one at the flat position ``element`` (None: none)."""
    from .. import _memory_format
    from .._creation.filled import zeros_like

    tangent = primal.detach().new_zeros(primal.shape)
    if element is not None:
        tangent.view(-1)[element] = 1
    if not primal.is_contiguous() and _memory_format.is_dense(primal._data):  # (PyTorch's make_dual copies its
        # basis's tangent into the primal's layout: a transposed primal's tangents are transposed)
        laid_out = zeros_like(primal.detach())
        laid_out._data[...] = tangent._data
        return laid_out
    return tangent


def hessian(func, argnums=0):
    r"""``func``'s Hessian with respect to the arguments ``argnums``: the Jacobian of its Jacobian.

    Shape:
        - Output: :math:`(*S_o, *S_i, *S_i)` for an output of shape :math:`S_o` and an input of shape :math:`S_i`.
    """
    return jacfwd(jacrev(func, argnums), argnums)


def _jacobian(func, argnums, has_aux, chunk_size=None, with_outputs=False):
    """jacrev's transform of ``func``; ``with_outputs``: returning (its result, the outputs' leaves) instead."""
    @functools.wraps(func)
    def transformed(*args):  # (no keyword arguments, as PyTorch's)
        forward_calls = _forward_calls[0]
        output, inputs, spec, keep_graph = _traced_with_respect_to(func, argnums, args, {})
        # (a forward transform inside gives tangents PyTorch's basis batches, however they depend on the inputs)
        expands = _forward_calls[0] == forward_calls
        output, aux = _split_aux(output, has_aux, "vjp(f, *primals)")
        outputs, out_spec = _differentiable_outputs(output, "vjp(f, *primals)")
        rows = sum(output.numel() for output in outputs)
        if chunk_size and chunk_size < rows:  # PyTorch's first chunk of the basis, for the errors a float or bool meets
            outputs[0].new_zeros(chunk_sizes(rows, chunk_size)[0], outputs[0].numel())
        jacobians = tree_unflatten([tree_unflatten(_jacobians_of(output, inputs, keep_graph, expands), spec)
                                    for output in outputs], out_spec)
        result = (jacobians, _checked_aux(aux, keep_graph)) if has_aux else jacobians
        return (result, outputs) if with_outputs else result

    return transformed


def _jacobians_of(output, inputs, keep_graph, expands=True):
    """The Jacobian of ``output`` with respect to each of ``inputs``, row by row (one unit cotangent per element):
    the rows stacked in front, each keeping its layout, as PyTorch's vmap over the basis gives them; where it
    depends on an input in no row, with ``expands``, that one row expanded (see _independent_rows)."""
    from ._vmap import _stacked_samples

    rows = [[] for _ in inputs]
    flat = output.new_zeros(output.numel())
    for element in range(output.numel()):
        unit = flat.clone()
        unit[element] = 1
        for input_rows, row in zip(rows, _gradients([output], inputs, [unit.view(output.shape)], keep_graph, True)):
            input_rows.append(row)
    return [_independent_rows(input_rows, output) if expands and input_rows and all(
        "_independent" in row.__dict__ for row in input_rows) else _stacked_samples(
        input_rows, _rows_batch_rank(output, input)).reshape(output.shape + input.shape) if input_rows else
        input.new_zeros(output.shape + input.shape) for input, input_rows in zip(inputs, rows)]


def _rows_batch_rank(output, input):
    """The batch rank (see _vmap._stacked_samples) of the rows of ``output``'s Jacobian with respect to the leaf
    ``input``, as PyTorch's vmap over the basis of cotangents lays them out: where batch_norm alone reads
    ``input``, its backward's rule folds the basis into the channels, after the input's dim 0 (if above 1);
    anywhere else in front."""
    Tensor = _tensor_class()
    readers, seen, nodes = [], set(), [output._grad_fn] if output._grad_fn is not None else []
    while nodes:
        node = nodes.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for position, edge in enumerate(node.edges):
            if edge is input:
                readers.append((node, position))
            elif edge is not None and not isinstance(edge, Tensor):
                nodes.append(edge)
    batch_norm = readers and all(position == 0 and type(node).__dict__.get("_named_from", type(node)).__name__ ==
                                 "BatchNorm" for node, position in readers)
    return int(bool(batch_norm) and input.dim() > 1 and input.shape[0] > 1)


def _independent_rows(rows, output):
    """The Jacobian of ``output`` with respect to an input it does not depend on, from its rows (each the zeros of
    _unused_gradient): PyTorch's vmap over the basis gets the one unbatched row back and expands it over
    ``output``'s dims."""
    row = rows[0]
    shape = (1,) * output.dim() + tuple(row.shape)
    jacobian = row.view(shape).expand(tuple(output.shape) + tuple(row.shape))
    if forward_ad.state.vmap_levels:  # (the basis's rows are batched, not the row: the batch stays where it is)
        forward_ad.mark_batched(jacobian, rows)
        jacobian.__dict__["_vmap_expanded"] = (row, shape)
    jacobian.__dict__["_independent"] = True
    return jacobian
