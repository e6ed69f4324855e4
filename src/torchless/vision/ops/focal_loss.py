"""The focal loss of RetinaNet (`Focal Loss for Dense Object Detection <https://arxiv.org/abs/1708.02002>`_)."""
from ...nn import functional as F
from ... import sigmoid
from ._utils import reduced_loss

__all__ = ["sigmoid_focal_loss"]


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2, reduction="none"):
    """Binary cross-entropy of the logits ``inputs`` against ``targets`` (0 or 1, or soft), each element's loss
    scaled by ``(1 - p_t) ** gamma`` (p_t: the probability given to the target) so that easy examples count less,
    and by ``alpha`` for positives and ``1 - alpha`` for negatives.

    Args:
        inputs (Tensor): logits, any shape.
        targets (Tensor): the same shape: 0 for the negative class, 1 for the positive.
        alpha (float): the positives' weight, in [0, 1]; -1 weighs nothing. Default: 0.25
        gamma (float): the exponent of the modulating factor. Default: 2
        reduction (str): ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'none'``

    Returns:
        Tensor: the loss, reduced.
    """
    if not (0 <= alpha <= 1) and alpha != -1:
        raise ValueError(f"Invalid alpha value: {alpha}. alpha must be in the range [0,1] or -1 for ignore.")
    p = sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    return reduced_loss(loss, reduction, empty_mean_is_zero=False)
