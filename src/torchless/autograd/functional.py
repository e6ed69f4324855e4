"""Derivatives of whole functions of tensors (PyTorch's ``torch.autograd.functional``), by reverse mode.

``jacobian`` runs one backward per output element; ``jvp`` multiplies that Jacobian by ``v`` (PyTorch uses the
double-backward trick, which needs a graph of the backward pass that torchless does not record). Second
derivatives (``hessian``, ``hvp``, ``vhp``) and ``create_graph=True`` need that graph too and raise
NotImplementedError.
"""
import numpy as np

from . import grad as _grad
from . import grad_mode

_NO_SECOND_DERIVATIVES = ("{} needs the derivative of a gradient, and torchless records no graph of the backward "
                          "pass (create_graph=True is not supported)")


def _tensor_class():
    from .._tensor import Tensor

    return Tensor


def _as_tuple(value, argument, function):
    """(values as a tuple, whether ``value`` was a tuple), checked to be tensors as PyTorch checks them."""
    Tensor = _tensor_class()
    is_tuple = isinstance(value, (tuple, list))
    values = tuple(value) if is_tuple else (value,)
    for v in values:
        if not isinstance(v, Tensor):
            if is_tuple:
                raise TypeError(f"The {argument} given to {function} must be either a Tensor or a tuple of Tensors "
                                f"but one of the elements of {argument} has type {type(v)}.")
            raise TypeError(f"The {argument} given to {function} must be either a Tensor or a tuple of Tensors but "
                            f"the given {argument} has type {type(value)}.")
    return values, is_tuple


def _prepared(inputs):
    """Leaves to differentiate with respect to: the inputs' values, detached, requiring grad."""
    return tuple(t.detach().requires_grad_(True) if t.is_floating_point() else t.detach() for t in inputs)


def _outputs(func, inputs, function, strict):
    with grad_mode.enable_grad():
        outputs, is_tuple = _as_tuple(func(*inputs), "outputs of the user-provided function", function)
    if strict:
        for index, output in enumerate(outputs):
            if not output.requires_grad:
                raise RuntimeError(f"Output {index} of the user-provided function does not require gradients. The "
                                   "outputs must be computed in a differentiable manner from the input when running "
                                   "in strict mode.")
    return outputs, is_tuple


def _vector_products(outputs, inputs, vectors):
    """sum over outputs of v^T d output / d input, per input (zeros where an input was not used)."""
    Tensor = _tensor_class()
    pairs = [(o, v) for o, v in zip(outputs, vectors) if o.requires_grad]
    wanted = [t for t in inputs if t.requires_grad]
    grads = iter(_grad([o for o, _ in pairs], wanted, [v for _, v in pairs], retain_graph=True, allow_unused=True)
                 if pairs and wanted else [None] * len(wanted))
    result = []
    for t in inputs:
        g = next(grads) if t.requires_grad else None
        result.append(Tensor._wrap(np.zeros(t._data.shape, t._data.dtype)) if g is None else g)
    return tuple(result)


def _check_create_graph(create_graph, function):
    if create_graph:
        raise NotImplementedError(_NO_SECOND_DERIVATIVES.format(f"{function}(create_graph=True)"))


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product of ``func`` at ``inputs``; ``v`` may be None for a
    function returning a single element."""
    _check_create_graph(create_graph, "vjp")
    inputs, inputs_tuple = _as_tuple(inputs, "inputs", "vjp")
    inputs = _prepared(inputs)
    outputs, outputs_tuple = _outputs(func, inputs, "vjp", strict)
    if v is None:
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single Tensor "
                               "with a single element.")
        vectors = (None,)
    else:
        vectors, _ = _as_tuple(v, "v", "vjp")
        _check_same_shapes(vectors, outputs, outputs_tuple)
    products = _vector_products(outputs, inputs, vectors)
    outputs = tuple(o.detach() for o in outputs)
    return (outputs if outputs_tuple else outputs[0]), (products if inputs_tuple else products[0])


def _check_same_shapes(vectors, tensors, is_tuple):
    """PyTorch's checks of ``v``: one vector per tensor, each of its shape."""
    if len(vectors) != len(tensors):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(tensors)} but got {len(vectors)}.")
    for index, (vector, tensor) in enumerate(zip(vectors, tensors)):
        if vector.shape != tensor.shape:
            entry = f"Entry {index} in v" if is_tuple else "v"
            raise RuntimeError(f"{entry} has invalid size: should be {tensor.shape} but got {vector.shape}.")


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for an output of shape S and an input of shape T, a tensor of shape
    S + T; a tuple over inputs and/or outputs where those are tuples (``[output][input]`` for both)."""
    _check_create_graph(create_graph, "jacobian")
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function '
                         'has more outputs than inputs, "forward-mode" tends to be more performant. Otherwise, '
                         'prefer to use "reverse-mode".')
    inputs, inputs_tuple = _as_tuple(inputs, "inputs", "jacobian")
    inputs = _prepared(inputs)
    outputs, outputs_tuple = _outputs(func, inputs, "jacobian", strict)
    rows = [row if inputs_tuple else row[0] for row in _jacobian_rows(outputs, inputs)]
    return tuple(rows) if outputs_tuple else rows[0]


def _jacobian_rows(outputs, inputs):
    """Per output, the tuple of its Jacobians with respect to each input (one backward per output element)."""
    Tensor = _tensor_class()
    rows = []
    for output in outputs:
        per_input = [np.zeros((output.numel(), t.numel()), np.result_type(output._data.dtype, t._data.dtype))
                     for t in inputs]
        for element in range(output.numel()):
            one_hot = np.zeros(output.numel(), output._data.dtype)
            one_hot[element] = 1
            vector = Tensor._wrap(one_hot.reshape(output._data.shape))
            for matrix, g in zip(per_input, _vector_products((output,), inputs, (vector,))):
                matrix[element] = g._data.reshape(-1)
        rows.append(tuple(Tensor._wrap(m.reshape(*output.shape, *t.shape)) for m, t in zip(per_input, inputs)))
    return rows


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product of ``func`` at ``inputs``, from the Jacobian (one
    backward per output element); ``v`` may be None for a single input of a single element."""
    _check_create_graph(create_graph, "jvp")
    inputs, inputs_tuple = _as_tuple(inputs, "inputs", "jvp")
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        vectors = (None,)
    else:
        vectors, _ = _as_tuple(v, "v", "jvp")
        _check_same_shapes(vectors, inputs, inputs_tuple)
    Tensor = _tensor_class()
    inputs = _prepared(inputs)
    outputs, outputs_tuple = _outputs(func, inputs, "jvp", strict)
    products = []
    for output, per_input in zip(outputs, _jacobian_rows(outputs, inputs)):
        total = np.zeros(output._data.shape, output._data.dtype)
        for matrix, vector in zip(per_input, vectors):
            flat = matrix._data.reshape(output.numel(), -1)
            total += (flat @ (np.ones(1) if vector is None else vector._data.reshape(-1))).reshape(output._data.shape)
        products.append(Tensor._wrap(total))
    outputs = tuple(o.detach() for o in outputs)
    return (outputs if outputs_tuple else outputs[0]), (tuple(products) if outputs_tuple else products[0])


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    raise NotImplementedError(_NO_SECOND_DERIVATIVES.format("hessian"))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    raise NotImplementedError(_NO_SECOND_DERIVATIVES.format("hvp"))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    raise NotImplementedError(_NO_SECOND_DERIVATIVES.format("vhp"))
