"""Normalisation over the last axis of an array, and its backward: the arithmetic that layer, group
and instance normalisation share (each views its input so that one row is one normalised group)."""
import functools
import math

import numpy as np

from ... import _memory_format
from ..._kernels.fma import fused_multiply_add
from ..._kernels.moments import rowwise_moments
from ...autograd.graph import Node

__all__ = ["cancelling_rows", "centred_rows", "constant_rows_as_pytorch", "linear_rows_as_pytorch", "mean", "normalize_rows",
           "normalize_rows_backward", "quiet", "renormalize_cancelling_rows", "unquiet_normalize_rows"]

# A constant row with eps = 0 has an infinite 1 / std and NaN outputs, an empty row a NaN mean:
# PyTorch returns those values without warnings, and so do these functions.
_QUIET = dict(invalid="ignore", divide="ignore", over="ignore")

# Beyond this |mean| * rstd, the rounding of PyTorch's statistics (an ulp of the mean, times rstd) moves its outputs
# by more than 64 of their ulp: only there do its statistics need computing as it computes them
_CANCELLING_RATIO = 64


def quiet(forward):
    """Run ``forward`` without NumPy's floating-point warnings (backward already runs so), as PyTorch's kernels run
    on inf and NaN, even under a user's "error" filter, which overrides torchless's own (see its __init__). The
    wrapper is one more frame between a warning and its caller: count it in ``stacklevel``."""
    @functools.wraps(forward)
    def wrapped(*args, **kwargs):
        with np.errstate(**_QUIET):
            return forward(*args, **kwargs)

    return wrapped


def mean(a, axis):
    """``a.mean(axis, keepdims=True)``; over an empty axis NaN, without NumPy's "Mean of empty slice" warning."""
    with np.errstate(**_QUIET):
        return _unquiet_mean(a, axis)


def _unquiet_mean(a, axis):
    """mean, for callers already under np.errstate(**_QUIET)."""
    count = a.shape[axis] if type(axis) is int else math.prod(a.shape[i] for i in np.atleast_1d(axis))
    return a.sum(axis=axis, keepdims=True) / a.dtype.type(count)


def normalize_rows(x, eps):
    """(xhat, mean, var, rstd) of ``x`` along its last axis: xhat = (x - mean) / sqrt(var + eps), the moments
    those of centred_rows. mean, var and rstd keep the reduced axis (length 1).
    """
    with np.errstate(**_QUIET):
        return unquiet_normalize_rows(x, eps)


def unquiet_normalize_rows(x, eps):
    """normalize_rows, for callers already under np.errstate(**_QUIET) (a forward decorated with ``quiet``)."""
    mu, xhat, var = _unquiet_centred_rows(x)
    rstd = 1 / np.sqrt(var + eps)
    xhat *= rstd
    return xhat, mu, var, rstd


def centred_rows(x):
    """(mean, x - mean, biased variance) of ``x`` along its last axis (mean and variance keep it, of length 1), the
    variance taken from the centred values (two passes: no cancellation between E[x^2] and E[x]^2)."""
    with np.errstate(**_QUIET):
        return _unquiet_centred_rows(x)


def _unquiet_centred_rows(x):
    """centred_rows, for callers already under np.errstate(**_QUIET) (one errstate costs more than a small row's
    arithmetic)."""
    mu = _unquiet_mean(x, -1)
    xhat = x - mu
    var = _unquiet_mean(np.square(xhat), -1)
    _recentre_near_constant_rows(x, mu, xhat, var)
    return mu, xhat, var


@functools.lru_cache(maxsize=None)
def _epsilon(dtype):
    """np.finfo(dtype).eps, kept (np.finfo's lookup cost a small normalisation's arithmetic)."""
    return np.finfo(dtype).eps


def _recentre_near_constant_rows(x, mu, xhat, var):
    """Centres again, in place, the rows of ``x`` whose spread is within a few roundings of their mean, on their
    first value: PyTorch's Welford mean of a constant row is that value exactly, and its variance 0 (its outputs 0,
    or the bias), where the rounded sum over the count leaves every centred value at the mean's rounding error,
    which 1 / sqrt(eps) then magnifies (1e-4 and more, for a row of 7.77s). Called under np.errstate(**_QUIET)."""
    # (NaN and infinite rows compare False: left as they are)
    near_constant = var[..., 0] <= np.square(mu[..., 0] * (256 * _epsilon(x.dtype)))
    if not np.count_nonzero(near_constant):  # (ndarray.any's Python wrapper: a tenth of a small row's arithmetic)
        return
    rows = x[near_constant]
    offsets = rows - rows[:, :1]
    shift = _unquiet_mean(offsets, -1)
    offsets -= shift
    xhat[near_constant] = offsets
    mu[near_constant] = rows[:, :1] + shift
    var[near_constant] = _unquiet_mean(np.square(offsets), -1)


