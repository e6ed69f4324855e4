"""Elementwise arithmetic with broadcasting, and matrix multiplication."""
import cmath
import math

import numpy as np

from .. import _dtype, _memory_format
from .._kernels.cpu_loops import scalar_tail
from .._kernels.blas import matmul as _blas_matmul
from .._kernels.fma import fused_multiply_add, fused_multiply_add32, fused_multiply_add64
from .._memory_format import view_strides
from ..autograd import forward_ad
from ..autograd._basic_ops import NotImplementedDerivative
from ..autograd.graph import OUTPUT, ContiguousResult, FoldedNode, Node
from ..autograd.saved_values import (Saved, SavedInput, constant, first_listed, needed_for, saved_result, scalar, sizes,
                                     strides)
from ._util import (broadcast_error, keeping_input_on_tie, laid_out_gradients, laid_out_product, unbroadcast,
                    unbroadcast_tensor)


def plus_scaled(a, b, alpha, subtract=False):
    """``a + alpha * b`` (``a - alpha * b``) as PyTorch's CPU add kernel computes it: for floating dtypes one fused
    multiply-add, rounded once; float16 with alpha first rounded to float16, then in float32 rounded to float16 by
    the vector loop, but in float16 arithmetic by the scalar code (``alpha * b`` rounded, then the sum: see
    cpu_loops.scalar_tail); as written otherwise."""
    dtype = a.dtype
    if dtype == np.float32:
        return fused_multiply_add32(b, np.float32(-alpha if subtract else alpha), a)
    if dtype == np.float64:
        return fused_multiply_add64(b, -alpha if subtract else alpha, a)
    if dtype == np.float16:
        half_alpha = np.float16(-alpha if subtract else alpha)
        out = fused_multiply_add32(b, np.float32(half_alpha), a).astype(np.float16)
        # (the kernel walks the operands in the layout of ``a`` where it has the result's shape, as the in-place
        # add_ writes it; NumPy may have laid ``out`` out otherwise)
        tail = scalar_tail(a if a.shape == out.shape else out, others=(a, b))
        return out if tail is None else np.where(tail, a + half_alpha * np.asarray(b, np.float16), out)
    if a.dtype.kind == "c" or b.dtype.kind == "c":
        # a + (alpha + 0j) b, a complex product even for alpha = 1 (sub: -alpha + 0j): an infinite part of b makes the
        # other part NaN (inf * 0) as in PyTorch, where 100j + (inf - 1j) is inf + nanj
        # (a real alpha, which reaches here as complex too, negated as a real number: its imaginary part stays +0)
        factor = complex(-alpha.real, -alpha.imag if alpha.imag else 0.0) if subtract else complex(alpha)
        dtype = np.result_type(a, b)
        with np.errstate(invalid="ignore"):
            return (a + b * dtype.type(factor)).astype(dtype, copy=False)
    return a - alpha * b if subtract else a + alpha * b


def _sum_or_difference(a, b, alpha, subtract):
    """``a + alpha * b`` (``a - alpha * b``): for alpha = 1 NumPy's sum, unless complex (see plus_scaled)."""
    if alpha == 1 and a.dtype.kind not in "cu" and b.dtype.kind != "c":
        return a - b if subtract else a + b
    _dtype.refuse_wide_unsigned("add_stub", a.dtype)  # (a and b share their dtype: the op's common one)
    if alpha == 1 and a.dtype.kind != "c" and b.dtype.kind != "c":
        return a - b if subtract else a + b
    return plus_scaled(a, b, alpha, subtract)


class Add(Node):
    elementwise = True
    torch_saved = {"alpha": lambda node: node.alpha}

    def forward(self, a, b, alpha=1):
        self.shapes = a.shape, b.shape
        self.alpha = alpha
        return _sum_or_difference(a, b, alpha, False)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        sa, sb = self.shapes
        gb = grad if self.alpha == 1 else grad * self.alpha
        return (unbroadcast(grad, sa) if self.needs_input_grad[0] else None,
                unbroadcast(gb, sb) if self.needs_input_grad[1] else None)

    def backward_graph(self, grad):
        sa, sb = self.shapes
        gb = grad if self.alpha == 1 else grad * self.alpha
        return (unbroadcast_tensor(grad, sa) if self.needs_input_grad[0] else None,
                unbroadcast_tensor(gb, sb) if self.needs_input_grad[1] else None)


class AddScalar(Add):
    """A number added as PyTorch's C++ formulas do it (add.Scalar), which names the node AddBackward1."""

    listed_inputs = (0,)  # the number is no input of PyTorch's node

    def name(self):
        return "AddBackward1"


class Sub(Node):
    elementwise = True
    torch_saved = Add.torch_saved

    def forward(self, a, b, alpha=1, scalar_minuend=False):
        self.shapes = a.shape, b.shape
        self.alpha, self.scalar_minuend = alpha, scalar_minuend
        if scalar_minuend:  # PyTorch's rsub(tensor, number): the number is no input of its node
            self.listed_inputs = (1,)
        return _sum_or_difference(a, b, alpha, True)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        sa, sb = self.shapes
        return (unbroadcast(grad, sa) if self.needs_input_grad[0] else None,
                unbroadcast(-grad if self.alpha == 1 else grad * -self.alpha, sb) if self.needs_input_grad[1] else None)

    def backward_graph(self, grad):
        sa, sb = self.shapes
        return (unbroadcast_tensor(grad, sa) if self.needs_input_grad[0] else None,
                unbroadcast_tensor(-grad if self.alpha == 1 else grad * -self.alpha, sb)
                if self.needs_input_grad[1] else None)

    def name(self):
        return "RsubBackward1" if self.scalar_minuend else "SubBackward0"


class SubScalar(Sub):
    """A number subtracted as PyTorch's C++ formulas do it (sub.Scalar), which names the node SubBackward1."""

    listed_inputs = (0,)  # the number is no input of PyTorch's node

    def name(self):
        return "SubBackward1"


class Rsub(Node):
    """PyTorch's rsub(input, other, alpha), ``other - alpha * input``: input is the node's first input
    (next_functions); ``scalar_other``: its Scalar overload (RsubBackward1), whose number is no input of the node."""
    elementwise = True
    torch_saved = Add.torch_saved
    scalar_other = False

    def forward(self, a, b, alpha=1, scalar_other=False):
        self.shapes = a.shape, b.shape
        self.alpha = alpha
        if scalar_other:
            self.scalar_other, self.listed_inputs = True, (0,)
        return _sum_or_difference(b, a, alpha, True)

    def _input_grad(self, grad):
        return -grad if self.alpha == 1 else grad * -self.alpha

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        sa, sb = self.shapes
        return (unbroadcast(self._input_grad(grad), sa) if self.needs_input_grad[0] else None,
                unbroadcast(grad, sb) if self.needs_input_grad[1] else None)

    def backward_graph(self, grad):
        sa, sb = self.shapes
        return (unbroadcast_tensor(self._input_grad(grad), sa) if self.needs_input_grad[0] else None,
                unbroadcast_tensor(grad, sb) if self.needs_input_grad[1] else None)

    def name(self):
        return "RsubBackward1" if self.scalar_other else "RsubBackward0"


def _conjugated(tensor):
    """conj() of a complex tensor of the graph (ConjBackward0); a real one as it is."""
    return tensor.conj() if tensor._data.dtype.kind == "c" else tensor


class Mul(Node):
    tangent_node_name = "AddBackward0"  # (see forward_ad.recorded_on_values)
    elementwise = True
    saved = ("a", "b")
    saved_only_for = {0: (1,), 1: (0,)}  # each factor is saved for the other's gradient
    torch_saved = {"self": SavedInput(0, "a", needed_for=(1,)), "other": SavedInput(1, "b", needed_for=(0,))}

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    jvp = forward_ad.multilinear_jvp  # (linear in each input)

    def backward(self, grad):
        a, b = self.a, self.b
        return (unbroadcast(laid_out_product(grad * b, grad, b), a.shape) if self.needs_input_grad[0] else None,
                unbroadcast(laid_out_product(grad * a, grad, a), b.shape) if self.needs_input_grad[1] else None)

    complex_aware_graph = True  # (backward_graph conjugates a complex factor, as PyTorch's grad * other.conj())

    def backward_graph(self, grad):
        a, b = self.a, self.b
        # in PyTorch's order: its MulBackward0 computes other's gradient first, and the engine then sums each to
        # its input's shape (the order in which nodes are made sets the engine's, see autograd._engine._execution_order)
        gb = grad * _conjugated(self.graph_input(0, a)) if self.needs_input_grad[1] else None
        ga = grad * _conjugated(self.graph_input(1, b)) if self.needs_input_grad[0] else None
        return (None if ga is None else unbroadcast_tensor(ga, a.shape),
                None if gb is None else unbroadcast_tensor(gb, b.shape))


