r"""Margin and soft-margin classification losses: soft_margin_loss, margin_ranking_loss, hinge_embedding_loss,
multi_margin_loss, multilabel_margin_loss and multilabel_soft_margin_loss.

soft_margin_loss, multi_margin_loss and multilabel_margin_loss are single PyTorch nodes, here Functions of the
same names.
The others PyTorch composes of tensor operations (margin_ranking_loss and hinge_embedding_loss in C++,
multilabel_soft_margin_loss in Python); they are composed here of the same operations in the same order,
so that dtypes, broadcasting, gradients and ``grad_fn`` names follow.
"""

import numpy as np

from ... import _creation, _dtype, _memory_format
from ..._ops._util import c_ordered_gradients
from ..._ops.arithmetic import AddScalar
from ..._ops.unary import Clamp
from ..._tensor import Tensor
from ..._type_promotion import NUMBERS, promote
from ..._functions import where
from ...autograd import forward_ad
from ...autograd._graph_backward import gradients_without_derivative
from ...autograd.graph import Node, autocast_cast, save_tensor_versions
from ._args import _tp_name, check_tensor
from ._moments import quiet
from ._norm_checks import check_float_arg
from .activation import logsigmoid
from .loss import _broadcast_shape, _check_in_place, _legacy_reduction, _reduce, _reduction, _refuse_grad

__all__ = ["soft_margin_loss", "margin_ranking_loss", "hinge_embedding_loss", "multi_margin_loss",
           "multilabel_margin_loss", "multilabel_soft_margin_loss"]


# ---------------------------------------------------------------------------- shared pieces
class ClampMin(Clamp):
    """clamp_min(x, m): PyTorch records its own node for it, not the general clamp's."""

    def name(self):
        return "ClampMinBackward0"


def clamp_min(x, minimum=0):
    """max(x, minimum) elementwise, the gradient passing where x >= minimum (as at::clamp_min)."""
    x._refuse_complex("clamp is not supported for complex types")
    return ClampMin.apply(x, min=np.asarray(minimum, x._data.dtype)[()], bounds=(minimum, None))


def _scalar_name(np_dtype):
    return _dtype.from_numpy_dtype(np_dtype).scalar_name


def _apply_reduction(loss, reduction):
    """PyTorch's apply_loss_reduction: a mean or a sum of all elements, or the elementwise losses."""
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


# ---------------------------------------------------------------------------- soft margin
_BOOL_NEGATION = ("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, "
                  "use the `~` or `logical_not()` operator instead.")


class SoftMarginLoss(Node):
    """log(1 + exp(-y x)) per element, reduced; computed as PyTorch does, in place in the input's dtype."""
    backward_is_one_op = True  # (soft_margin_loss_backward, differentiable: SoftMarginLossBackwardBackward0)
    backward_inputs = (0,)  # (which its node lists after the gradient: the input, not the target)
    listed_inputs = (0,)  # (the target, of no derivative (requiring grad it is refused), no input of PyTorch's node)

    saved = ("x", "t")

    def forward(self, x, t, reduction="mean"):
        self.x, self.t, self.reduction = x, t, reduction
        common = promote(x.dtype, t.dtype)
        with np.errstate(over="ignore"):
            z = (-x.astype(common, copy=False) * t.astype(common, copy=False)).astype(x.dtype, copy=False)
            losses = np.log1p(np.exp(z))
        return _reduce(losses, reduction, operands=(x, t))

    def jvp(self, tangents, arrays, params, out):
        """PyTorch's formula, soft_margin_loss_backward(input's tangent, input, target), reads the target's tangent
        nowhere (a tangent of the target alone gives the result none), and fails on a dual target: that backward
        op has no formula of its own."""
        input_tangent, target_tangent = tangents
        if input_tangent is None:
            return None
        if target_tangent is not None:
            raise forward_ad.not_implemented("soft_margin_loss_backward")
        return forward_ad.transposed_jvp(self, tangents, arrays, params, out)

    def backward(self, grad):
        x, t = self.x, self.t
        if t.dtype == np.bool_:  # PyTorch's backward negates the target
            raise RuntimeError(_BOOL_NEGATION)
        common = promote(x.dtype, t.dtype)
        norm = 1.0 / x.size if self.reduction == "mean" and x.size else 1.0
        tc = t.astype(common, copy=False)
        # -norm * y * z / (1 + z) * grad with z = exp(-y x): an overflowing z gives NaN, as in PyTorch.
        z = np.exp(-tc * x.astype(common, copy=False))
        g = (tc * z * -norm).astype(x.dtype, copy=False) / (z + 1).astype(x.dtype, copy=False)
        out = g * grad
        if out.shape != x.shape:
            out = np.broadcast_to(out, x.shape)
        # (allocated C-contiguous by PyTorch, whatever the input's layout, size-1 dims' strides too)
        return (_memory_format.c_ordered(out.astype(x.dtype, copy=False)), None)

    def backward_graph(self, grad):
        x, t = self.x, self.t
        if t.dtype == np.bool_:
            raise RuntimeError(_BOOL_NEGATION)
        norm = 1.0 / x.size if self.reduction == "mean" and x.size else 1.0
        target = grad._wrap(t.astype(promote(x.dtype, t.dtype), copy=False))
        z = (-target * self.graph_input(0, x)).exp()
        g = ((target * z * -norm) / (z + 1))._cast(x.dtype) * grad
        return (g.expand(x.shape) if g._data.shape != x.shape else g, None)


