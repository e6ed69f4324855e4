"""``linear_cross_entropy``: cross entropy of the logits ``linear(input, linear_weight)``, PyTorch 2.13's
head-and-loss in one call, with its checks.

PyTorch can chunk it over the batch (``options``) so that the (N, C) logits never exist whole; torchless computes
the reference form in every case (the same loss and gradients), after the same validation and warnings.
"""
import math
import warnings

from ... import _dtype
from .linear import linear
from .loss import cross_entropy

__all__ = ["linear_cross_entropy"]


def _chunked_path_ok(reduction, label_smoothing, target, out_features):
    return reduction in {"mean", "sum", "none"} and label_smoothing == 0.0 and target.dtype == _dtype.int64 \
        and not out_features


def _check_chunked(options, input, linear_weight, linear_bias, target, weight, ignore_index):
    """The options PyTorch's chunked op would resolve, its refusal of an accumulation dtype it lacks, and its
    indexing errors for a class index out of range."""
    num_batches = input.shape[0] if input.dim() == 2 else 1
    options = options._adjust(num_batches=num_batches, in_features=input.shape[-1],
                              num_classes=linear_weight.shape[0], dtype=input.dtype, device=input.device)
    if linear_bias is not None and tuple(linear_bias.shape) != tuple(linear_weight.shape[:-1]):
        raise RuntimeError(f"linear_cross_entropy: expected linear_bias shape {tuple(linear_weight.shape[:-1])}, "
                           f"got {tuple(linear_bias.shape)}.")
    dtype, acc_dtype = input.dtype, options.acc_dtype
    if dtype != acc_dtype and not (dtype in (_dtype.float16, _dtype.bfloat16) and acc_dtype == _dtype.float32):
        raise RuntimeError(f"linear_cross_entropy supports float32 acc_dtype with float16/bfloat16 inputs, but got "
                           f"{acc_dtype} acc_dtype and {dtype} inputs.")
    num_classes = linear_weight.shape[0]
    for index in target.reshape(-1).tolist():
        # the op zeroes ignored targets only when ignore_index is no class; the rest index the class weights,
        # else gather the logits
        if index == ignore_index and not 0 <= ignore_index < num_classes or 0 <= index < num_classes:
            continue
        if weight is not None:
            raise IndexError("index out of range in self")
        raise RuntimeError(f"index {index} is out of bounds for dimension 1 with size {num_classes}")


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    r"""``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``, the logits reshaped to
    ``(*batch, C, *out_features)`` for a weight of shape ``(C, *out_features, in_features)``.

    ``ignore_index`` None means -100 for class-index targets and is required for class probabilities (a target
    of the logits' shape). ``options`` (a :class:`~torchless.nn.LinearCrossEntropyOptions`) is validated as in
    PyTorch; the result is the reference one either way.

    Shape:
        input: :math:`(H_{in})` or :math:`(N, H_{in})`. linear_weight: :math:`(C, d_1, ..., d_K, H_{in})`
        (K >= 1 needs a batched input). target: class indices :math:`()`, :math:`(N)`, :math:`(N, d_1, ...)`,
        or probabilities of the logits' shape. Output: scalar, or the target's batch shape with 'none'.
    """
    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight.dim()}")
    num_batches, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions (in_features), got "
                           f"{input.shape[-1]} and {linear_weight.shape[-1]}, respectively")
    num_classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(num_classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")
    if out_features and not num_batches:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} requires "
                           f"batched input, (N, {in_features}), got unbatched input with shape {tuple(input.shape)}")
    logits_shape = (*num_batches, num_classes, *out_features)
    # (cross_entropy tells probabilities from class indices by the target having the logits' shape)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    ignore_index = ignore_index if ignore_index is not None else -100
    if options is not None:
        if _chunked_path_ok(reduction, label_smoothing, target, out_features):
            _check_chunked(options, input, linear_weight, linear_bias, target, weight, ignore_index)
        else:
            warnings.warn("linear_cross_entropy: ``options`` ignored; chunked path needs reduction in "
                          "{'mean','sum','none'}, label_smoothing == 0, target.dtype == int64, out_features == (). "
                          f"Got reduction={reduction!r}, label_smoothing={label_smoothing}, "
                          f"target.dtype={target.dtype}, out_features={out_features}, tracing=False, "
                          "linear_bias.shape="
                          f"{tuple(linear_bias.shape) if linear_bias is not None else None}.", stacklevel=2)
    if out_features:  # one linear map to every (class, position) logit
        linear_weight = linear_weight.reshape((math.prod(out_features, start=num_classes), in_features))
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(math.prod(out_features, start=num_classes))
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction, ignore_index=ignore_index,
                         label_smoothing=label_smoothing)
