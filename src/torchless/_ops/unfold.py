"""Tensor.unfold: every window of ``size`` elements along one dimension, ``step`` apart, as a new last dimension."""
import numpy as np

from .. import _parser_errors
from ..autograd.graph import Node
from ..autograd.saved_values import int64
from ._util import normalize_dim


def _windows(x, axis, size, step):
    """The windows of ``x`` as a strided view of its memory (a 0-d ``x`` counts as one element)."""
    if x.ndim == 0:
        return x.reshape(1)[:size]
    # writable as x is: writes through the windows reach x, as through PyTorch's view (overlapping windows
    # included, which PyTorch's overlap check does not refuse)
    windows = np.lib.stride_tricks.sliding_window_view(x, size, axis=axis, writeable=x.flags.writeable)
    return windows[(slice(None),) * axis + (slice(None, None, step),)]


class Unfold(Node):
    """The windows of ``x`` along ``axis``: windows ``(n - size) // step + 1`` replace that dimension and
    their ``size`` elements form a new last one. A view of ``x``, as PyTorch's."""

    is_view = True
    torch_saved = {"dimension": lambda node: int64(node.dimension), "self_sym_sizes": lambda node: node.shape,
                   "size": lambda node: node.size, "step": lambda node: node.step}

    def forward(self, x, axis=0, size=1, step=1, dimension=None):
        """``dimension``: the dim as the call gave it (which the node shows)."""
        self.shape, self.axis, self.size, self.step = x.shape, axis, size, step
        self.dimension = axis if dimension is None else dimension
        return _windows(x, axis, size, step)

    def backward(self, grad):
        if not self.shape:
            return (np.asarray(grad.sum(), grad.dtype),)
        axis, step, count = self.axis, self.step, grad.shape[self.axis]
        # Element k of window j is element j * step + k of the input: one strided add per window offset k
        # (overlapping windows add up).
        moved = np.moveaxis(grad, (axis, grad.ndim - 1), (-2, -1))
        dx = np.zeros(self.shape[:axis] + self.shape[axis + 1:] + (self.shape[axis],), grad.dtype)
        for k in range(self.size):
            dx[..., k: k + step * (count - 1) + 1: step] += moved[..., k]
        return (np.moveaxis(dx, -1, axis),)

    def backward_graph(self, grad):
        from .indexing import IndexPutAccumulate

        # The same windows taken over the flat positions of the input say where each gradient element goes.
        positions = _windows(np.arange(int(np.prod(self.shape)), dtype=np.intp).reshape(self.shape), self.axis,
                             self.size, self.step)
        flat = grad._wrap(np.zeros(int(np.prod(self.shape)), grad._data.dtype))
        return (IndexPutAccumulate.apply(flat, grad, key=np.ascontiguousarray(positions)).reshape(self.shape),)


def unfold(self, dimension, size, step):
    """Every slice of ``size`` elements along ``dimension``, ``step`` elements apart.

    Args:
        dimension (int): the dimension to slide along.
        size (int): the length of each window.
        step (int): the distance between the starts of consecutive windows.

    Shape:
        Input ``(*, N, *')`` with ``N`` at ``dimension``; output ``(*, (N - size) // step + 1, *', size)``.
        A 0-d input counts as one element: its output has shape ``(size,)``.
    """
    if type(dimension) is not int or type(size) is not int or type(step) is not int:
        parsed = _parser_errors.method_arguments("unfold", (dimension, size, step))
        dimension, size, step = parsed["dimension"], parsed["size"], parsed["step"]
    ndim = self._data.ndim
    axis = normalize_dim(dimension, ndim)
    length = self._data.shape[axis] if ndim else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {axis} is {length} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return Unfold.apply(self, axis=axis, size=size, step=step, dimension=dimension)
