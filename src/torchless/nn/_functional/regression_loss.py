r"""Robust regression losses: smooth_l1_loss and huber_loss, quadratic near zero and linear beyond.

Both are single PyTorch nodes (``SmoothL1LossBackward0``, ``HuberLossBackward0``) that also give a
gradient to the target. As in PyTorch the two tensors are broadcast together first (with a warning
when their sizes differ); smooth_l1_loss computes in the promoted dtype, huber_loss writes its loss
in the input's dtype.
"""
import numpy as np

from ... import _dtype, _memory_format
from ..._kernels.cpu_loops import vectorised
from ..._type_promotion import promote
from ..._ops._util import c_ordered_gradients
from ..._ops.shape import Where
from ...autograd import forward_ad
from ...autograd.graph import Node, autocast_cast, save_tensor_versions
from ._moments import quiet
from ._norm_checks import check_float_arg
from .loss import _broadcast, _reduce, _reduction, _warn_size, l1_loss

__all__ = ["smooth_l1_loss", "huber_loss"]


def _scalar_name(np_dtype):
    return _dtype.from_numpy_dtype(np_dtype).scalar_name


def _mean_scale(grad, reduction, size):
    """The gradient reaching each element's loss from a reduced one."""
    if reduction == "mean":
        return grad / size if size else grad  # of no elements the gradient is empty anyway
    return grad


class _PiecewiseLoss(Node):
    """An elementwise loss of d = input - target, reduced; backward gives d' to the input and -d' to the target."""
    # (PyTorch's bfloat16 kernels compute as its half ones: each step rounded to bfloat16, as ml_dtypes' bfloat16
    # arrays do (see _opmath), or in float32 and rounded once (float_forward); the losses rounded before reduced)
    bfloat16_in_float32 = "kernel"
    autocast = "float32"  # (its list in PyTorch's CPU autocast)

    saved = ("diff",)
    backward_is_one_op = True  # (smooth_l1_loss_backward, huber_loss_backward)
    backward_inputs_of = {1: (1, 0)}  # the target's gradient: <op>_backward(grad, target, self)

    @quiet
    def forward(self, x, t, reduction="mean", param=1.0, out_dtype=None):
        self.dtypes, self.reduction, self.param = (x.dtype, t.dtype), reduction, param
        common = promote(x.dtype, t.dtype)
        # the elements its backward kernel computes one by one, by the layouts: of the C-contiguous gradient it makes
        gradient = np.empty(np.broadcast_shapes(x.shape, t.shape), common)
        self.scalar_tail = ~vectorised(gradient, others=(x, t))
        self.diff = x.astype(common, copy=False) - t.astype(common, copy=False)
        if common.itemsize == 2 and common.kind in self.float_forward:  # (in float32, rounded once)
            losses = self.losses(np.abs(x.astype(np.float32) - t.astype(np.float32)), param)
        else:
            losses = self.losses(np.abs(self.diff), param)
        return _reduce(losses.astype(out_dtype or common, copy=False), reduction, operands=(x, t))

    @c_ordered_gradients  # (PyTorch's backward ops allocate their gradients C-contiguous, the target's too)
    def backward(self, grad):
        norm = 1 / self.diff.size if self.reduction == "mean" and self.diff.size else 1.0
        with np.errstate(over="ignore", invalid="ignore"):
            g = self.kernel_gradient(self.diff, self.param, norm, np.broadcast_to(grad, self.diff.shape))
        # (the target's gradient is the kernel's of (target, input): the same, negated)
        gx = g.astype(self.dtypes[0], copy=False) if self.needs_input_grad[0] else None
        gt = (-g).astype(self.dtypes[1], copy=False) if self.needs_input_grad[1] else None
        return gx, gt

    def backward_graph(self, grad):
        diff, param = self.diff, self.param
        x, t = self.graph_input(0, diff), self.graph_input(1, np.zeros_like(diff))
        d = x._cast(diff.dtype) - t._cast(diff.dtype)
        d = d + d._wrap(diff - d._data)  # a leaf enters as itself: the constant makes the value diff's
        # NaN is inside: its derivative stays NaN. (In C order, as the gradient is: the mask's layout, which the
        # where's backward follows, is then the one of PyTorch's double backward formula, grad * mask / beta.)
        outside = _memory_format.c_ordered((diff <= -param) | (diff >= param))
        edge = d._wrap(self.derivative(diff, param))  # constant outside
        g = Where.apply(edge, self.inside_derivative(d, param), condition=outside)
        g = g * _mean_scale(grad, self.reduction, diff.size)
        return (g._cast(self.dtypes[0]) if self.needs_input_grad[0] else None,
                (-g)._cast(self.dtypes[1]) if self.needs_input_grad[1] else None)


