"""Layer normalisation (``layer_norm``) and root-mean-square normalisation (``rms_norm``) over the
trailing ``normalized_shape`` dimensions, with elementwise weight (and bias) of that shape."""
import math
import warnings

import numpy as np

from ... import _memory_format
from ..._dtype import CPP_SCALAR_NAMES, from_numpy_dtype
from ..._info import finfo
from ..._kernels import parallel
from ..._kernels.fma import fused_multiply_add
from ..._kernels.moments import layer_norm_bias_gradient, layer_norm_input_gradient, layer_norm_weight_gradient
from ..._kernels.reduce_order import reduce_all_half
from ..._ops._util import sum_of_rows
from ..._tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled
from ...autograd.graph import Node
from ...autograd.saved_values import Saved, SavedInput
from ._moments import (mean, normalization_backward_graph, normalize_rows_backward, quiet,
                       renormalize_cancelling_rows, unquiet_normalize_rows)
from ._norm_checks import (check_float_arg, check_kernel_dtypes, check_mixed_dtypes, check_tensor_arg,
                           compute_dtype, int_list_arg)

__all__ = ["layer_norm", "rms_norm"]


def _rows(x, normalized_ndim, dtype):
    """``x`` as a matrix of one row per normalised group (M, K), in ``dtype``."""
    lead = x.ndim - normalized_ndim
    # explicit sizes: reshape(-1, k) cannot infer M when a normalised dimension is 0
    return x.reshape(math.prod(x.shape[:lead]), math.prod(x.shape[lead:])).astype(dtype, copy=False)


def _param_grad(grad, param):
    # (C order's strides, a size-1 parameter's too: the row sums may come back with a stride of 0 there)
    return _memory_format.c_ordered(grad.reshape(param.shape).astype(param.dtype, copy=False))


def _invstd(eps):
    """1 / sqrt(var + eps) as ATen's layer-norm kernel takes it, in var's dtype (eps too), for a var."""
    return lambda var: var.dtype.type(1) / np.sqrt(var + var.dtype.type(eps))


@quiet
def renormalize_statistics(rows, mean, rstd, eps):
    """``mean`` and ``rstd`` (M, 1) of ``rows`` (M, K), float32 or float64, recomputed in place as PyTorch's kernel
    rounds them where that shows (torch.native_layer_norm's statistics)."""
    renormalize_cancelling_rows(rows, None, mean, rstd, _invstd(eps))


def _affine_as_pytorch(rows, row_mean, rstd, xhat, weight, bias):
    """y of ``rows`` (whose mean, 1 / std and normalised values are given) as PyTorch's float kernel rounds it, where
    that shows (rows of a large mean): xhat * weight + bias one fused multiply-add, or without a weight
    (x - mean) * rstd + bias one."""
    shift = rows.dtype.type(0) if bias is None else bias.reshape(-1)
    if weight is None:
        return fused_multiply_add(rows - row_mean, rstd, shift)
    return fused_multiply_add(xhat, weight.reshape(-1), shift)


def _half_affine_as_pytorch(rows, row_mean, rstd, weight, bias):
    """y of the float32 ``rows`` of a float16 input as PyTorch's reduced-float kernel computes it in float32, where
    that shows (rows of a large mean): x * rstd - mean * rstd one fused multiply-add, times the weight plus the bias
    another."""
    scaled = fused_multiply_add(rows, rstd, -(row_mean * rstd))
    weight = np.float32(1) if weight is None else weight.reshape(-1).astype(np.float32)
    return fused_multiply_add(scaled, weight, np.float32(0) if bias is None else bias.reshape(-1).astype(np.float32))


def _affine_jvp(node, tangents, out, normalization_jvp):
    """The tangent of xhat * weight + bias (no bias for RMSNorm), xhat a normalisation of x whose tangent
    ``normalization_jvp`` gives from tx: that times the weight, plus xhat tw + tb."""
    tx, tw, tb = (list(tangents) + [None])[:3]
    xhat = node.xhat
    total = np.zeros(xhat.shape, np.result_type(out.dtype, *[t.dtype for t in tangents if t is not None]))
    if tx is not None:
        normalized = normalization_jvp(tx.reshape(xhat.shape).astype(xhat.dtype, copy=False))
        total += normalized * node.weight.reshape(-1) if node.weight is not None else normalized
    if tw is not None:
        total += xhat * tw.reshape(-1)
    if tb is not None:
        total += tb.reshape(-1)
    return total.reshape(node.input_shape)