@quiet
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    r"""The two-class logistic loss of targets :math:`y \in \{1, -1\}`.

    .. math::
        \ell_n = \log(1 + \exp(-y_n x_n))

    then reduced by ``reduction`` ('none' | 'mean' | 'sum'; the deprecated ``size_average`` /
    ``reduce`` override it). The target gets no gradient (requiring one is an error).

    Shape: input (*), target broadcastable to it; output () or, with 'none', the input's shape, in the
    input's dtype.
    """
    input, target = autocast_cast("float32", input, target)
    reduction = _reduction(reduction, size_average, reduce)
    fn = "soft_margin_loss"
    check_tensor(input, fn)
    check_tensor(target, fn, "target", 2)
    _refuse_grad(fn, "target", target)
    if forward_ad.state.vmap_levels:  # (from this line, as from PyTorch's Python wrapper's)
        forward_ad.warn_fallback("aten::soft_margin_loss", (input, target), stacklevel=1)
    x_dtype = input._data.dtype
    if x_dtype == np.bool_:
        raise RuntimeError(_BOOL_NEGATION)
    # PyTorch builds the loss in place in a tensor like the input: -input, *= target, exp_, log1p_.
    _check_in_place(input._data, _broadcast_shape(input, target))
    common = promote(x_dtype, target._data.dtype)
    if x_dtype.kind not in "fc" or (common.kind == "c" and x_dtype.kind != "c"):  # (*= target, else exp_, fails)
        produced = common if common.kind in "fc" else _dtype.get_default_dtype().numpy
        raise RuntimeError(f"result type {_scalar_name(produced)} can't be cast to the desired output type "
                           f"{_scalar_name(x_dtype)}")
    y = SoftMarginLoss.apply(input, target, reduction=reduction)
    if y._grad_fn is not None and x_dtype.kind == "c":  # (PyTorch's derivative formula is for real types only)
        raise RuntimeError("soft_margin_loss does not support automatic differentiation for outputs with complex "
                           "dtype.")
    return y


# ---------------------------------------------------------------------------- composed margin losses
@quiet
def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    r"""A ranking loss for pairs: ``target`` y = 1 says input1 should rank higher, y = -1 input2.

    .. math::
        \ell_n = \max(0, -y_n (x_{1,n} - x_{2,n}) + \text{margin})

    then reduced by ``reduction`` ('none' | 'mean' | 'sum').

    Shape: input1, input2 and target of the same number of dimensions, broadcastable together,
    (N) or (); output () or, with 'none', the broadcast shape.
    """
    input1, input2, target = autocast_cast("float32", input1, input2, target)
    reduction = _reduction(reduction, size_average, reduce)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    # The margin reaches PyTorch's kernel as a double: it makes an integer difference floating point.
    margin = check_float_arg(margin, "margin_ranking_loss", "margin", 4)
    if forward_ad.state.vmap_levels:  # (from this line, as from PyTorch's Python wrapper's)
        forward_ad.warn_fallback("aten::margin_ranking_loss", (input1, input2, target), stacklevel=1)
    difference = input1 - input2  # (first, as in PyTorch: a bool input2 is refused as a subtraction)
    # (+ margin in C++: add.Scalar, PyTorch's AddBackward1)
    return _apply_reduction(clamp_min((-target * difference)._binary(margin, AddScalar)), reduction)


