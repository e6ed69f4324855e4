"""The autograd nodes of the convolutions (and their transposes), in 1-D, 2-D and 3-D, on the kernels of
``torchless._kernels.conv`` (NCHW arrays) and ``torchless._kernels.conv3d`` (NCDHW ones); a 1-D convolution runs
as a 2-D one over a height of 1, as in PyTorch.
"""
import functools
import math
from typing import Callable, NamedTuple

import numpy as np

from ... import _cpu_features as cpu_features
from ... import _memory_format
from ..._kernels import conv as kernels
from ..._kernels import conv3d as kernels3d
from ..._kernels import conv_half, parallel
from ..._ops.shape import ConstantPad
from ..._ops.unary import dense_strides_like
from ...autograd import anomaly_mode, forward_ad
from ...autograd._engine import current_backward, gradient_unwatched, sole_gradient_from
from ...autograd._graph_backward import (GradientOfGradientLaidOut, SeenGradient, with_gradient_laid_out,
                                         with_gradient_strides)
from ...autograd.graph import Node
from ...autograd.saved_values import SavedInput


class _Kernels(NamedTuple):
    """The array kernels of one spatial rank, with the signatures of ``torchless._kernels.conv``'s."""

    forward: Callable
    backward: Callable
    backward_input: Callable
    backward_weight: Callable


def _exactly_c_strided(array):
    """A C-contiguous ``array`` with C order's strides on its size-1 dims too (a view): NumPy's C flag overlooks
    those, which the reshapes and transposes of the 3-D kernels leave arbitrary, and PyTorch's ``stride()``
    shows them. Other arrays (None, channels-last ones) as they are: their callers lay them out."""
    if array is None or not array.flags.c_contiguous:
        return array
    return _memory_format.with_c_strides(array)


def _with_exact_c_strides(kernel):
    """``kernel`` whose results (an array or a tuple of them) are _exactly_c_strided."""
    @functools.wraps(kernel)
    def laid_out(*args, **kwargs):
        result = kernel(*args, **kwargs)
        return tuple(map(_exactly_c_strided, result)) if isinstance(result, tuple) else _exactly_c_strided(result)

    return laid_out


_KERNELS = {  # by the rank of the (batched) arrays
    4: _Kernels(kernels.conv2d_forward, kernels.conv2d_backward, kernels.conv2d_backward_input,
                kernels.conv2d_backward_weight),
    5: _Kernels(*map(_with_exact_c_strides, (kernels3d.conv3d_forward, kernels3d.conv3d_backward,
                                              kernels3d.conv3d_backward_input, kernels3d.conv3d_backward_weight))),
}


def _as_4d(array):
    """View an (N, C, L) array as (N, C, 1, L); 4-D and 5-D arrays pass through."""
    return array[:, :, None, :] if array.ndim == 3 else array


def _like(array4d, ndim):
    return array4d[:, :, 0, :] if ndim == 3 else array4d


def _spatial(node, values):
    """A convolution's per-axis arguments (given for 2-D or 3-D) for its input's own spatial axes."""
    return tuple(values[2 - node.ndim:])


def _per_channel(values, ndim):
    """A (C,) array shaped to broadcast over the channels of an (N, C, ...) array of rank ndim."""
    return values.reshape((1, -1) + (1,) * (ndim - 2))


def _uses_mkldnn(in_shape, w_shape, dtype, stride, transposed, output_padding, groups, dilation=(), one_thread=None):
    """Whether PyTorch's CPU backend selection picks oneDNN: its own dtype-mismatch message, and its own
    checks and errors (for a transposed convolution, none of the reference backend's).

    Half precision goes to oneDNN whenever the CPU has half-precision arithmetic (AVX-512 FP16), bfloat16
    whenever it has AVX-512 BW, VL and DQ, so PyTorch's messages (and layouts) for such a call depend on the
    machine, and so do torchless's. float32 needs more than one image, several groups, a kernel larger than
    3x3 or more than 20480 input values; and a strided or dilated convolution, a batch of 16, a kernel other
    than 1x1 or more than one thread (torch.set_num_threads: 1x1 kernels ran faster in its reference kernel
    on one; ``one_thread``: whether it is one, read now if None).
    """
    if transposed and any(p >= s for p, s in zip(output_padding, stride)):
        return False
    name = dtype.name
    if name == "float32":
        # The last two kernel sizes and the first four input sizes, in 3-D too (N * C * D * H).
        kh, kw = w_shape[-2:]
        if (kh == kw == 1 and in_shape[0] < 16 and all(s == 1 for s in stride) and all(d == 1 for d in dilation)
                and (parallel.get_num_threads() == 1 if one_thread is None else one_thread)):
            return False
        return groups > 1 or (kh > 3 and kw > 3) or in_shape[0] > 1 or math.prod(in_shape[:4]) > 20480
    if name == "float16":  # oneDNN computes in half precision where the CPU can (ideep's fp16 check)
        return cpu_features.has("AVX512FP16")
    # bfloat16 where ATen's mkldnn_bf16_device_check holds
    return name == "bfloat16" and all(cpu_features.has(feature) for feature in ("AVX512BW", "AVX512VL", "AVX512DQ"))


def _skipped_padding(in_shape, w_shape, dtype, stride, padding, dilation, groups, channels_last, transposed=False,
                     output_padding=()):
    """The padding cells, (before, after) per spatial dimension, whose products PyTorch's backend never forms when
    it convolves an input of ``in_shape`` (or a transposed convolution's output gradient) with the weight: None if
    it forms them all. They count only where a weight, or an input's gradient, is infinite or NaN (an inf times a
    padding zero is NaN; see torchless._kernels.conv_nonfinite).

    PyTorch's reference kernels unfold the padding into columns and multiply it. oneDNN's direct kernels skip the
    padding it is given (the even part: PyTorch pads the input itself where padding='same' needs one more cell
    after), but it falls back to its GEMM kernel, which unfolds, for a channels-first problem whose padding reaches
    past the (dilated) kernel's extent, or whose groups have too few channels for its vector kernels (probed on
    torch 2.13.0's oneDNN with AVX-512; its channels-last kernels skip the padding in all these cases, but for an
    array of one channel).
    """
    return _skipped_padding_on(in_shape, w_shape, dtype, stride, padding, dilation, groups, channels_last, transposed,
                               output_padding, parallel.get_num_threads() == 1)


