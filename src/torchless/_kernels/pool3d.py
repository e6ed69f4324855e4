"""3-D (volumetric) max and average pooling kernels on NumPy arrays, with PyTorch's exact semantics.

All functions take x / gy in (N, C, D, H, W) layout and (d, h, w) int triples for kernel, stride,
padding and dilation, already validated by the caller; dtypes are preserved.

Both poolings are separable, so a 3-D pooling is a pass along the depth axis (whole (H, W) or
(Ho, Wo) planes at a time: long contiguous inner loops) composed with the 2-D kernels of
:mod:`.pool` over the planes, reusing their tuned window machinery rather than a third copy of it.

Max pooling needs care with the order of the two passes. PyTorch scans a window depth-major (d,
then h, then w) and keeps the first maximum (the last NaN), which is the first maximum of the
first depth slice holding one: so the argmax runs the 2-D pass first (each slice's first maximum)
and the depth scan second. So do the values alone, whose sign depends on the order where 0.0 and -0.0
tie.
"""

import functools
import math

import numpy as np

from . import pool

# The vector width (AVX2's 32 bytes) of ATen's channels-last max pooling kernel as PyTorch 2.13 runs it on this
# CPU: its last C % (32 // itemsize) channels take a scalar loop (see MaxPool3dWinners.follow_channels_last_kernel).
_CHANNELS_LAST_VECTOR_BYTES = 32


class DepthWindows:
    """The windows of a pooling along the depth axis: ``out`` windows over ``size`` slices, and for
    each kernel tap t with a slice inside the input, ``(t, windows, slices)``: the slice of windows
    whose tap t lies inside, and the slice of input slices those taps read (equal lengths)."""

    def __init__(self, size, kernel, stride, padding, dilation, ceil_mode):
        self.size, self.kernel = size, kernel
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.out = pool.pool_output_size(size, kernel, stride, padding, dilation, ceil_mode)
        self.taps = []
        for t in range(kernel):
            inside = pool._inside(size, self.out, stride, t * dilation - padding)
            if inside is not None:
                self.taps.append((t,) + inside)
        # The identity: each window is one slice, the slice of the same position.
        self.trivial = kernel == 1 and stride == 1 and padding == 0
        # Tap 0 inside every window: it can start the scan by a copy.
        self.first_covers_all = bool(self.taps) and self.taps[0][:2] == (0, slice(0, self.out))
        self.first_tap = pool._axis_first_tap(size, self.out, kernel, stride, padding, dilation)
        self.id_dtype = np.min_scalar_type(kernel)  # ids go up to kernel: "no tap inside"
        readers = np.zeros(size, int)
        for _, _, in_slices in self.taps:
            readers[in_slices] += 1
        # Each slice read by at most one (window, tap) pair, or by exactly one: the backward can
        # write each slice's gradient instead of accumulating it, into an uninitialised array.
        self.disjoint, self.partition = bool(readers.max(initial=0) <= 1), bool((readers == 1).all())

    def first_valid_start(self):
        """Per window, the first tap position past the padding (PyTorch's index for a window without any tap inside)."""
        return pool._first_valid_start(self.out, self.stride, self.padding, self.dilation)


@functools.lru_cache(maxsize=64)
def depth_windows(size, kernel, stride, padding, dilation, ceil_mode):
    """The (cached) DepthWindows of one call signature."""
    return DepthWindows(size, kernel, stride, padding, dilation, ceil_mode)


def _split(kernel, stride, padding, dilation, ceil_mode, depth):
    """The depth windows of ``depth`` slices and the 2-D (h, w) parameters of a 3-D pooling."""
    windows = depth_windows(depth, kernel[0], stride[0], padding[0], dilation[0], bool(ceil_mode))
    return windows, tuple(kernel[1:]), tuple(stride[1:]), tuple(padding[1:]), tuple(dilation[1:])


