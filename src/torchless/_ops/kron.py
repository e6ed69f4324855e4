"""torchless.kron: the Kronecker product, every element of one tensor times the whole of the other."""
import numpy as np

from ..autograd.graph import Node


class Kron(Node):
    """``np.kron(a, b)`` of two tensors of the same number of dimensions ``n`` and dtype: element
    ``(i_0 * B_0 + k_0, ..., i_n * B_n + k_n)`` is ``a[i] * b[k]``."""

    saved = ("a", "b")
    saves = ()  # PyTorch's kron (reshapes and a product) checks no version

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.kron(a, b)

    def backward(self, grad):
        a, b = self.a, self.b
        n = a.ndim
        # The output as (A_0, B_0, A_1, B_1, ...), then a's axes first: a (A, B) matrix, A = a.size, B = b.size.
        interleaved = grad.reshape(tuple(size for pair in zip(a.shape, b.shape) for size in pair))
        blocks = interleaved.transpose(tuple(range(0, 2 * n, 2)) + tuple(range(1, 2 * n, 2))).reshape(a.size, b.size)
        need_a, need_b = self.needs_input_grad
        return ((blocks @ b.reshape(-1)).reshape(a.shape) if need_a else None,
                (a.reshape(-1) @ blocks).reshape(b.shape) if need_b else None)

    def backward_graph(self, grad):  # backward's reshapes and products, on tensors of the graph
        a, b = self.a, self.b
        n = a.ndim
        interleaved = grad.reshape(tuple(size for pair in zip(a.shape, b.shape) for size in pair))
        blocks = interleaved.permute(tuple(range(0, 2 * n, 2)) + tuple(range(1, 2 * n, 2))).reshape(a.size, b.size)
        need_a, need_b = self.needs_input_grad
        return ((blocks @ self.graph_input(1, b).reshape(-1)).reshape(a.shape) if need_a else None,
                (self.graph_input(0, a).reshape(-1) @ blocks).reshape(b.shape) if need_b else None)


def kron(input, other):
    """The Kronecker product of ``input`` and ``other``.

    Shape:
        The tensor with fewer dimensions gets leading size-1 ones; then for ``input`` of shape
        ``(A_0, ..., A_n)`` and ``other`` of shape ``(B_0, ..., B_n)`` the output is ``(A_0 * B_0, ..., A_n * B_n)``.
    """
    from .._tensor import Tensor, _promote

    for name, position, t in (("input", 1, input), ("other", 2, other)):
        if not isinstance(t, Tensor):
            raise TypeError(f"kron(): argument '{name}' (position {position}) must be Tensor, not {type(t).__name__}")
    common = _promote(input._data.dtype, other._data.dtype)
    a, b = input._cast(common), other._cast(common)
    ndim = max(a._data.ndim, b._data.ndim)
    if a._data.ndim < ndim:
        a = a.reshape((1,) * (ndim - a._data.ndim) + a._data.shape)
    if b._data.ndim < ndim:
        b = b.reshape((1,) * (ndim - b._data.ndim) + b._data.shape)
    return Kron.apply(a, b)