@functools.lru_cache(maxsize=1024)
def _skipped_padding_on(in_shape, w_shape, dtype, stride, padding, dilation, groups, channels_last, transposed,
                        output_padding, one_thread):
    """_skipped_padding for one thread or more (``one_thread``), which PyTorch's backend selection reads."""
    if not _uses_mkldnn(in_shape, w_shape, dtype, stride, transposed, output_padding, groups, dilation, one_thread):
        return None
    even = tuple(min(pair) for pair in padding)
    # (the convolved array is the output gradient of a transposed convolution). With one channel it is channels-first
    # to oneDNN too, and then the other channels-last operands send a 2-D transposed convolution to the GEMM kernel.
    convolved_channels = w_shape[1] * groups if transposed else in_shape[1]
    if channels_last and transposed and convolved_channels == 1 and len(in_shape) == 4:
        return None
    if not channels_last or convolved_channels == 1:
        extents = [d * (k - 1) + 1 for k, d in zip(w_shape[2:], dilation)]
        if any(p >= extent for p, extent in zip(even, extents)):
            return None
        # (the weight of a transposed convolution is that of the convolution of its output to its input)
        out_per_group, in_per_group = w_shape[0] // groups, w_shape[1]
        depthwise = out_per_group == in_per_group == 1
        if groups > 1 and not depthwise and not (
                out_per_group % 8 == 0 or (out_per_group % 4 == 0 and in_per_group % 4 == 0)):
            return None
    return tuple((p, p) for p in even)


def _reference_gemm_algorithm(in_shape, w_shape, dtype, stride, padding, dilation, groups):
    """The forward algorithm with PyTorch's roundings (a name of torchless._kernels.conv.FORWARD) where its backend
    rounds otherwise than the dispatcher's choices, else None: "unfused" where it convolves by its reference kernel
    (slow_conv2d: float64, and float32 that oneDNN does not take, see _uses_mkldnn) whose GEMM, MKL's, adds each
    product rounded, in order, on this CPU (torchless._cpu_features.mkl_gemm_rounds_each_product)."""
    return _reference_gemm_algorithm_on(in_shape, w_shape, dtype, stride, padding, dilation, groups,
                                        parallel.get_num_threads() == 1)


@functools.lru_cache(maxsize=1024)
def _reference_gemm_algorithm_on(in_shape, w_shape, dtype, stride, padding, dilation, groups, one_thread):
    """_reference_gemm_algorithm for one thread or more (``one_thread``), which PyTorch's backend selection reads."""
    if len(in_shape) != 4 or dtype not in (np.float32, np.float64) or any(d != 1 for d in dilation) \
            or _uses_mkldnn(in_shape, w_shape, dtype, stride, False, (), groups, dilation, one_thread):
        return None
    out_hw = kernels.conv_output_hw(in_shape[2:], w_shape[2:], stride, padding, dilation)
    rows, depth = w_shape[0] // groups, math.prod(w_shape[1:])
    return "unfused" if cpu_features.mkl_gemm_rounds_each_product(rows, math.prod(out_hw), depth) else None


def _weight_gradient_skipped_padding(skipped_padding, node, groups, transposed=False):
    """The padding cells the weight's gradient of ``node`` skips (see _skipped_padding): oneDNN's weight gradient of
    a channels-first 3-D transposed convolution, or grouped convolution, unfolds the padding (probed)."""
    if node.x.ndim == 5 and node.layout is None and (transposed or groups > 1):
        return None
    return skipped_padding


def _output_format(x, w, groups, transposed=False, stride=(), output_padding=(), dilation=()):
    """The channels-last format PyTorch gives a convolution's output (and gradients) for these input and weight
    arrays, else None (C order): the one they suggest, except for the volumes PyTorch convolves with its slow 3-D
    kernels, whose outputs are contiguous: those its backend selection keeps from oneDNN (see _uses_mkldnn: float64
    ones, float32 ones of a batch of one with one group and a small kernel and input, and 1x1x1 kernels of stride
    and dilation 1 in one thread)."""
    if x.ndim == 5 and not _uses_mkldnn(x.shape, w.shape, x.dtype, stride, transposed, output_padding, groups,
                                        dilation):
        return None
    return _memory_format.output_format(x, w)


def _groups_concatenated_in_c_order(shape, groups, uses_mkldnn, in_shape=None):
    """Whether a channels-last convolution's output (or its input's gradient) of ``shape`` (4-D or 5-D) is
    C-ordered all the same: PyTorch's reference backends (not oneDNN) convolve group by group and concatenate the
    groups' results in the layout they all suggest, and one of one channel and one cell per image (N x 1 x 1 x 1)
    suggests none. Nor does an output's group convolved from such an input's group (``in_shape``, the input's)
    of more than one image: the reference kernels take that N x 1 x 1 x 1 slice for C order (probed)."""
    if groups == 1 or uses_mkldnn or math.prod(shape[2:]) != 1:
        return False
    return shape[1] == groups or (in_shape is not None and in_shape[1] == groups and in_shape[0] > 1
                                  and math.prod(in_shape[2:]) == 1)


def _in_output_format(y, x, w, groups, stride, dilation):
    """``y``, a new convolution's result (not a transposed one's), laid out as PyTorch's (see _output_format)."""
    format_ = _output_format(x, w, groups, False, stride, (), dilation)
    if format_ is None:
        return np.ascontiguousarray(y)
    if _groups_concatenated_in_c_order(y.shape, groups, _uses_mkldnn(x.shape, w.shape, x.dtype, stride, False, (),
                                                                     groups, dilation), _as_4d(x).shape):
        return _memory_format.c_ordered(y)
    return _memory_format.in_format(y, format_)