class MulScalar(Mul):
    """Mul by a number as PyTorch's C++ composite ops do it (mul.Scalar), which names the node MulBackward1."""

    listed_inputs = (0,)  # the number is no input of PyTorch's node

    backward = Mul.backward  # (its own: the engine takes the backward_graph defined beside the backward)
    complex_aware_graph = False  # (a complex number's conjugate taken by the engine around backward_graph)

    def backward_graph(self, grad):  # (PyTorch's formula multiplies by the number as mul.Scalar too: MulBackward1)
        return (mul_scalar(grad, self.b.item()) if self.needs_input_grad[0] else None), None

    def name(self):
        return "MulBackward1"


class Div(Node):
    tangent_node_name = "DivBackward0"  # (see forward_ad.recorded_on_values)
    elementwise = True
    saved = ("a", "b")
    saved_only_for = {0: (1,)}  # the numerator is needed for the divisor's gradient only
    torch_saved = {"DivBackward0": {"self": SavedInput(0, "a", needed_for=(1,)), "other": SavedInput(1, "b")},
                   # PyTorch's scalar / b is reciprocal(b) * scalar: the reciprocal is needed for no gradient
                   "MulBackward0": {"self": Saved(lambda node: None), "other": SavedInput(0, "a")},
                   "DivBackward1": {"other": scalar("b")},
                   "DivBackward2": {"self": SavedInput(0, "a", needed_for=(1,)), "other": SavedInput(1, "b"),
                                    "rounding_mode": constant(None)}}
    mode_given = False

    def forward(self, a, b, scalar_numerator=False, scalar_divisor=False, private_divisor=False, mode_given=False):
        # scalar_divisor: PyTorch's div.Scalar overload, which its C++ (not Python's `/`) calls with a number;
        # mode_given: its div.Tensor_mode overload, called with rounding_mode=None (a true division all the same)
        if private_divisor:  # (see Tensor.__rtruediv__)
            b = b.copy()
        if mode_given:
            self.mode_given = True
        self.a, self.b, self.scalar_numerator, self.scalar_divisor = a, b, scalar_numerator, scalar_divisor
        if scalar_divisor:  # PyTorch's div.Scalar: the number is no input of its node
            self.listed_inputs = (0,)
        if scalar_numerator:  # PyTorch's reciprocal(b) * a saves only the reciprocal, which no one can change
            self._checked_inputs = (0,)  # (and the number, which no one can either: kept for its saved value)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # inf and nan, silently as in PyTorch
            if scalar_numerator:
                # PyTorch computes a number over a tensor as reciprocal(b) * a, in the result's dtype: a / b
                # differs in the last bit for about a third of float32 values (a second pass, as PyTorch's)
                dtype = np.result_type(a, b)
                quotient = np.divide(1, b, dtype=dtype)
                quotient *= np.asarray(a, dtype)
                return quotient
            return a / b

    # PyTorch's formulas, whose roundings these are: grad / other, and -grad * ((self / other) / other) (about half
    # the float32 divisor gradients of -(grad / other) * self / other differ in the last bit)
    def jvp(self, tangents, arrays, params, out):  # PyTorch's formulas' roundings, as backward's
        ta, tb = tangents
        a, b = self.a, self.b
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            da = None if ta is None else ta / b
            db = None if tb is None else -tb * ((a / b) / b)
        return db if da is None else da if db is None else da + db

    def backward(self, grad):
        a, b = self.a, self.b
        need_a, need_b = self.needs_input_grad
        if self.scalar_numerator:
            # PyTorch's reciprocal(b) * number: MulBackward0 (grad * number), then ReciprocalBackward0
            # (-grad * (r * r)), whose roundings (and its NaN where r * r underflows beside an infinite grad * number)
            # differ from the quotient's formula below
            reciprocal = 1 / b
            return None, (laid_out_product(-(grad * a) * (reciprocal * reciprocal), grad, b) if need_b else None)
        ga = unbroadcast(laid_out_product(grad / b, grad, b), a.shape) if need_a else None
        gb = unbroadcast(_quotient_divisor_gradient(grad, a, b), b.shape) if need_b else None
        return ga, gb

    def backward_graph(self, grad):
        if self.scalar_numerator:
            return _reciprocal_times_number_graph(self, grad)
        a, b = self.a, self.b
        b_t = self.graph_input(1, b)
        # (other's first, as PyTorch's DivBackward0 computes them)
        gb = -grad * ((self.graph_input(0, a) / b_t) / b_t) if self.needs_input_grad[1] else None
        ga = grad / b_t if self.needs_input_grad[0] else None
        return (None if ga is None else unbroadcast_tensor(ga, a.shape),
                None if gb is None else unbroadcast_tensor(gb, b.shape))

    def name(self):
        if self.scalar_numerator:
            return "MulBackward0"  # PyTorch: scalar * reciprocal(b)
        if self.mode_given:
            return "DivBackward2"
        return "DivBackward1" if self.scalar_divisor else "DivBackward0"

    def pytorch_inputs(self):
        """A scalar over a tensor lists PyTorch's reciprocal(b) * scalar: reciprocal's node, then the scalar's
        (none)."""
        if not self.scalar_numerator:
            return None
        ((_, _), (edge, _)) = self.listed_edges()
        reciprocal = None if edge is None else FoldedNode("ReciprocalBackward0", ((edge, 0),), self,
                                                           saved={"result": _SAVED_RECIPROCAL})
        return ((reciprocal, 0), (None, 0))


# What the reciprocal of a scalar-over-tensor division saved: its result, a tensor of its (folded) node.
_SAVED_RECIPROCAL = Saved(lambda node: np.reciprocal(node.b), grad_fn=lambda node, shown: shown)


def _half_with_opmath_scalar(node, backward_graph):
    """``node`` for a float16 tensor with a Python scalar given as a 0-d float32 array: PyTorch's float16 kernels
    convert the scalar to float32 (their "opmath" type, so x * 70000.0 is 0 for x = 0, not 0 * inf), compute in
    float32 and round the result once. The gradients (grad * the scalar) are rounded to float16 the same way;
    ``backward_graph`` computes them under create_graph."""

    class HalfWithOpmathScalar(node):
        # what ``node`` saves (read off its forward's parameters, which this one's hide)
        saves = node._checked_inputs + ((OUTPUT,) if node._saves_output else ())

        def forward(self, *arrays, **params):
            with np.errstate(over="ignore"):  # (beyond float16's range: inf, silently as in PyTorch)
                return super().forward(*arrays, **params).astype(np.float16)

        def backward(self, grad):
            with np.errstate(over="ignore"):
                return tuple(g if g is None else g.astype(np.float16, copy=False) for g in super().backward(grad))

    HalfWithOpmathScalar.backward_graph = backward_graph  # (next to the backward it differentiates)
    HalfWithOpmathScalar.__name__ = HalfWithOpmathScalar.__qualname__ = node.__name__  # PyTorch's node name
    return HalfWithOpmathScalar


class Remainder(Node):
    """``a % b`` (``kernel`` PyTorch's remainder), or fmod (np.fmod, ``truncated``): the gradient passes to ``a``
    unchanged, and ``b`` gets ``-floor(a / b)`` (fmod: ``-trunc(a / b)``) times it. PyTorch names the node after its
    overload: RemainderBackward0 (FmodBackward0) for a Python-scalar divisor."""
    elementwise = True

    saved = ("a", "b")
    saved_only_for = {0: (1,), 1: (1,)}  # saved for the divisor's gradient only
    _both = {"self": SavedInput(0, "a", needed_for=(1,)), "other": SavedInput(1, "b", needed_for=(1,))}
    torch_saved = {"RemainderBackward1": _both, "FmodBackward1": _both}

    def forward(self, a, b, kernel=None, scalar_divisor=False, truncated=False):
        self.a, self.b, self.scalar_divisor, self.truncated = a, b, scalar_divisor, truncated
        if scalar_divisor:
            self.listed_inputs = (0,)
        return kernel(a, b)

    def backward(self, grad):
        a, b = self.a, self.b
        quotient = np.trunc(a / b) if self.truncated else np.floor_divide(a, b)
        return (unbroadcast(grad, a.shape) if self.needs_input_grad[0] else None,
                unbroadcast(-grad * quotient, b.shape) if self.needs_input_grad[1] else None)

    def backward_graph(self, grad):
        # PyTorch's -grad * self.div(other, rounding_mode): the rounded quotient is of the graph (DivBackward2,
        # whose gradient is zero), so the divisor's gradient requires grad where the inputs do
        a, b = self.a, self.b
        gb = None
        if self.needs_input_grad[1]:
            quotient = self.graph_input(0, a).div(self.graph_input(1, b),
                                                  rounding_mode="trunc" if self.truncated else "floor")
            gb = unbroadcast_tensor(-grad * quotient, b.shape)
        return (unbroadcast_tensor(grad, a.shape) if self.needs_input_grad[0] else None), gb

    def name(self):
        return f"{'Fmod' if self.truncated else 'Remainder'}Backward{0 if self.scalar_divisor else 1}"


def _lerp(a, b, w):
    """PyTorch's lerp kernel: ``a + w * (b - a)`` where |w| < 0.5, else ``b - (b - a) * (1 - w)``, each one fused
    multiply-add (a number ``w`` taken in the tensors' dtype)."""
    if np.ndim(w) == 0 and not isinstance(w, np.ndarray) and a.dtype.kind == "f":
        w = a.dtype.type(w)
    diff = b - a
    if np.ndim(w) == 0:
        return fused_multiply_add(w, diff, a) if abs(w) < 0.5 else fused_multiply_add(-diff, 1 - w, b)
    return np.where(np.abs(w) < 0.5, fused_multiply_add(w, diff, a), fused_multiply_add(-diff, 1 - w, b))