# ---------------------------------------------------------------------------- max pooling
def _depth_max(x, windows):
    """Window maxima along axis 1 of x (P, D, M): (P, Do, M); NaN propagates, and the first of equal maxima
    (0.0 and -0.0) wins."""
    P, _, M = x.shape
    if windows.first_covers_all:
        _, out_slices, in_slices = windows.taps[0]
        best = np.array(x[:, in_slices])
        later = windows.taps[1:]
    else:
        best = np.full((P, windows.out, M), pool._lowest(x.dtype), x.dtype)
        later = windows.taps
    for _, out_slices, in_slices in later:
        target = best[:, out_slices]
        pool.max_keeping_earlier(x[:, in_slices], target, out=target)
    return best


def _depth_scan(x, windows):
    """(maxima (P, Do, M), winner taps (P, Do, M)) of the windows along axis 1 of x (P, D, M), scanned
    as PyTorch does (see :func:`.pool._scan_tap`): a tap wins when strictly greater (the first maximum
    wins ties) or NaN (the last NaN wins); a window whose taps are all the lowest value keeps its
    first tap inside the input, one without any keeps ``kernel``."""
    P, _, M = x.shape
    ids = np.empty((P, windows.out, M), windows.id_dtype)
    if windows.first_covers_all:  # tap 0 wins wherever no later tap beats it
        _, _, in_slices = windows.taps[0]
        best, later = np.array(x[:, in_slices]), windows.taps[1:]
        ids.fill(0)
    else:
        best, later = np.full((P, windows.out, M), pool._lowest(x.dtype), x.dtype), windows.taps
        ids[...] = windows.first_tap[:, None]
    nan_aware = x.dtype.kind in "fV"  # (bfloat16: "V")
    for tap, out_slices, in_slices in later:
        # Taps come in increasing order and a window's first tap is its smallest, so winner ids only grow.
        pool._scan_tap(best[:, out_slices], ids[:, out_slices], x[:, in_slices], tap, nan_aware)
    return best, ids