def _layout(x, w, *args):
    """_output_format of a convolution's own input and weight arrays. PyTorch runs a 1-D convolution by its 2-D
    kernel on the ``unsqueeze(2)`` of its weight and of its input made contiguous (a no-op on a contiguous input,
    whose size-1 dims keep their strides): channels-last then for a weight whose channels are its innermost dim
    (a transposed one), or such a single-channel input; the 4-D output and gradients are laid out so before the
    height is dropped."""
    if x.ndim == 3:
        seen = (w,) if not x.flags.c_contiguous else (x, w)
        return _memory_format.output_format(*(_memory_format.unsqueezed_view(a, 2) for a in seen))
    return _output_format(x, w, *args)


def _weight_keeps_its_strides(node):
    """Whether PyTorch's reference kernels (not oneDNN's, nor the dilated convolution's) give the weight's gradient
    of a channels-last call the weight's own strides: they allocate it like the weight made contiguous in the
    layout, which is the weight itself where it already is so (size-1 dims can make C order channels-last too),
    else a copy with the layout's strides."""
    return _memory_format.is_contiguous(node.w, node.layout)


def _weight_gradient_in_layout(array4d, node):
    """A weight's gradient of the kernels laid out as PyTorch's (see _in_layout and _weight_keeps_its_strides)."""
    if array4d is None or node.layout is None or node.exact_weight_layout or not _weight_keeps_its_strides(node):
        return _in_layout(array4d, node.layout, node.ndim)
    return _like(_memory_format.with_strides(array4d, _memory_format.element_strides(node.w)), node.ndim)


def _gradient_hw(node):
    """The output's (height, width) of the 2-D convolution ``node``."""
    stride, padding, dilation, _ = node.args
    return kernels.conv_output_hw(node.x.shape[2:], node.w.shape[2:], stride, padding, dilation)


def _in_layout(array4d, layout, ndim):
    """A gradient or output of the kernels (4-D for a 1-D convolution) in ``layout`` (see _layout), at rank ndim;
    C-contiguous for None, an empty one too (NumPy gives those all-zero strides, PyTorch allocates them so)."""
    if array4d is None:
        return None
    if layout is not None:
        return _like(_memory_format.in_format(array4d, layout), ndim)
    return _like(array4d if array4d.size else _memory_format.with_c_strides(array4d), ndim)