class Lerp(Node):
    """``a + w * (b - a)`` with a scalar ``weight`` (LerpBackward0) or a tensor ``w`` (LerpBackward1), computed
    as PyTorch does: from ``b`` backwards where |w| >= 0.5, which is exact at w = 1."""
    elementwise = True

    saved = ("a", "b", "w")
    saved_only_for = {0: (2,), 1: (2,), 2: (0, 1)}  # a number weight (LerpBackward0) saves nothing
    torch_saved = {"LerpBackward0": {"weight": lambda node: node.w},
                   "LerpBackward1": {"self": SavedInput(0, "a", needed_for=(2,)),
                                     "end": SavedInput(1, "b", needed_for=(2,)), "weight": SavedInput(2, "w")}}

    def forward(self, a, b, w, weight=None):
        self.a, self.b, self.tensor_weight = a, b, w is not None
        if w is None:
            self.listed_inputs = (0, 1)
        self.w = w = weight if w is None else w
        if a.dtype == b.dtype == np.float16:  # in float32, rounded once, as PyTorch's kernel (weight too)
            return _lerp(a.astype(np.float32), b.astype(np.float32), np.asarray(w).astype(np.float32)).astype(
                np.float16)
        return _lerp(a, b, w).astype(np.result_type(a, b), copy=False)

    def backward(self, grad):
        a, b, w = self.a, self.b, self.w
        shapes = a.shape, b.shape, np.shape(w)
        grads = grad * (1 - w), grad * w, grad * (b - a)
        return tuple(unbroadcast(g, s) if need else None for g, s, need in zip(grads, shapes, self.needs_input_grad))

    def backward_graph(self, grad):
        a, b, w = self.a, self.b, self.w
        shapes = a.shape, b.shape, np.shape(w)
        weight = self.graph_input(2, w) if self.tensor_weight else w
        needs = self.needs_input_grad
        # (C++'s 1 - weight: a tensor filled with 1, minus the weight, SubBackward0)
        kept = number_minus(1, weight) if self.tensor_weight else 1 - weight
        grads = (grad * kept if needs[0] else None, grad * weight if needs[1] else None,
                 grad * (self.graph_input(1, b) - self.graph_input(0, a)) if len(needs) > 2 and needs[2] else None)
        return tuple(None if g is None else unbroadcast_tensor(g, s) for g, s in zip(grads, shapes))

    def name(self):
        return "LerpBackward1" if self.tensor_weight else "LerpBackward0"


class ZeroGradient(Node):
    """A step function of one or two tensors (floor, round, sign, division with rounding): PyTorch records a
    node (``name``) whose gradient is zero everywhere."""
    elementwise = True

    def forward(self, *arrays, kernel=None, name=None):
        self.shapes, self.node_name = [x.shape for x in arrays], name
        if name == "AngleBackward0":
            self.input = arrays[0]
        return kernel(*arrays)

    def backward(self, grad):
        # PyTorch's zeros_like(grad), in grad's layout (a channels-last grad gives channels-last zeros). A real sgn's
        # is an efficient zero tensor, which a sum leaves out (see _memory_format.efficient_zero)
        if self.node_name == "SgnBackward0":
            return tuple(_memory_format.efficient_zero(shape, grad.dtype) if need else None
                         for shape, need in zip(self.shapes, self.needs_input_grad))
        if self.node_name == "AngleBackward0":  # (a real input's angle_backward: zeros_like(self), its layout)
            return (_memory_format.empty_like(self.input, grad.dtype, _memory_format.preserve_format),)
        like_grad = grad.ndim > 1
        return tuple((_memory_format.empty_like(grad, grad.dtype, _memory_format.preserve_format)
                      if like_grad and shape == grad.shape else np.zeros(shape, grad.dtype)) if need else None
                     for shape, need in zip(self.shapes, self.needs_input_grad))

    def backward_graph(self, grad):
        return tuple(grad._wrap(array) if array is not None else None for array in self.backward(grad._data))

    def name(self):
        return self.node_name


def _quotient_divisor_gradient(grad, a, b):
    """The divisor's gradient of a / b, -grad * ((a / b) / b), laid out as PyTorch's four TensorIterator ops lay it
    out one after another (a / b, then over b, -grad, their product): a flat layout over (grad, a, b) differs where
    their orders disagree (a divisor with channels-last strides at its size-1 dims beside a C-order grad)."""
    gradient = -grad * ((a / b) / b)
    if laid_out_product(gradient, grad, a, b) is gradient:  # (C-contiguous operands: NumPy's layout is the chain's)
        return gradient

    def layout(array):
        return array.shape, _memory_format.element_strides(array)

    quotient_shape = np.broadcast_shapes(a.shape, b.shape)
    quotient = quotient_shape, _memory_format.layout_strides(quotient_shape, [layout(a), layout(b)])
    quotient = quotient_shape, _memory_format.layout_strides(quotient_shape, [quotient, layout(b)])
    negated = grad.shape, _memory_format.layout_strides(grad.shape, [layout(grad)])
    return _memory_format.with_strides(gradient, _memory_format.layout_strides(gradient.shape, [negated, quotient]))


class DivRounded(ZeroGradient):
    """div with a rounding_mode (DivBackward2), whose node saves the divisor, the dividend for the divisor's
    gradient only (zero as they are), and the mode."""

    saved, saves = ("a", "b"), (0, 1)
    saved_only_for = {0: (1,)}
    torch_saved = {"self": SavedInput(0, "a", needed_for=(1,)), "other": SavedInput(1, "b"),
                   "rounding_mode": lambda node: node.rounding_mode}

    def forward(self, a, b, kernel=None, name="DivBackward2", rounding_mode=None):
        self.a, self.b, self.rounding_mode = a, b, rounding_mode
        return super().forward(a, b, kernel=kernel, name=name)


class NotDifferentiable(NotImplementedDerivative):
    """An elementwise op PyTorch records without a derivative (``//``, a Python scalar ``%`` a tensor): the result
    requires grad, and backward through it raises PyTorch's error for ``aten::<op>``."""
    elementwise = True


def float_pow(a, b):
    """``a ** b`` (arrays, NumPy scalars or numbers), float32 and half results within PyTorch's SLEEF bound of 1 ulp.

    NumPy's float32 pow is not correctly rounded on every CPU (on AVX-512 without the Sapphire Rapids set, a
    fifth of its results were 1-2 ulp off): computed in double and rounded once, the result is.
    """
    result_type = np.result_type(a, b)
    if result_type in (np.float32, np.float16):
        return np.power(a, b, dtype=np.float64).astype(result_type)
    return a ** b  # (Python's own pow for two Python numbers)


def pow_by_number(base, exponent):
    """PyTorch's ``tensor ** number`` for a float32 or float64 ``base`` (an array or NumPy scalar; for a Python
    number, Python's pow): its kernel multiplies for the exponents 2, 3 and -2, rounding after each product."""
    if not isinstance(base, (np.ndarray, np.generic)):
        return base ** exponent
    if base.dtype not in (np.float32, np.float64):
        return float_pow(base, exponent)
    if exponent == 2:
        return base * base
    if exponent == 3:
        return base * base * base
    if exponent == -2:
        return np.reciprocal(base * base)
    return float_pow(base, np.asarray(exponent, base.dtype))


def _pow_gradient_layout(node, grad, gradient, position):
    """The layout of PyTorch's pow gradients: grad's first (grad * ...), but the base's by a tensor exponent,
    pow_backward_self's where(exponent == 0, 0, grad * ...), which the exponent's order leads."""
    if gradient.shape != grad.shape:
        return gradient
    if position == 0 and not node.number and not node.scalar_base:
        return _memory_format.iterator_layout(gradient, [node.b, grad, node.a])
    return _memory_format.iterator_layout(gradient, [grad, node.a])


_pow_gradient_layout.by_position = True


