"""Activation functions: the relu family, elu/selu/celu, sigmoid/tanh and their relatives (logsigmoid, mish,
glu, softsign, tanhshrink), GELU, SiLU, hardtanh, and the softmax family (softmax, log_softmax, softmin,
gumbel_softmax).

relu, sigmoid and tanh reuse the core's Functions (``Tensor.relu`` and friends), and softsign, tanhshrink,
softmin and gumbel_softmax are compositions of tensor operations, as in PyTorch (same graph nodes); the
others are Functions here, forward and backward side by side, computing in the input's dtype.
Piecewise-defined activations (threshold, shrinkage, hardsigmoid, hardswish) are in ``piecewise``,
prelu and rrelu in ``rectifiers``.
"""
import math
import operator
import sys
import warnings

import numpy as np

from ... import _cpu_features as cpu_features, _creation, _dtype, _memory_format
from ..._kernels import avx_mathfun, cpu_loops, onednn_gelu, parallel
from ..._kernels.cpu_loops import kernel_exp, scalar_tail_nans, vector_bytes, vectorised
from ..._kernels.fma import fused_multiply_add32
from ..._kernels.reduce_order import VECTOR_LANES, lanes_then_rest_sum, reduce_all_half
from ..._ops import unary
from ..._ops.arithmetic import add_scalar, number_minus
from ..._ops.shape import Where
from ..._ops._util import c_ordered_gradients, checked_int64, iterator_layout_of, laid_out_gradients, normalize_dim
from ..._ops.special import erf as _erf
from ..._tensor import Tensor
from ..._type_promotion import NUMBERS, as_parsed_number
from ..._tensor_methods._arguments import refuse_relu, refuse_complex_gradient
from ...autograd import forward_ad
from ...overrides import handle_torch_function, has_torch_function
from ...autograd._graph_backward import laid_out_as_iterator_of_gradient, with_zero_derivative_of
from ...autograd.graph import OUTPUT, Node, records
from ...autograd.saved_values import Saved, SavedInput, int64, saved_result
from ...random import stream
from ._args import REQUIRED, _is_index, _tp_name, check_tensor, missing_arguments, native_binding, unpack_int64
from ._moments import quiet
from ._norm_checks import compute_dtype

__all__ = ["relu", "relu_", "leaky_relu", "leaky_relu_", "sigmoid", "tanh", "gelu", "elu", "elu_", "selu", "selu_",
           "celu", "celu_", "silu", "mish", "logsigmoid", "glu", "softsign", "tanhshrink", "hardtanh", "hardtanh_",
           "relu6", "softplus", "softmax", "log_softmax", "softmin", "gumbel_softmax"]


def opmath_operands(*arrays):
    """``arrays`` as PyTorch's CPU kernels compute with them: float16 ones in float32 (the result is then rounded
    once, to the gradient's or output's dtype)."""
    return tuple(a.astype(np.float32) if a.dtype == np.float16 else a for a in arrays)


def _c_strided(out):
    """``out``, a kernel's C-contiguous result, with the C strides PyTorch allocates it with even when empty (NumPy
    gives an empty result all-zero strides)."""
    return out if out.size else _memory_format.with_c_strides(out)


def _check_floating(input, kernel):
    if not input.is_floating_point():
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")


def number_argument(value, fn, name, position, wrapped=False):
    """A ``Number`` argument as PyTorch's parser takes it (Python or NumPy number, bool, 0-d tensor), as a
    Python number; its TypeError for anything else.

    ``wrapped``: PyTorch's functional of the calling function is Python passing the argument to the native ``fn``
    by position (F.elu, F.leaky_relu, ...), so a user's call of it shows the position even for a keyword; other
    callers (the in-place forms, the torch namespace's natives, which call it) show it as their call was written.
    (An int: how many frames up that functional is, 1 (True) being the caller.)"""
    if isinstance(value, Tensor) and value.dim() == 0:
        return value.item()
    if isinstance(value, (np.number, np.bool_)):
        value = as_parsed_number(value)  # a Python scalar, as the parser's: a NumPy one would promote the kernel's
        return value if type(value) is float else value.item()  # arithmetic
    if isinstance(value, NUMBERS):
        if type(value) is int:
            _dtype.check_64_bits(value)  # (the parser reads an int as int64, or uint64)
        return value
    if value is REQUIRED:
        raise missing_arguments(fn, [name])
    from ..._parser_errors import wrong_type
    from ..._written_call import is_users_call

    if wrapped and is_users_call(sys._getframe(int(wrapped))):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Number, not {_tp_name(value)}")
    raise wrong_type(fn, name, position, value, "Number")


def opmath_scalar(value, input):
    """``value`` checked as PyTorch converts a scalar argument for a kernel on ``input``: float16 kernels
    compute in float32, which is what must hold it ("value cannot be converted ... without overflow")."""
    np_dtype = input._data.dtype
    return _dtype.scalar_argument(value, np.dtype(np.float32) if np_dtype == np.float16 else np_dtype)


def real_scalar(value, input=None):
    """A Number argument as PyTorch's kernel reads it: converted to a C++ double (``Scalar.to<double>()``), or
    with ``input`` to the kernel's compute type on it (see opmath_scalar). Only a complex number changes: to its
    real part, or the conversion's RuntimeError where it has an imaginary one."""
    if not isinstance(value, complex):
        return value
    return float(opmath_scalar(value, input) if input is not None else
                 _dtype.scalar_argument(value, np.dtype(np.float64)))


def _maybe_inplace(input, function, overwrite, fills=False, **params):
    """Apply ``function`` and, to ``overwrite``, make ``input`` the result (PyTorch's in-place semantics).

    ``fills``: the in-place op writes memory holding an element in several places, as PyTorch's does for some
    (see Tensor._writable_data), rather than refusing it."""
    if overwrite:
        return input._inplace(lambda t: function.apply(t, **params), fills=fills)
    return function.apply(input, **params)


# ---------------------------------------------------------------------------- relu family
def relu(input, inplace=False):
    """max(0, x) elementwise; integer tensors stay integer."""
    if type(input) is not Tensor:  # (a plain tensor pays no more for subclasses than for the isinstance check)
        if has_torch_function((input,)):
            return handle_torch_function(relu, (input,), input, inplace=inplace)
        if not isinstance(input, Tensor):  # (the in-place form is relu_ to PyTorch's parser)
            check_tensor(input, "relu_" if inplace else "relu")
    if input._data.dtype.kind in "bcu":  # the array's dtype: cheaper than input.dtype on every layer call
        refuse_relu(input)
    if inplace:
        return input.relu_()
    if records(input):
        return unary.Relu.apply(input)
    return Tensor._wrap(unary.Relu.max_zero(input._data))  # nothing to record: skip Node.apply's cost


@native_binding
def relu_(input):
    """In-place :func:`relu` (a native function of its own in PyTorch, whose parser names it)."""
    check_tensor(input, "relu_")
    return relu(input, inplace=True)


IN_PLACE_NEGATIVE_SLOPE = (
    "In-place leakyReLu backward calculation is triggered with a negative slope which is not supported. This is "
    "caused by calling in-place forward function with a negative slope, please call out-of-place version instead. "
    "File an issue at https://github.com/pytorch/pytorch if you do require supporting in-place leakRelu backward "
    "calculation with negative slope")


def zero_derivative_of_operand(node, gradient, name, grad, shape, result=False):
    """``gradient``, the piecewise-linear ``node``'s gradient computed under create_graph, recorded as PyTorch's
    backward op ``name`` records it: reading the op's input of ``shape`` (its result, for an in-place form that
    saves it), of derivative zero, so that the gradient requires grad as the input does."""
    placeholder = np.broadcast_to(np.zeros((), grad._data.dtype), shape)  # (only its shape and dtype are read)
    operand = node.graph_output(placeholder) if result else node.graph_input(0, placeholder)
    return with_zero_derivative_of(gradient, operand, name, grad)


def check_in_place_slope(inplace, slope):
    """PyTorch's in-place leaky_relu_ (and rrelu_ at its mean slope) differentiates from its result, which cannot
    tell the sides apart under a negative slope: its backward refuses."""
    if inplace and not slope >= 0:  # (a NaN slope too)
        raise RuntimeError(IN_PLACE_NEGATIVE_SLOPE)


def _leaky_relu_into(x, positive, out, slope):
    out[...] = cpu_loops.select(positive, x, x * slope)


