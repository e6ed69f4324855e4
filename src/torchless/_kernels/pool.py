"""2-D pooling kernels on NumPy arrays, with PyTorch's exact semantics.

All functions take x / gy in (N, C, H, W) layout and (h, w) int pairs for kernel,
stride, padding and dilation, already validated by the caller (adaptive average
pooling takes (N, C, *spatial) with any number of spatial axes).  Window sums and
maxima are computed with one vectorised pass per kernel offset (never per output
pixel); dtypes are preserved.  The 3-D kernels of :mod:`.pool3d` build on these.

Max pooling works per kernel tap, never per window, and its backward never scatters: the forward
records which tap won each window (``MaxPoolWinners``, one small integer per window) and the
backward sends, for each tap k, the gradient of the windows tap k won to the cells tap k read.
One tap never reads the same cell twice, so these per-tap writes (or sums, where windows overlap)
are exact.  PyTorch's int64 flat indices are built only when asked for.  Both passes run on a
flat phase layout (see MaxPoolGeometry) in which every tap is one contiguous slice.
"""

import functools
import itertools

import numpy as np

from . import copy_rows, parallel, scratch


def pool_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """Number of pooling windows along one axis (PyTorch's ``pooling_output_shape``)."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    # In ceil mode the last window must still start inside the input or the left padding.
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _pad_to_cover(x, padding, out_hw, kernel, stride, dilation, fill):
    """Pad x (N, C, H, W) by ``padding`` on the leading sides and enough on the trailing
    sides for every one of the out_hw windows (ceil mode may hang past the padding)."""
    N, C, H, W = x.shape
    needed = [
        max(size + 2 * p, (out - 1) * s + d * (k - 1) + 1)
        for size, p, out, k, s, d in zip((H, W), padding, out_hw, kernel, stride, dilation)
    ]
    pH, pW = padding
    if (pH, pW) == (0, 0) and tuple(needed) == (H, W):
        return x  # nothing to pad: callers only read the result
    xp = np.full((N, C, needed[0], needed[1]), fill, dtype=x.dtype)
    copy_rows(xp[:, :, pH:pH + H, pW:pW + W], x)
    return xp


def _offset_slice(offset, stride, count):
    """Slice picking ``count`` window positions, ``stride`` apart, shifted by ``offset``."""
    return slice(offset, offset + stride * (count - 1) + 1, stride)


def _lowest(dtype):
    # (by the dtype's kind: np.issubdtype costs more than a small pooling's scan step, 1.7 vs 0.1 us; bfloat16,
    # ml_dtypes' type, is of kind "V")
    return -np.inf if dtype.kind in "fV" else np.iinfo(dtype).min


def _first_valid_start(out, stride, padding, dilation):
    """Per window, the first tap position that falls inside the input (PyTorch starts its scan there)."""
    start = np.arange(out) * stride - padding
    skipped = np.where(start < 0, -(start // dilation), 0)  # ceil(-start / dilation) taps in the padding
    return start + skipped * dilation


# NumPy's maximum returns one of two equal operands (0.0 and -0.0) as its loop for the dtype does: the second in
# float32's and float64's (SIMD) loops, the first in float16's. The max-pooling scans keep the earlier tap's, as
# PyTorch's scan does (a later tap takes over only when strictly greater): these dtypes get the operands swapped.
_FIRST_ON_TIES = frozenset(np.dtype(t) for t in (np.float16, np.float32, np.float64)
                           if not np.signbit(np.maximum(np.zeros(1, t), -np.zeros(1, t)))[0])


def max_keeping_earlier(later, earlier, out=None):
    """``np.maximum(later, earlier, out=out)`` with ``earlier``'s value where the two tie (0.0 and -0.0)."""
    if earlier.dtype in _FIRST_ON_TIES:
        return np.maximum(earlier, later, out=out)
    return np.maximum(later, earlier, out=out)


def tiled_output_hw(shape, kernel, stride, padding, dilation, ceil_mode):
    """The output size (Ho, Wo) of max pooling a 4-D ``shape`` if its windows tile the input (stride =
    kernel, no padding or dilation, no ceil-mode overhang), so that :func:`tiled_max` applies; else None.
    Not for an empty input either: NumPy's reshapes of it give the all-zero strides PyTorch's output lacks."""
    if len(shape) != 4 or tuple(kernel) != tuple(stride) or tuple(padding) + tuple(dilation) != (0, 0, 1, 1) \
            or 0 in shape:
        return None
    out_hw = tuple(pool_output_size(n, k, k, 0, 1, ceil_mode) for n, k in zip(shape[2:], kernel))
    if out_hw[0] * kernel[0] > shape[2] or out_hw[1] * kernel[1] > shape[3]:
        return None
    return out_hw


def tiled_max(x, kernel, out_hw):
    """Window maxima of x (N, C, H, W) when the windows tile it (stride = kernel, no padding or
    dilation, no ceil-mode overhang): the maximum over every kW-th column, then over the kH rows of each
    window row (np.max over window axes is ~20x slower).

    Columns first, as PyTorch's scan goes along a window's rows: of equal maxima (0.0 and -0.0) the first
    in row-major order wins, the first of its row and then the first such row (by rows first, a window
    [[-inf, -0.0], [0.0, -inf]] gave 0.0). Measured against rows first (2x2, CPU time, us, best of 7, twice):
    1x5x28x28 4.4-4.5 vs 4.4, 1x10x14x14 3.8-4.0 vs 3.7-3.8, 64x10x14x14 58-63 vs 52-57, 64x32x26x26 650-720
    vs 820-870.
    """
    (kH, kW), (Ho, Wo) = kernel, out_hw
    N, C, H, W = x.shape
    if H != Ho * kH:
        x = x[:, :, :Ho * kH]
    if W != Wo * kW:
        x = x[..., :Wo * kW]
    maximum = max_keeping_earlier if x.dtype in _FIRST_ON_TIES else np.maximum  # (later, earlier): see there
    if kW == 1:
        y = x
    else:
        y = maximum(x[..., 1::kW], x[..., 0::kW])
        for j in range(2, kW):
            maximum(x[..., j::kW], y, out=y)  # propagates NaN, as PyTorch does
    rows = y.reshape(N, C, Ho, kH, Wo)
    if kH == 1:
        return np.array(rows[:, :, :, 0]) if kW == 1 else rows[:, :, :, 0]  # never a view of x
    out = maximum(rows[:, :, :, 1], rows[:, :, :, 0])
    for i in range(2, kH):
        maximum(rows[:, :, :, i], out, out=out)
    return out


