"""Derivatives of whole functions of tensors (PyTorch's ``torch.autograd.functional``), by reverse mode.

``jacobian`` runs one backward per output element and ``jvp`` multiplies that Jacobian by ``v``; the second
derivatives (``hessian``, ``hvp``, ``vhp``) and every ``create_graph=True`` differentiate gradients recorded with
``create_graph=True``, which works through the operations that have a differentiable backward (the others raise
NotImplementedError naming themselves).
"""
import numpy as np

from . import grad as _grad
from . import grad_mode
from .graph import tensor_class as _tensor_class

def _as_tuple(value, argument, function):
    """(values as a tuple, whether ``value`` was a tuple), checked to be tensors as PyTorch checks them."""
    Tensor = _tensor_class()
    is_tuple = isinstance(value, tuple)  # (a list is refused, as by PyTorch)
    values = tuple(value) if is_tuple else (value,)
    for index, v in enumerate(values):
        if not isinstance(v, Tensor):
            if is_tuple:
                raise TypeError(f"The {argument} given to {function} must be either a Tensor or a tuple of Tensors "
                                f"but the value at index {index} has type {type(v)}.")
            raise TypeError(f"The {argument} given to {function} must be either a Tensor or a tuple of Tensors but "
                            f"the given {argument} has type {type(value)}.")
    return values, is_tuple


def _prepared(inputs, create_graph=False):
    """Tensors to differentiate with respect to: the inputs' values, detached, requiring grad; with
    ``create_graph``, an input that requires grad stays linked to its graph (as a view of itself), so that the
    results can be differentiated with respect to it."""
    for t in inputs:  # (PyTorch's requires_grad_ of each, whose message here leaves complex dtypes unnamed)
        if not (t.is_floating_point() or t.is_complex()):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
    return tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(True)
                 for t in inputs)


def _finished(tensors, create_graph):
    """Results as returned: detached unless ``create_graph``."""
    return tuple(tensors) if create_graph else tuple(t.detach() for t in tensors)


def _outputs(func, inputs, function, strict, argument="outputs of the user-provided function"):
    with grad_mode.enable_grad():
        outputs, is_tuple = _as_tuple(func(*inputs), argument, function)
    if strict:
        for index, output in enumerate(outputs):
            if not output.requires_grad:
                raise RuntimeError(f"Output {index} of the user-provided function does not require gradients. The "
                                   "outputs must be computed in a differentiable manner from the input when running "
                                   "in strict mode.")
    return outputs, is_tuple


# PyTorch's strict-mode errors for a gradient that does not depend on input {index}: (when it is missing, when
# it does not require grad under create_graph), by the derivative being taken
_INDEPENDENT = {
    "back": ("The output of the user-provided function is independent of input {index}. This is not allowed in "
             "strict mode.",
             "The jacobian of the user-provided function is independent of input {index}. This is not allowed in "
             "strict mode when create_graph=True."),
    "double_back": ("The jacobian of the user-provided function is independent of input {index}. This is not "
                    "allowed in strict mode.",
                    "The hessian of the user-provided function is independent of input {index}. This is not allowed "
                    "in strict mode when create_graph=True."),
    "double_back_trick": ("The hessian of the user-provided function is independent of entry {index} in the "
                          "grad_jacobian. This is not allowed in strict mode as it prevents from using the double "
                          "backward trick to replace forward mode AD.",
                          "The hessian of the user-provided function is independent of input {index}. This is not "
                          "allowed in strict mode when create_graph=True."),
    # the gradient that hessian, vhp and hvp differentiate again
    "jacobian": ("The output of the user-provided function is independent of input {index}. This is not allowed in "
                 "strict mode.",
                 "While computing the hessian, found that the jacobian of the user-provided function with respect to "
                 "input {index} is independent of the input. This is not allowed in strict mode. You should ensure "
                 "that your function is twice differentiable and that the jacobian depends on the inputs (this would "
                 "be violated by a linear function for example)."),
    # jvp's products by the double-backward trick (with respect to the outputs' gradients)
    "back_trick": ("The gradient with respect to the input is independent of entry {index} in the grad_outputs when "
                   "using the double backward trick to compute forward mode gradients. This is not allowed in strict "
                   "mode.",
                   "The jacobian of the user-provided function is independent of input {index}. This is not allowed in "
                   "strict mode when create_graph=True."),
    # jvp's: the gradient of the outputs that it differentiates again with respect to the output vectors
    "grad_inputs": ("The output of the user-provided function is independent of input {index}. This is not allowed "
                    "in strict mode.",
                    "The gradient with respect to input {index} is independent of the inputs of the user-provided "
                    "function. This is not allowed in strict mode."),
}


