"""Convolutions: conv1d, conv2d and conv_transpose2d, their argument checks and their gradients.

Arguments are validated and normalised here, once; the array work is done by the kernels in
``torchless._kernels.conv``, which see only NCHW arrays and tuples of ints. 1-D convolutions run
as 2-D ones over a height of 1.
"""
from ..._kernels import conv as kernels
from ...autograd.function import Function
from ._args import check_tensor, ntuple

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


def _as_2d(array, spatial):
    """View a 1-D-spatial array (N, C, L) as (N, C, 1, L); 2-D arrays pass through."""
    return array[:, :, None, :] if spatial == 1 else array


def _from_2d(array, spatial):
    return array[:, :, 0, :] if spatial == 1 else array


class Convolution(Function):
    """y = x ⋆ w + b for NCL or NCHW arrays (cross-correlation, as PyTorch)."""

    saved = ("x", "w")

    def forward(self, x, w, b, stride=None, padding=None, dilation=None, groups=1):
        self.spatial = x.ndim - 2
        self.x, self.w = _as_2d(x, self.spatial), _as_2d(w, self.spatial)
        self.args = stride, padding, dilation, groups
        y = kernels.conv2d_forward(self.x, self.w, *self.args)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        return _from_2d(y, self.spatial)

    def backward(self, grad):
        gy = _as_2d(grad, self.spatial)
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = _from_2d(kernels.conv2d_backward_input(gy, self.w, self.x.shape[2:], *self.args), self.spatial)
        if self.needs_input_grad[1]:
            gw = _from_2d(kernels.conv2d_backward_weight(gy, self.x, self.w.shape[2:], *self.args), self.spatial)
        if self.needs_input_grad[2]:
            gb = gy.sum(axis=(0, 2, 3))
        return gx, gw, gb


class TransposedConvolution(Function):
    """The adjoint of Convolution with respect to its input: y = conv_transpose(x, w) + b."""

    saved = ("x", "w")

    def forward(self, x, w, b, stride=None, padding=None, dilation=None, groups=1, output_hw=None):
        self.spatial = x.ndim - 2
        self.x, self.w = _as_2d(x, self.spatial), _as_2d(w, self.spatial)
        self.args = stride, padding, dilation, groups
        y = kernels.conv2d_backward_input(self.x, self.w, output_hw, *self.args)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        return _from_2d(y, self.spatial)

    def backward(self, grad):
        gy = _as_2d(grad, self.spatial)
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = _from_2d(kernels.conv2d_forward(gy, self.w, *self.args), self.spatial)
        if self.needs_input_grad[1]:
            # The transposed conv's input plays the forward conv's output gradient, its output grad the input.
            gw = _from_2d(kernels.conv2d_backward_weight(self.x, gy, self.w.shape[2:], *self.args), self.spatial)
        if self.needs_input_grad[2]:
            gb = gy.sum(axis=(0, 2, 3))
        return gx, gw, gb

    def name(self):
        return "ConvolutionBackward0"


# ---------------------------------------------------------------------------- argument checks
def _check_rank(input, spatial, fn):
    if input.dim() not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {fn}, but got "
                           f"input of size: {list(input.shape)}")


def _check_weight_rank(weight, spatial, stride):
    if weight.dim() != spatial + 2:
        raise RuntimeError(f"expected stride to be a single integer value or a list of {max(weight.dim() - 2, 0)} "
                           f"values to match the convolution dimensions, but got stride={list(stride)}")


_SCALAR_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "uint8": "Byte", "int8": "Char",
                 "int16": "Short", "int32": "Int", "int64": "Long", "bool": "Bool"}


def _check_dtypes(input, weight, bias):
    if input.dtype != weight.dtype:
        raise RuntimeError(f"expected scalar type {_SCALAR_NAMES[input.dtype.name]} but found "
                           f"{_SCALAR_NAMES[weight.dtype.name]}")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_SCALAR_NAMES[input.dtype.name].lower()}) and bias type "
                           f"({_SCALAR_NAMES[bias.dtype.name].lower()}) should be the same")
    if not input.is_floating_point():
        raise RuntimeError(f"\"conv\" not implemented for '{_SCALAR_NAMES[input.dtype.name]}'")


def _check_kernel(kernel, spatial):
    if any(k <= 0 for k in kernel):
        names = ("height", "width")[-spatial:]
        raise RuntimeError("kernel size should be greater than zero, but got "
                           + " ".join(f"kernel_{n}: {k}" for n, k in zip(names, kernel)))


def _check_positive(stride, dilation, groups):
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _check_groups(weight, groups):
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got "
                           f"weight of size [{list(weight.shape)}] instead")


def _check_bias(bias, out_channels, weight):
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_channels):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with "
                           f"{out_channels} elements, but got bias of size {list(bias.shape)} instead")


def _same_padding(kernel, dilation):
    """PyTorch's 'same': total d*(k-1), the odd extra cell on the bottom/right."""
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def _padding_pairs(padding, spatial, kernel, stride, dilation):
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * spatial
        if padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            return _same_padding(kernel, dilation)
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    pads = ntuple(padding, spatial, "padding")
    if any(p < 0 for p in pads):
        raise RuntimeError("negative padding is not supported")
    return tuple((p, p) for p in pads)


def _to_2d_pairs(values, spatial, fill):
    """Tuples for the 2-D kernels: a 1-D convolution gets ``fill`` for its unit height."""
    return (fill,) + tuple(values) if spatial == 1 else tuple(values)


