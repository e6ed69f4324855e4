"""Elementwise functions of one tensor."""
import math

import numpy as np

from .. import _dtype, _memory_format
from .._kernels import cpu_loops, parallel, select
from .._kernels.cpu_loops import kernel_exp, scalar_tail, vectorised
from ..autograd import forward_ad
from ..autograd._graph_backward import with_zero_derivative_of
from ..autograd.graph import OUTPUT, Node
from ..autograd.saved_values import SavedInput, saved_result
from . import special
from ._util import TIE_KEEPS_FIRST, grad_first, iterator_layout_of, keeping_input_on_tie, laid_out_gradients


def rounded_from_float64(function, a):
    """``function`` (a NumPy ufunc) of the float32 array ``a`` computed in float64 and rounded once: the correctly
    rounded result but for rare ties, as PyTorch's float32 kernels (MKL's in their accurate mode, SLEEF's u10) give
    it for 99% or more of inputs, where NumPy's own float32 loops miss it by an ulp for 10-50% (exp, log, tanh ...).
    Large contiguous arrays a cache-sized piece at a time."""
    if a.size > cpu_loops.PIECE and a.flags.c_contiguous:
        out = np.empty(a.shape, np.float32)
        cpu_loops.in_pieces(_rounded_piece, (a, out), function, np.empty(cpu_loops.PIECE))
        return out
    return function(a, dtype=np.float64).astype(np.float32)


def _rounded_piece(x, out, function, work):
    """One piece of rounded_from_float64, through the float64 ``work`` buffer."""
    wide = work[:x.size]
    function(x, out=wide, dtype=np.float64)
    out[...] = wide


class Exp(Node):
    elementwise = True
    saved = ("out",)
    torch_saved = {"result": saved_result("out")}

    def forward(self, a):
        with np.errstate(over="ignore"):  # PyTorch overflows to inf silently
            if a.dtype == np.float32:  # (see rounded_from_float64: NumPy's float32 exp misses by an ulp for 39%)
                self.out = rounded_from_float64(np.exp, a)
                return self.out
            self.out = np.exp(a)
        return self.out

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @grad_first("out")
    def backward(self, grad):
        return (grad * self.out,)

    def backward_graph(self, grad):
        return (grad * self.graph_output(self.out),)


class Log(Node):
    elementwise = True
    saved = ("a",)
    torch_saved = {"self": SavedInput(0, "a")}

    def forward(self, a):
        self.a = a
        with np.errstate(divide="ignore", invalid="ignore"):  # -inf and nan, silently as in PyTorch
            if a.dtype == np.float32:  # (see rounded_from_float64: NumPy's float32 log misses by an ulp for 16%)
                return rounded_from_float64(np.log, a)
            return np.log(a)

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @grad_first("a")
    def backward(self, grad):
        return (grad / self.a,)

    def backward_graph(self, grad):
        return (grad / self.graph_input(0, self.a),)


class Sqrt(Node):
    elementwise = True
    saved = ("out",)
    torch_saved = {"result": saved_result("out")}

    def forward(self, a):
        with np.errstate(invalid="ignore"):  # nan for negative inputs, silently as in PyTorch
            self.out = np.sqrt(a)
        return self.out

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @grad_first("out")
    def backward(self, grad):
        return (grad / (2 * self.out),)

    def backward_graph(self, grad):
        from .arithmetic import mul_scalar

        return (grad / mul_scalar(self.graph_output(self.out), 2),)  # (C++'s 2 * result: mul.Scalar)


class Rsqrt(Node):
    elementwise = True
    saved = ("out",)
    torch_saved = {"result": saved_result("out")}

    def forward(self, a):
        with np.errstate(divide="ignore", invalid="ignore"):
            self.out = 1 / np.sqrt(a)
        return self.out

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @grad_first("out")
    def backward(self, grad):
        return (grad * -0.5 * self.out ** 3,)

    def backward_graph(self, grad):
        return (grad * -0.5 * self.graph_output(self.out) ** 3,)


class Abs(Node):
    elementwise = True
    saved = ("a",)
    torch_saved = {"self": SavedInput(0, "a")}

    def forward(self, a):
        self.a = a
        return np.abs(a)

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @grad_first("a")
    def backward(self, grad):
        return (grad * sign(self.a),)  # (PyTorch's sign: 0 at NaN, where NumPy's is NaN)

    def backward_graph(self, grad):  # grad * sgn(x), the sign recorded (SgnBackward0, of derivative zero) as PyTorch's
        return (grad * self.graph_input(0, self.a).sgn(),)


def _given_bound(index):
    return lambda node: node.bounds[index]


try:
    from numpy._core.umath import clip as _clip_ufunc
except ImportError:  # (NumPy 1)
    from numpy.core.umath import clip as _clip_ufunc