# ---------------------------------------------------------------------------- max pooling geometry
def _inside(size, count, stride, shift):
    """Of the ``count`` positions k * stride + shift (k = 0, 1, ...), those inside [0, size):
    (slice of k, slice of the positions), or None if there are none."""
    lo = max(0, -(shift // stride))  # ceil(-shift / stride)
    hi = min(count, (size - 1 - shift) // stride + 1) if size - 1 - shift >= 0 else 0
    if lo >= hi:
        return None
    return slice(lo, hi), _offset_slice(lo * stride + shift, stride, hi - lo)


def _axis_first_tap(size, out, kernel, stride, padding, dilation):
    """Per window along one axis, its first tap inside [0, size), or ``kernel`` if none is."""
    start = np.arange(out) * stride - padding
    first = np.where(start < 0, -(start // dilation), 0)  # ceil(-start / dilation)
    inside = (first < kernel) & (start + first * dilation < size)
    return np.where(inside, first, kernel)


class MaxPoolGeometry:
    """Max pooling of (H, W) planes in a flat phase layout, where every kernel tap of every window
    is one contiguous slice (the layout of :mod:`.im2col`, one plane after another).

    The padded plane is split into its stride phases: phase (p, q) holds padded rows p, p + sH,
    ... and columns q, q + sW, ... as a (Hq, Wq) grid, and the grids of all P planes follow each
    other in one flat vector. Window (o, w) of plane n sits at flat position
    n*Hq*Wq + o*Wq + w, and its tap (i, j) at a constant offset from there in phase
    (i*dH % sH, j*dW % sW). So each tap is the slice [offset, offset + P*Hq*Wq) of its phase:
    whole-array operations with long inner loops, where strided (N, C, Ho, Wo) views would make
    NumPy pay its per-row overhead every Wo elements. Grid positions with o >= Ho or w >= Wo are
    computed too and ignored (their taps read across rows, harmlessly).
    """

    def __init__(self, input_hw, kernel, stride, padding, dilation, ceil_mode):
        self.input_hw = tuple(input_hw)
        self.kernel, self.stride, self.padding, self.dilation = kernel, stride, padding, dilation
        self.out_hw = tuple(pool_output_size(n, k, s, p, d, ceil_mode)
                            for n, k, s, p, d in zip(input_hw, kernel, stride, padding, dilation))
        (kH, kW), (sH, sW), (pH, pW), (dH, dW), (Ho, Wo) = kernel, stride, padding, dilation, self.out_hw
        # The padded extent the windows reach; input rows and columns past it are never read.
        span = [(out - 1) * s + (k - 1) * d + 1 for out, k, s, d in zip(self.out_hw, kernel, stride, dilation)]
        self.grid_hw = Hq, Wq = tuple(-(-n // s) for n, s in zip(span, stride))
        self.tap_count = kH * kW
        self.id_dtype = np.min_scalar_type(self.tap_count)  # ids go up to tap_count: "no tap inside"
        self.taps = tuple((i * kW + j, ((i * dH) % sH, (j * dW) % sW), (i * dH // sH) * Wq + (j * dW // sW))
                          for i in range(kH) for j in range(kW))
        self.tail = max(offset for _, _, offset in self.taps)
        self.phases = sorted({phase for _, phase, _ in self.taps})
        # Where each used phase's grid takes its cells from the input: (grid index, input index).
        self.phase_cells = {}
        for p, q in self.phases:
            rows, cols = _inside(self.input_hw[0], Hq, sH, p - pH), _inside(self.input_hw[1], Wq, sW, q - pW)
            if rows is not None and cols is not None:
                self.phase_cells[p, q] = (rows[0], cols[0]), (rows[1], cols[1])
        # Grid cells outside the input hold the padding value (-inf in the forward).
        self.grid_inside_input = all(
            (grid_rows, grid_cols) == (slice(0, Hq), slice(0, Wq)) for (grid_rows, grid_cols), _ in
            self.phase_cells.values()) and len(self.phase_cells) == len(self.phases)
        first_row, first_col = (_axis_first_tap(n, out, k, s, p, d) for n, out, k, s, p, d in
                                zip(self.input_hw, self.out_hw, kernel, stride, padding, dilation))
        no_tap = (first_row[:, None] == kH) | (first_col[None, :] == kW)
        self.first_tap = np.where(no_tap, self.tap_count,
                                  first_row[:, None] * kW + first_col[None, :]).astype(self.id_dtype)
        self.every_window_has_a_tap = not no_tap.any()
        # Some window has a tap in the padding (or past the input): such a tap must never be
        # reported as the maximum (PyTorch only scans taps inside the input).
        self.taps_outside_input = any(
            _inside(n, out, s, t * d - p) != (slice(0, out), _offset_slice(t * d - p, s, out))
            for n, out, k, s, p, d in zip(self.input_hw, self.out_hw, kernel, stride, padding, dilation)
            for t in range(k))
        # Without padding, grid rows of a row phase are whole input rows (W == Wq * sW): see _split_phases.
        self.grid_rows_are_input_rows = self.grid_inside_input and (pH, pW) == (0, 0) \
            and self.input_hw[1] == Wq * sW and Hq * sH <= self.input_hw[0]
        # Every input cell lies in the grid of a used phase (else its gradient is 0 by default).
        self.grid_covers_input = len(self.phases) == sH * sW and all(
            n + p <= g * s for n, p, g, s in zip(self.input_hw, padding, self.grid_hw, stride))
        # Each tap alone in its own phase at offset 0: the backward can write instead of accumulate.
        self.one_tap_per_phase = len(self.phases) == len(self.taps) and self.tail == 0
        # Windows that tile the input (stride = kernel, no padding or dilation, none past the input):
        # each tap is then a plain strided view of the planes, and the grid is the output.
        self.tiles = (tuple(kernel) == tuple(stride) and (pH, pW) == (0, 0) and (dH, dW) == (1, 1)
                      and Ho * kH <= self.input_hw[0] and Wo * kW <= self.input_hw[1])

    def grid_length(self, planes):
        return planes * self.grid_hw[0] * self.grid_hw[1]

    def crop(self, grid_values, planes):
        """The (planes, Ho, Wo) windows of flat grid values (planes * Hq * Wq,), as a view."""
        (Ho, Wo) = self.out_hw
        return grid_values.reshape((planes,) + self.grid_hw)[:, :Ho, :Wo]

    def flat_indices(self, ids):
        """PyTorch's int64 ``indices`` (flat h * W + w in the input plane) from winner ids (P, Ho, Wo)."""
        (kH, kW), (sH, sW), (pH, pW), (dH, dW), W = self.kernel, self.stride, self.padding, self.dilation, \
            self.input_hw[1]
        tap_offsets = np.array([i * dH * W + j * dW for i in range(kH) for j in range(kW)] + [0], dtype=np.int64)
        (Ho, Wo) = self.out_hw
        window_origin = (np.arange(Ho) * sH - pH)[:, None] * W + (np.arange(Wo) * sW - pW)[None, :]
        indices = np.take(tap_offsets, ids)
        indices += window_origin
        if not self.every_window_has_a_tap:
            # PyTorch still reports the window's first tap past its padding, even outside the plane.
            first_valid = (_first_valid_start(Ho, sH, pH, dH)[:, None] * W
                           + _first_valid_start(Wo, sW, pW, dW)[None, :])
            indices = np.where(ids == self.tap_count, first_valid, indices)
        return indices


@functools.lru_cache(maxsize=64)
def max_pool_geometry(input_hw, kernel, stride, padding, dilation, ceil_mode):
    """The (cached) MaxPoolGeometry of one call signature; all arguments but ceil_mode are int pairs."""
    stride = tuple(_single_window_stride(*axis, ceil_mode) for axis in zip(input_hw, kernel, stride, padding, dilation))
    return MaxPoolGeometry(input_hw, kernel, stride, padding, dilation, ceil_mode)


def _single_window_stride(size, kernel, stride, padding, dilation, ceil_mode):
    """``stride``, or a smaller one giving the same windows: along an axis with a single window the stride
    plays no part, but the phase layout's grids grow with it (a stride of 10**6 asked for terabytes)."""
    if pool_output_size(size, kernel, stride, padding, dilation, ceil_mode) != 1:
        return stride  # several windows: the stride is below size + padding already
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    # beyond |span| (one window, flooring or ceiling) and past size + padding (ceil mode drops a second one)
    return min(stride, abs(span) + size + padding + 1)


def _geometry_of(x, kernel, stride, padding, dilation, ceil_mode):
    return max_pool_geometry(tuple(x.shape[2:]), tuple(kernel), tuple(stride), tuple(padding), tuple(dilation),
                             bool(ceil_mode))


class MaxPoolWinners:
    """Which tap won each max-pooling window, all the backward needs: ``ids`` (P, Hq, Wq), in the
    geometry's grid layout, holds the winner's scan-order id i * kW + j (kH * kW for a window
    without any tap inside the input; arbitrary at grid positions past the windows, whose
    gradient is 0); ``shape`` is the (N, C) that the P planes stand for. One byte per window,
    where PyTorch keeps 8."""

    __slots__ = ("ids", "geometry", "shape")

    def __init__(self, ids, geometry, shape):
        self.ids, self.geometry, self.shape = ids, geometry, shape

    def flat_indices(self):
        """PyTorch's int64 indices (N, C, Ho, Wo): flat positions h * W + w in the input plane."""
        planes = self.ids.shape[0]
        ids = self.geometry.crop(self.ids, planes)
        return self.geometry.flat_indices(ids).reshape(self.shape + self.geometry.out_hw)


# ---------------------------------------------------------------------------- max pooling forward
# Grid positions per block in the forward scan and the backward: all taps run over one block before
# the next, so the block's winners, gradients and temporaries stay in cache across the taps.
SCAN_BLOCK = BACKWARD_BLOCK = 1 << 17


def _split_phases(planes, geometry, fill):
    """x planes (P, H, W) in the geometry's flat phase layout: a scratch array (sH, sW, P*Hq*Wq + tail)
    whose used phases hold the input and ``fill`` wherever the grid lies outside it."""
    P = planes.shape[0]
    (sH, sW), length = geometry.stride, geometry.grid_length(P)
    phases = scratch("max_pool_phases", (sH, sW, length + geometry.tail), planes.dtype)
    for phase in geometry.phases:
        if geometry.grid_inside_input:
            phases[phase][length:] = fill
        else:
            phases[phase].fill(fill)
    if geometry.grid_rows_are_input_rows and planes.strides[-1] == planes.itemsize:
        # Two passes with long inner loops (measured 1.1x and 1.5x faster on the course CNN's two
        # 2x2 pools than one strided copy per phase): whole input rows of each row phase, then each column
        # phase as one stride-sW slice of those rows.
        Hq, W = geometry.grid_hw[0], geometry.input_hw[1]
        for p in sorted({p for p, _ in geometry.phases}):
            rows = scratch("max_pool_phase_rows", (P, Hq, W), planes.dtype)
            copy_rows(rows, planes[:, p::sH][:, :Hq])
            for q in (q for row, q in geometry.phases if row == p):
                phases[p, q, :length] = rows.reshape(-1)[q::sW]
        return phases
    for phase, ((grid_rows, grid_cols), (rows, cols)) in geometry.phase_cells.items():
        phases[phase][:length].reshape((P,) + geometry.grid_hw)[:, grid_rows, grid_cols] = planes[:, rows, cols]
    return phases


def _scan_taps(phases, geometry, best, with_ids, nan_aware):
    """Window maxima into ``best`` (the grid, flat) and, ``with_ids``, the winners' ids, scanning
    the taps in order like PyTorch's CPU kernel: a tap replaces the current winner when strictly
    greater (so the first maximum wins ties) or, if ``nan_aware``, when it is NaN (so the last NaN
    wins). All taps run over one block of the grid before the next, as in the backward."""
    length = best.size
    ids = np.zeros(length, geometry.id_dtype) if with_ids else None
    better = scratch("max_pool_better", (min(length, SCAN_BLOCK),), bool)
    claim = scratch("max_pool_claim", (min(length, SCAN_BLOCK),), geometry.id_dtype)
    (_, first_phase, first_offset), later_taps = geometry.taps[0], geometry.taps[1:]
    for start in range(0, length, SCAN_BLOCK):
        stop = min(length, start + SCAN_BLOCK)
        best_block = best[start:stop]
        np.copyto(best_block, phases[first_phase][first_offset + start:first_offset + stop])
        for tap_id, phase, offset in later_taps:
            _scan_tap(best_block, None if ids is None else ids[start:stop], phases[phase][offset + start:offset + stop],
                      tap_id, nan_aware, better[:stop - start], claim[:stop - start])
    return ids


def _scan_tap(best, ids, candidate, tap_id, nan_aware=False, better=None, claim=None):
    """One step of the scan, in place: ``candidate`` (tap ``tap_id``) becomes the winner in ``ids``
    (None: not tracked) where it is strictly greater than ``best`` or, if ``nan_aware``, NaN; then
    ``best`` takes the maximum. ``better`` and ``claim`` are optional scratch outputs."""
    if ids is not None:
        is_better = np.greater(candidate, best, out=better)
        if nan_aware:
            is_better |= np.isnan(candidate)
        # Taps are scanned in increasing id, so a tap that beats the current winner has a larger
        # id than it: max(winner, better * id) selects without a (slow, branchy) np.where.
        tap_claim = np.multiply(is_better.view(np.uint8), tap_id, dtype=ids.dtype, out=claim)
        np.maximum(ids, tap_claim, out=ids)
    # NaN propagates, as PyTorch's maximum does; on ties the first maximum's value stays (0.0 before -0.0, as
    # PyTorch's scan keeps it)
    max_keeping_earlier(candidate, best, out=best)


# Up to this many input values, tiling windows are scanned on strided views of the taps: the phase
# layout's fixed cost (a dozen scratch arrays and passes) dominates small inputs, its long inner
# loops win on large ones (2x2, us, views vs phases: 1x5x28x28 45 vs 94, 1x10x14x14 41 vs 88,
# 4x32x28x28 201 vs 200, 8x32x28x28 353 vs 296).
SMALL_TILED_SCAN = 1 << 16


def _tiled_scan(planes, geometry, with_ids):
    """(y, ids or None) like _max_pool_planes for tiling windows, or None if a NaN needs its rule."""
    (kH, kW), (Ho, Wo) = geometry.kernel, geometry.out_hw
    taps = [planes[:, i:Ho * kH:kH, j:Wo * kW:kW] for i in range(kH) for j in range(kW)]
    best = np.array(taps[0])
    ids = np.zeros(best.shape, geometry.id_dtype) if with_ids else None
    for tap_id, tap in enumerate(taps[1:], start=1):
        _scan_tap(best, ids, tap, tap_id)
    if with_ids and planes.dtype.kind in "fV" and np.isnan(best).any():
        return None
    return best, ids


def _max_pool_planes(planes, geometry, with_ids):
    """(y (P, Ho, Wo), ids (P, Hq, Wq) or None) of max pooling the planes (P, H, W)."""
    if geometry.tiles and planes.size <= SMALL_TILED_SCAN:
        scanned = _tiled_scan(planes, geometry, with_ids)
        if scanned is not None:
            return scanned
    P, lowest = planes.shape[0], _lowest(planes.dtype)
    length = geometry.grid_length(P)
    phases = _split_phases(planes, geometry, lowest)
    if geometry.grid_hw == geometry.out_hw:
        best = np.empty(length, planes.dtype)
        ids = _scan_taps(phases, geometry, best, with_ids, nan_aware=False)
        y = best.reshape((P,) + geometry.out_hw)
    else:  # the grid has positions past the windows: scan in scratch, keep the windows
        best = scratch("max_pool_best", (length,), planes.dtype)
        ids = _scan_taps(phases, geometry, best, with_ids, nan_aware=False)
        y = np.ascontiguousarray(geometry.crop(best, P))
    if not with_ids:
        return y, None
    if planes.dtype.kind in "fV" and np.isnan(y).any():  # rare: redo the scan with the NaN rule
        ids = _scan_taps(phases, geometry, scratch("max_pool_best", (length,), planes.dtype), True, nan_aware=True)
    if geometry.taps_outside_input:
        # A window whose taps inside the input are all -inf ties with its padding; PyTorch reports
        # its first tap inside the input (or a sentinel position when it has none).
        empty = y == lowest
        if empty.any():
            window_ids = geometry.crop(ids, P)
            np.copyto(window_ids, np.broadcast_to(geometry.first_tap, window_ids.shape), where=empty)
    return y, ids.reshape((P,) + geometry.grid_hw)


def max_pool2d_forward_winners(x, kernel, stride, padding, dilation, ceil_mode):
    """Max pooling of x (N, C, H, W) with implicit -inf padding: y (N, C, Ho, Wo) and the
    MaxPoolWinners that the backward (and PyTorch-style ``flat_indices``) need.

    Like PyTorch's CPU kernel: the first maximum in scan order wins ties, and any NaN in a
    window wins (the last one).
    """
    N, C, H, W = x.shape
    geometry = _geometry_of(x, kernel, stride, padding, dilation, ceil_mode)
    planes = x.reshape(N * C, H, W)
    slices = _plane_shards(planes)
    if slices is None:
        y, ids = _max_pool_planes(planes, geometry, with_ids=True)
    else:
        parts = parallel.run_shards(_max_pool_planes, [(planes[part], geometry, True) for part in slices])
        y, ids = (np.concatenate(results) for results in zip(*parts))
    return y.reshape((N, C) + geometry.out_hw), MaxPoolWinners(ids, geometry, (N, C))


# A window's scan costs a few operations per input cell (forward) or per tap (backward).
POOL_FLOP_PER_INPUT = 4


def _plane_shards(planes):
    """Slices of the planes (P, H, W) to pool on all cores at once, or None to pool them whole."""
    count = parallel.shard_count(planes.shape[0], POOL_FLOP_PER_INPUT * planes.size)
    return None if count == 1 else parallel.split(planes.shape[0], count)


def max_pool2d_forward(x, kernel, stride, padding, dilation, ceil_mode, with_indices=True):
    """Max pooling of x (N, C, H, W) with implicit -inf padding.

    Returns (y, indices), both (N, C, Ho, Wo); indices are int64 flat positions
    h * W + w in the unpadded input plane.  Like PyTorch's CPU kernel: the first
    maximum in scan order wins ties, and any NaN in a window wins (the last one).
    Without ``with_indices`` the argmax search (most of the work) is skipped and
    indices is None.
    """
    if with_indices:
        y, winners = max_pool2d_forward_winners(x, kernel, stride, padding, dilation, ceil_mode)
        return y, winners.flat_indices()
    N, C, H, W = x.shape
    tiled_hw = tiled_output_hw(x.shape, kernel, stride, padding, dilation, ceil_mode)
    if tiled_hw is not None:
        return tiled_max(x, kernel, tiled_hw), None
    geometry = _geometry_of(x, kernel, stride, padding, dilation, ceil_mode)
    y, _ = _max_pool_planes(x.reshape(N * C, H, W), geometry, with_ids=False)
    return y.reshape((N, C) + geometry.out_hw), None


# ---------------------------------------------------------------------------- max pooling backward
def _select(values_bits, ids, tap_id, out):
    """values where ids == tap_id, else 0, bit for bit (so an inf or NaN gradient goes to its
    winner only, as PyTorch's scatter puts it): values_bits & (0 or all ones), written to ``out``."""
    won = np.equal(ids, tap_id, out=scratch("max_pool_won", ids.shape, bool))
    mask = np.negative(won.view(np.uint8), dtype=out.dtype, casting="unsafe",
                       out=scratch("max_pool_mask", ids.shape, out.dtype))
    return np.bitwise_and(values_bits, mask, out=out)


def _grid_gradient(gy_planes, geometry):
    """gy (P, Ho, Wo) as flat grid values (P*Hq*Wq,), 0 at the positions past the windows: their
    winner ids are arbitrary, so whichever tap they name receives nothing."""
    P = gy_planes.shape[0]
    if geometry.grid_hw == geometry.out_hw and gy_planes.flags.c_contiguous:
        return gy_planes.reshape(-1)
    grid = scratch("max_pool_grid_gradient", (P,) + geometry.grid_hw, gy_planes.dtype)
    (Ho, Wo) = geometry.out_hw
    grid[:, :Ho, :Wo] = gy_planes
    grid[:, Ho:, :] = 0
    grid[:, :Ho, Wo:] = 0
    return grid.reshape(-1)


def _merge_phases(gphases, geometry, P, dtype):
    """The (P, H, W) input gradient from the phase-layout gradient: each used phase's grid goes
    back to its input cells; cells in no used phase's grid get 0."""
    H, W = geometry.input_hw
    gx = (np.empty if geometry.grid_covers_input else np.zeros)((P, H, W), dtype)
    length = geometry.grid_length(P)
    for phase, ((grid_rows, grid_cols), (rows, cols)) in geometry.phase_cells.items():
        gx[:, rows, cols] = gphases[phase][:length].reshape((P,) + geometry.grid_hw)[:, grid_rows, grid_cols]
    return gx


def _tiled_pairs_backward(gy_planes, ids, geometry, out=None):
    """Backward of windows that tile the input (stride = kernel, no padding or dilation) whose row
    of kW cells fits one unsigned integer ("pair": 8 bytes for float32 2x2). Each window row of gx
    is then gy's bits shifted into the winner's lane, or 0 (a shift by >= 64 bits gives 0 in
    NumPy), shifted straight into gx's kernel row i seen as pairs (``out``, C-contiguous, when given)."""
    P = gy_planes.shape[0]
    (kH, kW), (Ho, Wo), (H, W) = geometry.kernel, geometry.out_hw, geometry.input_hw
    lane = np.dtype(f"u{gy_planes.dtype.itemsize}")
    pair = np.dtype(f"u{gy_planes.dtype.itemsize * kW}")
    gx = np.empty((P, H, W), gy_planes.dtype) if out is None else out
    gx[:, Ho * kH:] = 0
    gx_pairs = gx[:, :Ho * kH].reshape(P, Ho, kH, Wo * kW).view(pair)  # (P, Ho, kH, Wo)
    wide = np.ascontiguousarray(gy_planes).view(lane).astype(pair)
    ids = ids.reshape(P, Ho, Wo)
    shift = scratch("max_pool_shift", ids.shape, np.uint8)
    for i in range(kH):
        # (id - i*kW) * lane bits, modulo 256: the winner's lane in kernel row i, or >= 64 (see
        # _pairs_fit) for a winner in another row or no winner.
        np.subtract(ids, i * kW, out=shift, dtype=np.uint8, casting="unsafe")
        np.multiply(shift, 8 * lane.itemsize, out=shift, dtype=np.uint8, casting="unsafe")
        np.left_shift(wide, shift, out=gx_pairs[:, :, i], casting="unsafe")
    return gx


@functools.lru_cache(maxsize=64)
def _pairs_fit(geometry, dtype):
    """Whether _tiled_pairs_backward applies: tiling windows, a kernel row of exactly 8, 4 or 2
    bytes, and every wrong row's or missing winner's shift amount >= the pair's bit width."""
    (kH, kW), (Ho, Wo), (H, W) = geometry.kernel, geometry.out_hw, geometry.input_hw
    if not (tuple(geometry.stride) == (kH, kW) and tuple(geometry.padding) == (0, 0)
            and tuple(geometry.dilation) == (1, 1) and Ho * kH <= H and Wo * kW == W
            and kW * dtype.itemsize in (2, 4, 8) and np.little_endian):
        return False
    lane_bits, pair_bits = 8 * dtype.itemsize, 8 * dtype.itemsize * kW
    return all(((r * lane_bits) % 256 >= pair_bits) != (0 <= r < kW)
               for r in range(-(kH - 1) * kW, geometry.tap_count + 1))


def max_pool2d_backward_winners(gy, winners):
    """Gradient (N, C, H, W) of max pooling given gy (N, C, Ho, Wo) and the forward's winners.

    Tap by tap, never by scatter: the gradient of the windows a tap won (bit-exact, see _select)
    goes to the slice of the phase layout that tap read, written when each tap has a phase of
    its own, else accumulated. A window without any tap inside the input sends its gradient nowhere.
    """
    geometry = winners.geometry
    N, C, Ho, Wo = gy.shape
    gy_planes = gy.reshape(N * C, Ho, Wo)
    gx_shape = (N, C) + geometry.input_hw
    # Counted on gy, although the passes run over gx (4x larger for 2x2 windows): split on gx's size, the classic
    # MNIST CNN's (64, 64, 12, 12) -> 24x24 backward (2.0 ms whole, 1.2-1.3 ms of CPU per half) measured no faster
    # on the shared 2-core host, and often far slower (median 8-20 ms) whenever the other core was busy (session 36).
    slices = _plane_shards(gy_planes)
    if slices is None:
        return _max_pool_backward_planes(gy_planes, winners.ids, geometry).reshape(gx_shape)
    gx = np.empty((N * C,) + geometry.input_hw, gy.dtype)
    parallel.run_shards(parallel.into, [(gx[part], _max_pool_backward_planes, gy_planes[part], winners.ids[part],
                                         geometry) for part in slices])
    return gx.reshape(gx_shape)


def max_pool2d_backward_images_into(gx, gy_images, winners, images):
    """``gx[images] = `` max_pool2d_backward_winners(gy, winners)[images], given ``gy_images`` = gy[images]: the
    gradient of the images (a slice of the batch) alone, written into their part of the C-contiguous (N, C, H, W)
    ``gx`` (a consumer's split call fills each shard's part this way: see Convolution.takes_gradient_later)."""
    N, C = gx.shape[:2]
    planes = slice(images.start * C, images.stop * C)
    gy_planes = gy_images.reshape(-1, *gy_images.shape[2:])
    gx_planes = gx.reshape(N * C, *gx.shape[2:])[planes]
    _max_pool_backward_planes(gy_planes, winners.ids[planes], winners.geometry, gx_planes)


def _max_pool_backward_planes(gy_planes, ids, geometry, out=None):
    """The (P, H, W) input gradient of max pooling, given gy (P, Ho, Wo) and the winners' ids (P, Hq, Wq); written
    into ``out`` when given."""
    P, dtype = gy_planes.shape[0], gy_planes.dtype
    if _pairs_fit(geometry, dtype):
        return _tiled_pairs_backward(gy_planes, ids, geometry, out)
    if out is not None:
        out[...] = _max_pool_backward_planes(gy_planes, ids, geometry)
        return out
    (sH, sW), length = geometry.stride, geometry.grid_length(P)
    bits = np.dtype(f"u{dtype.itemsize}")
    values = _grid_gradient(gy_planes, geometry).view(bits)
    ids = ids.reshape(-1)
    gphases = scratch("max_pool_grad_phases", (sH, sW, length + geometry.tail), dtype)
    if not geometry.one_tap_per_phase:
        for phase in geometry.phases:
            gphases[phase].fill(0)
    share = scratch("max_pool_share", (min(length, BACKWARD_BLOCK),), bits)
    # Accumulating, gy * (ids == tap) is exact for finite gy (its zeros add nothing) and one
    # pass cheaper than the bitwise select (10-15% on 3x3 windows); inf or NaN need the select.
    finite = not geometry.one_tap_per_phase and bool(np.isfinite(gy_planes).all())
    # Block by block, all taps over one block: its ids, gradient and temporaries stay in cache
    # across the taps instead of streaming from memory once per tap. The taps go last to first: a
    # cell's later windows read it by earlier taps, so it sums its windows' gradients in window
    # order, as PyTorch's kernel does (the same bits where windows overlap, float16's too).
    for start in range(0, length, BACKWARD_BLOCK):
        stop = min(length, start + BACKWARD_BLOCK)
        block_values, block_ids = values[start:stop], ids[start:stop]
        for tap_id, phase, offset in reversed(geometry.taps):
            target = gphases[phase][offset + start:offset + stop]
            if geometry.one_tap_per_phase:
                _select(block_values, block_ids, tap_id, out=target.view(bits))
            elif finite:
                won = np.equal(block_ids, tap_id, out=scratch("max_pool_won", block_ids.shape, bool))
                target += np.multiply(block_values.view(dtype), won, out=share[:stop - start].view(dtype))
            else:
                target += _select(block_values, block_ids, tap_id, out=share[:stop - start]).view(dtype)
    return _merge_phases(gphases, geometry, P, dtype)


# NumPy >= 1.25 has a fast path for ufunc.at on plain dtypes; there np.add.at beats
# np.bincount (which also round-trips through float64) by ~1.7x on the benchmark shapes.
_FAST_ADD_AT = tuple(int(part) for part in np.__version__.split(".")[:2]) >= (1, 25)


def max_pool2d_backward(gy, indices, input_shape):
    """Scatter-add gy (N, C, Ho, Wo) into a zero (N, C, H, W) gradient at the flat ``indices``.

    For argmax indices without a tap structure (adaptive max pooling, or callers holding
    PyTorch-style indices); max_pool2d itself uses the scatter-free max_pool2d_backward_winners.
    Windows may overlap, so indices can repeat and must accumulate.  An index
    past its plane (PyTorch's answer for a window without any in-bounds tap) is
    dropped instead of leaking into the next plane.
    """
    N, C, H, W = input_shape
    plane = H * W
    windows = gy.shape[2] * gy.shape[3]
    flat = indices.reshape(N * C, windows) + (np.arange(N * C, dtype=np.int64) * plane)[:, None]
    values = gy.reshape(N * C, windows)
    if indices.size and (indices.min() < 0 or indices.max() >= plane):
        keep = ((indices >= 0) & (indices < plane)).reshape(N * C, windows)
        flat, values = flat[keep], values[keep]
    if _FAST_ADD_AT:
        gx = np.zeros(N * C * plane, dtype=gy.dtype)
        np.add.at(gx, flat.ravel(), values.ravel())
        return gx.reshape(input_shape)
    summed = np.bincount(flat.ravel(), weights=values.ravel(), minlength=N * C * plane)
    return summed.astype(gy.dtype, copy=False).reshape(input_shape)


def _avg_divisor(in_size, out, kernel, stride, padding, count_include_pad):
    """Per-window element count along one axis, PyTorch style.

    With count_include_pad the padding counts, but not the part of a ceil-mode
    window that hangs past the padded edge.
    """
    start = np.arange(out) * stride - padding
    end = np.minimum(start + kernel, in_size + padding)
    if count_include_pad:
        return end - start
    return np.minimum(end, in_size) - np.maximum(start, 0)


def _avg_pool_divisor(input_size, out_size, kernel, stride, padding, count_include_pad, divisor_override, dtype):
    """Divisor of each output window, broadcastable to the output's spatial shape, in ``dtype``: the
    product of the per-axis counts (PyTorch's pool size is that product along any number of axes)."""
    if divisor_override is not None:
        return np.asarray(divisor_override, dtype=dtype)
    counts = [_avg_divisor(size, out, k, s, p, count_include_pad)
              for size, out, k, s, p in zip(input_size, out_size, kernel, stride, padding)]
    return functools.reduce(np.multiply.outer, counts).astype(dtype)


def _avg_pool_out_hw(input_hw, kernel, stride, padding, ceil_mode):
    return tuple(
        pool_output_size(size, k, s, p, 1, ceil_mode)
        for size, k, s, p in zip(input_hw, kernel, stride, padding)
    )


def _window_taps(padded, kernel, stride, out_size):
    """The views (N, C, *out_size) of ``padded`` (N, C, *spatial) at each kernel tap, in PyTorch's order of a
    window's elements (depth by depth, row by row, left to right)."""
    return [padded[(slice(None), slice(None)) + tuple(_offset_slice(t, s, n) for t, s, n in zip(tap, stride, out_size))]
            for tap in itertools.product(*map(range, kernel))]


def _covering_shape(input_size, kernel, stride, padding, out_size):
    """The spatial shape of the zero-padded input every window lies in (ceil mode may hang past the padding)."""
    return tuple(max(size + 2 * p, (out - 1) * s + k)
                 for size, k, s, p, out in zip(input_size, kernel, stride, padding, out_size))


def avg_pool_sums(x, kernel, stride, padding, out_size):
    """Window sums (N, C, *out_size) of x (N, C, *spatial: 2 or 3 axes) with zero padding, one pass per kernel tap.

    Each window is summed in PyTorch's order (see _window_taps), as its kernels (NCHW and channels-last alike) sum
    it: the same float32 bits. (A separable sum, axis after axis, would take kH + kW passes instead of kH * kW but
    adds in another order wherever the kernel has two axes or more.)
    """
    if len(out_size) == 2:
        padded = _pad_to_cover(x, padding, out_size, kernel, stride, (1, 1), 0)
    elif any(padding) or _covering_shape(x.shape[2:], kernel, stride, padding, out_size) != x.shape[2:]:
        padded = np.zeros(x.shape[:2] + _covering_shape(x.shape[2:], kernel, stride, padding, out_size), x.dtype)
        padded[_crop(padding, x.shape[2:])] = x
    else:
        padded = x
    taps = _window_taps(padded, kernel, stride, out_size)
    y = np.empty(x.shape[:2] + tuple(out_size), dtype=x.dtype)
    # The first two taps summed into y at once (not added to zeros): a pass fewer. PyTorch's sum starts
    # from +0, which only a window of -0.0 alone would show.
    np.add(taps[0], taps[1] if len(taps) > 1 else 0, out=y)
    for tap in taps[2:]:
        y += tap
    return y


def avg_pool2d_forward(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """Average pooling of x (N, C, H, W) with zero padding; returns y (N, C, Ho, Wo)."""
    input_hw = x.shape[2:]
    out_hw = _avg_pool_out_hw(input_hw, kernel, stride, padding, ceil_mode)
    y = avg_pool_sums(x, kernel, stride, padding, out_hw)
    y /= _avg_pool_divisor(input_hw, out_hw, kernel, stride, padding, count_include_pad, divisor_override, x.dtype)
    return y


def avg_pool2d_backward(gy, input_shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """Gradient (N, C, H, W) of avg_pool2d_forward given gy (N, C, Ho, Wo)."""
    divisor = _avg_pool_divisor(input_shape[2:], gy.shape[2:], kernel, stride, padding, count_include_pad,
                                divisor_override, gy.dtype)
    return avg_pool_spread(gy / divisor, input_shape, kernel, stride, padding)


def _crop(padding, size):
    """The index of the input's cells (N, C, *size) in its copy padded by ``padding`` on the leading sides."""
    return (slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in zip(padding, size))


def avg_pool_spread(g, input_shape, kernel, stride, padding):
    """The adjoint of avg_pool_sums: each input cell (N, C, *spatial) gets the sum of the values g (N, C, *out_size)
    of the windows holding it."""
    out_size, size = g.shape[2:], input_shape[2:]
    if len(size) == 2 and tuple(kernel) == tuple(stride) and not any(padding) and \
            tuple(n * k for n, k in zip(out_size, kernel)) == tuple(size):
        # Windows tile the input exactly: every input cell gets its window's share, once.  Fill
        # the first row of each window column by column, then copy it to the window's other
        # rows (long strided loops; a broadcasting assignment would loop over kW elements).
        (N, C, _, W), (kH, kW), Ho = input_shape, kernel, out_size[0]
        gx = np.empty(input_shape, dtype=g.dtype)
        windows = gx.reshape(N, C, Ho, kH, W)
        for j in range(kW):
            windows[:, :, :, 0, j::kW] = g
        for i in range(1, kH):
            windows[:, :, :, i, :] = windows[:, :, :, 0, :]
        return gx
    padded = np.zeros(tuple(input_shape[:2]) + _covering_shape(size, kernel, stride, padding, out_size), g.dtype)
    # One pass per tap, taps last to first: each cell then sums its windows' shares in the windows' order
    # (see _window_taps), as PyTorch's backward kernels do.
    for tap in reversed(_window_taps(padded, kernel, stride, out_size)):
        tap += g
    if padded.shape[2:] == tuple(size):
        return padded
    # (a copy also where the crop is contiguous (only rows cut from the end): NumPy's flag overlooks its size-1
    # dims' strides, which PyTorch shows)
    return padded[_crop(padding, size)].copy()


def _adaptive_windows(in_size, out_size):
    """(starts, ends) of PyTorch's adaptive windows [floor(i * in / out), ceil((i + 1) * in / out))."""
    i = np.arange(out_size)
    return (i * in_size) // out_size, -((-(i + 1) * in_size) // out_size)


def _window_sums(a, starts, ends, axis):
    """Sums of ``a`` over the windows [starts[i], ends[i]) along ``axis`` (non-empty, starts and ends
    both non-decreasing).

    One np.add.reduceat over the bounds interleaved (start, end, start, end, ..., last start), keeping
    every other result: an inf or NaN stays in the windows holding it, where an averaging matrix
    would spread 0 * inf = NaN over every output. reduceat sums a segment up to the next index, so
    ends past the last element need one zero appended (only when windows overlap the array's end).
    """
    n = a.shape[axis]
    if len(ends) > 1 and ends[-2] >= n:
        pad = [(0, 0)] * a.ndim
        pad[axis] = (0, 1)
        a = np.pad(a, pad)
    bounds = np.empty(2 * len(starts) - 1, np.intp)
    bounds[0::2], bounds[1::2] = starts, ends[:-1]
    sums = np.add.reduceat(a, bounds, axis=axis)
    return sums[(slice(None),) * (axis % a.ndim) + (slice(None, None, 2),)]


def adaptive_avg_pool_forward(x, output_size):
    """Adaptive average pooling of x (N, C, *spatial) to (N, C, *output_size): each window's sum over its size."""
    spatial = x.shape[2:]
    if all(n % out == 0 for n, out in zip(spatial, output_size)):
        # Equal, non-overlapping windows: a plain reshape-mean.
        split = x.shape[:2] + tuple(v for out, n in zip(output_size, spatial) for v in (out, n // out))
        # (add.reduce, then the division, as ndarray.mean computes: whose floating-point warnings would come from
        # NumPy's own Python code, not from torchless, whose such warnings are silenced)
        axes = tuple(range(3, 2 + 2 * len(spatial), 2))
        extents = [np.full(out, n // out) for n, out in zip(spatial, output_size)]
        return _divided_by_extents(np.add.reduce(x.reshape(split), axis=axes, dtype=x.dtype), extents)
    windows = [_adaptive_windows(n, out) for n, out in zip(spatial, output_size)]
    sums = x
    for axis, (starts, ends) in enumerate(windows, start=2):
        sums = _window_sums(sums, starts, ends, axis)
    # (a fresh contiguous array: the sums are a strided view)
    return _divided_by_extents(sums, [ends - starts for starts, ends in windows])


def _divided_by_extents(values, extents):
    """``values`` (N, C, *windows), one per window, divided by the window's extent along each axis in turn
    (``extents``: one array per axis), as PyTorch's adaptive average pooling divides a window's sum or gradient
    (sum / kd / kh / kw: dividing once by their product rounds differently). A new array."""
    result = None
    for axis, extent in enumerate(extents, start=2):
        divisor = extent.astype(values.dtype).reshape((-1,) + (1,) * (values.ndim - 1 - axis))
        result = np.true_divide(values, divisor, dtype=values.dtype) if result is None else \
            np.true_divide(result, divisor, out=result)
    return result


def adaptive_avg_pool_backward(gy, input_shape):
    """Gradient (N, C, *spatial) of adaptive_avg_pool_forward given gy (N, C, *output_size).

    Input cell h receives the shares of the windows holding it, windows first(h) .. last(h): a
    window sum again, over the output axis (so an inf gradient reaches only its own window's cells).
    """
    windows = [_adaptive_windows(n, out) for n, out in zip(input_shape[2:], gy.shape[2:])]
    gx = _divided_by_extents(gy, [ends - starts for starts, ends in windows])
    for axis, ((starts, ends), n) in enumerate(zip(windows, input_shape[2:]), start=2):
        # Windows holding cell h: those ending after it up to those starting at or before it.
        cells = np.arange(n)
        gx = _window_sums(gx, np.searchsorted(ends, cells, "right"), np.searchsorted(starts, cells, "right"), axis)
    return np.ascontiguousarray(gx)


def _adaptive_taps(size, out):
    """(out, span) input positions of PyTorch's adaptive windows (see _adaptive_windows).

    Windows differ in length; short ones repeat their last position, which cannot change a maximum.
    """
    start, end = _adaptive_windows(size, out)
    span = int((end - start).max()) if out else 0
    return np.minimum(start[:, None] + np.arange(span)[None, :], (end - 1)[:, None])


def adaptive_max_pool_forward(planes, output_size):
    """(values, flat indices) of adaptive max pooling of planes (P, 1, *axes) to (P, 1, *output_size).

    Taps are scanned in PyTorch's order (row-major over the window), each replacing the maximum when
    strictly greater (the first maximum wins ties) or NaN (the last NaN wins).
    """
    axes = planes.shape[2:]
    out_shape = planes.shape[:2] + tuple(output_size)
    taps = [_adaptive_taps(n, out) for n, out in zip(axes, output_size)]
    if any(t.size == 0 for t in taps):
        empty = np.empty(out_shape, planes.dtype)
        return empty, empty.astype(np.int64)
    axis_strides = np.cumprod((1,) + axes[:0:-1])[::-1]  # flat position = sum of position * stride

    def tap_positions(offsets):
        """Per axis, the position of tap ``offsets[axis]`` of every window, shaped to broadcast along its axis."""
        return tuple(t[:, o].reshape([-1 if k == axis else 1 for k in range(len(axes))])
                     for axis, (t, o) in enumerate(zip(taps, offsets)))

    def read(positions):
        return planes[(slice(None), slice(None)) + positions], sum(p * s for p, s in zip(positions, axis_strides))

    values, first = read(tap_positions((0,) * len(axes)))  # every window starts at its first tap
    # NumPy lays the result of its fancy indexing out in an order of its own: PyTorch's output is C-contiguous
    values = np.ascontiguousarray(values)
    indices = np.empty(out_shape, np.int64)
    indices[...] = first
    better = np.empty(out_shape, bool)
    for offsets in itertools.product(*(range(t.shape[1]) for t in taps)):
        tap_values, tap_indices = read(tap_positions(offsets))
        np.greater(tap_values, values, out=better)
        better |= np.isnan(tap_values)
        np.copyto(values, tap_values, where=better)
        np.copyto(indices, tap_indices, where=better)
    return values, indices


# --------------------------------------------------------------------------- float16 gradients
# PyTorch's CPU backward kernels of a half tensor divide each output cell's gradient in half arithmetic and add the
# shares into a half gradient, rounding after every addition, output cell after output cell: the sums differ from
# a float32 accumulation in the last bit, so the float16 gradients below add in that order.


def avg_pool2d_backward_half(gy, input_shape, kernel, stride, padding, ceil_mode, count_include_pad,
                             divisor_override):
    """avg_pool2d_backward of a float16 (or bfloat16) gy, summed as PyTorch's kernel sums it (see above): each input
    cell gets its windows' shares (g / divisor, rounded) in the windows' order, i.e. their taps on it in reverse
    order."""
    divisor = _avg_pool_divisor(input_shape[2:], gy.shape[2:], kernel, stride, padding, count_include_pad,
                                divisor_override, np.float32)
    shares = (gy.astype(np.float32) / divisor).astype(gy.dtype)  # (float16 or bfloat16)
    return avg_pool_spread(shares, input_shape, kernel, stride, padding)


def adaptive_avg_pool3d_forward_half(x, output_size):
    """adaptive_avg_pool_forward of a float16 (N, C, D, H, W) x as PyTorch's 3-D kernel computes it: each window
    summed in half, one cell after another (depth, then height, then width), then divided by its three extents
    in turn, each a half division."""
    windows = [_adaptive_windows(n, out) for n, out in zip(x.shape[2:], output_size)]
    y = np.empty(x.shape[:2] + tuple(output_size), np.float16)
    for cell in np.ndindex(*output_size):
        bounds = [(starts[i], ends[i]) for i, (starts, ends) in zip(cell, windows)]
        total = np.zeros(x.shape[:2], np.float16)
        for offset in np.ndindex(*(end - start for start, end in bounds)):
            total += x[(slice(None), slice(None)) + tuple(start + o for (start, _), o in zip(bounds, offset))]
        for start, end in bounds:
            total = (total.astype(np.float32) / np.float32(end - start)).astype(np.float16)
        y[(slice(None), slice(None)) + cell] = total
    return y


def adaptive_avg_pool_backward_half(gy, input_shape):
    """adaptive_avg_pool_backward of a float16 gy (N, C, *output_size) as PyTorch's kernels compute it (see above):
    each window's share g / kd / kh / kw (a half division per extent) added to its cells, window after window."""
    windows = [_adaptive_windows(n, out) for n, out in zip(input_shape[2:], gy.shape[2:])]
    gx = np.zeros(input_shape, np.float16)
    for cell in np.ndindex(*gy.shape[2:]):
        bounds = [(starts[i], ends[i]) for i, (starts, ends) in zip(cell, windows)]
        share = gy[(slice(None), slice(None)) + cell]
        for start, end in bounds:
            share = (share.astype(np.float32) / np.float32(end - start)).astype(np.float16)
        gx[(slice(None), slice(None)) + tuple(slice(start, end) for start, end in bounds)] += \
            share.reshape(share.shape + (1,) * len(bounds))
    return gx
