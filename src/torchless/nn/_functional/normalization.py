"""Batch normalisation (``batch_norm``): one fused node with the analytic backward, and the running statistics."""
import numpy as np

from ... import _memory_format
from ..._kernels.fma import fused_multiply_add, fused_multiply_add32
from ..._kernels.reduce_order import reduce_all_half
from ..._ops._util import laid_out_gradients
from ...autograd import forward_ad
from ...autograd.graph import Node, observed, save_tensor_versions
from ...autograd.saved_values import Saved, SavedInput
from ._moments import normalization_backward_graph
from ._norm_checks import check_bool_arg, check_float_arg, check_tensor_arg
from .loss import _refuse_grad

__all__ = ["batch_norm"]


_ACCUMULATION_DTYPES = {np.dtype(np.float32): np.float64, np.dtype(np.float16): np.float32}
_CANCELLING_RATIO = 64  # |mean| / std beyond which the rounding of x * alpha exceeds 64 ulp of y


def _channel_sums(a):
    """Per-channel sums of an (N, C, L) array accumulated in PyTorch's CPU accumulation type (float64 for
    float32, float32 for float16) and rounded once: NumPy would add the N rows one after another in the
    array's dtype (a float32 weight gradient off by 10x PyTorch's error over 4096 rows)."""
    accumulation = _ACCUMULATION_DTYPES.get(a.dtype)
    if accumulation is None:
        return a.sum(axis=(0, 2))
    return np.add.reduce(a, axis=(0, 2), dtype=accumulation).astype(a.dtype)


def _channel_means(a):
    """Per-channel means of an (N, C, L) array, a float32 one accumulated in float64 as PyTorch's kernel
    does: NumPy's float32 mean is a few ulp off, and that error of the batch mean reaches every gradient
    (the weight's: 4x PyTorch's error)."""
    if a.dtype == np.float32:
        return (np.add.reduce(a, axis=(0, 2), dtype=np.float64) / (a.shape[0] * a.shape[2])).astype(np.float32)
    return a.mean(axis=(0, 2))


def _statistic_sums(a):
    """Per-channel sums of a float64 (N, C, L) array as ATen's kernel collects a batch's statistics from an input in
    a contiguous layout: value after value, sample after sample (its scalar loop in double; NumPy's pairwise sums
    differ in the last bits, which a mean large against the spread turns into errors of 1e-7 in the outputs)."""
    return np.cumsum(np.moveaxis(a, 1, 0).reshape(a.shape[1], -1), axis=1)[:, -1]


def _cancelling_statistics_in_order(x3, mean, centered, var_sum, eps):
    """``mean``, ``centered`` (in place) and ``var_sum`` (the sums of the squares of ``centered``) of a float64 batch
    (N, C, L) in a contiguous layout, their channels of a mean large against the spread recomputed as ATen's kernel
    adds them (_statistic_sums): there the last bits of the statistics show in every output. Elsewhere NumPy's sums
    are kept (as exact, and cheaper)."""
    count = x3.shape[0] * x3.shape[2]
    with np.errstate(all="ignore"):
        cancelling = np.abs(mean) * _batch_invstd(var_sum / count, eps) > _CANCELLING_RATIO
    if not cancelling.any():
        return mean, var_sum
    picked = x3[:, cancelling]
    mean, var_sum = mean.copy(), var_sum.copy()
    mean[cancelling] = _statistic_sums(picked) / count
    centered[:, cancelling] = picked - mean[cancelling].reshape(1, -1, 1)
    var_sum[cancelling] = _statistic_sums(np.square(centered[:, cancelling]))
    return mean, var_sum


def _update_running_var(running_var, var_sum, count, momentum):
    """running_var (in place) as ATen's kernel for an input in a contiguous layout updates it from the batch's sums
    of squared deviations ``var_sum`` (the input's dtype): momentum * (var_sum / (count - 1)) + (1 - momentum) *
    running_var, the momentum in the input's dtype, a float32 quotient and product each rounded, then added in
    float64 and rounded once."""
    real = running_var.dtype.type
    rate = real(momentum)
    unbiased = var_sum / real(count - 1)  # (a batch of one value: 0 / 0, NaN, as in ATen)
    kept = (real(1) - rate) * running_var
    if running_var.dtype == np.float32:
        running_var[...] = (np.float64(rate) * unbiased.astype(np.float64) + kept).astype(np.float32)
    else:
        running_var[...] = rate * unbiased + kept


