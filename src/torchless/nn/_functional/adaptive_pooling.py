"""Adaptive average and max pooling over 1-D and 2-D inputs: windows [floor(i * n / out), ceil((i + 1) * n / out))
that tile each axis into a fixed number of cells.
"""
import math

from ... import _memory_format
from ..._kernels import pool as kernels
from ..._tensor import Tensor
from ...autograd.graph import Node
from ._args import Param, check_tensor, native, unpack_int64
from ._pool_args import (_check_float, _check_output_resize, _check_output_storage, _check_rank_2_to_3, _int_list,
                         _one_int, _one_list_int, _view_2d, dispatch_on_return_indices)
from ._pool_nodes import AdaptiveAvgPool, MaxPool, _as_planes, _from_planes, _keep_channels_last

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices"]



def _adaptive_output_size(output_size, shape, spatial):
    """PyTorch's _list_with_default: None entries keep the input's size. Only a Python int (a bool too) stands
    for itself; anything else is taken for a sequence (a NumPy integer fails len())."""
    if isinstance(output_size, bool):
        return output_size  # passed on as PyTorch's _list_with_default does, for the parser to refuse
    if isinstance(output_size, int):
        return (unpack_int64(output_size),) * spatial  # (the parser unpacks it as one int)
    if len(shape) <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    return tuple(n if v is None else v for v, n in zip(output_size, shape[-len(output_size):]))


def _check_output_size(output_hw):
    fn = "adaptive_avg_pool2d"
    if len(output_hw) != 2:
        raise RuntimeError(f"{fn}: output_size must be 2")
    if output_hw[0] < 0 or output_hw[1] < 0:
        raise RuntimeError(f"{fn}: elements of output_size must be greater than or equal to 0 but received "
                           f"{{{output_hw[0]}, {output_hw[1]}}}")


def _check_adaptive_avg(shape, output_hw):
    fn = "adaptive_avg_pool2d"
    if len(shape) not in (3, 4):
        raise RuntimeError(f"{fn}(): Expected 3D or 4D tensor, but got {list(shape)}")
    for axis in (-2, -1):
        if shape[axis] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {list(shape)} with dimension {axis + len(shape)} being empty")


def adaptive_avg_pool2d(input, output_size):
    """Average pooling of (N, C, H, W) or (C, H, W) to a fixed (H_out, W_out) = output_size.

    output_size is an int or a pair whose None entries keep the input's size. Window i along H spans
    [floor(i * H / H_out), ceil((i + 1) * H / H_out)), likewise along W.
    """
    output_hw = _adaptive_output_size(output_size, input.size(), 2)
    output_hw = _int_list(output_hw, "adaptive_avg_pool2d", "output_size", 2)
    _check_output_size(output_hw)
    if output_hw == (1, 1):
        # PyTorch takes the mean over the last two axes here, with the mean's checks only (any rank
        # from 2, empty planes give NaN).
        return _mean_in_input_format(input.mean((-1, -2), keepdim=True), input)
    _check_adaptive_avg(tuple(input.shape), output_hw)
    _check_output_resize(tuple(input.shape[:-2]) + tuple(output_hw), input)
    _check_float_unless_empty(input, output_hw, 2)
    out = AdaptiveAvgPool.apply(input, spatial=2, output_size=output_hw)
    x = input._data
    return _keep_channels_last(out, x) if _memory_format.may_suggest_channels_last(x) else out


class _AsStridedToFormat(Node):
    """PyTorch's adaptive average pooling to one cell of a channels-last input ends with ``as_strided_`` of its
    mean to the channels-last strides: an in-place op of the same elements, named AsStridedBackward1."""

    torch_saved = {"size": lambda node: node.size, "stride": lambda node: node.stride,
                   "storage_offset": lambda node: None}

    def forward(self, a, format_=None):
        out = _memory_format.in_format(a, format_)
        self.size, self.stride = a.shape, _memory_format.element_strides(out)
        return out

    def backward(self, grad):
        return (grad,)

    def backward_graph(self, grad):
        return (grad,)

    def name(self):
        return "AsStridedBackward1"