class Pow(Node):
    """``a ** b`` for tensors a and b (either may be a constant wrapped as a tensor)."""
    elementwise = True
    complex_aware_graph = True  # (backward_graph conjugates the derivative as PyTorch's formula)

    saved = ("a", "b", "out")
    saved_only_for = {OUTPUT: (1,)}  # PowBackward0 (a number exponent) saves only the base
    torch_saved = {"PowBackward0": {"self": SavedInput(0, "a"), "exponent": scalar("b")},
                   "PowBackward1": {"self": SavedInput(0, "a"), "exponent": SavedInput(1, "b"),
                                    "result": saved_result("out")},
                   "PowBackward2": {"self": scalar("a"), "exponent": SavedInput(1, "b"),
                                    "result": saved_result("out")}}

    def forward(self, a, b, scalar_base=False, number=None):
        """``number``: whether the other operand (the exponent, or with ``scalar_base`` the base) was a number,
        given to PyTorch's Scalar overload (PowBackward0 or 2, one edge) rather than as a tensor (PowBackward1);
        None: known from whether it requires grad."""
        self.a, self.b, self.scalar_base, self.number = a, b, scalar_base, number
        if number or scalar_base:
            self.listed_inputs = (1,) if scalar_base else (0,)
        elif number is False:  # PowBackward1 saves the result whatever needs a gradient (a change of it is an error)
            self.saved_only_for = {}
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            self.out = self._power(a, b)
        return self.out

    def laid_out(self, out, arrays):
        if self.scalar_base:  # PyTorch's pow(Scalar, Tensor) allocates its result C-contiguous
            return _memory_format.c_ordered(out)
        # pow(Tensor, Scalar) is a pointwise op of the base alone
        return super().laid_out(out, arrays[:1] if self.number else arrays)

    def _power(self, a, b):
        """a ** b. PyTorch's float and double kernels for a number exponent take the square root for 0.5 (as NumPy
        does for a 0-d exponent) and its reciprocal for -0.5: -inf at -0.0, NaN at -inf (where pow gives inf and
        0); a tensor exponent always goes through pow (+0.0 and inf for 0.5, which NumPy's shortcut would not)."""
        if b.ndim == 0 and a.dtype.kind == "f" and (b == 0.5 or b == -0.5):
            if self.number and not self.scalar_base and a.dtype in (np.float32, np.float64):
                with np.errstate(divide="ignore", invalid="ignore"):
                    return np.sqrt(a) if b == 0.5 else np.reciprocal(np.sqrt(a))
            # pow itself (NumPy's shortcut takes any exponent array of one value, even a broadcast one)
            return float_pow(a.reshape(-1), np.full(a.size, b, b.dtype)).reshape(a.shape)
        if self.number and not self.scalar_base and b.ndim == 0:
            return pow_by_number(a, b)
        return float_pow(a, b)

    def jvp(self, tangents, arrays, params, out):
        """ta * b * a ** (b - 1) (0 where b is 0) + tb * out * log(a), PyTorch's pow_backward formulas."""
        ta, tb = tangents
        a, b = self.a, self.b
        total = None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if ta is not None:
                total = np.where(b == 0, np.zeros((), ta.dtype), ta * (b * self._power(a, b - 1)))
            if tb is not None:
                term = tb * (self.out * np.log(a))
                total = term if total is None else total + term
        return total

    @laid_out_gradients(_pow_gradient_layout)
    def backward(self, grad):
        a, b = self.a, self.b
        ga = gb = None
        if self.needs_input_grad[0]:
            # b * a**(b-1), written so that b == 0 gives 0 rather than 0 * inf.
            with np.errstate(divide="ignore", invalid="ignore"):
                ga = unbroadcast(grad * np.where(b == 0, 0, b * self._power(a, b - 1)), a.shape)
        if self.needs_input_grad[1]:
            # 0 where a == 0 <= b; elsewhere out * log(a), inf * -inf = -inf for a == 0 > b as in PyTorch
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = unbroadcast(grad * np.where((a == 0) & (b >= 0), 0, self.out * np.log(a)), b.shape)
        return ga, gb

    def backward_graph(self, grad):
        # PyTorch's formulas (pow_backward, pow_backward_self, pow_backward_exponent), node for node: a number
        # operand stays a number (grad * (exponent * self.pow(exponent - 1)).conj(): PowBackward0 under
        # MulBackward1), and a tensor operand's masks are where() nodes whether or not they mask anything
        a, b = self.a, self.b
        if self.number:
            exponent = _number(b)
            if exponent == 0:  # x ** 0: PyTorch's constant zeros
                return (grad._wrap(np.zeros(a.shape, grad._data.dtype)), None)
            return grad * _conj(self.graph_input(0, a).pow(exponent - 1)._binary(exponent, MulScalar)), None
        a_t, b_t = self.graph_input(0, a), self.graph_input(1, b)
        result = self.graph_output(self.out)
        if self.scalar_base:
            base = _number(a)
            power_log = _conj(result._binary(_log(base), MulScalar))
            return None, grad * (_zero_where(b >= 0, power_log, always=True) if base == 0 else power_log)
        ga = gb = None
        if self.needs_input_grad[0]:
            power = a_t ** b_t._binary(1, SubScalar)
            ga = unbroadcast_tensor(_zero_where(b == 0, grad * _conj(b_t * power), always=True), a.shape)
        if self.needs_input_grad[1]:
            power_log = _conj(result * a_t.log())
            gb = unbroadcast_tensor(grad * _zero_where((a == 0) & (b >= 0), power_log, always=True), b.shape)
        return ga, gb

    def name(self):
        if self.scalar_base:
            return "PowBackward2"
        if self.number is not None:
            return "PowBackward0" if self.number else "PowBackward1"
        return "PowBackward1" if self.needs_input_grad[1] else "PowBackward0"


class BFloat16SmallPow(Node):
    """``a ** 3`` and ``a ** -2`` of a bfloat16 tensor ``a`` as PyTorch's kernel computes them: by multiplying, the
    square rounded to bfloat16 first (measured), each product in float32 rounded once; its gradient PyTorch's
    formula ``grad * (exponent * a.pow(exponent - 1))``, each of its ops rounded to bfloat16."""
    elementwise = True
    bfloat16_in_float32 = False  # (it rounds as PyTorch's kernel itself)
    saved = ("a",)
    torch_saved = {"PowBackward0": {"self": SavedInput(0, "a"), "exponent": scalar("b")}}

    def forward(self, a, exponent):
        self.a, self.b = a, np.asarray(exponent)
        x = a.astype(np.float32)
        with np.errstate(over="ignore", divide="ignore"):  # (inf as PyTorch's kernel gives, silently)
            square = (x * x).astype(a.dtype).astype(np.float32)
            return (square * x if exponent == 3 else np.float32(1) / square).astype(a.dtype)

    def backward(self, grad):
        exponent, x = int(self.b), self.a.astype(np.float32)
        with np.errstate(divide="ignore", over="ignore"):
            power = x * x if exponent == 3 else np.power(x, np.float32(-3))
        power = power.astype(self.a.dtype).astype(np.float32)
        factor = (np.float32(exponent) * power).astype(self.a.dtype).astype(np.float32)
        return ((grad.astype(np.float32) * factor).astype(self.a.dtype),)

    def backward_graph(self, grad):
        exponent = int(self.b)
        return (grad * (exponent * self.graph_input(0, self.a).pow(exponent - 1)),)

    def name(self):
        return "PowBackward0"


def _number(array):
    """A wrapped number operand as the Python number PyTorch's Scalar holds: a complex one without imaginary part
    (a real number wrapped in a complex tensor's dtype) real."""
    number = array.item()
    return number.real if isinstance(number, complex) and not number.imag else number


def _log(number):
    """Scalar::log(): the natural logarithm of a number, -inf at 0 and NaN below for a real one."""
    if isinstance(number, complex):
        return cmath.log(number)
    return math.log(number) if number > 0 else -math.inf if number == 0 else math.nan


def _conj(tensor):
    """Tensor.conj() in PyTorch's formulas: the conjugate of a complex tensor, a real one itself (no node)."""
    return tensor.conj() if tensor._data.dtype.kind == "c" else tensor


def _zero_where(mask, tensor, always=False):
    """``tensor`` with 0 where the constant ``mask`` holds (the exact zeros of a backward formula), as a tensor of
    the graph; ``tensor`` itself when the mask is empty, unless ``always`` (PyTorch's formula has the where())."""
    return _constant_where(mask, 0, tensor, always)


def _constant_where(mask, value, tensor, always=False):
    from .shape import Where

    if not always and not np.any(mask):
        return tensor
    fill = tensor._wrap(np.asarray(value, tensor._data.dtype))
    return Where.apply(fill, tensor, condition=mask)


class Extremum(Node):
    """Elementwise maximum/minimum; ties share the gradient half and half, as in PyTorch, whose formula zeroes each
    side's gradient only where the other side wins: beside a NaN, both get all of it."""
    elementwise = True

    saved, saves = ("weights",), (0, 1)  # PyTorch saves both tensors
    torch_saved = {"self": SavedInput(0), "other": SavedInput(1)}  # (kept as the inputs, not their values)

    def forward(self, a, b, largest=True, recorded=True):
        """``recorded``: False when no graph, tangent or transform can read the node, which then needs no
        gradient weights (their five passes cost three times the maximum itself: 1024 floats 20 -> 5 us)."""
        self.shapes, self.largest = (a.shape, b.shape), largest
        equal = a == b
        if not recorded:
            out = np.maximum(a, b) if largest else np.minimum(a, b)
            return _zero_ties_as_the_kernel(out, a, b, equal) if out.dtype.kind == "f" else out
        a_loses, b_loses = (a < b, a > b) if largest else (a > b, a < b)
        tie = 0.5 * equal
        # laid out as PyTorch's where(self == other, grad / 2, grad), whose condition, first, orders the dims
        self.weights = tuple(_memory_format.iterator_layout((1 - loses - tie).astype(a.dtype, copy=False), (a, b))
                             for loses in (a_loses, b_loses))
        out = np.maximum(a, b) if largest else np.minimum(a, b)
        return _zero_ties_as_the_kernel(out, a, b, equal) if out.dtype.kind == "f" else out

    def backward(self, grad):
        return tuple(unbroadcast(_memory_format.iterator_layout(grad * weight, (weight, grad)), shape)
                     if needed else None
                     for weight, shape, needed in zip(self.weights, self.shapes, self.needs_input_grad))

    def backward_graph(self, grad):
        return tuple(unbroadcast_tensor(grad._wrap(weight) * grad, shape) if needed else None
                     for weight, shape, needed in zip(self.weights, self.shapes, self.needs_input_grad))

    def name(self):
        return "MaximumBackward0" if self.largest else "MinimumBackward0"