def _half_channel_sums(a):
    """Per-channel float32 sums of an (N, C, L) array of float16 values (their squares too), as ATen's float16
    kernel adds them: ``reduce_all`` over each image, the images added in order."""
    total = np.zeros(a.shape[1], np.float32)
    for image in a:
        total += reduce_all_half(image)
    return total


def _in_input_format(node, grad, gradient):
    """native_batch_norm_backward's layout of the input's gradient: the input's suggested memory format, whatever
    the gradient's layout (see laid_out_gradients)."""
    if gradient.shape != node.input_shape:
        return gradient
    return _memory_format.in_suggested_format(gradient, node.input_format)


class BatchNorm(Node):
    """y = (x - mean) / sqrt(var + eps) * weight + bias per channel (axis 1).

    In training the statistics are the batch's (biased variance), and running_mean / running_var
    (arrays, updated in place) move towards them by ``momentum``, with the unbiased variance. Out
    of training the running statistics are used as constants.
    """
    bfloat16_in_float32 = True  # (PyTorch computes it in float32 for bfloat16, see _opmath)
    backward_is_one_op = True
    backward_inputs = (0, 1, None, None)  # native_batch_norm_backward's: input, weight, save_mean, save_invstd

    saved = ("xhat", "weight", "centered")  # (centered: float16's only)
    saves = (0, 1)  # as PyTorch: the input (whose change in place before backward is an error) and the weight
    torch_saved = {
        "input": SavedInput(0),
        "weight": SavedInput(1, "weight"),
        "running_mean": Saved(lambda node: node.statistics[0]),
        "running_var": Saved(lambda node: node.statistics[1]),
        # the batch's mean and 1 / std (empty out of training)
        "result1": Saved(lambda node: node.batch_mean() if node.training else np.empty(0, node.invstd.dtype)),
        "result2": Saved(lambda node: node.invstd if node.training else np.empty(0, node.invstd.dtype)),
        "eps": lambda node: node.statistics[2],
        "training": lambda node: node.training,
    }

    def batch_mean(self):
        """The batch's mean per channel, which backward does not need (it was subtracted in xhat)."""
        x = SavedInput(0).tensor(self, self)._data
        return _channel_means(x.reshape(x.shape[0], x.shape[1], -1).astype(self.invstd.dtype, copy=False))

    def forward(self, x, weight, bias, running_mean=None, running_var=None, training=False, momentum=0.1, eps=1e-5,
                compute_in_float32=False, bfloat16_statistics=False, recorded=True):
        """``recorded``: False when no graph, tangent or transform can read the node (nothing to save)."""
        if not (training or recorded or compute_in_float32) and x.dtype in _LINEAR_TERMS_DTYPES:
            y = _eval_output(x, weight, bias, running_mean, running_var, eps)
            if y is not None:
                return y
        N, C = x.shape[:2]
        self.input_dtype = x.dtype
        x3 = x.reshape(N, C, -1)
        # a float16 input, or one of float32 parameters (a float16 or a bfloat16 one, given here in float32): ATen's
        # kernel for reduced floating types computes in float32
        half = self.half = x.dtype == np.float16 or compute_in_float32
        if half:
            x3 = x3.astype(np.float32)
        self.input_shape, self.training, self.weight = x.shape, training, weight
        self.input_format = _memory_format.suggested_channels_last(x)  # that of the input's gradient too
        self.statistics = running_mean, running_var, eps  # (what PyTorch's node shows of them: grad_fn._saved_eps)
        self.count = N * x3.shape[2]
        channel = (1, C, 1)
        # PyTorch's kernel for an input in a contiguous layout (of its own dtype) works through per-channel linear terms
        linear_terms = not (half or compute_in_float32) and _in_contiguous_layout(x)
        if training and bfloat16_statistics:
            subtracted, self.invstd = _bfloat16_statistics(x3, self.count, running_mean, running_var, momentum, eps,
                                                           bfloat16_statistics)
            centered, var = x3 - subtracted.reshape(channel), None
        elif training:
            mean = _channel_means(x3) if not half else _half_channel_sums(x3) / np.float32(self.count)
            centered = x3 - mean.reshape(channel)
            var_sum = deviation_sum = None
            if linear_terms:  # the squares summed in float64 and rounded once, then divided in the input's dtype
                var_sum = _channel_sums(np.square(centered))
                var = var_sum / x3.dtype.type(self.count)
                if x3.dtype == np.float64 and self.count:
                    mean, var_sum = _cancelling_statistics_in_order(x3, mean, centered, var_sum, eps)
                    var = var_sum / self.count
            elif half:
                var = _half_channel_sums(np.square(centered)) / np.float32(self.count)
            else:
                # An input in no contiguous layout: ATen squares its deviations from the mean in float64 (float32
                # squares of 1e30 would overflow, an infinite variance and outputs 0), a float64 variance
                deviation_sum = np.add.reduce(np.square(x3 - mean.astype(np.float64).reshape(channel)), axis=(0, 2))
                var = deviation_sum / self.count
            subtracted = mean
            if half and not compute_in_float32:  # the batch's mean and 1 / std are kept as float16 (save_mean, ...)
                subtracted = mean.astype(np.float16).astype(np.float32)
                centered = x3 - subtracted.reshape(channel)
            with np.errstate(all="ignore"):  # an infinite momentum or statistic: NaN, silently, as PyTorch's kernel
                if running_mean is not None and var_sum is not None:  # (the momentum in the input's dtype)
                    rate = running_mean.dtype.type(momentum)
                    running_mean[...] = rate * mean + (running_mean.dtype.type(1) - rate) * running_mean
                elif running_mean is not None and deviation_sum is not None:  # (in float64, rounded once)
                    running_mean[...] = momentum * mean.astype(np.float64) + (1 - momentum) * running_mean.astype(
                        np.float64)
                elif running_mean is not None:
                    running_mean *= 1 - momentum
                    running_mean += momentum * mean
                if running_var is not None and var_sum is not None:
                    _update_running_var(running_var, var_sum, self.count, momentum)
                elif running_var is not None and deviation_sum is not None:  # (in float64, rounded once)
                    unbiased = deviation_sum / (self.count - 1)
                    running_var[...] = momentum * unbiased + (1 - momentum) * running_var.astype(np.float64)
                elif running_var is not None:
                    running_var *= 1 - momentum
                    running_var += (momentum * self.count / max(self.count - 1, 1)) * var
        else:
            if linear_terms:  # the output as ATen's kernel computes it; xhat for backward below
                y = _eval_output(x, weight, bias, running_mean, running_var, eps, always=True)
            subtracted = running_mean
            centered = x3 - running_mean.reshape(channel)
            var = running_var.astype(x3.dtype, copy=False)  # (float16 statistics read into float32)
            self.forward_statistics = running_mean.copy(), running_var.copy()
        if var is not None:  # (a bfloat16 batch's comes with its statistics)
            with np.errstate(all="ignore"):  # a zero or negative var + eps: inf or NaN, silently
                if training and (linear_terms or deviation_sum is not None):
                    self.invstd = _batch_invstd(var, eps).astype(x3.dtype, copy=False)
                else:
                    self.invstd = 1 / np.sqrt(var + eps)
        if half and training and not compute_in_float32:
            self.invstd = self.invstd.astype(np.float16).astype(np.float32)
        if half and training:  # (its backward kernel reads x - mean; its parameters' gradients are of their dtype)
            self.centered = centered.copy()
            given = weight if weight is not None else bias
            self.parameter_dtype = x.dtype if given is None else given.dtype
        centered *= self.invstd.reshape(channel)
        self.xhat = centered
        if linear_terms and not training:
            pass  # (y computed above)
        elif half:
            y = _half_batch_norm_output(x3, subtracted.astype(np.float32), self.invstd, weight, bias)
        else:
            y = centered * weight.reshape(channel) if weight is not None else centered.copy(order="K")
            if bias is not None:
                y += bias.reshape(channel)
            if linear_terms and not (bfloat16_statistics and training):
                _cancelling_channels_as_pytorch(y, x3, subtracted, self.invstd, var == 0 if training else None,
                                                weight, bias)
        y = y.reshape(x.shape).astype(x.dtype, copy=False)
        if _memory_format.may_suggest_channels_last(x):
            y = _laid_out_as_output(y, x)
        return y

    def _statistics_at_backward(self):
        """xhat and invstd with the running statistics as they are now: PyTorch's eval-mode backward reads them
        when it runs, so a training forward in between (which updates them in place) changes the gradient."""
        running_mean, running_var, eps = self.statistics
        old_mean, old_var = self.forward_statistics
        if np.array_equal(old_mean, running_mean) and np.array_equal(old_var, running_var):
            return self.xhat, self.invstd
        channel = (1, -1, 1)
        with np.errstate(all="ignore"):
            invstd = 1 / np.sqrt(running_var.astype(self.xhat.dtype) + eps)
            centered = self.xhat / self.invstd.reshape(channel) + (old_mean - running_mean).reshape(channel)
        return centered * invstd.reshape(channel), invstd

    def jvp(self, tangents, arrays, params, out):
        """tx normalised as backward's gradient is (centred and made orthogonal to xhat in training), times the
        weight, plus xhat tw + tb."""
        tx, tw, tb = tangents[:3]
        xhat, channel = self.xhat, (1, -1, 1)
        total = None
        if tx is not None:
            t = tx.reshape(xhat.shape).astype(xhat.dtype, copy=False)
            if self.training:
                t = t - (_channel_sums(t) / self.count).reshape(channel)
                t = t - xhat * (_channel_sums(t * xhat) / self.count).reshape(channel)
            scale = self.invstd if self.weight is None else self.invstd * self.weight
            total = t * scale.reshape(channel)
        if tw is not None:
            total = xhat * tw.reshape(channel) if total is None else total + xhat * tw.reshape(channel)
        if tb is not None:
            total = tb.reshape(channel) + (np.zeros(xhat.shape, tb.dtype) if total is None else total)
        dtype = np.result_type(out.dtype, *[t.dtype for t in tangents[:3] if t is not None])
        return total.reshape(self.input_shape).astype(dtype, copy=False)

    @laid_out_gradients(_in_input_format)  # (its create_graph gradient too: the same op computes it)
    def backward(self, grad):
        if self.half and self.training and self.input_format is None:
            return self._half_backward(grad)  # (channels-last inputs run another kernel, adding in another order)
        xhat, invstd = self._statistics_at_backward() if not self.training else (self.xhat, self.invstd)
        channel = (1, -1, 1)
        g = grad.reshape(xhat.shape)
        need_x, need_w, need_b = self.needs_input_grad[:3]
        sum_g = _channel_sums(g) if need_b or (need_x and self.training) else None
        sum_g_xhat = _channel_sums(g * xhat) if need_w or (need_x and self.training) else None
        gx = None
        if need_x:
            scale = invstd if self.weight is None else invstd * self.weight
            if self.training:
                # d/dx of the normalised batch: remove the gradient's mean and its projection on xhat.
                gx = g - (sum_g / self.count).reshape(channel)
                gx -= xhat * (sum_g_xhat / self.count).reshape(channel)
                gx *= scale.reshape(channel)
            else:
                gx = g * scale.reshape(channel)
            gx = gx.reshape(self.input_shape).astype(self.input_dtype, copy=False)
        return gx, sum_g_xhat if need_w else None, sum_g if need_b else None

    def _half_backward(self, grad):
        """The training backward of a float16 input as ATen's kernel computes it, in float32: per channel the
        gradient's sum and its dot product with x - mean (``reduce_all`` over each image, added image after
        image), then dx = (dy - sum / M - (x - mean) * dot * invstd^2 / M) * invstd * w, the product fused into
        the subtraction; dw = dot * invstd, db = sum."""
        centered, invstd = self.centered, self.invstd
        channel, count = (1, -1, 1), np.float32(self.count)
        g = grad.reshape(centered.shape)
        total, dot = _half_channel_sums(g), _half_channel_sums(centered * g.astype(np.float32))
        need_x, need_w, need_b = self.needs_input_grad[:3]
        gx = None
        if need_x:
            k = dot * invstd * invstd / count
            scale = invstd if self.weight is None else invstd * self.weight.astype(np.float32)
            with np.errstate(all="ignore"):
                gx = fused_multiply_add32(-centered, np.broadcast_to(k.reshape(channel), centered.shape),
                                          g.astype(np.float32) - (total / count).reshape(channel))
                gx = (gx * scale.reshape(channel)).reshape(self.input_shape).astype(self.input_dtype)
        return (gx, (dot * invstd).astype(self.parameter_dtype) if need_w else None,
                total.astype(self.parameter_dtype) if need_b else None)

    def backward_graph(self, grad):
        channels = self.xhat.shape[1]
        return normalization_backward_graph(self, grad, self.xhat, self.invstd.reshape(1, channels, 1),
                                            (0, 2) if self.training else None, (0, 2), (channels,), recorded=True,
                                            input_gradient_strides=self.second_gradient_strides(grad._data))

    def second_gradient_strides(self, grad):
        """The strides of the input's gradient PyTorch's batchnorm_double_backward computes: in training laid out
        as input - mean (the input's own strides, dense), else as the weight's term, weight[c] * invstd[c] expanded
        over (C, *) times grad (C order but for where grad puts the batch dim)."""
        shape = self.input_shape
        if self.training:
            return _memory_format.strides_like(SavedInput(0).tensor(self, self)._data, _memory_format.preserve_format)
        expanded = (shape[1:], _memory_format.strides_for(shape[1:], _memory_format.contiguous_format))
        return _memory_format.layout_strides(shape, [expanded, (shape, _memory_format.element_strides(grad))])

    def name(self):
        return "NativeBatchNormBackward0"


