r"""Metric-learning losses on embeddings: cosine_embedding_loss and triplet_margin_loss.

PyTorch composes both of tensor operations in C++; they are composed here of the same operations in
the same order, so that dtypes, broadcasting, gradients and ``grad_fn`` names follow.
"""
from ... import _creation
from ..._functions import where
from .distance import pairwise_distance
from .loss import _reduction
from .margin_loss import _apply_reduction, clamp_min

__all__ = ["cosine_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss"]

_EPSILON = 1e-12  # added to each squared norm, keeping the cosine of a zero vector finite


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    r"""A loss on the cosine similarity of pairs labelled similar (y = 1) or dissimilar (y = -1).

    .. math::
        \ell_n = \begin{cases} 1 - \cos(x_{1,n}, x_{2,n}), & \text{if } y_n = 1 \\
                 \max(0, \cos(x_{1,n}, x_{2,n}) - \text{margin}), & \text{if } y_n = -1 \end{cases}

    (0 for any other target), with :math:`\cos(a, b) = a \cdot b / \sqrt{(\|a\|^2 + \epsilon)(\|b\|^2 + \epsilon)}`,
    :math:`\epsilon = 10^{-12}`; then reduced by ``reduction`` ('none' | 'mean' | 'sum').

    Shape: input1 and input2 (N, D) with target (N), or (D) with target (); output () or, with 'none',
    (N) or ().
    """
    reduction = _reduction(reduction, size_average, reduce)
    target_dim = target.dim()
    if target_dim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if target_dim == 1 and (input1.dim() != 2 or input2.dim() != 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    if target_dim == 0 and (input1.dim() != 1 or input2.dim() != 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    prod_sum = (input1 * input2).sum(target_dim)
    mag_square1 = (input1 * input1).sum(target_dim) + _EPSILON
    mag_square2 = (input2 * input2).sum(target_dim) + _EPSILON
    cos = prod_sum / (mag_square1 * mag_square2).sqrt()
    zeros = _creation.zeros_like(cos)
    pos = 1 - cos
    neg = clamp_min(cos - margin)
    output = where(target == 1, pos, zeros) + where(target == -1, neg, zeros)
    return _apply_reduction(output, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    r"""The triplet loss: an anchor should be nearer its positive than its negative, by ``margin``.

    .. math::
        \ell_n = \max(0, d(a_n, p_n) - d(a_n, n_n) + \text{margin}), \qquad d(x, y) = \|x - y + \text{eps}\|_p

    With ``swap``, d(a_n, n_n) is replaced by min(d(a_n, n_n), d(p_n, n_n)) (the distance swap of
    Balntas et al.). Then reduced by ``reduction`` ('none' | 'mean' | 'sum'). ``margin`` must be positive.

    Shape: anchor, positive and negative (N, D) or (D), of the same number of dimensions, broadcastable
    together (distances along the last dimension); output () or, with 'none', (N) or ().
    """
    reduction = _reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not a_dim == p_dim == n_dim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = dist_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _apply_reduction(clamp_min(float(margin) + dist_pos - dist_neg), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    r"""The triplet loss under any distance: max(0, d(a, p) - d(a, n) + margin), reduced.

    ``distance_function`` (two tensors to a tensor of distances) defaults to ``pairwise_distance``; ``swap``
    uses min(d(a, n), d(p, n)) for the negative distance. ``margin`` must be positive.

    Shape: anchor, positive and negative of one number of dimensions, as the distance function takes them;
    output () or, with 'none', the distances' shape.
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a_dim, p_dim, n_dim = anchor.ndim, positive.ndim, negative.ndim
    if not a_dim == p_dim == n_dim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    distance = pairwise_distance if distance_function is None else distance_function
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = dist_neg.minimum(distance(positive, negative))
    loss = clamp_min(margin + dist_pos - dist_neg)
    return loss.sum() if reduction == "sum" else loss.mean() if reduction == "mean" else loss