class LayerNorm(Node):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, statistics over the last ``normalized_ndim`` dims."""
    bfloat16_in_float32 = True  # (PyTorch computes it in float32 for bfloat16, see _opmath)

    backward_is_one_op = True
    backward_inputs = (0, None, None, 1, 2)  # native_layer_norm_backward's: input, mean, rstd, weight, bias

    saved = ("xhat", "rstd", "weight", "bias", "rows", "mean", "cancelling")
    saves = (0, 1, 2)  # as PyTorch: the input (whose change in place before backward is an error), weight, bias
    torch_saved = {
        "input": SavedInput(0),
        "weight": SavedInput(1, "weight"),
        "bias": SavedInput(2, "bias"),
        "normalized_shape": lambda node: node.normalized_shape(),
        # each group's mean and 1 / std, shaped to broadcast over the input
        "result1": Saved(lambda node: node.per_group(mean(node.input_rows(), -1))),
        "result2": Saved(lambda node: node.per_group(node.rstd)),
    }

    def normalized_shape(self):
        """The trailing dims normalised together: the parameters' shape, else the fewest dims the groups span."""
        if self.weight is not None or self.bias is not None:
            return tuple((self.weight if self.weight is not None else self.bias).shape)
        size, shape = self.xhat.shape[1], self.input_shape
        return next((shape[-n:] for n in range(1, len(shape) + 1) if math.prod(shape[-n:]) == size), shape)

    def input_rows(self):
        """The input as a matrix of one row per group, in the dtype of the statistics (backward does not need it)."""
        x = SavedInput(0).tensor(self, self)._data
        return _rows(x, len(self.normalized_shape()), self.rstd.dtype)

    def per_group(self, values):
        """One value per group (M, 1) shaped as PyTorch's statistics: the input's leading dims, then ones."""
        normalized = len(self.normalized_shape())
        lead = self.input_shape[:len(self.input_shape) - normalized]
        return values.reshape(lead + (1,) * normalized)

    @quiet
    def forward(self, x, weight, bias, normalized_ndim=1, eps=1e-5):
        self.input_shape, self.input_dtype = x.shape, x.dtype
        self.weight, self.bias = weight, bias
        rows = _rows(x, normalized_ndim, compute_dtype(x))
        self.xhat, row_mean, _, self.rstd = unquiet_normalize_rows(rows, eps)  # (forward is quiet)
        cancelling = None
        if x.dtype in (rows.dtype, np.float16):
            cancelling = renormalize_cancelling_rows(rows, self.xhat, row_mean, self.rstd, _invstd(eps),
                                                     half=x.dtype == np.float16)
        # A float input's rows whose mean is large against their spread (None: none), with the rows and means, where
        # backward computes as PyTorch's kernel does: its rounding is most of the gradients of x and of the weight
        self.cancelling = self.rows = self.mean = None
        if cancelling is not None and x.dtype == rows.dtype:
            self.cancelling, self.rows, self.mean = cancelling, rows, row_mean
        y = self.xhat * weight.reshape(-1) if weight is not None else self.xhat.copy()
        if bias is not None:
            y += bias.reshape(-1)
        if cancelling is not None and x.dtype == np.float16:
            y[cancelling] = _half_affine_as_pytorch(rows[cancelling], row_mean[cancelling], self.rstd[cancelling],
                                                    weight, bias)
        elif cancelling is not None and (weight is not None or bias is not None):
            y[cancelling] = _affine_as_pytorch(rows[cancelling], row_mean[cancelling], self.rstd[cancelling],
                                               self.xhat[cancelling], weight, bias)
        # PyTorch's kernel writes a C-contiguous output; the rows of a channels-last batch of one are a
        # strided view whose layout the products above would keep
        return _memory_format.c_ordered(y.reshape(x.shape).astype(x.dtype, copy=False))

    def jvp(self, tangents, arrays, params, out):
        """The normalisation's Jacobian is symmetric: tx goes through backward's formula."""
        return _affine_jvp(self, tangents, out, lambda t: normalize_rows_backward(t, self.xhat, self.rstd))

    def check_backward_dtypes(self):
        """ATen's backward kernel reads the parameters in the input's dtype unless the weight is of another (float32
        beside float16): a float32 bias without a weight is refused there, though its forward took it."""
        if self.input_dtype == np.float16 and self.weight is None and self.bias is not None \
                and self.bias.dtype != np.float16:
            raise RuntimeError(f"expected scalar type Half but found {from_numpy_dtype(self.bias.dtype).scalar_name}")

    def backward(self, grad):
        self.check_backward_dtypes()
        xhat, weight = self.xhat, self.weight
        g = grad.reshape(xhat.shape).astype(xhat.dtype, copy=False)
        need_x, need_w, need_b = self.needs_input_grad
        gx = gw = gb = None
        half = self.input_dtype == np.float16
        if half and (need_w or need_b) and (weight if weight is not None else self.bias).dtype == np.float16:
            gw, gb = self._half_parameter_gradients(g, need_w, need_b)
            need_w = need_b = False
        cancelling = self.cancelling
        if need_x and half:
            gx = self._half_input_gradient(g)
        elif need_x:
            gx = self._input_gradient(g, cancelling)
            gx = _memory_format.c_ordered(gx.reshape(self.input_shape).astype(self.input_dtype, copy=False))
        if need_w:
            gw = sum_of_rows(g * xhat, 0) if cancelling is None else layer_norm_weight_gradient(
                g, self.rows, self.mean[:, 0], self.rstd[:, 0], parallel.get_num_threads())
            gw = _param_grad(gw, weight)
        if need_b:
            total = sum_of_rows(g, 0) if half else layer_norm_bias_gradient(g, parallel.get_num_threads())
            gb = _param_grad(total, self.bias)
        return gx, gw, gb

    def _input_gradient(self, g, cancelling):
        """The input's gradient, in the ``cancelling`` rows (a mask, or None) as PyTorch's kernel computes it."""
        weight = None if self.weight is None else self.weight.reshape(-1)
        gx = normalize_rows_backward(g if weight is None else g * weight, self.xhat, self.rstd)
        if cancelling is not None:
            gx[cancelling] = layer_norm_input_gradient(g[cancelling], self.rows[cancelling], self.mean[cancelling, 0],
                                                       self.rstd[cancelling, 0], weight)
        return gx

    def _half_statistics(self):
        """The input as float32 rows, and the mean and 1 / std ATen's kernel saved for backward: float16 unless
        the parameters are float32."""
        rows = self.input_rows()
        given = self.weight if self.weight is not None else self.bias
        statistics = np.float32 if given is not None and given.dtype == np.float32 else np.float16
        row_mean = mean(rows, -1).astype(statistics).astype(np.float32).reshape(-1, 1)
        return rows, row_mean, self.rstd.astype(statistics).astype(np.float32).reshape(-1, 1)

    def _half_parameter_gradients(self, g, need_w, need_b):
        """float16 weight and bias gradients as ATen's kernel adds them: each thread's range of rows (split
        evenly over ``get_num_threads()``) into a float16 buffer, rounding at every row, dy (x rstd - mean rstd)
        computed in float32; the threads' buffers then added."""
        rows, row_mean, rstd = self._half_statistics()
        terms = []
        if need_w:
            terms.append(g * (rstd * rows - rstd * row_mean))
        if need_b:
            terms.append(g)
        size = len(rows)
        share = max(1, -(-size // max(1, min(parallel.get_num_threads(), size))))  # (no rows: zero gradients)
        totals = []
        for term in terms:
            total = np.zeros(term.shape[1], np.float32)
            for begin in range(0, size, share):
                buffer = np.zeros(term.shape[1], np.float16)
                for row in term[begin:begin + share]:
                    buffer = (buffer + row).astype(np.float16)
                total += buffer
            totals.append(total.astype(np.float16))
        gw = _param_grad(totals.pop(0), self.weight) if need_w else None
        gb = _param_grad(totals.pop(0), self.bias) if need_b else None
        return gw, gb

    def _half_input_gradient(self, g):
        """The input's gradient for a float16 input as ATen's kernel computes it, in float32 from the statistics
        it saved (float16 unless the parameters are float32): per row ds = sum(dy x w), db = sum(dy w) (its
        ``reduce_all``), then dx = rstd dy w + b x + c with b = (db mean - ds) rstd^3 / N and
        c = -b mean - db rstd / N."""
        rows, row_mean, rstd = self._half_statistics()
        scale = np.float32(1) / np.float32(rows.shape[1])
        gamma = np.float32(1) if self.weight is None else self.weight.reshape(-1).astype(np.float32)
        ds, db = reduce_all_half(g * rows * gamma)[:, None], reduce_all_half(g * gamma)[:, None]
        with np.errstate(all="ignore"):
            b = (db * row_mean - ds) * rstd * rstd * rstd * scale
            c = -b * row_mean - db * rstd * scale
            gx = rstd * g * gamma + b * rows + c
        return _memory_format.c_ordered(gx.reshape(self.input_shape).astype(np.float16))

    def backward_graph(self, grad):
        self.check_backward_dtypes()
        params = [p.shape for p in (self.weight, self.bias) if p is not None]
        return normalization_backward_graph(self, grad, self.xhat, self.rstd, -1, (0,), params[0] if params else None,
                                            recorded=True)

    def name(self):
        return "NativeLayerNormBackward0"


def _check_normalized_shape(normalized_shape, weight, bias):
    if not normalized_shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           f"element, but got normalized_shape = {list(normalized_shape)}")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and tuple(param.shape) != normalized_shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(param.shape)} and normalized_shape = {list(normalized_shape)}")


