"""Loss functions: cross_entropy, nll_loss, mse_loss, l1_loss, binary_cross_entropy (with logits).

cross_entropy with class-index targets is one fused node (log-softmax and the negative log-likelihood
together, label smoothing included): it runs in every training step, so it does a max, an exp, a sum,
a log and a gather forward, and one scaled copy of the softmax backward. A float16 input is composed as
PyTorch composes it instead (see _half_cross_entropy): each of its kernels rounds to float16. Class-index
targets have shape (N) or (N, d1, ...) for input (N, C) or (N, C, d1, ...); the class dimension is 1.
"""
import math
import warnings

import numpy as np

from ... import _memory_format, _opmath
from ..._kernels.reduce_order import nll_cascade_sum
from ..._ops import arithmetic
from ..._ops._util import c_ordered_gradients, sum_of_rows, unbroadcast, unbroadcast_tensor
from ..._dtype import from_numpy_dtype
from ..._tensor import Tensor
from ..._type_promotion import promote
from ...autograd import forward_ad
from ...autograd import grad_mode
from ...autograd._graph_backward import (BackwardOfBackward, ZeroDerivativeOf, recorded_as_backward_op, relaid,
                                         with_zero_derivative_of)
from ...autograd._released import released
from ...autograd.graph import (FoldedNode, Node, autocast_cast, folded, listed_edge,
                                save_tensor_versions, shown_edge)
from ...autograd.saved_values import Saved, SavedInput, constant, first_listed, int64, saved_result
from ._args import _is_list_int, _tp_name, check_tensor, unpack_symint
from ._moments import quiet
from ._norm_checks import check_float_arg
from .activation import log_softmax

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits"]


# ---------------------------------------------------------------------------- reduction argument
def _legacy_reduction(size_average, reduce):
    """The reduction the deprecated size_average / reduce flags mean, with PyTorch's warning."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    # (named after its caller in the library, as PyTorch's legacy_get_string's warning is)
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  stacklevel=2)
    return reduction


def _reduction(reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.", stacklevel=2)
        return "mean"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(losses, reduction, denominator=None, operands=None):
    """``operands``: the input and target of an elementwise loss, whose unreduced losses PyTorch lays out as its
    TensorIterator lays out an elementwise op's result (following the input's layout); without them, the losses
    of a kernel that allocates its output (C-ordered, an empty one too)."""
    if reduction == "none":
        if operands is None:
            return _memory_format.c_ordered(losses)
        return _memory_format.iterator_layout(losses, operands)
    # PyTorch's elementwise losses accumulate in float32 at half precision and round the reduced value once
    # (nll_loss, weighted by a total, keeps its own accumulation).
    half = losses.dtype.itemsize == 2 and losses.dtype.kind in "fV" and denominator is None  # (half, bfloat16)
    if half:
        total = losses.sum(dtype=np.float32)
    else:  # (added in PyTorch's order, over the losses in its layout: see sum_of_rows)
        total = sum_of_rows(losses if operands is None else _memory_format.iterator_layout(losses, operands), None)
    if reduction != "sum":
        denominator = losses.size if denominator is None else denominator
        if denominator == 0:
            with np.errstate(invalid="ignore", divide="ignore"):  # nothing to average: nan, as in PyTorch
                total = total / denominator
        else:
            total = total / denominator
    return total.astype(losses.dtype) if half else total


def _check_real_product(loss_dtype, factor_dtype):
    """PyTorch's loss.mul_(factor), in place in a real loss: a complex factor's product cannot be written there."""
    product = promote(loss_dtype, factor_dtype)
    if product.kind == "c" and loss_dtype.kind != "c":
        raise RuntimeError(f"result type {from_numpy_dtype(product).scalar_name} can't be cast to the desired output "
                           f"type {from_numpy_dtype(loss_dtype).scalar_name}")


def _refuse_grad(fn, name, tensor):
    """PyTorch's error for a tensor its node does not differentiate, when a graph would be recorded."""
    if tensor is not None and tensor.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument '{name}'. This "
                           "input cannot have requires_grad True.")


def _with_class_axis(value):
    """A per-element array (N, d...) as (N, 1, d...) to broadcast over classes; scalars pass through."""
    return np.expand_dims(value, 1) if np.ndim(value) else value


# ---------------------------------------------------------------------------- class-index targets
class _ClassTargets:
    """Targets (N, d...) checked and prepared for reading and writing at the target class of (N, C, d...)."""

    backward_error = None  # the RuntimeError message PyTorch's backward raises for these targets, if any

    def __init__(self, target, weight, ignore_index, classes, dtype, byte_chars=False):
        self.target, self.ignore_index = target, ignore_index
        # Compared and bounds-checked as int64, as PyTorch reads Byte targets: a negative ignore_index
        # does not fit uint8.
        indices = target.astype(np.intp, copy=False)
        valid = indices != ignore_index
        self.valid = None if np.count_nonzero(valid) == valid.size else valid  # (ndarray.all's wrapper costs more)
        safe = indices if self.valid is None else np.where(valid, indices, 0)
        if safe.size and (safe.min() < 0 or safe.max() >= classes):
            # PyTorch names the first bad target in its scan (a 2-D 'none' loss split over threads
            # may name a later one).
            bad = safe[(safe < 0) | (safe >= classes)].flat[0]
            message = f"Target {bad} is out of bounds."
            if byte_chars:
                # Its 2-D 'none' loop prints a Byte target as a character, and the message is decoded
                # as UTF-8: from 128 up that fails with a UnicodeDecodeError.
                message = (b"Target %c is out of bounds." % bad).decode()
            raise IndexError(message)
        self.safe = safe
        self.rows = np.arange(safe.shape[0]) if safe.ndim == 1 else None
        self.class_weight = weight
        # Per-element weight of the target class (0 where ignored); None when every weight is 1.
        if weight is not None:
            self.weight = weight[safe] if self.valid is None else weight[safe] * self.valid
        else:
            self.weight = None if self.valid is None else self.valid.astype(dtype)
        if dtype == np.float16:  # (as nll_loss's kernel: the count rounded to float16, or the weights' cascade sum)
            self.total_weight = dtype.type(target.size if valid.all() else valid.sum()) if weight is None else \
                nll_cascade_sum(weight[safe].reshape(-1), None if self.valid is None else valid.reshape(-1))
        elif weight is not None:
            self.total_weight = nll_cascade_sum(weight[safe].reshape(-1), None if self.valid is None else
                                                valid.reshape(-1))
        else:
            self.total_weight = target.size if self.weight is None else self.weight.sum()
        # What label smoothing averages over: the same elements, except as set by smooth_over.
        self.smooth_valid, self.smooth_total = self.valid, self.total_weight

    def smooth_over(self, ignore_index):
        """Count the elements PyTorch's label smoothing term does, and return how many.

        It masks `target == ignore_index` in the target's dtype, so for Byte targets an ignore_index outside
        0..255 wraps modulo 256 (nll_loss compares in int64).
        """
        target = self.target
        if target.dtype == np.uint8 and not 0 <= ignore_index < 256:
            valid = target != ignore_index % 256
            self.smooth_valid = None if valid.all() else valid
            self.smooth_total = int(valid.sum())  # a count: with a class weight, 'mean' refuses Byte targets
        return target.size if self.smooth_valid is None else int(self.smooth_valid.sum())

    def released(self):
        """What a node keeps of these targets after backward (see _released.released): their arguments and the arrays'
        layouts."""
        kept = object.__new__(_ClassTargets)
        kept.__dict__.update({name: released(value) for name, value in vars(self).items()})
        return kept

    def check_backward(self):
        if self.backward_error is not None:
            raise RuntimeError(self.backward_error)

    def pick(self, a):
        """a[n, target[n, d...], d...] for a of shape (N, C, d...)."""
        if self.rows is not None:
            return a[self.rows, self.safe]
        return np.take_along_axis(a, self.safe[:, None], 1)[:, 0]

    def subtract(self, a, values):
        """a[n, target[n, d...], d...] -= values (a scalar or an (N, d...) array), in place."""
        if self.rows is not None:
            a[self.rows, self.safe] -= values
            return
        index = self.safe[:, None]
        np.put_along_axis(a, index, np.take_along_axis(a, index, 1) - _with_class_axis(values), 1)


