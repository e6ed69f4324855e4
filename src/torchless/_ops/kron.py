"""torchless.kron: the Kronecker product, every element of one tensor times the whole of the other."""
import numpy as np

from .. import _memory_format
from ..autograd.graph import FoldedNode, Node, folded
from .shape import Reshape


class Kron(Node):
    """``np.kron(a, b)`` of two tensors of one dtype, the one of fewer dims given leading size-1 dims: element
    ``(i_0 * B_0 + k_0, ..., i_n * B_n + k_n)`` is ``a[i] * b[k]``. Listed as PyTorch's composite kron: the
    _unsafe_view of the product (mul) of _unsafe_views of the inputs."""

    saved = ("a", "b")
    saves = ()  # PyTorch's kron (reshapes and a product) checks no version

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        strides = None if a.flags.c_contiguous and b.flags.c_contiguous else _result_strides(a, b)
        ndim = max(a.ndim, b.ndim)
        a, b = a.reshape((1,) * (ndim - a.ndim) + a.shape), b.reshape((1,) * (ndim - b.ndim) + b.shape)
        self.a, self.b = a, b
        with np.errstate(all="ignore"):  # inf and NaN silently, as PyTorch (np.kron is NumPy's Python code)
            out = np.kron(a, b)
        # laid out as PyTorch's product of the operands' views, which TensorIterator orders by their strides
        return out if strides is None else _memory_format.with_strides(out, strides)

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

    def backward_graph(self, grad):
        # PyTorch's composite differentiated node by node: the product's gradient viewed in the interleaved shape
        # (A_0, B_0, A_1, B_1, ...), times the other operand's _unsafe_view, summed to this one's view (its
        # broadcast dims) and viewed back
        from ._util import unbroadcast_tensor

        a, b = self.a, self.b
        a_view = tuple(v for size in a.shape for v in (size, 1))
        b_view = tuple(v for size in b.shape for v in (1, size))
        g = grad.reshape(tuple(v for pair in zip(a.shape, b.shape) for v in pair))
        need_a, need_b = self.needs_input_grad
        grads = [None, None]
        for i, (need, own, other, array) in enumerate(((need_a, a_view, b_view, b), (need_b, b_view, a_view, a))):
            if need:
                viewed = _UnsafeView.apply(self.graph_input(1 - i, array), shape=other, name="UnsafeViewBackward0")
                grads[i] = unbroadcast_tensor(g * viewed, own).reshape(self.shapes[i])
        return tuple(grads)


class _UnsafeView(Reshape):
    """PyTorch's _unsafe_view of a tensor (its node UnsafeViewBackward0), not reshape's of a copy."""

    def pytorch_inputs(self):
        return None


_VIEW_ERROR = ("view size is not compatible with input tensor's size and stride (at least one dimension spans across "
               "two contiguous subspaces). Use .reshape(...) instead.")


def _product_cannot_be_viewed(a, b, batch=None):
    """Whether PyTorch's kron fails (see _viewed_product)."""
    return _viewed_product(a, b, batch) is None


def _result_strides(a, b):
    """The strides (in elements) of PyTorch's kron of arrays ``a`` and ``b`` (the view of its product), or None
    for C order's (an operand it cannot view as its product wants: an _unsafe_view of a copy)."""
    viewed = _viewed_product(_operand_of(a), _operand_of(b))
    return None if viewed is None or viewed is True else tuple(viewed)


def _viewed_product(a, b, batch=None):
    """The strides of PyTorch's view of its kron's product as the result, None if that view fails, True where it
    does not arise (an empty operand, or one it cannot view as its product wants).

    Whether PyTorch's kron fails on operands ``a`` and ``b`` ((shape, strides in elements) pairs): it multiplies
    views of them as (A_0, 1, A_1, 1, ...) and (1, B_0, 1, B_1, ...) (leading 1s for the one with fewer dims), lays
    the product out in memory in the order of the inputs' strides, as its elementwise ops do, and views that as the
    result's shape, which an input's transposed or sliced layout can make impossible. Inside vmap (``batch``: the
    batch size and each operand's batch stride, None where not batched) those views and that product are the
    physical tensors', the batch in front, whose place in memory can make the view possible."""
    from .._memory_format import innermost_first, view_strides

    if 0 in a[0] or 0 in b[0]:
        return True
    n = max(len(a[0]), len(b[0]))
    a_sizes, b_sizes = (1,) * (n - len(a[0])) + a[0], (1,) * (n - len(b[0])) + b[0]
    a_shape = tuple(v for size in a_sizes for v in (size, 1))
    b_shape = tuple(v for size in b_sizes for v in (1, size))
    views = []
    for (shape, strides), wanted, batch_stride in ((a, a_shape, batch and batch[1]), (b, b_shape, batch and batch[2])):
        if batch_stride is None:
            viewed = view_strides(shape, strides, wanted)
            if viewed is None:
                return True
            views.append(((1,) * (batch is not None) + wanted, (0,) * (batch is not None) + tuple(viewed)))
            continue
        # (a batched operand: its rule copies the physical tensor, the batch in front, where the view fails)
        whole = (batch[0],) + wanted
        viewed = view_strides((batch[0],) + shape, (batch_stride,) + strides, whole)
        views.append((whole, tuple(_c_strides(whole) if viewed is None else viewed)))
    target = tuple(x * y for x, y in zip(a_sizes, b_sizes))
    if batch is not None:
        a_shape, b_shape, target = views[0][0], views[1][0], (batch[0],) + target
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

    out_strides, step = [0] * len(full), 1
    for d in innermost_first(len(full), compare):
        out_strides[d], step = step, step * full[d]
    return view_strides(full, out_strides, target)


def _c_strides(shape):
    strides, step = [0] * len(shape), 1
    for d in reversed(range(len(shape))):
        strides[d], step = step, step * max(shape[d], 1)
    return strides


def _operand(tensor):
    """(shape, strides in elements) of ``tensor``."""
    return _operand_of(tensor._data)


def _operand_of(array):
    return tuple(array.shape), tuple(s // array.itemsize for s in array.strides)


def _batch_of(input, other):
    """(the operands, (the batch size, each operand's batch stride or None)) where the one vmap call running
    batches either, else None: PyTorch's kron then runs on the physical tensors (see func._batch_layouts)."""
    from ..autograd import forward_ad

    if not (forward_ad.batched_here(input) or forward_ad.batched_here(other)):
        return None
    from ..func import _batch_layouts

    size = forward_ad.batch_size()
    strides = [_batch_layouts.physical(t, size, t.__dict__.get("_vmap_rank", 0)) if forward_ad.batched_here(t)
               else None for t in (input, other)]
    operands = [_operand(t) if s is None else (tuple(t._data.shape), s[1:]) for t, s in zip((input, other), strides)]
    return operands, (size,) + tuple(None if s is None else s[0] for s in strides)


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
    from ..autograd import forward_ad

    copied = False
    if forward_ad.state.vmap_levels and (forward_ad.batched(input) or forward_ad.batched(other)):
        # (PyTorch's rule for its _unsafe_view copies the physical tensor where the view fails: no error)
        batched = _batch_of(input, other)
        copied = batched is not None and _product_cannot_be_viewed(*batched[0], batched[1])
    elif _product_cannot_be_viewed(_operand(input), _operand(other)):
        raise RuntimeError(_VIEW_ERROR)
    common = promote(input._data.dtype, other._data.dtype)
    result = Kron.apply(input._cast(common), other._cast(common))
    return forward_ad.stacked_by_fallback(result) if copied else result
