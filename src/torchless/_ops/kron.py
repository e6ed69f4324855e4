"""torchless.kron: the Kronecker product, every element of one tensor times the whole of the other."""
import numpy as np

from ..autograd.graph import FoldedNode, Node, folded


class Kron(Node):
    """``np.kron(a, b)`` of two tensors of one dtype, the one of fewer dims given leading size-1 dims: element
    ``(i_0 * B_0 + k_0, ..., i_n * B_n + k_n)`` is ``a[i] * b[k]``. Listed as PyTorch's composite kron: the
    _unsafe_view of the product (mul) of _unsafe_views of the inputs."""

    saved = ("a", "b")
    saves = ()  # PyTorch's kron (reshapes and a product) checks no version

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        ndim = max(a.ndim, b.ndim)
        a, b = a.reshape((1,) * (ndim - a.ndim) + a.shape), b.reshape((1,) * (ndim - b.ndim) + b.shape)
        self.a, self.b = a, b
        with np.errstate(all="ignore"):  # inf and NaN silently, as PyTorch (np.kron is NumPy's Python code)
            return np.kron(a, b)

    def name(self):
        return "UnsafeViewBackward0"

    def pytorch_inputs(self):
        (a_edge, _), (b_edge, _) = self.listed_edges()
        product = FoldedNode("MulBackward0", ((folded("UnsafeViewBackward0", a_edge, self), 0),
                                              (folded("UnsafeViewBackward0", b_edge, self), 0)), self)
        return ((product, 0),)

    def backward(self, grad):
        a_grad, b_grad = self._padded_backward(grad)
        return (None if a_grad is None else a_grad.reshape(self.shapes[0]),
                None if b_grad is None else b_grad.reshape(self.shapes[1]))

    def _padded_backward(self, grad):
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
        return ((blocks @ self.graph_input(1, b).reshape(-1)).reshape(self.shapes[0]) if need_a else None,
                (self.graph_input(0, a).reshape(-1) @ blocks).reshape(self.shapes[1]) if need_b else None)


_VIEW_ERROR = ("view size is not compatible with input tensor's size and stride (at least one dimension spans across "
               "two contiguous subspaces). Use .reshape(...) instead.")


def _product_cannot_be_viewed(a, b):
    """Whether PyTorch's kron fails on these arrays: it multiplies views of them as (A_0, 1, A_1, 1, ...) and
    (1, B_0, 1, B_1, ...) (leading 1s for the one with fewer dims), lays the product out in memory in the order of the
    inputs' strides, as its elementwise ops do, and views that as the result's shape, which an input's transposed or
    sliced layout can make impossible."""
    from .._memory_format import innermost_first, view_strides

    if a.size == 0 or b.size == 0:
        return False
    n = max(a.ndim, b.ndim)
    a_sizes, b_sizes = (1,) * (n - a.ndim) + a.shape, (1,) * (n - b.ndim) + b.shape
    a_shape = tuple(v for size in a_sizes for v in (size, 1))
    b_shape = tuple(v for size in b_sizes for v in (1, size))
    views = []
    for array, shape in ((a, a_shape), (b, b_shape)):
        strides = view_strides(array.shape, [s // array.itemsize for s in array.strides], shape)
        if strides is None:
            return False
        views.append((shape, strides))
    full = tuple(max(x, y) for x, y in zip(a_shape, b_shape))
    operand_strides = [[0 if size == 1 and whole != 1 else stride for size, stride, whole in zip(shape, strides, full)]
                       for shape, strides in views]

    def compare(d0, d1):  # TensorIterator's: the first operand with two nonzero strides decides
        for strides in operand_strides:
            s0, s1 = strides[d0], strides[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if full[d0] > full[d1]:
                return 1
        return 0

    out_strides, step = [0] * (2 * n), 1
    for d in innermost_first(2 * n, compare):
        out_strides[d], step = step, step * full[d]
    return view_strides(full, out_strides, tuple(x * y for x, y in zip(a_sizes, b_sizes))) is None


def kron(input, other):
    """The Kronecker product of ``input`` and ``other``.

    Shape:
        The tensor with fewer dimensions gets leading size-1 ones; then for ``input`` of shape
        ``(A_0, ..., A_n)`` and ``other`` of shape ``(B_0, ..., B_n)`` the output is ``(A_0 * B_0, ..., A_n * B_n)``.
    """
    from .. import _parser_errors
    from .._tensor import Tensor
    from .._type_promotion import promote

    for name, position, t in (("input", 1, input), ("other", 2, other)):
        if not isinstance(t, Tensor):
            raise _parser_errors.not_tensor("kron", name, position, t)
    if _product_cannot_be_viewed(input._data, other._data):
        raise RuntimeError(_VIEW_ERROR)
    common = promote(input._data.dtype, other._data.dtype)
    return Kron.apply(input._cast(common), other._cast(common))