def _bfloat16_statistics(x3, count, running_mean, running_var, momentum, eps, dtype):
    """The batch's mean and 1 / std (float32 arrays of bfloat16 values) of a float32 (N, C, L) array of bfloat16
    values, as ATen's kernel takes them for a bfloat16 input and bfloat16 parameters: the mean and the sum of the
    squares about it computed in float32 and each stored as bfloat16, the variance that sum divided by the count
    in bfloat16 arithmetic, 1 / sqrt(var + eps) computed in float64 and stored as bfloat16. The bfloat16 running
    statistics (updated in place) move towards the stored mean and the stored sum over count - 1."""
    mean = _channel_means(x3)
    var_sum = _channel_sums(np.square(x3 - mean.reshape(1, -1, 1))).astype(dtype)
    with np.errstate(all="ignore"):
        var = (var_sum.astype(np.float32) / np.float32(dtype.type(count))).astype(dtype)
        invstd = (1 / np.sqrt(var.astype(np.float64) + eps)).astype(np.float32).astype(dtype)
        mean = mean.astype(dtype)
        # (the momentum a bfloat16 number: the running mean's terms and the kept share of the running variance are
        # bfloat16 arithmetic, the variance's new share a float32 product)
        rate = dtype.type(momentum)
        if running_mean is not None:
            running_mean[...] = rate * mean + (dtype.type(1) - rate) * running_mean
        if running_var is not None:
            unbiased = (var_sum.astype(np.float32) / np.float32(dtype.type(count - 1))).astype(dtype)
            kept = (dtype.type(1) - rate) * running_var
            running_var[...] = np.float32(rate) * unbiased.astype(np.float32) + kept.astype(np.float32)
    return mean.astype(np.float32), invstd.astype(np.float32)