def _zero_ties_as_the_kernel(out, a, b, equal):
    """``out``, the maximum or minimum of ``a`` and ``b``, with ties of 0.0 and -0.0 resolved as PyTorch's kernel
    does: its vector loop's max/min instruction gives the second operand, its scalar code (std::max) the first (see
    cpu_loops.scalar_tail); NumPy's loops give the second (float32, float64) or the first (float16) throughout."""
    zero_ties = equal & (a == 0)
    if not zero_ties.any():
        return out
    tail = scalar_tail(out, others=(a, b))
    return np.where(zero_ties, b if tail is None else np.where(tail, a, b), out).astype(out.dtype, copy=False)


class ClampTensor(Node):
    """clamp with tensor bounds ``low`` and ``high`` (either None), one node as PyTorch's: ClampBackward0 of the
    input and both (a bound left out is an input None), or clamp_min / clamp_max's ClampMinBackward1 /
    ClampMaxBackward1 of the input and its one bound. The gradient goes (PyTorch's clamp_backward and
    clamp_backward_min_max) to the input where it lies within its bounds, to ``low`` where the input is below it
    and it is below ``high``, to ``high`` where the input is above it or it is below ``low``: to none of them where
    the input is below equal bounds."""
    elementwise = True

    saved = ("a", "low", "high")
    saves = (0, 1, 2)
    torch_saved = {"ClampBackward0": {"self": SavedInput(0, "a"), "min": SavedInput(1, "low"),
                                      "max": SavedInput(2, "high")},
                   "ClampMinBackward1": {"self": SavedInput(0, "a"), "min": SavedInput(1, "low")},
                   "ClampMaxBackward1": {"self": SavedInput(0, "a"), "max": SavedInput(1, "high")}}

    def forward(self, a, *bounds, node="ClampBackward0"):
        self.node = node
        low, high = (bounds[0], None) if node == "ClampMinBackward1" else \
            (None, bounds[0]) if node == "ClampMaxBackward1" else bounds
        self.a, self.low, self.high = a, low, high
        # a tie (-0.0 against a bound 0.0) keeps the input, as PyTorch's kernel
        out = a if low is None else keeping_input_on_tie(np.maximum, low, a)
        return out if high is None else keeping_input_on_tie(np.minimum, high, out)

    def _masks(self):
        """(input, where it gets the gradient) for each input in order (an input None needs none)."""
        a, low, high = self.a, self.low, self.high
        if high is None:
            masks = (a, a >= low), (low, a < low), (None, None)
        elif low is None:
            masks = (a, a <= high), (None, None), (high, a > high)
        else:
            masks = (a, (a >= low) & (a <= high)), (low, (a < low) & (low < high)), (high, (a > high) | (high < low))
        return masks if self.node == "ClampBackward0" else masks[:1] + masks[2 if low is None else 1:][:1]

    def backward(self, grad):
        # (PyTorch's where(mask, grad, 0): a TensorIterator output laid out as the mask and the gradient are)
        return tuple(unbroadcast(_memory_format.iterator_layout(np.where(mask, grad, 0).astype(grad.dtype, copy=False),
                                                                (mask, grad)), array.shape) if need else None
                     for (array, mask), need in zip(self._masks(), self.needs_input_grad))

    def backward_graph(self, grad):
        from .unary import masked_gradient

        return tuple(unbroadcast_tensor(masked_gradient(mask, grad), array.shape) if need else None
                     for (array, mask), need in zip(self._masks(), self.needs_input_grad))

    def name(self):
        return self.node


def _negative(a):
    """-a as PyTorch's kernel computes it: for complex numbers its vectors take 0 - a, so a zero part comes out +0,
    and its scalar loop -a, -0 (see cpu_loops.scalar_tail)."""
    if a.dtype.kind != "c":
        return -a
    tail = scalar_tail(a, vectors=2)
    if tail is None:
        return np.subtract(a.dtype.type(0), a)
    out = -a
    if not tail.all():
        vectorised = ~tail
        out[vectorised] = a.dtype.type(0) - a[vectorised]
    return out


class Neg(Node):
    elementwise = True
    complex_aware = True  # (-grad is its conjugate convention's already: no conjugations around it, as PyTorch)

    def forward(self, a):
        return _negative(a)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        return (_negative(grad),)

    def backward_graph(self, grad):
        return (-grad,)


def _product(a, b):
    """np.matmul(a, b), through torchless's BLAS thread policy when both are matrices or stacks. float16 products
    accumulate in float32 and round once, as PyTorch's CPU gemm (NumPy's round every partial sum)."""
    if a.dtype == b.dtype == np.float16:
        return _product(a.astype(np.float32), b.astype(np.float32)).astype(np.float16)
    return _blas_matmul(a, b) if a.ndim >= 2 and b.ndim >= 2 else np.matmul(a, b)


def _promote_vectors(a, b):
    """NumPy matmul's 1-D conventions, made explicit so backward can undo them."""
    return (a[None, :] if a.ndim == 1 else a), (b[:, None] if b.ndim == 1 else b)