def mask_laid_out_as(mask, x):
    """``mask``, a comparison of ``x``, with x's strides, those of size-1 dims too (NumPy's comparisons set those their
    own way): the layout of the input that PyTorch's pointwise backward kernels (leaky_relu_backward,
    threshold_backward) lay their gradient out by, read from the mask saved in its place (a copy only then)."""
    if x.flags.c_contiguous and 1 not in x.shape or not _memory_format.is_dense(x):
        return mask
    return _memory_format.with_strides(mask, _memory_format.element_strides(x))


class LeakyRelu(Node):
    tangent_node_name = "LeakyReluBackwardBackward0"  # (see forward_ad.recorded_on_values)
    elementwise = True
    backward_is_one_op = True
    saved, saves = ("positive",), (0,)  # PyTorch saves the input (leaky_relu_: the result)
    torch_saved = {"LeakyReluBackward0": {"self": SavedInput(0), "negative_slope": lambda node: node.slope},
                   "LeakyReluBackward1": {"result": saved_result(lambda node: node._checked_output.array),
                                          "negative_slope": lambda node: node.slope}}

    def forward(self, x, negative_slope=0.01, inplace=False):
        self.positive, self.slope, self.inplace = mask_laid_out_as(x > 0, x), negative_slope, inplace
        if inplace:
            self._checked_inputs, self._saves_output = (), True
            self.backward_inputs = (OUTPUT,)  # (its backward op reads the result, as the node saved it)
        with np.errstate(invalid="ignore", over="ignore"):  # (0 * an infinite slope: NaN, silently)
            if x.dtype == np.float16:  # the slope in float32, the product rounded once, as PyTorch's kernel does
                return np.where(self.positive, x, (x * np.float32(negative_slope)).astype(np.float16))
            if x.size > cpu_loops.PIECE and x.flags.c_contiguous and x.dtype.kind == "f" and \
                    type(negative_slope) in (int, float):  # (of which the product keeps x's dtype)
                out = np.empty(x.shape, x.dtype)
                cpu_loops.in_pieces(_leaky_relu_into, (x, self.positive, out), negative_slope)
                return out
            return np.where(self.positive, x, x * negative_slope)

    # (PyTorch's leaky_relu_backward lays its output out as the input first, then grad; the mask is the input's)
    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @laid_out_gradients(iterator_layout_of("positive", "grad"))
    def backward(self, grad):
        check_in_place_slope(self.inplace, self.slope)
        with np.errstate(invalid="ignore", over="ignore"):
            sloped = (grad.astype(np.float32) * np.float32(self.slope)).astype(grad.dtype) \
                if grad.dtype == np.float16 else grad * self.slope  # (float16 in float32, rounded once, as forward)
        return (np.where(self.positive, grad, sloped),)

    def backward_graph(self, grad):
        check_in_place_slope(self.inplace, self.slope)
        scaled = grad * grad._wrap(np.where(self.positive, 1, self.slope).astype(grad._data.dtype))
        return (zero_derivative_of_operand(self, scaled, "LeakyReluBackwardBackward0", grad, self.positive.shape,
                                           result=self.inplace),)

    def name(self):
        return "LeakyReluBackward1" if self.inplace else "LeakyReluBackward0"


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise."""
    name = "leaky_relu_" if inplace else "leaky_relu"
    check_tensor(input, name)
    negative_slope = number_argument(negative_slope, name, "negative_slope", 2, wrapped=True)
    _check_floating(input, "leaky_relu_cpu")
    negative_slope = real_scalar(negative_slope, input)
    opmath_scalar(negative_slope, input)  # (the kernel's: one beyond float32's range fails for float32)
    return _maybe_inplace(input, LeakyRelu, inplace, negative_slope=negative_slope, inplace=inplace)


@native_binding
def leaky_relu_(input, negative_slope=0.01):
    """leaky_relu_(input, negative_slope=0.01) -> Tensor

    In-place version of :func:`leaky_relu`: writes x if x >= 0, else negative_slope * x into ``input``.

    Examples::

        >>> x = torch.tensor([-2.0, 3.0])
        >>> F.leaky_relu_(x, 0.5)
        tensor([-1.,  3.])
    """
    return leaky_relu(input, negative_slope, inplace=True)


class Hardtanh(Node):
    tangent_node_name = "HardtanhBackwardBackward0"  # (see forward_ad.recorded_on_values)
    elementwise = True
    backward_is_one_op = True
    saved, saves = ("inside", "x"), (0,)  # as PyTorch, which saves the input
    torch_saved = {"self": SavedInput(0, "x"), "min_val": lambda node: node.bounds[0],
                   "max_val": lambda node: node.bounds[1]}

    def forward(self, x, min_val=-1.0, max_val=1.0):
        self.x, self.bounds = x, (min_val, max_val)  # (the input before hardtanh_ too, as PyTorch keeps it)
        # the kernels compare in the input's dtype, float16's backward in float32 (a limit beyond it only comes
        # with a NaN one, unchecked: the result is NaN anyway)
        compared = np.float32 if x.dtype == np.float16 else x.dtype
        with np.errstate(over="ignore"):
            low, high = (np.asarray(limit, dtype=compared) for limit in (min_val, max_val))
        self.inside = (x > low) & (x < high)
        return np.clip(x, low, high).astype(x.dtype, copy=False)

    laid_out = Node.laid_out_like_input  # (PyTorch's hardtanh runs clamp_out into empty_like(input))

    # (PyTorch's hardtanh_backward lays its output out as grad first, then the input; the mask is the input's)
    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @laid_out_gradients(iterator_layout_of("grad", "inside"))
    def backward(self, grad):
        passes = self.inside
        nans = scalar_tail_nans(self.x, others=(grad,))  # (the scalar code passes a NaN's gradient, the vector code 0)
        if nans is not None:
            passes = passes | nans
        return (np.where(passes, grad, np.zeros((), grad.dtype)),)

    def backward_graph(self, grad):
        return (zero_derivative_of_operand(self, unary.masked_gradient(self.inside, grad), "HardtanhBackwardBackward0",
                                           grad, self.x.shape),)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clamped to [min_val, max_val]; the gradient is 1 strictly inside, 0 elsewhere."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _hardtanh(input, min_val, max_val, "hardtanh_" if inplace else "hardtanh", inplace, wrapped=2)


def _hardtanh(input, min_val, max_val, name, inplace, wrapped):
    check_tensor(input, name)
    min_val = number_argument(min_val, name, "min_val", 2, wrapped=wrapped)
    max_val = number_argument(max_val, name, "max_val", 3, wrapped=wrapped)
    if input._data.dtype.kind == "b":  # clamping a bool is meaningless: PyTorch's kernel refuses it
        raise RuntimeError("Bool inputs not supported for hardtanh")
    input._refuse_complex("clamp is not supported for complex types")  # (PyTorch's hardtanh is a clamp)
    if input._data.dtype.kind in "iu":  # (its kernel reads the limits as int64s, truncated, then in the dtype)
        min_val, max_val = checked_int64(min_val), checked_int64(max_val)
        if input._data.dtype == np.uint8 and (min_val < 0 or max_val < 0):
            raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
        min_val, max_val = (_dtype.scalar_argument(limit, input._data.dtype) for limit in (min_val, max_val))
    elif min_val == min_val and max_val == max_val:  # (PyTorch's clamp fills NaN, unchecked, for a NaN limit)
        for limit in (min_val, max_val):
            _dtype.scalar_argument(limit, input._data.dtype)  # its overflow check, for float16 and float32
    return _maybe_inplace(input, Hardtanh, inplace, min_val=min_val, max_val=max_val)


@native_binding
def hardtanh_(input, min_val=-1, max_val=1):  # (PyTorch's native defaults, ints, which its node shows)
    """hardtanh_(input, min_val=-1., max_val=1.) -> Tensor

    In-place version of :func:`hardtanh`: clamps ``input`` to [min_val, max_val] in place.

    Examples::

        >>> x = torch.tensor([-2.0, 0.5, 3.0])
        >>> F.hardtanh_(x)
        tensor([-1.0000,  0.5000,  1.0000])
    """
    # the native hardtanh_ itself: no check of min_val > max_val (max_val wins, as in a clamp)
    return _hardtanh(input, min_val, max_val, "hardtanh_", inplace=True, wrapped=False)


def relu6(input, inplace=False):
    """min(max(0, x), 6), i.e. hardtanh(x, 0, 6)."""
    check_tensor(input, "relu6_" if inplace else "relu6")  # a native function of its own in PyTorch
    return hardtanh(input, 0, 6, inplace)  # (ints, as its node shows them)


class Elu(Node):
    """scale * x for x > 0, alpha * scale * (exp(input_scale * x) - 1) otherwise: elu, selu and celu.

    Coefficients are rounded to the input's dtype first, as PyTorch's kernel does. The gradient on the
    negative side is alpha * scale * input_scale * exp(input_scale * x), from the saved input; the in-place
    forms' is PyTorch's from the output, input_scale * (out + alpha * scale), the side picked by the output's
    sign (under a negative scale, the other one).
    """
    elementwise = True
    backward_is_one_op = True
    saved = ("x", "out")
    saves = (0,)  # the out-of-place forms' node saves the input alone: changing the result in place is allowed
    kind = "Elu"
    torch_saved = {"EluBackward0": {"self": SavedInput(0, "x"), "alpha": lambda node: node.given[0],
                                    "scale": lambda node: node.given[1], "input_scale": lambda node: node.given[2]},
                   "EluBackward1": {"result": saved_result(lambda node: node._checked_output.array),
                                    "alpha": lambda node: node.given[0], "scale": lambda node: node.given[1],
                                    "input_scale": lambda node: node.given[2]},
                   "CeluBackward0": {"self": SavedInput(0, "x"), "alpha": lambda node: node.given[0]},
                   "CeluBackward1": {"result": saved_result(lambda node: node._checked_output.array),
                                     "alpha": lambda node: node.given[0]}}

    def forward(self, x, alpha=1.0, scale=1, input_scale=1, inplace=False):
        self.given = alpha, scale, input_scale  # as the call gave them, for the node's saved values
        dtype = compute_dtype(x).type
        self.negcoef, self.poscoef, self.negiptcoef = dtype(alpha) * dtype(scale), dtype(scale), dtype(input_scale)
        self.inplace, self.x = inplace, x
        if inplace:  # PyTorch's in-place forms save the result, whose change before backward is then an error
            self._checked_inputs, self._saves_output = (), True
            self.backward_inputs = (OUTPUT,)  # (which its backward op reads)
        with np.errstate(over="ignore", invalid="ignore"):  # (inf or NaN, silently, as in PyTorch)
            if x.size > cpu_loops.PIECE and x.flags.c_contiguous:
                out = np.empty(x.shape, x.dtype)
                cpu_loops.in_pieces(self._elu_into, (x, out), dtype)
            else:
                out = self._elu_into(x, None, dtype)
        if inplace:
            self.out = out  # (which the in-place form's gradient reads)
        return out

    def _elu_into(self, x, out, dtype):
        """The elu of ``x`` (its values computed in ``dtype``) written into ``out``, or returned if that is None."""
        # zeros take the positive side (an infinite or NaN alpha leaves them 0), as do NaNs (NaN either way)
        positive = ~(x < 0)
        # 0 for x >= 0: the positive side's exponential, thrown away, must not overflow (alpha < 0 can still).
        # (Not np.minimum(x, 0), which makes -0.0 +0.0: elu(-0.0) is -0.0.)
        if out is None:
            negative = np.where(positive, np.zeros((), dtype), x.astype(dtype, copy=False))
            values = np.where(positive, x * self.poscoef, np.expm1(negative * self.negiptcoef) * self.negcoef)
            return values.astype(x.dtype, copy=False)
        wide = x.astype(dtype, copy=False)  # (the same where's, through cpu_loops.select)
        negative = cpu_loops.select(positive, np.zeros_like(wide), wide)
        out[...] = cpu_loops.select(positive, wide * self.poscoef, np.expm1(negative * self.negiptcoef) * self.negcoef)

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    def _check_backward(self):
        """Raise the error PyTorch's backward raises for this call's arguments (celu's)."""

    @unary.grad_first("x")
    def backward(self, grad):
        self._check_backward()
        if self.inplace and not self.given[0] >= 0:  # (PyTorch checks alpha itself: a NaN fails)
            raise RuntimeError("In-place elu backward calculation is triggered with a negative slope which is not "
                               "supported. This is caused by calling in-place forward function with a negative "
                               "slope, please call out-of-place version instead.")
        x, g = self.x, grad.astype(compute_dtype(grad), copy=False)
        if self.inplace:  # PyTorch's from the result: its sign picks the side (a negative scale flips it)
            out = self.out.astype(g.dtype, copy=False)
            with np.errstate(invalid="ignore", over="ignore"):
                negative = g * self.negiptcoef * (out + self.negcoef)
            return (np.where(self._positive(out, grad), g * self.poscoef, negative).astype(grad.dtype, copy=False),)
        negative = g * self.negiptcoef * self.negcoef * np.exp(x * self.negiptcoef)
        return (np.where(self._positive(x, grad), g * self.poscoef, negative).astype(grad.dtype, copy=False),)

    @staticmethod
    def _positive(x, grad):
        """Where the gradient takes the positive side: x > 0, and a NaN that PyTorch's scalar code meets (its vector
        code takes the negative side, giving NaN)."""
        positive = x > 0
        nans = scalar_tail_nans(x, vectors=2, others=(grad,))
        return positive if nans is None else positive | nans

    def backward_graph(self, grad):
        # (elu_double_backward's gradients are laid out by the gradient reaching it, not by its mask)
        self._check_backward()
        return (laid_out_as_iterator_of_gradient(self._gradient_tensor, (self.graph_input(0, self.x), grad),
                                                 (grad._data, self.x)),)

    def _gradient_tensor(self, x, grad):
        positive = self.x > 0
        # the exponential of the negative side only: an inf on the other would make its gradient NaN. Its
        # gradient flows where x < 0 alone (PyTorch's elu_double_backward masks by self < 0): none at a zero.
        x = Where.apply(x, grad._wrap(np.where(positive, np.zeros((), self.x.dtype), self.x)), condition=self.x < 0)
        negative = grad * (self.negiptcoef * self.negcoef) * (x * self.negiptcoef).exp()
        return Where.apply(grad * self.poscoef, negative, condition=positive)

    def name(self):
        return f"{self.kind}Backward1" if self.inplace else f"{self.kind}Backward0"


class Celu(Elu):
    kind = "Celu"
    backward_is_one_op = "EluBackwardBackward0"  # (PyTorch's celu backward is elu_backward)

    def forward(self, x, alpha=1.0, inplace=False):
        out = super().forward(x, alpha=alpha, input_scale=1.0 / alpha, inplace=inplace)
        self.given = (alpha,)
        # PyTorch's celu derivative takes input_scale = 1.0 / alpha.toFloat(): 1 / alpha rounded through
        # float32, also for float64 tensors (a relative 4e-8 off), where the forward uses 1 / alpha.
        with np.errstate(over="ignore"):  # (an alpha beyond float32's range fails in the backward)
            self.negiptcoef = compute_dtype(x).type(1.0 / float(np.float32(alpha)))
        return out

    def _check_backward(self):
        _dtype.scalar_argument(self.given[0], np.dtype(np.float32))  # (alpha.toFloat(): its overflow's error)


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    if inplace:
        return _elu_(input, alpha, wrapped=2)
    check_tensor(input, "elu")
    alpha = number_argument(alpha, "elu", "alpha", 2, wrapped=True)
    _check_floating(input, "elu_cpu")
    alpha = real_scalar(alpha, input)
    opmath_scalar(alpha, input)
    return Elu.apply(input, alpha=alpha)


@native_binding
def elu_(input, alpha=1, scale=1, input_scale=1):  # (PyTorch's native defaults, ints: its node shows them)
    """In-place scale * x for x > 0, alpha * scale * (exp(input_scale * x) - 1) otherwise: PyTorch's native
    elu_, with its extra coefficients."""
    return _elu_(input, alpha, scale, input_scale)


def _elu_(input, alpha, scale=1, input_scale=1, wrapped=False):
    """elu_ (``wrapped``: called by F.elu, see number_argument)."""
    check_tensor(input, "elu_")
    alpha = number_argument(alpha, "elu_", "alpha", 2, wrapped=wrapped)
    scale = number_argument(scale, "elu_", "scale", 3)
    input_scale = number_argument(input_scale, "elu_", "input_scale", 4)
    _check_floating(input, "elu_cpu")
    alpha, scale, input_scale = (real_scalar(coefficient, input) for coefficient in (alpha, scale, input_scale))
    for coefficient in (alpha, scale, input_scale):
        opmath_scalar(coefficient, input)
    return _maybe_inplace(input, Elu, True, alpha=alpha, scale=scale, input_scale=input_scale, inplace=True)


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    r"""SELU(x) = scale * (max(0, x) + min(0, alpha * (exp(x) - 1))), elementwise, with
    alpha = 1.6732632423543772848170429916717 and scale = 1.0507009873554804934193349852946
    (Klambauer et al., *Self-Normalizing Neural Networks*, 2017).

    Shape: any; the output has the input's shape and floating dtype.
    """
    check_tensor(input, "selu_" if inplace else "selu")
    _check_floating(input, "elu_cpu")  # PyTorch computes selu with the elu kernel (node EluBackward0)
    return _maybe_inplace(input, Elu, inplace, alpha=SELU_ALPHA, scale=SELU_SCALE, inplace=inplace)


@native_binding
def selu_(input):
    """selu_(input) -> Tensor

    In-place version of :func:`selu`: scale * (max(0, x) + min(0, alpha * (exp(x) - 1))) written into ``input``.

    Examples::

        >>> x = torch.tensor([-1.0, 1.0])
        >>> F.selu_(x)
        tensor([-1.1113,  1.0507])
    """
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    r"""CELU(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), elementwise (Barron, 2017).

    Shape: any; the output has the input's shape and floating dtype. alpha must not be 0.
    """
    name = "celu_" if inplace else "celu"
    check_tensor(input, name)
    alpha = number_argument(alpha, name, "alpha", 2, wrapped=True)
    if inplace:
        input._check_inplace()  # autograd refuses the overwrite before the kernel looks at alpha
    alpha = real_scalar(alpha)
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    _check_floating(input, "elu_cpu")
    opmath_scalar(alpha, input)
    opmath_scalar(1.0 / alpha, input)  # the kernel's input_scale: alpha = 1e-39 overflows float32
    return _maybe_inplace(input, Celu, inplace, alpha=alpha, inplace=inplace)


@native_binding
def celu_(input, alpha=1.0):
    """celu_(input, alpha=1.) -> Tensor

    In-place version of :func:`celu`: max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) written into ``input``.

    Examples::

        >>> x = torch.tensor([-1.0, 1.0])
        >>> F.celu_(x, alpha=2.0)
        tensor([-0.7869,  1.0000])
    """
    return celu(input, alpha, inplace=True)


class Softplus(Node):
    elementwise = True
    backward_is_one_op = True
    saved = ("x", "linear")
    torch_saved = {"self": SavedInput(0, "x"), "beta": lambda node: node.beta, "threshold": lambda node: node.threshold}

    def forward(self, x, beta=1, threshold=20):
        self.x, self.beta, self.threshold = x, beta, threshold
        # float16 is computed in float32 and rounded once, as PyTorch's kernel does (in float16 itself
        # e^(beta x) overflows from x = 11 on, giving inf below the threshold)
        opmath = x.astype(np.float32) if x.dtype == np.float16 else x
        # (silently, as in PyTorch: beta = 0 divides log 2 by zero, an infinite beta makes inf / inf)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            self.linear = opmath * beta > threshold  # where log(1 + e^(beta x)) is x to the dtype's precision
            return np.where(self.linear, x, (np.log1p(np.exp(beta * opmath)) / beta).astype(x.dtype, copy=False))

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @unary.grad_first("x")
    def backward(self, grad):
        x, g = opmath_operands(self.x, grad)
        with np.errstate(over="ignore", invalid="ignore"):
            z = np.exp(self.beta * x)  # PyTorch's grad * z / (z + 1): NaN where z overflows below the threshold
            return (np.where(self.linear, grad, (g * z / (z + 1)).astype(grad.dtype, copy=False)),)

    def backward_graph(self, grad):
        # (softplus_double_backward's gradients are laid out by the gradient reaching it, not by its mask)
        return (laid_out_as_iterator_of_gradient(self._gradient_tensor, (self.graph_input(0, self.x), grad),
                                                 (grad._data, self.x)),)

    def _gradient_tensor(self, x, grad):
        # PyTorch's softplus_double_backward keeps the curvature only where beta x < threshold: at beta x ==
        # threshold, where forward and backward are still the smooth branch, the gradient's own derivative is 0
        with np.errstate(over="ignore", invalid="ignore"):
            at_threshold = self.x * self.beta == self.threshold
        if at_threshold.any():
            x = Where.apply(x.detach(), x, condition=at_threshold)
        return Where.apply(grad, grad * (x * self.beta).sigmoid(), condition=self.linear)


@native_binding
def softplus(input, beta=1, threshold=20):  # (PyTorch's native defaults, ints, which its node shows)
    """log(1 + exp(beta * x)) / beta, a smooth relu; x itself where beta * x > threshold."""
    check_tensor(input, "softplus")
    beta = number_argument(beta, "softplus", "beta", 2)
    threshold = number_argument(threshold, "softplus", "threshold", 3)
    _check_floating(input, "softplus_cpu")
    beta, threshold = real_scalar(beta, input), real_scalar(threshold, input)
    opmath_scalar(beta, input)  # (the kernel's, float16's in float32: an overflow fails, for no element too)
    opmath_scalar(threshold, input)
    return Softplus.apply(input, beta=beta, threshold=threshold)


# ---------------------------------------------------------------------------- sigmoid family
def sigmoid(input):
    """1 / (1 + exp(-x)); integer tensors give the default float dtype."""
    return input.sigmoid()


def tanh(input):
    """tanh(input) -> Tensor

    Applies the hyperbolic tangent element-wise: tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)).

    See :class:`~torchless.nn.Tanh` for the module form; integer inputs give the default float dtype.

    Examples::

        >>> F.tanh(torch.tensor([-1.0, 0.0, 1.0]))
        tensor([-0.7616,  0.0000,  0.7616])
    """
    return input.tanh()


def _sigmoid(x):
    if x.dtype.kind == "c":  # (the real trick below would drop the imaginary part)
        with np.errstate(all="ignore"):
            return 1 / (1 + np.exp(-x))
    e = np.exp(-np.abs(x))  # of a non-positive number only: no overflow
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _silu_into(x, s, out):
    """x * sigmoid(x) of a piece (see _sigmoid), sigmoid(x) into ``s``: one division of the chosen numerators."""
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)
    np.divide(cpu_loops.select(x >= 0, np.ones_like(e), e), e + 1, out=s)
    np.multiply(x, s, out=out)