def _laid_out_as_output(y, x):
    """``y``, batch norm's output, laid out as PyTorch's kernel allocates it for an input ``x`` that may suggest a
    channels-last format: C order for an input that is C-contiguous all the same (whatever the strides of its size-1
    dims suggest: one channel, or one cell per image, of a channels-last tensor), else channels-last for such an
    input, else C order. (The input's gradient follows the suggested format, see laid_out_gradients.)"""
    if x.flags.c_contiguous:
        return _memory_format.with_c_strides(np.ascontiguousarray(y))
    return _memory_format.in_format_of(y, x)


def _in_contiguous_layout(x):
    """Whether ATen's batch_norm kernel reads ``x`` (N, C, *) directly: C order or a channels-last format. Other
    strides go through TensorIterator's elementwise ((x - mean) * invstd) * weight + bias instead."""
    return (x.flags.c_contiguous or _memory_format.is_contiguous(x, _memory_format.channels_last)
            or _memory_format.is_contiguous(x, _memory_format.channels_last_3d))


def _batch_invstd(var, eps):
    """The batch's 1 / sqrt(var + eps) as ATen's InvStd takes it, in float64 and rounded once to var's dtype; 0 for
    a zero variance with eps 0 (the output then the bias, where 1 / 0 would give NaNs)."""
    invstd = 1 / np.sqrt(var.astype(np.float64) + eps)
    if not eps:
        invstd[var == 0] = 0
    return invstd.astype(var.dtype)


