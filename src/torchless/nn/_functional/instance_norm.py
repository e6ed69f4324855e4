"""Instance normalisation (``instance_norm``): statistics per sample and channel, optional running statistics.

PyTorch runs it as batch normalisation of the input viewed as (1, N * C, *), with weight, bias and
running statistics repeated N times, then averages the N updated copies of the running statistics
back into (C,). Its checks and messages come from that path; the arithmetic here is direct.
"""
import numpy as np

from ... import _dtype, _memory_format
from ..._ops._util import sum_of_rows
from ...autograd._graph_backward import BackwardOfBackward
from ...autograd.graph import FoldedNode, Node, folded, listed_edge, shown_edge
from ._moments import (cancelling_rows, constant_rows_as_pytorch, mean, normalization_backward_graph,
                       normalize_rows_backward, quiet, unquiet_normalize_rows)
from .normalization import (_check_dtypes, _empty_batch_norm, refuse_statistic_grads, refuse_unbatched_running_stats,
                            training_channels_as_pytorch)
from ._norm_checks import check_bool_arg, check_float_arg, check_kernel_dtypes, check_tensor_arg, compute_dtype

__all__ = ["instance_norm"]


class InstanceNorm(Node):
    """y = (x - mean) / sqrt(var + eps) * weight[c] + bias[c] per (sample, channel) of input (N, C, *).

    With use_input_stats the statistics are the instance's (biased variance) and running_mean /
    running_var (arrays, updated in place) move towards their average over the batch by
    ``momentum``, with the unbiased variance. Otherwise the running statistics are constants.
    """

    saved = ("xhat", "rstd", "weight", "bias")
    saves = (0, 1)  # as PyTorch (its batch norm of the input): the input and the weight
    leaf_arrival_order = (0, 2, 1)  # the input, then the bias and weight PyTorch repeats per sample (last first)
    # the node is PyTorch's last, the view of its batch norm's (1, N * C, *) result back as (N, C, *)
    torch_saved = {"self_sym_sizes": lambda node: (1, node.input_shape[0] * node.input_shape[1])
                   + tuple(node.input_shape[2:])}

    @quiet
    def forward(self, x, weight, bias, running_mean=None, running_var=None, use_input_stats=True, momentum=0.1,
                eps=1e-5, statistics_dtype=None, half_statistics=False):
        """``statistics_dtype``: the dtype PyTorch converts the running statistics to (the weight's or input's, when
        the running mean is of another), in which it reads and updates them before copying them back;
        ``half_statistics``: the instances' mean and 1 / std are rounded to float16, as PyTorch's batch-norm kernel
        keeps them (save_mean, save_invstd) for a float16 input with float16 parameters."""
        n, c = x.shape[:2]
        self.input_shape, self.input_dtype, self.use_input_stats = x.shape, x.dtype, use_input_stats
        # PyTorch views input.contiguous(): a copy (CloneBackward0) of an input not contiguous
        self.input_copied = not _memory_format.is_c_order(x.shape, _memory_format.element_strides(x))
        self.weight, self.bias = weight, bias
        rows = (x.reshape(n, c, -1) if x.size else x.reshape(n, c, 0)).astype(compute_dtype(x), copy=False)
        if use_input_stats:
            self.xhat, instance_mean, instance_var, self.rstd = unquiet_normalize_rows(rows, eps)  # (forward is quiet)
            if half_statistics:
                self.rstd = self.rstd.astype(np.float16).astype(rows.dtype)
                self.xhat = (rows - instance_mean.astype(np.float16).astype(rows.dtype)) * self.rstd
            constant = instance_var == 0
            if eps == 0 and constant.any():
                # PyTorch's batch-norm kernel takes 1 / std = 0 for a zero variance and no eps:
                # a constant instance comes out as 0 (then bias), with zero gradients, not NaN.
                self.rstd = np.where(constant, 0, self.rstd).astype(rows.dtype, copy=False)
                self.xhat = np.where(constant, 0, self.xhat).astype(rows.dtype, copy=False)
            count = rows.shape[2]
            # PyTorch updates the converted statistics in the computation's dtype, then copies them back
            if running_mean is not None:
                update = running_mean.astype(statistics_dtype).astype(rows.dtype)
                update *= 1 - momentum
                update += momentum * mean(instance_mean, (0, 2)).reshape(c)
                running_mean[...] = update.astype(statistics_dtype)
            if running_var is not None:
                update = running_var.astype(statistics_dtype).astype(rows.dtype)
                update *= 1 - momentum
                update += (momentum * count / max(count - 1, 1)) * mean(instance_var, (0, 2)).reshape(c)
                running_var[...] = update.astype(statistics_dtype)
        else:
            self.rstd = (1 / np.sqrt(running_var.astype(statistics_dtype).astype(rows.dtype) + eps)).reshape(1, c, 1)
            self.xhat = (rows - running_mean.astype(statistics_dtype).astype(rows.dtype).reshape(1, c, 1)) * self.rstd
        y = self.xhat * weight.reshape(1, c, 1) if weight is not None else self.xhat.copy()
        if bias is not None:
            y += bias.reshape(1, c, 1)
        if use_input_stats and x.dtype in (np.float32, np.float64):
            # PyTorch's batch-norm kernel's rounding, where it shows: constant instances, or of a large mean, or
            # finite ones whose float sum or squares overflow (its float64 sums keep their mean finite, 1 / std 0)
            recomputed = (constant | cancelling_rows(instance_mean, self.rstd))[..., 0].reshape(-1)
            overflowed = ((self.rstd == 0) | ~np.isfinite(instance_mean))[..., 0].reshape(-1)
            if overflowed.any():
                recomputed |= overflowed & np.isfinite(rows).all(axis=-1).reshape(-1)
            if recomputed.any():
                y = np.ascontiguousarray(y)  # (its folded view below is written to)
                folded = (1, n * c, rows.shape[2])
                saved_mean, saved_invstd = training_channels_as_pytorch(
                    y.reshape(folded), rows.reshape(folded), recomputed, eps,
                    *(None if p is None else np.tile(p, n) for p in (weight, bias)))
                # backward from the statistics the kernel saved: its mean's rounding moves every x - mean there
                self.xhat, self.rstd = np.ascontiguousarray(self.xhat), np.ascontiguousarray(self.rstd)
                instances = rows.reshape(n * c, -1)[recomputed]
                self.xhat.reshape(n * c, -1)[recomputed] = (instances - saved_mean[:, None]) * saved_invstd[:, None]
                self.rstd.reshape(n * c)[recomputed] = saved_invstd
        elif use_input_stats and not half_statistics and eps:  # (no eps: as above, the bias)
            constant_rows_as_pytorch(y, rows, instance_mean[..., 0], constant[..., 0], eps, weight, bias)
        # PyTorch normalizes input.contiguous() viewed as one batch: a C-contiguous output, whatever the input's layout
        return np.ascontiguousarray(y.reshape(x.shape).astype(x.dtype, copy=False))

    def backward(self, grad):
        xhat, weight = self.xhat, self.weight
        g = grad.reshape(xhat.shape).astype(xhat.dtype, copy=False)
        c = xhat.shape[1]
        need_x, need_w, need_b = self.needs_input_grad
        gx = gw = gb = None
        if need_x:
            grad_xhat = g * weight.reshape(1, c, 1) if weight is not None else g
            if self.use_input_stats:
                gx = normalize_rows_backward(grad_xhat, xhat, self.rstd)
            else:
                gx = grad_xhat * self.rstd
            # PyTorch's batch norm of input.contiguous() viewed as (1, N * C, *) writes it C-contiguous, whatever
            # the gradient's layout
            gx = _memory_format.c_ordered(gx.reshape(self.input_shape).astype(self.input_dtype, copy=False))
        if need_w:
            gw = _summed_over_instances(g * xhat, weight.dtype)
        if need_b:
            gb = _summed_over_instances(g, self.bias.dtype)
        return gx, gw, gb

    def backward_graph(self, grad):
        # PyTorch's: native_batch_norm_backward of the input viewed as (1, N * C, *) and of the parameters repeated
        # N times (NativeBatchNormBackwardBackward0, listing those folded view and repeats), then the backward of
        # the input's view (ViewBackward0) and of the repeats (a view as (N, C) summed over N)
        batch, channels = self.xhat.shape[:2]
        gradients = normalization_backward_graph(self, grad, self.xhat, self.rstd,
                                                 -1 if self.use_input_stats else None, (0, 2), (batch * channels,),
                                                 summed_axes=2, recorded=True,
                                                 input_gradient_strides=self.second_gradient_strides(grad._data))
        view, *repeats = (edge for edge, _ in self.next_functions[0][0].next_functions)
        listed = (listed_edge(grad), (view, 0), (repeats[0], 0), (None, 0), (None, 0))
        gx, gw, gb = (None if g is None else BackwardOfBackward.apply(
            g if i else g.reshape(1, batch * channels, -1), node_name="NativeBatchNormBackwardBackward0", listed=listed)
            for i, g in enumerate(gradients))
        # (a repeat of one copy has an identity backward)
        return (None if gx is None else gx.view(self.input_shape),
                *(g if g is None or batch == 1 else g.view(batch, channels).sum(0) for g in (gw, gb)))

    def second_gradient_strides(self, grad):
        """The strides of the input's gradient PyTorch's batchnorm_double_backward computes, on the contiguous input
        viewed as (1, N * C, *): in training as input - mean (C order), else as the weight's term, the repeated
        weight expanded over (N * C, *) times grad as that op sees it (a view, or a C-ordered copy)."""
        shape, strides_for, contiguous = self.input_shape, _memory_format.strides_for, _memory_format.contiguous_format
        if self.use_input_stats:
            return strides_for(shape, contiguous)
        flat = (1, shape[0] * shape[1]) + shape[2:]
        seen = _memory_format.view_strides(shape, _memory_format.element_strides(grad), flat) or \
            strides_for(flat, contiguous)
        strides = _memory_format.layout_strides(flat, [(flat[1:], strides_for(flat[1:], contiguous)), (flat, seen)])
        return _memory_format.view_strides(flat, strides, shape) or strides_for(shape, contiguous)

    def name(self):
        # PyTorch's last step views the batch-normalised (1, N * C, *) result back as (N, C, *).
        return "ViewBackward0"

    def pytorch_inputs(self):
        """The nodes of PyTorch's path under that view: a batch norm of the input (made contiguous) viewed as
        (1, N * C, *), of the weight and bias repeated N times."""
        x, weight, bias = (shown_edge(edge) for edge in self.edges)
        if self.input_copied:
            x = folded("CloneBackward0", x, self)
        inputs = (folded("ViewBackward0", x, self), folded("RepeatBackward0", weight, self),
                  folded("RepeatBackward0", bias, self))
        return ((FoldedNode("NativeBatchNormBackward0", tuple((node, 0) for node in inputs), self), 0),)