class Silu(Node):
    elementwise = True
    saved = ("x", "s")
    torch_saved = {"self": SavedInput(0, "x")}

    @quiet  # inf * 0 at -inf: NaN, silently, as PyTorch's kernel
    def forward(self, x):
        if x.dtype == np.float16:  # PyTorch's kernel: x / (1 + e^-x) in float32 (SLEEF's e in its vectors), rounded
            opmath = x.astype(np.float32)
            with np.errstate(over="ignore"):
                one_plus = np.float32(1) + kernel_exp(-opmath, vectorised(x))
            self.x, self.s = x, np.float32(1) / one_plus
            return (opmath / one_plus).astype(np.float16)
        if x.size > cpu_loops.PIECE and x.dtype.kind == "f" and x.flags.c_contiguous:
            self.x, self.s, out = x, np.empty_like(x), np.empty_like(x)
            cpu_loops.in_pieces(_silu_into, (x, self.s, out))
            return out
        self.x, self.s = x, _sigmoid(x)
        return x * self.s

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @unary.grad_first("x")
    def backward(self, grad):
        s = self.s
        if s.dtype != grad.dtype:  # float16's sigmoid kept in float32: 1 + x (1 - s) one fused multiply-add
            x = self.x.astype(np.float32)
            with np.errstate(invalid="ignore", over="ignore"):
                return ((grad * s * fused_multiply_add32(x, np.float32(1) - s, np.ones_like(x))).astype(grad.dtype),)
        return (grad * s * (1 + self.x * (1 - s)),)

    def backward_graph(self, grad):
        # PyTorch's infinitely_differentiable_silu_backward, its numbers as C++ adds and subtracts them
        x = self.graph_input(0, self.x)
        s = x.sigmoid()
        return (grad * s * add_scalar(x * number_minus(1.0, s), 1.0),)


