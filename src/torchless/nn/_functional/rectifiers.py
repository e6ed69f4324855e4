"""Leaky rectifiers whose negative slope is learned (prelu) or random (rrelu).

rrelu in training draws its slopes from torchless's default generator (``torchless.manual_seed`` makes
them reproducible; the numbers are not PyTorch's, whose generator differs).
"""
import math

import numpy as np

from ... import _memory_format
from ..._ops.shape import Where
from ..._ops.unary import masked_gradient
from ..._parser_errors import wrong_type
from ...autograd import forward_ad
from ...autograd.graph import Node, autocast_cast
from ...autograd.saved_values import Saved, SavedInput, saved_result
from ...random import Generator, stream
from ._args import Param, _tp_name, check_tensor, native, native_binding
from .activation import (_c_strided, _check_floating, _maybe_inplace, check_in_place_slope, mask_laid_out_as,
                         number_argument, opmath_scalar, real_scalar, zero_derivative_of_operand)

__all__ = ["prelu", "rrelu", "rrelu_"]


# ---------------------------------------------------------------------------- prelu
class PreluKernel(Node):
    tangent_node_name = "WhereBackward0"  # (see forward_ad.recorded_on_values)
    elementwise = True  # (a TensorIterator over the input and the weight: apply lays the result out)
    backward_is_one_op = True
    saved = ("x", "weight")
    # (the weight as the kernel reads it, shaped to the channels' dim: a view of PyTorch's, here a plain tensor)
    torch_saved = {"self": SavedInput(0, "x"), "weight": Saved("weight")}

    def forward(self, x, weight):
        """``weight``: viewed to broadcast along the channels (dim 1) of ``x``, or one for all (see prelu)."""
        self.weight_shape = weight.shape
        self.x, self.weight = x, weight
        return np.where(x > 0, x, weight * x)

    def backward(self, grad):
        x, weight = self.x, self.weight
        positive = x > 0  # a NaN is not: it takes the weight's side, as in PyTorch
        grad_input = None
        if self.needs_input_grad[0]:  # (PyTorch's kernel lays it out as the input first, then the weight and grad:
            # the weight's broadcast shape keeps TensorIterator from its fast setup, C order for a channels-last input
            # whose size-1 dims make it C-contiguous too)
            grad_input = _memory_format.iterator_layout(np.where(positive, grad, weight * grad), (x, weight, grad))
        grad_weight = None
        if self.needs_input_grad[1]:
            full = np.where(positive, 0, x * grad)
            axes = tuple(i for i, (w, n) in enumerate(zip(weight.shape, full.shape)) if w == 1 and n != 1)
            # Accumulated in float64: a channel's terms x * grad cancel (grad is of any sign).
            grad_weight = full.sum(axis=axes, keepdims=True, dtype=np.float64).astype(x.dtype, copy=False)
            grad_weight = grad_weight.reshape(self.weight_shape)
        return grad_input, grad_weight

    def backward_graph(self, grad):
        x, weight = self.x, self.weight
        positive = x > 0
        grad_input = grad_weight = None
        if self.needs_input_grad[0]:
            grad_input = Where.apply(grad, self.graph_input(1, weight) * grad, condition=positive)
            # (PyTorch's backward op reads the input, of derivative zero there: the gradient requires grad as it does)
            grad_input = zero_derivative_of_operand(self, grad_input, "PreluKernelBackwardBackward0", grad, x.shape)
        if self.needs_input_grad[1]:  # of the input's shape, as PyTorch's kernel gives it: summed after (summed_to)
            grad_weight = masked_gradient(~positive, self.graph_input(0, x) * grad)
        return grad_input, grad_weight

    @property
    def summed_to(self):
        return {1: self.weight_shape}