def _summed_over_instances(products, dtype):
    """A parameter's gradient from its (N, C, L) products. A float16 one as PyTorch adds it up: its batch norm's
    sums over each instance, rounded to float16 (the gradient of the parameter repeated N times), then the
    repeat's backward adding up the N samples'; a float32 one in one sum accumulated in float64, at least as
    exact as PyTorch's."""
    if dtype != np.float16:
        return sum_of_rows(products, (0, 2)).astype(dtype, copy=False)
    per_instance = sum_of_rows(products, 2).astype(dtype)
    return sum_of_rows(per_instance.astype(np.float32), 0).astype(dtype)


def _verify_spatial_size(size):
    values = 1
    for n in size[2:]:
        values *= n
    if values == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {size}")


def _check_repeatable(tensors):
    # Tensor.repeat(N) of a tensor of more than one dimension.
    if any(t is not None and t.dim() > 1 for t in tensors):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")


def _empty_instance_norm(input, weight, bias, running_mean, running_var, use_input_stats):
    """PyTorch's path for an input without elements: batch_norm's (a copy, times weight[0] plus bias[0], of
    the parameters repeated over the batch, so an empty batch has no first element), then, when the
    input's statistics are used, the running statistics set to their mean over the batch, which for an
    empty batch is NaN."""
    batch, channels = input.size(0), input.size(1)
    folded = input.view((1, batch * channels) + tuple(input.shape[2:]))  # (batch norm's view of it)
    out = _empty_batch_norm(folded, *(None if t is None else t.repeat(batch) for t in (weight, bias)))
    if use_input_stats:
        for running in (running_mean, running_var):
            if running is None:
                continue
            # the repeated statistics are viewed as (N, C) and their mean, of shape (C,), copied back
            size = running.numel()
            if batch and size != channels:
                raise RuntimeError(f"shape '[{batch}, {channels}]' is invalid for input of size {batch * size}")
            if not batch and size == 1 and channels != 1:
                raise RuntimeError(f"output with shape [1] doesn't match the broadcast shape [{channels}]")
            if not batch and size != channels and channels != 1:
                raise RuntimeError(f"The size of tensor a ({size}) must match the size of tensor b ({channels}) at "
                                   "non-singleton dimension 0")
            if running.is_floating_point():
                # copied back through an alias, as PyTorch does, which autograd records (and refuses for a leaf
                # that requires grad); an empty batch's mean is NaN
                alias = running.view(running.shape)
                if batch:
                    alias.copy_(running.detach().clone())
                else:
                    alias.fill_(np.nan)
    return out.view(input.shape)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise each channel of each sample of input (N, C, *) over its spatial positions; output: same shape.

    y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, per sample and channel (biased variance);
    weight, bias, running_mean and running_var (optional) have shape (C,). use_input_stats: use the
    instance's statistics and update the running ones in place, r = (1 - momentum) * r + momentum * s,
    s averaged over the batch (unbiased variance); otherwise normalise with the running statistics.
    """
    if use_input_stats:
        _verify_spatial_size(input.size())
    return native_instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps)


def native_instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps):
    """torch.instance_norm, ATen's argument order: :func:`instance_norm` without the check PyTorch makes in Python
    (more than one spatial element in training)."""
    check_tensor_arg(input, "instance_norm", "input", 1, optional=False)
    check_tensor_arg(weight, "instance_norm", "weight", 2)
    check_tensor_arg(bias, "instance_norm", "bias", 3)
    check_tensor_arg(running_mean, "instance_norm", "running_mean", 4)
    check_tensor_arg(running_var, "instance_norm", "running_var", 5)
    check_bool_arg(use_input_stats, "instance_norm", "use_input_stats", 6)
    check_float_arg(momentum, "instance_norm", "momentum", 7)
    check_float_arg(eps, "instance_norm", "eps", 8)
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    batch, channels = input.size(0), input.size(1)
    _check_repeatable((weight, bias, running_mean, running_var))
    if use_input_stats:
        refuse_unbatched_running_stats(input, running_mean, running_var)
    if input.numel() == 0:
        return _empty_instance_norm(input, weight, bias, running_mean, running_var, use_input_stats)
    # Running statistics of another dtype than the weight (or input) are converted to it, the mean with its
    # variance (before batch norm's size checks): a conversion to an integer dtype no longer requires grad.
    converted_to = (weight if weight is not None else input).dtype
    one_missing = (running_mean is None) != (running_var is None)
    if one_missing and running_mean is not None and running_mean.dtype != converted_to:
        raise RuntimeError("Expected a proper Tensor but got None (or an undefined Tensor in C++) for argument "
                           "#0 'self'")
    for name, tensor in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                         ("bias", bias)):
        if tensor is not None and batch * tensor.numel() != batch * channels:
            raise RuntimeError(f"{name} should contain {batch * channels} elements not {batch * tensor.numel()}")
    if converted_to.is_floating_point:
        refuse_statistic_grads(running_mean, running_var)
    if one_missing:
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    check_kernel_dtypes(input, None, None, "batch_norm")  # an integer input fails before the dtype mix
    # batch norm's dtype checks, of the running statistics as it sees them: both converted when the mean is of
    # another dtype, else both as they are
    running = (running_mean, running_var)
    convert = running_mean is not None and running_mean.dtype != converted_to
    running = [None if s is None else s.detach().to(converted_to if convert else s.dtype).reshape(-1) for s in running]
    mixed = _check_dtypes(input, weight, bias, *running, use_input_stats)
    return InstanceNorm.apply(input, weight, bias, half_statistics=input.dtype == _dtype.float16 and not mixed,
                              running_mean=None if running_mean is None else running_mean._data,
                              running_var=None if running_var is None else running_var._data,
                              use_input_stats=bool(use_input_stats), momentum=float(momentum), eps=float(eps),
                              statistics_dtype=running[0]._data.dtype if running[0] is not None else None)