def _cancelling_channels_as_pytorch(y, x3, mean, invstd, constant, weight, bias):
    """Recomputes in ``y`` (N, C, L) the channels where ATen's CPU kernel, for an input in a contiguous layout, makes
    an error beyond float rounding, as it does: it computes x * alpha + beta, alpha = invstd * weight and beta = bias
    - mean * alpha, both fused multiply-adds, and for a mean large against the spread (1e4 + 1e-2 noise in float32)
    x * alpha and beta nearly cancel, leaving their rounding in the output (1e-2 and more). A constant channel
    (``constant``, in training) keeps a bias off by the rounding of x * alpha. Elsewhere y = (x - mean) * invstd *
    weight + bias is within a few ulp of that, and costs a fraction of the emulated fused multiply-adds."""
    with np.errstate(all="ignore"):
        cancelling = np.abs(mean * invstd) > _CANCELLING_RATIO
    if constant is not None:
        cancelling |= constant
    if not np.count_nonzero(cancelling):  # (ndarray.any's Python wrapper cost a twentieth of an eval call)
        return
    dtype = x3.dtype.type
    alpha = invstd[cancelling] if weight is None else invstd[cancelling] * weight[cancelling].astype(dtype)
    shift = np.zeros_like(alpha) if bias is None else bias[cancelling].astype(dtype)
    beta = fused_multiply_add(-mean[cancelling].astype(dtype), alpha, shift)
    y[:, cancelling] = fused_multiply_add(x3[:, cancelling], alpha[:, None], beta[:, None])


