"""Distance layers: CosineSimilarity and PairwiseDistance (wrappers of the functionals)."""
from .._functional.distance import cosine_similarity, pairwise_distance
from .module import Module


# What a star-import gives (PyTorch's list)
__all__ = ["PairwiseDistance", "CosineSimilarity"]


class CosineSimilarity(Module):
    r"""Cosine similarity along ``dim``:

    .. math::
        \frac{x_1 \cdot x_2}{\max(\|x_1\|_2, \epsilon) \max(\|x_2\|_2, \epsilon)}

    Args:
        dim (int): the dimension of the vectors. Default: 1.
        eps (float): the smallest norm divided by, against division by zero. Default: 1e-8.

    Shape: x1 (*1, D, *2) and x2 broadcastable to it; output (*1, *2), the broadcast shape without ``dim``.
    """
    __constants__ = ["dim", "eps"]

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    r"""The p-norm distance between rows: :math:`\|x_1 - x_2 + \epsilon e\|_p` along the last dimension.

    Args:
        p (float): the norm degree (may be negative). Default: 2.
        eps (float): added to the difference, keeping the gradient finite where x1 == x2. Default: 1e-6.
        keepdim (bool): keep the last dimension (size 1). Default: False.

    Shape: x1 (N, D) or (D), x2 broadcastable to it; output (N) or () (with keepdim (N, 1) or (1)).
    """
    __constants__ = ["norm", "eps", "keepdim"]

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