def _clamped(a, low, high):
    """``a`` clamped to the bounds given (either may be None), keeping ``a`` where it ties a bound (-0.0 clamped to
    min 0.0 stays -0.0, as in PyTorch)."""
    if a.dtype.kind == "f" and low is not None and high is not None:
        # np.clip's own ufunc, which its Python layers (fromnumeric, ndarray.clip, _methods._clip) end in for a
        # float array and two bounds: 1.5 us of a 10 us clamp
        return _clip_ufunc(a, low, high)
    if a.dtype.kind != "f" or (low is not None and high is not None):  # (np.clip keeps a tie's input itself)
        return np.clip(a, low, high) if low is not None or high is not None else a.copy()
    if low is not None:
        return keeping_input_on_tie(np.maximum, low, a)
    return a.copy() if high is None else keeping_input_on_tie(np.minimum, high, a)


class Clamp(Node):
    """clamp with number bounds (ClampBackward1; clamp_min / clamp_max's ClampMinBackward0 / ClampMaxBackward0)."""
    elementwise = True

    saved = ("mask", "a")
    saves = (0,)  # PyTorch's ClampBackward1 saves the input (this node, the mask made from it)
    torch_saved = {"ClampBackward1": {"self": SavedInput(0, "a"), "min": _given_bound(0), "max": _given_bound(1)},
                   "ClampMinBackward0": {"self": SavedInput(0, "a"), "min": _given_bound(0)},
                   "ClampMaxBackward0": {"self": SavedInput(0, "a"), "max": _given_bound(1)}}

    def forward(self, a, min=None, max=None, node="ClampBackward1", bounds=None, recorded=True):
        """``bounds``: (min, max) as the call gave them, for the node's saved values (those converted to the
        input's dtype by default). ``recorded``: False when no graph, tangent or transform can read the node,
        which then needs no gradient mask."""
        self.node, self.a = node, a  # (clamp_min / clamp_max name their own; the input, clamp_'s too)
        self.bounds = (min, max) if bounds is None else bounds
        out = _clamped(a, min, max)
        if not recorded:  # (the mask's comparisons cost twice the clamp itself)
            return out.astype(a.dtype, copy=False)
        # the mask in the input's layout, as PyTorch's comparisons make it (its gradient's where() follows it)
        below_max = None if max is None else a <= max
        if min is None:
            mask = np.ones_like(a, bool) if below_max is None else below_max
        else:
            mask = a >= min
            if below_max is not None:
                mask &= below_max
        self.mask = mask
        return out.astype(a.dtype, copy=False)

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @laid_out_gradients(iterator_layout_of("a", "grad"))  # (PyTorch's where(mask of the input, grad, 0))
    def backward(self, grad):
        return (select.where(self.mask, grad, np.zeros((), grad.dtype)),)

    def backward_graph(self, grad):
        return (masked_gradient(self.mask, grad),)

    def name(self):
        return self.node


