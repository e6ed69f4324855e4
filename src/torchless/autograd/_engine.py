"""The engine: backward's propagation of gradients through the graph of Nodes (see graph.py), from the roots
(``Tensor.backward``, ``autograd.backward``, ``autograd.grad``) to the leaves, in the order PyTorch's engine runs the
nodes. ``run_backward`` propagates NumPy arrays through each node's ``backward``; ``run_backward_graph``
(``create_graph=True``) propagates tensors through each node's ``backward_graph``, recorded in turn so that gradients
can be differentiated again (see _graph_backward.py)."""
import heapq
import itertools
import sys
import threading

import numpy as np

from .. import _memory_format
from . import anomaly_mode, grad_mode, saved_hooks
from ._accumulate_grad import accumulate_leaf, accumulate_leaf_graph
from ._graph_backward import backward_graph_method
from ._hook_calls import (run_node_posthooks, run_node_prehooks, run_tensor_hooks, run_tensor_hooks_graph,
                          run_tensor_hooks_on_none)
from ._released import FREED_MESSAGE
from .graph import Node, OutputGrads, OutputSlot, _edge

_ndarray = np.ndarray
# A 0-d gradient can arrive as a NumPy scalar (NumPy's arithmetic on 0-d arrays returns them): complex ones too
_COMPLEX_SCALARS = frozenset({np.complex64, np.complex128})


def root_gradient(output, gradient, index=0):
    """The gradient array that backward starts from at ``output`` (element ``index`` of the outputs), given
    ``gradient`` (a tensor, an array-like or None for a scalar's 1), with PyTorch's checks."""
    if gradient is not None:
        grad = check_root_gradient(output, gradient, index)
    if not output._requires_grad or output._grad_goes_nowhere and output._grad_fn is None:
        raise RuntimeError(f"element {index} of tensors does not require grad and does not have a grad_fn")
    array = output._data
    if gradient is None:
        _check_implicit_gradient(output)
        return np.ones(array.shape, array.dtype)
    # PyTorch casts the gradient to the output's dtype first: a float32 one must not make the graph of a float64
    # output compute in float32
    return grad.astype(array.dtype, copy=False)


def _check_implicit_gradient(output):
    """PyTorch's conditions for a gradient of 1 made up for ``output``: a real scalar."""
    if output._data.size != 1:
        raise RuntimeError("grad can be implicitly created only for scalar outputs")
    if output._data.dtype.kind == "c":
        raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {output.dtype}")


def check_root_gradient(output, gradient, index=0, positions=None):
    """The array of ``gradient`` given for ``output``, after PyTorch's first check (before any of whether the
    outputs require grad): its shape; or for None, that an output requiring grad is a scalar. ``positions``: a
    function giving the positions the shape error names (see autograd._root_gradients), else ``index``."""
    array = output._data
    if gradient is None:
        if output._requires_grad:
            _check_implicit_gradient(output)
        return None
    from .._size import Size
    from .._tensor import Tensor

    grad = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient, array.dtype)
    if grad.shape != array.shape:
        grad_index, output_index = (index, index) if positions is None else positions()
        raise RuntimeError(f"Mismatch in shape: grad_output[{grad_index}] has a shape of {Size(grad.shape)} and "
                           f"output[{output_index}] has a shape of {Size(array.shape)}.")
    if (grad.dtype.kind == "c") != (array.dtype.kind == "c"):
        grad_index, output_index = (index, index) if positions is None else positions()
        raise RuntimeError("For complex Tensors, both grad_output and output are required to have the same dtype. "
                           f"Mismatch in dtype: grad_output[{grad_index}] has a dtype of {gradient.dtype} and "
                           f"output[{output_index}] has a dtype of {output.dtype}.")
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
    nodes = []
    for tensor, grad in roots:
        node = _edge(tensor)
        if node is tensor:
            leaf_roots.append((tensor, grad))
        else:
            _accumulate(pending, id(node), grad)
            nodes.append(node)
    order = _topological_order(nodes)
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
    run = 0  # which backward is running (0 outside any), as PyTorch's graph task id
    every_leaf = True  # the running backward is for every leaf (no ``inputs``, not autograd.grad's)
    task = None  # the running backward's (order, leaf roots, targets, leading) from _start and whether it
    # accumulates into .grad, for will_execute
    pending = None  # the running backward's gradients waiting for their nodes (by node id), for sole_gradient_from


_propagation = _Propagation()
_run_numbers = itertools.count(1)


def current_backward():
    """A number identifying the backward running now (0 outside backward): PyTorch's
    ``_current_graph_task_id``, by which a non-reentrant checkpoint recomputes once per backward."""
    return _propagation.run


