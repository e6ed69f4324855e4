"""Group normalisation (``group_norm``): statistics per sample over groups of channels, affine per channel."""
import numpy as np

from ... import _memory_format
from ..._kernels import parallel
from ..._kernels.fma import fused_multiply_add, fused_multiply_add32
from ..._kernels.moments import channels_last_group_moments
from ..._kernels.reduce_order import reduce_all, reduce_all_half
from ..._ops._util import sum_of_rows
from ..._ops.arithmetic import MulScalar
from ...autograd import forward_ad
from ...autograd._joint import joint_outputs
from ...autograd.graph import Node
from ...autograd.saved_values import SavedInput, saved_result
from ._args import unpack_int64
from ._moments import (linear_rows_as_pytorch, normalization_backward_graph, normalize_rows_backward, quiet,
                       renormalize_cancelling_rows, unquiet_normalize_rows)
from ._norm_checks import (check_float_arg, check_int_arg, check_kernel_dtypes, check_mixed_dtypes, check_tensor_arg,
                           compute_dtype)
from .normalization import _verify_batch_size

__all__ = ["group_norm"]


def _running_sum(a, keepdims=False):
    """float32 sums along the last axis, added in order."""
    total = np.zeros(a.shape[:-1], np.float32)
    for k in range(a.shape[-1]):
        total += a[..., k]
    return total[..., None] if keepdims else total


def _invstd(eps):
    """1 / sqrt(var + eps) as ATen's group-norm kernel takes it, for a var: in float64 (eps a double), rounded once
    to var's dtype."""
    return lambda var: (1 / np.sqrt(np.maximum(var, 0).astype(np.float64) + eps)).astype(var.dtype)


def _cancels(mean, var, count):
    """Whether a group's mean lies beyond 4 standard deviations, where the E[x^2] - mean^2 of PyTorch's channels-last
    kernel loses more than a last bit to cancellation, or its sum of the ``count`` squares comes near overflowing (an
    infinite E[x^2], a NaN or infinite variance). Its emulation (_channels_last_output) costs 5-100 times the
    two-pass moments, so nearer means keep those (the same values, up to a last bit)."""
    with np.errstate(over="ignore", invalid="ignore"):
        square = np.square(mean)
        return bool(((square > 16 * var) | ((square + var) * count >= np.finfo(var.dtype).max / 4)).any())


def _channels_last_statistics(x, groups, eps):
    """(mean, rstd) (N, G) of the channels-last float32 or float64 array x (N, C, *) as PyTorch's channels-last
    kernel computes them, from x's sums of x and x^2 (see channels_last_group_moments: far from the two-pass values
    where the mean is large against the spread)."""
    n, c = x.shape[:2]
    pixels = np.moveaxis(x, 1, -1).reshape(n, -1, c)  # (a view of a channels-last array)
    mean, var = channels_last_group_moments(pixels, groups, parallel.get_num_threads())
    return mean, _invstd(eps)(var)


@quiet
def renormalize_statistics(rows, mean, rstd, eps, channels_last=None):
    """``mean`` and ``rstd`` (N, G, 1) of ``rows`` (N, G, K), float32 or float64, recomputed in place as PyTorch's
    kernel rounds them (torch.native_group_norm's statistics): its contiguous kernel's where that shows, or, given
    ``channels_last`` (the input x (N, C, *), a channels-last array), its channels-last kernel's."""
    if channels_last is None:
        renormalize_cancelling_rows(rows, None, mean, rstd, _invstd(eps))
    elif rows.size:
        mean[..., 0], rstd[..., 0] = _channels_last_statistics(channels_last, rows.shape[1], eps)