class Relu(Node):
    """max(x, 0); the gradient is PyTorch's threshold_backward: ``grad`` where the output is not
    <= 0 (so a NaN output passes its gradient), an exact 0 elsewhere (even for an inf or NaN grad)."""
    tangent_node_name = "ThresholdBackwardBackward0"  # (see forward_ad.recorded_on_values)

    saved = ("out",)
    torch_saved = {"result": saved_result("out")}
    # NumPy's float maximum has no SIMD loop for a broadcast scalar: max(a, 0) ran 2.4x slower on
    # (64, 5, 28, 28) float32 than max(a, zeros) with an array of zeros. A read-only block of
    # zeros per dtype, small enough to stay in cache, serves every call block by block; below
    # ~6000 elements (measured) the scalar form's lower fixed cost wins.
    ZERO_BLOCK_BYTES = 1 << 19
    MIN_BLOCKED_SIZE = 6000
    _zero_blocks = {}
    _zeros = {}  # dtype -> (its 0-d zero, whether it is in TIE_KEEPS_FIRST)

    def forward(self, a):
        self.out = self.max_zero(a)
        return self.out

    @classmethod
    def max_zero(cls, a):
        """max(a, 0) elementwise in a's dtype; NaN propagates (relu(NaN) is NaN, as in PyTorch), -0.0 stays -0.0
        (PyTorch keeps the input where it is not below 0)."""
        dtype, contiguous = a.dtype, a.flags.c_contiguous
        if dtype.kind != "f" or not contiguous or a.size < cls.MIN_BLOCKED_SIZE:
            # (inline: a call costs a small layer's relu a third more; a 0-d zero of a's dtype, rather than a
            # Python 0 and dtype=, saves a quarter of NumPy's time on a batch-1 layer; the dtype's zero and its
            # operand order found in one lookup, as hashing a dtype is not cheap)
            entry = cls._zeros.get(dtype)
            if entry is None:
                entry = cls._zeros[dtype] = (np.zeros((), dtype), dtype in TIE_KEEPS_FIRST)
            zero, keeps_first = entry
            out = np.maximum(a, zero) if keeps_first else np.maximum(zero, a)
            # (laid out as TensorIterator where NumPy's order may differ: not for a C-contiguous input, the hot path,
            # unless empty, which NumPy gives all-zero strides)
            return out if contiguous and a.size else _memory_format.iterator_layout(out, (a,))
        out = np.empty(a.shape, a.dtype)
        parallel.elementwise(cls._max_zero_into, (a, out), parallel.ELEMENTWISE_PASS_FLOP)
        return out

    @classmethod
    def max_zero_in_place(cls, a):
        """``a[...] = max_zero(a)`` for the C-contiguous float ``a``: the same bits, without a result to copy."""
        if a.size < cls.MIN_BLOCKED_SIZE:
            zero = np.zeros((), a.dtype)
            np.maximum(a, zero, out=a) if a.dtype in TIE_KEEPS_FIRST else np.maximum(zero, a, out=a)
        else:
            parallel.elementwise(cls._max_zero_into, (a, a), parallel.ELEMENTWISE_PASS_FLOP)

    @classmethod
    def _max_zero_into(cls, a, out):
        zeros = cls._zero_blocks.get(a.dtype)
        if zeros is None:
            zeros = np.zeros(cls.ZERO_BLOCK_BYTES // a.itemsize, a.dtype)
            zeros.flags.writeable = False
            cls._zero_blocks[a.dtype] = zeros
        flat, flat_out = a.reshape(-1), out.reshape(-1)
        zeros_first = a.dtype not in TIE_KEEPS_FIRST  # the operand answering a tie last: a's -0.0 kept
        for start in range(0, flat.size, zeros.size):
            stop = min(flat.size, start + zeros.size)
            operands = (zeros[:stop - start], flat[start:stop])
            np.maximum(*(operands if zeros_first else operands[::-1]), out=flat_out[start:stop])

    _masked_by_consumer = None  # see masked_by_consumer

    def masked_by_consumer(self, grad):
        """``grad``, the gradient this node's output gets from its only consumer, already masked by it:
        the consumer (max pooling) sends a gradient that is 0 except where it took an output value of
        this ReLU, and masks it where that value is 0 at its own (4x smaller) resolution, so the mask
        backward would apply is the identity. Backward then passes this very array on (a sum with
        other consumers' gradients is a new array, and is masked). Only for a gradient nothing else
        sees (``_engine.gradient_unwatched(self)``), as nothing else expects it masked."""
        self._masked_by_consumer = grad
        return grad

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    def backward(self, grad):
        if grad is self._masked_by_consumer:
            self._masked_by_consumer = None
            return (grad,)
        out = np.asarray(self.out)
        if out.dtype.kind != "f" or grad.dtype != out.dtype or grad.shape != out.shape:
            return (_memory_format.iterator_layout(np.where(out <= 0, np.zeros((), grad.dtype), grad), (out, grad)),)
        if out.flags.c_contiguous and grad.flags.c_contiguous:
            gx = np.empty(out.shape, out.dtype)
            parallel.elementwise(_pass_where_nonzero, (out, grad, gx), 2 * parallel.ELEMENTWISE_PASS_FLOP)
        else:  # PyTorch's threshold_backward(grad, result) lays its output out as the result first, then grad
            gx = _memory_format.empty_for_iterator(out.shape, out.dtype, (out, grad))
            _pass_where_nonzero(out, grad, gx)
        return (gx,)

    def backward_graph(self, grad):
        # PyTorch's threshold_backward(grad, result, 0) reads the result, whose derivative there is zero
        masked = masked_gradient(~(np.asarray(self.out) <= 0), grad)
        return (with_zero_derivative_of(masked, self.graph_output(self.out), "ThresholdBackwardBackward0", grad),)


def masked_gradient(mask, grad):
    """``grad`` where the constant ``mask`` holds, an exact 0 elsewhere (even for an inf or NaN ``grad``), as a
    tensor of the graph: the gradient of a piecewise-linear op whose pieces are fixed by its input."""
    from .shape import Where

    zero = grad._wrap(np.zeros((), grad._data.dtype))
    return Where.apply(grad, zero, condition=mask)


def _pass_where_nonzero(out, grad, gx):
    """gx = grad where out != 0, else +0.0, bit for bit. A ReLU output is +-0, a positive number or a
    NaN, so "not <= 0" is "!= 0" here; the gradient passes as its bit pattern times 1 (or 0): exact for
    inf and NaN gradients, where grad * (out > 0) would give NaN. Two passes: compare, multiply."""
    _pass_where(np.not_equal(out, 0), grad, gx)


def _pass_where(mask, grad, gx):
    bits = np.dtype(f"u{grad.itemsize}")
    np.multiply(mask, grad.view(bits), out=gx.view(bits))


def pass_where(mask, grad):
    """``grad`` where the boolean ``mask`` holds, else +0.0, bit for bit (see _pass_where_nonzero)."""
    grad = np.ascontiguousarray(grad)
    gx = np.empty(grad.shape, grad.dtype)
    _pass_where(mask, grad, gx)
    return gx


def _sigmoid32_into(x, out, work):
    """Sigmoid's float32 1 / (1 + e^-x) of a piece (see Sigmoid.forward), in the float64 ``work`` buffer."""
    exponential = work[:x.size]
    np.negative(x, out=exponential, dtype=np.float64)
    np.exp(exponential, out=exponential)
    out[...] = exponential
    np.add(np.float32(1), out, out=out)
    np.divide(np.float32(1), out, out=out)


class Sigmoid(Node):
    elementwise = True
    backward_is_one_op = True
    backward_inputs = (OUTPUT,)  # sigmoid_backward reads the result
    saved = ("out",)
    torch_saved = {"result": saved_result("out")}

    def forward(self, a):
        if a.dtype == np.float16:  # PyTorch's kernel: 1 / (1 + e^-x) in float32 (SLEEF's e in its vectors), rounded
            with np.errstate(over="ignore"):
                self.out = (np.float32(1) / (np.float32(1) + kernel_exp(-a.astype(np.float32), vectorised(a)))).astype(
                    np.float16)
            return self.out
        x = a
        if x.dtype.kind == "c":  # (the real tricks below would drop the imaginary part)
            with np.errstate(all="ignore"):
                self.out = 1 / (1 + np.exp(-x))
            return self.out
        if x.dtype == np.float32:
            # PyTorch's kernel's 1 / (1 + e^-x) (its scalar loop's exactly, with libm's correctly rounded e; SLEEF's
            # in its vectors is within an ulp): 0 where e^-x overflows (x below -88.72), not a subnormal
            with np.errstate(over="ignore"):
                if x.size > cpu_loops.PIECE and x.flags.c_contiguous:
                    self.out = np.empty(x.shape, np.float32)
                    cpu_loops.in_pieces(_sigmoid32_into, (x, self.out), np.empty(cpu_loops.PIECE))
                    return self.out
                exponential = np.exp(np.negative(x, dtype=np.float64)).astype(np.float32)
                self.out = np.float32(1) / (np.float32(1) + exponential)
            return self.out
        e = np.exp(-np.abs(x))  # (of a non-positive number only: no overflow warnings for large |a|)
        denominator = 1 + e
        # 1 / (1 + e) where x >= 0, else e / (1 + e): one division of the chosen numerators, the same quotients
        quotient = np.where(x >= 0, 1, e)
        self.out = np.divide(quotient, denominator, out=quotient).astype(a.dtype, copy=False)
        return self.out

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @grad_first("out")
    def backward(self, grad):
        # grad * (1 - out) * out, in PyTorch's order; for float16 each step rounded to float16, as its kernel
        return (grad * (1 - self.out) * self.out,)

    def backward_graph(self, grad):
        out = self.graph_output(self.out)
        return (grad * out * (1 - out),)


class Tanh(Node):
    elementwise = True
    backward_is_one_op = True
    backward_inputs = (OUTPUT,)  # tanh_backward reads the result
    saved = ("out",)
    torch_saved = {"result": saved_result("out")}

    def forward(self, a):
        # (NumPy's float32 tanh misses PyTorch's by an ulp for a third of inputs, rounded_from_float64 for 0.6%, but
        # at 13 times the time on a LeNet's activations, and its backward's rounding differs anyway: see wild38)
        self.out = np.tanh(a)
        return self.out

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @grad_first("out")
    def backward(self, grad):
        if grad.dtype == np.float16:  # PyTorch's tanh_backward: in float32, rounded once
            out = self.out.astype(np.float32)
            return ((grad.astype(np.float32) * (1 - out * out)).astype(np.float16),)
        return (grad * (1 - self.out * self.out),)

    def backward_graph(self, grad):
        out = self.graph_output(self.out)
        return (grad * (1 - out * out),)


_LN2, _LN10 = math.log(2), math.log(10)


def _sinc_derivative(a):
    """PyTorch's sinc_backward without grad: (pi a cos(pi a) - sin(pi a)) / (pi a^2) in the input's dtype, 0 where
    that denominator is (its cancellation for tiny a, not sinc's cos(pi a) - sinc(a)) / a, is PyTorch's); of
    float16, each op computed in float32 and rounded to float16, as PyTorch's ops one by one."""
    if a.dtype == np.float16:
        def op(value):
            return value.astype(np.float16).astype(np.float32)
        x = a.astype(np.float32)
        a_pi, a_squared_pi = op(x * np.float32(math.pi)), op(op(x * x) * np.float32(math.pi))
        numerator = op(op(a_pi * op(np.cos(a_pi))) - op(np.sin(a_pi)))
    else:
        a_pi, a_squared_pi = a * math.pi, a * a * math.pi
        numerator = a_pi * np.cos(a_pi) - np.sin(a_pi)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(a_squared_pi == 0, 0, numerator / a_squared_pi).astype(a.dtype, copy=False)

# name: (f(x), f'(x) from x and f(x), PyTorch's node name)
SMOOTH = {
    "log2": (np.log2, lambda a, out: 1 / (a * _LN2), "Log2Backward0"),
    "log10": (np.log10, lambda a, out: 1 / (a * _LN10), "Log10Backward0"),
    "log1p": (np.log1p, lambda a, out: 1 / (a + 1), "Log1PBackward0"),
    "expm1": (np.expm1, lambda a, out: out + 1, "Expm1Backward0"),
    "reciprocal": (np.reciprocal, lambda a, out: -out * out, "ReciprocalBackward0"),
    "sin": (np.sin, lambda a, out: np.cos(a), "SinBackward0"),
    "cos": (np.cos, lambda a, out: -np.sin(a), "CosBackward0"),
    "frac": (lambda a: a - np.trunc(a), lambda a, out: np.ones((), a.dtype), "FracBackward0"),
    "tan": (np.tan, lambda a, out: 1 + out * out, "TanBackward0"),
    "asin": (np.arcsin, lambda a, out: 1 / np.sqrt(1 - a * a), "AsinBackward0"),
    "acos": (np.arccos, lambda a, out: -1 / np.sqrt(1 - a * a), "AcosBackward0"),
    "atan": (np.arctan, lambda a, out: 1 / (1 + a * a), "AtanBackward0"),
    "sinh": (np.sinh, lambda a, out: np.cosh(a), "SinhBackward0"),
    "cosh": (np.cosh, lambda a, out: np.sinh(a), "CoshBackward0"),
    "asinh": (np.arcsinh, lambda a, out: 1 / np.sqrt(a * a + 1), "AsinhBackward0"),
    # (a complex a needs the two square roots apart: the root of the product is on the other branch for Re a < 0)
    "acosh": (np.arccosh, lambda a, out: 1 / (np.sqrt(a - 1) * np.sqrt(a + 1)) if a.dtype.kind == "c" else
              1 / np.sqrt(a * a - 1), "AcoshBackward0"),  # (PyTorch's (a^2 - 1).rsqrt(): +inf at a = -1)
    "atanh": (np.arctanh, lambda a, out: 1 / (1 - a * a), "AtanhBackward0"),
    # computed in float64 and rounded once, so float32 results are correctly rounded nearly always
    "erf": (lambda a: special.erf(a.astype(np.float64)).astype(a.dtype),
            lambda a, out: _TWO_OVER_SQRT_PI * np.exp(-a * a), "ErfBackward0"),
    "erfc": (lambda a: special.erfc(a.astype(np.float64)).astype(a.dtype),
             lambda a, out: -_TWO_OVER_SQRT_PI * np.exp(-a * a), "ErfcBackward0"),
    "erfinv": (special.erfinv, lambda a, out: _SQRT_PI_OVER_TWO * np.exp(out * out), "ErfinvBackward0"),
    "deg2rad": (lambda a: a * np.asarray(math.pi / 180, a.dtype), lambda a, out: np.asarray(math.pi / 180, a.dtype),
                "Deg2RadBackward0"),
    "rad2deg": (lambda a: a * np.asarray(180 / math.pi, a.dtype), lambda a, out: np.asarray(180 / math.pi, a.dtype),
                "Rad2DegBackward0"),
    "sinc": (np.sinc, lambda a, out: _sinc_derivative(a), "SincBackward0"),
}
_TWO_OVER_SQRT_PI, _SQRT_PI_OVER_TWO = 2 / math.sqrt(math.pi), math.sqrt(math.pi) / 2
# float32 functions whose PyTorch kernels round as float64 results rounded once do, far more often than NumPy's
# float32 loops (measured on 100,000 inputs: sin, cos and acos 5% against 14-37%, the others under 1% against
# 10-48%); asin, asinh and acosh are not among them (NumPy's float32 asin is closer to PyTorch's)
_ROUNDED_FROM_FLOAT64 = frozenset("log2 log10 log1p expm1 sin cos tan acos atan sinh cosh atanh".split())


def _graph_formulas():
    """name: PyTorch's gradient formula (derivatives.yaml) from grad and the graph tensors of x and f(x) (``out()``)
    for the functions of SMOOTH that support create_graph=True, its C++ arithmetic with numbers as C++ does it
    (mul.Scalar, add.Scalar, sub.Scalar: MulBackward1, AddBackward1, SubBackward1; ``1 - t`` a filled tensor minus
    t, SubBackward0). The conjugates of complex derivatives are the engine's (see Node.complex_aware)."""
    from .arithmetic import SubScalar, add_scalar, mul_scalar, number_minus

    def minus_one(t):
        return t._binary(1, SubScalar)

    def acosh(grad, a, out):
        if a.is_complex():
            return grad * (add_scalar(a, 1).rsqrt() * minus_one(a).rsqrt())
        return grad * minus_one(a * a).rsqrt()

    return {
        "log2": lambda grad, a, out: grad / mul_scalar(a, 0.6931471805599453),
        "log10": lambda grad, a, out: grad / mul_scalar(a, 2.3025850929940456),
        "log1p": lambda grad, a, out: grad / add_scalar(a, 1),  # (log1p_backward)
        "expm1": lambda grad, a, out: grad * add_scalar(out(), 1),
        "reciprocal": lambda grad, a, out: -grad * (out() * out()),
        "sin": lambda grad, a, out: grad * a.cos(),
        "cos": lambda grad, a, out: grad * -a.sin(),
        "tan": lambda grad, a, out: grad * add_scalar(out().pow(2), 1),
        "atan": lambda grad, a, out: grad / add_scalar(a * a, 1),
        "sinh": lambda grad, a, out: grad * a.cosh(),
        "cosh": lambda grad, a, out: grad * a.sinh(),
        "erf": lambda grad, a, out: mul_scalar((-(a.pow(2))).exp(), _TWO_OVER_SQRT_PI) * grad,
        "erfc": lambda grad, a, out: mul_scalar((-(a.pow(2))).exp(), -_TWO_OVER_SQRT_PI) * grad,
        "frac": lambda grad, a, out: grad,
        "asin": lambda grad, a, out: grad * add_scalar(-a * a, 1).rsqrt(),
        "acos": lambda grad, a, out: grad * -(add_scalar(-a * a, 1).rsqrt()),
        "asinh": lambda grad, a, out: grad * add_scalar(a.pow(2), 1).rsqrt(),
        "acosh": acosh,
        "atanh": lambda grad, a, out: mul_scalar(grad, 1) / number_minus(1, a.pow(2)),
        # (PyTorch's formula computes erfinv anew from x)
        "erfinv": lambda grad, a, out: mul_scalar(a.erfinv().pow(2).exp(), 0.5 * math.sqrt(math.pi)) * grad,
        "deg2rad": lambda grad, a, out: mul_scalar(grad, math.pi / 180),  # (deg2rad_backward: at::mul by the number)
        "rad2deg": lambda grad, a, out: mul_scalar(grad, 180 / math.pi),
    }


_SMOOTH_GRAPH_FORMULAS = None


def _sinc_gradient(grad, a):
    """PyTorch's sinc_backward as tensors of the graph: grad (pi a cos(pi a) - sin(pi a)) / (pi a^2), where()d to
    0 at a = 0 (where, as in PyTorch, its own derivative is then NaN: the mask passes a zero gradient through
    0 / 0), laid out by that mask (the input's layout)."""
    from .arithmetic import mul_scalar
    from .shape import Where

    # (its products by pi C++'s mul.Scalar, MulBackward1; grad times the quotient)
    a_pi, a_squared_pi = mul_scalar(a, math.pi), mul_scalar(a * a, math.pi)
    gradient = grad * (((a_pi * a_pi.cos()) - a_pi.sin()) / a_squared_pi)
    return Where.apply(a._wrap(np.zeros((), a._data.dtype)), gradient, condition=a_squared_pi._data == 0)


# name: (exception, message) of the functions of SMOOTH that PyTorch refuses for complex tensors
SMOOTH_NOT_FOR_COMPLEX = {
    **{op: (NotImplementedError, f"\"{op}_vml_cpu\" not implemented for '{{}}'") for op in ("erf", "erfc", "erfinv")},
    **{op: (RuntimeError, f"{op} is not supported for complex tensors.") for op in ("deg2rad", "rad2deg")},
}

_SAVES_RESULT = frozenset({"expm1", "reciprocal", "tan"})
# whose PyTorch formula is derivative * grad (the others' grad * derivative): TensorIterator lays the gradient out
# as the first operand's order where the two disagree (NumPy follows neither)
_DERIVATIVE_FIRST = frozenset({"erf", "erfc", "erfinv", "sinc"})
_SAVES_RESULT_ONLY = _SAVES_RESULT | {"deg2rad", "rad2deg", "frac"}  # these save no input
# computed by PyTorch into empty_like(input), whose strides it keeps when dense, size-1 dims' too (where TensorIterator
# would give a C-contiguous input C order's)
_INTO_EMPTY_LIKE = frozenset({"deg2rad", "rad2deg"})


class Smooth(Node):
    """One of the differentiable elementwise functions in ``SMOOTH``: inf and nan arise silently, as in PyTorch."""
    elementwise = True

    saved = ("a", "out")
    torch_saved = {name: {**({} if op in _SAVES_RESULT_ONLY else {"self": SavedInput(0, "a")}),
                          **({"result": saved_result("out")} if op in _SAVES_RESULT else {})}
                   for op, (_, _, name) in SMOOTH.items()}

    def forward(self, a, op=None):
        self.op, self.a = op, a
        # what PyTorch saves (its version then checked): the input, the result alone, or nothing
        self._checked_inputs = () if op in _SAVES_RESULT_ONLY else (0,)
        self._saves_output = op in _SAVES_RESULT
        self._saves_tensors = bool(self._checked_inputs) or self._saves_output
        if not self._saves_tensors:
            self.saved = ()  # nothing for a second backward to find freed
        if a.dtype.kind == "c" and op in SMOOTH_NOT_FOR_COMPLEX:
            error, message = SMOOTH_NOT_FOR_COMPLEX[op]
            raise error(message.format(_dtype.from_numpy_dtype(a.dtype).scalar_name))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if a.dtype == np.float16:  # in float32, rounded once, as PyTorch's kernels (sinc's pi x overflows half)
                self.out = SMOOTH[op][0](a.astype(np.float32)).astype(np.float16)
            elif a.dtype == np.float32 and op in _ROUNDED_FROM_FLOAT64:
                self.out = rounded_from_float64(SMOOTH[op][0], a)
            else:
                self.out = SMOOTH[op][0](a)
        return self.out

    def laid_out(self, out, arrays):
        if self.op in _INTO_EMPTY_LIKE:
            return self.laid_out_like_input(out, arrays)
        return super().laid_out(out, arrays)

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    def backward(self, grad):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if grad.dtype == np.float16 and self.op == "sinc":  # (its formula's ops rounded one by one)
                derivative = _sinc_derivative(self.a).astype(np.float32)
                gradient = (grad * derivative).astype(np.float16)
            elif grad.dtype == np.float16:
                derivative = SMOOTH[self.op][1](self.a.astype(np.float32), self.out.astype(np.float32))
                gradient = (grad * derivative).astype(np.float16)
            else:
                derivative = SMOOTH[self.op][1](self.a, self.out)
                gradient = grad * derivative
        operands = (derivative, grad) if self.op in _DERIVATIVE_FIRST else (grad, derivative)
        return (_memory_format.iterator_layout(gradient, operands),)

    def backward_graph(self, grad):
        if self.op == "sinc":
            return (_sinc_gradient(grad, self.graph_input(0, self.a)),)
        global _SMOOTH_GRAPH_FORMULAS
        if _SMOOTH_GRAPH_FORMULAS is None:
            _SMOOTH_GRAPH_FORMULAS = _graph_formulas()
        formula = _SMOOTH_GRAPH_FORMULAS.get(self.op)
        if formula is None:
            from ..autograd.graph import no_graph_backward_message

            raise NotImplementedError(no_graph_backward_message(self))
        # (PyTorch's derivative * grad is laid out as the derivative, the input's layout)
        return (formula(grad, self.graph_input(0, self.a), lambda: self.graph_output(self.out)),)

    def name(self):
        return SMOOTH[self.op][2]


def sign(x):
    """-1, 0 or 1 elementwise; NaN gives 0, as in PyTorch (NumPy: NaN)."""
    if x.dtype.kind == "V":  # bfloat16 through float32 (ml_dtypes' sign of -0.0 is -0.0, PyTorch's 0.0)
        return sign(x.astype(np.float32)).astype(x.dtype)
    out = np.sign(x)
    return np.where(np.isnan(out), np.zeros((), out.dtype), out) if x.dtype.kind == "f" else out


class Logit(Node):
    """log(x / (1 - x)), x first clamped to [eps, 1 - eps] when ``eps`` is given; the gradient is then 0 outside
    that range (without eps: NaN outside [0, 1]), as in PyTorch."""
    elementwise = True

    saved = ("a",)
    torch_saved = {"eps": lambda node: None if node.eps is None else float(node.eps), "self": SavedInput(0, "a")}

    def forward(self, a, eps=None):
        self.a, self.eps = a, eps
        # (PyTorch's clamp is x < eps ? eps : x > 1 - eps ? 1 - eps : x, so an eps above 1/2 sends x to either end)
        x = a if eps is None else np.where(a < eps, eps, np.where(a > 1 - eps, 1 - eps, a)).astype(a.dtype, copy=False)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x / (1 - x))

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    def _outside(self):
        """Where the gradient is not the formula's, and its value there: 0 outside [eps, 1 - eps], NaN outside
        [0, 1] without eps (a negative eps is none to PyTorch's kernels)."""
        a = self.a
        if self.eps is None or self.eps < 0:
            return (a < 0) | (a > 1), np.nan
        return (a < self.eps) | (a > 1 - self.eps), 0

    def backward(self, grad):
        a = self.a
        with np.errstate(divide="ignore", invalid="ignore"):
            g = grad / (a * (1 - a))
            # At 0 and 1 PyTorch's scalar code answers grad * inf, the same but at -0.0, where its vector loop's
            # formula (this) gives -inf for a positive grad (see cpu_loops.scalar_tail)
            negative_zeros = (a == 0) & np.signbit(a)
            if negative_zeros.any():
                tail = scalar_tail(a, vectors=2, others=(grad,))
                if tail is not None:
                    g = np.where(negative_zeros & tail, grad * np.asarray(np.inf, grad.dtype), g)
        outside, fill = self._outside()
        return (np.where(outside, np.asarray(fill, g.dtype), g),)

    def backward_graph(self, grad):
        from .shape import Where

        from .arithmetic import number_minus

        # PyTorch's infinitely_differentiable_logit_backward: where(lo <= x <= hi, grad / (x * (1.0 - x)), fill),
        # its 1.0 - x C++'s (SubBackward0); a NaN is outside, any eps (a negative one too) bounds the range
        lo, fill = (0.0, np.nan) if self.eps is None else (self.eps, 0)
        a = self.a
        inside = (a >= lo) & (a <= 1.0 - lo)
        x = self.graph_input(0, a)
        return (Where.apply(grad / (x * number_minus(1.0, x)), grad._wrap(np.asarray(fill, grad._data.dtype)),
                            condition=inside),)


