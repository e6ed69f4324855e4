"""im2col convolution on a flat, phase-split layout: gather taps into columns, then one GEMM.

``conv2d_*_im2col`` is the general algorithm (any stride, dilation, groups,
asymmetric zero padding).  ``conv2d_*_rowstack`` (end of this module) is a
stride-1 variant with less copying; :mod:`.winograd` and the 1x1 path in
:mod:`.conv` are the other special cases.  Shapes follow PyTorch: x (N, C, H, W), w (O, C // groups,
kH, kW), y (N, O, Ho, Wo).

The flat layout
---------------
The zero-padded input is split into its ``stride`` phases (the rows and columns
congruent to p mod sH and q mod sW).  Each phase is one flat, channel-major
vector holding, for every channel, the N phase planes of shape (Hq, Wq)::

    planes[p, q, c*L + n*Hq*Wq + r*Wq + s] = x_padded[n, c, r*sH + p, s*sW + q],   L = N*Hq*Wq

Output pixel (n, oh, ow) gets the flat index ``n*Hq*Wq + oh*Wq + ow``, and kernel
tap (i, j) of every output pixel of every channel then sits at one constant
offset in one phase: ``(i*dH // sH) * Wq + (j*dW // sW)`` in phase
``(i*dH % sH, j*dW % sW)``.  So the (C, L) block of the column matrix for a tap
is a single contiguous slice (a memcpy, not a strided gather), and the same
holds for the transposed scatter in the backward pass.  A tap of a real output
pixel never leaves its own phase plane; only the positions with oh >= Ho or
ow >= Wo, which the GEMM computes as well, read across plane or channel
boundaries.  They are cropped away (forward) or fed zeros (backward).
"""

import contextlib
import threading
from functools import lru_cache

import numpy as np

from . import blas, copy_rows, scratch
from .blas import matmul


def conv_output_hw(input_hw, kernel_hw, stride, padding, dilation):
    """PyTorch's output size (Ho, Wo) of a convolution; padding is ((top, bottom), (left, right))."""
    return tuple(
        (size + before + after - d * (k - 1) - 1) // s + 1
        for size, k, s, (before, after), d in zip(input_hw, kernel_hw, stride, padding, dilation)
    )