@native("prelu", [Param("input", "Tensor"), Param("weight", "Tensor")], list_size=1)
def prelu(input, weight):
    r"""PReLU(x) = max(0, x) + weight * min(0, x), elementwise.

    weight: a scalar or 1-D tensor, of the input's dtype; with C > 1 elements, one slope per channel,
    C = input.size(1) (1 for a 1-D input). Shape: input (N, C, *) or any shape for a single weight;
    the output has the input's shape.
    """
    input, weight = autocast_cast("lower", input, weight)
    if input.dtype != weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {input.dtype.scalar_name} and "
                           f"{weight.dtype.scalar_name}")
    count = weight.numel()
    if count != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.dim() > 1 else 1
        if channels != count:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{count} and channel size = {channels}.")
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    _check_floating(input, "prelu_cpu")
    if input.dim() != weight.dim():  # PyTorch's view of the weight along the channels (dim 1), a node of the graph
        weight = weight.reshape([1] * input.dim() if input.dim() < 2 else [1, count] + [1] * (input.dim() - 2))
    return PreluKernel.apply(input, weight)


# ---------------------------------------------------------------------------- rrelu
class RreluWithNoise(Node):
    """x * noise, noise 1 where x > 0 and a slope elsewhere: drawn from U(lower, upper) per element in
    training, (lower + upper) / 2 otherwise. The gradient is grad * noise, except that PyTorch takes the
    mean slope's (leaky_relu's) gradient when upper - lower <= 1e-6."""
    tangent_node_name = "RreluWithNoiseBackwardBackward0"  # (see forward_ad.recorded_on_values)

    saved = ("scale", "input", "noise")
    saves = (0,)  # PyTorch saves the input (rrelu_with_noise_: the result)
    _shown = {"lower": lambda node: node.lower, "upper": lambda node: node.upper,
              "training": lambda node: node.training, "noise": Saved("noise")}
    # (in eval PyTorch's noise is an empty tensor its kernel never writes: any values; these are the slopes used)
    torch_saved = {"RreluWithNoiseBackward0": {**_shown, "self": SavedInput(0, "input")},
                   "RreluWithNoiseBackward1": {**_shown, "result": saved_result(lambda node: node.input * node.scale)}}

    def forward(self, x, lower, upper, training, inplace=False, generator=None):
        self.inplace, self.lower, self.upper, self.training, self.input = inplace, lower, upper, training, x
        if inplace:
            self._checked_inputs, self._saves_output = (), True
        dtype = x.dtype.type
        mean = dtype((lower + upper) / 2)
        if training:
            # one float64 uniform on [lower, upper) per element x <= 0, in order, as PyTorch draws them (a NaN keeps
            # noise 1 and draws none), its bounds first rounded to x's dtype (its multiply-add is not fused, unlike
            # uniform_'s: measured)
            negative = x <= 0
            noise = np.ones(x.shape, x.dtype)
            low, high = float(dtype(lower)), float(dtype(upper))
            noise[negative] = stream(generator).unit_uniforms(int(negative.sum()), np.float64) * (high - low) + low
            self.mean_slope = None  # (in training, PyTorch's in-place backward takes any slope)
            self.scale = noise if upper - lower > 1e-6 else np.where(x > 0, dtype(1), mean)
            self.noise = noise
            return _c_strided(x * noise)
        if x.dtype == np.float16:  # leaky_relu's float16 kernel: the slope in float32, the product rounded once
            mean = np.float32((lower + upper) / 2)
        # leaky_relu: a NaN takes the slope (the slopes laid out as the input, by which the gradient is)
        noise = mask_laid_out_as(np.where(x > 0, mean.dtype.type(1), mean), x)
        # (mean_slope: leaky_relu's gradient is refused in place for a negative slope)
        self.scale, self.mean_slope, self.noise = noise, mean, noise
        # into a contiguous output, as PyTorch's leaky_relu_out into empty_like(self, LEGACY_CONTIGUOUS_MEMORY_FORMAT)
        with np.errstate(invalid="ignore"):  # (0 * an infinite slope: NaN, silently)
            return _c_strided(np.multiply(x, noise, out=np.empty(x.shape, x.dtype), casting="same_kind"))

    def backward(self, grad):
        if self.mean_slope is not None:
            check_in_place_slope(self.inplace, self.mean_slope)
        # PyTorch's gradient is C-contiguous after training (as measured, whatever the input's and the output
        # gradient's layouts); in eval mode it is leaky_relu_backward(self, grad_output)'s, whose TensorIterator
        # follows its first operand, the input (which the slopes' layout is)
        if self.training:
            return (np.multiply(grad, self.scale, out=np.empty(grad.shape, grad.dtype)),)
        return (_memory_format.iterator_layout((grad * self.scale).astype(grad.dtype, copy=False), (self.scale, grad)),)

    def backward_graph(self, grad):  # the slopes are constants of the graph
        if self.mean_slope is not None:
            check_in_place_slope(self.inplace, self.mean_slope)
        # (the slopes first, whose layout backward's is: C order after training, else the input's)
        return (zero_derivative_of_operand(self, grad._wrap(self.scale) * grad, "RreluWithNoiseBackwardBackward0",
                                           grad, self.input.shape, result=self.inplace),)

    def name(self):
        return "RreluWithNoiseBackward1" if self.inplace else "RreluWithNoiseBackward0"


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    r"""RReLU(x) = x if x >= 0, a * x otherwise (Xu et al., 2015), elementwise.

    In training, a ~ U(lower, upper) drawn per element from the default generator; otherwise a is the
    mean slope (lower + upper) / 2, i.e. leaky_relu(x, (lower + upper) / 2).
    Shape: any; the output has the input's shape and floating dtype (float32 or float64 in training).
    """
    return native_rrelu(input, lower, upper, training, inplace=inplace, wrapped=2)


