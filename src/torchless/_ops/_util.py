"""Helpers shared by the differentiable ops: undoing broadcasting, normalising dims."""
import numpy as np


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving an array of ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


def normalize_dim(dim, ndim, allow_scalar=True):
    """A non-negative axis for ``dim``, with PyTorch's IndexError for one out of range."""
    if hasattr(dim, "__index__"):
        dim = dim.__index__()
    else:
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    rank = max(ndim, 1) if allow_scalar else ndim
    if not -rank <= dim < rank:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got {dim})"
        )
    return dim % rank


def normalize_dims(dim, ndim):
    """A sorted tuple of axes for an int, a sequence of ints, or None (all axes)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (tuple, list)):
        axes = tuple(sorted(normalize_dim(d, ndim) for d in dim))
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
        return axes if ndim else ()
    return (normalize_dim(dim, ndim),) if ndim else ()


def expand_reduced(grad, shape, axes, keepdim):
    """Broadcast the gradient of a reduction over ``axes`` back to the input's ``shape``."""
    if not keepdim and axes:
        grad = np.expand_dims(grad, axes)
    return np.broadcast_to(grad, shape)