def training_channels_as_pytorch(y, x3, channels, eps, weight, bias):
    """Recomputes in ``y`` (N, C, L) the ``channels`` (a boolean mask over C) of ``x3`` (N, C, L: float32 or
    float64) as ATen's kernel does in training for an input in a contiguous layout, its statistics too (see
    _cancelling_channels_as_pytorch): for instance_norm, which runs it on its input viewed as (1, N * C, L), on the
    instances its own statistics find constant or of a mean large against their spread. Returns the channels'
    mean and 1 / std, as the kernel saves them for backward."""
    picked = x3[:, channels]
    count = x3.shape[0] * x3.shape[2]
    sums = _statistic_sums if x3.dtype == np.float64 else _channel_sums
    mean = _statistic_sums(picked) / count if x3.dtype == np.float64 else _channel_means(picked)
    var = sums(np.square(picked - mean.reshape(1, -1, 1))) / x3.dtype.type(count)
    with np.errstate(all="ignore"):
        invstd = _batch_invstd(var, eps)
    recomputed = y[:, channels]
    # (an overflowing variance, 1 / std 0, leaves the bias as a constant channel does)
    _cancelling_channels_as_pytorch(recomputed, picked, mean, invstd, (var == 0) | (invstd == 0),
                                    *(None if p is None else p[channels] for p in (weight, bias)))
    y[:, channels] = recomputed
    return mean, invstd


def _half_batch_norm_output(x3, mean, invstd, weight, bias):
    """batch_norm's output for a float16 input as ATen's kernel computes it in float32: per channel
    alpha = invstd * weight and beta = bias - mean * alpha, then x * alpha + beta, one fused multiply-add."""
    alpha = invstd if weight is None else invstd * weight.astype(np.float32)
    beta = -(mean * alpha) if bias is None else bias.astype(np.float32) - mean * alpha
    with np.errstate(all="ignore"):
        return fused_multiply_add32(x3, np.broadcast_to(alpha.reshape(1, -1, 1), x3.shape),
                                    np.broadcast_to(beta.reshape(1, -1, 1), x3.shape))


_LINEAR_TERMS_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _eval_output(x, weight, bias, running_mean, running_var, eps, always=False):
    """batch_norm's output out of training for a float32 or float64 ``x`` in a contiguous layout, as ATen's kernel
    computes it: per channel (in x's dtype) invstd = 1 / sqrt(var + eps), alpha = invstd * weight and beta = bias
    - mean * alpha (a fused multiply-add), then x * alpha + beta, in x's layout. Its fused multiply-add per element
    is taken as a product then a sum (emulating it in float64 measured four times slower; this way seven in ten
    elements came out bit-identical, (x - mean) * invstd * weight + bias one in two), except on the channels where
    x * alpha and beta nearly cancel (_cancelling_channels_as_pytorch), emulated there. None (unless ``always``)
    for an input in no contiguous layout or with such channels: the general path handles those."""
    if not _in_contiguous_layout(x):
        return None
    real = x.dtype.type
    with np.errstate(all="ignore"):  # a zero or negative var + eps: inf or NaN, silently, as PyTorch's kernel
        invstd = real(1) / np.sqrt(running_var + real(eps))
        cancelling = np.abs(running_mean * invstd) > _CANCELLING_RATIO
        if np.count_nonzero(cancelling) and not always:
            return None
        alpha = invstd if weight is None else invstd * weight
        beta = (fused_multiply_add32 if real is np.float32 else fused_multiply_add)(
            -running_mean, alpha, real(0) if bias is None else bias)
        channel = (1, -1) + (1,) * (x.ndim - 2)
        y = x * alpha.reshape(channel)  # (x's layout: C order or channels-last, as PyTorch's result)
        y += beta.reshape(channel)
    if np.count_nonzero(cancelling):
        y3 = y.reshape(x.shape[0], x.shape[1], -1)
        _cancelling_channels_as_pytorch(y3, x.reshape(y3.shape), running_mean, invstd, None, weight, bias)
        y = y3.reshape(x.shape)  # (a copy for a channels-last input)
    if _memory_format.may_suggest_channels_last(x):
        y = _laid_out_as_output(y, x)
    return y


