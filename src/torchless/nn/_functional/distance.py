"""Vector normalisation and similarity: normalize, cosine_similarity, pairwise_distance, pdist."""
import numpy as np

from ... import _dtype, _memory_format
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
    """Scales the slices of the input along ``dim`` to unit p-norm: v / max(||v||_p, eps).

    Args:
        input (Tensor): the input, of any shape
        p (float): the exponent of the norm. Default: ``2``
        dim (int or tuple of ints): the dimension(s) reduced. Default: ``1``
        eps (float): a lower bound of the norm, to avoid dividing by zero. Default: ``1e-12``
        out (Tensor, optional): the output tensor; not differentiable. Default: ``None``

    Shape:
        - Input: (*), any number of dimensions
        - Output: (*), same shape as the input

    Examples::

        >>> F.normalize(torch.tensor([[3.0, 4.0], [0.0, 0.0]]))
        tensor([[0.6000, 0.8000],
                [0.0000, 0.0000]])
    """
    denominator = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denominator
    from ... import div

    return div(input, denominator, out=out)


@_cosine_similarity_native
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """cosine_similarity(x1, x2, dim=1, eps=1e-8) -> Tensor

    The cosine similarity of x1 and x2 along ``dim``: x1 . x2 / (max(||x1||_2, eps) * max(||x2||_2, eps)),
    the inputs broadcast together first.

    Args:
        x1, x2 (Tensor): the inputs, broadcastable to a common shape
        dim (int, optional): the dimension of the vectors. Default: ``1``
        eps (float, optional): a lower bound of each norm. Default: ``1e-8``

    Shape:
        - Input1: (*1, D, *2), D at position ``dim``
        - Input2: broadcastable to Input1's shape
        - Output: (*1, *2), the broadcast shape without ``dim``

    Examples::

        >>> F.cosine_similarity(torch.tensor([[1.0, 0.0], [1.0, 1.0]]), torch.tensor([[1.0, 0.0], [-1.0, -1.0]]))
        tensor([ 1.0000, -1.0000])
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
    """pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False) -> Tensor

    The p-norm distance ||x1 - x2 + eps||_p between the rows (the last dimension) of x1 and x2.

    Args:
        x1, x2 (Tensor): the inputs, broadcastable to a common shape
        p (float, optional): the norm degree. Default: ``2``
        eps (float, optional): added to the difference, avoiding a zero norm. Default: ``1e-6``
        keepdim (bool, optional): keep the last dimension, with size 1. Default: ``False``

    Shape:
        - Input1: (N, D) or (D)
        - Input2: broadcastable to Input1's shape
        - Output: (N) or (), or with keepdim (N, 1) or (1)

    Examples::

        >>> F.pairwise_distance(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]), eps=0.0)
        tensor([5.])
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
        if not dist.size:  # (no pair: NumPy's empty result has stride 0, PyTorch's the C order's)
            dist = _memory_format.with_c_strides(dist)
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
    if forward_ad.state.vmap_levels:
        forward_ad.warn_fallback("aten::pdist", (input,))
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if not input.is_floating_point():
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    rows, columns = input.shape
    if rows > 1 and columns and input.dtype.scalar_name == "Half":  # PyTorch's kernel (run on two rows or more)
        raise NotImplementedError("\"pdist\" not implemented for 'Half'")
    if not input._data.flags.c_contiguous:  # (PyTorch's kernel runs on input.contiguous(): a CloneBackward0)
        input = input.contiguous()
    return Pdist.apply(input, p=float(p))