class MatMul(ContiguousResult):
    tangent_node_name = "AddBackward0"  # (see forward_ad.recorded_on_values)
    autocast = "lower"  # (its list in PyTorch's CPU autocast)
    # PyTorch's products allocate their result C-contiguous (a batch of 2 or more dims is reshaped, copied if need
    # be, into one for bmm); NumPy's batch of products follows the operands' batch layout
    saved = ("a", "b")
    saved_only_for = {0: (1,), 1: (0,)}  # each factor is saved for the other's gradient
    torch_saved = {
        "MmBackward0": {"self": SavedInput(0, "a", needed_for=(1,)),
                        "self_sym_sizes": lambda node: sizes(node.a),
                        "self_sym_strides": needed_for((0,), lambda node: strides(node.a)),
                        "mat2": SavedInput(1, "b", needed_for=(0,)),
                        "mat2_sym_sizes": lambda node: sizes(node.b),
                        "mat2_sym_strides": needed_for((1,), lambda node: strides(node.b))},
        "DotBackward0": {"self": SavedInput(0, "a", needed_for=(1,)), "tensor": SavedInput(1, "b", needed_for=(0,))},
        "MvBackward0": {"self": SavedInput(0, "a", needed_for=(1,)), "vec": SavedInput(1, "b", needed_for=(0,))},
        "BmmBackward0": {"self": SavedInput(0, "a", needed_for=(1,)), "mat2": SavedInput(1, "b", needed_for=(0,))},
        # a vector times a matrix: the (1, p) product of its unsqueezed row, squeezed back
        "SqueezeBackward4": {"dim": lambda node: 0, "self_sym_sizes": lambda node: (1, node.b.shape[1])},
        "UnsafeViewBackward0": {"self_sym_sizes": lambda node: node.folded_product_shape()},
        "CloneBackward0": {},  # (a matrix times a batch, see _transposed_fold)
    }

    def folded_product_shape(self):
        """The shape of the product PyTorch computes for a product with a batch, before viewing it as the result:
        the rows of a batch times a matrix (or vector) folded into one dim (a vector times a batch: b.mT's rows),
        else bmm's (batch, n, p), a vector a as one row, a vector b's column squeezed."""
        a, b = self.a.shape, self.b.shape
        if _folds(self):
            return (math.prod(a[:-1]),) + b[1:]
        if len(a) == 1 and _folds_transposed(self):
            return (math.prod(b[:-2]) * b[-1],)
        batch = math.prod(np.broadcast_shapes(a[:-2], b[:-2]))
        return (batch, a[-2] if len(a) >= 2 else 1) + b[-1:] * (len(b) >= 2)

    def forward(self, a, b, batched=False):
        """``batched``: torch.bmm's product of two stacks of matrices, its own node in PyTorch."""
        self.a, self.b = a, b
        self.ndims = a.ndim, b.ndim
        self.batched = batched
        return _product(a, b)

    jvp = forward_ad.multilinear_jvp  # (linear in each input)

    def backward(self, grad):
        a, b = self.a, self.b
        if a.ndim == 2 and b.ndim == 2:  # (torch.bmm's are 3-D)
            return _mm_gradients(grad, a, b, *self.needs_input_grad)
        if b.ndim == 2 and grad.dtype != np.float16 and _folds(self):  # one mm of a's rows, as PyTorch's
            rows = math.prod(a.shape[:-1])
            ga, gb = _mm_gradients(grad.reshape(rows, b.shape[1]), a.reshape(rows, a.shape[-1]), b,
                                   *self.needs_input_grad)
            return (None if ga is None else ga.reshape(a.shape)), gb
        a2, b2 = _promote_vectors(a, b)
        g2 = grad
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        ga = gb = None
        half = g2.dtype == a2.dtype == b2.dtype == np.float16
        if half:  # (PyTorch folds a batch times a matrix into one float16 mm: its sums over the batch in float32 too)
            g2, a2, b2 = g2.astype(np.float32), a2.astype(np.float32), b2.astype(np.float32)
        if self.needs_input_grad[0]:
            ga = unbroadcast(_product(g2, np.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            gb = unbroadcast(_product(np.swapaxes(a2, -1, -2), g2), b2.shape).reshape(b.shape)
        if half:
            ga, gb = (None if g is None else g.astype(np.float16) for g in (ga, gb))
        return ga, gb

    def backward_graph(self, grad):
        """The gradients as PyTorch's matmul records them: through the dot, mv or mm (of a's rows, for a batch times
        a matrix or vector that it folds) it computes, with those nodes' derivative formulas; a product of
        batches through broadcast matrix products."""
        a, b = self.a, self.b
        if _folds_transposed(self):
            return self._transposed_fold_backward_graph(grad)
        if self.batched or (a.ndim > 2 or b.ndim > 2) and not _folds(self):
            return self._broadcast_backward_graph(grad)
        need_a, need_b = self.needs_input_grad
        a_tensor = self.graph_input(0, a) if need_b else None
        b_tensor = self.graph_input(1, b) if need_a else None
        if a.ndim == 1 and b.ndim == 1:  # dot: grad * tensor, grad * self
            return (grad * b_tensor if need_a else None), (grad * a_tensor if need_b else None)
        if a.ndim == 1:  # a.unsqueeze(0).mm(b).squeeze_(0)
            row = None if a_tensor is None else a_tensor.unsqueeze(0)
            ga, gb = _mm_gradients_graph(grad.unsqueeze(0), row, b_tensor, _folded_strides(self), b, need_a, need_b)
            return (ga.squeeze(0) if need_a else None), gb
        rows = math.prod(a.shape[:-1])
        a_rows = a_tensor if a.ndim == 2 or a_tensor is None else a_tensor.reshape(rows, a.shape[-1])
        g = grad if a.ndim == 2 else grad.reshape((rows,) + b.shape[1:])  # (UnsafeView's backward)
        if b.ndim == 1:  # mv: grad.ger(vec), self.t().mv(grad)
            ga = g.reshape(rows, 1) * b_tensor if need_a else None
            gb = a_rows.t().mv(g) if need_b else None
        else:
            ga, gb = _mm_gradients_graph(g, a_rows, b_tensor, _folded_strides(self), b, need_a, need_b)
        return (ga if ga is None or a.ndim == 2 else ga.reshape(a.shape)), gb

    def _transposed_fold_backward_graph(self, grad):
        """The gradients of a vector or matrix a times a batch b as PyTorch records them: b.mT's rows folded
        times a (a.t() for a matrix), by mm (the product viewed, transposed back and made contiguous) or mv."""
        a, b = self.a, self.b
        need_a, need_b = self.needs_input_grad
        folded_rows = _transposed_rows_sizes(self)
        b_rows = self.graph_input(1, b).mT.reshape(folded_rows) if need_a else None
        a_tensor = self.graph_input(0, a) if need_b else None
        if a.ndim == 1:  # mv: grad.ger(vec), self.t().mv(grad)
            g = grad.reshape(folded_rows[0])
            g_rows = g.reshape(-1, 1) * a_tensor if need_b else None
            ga = b_rows.t().mv(g) if need_a else None
        else:
            g = grad.mT.reshape(folded_rows[0], a.shape[0])  # (Transpose's, then UnsafeView's backward)
            a_columns = None if a_tensor is None else a_tensor.t()
            rows_strides = _transposed_rows_strides(self)
            g_rows, g_columns = _mm_gradients_graph(g, b_rows, a_columns, rows_strides, a.T, need_b, need_a)
            ga = g_columns.t() if need_a else None
        gb = g_rows.reshape(b.shape[:-2] + (b.shape[-1], b.shape[-2])).mT if need_b else None
        return ga, gb

    def _broadcast_backward_graph(self, grad):
        if self.batched:  # BmmBackward0: grad.bmm(mat2.transpose(1, 2)), self.transpose(1, 2).bmm(grad)
            ga = grad.bmm(self.graph_input(1, self.b).transpose(1, 2)) if self.needs_input_grad[0] else None
            gb = self.graph_input(0, self.a).transpose(1, 2).bmm(grad) if self.needs_input_grad[1] else None
            return ga, gb
        return self._bmm_backward_graph(grad)

    def _bmm_backward_graph(self, grad):
        """As PyTorch records a product with a batch it does not fold: both expanded to the broadcast batch,
        reshaped into one batch dim for bmm (a vector a as one row, a vector b as one column, its product squeezed),
        the product viewed as the result (see _batched_product)."""
        a, b = self.a, self.b
        a_sizes, b_sizes = _expanded_sizes(self)
        batch_dims = len(a_sizes) - 2
        g = grad.reshape((math.prod(a_sizes[:batch_dims]), a_sizes[-2]) + b_sizes[batch_dims + 1:])
        if b.ndim == 1:
            g = g.unsqueeze(-1)  # (SqueezeBackward1's)
        ga = gb = None
        if self.needs_input_grad[0]:
            mat2 = _bmm_operand(self.graph_input(1, b), b_sizes, batch_dims)
            ga = unbroadcast_tensor(g.bmm(mat2.transpose(1, 2)).reshape(a_sizes), a.shape)
        if self.needs_input_grad[1]:
            mat1 = _bmm_operand(self.graph_input(0, a), a_sizes, batch_dims)
            gb = unbroadcast_tensor(mat1.transpose(1, 2).bmm(g).reshape(b_sizes), b.shape)
        return ga, gb

    def name(self):
        if self.batched:
            return "BmmBackward0"
        if self.ndims[0] == 2 and _folds_transposed(self):  # (the product transposed back, made contiguous)
            return "CloneBackward0"
        return {(1, 1): "DotBackward0", (2, 1): "MvBackward0", (2, 2): "MmBackward0",
                (1, 2): "SqueezeBackward4"}.get(self.ndims, "UnsafeViewBackward0")

    def pytorch_inputs(self):
        """A product PyTorch computes as mm, mv or bmm of reshaped operands lists those nodes (see
        _folded_product, _batched_product)."""
        folded = _folded_product(self)
        if folded is None and not self.batched and max(self.ndims) > 2:
            return _batched_product(self)
        return folded


def is_column_major(sizes, element_strides):
    """Whether a matrix of ``sizes`` and ``element_strides`` is laid out column-major, which makes PyTorch's mm
    backward compute a gradient transposed (mm_mat1_backward, mm_mat2_backward)."""
    return element_strides[0] == 1 and element_strides[1] == sizes[0]


def _mm_gradients(grad, a, b, need_a, need_b):
    """The gradients of the matrix product a @ b as PyTorch's mm computes them: one of a column-major factor
    computed transposed (so laid out as the factor)."""
    ga = gb = None
    if need_a:
        ga = _product(b, grad.T).T if is_column_major(a.shape, strides(a)) else _product(grad, b.T)
    if need_b:
        gb = _product(grad.T, a).T if is_column_major(b.shape, strides(b)) else _product(a.T, grad)
    return ga, gb


def _mm_gradients_graph(grad, mat1, mat2, mat1_strides, mat2_array, need_mat1, need_mat2):
    """The gradients of mm(mat1, mat2) as PyTorch's MmBackward0 records them: grad.mm(mat2.t()) and
    mat1.t().mm(grad), each computed transposed for a column-major factor (``mat1_strides``: how PyTorch laid
    mat1 out, in elements; ``mat2_array``: mat2's values)."""
    g1 = g2 = None
    if need_mat1:
        sizes = (grad.shape[0], mat2_array.shape[0])
        g1 = mat2.mm(grad.t()).t() if is_column_major(sizes, mat1_strides) else grad.mm(mat2.t())
    if need_mat2:
        g2 = grad.t().mm(mat1).t() if is_column_major(mat2_array.shape, strides(mat2_array)) else mat1.t().mm(grad)
    return g1, g2


def _folds(node):
    """Whether PyTorch's matmul folds a's leading dims into the rows of one mm / mv (at::matmul's should_fold):
    a of 3 or more dims times a vector or matrix that requires grad, or whose leading dims view as one."""
    a, b = node.a, node.b
    if a.ndim < 3 or b.ndim > 2 or node.batched:
        return False
    if node.needs_input_grad[1] or a.size == 0:
        return True
    return _leading_dims_view(a)


def _folds_transposed(node):
    """Whether PyTorch's matmul folds b.mT's leading dims into the rows of one mm / mv by a vector or matrix a
    (should_fold for a of 1 or 2 dims times a batch b): when a requires grad, else a vector a times a batch whose
    b.mT views as rows."""
    a, b = node.a, node.b
    if b.ndim < 3 or a.ndim > 2 or node.batched:
        return False
    if node.needs_input_grad[0]:
        return True
    return a.ndim == 1 and (b.size == 0 or _leading_dims_view_layout(*_transposed_layout(b)))


def _transposed_rows_sizes(node):
    b = node.b.shape
    return math.prod(b[:-2]) * b[-1], b[-2]


def _transposed_rows_strides(node):
    """The strides of b.mT's folded rows: a view's, or those of the clone reshape made."""
    shape, element_strides = _transposed_layout(node.b)
    return _reshaped_strides(shape, element_strides, _transposed_rows_sizes(node))


def _transposed_fold(node, a_edge, b_edge):
    """``next_functions`` of a vector or matrix a times a batch b that PyTorch folds (see _folds_transposed)."""
    a, b = node.a, node.b
    rows_sizes = _transposed_rows_sizes(node)
    columns = b_edge and FoldedNode("TransposeBackward0", ((b_edge, 0),), node, saved=_MT_DIMS)
    rows = columns and _folded_reshape(columns, *_transposed_layout(b), rows_sizes, node)
    rows_array = Saved(lambda owner: np.swapaxes(owner.b, -1, -2).reshape(rows_sizes), grad_fn=first_listed,
                       needed_for=(0,))
    if a.ndim == 1:
        saved = {"self": rows_array, "vec": SavedInput(0, "a", needed_for=(1,))}
        return ((FoldedNode("MvBackward0", ((rows, 0), (a_edge, 0)), node, saved=saved), 0),)
    a_columns = a_edge and FoldedNode("TBackward0", ((a_edge, 0),), node, saved={})
    saved = {"self": rows_array, "self_sym_sizes": constant(rows_sizes),
             "self_sym_strides": needed_for((1,), lambda owner: _transposed_rows_strides(owner)),
             "mat2": Saved(lambda owner: owner.a.T, grad_fn=lambda n, shown: shown.next_functions[1][0],
                           needed_for=(1,)),
             "mat2_sym_sizes": constant(a.shape[::-1]),
             "mat2_sym_strides": needed_for((0,), lambda owner: strides(owner.a.T))}
    product = FoldedNode("MmBackward0", ((rows, 0), (a_columns, 0)), node, saved=saved)
    viewed = FoldedNode("UnsafeViewBackward0", ((product, 0),), node,
                        saved={"self_sym_sizes": constant((rows_sizes[0], a.shape[0]))})
    return ((FoldedNode("TransposeBackward0", ((viewed, 0),), node, saved=_MT_DIMS), 0),)


_MT_DIMS = {"dim0": constant(2 ** 64 - 2), "dim1": constant(2 ** 64 - 1)}  # (-2 and -1 read back unsigned)


def _leading_dims_view(a):
    return _leading_dims_view_layout(a.shape, a.strides)


def _leading_dims_view_layout(shape, any_strides):
    return all(any_strides[i] == any_strides[i + 1] * shape[i + 1] for i in range(len(shape) - 2))


def _folded_product(node):
    """``next_functions`` of a product PyTorch computes as an mm or mv of reshaped operands: a vector times a
    matrix as unsqueeze(0) then mm (under its SqueezeBackward4); a batch times a matrix or vector as a view (or a
    clone viewed) of its rows, then mm or mv (under its UnsafeViewBackward0); None for the other products."""
    (a_edge, _), (b_edge, _) = node.listed_edges()
    if _folds_transposed(node):
        return _transposed_fold(node, a_edge, b_edge)
    if node.ndims == (1, 2):
        rows = a_edge and FoldedNode("UnsqueezeBackward0", ((a_edge, 0),), node, saved={"dim": constant(0)})
        return ((FoldedNode("MmBackward0", ((rows, 0), (b_edge, 0)), node, saved=_folded_mm_saved), 0),)
    if not _folds(node):
        return None
    rows = a_edge and _folded_reshape(a_edge, node.a.shape, strides(node.a), _folded_sizes(node), node)
    product = "MmBackward0" if node.b.ndim == 2 else "MvBackward0"
    saved = _folded_mm_saved if product == "MmBackward0" else _folded_mv_saved
    return ((FoldedNode(product, ((rows, 0), (b_edge, 0)), node, saved=saved), 0),)


def _folded_rows(owner):
    """a as the matrix PyTorch multiplies: its rows folded (a vector: one row)."""
    a = owner.a
    return a.reshape(_folded_sizes(owner))


def _folded_sizes(owner):
    """The sizes of _folded_rows, read off a's shape alone (which the node keeps after backward, its values not)."""
    shape = owner.a.shape
    return (math.prod(shape[:-1]), shape[-1]) if len(shape) > 1 else (1, shape[0])


def _folded_strides(owner):
    a = owner.a
    if a.ndim == 1:  # unsqueeze(0): the new dim's stride is the size times the stride of the one it precedes
        return (a.shape[0] * a.strides[0] // a.itemsize, a.strides[0] // a.itemsize)
    return _reshaped_strides(a.shape, strides(a), _folded_sizes(owner))


def _reshaped_strides(shape, element_strides, new_sizes):
    """The strides of a tensor of layout (``shape``, ``element_strides``) reshaped to ``new_sizes``: a view's,
    else those of the C-contiguous clone reshape makes."""
    viewed = view_strides(shape, element_strides, new_sizes)
    if viewed is None:
        viewed = _memory_format.strides_for(new_sizes, _memory_format.contiguous_format)
    return tuple(viewed)


_FOLDED_ROWS = Saved(_folded_rows, grad_fn=first_listed, needed_for=(1,))
_folded_mm_saved = {"self": _FOLDED_ROWS, "self_sym_sizes": _folded_sizes,
                    "self_sym_strides": needed_for((0,), _folded_strides),
                    "mat2": SavedInput(1, "b", needed_for=(0,)), "mat2_sym_sizes": lambda owner: sizes(owner.b),
                    "mat2_sym_strides": needed_for((1,), lambda owner: strides(owner.b))}
_folded_mv_saved = {"self": _FOLDED_ROWS, "vec": SavedInput(1, "b", needed_for=(0,))}


def _expanded_sizes(node):
    """The sizes at::matmul expands a and b of a product with a batch to: the broadcast batch, then a's matrix (a
    vector as one row) and b's matrix (or vector)."""
    a, b = node.a.shape, node.b.shape
    batch = tuple(np.broadcast_shapes(a[:-2], b[:-2]))
    return batch + (a[-2] if len(a) > 1 else 1, a[-1]), batch + b[-2:]


def _bmm_operand(tensor, expanded_sizes, batch_dims):
    """``tensor`` expanded to ``expanded_sizes`` with its ``batch_dims`` reshaped into one, as at::matmul gives
    bmm (a vector as a column)."""
    count = math.prod(expanded_sizes[:batch_dims])
    operand = tensor.expand(expanded_sizes).reshape((count,) + expanded_sizes[batch_dims:])
    return operand.unsqueeze(2) if operand.ndim == 2 else operand


def _folded_reshape(edge, shape, element_strides, new_sizes, owner):
    """The folded node(s) of a tensor of layout (``shape``, ``element_strides``), that of ``edge``, reshaped to
    ``new_sizes``, as PyTorch's reshape records it: a view of a contiguous tensor, _reshape_alias of one that views
    otherwise, else _unsafe_view of a clone (layouts only: a node keeps them after backward)."""
    sizes_kept = {"self_sym_sizes": constant(tuple(shape))}
    if _memory_format.is_c_order(shape, element_strides):
        return FoldedNode("ViewBackward0", ((edge, 0),), owner, saved=sizes_kept)
    if view_strides(shape, element_strides, new_sizes) is not None:
        return FoldedNode("ReshapeAliasBackward0", ((edge, 0),), owner, saved=sizes_kept)
    clone = FoldedNode("CloneBackward0", ((edge, 0),), owner, saved={})
    return FoldedNode("UnsafeViewBackward0", ((clone, 0),), owner, saved=sizes_kept)


def _expanded_strides(array, expanded_sizes):
    """The element strides of ``array`` expanded to ``expanded_sizes`` (0 along new and stretched dims)."""
    lead = len(expanded_sizes) - array.ndim
    return (0,) * lead + tuple(0 if size == 1 and wanted != 1 else stride for size, wanted, stride in
                               zip(array.shape, expanded_sizes[lead:], strides(array)))


def _transposed_layout(array):
    """(shape, element strides) of array.mT."""
    shape, element_strides = tuple(array.shape), strides(array)
    return shape[:-2] + shape[:-3:-1], element_strides[:-2] + element_strides[:-3:-1]


def _bmm_operand_node(edge, array, expanded_sizes, owner):
    """The folded nodes of _bmm_operand over ``edge``: ExpandBackward0 under the node(s) of its reshape."""
    if edge is None:
        return None
    expand = FoldedNode("ExpandBackward0", ((edge, 0),), owner, saved={"self_sym_sizes": constant(array.shape)})
    bmm_sizes = (math.prod(expanded_sizes[:-2]),) + tuple(expanded_sizes[-2:])
    return _folded_reshape(expand, expanded_sizes, _expanded_strides(array, expanded_sizes), bmm_sizes, owner)


def _bmm_operand_array(owner, index):
    sizes_to = _expanded_sizes(owner)
    batch_dims = len(sizes_to[0]) - 2
    sizes_to = sizes_to[index]
    operand = np.broadcast_to(owner.b if index else owner.a, sizes_to)
    operand = operand.reshape((math.prod(sizes_to[:batch_dims]),) + sizes_to[batch_dims:])
    return operand[..., None] if operand.ndim == 2 else operand


def _batched_product(node):
    """``next_functions`` of a product with a batch that PyTorch does not fold: its BmmBackward0 of both operands
    expanded to the broadcast batch and reshaped (see _bmm_operand; a vector, which is outside the graph here, is
    no edge), under its UnsafeViewBackward0 (and a SqueezeBackward1 for a vector b)."""
    (a_edge, _), (b_edge, _) = node.listed_edges()
    a_sizes, b_sizes = _expanded_sizes(node)
    operands = (node.a.ndim > 1 and _bmm_operand_node(a_edge, node.a, a_sizes, node),
                node.b.ndim > 1 and _bmm_operand_node(b_edge, node.b, b_sizes, node))
    product = FoldedNode("BmmBackward0", tuple((operand or None, 0) for operand in operands), node,
                         saved=_folded_bmm_saved)
    if node.b.ndim == 1:
        squeezed = {"dim": constant(2 ** 64 - 1),
                    "self_sym_sizes": constant((math.prod(a_sizes[:-2]), a_sizes[-2], 1))}
        product = FoldedNode("SqueezeBackward1", ((product, 0),), node, saved=squeezed)
    return ((product, 0),)


_folded_bmm_saved = {
    "self": Saved(lambda owner: _bmm_operand_array(owner, 0), grad_fn=first_listed, needed_for=(1,)),
    "mat2": Saved(lambda owner: _bmm_operand_array(owner, 1), grad_fn=lambda node, shown: shown.next_functions[1][0],
                  needed_for=(0,)),
}


def matmul_error(a, b):
    """The exception PyTorch raises for ``a @ b`` (arrays NumPy could not, or should not, multiply)."""
    from .. import _dtype

    da, db = a.ndim, b.ndim
    if da == 0 or db == 0:
        return RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    name_a, name_b = _dtype.from_numpy_dtype(a.dtype).scalar_name, _dtype.from_numpy_dtype(b.dtype).scalar_name
    same_bool = a.dtype == b.dtype and (a.dtype == np.bool_ or _dtype.is_wide_unsigned(a.dtype))  # (no kernel)
    if da == 1 and db == 1:
        if a.dtype != b.dtype:
            return RuntimeError(f"dot : expected both vectors to have same dtype, but found {name_a} and {name_b}")
        if a.shape != b.shape:
            n, m = a.shape[0], b.shape[0]
            return RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
                                f"number of elements, but got {n} and {m} elements respectively")
        return NotImplementedError(f"\"dot\" not implemented for '{name_a}'") if same_bool else None
    k = a.shape[-1]
    rows = int(np.prod(a.shape[:-1]))
    if db == 1:
        if b.shape[0] != k:
            return RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k}), vec ({b.shape[0]})")
        if a.dtype != b.dtype:
            return RuntimeError(f"addmv input tensors must have the same dtype, but got {name_b}, {name_a}, and "
                                f"{name_b}")
        return NotImplementedError(f"\"addmv_impl_cpu\" not implemented for '{name_a}'") if same_bool else None
    if db == 2:
        if b.shape[0] != k:
            return RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {b.shape[0]}x{b.shape[1]})")
        if a.dtype != b.dtype:
            return RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_dtype.cpp_name(a.dtype)} != "
                                f"{_dtype.cpp_name(b.dtype)}")
        return NotImplementedError(f"\"addmm_impl_cpu_\" not implemented for '{name_a}'") if same_bool else None
    batch_a, batch_b = a.shape[:-2], b.shape[:-2]
    error = broadcast_error(batch_a, batch_b)
    if error is not None:
        return error
    batch = int(np.prod(np.broadcast_shapes(batch_a, batch_b)))
    return bmm_error(a.shape[-2:] if da > 1 else (1, k), b.shape[-2:], batch, batch, name_a, name_b)