class SmoothL1Loss(_PiecewiseLoss):
    float_forward = "V"  # (its float16 kernel computes in float16, its bfloat16 one in float32)

    def forward(self, x, t, **params):
        self.wide_diff = None  # (its half and bfloat16 backward kernels read the difference in float32)
        if promote(x.dtype, t.dtype).itemsize == 2:
            self.wide_diff = x.astype(np.float32) - t.astype(np.float32)
        return super().forward(x, t, **params)

    def kernel_gradient(self, diff, beta, norm, grad):
        """smooth_l1_loss_backward as ATen's kernel computes it (in float32 for half and bfloat16): norm * (sign or
        d / beta) * grad in its vectors, norm * d * grad / beta (a double quotient) one by one."""
        d = diff if self.wide_diff is None else self.wide_diff
        real = d.dtype.type
        g, norm_, beta_ = grad.astype(d.dtype, copy=False), real(norm), real(beta)
        inside = np.where(np.abs(d) >= beta_, np.where(d > 0, real(1), real(-1)), d / beta_)
        vectorised = norm_ * inside * g
        one_by_one = np.where(d <= -beta, -norm_ * g, np.where(d >= beta, norm_ * g, (
            (norm_ * d * g).astype(np.float64) / beta).astype(d.dtype)))
        return np.where(self.scalar_tail, one_by_one, vectorised).astype(diff.dtype, copy=False)

    @staticmethod
    def losses(z, beta):
        return np.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta)

    @staticmethod
    def derivative(d, beta):
        # PyTorch's branches: -1 at or below -beta, 1 at or above beta, d / beta between (nan stays nan).
        return np.where(d <= -beta, -1.0, np.where(d >= beta, 1.0, d / beta)).astype(d.dtype, copy=False)

    @staticmethod
    def inside_derivative(d, beta):  # a tensor of the graph, for backward_graph
        return d / beta


class HuberLoss(_PiecewiseLoss):
    float_forward = "f"  # (its float16 kernel computes in float32; its bfloat16 one rounds each step)

    @c_ordered_gradients
    def backward(self, grad):
        self._check_dtypes()
        return super().backward(grad)

    def backward_graph(self, grad):
        self._check_dtypes()
        return super().backward_graph(grad)

    def _check_dtypes(self):
        x_dtype, t_dtype = self.dtypes
        if t_dtype != x_dtype:  # PyTorch's backward kernel wants one dtype for input, target and gradient
            raise RuntimeError(f"Found dtype {_scalar_name(t_dtype)} but expected {_scalar_name(x_dtype)}")

    def kernel_gradient(self, diff, delta, norm, grad):
        """huber_loss_backward as ATen's kernel computes it, every step an op of the dtype (for half and bfloat16
        too): norm * (d or +-delta) * grad in its vectors; one by one norm * grad * delta (a double product)
        outside."""
        real = diff.dtype.type
        norm_, delta_ = real(norm), real(delta)
        sign = np.where(diff > 0, real(1), real(-1))
        vectorised = norm_ * np.where(np.abs(diff) >= delta_, sign * delta_, diff) * grad
        outside = (norm_ * sign * grad).astype(np.float64) * delta
        if diff.itemsize == 2:  # (half's through float32, as ATen converts it)
            outside = outside.astype(np.float32)
        outside = outside.astype(diff.dtype, copy=False)
        one_by_one = np.where((diff <= -delta) | (diff >= delta), outside, norm_ * diff * grad)
        return np.where(self.scalar_tail, one_by_one, vectorised)

    @staticmethod
    def losses(z, delta):
        return np.where(z < delta, 0.5 * z * z, delta * (z - 0.5 * delta))

    @staticmethod
    def derivative(d, delta):
        return np.where(d <= -delta, -delta, np.where(d >= delta, delta, d)).astype(d.dtype, copy=False)

    @staticmethod
    def inside_derivative(d, delta):
        return d