def cancelling_rows(mu, rstd):
    """Where a row's mean ``mu`` is large against its spread (1 / ``rstd``): where the float rounding of PyTorch's
    statistics shows in its outputs. NaN and infinite rows compare False (left as they are). Called under the
    normalisations' ``quiet`` (its own errstate would cost more than the comparison)."""
    return np.abs(mu * rstd) > _CANCELLING_RATIO


def renormalize_cancelling_rows(rows, xhat, mu, rstd, invstd_of_var, half=False):
    """Recomputes in place, for the rows of ``rows`` (..., K: float32 or float64) whose mean is large against their
    spread, their mean ``mu``, 1 / std ``rstd`` (both (..., 1)) and normalised values ``xhat`` (None: not wanted) as
    PyTorch's layer and group norm kernels compute them: the moments by ATen's Welford algorithm
    (``rowwise_moments``), whose float rounding there is far from exact (1e4 + 1e-2 noise in float32: outputs 0.1
    off), then ``invstd_of_var(var)``. ``half``: ``rows`` are the float32 values of a float16 input, whose moments
    PyTorch's kernels take from its float16 vectors (in float32). Returns the boolean mask (...) of those rows, or
    None where there are none (the normal case: one comparison per row)."""
    if rows.dtype not in (np.float32, np.float64):
        return None
    if half:  # (float16 outputs show the float32 rounding of any row's statistics: every finite row)
        cancelling = np.isfinite(mu[..., 0] * rstd[..., 0])
    else:
        cancelling = cancelling_rows(mu[..., 0], rstd[..., 0])
        # and the finite rows whose sum or variance overflowed (an infinite mean, or rstd 0): Welford's running mean
        # stays finite, and its merges of the kernel's empty vector lanes multiply the overflowing square of the
        # mean's change by their count 0 (a NaN variance)
        overflowed = (rstd[..., 0] == 0) | ~np.isfinite(mu[..., 0])
        if np.count_nonzero(overflowed):
            cancelling |= overflowed & np.isfinite(rows).all(axis=-1)
    if not np.count_nonzero(cancelling):
        return None
    picked = rows[cancelling]
    picked_mean, picked_var = rowwise_moments(picked.astype(np.float16) if half else picked)
    with np.errstate(**_QUIET):
        picked_rstd = invstd_of_var(picked_var)
        if xhat is not None:
            xhat[cancelling] = (picked - picked_mean[:, None]) * picked_rstd[:, None]
    mu[cancelling], rstd[cancelling] = picked_mean[:, None], picked_rstd[:, None]
    return cancelling


def constant_rows_as_pytorch(y, x, mean, constant, eps, weight, bias):
    """Writes into ``y`` (N, C, L), for the rows of ``x`` (N, C, L) that ``constant`` marks, what PyTorch's batch-norm
    kernel (and group norm's, given a weight or a bias) makes of them (see linear_rows_as_pytorch): for a constant
    row (mean x) x * alpha is rounded in beta and not in y, whose bias gains that rounding error (up to half an ulp
    of x * alpha: 1e-2 for 1000.1s). Their rstd, 1 / sqrt(0 + eps), is taken in float64."""
    with np.errstate(**_QUIET):  # (eps 0: an infinite rstd, NaN outputs, as PyTorch's group norm gives)
        rstd = y.dtype.type(1 / np.sqrt(np.float64(eps)))
    linear_rows_as_pytorch(y, x, mean, rstd, constant, weight, bias)


def linear_rows_as_pytorch(y, x, mean, rstd, rows, weight, bias):
    """Writes into ``y`` (N, C, L), for the rows of ``x`` (N, C, L) that ``rows`` marks, x * alpha + beta as PyTorch's
    batch-norm and group-norm kernels compute it: alpha = rstd * weight, beta = bias - mean * alpha, both fused
    multiply-adds. ``mean``, ``rstd`` and ``rows`` broadcast to (N, C); ``weight`` and ``bias`` are (C,) arrays or
    None."""
    rows = np.broadcast_to(rows, y.shape[:2])
    if not rows.any():
        return
    samples, channels = np.nonzero(rows)
    dtype = y.dtype.type
    rstd = np.broadcast_to(rstd, rows.shape)[samples, channels].astype(dtype)
    alpha = rstd if weight is None else rstd * weight.astype(dtype, copy=False)[channels]
    shift = dtype(0) if bias is None else bias.astype(dtype, copy=False)[channels]
    with np.errstate(**_QUIET):
        beta = fused_multiply_add(-np.broadcast_to(mean, rows.shape)[samples, channels].astype(dtype), alpha, shift)
        y[samples, channels] = fused_multiply_add(x[samples, channels], alpha[:, None], beta[:, None])


def normalize_rows_backward(grad_xhat, xhat, rstd):
    """d loss / d x from d loss / d xhat, where xhat = normalize_rows(x)[0] and rstd its 1 / std.

    The normalised row is invariant to shifting and scaling x, so the gradient loses its mean and
    its component along xhat: rstd * (g - mean(g) - xhat * mean(g * xhat)).
    """
    with np.errstate(**_QUIET):
        gx = grad_xhat * xhat
        mean_gx = mean(gx, -1)
        # one buffer for the whole expression: these arrays are as large as the input
        np.multiply(xhat, mean_gx, out=gx)
        np.subtract(grad_xhat, gx, out=gx)
        gx -= mean(grad_xhat, -1)
        gx *= rstd
    return gx