@quiet
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    r"""The hinge loss of distances ``input`` between pairs labelled similar (y = 1) or dissimilar (y = -1).

    .. math::
        \ell_n = \begin{cases} x_n, & \text{if } y_n = 1 \\ \max(0, \text{margin} - x_n), & \text{if } y_n = -1
                 \end{cases}

    (a target of any other value adds both terms), then reduced by ``reduction``.

    Shape: input (*) and target broadcastable together; output () or, with 'none', the broadcast shape.
    """
    input, target = autocast_cast("float32", input, target)
    reduction = _reduction(reduction, size_average, reduce)
    fn = "hinge_embedding_loss"  # PyTorch's native function, whose parser checks these first
    check_tensor(input, fn)
    check_tensor(target, fn, "target", 2)
    check_float_arg(margin, fn, "margin", 3)
    zeros = _creation.zeros_like(input)
    # `margin - input` in C++ fills a tensor like the input with the margin (truncated if it is an integer one).
    margin_clamp = clamp_min(_creation.full_like(input, margin) - input)
    output_margin = where(target != 1, margin_clamp, zeros)
    output_self = where(target != -1, input, zeros)
    return _apply_reduction(output_margin + output_self, reduction)


# ---------------------------------------------------------------------------- multi-class margin
class MultiMarginLoss(Node):
    """sum over i != y of max(0, margin - x[y] + x[i])^p * w[y], over C, per sample; then reduced."""

    saved = ("x", "target", "weight")

    def forward(self, x, target=None, weight=None, p=1, margin=1.0, reduction="mean", frames=1, classes=1,
                per_sample=False):
        self.x, self.target, self.weight, self.p, self.margin = x, target, weight, p, margin
        self.reduction, self.frames, self.classes, self.per_sample = reduction, frames, classes, per_sample
        if x.size == 0:
            return _output_of_no_samples((frames,) if per_sample else (), reduction, x.dtype)
        z, active = self._margins()
        h = np.where(active, z if p == 1 else z * z, 0).astype(x.dtype, copy=False)
        if weight is not None:
            h *= weight[target][:, None]
        per_row = h.sum(1) / x.dtype.type(classes)
        if per_sample:
            return per_row
        total = per_row.sum(dtype=np.float64)  # PyTorch accumulates the samples in double
        if reduction == "mean":
            total /= frames
        return np.asarray(total, x.dtype)

    def _margins(self):
        """z = margin - x[y] + x (frames, classes) and where it counts: z > 0, off the target class."""
        x = self.x
        rows = x.reshape(self.frames, self.classes)
        picked = np.arange(self.frames), self.target
        z = x.dtype.type(self.margin) - rows[picked][:, None] + rows
        active = z > 0
        active[picked] = False
        return z, active

    jvp = forward_ad.unsupported_jvp  # (PyTorch has no forward AD formula for it)

    def forward_ad_name(self):
        return "multi_margin_loss"

    @c_ordered_gradients  # (multi_margin_loss_backward allocates its result C-contiguous)
    def backward(self, grad):
        x = self.x
        if x.size == 0:
            return np.zeros_like(x), None, None
        z, active = self._margins()
        g = x.dtype.type(1.0 / (self.frames * self.classes) if self.reduction == "mean" else 1.0 / self.classes)
        h = np.where(active, g if self.p == 1 else 2 * g * z, 0).astype(x.dtype, copy=False)
        if self.weight is not None:
            h *= self.weight[self.target][:, None]
        h[np.arange(self.frames), self.target] = -h.sum(1)
        h *= grad.reshape(-1, 1) if self.per_sample else grad
        return h.reshape(x.shape), None, None

    def backward_graph(self, grad):  # PyTorch's backward of this op has no derivative
        return gradients_without_derivative(
            self, grad, (RuntimeError, "derivative for aten::multi_margin_loss_backward is not implemented"))