def checkpoint_valid():
    """PyTorch's ``autograd._is_checkpoint_valid``: whether the running backward is for every leaf (not
    autograd.grad's, nor backward's with ``inputs``), as a reentrant checkpoint's backward needs."""
    return _propagation.every_leaf


def will_execute(target):
    """PyTorch's ``_will_engine_execute_node``: whether the running backward runs ``target``, a node or (for a
    leaf's gradient accumulator) a leaf tensor: one it reaches and, with ``inputs``, one of them or leading to
    one."""
    task = _propagation.task
    if task is None:
        raise RuntimeError("_will_engine_execute_node should only be called during the backward pass")
    order, leaf_roots, targets, leading, accumulate = task
    if isinstance(target, Node):
        return (leading is None or id(target) in targets or id(target) in leading) and any(
            node is target for node in order)
    if not accumulate:
        raise RuntimeError("A leaf node was passed to _will_engine_execute_node but we are currently running "
                           "autograd.grad(). This is currently not supported.")
    if leading is not None and id(target) not in targets:
        return False
    return any(leaf is target for leaf, _ in leaf_roots) or any(edge is target for node in order
                                                                for edge in node.edges)


def gradient_unwatched(node):
    """Whether the gradient reaching ``node`` in the running backward is seen by nothing but ``node``'s own
    backward: a plain ``backward()`` (no ``inputs``, no ``create_graph``) and no hook or ``retain_grad``
    on the node or its output. A consumer may then do part of ``node``'s backward for it (see
    ``Relu.masked_by_consumer``)."""
    return (_propagation.plain and node._retained is None and not node._tensor_hooks and not node._pre_hooks
            and not node._post_hooks)


def sole_gradient_from(node, consumer):
    """Whether, in the running backward, the gradient reaching ``node`` will be the one ``consumer`` (a node about to
    return it) gives it, that very array: ``node`` is no root, and ``consumer``'s one edge to it is the only edge of
    the graph's nodes leading there (nothing else adds to it). With ``gradient_unwatched(node)``, a consumer may then
    hand ``node`` a gradient to finish computing itself (see ``Convolution.takes_gradient_later``)."""
    task, pending = _propagation.task, _propagation.pending
    if task is None or pending is None or id(node) in pending:
        return False
    edges = 0
    for other in task[0]:
        for edge in other.edges:
            if edge is node:
                edges += 1
                if edges > 1 or other is not consumer:
                    return False
    return edges == 1


def _run_output_hooks(node, grads, graph, accumulate_into):
    """The tensor hooks of the outputs of ``node``, a node of several, on their gradients ``grads`` (OutputGrads)
    when it runs, as PyTorch's one node runs them: in the order the outputs got their first hook, an output no
    gradient reached getting None; then each hooked output that asked retain_grad() keeps its gradient."""
    for slot in node._hooked_outputs:
        if not slot._tensor_hooks:  # (all removed: the output is an ordinary one again, see the deferred in the loop)
            continue
        grad = grads.reached.get(slot.index)
        if grad is None:
            run_tensor_hooks_on_none(slot._tensor_hooks)
            continue
        grad = grads.reached[slot.index] = (run_tensor_hooks_graph if graph else run_tensor_hooks)(
            slot._tensor_hooks, grad)
        kept = None if slot._retained is None else slot._retained()
        if kept is not None:
            accumulate_into(kept, grad)
    return grads


def _propagate(roots, retain_graph, inputs, accumulate, graph):
    """_propagate_gradients, with ``_propagation.plain`` telling its nodes what kind of run it is."""
    outer = (_propagation.plain, _propagation.run, _propagation.every_leaf, _propagation.task,
             _propagation.pending)
    _propagation.plain, _propagation.run = inputs is None and not graph, next(_run_numbers)
    _propagation.every_leaf = inputs is None
    try:
        return _propagate_gradients(roots, retain_graph, inputs, accumulate, graph)
    finally:
        (_propagation.plain, _propagation.run, _propagation.every_leaf, _propagation.task,
         _propagation.pending) = outer