def _verify_batch_size(size):
    values_per_channel = size[0]
    for n in size[2:]:
        values_per_channel *= n
    if values_per_channel == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def _check_features(name, tensor, channels):
    if tensor is not None and tensor.numel() != channels:
        raise RuntimeError(f"{name} should contain {channels} elements not {tensor.numel()}")


def _check_arguments(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """torch.batch_norm's argument parser (F.batch_norm passes everything to it by position)."""
    fn = "batch_norm"
    check_tensor_arg(input, fn, "input", 1, optional=False)
    check_tensor_arg(weight, fn, "weight", 2)
    check_tensor_arg(bias, fn, "bias", 3)
    check_tensor_arg(running_mean, fn, "running_mean", 4)
    check_tensor_arg(running_var, fn, "running_var", 5)
    check_bool_arg(training, fn, "training", 6)
    check_float_arg(momentum, fn, "momentum", 7)  # None too: nn.BatchNorm turns momentum=None into a float
    check_float_arg(eps, fn, "eps", 8)


def _empty_batch_norm(input, weight, bias):
    """PyTorch's answer for an input without elements, before any size or dtype check: a copy of the input,
    times weight[0] plus bias[0] (kept in the graph), running statistics untouched."""
    out = input.clone()
    if weight is not None:
        out = out * _first(weight)
    if bias is not None:
        out = out + _first(bias)
    return out


def _first(tensor):
    """``tensor[0]``, failing as PyTorch's C++ select does (its messages differ from indexing's)."""
    if tensor.dim() == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    if tensor.shape[0] == 0:
        raise IndexError(f"select(): index 0 out of range for tensor of size {list(tensor.shape)} at dimension 0")
    return tensor[0]


def _check_dtypes(input, weight, bias, running_mean, running_var, training):
    """The CPU kernel's dtype checks, in its order; returns whether the parameters are float32 for a
    half-precision input (computed in float32, as PyTorch does).

    The kernel is chosen by the input's dtype (floating only; in training, an input in no contiguous layout has
    its statistics computed by at::mean first, unless mixed); the parameters are "mixed" when the first
    one given is of another dtype than the input, and must then all be float32 for a float16 input.
    Otherwise each is read as the input's dtype, in the order the kernel reads them.
    """
    # (dtypes compared as the arrays', one to one with torchless's: the dtype property costs a lookup each time)
    parameters = [t for t in (weight, bias, running_mean, running_var) if t is not None]
    input_dtype = input._data.dtype
    mixed = parameters and parameters[0]._data.dtype != input_dtype
    if not input.is_floating_point():
        x = input._data
        if training and not mixed and x.dtype.kind != "c" and not (
                x.flags.c_contiguous or _memory_format.is_contiguous(x, _memory_format.channels_last)
                or _memory_format.is_contiguous(x, _memory_format.channels_last_3d)):
            # the statistics of an input in no contiguous layout are at::mean's, which refuses integers first
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating point or "
                               f"complex dtype. Got: {input.dtype.scalar_name}")
        raise NotImplementedError(f"\"batch_norm\" not implemented for '{input.dtype.scalar_name}'")
    if mixed:
        if any(p._data.dtype != np.float32 for p in parameters):
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
        if input_dtype != np.float16 and input_dtype.kind != "V":  # (float16 or bfloat16, "V")
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
        return True
    # Training updates the running statistics first; evaluation reads the affine parameters first.
    read = (running_mean, running_var, weight, bias) if training else (weight, bias, running_mean, running_var)
    for tensor in read:
        if tensor is None:
            continue
        if (tensor is running_mean or tensor is running_var) and tensor._data.ndim != 1:
            _refuse_statistic_rank(tensor)
        if tensor._data.dtype != input_dtype:
            raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found {tensor.dtype.scalar_name}")
    return False


