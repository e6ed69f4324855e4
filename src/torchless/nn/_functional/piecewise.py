"""Piecewise-defined activations: threshold, hardshrink, softshrink, hardsigmoid and hardswish.

Each is one formula per interval of the input, its gradient likewise. At the breakpoints and for NaN
they follow PyTorch's vectorised CPU kernels, which treat every element of a large tensor (PyTorch's
scalar loop over the last few elements of a tensor can differ for NaN: see the functions).
"""
import numpy as np

from ... import _dtype, _memory_format
from ..._kernels.cpu_loops import scalar_tail, scalar_tail_nans
from ..._ops.shape import Where
from ..._ops._util import grad_first
from ..._ops.unary import masked_gradient
from ...autograd import forward_ad
from ...autograd._graph_backward import gradient_without_derivative, laid_out_as_iterator_of_gradient
from ...autograd.graph import Node
from ...autograd.saved_values import SavedInput
from ._args import check_tensor, native_binding
from ._norm_checks import compute_dtype
from .activation import (_check_floating, _maybe_inplace, mask_laid_out_as, number_argument, opmath_operands,
                         opmath_scalar, real_scalar, zero_derivative_of_operand)

__all__ = ["threshold", "threshold_", "hardshrink", "softshrink", "hardsigmoid", "hardswish"]


# ---------------------------------------------------------------------------- threshold
class Threshold(Node):
    tangent_node_name = "ThresholdBackwardBackward0"  # (see forward_ad.recorded_on_values)
    elementwise = True
    backward_is_one_op = True
    saved = ("keep", "x")
    _shown = {"self": SavedInput(0, "x"), "threshold": lambda node: node.given}
    torch_saved = {"ThresholdBackward0": _shown, "ThresholdBackward1": _shown}

    def forward(self, x, threshold, value, inplace=False, given=None):
        """``given``: the threshold as the call gave it (the node shows it)."""
        self.inplace, self.x, self.given = inplace, x, given
        # The gradient passes where the input exceeds the threshold, in place too: PyTorch 2.13's in-place node
        # saves a clone of the input, so a value above the threshold does not let it through where it replaced x.
        self.keep = ~(x <= threshold)  # NaN is kept
        return np.where(x <= threshold, np.asarray(value, x.dtype), x)

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    def backward(self, grad):
        # (PyTorch's threshold_backward lays its output out as the input first, then grad; the mask is the input's)
        masked = np.where(self.keep, grad, np.zeros((), grad.dtype))
        return (_memory_format.iterator_layout(masked, (mask_laid_out_as(self.keep, self.x), grad)),)

    def backward_graph(self, grad):
        return (zero_derivative_of_operand(self, masked_gradient(self.keep, grad), "ThresholdBackwardBackward0", grad,
                                           self.x.shape, result=self.inplace),)

    def name(self):
        return "ThresholdBackward1" if self.inplace else "ThresholdBackward0"


def _threshold(input, threshold, value, inplace=False):
    r"""Threshold(x) = x if x > threshold, else value; elementwise, any dtype but bool.

    Integer tensors compare with the threshold truncated to an integer and take the value truncated too.
    Shape: any; the output has the input's shape and dtype.
    """
    name = "threshold_" if inplace else "threshold"
    check_tensor(input, name)
    threshold = given = number_argument(threshold, name, "threshold", 2)
    value = number_argument(value, name, "value", 3)
    input._no_kernel_for("bc", "threshold_cpu")
    np_dtype = input._data.dtype
    # float16 compares in float32 (PyTorch's opmath type), but the value must fit float16 itself.
    threshold = np.asarray(opmath_scalar(threshold, input), np.float32 if np_dtype == np.float16 else np_dtype)[()]
    value = _dtype.scalar_argument(value, np_dtype)
    # PyTorch's threshold_ does not check its input for internal overlap (an expanded tensor is written through)
    return _maybe_inplace(input, Threshold, inplace, fills=True, threshold=threshold, value=value, inplace=inplace,
                          given=given)


threshold = _threshold  # PyTorch's function is named _threshold too (its TypeErrors say so)


