"""Reverse-mode automatic differentiation: the graph of Functions and the switches that control it."""
import operator
import warnings
from collections.abc import Mapping

import numpy as np

from .. import _memory_format
from .._user_warnings import warn_from_user_code, warns_once
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .function import Function
from .graph import GradientEdge, graph_tensor
from ._engine import check_root_gradient, checkpoint_valid, root_gradient, run_backward, run_backward_graph
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled, set_multithreading_enabled)
from .variable import Variable


def variable(*args, **kwargs):
    """Removed with Variable's merge into Tensor: PyTorch's error. (``torchless.autograd.variable`` the module stays
    importable, as ``from torchless.autograd.variable import Variable``.)"""
    raise RuntimeError("torchless.autograd.variable(...) is deprecated, use torchless.tensor(...) instead")


_REFERENCE_CYCLE = ("Using backward() with create_graph=True will create a reference cycle between the parameter and "
                    "its gradient which can cause a memory leak. We recommend using autograd.grad when creating the "
                    "graph to avoid this. If you have to use this function, make sure to reset the .grad fields of "
                    "your parameters to None after use to break the cycle and avoid the leak. (Triggered internally "
                    "at /__w/pytorch/pytorch/torch/csrc/autograd/engine.cpp:1307.)")


def _warn_reference_cycle_once():
    """PyTorch's engine warns of backward's create_graph once per process (TORCH_WARN_ONCE), once the roots and
    inputs have passed their checks."""
    if warns_once("backward create_graph"):
        warn_from_user_code(_REFERENCE_CYCLE)


_NOT_REQUIRING_GRAD = "One of the differentiated Tensors does not require grad"


def _as_tuple(tensors):
    """One tensor or GradientEdge (itself a tuple) as a tuple of one; a sequence of them as a tuple."""
    from .._tensor import Tensor

    return (tensors,) if isinstance(tensors, (Tensor, GradientEdge)) else tuple(tensors)