def _convolution(input, weight, bias, stride, padding, dilation, groups, spatial, fn):
    check_tensor(input, fn)
    check_tensor(weight, fn, "weight", 2)
    _check_rank(input, spatial, fn)
    stride = ntuple(stride, spatial, "stride")
    _check_weight_rank(weight, spatial, stride)
    dilation = ntuple(dilation, spatial, "dilation")
    _check_positive(stride, dilation, groups)
    kernel = tuple(weight.shape[2:])
    _check_kernel(kernel, spatial)
    pads = _padding_pairs(padding, spatial, kernel, stride, dilation)
    batched = input.dim() == spatial + 2
    x = input if batched else input.unsqueeze(0)
    _check_groups(weight, groups)
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input{list(x.shape)} to "
                           f"have {weight.shape[1] * groups} channels, but got {x.shape[1]} channels instead")
    _check_bias(bias, weight.shape[0], weight)
    _check_dtypes(input, weight, bias)
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < s for p, s in zip(padded, spans)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, spans))}). Kernel size can't be greater than actual input size")
    y = Convolution.apply(x, weight, bias, stride=_to_2d_pairs(stride, spatial, 1),
                          padding=_to_2d_pairs(pads, spatial, (0, 0)), dilation=_to_2d_pairs(dilation, spatial, 1),
                          groups=groups)
    return y if batched else y.squeeze(0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) over an input of shape (N, C_in, L) or (C_in, L).

    weight: (C_out, C_in / groups, kL); bias: (C_out,) or None. padding: int, tuple, 'valid' or 'same'.
    Output length: L_out = floor((L + 2 * padding - dilation * (kL - 1) - 1) / stride) + 1.
    """
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) over an input of shape (N, C_in, H, W) or (C_in, H, W).

    weight: (C_out, C_in / groups, kH, kW); bias: (C_out,) or None. stride, padding and dilation are
    ints or (h, w) pairs; padding may also be 'valid' (none) or 'same' (output size = input size,
    stride 1 only; an odd total padding puts the extra cell at the bottom/right, as PyTorch).
    Output: (N, C_out, H_out, W_out) with
    H_out = floor((H + 2 * padding[0] - dilation[0] * (kH - 1) - 1) / stride[0]) + 1, likewise W_out.
    """
    return _convolution(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def _transposed(input, weight, bias, stride, padding, output_padding, groups, dilation, spatial, fn):
    check_tensor(input, fn)
    check_tensor(weight, fn, "weight", 2)
    _check_rank(input, spatial, fn)
    if isinstance(padding, str):
        raise TypeError(f"{fn}(): argument 'padding' must be tuple of ints, not str")
    stride = ntuple(stride, spatial, "stride")
    _check_weight_rank(weight, spatial, stride)
    pads = ntuple(padding, spatial, "padding")
    out_pads = ntuple(output_padding, spatial, "output_padding")
    dilation = ntuple(dilation, spatial, "dilation")
    _check_positive(stride, dilation, groups)
    if any(p < 0 for p in pads + out_pads):
        raise RuntimeError("negative padding is not supported")
    if any(op >= s and op >= d for op, s, d in zip(out_pads, stride, dilation)):
        names = ("height", "width") if spatial == 2 else ("width",)
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            + " ".join(f"output_padding_{n}: {v}" for n, v in zip(names, out_pads)) + " "
            + " ".join(f"stride_{n}: {v}" for n, v in zip(names, stride)) + " "
            + " ".join(f"dilation_{n}: {v}" for n, v in zip(names, dilation))
        )
    batched = input.dim() == spatial + 2
    x = input if batched else input.unsqueeze(0)
    _check_groups(weight, groups)
    if x.shape[1] != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input{list(x.shape)} to "
                           f"have {weight.shape[0]} channels, but got {x.shape[1]} channels instead")
    out_channels = weight.shape[1] * groups
    _check_bias(bias, out_channels, weight)
    _check_dtypes(input, weight, bias)
    kernel = tuple(weight.shape[2:])
    out_hw = tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1
                   for n, s, p, d, k, op in zip(x.shape[2:], stride, pads, dilation, kernel, out_pads))
    if any(n <= 0 for n in out_hw):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, x.shape[2:]))}). Calculated output size "
                           f"per channel: ({' x '.join(map(str, out_hw))}). Output size is too small")
    y = TransposedConvolution.apply(
        x, weight, bias, stride=_to_2d_pairs(stride, spatial, 1), padding=_to_2d_pairs(tuple((p, p) for p in pads), spatial, (0, 0)),
        dilation=_to_2d_pairs(dilation, spatial, 1), groups=groups, output_hw=_to_2d_pairs(out_hw, spatial, 1))
    return y if batched else y.squeeze(0)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution over (N, C_in, L) or (C_in, L); weight (C_in, C_out / groups, kL).

    L_out = (L - 1) * stride - 2 * padding + dilation * (kL - 1) + output_padding + 1.
    """
    return _transposed(input, weight, bias, stride, padding, output_padding, groups, dilation, 1, "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution ("deconvolution"), the gradient of conv2d with respect to its input.

    input: (N, C_in, H, W) or (C_in, H, W); weight: (C_in, C_out / groups, kH, kW); bias: (C_out,).
    H_out = (H - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kH - 1) + output_padding[0] + 1,
    likewise W_out.
    """
    return _transposed(input, weight, bias, stride, padding, output_padding, groups, dilation, 2, "conv_transpose2d")