def silu(input, inplace=False):
    """x * sigmoid(x) (also called swish)."""
    check_tensor(input, "silu_" if inplace else "silu")  # (the in-place form is silu_ to PyTorch's parser)
    if input._data.dtype.kind == "c":  # computed, without a derivative, as in PyTorch
        refuse_complex_gradient("silu", input)
    else:
        _check_floating(input, "silu_cpu")
    return _maybe_inplace(input, Silu, inplace)


class LogSigmoid(Node):
    backward_is_one_op = True
    backward_inputs = (0,)  # (log_sigmoid_backward's buffer is outside the graph, unlisted)
    saved = ("x",)
    # PyTorch's CPU kernel also saves the buffer it computed forward with: exp(-|x|)
    torch_saved = {"self": SavedInput(0, "x"), "buffer": Saved(lambda node: np.exp(-np.abs(node.x)))}

    def forward(self, x):
        # PyTorch's log_sigmoid_forward reads input.contiguous() and writes a contiguous output, for any layout
        self.x = x = x if x.flags.c_contiguous else x.copy(order="C")
        # min(x, 0) - log(1 + e^-|x|): the exponential never overflows, and no 1 + tiny cancels. (float16 in
        # float32, rounded once: logsigmoid(30) is -0.0)
        opmath = opmath_operands(x)[0]
        out = (np.minimum(opmath, 0) - np.log1p(np.exp(-np.abs(opmath)))).astype(x.dtype, copy=False)
        return _c_strided(out)

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    def backward(self, grad):
        x = opmath_operands(self.x)[0]
        z = np.exp(-np.abs(x)).astype(self.x.dtype).astype(x.dtype)  # (the buffer the forward saved, in x's dtype)
        # 1 - sigmoid(x) in PyTorch's form (z / (1 + z) is sigmoid(-|x|)); a NaN gives NaN. The gradient is laid
        # out as PyTorch's empty_like(grad_output).
        out = _memory_format.empty_like(grad, grad.dtype, _memory_format.preserve_format, np.empty)
        return (np.multiply(grad, np.where(x < 0, 1 - z / (1 + z), z / (1 + z)), out=out),)

    def backward_graph(self, grad):
        return (grad * (-self.graph_input(0, self.x)).sigmoid(),)