def _element_scale(grad, reduction, total, valid, unbatched):
    """The gradient reaching each element's loss: grad itself ('none'), shared ('sum'), or over total ('mean').

    Ignored elements get none at all, as in PyTorch, which never writes them: 0 even where the scale is
    inf or nan (a 'mean' over a total weight of 0).
    """
    if reduction == "none":
        scale = grad[None] if unbatched else grad
    elif reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = grad / total
    else:
        scale = grad
    return scale if valid is None else np.where(valid, scale, 0)


_REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}  # PyTorch's Reduction enum, which its nodes save


def _nll_shape(shape, classes=True):
    """The shape nll_loss2d sees of an input (``classes``) or target of shape ``shape``: other than 4-D inputs
    viewed as (N, C, 1, d1 * d2 * ...)."""
    lead = 2 if classes else 1
    if len(shape) == lead + 1 or len(shape) > lead + 2:
        return shape[:lead] + (1, math.prod(shape[lead:]))
    return shape


def _nll_target_shape(node):
    """The shape of the target (and of the losses per element) nll_loss / nll_loss2d sees."""
    shape = node.input_shape
    return () if node.unbatched else _nll_shape(shape[:1] + shape[2:], classes=False)


def _nll_saved(log_probabilities):
    """What PyTorch's nll_loss / nll_loss2d node saves, ``log_probabilities`` the spec of its input."""
    return {
        "self": log_probabilities,
        "target": Saved(lambda node: node.targets.target.reshape(_nll_target_shape(node))),
        "weight": Saved(lambda node: node.targets.class_weight),
        # (0 for reduction='none', which adds no weights up)
        "total_weight": Saved(lambda node: np.asarray(0 if node.reduction == "none" else node.targets.total_weight,
                                                      node.targets_dtype())),
        "reduction": lambda node: _REDUCTIONS[node.reduction],
        "ignore_index": lambda node: int64(node.targets.ignore_index),
    }


class CrossEntropy(Node):
    """-log softmax(x)[target] per element, weighted, optionally label-smoothed, then reduced.

    With label smoothing e each element's loss is (1 - e) nll + e / C smooth, with nll = -w_t log p_t and
    smooth = -sum_c w_c log p_c; as in PyTorch the two terms are reduced separately, then mixed. The
    gradient of a term with respect to the logits is p * sum(q) - q for q = w_t onehot(t), resp. w.
    """
    bfloat16_in_float32 = True  # (PyTorch computes it in float32 for bfloat16, see _opmath)
    autocast = "float32"  # (its list in PyTorch's CPU autocast)

    # the probabilities (for backward) and the log-probabilities, as log_softmax's result PyTorch saves (finite
    # where the probabilities underflow to 0)
    saved = ("probs", "log_probs", "targets")
    # PyTorch's nll_loss(log_softmax(x, 1)): nll_loss saved log_softmax's result
    _nll = _nll_saved(Saved(lambda node: node.log_probs.reshape(
        node.input_shape if node.unbatched else _nll_shape(node.input_shape)), grad_fn=first_listed))
    torch_saved = {"NllLossBackward0": _nll, "NllLoss2DBackward0": _nll, "AddBackward0": {"alpha": lambda node: 1},
                   "ViewBackward0": {"self_sym_sizes": _nll_target_shape}}
    folded_saved = {"NllLoss2DBackward0": _nll,
                    "LogSoftmaxBackward0": {"dim": lambda node: 0 if node.unbatched else 1,
                                            "result": saved_result(lambda node: node.log_probs.reshape(
                                                node.input_shape))},
                    "ViewBackward0": {"self_sym_sizes": lambda node: node.input_shape}}

    def targets_dtype(self):
        """The dtype of the saved total weight: the input's."""
        return self.log_probs.dtype

    # (not quiet itself: applied only by cross_entropy, which is; a row of infinities gives NaN silently, as in
    # PyTorch)
    def forward(self, x, targets=None, reduction="mean", label_smoothing=0.0, unbatched=False):
        self.input_shape, self.reduction, self.eps, self.unbatched = x.shape, reduction, label_smoothing, unbatched
        self.targets = targets
        if unbatched:
            x = x[None]
        # (a new array, made the log-probabilities in place; no classes: no maximum, nothing to shift)
        # (the ufuncs' reductions themselves: ndarray.max and .sum are Python wrappers of them)
        shifted = x - np.maximum.reduce(x, axis=1, keepdims=True) if x.shape[1] else x.copy()
        probs = np.exp(shifted)
        sums = np.add.reduce(probs, axis=1, keepdims=True)
        log_sums = np.log(sums)
        if reduction == "none":  # PyTorch's -log_softmax(x)[target], whose zero is -0.0 (log_sums - picked: 0.0)
            losses = -(targets.pick(shifted) - log_sums[:, 0])
        else:
            losses = log_sums[:, 0] - targets.pick(shifted)
        if targets.weight is not None:
            losses *= targets.weight
        out = _reduce(losses, reduction) if reduction == "none" else _nll_reduced(losses, reduction, targets)
        if label_smoothing > 0:
            classes, class_weight = x.shape[1], targets.class_weight
            w = 1 if class_weight is None else class_weight.reshape((1, classes) + (1,) * (x.ndim - 2))
            total_w = classes if class_weight is None else class_weight.sum()
            # -sum_c w_c log p_c = sum(w) log sum(exp) - sum_c w_c shifted_c
            smooth = log_sums[:, 0] * total_w - (shifted * w).sum(axis=1)
            if targets.smooth_valid is not None:
                smooth *= targets.smooth_valid
            smoothed = _reduce(smooth, reduction, targets.smooth_total)
            out *= 1 - label_smoothing  # (in place: a new array keeps the layout _reduce gave it)
            out += _smoothing_share(label_smoothing, classes) * smoothed
        probs /= sums
        shifted -= log_sums  # (in place: the log-probabilities)
        self.probs, self.log_probs = probs, shifted
        return out[0] if unbatched and reduction == "none" else out

    def _nll_scale(self, grad):
        """The nll term's gradient reaching each element, its target's weight included."""
        targets = self.targets
        scale = _element_scale(grad, self.reduction, targets.total_weight, targets.valid, self.unbatched)
        if self.eps > 0:
            scale = scale * (1 - self.eps)
        return scale if targets.weight is None else scale * targets.weight

    def _smoothing_scale(self, grad):
        """The smoothing term's gradient reaching each element, and the class weights it is spread by (1 without
        any) with their sum."""
        classes, class_weight = self.log_probs.shape[1], self.targets.class_weight
        smooth = _element_scale(grad, self.reduction, self.targets.smooth_total, self.targets.smooth_valid,
                                self.unbatched) * _smoothing_share(self.eps, classes)
        if class_weight is None:
            return smooth, 1, classes
        return smooth, class_weight.reshape((1, classes) + (1,) * (self.log_probs.ndim - 2)), class_weight.sum()

    jvp = forward_ad.gradient_jvp  # (each result element's own block of the inputs)

    def backward(self, grad):
        eps, probs = self.eps, self.probs
        self.targets.check_backward()
        nll = self._nll_scale(grad)
        mass = nll  # sum(q) of each element, over both terms
        if eps > 0:
            smooth, w, total_w = self._smoothing_scale(grad)
            mass = nll + smooth * total_w
        gx = probs * _with_class_axis(mass)
        self.targets.subtract(gx, nll)
        if eps > 0:
            gx -= _with_class_axis(smooth) * w
        # log_softmax's backward writes it C-contiguous, whatever the input's layout
        return (_memory_format.c_ordered(gx.reshape(self.input_shape)),)

    def backward_graph(self, grad):
        from .activation import Softmax

        # backward is p * sum(q) - q, q the unit gradient's class weights of each element: -q is the gradient of
        # the log-probabilities, which log_softmax's backward then takes to the logits; PyTorch's adds the
        # smoothing term's -q to nll_loss's.
        self.targets.check_backward()
        log_probs, ones = self.log_probs, np.ones(grad._data.shape, grad._data.dtype)
        per_class = _per_class(grad, self.unbatched)
        nll = np.zeros(log_probs.shape, log_probs.dtype)
        self.targets.subtract(nll, self._nll_scale(ones))
        log_grad = grad._wrap(_memory_format.c_ordered(nll.reshape(self.input_shape))) * per_class
        # softmax of the log-probabilities is softmax(x) (a shift per element apart) and its backward reads its
        # output only: the logits, which this node does not keep, are not needed for the gradient into them.
        axis = 0 if self.unbatched else 1
        # recorded under PyTorch's nodes: nll_loss_backward's (of zero derivative in log_softmax's output, which
        # torchless folds into this node), then _log_softmax_backward_data's, reading that output
        log_softmax = (folded("LogSoftmaxBackward0", shown_edge(self.edges[0]), self), 0)
        log_grad = self._nll_gradient_recorded(grad, log_grad, log_softmax)
        if self.eps > 0:
            smooth, w, _ = self._smoothing_scale(ones)
            smoothing = np.broadcast_to(-(_with_class_axis(smooth) * w), log_probs.shape).reshape(self.input_shape)
            log_grad = grad._wrap(np.ascontiguousarray(smoothing, log_probs.dtype)) * per_class + log_grad
        p = Softmax.apply(self.graph_input(0, log_probs.reshape(self.input_shape)), axis=axis)
        gx = log_grad - p * log_grad.sum(dim=axis, keepdim=True)
        return (BackwardOfBackward.apply(gx, node_name="LogSoftmaxBackwardDataBackward0",
                                         listed=(listed_edge(log_grad), log_softmax)),)

    def _nll_gradient_recorded(self, grad, log_grad, log_softmax):
        """``log_grad``, the gradient of the log-probabilities, recorded as nll_loss's (or nll_loss2d's) backward
        op gives it, of zero derivative in the log-probabilities: for a 3-D or 5-D and larger input that op runs on
        them viewed as (N, C, 1, -1), and on the gradient viewed as the target's for reduction='none', and its
        result is viewed back (ViewBackward0)."""
        ndim, shape = len(self.input_shape), self.input_shape
        anchor = self.graph_input(0, np.broadcast_to(np.zeros((), log_grad._data.dtype), shape))
        if ndim < 3 or ndim == 4:
            name = "NllLossBackwardBackward0" if ndim < 3 else "NllLoss2DBackwardBackward0"
            return ZeroDerivativeOf.apply(log_grad, anchor, node_name=name, listed=(listed_edge(grad), log_softmax))
        grad_edge = listed_edge(grad)
        if self.reduction == "none" and grad_edge[0] is not None:
            grad_edge = (folded("ViewBackward0", grad_edge[0], self), 0)
        viewed = (shape[0], shape[1], 1, -1) if log_grad._data.size else (shape[0], shape[1], 0, 0)
        listed = (grad_edge, (folded("ViewBackward0", log_softmax[0], self), 0))
        recorded = ZeroDerivativeOf.apply(log_grad.reshape(viewed), anchor, node_name="NllLoss2DBackwardBackward0",
                                          listed=listed)
        return recorded.view(shape)

    def name(self):
        return "AddBackward0" if self.eps > 0 else _nll_node_name(len(self.input_shape), self.reduction)

    def pytorch_inputs(self):
        if self.eps <= 0:
            return _nll_inputs(self, log_softmax=True)
        if len(self.input_shape) <= 2:
            return _smoothed_inputs(self)
        return None  # PyTorch's smoothed loss of 3-D and larger inputs, over views for nll_loss2d: the input only