class Convolution(Node):
    """y = x ⋆ w + b (cross-correlation, as PyTorch) for NCL, NCHW or NCDHW arrays; padding is one
    (before, after) pair per spatial dimension (top and bottom, then left and right, depth first in 3-D)."""
    bfloat16_in_float32 = True  # (PyTorch computes it in float32 for bfloat16, see _opmath)
    autocast = "lower"  # (its list in PyTorch's CPU autocast)
    backward_is_one_op = True
    backward_inputs = (0, 1)  # convolution_backward's input and weight (not the bias)
    backward_op_ties_inputs = True  # (its gradients require grad as the input does: ConvolutionBackwardBackward0)

    saved = ("x", "w")
    layout = None  # the channels-last format of the output and gradients, when the input or weight has it
    uses_mkldnn = False  # with a layout: whether PyTorch's backend selection picks oneDNN (see _uses_mkldnn)
    # with a layout: whether PyTorch's backend writes the weight's gradient in it exactly (oneDNN, and the dilated
    # convolution's backend: SlowDilated2d), not C-ordered then made contiguous in it
    exact_weight_layout = False
    kernel_table = _KERNELS  # by the rank of the (batched) arrays
    torch_saved = {
        "input": SavedInput(0, lambda node: _like(node.x, node.ndim)),
        "weight": SavedInput(1, lambda node: _like(node.w, node.ndim)),
        "bias_sym_sizes_opt": lambda node: (node.w.shape[0] if node.bias_dtype is not None else 0,),
        "stride": lambda node: _spatial(node, node.args[0]),
        # PyTorch pads the input itself where padding='same' needs more after than before
        "padding": lambda node: tuple(min(pair) for pair in _spatial(node, node.args[1])),
        "dilation": lambda node: _spatial(node, node.args[2]),
        "groups": lambda node: node.args[3],
        "transposed": lambda node: False,
        "output_padding": lambda node: (0,) * (node.ndim - 2),
    }

    def forward(self, x, w, b, stride=None, padding=None, dilation=None, groups=1):
        self.ndim, self.bias_dtype = x.ndim, None if b is None else b.dtype
        self.x, self.w = _as_4d(x), _as_4d(w)
        self.kernels = self.kernel_table[self.x.ndim]
        self.args = stride, padding, dilation, groups
        if not (x.flags.c_contiguous and x.strides[1] != x.itemsize and w.flags.c_contiguous
                and w.strides[1] != w.itemsize):  # (inline: _memory_format.may_suggest_...)
            # PyTorch's: channels-last output and gradients when the input or weight is
            self.layout = _layout(x, w, groups, False, stride, (), dilation)
        self.skipped_padding = _skipped_padding(self.x.shape, self.w.shape, x.dtype, *self.args,
                                                self.layout is not None)
        algorithm = _reference_gemm_algorithm(self.x.shape, self.w.shape, x.dtype, *self.args)
        y = self.kernels.forward(self.x, self.w, *self.args, bias=b, skipped_padding=self.skipped_padding,
                                 **({"algorithm": algorithm} if algorithm else {}))
        y = y.astype(x.dtype, copy=False)
        if self.layout is not None:
            self.uses_mkldnn = _uses_mkldnn(self.x.shape, self.w.shape, x.dtype, stride, False, (), groups, dilation)
            self.exact_weight_layout = self.uses_mkldnn or any(d != 1 for d in dilation)
            y = _memory_format.c_ordered(y) if _groups_concatenated_in_c_order(y.shape, groups, self.uses_mkldnn,
                                                                               self.x.shape) \
                else _memory_format.in_format(y, self.layout)
        return _like(y if y.size else _memory_format.with_c_strides(y), self.ndim)  # (NumPy's: 0 strides)

    def jvp(self, tangents, arrays, params, out):  # conv(tx, w) + conv(x, tw) + tb
        return forward_ad.affine_jvp(self, tangents, arrays, params, out, bias_axis=1)

    def _input_gradient_layout(self):
        """The input's gradient's layout: the output's, but where PyTorch's reference kernels concatenate the
        groups' C-ordered (an input of one channel per group and one cell per image, as for the output)."""
        return None if _groups_concatenated_in_c_order(self.x.shape, self.args[3], self.uses_mkldnn) else self.layout

    _later = None  # (the gradient array, its filling) handed over by a consumer: see takes_gradient_later

    def takes_gradient_later(self, consumer, shape, dtype):
        """Whether the consumer node ``consumer`` (a ReLU that max pooling masked) may hand this convolution its
        output's gradient (``shape``, ``dtype``) to compute later (gradient_later): a float32 2-D convolution of
        C order whose two gradients are split over its batch (the classic MNIST CNN's second), whose output
        reaches nothing but ``consumer`` and whose gradient nothing watches (no hooks, retain_grad, anomaly
        detection, graph or inputs)."""
        return (self.needs_input_grad[0] and self.needs_input_grad[1] and self.kernels is _KERNELS[4]
                and self.ndim == 4 and not isinstance(self, _InFloat32) and self.layout is None
                and dtype == np.float32 == self.x.dtype == self.w.dtype
                and shape == (self.x.shape[0], self.w.shape[0], *_gradient_hw(self))
                and kernels.splits_both_gradients(self.x.shape, self.w.shape, shape)
                and not anomaly_mode.state.enabled and gradient_unwatched(self) and sole_gradient_from(self, consumer))

    def gradient_later(self, gradient, fill):
        """``gradient``, the uninitialised array this convolution's backward will receive as its output's
        gradient, is to be computed by ``fill(images)`` for slices of the batch (see takes_gradient_later)."""
        self._later = gradient, fill, current_backward()

    def backward(self, grad):
        gy = _as_4d(grad)
        gx = gw = None
        bias_grad = [None]
        later, self._later = self._later, None
        fill = None
        if later is not None:
            if later[0] is grad:
                fill = later[1]
            elif later[2] == current_backward():  # (else one left by a backward that failed before this node)
                raise RuntimeError("internal error: a convolution's deferred output gradient was replaced")
        if fill is not None and not (self.needs_input_grad[0] or self.needs_input_grad[1]):
            fill(slice(0, gy.shape[0]))
            fill = None

        def sum_bias_grad():
            # Over the batch first, then each channel's contiguous plane: twice as fast as one reduction over
            # (0, 2, 3) (64x10x14x14: 26 vs 60 us). (np.add.reduce: ndarray.sum's own reduction, without its
            # Python frame)
            bias_grad[0] = np.add.reduce(np.add.reduce(gy, axis=0), axis=tuple(range(1, gy.ndim - 1))).astype(
                self.bias_dtype, copy=False)

        if self.needs_input_grad[0] or self.needs_input_grad[1]:
            skipped = _weight_gradient_skipped_padding(self.skipped_padding, self, self.args[3])
            # The bias's gradient first, while gy is still in cache from the node before (the course CNN's
            # training step: its convolutions' backward took 0.98 of the time it took with this last, medians
            # of 10 interleaved processes, thread CPU time; the same sums); in a split call, while the helper
            # wakes (the classic MNIST CNN's 32->64 layer: its ~0.36 ms sum against a ~0.1-0.2 ms wake-up)
            if fill is None:
                gx, gw = self.kernels.backward(gy, self.x, self.w, *self.args, input_grad=self.needs_input_grad[0],
                                               weight_grad=self.needs_input_grad[1], skipped_padding=skipped,
                                               meanwhile=sum_bias_grad if self.needs_input_grad[2] else None)
            else:  # (gy is filled in by the kernels' shards, the bias's gradient summed after: the same sums)
                gx, gw = kernels.conv2d_backward(gy, self.x, self.w, *self.args, input_grad=self.needs_input_grad[0],
                                                 weight_grad=self.needs_input_grad[1], skipped_padding=skipped,
                                                 fill=fill)
                if self.needs_input_grad[2]:
                    sum_bias_grad()
            gx, gw = _in_layout(gx, self._input_gradient_layout(), self.ndim), _weight_gradient_in_layout(gw, self)
        elif self.needs_input_grad[2]:
            sum_bias_grad()
        return gx, gw, bias_grad[0]

    def backward_graph(self, grad):
        stride, padding, dilation, groups = self.args
        gy = grad.unsqueeze(2) if self.ndim == 3 else grad
        summed_gy = gy  # (the bias's gradient reads it as it is: PyTorch's double backward expands that one's)
        gy = _read_by_double_backward(gy, _output_gradient_layout(self, gy._data.shape, groups))
        gx = gw = gb = None
        # (the output padding by which transposed convolutions of the output gradient give the input size)
        in_hw, out_hw, kernel = self.x.shape[2:], gy._data.shape[2:], self.w.shape[2:]
        output_padding = tuple(n - ((m - 1) * s - 2 * p + d * (k - 1) + 1)
                               for n, m, s, (p, _), d, k in zip(in_hw, out_hw, stride, padding, dilation, kernel))
        if self.needs_input_grad[0]:
            # The input's gradient is the transposed convolution of the output's, cut to the input's size.
            w = self.graph_input(1, _like(self.w, self.ndim))
            w = _weight_read_by_double_backward(w.unsqueeze(2) if self.ndim == 3 else w, self.x.shape,
                                                gy._data.shape, stride, padding, dilation)
            gx = TransposedConvolution.apply(gy, w, None, stride=stride, padding=padding, dilation=dilation,
                                             groups=groups, output_padding=output_padding)
            gx = _graph_gradient_in_layout(gx, self._input_gradient_layout())
            gx = gx.squeeze(2) if self.ndim == 3 else gx
        if self.needs_input_grad[1]:
            gw = self._weight_gradient(gy, stride, padding, dilation, groups, output_padding)
        if self.needs_input_grad[2]:
            gb = summed_gy.sum(dim=(0, *range(2, gy._data.ndim)))._cast(self.bias_dtype)
        return gx, gw, gb

    def _weight_gradient(self, gy, stride, padding, dilation, groups, output_padding):
        x = self.graph_input(0, _like(self.x, self.ndim))
        # (the input's gradient through it: the transposed convolution of gy by the weight gradient's gradient)
        x, watched = _read_for_weight_gradient(
            x.unsqueeze(2) if self.ndim == 3 else x, gy, self.ndim,
            lambda gy, ggw: _output_format(gy, ggw, groups, True, stride, output_padding, dilation))
        gw = _weight_gradient_tensor(x, gy, self.w.shape[2:], stride, padding, dilation, groups)
        gw = watched(_differentiated_as_a_weight(_graph_weight_gradient_in_layout(gw, self), self.layout))
        return gw.squeeze(2) if self.ndim == 3 else gw