def phase_plane_hw(input_hw, padding, stride, spans=None):
    """(Hq, Wq): the size of one stride phase of the padded plane.

    With stride 1 and the receptive-field ``spans`` given, neighbouring rows (and
    images) share their zero padding: the padding after one row is the padding
    before the next, so a plane needs only size + max(before, after), which
    saves GEMM columns.  This is valid while every real output position stays
    inside its own row, i.e. min(before, after) <= span - 1.
    """
    hw = []
    for axis, (size, (before, after), s) in enumerate(zip(input_hw, padding, stride)):
        if s == 1 and spans is not None and min(before, after) <= spans[axis] - 1:
            hw.append(size + max(before, after))
        else:
            hw.append(-(-(size + before + after) // s))
    return tuple(hw)


def _phase_rows(phase, stride, before, size, plane_len):
    """Where input rows land in one row phase: plane row r holds padded row r*stride + phase,
    i.e. input row r*stride + phase - before.  Returns (plane rows, input rows) slices."""
    first_row = max(0, -(-(before - phase) // stride))
    first_input = first_row * stride + phase - before
    count = min(plane_len - first_row, -(-(size - first_input) // stride)) if first_input < size else 0
    count = max(count, 0)
    return slice(first_row, first_row + count), slice(first_input, first_input + stride * count, stride)


def split_phases(x, padding, stride, plane_hw, tail, role="phases"):
    """Zero-padded x (N, C, H, W) in the flat phase layout (see module docstring).

    Returns a scratch array (sH, sW, C*N*Hq*Wq + tail); the ``tail`` trailing zeros
    let the last taps be read as full-length slices.
    """
    N, C, H, W = x.shape
    (sH, sW), (Hq, Wq), ((top, _), (left, _)) = stride, plane_hw, padding
    length = N * Hq * Wq
    planes = scratch(role, (sH, sW, C * length + tail), x.dtype)
    # Two passes, each with long inner loops: first the row phases of the padded, channel-major
    # image (whole rows at a time), then the column phases (one long stride-sW gather each).
    row_phases = planes[:, 0, :C * length] if sW == 1 else scratch(role + "_rows", (sH, C * length * sW), x.dtype)
    # The copies below write the same cells on every call of one layout: the padding around them is still zero
    # from the last such call into this very buffer, and only needs zeroing for a new layout (a pass over the
    # whole buffer, 12.8 MB for the classic MNIST CNN's flipped 64x64x24x24 input gradient).
    # (the planes' shape with its tail, which places the row phases after the first)
    layout = (role, x.shape, x.dtype, planes.shape, plane_hw, top, left)
    if not _still_zero_around(planes, layout) or sW != 1:
        row_phases.fill(0)
    channel_major = x.transpose(1, 0, 2, 3)
    for p in range(sH):
        plane_rows, input_rows = _phase_rows(p, sH, top, H, Hq)
        grid = row_phases[p].reshape(C, N, Hq, Wq * sW)
        copy_rows(grid[:, :, plane_rows, left:left + W], channel_major[:, :, input_rows])
    for p in range(sH if sW > 1 else 0):
        for q in range(sW):
            planes[p, q, :C * length] = row_phases[p, q::sW]
    planes[:, :, C * length:] = 0
    return planes


_zeroed = threading.local()


def _still_zero_around(planes, layout):
    """Whether ``planes`` (a scratch array) was last filled by split_phases with this ``layout``, so that the cells
    its copies skip are still zero; records the layout as the buffer's from now on. The buffer object itself is
    kept in the record, so a new buffer (the arena released or grown) can never pass for the old one."""
    records = getattr(_zeroed, "records", None)
    if records is None:
        records = _zeroed.records = {}
    buffer = planes.base if planes.base is not None else planes
    kept = records.get(layout[0])
    records[layout[0]] = (buffer, layout)
    return kept is not None and kept[0] is buffer and kept[1] == layout


def merge_phases(planes, shape, padding, stride, plane_hw):
    """Inverse of :func:`split_phases`: a fresh array of ``shape`` (N, C, H, W) read back from the planes.

    Padding positions are dropped, which is exactly what the gradient w.r.t. the
    unpadded input needs.
    """
    N, C, H, W = shape
    (sH, sW), (Hq, Wq) = stride, plane_hw
    length = C * N * Hq * Wq
    if sW == 1:
        row_phases = planes[:, 0, :length]
    else:
        row_phases = scratch("merge_rows", (sH, length * sW), planes.dtype)
        for p in range(sH):
            for q in range(sW):
                row_phases[p, q::sW] = planes[p, q, :length]
    return merge_row_phases(row_phases, shape, padding, sH, plane_hw)


def merge_row_phases(row_phases, shape, padding, row_stride, plane_hw):
    """Fresh (N, C, H, W) array from row phases (sH, C*N*Hq*Wq*sW) whose columns are already
    interleaved: row_phases[p] holds padded rows p, p + sH, ... of every plane."""
    N, C, H, W = shape
    Hq, ((top, _), (left, _)) = plane_hw[0], padding
    x = np.empty(shape, dtype=row_phases.dtype)
    channel_major = x.transpose(1, 0, 2, 3)
    for p in range(row_stride):
        plane_rows, input_rows = _phase_rows(p, row_stride, top, H, Hq)
        grid = row_phases[p].reshape(C, N, Hq, -1)
        copy_rows(channel_major[:, :, input_rows], grid[:, :, plane_rows, left:left + W])
    return x


def kernel_taps(kernel_hw, stride, dilation, plane_width):
    """For each kernel tap (i, j) in row-major order: its phase (p, q) and flat offset in that phase."""
    (kH, kW), (sH, sW), (dH, dW) = kernel_hw, stride, dilation
    taps = []
    for i in range(kH):
        row_phase, row_shift = (i * dH) % sH, (i * dH) // sH
        for j in range(kW):
            col_phase, col_shift = (j * dW) % sW, (j * dW) // sW
            taps.append(((row_phase, col_phase), row_shift * plane_width + col_shift))
    return taps


def max_tap_offset(kernel_hw, stride, dilation, plane_width):
    """Largest tap offset: how far past the planes' end the last column slice reads."""
    (kH, kW), (sH, sW), (dH, dW) = kernel_hw, stride, dilation
    return ((kH - 1) * dH // sH) * plane_width + (kW - 1) * dW // sW


def gather_columns(planes, taps, channels, length, role="columns"):
    """Column matrix (C, taps, L): block k is the (C, L) slice of tap k's phase at its offset."""
    sH, sW, _ = planes.shape
    cols = scratch(role, (channels, len(taps), length), planes.dtype)
    offsets = [offset for _, offset in taps]
    if sH == sW == 1 and _evenly_spaced(offsets):
        # One phase and a regular offset grid: a single strided view covers every tap.
        step = offsets[1] - offsets[0] if len(offsets) > 1 else 0
        np.copyto(cols, strided_view(planes[0, 0], offsets[0], cols.shape, (length, step, 1)))
        return cols
    for k, ((p, q), offset) in enumerate(taps):
        cols[:, k, :] = planes[p, q, offset:offset + channels * length].reshape(channels, length)
    return cols


def strided_view(flat, offset, shape, strides):
    """View of the contiguous 1-D array ``flat`` with ``shape``, starting at element ``offset``
    with ``strides`` in elements (a cheaper np.lib.stride_tricks.as_strided)."""
    item = flat.itemsize
    return np.ndarray(shape, flat.dtype, buffer=flat, offset=offset * item, strides=[s * item for s in strides])


def _evenly_spaced(offsets):
    return len(offsets) == 1 or len(set(np.diff(offsets).tolist())) == 1


def scatter_columns(gcols, taps, stride, tail, role="phase_grad"):
    """Adjoint of :func:`gather_columns`: add each tap's (C, L) block of gcols (C, taps, L)
    into zeroed phase planes (sH, sW, C*L + tail) at its offset."""
    channels, _, length = gcols.shape
    planes = scratch(role, (*stride, channels * length + tail), gcols.dtype)
    planes.fill(0)
    for k, ((p, q), offset) in enumerate(taps):
        planes[p, q, offset:offset + channels * length].reshape(channels, length)[...] += gcols[:, k, :]
    return planes


def flat_to_nchw(y_flat, batch, plane_hw, out_hw, out=None):
    """(N, O, Ho, Wo) array from flat GEMM output (O, N*Hq*Wq), dropping the off-grid positions: into
    ``out`` (C-contiguous, y_flat's dtype) when given, else a fresh array."""
    O = y_flat.shape[0]
    (Hq, Wq), (Ho, Wo) = plane_hw, out_hw
    grid = y_flat[:, :batch * Hq * Wq].reshape(O, batch, Hq, Wq)
    y = np.empty((batch, O, Ho, Wo), dtype=y_flat.dtype) if out is None else out
    copy_rows(y.transpose(1, 0, 2, 3), grid[:, :, :Ho, :Wo])
    return y


def nchw_to_flat(gy, plane_hw, role="flat_grad"):
    """gy (N, O, Ho, Wo) in the flat layout (O, N*Hq*Wq), zero off the output grid."""
    N, O, Ho, Wo = gy.shape
    Hq, Wq = plane_hw
    flat = scratch(role, (O, N * Hq * Wq), gy.dtype)
    flat.fill(0)
    copy_rows(flat.reshape(O, N, Hq, Wq)[:, :, :Ho, :Wo], gy.transpose(1, 0, 2, 3))
    return flat


# Weight gradients contract over every output pixel: a long K and, for few channels, a tiny
# (M, N) result, a shape OpenBLAS runs at a fraction of its speed.  Below this many result
# entries the product is split into K chunks, multiplied as one batch and summed.
GRAM_SPLIT_MAX_OUTPUT = 64 * 64
GRAM_CHUNK = 2048


def gram(a, b):
    """a (..., M, K) times b (..., N, K) transposed: the (..., M, N) sums over the shared last axis."""
    M, K = a.shape[-2:]
    N = b.shape[-2]
    if M * N >= GRAM_SPLIT_MAX_OUTPUT or K < 2 * GRAM_CHUNK:
        return matmul(a, np.swapaxes(b, -1, -2))
    chunks = K // GRAM_CHUNK
    size = K // chunks
    split = chunks * size
    a_chunks = a[..., :split].reshape(*a.shape[:-2], M, chunks, size).swapaxes(-3, -2)  # (..., chunks, M, size)
    b_chunks = b[..., :split].reshape(*b.shape[:-2], N, chunks, size)                   # (..., N, chunks, size)
    b_chunks = np.moveaxis(b_chunks, -3, -1)                                            # (..., chunks, size, N)
    result = matmul(a_chunks, b_chunks).sum(axis=-3)   # fixed chunking and order: deterministic
    if split < K:
        result += matmul(a[..., split:], np.swapaxes(b[..., split:], -1, -2))
    return result


def grouped_matmul(a, b, groups, out=None):
    """Block-diagonal product: a (groups*Ra, Ka) and b (groups*Ka, Cb) give (groups*Ra, Cb)
    whose g-th row block is a[g-th block] @ b[g-th block].  One group is a plain GEMM."""
    if groups == 1:
        return matmul(a, b, out=out)
    Ra, Ka = a.shape[0] // groups, a.shape[1]
    result = matmul(a.reshape(groups, Ra, Ka), b.reshape(groups, Ka, -1),
                    out=None if out is None else out.reshape(groups, Ra, -1))
    return result.reshape(groups * Ra, -1)


def _geometry(input_shape, kernel_hw, stride, padding, dilation):
    """The (cached) _Geometry of a convolution; arguments may be any int sequences."""
    return _cached_geometry(tuple(input_shape), tuple(kernel_hw), tuple(stride),
                            tuple(tuple(side) for side in padding), tuple(dilation))


@lru_cache(maxsize=256)
def _cached_geometry(input_shape, kernel_hw, stride, padding, dilation):
    return _Geometry(input_shape, kernel_hw, stride, padding, dilation)


class _Geometry:
    """Sizes shared by the three im2col passes of one convolution (build through _geometry, cached)."""

    def __init__(self, input_shape, kernel_hw, stride, padding, dilation):
        N, C, H, W = input_shape
        self.batch = N
        self.out_hw = conv_output_hw((H, W), kernel_hw, stride, padding, dilation)
        spans = [d * (k - 1) + 1 for k, d in zip(kernel_hw, dilation)]
        self.plane_hw = phase_plane_hw((H, W), padding, stride, spans)
        Hq, Wq = self.plane_hw
        self.length = N * Hq * Wq
        self.taps = kernel_taps(kernel_hw, stride, dilation, Wq)
        self.tail = max_tap_offset(kernel_hw, stride, dilation, Wq)


def _input_columns(x, kernel_hw, stride, padding, dilation):
    """(geometry, column matrix (C * kH * kW, L)) of the input x: its phases' taps gathered (see the module's
    docstring), rows in the order (channel, kernel row, kernel column)."""
    geo = _geometry(x.shape, kernel_hw, stride, padding, dilation)
    planes = split_phases(x, padding, stride, geo.plane_hw, geo.tail)
    return geo, gather_columns(planes, geo.taps, x.shape[1], geo.length).reshape(-1, geo.length)


def conv2d_forward_im2col(x, w, stride, padding, dilation, groups, out=None, bias=None):
    """y (N, O, Ho, Wo) = conv(x (N, C, H, W), w (O, C // groups, kH, kW)) [+ bias (O,)] via columns
    + GEMM; into ``out`` (C-contiguous, x's dtype) when given."""
    O = w.shape[0]
    geo, cols = _input_columns(x, w.shape[2:], stride, padding, dilation)
    y_flat = scratch("gemm_out", (O, geo.length), x.dtype)
    grouped_matmul(w.reshape(O, -1), cols, groups, out=y_flat)
    if bias is not None:  # on the flat rows, which are long, before the crop into short ones
        y_flat += bias.astype(x.dtype, copy=False).reshape(O, 1)
    return flat_to_nchw(y_flat, geo.batch, geo.plane_hw, geo.out_hw, out)


def conv2d_forward_unfused(x, w, stride, padding, dilation, groups, out=None, bias=None):
    """conv2d_forward_im2col's result with each product rounded, then added to the bias (or zero) in the columns'
    order (channel, kernel row, kernel column), one rounding per step: PyTorch's reference convolution
    (slow_conv2d: columns and one GEMM per image) where MKL's GEMM adds unfused products in order (see
    torchless._cpu_features.mkl_gemm_rounds_each_product). A pass over the output per product term."""
    O = w.shape[0]
    geo, cols = _input_columns(x, w.shape[2:], stride, padding, dilation)
    cols = cols.reshape(groups, -1, geo.length)
    weights = w.reshape(groups, O // groups, -1)
    y_flat = np.zeros((groups, O // groups, geo.length), x.dtype)
    if bias is not None:  # MKL starts from C (the bias, which slow_conv2d writes there first): beta = 1
        np.copyto(y_flat, bias.reshape(groups, -1, 1), casting="unsafe")
    product = np.empty_like(y_flat[0])
    for group in range(groups):
        for term in range(weights.shape[2]):
            np.multiply(weights[group, :, term, None], cols[group, term], out=product)
            y_flat[group] += product
    return flat_to_nchw(y_flat.reshape(O, geo.length), geo.batch, geo.plane_hw, geo.out_hw, out)


def conv2d_backward_input_im2col(gy, w, input_hw, stride, padding, dilation, groups):
    """Gradient gx (N, C, H, W) w.r.t. the input: GEMM into columns, then scatter them back (col2im)."""
    N, O = gy.shape[:2]
    _, Cg, kH, kW = w.shape
    C = Cg * groups
    geo = _geometry((N, C, *input_hw), (kH, kW), stride, padding, dilation)
    gy_flat = nchw_to_flat(gy, geo.plane_hw)
    w_mat = w.reshape(groups, O // groups, Cg * kH * kW).transpose(0, 2, 1).reshape(C * kH * kW, O // groups)
    gcols = scratch("columns", (C * kH * kW, geo.length), gy.dtype)
    grouped_matmul(w_mat, gy_flat, groups, out=gcols)
    planes = scatter_columns(gcols.reshape(C, kH * kW, geo.length), geo.taps, stride, geo.tail)
    return merge_phases(planes, (N, C, *input_hw), padding, stride, geo.plane_hw)


def conv2d_backward_weight_im2col(gy, x, kernel_hw, stride, padding, dilation, groups):
    """Gradient gw (O, C // groups, kH, kW) w.r.t. the weight: gy's flat rows times the columns."""
    O = gy.shape[1]
    C = x.shape[1]
    geo, cols = _input_columns(x, kernel_hw, stride, padding, dilation)
    gy_flat = nchw_to_flat(gy, geo.plane_hw)
    K = (C // groups) * kernel_hw[0] * kernel_hw[1]
    gw = gram(gy_flat.reshape(groups, O // groups, geo.length), cols.reshape(groups, K, geo.length))
    return gw.reshape(O, C // groups, *kernel_hw)


# --------------------------------------------------------------------------- kernel rows stacked in the GEMM
# A stride-1 variant ("rowstack"): the columns hold only the kW taps of one kernel row (kW
# times the input instead of kH*kW times), because in the flat layout kernel row i reads
# the same columns shifted by i*dH*Wq.  The kH kernel rows become extra GEMM output rows,
# whose partial results are then added with that shift.  Less copying than im2col and a
# squarer GEMM (kH*O x kW*C instead of O x kH*kW*C), which BLAS runs faster.


def _row_columns(x, geo, kernel_hw, padding, dilation):
    """Columns (C, kW, L + (kH-1)*dH*Wq): row (c, j) is channel c shifted by tap j of a kernel row."""
    C = x.shape[1]
    (kH, kW), (dH, dW) = kernel_hw, dilation
    row_step = dH * geo.plane_hw[1]
    extended = geo.length + (kH - 1) * row_step
    planes = split_phases(x, padding, (1, 1), geo.plane_hw, geo.tail)
    view = strided_view(planes[0, 0], 0, (C, kW, extended), (geo.length, dW, 1))
    cols = scratch("columns", view.shape, x.dtype)
    np.copyto(cols, view)
    return cols, row_step


def conv2d_forward_rowstack(x, w, stride, padding, dilation, groups, out=None, bias=None):
    """Stride-1 convolution (N, O, Ho, Wo) [+ bias (O,)] with kernel rows stacked in the GEMM (see
    above); into ``out`` (C-contiguous, x's dtype) when given."""
    O, Cg, kH, kW = w.shape
    Og = O // groups
    geo = _geometry(x.shape, (kH, kW), stride, padding, dilation)
    cols, row_step = _row_columns(x, geo, (kH, kW), padding, dilation)
    extended = cols.shape[2]
    # Rows (kernel row i, output channel) per group; columns (input channel, kernel column j).
    w_rows = w.reshape(groups, Og, Cg, kH, kW).transpose(0, 3, 1, 2, 4).reshape(groups, kH * Og, Cg * kW)
    partial = scratch("row_partials", (groups, kH * Og, extended), x.dtype)
    matmul(w_rows, cols.reshape(groups, Cg * kW, extended), out=partial)
    partial = partial.reshape(groups, kH, Og, extended)
    y_flat = scratch("gemm_out", (groups, Og, geo.length), x.dtype)
    if bias is None:
        np.copyto(y_flat, partial[:, 0, :, :geo.length])
    else:  # added with the first kernel row's partial sums: no pass of its own
        np.add(partial[:, 0, :, :geo.length], bias.astype(x.dtype, copy=False).reshape(groups, Og, 1), out=y_flat)
    for i in range(1, kH):
        y_flat += partial[:, i, :, i * row_step:i * row_step + geo.length]
    return flat_to_nchw(y_flat.reshape(O, geo.length), geo.batch, geo.plane_hw, geo.out_hw, out)


# The same convolution in blocks of the flat positions: each block's kW shifted copies of its channels are copied,
# multiplied and their kernel rows added into y while they are in the core's cache, instead of three passes over
# whole-batch buffers (the classic MNIST CNN's flipped input gradient: 16.6 MB of columns and 8.3 MB of partial
# sums per shard). Kernel row i's partial sums at position p belong to y[p - i*dH*Wq], so each block adds them
# there, into earlier blocks' positions too: nothing is computed twice, and every value of y still sums its
# kernel rows first to last (a row's partial sums come from the same block as the rows before it or a later
# one), over the same products: the same bits as conv2d_forward_rowstack in float32 (in float64 ~0.2% of values
# measured to differ in the last bit, the blocks' products being of other lengths; the forward takes blocks only
# in float32).
ROWSTACK_BLOCK_BYTES = 4 * 2**20


def conv2d_forward_rowstack_blocked(x, w, stride, padding, dilation, groups, out=None, bias=None):
    """:func:`conv2d_forward_rowstack`'s result (stride 1), computed in blocks of positions (see above)."""
    O, Cg, kH, kW = w.shape
    Og = O // groups
    dH, dW = dilation
    geo = _geometry(x.shape, (kH, kW), stride, padding, dilation)
    flat = split_phases(x, padding, (1, 1), geo.plane_hw, geo.tail)[0, 0]
    length, row_step = geo.length, dH * geo.plane_hw[1]
    extended = length + (kH - 1) * row_step
    # (a block's columns and partial sums)
    block = min(extended, max(256, ROWSTACK_BLOCK_BYTES // ((Cg * kW + kH * Og) * groups * x.dtype.itemsize)))
    w_rows = w.reshape(groups, Og, Cg, kH, kW).transpose(0, 3, 1, 2, 4).reshape(groups, kH * Og, Cg * kW)
    columns = scratch("block_columns", (groups, Cg, kW, block), x.dtype)
    partials = scratch("block_partials", (groups, kH * Og, block), x.dtype)
    y_flat = scratch("gemm_out", (groups, Og, length), x.dtype)
    if bias is not None:
        bias = bias.astype(x.dtype, copy=False).reshape(groups, Og, 1)
    for start in range(0, extended, block):
        size = min(block, extended - start)
        # row (g, c, j) of the block: channel g*Cg + c from position start + j*dW on
        taps = strided_view(flat, start, (groups, Cg, kW, size), (Cg * length, length, dW, 1))
        block_columns = columns[..., :size]
        np.copyto(block_columns, taps)
        block_partials = matmul(w_rows, block_columns.reshape(groups, Cg * kW, size),
                                out=partials[..., :size]).reshape(groups, kH, Og, size)
        for i in range(kH):
            first = max(start, i * row_step)          # positions p of this block with 0 <= p - i*row_step < length
            stop = min(start + size, length + i * row_step)
            if first >= stop:
                continue
            source = block_partials[:, i, :, first - start:stop - start]
            target = y_flat[..., first - i * row_step:stop - i * row_step]
            if i:
                target += source
            elif bias is None:
                np.copyto(target, source)
            else:
                np.add(source, bias, out=target)
    return flat_to_nchw(y_flat.reshape(O, length), geo.batch, geo.plane_hw, geo.out_hw, out)


def conv2d_backward_weight_rowstack(gy, x, kernel_hw, stride, padding, dilation, groups):
    """Weight gradient (O, C // groups, kH, kW) of a stride-1 convolution, in one GEMM.

    gw[o, c, i, j] = sum_t gy[o, t] * cols[c, j, t + i*dH*Wq]: stacking copies of
    gy shifted by i*dH*Wq as extra GEMM rows turns the kH products into one with
    kH times more output rows, which BLAS runs much faster than kH thin ones.
    """
    O = gy.shape[1]
    C = x.shape[1]
    (kH, kW), Og, Cg = kernel_hw, O // groups, C // groups
    geo = _geometry(x.shape, kernel_hw, stride, padding, dilation)
    cols, row_step = _row_columns(x, geo, kernel_hw, padding, dilation)
    extended = cols.shape[2]
    gy_flat = nchw_to_flat(gy, geo.plane_hw).reshape(groups, Og, geo.length)
    shifted_gy = scratch("shifted_gy", (groups, kH, Og, extended), gy.dtype)
    for i in range(kH):  # (zeros only around each copy: the whole buffer is 18 MB for 4x32x64x64 -> 32 7x7)
        shifted_gy[:, i, :, :i * row_step] = 0
        shifted_gy[:, i, :, i * row_step:i * row_step + geo.length] = gy_flat
        shifted_gy[:, i, :, i * row_step + geo.length:] = 0
    gw = gram(shifted_gy.reshape(groups, kH * Og, extended), cols.reshape(groups, Cg * kW, extended))
    gw = gw.reshape(groups, kH, Og, Cg, kW).transpose(0, 2, 3, 1, 4)
    return np.ascontiguousarray(gw).reshape(O, Cg, kH, kW)


# The input gradient of a stride-1 convolution as the flipped convolution's stacked rows (see
# conv.conv2d_backward_input_flipped), skipping the padding's rows and columns. The blocked stacked rows run over gy
# padded for the flipped convolution (planes of Hq x Wq, padding shared between neighbours, see phase_plane_hw): rows
# of zeros, whose GEMM columns read only zeros and add nothing, and rows of Wq positions where gx's have W (an
# unpadded layer's rows are as long, a padded one's are not). The classic MNIST CNN's 32->64 layer computes 26 x 26
# positions an image for 24 rows of 26; 64x32x14x14->64 ("same" padding) 15 x 15 for 14 x 14. Here the columns of a
# block of images are gy's rows only, each W long: column (o, j) of an image holds its rows of channel o shifted by
# j*dW - lead_w (the flipped padding before gy's first column), zero around (zeroed once in a buffer kept per thread
# and layout: each call copies gy's rows in, no padded copy of gy first). Kernel row i's partial sums of gy's rows go
# to gx's rows i*dH - lead_h above (those inside gx), each image's in NCHW order at once (no channel-major result to
# reorder); the rows kernel row 0 does not reach start at zero. Each value still sums its kernel rows first to last
# over the same products (a missing one was an exact +0.0): the same bits as the blocked stacked rows in float32.
# Blocks of at most ROWSTACK_ROWS_BLOCK_BYTES of columns and partial sums (at least one image), which stay in the
# core's cache: thread CPU time, one thread, 30 interleaved calls, the MNIST conv2's 32-image shard (0.68 MB per
# image), median ms: blocks of 1 / 2 / 4 / 8 images 8.54 / 8.84 / 9.51 / 10.83; the same rows in whole-batch
# channel-major layout (a padded copy of gy, then each block's columns from it) 9.10-9.83, in blocks of 2 and 4
# MiB 9.43-9.72 / 9.99-10.01; the blocked stacked rows over the padded gy 9.75-10.07.
ROWSTACK_ROWS_BLOCK_BYTES = 2**20
# Up to this many bytes of one image's columns and partial sums, blocks of one image still win over the blocked stacked
# rows (same measure, the whole call, median ms): 8x64x58x58->64 3x3 (5.0 MB an image) 17.7 vs 20.3, 8x32x64x64->32
# 7x7 (6.6 MB) 26.7 vs 29.1; but 2x64x114x114->64 (19.6 MB) 20.2 vs 20.3 (the block past the cache).
ROWSTACK_ROWS_MAX_IMAGE_BYTES = 8 * 2**20

_rows_only = threading.local()
_ROWS_ONLY_KEPT = 8  # column buffers kept per thread (a model has a few such layers)


def _zero_bordered_columns(shape, dtype):
    """This thread's column buffer of ``shape`` (images, groups, O/groups, kW, Ho, W), zero wherever no gy row is
    copied: zeroed when made, its zeros never overwritten after (each column's window is the same on every call)."""
    kept = getattr(_rows_only, "columns", None)
    if kept is None:
        kept = _rows_only.columns = {}
    key = (shape, np.dtype(dtype))
    columns = kept.get(key)
    if columns is None:
        if len(kept) >= _ROWS_ONLY_KEPT:
            kept.clear()
        columns = kept[key] = np.zeros(shape, dtype)
    return columns


def conv2d_backward_input_rowstack_rows(gy, w, input_hw, padding, dilation, groups, out=None):
    """Input gradient (N, C, H, W) of the stride-1 convolution with weight ``w`` (O, C // groups, kH, kW) and
    ``padding`` ((top, bottom), (left, right)), at most the kernel's span - 1 on each side, from gy (N, O, Ho, Wo):
    the flipped convolution's stacked rows in blocks of images, over gy's rows only (see above); into ``out``
    (C-contiguous, gy's dtype) when given."""
    N, O, Ho, Wo = gy.shape
    _, Cg, kH, kW = w.shape
    Og, C = O // groups, Cg * groups
    dH, dW = dilation
    H, W = input_hw
    # gy's first row and column in the flipped convolution's padded input (the padding it needs before them)
    lead_h, lead_w = (kH - 1) * dH - padding[0][0], (kW - 1) * dW - padding[1][0]
    # the flipped kernel's rows (group, kernel row i, input channel c) by columns (output channel o, kernel column j)
    flipped = w[:, :, ::-1, ::-1].reshape(groups, Og, Cg, kH, kW)
    w_rows = np.ascontiguousarray(flipped.transpose(0, 3, 2, 1, 4)).reshape(groups, kH * Cg, Og * kW)
    rows = Ho * W
    images = max(1, min(N, ROWSTACK_ROWS_BLOCK_BYTES // rowstack_rows_image_bytes(gy.shape, w.shape, W, groups,
                                                                                   gy.dtype.itemsize)))
    columns = _zero_bordered_columns((images, groups, Og, kW, Ho, W), gy.dtype)
    partials = scratch("block_partials", (images, groups, kH, Cg, rows), gy.dtype)
    gx = np.empty((N, C, H, W), gy.dtype) if out is None else out
    gx_rows = gx.reshape(N, groups, Cg, H * W)
    # (the rows kernel row 0 does not reach: only later ones, or none, add to them)
    gx_rows[..., :min(H, lead_h) * W] = 0
    gx_rows[..., min(H, lead_h + Ho) * W:] = 0
    # column (o, j): gy's rows of channel o, value x + j*dW - lead_w at x (where that is one of gy's columns)
    windows = [(max(0, lead_w - j * dW), min(W, lead_w - j * dW + Wo)) for j in range(kW)]
    # kernel row i: gy's rows first..stop, to gx's rows from first + lead_h - i*dH (those inside gx)
    reaches = [(max(0, i * dH - lead_h), min(Ho, H + i * dH - lead_h)) for i in range(kH)]
    gy_groups = gy.reshape(N, groups, Og, Ho, Wo)
    # (BLAS held to one thread once for all the blocks' products, not switched for each: a call outside a split,
    # torchless.set_num_threads(1)'s, made 2 switches of ~4-17 us per image; not at all where OpenBLAS runs each
    # product on the calling thread anyway, as matmul knows: the course CNN's, whose switch cost its step ~5 us)
    each = kH * Cg * Og * kW * rows  # multiply-adds of each 2-D product
    with blas.single_threaded() if each > blas.BLAS_OWN_SINGLE_THREAD_MAX else contextlib.nullcontext():
        for first in range(0, N, images):
            count = min(images, N - first)
            block_columns = columns[:count]
            images_gy = gy_groups[first:first + count]
            for j, (start, stop) in enumerate(windows):
                if start < stop:
                    copy_rows(block_columns[:, :, :, j, :, start:stop],
                              images_gy[..., start + j * dW - lead_w:stop + j * dW - lead_w])
            block_partials = partials[:count]
            matmul(w_rows, block_columns.reshape(count, groups, Og * kW, rows),
                   out=block_partials.reshape(count, groups, kH * Cg, rows))
            for i, (top, bottom) in enumerate(reaches):
                if top >= bottom:
                    continue
                target_top = top + lead_h - i * dH
                target = gx_rows[first:first + count, :, :, target_top * W:(target_top + bottom - top) * W]
                source = block_partials[:, :, i, :, top * W:bottom * W]
                if i:
                    target += source
                else:
                    np.copyto(target, source)
    return gx


def rowstack_rows_image_bytes(gy_shape, w_shape, input_width, groups, itemsize):
    """Bytes of columns and partial sums one image takes in conv2d_backward_input_rowstack_rows."""
    O, Cg, kH, kW = w_shape
    return (O * kW + kH * Cg * groups) * gy_shape[2] * input_width * itemsize