def bmm_error(matrix_a, matrix_b, batch_a, batch_b, name_a, name_b):
    """PyTorch's exception for a batched product of (batch_a, n, k) and (batch_b, k2, m) matrices, or None."""
    k = matrix_a[1]
    if batch_a != batch_b or matrix_b[0] != k:
        return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{batch_a}, {k}] but got: "
                            f"[{batch_b}, {matrix_b[0]}].")
    if name_a in ("Bool", "UInt16", "UInt32", "UInt64"):  # (the kernel is chosen by the first operand's dtype
        # before the second is compared)
        return NotImplementedError(f"\"bmm\" not implemented for '{name_a}'")
    if name_a != name_b:
        return RuntimeError(f"expected scalar type {name_a} but found {name_b}")
    return None


def _half_mul_scalar_graph(self, grad):
    """The gradient under create_graph of a float16 tensor times a number: grad * the number, itself a float16
    tensor times a Python scalar (the number, a float32 0-d array, is no input of the graph)."""
    if self.a.dtype == np.float16:
        return (grad * float(self.b) if self.needs_input_grad[0] else None), None
    return None, (grad * float(self.a) if self.needs_input_grad[1] else None)


def _reciprocal_times_number_graph(self, grad):
    """The gradient under create_graph of a number over a tensor, PyTorch's reciprocal(b) * number: MulBackward0
    (grad * number), then ReciprocalBackward0 (-grad * r * r)."""
    if not self.needs_input_grad[1]:
        return None, None
    reciprocal = self.graph_input(1, self.b).reciprocal()
    return None, -(grad * float(self.a)) * (reciprocal * reciprocal)


