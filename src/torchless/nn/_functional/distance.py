"""Vector normalisation and similarity: normalize, cosine_similarity, pairwise_distance."""
from ...autograd import grad_mode

__all__ = ["normalize", "cosine_similarity", "pairwise_distance"]


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)``, the norm taken along ``dim``: unit vectors along that dim."""
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim`` (x1 and x2 broadcast together).

    Shape: x1 and x2 broadcast to (*, D, *); the output drops dim ``dim``.
    """
    if not x1.is_floating_point() and not x2.is_floating_point():
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{(x1 + x2).dtype.scalar_name}")
    unit = []
    for x in (x1, x2):
        norm = x.norm(2, dim, keepdim=True)
        with grad_mode.no_grad():  # PyTorch clamps the norms in place without recording it: the gradient
            norm.data = norm.clamp_min(eps)  # goes through the unclamped norm
        unit.append(x / norm)
    return (unit[0] * unit[1]).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` along the last dim (eps keeps the gradient finite where x1 == x2).

    Shape: x1 and x2 broadcast to (*, D); the output is (*) (or (*, 1) with ``keepdim``).
    """
    return (x1 - x2 + eps).norm(p, -1, keepdim)
