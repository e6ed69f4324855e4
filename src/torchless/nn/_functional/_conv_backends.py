"""PyTorch's checks of a convolution's arguments on its way to a CPU backend (``check_shape_forward``, then the
backend's own: oneDNN, the slow kernels), in its order and with its messages, and the node each backend's call
runs as.
"""
import math

from ... import _dtype, _memory_format
from ..._type_promotion import category, promote, result_dtype
from ._conv_nodes import EmptyConvolution, _uses_mkldnn


# The dtypes of the slow convolution kernels (all but bool and the complex ones, which only torch.convolution hands
# them: the conv*d functions convolve the real parts)
_NUMERIC_DTYPES = frozenset(("float16", "bfloat16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64"))


def _batchify(input, spatial, fn):
    if input.dim() not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {fn}, but got "
                           f"input of size: {list(input.shape)}")
    return (input, True) if input.dim() == spatial + 2 else (input.unsqueeze(0), False)


def _expand(values, name, dim):
    if len(values) == 1:
        return values * dim
    if len(values) != dim:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {dim} values to match the "
                           f"convolution dimensions, but got {name}={values}")
    return values


def _check_shape_forward(in_shape, w_shape, bias, stride, padding, dilation, transposed, output_padding, groups):
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d < 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:  # (reached by convolution_backward only: the convolutions check it before, in other words)
        raise RuntimeError(f"expected groups to be greater than 0, but got groups={groups}")
    if len(w_shape) != len(in_shape):
        raise RuntimeError(f"Expected {len(w_shape)}-dimensional input for {len(w_shape)}-dimensional weight {w_shape}, "
                           f"but got {len(in_shape)}-dimensional input of size {in_shape} instead")
    if w_shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {w_shape} instead")
    if w_shape[0] % groups:
        # The doubled brackets are PyTorch's.
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got "
                           f"weight of size [{w_shape}] instead")
    bias_shape = None if bias is None else list(bias.shape)
    if transposed:
        if in_shape[1] != w_shape[0]:
            raise RuntimeError(f"Given transposed=1, weight of size {w_shape}, expected input{in_shape} to have "
                               f"{w_shape[0]} channels, but got {in_shape[1]} channels instead")
        if bias_shape is not None and bias_shape != [w_shape[1] * groups]:
            raise RuntimeError(f"Given transposed=1, weight of size {w_shape}, expected bias to be 1-dimensional with "
                               f"{w_shape[1] * groups} elements, but got bias of size {bias_shape} instead")
        return
    if in_shape[1] != w_shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {w_shape}, expected input{in_shape} to have "
                           f"{w_shape[1] * groups} channels, but got {in_shape[1]} channels instead")
    if bias_shape is not None and bias_shape != [w_shape[0]]:
        raise RuntimeError(f"Given weight of size {w_shape}, expected bias to be 1-dimensional with {w_shape[0]} "
                           f"elements, but got bias of size {bias_shape} instead")
    padded = [n + 2 * p for n, p in zip(in_shape[2:], padding)]
    spans = [d * (k - 1) + 1 for k, d in zip(w_shape[2:], dilation)]
    if any(p < s for p, s in zip(padded, spans)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, spans))}). Kernel size can't be greater than actual input size")


def _not_implemented(kernel_name, dtype, supported):
    if dtype.name not in supported:
        raise NotImplementedError(f'"{kernel_name}" not implemented for \'{dtype.scalar_name}\'')


# oneDNN's own errors, which PyTorch passes on as they are.
_ONEDNN_MEMORY = "could not construct a memory descriptor using a format tag"
_ONEDNN_PRIMITIVE = ("could not create a primitive descriptor for the {} forward propagation primitive. Run workload "
                     "with environment variable ONEDNN_VERBOSE=all to get additional diagnostic information.")