def _graph_gradient_in_layout(gradient, layout):
    """A 4-D or 5-D gradient of backward_graph laid out as backward's (see _in_layout), as PyTorch's
    convolution_backward writes it also when it records a graph: the transposes of _weight_gradient_tensor
    leave the weight's permuted, the convolutions giving the input's follow the output gradient's layout. A
    gradient already so laid out but for the strides of its size-1 dims (which contiguous() overlooks, and PyTorch's
    stride() shows) is copied."""
    format_ = layout or _memory_format.contiguous_format
    gradient = gradient.contiguous(memory_format=format_)
    array = gradient._data
    if _memory_format.element_strides(array) != tuple(_memory_format.strides_for(array.shape, format_)):
        gradient = gradient.clone(memory_format=format_)
    return gradient


def _graph_weight_gradient_in_layout(gradient, node):
    """A 4-D or 5-D weight gradient of backward_graph laid out as backward's (see _weight_gradient_in_layout): C
    order's strides or the layout's, whichever the weight kept has (the likely ones)."""
    if node.layout is None or node.exact_weight_layout or not _weight_keeps_its_strides(node):
        return _graph_gradient_in_layout(gradient, node.layout)
    if _memory_format.element_strides(node.w) == tuple(_memory_format.strides_for(node.w.shape, node.layout)):
        return _graph_gradient_in_layout(gradient, node.layout)
    return _graph_gradient_in_layout(gradient, None).contiguous(memory_format=node.layout)


def _output_gradient_layout(node, shape, groups):
    """The layout of a convolution's output (``shape``, 4-D or 5-D), which PyTorch's double backward gives the
    output gradient's gradient (a sum of convolutions like the forward's)."""
    if node.layout is None or _groups_concatenated_in_c_order(shape, groups, node.uses_mkldnn, node.x.shape):
        return None
    return node.layout


def _read_by_double_backward(tensor, layout):
    """``tensor`` (4-D or 5-D) read by a convolution's backward_graph, its gradient through it laid out as
    PyTorch's double backward (_convolution_double_backward) computes it, by a convolution: C order, or
    ``layout``."""
    return with_gradient_strides(
        tensor, _memory_format.strides_for(tensor._data.shape, layout or _memory_format.contiguous_format))


def _read_for_weight_gradient(tensor, gy, ndim, output_format):
    """A convolution's (4-D or 5-D) input ``tensor`` as backward_graph reads it for the weight's gradient, and the
    function to pass that gradient through: PyTorch's double backward gives the input the convolution of the
    output gradient ``gy`` by the weight gradient's gradient, laid out as ``output_format(gy, that gradient)``
    (arrays) tells (a 1-D convolution's tensors suggest no channels-last layout), known once that gradient is
    seen at backward."""
    seen = []

    def lay_out(array):
        format_ = None if ndim == 3 else output_format(gy._data, seen[0].seen)
        return _memory_format.with_strides(array, _memory_format.strides_for(
            array.shape, format_ or _memory_format.contiguous_format))

    def watched(weight_gradient):
        if weight_gradient._requires_grad:
            weight_gradient = SeenGradient.apply(weight_gradient)
            seen.append(weight_gradient._grad_fn)
        return weight_gradient

    return with_gradient_laid_out(tensor, lay_out), watched


def _differentiated_as_a_weight(gradient, layout):
    """A weight's gradient (4-D or 5-D) computed by backward_graph, whose own gradient with respect to the gradient
    differentiating it is laid out as PyTorch's: its double backward convolves with that gradient as a weight,
    whose gradient is C-ordered (or in the channels-last ``layout``)."""
    if not gradient._requires_grad:
        return gradient
    strides = _memory_format.strides_for(gradient._data.shape, layout or _memory_format.contiguous_format)
    return GradientOfGradientLaidOut.apply(gradient, strides=tuple(strides))


def _weight_read_by_double_backward(weight, conv_input_shape, conv_output_shape, stride, padding, dilation):
    """The (4-D or 5-D) weight read by a convolution's backward_graph, its gradient through it laid out as
    PyTorch's double backward computes it: a convolution of the input and output gradients, their batch as
    channels (the stride and dilation swapped), which gives each group's C-ordered (transposed weight) kernel
    over the padded input's whole extent, concatenated, transposed back and cut to the kernel. The shapes are
    those of the equivalent forward convolution (for a transposed one, of its output to its input)."""
    shape = weight._data.shape
    whole = tuple((n + sum(pads) - s * (m - 1) - 1) // d + 1 for n, m, pads, s, d in
                  zip(conv_input_shape[2:], conv_output_shape[2:], padding, stride, dilation))
    strides = _memory_format.strides_for((shape[1], shape[0]) + whole, _memory_format.contiguous_format)
    return with_gradient_strides(weight, (strides[1], strides[0], *strides[2:]))