def _vector_products(outputs, inputs, vectors, create_graph=False, strict=False, messages=_INDEPENDENT["back"]):
    """sum over outputs of v^T d output / d input, per input (zeros where an input was not used; PyTorch's errors
    instead in ``strict`` mode, ``messages`` as in _INDEPENDENT)."""
    Tensor = _tensor_class()
    pairs = [(o, v) for o, v in zip(outputs, vectors) if o.requires_grad]
    wanted = [t for t in inputs if t.requires_grad]
    grads = iter(_grad([o for o, _ in pairs], wanted, [v for _, v in pairs], retain_graph=True,
                       create_graph=create_graph, allow_unused=True)
                 if pairs and wanted else [None] * len(wanted))
    result = []
    for index, t in enumerate(inputs):
        g = next(grads) if t.requires_grad else None
        if strict and (g is None or create_graph and not g.requires_grad):
            raise RuntimeError(messages[g is not None].format(index=index))
        result.append(Tensor._wrap(np.zeros(t._data.shape, t._data.dtype)) if g is None else g)
    return tuple(result)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product of ``func`` at ``inputs``; ``v`` may be None for a
    function returning a single element. With ``create_graph`` both can be differentiated further."""
    inputs, inputs_tuple = _as_tuple(inputs, "inputs", "vjp")
    inputs = _prepared(inputs, create_graph)
    outputs, outputs_tuple = _outputs(func, inputs, "vjp", strict)
    if v is None:
        if len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a single Tensor "
                               "with a single element.")
        vectors = (None,)
    else:
        vectors, _ = _as_tuple(v, "v", "vjp")
        _check_same_shapes(vectors, outputs, outputs_tuple)
    products = _finished(_vector_products(outputs, inputs, vectors, create_graph, strict), create_graph)
    outputs = _finished(outputs, create_graph)
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
    S + T; a tuple over inputs and/or outputs where those are tuples (``[output][input]`` for both). With
    ``create_graph`` it can be differentiated further."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                             'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                             'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":  # (computed in reverse mode all the same, after PyTorch's checks of _jacfwd)
        _check_forward_mode(inputs, create_graph, strict, vectorize)
    inputs, inputs_tuple = _as_tuple(inputs, "inputs", "jacobian")
    inputs = _prepared(inputs, create_graph)
    if strategy == "forward-mode":  # (PyTorch's _jacfwd checks the outputs, naming neither them nor itself)
        outputs, outputs_tuple = _outputs(func, inputs, None, strict, "outputs")
    else:
        outputs, outputs_tuple = _outputs(func, inputs, "jacobian", strict)
    if vectorize and strict and strategy == "reverse-mode":
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                           "supported together. Please either set `strict=False` or `vectorize=False`.")
    # PyTorch's _jacfwd gives lists where the inputs are a tuple (tuples elsewhere)
    container = list if strategy == "forward-mode" and inputs_tuple else tuple
    rows = _jacobian_rows(outputs, inputs, create_graph, strict)
    if strategy == "forward-mode":
        rows = [[_laid_out_as_jacfwd(block, inputs, index) for index, block in enumerate(row)] for row in rows]
    rows = [container(row) if inputs_tuple else row[0] for row in rows]
    return container(rows) if outputs_tuple else rows[0]


def _laid_out_as_jacfwd(block, inputs, index):
    """The Jacobian ``block`` of an output (shape O) with respect to input ``index`` (shape I), laid out as
    PyTorch's _jacfwd lays it out: vmap gives each output's Jacobian as one C-ordered (inputs' total size, *O)
    tensor, whose rows of this input, their batch dim moved last, are reshaped to O + I (a view where one can)."""
    from .._memory_format import reshaped_view

    sizes = [t.numel() for t in inputs]
    start, size = sum(sizes[:index]), sizes[index]
    out_shape = block.shape[:block.dim() - inputs[index].dim()]
    whole = np.empty((sum(sizes), *out_shape), block._data.dtype)
    rows = whole[start:start + size]
    rows[...] = np.moveaxis(block._data.reshape(*out_shape, size), -1, 0)
    return block._wrap(reshaped_view(np.moveaxis(rows, 0, -1), tuple(block.shape)))


def _check_forward_mode(inputs, create_graph, strict, vectorize):
    """PyTorch's errors for a jacobian in forward mode: it has no create_graph, no strict mode, and needs
    vectorize."""
    if create_graph:
        raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` and '
                                  '`strategy="forward-mode"` are not supported together (yet). Please either set '
                                  '`create_graph=False` or `strategy="reverse-mode"`.')
    if strict:
        raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are not '
                           'supported together (yet). Please either set `strict=False` or '
                           '`strategy="reverse-mode"`.')
    _as_tuple(inputs, "inputs", "jacobian")
    if not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly "
                                  "implemented for `vectorize=True`.")


def _jacobian_rows(outputs, inputs, create_graph=False, strict=False):
    """Per output, the tuple of its Jacobians with respect to each input (one backward per output element); with
    ``create_graph`` they are stacked in the graph, differentiable in turn. ``strict``: PyTorch's error for an
    output element independent of an input."""
    if create_graph:
        from .. import stack

    Tensor = _tensor_class()
    rows = []
    for output in outputs:
        messages = (f"Output {len(rows)} of the user-provided function is independent of input {{index}}. This is not "
                    "allowed in strict mode.", _INDEPENDENT["back"][1])
        per_input = [np.zeros((output.numel(), t.numel()), np.result_type(output._data.dtype, t._data.dtype))
                     for t in inputs]
        recorded = [[] for _ in inputs]
        for element in range(output.numel()):
            one_hot = np.zeros(output.numel(), output._data.dtype)
            one_hot[element] = 1
            vector = Tensor._wrap(one_hot.reshape(output._data.shape))
            products = _vector_products((output,), inputs, (vector,), create_graph, strict, messages)
            for index, g in enumerate(products):
                if create_graph:
                    recorded[index].append(g.reshape(-1))
                else:
                    per_input[index][element] = g._data.reshape(-1)
        if create_graph and output.numel():
            per_input = [stack(r)._cast(m.dtype) for r, m in zip(recorded, per_input)]
        else:
            per_input = [Tensor._wrap(m) for m in per_input]
        rows.append(tuple(m.reshape((*output.shape, *t.shape)) for m, t in zip(per_input, inputs)))
    return rows


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product of ``func`` at ``inputs``, from the Jacobian (one
    backward per output element); ``v`` may be None for a single input of a single element. With
    ``create_graph`` both can be differentiated further."""
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
    inputs = _prepared(inputs, create_graph)
    outputs, outputs_tuple = _outputs(func, inputs, "jvp", strict)
    if strict or create_graph:
        # PyTorch's double-backward trick: the gradient of the outputs, recorded as a function of their (zero)
        # gradients, is linear in them, and its vector-Jacobian product with v is J v. Its checks in strict mode
        # (see _INDEPENDENT); with create_graph, the products as it records them.
        with grad_mode.enable_grad():
            dummies = [Tensor._wrap(np.zeros(o._data.shape, o._data.dtype)).requires_grad_(True) for o in outputs]
            grad_inputs = _vector_products(outputs, inputs, dummies, True, strict, _INDEPENDENT["grad_inputs"])
            if create_graph:
                products = _vector_products(grad_inputs, dummies, vectors, True, strict, _INDEPENDENT["back_trick"])
                outputs = _finished(outputs, create_graph)
                return (outputs if outputs_tuple else outputs[0]), (products if outputs_tuple else products[0])
    products = []
    for output, per_input in zip(outputs, _jacobian_rows(outputs, inputs, create_graph)):
        total = Tensor._wrap(np.zeros(output._data.shape, output._data.dtype))
        for matrix, vector in zip(per_input, vectors):
            flat = matrix.reshape(output.numel(), -1)
            vector = Tensor._wrap(np.ones(1, flat._data.dtype)) if vector is None else vector.reshape(-1)._cast(flat._data.dtype)
            total = total + flat.matmul(vector).reshape(output._data.shape)
        products.append(total)
    products, outputs = _finished(products, create_graph), _finished(outputs, create_graph)
    return (outputs if outputs_tuple else outputs[0]), (tuple(products) if outputs_tuple else products[0])


def _single_element_output(func, function, strict):
    """``func`` checked to return one tensor of one element, as PyTorch's hessian, hvp and vhp require."""
    Tensor = _tensor_class()

    def checked(*inputs):
        output = func(*inputs)
        outputs, is_tuple = _as_tuple(output, "outputs of the user-provided function", function)
        if strict and not outputs[0].requires_grad:
            raise RuntimeError("Output 0 of the user-provided function does not require gradients. The outputs must "
                               "be computed in a differentiable manner from the input when running in strict mode.")
        if is_tuple or not isinstance(output, Tensor):
            raise RuntimeError(f"The function given to {function} should return a single Tensor")
        if output.numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {function} should contain a single "
                               "element")
        return output

    return checked


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of ``func`` (returning a single element) at ``inputs``: for an input of shape T, a tensor of
    shape T + T; for a tuple of inputs, a tuple of tuples (``[i][j]`` the derivatives with respect to input i, then
    j). The Jacobian of the gradient, itself computed with ``create_graph=True``."""
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    inputs, inputs_tuple = _as_tuple(inputs, "inputs", "hessian")
    single = _single_element_output(func, "hessian", strict)

    def gradient(*values):
        jac = jacobian(lambda *v: single(*v).squeeze(), values if inputs_tuple else values[0], create_graph=True)
        if strict:
            for index, entry in enumerate(jac if inputs_tuple else (jac,)):
                if not entry.requires_grad:
                    raise RuntimeError(
                        "While computing the hessian, found that the jacobian of the user-provided function with "
                        f"respect to input {index} is independent of the input. This is not allowed in strict mode. "
                        "You should ensure that your function is twice differentiable and that the jacobian depends "
                        "on the inputs (this would be violated by a linear function for example).")
        return jac

    return jacobian(gradient, inputs if inputs_tuple else inputs[0], create_graph=create_graph, strict=strict,
                    vectorize=vectorize, strategy=outer_jacobian_strategy)


def _second_order_product(func, inputs, v, create_graph, strict, function):
    """(func(inputs), v^T H): the gradient of func, recorded with ``create_graph=True``, differentiated once more
    along ``v``."""
    inputs, inputs_tuple = _as_tuple(inputs, "inputs", function)
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        vectors = (_tensor_class()._wrap(np.ones(inputs[0]._data.shape, inputs[0]._data.dtype)),)
    else:
        vectors, _ = _as_tuple(v, "v", function)
        _check_same_shapes(vectors, inputs, inputs_tuple)
    inputs = _prepared(inputs, create_graph)
    with grad_mode.enable_grad():
        output = _single_element_output(func, function, strict)(*inputs)
        gradients = _vector_products((output,), inputs, (None,), True, strict, _INDEPENDENT["jacobian"])
        if function == "hvp":
            # PyTorch's double-backward trick: v^T H's gradient with respect to v is H v, whose values v^T H has
            # (H is symmetric) but not the layouts (the gradients of the double backward's own gradient input)
            differentiated = tuple(_tensor_class()._wrap(np.zeros(t._data.shape, t._data.dtype)).requires_grad_(True)
                                   for t in inputs)
            gradients = _vector_products(gradients, inputs, differentiated, True)
        else:
            differentiated = inputs
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        messages = _INDEPENDENT["double_back" if function == "vhp" else "double_back_trick"]
        products = _finished(_vector_products(gradients, differentiated, vectors, create_graph, strict, messages),
                             create_graph)
    output = _finished((output,), create_graph)[0]
    return output, (products if inputs_tuple else products[0])


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H): the vector-Hessian product of ``func`` (returning a single element) at ``inputs``;
    ``v`` may be None for a single input of a single element."""
    return _second_order_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v): the Hessian-vector product of ``func`` (returning a single element) at ``inputs``;
    ``v`` may be None for a single input of a single element. Computed as PyTorch does, by one more derivative
    than ``vhp`` takes: the gradient with respect to u of u^T H, along v."""
    return _second_order_product(func, inputs, v, create_graph, strict, "hvp")
