"""Vector normalisation and similarity: normalize, cosine_similarity, pairwise_distance, pdist."""
import numpy as np

from ... import _dtype
from ..._ops import arithmetic, reduction
from ..._ops._util import broadcast_error
from ..._type_promotion import promote
from ...autograd import forward_ad
from ...autograd import grad_mode
from ...autograd._graph_backward import gradients_without_derivative
from ...autograd.graph import Node, named_as_pytorch
from ._args import Param, native

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "pdist"]

# Native functions in PyTorch: their arguments go through its parser (its TypeErrors, its arity errors)
_PAIR = [Param("x1", "Tensor"), Param("x2", "Tensor")]
_cosine_similarity_native = native("cosine_similarity", _PAIR + [Param("dim", "int", "1", 1),
                                                                 Param("eps", "float", "1e-08", 1e-8)], list_size=1)
_pairwise_distance_native = native("pairwise_distance", _PAIR + [
    Param("p", "float", "2", 2.0), Param("eps", "float", "1e-06", 1e-6), Param("keepdim", "bool", "False", False)],
    list_size=1)
_pdist_native = native("pdist", [Param("input", "Tensor"), Param("p", "float", "2", 2.0)], list_size=1)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)``, the norm taken along ``dim``: unit vectors along that dim; with ``out``,
    written into it (torch.div's out: its dtype and resize rules)."""
    denominator = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denominator
    from ... import div

    return div(input, denominator, out=out)


@_cosine_similarity_native
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """``sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim`` (x1 and x2 broadcast together).

    Shape: x1 and x2 broadcast to (*, D, *); the output drops dim ``dim``.
    """
    if not eps >= 0:  # (NaN too)
        raise RuntimeError(f"eps must be non-negative, got: {eps:g}")
    # both in the promotion of their dtypes (whatever their dims, unlike an operator's result dtype)
    common = promote(x1._data.dtype, x2._data.dtype)
    if common.kind != "f":
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{_dtype.from_numpy_dtype(common).scalar_name}")
    x1, x2 = x1._cast(common), x2._cast(common)
    # the norms are of the broadcast operands (a 0-d or size-1 x2 counts once per element of x1 along dim)
    error = broadcast_error(tuple(x1.shape), tuple(x2.shape))
    if error is not None:
        raise error
    shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = (x if tuple(x.shape) == shape else x.expand(shape) for x in (x1, x2))
    unit = []
    for x in (x1, x2):
        norm = x.norm(2, dim, keepdim=True).clone()  # (PyTorch's copy, CloneBackward0, which it clamps)
        with grad_mode.no_grad():  # PyTorch clamps the norms in place without recording it: the gradient
            norm.data = norm.clamp_min(eps)  # goes through the unclamped norm
        unit.append(x / norm)
    return (unit[0] * unit[1]).sum(dim)


@_pairwise_distance_native
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` along the last dim (eps keeps the gradient finite where x1 == x2).

    Shape: x1 and x2 broadcast to (*, D); the output is (*) (or (*, 1) with ``keepdim``).
    """
    # PyTorch's C++: the difference plus eps as add(Scalar) (AddBackward1), then at::norm over the innermost dim
    # of the broadcast (NormBackward1)
    out = (x1 - x2)._binary(eps, arithmetic.AddScalar).norm(p, max(x1.dim(), x2.dim()) - 1, keepdim)
    if isinstance(out._grad_fn, reduction.VectorNorm):
        out._grad_fn.node_name = "NormBackward1"
        named_as_pytorch(out._grad_fn)  # (its class, named at recording, takes the new name)
    return out


class Pdist(Node):
    """||x_i - x_j||_p for every pair i < j of rows, in the order of the upper triangle, row by row."""

    saved = ("diff", "dist")

    def forward(self, x, p=2.0):
        n = x.shape[0]
        self.rows, self.cols = np.triu_indices(n, 1)
        self.p, self.shape = p, x.shape
        diff = x[self.rows] - x[self.cols]
        magnitude = np.abs(diff)
        if p == 0:
            dist = (magnitude != 0).sum(axis=1).astype(x.dtype)
        elif p == np.inf:
            dist = magnitude.max(axis=1, initial=0).astype(x.dtype)
        elif p == 1:
            dist = magnitude.sum(axis=1)
        elif p == 2:
            dist = np.sqrt((diff * diff).sum(axis=1))
        else:
            dist = (magnitude ** p).sum(axis=1) ** (1 / p)
        self.diff, self.dist = diff, dist
        return dist

    jvp = forward_ad.unsupported_jvp  # (PyTorch has no forward AD formula for it)

    def forward_ad_name(self):
        return "_pdist_forward"

    def backward(self, grad):
        p, diff, dist = self.p, self.diff, self.dist
        sign = np.sign(diff)
        if p == 0:
            pair = np.zeros_like(diff)
        elif p == 1:
            pair = sign * grad[:, None]
        elif p == np.inf:
            # only the components reaching the maximum carry the gradient
            pair = sign * (np.abs(diff) == dist[:, None]) * grad[:, None]
        else:
            # d||d||_p / d d_k = sign(d_k) |d_k|^(p-1) / ||d||_p^(p-1), taken as 0 where the distance is 0
            # (and where a component is 0 for p < 1, whose power would be infinite)
            with np.errstate(divide="ignore", invalid="ignore"):
                pair = sign * np.abs(diff) ** (p - 1) / dist[:, None] ** (p - 1) * grad[:, None]
            zero = (dist[:, None] == 0) | ((diff == 0) & (p < 1))
            pair = np.where(zero, 0, pair)
        pair = pair.astype(diff.dtype, copy=False)
        out = np.zeros(self.shape, diff.dtype)
        np.add.at(out, self.rows, pair)
        np.add.at(out, self.cols, -pair)
        return (out,)

    def backward_graph(self, grad):  # PyTorch's backward of this op has no derivative
        return gradients_without_derivative(
            self, grad, (NotImplementedError, "the derivative for '_pdist_backward' is not implemented."),
            "PdistBackwardBackward0")


@_pdist_native
def pdist(input, p=2):
    r"""The p-norm distance between every pair of rows of ``input``: the upper triangle, without the diagonal,
    of ``torchless.norm(input[:, None] - input, dim=2, p=p)``.

    Shape: input :math:`(N, M)`; output :math:`(N (N - 1) / 2)`.
    """
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.is_floating_point():
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    rows, columns = input.shape
    if rows > 1 and columns and input.dtype.scalar_name == "Half":  # PyTorch's kernel (run on two rows or more)
        raise NotImplementedError("\"pdist\" not implemented for 'Half'")
    return Pdist.apply(input, p=float(p))