_UNSAVED = Saved(constant(None))  # a factor PyTorch saves for a gradient not needed here: shown as None


def _smoothed_inputs(node):
    """``next_functions`` of a label-smoothed cross_entropy of an (N, C) or (C,) input, as PyTorch builds it:
    (1 - e) * nll_loss(log_softmax(x)) + e / C * the reduced -sum(log_softmax(x) [* w]) over the classes,
    masked where the target is ignore_index."""
    targets, class_dim = node.targets, 0 if node.unbatched else 1
    log_softmax = folded("LogSoftmaxBackward0", shown_edge(node.edges[0]), node)
    nll = FoldedNode("NllLossBackward0", ((log_softmax, 0),), node, saved=CrossEntropy._nll)
    summed = log_softmax
    if targets.class_weight is not None:
        # the weight's shape, not len(): a released node's arrays keep their layout only (ReleasedArray)
        weight_shape = tuple(targets.class_weight.shape[0] if axis == class_dim else 1
                             for axis in range(len(node.input_shape)))
        summed = FoldedNode("MulBackward0", ((log_softmax, 0), (None, 0)), node, saved={
            "self": _UNSAVED, "other": Saved(lambda owner: owner.targets.class_weight.reshape(weight_shape))})
    summed = FoldedNode("SumBackward1", ((summed, 0),), node, saved={
        "dim": constant((class_dim,)), "keepdim": constant(False), "self_sym_sizes": constant(node.input_shape)})
    negated = FoldedNode("NegBackward0", ((summed, 0),), node, saved={})
    smooth = FoldedNode("MaskedFillBackward0", ((negated, 0),), node, saved={
        "mask": Saved(lambda owner: np.asarray(owner.targets.target == owner.targets.ignore_index).reshape(
            _nll_target_shape(owner)))})
    if node.reduction != "none":
        smooth = FoldedNode("SumBackward0", ((smooth, 0),), node, saved={
            "self_sym_sizes": constant(node.input_shape[:-1] if node.unbatched else node.input_shape[:1])})
    if node.reduction == "mean":  # over the targets not ignored, or their classes' weights
        smooth = FoldedNode("DivBackward0", ((smooth, 0), (None, 0)), node, saved={
            "self": _UNSAVED, "other": Saved(lambda owner: _smoothing_divisor(owner.targets))})
    return ((FoldedNode("MulBackward1", ((nll, 0),), node, saved={"other": constant(1 - node.eps)}), 0),
            (FoldedNode("MulBackward1", ((smooth, 0),), node,
                        saved={"other": constant(node.eps / node.input_shape[class_dim])}), 0))


def _smoothing_divisor(targets):
    """What PyTorch divides the smoothing term's sum by for reduction='mean': the count of targets not ignored
    (int64), or the sum of their classes' weights (a float16 or bfloat16 one accumulated in float32, as
    torch.sum)."""
    kept = targets.target != targets.ignore_index
    if targets.class_weight is None:
        return np.asarray(kept.sum(), np.int64)
    weights = targets.class_weight[targets.target[kept].astype(np.intp)]
    if weights.dtype.itemsize == 2:  # (float16 or bfloat16: NumPy's sum would round every partial sum)
        with np.errstate(invalid="ignore", over="ignore"):
            return np.asarray(np.sum(weights, dtype=np.float32)).astype(weights.dtype)
    return np.asarray(weights.sum(), targets.class_weight.dtype)


def _per_class(grad, unbatched):
    """The gradient tensor of a classification loss, broadcastable over its input's class axis."""
    return grad.unsqueeze(1) if grad._data.ndim and not unbatched else grad


def _nll_node_name(ndim, reduction):
    """PyTorch's node: nll_loss for 1-2 dims, nll_loss2d for more (then viewed back for 'none' unless 4-D)."""
    if ndim < 3:
        return "NllLossBackward0"
    return "ViewBackward0" if reduction == "none" and ndim != 4 else "NllLoss2DBackward0"