def _mean_in_input_format(mean, input, format_=_memory_format.channels_last):
    """adaptive_avg_pool2d/3d's ``mean`` over the pooled axes, laid out (as_strided_) in ``format_`` if ``input``
    suggests it: PyTorch checks for channels_last in 2-D pooling and channels_last_3d in 3-D pooling only (a
    channels_last_3d input of 2-D pooling keeps the mean's C order)."""
    x = input._data
    if not (_memory_format.may_suggest_channels_last(x) and _memory_format.output_format(x) is format_):
        return mean
    return _AsStridedToFormat.apply(mean, format_=format_)


# A native function in PyTorch (F.adaptive_avg_pool1d is torch.adaptive_avg_pool1d): a bad output_size is
# named with its position only when passed by position.
@native("adaptive_avg_pool1d", [Param("input", "Tensor"), Param("output_size", "int[]")], list_size=1)
def adaptive_avg_pool1d(input, output_size):
    """adaptive_avg_pool1d(input, output_size) -> Tensor

    Applies 1-D average pooling whose windows are chosen to give length ``output_size``. See
    :class:`~torchless.nn.AdaptiveAvgPool1d`.

    Shape:
        - Input: (N, C, L_in) or (C, L_in)
        - Output: (N, C, output_size) or (C, output_size)

    Examples::

        >>> F.adaptive_avg_pool1d(torch.tensor([[1.0, 2.0, 3.0, 4.0]]), 2)
        tensor([[1.5000, 3.5000]])
    """
    _check_rank_2_to_3(input, "adaptive_avg_pool1d")
    length = _one_list_int(output_size, "adaptive_avg_pool1d", "output_size")
    _check_output_size((1, length))
    if length == 1:  # as adaptive_avg_pool2d of the input with an axis of 1 added: a mean
        unsqueezed = input.unsqueeze(-2)
        return _mean_in_input_format(unsqueezed.mean((-1, -2), keepdim=True), unsqueezed).squeeze(-2)
    _check_adaptive_avg(_view_2d(input.shape, 1), (1, length))
    _check_output_resize(tuple(input.shape[:-1]) + (1, length), input)
    _check_float_unless_empty(input, (length,), 1)
    out = AdaptiveAvgPool.apply(input, spatial=1, output_size=(1, length))
    x = input._data
    return _keep_channels_last(out, x, unsqueezed=True) \
        if _memory_format.may_suggest_channels_last(x) else out


def _check_float_unless_empty(input, output_size, spatial):
    """The kernel's dtype check, which PyTorch's adaptive average pooling skips when the output is empty."""
    if math.prod(input.shape[:-spatial]) * math.prod(output_size):
        _check_float(input, "adaptive_avg_pool2d", spatial)


def _check_adaptive_max(input, output, fn, spatial=None):
    """``spatial``: the output_size length the kernel expects, checked after the empty dimensions, as PyTorch."""
    for axis in range(1, input.dim()):
        if input.shape[axis] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {list(input.shape)} with dimension {axis} being empty")
    if spatial is not None and len(output) != spatial:
        raise RuntimeError(f"{fn}(): internal error: output_size.size() must be {spatial}")
    if min(output) < 0:
        shape = list(input.shape[:-len(output)]) + ([1] if len(output) == 1 else []) + list(output)
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(output)}: {shape}")