@native_binding
def log_sigmoid(input):
    r"""LogSigmoid(x) = log(1 / (1 + exp(-x))), elementwise, computed without overflow.

    Shape: any; the output has the input's shape and floating dtype.
    """
    check_tensor(input, "log_sigmoid")
    _check_floating(input, "log_sigmoid_cpu")
    return LogSigmoid.apply(input)


logsigmoid = log_sigmoid  # PyTorch's name; its function is log_sigmoid (as its TypeErrors say)


class Mish(Node):
    elementwise = True
    saved = ("x",)
    torch_saved = {"self": SavedInput(0, "x")}

    def forward(self, x):
        self.x = x
        # e^x = inf for large x gives tanh(inf) = 1: mish(x) = x, as it should; mish(-inf) = -inf * 0 is NaN.
        with np.errstate(over="ignore", invalid="ignore"):
            if x.dtype == np.float16:  # in float32, rounded once, as PyTorch's kernel does
                opmath = x.astype(np.float32)
                return (opmath * np.tanh(np.log1p(np.exp(opmath)))).astype(np.float16)
            return x * np.tanh(np.log1p(np.exp(x)))

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @unary.grad_first("x")
    def backward(self, grad):
        x, g = opmath_operands(self.x, grad)
        s = 1 / (1 + np.exp(-x))
        t = np.tanh(np.log1p(np.exp(x)))
        # d/dx x tanh(softplus(x)) = tanh(softplus(x)) + x sigmoid(x) (1 - tanh^2); NaN at +-inf, as in PyTorch.
        return ((g * (t + x * s * (1 - t * t))).astype(grad.dtype, copy=False),)

    def backward_graph(self, grad):
        # PyTorch's infinitely_differentiable_mish_backward: softplus as exp().log1p(), C++'s 1.0 - t * t
        x = self.graph_input(0, self.x)
        s = x.sigmoid()
        t = x.exp().log1p().tanh()
        return (grad * (t + x * s * number_minus(1.0, t * t)),)


def mish(input, inplace=False):
    r"""Mish(x) = x * tanh(softplus(x)) = x * tanh(log(1 + exp(x))), elementwise (Misra, 2019).

    Shape: any; the output has the input's shape and floating dtype.
    """
    check_tensor(input, "mish_" if inplace else "mish")
    _check_floating(input, "mish_cpu")
    return _maybe_inplace(input, Mish, inplace)


class Glu(Node):
    backward_is_one_op = True
    saved = ("x", "a", "gate")  # x: PyTorch saves the input (changing it in place before backward is an error)
    torch_saved = {"self": SavedInput(0, "x"), "dim": lambda node: int64(node.dim)}

    @quiet  # e^-b = inf for b << 0: the gate is 0 (and an infinite a times it NaN), silently
    def forward(self, x, axis, dim=None):
        """``dim``: as the call gave it, for the node's saved values."""
        self.axis, self.x, self.dim = axis, x, axis if dim is None else dim
        a, b = np.split(x, 2, axis=axis)
        if x.dtype == np.float16:  # in float32, rounded once, as PyTorch's kernel does (a gate of 1e-39 is no 0)
            one = np.float32(1)
            gate = one / (one + kernel_exp(-b.astype(np.float32), vectorised(a, others=(b,))))  # (SLEEF's e^-b)
            self.a, self.gate = a, gate.astype(np.float16)  # (backward's sigmoid(b), a float16 tensor)
            out = (a.astype(np.float32) * gate).astype(np.float16)
        else:
            self.a, self.gate = a, 1 / (1 + np.exp(-b))
            out = a * self.gate
        return _memory_format.iterator_layout(out, (a, b))  # (PyTorch's glu is a TensorIterator over the halves)

    @c_ordered_gradients  # (glu_backward allocates its result C-contiguous)
    def backward(self, grad):
        s = self.gate
        if s.dtype == np.float16:  # (the second half's (1 - s) s a grad: one float32 kernel, rounded once)
            s32, a32, g32 = (v.astype(np.float32) for v in (s, self.a, grad))
            second = ((np.float32(1) - s32) * s32 * a32 * g32).astype(np.float16)
            return (np.concatenate([grad * s, second], axis=self.axis),)
        return (np.concatenate([grad * s, (1 - s) * s * self.a * grad], axis=self.axis),)

    def backward_graph(self, grad):
        from ..._ops.shape import Cat

        a, b = self.graph_input(0, self.x).chunk(2, self.axis)
        s = b.sigmoid()
        return (Cat.apply(grad * s, grad * a * s * (1 - s), dim=self.axis),)


def _axis(dim, ndim):
    """``normalize_dim``, refusing first, as PyTorch's parser does, a dim beyond int64 (looked at only once the
    dim is out of range, off the fast path)."""
    try:
        return normalize_dim(dim, ndim)
    except IndexError:
        unpack_int64(dim)
        raise


def glu(input, dim=-1):
    r"""GLU(a, b) = a * sigmoid(b), a and b the first and second halves of the input along ``dim``.

    Shape: input (*_1, N, *_2) with N even, output (*_1, N / 2, *_2).
    """
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    if not _is_index(dim):
        raise TypeError(f"glu(): argument 'dim' (position 2) must be int, not {_tp_name(dim)}")
    axis = _axis(dim, input.dim())
    size = input.shape[axis]
    if size % 2:  # (inside vmap PyTorch's rule names the dim of its batched tensor, the batch dims in front)
        from ..._ops._util import _batch_dims

        raise RuntimeError(f"Halving dimension must be even, but dimension {axis + _batch_dims(input)} is size "
                           f"{size}")
    _check_floating(input, "glu_cpu")
    return Glu.apply(input, axis=axis, dim=dim)


def softsign(input):
    r"""SoftSign(x) = x / (1 + |x|), elementwise; integer tensors give the default float dtype.

    Composed of tensor operations, as PyTorch does it (its node is DivBackward0).
    """
    return input / (input.abs() + 1)


def tanhshrink(input):
    r"""Tanhshrink(x) = x - tanh(x), elementwise; integer tensors give the default float dtype.

    Composed of tensor operations, as PyTorch does it (its node is SubBackward0).
    """
    return input - input.tanh()


def _kernel_erf_of_scaled(x, vector):
    """float32 erf(x / sqrt 2) as ATen's gelu kernels take it: its own vectorised erf where ``vector``, libm's
    (here the correctly rounded one, which glibc's erff misses by an ulp now and then) in its scalar code."""
    scaled = x * np.float32(1 / math.sqrt(2))
    if not vector.any():
        return _erf(scaled.astype(np.float64)).astype(np.float32)
    error_function = avx_mathfun.erf(scaled)
    scalar = ~vector
    if scalar.any():
        error_function[scalar] = _erf(scaled[scalar].astype(np.float64))
    return error_function


