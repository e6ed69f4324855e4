"""torchless.cdist: the p-norm distance between every row of one batch of matrices and every row of another."""
import math

import numpy as np

from .. import _dtype
from ..autograd import forward_ad
from ..autograd._graph_backward import gradients_without_derivative
from ..autograd.graph import Node, autocast_cast
from ..autograd.saved_values import SavedInput, saved_result
from ._util import broadcast_error

_COMPUTE_MODES = {"use_mm_for_euclid_dist_if_necessary": None, "use_mm_for_euclid_dist": True,
                  "donot_use_mm_for_euclid_dist": False}
# Elements of the (batch, rows, R, M) differences held at once when a p other than 2 needs them.
_BLOCK_ELEMENTS = 1 << 22
_NO_CDIST_DERIVATIVE = (NotImplementedError, "the derivative for '_cdist_backward' is not implemented.")


def _row_blocks(batch, rows, cols, features):
    """Slices of ``rows`` small enough for their differences with every column to fit ``_BLOCK_ELEMENTS``."""
    step = max(1, _BLOCK_ELEMENTS // max(1, batch * cols * features))
    return [slice(start, start + step) for start in range(0, rows, step)]


class Cdist(Node):
    """Distances ``(*B, P, R)`` between the rows of ``x1 (*B, P, M)`` and ``x2 (*B, R, M)`` (batch dims already
    broadcast to the same ``B``). ``use_mm``: p = 2 through matrix products, ``sqrt(|a|^2 + |b|^2 - 2 a.b)``."""

    saved = ("x1", "x2", "out")
    torch_saved = {"x1": SavedInput(0, "x1"), "x2": SavedInput(1, "x2"), "p": lambda node: node.p,
                   "result": saved_result("out")}

    def forward_ad_name(self):
        return "_cdist_forward"

    def forward(self, x1, x2, p=2.0, use_mm=False):
        self.x1, self.x2, self.p, self.use_mm = x1, x2, p, use_mm
        if use_mm:
            squared = (np.square(x1).sum(-1)[..., :, None] + np.square(x2).sum(-1)[..., None, :]
                       - 2 * (x1 @ np.swapaxes(x2, -1, -2)))
            self.out = np.sqrt(np.maximum(squared, 0))
            return self.out
        out = np.empty(x1.shape[:-1] + x2.shape[-2:-1], x1.dtype)
        for rows in _row_blocks(math.prod(x1.shape[:-2]), x1.shape[-2], x2.shape[-2], x1.shape[-1]):
            diff = np.abs(x1[..., rows, None, :] - x2[..., None, :, :])
            out[..., rows, :] = self._norm(diff)
        self.out = out
        return out

    def _norm(self, diff):
        p = self.p
        if diff.shape[-1] == 0:
            return np.zeros(diff.shape[:-1], diff.dtype)
        if p == 0:
            return np.count_nonzero(diff, axis=-1).astype(diff.dtype)
        if p == 1:
            return diff.sum(-1)
        if p == 2:
            return np.sqrt(np.square(diff).sum(-1))
        if math.isinf(p):
            return diff.max(-1)
        return np.power(np.power(diff, p).sum(-1), 1 / p)

    jvp = forward_ad.unsupported_jvp  # (PyTorch has no forward AD formula for it)

    def backward(self, grad):
        x1, x2, dist, p = self.x1, self.x2, self.out, self.p
        # (PyTorch's _cdist_backward allocates its gradients C-contiguous)
        if p == 0:
            return tuple(np.zeros(x.shape, x.dtype) if need else None
                         for x, need in zip((x1, x2), self.needs_input_grad))
        if p == 2:
            # d dist_ij / d x1_i = (x1_i - x2_j) / dist_ij (0 where dist is 0, as in PyTorch): one matrix product
            # instead of the (P, R, M) differences
            scaled = np.where(dist == 0, 0, grad / np.where(dist == 0, 1, dist)).astype(grad.dtype, copy=False)
            dx1 = x1 * scaled.sum(-1)[..., None] - scaled @ x2
            dx2 = x2 * scaled.sum(-2)[..., None] - np.swapaxes(scaled, -1, -2) @ x1
            return dx1, dx2
        dx1, dx2 = np.zeros(x1.shape, x1.dtype), np.zeros(x2.shape, x2.dtype)
        for rows in _row_blocks(math.prod(x1.shape[:-2]), x1.shape[-2], x2.shape[-2], x1.shape[-1]):
            diff = x1[..., rows, None, :] - x2[..., None, :, :]
            term = self._norm_gradient(diff, grad[..., rows, :, None], dist[..., rows, :, None])
            dx1[..., rows, :] = term.sum(-2)
            dx2 -= term.sum(-3)
        return dx1, dx2

    def backward_graph(self, grad):
        if not self.use_mm:
            # PyTorch's own cdist backward has no derivative: its gradients can be built with create_graph=True,
            # but differentiating them fails, as here
            return gradients_without_derivative(self, grad, _NO_CDIST_DERIVATIVE, "CdistBackwardBackward0")
        # The matrix-product form is differentiable in PyTorch: its gradient, with 0 where the distance is 0
        # (a subgradient), is the backward above in tensor operations.
        from .shape import Where

        x1, x2 = self.graph_input(0, self.x1), self.graph_input(1, self.x2)
        dist = self.graph_output(self.out)
        zero = dist._data == 0
        ratio = grad / dist
        if zero.any():
            ratio = Where.apply(grad._wrap(np.zeros((), grad._data.dtype)), ratio, condition=zero)
        need1, need2 = self.needs_input_grad
        return (x1 * ratio.sum(-1, keepdim=True) - ratio @ x2 if need1 else None,
                x2 * ratio.sum(-2, keepdim=True).mT - ratio.mT @ x1 if need2 else None)

    def _norm_gradient(self, diff, grad, dist):
        """d dist / d diff times ``grad``, with PyTorch's values where the distance or a difference is 0."""
        p = self.p
        if p == 1:
            return grad * np.sign(diff)
        if math.isinf(p):
            return grad * np.sign(diff) * (np.abs(diff) == dist)
        safe_dist = np.where(dist == 0, 1, dist)
        if p < 2:
            term = np.sign(diff) * np.power(np.abs(diff), p - 1) * grad / np.power(safe_dist, p - 1)
            if p < 1:  # |diff|^(p - 1) is infinite at diff = 0; PyTorch gives 0 there
                term = np.where(diff == 0, 0, term)
        else:
            term = diff * np.power(np.abs(diff), p - 2) * grad / np.power(safe_dist, p - 1)
        return np.where(dist == 0, 0, term).astype(diff.dtype, copy=False)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    r"""The p-norm distance between each row of ``x1`` and each row of ``x2``.

    Args:
        x1 (Tensor): of shape :math:`(B \times P \times M)`.
        x2 (Tensor): of shape :math:`(B \times R \times M)`.
        p (float): the norm: any value in :math:`[0, \infty]` (0 counts the differing elements).
        compute_mode (str): for p = 2, ``'use_mm_for_euclid_dist_if_necessary'`` computes through matrix
            products when P or R exceeds 25, ``'use_mm_for_euclid_dist'`` always, ``'donot_use_mm_for_euclid_dist'``
            never (faster for large inputs, less exact for close points).

    Shape:
        Output: :math:`(B \times P \times R)`, the batch dimensions ``B`` of ``x1`` and ``x2`` broadcast.
    """
    x1, x2 = autocast_cast("float32", x1, x2)
    from .._tensor import Tensor

    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, position, t in (("x1", 1, x1), ("x2", 2, x2)):
        if not isinstance(t, Tensor):
            from ..nn._functional._args import _tp_name
            raise TypeError(f"cdist(): argument '{name}' (position {position}) must be Tensor, not {_tp_name(t)}")
    if type(p) is not float and type(p) is not int:  # (a bool, a NumPy number, a 0-d tensor: read as a double)
        from ..nn._functional._norm_checks import check_float_arg

        p = check_float_arg(p, "cdist", "p", 3)
    a, b = x1._data, x2._data
    for name, array in (("X1", a), ("X2", b)):
        if array.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {array.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} X2: {b.shape[-1]}")
    for name, array in (("X1", a), ("X2", b)):
        if array.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_dtype.from_numpy_dtype(array.dtype).scalar_name}")
    if not p >= 0:  # NaN too
        raise RuntimeError("cdist only supports non-negative p values")
    error = broadcast_error(a.shape[:-2], b.shape[:-2])
    if error is not None:
        raise error
    if a.dtype == np.float16:  # (the kernel is chosen by x1's dtype before x2's is compared with it)
        raise NotImplementedError("\"cdist\" not implemented for 'Half'")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_dtype.from_numpy_dtype(a.dtype).scalar_name} but found "
                           f"{_dtype.from_numpy_dtype(b.dtype).scalar_name}")
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    if a.shape[:-2] != batch:
        x1 = x1.expand(batch + a.shape[-2:])
    if b.shape[:-2] != batch:
        x2 = x2.expand(batch + b.shape[-2:])
    mode = _COMPUTE_MODES[compute_mode]
    use_mm = p == 2 and (mode or (mode is None and (a.shape[-2] > 25 or b.shape[-2] > 25)))
    return Cdist.apply(x1, x2, p=float(p), use_mm=bool(use_mm))