class NanToNum(Node):
    """NaN and infinities replaced by finite values; the gradient passes where the input was finite."""

    elementwise = True  # (laid out as TensorIterator does: NumPy's copy would follow an expanded input's strides)
    saved = ("finite", "a")
    torch_saved = {"self": SavedInput(0, "a")}

    laid_out = Node.laid_out_like_input  # (PyTorch's nan_to_num writes into empty_like(input))

    def forward(self, a, nan=0.0, posinf=None, neginf=None):
        self.finite, self.a = np.isfinite(a), a
        return np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    def backward(self, grad):
        return (np.where(self.finite, grad, np.zeros((), grad.dtype)),)

    def backward_graph(self, grad):  # times the mask, as PyTorch: a NaN met later stays NaN
        return (grad * grad._wrap(self.finite.astype(grad._data.dtype)),)


class Cast(Node):
    """A change of dtype; the gradient is cast back to the input's dtype."""

    # (linear with real coefficients: PyTorch's formula, the real part or a cast, needs no conjugates around it)
    complex_aware_graph = True
    keeps_real_view = True  # (see backward)

    def forward(self, a, dtype=None, memory_format=None):
        self.src = a.dtype
        layout = a  # (a complex array's real part is strided: the copy takes the layout of the array itself)
        if dtype is not None:
            a = _dtype.cast_source(a, np.dtype(dtype))
        if memory_format is not None:  # Tensor.to(memory_format=...): a copy in that layout
            with np.errstate(over="ignore", invalid="ignore"):
                return _memory_format.copy_as(a, memory_format, dtype)
        if dtype == np.float16 or a.dtype.kind == "f" and (dtype.kind != "f" or dtype.itemsize < a.itemsize):
            # inf beyond the range, arbitrary integers for nan: silently, as in PyTorch (errstate is too slow to
            # use for the casts that cannot overflow)
            with np.errstate(over="ignore", invalid="ignore"):
                out = a.astype(dtype)
        else:
            out = a.astype(dtype)
        # (a C-contiguous array has C order's strides unless it has size-1 or size-0 dims, whose strides vary)
        return out if layout.flags.c_contiguous and a.size and 1 not in a.shape else \
            _memory_format.preserving(out, layout)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        if grad.dtype.kind == "c" and self.src.kind != "c":  # back to a real dtype: the real part, as in PyTorch
            grad = grad.real  # (a strided view, kept where its dtype is the input's: PyTorch's to(copy=False))
            return (grad if grad.dtype == self.src and self.keeps_real_view else grad.astype(self.src),)
        # (PyTorch's grad.to(dtype) keeps the gradient's strides, those of size-1 dims too: a channels-last 1x1
        # weight's (4, 1, 4, 4), which NumPy's astype makes (4, 1, 1, 1))
        return (_memory_format.preserving(grad.astype(self.src), grad),)

    def backward_graph(self, grad):
        if grad._data.dtype.kind == "c" and self.src.kind != "c":  # (the real part, as backward)
            grad = grad.real
        return (grad._cast(self.src),)

    def name(self):
        return "ToCopyBackward0"