def _onednn_gelu(x):
    """Whether ATen hands this gelu (erf form) of float32 (or float16 on CPUs with AVX-512 FP16) and its backward to
    oneDNN (its use_mkldnn: a contiguous input of more than one element, torch.backends.mkldnn enabled), whose
    AVX-512 kernels are reproduced here (see onednn_gelu)."""
    from ...backends import mkldnn
    if x.dtype == np.float16 and not cpu_features.has("AVX512FP16"):  # (ATen's mkldnn_fp16_device_check)
        return False
    return x.size > 1 and x.flags.c_contiguous and mkldnn.enabled and vector_bytes() == 64


# gelu's forward kernel (GeluKernelImpl) sets its own grain size: above this many elements each thread takes an
# equal share of the loop, where other kernels split theirs from cpu_loops.GRAIN_SIZE on
_GELU_MIN_ELEMENTS_FOR_MULTI_THREADING = 16384


def _gelu_forward_vectorised(x):
    """Which elements of ``x`` ATen's gelu forward kernel computes in its vectors (see cpu_loops.scalar_tail): each
    thread's chunk has a scalar tail of its own, where libm's erf stands in for the vectorised one."""
    grain_size = cpu_loops.GRAIN_SIZE
    if x.size > _GELU_MIN_ELEMENTS_FOR_MULTI_THREADING:
        grain_size = x.size // parallel.get_num_threads()
    return vectorised(x, vectors=2, grain_size=grain_size)


def _gelu_backward_vectorised(x, grad):
    """Which elements ATen's gelu_backward kernel computes in its vectors: it splits its loop from the default grain
    size, over the gradient and the input (the gradient's layout leads the loop unless it is broadcast)."""
    grad = np.broadcast_to(grad, x.shape)
    if any(stride == 0 and size > 1 for stride, size in zip(grad.strides, grad.shape)):
        return vectorised(x, vectors=2, others=(grad,))
    return vectorised(grad, vectors=2, others=(x,))


class Gelu(Node):
    elementwise = True
    backward_is_one_op = True
    saved = ("x", "cdf", "inner")
    onednn = False  # whether oneDNN's kernels compute it (see _onednn_gelu)
    torch_saved = {"self": SavedInput(0, lambda node: node.x.astype(node.dtype, copy=False)),
                   "approximate": lambda node: node.approximate}

    def forward(self, x, approximate="none"):
        # float16 is computed in float32 and rounded once, as PyTorch's kernels do: in float16 itself
        # 1 + erf(x / sqrt 2) cancels to nothing for x below about -3 (gelu(-4) came out 40x too large).
        self.approximate, self.dtype = approximate, x.dtype
        if x.dtype == np.float16 and approximate == "none":
            return self._half_forward(x)
        if x.dtype == np.float32 and approximate == "none":
            return self._float_forward(x)
        x = self.x = x.astype(np.float32) if x.dtype == np.float16 else x
        with np.errstate(all="ignore"):  # an infinite x: inf or NaN, silently, as PyTorch's kernels
            if approximate == "tanh":
                k = math.sqrt(2 / math.pi)
                self.inner = np.tanh(k * (x + 0.044715 * x * x * x))
                return (0.5 * x * (1 + self.inner)).astype(self.dtype, copy=False)
            self.cdf = 0.5 * (1 + _erf(x * (1 / math.sqrt(2))))
            return x * self.cdf

    def _float_forward(self, x):
        """float32 x / 2 (1 + erf(x / sqrt 2)) as PyTorch computes it: oneDNN's kernel where ATen calls it, else
        ATen's own, whose vectors take its erf (Abramowitz and Stegun's) and whose scalar loop libm's (here the
        correctly rounded erf, which glibc's erff misses by an ulp now and then). Their tails differ: oneDNN's is -0
        at points from x = -5.49 on, ATen's from -5.54 (where its erf rounds to -1)."""
        self.x = x
        self.onednn = _onednn_gelu(x)
        if self.onednn:
            one_plus_erf = onednn_gelu.erf_of_scaled(x) + np.float32(1)
            with np.errstate(all="ignore"):
                out = x * one_plus_erf * np.float32(0.5)
        else:
            with np.errstate(all="ignore"):
                one_plus_erf = np.float32(1) + _kernel_erf_of_scaled(x, _gelu_forward_vectorised(x))
                out = x * np.float32(0.5) * one_plus_erf
        self.cdf = one_plus_erf * np.float32(0.5)
        return out

    def _half_forward(self, x):
        """x / 2 (1 + erf(x / sqrt 2)) of float16 as PyTorch's kernel computes it, in float32: ATen's vectorised
        erf in its vectors, libm's in its scalar loop (see cpu_loops.scalar_tail), rounded once; oneDNN's where
        ATen calls it, on CPUs with AVX-512 FP16."""
        self.onednn = _onednn_gelu(x)
        self.x = x  # (float16 as given: its layout decides the backward's vectors too, see _kernel_backward)
        wide = x.astype(np.float32)
        if self.onednn:  # (its backward takes oneDNN's derivative, not ATen's cdf)
            with np.errstate(all="ignore"):
                return (wide * (onednn_gelu.erf_of_scaled(wide) + np.float32(1)) * np.float32(0.5)).astype(np.float16)
        one_plus_erf = np.float32(1) + _kernel_erf_of_scaled(wide, _gelu_forward_vectorised(x))
        with np.errstate(all="ignore"):
            return (wide * np.float32(0.5) * one_plus_erf).astype(np.float16)

    def _kernel_backward(self, grad):
        """gelu_backward of float16 as PyTorch computes it: oneDNN's derivative where oneDNN ran the forward, else
        ATen's kernel's dy (cdf + x pdf), cdf = (1 + erf(x / sqrt 2)) / 2 and pdf = e^(-x^2 / 2) 2 / sqrt(pi) /
        sqrt(2) / 2 in float32 (ATen's erf and SLEEF's e in its vectors, libm's in its scalar code, chunked as its
        own loop: not always as the forward's), x pdf rounded before the sum in both (measured: no fused
        multiply-add). (float32's takes the plain formula below: emulated fused multiply-adds made its backward 50
        times slower, for last bits.)"""
        x = self.x.astype(np.float32)
        if self.onednn:
            derivative = onednn_gelu.gelu_erf_derivative(x)
        else:
            vector = _gelu_backward_vectorised(self.x, grad)
            beta = np.float32(2 / math.sqrt(math.pi)) * np.float32(1 / math.sqrt(2)) * np.float32(0.5)
            with np.errstate(all="ignore"):
                cdf = np.float32(0.5) * (np.float32(1) + _kernel_erf_of_scaled(x, vector))
                pdf = beta * kernel_exp(x * x * np.float32(-0.5), vector)
                derivative = cdf + x * pdf
        with np.errstate(all="ignore"):
            return (grad.astype(np.float32) * derivative).astype(self.dtype, copy=False)

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @unary.grad_first("x")
    def backward(self, grad):
        x = self.x
        if self.dtype == np.float16 and self.approximate == "none":
            return (self._kernel_backward(grad),)
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = self.inner
            dinner = k * (1 + 3 * 0.044715 * x * x)
            return ((grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner)).astype(self.dtype, copy=False),)
        pdf = np.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return ((grad * (self.cdf + x * pdf)).astype(self.dtype, copy=False),)

    def backward_graph(self, grad):
        x = self.graph_input(0, self.x)
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = (k * (x + 0.044715 * x * x * x)).tanh()
            return (grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (k * (1 + 3 * 0.044715 * x * x))),)
        cdf = 0.5 * (1 + (x * (1 / math.sqrt(2))).erf())
        return (grad * (cdf + x * (-0.5 * x * x).exp() * (1 / math.sqrt(2 * math.pi))),)


