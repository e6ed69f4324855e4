"""Max, average and power-average (Lp) pooling over 1-D and 2-D windows.

Arguments are validated here, once, in PyTorch's order and with its messages (max_pool1d and avg_pool1d have
checks of their own, as in PyTorch); the nodes are in :mod:`._pool_nodes`, the kernels in
``torchless._kernels.pool``.
"""
from ... import _memory_format
from ..._kernels import pool as kernels
from ..._kernels import pool3d
from ..._ops import unary
from ..._tensor import Tensor
from ...autograd.graph import records
from ._args import CheckedCalls, Param, call_key, check_tensor, native
from ._pool_args import (_as_parsed, _check_c_int, _check_float, _check_not_bool, _check_pool2d, _check_rank_2_to_3,
                         _check_window_argument, _int_lists, _one_int, _one_list_int, _one_value, _output_size, _pair,
                         _torch_pair, _view_2d, dispatch_on_return_indices)
from ._pool_nodes import AvgPool, MaxPool, _as_planes, _from_planes, _keep_channels_last
from .activation import relu

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices", "avg_pool1d",
           "avg_pool2d", "lp_pool1d", "lp_pool2d"]


_MAX_POOL_KERNELS = {2: (kernels.max_pool2d_forward, kernels.max_pool2d_forward_winners),
                     3: (pool3d.max_pool3d_forward, pool3d.max_pool3d_forward_winners)}


def _max_pool(input, spatial, kernel, stride, padding, dilation, ceil_mode, return_indices, name, shown=None):
    """Max pooling with 2-D or 3-D parameters (a 1-D pooling has height 1: kernel (1, k), padding (0, p), ...);
    ``shown``: the arguments as the node shows them, when not these (see MaxPool.forward)."""
    x = input._data
    planes = _as_planes(x, spatial)
    lead = x.shape[:-spatial]
    pool_forward, pool_forward_winners = _MAX_POOL_KERNELS[max(spatial, 2)]
    # Finding the argmax is most of the work; skip it when neither the caller nor backward wants it.
    # Nothing to record then either: wrapping the output directly is what Node.apply would do,
    # minus its ~2 us per call (a few percent of a batch-1 forward of the course CNN).
    if not (return_indices or records(input)):
        pooled, _ = pool_forward(planes, kernel, stride, padding, dilation, ceil_mode, False)
        return Tensor._wrap(_from_planes(pooled, lead, spatial))
    pooled, winners = pool_forward_winners(planes, kernel, stride, padding, dilation, ceil_mode)
    if spatial == 3 and _memory_format.may_suggest_channels_last(x) and _runs_channels_last_3d(x):
        winners.follow_channels_last_kernel(pooled, x.shape[-4])
    out = MaxPool.apply(input, pooled=_from_planes(pooled, lead, spatial), winners=winners, spatial=spatial,
                        name=name, after_relu=isinstance(input._grad_fn, unary.Relu),
                        arguments=(shown or (kernel, stride, padding, dilation)) + (ceil_mode,))
    if not return_indices:
        return out
    return out, Tensor._wrap(_from_planes(winners.flat_indices(), lead, spatial))


def _runs_channels_last_3d(x):
    """Whether PyTorch's 3-D max pooling of ``x`` runs its channels-last kernel: a batch suggesting
    channels_last_3d, or an unbatched volume whose view as a batch of one is laid out so (and not in C order)."""
    if x.ndim == 5:
        return _memory_format.suggest(x) is _memory_format.channels_last_3d
    batch = _memory_format.unsqueezed_view(x, 0)
    return not batch.flags.c_contiguous and _memory_format.is_contiguous(batch, _memory_format.channels_last_3d)