def _weight_gradient_tensor(x, gy, kernel, stride, padding, dilation, groups):
    """The gradient of a convolution's weight as a tensor of the graph, from its input ``x`` and its output's
    gradient ``gy`` (4-D or 5-D tensors): a convolution of the input, its channels of each group taken as a
    batch, by the output's gradient, its batch taken as channels (the forward's stride becomes the dilation and
    its dilation the stride), cut to the kernel's size."""
    (n, c), hw = x._data.shape[:2], x._data.shape[2:]
    spatial = tuple(range(3, 3 + len(hw)))
    batch = x.reshape(n, groups, c // groups, *hw).permute(2, 1, 0, *spatial).reshape(c // groups, groups * n, *hw)
    full = Convolution.apply(batch, gy.transpose(0, 1), None, stride=dilation, padding=padding, dilation=stride,
                             groups=groups)
    return full.transpose(0, 1)[(Ellipsis, *(slice(0, k) for k in kernel))]


class TransposedConvolution(Node):
    """y = conv_transpose(x, w) + b: the adjoint of Convolution with respect to its input.

    The kernels describe a convolution by its input size; an output_padding of at least the stride
    (allowed below the dilation), or a negative one (oneDNN's output for a zero dilation, see
    _onednn_deconvolution), gives an output no convolution of x's size maps back to. Such outputs
    are computed uncropped and unpadded, then cropped and padded with zeros.
    """
    backward_is_one_op = True
    backward_inputs = (0, 1)
    backward_op_ties_inputs = True

    saved = ("x", "w")
    layout = None  # as Convolution's
    uses_mkldnn = exact_weight_layout = False
    kernel_table = _KERNELS
    torch_saved = {
        **Convolution.torch_saved,
        "bias_sym_sizes_opt": lambda node: (node.w.shape[1] * node.groups if node.bias_dtype is not None else 0,),
        "stride": lambda node: _spatial(node, node.stride),
        "padding": lambda node: tuple(min(pair) for pair in _spatial(node, node.padding)),
        "dilation": lambda node: _spatial(node, node.dilation),
        "groups": lambda node: node.groups,
        "transposed": lambda node: True,
        "output_padding": lambda node: _spatial(node, node.output_padding()),
    }

    def output_padding(self):
        """The output_padding of the call, read back from the output's size."""
        return tuple(out - ((n - 1) * s - 2 * p + d * (k - 1) + 1) for out, n, s, (p, _), d, k in
                     zip(self.out_hw, self.x.shape[2:], self.stride, self.padding, self.dilation, self.w.shape[2:]))

    def forward(self, x, w, b, stride=None, padding=None, dilation=None, groups=1, output_padding=None):
        self.ndim, self.bias_dtype = x.ndim, None if b is None else b.dtype
        self.x, self.w = _as_4d(x), _as_4d(w)
        self.kernels = self.kernel_table[self.x.ndim]
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        in_hw, kernel = self.x.shape[2:], self.w.shape[2:]
        self.out_hw = tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1
                            for n, s, (p, _), d, k, op in zip(in_hw, stride, padding, dilation, kernel, output_padding))
        self.full_hw = None
        if any(op >= s or op < 0 for op, s in zip(output_padding, stride)):
            self.full_hw = tuple((n - 1) * s + d * (k - 1) + 1 for n, s, d, k in zip(in_hw, stride, dilation, kernel))
        if 0 in self.out_hw:  # nothing to add up (the 3-D kernels fail to reshape an empty result)
            y = np.zeros(self.x.shape[:1] + (self.w.shape[1] * groups,) + self.out_hw, self.x.dtype)
        elif self.full_hw is None:
            y = self.kernels.backward_input(self.x, self.w, self.out_hw, stride, padding, dilation, groups)
        else:
            full = self.kernels.backward_input(self.x, self.w, self.full_hw, stride, ((0, 0),) * len(padding),
                                               dilation, groups)
            y = np.zeros(full.shape[:2] + self.out_hw, full.dtype)
            region = self._region()
            y[(slice(None), slice(None)) + region[1]] = full[(slice(None), slice(None)) + region[0]]
        if b is not None:  # (at the kernels' precision: a half convolution's float32, rounded once after)
            y += _per_channel(b.astype(y.dtype, copy=False), y.ndim)
        y = y.astype(x.dtype, copy=False)
        if not (x.flags.c_contiguous and x.strides[1] != x.itemsize and w.flags.c_contiguous
                and w.strides[1] != w.itemsize):  # (inline: _memory_format.may_suggest_...)
            # PyTorch's: channels-last output and gradients when the input or weight is
            self.layout = _layout(x, w, groups, True, stride, output_padding, dilation)
            if self.layout is not None:
                self.uses_mkldnn = _uses_mkldnn(self.x.shape, self.w.shape, x.dtype, stride, True, output_padding,
                                                groups, dilation)
                self.exact_weight_layout = self.uses_mkldnn
        if self.layout is not None and _groups_concatenated_in_c_order(y.shape, groups, self.uses_mkldnn,
                                                                       self.x.shape):
            return _like(_memory_format.c_ordered(y), self.ndim)
        return _in_layout(np.ascontiguousarray(y) if self.layout is None else y, self.layout, self.ndim)

    def _region(self):
        """(slices of the uncropped output, slices of the output) that hold the same cells."""
        sizes = [min(out, full - p) for out, full, (p, _) in zip(self.out_hw, self.full_hw, self.padding)]
        return (tuple(slice(p, p + n) for (p, _), n in zip(self.padding, sizes)), tuple(slice(0, n) for n in sizes))

    def jvp(self, tangents, arrays, params, out):  # conv(tx, w) + conv(x, tw) + tb
        return forward_ad.affine_jvp(self, tangents, arrays, params, out, bias_axis=1)

    def _input_gradient_layout(self):
        """The input's gradient's layout: the output's, but where PyTorch concatenates the groups' C-ordered."""
        return None if _groups_concatenated_in_c_order(self.x.shape, self.groups, self.uses_mkldnn) else self.layout

    def backward(self, grad):
        gy = _as_4d(grad)
        padding = self.padding
        if self.full_hw is not None:
            full, out = self._region()
            embedded = np.zeros(gy.shape[:2] + self.full_hw, gy.dtype)
            embedded[(slice(None), slice(None)) + full] = gy[(slice(None), slice(None)) + out]
            gy, padding = embedded, ((0, 0),) * len(padding)
        args = self.stride, padding, self.dilation, self.groups
        skipped = _skipped_padding(self.x.shape, self.w.shape, gy.dtype, *args, self.layout is not None, True,
                                   self.output_padding())
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = self.kernels.forward(gy, self.w, *args, skipped_padding=skipped)
            gx = _in_layout(gx, self._input_gradient_layout(), self.ndim)
        if self.needs_input_grad[1]:
            # The input plays the forward convolution's output gradient, the output gradient its input.
            skipped = _weight_gradient_skipped_padding(skipped, self, self.groups, transposed=True)
            gw = self.kernels.backward_weight(self.x, gy, self.w.shape[2:], *args, skipped_padding=skipped)
            gw = _weight_gradient_in_layout(gw, self)
        if self.needs_input_grad[2]:
            gb = grad.sum(axis=tuple(i for i in range(grad.ndim) if i != 1)).astype(self.bias_dtype, copy=False)
        return gx, gw, gb

    def backward_graph(self, grad):
        # The transposed convolution is the adjoint of the convolution (same weight) of its output to its input:
        # its input's gradient is that convolution of the output's gradient, its weight's that convolution's.
        gy = grad.unsqueeze(2) if self.ndim == 3 else grad
        gy = _read_by_double_backward(gy, _output_gradient_layout(self, gy._data.shape, self.groups))
        out_shape = gy._data.shape
        padding = self.padding
        if self.full_hw is not None:
            # The output was cut from (and padded beyond) the uncropped one: the gradient goes back into that
            # uncropped output's shape, a constant pad whose negative widths crop, then as without padding.
            widths = ((0, 0), (0, 0)) + tuple((p, full - p - out) for (p, _), full, out in
                                               zip(padding, self.full_hw, self.out_hw))
            gy = ConstantPad.apply(gy, widths=widths)
            padding = ((0, 0),) * len(padding)
        args = dict(stride=self.stride, padding=padding, dilation=self.dilation, groups=self.groups)
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            w = self.graph_input(1, _like(self.w, self.ndim))
            w = _weight_read_by_double_backward(w.unsqueeze(2) if self.ndim == 3 else w, out_shape, self.x.shape,
                                                self.stride, self.padding, self.dilation)
            gx = _graph_gradient_in_layout(Convolution.apply(gy, w, None, **args), self._input_gradient_layout())
            gx = gx.squeeze(2) if self.ndim == 3 else gx
        if self.needs_input_grad[1]:
            x = self.graph_input(0, _like(self.x, self.ndim))
            x, watched = _read_for_weight_gradient(x.unsqueeze(2) if self.ndim == 3 else x, gy, self.ndim,
                                                   lambda gy, ggw: _output_format(gy, ggw, self.groups, False,
                                                                                  self.stride, (), self.dilation))
            gw = _graph_weight_gradient_in_layout(_weight_gradient_tensor(gy, x, self.w.shape[2:], **args), self)
            gw = watched(_differentiated_as_a_weight(gw, self.layout))
            gw = gw.squeeze(2) if self.ndim == 3 else gw
        if self.needs_input_grad[2]:
            gb = grad.sum(dim=tuple(i for i in range(grad._data.ndim) if i != 1))._cast(self.bias_dtype)
        return gx, gw, gb

    def name(self):
        return "ConvolutionBackward0"