@native_binding
def gelu(input, *, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF; approximate='tanh' uses
    0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))). ``approximate`` is keyword-only, as in PyTorch's
    native gelu."""
    check_tensor(input, "gelu")
    if not isinstance(approximate, str):  # a keyword-only argument of the native gelu: no position shown
        raise TypeError(f"gelu(): argument 'approximate' must be str, not {_tp_name(approximate)}")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _check_floating(input, "GeluKernelImpl")
    return Gelu.apply(input, approximate=approximate)


# ---------------------------------------------------------------------------- softmax
class Softmax(Node):
    bfloat16_in_float32 = True  # (PyTorch computes it in float32 for bfloat16, see _opmath)
    backward_is_one_op = "SoftmaxBackwardDataBackward0"
    backward_inputs = (OUTPUT,)  # _softmax_backward_data reads the result
    saved = ("out",)
    torch_saved = {"dim": lambda node: int64(node.axis), "result": saved_result("out")}

    def forward(self, x, axis=-1):
        self.axis, x = axis, _contiguous(x)
        if not x.ndim:  # (a 0-d input's one element is its dim's)
            self.out = self.forward(x.reshape(1), axis).reshape(())
            return self.out
        # Silently, as in PyTorch: inf - inf in a row of infinities is NaN.
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if x.dtype == np.float16 and x.size:
                self.out = _half_softmax(x, axis % x.ndim)
                return self.out
            out = _rows_in_shards(_softmax_kernel, x, axis)
        self.out = out = _c_strided(out.astype(x.dtype, copy=False))
        return out

    def jvp(self, tangents, arrays, params, out):  # y (t - sum(y t))
        y, t = opmath_operands(self.out, tangents[0])
        axis = self.axis if t.ndim else None
        return ((t - (y * t).sum(axis=axis, keepdims=True)) * y).astype(out.dtype, copy=False)

    @c_ordered_gradients  # (_softmax_backward_data allocates its result C-contiguous)
    def backward(self, grad):
        y, g = opmath_operands(self.out.reshape(grad.shape), grad)
        axis = self.axis % g.ndim if g.ndim else None
        if grad.dtype == np.float16 and axis == g.ndim - 1:  # (the products are exact in float32)
            total = reduce_all_half(g * y)[..., None]
        else:  # (along another dim the float16 kernel's sums run down it, as NumPy's)
            total = np.add.reduce(g * y, axis=axis, keepdims=True)
        # (g - sum(g y)) y, PyTorch's kernel's form (g y - y sum(g y) cancels otherwise where g is near the sum)
        return (((g - total) * y).astype(grad.dtype, copy=False),)

    def backward_graph(self, grad):
        y = self.graph_output(self.out)
        g = grad * y
        return (_with_kernel_values(self, g - y * g.sum(dim=self.axis, keepdim=True), grad),)


def _softmax_kernel(x, axis):
    """softmax of the float32 or float64 ``x`` along ``axis`` (a new array)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # (a helper thread has its own state)
        out = x - np.maximum.reduce(x, axis=axis, keepdims=True, initial=-np.inf)  # (np.max: a wrapper of it)
        np.exp(out, out=out)
        out /= np.add.reduce(out, axis=axis, keepdims=True)  # (ndarray.sum: a Python wrapper of it)
    return out


def _log_softmax_kernel(x, axis):
    """log_softmax of the float32 or float64 ``x`` along ``axis`` (a new array)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        out = x - np.maximum.reduce(x, axis=axis, keepdims=True, initial=-np.inf)
        out -= np.log(np.add.reduce(np.exp(out), axis=axis, keepdims=True))
    return out


# The (log-)softmax kernels make five passes over their data (maximum, difference, exp, sum, quotient): split over
# the cores from about 400k elements (measured on an otherwise idle host, float32 along dim 1, ms, whole -> split:
# 1000x784 1.44 -> 1.10, 10000x784 16.0 -> 9.9, log_softmax 18.7 -> 12.2; 64x32x28x28 2.7 -> 2.0).
SOFTMAX_FLOP_PER_ELEMENT = 5 * parallel.ELEMENTWISE_PASS_FLOP


def _rows_in_shards(kernel, x, axis):
    """``kernel(x, axis)`` for the C-contiguous ``x``, on slices of its first dim on all cores when large and
    ``axis`` is another dim: every slice's result depends on that slice alone, and NumPy reduces each slice along
    ``axis`` exactly as it does the whole array, so the bits are those of one call."""
    rows = x.shape[0]
    count = parallel.shard_count(rows, SOFTMAX_FLOP_PER_ELEMENT * x.size) if axis % x.ndim else 1
    if count == 1:
        return kernel(x, axis)
    out = np.empty(x.shape, x.dtype)
    parallel.run_shards(parallel.into, [(out[part], kernel, x[part], axis) for part in parallel.split(rows, count)])
    return out


class SafeSoftmax(Softmax):
    """PyTorch's _safe_softmax, which scaled_dot_product_attention's math kernel takes: softmax, but 0 on the rows
    where every input is -inf (nothing to attend to), not NaN; its gradient, softmax's, is 0 there."""

    def forward(self, x, axis=-1):
        out = super().forward(x, axis)
        with np.errstate(invalid="ignore"):
            dead = (x == -np.inf).all(axis=axis, keepdims=True)
        if dead.any():
            out[np.broadcast_to(dead, out.shape)] = 0
        return out

    def name(self):
        return "SafeSoftmaxBackward0"


class LogSoftmax(Node):
    bfloat16_in_float32 = "kernel"  # (bfloat16 as float16: in float32, its sum and log rounded to bfloat16)
    backward_is_one_op = "LogSoftmaxBackwardDataBackward0"
    backward_inputs = (OUTPUT,)
    saved = ("out",)
    torch_saved = Softmax.torch_saved

    def forward(self, x, axis=-1):
        self.axis, x = axis, _contiguous(x)
        if not x.ndim:  # (a 0-d input's one element is its dim's)
            self.out = self.forward(x.reshape(1), axis).reshape(())
            return self.out
        # Silently, as in PyTorch: inf - inf in a row of infinities is NaN, and the log of the sum over an
        # empty dim is log(0) (its result is empty anyway).
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if x.dtype.itemsize == 2 and x.size:  # (float16 or bfloat16)
                self.out = _half_log_softmax(x, axis % x.ndim)
                return self.out
            out = _rows_in_shards(_log_softmax_kernel, x, axis)
        self.out = out = _c_strided(out.astype(x.dtype, copy=False))
        return out

    def jvp(self, tangents, arrays, params, out):  # t - sum(softmax t)
        out_opmath, t = opmath_operands(self.out, tangents[0])
        axis = self.axis if t.ndim else None
        return (t - (np.exp(out_opmath) * t).sum(axis=axis, keepdims=True)).astype(out.dtype, copy=False)

    @c_ordered_gradients  # (as _log_softmax_backward_data)
    def backward(self, grad):
        if grad.dtype.itemsize == 2 and grad.ndim:  # (float16 or bfloat16)
            return (_half_log_softmax_backward(grad, self.out.reshape(grad.shape), self.axis % grad.ndim),)
        out, g = opmath_operands(self.out.reshape(grad.shape), grad)
        total = np.add.reduce(g, axis=self.axis if g.ndim else None, keepdims=True)
        return ((g - np.exp(out) * total).astype(grad.dtype, copy=False),)

    def backward_graph(self, grad):
        gradient = grad - self.graph_output(self.out).exp() * grad.sum(dim=self.axis, keepdim=True)
        return (_with_kernel_values(self, gradient, grad),)


_HALF_VECTOR = 2 * VECTOR_LANES  # float16 elements per vector of ATen's kernels (Vectorized<Half>: two of floats)