class MaxPool3dWinners:
    """What the backward (and PyTorch-style indices) need of a 3-D max pooling: ``planes``, the
    2-D MaxPoolWinners of every depth slice's (h, w) windows, and ``depth_ids`` (P, Do, Ho * Wo),
    the depth tap that won each window (None when the depth pass is the identity)."""

    __slots__ = ("planes", "depth_ids", "windows", "shape", "moved")

    def __init__(self, planes, depth_ids, windows, shape):
        self.planes, self.depth_ids, self.windows, self.shape = planes, depth_ids, windows, shape
        self.moved = None  # see follow_channels_last_kernel

    def follow_channels_last_kernel(self, pooled, channels):
        """Report indices as PyTorch's channels-last-3d kernel does for ``pooled`` (P, 1, Do, Ho, Wo), planes of
        ``channels`` channels each. That kernel starts every window's index at its first tap past the padding,
        where no value beats the dtype's lowest (-inf, an integer type's minimum); but its scalar loop over the
        channels past the last full vector leaves out the depth term of that start (h * W + w, a cell of
        slice 0, as PyTorch 2.13 computes it). ``moved`` (P, Do, Ho * Wo) marks those windows; their index,
        and so their gradient, goes to slice 0."""
        lanes = _CHANNELS_LAST_VECTOR_BYTES // pooled.itemsize
        full = channels - channels % lanes
        if full == channels:
            return
        lowest = pool._lowest(pooled.dtype)
        planes, depth = pooled.shape[0], pooled.shape[2]
        by_channel = pooled.reshape(planes // channels, channels, depth, -1)
        kept = by_channel[:, full:] == lowest
        if kept.any():
            moved = np.zeros(by_channel.shape, bool)
            moved[:, full:] = kept
            self.moved = moved.reshape(planes, depth, -1)

    def flat_indices(self):
        """PyTorch's int64 indices (N, C, Do, Ho, Wo): flat positions d * H * W + h * W + w in the input volume."""
        windows, geometry = self.windows, self.planes.geometry
        (H, W), (Ho, Wo) = geometry.input_hw, geometry.out_hw
        P = math.prod(self.shape)
        in_plane = self.planes.flat_indices().reshape(P, windows.size, Ho * Wo)
        if self.depth_ids is None:
            depth = np.arange(windows.size)[:, None]
            return self._moved_to_slice_0(depth * (H * W) + in_plane, H * W)
        starts = (np.arange(windows.out) * windows.stride - windows.padding)[:, None]
        depth = starts + self.depth_ids.astype(np.int64) * windows.dilation
        missing = self.depth_ids == windows.kernel  # no depth tap inside the input
        indices = depth * (H * W) + np.take_along_axis(in_plane, np.where(missing, 0, depth), axis=1)
        if missing.any():
            # PyTorch reports the window's first tap past its padding on every axis, even outside the input.
            (sH, sW), (pH, pW), (dH, dW) = geometry.stride, geometry.padding, geometry.dilation
            corner = (pool._first_valid_start(Ho, sH, pH, dH)[:, None] * W
                      + pool._first_valid_start(Wo, sW, pW, dW)[None, :]).reshape(-1)
            first = windows.first_valid_start()[:, None] * (H * W) + corner
            indices = np.where(missing, first, indices)
        return self._moved_to_slice_0(indices, H * W)

    def _moved_to_slice_0(self, indices, slice_size):
        """indices (P, Do, Ho * Wo) as (N, C, Do, Ho, Wo), those of the ``moved`` windows without their depth."""
        windows, out_hw = self.windows, self.planes.geometry.out_hw
        if self.moved is not None:
            depth = windows.first_valid_start()[:, None] * slice_size
            indices = np.where(self.moved, indices - depth, indices)
        return indices.reshape(self.shape + (windows.out,) + tuple(out_hw))


def max_pool3d_forward_winners(x, kernel, stride, padding, dilation, ceil_mode):
    """Max pooling of x (N, C, D, H, W) with implicit -inf padding: y (N, C, Do, Ho, Wo) and the
    MaxPool3dWinners that the backward (and PyTorch-style ``flat_indices``) need.

    Like PyTorch's CPU kernel: the first maximum in (d, h, w) scan order wins ties, and any NaN in
    a window wins (the last one).
    """
    N, C, D, H, W = x.shape
    windows, kernel2, stride2, padding2, dilation2 = _split(kernel, stride, padding, dilation, ceil_mode, D)
    # Each depth slice's (h, w) windows first: its first maximum in (h, w) order.
    sliced, planes = pool.max_pool2d_forward_winners(x.reshape(N * C, D, H, W), kernel2, stride2, padding2,
                                                     dilation2, ceil_mode)
    out_hw = sliced.shape[2:]
    if windows.trivial:
        return sliced.reshape((N, C, D) + out_hw), MaxPool3dWinners(planes, None, windows, (N, C))
    y, depth_ids = _depth_scan(sliced.reshape(N * C, D, out_hw[0] * out_hw[1]), windows)  # (no -1: N may be 0)
    return y.reshape((N, C, windows.out) + out_hw), MaxPool3dWinners(planes, depth_ids, windows, (N, C))


def max_pool3d_forward(x, kernel, stride, padding, dilation, ceil_mode, with_indices=True):
    """Max pooling of x (N, C, D, H, W): (y, int64 flat indices d * H * W + h * W + w), both
    (N, C, Do, Ho, Wo). Without ``with_indices`` the argmax search is skipped and indices is None."""
    if with_indices:
        y, winners = max_pool3d_forward_winners(x, kernel, stride, padding, dilation, ceil_mode)
        return y, winners.flat_indices()
    N, C, D, H, W = x.shape
    windows, kernel2, stride2, padding2, dilation2 = _split(kernel, stride, padding, dilation, ceil_mode, D)
    # Each slice's (h, w) windows first, then the depth, in PyTorch's scan order (see the module's docstring)
    planes, _ = pool.max_pool2d_forward(x.reshape(N * C, D, H, W), kernel2, stride2, padding2, dilation2, ceil_mode,
                                        with_indices=False)
    Ho, Wo = planes.shape[-2:]
    y = planes if windows.trivial else _depth_max(planes.reshape(N * C, D, Ho * Wo), windows)
    return y.reshape(N, C, windows.out, Ho, Wo), None


def max_pool3d_backward_winners(gy, winners):
    """Gradient (N, C, D, H, W) of max pooling given gy (N, C, Do, Ho, Wo) and the forward's winners.

    No scatter: each depth tap sends the gradient of the windows it won to the slices it read
    (a masked add, exact for inf and NaN gradients), then the 2-D backward routes each slice's
    gradient to its (h, w) winners. A window without any tap inside the input sends nothing.
    """
    N, C, Do, Ho, Wo = gy.shape
    windows = winners.windows
    if winners.depth_ids is None:
        sliced = gy.reshape(N * C, Do, Ho, Wo)
    else:
        sliced = _depth_backward(np.ascontiguousarray(gy).reshape(N * C, Do, Ho * Wo), winners.depth_ids, windows)
        sliced = sliced.reshape(N * C, windows.size, Ho, Wo)
    gx = pool.max_pool2d_backward_winners(sliced, winners.planes)
    return gx.reshape((N, C, windows.size) + gx.shape[2:])


def _depth_backward(gy, depth_ids, windows):
    """(P, D, M): the gradient gy (P, Do, M) of each window sent to the slice its depth winner read.

    Bit for bit (so an inf or NaN gradient reaches its winner only, as PyTorch's scatter puts it):
    each tap selects the gradient of the windows it won with a mask (:func:`.pool._select`),
    written straight into the slices it read when no slice has two readers, else accumulated.
    """
    bits = np.dtype(f"u{gy.dtype.itemsize}")
    values = gy.view(bits)
    allocate = np.empty if windows.partition else np.zeros
    sliced = allocate((gy.shape[0], windows.size, gy.shape[2]), gy.dtype)
    for tap, out_slices, in_slices in reversed(windows.taps):  # (last to first: windows added in order)
        won = depth_ids[:, out_slices]
        if windows.disjoint:
            pool._select(values[:, out_slices], won, tap, out=sliced.view(bits)[:, in_slices])
        else:
            sliced[:, in_slices] += pool._select(values[:, out_slices], won, tap, out=np.empty(won.shape, bits)).view(
                gy.dtype)
    return sliced


# ---------------------------------------------------------------------------- average pooling
def avg_pool3d_forward(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """Average pooling of x (N, C, D, H, W) with zero padding; returns y (N, C, Do, Ho, Wo).

    Each window is summed in PyTorch's order, tap after tap (see :func:`.pool.avg_pool_sums`); its divisor is the
    product of its per-axis counts, as in PyTorch (see :func:`.pool._avg_divisor`), or ``divisor_override``.
    """
    out_size = pool._avg_pool_out_hw(x.shape[2:], kernel, stride, padding, ceil_mode)
    y = pool.avg_pool_sums(x, kernel, stride, padding, out_size)
    y /= pool._avg_pool_divisor(x.shape[2:], out_size, kernel, stride, padding, count_include_pad, divisor_override,
                                x.dtype)
    return y


def avg_pool3d_backward(gy, input_shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """Gradient (N, C, D, H, W) of avg_pool3d_forward given gy (N, C, Do, Ho, Wo)."""
    divisor = pool._avg_pool_divisor(input_shape[2:], gy.shape[2:], kernel, stride, padding, count_include_pad,
                                     divisor_override, gy.dtype)
    return pool.avg_pool_spread(gy / divisor, input_shape, kernel, stride, padding)