@quiet
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    r"""The multi-class hinge loss of scores ``input`` against class indices ``target``.

    For each sample x with target class y, over the C classes,

    .. math::
        \ell = \frac{1}{C} \sum_{i \ne y} w_y \max(0, \text{margin} - x_y + x_i)^p

    with p = 1 or 2 and ``weight`` w (C) one rescaling per class (the target's); then reduced over the
    samples by ``reduction`` ('none' | 'mean' | 'sum').

    Shape: input (N, C), (C) or (); target (N) or (), int64 in [0, C); output () or, with 'none' and a
    1-D target, (N).
    """
    input, weight = autocast_cast("float32", input, weight)
    reduction = _reduction(reduction, size_average, reduce)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    fn = "multi_margin_loss"
    check_tensor(input, fn)
    check_tensor(target, fn, "target", 2)
    for name, value, position in (("p", p, 3), ("margin", margin, 4)):  # the parser's Scalar arguments
        if not (isinstance(value, NUMBERS) or isinstance(value, Tensor) and value.dim() == 0):
            raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Number, not {_tp_name(value)}")
    _refuse_grad(fn, "weight", weight)
    if forward_ad.state.vmap_levels:  # (from this line, as from PyTorch's Python wrapper's)
        forward_ad.warn_fallback("aten::multi_margin_loss", (input, target, weight), stacklevel=1)
    frames, classes = _multi_margin_shape(input, target, weight)
    per_sample = reduction == "none" and target.dim() > 0
    x = input._data
    if x.size:
        if x.dtype.kind != "f" or x.dtype == np.float16:
            raise NotImplementedError(f"\"multi_margin_loss_cpu_kernel\" not implemented for "
                                      f"'{_scalar_name(x.dtype)}'")
        if target._data.dtype != np.int64:
            raise RuntimeError(f"expected scalar type Long but found {_scalar_name(target._data.dtype)}")
        if weight is not None and weight._data.dtype != x.dtype:
            raise RuntimeError(f"expected scalar type {_scalar_name(x.dtype)} but found "
                               f"{_scalar_name(weight._data.dtype)}")
        indices = target._data.reshape(-1)
        if ((indices < 0) | (indices >= classes)).any():
            raise RuntimeError("target out of range")
    return save_tensor_versions(MultiMarginLoss.apply(input, target=target._data.reshape(-1),
                                                      weight=None if weight is None else weight._data.reshape(-1),
                                                      p=p, margin=float(margin), reduction=reduction, frames=frames,
                                                      classes=classes, per_sample=per_sample), target, weight)


def _multi_margin_shape(input, target, weight):
    """(samples, classes) of the input, after PyTorch's checks of the three shapes."""
    ndim, shape = input.dim(), list(input.shape)
    if not ((ndim == 2 and shape[1] != 0) or (ndim == 1 and shape[0] != 0) or ndim == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {shape}")
    frames, classes = (shape[0], shape[1]) if ndim == 2 else (1, shape[0] if ndim else 1)
    if target.dim() > 1 or target.numel() != frames:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{frames}], but got {list(target.shape)}. "
                           f"Input has shape {shape}.")
    if weight is not None and (weight.dim() > 1 or weight.numel() != classes):
        raise RuntimeError(f"inconsistent weight size, expected {classes} but got {list(weight.shape)}")
    return frames, classes


def _output_of_no_samples(shape, reduction, dtype):
    """The hinge kernels' output for no samples: PyTorch leaves a reduced one unwritten (the mean of nothing is NaN
    here), and allocates an unreduced one empty, with C strides."""
    return _memory_format.with_c_strides(np.full(shape, np.nan if reduction == "mean" and dtype.kind == "f" else 0,
                                                 dtype))


# ---------------------------------------------------------------------------- multi-label margin
class MultilabelMarginLoss(Node):
    """The multi-label hinge loss of (frames, classes) scores; PyTorch's single node of that name."""

    saved = ("x", "target")

    def forward(self, x, target=None, reduction="mean", frames=1, classes=1, per_sample=False):
        self.x, self.target, self.reduction = x, target, reduction
        self.frames, self.classes, self.per_sample = frames, classes, per_sample
        if frames == 0:
            return _output_of_no_samples((0,) if per_sample else (), reduction, x.dtype)
        z, active = self._margins()
        per_row = np.where(active, z, 0).sum((1, 2), dtype=x.dtype) / x.dtype.type(classes)
        if per_sample:
            return per_row
        total = per_row.sum()
        if reduction == "mean":
            total /= x.dtype.type(frames)
        return np.asarray(total, x.dtype)

    def _margins(self):
        """z[n, j, i] = 1 - x[n, y_j] + x[n, i] (frames, classes, classes), and where it counts: z > 0 for the
        targets y_j listed before the first -1 against the classes i that are none of them."""
        rows = self.x.reshape(self.frames, self.classes)
        target = self.target.reshape(self.frames, self.classes)
        listed = np.cumprod(target >= 0, axis=1).astype(bool)  # up to the first -1
        picked = np.where(listed, target, 0)
        is_target = np.zeros(rows.shape, bool)
        frame_index = np.broadcast_to(np.arange(self.frames)[:, None], picked.shape)
        is_target[frame_index[listed], picked[listed]] = True
        scores = np.take_along_axis(rows, picked, axis=1)
        z = rows.dtype.type(1) - scores[:, :, None] + rows[:, None, :]
        active = (z > 0) & listed[:, :, None] & ~is_target[:, None, :]
        return z, active

    jvp = forward_ad.unsupported_jvp  # (PyTorch has no forward AD formula for it)

    def forward_ad_name(self):
        return "multilabel_margin_loss_forward"

    def backward(self, grad):
        x = self.x
        if self.frames == 0:
            return np.zeros_like(x), None
        _, active = self._margins()
        scale = 1.0 / (self.frames * self.classes) if self.reduction == "mean" else 1.0 / self.classes
        g = x.dtype.type(scale)
        # each active pair (y_j, i) pushes x[i] up and x[y_j] down by the same step
        h = active.sum(1).astype(x.dtype) * g
        target = self.target.reshape(self.frames, self.classes)
        frame_index = np.broadcast_to(np.arange(self.frames)[:, None], target.shape)
        listed = active.any(2)
        np.subtract.at(h, (frame_index[listed], target[listed]), active.sum(2)[listed].astype(x.dtype) * g)
        h *= grad.reshape(-1, 1) if self.per_sample else grad
        return h.reshape(x.shape), None

    def backward_graph(self, grad):  # PyTorch's backward of this op has no derivative
        return gradients_without_derivative(
            self, grad, (RuntimeError, "derivative for aten::multilabel_margin_loss_backward is not implemented"))


