"""The formula shared by both weight normalizations: ``w = g * v / ||v||``, the norm taken over every dim of ``v``
but one (PyTorch's ``torch.norm_except_dim`` and ``torch._weight_norm``)."""


def norm_except_dim(v, pow=2, dim=0):
    r"""The ``pow``-norm of ``v`` over every dim but ``dim``, keeping ``v``'s number of dims (size 1 but along
    ``dim``). As in PyTorch, ``dim=-1`` means the norm of the whole tensor, a 0-dim tensor."""
    if dim == -1:
        return v.norm(pow)
    dim = dim % v.dim()
    return v.norm(pow, tuple(d for d in range(v.dim()) if d != dim), keepdim=True)


def weight_norm(v, g, dim=0):
    r"""``v * (g / norm_except_dim(v, 2, dim))``: the direction of ``v`` with the magnitude ``g``."""
    return v * (g / norm_except_dim(v, 2, dim))
