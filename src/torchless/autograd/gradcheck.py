"""Gradients from backward checked against finite differences (PyTorch's ``torch.autograd.gradcheck``).

For every input that requires grad and every output, the Jacobian backward gives (one backward per output
element) is compared with central differences of the function, ``(f(x + eps) - f(x - eps)) / (2 eps)`` one
input element at a time; both are laid out (input elements, output elements), as PyTorch prints them.
"""
import itertools
import warnings

import numpy as np

from .. import _dtype
from . import grad as _grad
from . import grad_mode
from .graph import tensor_class as _tensor_class


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the gradients from backward and from finite differences disagree."""


def _as_tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _tensor_outputs(func, inputs):
    """{position among func's outputs: output} for the outputs that are tensors."""
    Tensor = _tensor_class()
    return {i: o for i, o in enumerate(_as_tuple(func(*inputs))) if isinstance(o, Tensor)}


def _numerical_jacobian(func, inputs, input_index, output_position, eps):
    """d func(inputs)[output_position] / d inputs[input_index] by central differences, shaped (input numel, output numel)."""
    Tensor = _tensor_class()
    values = inputs[input_index]._data  # changed in place, one element at a time, and restored
    columns = []
    with grad_mode.no_grad():
        for element in np.ndindex(values.shape):
            original = values[element]
            values[element] = original + eps
            plus = _as_tuple(func(*inputs))[output_position]
            plus = plus._data.copy() if isinstance(plus, Tensor) else np.asarray(plus)
            values[element] = original - eps
            minus = _as_tuple(func(*inputs))[output_position]
            minus = minus._data.copy() if isinstance(minus, Tensor) else np.asarray(minus)
            values[element] = original
            columns.append(((plus - minus) / (2 * eps)).reshape(-1))
    return np.stack(columns) if columns else np.zeros((0, 0))


def _analytical_jacobian(output, inputs, input_index):
    """d output / d inputs[input_index] from backward (autograd.functional's Jacobian, one backward per output
    element), laid out (input numel, output numel)."""
    from .functional import _jacobian_rows

    (jacobian,), = _jacobian_rows((output,), (inputs[input_index],))
    return jacobian._data.reshape(output.numel(), -1).T


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None):
    """Whether the gradients backward computes for ``func`` at ``inputs`` match finite differences within
    ``atol + rtol * |numerical|``; raises GradcheckError naming the output and input that differ (or returns
    False with ``raise_exception=False``). Use float64 inputs: float32 differences are too coarse.

    Only the backward-mode check runs (``check_forward_ad``, ``check_batched_grad`` and their kind need forward
    mode or vmap, which torchless lacks, and raise NotImplementedError when asked for).
    """
    if check_forward_ad or check_batched_grad or check_batched_forward_grad:
        raise NotImplementedError("gradcheck: torchless checks backward mode only (no forward-mode AD or vmap)")
    Tensor = _tensor_class()
    inputs = _as_tuple(inputs)
    differentiable = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not differentiable:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them "
                         "have requires_grad=True.")
    for index in differentiable:
        if inputs[index].dtype not in (_dtype.float64, _dtype.complex128):
            warnings.warn(f"Input #{index} requires gradient and is not a double precision floating point or "
                          "complex. This check will likely fail if all the inputs are not of double precision "
                          "floating point or complex. ", UserWarning)  # (naming gradcheck's line, as PyTorch's)
    outputs = _tensor_outputs(func, inputs)
    differentiable_outputs = [(p, o) for p, o in outputs.items() if o.requires_grad]
    if not differentiable_outputs:  # (outputs without a graph among others are left unchecked, as by PyTorch)
        # no output has a graph: none may depend on the inputs at all
        for position, input_index in itertools.product(outputs, differentiable):
            if np.any(_numerical_jacobian(func, inputs, input_index, position, eps) != 0):
                if not raise_exception:
                    return False
                raise GradcheckError("Numerical gradient for function expected to be zero")
    for output_index, (position, output) in enumerate(differentiable_outputs):
        for input_index in differentiable:
            numerical = _numerical_jacobian(func, inputs, input_index, position, eps)
            analytical = _analytical_jacobian(output, inputs, input_index)
            if not np.allclose(analytical, numerical, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                dtype = inputs[input_index]._data.dtype
                raise GradcheckError(
                    f"Jacobian mismatch for output {output_index} with respect to input {input_index},\n"
                    f"numerical:{Tensor._wrap(numerical.astype(dtype))}\n"
                    f"analytical:{Tensor._wrap(analytical)}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """Whether the second derivatives of ``func`` at ``inputs`` match finite differences of its first derivatives
    (PyTorch's ``torch.autograd.gradgradcheck``): gradcheck of the function (inputs, grad_outputs) -> gradients of
    ``func``'s outputs with respect to its inputs, computed with ``create_graph=True``. ``grad_outputs`` default to
    random tensors in [-1, 1) shaped like the outputs. Use float64 inputs.
    """
    if check_fwd_over_rev or check_batched_grad:
        raise NotImplementedError("gradgradcheck: torchless checks reverse over reverse only (no forward-mode AD or "
                                  "vmap)")
    from .. import rand

    Tensor = _tensor_class()
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        with grad_mode.enable_grad():
            outputs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad]
        grad_outputs = tuple((rand(o.shape, dtype=o.dtype) * 2 - 1).requires_grad_(True) for o in outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    count = len(inputs)
    differentiable = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]

    def first_derivatives(*values):
        with grad_mode.enable_grad():
            outputs = [o for o in _as_tuple(func(*values[:count])) if isinstance(o, Tensor) and o.requires_grad]
            grads = _grad(outputs, [values[i] for i in differentiable], values[count:], create_graph=True,
                          allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol)