_max_pool2d_checked = CheckedCalls()  # normalised (kernel, stride, padding, dilation) of valid calls


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """2-D max pooling that returns ``(output, indices)``: :func:`max_pool2d` with ``return_indices=True``.

    The indices are flat positions within each (H_in, W_in) input plane, as :func:`max_unpool2d` takes them.

    Shape:
        - Input: (N, C, H_in, W_in) or (C, H_in, W_in)
        - Output and indices: (N, C, H_out, W_out) or (C, H_out, W_out), where

          H_out = floor((H_in + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) / stride[0] + 1)
          W_out = floor((W_in + 2 * padding[1] - dilation[1] * (kernel_size[1] - 1) - 1) / stride[1] + 1)

    Examples::

        >>> out, idx = F.max_pool2d_with_indices(torch.arange(16.0).reshape(1, 1, 4, 4), 2)
        >>> idx
        tensor([[[[ 5,  7],
                  [13, 15]]]])
    """
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-D max pooling over an input of shape (N, C, H, W) or (C, H, W).

    stride defaults to kernel_size; padding (at most half the kernel) is implicit -inf. With
    ceil_mode the last window may hang past the input if it starts inside it.
    Output: H_out = floor((H + 2 * padding[0] - dilation[0] * (kernel_size[0] - 1) - 1) / stride[0]) + 1
    (ceil instead of floor with ceil_mode), likewise W_out. With return_indices, also returns the
    int64 flat index h * W + w of each maximum within its (H, W) plane.
    """
    key = call_key((input, kernel_size, stride, padding, dilation, ceil_mode))
    plan = _max_pool2d_checked.get(key)
    if plan is None:
        params = _max_pool2d_params(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)
        shown = tuple(_as_parsed(value) for value in (kernel_size, stride, padding, dilation))
        plan = _max_pool2d_checked.remember(key, (params, kernels.tiled_output_hw(input.shape, *params, ceil_mode),
                                                  shown))
    params, tiled_hw, shown = plan
    if tiled_hw is not None and not (return_indices or records(input)):
        # Windows tiling a batch of planes, no indices wanted: straight to the kernel (a batch-1
        # forward of the course CNN spends ~5 us less per pooling than through _max_pool).
        out = kernels.tiled_max(input._data, params[0], tiled_hw)
        x = input._data
        if x.flags.c_contiguous and x.strides[1] != x.itemsize:  # (inline: _memory_format.may_suggest_...)
            return Tensor._wrap(out)
        return Tensor._wrap(_memory_format.in_format_of(out, x))
    out = _max_pool(input, 2, *params, ceil_mode, return_indices, "MaxPool2DWithIndicesBackward0", shown)
    x = input._data
    return _keep_channels_last(out, x) if _memory_format.may_suggest_channels_last(x) else out


def _max_pool2d_params(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=False):
    """max_pool2d's checks, in PyTorch's order; (kernel, stride, padding, dilation) as pairs.

    With return_indices PyTorch calls max_pool2d_with_indices, whose name its parser's TypeErrors carry.
    """
    fn = "max_pool2d"
    parsed = "max_pool2d_with_indices" if return_indices else fn
    check_tensor(input, parsed)
    kernel, stride, padding, dilation = _int_lists(  # the parser's checks all come before the sizes'
        parsed, ((kernel_size, "kernel_size", 2), (() if stride is None else stride, "stride", 3),
                 (padding, "padding", 4), (dilation, "dilation", 5)), ((ceil_mode, "ceil_mode", 6),))
    _check_window_argument(fn, "kernel_size", kernel, 2)
    _check_window_argument(fn, "stride", stride, 2, may_omit=True)
    _check_window_argument(fn, "padding", padding, 2)
    _check_window_argument(fn, "dilation", dilation, 2, wording="must be either")
    kernel = _pair(kernel)
    stride, padding, dilation = _pair(stride, kernel), _pair(padding), _pair(dilation)
    if input.dim() not in (3, 4):
        _memory_format.check_kernel_supports(input._data, _memory_format.channels_last)
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    _check_pool2d(tuple(input.shape), kernel, stride, padding, dilation, ceil_mode)
    _check_not_bool(input)
    return kernel, stride, padding, dilation


def _max_pool1d_params(input, kernel_size, stride, padding, dilation, ceil_mode):
    """PyTorch's max_pool1d checks (the path without indices, which has messages of its own)."""
    fn = "max_pool1d"
    check_tensor(input, fn)
    kernels, strides, paddings, dilations = _int_lists(
        fn, ((kernel_size, "kernel_size", 2), (() if stride is None else stride, "stride", 3), (padding, "padding", 4),
             (dilation, "dilation", 5)), ((ceil_mode, "ceil_mode", 6),))
    if input.dim() not in (2, 3) or 0 in tuple(input.shape)[-2:]:
        raise RuntimeError(f"{fn}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{list(input.shape)}")
    kernel = _one_value(kernels, fn, "kernel_size must be an int, list of ints or tuple of ints")
    stride = _one_value(strides, fn, "stride must be None, an int, list of ints, or tuple of ints") if strides \
        else kernel
    padding = _one_value(paddings, fn, "padding must be an int, list of ints, or tuple of ints")
    dilation = _one_value(dilations, fn, "dilation must be an int, list of ints or tuple of ints")
    for what, value, limit in (("kernel_size", kernel, 1), ("stride", stride, 1)):
        if value < limit:
            raise RuntimeError(f"{fn}() {what} must be greater than zero, but got {value}")
    if padding < 0:
        raise RuntimeError(f"{fn}() padding must be non-negative, but got {padding}")
    if padding > kernel // 2:
        raise RuntimeError(f"{fn}() padding should be at most half of kernel size, but got padding={padding} and "
                           f"kernel_size={kernel}")
    if dilation <= 0:
        raise RuntimeError(f"{fn}() dilation must be greater than zero, but got {dilation}")
    out = _output_size(input.shape[-1], kernel, padding, stride, dilation, ceil_mode)
    if out <= 0:
        raise RuntimeError(f"{fn}() Invalid computed output size: {out}")
    return kernel, stride, padding, dilation