def _check_input_shape(input, normalized_shape, separator):
    n = len(normalized_shape)
    if input.dim() < n or tuple(input.shape[input.dim() - n:]) != normalized_shape:
        dims = ", ".join(str(d) for d in normalized_shape)
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*{separator}{dims}], but got input of size{list(input.shape)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dimensions of input (*, *normalized_shape).

    y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, with the biased variance over those
    dimensions; weight and bias (optional) have shape ``normalized_shape``. Output: same shape as input.
    """
    if _passes_checks(input, normalized_shape, weight, bias, eps):
        return LayerNorm.apply(input, weight, bias, normalized_ndim=len(normalized_shape), eps=eps)
    check_tensor_arg(input, "layer_norm", "input", 1, optional=False)
    normalized_shape = int_list_arg(normalized_shape, "layer_norm", "normalized_shape", 2)
    check_tensor_arg(weight, "layer_norm", "weight", 3)
    check_tensor_arg(bias, "layer_norm", "bias", 4)
    check_float_arg(eps, "layer_norm", "eps", 5)
    check_mixed_dtypes(input, weight, bias)
    _check_normalized_shape(normalized_shape, weight, bias)
    _check_input_shape(input, normalized_shape, ", ")
    check_kernel_dtypes(input, weight, bias, "LayerNormKernelImpl")
    return LayerNorm.apply(input, weight, bias, normalized_ndim=len(normalized_shape), eps=float(eps))


def _passes_checks(input, normalized_shape, weight, bias, eps):
    """Whether layer_norm's arguments are the common call every check passes: a float32 or float64 input whose
    trailing dims are the ints of ``normalized_shape``, parameters of that shape and the input's dtype or None, a
    float eps (the checks, read one by one, cost a tenth of a small call)."""
    if not isinstance(input, Tensor) or type(eps) is not float or not isinstance(normalized_shape, (tuple, list)):
        return False
    x = input._data
    n = len(normalized_shape)
    if not (0 < n <= x.ndim and x.dtype in _FLOAT_DTYPES):
        return False
    shape = x.shape[x.ndim - n:]
    for size in normalized_shape:
        if type(size) is not int:
            return False
    if shape != tuple(normalized_shape):
        return False
    for param in (weight, bias):
        if param is not None and not (isinstance(param, Tensor) and param._data.dtype == x.dtype
                                      and param._data.shape == shape):
            return False
    return True


_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class RMSNorm(Node):
    """y = x / sqrt(mean(x^2) + eps) * weight over the last ``normalized_ndim`` dims, where autograd records no
    graph (forward-mode tangents only: see _recorded_rms_norm).

    Computed as PyTorch's composite: in float32 for float16 input, the product with weight in the
    promoted dtype of the two, then cast back to the input's dtype; laid out as the product, or as its copy into the
    input's suggested memory format where the product is not so laid out.
    """

    saved = ("x", "xhat", "rstd", "weight")  # x as PyTorch's composite saves it (its square and product do)

    @quiet
    def forward(self, x, weight, normalized_ndim=1, eps=None):
        self.input_shape, self.input_dtype, self.weight, self.x = x.shape, x.dtype, weight, x
        self.normalized_ndim = normalized_ndim
        rows = _rows(x, normalized_ndim, compute_dtype(x))
        if eps is None:
            eps = float(np.finfo(rows.dtype).eps)
        self.eps = eps
        self.rstd = 1 / np.sqrt(mean(np.square(rows), -1) + eps)
        self.xhat = rows * self.rstd
        y = self.xhat
        if weight is not None:
            # an integer weight multiplies as a float one (PyTorch's promotion), not as NumPy's float64
            w = weight if weight.dtype.kind == "f" else weight.astype(rows.dtype)
            y = y * w.reshape(-1)
        self.result_dtype = y.dtype
        self.copied_to_format = self.composite_copies(x)
        # a copy when y is xhat itself: the output must not share memory with what jvp reads
        y = y.reshape(x.shape).astype(x.dtype, copy=y is self.xhat)
        if 1 in x.shape or not y.size or not _memory_format.is_c_order(x.shape, _memory_format.element_strides(x)):
            y = _memory_format.with_strides(y, self.output_strides(x))
        return y

    def output_strides(self, x):
        """The strides of PyTorch's result: its product x * rstd (* weight) as TensorIterator lays it out, or that
        product's copy into x's suggested memory format (see composite_copies)."""
        if self.copied_to_format:
            return _memory_format.strides_for(x.shape, _memory_format.suggest(x))
        return self.product_strides(x)

    def jvp(self, tangents, arrays, params, out):
        """The RMS normalisation's Jacobian is symmetric: rstd (tx - xhat mean(xhat tx))."""
        return _affine_jvp(self, tangents, out, lambda t: (t - self.xhat * mean(t * self.xhat, -1)) * self.rstd)

    def statistics_layout(self):
        """(shape, strides) of rstd as PyTorch's composite computes it: a keepdim reduction's C-ordered result."""
        shape = self.input_shape[:len(self.input_shape) - self.normalized_ndim] + (1,) * self.normalized_ndim
        return shape, _memory_format.strides_for(shape, _memory_format.contiguous_format)

    def composite_copies(self, x):
        """Whether PyTorch's composite ends with a copy (CloneBackward0) of its product, laid out as x by
        TensorIterator, into x's suggested memory format: a transposed or permuted input's."""
        if x.flags.c_contiguous:
            return False
        return not _memory_format.strides_are_contiguous(x.shape, self.product_strides(x), _memory_format.suggest(x))

    def product_strides(self, x):
        """The strides TensorIterator gives the composite's product x * rstd, then that times the weight."""
        layout = _memory_format.layout_strides
        product = layout(x.shape, [(x.shape, _memory_format.element_strides(x)), self.statistics_layout()])
        if self.weight is None:
            return product
        return layout(x.shape, [(x.shape, product), (self.weight.shape, _memory_format.element_strides(self.weight))])


_mismatch_warned = False


def _warn_mismatched_dtypes_once(input, weight):
    """PyTorch's TORCH_WARN_ONCE (once per process, whatever the filters say) that a weight of another dtype than
    the input keeps rms_norm off its fused kernel (the composite one computes the same values)."""
    global _mismatch_warned
    if not _mismatch_warned:
        _mismatch_warned = True
        names = (CPP_SCALAR_NAMES[t.dtype.name] for t in (input, weight))
        warnings.warn("Mismatch dtype between input and weight: input dtype = {}, weight dtype = {}, Cannot dispatch "
                      "to fused implementation. (Triggered internally at "
                      "/__w/pytorch/pytorch/aten/src/ATen/native/layer_norm.cpp:346.)".format(*names),
                      UserWarning, stacklevel=3)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """Root mean square normalisation over the last ``len(normalized_shape)`` dimensions of input.

    y = x / sqrt(mean(x^2) + eps) * weight, the mean over those dimensions; weight (optional) has
    shape ``normalized_shape``; eps=None is the machine epsilon of the computation (float32 for
    float16 and float32 input, float64 for float64). Output: same shape and dtype as input.
    """
    check_tensor_arg(input, "rms_norm", "input", 1, optional=False)
    normalized_shape = int_list_arg(normalized_shape, "rms_norm", "normalized_shape", 2)
    check_tensor_arg(weight, "rms_norm", "weight", 3)
    check_float_arg(eps, "rms_norm", "eps", 4, optional=True)
    _check_normalized_shape(normalized_shape, weight, None)
    if input.dim() < len(normalized_shape):
        raise ValueError(f"Input tensor must have at least {len(normalized_shape)} dimensions, but got {input.dim()}")
    _check_input_shape(input, normalized_shape, "")
    if weight is not None and weight.dtype != input.dtype:  # (before the kernel's dtype check)
        _warn_mismatched_dtypes_once(input, weight)
    if input.is_complex():
        return _complex_rms_norm(input, len(normalized_shape), weight, eps)
    if not input.is_floating_point():
        raise NotImplementedError(f"\"rms_norm\" not implemented for '{input.dtype.scalar_name}'")
    if is_grad_enabled() and (input.requires_grad or weight is not None and weight.requires_grad):
        return _recorded_rms_norm(input, len(normalized_shape), weight, None if eps is None else float(eps))
    return RMSNorm.apply(input, weight, normalized_ndim=len(normalized_shape),
                         eps=None if eps is None else float(eps))


def _recorded_rms_norm(input, normalized_ndim, weight, eps):
    """rms_norm recording PyTorch's graph: where autograd records, PyTorch's CPU runs its composite, whose ops
    each record their node: x * rsqrt(mean(x ** 2) + eps) [* weight] in float32 for a float16 or bfloat16 input
    (ToCopyBackward0), the number added in C++ (AddBackward1), the product made contiguous unless the input
    suggests channels last (CloneBackward0), then cast back to the input's dtype (the same values as RMSNorm's)."""
    from ... import float32
    from ..._ops.arithmetic import add_scalar

    opmath = float32 if input.dtype.itemsize == 2 else input.dtype
    x = input.to(opmath)
    if eps is None:
        eps = finfo(opmath).eps
    dims = tuple(range(input.dim() - 1, input.dim() - 1 - normalized_ndim, -1))
    result = x.mul(add_scalar(x.pow(2).mean(dims, keepdim=True), eps).rsqrt())
    if weight is not None:
        result = result.mul(weight)
    if _memory_format.suggest(input._data) is _memory_format.contiguous_format:
        result = result.contiguous()
    return result.type_as(input)


def _complex_rms_norm(input, normalized_ndim, weight, eps):
    """rms_norm of a complex input as PyTorch computes it, by its composite ops (its fused kernel is real only):
    x * rsqrt(mean(x ** 2) + eps) [* weight], x ** 2 the complex square (not |x| ** 2), eps=None the machine epsilon
    of the real dtype."""
    if eps is None:
        eps = finfo(input.dtype).eps  # (the real dtype's)
    dims = tuple(range(-normalized_ndim, 0))
    result = input * (input.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    if weight is not None:
        result = result * weight
    return result.type_as(input)  # (a weight of a wider dtype widened the product)