def _adaptive_max(input, output_hw, spatial, return_indices, name):
    x = input._data
    pooled, indices = kernels.adaptive_max_pool_forward(_as_planes(x, spatial), output_hw)
    lead = x.shape[:-spatial]
    # (C order's strides on size-1 dims too: the kernel's fancy indexing leaves them odd)
    pooled, indices = (_memory_format.c_ordered(_from_planes(a, lead, spatial)) for a in (pooled, indices))
    out = MaxPool.apply(input, pooled=pooled, indices=indices, spatial=spatial, name=name)
    out = (out, Tensor._wrap(indices)) if return_indices else out
    if spatial == 3:  # PyTorch's 3-D kernel has no channels-last variant
        return _memory_format.in_c_order(out)
    return _keep_channels_last(out, x, unsqueezed=spatial == 1) \
        if _memory_format.may_suggest_channels_last(x) else out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """adaptive_max_pool2d(input, output_size, return_indices=False)

    Applies 2-D max pooling whose windows are chosen to give size ``output_size``; with ``return_indices``, returns
    ``(output, indices)``. See :class:`~torchless.nn.AdaptiveMaxPool2d`.

    Shape:
        - Input: (N, C, H_in, W_in) or (C, H_in, W_in)
        - Output: (N, C, *output_size) or (C, *output_size)

    Examples::

        >>> F.adaptive_max_pool2d(torch.arange(16.0).reshape(1, 4, 4), 2)
        tensor([[[ 5.,  7.],
                 [13., 15.]]])
    """
    fn = "adaptive_max_pool2d"
    output_hw = _int_list(_adaptive_output_size(output_size, input.size(), 2), fn, "output_size", 2)
    if input.dim() not in (3, 4):
        raise RuntimeError(f"{fn}(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    _check_adaptive_max(input, output_hw, fn, 2)
    _check_output_storage(tuple(input.shape[:-2]) + tuple(output_hw), input)
    _check_float(input, fn, 2)
    return _adaptive_max(input, output_hw, 2, return_indices, "AdaptiveMaxPool2DBackward0")


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """adaptive_max_pool1d(input, output_size, return_indices=False)

    Applies 1-D max pooling whose windows are chosen to give size ``output_size``; with ``return_indices``, returns
    ``(output, indices)``. See :class:`~torchless.nn.AdaptiveMaxPool1d`.

    Shape:
        - Input: (N, C, L_in) or (C, L_in)
        - Output: (N, C, output_size) or (C, output_size)

    Examples::

        >>> F.adaptive_max_pool1d(torch.tensor([[1.0, 5.0, 3.0, 4.0]]), 2)
        tensor([[5., 4.]])
    """
    fn = "adaptive_max_pool1d"
    check_tensor(input, fn)
    _int_list(output_size, fn, "output_size", 2)  # the parser's check, before the rank's
    _check_rank_2_to_3(input, fn)
    length = _one_int(output_size, fn, "output_size", 2)
    _check_adaptive_max(input, (length,), fn)
    _check_output_storage(tuple(input.shape[:-1]) + (1, length), input)
    _check_float(input, "adaptive_max_pool2d", 1)
    return _adaptive_max(input, (1, length), 1, return_indices, "SqueezeBackward1")


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """adaptive_max_pool2d_with_indices(input, output_size, return_indices=False)

    2-D adaptive max pooling that returns ``(output, indices)``: :func:`adaptive_max_pool2d` with
    ``return_indices=True``.

    Shape:
        - Input: (N, C, H_in, W_in) or (C, H_in, W_in)
        - Output and indices: (N, C, *output_size) or (C, *output_size)

    Examples::

        >>> F.adaptive_max_pool2d_with_indices(torch.arange(16.0).reshape(1, 4, 4), 2)
        (tensor([[[ 5.,  7.],
                 [13., 15.]]]), tensor([[[ 5,  7],
                 [13, 15]]]))
    """
    return _adaptive_max_pool2d(input, output_size, return_indices=True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """adaptive_max_pool1d_with_indices(input, output_size, return_indices=False)

    1-D adaptive max pooling that returns ``(output, indices)``: :func:`adaptive_max_pool1d` with
    ``return_indices=True``.

    Shape:
        - Input: (N, C, L_in) or (C, L_in)
        - Output and indices: (N, C, output_size) or (C, output_size)

    Examples::

        >>> F.adaptive_max_pool1d_with_indices(torch.tensor([[1.0, 5.0, 3.0, 4.0]]), 2)
        (tensor([[5., 4.]]), tensor([[1, 3]]))
    """
    return _adaptive_max_pool1d(input, output_size, return_indices=True)


# As in pooling.py: the functions above are PyTorch's private ones, the public names dispatch.
_adaptive_max_pool1d, _adaptive_max_pool2d = adaptive_max_pool1d, adaptive_max_pool2d
adaptive_max_pool1d = dispatch_on_return_indices(2, adaptive_max_pool1d_with_indices, _adaptive_max_pool1d)
adaptive_max_pool2d = dispatch_on_return_indices(2, adaptive_max_pool2d_with_indices, _adaptive_max_pool2d)