def _in_float32(kernel):
    """``kernel`` computing in float32 from float16 arrays (its result left in float32, for one rounding)."""
    @functools.wraps(kernel)
    def run(*args, **kwargs):
        args = [a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float16 else a for a in args]
        kwargs = {k: v.astype(np.float32) if isinstance(v, np.ndarray) and v.dtype == np.float16 else v
                  for k, v in kwargs.items()}
        return kernel(*args, **kwargs)
    return run


def _reference_half_kernels(table, channels_last=False):
    """The kernels of ``table`` rounding to half where PyTorch's reference kernels do (see
    ``torchless._kernels.conv_half``): the adjoints tap by tap, the weight's gradient sample by sample."""
    col2im = functools.partial(conv_half.col2im, taps_reversed=channels_last)

    def backward(gy, x, w, stride, padding, dilation, groups, input_grad=True, weight_grad=True, skipped_padding=None,
                 meanwhile=None):
        if meanwhile is not None:
            meanwhile()
        gx = gw = None  # (their padding all multiplied: skipped_padding is None)
        if input_grad:
            gx = col2im(gy, w, x.shape[2:], stride, padding, dilation, groups)
        if weight_grad:
            gw = backward_weight(gy, x, w.shape[2:], stride, padding, dilation, groups)
        return gx, gw

    def backward_weight(gy, x, kernel, stride, padding, dilation, groups, skipped_padding=None):
        weight_gradient = _in_float32(table.backward_weight)
        return conv_half.summed_per_sample(
            lambda i: weight_gradient(gy[i:i + 1], x[i:i + 1], kernel, stride, padding, dilation, groups), len(x))

    return _Kernels(*map(_with_exact_c_strides, (_in_float32(table.forward), backward, col2im, backward_weight)))


# Half precision by oneDNN (computing in float32, each result rounded once) or by the reference kernels, whose
# 2-D ones have a channels-last variant (PyTorch's 3-D ones make their arrays contiguous).
_ONEDNN_HALF_KERNELS = {rank: _Kernels(*map(_in_float32, table)) for rank, table in _KERNELS.items()}
_REFERENCE_HALF_KERNELS = {rank: _reference_half_kernels(table) for rank, table in _KERNELS.items()}
_CHANNELS_LAST_REFERENCE_HALF_KERNELS = {**_REFERENCE_HALF_KERNELS, 4: _reference_half_kernels(_KERNELS[4], True)}