def _root_gradients(outputs, grad_outputs, create_graph=False):
    """(output, gradient array) pairs for run_backward, with PyTorch's checks; with ``create_graph``, (output,
    gradient tensor) pairs for run_backward_graph, a given gradient tensor kept with its graph."""
    from .._tensor import Tensor

    for output in outputs:
        if not isinstance(output, (Tensor, GradientEdge)):
            raise AssertionError("Expected output to be a torchless.Tensor")
    outputs = tuple(map(graph_tensor, outputs))
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
        if len(grad_outputs) < len(outputs):  # (PyTorch ignores gradients beyond the outputs)
            raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    # PyTorch checks the gradients of every output, then whether each output requires grad
    for index, (output, gradient) in enumerate(zip(outputs, grad_outputs)):
        if gradient is not None and not isinstance(gradient, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got {type(gradient).__name__}")
        # PyTorch finds the positions its message names with list.index, comparing the gradient (the output)
        # with each one before it: that comparison's own error (shapes that do not broadcast, an ambiguous truth
        # value) is what it raises for all but the first
        check_root_gradient(output, gradient, index,
                            lambda: (list(grad_outputs).index(gradient), list(outputs).index(output)))
    pairs = [(output, root_gradient(output, gradient, index))
             for index, (output, gradient) in enumerate(zip(outputs, grad_outputs))]
    if not create_graph:
        return pairs
    return [(output, gradient._cast(array.dtype) if isinstance(gradient, Tensor) else Tensor._wrap(array))
            for (output, array), gradient in zip(pairs, grad_outputs)]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves they depend on (of ``inputs``
    alone when given). ``grad_tensors`` holds the gradient with respect to each tensor (None for a scalar's 1).

    With ``create_graph`` the backward pass is itself recorded: ``.grad`` holds tensors with a graph, which can be
    differentiated again (the graph is then retained unless ``retain_graph`` says otherwise)."""
    if retain_graph is None:
        retain_graph = create_graph
    if grad_variables is not None:
        warnings.warn("`grad_variables` is deprecated. Use `grad_tensors` instead.", FutureWarning, stacklevel=2)
        if grad_tensors is None:
            grad_tensors = grad_variables
        else:
            raise RuntimeError("`grad_tensors` and `grad_variables` (deprecated) arguments both passed to "
                               "`backward()`. Please only use `grad_tensors`.")
    tensors = _as_tuple(tensors)
    if inputs is not None:
        inputs = _input_tuple(inputs, "backward")
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    roots = _root_gradients(tensors, grad_tensors, create_graph)  # the outputs are checked before the inputs
    retain_graph, create_graph = _engine_flag(retain_graph), _engine_flag(create_graph)
    if inputs is not None:
        _check_inputs(inputs, "can't retain_grad on Tensor that has requires_grad=False")
        for tensor in inputs:
            if not isinstance(tensor, GradientEdge):
                tensor.retain_grad()  # as PyTorch does: a non-leaf input keeps its gradient in .grad
        inputs = tuple(map(graph_tensor, inputs))
    if create_graph:
        _warn_reference_cycle_once()
    propagate = run_backward_graph if create_graph else run_backward
    propagate(roots, retain_graph=retain_graph, inputs=inputs)


def _engine_flag(value):
    """A flag of PyTorch's autograd engine (retain_graph, create_graph, allow_unused) read as its call reads it,
    PyArg's unsigned byte: anything ``__index__`` converts (a NumPy integer, an integer tensor) within 0 .. 255, as
    a bool; else Python's TypeError or OverflowError."""
    if value.__class__ is bool:
        return value
    number = operator.index(value)  # (Python's TypeError for what has no __index__, as PyArg's)
    if not -2**63 <= number < 2**63:
        raise OverflowError("Python int too large to convert to C long")
    if not 0 <= number <= 255:
        raise OverflowError(f"unsigned byte integer is {'less than minimum' if number < 0 else 'greater than maximum'}")
    return bool(number)


def _is_checkpoint_valid():
    """Whether the running backward is for every leaf (or none is running): a reentrant checkpoint's backward
    needs it to be (PyTorch's private function, used by checkpointing code)."""
    return checkpoint_valid()


def _check_inputs(inputs, not_requiring_grad):
    """PyTorch's checks of the tensors to differentiate with respect to, one after the other: each a tensor, which
    requires grad (else ``not_requiring_grad``)."""
    from .._tensor import Tensor

    for tensor in inputs:
        if isinstance(tensor, GradientEdge):
            continue
        if not isinstance(tensor, Tensor):
            raise RuntimeError(f"all inputs have to be Tensors or GradientEdges, but got {type(tensor).__name__}")
        if not tensor._requires_grad:
            raise RuntimeError(not_requiring_grad)


def _input_tuple(inputs, function):
    """The tensors ``inputs`` names to ``function`` (grad or backward): one, a sequence, or a dict's values (no
    other Mapping, as PyTorch)."""
    if type(inputs) is dict:
        return tuple(inputs.values())
    if isinstance(inputs, Mapping):
        raise TypeError(f"`inputs` argument to `{function}()` must be a dict, not {type(inputs).__name__}. Other "
                        "Mapping types are not supported.")
    return _as_tuple(inputs)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to each of ``inputs`` (leaves or not), returned as a tuple (a
    dict of the same keys for a dict of inputs) instead of accumulated into ``.grad``; no ``.grad`` changes. Only
    the part of the graph between them runs.

    ``grad_outputs`` holds the gradient with respect to each output (None for a scalar's 1); with
    ``is_grads_batched`` each has a leading batch dimension, and the result one too (one backward per entry).
    With ``create_graph`` the gradients are tensors with a graph of their own, which can be differentiated again
    (higher-order derivatives); the graph is then retained unless ``retain_graph`` says otherwise.
    ``materialize_grads`` gives an input the graph does not reach zeros rather than None.
    """
    from .._creation.filled import zeros_like

    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    allow_unused = materialize_grads if allow_unused is None else allow_unused
    outputs, inputs_tuple = _as_tuple(outputs), _input_tuple(inputs, "grad")
    if not inputs_tuple:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                      "gradient for other parts of the graph, please use torchless.autograd.backward.",
                      FutureWarning, stacklevel=2)
    if retain_graph is None:
        retain_graph = create_graph
    differentiate = _batched_gradients if is_grads_batched else _gradients
    result = differentiate(outputs, inputs_tuple, grad_outputs, retain_graph, create_graph, allow_unused)
    if materialize_grads:
        if any(gradient is None and isinstance(tensor, GradientEdge) for tensor, gradient in zip(inputs_tuple, result)):
            raise RuntimeError("materialize_grads cannot be used when the given input is a GradientEdge")
        result = tuple(zeros_like(tensor, requires_grad=create_graph) if gradient is None else gradient
                       for tensor, gradient in zip(inputs_tuple, result))
    return dict(zip(inputs.keys(), result)) if type(inputs) is dict else result


def _gradients(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused):
    """grad()'s tuple of gradients, None for an input the graph does not reach."""
    from .._tensor import Tensor

    roots = _root_gradients(outputs, grad_outputs, create_graph)  # the outputs are checked before the inputs
    retain_graph, create_graph = _engine_flag(retain_graph), _engine_flag(create_graph)
    allow_unused = _engine_flag(allow_unused)
    _check_inputs(inputs, _NOT_REQUIRING_GRAD)
    propagate = run_backward_graph if create_graph else run_backward
    edges = [isinstance(tensor, GradientEdge) for tensor in inputs]
    inputs = tuple(map(graph_tensor, inputs))
    captured = propagate(roots, retain_graph=retain_graph, inputs=inputs, accumulate=False)
    given = [t for t in _as_tuple(grad_outputs) if isinstance(t, Tensor)] if grad_outputs is not None else ()
    result = []
    for index, (tensor, gradient, edge) in enumerate(zip(inputs, captured, edges)):
        # (a GradientEdge's gradient has its node's dtype already: an edge made by hand tells no other)
        dtype = None if edge else tensor._data.dtype
        if gradient is None:
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {index} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
            result.append(None)
        elif create_graph:
            if _memory_format.is_efficient_zero(gradient._data):  # (a real sgn's gradient alone: C-strided zeros)
                gradient = Tensor._wrap(np.zeros(gradient.shape, gradient._data.dtype))
            result.append(gradient if dtype is None else gradient._cast(dtype))
        else:
            gradient = np.asarray(gradient)
            result.append(_returned_gradient(gradient, gradient.dtype if dtype is None else dtype, given))
    return tuple(result)


def _returned_gradient(gradient, dtype, given):
    """autograd.grad's result for one input: as PyTorch's, the gradient array the engine computed itself, not a
    copy, so that it keeps its strides (a sum's gradient is expanded) and may alias the given gradients; where it
    is one of those (an identity-like graph), the given tensor itself."""
    from .._tensor import Tensor

    for tensor in given:
        if tensor._data is gradient and gradient.dtype == dtype:
            return tensor
    if _memory_format.is_efficient_zero(gradient):  # (a real sgn's gradient alone: C-strided zeros)
        return Tensor._wrap(np.zeros(gradient.shape, gradient.dtype))
    if not gradient.size and not any(gradient.strides):  # NumPy's empty arrays: PyTorch's are C-strided
        gradient = _memory_format.with_c_strides(gradient.copy())
    return Tensor._wrap(gradient.astype(dtype, copy=False))


def _batches_of_gradients(outputs, grad_outputs):
    """The batch of gradients for each output, with PyTorch's checks of is_grads_batched: first those of the
    gradients (each entry shaped as its output; a None only for a scalar output), then vmap's of the batches (a
    None, or the 1 it stands for, has no batch dim; every batch of one size). The positions its messages name are
    found as in _root_gradients."""
    from .._size import Size
    from .._tensor import Tensor

    batches = (None,) * len(outputs) if grad_outputs is None else _as_tuple(grad_outputs)[:len(outputs)]
    for index, (output, batch) in enumerate(zip(outputs, batches)):
        if not isinstance(batch, Tensor):
            check_root_gradient(output, batch, index)
        elif batch[0]._data.shape != output._data.shape:
            grad_index, output_index = list(batches).index(batch), list(outputs).index(output)
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each grad_output as the batch "
                "dimension. The sizes of the remaining dimensions are expected to match the shape of corresponding "
                f"output, but a mismatch was detected: grad_output[{grad_index}] has a shape of "
                f"{Size(batch[0]._data.shape[1:])} and output[{output_index}] has a shape of "
                f"{Size(output._data.shape)}. If you only want some tensors in `grad_output` to be considered "
                "batched, consider using vmap.")
        else:
            check_root_gradient(output, batch[0], index,
                                lambda: (list(batches).index(batch), list(outputs).index(output)))
    for output, batch in zip(outputs, batches):
        if batch is None and not output._requires_grad:
            raise ValueError("vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for an input but the input is of "
                             "type <class 'NoneType'>. We cannot vmap over non-Tensor arguments, please use None as "
                             "the respective in_dim")
        if batch is None and output.dim() == 0:
            raise ValueError("vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for some input, but that input is "
                             "a Tensor of dimensionality 0 so expected in_dim to satisfy 0 <= in_dim < 0.")
    batches = tuple(output.new_ones(output.shape) if batch is None else batch
                    for output, batch in zip(outputs, batches))
    sizes = [len(batch) for batch in batches]
    if not sizes:
        raise IndexError("list index out of range")
    if any(size != sizes[0] for size in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    return batches, sizes[0]


def _batched_gradients(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused):
    """grad()'s gradients for a batch of output gradients (``is_grads_batched``): one backward per entry,
    stacked."""
    from .._functions import stack

    batches, size = _batches_of_gradients(outputs, grad_outputs)
    _check_inputs(inputs, _NOT_REQUIRING_GRAD)
    per_entry = [_gradients(outputs, inputs, [g[i] for g in batches], True if i < size - 1 else retain_graph,
                            create_graph, allow_unused)
                 for i in range(size)]
    return tuple(None if column[0] is None else stack(column) for column in zip(*per_entry))


from . import forward_ad, functional  # noqa: E402  (these use grad, defined above)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402

__all__ = ["Function", "GradcheckError", "backward", "detect_anomaly", "enable_grad", "forward_ad", "functional",
           "grad", "gradcheck", "gradgradcheck", "inference_mode", "is_grad_enabled", "is_inference_mode_enabled",
           "no_grad", "set_detect_anomaly", "set_grad_enabled", "set_multithreading_enabled", "Variable"]


def __getattr__(name):
    if name in ("profiler", "profiler_util"):  # loaded on first use, like the profiler itself
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
