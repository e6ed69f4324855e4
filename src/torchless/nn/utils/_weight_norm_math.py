"""The formula shared by both weight normalizations: ``w = g * v / ||v||``, the norm taken over every dim of ``v``
but one (PyTorch's ``torch.norm_except_dim`` and ``torch._weight_norm``)."""
from ..._ops._util import normalize_dim


def norm_except_dim(v, pow=2, dim=0):
    r"""The ``pow``-norm of ``v`` over every dim but ``dim``, keeping ``v``'s number of dims (size 1 but along
    ``dim``). As in PyTorch, ``dim=-1`` means the norm of the whole tensor, a 0-dim tensor."""
    if dim == -1:
        return v.norm(pow)
    dim = normalize_dim(dim, v.dim())  # PyTorch's IndexError for a dim out of range (a 0-d v's: [-1, 0])
    if v.dim() == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")  # (PyTorch takes v.size(0))
    others = tuple(d for d in range(v.dim()) if d != dim)
    if not others:  # a vector's norm per element, its magnitude (an empty dim list would mean every dim)
        return v.abs()
    return v.norm(pow, others, keepdim=True)


def weight_norm(v, g, dim=0):
    r"""``v * (g / norm_except_dim(v, 2, dim))``: the direction of ``v`` with the magnitude ``g``."""
    if v.dim() == 0 and dim in (0, -1):  # PyTorch's fused kernel (dim first or last) sizes v along dim
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if dim in (0, v.dim() - 1) and g.dim() != v.dim() and g.numel() == v.shape[dim]:
        # that kernel reads g as one length per index of dim, whatever its shape
        g = g.reshape([n if d == dim % v.dim() else 1 for d, n in enumerate(v.shape)])
    return v * (g / norm_except_dim(v, 2, dim))