def _propagate_gradients(roots, retain_graph, inputs, accumulate, graph):
    """The propagation of run_backward (arrays, ``node.backward``, gradient recording off) or, with ``graph``,
    of run_backward_graph (tensors, ``backward_graph``, recording on).

    A leaf's gradients are summed as they arrive and handed over once, at the end, as PyTorch's AccumulateGrad
    receives their sum: its hooks see the total, once, and ``.grad`` grows by one addition.
    """
    pending, leaf_roots, order, targets, captured, leading = _start(roots, inputs)
    _propagation.task = order, leaf_roots, targets, leading, accumulate
    _propagation.pending = pending
    accumulate_into = accumulate_leaf_graph if graph else accumulate_leaf
    leaves, leaf_grads = {}, {}  # id of a leaf -> the leaf, the sum of its gradients so far

    def arrive(leaf, grad):
        leaves[id(leaf)] = leaf
        if grad is not None:  # (reached with None: its hooks run, with None, as PyTorch's AccumulateGrad's)
            _accumulate(leaf_grads, id(leaf), grad)

    def deliver(tensor, positions, grad):
        if not graph and grad is not None and grad.dtype.kind == "c" and tensor._data.dtype.kind != "c":
            grad = grad.real  # a real tensor that entered a complex computation: the real part, as in PyTorch
        if accumulate:
            accumulate_into(tensor, grad)
            return
        if tensor._grad_fn is None and tensor._hooks:
            grad = (run_tensor_hooks_graph if graph else run_tensor_hooks)(tensor._hooks, grad)
        if grad is None:
            return
        for position in positions:
            previous = captured[position]
            captured[position] = grad if previous is None else _sum_of(previous, grad)

    for tensor, grad in leaf_roots:
        if inputs is None or id(tensor) in targets:
            arrive(tensor, grad)
    recording = grad_mode.enable_grad() if graph else grad_mode.no_grad()
    # Gradients of log, sqrt, division, ... at 0 are inf or nan, which PyTorch produces without warnings.
    with recording, np.errstate(all="ignore"):
        for node in _execution_order(order):
            # None: no gradient reached the node (each edge into it carried None), which PyTorch's engine runs all
            # the same: the hooks see None, and a custom Function's backward runs (see Node.runs_without_gradient)
            g = pending.pop(id(node), None)
            if inputs is not None:
                target, needed = id(node) in targets, id(node) in leading
                if not (target or needed):  # a node PyTorch does not run: its output's hooks do not run either
                    continue
            # The hooks of an output of a node of several run when that node does (see _run_output_hooks), unless
            # the output is what autograd.grad returns
            deferred = node._tensor_hooks and isinstance(node, OutputSlot) and id(node) not in targets
            if g.__class__ is OutputGrads and node._hooked_outputs:
                g = _run_output_hooks(node, g, graph, accumulate_into)
            elif node._tensor_hooks and not deferred:
                g = (run_tensor_hooks_graph if graph else run_tensor_hooks)(node._tensor_hooks, g)
            # A tensor that asked retain_grad() keeps the gradient of every run reaching it, autograd.grad's too
            kept = None
            if node._retained is not None and not deferred:
                kept = node._retained()
                if kept is not None and g is not None:
                    accumulate_into(kept, g)
            if inputs is not None:
                if target and g is not None:
                    positions = targets[id(node)]
                    if not (accumulate and kept is inputs[positions[0]]):  # backward(inputs=) retains non-leaves
                        deliver(inputs[positions[0]], positions, g)
                if not needed:
                    continue
            method = backward_graph_method(node) if graph else None
            if node._pre_hooks:
                g = run_node_prehooks(node._pre_hooks, g, graph)
            # what the node saved, unpacked when it runs, as PyTorch's nodes unpack it (never for a node that grad()
            # does not need)
            if node._freed:
                raise RuntimeError(FREED_MESSAGE)
            if node._saves_tensors:
                node.check_saved_versions()
            if node._packed is not None:
                saved_hooks.unpack_node(node)
            if (g is None or (g.__class__ is OutputGrads and not g.reached)) and not node.runs_without_gradient:
                # as PyTorch's built-in nodes given no gradient (none reached, or pre-hooks left none), none is given
                input_grads = (None,) * len(node.edges)
            elif anomaly_mode.state.enabled:
                input_grads = _backward_watched(node, g, method)
            elif method is not None:
                input_grads = _graph_backward(method, node, g)
            elif (g.__class__ is _ndarray or g.__class__ in _COMPLEX_SCALARS) and g.dtype.kind == "c" \
                    and not node.complex_aware:
                input_grads = _holomorphic_backward(node, g)
            else:
                input_grads = node.backward(g)
            if node._post_hooks:
                input_grads = run_node_posthooks(node._post_hooks, input_grads, g, graph, node.listed_inputs)
            arrival = node.leaf_arrival_order
            edges = node.edges if arrival is None else [node.edges[i] for i in arrival]
            if arrival is not None:
                input_grads = [input_grads[i] for i in arrival]
            for edge, g_in in zip(edges, input_grads):
                if edge is None:
                    continue
                if isinstance(edge, Node):
                    if g_in is not None:
                        _accumulate(pending, id(edge), g_in)
                elif inputs is None or id(edge) in targets:
                    arrive(edge, g_in)
            if not retain_graph:
                node.release()
        # (the last node's gradients, let go so that a leaf's gradient held by nothing else counts as such)
        g = input_grads = g_in = None
        for key, leaf in leaves.items():
            grad = leaf_grads.pop(key, None)
            if inputs is not None:
                deliver(leaf, targets[id(leaf)], grad)
            elif graph:
                accumulate_into(leaf, grad)
            else:
                sole = sys.getrefcount(grad) == _SOLE_LOCAL  # (counted before a call's arguments hold it too)
                accumulate_leaf(leaf, grad, sole)
    return captured


