"""Convolutions of any spatial rank tap by tap, for arrays holding infinities or NaNs.

The fast layouts compute extra cells (the flat layout's columns past the last block of a row, the zero
padding of the flipped kernel's convolution, Winograd's tiles, the depth columns' zero planes), whose
products with zeros vanish only for finite values: an inf times 0 is NaN, and Winograd's transforms add
an input's inf into its neighbours' outputs with both signs. Where a result comes out (or may come out)
not finite, the entry points recompute it here from the products PyTorch's kernels form, so that as many
of its cells are inf or NaN as there, and keep their own values elsewhere (see ``where_not_finite``).

Which padding cells PyTorch multiplies depends on its backend: its reference kernels unfold the zero
padding into columns and multiply it like the input, oneDNN's direct kernels skip it. ``skipped_padding``
gives, per spatial dimension, the (before, after) cells of the padding never multiplied (None: none).

Shapes as in :mod:`.conv`, with any number of spatial dimensions: x (N, C, *size), w (O, C // groups,
*kernel), y / gy (N, O, *out); ``padding`` one (before, after) pair per spatial dimension.
"""

import numpy as np

from .im2col import conv_output_hw


def where_not_finite(fast, exact):
    """``fast`` where it and ``exact`` are both finite (its own rounding kept), else ``exact``."""
    return np.where(np.isfinite(fast) & np.isfinite(exact), fast, exact)


def _taps(kernel, stride, dilation, out):
    """For each tap (an index into the kernel): the slices of the padded input its output cells read."""
    for tap in np.ndindex(*kernel):
        yield tap, tuple(slice(t * d, t * d + s * (o - 1) + 1, s) for t, d, s, o in zip(tap, dilation, stride, out))


def _multiplied(window, size, padding, skipped_padding):
    """Whether each output cell's product at the tap reading ``window`` of the padded input is formed
    (broadcastable over the output cells), or None when all are."""
    if skipped_padding is None:
        return None
    mask = True
    for axis, (cells, n, (before, after), (skip_before, skip_after)) in enumerate(
            zip(window, size, padding, skipped_padding)):
        read = np.arange(cells.start, cells.stop, cells.step)
        inside = (read >= skip_before) & (read < before + n + after - skip_after)
        mask = mask & inside.reshape((-1,) + (1,) * (len(size) - 1 - axis))
    return None if np.all(mask) else mask


def _padded(x, padding):
    return np.pad(x, ((0, 0), (0, 0), *padding))


def _without_repeats(*arrays):
    """The arrays with every value in its own cell: NumPy's einsum multiplies a stride-0 (expanded) operand's one
    value by the sum of the other's, and inf * (a + b) is not inf * a + inf * b where a and b differ in sign."""
    return tuple(np.ascontiguousarray(a) if 0 in a.strides else a for a in arrays)


def forward(x, w, stride, padding, dilation, groups, skipped_padding=None):
    """y (N, O, *out) = conv(x, w), adding up each tap's products over the channels."""
    x, w = _without_repeats(x, w)
    N, C = x.shape[:2]
    O, Cg, *kernel = w.shape
    size = x.shape[2:]
    out = conv_output_hw(size, kernel, stride, padding, dilation)
    read_groups = _padded(x, padding).reshape(N, groups, Cg, *(n + a + b for n, (a, b) in zip(size, padding)))
    w_groups = w.reshape(groups, O // groups, Cg, *kernel)
    y = np.zeros((N, groups, O // groups, *out), np.result_type(x, w))
    for tap, window in _taps(kernel, stride, dilation, out):
        products = np.einsum("ngc...,goc->ngo...", read_groups[(Ellipsis, *window)], w_groups[(Ellipsis, *tap)])
        multiplied = _multiplied(window, size, padding, skipped_padding)
        y += products if multiplied is None else np.where(multiplied, products, 0)
    return y.reshape(N, O, *out)


def backward_input(gy, w, input_size, stride, padding, dilation, groups):
    """gx (N, C, *input_size): each output cell's products added into the (padded) input cell it read.

    Those into the padding are dropped, by PyTorch's kernels too, whether they form them or not."""
    gy, w = _without_repeats(gy, w)
    N, O, *out = gy.shape
    _, Cg, *kernel = w.shape
    gx = np.zeros((N, groups, Cg, *(n + a + b for n, (a, b) in zip(input_size, padding))), np.result_type(gy, w))
    gy_groups = gy.reshape(N, groups, O // groups, *out)
    w_groups = w.reshape(groups, O // groups, Cg, *kernel)
    for tap, window in _taps(kernel, stride, dilation, out):
        gx[(Ellipsis, *window)] += np.einsum("ngo...,goc->ngc...", gy_groups, w_groups[(Ellipsis, *tap)])
    inside = tuple(slice(a, a + n) for n, (a, _) in zip(input_size, padding))
    return gx.reshape(N, groups * Cg, *gx.shape[3:])[(slice(None), slice(None), *inside)]


def backward_weight(gy, x, kernel, stride, padding, dilation, groups, skipped_padding=None):
    """gw (O, C // groups, *kernel): summing, tap by tap, each output cell's gradient times the input cell read."""
    gy, x = _without_repeats(gy, x)
    N, C = x.shape[:2]
    O, *out = gy.shape[1:]
    size = x.shape[2:]
    read_groups = _padded(x, padding).reshape(N, groups, C // groups, *(n + a + b for n, (a, b) in zip(size, padding)))
    gy_groups = gy.reshape(N, groups, O // groups, *out)
    gw = np.empty((groups, O // groups, C // groups, *kernel), np.result_type(gy, x))
    for tap, window in _taps(kernel, stride, dilation, out):
        multiplied = _multiplied(window, size, padding, skipped_padding)
        gradient = gy_groups if multiplied is None else np.where(multiplied, gy_groups, 0)
        read = read_groups[(Ellipsis, *window)]
        gw[(Ellipsis, *tap)] = np.einsum("ngop,ngcp->goc", gradient.reshape(*gradient.shape[:3], -1),
                                         read.reshape(*read.shape[:3], -1))
    return gw.reshape(O, C // groups, *kernel)