def _half_vectorised(shape, axis):
    """Where ATen's float16 softmax kernels along a dim other than the last run vectors, over the positions after
    ``axis`` in an array of ``shape``: in each chunk of those positions (as many as fill 128 KiB, in blocks of 32)
    all but the last ``size % 32``, which run one by one."""
    dim, inner = shape[axis], math.prod(shape[axis + 1:])
    chunk = max(1, min(max(128 * 1024 // max(dim, 1) // 2, _HALF_VECTOR) // _HALF_VECTOR * _HALF_VECTOR, inner))
    position = np.arange(inner)
    size = np.minimum(chunk, inner - position // chunk * chunk)
    return (position % chunk < size - size % _HALF_VECTOR).reshape(shape[axis + 1:])


def _running_sum(a, axis):
    """The float32 sum of ``a`` down ``axis``, added in order (ATen's vertical sums, one position per lane)."""
    total = np.zeros(a.shape[:axis] + (1,) + a.shape[axis + 1:], np.float32)
    for k in range(a.shape[axis]):
        total += a[(slice(None),) * axis + (slice(k, k + 1),)]
    return total


def _log32(x):
    """float32 log (SLEEF's is within an ulp; this one is correctly rounded)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x.astype(np.float64)).astype(np.float32)


def _half_softmax_vectorised(shape, axis):
    """Where ATen's float16 softmax along a dim other than the last runs vectors: blocks of 32 positions after
    ``axis`` (of one index before it), each thread's range of those positions (split evenly over
    ``get_num_threads()``, as ``parallel_for``) run from its start, the blocks that do not fit one by one."""
    inner = math.prod(shape[axis + 1:])
    positions = math.prod(shape[:axis]) * inner
    vectorised = np.zeros(positions, bool)
    share = -(-positions // parallel.get_num_threads())
    for begin in range(0, positions, share):
        end, index = min(begin + share, positions), begin
        while index + _HALF_VECTOR <= end:
            row_end = min((index // inner + 1) * inner, end)
            blocks = (row_end - index) // _HALF_VECTOR
            vectorised[index:index + blocks * _HALF_VECTOR] = True
            index = row_end
    return vectorised.reshape(shape[:axis] + (1,) + shape[axis + 1:])


def _half_softmax(x, axis):
    """softmax of float16 ``x`` along ``axis`` as ATen's kernels compute it, in float32: along the last dim the
    exponentials (SLEEF's for the whole vectors of 16, libm's for the rest) over their sum (the vectors' lanes
    folded, then the rest added), multiplied by its reciprocal; along another dim over their running sum down the
    dim, where the kernel's scalar loop stores each exponential as float16 first (see _half_softmax_vectorised)."""
    x32 = x.astype(np.float32)
    shifted = x32 - np.max(x32, axis=axis, keepdims=True)
    if axis == x.ndim - 1:
        size = x.shape[-1]
        exp = kernel_exp(shifted, np.arange(size) < size - size % VECTOR_LANES)
        return (exp * (np.float32(1) / lanes_then_rest_sum(exp))[..., None]).astype(np.float16)
    vectorised = _half_softmax_vectorised(x.shape, axis)
    exp = kernel_exp(shifted, vectorised)
    total = _running_sum(exp, axis)
    return (np.where(vectorised, exp, exp.astype(np.float16).astype(np.float32)) / total).astype(np.float16)


def _half_log_softmax(x, axis):
    """log_softmax of float16 (or bfloat16) ``x`` along ``axis`` as ATen's kernels compute it, in float32 and
    rounded once: along the last dim the sum of the exponentials is a float16 (``reduce_all``'s), and so is its
    log; along another dim both stay float32, the sum running down the dim."""
    x32 = x.astype(np.float32)
    shifted = x32 - np.max(x32, axis=axis, keepdims=True)
    if axis == x.ndim - 1:
        total = reduce_all_half(avx_mathfun.exp(shifted))[..., None].astype(x.dtype)
        log_total = _log32(total.astype(np.float32)).astype(x.dtype).astype(np.float32)
    else:
        log_total = _log32(_running_sum(kernel_exp(shifted, _half_vectorised(x.shape, axis)), axis))
    return (shifted - log_total).astype(x.dtype)


def _half_log_softmax_backward(grad, out, axis):
    """_log_softmax_backward_data of float16 ``grad`` and ``out`` as ATen's kernel computes it: in float32,
    g - exp(out) * sum(g) with one fused multiply-add per element, rounded once to float16. The sum is the
    vectorised ``reduce_all`` along the last dim, a running sum down any other; the exponential is SLEEF's where
    the kernel runs vectors (see _half_vectorised), libm's in the rest."""
    g, out = grad.astype(np.float32), out.astype(np.float32)
    if axis == g.ndim - 1:
        total = reduce_all_half(grad)[..., None]
        exp = avx_mathfun.exp(out)
    else:
        total, exp = _running_sum(g, axis), kernel_exp(out, _half_vectorised(g.shape, axis))
    with np.errstate(invalid="ignore", over="ignore"):
        return fused_multiply_add32(-exp, total, g).astype(grad.dtype)


def _with_kernel_values(node, gradient, grad):
    """``gradient``, computed by a chain of ops of the graph, holding the values of ``node``'s backward kernel
    instead (float16 and bfloat16 only: the kernel computes in float32 and rounds once, where each op of the chain
    rounds its own). Its derivative stays the chain's, PyTorch's double backward formula, computed in float16 (or
    bfloat16) as PyTorch's."""
    if grad._data.dtype.itemsize == 2 and grad._data.dtype.kind in "fV":
        gradient._data = node.backward(grad._data)[0].reshape(gradient.shape)
    return gradient


def _softmax_dim(name, ndim, stacklevel, frames=1):
    """PyTorch's implied dim, with its warning at ``stacklevel`` of the F function ``frames`` up from here (an
    int: warnings.warn's TypeError for anything else, as in PyTorch)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as "
                  "an argument.", stacklevel=operator.index(stacklevel) + frames)
    return 0 if ndim in (0, 1, 3) else 1


def _wrong_softmax_argument(name, argument, position, value, expected, method):
    """Tensor.softmax's parser TypeError, for the argument at ``position`` of the method (``dtype`` its second).
    The F functions (``method`` False) are Python in PyTorch, calling input.softmax(dim, dtype=dtype): dim by
    position, dtype by keyword; the method and the torch namespace's function show them as the call has them."""
    if not method:
        where = " (position 1)" if argument == "dim" else ""
        return TypeError(f"{name}(): argument '{argument}'{where} must be {expected}, not {_tp_name(value)}")
    from ..._parser_errors import wrong_type
    from ..._written_call import user_call

    written = user_call(name)
    return wrong_type(name, argument, position + (written is not None and written.function_form), value, expected)


def tensor_softmax(input, dim, dtype, name):
    """Tensor.softmax and Tensor.log_softmax (and the torch namespace's): their dim has no default."""
    if dim is None:
        raise _wrong_softmax_argument(name, "dim", 1, dim, "int", method=True)
    return _softmax(LogSoftmax if name == "log_softmax" else Softmax, input, dim, dtype, name, None, method=True)


def _softmax(function, input, dim, dtype, name, stacklevel, method=False):
    if dim is None:
        dim = _softmax_dim(name, input.dim(), stacklevel)
    if not isinstance(input, Tensor):
        getattr(input, name)  # PyTorch ends in input.softmax(dim): a non-tensor's AttributeError names the method
    if not isinstance(dim, int) or isinstance(dim, bool):
        if not _is_index(dim):
            raise _wrong_softmax_argument(name, "dim", 1, dim, "int", method)
        dim = operator.index(dim)  # a NumPy integer, an integral 0-d tensor: the parser's int
    if dtype is not None and not _dtype.is_argument(dtype):  # (Python's float, int, bool and complex are dtypes)
        raise _wrong_softmax_argument(name, "dtype", 2, dtype, "torchless.dtype", method)
    axis = _axis(dim, input.dim())
    if dtype is not None:
        input = input.to(dtype)
    if not input.is_floating_point():
        if input.numel() == 0:  # PyTorch returns before dispatching on the dtype
            return input.clone()
        kernel = f"{name}_lastdim_kernel_impl" if axis == max(input.dim() - 1, 0) else f"{name}_kernel_impl"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
    return function.apply(input, axis=dim)  # as given (NumPy takes it too): PyTorch's node shows it (_saved_dim)


def _contiguous(x):
    """What PyTorch's softmax kernels read of ``x``, a contiguous copy (no node of the graph), and write a contiguous
    output from, for any input layout: along the last dim they add vectorised partial sums, along another one
    term after another, as NumPy does on a C-contiguous array (on a transposed one NumPy would add the last dim's
    terms one by one)."""
    return x if x.flags.c_contiguous else np.ascontiguousarray(x)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (computed after subtracting the maximum, so it never overflows).

    dtype, if given, is the dtype the input is cast to first (and the output's).
    """
    return _softmax(Softmax, input, dim, dtype, "softmax", _stacklevel)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x_i - log(sum_j exp(x_j)) along ``dim``, computed stably (shifted by the maximum)."""
    return _softmax(LogSoftmax, input, dim, dtype, "log_softmax", _stacklevel)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    r"""Softmin(x)_i = exp(-x_i) / sum_j exp(-x_j) along ``dim``: softmax of -x, the slices summing to 1.

    dtype, if given, is the dtype -x is cast to first (and the output's).
    """
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel, frames=0)  # called from here, not from _softmax
    return softmax(-input, dim, dtype=dtype)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    r"""softmax((logits + g) / tau) along ``dim``, g i.i.d. Gumbel(0, 1) noise = -log(Exponential(1)) drawn
    from the default generator as PyTorch's exponential_ draws them (after the same ``manual_seed``, the same
    samples).

    hard=True returns the one-hot vector of each slice's maximum, with the soft sample's gradient
    (y_hard - y_soft.detach() + y_soft, the straight-through estimator). ``eps`` is deprecated and unused.
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    check_tensor(logits, "empty_like")  # PyTorch's first use of logits
    if not logits.is_floating_point():
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {logits.dtype.scalar_name}")
    gumbels = -Tensor._wrap(stream().exponential(logits.shape, logits._data.dtype)).log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    if logits.dim() == 0:  # one element: it is the maximum
        y_hard = _creation.ones_like(logits)
    else:
        index = y_soft.max(dim, keepdim=True)[1]
        y_hard = _creation.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