def _c_div(a, b):
    """C++ integer division, which truncates toward zero (Python's // floors)."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _onednn_deconvolution(in_shape, w_shape, stride, padding, dilation, output_padding, groups, input, weight):
    """What oneDNN makes of a transposed convolution: the dilation and output padding it computes with.

    PyTorch sizes the output itself and checks nothing (no kernel or dilation checks, no "Output
    size is too small"); an empty output is fine. A negative size fails oneDNN's memory descriptor,
    or, when the input or weight suggests a channels-last format, PyTorch's own allocation of the
    channels-last output (its element count overflows), else oneDNN's descriptor of its strides.
    ideep hands oneDNN a dilation of 1 everywhere if any dilation is 0, so with a 0 dilation
    PyTorch's output size (d * (k - 1) = 0 in that dimension) and oneDNN's kernel extent disagree:
    oneDNN accepts the problem only if its own size check still holds, and then crops or zero-pads
    its result to PyTorch's size, which is an output padding outside [0, stride) here. In 3-D, ideep
    passes a 0 dilation on, and oneDNN rejects its dimensions. oneDNN has no implementation for an
    empty kernel, nor for a kernel without output channels.
    """
    out_hw = _transposed_size(in_shape[2:], w_shape[2:], stride, padding, dilation, output_padding)
    if any(n < 0 for n in out_hw):
        if _memory_format.output_format(input._data, weight._data) is None:
            raise RuntimeError(_ONEDNN_MEMORY)
        # c10's element count: a product of the sizes as uint64, whose overflow sticks even if a 0 follows
        count, overflowed = 1, False
        for n in (in_shape[0], w_shape[1] * groups, *out_hw):
            count *= n % 2 ** 64
            overflowed |= count >= 2 ** 64
            count %= 2 ** 64
        if overflowed or count >= 2 ** 63:
            raise RuntimeError("numel: integer multiplication overflow")
        raise RuntimeError("could not construct a memory descriptor using strides")
    if len(dilation) == 3 and 0 in dilation:
        raise RuntimeError("dimensions are invalid")
    if 0 in w_shape[1:]:
        raise RuntimeError(_ONEDNN_PRIMITIVE.format("deconvolution"))
    if all(d > 0 for d in dilation):
        return dilation, output_padding
    dilation = [1] * len(dilation)
    natural = _transposed_size(in_shape[2:], w_shape[2:], stride, padding, dilation, [0] * len(dilation))
    for n, k, s, p, op, out in zip(in_shape[2:], w_shape[2:], stride, padding, output_padding, out_hw):
        # oneDNN's check: src == (dst - kernel extent + padding_l + padding_r) / stride + 1, padding_r = p - op
        if _c_div(out - k + p + (p - op), s) + 1 != n:
            raise RuntimeError(_ONEDNN_PRIMITIVE.format("deconvolution"))
    return dilation, [out - n for out, n in zip(out_hw, natural)]


def _check_backend(in_shape, w_shape, input, weight, bias, stride, padding, dilation, transposed, output_padding,
                   groups):
    """The checks of the CPU backend PyTorch picks for a non-empty input (2-D or 3-D shapes and parameters here).

    Returns the dilation and output padding that backend computes with (changed only by oneDNN's
    transposed convolution with a zero dilation).
    """
    if math.prod(in_shape) == 0:
        raise RuntimeError(f"Only zero batch or zero channel inputs are supported, but got input shape: {in_shape}")
    if _uses_mkldnn(in_shape, w_shape, input.dtype, stride, transposed, output_padding, groups, dilation):
        for name, param in (("weight", weight), ("bias", bias)):
            if param is not None and param.dtype != input.dtype:
                raise RuntimeError(f"Input type ({_dtype.type_text(input.dtype)}) and {name} type "
                                   f"({_dtype.type_text(param.dtype)}) should be the same or input should be a MKLDNN "
                                   f"tensor and {name} is a dense tensor")
        if transposed:
            return _onednn_deconvolution(in_shape, w_shape, stride, padding, dilation, output_padding, groups,
                                         input, weight)
        # mkldnn_convolution repeats check_shape_forward, adding this check; oneDNN then has no
        # implementation for an empty kernel.
        if any(d <= 0 for d in dilation):
            raise RuntimeError("non-positive dilation is not supported")
        if 0 in w_shape[2:]:
            raise RuntimeError(_ONEDNN_PRIMITIVE.format("convolution"))
        return dilation, output_padding
    if transposed:
        _check_slow_transposed(in_shape, w_shape, input.dtype, stride, padding, dilation, output_padding, groups)
    elif any(d != 1 for d in dilation):
        _check_slow_dilated(w_shape, input.dtype, dilation)
    elif len(in_shape) == 5:
        _check_slow_conv3d(w_shape, input.dtype, stride, padding, groups)
    else:
        _check_slow_conv2d(w_shape, input.dtype)
    if weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found {weight.dtype.scalar_name}")
    if transposed and len(in_shape) == 5:
        # slow_conv_transpose3d adds the bias by a GEMM on the input's type: no promotion, no cast.
        if bias is not None and bias.dtype != input.dtype:
            raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found {bias.dtype.scalar_name}")
    elif transposed:
        _check_bias_added_in_place(input._data.dtype, bias)
    return dilation, output_padding


_AXES = {2: ("height", "width"), 3: ("depth", "height", "width")}


def _named(name, values, separator=" "):
    """PyTorch's "dilation_height: 1, dilation_width: 2" (separator ", ") or "kernel_height: 1 kernel_width: 2"
    (in 3-D, "..._depth: ..." first)."""
    return separator.join(f"{name}_{axis}: {v}" for axis, v in zip(_AXES[len(values)], values))


def _check_slow_conv2d(w_shape, dtype):
    """slow_conv2d (thnn_conv2d): a 2-D convolution neither dilated nor on oneDNN."""
    if any(k <= 0 for k in w_shape[2:]):
        raise RuntimeError(f"kernel size should be greater than zero, but got {_named('kernel', w_shape[2:])}")
    _not_implemented("slow_conv2d_cpu", dtype, _NUMERIC_DTYPES)


def _check_slow_conv3d(w_shape, dtype, stride, padding, groups):
    """slow_conv3d: a 3-D convolution neither dilated nor on oneDNN (all groups at once). It unfolds the input into
    columns first, but for a 1x1x1 kernel of one group without stride or padding: its own dispatch then names the
    error."""
    if any(k <= 0 for k in w_shape[2:]):
        raise RuntimeError(f"kernel size should be greater than zero, but got: {' x '.join(map(str, w_shape[2:]))} "
                           "(TxHxW)")
    unfolds = (groups != 1 or any(k != 1 for k in w_shape[2:]) or any(s != 1 for s in stride)
               or any(p != 0 for p in padding))
    _not_implemented("compute_columns3d" if unfolds else "slow_conv3d_cpu", dtype, _NUMERIC_DTYPES)


def _check_slow_dilated(w_shape, dtype, dilation):
    """slow_conv_dilated2d / slow_conv_dilated3d, run group by group."""
    if any(k <= 0 for k in w_shape[2:]):
        raise RuntimeError(f"kernel size should be greater than zero, but got {w_shape[2:]}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {dilation}")
    _not_implemented("slow_conv_dilated<>", dtype, ("float16", "bfloat16", "float32", "float64", "int64"))


def _check_slow_transposed(in_shape, w_shape, dtype, stride, padding, dilation, output_padding, groups):
    """slow_conv_transpose2d / slow_conv_transpose3d, run group by group: their own checks, in their order."""
    spatial = len(in_shape) - 2
    if spatial == 2 and any(k <= 0 for k in w_shape[2:]):
        raise RuntimeError(f"kernel size should be greater than zero, but got {_named('kernel', w_shape[2:])}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {_named('dilation', dilation, ', ')}")
    if any(p >= s and p >= d for p, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           + " ".join(_named(name, values) for name, values in (
                               ("output_padding", output_padding), ("stride", stride), ("dilation", dilation))))
    if 0 in w_shape[1:]:
        group_shape = [w_shape[0] // groups] + w_shape[1:]  # the weight of one group
        if spatial == 2:
            raise RuntimeError(f"non-empty 2D or 4D weight tensor expected, but got: {group_shape}")
        raise RuntimeError("non-empty 5D (n_output_plane x n_input_plane x kernel_depth x kernel_height x "
                           f"kernel_width) tensor expected for weight, but got: {group_shape}")
    out_size = _transposed_size(in_shape[2:], w_shape[2:], stride, padding, dilation, output_padding)
    if any(n < 1 for n in out_size):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, in_shape[2:]))}). Calculated output "
                           f"size per channel: ({' x '.join(map(str, out_size))}). Output size is too small")
    _not_implemented(f"slow_conv_transpose{spatial}d_out_cpu", dtype,
                     ("float16", "bfloat16", "float32", "float64", "int64"))


def _check_bias_added_in_place(out_dtype, bias):
    """``output.add_(bias)``: the sum takes the bias's dtype only if of a higher category (a float bias on
    an integer output), and then cannot be written back. (conv1d and conv2d with a numeric padding
    have already required the input's dtype.)"""
    if bias is not None and category(bias._data.dtype) > category(out_dtype):
        result = promote(out_dtype, bias._data.dtype)  # (a complex64 bias on a double output: complex128)
        raise RuntimeError(f"result type {_dtype.from_numpy_dtype(result).scalar_name} can't be cast to the desired "
                           f"output type {_dtype.from_numpy_dtype(out_dtype).scalar_name}")


def _transposed_size(in_hw, kernel, stride, padding, dilation, output_padding):
    return [(n - 1) * s - 2 * p + d * (k - 1) + op + 1
            for n, k, s, p, d, op in zip(in_hw, kernel, stride, padding, dilation, output_padding)]


def _empty_backend(in_shape, w_shape, input, weight, bias, stride, padding, dilation, transposed, output_padding,
                   groups):
    """PyTorch's "Empty" backend, for an input without batch or channels: (EmptyConvolution, params).

    It checks nothing more, and convolves nothing: it computes ``input.view(-1) * weight.view(-1)``
    (no channels) or ``input * weight.view(-1)[0]``, adds ``bias[0]`` in place, and views the result
    as the output size, unchecked. Those ops give the output's dtype (a promotion with the weight's)
    and the errors: an empty weight has no element 0, an integer output cannot take a float bias in
    place, and the view refuses negative sizes (a -1 even asks it to infer a size from 0 elements).
    """
    in_dtype, w_dtype = input._data.dtype, weight._data.dtype
    if in_shape[1] == 0:
        dtype = promote(in_dtype, w_dtype)  # no channels means an empty weight: [0] * [0]
    elif math.prod(w_shape) == 0:
        raise IndexError("select(): index 0 out of range for tensor of size [0] at dimension 0")
    else:
        dtype = result_dtype(in_dtype, True, w_dtype, False)  # input * weight.view(-1)[0]
    _check_bias_added_in_place(dtype, bias)
    if transposed:
        shape = [in_shape[0], w_shape[1] * groups] + _transposed_size(in_shape[2:], w_shape[2:], stride, padding,
                                                                      dilation, output_padding)
    else:
        shape = [in_shape[0], w_shape[0]] + [_c_div(n + 2 * p - (d * (k - 1) + 1), s) + 1 for n, k, s, p, d in
                                             zip(in_shape[2:], w_shape[2:], stride, padding, dilation)]
    if in_shape[1] == 0:
        shape[1] = 0
    inferred = None
    for i, n in enumerate(shape):
        if n == -1:
            if inferred is not None:
                raise RuntimeError("only one dimension can be inferred")
            inferred = i
        elif n < 0:
            raise RuntimeError(f"invalid shape dimension {n} at index {i} of shape {shape}")
    if inferred is not None:  # the other sizes multiply to 0, like the elements
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {shape} because the unspecified "
                           "dimension size -1 can be any value and is ambiguous")
    if input.dim() == 3:
        del shape[2]  # the height of 1 of a 1-D convolution
    return EmptyConvolution, {"shape": tuple(shape), "dtype": dtype, "stride": tuple(stride), "padding": tuple(padding),
                              "dilation": tuple(dilation), "groups": groups, "transposed": transposed,
                              "output_padding": tuple(output_padding)}