def _max_pool1d_with_indices_params(input, kernel_size, stride, padding, dilation, ceil_mode):
    """PyTorch's max_pool1d_with_indices checks: its own argument checks, then max_pool2d's over a height of 1."""
    fn = "max_pool1d"
    check_tensor(input, "max_pool1d_with_indices")
    _int_lists("max_pool1d_with_indices",
               ((kernel_size, "kernel_size", 2), (() if stride is None else stride, "stride", 3),
                (padding, "padding", 4), (dilation, "dilation", 5)), ((ceil_mode, "ceil_mode", 6),))
    _check_rank_2_to_3(input, fn)
    kernel = _one_int(kernel_size, fn, "kernel_size", 2)
    # (an empty list or tuple means the default too; a NumPy integer is no sequence to compare with one)
    empty = stride is None or isinstance(stride, (list, tuple)) and not stride
    stride = kernel if empty else _one_int(stride, fn, "stride", 3)
    padding = _one_int(padding, fn, "padding", 4)
    dilation = _one_int(dilation, fn, "dilation", 5)
    _check_c_int((kernel, stride, padding, dilation))  # max_pool2d_with_indices' downcasts
    _check_pool2d(_view_2d(input.shape, 1), (1, kernel), (1, stride), (0, padding), (1, dilation), ceil_mode)
    _check_not_bool(input, 1)
    return kernel, stride, padding, dilation


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """1-D max pooling that returns ``(output, indices)``: :func:`max_pool1d` with ``return_indices=True``.

    Shape:
        - Input: (N, C, L_in) or (C, L_in)
        - Output and indices: (N, C, L_out) or (C, L_out), where

          L_out = floor((L_in + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1)

    Examples::

        >>> F.max_pool1d_with_indices(torch.tensor([[1.0, 3.0, 2.0, 0.0]]), 2)
        (tensor([[3., 2.]]), tensor([[1, 2]]))
    """
    return _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-D max pooling over an input of shape (N, C, L) or (C, L); stride defaults to kernel_size.

    L_out = floor((L + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1 (ceil with ceil_mode).
    """
    params = _max_pool1d_with_indices_params if return_indices else _max_pool1d_params
    kernel, stride, padding, dilation = params(input, kernel_size, stride, padding, dilation, ceil_mode)
    if records(input):
        # a gradient needs the indices: after the same 1-D checks PyTorch runs max_pool2d_with_indices
        _check_c_int((kernel, stride, padding, dilation))
        _check_not_bool(input, 1)  # (its complex refusal)
    if not (return_indices or records(input)):
        # PyTorch's index-free 1-D kernel, taken when no gradient needs the indices, has floating types only.
        _check_float(input, "max_pool1d_impl")
    out = _max_pool(input, 1, (1, kernel), (1, stride), (0, padding), (1, dilation), ceil_mode, return_indices,
                    "SqueezeBackward1")
    x = input._data
    # PyTorch's index-free kernel gives a contiguous output, its 2-D one a channels-last one for such an input
    return _keep_channels_last(out, x, unsqueezed=return_indices or records(input)) \
        if _memory_format.may_suggest_channels_last(x) else out


def _avg_pool(input, spatial, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override, shown=None):
    """Checks shared by avg_pool1d and avg_pool2d (PyTorch runs the 1-D one as 2-D over a height of 1); ``shown``
    as for AvgPool.forward."""
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if input.dim() + (spatial == 1) < 3:
        if spatial == 2:
            input.size(-3)  # PyTorch reads the channels first: its IndexError (another one for a 0-d input)
        rank = max(input.dim(), 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], but got -3)")
    _check_pool2d(_view_2d(input.shape, spatial), kernel, stride, padding, (1, 1), ceil_mode)
    if input.dtype.name not in ("float16", "bfloat16", "float32", "float64", "int64"):
        kernel = _memory_format.kernel_name("avg_pool2d", input._data, unsqueezed=spatial == 1)
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
    out = AvgPool.apply(input, spatial=spatial, kernel=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                        count_include_pad=count_include_pad, divisor_override=divisor_override, shown=shown)
    x = input._data
    return _keep_channels_last(out, x, unsqueezed=spatial == 1) \
        if _memory_format.may_suggest_channels_last(x) else out


def _avg_pool_signature(divisor_override):
    """PyTorch's native avg_pool1d / avg_pool2d parameters (avg_pool1d has no divisor_override)."""
    params = [Param("input", "Tensor"), Param("kernel_size", "int[]"), Param("stride", "int[]", "[]", []),
              Param("padding", "int[]", "0", 0), Param("ceil_mode", "bool", "False", False),
              Param("count_include_pad", "bool", "True", True)]
    return params + [Param("divisor_override", "int?", "None", None)] if divisor_override else params


# Through PyTorch's argument parser (F.avg_pool1d and F.avg_pool2d are native functions): a bad argument
# is named with its position only when it was given by position, as lp_pool*d and the modules do.
@native("avg_pool2d", _avg_pool_signature(True), list_size=2)
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling over an input of shape (N, C, H, W) or (C, H, W).

    stride defaults to kernel_size; padding is zero and counts in the divisor when count_include_pad.
    divisor_override, if given, replaces every window's divisor.
    H_out = floor((H + 2 * padding[0] - kernel_size[0]) / stride[0]) + 1 (ceil with ceil_mode), likewise W_out.
    """
    fn = "avg_pool2d"
    # Sequences reach here as given, of any length (the parser repeats a lone int only).
    kernel = kernel_size
    _check_window_argument(fn, "kernel_size", kernel, 2)
    _check_window_argument(fn, "stride", stride, 2, may_omit=True)
    _check_window_argument(fn, "padding", padding, 2)
    shown = tuple(kernel), tuple(stride), tuple(padding)
    kernel = _pair(kernel)
    return _avg_pool(input, 2, kernel, _pair(stride, kernel), _pair(padding), ceil_mode, count_include_pad,
                     divisor_override, shown)


@native("avg_pool1d", _avg_pool_signature(False), list_size=1)
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True) -> Tensor

    Applies 1-D average pooling: the mean of each window. See :class:`~torchless.nn.AvgPool1d`.

    Args:
        input (Tensor): (N, C, L_in) or (C, L_in)
        kernel_size (int or 1-tuple): size of the window
        stride (int or 1-tuple, optional): step between windows. Default: ``kernel_size``
        padding (int or 1-tuple, optional): implicit zero padding on both sides. Default: ``0``
        ceil_mode (bool, optional): ceil instead of floor in the output size. Default: ``False``
        count_include_pad (bool, optional): count the padding zeros in the divisor. Default: ``True``

    Shape:
        - Input: (N, C, L_in) or (C, L_in)
        - Output: (N, C, L_out) or (C, L_out), where

          L_out = floor((L_in + 2 * padding - kernel_size) / stride + 1)

    Examples::

        >>> F.avg_pool1d(torch.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]]]), kernel_size=3, stride=2)
        tensor([[[2., 4., 6.]]])
    """
    fn = "avg_pool1d"
    _check_rank_2_to_3(input, fn)
    kernel = _one_list_int(kernel_size, fn, "kernel_size")
    stride = kernel if not stride else _one_list_int(stride, fn, "stride")
    padding = _one_list_int(padding, fn, "padding")
    _check_c_int((kernel, stride, padding))  # avg_pool2d's downcasts
    return _avg_pool(input, 1, (1, kernel), (1, stride), (0, padding), ceil_mode, count_include_pad, None)


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool, avg_pool, cells):
    """PyTorch's power-average pooling, from the max or average pooling of its dimension; ``cells()`` is
    the number of cells of a window (computed after the pooling, which checks kernel_size first)."""
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return (out.sign() * relu(out.abs())).mul(cells()).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""1-D power-average pooling: :math:`f(X) = \left(\sum_{x \in X} x^p\right)^{1/p}` over each window.

    p = ``norm_type``; p = inf is max pooling of |x|, p = -inf the min of |x|. Computed as PyTorch does,
    from avg_pool1d of x^p (a negative window sum, possible for odd p, counts as 0).

    Shape: input (N, C, L) or (C, L); L_out = floor((L - kernel_size) / stride) + 1 (ceil with ceil_mode);
    stride defaults to kernel_size.
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool1d, avg_pool1d, lambda: kernel_size)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""2-D power-average pooling: :math:`f(X) = \left(\sum_{x \in X} x^p\right)^{1/p}` over each window.

    p = ``norm_type``; p = inf is max pooling of |x|, p = -inf the min of |x|. Computed as PyTorch does,
    from avg_pool2d of x^p (a negative window sum, possible for odd p, counts as 0).

    Shape: input (N, C, H, W) or (C, H, W); H_out = floor((H - kernel_size[0]) / stride[0]) + 1
    (ceil with ceil_mode), likewise W_out; stride defaults to kernel_size.
    """
    kw, kh = _torch_pair(kernel_size)
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool2d, avg_pool2d, lambda: kw * kh)


# Each function above is PyTorch's private one; the public name dispatches as PyTorch's does (and all pickle by
# reference, under their names).
_max_pool1d, _max_pool2d = max_pool1d, max_pool2d
max_pool1d = dispatch_on_return_indices(6, max_pool1d_with_indices, _max_pool1d)
max_pool2d = dispatch_on_return_indices(6, max_pool2d_with_indices, _max_pool2d)