@quiet
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    r"""Smooth L1 loss: a squared error below ``beta``, an absolute error above it.

    .. math::
        \ell_n = \begin{cases} 0.5 (x_n - y_n)^2 / \beta, & \text{if } |x_n - y_n| < \beta \\
                 |x_n - y_n| - 0.5 \beta, & \text{otherwise} \end{cases}

    then reduced by ``reduction`` ('none' | 'mean' | 'sum'; the deprecated ``size_average`` / ``reduce``
    override it). ``beta`` = 0 is exactly :func:`l1_loss`; a negative ``beta`` is an error.

    Shape: input (*), target broadcastable to it (a warning if the sizes differ); output () or, with
    'none', the broadcast shape. The dtype is the promoted one of input and target.
    """
    input, target = autocast_cast("float32", input, target)
    _warn_size(input, target, stacklevel=4)
    if size_average is not None or reduce is not None:
        reduction = _reduction(None, size_average, reduce)
    input, target = _broadcast(input, target)
    reduction = _reduction(reduction)
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    beta = check_float_arg(beta, "smooth_l1_loss", "beta", 4)  # (the native's parser: a 0-d tensor as a float)
    if not beta >= 0:  # (PyTorch's check, which a NaN fails too)
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    common = promote(input._data.dtype, target._data.dtype)
    if common.kind not in "fV":  # (bfloat16's kind is V)
        raise NotImplementedError(f"\"smooth_l1_cpu\" not implemented for '{_scalar_name(common)}'")
    if len(forward_ad.state.vmap_levels) > 1:  # (nested vmap: its rule may not broadcast what it flattens)
        forward_ad.refuse_flattened_mismatch(input, target)
    return save_tensor_versions(SmoothL1Loss.apply(input, target, reduction=reduction, param=beta), target)


@quiet
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    r"""Huber loss: a squared error below ``delta``, a ``delta``-scaled absolute error above it.

    .. math::
        \ell_n = \begin{cases} 0.5 (x_n - y_n)^2, & \text{if } |x_n - y_n| < \delta \\
                 \delta (|x_n - y_n| - 0.5 \delta), & \text{otherwise} \end{cases}

    (``delta`` times :func:`smooth_l1_loss` with ``beta = delta``), then reduced by ``reduction``.
    ``weight``, if given (the input's size), multiplies each element's loss before the reduction, and
    'mean' is then the plain mean of the weighted losses.

    Shape: input (*), target broadcastable to it (a warning if the sizes differ); output () or, with
    'none', the broadcast shape, in the input's dtype.
    """
    input, target = autocast_cast("float32", input, target)
    _warn_size(input, target, stacklevel=4)
    input, target = _broadcast(input, target)
    if weight is None:
        return _huber(input, target, _reduction(reduction), delta)
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    weighted = _huber(input, target, "none", delta) * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean":
        return weighted.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def _huber(input, target, reduction, delta):
    delta = check_float_arg(delta, "huber_loss", "delta", 4)  # (the native's parser)
    if not delta > 0:  # (PyTorch's check, which a NaN fails too)
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    out_dtype = input._data.dtype
    common = promote(out_dtype, target._data.dtype)
    # The loss is written into a tensor like the input, so a float loss cannot go into an integer input.
    if not _dtype.can_cast(common, out_dtype):
        raise RuntimeError(f"result type {_scalar_name(common)} can't be cast to the desired output type "
                           f"{_scalar_name(out_dtype)}")
    if common.kind not in "fV":  # (bfloat16's kind is V)
        raise NotImplementedError(f"\"huber_cpu\" not implemented for '{_scalar_name(common)}'")
    if len(forward_ad.state.vmap_levels) > 1:  # (nested vmap: its rule may not broadcast what it flattens)
        forward_ad.refuse_flattened_mismatch(input, target)
    return save_tensor_versions(HuberLoss.apply(input, target, reduction=reduction, param=delta, out_dtype=out_dtype),
                                target)