@native_binding
def threshold_(input, threshold, value):
    """threshold_(input, threshold, value) -> Tensor

    In-place version of :func:`threshold`: elements of ``input`` not greater than ``threshold`` become ``value``.

    Examples::

        >>> x = torch.tensor([-1.0, 0.5, 2.0])
        >>> F.threshold_(x, 1.0, 0.0)
        tensor([0., 0., 2.])
    """
    return _threshold(input, threshold, value, inplace=True)


# ---------------------------------------------------------------------------- shrinkage
class Hardshrink(Node):
    tangent_node_name = "HardshrinkBackwardBackward0"  # (see forward_ad.recorded_on_values)
    elementwise = True
    backward_is_one_op = True
    saved = ("outside", "x")
    torch_saved = {"self": SavedInput(0, "x"), "lambd": lambda node: node.given}

    def forward(self, x, lambd, given=None):
        """``given``: lambd as the call gave it (the node shows it)."""
        self.x, self.given = x, given
        inside = (x >= -lambd) & (x <= lambd)
        self.outside = (x < -lambd) | (x > lambd)  # not ~inside: a NaN gets no gradient (PyTorch's vector path)
        return np.where(inside, np.zeros((), x.dtype), x)

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @grad_first("x")
    def backward(self, grad):
        outside = self.outside
        nans = scalar_tail_nans(self.x, others=(grad,))  # (the scalar code passes a NaN's gradient, the vector code 0)
        if nans is not None:
            outside = outside | nans
        return (np.where(outside, grad, np.zeros((), grad.dtype)),)

    def backward_graph(self, grad):
        return (zero_derivative_of_operand(self, masked_gradient(self.outside, grad),
                                           self.name().removesuffix("0") + "Backward0", grad,
                                           self.x.shape),)


class Softshrink(Hardshrink):
    tangent_node_name = "SoftshrinkBackwardBackward0"  # (see forward_ad.recorded_on_values)

    def forward(self, x, lambd, given=None):
        self.x, self.given = x, given
        own = x.dtype.type(lambd)  # (the backward kernel compares in x's dtype, float16 too; the forward in float32)
        self.outside = (x < -own) | (x > own)
        inside = (x >= -lambd) & (x <= lambd)
        # +0.0 in between, even for x = -0.0 or -0.1, in PyTorch's vectorised loop; x * 0 in its scalar code (see
        # scalar_tail). A NaN falls through to x + lambd: NaN. (float16 with lambd in float32, rounded once)
        between = np.zeros((), x.dtype)
        if x.dtype in (np.float16, np.float32, np.float64):
            tail = scalar_tail(x)
            if tail is not None:
                with np.errstate(invalid="ignore"):  # (inf * 0, outside the interval anyway)
                    between = np.where(tail, x * 0, between)
        out = np.where(inside, between, np.where(x > lambd, x - lambd, x + lambd))
        return out.astype(x.dtype, copy=False)


@native_binding
def hardshrink(input, lambd=0.5):
    r"""Hardshrink(x) = x if |x| > lambd, else 0; elementwise.

    Shape: any; the output has the input's shape and floating dtype.
    """
    check_tensor(input, "hardshrink")
    lambd = number_argument(lambd, "hardshrink", "lambd", 2)
    _check_floating(input, "hardshrink_cpu")
    np_dtype = input._data.dtype
    return Hardshrink.apply(input, lambd=np_dtype.type(_dtype.scalar_argument(lambd, np_dtype)), given=lambd)


@native_binding
def softshrink(input, lambd=0.5):
    r"""Softshrink(x) = x - lambd if x > lambd, x + lambd if x < -lambd, else 0; elementwise. lambd >= 0.

    Shape: any; the output has the input's shape and floating dtype.
    """
    check_tensor(input, "softshrink")
    lambd = number_argument(lambd, "softshrink", "lambd", 2)
    _check_floating(input, "softshrink_check")
    lambd = real_scalar(lambd)
    np_dtype = input._data.dtype
    largest = float(np.finfo(np_dtype).max)
    if not 0 <= lambd <= largest:  # False for NaN too
        raise RuntimeError(f"lambda must be in range [0, {largest:g}] for input dtype {input.dtype.scalar_name}, "
                           f"but found {lambd:g}")
    return Softshrink.apply(input, lambd=compute_dtype(input._data).type(lambd), given=lambd)