def _accumulate(sums, key, grad):
    """``sums[key] += grad``, the gradients reaching one place summed as PyTorch's InputBuffer sums them: in place
    into the first when nothing else holds it (it can steal it: the sum keeps its layout), else out of place."""
    previous = sums.pop(key, None)
    references = sys.getrefcount(previous)  # (counted here, before a call's arguments hold it too)
    if previous is None:
        sums[key] = grad
    elif previous.__class__ is _ndarray and grad.__class__ is _ndarray and _only_here(previous, references) and \
            _can_add_into(previous, grad):
        np.add(previous, grad, out=previous)
        sums[key] = previous
    else:
        sums[key] = _sum_of(previous, grad)


def _sole_local_references():
    previous = np.empty(0)
    return sys.getrefcount(previous)


# sys.getrefcount of an array held by one local variable alone (that variable and getrefcount's argument)
_SOLE_LOCAL = _sole_local_references()


def _only_here(array, references):
    """Whether the gradient ``array``, with ``references`` counted by getrefcount in _accumulate, and its memory
    are held by nothing else (no other gradient, hook, tensor or saved value): PyTorch's use counts of one. Not a
    view (the transpose of a gradient, ...): PyTorch's keeps its base, which shares its storage."""
    return references == _SOLE_LOCAL and array.base is None


def _can_add_into(previous, grad):
    """Whether PyTorch adds ``grad`` in place into the gradient ``previous`` it can steal: a writable one of the
    same shape and dtype whose elements fill its memory, each once (not expanded, not a slice)."""
    return (previous.shape == grad.shape and previous.dtype == grad.dtype and previous.flags.writeable
            and _memory_format.is_dense(previous))


def _sum_of(previous, grad):
    """``previous + grad``, two gradients reaching one place, as PyTorch's engine sums them: laid out as
    TensorIterator lays out the sum, the first arrived's order first (NumPy's falls back to C order where the two
    orders differ). Tensors (create_graph) and OutputGrads add as they do."""
    total = previous + grad
    if total.__class__ is _ndarray and total.ndim > 1 and previous.__class__ is _ndarray and grad.__class__ is _ndarray:
        return _memory_format.iterator_layout(total, (previous, grad))
    return total


def _holomorphic_backward(node, grad):
    """A complex gradient through a node whose backward multiplies by its (complex) derivative as for real
    numbers: PyTorch's convention (the conjugate Wirtinger derivative) wants the conjugate derivative, which
    conj(backward(conj(grad))) gives for every holomorphic op (matmul, sigmoid, exp, ...) and leaves the linear
    ops with real coefficients (sums, reshapes, indexing) unchanged. The ops that are not holomorphic (abs,
    angle, real, imag, the FFTs' adjoints) say so with ``complex_aware``."""
    # (conj keeps the dims' order but not the strides of size-1 dims, which PyTorch's conj leaves as they were)
    return tuple(None if g is None else _memory_format.preserving(np.conj(g), g) if g.dtype.kind == "c" else g
                 for g in node.backward(np.conj(grad)))


def _graph_backward(method, node, grad):
    """``method(node, grad)``, a node's backward_graph: for a complex gradient through a node that is not
    complex_aware, conj(backward_graph(conj(grad))), as _holomorphic_backward (conj is differentiable)."""
    if grad is None or node.complex_aware or node.complex_aware_graph or grad.__class__ is OutputGrads or \
            grad._data.dtype.kind != "c":
        return method(node, grad)
    return tuple(g if g is None or g._data.dtype.kind != "c" else g.conj() for g in method(node, grad.conj()))


def _backward_watched(node, grad, method=None):
    """``node.backward(grad)`` (``method(node, grad)`` if given) under anomaly detection: its gradients checked for
    NaN, its failure shown with the stack of the forward call that made it."""
    try:
        if method is None:
            complex_grad = (grad.__class__ is _ndarray or grad.__class__ in _COMPLEX_SCALARS) and \
                grad.dtype.kind == "c" and not node.complex_aware
            input_grads = checked = _holomorphic_backward(node, grad) if complex_grad else node.backward(grad)
        else:
            input_grads = _graph_backward(method, node, grad)
            checked = [getattr(g, "_data", None) for g in input_grads]  # OutputGrads pass unchecked
        if anomaly_mode.state.check_nan:
            anomaly_mode.check_gradients(node, checked)
    except Exception:
        anomaly_mode.warn_failed(node)
        raise
    return input_grads