def native_rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None, inplace=False, wrapped=False):
    """PyTorch's native rrelu (rrelu_ ``inplace``), whose training slopes come from ``generator`` (None: the
    default one); ``wrapped``: called by F.rrelu (see number_argument)."""
    name = "rrelu_" if inplace else "rrelu"
    check_tensor(input, name)
    lower = number_argument(lower, name, "lower", 2, wrapped=wrapped)
    upper = number_argument(upper, name, "upper", 3, wrapped=wrapped)
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"{name}(): argument 'training' (position 4) must be bool, not {_tp_name(training)}")
    if generator is not None and not isinstance(generator, Generator):
        raise wrong_type(name, "generator", 5, generator, "torchless.Generator")
    if forward_ad.state.vmap_levels:  # PyTorch's vmap refuses the op inside it, batched input or not
        raise RuntimeError(f"vmap: we do not yet support aten::{name}. Please file an issue")
    lower, upper = real_scalar(lower), real_scalar(upper)
    if not inplace:  # (the out-of-place native's checks: rrelu_ has none)
        for bound, value in (("lower", lower), ("upper", upper)):
            if not math.isfinite(value):
                raise RuntimeError(f"rrelu: {bound} bound must be finite, got {value}")
    if not lower <= upper:  # (NaN bounds too)
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if training:
        if input._data.dtype not in (np.float32, np.float64):  # PyTorch's training kernel has no float16
            raise NotImplementedError(f"\"rrelu_with_noise_out_cpu\" not implemented for '{input.dtype.scalar_name}'")
        low, high = (float(opmath_scalar(bound, input)) for bound in (lower, upper))  # (its kernel's type)
        if np.any(input._data <= 0) and not high - low <= np.finfo(np.float64).max:
            # the uniform distribution the slopes are drawn from refuses an infinite range (when it draws any)
            raise RuntimeError("Expected to - from <= std::numeric_limits<T>::max() to be true, but got false.  "
                               "(Could this error message be improved?  If so, please report an enhancement "
                               "request to PyTorch.)")
    else:
        _check_floating(input, "leaky_relu_cpu")
        opmath_scalar((lower + upper) / 2, input)
    return _maybe_inplace(input, RreluWithNoise, inplace, lower=lower, upper=upper, training=bool(training),
                          inplace=inplace, generator=generator)


@native_binding
def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    """In-place :func:`rrelu` (PyTorch's native rrelu_, which takes the ``generator`` of the slopes too)."""
    return native_rrelu(input, lower, upper, training, generator, inplace=True)