def _half_div_scalar_graph(self, grad):
    if not self.scalar_numerator:
        return (grad / float(self.b) if self.needs_input_grad[0] else None), None
    return _reciprocal_times_number_graph(self, grad)


class _HalfDivWithOpmathScalar(_half_with_opmath_scalar(Div, _half_div_scalar_graph)):
    def forward(self, a, b, scalar_numerator=False, private_divisor=False, mode_given=False):
        if not scalar_numerator:
            return super().forward(a, b, mode_given=mode_given)
        if private_divisor:
            b = b.copy()
        # PyTorch's scalar / x is reciprocal(x) * scalar: the reciprocal is rounded to float16 first
        self.a, self.b, self.scalar_numerator, self._checked_inputs = a, b, True, (0,)  # (the number only, as Div)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return ((1 / b) * a).astype(np.float16)

    def backward(self, grad):
        if not self.scalar_numerator:
            return super().backward(grad)
        if not self.needs_input_grad[1]:
            return None, None
        # PyTorch's chain: MulBackward0 (grad * number, in float32 rounded to float16), then ReciprocalBackward0
        # (-grad * (r * r), float16 ops on the float16 reciprocal r)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            scaled = (grad.astype(np.float32) * self.a).astype(np.float16)
            reciprocal = 1 / self.b
            return None, -(scaled * (reciprocal * reciprocal))

    backward_graph = _half_div_scalar_graph  # (next to the backward it differentiates)


# the nodes of a float16 tensor with a Python scalar: add and sub convert the scalar to float16 (as NumPy does)
HALF_WITH_OPMATH_SCALAR = {Mul: _half_with_opmath_scalar(Mul, _half_mul_scalar_graph), Div: _HalfDivWithOpmathScalar,
                           MulScalar: _half_with_opmath_scalar(MulScalar, MulScalar.backward_graph)}


def add_scalar(tensor, number):
    """``tensor + number`` (or ``number + tensor``) as PyTorch's C++ formulas compute it: add.Scalar, its node
    AddBackward1, which lists the tensor alone."""
    return tensor._binary(number, AddScalar)


def _filled_like(tensor, number):
    """C++'s ``empty_like(tensor, preserve_format).fill_(number)``, a tensor outside the graph."""
    filled = _memory_format.empty_like(tensor._data, tensor._data.dtype, _memory_format.preserve_format, np.empty)
    filled[...] = number
    return tensor._wrap(filled)


def number_minus(number, tensor):
    """``number - tensor`` as PyTorch's C++ formulas compute it: ``empty_like(tensor).fill_(number).sub_(tensor)``,
    whose node is SubBackward0, listing None for the filled tensor, then the tensor."""
    return _filled_like(tensor, number) - tensor


def number_over(number, tensor):
    """``number / tensor`` as PyTorch's C++ formulas compute it: ``empty_like(tensor).fill_(number).div_(tensor)``
    (DivBackward0, listing None, then the tensor)."""
    return _filled_like(tensor, number) / tensor


def mul_scalar(tensor, number):
    """``tensor * number`` as PyTorch's C++ composite ops compute it (mul.Scalar, its node MulBackward1): a float16
    tensor in float32, the number converted to float32, rounded once."""
    if tensor._data.dtype == np.float16:
        out = tensor._half_scalar_binary(number, MulScalar)
        if out is not None:
            return out
    elif tensor._data.dtype.kind == "V":  # bfloat16
        out = tensor._bfloat16_scalar_binary(number, MulScalar)
        if out is not None:
            return out
    return tensor._binary(number, MulScalar)