@quiet
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    r"""The multi-label hinge loss of scores ``input`` against lists of target classes.

    Each row of ``target`` lists a sample's classes (int64 indices), ended by the first -1 (or the row's end).
    For each sample x with listed classes Y, over the C classes,

    .. math::
        \ell = \frac{1}{C} \sum_{j \in Y} \sum_{i \notin Y} \max(0, 1 - (x_j - x_i))

    then reduced over the samples by ``reduction`` ('none' | 'mean' | 'sum').

    Shape: input (N, C), (C) or (); target like input; output () or, with 'none' and a 2-D input, (N).
    """
    input, target = autocast_cast("float32", input, target)
    reduction = _reduction(reduction, size_average, reduce)
    fn = "multilabel_margin_loss"
    check_tensor(input, fn)
    check_tensor(target, fn, "target", 2)
    if forward_ad.state.vmap_levels:  # (from this line, as from PyTorch's Python wrapper's)
        forward_ad.warn_fallback("aten::multilabel_margin_loss", (input, target), stacklevel=1)
    ndim, shape = input.dim(), list(input.shape)
    if not ((ndim == 2 and shape[1] != 0) or (ndim == 1 and shape[0] != 0) or ndim == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {shape}")
    if ndim <= 1:
        frames, classes = 1, shape[0] if ndim else 1
        consistent = target.dim() <= 1 and target.numel() == classes
    else:
        frames, classes = shape
        consistent = target.dim() == 2 and list(target.shape) == shape
    if not consistent:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {shape}")
    x, t = input._data, target._data
    # PyTorch's kernel returns at once for an empty input; else it reads the target's extremes as int64 (every
    # entry, also those after the first -1, whatever the dtype), then dispatches on the input's dtype, and only
    # then reads the target as int64 data
    if x.size:
        if int(t.min()) < -1 or int(t.max()) >= classes:
            raise RuntimeError("argument #2 'target' is out of range")
        if x.dtype.kind != "f" or x.dtype == np.float16:
            raise NotImplementedError(f"\"multilabel_margin_loss_forward_out_frame\" not implemented for "
                                      f"'{_scalar_name(x.dtype)}'")
        if t.dtype != np.int64:
            raise RuntimeError(f"expected scalar type Long but found {_scalar_name(t.dtype)}")
    loss = MultilabelMarginLoss.apply(input, target=t, reduction=reduction, frames=frames, classes=classes,
                                      per_sample=reduction == "none" and ndim == 2)
    return save_tensor_versions(loss, target)


# ---------------------------------------------------------------------------- multi-label soft margin
@quiet
def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    r"""The multi-label one-versus-all logistic loss of scores ``input`` against 0/1 targets.

    For each sample x with labels y over the C classes,

    .. math::
        \ell = -\frac{1}{C} \sum_i w_i \left(y_i \log \sigma(x_i) + (1 - y_i) \log \sigma(-x_i)\right)

    with ``weight`` w (C) one rescaling per class; then reduced over the samples by ``reduction``
    ('none' | 'mean' | 'sum').

    Shape: input (N, C) (the classes are its last dimension), target like it; output () or, with
    'none', (N).
    """
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    classes = input.size(class_dim)
    loss = loss.sum(dim=class_dim) / classes
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    # concatenated, as in PyTorch: a reduction that is not a str fails with a TypeError
    raise ValueError(reduction + " is not valid")