# ---------------------------------------------------------------------------- hard sigmoid and swish
class Hardsigmoid(Node):
    elementwise = True
    saved = ("x",)
    torch_saved = {"self": SavedInput(0, "x")}

    def forward(self, x):
        self.x = x
        opmath = opmath_operands(x)[0]  # (float16 in float32, rounded once, as PyTorch's kernel)
        return (np.minimum(np.maximum(opmath + 3, 0), 6) / 6).astype(x.dtype, copy=False)  # (maximum keeps NaN)

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @grad_first("x")
    def backward(self, grad):
        x, g = opmath_operands(self.x, grad)
        sixth = x.dtype.type(np.float32(1) / np.float32(6))  # PyTorch's kernel: 1.0f / 6.0f, in float64 too
        return (np.where((x > -3) & (x < 3), (g * sixth).astype(grad.dtype, copy=False), np.zeros((), grad.dtype)),)

    def backward_graph(self, grad):  # PyTorch's backward of this op, which reads the input, has no derivative
        gradient, = self.backward(grad._data)
        return (gradient_without_derivative(gradient, grad, self.graph_input(0, self.x), _NO_HARDSIGMOID_DERIVATIVE),)


_NO_HARDSIGMOID_DERIVATIVE = RuntimeError, "derivative for aten::hardsigmoid_backward is not implemented"


def hardsigmoid(input, inplace=False):
    """hardsigmoid(input, inplace=False) -> Tensor

    Applies the hard sigmoid element-wise: 0 if x <= -3, 1 if x >= 3, x / 6 + 1 / 2 otherwise. See
    :class:`~torchless.nn.Hardsigmoid`.

    Args:
        input (Tensor): a floating point tensor
        inplace (bool, optional): write the result into ``input``. Default: ``False``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> F.hardsigmoid(torch.tensor([-4.0, 0.0, 1.5, 4.0]))
        tensor([0.0000, 0.5000, 0.7500, 1.0000])
    """
    check_tensor(input, "hardsigmoid_" if inplace else "hardsigmoid")
    _check_floating(input, "hardsigmoid_cpu")
    return _maybe_inplace(input, Hardsigmoid, inplace)


class Hardswish(Node):
    elementwise = True
    backward_is_one_op = True
    saved = ("x",)
    torch_saved = {"self": SavedInput(0, "x")}

    def forward(self, x):
        self.x = x
        with np.errstate(invalid="ignore"):  # -inf * 0: NaN, as in PyTorch
            if x.dtype == np.float16:  # in float32, rounded once, as PyTorch's kernel (x * x overflows half)
                opmath = x.astype(np.float32)
                return (opmath * np.minimum(np.maximum(opmath + 3, 0), 6) / 6).astype(np.float16)
            return x * np.minimum(np.maximum(x + 3, 0), 6) / 6

    jvp = forward_ad.diagonal_jvp  # (elementwise: the backward of the tangent)

    @grad_first("x")
    def backward(self, grad):
        x, g = opmath_operands(self.x, grad)
        # A NaN falls through to the middle formula, giving NaN, in PyTorch's vector loop; its scalar code passes the
        # gradient (see scalar_tail)
        middle = (g * (x / 3 + x.dtype.type(0.5))).astype(grad.dtype, copy=False)
        passes = x >= 3
        nans = scalar_tail_nans(self.x, vectors=2, others=(grad,))
        if nans is not None:
            passes = passes | nans
        return (np.where(x <= -3, np.zeros((), grad.dtype), np.where(passes, grad, middle)),)

    def backward_graph(self, grad):
        # (the output gradient's own gradient is hardswish_backward(that gradient, self): laid out by it first)
        return (laid_out_as_iterator_of_gradient(self._gradient_tensor, (grad,), (self.x,)),)

    def _gradient_tensor(self, grad):
        x = self.x
        middle = grad * (self.graph_input(0, x) / 3 + x.dtype.type(0.5))
        return masked_gradient(~(x <= -3), Where.apply(grad, middle, condition=x >= 3))


def hardswish(input, inplace=False):
    r"""Hardswish(x) = 0 if x <= -3, x if x >= 3, x * (x + 3) / 6 otherwise; elementwise
    (Howard et al., *Searching for MobileNetV3*, 2019).

    Shape: any; the output has the input's shape and floating dtype.
    """
    check_tensor(input, "hardswish_" if inplace else "hardswish")
    _check_floating(input, "hardswish_cpu")
    return _maybe_inplace(input, Hardswish, inplace)