def normalization_backward_graph(node, grad, xhat, rstd, stats_axes, param_axes, param_shape, layout=None,
                                 summed_axes=None, recorded=False, input_gradient_strides=None):
    """The backward_graph of a normalisation node (create_graph=True): gradients of x, weight and bias as tensors.

    ``xhat`` (the node's saved normalised input) and ``rstd`` (its 1 / std, broadcastable to it) are all the node
    saved: not x, not eps. So x enters the graph as xhat / rstd, x less its mean, which the statistics ignore
    (a leaf input enters as itself, x, which they ignore the mean of just as well), and eps is what rstd adds to
    the variance. In xhat's shape the statistics are over ``stats_axes`` (None: constants, running statistics);
    in ``layout`` (default xhat's shape) weight and bias broadcast along all axes but ``param_axes``, and their
    gradients are reshaped to ``param_shape``, summed over ``summed_axes`` (default ``param_axes``). The node has
    ``input_shape``, ``input_dtype``, ``weight`` (an array or None) and ``needs_input_grad``. ``recorded``: PyTorch's
    backward is a differentiable op, each of whose gradients requires grad when one of its inputs does, a constant
    one too (a bias's, an input's out of training without weight): such a gradient is recorded on x (RecordedOn).
    ``input_gradient_strides``: those of the input's gradient through these gradients (a second derivative), as
    PyTorch's double backward lays it out, else as the formula's ops lay it out.
    """
    need_x, need_w, need_b = node.needs_input_grad[:3]
    dtype = xhat.dtype
    with np.errstate(**_QUIET):
        centered = xhat / rstd
        x = node.graph_input(0, centered.reshape(node.input_shape).astype(node.input_dtype, copy=False))
        if input_gradient_strides is not None:
            x = LaidOutGradient.apply(x, strides=input_gradient_strides)
        x = x._cast(dtype).reshape(xhat.shape)
        if stats_axes is None:
            rstd_t = x._wrap(rstd)
            xhat_t = x * rstd_t + x._wrap(xhat - x._data * rstd)  # the running mean's shift, a constant
        else:
            eps = 1 / np.square(rstd) - mean(np.square(centered), stats_axes)
            x = x - x.mean(stats_axes, keepdim=True)
            rstd_t = ((x * x).mean(stats_axes, keepdim=True) + x._wrap(eps)).rsqrt()
            xhat_t = x * rstd_t
    layout = xhat.shape if layout is None else layout
    g = grad._cast(dtype).reshape(layout)
    gx = gw = gb = None
    if need_x:
        grad_xhat = g
        if node.weight is not None:
            view = tuple(1 if i in param_axes else n for i, n in enumerate(layout))
            grad_xhat = g * node.graph_input(1, node.weight)._cast(dtype).reshape(view)
        grad_xhat = grad_xhat.reshape(xhat.shape)
        if stats_axes is None:
            gx = grad_xhat * rstd_t
        else:
            # the normalised row ignores a shift and a scaling of x: the gradient loses its mean and its part along xhat
            gx = rstd_t * (grad_xhat - grad_xhat.mean(stats_axes, keepdim=True)
                           - xhat_t * (grad_xhat * xhat_t).mean(stats_axes, keepdim=True))
        gx = gx.reshape(node.input_shape)._cast(node.input_dtype)
    summed_axes = param_axes if summed_axes is None else summed_axes
    if need_w:
        gw = (g * xhat_t.reshape(layout)).sum(summed_axes).reshape(param_shape)._cast(node.weight.dtype)
    if need_b:
        gb = g.sum(summed_axes).reshape(param_shape)
    if recorded:
        anchor = x if x._requires_grad or node.weight is None else node.graph_input(1, node.weight)
        return tuple(gradient if gradient is None or gradient._requires_grad else RecordedOn.apply(gradient, anchor)
                     for gradient in (gx, gw, gb))
    return gx, gw, gb


class RecordedOn(Node):
    """A gradient that PyTorch's differentiable backward op computes without a derivative in that op's inputs
    (a bias's gradient, the sum of grad), recorded on ``anchor``, one of those inputs: it requires grad as
    PyTorch's does, and backward through it gives the anchor no gradient, as PyTorch's double backward gives none."""

    def forward(self, value, anchor):
        return value

    def backward(self, grad):
        return grad, None

    def backward_graph(self, grad):
        return grad, None


class LaidOutGradient(Node):
    """The identity, whose backward lays its (summed) gradient out with ``strides`` (in elements): where a formula
    stands for one op of PyTorch's, the gradient of its input as that op's own backward allocates it."""

    def forward(self, value, strides=None):
        self.strides = strides
        return value

    def backward(self, grad):
        return (_memory_format.with_strides(grad, self.strides),)

    def backward_graph(self, grad):
        return (grad,)