class NllLoss(Node):
    """-x[target] per element (x holds log-probabilities), weighted, then reduced."""
    # (PyTorch's kernel computes in the input's dtype, bfloat16 too: its sums and the mean's division round each
    # to it)
    bfloat16_in_float32 = "kernel"
    autocast = "float32"  # (its list in PyTorch's CPU autocast)

    saved = ("targets",)
    saves = (0,)  # as PyTorch, which saves the input (changing it in place before backward is an error)
    _nll = _nll_saved(SavedInput(0))
    torch_saved = {"NllLossBackward0": _nll, "NllLoss2DBackward0": _nll,
                   "ViewBackward0": CrossEntropy.torch_saved["ViewBackward0"]}
    folded_saved = {"NllLoss2DBackward0": _nll, "ViewBackward0": {"self_sym_sizes": lambda node: node.input_shape}}

    def targets_dtype(self):
        """The dtype of the saved total weight: the input's."""
        return SavedInput(0).tensor(self, self)._data.dtype

    def forward(self, x, targets=None, reduction="mean", unbatched=False):
        self.input_shape, self.reduction, self.targets, self.unbatched = x.shape, reduction, targets, unbatched
        if unbatched:
            x = x[None]
        losses = -targets.pick(x)
        if targets.weight is not None:
            losses *= targets.weight
        out = _reduce(losses, reduction) if reduction == "none" else _nll_reduced(losses, reduction, targets)
        return out[0] if unbatched and reduction == "none" else out

    jvp = forward_ad.gradient_jvp  # (each result element's own block of the inputs)

    def backward(self, grad):
        targets = self.targets
        targets.check_backward()
        scale = _element_scale(grad, self.reduction, targets.total_weight, targets.valid, self.unbatched)
        shape = (1,) + self.input_shape if self.unbatched else self.input_shape
        gx = np.zeros(shape, grad.dtype)
        targets.subtract(gx, scale if targets.weight is None else scale * targets.weight)
        return (gx.reshape(self.input_shape),)

    def backward_graph(self, grad):
        # Linear in the loss's gradient, with coefficients the targets fix: those of a unit gradient.
        unit = self.backward(np.ones(grad._data.shape, grad._data.dtype))[0]
        gradient = grad._wrap(unit) * _per_class(grad, self.unbatched)
        # PyTorch's nll_loss_backward reads the input, of derivative zero: the gradient requires grad as it does
        placeholder = np.broadcast_to(np.zeros((), unit.dtype), self.input_shape)
        name = "NllLossBackwardBackward0" if len(self.input_shape) < 3 else "NllLoss2DBackwardBackward0"
        return (with_zero_derivative_of(gradient, self.graph_input(0, placeholder), name, grad),)

    def name(self):
        return _nll_node_name(len(self.input_shape), self.reduction)

    def pytorch_inputs(self):
        return _nll_inputs(self, log_softmax=False)


def _nll_reduced(losses, reduction, targets):
    """The reduced ``losses`` of nll_loss's targets, as its kernel adds them: in their dtype (float16 too),
    cascaded (see nll_cascade_sum), the mean then divided by the total weight."""
    if not losses.size:  # (PyTorch's kernel returns before its loop: a mean of nothing is NaN)
        return losses.dtype.type(np.nan if reduction == "mean" else 0)
    total = nll_cascade_sum(losses.reshape(-1), None if targets.valid is None else targets.valid.reshape(-1))
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return total / targets.total_weight


def _nll_inputs(node, log_softmax):
    """``next_functions`` of a class-index loss as PyTorch's graph lists it: cross_entropy is nll_loss of
    log_softmax; inputs of 3 or 5+ dims are viewed as 4-D for nll_loss2d, whose per-element losses are viewed
    back to the target's shape."""
    ndim = len(node.input_shape)
    edge = shown_edge(node.edges[0])
    if log_softmax:
        edge = folded("LogSoftmaxBackward0", edge, node)
    if ndim >= 3 and ndim != 4:
        edge = folded("ViewBackward0", edge, node)
    if node.name() == "ViewBackward0":  # the 'none' losses of nll_loss2d, viewed back
        return ((folded("NllLoss2DBackward0", edge, node), 0),)
    return ((edge, 0),)


def _check_target_dtype(target):
    if target._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {target.dtype.scalar_name}")


def _class_targets(input, target, weight, ignore_index, reduction):
    """PyTorch's nll_loss_nd checks, in its order, and the targets prepared for the loss.

    Inputs of 1-2 dims go to nll_loss, the others to nll_loss2d (3-D and 5-D+ viewed as 4-D first).
    """
    shape, target_shape = input._data.shape, target._data.shape
    ndim, target_ndim = len(shape), len(target_shape)
    if ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {ndim})")
    if ndim != 1:
        target_batch = target_shape[0] if target_ndim else 0
        if shape[0] != target_batch:
            raise ValueError(f"Expected input batch_size ({shape[0]}) to match target batch_size ({target_batch}).")
    unbatched, spatial = ndim == 1, ndim > 2
    classes = shape[0 if unbatched else 1]
    if not spatial:
        _refuse_grad("nll_loss_forward", "weight", weight)
        if target_ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        _check_target_dtype(target)
        if not unbatched and target_ndim == 0:  # PyTorch reads target.size(0) (an empty batch passed the above)
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        if unbatched and target_ndim == 1 and target_shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target_shape[0]}")
        if weight is not None and (weight.dim() != 1 or weight.numel() != classes):
            raise RuntimeError(f"weight tensor should be defined either for all {classes} classes or no classes but "
                               f"got weight tensor of shape: {list(weight.shape)}")
    else:
        expected = [shape[0]] + list(shape[2:])
        if ndim != 4 and not target_ndim:  # PyTorch slices the target's sizes from 1 on
            raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0")
        if ndim != 4 and list(target_shape[1:]) != expected[1:]:
            raise RuntimeError(f"Expected target size {expected}, got {list(target_shape)}")
        _refuse_grad("nll_loss2d_forward", "weight", weight)
        if ndim == 4 and target_ndim != 3:
            raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of dimension: "
                               f"{target_ndim}")
        _check_target_dtype(target)
        if weight is not None and weight.numel() != classes:  # any shape: nll_loss2d reads it flat
            raise RuntimeError("weight tensor should be defined either for all or no classes")
        viewed, viewed_target = _viewed_as_2d(shape, target_shape)
        if viewed[:1] + viewed[2:] != viewed_target:
            raise RuntimeError(f"size mismatch (got input: {viewed} , target: {viewed_target}")
    if not input.is_floating_point():
        kernel = "nll_loss2d_forward_out_frame" if spatial else "nll_loss_out_frame"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
    if weight is not None and weight._data.dtype != input._data.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found {weight.dtype.scalar_name}")
    backward_error = None
    if spatial and target._data.dtype == np.uint8:
        # nll_loss2d reads targets as Long only; a reduced loss of no targets returns before reading
        # them, and its backward fails instead.
        backward_error = "expected scalar type Long but found Byte"
        if reduction == "none" or target._data.size:
            raise RuntimeError(backward_error)
    elif unbatched and target_ndim == 1 and classes != 1:
        # The forward takes the (1,) target of a (C,) input; nll_loss's backward checks its size against C.
        backward_error = f"size mismatch (got input: {list(shape)}, target: {list(target_shape)})"
    targets = _ClassTargets(target._data.reshape(1) if unbatched else target._data,
                            None if weight is None else weight._data.reshape(-1), ignore_index, classes,
                            input._data.dtype, ndim == 2 and reduction == "none" and target._data.dtype == np.uint8)
    targets.backward_error = backward_error
    return targets, unbatched


def _smoothing_share(label_smoothing, classes):
    """The smoothing's share of each class, a Python float (weak in NumPy's promotion); infinite without classes, as
    PyTorch's division makes it (its losses then NaN)."""
    return label_smoothing / classes if classes else math.inf