class _InFloat32:
    """A float16 convolution as PyTorch's CPU kernels compute one: oneDNN's where PyTorch's backend selection
    picks it (see _uses_mkldnn), in float32, its output and gradients (the bias's too) each rounded once to
    half; else its reference kernels', which round some intermediate sums too (see _reference_half_kernels)."""

    def _choose_kernels(self, x, w, stride, groups, transposed=False, output_padding=()):
        if _uses_mkldnn(_as_4d(x).shape, _as_4d(w).shape, x.dtype, stride, transposed, output_padding, groups):
            self.kernel_table = _ONEDNN_HALF_KERNELS
        elif _layout(x, w, groups, transposed, stride, output_padding) == _memory_format.channels_last:
            self.kernel_table = _CHANNELS_LAST_REFERENCE_HALF_KERNELS
        else:
            self.kernel_table = _REFERENCE_HALF_KERNELS

    def backward(self, grad):
        # (rounded keeping the strides the float32 gradients were given: NumPy's cast resets those of size-1 dims)
        return tuple(None if g is None else _memory_format.preserving(g.astype(np.float16), g)
                     for g in super().backward(grad.astype(np.float32)))

    def backward_graph(self, grad):  # (the convolution's, as tensor ops in half, next to the backward above)
        gradients = super().backward_graph(grad)
        # PyTorch's convolution_backward computes the same values under create_graph: oneDNN's or the reference
        # kernels' (their roundings differ from the tensor ops'), which the graph's gradients then carry (the
        # derivatives of these linear maps read their inputs, never these values)
        for gradient, values in zip(gradients, self.backward(grad._data)):
            if gradient is not None:
                np.copyto(gradient._data, values)
        return gradients

    def name(self):
        return "ConvolutionBackward0"


class HalfConvolution(_InFloat32, Convolution):
    def forward(self, x, w, b, stride=None, padding=None, dilation=None, groups=1):
        self._choose_kernels(x, w, stride, groups)
        return super().forward(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)

    def backward(self, grad):
        gx, gw, gb = super().backward(grad)
        if gb is not None and self.kernel_table is not _ONEDNN_HALF_KERNELS and any(d != 1 for d in self.args[2]):
            # PyTorch's dilated kernel sums each sample's output gradient to half, then adds that to the half sum
            spatial = tuple(range(1, grad.ndim - 1))  # (of one sample)
            gb = conv_half.summed_per_sample(
                lambda i: grad[i].sum(axis=spatial, dtype=np.float32).astype(np.float16), len(grad))
        return gx, gw, gb

    def backward_graph(self, grad):  # (_InFloat32's, next to the backward above)
        return super().backward_graph(grad)


class HalfTransposedConvolution(_InFloat32, TransposedConvolution):
    def forward(self, x, w, b, stride=None, padding=None, dilation=None, groups=1, output_padding=None):
        self._choose_kernels(x, w, stride, groups, True, output_padding)
        return super().forward(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups,
                               output_padding=output_padding)


_HALF_NODES = {Convolution: HalfConvolution, TransposedConvolution: HalfTransposedConvolution}


def _saved_geometry(name):
    """A saved value of EmptyConvolution's: its per-axis argument ``name`` for its input's own spatial axes."""
    return lambda node: _spatial(node, node.geometry[name])


class EmptyConvolution(Node):
    """PyTorch's "Empty" backend, for an input without batch or channels: an empty output, zero gradients.

    The output's shape and dtype are those of the element-wise ops PyTorch runs instead of a
    convolution (see _empty_backend); every gradient is zero, in its tensor's dtype.
    """

    saved = ("x", "w", "b")
    # PyTorch's gradients come from convolution_backward, whose double backward (ConvolutionBackwardBackward0)
    # returns nothing for the input and weight of an empty batch, and the bias gradient's gradient (empty) for grad
    backward_is_one_op = True
    backward_inputs = (0, 1)
    backward_op_ties_inputs = True
    # (the convolution's arguments, which its node saves whichever backend ran it)
    torch_saved = {
        "input": SavedInput(0, "x"),
        "weight": SavedInput(1, "w"),
        "bias_sym_sizes_opt": lambda node: (0 if node.b is None else node.b.shape[0],),
        **{name: _saved_geometry(name) for name in ("stride", "padding", "dilation", "output_padding")},
        "groups": lambda node: node.geometry["groups"],
        "transposed": lambda node: node.geometry["transposed"],
    }

    def forward(self, x, w, b, shape=None, dtype=None, **geometry):
        """``geometry``: the convolution's stride, padding, dilation, groups, transposed and output_padding (the
        lists given for 2-D or 3-D, as the kernels take them)."""
        self.x, self.w, self.b, self.ndim, self.geometry = x, w, b, x.ndim, geometry
        out = np.zeros(shape, dtype)
        if x.shape[1] and out.shape == x.shape:
            # PyTorch's input * weight.view(-1)[0], laid out as the input, which the view to the same shape keeps
            return _memory_format.with_strides(out, dense_strides_like(x))
        return _memory_format.with_c_strides(out)  # (a view to another shape: C strides, not NumPy's zeros)

    def backward(self, grad):
        # (PyTorch's gradients of its element-wise ops and views keep each tensor's strides, an empty input's too)
        return tuple(_memory_format.preserving(np.zeros_like(a), a) if need else None
                     for a, need in zip((self.x, self.w, self.b), self.needs_input_grad))

    def backward_graph(self, grad):
        # zeros (the output, so its gradient, is empty); the bias's is the empty gradient's sum, as its double
        # backward expands to the gradient (an input without channels has an output without them: zeros)
        gradients = [None if g is None else grad._wrap(g) for g in self.backward(grad._data)]
        gb = gradients[2]
        if gb is not None and grad._data.shape[1] == gb._data.shape[0]:
            gradients[2] = grad.sum(dim=[axis for axis in range(grad.dim()) if axis != 1])._cast(gb._data.dtype)
        return tuple(gradients)

    def name(self):
        return "ConvolutionBackward0"
