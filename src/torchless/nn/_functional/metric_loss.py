r"""Metric-learning losses on embeddings: cosine_embedding_loss, triplet_margin_loss and
triplet_margin_with_distance_loss.

PyTorch composes both of tensor operations in C++; they are composed here of the same operations in
the same order, so that dtypes, broadcasting, gradients and ``grad_fn`` names follow.
"""
from ... import _creation
from ..._functions import where
from ..._ops.arithmetic import AddScalar, SubScalar
from ...autograd import forward_ad
from ...autograd.graph import autocast_cast
from ._args import check_tensor
from ._moments import quiet
from ._norm_checks import check_bool_arg, check_float_arg
from .distance import pairwise_distance
from .loss import _reduction
from .margin_loss import _apply_reduction, clamp_min

__all__ = ["cosine_embedding_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss"]

_EPSILON = 1e-12  # added to each squared norm, keeping the cosine of a zero vector finite


@quiet
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
    input1, input2 = autocast_cast("float32", input1, input2)
    reduction = _reduction(reduction, size_average, reduce)
    for position, (name, value) in enumerate((("input1", input1), ("input2", input2), ("target", target)), 1):
        check_tensor(value, "cosine_embedding_loss", name, position)  # (the native's parser)
    margin = check_float_arg(margin, "cosine_embedding_loss", "margin", 4)
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
    # (numbers added and subtracted as C++ does: add.Scalar and sub.Scalar, its AddBackward1 and SubBackward1)
    mag_square1 = (input1 * input1).sum(target_dim)._binary(_EPSILON, AddScalar)
    mag_square2 = (input2 * input2).sum(target_dim)._binary(_EPSILON, AddScalar)
    cos = prod_sum / (mag_square1 * mag_square2).sqrt()
    zeros = _creation.zeros_like(cos)
    pos = _creation.full_like(cos, 1).sub_(cos)  # C++'s 1 - cos: a tensor of ones, cos subtracted in place
    neg = clamp_min(cos._binary(margin, SubScalar))
    output = where(target == 1, pos, zeros) + where(target == -1, neg, zeros)
    return _apply_reduction(output, reduction)


@quiet
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
    anchor, positive, negative = autocast_cast("float32", anchor, positive, negative)
    reduction = _reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    for position, (name, value) in enumerate((("anchor", anchor), ("positive", positive), ("negative", negative)), 1):
        check_tensor(value, "triplet_margin_loss", name, position)  # (the native's parser)
    margin, p, eps = (check_float_arg(value, "triplet_margin_loss", name, position)
                      for position, (name, value) in enumerate((("margin", margin), ("p", p), ("eps", eps)), 4))
    check_bool_arg(swap, "triplet_margin_loss", "swap", 7)
    if forward_ad.state.vmap_levels:  # (from this line, as from PyTorch's Python wrapper's)
        forward_ad.warn_fallback("aten::triplet_margin_loss", (anchor, positive, negative), stacklevel=1)
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not a_dim == p_dim == n_dim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative {n_dim}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = dist_neg.minimum(pairwise_distance(positive, negative, p, eps))
    # (margin + dist_pos in C++: add.Scalar, PyTorch's AddBackward1)
    return _apply_reduction(clamp_min(dist_pos._binary(margin, AddScalar) - dist_neg), reduction)


@quiet
def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    r"""The triplet loss :math:`\max(0, \text{margin} + d(a, p) - d(a, n))` with any distance ``d``.

    ``distance_function(x, y)`` gives the distances of paired rows (``pairwise_distance`` when None); with
    ``swap``, d(a, n) is replaced by min(d(a, n), d(p, n)). Reduced by ``reduction`` ('none' | 'mean' | 'sum').
    PyTorch composes it in Python of the distance, minimum, clamp_min and the reduction; so is this one.

    Shape: anchor, positive and negative of one rank; output what the distance gives, or () reduced.
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    ranks = anchor.ndim, positive.ndim, negative.ndim
    if not ranks[0] == ranks[1] == ranks[2]:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {ranks[0]}D, positive {ranks[1]}D, and negative "
                           f"{ranks[2]}D inputs")
    distance = pairwise_distance if distance_function is None else distance_function
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = dist_neg.minimum(distance(positive, negative))
    loss = clamp_min(margin + dist_pos - dist_neg, 0)
    return _apply_reduction(loss, reduction)