def _viewed_as_2d(shape, target_shape):
    """The sizes nll_loss2d sees of an input and a target of these shapes: 4-D and 3-D as they are, others viewed as
    (N, C, 1, -1) and (N, 1, -1), or (N, C, 0, 0) and (N, 0, 0) when empty."""
    if len(shape) == 4:
        return list(shape), list(target_shape)
    batch, classes = shape[0], shape[1]
    size, target_size = math.prod(shape), math.prod(target_shape)
    viewed = [batch, classes, 1, size // (batch * classes)] if size else [batch, classes, 0, 0]
    viewed_target = [batch, 1, target_size // batch] if target_size else [batch, 0, 0]
    return viewed, viewed_target


def _check_tensors(fn, input, target, weight, ignore_index, *label_smoothing):
    """The TypeErrors of PyTorch's argument parser for the native ``fn`` (after the Python reduction check):
    the tensors, ignore_index an int (position 5, after the reduction; a SymInt, so a one-element integer tensor of
    any rank passes too), cross_entropy's label_smoothing a float."""
    check_tensor(input, fn)
    check_tensor(target, fn, "target", 2)
    if weight is not None:
        check_tensor(weight, fn, "weight", 3)
    if not _is_list_int(ignore_index):
        raise TypeError(f"{fn}(): argument 'ignore_index' (position 5) must be int, not {_tp_name(ignore_index)}")
    for value in label_smoothing:
        check_float_arg(value, fn, "label_smoothing", 6)


@quiet
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of class-index targets given log-probabilities: loss_i = -w[t_i] * input[i, t_i].

    input: (N, C), (C) or (N, C, d1, ...); target: (N), () or (N, d1, ...) with values in [0, C) or
    ignore_index. 'mean' divides by the total weight of the non-ignored targets.
    """
    reduction = _reduction(reduction, size_average, reduce)
    _check_tensors("nll_loss_nd", input, target, weight, ignore_index)
    ignore_index = unpack_symint(ignore_index)
    targets, unbatched = _class_targets(input, target, weight, ignore_index, reduction)
    x = input._data
    if x.ndim == 4 and not x.flags.c_contiguous and x.size and \
            not _memory_format.is_c_order(x.shape, _memory_format.strides_like(x, _memory_format.preserve_format)):
        # nll_loss2d's backward writes into zeros_like(input), laid out as the input, and requires it contiguous
        targets.backward_error = "grad_input must be contiguous"
    # (PyTorch's node saves the target and the weight: an in-place change of either before backward is its error)
    return save_tensor_versions(NllLoss.apply(input, targets=targets, reduction=reduction, unbatched=unbatched),
                                target, weight)


def _cross_entropy_probabilities(input, target, weight, reduction, ignore_index, label_smoothing):
    """Cross entropy with class-probability targets shaped like the input (composed of differentiable ops)."""
    if not target.is_floating_point():
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                           f"{target.dtype.scalar_name}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if input.dim() == 0:
        raise IndexError("Dimension specified as 1 but tensor has no dimensions")  # its class dimension
    class_dim = 0 if input.dim() == 1 else 1
    classes = input.shape[class_dim]
    if weight is not None and (weight.dim() != 1 or weight.numel() != classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {classes} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    log_probs = log_softmax(input, class_dim)
    if label_smoothing > 0:
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}")
        # (times and plus a number as PyTorch's C++ computes them, mul.Scalar and add.Scalar: MulBackward1 and
        # AddBackward1 in the target's gradient)
        target = arithmetic.add_scalar(arithmetic.mul_scalar(target, 1 - label_smoothing),
                                       label_smoothing / max(classes, 1))
        # (no classes: no targets)
    terms = log_probs * target
    if weight is not None:
        terms = terms * weight.reshape((classes,) + (1,) * (input.dim() - class_dim - 1))
    if reduction == "none":
        return -terms.sum(class_dim)
    if reduction == "sum":
        return -terms.sum()
    if not input.numel():
        return -terms.sum().fill_(float("nan"))  # as PyTorch makes it: NegBackward0
    # PyTorch divides by a number in C++ (div.Scalar: DivBackward1)
    return (-terms.sum())._binary(input.numel() // classes, arithmetic.Div, scalar_divisor=True)


def _check_smoothing(input, target, weight, ignore_index, reduction, targets, unbatched):
    """The errors PyTorch's label smoothing term meets after nll_loss's checks, in its order."""
    if weight is not None and not unbatched:
        # It views the weight as (1, C, 1, ...) by its first size (nll_loss2d reads a weight of any shape flat).
        if weight.dim() == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        shape = [1] * input.dim()
        shape[1] = weight.shape[0]
        if shape[1] != weight.numel():
            raise RuntimeError(f"shape '{shape}' is invalid for input of size {weight.numel()}")
    if unbatched and target.dim() == 1:
        # It masks the smoothing term of a (C) input, a scalar, in place with the (1) target's mask.
        raise RuntimeError("output with shape [] doesn't match the broadcast shape [1]")
    counted = targets.smooth_over(ignore_index)
    if weight is not None and reduction == "mean" and counted:
        # Its 'mean' sums the class weights of the counted targets, gathered by a 1-D Long index.
        if weight.dim() != 1:
            raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
        if target._data.dtype == np.uint8:
            raise RuntimeError("gather(): Expected dtype int32/int64 for index")


@quiet
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """Cross entropy between logits and targets: log_softmax over the class dim, then the negative log-likelihood.

    input: (N, C), (C) or (N, C, d1, ...) unnormalised scores. target: class indices (N), () or
    (N, d1, ...) in [0, C) (entries equal to ignore_index are skipped), or class probabilities of
    the input's shape. weight: (C) per-class rescaling. label_smoothing e in [0, 1] mixes the target
    with the uniform distribution: (1 - e) * target + e / C. 'mean' divides index-target losses by the
    total weight of the non-ignored targets and probability-target losses by N * d1 * ....
    """
    reduction = _reduction(reduction, size_average, reduce)
    _check_tensors("cross_entropy_loss", input, target, weight, ignore_index, label_smoothing)
    ignore_index, label_smoothing = unpack_symint(ignore_index), float(label_smoothing)
    if input._data.shape == target._data.shape:
        return _cross_entropy_probabilities(input, target, weight, reduction, ignore_index, label_smoothing)
    smoothing = max(label_smoothing, 0.0)
    if smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}")
    if input.dim() == 0:  # PyTorch's log_softmax over the class dimension 1
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    if not input.is_floating_point() and input._data.size:  # (an empty log_softmax runs no kernel: nll_loss fails)
        kernel = "log_softmax_lastdim_kernel_impl" if input.dim() <= 2 else "log_softmax_kernel_impl"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
    targets, unbatched = _class_targets(input, target, weight, ignore_index, reduction)
    if smoothing > 0:
        _check_smoothing(input, target, weight, ignore_index, reduction, targets, unbatched)
    dtype = input._data.dtype
    # float16 or bfloat16 ("V"; a bfloat16 one inside autocast goes to the fused node, which autocast computes in
    # float32)
    if dtype.itemsize == 2 and (dtype.kind == "f" or _opmath.autocast_state[0] is None):
        return save_tensor_versions(_half_cross_entropy(input, weight, targets, reduction, smoothing, unbatched),
                                    target, weight)
    return save_tensor_versions(CrossEntropy.apply(input, targets=targets, reduction=reduction,
                                                   label_smoothing=smoothing, unbatched=unbatched), target, weight)


def _half_cross_entropy(input, weight, targets, reduction, smoothing, unbatched):
    """cross_entropy of a float16 or bfloat16 input composed as PyTorch composes it, of log_softmax, nll_loss and
    (label smoothing) tensor ops: each is a kernel of its own rounding its result to the input's dtype, which the
    fused node's one pass would not."""
    class_dim = 0 if unbatched else 1
    log_probs = log_softmax(input, class_dim)
    nll = NllLoss.apply(log_probs, targets=targets, reduction=reduction, unbatched=unbatched)
    if not smoothing:
        return nll
    classes = input.shape[class_dim]
    if weight is None:
        smooth = -log_probs.sum(class_dim)
    else:
        smooth = -(log_probs * weight.view([classes if axis == class_dim else 1 for axis in range(input.dim())]))
        smooth = smooth.sum(class_dim)
    if targets.smooth_valid is not None:
        smooth = smooth.masked_fill(Tensor._wrap(~targets.smooth_valid.reshape(smooth.shape)), 0.0)
    if reduction == "mean":  # over the count of the targets kept (an int64 tensor) or their classes' weights
        kept = targets.smooth_valid
        divisor = _smoothing_divisor(targets) if weight is not None else \
            np.asarray(targets.target.size if kept is None else kept.sum(), np.int64)
        smooth = smooth.sum() / Tensor._wrap(divisor)
    elif reduction == "sum":
        smooth = smooth.sum()
    share = _smoothing_share(smoothing, classes)
    return arithmetic.mul_scalar(nll, 1 - smoothing) + arithmetic.mul_scalar(smooth, share)


# ---------------------------------------------------------------------------- regression losses
def _warn_size(input, target, stacklevel=5):
    """PyTorch's warning for a target that only broadcasts to the input; ``stacklevel`` points at the user's call
    (past the loss's :func:`quiet` wrapper)."""
    if target.size() != input.size():
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=stacklevel)


def _regression_reduction(input, target, reduction, size_average, reduce):
    """mse_loss's and l1_loss's preamble in PyTorch's order: the size warning, the deprecated flags, then
    broadcasting, whose error comes before the reduction is checked (by the caller, after its weighted branch).
    Returns the reduction and the two tensors broadcast: PyTorch computes on those, so a 0-dim tensor's dtype
    counts as a dimensioned one's in the promotion (an f32 input and a 0-dim f64 target give an f64 loss)."""
    _warn_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    return (reduction, *_broadcast(input, target))


def _broadcast(input, target):
    """torch.broadcast_tensors of the two, as the regression losses start: a tensor of the broadcast shape left
    alone, the other expanded (an ExpandBackward0 node)."""
    if tuple(input.shape) == tuple(target.shape):
        return input, target
    shape = _broadcast_shape(input, target)
    return tuple(t if tuple(t.shape) == shape else t.expand(*shape) for t in (input, target))


def _broadcast_shape(a, b):
    """The broadcast shape of two tensors, with PyTorch's message for incompatible sizes."""
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        sa, sb = tuple(a.shape), tuple(b.shape)
        for i in range(1, min(len(sa), len(sb)) + 1):
            if sa[-i] != sb[-i] and sa[-i] != 1 and sb[-i] != 1:
                dim = max(len(sa), len(sb)) - i
                raise RuntimeError(f"The size of tensor a ({sa[-i]}) must match the size of tensor b ({sb[-i]}) at "
                                   f"non-singleton dimension {dim}") from None
        raise


def _common_dtype(input, target):
    common = promote(input._data.dtype, target._data.dtype)
    return input._cast(common), target._cast(common)


class MseLoss(Node):
    # (PyTorch's bfloat16 kernels round each step, as its float16 ones: ml_dtypes' bfloat16 arrays do, see _opmath)
    bfloat16_in_float32 = "kernel"
    autocast = "float32"  # (its list in PyTorch's CPU autocast)
    backward_is_one_op = True
    backward_inputs_of = {1: (1, 0)}  # the target's gradient: mse_loss_backward(grad, target, self)
    saved = ("diff", "x", "t")  # PyTorch's node saves the input and the target (create_graph differentiates them)
    torch_saved = {"self": SavedInput(0, "x"), "target": SavedInput(1, "t"),
                   "reduction": lambda node: _REDUCTIONS[node.reduction]}

    @quiet  # (overflowing squares: inf, silently)
    def forward(self, x, t, reduction="mean"):
        self.shapes, self.reduction = (x.shape, t.shape), reduction
        self.x, self.t = x, t
        self.diff = x - t
        return _reduce(np.square(self.diff), reduction, operands=(x, t))

    # C-contiguous, as mse_loss_backward's zeros_like(input, LEGACY_CONTIGUOUS_MEMORY_FORMAT) (and the target's)
    jvp = forward_ad.gradient_jvp  # (each result element's own block of the inputs)

    @c_ordered_gradients
    def backward(self, grad):
        # Of no elements the mean's gradient is empty (PyTorch scales it by 2 / 0 = inf): any factor does.
        norm = 2 / max(self.diff.size, 1) if self.reduction == "mean" else 2
        if self.diff.dtype.itemsize == 2:  # (PyTorch's kernel: norm * diff * grad, half or bfloat16 numbers rounding
            with np.errstate(over="ignore"):  # each step)
                g = self.diff.dtype.type(norm) * self.diff * grad
        else:  # (in the kernel's order, norm * diff * grad: grad * norm first rounds differently)
            g = norm * self.diff * grad
        gx, gt = (unbroadcast(g, self.shapes[0]) if self.needs_input_grad[0] else None,
                  unbroadcast(-g, self.shapes[1]) if self.needs_input_grad[1] else None)
        return gx, gt

    def backward_graph(self, grad):
        scale = grad * (2 / max(self.diff.size, 1)) if self.reduction == "mean" else grad * 2
        g = (self.graph_input(0, self.x) - self.graph_input(1, self.t)) * scale
        return (unbroadcast_tensor(g, self.shapes[0]) if self.needs_input_grad[0] else None,
                unbroadcast_tensor(-g, self.shapes[1]) if self.needs_input_grad[1] else None)


def _weighted(errors, weight, input, reduction):
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    weighted = errors * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    if reduction == "mean":
        return weighted.sum() / weight.sum()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


@quiet
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error: (input - target)^2 elementwise (target broadcast to the input), then reduced.

    weight, if given (input's shape), multiplies each squared error; 'mean' then divides by its sum.
    """
    reduction, expanded_input, expanded_target = _regression_reduction(input, target, reduction, size_average,
                                                                       reduce)
    if weight is not None:
        return _weighted((expanded_input - expanded_target) ** 2, weight, input, reduction)
    reduction = _reduction(reduction)
    input, target = _common_dtype(expanded_input, expanded_target)
    if not input.is_floating_point():
        raise NotImplementedError(f"\"mse_cpu\" not implemented for '{input.dtype.scalar_name}'")
    if len(forward_ad.state.vmap_levels) > 1:  # (nested vmap: its rule may not broadcast what it flattens)
        forward_ad.refuse_flattened_mismatch(input, target)
    return MseLoss.apply(input, target, reduction=reduction)


@quiet
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error: |input - target| elementwise, then reduced (weight as in mse_loss)."""
    input, target = autocast_cast("float32", input, target)
    reduction, expanded_input, expanded_target = _regression_reduction(input, target, reduction, size_average,
                                                                       reduce)
    if weight is not None:
        return _weighted((expanded_input - expanded_target).abs(), weight, input, reduction)
    reduction = _reduction(reduction)
    errors = (expanded_input - expanded_target).abs()
    return errors if reduction == "none" else errors.sum() if reduction == "sum" else errors.mean()


# ---------------------------------------------------------------------------- binary cross entropy
class BinaryCrossEntropy(Node):
    """-w (t log x + (1 - t) log(1 - x)) with each log clamped at -100, as PyTorch."""
    bfloat16_in_float32 = True  # (PyTorch computes it in float32 for bfloat16, see _opmath)
    autocast = "float32"  # (its list in PyTorch's CPU autocast)

    saved = ("x", "t", "w")
    torch_saved = {**MseLoss.torch_saved, "weight": Saved("w")}

    def forward(self, x, t, weight=None, reduction="mean"):
        self.x, self.t, self.w, self.reduction = x, t, weight, reduction
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        losses = -(t * log_x + (1 - t) * log_1mx)
        if weight is not None:
            losses = losses * weight
        return _reduce(losses, reduction, operands=(x, t))

    jvp = forward_ad.gradient_jvp  # (each result element's own block of the inputs)

    def _weighted_mean(self, gradient):
        """``gradient`` times the weight, then over the number of losses for a mean: the last two steps of PyTorch's
        gradients for both operands (after the incoming gradient was multiplied in)."""
        if self.w is not None:
            gradient = gradient * self.w
        return gradient / self.x.size if self.reduction == "mean" else gradient

    def backward(self, grad):
        x, t = self.x, self.t
        gx = gt = None
        if self.needs_input_grad[0]:
            # PyTorch's kernel, each op rounded in the input's dtype
            gx = self._weighted_mean(grad * (x - t) / np.maximum((1 - x) * x, _bce_epsilon(x.dtype)))
            if not x.flags.c_contiguous:  # (PyTorch's kernel writes into empty_like(input): the input's layout)
                gx = _memory_format.preserving(gx, x)
        if self.needs_input_grad[1]:
            # PyTorch's -logit(input): unclamped, so an input of 0 or 1 gives an infinite gradient (then multiplied
            # in place: laid out as logit's result, TensorIterator's of the input)
            gt = _memory_format.iterator_layout(self._weighted_mean(-np.log(x / (1 - x)) * grad), (x,))
        return gx, gt

    def backward_graph(self, grad):
        x, w = self.x, self.w
        x_t, t_t = self.graph_input(0, x), self.graph_input(1, self.t)

        def weighted_mean(gradient):  # as backward's _weighted_mean, recorded (C++'s div_ by the number: DivBackward1)
            if w is not None:
                gradient = gradient * grad._wrap(w)
            return gradient._binary(x.size, arithmetic.Div, scalar_divisor=True) if self.reduction == "mean" \
                else gradient

        gx = gt = None
        if self.needs_input_grad[0]:  # (PyTorch's binary_cross_entropy_backward; the target's is a composite)
            gx = recorded_as_backward_op(
                self, BinaryCrossEntropyBackward.apply(grad, x_t, t_t, weight=w, reduction=self.reduction), grad,
                "BinaryCrossEntropyBackwardBackward0")
            if not x.flags.c_contiguous:  # (as backward's: empty_like(input))
                gx = relaid(gx, _memory_format.preserving(gx._data, x), grad)
        if self.needs_input_grad[1]:
            gt = weighted_mean(-x_t.logit() * grad)
        return gx, gt


class BinaryCrossEntropyBackward(Node):
    """binary_cross_entropy_backward(grad, input, target): the input's gradient of binary_cross_entropy as
    ``create_graph=True`` records it, differentiated by PyTorch's own formulas (binary_cross_entropy_double_backward
    and its target and grad_output forms) rather than as the expression it computes: they shift the input by 1e-12
    where the gradient clamps its denominator, which changes the second derivatives near 0 and 1 (and in float64's
    last digits everywhere)."""

    saved = ("g", "x", "t")

    def forward(self, g, x, t, weight=None, reduction="mean"):
        self.g, self.x, self.t, self.w, self.reduction = g, x, t, weight, reduction
        with np.errstate(all="ignore"):
            gx = g * (x - t) / np.maximum((1 - x) * x, _bce_epsilon(x.dtype))
        if weight is not None:
            gx = gx * weight
        return gx / x.size if reduction == "mean" else gx

    def backward(self, grad):
        return self._derivatives(grad, self.g, self.x, self.t, self.w, np.maximum, unbroadcast)

    def backward_graph(self, grad):
        from ..._ops.shape import Where

        def at_least(tensor, value):  # np.maximum(tensor, value), the value a constant
            kept = tensor._data >= tensor._data.dtype.type(value)
            return tensor if kept.all() else Where.apply(tensor, grad._wrap(np.asarray(value, tensor._data.dtype)),
                                                         condition=kept)

        g, x, t = (self.graph_input(i, a) for i, a in enumerate((self.g, self.x, self.t)))
        w = None if self.w is None else grad._wrap(self.w)
        return self._derivatives(grad, g, x, t, w, at_least, unbroadcast_tensor)

    def _derivatives(self, gg, g, x, t, w, at_least, summed_to):
        """The gradients of grad_output, input and target (arrays, or tensors of the graph) from ``gg``, as
        PyTorch's formulas compute them op by op."""
        eps, needs = 1e-12, self.needs_input_grad
        mean = self.reduction == "mean"
        g_grad = x_grad = t_grad = None
        if needs[0]:  # binary_cross_entropy_double_backward_grad_output, summed to the gradient's shape
            g_grad = (x - t) / ((x + eps) * (1 - x + eps)) * gg
            if w is not None:
                g_grad = g_grad * w
            g_grad = summed_to(g_grad / self.x.size if mean else g_grad, self.g.shape)
        if needs[1]:  # binary_cross_entropy_double_backward
            x_grad = (x * x - 2 * x * t + t) / ((x + eps) ** 2 * (1 - x + eps) ** 2) * (gg * g)
            if w is not None:
                x_grad = x_grad * w
            if mean:
                x_grad = x_grad / self.x.size
        if needs[2]:  # binary_cross_entropy_double_backward_target
            t_grad = -gg * g
            if w is not None:
                t_grad = t_grad * w
            t_grad = t_grad / at_least((1 - x) * x, eps)  # (the double 1e-12, not the kernel's float32 one)
            if mean:
                t_grad = t_grad / self.x.size
        return g_grad, x_grad, t_grad

    def name(self):
        return "BinaryCrossEntropyBackwardBackward0"


def _bce_epsilon(dtype):
    """The floor of binary_cross_entropy_backward's denominator in ``dtype``: PyTorch's EPSILON is the float32
    1e-12 (so not float64's 1e-12, and 0 in float16)."""
    return dtype.type(np.float32(1e-12))


def _torch_broadcast_shapes(*sizes):
    """torch.broadcast_shapes of torchless.Size objects, with its message for incompatible sizes."""
    common = [1] * max(len(size) for size in sizes)
    for position, size in enumerate(sizes):
        for i in range(-1, -1 - len(size), -1):
            if common[i] == 1:
                common[i] = size[i]
            elif size[i] not in (1, common[i]):
                raise RuntimeError(f"Attempting to broadcast a dimension of length {size[i]} at {i}! Mismatching "
                                   f"argument at index {position} had {size}; but expected shape should be "
                                   f"broadcastable to {common}")
    return tuple(common)


def _check_in_place(out, shape):
    """PyTorch's error for an in-place op on ``out`` whose operands broadcast to the larger ``shape``."""
    if shape != tuple(out.shape):
        raise RuntimeError(f"output with shape {list(out.shape)} doesn't match the broadcast shape {list(shape)}")


def _first_outside_unit_range(input, target):
    """'input' or 'target', whichever PyTorch's kernel meets first outside [0, 1] (nan included); else None."""
    bad_input = ~((input >= 0) & (input <= 1))
    bad = bad_input | ~((target >= 0) & (target <= 1))
    if not bad.any():
        return None
    return "input" if bad_input.flat[np.argmax(bad)] else "target"


@quiet
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross entropy between probabilities in [0, 1] and targets of the same shape.

    loss = -weight * (target * log(input) + (1 - target) * log(1 - input)), each log clamped at -100.
    """
    reduction = _reduction(reduction, size_average, reduce)
    if target.size() != input.size():
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input size "
                         f"({input.size()}) is deprecated. Please ensure they have the same size.")
    if weight is not None:
        weight_shape = _torch_broadcast_shapes(target.size(), weight.size())
    _refuse_grad("binary_cross_entropy", "weight", weight)
    # The native kernel: the dtypes, each element's range, then loss *= weight in place (the input's
    # shape and dtype).
    if target.dtype != input.dtype:
        raise RuntimeError(f"Found dtype {target.dtype.scalar_name} but expected {input.dtype.scalar_name}")
    if not input.is_floating_point():
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for '{input.dtype.scalar_name}'")
    x = input._data
    outside = _first_outside_unit_range(x, target._data)
    if outside:
        raise RuntimeError(f"all elements of {outside} should be between 0 and 1")
    w = None
    if weight is not None:
        _check_in_place(x, weight_shape)
        _check_real_product(x.dtype, weight._data.dtype)
        w = np.broadcast_to(weight._data.astype(x.dtype, copy=False), weight_shape)
    return save_tensor_versions(BinaryCrossEntropy.apply(input, target, weight=w, reduction=reduction), weight)


class BinaryCrossEntropyWithLogits(Node):
    """(1 - t) x + (1 + (p - 1) t) softplus(-x), times weight; softplus computed without overflow."""
    # (bfloat16 as float16: ml_dtypes' bfloat16 arrays round each step as PyTorch's tensor ops, see _opmath)
    bfloat16_in_float32 = "kernel"
    autocast = "float32"  # (its list in PyTorch's CPU autocast)

    saved = ("x", "t", "w", "pos_weight")
    torch_saved = {**BinaryCrossEntropy.torch_saved, "pos_weight": Saved("pos_weight")}

    @quiet
    def forward(self, x, t, weight=None, pos_weight=None, reduction="mean", *, input_dtype, out_dtype):
        """The loss in ``out_dtype``: the target's, which PyTorch's loss is written into. ``x`` and ``t`` come
        promoted to their common dtype; PyTorch's steps round as they write in place, into tensors of the input's
        dtype (``input_dtype``) and then of the target's."""
        self.x, self.t, self.w, self.pos_weight, self.reduction = x, t, weight, pos_weight, reduction
        self.input_dtype = input_dtype
        # -log_sigmoid(input), PyTorch's kernel's: a float16 one computes in float32, rounded once (the rest are
        # float16 tensor ops, each rounded)
        opmath = x.astype(np.float32) if x.dtype.itemsize == 2 else x  # (float16 or bfloat16)
        softplus_neg = (np.maximum(-opmath, 0) + np.log1p(np.exp(-np.abs(opmath)))).astype(input_dtype, copy=False)
        if pos_weight is not None:  # log_sigmoid.mul_(...): in the input's dtype
            softplus_neg = (softplus_neg * (1 + (pos_weight - 1) * t)).astype(input_dtype, copy=False)
        losses = ((1 - t) * x).astype(out_dtype, copy=False) + softplus_neg  # (1 - target).mul_(input).sub_(...)
        if weight is not None:
            losses = losses.astype(out_dtype, copy=False) * weight  # .mul_(weight)
        # unreduced, laid out as (1 - target), the tensor the steps write into
        return _reduce(losses.astype(out_dtype, copy=False), reduction, operands=(t,))

    def _scaled(self, derivative, grad):
        """``derivative`` times grad, times weight, over the number of losses for a mean: PyTorch's order, so
        that a gradient of the (lower precision) target's dtype is not divided in that dtype."""
        if grad.ndim == 0:  # (a 0-d tensor does not promote a tensor with dimensions)
            grad = grad.astype(derivative.dtype, copy=False)
        scaled = derivative * grad
        if self.w is not None:
            scaled *= self.w
        if self.reduction == "mean":
            scaled /= np.broadcast(self.x, self.t, *(a for a in (self.w, self.pos_weight) if a is not None)).size
        return scaled

    jvp = forward_ad.gradient_jvp  # (each result element's own block of the inputs)

    def backward(self, grad):
        x, t, p = self.x, self.t, self.pos_weight
        e = np.exp(-np.abs(x))
        gx = gt = None
        # Laid out as PyTorch's formulas' first operands: sigmoid(input) - target, or pos_weight * target ...;
        # -input * grad for the target, or log_sigmoid(-input) ... (C-contiguous, as log_sigmoid writes)
        if self.needs_input_grad[0]:
            # sigmoid(input) in the input's dtype (a float16 one computed in float32, rounded once), then PyTorch's
            # steps: (pos_weight * target + 1 - target) * sigmoid - pos_weight * target
            wide = x.astype(np.float32) if x.dtype.itemsize == 2 else x  # (float16 or bfloat16)
            sigmoid = (1 / (1 + np.exp(-wide))).astype(self.input_dtype, copy=False).astype(x.dtype, copy=False)
            if p is None:
                gx = sigmoid - t
            else:
                weighted_target = p * t
                gx = (weighted_target + 1 - t) * sigmoid - weighted_target
            gx = _memory_format.iterator_layout(self._scaled(gx, grad), (x,) if p is None else (p, t))
            gx = unbroadcast(gx, x.shape)
        if self.needs_input_grad[1]:
            # computed from the input, in its dtype (the target's gradient is then cast to the target's)
            gt = -x if p is None else (_floating(p, x.dtype) - 1) * (np.maximum(-x, 0) + np.log1p(e)) - x
            gt = gt.astype(self.input_dtype, copy=False)
            gt = self._scaled(gt, grad) if p is None else self._scaled(gt, grad.astype(gt.dtype, copy=False))
            gt = unbroadcast(_memory_format.iterator_layout(gt, (x,)) if p is None else _memory_format.c_ordered(gt),
                             t.shape)
        return gx, gt

    def backward_graph(self, grad):
        # PyTorch's formulas: the derivative times grad, times weight, then (a mean) divided by the number of
        # losses, a number (DivBackward1)
        x, t, w, p = self.x, self.t, self.w, self.pos_weight
        size = np.broadcast(x, t, *(a for a in (w, p) if a is not None)).size

        def scaled(gradient):
            gradient = gradient * grad
            if w is not None:
                gradient = gradient * grad._wrap(w)
            return gradient._binary(size, arithmetic.Div, scalar_divisor=True) if self.reduction == "mean" \
                else gradient

        x_t, t_t = self.graph_input(0, x), self.graph_input(1, t)
        p_t = None if p is None else grad._wrap(_floating(p, x.dtype))
        gx = gt = None
        if self.needs_input_grad[0]:
            sigmoid = x_t.sigmoid()
            gx = sigmoid - t_t if p is None else (p_t * t_t + 1 - t_t) * sigmoid - p_t * t_t
            gx = unbroadcast_tensor(scaled(gx), x.shape)
        if self.needs_input_grad[1]:
            softplus_neg = (-x_t).relu() + (-x_t.abs()).exp().log1p()  # as forward's, without overflow
            gt = -x_t if p is None else (p_t - 1) * softplus_neg - x_t
            gt = unbroadcast_tensor(scaled(gt), t.shape)
        return gx, gt


def _floating(pos_weight, dtype):
    """An integer ``pos_weight`` in the floating ``dtype`` for the gradients: PyTorch's are log_sigmoid(-x) -
    log_sigmoid(x) * pos_weight and products of it, in which no pos_weight - 1 wraps around (the loss's does)."""
    return pos_weight if pos_weight.dtype.kind == "f" else pos_weight.astype(dtype)


@quiet
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross entropy on logits (sigmoid built in, numerically stable).

    loss = -weight * (pos_weight * target * log sigmoid(x) + (1 - target) * log(1 - sigmoid(x))).
    pos_weight broadcasts against the target (e.g. one weight per class along the last dimension).
    """
    input, target, weight, pos_weight = autocast_cast("float32", input, target, weight, pos_weight)
    reduction = _reduction(reduction, size_average, reduce)
    if target.size() != input.size():
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    for name, position, value in (("weight", 3, weight), ("pos_weight", 4, pos_weight)):  # (the native's parser)
        if value is not None:
            check_tensor(value, "binary_cross_entropy_with_logits", name, position)
    _refuse_grad("binary_cross_entropy_with_logits", "weight", weight)
    _refuse_grad("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    # PyTorch's steps: log_sigmoid(input), times (pos_weight - 1) * target + 1 in place, then the loss
    # (1 - target) * input - that built in place on (1 - target) (the target's dtype), times weight in place.
    if not input.is_floating_point():
        raise NotImplementedError(f"\"log_sigmoid_cpu\" not implemented for '{input.dtype.scalar_name}'")
    if pos_weight is not None:
        pos_weight._check_bool_sub(1)  # (its pos_weight - 1)
        _check_in_place(input, _broadcast_shape(pos_weight, target))
        _check_real_product(input._data.dtype, promote(pos_weight._data.dtype, target._data.dtype))
    if target.dtype.name == "bool":
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if not target.is_floating_point():
        raise RuntimeError(f"result type {input.dtype.scalar_name} can't be cast to the desired output type "
                           f"{target.dtype.scalar_name}")
    if weight is not None:
        _check_in_place(target, _broadcast_shape(target, weight))
        _check_real_product(target._data.dtype, weight._data.dtype)
    input_dtype, out_dtype = input._data.dtype, target._data.dtype
    input, target = _common_dtype(input, target)
    return save_tensor_versions(BinaryCrossEntropyWithLogits.apply(
        input, target, weight=None if weight is None else weight._data,
        pos_weight=None if pos_weight is None else pos_weight._data, reduction=reduction, input_dtype=input_dtype,
        out_dtype=out_dtype), weight, pos_weight)