def refuse_statistic_grads(running_mean, running_var):
    """native_batch_norm's autograd wrapper: running statistics are not differentiated, so (when a graph would be
    recorded) they must not require grad."""
    _refuse_grad("native_batch_norm", "running_mean", running_mean)
    _refuse_grad("native_batch_norm", "running_var", running_var)


def _refuse_statistic_rank(stat):
    """The kernel reads the running statistics through 1-D accessors (of weight and bias it needs the size only),
    which check the rank before the dtype."""
    raise RuntimeError(f"TensorAccessor expected 1 dims but tensor has {stat.dim()}")


_UNBATCHED_RUNNING_STATS = (
    "Batch norm got a batched tensor as input while the running_mean or running_var, which will be updated in "
    "place, were not batched.\nIf you are using a module and do not need eval mode, please set "
    "`track_running_stats` to be False.If you are using a prebuilt module and do not need eval mode, please see the "
    "functorch website for resources on how to patch your module to work with vmap")


def refuse_unbatched_running_stats(input, running_mean, running_var):
    """torch.func.vmap's refusal to update running statistics shared by the samples (not mapped over) from a mapped
    input: each sample would update them in turn, where PyTorch's one batched call cannot."""
    if forward_ad.state.vmap_levels and forward_ad.batched(input) and any(
            stat is not None and not forward_ad.batched(stat) for stat in (running_mean, running_var)):
        raise RuntimeError(_UNBATCHED_RUNNING_STATS)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) of input (N, C, *) to zero mean and unit variance, then scale and shift.

    training: use the batch's statistics (biased variance) and update running_mean / running_var in
    place: r = (1 - momentum) * r + momentum * s, with the unbiased variance. Otherwise use the
    running statistics, which must then be given.
    """
    if training:
        _verify_batch_size(input.size())
    # checked in Python by PyTorch, hence ValueError; a batch's variance may be 0, so training needs eps > 0
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    return native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps)


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """torch.batch_norm's native part, ATen's argument order: :func:`batch_norm` without the checks PyTorch makes
    in Python (a batch of one value per channel in training, the sign of eps)."""
    _check_arguments(input, weight, bias, running_mean, running_var, training, momentum, eps)
    if training:
        refuse_unbatched_running_stats(input, running_mean, running_var)
    if input.numel() == 0:
        return _empty_batch_norm(input, weight, bias)
    # PyTorch counts no features in a 1-D input: its parameters fail the size checks, or, if none is
    # given, the kernel fails reading dim 1.
    channels = input.size(1) if input.dim() > 1 else 0
    _check_features("running_mean", running_mean, channels)
    if running_mean is None and not training:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    _check_features("running_var", running_var, channels)
    if running_var is None and not training:
        raise RuntimeError("running_var must be defined in evaluation mode")
    _check_features("weight", weight, channels)
    _check_features("bias", bias, channels)
    input.size(1)  # a 1-D input without parameters fails here, with PyTorch's IndexError
    refuse_statistic_grads(running_mean, running_var)
    if forward_ad.has_tangent((running_mean, running_var)) and forward_ad.has_tangent((input, weight, bias)):
        raise RuntimeError("batch_norm is not differentiable wrt running_mean and running_var, they cannot have "
                           "forward grad defined")
    if (running_mean is None) != (running_var is None):  # in training: the other is missing in evaluation
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    mixed = _check_dtypes(input, weight, bias, running_mean, running_var, training)
    for stat in (running_mean, running_var):
        if stat is not None and stat.dim() != 1:  # when float32 statistics go with a float16 input
            _refuse_statistic_rank(stat)
    # (nothing to save for a node no graph, tangent or transform reads)
    recorded = observed(input, weight, bias)
    result = BatchNorm.apply(input, weight, bias,
                             running_mean=None if running_mean is None else running_mean._data,
                             running_var=None if running_var is None else running_var._data,
                             training=training, momentum=float(momentum), eps=float(eps), compute_in_float32=mixed,
                             # (PyTorch keeps the batch's statistics of a bfloat16 input and parameters as bfloat16;
                             # an input in no contiguous layout goes through other ops)
                             bfloat16_statistics=not mixed and input._data.dtype.kind == "V"
                             and _in_contiguous_layout(input._data) and input._data.dtype, recorded=recorded)
    # PyTorch's node saves the running statistics: an in-place op on one before backward is its error (their
    # update by a training forward, made by the kernel, is none, as in PyTorch)
    return save_tensor_versions(result, running_mean, running_var)