class GroupNorm(Node):
    """Input (N, C, *) viewed as (N, G, C/G * spatial): one row per (sample, group) is normalised,
    then y = xhat * weight[c] + bias[c]."""
    bfloat16_in_float32 = True  # (PyTorch computes it in float32 for bfloat16, see _opmath)

    saved = ("x", "xhat", "mean", "rstd", "weight", "bias")
    saves = (0, 1)  # as PyTorch: the input and the weight
    torch_saved = {
        "input": SavedInput(0), "weight": SavedInput(1),
        # the statistics per (sample, group), in the input's dtype: outputs of the op, as PyTorch saves them
        "result1": saved_result(lambda node: node.mean.reshape(node.mean.shape[:2]).astype(node.input_dtype)),
        "result2": saved_result(lambda node: node.rstd.reshape(node.rstd.shape[:2]).astype(node.input_dtype)),
        "N": lambda node: node.input_shape[0], "C": lambda node: node.input_shape[1],
        "HxW": lambda node: int(np.prod(node.input_shape[2:])), "group": lambda node: node.groups,
        "eps": lambda node: node.eps,
    }

    @quiet
    def forward(self, x, weight, bias, num_groups=1, eps=1e-5):
        n, c = x.shape[:2]
        self.input_shape, self.input_dtype, self.groups, self.eps = x.shape, x.dtype, num_groups, eps
        self.x, self.weight, self.bias = x, weight, bias  # (x for the graph of create_graph=True's gradients)
        self.input_format = _memory_format.suggested_channels_last(x)  # that of the input's gradient too
        rows = x.reshape(n, num_groups, -1) if x.size else x.reshape(n, num_groups, 0)
        rows = rows.astype(compute_dtype(x), copy=False)
        self.xhat, self.mean, var, self.rstd = unquiet_normalize_rows(rows, eps)  # (forward is quiet)
        if (self.input_format is not None and x.dtype == rows.dtype and x.size
                and _cancels(self.mean, var, rows.shape[-1])):
            return self._channels_last_output(x, rows, weight, bias, eps)
        constant = var == 0
        # a constant row's rstd as PyTorch's kernel takes it: 1 / sqrt(0 + eps) in float64 (eps a double), rounded
        rstd = np.where(constant, rows.dtype.type(1 / np.sqrt(np.float64(eps))), self.rstd)
        linear_rows = constant
        half = x.dtype == np.float16
        if self.input_format is None and (x.dtype == rows.dtype or half):
            cancelling = renormalize_cancelling_rows(rows, self.xhat, self.mean, self.rstd, _invstd(eps), half=half)
            if cancelling is not None and not half:
                rstd = np.where(constant, rstd, self.rstd)
                linear_rows = constant | cancelling[..., None]
        xhat = self.xhat.reshape(n, c, -1) if x.size else self.xhat.reshape(n, c, 0)
        if x.dtype == np.float16 and x.size:
            return self._half_output(rows, weight, bias).reshape(x.shape)
        y = xhat * weight.reshape(1, c, 1) if weight is not None else xhat.copy()
        if bias is not None:
            y += bias.reshape(1, c, 1)
        if weight is not None or bias is not None:  # (without them PyTorch computes (x - mean) * rstd: exact 0s)
            mean, rstd, linear_rows = (np.repeat(stat[..., 0], c // num_groups, axis=1)
                                       for stat in (self.mean, rstd, linear_rows))
            linear_rows_as_pytorch(y, rows.reshape(xhat.shape), mean, rstd, linear_rows, weight, bias)
        return y.reshape(x.shape).astype(x.dtype, copy=False)

    def _channels_last_output(self, x, rows, weight, bias, eps):
        """The output for a channels-last float32 or float64 x (``rows`` its (N, G, K) view) as PyTorch's
        channels-last kernel computes it: its statistics (_channels_last_statistics), then x * scale + shift for every
        channel, without weight and bias too: scale = rstd * weight, shift = bias - scale * mean (a fused
        multiply-add only where a weight scales it: that kernel's compiled code), y a fused multiply-add."""
        n, c = x.shape[:2]
        mean, rstd = _channels_last_statistics(x, self.groups, eps)
        self.mean, self.rstd = mean[..., None], rstd[..., None]
        self.xhat = (rows - self.mean) * self.rstd
        dtype = x.dtype.type
        scale, mean = (np.repeat(stat, c // self.groups, axis=1) for stat in (rstd, mean))
        if weight is not None:
            scale = scale * weight
            shift = fused_multiply_add(-scale, mean, dtype(0) if bias is None else bias)
        else:
            shift = -scale * mean if bias is None else -scale * mean + bias
        pixels = np.moveaxis(x, 1, -1).reshape(n, -1, c)
        y = fused_multiply_add(pixels, scale[:, None, :], shift[:, None, :])  # (N, HxW, C)
        return np.moveaxis(y.reshape((n,) + x.shape[2:] + (c,)), -1, 1)

    def _half_output(self, rows, weight, bias):
        """The output for a float16 input as ATen's kernel computes it in float32: (x - mean) * rstd without weight
        and bias, else per (sample, channel) scale = rstd * w and shift = b - scale * mean, then x * scale + shift,
        each a fused multiply-add."""
        n, c = self.input_shape[:2]
        if weight is None and bias is None:
            return ((rows - self.mean) * self.rstd).astype(np.float16)
        per_group = c // self.groups
        scale = np.repeat(self.rstd.reshape(n, self.groups), per_group, axis=1)
        if weight is not None:
            scale = scale * weight.astype(np.float32)
        mean = np.repeat(self.mean.reshape(n, self.groups), per_group, axis=1)
        shift = np.zeros_like(scale) if bias is None else np.broadcast_to(bias.astype(np.float32), scale.shape)
        shift = fused_multiply_add32(-scale, mean, shift)[..., None]
        x = rows.reshape(n, c, -1).astype(np.float32)
        with np.errstate(all="ignore"):
            y = fused_multiply_add32(x, np.broadcast_to(scale[..., None], x.shape), np.broadcast_to(shift, x.shape))
        return y.astype(np.float16)

    def backward(self, grad):
        xhat, weight = self.xhat, self.weight
        n, c = self.input_shape[:2]
        g = grad.reshape(n, c, -1) if grad.size else grad.reshape(n, c, 0)
        g = g.astype(xhat.dtype, copy=False)
        need_x, need_w, need_b = self.needs_input_grad
        if self.input_dtype == np.float16 and g.size:
            return self._half_backward(g)
        if g.size and self.input_format is None and self.input_dtype in (np.float32, np.float64) and \
                (weight is None or weight.dtype == self.input_dtype):
            return self._kernel_backward(g)
        gx = gw = gb = None
        if need_x:
            grad_xhat = g * weight.reshape(1, c, 1) if weight is not None else g
            gx = normalize_rows_backward(grad_xhat.reshape(xhat.shape), xhat, self.rstd)
            # PyTorch allocates it in the input's suggested format, whatever the gradient's layout
            gx = _memory_format.in_suggested_format(gx.reshape(self.input_shape).astype(self.input_dtype, copy=False),
                                                    self.input_format)
        if need_w:
            gw = sum_of_rows(g * xhat.reshape(g.shape), (0, 2)).astype(weight.dtype, copy=False)
            if n and not g.shape[2]:
                # PyTorch forms it from the groups' statistics, NaN for groups without elements.
                gw[:] = np.nan
        if need_b:
            gb = sum_of_rows(g, (0, 2)).astype(self.bias.dtype, copy=False)
        return gx, gw, gb

    def _kernel_backward(self, g):
        """The gradients of a contiguous float32 or float64 input as ATen's kernel (GroupNormBackwardKernelImpl, at
        its AVX2 level: vectors of 8 floats or 4 doubles) rounds them: per (sample, channel) ds = sum(dy x) and db =
        sum(dy) (vec::reduce_all), per group their sums weighted by w (CalcDsDb, then its remainder one by one), then
        dx = c1 dy + c2 x + c3 from x itself, where large means cancel as in PyTorch; dw = the sum over samples of
        (ds - db mean) rstd, db = that of db. Its multiply-adds are fused where its compiled code fuses them."""
        n, c = self.input_shape[:2]
        groups, per_group, dtype = self.groups, c // self.groups, g.dtype
        lanes, doubles = (4, True) if dtype == np.float64 else (8, False)
        x = self.x.reshape(g.shape)
        mean, rstd = (v.reshape(n, groups).astype(dtype, copy=False) for v in (self.mean, self.rstd))
        need_x, need_w, need_b = self.needs_input_grad
        gx = gw = gb = None
        with np.errstate(all="ignore"):
            ds = reduce_all(g * x, lanes=lanes, simd_fold=not doubles)  # (n, c)
            db = reduce_all(g, lanes=lanes, simd_fold=not doubles)
            if need_x:
                ds_val, db_val = _weighted_group_sums(ds, db, self.weight, groups, lanes)
                scale = dtype.type(1) / dtype.type(per_group * g.shape[2])
                c2 = fused_multiply_add(db_val, mean, -ds_val) * rstd * rstd * rstd * scale
                c3 = -c2 * mean - db_val * rstd * scale
                c1 = np.repeat(rstd, per_group, axis=1)
                if self.weight is not None:
                    c1 = c1 * self.weight
                c2, c3 = (np.repeat(v, per_group, axis=1)[..., None] for v in (c2, c3))
                gx = fused_multiply_add(c1[..., None], g, c2 * x) + c3
                gx = _memory_format.in_suggested_format(gx.reshape(self.input_shape), None)  # (its dX: contiguous)
            if need_w or need_b:
                mean, rstd = (np.repeat(v, per_group, axis=1) for v in (mean, rstd))
                gw, gb = np.zeros(c, dtype), np.zeros(c, dtype)
                for k in range(n):  # (a vector per channel, the samples added one after the other)
                    gw = fused_multiply_add(fused_multiply_add(-db[k], mean[k], ds[k]), rstd[k], gw)
                    gb = gb + db[k]
        return gx, gw if need_w else None, gb if need_b else None

    def _half_backward(self, g):
        """The gradients of a float16 input as ATen's kernel computes them, in float32 from the statistics it saved
        (float16 unless the parameters are float32): per (sample, channel) ds = sum(dy x) and db = sum(dy)
        (reduce_all), per group their sums weighted by w, then dx = rstd w dy + c2 x + c3; dw = the sum over
        samples of (ds - db mean) rstd, and db's."""
        n, c = self.input_shape[:2]
        groups = self.groups
        x = self.x.reshape(n, c, -1).astype(np.float32)
        given = self.weight if self.weight is not None else self.bias
        statistics = np.float32 if given is not None and given.dtype == np.float32 else np.float16
        row_mean, rstd = (v.reshape(n, groups, 1).astype(statistics).astype(np.float32) for v in (self.mean, self.rstd))
        gamma = np.ones(c, np.float32) if self.weight is None else self.weight.astype(np.float32)
        ds, db = reduce_all_half(g * x), reduce_all_half(g)  # (n, c)
        need_x, need_w, need_b = self.needs_input_grad
        gx = gw = gb = None
        with np.errstate(all="ignore"):
            if need_x:
                per_group = c // groups
                ds_group = _running_sum((ds * gamma).reshape(n, groups, per_group), keepdims=True)
                db_group = _running_sum((db * gamma).reshape(n, groups, per_group), keepdims=True)
                scale = np.float32(1) / np.float32(per_group * x.shape[2])
                c2 = (db_group * row_mean - ds_group) * rstd * rstd * rstd * scale
                c3 = -c2 * row_mean - db_group * rstd * scale
                expand = lambda v: np.repeat(v, per_group, axis=1)  # noqa: E731 - (per group to per channel)
                gx = (expand(rstd) * gamma.reshape(1, c, 1)) * g + expand(c2) * x + expand(c3)
                gx = _memory_format.in_suggested_format(gx.reshape(self.input_shape).astype(np.float16),
                                                        self.input_format)
            if need_w:
                terms = (ds - db * np.repeat(row_mean[..., 0], c // groups, axis=1)) * \
                    np.repeat(rstd[..., 0], c // groups, axis=1)
                gw = _running_sum(terms.T).astype(self.weight.dtype)
            if need_b:
                gb = _running_sum(db.T).astype(self.bias.dtype)
        return gx, gw, gb

    def backward_graph(self, grad):
        if self.input_dtype not in (np.float32, np.float64):  # (statistics in float32: recomputed from xhat)
            n, c = self.input_shape[:2]
            return normalization_backward_graph(self, grad, self.xhat, self.rstd, -1, (0, 2), (c,),
                                                layout=(n, c, self.xhat.shape[1] * self.xhat.shape[2] // c))
        return self._differentiable_backward(grad)

    def _differentiable_backward(self, grad):
        """The gradients as PyTorch's infinitely_differentiable_native_group_norm_backward records them, from the
        mean and rstd this node outputs (see _Statistic)."""
        n, c = self.input_shape[:2]
        groups = self.groups
        per_group = c // groups
        spatial = int(np.prod(self.input_shape[2:]))
        scale = 1.0 / (per_group * spatial) if spatial else np.inf  # (PyTorch's C++ double division)
        need_x, need_w, need_b = self.needs_input_grad
        x = self.graph_input(0, self.x).reshape(n, groups, per_group, spatial)
        mean = self._statistic(self.mean, "mean").reshape(n, groups, 1, 1)
        rstd = self._statistic(self.rstd, "rstd").reshape(n, groups, 1, 1)
        g = grad.reshape(n, groups, per_group, spatial)
        ds = (g * x).sum(3).unsqueeze_(-1)
        db = g.sum(3).unsqueeze_(-1)
        gx = gw = gb = None
        if need_x:
            gamma = None if self.weight is None else self.graph_input(1, self.weight).reshape(1, groups, per_group, 1)
            rstd_cube = rstd * rstd * rstd
            a = rstd if gamma is None else rstd * gamma
            b = (ds if gamma is None else ds * gamma).sum(2).unsqueeze_(-2)
            c_term = (db if gamma is None else db * gamma).sum(2).unsqueeze_(-2)
            # (times the number s: mul.Scalar, PyTorch's MulBackward1)
            b = ((c_term * mean - b) * rstd_cube)._binary(scale, MulScalar)
            c_term = -b * mean - (c_term * rstd)._binary(scale, MulScalar)
            gx = (a * g + b * x + c_term).reshape(self.input_shape)
        if need_w:
            gw = ((ds - db * mean) * rstd).sum(0).reshape(c)
        if need_b:
            gb = db.sum(0).reshape(c)
        return gx, gw, gb

    def _statistic(self, values, which):
        """This node's output ``which`` (mean or rstd, per sample and group) as a tensor of the graph."""
        from ..._tensor import Tensor

        tensor = Tensor._wrap(values.reshape(values.shape[:2]).astype(self.input_dtype, copy=False))
        tensor._requires_grad, tensor._grad_fn = True, _Statistic(self, which)  # (as any output of the node)
        return tensor

    def name(self):
        return "NativeGroupNormBackward0"


class _Statistic(Node):
    """The mean or rstd output of a NativeGroupNormBackward0 node (PyTorch's node has three outputs; torchless's
    has the normalised one): shows as that node, and sends the input the gradient of its statistic (PyTorch's
    var_mean_backward, the variance's through rstd = (var + eps) ** -0.5)."""

    def __init__(self, node, which):
        self.node, self.which = node, which
        self._sequence = node._sequence  # (one node of PyTorch's graph)
        self.edges = node.edges[:1] + (None,) * (len(node.edges) - 1)
        self.needs_input_grad = node.needs_input_grad[:1] + (False,) * (len(node.edges) - 1)
        self.x, self.mean, self.rstd = node.x, node.mean, node.rstd

    def _rows(self, x):
        n, c = self.node.input_shape[:2]
        per_row = c // self.node.groups * int(np.prod(self.node.input_shape[2:]))  # (explicit: a batch may be empty)
        return x.reshape(n, self.node.groups, per_row)

    def backward(self, grad):
        x = self._rows(self.x.astype(self.mean.dtype, copy=False))
        grad = grad.reshape(self.mean.shape).astype(self.mean.dtype, copy=False)
        if self.which == "mean":
            gx = np.broadcast_to(grad / _count(x), x.shape)
        else:
            gvar = -0.5 * self.rstd ** 3 * grad
            gx = 2.0 / _count(x) * gvar * (x - x.sum(-1, keepdims=True) / _count(x))  # (x.mean warns when empty)
        return (gx.reshape(self.node.input_shape).astype(self.node.input_dtype, copy=False),) + \
            (None,) * (len(self.edges) - 1)

    def backward_graph(self, grad):
        x = self._rows(self.graph_input(0, self.x))
        grad = grad.reshape(self.mean.shape[:2] + (1,))
        if self.which == "mean":
            gx = grad.expand(x.shape) / _count(x)
        else:
            rstd = self.node._statistic(self.rstd, "rstd").reshape(grad.shape)
            gvar = -0.5 * (rstd * rstd * rstd) * grad
            gx = 2.0 / _count(x) * gvar * (x - x.mean(-1, keepdim=True))
        return (gx.reshape(self.node.input_shape),) + (None,) * (len(self.edges) - 1)

    def name(self):
        return self.node.name()

    @property
    def next_functions(self):
        return self.node.next_functions


def with_statistics(out, input, mean, rstd):
    """native_group_norm's ``(out, mean, rstd)``, the statistics tensors (per sample and group) made outputs of
    ``out``'s node as PyTorch's one node has them (each sending the input its gradient), with their tangents under
    forward AD."""
    node = out._grad_fn
    if isinstance(node, GroupNorm):
        for tensor, which in ((mean, "mean"), (rstd, "rstd")):
            tensor._requires_grad, tensor._grad_fn = True, _Statistic(node, which)
        joint_outputs((out, mean, rstd))
    tangent = forward_ad.tangent_array(input)
    if tangent is not None:
        n, groups = mean.shape
        compute = compute_dtype(input._data)
        rows = input._data.reshape(n, groups, -1).astype(compute, copy=False)
        tangent = tangent.reshape(rows.shape).astype(compute, copy=False)
        centered = rows - mean._data[..., None].astype(compute)
        forward_ad.set_tangent(mean, tangent.mean(-1).astype(mean._data.dtype))
        rstd_tangent = -rstd._data.astype(compute) ** 3 * (centered * tangent).mean(-1)
        forward_ad.set_tangent(rstd, rstd_tangent.astype(rstd._data.dtype))
    return out, mean, rstd


def _weighted_group_sums(ds, db, weight, groups, lanes):
    """ATen's CalcDsDb and its remainder (GroupNormInputBackward): per (sample, group) the sums of ds * w and db * w
    over the group's channels, whole vectors of ``lanes`` accumulated lane by lane (fused multiply-adds) and their
    lanes added in order, then the remaining channels one by one (fused too)."""
    n, c = ds.shape
    per_group = c // groups
    ds, db = ds.reshape(n, groups, per_group), db.reshape(n, groups, per_group)
    gamma = np.ones((groups, per_group), ds.dtype) if weight is None else weight.reshape(groups, per_group)
    whole = per_group // lanes * lanes
    ds_acc = db_acc = np.zeros((n, groups, lanes), ds.dtype)
    for start in range(0, whole, lanes):
        part = slice(start, start + lanes)
        ds_acc = fused_multiply_add(ds[..., part], gamma[:, part], ds_acc)
        db_acc = fused_multiply_add(db[..., part], gamma[:, part], db_acc)
    ds_val, db_val = np.zeros((n, groups), ds.dtype), np.zeros((n, groups), ds.dtype)
    for k in range(lanes):  # (std::accumulate of the stored lanes)
        ds_val, db_val = ds_val + ds_acc[..., k], db_val + db_acc[..., k]
    for j in range(whole, per_group):
        ds_val = fused_multiply_add(ds[..., j], gamma[:, j], ds_val)
        db_val = fused_multiply_add(db[..., j], gamma[:, j], db_val)
    return ds_val, db_val


def _count(rows):
    """The number of elements of each row of ``rows``, a group's: any positive number for empty groups, whose
    gradient is empty."""
    return rows.shape[-1] or 1


def _check_group_norm_inputs(input, weight, bias, channels, num_groups):
    if num_groups <= 0:
        raise RuntimeError(f"Expected num groups to be greater than 0, got {num_groups}")
    if channels % num_groups != 0:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    # PyTorch's bias message shows the weight's shape ([0] without a weight): reproduced as is.
    shown = list(weight.shape) if weight is not None else [0]
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and (param.dim() != 1 or param.numel() != channels):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {shown} and input of shape {list(input.shape)}")


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise input (N, C, *) over groups of C / num_groups channels, per sample; output: same shape.

    y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, the statistics (biased variance) over one
    group's channels and all spatial positions; weight and bias (optional) have shape (C,).
    """
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    _verify_batch_size([input.size(0) * input.size(1) // num_groups, num_groups] + list(input.size()[2:]))
    return native_group_norm(input, num_groups, weight, bias, eps)


def native_group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """torch.group_norm: :func:`group_norm` without the checks PyTorch makes in Python (at least two dims, more
    than one value per group)."""
    check_tensor_arg(input, "group_norm", "input", 1, optional=False)
    check_int_arg(num_groups, "group_norm", "num_groups", 2)
    check_tensor_arg(weight, "group_norm", "weight", 3)
    check_tensor_arg(bias, "group_norm", "bias", 4)
    check_float_arg(eps, "group_norm", "eps", 5)
    num_groups = unpack_int64(num_groups)
    _check_group_norm_inputs(input, weight, bias, input.size(1), num_groups)
    check_mixed_dtypes(input, weight, bias)
    check_kernel_dtypes(input, weight, bias, "GroupNormKernelImpl")
    if not input._data.flags.c_contiguous:  # (PyTorch's group_norm runs its kernel on input.contiguous(format))
        format_ = _memory_format.suggest(input._data)
        if not input.is_contiguous(memory_format=format_):
            input = input.contiguous(memory_format=format_)
    # (and on weight.contiguous() and bias.contiguous(): a strided one is cloned, CloneBackward0 in the graph)
    if weight is not None and not weight.is_contiguous():
        weight = weight.contiguous()
    if bias is not None and not bias.is_contiguous():
        bias = bias.contiguous()
    out = GroupNorm.apply(input, weight, bias, num_groups=num_groups, eps=float(eps))
    x = input._data  # PyTorch's kernel gives a channels-last input a channels-last output, any other a C-order one
    return _memory_format.keep_channels_last(out, x) if _memory_format.may_suggest_channels_last(x) else out