class Promotion(Cast):
    """An operand's conversion to the dtype an op computes in (float64 + float32): PyTorch's kernels convert
    their operands themselves, so its graph has no node for it, and ``next_functions`` look through this one."""

    listed_through = True
    keeps_real_view = False  # (the ops a promotion stands for give a real operand's gradient dense)


class Clone(Node):
    """A copy: in PyTorch's preserve_format layout (``x.t().clone()`` stays transposed), in C order for
    ``contiguous()``, or in the layout of a ``memory_format`` given."""

    def forward(self, a, contiguous=False, memory_format=None):
        if memory_format is not None:
            return _memory_format.copy_as(a, memory_format)
        return a.copy() if contiguous else copy_preserving_layout(a)

    jvp = forward_ad.linear_jvp  # (linear: the op of the tangents)

    def backward(self, grad):
        return (grad,)

    def backward_graph(self, grad):
        return (grad,)


def copy_preserving_layout(a):
    """A dense copy of ``a`` ordered in memory as ``a`` is (PyTorch's preserve_format)."""
    if a.flags.c_contiguous:
        out = a.copy()
        if out.strides == a.strides:
            return out
        # the same order but other strides at size-1 dims (a channels-last N1HW tensor): PyTorch keeps them
    return _memory_format.copy_as(a, _memory_format.preserve_format)


def dense_strides_like(a):
    """PyTorch's strides (in elements) for a dense copy of ``a`` that keeps its dims' order in memory
    (at::infer_dense_strides): dims sorted by stride, innermost first, with an expanded (stride-0) dim left
    where C order puts it, and ties broken by size. NumPy's order='K' differs there: it moves stride-0 dims
    innermost."""
    shape, strides = a.shape, [abs(s) for s in a.strides]
    ndim = len(shape)

    def should_swap(d0, d1):
        s0, s1 = strides[d0], strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return -1 if s0 < s1 else 1
        return 1 if shape[d0] > shape[d1] else 0

    perm = _memory_format.innermost_first(ndim, should_swap)
    out, step = [0] * ndim, 1
    for d in perm:
        out[d] = step
        step *= max(shape[d], 1)
    return out
