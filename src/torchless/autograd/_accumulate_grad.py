"""PyTorch's AccumulateGrad: a leaf's gradient added into its ``.grad``, laid out by PyTorch's gradient layout
contract, its tensor and accumulator hooks called around it."""
import sys

import numpy as np

from .. import _memory_format
from ._hook_calls import (accumulator_hooks, run_node_posthooks, run_node_prehooks, run_post_accumulate_hooks,
                          run_tensor_hooks, run_tensor_hooks_graph)


def _obeys_layout(grad, data):
    """PyTorch's gradient layout contract for a dense leaf: the gradient's strides are the leaf's at every dim
    but those of size 1, where any but 0 goes (AccumulateGrad then keeps the gradient's strides)."""
    if not isinstance(grad, np.ndarray) or grad.shape != data.shape:
        return False
    for size, theirs, ours in zip(data.shape, grad.strides, data.strides):
        if (theirs // grad.itemsize != ours // data.itemsize) if size != 1 else theirs == 0:
            return False
    return True


_VIEW_ONLY_HOLDER = 3  # sys.getrefcount of a view's base held by nothing but the view (and the count's own two)


def _sole_view(grad):
    """Whether ``grad`` views the whole memory of an array that nothing but ``grad`` holds (a product's output
    reshaped to a weight's shape), so that taking ``grad`` shares memory with nothing else, as taking an array that
    owns its memory does; a view of a reused buffer (or of any array held elsewhere) is not one."""
    base = grad.base
    return base.__class__ is np.ndarray and base.flags.owndata and base.nbytes == grad.nbytes and \
        sys.getrefcount(base) == _VIEW_ONLY_HOLDER


def reset_grads(tensors, set_to_none):
    """``Module.zero_grad`` and ``Optimizer.zero_grad``: each tensor's ``.grad`` set to None or, as PyTorch does,
    taken out of any graph it is part of and zeroed in place."""
    for tensor in tensors:
        grad = tensor.grad
        if grad is None:
            continue
        if set_to_none:
            tensor.grad = None
        else:
            if grad._grad_fn is not None:
                grad.detach_()
            else:
                grad.requires_grad_(False)
            grad.zero_()


def accumulate_leaf(tensor, grad, sole=False):
    """PyTorch's AccumulateGrad of the leaf ``tensor`` given the gradient array ``grad`` (None when backward reached
    the leaf but no gradient did): its hooks around ``.grad`` grown by it. ``sole``: nothing else holds ``grad``
    (PyTorch's use count of one), which PyTorch may then take as ``.grad`` itself."""
    if tensor._hooks:
        grad, sole = run_tensor_hooks(tensor._hooks, grad), False
    pre, post = accumulator_hooks(tensor) if tensor._grad_fn is None else (None, None)
    if pre:
        grad, sole = run_node_prehooks(pre, grad, False), False
    if grad is not None:  # (None: no gradient reached the leaf, whose hooks run all the same, as PyTorch's)
        _add_to_grad(tensor, grad, sole)
    if tensor._post_accumulate_grad_hooks:
        run_post_accumulate_hooks(tensor)
    if post:
        run_node_posthooks(post, (), grad, False)


def _add_to_grad(tensor, grad, sole=False):
    """``tensor.grad += grad`` (the array ``grad``, held by nothing else if ``sole``), as PyTorch's AccumulateGrad
    adds it."""
    from .._tensor import Tensor

    if tensor._grad is None:
        # A fresh, writable array (incoming gradients may be views or shared between inputs), laid out as PyTorch's
        # gradient layout contract says: in the leaf's own memory order when that is dense (a transposed or permuted
        # parameter), else contiguous.
        data = tensor._data
        if sole and grad.__class__ is np.ndarray and grad.flags.writeable and grad.dtype == data.dtype and \
                grad.shape == data.shape and grad.strides == data.strides and (grad.flags.owndata or
                                                                             _sole_view(grad)):
            # PyTorch takes a gradient nothing else holds that obeys the layout contract as it is (no copy: the
            # classic MNIST CNN's 9216 x 128 weight gradient, 4.5 MiB a step, the course CNN's weight gradients,
            # reshaped products); owning its memory, or the only view of it, it shares none
            tensor.grad = Tensor._wrap(grad)
            return
        if _memory_format.is_dense(data):
            fresh = np.empty_like(data, order="K")
            if fresh.strides != data.strides or getattr(grad, "strides", data.strides) != data.strides:
                # strides differing at size-1 dims (a channels-last N1HW leaf), or a gradient in another layout
                fresh = _memory_format.empty_with_strides_of(grad if _obeys_layout(grad, data) else data, data.dtype)
        elif sole and isinstance(grad, np.ndarray) and grad.shape == data.shape and \
                _memory_format.is_c_order(grad.shape, _memory_format.element_strides(grad)):
            # PyTorch takes a contiguous gradient nothing else holds as it is, with its strides at size-1 dims (the
            # channels-last weight gradient of an expanded weight): its clone would be contiguous
            fresh = _memory_format.empty_with_strides_of(grad, data.dtype)
        else:
            fresh = np.empty(data.shape, data.dtype)
        fresh[...] = grad
        tensor.grad = Tensor._wrap(fresh)
    else:
        old = tensor._grad._data
        if old.flags.writeable and old.dtype == tensor._data.dtype and old.shape == np.shape(grad):
            # in place, as PyTorch's AccumulateGrad: the .grad tensor (and its views) keep their memory and layout
            old += grad
            tensor._grad._bump_version()
        else:
            tensor._grad._data = (old + grad).astype(tensor._data.dtype, copy=False)


def _recorded_copy(tensor, grad):
    """The first ``.grad`` of ``tensor`` under create_graph, as PyTorch's clone_obey_contract records it: ``grad``
    copied into a new tensor strided as a dense leaf (CopyBackwards), else cloned contiguous (CloneBackward0)."""
    from .._tensor import Tensor

    data = tensor._data
    if not _memory_format.is_dense(data):
        return grad.clone(memory_format=_memory_format.contiguous_format)
    return Tensor._wrap(_memory_format.empty_with_strides_of(data, data.dtype)).copy_(grad)


def accumulate_leaf_graph(tensor, grad):
    """accumulate_leaf for a gradient tensor recorded in the graph: as PyTorch's AccumulateGrad under
    create_graph, ``.grad`` becomes a copy of it the first time (a copy recorded in the graph), then the sum out
    of place, so that earlier ``.grad`` tensors and their graphs stay valid."""
    if tensor._hooks:
        grad = run_tensor_hooks_graph(tensor._hooks, grad)
    pre, post = accumulator_hooks(tensor)
    if pre:
        grad = run_node_prehooks(pre, grad, True)
    if grad is not None:
        grad = grad._cast(tensor._data.dtype)
        tensor._grad = _recorded_copy(tensor, grad) if tensor._grad is None else tensor._grad + grad
    if tensor._post_accumulate_grad_hooks:
        run_post_accumulate_hooks(tensor)
    if post:
        run_node_posthooks(post, (), grad, True)
